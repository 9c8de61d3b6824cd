//! DeleteGroups (key 42): deletes empty groups and their committed offsets,
//! asked of each group's coordinator. A group with members is refused with
//! `NON_EMPTY_GROUP`. Flexible versions: 2+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_DeleteGroups>
//! - KIP-229

use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse, GroupId};
use kafka_protocol::protocol::StrBytes;

use super::api;
use crate::error::ResponseError;

api!(DeleteGroupsRequest, "DeleteGroups", 0..=2);

/// Builds the request.
pub fn request(groups: &[&str]) -> DeleteGroupsRequest {
    DeleteGroupsRequest::default().with_groups_names(
        groups
            .iter()
            .map(|g| GroupId(StrBytes::from_string((*g).to_owned())))
            .collect(),
    )
}

/// Each group's outcome.
pub fn results(response: &DeleteGroupsResponse) -> Vec<(String, Option<ResponseError>)> {
    response
        .results
        .iter()
        .map(|r| {
            (
                r.group_id.0.to_string(),
                ResponseError::try_from_code(r.error_code),
            )
        })
        .collect()
}
