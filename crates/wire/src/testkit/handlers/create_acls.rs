//! CreateAcls (key 30): stores ACL bindings. Each must name a concrete
//! resource type, a LITERAL or PREFIXED pattern, an operation and ALLOW or
//! DENY, a non-empty resource name (`kafka-cluster` for the CLUSTER
//! resource) and a `Type:name` principal; otherwise `INVALID_REQUEST`.
//! Creating an existing binding succeeds and changes nothing. Bindings are
//! not enforced: the cluster does not authenticate clients.
//!
//! # References
//! - KIP-140, KIP-290 (pattern type, v1)

use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::{CreateAclsRequest, CreateAclsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::acls::AclBinding;

impl Handler for CreateAclsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 3 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<CreateAclsResponse> {
        let results = self
            .creations
            .into_iter()
            .map(|c| {
                let binding = AclBinding {
                    resource_type: c.resource_type,
                    resource_name: c.resource_name.to_string(),
                    pattern_type: c.resource_pattern_type,
                    principal: c.principal.to_string(),
                    host: c.host.to_string(),
                    operation: c.operation,
                    permission: c.permission_type,
                };
                match binding.validate() {
                    Ok(()) => {
                        ctx.state.acls.add(binding);
                        AclCreationResult::default().with_error_message(None)
                    }
                    Err(message) => AclCreationResult::default()
                        .with_error_code(ResponseError::InvalidRequest.code())
                        .with_error_message(Some(str_bytes(message))),
                }
            })
            .collect();
        Reply::Now(CreateAclsResponse::default().with_results(results))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<CreateAclsResponse> {
        let results = self
            .creations
            .iter()
            .map(|_| {
                AclCreationResult::default()
                    .with_error_code(code)
                    .with_error_message(None)
            })
            .collect();
        Reply::Now(CreateAclsResponse::default().with_results(results))
    }
}
