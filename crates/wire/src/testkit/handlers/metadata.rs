//! Metadata (key 3): brokers that are up, the controller, the cluster id,
//! and topics with their partitions, leaders, replicas and ISR.
//!
//! A null topic list (an empty one in v0) asks for every topic; an empty list
//! asks for none. An unknown topic is created when both the request (v4+;
//! always before v4) and the cluster (`auto_create_topics`) allow it, with
//! the default partitions and replication factor; otherwise it is answered
//! with `UNKNOWN_TOPIC_OR_PARTITION` (`UNKNOWN_TOPIC_ID` when asked by id,
//! v12+). A partition without a live replica has leader -1 and
//! `LEADER_NOT_AVAILABLE`. Authorization is not enforced, so the authorized
//! operations (v8+, when asked) are every operation of the resource type.
//!
//! # References
//! - KIP-4 (controller, internal flag, null vs empty list), KIP-78 (cluster
//!   id), KIP-204 (auto-creation flag, v4), KIP-320 (leader epoch, v7),
//!   KIP-430 (authorized operations, v8), KIP-516 (topic ids, v10/v12)

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse};
use kafka_protocol::protocol::VersionRange;
use uuid::Uuid;

use super::{str_bytes, topic_name, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::{validate_topic_name, NewTopic, State, Topic};

/// Operations on a topic (bit per ACL operation code).
pub(crate) const TOPIC_OPERATIONS: i32 = bits(&[3, 4, 5, 6, 7, 8, 10, 11]);
/// Operations on the cluster.
pub(crate) const CLUSTER_OPERATIONS: i32 = bits(&[5, 7, 8, 9, 10, 11, 12]);
/// Operations on a group.
pub(crate) const GROUP_OPERATIONS: i32 = bits(&[3, 6, 8, 10, 11]);
/// The "not requested" value of an authorized-operations field.
pub(crate) const NOT_REQUESTED: i32 = i32::MIN;

const fn bits(ops: &[i32]) -> i32 {
    let mut out = 0;
    let mut i = 0;
    while i < ops.len() {
        out |= 1 << ops[i];
        i += 1;
    }
    out
}

impl Handler for MetadataRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 12 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<MetadataResponse> {
        let v = ctx.version;
        let auto_create =
            ctx.state.config.auto_create_topics && (v < 4 || self.allow_auto_topic_creation);
        let with_ops = v >= 8 && self.include_topic_authorized_operations;
        let topics = match self.topics {
            None => all_topics(ctx.state, with_ops),
            Some(list) if list.is_empty() && v == 0 => all_topics(ctx.state, with_ops),
            Some(list) => list
                .into_iter()
                .map(|t| match t.name {
                    Some(name) => by_name(ctx.state, name.0.as_str(), auto_create, with_ops),
                    None => by_id(ctx.state, t.topic_id, with_ops),
                })
                .collect(),
        };
        let mut response = base(ctx.state, v).with_topics(topics);
        if (8..=10).contains(&v) && self.include_cluster_authorized_operations {
            response.cluster_authorized_operations = CLUSTER_OPERATIONS;
        }
        Reply::Now(response)
    }

    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<MetadataResponse> {
        let topics = self
            .topics
            .iter()
            .flatten()
            .map(|t| {
                MetadataResponseTopic::default()
                    .with_name(t.name.clone())
                    .with_topic_id(t.topic_id)
                    .with_error_code(code)
            })
            .collect();
        Reply::Now(base(ctx.state, ctx.version).with_topics(topics))
    }
}

/// Brokers, cluster id and controller.
fn base(state: &State, version: i16) -> MetadataResponse {
    let brokers = state
        .brokers
        .iter()
        .filter(|(_, b)| b.running)
        .map(|(id, b)| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(*id))
                .with_host(str_bytes(b.host.clone()))
                .with_port(i32::from(b.port))
        })
        .collect();
    let mut response = MetadataResponse::default()
        .with_brokers(brokers)
        .with_controller_id(BrokerId(state.controller()));
    if version >= 2 {
        response.cluster_id = Some(str_bytes(state.config.cluster_id.clone()));
    }
    response
}

fn all_topics(state: &State, with_ops: bool) -> Vec<MetadataResponseTopic> {
    state
        .topics
        .values()
        .map(|t| describe(state, t, with_ops))
        .collect()
}

fn by_name(
    state: &mut State,
    name: &str,
    auto_create: bool,
    with_ops: bool,
) -> MetadataResponseTopic {
    if let Some(t) = state.topics.get(name) {
        return describe(state, t, with_ops);
    }
    let unknown = |code: ResponseError| {
        MetadataResponseTopic::default()
            .with_name(Some(topic_name(name)))
            .with_error_code(code.code())
    };
    if let Err(e) = validate_topic_name(name) {
        return unknown(e.code);
    }
    if !auto_create {
        return unknown(ResponseError::UnknownTopicOrPartition);
    }
    let spec = NewTopic {
        name: name.to_owned(),
        partitions: -1,
        replication: -1,
        ..NewTopic::default()
    };
    match state.plan_topic(&spec) {
        Ok(plan) => {
            state.create_topic(plan, false);
            match state.topics.get(name) {
                Some(t) => describe(state, t, with_ops),
                None => unknown(ResponseError::UnknownTopicOrPartition),
            }
        }
        Err(e) => unknown(e.code),
    }
}

fn by_id(state: &State, id: Uuid, with_ops: bool) -> MetadataResponseTopic {
    match state.topic_by_id(&id) {
        Some(t) => describe(state, t, with_ops),
        None => MetadataResponseTopic::default()
            .with_topic_id(id)
            .with_error_code(ResponseError::UnknownTopicId.code()),
    }
}

fn describe(state: &State, topic: &Topic, with_ops: bool) -> MetadataResponseTopic {
    let alive = |b: i32| state.is_alive(b);
    let partitions = topic
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let error = if p.leader < 0 {
                ResponseError::LeaderNotAvailable.code()
            } else {
                0
            };
            MetadataResponsePartition::default()
                .with_error_code(error)
                .with_partition_index(i as i32)
                .with_leader_id(BrokerId(p.leader))
                .with_leader_epoch(p.leader_epoch)
                .with_replica_nodes(p.replicas.iter().map(|b| BrokerId(*b)).collect())
                .with_isr_nodes(p.isr.iter().map(|b| BrokerId(*b)).collect())
                .with_offline_replicas(
                    p.offline_replicas(alive)
                        .into_iter()
                        .map(BrokerId)
                        .collect(),
                )
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(topic_name(&topic.name)))
        .with_topic_id(topic.id)
        .with_is_internal(topic.internal)
        .with_partitions(partitions)
        .with_topic_authorized_operations(if with_ops {
            TOPIC_OPERATIONS
        } else {
            NOT_REQUESTED
        })
}
