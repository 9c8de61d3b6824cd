//! The in-process cluster (`wire::testkit`) driven by librdkafka through
//! `confluent-kafka` (`scripts/rdkafka/*.py`): its producer (idempotent, in
//! every codec), its consumer, and its AdminClient. A client written
//! independently of this project decoding every answer is the check that
//! the cluster's encoding is right.
//!
//! One cluster (three brokers, on a runtime of its own) serves every test of
//! this binary; each test uses topics of its own.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use kafka_gateway_tests::{b64_from_json, b64_json, run_python, unique_topic};
use kafka_protocol::messages::ApiKey;
use serde_json::{json, Value};
use wire::consumer::{FetchConfig, PartitionReader};
use wire::producer::{Producer, ProducerConfig, ProducerRecord};
use wire::record::{Header, Record};
use wire::testkit::{Cluster, ClusterConfig};
use wire::{Client, ClientConfig, Compression};

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        Cluster::start_background(ClusterConfig {
            auto_create_topics: true,
            ..ClusterConfig::default()
        })
        .expect("cluster starts")
    })
}

fn bootstrap() -> String {
    cluster().bootstrap()
}

async fn client() -> Client {
    let mut config = ClientConfig::new(&bootstrap()).expect("config");
    config.api_timeout = Duration::from_secs(20);
    Client::connect(config).await.expect("connect")
}

fn admin(ops: Value) -> Vec<Value> {
    let out = run_python(
        "admin.py",
        &[],
        &json!({"bootstrap": bootstrap(), "ops": ops}),
    );
    out["results"].as_array().cloned().expect("results")
}

fn sample(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            offset: i as i64,
            timestamp: 1_700_000_000_000 + (i as i64 * 7) % 500,
            key: (i % 4 != 0).then(|| Bytes::from(format!("key-{i}"))),
            value: (i % 9 != 5).then(|| Bytes::from(format!("value-{i}-{}", "x".repeat(i % 40)))),
            headers: if i % 3 == 0 {
                vec![
                    Header::new("h", Some(i.to_string().into_bytes())),
                    Header::new("n", None::<Bytes>),
                ]
                .into()
            } else {
                Default::default()
            },
        })
        .collect()
}

fn record_json(r: &Record) -> Value {
    json!({
        "key": b64_json(r.key.as_deref()),
        "value": b64_json(r.value.as_deref()),
        "headers": r.headers.iter().map(|h| json!([h.key.as_str(), b64_json(h.value.as_deref())])).collect::<Vec<_>>(),
        "timestamp": r.timestamp,
        "partition": 0,
    })
}

fn assert_same_records(got: &[Record], want: &[Record]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.offset, g.timestamp), (w.offset, w.timestamp));
        assert_eq!(g.key, w.key);
        assert_eq!(g.value, w.value);
        assert_eq!(g.headers, w.headers);
    }
}

async fn read_all(client: &Client, topic: &str, partition: i32, count: usize) -> Vec<Record> {
    let config = FetchConfig {
        max_wait: Duration::from_millis(100),
        ..FetchConfig::default()
    };
    let mut reader = PartitionReader::new(client.clone(), topic, partition, 0, config);
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while out.len() < count && tokio::time::Instant::now() < deadline {
        out.extend(reader.poll(count - out.len()).await.expect("poll"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_produces_and_consumes_in_every_codec() {
    let client = client().await;
    let want = sample(80);
    for codec in Compression::ALL {
        // Auto-created by librdkafka's producer metadata request.
        let topic = unique_topic(&format!("rdk-{codec}"));
        let delivered = run_python(
            "produce.py",
            &[],
            &json!({
                "bootstrap": bootstrap(),
                "topic": topic,
                "compression": codec.name(),
                "enable_idempotence": true,
                "linger_ms": 20,
                "records": want.iter().map(record_json).collect::<Vec<_>>(),
            }),
        );
        let offsets: Vec<i64> = delivered["delivered"]
            .as_array()
            .expect("delivered")
            .iter()
            .map(|d| d["offset"].as_i64().expect("offset"))
            .collect();
        assert_eq!(
            offsets,
            (0..want.len() as i64).collect::<Vec<_>>(),
            "{codec}"
        );
        // wire decodes what librdkafka wrote (as stored by the cluster).
        let got = read_all(&client, &topic, 0, want.len()).await;
        assert_same_records(&got, &want);
        assert_same_records(&cluster().records(&topic, 0).expect("log"), &want);
        // librdkafka reads it back, checking CRCs.
        let consumed = run_python(
            "consume.py",
            &[],
            &json!({"bootstrap": bootstrap(), "topic": topic, "partitions": [0], "count": want.len(), "timeout_s": 20}),
        );
        assert_eq!(consumed["timed_out"], false, "{codec}");
        let records = consumed["records"].as_array().expect("records");
        for (r, w) in records.iter().zip(&want) {
            assert_eq!(r["offset"].as_i64(), Some(w.offset));
            assert_eq!(b64_from_json(&r["key"]).map(Bytes::from), w.key);
            assert_eq!(b64_from_json(&r["value"]).map(Bytes::from), w.value);
            assert_eq!(r["timestamp"].as_i64(), Some(w.timestamp));
            assert_eq!(r["timestamp_type"], 1, "CreateTime");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_consumes_what_wire_produced_and_sees_log_append_time() {
    let client = client().await;
    let topic = unique_topic("wire-to-rdk");
    client.create_topic(&topic, 2, 3).await.expect("create");
    let producer = Producer::new(client.clone(), ProducerConfig::default())
        .await
        .expect("producer");
    let want = sample(50);
    let mut futures = Vec::new();
    for r in &want {
        let record = ProducerRecord {
            topic: topic.as_str().into(),
            partition: Some(1),
            key: r.key.clone(),
            value: r.value.clone(),
            headers: r.headers.to_vec(),
            timestamp: Some(r.timestamp),
        };
        futures.push(producer.send(record).await.expect("queued"));
    }
    for f in futures {
        f.wait().await.expect("delivered");
    }
    producer.close().await;
    let consumed = run_python(
        "consume.py",
        &[],
        &json!({"bootstrap": bootstrap(), "topic": topic, "partitions": null, "count": want.len(), "timeout_s": 20}),
    );
    let records = consumed["records"].as_array().expect("records");
    assert_eq!(records.len(), want.len());
    for (r, w) in records.iter().zip(&want) {
        assert_eq!(
            (r["partition"].as_i64(), r["offset"].as_i64()),
            (Some(1), Some(w.offset))
        );
        assert_eq!(b64_from_json(&r["value"]).map(Bytes::from), w.value);
        let headers = r["headers"].as_array().expect("headers");
        assert_eq!(headers.len(), w.headers.len());
    }

    // With LogAppendTime the broker's clock replaces the producer's.
    let results = admin(json!([{
        "op": "incremental_alter_configs",
        "resources": [{"type": "topic", "name": topic, "configs": [
            {"name": "message.timestamp.type", "value": "LogAppendTime", "op": "SET"}]}],
    }]));
    assert_eq!(
        results[0][format!("topic/{topic}")]["ok"],
        true,
        "{results:?}"
    );
    let before = wire_now();
    let delivered = run_python(
        "produce.py",
        &[],
        &json!({"bootstrap": bootstrap(), "topic": topic, "records": [{"value": "dg==", "timestamp": 1000, "partition": 0}]}),
    );
    assert_eq!(delivered["delivered"][0]["offset"], 0);
    let consumed = run_python(
        "consume.py",
        &[],
        &json!({"bootstrap": bootstrap(), "topic": topic, "partitions": [0], "count": 1, "timeout_s": 20}),
    );
    let r = &consumed["records"][0];
    assert_eq!(r["timestamp_type"], 2, "LogAppendTime");
    assert!(r["timestamp"].as_i64().expect("timestamp") >= before);
}

fn wire_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[test]
fn librdkafka_admin_manages_topics_and_partitions() {
    let a = unique_topic("admin-a");
    let b = unique_topic("admin-b");
    let results = admin(json!([
        {"op": "create_topics", "topics": [
            {"name": a, "partitions": 3, "replication_factor": 2, "config": {"retention.ms": "3600000", "cleanup.policy": "compact"}},
            {"name": b, "replica_assignment": [[2, 3], [3, 1]]},
        ]},
        {"op": "create_topics", "topics": [
            {"name": a, "partitions": 1, "replication_factor": 1},
            {"name": "bad name", "partitions": 1, "replication_factor": 1},
            {"name": unique_topic("rf"), "partitions": 1, "replication_factor": 4},
            {"name": unique_topic("zero"), "partitions": 0, "replication_factor": 1},
            {"name": unique_topic("cfg"), "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "forever"}},
            {"name": unique_topic("unknown-cfg"), "partitions": 1, "replication_factor": 1, "config": {"no.such.thing": "1"}},
        ]},
        {"op": "create_topics", "validate_only": true, "topics": [{"name": unique_topic("dry"), "partitions": 2, "replication_factor": 1}]},
        {"op": "describe_topics", "topics": [a, b]},
        {"op": "create_partitions", "topics": [{"name": a, "total": 5}]},
        {"op": "create_partitions", "topics": [{"name": a, "total": 2}]},
        {"op": "create_partitions", "topics": [{"name": b, "total": 3, "replica_assignment": [[1, 2]]}]},
        {"op": "create_partitions", "topics": [{"name": unique_topic("nope"), "total": 3}]},
        {"op": "list_topics"},
        {"op": "describe_cluster"},
        {"op": "delete_topics", "topics": [b, unique_topic("never")]},
        {"op": "list_topics"},
    ]));
    let created = &results[0];
    assert_eq!(created[&a]["ok"], true, "{created}");
    assert_eq!(created[&b]["ok"], true, "{created}");
    let failed = &results[1];
    let errors: Vec<&str> = failed
        .as_object()
        .expect("map")
        .iter()
        .map(|(_, v)| v["error"].as_str().unwrap_or("ok"))
        .collect();
    for expected in [
        "TOPIC_ALREADY_EXISTS",
        "TOPIC_EXCEPTION",
        "INVALID_REPLICATION_FACTOR",
        "INVALID_PARTITIONS",
        "INVALID_CONFIG",
    ] {
        assert!(errors.contains(&expected), "{expected} in {failed}");
    }
    assert_eq!(
        errors.iter().filter(|e| **e == "INVALID_CONFIG").count(),
        2,
        "{failed}"
    );
    assert_eq!(
        results[2].as_object().unwrap().values().next().unwrap()["ok"],
        true
    );
    let described = &results[3];
    let pa = described[&a]["partitions"].as_array().expect("partitions");
    assert_eq!(pa.len(), 3);
    for p in pa {
        assert_eq!(p["replicas"].as_array().unwrap().len(), 2);
        assert_eq!(p["leader"], p["replicas"][0]);
        assert_eq!(p["isr"], p["replicas"]);
    }
    let pb = described[&b]["partitions"].as_array().expect("partitions");
    assert_eq!(pb[0]["replicas"], json!([2, 3]));
    assert_eq!(pb[1]["replicas"], json!([3, 1]));
    assert_eq!(pb[1]["leader"], 3);
    assert_eq!(described[&b]["internal"], false);
    assert_eq!(results[4][&a]["ok"], true, "{}", results[4]);
    assert_eq!(
        results[5][&a]["error"], "INVALID_PARTITIONS",
        "{}",
        results[5]
    );
    assert_eq!(results[6][&b]["ok"], true, "{}", results[6]);
    assert_eq!(
        results[7].as_object().unwrap().values().next().unwrap()["error"],
        "UNKNOWN_TOPIC_OR_PART"
    );
    let listed = &results[8];
    assert_eq!(listed["topics"][&a], 5);
    assert_eq!(listed["topics"][&b], 3);
    assert_eq!(listed["brokers"], json!([1, 2, 3]));
    assert_eq!(listed["cluster_id"], cluster().cluster_id());
    let described_cluster = &results[9];
    assert_eq!(described_cluster["cluster_id"], cluster().cluster_id());
    assert_eq!(described_cluster["controller"], 1);
    assert_eq!(described_cluster["nodes"].as_array().map(Vec::len), Some(3));
    let deleted = &results[10];
    assert_eq!(deleted[&b]["ok"], true, "{deleted}");
    assert_eq!(
        deleted
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| **k != b)
            .unwrap()
            .1["error"],
        "UNKNOWN_TOPIC_OR_PART"
    );
    assert!(results[11]["topics"].get(&b).is_none());
}

#[test]
fn librdkafka_admin_describes_and_alters_configs() {
    let t = unique_topic("configs");
    cluster().create_topic(&t, 1, 3).expect("create");
    let topic_key = format!("topic/{t}");
    let results = admin(json!([
        {"op": "describe_configs", "resources": [{"type": "topic", "name": t}, {"type": "broker", "name": "2"}]},
        {"op": "incremental_alter_configs", "resources": [{"type": "topic", "name": t, "configs": [
            {"name": "retention.ms", "value": "1000", "op": "SET"},
            {"name": "cleanup.policy", "value": "compact", "op": "APPEND"},
        ]}]},
        {"op": "describe_configs", "resources": [{"type": "topic", "name": t}]},
        {"op": "incremental_alter_configs", "resources": [{"type": "topic", "name": t, "configs": [
            {"name": "retention.ms", "op": "DELETE"},
            {"name": "cleanup.policy", "value": "delete", "op": "SUBTRACT"},
        ]}]},
        {"op": "incremental_alter_configs", "resources": [{"type": "topic", "name": t, "configs": [
            {"name": "no.such.config", "value": "1", "op": "SET"}]}]},
        {"op": "incremental_alter_configs", "resources": [{"type": "topic", "name": t, "configs": [
            {"name": "retention.ms", "value": "1", "op": "APPEND"}]}]},
        {"op": "incremental_alter_configs", "validate_only": true, "resources": [{"type": "topic", "name": t, "configs": [
            {"name": "max.message.bytes", "value": "2048", "op": "SET"}]}]},
        {"op": "incremental_alter_configs", "resources": [{"type": "broker", "name": "2", "configs": [
            {"name": "log.retention.ms", "value": "7200000", "op": "SET"}]}]},
        {"op": "incremental_alter_configs", "resources": [{"type": "broker", "name": "1", "configs": [
            {"name": "node.id", "value": "7", "op": "SET"}]}]},
        {"op": "describe_configs", "resources": [{"type": "topic", "name": t}, {"type": "broker", "name": "2"}]},
        {"op": "alter_configs", "resources": [{"type": "topic", "name": t, "set": {"segment.bytes": "1048576"}}]},
        {"op": "describe_configs", "resources": [{"type": "topic", "name": t}, {"type": "topic", "name": unique_topic("ghost")}]},
        {"op": "incremental_alter_configs", "resources": [{"type": "broker", "name": "2", "configs": [
            {"name": "log.retention.ms", "op": "DELETE"}]}]},
        {"op": "describe_configs", "resources": [{"type": "broker", "name": "2"}]},
    ]));
    let topic = &results[0][&topic_key]["configs"];
    let retention = &topic["retention.ms"];
    assert_eq!(retention["value"], "604800000");
    assert_eq!(retention["source"], "DEFAULT_CONFIG");
    assert_eq!(retention["default"], true);
    assert_eq!(retention["read_only"], false);
    assert_eq!(
        retention["synonyms"],
        json!([{"name": "log.retention.hours", "value": "168", "source": "DEFAULT_CONFIG"}])
    );
    for (name, value) in [
        ("cleanup.policy", "delete"),
        ("segment.bytes", "1073741824"),
        ("min.insync.replicas", "1"),
        ("compression.type", "producer"),
        ("max.message.bytes", "1048588"),
        ("message.timestamp.type", "CreateTime"),
    ] {
        assert_eq!(topic[name]["value"], value, "{name}");
    }
    let broker = &results[0]["broker/2"]["configs"];
    assert_eq!(broker["node.id"]["value"], "2");
    assert_eq!(broker["node.id"]["source"], "STATIC_BROKER_CONFIG");
    assert_eq!(broker["node.id"]["read_only"], true);
    assert_eq!(broker["log.retention.hours"]["value"], "168");
    assert_eq!(broker["ssl.keystore.password"]["sensitive"], true);
    assert_eq!(broker["ssl.keystore.password"]["value"], Value::Null);

    assert_eq!(results[1][&topic_key]["ok"], true, "{}", results[1]);
    let altered = &results[2][&topic_key]["configs"];
    assert_eq!(altered["retention.ms"]["value"], "1000");
    assert_eq!(altered["retention.ms"]["source"], "DYNAMIC_TOPIC_CONFIG");
    assert_eq!(
        altered["retention.ms"]["synonyms"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(altered["cleanup.policy"]["value"], "delete,compact");
    assert_eq!(results[3][&topic_key]["ok"], true, "{}", results[3]);
    assert_eq!(
        results[4][&topic_key]["error"], "INVALID_CONFIG",
        "{}",
        results[4]
    );
    assert_eq!(
        results[5][&topic_key]["error"], "INVALID_CONFIG",
        "{}",
        results[5]
    );
    assert_eq!(results[6][&topic_key]["ok"], true);
    assert_eq!(results[7]["broker/2"]["ok"], true, "{}", results[7]);
    assert_eq!(
        results[8]["broker/1"]["error"], "INVALID_REQUEST",
        "{}",
        results[8]
    );
    let after = &results[9][&topic_key]["configs"];
    assert_eq!(after["cleanup.policy"]["value"], "compact");
    assert_eq!(
        after["max.message.bytes"]["value"], "1048588",
        "validate_only changed nothing"
    );
    assert_eq!(
        after["retention.ms"]["value"], "604800000",
        "the override is gone"
    );
    let broker = &results[9]["broker/2"]["configs"]["log.retention.ms"];
    assert_eq!(broker["value"], "7200000");
    assert_eq!(broker["source"], "DYNAMIC_BROKER_CONFIG");
    assert_eq!(broker["read_only"], false);
    assert_eq!(results[10][&topic_key]["ok"], true, "{}", results[10]);
    let replaced = &results[11][&topic_key]["configs"];
    assert_eq!(replaced["segment.bytes"]["value"], "1048576");
    assert_eq!(
        replaced["cleanup.policy"]["value"], "delete",
        "alter_configs replaces the whole set"
    );
    let ghost = results[11]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| **k != topic_key)
        .unwrap()
        .1;
    assert_eq!(ghost["error"], "UNKNOWN_TOPIC_OR_PART", "{ghost}");
    assert_eq!(results[12]["broker/2"]["ok"], true);
    let reset = &results[13]["broker/2"]["configs"]["log.retention.ms"];
    assert_eq!(reset["value"], Value::Null, "unset again (no default)");
}

#[test]
fn librdkafka_admin_lists_offsets() {
    let t = unique_topic("offsets");
    cluster().create_topic(&t, 1, 1).expect("create");
    let want = sample(20);
    run_python(
        "produce.py",
        &[],
        &json!({"bootstrap": bootstrap(), "topic": t, "records": want.iter().map(record_json).collect::<Vec<_>>()}),
    );
    let max = want.iter().max_by_key(|r| r.timestamp).expect("max");
    let results = admin(json!([{"op": "list_offsets", "partitions": [
        {"topic": t, "partition": 0, "spec": "earliest"},
        {"topic": t, "partition": 0, "spec": "latest"},
        {"topic": t, "partition": 0, "spec": "max_timestamp"},
        {"topic": t, "partition": 0, "spec": want[3].timestamp},
        {"topic": t, "partition": 0, "spec": 9_000_000_000_000i64},
    ]}]));
    let got = results[0].as_array().expect("offsets");
    assert_eq!(got[0]["offset"], 0);
    assert_eq!(got[1]["offset"], 20);
    assert_eq!(got[2]["offset"], max.offset, "{got:?}");
    assert_eq!(got[2]["timestamp"], max.timestamp);
    let first_at_or_after = want
        .iter()
        .find(|r| r.timestamp >= want[3].timestamp)
        .expect("record");
    assert_eq!(got[3]["offset"], first_at_or_after.offset);
    assert_eq!(got[4]["offset"], -1);
}

/// Keyed records for `topic` without a partition: librdkafka's partitioner
/// spreads them.
fn produce_keyed(topic: &str, n: usize) {
    let records: Vec<Value> = (0..n)
        .map(|i| json!({"key": b64_json(Some(format!("k{i}").as_bytes())), "value": b64_json(Some(format!("v{i}").as_bytes()))}))
        .collect();
    let out = run_python(
        "produce.py",
        &[],
        &json!({"bootstrap": bootstrap(), "topic": topic, "records": records, "linger_ms": 5}),
    );
    assert_eq!(out["delivered"].as_array().map(Vec::len), Some(n));
}

fn consumed(out: &Value) -> Vec<(i64, i64)> {
    out["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["partition"].as_i64().unwrap(),
                r["offset"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn partition_ends(topic: &str, partitions: i32) -> Vec<(i64, i64)> {
    (0..partitions)
        .flat_map(|p| {
            let n = cluster().records(topic, p).expect("log").len() as i64;
            (0..n).map(move |o| (i64::from(p), o))
        })
        .collect()
}

#[test]
fn librdkafka_group_consumer_commits_and_a_successor_resumes() {
    let t = unique_topic("grp");
    cluster().create_topic(&t, 3, 3).expect("create");
    produce_keyed(&t, 60);
    let all = partition_ends(&t, 3);
    assert_eq!(all.len(), 60);
    let group = unique_topic("group");
    let request = |count: usize| json!({"bootstrap": bootstrap(), "group": group, "topics": [t], "count": count, "commit": "sync", "timeout_s": 30});
    let first = run_python("group_consume.py", &[], &request(25));
    let first_records = consumed(&first);
    assert_eq!(first_records.len(), 25);
    assert_eq!(
        first["assignment"].as_array().map(Vec::len),
        Some(3),
        "{first}"
    );
    let committed: i64 = first["committed"]
        .as_object()
        .expect("committed")
        .values()
        .map(|o| o.as_i64().unwrap().max(0))
        .sum();
    assert_eq!(committed, 25, "{first}");

    let results = admin(json!([
        {"op": "list_group_offsets", "group": group, "partitions": null},
        {"op": "describe_groups", "groups": [group]},
        {"op": "list_groups"},
    ]));
    let offsets = &results[0]["offsets"];
    for p in 0..3 {
        let in_first = first_records.iter().filter(|(q, _)| *q == p).count() as i64;
        let committed = offsets[format!("{t}/{p}")].as_i64().unwrap_or(-1001);
        assert_eq!(committed.max(0), in_first, "partition {p}: {offsets}");
    }
    let described = &results[1][&group];
    assert_eq!(described["state"], "EMPTY", "{described}");
    assert_eq!(described["members"], json!([]));
    let listed = results[2]["groups"].as_array().expect("groups");
    let ours = listed.iter().find(|g| g["id"] == group).expect("listed");
    assert_eq!(ours["state"], "EMPTY");
    assert_eq!(ours["simple"], false);

    let second = run_python("group_consume.py", &[], &request(35));
    let mut together = first_records;
    together.extend(consumed(&second));
    together.sort_unstable();
    assert_eq!(
        together, all,
        "each record read once across the two consumers"
    );

    let results = admin(json!([
        {"op": "alter_group_offsets", "group": group, "offsets": [[t, 0, 1]]},
        {"op": "list_group_offsets", "group": group, "partitions": [[t, 0]]},
        {"op": "delete_groups", "groups": [group, unique_topic("no-such-group")]},
        {"op": "list_group_offsets", "group": group, "partitions": [[t, 0]]},
    ]));
    assert_eq!(results[0]["ok"], true, "{}", results[0]);
    assert_eq!(results[1]["offsets"][format!("{t}/0")], 1);
    let deleted = results[2].as_object().expect("map");
    assert_eq!(deleted[&group]["ok"], true);
    assert!(
        deleted
            .iter()
            .any(|(k, v)| *k != group && v["error"] == "GROUP_ID_NOT_FOUND"),
        "{deleted:?}"
    );
    assert_eq!(
        results[3]["offsets"][format!("{t}/0")],
        -1001,
        "gone with the group"
    );
}

#[test]
fn two_librdkafka_consumers_split_the_partitions() {
    let t = unique_topic("split");
    cluster().create_topic(&t, 4, 2).expect("create");
    produce_keyed(&t, 40);
    let all = partition_ends(&t, 4);
    let group = unique_topic("split-group");
    let consumers: Vec<_> = (0..2)
        .map(|i| {
            let request = json!({
                "bootstrap": bootstrap(), "group": group, "topics": [t],
                "commit": "auto", "min_run_s": 4, "idle_s": 1, "timeout_s": 25,
                "config": {"client.id": format!("consumer-{i}")},
            });
            std::thread::spawn(move || run_python("group_consume.py", &[], &request))
        })
        .collect();

    // While both run: one stable generation with the partitions split.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let described = loop {
        let results = admin(json!([{"op": "describe_groups", "groups": [group]}]));
        let d = results[0][&group].clone();
        let members = d["members"].as_array().map_or(0, Vec::len);
        if d["state"] == "STABLE" && members == 2 {
            break d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never stable with two members: {d}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let members = described["members"].as_array().expect("members");
    let mut assigned: Vec<Value> = Vec::new();
    for m in members {
        let a = m["assignment"].as_array().expect("assignment");
        assert!(!a.is_empty(), "{described}");
        assigned.extend(a.iter().cloned());
        assert_eq!(m["host"], "/127.0.0.1");
        assert!(m["client_id"].as_str().unwrap().starts_with("consumer-"));
    }
    assigned.sort_by_key(|a| a[1].as_i64());
    assert_eq!(
        assigned,
        (0..4).map(|p| json!([t, p])).collect::<Vec<_>>(),
        "disjoint, all partitions"
    );
    assert_eq!(described["assignor"], "range");
    assert!(described["coordinator"].as_i64().is_some());
    let results = admin(json!([
        {"op": "list_groups", "states": ["stable"]},
        {"op": "delete_groups", "groups": [group]},
    ]));
    assert!(results[0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == group));
    assert_eq!(results[1][&group]["error"], "NON_EMPTY_GROUP");

    let outputs: Vec<Value> = consumers
        .into_iter()
        .map(|c| c.join().expect("consumer"))
        .collect();
    let mut seen: Vec<(i64, i64)> = outputs.iter().flat_map(consumed).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, all, "every record consumed");
    // Both committed what they consumed when they left.
    let results = admin(json!([{"op": "list_group_offsets", "group": group, "partitions": null}]));
    for p in 0..4 {
        let end = cluster().records(&t, p).unwrap().len() as i64;
        assert_eq!(
            results[0]["offsets"][format!("{t}/{p}")],
            end,
            "{}",
            results[0]
        );
    }
}

#[test]
fn librdkafka_admin_manages_acls() {
    let t = unique_topic("acl");
    let acl = |restype: &str, name: &str, pattern: &str, principal: &str, op: &str, perm: &str| {
        json!({"restype": restype, "name": name, "pattern": pattern, "principal": principal,
               "host": "*", "operation": op, "permission": perm})
    };
    let filter = |restype: Option<&str>,
                  name: Option<&str>,
                  pattern: Option<&str>,
                  principal: Option<&str>| {
        json!({"restype": restype, "name": name, "pattern": pattern, "principal": principal,
               "host": null, "operation": null, "permission": null})
    };
    let prefix = format!("{t}-");
    let results = admin(json!([
        {"op": "create_acls", "acls": [
            acl("topic", &t, "literal", "User:alice", "read", "allow"),
            acl("topic", &prefix, "prefixed", "User:bob", "write", "allow"),
            acl("topic", "*", "literal", "User:eve", "read", "deny"),
            acl("group", &t, "literal", "User:alice", "read", "allow"),
            // librdkafka's BROKER resource type is Kafka's CLUSTER (4).
            acl("broker", "kafka-cluster", "literal", "User:admin", "alter", "allow"),
            acl("broker", "other", "literal", "User:admin", "alter", "allow"),
            acl("topic", &t, "literal", "nobody", "read", "allow"),
        ]},
        {"op": "describe_acls", "filter": filter(Some("topic"), Some(&format!("{t}-x")), Some("match"), None)},
        {"op": "describe_acls", "filter": filter(Some("any"), None, Some("any"), Some("User:alice"))},
        {"op": "describe_acls", "filter": filter(Some("topic"), Some(&prefix), Some("prefixed"), None)},
        {"op": "delete_acls", "filters": [filter(Some("any"), None, Some("any"), Some("User:alice"))]},
        {"op": "describe_acls", "filter": filter(Some("any"), None, Some("any"), Some("User:alice"))},
        {"op": "delete_acls", "filters": [filter(Some("any"), None, Some("any"), None)]},
        {"op": "describe_acls", "filter": filter(Some("any"), None, Some("any"), None)},
    ]));
    let created = results[0].as_array().expect("created");
    for (i, expected_ok) in [true, true, true, true, true, false, false]
        .iter()
        .enumerate()
    {
        assert_eq!(
            created[i]["ok"] == true,
            *expected_ok,
            "binding {i}: {}",
            created[i]
        );
    }
    assert_eq!(created[5]["error"], "INVALID_REQUEST");
    let matched = results[1]["acls"].as_array().expect("acls");
    let principals: Vec<&str> = matched
        .iter()
        .map(|a| a["principal"].as_str().unwrap())
        .collect();
    assert_eq!(matched.len(), 2, "{matched:?}");
    assert!(principals.contains(&"User:bob") && principals.contains(&"User:eve"));
    let alice = results[2]["acls"].as_array().expect("acls");
    assert_eq!(alice.len(), 2);
    assert!(alice
        .iter()
        .any(|a| a["restype"] == "GROUP" && a["operation"] == "READ"));
    assert!(alice
        .iter()
        .all(|a| a["permission"] == "ALLOW" && a["host"] == "*"));
    assert_eq!(results[3]["acls"].as_array().map(Vec::len), Some(1));
    assert_eq!(results[3]["acls"][0]["pattern"], "PREFIXED");
    assert_eq!(
        results[4][0]["acls"].as_array().map(Vec::len),
        Some(2),
        "{}",
        results[4]
    );
    assert_eq!(results[5]["acls"], json!([]));
    assert_eq!(
        results[6][0]["acls"].as_array().map(Vec::len),
        Some(3),
        "{}",
        results[6]
    );
    assert_eq!(results[7]["acls"], json!([]));
}

#[test]
fn librdkafka_admin_deletes_records_and_elects_leaders() {
    let t = unique_topic("records");
    cluster().create_topic(&t, 2, 3).expect("create");
    produce_keyed(&t, 40);
    let ends: Vec<i64> = (0..2)
        .map(|p| cluster().records(&t, p).unwrap().len() as i64)
        .collect();
    assert!(ends.iter().all(|e| *e > 5), "{ends:?}");
    cluster().move_leader(&t, 0, 3).expect("move");
    let results = admin(json!([
        {"op": "delete_records", "partitions": [[t, 0, 3], [t, 1, ends[1] + 10]]},
        {"op": "list_offsets", "partitions": [{"topic": t, "partition": 0, "spec": "earliest"}]},
        {"op": "elect_leaders", "election": "preferred", "partitions": [[t, 0], [t, 1]]},
        {"op": "elect_leaders", "election": "preferred", "partitions": [[t, 0]]},
    ]));
    let deleted = &results[0];
    assert_eq!(deleted[format!("{t}/0")]["low_watermark"], 3, "{deleted}");
    assert_eq!(
        deleted[format!("{t}/1")]["error"],
        "OFFSET_OUT_OF_RANGE",
        "{deleted}"
    );
    assert_eq!(results[1][0]["offset"], 3);
    assert_eq!(
        cluster().records(&t, 0).unwrap().first().map(|r| r.offset),
        Some(3)
    );
    let elected = &results[2];
    assert_eq!(elected[format!("{t}/0")]["ok"], true, "{elected}");
    assert_eq!(
        elected[format!("{t}/1")]["error"],
        "ELECTION_NOT_NEEDED",
        "{elected}"
    );
    assert_eq!(
        cluster().leader(&t, 0).unwrap(),
        1,
        "the preferred replica leads again"
    );
    assert_eq!(results[3][format!("{t}/0")]["error"], "ELECTION_NOT_NEEDED");
    let results = admin(json!([{"op": "delete_records", "partitions": [[t, 0, -1]]}]));
    assert_eq!(
        results[0][format!("{t}/0")]["low_watermark"],
        ends[0],
        "-1 is the high watermark"
    );
    assert!(cluster().records(&t, 0).unwrap().is_empty());
    // A consumer from the earliest offset starts at the new log start.
    let consumed = run_python(
        "consume.py",
        &[],
        &json!({"bootstrap": bootstrap(), "topic": t, "partitions": [1], "count": 1, "timeout_s": 20}),
    );
    assert_eq!(consumed["records"][0]["offset"], 0);
}

#[test]
fn librdkafka_idempotent_producer_follows_leader_moves() {
    // A cluster of its own: its Produce responses are slowed down so that
    // the leader moves land while batches are in flight.
    let cluster = Cluster::start_background(ClusterConfig::default()).expect("cluster");
    cluster.create_topic("moves", 1, 3).expect("create");
    cluster.delay_responses(Some(ApiKey::Produce), Duration::from_millis(10));
    let n = 1000;
    let records: Vec<Value> = (0..n)
        .map(|i| json!({"value": b64_json(Some(format!("m{i:05}").as_bytes())), "partition": 0}))
        .collect();
    let request = json!({
        "bootstrap": cluster.bootstrap(), "topic": "moves", "records": records, "linger_ms": 1,
        "enable_idempotence": true, "timeout_s": 60,
        "config": {"batch.num.messages": 10},
    });
    let producing = std::thread::spawn(move || run_python("produce.py", &[], &request));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while cluster.request_count(ApiKey::Produce) == 0 {
        assert!(std::time::Instant::now() < deadline, "nothing produced");
        std::thread::sleep(Duration::from_millis(2));
    }
    for to in [2, 3, 1, 3, 2, 1] {
        std::thread::sleep(Duration::from_millis(30));
        cluster.move_leader("moves", 0, to).expect("move");
    }
    assert!(
        !producing.is_finished(),
        "the moves happened while producing"
    );
    let delivered = producing.join().expect("producer");
    let offsets: Vec<i64> = delivered["delivered"]
        .as_array()
        .expect("delivered")
        .iter()
        .map(|d| d["offset"].as_i64().expect("offset"))
        .collect();
    assert_eq!(offsets, (0..n as i64).collect::<Vec<_>>());
    let log: Vec<String> = cluster
        .records("moves", 0)
        .expect("log")
        .iter()
        .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
        .collect();
    let expected: Vec<String> = (0..n).map(|i| format!("m{i:05}")).collect();
    assert_eq!(
        log, expected,
        "every record once, in order, across the leader moves"
    );
}
