//! Metadata (key 3): brokers, controller, cluster id, topics and partition
//! leaders. Versions above 12 name topics by id only, so 12 is the cap.
//!
//! # References
//! - KIP-4 (controller, internal topics), KIP-78 (cluster id, v2),
//!   KIP-320 (leader epoch, v7), KIP-516 (topic ids, v10+)

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(MetadataRequest, "Metadata", 1..=12);

/// A request for `topics`, or for every topic when `None`.
pub fn request(topics: Option<&[String]>, allow_auto_topic_creation: bool) -> MetadataRequest {
    let topics = topics.map(|names| {
        names
            .iter()
            .map(|n| {
                MetadataRequestTopic::default()
                    .with_name(Some(TopicName(StrBytes::from_string(n.clone()))))
            })
            .collect()
    });
    MetadataRequest::default()
        .with_topics(topics)
        .with_allow_auto_topic_creation(allow_auto_topic_creation)
}
