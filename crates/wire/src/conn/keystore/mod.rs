//! Key and trust stores: the files TLS identities and trusted certificates
//! are read from, in the three formats Kafka clients and Confluent's REST
//! Proxy accept (`ssl.keystore.type`, `ssl.truststore.type`): PEM, JKS and
//! PKCS12.
//!
//! The format is recognised from the file itself — a JKS magic number, a
//! DER sequence for PKCS12, text for PEM — so the declared type only has to
//! be one of the three, as Java reads JKS and PKCS12 files under either
//! type. A key store's first private key entry (in alias order for PKCS12,
//! in file order for JKS) is the identity; a trust store's certificates are
//! the trust anchors.
//!
//! Passwords follow Kafka's rules: the store password checks a JKS file's
//! integrity (skipped when none is given, as Java does) and opens a PKCS12
//! file; a JKS key is recovered with the key password, or the store
//! password when no key password is set; an encrypted PEM key (PKCS#8
//! `ENCRYPTED PRIVATE KEY`, PBES2) is decrypted with the key password.
//!
//! PEM text may also come in the properties themselves (Kafka's KIP-651:
//! `ssl.truststore.certificates`, `ssl.keystore.certificate.chain`,
//! `ssl.keystore.key`), where a block may be written on one line.

mod jks;
mod pem;
mod pkcs12;

use std::path::Path;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub use pem::{load_certs, load_private_key};

use super::tls::TlsError;

/// What is wrong with a key or trust store's content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The password does not open the store or its key (or the file was
    /// altered).
    #[error("the {0} password is wrong, or the file is damaged")]
    WrongPassword(&'static str),
    /// A password is needed and none was configured.
    #[error("{0}")]
    PasswordNeeded(&'static str),
    /// The file is not a well-formed store of its format.
    #[error("{0}")]
    Invalid(String),
    /// A JCEKS store, which only Java's own provider reads.
    #[error(
        "JCEKS stores are not supported; convert it to PKCS12 with `keytool -importkeystore \
         -srckeystore store.jceks -srcstoretype JCEKS -destkeystore store.p12 -deststoretype PKCS12`"
    )]
    Jceks,
    /// The key store holds no private key entry.
    #[error("no private key entry in the store")]
    NoKey,
    /// The trust store holds no certificate.
    #[error("no certificate in the store")]
    NoCertificates,
}

/// The storage format of a key or trust store file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFormat {
    /// PEM text.
    Pem,
    /// Java KeyStore.
    Jks,
    /// PKCS#12.
    Pkcs12,
}

impl StoreFormat {
    /// The format of a store's content. JCEKS is recognised only to be
    /// refused.
    pub fn detect(data: &[u8]) -> Result<StoreFormat, StoreError> {
        match data.get(..4) {
            Some(magic) if magic == jks::MAGIC => Ok(StoreFormat::Jks),
            Some(magic) if magic == jks::JCEKS_MAGIC => Err(StoreError::Jceks),
            // PKCS12 is a DER SEQUENCE of more than 127 bytes (a long-form
            // length follows the tag); PEM is text.
            _ if data.first() == Some(&0x30) && data.get(1).is_some_and(|b| *b >= 0x80) => {
                Ok(StoreFormat::Pkcs12)
            }
            _ => Ok(StoreFormat::Pem),
        }
    }

    /// Parses a declared store type (`ssl.keystore.type`,
    /// `ssl.truststore.type`): `PEM`, `JKS` or `PKCS12`, in any case.
    pub fn from_type_name(name: &str) -> Option<StoreFormat> {
        [
            ("PEM", StoreFormat::Pem),
            ("JKS", StoreFormat::Jks),
            ("PKCS12", StoreFormat::Pkcs12),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, format)| format)
    }
}

/// A certificate chain (leaf first) and its private key.
#[derive(Debug)]
pub struct Identity {
    /// DER certificates, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
}

/// Reads the identity in the key store `path`: a PEM file with the chain
/// and the key, or the first private key entry of a JKS or PKCS12 store.
pub fn load_identity(
    path: &Path,
    store_password: Option<&str>,
    key_password: Option<&str>,
) -> Result<Identity, TlsError> {
    let file = StoreFile::read(path, "key store")?;
    let failed = |source| file.error(source);
    let data = &file.data;
    match file.format()? {
        StoreFormat::Pem => Ok(Identity {
            chain: pem::certs(data, path, file.what)?,
            key: pem::private_key(data, path, key_password)?,
        }),
        StoreFormat::Jks => {
            let entries = jks::parse(data, store_password).map_err(failed)?;
            let (protected, chain) = entries
                .into_iter()
                .find_map(|entry| match entry {
                    jks::Entry::PrivateKey {
                        protected, chain, ..
                    } => Some((protected, chain)),
                    jks::Entry::TrustedCertificate { .. } => None,
                })
                .ok_or_else(|| failed(StoreError::NoKey))?;
            let password = key_password.or(store_password).ok_or_else(|| {
                failed(StoreError::PasswordNeeded(
                    "the private key of a JKS store needs its password (the key password, \
                     or the store password when they are the same)",
                ))
            })?;
            let key = jks::recover_key(&protected, password).map_err(failed)?;
            Ok(identity(key, chain))
        }
        StoreFormat::Pkcs12 => {
            let password = store_password.or(key_password).unwrap_or("");
            let (key, chain) = pkcs12::first_key(data, password)
                .map_err(failed)?
                .ok_or_else(|| failed(StoreError::NoKey))?;
            Ok(identity(key, chain))
        }
    }
}

/// The identity given as PEM text in the properties
/// (`ssl.keystore.certificate.chain`, `ssl.keystore.key`; KIP-651), the key
/// decrypted with `key_password` when it is encrypted. Blocks may be
/// written on one line.
pub fn identity_from_pem(
    chain: &str,
    key: &str,
    key_password: Option<&str>,
) -> Result<Identity, TlsError> {
    let chain = pem::normalize(chain);
    let key = pem::normalize(key);
    Ok(Identity {
        chain: pem::certs(
            chain.as_bytes(),
            Path::new("ssl.keystore.certificate.chain"),
            "certificate chain",
        )?,
        key: pem::private_key(key.as_bytes(), Path::new("ssl.keystore.key"), key_password)?,
    })
}

/// The CA certificates given as PEM text in the properties
/// (`ssl.truststore.certificates`; KIP-651).
pub fn trusted_from_pem(certificates: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let text = pem::normalize(certificates);
    pem::certs(
        text.as_bytes(),
        Path::new("ssl.truststore.certificates"),
        "CA certificate",
    )
}

/// Reads the certificates the trust store `path` vouches for: every
/// certificate of a PEM file, the trusted certificate entries of a JKS
/// store, the certificates of a PKCS12 store.
pub fn load_trusted(
    path: &Path,
    password: Option<&str>,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file = StoreFile::read(path, "trust store")?;
    let failed = |source| file.error(source);
    let data = &file.data;
    let der = match file.format()? {
        StoreFormat::Pem => return pem::certs(data, path, "CA certificate"),
        StoreFormat::Jks => jks::parse(data, password)
            .map_err(failed)?
            .into_iter()
            .filter_map(|entry| match entry {
                jks::Entry::TrustedCertificate { der } => Some(der),
                jks::Entry::PrivateKey { .. } => None,
            })
            .collect::<Vec<_>>(),
        StoreFormat::Pkcs12 => {
            pkcs12::certificates(data, password.unwrap_or("")).map_err(failed)?
        }
    };
    if der.is_empty() {
        return Err(failed(StoreError::NoCertificates));
    }
    Ok(der.into_iter().map(CertificateDer::from).collect())
}

/// A store's content, with what it holds and where it is for errors.
struct StoreFile<'a> {
    path: &'a Path,
    what: &'static str,
    data: Vec<u8>,
}

impl<'a> StoreFile<'a> {
    fn read(path: &'a Path, what: &'static str) -> Result<Self, TlsError> {
        let data = pem::read_file(path, what)?;
        Ok(StoreFile { path, what, data })
    }

    fn format(&self) -> Result<StoreFormat, TlsError> {
        StoreFormat::detect(&self.data).map_err(|source| self.error(source))
    }

    fn error(&self, source: StoreError) -> TlsError {
        TlsError::Store {
            what: self.what,
            path: self.path.to_owned(),
            source,
        }
    }
}

fn identity(key: Vec<u8>, chain: Vec<Vec<u8>>) -> Identity {
    Identity {
        chain: chain.into_iter().map(CertificateDer::from).collect(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
    }
}

/// The TLS fixtures of `tests/fixtures/tls` (see `gen.sh` there).
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

    pub(crate) fn fixture(name: &str) -> PathBuf {
        Path::new(FIXTURES).join(name)
    }

    pub(crate) fn fixture_bytes(name: &str) -> Vec<u8> {
        std::fs::read(fixture(name)).expect("fixture")
    }

    /// A PEM fixture with every line break turned into a space, as a
    /// property value may hold it.
    pub(crate) fn one_line(name: &str) -> String {
        std::fs::read_to_string(fixture(name))
            .expect("fixture")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::fixture;
    use super::*;

    #[test]
    fn every_key_store_format_gives_the_same_identity() {
        let pem = load_identity(&fixture("client-keystore.pem"), None, None).unwrap();
        let jks = load_identity(&fixture("client.jks"), Some("changeit"), None).unwrap();
        let p12 = load_identity(&fixture("client.p12"), Some("changeit"), None).unwrap();
        assert_eq!(jks.chain, pem.chain);
        assert_eq!(p12.chain, pem.chain);
        assert_eq!(jks.key.secret_der(), pem.key.secret_der());
        assert_eq!(p12.key.secret_der(), pem.key.secret_der());
    }

    #[test]
    fn a_jks_key_password_differs_from_the_store_password() {
        let server = load_identity(&fixture("server.jks"), Some("changeit"), Some("keypass"));
        assert_eq!(server.unwrap().chain.len(), 2);
        let err = load_identity(&fixture("server.jks"), Some("changeit"), None).unwrap_err();
        assert!(
            err.to_string().contains("private key password is wrong"),
            "{err}"
        );
        // Without a store password the integrity check is skipped, as in Java.
        assert!(load_identity(&fixture("server.jks"), None, Some("keypass")).is_ok());
        let err = load_identity(&fixture("server.jks"), None, None).unwrap_err();
        assert!(err.to_string().contains("needs its password"), "{err}");
    }

    #[test]
    fn every_trust_store_format_gives_the_ca() {
        let ca = load_certs(&fixture("ca.pem"), "CA").unwrap();
        for (name, password) in [
            ("ca.pem", None),
            ("truststore.jks", Some("changeit")),
            ("truststore.jks", None),
            ("truststore.p12", Some("changeit")),
            ("truststore-openssl.p12", Some("changeit")),
        ] {
            assert_eq!(
                load_trusted(&fixture(name), password).unwrap(),
                ca,
                "{name}"
            );
        }
        // A key store has no trusted certificate entries.
        let err = load_trusted(&fixture("server.jks"), Some("changeit")).unwrap_err();
        assert!(err.to_string().contains("no certificate"), "{err}");
    }

    #[test]
    fn encrypted_pem_keys_are_decrypted_with_the_key_password() {
        let plain = load_private_key(&fixture("client.key"), None).unwrap();
        let decrypted = load_private_key(&fixture("client-encrypted.key"), Some("secret")).unwrap();
        assert_eq!(decrypted.secret_der(), plain.secret_der());
        let err = load_private_key(&fixture("client-encrypted.key"), Some("wrong")).unwrap_err();
        assert!(err.to_string().contains("password is wrong"), "{err}");
        let err = load_private_key(&fixture("client-encrypted.key"), None).unwrap_err();
        assert!(err.to_string().contains("ssl.key.password"), "{err}");
    }

    #[test]
    fn pem_text_on_one_line_is_read() {
        use super::testing::one_line;
        let pem = load_identity(&fixture("client-keystore.pem"), None, None).unwrap();
        let inline =
            identity_from_pem(&one_line("client.pem"), &one_line("client.key"), None).unwrap();
        assert_eq!(inline.chain[0], pem.chain[0]);
        assert_eq!(inline.key.secret_der(), pem.key.secret_der());
        let encrypted = identity_from_pem(
            &one_line("client.pem"),
            &one_line("client-encrypted.key"),
            Some("secret"),
        )
        .unwrap();
        assert_eq!(encrypted.key.secret_der(), pem.key.secret_der());
        // As written in a file, and on one line.
        let ca = load_certs(&fixture("ca.pem"), "CA").unwrap();
        let file_text = std::fs::read_to_string(fixture("ca.pem")).unwrap();
        assert_eq!(trusted_from_pem(&file_text).unwrap(), ca);
        assert_eq!(trusted_from_pem(&one_line("ca.pem")).unwrap(), ca);
        let err = trusted_from_pem("not a certificate").unwrap_err();
        assert!(
            err.to_string().contains("ssl.truststore.certificates"),
            "{err}"
        );
    }

    #[test]
    fn formats_are_recognised_and_jceks_is_named() {
        assert_eq!(
            StoreFormat::detect(b"-----BEGIN").unwrap(),
            StoreFormat::Pem
        );
        assert_eq!(StoreFormat::detect(b"").unwrap(), StoreFormat::Pem);
        assert_eq!(StoreFormat::detect(b"0 comment").unwrap(), StoreFormat::Pem);
        assert_eq!(
            StoreFormat::detect(&[0xFE, 0xED, 0xFE, 0xED, 0]).unwrap(),
            StoreFormat::Jks
        );
        assert_eq!(
            StoreFormat::detect(&[0x30, 0x82]).unwrap(),
            StoreFormat::Pkcs12
        );
        assert!(matches!(
            StoreFormat::detect(&[0xCE, 0xCE, 0xCE, 0xCE]),
            Err(StoreError::Jceks)
        ));
        assert_eq!(
            StoreFormat::from_type_name("pkcs12"),
            Some(StoreFormat::Pkcs12)
        );
        assert_eq!(StoreFormat::from_type_name(" JKS "), Some(StoreFormat::Jks));
        assert_eq!(StoreFormat::from_type_name("JCEKS"), None);
    }
}
