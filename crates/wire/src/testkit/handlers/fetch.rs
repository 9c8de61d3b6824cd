//! Fetch (key 1): reads whole stored batches from the offset asked for (the
//! batch holding that offset comes first; clients skip the records before
//! it), within `partition_max_bytes` and `max_bytes`, except that the first
//! batch of the first partition with data is returned even when larger, so a
//! consumer always makes progress.
//!
//! When fewer than `min_bytes` are available the answer waits, up to
//! `max_wait_ms`, for an append; an error on any partition answers at once.
//! Errors: `UNKNOWN_TOPIC_OR_PARTITION` (`UNKNOWN_TOPIC_ID` from v13, where
//! topics are named by id), `NOT_LEADER_OR_FOLLOWER` (with the current leader
//! from v12), `FENCED_LEADER_EPOCH` / `UNKNOWN_LEADER_EPOCH` for a stale or
//! future `current_leader_epoch`, `OFFSET_OUT_OF_RANGE` outside
//! `[log start, log end]`. Fetch sessions are not kept: a full fetch is
//! answered with session id 0 (no session), and a request naming a session
//! gets `FETCH_SESSION_ID_NOT_FOUND`. There are no transactions, so the last
//! stable offset is the high watermark and no transaction is ever aborted.
//!
//! # References
//! - KIP-74 (response size limit), KIP-98 (isolation level), KIP-227 (fetch
//!   sessions), KIP-320 (leader epochs, divergence), KIP-516 (topic ids, v13),
//!   KIP-951 (leader discovery)

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_response::{
    EpochEndOffset, FetchableTopicResponse, LeaderIdAndEpoch, NodeEndpoint, PartitionData,
};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Poll, Reply};
use crate::error::ResponseError;
use crate::testkit::state::State;

impl Handler for FetchRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 4, max: 16 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<FetchResponse> {
        let version = ctx.version;
        if version >= 7 && self.session_id != 0 {
            return Reply::Now(
                FetchResponse::default()
                    .with_error_code(ResponseError::FetchSessionIdNotFound.code())
                    .with_session_id(0),
            );
        }
        if version >= 7 && self.session_epoch > 0 {
            return Reply::Now(
                FetchResponse::default()
                    .with_error_code(ResponseError::InvalidFetchSessionEpoch.code()),
            );
        }
        let broker = ctx.broker;
        let wait = u64::try_from(self.max_wait_ms).unwrap_or(0);
        if let Some(response) = read(ctx.state, broker, version, &self, wait == 0) {
            return Reply::Now(response);
        }
        Reply::Poll(Poll {
            deadline: ctx.now + Duration::from_millis(wait),
            poll: Box::new(move |state, last| read(state, broker, version, &self, last)),
        })
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<FetchResponse> {
        let responses = self
            .topics
            .iter()
            .map(|t| {
                FetchableTopicResponse::default()
                    .with_topic(t.topic.clone())
                    .with_topic_id(t.topic_id)
                    .with_partitions(
                        t.partitions
                            .iter()
                            .map(|p| empty(p.partition).with_error_code(code))
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(FetchResponse::default().with_responses(responses))
    }
}

fn empty(partition: i32) -> PartitionData {
    PartitionData::default()
        .with_partition_index(partition)
        .with_high_watermark(-1)
        .with_last_stable_offset(-1)
        .with_log_start_offset(-1)
        .with_records(Some(Bytes::new()))
}

/// One read of every partition asked for; `None` if the answer should wait
/// for more data (and `last` is not set).
fn read(
    state: &State,
    broker: i32,
    version: i16,
    request: &FetchRequest,
    last: bool,
) -> Option<FetchResponse> {
    let mut remaining = usize::try_from(request.max_bytes).unwrap_or(0);
    let mut total = 0usize;
    let mut errors = false;
    let mut any_data = false;
    let mut leaders: Vec<i32> = Vec::new();
    let read_committed = request.isolation_level == 1;
    let mut responses = Vec::with_capacity(request.topics.len());
    for t in &request.topics {
        let topic = if version >= 13 {
            state.topic_by_id(&t.topic_id)
        } else {
            state.topics.get(t.topic.0.as_str())
        };
        let mut partitions = Vec::with_capacity(t.partitions.len());
        for p in &t.partitions {
            let mut data = empty(p.partition);
            let Some(topic) = topic else {
                errors = true;
                let code = if version >= 13 {
                    ResponseError::UnknownTopicId
                } else {
                    ResponseError::UnknownTopicOrPartition
                };
                partitions.push(data.with_error_code(code.code()));
                continue;
            };
            let Some(partition) = usize::try_from(p.partition)
                .ok()
                .and_then(|i| topic.partitions.get(i))
            else {
                errors = true;
                partitions
                    .push(data.with_error_code(ResponseError::UnknownTopicOrPartition.code()));
                continue;
            };
            if partition.leader != broker {
                errors = true;
                data.error_code = ResponseError::NotLeaderOrFollower.code();
                if version >= 12 && partition.leader >= 0 {
                    data.current_leader = LeaderIdAndEpoch::default()
                        .with_leader_id(BrokerId(partition.leader))
                        .with_leader_epoch(partition.leader_epoch);
                    leaders.push(partition.leader);
                }
                partitions.push(data);
                continue;
            }
            if version >= 9 && p.current_leader_epoch >= 0 {
                let code = if p.current_leader_epoch < partition.leader_epoch {
                    Some(ResponseError::FencedLeaderEpoch)
                } else if p.current_leader_epoch > partition.leader_epoch {
                    Some(ResponseError::UnknownLeaderEpoch)
                } else {
                    None
                };
                if let Some(code) = code {
                    errors = true;
                    partitions.push(data.with_error_code(code.code()));
                    continue;
                }
            }
            let log = &partition.log;
            data.high_watermark = log.end_offset();
            data.last_stable_offset = log.end_offset();
            data.log_start_offset = log.start_offset();
            if read_committed {
                data.aborted_transactions = Some(Vec::new());
            }
            if p.fetch_offset < log.start_offset() || p.fetch_offset > log.end_offset() {
                errors = true;
                partitions.push(data.with_error_code(ResponseError::OffsetOutOfRange.code()));
                continue;
            }
            if version >= 12 && p.last_fetched_epoch >= 0 {
                let (epoch, end) = log.end_offset_for_epoch(p.last_fetched_epoch);
                if epoch < p.last_fetched_epoch || end < p.fetch_offset {
                    errors = true;
                    data.diverging_epoch = EpochEndOffset::default()
                        .with_epoch(epoch)
                        .with_end_offset(end);
                    partitions.push(data);
                    continue;
                }
            }
            let limit = usize::try_from(p.partition_max_bytes)
                .unwrap_or(0)
                .min(remaining);
            let batches = log.read(p.fetch_offset, limit, !any_data);
            let size: usize = batches.iter().map(Bytes::len).sum();
            if size > 0 {
                any_data = true;
                total += size;
                remaining = remaining.saturating_sub(size);
                let mut buf = BytesMut::with_capacity(size);
                for b in &batches {
                    buf.extend_from_slice(b);
                }
                data.records = Some(buf.freeze());
            }
            partitions.push(data);
        }
        responses.push(
            FetchableTopicResponse::default()
                .with_topic(t.topic.clone())
                .with_topic_id(t.topic_id)
                .with_partitions(partitions),
        );
    }
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    if !(last || errors || total >= min_bytes || request.topics.is_empty()) {
        return None;
    }
    leaders.sort_unstable();
    leaders.dedup();
    let mut response = FetchResponse::default().with_responses(responses);
    if version >= 16 {
        response.node_endpoints = leaders
            .into_iter()
            .filter_map(|id| {
                let b = state.brokers.get(&id)?;
                Some(
                    NodeEndpoint::default()
                        .with_node_id(BrokerId(id))
                        .with_host(str_bytes(b.host.clone()))
                        .with_port(i32::from(b.port)),
                )
            })
            .collect();
    }
    Some(response)
}
