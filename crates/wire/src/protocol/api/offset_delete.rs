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
