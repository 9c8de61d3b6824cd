//! The `protobuf` embedded format end to end: the gateway in front of the
//! real test broker and a Schema Registry, checked against confluent-kafka's
//! Protobuf serializer and deserializer (on classes protoc generates from
//! the same .proto).

use kafka_gateway_tests::schema_env::{assigned_consumer, env, fetch, ok};
use serde_json::{json, Value};

const PROTOBUF: &str = "application/vnd.kafka.protobuf.v2+json";

const ORDER_PROTO: &str = r#"syntax = "proto3";
package shop;

message Order {
  int64 id = 1;
  string customer = 2;
  double total = 3;
  bool paid = 4;
  Status status = 5;
  repeated Item items = 6;
  map<string, string> tags = 7;

  enum Status {
    NEW = 0;
    SHIPPED = 1;
  }
  message Item {
    string sku = 1;
    int32 qty = 2;
  }
}
"#;

/// An order as a request gives it.
fn order_in(id: i64, shipped: bool) -> Value {
    let mut v = json!({"id": id, "customer": format!("customer-{id}"), "total": 2.5 * id as f64,
                       "items": [{"sku": "A-1", "qty": 2}], "tags": {"channel": "web"}});
    if shipped {
        v["paid"] = json!(true);
        v["status"] = json!("SHIPPED");
    }
    v
}

/// The same order as the protobuf JSON mapping prints it with default
/// values: 64-bit integers as strings, every field present.
fn order_out(id: i64, shipped: bool) -> Value {
    json!({"id": id.to_string(), "customer": format!("customer-{id}"), "total": 2.5 * id as f64,
           "paid": shipped, "status": if shipped { "SHIPPED" } else { "NEW" },
           "items": [{"sku": "A-1", "qty": 2}], "tags": {"channel": "web"}})
}

#[test]
fn v2_produce_is_read_by_the_protobuf_deserializer_and_the_protobuf_consumer() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("protobuf-v2", 1);
    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        PROTOBUF,
        &json!({"value_schema": ORDER_PROTO,
                "records": [{"value": order_in(1, true), "partition": 0},
                            {"value": order_in(2, false), "partition": 0}]}),
    ));
    assert!(answer["value_schema_id"].is_i64(), "{answer}");
    assert_eq!(answer["key_schema_id"], Value::Null, "{answer}");

    let raw = env.consume_raw(&topic, 2);
    let values: Vec<Value> = raw.iter().map(|r| r["value"].clone()).collect();
    assert_eq!(
        env.deserialize("protobuf", &topic, "value", ORDER_PROTO, values),
        [order_out(1, true), order_out(2, false)]
    );

    let path = assigned_consumer(gw, &topic, "protobuf");
    let got: Vec<Value> = fetch(gw, &path, PROTOBUF, 2)
        .into_iter()
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(got, [order_out(1, true), order_out(2, false)]);
}

#[test]
fn records_from_the_protobuf_serializer_are_read_by_the_protobuf_consumer() {
    let env = env();
    let topic = env.create_topic("protobuf-python", 1);
    let data = env.serialize(
        "protobuf",
        &topic,
        "value",
        ORDER_PROTO,
        &[order_in(7, true), order_in(8, false)],
    );
    env.produce_raw(&topic, &data);
    let path = assigned_consumer(&env.gateway, &topic, "protobuf");
    let got: Vec<Value> = fetch(&env.gateway, &path, PROTOBUF, 2)
        .into_iter()
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(got, [order_out(7, true), order_out(8, false)]);
}

#[test]
fn errors() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("protobuf-errors", 1);
    let post = |body: Value| gw.post(&format!("/topics/{topic}"), PROTOBUF, &body);
    // Fields the message does not have, values of the wrong type: 400.
    let r = post(json!({"value_schema": ORDER_PROTO, "records": [{"value": {"idd": 1}}]}));
    r.assert_error(400, 400);
    assert!(
        r.json()["message"].as_str().unwrap().contains("idd"),
        "{}",
        r.json()
    );
    post(json!({"value_schema": ORDER_PROTO, "records": [{"value": {"customer": 5}}]}))
        .assert_error(400, 400);
    // Not a .proto, and an import the gateway cannot resolve.
    post(json!({"value_schema": "message {", "records": [{"value": {}}]})).assert_error(422, 42205);
    post(json!({"value_schema": "syntax = \"proto3\"; import \"other.proto\"; message M { int32 a = 1; }",
                "records": [{"value": {}}]}))
    .assert_error(422, 42205);
}

#[test]
fn v3_produce() {
    let env = env();
    let topic = env.create_topic("protobuf-v3", 1);
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0,
               "value": {"type": "PROTOBUF", "schema": ORDER_PROTO, "data": order_in(1, true)}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["type"], "PROTOBUF", "{report}");
    assert_eq!(
        report["value"]["subject"],
        format!("{topic}-value"),
        "{report}"
    );
    let id = report["value"]["schema_id"].clone();
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0, "value": {"schema_id": id, "data": order_in(2, false)}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["type"], "PROTOBUF", "{report}");
    let report = env.produce_v3(
        &topic,
        json!({"value": {"type": "PROTOBUF", "data": {"nope": 1}}}),
    );
    assert_eq!(report["error_code"], 400, "{report}");

    let raw = env.consume_raw(&topic, 2);
    let values: Vec<Value> = raw.iter().map(|r| r["value"].clone()).collect();
    assert_eq!(
        env.deserialize("protobuf", &topic, "value", ORDER_PROTO, values),
        [order_out(1, true), order_out(2, false)]
    );
}
