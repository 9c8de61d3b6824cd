//! CreatePartitions (key 37): raises a topic's partition count, optionally
//! placing the new partitions' replicas. Sent to the controller.
//!
//! Versions: 0..=3 (v2 is the first flexible version).
//!
//! # References
//! - KIP-195 (CreatePartitions)

use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::{BrokerId, CreatePartitionsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(CreatePartitionsRequest, "CreatePartitions", 0..=3);

/// One topic: its new total partition `count`, and for each new partition
/// (in order) the replica broker ids, or `None` to let the controller place them.
pub fn topic(name: &str, count: i32, assignments: Option<&[Vec<i32>]>) -> CreatePartitionsTopic {
    CreatePartitionsTopic::default()
        .with_name(TopicName(StrBytes::from_string(name.to_owned())))
        .with_count(count)
        .with_assignments(assignments.map(|a| {
            a.iter()
                .map(|brokers| {
                    CreatePartitionsAssignment::default()
                        .with_broker_ids(brokers.iter().copied().map(BrokerId).collect())
                })
                .collect()
        }))
}

/// A request for `topics`.
pub fn request(
    topics: Vec<CreatePartitionsTopic>,
    timeout_ms: i32,
    validate_only: bool,
) -> CreatePartitionsRequest {
    CreatePartitionsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(timeout_ms)
        .with_validate_only(validate_only)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn request_round_trips_at_every_version() {
        let r = request(
            vec![
                topic("a", 6, Some(&[vec![1, 2], vec![2, 3]])),
                topic("b", 2, None),
            ],
            3000,
            true,
        );
        for v in 0..=3 {
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
            let back = CreatePartitionsRequest::decode(&mut buf.freeze(), v).expect("decodes");
            assert_eq!(back, r, "v{v}");
        }
        let a = r.topics[0].assignments.as_ref().expect("assignments");
        assert_eq!(a[1].broker_ids, vec![BrokerId(2), BrokerId(3)]);
        assert!(r.topics[1].assignments.is_none());
    }
}
