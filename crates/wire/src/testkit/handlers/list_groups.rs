//! ListGroups (key 16): the groups this broker coordinates (clients ask every
//! broker and merge), optionally only those in some states (v4+) or of some
//! types (v5+; every group here is `classic`).
//!
//! # References
//! - KIP-518 (states filter, v4), KIP-848 (types filter, v5)

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::{StrBytes, VersionRange};

use super::{Ctx, Handler, Reply};

impl Handler for ListGroupsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 5 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<ListGroupsResponse> {
        let version = ctx.version;
        let ids: Vec<String> = ctx.state.groups.keys().cloned().collect();
        let mut groups = Vec::new();
        for id in ids {
            if ctx.state.group_coordinator(&id) != Ok(ctx.broker) {
                continue;
            }
            let g = &ctx.state.groups[&id];
            let state = g.state.name();
            if version >= 4
                && !self.states_filter.is_empty()
                && !self
                    .states_filter
                    .iter()
                    .any(|s| s.as_str().eq_ignore_ascii_case(state))
            {
                continue;
            }
            if version >= 5
                && !self.types_filter.is_empty()
                && !self
                    .types_filter
                    .iter()
                    .any(|t| t.as_str().eq_ignore_ascii_case("classic"))
            {
                continue;
            }
            let mut listed = ListedGroup::default()
                .with_group_id(GroupId(StrBytes::from_string(id.clone())))
                .with_protocol_type(StrBytes::from_string(
                    g.protocol_type.clone().unwrap_or_default(),
                ));
            if version >= 4 {
                listed.group_state = StrBytes::from_static_str(state);
            }
            if version >= 5 {
                listed.group_type = StrBytes::from_static_str("classic");
            }
            groups.push(listed);
        }
        Reply::Now(ListGroupsResponse::default().with_groups(groups))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<ListGroupsResponse> {
        Reply::Now(ListGroupsResponse::default().with_error_code(code))
    }
}
