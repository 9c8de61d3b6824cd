//! Every advertised version of every API, answered and failed, through the
//! real dispatcher: the request is encoded with `kafka-protocol`, handled,
//! and the response must decode at that version with nothing left over. This
//! catches a handler that sets a field its version does not have.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::sync::Notify;

use super::dispatch::{handle_frame, Outcome, Peer};
use super::handlers::{advertised, Handler};
use super::state::{NewTopic, State};
use super::{ClusterConfig, Shared};
use crate::error::ResponseError;
use crate::record::{BatchBuilder, BatchParams, Header};

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_owned())
}

fn name(v: &str) -> TopicName {
    TopicName(s(v))
}

fn shared() -> Arc<Shared> {
    shared_with(ClusterConfig::default())
}

fn shared_with(config: ClusterConfig) -> Arc<Shared> {
    let addrs: Vec<(String, u16)> = (0..3)
        .map(|i| ("127.0.0.1".to_owned(), 19000 + i))
        .collect();
    let mut state = State::new(config, &addrs);
    let plan = state
        .plan_topic(&NewTopic {
            name: "t".into(),
            partitions: 2,
            replication: 3,
            ..NewTopic::default()
        })
        .expect("plan");
    state.create_topic(plan, false);
    Arc::new(Shared {
        state: std::sync::Mutex::new(state),
        appended: Notify::new(),
    })
}

fn batch() -> Bytes {
    let mut b = BatchBuilder::default();
    b.append::<[Header]>(1_700_000_000_000, Some(b"k"), Some(b"v"), &[]);
    b.append::<[Header]>(1_700_000_000_001, None, Some(b"w"), &[]);
    b.finish(&BatchParams::default()).expect("batch")
}

/// Sends `request` at `version` to broker 1 and decodes the answer.
async fn call<R: Handler>(shared: &Arc<Shared>, version: i16, request: &R) -> Option<R::Response>
where
    R::Response: Send,
{
    let mut buf = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(42)
        .with_client_id(Some(s("sweep")))
        .encode(&mut buf, R::header_version(version))
        .expect("header encodes");
    request
        .encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("api {} v{version}: request does not encode: {e}", R::KEY));
    let peer = Peer {
        broker: 1,
        client_host: "/127.0.0.1".into(),
    };
    let frame = match handle_frame(shared, &peer, buf.freeze()) {
        Outcome::Reply { frame, .. } => frame,
        Outcome::Wait { future, .. } => future.await.expect("waiting answer"),
        Outcome::Silent => return None,
        Outcome::Close => panic!("api {} v{version}: connection closed", R::KEY),
    };
    let mut frame = frame;
    let size = frame.get_i32() as usize;
    assert_eq!(size, frame.len());
    let header = ResponseHeader::decode(
        &mut frame,
        <R::Response as HeaderVersion>::header_version(version),
    )
    .expect("response header decodes");
    assert_eq!(header.correlation_id, 42);
    let response = R::Response::decode(&mut frame, version)
        .unwrap_or_else(|e| panic!("api {} v{version}: response does not decode: {e}", R::KEY));
    assert_eq!(
        frame.remaining(),
        0,
        "api {} v{version}: trailing bytes",
        R::KEY
    );
    Some(response)
}

/// Runs `build(version)` at every advertised version, answered normally
/// and with an injected failure.
async fn sweep<R: Handler>(shared: &Arc<Shared>, build: impl Fn(i16) -> R)
where
    R::Response: Send,
{
    let range = R::ADVERTISED;
    let own = <R as kafka_protocol::protocol::Message>::VERSIONS;
    assert!(
        range.min >= own.min && range.max <= own.max,
        "api {} advertises versions its request type lacks",
        R::KEY
    );
    for version in range.min..=range.max {
        call(shared, version, &build(version)).await;
        shared.lock().faults.fail_next(
            R::KEY,
            crate::error::ResponseError::NotLeaderOrFollower.code(),
            1,
        );
        call(shared, version, &build(version)).await;
    }
}

#[tokio::test]
async fn every_advertised_version_round_trips() {
    let shared = shared();
    let id = shared.lock().topics["t"].id;
    sweep(&shared, |v| {
        ApiVersionsRequest::default()
            .with_client_software_name(s("sweep"))
            .with_client_software_version(s(&format!("1.{v}")))
    })
    .await;
    sweep(&shared, |v| {
        let topics = [Some(name("t")), Some(name("missing"))]
            .into_iter()
            .map(|n| metadata_request::MetadataRequestTopic::default().with_name(n))
            .collect();
        let mut r = MetadataRequest::default().with_topics(Some(topics));
        if (8..=10).contains(&v) {
            r.include_cluster_authorized_operations = true;
        }
        if v >= 8 {
            r.include_topic_authorized_operations = true;
        }
        r
    })
    .await;
    sweep(&shared, |_| {
        let partitions = [0, 1, 7]
            .into_iter()
            .map(|p| {
                produce_request::PartitionProduceData::default()
                    .with_index(p)
                    .with_records(Some(batch()))
            })
            .collect();
        ProduceRequest::default()
            .with_acks(-1)
            .with_timeout_ms(1000)
            .with_topic_data(vec![produce_request::TopicProduceData::default()
                .with_name(name("t"))
                .with_partition_data(partitions)])
    })
    .await;
    sweep(&shared, |v| {
        let partitions = [0, 1, 7]
            .into_iter()
            .map(|p| {
                fetch_request::FetchPartition::default()
                    .with_partition(p)
                    .with_fetch_offset(0)
                    .with_partition_max_bytes(1 << 20)
            })
            .collect();
        let mut topic = fetch_request::FetchTopic::default().with_partitions(partitions);
        if v >= 13 {
            topic.topic_id = id;
        } else {
            topic.topic = name("t");
        }
        FetchRequest::default()
            .with_max_wait_ms(0)
            .with_min_bytes(1)
            .with_isolation_level(1)
            .with_topics(vec![topic])
    })
    .await;
    sweep(&shared, |_| {
        let partitions = [(0, -1), (1, -2), (0, -3), (0, 0), (7, -1)]
            .into_iter()
            .map(|(p, t)| {
                list_offsets_request::ListOffsetsPartition::default()
                    .with_partition_index(p)
                    .with_timestamp(t)
            })
            .collect();
        ListOffsetsRequest::default().with_topics(vec![
            list_offsets_request::ListOffsetsTopic::default()
                .with_name(name("t"))
                .with_partitions(partitions),
        ])
    })
    .await;
    sweep(&shared, |_| {
        OffsetForLeaderEpochRequest::default().with_topics(vec![
            offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![
                    offset_for_leader_epoch_request::OffsetForLeaderPartition::default()
                        .with_partition(0)
                        .with_leader_epoch(0),
                ]),
        ])
    })
    .await;
    sweep(&shared, |_| InitProducerIdRequest::default()).await;
    sweep(&shared, |v| {
        CreateTopicsRequest::default().with_topics(vec![
            create_topics_request::CreatableTopic::default()
                .with_name(name(&format!("created-{v}")))
                .with_num_partitions(2)
                .with_replication_factor(2)
                .with_configs(vec![create_topics_request::CreatableTopicConfig::default()
                    .with_name(s("retention.ms"))
                    .with_value(Some(s("1000")))]),
            create_topics_request::CreatableTopic::default()
                .with_name(name("t"))
                .with_num_partitions(1)
                .with_replication_factor(1),
        ])
    })
    .await;
    sweep(&shared, |v| {
        let mut r = DeleteTopicsRequest::default();
        if v >= 6 {
            r.topics = vec![delete_topics_request::DeleteTopicState::default()
                .with_name(Some(name(&format!("created-{v}"))))];
        } else {
            r.topic_names = vec![name(&format!("created-{v}")), name("missing")];
        }
        r
    })
    .await;
    sweep(&shared, |v| {
        let resource = |t: i8, n: &str| {
            describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(t)
                .with_resource_name(s(n))
        };
        DescribeConfigsRequest::default()
            .with_resources(vec![
                resource(2, "t"),
                resource(4, "1"),
                resource(4, ""),
                resource(4, "2"),
                resource(2, "missing"),
            ])
            .with_include_synonyms(true)
            .with_include_documentation(v >= 3)
    })
    .await;
    sweep(&shared, |_| {
        AlterConfigsRequest::default().with_resources(vec![
            alter_configs_request::AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(s("t"))
                .with_configs(vec![alter_configs_request::AlterableConfig::default()
                    .with_name(s("retention.ms"))
                    .with_value(Some(s("1000")))]),
        ])
    })
    .await;
    sweep(&shared, |_| {
        IncrementalAlterConfigsRequest::default().with_resources(vec![
            incremental_alter_configs_request::AlterConfigsResource::default()
                .with_resource_type(4)
                .with_resource_name(s(""))
                .with_configs(vec![
                    incremental_alter_configs_request::AlterableConfig::default()
                        .with_name(s("log.cleanup.policy"))
                        .with_config_operation(2)
                        .with_value(Some(s("compact"))),
                ]),
        ])
    })
    .await;
    sweep(&shared, |_| {
        let count = shared.lock().topics["t"].partitions.len() as i32 + 1;
        CreatePartitionsRequest::default().with_topics(vec![
            create_partitions_request::CreatePartitionsTopic::default()
                .with_name(name("t"))
                .with_count(count),
        ])
    })
    .await;
    sweep(&shared, |v| {
        let mut r =
            DescribeClusterRequest::default().with_include_cluster_authorized_operations(true);
        if v >= 2 {
            r.include_fenced_brokers = true;
        }
        r
    })
    .await;
    sweep_groups(&shared).await;
    sweep_admin(&shared).await;
    let swept: BTreeSet<i16> = [
        CreateAclsRequest::KEY,
        DescribeAclsRequest::KEY,
        DeleteAclsRequest::KEY,
        DeleteRecordsRequest::KEY,
        DescribeLogDirsRequest::KEY,
        ElectLeadersRequest::KEY,
        AlterPartitionReassignmentsRequest::KEY,
        ListPartitionReassignmentsRequest::KEY,
        UnregisterBrokerRequest::KEY,
        FindCoordinatorRequest::KEY,
        JoinGroupRequest::KEY,
        SyncGroupRequest::KEY,
        HeartbeatRequest::KEY,
        LeaveGroupRequest::KEY,
        OffsetCommitRequest::KEY,
        OffsetFetchRequest::KEY,
        ListGroupsRequest::KEY,
        DescribeGroupsRequest::KEY,
        DeleteGroupsRequest::KEY,
        OffsetDeleteRequest::KEY,
        ApiVersionsRequest::KEY,
        MetadataRequest::KEY,
        ProduceRequest::KEY,
        FetchRequest::KEY,
        ListOffsetsRequest::KEY,
        OffsetForLeaderEpochRequest::KEY,
        InitProducerIdRequest::KEY,
        CreateTopicsRequest::KEY,
        DeleteTopicsRequest::KEY,
        DescribeConfigsRequest::KEY,
        AlterConfigsRequest::KEY,
        IncrementalAlterConfigsRequest::KEY,
        CreatePartitionsRequest::KEY,
        DescribeClusterRequest::KEY,
    ]
    .into_iter()
    .collect();
    let served: BTreeSet<i16> = advertised().into_iter().map(|(k, _)| k).collect();
    assert_eq!(served, swept, "every served API is swept");
}

/// A group id that broker 1 (where `call` sends) coordinates.
fn local_group(shared: &Arc<Shared>, prefix: &str) -> String {
    let mut state = shared.lock();
    (0..)
        .map(|i| format!("{prefix}-{i}"))
        .find(|g| state.group_coordinator(g) == Ok(1))
        .expect("a group on broker 1")
}

fn join_request(group: &str, member: &str, v: i16) -> JoinGroupRequest {
    let mut r = JoinGroupRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_session_timeout_ms(10_000)
        .with_member_id(s(member))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![join_group_request::JoinGroupRequestProtocol::default(
        )
        .with_name(s("range"))
        .with_metadata(Bytes::from_static(b"\0\x01\0\0\0\x01\0\x01t"))]);
    if v >= 1 {
        r.rebalance_timeout_ms = 10_000;
    }
    r
}

fn member_of(shared: &Arc<Shared>, group: &str) -> (String, i32) {
    let state = shared.lock();
    let g = &state.groups[group];
    (
        g.members.keys().next().cloned().unwrap_or_default(),
        g.generation,
    )
}

async fn sweep_groups(shared: &Arc<Shared>) {
    sweep(shared, |v| {
        let mut r = FindCoordinatorRequest::default();
        if v >= 4 {
            r.coordinator_keys = vec![s("a"), s("b")];
        } else {
            r.key = s("a");
        }
        r
    })
    .await;
    let group = local_group(shared, "sweep");
    // A stable one-member group, joined at v5 (member id required first).
    let first = call(shared, 5, &join_request(&group, "", 5))
        .await
        .expect("join");
    assert_eq!(first.error_code, ResponseError::MemberIdRequired.code());
    let joined = call(
        shared,
        5,
        &join_request(&group, first.member_id.as_str(), 5),
    )
    .await
    .expect("join");
    assert_eq!(joined.error_code, 0);
    assert_eq!(joined.leader, joined.member_id);
    sweep(shared, |v| {
        let (member, _) = member_of(shared, &group);
        join_request(&group, &member, v)
    })
    .await;
    sweep(shared, |_| {
        let (member, generation) = member_of(shared, &group);
        SyncGroupRequest::default()
            .with_group_id(GroupId(s(&group)))
            .with_generation_id(generation)
            .with_member_id(s(&member))
            .with_assignments(vec![
                sync_group_request::SyncGroupRequestAssignment::default()
                    .with_member_id(s(&member))
                    .with_assignment(Bytes::from_static(b"assignment")),
            ])
    })
    .await;
    sweep(shared, |_| {
        let (member, generation) = member_of(shared, &group);
        HeartbeatRequest::default()
            .with_group_id(GroupId(s(&group)))
            .with_generation_id(generation)
            .with_member_id(s(&member))
    })
    .await;
    sweep(shared, |v| {
        let (member, generation) = member_of(shared, &group);
        let mut partition = offset_commit_request::OffsetCommitRequestPartition::default()
            .with_partition_index(0)
            .with_committed_offset(5)
            .with_committed_metadata(Some(s("m")));
        if v >= 6 {
            partition.committed_leader_epoch = 0;
        }
        OffsetCommitRequest::default()
            .with_group_id(GroupId(s(&group)))
            .with_generation_id_or_member_epoch(generation)
            .with_member_id(s(&member))
            .with_topics(vec![
                offset_commit_request::OffsetCommitRequestTopic::default()
                    .with_name(name("t"))
                    .with_partitions(vec![partition]),
            ])
    })
    .await;
    sweep(shared, |v| {
        if v >= 8 {
            OffsetFetchRequest::default().with_groups(vec![
                offset_fetch_request::OffsetFetchRequestGroup::default()
                    .with_group_id(GroupId(s(&group)))
                    .with_topics(Some(vec![
                        offset_fetch_request::OffsetFetchRequestTopics::default()
                            .with_name(name("t"))
                            .with_partition_indexes(vec![0, 1]),
                    ])),
                offset_fetch_request::OffsetFetchRequestGroup::default()
                    .with_group_id(GroupId(s(&group)))
                    .with_topics(None),
            ])
        } else {
            OffsetFetchRequest::default()
                .with_group_id(GroupId(s(&group)))
                .with_topics(if v >= 2 {
                    None
                } else {
                    Some(vec![
                        offset_fetch_request::OffsetFetchRequestTopic::default()
                            .with_name(name("t"))
                            .with_partition_indexes(vec![0, 1]),
                    ])
                })
        }
    })
    .await;
    sweep(shared, |v| {
        let mut r = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(s(&group)), GroupId(s("missing"))]);
        if v >= 3 {
            r.include_authorized_operations = true;
        }
        r
    })
    .await;
    sweep(shared, |v| {
        let mut r = ListGroupsRequest::default();
        if v >= 4 {
            r.states_filter = vec![s("stable"), s("Empty")];
        }
        if v >= 5 {
            r.types_filter = vec![s("classic")];
        }
        r
    })
    .await;
    sweep(shared, |_| {
        OffsetDeleteRequest::default()
            .with_group_id(GroupId(s(&group)))
            .with_topics(vec![
                offset_delete_request::OffsetDeleteRequestTopic::default()
                    .with_name(name("t"))
                    .with_partitions(vec![
                        offset_delete_request::OffsetDeleteRequestPartition::default()
                            .with_partition_index(0),
                    ]),
            ])
    })
    .await;
    sweep(shared, |v| {
        let (member, _) = member_of(shared, &group);
        let mut r = LeaveGroupRequest::default().with_group_id(GroupId(s(&group)));
        if v >= 3 {
            r.members =
                vec![leave_group_request::MemberIdentity::default().with_member_id(s(&member))];
        } else {
            r.member_id = s(&member);
        }
        r
    })
    .await;
    sweep(shared, |_| {
        DeleteGroupsRequest::default()
            .with_groups_names(vec![GroupId(s(&group)), GroupId(s("missing"))])
    })
    .await;
}

fn acl_filter(
    principal: Option<&str>,
) -> (
    i8,
    Option<StrBytes>,
    i8,
    Option<StrBytes>,
    Option<StrBytes>,
    i8,
    i8,
) {
    (1, None, 1, principal.map(s), None, 1, 1)
}

async fn sweep_admin(shared: &Arc<Shared>) {
    sweep(shared, |_| {
        let creation = |rt: i8, name: &str| {
            create_acls_request::AclCreation::default()
                .with_resource_type(rt)
                .with_resource_name(s(name))
                .with_resource_pattern_type(3)
                .with_principal(s("User:a"))
                .with_host(s("*"))
                .with_operation(3)
                .with_permission_type(3)
        };
        CreateAclsRequest::default().with_creations(vec![creation(2, "t"), creation(1, "t")])
    })
    .await;
    sweep(shared, |_| {
        let (rt, name, pt, principal, host, op, perm) = acl_filter(None);
        DescribeAclsRequest::default()
            .with_resource_type_filter(rt)
            .with_resource_name_filter(name)
            .with_pattern_type_filter(pt)
            .with_principal_filter(principal)
            .with_host_filter(host)
            .with_operation(op)
            .with_permission_type(perm)
    })
    .await;
    sweep(shared, |_| {
        let filter = |principal: Option<&str>, op: i8| {
            let (rt, name, pt, principal, host, _, perm) = acl_filter(principal);
            delete_acls_request::DeleteAclsFilter::default()
                .with_resource_type_filter(rt)
                .with_resource_name_filter(name)
                .with_pattern_type_filter(pt)
                .with_principal_filter(principal)
                .with_host_filter(host)
                .with_operation(op)
                .with_permission_type(perm)
        };
        DeleteAclsRequest::default().with_filters(vec![filter(Some("User:a"), 1), filter(None, 0)])
    })
    .await;
    sweep(shared, |_| {
        let partition = |p: i32, offset: i64| {
            delete_records_request::DeleteRecordsPartition::default()
                .with_partition_index(p)
                .with_offset(offset)
        };
        DeleteRecordsRequest::default().with_topics(vec![
            delete_records_request::DeleteRecordsTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![
                    partition(0, 1),
                    partition(1, 1 << 40),
                    partition(7, 0),
                ]),
        ])
    })
    .await;
    sweep(shared, |v| {
        DescribeLogDirsRequest::default().with_topics((v % 2 == 0).then(|| {
            vec![describe_log_dirs_request::DescribableLogDirTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![0, 1])]
        }))
    })
    .await;
    sweep(shared, |v| {
        ElectLeadersRequest::default().with_topic_partitions((v != 2).then(|| {
            vec![elect_leaders_request::TopicPartitions::default()
                .with_topic(name("t"))
                .with_partitions(vec![0, 1, 9])]
        }))
    })
    .await;
    sweep(shared, |_| {
        AlterPartitionReassignmentsRequest::default().with_topics(vec![
            alter_partition_reassignments_request::ReassignableTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![
                    alter_partition_reassignments_request::ReassignablePartition::default()
                        .with_partition_index(0)
                        .with_replicas(Some(vec![BrokerId(1), BrokerId(3), BrokerId(2)])),
                    alter_partition_reassignments_request::ReassignablePartition::default()
                        .with_partition_index(1)
                        .with_replicas(None),
                ]),
        ])
    })
    .await;
    sweep(shared, |_| {
        ListPartitionReassignmentsRequest::default().with_topics(None)
    })
    .await;
    sweep(shared, |_| {
        UnregisterBrokerRequest::default().with_broker_id(BrokerId(9))
    })
    .await;
}

fn reassign(
    topic: &str,
    partition: i32,
    replicas: Option<&[i32]>,
    allow: bool,
) -> AlterPartitionReassignmentsRequest {
    AlterPartitionReassignmentsRequest::default()
        .with_allow_replication_factor_change(allow)
        .with_topics(vec![
            alter_partition_reassignments_request::ReassignableTopic::default()
                .with_name(name(topic))
                .with_partitions(vec![
                    alter_partition_reassignments_request::ReassignablePartition::default()
                        .with_partition_index(partition)
                        .with_replicas(replicas.map(|r| r.iter().map(|b| BrokerId(*b)).collect())),
                ]),
        ])
}

fn reassign_code(r: &AlterPartitionReassignmentsResponse) -> i16 {
    r.responses[0].partitions[0].error_code
}

#[tokio::test]
async fn reassignments_elections_log_dirs_and_unregistering() {
    let shared = shared_with(ClusterConfig {
        reassignment_delay: std::time::Duration::from_secs(60),
        ..ClusterConfig::default()
    });
    let replicas = |p: usize| shared.lock().topics["t"].partitions[p].replicas.clone();
    let leader = |p: usize| shared.lock().topics["t"].partitions[p].leader;
    assert_eq!((replicas(0), leader(0)), (vec![1, 2, 3], 1));

    // A move that drops a replica needs the replication factor change allowed (v1).
    let r = call(&shared, 1, &reassign("t", 0, Some(&[2, 3]), false))
        .await
        .unwrap();
    assert_eq!(
        reassign_code(&r),
        ResponseError::InvalidReplicationFactor.code()
    );
    let r = call(&shared, 1, &reassign("t", 0, Some(&[2, 3]), true))
        .await
        .unwrap();
    assert_eq!(reassign_code(&r), 0);
    let r = call(&shared, 1, &reassign("t", 0, Some(&[2, 2]), true))
        .await
        .unwrap();
    assert_eq!(
        reassign_code(&r),
        ResponseError::InvalidReplicaAssignment.code()
    );
    let r = call(&shared, 1, &reassign("t", 5, Some(&[2]), true))
        .await
        .unwrap();
    assert_eq!(
        reassign_code(&r),
        ResponseError::UnknownTopicOrPartition.code()
    );
    let listed = call(
        &shared,
        0,
        &ListPartitionReassignmentsRequest::default().with_topics(None),
    )
    .await
    .unwrap();
    let ongoing = &listed.topics[0].partitions[0];
    assert_eq!(ongoing.partition_index, 0);
    let ids = |v: &[BrokerId]| v.iter().map(|b| b.0).collect::<Vec<_>>();
    assert_eq!(ids(&ongoing.replicas), vec![2, 3, 1]);
    assert!(ongoing.adding_replicas.is_empty());
    assert_eq!(ids(&ongoing.removing_replicas), vec![1]);
    assert_eq!(leader(0), 1, "still leading while the move is under way");
    shared
        .lock()
        .tick(std::time::Instant::now() + std::time::Duration::from_secs(61));
    assert_eq!(
        (replicas(0), leader(0)),
        (vec![2, 3], 2),
        "completed; the leader handed over"
    );
    let listed = call(
        &shared,
        0,
        &ListPartitionReassignmentsRequest::default().with_topics(None),
    )
    .await
    .unwrap();
    assert!(listed.topics.is_empty());
    // Cancelling restores the original replicas.
    let r = call(&shared, 1, &reassign("t", 1, Some(&[3]), true))
        .await
        .unwrap();
    assert_eq!(reassign_code(&r), 0);
    assert_eq!(replicas(1), vec![3, 2, 1]);
    let r = call(&shared, 1, &reassign("t", 1, None, true))
        .await
        .unwrap();
    assert_eq!(reassign_code(&r), 0);
    assert_eq!(replicas(1), vec![2, 3, 1]);
    let r = call(&shared, 1, &reassign("t", 1, None, true))
        .await
        .unwrap();
    assert_eq!(
        reassign_code(&r),
        ResponseError::NoReassignmentInProgress.code()
    );

    // Preferred election: partition 1 (replicas [2, 3, 1]) led by 3 goes back to 2.
    shared.lock().partition_mut("t", 1).unwrap().set_leader(3);
    let elect = |partitions: Vec<i32>| {
        ElectLeadersRequest::default()
            .with_election_type(0)
            .with_topic_partitions(Some(vec![elect_leaders_request::TopicPartitions::default(
            )
            .with_topic(name("t"))
            .with_partitions(partitions)]))
    };
    let r = call(&shared, 2, &elect(vec![0, 1, 4])).await.unwrap();
    let codes: Vec<i16> = r.replica_election_results[0]
        .partition_result
        .iter()
        .map(|p| p.error_code)
        .collect();
    assert_eq!(
        codes,
        vec![
            ResponseError::ElectionNotNeeded.code(),
            0,
            ResponseError::UnknownTopicOrPartition.code()
        ]
    );
    assert_eq!(leader(1), 2);
    // Unclean election for a partition whose only replica is down.
    {
        let mut state = shared.lock();
        let plan = state
            .plan_topic(&NewTopic {
                name: "lone".into(),
                partitions: 1,
                replication: 1,
                ..NewTopic::default()
            })
            .unwrap();
        state.create_topic(plan, false);
        state.broker_stopped(1);
    }
    let unclean = ElectLeadersRequest::default()
        .with_election_type(1)
        .with_topic_partitions(Some(vec![elect_leaders_request::TopicPartitions::default(
        )
        .with_topic(name("lone"))
        .with_partitions(vec![0])]));
    let r = call(&shared, 1, &unclean).await.unwrap();
    assert_eq!(
        r.replica_election_results[0].partition_result[0].error_code,
        ResponseError::EligibleLeadersNotAvailable.code()
    );

    // Broker 1 no longer holds partition 0; it holds 1 (and "lone").
    let dirs = call(
        &shared,
        4,
        &DescribeLogDirsRequest::default().with_topics(None),
    )
    .await
    .unwrap();
    assert_eq!(dirs.results[0].log_dir.as_str(), "memory:/broker-1");
    let held: Vec<(String, i32)> = dirs.results[0]
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| (t.name.0.to_string(), p.partition_index))
        })
        .collect();
    assert!(
        held.contains(&("t".into(), 1)) && !held.contains(&("t".into(), 0)),
        "{held:?}"
    );

    // Unregistering a fenced broker hides it from DescribeCluster.
    assert_eq!(fenced(&shared).await, vec![1]);
    let r = call(
        &shared,
        0,
        &UnregisterBrokerRequest::default().with_broker_id(BrokerId(1)),
    )
    .await
    .unwrap();
    assert_eq!(r.error_code, 0);
    assert!(fenced(&shared).await.is_empty());
    let r = call(
        &shared,
        0,
        &UnregisterBrokerRequest::default().with_broker_id(BrokerId(9)),
    )
    .await
    .unwrap();
    assert_eq!(r.error_code, ResponseError::BrokerIdNotRegistered.code());
}

async fn fenced(shared: &Arc<Shared>) -> Vec<i32> {
    let r = call(
        shared,
        2,
        &DescribeClusterRequest::default().with_include_fenced_brokers(true),
    )
    .await
    .expect("answer");
    r.brokers
        .iter()
        .filter(|b| b.is_fenced)
        .map(|b| b.broker_id.0)
        .collect()
}
