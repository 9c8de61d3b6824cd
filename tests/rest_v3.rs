//! End-to-end tests of the REST v3 API over HTTP against the real test
//! broker, including streaming produce.

use std::time::{Duration, Instant};

use kafka_gateway_tests::backend::Backend;
use kafka_gateway_tests::gateway::StreamingRequest;
use kafka_gateway_tests::{b64_encode, b64_from_json, run_python, unique_topic};
use serde_json::{json, Value};

fn create_topic(env: &Backend, partitions: i32) -> String {
    env.create_topic("rest-v3", partitions)
}

fn records_path(env: &Backend, prefix: &str, topic: &str) -> String {
    format!(
        "{prefix}/clusters/{}/topics/{topic}/records",
        env.cluster_id
    )
}

fn clusters_under_both_prefixes(env: &Backend) {
    let gw = &env.gateway;
    for prefix in ["/v3", "/kafka/v3"] {
        let list = gw.get(&format!("{prefix}/clusters"));
        assert_eq!(list.status, 200);
        assert_eq!(list.header("content-type"), Some("application/json"));
        let list = list.json();
        assert_eq!(list["kind"], "KafkaClusterList");
        assert_eq!(list["metadata"]["next"], Value::Null);
        let base = format!("http://{}{prefix}", gw.addr);
        assert_eq!(list["metadata"]["self"], format!("{base}/clusters"));
        let cluster = &list["data"][0];
        let id = cluster["cluster_id"].as_str().unwrap();
        assert_eq!(cluster["kind"], "KafkaCluster");
        assert_eq!(cluster["metadata"]["self"], format!("{base}/clusters/{id}"));
        assert_eq!(
            cluster["metadata"]["resource_name"],
            format!("crn:///kafka={id}")
        );
        for link in [
            "acls",
            "brokers",
            "broker_configs",
            "consumer_groups",
            "topics",
            "partition_reassignments",
        ] {
            assert!(
                cluster[link]["related"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{base}/clusters/{id}/")),
                "{link}: {cluster}"
            );
        }
        let one = gw.get(&format!("{prefix}/clusters/{id}")).json();
        assert_eq!(&one, cluster);
    }
    let r = gw.get("/v3/clusters/no-such-cluster");
    r.assert_error(404, 404);
    assert_eq!(
        r.json()["message"],
        "Cluster no-such-cluster cannot be found."
    );
}

fn topics_list_and_get(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 2);
    let id = &env.cluster_id;
    let list = gw.get(&format!("/v3/clusters/{id}/topics")).json();
    assert_eq!(list["kind"], "KafkaTopicList");
    let t = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic_name"] == json!(topic))
        .expect("topic listed")
        .clone();
    assert_eq!(t["kind"], "KafkaTopic");
    assert_eq!(t["partitions_count"], 2);
    assert_eq!(t["is_internal"], false);
    assert!(t["replication_factor"].is_u64());
    assert_eq!(
        t["metadata"]["resource_name"],
        format!("crn:///kafka={id}/topic={topic}")
    );
    let one = gw.get(&format!("/v3/clusters/{id}/topics/{topic}")).json();
    assert_eq!(one, t);
    gw.get(&format!(
        "/v3/clusters/{id}/topics/{}",
        unique_topic("none")
    ))
    .assert_error(404, 40403);
}

fn produce_one_record_as_the_spec_shows(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 2);
    let body = json!({ "partition_id": 1, "headers": [ { "name": "Header-1", "value": "SGVhZGVyLTE=" }, { "name": "Header-2", "value": "SGVhZGVyLTI=" } ], "key": { "type": "BINARY", "data": "Zm9vYmFy" }, "value": { "type": "JSON", "data": { "foo": "bar" } }, "timestamp": "2021-02-05T19:14:42Z" });
    for prefix in ["/v3", "/kafka/v3"] {
        let r = gw.post(
            &records_path(env, prefix, &topic),
            "application/json",
            &body,
        );
        assert_eq!(r.status, 200);
        let report = r.json();
        assert_eq!(report["error_code"], 200, "{report}");
        assert_eq!(report["cluster_id"], json!(env.cluster_id));
        assert_eq!(report["topic_name"], json!(topic));
        assert_eq!(report["partition_id"], 1);
        assert!(report["offset"].is_i64());
        assert_eq!(report["timestamp"], "2021-02-05T19:14:42Z");
        assert_eq!(report["key"], json!({"type": "BINARY", "size": 6}));
        assert_eq!(report["value"], json!({"type": "JSON", "size": 13}));
    }
    let read = run_python(
        "consume.py",
        &[],
        &json!({"bootstrap": env.bootstrap, "topic": topic, "partitions": [1], "count": 2}),
    );
    let first = &read["records"][0];
    assert_eq!(b64_from_json(&first["key"]).unwrap(), b"foobar");
    assert_eq!(b64_from_json(&first["value"]).unwrap(), br#"{"foo":"bar"}"#);
    assert_eq!(first["timestamp"], 1_612_552_482_000i64);
    assert_eq!(
        first["headers"],
        json!([
            ["Header-1", b64_encode(b"Header-1")],
            ["Header-2", b64_encode(b"Header-2")]
        ])
    );
}

fn record_errors_and_request_errors(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 1);
    let path = records_path(env, "/v3", &topic);
    // A bad record is a 200 with the record's error.
    let r = gw.post(
        &path,
        "application/json",
        &json!({"value": {"type": "BINARY", "data": 1}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["error_code"], 400);
    assert_eq!(
        r.json()["message"],
        "Bad Request: data=1 is not a base64 string."
    );
    // Request errors.
    gw.request(
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        Some(b""),
    )
    .assert_error(422, 422);
    gw.request("POST", &path, &[("Content-Type", "text/plain")], Some(b"x"))
        .assert_error(415, 415);
    gw.post(
        &records_path(env, "/v3", &unique_topic("none")),
        "application/json",
        &json!({"value": {"type": "STRING", "data": "x"}}),
    )
    .assert_error(404, 40403);
    let r = gw.post(
        &path,
        "application/json",
        &json!({"partition_id": 5, "value": {"type": "STRING", "data": "x"}}),
    );
    assert_eq!(r.json()["error_code"], 40403);
}

fn streaming_100k_records_in_order(env: &Backend) {
    const N: usize = 100_000;
    let gw = &env.gateway;
    let topic = create_topic(env, 3);
    // 1000 records per chunk, one bad record every 10,000.
    let chunks = (0..N / 1000).map(|c| {
        let mut chunk = Vec::new();
        for i in c * 1000..(c + 1) * 1000 {
            let record = if i % 10_000 == 5 {
                json!({"value": {"type": "BINARY", "data": "not base64!"}})
            } else {
                json!({"key": {"type": "STRING", "data": format!("k{}", i % 13)},
                       "value": {"type": "STRING", "data": format!("r{i}")}})
            };
            chunk.extend_from_slice(record.to_string().as_bytes());
        }
        chunk
    });
    let mut stream = StreamingRequest::post(
        gw.addr,
        &records_path(env, "/v3", &topic),
        "application/json",
        chunks,
    );
    assert_eq!(stream.status, 200);
    let mut next_offset = [0i64; 3];
    let mut good = 0;
    for i in 0..N {
        let line = stream
            .next_line()
            .unwrap_or_else(|| panic!("report {i} missing"));
        let report: Value = serde_json::from_str(&line).unwrap();
        if i % 10_000 == 5 {
            assert_eq!(report["error_code"], 400, "{report}");
            continue;
        }
        assert_eq!(report["error_code"], 200, "{report}");
        let p = report["partition_id"].as_u64().unwrap() as usize;
        assert_eq!(report["offset"], next_offset[p], "report {i} in order");
        next_offset[p] += 1;
        assert_eq!(report["value"]["size"], format!("r{i}").len());
        good += 1;
    }
    assert_eq!(stream.next_line(), None);
    assert_eq!(stream.finish_writing(), N / 1000);
    assert_eq!(good, N - N / 10_000);

    let read = run_python(
        "consume.py",
        &[],
        &json!({"bootstrap": env.bootstrap, "topic": topic, "partitions": null,
                "count": good, "timeout_s": 60}),
    );
    assert_eq!(read["timed_out"], false);
    let records = read["records"].as_array().unwrap();
    assert_eq!(records.len(), good);
    let mut values: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(b64_from_json(&r["value"]).unwrap()).unwrap())
        .collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), good, "every record exactly once");
}

fn a_slow_reader_of_reports_slows_the_sender(env: &Backend) {
    // Far more records than the gateway may hold unacknowledged plus what
    // the sockets and the response buffer can hold.
    const CHUNKS: usize = 600;
    const PER_CHUNK: usize = 100;
    let gw = &env.gateway;
    let topic = create_topic(env, 1);
    let payload = b64_encode(&[b'x'; 1024]);
    let chunks = (0..CHUNKS).map(move |_| {
        let record = json!({"value": {"type": "BINARY", "data": payload}}).to_string();
        record.repeat(PER_CHUNK).into_bytes()
    });
    let mut stream = StreamingRequest::post(
        gw.addr,
        &records_path(env, "/v3", &topic),
        "application/json",
        chunks,
    );
    // Nobody reads the reports: the writer must stall well before the end.
    let started = Instant::now();
    let mut last = 0;
    while started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(500));
        let now = stream.chunks_written();
        if now == last && now > 0 {
            break;
        }
        last = now;
    }
    let stalled_at = stream.chunks_written();
    eprintln!("the sender stalled after {stalled_at} of {CHUNKS} chunks");
    assert!(
        stalled_at < CHUNKS,
        "the sender was never held back ({stalled_at} of {CHUNKS} chunks written)"
    );
    // Reading the reports lets it finish, with every report in order.
    for i in 0..CHUNKS * PER_CHUNK {
        let line = stream
            .next_line()
            .unwrap_or_else(|| panic!("report {i} missing"));
        let report: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(report["offset"], i as i64, "{report}");
    }
    assert_eq!(stream.finish_writing(), CHUNKS);
}

/// Sends the spec's example requests of the read-only endpoints and checks
/// each response's fields and types against the example response.
fn spec_examples_of_read_endpoints(env: &Backend) {
    use kafka_gateway_tests::spec::{fill, shape_differences, success_examples};
    let gw = &env.gateway;
    let topic = create_topic(env, 2);
    // The broker hosting partition 1 (the examples use partition 1).
    let partition = gw
        .get(&format!(
            "/v3/clusters/{}/topics/{topic}/partitions/1/replicas",
            env.cluster_id
        ))
        .json();
    let broker_id = partition["data"][0]["broker_id"].to_string();
    let values = [
        ("cluster_id", env.cluster_id.as_str()),
        ("topic_name", topic.as_str()),
        ("partition_id", "1"),
        ("broker_id", broker_id.as_str()),
    ];
    let endpoints = [
        "v3.clusters.list",
        "v3.clusters.get",
        "v3.topics.list",
        "v3.topics.get",
        "v3.brokers.list",
        "v3.brokers.get",
        "v3.replicas.search-by-broker",
        "v3.partitions.list",
        "v3.partitions.get",
        "v3.replicas.list",
        "v3.replicas.get",
    ];
    let mut checked = 0;
    for endpoint in endpoints {
        let examples = success_examples(endpoint);
        assert!(!examples.is_empty(), "{endpoint} has no example");
        for example in examples {
            let Some(status) = example["status"].as_u64() else {
                continue;
            };
            let path = fill(example["path"].as_str().unwrap(), &values);
            for prefix_path in [path.clone(), format!("/kafka{path}")] {
                let r = gw.request(example["method"].as_str().unwrap(), &prefix_path, &[], None);
                assert_eq!(r.status, status as u16, "{prefix_path}");
                let diff = shape_differences(&r.json(), &example["response_body"]);
                assert!(
                    diff.is_empty(),
                    "{endpoint} {prefix_path}: {diff:#?}\n{}",
                    r.json()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= endpoints.len() * 2);
}

fn brokers_partitions_and_replicas(env: &Backend) {
    let gw = &env.gateway;
    let id = &env.cluster_id;
    let topic = create_topic(env, 3);
    let brokers = gw.get(&format!("/v3/clusters/{id}/brokers")).json();
    let broker = &brokers["data"][0];
    let broker_id = broker["broker_id"].as_i64().unwrap();
    assert!(
        broker["host"].is_string() && broker["port"].is_u64(),
        "{broker}"
    );
    gw.get(&format!("/v3/clusters/{id}/brokers/987654"))
        .assert_error(404, 404);
    gw.get(&format!("/v3/clusters/{id}/brokers/abc"))
        .assert_error(404, 404);

    let partitions = gw
        .get(&format!("/v3/clusters/{id}/topics/{topic}/partitions"))
        .json();
    assert_eq!(partitions["data"].as_array().unwrap().len(), 3);
    let p2 = gw
        .get(&format!("/v3/clusters/{id}/topics/{topic}/partitions/2"))
        .json();
    assert_eq!(p2["partition_id"], 2);
    let leader_link = p2["leader"]["related"].as_str().unwrap();
    assert!(
        leader_link.ends_with(&format!("/partitions/2/replicas/{broker_id}"))
            || !leader_link.is_empty()
    );
    gw.get(&format!("/v3/clusters/{id}/topics/{topic}/partitions/3"))
        .assert_error(404, 40403);

    let replicas = gw
        .get(&format!(
            "/v3/clusters/{id}/topics/{topic}/partitions/0/replicas"
        ))
        .json();
    let replicas = replicas["data"].as_array().unwrap();
    assert_eq!(
        replicas.iter().filter(|r| r["is_leader"] == true).count(),
        1
    );
    let mut hosted_total = 0;
    for b in brokers["data"].as_array().unwrap() {
        let hosted = gw
            .get(&format!(
                "/v3/clusters/{id}/brokers/{}/partition-replicas",
                b["broker_id"]
            ))
            .json();
        hosted_total += hosted["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["topic_name"] == json!(topic))
            .count();
    }
    // Three partitions, one replica each.
    assert_eq!(hosted_total, 3);
    let _ = broker_id;
}

fn replica_status_from_kafka(env: &Backend) {
    use kafka_gateway_tests::spec::{fill, shape_differences, success_examples};
    let gw = &env.gateway;
    let id = &env.cluster_id;
    let topic = create_topic(env, 2);
    let r = gw.post(
        &records_path(env, "/v3", &topic),
        "application/json",
        &json!({"partition_id": 1, "value": {"type": "STRING", "data": "x"}}),
    );
    assert_eq!(r.json()["error_code"], 200);
    let all = gw
        .get(&format!(
            "/v3/clusters/{id}/topics/-/partitions/-/replica-status"
        ))
        .json();
    assert_eq!(all["kind"], "KafkaReplicaStatusList");
    assert!(all["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["topic_name"] == json!(topic)));
    let of_topic = gw
        .get(&format!(
            "/v3/clusters/{id}/topics/{topic}/partitions/-/replica-status"
        ))
        .json();
    assert_eq!(of_topic["data"].as_array().unwrap().len(), 2);
    let one = gw
        .get(&format!(
            "/v3/clusters/{id}/topics/{topic}/partitions/1/replica-status"
        ))
        .json();
    let r = &one["data"][0];
    assert_eq!(r["partition_id"], 1);
    assert_eq!(r["is_leader"], true);
    assert_eq!(r["is_in_isr"], true);
    assert_eq!(r["log_start_offset"], 0);
    assert_eq!(r["log_end_offset"], 1);
    gw.get(&format!(
        "/v3/clusters/{id}/topics/{topic}/partitions/9/replica-status"
    ))
    .assert_error(404, 40403);
    let values = [
        ("cluster_id", id.as_str()),
        ("topic_name", topic.as_str()),
        ("partition_id", "1"),
    ];
    for endpoint in [
        "v3.topics.replica-statuses.list-all",
        "v3.topics.replica-statuses.list",
        "v3.partitions.replica-statuses.list",
    ] {
        for example in success_examples(endpoint) {
            if example["status"].as_u64() != Some(200) {
                continue;
            }
            let path = fill(example["path"].as_str().unwrap(), &values);
            let r = gw.get(&path);
            assert_eq!(r.status, 200, "{path}");
            let diff = shape_differences(&r.json(), &example["response_body"]);
            assert!(diff.is_empty(), "{endpoint}: {diff:#?}");
        }
    }
}

/// The Confluent-Server-only families answer the reference's 404 body.
fn confluent_server_only_endpoints_are_404(env: &Backend) {
    let gw = &env.gateway;
    let text =
        std::fs::read_to_string(kafka_gateway_tests::repo_root().join("tests/spec/endpoints.json"))
            .unwrap();
    let endpoints: Vec<Value> = serde_json::from_str(&text).unwrap();
    // Served even though the reference lists them as Confluent Server only.
    let served = [
        "default-configs",
        "replica-status",
        ":unregister",
        "brokers:delete",
        "brokers/{broker_id}",
    ];
    let mut checked = 0;
    for e in endpoints
        .iter()
        .filter(|e| e["confluent_server_only"] == true)
    {
        let path = e["path"].as_str().unwrap();
        if served.iter().any(|s| path.ends_with(s)) {
            continue;
        }
        let concrete = path
            .replace("{cluster_id}", &env.cluster_id)
            .replace("{broker_id}", "1")
            .replace(['{', '}'], "");
        for prefix in ["", "/kafka"] {
            let r = gw.request(
                e["method"].as_str().unwrap(),
                &format!("{prefix}{concrete}"),
                &[("Content-Type", "application/json")],
                Some(b"{}"),
            );
            r.assert_error(404, 404);
            assert_eq!(r.json()["message"], "HTTP 404 Not Found");
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked}");
}

/// The spec's example produce requests: the BINARY/JSON/STRING ones get a
/// delivery report shaped like the example's; the schema-registry ones get
/// their own 400 report.
fn spec_examples_of_produce(env: &Backend) {
    use kafka_gateway_tests::spec::{fill, shape_differences, success_examples};
    let gw = &env.gateway;
    let topic = create_topic(env, 2);
    let values = [
        ("cluster_id", env.cluster_id.as_str()),
        ("topic_name", topic.as_str()),
    ];
    let mut checked = 0;
    for example in success_examples("v3.produce.produce-to-topic") {
        let Some(status) = example["status"].as_u64() else {
            continue;
        };
        let path = fill(example["path"].as_str().unwrap(), &values);
        let body = &example["request_body"];
        let typed = |d: &Value| {
            d.is_null()
                || ["BINARY", "JSON", "STRING"].contains(&d["type"].as_str().unwrap_or(""))
                    && d.get("schema_id").is_none()
                    && d.get("subject").is_none()
        };
        let r = gw.post(&path, "application/json", body);
        assert_eq!(r.status, status as u16, "{path}");
        let report = r.json();
        if typed(&body["key"]) && typed(&body["value"]) {
            assert_eq!(report["error_code"], 200, "{body}: {report}");
            let diff = shape_differences(&report, &example["response_body"]);
            // Key or value may be absent from a request, and so from its report.
            let diff: Vec<_> = diff
                .into_iter()
                .filter(|d| {
                    !(d.ends_with("missing") && (d.contains(".key") || d.contains(".value")))
                })
                .collect();
            assert!(diff.is_empty(), "{body}: {diff:#?}");
        } else {
            assert_eq!(report["error_code"], 400, "{body}: {report}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

kafka_gateway_tests::both_backends!(
    spec_examples_of_produce,
    replica_status_from_kafka,
    confluent_server_only_endpoints_are_404,
    clusters_under_both_prefixes,
    topics_list_and_get,
    produce_one_record_as_the_spec_shows,
    record_errors_and_request_errors,
    streaming_100k_records_in_order,
    a_slow_reader_of_reports_slows_the_sender,
    spec_examples_of_read_endpoints,
    brokers_partitions_and_replicas,
);

#[test]
fn access_lists_hide_endpoints() {
    use kafka_gateway_tests::gateway::TestGateway;
    let gw = TestGateway::start_with(&["--dev", "--api.endpoints.blocklist=api.v3.acls.*"]);
    let id = "kafka-gateway-dev";
    let r = gw.get(&format!("/v3/clusters/{id}/acls"));
    r.assert_error(404, 404);
    assert_eq!(gw.get(&format!("/v3/clusters/{id}/topics")).status, 200);
    let gw = TestGateway::start_with(&["--dev", "--api.endpoints.allowlist=api.v2.brokers.list"]);
    assert_eq!(gw.get("/brokers").status, 200);
    gw.get("/topics").assert_error(404, 404);
    gw.get(&format!("/kafka/v3/clusters/{id}"))
        .assert_error(404, 404);
}
