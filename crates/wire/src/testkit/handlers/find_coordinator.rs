//! FindCoordinator (key 10): the broker coordinating a consumer group — the
//! leader of the group's partition of `__consumer_offsets` (created on first
//! use), `abs(java hash of the group id) % partitions` as in Kafka. Several
//! keys per request from v4. A partition without a leader gives
//! `COORDINATOR_NOT_AVAILABLE`. Transaction coordinators are not served
//! (`INVALID_REQUEST`): the cluster has no transactions.
//!
//! Also holds the check every group API makes: the group id is not empty
//! (`INVALID_GROUP_ID`) and this broker coordinates it (`NOT_COORDINATOR`).
//!
//! # References
//! - KIP-98 (key type, v1), KIP-699 (batched keys, v4)

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::{StrBytes, VersionRange};

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::Failure;

const GROUP: i8 = 0;

impl Handler for FindCoordinatorRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 4 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<FindCoordinatorResponse> {
        let key_type = if ctx.version >= 1 {
            self.key_type
        } else {
            GROUP
        };
        if ctx.version >= 4 {
            let coordinators = self
                .coordinator_keys
                .iter()
                .map(|key| {
                    let c = Coordinator::default().with_key(key.clone());
                    match lookup(ctx, key_type, key.as_str()) {
                        Ok((id, host, port)) => c
                            .with_node_id(BrokerId(id))
                            .with_host(str_bytes(host))
                            .with_port(port),
                        Err(f) => c
                            .with_node_id(BrokerId(-1))
                            .with_port(-1)
                            .with_error_code(f.code.code())
                            .with_error_message(Some(str_bytes(f.message))),
                    }
                })
                .collect();
            return Reply::Now(FindCoordinatorResponse::default().with_coordinators(coordinators));
        }
        let response = match lookup(ctx, key_type, self.key.as_str()) {
            Ok((id, host, port)) => FindCoordinatorResponse::default()
                .with_node_id(BrokerId(id))
                .with_host(str_bytes(host))
                .with_port(port)
                .with_error_message(None),
            Err(f) => {
                let mut r = FindCoordinatorResponse::default()
                    .with_error_code(f.code.code())
                    .with_node_id(BrokerId(-1))
                    .with_port(-1)
                    .with_error_message(None);
                if ctx.version >= 1 {
                    r.error_message = Some(str_bytes(f.message));
                }
                r
            }
        };
        Reply::Now(response)
    }

    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<FindCoordinatorResponse> {
        if ctx.version >= 4 {
            let coordinators = self
                .coordinator_keys
                .iter()
                .map(|key| {
                    Coordinator::default()
                        .with_key(key.clone())
                        .with_node_id(BrokerId(-1))
                        .with_port(-1)
                        .with_error_code(code)
                })
                .collect();
            return Reply::Now(FindCoordinatorResponse::default().with_coordinators(coordinators));
        }
        Reply::Now(
            FindCoordinatorResponse::default()
                .with_error_code(code)
                .with_node_id(BrokerId(-1))
                .with_port(-1)
                .with_error_message(None),
        )
    }
}

/// `(node id, host, port)` of the coordinator for a key.
fn lookup(ctx: &mut Ctx<'_>, key_type: i8, key: &str) -> Result<(i32, String, i32), Failure> {
    if key_type != GROUP {
        return Err(Failure::new(
            ResponseError::InvalidRequest,
            "Only group coordinators are served: this cluster has no transactions",
        ));
    }
    if key.is_empty() {
        return Err(Failure::new(
            ResponseError::InvalidRequest,
            "The group id must not be empty",
        ));
    }
    let id = ctx
        .state
        .group_coordinator(key)
        .map_err(|code| Failure::new(code, "The coordinator is not available."))?;
    let broker =
        ctx.state.brokers.get(&id).ok_or_else(|| {
            Failure::new(ResponseError::CoordinatorNotAvailable, "No such broker")
        })?;
    Ok((id, broker.host.clone(), i32::from(broker.port)))
}

/// The check of every group API: a group id, coordinated by this broker.
pub(crate) fn check_coordinator(ctx: &mut Ctx<'_>, group: &str) -> Result<(), ResponseError> {
    if group.is_empty() {
        return Err(ResponseError::InvalidGroupId);
    }
    match ctx.state.group_coordinator(group)? {
        id if id == ctx.broker => Ok(()),
        _ => Err(ResponseError::NotCoordinator),
    }
}

/// A string field from an optional string.
pub(crate) fn opt_str(s: &Option<String>) -> Option<StrBytes> {
    s.clone().map(StrBytes::from_string)
}
