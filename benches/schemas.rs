//! The schema formats' codecs: a record's value from JSON (as a REST
//! request carries it) to the datum stored in Kafka, and back, for Avro,
//! JSON Schema and Protobuf, over the same 1,000 order records.
//!
//! ```sh
//! cargo bench -p kafka-gateway-benches --bench schemas
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use kafka_gateway::format::schema::{Schema, SchemaType};
use serde_json::{json, Value};

const RECORDS: usize = 1_000;

const AVRO: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"}, {"name": "customer", "type": "string"},
    {"name": "total", "type": "double"}, {"name": "paid", "type": "boolean"},
    {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item",
        "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
    {"name": "tags", "type": {"type": "map", "values": "string"}}]}"#;

const JSON_SCHEMA: &str = r#"{"type": "object", "properties": {
    "id": {"type": "integer"}, "customer": {"type": "string"}, "total": {"type": "number"},
    "paid": {"type": "boolean"},
    "items": {"type": "array", "items": {"type": "object", "properties": {
        "sku": {"type": "string"}, "qty": {"type": "integer"}}, "required": ["sku", "qty"]}},
    "tags": {"type": "object", "additionalProperties": {"type": "string"}}},
    "required": ["id", "customer", "total", "paid", "items", "tags"]}"#;

const PROTO: &str = r#"syntax = "proto3";
message Order {
  int64 id = 1; string customer = 2; double total = 3; bool paid = 4;
  repeated Item items = 5; map<string, string> tags = 6;
  message Item { string sku = 1; int32 qty = 2; }
}"#;

/// The records: about 200 bytes of JSON each.
fn orders() -> Vec<Value> {
    (0..RECORDS as i64)
        .map(|i| {
            json!({"id": 1_000_000 + i, "customer": format!("customer-{i:06}"),
                   "total": i as f64 * 1.25, "paid": i % 2 == 0,
                   "items": [{"sku": format!("SKU-{}", i % 97), "qty": 1 + i % 5},
                             {"sku": "SKU-X", "qty": 2}],
                   "tags": {"channel": "web", "region": "eu-west"}})
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let records = orders();
    let mut group = c.benchmark_group("schemas");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .throughput(Throughput::Elements(RECORDS as u64));
    for (name, kind, text) in [
        ("avro", SchemaType::Avro, AVRO),
        ("jsonschema", SchemaType::Json, JSON_SCHEMA),
        ("protobuf", SchemaType::Protobuf, PROTO),
    ] {
        let schema = Schema::parse(kind, text).expect("schema");
        let datums: Vec<Vec<u8>> = records
            .iter()
            .map(|r| {
                let mut out = Vec::new();
                schema.encode(r, &mut out, "value").expect("encode");
                out
            })
            .collect();
        for (datum, record) in datums.iter().zip(&records).take(3) {
            let back = schema.decode(datum, "value").expect("decode");
            assert_eq!(back["customer"], record["customer"], "{name}");
        }
        group.bench_function(format!("encode/{name}"), |b| {
            let mut out = Vec::with_capacity(512);
            b.iter(|| {
                for r in &records {
                    out.clear();
                    schema
                        .encode(black_box(r), &mut out, "value")
                        .expect("encode");
                }
            })
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                for d in &datums {
                    black_box(schema.decode(black_box(d), "value").expect("decode"));
                }
            })
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
