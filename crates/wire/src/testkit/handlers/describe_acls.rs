//! DescribeAcls (key 29): the ACL bindings a filter matches, grouped by
//! resource. Every field of the filter can match anything (null strings,
//! ANY codes); a MATCH pattern type finds the bindings that apply to a
//! resource name: equal LITERAL names, the LITERAL `*` wildcard, and
//! PREFIXED names the resource name starts with. A filter with an UNKNOWN
//! field is `INVALID_REQUEST`.
//!
//! # References
//! - KIP-140, KIP-290 (pattern type filters, v1)

use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::{DescribeAclsRequest, DescribeAclsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::acls::AclFilter;

impl Handler for DescribeAclsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 3 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DescribeAclsResponse> {
        let filter = AclFilter {
            resource_type: self.resource_type_filter,
            resource_name: self.resource_name_filter.map(|s| s.to_string()),
            pattern_type: self.pattern_type_filter,
            principal: self.principal_filter.map(|s| s.to_string()),
            host: self.host_filter.map(|s| s.to_string()),
            operation: self.operation,
            permission: self.permission_type,
        };
        if let Err(message) = filter.validate() {
            return Reply::Now(
                DescribeAclsResponse::default()
                    .with_error_code(ResponseError::InvalidRequest.code())
                    .with_error_message(Some(str_bytes(message))),
            );
        }
        let mut resources: Vec<DescribeAclsResource> = Vec::new();
        for b in ctx.state.acls.matching(&filter) {
            let acl = AclDescription::default()
                .with_principal(str_bytes(b.principal))
                .with_host(str_bytes(b.host))
                .with_operation(b.operation)
                .with_permission_type(b.permission);
            match resources.last_mut() {
                Some(r)
                    if r.resource_type == b.resource_type
                        && r.resource_name.as_str() == b.resource_name
                        && r.pattern_type == b.pattern_type =>
                {
                    r.acls.push(acl)
                }
                _ => resources.push(
                    DescribeAclsResource::default()
                        .with_resource_type(b.resource_type)
                        .with_resource_name(str_bytes(b.resource_name))
                        .with_pattern_type(b.pattern_type)
                        .with_acls(vec![acl]),
                ),
            }
        }
        Reply::Now(
            DescribeAclsResponse::default()
                .with_error_message(None)
                .with_resources(resources),
        )
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<DescribeAclsResponse> {
        Reply::Now(
            DescribeAclsResponse::default()
                .with_error_code(code)
                .with_error_message(None),
        )
    }
}
