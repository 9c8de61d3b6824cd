//! DeleteGroups (key 42): removes groups that have no members, with their
//! committed offsets.
//!
//! Errors, per group: `INVALID_GROUP_ID`, `NOT_COORDINATOR`,
//! `GROUP_ID_NOT_FOUND`, `NON_EMPTY_GROUP`.
//!
//! # References
//! - KIP-229

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};
use kafka_protocol::protocol::VersionRange;

use super::find_coordinator::check_coordinator;
use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for DeleteGroupsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 2 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DeleteGroupsResponse> {
        let results = self
            .groups_names
            .iter()
            .map(|id| {
                let name = id.0.as_str();
                let code = match check_coordinator(ctx, name) {
                    Err(code) => code.code(),
                    Ok(()) => match ctx.state.groups.get(name) {
                        None => ResponseError::GroupIdNotFound.code(),
                        Some(g) if !g.is_empty() => ResponseError::NonEmptyGroup.code(),
                        Some(_) => {
                            ctx.state.groups.remove(name);
                            0
                        }
                    },
                };
                DeletableGroupResult::default()
                    .with_group_id(id.clone())
                    .with_error_code(code)
            })
            .collect();
        Reply::Now(DeleteGroupsResponse::default().with_results(results))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<DeleteGroupsResponse> {
        let results = self
            .groups_names
            .iter()
            .map(|id| {
                DeletableGroupResult::default()
                    .with_group_id(id.clone())
                    .with_error_code(code)
            })
            .collect();
        Reply::Now(DeleteGroupsResponse::default().with_results(results))
    }
}
