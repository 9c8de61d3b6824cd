//! JoinGroup (key 11): a member joins (or rejoins) a group, offering the
//! protocols (assignors) it supports with its metadata for each.
//!
//! The coordinator answers every member with the generation, the chosen
//! protocol and the leader; the leader also gets every member's metadata and
//! computes the assignment. From version 4 a member without an id is first
//! answered `MEMBER_ID_REQUIRED` with an id to join again with (KIP-394).
//! Flexible versions: 6+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_JoinGroup>
//! - KIP-62 (rebalance timeout, v1), KIP-394 (member id required, v4),
//!   KIP-345 (static membership, v5), KIP-559 (protocol type/name in
//!   responses, v7), KIP-800 (reason, v8), KIP-814 (skip assignment, v9)

use bytes::Bytes;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::{GroupId, JoinGroupRequest};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(JoinGroupRequest, "JoinGroup", 0..=9);

/// The protocol type of consumer groups.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// What a member sends when it joins.
#[derive(Debug, Clone)]
pub struct JoinGroupParams<'a> {
    /// The group id.
    pub group_id: &'a str,
    /// `session.timeout.ms`: the coordinator drops the member after this long
    /// without a heartbeat.
    pub session_timeout_ms: i32,
    /// The longest the coordinator waits for members to rejoin in a
    /// rebalance (the consumer's `max.poll.interval.ms`; version 1+).
    pub rebalance_timeout_ms: i32,
    /// The member id, empty on the first join.
    pub member_id: &'a str,
    /// The static member id (`group.instance.id`, version 5+).
    pub group_instance_id: Option<&'a str>,
    /// The protocol type, [`CONSUMER_PROTOCOL_TYPE`] for consumers.
    pub protocol_type: &'a str,
    /// Supported protocols in order of preference, with the member's
    /// metadata for each.
    pub protocols: &'a [(&'a str, Bytes)],
    /// Why the member (re)joins (version 8+).
    pub reason: Option<&'a str>,
}

/// Builds the request; fields the version lacks are left out.
pub fn request(version: i16, params: &JoinGroupParams<'_>) -> JoinGroupRequest {
    let protocols = params
        .protocols
        .iter()
        .map(|(name, metadata)| {
            JoinGroupRequestProtocol::default()
                .with_name(StrBytes::from_string((*name).to_owned()))
                .with_metadata(metadata.clone())
        })
        .collect();
    JoinGroupRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(params.group_id.to_owned())))
        .with_session_timeout_ms(params.session_timeout_ms)
        .with_rebalance_timeout_ms(if version >= 1 {
            params.rebalance_timeout_ms
        } else {
            -1
        })
        .with_member_id(StrBytes::from_string(params.member_id.to_owned()))
        .with_group_instance_id(
            params
                .group_instance_id
                .filter(|_| version >= 5)
                .map(|s| StrBytes::from_string(s.to_owned())),
        )
        .with_protocol_type(StrBytes::from_string(params.protocol_type.to_owned()))
        .with_protocols(protocols)
        .with_reason(
            params
                .reason
                .filter(|_| version >= 8)
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
        let protocols = [("range", Bytes::from_static(b"\x00\x03m"))];
        let params = JoinGroupParams {
            group_id: "g",
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 30_000,
            member_id: "m-1",
            group_instance_id: Some("static-1"),
            protocol_type: CONSUMER_PROTOCOL_TYPE,
            protocols: &protocols,
            reason: Some("rejoin"),
        };
        for version in 0..=9 {
            let mut buf = BytesMut::new();
            request(version, &params).encode(&mut buf, version).unwrap();
            let back = JoinGroupRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!(back.member_id.as_str(), "m-1");
            assert_eq!(back.protocols[0].metadata, protocols[0].1);
            assert_eq!(back.group_instance_id.is_some(), version >= 5);
            assert_eq!(back.reason.is_some(), version >= 8);
            if version >= 1 {
                assert_eq!(back.rebalance_timeout_ms, 30_000);
            }
        }
    }
}
