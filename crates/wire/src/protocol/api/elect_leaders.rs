//! ElectLeaders (key 43): elects partition leaders — the preferred replica,
//! or (unclean) any live replica when no in-sync one is left — for the
//! partitions named or, with a null list, for every partition that needs
//! it. Sent to the controller.
//!
//! Versions: 0..=2. v0 only does preferred elections (it has no election
//! type); v1 adds the election type and a top-level error code; v2 is
//! flexible.
//!
//! # References
//! - KIP-183 (preferred leader election), KIP-460 (unclean elections, v1)

use kafka_protocol::messages::elect_leaders_request::TopicPartitions;
use kafka_protocol::messages::{ElectLeadersRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{api, group_by_topic};

api!(ElectLeadersRequest, "ElectLeaders", 0..=2);

/// The first version with an election type (and so unclean elections).
pub const ELECTION_TYPE_VERSION: i16 = 1;

/// A request electing leaders of type `election_type` (0 preferred,
/// 1 unclean) for the `(topic, partition)` pairs given, or for all
/// partitions when `None`.
pub fn request<'a>(
    election_type: i8,
    partitions: Option<impl IntoIterator<Item = (&'a str, i32)>>,
    timeout_ms: i32,
) -> ElectLeadersRequest {
    let topics = partitions.map(|partitions| {
        group_by_topic(partitions)
            .into_iter()
            .map(|(topic, indexes)| {
                TopicPartitions::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.to_owned())))
                    .with_partitions(indexes)
            })
            .collect()
    });
    ElectLeadersRequest::default()
        .with_election_type(election_type)
        .with_topic_partitions(topics)
        .with_timeout_ms(timeout_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn v0_carries_only_preferred_elections() {
        let preferred = request(0, Some([("t", 0), ("t", 1)]), 1000);
        for v in 0..=2 {
            let mut buf = bytes::BytesMut::new();
            preferred.encode(&mut buf, v).expect("encodes");
            let back = ElectLeadersRequest::decode(&mut buf.freeze(), v).expect("decodes");
            assert_eq!(back, preferred, "v{v}");
        }
        let unclean = request(1, None::<Vec<(&str, i32)>>, 1000);
        assert!(unclean.topic_partitions.is_none());
        let mut buf = bytes::BytesMut::new();
        assert!(unclean.encode(&mut buf, 0).is_err());
        unclean.encode(&mut buf, 1).expect("encodes at v1");
    }
}
