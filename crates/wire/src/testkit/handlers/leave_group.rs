//! LeaveGroup (key 13): members leave a group, which then rebalances
//! without waiting for their sessions to time out. One member before v3,
//! several (with per-member errors, and static members named by instance
//! id) from v3.
//!
//! Errors: `INVALID_GROUP_ID`, `NOT_COORDINATOR`, `UNKNOWN_MEMBER_ID`,
//! `FENCED_INSTANCE_ID` (an instance id whose current member id differs).
//!
//! # References
//! - KIP-345 (batch leave, v3), KIP-800 (reason, v5)

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::protocol::{StrBytes, VersionRange};

use std::time::{Duration, Instant};

use super::find_coordinator::check_coordinator;
use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::groups::Group;

impl Handler for LeaveGroupRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 5 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<LeaveGroupResponse> {
        let group_id = self.group_id.0.to_string();
        let leaving: Vec<(String, Option<StrBytes>)> = if ctx.version >= 3 {
            self.members
                .iter()
                .map(|m| (m.member_id.to_string(), m.group_instance_id.clone()))
                .collect()
        } else {
            vec![(self.member_id.to_string(), None)]
        };
        if let Err(code) = check_coordinator(ctx, &group_id) {
            return Reply::Now(LeaveGroupResponse::default().with_error_code(code.code()));
        }
        let now = ctx.now;
        let delay = ctx.state.config.group_initial_rebalance_delay;
        let group = ctx.state.groups.get_mut(&group_id);
        let results: Vec<(String, Option<StrBytes>, i16)> = match group {
            None => leaving
                .into_iter()
                .map(|(id, inst)| (id, inst, ResponseError::UnknownMemberId.code()))
                .collect(),
            Some(group) => leaving
                .into_iter()
                .map(|(id, inst)| {
                    let code = leave_one(group, &id, inst.as_ref(), now, delay);
                    (id, inst, code)
                })
                .collect(),
        };
        if ctx.version < 3 {
            let code = results.first().map_or(0, |(_, _, c)| *c);
            return Reply::Now(LeaveGroupResponse::default().with_error_code(code));
        }
        let members = results
            .into_iter()
            .map(|(id, inst, code)| {
                MemberResponse::default()
                    .with_member_id(StrBytes::from_string(id))
                    .with_group_instance_id(inst)
                    .with_error_code(code)
            })
            .collect();
        Reply::Now(LeaveGroupResponse::default().with_members(members))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<LeaveGroupResponse> {
        Reply::Now(LeaveGroupResponse::default().with_error_code(code))
    }
}

/// Removes one member; the error code for it (0 when it left).
fn leave_one(
    group: &mut Group,
    id: &str,
    instance: Option<&StrBytes>,
    now: Instant,
    delay: Duration,
) -> i16 {
    let target = match instance {
        Some(instance) => match group.member_by_instance(instance.as_str()) {
            Some(current) if id.is_empty() || current == id => current.to_owned(),
            Some(_) => return ResponseError::FencedInstanceId.code(),
            None => return ResponseError::UnknownMemberId.code(),
        },
        None => {
            if group.take_pending(id) {
                // A member that never finished joining.
                group.maybe_complete_join(now);
                return 0;
            }
            id.to_owned()
        }
    };
    if group.remove_member(&target, now, delay) {
        0
    } else {
        ResponseError::UnknownMemberId.code()
    }
}
