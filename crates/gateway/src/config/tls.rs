//! The `ssl.*` settings of `https://` listeners, under the names Confluent's
//! REST Proxy uses. Key and trust stores are PEM, JKS or PKCS12 files
//! (`ssl.keystore.type`, `ssl.truststore.type`; see `wire::conn::keystore`).

use std::fmt;

use wire::conn::keystore::StoreFormat;

use super::{ConfigError, RawConfig};

/// Settings of this module, for the list of known settings.
pub(crate) const SETTINGS: &[&str] = &[
    "ssl.cipher.suites",
    "ssl.client.auth",
    "ssl.client.authentication",
    "ssl.enabled.protocols",
    "ssl.key.password",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.keystore.type",
    "ssl.protocol",
    "ssl.truststore.location",
    "ssl.truststore.password",
    "ssl.truststore.type",
];

/// Whether HTTPS clients must present a certificate
/// (`ssl.client.authentication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuthentication {
    /// No certificate is asked for.
    #[default]
    None,
    /// A certificate is asked for; a client without one is still served,
    /// one with a certificate the truststore does not vouch for is not.
    Requested,
    /// A certificate issued by a truststore CA is required.
    Required,
}

impl ClientAuthentication {
    /// The setting's value: `NONE`, `REQUESTED` or `REQUIRED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Requested => "REQUESTED",
            Self::Required => "REQUIRED",
        }
    }
}

impl fmt::Display for ClientAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A TLS protocol version `ssl.enabled.protocols` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// The Java name: `TLSv1.2` or `TLSv1.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }
}

/// The TLS settings of `https://` listeners.
#[derive(Clone, PartialEq, Eq)]
pub struct ListenerTls {
    /// `ssl.keystore.location`: the server's private key and certificate
    /// chain, in a PEM, JKS or PKCS12 file. Empty when unset.
    pub keystore_location: String,
    /// `ssl.keystore.type`: `PEM`, `JKS` or `PKCS12`, as configured (the
    /// file's content decides how it is read).
    pub keystore_type: String,
    /// `ssl.keystore.password`: the keystore's password. Secret.
    pub keystore_password: String,
    /// `ssl.key.password`: the private key's password (an encrypted PEM key,
    /// or a JKS key whose password differs from the store's). Secret.
    pub key_password: String,
    /// `ssl.truststore.location`: the CA certificates client certificates
    /// are checked against, in a PEM, JKS or PKCS12 file. Empty when unset.
    pub truststore_location: String,
    /// `ssl.truststore.type`: as `keystore_type`.
    pub truststore_type: String,
    /// `ssl.truststore.password`: the truststore's password. Secret.
    pub truststore_password: String,
    /// `ssl.client.authentication` (or the older `ssl.client.auth=true`).
    pub client_authentication: ClientAuthentication,
    /// `ssl.enabled.protocols`, in the order given.
    pub enabled_protocols: Vec<TlsVersion>,
    /// `ssl.cipher.suites`: the cipher suites offered (IANA names, checked
    /// when loaded); empty offers every supported suite.
    pub cipher_suites: Vec<String>,
    /// `ssl.protocol`: `TLS`, `TLSv1.2` or `TLSv1.3` (the handshake
    /// negotiates among `ssl.enabled.protocols` in every case).
    pub protocol: String,
}

impl fmt::Debug for ListenerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |s: &str| if s.is_empty() { "" } else { super::REDACTED };
        f.debug_struct("ListenerTls")
            .field("keystore_location", &self.keystore_location)
            .field("keystore_type", &self.keystore_type)
            .field("keystore_password", &secret(&self.keystore_password))
            .field("key_password", &secret(&self.key_password))
            .field("truststore_location", &self.truststore_location)
            .field("truststore_type", &self.truststore_type)
            .field("truststore_password", &secret(&self.truststore_password))
            .field("client_authentication", &self.client_authentication)
            .field("enabled_protocols", &self.enabled_protocols)
            .field("cipher_suites", &self.cipher_suites)
            .field("protocol", &self.protocol)
            .finish()
    }
}

impl ListenerTls {
    /// Reads and checks the settings. `https` says whether any listener
    /// uses them (a keystore is then required).
    pub(super) fn from_raw(raw: &RawConfig, https: bool) -> Result<Self, ConfigError> {
        let store_type = |key: &str| {
            let store_type = raw.string(key, "PEM");
            match StoreFormat::from_type_name(&store_type) {
                Some(_) => Ok(store_type.trim().to_ascii_uppercase()),
                None => Err(raw.invalid(
                    key,
                    format!(
                        "`{store_type}` is not a store type the gateway reads: PEM, JKS or PKCS12"
                    ),
                )),
            }
        };
        let keystore_type = store_type("ssl.keystore.type")?;
        let truststore_type = store_type("ssl.truststore.type")?;

        let client_authentication = match raw.value("ssl.client.authentication") {
            Some(text) if !text.is_empty() => match text.to_ascii_uppercase().as_str() {
                "NONE" => ClientAuthentication::None,
                "REQUESTED" => ClientAuthentication::Requested,
                "REQUIRED" => ClientAuthentication::Required,
                _ => {
                    return Err(raw.invalid(
                        "ssl.client.authentication",
                        format!("`{text}` is not one of NONE, REQUESTED, REQUIRED"),
                    ))
                }
            },
            _ => match raw.bool("ssl.client.auth", false)? {
                true => ClientAuthentication::Required,
                false => ClientAuthentication::None,
            },
        };

        let mut enabled_protocols = Vec::new();
        for name in raw.list("ssl.enabled.protocols", "TLSv1.2,TLSv1.3") {
            let version = match name.as_str() {
                "TLSv1.2" => TlsVersion::Tls12,
                "TLSv1.3" => TlsVersion::Tls13,
                _ => {
                    return Err(raw.invalid(
                        "ssl.enabled.protocols",
                        format!("`{name}` is not supported; the protocols are TLSv1.2 and TLSv1.3"),
                    ))
                }
            };
            if !enabled_protocols.contains(&version) {
                enabled_protocols.push(version);
            }
        }
        if enabled_protocols.is_empty() {
            return Err(raw.invalid(
                "ssl.enabled.protocols",
                "at least one of TLSv1.2 and TLSv1.3 must be enabled",
            ));
        }

        let cipher_suites = raw.list("ssl.cipher.suites", "");
        if let Err(err) = wire::conn::tls::cipher_suites(&cipher_suites) {
            return Err(raw.invalid("ssl.cipher.suites", err.to_string()));
        }

        let protocol = raw.string("ssl.protocol", "TLS");
        if !["TLS", "TLSv1.2", "TLSv1.3"].contains(&protocol.as_str()) {
            return Err(raw.invalid(
                "ssl.protocol",
                format!("`{protocol}` is not one of TLS, TLSv1.2, TLSv1.3"),
            ));
        }

        let tls = ListenerTls {
            keystore_location: raw.string("ssl.keystore.location", ""),
            keystore_type,
            keystore_password: raw.string("ssl.keystore.password", ""),
            key_password: raw.string("ssl.key.password", ""),
            truststore_location: raw.string("ssl.truststore.location", ""),
            truststore_type,
            truststore_password: raw.string("ssl.truststore.password", ""),
            client_authentication,
            enabled_protocols,
            cipher_suites,
            protocol,
        };
        if https && tls.keystore_location.is_empty() {
            return Err(raw.invalid(
                "listeners",
                "an https:// listener needs `ssl.keystore.location`: a PEM, JKS or PKCS12 \
                 file with the server's private key and certificate chain",
            ));
        }
        if https
            && tls.client_authentication != ClientAuthentication::None
            && tls.truststore_location.is_empty()
        {
            return Err(raw.invalid(
                "ssl.client.authentication",
                format!(
                    "{} needs `ssl.truststore.location`: a PEM, JKS or PKCS12 file with the \
                     CA certificates that issue client certificates",
                    tls.client_authentication
                ),
            ));
        }
        Ok(tls)
    }

    /// The settings as properties, secrets included.
    pub(super) fn put_properties(&self, put: &mut impl FnMut(&str, String)) {
        put("ssl.cipher.suites", self.cipher_suites.join(","));
        put(
            "ssl.client.authentication",
            self.client_authentication.as_str().to_owned(),
        );
        let protocols: Vec<&str> = self.enabled_protocols.iter().map(|v| v.as_str()).collect();
        put("ssl.enabled.protocols", protocols.join(","));
        put("ssl.key.password", self.key_password.clone());
        put("ssl.keystore.location", self.keystore_location.clone());
        put("ssl.keystore.password", self.keystore_password.clone());
        put("ssl.keystore.type", self.keystore_type.clone());
        put("ssl.protocol", self.protocol.clone());
        put("ssl.truststore.location", self.truststore_location.clone());
        put("ssl.truststore.password", self.truststore_password.clone());
        put("ssl.truststore.type", self.truststore_type.clone());
    }
}
