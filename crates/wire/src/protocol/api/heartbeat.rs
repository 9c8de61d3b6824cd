//! Heartbeat (key 12): keeps a member's session alive; the answer tells the
//! member when the group is rebalancing (`REBALANCE_IN_PROGRESS`) or no
//! longer knows it (`UNKNOWN_MEMBER_ID`, `ILLEGAL_GENERATION`).
//! Flexible versions: 4+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_Heartbeat>
//! - KIP-345 (group instance id, v3)

use kafka_protocol::messages::{GroupId, HeartbeatRequest};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(HeartbeatRequest, "Heartbeat", 0..=4);

/// Builds the request; the static member id is sent from version 3.
pub fn request(
    version: i16,
    group_id: &str,
    generation_id: i32,
    member_id: &str,
    group_instance_id: Option<&str>,
) -> HeartbeatRequest {
    HeartbeatRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group_id.to_owned())))
        .with_generation_id(generation_id)
        .with_member_id(StrBytes::from_string(member_id.to_owned()))
        .with_group_instance_id(
            group_instance_id
                .filter(|_| version >= 3)
                .map(|s| StrBytes::from_string(s.to_owned())),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn encodes_at_every_version() {
        for version in 0..=4 {
            let mut buf = BytesMut::new();
            request(version, "g", 7, "m", Some("s"))
                .encode(&mut buf, version)
                .unwrap();
            let back = HeartbeatRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!((back.generation_id, back.member_id.as_str()), (7, "m"));
            assert_eq!(back.group_instance_id.is_some(), version >= 3);
        }
    }
}
