//! CreateTopics (key 19).
//!
//! # References
//! - KIP-4, KIP-464 (default partitions/replication with -1, v4+)

use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::{CreateTopicsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(CreateTopicsRequest, "CreateTopics", 2..=7);

/// A request creating one topic with `partitions` and `replication_factor`
/// (`-1` for the broker defaults).
pub fn request(
    name: &str,
    partitions: i32,
    replication_factor: i16,
    timeout_ms: i32,
) -> CreateTopicsRequest {
    let topic = CreatableTopic::default()
        .with_name(TopicName(StrBytes::from_string(name.to_owned())))
        .with_num_partitions(partitions)
        .with_replication_factor(replication_factor);
    CreateTopicsRequest::default()
        .with_topics(vec![topic])
        .with_timeout_ms(timeout_ms)
}
