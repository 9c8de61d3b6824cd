//! SASL authentication over an established connection: SaslHandshake v1,
//! then the mechanism's tokens in SaslAuthenticate requests.
//!
//! # References
//! - KIP-43 (SASL handshake), KIP-84 (SCRAM), KIP-152 (SaslAuthenticate)
//! - RFC 4616 (PLAIN)

use bytes::Bytes;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;

use super::connection::Connection;
use super::scram::ScramClient;
use super::security::SaslMechanism;
use crate::error::{Error, Result};

fn auth_error(conn: &Connection, message: impl Into<String>) -> Error {
    Error::Authentication {
        broker: conn.broker().to_owned(),
        message: message.into(),
    }
}

/// Authenticates `conn` with `mechanism`.
pub(crate) async fn authenticate(conn: &Connection, mechanism: &SaslMechanism) -> Result<()> {
    let name = match mechanism {
        SaslMechanism::Plain { .. } => "PLAIN",
        SaslMechanism::Scram { mechanism, .. } => mechanism.name(),
    };
    let handshake = conn
        .call(&SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(name)))
        .await?;
    if handshake.error_code != 0 {
        let enabled: Vec<&str> = handshake.mechanisms.iter().map(|m| m.as_str()).collect();
        return Err(auth_error(
            conn,
            format!(
                "broker does not enable {name} (enabled: {})",
                enabled.join(", ")
            ),
        ));
    }
    match mechanism {
        SaslMechanism::Plain { username, password } => {
            let mut token = Vec::with_capacity(username.len() + password.len() + 2);
            token.push(0);
            token.extend_from_slice(username.as_bytes());
            token.push(0);
            token.extend_from_slice(password.as_bytes());
            exchange(conn, token).await?;
        }
        SaslMechanism::Scram {
            mechanism,
            username,
            password,
        } => {
            let mut scram = ScramClient::new(*mechanism, username, password);
            let server_first = exchange(conn, scram.client_first()).await?;
            let client_final = scram
                .handle_server_first(&server_first)
                .map_err(|e| auth_error(conn, e.to_string()))?;
            let server_final = exchange(conn, client_final).await?;
            scram
                .handle_server_final(&server_final)
                .map_err(|e| auth_error(conn, e.to_string()))?;
        }
    }
    Ok(())
}

async fn exchange(conn: &Connection, token: Vec<u8>) -> Result<Bytes> {
    let response = conn
        .call(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token)))
        .await?;
    if response.error_code != 0 {
        let message = response
            .error_message
            .map(|m| m.to_string())
            .unwrap_or_else(|| format!("error code {}", response.error_code));
        return Err(auth_error(conn, message));
    }
    Ok(response.auth_bytes)
}
