//! Java KeyStore (JKS) files, read-only: the format `keytool` wrote by
//! default before Java 9 and that Kafka's `ssl.keystore.type` and
//! `ssl.truststore.type` still default to.
//!
//! A store is a big-endian sequence: the magic `FEEDFEED`, a version (1 or
//! 2), an entry count, the entries, and a SHA-1 digest over the password,
//! the phrase "Mighty Aphrodite" and everything before it. An entry is a
//! private key (its PKCS#8 encoding protected by Sun's key protector, and
//! its certificate chain) or a trusted certificate; version 2 names each
//! certificate's type. The key protector is a SHA-1 keystream: starting from
//! a 20-byte salt, each block of the key is XORed with
//! `SHA-1(password ‖ previous digest)`, and a final
//! `SHA-1(password ‖ plain key)` checks the password. Passwords are hashed
//! as UTF-16BE, as Java's `char[]`.
//!
//! Every length is checked against the bytes left, so a truncated or
//! hostile file is an error, never a panic or a large allocation.
//!
//! # References
//! - OpenJDK `sun.security.provider.JavaKeyStore` (`engineLoad`) and
//!   `sun.security.provider.KeyProtector` (`recover`).

use sha1::{Digest, Sha1};

use super::StoreError;

/// First four bytes of a JKS file.
pub(super) const MAGIC: [u8; 4] = [0xFE, 0xED, 0xFE, 0xED];
/// First four bytes of a JCEKS file (Java's other proprietary format).
pub(super) const JCEKS_MAGIC: [u8; 4] = [0xCE, 0xCE, 0xCE, 0xCE];

const PRIVATE_KEY_ENTRY: u32 = 1;
const TRUSTED_CERT_ENTRY: u32 = 2;

/// Mixed into the store's integrity digest after the password.
const INTEGRITY_PHRASE: &[u8] = b"Mighty Aphrodite";
const DIGEST_LEN: usize = 20;

/// DER of the key protector's algorithm identifier,
/// OID 1.3.6.1.4.1.42.2.17.1.1.
const KEY_PROTECTOR_OID: &[u8] = &[
    0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x2A, 0x02, 0x11, 0x01, 0x01,
];

/// One entry of a JKS store.
#[derive(Debug)]
pub(super) enum Entry {
    /// A private key with its certificate chain, leaf first.
    PrivateKey {
        /// The protected key: DER `EncryptedPrivateKeyInfo`.
        protected: Vec<u8>,
        /// DER certificates.
        chain: Vec<Vec<u8>>,
    },
    /// A certificate the store's owner trusts.
    TrustedCertificate {
        /// DER certificate.
        der: Vec<u8>,
    },
}

/// Parses a JKS store. With a password the store's integrity digest is
/// checked (a mismatch means a wrong password or a damaged file); without
/// one it is not, as Java loads a store given no password.
pub(super) fn parse(data: &[u8], password: Option<&str>) -> Result<Vec<Entry>, StoreError> {
    let body_len = data
        .len()
        .checked_sub(DIGEST_LEN)
        .ok_or_else(|| truncated("integrity digest"))?;
    let (body, digest) = data.split_at(body_len);
    let mut input = Reader(body);
    if input.array::<4>("magic")? != MAGIC {
        return Err(StoreError::Invalid("not a JKS store".into()));
    }
    let version = input.u32("version")?;
    if version != 1 && version != 2 {
        return Err(StoreError::Invalid(format!(
            "unsupported JKS version {version}"
        )));
    }
    let count = input.u32("entry count")?;
    let mut entries = Vec::new();
    for _ in 0..count {
        let tag = input.u32("entry tag")?;
        let alias = input.utf("alias")?;
        let _created = input.array::<8>("entry date")?;
        match tag {
            PRIVATE_KEY_ENTRY => {
                let protected = input.bytes("protected key")?.to_vec();
                let chain_len = input.u32("certificate chain length")?;
                let mut chain = Vec::new();
                for _ in 0..chain_len {
                    chain.push(input.certificate(version)?);
                }
                entries.push(Entry::PrivateKey { protected, chain });
            }
            TRUSTED_CERT_ENTRY => entries.push(Entry::TrustedCertificate {
                der: input.certificate(version)?,
            }),
            other => {
                return Err(StoreError::Invalid(format!(
                    "entry {alias:?} has unknown type {other}"
                )))
            }
        }
    }
    if !input.0.is_empty() {
        return Err(StoreError::Invalid(
            "bytes left after the last entry".into(),
        ));
    }
    if let Some(password) = password {
        let mut sha = Sha1::new();
        sha.update(utf16_be(password));
        sha.update(INTEGRITY_PHRASE);
        sha.update(body);
        if sha.finalize().as_slice() != digest {
            return Err(StoreError::WrongPassword("store"));
        }
    }
    Ok(entries)
}

/// Recovers the PKCS#8 `PrivateKeyInfo` (DER) from a private key entry's
/// protected key with the key's password.
pub(super) fn recover_key(protected: &[u8], password: &str) -> Result<Vec<u8>, StoreError> {
    let (algorithm, encrypted) = encrypted_private_key_info(protected)?;
    if algorithm.get(..KEY_PROTECTOR_OID.len()) != Some(KEY_PROTECTOR_OID) {
        return Err(StoreError::Invalid(
            "the private key is protected by an algorithm other than JKS's own".into(),
        ));
    }
    if encrypted.len() < 2 * DIGEST_LEN {
        return Err(truncated("protected key"));
    }
    let (salt, rest) = encrypted.split_at(DIGEST_LEN);
    let (cipher, check) = rest.split_at(rest.len() - DIGEST_LEN);
    let password = utf16_be(password);

    let mut block: [u8; DIGEST_LEN] = salt.try_into().unwrap_or([0; DIGEST_LEN]);
    let mut plain = Vec::with_capacity(cipher.len());
    for chunk in cipher.chunks(DIGEST_LEN) {
        let mut sha = Sha1::new();
        sha.update(&password);
        sha.update(block);
        block.copy_from_slice(sha.finalize().as_slice());
        plain.extend(chunk.iter().zip(block).map(|(c, k)| c ^ k));
    }
    let mut sha = Sha1::new();
    sha.update(&password);
    sha.update(&plain);
    if sha.finalize().as_slice() != check {
        return Err(StoreError::WrongPassword("private key"));
    }
    Ok(plain)
}

/// Splits DER `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier,
/// OCTET STRING }` into the algorithm identifier's contents and the
/// encrypted bytes.
fn encrypted_private_key_info(der: &[u8]) -> Result<(&[u8], &[u8]), StoreError> {
    let (info, _) = der_element(der, 0x30)?;
    let (algorithm, rest) = der_element(info, 0x30)?;
    let (encrypted, _) = der_element(rest, 0x04)?;
    Ok((algorithm, encrypted))
}

/// The contents of the DER element with tag `tag` at the start of `input`,
/// and what follows it.
fn der_element(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), StoreError> {
    let invalid = || StoreError::Invalid("malformed protected private key".into());
    let (&first, rest) = input.split_first().ok_or_else(invalid)?;
    if first != tag {
        return Err(invalid());
    }
    let (&len_byte, mut rest) = rest.split_first().ok_or_else(invalid)?;
    let len = if len_byte < 0x80 {
        usize::from(len_byte)
    } else {
        let n = usize::from(len_byte & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(invalid());
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    if rest.len() < len {
        return Err(invalid());
    }
    Ok(rest.split_at(len))
}

/// A password as Java hashes a `char[]`: UTF-16, big-endian.
fn utf16_be(password: &str) -> Vec<u8> {
    password.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn truncated(what: &str) -> StoreError {
    StoreError::Invalid(format!("truncated JKS store: incomplete {what}"))
}

/// A read position in a JKS store.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], StoreError> {
        if self.0.len() < len {
            return Err(truncated(what));
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], StoreError> {
        let bytes = self.take(N, what)?;
        Ok(bytes.try_into().unwrap_or([0; N]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, StoreError> {
        self.array::<4>(what).map(u32::from_be_bytes)
    }

    /// A length-prefixed (`u32`) byte string.
    fn bytes(&mut self, what: &str) -> Result<&'a [u8], StoreError> {
        let len = self.u32(what)?;
        self.take(usize::try_from(len).unwrap_or(usize::MAX), what)
    }

    /// A string as Java's `DataOutput.writeUTF` writes it (`u16` length,
    /// modified UTF-8; read leniently).
    fn utf(&mut self, what: &str) -> Result<String, StoreError> {
        let len = u16::from_be_bytes(self.array::<2>(what)?);
        let bytes = self.take(usize::from(len), what)?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    /// A certificate: its type (version 2 only; must be X.509) and DER.
    fn certificate(&mut self, version: u32) -> Result<Vec<u8>, StoreError> {
        if version == 2 {
            let kind = self.utf("certificate type")?;
            if kind != "X.509" {
                return Err(StoreError::Invalid(format!(
                    "unsupported certificate type {kind:?}"
                )));
            }
        }
        Ok(self.bytes("certificate")?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::fixture_bytes as fixture;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes after a valid magic and version: an error or entries,
        /// never a panic; and any protected key blob likewise.
        #[test]
        fn arbitrary_stores_and_keys_never_panic(
            tail in proptest::collection::vec(any::<u8>(), 0..512),
            password in proptest::option::of("[a-z]{0,8}"),
        ) {
            let mut store = MAGIC.to_vec();
            store.extend_from_slice(&2u32.to_be_bytes());
            store.extend_from_slice(&tail);
            let _ = parse(&store, password.as_deref());
            let _ = recover_key(&tail, password.as_deref().unwrap_or(""));
        }
    }

    #[test]
    fn reads_a_keytool_key_store() {
        let entries = parse(&fixture("server.jks"), Some("changeit")).unwrap();
        let [Entry::PrivateKey { protected, chain }] = entries.as_slice() else {
            panic!("one private key entry expected: {entries:?}");
        };
        assert_eq!(chain.len(), 2, "server certificate and CA");
        let key = recover_key(protected, "keypass").unwrap();
        // PKCS#8 PrivateKeyInfo: a SEQUENCE holding version 0.
        assert_eq!(key[0], 0x30);
        assert!(matches!(
            recover_key(protected, "changeit"),
            Err(StoreError::WrongPassword("private key"))
        ));
    }

    #[test]
    fn reads_a_trust_store_with_or_without_its_password() {
        for password in [Some("changeit"), None] {
            let entries = parse(&fixture("truststore.jks"), password).unwrap();
            assert!(matches!(
                entries.as_slice(),
                [Entry::TrustedCertificate { .. }]
            ));
        }
        assert!(matches!(
            parse(&fixture("truststore.jks"), Some("wrong")),
            Err(StoreError::WrongPassword("store"))
        ));
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error() {
        let store = fixture("server.jks");
        for len in 0..store.len() {
            assert!(parse(&store[..len], None).is_err(), "prefix of {len} bytes");
        }
        for at in 0..store.len() {
            let mut corrupt = store.clone();
            corrupt[at] ^= 0x41;
            let parsed = parse(&corrupt, Some("changeit"));
            assert!(parsed.is_err(), "byte {at} flipped");
        }
    }

    #[test]
    fn hostile_lengths_do_not_allocate() {
        let mut store = MAGIC.to_vec();
        store.extend_from_slice(&2u32.to_be_bytes());
        store.extend_from_slice(&u32::MAX.to_be_bytes()); // entries
        store.extend_from_slice(&TRUSTED_CERT_ENTRY.to_be_bytes());
        store.extend_from_slice(&[0, 1, b'a']); // alias
        store.extend_from_slice(&[0; 8]); // date
        store.extend_from_slice(&[0, 5]);
        store.extend_from_slice(b"X.509");
        store.extend_from_slice(&u32::MAX.to_be_bytes()); // certificate length
        store.extend_from_slice(&[0; DIGEST_LEN]);
        assert!(matches!(parse(&store, None), Err(StoreError::Invalid(_))));
    }
}
