//! Schema Registry *schema references* end to end: schemas whose
//! `references` name other subjects' versions (a Protobuf import, an Avro
//! named type, a JSON Schema `$ref`), registered in the test registry
//! (`support::schema_registry`), used by the gateway in front of the real
//! test broker, and checked against confluent-kafka's serializers and
//! deserializers, which resolve the same references in the same registry.

use kafka_gateway_tests::b64_decode;
use kafka_gateway_tests::gateway::{http_request, HttpResponse, TestGateway};
use kafka_gateway_tests::schema_env::{assigned_consumer, env, fetch, ok, Env};
use kafka_gateway_tests::schema_registry::SchemaRegistry;
use serde_json::{json, Value};

const AVRO: &str = "application/vnd.kafka.avro.v2+json";
const JSONSCHEMA: &str = "application/vnd.kafka.jsonschema.v2+json";
const PROTOBUF: &str = "application/vnd.kafka.protobuf.v2+json";

// ---------------------------------------------------------------------------
// Schemas.

const COMMON_PROTO: &str = r#"syntax = "proto3";
package shop;

message Address {
  string city = 1;
  string zip = 2;
}
"#;

const ORDER_PROTO: &str = r#"syntax = "proto3";
package shop;

import "common.proto";

message Order {
  string id = 1;
  shop.Address ship_to = 2;
  repeated string items = 3;
}
"#;

/// Imports `common.proto`, and is imported by [`INVOICE_PROTO`].
const CUSTOMER_PROTO: &str = r#"syntax = "proto3";
package shop;

import "common.proto";

message Customer {
  string name = 1;
  shop.Address address = 2;
}
"#;

/// Uses `shop.Address` only through `customer.proto`.
const INVOICE_PROTO: &str = r#"syntax = "proto3";
package shop;

import "customer.proto";

message Invoice {
  string number = 1;
  shop.Customer customer = 2;
  int64 cents = 3;
}
"#;

/// Imports `common.proto` both directly and through `customer.proto` (a
/// diamond).
const SHIPMENT_PROTO: &str = r#"syntax = "proto3";
package shop;

import "common.proto";
import "customer.proto";

message Shipment {
  shop.Customer customer = 1;
  shop.Address origin = 2;
}
"#;

const ADDRESS_AVSC: &str = r#"{"type": "record", "name": "Address", "namespace": "com.example",
    "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": "string"}]}"#;

/// Uses `com.example.Address` by name, plainly and in a union.
const ORDER_AVSC: &str = r#"{"type": "record", "name": "Order", "namespace": "com.example",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "ship_to", "type": "com.example.Address"},
        {"name": "bill_to", "type": ["null", "com.example.Address"], "default": null},
        {"name": "items", "type": {"type": "array", "items": "string"}}
    ]}"#;

/// References `com.example.Address`; referenced by [`INVOICE_AVSC`].
const CUSTOMER_AVSC: &str = r#"{"type": "record", "name": "Customer", "namespace": "com.example",
    "fields": [{"name": "name", "type": "string"},
               {"name": "address", "type": "com.example.Address"}]}"#;

/// References only `com.example.Customer`.
const INVOICE_AVSC: &str = r#"{"type": "record", "name": "Invoice", "namespace": "com.example",
    "fields": [{"name": "number", "type": "string"},
               {"name": "customer", "type": "com.example.Customer"},
               {"name": "cents", "type": "long"}]}"#;

/// References `com.example.Address` both directly and through
/// `com.example.Customer` (a diamond).
const SHIPMENT_AVSC: &str = r#"{"type": "record", "name": "Shipment", "namespace": "com.example",
    "fields": [{"name": "customer", "type": "com.example.Customer"},
               {"name": "origin", "type": "com.example.Address"}]}"#;

const ADDRESS_JSON: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": false}"#;

const ORDER_JSON: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order", "type": "object",
    "properties": {
        "id": {"type": "string"},
        "ship_to": {"$ref": "address.json"},
        "items": {"type": "array", "items": {"type": "string"}}
    },
    "required": ["id", "ship_to"],
    "additionalProperties": false}"#;

/// [`ORDER_JSON`] with the address named by an absolute URI.
const ORDER_ABSOLUTE_JSON: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order", "type": "object",
    "properties": {
        "id": {"type": "string"},
        "ship_to": {"$ref": "https://example.com/schemas/address.json"},
        "items": {"type": "array", "items": {"type": "string"}}
    },
    "required": ["id", "ship_to"],
    "additionalProperties": false}"#;

const ABSOLUTE_ADDRESS: &str = "https://example.com/schemas/address.json";

/// References `address.json`; referenced by [`INVOICE_JSON`].
const CUSTOMER_JSON: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"name": {"type": "string"}, "address": {"$ref": "address.json"}},
    "required": ["name", "address"]}"#;

const INVOICE_JSON: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Invoice", "type": "object",
    "properties": {
        "number": {"type": "string"},
        "customer": {"$ref": "customer.json"},
        "cents": {"type": "integer"}
    },
    "required": ["number", "customer"]}"#;

// ---------------------------------------------------------------------------
// Values.

/// An order in the protobuf JSON mapping (every field set, so it prints the
/// same way it is read).
fn proto_order(id: &str, city: &str) -> Value {
    json!({"id": id, "shipTo": {"city": city, "zip": format!("{city}-zip")},
           "items": [format!("{id}-a"), format!("{id}-b")]})
}

/// An invoice in the protobuf JSON mapping (`int64` as a string).
fn proto_invoice(number: &str, cents: i64) -> Value {
    json!({"number": number,
           "customer": {"name": format!("customer-{number}"),
                        "address": {"city": "Bergen", "zip": "5003"}},
           "cents": cents.to_string()})
}

/// An Avro order as fastavro reads and writes it (unions unwrapped).
fn avro_order_plain(id: &str, city: &str, billed: bool) -> Value {
    let address = json!({"city": city, "zip": format!("{city}-zip")});
    json!({"id": id, "ship_to": address,
           "bill_to": if billed { address.clone() } else { Value::Null },
           "items": [format!("{id}-a")]})
}

/// The same order in Avro's JSON encoding (the gateway's form: the union
/// branch named by the referenced type's full name).
fn avro_order(id: &str, city: &str, billed: bool) -> Value {
    let mut v = avro_order_plain(id, city, billed);
    if billed {
        v["bill_to"] = json!({"com.example.Address": v["ship_to"].clone()});
    }
    v
}

fn avro_invoice(number: &str, cents: i64) -> Value {
    json!({"number": number,
           "customer": {"name": format!("customer-{number}"),
                        "address": {"city": "Bergen", "zip": "5003"}},
           "cents": cents})
}

fn json_order(id: &str, city: &str) -> Value {
    json!({"id": id, "ship_to": {"city": city, "zip": "0150"}, "items": [format!("{id}-a")]})
}

fn json_invoice(number: &str, cents: i64) -> Value {
    json!({"number": number,
           "customer": {"name": format!("customer-{number}"),
                        "address": {"city": "Bergen", "zip": "5003"}},
           "cents": cents})
}

// ---------------------------------------------------------------------------
// Helpers.

/// `{"name", "subject", "version"}`.
fn reference(name: &str, subject: &str, version: i64) -> Value {
    json!({"name": name, "subject": subject, "version": version})
}

/// Registers a schema in the test registry (panics if refused); returns
/// its ID and version.
fn register(env: &Env, subject: &str, kind: &str, text: &str, refs: &[Value]) -> (i64, i64) {
    let answer = env
        .registry
        .register(subject, kind, text, refs)
        .unwrap_or_else(|(status, body)| panic!("registering {subject}: {status} {body}"));
    (
        answer["id"].as_i64().expect("id"),
        answer["version"].as_i64().expect("version"),
    )
}

/// Registers `chain` in order — (subject, reference name, schema text),
/// each after the first with a reference to the one before it — then
/// `text` under `subject`, referencing the last; returns `text`'s ID.
fn register_chain(
    env: &Env,
    kind: &str,
    chain: &[(&str, &str, &str)],
    subject: &str,
    text: &str,
) -> i64 {
    let mut previous: Option<Value> = None;
    for (chain_subject, name, chain_text) in chain {
        let refs: Vec<Value> = previous.take().into_iter().collect();
        let (_, version) = register(env, chain_subject, kind, chain_text, &refs);
        previous = Some(reference(name, chain_subject, version));
    }
    let refs: Vec<Value> = previous.into_iter().collect();
    register(env, subject, kind, text, &refs).0
}

/// A GET of the registry's REST API.
fn registry_get(registry: &SchemaRegistry, path: &str) -> HttpResponse {
    http_request(registry.addr(), "GET", path, &[], None)
}

/// A POST of JSON to the registry's REST API.
fn registry_post(registry: &SchemaRegistry, path: &str, body: &Value) -> HttpResponse {
    let body = body.to_string();
    http_request(
        registry.addr(),
        "POST",
        path,
        &[("Content-Type", "application/vnd.schemaregistry.v1+json")],
        Some(body.as_bytes()),
    )
}

/// The schema ID of a record (base64) in the Schema Registry wire format.
fn schema_id(data: &Value) -> i64 {
    let bytes = b64_decode(data.as_str().expect("base64 data"));
    assert!(bytes.len() > 5 && bytes[0] == 0, "not framed: {bytes:?}");
    i64::from(i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]))
}

/// The values of records from [`Env::consume_raw`].
fn raw_values(raw: &[Value]) -> Vec<Value> {
    raw.iter().map(|r| r["value"].clone()).collect()
}

/// The values a v2 consumer in `format` reads from partition 0 of `topic`.
fn gateway_values(
    gw: &TestGateway,
    topic: &str,
    format: &str,
    accept: &str,
    count: usize,
) -> Vec<Value> {
    let path = assigned_consumer(gw, topic, format);
    let values = fetch(gw, &path, accept, count)
        .into_iter()
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(gw.delete(&path).status, 204);
    values
}

/// The end offset of partition 0 of `topic`.
fn end_offset(gw: &TestGateway, topic: &str) -> i64 {
    ok(&gw.get(&format!("/topics/{topic}/partitions/0/offsets")))["end_offset"]
        .as_i64()
        .expect("end_offset")
}

/// The error of a v3 produce report from [`Env::produce_v3`]: the record's
/// own error (`error_code`, `message`), or the body of a non-200 answer
/// with its HTTP status.
fn v3_error(report: &Value) -> (Option<u64>, u64, String) {
    let (status, error) = if report["body"].is_object() {
        (report["status"].as_u64(), &report["body"])
    } else {
        (None, report)
    };
    (
        status,
        error["error_code"]
            .as_u64()
            .unwrap_or_else(|| panic!("no error_code: {report}")),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// confluent-kafka's Protobuf deserializer over `data`, with classes
/// compiled from `schema` and the files it imports.
fn proto_deserialize(
    env: &Env,
    topic: &str,
    schema: &str,
    imports: &Value,
    data: Vec<Value>,
) -> Vec<Value> {
    let out = env.schema_serde(
        json!({"op": "deserialize", "format": "protobuf", "topic": topic,
                                      "field": "value", "schema": schema, "imports": imports,
                                      "data": data}),
    );
    out["values"].as_array().expect("values").clone()
}

// ---------------------------------------------------------------------------
// The test registry itself.

/// The test registry keeps, answers and checks references as Confluent's
/// registry does.
#[test]
fn the_test_registry_serves_references() {
    let registry = SchemaRegistry::start();
    let post = |path: &str, body: Value| registry_post(&registry, path, &body);
    let address = ok(&post(
        "/subjects/address/versions",
        json!({"schema": ADDRESS_AVSC}),
    ));
    assert_eq!(
        (&address["id"], &address["version"]),
        (&json!(1), &json!(1))
    );
    assert!(address.get("references").is_none(), "{address}");

    let refs = json!([reference("com.example.Address", "address", 1)]);
    let order = ok(&post(
        "/subjects/order-value/versions",
        json!({"schema": ORDER_AVSC, "references": refs}),
    ));
    assert_eq!((&order["id"], &order["version"]), (&json!(2), &json!(1)));
    assert_eq!(order["references"], refs, "{order}");

    // Both lookups carry the references; a schema without any has no key.
    let by_id = ok(&registry_get(&registry, "/schemas/ids/2"));
    assert_eq!(by_id, json!({"schema": ORDER_AVSC, "references": refs}));
    let plain = ok(&registry_get(&registry, "/schemas/ids/1"));
    assert_eq!(plain, json!({"schema": ADDRESS_AVSC}));
    for version in ["1", "latest"] {
        let v = ok(&registry_get(
            &registry,
            &format!("/subjects/order-value/versions/{version}"),
        ));
        assert_eq!(
            v,
            json!({"subject": "order-value", "version": 1, "id": 2, "schema": ORDER_AVSC,
                   "references": refs})
        );
    }

    // The references are part of the schema's identity.
    let again = ok(&post(
        "/subjects/other-value/versions",
        json!({"schema": ORDER_AVSC, "schemaType": "AVRO", "references": refs}),
    ));
    assert_eq!(again["id"], 2, "{again}");
    let unreferenced_address = json!([reference("com.example.Address", "address-copy", 1)]);
    ok(&post(
        "/subjects/address-copy/versions",
        json!({"schema": ADDRESS_AVSC}),
    ));
    let other = ok(&post(
        "/subjects/order-value/versions",
        json!({"schema": ORDER_AVSC, "references": unreferenced_address}),
    ));
    assert_eq!((&other["id"], &other["version"]), (&json!(3), &json!(2)));
    let found = ok(&post(
        "/subjects/order-value",
        json!({"schema": ORDER_AVSC, "references": refs}),
    ));
    assert_eq!((&found["id"], &found["version"]), (&json!(2), &json!(1)));
    let r = post("/subjects/order-value", json!({"schema": ORDER_AVSC}));
    r.assert_error(404, 40403);

    // References to a subject or version the registry does not have: 422 /
    // 42201, and nothing is registered.
    for missing in [
        reference("com.example.Address", "nope", 1),
        reference("com.example.Address", "address", 2),
    ] {
        let r = post(
            "/subjects/dangling-value/versions",
            json!({"schema": ORDER_AVSC, "references": [missing]}),
        );
        r.assert_error(422, 42201);
    }
    post(
        "/subjects/dangling-value/versions",
        json!({"schema": ORDER_AVSC, "references": "x"}),
    )
    .assert_error(422, 42201);
    registry_get(&registry, "/subjects/dangling-value/versions/latest").assert_error(404, 40401);

    // From a test: checked, or stored as given.
    let (status, body) = registry
        .register(
            "dangling-value",
            "AVRO",
            ORDER_AVSC,
            &[reference("x", "nope", 1)],
        )
        .unwrap_err();
    assert_eq!(
        (status, &body["error_code"]),
        (422, &json!(42201)),
        "{body}"
    );
    let stored = registry.register_unchecked(
        "dangling-value",
        "AVRO",
        ORDER_AVSC,
        &[reference("x", "nope", 1)],
    );
    assert_eq!(stored["id"], 4, "{stored}");
    let v = ok(&registry_get(
        &registry,
        "/subjects/dangling-value/versions/1",
    ));
    assert_eq!(v["references"], json!([reference("x", "nope", 1)]));
    let json_schema = registry
        .register("j", "JSON", ADDRESS_JSON, &[])
        .expect("registered");
    assert_eq!(json_schema["schemaType"], "JSON", "{json_schema}");
    assert_eq!(
        ok(&registry_get(&registry, "/subjects"))
            .as_array()
            .map(Vec::len),
        Some(6)
    );
}

// ---------------------------------------------------------------------------
// Protobuf: imports.

/// confluent-kafka's Protobuf serializer registers `common.proto` as a
/// subject of its own and the order with a reference to it; the gateway's
/// protobuf consumer reads its records, and the gateway produces with the
/// same schema (by ID in v2, the subject's latest in v3) records the
/// Protobuf deserializer reads.
#[test]
fn protobuf_serializer_records_with_an_import_are_read_by_the_gateway() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-proto-python", 1);
    let imports = json!({"common.proto": COMMON_PROTO});
    let values = [proto_order("o-1", "Oslo"), proto_order("o-2", "Lima")];
    let out = env.schema_serde(
        json!({"op": "serialize", "format": "protobuf", "topic": topic,
                                      "field": "value", "schema": ORDER_PROTO,
                                      "imports": imports, "values": values}),
    );
    let data = out["data"].as_array().expect("data").clone();

    // What the serializer registered: the order refers to common.proto.
    let latest = ok(&registry_get(
        &env.registry,
        &format!("/subjects/{topic}-value/versions/latest"),
    ));
    let refs = latest["references"].as_array().expect("references").clone();
    assert_eq!(refs.len(), 1, "{latest}");
    assert_eq!(
        (&refs[0]["name"], &refs[0]["subject"]),
        (&json!("common.proto"), &json!("common.proto"))
    );
    ok(&registry_get(
        &env.registry,
        &format!("/subjects/common.proto/versions/{}", refs[0]["version"]),
    ));
    let id = latest["id"].as_i64().expect("id");
    assert!(data.iter().all(|d| schema_id(d) == id), "{data:?}");

    env.produce_raw(&topic, &data);
    assert_eq!(gateway_values(gw, &topic, "protobuf", PROTOBUF, 2), values);

    // The gateway writes with that schema too.
    let answer = ok(&gw.post(
        &format!("/topics/{topic}/partitions/0"),
        PROTOBUF,
        &json!({"value_schema_id": id, "records": [{"value": proto_order("o-3", "Kyiv")}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    assert_eq!(answer["offsets"][0]["error_code"], Value::Null, "{answer}");
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0, "value": {"data": proto_order("o-4", "Pune")}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["schema_id"], id, "{report}");
    assert_eq!(report["value"]["type"], "PROTOBUF", "{report}");

    let raw = env.consume_raw(&topic, 4);
    assert!(raw.iter().all(|r| schema_id(&r["value"]) == id), "{raw:?}");
    assert_eq!(
        proto_deserialize(env, &topic, ORDER_PROTO, &imports, raw_values(&raw)),
        [
            proto_order("o-1", "Oslo"),
            proto_order("o-2", "Lima"),
            proto_order("o-3", "Kyiv"),
            proto_order("o-4", "Pune")
        ]
    );
}

/// The order .proto registered as text with a reference to `common.proto`
/// (itself registered as text under another subject): the gateway produces
/// by ID (v2 and v3) and by version (v3), confluent-kafka's Protobuf
/// deserializer and the gateway's consumer read the records. The same
/// .proto given as text in a request cannot resolve its import.
#[test]
fn protobuf_produce_by_id_with_an_import_is_read_by_the_protobuf_deserializer() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-proto-id", 1);
    let common = format!("{topic}-common");
    let (_, common_version) = register(env, &common, "PROTOBUF", COMMON_PROTO, &[]);
    assert_eq!(common_version, 1);
    let (id, _) = register(
        env,
        &format!("{topic}-value"),
        "PROTOBUF",
        ORDER_PROTO,
        &[reference("common.proto", &common, 1)],
    );

    // Field names or JSON names in requests.
    let mut by_field_name = proto_order("o-1", "Oslo");
    by_field_name["ship_to"] = by_field_name["shipTo"].take();
    by_field_name.as_object_mut().unwrap().remove("shipTo");
    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        PROTOBUF,
        &json!({"value_schema_id": id,
                "records": [{"value": by_field_name, "partition": 0},
                            {"value": proto_order("o-2", "Lima"), "partition": 0}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    for o in answer["offsets"].as_array().expect("offsets") {
        assert_eq!(o["error_code"], Value::Null, "{answer}");
    }
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0, "value": {"schema_id": id, "data": proto_order("o-3", "Kyiv")}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["schema_id"], id, "{report}");
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0,
               "value": {"type": "PROTOBUF", "schema_version": 1, "data": proto_order("o-4", "Pune")}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["schema_id"], id, "{report}");
    assert_eq!(report["value"]["schema_version"], 1, "{report}");
    // Data that does not fit the referenced message: 400, nothing written.
    let r = gw.post(
        &format!("/topics/{topic}"),
        PROTOBUF,
        &json!({"value_schema_id": id, "records": [{"value": {"id": "x", "shipTo": {"town": "y"}}}]}),
    );
    r.assert_error(400, 400);
    assert!(
        r.json()["message"].as_str().unwrap().contains("town"),
        "{}",
        r.json()
    );

    let expected = [
        proto_order("o-1", "Oslo"),
        proto_order("o-2", "Lima"),
        proto_order("o-3", "Kyiv"),
        proto_order("o-4", "Pune"),
    ];
    let raw = env.consume_raw(&topic, 4);
    assert!(raw.iter().all(|r| schema_id(&r["value"]) == id), "{raw:?}");
    let imports = json!({"common.proto": COMMON_PROTO});
    assert_eq!(
        proto_deserialize(env, &topic, ORDER_PROTO, &imports, raw_values(&raw)),
        expected
    );
    assert_eq!(
        gateway_values(gw, &topic, "protobuf", PROTOBUF, 4),
        expected
    );
    assert_eq!(end_offset(gw, &topic), 4);

    // A .proto given as text has no references: its import is unresolved.
    gw.post(
        &format!("/topics/{topic}"),
        PROTOBUF,
        &json!({"value_schema": ORDER_PROTO, "records": [{"value": proto_order("o-5", "Rome")}]}),
    )
    .assert_error(422, 42205);
    assert_eq!(end_offset(gw, &topic), 4);
}

/// An import of an import: the invoice imports `customer.proto`, which
/// imports `common.proto`; the serializer registers all three with their
/// references, and the gateway reads and writes with the invoice schema.
#[test]
fn protobuf_nested_imports() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-proto-nested", 1);
    let imports = json!({"common.proto": COMMON_PROTO, "customer.proto": CUSTOMER_PROTO});
    let out = env.schema_serde(
        json!({"op": "serialize", "format": "protobuf", "topic": topic,
                                      "field": "value", "schema": INVOICE_PROTO,
                                      "imports": imports,
                                      "values": [proto_invoice("i-1", 1250)]}),
    );
    let data = out["data"].as_array().expect("data").clone();
    let latest = ok(&registry_get(
        &env.registry,
        &format!("/subjects/{topic}-value/versions/latest"),
    ));
    assert_eq!(
        latest["references"][0]["name"], "customer.proto",
        "{latest}"
    );
    assert_eq!(
        latest["references"].as_array().map(Vec::len),
        Some(1),
        "{latest}"
    );
    let customer = ok(&registry_get(
        &env.registry,
        &format!(
            "/subjects/customer.proto/versions/{}",
            latest["references"][0]["version"]
        ),
    ));
    assert_eq!(
        customer["references"][0]["name"], "common.proto",
        "{customer}"
    );
    let id = latest["id"].as_i64().expect("id");

    env.produce_raw(&topic, &data);
    let answer = ok(&gw.post(
        &format!("/topics/{topic}/partitions/0"),
        PROTOBUF,
        &json!({"value_schema_id": id, "records": [{"value": proto_invoice("i-2", -7)}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    let expected = [proto_invoice("i-1", 1250), proto_invoice("i-2", -7)];
    assert_eq!(
        gateway_values(gw, &topic, "protobuf", PROTOBUF, 2),
        expected
    );
    let raw = env.consume_raw(&topic, 2);
    assert_eq!(
        proto_deserialize(env, &topic, INVOICE_PROTO, &imports, raw_values(&raw)),
        expected
    );
}

// ---------------------------------------------------------------------------
// Avro: named types.

/// Registers `com.example.Address` under `address` (version 1) and the
/// order under `{topic}-value` with a reference to it; returns the order's
/// ID.
fn register_avro_order(env: &Env, topic: &str) -> i64 {
    let (_, version) = register(env, "address", "AVRO", ADDRESS_AVSC, &[]);
    assert_eq!(version, 1);
    let (id, _) = register(
        env,
        &format!("{topic}-value"),
        "AVRO",
        ORDER_AVSC,
        &[reference("com.example.Address", "address", 1)],
    );
    id
}

/// The gateway produces with a schema that uses a referenced named type
/// (v2 by ID, v3 by ID and the subject's latest); confluent-kafka's Avro
/// deserializer, which resolves the reference itself, and the gateway's
/// avro consumer read the records. The schema given as text cannot name the
/// type.
#[test]
fn avro_produce_by_id_with_a_reference_is_read_by_the_avro_deserializer() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-avro-id", 1);
    let id = register_avro_order(env, &topic);

    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        AVRO,
        &json!({"value_schema_id": id,
                "records": [{"value": avro_order("o-1", "Oslo", true), "partition": 0},
                            {"value": avro_order("o-2", "Lima", false), "partition": 0}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    for o in answer["offsets"].as_array().expect("offsets") {
        assert_eq!(o["error_code"], Value::Null, "{answer}");
    }
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0,
               "value": {"schema_id": id, "data": avro_order("o-3", "Kyiv", true)}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["schema_id"], id, "{report}");
    assert_eq!(report["value"]["type"], "AVRO", "{report}");
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0, "value": {"data": avro_order("o-4", "Pune", false)}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["schema_id"], id, "{report}");
    assert_eq!(report["value"]["schema_version"], 1, "{report}");
    // A referenced record missing a field: 400, nothing written.
    let mut bad = avro_order("o-5", "Rome", false);
    bad["ship_to"] = json!({"city": "Rome"});
    gw.post(
        &format!("/topics/{topic}"),
        AVRO,
        &json!({"value_schema_id": id, "records": [{"value": bad}]}),
    )
    .assert_error(400, 400);

    let raw = env.consume_raw(&topic, 4);
    assert!(raw.iter().all(|r| schema_id(&r["value"]) == id), "{raw:?}");
    assert_eq!(
        env.deserialize("avro", &topic, "value", "", raw_values(&raw)),
        [
            avro_order_plain("o-1", "Oslo", true),
            avro_order_plain("o-2", "Lima", false),
            avro_order_plain("o-3", "Kyiv", true),
            avro_order_plain("o-4", "Pune", false)
        ]
    );
    assert_eq!(
        gateway_values(gw, &topic, "avro", AVRO, 4),
        [
            avro_order("o-1", "Oslo", true),
            avro_order("o-2", "Lima", false),
            avro_order("o-3", "Kyiv", true),
            avro_order("o-4", "Pune", false)
        ]
    );
    assert_eq!(end_offset(gw, &topic), 4);

    // As text in a request, the schema has no references.
    gw.post(
        &format!("/topics/{topic}"),
        AVRO,
        &json!({"value_schema": ORDER_AVSC, "records": [{"value": avro_order("o-6", "Rome", false)}]}),
    )
    .assert_error(422, 42205);
    assert_eq!(end_offset(gw, &topic), 4);
}

/// confluent-kafka's Avro serializer, given the schema with its reference
/// and told to use the subject's latest version (not to register), writes
/// records the gateway's avro consumer reads.
#[test]
fn avro_serializer_records_with_a_reference_are_read_by_the_avro_consumer() {
    let env = env();
    let topic = env.create_topic("refs-avro-python", 1);
    let id = register_avro_order(env, &topic);
    let out = env.schema_serde(json!({
        "op": "serialize", "format": "avro", "topic": topic, "field": "value",
        "schema": ORDER_AVSC,
        "references": [reference("com.example.Address", "address", 1)],
        "conf": {"auto.register.schemas": false, "use.latest.version": true},
        "values": [avro_order_plain("o-7", "Quito", true), avro_order_plain("o-8", "Accra", false)]}));
    let data = out["data"].as_array().expect("data").clone();
    assert!(data.iter().all(|d| schema_id(d) == id), "{data:?}");
    env.produce_raw(&topic, &data);
    assert_eq!(
        gateway_values(&env.gateway, &topic, "avro", AVRO, 2),
        [
            avro_order("o-7", "Quito", true),
            avro_order("o-8", "Accra", false)
        ]
    );
}

/// A reference of a reference: the invoice references
/// `com.example.Customer`, which references `com.example.Address`.
#[test]
fn avro_nested_references() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-avro-nested", 1);
    let id = register_chain(
        env,
        "AVRO",
        &[
            ("address", "com.example.Address", ADDRESS_AVSC),
            ("customer", "com.example.Customer", CUSTOMER_AVSC),
        ],
        &format!("{topic}-value"),
        INVOICE_AVSC,
    );
    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        AVRO,
        &json!({"value_schema_id": id,
                "records": [{"value": avro_invoice("i-1", 1250), "partition": 0}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0, "value": {"schema_id": id, "data": avro_invoice("i-2", -7)}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    let expected = [avro_invoice("i-1", 1250), avro_invoice("i-2", -7)];
    let raw = env.consume_raw(&topic, 2);
    assert_eq!(
        env.deserialize("avro", &topic, "value", "", raw_values(&raw)),
        expected
    );
    assert_eq!(gateway_values(gw, &topic, "avro", AVRO, 2), expected);
}

// ---------------------------------------------------------------------------
// JSON Schema: `$ref`.

/// Registers `address.json` under `address-json` (version 1) and `schema`
/// under `{topic}-value`, its `$ref` to the address named `name`; returns
/// the ID.
fn register_json_order(env: &Env, topic: &str, schema: &str, name: &str) -> i64 {
    let (_, version) = register(env, "address-json", "JSON", ADDRESS_JSON, &[]);
    assert_eq!(version, 1);
    let (id, _) = register(
        env,
        &format!("{topic}-value"),
        "JSON",
        schema,
        &[reference(name, "address-json", 1)],
    );
    id
}

/// The gateway validates data by schema ID against a schema whose `$ref`
/// names a referenced schema: valid records are written and read back by
/// confluent-kafka's JSON deserializer and the gateway's consumer; records
/// the referenced schema refuses are refused with the place named, and
/// nothing of them is written.
#[test]
fn jsonschema_produce_by_id_with_a_reference() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-json-id", 1);
    let id = register_json_order(env, &topic, ORDER_JSON, "address.json");

    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        JSONSCHEMA,
        &json!({"value_schema_id": id,
                "records": [{"value": json_order("o-1", "Oslo"), "partition": 0},
                            {"value": json_order("o-2", "Lima"), "partition": 0}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0, "value": {"schema_id": id, "data": json_order("o-3", "Kyiv")}}),
    );
    assert_eq!(report["error_code"], 200, "{report}");
    assert_eq!(report["value"]["type"], "JSONSCHEMA", "{report}");
    assert_eq!(report["value"]["schema_id"], id, "{report}");

    // What the referenced schema refuses: no city, a city of the wrong
    // type, a property it does not allow.
    let post = |value: Value| {
        gw.post(
            &format!("/topics/{topic}"),
            JSONSCHEMA,
            &json!({"value_schema_id": id, "records": [{"value": value, "partition": 0}]}),
        )
    };
    for ship_to in [
        json!({"zip": "0150"}),
        json!({"city": 5}),
        json!({"city": "Oslo", "country": "NO"}),
    ] {
        let r = post(json!({"id": "o-x", "ship_to": ship_to}));
        r.assert_error(400, 400);
        let message = r.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("records[0].value.ship_to"), "{message}");
    }
    let report = env.produce_v3(
        &topic,
        json!({"partition_id": 0,
               "value": {"schema_id": id, "data": {"id": "o-y", "ship_to": {"zip": "1"}}}}),
    );
    let (_, code, message) = v3_error(&report);
    assert_eq!(code, 400, "{report}");
    assert!(message.contains("ship_to"), "{report}");
    assert_eq!(end_offset(gw, &topic), 3);

    let expected = [
        json_order("o-1", "Oslo"),
        json_order("o-2", "Lima"),
        json_order("o-3", "Kyiv"),
    ];
    let raw = env.consume_raw(&topic, 3);
    assert!(raw.iter().all(|r| schema_id(&r["value"]) == id), "{raw:?}");
    assert_eq!(
        env.deserialize("json", &topic, "value", "", raw_values(&raw)),
        expected
    );
    assert_eq!(
        gateway_values(gw, &topic, "jsonschema", JSONSCHEMA, 3),
        expected
    );
}

/// confluent-kafka's JSON serializer (which validates against the schema
/// with its reference resolved) writes records the gateway reads.
#[test]
fn json_serializer_records_with_a_reference_are_read_by_the_jsonschema_consumer() {
    let env = env();
    let topic = env.create_topic("refs-json-python", 1);
    let id = register_json_order(env, &topic, ORDER_JSON, "address.json");
    let values = [json_order("o-7", "Quito"), json_order("o-8", "Accra")];
    let out = env.schema_serde(json!({
        "op": "serialize", "format": "json", "topic": topic, "field": "value",
        "schema": ORDER_JSON,
        "references": [reference("address.json", "address-json", 1)],
        "conf": {"auto.register.schemas": false, "use.latest.version": true},
        "values": values}));
    let data = out["data"].as_array().expect("data").clone();
    assert!(data.iter().all(|d| schema_id(d) == id), "{data:?}");
    env.produce_raw(&topic, &data);
    assert_eq!(
        gateway_values(&env.gateway, &topic, "jsonschema", JSONSCHEMA, 2),
        values
    );
}

/// A `$ref` by absolute URI, the reference named by the same URI.
#[test]
fn jsonschema_reference_by_absolute_uri() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-json-absolute", 1);
    let id = register_json_order(env, &topic, ORDER_ABSOLUTE_JSON, ABSOLUTE_ADDRESS);
    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        JSONSCHEMA,
        &json!({"value_schema_id": id,
                "records": [{"value": json_order("o-1", "Oslo"), "partition": 0}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    let r = gw.post(
        &format!("/topics/{topic}"),
        JSONSCHEMA,
        &json!({"value_schema_id": id,
                "records": [{"value": {"id": "o-2", "ship_to": {"zip": "1"}}, "partition": 0}]}),
    );
    r.assert_error(400, 400);
    assert!(
        r.json()["message"].as_str().unwrap().contains("ship_to"),
        "{}",
        r.json()
    );
    assert_eq!(end_offset(gw, &topic), 1);
    let raw = env.consume_raw(&topic, 1);
    assert_eq!(
        env.deserialize("json", &topic, "value", "", raw_values(&raw)),
        [json_order("o-1", "Oslo")]
    );
}

/// A reference of a reference: the invoice's `customer.json` has a
/// `$ref` to `address.json`, a reference of its own.
#[test]
fn jsonschema_nested_references() {
    let env = env();
    let gw = &env.gateway;
    let topic = env.create_topic("refs-json-nested", 1);
    let id = register_chain(
        env,
        "JSON",
        &[
            ("address-json", "address.json", ADDRESS_JSON),
            ("customer-json", "customer.json", CUSTOMER_JSON),
        ],
        &format!("{topic}-value"),
        INVOICE_JSON,
    );
    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        JSONSCHEMA,
        &json!({"value_schema_id": id,
                "records": [{"value": json_invoice("i-1", 1250), "partition": 0}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    // The innermost schema's rule: an address needs a city.
    let mut bad = json_invoice("i-2", 1);
    bad["customer"]["address"] = json!({"zip": "5003"});
    let r = gw.post(
        &format!("/topics/{topic}"),
        JSONSCHEMA,
        &json!({"value_schema_id": id, "records": [{"value": bad, "partition": 0}]}),
    );
    r.assert_error(400, 400);
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("records[0].value.customer.address"),
        "{message}"
    );
    assert_eq!(end_offset(gw, &topic), 1);

    let raw = env.consume_raw(&topic, 1);
    assert_eq!(
        env.deserialize("json", &topic, "value", "", raw_values(&raw)),
        [json_invoice("i-1", 1250)]
    );
    assert_eq!(
        gateway_values(gw, &topic, "jsonschema", JSONSCHEMA, 1),
        [json_invoice("i-1", 1250)]
    );
}

// ---------------------------------------------------------------------------
// References the registry cannot resolve.

/// A schema whose reference names a subject (or a version) the registry
/// does not have: producing with it fails as a registry lookup failure (v2:
/// 408 / 40801; v3: 404, as for an unknown schema ID), naming the
/// reference, in every format, and nothing is written.
#[test]
fn a_reference_the_registry_does_not_have_fails_the_produce() {
    let env = env();
    let gw = &env.gateway;
    register(env, "address", "AVRO", ADDRESS_AVSC, &[]);
    for (format, content_type, kind, text, name, data) in [
        (
            "avro",
            AVRO,
            "AVRO",
            ORDER_AVSC,
            "com.example.Address",
            avro_order("o-1", "Oslo", false),
        ),
        (
            "protobuf",
            PROTOBUF,
            "PROTOBUF",
            ORDER_PROTO,
            "common.proto",
            proto_order("o-1", "Oslo"),
        ),
        (
            "jsonschema",
            JSONSCHEMA,
            "JSON",
            ORDER_JSON,
            "address.json",
            json_order("o-1", "Oslo"),
        ),
    ] {
        let topic = env.create_topic(&format!("refs-missing-{format}"), 1);
        let missing_subject = format!("{topic}-no-such-subject");
        let dangling = [
            reference(name, &missing_subject, 1),
            // A subject that exists, at a version it does not have.
            reference(name, "address", 99),
        ];
        for (i, r) in dangling.iter().enumerate() {
            let stored = env.registry.register_unchecked(
                &format!("{topic}-value-{i}"),
                kind,
                text,
                std::slice::from_ref(r),
            );
            let id = stored["id"].as_i64().expect("id");
            let answer = gw.post(
                &format!("/topics/{topic}"),
                content_type,
                &json!({"value_schema_id": id, "records": [{"value": data, "partition": 0}]}),
            );
            answer.assert_error(408, 40801);
            let message = answer.json()["message"].as_str().unwrap().to_owned();
            assert!(
                message.starts_with("Schema registration or lookup failed: "),
                "{format}: {message}"
            );
            assert!(
                message.contains(r["subject"].as_str().unwrap()),
                "{format}: {message}"
            );

            // v3 maps registry lookups that find nothing to 404 (as for a
            // schema ID the registry does not know, below).
            let report = env.produce_v3(
                &topic,
                json!({"partition_id": 0, "value": {"schema_id": id, "data": data}}),
            );
            let (status, code, message) = v3_error(&report);
            assert!(
                matches!((status, code), (Some(404) | None, 404)),
                "{format} {r}: {report}"
            );
            assert!(message.contains(r["subject"].as_str().unwrap()), "{report}");
        }
        let report = env.produce_v3(
            &topic,
            json!({"partition_id": 0, "value": {"schema_id": 999_999, "data": data}}),
        );
        assert_eq!(v3_error(&report).1, 404, "{report}");
        assert_eq!(end_offset(gw, &topic), 0, "{format}");
    }
}

// ---------------------------------------------------------------------------
// Diamonds.

/// A shipment (the same in Avro and in the protobuf JSON mapping).
fn shipment(name: &str) -> Value {
    json!({"customer": {"name": name, "address": {"city": "Bergen", "zip": "5003"}},
           "origin": {"city": "Oslo", "zip": "0150"}})
}

/// A schema that reaches one referenced schema twice, directly and through
/// another reference, uses its types once: Avro (`com.example.Address`
/// defined once) and Protobuf (`common.proto` compiled once).
#[test]
fn diamond_references() {
    let env = env();
    let gw = &env.gateway;

    let topic = env.create_topic("refs-avro-diamond", 1);
    let (_, address_version) = register(env, "address", "AVRO", ADDRESS_AVSC, &[]);
    let (_, customer_version) = register(
        env,
        "customer",
        "AVRO",
        CUSTOMER_AVSC,
        &[reference("com.example.Address", "address", address_version)],
    );
    let (id, _) = register(
        env,
        &format!("{topic}-value"),
        "AVRO",
        SHIPMENT_AVSC,
        &[
            reference("com.example.Address", "address", address_version),
            reference("com.example.Customer", "customer", customer_version),
        ],
    );
    let answer = ok(&gw.post(
        &format!("/topics/{topic}"),
        AVRO,
        &json!({"value_schema_id": id, "records": [{"value": shipment("s-1"), "partition": 0}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    let raw = env.consume_raw(&topic, 1);
    assert_eq!(
        env.deserialize("avro", &topic, "value", "", raw_values(&raw)),
        [shipment("s-1")]
    );
    assert_eq!(
        gateway_values(gw, &topic, "avro", AVRO, 1),
        [shipment("s-1")]
    );

    let topic = env.create_topic("refs-proto-diamond", 1);
    let imports = json!({"common.proto": COMMON_PROTO, "customer.proto": CUSTOMER_PROTO});
    let out = env.schema_serde(
        json!({"op": "serialize", "format": "protobuf", "topic": topic,
                                      "field": "value", "schema": SHIPMENT_PROTO,
                                      "imports": imports, "values": [shipment("s-2")]}),
    );
    let data = out["data"].as_array().expect("data").clone();
    let latest = ok(&registry_get(
        &env.registry,
        &format!("/subjects/{topic}-value/versions/latest"),
    ));
    let names: Vec<&Value> = latest["references"]
        .as_array()
        .expect("references")
        .iter()
        .map(|r| &r["name"])
        .collect();
    assert_eq!(
        names,
        [&json!("common.proto"), &json!("customer.proto")],
        "{latest}"
    );
    let id = latest["id"].as_i64().expect("id");
    env.produce_raw(&topic, &data);
    let answer = ok(&gw.post(
        &format!("/topics/{topic}/partitions/0"),
        PROTOBUF,
        &json!({"value_schema_id": id, "records": [{"value": shipment("s-3")}]}),
    ));
    assert_eq!(answer["value_schema_id"], id, "{answer}");
    let expected = [shipment("s-2"), shipment("s-3")];
    assert_eq!(
        gateway_values(gw, &topic, "protobuf", PROTOBUF, 2),
        expected
    );
    let raw = env.consume_raw(&topic, 2);
    assert_eq!(
        proto_deserialize(env, &topic, SHIPMENT_PROTO, &imports, raw_values(&raw)),
        expected
    );
}
