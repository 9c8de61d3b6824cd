//! End-to-end REST benchmarks: the gateway as a separate process on
//! loopback, driven by concurrent HTTP clients.
//!
//! `cargo bench -p kafka-gateway-benches --bench rest [-- v2|v3]`
//!
//! - `v2`: `POST /topics/{topic}` with 100 binary records of 1 KiB per
//!   request, from `BENCH_CLIENTS` (default 8) keep-alive connections.
//! - `v3`: streaming `POST /v3/clusters/{id}/topics/{topic}/records` from
//!   `BENCH_STREAMS` (default 4) chunked connections; reports the time
//!   from a record's chunk being written to its report being read.
//!
//! The gateway runs in a child process (this executable, re-run with
//! `--serve-gateway`), so its CPU time and memory are measured apart from
//! the load generator and the cluster: records/s per gateway core is the
//! records acknowledged divided by the gateway's CPU seconds (user +
//! system, from `/proc`), and peak RSS is its `VmHWM`. `BENCH_SECONDS`
//! (default 10) bounds each run. The cluster is the one named by
//! `BENCH_BOOTSTRAP`, or else the in-process cluster (`wire::testkit`, 3
//! brokers) running in the benchmark's process.
//! `BENCH_GATEWAY_FLAGS` adds gateway settings (`--producer.linger.ms=10 ...`).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve-gateway") {
        serve_gateway(&args[2..]);
        return;
    }
    let which: Vec<&str> = args[1..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run_v2 = which.is_empty() || which.contains(&"v2");
    let run_v3 = which.is_empty() || which.contains(&"v3");
    let seconds = env_u64("BENCH_SECONDS", 10);

    let (bootstrap, cluster) = match std::env::var("BENCH_BOOTSTRAP") {
        Ok(b) => (b, None),
        Err(_) => {
            let cluster =
                wire::testkit::Cluster::start_background(wire::testkit::ClusterConfig::default())
                    .expect("in-process cluster");
            (cluster.bootstrap(), Some(cluster))
        }
    };
    let create_topic = |prefix: &str| match &cluster {
        Some(c) => {
            let topic = kafka_gateway_tests::unique_topic(prefix);
            c.create_topic(&topic, 6, 1).expect("create topic");
            topic
        }
        None => create_topic(&bootstrap, prefix),
    };
    let gateway = GatewayProcess::start(&bootstrap);
    let idle_rss = gateway.rss_kib("VmRSS");
    println!("gateway idle RSS: {:.1} MiB", idle_rss as f64 / 1024.0);

    if run_v2 {
        let topic = create_topic("bench-v2");
        let clients = env_u64("BENCH_CLIENTS", 8) as usize;
        let result = bench_v2(&gateway, &topic, clients, Duration::from_secs(seconds));
        result.print(
            "v2 produce, 100 x 1 KiB binary records per request",
            &gateway,
        );
    }
    if run_v3 {
        let topic = create_topic("bench-v3");
        let streams = env_u64("BENCH_STREAMS", 4) as usize;
        let result = bench_v3(&gateway, &topic, streams, Duration::from_secs(seconds));
        result.print("v3 streaming produce, 1 KiB records", &gateway);
    }
    println!(
        "gateway peak RSS: {:.1} MiB",
        gateway.rss_kib("VmHWM") as f64 / 1024.0
    );
    gateway.stop();
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the gateway in this process (the child side).
fn serve_gateway(flags: &[String]) {
    let cli = kafka_gateway::config::parse_args(flags.iter().map(std::ffi::OsString::from))
        .expect("flags");
    let config = kafka_gateway::config::Config::load(&cli, std::iter::empty())
        .expect("config")
        .config;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let bound = kafka_gateway::server::Bound::bind(&config)
            .await
            .expect("bind");
        println!("{}", bound.local_addrs()[0]);
        let gateway = Arc::new(kafka_gateway::app::Gateway::new(config, Vec::new()));
        bound
            .serve(gateway, async {
                // Stops when the parent closes stdin.
                let _ = tokio::task::spawn_blocking(|| {
                    let mut sink = Vec::new();
                    let _ = std::io::stdin().read_to_end(&mut sink);
                })
                .await;
            })
            .await;
    });
}

/// The gateway child process.
struct GatewayProcess {
    child: Child,
    addr: SocketAddr,
    cluster_id: String,
}

impl GatewayProcess {
    fn start(bootstrap: &str) -> GatewayProcess {
        let extra = std::env::var("BENCH_GATEWAY_FLAGS").unwrap_or_default();
        let mut child = Command::new(std::env::current_exe().expect("current exe"))
            .args([
                "--serve-gateway",
                &format!("--bootstrap.servers={bootstrap}"),
                "--listeners=http://127.0.0.1:0",
                "--log.level=warn",
            ])
            .args(extra.split_whitespace())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start gateway");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("gateway address");
        let addr: SocketAddr = line.trim().parse().expect("address");
        let clusters = request(addr, "GET", "/v3/clusters", None, "");
        let clusters: serde_json::Value = serde_json::from_slice(&clusters.1).expect("clusters");
        let cluster_id = clusters["data"][0]["cluster_id"]
            .as_str()
            .expect("cluster id")
            .to_owned();
        GatewayProcess {
            child,
            addr,
            cluster_id,
        }
    }

    /// A `/proc/<pid>/status` field in KiB.
    fn rss_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// User + system CPU seconds used so far.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which is in parentheses).
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
        (ticks(11) + ticks(12)) as f64 / clock_ticks() as f64
    }

    fn stop(mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn create_topic(bootstrap: &str, prefix: &str) -> String {
    let topic = kafka_gateway_tests::unique_topic(prefix);
    let out = kafka_gateway_tests::run_python(
        "create_topic.py",
        &[],
        &serde_json::json!({"bootstrap": bootstrap, "topic": topic, "partitions": 6}),
    );
    assert_eq!(out["ok"], true, "{out}");
    topic
}

/// What one run measured.
struct RunResult {
    records: u64,
    wall: Duration,
    gateway_cpu: f64,
    latencies_us: Vec<u64>,
}

impl RunResult {
    fn print(&self, title: &str, gateway: &GatewayProcess) {
        let per_s = self.records as f64 / self.wall.as_secs_f64();
        let per_core = self.records as f64 / self.gateway_cpu.max(1e-9);
        println!("{title}");
        println!(
            "  {} records in {:.1} s: {:.0} records/s; gateway CPU {:.1} s: {:.0} records/s per gateway core",
            self.records,
            self.wall.as_secs_f64(),
            per_s,
            self.gateway_cpu,
            per_core
        );
        if !self.latencies_us.is_empty() {
            let mut l = self.latencies_us.clone();
            l.sort_unstable();
            let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)] as f64 / 1000.0;
            println!(
                "  record arrival to report: p50 {:.2} ms, p99 {:.2} ms",
                pct(0.50),
                pct(0.99)
            );
        }
        println!(
            "  gateway RSS now {:.1} MiB, peak {:.1} MiB",
            gateway.rss_kib("VmRSS") as f64 / 1024.0,
            gateway.rss_kib("VmHWM") as f64 / 1024.0
        );
    }
}

fn value_1k(i: u64) -> Vec<u8> {
    let mut v = vec![0u8; 1024];
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for b in &mut v {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    v
}

fn bench_v2(
    gateway: &GatewayProcess,
    topic: &str,
    clients: usize,
    duration: Duration,
) -> RunResult {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let records: Vec<serde_json::Value> = (0..100)
        .map(|i| serde_json::json!({"key": b64.encode(format!("key-{i}")), "value": b64.encode(value_1k(i))}))
        .collect();
    let body = serde_json::json!({ "records": records })
        .to_string()
        .into_bytes();
    let body = Arc::new(body);
    let path = format!("/topics/{topic}");
    // Warm-up: metadata, producer id, connections.
    let (status, _) = request(
        gateway.addr,
        "POST",
        &path,
        Some(&body),
        "application/vnd.kafka.binary.v2+json",
    );
    assert_eq!(status, 200);

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let cpu_before = gateway.cpu_seconds();
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, done, body, path, addr) = (
                stop.clone(),
                done.clone(),
                body.clone(),
                path.clone(),
                gateway.addr,
            );
            thread::spawn(move || {
                let mut conn = KeepAlive::connect(addr);
                while !stop.load(Ordering::Relaxed) {
                    let (status, response) =
                        conn.post(&path, "application/vnd.kafka.binary.v2+json", &body);
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&response));
                    done.fetch_add(100, Ordering::Relaxed);
                }
            })
        })
        .collect();
    thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("client");
    }
    RunResult {
        records: done.load(Ordering::Relaxed),
        wall: started.elapsed(),
        gateway_cpu: gateway.cpu_seconds() - cpu_before,
        latencies_us: Vec::new(),
    }
}

fn bench_v3(
    gateway: &GatewayProcess,
    topic: &str,
    streams: usize,
    duration: Duration,
) -> RunResult {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    const PER_CHUNK: usize = 50;
    let mut chunk = Vec::new();
    for i in 0..PER_CHUNK as u64 {
        let record = serde_json::json!({"key": {"type": "BINARY", "data": b64.encode(format!("key-{i}"))},
                                        "value": {"type": "BINARY", "data": b64.encode(value_1k(i))}});
        chunk.extend_from_slice(record.to_string().as_bytes());
    }
    let chunk = Arc::new(chunk);
    let path = format!("/v3/clusters/{}/topics/{topic}/records", gateway.cluster_id);
    let done = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let cpu_before = gateway.cpu_seconds();
    let started = Instant::now();
    let workers: Vec<_> = (0..streams)
        .map(|_| {
            let (done, chunk, path, addr, latencies) =
                (done.clone(), chunk.clone(), path.clone(), gateway.addr, latencies.clone());
            thread::spawn(move || {
                let stream = TcpStream::connect(addr).expect("connect");
                stream.set_nodelay(true).ok();
                let mut writer = stream.try_clone().expect("clone");
                let sent_at: Arc<Mutex<std::collections::VecDeque<Instant>>> = Arc::default();
                let sent = sent_at.clone();
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                );
                writer.write_all(head.as_bytes()).expect("head");
                let write = thread::spawn(move || {
                    let deadline = Instant::now() + duration;
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(&chunk);
                    framed.extend_from_slice(b"\r\n");
                    let mut chunks = 0u64;
                    while Instant::now() < deadline {
                        sent.lock().unwrap().push_back(Instant::now());
                        if writer.write_all(&framed).is_err() {
                            break;
                        }
                        chunks += 1;
                    }
                    let _ = writer.write_all(b"0\r\n\r\n");
                    chunks
                });
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                // Response head.
                loop {
                    line.clear();
                    reader.read_line(&mut line).expect("head");
                    if line.trim().is_empty() {
                        break;
                    }
                }
                let mut local = Vec::new();
                let mut in_chunk = 0usize;
                let mut body_line = Vec::new();
                'read: loop {
                    // Chunk size line.
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let size = match usize::from_str_radix(line.trim(), 16) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(_) => continue,
                    };
                    let mut data = vec![0u8; size + 2];
                    reader.read_exact(&mut data).expect("chunk");
                    for &b in &data[..size] {
                        if b == b'\n' {
                            let report: serde_json::Value =
                                serde_json::from_slice(&body_line).expect("report");
                            assert_eq!(report["error_code"], 200, "{report}");
                            body_line.clear();
                            in_chunk += 1;
                            done.fetch_add(1, Ordering::Relaxed);
                            if in_chunk == PER_CHUNK {
                                in_chunk = 0;
                                let Some(at) = sent_at.lock().unwrap().pop_front() else {
                                    break 'read;
                                };
                                local.push(at.elapsed().as_micros() as u64);
                            }
                        } else {
                            body_line.push(b);
                        }
                    }
                }
                let _ = write.join();
                latencies.lock().unwrap().extend(local);
            })
        })
        .collect();
    for w in workers {
        w.join().expect("stream");
    }
    let latencies_us = std::mem::take(&mut *latencies.lock().unwrap());
    RunResult {
        records: done.load(Ordering::Relaxed),
        wall: started.elapsed(),
        gateway_cpu: gateway.cpu_seconds() - cpu_before,
        latencies_us,
    }
}

/// A keep-alive HTTP/1.1 connection.
struct KeepAlive {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    addr: SocketAddr,
}

impl KeepAlive {
    fn connect(addr: SocketAddr) -> KeepAlive {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).ok();
        KeepAlive {
            writer: stream.try_clone().expect("clone"),
            reader: BufReader::new(stream),
            addr,
        }
    }

    fn post(&mut self, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        self.writer.write_all(head.as_bytes()).expect("write");
        self.writer.write_all(body).expect("write");
        read_response(&mut self.reader)
    }
}

fn read_response(reader: &mut BufReader<TcpStream>) -> (u16, Vec<u8>) {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header");
        let l = line.trim();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).expect("body");
    (status, body)
}

/// One request on a fresh connection.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    content_type: &str,
) -> (u16, Vec<u8>) {
    let stream = TcpStream::connect(addr).expect("connect");
    let mut writer = stream.try_clone().expect("clone");
    let body = body.unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).expect("write");
    writer.write_all(body).expect("write");
    read_response(&mut BufReader::new(stream))
}
