//! The two clusters the end-to-end tests run against: the real test broker
//! (Tansu, or `KAFKA_BOOTSTRAP`) and the in-process development cluster
//! (`wire::testkit`, the one `kafka-gateway --dev` uses), each behind a
//! gateway. [`both_backends!`] runs a test function against each.

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::gateway::TestGateway;
use crate::{run_python, unique_topic, TestBroker};

/// A cluster and a gateway in front of it, shared by a test binary.
#[derive(Debug)]
pub struct Backend {
    /// `bootstrap.servers` of the cluster (for librdkafka).
    pub bootstrap: String,
    /// The gateway.
    pub gateway: TestGateway,
    /// The cluster id the gateway reports.
    pub cluster_id: String,
    /// Whether this is the in-process cluster.
    pub in_process: bool,
    _broker: Option<TestBroker>,
}

impl Backend {
    fn new(gateway: TestGateway, bootstrap: String, broker: Option<TestBroker>) -> Backend {
        let clusters = gateway.get("/v3/clusters").json();
        let cluster_id = clusters["data"][0]["cluster_id"]
            .as_str()
            .expect("cluster id")
            .to_owned();
        Backend {
            bootstrap,
            in_process: broker.is_none(),
            gateway,
            cluster_id,
            _broker: broker,
        }
    }

    /// Creates a topic with librdkafka's AdminClient; returns its name.
    pub fn create_topic(&self, prefix: &str, partitions: i32) -> String {
        self.create_topic_with(prefix, partitions, json!({}))
    }

    /// Creates a topic with configs (`{"cleanup.policy": "compact"}`).
    pub fn create_topic_with(&self, prefix: &str, partitions: i32, configs: Value) -> String {
        let topic = unique_topic(prefix);
        let out = run_python(
            "create_topic.py",
            &[],
            &json!({"bootstrap": self.bootstrap, "topic": topic, "partitions": partitions,
                    "topic_config": configs}),
        );
        assert_eq!(out["ok"], true, "{out}");
        topic
    }

    /// Reads `count` records of every partition of `topic` with librdkafka.
    pub fn consume(&self, topic: &str, partitions: Option<&[i32]>, count: usize) -> Vec<Value> {
        let out = run_python(
            "consume.py",
            &[],
            &json!({"bootstrap": self.bootstrap, "topic": topic, "partitions": partitions,
                    "count": count, "timeout_s": 60}),
        );
        assert_eq!(out["timed_out"], false, "{out}");
        out["records"].as_array().expect("records").clone()
    }
}

/// The real test broker behind a gateway.
pub fn real_broker() -> &'static Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        let broker = TestBroker::start();
        let gateway = TestGateway::start(&broker.bootstrap);
        let bootstrap = broker.bootstrap.clone();
        Backend::new(gateway, bootstrap, Some(broker))
    })
}

/// The in-process development cluster behind a gateway (`--dev`).
pub fn dev_cluster() -> &'static Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        let gateway = TestGateway::dev();
        let bootstrap = gateway.dev_bootstrap.clone().expect("dev bootstrap");
        Backend::new(gateway, bootstrap, None)
    })
}

/// Runs each named `fn(&Backend)` as two tests, `real_broker::<name>` and
/// `dev_cluster::<name>`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod real_broker {
            $(#[test]
            fn $name() {
                super::$name($crate::backend::real_broker());
            })*
        }
        mod dev_cluster {
            $(#[test]
            fn $name() {
                super::$name($crate::backend::dev_cluster());
            })*
        }
    };
}
