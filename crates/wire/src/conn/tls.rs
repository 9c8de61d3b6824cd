//! TLS client configuration for broker connections (rustls with the ring
//! provider).
//!
//! [`client_config`] turns [`TlsSettings`] into a rustls [`ClientConfig`]:
//!
//! * trusted roots come from the trust store `ca_location` (PEM, JKS or
//!   PKCS12, see [`keystore`](super::keystore)), or the built-in web PKI roots when it is
//!   unset;
//! * a client certificate chain and private key are loaded when configured:
//!   from PEM files (the key may be an encrypted PKCS#8 key), or from the
//!   first private key entry of a JKS or PKCS12 key store;
//! * `verify_hostname = false` still verifies the certificate chain and only
//!   ignores a host name mismatch;
//! * `verify_certificates = false` accepts any server certificate (insecure:
//!   the handshake signatures are still checked, but nothing proves who the
//!   server is).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, RootCertStore,
    SignatureScheme, SupportedCipherSuite,
};

use super::keystore::{
    identity_from_pem, load_certs, load_identity, load_private_key, load_trusted, trusted_from_pem,
    Identity, StoreError,
};
use super::security::TlsSettings;

/// Building a TLS client configuration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A configured file could not be read.
    #[error("cannot read {what} file {}: {source}", path.display())]
    ReadFile {
        /// What the file was supposed to hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A configured file is not valid PEM.
    #[error("invalid PEM in {what} file {}: {source}", path.display())]
    InvalidPem {
        /// What the file was supposed to hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A certificate file holds no certificate.
    #[error("no PEM certificate (BEGIN CERTIFICATE) found in {what} file {}", path.display())]
    NoCertificates {
        /// What the file was supposed to hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// A CA certificate could not be used as a trust anchor.
    #[error("invalid CA certificate in {}: {source}", path.display())]
    InvalidCaCertificate {
        /// The CA file.
        path: PathBuf,
        /// Why it was rejected.
        source: rustls::Error,
    },
    /// The key file holds no supported private key.
    #[error(
        "no private key (PKCS#8 \"PRIVATE KEY\", PKCS#1 \"RSA PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\") found in {}",
        path.display()
    )]
    NoPrivateKey {
        /// The key file.
        path: PathBuf,
    },
    /// The private key is encrypted and no key password is configured.
    #[error(
        "the private key{} is encrypted; set its password (ssl.key.password)",
        path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default()
    )]
    EncryptedPrivateKey {
        /// The key file, when known.
        path: Option<PathBuf>,
    },
    /// The private key is encrypted the legacy OpenSSL way
    /// (`Proc-Type: 4,ENCRYPTED`), which only OpenSSL reads.
    #[error(
        "the private key in {} is encrypted in OpenSSL's legacy format; convert it to PKCS#8 \
         (`openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.key -out new.key`)",
        path.display()
    )]
    LegacyEncryptedKey {
        /// The key file.
        path: PathBuf,
    },
    /// A key store, trust store or encrypted key could not be opened.
    #[error("cannot use {what} {}: {source}", path.display())]
    Store {
        /// What the file was supposed to hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: StoreError,
    },
    /// Only one of the client certificate and the private key was configured.
    #[error("a client certificate needs both a certificate chain and a private key; only the {present} is configured")]
    IncompleteClientIdentity {
        /// `"certificate"` or `"private key"`.
        present: &'static str,
    },
    /// rustls rejected the client certificate or key (for example, they do
    /// not belong together, or the key type is unsupported).
    #[error("unusable client certificate or private key: {0}")]
    ClientIdentity(#[source] rustls::Error),
    /// The certificate verifier could not be built.
    #[error("cannot build the certificate verifier: {0}")]
    Verifier(#[from] rustls::client::VerifierBuilderError),
    /// rustls rejected the configuration.
    #[error("invalid TLS configuration: {0}")]
    Config(#[source] rustls::Error),
    /// `ssl.cipher.suites` names something that is not a TLS cipher suite.
    #[error("unknown cipher suite {0:?} in ssl.cipher.suites")]
    UnknownCipherSuite(String),
    /// None of the cipher suites named is supported.
    #[error("none of the cipher suites in ssl.cipher.suites is supported; the supported ones are {}", supported.join(", "))]
    NoSupportedCipherSuite {
        /// The supported suites' names.
        supported: Vec<String>,
    },
    /// The host (or configured server name) is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {0:?}")]
    InvalidServerName(String),
}

/// The crypto provider of every TLS configuration (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The cipher suites a `ssl.cipher.suites` list selects.
#[derive(Debug)]
pub struct CipherSuites {
    /// The suites to offer, in the order named.
    pub selected: Vec<SupportedCipherSuite>,
    /// Named TLS cipher suites this build does not implement (CBC, RSA key
    /// exchange, ...): skipped, as Java skips suites its provider lacks.
    pub unsupported: Vec<String>,
}

/// OpenSSL's names (librdkafka's `ssl.cipher.suites`) of the TLS 1.2
/// suites supported here, with their IANA names. OpenSSL names TLS 1.3
/// suites by their IANA names.
const OPENSSL_NAMES: [(&str, &str); 6] = [
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
];

/// Selects cipher suites by name: the IANA names Java uses
/// (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`, `TLS_AES_128_GCM_SHA256`),
/// rustls's (`TLS13_AES_128_GCM_SHA256`) or OpenSSL's, as librdkafka takes
/// them (`ECDHE-RSA-AES256-GCM-SHA384`, `:`-separated), in any case. TLS
/// suites this build does not implement, and other OpenSSL cipher-list
/// words (`AES256-SHA`, `HIGH`, `!aNULL`), are skipped; an IANA-style name
/// that is no TLS suite is an error, and so is a list of which nothing is
/// supported. An empty list selects every supported suite.
pub fn cipher_suites(names: &[String]) -> Result<CipherSuites, TlsError> {
    let supported = rustls::crypto::ring::default_provider().cipher_suites;
    let names: Vec<&str> = names
        .iter()
        .flat_map(|n| n.split(':'))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(CipherSuites {
            selected: supported,
            unsupported: Vec::new(),
        });
    }
    let mut selected = Vec::new();
    let mut unsupported = Vec::new();
    for name in names {
        let upper = name.to_ascii_uppercase();
        let wanted = OPENSSL_NAMES
            .iter()
            .find(|(openssl, _)| *openssl == upper)
            .map_or(upper.as_str(), |(_, iana)| iana);
        let tls13 = wanted
            .strip_prefix("TLS_")
            .map(|rest| format!("TLS13_{rest}"));
        let is = |suite: rustls::CipherSuite| {
            suite
                .as_str()
                .is_some_and(|n| n == wanted || Some(n) == tls13.as_deref())
        };
        if let Some(suite) = supported.iter().find(|s| is(s.suite())) {
            if !selected.contains(suite) {
                selected.push(*suite);
            }
        } else if !wanted.starts_with("TLS_") && !wanted.starts_with("SSL_")
            || (0..=u16::MAX).any(|code| is(rustls::CipherSuite::from(code)))
        {
            // A TLS suite not implemented here, or an OpenSSL word.
            unsupported.push(name.to_owned());
        } else {
            return Err(TlsError::UnknownCipherSuite(name.to_owned()));
        }
    }
    if selected.is_empty() {
        return Err(TlsError::NoSupportedCipherSuite {
            supported: supported.iter().map(|s| java_name(s.suite())).collect(),
        });
    }
    Ok(CipherSuites {
        selected,
        unsupported,
    })
}

/// The crypto provider restricted to the cipher suites `names` select (see
/// [`cipher_suites`]), warning about the names skipped.
pub fn provider_for(names: &[String]) -> Result<Arc<CryptoProvider>, TlsError> {
    let suites = cipher_suites(names)?;
    if !suites.unsupported.is_empty() {
        tracing::warn!(
            suites = %suites.unsupported.join(","),
            "ssl.cipher.suites: cipher suites not supported here are skipped"
        );
    }
    Ok(provider_with(&suites))
}

/// The crypto provider restricted to `suites`.
pub fn provider_with(suites: &CipherSuites) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: suites.selected.clone(),
        ..rustls::crypto::ring::default_provider()
    })
}

/// A suite's IANA name, as Java spells it.
fn java_name(suite: rustls::CipherSuite) -> String {
    let name = suite.as_str().unwrap_or("unknown");
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name.to_owned(),
    }
}

/// Builds the rustls client configuration for `settings`. The result is
/// meant to be shared by all connections of a client.
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider_for(&settings.cipher_suites)?;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?;

    let builder = if !settings.verify_certificates {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert { provider }))
    } else {
        let roots = match (&settings.ca_location, &settings.ca_pem) {
            (Some(path), _) => load_roots(path, settings.truststore_password.as_deref())?,
            (None, Some(text)) => roots_of(
                trusted_from_pem(text)?,
                Path::new("ssl.truststore.certificates"),
            )?,
            (None, None) => {
                let mut roots = RootCertStore::empty();
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                roots
            }
        };
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build()?;
        if settings.verify_hostname {
            builder.with_webpki_verifier(webpki)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(IgnoreHostnameMismatch {
                    inner: webpki,
                }))
        }
    };

    let identity = match (&settings.certificate_location, &settings.key_location) {
        (Some(cert_path), Some(key_path)) => {
            let key_password = settings.key_password.as_deref();
            Some(if cert_path == key_path {
                // One file: a PEM file with both, or a JKS or PKCS12 store.
                load_identity(
                    cert_path,
                    settings.keystore_password.as_deref(),
                    key_password,
                )?
            } else {
                Identity {
                    chain: load_certs(cert_path, "client certificate")?,
                    key: load_private_key(key_path, key_password)?,
                }
            })
        }
        (Some(_), None) => {
            return Err(TlsError::IncompleteClientIdentity {
                present: "certificate",
            })
        }
        (None, Some(_)) => {
            return Err(TlsError::IncompleteClientIdentity {
                present: "private key",
            })
        }
        (None, None) => match &settings.identity_pem {
            Some((chain, key)) => Some(identity_from_pem(
                chain,
                key,
                settings.key_password.as_deref(),
            )?),
            None => None,
        },
    };
    let config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.chain, identity.key)
            .map_err(TlsError::ClientIdentity)?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name to send as SNI and to verify the server certificate against:
/// `settings.server_name` if set, else `host`. IP addresses (IPv6 with or
/// without brackets) are allowed.
pub fn server_name(host: &str, settings: &TlsSettings) -> Result<ServerName<'static>, TlsError> {
    let name = settings.server_name.as_deref().unwrap_or(host).trim();
    let unbracketed = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    ServerName::try_from(unbracketed.to_owned())
        .map_err(|_| TlsError::InvalidServerName(name.to_owned()))
}

/// Performs the TLS handshake over an established stream to `host`.
pub async fn connect<S>(
    stream: S,
    host: &str,
    config: Arc<ClientConfig>,
    settings: &TlsSettings,
) -> Result<tokio_rustls::client::TlsStream<S>, io::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let name =
        server_name(host, settings).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
}

/// Reads a trust store (PEM, JKS or PKCS12; see [`keystore`](super::keystore)) into a
/// root store.
pub fn load_roots(path: &Path, password: Option<&str>) -> Result<RootCertStore, TlsError> {
    roots_of(load_trusted(path, password)?, path)
}

/// A root store of `certs` (read from `path`, for errors).
fn roots_of(certs: Vec<CertificateDer<'static>>, path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|source| TlsError::InvalidCaCertificate {
                path: path.to_owned(),
                source,
            })?;
    }
    Ok(roots)
}

/// Verifies the chain like the web PKI verifier but ignores a certificate
/// that is not valid for the server name (`ssl.endpoint.identification.algorithm=`).
/// The web PKI verifier checks the chain before the name, so a name
/// mismatch error implies the chain is trusted.
#[derive(Debug)]
struct IgnoreHostnameMismatch {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for IgnoreHostnameMismatch {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

/// Accepts any server certificate (`enable.ssl.certificate.verification=false`).
/// Insecure: the handshake signature still has to match the presented
/// certificate, but nothing ties that certificate to a trusted issuer.
struct AcceptAnyServerCert {
    provider: Arc<CryptoProvider>,
}

impl fmt::Debug for AcceptAnyServerCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AcceptAnyServerCert")
    }
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::PrivateKeyDer;
    use std::net::SocketAddr;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

    fn fixture(name: &str) -> PathBuf {
        Path::new(FIXTURES).join(name)
    }

    fn settings_with_ca() -> TlsSettings {
        TlsSettings {
            ca_location: Some(fixture("ca.pem")),
            ..TlsSettings::default()
        }
    }

    fn server_config(client_auth: bool) -> Arc<rustls::ServerConfig> {
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth {
            let roots = load_roots(&fixture("ca.pem"), None).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let chain = load_certs(&fixture("server.pem"), "server certificate").unwrap();
        let key = load_private_key(&fixture("server.key"), None).unwrap();
        Arc::new(builder.with_single_cert(chain, key).unwrap())
    }

    /// A one-connection TLS echo server on 127.0.0.1: reads "ping", answers "pong".
    async fn spawn_server(client_auth: bool) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(server_config(client_auth));
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            let mut tls = acceptor.accept(tcp).await?;
            let mut buf = [0u8; 4];
            tls.read_exact(&mut buf).await?;
            if &buf == b"ping" {
                tls.write_all(b"pong").await?;
            }
            tls.shutdown().await?;
            Ok::<_, io::Error>(())
        });
        addr
    }

    /// Connects, handshakes and exchanges one message.
    async fn round_trip(
        client_auth_required: bool,
        host: &str,
        settings: &TlsSettings,
    ) -> Result<(), String> {
        let addr = spawn_server(client_auth_required).await;
        let config = client_config(settings).map_err(|e| e.to_string())?;
        let attempt = async {
            let tcp = TcpStream::connect(addr).await?;
            let mut tls = connect(tcp, host, config, settings).await?;
            tls.write_all(b"ping").await?;
            tls.flush().await?;
            let mut buf = [0u8; 4];
            tls.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"pong");
            Ok::<_, io::Error>(())
        };
        match tokio::time::timeout(Duration::from_secs(20), attempt).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => panic!("TLS round trip timed out"),
        }
    }

    #[tokio::test]
    async fn handshake_with_configured_ca() {
        round_trip(false, "localhost", &settings_with_ca())
            .await
            .unwrap();
        round_trip(false, "127.0.0.1", &settings_with_ca())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn handshake_fails_with_webpki_roots() {
        let err = round_trip(false, "localhost", &TlsSettings::default())
            .await
            .unwrap_err();
        assert!(
            err.contains("UnknownIssuer") || err.contains("issuer"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn handshake_fails_with_unrelated_ca() {
        let settings = TlsSettings {
            ca_location: Some(fixture("other-ca.pem")),
            ..TlsSettings::default()
        };
        round_trip(false, "localhost", &settings).await.unwrap_err();
        // Disabling host name verification does not disable chain verification.
        let settings = TlsSettings {
            verify_hostname: false,
            ..settings
        };
        round_trip(false, "localhost", &settings).await.unwrap_err();
    }

    #[tokio::test]
    async fn hostname_mismatch() {
        // The server certificate names localhost and 127.0.0.1 only.
        let err = round_trip(false, "kafka.example.com", &settings_with_ca())
            .await
            .unwrap_err();
        assert!(err.contains("not valid for name"), "{err}");
        let settings = TlsSettings {
            verify_hostname: false,
            ..settings_with_ca()
        };
        round_trip(false, "kafka.example.com", &settings)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn server_name_override() {
        let settings = TlsSettings {
            server_name: Some("localhost".to_owned()),
            ..settings_with_ca()
        };
        round_trip(false, "kafka.example.com", &settings)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn verification_disabled_accepts_unknown_issuer() {
        let settings = TlsSettings {
            verify_certificates: false,
            ..TlsSettings::default()
        };
        round_trip(false, "kafka.example.com", &settings)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn client_certificate_auth() {
        for (cert, key) in [
            ("client.pem", "client.key"),
            ("client.pem", "client-sec1.key"),
            ("client-rsa.pem", "client-rsa.key"),
            ("client-keystore.pem", "client-keystore.pem"),
        ] {
            let settings = TlsSettings {
                certificate_location: Some(fixture(cert)),
                key_location: Some(fixture(key)),
                ..settings_with_ca()
            };
            round_trip(true, "localhost", &settings)
                .await
                .unwrap_or_else(|e| panic!("{cert} + {key}: {e}"));
        }
    }

    /// The Java-style stores: a JKS or PKCS12 trust store, and the client
    /// identity from a JKS or PKCS12 key store or an encrypted PEM key.
    #[tokio::test]
    async fn handshake_with_java_stores_and_encrypted_keys() {
        let pass = || Some("changeit".to_owned());
        for (truststore, keystore) in [
            ("truststore.jks", "client.jks"),
            ("truststore.p12", "client.p12"),
            ("truststore-openssl.p12", "client.jks"),
        ] {
            let settings = TlsSettings {
                ca_location: Some(fixture(truststore)),
                truststore_password: pass(),
                certificate_location: Some(fixture(keystore)),
                key_location: Some(fixture(keystore)),
                keystore_password: pass(),
                ..TlsSettings::default()
            };
            round_trip(true, "localhost", &settings)
                .await
                .unwrap_or_else(|e| panic!("{truststore} + {keystore}: {e}"));
        }
        let settings = TlsSettings {
            certificate_location: Some(fixture("client.pem")),
            key_location: Some(fixture("client-encrypted.key")),
            key_password: Some("secret".to_owned()),
            ..settings_with_ca()
        };
        round_trip(true, "localhost", &settings).await.unwrap();
    }

    #[test]
    fn cipher_suites_by_java_and_rustls_names() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let selected = |picked: &CipherSuites| -> Vec<String> {
            picked
                .selected
                .iter()
                .map(|s| java_name(s.suite()))
                .collect()
        };
        let picked = cipher_suites(&names(&[
            "TLS_AES_256_GCM_SHA384",
            "tls13_chacha20_poly1305_sha256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
        ]))
        .unwrap();
        assert_eq!(
            selected(&picked),
            [
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ]
        );
        assert_eq!(
            picked.unsupported,
            [
                "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
                "TLS_RSA_WITH_AES_128_GCM_SHA256"
            ]
        );
        assert_eq!(cipher_suites(&[]).unwrap().selected.len(), 9);
        let err = cipher_suites(&names(&[
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_257_GCM_SHA384",
        ]))
        .unwrap_err();
        assert!(
            matches!(err, TlsError::UnknownCipherSuite(ref n) if n == "TLS_AES_257_GCM_SHA384"),
            "{err}"
        );
        // librdkafka's OpenSSL list: names mapped, other words skipped.
        let picked = cipher_suites(&names(&[
            "ECDHE-ECDSA-AES256-GCM-SHA384:ecdhe-rsa-chacha20-poly1305:AES256-SHA:!aNULL",
        ]))
        .unwrap();
        assert_eq!(
            selected(&picked),
            [
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
            ]
        );
        assert_eq!(picked.unsupported, ["AES256-SHA", "!aNULL"]);
        assert!(cipher_suites(&names(&["HIGH:!aNULL"])).is_err());
        let err = cipher_suites(&names(&["TLS_RSA_WITH_AES_256_CBC_SHA"])).unwrap_err();
        assert!(err.to_string().contains("TLS_AES_128_GCM_SHA256"), "{err}");
    }

    /// The server's key is EC: ECDSA suites connect, RSA-only suites cannot.
    #[tokio::test]
    async fn cipher_suites_limit_the_handshake() {
        let with = |suites: &[&str]| TlsSettings {
            cipher_suites: suites.iter().map(|s| (*s).to_owned()).collect(),
            ..settings_with_ca()
        };
        for suite in [
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
        ] {
            round_trip(false, "localhost", &with(&[suite]))
                .await
                .unwrap_or_else(|e| panic!("{suite}: {e}"));
        }
        round_trip(
            false,
            "localhost",
            &with(&["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]),
        )
        .await
        .unwrap_err();
    }

    #[tokio::test]
    async fn client_certificate_required_but_missing() {
        round_trip(true, "localhost", &settings_with_ca())
            .await
            .unwrap_err();
    }

    #[test]
    fn key_formats_are_detected() {
        assert!(matches!(
            load_private_key(&fixture("client.key"), None).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
        assert!(matches!(
            load_private_key(&fixture("client-sec1.key"), None).unwrap(),
            PrivateKeyDer::Sec1(_)
        ));
        assert!(matches!(
            load_private_key(&fixture("client-rsa.key"), None).unwrap(),
            PrivateKeyDer::Pkcs1(_)
        ));
        assert!(matches!(
            load_private_key(&fixture("client-keystore.pem"), None).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
        assert_eq!(
            load_certs(&fixture("client-keystore.pem"), "chain")
                .unwrap()
                .len(),
            2
        );
    }

    /// KIP-651: the CA and the client identity as PEM text in the
    /// properties, each block on one line.
    #[tokio::test]
    async fn handshake_with_pem_text_in_the_properties() {
        use crate::conn::keystore::testing::one_line;
        let settings = TlsSettings {
            ca_pem: Some(one_line("ca.pem")),
            identity_pem: Some((one_line("client.pem"), one_line("client-encrypted.key"))),
            key_password: Some("secret".to_owned()),
            ..TlsSettings::default()
        };
        round_trip(true, "localhost", &settings).await.unwrap();
    }

    #[test]
    fn key_and_store_passwords_are_checked() {
        let settings = TlsSettings {
            certificate_location: Some(fixture("client.pem")),
            key_location: Some(fixture("client-encrypted.key")),
            ..settings_with_ca()
        };
        let err = client_config(&settings).unwrap_err();
        assert!(
            matches!(err, TlsError::EncryptedPrivateKey { path: Some(_) }),
            "{err}"
        );
        assert!(err.to_string().contains("ssl.key.password"), "{err}");

        let wrong = |settings: TlsSettings| {
            let err = client_config(&settings).unwrap_err();
            assert!(err.to_string().contains("password is wrong"), "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        };
        wrong(TlsSettings {
            key_password: Some("hunter2".to_owned()),
            ..settings
        });
        wrong(TlsSettings {
            ca_location: Some(fixture("truststore.p12")),
            truststore_password: Some("hunter2".to_owned()),
            ..TlsSettings::default()
        });
        wrong(TlsSettings {
            certificate_location: Some(fixture("client.jks")),
            key_location: Some(fixture("client.jks")),
            keystore_password: Some("hunter2".to_owned()),
            ..settings_with_ca()
        });
    }

    #[test]
    fn configuration_errors() {
        let missing = TlsSettings {
            ca_location: Some(fixture("does-not-exist.pem")),
            ..TlsSettings::default()
        };
        let err = client_config(&missing).unwrap_err();
        assert!(matches!(err, TlsError::ReadFile { .. }), "{err}");
        assert!(err.to_string().contains("does-not-exist.pem"), "{err}");

        // A key file is not a CA file.
        let no_certs = TlsSettings {
            ca_location: Some(fixture("client.key")),
            ..TlsSettings::default()
        };
        assert!(matches!(
            client_config(&no_certs).unwrap_err(),
            TlsError::NoCertificates { .. }
        ));

        // A certificate file is not a key file.
        let no_key = TlsSettings {
            certificate_location: Some(fixture("client.pem")),
            key_location: Some(fixture("client.pem")),
            ..settings_with_ca()
        };
        assert!(matches!(
            client_config(&no_key).unwrap_err(),
            TlsError::NoPrivateKey { .. }
        ));

        // Certificate and key that do not belong together.
        let mismatched = TlsSettings {
            certificate_location: Some(fixture("client.pem")),
            key_location: Some(fixture("server.key")),
            ..settings_with_ca()
        };
        assert!(matches!(
            client_config(&mismatched).unwrap_err(),
            TlsError::ClientIdentity(_)
        ));

        let half = TlsSettings {
            certificate_location: Some(fixture("client.pem")),
            ..settings_with_ca()
        };
        assert!(matches!(
            client_config(&half).unwrap_err(),
            TlsError::IncompleteClientIdentity {
                present: "certificate"
            }
        ));
        let half = TlsSettings {
            key_location: Some(fixture("client.key")),
            ..settings_with_ca()
        };
        assert!(matches!(
            client_config(&half).unwrap_err(),
            TlsError::IncompleteClientIdentity {
                present: "private key"
            }
        ));
    }

    #[test]
    fn configs_build() {
        client_config(&TlsSettings::default()).unwrap();
        client_config(&settings_with_ca()).unwrap();
        client_config(&TlsSettings {
            verify_hostname: false,
            ..TlsSettings::default()
        })
        .unwrap();
    }

    #[test]
    fn server_names() {
        let settings = TlsSettings::default();
        assert_eq!(
            server_name("broker-1.example.com", &settings).unwrap(),
            ServerName::try_from("broker-1.example.com").unwrap()
        );
        assert!(matches!(
            server_name("127.0.0.1", &settings).unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("::1", &settings).unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("[::1]", &settings).unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("bad name!", &settings),
            Err(TlsError::InvalidServerName(_))
        ));
        assert!(matches!(
            server_name("", &settings),
            Err(TlsError::InvalidServerName(_))
        ));
        let settings = TlsSettings {
            server_name: Some("override.example".to_owned()),
            ..TlsSettings::default()
        };
        assert_eq!(
            server_name("10.0.0.1", &settings).unwrap(),
            ServerName::try_from("override.example").unwrap()
        );
    }
}
