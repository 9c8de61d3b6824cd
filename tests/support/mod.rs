//! Shared support for the workspace's integration and interoperability tests.
//!
//! * [`TestBroker`] gives a test a real Kafka-compatible broker: the one named
//!   by `KAFKA_BOOTSTRAP` if that is set, otherwise a throwaway
//!   [Tansu](https://github.com/tansu-io/tansu) broker with in-memory storage,
//!   started on a free loopback port and stopped when the value is dropped.
//!   [`TestBroker::start_with`] always starts Tansu, with extra command-line
//!   options ([`TansuOptions`]: `--authentication`, another advertised
//!   address), and [`TestBroker::restart`] restarts it on the same port.
//! * [`run_python`] runs one of the librdkafka helper scripts in
//!   `scripts/rdkafka/` (produce, consume, create a topic) with a JSON request
//!   and returns its JSON answer, so tests can check interoperability with a
//!   widely used client.
//!
//! Both rely on the Python virtual environment that `scripts/test-broker.sh
//! install` creates under `.cache/venv` (it holds the Tansu binary and
//! `confluent-kafka`); it is installed on first use, once per test process.
//! See `docs/testing.md`.
//!
//! * [`gateway::TestGateway`] runs the gateway in-process on a free loopback
//!   port, with a small blocking HTTP client for end-to-end tests.

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod backend;
pub mod gateway;
pub mod schema_env;
pub mod schema_registry;
pub mod spec;

/// Environment variable naming an existing broker (`host:port[,host:port…]`)
/// to use instead of starting Tansu.
pub const BOOTSTRAP_ENV: &str = "KAFKA_BOOTSTRAP";

/// How long [`TestBroker::start`] waits for a started broker to accept
/// connections.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How many free ports [`TestBroker::start`] tries before giving up (another
/// process may take a port between picking it and the broker binding it).
const START_ATTEMPTS: usize = 3;

/// Wrapper that runs the broker and stops it when its standard input reaches
/// end of file: when the [`TestBroker`] is dropped, or when the test process
/// dies for any reason (the kernel then closes the pipe's write end). `$0` is
/// the Tansu binary, `$1` the port, `$2` the advertised listener URL; any
/// further arguments are passed on to `tansu broker`.
///
/// A background job of a non-interactive shell gets `/dev/null` as its
/// standard input, so the watcher reads the original one through fd 3. The
/// broker is stopped with SIGINT: on SIGTERM Tansu waits up to 5 s for open
/// client connections to finish, which would slow down every stop and
/// [`TestBroker::restart`].
const WRAPPER: &str = r#"
exec 3<&0
tansu=$0 port=$1 advertised=$2
shift 2
"$tansu" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "$advertised" \
    --storage-engine "memory://tansu/" "$@" </dev/null 3<&- &
pid=$!
( while read -r _ <&3; do :; done; kill -INT "$pid" 2>/dev/null ) &
wait "$pid"
"#;

/// The repository's root directory (the parent of the `tests` package).
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Directory for local, untracked test state (`<repo>/.cache`).
pub fn cache_dir() -> PathBuf {
    repo_root().join(".cache")
}

/// Installs the test virtual environment (once per process) and returns the
/// Tansu binary's path.
///
/// # Panics
///
/// If `scripts/test-broker.sh install` fails.
pub fn tansu_binary() -> PathBuf {
    installed().tansu.clone()
}

/// The virtual environment's Python interpreter, with `confluent-kafka`
/// installed (installing it first if needed).
///
/// # Panics
///
/// If `scripts/test-broker.sh install` fails.
pub fn python() -> PathBuf {
    installed().python.clone()
}

#[derive(Debug)]
struct Installed {
    python: PathBuf,
    tansu: PathBuf,
}

fn installed() -> &'static Installed {
    static INSTALLED: OnceLock<Result<Installed, String>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        let script = repo_root().join("scripts").join("test-broker.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("path")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} path failed ({}):\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let tansu = stdout
            .lines()
            .last()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .ok_or_else(|| format!("{} path printed nothing", script.display()))?;
        Ok(Installed {
            python: cache_dir().join("venv").join("bin").join("python"),
            tansu: PathBuf::from(tansu),
        })
    });
    match result {
        Ok(installed) => installed,
        Err(e) => panic!("test environment install failed: {e}"),
    }
}

/// A Kafka-compatible broker for one test (or a group of tests).
///
/// Either an existing broker named by `KAFKA_BOOTSTRAP`, or a Tansu broker
/// process with in-memory storage that this value owns: it is stopped when the
/// value is dropped, and also if the test process dies without dropping it.
pub struct TestBroker {
    /// Bootstrap address(es) for clients, e.g. `127.0.0.1:40123`.
    pub bootstrap: String,
    process: Option<BrokerProcess>,
}

struct BrokerProcess {
    wrapper: Child,
    /// Write end of the wrapper's standard input: dropping it stops the broker.
    stop: Option<ChildStdin>,
    port: u16,
    log: PathBuf,
    /// How the broker was started, so [`TestBroker::restart`] can repeat it.
    options: TansuOptions,
}

/// How [`TestBroker::start_with`] starts Tansu (always on `127.0.0.1`, with
/// in-memory storage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TansuOptions {
    /// The listener URL to advertise in metadata (e.g.
    /// `tcp://127.0.0.1:40000` for a proxy in front of the broker); `None`
    /// advertises the broker's own `tcp://127.0.0.1:PORT`.
    pub advertised_listener: Option<String>,
    /// More `tansu broker` arguments, e.g. `--authentication`. The listener,
    /// advertised listener and storage engine are set already and must not
    /// be repeated here.
    pub extra_args: Vec<String>,
}

impl fmt::Debug for TestBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestBroker")
            .field("bootstrap", &self.bootstrap)
            .field("pid", &self.process.as_ref().map(|p| p.wrapper.id()))
            .field("log", &self.process.as_ref().map(|p| &p.log))
            .finish()
    }
}

impl TestBroker {
    /// Returns the broker named by `KAFKA_BOOTSTRAP` if that is set and not
    /// empty; otherwise starts a Tansu broker on a free `127.0.0.1` port and
    /// waits (up to [`START_TIMEOUT`]) until it accepts connections.
    ///
    /// # Panics
    ///
    /// If the test environment cannot be installed or the broker does not
    /// come up; the message includes the end of the broker's log.
    pub fn start() -> TestBroker {
        if let Some(bootstrap) = external_bootstrap() {
            return TestBroker {
                bootstrap,
                process: None,
            };
        }
        TestBroker::start_with(TansuOptions::default())
    }

    /// Starts a Tansu broker with `options` on a free `127.0.0.1` port, even
    /// when `KAFKA_BOOTSTRAP` is set (options cannot be applied to an
    /// external broker), and waits until it accepts connections.
    ///
    /// Use it for tests that depend on Tansu's command line (authentication,
    /// a different advertised address) or on [`TestBroker::restart`].
    ///
    /// # Panics
    ///
    /// As [`TestBroker::start`].
    pub fn start_with(options: TansuOptions) -> TestBroker {
        let tansu = tansu_binary();
        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = match free_port() {
                Ok(port) => port,
                Err(e) => {
                    last_error = e;
                    continue;
                }
            };
            match start_tansu(&tansu, port, &options, false) {
                Ok(process) => {
                    return TestBroker {
                        bootstrap: format!("127.0.0.1:{}", process.port),
                        process: Some(process),
                    }
                }
                Err(e) => last_error = e,
            }
        }
        panic!("could not start the test broker: {last_error}");
    }

    /// [`TestBroker::start_with`] with extra `tansu broker` arguments, e.g.
    /// `TestBroker::start_with_args(&["--authentication"])`.
    pub fn start_with_args(extra: &[&str]) -> TestBroker {
        TestBroker::start_with(TansuOptions {
            extra_args: extra.iter().map(|a| (*a).to_owned()).collect(),
            ..TansuOptions::default()
        })
    }

    /// Stops the owned broker and starts a new one with the same options on
    /// the same port, waiting until it accepts connections. The in-memory
    /// storage does not survive: topics, offsets and producer ids are gone.
    ///
    /// # Panics
    ///
    /// For an external broker, or if the new broker does not come up within
    /// [`START_TIMEOUT`].
    pub fn restart(&mut self) {
        self.restart_after(Duration::ZERO);
    }

    /// Like [`TestBroker::restart`], but leaves the port closed for
    /// `downtime` between stopping the broker and starting the new one.
    ///
    /// # Panics
    ///
    /// As [`TestBroker::restart`].
    pub fn restart_after(&mut self, downtime: Duration) {
        let Some(mut process) = self.process.take() else {
            panic!(
                "cannot restart an external broker ({BOOTSTRAP_ENV}={})",
                self.bootstrap
            );
        };
        let (port, options) = (process.port, process.options.clone());
        stop_process(&mut process);
        thread::sleep(downtime);
        let tansu = tansu_binary();
        // The old listening socket is closed with its process; retry in case
        // the port is still briefly unavailable.
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match start_tansu(&tansu, port, &options, true) {
                Ok(process) => {
                    self.process = Some(process);
                    return;
                }
                Err(e) if Instant::now() >= deadline => {
                    panic!("could not restart the test broker on port {port}: {e}")
                }
                Err(_) => thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Whether this is an external broker (from `KAFKA_BOOTSTRAP`) rather
    /// than a Tansu process owned by this value.
    pub fn is_external(&self) -> bool {
        self.process.is_none()
    }

    /// The port of an owned Tansu broker (`None` for an external one).
    pub fn port(&self) -> Option<u16> {
        self.process.as_ref().map(|p| p.port)
    }

    /// The first bootstrap address, resolved (it must be `ip:port`).
    ///
    /// # Panics
    ///
    /// If the address is not a literal socket address.
    pub fn addr(&self) -> SocketAddr {
        let first = self.bootstrap.split(',').next().unwrap_or_default().trim();
        first
            .parse()
            .unwrap_or_else(|e| panic!("bootstrap address {first:?} is not ip:port: {e}"))
    }

    /// The owned broker's log so far (empty for an external broker).
    pub fn log(&self) -> String {
        self.process
            .as_ref()
            .map(|p| fs::read_to_string(&p.log).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Whether the owned broker process is still running (always `true` for
    /// an external broker).
    pub fn is_running(&mut self) -> bool {
        match &mut self.process {
            Some(p) => matches!(p.wrapper.try_wait(), Ok(None)),
            None => true,
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        stop_process(&mut process);
        // Keep the log of a failed test for a look afterwards.
        if !thread::panicking() {
            let _ = fs::remove_file(&process.log);
        }
    }
}

/// Stops the broker of `process` and waits (up to 10 s, then kills the
/// wrapper) until the wrapper has exited.
fn stop_process(process: &mut BrokerProcess) {
    // Closing the wrapper's stdin makes it stop the broker and exit.
    drop(process.stop.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match process.wrapper.try_wait() {
            Ok(Some(_)) | Err(_) => break,
            Ok(None) if Instant::now() >= deadline => {
                let _ = process.wrapper.kill();
                let _ = process.wrapper.wait();
                break;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn external_bootstrap() -> Option<String> {
    std::env::var(BOOTSTRAP_ENV)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

/// Starts Tansu on `port` and waits until it accepts connections. With
/// `append_log` (a restart) the broker's log is appended to rather than
/// replaced.
fn start_tansu(
    tansu: &Path,
    port: u16,
    options: &TansuOptions,
    append_log: bool,
) -> Result<BrokerProcess, String> {
    let dir = cache_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let log = dir.join(format!("broker-{port}.log"));
    let mut log_file = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append_log)
        .truncate(!append_log)
        .open(&log)
        .map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    if append_log {
        let _ = writeln!(log_file, "--- restarted on port {port} ---");
    }
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("cannot clone log handle: {e}"))?;
    let mut wrapper = Command::new("sh")
        .arg("-c")
        .arg(WRAPPER)
        .arg(tansu)
        .arg(port.to_string())
        .arg(
            options
                .advertised_listener
                .clone()
                .unwrap_or_else(|| format!("tcp://127.0.0.1:{port}")),
        )
        .args(&options.extra_args)
        .stdin(Stdio::piped())
        .stdout(log_file)
        .stderr(log_err)
        // Settings in the environment that Tansu would read.
        .env_remove("LISTENER_URL")
        .env_remove("ADVERTISED_LISTENER_URL")
        .env_remove("STORAGE_ENGINE")
        .env_remove("SCHEMA_REGISTRY")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .spawn()
        .map_err(|e| format!("cannot spawn sh for {}: {e}", tansu.display()))?;
    let stop = wrapper.stdin.take();
    let mut process = BrokerProcess {
        wrapper,
        stop,
        port,
        log,
        options: options.clone(),
    };

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
            return Ok(process);
        }
        let failure = match process.wrapper.try_wait() {
            Ok(Some(status)) => Some(format!("broker exited during start-up ({status})")),
            Err(e) => Some(format!("cannot check the broker process: {e}")),
            Ok(None) if Instant::now() >= deadline => Some(format!(
                "broker did not accept connections on {addr} within {START_TIMEOUT:?}"
            )),
            Ok(None) => None,
        };
        if let Some(failure) = failure {
            drop(process.stop.take());
            let _ = process.wrapper.kill();
            let _ = process.wrapper.wait();
            let log_text = fs::read_to_string(&process.log).unwrap_or_default();
            if !append_log {
                let _ = fs::remove_file(&process.log);
            }
            return Err(format!("{failure}; log:\n{}", tail(&log_text, 20)));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `scripts/rdkafka/<script>` with the virtual environment's Python,
/// writes `stdin_json` to its standard input and parses its standard output
/// as JSON.
///
/// ```no_run
/// # use kafka_gateway_tests::{run_python, TestBroker};
/// let broker = TestBroker::start();
/// let out = run_python(
///     "create_topic.py",
///     &[],
///     &serde_json::json!({"bootstrap": broker.bootstrap, "topic": "t", "partitions": 3}),
/// );
/// assert_eq!(out["ok"], true);
/// ```
///
/// # Panics
///
/// If the script cannot be run, exits unsuccessfully, or prints something
/// that is not JSON; the message includes its standard error.
pub fn run_python(script: &str, args: &[&str], stdin_json: &Value) -> Value {
    let path = repo_root().join("scripts").join("rdkafka").join(script);
    let input = serde_json::to_vec(stdin_json).expect("serialising a JSON value cannot fail");
    let mut child = Command::new(python())
        .arg(&path)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Write from another thread so a script that prints before reading all of
    // its input cannot deadlock against us.
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_end(&mut stdout);
    }
    let status = child
        .wait()
        .unwrap_or_else(|e| panic!("waiting for {}: {e}", path.display()));
    let _ = writer.join();
    if let Ok(buf) = err_reader.join() {
        stderr = buf;
    }
    let stderr = String::from_utf8_lossy(&stderr);
    let stdout_text = String::from_utf8_lossy(&stdout);
    if !status.success() {
        panic!(
            "{script} {args:?} failed ({status})\n--- stderr ---\n{stderr}\n--- stdout ---\n{stdout_text}"
        );
    }
    serde_json::from_slice(&stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no valid JSON ({e})\n--- stdout ---\n{stdout_text}\n--- stderr ---\n{stderr}"
        )
    })
}

/// Runs an inline Python snippet with the system `python3` (standard
/// library only) and returns the JSON it prints.
///
/// # Panics
///
/// If it cannot be run, fails, or prints something that is not JSON.
pub fn python_json(script: &str, args: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the script printed no valid JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

const B64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (with padding), the encoding the helper scripts use for
/// keys, values and header values.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(
                    B64_ALPHABET[((n >> (18 - 6 * i)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional; whitespace is not allowed).
///
/// # Panics
///
/// If `text` is not valid base64.
pub fn b64_decode(text: &str) -> Vec<u8> {
    let digits = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in digits {
        let v = B64_ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("invalid base64 character {:?} in {text:?}", char::from(c)));
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// `Some(bytes)` as a base64 JSON string, `None` as JSON null.
pub fn b64_json(data: Option<&[u8]>) -> Value {
    data.map_or(Value::Null, |d| Value::String(b64_encode(d)))
}

/// A JSON string (base64) or null back to bytes.
///
/// # Panics
///
/// If `value` is neither null nor a base64 string.
pub fn b64_from_json(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(b64_decode(s)),
        other => panic!("expected a base64 string or null, got {other}"),
    }
}

/// A topic name unique within this machine (process id, time and a counter),
/// starting with `prefix`.
pub fn unique_topic(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for (plain, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64_encode(plain), encoded);
            assert_eq!(b64_decode(encoded), plain);
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(b64_decode(&b64_encode(&all)), all);
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }

    #[test]
    fn repo_root_has_scripts() {
        assert!(repo_root().join("scripts").join("test-broker.sh").is_file());
    }
}
