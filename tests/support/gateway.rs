//! A gateway for end-to-end tests: the real server on `127.0.0.1:0`, run on
//! its own runtime thread, and a small blocking HTTP/1.1 client to talk to
//! it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use kafka_gateway::app::Gateway;
use kafka_gateway::config::{parse_args, Config};
use kafka_gateway::server::Bound;

/// Why a dev gateway with `flags` (listening on `http://127.0.0.1:0` unless
/// they name `--listeners`) does not start: the configuration error, or what
/// binding reports (key material, authentication files).
///
/// # Panics
///
/// If it would start.
pub fn start_error(flags: &[&str]) -> String {
    let mut args: Vec<String> = vec!["--dev".into()];
    if !flags.iter().any(|f| f.starts_with("--listeners")) {
        args.push("--listeners=http://127.0.0.1:0".into());
    }
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    let cli = parse_args(args.iter().map(std::ffi::OsString::from)).expect("flags");
    let config = match Config::load(&cli, std::iter::empty()) {
        Ok(loaded) => loaded.config,
        Err(e) => return e.to_string(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match runtime.block_on(Bound::bind(&config)) {
        Ok(_) => panic!("bound with {flags:?}"),
        Err(e) => e.to_string(),
    }
}

/// A running gateway; stopped (gracefully) when dropped.
#[derive(Debug)]
pub struct TestGateway {
    /// Where it listens (its first listener).
    pub addr: SocketAddr,
    /// Every listener's address, in the order of `listeners`.
    pub addrs: Vec<SocketAddr>,
    /// The in-process development cluster's `bootstrap.servers`, when the
    /// gateway was started with `--dev`.
    pub dev_bootstrap: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl TestGateway {
    /// A gateway in front of `bootstrap` with default settings.
    pub fn start(bootstrap: &str) -> TestGateway {
        TestGateway::start_with(&[&format!("--bootstrap.servers={bootstrap}")])
    }

    /// A gateway in front of its own in-process development cluster
    /// (`--dev`, 3 brokers).
    pub fn dev() -> TestGateway {
        TestGateway::start_with(&["--dev"])
    }

    /// A gateway configured with command-line flags (`--name=value`);
    /// `--listeners` defaults to `http://127.0.0.1:0`.
    pub fn start_with(flags: &[&str]) -> TestGateway {
        let mut args: Vec<String> = flags.iter().map(|f| (*f).to_owned()).collect();
        if !args.iter().any(|a| a.starts_with("--listeners")) {
            args.push("--listeners=http://127.0.0.1:0".to_owned());
        }
        let cli = parse_args(args.iter().map(std::ffi::OsString::from)).expect("test flags");
        let config = Config::load(&cli, std::iter::empty())
            .expect("test configuration")
            .config;
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name("test-gateway".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let mut cluster = None;
                    let mut bootstrap = Vec::new();
                    if config.dev {
                        let dev = kafka_gateway::dev::start(usize::from(config.dev_brokers))
                            .await
                            .expect("development cluster");
                        bootstrap = kafka_gateway::dev::bootstrap_pairs(&dev);
                        cluster = Some(dev);
                    }
                    let cluster_bootstrap = cluster.as_ref().map(|c| c.bootstrap());
                    let bound = Bound::bind(&config).await.expect("bind");
                    addr_tx
                        .send((bound.local_addrs(), cluster_bootstrap))
                        .expect("report address");
                    let gateway = Arc::new(Gateway::new(config, bootstrap));
                    bound
                        .serve(gateway, async {
                            let _ = stop_rx.await;
                        })
                        .await;
                    if let Some(cluster) = cluster {
                        cluster.shutdown().await;
                    }
                });
            })
            .expect("spawn gateway thread");
        let (addrs, dev_bootstrap) = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("gateway did not start");
        TestGateway {
            addr: addrs[0],
            addrs,
            dev_bootstrap,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `GET path` with `Accept: application/vnd.kafka.v2+json`.
    pub fn get(&self, path: &str) -> HttpResponse {
        self.request(
            "GET",
            path,
            &[("Accept", "application/vnd.kafka.v2+json")],
            None,
        )
    }

    /// `POST path` with a JSON body of `content_type`.
    pub fn post(&self, path: &str, content_type: &str, body: &Value) -> HttpResponse {
        self.request(
            "POST",
            path,
            &[("Content-Type", content_type)],
            Some(body.to_string().as_bytes()),
        )
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> HttpResponse {
        self.request("DELETE", path, &[], None)
    }

    /// Fetches records of the v2 consumer instance at `path` (`Accept:
    /// accept`) until `count` arrived or `within` passed.
    pub fn fetch_records(
        &self,
        path: &str,
        accept: &str,
        count: usize,
        within: Duration,
    ) -> Vec<Value> {
        let deadline = std::time::Instant::now() + within;
        let mut records = Vec::new();
        while records.len() < count && std::time::Instant::now() < deadline {
            let r = self.request(
                "GET",
                &format!("{path}/records?timeout=1000"),
                &[("Accept", accept)],
                None,
            );
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            records.extend(r.json().as_array().expect("records").iter().cloned());
        }
        records
    }

    /// Any request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> HttpResponse {
        http_request(self.addr, method, path, headers, body)
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A response read by [`http_request`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the status and that the body is an error with `error_code`.
    pub fn assert_error(&self, status: u16, error_code: u64) {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        assert_eq!(body["error_code"], error_code, "{body}");
        assert!(body["message"].is_string(), "{body}");
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).expect("connect to gateway");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write request");
    if let Some(body) = body {
        stream.write_all(body).expect("write body");
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw)
}

/// Parses a complete HTTP/1.1 response.
pub fn parse_response(raw: &[u8]) -> HttpResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).expect("UTF-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// Decodes a chunked body.
pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

/// A chunked (streaming) request: the request body is written by a
/// background thread from `chunks`, while the caller reads the response as
/// it arrives.
#[derive(Debug)]
pub struct StreamingRequest {
    reader: std::io::BufReader<TcpStream>,
    /// Status code of the response.
    pub status: u16,
    /// Response headers (names lower-cased).
    pub headers: Vec<(String, String)>,
    writer: Option<thread::JoinHandle<usize>>,
    written: Arc<std::sync::atomic::AtomicUsize>,
    chunk_left: usize,
    done: bool,
}

impl StreamingRequest {
    /// Starts `POST path` with `Transfer-Encoding: chunked`, writing each
    /// item of `chunks` as one chunk; waits for the response head.
    pub fn post<I>(addr: SocketAddr, path: &str, content_type: &str, chunks: I) -> StreamingRequest
    where
        I: IntoIterator<Item = Vec<u8>> + Send + 'static,
        I::IntoIter: Send,
    {
        let stream = TcpStream::connect(addr).expect("connect to gateway");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        let mut write_half = stream.try_clone().expect("clone socket");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        write_half.write_all(head.as_bytes()).expect("write head");
        let written = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = written.clone();
        let writer = thread::spawn(move || {
            let mut n = 0;
            for chunk in chunks {
                if chunk.is_empty() {
                    continue;
                }
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                if write_half.write_all(&framed).is_err() {
                    return n;
                }
                n += 1;
                counter.store(n, std::sync::atomic::Ordering::SeqCst);
            }
            let _ = write_half.write_all(b"0\r\n\r\n");
            n
        });
        let mut reader = std::io::BufReader::new(stream);
        let mut status = 0;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut reader, &mut line).expect("read head");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if status == 0 {
                status = line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            } else if let Some((n, v)) = line.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        StreamingRequest {
            reader,
            status,
            headers,
            writer: Some(writer),
            written,
            chunk_left: 0,
            done: false,
        }
    }

    /// How many chunks the writer has written so far.
    pub fn chunks_written(&self) -> usize {
        self.written.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The next line of the (chunked) response body, without its newline;
    /// `None` at the end.
    pub fn next_line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        loop {
            let byte = self.next_byte()?;
            if byte == b'\n' {
                return Some(String::from_utf8_lossy(&line).into_owned());
            }
            line.push(byte);
        }
    }

    fn next_byte(&mut self) -> Option<u8> {
        use std::io::BufRead as _;
        if self.done {
            return None;
        }
        if self.chunk_left == 0 {
            let mut size = String::new();
            self.reader.read_line(&mut size).ok()?;
            if size.trim().is_empty() {
                size.clear();
                self.reader.read_line(&mut size).ok()?;
            }
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            if n == 0 {
                self.done = true;
                return None;
            }
            self.chunk_left = n;
        }
        let mut b = [0u8; 1];
        self.reader.read_exact(&mut b).ok()?;
        self.chunk_left -= 1;
        if self.chunk_left == 0 {
            let mut crlf = [0u8; 2];
            self.reader.read_exact(&mut crlf).ok()?;
        }
        Some(b[0])
    }

    /// Waits for the writer; returns how many chunks it wrote.
    pub fn finish_writing(&mut self) -> usize {
        self.writer
            .take()
            .map(|w| w.join().expect("writer thread"))
            .unwrap_or_else(|| self.chunks_written())
    }
}
