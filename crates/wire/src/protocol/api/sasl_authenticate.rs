//! SaslAuthenticate (key 36): carries the SASL tokens of the chosen mechanism.
//!
//! # References
//! - KIP-152, KIP-368 (session lifetime, v1)

use kafka_protocol::messages::SaslAuthenticateRequest;

use super::api;

api!(SaslAuthenticateRequest, "SaslAuthenticate", 0..=2);
