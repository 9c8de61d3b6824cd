//! A Schema Registry client for the schema embedded formats (`avro`,
//! `jsonschema`, `protobuf`).
//!
//! Speaks the Confluent Schema Registry REST API
//! (`/subjects/{subject}/versions`, `/schemas/ids/{id}`, ...) to the URLs of
//! `schema.registry.url`, trying them in order. Schemas are parsed once and
//! cached by ID, registrations by subject and schema text, so a steady flow
//! of records costs no registry call.
//!
//! Records carry the registry's wire format: a zero byte, the schema ID as
//! a big-endian 32-bit integer, then the Avro binary datum ([`frame`] and
//! [`unframe`]).

mod http;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::http::Method;
use base64::Engine as _;
use serde_json::{json, Value};
use wire::conn::security::SecurityConfigError;
use wire::conn::{SecuritySettings, TlsSettings};

use crate::format::schema::{Reference, Schema, SchemaType};
pub use http::Endpoint;

/// How long one registry call may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Cached schemas and registrations kept before the caches are emptied.
const CACHE_LIMIT: usize = 10_000;

/// Most schemas one schema may reference, directly and indirectly.
const MAX_REFERENCES: usize = 256;

/// The magic byte that starts a record in the registry's wire format.
pub const MAGIC: u8 = 0;

/// Why a registry call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// No registry answered, or it failed (network, timeout, 5xx).
    #[error("{0}")]
    Unreachable(String),
    /// The registry refused the request (4xx), with its error code.
    #[error("{message}")]
    Rejected {
        /// HTTP status of the registry's answer.
        status: u16,
        /// The registry's `error_code` (40401 subject not found, 40403
        /// schema not found, 409 incompatible, 42201 invalid schema, ...).
        error_code: Option<i64>,
        /// Its message.
        message: String,
    },
    /// The schema text is not a valid schema of its type.
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    /// The schema is of another type than the request's format.
    #[error("Schema {id} is a {found} schema, not a {expected} schema")]
    WrongType {
        /// The schema's ID.
        id: i32,
        /// The type the request's format needs.
        expected: SchemaType,
        /// The schema's type (`schemaType`).
        found: SchemaType,
    },
}

impl RegistryError {
    /// Whether the registry said that what was asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RegistryError::Rejected { status: 404, .. })
    }
}

impl From<RegistryError> for crate::error::ApiError {
    /// 422 / 42205 for a schema that is not valid Avro, 408 / 40801 for a
    /// registration or lookup the registry failed or refused.
    fn from(e: RegistryError) -> Self {
        use crate::error::ApiError;
        match e {
            RegistryError::InvalidSchema(_) | RegistryError::WrongType { .. } => {
                ApiError::invalid_schema(e.to_string())
            }
            RegistryError::Rejected { .. } | RegistryError::Unreachable(_) => {
                ApiError::schema_registry(format!("Schema registration or lookup failed: {e}"))
            }
        }
    }
}

/// A schema known to the registry.
#[derive(Debug)]
pub struct RegisteredSchema {
    /// Its global ID.
    pub id: i32,
    /// The parsed schema.
    pub schema: Schema,
}

impl RegisteredSchema {
    /// Checks that the schema is of type `kind` (a
    /// [`RegistryError::WrongType`] otherwise).
    pub fn expect_type(&self, kind: SchemaType) -> Result<(), RegistryError> {
        if self.schema.kind() == kind {
            Ok(())
        } else {
            Err(RegistryError::WrongType {
                id: self.id,
                expected: kind,
                found: self.schema.kind(),
            })
        }
    }
}

/// A schema as a version of a subject.
#[derive(Debug, Clone)]
pub struct SubjectVersion {
    /// The schema.
    pub schema: Arc<RegisteredSchema>,
    /// Its version under the subject.
    pub version: i32,
}

/// The `schema.registry.ssl.*` settings: the Kafka client's `ssl.*` TLS
/// settings under the `schema.registry.` prefix, read the same way.
pub const SSL_SETTINGS: &[&str] = &[
    "schema.registry.ssl.truststore.location",
    "schema.registry.ssl.truststore.password",
    "schema.registry.ssl.truststore.type",
    "schema.registry.ssl.truststore.certificates",
    "schema.registry.ssl.keystore.location",
    "schema.registry.ssl.keystore.password",
    "schema.registry.ssl.keystore.type",
    "schema.registry.ssl.key.password",
    "schema.registry.ssl.keystore.key",
    "schema.registry.ssl.keystore.certificate.chain",
    "schema.registry.ssl.endpoint.identification.algorithm",
    "schema.registry.ssl.cipher.suites",
];

/// The prefix of the registry's settings.
const PREFIX: &str = "schema.registry.";

/// How to reach the Schema Registry (`schema.registry.*`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegistrySettings {
    /// `schema.registry.url`: comma-separated `http://` or `https://` URLs.
    pub urls: String,
    /// `user:password` (`schema.registry.basic.auth.user.info` when the
    /// credentials source is `USER_INFO`); otherwise the URLs' own.
    pub user_info: Option<String>,
    /// The [`SSL_SETTINGS`] given, by their names without the
    /// `schema.registry.` prefix (`ssl.truststore.location`, ...): the CA
    /// certificates trusted for `https` (the web PKI roots if none) and the
    /// client certificate, if any.
    pub ssl: BTreeMap<String, String>,
}

impl RegistrySettings {
    /// The TLS settings of [`ssl`](Self::ssl); an error names the
    /// `schema.registry.ssl.*` setting at fault.
    pub fn tls(&self) -> Result<TlsSettings, SecurityConfigError> {
        let properties = std::iter::once(("security.protocol", "SSL"))
            .chain(self.ssl.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        SecuritySettings::from_properties(properties)
            .map(|(settings, _)| settings.tls)
            .map_err(|e| SecurityConfigError {
                property: format!("{PREFIX}{}", e.property),
                message: e.message,
            })
    }

    /// The `schema.registry.ssl.*` settings given, by their full names.
    pub fn ssl_properties(&self) -> impl Iterator<Item = (String, &str)> {
        self.ssl
            .iter()
            .map(|(k, v)| (format!("{PREFIX}{k}"), v.as_str()))
    }
}

impl std::fmt::Debug for RegistrySettings {
    /// Credentials are not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "[hidden]");
        let ssl: BTreeMap<String, String> = self
            .ssl_properties()
            .map(|(k, v)| {
                let shown = crate::config::redact(&k, v).into_owned();
                (k, shown)
            })
            .collect();
        f.debug_struct("RegistrySettings")
            .field("urls", &crate::config::redact_url_credentials(&self.urls))
            .field("user_info", &hidden(&self.user_info))
            .field("ssl", &ssl)
            .finish()
    }
}

/// The Schema Registry of `schema.registry.url`.
pub struct SchemaRegistry {
    endpoints: Vec<Endpoint>,
    tls: tokio_rustls::TlsConnector,
    /// `Authorization` header value, if credentials are configured.
    authorization: Option<String>,
    timeout: Duration,
    by_id: Mutex<HashMap<i32, Arc<RegisteredSchema>>>,
    /// (subject, type, schema text) → registered ID.
    registered: Mutex<HashMap<(String, SchemaType, String), i32>>,
    /// (subject, schema ID) → version.
    versions: Mutex<HashMap<(String, i32), i32>>,
}

impl std::fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistry")
            .field("endpoints", &self.endpoints.len())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SchemaRegistry {
    /// A client for `settings`.
    pub fn new(settings: &RegistrySettings, timeout: Duration) -> Result<SchemaRegistry, String> {
        let endpoints = settings
            .urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(Endpoint::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if endpoints.is_empty() {
            return Err("no Schema Registry URL".into());
        }
        let credentials = settings
            .user_info
            .clone()
            .or_else(|| endpoints.iter().find_map(|e| e.user_info.clone()));
        let authorization = credentials.map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        let tls = settings.tls().map_err(|e| e.to_string())?;
        let tls = wire::conn::tls::client_config(&tls).map_err(|e| e.to_string())?;
        Ok(SchemaRegistry {
            endpoints,
            tls: tokio_rustls::TlsConnector::from(tls),
            authorization,
            timeout,
            by_id: Mutex::default(),
            registered: Mutex::default(),
            versions: Mutex::default(),
        })
    }

    /// Registers `schema` (the text of a schema of type `kind`) under
    /// `subject`, or finds it registered there already; returns it with
    /// its ID.
    pub async fn register(
        &self,
        subject: &str,
        kind: SchemaType,
        schema: &str,
    ) -> Result<Arc<RegisteredSchema>, RegistryError> {
        let key = (subject.to_owned(), kind, schema.to_owned());
        if let Some(id) = lock(&self.registered).get(&key).copied() {
            if let Some(found) = lock(&self.by_id).get(&id) {
                return Ok(found.clone());
            }
        }
        let parsed = Schema::parse(kind, schema).map_err(RegistryError::InvalidSchema)?;
        let reply = self
            .call(
                Method::POST,
                &format!("/subjects/{}/versions", path_segment(subject)),
                Some(&schema_body(kind, schema)),
            )
            .await?;
        let id = int_field(&reply, "id")?;
        let registered = Arc::new(RegisteredSchema { id, schema: parsed });
        insert(&self.registered, key, id);
        insert(&self.by_id, id, registered.clone());
        Ok(registered)
    }

    /// The version under `subject` of `schema`, whose text is `text`.
    pub async fn version_of(
        &self,
        subject: &str,
        schema: &RegisteredSchema,
        text: &str,
    ) -> Result<i32, RegistryError> {
        let key = (subject.to_owned(), schema.id);
        if let Some(v) = lock(&self.versions).get(&key).copied() {
            return Ok(v);
        }
        let reply = self
            .call(
                Method::POST,
                &format!("/subjects/{}", path_segment(subject)),
                Some(&schema_body(schema.schema.kind(), text)),
            )
            .await?;
        let version = int_field(&reply, "version")?;
        insert(&self.versions, key, version);
        Ok(version)
    }

    /// The schema with ID `id`.
    pub async fn by_id(&self, id: i32) -> Result<Arc<RegisteredSchema>, RegistryError> {
        if let Some(found) = lock(&self.by_id).get(&id) {
            return Ok(found.clone());
        }
        let reply = self
            .call(Method::GET, &format!("/schemas/ids/{id}"), None)
            .await?;
        let registered = Arc::new(RegisteredSchema {
            id,
            schema: self.parse_reply_schema(id, &reply).await?,
        });
        insert(&self.by_id, id, registered.clone());
        Ok(registered)
    }

    /// Version `version` of `subject` (`None`: the latest).
    pub async fn by_version(
        &self,
        subject: &str,
        version: Option<i32>,
    ) -> Result<SubjectVersion, RegistryError> {
        let which = version.map_or_else(|| "latest".to_owned(), |v| v.to_string());
        let reply = self
            .call(
                Method::GET,
                &format!("/subjects/{}/versions/{which}", path_segment(subject)),
                None,
            )
            .await?;
        let id = int_field(&reply, "id")?;
        let version = int_field(&reply, "version")?;
        let cached = lock(&self.by_id).get(&id).cloned();
        let schema = match cached {
            Some(found) => found,
            None => Arc::new(RegisteredSchema {
                id,
                schema: self.parse_reply_schema(id, &reply).await?,
            }),
        };
        insert(&self.by_id, id, schema.clone());
        insert(&self.versions, (subject.to_owned(), id), version);
        Ok(SubjectVersion { schema, version })
    }

    /// The schema of a registry answer (`schema`, `schemaType`,
    /// `references`), compiled with the schemas it references.
    async fn parse_reply_schema(&self, id: i32, reply: &Value) -> Result<Schema, RegistryError> {
        let named = reply.get("schemaType").and_then(Value::as_str);
        let kind = SchemaType::from_registry_name(named).ok_or_else(|| {
            RegistryError::InvalidSchema(format!(
                "schema {id} is of type {}, which is not supported",
                named.unwrap_or_default()
            ))
        })?;
        let text = reply
            .get("schema")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("schema"))?;
        let references = self.references_of(reply).await?;
        Schema::parse_with_references(kind, text, &references).map_err(RegistryError::InvalidSchema)
    }

    /// Every schema a registry answer references, directly or through
    /// other references, fetched by subject and version; each comes before
    /// the schemas that use it, and each subject version once.
    async fn references_of(&self, reply: &Value) -> Result<Vec<Reference>, RegistryError> {
        struct Pending {
            refs: Vec<ReferenceSpec>,
            next: usize,
            /// The referenced schema these are the references of.
            schema: Option<Reference>,
        }
        let mut stack = vec![Pending {
            refs: ReferenceSpec::list(reply)?,
            next: 0,
            schema: None,
        }];
        let mut seen = HashSet::new();
        let mut resolved = Vec::new();
        while let Some(top) = stack.last_mut() {
            let Some(spec) = top.refs.get(top.next).cloned() else {
                if let Some(done) = stack.pop().and_then(|p| p.schema) {
                    resolved.push(done);
                }
                continue;
            };
            top.next += 1;
            if !seen.insert((spec.subject.clone(), spec.version)) {
                continue;
            }
            if seen.len() > MAX_REFERENCES {
                return Err(RegistryError::InvalidSchema(format!(
                    "the schema references more than {MAX_REFERENCES} schemas"
                )));
            }
            let which = spec
                .version
                .map_or_else(|| "latest".to_owned(), |v| v.to_string());
            let path = format!("/subjects/{}/versions/{which}", path_segment(&spec.subject));
            let referenced = self
                .call(Method::GET, &path, None)
                .await
                .map_err(|e| spec.failed(e))?;
            let text = referenced
                .get("schema")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("schema"))?;
            stack.push(Pending {
                refs: ReferenceSpec::list(&referenced)?,
                next: 0,
                schema: Some(Reference {
                    name: spec.name,
                    text: text.to_owned(),
                }),
            });
        }
        Ok(resolved)
    }

    /// One call, to each registry URL in turn until one answers.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, RegistryError> {
        let mut last = None;
        for endpoint in &self.endpoints {
            let reply = http::call(
                endpoint,
                &self.tls,
                self.authorization.as_deref(),
                method.clone(),
                path,
                body,
                self.timeout,
            )
            .await;
            match reply {
                Ok(reply) if reply.status.is_success() => return Ok(reply.body),
                Ok(reply) if reply.status.is_client_error() => return Err(rejected(&reply)),
                Ok(reply) => {
                    last = Some(RegistryError::Unreachable(format!(
                        "the Schema Registry at {} failed: {}",
                        endpoint.authority(),
                        rejected(&reply)
                    )))
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| RegistryError::Unreachable("no Schema Registry URL".into())))
    }
}

/// Prefixes an Avro datum with the wire format's magic byte and schema ID.
pub fn frame(schema_id: i32, out: &mut Vec<u8>) {
    out.push(MAGIC);
    out.extend_from_slice(&schema_id.to_be_bytes());
}

/// Splits a record in the wire format into its schema ID and datum.
pub fn unframe(data: &[u8]) -> Result<(i32, &[u8]), String> {
    match data {
        [MAGIC, a, b, c, d, datum @ ..] => Ok((i32::from_be_bytes([*a, *b, *c, *d]), datum)),
        [] => Err("empty data is not in the Schema Registry wire format".into()),
        [MAGIC, ..] => Err(format!(
            "{} bytes are too short for the Schema Registry wire format",
            data.len()
        )),
        [other, ..] => Err(format!(
            "Unknown magic byte {other} (not in the Schema Registry wire format)"
        )),
    }
}

/// The body that registers or looks up `text` (`schemaType` is left out
/// for Avro, the registry's default).
fn schema_body(kind: SchemaType, text: &str) -> Value {
    match kind {
        SchemaType::Avro => json!({ "schema": text }),
        other => json!({ "schema": text, "schemaType": other.registry_name() }),
    }
}

/// One entry of a registry answer's `references`.
#[derive(Debug, Clone)]
struct ReferenceSpec {
    /// The name the referring schema uses.
    name: String,
    subject: String,
    /// `None`: the latest (`-1`).
    version: Option<i32>,
}

impl ReferenceSpec {
    /// The `references` of a registry answer (none if absent).
    fn list(reply: &Value) -> Result<Vec<ReferenceSpec>, RegistryError> {
        let Some(refs) = reply.get("references").filter(|r| !r.is_null()) else {
            return Ok(Vec::new());
        };
        let refs = refs.as_array().ok_or_else(|| malformed("references"))?;
        refs.iter()
            .map(|r| {
                let text = |field: &str| {
                    r.get(field)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| malformed(&format!("references[].{field}")))
                };
                let version =
                    int_field(r, "version").map_err(|_| malformed("references[].version"))?;
                Ok(ReferenceSpec {
                    name: text("name")?,
                    subject: text("subject")?,
                    version: (version != -1).then_some(version),
                })
            })
            .collect()
    }

    /// `error`, from fetching this reference, saying so.
    fn failed(&self, error: RegistryError) -> RegistryError {
        let version = self
            .version
            .map_or_else(|| "latest".to_owned(), |v| v.to_string());
        let context = format!(
            "the referenced schema \"{}\" (subject \"{}\", version {version})",
            self.name, self.subject
        );
        match error {
            RegistryError::Rejected {
                status,
                error_code,
                message,
            } => RegistryError::Rejected {
                status,
                error_code,
                message: format!("{context}: {message}"),
            },
            RegistryError::Unreachable(message) => {
                RegistryError::Unreachable(format!("{context}: {message}"))
            }
            other => other,
        }
    }
}

fn int_field(reply: &Value, field: &str) -> Result<i32, RegistryError> {
    reply
        .get(field)
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| malformed(field))
}

fn malformed(field: &str) -> RegistryError {
    RegistryError::Unreachable(format!(
        "the Schema Registry's answer has no valid `{field}`"
    ))
}

fn rejected(reply: &http::Reply) -> RegistryError {
    let error_code = reply.body.get("error_code").and_then(Value::as_i64);
    let message = reply
        .body
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {}", reply.status));
    RegistryError::Rejected {
        status: reply.status.as_u16(),
        error_code,
        message,
    }
}

/// Percent-encodes a subject for use as one path segment.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn insert<K: std::hash::Hash + Eq, V>(cache: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut cache = lock(cache);
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(key, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_round_trip() {
        let mut out = Vec::new();
        frame(0x0102_0304, &mut out);
        out.extend_from_slice(b"datum");
        assert_eq!(out[..5], [0, 1, 2, 3, 4]);
        assert_eq!(unframe(&out).unwrap(), (0x0102_0304, &b"datum"[..]));
        assert!(unframe(b"").unwrap_err().contains("empty"));
        assert!(unframe(&[0, 1, 2]).unwrap_err().contains("too short"));
        assert!(unframe(b"{\"a\":1}")
            .unwrap_err()
            .contains("magic byte 123"));
    }

    #[test]
    fn subjects_are_escaped_in_paths() {
        assert_eq!(path_segment("orders-value"), "orders-value");
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn credentials_come_from_user_info_or_the_url() {
        let settings = |urls: &str, user_info: Option<&str>| RegistrySettings {
            urls: urls.into(),
            user_info: user_info.map(str::to_owned),
            ..RegistrySettings::default()
        };
        let new = |s| SchemaRegistry::new(&s, DEFAULT_TIMEOUT);
        let r = new(settings("http://u:p@sr:8081", None)).unwrap();
        assert_eq!(r.authorization.as_deref(), Some("Basic dTpw"));
        let r = new(settings("http://u:p@sr:8081", Some("a:b"))).unwrap();
        assert_eq!(r.authorization.as_deref(), Some("Basic YTpi"));
        assert!(new(settings(" , ", None)).is_err());
    }
}
