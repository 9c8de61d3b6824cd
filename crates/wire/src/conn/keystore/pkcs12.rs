//! PKCS#12 files (`.p12`, `.pfx`), read with the `p12-keystore` crate: the
//! format Java has written by default since Java 9, and what `openssl
//! pkcs12 -export` writes. Modern stores (PBES2 with AES and an HMAC-SHA256
//! MAC) and older ones (SHA-1 with 3DES or 40-bit RC2) are read; one
//! password protects the MAC, the certificates and the keys, as `keytool`
//! and `openssl` write them.

use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};

use super::StoreError;

/// A private key (PKCS#8 DER) and its certificate chain (DER, leaf first).
pub(super) type KeyEntry = (Vec<u8>, Vec<Vec<u8>>);

/// The first private key entry (in alias order) with its chain.
pub(super) fn first_key(data: &[u8], password: &str) -> Result<Option<KeyEntry>, StoreError> {
    let store = open(data, password, Pkcs12ImportPolicy::Strict)?;
    Ok(store.private_key_chain().map(|(_, chain)| {
        let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
        (chain.key().as_der().to_vec(), certs)
    }))
}

/// Every certificate of the store. A trust store written by `keytool` marks
/// its certificates as trusted; one written by `openssl` does not, and its
/// certificates are taken as well: the file was named as a trust store.
pub(super) fn certificates(data: &[u8], password: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    let store = open(data, password, Pkcs12ImportPolicy::Raw)?;
    Ok(store
        .entries()
        .filter_map(|(_, entry)| match entry {
            KeyStoreEntry::Certificate(cert) => Some(cert.as_der().to_vec()),
            _ => None,
        })
        .collect())
}

fn open(data: &[u8], password: &str, policy: Pkcs12ImportPolicy) -> Result<KeyStore, StoreError> {
    KeyStore::from_pkcs12(data, password, policy).map_err(|err| match err {
        p12_keystore::error::Error::MacError(_) => StoreError::WrongPassword("store"),
        // A wrong password also shows as undecryptable (badly padded) content.
        p12_keystore::error::Error::UnpadError => StoreError::WrongPassword("store"),
        other => StoreError::Invalid(format!("invalid PKCS12 store: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::fixture_bytes as fixture;
    use super::*;

    #[test]
    fn reads_key_stores_from_openssl_and_keytool() {
        for name in ["server.p12", "server-legacy.p12", "server-keytool.p12"] {
            let (key, chain) = first_key(&fixture(name), "changeit")
                .unwrap()
                .unwrap_or_else(|| panic!("{name}: no key entry"));
            assert_eq!(key[0], 0x30, "{name}");
            assert_eq!(chain.len(), 2, "{name}: server certificate and CA");
        }
    }

    #[test]
    fn reads_trust_stores_from_openssl_and_keytool() {
        for name in ["truststore.p12", "truststore-openssl.p12"] {
            let certs = certificates(&fixture(name), "changeit").unwrap();
            assert_eq!(certs.len(), 1, "{name}");
            assert!(first_key(&fixture(name), "changeit").unwrap().is_none());
        }
    }

    #[test]
    fn a_wrong_password_is_named() {
        for name in ["server.p12", "server-legacy.p12", "truststore.p12"] {
            assert!(
                matches!(
                    first_key(&fixture(name), "wrong"),
                    Err(StoreError::WrongPassword("store"))
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let store = fixture("server.p12");
        for len in 0..store.len() {
            assert!(
                first_key(&store[..len], "changeit").is_err(),
                "prefix of {len} bytes"
            );
        }
    }
}
