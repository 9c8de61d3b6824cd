//! CreateAcls (key 30): adds ACL bindings (resource pattern, principal, host,
//! operation, permission). Any broker takes it (KRaft brokers forward it to
//! the controller); one result per binding, in request order. The request
//! structs are built from [`crate::admin::acls::AclBinding`]s.
//!
//! Versions: 1..=3 (v1 adds pattern types, v2 is flexible).
//!
//! # References
//! - KIP-140 (ACL admin APIs), KIP-290 (prefixed patterns, v1)

use kafka_protocol::messages::CreateAclsRequest;

use super::api;

api!(CreateAclsRequest, "CreateAcls", 1..=3);
