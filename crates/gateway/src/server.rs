//! The HTTP server: hyper's HTTP/1.1 on every listener, one log line per
//! request, and graceful shutdown.
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
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::Gateway;
use crate::config::{Config, Scheme};
use crate::error::ApiError;
use crate::negotiate::V2_JSON;
use crate::request::{Request, RequestBody};
use crate::response::{self, Response};
use crate::router;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Listeners bound to their addresses.
#[derive(Debug)]
pub struct Bound {
    listeners: Vec<TcpListener>,
}

impl Bound {
    /// Binds every `listeners` entry of `config`.
    pub async fn bind(config: &Config) -> std::io::Result<Bound> {
        let mut listeners = Vec::new();
        for listener in &config.listeners {
            if listener.scheme == Scheme::Https {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    format!("listener {listener}: https listeners are not supported; use http"),
                ));
            }
            let bound = TcpListener::bind((listener.host.as_str(), listener.port))
                .await
                .map_err(|e| std::io::Error::new(e.kind(), format!("listener {listener}: {e}")))?;
            listeners.push(bound);
        }
        Ok(Bound { listeners })
    }

    /// The bound addresses (with the actual port when 0 was asked for).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully.
    pub async fn serve(self, gateway: Arc<Gateway>, shutdown: impl Future<Output = ()>) {
        gateway.spawn_consumer_expiry();
        let graceful = GracefulShutdown::new();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut accept_loops = Vec::new();
        let (conn_tx, mut conn_rx) = tokio::sync::mpsc::channel(64);
        for listener in self.listeners {
            let conn_tx = conn_tx.clone();
            let mut stop_rx = stop_rx.clone();
            accept_loops.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((stream, peer)) => {
                                let _ = stream.set_nodelay(true);
                                if conn_tx.send((stream, peer)).await.is_err() {
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
                    let Some((stream, _peer)) = next else { break };
                    let gateway = gateway.clone();
                    let service = service_fn(move |request| {
                        let gateway = gateway.clone();
                        async move { Ok::<_, Infallible>(handle(&gateway, request).await) }
                    });
                    let connection = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    let watched = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(e) = watched.await {
                            tracing::debug!("connection ended: {e}");
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

/// Serves one request and logs it.
pub async fn handle(gateway: &Gateway, request: http::Request<Incoming>) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let response = match build_request(gateway, parts, RequestBody::Incoming(body)) {
        Ok(request) => router::dispatch(gateway, request).await,
        Err(e) => response::error(&e, V2_JSON),
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
    match build_request(gateway, parts, RequestBody::Full(body)) {
        Ok(request) => router::dispatch(gateway, request).await,
        Err(e) => response::error(&e, V2_JSON),
    }
}

fn build_request(
    gateway: &Gateway,
    parts: http::request::Parts,
    body: RequestBody,
) -> Result<Request, ApiError> {
    let config = gateway.config();
    let advertised = config.advertised_listeners.first().map(|l| {
        let scheme = match l.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}:{}", l.host, l.port)
    });
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
        "http",
        advertised.as_deref(),
        &default_host,
    )
}
