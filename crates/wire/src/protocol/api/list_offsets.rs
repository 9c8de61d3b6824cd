//! ListOffsets (key 2): the earliest or latest offset of partitions, or the
//! first offset at or after a timestamp. Each partition is asked of its
//! leader; one request may carry many partitions of many topics, but each
//! partition only once (brokers reject a partition named twice).
//!
//! # References
//! - KIP-79 (by timestamp, v1), KIP-98 (isolation level, v2)

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::fetch::IsolationLevel;
use super::{api, group_by_topic};

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
    request_many(
        partitions.into_iter().map(|(p, spec)| (topic, p, spec)),
        isolation,
    )
}

/// Builds a request for `(topic, partition, spec)` triples of any number of
/// topics; partitions are grouped under their topic in order of appearance.
pub fn request_many<'a>(
    partitions: impl IntoIterator<Item = (&'a str, i32, OffsetSpec)>,
    isolation: IsolationLevel,
) -> ListOffsetsRequest {
    let topics = group_by_topic(partitions.into_iter().map(|(t, p, s)| (t, (p, s))))
        .into_iter()
        .map(|(topic, partitions)| {
            ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(p, spec)| {
                            ListOffsetsPartition::default()
                                .with_partition_index(p)
                                .with_current_leader_epoch(-1)
                                .with_timestamp(spec.as_timestamp())
                        })
                        .collect(),
                )
        })
        .collect();
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(isolation.as_i8())
        .with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_topics_in_one_request() {
        let r = request_many(
            [
                ("a", 0, OffsetSpec::Earliest),
                ("b", 0, OffsetSpec::Latest),
                ("a", 1, OffsetSpec::Timestamp(5)),
            ],
            IsolationLevel::ReadCommitted,
        );
        assert_eq!(r.isolation_level, 1);
        let got: Vec<(String, Vec<(i32, i64)>)> = r
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.to_string(),
                    t.partitions
                        .iter()
                        .map(|p| (p.partition_index, p.timestamp))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".to_owned(), vec![(0, -2), (1, 5)]),
                ("b".to_owned(), vec![(0, -1)]),
            ]
        );
    }
}
