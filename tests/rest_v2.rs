//! End-to-end tests of the REST Proxy v2 API over HTTP, against the real
//! test broker (Tansu, or `KAFKA_BOOTSTRAP`), with librdkafka reading back
//! what was produced through the gateway.

use std::collections::BTreeMap;

use kafka_gateway_tests::backend::Backend;
use kafka_gateway_tests::gateway::TestGateway;
use kafka_gateway_tests::{b64_encode, b64_from_json, run_python, unique_topic};
use serde_json::{json, Value};

const BINARY: &str = "application/vnd.kafka.binary.v2+json";
const JSON_FORMAT: &str = "application/vnd.kafka.json.v2+json";
const V2: &str = "application/vnd.kafka.v2+json";

fn create_topic(env: &Backend, partitions: i32) -> String {
    env.create_topic("rest-v2", partitions)
}

fn consume(env: &Backend, topic: &str, count: usize) -> Vec<Value> {
    env.consume(topic, None, count)
}

fn root_is_an_empty_object(env: &Backend) {
    let r = env.gateway.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({}));
}

fn topics_partitions_and_brokers(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 3);

    let r = gw.get("/topics");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(V2));
    let names = r.json();
    assert!(
        names.as_array().unwrap().iter().any(|n| n == &json!(topic)),
        "{names}"
    );

    let t = gw.get(&format!("/topics/{topic}")).json();
    assert_eq!(t["name"], json!(topic));
    assert!(t["configs"].is_object(), "{t}");
    let partitions = t["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 3);
    for (i, p) in partitions.iter().enumerate() {
        assert_eq!(p["partition"], json!(i));
        assert!(p["leader"].is_i64());
        let replicas = p["replicas"].as_array().unwrap();
        assert!(!replicas.is_empty());
        let leaders: Vec<_> = replicas.iter().filter(|r| r["leader"] == true).collect();
        assert_eq!(leaders.len(), 1, "{p}");
        assert_eq!(leaders[0]["broker"], p["leader"]);
        assert!(replicas.iter().all(|r| r["in_sync"].is_boolean()));
    }

    let list = gw.get(&format!("/topics/{topic}/partitions")).json();
    assert_eq!(list.as_array().unwrap(), partitions);
    let one = gw.get(&format!("/topics/{topic}/partitions/1")).json();
    assert_eq!(&one, &partitions[1]);

    let offsets = gw.get(&format!("/topics/{topic}/partitions/0/offsets"));
    assert_eq!(offsets.status, 200);
    let offsets = offsets.json();
    assert_eq!(offsets["beginning_offset"], 0, "{offsets}");
    assert!(offsets["end_offset"].is_i64(), "{offsets}");

    let brokers = gw.get("/brokers").json();
    let ids = brokers["brokers"].as_array().unwrap();
    assert!(!ids.is_empty());
    assert!(ids.iter().all(Value::is_i64));
    for p in partitions {
        assert!(ids.contains(&p["leader"]));
    }
}

fn unknown_topics_and_partitions(env: &Backend) {
    let gw = &env.gateway;
    let missing = unique_topic("missing");
    gw.get(&format!("/topics/{missing}"))
        .assert_error(404, 40401);
    gw.get(&format!("/topics/{missing}/partitions"))
        .assert_error(404, 40401);
    gw.get(&format!("/topics/{missing}/partitions/0"))
        .assert_error(404, 40401);
    gw.post(
        &format!("/topics/{missing}"),
        BINARY,
        &json!({"records": [{"value": "a2Fma2E="}]}),
    )
    .assert_error(404, 40401);

    let topic = create_topic(env, 2);
    gw.get(&format!("/topics/{topic}/partitions/2"))
        .assert_error(404, 40402);
    gw.get(&format!("/topics/{topic}/partitions/x"))
        .assert_error(404, 40402);
    gw.get(&format!("/topics/{topic}/partitions/5/offsets"))
        .assert_error(404, 40402);
    gw.post(
        &format!("/topics/{topic}/partitions/7"),
        BINARY,
        &json!({"records": [{"value": "a2Fma2E="}]}),
    )
    .assert_error(404, 40402);
}

fn binary_produce_is_read_back_by_librdkafka(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 3);
    // The spec's example, plus headers and a null value.
    let body = json!({"records": [
        {"key": "a2V5", "value": "Y29uZmx1ZW50"},
        {"value": "a2Fma2E=", "partition": 1},
        {"value": "bG9ncw=="},
        {"key": b64_encode(b"k2"), "value": null,
         "headers": [{"name": "h1", "value": b64_encode(b"v1")}, {"name": "h1", "value": null}]},
    ]});
    let r = gw.post(&format!("/topics/{topic}"), BINARY, &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some(V2));
    let out = r.json();
    assert_eq!(out["key_schema_id"], Value::Null);
    assert_eq!(out["value_schema_id"], Value::Null);
    let offsets = out["offsets"].as_array().unwrap();
    assert_eq!(offsets.len(), 4);
    for o in offsets {
        assert!(o["partition"].is_i64() && o["offset"].is_i64(), "{o}");
        assert_eq!(o["error_code"], Value::Null);
        assert_eq!(o["error"], Value::Null);
    }
    assert_eq!(offsets[1]["partition"], 1);

    let records = consume(env, &topic, 4);
    let by_position: BTreeMap<(i64, i64), &Value> = records
        .iter()
        .map(|r| {
            (
                (
                    r["partition"].as_i64().unwrap(),
                    r["offset"].as_i64().unwrap(),
                ),
                r,
            )
        })
        .collect();
    let expect = [
        (Some(&b"key"[..]), Some(&b"confluent"[..])),
        (None, Some(&b"kafka"[..])),
        (None, Some(&b"logs"[..])),
        (Some(&b"k2"[..]), None),
    ];
    for (o, (key, value)) in offsets.iter().zip(expect) {
        let pos = (
            o["partition"].as_i64().unwrap(),
            o["offset"].as_i64().unwrap(),
        );
        let read = by_position
            .get(&pos)
            .unwrap_or_else(|| panic!("{pos:?} not read back: {records:?}"));
        assert_eq!(b64_from_json(&read["key"]).as_deref(), key);
        assert_eq!(b64_from_json(&read["value"]).as_deref(), value);
    }
    let with_headers = by_position
        .values()
        .find(|r| b64_from_json(&r["key"]).as_deref() == Some(&b"k2"[..]))
        .unwrap();
    assert_eq!(
        with_headers["headers"],
        json!([["h1", b64_encode(b"v1")], ["h1", null]])
    );
}

fn keyed_records_land_where_java_clients_put_them(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 4);
    let keys: Vec<String> = (0..20).map(|i| format!("key-{i}")).collect();
    let body = json!({"records": keys.iter().map(|k| json!({"key": b64_encode(k.as_bytes()), "value": "eA=="})).collect::<Vec<_>>()});
    let out = gw.post(&format!("/topics/{topic}"), BINARY, &body).json();
    let ours: Vec<i64> = out["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["partition"].as_i64().unwrap())
        .collect();
    let theirs = run_python(
        "produce.py",
        &[],
        &json!({"bootstrap": env.bootstrap, "topic": topic, "partitioner": "murmur2_random",
                "records": keys.iter().map(|k| json!({"key": b64_encode(k.as_bytes()), "value": "eA=="})).collect::<Vec<_>>()}),
    );
    let theirs: Vec<i64> = theirs["delivered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["partition"].as_i64().unwrap())
        .collect();
    assert_eq!(ours, theirs);
}

fn json_produce_stores_compact_json(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 2);
    let body = json!({"records": [
        {"key": "somekey", "value": {"foo": "bar"}},
        {"value": ["foo", "bar"], "partition": 1},
        {"value": 53.5},
    ]});
    let r = gw.post(&format!("/topics/{topic}"), JSON_FORMAT, &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let offsets = r.json()["offsets"].as_array().unwrap().clone();
    let records = consume(env, &topic, 3);
    let expected = [
        (Some(r#""somekey""#), r#"{"foo":"bar"}"#),
        (None, r#"["foo","bar"]"#),
        (None, "53.5"),
    ];
    for (o, (key, value)) in offsets.iter().zip(expected) {
        let read = records
            .iter()
            .find(|r| r["partition"] == o["partition"] && r["offset"] == o["offset"])
            .expect("record read back");
        assert_eq!(
            b64_from_json(&read["key"]),
            key.map(|k| k.as_bytes().to_vec())
        );
        assert_eq!(b64_from_json(&read["value"]).unwrap(), value.as_bytes());
    }
}

fn produce_to_a_partition(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 3);
    let body =
        json!({"records": [{"key": "a2V5", "value": "Y29uZmx1ZW50"}, {"value": "a2Fma2E="}]});
    let out = gw
        .post(&format!("/topics/{topic}/partitions/2"), BINARY, &body)
        .json();
    let offsets = out["offsets"].as_array().unwrap();
    assert_eq!(offsets.len(), 2);
    assert!(offsets.iter().all(|o| o["partition"] == 2), "{out}");
    assert_eq!(offsets[0]["offset"], 0);
    assert_eq!(offsets[1]["offset"], 1);
}

fn a_thousand_records_get_a_thousand_offsets_in_order(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 3);
    let records: Vec<Value> = (0..1000)
        .map(|i| json!({"key": b64_encode(format!("k{}", i % 7).as_bytes()), "value": b64_encode(format!("v{i}").as_bytes())}))
        .collect();
    let out = gw
        .post(
            &format!("/topics/{topic}"),
            BINARY,
            &json!({"records": records}),
        )
        .json();
    let offsets = out["offsets"].as_array().unwrap();
    assert_eq!(offsets.len(), 1000);
    let mut next: BTreeMap<i64, i64> = BTreeMap::new();
    for o in offsets {
        assert_eq!(o["error_code"], Value::Null, "{o}");
        let p = o["partition"].as_i64().unwrap();
        let expected = next.entry(p).or_insert(0);
        assert_eq!(
            o["offset"].as_i64().unwrap(),
            *expected,
            "offsets of partition {p} in order"
        );
        *expected += 1;
    }
    let read = consume(env, &topic, 1000);
    assert_eq!(read.len(), 1000);
    for (i, o) in offsets.iter().enumerate() {
        let r = read
            .iter()
            .find(|r| r["partition"] == o["partition"] && r["offset"] == o["offset"])
            .unwrap();
        assert_eq!(
            b64_from_json(&r["value"]).unwrap(),
            format!("v{i}").as_bytes()
        );
    }
}

fn bad_requests_get_documented_errors(env: &Backend) {
    let gw = &env.gateway;
    let topic = create_topic(env, 1);
    let path = format!("/topics/{topic}");

    gw.post(&path, BINARY, &json!({"records": []}))
        .assert_error(422, 422);
    gw.post(&path, BINARY, &json!({})).assert_error(422, 422);
    gw.post(
        &path,
        BINARY,
        &json!({"records": [{"value": "not base64!"}]}),
    )
    .assert_error(400, 400);
    gw.request(
        "POST",
        &path,
        &[("Content-Type", BINARY)],
        Some(b"{\"records\": [".as_slice()),
    )
    .assert_error(400, 400);
    gw.request("POST", &path, &[("Content-Type", "text/plain")], Some(b"x"))
        .assert_error(415, 415);
    // The schema formats need schema.registry.url (tests/rest_avro.rs,
    // rest_jsonschema.rs and rest_protobuf.rs have one).
    for format in ["avro", "jsonschema", "protobuf"] {
        gw.post(
            &path,
            &format!("application/vnd.kafka.{format}.v2+json"),
            &json!({"value_schema": "{\"type\": \"int\"}", "records": [{"value": 12}]}),
        )
        .assert_error(422, 42205);
    }
    gw.request("GET", "/topics", &[("Accept", "text/html")], None)
        .assert_error(406, 406);
    gw.get("/no/such/path").assert_error(404, 404);
    gw.request("DELETE", "/topics", &[], None)
        .assert_error(405, 405);

    // Nothing bad reached the topic.
    let offsets = gw.get(&format!("{path}/partitions/0/offsets")).json();
    assert_eq!(offsets["beginning_offset"], 0);
}

fn a_body_over_the_limit_is_413(env: &Backend) {
    let gw = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", env.bootstrap),
        "--request.body.max.bytes=1024",
    ]);
    let topic = create_topic(env, 1);
    let big = b64_encode(&vec![b'x'; 2048]);
    gw.post(
        &format!("/topics/{topic}"),
        BINARY,
        &json!({"records": [{"value": big}]}),
    )
    .assert_error(413, 413);
}

fn accept_negotiation(env: &Backend) {
    let gw = &env.gateway;
    let r = gw.request("GET", "/brokers", &[("Accept", "application/json")], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = gw.request(
        "GET",
        "/brokers",
        &[(
            "Accept",
            "application/vnd.kafka.v2+json; q=0.9, application/json; q=0.5",
        )],
        None,
    );
    assert_eq!(r.header("content-type"), Some(V2));
    let r = gw.request("GET", "/brokers", &[("Accept", "*/*")], None);
    assert_eq!(r.header("content-type"), Some(V2));
}

/// Sends every example request of the spec's v2 topic, partition, produce
/// and broker endpoints and checks each response's fields and types
/// against the example response. Examples in the schema-registry formats
/// get the documented "not supported" error instead.
fn spec_examples(env: &Backend) {
    use kafka_gateway_tests::spec::{
        header_refs, request_headers, shape_differences, success_examples,
    };
    let gw = &env.gateway;
    let topic = unique_topic("rest-v2-spec");
    let out = run_python(
        "create_topic.py",
        &[],
        &json!({"bootstrap": env.bootstrap, "topic": topic, "partitions": 2,
                "topic_config": {"cleanup.policy": "delete"}}),
    );
    assert_eq!(out["ok"], true, "{out}");
    let endpoints = [
        "v2.topics.list",
        "v2.topics.get",
        "v2.produce-to-topic",
        "v2.partitions.list",
        "v2.partitions.get",
        "v2.partitions.get-offsets",
        "v2.produce-to-partition",
        "v2.brokers.list",
    ];
    let mut checked = 0;
    for endpoint in endpoints {
        for example in success_examples(endpoint) {
            let Some(status) = example["status"].as_u64() else {
                continue;
            };
            let documented = example["path"].as_str().unwrap();
            let path = documented.replacen("/topics/test", &format!("/topics/{topic}"), 1);
            let owned_headers = request_headers(&example);
            let headers = header_refs(&owned_headers);
            let body = match &example["request_body"] {
                Value::Null => None,
                b => Some(b.to_string()),
            };
            let r = gw.request(
                example["method"].as_str().unwrap(),
                &path,
                &headers,
                body.as_deref().map(str::as_bytes),
            );
            let content_type = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| *v)
                .unwrap_or("");
            // Schema-format examples need a registry (tests/rest_avro.rs
            // runs the Avro ones with one).
            if ["avro", "protobuf", "jsonschema"]
                .iter()
                .any(|f| content_type.contains(&format!(".{f}.")))
            {
                r.assert_error(422, 42205);
                continue;
            }
            assert_eq!(
                r.status,
                status as u16,
                "{endpoint} {path}: {}",
                String::from_utf8_lossy(&r.body)
            );
            let diff = shape_differences(&r.json(), &example["response_body"]);
            assert!(
                diff.is_empty(),
                "{endpoint} {path}: {diff:#?}\n{}",
                r.json()
            );
            checked += 1;
        }
    }
    assert!(checked >= endpoints.len(), "{checked}");
}

kafka_gateway_tests::both_backends!(
    root_is_an_empty_object,
    topics_partitions_and_brokers,
    unknown_topics_and_partitions,
    binary_produce_is_read_back_by_librdkafka,
    keyed_records_land_where_java_clients_put_them,
    json_produce_stores_compact_json,
    produce_to_a_partition,
    a_thousand_records_get_a_thousand_offsets_in_order,
    bad_requests_get_documented_errors,
    a_body_over_the_limit_is_413,
    accept_negotiation,
    spec_examples,
);

/// Broker authentication failures are 401 / 40101.
#[test]
fn kafka_authentication_errors() {
    let broker = kafka_gateway_tests::backend::real_broker();
    let gw = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", broker.bootstrap),
        "--client.security.protocol=SASL_PLAINTEXT",
        "--client.sasl.mechanism=PLAIN",
        "--client.sasl.username=alice",
        "--client.sasl.password=secret",
    ]);
    gw.get("/topics").assert_error(401, 40101);
    gw.post(
        "/topics/anything",
        BINARY,
        &json!({"records": [{"value": "eA=="}]}),
    )
    .assert_error(401, 40101);
}

/// Broker authorization failures are 403 / 40301.
#[test]
fn kafka_authorization_errors() {
    use kafka_protocol::messages::ApiKey;
    use wire::error::ResponseError;
    let cluster = wire::testkit::Cluster::start_background(wire::testkit::ClusterConfig::default())
        .expect("in-process cluster");
    cluster.create_topic("guarded", 1, 1).expect("topic");
    let gw = TestGateway::start(&cluster.bootstrap());
    assert_eq!(gw.get("/topics/guarded").status, 200);
    cluster.fail_next(
        ApiKey::DescribeConfigs,
        ResponseError::TopicAuthorizationFailed,
        1,
    );
    gw.get("/topics/guarded").assert_error(403, 40301);
}
