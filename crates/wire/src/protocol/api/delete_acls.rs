//! DeleteAcls (key 31): deletes the ACL bindings matching each of several
//! filters and returns, per filter, the bindings it deleted. Any broker takes
//! it (KRaft brokers forward it to the controller).
//!
//! Versions: 1..=3 (v1 adds pattern types, v2 is flexible).
//!
//! # References
//! - KIP-140 (ACL admin APIs), KIP-290 (pattern type filters, v1)

use kafka_protocol::messages::DeleteAclsRequest;

use super::api;

api!(DeleteAclsRequest, "DeleteAcls", 1..=3);
