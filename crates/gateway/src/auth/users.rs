//! The password file of a property-file login module, as Jetty's
//! `PropertyUserStore` reads it: a properties file of
//! `user: credential[,role...]` lines. A credential is the password itself,
//! or `MD5:` and the hex MD5 digest of it.

use std::collections::HashMap;

use md5::{Digest, Md5};

use crate::config::properties;

/// A user of the realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct User {
    credential: Credential,
    /// The user's roles.
    pub(super) roles: Vec<String>,
}

#[derive(Clone, PartialEq, Eq)]
enum Credential {
    Plain(String),
    Md5([u8; 16]),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(<redacted>)")
    }
}

impl User {
    /// Whether `password` is this user's.
    pub(super) fn accepts(&self, password: &str) -> bool {
        match &self.credential {
            Credential::Plain(expected) => same(expected.as_bytes(), password.as_bytes()),
            Credential::Md5(digest) => same(digest, &Md5::digest(password.as_bytes())),
        }
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses the password file's text into its users.
pub(super) fn parse(text: &str) -> Result<HashMap<String, User>, String> {
    let mut users = HashMap::new();
    for entry in properties::parse(text).map_err(|e| e.to_string())? {
        let mut fields = entry.value.split(',').map(str::trim);
        let credential = fields.next().unwrap_or_default();
        let credential = if let Some(hex) = credential.strip_prefix("MD5:") {
            Credential::Md5(md5_hex(hex).ok_or_else(|| {
                format!(
                    "line {}: the MD5 credential of `{}` is not 32 hex digits",
                    entry.line, entry.key
                )
            })?)
        } else if let Some((scheme, _)) = ["OBF:", "CRYPT:"]
            .iter()
            .find_map(|s| credential.strip_prefix(s).map(|rest| (s, rest)))
        {
            return Err(format!(
                "line {}: `{}` credentials (user `{}`) are not supported; write the password \
                 itself or `MD5:` and its hex digest",
                entry.line,
                scheme.trim_end_matches(':'),
                entry.key
            ));
        } else {
            Credential::Plain(credential.to_owned())
        };
        let roles = fields
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        users.insert(entry.key, User { credential, roles });
    }
    Ok(users)
}

fn md5_hex(hex: &str) -> Option<[u8; 16]> {
    let hex = hex.trim();
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut digest = [0u8; 16];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_users_roles_and_credentials() {
        // MD5("secret") = 5ebe2294ecd0e0f08eab7690d2a6ee69.
        let users = parse(
            "# REST users\n\
             alice: alice-pw,admin,developer\n\
             bob=MD5:5ebe2294ecd0e0f08eab7690d2a6ee69, reader\n\
             carol: only-a-password\n",
        )
        .unwrap();
        assert_eq!(users.len(), 3);
        assert!(users["alice"].accepts("alice-pw"));
        assert!(!users["alice"].accepts("alice-pw "));
        assert_eq!(users["alice"].roles, ["admin", "developer"]);
        assert!(users["bob"].accepts("secret"));
        assert!(!users["bob"].accepts("MD5:5ebe2294ecd0e0f08eab7690d2a6ee69"));
        assert_eq!(users["bob"].roles, ["reader"]);
        assert!(users["carol"].accepts("only-a-password"));
        assert!(users["carol"].roles.is_empty());
        assert!(!format!("{:?}", users["alice"]).contains("alice-pw"));
    }

    #[test]
    fn unsupported_or_malformed_credentials_are_named() {
        for (text, expected) in [
            (
                "u: OBF:1v2j1uum1xtv",
                "`OBF` credentials (user `u`) are not supported",
            ),
            ("u: CRYPT:ab12cd", "`CRYPT` credentials"),
            ("u: MD5:abc", "not 32 hex digits"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
