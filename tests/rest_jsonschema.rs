//! The `jsonschema` embedded format end to end: the gateway in front of
//! the real test broker and a Schema Registry, checked against
//! confluent-kafka's JSON Schema serializer and deserializer.

use kafka_gateway_tests::schema_env::{assigned_consumer, env, fetch, ok};
use serde_json::{json, Value};

const JSONSCHEMA: &str = "application/vnd.kafka.jsonschema.v2+json";

const ORDER_SCHEMA: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order", "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "customer": {"type": "string"},
        "total": {"type": "number", "minimum": 0},
        "items": {"type": "array", "items": {"type": "object",
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
            "required": ["sku", "qty"]}},
        "note": {"type": ["string", "null"]}
    },
    "required": ["id", "customer"],
    "additionalProperties": false}"#;

fn order(id: i64, note: Option<&str>) -> Value {
    json!({"id": id, "customer": format!("customer-{id}"), "total": 2.5 * id as f64,
           "items": [{"sku": "A-1", "qty": 2}], "note": note})
}

#[test]
fn v2_produce_is_read_by_the_json_deserializer_and_the_jsonschema_consumer() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("jsonschema-v2", 1);
    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        JSONSCHEMA,
        &json!({"key_schema": r#"{"type": "string"}"#, "value_schema": ORDER_SCHEMA,
                "records": [{"key": "k1", "value": order(1, Some("gift")), "partition": 0},
                            {"key": "k2", "value": order(2, None), "partition": 0}]}),
    ));
    assert!(
        answer["key_schema_id"].is_i64() && answer["value_schema_id"].is_i64(),
        "{answer}"
    );
    let again = ok(&gw.post(
        &format!("/topics/{topic}/partitions/0"),
        JSONSCHEMA,
        &json!({"value_schema_id": answer["value_schema_id"], "records": [{"value": order(3, None)}]}),
    ));
    assert_eq!(again["value_schema_id"], answer["value_schema_id"]);

    let raw = env.consume_raw(&topic, 3);
    let values: Vec<Value> = raw.iter().map(|r| r["value"].clone()).collect();
    assert_eq!(
        env.deserialize("json", &topic, "value", "", values),
        [order(1, Some("gift")), order(2, None), order(3, None)]
    );
    let keys: Vec<Value> = raw[..2].iter().map(|r| r["key"].clone()).collect();
    assert_eq!(
        env.deserialize("json", &topic, "key", "", keys),
        [json!("k1"), json!("k2")]
    );

    let path = assigned_consumer(gw, &topic, "jsonschema");
    let records = fetch(gw, &path, JSONSCHEMA, 3);
    let got: Vec<(Value, Value)> = records
        .iter()
        .map(|r| (r["key"].clone(), r["value"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (json!("k1"), order(1, Some("gift"))),
            (json!("k2"), order(2, None)),
            (Value::Null, order(3, None)),
        ]
    );
    assert_eq!(gw.delete(&path).status, 204);
}

#[test]
fn records_from_the_json_serializer_are_read_by_the_jsonschema_consumer() {
    let env = env();
    let topic = env.create_topic("jsonschema-python", 1);
    let values = [order(7, Some("rush")), order(8, None)];
    let data = env.serialize("json", &topic, "value", ORDER_SCHEMA, &values);
    env.produce_raw(&topic, &data);
    let path = assigned_consumer(&env.gateway, &topic, "jsonschema");
    let got: Vec<Value> = fetch(&env.gateway, &path, JSONSCHEMA, 2)
        .into_iter()
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(got, values);
}

#[test]
fn errors() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("jsonschema-errors", 1);
    let post = |body: Value| gw.post(&format!("/topics/{topic}"), JSONSCHEMA, &body);
    // A value the schema refuses: 400, naming the record and the places.
    let r = post(json!({"value_schema": ORDER_SCHEMA,
                        "records": [{"value": {"id": "seven", "customer": "c", "extra": 1}}]}));
    r.assert_error(400, 400);
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("records[0].value.id"), "{message}");
    assert!(message.contains("extra"), "{message}");
    // Not a JSON Schema, and a schema ID of another type.
    post(json!({"value_schema": r#"{"type": 12}"#, "records": [{"value": 1}]}))
        .assert_error(422, 42205);
    let avro = ok(&gw.post(
        &format!("/topics/{topic}"),
        "application/vnd.kafka.avro.v2+json",
        &json!({"value_schema": "\"long\"", "records": [{"value": 1}]}),
    ));
    let r = post(json!({"value_schema_id": avro["value_schema_id"], "records": [{"value": 1}]}));
    r.assert_error(422, 42205);
    assert!(
        r.json()["message"].as_str().unwrap().contains("AVRO"),
        "{}",
        r.json()
    );
    // Missing schemas.
    post(json!({"records": [{"value": 1}]})).assert_error(422, 42202);
    // A jsonschema consumer meeting that Avro record: 50002, not skipped.
    let path = assigned_consumer(gw, &topic, "jsonschema");
    let r = gw.request(
        "GET",
        &format!("{path}/records?timeout=3000"),
        &[("Accept", JSONSCHEMA)],
        None,
    );
    r.assert_error(500, 50002);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("not a JSON schema"),
        "{}",
        r.json()
    );
}

#[test]
fn v3_produce() {
    let env = env();
    let topic = env.create_topic("jsonschema-v3", 1);
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0,
               "value": {"type": "JSONSCHEMA", "schema": ORDER_SCHEMA, "data": order(1, None)}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["type"], "JSONSCHEMA", "{report}");
    assert_eq!(
        report["value"]["subject"],
        format!("{topic}-value"),
        "{report}"
    );
    assert_eq!(report["value"]["schema_version"], 1, "{report}");
    // The subject's latest schema, without a type: the schema's own type.
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0, "value": {"data": order(2, None)}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["type"], "JSONSCHEMA", "{report}");
    // Data the schema refuses, and a type that does not match the schema.
    let report = env.produce_v3(&topic, json!({"value": {"data": {"id": 1}}}));
    assert_eq!(report["error_code"], 400, "{report}");
    assert!(
        report["message"].as_str().unwrap().contains("customer"),
        "{report}"
    );
    let report = env.produce_v3(
        &topic,
        json!({"value": {"type": "AVRO", "data": order(3, None)}}),
    );
    assert_eq!(report["error_code"], 400, "{report}");

    let raw = env.consume_raw(&topic, 2);
    let values: Vec<Value> = raw.iter().map(|r| r["value"].clone()).collect();
    assert_eq!(
        env.deserialize("json", &topic, "value", "", values),
        [order(1, None), order(2, None)]
    );
}
