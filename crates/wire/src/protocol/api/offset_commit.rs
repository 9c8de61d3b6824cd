//! OffsetCommit (key 8): stores a group's committed offsets (with optional
//! metadata strings) at its coordinator.
//!
//! A member of an active group sends its generation and member id, and the
//! coordinator refuses commits from old generations (`ILLEGAL_GENERATION`,
//! `UNKNOWN_MEMBER_ID`, `REBALANCE_IN_PROGRESS`). A consumer that only
//! assigns partitions commits with generation -1 and an empty member id.
//! Flexible versions: 8+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_OffsetCommit>
//! - KIP-211 (retention time dropped, v5), KIP-320 (leader epoch, v6),
//!   KIP-345 (group instance id, v7), KIP-848 (member epoch, v9)

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{GroupId, OffsetCommitRequest, OffsetCommitResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;
use crate::error::ResponseError;

api!(OffsetCommitRequest, "OffsetCommit", 2..=9);

/// Who commits: the group and, for a group member, its generation.
#[derive(Debug, Clone, Copy)]
pub struct Committer<'a> {
    /// The group id.
    pub group_id: &'a str,
    /// The member's generation, -1 for a consumer outside group management.
    pub generation_id: i32,
    /// The member id, empty outside group management.
    pub member_id: &'a str,
    /// The static member id (version 7+).
    pub group_instance_id: Option<&'a str>,
}

/// One partition's offset to commit.
#[derive(Debug, Clone, Copy)]
pub struct PartitionCommit<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// Partition index.
    pub partition: i32,
    /// The offset of the next record to consume.
    pub offset: i64,
    /// The leader epoch of the last consumed record, -1 if unknown (version 6+).
    pub leader_epoch: i32,
    /// A metadata string stored with the offset.
    pub metadata: Option<&'a str>,
}

/// Builds the request; partitions of one topic are grouped under one entry.
pub fn request<'a>(
    version: i16,
    committer: &Committer<'_>,
    partitions: impl IntoIterator<Item = PartitionCommit<'a>>,
) -> OffsetCommitRequest {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for p in partitions {
        let partition = OffsetCommitRequestPartition::default()
            .with_partition_index(p.partition)
            .with_committed_offset(p.offset)
            .with_committed_leader_epoch(if version >= 6 { p.leader_epoch } else { -1 })
            .with_committed_metadata(p.metadata.map(|m| StrBytes::from_string(m.to_owned())));
        match topics.iter_mut().find(|t| t.name.0.as_str() == p.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(p.topic.to_owned())))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    OffsetCommitRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(
            committer.group_id.to_owned(),
        )))
        .with_generation_id_or_member_epoch(committer.generation_id)
        .with_member_id(StrBytes::from_string(committer.member_id.to_owned()))
        .with_group_instance_id(
            committer
                .group_instance_id
                .filter(|_| version >= 7)
                .map(|s| StrBytes::from_string(s.to_owned())),
        )
        .with_topics(topics)
}

/// Every partition's outcome: `(topic, partition, error)`.
pub fn partition_errors(
    response: &OffsetCommitResponse,
) -> Vec<(String, i32, Option<ResponseError>)> {
    response
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| {
                (
                    t.name.0.to_string(),
                    p.partition_index,
                    ResponseError::try_from_code(p.error_code),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn encodes_at_every_version() {
        let committer = Committer {
            group_id: "g",
            generation_id: 4,
            member_id: "m",
            group_instance_id: Some("s"),
        };
        let parts = [
            PartitionCommit {
                topic: "t",
                partition: 0,
                offset: 10,
                leader_epoch: 2,
                metadata: Some("meta"),
            },
            PartitionCommit {
                topic: "t",
                partition: 1,
                offset: 11,
                leader_epoch: -1,
                metadata: None,
            },
            PartitionCommit {
                topic: "u",
                partition: 0,
                offset: 0,
                leader_epoch: -1,
                metadata: Some(""),
            },
        ];
        for version in 2..=9 {
            let mut buf = BytesMut::new();
            request(version, &committer, parts)
                .encode(&mut buf, version)
                .unwrap();
            let back = OffsetCommitRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!(back.generation_id_or_member_epoch, 4);
            assert_eq!(back.topics.len(), 2);
            assert_eq!(back.topics[0].partitions.len(), 2);
            let p0 = &back.topics[0].partitions[0];
            assert_eq!(p0.committed_offset, 10);
            assert_eq!(p0.committed_metadata.as_deref(), Some("meta"));
            assert_eq!(p0.committed_leader_epoch, if version >= 6 { 2 } else { -1 });
            assert_eq!(back.group_instance_id.is_some(), version >= 7);
        }
    }
}
