//! ListPartitionReassignments (key 46): the partition reassignments in
//! progress, for all partitions or the ones named. Sent to the controller.
//!
//! Versions: 0 (flexible).
//!
//! # References
//! - KIP-455 (reassignment APIs)

use kafka_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use kafka_protocol::messages::{ListPartitionReassignmentsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{api, group_by_topic};

api!(
    ListPartitionReassignmentsRequest,
    "ListPartitionReassignments",
    0..=0
);

/// A request for the `(topic, partition)` pairs given, or for every
/// partition when `None`.
pub fn request<'a>(
    partitions: Option<impl IntoIterator<Item = (&'a str, i32)>>,
    timeout_ms: i32,
) -> ListPartitionReassignmentsRequest {
    let topics = partitions.map(|partitions| {
        group_by_topic(partitions)
            .into_iter()
            .map(|(topic, indexes)| {
                ListPartitionReassignmentsTopics::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                    .with_partition_indexes(indexes)
            })
            .collect()
    });
    ListPartitionReassignmentsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(timeout_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn all_partitions_or_the_ones_named() {
        let all = request(None::<Vec<(&str, i32)>>, 1000);
        assert!(all.topics.is_none());
        let some = request(Some([("a", 1), ("a", 0), ("b", 3)]), 1000);
        let topics = some.topics.as_ref().expect("topics");
        assert_eq!(topics[0].partition_indexes, vec![1, 0]);
        assert_eq!(topics[1].name.as_str(), "b");
        for r in [all, some] {
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, 0).expect("encodes");
            let back =
                ListPartitionReassignmentsRequest::decode(&mut buf.freeze(), 0).expect("decodes");
            assert_eq!(back, r);
        }
    }
}
