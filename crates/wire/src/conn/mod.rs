//! One connection to one broker: TCP or TLS, the ApiVersions handshake, SASL,
//! and pipelined requests matched to responses by correlation id.

mod connection;
pub mod keystore;
mod sasl;
pub mod scram;
pub mod security;
pub mod tls;

pub use connection::{Connection, ConnectionConfig};
pub use security::{SaslMechanism, SecurityProtocol, SecuritySettings, TlsSettings};
