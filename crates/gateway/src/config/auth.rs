//! `authentication.*`: how REST clients authenticate, under the names
//! Confluent's REST Proxy uses. `BASIC` checks HTTP Basic credentials
//! against the users of a JAAS realm backed by a Jetty-style password file
//! (see `crate::auth`).

use super::{ConfigError, RawConfig};

/// Settings of this module, for the list of known settings.
pub(crate) const SETTINGS: &[&str] = &[
    "authentication.method",
    "authentication.realm",
    "authentication.roles",
    "authentication.skip.paths",
    "java.security.auth.login.config",
];

/// `authentication.method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthenticationMethod {
    /// Every request is served (TLS client certificates aside).
    #[default]
    None,
    /// HTTP Basic authentication (RFC 7617).
    Basic,
}

impl AuthenticationMethod {
    /// The setting's value: `NONE` or `BASIC`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Basic => "BASIC",
        }
    }
}

/// How REST clients authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestAuthentication {
    /// `authentication.method`.
    pub method: AuthenticationMethod,
    /// `authentication.realm`: the JAAS configuration entry holding the
    /// users (Confluent's examples use `KafkaRest`).
    pub realm: String,
    /// `authentication.roles`: a user needs one of these roles; `*` (the
    /// default) accepts every user the realm knows.
    pub roles: Vec<String>,
    /// `authentication.skip.paths`: paths served without authentication,
    /// exact (`/v3/clusters`) or ending in `/*` for everything below.
    pub skip_paths: Vec<String>,
    /// `java.security.auth.login.config`: the JAAS configuration file (the
    /// JVM system property Confluent's proxy reads it from).
    pub login_config: String,
}

impl RestAuthentication {
    /// Reads and checks the settings.
    pub(super) fn from_raw(raw: &RawConfig) -> Result<Self, ConfigError> {
        let method = match raw
            .string("authentication.method", "NONE")
            .to_ascii_uppercase()
            .as_str()
        {
            "NONE" | "" => AuthenticationMethod::None,
            "BASIC" => AuthenticationMethod::Basic,
            other => {
                return Err(raw.invalid(
                    "authentication.method",
                    format!("`{other}` is not supported; the methods are NONE and BASIC"),
                ))
            }
        };
        let auth = RestAuthentication {
            method,
            realm: raw.string("authentication.realm", "").trim().to_owned(),
            roles: raw
                .list("authentication.roles", "*")
                .into_iter()
                .filter(|r| r != "*")
                .collect(),
            skip_paths: raw.list("authentication.skip.paths", ""),
            login_config: raw.string("java.security.auth.login.config", ""),
        };
        if method == AuthenticationMethod::Basic {
            if auth.realm.is_empty() {
                return Err(raw.invalid(
                    "authentication.method",
                    "BASIC needs `authentication.realm`: the JAAS entry of the users \
                     (for example `KafkaRest`)",
                ));
            }
            if auth.login_config.is_empty() {
                return Err(raw.invalid(
                    "authentication.method",
                    "BASIC needs `java.security.auth.login.config`: the JAAS configuration file",
                ));
            }
        }
        if let Some(path) = auth.skip_paths.iter().find(|p| !p.starts_with('/')) {
            return Err(raw.invalid(
                "authentication.skip.paths",
                format!("`{path}` is not a path (it must start with `/`)"),
            ));
        }
        Ok(auth)
    }

    /// The settings as properties.
    pub(super) fn put_properties(&self, put: &mut impl FnMut(&str, String)) {
        put("authentication.method", self.method.as_str().to_owned());
        put("authentication.realm", self.realm.clone());
        let roles = if self.roles.is_empty() {
            "*".to_owned()
        } else {
            self.roles.join(",")
        };
        put("authentication.roles", roles);
        put("authentication.skip.paths", self.skip_paths.join(","));
        put("java.security.auth.login.config", self.login_config.clone());
    }
}
