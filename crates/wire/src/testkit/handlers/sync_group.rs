//! SyncGroup (key 14): members of a new generation fetch their assignment;
//! the leader's request carries everyone's. Followers wait until the
//! leader's arrives (or the group starts another rebalance, which answers
//! them `REBALANCE_IN_PROGRESS`).
//!
//! Errors: `INVALID_GROUP_ID`, `NOT_COORDINATOR`, `UNKNOWN_MEMBER_ID`,
//! `FENCED_INSTANCE_ID`, `ILLEGAL_GENERATION`, `INCONSISTENT_GROUP_PROTOCOL`
//! (v5: another protocol type or name than the group's),
//! `REBALANCE_IN_PROGRESS`.
//!
//! # References
//! - KIP-345 (group instance id, v3), KIP-559 (protocol type and name, v5)

use std::collections::HashMap;

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::protocol::VersionRange;
use tokio::sync::oneshot;

use super::find_coordinator::check_coordinator;
use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::groups::{sync_error, sync_response, GroupState, SyncWaiter};

impl Handler for SyncGroupRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 5 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<SyncGroupResponse> {
        match sync(ctx, self) {
            Ok(reply) => reply,
            Err(code) => Reply::Now(sync_error(code)),
        }
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<SyncGroupResponse> {
        Reply::Now(SyncGroupResponse::default().with_error_code(code))
    }
}

fn sync(
    ctx: &mut Ctx<'_>,
    req: SyncGroupRequest,
) -> Result<Reply<SyncGroupResponse>, ResponseError> {
    let version = ctx.version;
    let group_id = req.group_id.0.to_string();
    check_coordinator(ctx, &group_id)?;
    let now = ctx.now;
    let group = ctx
        .state
        .groups
        .get_mut(&group_id)
        .ok_or(ResponseError::UnknownMemberId)?;
    let member_id = req.member_id.to_string();
    let member = group
        .members
        .get(&member_id)
        .ok_or(ResponseError::UnknownMemberId)?;
    if version >= 3 {
        if let Some(instance) = &req.group_instance_id {
            if member.instance_id.as_deref() != Some(instance.as_str()) {
                return Err(ResponseError::FencedInstanceId);
            }
        }
    }
    if req.generation_id != group.generation {
        return Err(ResponseError::IllegalGeneration);
    }
    if version >= 5 {
        let type_ok = req
            .protocol_type
            .as_ref()
            .is_none_or(|t| group.protocol_type.as_deref() == Some(t.as_str()));
        let name_ok = req
            .protocol_name
            .as_ref()
            .is_none_or(|n| group.protocol.as_deref() == Some(n.as_str()));
        if !type_ok || !name_ok {
            return Err(ResponseError::InconsistentGroupProtocol);
        }
    }
    match group.state {
        GroupState::Empty => Err(ResponseError::UnknownMemberId),
        GroupState::PreparingRebalance => Err(ResponseError::RebalanceInProgress),
        GroupState::Stable => {
            let member = &group.members[&member_id];
            Ok(Reply::Now(sync_response(
                version,
                group.protocol_type.clone(),
                group.protocol.clone(),
                member.assignment.clone(),
            )))
        }
        GroupState::CompletingRebalance => {
            let (tx, rx) = oneshot::channel();
            let is_leader = group.leader.as_deref() == Some(member_id.as_str());
            if let Some(member) = group.members.get_mut(&member_id) {
                member.last_heartbeat = now;
                if let Some(old) = member.sync.replace(SyncWaiter { version, tx }) {
                    let _ = old.tx.send(sync_error(ResponseError::RebalanceInProgress));
                }
            }
            if is_leader {
                let assignments: HashMap<String, bytes::Bytes> = req
                    .assignments
                    .into_iter()
                    .map(|a| (a.member_id.to_string(), a.assignment))
                    .collect();
                group.assign(assignments);
            }
            Ok(Reply::Later(rx))
        }
    }
}
