//! Fetch (key 1): reads record batches from partition logs. Versions 13+ name
//! topics by id only, so 12 is the cap. Sessions (KIP-227) are not used: each
//! request is a full fetch (session id 0, epoch -1).
//!
//! # References
//! - KIP-74 (max bytes, v3), KIP-98 (isolation level, aborted transactions, v4),
//!   KIP-227 (fetch sessions, v7), KIP-320 (leader epoch, v9)

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(FetchRequest, "Fetch", 4..=12);

/// Isolation level of a fetch or list-offsets request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Every record, including those of open or aborted transactions.
    #[default]
    ReadUncommitted,
    /// Only records of committed transactions, up to the last stable offset.
    ReadCommitted,
}

impl IsolationLevel {
    /// The wire value.
    pub fn as_i8(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}

/// One partition to read in a fetch request.
#[derive(Debug, Clone)]
pub struct PartitionFetch<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// Partition index.
    pub partition: i32,
    /// First offset wanted.
    pub offset: i64,
    /// Most bytes to return for this partition.
    pub max_bytes: i32,
}

/// Limits of a whole fetch request.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// How long the broker may wait for `min_bytes`.
    pub max_wait_ms: i32,
    /// Bytes to accumulate before answering.
    pub min_bytes: i32,
    /// Most bytes in the whole response.
    pub max_bytes: i32,
    /// Isolation level.
    pub isolation: IsolationLevel,
}

/// Builds a full (sessionless) fetch request.
pub fn request<'a>(
    limits: FetchLimits,
    partitions: impl IntoIterator<Item = PartitionFetch<'a>>,
) -> FetchRequest {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for p in partitions {
        let partition = FetchPartition::default()
            .with_partition(p.partition)
            .with_current_leader_epoch(-1)
            .with_fetch_offset(p.offset)
            .with_last_fetched_epoch(-1)
            .with_log_start_offset(-1)
            .with_partition_max_bytes(p.max_bytes);
        match topics.iter_mut().find(|t| t.topic.0.as_str() == p.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(p.topic.to_owned())))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(limits.max_wait_ms)
        .with_min_bytes(limits.min_bytes)
        .with_max_bytes(limits.max_bytes)
        .with_isolation_level(limits.isolation.as_i8())
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(topics)
}
