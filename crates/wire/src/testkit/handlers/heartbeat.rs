//! Heartbeat (key 12): keeps a member's session alive and tells it when a
//! rebalance is under way (`REBALANCE_IN_PROGRESS`), so it rejoins.
//!
//! Errors: `INVALID_GROUP_ID`, `NOT_COORDINATOR`, `UNKNOWN_MEMBER_ID` (also
//! for an empty group), `FENCED_INSTANCE_ID`, `ILLEGAL_GENERATION`.
//!
//! # References
//! - KIP-62 (background heartbeats), KIP-345 (group instance id, v3)

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};
use kafka_protocol::protocol::VersionRange;

use super::find_coordinator::check_coordinator;
use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::groups::GroupState;

impl Handler for HeartbeatRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 4 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<HeartbeatResponse> {
        let code = match heartbeat(ctx, &self) {
            Ok(()) => 0,
            Err(code) => code.code(),
        };
        Reply::Now(HeartbeatResponse::default().with_error_code(code))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<HeartbeatResponse> {
        Reply::Now(HeartbeatResponse::default().with_error_code(code))
    }
}

fn heartbeat(ctx: &mut Ctx<'_>, req: &HeartbeatRequest) -> Result<(), ResponseError> {
    let group_id = req.group_id.0.as_str();
    check_coordinator(ctx, group_id)?;
    let now = ctx.now;
    let version = ctx.version;
    let group = ctx
        .state
        .groups
        .get_mut(group_id)
        .ok_or(ResponseError::UnknownMemberId)?;
    let state = group.state;
    let generation = group.generation;
    let member = group
        .members
        .get_mut(req.member_id.as_str())
        .ok_or(ResponseError::UnknownMemberId)?;
    if version >= 3 {
        if let Some(instance) = &req.group_instance_id {
            if member.instance_id.as_deref() != Some(instance.as_str()) {
                return Err(ResponseError::FencedInstanceId);
            }
        }
    }
    if state == GroupState::Empty {
        return Err(ResponseError::UnknownMemberId);
    }
    if req.generation_id != generation {
        return Err(ResponseError::IllegalGeneration);
    }
    member.last_heartbeat = now;
    match state {
        GroupState::PreparingRebalance => Err(ResponseError::RebalanceInProgress),
        _ => Ok(()),
    }
}
