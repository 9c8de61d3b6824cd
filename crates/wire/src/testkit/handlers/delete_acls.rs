//! DeleteAcls (key 31): removes the ACL bindings each filter matches (the
//! matching rules of DescribeAcls) and lists them. A filter with an UNKNOWN
//! field is `INVALID_REQUEST`.
//!
//! # References
//! - KIP-140, KIP-290 (pattern type filters, v1)

use kafka_protocol::messages::delete_acls_response::{
    DeleteAclsFilterResult, DeleteAclsMatchingAcl,
};
use kafka_protocol::messages::{DeleteAclsRequest, DeleteAclsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::acls::AclFilter;

impl Handler for DeleteAclsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 3 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DeleteAclsResponse> {
        let results = self
            .filters
            .into_iter()
            .map(|f| {
                let filter = AclFilter {
                    resource_type: f.resource_type_filter,
                    resource_name: f.resource_name_filter.map(|s| s.to_string()),
                    pattern_type: f.pattern_type_filter,
                    principal: f.principal_filter.map(|s| s.to_string()),
                    host: f.host_filter.map(|s| s.to_string()),
                    operation: f.operation,
                    permission: f.permission_type,
                };
                if let Err(message) = filter.validate() {
                    return DeleteAclsFilterResult::default()
                        .with_error_code(ResponseError::InvalidRequest.code())
                        .with_error_message(Some(str_bytes(message)));
                }
                let matching = ctx
                    .state
                    .acls
                    .remove_matching(&filter)
                    .into_iter()
                    .map(|b| {
                        DeleteAclsMatchingAcl::default()
                            .with_error_message(None)
                            .with_resource_type(b.resource_type)
                            .with_resource_name(str_bytes(b.resource_name))
                            .with_pattern_type(b.pattern_type)
                            .with_principal(str_bytes(b.principal))
                            .with_host(str_bytes(b.host))
                            .with_operation(b.operation)
                            .with_permission_type(b.permission)
                    })
                    .collect();
                DeleteAclsFilterResult::default()
                    .with_error_message(None)
                    .with_matching_acls(matching)
            })
            .collect();
        Reply::Now(DeleteAclsResponse::default().with_filter_results(results))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<DeleteAclsResponse> {
        let results = self
            .filters
            .iter()
            .map(|_| {
                DeleteAclsFilterResult::default()
                    .with_error_code(code)
                    .with_error_message(None)
            })
            .collect();
        Reply::Now(DeleteAclsResponse::default().with_filter_results(results))
    }
}
