//! SaslHandshake (key 17): picks the SASL mechanism. Version 1 is used so
//! that the tokens that follow travel in SaslAuthenticate requests.
//!
//! # References
//! - KIP-43, KIP-152

use kafka_protocol::messages::SaslHandshakeRequest;

use super::api;

api!(SaslHandshakeRequest, "SaslHandshake", 1..=1);
