//! DescribeAcls (key 29): the ACL bindings matching one filter. Any broker
//! answers it. The request is built from a
//! [`crate::admin::acls::AclBindingFilter`].
//!
//! Versions: 1..=3 (v1 adds pattern types, v2 is flexible).
//!
//! # References
//! - KIP-140 (ACL admin APIs), KIP-290 (pattern type filters, v1)

use kafka_protocol::messages::DescribeAclsRequest;

use super::api;

api!(DescribeAclsRequest, "DescribeAcls", 1..=3);
