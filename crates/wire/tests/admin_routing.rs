//! Where the admin calls send their requests, and what they make of the
//! answers, against a scripted cluster (`admin_scripted`): the controller
//! (and a new one after NOT_CONTROLLER), a broker's own configs and log
//! directories on that broker, per-leader DeleteRecords and ListOffsets with
//! retries after a leader move, the AlterConfigs and Metadata fallbacks, and
//! typed "unsupported" outcomes.

mod admin_scripted;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use admin_scripted::{reply, AdminCluster, Reply, Request, State};
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::alter_partition_reassignments_response::{
    ReassignablePartitionResponse, ReassignableTopicResponse,
};
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult,
};
use kafka_protocol::messages::describe_log_dirs_response::DescribeLogDirsResult;
use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse as IncrementalResult;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use wire::admin::{
    AlterConfigOp, ConfigResource, ConfigSource, DescribeConfigsOptions, ElectionType, NewTopic,
};
use wire::error::ResponseError;
use wire::protocol::api::fetch::IsolationLevel;
use wire::protocol::api::list_offsets::OffsetSpec;
use wire::{Admin, ClientConfig, Error, TopicPartition};

/// No test may take longer than this, whatever goes wrong.
const TEST_LIMIT: Duration = Duration::from_secs(15);

async fn within<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("test took too long")
}

async fn admin(cluster: &AdminCluster) -> Admin {
    let mut config = ClientConfig::new(&cluster.bootstrap()).expect("config");
    config.api_timeout = Duration::from_secs(5);
    config.retry_backoff = Duration::from_millis(5);
    config.retry_backoff_max = Duration::from_millis(20);
    Admin::connect(config).await.expect("connect")
}

fn unexpected(request: &Request) -> Reply {
    panic!(
        "unexpected {:?} v{} at broker {}",
        request.api, request.version, request.broker
    )
}

fn str(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

#[tokio::test]
async fn topics_go_to_the_controller_and_follow_it_after_not_controller() {
    within(async {
        let cluster = AdminCluster::start(3, 2, |request, state: &mut State| match request.api {
            ApiKey::CreateTopics => {
                let asked: CreateTopicsRequest = request.decode();
                assert!(asked.validate_only);
                assert!(asked.timeout_ms > 0);
                let results = asked
                    .topics
                    .iter()
                    .map(|t| {
                        let mut r = CreatableTopicResult::default()
                            .with_name(t.name.clone())
                            .with_num_partitions(t.num_partitions)
                            .with_replication_factor(t.replication_factor);
                        if request.broker == 2 {
                            // The controller moved away.
                            r = r.with_error_code(ResponseError::NotController.code());
                        }
                        r
                    })
                    .collect();
                if request.broker == 2 {
                    state.controller = 3;
                }
                reply(request, &CreateTopicsResponse::default().with_topics(results))
            }
            ApiKey::DeleteTopics => {
                let asked: DeleteTopicsRequest = request.decode();
                let results = asked
                    .topics
                    .iter()
                    .map(|t| {
                        let name = t.name.clone().expect("named");
                        let code = if name.as_str() == "gone" { 3 } else { 0 };
                        kafka_protocol::messages::delete_topics_response::DeletableTopicResult::default()
                            .with_name(Some(name))
                            .with_error_code(code)
                    })
                    .collect();
                reply(request, &DeleteTopicsResponse::default().with_responses(results))
            }
            _ => unexpected(request),
        })
        .await;
        let admin = admin(&cluster).await;
        let results = admin
            .create_topics(
                &[
                    NewTopic::new("a").with_partitions(3).with_replication_factor(2),
                    NewTopic::new("b").with_partitions(1).with_replication_factor(1),
                ],
                true,
            )
            .await
            .expect("create");
        assert_eq!(results["a"].as_ref().expect("a").partitions, Some(3));
        assert_eq!(results["b"].as_ref().expect("b").replication_factor, Some(1));
        let brokers: Vec<i32> = cluster
            .calls_of(ApiKey::CreateTopics)
            .iter()
            .map(|(b, _)| *b)
            .collect();
        assert_eq!(brokers, [2, 3], "controller first, then the new controller");

        let results = admin
            .delete_topics(&["a".into(), "gone".into()])
            .await
            .expect("delete");
        assert!(results["a"].is_ok());
        assert_eq!(
            results["gone"].as_ref().unwrap_err().code(),
            Some(ResponseError::UnknownTopicOrPartition)
        );
        assert_eq!(cluster.calls_of(ApiKey::DeleteTopics), [(3, 6)]);
    })
    .await
}

#[tokio::test]
async fn broker_configs_are_asked_of_their_broker() {
    within(async {
        let dropped = std::sync::atomic::AtomicBool::new(false);
        let cluster = AdminCluster::start(3, 1, move |request, _| match request.api {
            // Broker 3's first answer is lost with its connection; the
            // request is sent again.
            ApiKey::DescribeConfigs
                if request.broker == 3
                    && !dropped.swap(true, std::sync::atomic::Ordering::SeqCst) =>
            {
                Reply::Close
            }
            ApiKey::DescribeConfigs => {
                let asked: DescribeConfigsRequest = request.decode();
                assert!(asked.include_synonyms && asked.include_documentation);
                let results = asked
                    .resources
                    .iter()
                    .map(|r| {
                        let value = format!("{}@{}", r.resource_name, request.broker);
                        DescribeConfigsResult::default()
                            .with_resource_type(r.resource_type)
                            .with_resource_name(r.resource_name.clone())
                            .with_configs(vec![DescribeConfigsResourceResult::default()
                                .with_name(str("where"))
                                .with_value(Some(str(&value)))
                                .with_config_source(2)])
                    })
                    .collect();
                reply(
                    request,
                    &DescribeConfigsResponse::default().with_results(results),
                )
            }
            ApiKey::IncrementalAlterConfigs => {
                let asked: IncrementalAlterConfigsRequest = request.decode();
                let r = &asked.resources[0];
                assert_eq!((r.resource_type, r.resource_name.as_str()), (8, "2"));
                assert_eq!(r.configs[0].config_operation, 0);
                reply(
                    request,
                    &IncrementalAlterConfigsResponse::default().with_responses(vec![
                        IncrementalResult::default()
                            .with_resource_type(r.resource_type)
                            .with_resource_name(r.resource_name.clone())
                            .with_error_code(ResponseError::InvalidConfig.code())
                            .with_error_message(Some(str("no such logger"))),
                    ]),
                )
            }
            _ => unexpected(request),
        })
        .await;
        let admin = admin(&cluster).await;
        let resources = [
            ConfigResource::Topic("t".into()),
            ConfigResource::Broker(3),
            ConfigResource::BrokerLogger(2),
            ConfigResource::BrokerDefault,
        ];
        let options = DescribeConfigsOptions {
            names: None,
            include_synonyms: true,
            include_documentation: true,
        };
        let results = admin
            .describe_configs(&resources, &options)
            .await
            .expect("describe");
        let value = |r: &ConfigResource| {
            let entries = results[r].as_ref().expect("entries");
            assert_eq!(entries[0].source, ConfigSource::DynamicBrokerConfig);
            entries[0].value.clone().expect("value")
        };
        assert_eq!(value(&resources[1]), "3@3");
        assert_eq!(value(&resources[2]), "2@2");
        let calls = cluster.calls_of(ApiKey::DescribeConfigs);
        assert_eq!(calls.len(), 4, "{calls:?}");
        assert_eq!(
            calls.iter().filter(|c| **c == (3, 4)).count(),
            2,
            "{calls:?}"
        );
        assert!(calls.contains(&(2, 4)));

        let e = admin
            .incremental_alter_configs(
                &ConfigResource::BrokerLogger(2),
                &[AlterConfigOp::set("kafka.server", "DEBUG")],
                false,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::InvalidConfig));
        assert_eq!(e.message(), Some("no such logger"));
        assert!(matches!(&e, Error::Resource { resource, .. } if resource == "broker logger 2"));
        assert_eq!(cluster.calls_of(ApiKey::IncrementalAlterConfigs), [(2, 1)]);
    })
    .await
}

/// The config sets AlterConfigs requests wrote.
type Written = std::sync::Arc<std::sync::Mutex<Vec<BTreeMap<String, Option<String>>>>>;

/// The dynamic configs of topic `t` in the fallback test.
fn dynamic_configs(sensitive: bool) -> Vec<DescribeConfigsResourceResult> {
    let mut configs = vec![
        DescribeConfigsResourceResult::default()
            .with_name(str("retention.ms"))
            .with_value(Some(str("1000")))
            .with_config_source(1),
        DescribeConfigsResourceResult::default()
            .with_name(str("cleanup.policy"))
            .with_value(Some(str("delete")))
            .with_config_source(1),
        DescribeConfigsResourceResult::default()
            .with_name(str("segment.bytes"))
            .with_value(Some(str("1024")))
            .with_config_source(5),
    ];
    if sensitive {
        configs.push(
            DescribeConfigsResourceResult::default()
                .with_name(str("secret"))
                .with_value(None)
                .with_is_sensitive(true)
                .with_config_source(1),
        );
    }
    configs
}

#[tokio::test]
async fn alter_configs_fallback_writes_the_whole_set() {
    within(async {
        let written: Written = Default::default();
        let seen = written.clone();
        let cluster = AdminCluster::start(1, 1, move |request, _| match request.api {
            ApiKey::DescribeConfigs => {
                let asked: DescribeConfigsRequest = request.decode();
                let r = &asked.resources[0];
                let sensitive = r.resource_name.as_str() == "s";
                reply(
                    request,
                    &DescribeConfigsResponse::default().with_results(vec![
                        DescribeConfigsResult::default()
                            .with_resource_type(r.resource_type)
                            .with_resource_name(r.resource_name.clone())
                            .with_configs(dynamic_configs(sensitive)),
                    ]),
                )
            }
            ApiKey::AlterConfigs => {
                let asked: AlterConfigsRequest = request.decode();
                let r = &asked.resources[0];
                seen.lock().unwrap().push(
                    r.configs
                        .iter()
                        .map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string())))
                        .collect(),
                );
                reply(
                    request,
                    &AlterConfigsResponse::default().with_responses(vec![
                        AlterConfigsResourceResponse::default()
                            .with_resource_type(r.resource_type)
                            .with_resource_name(r.resource_name.clone()),
                    ]),
                )
            }
            _ => unexpected(request),
        })
        .await;
        cluster.remove_api(ApiKey::IncrementalAlterConfigs);
        let admin = admin(&cluster).await;
        admin
            .incremental_alter_configs(
                &ConfigResource::Topic("t".into()),
                &[
                    AlterConfigOp::set("retention.ms", "2000"),
                    AlterConfigOp::append("cleanup.policy", "compact"),
                    AlterConfigOp::set("max.message.bytes", "10"),
                ],
                false,
            )
            .await
            .expect("fallback");
        let expected: BTreeMap<String, Option<String>> = [
            ("retention.ms", "2000"),
            ("cleanup.policy", "delete,compact"),
            ("max.message.bytes", "10"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
        .collect();
        assert_eq!(written.lock().unwrap().as_slice(), [expected]);
        assert!(cluster.calls_of(ApiKey::IncrementalAlterConfigs).is_empty());

        // A dynamic sensitive config cannot be carried over: nothing is written.
        let e = admin
            .incremental_alter_configs(
                &ConfigResource::Topic("s".into()),
                &[AlterConfigOp::set("retention.ms", "1")],
                false,
            )
            .await
            .unwrap_err();
        assert!(e.is_unsupported(), "{e}");
        assert_eq!(written.lock().unwrap().len(), 1);
        // Broker loggers only have IncrementalAlterConfigs.
        let e = admin
            .incremental_alter_configs(
                &ConfigResource::BrokerLogger(1),
                &[AlterConfigOp::set("kafka", "INFO")],
                false,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
    })
    .await
}

#[tokio::test]
async fn describe_cluster_falls_back_to_metadata() {
    within(async {
        let cluster = AdminCluster::start(2, 2, |request, _| match request.api {
            ApiKey::DescribeCluster => reply(
                request,
                &DescribeClusterResponse::default()
                    .with_cluster_id(str("from-describe-cluster"))
                    .with_controller_id(BrokerId(1))
                    .with_brokers(vec![DescribeClusterBroker::default()
                        .with_broker_id(BrokerId(1))
                        .with_host(str("h"))
                        .with_port(1)]),
            ),
            _ => unexpected(request),
        })
        .await;
        let admin = admin(&cluster).await;
        let described = admin.describe_cluster().await.expect("describe");
        assert_eq!(
            described.cluster_id.as_deref(),
            Some("from-describe-cluster")
        );
        assert_eq!(described.controller_id, Some(1));

        cluster.remove_api(ApiKey::DescribeCluster);
        let admin = self::admin(&cluster).await;
        let described = admin.describe_cluster().await.expect("describe");
        assert_eq!(described.cluster_id.as_deref(), Some("scripted-cluster"));
        assert_eq!(described.controller_id, Some(2));
        let ids: Vec<i32> = described.brokers.iter().map(|b| b.id).collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(described.brokers[1].rack.as_deref(), Some("rack-2"));
        assert_eq!(admin.describe_broker(2).await.expect("broker").id, 2);
        assert!(matches!(
            admin.describe_broker(9).await,
            Err(Error::UnknownBroker(9))
        ));
        assert_eq!(cluster.calls_of(ApiKey::DescribeCluster).len(), 1);
    })
    .await
}

#[tokio::test]
async fn delete_records_and_offsets_go_to_each_leader() {
    within(async {
        let cluster = AdminCluster::start(3, 1, |request, state: &mut State| match request.api {
            ApiKey::DeleteRecords => {
                let asked: DeleteRecordsRequest = request.decode();
                // Partition 2's leadership moves from broker 1 to broker 3
                // just as broker 1 gets the request.
                if request.broker == 1 {
                    state.topics.get_mut("t").expect("t")[2] = 3;
                }
                let topics = asked
                    .topics
                    .iter()
                    .map(|t| {
                        let leaders = &state.topics[t.name.as_str()];
                        DeleteRecordsTopicResult::default()
                            .with_name(t.name.clone())
                            .with_partitions(
                                t.partitions
                                    .iter()
                                    .map(|p| {
                                        let i = p.partition_index;
                                        let r = DeleteRecordsPartitionResult::default()
                                            .with_partition_index(i);
                                        if leaders[i as usize] != request.broker {
                                            r.with_error_code(6)
                                        } else if p.offset > 100 {
                                            r.with_error_code(1)
                                        } else {
                                            r.with_low_watermark(p.offset)
                                        }
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                reply(
                    request,
                    &DeleteRecordsResponse::default().with_topics(topics),
                )
            }
            ApiKey::ListOffsets => {
                let asked: ListOffsetsRequest = request.decode();
                let topics = asked
                    .topics
                    .iter()
                    .map(|t| {
                        ListOffsetsTopicResponse::default()
                            .with_name(t.name.clone())
                            .with_partitions(
                                t.partitions
                                    .iter()
                                    .map(|p| {
                                        let offset = if p.timestamp == -2 { 5 } else { 50 };
                                        ListOffsetsPartitionResponse::default()
                                            .with_partition_index(p.partition_index)
                                            .with_offset(offset + i64::from(request.broker))
                                            .with_timestamp(-1)
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                reply(request, &ListOffsetsResponse::default().with_topics(topics))
            }
            _ => unexpected(request),
        })
        .await;
        cluster.add_topic("t", vec![1, 2, 1, 3]);
        let admin = admin(&cluster).await;
        let tp = |p| TopicPartition::new("t", p);
        let results = admin
            .delete_records([
                (tp(0), 10),
                (tp(1), 20),
                (tp(2), 30),
                (tp(3), 1000),
                (tp(9), 1),
            ])
            .await
            .expect("delete records");
        assert_eq!(results[&tp(0)].as_ref().ok(), Some(&10));
        assert_eq!(results[&tp(1)].as_ref().ok(), Some(&20));
        // Broker 1 is no longer partition 2's leader by the time it gets
        // the request; the retry goes to the new leader.
        assert_eq!(results[&tp(2)].as_ref().ok(), Some(&30));
        let e = results[&tp(3)].as_ref().unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::OffsetOutOfRange));
        assert!(matches!(
            e,
            Error::Broker {
                partition: Some(3),
                ..
            }
        ));
        assert!(matches!(
            results[&tp(9)],
            Err(Error::UnknownPartition { partition: 9, .. })
        ));
        let mut first_round: Vec<i32> = cluster
            .calls_of(ApiKey::DeleteRecords)
            .iter()
            .map(|(b, _)| *b)
            .collect();
        let retry = first_round.split_off(3);
        first_round.sort();
        assert_eq!(first_round, [1, 2, 3], "one request per leader");
        assert_eq!(retry, [3], "partition 2 again, at its new leader");

        // The partition 2 of "t" is led by broker 3 now.
        let watermarks = admin
            .watermarks(&[tp(0), tp(1), tp(2)], IsolationLevel::ReadCommitted)
            .await
            .expect("watermarks");
        let w = |p| watermarks[&tp(p)].as_ref().copied().expect("watermarks");
        assert_eq!((w(0).earliest, w(0).latest), (6, 51));
        assert_eq!((w(1).earliest, w(1).latest), (7, 52));
        assert_eq!((w(2).earliest, w(2).latest), (8, 53));
        let offsets = admin
            .list_offsets(
                [(tp(3), OffsetSpec::Latest), (tp(0), OffsetSpec::Latest)],
                IsolationLevel::ReadUncommitted,
            )
            .await
            .expect("offsets");
        assert_eq!(offsets[&tp(3)].as_ref().expect("offset").offset, 53);
        assert_eq!(offsets[&tp(0)].as_ref().expect("offset").offset, 51);
    })
    .await
}

#[tokio::test]
async fn controller_calls_and_unsupported_outcomes() {
    within(async {
        let cluster = AdminCluster::start(2, 2, |request, _| match request.api {
            ApiKey::ElectLeaders => {
                let asked: ElectLeadersRequest = request.decode();
                let topics = asked
                    .topic_partitions
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| {
                        ReplicaElectionResult::default()
                            .with_topic(t.topic)
                            .with_partition_result(
                                t.partitions
                                    .iter()
                                    .map(|&p| PartitionResult::default().with_partition_id(p))
                                    .collect(),
                            )
                    })
                    .collect();
                reply(
                    request,
                    &ElectLeadersResponse::default().with_replica_election_results(topics),
                )
            }
            ApiKey::AlterPartitionReassignments => {
                let asked: AlterPartitionReassignmentsRequest = request.decode();
                let topics = asked
                    .topics
                    .iter()
                    .map(|t| {
                        ReassignableTopicResponse::default()
                            .with_name(t.name.clone())
                            .with_partitions(
                                t.partitions
                                    .iter()
                                    .map(|p| {
                                        // Cancelling needs a reassignment in progress.
                                        let code = if p.replicas.is_none() { 85 } else { 0 };
                                        ReassignablePartitionResponse::default()
                                            .with_partition_index(p.partition_index)
                                            .with_error_code(code)
                                    })
                                    .collect(),
                            )
                    })
                    .collect();
                reply(
                    request,
                    &AlterPartitionReassignmentsResponse::default().with_responses(topics),
                )
            }
            ApiKey::DescribeLogDirs => reply(
                request,
                &DescribeLogDirsResponse::default().with_results(vec![
                    DescribeLogDirsResult::default()
                        .with_log_dir(str(&format!("/logs/{}", request.broker))),
                ]),
            ),
            ApiKey::UnregisterBroker => reply(
                request,
                &UnregisterBrokerResponse::default()
                    .with_error_code(35)
                    .with_error_message(Some(str("not a KRaft cluster"))),
            ),
            ApiKey::CreatePartitions => {
                let asked: CreatePartitionsRequest = request.decode();
                let t = &asked.topics[0];
                assert_eq!(t.count, 4);
                assert_eq!(t.assignments.as_ref().map(Vec::len), Some(2));
                reply(
                    request,
                    &CreatePartitionsResponse::default().with_results(vec![
                        kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult::default()
                            .with_name(t.name.clone())
                            .with_error_code(37)
                            .with_error_message(Some(str("Topic already has 4 partitions."))),
                    ]),
                )
            }
            _ => unexpected(request),
        })
        .await;
        cluster.cap_api(ApiKey::ElectLeaders, 0);
        let admin = admin(&cluster).await;
        let tp = TopicPartition::new("t", 0);

        // ElectLeaders v0 only does preferred elections.
        let e = admin
            .elect_leaders(ElectionType::Unclean, Some(std::slice::from_ref(&tp)))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
        assert!(cluster.calls_of(ApiKey::ElectLeaders).is_empty());
        let results = admin
            .elect_leaders(ElectionType::Preferred, Some(std::slice::from_ref(&tp)))
            .await
            .expect("elect");
        assert!(results[&tp].is_ok());
        assert_eq!(cluster.calls_of(ApiKey::ElectLeaders), [(2, 0)]);

        let results = admin
            .alter_partition_reassignments(&[
                (tp.clone(), Some(vec![2, 1])),
                (TopicPartition::new("t", 1), None),
            ])
            .await
            .expect("reassign");
        assert!(results[&tp].is_ok());
        assert_eq!(
            results[&TopicPartition::new("t", 1)].as_ref().unwrap_err().code(),
            Some(ResponseError::NoReassignmentInProgress)
        );
        assert_eq!(cluster.calls_of(ApiKey::AlterPartitionReassignments), [(2, 1)]);

        let e = admin
            .create_partitions("t", 4, Some(&[vec![1], vec![2]]), false)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::InvalidPartitions));
        assert_eq!(e.message(), Some("Topic already has 4 partitions."));
        assert_eq!(cluster.calls_of(ApiKey::CreatePartitions), [(2, 3)]);

        let dirs = admin.describe_log_dirs(1, None).await.expect("log dirs");
        assert_eq!(dirs[0].path, "/logs/1");
        assert_eq!(cluster.calls_of(ApiKey::DescribeLogDirs), [(1, 4)]);

        let e = admin.unregister_broker(1).await.unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)) && e.is_unsupported(), "{e}");
        cluster.remove_api(ApiKey::UnregisterBroker);
        let admin = self::admin(&cluster).await;
        let e = admin.unregister_broker(1).await.unwrap_err();
        assert!(matches!(e, Error::UnsupportedApi { api: "UnregisterBroker", .. }), "{e}");
        assert!(e.is_unsupported());
        assert_eq!(cluster.calls_of(ApiKey::UnregisterBroker).len(), 1);
    })
    .await
}
