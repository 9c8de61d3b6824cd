//! AlterPartitionReassignments (key 45): starts, changes or cancels
//! partition reassignments. A partition with a replica list is moved to it;
//! one with a null list has its ongoing reassignment cancelled. Sent to the
//! controller.
//!
//! Versions: 0..=1 (flexible; v1 adds `allow_replication_factor_change`,
//! left at its default, true, which is what v0 implies).
//!
//! # References
//! - KIP-455 (reassignment APIs), KIP-860 (replication factor change flag, v1)

use kafka_protocol::messages::alter_partition_reassignments_request::{
    ReassignablePartition, ReassignableTopic,
};
use kafka_protocol::messages::{AlterPartitionReassignmentsRequest, BrokerId, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{api, group_by_topic};

api!(
    AlterPartitionReassignmentsRequest,
    "AlterPartitionReassignments",
    0..=1
);

/// A request for each `(topic, partition, target replicas)`; `None` cancels
/// the partition's reassignment.
pub fn request<'a>(
    partitions: impl IntoIterator<Item = (&'a str, i32, Option<&'a [i32]>)>,
    timeout_ms: i32,
) -> AlterPartitionReassignmentsRequest {
    let topics = group_by_topic(partitions.into_iter().map(|(t, p, r)| (t, (p, r))))
        .into_iter()
        .map(|(topic, partitions)| {
            ReassignableTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_owned())))
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(p, replicas)| {
                            ReassignablePartition::default()
                                .with_partition_index(p)
                                .with_replicas(
                                    replicas.map(|r| r.iter().copied().map(BrokerId).collect()),
                                )
                        })
                        .collect(),
                )
        })
        .collect();
    AlterPartitionReassignmentsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(timeout_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn null_replicas_cancel() {
        let target = [2, 3];
        let r = request([("t", 0, Some(&target[..])), ("t", 1, None)], 1000);
        let parts = &r.topics[0].partitions;
        assert_eq!(parts[0].replicas, Some(vec![BrokerId(2), BrokerId(3)]));
        assert_eq!(parts[1].replicas, None);
        for v in 0..=1 {
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
            let back =
                AlterPartitionReassignmentsRequest::decode(&mut buf.freeze(), v).expect("decodes");
            assert_eq!(back, r, "v{v}");
        }
    }
}
