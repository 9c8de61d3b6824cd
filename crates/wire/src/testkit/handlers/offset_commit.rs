//! OffsetCommit (key 8): stores a group's committed offsets.
//!
//! A member of an active group commits with its member id and generation
//! (the commit counts as a heartbeat); anyone may commit for an empty or
//! unknown group with generation -1 (a consumer that assigns partitions
//! itself, or an admin), which creates the group.
//!
//! Errors, on every partition: `INVALID_GROUP_ID`, `NOT_COORDINATOR`,
//! `ILLEGAL_GENERATION` (a generation for an unknown group, or not the
//! current one), `UNKNOWN_MEMBER_ID`, `FENCED_INSTANCE_ID`,
//! `REBALANCE_IN_PROGRESS` (while the group awaits its assignment); per
//! partition: `UNKNOWN_TOPIC_OR_PARTITION`, `OFFSET_METADATA_TOO_LARGE`
//! (over 4096 bytes, Kafka's `offset.metadata.max.bytes`).
//!
//! # References
//! - KIP-211 (retention, v5), KIP-320 (leader epoch, v6), KIP-345 (group
//!   instance id, v7)

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};
use kafka_protocol::protocol::VersionRange;

use super::find_coordinator::check_coordinator;
use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::groups::{CommittedOffset, Group, GroupState};

/// Kafka's `offset.metadata.max.bytes`.
const MAX_METADATA: usize = 4096;

impl Handler for OffsetCommitRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 2, max: 9 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<OffsetCommitResponse> {
        if let Err(code) = authorize(ctx, &self) {
            return self.fail(ctx, code.code());
        }
        let group_id = self.group_id.0.to_string();
        let topics = self
            .topics
            .iter()
            .map(|t| {
                let name = t.name.0.to_string();
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let exists = ctx.state.topics.get(&name).is_some_and(|t| {
                            p.partition_index >= 0
                                && (p.partition_index as usize) < t.partitions.len()
                        });
                        let metadata_len = p.committed_metadata.as_ref().map_or(0, |m| m.len());
                        let code = if !exists {
                            ResponseError::UnknownTopicOrPartition.code()
                        } else if metadata_len > MAX_METADATA {
                            ResponseError::OffsetMetadataTooLarge.code()
                        } else {
                            if let Some(g) = ctx.state.groups.get_mut(&group_id) {
                                g.offsets.insert(
                                    (name.clone(), p.partition_index),
                                    CommittedOffset {
                                        offset: p.committed_offset,
                                        leader_epoch: if ctx.version >= 6 {
                                            p.committed_leader_epoch
                                        } else {
                                            -1
                                        },
                                        metadata: p
                                            .committed_metadata
                                            .as_ref()
                                            .map(|m| m.to_string()),
                                    },
                                );
                            }
                            0
                        };
                        OffsetCommitResponsePartition::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(code)
                    })
                    .collect();
                OffsetCommitResponseTopic::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        Reply::Now(OffsetCommitResponse::default().with_topics(topics))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<OffsetCommitResponse> {
        let topics = self
            .topics
            .iter()
            .map(|t| {
                OffsetCommitResponseTopic::default()
                    .with_name(t.name.clone())
                    .with_partitions(
                        t.partitions
                            .iter()
                            .map(|p| {
                                OffsetCommitResponsePartition::default()
                                    .with_partition_index(p.partition_index)
                                    .with_error_code(code)
                            })
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(OffsetCommitResponse::default().with_topics(topics))
    }
}

/// Whether this commit is allowed; creates the group for a commit of an
/// unmanaged consumer (generation < 0).
fn authorize(ctx: &mut Ctx<'_>, req: &OffsetCommitRequest) -> Result<(), ResponseError> {
    let group_id = req.group_id.0.to_string();
    check_coordinator(ctx, &group_id)?;
    let generation = req.generation_id_or_member_epoch;
    let now = ctx.now;
    let Some(group) = ctx.state.groups.get_mut(&group_id) else {
        if generation < 0 {
            ctx.state
                .groups
                .insert(group_id.clone(), Group::new(&group_id));
            return Ok(());
        }
        return Err(ResponseError::IllegalGeneration);
    };
    if generation < 0 && group.state == GroupState::Empty {
        return Ok(());
    }
    let member_id = req.member_id.as_str();
    if ctx.version >= 7 {
        if let Some(instance) = &req.group_instance_id {
            match group.member_by_instance(instance.as_str()) {
                Some(current) if current != member_id => {
                    return Err(ResponseError::FencedInstanceId)
                }
                _ => {}
            }
        }
    }
    let Some(member) = group.members.get_mut(member_id) else {
        return Err(ResponseError::UnknownMemberId);
    };
    if generation != group.generation {
        return Err(ResponseError::IllegalGeneration);
    }
    if group.state == GroupState::CompletingRebalance {
        return Err(ResponseError::RebalanceInProgress);
    }
    member.last_heartbeat = now;
    Ok(())
}
