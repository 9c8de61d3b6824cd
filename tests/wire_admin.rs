//! `wire::Admin` against the real test broker (Tansu, or `KAFKA_BOOTSTRAP`),
//! with librdkafka's AdminClient as a second opinion where it helps:
//! - topics: creation with counts, broker defaults, assignments and configs;
//!   per-topic errors with the broker's message; deletion;
//! - configs: described, changed with SET / DELETE / APPEND / SUBTRACT and
//!   read back by librdkafka; routing of broker configs to their broker;
//! - the cluster and topic metadata, offsets of many partitions for lag;
//! - the typed outcome of every admin API Tansu lacks or gets wrong
//!   (CreatePartitions, DeleteAcls, CreateAcls, reassignments, elections,
//!   log dirs, UnregisterBroker, DeleteRecords).
//!
//! Routing and fallbacks that need several brokers, or brokers without an
//! API, are tested against a scripted cluster in
//! `crates/wire/tests/admin_routing.rs`.
//!
//! Tansu answers several admin APIs differently from Kafka (see
//! `docs/testing.md`); where it does, the tests say so and assert what the
//! client does with Tansu's answer.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use kafka_gateway_tests::{run_python, unique_topic, TestBroker};
use serde_json::{json, Value};
use wire::admin::{
    AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AclResourceType, AlterConfigOp,
    ConfigEntry, ConfigResource, DescribeConfigsOptions, ElectionType, NewTopic, PatternType,
};
use wire::error::ResponseError;
use wire::producer::{Producer, ProducerConfig, ProducerRecord};
use wire::protocol::api::fetch::IsolationLevel;
use wire::protocol::api::list_offsets::OffsetSpec;
use wire::{Admin, ClientConfig, Error, TopicPartition};

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

#[tokio::test]
async fn cluster_and_topic_metadata() {
    let admin = admin().await;
    let topic = unique_topic("admin-meta");
    admin
        .create_topic(&NewTopic::new(&topic).with_partitions(3), false)
        .await
        .expect("create");
    admin.wait_for_topic(&topic).await.expect("created");

    let cluster = admin.describe_cluster().await.expect("describe cluster");
    let node = cluster.broker(NODE).expect("the broker").clone();
    if !broker().is_external() {
        assert_eq!(cluster.cluster_id.as_deref(), Some("tansu_cluster"));
        assert_eq!(cluster.controller_id, Some(NODE));
        let addr = broker().addr();
        assert_eq!((node.host.as_str(), node.port), ("127.0.0.1", addr.port()));
    }
    assert_eq!(admin.describe_broker(NODE).await.expect("broker"), node);
    assert!(matches!(
        admin.describe_broker(4242).await,
        Err(Error::UnknownBroker(4242))
    ));

    let metadata = admin.metadata().await.expect("metadata");
    assert_eq!(metadata.cluster_id, cluster.cluster_id);
    let t = metadata.topics.get(&topic).expect("topic in metadata");
    assert_ne!(t.id, [0; 16]);
    assert!(!t.is_internal);
    let described = admin.describe_topic(&topic).await.expect("describe topic");
    assert_eq!(*described, **t);
    let ids: Vec<i32> = described.partitions.iter().map(|p| p.id).collect();
    assert_eq!(ids, [0, 1, 2]);
    for p in &described.partitions {
        assert_eq!(p.leader, NODE);
        assert_eq!((&p.replicas, &p.isr), (&vec![NODE], &vec![NODE]));
        assert!(p.offline_replicas.is_empty());
    }
    let missing = unique_topic("admin-meta-missing");
    assert!(matches!(
        admin.describe_topic(&missing).await,
        Err(Error::UnknownTopic(name)) if name == missing
    ));
    // Asking does not create it.
    assert!(!admin
        .metadata()
        .await
        .expect("metadata")
        .topics
        .contains_key(&missing));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_of_many_partitions_for_lag() {
    let admin = admin().await;
    let a = unique_topic("admin-lag-a");
    let b = unique_topic("admin-lag-b");
    for name in [&a, &b] {
        admin
            .create_topic(&NewTopic::new(name).with_partitions(2), false)
            .await
            .expect("create");
        admin.wait_for_topic(name).await.expect("created");
    }
    // One record per batch: Tansu's LATEST is only right for those.
    let producer = Producer::new(admin.client().clone(), ProducerConfig::default())
        .await
        .expect("producer");
    let counts = [(&a, 0, 3), (&a, 1, 1), (&b, 0, 0), (&b, 1, 2)];
    for (topic, partition, n) in counts {
        for i in 0..n {
            let record = ProducerRecord {
                partition: Some(partition),
                ..ProducerRecord::new(topic.as_str(), Bytes::from(format!("{i}")))
            };
            producer
                .send(record)
                .await
                .expect("send")
                .wait()
                .await
                .expect("delivered");
        }
    }
    let mut partitions: Vec<TopicPartition> = counts
        .iter()
        .map(|(t, p, _)| TopicPartition::new(t.as_str(), *p))
        .collect();
    partitions.push(TopicPartition::new(a.as_str(), 5));
    partitions.push(TopicPartition::new("admin-lag-no-such-topic", 0));
    let watermarks = admin
        .watermarks(&partitions, IsolationLevel::ReadUncommitted)
        .await
        .expect("watermarks");
    for (topic, partition, n) in counts {
        let w = watermarks[&TopicPartition::new(topic.as_str(), partition)]
            .as_ref()
            .expect("watermarks");
        assert_eq!((w.earliest, w.latest), (0, n), "{topic}-{partition}");
    }
    assert!(matches!(
        watermarks[&partitions[4]],
        Err(Error::UnknownPartition { partition: 5, .. })
    ));
    assert!(matches!(
        watermarks[&partitions[5]],
        Err(Error::UnknownTopic(_))
    ));

    // The same through the client, with one spec per partition.
    let latest = admin
        .client()
        .list_offsets(
            [
                (TopicPartition::new(a.as_str(), 0), OffsetSpec::Latest),
                (TopicPartition::new(b.as_str(), 1), OffsetSpec::Earliest),
            ],
            IsolationLevel::ReadUncommitted,
        )
        .await
        .expect("offsets");
    assert_eq!(
        latest[&TopicPartition::new(a.as_str(), 0)]
            .as_ref()
            .expect("a-0")
            .offset,
        3
    );
    assert_eq!(
        latest[&TopicPartition::new(b.as_str(), 1)]
            .as_ref()
            .expect("b-1")
            .offset,
        0
    );
    producer.close().await;
}

#[tokio::test]
async fn apis_tansu_lacks_are_typed_unsupported() {
    if broker().is_external() {
        return; // Kafka has them all; the scripted cluster tests them.
    }
    let admin = admin().await;
    let topic = unique_topic("admin-lacks");
    admin
        .create_topic(&NewTopic::new(&topic).with_partitions(1), false)
        .await
        .expect("create");
    admin.wait_for_topic(&topic).await.expect("created");
    let tp = TopicPartition::new(topic.as_str(), 0);
    let unsupported = |api: &str, e: Error| match e {
        Error::UnsupportedApi { api: a, .. } if a == api => assert!(e.is_unsupported()),
        e => panic!("{api}: expected UnsupportedApi, got {e:?}"),
    };
    unsupported(
        "CreatePartitions",
        admin
            .create_partitions(&topic, 2, None, false)
            .await
            .unwrap_err(),
    );
    unsupported(
        "DeleteAcls",
        admin
            .delete_acls(&[AclBindingFilter::any()])
            .await
            .unwrap_err(),
    );
    unsupported(
        "AlterPartitionReassignments",
        admin
            .alter_partition_reassignments(&[(tp.clone(), Some(vec![NODE]))])
            .await
            .unwrap_err(),
    );
    unsupported(
        "ElectLeaders",
        admin
            .elect_leaders(ElectionType::Preferred, Some(std::slice::from_ref(&tp)))
            .await
            .unwrap_err(),
    );
    unsupported(
        "DescribeLogDirs",
        admin.describe_log_dirs(NODE, None).await.unwrap_err(),
    );
    unsupported(
        "UnregisterBroker",
        admin.unregister_broker(NODE).await.unwrap_err(),
    );
    // The partition count is unchanged.
    assert_eq!(
        admin
            .describe_topic(&topic)
            .await
            .expect("topic")
            .partitions
            .len(),
        1
    );
}

#[tokio::test]
async fn acls_and_reassignments_on_tansu() {
    if broker().is_external() {
        return;
    }
    let admin = admin().await;
    let topic = unique_topic("admin-acl");
    admin
        .create_topic(&NewTopic::new(&topic).with_partitions(2), false)
        .await
        .expect("create");
    admin.wait_for_topic(&topic).await.expect("created");

    // Tansu keeps no ACLs, and answers CreateAcls without results (a null
    // array), which is reported as an undecodable response.
    assert_eq!(
        admin
            .describe_acls(&AclBindingFilter::any())
            .await
            .expect("describe"),
        []
    );
    let binding = AclBinding {
        resource_type: AclResourceType::Topic,
        resource_name: topic.clone(),
        pattern_type: PatternType::Literal,
        principal: "User:alice".into(),
        host: "*".into(),
        operation: AclOperation::Read,
        permission: AclPermissionType::Allow,
    };
    match admin.create_acls(std::slice::from_ref(&binding)).await {
        Err(Error::Protocol(e)) => assert!(e.to_string().contains("CreateAcls"), "{e}"),
        other => panic!("expected an undecodable CreateAcls response, got {other:?}"),
    }

    // Tansu lists every partition as being reassigned to its current replicas.
    let listed = admin
        .list_partition_reassignments(Some(std::slice::from_ref(&topic)))
        .await
        .expect("list");
    let partitions: Vec<(i32, Vec<i32>)> = listed
        .iter()
        .map(|r| (r.partition.partition, r.replicas.clone()))
        .collect();
    assert_eq!(partitions, [(0, vec![NODE]), (1, vec![NODE])]);
    assert!(listed
        .iter()
        .all(|r| r.adding_replicas.is_empty() && r.removing_replicas.is_empty()));
    let missing = unique_topic("admin-acl-missing");
    assert!(matches!(
        admin.list_partition_reassignments(Some(&[missing])).await,
        Err(Error::UnknownTopic(_))
    ));
}

#[tokio::test]
async fn delete_records_fails_when_the_leader_hangs_up() {
    if broker().is_external() {
        return;
    }
    // Tansu's memory engine does not implement DeleteRecords: the task
    // serving the connection panics and the connection closes (the broker
    // keeps running). Every attempt ends that way, so the call fails once
    // its retries are over.
    let mut config = ClientConfig::new(&broker().bootstrap).expect("config");
    config.api_timeout = Duration::from_secs(1);
    let admin = Admin::connect(config).await.expect("connect");
    let topic = unique_topic("admin-delete-records");
    admin
        .create_topic(&NewTopic::new(&topic).with_partitions(1), false)
        .await
        .expect("create");
    admin.wait_for_topic(&topic).await.expect("created");
    let started = std::time::Instant::now();
    let e = admin
        .delete_records([(TopicPartition::new(topic.as_str(), 0), 0)])
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Disconnected { .. }),
        "a lost connection, retried until the timeout: {e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The broker still answers.
    assert_eq!(
        admin
            .describe_topic(&topic)
            .await
            .expect("topic")
            .partitions
            .len(),
        1
    );
}
