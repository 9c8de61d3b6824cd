//! From a request frame to a response frame: the request header, the API
//! and version check, injected faults, the handler, and the response header
//! in the version the API needs. No socket is touched here; the server
//! writes what this returns.
//!
//! An unknown API key, a version the cluster does not advertise, or a body
//! that does not decode closes the connection, as Kafka does; ApiVersions
//! alone answers an unsupported version with `UNSUPPORTED_VERSION` and the
//! supported ranges in a v0 body, so clients can fall back.
//!
//! # References
//! - <https://kafka.apache.org/protocol#api_versions>
//! - KIP-511 (ApiVersions fallback)

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};

use super::handlers::{self, api_versions, Ctx, Handler, Reply};
use super::Shared;

/// What the connection does with one request.
pub(crate) enum Outcome {
    /// Write this frame after `delay`.
    Reply { frame: Bytes, delay: Duration },
    /// Write nothing (Produce with `acks=0`).
    Silent,
    /// Close the connection.
    Close,
    /// Write the frame the future yields (nothing and close if it yields
    /// `None`), holding it at least `delay`.
    Wait {
        future: Pin<Box<dyn Future<Output = Option<Bytes>> + Send>>,
        delay: Duration,
    },
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Reply { frame, delay } => f
                .debug_struct("Reply")
                .field("bytes", &frame.len())
                .field("delay", delay)
                .finish(),
            Outcome::Silent => f.write_str("Silent"),
            Outcome::Close => f.write_str("Close"),
            Outcome::Wait { delay, .. } => f.debug_struct("Wait").field("delay", delay).finish(),
        }
    }
}

/// The connection a request arrived on.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// The broker that accepted it.
    pub(crate) broker: i32,
    /// The client's address as Kafka reports it (`/127.0.0.1`).
    pub(crate) client_host: String,
}

/// Handles one request frame (without its length prefix).
pub(crate) fn handle_frame(shared: &Arc<Shared>, peer: &Peer, mut frame: Bytes) -> Outcome {
    if frame.len() < 4 {
        return Outcome::Close;
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let Ok(api) = ApiKey::try_from(key) else {
        tracing::debug!(key, "unknown api key; closing the connection");
        return Outcome::Close;
    };
    let header = match RequestHeader::decode(&mut frame, api.request_header_version(version)) {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!(?api, version, error = %e, "bad request header");
            return Outcome::Close;
        }
    };
    if api == ApiKey::ApiVersions && !api_versions::supports(version) {
        let body = api_versions::unsupported();
        return match encode::<ApiVersionsResponse>(header.correlation_id, 0, &body) {
            Some(frame) => Outcome::Reply {
                frame,
                delay: Duration::ZERO,
            },
            None => Outcome::Close,
        };
    }
    handlers::dispatch(shared, peer, header, frame).unwrap_or_else(|| {
        tracing::debug!(?api, version, "api not served; closing the connection");
        Outcome::Close
    })
}

/// Decodes, handles and encodes one request of type `R`.
pub(crate) fn run<R: Handler>(
    shared: &Arc<Shared>,
    peer: &Peer,
    header: RequestHeader,
    mut body: Bytes,
) -> Outcome
where
    R::Response: Send,
{
    let version = header.request_api_version;
    let range = R::ADVERTISED;
    if version < range.min || version > range.max {
        tracing::debug!(api = R::KEY, version, "unsupported version; closing");
        return Outcome::Close;
    }
    let request = match R::decode(&mut body, version) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(api = R::KEY, version, error = %e, "request does not decode");
            return Outcome::Close;
        }
    };
    let correlation_id = header.correlation_id;
    let client_id = header
        .client_id
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default();
    tracing::trace!(broker = peer.broker, client = %peer.client_host, api = R::KEY, version, "request");
    let now = Instant::now();
    let (reply, delay, appended) = {
        let mut state = shared.lock();
        *state.requests.entry(R::KEY).or_default() += 1;
        let delay = state.faults.delay(R::KEY);
        let before = state.appends;
        let failure = state.faults.take_failure(R::KEY);
        let mut ctx = Ctx {
            state: &mut state,
            broker: peer.broker,
            version,
            client_id: &client_id,
            client_host: &peer.client_host,
            now,
            now_ms: now_ms(),
        };
        let reply = match failure {
            Some(code) => request.fail(&ctx, code),
            None => request.handle(&mut ctx),
        };
        let appended = state.appends != before;
        (reply, delay, appended)
    };
    if appended {
        shared.appended.notify_waiters();
    }
    match reply {
        Reply::Now(response) => match encode(correlation_id, version, &response) {
            Some(frame) => Outcome::Reply { frame, delay },
            None => Outcome::Close,
        },
        Reply::Silent => Outcome::Silent,
        Reply::Close => Outcome::Close,
        Reply::Later(receiver) => Outcome::Wait {
            future: Box::pin(async move {
                let response = receiver.await.ok()?;
                encode(correlation_id, version, &response)
            }),
            delay,
        },
        Reply::Poll(mut poll) => {
            let shared = shared.clone();
            Outcome::Wait {
                future: Box::pin(async move {
                    let response = loop {
                        let notified = shared.appended.notified();
                        tokio::pin!(notified);
                        notified.as_mut().enable();
                        let last = Instant::now() >= poll.deadline;
                        let ready = (poll.poll)(&mut shared.lock(), last);
                        if let Some(r) = ready {
                            break r;
                        }
                        tokio::select! {
                            _ = notified => {}
                            _ = tokio::time::sleep_until(poll.deadline.into()) => {}
                        }
                    };
                    encode(correlation_id, version, &response)
                }),
                delay,
            }
        }
    }
}

/// One response frame: length prefix, response header, body.
pub(crate) fn encode<R: Encodable + HeaderVersion>(
    correlation_id: i32,
    version: i16,
    response: &R,
) -> Option<Bytes> {
    let mut buf = BytesMut::with_capacity(256);
    buf.put_i32(0);
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let encoded = header
        .encode(&mut buf, R::header_version(version))
        .and_then(|()| response.encode(&mut buf, version));
    if let Err(e) = encoded {
        tracing::error!(version, error = %e, "response does not encode; closing the connection");
        return None;
    }
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Some(buf.freeze())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
