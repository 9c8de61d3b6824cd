//! OffsetDelete (key 47): deletes a group's committed offsets for some
//! partitions, asked of the group's coordinator. Refused per partition with
//! `GROUP_SUBSCRIBED_TO_TOPIC` while an active member subscribes to the
//! topic. Version 0 only; not flexible.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_OffsetDelete>
//! - KIP-496

use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::{GroupId, OffsetDeleteRequest, OffsetDeleteResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;
use crate::error::ResponseError;

api!(OffsetDeleteRequest, "OffsetDelete", 0..=0);

/// Builds the request; partitions of one topic are grouped under one entry.
pub fn request<'a>(
    group_id: &str,
    partitions: impl IntoIterator<Item = (&'a str, i32)>,
) -> OffsetDeleteRequest {
    let mut topics: Vec<OffsetDeleteRequestTopic> = Vec::new();
    for (topic, partition) in partitions {
        let p = OffsetDeleteRequestPartition::default().with_partition_index(partition);
        match topics.iter_mut().find(|t| t.name.0.as_str() == topic) {
            Some(t) => t.partitions.push(p),
            None => topics.push(
                OffsetDeleteRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                    .with_partitions(vec![p]),
            ),
        }
    }
    OffsetDeleteRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group_id.to_owned())))
        .with_topics(topics)
}

/// Every partition's outcome: `(topic, partition, error)`.
pub fn partition_errors(
    response: &OffsetDeleteResponse,
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
    use kafka_protocol::messages::offset_delete_response::{
        OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
    };
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn groups_partitions_by_topic_and_reads_errors() {
        let mut buf = BytesMut::new();
        request("g", [("t", 0), ("u", 1), ("t", 2)])
            .encode(&mut buf, 0)
            .unwrap();
        let back = OffsetDeleteRequest::decode(&mut buf.freeze(), 0).unwrap();
        assert_eq!(back.group_id.0.as_str(), "g");
        let topics: Vec<(&str, Vec<i32>)> = back
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.0.as_str(),
                    t.partitions.iter().map(|p| p.partition_index).collect(),
                )
            })
            .collect();
        assert_eq!(topics, vec![("t", vec![0, 2]), ("u", vec![1])]);
        let response =
            OffsetDeleteResponse::default().with_topics(vec![OffsetDeleteResponseTopic::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![OffsetDeleteResponsePartition::default()
                    .with_partition_index(0)
                    .with_error_code(ResponseError::GroupSubscribedToTopic.code())])]);
        assert_eq!(
            partition_errors(&response),
            vec![(
                "t".to_owned(),
                0,
                Some(ResponseError::GroupSubscribedToTopic)
            )]
        );
    }
}
