//! Heap allocations per record on the v2 produce path.
//!
//! `cargo bench -p kafka-gateway-benches --bench alloc`
//!
//! Runs the gateway and the in-process cluster (`wire::testkit`) in this
//! process (no socket between client and gateway:
//! requests go through `server::handle_full`) with a counting global
//! allocator, and produces requests of 100 and of 1,000 binary records of
//! 1 KiB. Everything a request costs once (parsing the path, the record
//! list, the response) shows up in both; what a record costs shows up ten
//! times more in the second. The figure reported is
//! `(allocations per 1,000-record request - allocations per 100-record
//! request) / 900`: heap allocations per record after JSON parsing, across
//! the whole path (decoding, partitioning, batching, encoding, sending,
//! delivery reports, the response).

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;

// dhat's allocator counts every allocation (`HeapStats::total_blocks`).
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn allocations() -> u64 {
    dhat::HeapStats::get().total_blocks
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let cluster = wire::testkit::Cluster::start_background(wire::testkit::ClusterConfig::default())
        .expect("in-process cluster");
    let topic = kafka_gateway_tests::unique_topic("bench-alloc");
    cluster.create_topic(&topic, 6, 1).expect("create topic");
    let cli = kafka_gateway::config::parse_args(
        [
            format!("--bootstrap.servers={}", cluster.bootstrap()),
            "--listeners=http://127.0.0.1:0".to_owned(),
        ]
        .iter()
        .map(std::ffi::OsString::from),
    )
    .expect("flags");
    let config = kafka_gateway::config::Config::load(&cli, std::iter::empty())
        .expect("config")
        .config;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let gateway = Arc::new(kafka_gateway::app::Gateway::new(config, Vec::new()));
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = |n: usize| -> Bytes {
        let records: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({"key": b64.encode(format!("key-{i}")), "value": b64.encode([i as u8; 1024])})
            })
            .collect();
        Bytes::from(serde_json::json!({ "records": records }).to_string())
    };
    let (small, large) = (body(100), body(1000));
    let path = format!("/topics/{topic}");
    let per_request = |body: &Bytes, rounds: u64| -> f64 {
        runtime.block_on(async {
            let send = || {
                let request = http::Request::builder()
                    .method("POST")
                    .uri(path.as_str())
                    .header("content-type", "application/vnd.kafka.binary.v2+json")
                    .body(body.clone())
                    .expect("request");
                kafka_gateway::server::handle_full(&gateway, request)
            };
            // Warm-up: connections, producer id, metadata, batch buffers.
            for _ in 0..5 {
                assert_eq!(send().await.status(), 200);
            }
            let before = allocations();
            for _ in 0..rounds {
                assert_eq!(send().await.status(), 200);
            }
            (allocations() - before) as f64 / rounds as f64
        })
    };
    let a100 = per_request(&small, 200);
    let a1000 = per_request(&large, 40);
    println!("v2 produce, binary 1 KiB records, whole path in one process:");
    println!(
        "  allocations per request: {a100:.1} with 100 records, {a1000:.1} with 1,000 records"
    );
    println!(
        "  allocations per record: {:.3}",
        (a1000 - a100).max(0.0) / 900.0
    );
}
