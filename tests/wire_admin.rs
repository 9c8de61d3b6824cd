//! `wire::Admin` against the real test broker (Tansu, or `KAFKA_BOOTSTRAP`),
//! with librdkafka's AdminClient as a second opinion where it helps:
//! - topics: creation with counts, broker defaults, assignments and configs;
//!   per-topic errors with the broker's message; deletion;
//! - configs: described, changed with SET / DELETE / APPEND / SUBTRACT and
//!   read back by librdkafka; routing of broker configs to their broker.
//!
//! Tansu answers several admin APIs differently from Kafka (see
//! `docs/testing.md`); where it does, the tests say so and assert what the
//! client does with Tansu's answer.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use kafka_gateway_tests::{run_python, unique_topic, TestBroker};
use serde_json::{json, Value};
use wire::admin::{AlterConfigOp, ConfigEntry, ConfigResource, DescribeConfigsOptions, NewTopic};
use wire::error::ResponseError;
use wire::{Admin, ClientConfig, Error};

/// The single node of the test broker (Tansu's fixed node id).
const NODE: i32 = 111;

fn broker() -> &'static TestBroker {
    static BROKER: OnceLock<TestBroker> = OnceLock::new();
    BROKER.get_or_init(TestBroker::start)
}

async fn admin() -> Admin {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut config = ClientConfig::new(&broker().bootstrap).expect("config");
    config.api_timeout = Duration::from_secs(10);
    Admin::connect(config).await.expect("connect")
}

fn values(entries: &[ConfigEntry]) -> BTreeMap<String, Option<String>> {
    entries
        .iter()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect()
}

/// A topic's configs as librdkafka's AdminClient describes them: name → value.
fn rdkafka_topic_configs(topic: &str) -> BTreeMap<String, Value> {
    let out = run_python(
        "describe_configs.py",
        &[],
        &json!({
            "bootstrap": broker().bootstrap,
            "resources": [{"type": "topic", "name": topic}],
        }),
    );
    let configs = &out["resources"][0]["configs"];
    configs
        .as_object()
        .unwrap_or_else(|| panic!("no configs for {topic}: {out}"))
        .iter()
        .map(|(k, v)| (k.clone(), v["value"].clone()))
        .collect()
}

#[tokio::test]
async fn create_topics_reports_each_topic() {
    let admin = admin().await;
    let counted = unique_topic("admin-counted");
    let defaults = unique_topic("admin-defaults");
    let placed = unique_topic("admin-placed");
    let results = admin
        .create_topics(
            &[
                NewTopic::new(&counted)
                    .with_partitions(2)
                    .with_replication_factor(1)
                    .with_config("retention.ms", "12345"),
                NewTopic::new(&defaults),
                NewTopic::new(&placed)
                    .with_assignment(0, vec![NODE])
                    .with_assignment(1, vec![NODE]),
            ],
            false,
        )
        .await
        .expect("create topics");
    assert_eq!(results.len(), 3);
    let created = results[&counted].as_ref().expect("counted topic");
    assert_eq!(created.name, counted);
    assert_eq!(created.partitions, Some(2));
    assert_eq!(created.replication_factor, Some(1));
    assert_ne!(
        created.topic_id, [0; 16],
        "CreateTopics v7 reports topic ids"
    );
    // Tansu's default partition count (CreateTopics with -1) is 3, and it
    // ignores replica assignments (the request has -1 partitions then, so it
    // creates 3). Kafka creates the 2 assigned partitions.
    let tansu = !broker().is_external();
    let created = results[&defaults].as_ref().expect("topic with defaults");
    assert!(created.partitions.is_some_and(|p| p >= 1));
    let placed_partitions = if tansu { 3 } else { 2 };
    let created = results[&placed].as_ref().expect("placed topic");
    assert_eq!(created.partitions, Some(placed_partitions));
    let default_partitions = created_partitions(&results[&defaults]);

    for (name, partitions) in [
        (&counted, 2),
        (&defaults, default_partitions),
        (&placed, placed_partitions),
    ] {
        let topic = admin.wait_for_topic(name).await.expect("topic in metadata");
        assert_eq!(topic.partitions.len(), partitions as usize, "{name}");
        assert!(!topic.is_internal);
        for p in &topic.partitions {
            assert_eq!((p.leader, &p.replicas), (NODE, &vec![NODE]), "{name}");
        }
        let id = results[name].as_ref().expect("created").topic_id;
        assert_eq!(
            topic.id, id,
            "metadata and CreateTopics agree on {name}'s id"
        );
    }

    // A second creation fails for that topic only, with the broker's message.
    let again = unique_topic("admin-new");
    let results = admin
        .create_topics(&[NewTopic::new(&counted), NewTopic::new(&again)], false)
        .await
        .expect("create topics");
    assert!(results[&again].is_ok());
    match &results[&counted] {
        Err(e @ Error::Broker { topic, api, .. }) => {
            assert_eq!(e.code(), Some(ResponseError::TopicAlreadyExists));
            assert_eq!(
                (topic.as_deref(), *api),
                (Some(counted.as_str()), "CreateTopics")
            );
            assert!(e.message().is_some_and(|m| !m.is_empty()), "{e}");
            assert!(!e.is_retriable());
        }
        other => panic!("expected TOPIC_ALREADY_EXISTS, got {other:?}"),
    }
    let e = admin
        .create_topic(&NewTopic::new(&counted), false)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ResponseError::TopicAlreadyExists));

    // Arguments are checked before anything is sent.
    let e = admin
        .create_topics(&[NewTopic::new(&again), NewTopic::new(&again)], false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
}

#[tokio::test]
async fn delete_topics_reports_each_topic() {
    let admin = admin().await;
    let a = unique_topic("admin-del-a");
    let b = unique_topic("admin-del-b");
    let missing = unique_topic("admin-del-missing");
    for name in [&a, &b] {
        admin
            .create_topic(&NewTopic::new(name).with_partitions(1), false)
            .await
            .expect("create");
        admin.wait_for_topic(name).await.expect("created");
    }
    let results = admin
        .delete_topics(&[a.clone(), b.clone(), missing.clone()])
        .await
        .expect("delete topics");
    assert!(results[&a].is_ok() && results[&b].is_ok(), "{results:?}");
    match &results[&missing] {
        Err(e @ Error::Broker { topic, .. }) => {
            assert_eq!(e.code(), Some(ResponseError::UnknownTopicOrPartition));
            assert_eq!(topic.as_deref(), Some(missing.as_str()));
        }
        other => panic!("expected UNKNOWN_TOPIC_OR_PARTITION, got {other:?}"),
    }
    let e = admin.delete_topic(&missing).await.unwrap_err();
    assert_eq!(e.code(), Some(ResponseError::UnknownTopicOrPartition));

    let metadata = admin.client().refresh_metadata().await.expect("metadata");
    assert!(!metadata.topics.contains_key(&a) && !metadata.topics.contains_key(&b));
    // A deleted name can be used again.
    admin
        .create_topic(&NewTopic::new(&a).with_partitions(2), false)
        .await
        .expect("create again");
    assert_eq!(
        admin
            .wait_for_topic(&a)
            .await
            .expect("metadata")
            .partitions
            .len(),
        2
    );
}

#[tokio::test]
async fn topic_configs_round_trip_with_librdkafka() {
    let admin = admin().await;
    let topic = unique_topic("admin-configs");
    let out = run_python(
        "create_topic.py",
        &[],
        &json!({
            "bootstrap": broker().bootstrap, "topic": topic, "partitions": 1,
            "topic_config": {"retention.ms": "12345", "cleanup.policy": "compact"},
        }),
    );
    assert_eq!(out["ok"], true, "{out}");
    let resource = ConfigResource::Topic(topic.clone());

    // Configs librdkafka set, as wire reads them. Tansu returns only the
    // configs set on the topic, all with source DEFAULT_CONFIG and type
    // STRING (Kafka: DYNAMIC_TOPIC_CONFIG, and every other config too).
    let options = DescribeConfigsOptions {
        include_synonyms: true,
        include_documentation: true,
        ..Default::default()
    };
    let entries = admin
        .describe_config(&resource, &options)
        .await
        .expect("describe");
    let got = values(&entries);
    assert_eq!(got["retention.ms"].as_deref(), Some("12345"));
    assert_eq!(got["cleanup.policy"].as_deref(), Some("compact"));
    assert!(entries.iter().all(|e| !e.sensitive && !e.read_only));

    // Only the names asked for. Tansu cannot take a list of config names
    // (it closes the connection), so this is checked against Kafka only.
    if broker().is_external() {
        let only = DescribeConfigsOptions {
            names: Some(vec!["retention.ms".into()]),
            ..Default::default()
        };
        let entries = admin
            .describe_config(&resource, &only)
            .await
            .expect("describe");
        assert_eq!(
            entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["retention.ms"]
        );
    }

    // Changes made by wire, as librdkafka reads them.
    admin
        .incremental_alter_configs(
            &resource,
            &[
                AlterConfigOp::set("retention.ms", "999"),
                AlterConfigOp::delete("cleanup.policy"),
                AlterConfigOp::set("max.message.bytes", "4096"),
            ],
            false,
        )
        .await
        .expect("alter");
    let seen = rdkafka_topic_configs(&topic);
    assert_eq!(seen.get("retention.ms"), Some(&json!("999")), "{seen:?}");
    assert_eq!(
        seen.get("max.message.bytes"),
        Some(&json!("4096")),
        "{seen:?}"
    );
    assert!(!seen.contains_key("cleanup.policy"), "{seen:?}");

    // List operations.
    admin
        .incremental_alter_configs(
            &resource,
            &[AlterConfigOp::append("cleanup.policy", "compact")],
            false,
        )
        .await
        .expect("append");
    admin
        .incremental_alter_configs(
            &resource,
            &[AlterConfigOp::append("cleanup.policy", "delete")],
            false,
        )
        .await
        .expect("append");
    let got = values(
        &admin
            .describe_config(&resource, &all_configs())
            .await
            .expect("describe"),
    );
    assert_eq!(got["cleanup.policy"].as_deref(), Some("compact,delete"));
    assert_eq!(
        rdkafka_topic_configs(&topic).get("cleanup.policy"),
        Some(&json!("compact,delete"))
    );
    admin
        .incremental_alter_configs(
            &resource,
            &[AlterConfigOp::subtract("cleanup.policy", "compact")],
            false,
        )
        .await
        .expect("subtract");
    let got = values(
        &admin
            .describe_config(&resource, &all_configs())
            .await
            .expect("describe"),
    );
    assert_eq!(got["cleanup.policy"].as_deref(), Some("delete"));
}

fn created_partitions(result: &Result<wire::admin::CreatedTopic, Error>) -> i32 {
    result
        .as_ref()
        .ok()
        .and_then(|t| t.partitions)
        .expect("partition count reported")
}

fn all_configs() -> DescribeConfigsOptions {
    DescribeConfigsOptions::default()
}

#[tokio::test]
async fn configs_of_several_resources_in_one_call() {
    let admin = admin().await;
    let topic = unique_topic("admin-multi");
    admin
        .create_topic(
            &NewTopic::new(&topic)
                .with_partitions(1)
                .with_config("retention.ms", "1"),
            false,
        )
        .await
        .expect("create");
    let resources = [
        ConfigResource::Topic(topic.clone()),
        ConfigResource::Broker(NODE),
        ConfigResource::BrokerDefault,
        ConfigResource::BrokerLogger(NODE),
    ];
    let results = admin
        .describe_configs(&resources, &DescribeConfigsOptions::default())
        .await
        .expect("describe");
    assert_eq!(results.len(), 4);
    let topic_configs = results[&resources[0]].as_ref().expect("topic configs");
    assert_eq!(values(topic_configs)["retention.ms"].as_deref(), Some("1"));
    // Tansu keeps no broker configs: it answers with none (Kafka lists them all).
    for r in &resources[1..] {
        assert!(results[r].is_ok(), "{r}: {:?}", results[r]);
    }

    // A broker that is not in the cluster is refused before anything is sent.
    let e = admin
        .describe_config(&ConfigResource::Broker(4242), &all_configs())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnknownBroker(4242)), "{e}");
    let e = admin
        .incremental_alter_configs(
            &ConfigResource::BrokerLogger(4242),
            &[AlterConfigOp::set("kafka", "DEBUG")],
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnknownBroker(4242)), "{e}");

    // An operation without its value is refused before anything is sent.
    let bad = AlterConfigOp {
        value: None,
        ..AlterConfigOp::set("retention.ms", "")
    };
    let e = admin
        .incremental_alter_configs(&resources[0], &[bad], false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
}
