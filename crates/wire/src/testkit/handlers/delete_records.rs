//! DeleteRecords (key 21): moves a partition's log start offset forward
//! (records before it are no longer served; whole batches below it are
//! dropped), on the partition leader. Offset -1 means the high watermark.
//! The answer is the new log start offset (`low_watermark`); an offset
//! below the current start changes nothing.
//!
//! Errors, per partition: `UNKNOWN_TOPIC_OR_PARTITION`,
//! `NOT_LEADER_OR_FOLLOWER`, `OFFSET_OUT_OF_RANGE` (above the high watermark
//! or negative), `POLICY_VIOLATION` (a topic whose `cleanup.policy` lacks
//! `delete`, as Kafka refuses).
//!
//! # References
//! - KIP-107

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for DeleteRecordsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 2 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DeleteRecordsResponse> {
        let broker = ctx.broker;
        let topics = self
            .topics
            .into_iter()
            .map(|t| {
                let name = t.name.0.to_string();
                let deletable = ctx.state.topics.get(&name).map(|topic| {
                    ctx.state
                        .topic_config(topic, "cleanup.policy", broker)
                        .is_some_and(|p| p.split(',').any(|s| s.trim() == "delete"))
                });
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let result = DeleteRecordsPartitionResult::default()
                            .with_partition_index(p.partition_index)
                            .with_low_watermark(-1);
                        let Some(partition) = ctx.state.partition_mut(&name, p.partition_index)
                        else {
                            return result
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                        };
                        if partition.leader != broker {
                            return result
                                .with_error_code(ResponseError::NotLeaderOrFollower.code());
                        }
                        if deletable == Some(false) {
                            return result.with_error_code(ResponseError::PolicyViolation.code());
                        }
                        let end = partition.log.end_offset();
                        let offset = if p.offset == -1 { end } else { p.offset };
                        if offset < 0 || offset > end {
                            return result.with_error_code(ResponseError::OffsetOutOfRange.code());
                        }
                        result.with_low_watermark(partition.log.delete_before(offset))
                    })
                    .collect();
                DeleteRecordsTopicResult::default()
                    .with_name(t.name)
                    .with_partitions(partitions)
            })
            .collect();
        Reply::Now(DeleteRecordsResponse::default().with_topics(topics))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<DeleteRecordsResponse> {
        let topics = self
            .topics
            .iter()
            .map(|t| {
                DeleteRecordsTopicResult::default()
                    .with_name(t.name.clone())
                    .with_partitions(
                        t.partitions
                            .iter()
                            .map(|p| {
                                DeleteRecordsPartitionResult::default()
                                    .with_partition_index(p.partition_index)
                                    .with_low_watermark(-1)
                                    .with_error_code(code)
                            })
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(DeleteRecordsResponse::default().with_topics(topics))
    }
}
