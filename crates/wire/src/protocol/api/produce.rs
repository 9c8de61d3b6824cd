//! Produce (key 0): appends record batches to partition logs. Versions 3+
//! carry record batch v2; 13+ name topics by id only, so 11 is the cap.
//!
//! With `acks=0` the broker sends no response at all; the connection layer
//! knows not to wait for one.
//!
//! # References
//! - KIP-98 (v3, record batch v2), KIP-467 (record errors, v8)

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(ProduceRequest, "Produce", 3..=11);

/// One partition's batch in a produce request.
#[derive(Debug, Clone)]
pub struct PartitionBatch<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// Partition index.
    pub partition: i32,
    /// One encoded record batch.
    pub records: Bytes,
}

/// Builds a request; batches of the same topic are grouped under one entry.
pub fn request<'a>(
    acks: i16,
    timeout_ms: i32,
    batches: impl IntoIterator<Item = PartitionBatch<'a>>,
) -> ProduceRequest {
    let mut topics: Vec<TopicProduceData> = Vec::new();
    let mut names: Vec<&'a str> = Vec::new();
    for batch in batches {
        let partition = PartitionProduceData::default()
            .with_index(batch.partition)
            .with_records(Some(batch.records));
        match names.iter().position(|n| *n == batch.topic) {
            Some(i) => topics[i].partition_data.push(partition),
            None => {
                names.push(batch.topic);
                topics.push(
                    TopicProduceData::default()
                        .with_name(TopicName(StrBytes::from_string(batch.topic.to_owned())))
                        .with_partition_data(vec![partition]),
                );
            }
        }
    }
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(timeout_ms)
        .with_topic_data(topics)
}
