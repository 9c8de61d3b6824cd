//! LeaveGroup (key 13): members leave a group, so it rebalances at once
//! instead of after their session times out.
//!
//! Versions 0–2 name one member; version 3+ (KIP-345) name a batch of
//! members, each answered separately. [`request`] builds whichever form the
//! version calls for. Flexible versions: 4+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_LeaveGroup>
//! - KIP-345 (batch of members, v3), KIP-800 (reason, v5)

use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::{GroupId, LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::api;
use crate::error::ResponseError;

api!(LeaveGroupRequest, "LeaveGroup", 0..=5);

/// The first version that names a batch of members.
pub const BATCHED_VERSION: i16 = 3;

/// One member to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeavingMember<'a> {
    /// The member id (may be empty for a static member named by instance id).
    pub member_id: &'a str,
    /// The static member id (version 3+).
    pub group_instance_id: Option<&'a str>,
    /// Why it leaves (version 5+).
    pub reason: Option<&'a str>,
}

/// Builds the request. Before version 3 only the first member is sent (send
/// one request per member there).
pub fn request(version: i16, group_id: &str, members: &[LeavingMember<'_>]) -> LeaveGroupRequest {
    let owned = |s: &str| StrBytes::from_string(s.to_owned());
    let request = LeaveGroupRequest::default().with_group_id(GroupId(owned(group_id)));
    if version >= BATCHED_VERSION {
        request.with_members(
            members
                .iter()
                .map(|m| {
                    MemberIdentity::default()
                        .with_member_id(owned(m.member_id))
                        .with_group_instance_id(m.group_instance_id.map(owned))
                        .with_reason(m.reason.filter(|_| version >= 5).map(owned))
                })
                .collect(),
        )
    } else {
        request.with_member_id(owned(members.first().map_or("", |m| m.member_id)))
    }
}

/// The outcome for each member of a request for `members` at `version`:
/// the per-member errors from version 3, else the top-level error for the
/// one member sent. A top-level error applies to every member.
pub fn member_errors(
    response: &LeaveGroupResponse,
    version: i16,
    members: &[LeavingMember<'_>],
) -> Vec<(String, Option<ResponseError>)> {
    let top = ResponseError::try_from_code(response.error_code);
    if version < BATCHED_VERSION || top.is_some() {
        let sent = if version < BATCHED_VERSION {
            &members[..members.len().min(1)]
        } else {
            members
        };
        return sent.iter().map(|m| (m.member_id.to_owned(), top)).collect();
    }
    response
        .members
        .iter()
        .map(|m| {
            (
                m.member_id.to_string(),
                ResponseError::try_from_code(m.error_code),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::leave_group_response::MemberResponse;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn builds_single_and_batched_forms() {
        let members = [
            LeavingMember {
                member_id: "a",
                group_instance_id: None,
                reason: Some("closing"),
            },
            LeavingMember {
                member_id: "b",
                group_instance_id: Some("static-b"),
                reason: None,
            },
        ];
        for version in 0..=5 {
            let mut buf = BytesMut::new();
            request(version, "g", &members)
                .encode(&mut buf, version)
                .unwrap();
            let back = LeaveGroupRequest::decode(&mut buf.freeze(), version).unwrap();
            if version >= BATCHED_VERSION {
                assert_eq!(back.members.len(), 2);
                assert_eq!(back.members[0].reason.is_some(), version >= 5);
            } else {
                assert_eq!(back.member_id.as_str(), "a");
            }
        }
    }

    #[test]
    fn reads_member_errors() {
        let members = [LeavingMember {
            member_id: "a",
            group_instance_id: None,
            reason: None,
        }];
        let response = LeaveGroupResponse::default().with_members(vec![MemberResponse::default()
            .with_member_id(StrBytes::from_static_str("a"))
            .with_error_code(ResponseError::UnknownMemberId.code())]);
        assert_eq!(
            member_errors(&response, 3, &members),
            vec![("a".to_owned(), Some(ResponseError::UnknownMemberId))]
        );
        let top =
            LeaveGroupResponse::default().with_error_code(ResponseError::NotCoordinator.code());
        assert_eq!(
            member_errors(&top, 1, &members),
            vec![("a".to_owned(), Some(ResponseError::NotCoordinator))]
        );
    }
}
