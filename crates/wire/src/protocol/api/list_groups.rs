//! ListGroups (key 16): the groups one broker coordinates. A cluster-wide
//! list asks every broker. Flexible versions: 3+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_ListGroups>
//! - KIP-518 (state filter and group state, v4), KIP-848 (type filter and
//!   group type, v5)

use kafka_protocol::messages::{ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(ListGroupsRequest, "ListGroups", 0..=5);

/// Builds the request; the state filter is sent from version 4 and the
/// type filter from version 5 (filter the answer yourself before that).
pub fn request(version: i16, states: &[&str], types: &[&str]) -> ListGroupsRequest {
    let strs = |v: &[&str]| {
        v.iter()
            .map(|s| StrBytes::from_string((*s).to_owned()))
            .collect()
    };
    ListGroupsRequest::default()
        .with_states_filter(if version >= 4 {
            strs(states)
        } else {
            Vec::new()
        })
        .with_types_filter(if version >= 5 {
            strs(types)
        } else {
            Vec::new()
        })
}

/// One listed group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    /// The group id.
    pub group_id: String,
    /// The protocol type (`consumer` for consumer groups, empty for a group
    /// that only stores offsets).
    pub protocol_type: String,
    /// The state (version 4+).
    pub state: Option<String>,
    /// The group type, `classic` or `consumer` (version 5+).
    pub group_type: Option<String>,
}

/// Reads the groups of a response at `version`.
pub fn groups(response: &ListGroupsResponse, version: i16) -> Vec<ListedGroup> {
    response
        .groups
        .iter()
        .map(|g| ListedGroup {
            group_id: g.group_id.0.to_string(),
            protocol_type: g.protocol_type.to_string(),
            state: (version >= 4).then(|| g.group_state.to_string()),
            group_type: (version >= 5).then(|| g.group_type.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::list_groups_response::ListedGroup as Listed;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn filters_only_where_the_version_has_them() {
        for version in 0..=5 {
            let mut buf = BytesMut::new();
            request(version, &["Stable"], &["classic"])
                .encode(&mut buf, version)
                .unwrap();
            let back = ListGroupsRequest::decode(&mut buf.freeze(), version).unwrap();
            assert_eq!(back.states_filter.len(), usize::from(version >= 4));
            assert_eq!(back.types_filter.len(), usize::from(version >= 5));
        }
    }

    #[test]
    fn reads_state_and_type_where_present() {
        let response = ListGroupsResponse::default().with_groups(vec![Listed::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_protocol_type(StrBytes::from_static_str("consumer"))
            .with_group_state(StrBytes::from_static_str("Empty"))
            .with_group_type(StrBytes::from_static_str("classic"))]);
        let v3 = groups(&response, 3);
        assert_eq!(
            (v3[0].state.as_deref(), v3[0].group_type.as_deref()),
            (None, None)
        );
        let v5 = groups(&response, 5);
        assert_eq!(v5[0].state.as_deref(), Some("Empty"));
        assert_eq!(v5[0].group_type.as_deref(), Some("classic"));
        assert_eq!(v5[0].protocol_type, "consumer");
    }
}
