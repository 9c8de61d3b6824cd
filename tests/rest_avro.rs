//! The `avro` embedded format end to end: the gateway in front of the real
//! test broker and a Schema Registry (`support::schema_registry`), checked
//! against librdkafka with confluent-kafka's own Avro serializer and
//! deserializer (fastavro), which read and write the same registry.

use std::time::{Duration, Instant};

use kafka_gateway_tests::gateway::TestGateway;
use kafka_gateway_tests::schema_env::{assigned_consumer, env, fetch, ok, Env, V2};
use kafka_gateway_tests::schema_registry::SchemaRegistry;
use kafka_gateway_tests::{b64_encode, run_python, unique_topic};
use serde_json::{json, Value};

const AVRO: &str = "application/vnd.kafka.avro.v2+json";
const BINARY: &str = "application/vnd.kafka.binary.v2+json";

const ORDER_SCHEMA: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"},
    {"name": "customer", "type": "string"},
    {"name": "total", "type": "double"},
    {"name": "paid", "type": "boolean"},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "SHIPPED"]}},
    {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item",
        "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
    {"name": "tags", "type": {"type": "map", "values": "string"}},
    {"name": "note", "type": ["null", "string"], "default": null}
]}"#;

/// An order in Avro's JSON encoding (the gateway's form: unions wrapped).
fn order(id: i64, note: Option<&str>) -> Value {
    json!({
        "id": id,
        "customer": format!("customer-{id}"),
        "total": 12.5 * id as f64,
        "paid": id % 2 == 0,
        "status": if id % 2 == 0 { "SHIPPED" } else { "NEW" },
        "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": -1}],
        "tags": {"channel": "web"},
        "note": note.map(|n| json!({"string": n})),
    })
}

/// The same order as fastavro reads and writes it (unions unwrapped).
fn order_plain(id: i64, note: Option<&str>) -> Value {
    let mut v = order(id, note);
    v["note"] = json!(note);
    v
}

#[test]
fn v2_produce_is_read_by_the_avro_deserializer_and_the_avro_consumer() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("avro-v2", 1);
    let r = gw.post(
        &format!("/topics/{topic}"),
        AVRO,
        &json!({"key_schema": "\"string\"", "value_schema": ORDER_SCHEMA,
                "records": [{"key": "k1", "value": order(1, Some("gift"))},
                            {"key": "k2", "value": order(2, None)}]}),
    );
    let first = ok(&r);
    let (key_id, value_id) = (
        first["key_schema_id"].clone(),
        first["value_schema_id"].clone(),
    );
    assert!(
        key_id.is_i64() && value_id.is_i64() && key_id != value_id,
        "{first}"
    );
    for o in first["offsets"].as_array().unwrap() {
        assert_eq!(o["error_code"], Value::Null, "{first}");
    }
    // The IDs from the first answer are enough afterwards.
    let r = gw.post(
        &format!("/topics/{topic}/partitions/0"),
        AVRO,
        &json!({"key_schema_id": key_id, "value_schema_id": value_id,
                "records": [{"key": "k3", "value": order(3, None)}, {"value": null}]}),
    );
    let second = ok(&r);
    assert_eq!(
        (&second["key_schema_id"], &second["value_schema_id"]),
        (&key_id, &value_id)
    );

    let raw = env.consume_raw(&topic, 4);
    let keys = deserialize(
        env,
        &topic,
        "key",
        raw[..3].iter().map(|r| r["key"].clone()).collect(),
    );
    assert_eq!(keys, [json!("k1"), json!("k2"), json!("k3")]);
    let values = deserialize(
        env,
        &topic,
        "value",
        raw[..3].iter().map(|r| r["value"].clone()).collect(),
    );
    assert_eq!(
        values,
        [
            order_plain(1, Some("gift")),
            order_plain(2, None),
            order_plain(3, None)
        ]
    );
    assert_eq!(
        raw[3]["value"],
        Value::Null,
        "a null value stays a tombstone"
    );

    let path = assigned_consumer(gw, &topic, "avro");
    let records = fetch(gw, &path, AVRO, 4);
    let got: Vec<(Value, Value)> = records
        .iter()
        .map(|r| (r["key"].clone(), r["value"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (json!("k1"), order(1, Some("gift"))),
            (json!("k2"), order(2, None)),
            (json!("k3"), order(3, None)),
            (Value::Null, Value::Null),
        ]
    );
    // Another embedded format in Accept is refused for this consumer.
    let r = gw.request(
        "GET",
        &format!("{path}/records"),
        &[("Accept", BINARY)],
        None,
    );
    r.assert_error(406, 40601);
    assert_eq!(gw.delete(&path).status, 204);
}

#[test]
fn records_from_the_avro_serializer_are_read_by_the_avro_consumer() {
    let env = env();
    let topic = env.create_topic("avro-python", 1);
    let plain = [order_plain(7, Some("rush")), order_plain(8, None)];
    let data = env.serialize("avro", &topic, "value", ORDER_SCHEMA, &plain);
    env.produce_raw(&topic, &data);

    let path = assigned_consumer(&env.gateway, &topic, "avro");
    let values: Vec<Value> = fetch(&env.gateway, &path, AVRO, 2)
        .into_iter()
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(values, [order(7, Some("rush")), order(8, None)]);
}

#[test]
fn v2_errors() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("avro-errors", 1);
    let post = |body: Value| gw.post(&format!("/topics/{topic}"), AVRO, &body);
    // Values without a value schema, keys without a key schema.
    post(json!({"records": [{"value": 1}]})).assert_error(422, 42202);
    post(json!({"value_schema": "\"int\"", "records": [{"key": "k", "value": 1}]}))
        .assert_error(422, 42201);
    // Null keys need no key schema.
    ok(&post(
        json!({"value_schema": "\"int\"", "records": [{"key": null, "value": 1}]}),
    ));
    // A schema that is not Avro, and a schema given as an object.
    post(json!({"value_schema": "{\"type\": \"record\"}", "records": [{"value": 1}]}))
        .assert_error(422, 42205);
    post(json!({"value_schema": {"type": "int"}, "records": [{"value": 1}]}))
        .assert_error(422, 42205);
    // Data that does not fit the schema: 400, naming the record.
    let r = post(json!({"value_schema": ORDER_SCHEMA,
                        "records": [{"value": order(1, None)}, {"value": {"id": "x"}}]}));
    r.assert_error(400, 400);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("records[1].value"),
        "{}",
        r.json()
    );
    // A union value must name its branch.
    let mut bare = order(1, None);
    bare["note"] = json!("bare");
    post(json!({"value_schema": ORDER_SCHEMA, "records": [{"value": bare}]}))
        .assert_error(400, 400);
    // A schema ID the registry does not know.
    post(json!({"value_schema_id": 99_999, "records": [{"value": 1}]})).assert_error(408, 40801);
    // An unknown topic is 404 before anything is registered.
    let before = env.registry.requests();
    gw.post(
        &format!("/topics/{}", unique_topic("missing")),
        AVRO,
        &json!({"value_schema": "\"long\"", "records": [{"value": 1}]}),
    )
    .assert_error(404, 40401);
    assert_eq!(env.registry.requests(), before);

    // A record that is not in the registry's wire format fails the fetch
    // with 50002 and stays to be read by a consumer in another format.
    let bad = env.create_topic("avro-not-avro", 1);
    ok(&gw.post(
        &format!("/topics/{bad}"),
        BINARY,
        &json!({"records": [{"value": b64_encode(b"hello"), "partition": 0}]}),
    ));
    let path = assigned_consumer(gw, &bad, "avro");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = gw.request(
            "GET",
            &format!("{path}/records?timeout=1000"),
            &[("Accept", AVRO)],
            None,
        );
        if r.status == 200 && r.json() == json!([]) && Instant::now() < deadline {
            continue;
        }
        r.assert_error(500, 50002);
        assert!(
            r.json()["message"].as_str().unwrap().contains("magic byte"),
            "{}",
            r.json()
        );
        break;
    }
    let again = gw.request(
        "GET",
        &format!("{path}/records?timeout=1000"),
        &[("Accept", AVRO)],
        None,
    );
    again.assert_error(500, 50002);
}

#[test]
fn without_a_reachable_registry() {
    let env = env();
    let topic = env.create_topic("avro-noreg", 1);
    // No schema.registry.url: the avro format is refused with the setting named.
    let plain = TestGateway::start(&env.broker.bootstrap);
    let r = plain.post(
        &format!("/topics/{topic}"),
        AVRO,
        &json!({"value_schema": "\"int\"", "records": [{"value": 1}]}),
    );
    r.assert_error(422, 42205);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("schema.registry.url"));
    plain
        .post("/consumers/g", V2, &json!({"name": "c", "format": "avro"}))
        .assert_error(422, 42204);

    // A registry that went away: 408 / 40801.
    let registry = SchemaRegistry::start();
    let gateway = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", env.broker.bootstrap),
        &format!("--schema.registry.url={}", registry.url()),
    ]);
    drop(registry);
    std::thread::sleep(Duration::from_millis(200));
    gateway
        .post(
            &format!("/topics/{topic}"),
            AVRO,
            &json!({"value_schema": "\"int\"", "records": [{"value": 1}]}),
        )
        .assert_error(408, 40801);
}

#[test]
fn registry_credentials_from_user_info() {
    let env = env();
    let topic = env.create_topic("avro-auth", 1);
    let registry = SchemaRegistry::start_with_user("sr-user:sr-secret");
    let body = json!({"value_schema": "\"string\"", "records": [{"value": "v"}]});
    let without = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", env.broker.bootstrap),
        &format!("--schema.registry.url={}", registry.url()),
    ]);
    let r = without.post(&format!("/topics/{topic}"), AVRO, &body);
    r.assert_error(408, 40801);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("Unauthorized"),
        "{}",
        r.json()
    );
    let with = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", env.broker.bootstrap),
        &format!("--schema.registry.url={}", registry.url()),
        "--schema.registry.basic.auth.credentials.source=USER_INFO",
        "--schema.registry.basic.auth.user.info=sr-user:sr-secret",
    ]);
    assert!(ok(&with.post(&format!("/topics/{topic}"), AVRO, &body))["value_schema_id"].is_i64());
}

#[test]
fn v3_produce_with_schemas() {
    let env = env();
    let topic = env.create_topic("avro-v3", 1);
    // A raw schema, registered under the topic's subjects.
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0,
               "key": {"type": "AVRO", "schema": "\"string\"", "data": "k1"},
               "value": {"type": "AVRO", "schema": ORDER_SCHEMA, "data": order(1, Some("gift"))}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    let value_id = report["value"]["schema_id"].clone();
    assert_eq!(report["key"]["type"], "AVRO", "{report}");
    assert_eq!(report["key"]["subject"], format!("{topic}-key"), "{report}");
    assert_eq!(report["key"]["schema_version"], 1, "{report}");
    assert_eq!(report["key"]["size"], 5 + 3, "{report}");
    assert_eq!(
        report["value"]["subject"],
        format!("{topic}-value"),
        "{report}"
    );
    assert!(value_id.is_i64(), "{report}");
    // By ID, by version, and the subject's latest (no type at all).
    for value in [
        json!({"schema_id": value_id, "data": order(2, None)}),
        json!({"type": "AVRO", "schema_version": 1, "data": order(3, None)}),
        json!({"data": order(4, None)}),
    ] {
        let report = env.produce_v3(&topic, json!({"partition_id": 0, "value": value}));
        assert_eq!(report["error_code"], 200, "{report}");
        assert_eq!(report["value"]["schema_id"], value_id, "{report}");
    }
    // Errors are the record's own: data that does not fit, no latest schema.
    let report = env.produce_v3(
        &topic,
        json!({"value": {"schema_id": value_id, "data": {"id": 1}}}),
    );
    assert_eq!(
        report["body"]["error_code"]
            .as_u64()
            .or(report["error_code"].as_u64()),
        Some(400),
        "{report}"
    );
    let fresh = env.create_topic("avro-v3-fresh", 1);
    let report = env.produce_v3(&fresh, json!({"key": {"data": "k"}}));
    let error = if report["body"].is_object() {
        &report["body"]
    } else {
        &report
    };
    assert_eq!(error["error_code"], 50002, "{report}");
    assert_eq!(
        error["message"],
        format!("Error when fetching latest schema version. subject = {fresh}-key")
    );

    let raw = env.consume_raw(&topic, 4);
    let values = deserialize(
        env,
        &topic,
        "value",
        raw.iter().map(|r| r["value"].clone()).collect(),
    );
    assert_eq!(
        values,
        [
            order_plain(1, Some("gift")),
            order_plain(2, None),
            order_plain(3, None),
            order_plain(4, None)
        ]
    );
    assert_eq!(
        deserialize(env, &topic, "key", vec![raw[0]["key"].clone()]),
        [json!("k1")]
    );
}

/// The reference's Avro produce examples (v2, to a topic and to a
/// partition) answer as documented, field for field.
#[test]
fn spec_examples_of_avro_produce() {
    use kafka_gateway_tests::spec::{
        header_refs, request_headers, shape_differences, success_examples,
    };
    let env = env();
    let topic = unique_topic("avro-spec");
    let out = run_python(
        "create_topic.py",
        &[],
        &json!({"bootstrap": env.broker.bootstrap, "topic": topic, "partitions": 2}),
    );
    assert_eq!(out["ok"], true, "{out}");
    let mut checked = 0;
    for endpoint in ["v2.produce-to-topic", "v2.produce-to-partition"] {
        for example in success_examples(endpoint) {
            let owned = request_headers(&example);
            let headers = header_refs(&owned);
            if !headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.contains(".avro."))
            {
                continue;
            }
            let path = example["path"].as_str().unwrap().replacen(
                "/topics/test",
                &format!("/topics/{topic}"),
                1,
            );
            let body = example["request_body"].to_string();
            let r = env
                .gateway
                .request("POST", &path, &headers, Some(body.as_bytes()));
            let answer = ok(&r);
            let diff = shape_differences(&answer, &example["response_body"]);
            assert!(diff.is_empty(), "{path}: {diff:#?}\n{answer}");
            assert!(answer["value_schema_id"].is_i64(), "{answer}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
    let raw = env.consume_raw(&topic, 4);
    let mut values = deserialize(
        env,
        &topic,
        "value",
        raw.iter().map(|r| r["value"].clone()).collect(),
    );
    values.sort_by_key(|v| v.as_i64());
    assert_eq!(values, [json!(12), json!(24), json!(25), json!(26)]);
}

/// An `https` registry, trusted through
/// `schema.registry.ssl.truststore.location`; without it, the web PKI
/// roots do not vouch for the test CA and the lookup fails.
#[test]
fn an_https_registry() {
    let env = env();
    let topic = env.create_topic("avro-https", 1);
    let registry = SchemaRegistry::start_tls();
    assert!(registry.url().starts_with("https://127.0.0.1:"));
    let ca = kafka_gateway_tests::repo_root().join("crates/wire/tests/fixtures/tls/ca.pem");
    let body = json!({"value_schema": "\"long\"", "records": [{"value": 42}]});
    let trusting = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", env.broker.bootstrap),
        &format!("--schema.registry.url={}", registry.url()),
        &format!("--schema.registry.ssl.truststore.location={}", ca.display()),
    ]);
    let answer = ok(&trusting.post(&format!("/topics/{topic}"), AVRO, &body));
    assert_eq!(answer["value_schema_id"], 1, "{answer}");
    let untrusting = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", env.broker.bootstrap),
        &format!("--schema.registry.url={}", registry.url()),
    ]);
    untrusting
        .post(&format!("/topics/{topic}"), AVRO, &body)
        .assert_error(408, 40801);
}

/// A registry that asks for a client certificate: the gateway presents the
/// one of `schema.registry.ssl.keystore.*` (a PKCS12 store, then a PEM
/// file holding both chain and key); without one the handshake fails and
/// the produce is a registry failure.
#[test]
fn an_https_registry_with_client_certificates() {
    let env = env();
    let topic = env.create_topic("avro-mtls", 1);
    let registry = SchemaRegistry::start_mtls();
    let tls = kafka_gateway_tests::repo_root().join("crates/wire/tests/fixtures/tls");
    let trust = format!(
        "--schema.registry.ssl.truststore.location={}",
        tls.join("ca.pem").display()
    );
    let gateway = |extra: &[&str]| {
        let mut args = vec![
            format!("--bootstrap.servers={}", env.broker.bootstrap),
            format!("--schema.registry.url={}", registry.url()),
            trust.clone(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        TestGateway::start_with(&args)
    };
    let body = json!({"value_schema": "\"long\"", "records": [{"value": 7}]});
    let p12 = format!(
        "--schema.registry.ssl.keystore.location={}",
        tls.join("client.p12").display()
    );
    let with_p12 = gateway(&[&p12, "--schema.registry.ssl.keystore.password=changeit"]);
    let answer = ok(&with_p12.post(&format!("/topics/{topic}"), AVRO, &body));
    assert_eq!(answer["value_schema_id"], 1, "{answer}");
    assert_eq!(answer["offsets"][0]["offset"], 0, "{answer}");
    let pem = format!(
        "--schema.registry.ssl.keystore.location={}",
        tls.join("client-keystore.pem").display()
    );
    let with_pem = gateway(&[&pem]);
    let answer = ok(&with_pem.post(&format!("/topics/{topic}"), AVRO, &body));
    assert_eq!(answer["offsets"][0]["offset"], 1, "{answer}");
    let without = gateway(&[]);
    let refused = without.post(&format!("/topics/{topic}"), AVRO, &body);
    refused.assert_error(408, 40801);
    let message = refused.json()["message"].to_string();
    assert!(
        message.contains("Schema registration or lookup failed"),
        "{message}"
    );
    let offsets = ok(&without.get(&format!("/topics/{topic}/partitions/0/offsets")));
    assert_eq!(
        offsets["end_offset"], 2,
        "nothing written without the certificate"
    );
}

/// confluent-kafka's Avro deserializer over `data`.
fn deserialize(env: &Env, topic: &str, field: &str, data: Vec<Value>) -> Vec<Value> {
    env.deserialize("avro", topic, field, "", data)
}
