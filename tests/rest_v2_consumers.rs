//! End-to-end tests of the v2 consumer API over HTTP, against the real test
//! broker and the in-process cluster.

use std::time::{Duration, Instant};

use kafka_gateway_tests::backend::Backend;
use kafka_gateway_tests::gateway::{HttpResponse, TestGateway};
use kafka_gateway_tests::{b64_encode, unique_topic};
use serde_json::{json, Value};

const V2: &str = "application/vnd.kafka.v2+json";
const BINARY: &str = "application/vnd.kafka.binary.v2+json";
const JSON_FORMAT: &str = "application/vnd.kafka.json.v2+json";

fn create_consumer(gw: &TestGateway, group: &str, body: Value) -> HttpResponse {
    gw.post(&format!("/consumers/{group}"), V2, &body)
}

fn instance_path(group: &str, name: &str) -> String {
    format!("/consumers/{group}/instances/{name}")
}

fn produce(gw: &TestGateway, topic: &str, values: &[&str]) {
    let records: Vec<Value> = values
        .iter()
        .map(|v| json!({"value": b64_encode(v.as_bytes()), "partition": 0}))
        .collect();
    let r = gw.post(
        &format!("/topics/{topic}"),
        BINARY,
        &json!({"records": records}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn create_and_errors(env: &Backend) {
    let gw = &env.gateway;
    let group = unique_topic("group");
    let r = create_consumer(
        gw,
        &group,
        json!({"name": "c1", "format": "binary", "auto.offset.reset": "earliest", "auto.commit.enable": "false"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["instance_id"], "c1");
    assert_eq!(
        body["base_uri"],
        format!("http://{}/consumers/{group}/instances/c1", gw.addr)
    );
    // Same name again: 409 / 40902.
    create_consumer(gw, &group, json!({"name": "c1"})).assert_error(409, 40902);
    // Bad settings: 422 / 42204.
    create_consumer(
        gw,
        &group,
        json!({"name": "c2", "auto.offset.reset": "sometimes"}),
    )
    .assert_error(422, 42204);
    create_consumer(gw, &group, json!({"name": "c2", "format": "xml"})).assert_error(422, 42204);
    // The schema formats need schema.registry.url (tests/rest_avro.rs).
    create_consumer(gw, &group, json!({"name": "c2", "format": "avro"})).assert_error(422, 42204);
    create_consumer(gw, &group, json!({"name": "c2", "format": "protobuf"}))
        .assert_error(422, 42204);
    create_consumer(
        gw,
        &group,
        json!({"name": "c2", "auto.commit.enable": "maybe"}),
    )
    .assert_error(422, 42204);
    // A generated name.
    let generated = create_consumer(gw, &group, json!({})).json();
    let name = generated["instance_id"].as_str().unwrap().to_owned();
    assert!(!name.is_empty());
    // Unknown instances: 404 / 40403.
    gw.request(
        "GET",
        &format!("{}/subscription", instance_path(&group, "nope")),
        &[],
        None,
    )
    .assert_error(404, 40403);
    gw.delete(&instance_path(&group, "nope"))
        .assert_error(404, 40403);
    // Delete: 204, then gone.
    assert_eq!(gw.delete(&instance_path(&group, "c1")).status, 204);
    gw.request(
        "GET",
        &format!("{}/assignments", instance_path(&group, "c1")),
        &[],
        None,
    )
    .assert_error(404, 40403);
    // A body must be a JSON object: an array (which a derived reader would
    // take field by field) is a 400.
    for (resource, body) in [
        ("subscription", json!([["a-topic"]])),
        (
            "assignments",
            json!([[{"topic": "a-topic", "partition": 0}]]),
        ),
        ("offsets", json!([[]])),
        ("positions", json!([[]])),
    ] {
        gw.post(
            &format!("{}/{resource}", instance_path(&group, &name)),
            V2,
            &body,
        )
        .assert_error(400, 400);
    }
    assert_eq!(gw.delete(&instance_path(&group, &name)).status, 204);
}

fn assign_seek_and_fetch(env: &Backend) {
    let gw = &env.gateway;
    let topic = env.create_topic("v2-consume", 2);
    produce(gw, &topic, &["a", "b", "c", "d"]);
    let group = unique_topic("group");
    let path = instance_path(&group, "reader");
    assert_eq!(
        create_consumer(gw, &group, json!({"name": "reader", "format": "binary"})).status,
        200
    );
    let r = gw.post(
        &format!("{path}/assignments"),
        V2,
        &json!({"partitions": [{"topic": topic, "partition": 0}]}),
    );
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let assigned = gw.get(&format!("{path}/assignments")).json();
    assert_eq!(
        assigned,
        json!({"partitions": [{"topic": topic, "partition": 0}]})
    );
    // A subscription while partitions are assigned: 409 / 40903.
    gw.post(
        &format!("{path}/subscription"),
        V2,
        &json!({"topics": [topic]}),
    )
    .assert_error(409, 40903);

    // Seek to offset 2 and read c, d.
    let r = gw.post(
        &format!("{path}/positions"),
        V2,
        &json!({"offsets": [{"topic": topic, "partition": 0, "offset": 2}]}),
    );
    assert_eq!(r.status, 204);
    let records = gw.fetch_records(&path, BINARY, 2, Duration::from_secs(20));
    let values: Vec<&str> = records
        .iter()
        .map(|r| r["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, [b64_encode(b"c"), b64_encode(b"d")]);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["topic"], json!(topic));
        assert_eq!(r["partition"], 0);
        assert_eq!(r["offset"], 2 + i as i64);
        assert_eq!(r["key"], Value::Null);
        assert!(r["timestamp"].is_i64());
        assert!(r["headers"].is_array());
    }
    // Back to the beginning.
    let r = gw.post(
        &format!("{path}/positions/beginning"),
        V2,
        &json!({"partitions": [{"topic": topic, "partition": 0}]}),
    );
    assert_eq!(r.status, 204);
    let records = gw.fetch_records(&path, BINARY, 4, Duration::from_secs(20));
    assert_eq!(records.len(), 4);
    assert_eq!(records[0]["offset"], 0);
    // To the end: nothing more.
    assert_eq!(
        gw.post(
            &format!("{path}/positions/end"),
            V2,
            &json!({"partitions": [{"topic": topic, "partition": 0}]})
        )
        .status,
        204
    );
    let r = gw.request(
        "GET",
        &format!("{path}/records?timeout=200"),
        &[("Accept", BINARY)],
        None,
    );
    // Tansu answers ListOffsets LATEST wrongly (docs/testing.md), so only
    // the in-process cluster shows where the end is.
    if env.in_process {
        assert_eq!(r.json(), json!([]));
    }
    // Seeking a partition that is not assigned: 409 / 40903.
    gw.post(
        &format!("{path}/positions"),
        V2,
        &json!({"offsets": [{"topic": topic, "partition": 1, "offset": 0}]}),
    )
    .assert_error(409, 40903);
    // Asking for records in another format: 406 / 40601.
    gw.request(
        "GET",
        &format!("{path}/records"),
        &[("Accept", JSON_FORMAT)],
        None,
    )
    .assert_error(406, 40601);
    // Commit an explicit offset with metadata and read it back.
    let r = gw.post(
        &format!("{path}/offsets"),
        V2,
        &json!({"offsets": [{"topic": topic, "partition": 0, "offset": 3, "metadata": "m"}]}),
    );
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let r = gw.request(
        "GET",
        &format!("{path}/offsets"),
        &[("Content-Type", V2)],
        Some(
            json!({"partitions": [{"topic": topic, "partition": 0}]})
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let committed = r.json();
    assert_eq!(committed["offsets"][0]["topic"], json!(topic));
    assert_eq!(committed["offsets"][0]["offset"], 3);
    // Tansu does not keep commit metadata.
    if env.in_process {
        assert_eq!(
            committed,
            json!({"offsets": [{"topic": topic, "partition": 0, "offset": 3, "metadata": "m"}]})
        );
    }
    assert_eq!(gw.delete(&path).status, 204);
}

fn subscribe_consume_commit(env: &Backend) {
    let gw = &env.gateway;
    let topic = env.create_topic("v2-subscribe", 3);
    let group = unique_topic("group");
    let path = instance_path(&group, "sub");
    let r = create_consumer(
        gw,
        &group,
        json!({"name": "sub", "format": "json", "auto.offset.reset": "earliest", "auto.commit.enable": "false"}),
    );
    assert_eq!(r.status, 200);
    let r = gw.post(
        &format!("{path}/subscription"),
        V2,
        &json!({"topics": [topic]}),
    );
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        gw.get(&format!("{path}/subscription")).json(),
        json!({"topics": [topic]})
    );
    // Assignments while subscribed: 409 / 40903.
    gw.post(
        &format!("{path}/assignments"),
        V2,
        &json!({"partitions": [{"topic": topic, "partition": 0}]}),
    )
    .assert_error(409, 40903);
    let r = gw.post(
        &format!("/topics/{topic}"),
        JSON_FORMAT,
        &json!({"records": [{"key": "k1", "value": {"n": 1}}, {"key": "k2", "value": {"n": 2}}, {"key": "k3", "value": [3]}]}),
    );
    assert_eq!(r.status, 200);
    let records = gw.fetch_records(&path, JSON_FORMAT, 3, Duration::from_secs(60));
    assert_eq!(records.len(), 3, "{records:?}");
    let mut values: Vec<String> = records.iter().map(|r| r["value"].to_string()).collect();
    values.sort();
    assert_eq!(values, [r#"[3]"#, r#"{"n":1}"#, r#"{"n":2}"#]);
    // Commit everything fetched, then the committed offsets sum to 3.
    let r = gw.request(
        "POST",
        &format!("{path}/offsets"),
        &[("Content-Type", V2)],
        None,
    );
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let partitions: Vec<Value> = (0..3)
        .map(|p| json!({"topic": topic, "partition": p}))
        .collect();
    let r = gw.request(
        "GET",
        &format!("{path}/offsets"),
        &[("Content-Type", V2)],
        Some(json!({"partitions": partitions}).to_string().as_bytes()),
    );
    let committed: i64 = r.json()["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["offset"].as_i64().unwrap())
        .sum();
    assert_eq!(committed, 3, "{}", r.json());
    // Unsubscribe.
    assert_eq!(gw.delete(&format!("{path}/subscription")).status, 204);
    assert_eq!(
        gw.get(&format!("{path}/subscription")).json(),
        json!({"topics": []})
    );
    assert_eq!(gw.delete(&path).status, 204);
}

fn a_record_that_cannot_be_shown_is_not_lost(env: &Backend) {
    let gw = &env.gateway;
    let topic = env.create_topic("v2-not-json", 1);
    produce(gw, &topic, &["not json", "{\"ok\":1}"]);
    let group = unique_topic("group");
    let path = instance_path(&group, "j");
    assert_eq!(
        create_consumer(gw, &group, json!({"name": "j", "format": "json"})).status,
        200
    );
    let partitions = json!({"partitions": [{"topic": topic, "partition": 0}]});
    assert_eq!(
        gw.post(&format!("{path}/assignments"), V2, &partitions)
            .status,
        204
    );
    assert_eq!(
        gw.post(&format!("{path}/positions/beginning"), V2, &partitions)
            .status,
        204
    );
    // The first record is not JSON: an error, every time, naming it.
    for _ in 0..2 {
        let deadline = Instant::now() + Duration::from_secs(20);
        let r = loop {
            let r = gw.request(
                "GET",
                &format!("{path}/records?timeout=1000"),
                &[("Accept", JSON_FORMAT)],
                None,
            );
            if r.status != 200 || Instant::now() > deadline {
                break r;
            }
        };
        r.assert_error(500, 50002);
        assert!(r.json()["message"].as_str().unwrap().contains("offset 0"));
    }
    // Skipping it gives the next one.
    let r = gw.post(
        &format!("{path}/positions"),
        V2,
        &json!({"offsets": [{"topic": topic, "partition": 0, "offset": 1}]}),
    );
    assert_eq!(r.status, 204);
    let records = gw.fetch_records(&path, JSON_FORMAT, 1, Duration::from_secs(20));
    assert_eq!(records[0]["value"], json!({"ok": 1}));
    assert_eq!(records[0]["offset"], 1);
    assert_eq!(gw.delete(&path).status, 204);
}

/// Every example request of the spec's v2 consumer endpoints, each on a
/// fresh instance set up as the example assumes; responses are compared
/// with the examples field by field. The schema-registry formats get their
/// documented errors instead (42204 at creation, 40601 when reading).
fn spec_examples(env: &Backend) {
    use kafka_gateway_tests::spec::{
        header_refs, request_headers, shape_differences, success_examples,
    };
    let gw = &env.gateway;
    let topic = env.create_topic("test", 2);
    let records =
        json!({"records": [{"value": "eA==", "partition": 0}, {"value": "eQ==", "partition": 1}]});
    assert_eq!(
        gw.post(&format!("/topics/{topic}"), BINARY, &records)
            .status,
        200
    );
    let endpoints = [
        "v2.consumers.create",
        "v2.consumers.delete",
        "v2.consumers.get-committed-offsets",
        "v2.consumers.subscribe",
        "v2.consumers.get-subscription",
        "v2.consumers.unsubscribe",
        "v2.consumers.assign",
        "v2.consumers.get-assignments",
        "v2.consumers.seek-to-offset",
        "v2.consumers.seek-to-beginning",
        "v2.consumers.seek-to-end",
        "v2.consumers.consume",
    ];
    let mut checked = 0;
    for endpoint in endpoints {
        for example in success_examples(endpoint) {
            let Some(status) = example["status"].as_u64() else {
                continue;
            };
            let group = unique_topic("testgroup");
            let path = example["path"]
                .as_str()
                .unwrap()
                .replace("testgroup", &group)
                .replace("avrogroup", &group)
                .replace("jsongroup", &group)
                .replace("my_avro_consumer", "my_consumer")
                .replace("my_json_consumer", "my_consumer");
            let instance = instance_path(&group, "my_consumer");
            let partitions = json!({"partitions": [{"topic": topic, "partition": 0}, {"topic": topic, "partition": 1}]});
            if endpoint != "v2.consumers.create" {
                let r = create_consumer(
                    gw,
                    &group,
                    json!({"name": "my_consumer", "format": "binary", "auto.offset.reset": "earliest"}),
                );
                assert_eq!(r.status, 200);
            }
            if endpoint.contains("seek")
                || endpoint.ends_with("consume")
                || endpoint.ends_with("get-assignments")
            {
                assert_eq!(
                    gw.post(&format!("{instance}/assignments"), V2, &partitions)
                        .status,
                    204
                );
            }
            if endpoint.ends_with("get-subscription") || endpoint.ends_with("unsubscribe") {
                let r = gw.post(
                    &format!("{instance}/subscription"),
                    V2,
                    &json!({"topics": [topic]}),
                );
                assert_eq!(r.status, 204);
            }
            let owned_headers = request_headers(&example);
            let headers = header_refs(&owned_headers);
            let body = match &example["request_body"] {
                Value::Null => None,
                b => Some(b.to_string().replace("\"test\"", &format!("\"{topic}\""))),
            };
            let send = || {
                gw.request(
                    example["method"].as_str().unwrap(),
                    &path,
                    &headers,
                    body.as_deref().map(str::as_bytes),
                )
            };
            let mut r = send();
            let accept = headers
                .iter()
                .find(|(k, _)| *k == "Accept")
                .map_or("", |(_, v)| *v);
            let format = example["request_body"]["format"]
                .as_str()
                .unwrap_or("binary");
            if endpoint.ends_with("create") && format != "binary" {
                r.assert_error(422, 42204);
            } else if endpoint.ends_with("consume") && !accept.contains(".binary.") {
                r.assert_error(406, 40601);
            } else {
                if endpoint.ends_with("consume") {
                    let deadline = Instant::now() + Duration::from_secs(20);
                    while r.json().as_array().is_some_and(Vec::is_empty)
                        && Instant::now() < deadline
                    {
                        r = send();
                    }
                    assert!(!r.json().as_array().unwrap().is_empty());
                }
                assert_eq!(
                    r.status,
                    status as u16,
                    "{endpoint} {path}: {}",
                    String::from_utf8_lossy(&r.body)
                );
                if status == 200 {
                    let diff = shape_differences(&r.json(), &example["response_body"]);
                    assert!(diff.is_empty(), "{endpoint}: {diff:#?}\n{}", r.json());
                }
            }
            checked += 1;
            let _ = gw.delete(&instance);
        }
    }
    assert!(checked >= 15, "{checked}");
}

kafka_gateway_tests::both_backends!(
    spec_examples,
    a_record_that_cannot_be_shown_is_not_lost,
    create_and_errors,
    assign_seek_and_fetch,
    subscribe_consume_commit
);

#[test]
fn idle_instances_expire() {
    let gw = TestGateway::start_with(&["--dev", "--consumer.instance.timeout.ms=1000"]);
    let group = unique_topic("group");
    assert_eq!(
        create_consumer(&gw, &group, json!({"name": "idle"})).status,
        200
    );
    std::thread::sleep(Duration::from_millis(3000));
    gw.get(&format!("{}/subscription", instance_path(&group, "idle")))
        .assert_error(404, 40403);
}
