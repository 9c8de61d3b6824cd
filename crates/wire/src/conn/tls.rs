//! TLS client configuration for broker connections (rustls with the ring
//! provider).
//!
//! [`client_config`] turns [`TlsSettings`] into a rustls [`ClientConfig`]:
//!
//! * trusted roots come from the PEM file `ca_location`, or the built-in
//!   web PKI roots when it is unset;
//! * a client certificate chain and private key (PKCS#8, PKCS#1 RSA or SEC1
//!   EC, unencrypted) are loaded when configured;
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
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, RootCertStore,
    SignatureScheme,
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
    /// The private key is encrypted, or a key password was configured.
    #[error(
        "encrypted private keys are not supported{}; decrypt the key (for example `openssl pkey -in encrypted.key -out plain.key`) and drop the key password",
        path.as_ref().map(|p| format!(" ({})", p.display())).unwrap_or_default()
    )]
    EncryptedPrivateKey {
        /// The key file, when known.
        path: Option<PathBuf>,
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
    /// The host (or configured server name) is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {0:?}")]
    InvalidServerName(String),
}

/// The crypto provider of every TLS configuration (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls client configuration for `settings`. The result is
/// meant to be shared by all connections of a client.
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, TlsError> {
    if settings
        .key_password
        .as_deref()
        .is_some_and(|p| !p.is_empty())
    {
        return Err(TlsError::EncryptedPrivateKey {
            path: settings.key_location.clone(),
        });
    }
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?;

    let builder = if !settings.verify_certificates {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert { provider }))
    } else {
        let roots = match &settings.ca_location {
            Some(path) => load_roots(path)?,
            None => {
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

    let config = match (&settings.certificate_location, &settings.key_location) {
        (Some(cert_path), Some(key_path)) => {
            let chain = load_certs(cert_path, "client certificate")?;
            let key = load_private_key(key_path)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(TlsError::ClientIdentity)?
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
        (None, None) => builder.with_no_client_auth(),
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

fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::ReadFile {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Reads a PEM file's certificates (a chain, or CA certificates); `what`
/// names the file in errors. A file without any certificate is an error.
pub fn load_certs(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_file(path, what)?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::InvalidPem {
            what,
            path: path.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificates {
            what,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// Reads a PEM file of CA certificates into a trust store.
pub fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path, "CA certificate")? {
        roots
            .add(cert)
            .map_err(|source| TlsError::InvalidCaCertificate {
                path: path.to_owned(),
                source,
            })?;
    }
    Ok(roots)
}

/// Reads the first private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1
/// EC). Encrypted keys are an error that says so.
pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_file(path, "private key")?;
    let text = String::from_utf8_lossy(&pem);
    // Encrypted PKCS#8 blocks are skipped by the PEM reader and legacy
    // OpenSSL encryption hides inside an ordinary block; name both clearly.
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(TlsError::EncryptedPrivateKey {
            path: Some(path.to_owned()),
        });
    }
    match rustls_pemfile::private_key(&mut pem.as_slice()) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(TlsError::NoPrivateKey {
            path: path.to_owned(),
        }),
        Err(source) => Err(TlsError::InvalidPem {
            what: "private key",
            path: path.to_owned(),
            source,
        }),
    }
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
            let roots = load_roots(&fixture("ca.pem")).unwrap();
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
        let key = load_private_key(&fixture("server.key")).unwrap();
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

    #[tokio::test]
    async fn client_certificate_required_but_missing() {
        round_trip(true, "localhost", &settings_with_ca())
            .await
            .unwrap_err();
    }

    #[test]
    fn key_formats_are_detected() {
        assert!(matches!(
            load_private_key(&fixture("client.key")).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
        assert!(matches!(
            load_private_key(&fixture("client-sec1.key")).unwrap(),
            PrivateKeyDer::Sec1(_)
        ));
        assert!(matches!(
            load_private_key(&fixture("client-rsa.key")).unwrap(),
            PrivateKeyDer::Pkcs1(_)
        ));
        assert!(matches!(
            load_private_key(&fixture("client-keystore.pem")).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
        assert_eq!(
            load_certs(&fixture("client-keystore.pem"), "chain")
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn encrypted_keys_are_rejected() {
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
        assert!(err.to_string().contains("openssl pkey"), "{err}");

        let settings = TlsSettings {
            certificate_location: Some(fixture("client.pem")),
            key_location: Some(fixture("client.key")),
            key_password: Some("secret".to_owned()),
            ..settings_with_ca()
        };
        let err = client_config(&settings).unwrap_err();
        assert!(matches!(err, TlsError::EncryptedPrivateKey { .. }), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
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
