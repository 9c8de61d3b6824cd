//! ListOffsets (key 2): the log start offset (`-2`, and `-4`, the earliest
//! local offset, which is the same here), the log end offset (`-1`; the high
//! watermark, which is also the last stable offset), the record with the
//! largest timestamp (`-3`), nothing for the latest tiered offset (`-5`: no
//! tiered storage, offset -1), or the first record at or after a timestamp
//! (offset and timestamp -1 when there is none). Each answer carries the
//! leader epoch its offset was written in (v4+).
//!
//! Errors: `UNKNOWN_TOPIC_OR_PARTITION`, `NOT_LEADER_OR_FOLLOWER`, and
//! `FENCED_LEADER_EPOCH` / `UNKNOWN_LEADER_EPOCH` for a stale or future
//! `current_leader_epoch`.
//!
//! # References
//! - KIP-79 (by timestamp), KIP-98 (isolation level), KIP-320 (leader
//!   epochs), KIP-405 (earliest local, v8), KIP-734 (max timestamp, v7),
//!   KIP-1005 (latest tiered, v9)

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::Partition;

impl Handler for ListOffsetsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 9 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<ListOffsetsResponse> {
        let topics = self
            .topics
            .into_iter()
            .map(|t| {
                let topic = ctx.state.topics.get(t.name.0.as_str());
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let response = ListOffsetsPartitionResponse::default()
                            .with_partition_index(p.partition_index)
                            .with_timestamp(-1)
                            .with_offset(-1);
                        let partition = topic.and_then(|t| {
                            t.partitions.get(usize::try_from(p.partition_index).ok()?)
                        });
                        let Some(partition) = partition else {
                            return response
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                        };
                        if partition.leader != ctx.broker {
                            return response
                                .with_error_code(ResponseError::NotLeaderOrFollower.code());
                        }
                        if ctx.version >= 4 && p.current_leader_epoch >= 0 {
                            if p.current_leader_epoch < partition.leader_epoch {
                                return response
                                    .with_error_code(ResponseError::FencedLeaderEpoch.code());
                            }
                            if p.current_leader_epoch > partition.leader_epoch {
                                return response
                                    .with_error_code(ResponseError::UnknownLeaderEpoch.code());
                            }
                        }
                        let (offset, timestamp) = lookup(partition, p.timestamp);
                        let mut response = response.with_offset(offset).with_timestamp(timestamp);
                        if ctx.version >= 4 && offset >= 0 {
                            response.leader_epoch = partition.log.epoch_of(offset);
                        }
                        response
                    })
                    .collect();
                ListOffsetsTopicResponse::default()
                    .with_name(t.name)
                    .with_partitions(partitions)
            })
            .collect();
        Reply::Now(ListOffsetsResponse::default().with_topics(topics))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<ListOffsetsResponse> {
        let topics = self
            .topics
            .iter()
            .map(|t| {
                ListOffsetsTopicResponse::default()
                    .with_name(t.name.clone())
                    .with_partitions(
                        t.partitions
                            .iter()
                            .map(|p| {
                                ListOffsetsPartitionResponse::default()
                                    .with_partition_index(p.partition_index)
                                    .with_error_code(code)
                                    .with_timestamp(-1)
                                    .with_offset(-1)
                            })
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(ListOffsetsResponse::default().with_topics(topics))
    }
}

/// `(offset, timestamp)` for a ListOffsets timestamp or special value.
fn lookup(partition: &Partition, timestamp: i64) -> (i64, i64) {
    let log = &partition.log;
    match timestamp {
        -2 | -4 => (log.start_offset(), -1),
        -1 => (log.end_offset(), -1),
        -3 => log.max_timestamp().unwrap_or((-1, -1)),
        -5 => (-1, -1),
        t => log.offset_for_timestamp(t).unwrap_or((-1, -1)),
    }
}
