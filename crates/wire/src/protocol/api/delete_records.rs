//! DeleteRecords (key 21): moves partitions' log start offsets forward,
//! deleting the records before them. Each partition's request goes to its
//! leader, which answers with the new low watermark.
//!
//! An offset of `-1` means the high watermark (delete everything).
//!
//! Versions: 0..=2 (v2 is flexible).
//!
//! # References
//! - KIP-107 (DeleteRecords)

use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::{DeleteRecordsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{api, group_by_topic};

api!(DeleteRecordsRequest, "DeleteRecords", 0..=2);

/// A request deleting records before `offset` for each `(topic, partition, offset)`.
pub fn request<'a>(
    partitions: impl IntoIterator<Item = (&'a str, i32, i64)>,
    timeout_ms: i32,
) -> DeleteRecordsRequest {
    let topics = group_by_topic(partitions.into_iter().map(|(t, p, o)| (t, (p, o))))
        .into_iter()
        .map(|(topic, partitions)| {
            DeleteRecordsTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(p, o)| {
                            DeleteRecordsPartition::default()
                                .with_partition_index(p)
                                .with_offset(o)
                        })
                        .collect(),
                )
        })
        .collect();
    DeleteRecordsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(timeout_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn partitions_are_grouped_by_topic() {
        let r = request([("a", 0, 5), ("b", 1, -1), ("a", 2, 7)], 1000);
        assert_eq!(r.topics.len(), 2);
        assert_eq!(r.topics[0].name.as_str(), "a");
        let a: Vec<(i32, i64)> = r.topics[0]
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.offset))
            .collect();
        assert_eq!(a, vec![(0, 5), (2, 7)]);
        for v in 0..=2 {
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
            let back = DeleteRecordsRequest::decode(&mut buf.freeze(), v).expect("decodes");
            assert_eq!(back, r, "v{v}");
        }
    }
}
