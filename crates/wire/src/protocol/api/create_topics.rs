//! CreateTopics (key 19): creates topics with a partition count and
//! replication factor, or with explicit replica assignments, and topic
//! configs. Sent to the controller (brokers of KRaft clusters forward it).
//!
//! Versions: 2..=7 (the range the `kafka-protocol` structs cover). `-1`
//! partitions or replication factor ask for the broker defaults from v4;
//! v5 returns the created topic's partition count, replication factor and
//! configs; v7 its topic id.
//!
//! # References
//! - KIP-4 (CreateTopics), KIP-108 (validate only), KIP-464 (broker
//!   defaults with -1, v4), KIP-525 (configs in the response, v5),
//!   KIP-516 (topic ids, v7)

use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::{BrokerId, CreateTopicsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(CreateTopicsRequest, "CreateTopics", 2..=7);

/// The first version that takes `-1` for the broker's default partition
/// count and replication factor.
pub const DEFAULTS_VERSION: i16 = 4;

/// One topic of a request. With `assignments` (partition index → replica
/// broker ids) the partition count and replication factor are sent as `-1`,
/// as the protocol requires.
pub fn topic<'a>(
    name: &str,
    partitions: i32,
    replication_factor: i16,
    assignments: impl IntoIterator<Item = (i32, &'a [i32])>,
    configs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> CreatableTopic {
    let assignments: Vec<CreatableReplicaAssignment> = assignments
        .into_iter()
        .map(|(partition, brokers)| {
            CreatableReplicaAssignment::default()
                .with_partition_index(partition)
                .with_broker_ids(brokers.iter().copied().map(BrokerId).collect())
        })
        .collect();
    let (partitions, replication_factor) = if assignments.is_empty() {
        (partitions, replication_factor)
    } else {
        (-1, -1)
    };
    CreatableTopic::default()
        .with_name(TopicName(StrBytes::from_string(name.to_owned())))
        .with_num_partitions(partitions)
        .with_replication_factor(replication_factor)
        .with_assignments(assignments)
        .with_configs(
            configs
                .into_iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(StrBytes::from_string(k.to_owned()))
                        .with_value(Some(StrBytes::from_string(v.to_owned())))
                })
                .collect(),
        )
}

/// A request creating `topics`; the controller waits up to `timeout_ms` for
/// the topics to be created before it answers.
pub fn request(
    topics: Vec<CreatableTopic>,
    timeout_ms: i32,
    validate_only: bool,
) -> CreateTopicsRequest {
    CreateTopicsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(timeout_ms)
        .with_validate_only(validate_only)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn assignments_replace_count_and_replication_factor() {
        let replicas = [1, 2];
        let t = topic(
            "t",
            3,
            2,
            [(0, &replicas[..])],
            [("cleanup.policy", "compact")],
        );
        assert_eq!((t.num_partitions, t.replication_factor), (-1, -1));
        assert_eq!(t.assignments[0].broker_ids, vec![BrokerId(1), BrokerId(2)]);
        assert_eq!(t.configs[0].name.as_str(), "cleanup.policy");
        let t = topic("t", 3, 2, [], []);
        assert_eq!((t.num_partitions, t.replication_factor), (3, 2));
    }

    #[test]
    fn request_round_trips_at_every_version() {
        let replicas = [7];
        let r = request(
            vec![topic("t", -1, -1, [(0, &replicas[..])], [("k", "v")])],
            5000,
            true,
        );
        for v in 2..=7 {
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
            let back = CreateTopicsRequest::decode(&mut buf.freeze(), v).expect("decodes");
            assert_eq!(back, r, "v{v}");
        }
    }
}
