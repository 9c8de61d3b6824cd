//! The `kafka-gateway` binary as users run it: start-up, the request log,
//! bad settings, and shutdown on SIGTERM / SIGINT.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kafka-gateway");

/// A started gateway process and the lines it logs.
struct Running {
    child: Child,
    addr: SocketAddr,
    log: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kafka-gateway");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut running = Running {
        child,
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        log: rx,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let line = running
            .log
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the gateway logs where it listens");
        if let Some(addr) = line.split("listening on http://").nth(1) {
            running.addr = addr.trim().parse().expect("address");
            return running;
        }
    }
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap();
    (status, body)
}

fn wait_for_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the gateway did not stop");
        thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn serves_logs_requests_and_stops_on_sigterm() {
    // Kafka is not needed to start: the cluster is reached on first use.
    let mut gw = start(&[
        "--bootstrap.servers=127.0.0.1:9",
        "--listeners=http://127.0.0.1:0",
    ]);
    assert_eq!(get(gw.addr, "/"), (200, "{}".to_owned()));
    let line = gw
        .log
        .recv_timeout(Duration::from_secs(5))
        .expect("a request log line");
    for part in ["INFO", "method=GET", "path=/", "status=200", "latency_us="] {
        assert!(line.contains(part), "{part} missing from {line:?}");
    }
    signal(&gw.child, "TERM");
    let status = wait_for_exit(&mut gw.child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

#[test]
fn stops_on_sigint() {
    let mut gw = start(&[
        "--bootstrap.servers=127.0.0.1:9",
        "--listeners=http://127.0.0.1:0",
    ]);
    signal(&gw.child, "INT");
    assert!(wait_for_exit(&mut gw.child, Duration::from_secs(10)).success());
}

#[test]
fn bad_settings_stop_start_up_with_a_clear_error() {
    for (args, expected) in [
        (
            vec!["--bootstrap.servers=127.0.0.1:9", "--no.such.setting=1"],
            "no.such.setting",
        ),
        (
            vec![
                "--bootstrap.servers=127.0.0.1:9",
                "--consumer.request.timeout.ms=abc",
            ],
            "consumer.request.timeout.ms",
        ),
        (vec!["--listeners=http://127.0.0.1:0"], "bootstrap.servers"),
        (
            vec![
                "--bootstrap.servers=127.0.0.1:9",
                "--consumer.session.timeout.ms=abc",
            ],
            "session.timeout.ms",
        ),
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn dev_mode_serves_an_in_process_cluster() {
    let mut gw = start(&["--dev", "--listeners=http://127.0.0.1:0"]);
    let (status, body) = get(gw.addr, "/brokers");
    assert_eq!(status, 200, "{body}");
    let brokers: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(brokers["brokers"], serde_json::json!([1, 2, 3]));
    let (status, body) = get(gw.addr, "/v3/clusters/kafka-gateway-dev");
    assert_eq!(status, 200, "{body}");
    signal(&gw.child, "TERM");
    assert!(wait_for_exit(&mut gw.child, Duration::from_secs(10)).success());
}
