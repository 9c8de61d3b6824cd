//! A broker connection with one reader task and one writer task.
//!
//! - Callers encode their request, register a oneshot under a fresh
//!   correlation id, and hand the frame to the writer task through a channel,
//!   so a caller that is cancelled mid-call can never leave half a frame on the
//!   socket; its registration is removed when its future is dropped.
//! - The reader task splits incoming bytes into frames (checking each length
//!   against the maximum before allocating) and completes the matching
//!   oneshot. Responses nobody waits for any more are dropped.
//! - Any framing or socket error, or a request timeout, poisons the
//!   connection: every request in flight fails and later calls fail at once,
//!   so the cluster layer opens a new connection.
//!
//! # References
//! - <https://kafka.apache.org/protocol#protocol_network> (pipelining, ordering)

use std::collections::HashMap;
use std::io::IoSlice;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::ApiVersionsRequest;
use kafka_protocol::protocol::StrBytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::security::{SecurityProtocol, SecuritySettings};
use super::{sasl, tls};
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::{api_versions, Api, ApiVersionTable};
use crate::protocol::frame::{self, Frame, DEFAULT_MAX_FRAME};
use crate::protocol::header::{decode_response, encode_request};
use crate::protocol::ProtocolError;

/// Settings of a broker connection.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// `client.id` sent in every request header.
    pub client_id: Option<StrBytes>,
    /// How long to wait for a response.
    pub request_timeout: Duration,
    /// How long to wait for TCP (and TLS) connection setup.
    pub connect_timeout: Duration,
    /// Largest response frame accepted.
    pub max_frame_size: usize,
    /// TLS and SASL settings.
    pub security: SecuritySettings,
    /// The TLS client configuration, built once from `security.tls`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            client_id: Some(StrBytes::from_static_str("kafka-gateway")),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_frame_size: DEFAULT_MAX_FRAME,
            security: SecuritySettings::default(),
            tls: None,
        }
    }
}

type Reply = oneshot::Sender<Result<Bytes>>;

#[derive(Debug, Default)]
struct Pending {
    waiters: HashMap<i32, Reply>,
    closed: Option<String>,
}

#[derive(Debug)]
struct State {
    broker: String,
    pending: Mutex<Pending>,
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails every request in flight and all later ones.
    fn poison(&self, reason: String) {
        let waiters = {
            let mut pending = self.lock();
            if pending.closed.is_none() {
                tracing::debug!(broker = %self.broker, %reason, "connection closed");
                pending.closed = Some(reason.clone());
            }
            std::mem::take(&mut pending.waiters)
        };
        for (_, reply) in waiters {
            let _ = reply.send(Err(Error::Disconnected {
                broker: self.broker.clone(),
                reason: reason.clone(),
            }));
        }
    }

    fn closed_error(&self, reason: &str) -> Error {
        Error::Disconnected {
            broker: self.broker.clone(),
            reason: reason.to_owned(),
        }
    }
}

#[derive(Debug)]
struct Shared {
    state: Arc<State>,
    writer: mpsc::Sender<Frame>,
    next_correlation: AtomicI32,
    versions: OnceLock<ApiVersionTable>,
    client_id: Option<StrBytes>,
    request_timeout: Duration,
    tasks: [JoinHandle<()>; 2],
}

impl Drop for Shared {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A connection to one broker, cheap to clone and shared by all callers.
#[derive(Debug, Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

/// Removes a waiter's registration if its call is dropped before the reply.
struct Registration<'a> {
    state: &'a State,
    correlation_id: i32,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.state.lock().waiters.remove(&self.correlation_id);
    }
}

impl Connection {
    /// Connects to `host:port`, performs the ApiVersions handshake and, if
    /// configured, TLS and SASL authentication.
    pub async fn connect(host: &str, port: u16, config: &ConnectionConfig) -> Result<Connection> {
        let broker = format!("{host}:{port}");
        let io_err = |source| Error::Io {
            broker: broker.clone(),
            source,
        };
        let tcp = tokio::time::timeout(config.connect_timeout, TcpStream::connect((host, port)))
            .await
            .map_err(|_| Error::Timeout {
                api: "connect",
                broker: broker.clone(),
                timeout: config.connect_timeout,
            })?
            .map_err(io_err)?;
        tcp.set_nodelay(true).map_err(io_err)?;
        let protocol = config.security.protocol;
        let conn = if matches!(protocol, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl) {
            let tls_config = match &config.tls {
                Some(c) => c.clone(),
                None => tls::client_config(&config.security.tls)
                    .map_err(|e| Error::Tls(e.to_string()))?,
            };
            let stream = tokio::time::timeout(
                config.connect_timeout,
                tls::connect(tcp, host, tls_config, &config.security.tls),
            )
            .await
            .map_err(|_| Error::Timeout {
                api: "tls handshake",
                broker: broker.clone(),
                timeout: config.connect_timeout,
            })?
            .map_err(|e| Error::Tls(format!("handshake with {broker} failed: {e}")))?;
            Connection::from_stream(stream, broker, config)
        } else {
            Connection::from_stream(tcp, broker, config)
        };
        conn.handshake().await?;
        if matches!(
            protocol,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        ) {
            let Some(mechanism) = &config.security.sasl else {
                return Err(Error::Config(format!(
                    "security.protocol {protocol:?} needs sasl.mechanism and credentials"
                )));
            };
            sasl::authenticate(&conn, mechanism).await?;
        }
        Ok(conn)
    }

    /// Starts the reader and writer tasks over an established byte stream.
    /// No handshake is performed; see [`Connection::handshake`].
    pub fn from_stream<S>(stream: S, broker: String, config: &ConnectionConfig) -> Connection
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read, write) = tokio::io::split(stream);
        let state = Arc::new(State {
            broker,
            pending: Mutex::new(Pending::default()),
        });
        let (tx, rx) = mpsc::channel(256);
        let reader = tokio::spawn(read_loop(read, state.clone(), config.max_frame_size));
        let writer = tokio::spawn(write_loop(write, rx, state.clone()));
        Connection {
            shared: Arc::new(Shared {
                state,
                writer: tx,
                next_correlation: AtomicI32::new(1),
                versions: OnceLock::new(),
                client_id: config.client_id.clone(),
                request_timeout: config.request_timeout,
                tasks: [reader, writer],
            }),
        }
    }

    /// Asks the broker which API versions it speaks (retrying with v0 for a
    /// broker that does not know the client's newest ApiVersions).
    pub async fn handshake(&self) -> Result<&ApiVersionTable> {
        let max = <ApiVersionsRequest as Api>::CLIENT_VERSIONS.max;
        let response = match self.call_version(&api_versions::request(), max).await {
            Ok(r) if r.error_code == 0 => r,
            Ok(r) if r.error_code != ResponseError::UnsupportedVersion.code() => {
                return Err(Error::broker(
                    ResponseError::try_from_code(r.error_code)
                        .unwrap_or(ResponseError::UnknownServerError),
                    "ApiVersions",
                ))
            }
            Err(Error::Protocol(_)) | Ok(_) => {
                self.call_version(&api_versions::request(), 0).await?
            }
            Err(e) => return Err(e),
        };
        crate::error::check(response.error_code, "ApiVersions")?;
        let _ = self
            .shared
            .versions
            .set(ApiVersionTable::from_response(&response));
        Ok(self.versions())
    }

    /// The broker's API versions (empty before the handshake).
    pub fn versions(&self) -> &ApiVersionTable {
        static EMPTY: OnceLock<ApiVersionTable> = OnceLock::new();
        self.shared
            .versions
            .get()
            .unwrap_or_else(|| EMPTY.get_or_init(ApiVersionTable::default))
    }

    /// The version of `R` this connection will use.
    pub fn version<R: Api>(&self) -> Result<i16> {
        self.versions()
            .negotiate::<R>()
            .ok_or_else(|| Error::UnsupportedApi {
                broker: self.broker().to_owned(),
                api: R::NAME,
                min: R::CLIENT_VERSIONS.min,
                max: R::CLIENT_VERSIONS.max,
            })
    }

    /// The broker's `host:port`.
    pub fn broker(&self) -> &str {
        &self.shared.state.broker
    }

    /// Whether the connection has failed or closed.
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().closed.is_some()
    }

    /// Sends `request` at the negotiated version and waits for its response.
    pub async fn call<R: Api>(&self, request: &R) -> Result<R::Response> {
        let version = self.version::<R>()?;
        self.call_version(request, version).await
    }

    /// Like [`Connection::call`], with a longer timeout for requests the
    /// broker may hold (a Fetch with `max_wait_ms`).
    pub async fn call_with_timeout<R: Api>(
        &self,
        request: &R,
        extra: Duration,
    ) -> Result<R::Response> {
        let version = self.version::<R>()?;
        self.exchange(request, version, self.shared.request_timeout + extra)
            .await
    }

    /// Sends `request` at `version` and waits for its response.
    pub async fn call_version<R: Api>(&self, request: &R, version: i16) -> Result<R::Response> {
        self.exchange(request, version, self.shared.request_timeout)
            .await
    }

    /// Sends a request the broker will not answer (Produce with `acks=0`).
    pub async fn send_without_response<R: Api>(&self, request: &R) -> Result<()> {
        let version = self.version::<R>()?;
        let (_, frame) = self.encode(request, version)?;
        self.send_frame::<R>(frame).await
    }

    /// Sends a request of API `R` that the caller encodes itself into a
    /// [`Frame`] (Produce, whose batches are referenced rather than copied),
    /// and waits for its response; `extra` is added to the request timeout.
    /// `encode` gets the correlation id, the client id and the negotiated
    /// version.
    pub async fn call_frame<R: Api>(
        &self,
        extra: Duration,
        encode: impl FnOnce(i32, Option<&StrBytes>, i16) -> std::result::Result<Frame, ProtocolError>,
    ) -> Result<R::Response> {
        let version = self.version::<R>()?;
        let correlation_id = self.next_correlation();
        let frame = encode(correlation_id, self.shared.client_id.as_ref(), version)?;
        self.exchange_frame::<R>(
            correlation_id,
            frame,
            version,
            self.shared.request_timeout + extra,
        )
        .await
    }

    /// Like [`Connection::call_frame`] for a request the broker will not
    /// answer (Produce with `acks=0`).
    pub async fn send_frame_without_response<R: Api>(
        &self,
        encode: impl FnOnce(i32, Option<&StrBytes>, i16) -> std::result::Result<Frame, ProtocolError>,
    ) -> Result<()> {
        let version = self.version::<R>()?;
        let correlation_id = self.next_correlation();
        let frame = encode(correlation_id, self.shared.client_id.as_ref(), version)?;
        self.send_frame::<R>(frame).await
    }

    async fn send_frame<R: Api>(&self, frame: Frame) -> Result<()> {
        let state = &self.shared.state;
        if let Some(reason) = &state.lock().closed {
            return Err(state.closed_error(reason));
        }
        let timeout = self.shared.request_timeout;
        match tokio::time::timeout(timeout, self.shared.writer.send(frame)).await {
            Ok(sent) => sent.map_err(|_| state.closed_error("writer stopped")),
            Err(_) => {
                state.poison(format!("{} request timed out", R::NAME));
                Err(Error::Timeout {
                    api: R::NAME,
                    broker: state.broker.clone(),
                    timeout,
                })
            }
        }
    }

    fn next_correlation(&self) -> i32 {
        self.shared
            .next_correlation
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
                Some(if c == i32::MAX { 1 } else { c + 1 })
            })
            .unwrap_or(1)
    }

    fn encode<R: Api>(&self, request: &R, version: i16) -> Result<(i32, Frame)> {
        let correlation_id = self.next_correlation();
        let mut buf = BytesMut::with_capacity(64);
        encode_request(
            &mut buf,
            correlation_id,
            self.shared.client_id.as_ref(),
            version,
            request,
        )?;
        Ok((correlation_id, Frame::from(buf.freeze())))
    }

    async fn exchange<R: Api>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response> {
        let (correlation_id, frame) = self.encode(request, version)?;
        self.exchange_frame::<R>(correlation_id, frame, version, timeout)
            .await
    }

    async fn exchange_frame<R: Api>(
        &self,
        correlation_id: i32,
        frame: Frame,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response> {
        let state = &*self.shared.state;
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = state.lock();
            if let Some(reason) = &pending.closed {
                return Err(state.closed_error(reason));
            }
            pending.waiters.insert(correlation_id, tx);
        }
        let _registration = Registration {
            state,
            correlation_id,
        };
        let timed_out = || {
            state.poison(format!("{} request timed out", R::NAME));
            Error::Timeout {
                api: R::NAME,
                broker: state.broker.clone(),
                timeout,
            }
        };
        let deadline = tokio::time::Instant::now() + timeout;
        // Waiting for room in the writer queue counts against the request
        // timeout too, and ends at once if the connection fails meanwhile
        // (the registration's reply then carries the error).
        let mut rx = rx;
        let sent = tokio::time::timeout_at(deadline, async {
            tokio::select! {
                sent = self.shared.writer.send(frame) => sent.map_err(|_| None),
                reply = &mut rx => Err(Some(reply)),
            }
        })
        .await;
        let reply = match sent {
            Err(_) => return Err(timed_out()),
            Ok(Err(None)) => return Err(state.closed_error("writer stopped")),
            Ok(Err(Some(early))) => early,
            Ok(Ok(())) => match tokio::time::timeout_at(deadline, rx).await {
                Ok(reply) => reply,
                Err(_) => return Err(timed_out()),
            },
        };
        let reply = match reply {
            Ok(reply) => reply?,
            Err(_) => return Err(state.closed_error("reader stopped")),
        };
        let (header, body) = decode_response::<R>(reply, version)?;
        debug_assert_eq!(header.correlation_id, correlation_id);
        Ok(body)
    }
}

async fn read_loop<R: AsyncRead + Unpin>(read: R, state: Arc<State>, max_frame: usize) {
    let reason = read_frames(read, &state, max_frame).await;
    state.poison(reason);
}

async fn read_frames<R: AsyncRead + Unpin>(mut read: R, state: &State, max_frame: usize) -> String {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        loop {
            match frame::decode_frame(&mut buf, max_frame) {
                Ok(Some(frame)) => {
                    let Ok(correlation_id) = frame::correlation_id(&frame) else {
                        return "response shorter than its header".to_owned();
                    };
                    let waiter = state.lock().waiters.remove(&correlation_id);
                    match waiter {
                        Some(reply) => {
                            let _ = reply.send(Ok(frame));
                        }
                        None => tracing::trace!(
                            correlation_id,
                            "response for a cancelled request dropped"
                        ),
                    }
                }
                Ok(None) => break,
                Err(e) => return e.to_string(),
            }
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(64 * 1024);
        }
        match read.read_buf(&mut buf).await {
            Ok(0) => return "closed by the broker".to_owned(),
            Ok(_) => {}
            Err(e) => return format!("read failed: {e}"),
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(
    write: W,
    mut frames: mpsc::Receiver<Frame>,
    state: Arc<State>,
) {
    let mut write = BufWriter::with_capacity(64 * 1024, write);
    while let Some(frame) = frames.recv().await {
        let mut result = write_frame(&mut write, &frame).await;
        while result.is_ok() {
            match frames.try_recv() {
                Ok(frame) => result = write_frame(&mut write, &frame).await,
                Err(_) => break,
            }
        }
        if result.is_ok() {
            result = write.flush().await;
        }
        if let Err(e) = result {
            state.poison(format!("write failed: {e}"));
            return;
        }
    }
}

/// Most pieces handed to one vectored write (Linux's `IOV_MAX` is 1024).
const MAX_PIECES_PER_WRITE: usize = 1024;

/// Writes a frame: a contiguous one as it is, one in pieces with vectored
/// writes (small pieces are gathered in the writer's buffer, large ones go
/// straight to the socket).
async fn write_frame<W: AsyncWrite + Unpin>(
    write: &mut BufWriter<W>,
    frame: &Frame,
) -> std::io::Result<()> {
    if let Some(bytes) = frame.as_contiguous() {
        return write.write_all(bytes).await;
    }
    let mut pieces = frame.pieces();
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(MAX_PIECES_PER_WRITE);
    loop {
        slices.clear();
        slices.extend(pieces.by_ref().take(MAX_PIECES_PER_WRITE).map(IoSlice::new));
        if slices.is_empty() {
            return Ok(());
        }
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = write.write_vectored(rest).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
    }
}
