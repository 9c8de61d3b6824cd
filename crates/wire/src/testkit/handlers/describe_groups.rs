//! DescribeGroups (key 15): state, protocol type, chosen protocol and
//! members of groups. As in Kafka, members' metadata and assignments (and
//! the protocol name) are given only for a `Stable` group, and an unknown
//! group is reported as `Dead` without an error.
//!
//! Errors: `INVALID_GROUP_ID`, `NOT_COORDINATOR`.
//!
//! # References
//! - KIP-430 (authorized operations, v3), KIP-345 (group instance id, v4)

use bytes::Bytes;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::{StrBytes, VersionRange};

use super::find_coordinator::{check_coordinator, opt_str};
use super::metadata::{GROUP_OPERATIONS, NOT_REQUESTED};
use super::{Ctx, Handler, Reply};
use crate::testkit::state::groups::GroupState;

impl Handler for DescribeGroupsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 5 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DescribeGroupsResponse> {
        let version = ctx.version;
        let ops = if version >= 3 && self.include_authorized_operations {
            GROUP_OPERATIONS
        } else {
            NOT_REQUESTED
        };
        let groups = self
            .groups
            .iter()
            .map(|id| {
                let described = DescribedGroup::default()
                    .with_group_id(id.clone())
                    .with_authorized_operations(ops);
                if let Err(code) = check_coordinator(ctx, id.0.as_str()) {
                    return described.with_error_code(code.code());
                }
                let Some(g) = ctx.state.groups.get(id.0.as_str()) else {
                    return described.with_group_state(StrBytes::from_static_str("Dead"));
                };
                let stable = g.state == GroupState::Stable;
                let protocol = g.protocol.clone().unwrap_or_default();
                let members = g
                    .members
                    .values()
                    .map(|m| {
                        let metadata = if stable {
                            m.protocols
                                .iter()
                                .find(|(n, _)| *n == protocol)
                                .map(|(_, b)| b.clone())
                                .unwrap_or_default()
                        } else {
                            Bytes::new()
                        };
                        let mut d = DescribedGroupMember::default()
                            .with_member_id(StrBytes::from_string(m.id.clone()))
                            .with_client_id(StrBytes::from_string(m.client_id.clone()))
                            .with_client_host(StrBytes::from_string(m.client_host.clone()))
                            .with_member_metadata(metadata)
                            .with_member_assignment(if stable {
                                m.assignment.clone()
                            } else {
                                Bytes::new()
                            });
                        if version >= 4 {
                            d.group_instance_id = opt_str(&m.instance_id);
                        }
                        d
                    })
                    .collect();
                described
                    .with_group_state(StrBytes::from_static_str(g.state.name()))
                    .with_protocol_type(StrBytes::from_string(
                        g.protocol_type.clone().unwrap_or_default(),
                    ))
                    .with_protocol_data(StrBytes::from_string(if stable {
                        protocol
                    } else {
                        String::new()
                    }))
                    .with_members(members)
            })
            .collect();
        Reply::Now(DescribeGroupsResponse::default().with_groups(groups))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<DescribeGroupsResponse> {
        let groups = self
            .groups
            .iter()
            .map(|id| {
                DescribedGroup::default()
                    .with_group_id(id.clone())
                    .with_error_code(code)
                    .with_authorized_operations(NOT_REQUESTED)
            })
            .collect();
        Reply::Now(DescribeGroupsResponse::default().with_groups(groups))
    }
}
