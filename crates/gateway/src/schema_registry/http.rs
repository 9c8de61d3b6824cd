//! One JSON request to a Schema Registry over HTTP/1.1.
//!
//! Registry calls are rare (a schema is fetched or registered once, then
//! cached), so each call opens its own connection (TLS for `https`); the
//! whole exchange is bounded by a timeout.

use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::RegistryError;

/// Largest registry response read (schemas are small; this bounds memory).
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The registry's media type.
const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Where a registry listens: `http://host:port` with an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`.
    pub tls: bool,
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path prefix without a trailing `/` (usually empty).
    pub prefix: String,
    /// `user:password` from the URL, if any.
    pub user_info: Option<String>,
}

impl Endpoint {
    /// Parses `http[s]://[user:password@]host[:port][/prefix]`. Errors do
    /// not repeat the URL (it may hold credentials).
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else {
            return Err("not an http:// or https:// URL".into());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (user_info, host_port) = match authority.rsplit_once('@') {
            Some((user, host)) => (
                // The error would repeat the credentials: say only what is wrong.
                Some(
                    crate::request::percent_decode(user, false)
                        .map_err(|_| "a URL with an invalid %-escape in its user info")?,
                ),
                host,
            ),
            None => (None, authority),
        };
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("a URL with an unclosed `[`")?;
            (host.to_owned(), after.strip_prefix(':'))
        } else {
            match host_port.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (host_port.to_owned(), None),
            }
        };
        if host.is_empty() {
            return Err("a URL without a host".into());
        }
        let port = match port {
            None if tls => 443,
            None => 80,
            Some(p) => p
                .parse()
                .map_err(|_| "a URL with an invalid port".to_owned())?,
        };
        Ok(Endpoint {
            tls,
            host,
            port,
            prefix: path.to_owned(),
            user_info,
        })
    }

    /// `host:port` for messages and the `Host` header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A registry response: its status and JSON body (`Null` when empty or not
/// JSON).
#[derive(Debug)]
pub(super) struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// The body as JSON.
    pub body: serde_json::Value,
}

/// Sends `method path` with an optional JSON body to `endpoint`, over TLS
/// with `tls` for an `https` endpoint.
pub(super) async fn call(
    endpoint: &Endpoint,
    tls: &TlsConnector,
    authorization: Option<&str>,
    method: Method,
    path: &str,
    body: Option<&serde_json::Value>,
    timeout: Duration,
) -> Result<Reply, RegistryError> {
    let payload = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{}{path}", endpoint.prefix))
        .header(header::HOST, endpoint.authority())
        .header(header::ACCEPT, MEDIA_TYPE)
        .header(header::CONTENT_TYPE, MEDIA_TYPE);
    if let Some(auth) = authorization {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let request = request
        .body(Full::new(payload))
        .map_err(|e| RegistryError::Unreachable(format!("invalid request: {e}")))?;
    let connect_and_send = async {
        let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
            .await
            .map_err(|e| unreachable(endpoint, &e))?;
        let _ = stream.set_nodelay(true);
        if endpoint.tls {
            let name = ServerName::try_from(endpoint.host.clone())
                .map_err(|e| unreachable(endpoint, &e))?;
            let stream = tls
                .connect(name, stream)
                .await
                .map_err(|e| unreachable(endpoint, &e))?;
            exchange(TokioIo::new(stream), endpoint, request).await
        } else {
            exchange(TokioIo::new(stream), endpoint, request).await
        }
    };
    tokio::time::timeout(timeout, connect_and_send)
        .await
        .unwrap_or_else(|_| {
            Err(RegistryError::Unreachable(format!(
                "the Schema Registry at {} did not answer within {} ms",
                endpoint.authority(),
                timeout.as_millis()
            )))
        })
}

/// One request and its response on a fresh connection.
async fn exchange<I>(
    io: I,
    endpoint: &Endpoint,
    request: Request<Full<Bytes>>,
) -> Result<Reply, RegistryError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| unreachable(endpoint, &e))?;
    let driver = tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| unreachable(endpoint, &e))?;
    let status = response.status();
    let bytes = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| {
            RegistryError::Unreachable(format!(
                "reading the Schema Registry's answer from {}: {e}",
                endpoint.authority()
            ))
        })?
        .to_bytes();
    driver.abort();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok(Reply { status, body })
}

fn unreachable(endpoint: &Endpoint, e: &dyn std::fmt::Display) -> RegistryError {
    RegistryError::Unreachable(format!(
        "cannot reach the Schema Registry at {}: {e}",
        endpoint.authority()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed() {
        let e = Endpoint::parse("http://sr:8081").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.prefix.as_str()),
            ("sr", 8081, "")
        );
        assert_eq!(e.user_info, None);
        let e = Endpoint::parse("http://u%40x:p%3Aw@[::1]:18081/registry/").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.prefix.as_str()),
            ("::1", 18081, "/registry")
        );
        assert_eq!(e.user_info.as_deref(), Some("u@x:p:w"));
        assert_eq!(e.authority(), "[::1]:18081");
        assert_eq!(Endpoint::parse("http://sr").unwrap().port, 80);
        let e = Endpoint::parse("https://sr").unwrap();
        assert!(e.tls && e.port == 443);
        // Errors do not repeat the URL, which may hold credentials.
        let error = Endpoint::parse("ftp://user:pw@sr:21").unwrap_err();
        assert!(!error.contains("pw"), "{error}");
        let error = Endpoint::parse("http://user:p%zzw@sr:8081").unwrap_err();
        assert!(
            error.contains("%-escape") && !error.contains("p%zzw"),
            "{error}"
        );
        assert!(Endpoint::parse("http://sr:x").is_err());
        assert!(Endpoint::parse("http://:8081").is_err());
    }
}
