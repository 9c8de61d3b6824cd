//! TLS for `https://` listeners: the rustls server configuration built from
//! the `ssl.*` settings ([`ListenerTls`]), and the handshake.
//!
//! The keystore holds the private key and the certificate chain, leaf first:
//! a PEM file (the key PKCS#8, PKCS#1 RSA, SEC1 EC or encrypted PKCS#8) or
//! the first private key entry of a JKS or PKCS12 store; the truststore
//! holds the CA certificates for client certificates, in any of the three
//! formats (`wire::conn::keystore`). HTTP/1.1 is offered by ALPN.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::server::WebPkiClientVerifier;
use rustls::version::{TLS12, TLS13};
use rustls::ServerConfig;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use wire::conn::keystore::load_identity;
use wire::conn::tls::{load_roots, provider_for, TlsError};

use crate::config::{ClientAuthentication, ListenerTls, TlsVersion};

/// The https listeners' TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenerTlsError {
    /// A keystore or truststore file could not be read or opened, or holds
    /// no usable key or certificate.
    #[error(transparent)]
    Files(#[from] TlsError),
    /// rustls refused the keystore's certificate chain and key (they do not
    /// belong together, or the key type is not supported).
    #[error("unusable keystore {path}: {source}")]
    Keystore {
        /// `ssl.keystore.location`.
        path: String,
        /// Why.
        source: rustls::Error,
    },
    /// The client certificate verifier could not be built from the
    /// truststore.
    #[error("unusable truststore {path}: {message}")]
    Truststore {
        /// `ssl.truststore.location`.
        path: String,
        /// Why.
        message: String,
    },
    /// rustls refused the protocol versions.
    #[error("invalid TLS settings: {0}")]
    Config(#[source] rustls::Error),
}

/// How long a client has to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the acceptor for every `https` listener from `tls`, reading the
/// keystore and truststore files.
pub fn acceptor(tls: &ListenerTls) -> Result<TlsAcceptor, ListenerTlsError> {
    let identity = load_identity(
        Path::new(&tls.keystore_location),
        password(&tls.keystore_password),
        password(&tls.key_password),
    )?;

    let versions: Vec<_> = tls
        .enabled_protocols
        .iter()
        .map(|v| match v {
            TlsVersion::Tls12 => &TLS12,
            TlsVersion::Tls13 => &TLS13,
        })
        .collect();
    let provider = provider_for(&tls.cipher_suites)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(ListenerTlsError::Config)?;

    let builder = match tls.client_authentication {
        ClientAuthentication::None => builder.with_no_client_auth(),
        mode => {
            let roots = load_roots(
                Path::new(&tls.truststore_location),
                password(&tls.truststore_password),
            )?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = match mode {
                ClientAuthentication::Requested => verifier.allow_unauthenticated(),
                _ => verifier,
            };
            let verifier = verifier.build().map_err(|e| ListenerTlsError::Truststore {
                path: tls.truststore_location.clone(),
                message: e.to_string(),
            })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(identity.chain, identity.key)
        .map_err(|source| ListenerTlsError::Keystore {
            path: tls.keystore_location.clone(),
            source,
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A configured password: an empty setting is none.
fn password(setting: &str) -> Option<&str> {
    Some(setting).filter(|p| !p.is_empty())
}

/// The TLS handshake with a client, bounded by [`HANDSHAKE_TIMEOUT`].
pub async fn handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
) -> std::io::Result<TlsStream<TcpStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "TLS handshake timed out",
        )),
    }
}
