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

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

/// A registered schema: its `schemaType` (`AVRO`, `JSON`, `PROTOBUF`) and
/// its text.
#[derive(Debug, Clone)]
struct Registered {
    kind: String,
    text: String,
}

impl Registered {
    /// Whether `other` is the same schema: same type, and the same JSON
    /// value (Avro, JSON Schema) or text (Protobuf).
    fn same(&self, kind: &str, text: &str) -> bool {
        self.kind == kind
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
    fn id_of(&self, kind: &str, text: &str) -> Option<usize> {
        self.schemas
            .iter()
            .position(|s| s.same(kind, text))
            .map(|i| i + 1)
    }
}

/// A running registry.
#[derive(Debug)]
pub struct SchemaRegistry {
    addr: SocketAddr,
    stopped: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    https: bool,
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
        let fixtures = crate::repo_root().join("crates/wire/tests/fixtures/tls");
        let certs = rustls_pemfile::certs(&mut BufReader::new(
            std::fs::File::open(fixtures.join("server.pem")).expect("server.pem"),
        ))
        .collect::<Result<Vec<_>, _>>()
        .expect("certificates");
        let key = rustls_pemfile::private_key(&mut BufReader::new(
            std::fs::File::open(fixtures.join("server.key")).expect("server.key"),
        ))
        .expect("key")
        .expect("a key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
        SchemaRegistry::start_inner(None, Some(Arc::new(config)))
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
}

impl Drop for SchemaRegistry {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Serves the requests of one connection (keep-alive).
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
        if writer.write_all(response.as_bytes()).is_err() || writer.flush().is_err() {
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

fn handle(store: &mut Store, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let segments: Vec<String> = path.trim_matches('/').split('/').map(unescape).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let schema_of = |body: &Value| -> Result<(String, String), (u16, Value)> {
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
        Ok((kind, text.to_owned()))
    };
    let found = |store: &Store, subject: &str, version: usize| {
        let id = store.subjects[subject][version - 1];
        let mut v = store.schemas[id - 1].json();
        v["subject"] = json!(subject);
        v["version"] = json!(version);
        v["id"] = json!(id);
        v
    };
    match (method, segments.as_slice()) {
        ("GET", ["subjects"]) => (200, json!(store.subjects.keys().collect::<Vec<_>>())),
        ("POST", ["subjects", subject, "versions"]) => {
            let (kind, text) = match schema_of(body) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let id = match store.id_of(&kind, &text) {
                Some(id) => id,
                None => {
                    store.schemas.push(Registered { kind, text });
                    store.schemas.len()
                }
            };
            let versions = store.subjects.entry((*subject).to_owned()).or_default();
            if !versions.contains(&id) {
                versions.push(id);
            }
            let version = versions.iter().position(|v| *v == id).unwrap_or(0) + 1;
            (200, found(store, subject, version))
        }
        ("POST", ["subjects", subject]) => {
            let (kind, text) = match schema_of(body) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let Some(versions) = store.subjects.get(*subject) else {
                return error(404, 40401, &format!("Subject '{subject}' not found."));
            };
            let id = store.id_of(&kind, &text);
            match versions.iter().position(|v| Some(*v) == id) {
                Some(i) => (200, found(store, subject, i + 1)),
                None => error(404, 40403, "Schema not found"),
            }
        }
        ("GET", ["subjects", subject, "versions", version]) => {
            let Some(versions) = store.subjects.get(*subject) else {
                return error(404, 40401, &format!("Subject '{subject}' not found."));
            };
            let n = match *version {
                "latest" => versions.len(),
                v => v.parse().unwrap_or(0),
            };
            if n == 0 || n > versions.len() {
                return error(404, 40402, &format!("Version {version} not found."));
            }
            (200, found(store, subject, n))
        }
        ("GET", ["schemas", "ids", id]) => match id.parse::<usize>() {
            Ok(id) if id >= 1 && id <= store.schemas.len() => (200, store.schemas[id - 1].json()),
            _ => error(404, 40403, "Schema not found"),
        },
        _ => error(404, 404, "HTTP 404 Not Found"),
    }
}
