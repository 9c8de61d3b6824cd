//! A gateway with a Schema Registry, for the tests of the schema formats
//! (`avro`, `jsonschema`, `protobuf`): the real test broker, the test
//! registry of [`crate::schema_registry`], a gateway in front of both, and
//! helpers that read the topics with librdkafka and (de)serialize with
//! confluent-kafka's Schema Registry serializers (`schema_serde.py`).

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{json, Value};

use crate::gateway::{HttpResponse, TestGateway};
use crate::schema_registry::SchemaRegistry;
use crate::{run_python, unique_topic, TestBroker};

/// The v2 metadata media type.
pub const V2: &str = "application/vnd.kafka.v2+json";

/// The broker, the registry and a gateway using both, shared by a test
/// binary.
#[derive(Debug)]
pub struct Env {
    /// The real test broker.
    pub broker: TestBroker,
    /// The registry.
    pub registry: SchemaRegistry,
    /// A gateway with `schema.registry.url` set to the registry.
    pub gateway: TestGateway,
}

/// The shared [`Env`], started on first use.
pub fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let broker = TestBroker::start();
        let registry = SchemaRegistry::start();
        let gateway = TestGateway::start_with(&[
            &format!("--bootstrap.servers={}", broker.bootstrap),
            &format!("--schema.registry.url={}", registry.url()),
        ]);
        Env {
            broker,
            registry,
            gateway,
        }
    })
}

impl Env {
    /// Creates a topic of `partitions` partitions; returns its name.
    pub fn create_topic(&self, prefix: &str, partitions: i32) -> String {
        let topic = unique_topic(prefix);
        let out = run_python(
            "create_topic.py",
            &[],
            &json!({"bootstrap": self.broker.bootstrap, "topic": topic, "partitions": partitions}),
        );
        assert_eq!(out["ok"], true, "{out}");
        topic
    }

    /// Records of `topic` as librdkafka reads them (raw bytes, base64).
    pub fn consume_raw(&self, topic: &str, count: usize) -> Vec<Value> {
        let out = run_python(
            "consume.py",
            &[],
            &json!({"bootstrap": self.broker.bootstrap, "topic": topic, "count": count,
                    "timeout_s": 60}),
        );
        assert_eq!(out["timed_out"], false, "{out}");
        out["records"].as_array().expect("records").clone()
    }

    /// confluent-kafka's serializer of `format` (`avro`, `json`,
    /// `protobuf`) over `values`: the records' bytes, base64.
    pub fn serialize(
        &self,
        format: &str,
        topic: &str,
        field: &str,
        schema: &str,
        values: &[Value],
    ) -> Vec<Value> {
        let out = run_python(
            "schema_serde.py",
            &[],
            &json!({"op": "serialize", "format": format, "registry": self.registry.url(),
                    "topic": topic, "field": field, "schema": schema, "values": values}),
        );
        out["data"].as_array().expect("data").clone()
    }

    /// confluent-kafka's deserializer of `format` over `data` (base64);
    /// `schema` is the .proto for Protobuf, ignored otherwise.
    pub fn deserialize(
        &self,
        format: &str,
        topic: &str,
        field: &str,
        schema: &str,
        data: Vec<Value>,
    ) -> Vec<Value> {
        let out = run_python(
            "schema_serde.py",
            &[],
            &json!({"op": "deserialize", "format": format, "registry": self.registry.url(),
                    "topic": topic, "field": field, "schema": schema, "data": data}),
        );
        out["values"].as_array().expect("values").clone()
    }

    /// Runs `schema_serde.py` with `request`, its `registry` set to this
    /// registry: for what [`Env::serialize`] and [`Env::deserialize`] do
    /// not pass on (`references`, `imports`, `conf`).
    pub fn schema_serde(&self, mut request: Value) -> Value {
        request["registry"] = json!(self.registry.url());
        run_python("schema_serde.py", &[], &request)
    }

    /// Produces `values` (base64) with librdkafka to partition 0 of `topic`,
    /// without keys.
    pub fn produce_raw(&self, topic: &str, values: &[Value]) {
        let records: Vec<Value> = values
            .iter()
            .map(|v| json!({"key": null, "value": v, "partition": 0}))
            .collect();
        let out = run_python(
            "produce.py",
            &[],
            &json!({"bootstrap": self.broker.bootstrap, "topic": topic, "records": records}),
        );
        assert_eq!(
            out["delivered"].as_array().map(Vec::len),
            Some(values.len()),
            "{out}"
        );
    }

    /// `POST /v3/clusters/{id}/topics/{topic}/records` with one record: the
    /// report, or `{"status", "body"}` when the answer is not 200.
    pub fn produce_v3(&self, topic: &str, record: Value) -> Value {
        let cluster = ok(&self.gateway.get("/v3/clusters"))["data"][0]["cluster_id"]
            .as_str()
            .expect("cluster id")
            .to_owned();
        let r = self.gateway.post(
            &format!("/v3/clusters/{cluster}/topics/{topic}/records"),
            "application/json",
            &record,
        );
        if r.status == 200 {
            r.json()
        } else {
            json!({"status": r.status, "body": r.json()})
        }
    }
}

/// The body of a 200 answer (panics with the body otherwise).
pub fn ok(r: &HttpResponse) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// A v2 consumer in `format` assigned partition 0 of `topic` from the
/// start; returns its path.
pub fn assigned_consumer(gw: &TestGateway, topic: &str, format: &str) -> String {
    let group = unique_topic("schema-group");
    ok(&gw.post(
        &format!("/consumers/{group}"),
        V2,
        &json!({"name": "c", "format": format, "auto.offset.reset": "earliest",
                "auto.commit.enable": "false"}),
    ));
    let path = format!("/consumers/{group}/instances/c");
    let r = gw.post(
        &format!("{path}/assignments"),
        V2,
        &json!({"partitions": [{"topic": topic, "partition": 0}]}),
    );
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    path
}

/// Fetches records of the consumer at `path` until `count` arrived (or a
/// minute passed).
pub fn fetch(gw: &TestGateway, path: &str, accept: &str, count: usize) -> Vec<Value> {
    gw.fetch_records(path, accept, count, Duration::from_secs(60))
}
