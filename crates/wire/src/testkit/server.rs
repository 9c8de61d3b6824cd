//! The I/O side: one TCP listener per broker on 127.0.0.1 and one task per
//! connection that reads length-prefixed request frames, hands each to
//! [`dispatch`](super::dispatch), and writes the answer.
//!
//! A connection handles one request at a time, in order, like a Kafka broker
//! (a request that waits — a Fetch long poll, a JoinGroup — holds back the
//! ones behind it). Every connection of a broker watches the broker's kill
//! switch, which [`drop_connections`](super::Cluster::drop_connections) and
//! stopping the broker flip.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::dispatch::{self, Outcome, Peer};
use super::Shared;
use crate::protocol::frame::{checked_length, DEFAULT_MAX_FRAME};

/// Binds a listener on 127.0.0.1:`port` (0 for any free port). The address
/// may be reused at once, so a restarted broker gets its port back.
pub(crate) fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(1024)
}

/// Binds `port`, retrying for a short while if it is still in use (a
/// connection of the broker's previous life may hold it).
pub(crate) async fn bind_again(port: u16) -> io::Result<TcpListener> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match bind(port) {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Accepts connections for broker `broker` until aborted.
pub(crate) fn spawn_listener(
    shared: Arc<Shared>,
    broker: i32,
    listener: TcpListener,
    kill: Arc<watch::Sender<u64>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (socket, addr) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::debug!(broker, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = socket.set_nodelay(true);
            let peer = Peer {
                broker,
                client_host: format!("/{}", addr.ip()),
            };
            tokio::spawn(serve(shared.clone(), peer, socket, kill.subscribe()));
        }
    })
}

async fn serve(
    shared: Arc<Shared>,
    peer: Peer,
    socket: tokio::net::TcpStream,
    mut kill: watch::Receiver<u64>,
) {
    let (mut reader, mut writer) = socket.into_split();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let frame = tokio::select! {
            biased;
            _ = kill.changed() => return,
            frame = read_frame(&mut reader, &mut buf) => match frame {
                Some(frame) => frame,
                None => return,
            },
        };
        let started = Instant::now();
        let (frame, delay) = match dispatch::handle_frame(&shared, &peer, frame) {
            Outcome::Reply { frame, delay } => (frame, delay),
            Outcome::Silent => continue,
            Outcome::Close => return,
            Outcome::Wait { future, delay } => {
                let frame = tokio::select! {
                    _ = kill.changed() => return,
                    frame = future => frame,
                };
                match frame {
                    Some(frame) => (frame, delay.saturating_sub(started.elapsed())),
                    None => return,
                }
            }
        };
        if !delay.is_zero() {
            tokio::select! {
                _ = kill.changed() => return,
                _ = tokio::time::sleep(delay) => {}
            }
        }
        if writer.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// Reads one request frame without its length prefix; `None` at the end of
/// the stream, on an error, or for a frame over the size limit.
async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut BytesMut) -> Option<Bytes> {
    loop {
        if buf.len() >= 4 {
            let size = checked_length([buf[0], buf[1], buf[2], buf[3]], DEFAULT_MAX_FRAME).ok()?;
            if buf.len() >= 4 + size {
                buf.advance(4);
                return Some(buf.split_to(size).freeze());
            }
            buf.reserve(4 + size - buf.len());
        }
        match reader.read_buf(buf).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}
