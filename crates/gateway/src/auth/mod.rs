//! REST client authentication (`authentication.method=BASIC`): HTTP Basic
//! credentials (RFC 7617) checked against the users of a JAAS realm, as
//! Confluent's REST Proxy does with Jetty's `PropertyFileLoginModule`.
//!
//! The JAAS configuration (`java.security.auth.login.config`) names, under
//! the realm's entry, the password file ([`users`]). Both are read when the
//! gateway starts. A request without valid credentials gets 401 with a
//! `WWW-Authenticate: Basic realm="..."` challenge; a user without one of
//! `authentication.roles` gets 403. Paths in `authentication.skip.paths`
//! are served without credentials.

mod jaas;
mod users;

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::config::{AuthenticationMethod, RestAuthentication};
use crate::error::ApiError;
use crate::negotiate::V2_JSON;
use crate::response::{self, Response};

/// The authentication settings could not be put to use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthSetupError {
    /// A file could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    ReadFile {
        /// What the file holds.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file's content is not usable.
    #[error("{what} {}: {message}", path.display())]
    Invalid {
        /// What the file holds.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Checks the credentials of HTTP Basic requests.
#[derive(Debug)]
pub struct BasicAuthenticator {
    realm: String,
    challenge: HeaderValue,
    users: HashMap<String, users::User>,
    roles: Vec<String>,
    skip_paths: Vec<String>,
}

impl BasicAuthenticator {
    /// The authenticator `settings` ask for, reading the JAAS configuration
    /// and the password file; `None` without authentication.
    pub fn from_settings(
        settings: &RestAuthentication,
    ) -> Result<Option<BasicAuthenticator>, AuthSetupError> {
        if settings.method != AuthenticationMethod::Basic {
            return Ok(None);
        }
        let jaas_path = PathBuf::from(&settings.login_config);
        let jaas = read(&jaas_path, "JAAS configuration")?;
        let password_file = jaas::password_file(&jaas, &settings.realm).map_err(|message| {
            AuthSetupError::Invalid {
                what: "JAAS configuration",
                path: jaas_path.clone(),
                message,
            }
        })?;
        let password_path = PathBuf::from(password_file);
        let text = read(&password_path, "password file")?;
        let users = users::parse(&text).map_err(|message| AuthSetupError::Invalid {
            what: "password file",
            path: password_path.clone(),
            message,
        })?;
        let challenge = HeaderValue::from_str(&format!(
            "Basic realm=\"{}\"",
            settings.realm.replace(['"', '\\'], "")
        ))
        .map_err(|_| AuthSetupError::Invalid {
            what: "JAAS configuration",
            path: jaas_path,
            message: format!("realm `{}` cannot be sent in a header", settings.realm),
        })?;
        Ok(Some(BasicAuthenticator {
            realm: settings.realm.clone(),
            challenge,
            users,
            roles: settings.roles.clone(),
            skip_paths: settings.skip_paths.clone(),
        }))
    }

    /// The realm's name.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The 401 or 403 response for a request for `path` with `headers`
    /// that may not be served; `None` when it may.
    pub fn refusal(&self, path: &str, headers: &HeaderMap) -> Option<Response> {
        if self.skips(path) {
            return None;
        }
        let Some((user, password)) = credentials(headers) else {
            return Some(self.unauthorized());
        };
        let Some(known) = self.users.get(&user).filter(|u| u.accepts(&password)) else {
            tracing::info!(user = %user, "authentication failed");
            return Some(self.unauthorized());
        };
        if !self.roles.is_empty() && !known.roles.iter().any(|r| self.roles.contains(r)) {
            return Some(response::error(
                &ApiError::new(StatusCode::FORBIDDEN, 403, "HTTP 403 Forbidden"),
                V2_JSON,
            ));
        }
        None
    }

    fn skips(&self, path: &str) -> bool {
        self.skip_paths
            .iter()
            .any(|skip| match skip.strip_suffix("/*") {
                Some(prefix) => {
                    path == prefix
                        || path
                            .strip_prefix(prefix)
                            .is_some_and(|rest| rest.starts_with('/'))
                }
                None => path == skip,
            })
    }

    fn unauthorized(&self) -> Response {
        let mut response = response::error(
            &ApiError::new(StatusCode::UNAUTHORIZED, 401, "HTTP 401 Unauthorized"),
            V2_JSON,
        );
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, self.challenge.clone());
        response
    }
}

/// The user name and password of an `Authorization: Basic` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn read(path: &std::path::Path, what: &'static str) -> Result<String, AuthSetupError> {
    std::fs::read(path)
        .map(|bytes| crate::config::properties::decode(&bytes).into_owned())
        .map_err(|source| AuthSetupError::ReadFile {
            what,
            path: path.to_owned(),
            source,
        })
}
