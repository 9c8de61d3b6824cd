//! OffsetFetch (key 9): a group's committed offsets, for some partitions or
//! (version 2+, a null topic list) for every partition it has committed.
//!
//! Versions 1–7 ask about one group; version 8+ (KIP-709) about several, each
//! answered separately. [`request`] builds whichever form the version calls
//! for and [`groups`] reads both forms. An offset of -1 means the group has
//! no committed offset for the partition. Flexible versions: 6+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_OffsetFetch>
//! - KIP-88 (all partitions, top-level error, v2), KIP-320 (leader epoch, v5),
//!   KIP-447 (require stable, v7), KIP-709 (several groups, v8),
//!   KIP-848 (member id and epoch, v9)

use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{GroupId, OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;
use crate::error::ResponseError;

api!(OffsetFetchRequest, "OffsetFetch", 1..=9);

/// The first version that asks about several groups.
pub const MULTI_GROUP_VERSION: i16 = 8;

/// One group to ask about.
#[derive(Debug, Clone)]
pub struct GroupQuery<'a> {
    /// The group id.
    pub group_id: &'a str,
    /// Partitions per topic, or `None` for everything the group committed
    /// (version 2+).
    pub topics: Option<Vec<(&'a str, Vec<i32>)>>,
}

/// Builds the request. Before version 8 only the first group is sent (send
/// one request per group there).
pub fn request(
    version: i16,
    groups: &[GroupQuery<'_>],
    require_stable: bool,
) -> OffsetFetchRequest {
    let name = |s: &str| StrBytes::from_string(s.to_owned());
    let request = OffsetFetchRequest::default().with_require_stable(require_stable && version >= 7);
    if version >= MULTI_GROUP_VERSION {
        return request.with_groups(
            groups
                .iter()
                .map(|g| {
                    OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(name(g.group_id)))
                        .with_topics(g.topics.as_ref().map(|topics| {
                            topics
                                .iter()
                                .map(|(t, partitions)| {
                                    OffsetFetchRequestTopics::default()
                                        .with_name(TopicName(name(t)))
                                        .with_partition_indexes(partitions.clone())
                                })
                                .collect()
                        }))
                })
                .collect(),
        );
    }
    let Some(group) = groups.first() else {
        return request;
    };
    request
        .with_group_id(GroupId(name(group.group_id)))
        .with_topics(group.topics.as_ref().map(|topics| {
            topics
                .iter()
                .map(|(t, partitions)| {
                    OffsetFetchRequestTopic::default()
                        .with_name(TopicName(name(t)))
                        .with_partition_indexes(partitions.clone())
                })
                .collect()
        }))
}

/// One partition's committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedOffset {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// The committed offset, -1 if there is none.
    pub offset: i64,
    /// The leader epoch stored with it, -1 if unknown (version 5+).
    pub leader_epoch: i32,
    /// The metadata string stored with it.
    pub metadata: Option<String>,
    /// The partition's error, if any.
    pub error: Option<ResponseError>,
}

/// One group's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffsets {
    /// The group id.
    pub group_id: String,
    /// The group-level error (version 2+), if any.
    pub error: Option<ResponseError>,
    /// The partitions answered.
    pub partitions: Vec<FetchedOffset>,
}

/// Reads a response to a request for `group_ids` at `version`.
pub fn groups(
    response: &OffsetFetchResponse,
    version: i16,
    group_ids: &[&str],
) -> Vec<GroupOffsets> {
    if version >= MULTI_GROUP_VERSION {
        return response
            .groups
            .iter()
            .map(|g| GroupOffsets {
                group_id: g.group_id.0.to_string(),
                error: ResponseError::try_from_code(g.error_code),
                partitions: g
                    .topics
                    .iter()
                    .flat_map(|t| {
                        t.partitions.iter().map(|p| FetchedOffset {
                            topic: t.name.0.to_string(),
                            partition: p.partition_index,
                            offset: p.committed_offset,
                            leader_epoch: p.committed_leader_epoch,
                            metadata: p.metadata.as_ref().map(|m| m.to_string()),
                            error: ResponseError::try_from_code(p.error_code),
                        })
                    })
                    .collect(),
            })
            .collect();
    }
    let Some(group_id) = group_ids.first() else {
        return Vec::new();
    };
    vec![GroupOffsets {
        group_id: (*group_id).to_owned(),
        error: ResponseError::try_from_code(response.error_code),
        partitions: response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(|p| FetchedOffset {
                    topic: t.name.0.to_string(),
                    partition: p.partition_index,
                    offset: p.committed_offset,
                    leader_epoch: p.committed_leader_epoch,
                    metadata: p.metadata.as_ref().map(|m| m.to_string()),
                    error: ResponseError::try_from_code(p.error_code),
                })
            })
            .collect(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::offset_fetch_response::{
        OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
        OffsetFetchResponseTopic, OffsetFetchResponseTopics,
    };
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn builds_single_and_multi_group_forms() {
        let queries = [
            GroupQuery {
                group_id: "g1",
                topics: Some(vec![("t", vec![0, 1])]),
            },
            GroupQuery {
                group_id: "g2",
                topics: None,
            },
        ];
        for version in 2..=9 {
            let mut buf = BytesMut::new();
            request(version, &queries, true)
                .encode(&mut buf, version)
                .unwrap();
            let back = OffsetFetchRequest::decode(&mut buf.freeze(), version).unwrap();
            if version >= MULTI_GROUP_VERSION {
                assert_eq!(back.groups.len(), 2);
                assert!(back.groups[1].topics.is_none());
                assert!(back.require_stable);
            } else {
                assert_eq!(back.group_id.0.as_str(), "g1");
                assert_eq!(back.topics.unwrap()[0].partition_indexes, vec![0, 1]);
                assert_eq!(back.require_stable, version >= 7);
            }
        }
    }

    #[test]
    fn reads_single_and_multi_group_forms() {
        let single = OffsetFetchResponse::default()
            .with_error_code(0)
            .with_topics(vec![OffsetFetchResponseTopic::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![OffsetFetchResponsePartition::default()
                    .with_partition_index(1)
                    .with_committed_offset(42)
                    .with_metadata(Some(StrBytes::from_static_str("m")))])]);
        let got = groups(&single, 7, &["g"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].group_id, "g");
        assert_eq!(got[0].partitions[0].offset, 42);
        assert_eq!(got[0].partitions[0].metadata.as_deref(), Some("m"));

        let multi = OffsetFetchResponse::default().with_groups(vec![
            OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(StrBytes::from_static_str("a")))
                .with_topics(vec![OffsetFetchResponseTopics::default()
                    .with_name(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(vec![OffsetFetchResponsePartitions::default()
                        .with_partition_index(0)
                        .with_committed_offset(-1)])]),
            OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(StrBytes::from_static_str("b")))
                .with_error_code(ResponseError::GroupAuthorizationFailed.code()),
        ]);
        let got = groups(&multi, 8, &["a", "b"]);
        assert_eq!(got[0].partitions[0].offset, -1);
        assert_eq!(got[1].error, Some(ResponseError::GroupAuthorizationFailed));
    }
}
