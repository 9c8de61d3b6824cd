//! PEM files: certificate chains, CA bundles and private keys (PKCS#8,
//! PKCS#1 RSA, SEC1 EC, and PKCS#8 encrypted with PBES2).

use std::path::Path;

use base64::Engine as _;
use pkcs8::EncryptedPrivateKeyInfoRef;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::StoreError;
use crate::conn::tls::TlsError;

const ENCRYPTED_BEGIN: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const ENCRYPTED_END: &str = "-----END ENCRYPTED PRIVATE KEY-----";

pub(super) fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
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
    certs(&read_file(path, what)?, path, what)
}

/// Reads the first private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1
/// EC), decrypting an encrypted PKCS#8 key with `password`.
pub fn load_private_key(
    path: &Path,
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, TlsError> {
    private_key(&read_file(path, "private key")?, path, password)
}

pub(super) fn certs(
    pem: &[u8],
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = rustls_pemfile::certs(&mut &*pem)
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

pub(super) fn private_key(
    pem: &[u8],
    path: &Path,
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, TlsError> {
    let text = String::from_utf8_lossy(pem);
    // Legacy OpenSSL encryption hides inside an ordinary block.
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(TlsError::LegacyEncryptedKey {
            path: path.to_owned(),
        });
    }
    if let Some(encrypted) = encrypted_block(&text) {
        let password = password.ok_or_else(|| TlsError::EncryptedPrivateKey {
            path: Some(path.to_owned()),
        })?;
        return decrypt(&encrypted, password, path);
    }
    match rustls_pemfile::private_key(&mut &*pem) {
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

/// The base64 body of the first `ENCRYPTED PRIVATE KEY` block, if any.
fn encrypted_block(text: &str) -> Option<String> {
    let start = text.find(ENCRYPTED_BEGIN)? + ENCRYPTED_BEGIN.len();
    let len = text[start..].find(ENCRYPTED_END)?;
    Some(text[start..start + len].split_whitespace().collect())
}

fn decrypt(body: &str, password: &str, path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let invalid = |reason: String| TlsError::Store {
        what: "private key",
        path: path.to_owned(),
        source: StoreError::Invalid(reason),
    };
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| invalid(format!("invalid base64 in the encrypted key: {e}")))?;
    let info = EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
        .map_err(|e| invalid(format!("malformed encrypted key: {e}")))?;
    // A wrong password shows as bad padding or as a plain text that is not a
    // private key; the two cannot be told apart from a damaged file.
    let plain = info.decrypt(password).map_err(|_| TlsError::Store {
        what: "private key",
        path: path.to_owned(),
        source: StoreError::WrongPassword("private key"),
    })?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        plain.as_bytes().to_vec(),
    )))
}

/// PEM text from a property value in canonical form: Kafka lets a PEM block
/// be written on one line (`-----BEGIN CERTIFICATE----- MIIB... -----END
/// CERTIFICATE-----`), which the PEM reader needs split into lines. Blocks
/// with headers (`Proc-Type: ...`) are kept as they are.
pub(super) fn normalize(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    const DASHES: &str = "-----";
    let mut out = String::with_capacity(text.len() + text.len() / 64 + 8);
    let mut rest = text;
    while let Some(begin) = rest.find(BEGIN) {
        let block = &rest[begin..];
        let Some(label_end) = block[BEGIN.len()..].find(DASHES) else {
            break;
        };
        let label_len = BEGIN.len() + label_end + DASHES.len();
        let after_label = &block[label_len..];
        let Some(end) = after_label.find(END) else {
            break;
        };
        let Some(end_label) = after_label[end + END.len()..].find(DASHES) else {
            break;
        };
        let end_len = END.len() + end_label + DASHES.len();
        let body = &after_label[..end];
        out.push_str(&block[..label_len]);
        out.push('\n');
        if body.contains(':') {
            out.push_str(body.trim());
            out.push('\n');
        } else {
            let base64: String = body.split_whitespace().collect();
            for line in base64.as_bytes().chunks(64) {
                out.push_str(&String::from_utf8_lossy(line));
                out.push('\n');
            }
        }
        out.push_str(&after_label[end..end + end_len]);
        out.push('\n');
        rest = &after_label[end + end_len..];
    }
    out
}
