//! Kafka client security properties (TLS and SASL) parsed into typed settings.
//!
//! Both the Java client names and the librdkafka names are understood:
//!
//! | property | meaning |
//! | --- | --- |
//! | `security.protocol` | `PLAINTEXT` (default), `SSL`, `SASL_PLAINTEXT`, `SASL_SSL` (any case) |
//! | `sasl.mechanism` / `sasl.mechanisms` | `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` |
//! | `sasl.jaas.config` | Java JAAS entry carrying `username` and `password` options |
//! | `sasl.username` / `sasl.password` | librdkafka credentials; each one, when set, overrides the value from `sasl.jaas.config` |
//! | `ssl.ca.location` | PEM file of trusted CA certificates |
//! | `ssl.truststore.location` + `ssl.truststore.type` | the same, Java style: a PEM, JKS or PKCS12 trust store |
//! | `ssl.truststore.password` | the trust store's password (PKCS12; checks a JKS store's integrity) |
//! | `ssl.certificate.location` + `ssl.key.location` | client certificate chain and private key (PEM) |
//! | `ssl.keystore.location` + `ssl.keystore.type` | one file with the client certificate chain and private key: PEM, JKS or PKCS12 |
//! | `ssl.keystore.password` | the key store's password |
//! | `ssl.key.password` | the private key's password: an encrypted PEM key, or a JKS key whose password differs from the store's |
//!
//! A store's type (`PEM`, `JKS`, `PKCS12`, any case; Java's default is JKS)
//! must be one of the three, and the file's content decides how it is read
//! (see `conn::keystore`).
//! | `ssl.endpoint.identification.algorithm` | `https` (default) verifies the host name; empty or `none` skips only the host name check |
//! | `enable.ssl.certificate.verification` | `false` accepts any server certificate (insecure) |
//! | `ssl.truststore.certificates` | trusted CA certificates as PEM text in the property itself (KIP-651; type PEM) |
//! | `ssl.keystore.certificate.chain` + `ssl.keystore.key` | the client certificate chain and private key as PEM text in the properties (KIP-651; the key may be encrypted, with `ssl.key.password`) |
//! | `ssl.cipher.suites` | cipher suites to offer: IANA names (Java) or OpenSSL names (librdkafka), `,` or `:` separated; suites not supported here are skipped with a warning |
//!
//! An empty value counts as unset, except for
//! `ssl.endpoint.identification.algorithm`, where it disables host name
//! verification as in the Java client. TLS properties are validated even when
//! the protocol does not use TLS (they are then unused), while SASL properties
//! given with a protocol that does not use SASL are an error, so that a
//! forgotten `security.protocol` does not silently connect without
//! authentication.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::keystore::StoreFormat;
use super::scram::ScramMechanism;

const SECURITY_PROTOCOL: &str = "security.protocol";
const SASL_MECHANISM: &str = "sasl.mechanism";
const SASL_MECHANISMS: &str = "sasl.mechanisms";
const SASL_JAAS_CONFIG: &str = "sasl.jaas.config";
const SASL_USERNAME: &str = "sasl.username";
const SASL_PASSWORD: &str = "sasl.password";
const SSL_CA_LOCATION: &str = "ssl.ca.location";
const SSL_TRUSTSTORE_LOCATION: &str = "ssl.truststore.location";
const SSL_TRUSTSTORE_TYPE: &str = "ssl.truststore.type";
const SSL_TRUSTSTORE_PASSWORD: &str = "ssl.truststore.password";
const SSL_CERTIFICATE_LOCATION: &str = "ssl.certificate.location";
const SSL_KEY_LOCATION: &str = "ssl.key.location";
const SSL_KEY_PASSWORD: &str = "ssl.key.password";
const SSL_KEYSTORE_LOCATION: &str = "ssl.keystore.location";
const SSL_KEYSTORE_TYPE: &str = "ssl.keystore.type";
const SSL_KEYSTORE_PASSWORD: &str = "ssl.keystore.password";
const SSL_ENDPOINT_IDENTIFICATION_ALGORITHM: &str = "ssl.endpoint.identification.algorithm";
const ENABLE_SSL_CERTIFICATE_VERIFICATION: &str = "enable.ssl.certificate.verification";
const SSL_CIPHER_SUITES: &str = "ssl.cipher.suites";
const SSL_TRUSTSTORE_CERTIFICATES: &str = "ssl.truststore.certificates";
const SSL_KEYSTORE_KEY: &str = "ssl.keystore.key";
const SSL_KEYSTORE_CERTIFICATE_CHAIN: &str = "ssl.keystore.certificate.chain";

/// Every property [`SecuritySettings::from_properties`] understands.
const KNOWN_KEYS: &[&str] = &[
    SECURITY_PROTOCOL,
    SASL_MECHANISM,
    SASL_MECHANISMS,
    SASL_JAAS_CONFIG,
    SASL_USERNAME,
    SASL_PASSWORD,
    SSL_CA_LOCATION,
    SSL_TRUSTSTORE_LOCATION,
    SSL_TRUSTSTORE_TYPE,
    SSL_TRUSTSTORE_PASSWORD,
    SSL_CERTIFICATE_LOCATION,
    SSL_KEY_LOCATION,
    SSL_KEY_PASSWORD,
    SSL_KEYSTORE_LOCATION,
    SSL_KEYSTORE_TYPE,
    SSL_KEYSTORE_PASSWORD,
    SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
    ENABLE_SSL_CERTIFICATE_VERIFICATION,
    SSL_CIPHER_SUITES,
    SSL_TRUSTSTORE_CERTIFICATES,
    SSL_KEYSTORE_KEY,
    SSL_KEYSTORE_CERTIFICATE_CHAIN,
];

const SUPPORTED_MECHANISMS: &str = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512";

/// How the client talks to brokers (`security.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// No TLS, no SASL.
    #[default]
    Plaintext,
    /// TLS, no SASL.
    Ssl,
    /// SASL without TLS.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// The Kafka name: `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether connections are wrapped in TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SecurityProtocol {
    type Err = SecurityConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        [
            SecurityProtocol::Plaintext,
            SecurityProtocol::Ssl,
            SecurityProtocol::SaslPlaintext,
            SecurityProtocol::SaslSsl,
        ]
        .into_iter()
        .find(|p| p.name().eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            SecurityConfigError::new(
                SECURITY_PROTOCOL,
                format!("unknown security protocol {s:?} (expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)"),
            )
        })
    }
}

/// SASL mechanism together with its credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    Plain {
        /// Authentication identity.
        username: String,
        /// Password, sent as is (use TLS).
        password: String,
    },
    /// `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    Scram {
        /// Hash function.
        mechanism: ScramMechanism,
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
}

impl SaslMechanism {
    /// The SASL mechanism name, as sent in `SaslHandshake`.
    pub fn name(&self) -> &'static str {
        match self {
            SaslMechanism::Plain { .. } => "PLAIN",
            SaslMechanism::Scram { mechanism, .. } => mechanism.name(),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        match self {
            SaslMechanism::Plain { username, .. } | SaslMechanism::Scram { username, .. } => {
                username
            }
        }
    }

    /// The password.
    pub fn password(&self) -> &str {
        match self {
            SaslMechanism::Plain { password, .. } | SaslMechanism::Scram { password, .. } => {
                password
            }
        }
    }
}

impl fmt::Debug for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaslMechanism::Plain { username, .. } => f
                .debug_struct("Plain")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            SaslMechanism::Scram {
                mechanism,
                username,
                ..
            } => f
                .debug_struct("Scram")
                .field("mechanism", mechanism)
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// TLS settings; see `conn::tls` for how they become a rustls configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Trust store with the CA certificates to trust (PEM, JKS or PKCS12);
    /// `None` trusts the built-in web PKI roots.
    pub ca_location: Option<PathBuf>,
    /// Password of the trust store.
    pub truststore_password: Option<String>,
    /// `ssl.truststore.certificates`: trusted CA certificates as PEM text,
    /// instead of `ca_location`.
    pub ca_pem: Option<String>,
    /// PEM file with the client certificate chain (leaf first), or a key
    /// store (PEM, JKS or PKCS12) when it is the same file as `key_location`.
    pub certificate_location: Option<PathBuf>,
    /// PEM file with the client private key (PKCS#8, PKCS#1 or SEC1, or
    /// encrypted PKCS#8), or the key store.
    pub key_location: Option<PathBuf>,
    /// Password of the key store.
    pub keystore_password: Option<String>,
    /// `ssl.keystore.certificate.chain` and `ssl.keystore.key`: the client
    /// certificate chain and private key as PEM text, instead of files.
    pub identity_pem: Option<(String, String)>,
    /// Password of the private key (an encrypted PEM key, or a JKS key entry;
    /// the key store password is used when unset).
    pub key_password: Option<String>,
    /// Check that the server certificate is valid for the host name
    /// (default `true`). When `false` the certificate chain is still verified.
    pub verify_hostname: bool,
    /// Verify the server certificate at all (default `true`). `false` is
    /// insecure: any certificate is accepted, so the connection is encrypted
    /// but not authenticated.
    pub verify_certificates: bool,
    /// Name to send as SNI and to verify the certificate against, instead of
    /// the host being connected to.
    pub server_name: Option<String>,
    /// `ssl.cipher.suites`: the cipher suites to offer (IANA names); empty
    /// offers every supported suite.
    pub cipher_suites: Vec<String>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            ca_location: None,
            truststore_password: None,
            ca_pem: None,
            certificate_location: None,
            key_location: None,
            keystore_password: None,
            identity_pem: None,
            key_password: None,
            verify_hostname: true,
            verify_certificates: true,
            server_name: None,
            cipher_suites: Vec::new(),
        }
    }
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_location", &self.ca_location)
            .field("truststore_password", &redacted(&self.truststore_password))
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<PEM>"))
            .field("certificate_location", &self.certificate_location)
            .field("key_location", &self.key_location)
            .field("keystore_password", &redacted(&self.keystore_password))
            .field(
                "identity_pem",
                &self.identity_pem.as_ref().map(|_| "<redacted>"),
            )
            .field("key_password", &redacted(&self.key_password))
            .field("verify_hostname", &self.verify_hostname)
            .field("verify_certificates", &self.verify_certificates)
            .field("server_name", &self.server_name)
            .field("cipher_suites", &self.cipher_suites)
            .finish()
    }
}

fn redacted(secret: &Option<String>) -> Option<&'static str> {
    secret.as_ref().map(|_| "<redacted>")
}

/// Security settings of a client.
#[derive(Debug, Clone, Default)]
pub struct SecuritySettings {
    /// `security.protocol`.
    pub protocol: SecurityProtocol,
    /// SASL mechanism and credentials; `Some` exactly when the protocol uses SASL.
    pub sasl: Option<SaslMechanism>,
    /// TLS settings; only used when the protocol uses TLS.
    pub tls: TlsSettings,
}

/// An invalid or unsupported security property.
#[derive(Debug, thiserror::Error)]
#[error("{property}: {message}")]
pub struct SecurityConfigError {
    /// The property at fault.
    pub property: String,
    /// What is wrong with it.
    pub message: String,
}

impl SecurityConfigError {
    fn new(property: &str, message: impl Into<String>) -> Self {
        SecurityConfigError {
            property: property.to_owned(),
            message: message.into(),
        }
    }
}

impl SecuritySettings {
    /// Parses the client properties (already stripped of any `client.`
    /// prefix), e.g. `("security.protocol", "SASL_SSL")`.
    ///
    /// Only the security properties are looked at; the returned list names
    /// the keys that were consumed (each once, in order of first
    /// appearance), so the caller can report the ones nobody understood.
    /// When a key appears more than once the last value wins.
    ///
    /// Credentials: `sasl.username` and `sasl.password`, when set, override
    /// the `username` and `password` options of `sasl.jaas.config`, each on
    /// its own.
    pub fn from_properties<'a>(
        props: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(SecuritySettings, Vec<String>), SecurityConfigError> {
        let mut consumed = Vec::new();
        let mut values: HashMap<&'static str, &'a str> = HashMap::new();
        for (key, value) in props {
            if let Some(&known) = KNOWN_KEYS.iter().find(|&&k| k == key) {
                if values.insert(known, value).is_none() {
                    consumed.push(known.to_owned());
                }
            }
        }
        let props = Props { values };

        let protocol = match props.get(SECURITY_PROTOCOL) {
            Some(value) => value.parse()?,
            None => SecurityProtocol::default(),
        };
        let sasl = parse_sasl(&props, protocol)?;
        let tls = parse_tls(&props)?;
        Ok((
            SecuritySettings {
                protocol,
                sasl,
                tls,
            },
            consumed,
        ))
    }

    /// Whether `from_properties` understands (and so consumes) this key.
    pub fn is_security_key(key: &str) -> bool {
        KNOWN_KEYS.contains(&key)
    }
}

/// The security properties that were given, last value per key.
struct Props<'a> {
    values: HashMap<&'static str, &'a str>,
}

impl<'a> Props<'a> {
    /// The value, or `None` when unset or empty (surrounding whitespace is
    /// ignored for this check only).
    fn get(&self, key: &str) -> Option<&'a str> {
        self.values
            .get(key)
            .copied()
            .filter(|v| !v.trim().is_empty())
    }

    /// The value, trimmed; `None` when unset or empty.
    fn get_trimmed(&self, key: &str) -> Option<&'a str> {
        self.get(key).map(str::trim)
    }

    /// The value as given, even when empty.
    fn get_raw(&self, key: &str) -> Option<&'a str> {
        self.values.get(key).copied()
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.get_trimmed(key).map(PathBuf::from)
    }
}

/// The mechanism named by `sasl.mechanism`, before credentials are attached.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MechanismKind {
    Plain,
    Scram(ScramMechanism),
}

impl MechanismKind {
    fn name(self) -> &'static str {
        match self {
            MechanismKind::Plain => "PLAIN",
            MechanismKind::Scram(m) => m.name(),
        }
    }
}

fn parse_mechanism(
    props: &Props<'_>,
) -> Result<Option<(&'static str, MechanismKind)>, SecurityConfigError> {
    let singular = props.get_trimmed(SASL_MECHANISM);
    let plural = props.get_trimmed(SASL_MECHANISMS);
    let (property, value) = match (singular, plural) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => {
            return Err(SecurityConfigError::new(
                SASL_MECHANISM,
                format!("conflicts with {SASL_MECHANISMS} ({a:?} vs {b:?}); set only one of them"),
            ))
        }
        (Some(a), _) => (SASL_MECHANISM, a),
        (None, Some(b)) => (SASL_MECHANISMS, b),
        (None, None) => return Ok(None),
    };
    let kind = if value.eq_ignore_ascii_case("PLAIN") {
        MechanismKind::Plain
    } else if let Some(scram) = ScramMechanism::from_name(value) {
        MechanismKind::Scram(scram)
    } else {
        return Err(SecurityConfigError::new(
            property,
            format!(
                "SASL mechanism {value:?} is not supported (supported: {SUPPORTED_MECHANISMS})"
            ),
        ));
    };
    Ok(Some((property, kind)))
}

fn parse_sasl(
    props: &Props<'_>,
    protocol: SecurityProtocol,
) -> Result<Option<SaslMechanism>, SecurityConfigError> {
    let mechanism = parse_mechanism(props)?;
    if !protocol.uses_sasl() {
        if let Some((property, kind)) = mechanism {
            return Err(SecurityConfigError::new(
                property,
                format!(
                    "SASL mechanism {} requires security.protocol SASL_PLAINTEXT or SASL_SSL, but it is {protocol}",
                    kind.name()
                ),
            ));
        }
        for key in [SASL_JAAS_CONFIG, SASL_USERNAME, SASL_PASSWORD] {
            if props.get(key).is_some() {
                return Err(SecurityConfigError::new(
                    key,
                    format!("SASL credentials are set but security.protocol is {protocol}; use SASL_PLAINTEXT or SASL_SSL"),
                ));
            }
        }
        return Ok(None);
    }

    let Some((_, kind)) = mechanism else {
        return Err(SecurityConfigError::new(
            SASL_MECHANISM,
            format!(
                "required with security.protocol {protocol} (supported: {SUPPORTED_MECHANISMS})"
            ),
        ));
    };

    let jaas = match props.get(SASL_JAAS_CONFIG) {
        Some(text) => {
            let entry =
                parse_jaas(text).map_err(|m| SecurityConfigError::new(SASL_JAAS_CONFIG, m))?;
            check_login_module(&entry.login_module, kind)?;
            Some(entry)
        }
        None => None,
    };
    let jaas_option = |name: &str| {
        jaas.as_ref()
            .and_then(|e| e.option(name))
            .map(str::to_owned)
    };

    let username = props
        .get(SASL_USERNAME)
        .map(str::to_owned)
        .or_else(|| jaas_option("username"));
    let password = props
        .get(SASL_PASSWORD)
        .map(str::to_owned)
        .or_else(|| jaas_option("password"));
    let credentials_property = if jaas.is_some() {
        SASL_JAAS_CONFIG
    } else {
        SASL_USERNAME
    };
    let username = match username {
        Some(u) if !u.is_empty() => u,
        _ => {
            return Err(SecurityConfigError::new(
                credentials_property,
                format!(
                    "no SASL user name for {}: set sasl.username or a username option in sasl.jaas.config",
                    kind.name()
                ),
            ))
        }
    };
    let Some(password) = password else {
        return Err(SecurityConfigError::new(
            if jaas.is_some() { SASL_JAAS_CONFIG } else { SASL_PASSWORD },
            format!(
                "no SASL password for {}: set sasl.password or a password option in sasl.jaas.config",
                kind.name()
            ),
        ));
    };

    Ok(Some(match kind {
        MechanismKind::Plain => SaslMechanism::Plain { username, password },
        MechanismKind::Scram(mechanism) => SaslMechanism::Scram {
            mechanism,
            username,
            password,
        },
    }))
}

/// Rejects the well-known login modules of the other mechanisms; other
/// module classes are accepted as long as they carry a user name and password.
fn check_login_module(module: &str, kind: MechanismKind) -> Result<(), SecurityConfigError> {
    let simple = module.rsplit('.').next().unwrap_or(module);
    let expected = match kind {
        MechanismKind::Plain => "PlainLoginModule",
        MechanismKind::Scram(_) => "ScramLoginModule",
    };
    let unsupported = [
        "Krb5LoginModule",
        "OAuthBearerLoginModule",
        "IAMLoginModule",
        "PlainLoginModule",
        "ScramLoginModule",
    ];
    if simple != expected && unsupported.contains(&simple) {
        return Err(SecurityConfigError::new(
            SASL_JAAS_CONFIG,
            format!(
                "login module {module} does not match sasl.mechanism {} (expected a {expected})",
                kind.name()
            ),
        ));
    }
    Ok(())
}

/// One parsed JAAS login module entry.
#[derive(Debug)]
struct JaasEntry {
    login_module: String,
    options: Vec<(String, String)>,
}

impl JaasEntry {
    /// Last value of an option (option names are case-sensitive, as in Java).
    fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, PartialEq, Eq)]
enum JaasToken {
    /// An unquoted word.
    Word(String),
    /// A quoted string, escapes resolved.
    Quoted(String),
    Equals,
    Semicolon,
}

/// Splits a JAAS configuration into tokens. Error messages never include
/// values, which may be secrets.
fn tokenize_jaas(text: &str) -> Result<Vec<JaasToken>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                tokens.push(JaasToken::Equals);
            }
            ';' => {
                chars.next();
                tokens.push(JaasToken::Semicolon);
            }
            '"' | '\'' => {
                let quote = c;
                chars.next();
                let mut value = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some('n') => value.push('\n'),
                            Some('t') => value.push('\t'),
                            Some('r') => value.push('\r'),
                            Some(other) => value.push(other),
                            None => break,
                        },
                        c if c == quote => {
                            closed = true;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                if !closed {
                    return Err(format!("unterminated {quote}-quoted value"));
                }
                tokens.push(JaasToken::Quoted(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '=' | ';' | '"' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(JaasToken::Word(word));
            }
        }
    }
    Ok(tokens)
}

/// Parses a `sasl.jaas.config` value: exactly one entry of the form
/// `<LoginModuleClass> <flag> [name=value ...];` where values are unquoted
/// words or single- or double-quoted strings with backslash escapes. The
/// final `;` may be omitted.
fn parse_jaas(text: &str) -> Result<JaasEntry, String> {
    let tokens = tokenize_jaas(text)?;
    let mut iter = tokens.into_iter().peekable();

    let login_module = match iter.next() {
        Some(JaasToken::Word(w)) => w,
        Some(_) => return Err("expected a login module class name at the start".to_owned()),
        None => return Err("empty JAAS configuration".to_owned()),
    };
    match iter.next() {
        Some(JaasToken::Word(flag))
            if ["required", "requisite", "sufficient", "optional"]
                .iter()
                .any(|f| f.eq_ignore_ascii_case(&flag)) => {}
        _ => {
            return Err(format!(
                "expected a control flag (required, requisite, sufficient or optional) after {login_module}"
            ))
        }
    }

    let mut options = Vec::new();
    loop {
        match iter.next() {
            None => break,
            Some(JaasToken::Semicolon) => {
                if iter.next().is_some() {
                    return Err("only one login module entry is supported".to_owned());
                }
                break;
            }
            Some(JaasToken::Word(name)) => {
                if iter.next() != Some(JaasToken::Equals) {
                    return Err(format!("expected '=' after option {name:?}"));
                }
                match iter.next() {
                    Some(JaasToken::Word(value)) | Some(JaasToken::Quoted(value)) => {
                        options.push((name, value))
                    }
                    _ => return Err(format!("expected a value for option {name:?}")),
                }
            }
            Some(_) => return Err("expected an option name (name=value) or ';'".to_owned()),
        }
    }
    Ok(JaasEntry {
        login_module,
        options,
    })
}

/// Resolves a Java-style store (`*.location` + `*.type`): the type, when
/// given, must be PEM, JKS or PKCS12; the file's content decides how it is
/// read.
fn store(
    props: &Props<'_>,
    location_key: &str,
    type_key: &str,
) -> Result<Option<PathBuf>, SecurityConfigError> {
    if let Some(t) = props.get_trimmed(type_key) {
        if StoreFormat::from_type_name(t).is_none() {
            return Err(SecurityConfigError::new(
                type_key,
                format!("unknown store type {t:?} (expected PEM, JKS or PKCS12)"),
            ));
        }
    }
    Ok(props.path(location_key))
}

/// KIP-651: PEM text in the properties themselves. The stores they stand
/// for must be of type PEM (or untyped), and files for the same thing are a
/// conflict.
fn parse_inline_pem(props: &Props<'_>, tls: &mut TlsSettings) -> Result<(), SecurityConfigError> {
    let not_pem = |type_key: &str| {
        props
            .get_trimmed(type_key)
            .is_some_and(|t| !t.eq_ignore_ascii_case("PEM"))
    };
    if let Some(certificates) = props.get(SSL_TRUSTSTORE_CERTIFICATES) {
        if not_pem(SSL_TRUSTSTORE_TYPE) {
            return Err(SecurityConfigError::new(
                SSL_TRUSTSTORE_TYPE,
                format!("must be PEM with {SSL_TRUSTSTORE_CERTIFICATES}"),
            ));
        }
        if tls.ca_location.is_some() {
            return Err(SecurityConfigError::new(
                SSL_TRUSTSTORE_CERTIFICATES,
                format!("conflicts with {SSL_CA_LOCATION}/{SSL_TRUSTSTORE_LOCATION}; set only one of them"),
            ));
        }
        tls.ca_pem = Some(certificates.to_owned());
    }
    match (
        props.get(SSL_KEYSTORE_CERTIFICATE_CHAIN),
        props.get(SSL_KEYSTORE_KEY),
    ) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(SecurityConfigError::new(
            SSL_KEYSTORE_KEY,
            format!("required when {SSL_KEYSTORE_CERTIFICATE_CHAIN} is set"),
        )),
        (None, Some(_)) => Err(SecurityConfigError::new(
            SSL_KEYSTORE_CERTIFICATE_CHAIN,
            format!("required when {SSL_KEYSTORE_KEY} is set"),
        )),
        (Some(chain), Some(key)) => {
            if not_pem(SSL_KEYSTORE_TYPE) {
                return Err(SecurityConfigError::new(
                    SSL_KEYSTORE_TYPE,
                    format!("must be PEM with {SSL_KEYSTORE_KEY}"),
                ));
            }
            if tls.certificate_location.is_some() {
                return Err(SecurityConfigError::new(
                    SSL_KEYSTORE_KEY,
                    format!("conflicts with {SSL_KEYSTORE_LOCATION}/{SSL_CERTIFICATE_LOCATION}; set only one of them"),
                ));
            }
            tls.identity_pem = Some((chain.to_owned(), key.to_owned()));
            Ok(())
        }
    }
}

fn parse_bool(props: &Props<'_>, key: &str) -> Result<Option<bool>, SecurityConfigError> {
    let Some(value) = props.get_trimmed(key) else {
        return Ok(None);
    };
    if ["true", "1", "yes", "on"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(value))
    {
        Ok(Some(true))
    } else if ["false", "0", "no", "off"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(value))
    {
        Ok(Some(false))
    } else {
        Err(SecurityConfigError::new(
            key,
            format!("expected true or false, got {value:?}"),
        ))
    }
}

fn parse_tls(props: &Props<'_>) -> Result<TlsSettings, SecurityConfigError> {
    let mut tls = TlsSettings::default();

    // Trusted CAs.
    let ca = props.path(SSL_CA_LOCATION);
    let truststore = store(props, SSL_TRUSTSTORE_LOCATION, SSL_TRUSTSTORE_TYPE)?;
    tls.ca_location = match (ca, truststore) {
        (Some(a), Some(b)) if a != b => {
            return Err(SecurityConfigError::new(
                SSL_CA_LOCATION,
                format!("conflicts with {SSL_TRUSTSTORE_LOCATION}; set only one of them"),
            ))
        }
        (a, b) => a.or(b),
    };
    tls.truststore_password = props.get(SSL_TRUSTSTORE_PASSWORD).map(str::to_owned);

    // Client certificate and key.
    let certificate = props.path(SSL_CERTIFICATE_LOCATION);
    let key = props.path(SSL_KEY_LOCATION);
    let keystore = store(props, SSL_KEYSTORE_LOCATION, SSL_KEYSTORE_TYPE)?;
    if let Some(keystore) = keystore {
        if certificate.is_some() || key.is_some() {
            return Err(SecurityConfigError::new(
                SSL_KEYSTORE_LOCATION,
                format!("conflicts with {SSL_CERTIFICATE_LOCATION}/{SSL_KEY_LOCATION}; set either the key store or the certificate and key"),
            ));
        }
        tls.certificate_location = Some(keystore.clone());
        tls.key_location = Some(keystore);
    } else {
        match (&certificate, &key) {
            (Some(_), None) => {
                return Err(SecurityConfigError::new(
                    SSL_KEY_LOCATION,
                    format!("required when {SSL_CERTIFICATE_LOCATION} is set"),
                ))
            }
            (None, Some(_)) => {
                return Err(SecurityConfigError::new(
                    SSL_CERTIFICATE_LOCATION,
                    format!("required when {SSL_KEY_LOCATION} is set"),
                ))
            }
            _ => {}
        }
        tls.certificate_location = certificate;
        tls.key_location = key;
    }
    tls.keystore_password = props.get(SSL_KEYSTORE_PASSWORD).map(str::to_owned);
    tls.key_password = props.get(SSL_KEY_PASSWORD).map(str::to_owned);
    parse_inline_pem(props, &mut tls)?;

    // Verification.
    if let Some(algorithm) = props.get_raw(SSL_ENDPOINT_IDENTIFICATION_ALGORITHM) {
        let algorithm = algorithm.trim();
        tls.verify_hostname = if algorithm.eq_ignore_ascii_case("https") {
            true
        } else if algorithm.is_empty() || algorithm.eq_ignore_ascii_case("none") {
            false
        } else {
            return Err(SecurityConfigError::new(
                SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
                format!("unknown algorithm {algorithm:?} (expected https, or empty/none to disable host name verification)"),
            ));
        };
    }
    if let Some(verify) = parse_bool(props, ENABLE_SSL_CERTIFICATE_VERIFICATION)? {
        tls.verify_certificates = verify;
    }
    if let Some(list) = props.get_trimmed(SSL_CIPHER_SUITES) {
        tls.cipher_suites = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        super::tls::cipher_suites(&tls.cipher_suites)
            .map_err(|e| SecurityConfigError::new(SSL_CIPHER_SUITES, e.to_string()))?;
    }
    Ok(tls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        props: &[(&str, &str)],
    ) -> Result<(SecuritySettings, Vec<String>), SecurityConfigError> {
        SecuritySettings::from_properties(props.iter().copied())
    }

    fn parse_ok(props: &[(&str, &str)]) -> SecuritySettings {
        parse(props).unwrap().0
    }

    fn parse_err(props: &[(&str, &str)]) -> SecurityConfigError {
        match parse(props) {
            Ok((settings, _)) => panic!("expected an error, got {settings:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults() {
        let (settings, consumed) = parse(&[]).unwrap();
        assert_eq!(settings.protocol, SecurityProtocol::Plaintext);
        assert!(settings.sasl.is_none());
        assert_eq!(settings.tls, TlsSettings::default());
        assert!(settings.tls.verify_hostname);
        assert!(settings.tls.verify_certificates);
        assert!(consumed.is_empty());
    }

    #[test]
    fn protocol_names() {
        for (text, expected) in [
            ("PLAINTEXT", SecurityProtocol::Plaintext),
            ("plaintext", SecurityProtocol::Plaintext),
            ("SSL", SecurityProtocol::Ssl),
            ("ssl", SecurityProtocol::Ssl),
            ("Sasl_Plaintext", SecurityProtocol::SaslPlaintext),
            (" SASL_SSL ", SecurityProtocol::SaslSsl),
        ] {
            assert_eq!(text.parse::<SecurityProtocol>().unwrap(), expected);
        }
        let err = "TLS".parse::<SecurityProtocol>().unwrap_err();
        assert_eq!(err.property, "security.protocol");
        assert!(SecurityProtocol::SaslSsl.uses_tls() && SecurityProtocol::SaslSsl.uses_sasl());
        assert!(SecurityProtocol::Ssl.uses_tls() && !SecurityProtocol::Ssl.uses_sasl());
        assert!(
            !SecurityProtocol::SaslPlaintext.uses_tls()
                && SecurityProtocol::SaslPlaintext.uses_sasl()
        );
        assert_eq!(
            SecurityProtocol::SaslPlaintext.to_string(),
            "SASL_PLAINTEXT"
        );
        assert_eq!(
            parse_ok(&[("security.protocol", "ssl")]).protocol,
            SecurityProtocol::Ssl
        );
        assert_eq!(
            parse_err(&[("security.protocol", "bogus")]).property,
            "security.protocol"
        );
    }

    #[test]
    fn consumed_keys_and_unknown_keys() {
        let (settings, consumed) = parse(&[
            ("bootstrap.servers", "localhost:9092"),
            ("security.protocol", "SSL"),
            ("ssl.ca.location", "/etc/ca.pem"),
            ("linger.ms", "5"),
            ("security.protocol", "SSL"),
        ])
        .unwrap();
        assert_eq!(settings.protocol, SecurityProtocol::Ssl);
        assert_eq!(
            consumed,
            vec!["security.protocol".to_owned(), "ssl.ca.location".to_owned()]
        );
        assert!(SecuritySettings::is_security_key("sasl.jaas.config"));
        assert!(SecuritySettings::is_security_key("ssl.keystore.type"));
        assert!(SecuritySettings::is_security_key(
            "enable.ssl.certificate.verification"
        ));
        assert!(!SecuritySettings::is_security_key("bootstrap.servers"));
        assert!(!SecuritySettings::is_security_key("SECURITY.PROTOCOL"));
        for key in KNOWN_KEYS {
            assert!(SecuritySettings::is_security_key(key));
        }
    }

    #[test]
    fn last_value_wins() {
        let settings = parse_ok(&[
            ("security.protocol", "PLAINTEXT"),
            ("security.protocol", "SSL"),
        ]);
        assert_eq!(settings.protocol, SecurityProtocol::Ssl);
    }

    #[test]
    fn jaas_plain_with_double_quotes_and_escapes() {
        let settings = parse_ok(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr\"et";"#,
            ),
        ]);
        assert_eq!(settings.protocol, SecurityProtocol::SaslSsl);
        assert_eq!(
            settings.sasl,
            Some(SaslMechanism::Plain {
                username: "alice".into(),
                password: "s3cr\"et".into()
            })
        );
        let sasl = settings.sasl.unwrap();
        assert_eq!(sasl.name(), "PLAIN");
        assert_eq!(sasl.username(), "alice");
        assert_eq!(sasl.password(), "s3cr\"et");
    }

    #[test]
    fn jaas_scram_with_single_quotes() {
        for (mechanism, expected) in [
            ("SCRAM-SHA-256", ScramMechanism::Sha256),
            ("scram-sha-512", ScramMechanism::Sha512),
        ] {
            let settings = parse_ok(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", mechanism),
                (
                    "sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required username='bob' password='x';",
                ),
            ]);
            assert_eq!(
                settings.sasl,
                Some(SaslMechanism::Scram {
                    mechanism: expected,
                    username: "bob".into(),
                    password: "x".into()
                })
            );
            assert_eq!(settings.sasl.unwrap().name(), expected.name());
        }
    }

    #[test]
    fn jaas_syntax_variants() {
        let entry = parse_jaas(
            "  com.example.Module  REQUIRED\n  username=plainword\tpassword = 'it\\'s \\\\ \"ok\"'\n  extra=\"a;b=c\" ;  ",
        )
        .unwrap();
        assert_eq!(entry.login_module, "com.example.Module");
        assert_eq!(entry.option("username"), Some("plainword"));
        assert_eq!(entry.option("password"), Some("it's \\ \"ok\""));
        assert_eq!(entry.option("extra"), Some("a;b=c"));
        // Unquoted values with $ (Azure Event Hubs style), no trailing ';'.
        let entry = parse_jaas("x.PlainLoginModule optional username=$ConnectionString password=\"Endpoint=sb://h/;Key=v\"")
            .unwrap();
        assert_eq!(entry.option("username"), Some("$ConnectionString"));
        assert_eq!(entry.option("password"), Some("Endpoint=sb://h/;Key=v"));
        // Escapes inside quotes.
        let entry = parse_jaas(r#"M required password="a\nb\tc\\d\'e";"#).unwrap();
        assert_eq!(entry.option("password"), Some("a\nb\tc\\d'e"));
        // Empty quoted values are values.
        let entry = parse_jaas(r#"M sufficient password="";"#).unwrap();
        assert_eq!(entry.option("password"), Some(""));
    }

    #[test]
    fn jaas_syntax_errors() {
        for bad in [
            "",
            "   ",
            "Module",
            "Module maybe username=a;",
            "\"Module\" required;",
            "Module required username;",
            "Module required username=;",
            "Module required username=a password=\"unterminated;",
            "Module required = a;",
            "Module required username=a; Other required password=b;",
            "Module required username=a password='x\\",
        ] {
            assert!(parse_jaas(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn jaas_errors_do_not_leak_values() {
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "M required username=alice password=\"topsecret",
            ),
        ]);
        assert_eq!(err.property, "sasl.jaas.config");
        assert!(!err.to_string().contains("topsecret"), "{err}");
    }

    #[test]
    fn librdkafka_credentials_and_precedence() {
        let settings = parse_ok(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "carol"),
            ("sasl.password", "pw"),
        ]);
        assert_eq!(
            settings.sasl,
            Some(SaslMechanism::Scram {
                mechanism: ScramMechanism::Sha512,
                username: "carol".into(),
                password: "pw".into()
            })
        );

        // sasl.username / sasl.password override the JAAS options, each on its own.
        let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"jaasuser\" password=\"jaaspw\";";
        let settings = parse_ok(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.jaas.config", jaas),
            ("sasl.username", "override"),
        ]);
        assert_eq!(
            settings.sasl,
            Some(SaslMechanism::Plain {
                username: "override".into(),
                password: "jaaspw".into()
            })
        );
        let settings = parse_ok(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.jaas.config", jaas),
            ("sasl.password", "newpw"),
        ]);
        assert_eq!(
            settings.sasl,
            Some(SaslMechanism::Plain {
                username: "jaasuser".into(),
                password: "newpw".into()
            })
        );
    }

    #[test]
    fn mechanism_property_aliases() {
        let base = [
            ("security.protocol", "SASL_SSL"),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
        ];
        let mut both_same = base.to_vec();
        both_same.extend([("sasl.mechanism", "PLAIN"), ("sasl.mechanisms", "plain")]);
        assert_eq!(parse_ok(&both_same).sasl.unwrap().name(), "PLAIN");
        let mut conflicting = base.to_vec();
        conflicting.extend([
            ("sasl.mechanism", "PLAIN"),
            ("sasl.mechanisms", "SCRAM-SHA-256"),
        ]);
        assert_eq!(parse_err(&conflicting).property, "sasl.mechanism");
    }

    #[test]
    fn unsupported_mechanisms() {
        for mechanism in ["GSSAPI", "OAUTHBEARER", "AWS_MSK_IAM", "SCRAM-SHA-1"] {
            let err = parse_err(&[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", mechanism),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ]);
            assert_eq!(err.property, "sasl.mechanism");
            assert!(err.message.contains("not supported"), "{err}");
            assert!(err.message.contains("SCRAM-SHA-512"), "{err}");
        }
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "GSSAPI"),
        ]);
        assert_eq!(err.property, "sasl.mechanisms");
    }

    #[test]
    fn sasl_mechanism_without_sasl_protocol() {
        for protocol in [None, Some("PLAINTEXT"), Some("SSL")] {
            let mut props = vec![
                ("sasl.mechanism", "PLAIN"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ];
            if let Some(p) = protocol {
                props.push(("security.protocol", p));
            }
            let err = parse_err(&props);
            assert_eq!(err.property, "sasl.mechanism");
            assert!(err.message.contains("SASL_SSL"), "{err}");
        }
        let err = parse_err(&[("security.protocol", "SSL"), ("sasl.username", "u")]);
        assert_eq!(err.property, "sasl.username");
        let err = parse_err(&[("sasl.jaas.config", "M required username=a password=b;")]);
        assert_eq!(err.property, "sasl.jaas.config");
        // Empty values count as unset.
        let settings = parse_ok(&[("sasl.mechanism", ""), ("sasl.username", "")]);
        assert!(settings.sasl.is_none());
    }

    #[test]
    fn sasl_protocol_without_mechanism_or_credentials() {
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
        ]);
        assert_eq!(err.property, "sasl.mechanism");
        assert!(err.message.contains("required"), "{err}");

        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
        ]);
        assert_eq!(err.property, "sasl.username");
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "u"),
        ]);
        assert_eq!(err.property, "sasl.password");
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\";",
            ),
        ]);
        assert_eq!(err.property, "sasl.jaas.config");
        assert!(err.message.contains("password"), "{err}");
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required password=\"p\";",
            ),
        ]);
        assert!(err.message.contains("user name"), "{err}");
    }

    #[test]
    fn login_module_must_match_mechanism() {
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            ("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=a password=b;"),
        ]);
        assert_eq!(err.property, "sasl.jaas.config");
        assert!(err.message.contains("ScramLoginModule"), "{err}");
        let err = parse_err(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
            ),
        ]);
        assert_eq!(err.property, "sasl.jaas.config");
        // Unknown (custom) modules are fine when they carry credentials.
        let settings = parse_ok(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "com.example.CustomLoginModule required username=a password=b;",
            ),
        ]);
        assert_eq!(settings.sasl.unwrap().username(), "a");
    }

    #[test]
    fn debug_redacts_secrets() {
        let plain = SaslMechanism::Plain {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        let scram = SaslMechanism::Scram {
            mechanism: ScramMechanism::Sha256,
            username: "bob".into(),
            password: "hunter3".into(),
        };
        let tls = TlsSettings {
            key_password: Some("hunter4".into()),
            ..TlsSettings::default()
        };
        let settings = SecuritySettings {
            protocol: SecurityProtocol::SaslSsl,
            sasl: Some(scram.clone()),
            tls: tls.clone(),
        };
        for text in [
            format!("{plain:?}"),
            format!("{scram:?}"),
            format!("{tls:?}"),
            format!("{settings:?}"),
            format!("{settings:#?}"),
        ] {
            for secret in ["hunter2", "hunter3", "hunter4"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        assert!(format!("{plain:?}").contains("alice"));
        assert!(format!("{scram:?}").contains("Sha256"));
        assert!(format!("{tls:?}").contains("redacted"));
    }

    #[test]
    fn ca_locations() {
        let settings = parse_ok(&[
            ("security.protocol", "SSL"),
            ("ssl.ca.location", "/etc/kafka/ca.pem"),
        ]);
        assert_eq!(
            settings.tls.ca_location,
            Some(PathBuf::from("/etc/kafka/ca.pem"))
        );

        let settings = parse_ok(&[
            ("ssl.truststore.location", "/etc/kafka/truststore.pem"),
            ("ssl.truststore.type", "pem"),
            ("ssl.truststore.password", "ignored"),
        ]);
        assert_eq!(
            settings.tls.ca_location,
            Some(PathBuf::from("/etc/kafka/truststore.pem"))
        );

        // Same file twice is fine; different files conflict.
        parse_ok(&[
            ("ssl.ca.location", "/a.pem"),
            ("ssl.truststore.location", "/a.pem"),
            ("ssl.truststore.type", "PEM"),
        ]);
        let err = parse_err(&[
            ("ssl.ca.location", "/a.pem"),
            ("ssl.truststore.location", "/b.pem"),
            ("ssl.truststore.type", "PEM"),
        ]);
        assert_eq!(err.property, "ssl.ca.location");
    }

    #[test]
    fn java_trust_stores() {
        for store_type in [Some("JKS"), Some("PKCS12"), Some("pkcs12"), None] {
            let mut props = vec![
                ("security.protocol", "SSL"),
                ("ssl.truststore.location", "/etc/kafka/truststore.jks"),
                ("ssl.truststore.password", "changeit"),
            ];
            if let Some(t) = store_type {
                props.push(("ssl.truststore.type", t));
            }
            let tls = parse_ok(&props).tls;
            assert_eq!(
                tls.ca_location,
                Some(PathBuf::from("/etc/kafka/truststore.jks"))
            );
            assert_eq!(tls.truststore_password.as_deref(), Some("changeit"));
        }
        let err = parse_err(&[
            ("ssl.truststore.location", "/x"),
            ("ssl.truststore.type", "BKS"),
        ]);
        assert_eq!(err.property, "ssl.truststore.type");
        assert!(err.message.contains("PEM, JKS or PKCS12"), "{err}");
        // A type without a location is harmless.
        parse_ok(&[("ssl.truststore.type", "JKS")]);
    }

    #[test]
    fn client_certificate_and_key() {
        let settings = parse_ok(&[
            ("security.protocol", "SSL"),
            ("ssl.certificate.location", "/c.pem"),
            ("ssl.key.location", "/k.pem"),
        ]);
        assert_eq!(
            settings.tls.certificate_location,
            Some(PathBuf::from("/c.pem"))
        );
        assert_eq!(settings.tls.key_location, Some(PathBuf::from("/k.pem")));

        assert_eq!(
            parse_err(&[("ssl.certificate.location", "/c.pem")]).property,
            "ssl.key.location"
        );
        assert_eq!(
            parse_err(&[("ssl.key.location", "/k.pem")]).property,
            "ssl.certificate.location"
        );

        // The password of an encrypted key.
        let tls = parse_ok(&[
            ("ssl.certificate.location", "/c.pem"),
            ("ssl.key.location", "/k.pem"),
            ("ssl.key.password", "secret"),
        ])
        .tls;
        assert_eq!(tls.key_password.as_deref(), Some("secret"));
        // An empty key password is the same as none.
        let tls = parse_ok(&[
            ("ssl.certificate.location", "/c.pem"),
            ("ssl.key.location", "/k.pem"),
            ("ssl.key.password", ""),
        ])
        .tls;
        assert_eq!(tls.key_password, None);
    }

    #[test]
    fn key_stores() {
        let settings = parse_ok(&[
            ("security.protocol", "SSL"),
            ("ssl.keystore.location", "/etc/kafka/client.pem"),
            ("ssl.keystore.type", "PEM"),
        ]);
        assert_eq!(
            settings.tls.certificate_location,
            Some(PathBuf::from("/etc/kafka/client.pem"))
        );
        assert_eq!(
            settings.tls.key_location,
            Some(PathBuf::from("/etc/kafka/client.pem"))
        );

        for store_type in [Some("JKS"), Some("PKCS12"), None] {
            let mut props = vec![
                ("ssl.keystore.location", "/etc/kafka/client.p12"),
                ("ssl.keystore.password", "store-pw"),
                ("ssl.key.password", "key-pw"),
            ];
            if let Some(t) = store_type {
                props.push(("ssl.keystore.type", t));
            }
            let tls = parse_ok(&props).tls;
            let store = Some(PathBuf::from("/etc/kafka/client.p12"));
            assert_eq!(
                (&tls.certificate_location, &tls.key_location),
                (&store, &store)
            );
            assert_eq!(tls.keystore_password.as_deref(), Some("store-pw"));
            assert_eq!(tls.key_password.as_deref(), Some("key-pw"));
        }
        let err = parse_err(&[
            ("ssl.keystore.location", "/k.jceks"),
            ("ssl.keystore.type", "JCEKS"),
        ]);
        assert_eq!(err.property, "ssl.keystore.type");
        let err = parse_err(&[
            ("ssl.keystore.location", "/k.pem"),
            ("ssl.keystore.type", "PEM"),
            ("ssl.certificate.location", "/c.pem"),
            ("ssl.key.location", "/k.pem"),
        ]);
        assert_eq!(err.property, "ssl.keystore.location");
    }

    #[test]
    fn pem_text_in_the_properties() {
        let tls = parse_ok(&[
            (
                "ssl.truststore.certificates",
                "-----BEGIN CERTIFICATE----- ca",
            ),
            ("ssl.truststore.type", "PEM"),
            (
                "ssl.keystore.certificate.chain",
                "-----BEGIN CERTIFICATE----- c",
            ),
            ("ssl.keystore.key", "-----BEGIN PRIVATE KEY----- k"),
        ])
        .tls;
        assert_eq!(
            tls.ca_pem.as_deref(),
            Some("-----BEGIN CERTIFICATE----- ca")
        );
        let (chain, key) = tls.identity_pem.clone().unwrap();
        assert_eq!(
            (chain.as_str(), key.as_str()),
            (
                "-----BEGIN CERTIFICATE----- c",
                "-----BEGIN PRIVATE KEY----- k"
            )
        );
        assert!(!format!("{tls:?}").contains("PRIVATE KEY"));

        for (props, property) in [
            (
                vec![("ssl.keystore.key", "k")],
                "ssl.keystore.certificate.chain",
            ),
            (
                vec![("ssl.keystore.certificate.chain", "c")],
                "ssl.keystore.key",
            ),
            (
                vec![
                    ("ssl.truststore.certificates", "c"),
                    ("ssl.truststore.type", "JKS"),
                ],
                "ssl.truststore.type",
            ),
            (
                vec![
                    ("ssl.truststore.certificates", "c"),
                    ("ssl.ca.location", "/ca.pem"),
                ],
                "ssl.truststore.certificates",
            ),
            (
                vec![
                    ("ssl.keystore.key", "k"),
                    ("ssl.keystore.certificate.chain", "c"),
                    ("ssl.keystore.location", "/k.p12"),
                ],
                "ssl.keystore.key",
            ),
        ] {
            assert_eq!(parse_err(&props).property, property, "{props:?}");
        }
    }

    #[test]
    fn cipher_suites() {
        let tls = parse_ok(&[(
            "ssl.cipher.suites",
            " TLS_AES_256_GCM_SHA384 , TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,",
        )])
        .tls;
        assert_eq!(
            tls.cipher_suites,
            [
                "TLS_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ]
        );
        let err = parse_err(&[(
            "ssl.cipher.suites",
            "TLS_AES_256_GCM_SHA384,TLS_NOT_A_SUITE",
        )]);
        assert_eq!(err.property, "ssl.cipher.suites");
        assert!(err.message.contains("TLS_NOT_A_SUITE"), "{err}");
    }

    #[test]
    fn endpoint_identification() {
        assert!(
            parse_ok(&[("ssl.endpoint.identification.algorithm", "https")])
                .tls
                .verify_hostname
        );
        assert!(
            parse_ok(&[("ssl.endpoint.identification.algorithm", "HTTPS")])
                .tls
                .verify_hostname
        );
        let settings = parse_ok(&[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", ""),
        ]);
        assert!(!settings.tls.verify_hostname);
        assert!(
            settings.tls.verify_certificates,
            "the chain is still verified"
        );
        assert!(
            !parse_ok(&[("ssl.endpoint.identification.algorithm", "none")])
                .tls
                .verify_hostname
        );
        assert_eq!(
            parse_err(&[("ssl.endpoint.identification.algorithm", "ldap")]).property,
            "ssl.endpoint.identification.algorithm"
        );
    }

    #[test]
    fn certificate_verification_toggle() {
        for (value, expected) in [
            ("false", false),
            ("FALSE", false),
            ("0", false),
            ("true", true),
            ("1", true),
        ] {
            let settings = parse_ok(&[
                ("security.protocol", "SSL"),
                ("enable.ssl.certificate.verification", value),
            ]);
            assert_eq!(settings.tls.verify_certificates, expected, "{value}");
        }
        assert!(
            parse_ok(&[("enable.ssl.certificate.verification", "")])
                .tls
                .verify_certificates
        );
        assert_eq!(
            parse_err(&[("enable.ssl.certificate.verification", "maybe")]).property,
            "enable.ssl.certificate.verification"
        );
    }

    #[test]
    fn full_java_style_config() {
        let (settings, consumed) = parse(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"svc\" password=\"pw\";",
            ),
            ("ssl.truststore.location", "/etc/kafka/ca.pem"),
            ("ssl.truststore.type", "PEM"),
            ("ssl.endpoint.identification.algorithm", ""),
            ("client.id", "x"),
        ])
        .unwrap();
        assert_eq!(consumed.len(), 6);
        assert!(!consumed.contains(&"client.id".to_owned()));
        assert_eq!(settings.sasl.as_ref().unwrap().name(), "SCRAM-SHA-512");
        assert_eq!(
            settings.tls.ca_location,
            Some(PathBuf::from("/etc/kafka/ca.pem"))
        );
        assert!(!settings.tls.verify_hostname);
    }
}
