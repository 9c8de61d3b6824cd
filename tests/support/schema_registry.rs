//! A Schema Registry for the Avro tests: the part of Confluent's Schema
//! Registry REST API that the gateway and Python's `confluent-kafka`
//! client use, in memory, on a free loopback port, stopped when dropped.
//!
//! Served: `POST /subjects/{subject}/versions` (register; the same schema
//! keeps its ID across subjects), `POST /subjects/{subject}` (look a schema
//! up), `GET /subjects/{subject}/versions/{version|latest}`,
//! `GET /schemas/ids/{id}` and `GET /subjects`, with the registry's error
//! bodies (`40401` subject not found, `40402` version not found, `40403`
//! schema not found, `42201` invalid schema), for the three schema types
//! (`schemaType` `AVRO`, the default, `JSON` and `PROTOBUF`). Avro and JSON
//! schemas are compared as JSON values, so formatting does not matter;
//! Protobuf schemas as text. With [`SchemaRegistry::start_with_user`]
//! every request needs HTTP Basic credentials.
//!
//! Schema references work as in Confluent's registry: registering and
//! looking up take an optional `"references": [{"name", "subject",
//! "version"}]`, a schema is the same schema only with the same references
//! (in the same order), the answers about a schema carry its `references`
//! (the key is left out when there are none), and registering a schema
//! whose reference names a subject or version the registry does not have
//! is refused with `422` / `42201`. [`SchemaRegistry::register`] registers
//! from a test directly; [`SchemaRegistry::register_unchecked`] stores a
//! schema without checking its references (to test references that cannot
//! be resolved).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

/// A schema reference: the name the referring schema uses (an import
/// path, a full Avro name, a JSON Schema `$ref`), and the subject and
/// version of the referenced schema.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    name: String,
    subject: String,
    version: i64,
}

impl Reference {
    fn json(&self) -> Value {
        json!({"name": self.name, "subject": self.subject, "version": self.version})
    }
}

/// A registered schema: its `schemaType` (`AVRO`, `JSON`, `PROTOBUF`), its
/// text and its references.
#[derive(Debug, Clone)]
struct Registered {
    kind: String,
    text: String,
    references: Vec<Reference>,
}

impl Registered {
    /// Whether `other` is the same schema: same type, the same JSON value
    /// (Avro, JSON Schema) or text (Protobuf), and the same references.
    fn same(&self, kind: &str, text: &str, references: &[Reference]) -> bool {
        self.kind == kind
            && self.references == references
            && match serde_json::from_str::<Value>(&self.text) {
                Ok(mine) => serde_json::from_str::<Value>(text).ok() == Some(mine),
                Err(_) => self.text.trim() == text.trim(),
            }
    }

    /// The registry's answer fields for this schema.
    fn json(&self) -> Value {
        let mut v = json!({"schema": self.text});
        if self.kind != "AVRO" {
            v["schemaType"] = json!(self.kind);
        }
        if !self.references.is_empty() {
            v["references"] = self
                .references
                .iter()
                .map(Reference::json)
                .collect::<Vec<_>>()
                .into();
        }
        v
    }
}

/// What the registry holds.
#[derive(Debug, Default)]
struct Store {
    /// Schemas by ID (1-based: ID `n` is `schemas[n - 1]`), as registered.
    schemas: Vec<Registered>,
    /// Subject → schema IDs, version `n` is `[n - 1]`.
    subjects: BTreeMap<String, Vec<usize>>,
}

impl Store {
    fn id_of(&self, kind: &str, text: &str, references: &[Reference]) -> Option<usize> {
        self.schemas
            .iter()
            .position(|s| s.same(kind, text, references))
            .map(|i| i + 1)
    }

    /// Whether version `version` of `subject` exists (`-1`: the latest).
    fn has_version(&self, subject: &str, version: i64) -> bool {
        self.subjects.get(subject).is_some_and(|versions| {
            (version == -1 && !versions.is_empty())
                || usize::try_from(version).is_ok_and(|v| v >= 1 && v <= versions.len())
        })
    }

    /// Registers `text` under `subject` (the same schema keeps its ID and
    /// version); with `check`, every reference must name an existing
    /// subject version (`422` / `42201` otherwise, as Confluent's
    /// registry answers).
    fn register(
        &mut self,
        subject: &str,
        schema: (String, String, Vec<Reference>),
        check: bool,
    ) -> (u16, Value) {
        let (kind, text, references) = schema;
        if check {
            if let Some(missing) = references
                .iter()
                .find(|r| !self.has_version(&r.subject, r.version))
            {
                return error(
                    422,
                    42201,
                    &format!(
                        "Invalid schema: reference '{}' to subject '{}' version {} not found",
                        missing.name, missing.subject, missing.version
                    ),
                );
            }
        }
        let id = match self.id_of(&kind, &text, &references) {
            Some(id) => id,
            None => {
                self.schemas.push(Registered {
                    kind,
                    text,
                    references,
                });
                self.schemas.len()
            }
        };
        let versions = self.subjects.entry(subject.to_owned()).or_default();
        if !versions.contains(&id) {
            versions.push(id);
        }
        let version = versions.iter().position(|v| *v == id).unwrap_or(0) + 1;
        (200, self.found(subject, version))
    }

    /// The answer about version `version` (1-based, existing) of `subject`.
    fn found(&self, subject: &str, version: usize) -> Value {
        let id = self.subjects[subject][version - 1];
        let mut v = self.schemas[id - 1].json();
        v["subject"] = json!(subject);
        v["version"] = json!(version);
        v["id"] = json!(id);
        v
    }
}

/// A running registry.
#[derive(Debug)]
pub struct SchemaRegistry {
    addr: SocketAddr,
    stopped: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    https: bool,
    store: Arc<Mutex<Store>>,
}

impl SchemaRegistry {
    /// Starts an empty registry without authentication.
    pub fn start() -> SchemaRegistry {
        SchemaRegistry::start_inner(None, None)
    }

    /// Starts an empty registry that requires `user:password`.
    pub fn start_with_user(user_info: &str) -> SchemaRegistry {
        SchemaRegistry::start_inner(Some(user_info.to_owned()), None)
    }

    /// Starts an empty registry served over TLS with `server.pem` and
    /// `server.key` of `crates/wire/tests/fixtures/tls` (issued by `ca.pem`
    /// there, for 127.0.0.1); [`SchemaRegistry::url`] is then `https://`.
    pub fn start_tls() -> SchemaRegistry {
        SchemaRegistry::start_inner(None, Some(server_tls(false)))
    }

    /// An `https` registry that requires a client certificate issued by
    /// the test CA (`crates/wire/tests/fixtures/tls/ca.pem`), as a registry
    /// with mutual TLS does.
    pub fn start_mtls() -> SchemaRegistry {
        SchemaRegistry::start_inner(None, Some(server_tls(true)))
    }

    fn start_inner(
        user_info: Option<String>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> SchemaRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test registry");
        let addr = listener.local_addr().expect("address");
        let stopped = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let https = tls.is_some();
        let store = Arc::new(Mutex::new(Store::default()));
        let expected_auth = user_info.map(|u| format!("Basic {}", crate::b64_encode(u.as_bytes())));
        {
            let stopped = stopped.clone();
            let requests = requests.clone();
            let store = store.clone();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let store = store.clone();
                    let requests = requests.clone();
                    let auth = expected_auth.clone();
                    let tls = tls.clone();
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    thread::spawn(move || match tls {
                        None => serve(stream, &store, &requests, auth.as_deref()),
                        Some(config) => {
                            let Ok(session) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            let tls_stream = rustls::StreamOwned::new(session, stream);
                            serve(tls_stream, &store, &requests, auth.as_deref());
                        }
                    });
                }
            });
        }
        SchemaRegistry {
            addr,
            stopped,
            requests,
            https,
            store,
        }
    }

    /// `http://127.0.0.1:<port>` (`https://` for [`SchemaRegistry::start_tls`]).
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Requests served so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The address the registry listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Registers a schema of type `kind` (`AVRO`, `JSON`, `PROTOBUF`)
    /// under `subject` with `references` (`[{"name", "subject",
    /// "version"}]`), in-process, as `POST /subjects/{subject}/versions`
    /// would (not counted in [`SchemaRegistry::requests`]): the answer
    /// (`{"subject", "version", "id", "schema", ...}`), or the error's
    /// status and body.
    pub fn register(
        &self,
        subject: &str,
        kind: &str,
        text: &str,
        references: &[Value],
    ) -> Result<Value, (u16, Value)> {
        self.register_inner(subject, kind, text, references, true)
    }

    /// Like [`SchemaRegistry::register`], but stores the schema even if
    /// its references name subjects or versions the registry does not have.
    ///
    /// # Panics
    ///
    /// If the schema is invalid otherwise (unknown type, malformed
    /// references, an Avro or JSON schema that is not JSON).
    pub fn register_unchecked(
        &self,
        subject: &str,
        kind: &str,
        text: &str,
        references: &[Value],
    ) -> Value {
        self.register_inner(subject, kind, text, references, false)
            .unwrap_or_else(|(status, body)| panic!("{status}: {body}"))
    }

    fn register_inner(
        &self,
        subject: &str,
        kind: &str,
        text: &str,
        references: &[Value],
        check: bool,
    ) -> Result<Value, (u16, Value)> {
        let body = json!({"schema": text, "schemaType": kind, "references": references});
        let schema = schema_of(&body)?;
        let (status, answer) = self
            .store
            .lock()
            .expect("store")
            .register(subject, schema, check);
        if status == 200 {
            Ok(answer)
        } else {
            Err((status, answer))
        }
    }
}

impl Drop for SchemaRegistry {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Serves the requests of one connection (keep-alive, until the client
/// closes it or sends `Connection: close`).
/// The test registry's TLS configuration (the wire crate's server
/// fixture); with `client_auth`, clients must present a certificate issued
/// by the test CA.
fn server_tls(client_auth: bool) -> Arc<rustls::ServerConfig> {
    let fixtures = crate::repo_root().join("crates/wire/tests/fixtures/tls");
    let pem = |name: &str| BufReader::new(std::fs::File::open(fixtures.join(name)).expect(name));
    let certs = rustls_pemfile::certs(&mut pem("server.pem"))
        .collect::<Result<Vec<_>, _>>()
        .expect("certificates");
    let key = rustls_pemfile::private_key(&mut pem("server.key"))
        .expect("key")
        .expect("a key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        for ca in rustls_pemfile::certs(&mut pem("ca.pem")) {
            roots.add(ca.expect("CA certificate")).expect("a CA");
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    Arc::new(builder.with_single_cert(certs, key).expect("server config"))
}

fn serve<S: Read + Write>(
    stream: S,
    store: &Mutex<Store>,
    requests: &AtomicUsize,
    auth: Option<&str>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_owned(), target.to_owned());
        let mut length = 0usize;
        let mut authorization = None;
        let mut close = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => authorization = Some(value.trim().to_owned()),
                    "connection" => close = value.trim().eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        requests.fetch_add(1, Ordering::SeqCst);
        let (status, answer) = if auth.is_some() && authorization.as_deref() != auth {
            (401, json!({"error_code": 401, "message": "Unauthorized"}))
        } else {
            let path = target.split('?').next().unwrap_or_default();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            handle(&mut store.lock().expect("store"), &method, path, &body)
        };
        let text = answer.to_string();
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\n\
             Content-Length: {}\r\n\r\n{text}",
            text.len()
        );
        let writer = reader.get_mut();
        if writer.write_all(response.as_bytes()).is_err() || writer.flush().is_err() || close {
            return;
        }
    }
}

fn error(status: u16, code: u32, message: &str) -> (u16, Value) {
    (status, json!({"error_code": code, "message": message}))
}

/// `%XX` escapes of a path segment.
fn unescape(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&segment[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The schema of a registration or lookup body: its type, text and
/// references.
fn schema_of(body: &Value) -> Result<(String, String, Vec<Reference>), (u16, Value)> {
    let kind = body
        .get("schemaType")
        .and_then(Value::as_str)
        .unwrap_or("AVRO")
        .to_owned();
    if !["AVRO", "JSON", "PROTOBUF"].contains(&kind.as_str()) {
        return Err(error(422, 42201, &format!("Invalid schema type {kind}")));
    }
    let text = body
        .get("schema")
        .and_then(Value::as_str)
        .ok_or_else(|| error(422, 42201, "Invalid schema: no schema"))?;
    if kind != "PROTOBUF" {
        serde_json::from_str::<Value>(text)
            .map_err(|e| error(422, 42201, &format!("Invalid schema: {e}")))?;
    }
    let references = match body.get("references") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(refs)) => refs
            .iter()
            .map(|r| {
                let field = |name: &str| r.get(name).and_then(Value::as_str).map(str::to_owned);
                match (
                    field("name"),
                    field("subject"),
                    r.get("version").and_then(Value::as_i64),
                ) {
                    (Some(name), Some(subject), Some(version)) => Ok(Reference {
                        name,
                        subject,
                        version,
                    }),
                    _ => Err(error(422, 42201, &format!("Invalid schema: reference {r}"))),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(error(
                422,
                42201,
                &format!("Invalid schema: references {other}"),
            ))
        }
    };
    Ok((kind, text.to_owned(), references))
}

fn handle(store: &mut Store, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let segments: Vec<String> = path.trim_matches('/').split('/').map(unescape).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method, segments.as_slice()) {
        ("GET", ["subjects"]) => (200, json!(store.subjects.keys().collect::<Vec<_>>())),
        ("POST", ["subjects", subject, "versions"]) => match schema_of(body) {
            Ok(schema) => store.register(subject, schema, true),
            Err(e) => e,
        },
        ("POST", ["subjects", subject]) => {
            let (kind, text, references) = match schema_of(body) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let Some(versions) = store.subjects.get(*subject) else {
                return error(404, 40401, &format!("Subject '{subject}' not found."));
            };
            let id = store.id_of(&kind, &text, &references);
            match versions.iter().position(|v| Some(*v) == id) {
                Some(i) => (200, store.found(subject, i + 1)),
                None => error(404, 40403, "Schema not found"),
            }
        }
        ("GET", ["subjects", subject, "versions", version]) => {
            let Some(versions) = store.subjects.get(*subject) else {
                return error(404, 40401, &format!("Subject '{subject}' not found."));
            };
            let n = match *version {
                "latest" | "-1" => versions.len(),
                v => v.parse().unwrap_or(0),
            };
            if n == 0 || n > versions.len() {
                return error(404, 40402, &format!("Version {version} not found."));
            }
            (200, store.found(subject, n))
        }
        ("GET", ["schemas", "ids", id]) => match id.parse::<usize>() {
            Ok(id) if id >= 1 && id <= store.schemas.len() => (200, store.schemas[id - 1].json()),
            _ => error(404, 40403, "Schema not found"),
        },
        _ => error(404, 404, "HTTP 404 Not Found"),
    }
}
