//! DescribeGroups (key 15): state, protocol and members of groups, asked of
//! each group's coordinator. Members carry the metadata they joined with and
//! the assignment they were given, both in the protocol's own encoding
//! ([`crate::protocol::consumer_protocol`] for consumer groups).
//! Flexible versions: 5+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_DescribeGroups>
//! - KIP-430 (authorized operations, v3), KIP-345 (group instance id, v4),
//!   KIP-1043 (error message, v6)

use kafka_protocol::messages::{DescribeGroupsRequest, GroupId};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(DescribeGroupsRequest, "DescribeGroups", 0..=6);

/// Builds the request; authorized operations are asked for from version 3.
pub fn request(
    version: i16,
    groups: &[&str],
    include_authorized_operations: bool,
) -> DescribeGroupsRequest {
    DescribeGroupsRequest::default()
        .with_groups(
            groups
                .iter()
                .map(|g| GroupId(StrBytes::from_string((*g).to_owned())))
                .collect(),
        )
        .with_include_authorized_operations(include_authorized_operations && version >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn encodes_at_every_version() {
        for version in 0..=6 {
            let mut buf = BytesMut::new();
            request(version, &["a", "b"], true)
                .encode(&mut buf, version)
                .unwrap();
            let back = DescribeGroupsRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!(back.groups.len(), 2);
            assert_eq!(back.include_authorized_operations, version >= 3);
        }
    }
}
