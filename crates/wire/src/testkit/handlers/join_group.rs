//! JoinGroup (key 11): a member joins a group (or rejoins for a rebalance)
//! and waits until every member has joined; the answer names the generation,
//! the chosen protocol and the leader, and gives the leader every member's
//! metadata.
//!
//! Errors: `INVALID_GROUP_ID`, `NOT_COORDINATOR`, `INVALID_SESSION_TIMEOUT`
//! (outside the cluster's group session timeout range),
//! `INCONSISTENT_GROUP_PROTOCOL` (no protocol type or protocols, another
//! protocol type than the group's, no protocol in common), `UNKNOWN_MEMBER_ID`,
//! `FENCED_INSTANCE_ID` (a static member id that is no longer current), and
//! `MEMBER_ID_REQUIRED` (v4+): a new member first gets its id this way and
//! joins again with it. A follower rejoining with unchanged protocols while
//! the group is stable gets the current generation without a rebalance.
//!
//! # References
//! - KIP-62 (rebalance timeout, v1), KIP-345 (group instance id, v5),
//!   KIP-394 (member id required, v4), KIP-559 (protocol type, v7),
//!   KIP-800 (reason, v8)

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::protocol::VersionRange;
use tokio::sync::oneshot;

use super::find_coordinator::check_coordinator;
use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::groups::{join_error, Group, GroupState, JoinWaiter, Member};

impl Handler for JoinGroupRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 9 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<JoinGroupResponse> {
        match join(ctx, self) {
            Ok(reply) => reply,
            Err((code, member_id)) => Reply::Now(join_error(code, &member_id)),
        }
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<JoinGroupResponse> {
        Reply::Now(
            JoinGroupResponse::default()
                .with_error_code(code)
                .with_generation_id(-1)
                .with_member_id(self.member_id.clone()),
        )
    }
}

type JoinError = (ResponseError, String);

fn join(ctx: &mut Ctx<'_>, req: JoinGroupRequest) -> Result<Reply<JoinGroupResponse>, JoinError> {
    let version = ctx.version;
    let member_id = req.member_id.to_string();
    let fail = |code: ResponseError| (code, member_id.clone());
    let group_id = req.group_id.0.to_string();
    check_coordinator(ctx, &group_id).map_err(fail)?;
    let config = &ctx.state.config;
    let session = Duration::from_millis(u64::try_from(req.session_timeout_ms).unwrap_or(0));
    if session < config.group_min_session_timeout || session > config.group_max_session_timeout {
        return Err(fail(ResponseError::InvalidSessionTimeout));
    }
    let rebalance = if version >= 1 {
        Duration::from_millis(u64::try_from(req.rebalance_timeout_ms).unwrap_or(0))
    } else {
        session
    };
    let initial_delay = config.group_initial_rebalance_delay;
    let protocol_type = req.protocol_type.to_string();
    let protocols: Vec<(String, Bytes)> = req
        .protocols
        .iter()
        .map(|p| (p.name.to_string(), p.metadata.clone()))
        .collect();
    if protocol_type.is_empty() || protocols.is_empty() {
        return Err(fail(ResponseError::InconsistentGroupProtocol));
    }
    let instance_id = req
        .group_instance_id
        .as_ref()
        .filter(|_| version >= 5)
        .map(|i| i.to_string());
    if !member_id.is_empty() && !ctx.state.groups.contains_key(&group_id) {
        return Err(fail(ResponseError::UnknownMemberId));
    }
    let now = ctx.now;
    let client_id = ctx.client_id.to_owned();
    let client_host = ctx.client_host.to_owned();
    let group = ctx
        .state
        .groups
        .entry(group_id.clone())
        .or_insert_with(|| Group::new(&group_id));
    if !group.is_empty() && !group.supports(&protocol_type, &protocols) {
        return Err(fail(ResponseError::InconsistentGroupProtocol));
    }
    let new_member = |id: String, join: Option<JoinWaiter>| Member {
        id,
        instance_id: instance_id.clone(),
        client_id: client_id.clone(),
        client_host: client_host.clone(),
        session_timeout: session,
        rebalance_timeout: rebalance,
        protocol_type: protocol_type.clone(),
        protocols: protocols.clone(),
        assignment: Bytes::new(),
        last_heartbeat: now,
        join,
        sync: None,
    };
    let (tx, rx) = oneshot::channel();
    let waiter = JoinWaiter { version, tx };
    if member_id.is_empty() {
        let prefix = instance_id.clone().unwrap_or_else(|| {
            if client_id.is_empty() {
                "member".to_owned()
            } else {
                client_id.clone()
            }
        });
        let new_id = format!(
            "{prefix}-{}",
            uuid::Builder::from_random_bytes(rand::random()).into_uuid()
        );
        if let Some(instance) = &instance_id {
            if let Some(old) = group.member_by_instance(instance).map(str::to_owned) {
                // The old incarnation is fenced; the new one takes its place.
                group.remove_member(&old, now, initial_delay);
            }
        } else if version >= 4 {
            group.add_pending(new_id.clone(), now + session);
            return Err((ResponseError::MemberIdRequired, new_id));
        }
        group.add_member(new_member(new_id, Some(waiter)), now, initial_delay);
        return Ok(Reply::Later(rx));
    }
    if let Some(instance) = &instance_id {
        match group.member_by_instance(instance) {
            Some(current) if current != member_id => {
                return Err(fail(ResponseError::FencedInstanceId))
            }
            None if !group.members.contains_key(&member_id) => {
                return Err(fail(ResponseError::UnknownMemberId))
            }
            _ => {}
        }
    }
    if group.take_pending(&member_id) {
        group.add_member(new_member(member_id, Some(waiter)), now, initial_delay);
        return Ok(Reply::Later(rx));
    }
    let is_leader = group.leader.as_deref() == Some(member_id.as_str());
    let state = group.state;
    let Some(member) = group.members.get_mut(&member_id) else {
        return Err(fail(ResponseError::UnknownMemberId));
    };
    let unchanged = member.protocols == protocols;
    member.protocols = protocols;
    member.session_timeout = session;
    member.rebalance_timeout = rebalance;
    member.last_heartbeat = now;
    match state {
        GroupState::Stable if unchanged && !is_leader => {
            Ok(Reply::Now(group.join_response(&member_id, version)))
        }
        GroupState::CompletingRebalance if unchanged => {
            Ok(Reply::Now(group.join_response(&member_id, version)))
        }
        _ => {
            if let Some(old) = member.join.replace(waiter) {
                let _ = old
                    .tx
                    .send(join_error(ResponseError::RebalanceInProgress, &member_id));
            }
            if state == GroupState::PreparingRebalance {
                group.maybe_complete_join(now);
            } else {
                group.prepare_rebalance(now, initial_delay);
            }
            Ok(Reply::Later(rx))
        }
    }
}
