//! An incoming request as handlers see it: method, decoded path segments,
//! query parameters, headers, and a body read on demand within
//! `request.body.max.bytes`.

use bytes::Bytes;
use http::header::{HeaderMap, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::Method;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// The body of a request: not yet read, or already in memory (tests).
#[derive(Debug)]
pub enum RequestBody {
    /// A hyper body, read on demand.
    Incoming(Incoming),
    /// Bytes already read.
    Full(Bytes),
}

/// One REST request.
#[derive(Debug)]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// Path segments, percent-decoded, without empty segments.
    pub segments: Vec<String>,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// `scheme://host[:port]` of this gateway as the client addressed it
    /// (or as `advertised.listeners` says), for absolute URLs in responses.
    pub base_url: String,
    body: Option<RequestBody>,
    body_limit: u64,
}

impl Request {
    /// A request from its parts; `default_base` is used when the request has
    /// no `Host` header.
    pub fn new(
        parts: http::request::Parts,
        body: RequestBody,
        body_limit: u64,
        scheme: &str,
        advertised_base: Option<&str>,
        default_host: &str,
    ) -> ApiResult<Request> {
        let path = parts.uri.path();
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode(s, false))
            .collect::<ApiResult<Vec<_>>>()?;
        let query = parts
            .uri
            .query()
            .map(parse_query)
            .transpose()?
            .unwrap_or_default();
        let base_url = match advertised_base {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => {
                let host = parts
                    .headers
                    .get(HOST)
                    .and_then(|h| h.to_str().ok())
                    .filter(|h| !h.is_empty())
                    .or_else(|| parts.uri.authority().map(|a| a.as_str()))
                    .unwrap_or(default_host);
                format!("{scheme}://{host}")
            }
        };
        Ok(Request {
            method: parts.method,
            segments,
            query,
            headers: parts.headers,
            base_url,
            body: Some(body),
            body_limit,
        })
    }

    /// A header's value as text.
    pub fn header(&self, name: http::header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE)
    }

    /// The `Accept` header.
    pub fn accept(&self) -> Option<&str> {
        self.header(ACCEPT)
    }

    /// The first value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The whole body; 413 when it is larger than the limit.
    pub async fn body(&mut self) -> ApiResult<Bytes> {
        let limit = self.body_limit;
        if let Some(length) = self
            .header(CONTENT_LENGTH)
            .and_then(|l| l.trim().parse::<u64>().ok())
        {
            if length > limit {
                return Err(ApiError::payload_too_large(limit));
            }
        }
        match self.body.take() {
            None => Ok(Bytes::new()),
            Some(RequestBody::Full(bytes)) => {
                if bytes.len() as u64 > limit {
                    return Err(ApiError::payload_too_large(limit));
                }
                Ok(bytes)
            }
            Some(RequestBody::Incoming(incoming)) => {
                let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
                match Limited::new(incoming, limit_usize).collect().await {
                    Ok(collected) => Ok(collected.to_bytes()),
                    Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                        Err(ApiError::payload_too_large(limit))
                    }
                    Err(e) => Err(ApiError::bad_request(format!(
                        "The request body could not be read: {e}"
                    ))),
                }
            }
        }
    }

    /// Takes the unread body as a stream (for streaming produce).
    pub fn take_body(&mut self) -> Option<RequestBody> {
        self.body.take()
    }

    /// The body, a JSON object, parsed into `T`; an empty body is `None`.
    /// Any other JSON value is a 400 (serde would read an array into the
    /// fields of `T` in order).
    pub async fn json_opt<T: DeserializeOwned>(&mut self) -> ApiResult<Option<T>> {
        let body = self.body().await?;
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            None => Ok(None),
            Some(b'{') => parse_json(&body).map(Some),
            Some(_) => Err(ApiError::bad_request(
                "Invalid request body: expected a JSON object.",
            )),
        }
    }

    /// The body parsed as JSON into `T`; an empty body is 422.
    pub async fn json<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        self.json_opt()
            .await?
            .ok_or_else(|| ApiError::unprocessable("The request body may not be empty."))
    }
}

/// Parses JSON, with a 400 naming the problem (and the field, when serde
/// knows it).
pub fn parse_json<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        let kind = if e.is_data() {
            "Invalid request body"
        } else {
            "Malformed JSON in request body"
        };
        ApiError::bad_request(format!("{kind}: {e}"))
    })
}

fn parse_query(query: &str) -> ApiResult<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

/// Decodes `%XX` escapes (and `+` as space in query strings).
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> ApiResult<String> {
    if !text.contains(['%', '+']) {
        return Ok(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("Invalid percent-encoding in `{text}`"))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| ApiError::bad_request(format!("`{text}` is not UTF-8 once decoded")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb", false).unwrap(), "a/b");
        assert_eq!(percent_decode("a+b", true).unwrap(), "a b");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert!(percent_decode("%zz", false).is_err());
        assert!(percent_decode("%ff", false).is_err());
    }

    fn with_body(body: &'static str) -> Request {
        let (parts, ()) = http::Request::post("/consumers/g")
            .body(())
            .unwrap()
            .into_parts();
        let body = RequestBody::Full(Bytes::from_static(body.as_bytes()));
        Request::new(parts, body, 1024, "http", None, "localhost").unwrap()
    }

    #[derive(Debug, serde::Deserialize)]
    struct Topics {
        topics: Vec<String>,
    }

    #[tokio::test]
    async fn a_body_must_be_a_json_object() {
        let parsed: Topics = with_body(r#" {"topics": ["a"]}"#).json().await.unwrap();
        assert_eq!(parsed.topics, ["a"]);
        for body in [r#"[["a"]]"#, r#""a""#, "5", "null"] {
            let err = with_body(body).json::<Topics>().await.unwrap_err();
            assert_eq!(err.status, http::StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(err.error_code, 400, "{body}");
        }
        let none: Option<Topics> = with_body("  \n").json_opt().await.unwrap();
        assert!(none.is_none());
    }

    #[test]
    fn query_strings() {
        assert_eq!(
            parse_query("timeout=3000&max_bytes=300000&flag").unwrap(),
            vec![
                ("timeout".into(), "3000".into()),
                ("max_bytes".into(), "300000".into()),
                ("flag".into(), String::new()),
            ]
        );
    }
}
