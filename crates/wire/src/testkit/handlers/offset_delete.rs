//! OffsetDelete (key 47): deletes a group's committed offsets for some
//! partitions.
//!
//! Errors: `INVALID_GROUP_ID`, `NOT_COORDINATOR`, `GROUP_ID_NOT_FOUND`, and
//! `NON_EMPTY_GROUP` for an active group of another protocol type than
//! `consumer`; per partition `UNKNOWN_TOPIC_OR_PARTITION` and
//! `GROUP_SUBSCRIBED_TO_TOPIC` (an active consumer group still subscribes to
//! the topic).
//!
//! # References
//! - KIP-496

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};
use kafka_protocol::protocol::VersionRange;

use super::find_coordinator::check_coordinator;
use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for OffsetDeleteRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 0 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<OffsetDeleteResponse> {
        let group_id = self.group_id.0.to_string();
        if let Err(code) = check_coordinator(ctx, &group_id) {
            return Reply::Now(OffsetDeleteResponse::default().with_error_code(code.code()));
        }
        let state = &mut *ctx.state;
        let Some(group) = state.groups.get(&group_id) else {
            return Reply::Now(
                OffsetDeleteResponse::default()
                    .with_error_code(ResponseError::GroupIdNotFound.code()),
            );
        };
        let subscribed = group.subscribed_topics();
        if subscribed.is_none() && !group.is_empty() {
            return Reply::Now(
                OffsetDeleteResponse::default()
                    .with_error_code(ResponseError::NonEmptyGroup.code()),
            );
        }
        let active = !group.is_empty();
        let topics = self
            .topics
            .iter()
            .map(|t| {
                let name = t.name.0.to_string();
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let exists = state.topics.get(&name).is_some_and(|topic| {
                            p.partition_index >= 0
                                && (p.partition_index as usize) < topic.partitions.len()
                        });
                        let code = if !exists {
                            ResponseError::UnknownTopicOrPartition.code()
                        } else if active && subscribed.as_ref().is_some_and(|s| s.contains(&name)) {
                            ResponseError::GroupSubscribedToTopic.code()
                        } else {
                            if let Some(g) = state.groups.get_mut(&group_id) {
                                g.offsets.remove(&(name.clone(), p.partition_index));
                            }
                            0
                        };
                        OffsetDeleteResponsePartition::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(code)
                    })
                    .collect();
                OffsetDeleteResponseTopic::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        Reply::Now(OffsetDeleteResponse::default().with_topics(topics))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<OffsetDeleteResponse> {
        Reply::Now(OffsetDeleteResponse::default().with_error_code(code))
    }
}
