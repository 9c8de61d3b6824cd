//! Every call of `wire::Admin` against the in-process cluster
//! (`wire::testkit`), which, unlike the single-node test broker, has several
//! brokers, a controller that can move, and every admin API Kafka has for
//! topics, partitions, configs, ACLs, records, reassignments, elections, log
//! directories and broker registrations.
//!
//! Each test checks what a call reports *and* what the cluster then shows:
//! read back through the same or another admin call, through the cluster's
//! own view (`Cluster::leader`, `Cluster::records`), or through the effect
//! on producing and fetching (a lowered `max.message.bytes` refuses a large
//! record, deleted records can no longer be fetched). The last tests inject
//! NOT_CONTROLLER and NOT_LEADER_OR_FOLLOWER answers and stop the
//! controller, and check that the calls reach the right broker in the end.
//!
//! Every test starts a cluster of its own (three brokers, ids 1..=3) on its
//! runtime; every wait is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use wire::admin::GroupAdmin;
use wire::admin::{
    AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AclResourceType, AlterConfigOp,
    ConfigEntry, ConfigResource, ConfigSource, ConfigSynonym, ConfigType, DescribeConfigsOptions,
    ElectionType, NewTopic, PartitionReassignment, PatternType,
};
use wire::consumer::{fetch, FetchConfig};
use wire::error::ResponseError;
use wire::producer::{Producer, ProducerConfig, ProducerRecord};
use wire::protocol::api::fetch::IsolationLevel;
use wire::protocol::api::list_offsets::OffsetSpec;
use wire::record::Compression;
use wire::testkit::{Cluster, ClusterConfig};
use wire::{Admin, ClientConfig, Error, TopicPartition};

/// No test may take longer than this, whatever goes wrong.
const TEST_LIMIT: Duration = Duration::from_secs(30);

async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("test did not finish in time")
}

async fn cluster_with(config: ClusterConfig) -> Cluster {
    Cluster::start(config).await.expect("cluster starts")
}

async fn cluster() -> Cluster {
    cluster_with(ClusterConfig::default()).await
}

async fn admin(cluster: &Cluster) -> Admin {
    let mut config = ClientConfig::new(&cluster.bootstrap()).expect("bootstrap");
    config.retry_backoff = Duration::from_millis(10);
    config.retry_backoff_max = Duration::from_millis(100);
    config.api_timeout = Duration::from_secs(10);
    config.connection.request_timeout = Duration::from_secs(3);
    config.connection.connect_timeout = Duration::from_secs(1);
    Admin::connect(config).await.expect("admin connects")
}

fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

/// The error code of `partition`'s failed result in a per-partition answer.
fn failure<T: std::fmt::Debug>(
    results: &BTreeMap<TopicPartition, Result<T, Error>>,
    partition: TopicPartition,
) -> Option<ResponseError> {
    results[&partition].as_ref().unwrap_err().code()
}

/// Produces `values` to one partition and returns their offsets.
async fn produce(admin: &Admin, topic: &str, partition: i32, values: &[String]) -> Vec<i64> {
    let config = ProducerConfig {
        linger: Duration::from_millis(1),
        ..ProducerConfig::default()
    };
    produce_with(admin, config, topic, partition, values).await
}

/// [`produce`] with the producer settings `config`.
async fn produce_with(
    admin: &Admin,
    config: ProducerConfig,
    topic: &str,
    partition: i32,
    values: &[String],
) -> Vec<i64> {
    let producer = Producer::new(admin.client().clone(), config)
        .await
        .expect("producer");
    let mut futures = Vec::new();
    for v in values {
        let record = ProducerRecord {
            topic: topic.into(),
            partition: Some(partition),
            value: Some(Bytes::from(v.clone())),
            ..ProducerRecord::default()
        };
        futures.push(producer.send(record).await.expect("queued"));
    }
    let mut offsets = Vec::new();
    for f in futures {
        offsets.push(f.wait().await.expect("delivered").offset);
    }
    producer.close().await;
    offsets
}

fn values_of(records: &[wire::Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
        .collect()
}

fn entry<'a>(entries: &'a [ConfigEntry], name: &str) -> &'a ConfigEntry {
    entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no config {name}"))
}

fn all_details() -> DescribeConfigsOptions {
    DescribeConfigsOptions {
        names: None,
        include_synonyms: true,
        include_documentation: true,
    }
}

async fn topic_configs(admin: &Admin, topic: &str) -> Vec<ConfigEntry> {
    admin
        .describe_config(&ConfigResource::Topic(topic.into()), &all_details())
        .await
        .expect("describe topic configs")
}

fn synonym(name: &str, value: Option<&str>, source: ConfigSource) -> ConfigSynonym {
    ConfigSynonym {
        name: name.into(),
        value: value.map(str::to_owned),
        source,
    }
}

#[tokio::test]
async fn create_topics_with_counts_assignments_configs_and_errors() {
    bounded(async {
        let cluster = cluster_with(ClusterConfig {
            default_partitions: 2,
            ..ClusterConfig::default()
        })
        .await;
        let admin = admin(&cluster).await;
        let results = admin
            .create_topics(
                &[
                    NewTopic::new("counted")
                        .with_partitions(6)
                        .with_replication_factor(2)
                        .with_config("retention.ms", "12345")
                        .with_config("cleanup.policy", "compact"),
                    NewTopic::new("defaults"),
                    NewTopic::new("placed")
                        .with_assignment(0, vec![3, 1])
                        .with_assignment(1, vec![2, 3]),
                ],
                false,
            )
            .await
            .expect("create topics");
        assert_eq!(results.len(), 3);

        let counted = results["counted"].as_ref().expect("counted");
        assert_eq!(
            (counted.partitions, counted.replication_factor),
            (Some(6), Some(2))
        );
        assert_ne!(counted.topic_id, [0; 16]);
        let configs = counted.configs.as_ref().expect("configs reported (v5+)");
        let retention = entry(configs, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("12345"));
        assert_eq!(retention.source, ConfigSource::DynamicTopicConfig);
        assert!(!retention.is_default);
        let segment = entry(configs, "segment.bytes");
        assert_eq!(segment.value.as_deref(), Some("1073741824"));
        assert!(segment.is_default);
        // The metadata agrees: six partitions of two replicas, led round-robin.
        let t = admin.describe_topic("counted").await.expect("describe");
        assert_eq!(t.id, counted.topic_id);
        assert!(!t.is_internal);
        assert_eq!(t.partitions.len(), 6);
        for p in &t.partitions {
            assert_eq!(p.replicas.len(), 2);
            assert_eq!(p.isr, p.replicas);
            assert_eq!(p.leader, p.replicas[0]);
            assert_eq!(cluster.leader("counted", p.id).unwrap(), p.leader);
        }
        assert_eq!(
            t.partitions.iter().map(|p| p.leader).collect::<Vec<_>>(),
            [1, 2, 3, 1, 2, 3]
        );
        let described = topic_configs(&admin, "counted").await;
        assert_eq!(
            entry(&described, "cleanup.policy").value.as_deref(),
            Some("compact")
        );

        // The cluster's defaults: num.partitions 2, replication min(3, brokers).
        let defaults = results["defaults"].as_ref().expect("defaults");
        assert_eq!(
            (defaults.partitions, defaults.replication_factor),
            (Some(2), Some(3))
        );
        // Assignments give the replicas and (first) the leaders.
        let placed = admin.describe_topic("placed").await.expect("describe");
        let replicas: Vec<Vec<i32>> = placed
            .partitions
            .iter()
            .map(|p| p.replicas.clone())
            .collect();
        assert_eq!(replicas, vec![vec![3, 1], vec![2, 3]]);
        assert_eq!(cluster.leader("placed", 0).unwrap(), 3);
        assert_eq!(cluster.leader("placed", 1).unwrap(), 2);
        let waited = admin.wait_for_topic("placed").await.expect("wait");
        assert_eq!(waited.partitions.len(), 2);

        // validate_only reports the topic without creating it.
        let checked = admin
            .create_topic(
                &NewTopic::new("dry")
                    .with_partitions(4)
                    .with_replication_factor(1),
                true,
            )
            .await
            .expect("validated");
        assert_eq!(checked.partitions, Some(4));
        assert!(matches!(
            admin.describe_topic("dry").await,
            Err(Error::UnknownTopic(_))
        ));
        let err = admin
            .create_topic(&NewTopic::new("counted").with_partitions(1), true)
            .await
            .expect_err("validate_only still checks");
        assert_eq!(err.code(), Some(ResponseError::TopicAlreadyExists));

        // One result per topic: the bad ones fail with Kafka's codes and
        // messages, the good one in the same request is created.
        let results = admin
            .create_topics(
                &[
                    NewTopic::new("counted").with_partitions(1),
                    NewTopic::new("no-partitions")
                        .with_partitions(0)
                        .with_replication_factor(1),
                    NewTopic::new("too-replicated")
                        .with_partitions(1)
                        .with_replication_factor(4),
                    NewTopic::new("bad-config")
                        .with_partitions(1)
                        .with_replication_factor(1)
                        .with_config("retention.ms", "forever"),
                    NewTopic::new("unknown-config")
                        .with_partitions(1)
                        .with_replication_factor(1)
                        .with_config("no.such.config", "1"),
                    NewTopic::new("bad-broker").with_assignment(0, vec![9]),
                    NewTopic::new("bad name")
                        .with_partitions(1)
                        .with_replication_factor(1),
                    NewTopic::new("fine")
                        .with_partitions(1)
                        .with_replication_factor(1),
                ],
                false,
            )
            .await
            .expect("create topics");
        let code = |name: &str| {
            let e = results[name].as_ref().expect_err(name);
            assert!(
                matches!(e, Error::Broker { topic: Some(t), .. } if t == name),
                "{e:?}"
            );
            assert!(e.message().is_some_and(|m| !m.is_empty()), "{e:?}");
            e.code()
        };
        assert_eq!(code("counted"), Some(ResponseError::TopicAlreadyExists));
        assert_eq!(
            code("no-partitions"),
            Some(ResponseError::InvalidPartitions)
        );
        assert_eq!(
            code("too-replicated"),
            Some(ResponseError::InvalidReplicationFactor)
        );
        assert_eq!(code("bad-config"), Some(ResponseError::InvalidConfig));
        assert_eq!(code("unknown-config"), Some(ResponseError::InvalidConfig));
        assert_eq!(
            code("bad-broker"),
            Some(ResponseError::InvalidReplicaAssignment)
        );
        assert_eq!(code("bad name"), Some(ResponseError::InvalidTopicException));
        assert!(results["fine"].is_ok());
        let metadata = admin.metadata().await.expect("metadata");
        let names: BTreeSet<&str> = metadata.topics.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            BTreeSet::from(["counted", "defaults", "fine", "placed"])
        );
        // The existing topic kept its six partitions.
        assert_eq!(metadata.topics["counted"].partitions.len(), 6);

        // Checked before anything is sent.
        assert!(matches!(
            admin
                .create_topics(&[NewTopic::new("twice"), NewTopic::new("twice")], false)
                .await,
            Err(Error::InvalidArgument(_))
        ));
        assert!(admin
            .create_topics(&[], false)
            .await
            .expect("nothing")
            .is_empty());
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn deleted_topics_are_gone_and_can_come_back_empty() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        for name in ["doomed", "kept"] {
            admin
                .create_topic(
                    &NewTopic::new(name)
                        .with_partitions(2)
                        .with_replication_factor(2),
                    false,
                )
                .await
                .expect("create");
        }
        let offsets = produce(&admin, "doomed", 0, &["a".into(), "b".into()]).await;
        assert_eq!(offsets, vec![0, 1]);
        let before = admin.describe_topic("doomed").await.expect("describe").id;

        let results = admin
            .delete_topics(&["doomed".into(), "missing".into()])
            .await
            .expect("delete");
        assert!(results["doomed"].is_ok());
        let e = results["missing"].as_ref().expect_err("missing");
        assert_eq!(e.code(), Some(ResponseError::UnknownTopicOrPartition));
        assert!(matches!(
            admin.describe_topic("doomed").await,
            Err(Error::UnknownTopic(_))
        ));
        assert!(cluster.records("doomed", 0).is_err());
        let metadata = admin.metadata().await.expect("metadata");
        assert!(!metadata.topics.contains_key("doomed"));
        assert!(metadata.topics.contains_key("kept"));

        // The same name again is a new topic with an empty log.
        admin
            .create_topic(
                &NewTopic::new("doomed")
                    .with_partitions(1)
                    .with_replication_factor(1),
                false,
            )
            .await
            .expect("create again");
        let again = admin.wait_for_topic("doomed").await.expect("wait");
        assert_ne!(again.id, before);
        assert_eq!(again.partitions.len(), 1);
        let marks = admin
            .watermarks(&[tp("doomed", 0)], IsolationLevel::ReadUncommitted)
            .await
            .expect("watermarks");
        assert_eq!(
            marks[&tp("doomed", 0)]
                .as_ref()
                .map(|w| (w.earliest, w.latest))
                .ok(),
            Some((0, 0))
        );
        // An admin client sharing the first one's connections, with its own
        // operation timeout.
        let other =
            Admin::new(admin.client().clone()).with_operation_timeout(Duration::from_secs(2));
        assert_eq!(other.operation_timeout(), Duration::from_secs(2));
        assert_eq!(
            admin.operation_timeout(),
            Duration::from_millis(2700),
            "90% of request.timeout.ms"
        );
        other.delete_topic("doomed").await.expect("delete one");
        let e = admin.delete_topic("doomed").await.expect_err("gone");
        assert_eq!(e.code(), Some(ResponseError::UnknownTopicOrPartition));

        // Internal topics cannot be deleted.
        GroupAdmin::new(admin.client().clone())
            .describe_group("some-group")
            .await
            .expect("a group lookup creates the offsets topic");
        let e = admin
            .delete_topic("__consumer_offsets")
            .await
            .expect_err("internal");
        assert_eq!(e.code(), Some(ResponseError::InvalidRequest));
        assert!(
            admin
                .describe_topic("__consumer_offsets")
                .await
                .expect("still there")
                .is_internal
        );
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn create_partitions_grows_topics_and_refuses_to_shrink_them() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        admin
            .create_topic(
                &NewTopic::new("growing")
                    .with_partitions(2)
                    .with_replication_factor(2),
                false,
            )
            .await
            .expect("create");

        admin
            .create_partitions("growing", 4, None, false)
            .await
            .expect("grow to 4");
        let t = admin.describe_topic("growing").await.expect("describe");
        assert_eq!(t.partitions.len(), 4);
        let placement: Vec<(i32, usize)> = t
            .partitions
            .iter()
            .map(|p| (p.leader, p.replicas.len()))
            .collect();
        assert_eq!(
            placement,
            [(1, 2), (2, 2), (3, 2), (1, 2)],
            "new partitions keep the replication factor, placed round-robin"
        );

        admin
            .create_partitions("growing", 6, Some(&[vec![3, 2], vec![2, 1]]), false)
            .await
            .expect("grow with assignments");
        let t = admin.describe_topic("growing").await.expect("describe");
        assert_eq!(t.partitions[4].replicas, vec![3, 2]);
        assert_eq!(t.partitions[5].replicas, vec![2, 1]);
        assert_eq!(cluster.leader("growing", 4).unwrap(), 3);
        // A new partition takes records like any other.
        let offsets = produce(&admin, "growing", 5, &["new".into()]).await;
        assert_eq!(offsets, vec![0]);
        assert_eq!(values_of(&cluster.records("growing", 5).unwrap()), ["new"]);

        admin
            .create_partitions("growing", 8, None, true)
            .await
            .expect("validate only");
        assert_eq!(
            admin
                .describe_topic("growing")
                .await
                .expect("describe")
                .partitions
                .len(),
            6,
            "validate_only adds nothing"
        );

        for (count, assignments, code) in [
            (3, None, ResponseError::InvalidPartitions),
            (6, None, ResponseError::InvalidPartitions),
            (
                8,
                Some(vec![vec![1, 2]]),
                ResponseError::InvalidReplicaAssignment,
            ),
            (
                7,
                Some(vec![vec![1, 9]]),
                ResponseError::InvalidReplicaAssignment,
            ),
        ] {
            let e = admin
                .create_partitions("growing", count, assignments.as_deref(), false)
                .await
                .expect_err("refused");
            assert_eq!(e.code(), Some(code), "{count} partitions: {e:?}");
            assert!(e.message().is_some(), "{e:?}");
        }
        let e = admin
            .create_partitions("missing", 3, None, false)
            .await
            .expect_err("unknown topic");
        assert_eq!(e.code(), Some(ResponseError::UnknownTopicOrPartition));
        assert!(matches!(
            admin.create_partitions("growing", 0, None, false).await,
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(
            admin
                .describe_topic("growing")
                .await
                .expect("describe")
                .partitions
                .len(),
            6
        );
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn configs_of_topics_brokers_and_the_cluster_defaults() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        admin
            .create_topic(
                &NewTopic::new("configured")
                    .with_partitions(1)
                    .with_replication_factor(1)
                    .with_config("retention.ms", "3600000"),
                false,
            )
            .await
            .expect("create");

        // A topic: its override, then Kafka's defaults, with sources,
        // synonyms, types and documentation.
        let configs = topic_configs(&admin, "configured").await;
        let retention = entry(&configs, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("3600000"));
        assert_eq!(retention.source, ConfigSource::DynamicTopicConfig);
        assert_eq!(retention.config_type, ConfigType::Long);
        assert!(!retention.read_only && !retention.sensitive && !retention.is_default);
        assert!(retention
            .documentation
            .as_ref()
            .is_some_and(|d| !d.is_empty()));
        assert_eq!(
            retention.synonyms,
            vec![
                synonym(
                    "retention.ms",
                    Some("3600000"),
                    ConfigSource::DynamicTopicConfig
                ),
                synonym(
                    "log.retention.hours",
                    Some("168"),
                    ConfigSource::DefaultConfig
                ),
            ]
        );
        let cleanup = entry(&configs, "cleanup.policy");
        assert_eq!(cleanup.value.as_deref(), Some("delete"));
        assert!(cleanup.is_default);
        assert_eq!(cleanup.source, ConfigSource::DefaultConfig);
        assert_eq!(cleanup.config_type, ConfigType::List);
        assert_eq!(
            entry(&configs, "preallocate").config_type,
            ConfigType::Boolean
        );
        // Without the extras, and for chosen names only.
        let plain = admin
            .describe_config(
                &ConfigResource::Topic("configured".into()),
                &DescribeConfigsOptions {
                    names: Some(vec!["retention.ms".into(), "segment.ms".into()]),
                    ..DescribeConfigsOptions::default()
                },
            )
            .await
            .expect("describe two");
        assert_eq!(
            plain.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["retention.ms", "segment.ms"]
        );
        assert!(plain
            .iter()
            .all(|e| e.synonyms.is_empty() && e.documentation.is_none()));

        // A broker: its static settings are read-only, passwords sensitive.
        let broker = admin
            .describe_config(&ConfigResource::Broker(2), &all_details())
            .await
            .expect("broker 2");
        let node = entry(&broker, "node.id");
        assert_eq!(node.value.as_deref(), Some("2"));
        assert_eq!(node.source, ConfigSource::StaticBrokerConfig);
        assert!(node.read_only);
        let address = cluster.broker_address(2).unwrap();
        assert_eq!(
            entry(&broker, "advertised.listeners").value,
            Some(format!("PLAINTEXT://{address}"))
        );
        let compression = entry(&broker, "compression.type");
        assert_eq!(compression.value.as_deref(), Some("producer"));
        assert!(!compression.read_only && compression.is_default);
        let password = entry(&broker, "ssl.keystore.password");
        assert!(password.sensitive);
        assert_eq!(password.config_type, ConfigType::Password);
        assert_eq!(password.value, None);

        // A dynamic broker config is that broker's only.
        admin
            .incremental_alter_configs(
                &ConfigResource::Broker(1),
                &[
                    AlterConfigOp::set("compression.type", "gzip"),
                    AlterConfigOp::set("ssl.keystore.password", "secret"),
                ],
                false,
            )
            .await
            .expect("alter broker 1");
        let results = admin
            .describe_configs(
                &[ConfigResource::Broker(1), ConfigResource::Broker(3)],
                &all_details(),
            )
            .await
            .expect("describe brokers");
        let one = results[&ConfigResource::Broker(1)].as_ref().expect("one");
        let compression = entry(one, "compression.type");
        assert_eq!(compression.value.as_deref(), Some("gzip"));
        assert_eq!(compression.source, ConfigSource::DynamicBrokerConfig);
        assert_eq!(
            compression.synonyms,
            vec![
                synonym(
                    "compression.type",
                    Some("gzip"),
                    ConfigSource::DynamicBrokerConfig
                ),
                synonym(
                    "compression.type",
                    Some("producer"),
                    ConfigSource::DefaultConfig
                ),
            ]
        );
        let password = entry(one, "ssl.keystore.password");
        assert_eq!(
            (
                password.value.as_deref(),
                password.source,
                password.sensitive
            ),
            (None, ConfigSource::DynamicBrokerConfig, true),
            "a set password is still never shown"
        );
        assert!(password.synonyms.iter().all(|s| s.value.is_none()));
        let three = results[&ConfigResource::Broker(3)].as_ref().expect("three");
        assert_eq!(
            entry(three, "compression.type").source,
            ConfigSource::DefaultConfig
        );

        // The cluster-wide defaults: empty, then what was set, which topics
        // inherit.
        let defaults = admin
            .describe_config(&ConfigResource::BrokerDefault, &all_details())
            .await
            .expect("defaults");
        assert!(defaults.is_empty(), "{defaults:?}");
        admin
            .incremental_alter_configs(
                &ConfigResource::BrokerDefault,
                &[AlterConfigOp::set("log.retention.ms", "7200000")],
                false,
            )
            .await
            .expect("alter defaults");
        let defaults = admin
            .describe_config(&ConfigResource::BrokerDefault, &all_details())
            .await
            .expect("defaults");
        assert_eq!(defaults.len(), 1);
        assert_eq!(defaults[0].name, "log.retention.ms");
        assert_eq!(defaults[0].value.as_deref(), Some("7200000"));
        assert_eq!(defaults[0].source, ConfigSource::DynamicDefaultBrokerConfig);
        admin
            .create_topic(
                &NewTopic::new("inheriting")
                    .with_partitions(1)
                    .with_replication_factor(1),
                false,
            )
            .await
            .expect("create");
        let inherited = topic_configs(&admin, "inheriting").await;
        let retention = entry(&inherited, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("7200000"));
        assert_eq!(retention.source, ConfigSource::DynamicDefaultBrokerConfig);
        assert!(!retention.is_default);
        // The topic's own override still wins, with the default as synonym.
        let overridden = topic_configs(&admin, "configured").await;
        assert_eq!(
            entry(&overridden, "retention.ms").synonyms,
            vec![
                synonym(
                    "retention.ms",
                    Some("3600000"),
                    ConfigSource::DynamicTopicConfig
                ),
                synonym(
                    "log.retention.ms",
                    Some("7200000"),
                    ConfigSource::DynamicDefaultBrokerConfig
                ),
                synonym(
                    "log.retention.hours",
                    Some("168"),
                    ConfigSource::DefaultConfig
                ),
            ]
        );

        // One call about several brokers asks each broker about itself (any
        // other broker would refuse), and any broker about the rest.
        let resources = [
            ConfigResource::Broker(3),
            ConfigResource::Topic("configured".into()),
            ConfigResource::Broker(1),
            ConfigResource::BrokerDefault,
            ConfigResource::Broker(2),
        ];
        let results = admin
            .describe_configs(
                &resources,
                &DescribeConfigsOptions {
                    names: Some(vec![
                        "node.id".into(),
                        "retention.ms".into(),
                        "log.retention.ms".into(),
                    ]),
                    ..DescribeConfigsOptions::default()
                },
            )
            .await
            .expect("describe five resources");
        assert_eq!(results.len(), 5);
        for id in 1..=3 {
            let entries = results[&ConfigResource::Broker(id)]
                .as_ref()
                .expect("broker");
            assert_eq!(
                entry(entries, "node.id").value,
                Some(id.to_string()),
                "answered by broker {id}"
            );
        }
        let topic = results[&ConfigResource::Topic("configured".into())]
            .as_ref()
            .expect("topic");
        assert_eq!(topic.len(), 1);
        assert_eq!(
            entry(topic, "retention.ms").value.as_deref(),
            Some("3600000")
        );
        let defaults = results[&ConfigResource::BrokerDefault]
            .as_ref()
            .expect("defaults");
        assert_eq!(
            entry(defaults, "log.retention.ms").value.as_deref(),
            Some("7200000")
        );

        // Per-resource errors next to successes, and brokers that do not exist.
        let results = admin
            .describe_configs(
                &[
                    ConfigResource::Topic("configured".into()),
                    ConfigResource::Topic("missing".into()),
                ],
                &DescribeConfigsOptions::default(),
            )
            .await
            .expect("describe");
        assert!(results[&ConfigResource::Topic("configured".into())].is_ok());
        let e = results[&ConfigResource::Topic("missing".into())]
            .as_ref()
            .expect_err("missing");
        assert_eq!(e.code(), Some(ResponseError::UnknownTopicOrPartition));
        assert!(matches!(
            admin
                .describe_config(&ConfigResource::Broker(9), &all_details())
                .await,
            Err(Error::UnknownBroker(9))
        ));
        // Broker loggers are not served by the in-process cluster.
        let e = admin
            .describe_config(&ConfigResource::BrokerLogger(1), &all_details())
            .await
            .expect_err("no loggers");
        assert!(
            matches!(&e, Error::Resource { resource, .. } if resource == "broker logger 1"),
            "{e:?}"
        );
        assert_eq!(e.code(), Some(ResponseError::InvalidRequest));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn incremental_alter_configs_set_delete_append_subtract() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        admin
            .create_topic(
                &NewTopic::new("altered")
                    .with_partitions(1)
                    .with_replication_factor(1),
                false,
            )
            .await
            .expect("create");
        let topic = ConfigResource::Topic("altered".into());
        let value = |entries: &[ConfigEntry], name: &str| {
            let e = entry(entries, name);
            (e.value.clone().unwrap_or_default(), e.source)
        };

        admin
            .incremental_alter_configs(
                &topic,
                &[
                    AlterConfigOp::set("retention.ms", "1000"),
                    AlterConfigOp::set("max.message.bytes", "300"),
                    AlterConfigOp::append("cleanup.policy", "compact"),
                ],
                false,
            )
            .await
            .expect("set and append");
        let c = topic_configs(&admin, "altered").await;
        assert_eq!(
            value(&c, "retention.ms"),
            ("1000".into(), ConfigSource::DynamicTopicConfig)
        );
        assert_eq!(
            value(&c, "cleanup.policy"),
            ("delete,compact".into(), ConfigSource::DynamicTopicConfig),
            "APPEND starts from the default value"
        );
        // The new limit is enforced: a larger record is refused.
        let producer = Producer::new(admin.client().clone(), ProducerConfig::default())
            .await
            .expect("producer");
        let big = ProducerRecord {
            topic: "altered".into(),
            partition: Some(0),
            key: Some(Bytes::from_static(b"k")),
            value: Some(Bytes::from(vec![b'x'; 1000])),
            ..ProducerRecord::default()
        };
        let e = producer
            .send(big)
            .await
            .expect("queued")
            .wait()
            .await
            .expect_err("too large for the topic");
        assert_eq!(e.code(), Some(ResponseError::MessageTooLarge));
        producer.close().await;
        assert!(cluster.records("altered", 0).unwrap().is_empty());

        admin
            .incremental_alter_configs(
                &topic,
                &[
                    AlterConfigOp::subtract("cleanup.policy", "delete"),
                    AlterConfigOp::delete("retention.ms"),
                    AlterConfigOp::delete("max.message.bytes"),
                ],
                false,
            )
            .await
            .expect("subtract and delete");
        admin
            .incremental_alter_configs(
                &topic,
                &[AlterConfigOp::append("cleanup.policy", "compact")],
                false,
            )
            .await
            .expect("append again");
        let c = topic_configs(&admin, "altered").await;
        assert_eq!(
            value(&c, "cleanup.policy"),
            ("compact".into(), ConfigSource::DynamicTopicConfig),
            "APPEND of an item already there adds nothing"
        );
        assert_eq!(
            value(&c, "retention.ms"),
            ("604800000".into(), ConfigSource::DefaultConfig)
        );
        // DeleteRecords now refuses the compacted topic.
        let deleted = admin
            .delete_records([(tp("altered", 0), 0)])
            .await
            .expect("delete records");
        assert_eq!(
            failure(&deleted, tp("altered", 0)),
            Some(ResponseError::PolicyViolation)
        );

        // validate_only changes nothing; invalid changes change nothing
        // either, not even their valid parts.
        admin
            .incremental_alter_configs(&topic, &[AlterConfigOp::set("retention.ms", "5")], true)
            .await
            .expect("validated");
        for (ops, code) in [
            (
                vec![
                    AlterConfigOp::set("segment.ms", "1"),
                    AlterConfigOp::set("retention.ms", "soon"),
                ],
                ResponseError::InvalidConfig,
            ),
            (
                vec![AlterConfigOp::append("retention.ms", "1")],
                ResponseError::InvalidConfig,
            ),
            (
                vec![AlterConfigOp::set("no.such.config", "1")],
                ResponseError::InvalidConfig,
            ),
            (
                vec![AlterConfigOp::append("cleanup.policy", "shred")],
                ResponseError::InvalidConfig,
            ),
            (
                vec![
                    AlterConfigOp::set("segment.ms", "1"),
                    AlterConfigOp::delete("segment.ms"),
                ],
                ResponseError::InvalidRequest,
            ),
        ] {
            let e = admin
                .incremental_alter_configs(&topic, &ops, false)
                .await
                .expect_err("refused");
            assert_eq!(e.code(), Some(code), "{ops:?}: {e:?}");
            assert!(
                matches!(&e, Error::Broker { topic: Some(t), .. } if t == "altered"),
                "{e:?}"
            );
        }
        let c = topic_configs(&admin, "altered").await;
        assert_eq!(value(&c, "retention.ms").1, ConfigSource::DefaultConfig);
        assert_eq!(value(&c, "segment.ms").1, ConfigSource::DefaultConfig);
        assert_eq!(value(&c, "cleanup.policy").0, "compact");

        let e = admin
            .incremental_alter_configs(
                &ConfigResource::Topic("missing".into()),
                &[AlterConfigOp::set("retention.ms", "1")],
                false,
            )
            .await
            .expect_err("unknown topic");
        assert_eq!(e.code(), Some(ResponseError::UnknownTopicOrPartition));
        // Read-only broker settings cannot change at run time.
        let e = admin
            .incremental_alter_configs(
                &ConfigResource::Broker(1),
                &[AlterConfigOp::set("num.partitions", "5")],
                false,
            )
            .await
            .expect_err("read-only");
        assert_eq!(e.code(), Some(ResponseError::InvalidRequest));
        // Broker list configs take APPEND and SUBTRACT too.
        let broker = ConfigResource::Broker(2);
        admin
            .incremental_alter_configs(
                &broker,
                &[AlterConfigOp::append("log.cleanup.policy", "compact")],
                false,
            )
            .await
            .expect("append");
        admin
            .incremental_alter_configs(
                &broker,
                &[AlterConfigOp::subtract("log.cleanup.policy", "delete")],
                true,
            )
            .await
            .expect("validated subtract");
        let b = admin
            .describe_config(&broker, &all_details())
            .await
            .expect("broker 2");
        assert_eq!(
            value(&b, "log.cleanup.policy"),
            ("delete,compact".into(), ConfigSource::DynamicBrokerConfig)
        );
        // Checked before anything is sent.
        let mut no_value = AlterConfigOp::set("retention.ms", "1");
        no_value.value = None;
        assert!(matches!(
            admin
                .incremental_alter_configs(&topic, &[no_value], false)
                .await,
            Err(Error::InvalidArgument(_))
        ));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn cluster_brokers_and_topic_metadata() {
    bounded(async {
        let cluster = cluster_with(ClusterConfig {
            cluster_id: "admin-test-cluster".into(),
            ..ClusterConfig::default()
        })
        .await;
        let admin = admin(&cluster).await;
        let d = admin.describe_cluster().await.expect("describe cluster");
        assert_eq!(d.cluster_id.as_deref(), Some("admin-test-cluster"));
        assert_eq!(d.controller_id, Some(1));
        assert_eq!(
            d.brokers.iter().map(|b| b.id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        for b in &d.brokers {
            assert_eq!(
                Some(format!("{}:{}", b.host, b.port)),
                cluster.broker_address(b.id)
            );
            assert_eq!(b.rack, None);
        }
        let two = admin.describe_broker(2).await.expect("broker 2");
        assert_eq!(Some(&two), d.broker(2));
        assert!(matches!(
            admin.describe_broker(7).await,
            Err(Error::UnknownBroker(7))
        ));

        admin
            .create_topic(
                &NewTopic::new("described")
                    .with_partitions(3)
                    .with_replication_factor(2),
                false,
            )
            .await
            .expect("create");
        // A group lookup creates the internal offsets topic.
        GroupAdmin::new(admin.client().clone())
            .describe_group("metadata-group")
            .await
            .expect("describe group");
        let metadata = admin.metadata().await.expect("metadata");
        assert_eq!(metadata.cluster_id.as_deref(), Some("admin-test-cluster"));
        assert_eq!(metadata.controller_id, 1);
        assert_eq!(metadata.brokers.len(), 3);
        let offsets = &metadata.topics["__consumer_offsets"];
        assert!(offsets.is_internal);
        assert_eq!(offsets.partitions.len(), 50);
        assert!(!metadata.topics["described"].is_internal);
        let t = admin.describe_topic("described").await.expect("describe");
        assert_eq!(*t, *metadata.topics["described"]);
        assert!(matches!(
            admin.describe_topic("nothing-here").await,
            Err(Error::UnknownTopic(_))
        ));

        // A stopped broker: fenced (not listed), not the controller, and
        // shown as an offline replica.
        cluster.stop_broker(1).await.expect("stop");
        let d = admin.describe_cluster().await.expect("describe cluster");
        assert_eq!(d.controller_id, Some(2));
        assert_eq!(d.brokers.iter().map(|b| b.id).collect::<Vec<_>>(), [2, 3]);
        assert!(matches!(
            admin.describe_broker(1).await,
            Err(Error::UnknownBroker(1))
        ));
        let t = admin.describe_topic("described").await.expect("describe");
        let p0 = &t.partitions[0];
        assert_eq!(p0.replicas, vec![1, 2]);
        assert_eq!(p0.offline_replicas, vec![1]);
        assert_eq!(p0.isr, vec![2]);
        assert_eq!(p0.leader, 2);
        assert_eq!(cluster.leader("described", 0).unwrap(), 2);
        cluster.start_broker(1).await.expect("start");
        let d = admin.describe_cluster().await.expect("describe cluster");
        assert_eq!(d.controller_id, Some(1));
        assert_eq!(d.brokers.len(), 3);
        let t = admin.describe_topic("described").await.expect("describe");
        assert!(t.partitions[0].offline_replicas.is_empty());
        assert_eq!(t.partitions[0].isr, vec![2, 1]);
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn deleted_records_move_the_low_watermark() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        admin
            .create_topic(
                &NewTopic::new("trimmed")
                    .with_partitions(3)
                    .with_replication_factor(2),
                false,
            )
            .await
            .expect("create");
        let values: Vec<String> = (0..10).map(|i| format!("v{i}")).collect();
        // One record per batch, so a deletion can drop whole batches.
        for v in &values {
            produce(&admin, "trimmed", 0, std::slice::from_ref(v)).await;
        }
        produce(&admin, "trimmed", 1, &values[..5]).await;
        let all = [tp("trimmed", 0), tp("trimmed", 1), tp("trimmed", 2)];
        let marks = admin
            .watermarks(&all, IsolationLevel::ReadUncommitted)
            .await
            .expect("watermarks");
        let pairs: Vec<(i64, i64)> = all
            .iter()
            .map(|tp| {
                let w = marks[tp].as_ref().expect("watermarks");
                (w.earliest, w.latest)
            })
            .collect();
        assert_eq!(pairs, [(0, 10), (0, 5), (0, 0)]);

        let deleted = admin
            .delete_records([
                (tp("trimmed", 0), 4),
                (tp("trimmed", 1), -1),
                (tp("trimmed", 2), 1),
                (tp("trimmed", 7), 0),
            ])
            .await
            .expect("delete records");
        assert_eq!(deleted[&tp("trimmed", 0)].as_ref().ok(), Some(&4));
        assert_eq!(
            deleted[&tp("trimmed", 1)].as_ref().ok(),
            Some(&5),
            "-1 deletes up to the high watermark"
        );
        assert_eq!(
            failure(&deleted, tp("trimmed", 2)),
            Some(ResponseError::OffsetOutOfRange)
        );
        assert!(deleted[&tp("trimmed", 7)].is_err());

        let marks = admin
            .watermarks(&all[..2], IsolationLevel::ReadUncommitted)
            .await
            .expect("watermarks");
        assert_eq!(
            marks[&tp("trimmed", 0)]
                .as_ref()
                .map(|w| (w.earliest, w.latest))
                .ok(),
            Some((4, 10))
        );
        assert_eq!(
            marks[&tp("trimmed", 1)]
                .as_ref()
                .map(|w| (w.earliest, w.latest))
                .ok(),
            Some((5, 5))
        );
        assert_eq!(
            values_of(&cluster.records("trimmed", 0).unwrap()),
            &values[4..]
        );
        // Fetching starts at the new low watermark; before it is out of range.
        let config = FetchConfig {
            max_wait: Duration::from_millis(10),
            ..FetchConfig::default()
        };
        let fetched = fetch(admin.client(), "trimmed", 0, 4, &config)
            .await
            .expect("fetch from the low watermark");
        assert_eq!(fetched.records.first().map(|r| r.offset), Some(4));
        assert_eq!(fetched.log_start_offset, 4);
        let e = fetch(admin.client(), "trimmed", 0, 3, &config)
            .await
            .expect_err("deleted");
        assert_eq!(e.code(), Some(ResponseError::OffsetOutOfRange));

        // Offsets by spec, many partitions at once.
        let offsets = admin
            .list_offsets(
                [
                    (tp("trimmed", 0), OffsetSpec::Earliest),
                    (tp("trimmed", 1), OffsetSpec::Latest),
                    (tp("trimmed", 2), OffsetSpec::Latest),
                    (tp("trimmed", 0), OffsetSpec::Timestamp(i64::MAX / 2)),
                ],
                IsolationLevel::ReadCommitted,
            )
            .await
            .expect("list offsets");
        assert_eq!(
            offsets.len(),
            3,
            "a partition named twice keeps its last spec"
        );
        assert_eq!(
            offsets[&tp("trimmed", 0)].as_ref().ok().map(|o| o.offset),
            Some(-1)
        );
        assert_eq!(
            offsets[&tp("trimmed", 1)].as_ref().ok().map(|o| o.offset),
            Some(5)
        );
        assert_eq!(
            offsets[&tp("trimmed", 2)].as_ref().ok().map(|o| o.offset),
            Some(0)
        );

        // The request goes to each partition's leader, wherever it moved.
        cluster.move_leader("trimmed", 0, 3).expect("move");
        let deleted = admin
            .delete_records([(tp("trimmed", 0), 6)])
            .await
            .expect("delete records");
        assert_eq!(deleted[&tp("trimmed", 0)].as_ref().ok(), Some(&6));
        assert_eq!(cluster.records("trimmed", 0).unwrap()[0].offset, 6);
        cluster.shutdown().await;
    })
    .await;
}

fn binding(
    resource_type: AclResourceType,
    name: &str,
    pattern_type: PatternType,
    principal: &str,
    operation: AclOperation,
    permission: AclPermissionType,
) -> AclBinding {
    AclBinding {
        resource_type,
        resource_name: name.into(),
        pattern_type,
        principal: principal.into(),
        host: "*".into(),
        operation,
        permission,
    }
}

#[tokio::test]
async fn acls_are_created_matched_by_filters_and_deleted() {
    bounded(async {
        use AclOperation as Op;
        use AclPermissionType as Perm;
        use AclResourceType as Res;
        use PatternType as Pat;
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        let orders_read = binding(
            Res::Topic,
            "orders",
            Pat::Literal,
            "User:alice",
            Op::Read,
            Perm::Allow,
        );
        let prefix_write = binding(
            Res::Topic,
            "ord",
            Pat::Prefixed,
            "User:bob",
            Op::Write,
            Perm::Deny,
        );
        let any_topic = binding(
            Res::Topic,
            "*",
            Pat::Literal,
            "User:carol",
            Op::Describe,
            Perm::Allow,
        );
        let group_read = binding(
            Res::Group,
            "billing",
            Pat::Literal,
            "User:alice",
            Op::Read,
            Perm::Allow,
        );
        let cluster_alter = AclBinding {
            host: "10.0.0.1".into(),
            ..binding(
                Res::Cluster,
                "kafka-cluster",
                Pat::Literal,
                "User:admin",
                Op::Alter,
                Perm::Allow,
            )
        };
        let txn = binding(
            Res::TransactionalId,
            "tx-",
            Pat::Prefixed,
            "User:bob",
            Op::All,
            Perm::Allow,
        );
        let bad_cluster = binding(
            Res::Cluster,
            "other",
            Pat::Literal,
            "User:x",
            Op::Alter,
            Perm::Allow,
        );
        let bad_principal = binding(
            Res::Topic,
            "t",
            Pat::Literal,
            "alice",
            Op::Read,
            Perm::Allow,
        );
        let created = admin
            .create_acls(&[
                orders_read.clone(),
                bad_cluster,
                prefix_write.clone(),
                any_topic.clone(),
                group_read.clone(),
                cluster_alter.clone(),
                bad_principal,
                txn.clone(),
                orders_read.clone(),
            ])
            .await
            .expect("create acls");
        let codes: Vec<Option<ResponseError>> = created
            .iter()
            .map(|r| r.as_ref().err().and_then(Error::code))
            .collect();
        let bad = Some(ResponseError::InvalidRequest);
        assert_eq!(
            codes,
            [None, bad, None, None, None, None, bad, None, None],
            "one result per binding, in order"
        );
        let sorted = |mut v: Vec<AclBinding>| {
            v.sort();
            v
        };
        let all = sorted(vec![
            orders_read.clone(),
            prefix_write.clone(),
            any_topic.clone(),
            group_read.clone(),
            cluster_alter.clone(),
            txn.clone(),
        ]);
        let describe = |filter: AclBindingFilter| {
            let admin = admin.clone();
            async move { sorted(admin.describe_acls(&filter).await.expect("describe acls")) }
        };
        assert_eq!(
            describe(AclBindingFilter::any()).await,
            all,
            "a binding created twice is stored once"
        );
        let any = AclBindingFilter::any;
        let cases = [
            (
                AclBindingFilter {
                    resource_type: Res::Topic,
                    ..any()
                },
                vec![&orders_read, &prefix_write, &any_topic],
            ),
            // MATCH: every binding that applies to topic "orders".
            (
                AclBindingFilter {
                    resource_type: Res::Topic,
                    resource_name: Some("orders".into()),
                    pattern_type: Pat::Match,
                    ..any()
                },
                vec![&orders_read, &prefix_write, &any_topic],
            ),
            (
                AclBindingFilter {
                    resource_type: Res::Topic,
                    resource_name: Some("other".into()),
                    pattern_type: Pat::Match,
                    ..any()
                },
                vec![&any_topic],
            ),
            // ANY pattern with a name: exact names only.
            (
                AclBindingFilter {
                    resource_name: Some("orders".into()),
                    ..any()
                },
                vec![&orders_read],
            ),
            (
                AclBindingFilter {
                    pattern_type: Pat::Prefixed,
                    ..any()
                },
                vec![&prefix_write, &txn],
            ),
            (
                AclBindingFilter {
                    operation: Op::Read,
                    ..any()
                },
                vec![&orders_read, &group_read],
            ),
            (
                AclBindingFilter {
                    permission: Perm::Deny,
                    ..any()
                },
                vec![&prefix_write],
            ),
            (
                AclBindingFilter {
                    principal: Some("User:alice".into()),
                    ..any()
                },
                vec![&orders_read, &group_read],
            ),
            (
                AclBindingFilter {
                    host: Some("10.0.0.1".into()),
                    ..any()
                },
                vec![&cluster_alter],
            ),
            (AclBindingFilter::exact(&txn), vec![&txn]),
            (
                AclBindingFilter {
                    resource_type: Res::User,
                    ..any()
                },
                vec![],
            ),
        ];
        for (filter, expected) in cases {
            let expected = sorted(expected.into_iter().cloned().collect());
            assert_eq!(describe(filter.clone()).await, expected, "{filter:?}");
        }

        // Each filter reports what it deleted; a binding matched by two
        // filters goes once.
        let deleted = admin
            .delete_acls(&[
                AclBindingFilter {
                    principal: Some("User:bob".into()),
                    ..any()
                },
                AclBindingFilter {
                    resource_type: Res::Group,
                    ..any()
                },
                AclBindingFilter {
                    principal: Some("User:nobody".into()),
                    ..any()
                },
            ])
            .await
            .expect("delete acls");
        let deleted: Vec<Vec<AclBinding>> = deleted
            .into_iter()
            .map(|r| sorted(r.expect("filter result")))
            .collect();
        assert_eq!(
            deleted,
            vec![
                sorted(vec![prefix_write.clone(), txn.clone()]),
                vec![group_read.clone()],
                vec![],
            ]
        );
        assert_eq!(
            describe(AclBindingFilter::any()).await,
            sorted(vec![orders_read, any_topic, cluster_alter])
        );

        // Bindings must be concrete, filters must not use UNKNOWN.
        assert!(matches!(
            admin
                .create_acls(&[binding(
                    Res::Any,
                    "x",
                    Pat::Literal,
                    "User:x",
                    Op::Read,
                    Perm::Allow
                )])
                .await,
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            admin
                .describe_acls(&AclBindingFilter {
                    operation: Op::Unknown,
                    ..any()
                })
                .await,
            Err(Error::InvalidArgument(_))
        ));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn reassignments_are_listed_while_running_then_complete_or_cancel() {
    bounded(async {
        let cluster = cluster_with(ClusterConfig {
            reassignment_delay: Duration::from_millis(600),
            ..ClusterConfig::default()
        })
        .await;
        let admin = admin(&cluster).await;
        admin
            .create_topic(
                &NewTopic::new("moving")
                    .with_partitions(3)
                    .with_replication_factor(2),
                false,
            )
            .await
            .expect("create");
        produce(&admin, "moving", 0, &["before".into()]).await;
        assert!(admin
            .list_partition_reassignments(None)
            .await
            .expect("list")
            .is_empty());
        // Partition 0 is on [1, 2], led by 1; partition 1 on [2, 3].
        let results = admin
            .alter_partition_reassignments(&[
                (tp("moving", 0), Some(vec![2, 3])),
                (tp("moving", 1), Some(vec![1, 2])),
                (tp("moving", 2), None),
                (tp("moving", 9), Some(vec![1, 2])),
                (tp("absent", 0), Some(vec![1, 2])),
            ])
            .await
            .expect("alter reassignments");
        assert!(results[&tp("moving", 0)].is_ok());
        assert!(results[&tp("moving", 1)].is_ok());
        assert_eq!(
            failure(&results, tp("moving", 2)),
            Some(ResponseError::NoReassignmentInProgress)
        );
        for missing in [tp("moving", 9), tp("absent", 0)] {
            assert_eq!(
                failure(&results, missing),
                Some(ResponseError::UnknownTopicOrPartition)
            );
        }
        let running = admin
            .list_partition_reassignments(Some(&["moving".into()]))
            .await
            .expect("list");
        assert_eq!(
            running,
            vec![
                PartitionReassignment {
                    partition: tp("moving", 0),
                    replicas: vec![2, 3, 1],
                    adding_replicas: vec![3],
                    removing_replicas: vec![1],
                },
                PartitionReassignment {
                    partition: tp("moving", 1),
                    replicas: vec![1, 2, 3],
                    adding_replicas: vec![1],
                    removing_replicas: vec![3],
                },
            ]
        );
        assert_eq!(
            admin.list_partition_reassignments(None).await.expect("all"),
            running
        );
        assert_eq!(
            admin
                .list_reassignments_of(&[tp("moving", 1), tp("moving", 2)])
                .await
                .expect("some"),
            running[1..]
        );
        // While it runs the metadata shows old and new replicas together.
        let t = admin.describe_topic("moving").await.expect("describe");
        assert_eq!(t.partitions[0].replicas, vec![2, 3, 1]);

        // Cancelling partition 1 puts its replicas back.
        let cancelled = admin
            .alter_partition_reassignments(&[(tp("moving", 1), None)])
            .await
            .expect("cancel");
        assert!(cancelled[&tp("moving", 1)].is_ok());
        let t = admin.describe_topic("moving").await.expect("describe");
        assert_eq!(t.partitions[1].replicas, vec![2, 3]);

        // Partition 0 completes after the delay; its old leader was removed,
        // so leadership moved, and no record was lost.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let running = admin
                .list_partition_reassignments(None)
                .await
                .expect("list");
            if running.is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "still running: {running:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let t = admin.describe_topic("moving").await.expect("describe");
        assert_eq!(t.partitions[0].replicas, vec![2, 3]);
        assert_eq!(t.partitions[0].leader, 2);
        assert_eq!(cluster.leader("moving", 0).unwrap(), 2);
        assert_eq!(
            values_of(&cluster.records("moving", 0).unwrap()),
            ["before"]
        );
        let offsets = produce(&admin, "moving", 0, &["after".into()]).await;
        assert_eq!(offsets, vec![1]);

        // Refused targets, checked arguments, unknown topics.
        let results = admin
            .alter_partition_reassignments(&[(tp("moving", 2), Some(vec![1, 1]))])
            .await
            .expect("alter");
        assert_eq!(
            failure(&results, tp("moving", 2)),
            Some(ResponseError::InvalidReplicaAssignment)
        );
        assert!(matches!(
            admin
                .alter_partition_reassignments(&[
                    (tp("moving", 2), None),
                    (tp("moving", 2), Some(vec![1])),
                ])
                .await,
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            admin
                .list_partition_reassignments(Some(&["absent".into()]))
                .await,
            Err(Error::UnknownTopic(_))
        ));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn leader_elections_preferred_and_unclean() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        admin
            .create_topic(
                &NewTopic::new("elected")
                    .with_partitions(3)
                    .with_replication_factor(3),
                false,
            )
            .await
            .expect("create");
        admin
            .create_topic(&NewTopic::new("lonely").with_assignment(0, vec![3]), false)
            .await
            .expect("create");
        cluster.move_leader("elected", 0, 2).expect("move");
        cluster.move_leader("elected", 2, 1).expect("move");

        let asked = [tp("elected", 0), tp("elected", 1)];
        let results = admin
            .elect_leaders(ElectionType::Preferred, Some(&asked))
            .await
            .expect("elect");
        assert!(results[&tp("elected", 0)].is_ok());
        assert_eq!(
            failure(&results, tp("elected", 1)),
            Some(ResponseError::ElectionNotNeeded)
        );
        assert_eq!(cluster.leader("elected", 0).unwrap(), 1);
        let t = admin.describe_topic("elected").await.expect("describe");
        assert_eq!(t.partitions[0].leader, 1);

        // Without a list: every partition that needs it, and only those are
        // reported.
        let results = admin
            .elect_leaders(ElectionType::Preferred, None)
            .await
            .expect("elect all");
        assert_eq!(
            results.keys().cloned().collect::<Vec<_>>(),
            vec![tp("elected", 2)]
        );
        assert!(results[&tp("elected", 2)].is_ok());
        assert_eq!(cluster.leader("elected", 2).unwrap(), 3);

        // The preferred replica must be up.
        cluster.move_leader("elected", 1, 3).expect("move");
        cluster.stop_broker(2).await.expect("stop");
        let results = admin
            .elect_leaders(ElectionType::Preferred, Some(&[tp("elected", 1)]))
            .await
            .expect("elect");
        assert_eq!(
            failure(&results, tp("elected", 1)),
            Some(ResponseError::PreferredLeaderNotAvailable)
        );
        assert_eq!(cluster.leader("elected", 1).unwrap(), 3);

        // Unclean: not needed while there is a leader, impossible without a
        // live replica.
        cluster.stop_broker(3).await.expect("stop");
        assert_eq!(cluster.leader("lonely", 0).unwrap(), -1);
        let results = admin
            .elect_leaders(
                ElectionType::Unclean,
                Some(&[tp("elected", 0), tp("lonely", 0), tp("lonely", 4)]),
            )
            .await
            .expect("elect");
        assert_eq!(
            failure(&results, tp("elected", 0)),
            Some(ResponseError::ElectionNotNeeded)
        );
        assert_eq!(
            failure(&results, tp("lonely", 0)),
            Some(ResponseError::EligibleLeadersNotAvailable)
        );
        assert_eq!(
            failure(&results, tp("lonely", 4)),
            Some(ResponseError::UnknownTopicOrPartition)
        );
        assert!(admin
            .elect_leaders(ElectionType::Preferred, Some(&[]))
            .await
            .expect("nothing")
            .is_empty());
        assert!(matches!(
            admin.elect_leaders(ElectionType::Unknown, None).await,
            Err(Error::InvalidArgument(_))
        ));
        cluster.shutdown().await;
    })
    .await;
}

/// `compression.<codec>.level` reaches the batches the broker stores: the
/// same records take less room at a higher level (one replica, on broker 1).
#[tokio::test]
async fn producer_compression_levels_reach_the_stored_batches() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        let values: Vec<String> = (0..400)
            .map(|i| {
                format!(
                    "{{\"event\":\"page_view\",\"user\":{},\"path\":\"/a/b/{}\"}}",
                    i % 37,
                    i % 11
                )
            })
            .collect();
        for (codec, low, high) in [
            (Compression::Gzip, "1", "9"),
            (Compression::Zstd, "1", "19"),
        ] {
            let mut sizes = Vec::new();
            for level in [low, high] {
                let topic = format!("levels-{codec}-{level}");
                admin
                    .create_topic(&NewTopic::new(&topic).with_assignment(0, vec![1]), false)
                    .await
                    .expect("create");
                let mut config = ProducerConfig {
                    linger: Duration::from_millis(50),
                    batch_size: 1 << 20,
                    compression: codec,
                    ..ProducerConfig::default()
                };
                let key = format!("compression.{codec}.level");
                assert_eq!(config.compression_levels.set(&key, level), Ok(true));
                let offsets = produce_with(&admin, config, &topic, 0, &values).await;
                assert_eq!(offsets.len(), values.len());
                let dirs = admin.describe_log_dirs(1, None).await.expect("log dirs");
                let size = dirs
                    .iter()
                    .flat_map(|d| &d.replicas)
                    .find(|r| r.partition.topic == topic)
                    .map(|r| r.size)
                    .expect("the replica");
                assert_eq!(
                    values_of(&cluster.records(&topic, 0).unwrap()),
                    values,
                    "{codec} level {level}"
                );
                sizes.push(size);
            }
            assert!(
                sizes[1] < sizes[0],
                "{codec}: level {low} {} bytes, level {high} {} bytes",
                sizes[0],
                sizes[1]
            );
        }
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn log_dirs_report_the_replicas_each_broker_holds() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        admin
            .create_topic(
                &NewTopic::new("sized")
                    .with_partitions(2)
                    .with_replication_factor(2),
                false,
            )
            .await
            .expect("create");
        // Partition 0 lives on [1, 2], partition 1 on [2, 3].
        let replicas_of = |dirs: &[wire::admin::LogDir]| -> BTreeMap<TopicPartition, i64> {
            dirs.iter()
                .flat_map(|d| &d.replicas)
                .filter(|r| r.partition.topic == "sized")
                .map(|r| (r.partition.clone(), r.size))
                .collect()
        };
        let one = admin.describe_log_dirs(1, None).await.expect("broker 1");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].path, "memory:/broker-1");
        assert_eq!(one[0].error, None);
        assert_eq!((one[0].total_bytes, one[0].usable_bytes), (None, None));
        assert_eq!(
            replicas_of(&one),
            BTreeMap::from([(tp("sized", 0), 0)]),
            "broker 1 holds partition 0 only, empty"
        );
        assert!(one[0]
            .replicas
            .iter()
            .all(|r| !r.is_future && r.offset_lag == 0));

        let values: Vec<String> = (0..20).map(|i| format!("value-{i:04}")).collect();
        produce(&admin, "sized", 0, &values).await;
        let one = replicas_of(&admin.describe_log_dirs(1, None).await.expect("broker 1"));
        let size = one[&tp("sized", 0)];
        assert!(size > 20 * 10, "the replica grew: {size} bytes");
        let two = replicas_of(&admin.describe_log_dirs(2, None).await.expect("broker 2"));
        assert_eq!(
            two,
            BTreeMap::from([(tp("sized", 0), size), (tp("sized", 1), 0)]),
            "every replica holds the same log"
        );
        produce(&admin, "sized", 0, &values[..1]).await;
        let again = replicas_of(&admin.describe_log_dirs(2, None).await.expect("broker 2"));
        assert!(again[&tp("sized", 0)] > size);

        // Only the partitions asked for.
        let three = admin
            .describe_log_dirs(3, Some(&[tp("sized", 1), tp("sized", 0)]))
            .await
            .expect("broker 3");
        assert_eq!(replicas_of(&three), BTreeMap::from([(tp("sized", 1), 0)]));
        assert!(matches!(
            admin.describe_log_dirs(9, None).await,
            Err(Error::UnknownBroker(9))
        ));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn unregistering_brokers() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;
        let ids = |d: wire::admin::ClusterDescription| -> Vec<i32> {
            d.brokers.iter().map(|b| b.id).collect()
        };
        // A running broker registers again at once: nothing changes.
        admin.unregister_broker(3).await.expect("unregister 3");
        assert_eq!(
            ids(admin.describe_cluster().await.expect("describe")),
            [1, 2, 3]
        );
        // A stopped one is gone until it starts again.
        cluster.stop_broker(3).await.expect("stop");
        admin.unregister_broker(3).await.expect("unregister 3");
        assert_eq!(
            ids(admin.describe_cluster().await.expect("describe")),
            [1, 2]
        );
        cluster.start_broker(3).await.expect("start");
        assert_eq!(
            ids(admin.describe_cluster().await.expect("describe")),
            [1, 2, 3]
        );
        let e = admin.unregister_broker(42).await.expect_err("unknown");
        assert_eq!(e.code(), Some(ResponseError::BrokerIdNotRegistered));
        assert!(
            matches!(&e, Error::Resource { resource, .. } if resource == "broker 42"),
            "{e:?}"
        );
        assert!(e.message().is_some_and(|m| m.contains("42")));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn admin_calls_follow_the_controller_and_the_leaders() {
    bounded(async {
        let cluster = cluster().await;
        let admin = admin(&cluster).await;

        // NOT_CONTROLLER for every item: the metadata is refreshed and the
        // request sent again.
        let metadata_before = cluster.request_count(ApiKey::Metadata);
        cluster.fail_next(ApiKey::CreateTopics, ResponseError::NotController, 2);
        let created = admin
            .create_topic(
                &NewTopic::new("routed")
                    .with_partitions(3)
                    .with_replication_factor(3),
                false,
            )
            .await
            .expect("created after two NOT_CONTROLLER answers");
        assert_eq!(created.partitions, Some(3));
        assert_eq!(cluster.request_count(ApiKey::CreateTopics), 3);
        assert!(cluster.request_count(ApiKey::Metadata) > metadata_before);
        assert_eq!(
            admin
                .describe_topic("routed")
                .await
                .expect("describe")
                .partitions
                .len(),
            3
        );

        cluster.fail_next(ApiKey::CreatePartitions, ResponseError::NotController, 1);
        admin
            .create_partitions("routed", 4, None, false)
            .await
            .expect("partitions after NOT_CONTROLLER");
        assert_eq!(cluster.request_count(ApiKey::CreatePartitions), 2);
        assert_eq!(
            admin
                .describe_topic("routed")
                .await
                .expect("describe")
                .partitions
                .len(),
            4
        );

        cluster.move_leader("routed", 1, 1).expect("move");
        cluster.fail_next(ApiKey::ElectLeaders, ResponseError::NotController, 1);
        let elected = admin
            .elect_leaders(ElectionType::Preferred, Some(&[tp("routed", 1)]))
            .await
            .expect("election after NOT_CONTROLLER");
        assert!(elected[&tp("routed", 1)].is_ok());
        assert_eq!(cluster.leader("routed", 1).unwrap(), 2);

        cluster.fail_next(
            ApiKey::AlterPartitionReassignments,
            ResponseError::NotController,
            1,
        );
        let moved = admin
            .alter_partition_reassignments(&[(tp("routed", 0), Some(vec![3, 2, 1]))])
            .await
            .expect("reassignment after NOT_CONTROLLER");
        assert!(moved[&tp("routed", 0)].is_ok());
        cluster.fail_next(
            ApiKey::ListPartitionReassignments,
            ResponseError::NotController,
            1,
        );
        assert!(admin
            .list_partition_reassignments(None)
            .await
            .expect("list after NOT_CONTROLLER")
            .is_empty());
        assert_eq!(
            admin
                .describe_topic("routed")
                .await
                .expect("describe")
                .partitions[0]
                .replicas,
            vec![3, 2, 1]
        );

        cluster.fail_next(ApiKey::DeleteTopics, ResponseError::NotController, 1);
        admin
            .create_topic(
                &NewTopic::new("short-lived")
                    .with_partitions(1)
                    .with_replication_factor(1),
                false,
            )
            .await
            .expect("create");
        admin
            .delete_topic("short-lived")
            .await
            .expect("deleted after NOT_CONTROLLER");
        assert!(matches!(
            admin.describe_topic("short-lived").await,
            Err(Error::UnknownTopic(_))
        ));

        // The controller stops: the next controller takes the requests.
        cluster.stop_broker(1).await.expect("stop the controller");
        let d = admin.describe_cluster().await.expect("describe");
        assert_eq!(d.controller_id, Some(2));
        admin
            .create_topic(
                &NewTopic::new("after")
                    .with_partitions(2)
                    .with_replication_factor(2),
                false,
            )
            .await
            .expect("created through the new controller");
        let t = admin.describe_topic("after").await.expect("describe");
        let replicas: Vec<Vec<i32>> = t.partitions.iter().map(|p| p.replicas.clone()).collect();
        assert_eq!(
            replicas,
            [[2, 3], [3, 2]],
            "placed on the brokers that are up"
        );
        let e = admin
            .create_partitions("routed", 6, None, false)
            .await
            .expect_err("three replicas need three brokers");
        assert_eq!(e.code(), Some(ResponseError::InvalidReplicationFactor));

        // Calls for the stopped broker itself find it gone, and it back.
        assert!(matches!(
            admin.describe_log_dirs(1, None).await,
            Err(Error::UnknownBroker(1))
        ));
        assert!(matches!(
            admin
                .describe_config(&ConfigResource::Broker(1), &all_details())
                .await,
            Err(Error::UnknownBroker(1))
        ));
        cluster.start_broker(1).await.expect("start");
        let dirs = admin
            .describe_log_dirs(1, None)
            .await
            .expect("back after the restart");
        assert_eq!(dirs[0].path, "memory:/broker-1");
        assert_eq!(
            entry(
                &admin
                    .describe_config(&ConfigResource::Broker(1), &all_details())
                    .await
                    .expect("configs after the restart"),
                "node.id"
            )
            .value
            .as_deref(),
            Some("1")
        );

        // DeleteRecords answered NOT_LEADER_OR_FOLLOWER goes again to the
        // leader the refreshed metadata names.
        produce(&admin, "routed", 2, &["a".into(), "b".into(), "c".into()]).await;
        cluster.fail_next(ApiKey::DeleteRecords, ResponseError::NotLeaderOrFollower, 1);
        cluster.move_leader("routed", 2, 1).expect("move");
        let deleted = admin
            .delete_records([(tp("routed", 2), 2)])
            .await
            .expect("delete records");
        assert_eq!(deleted[&tp("routed", 2)].as_ref().ok(), Some(&2));
        assert_eq!(values_of(&cluster.records("routed", 2).unwrap()), ["c"]);
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_controller_that_keeps_moving_ends_in_the_error() {
    bounded(async {
        let cluster = cluster().await;
        let mut config = ClientConfig::new(&cluster.bootstrap()).expect("bootstrap");
        config.retry_backoff = Duration::from_millis(10);
        config.retry_backoff_max = Duration::from_millis(20);
        config.api_timeout = Duration::from_millis(300);
        let admin = Admin::connect(config).await.expect("connect");
        cluster.fail_next(ApiKey::CreateTopics, ResponseError::NotController, 1000);
        let started = Instant::now();
        let e = admin
            .create_topic(&NewTopic::new("never").with_partitions(1), false)
            .await
            .expect_err("always NOT_CONTROLLER");
        assert_eq!(e.code(), Some(ResponseError::NotController));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(
            cluster.request_count(ApiKey::CreateTopics) > 3,
            "it was retried"
        );
        assert!(matches!(
            admin.describe_topic("never").await,
            Err(Error::UnknownTopic(_))
        ));
        cluster.shutdown().await;
    })
    .await;
}
