//! ListOffsets (key 2): the earliest or latest offset of a partition, or the
//! first offset at or after a timestamp.
//!
//! # References
//! - KIP-79 (by timestamp, v1), KIP-98 (isolation level, v2)

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;
use super::fetch::IsolationLevel;

api!(ListOffsetsRequest, "ListOffsets", 1..=7);

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (high watermark, or last stable offset in read_committed).
    Latest,
    /// The first offset whose timestamp is at or after this one (ms).
    Timestamp(i64),
}

impl OffsetSpec {
    /// The timestamp value the protocol uses for this spec.
    pub fn as_timestamp(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::Timestamp(t) => t,
        }
    }
}

/// Builds a request for one or more partitions of one topic.
pub fn request(
    topic: &str,
    partitions: impl IntoIterator<Item = (i32, OffsetSpec)>,
    isolation: IsolationLevel,
) -> ListOffsetsRequest {
    let partitions = partitions
        .into_iter()
        .map(|(p, spec)| {
            ListOffsetsPartition::default()
                .with_partition_index(p)
                .with_current_leader_epoch(-1)
                .with_timestamp(spec.as_timestamp())
        })
        .collect();
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(isolation.as_i8())
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
            .with_partitions(partitions)])
}
