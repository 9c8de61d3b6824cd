//! SyncGroup (key 14): after a JoinGroup, every member asks for its
//! assignment; the leader's request carries the assignment of every member.
//! Flexible versions: 4+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_SyncGroup>
//! - KIP-345 (group instance id, v3), KIP-559 (protocol type and name, v5)

use bytes::Bytes;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{GroupId, SyncGroupRequest};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(SyncGroupRequest, "SyncGroup", 0..=5);

/// What a member sends to learn its assignment.
#[derive(Debug, Clone)]
pub struct SyncGroupParams<'a> {
    /// The group id.
    pub group_id: &'a str,
    /// The generation the JoinGroup answered.
    pub generation_id: i32,
    /// The member id.
    pub member_id: &'a str,
    /// The static member id (version 3+).
    pub group_instance_id: Option<&'a str>,
    /// The group's protocol type (version 5+).
    pub protocol_type: Option<&'a str>,
    /// The protocol the JoinGroup chose (version 5+).
    pub protocol_name: Option<&'a str>,
    /// The leader's assignment per member id; empty for followers.
    pub assignments: &'a [(String, Bytes)],
}

/// Builds the request; fields the version lacks are left out.
pub fn request(version: i16, params: &SyncGroupParams<'_>) -> SyncGroupRequest {
    let owned = |s: &str| StrBytes::from_string(s.to_owned());
    SyncGroupRequest::default()
        .with_group_id(GroupId(owned(params.group_id)))
        .with_generation_id(params.generation_id)
        .with_member_id(owned(params.member_id))
        .with_group_instance_id(params.group_instance_id.filter(|_| version >= 3).map(owned))
        .with_protocol_type(params.protocol_type.filter(|_| version >= 5).map(owned))
        .with_protocol_name(params.protocol_name.filter(|_| version >= 5).map(owned))
        .with_assignments(
            params
                .assignments
                .iter()
                .map(|(member, assignment)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(owned(member))
                        .with_assignment(assignment.clone())
                })
                .collect(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn encodes_at_every_version() {
        let assignments = vec![("m-1".to_owned(), Bytes::from_static(b"\x00\x00"))];
        let params = SyncGroupParams {
            group_id: "g",
            generation_id: 3,
            member_id: "m-1",
            group_instance_id: Some("s"),
            protocol_type: Some("consumer"),
            protocol_name: Some("range"),
            assignments: &assignments,
        };
        for version in 0..=5 {
            let mut buf = BytesMut::new();
            request(version, &params).encode(&mut buf, version).unwrap();
            let back = SyncGroupRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!(back.generation_id, 3);
            assert_eq!(back.assignments.len(), 1);
            assert_eq!(back.protocol_name.is_some(), version >= 5);
        }
    }
}
