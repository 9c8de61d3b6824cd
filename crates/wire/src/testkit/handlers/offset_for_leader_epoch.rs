//! OffsetForLeaderEpoch (key 23): the end offset of a leader epoch, which
//! consumers use after a leader change to check that their position was not
//! truncated away. The answer is the largest epoch at or below the one asked
//! for and the offset where the following epoch starts (the log end for the
//! current epoch); `(-1, -1)` for an epoch above the current one.
//!
//! # References
//! - KIP-101, KIP-279 (the epoch cache), KIP-320 (consumer offset validation)

use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};
use kafka_protocol::protocol::VersionRange;

use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for OffsetForLeaderEpochRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 2, max: 4 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<OffsetForLeaderEpochResponse> {
        let topics = self
            .topics
            .into_iter()
            .map(|t| {
                let topic = ctx.state.topics.get(t.topic.0.as_str());
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let answer = EpochEndOffset::default()
                            .with_partition(p.partition)
                            .with_leader_epoch(-1)
                            .with_end_offset(-1);
                        let Some(partition) = topic
                            .and_then(|t| t.partitions.get(usize::try_from(p.partition).ok()?))
                        else {
                            return answer
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                        };
                        if partition.leader != ctx.broker {
                            return answer
                                .with_error_code(ResponseError::NotLeaderOrFollower.code());
                        }
                        if p.current_leader_epoch >= 0 {
                            if p.current_leader_epoch < partition.leader_epoch {
                                return answer
                                    .with_error_code(ResponseError::FencedLeaderEpoch.code());
                            }
                            if p.current_leader_epoch > partition.leader_epoch {
                                return answer
                                    .with_error_code(ResponseError::UnknownLeaderEpoch.code());
                            }
                        }
                        let (epoch, end) = partition.log.end_offset_for_epoch(p.leader_epoch);
                        answer.with_leader_epoch(epoch).with_end_offset(end)
                    })
                    .collect();
                OffsetForLeaderTopicResult::default()
                    .with_topic(t.topic)
                    .with_partitions(partitions)
            })
            .collect();
        Reply::Now(OffsetForLeaderEpochResponse::default().with_topics(topics))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<OffsetForLeaderEpochResponse> {
        let topics = self
            .topics
            .iter()
            .map(|t| {
                OffsetForLeaderTopicResult::default()
                    .with_topic(t.topic.clone())
                    .with_partitions(
                        t.partitions
                            .iter()
                            .map(|p| {
                                EpochEndOffset::default()
                                    .with_partition(p.partition)
                                    .with_error_code(code)
                                    .with_leader_epoch(-1)
                                    .with_end_offset(-1)
                            })
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(OffsetForLeaderEpochResponse::default().with_topics(topics))
    }
}
