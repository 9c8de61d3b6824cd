//! Building responses: JSON bodies with the negotiated media type, and the
//! error body of [`ApiError`].

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};

use crate::error::ApiError;

/// The response body type: a full buffer or a stream.
pub type Body = BoxBody<Bytes, Infallible>;

/// A response.
pub type Response = http::Response<Body>;

/// A body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A JSON response with `status` and `content_type`.
pub fn json_bytes(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
    let mut response = http::Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/json")),
    );
    response
}

/// A JSON response serialising `value`.
pub fn json(status: StatusCode, content_type: &str, value: &serde_json::Value) -> Response {
    json_bytes(
        status,
        content_type,
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// `204 No Content`.
pub fn no_content() -> Response {
    let mut response = http::Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The error response for `error` in `content_type`.
pub fn error(error: &ApiError, content_type: &str) -> Response {
    json_bytes(error.status, content_type, error.body())
}

/// A streaming body fed through a bounded channel: each `Bytes` sent is one
/// chunk; the body ends when every sender is dropped.
pub fn channel(capacity: usize) -> (tokio::sync::mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = tokio::sync::mpsc::channel(capacity);
    (tx, ChannelBody { rx }.boxed())
}

/// See [`channel`].
#[derive(Debug)]
struct ChannelBody {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|next| next.map(|bytes| Ok(http_body::Frame::data(bytes))))
    }
}
