//! The HTTP server: hyper's HTTP/1.1 on every listener (over TLS on
//! `https` listeners, see [`crate::tls`]), REST client authentication when
//! configured (see [`crate::auth`]), one log line per request, and graceful
//! shutdown.
//!
//! Shutdown stops accepting connections, lets requests in flight finish
//! (bounded by a grace period), then flushes the producer and closes the
//! consumers so they leave their groups.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::app::Gateway;
use crate::auth::BasicAuthenticator;
use crate::config::{Config, Scheme};
use crate::error::ApiError;
use crate::negotiate::V2_JSON;
use crate::request::{Request, RequestBody};
use crate::response::{self, Response};
use crate::router;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Listeners bound to their addresses.
pub struct Bound {
    /// Each listener with its TLS acceptor when it is `https`.
    listeners: Vec<(TcpListener, Option<TlsAcceptor>)>,
    /// REST client authentication, when `authentication.method` asks for it.
    auth: Option<Arc<BasicAuthenticator>>,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("listeners", &self.local_urls())
            .finish()
    }
}

/// The scheme a listener serves.
fn scheme(tls: &Option<TlsAcceptor>) -> Scheme {
    match tls {
        Some(_) => Scheme::Https,
        None => Scheme::Http,
    }
}

impl Bound {
    /// Binds every `listeners` entry of `config`, after reading the TLS key
    /// material when a listener is `https`.
    pub async fn bind(config: &Config) -> std::io::Result<Bound> {
        let tls = match config.listeners.iter().any(|l| l.scheme == Scheme::Https) {
            true => Some(crate::tls::acceptor(&config.listener_tls).map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("https: {e}"))
            })?),
            false => None,
        };
        let auth = BasicAuthenticator::from_settings(&config.authentication)
            .map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("authentication: {e}"),
                )
            })?
            .map(Arc::new);
        let mut listeners = Vec::new();
        for listener in &config.listeners {
            let bound = TcpListener::bind((listener.host.as_str(), listener.port))
                .await
                .map_err(|e| std::io::Error::new(e.kind(), format!("listener {listener}: {e}")))?;
            let acceptor = match listener.scheme {
                Scheme::Https => tls.clone(),
                Scheme::Http => None,
            };
            listeners.push((bound, acceptor));
        }
        Ok(Bound { listeners, auth })
    }

    /// The bound listeners as URLs (`http://127.0.0.1:8082`), with the
    /// actual port when 0 was asked for.
    pub fn local_urls(&self) -> Vec<String> {
        self.listeners
            .iter()
            .filter_map(|(l, tls)| {
                Some(format!(
                    "{}://{}",
                    scheme(tls).as_str(),
                    l.local_addr().ok()?
                ))
            })
            .collect()
    }

    /// The bound addresses (with the actual port when 0 was asked for).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully.
    pub async fn serve(self, gateway: Arc<Gateway>, shutdown: impl Future<Output = ()>) {
        gateway.spawn_consumer_expiry();
        let graceful = GracefulShutdown::new();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut accept_loops = Vec::new();
        let (conn_tx, mut conn_rx) = tokio::sync::mpsc::channel(64);
        for (listener, tls) in self.listeners {
            let conn_tx = conn_tx.clone();
            let mut stop_rx = stop_rx.clone();
            accept_loops.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((stream, peer)) => {
                                let _ = stream.set_nodelay(true);
                                if conn_tx.send((stream, peer, tls.clone())).await.is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                tracing::warn!("accept failed: {e}");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        },
                        _ = stop_rx.changed() => return,
                    }
                }
            }));
        }
        drop(conn_tx);

        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                next = conn_rx.recv() => {
                    let Some((stream, peer, tls)) = next else { break };
                    let gateway = gateway.clone();
                    let auth = self.auth.clone();
                    let watcher = graceful.watcher();
                    tokio::spawn(async move {
                        match tls {
                            Some(tls) => match crate::tls::handshake(&tls, stream).await {
                                Ok(stream) => {
                                    serve_connection(stream, gateway, Scheme::Https, auth, watcher)
                                        .await
                                }
                                Err(e) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                            },
                            None => {
                                serve_connection(stream, gateway, Scheme::Http, auth, watcher).await
                            }
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }
        let _ = stop_tx.send(true);
        for accept in accept_loops {
            let _ = accept.await;
        }
        tracing::info!("shutting down: waiting for requests in flight");
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; closing anyway");
        }
        gateway.close().await;
        tracing::info!("stopped");
    }
}

/// Serves HTTP/1.1 on one client connection until it closes (or shutdown
/// closes it).
async fn serve_connection<I>(
    io: I,
    gateway: Arc<Gateway>,
    scheme: Scheme,
    auth: Option<Arc<BasicAuthenticator>>,
    watcher: Watcher,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let gateway = gateway.clone();
        let auth = auth.clone();
        async move { Ok::<_, Infallible>(handle(&gateway, request, scheme, auth.as_deref()).await) }
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!("connection ended: {e}");
    }
}

/// Serves one request that came in over `scheme`, once `auth` (if any)
/// lets it through, and logs it.
pub async fn handle(
    gateway: &Gateway,
    request: http::Request<Incoming>,
    scheme: Scheme,
    auth: Option<&BasicAuthenticator>,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let denied = auth.and_then(|auth| auth.refusal(&path, &parts.headers));
    let response = match denied {
        Some(denied) => denied,
        None => match build_request(gateway, parts, RequestBody::Incoming(body), scheme) {
            Ok(request) => router::dispatch(gateway, request).await,
            Err(e) => response::error(&e, V2_JSON),
        },
    };
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// Serves a request whose body is already in memory (tests, no socket).
pub async fn handle_full(gateway: &Gateway, request: http::Request<bytes::Bytes>) -> Response {
    let (parts, body) = request.into_parts();
    match build_request(gateway, parts, RequestBody::Full(body), Scheme::Http) {
        Ok(request) => router::dispatch(gateway, request).await,
        Err(e) => response::error(&e, V2_JSON),
    }
}

fn build_request(
    gateway: &Gateway,
    parts: http::request::Parts,
    body: RequestBody,
    scheme: Scheme,
) -> Result<Request, ApiError> {
    let config = gateway.config();
    let advertised = config
        .advertised_listeners
        .first()
        .map(|l| format!("{}://{}:{}", l.scheme.as_str(), l.host, l.port));
    let default_host = config
        .listeners
        .first()
        .map(|l| {
            let host = if config.host_name.is_empty() {
                &l.host
            } else {
                &config.host_name
            };
            format!("{host}:{}", l.port)
        })
        .unwrap_or_else(|| "localhost".to_owned());
    Request::new(
        parts,
        body,
        config.request_body_max_bytes,
        scheme.as_str(),
        advertised.as_deref(),
        &default_host,
    )
}
