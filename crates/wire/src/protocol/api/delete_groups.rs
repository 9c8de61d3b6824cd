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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn encodes_and_reads_results() {
        for version in 0..=2 {
            let mut buf = BytesMut::new();
            request(&["a", "b"]).encode(&mut buf, version).unwrap();
            let back = DeleteGroupsRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!(back.groups_names.len(), 2);
        }
        let response = DeleteGroupsResponse::default().with_results(vec![
            DeletableGroupResult::default().with_group_id(GroupId(StrBytes::from_static_str("a"))),
            DeletableGroupResult::default()
                .with_group_id(GroupId(StrBytes::from_static_str("b")))
                .with_error_code(ResponseError::NonEmptyGroup.code()),
        ]);
        assert_eq!(
            results(&response),
            vec![
                ("a".to_owned(), None),
                ("b".to_owned(), Some(ResponseError::NonEmptyGroup))
            ]
        );
    }
}
