//! `wire` against a real broker and librdkafka (`confluent-kafka`):
//! - records produced by librdkafka, in every codec, are fetched and decoded
//!   by `wire` with keys, values, headers and timestamps intact;
//! - records produced by `wire`, in every codec, are consumed intact by
//!   librdkafka;
//! - keyed records land on the same partitions from both clients;
//! - the producer reports per-record offsets in order, with nothing lost or
//!   duplicated; offsets can be listed.
//!
//! The broker comes from `tests/support` (Tansu, or `KAFKA_BOOTSTRAP`).

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use kafka_gateway_tests::{b64_from_json, b64_json, run_python, unique_topic, TestBroker};
use serde_json::{json, Value};
use wire::consumer::{FetchConfig, PartitionReader};
use wire::producer::{Acks, Producer, ProducerConfig, ProducerRecord};
use wire::protocol::api::list_offsets::OffsetSpec;
use wire::record::{Header, Record};
use wire::{Client, ClientConfig, Compression};

const CODECS: [Compression; 5] = Compression::ALL;

fn broker() -> &'static str {
    static BROKER: OnceLock<TestBroker> = OnceLock::new();
    &BROKER.get_or_init(TestBroker::start).bootstrap
}

async fn client() -> Client {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut config = ClientConfig::new(broker()).expect("config");
    config.api_timeout = Duration::from_secs(30);
    Client::connect(config).await.expect("connect")
}

async fn topic(client: &Client, prefix: &str, partitions: i32) -> String {
    let name = unique_topic(prefix);
    client
        .create_topic(&name, partitions, 1)
        .await
        .expect("create topic");
    name
}

/// Records with null and empty keys and values, duplicate and null headers,
/// and non-monotonic timestamps.
fn sample_records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            offset: i as i64,
            timestamp: 1_700_000_000_000 + (i as i64 * 37) % 1000,
            key: match i % 5 {
                0 => None,
                1 => Some(Bytes::new()),
                _ => Some(Bytes::from(format!("key-{i}"))),
            },
            value: match i % 7 {
                0 => None,
                1 => Some(Bytes::new()),
                // Long enough for an uncompressed batch to reference the
                // value instead of copying it.
                2 => Some(
                    (0..wire::record::SHARE_VALUES_FROM + 97 * i)
                        .map(|j| (j * 31 + i) as u8)
                        .collect(),
                ),
                _ => Some(Bytes::from(format!("value {i} ").repeat(1 + i % 13))),
            },
            headers: match i % 3 {
                0 => vec![],
                1 => vec![
                    Header::new("h", Some(format!("{i}"))),
                    Header::new("h", Some("again")),
                ],
                _ => vec![
                    Header::new("null", None::<Bytes>),
                    Header::new("ü-ключ", Some(vec![0u8, 255])),
                ],
            }
            .into(),
        })
        .collect()
}

fn record_json(r: &Record, partition: i32) -> Value {
    json!({
        "key": b64_json(r.key.as_deref()),
        "value": b64_json(r.value.as_deref()),
        "headers": r.headers.iter().map(|h| json!([h.key.as_str(), b64_json(h.value.as_deref())])).collect::<Vec<_>>(),
        "timestamp": r.timestamp,
        "partition": partition,
    })
}

fn assert_same(got: &[Record], want: &[Record]) {
    assert_eq!(got.len(), want.len(), "record count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.key, w.key, "key of record {i}");
        assert_eq!(g.value, w.value, "value of record {i}");
        assert_eq!(g.timestamp, w.timestamp, "timestamp of record {i}");
        assert_eq!(g.headers, w.headers, "headers of record {i}");
    }
}

async fn read_all(client: &Client, topic: &str, partition: i32, count: usize) -> Vec<Record> {
    let mut reader =
        PartitionReader::new(client.clone(), topic, partition, 0, FetchConfig::default());
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while out.len() < count && tokio::time::Instant::now() < deadline {
        out.extend(reader.poll(count - out.len()).await.expect("poll"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_decodes_what_librdkafka_produced_in_every_codec() {
    let client = client().await;
    let want = sample_records(60);
    for codec in CODECS {
        let topic = topic(&client, &format!("rdk-{codec}"), 1).await;
        let delivered = run_python(
            "produce.py",
            &[],
            &json!({
                "bootstrap": broker(),
                "topic": topic,
                "compression": codec.name(),
                "enable_idempotence": true,
                "records": want.iter().map(|r| record_json(r, 0)).collect::<Vec<_>>(),
            }),
        );
        assert_eq!(
            delivered["delivered"].as_array().map(Vec::len),
            Some(want.len())
        );
        let got = read_all(&client, &topic, 0, want.len()).await;
        assert_same(&got, &want);
        let offsets: Vec<i64> = got.iter().map(|r| r.offset).collect();
        assert_eq!(
            offsets,
            (0..want.len() as i64).collect::<Vec<_>>(),
            "{codec}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_consumes_what_wire_produced_in_every_codec() {
    let client = client().await;
    let want = sample_records(60);
    for codec in CODECS {
        let topic = topic(&client, &format!("wire-{codec}"), 1).await;
        let producer = Producer::new(
            client.clone(),
            ProducerConfig {
                compression: codec,
                linger: Duration::from_millis(20),
                ..ProducerConfig::default()
            },
        )
        .await
        .expect("producer");
        let mut futures = Vec::new();
        for r in &want {
            let record = ProducerRecord {
                topic: topic.as_str().into(),
                partition: Some(0),
                key: r.key.clone(),
                value: r.value.clone(),
                headers: r.headers.to_vec(),
                timestamp: Some(r.timestamp),
            };
            futures.push(producer.send(record).await.expect("send"));
        }
        for (i, f) in futures.into_iter().enumerate() {
            let meta = f.wait().await.expect("delivered");
            assert_eq!((meta.partition, meta.offset), (0, i as i64), "{codec}");
        }
        producer.close().await;
        let consumed = run_python(
            "consume.py",
            &[],
            &json!({"bootstrap": broker(), "topic": topic, "partitions": [0], "count": want.len(), "timeout_s": 30}),
        );
        let records = consumed["records"].as_array().expect("records");
        assert_eq!(records.len(), want.len(), "{codec}");
        for (i, (c, w)) in records.iter().zip(&want).enumerate() {
            assert_eq!(c["offset"].as_i64(), Some(i as i64));
            assert_eq!(
                b64_from_json(&c["key"]).as_deref(),
                w.key.as_deref(),
                "{codec} key {i}"
            );
            assert_eq!(
                b64_from_json(&c["value"]).as_deref(),
                w.value.as_deref(),
                "{codec} value {i}"
            );
            assert_eq!(
                c["timestamp"].as_i64(),
                Some(w.timestamp),
                "{codec} timestamp {i}"
            );
            let headers = c["headers"].as_array().expect("headers");
            assert_eq!(headers.len(), w.headers.len());
            for (ch, wh) in headers.iter().zip(&w.headers) {
                assert_eq!(ch[0].as_str(), Some(wh.key.as_str()));
                assert_eq!(b64_from_json(&ch[1]).as_deref(), wh.value.as_deref());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_records_land_on_the_same_partitions_as_librdkafka() {
    let client = client().await;
    let partitions = 6;
    let topic = topic(&client, "keys", partitions).await;
    let keys: Vec<String> = (0..200).map(|i| format!("customer-{i}")).collect();
    let producer = Producer::new(client.clone(), ProducerConfig::default())
        .await
        .expect("producer");
    let mut ours = Vec::new();
    for k in &keys {
        let record = ProducerRecord {
            topic: topic.as_str().into(),
            key: Some(Bytes::from(k.clone())),
            value: Some(Bytes::from_static(b"x")),
            ..ProducerRecord::default()
        };
        ours.push(producer.send(record).await.expect("send"));
    }
    let mut our_partitions = Vec::new();
    for f in ours {
        our_partitions.push(f.wait().await.expect("delivered").partition);
    }
    let theirs = run_python(
        "produce.py",
        &[],
        &json!({
            "bootstrap": broker(),
            "topic": topic,
            "partitioner": "murmur2_random",
            "records": keys.iter().map(|k| json!({"key": b64_json(Some(k.as_bytes())), "value": b64_json(Some(b"y"))})).collect::<Vec<_>>(),
        }),
    );
    let their_partitions: Vec<i32> = theirs["delivered"]
        .as_array()
        .expect("delivered")
        .iter()
        .map(|d| d["partition"].as_i64().expect("partition") as i32)
        .collect();
    assert_eq!(our_partitions, their_partitions);
    let used: std::collections::HashSet<i32> = our_partitions.iter().copied().collect();
    assert_eq!(
        used.len(),
        partitions as usize,
        "200 keys spread over every partition"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_reports_ordered_offsets_and_nothing_is_lost_or_duplicated() {
    let client = client().await;
    let topic = topic(&client, "order", 3).await;
    let producer = Producer::new(
        client.clone(),
        ProducerConfig {
            linger: Duration::from_millis(2),
            batch_size: 4096,
            ..ProducerConfig::default()
        },
    )
    .await
    .expect("producer");
    let n = 3000;
    let mut futures = Vec::with_capacity(n);
    for i in 0..n {
        let record = ProducerRecord {
            topic: topic.as_str().into(),
            partition: Some((i % 3) as i32),
            value: Some(Bytes::from(format!("{i:08}"))),
            ..ProducerRecord::default()
        };
        futures.push(producer.send(record).await.expect("send"));
    }
    let mut next = [0i64; 3];
    for (i, f) in futures.into_iter().enumerate() {
        let meta = f.wait().await.expect("delivered");
        let p = i % 3;
        assert_eq!(meta.partition as usize, p);
        assert_eq!(
            meta.offset, next[p],
            "offsets per partition follow send order"
        );
        next[p] += 1;
    }
    producer.close().await;
    for p in 0..3 {
        let got = read_all(&client, &topic, p, n / 3).await;
        let values: Vec<usize> = got
            .iter()
            .map(|r| {
                std::str::from_utf8(r.value.as_deref().unwrap_or_default())
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        let want: Vec<usize> = (0..n).filter(|i| i % 3 == p as usize).collect();
        assert_eq!(values, want, "partition {p}");
        let offsets = client
            .list_offset(&topic, p, OffsetSpec::Earliest, Default::default())
            .await
            .expect("earliest");
        assert_eq!(offsets.offset, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyless_records_stick_to_a_partition_per_batch_and_acks_levels_work() {
    let client = client().await;
    let topic = topic(&client, "acks", 4).await;
    for acks in [Acks::None, Acks::Leader, Acks::All] {
        let producer = Producer::new(
            client.clone(),
            ProducerConfig {
                acks,
                idempotence: acks == Acks::All,
                linger: Duration::from_millis(50),
                ..ProducerConfig::default()
            },
        )
        .await
        .expect("producer");
        let mut futures = Vec::new();
        for i in 0..20 {
            futures.push(
                producer
                    .send(ProducerRecord::new(topic.clone(), format!("{acks:?}-{i}")))
                    .await
                    .expect("send"),
            );
        }
        let mut partitions = std::collections::HashSet::new();
        for f in futures {
            let meta = f.wait().await.expect("delivered");
            partitions.insert(meta.partition);
            if acks == Acks::None {
                assert_eq!(meta.offset, -1);
            } else {
                assert!(meta.offset >= 0);
            }
        }
        assert_eq!(
            partitions.len(),
            1,
            "20 keyless records within linger.ms share one batch"
        );
        producer.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_topics_and_partitions_are_errors() {
    let client = client().await;
    let producer = Producer::new(client.clone(), ProducerConfig::default())
        .await
        .expect("producer");
    let err = producer
        .send(ProducerRecord::new(unique_topic("missing"), "x"))
        .await
        .expect_err("unknown topic");
    assert!(matches!(err, wire::Error::UnknownTopic(_)), "{err}");
    let topic = topic(&client, "two", 2).await;
    let all = client.refresh_metadata().await.expect("metadata");
    assert_eq!(
        all.topics.get(&topic).map(|t| t.partitions.len()),
        Some(2),
        "a full refresh lists the topic"
    );
    assert!(!all.brokers.is_empty());
    let err = producer
        .send(ProducerRecord {
            partition: Some(2),
            ..ProducerRecord::new(topic, "x")
        })
        .await
        .expect_err("unknown partition");
    assert!(
        matches!(err, wire::Error::UnknownPartition { partition: 2, .. }),
        "{err}"
    );
}
