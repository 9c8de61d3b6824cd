//! `wire` with TLS and SASL, and after a broker restart, against the Tansu
//! broker from `tests/support` and, where Tansu 0.6.0 cannot serve a case,
//! against stand-ins written here:
//!
//! - **TLS** (`security.protocol=SSL`). Tansu 0.6.0 never serves TLS: its
//!   `--cert` and `--key` options cannot even be given together, and the TLS
//!   acceptor it would build is unused. So [`TlsFront`] terminates TLS with the
//!   fixtures in `crates/wire/tests/fixtures/tls` in front of a plain Tansu
//!   that advertises the proxy's address; every connection the client opens
//!   (bootstrap and leader) goes through TLS. Checked: produce and read back,
//!   CA verification, host name verification for `localhost` and
//!   `127.0.0.1`, client certificates, and that failures come back promptly.
//! - **SASL** (`security.protocol=SASL_PLAINTEXT`). Tansu's `--authentication`
//!   offers SCRAM-SHA-256/512 only (no PLAIN), and its memory storage cannot
//!   hold SCRAM credentials, so every login fails there; that is used to check
//!   the failures against the real broker. Successful PLAIN and SCRAM logins,
//!   and wrong passwords, are checked against [`SaslBroker`], a scripted broker
//!   that implements the server side of both mechanisms.
//! - **Restarts**: the broker stops and comes back on the same port (with
//!   empty in-memory storage); the client's metadata calls and an existing
//!   producer recover.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use hmac::{Hmac, Mac};
use kafka_gateway_tests::{repo_root, unique_topic, TansuOptions, TestBroker};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::metadata_response::MetadataResponseBroker;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, MetadataResponse, ResponseHeader,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{decode_request_header_from_buffer, Decodable, Encodable, StrBytes};
use sha2::{Digest, Sha256, Sha512};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use wire::conn::Connection;
use wire::consumer::{FetchConfig, PartitionReader};
use wire::producer::{Acks, Producer, ProducerConfig, ProducerRecord, RecordMetadata};
use wire::{Client, ClientConfig, Error};

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

fn fixture(name: &str) -> PathBuf {
    repo_root()
        .join("crates")
        .join("wire")
        .join("tests")
        .join("fixtures")
        .join("tls")
        .join(name)
}

fn fixture_str(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

/// A client configuration from Kafka client properties.
fn config(props: &[(&str, &str)]) -> ClientConfig {
    ClientConfig::from_properties(props.iter().copied())
        .unwrap_or_else(|e| panic!("client properties {props:?}: {e}"))
}

/// Starts Tansu with `options` without blocking the runtime's workers.
async fn start_tansu(options: TansuOptions) -> TestBroker {
    tokio::task::spawn_blocking(move || TestBroker::start_with(options))
        .await
        .expect("broker start-up panicked")
}

/// Runs `future`, failing the test if it takes longer than `limit`.
async fn within<T>(what: &str, limit: Duration, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(limit, future).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {limit:?}"),
    }
}

/// Reads `count` records of partition `partition` from offset 0.
async fn read_values(client: &Client, topic: &str, partition: i32, count: usize) -> Vec<Bytes> {
    let mut reader =
        PartitionReader::new(client.clone(), topic, partition, 0, FetchConfig::default());
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while out.len() < count && tokio::time::Instant::now() < deadline {
        for r in reader.poll(count - out.len()).await.expect("poll") {
            out.push(r.value.unwrap_or_default());
        }
    }
    out
}

/// Creates a topic, produces `n` records to it with a `wire` producer and
/// reads them back, checking offsets and values.
async fn produce_and_read_back(client: &Client, prefix: &str, n: usize) {
    let topic = unique_topic(prefix);
    client
        .create_topic(&topic, 1, 1)
        .await
        .expect("create topic");
    let producer = Producer::new(
        client.clone(),
        ProducerConfig {
            linger: Duration::from_millis(5),
            ..ProducerConfig::default()
        },
    )
    .await
    .expect("producer");
    let want: Vec<Bytes> = (0..n)
        .map(|i| Bytes::from(format!("{prefix} record {i}")))
        .collect();
    let mut futures = Vec::new();
    for value in &want {
        let record = ProducerRecord {
            topic: topic.as_str().into(),
            partition: Some(0),
            key: Some(Bytes::from_static(b"k")),
            value: Some(value.clone()),
            ..ProducerRecord::default()
        };
        futures.push(producer.send(record).await.expect("send"));
    }
    for (i, f) in futures.into_iter().enumerate() {
        let meta = f.wait().await.expect("delivered");
        assert_eq!((meta.partition, meta.offset), (0, i as i64));
    }
    producer.close().await;
    assert_eq!(read_values(client, &topic, 0, n).await, want);
}

// ---------------------------------------------------------------------------
// TLS: a TLS-terminating proxy in front of a plain Tansu
// ---------------------------------------------------------------------------

/// Counters of the proxy's incoming connections.
#[derive(Debug, Default)]
struct ProxyStats {
    handshakes: AtomicUsize,
    failed_handshakes: AtomicUsize,
}

/// A plain Tansu broker behind a TLS-terminating proxy. Tansu advertises the
/// proxy's address, so clients only ever talk TLS.
struct TlsFront {
    /// Kept alive for the proxy; stopped when the front is dropped.
    _broker: TestBroker,
    port: u16,
    stats: Arc<ProxyStats>,
    accept_loop: JoinHandle<()>,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl TlsFront {
    /// Starts the proxy (on a free `127.0.0.1` port) and a Tansu that
    /// advertises `tcp://{advertised_host}:{proxy port}`. With `client_auth`
    /// the proxy requires a client certificate signed by the test CA.
    async fn start(advertised_host: &str, client_auth: bool) -> TlsFront {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind the TLS proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let broker = start_tansu(TansuOptions {
            advertised_listener: Some(format!("tcp://{advertised_host}:{port}")),
            ..TansuOptions::default()
        })
        .await;
        let stats = Arc::new(ProxyStats::default());
        let accept_loop = tokio::spawn(run_tls_proxy(
            listener,
            TlsAcceptor::from(server_config(client_auth)),
            broker.addr(),
            stats.clone(),
        ));
        TlsFront {
            _broker: broker,
            port,
            stats,
            accept_loop,
        }
    }

    fn bootstrap(&self, host: &str) -> String {
        format!("{host}:{}", self.port)
    }

    fn handshakes(&self) -> usize {
        self.stats.handshakes.load(Ordering::SeqCst)
    }

    fn failed_handshakes(&self) -> usize {
        self.stats.failed_handshakes.load(Ordering::SeqCst)
    }
}

async fn run_tls_proxy(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    upstream: SocketAddr,
    stats: Arc<ProxyStats>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let acceptor = acceptor.clone();
        let stats = stats.clone();
        tokio::spawn(async move {
            let accepted =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
            let Ok(Ok(mut tls)) = accepted else {
                stats.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                return;
            };
            stats.handshakes.fetch_add(1, Ordering::SeqCst);
            let Ok(mut plain) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
        });
    }
}

fn pem_certs(name: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    let pem = std::fs::read(fixture(name)).expect("read certificate fixture");
    rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .expect("PEM certificates")
}

/// The proxy's TLS configuration: `server.pem` (valid for `localhost` and
/// `127.0.0.1`, issued by `ca.pem`), optionally requiring a client
/// certificate issued by `ca.pem`.
fn server_config(client_auth: bool) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key_pem = std::fs::read(fixture("server.key")).expect("read server key");
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .expect("PEM key")
        .expect("a private key in server.key");
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("protocol versions");
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        for ca in pem_certs("ca.pem") {
            roots.add(ca).expect("CA certificate");
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client certificate verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    Arc::new(
        builder
            .with_single_cert(pem_certs("server.pem"), key)
            .expect("server certificate and key"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_ca_file_produces_and_reads_back() {
    init_tracing();
    let front = TlsFront::start("127.0.0.1", false).await;
    let ca = fixture_str("ca.pem");
    let bootstrap = front.bootstrap("127.0.0.1");
    let client = within(
        "TLS connect",
        Duration::from_secs(20),
        Client::connect(config(&[
            ("bootstrap.servers", &bootstrap),
            ("security.protocol", "SSL"),
            ("ssl.ca.location", &ca),
        ])),
    )
    .await
    .expect("connect over TLS");
    let metadata = client.cached_metadata();
    let brokers: Vec<(String, u16)> = metadata
        .brokers
        .values()
        .map(|b| (b.host.clone(), b.port))
        .collect();
    assert_eq!(
        brokers,
        vec![("127.0.0.1".to_owned(), front.port)],
        "the broker advertises the TLS proxy"
    );
    within(
        "produce and read back over TLS",
        Duration::from_secs(30),
        produce_and_read_back(&client, "tls", 25),
    )
    .await;
    assert!(front.handshakes() >= 1, "no TLS connection was made");
    assert_eq!(front.failed_handshakes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_host_name_verification_accepts_localhost_and_127_0_0_1() {
    init_tracing();
    let ca = fixture_str("ca.pem");
    // The server certificate names both DNS:localhost and IP:127.0.0.1. The
    // bootstrap host is checked on the bootstrap connection, the advertised
    // host on the connection to the partition leader.
    for advertised in ["127.0.0.1", "localhost"] {
        let front = TlsFront::start(advertised, false).await;
        for bootstrap_host in ["localhost", "127.0.0.1"] {
            let bootstrap = front.bootstrap(bootstrap_host);
            let client = within(
                "TLS connect",
                Duration::from_secs(20),
                Client::connect(config(&[
                    ("bootstrap.servers", &bootstrap),
                    ("security.protocol", "ssl"),
                    ("ssl.ca.location", &ca),
                    ("ssl.endpoint.identification.algorithm", "https"),
                ])),
            )
            .await
            .unwrap_or_else(|e| panic!("bootstrap {bootstrap}, advertised {advertised}: {e}"));
            let leader_host = client
                .cached_metadata()
                .brokers
                .values()
                .map(|b| b.host.clone())
                .collect::<Vec<_>>();
            assert_eq!(leader_host, vec![advertised.to_owned()]);
            within(
                "produce and read back over TLS",
                Duration::from_secs(30),
                produce_and_read_back(&client, "tls-names", 3),
            )
            .await;
        }
        assert_eq!(front.failed_handshakes(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_verification_failures_are_prompt_tls_errors() {
    init_tracing();
    let front = TlsFront::start("127.0.0.1", false).await;
    let bootstrap = front.bootstrap("127.0.0.1");
    let other_ca = fixture_str("other-ca.pem");
    let ca = fixture_str("ca.pem");

    // No CA configured: the built-in web PKI roots do not know the test CA.
    // An unrelated CA does not either.
    let no_ca = config(&[
        ("bootstrap.servers", &bootstrap),
        ("security.protocol", "SSL"),
    ]);
    let wrong_ca = config(&[
        ("bootstrap.servers", &bootstrap),
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &other_ca),
    ]);
    for (what, config) in [("web PKI roots", no_ca), ("unrelated CA", wrong_ca)] {
        let started = Instant::now();
        let err = within(
            "TLS connect with an untrusted certificate",
            Duration::from_secs(5),
            Connection::connect("127.0.0.1", front.port, &config.connection),
        )
        .await
        .expect_err("an untrusted server certificate must be refused");
        assert!(matches!(err, Error::Tls(_)), "{what}: {err:?}");
        let text = err.to_string();
        assert!(text.contains("UnknownIssuer"), "{what}: {text}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{what}: slow failure"
        );
    }

    // Through the cluster client it fails too, within the API timeout.
    let started = Instant::now();
    let err = within(
        "Client::connect with an untrusted certificate",
        Duration::from_secs(10),
        Client::connect(config(&[
            ("bootstrap.servers", &bootstrap),
            ("security.protocol", "SSL"),
            ("default.api.timeout.ms", "1500"),
            ("retry.backoff.ms", "50"),
        ])),
    )
    .await
    .expect_err("an untrusted server certificate must be refused");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(8), "{err}");

    // A name the certificate does not carry is refused, unless host name
    // verification is off (the chain is still verified).
    let mut mismatch = config(&[
        ("bootstrap.servers", &bootstrap),
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &ca),
    ]);
    mismatch.connection.security.tls.server_name = Some("kafka.example.com".to_owned());
    let err = within(
        "TLS connect with a host name mismatch",
        Duration::from_secs(5),
        Connection::connect("127.0.0.1", front.port, &mismatch.connection),
    )
    .await
    .expect_err("a certificate for another name must be refused");
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(err.to_string().contains("not valid for name"), "{err}");

    let mut no_hostname_check = config(&[
        ("bootstrap.servers", &bootstrap),
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &ca),
        ("ssl.endpoint.identification.algorithm", ""),
    ]);
    no_hostname_check.connection.security.tls.server_name = Some("kafka.example.com".to_owned());
    within(
        "TLS connect without host name verification",
        Duration::from_secs(20),
        Client::connect(no_hostname_check),
    )
    .await
    .expect("host name verification off accepts the certificate");

    let mut other_ca_no_hostname_check = config(&[
        ("bootstrap.servers", &bootstrap),
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &other_ca),
        ("ssl.endpoint.identification.algorithm", ""),
    ]);
    other_ca_no_hostname_check
        .connection
        .security
        .tls
        .server_name = Some("kafka.example.com".to_owned());
    let err = Connection::connect(
        "127.0.0.1",
        front.port,
        &other_ca_no_hostname_check.connection,
    )
    .await
    .expect_err("without host name verification the chain is still verified");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_plaintext_mismatches_fail_in_bounded_time() {
    init_tracing();
    let front = TlsFront::start("127.0.0.1", false).await;
    let ca = fixture_str("ca.pem");

    // A plaintext client on the TLS port: the proxy's handshake fails on the
    // ApiVersions bytes and it closes the connection.
    let plaintext = config(&[("bootstrap.servers", &front.bootstrap("127.0.0.1"))]);
    let err = within(
        "plaintext connect to a TLS port",
        Duration::from_secs(5),
        Connection::connect("127.0.0.1", front.port, &plaintext.connection),
    )
    .await
    .expect_err("a TLS listener does not speak plaintext Kafka");
    assert!(
        matches!(err, Error::Disconnected { .. } | Error::Io { .. }),
        "{err:?}"
    );

    // A TLS client on a port that accepts but never answers the ClientHello
    // (as a plaintext broker waiting for the rest of a "frame" does) gives up
    // after socket.connection.setup.timeout.ms.
    let silent = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let silent_port = silent.local_addr().expect("address").port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = silent.accept().await {
            held.push(tcp);
        }
    });
    let tls = config(&[
        ("bootstrap.servers", &format!("127.0.0.1:{silent_port}")),
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &ca),
        ("socket.connection.setup.timeout.ms", "700"),
    ]);
    let started = Instant::now();
    let err = within(
        "TLS connect to a silent port",
        Duration::from_secs(5),
        Connection::connect("127.0.0.1", silent_port, &tls.connection),
    )
    .await
    .expect_err("no ServerHello ever comes");
    assert!(
        matches!(
            err,
            Error::Timeout {
                api: "tls handshake",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(600));
    holder.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_client_certificate_is_presented_when_required() {
    init_tracing();
    let front = TlsFront::start("127.0.0.1", true).await;
    let bootstrap = front.bootstrap("localhost");
    let ca = fixture_str("ca.pem");
    let cert = fixture_str("client.pem");
    let key = fixture_str("client.key");
    let keystore = fixture_str("client-keystore.pem");
    let encrypted_key = fixture_str("client-encrypted.key");
    let (truststore_jks, keystore_jks) = (fixture_str("truststore.jks"), fixture_str("client.jks"));
    let (truststore_p12, keystore_p12) = (fixture_str("truststore.p12"), fixture_str("client.p12"));
    // PEM text in the properties (KIP-651), each block on one line.
    let one_line = |name: &str| {
        std::fs::read_to_string(fixture(name))
            .expect("fixture")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (ca_text, chain_text, key_text) = (
        one_line("ca.pem"),
        one_line("client.pem"),
        one_line("client.key"),
    );

    // Without a client certificate the proxy refuses; with TLS 1.3 the client
    // learns it from an alert on its first read.
    let anonymous = config(&[
        ("bootstrap.servers", &bootstrap),
        ("security.protocol", "SSL"),
        ("ssl.ca.location", &ca),
    ]);
    let err = within(
        "TLS connect without a client certificate",
        Duration::from_secs(5),
        Connection::connect("localhost", front.port, &anonymous.connection),
    )
    .await
    .expect_err("the proxy requires a client certificate");
    assert!(
        err.to_string().to_ascii_lowercase().contains("certificate"),
        "{err:?}"
    );

    for props in [
        vec![
            ("bootstrap.servers", bootstrap.as_str()),
            ("security.protocol", "SSL"),
            ("ssl.ca.location", ca.as_str()),
            ("ssl.certificate.location", cert.as_str()),
            ("ssl.key.location", key.as_str()),
        ],
        vec![
            ("bootstrap.servers", bootstrap.as_str()),
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", ca.as_str()),
            ("ssl.truststore.type", "PEM"),
            ("ssl.keystore.location", keystore.as_str()),
            ("ssl.keystore.type", "PEM"),
        ],
        vec![
            ("bootstrap.servers", bootstrap.as_str()),
            ("security.protocol", "SSL"),
            ("ssl.ca.location", ca.as_str()),
            ("ssl.certificate.location", cert.as_str()),
            ("ssl.key.location", encrypted_key.as_str()),
            ("ssl.key.password", "secret"),
        ],
        // Java's stores, the type left at its default (JKS) for the JKS pair.
        vec![
            ("bootstrap.servers", bootstrap.as_str()),
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", truststore_jks.as_str()),
            ("ssl.truststore.password", "changeit"),
            ("ssl.keystore.location", keystore_jks.as_str()),
            ("ssl.keystore.password", "changeit"),
            ("ssl.key.password", "changeit"),
        ],
        vec![
            ("bootstrap.servers", bootstrap.as_str()),
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", truststore_p12.as_str()),
            ("ssl.truststore.type", "PKCS12"),
            ("ssl.truststore.password", "changeit"),
            ("ssl.keystore.location", keystore_p12.as_str()),
            ("ssl.keystore.type", "PKCS12"),
            ("ssl.keystore.password", "changeit"),
        ],
        vec![
            ("bootstrap.servers", bootstrap.as_str()),
            ("security.protocol", "SSL"),
            ("ssl.truststore.certificates", ca_text.as_str()),
            ("ssl.keystore.certificate.chain", chain_text.as_str()),
            ("ssl.keystore.key", key_text.as_str()),
            ("ssl.keystore.type", "PEM"),
        ],
    ] {
        let client = within(
            "TLS connect with a client certificate",
            Duration::from_secs(20),
            Client::connect(config(&props)),
        )
        .await
        .unwrap_or_else(|e| panic!("{props:?}: {e}"));
        within(
            "produce and read back with a client certificate",
            Duration::from_secs(30),
            produce_and_read_back(&client, "mtls", 5),
        )
        .await;
    }
    assert!(front.failed_handshakes() >= 1);
}

/// The cluster client should report a certificate failure as [`Error::Tls`]
/// at once: retrying cannot help.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_connect_reports_tls_errors_without_retrying() {
    init_tracing();
    let front = TlsFront::start("127.0.0.1", false).await;
    let bootstrap = front.bootstrap("127.0.0.1");
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        Client::connect(config(&[
            ("bootstrap.servers", &bootstrap),
            ("security.protocol", "SSL"),
        ])),
    )
    .await;
    let err = match result {
        Err(_) => panic!("Client::connect was still retrying after 10 s"),
        Ok(Ok(_)) => panic!("an untrusted certificate was accepted"),
        Ok(Err(e)) => e,
    };
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

// ---------------------------------------------------------------------------
// SASL against Tansu (--authentication)
// ---------------------------------------------------------------------------

async fn tansu_with_authentication() -> TestBroker {
    start_tansu(TansuOptions {
        extra_args: vec!["--authentication".to_owned()],
        ..TansuOptions::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tansu_scram_login_failures_are_authentication_errors() {
    init_tracing();
    let broker = tansu_with_authentication().await;
    let port = broker.port().expect("owned broker");
    // Tansu's memory storage keeps no SCRAM credentials, so every user is
    // unknown: it answers the client-final message with `e=unknown-user`.
    for props in [
        vec![
            ("bootstrap.servers", broker.bootstrap.as_str()),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            ("sasl.username", "alice"),
            ("sasl.password", "alice-secret"),
        ],
        vec![
            ("bootstrap.servers", broker.bootstrap.as_str()),
            ("security.protocol", "sasl_plaintext"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="bob-secret";"#,
            ),
        ],
    ] {
        let config = config(&props);
        let started = Instant::now();
        let err = within(
            "SCRAM login",
            Duration::from_secs(10),
            Connection::connect("127.0.0.1", port, &config.connection),
        )
        .await
        .expect_err("Tansu knows no SCRAM users");
        match &err {
            Error::Authentication { broker, message } => {
                assert_eq!(broker, &format!("127.0.0.1:{port}"));
                assert!(message.contains("unknown-user"), "{message}");
            }
            other => panic!("{props:?}: expected Error::Authentication, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));

        // The cluster client fails as well (see the ignored test below for
        // the error type it should have).
        let mut client_config = config.clone();
        client_config.api_timeout = Duration::from_millis(1500);
        client_config.retry_backoff = Duration::from_millis(50);
        let err = within(
            "Client::connect with a failing SCRAM login",
            Duration::from_secs(10),
            Client::connect(client_config),
        )
        .await
        .expect_err("Tansu knows no SCRAM users");
        assert!(err.to_string().contains("unknown-user"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tansu_refuses_plain_and_unauthenticated_clients() {
    init_tracing();
    let broker = tansu_with_authentication().await;
    let port = broker.port().expect("owned broker");

    // PLAIN is not among Tansu's mechanisms; it closes the connection on the
    // SaslHandshake instead of answering UNSUPPORTED_SASL_MECHANISM.
    let plain = config(&[
        ("bootstrap.servers", &broker.bootstrap),
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.username", "alice"),
        ("sasl.password", "alice-secret"),
    ]);
    let err = within(
        "PLAIN login",
        Duration::from_secs(5),
        Connection::connect("127.0.0.1", port, &plain.connection),
    )
    .await
    .expect_err("Tansu does not offer PLAIN");
    assert!(matches!(err, Error::Disconnected { .. }), "{err:?}");

    // Without SASL, ApiVersions is answered but Metadata closes the connection.
    let anonymous = config(&[
        ("bootstrap.servers", &broker.bootstrap),
        ("default.api.timeout.ms", "1000"),
        ("retry.backoff.ms", "50"),
    ]);
    let err = within(
        "unauthenticated Client::connect",
        Duration::from_secs(10),
        Client::connect(anonymous),
    )
    .await
    .expect_err("Tansu requires authentication");
    assert!(
        matches!(err, Error::Disconnected { .. } | Error::NoBrokers(_)),
        "{err:?}"
    );
    assert!(
        broker.log().contains("NotAuthenticated"),
        "{}",
        broker.log()
    );
}

/// The cluster client should report a failed login as
/// [`Error::Authentication`] at once: retrying cannot help.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_connect_reports_authentication_errors_without_retrying() {
    init_tracing();
    let broker = tansu_with_authentication().await;
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        Client::connect(config(&[
            ("bootstrap.servers", &broker.bootstrap),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            ("sasl.username", "alice"),
            ("sasl.password", "wrong"),
        ])),
    )
    .await;
    let err = match result {
        Err(_) => panic!("Client::connect was still retrying after 10 s"),
        Ok(Ok(_)) => panic!("an unknown user was accepted"),
        Ok(Err(e)) => e,
    };
    assert!(matches!(err, Error::Authentication { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

// ---------------------------------------------------------------------------
// SASL against a scripted broker
// ---------------------------------------------------------------------------

const SCRAM_ITERATIONS: u32 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScramHash {
    Sha256,
    Sha512,
}

impl ScramHash {
    fn from_mechanism(name: &str) -> Option<ScramHash> {
        match name {
            "SCRAM-SHA-256" => Some(ScramHash::Sha256),
            "SCRAM-SHA-512" => Some(ScramHash::Sha512),
            _ => None,
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            ScramHash::Sha512 => {
                let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key).expect("any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn salted_password(self, password: &str, salt: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => {
                let mut out = vec![0; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(
                    password.as_bytes(),
                    salt,
                    SCRAM_ITERATIONS,
                    &mut out,
                );
                out
            }
            ScramHash::Sha512 => {
                let mut out = vec![0; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(
                    password.as_bytes(),
                    salt,
                    SCRAM_ITERATIONS,
                    &mut out,
                );
                out
            }
        }
    }
}

/// The server side of one SCRAM exchange (RFC 5802), after the
/// client-first message has been accepted.
#[derive(Debug)]
struct ScramExchange {
    hash: ScramHash,
    /// The client-first message without the GS2 header.
    client_first_bare: String,
    server_first: String,
    nonce: String,
    salted_password: Vec<u8>,
}

/// Why a SASL step failed: the message goes into the SaslAuthenticate
/// response with SASL_AUTHENTICATION_FAILED, as Kafka does.
type SaslFailure = String;

impl ScramExchange {
    fn start(
        hash: ScramHash,
        client_first: &[u8],
        users: &HashMap<String, String>,
    ) -> Result<(ScramExchange, String), SaslFailure> {
        let text = std::str::from_utf8(client_first).map_err(|_| "client-first is not UTF-8")?;
        let bare = text
            .strip_prefix("n,,")
            .ok_or_else(|| format!("unexpected GS2 header in {text:?}"))?;
        let mut user = None;
        let mut client_nonce = None;
        for attr in bare.split(',') {
            if let Some(v) = attr.strip_prefix("n=") {
                user = Some(v.replace("=2C", ",").replace("=3D", "="));
            } else if let Some(v) = attr.strip_prefix("r=") {
                client_nonce = Some(v.to_owned());
            }
        }
        let (Some(user), Some(client_nonce)) = (user, client_nonce) else {
            return Err(format!("client-first {text:?} lacks n= or r="));
        };
        let password = users
            .get(&user)
            .ok_or_else(|| "Authentication failed: Invalid user credentials".to_owned())?;
        let salt = format!("salt-of-{user}").into_bytes();
        let nonce = format!("{client_nonce}fake-broker-nonce");
        let server_first = format!("r={nonce},s={},i={SCRAM_ITERATIONS}", BASE64.encode(&salt));
        Ok((
            ScramExchange {
                hash,
                client_first_bare: bare.to_owned(),
                server_first: server_first.clone(),
                nonce,
                salted_password: hash.salted_password(password, &salt),
            },
            user,
        ))
    }

    /// Checks the client-final message; returns the server-final message.
    fn finish(&self, client_final: &[u8]) -> Result<String, SaslFailure> {
        let text = std::str::from_utf8(client_final).map_err(|_| "client-final is not UTF-8")?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or_else(|| format!("client-final {text:?} has no proof"))?;
        if without_proof != format!("c=biws,r={}", self.nonce) {
            return Err(format!("unexpected channel binding or nonce in {text:?}"));
        }
        let proof = BASE64.decode(proof).map_err(|_| "proof is not base64")?;
        let h = self.hash;
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        let stored_key = h.digest(&h.hmac(&self.salted_password, b"Client Key"));
        let client_signature = h.hmac(&stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof
            .iter()
            .zip(&client_signature)
            .map(|(p, s)| p ^ s)
            .collect();
        if proof.len() != client_signature.len() || h.digest(&client_key) != stored_key {
            return Err(format!(
                "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-{}",
                if h == ScramHash::Sha256 { 256 } else { 512 }
            ));
        }
        let server_key = h.hmac(&self.salted_password, b"Server Key");
        Ok(format!(
            "v={}",
            BASE64.encode(h.hmac(&server_key, auth_message.as_bytes()))
        ))
    }
}

/// A broker that speaks just enough Kafka for `Client::connect` with SASL:
/// ApiVersions, SaslHandshake v1, SaslAuthenticate (PLAIN and SCRAM server
/// side) and, once authenticated, Metadata (itself as the only broker, no
/// topics). Any other request, or Metadata before authentication, is noted
/// in the log and closes the connection, as Kafka does.
struct SaslBroker {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    accept_loop: JoinHandle<()>,
}

impl Drop for SaslBroker {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

#[derive(Debug)]
struct SaslSettings {
    port: u16,
    mechanisms: Vec<&'static str>,
    users: HashMap<String, String>,
}

impl SaslBroker {
    async fn start(mechanisms: &[&'static str], users: &[(&str, &str)]) -> SaslBroker {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind the SASL broker");
        let port = listener.local_addr().expect("address").port();
        let settings = Arc::new(SaslSettings {
            port,
            mechanisms: mechanisms.to_vec(),
            users: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
        });
        let log = Arc::new(Mutex::new(Vec::new()));
        let accept_log = log.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let settings = settings.clone();
                let log = accept_log.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve_sasl_connection(tcp, &settings, &log).await {
                        note(&log, format!("connection error: {e}"));
                    }
                });
            }
        });
        SaslBroker {
            port,
            log,
            accept_loop,
        }
    }

    fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn note(log: &Mutex<Vec<String>>, entry: String) {
    log.lock().unwrap_or_else(|p| p.into_inner()).push(entry);
}

/// One response frame: length, response header, body.
fn response_frame<M: Encodable>(
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &M,
) -> Result<Vec<u8>, String> {
    let mut out = BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut out, key.response_header_version(version))
        .map_err(|e| e.to_string())?;
    body.encode(&mut out, version).map_err(|e| e.to_string())?;
    let mut frame = (out.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&out);
    Ok(frame)
}

fn sasl_failure(message: String) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse::default()
        .with_error_code(58) // SASL_AUTHENTICATION_FAILED
        .with_error_message(Some(StrBytes::from_string(message)))
}

async fn serve_sasl_connection(
    mut tcp: TcpStream,
    settings: &SaslSettings,
    log: &Mutex<Vec<String>>,
) -> Result<(), String> {
    let mut mechanism: Option<String> = None;
    let mut scram: Option<ScramExchange> = None;
    let mut authenticated = false;
    loop {
        let mut len = [0u8; 4];
        if tcp.read_exact(&mut len).await.is_err() {
            return Ok(()); // the client closed the connection
        }
        let len = usize::try_from(i32::from_be_bytes(len)).map_err(|_| "negative frame size")?;
        let mut frame = vec![0u8; len];
        tcp.read_exact(&mut frame)
            .await
            .map_err(|e| format!("read: {e}"))?;
        let mut buf = Bytes::from(frame);
        let header = decode_request_header_from_buffer(&mut buf).map_err(|e| e.to_string())?;
        let key = ApiKey::try_from(header.request_api_key)
            .map_err(|_| format!("unknown API key {}", header.request_api_key))?;
        let version = header.request_api_version;
        let correlation_id = header.correlation_id;
        let response = match key {
            ApiKey::ApiVersions => {
                let versions = [
                    (ApiKey::Metadata, 1, 12),
                    (ApiKey::ApiVersions, 0, 3),
                    (ApiKey::SaslHandshake, 0, 1),
                    (ApiKey::SaslAuthenticate, 0, 2),
                ];
                let body = ApiVersionsResponse::default().with_api_keys(
                    versions
                        .iter()
                        .map(|(k, min, max)| {
                            ApiVersion::default()
                                .with_api_key(*k as i16)
                                .with_min_version(*min)
                                .with_max_version(*max)
                        })
                        .collect(),
                );
                response_frame(key, version, correlation_id, &body)?
            }
            ApiKey::SaslHandshake => {
                let request =
                    SaslHandshakeRequest::decode(&mut buf, version).map_err(|e| e.to_string())?;
                let requested = request.mechanism.to_string();
                note(log, format!("handshake {requested}"));
                let enabled = settings.mechanisms.contains(&requested.as_str());
                let body = SaslHandshakeResponse::default()
                    .with_error_code(if enabled { 0 } else { 33 }) // UNSUPPORTED_SASL_MECHANISM
                    .with_mechanisms(
                        settings
                            .mechanisms
                            .iter()
                            .map(|m| StrBytes::from_static_str(m))
                            .collect(),
                    );
                if enabled {
                    mechanism = Some(requested);
                }
                response_frame(key, version, correlation_id, &body)?
            }
            ApiKey::SaslAuthenticate => {
                let request = SaslAuthenticateRequest::decode(&mut buf, version)
                    .map_err(|e| e.to_string())?;
                let token = request.auth_bytes;
                let body = match mechanism.as_deref() {
                    _ if authenticated => sasl_failure("already authenticated".to_owned()),
                    Some("PLAIN") => {
                        note(
                            log,
                            format!("PLAIN token {:?}", String::from_utf8_lossy(&token)),
                        );
                        let parts: Vec<&[u8]> = token.split(|b| *b == 0).collect();
                        let ok = match parts.as_slice() {
                            [authzid, user, password] => {
                                authzid.is_empty()
                                    && settings
                                        .users
                                        .get(&*String::from_utf8_lossy(user))
                                        .is_some_and(|p| p.as_bytes() == *password)
                            }
                            _ => false,
                        };
                        if ok {
                            authenticated = true;
                            note(log, "authenticated with PLAIN".to_owned());
                            SaslAuthenticateResponse::default()
                        } else {
                            note(log, "PLAIN login refused".to_owned());
                            sasl_failure(
                                "Authentication failed: Invalid username or password".to_owned(),
                            )
                        }
                    }
                    Some(name) => {
                        let hash = ScramHash::from_mechanism(name).ok_or("unexpected mechanism")?;
                        let step = match scram.take() {
                            None => ScramExchange::start(hash, &token, &settings.users).map(
                                |(exchange, user)| {
                                    note(log, format!("{name} client-first for {user}"));
                                    let server_first = exchange.server_first.clone();
                                    scram = Some(exchange);
                                    server_first
                                },
                            ),
                            Some(exchange) => exchange.finish(&token).inspect(|_| {
                                authenticated = true;
                                note(log, format!("authenticated with {name}"));
                            }),
                        };
                        match step {
                            Ok(reply) => SaslAuthenticateResponse::default()
                                .with_auth_bytes(Bytes::from(reply.into_bytes())),
                            Err(message) => {
                                note(log, format!("{name} login refused: {message}"));
                                sasl_failure(message)
                            }
                        }
                    }
                    None => SaslAuthenticateResponse::default()
                        .with_error_code(34) // ILLEGAL_SASL_STATE
                        .with_error_message(Some(StrBytes::from_static_str(
                            "SaslAuthenticate before SaslHandshake",
                        ))),
                };
                response_frame(key, version, correlation_id, &body)?
            }
            ApiKey::Metadata if authenticated => {
                let body = MetadataResponse::default()
                    .with_brokers(vec![MetadataResponseBroker::default()
                        .with_node_id(BrokerId(1))
                        .with_host(StrBytes::from_static_str("127.0.0.1"))
                        .with_port(i32::from(settings.port))])
                    .with_cluster_id(Some(StrBytes::from_static_str("fake-sasl-cluster")))
                    .with_controller_id(BrokerId(1));
                response_frame(key, version, correlation_id, &body)?
            }
            other => {
                note(
                    log,
                    format!("{other:?} before authentication; closing the connection"),
                );
                return Ok(());
            }
        };
        tcp.write_all(&response)
            .await
            .map_err(|e| format!("write: {e}"))?;
    }
}

fn sasl_config(broker: &SaslBroker, extra: &[(&str, &str)]) -> ClientConfig {
    let bootstrap = broker.bootstrap();
    let mut props = vec![
        ("bootstrap.servers", bootstrap.as_str()),
        ("security.protocol", "SASL_PLAINTEXT"),
    ];
    props.extend_from_slice(extra);
    config(&props)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_plain_logs_in_with_username_password_and_jaas_config() {
    init_tracing();
    let broker = SaslBroker::start(&["PLAIN"], &[("alice", "alice-secret")]).await;
    let jaas = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";"#;
    let stale_jaas = jaas.replace("alice-secret", "stale");
    for extra in [
        vec![
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "alice"),
            ("sasl.password", "alice-secret"),
        ],
        vec![("sasl.mechanism", "PLAIN"), ("sasl.jaas.config", jaas)],
        // librdkafka's property name and a password that overrides JAAS.
        vec![
            ("sasl.mechanisms", "plain"),
            ("sasl.jaas.config", stale_jaas.as_str()),
            ("sasl.password", "alice-secret"),
        ],
    ] {
        let client = within(
            "PLAIN Client::connect",
            Duration::from_secs(10),
            Client::connect(sasl_config(&broker, &extra)),
        )
        .await
        .unwrap_or_else(|e| panic!("{extra:?}: {e}\nbroker log: {:#?}", broker.log()));
        let metadata = client.cached_metadata();
        assert_eq!(metadata.cluster_id.as_deref(), Some("fake-sasl-cluster"));
        assert_eq!(metadata.brokers.len(), 1);
    }
    let log = broker.log();
    assert_eq!(
        log.iter()
            .filter(|e| *e == "PLAIN token \"\\0alice\\0alice-secret\"")
            .count(),
        3,
        "{log:#?}"
    );
    assert!(
        !log.iter().any(|e| e.contains("before authentication")),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_scram_logs_in_with_sha_256_and_sha_512() {
    init_tracing();
    let broker = SaslBroker::start(
        &["SCRAM-SHA-256", "SCRAM-SHA-512"],
        &[("alice", "alice-secret"), ("bob,the=admin", "pa,ss=wörd")],
    )
    .await;
    let jaas_256 = r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";"#;
    for extra in [
        vec![
            ("sasl.mechanism", "SCRAM-SHA-256"),
            ("sasl.jaas.config", jaas_256),
        ],
        vec![
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "bob,the=admin"),
            ("sasl.password", "pa,ss=wörd"),
        ],
    ] {
        within(
            "SCRAM Client::connect",
            Duration::from_secs(10),
            Client::connect(sasl_config(&broker, &extra)),
        )
        .await
        .unwrap_or_else(|e| panic!("{extra:?}: {e}\nbroker log: {:#?}", broker.log()));
    }
    let log = broker.log();
    for entry in [
        "SCRAM-SHA-256 client-first for alice",
        "authenticated with SCRAM-SHA-256",
        "SCRAM-SHA-512 client-first for bob,the=admin",
        "authenticated with SCRAM-SHA-512",
    ] {
        assert!(
            log.iter().any(|e| e == entry),
            "{entry:?} missing: {log:#?}"
        );
    }
    assert!(
        !log.iter()
            .any(|e| e.contains("before authentication") || e.contains("refused")),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_wrong_credentials_are_authentication_errors() {
    init_tracing();
    let broker = SaslBroker::start(
        &["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
        &[("alice", "alice-secret")],
    )
    .await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[
                ("sasl.mechanism", "PLAIN"),
                ("sasl.username", "alice"),
                ("sasl.password", "wrong"),
            ],
            "Invalid username or password",
        ),
        (
            &[
                ("sasl.mechanism", "SCRAM-SHA-256"),
                ("sasl.username", "alice"),
                ("sasl.password", "wrong"),
            ],
            "invalid credentials with SASL mechanism SCRAM-SHA-256",
        ),
        (
            &[
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "alice"),
                ("sasl.password", "wrong"),
            ],
            "invalid credentials with SASL mechanism SCRAM-SHA-512",
        ),
        (
            &[
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "mallory"),
                ("sasl.password", "alice-secret"),
            ],
            "Invalid user credentials",
        ),
    ];
    for (extra, expected) in cases {
        let config = sasl_config(&broker, extra);
        let err = within(
            "SASL login with wrong credentials",
            Duration::from_secs(5),
            Connection::connect("127.0.0.1", broker.port, &config.connection),
        )
        .await
        .expect_err("wrong credentials must be refused");
        match &err {
            Error::Authentication { message, .. } => {
                assert!(message.contains(expected), "{extra:?}: {message}")
            }
            other => panic!("{extra:?}: expected Error::Authentication, got {other:?}"),
        }
    }
    let log = broker.log();
    assert!(
        !log.iter().any(|e| e.contains("before authentication")),
        "a refused client must not send other requests: {log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_mechanism_the_broker_does_not_enable_is_an_authentication_error() {
    init_tracing();
    let broker = SaslBroker::start(&["SCRAM-SHA-512"], &[("alice", "alice-secret")]).await;
    let config = sasl_config(
        &broker,
        &[
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "alice"),
            ("sasl.password", "alice-secret"),
        ],
    );
    let err = within(
        "SASL login with a disabled mechanism",
        Duration::from_secs(5),
        Connection::connect("127.0.0.1", broker.port, &config.connection),
    )
    .await
    .expect_err("PLAIN is not enabled");
    match &err {
        Error::Authentication { message, .. } => {
            assert!(message.contains("PLAIN"), "{message}");
            assert!(message.contains("SCRAM-SHA-512"), "{message}");
        }
        other => panic!("expected Error::Authentication, got {other:?}"),
    }
    assert_eq!(broker.log(), vec!["handshake PLAIN".to_owned()]);
}

// ---------------------------------------------------------------------------
// Broker restarts
// ---------------------------------------------------------------------------

/// Properties for quick retries, so a test does not sit out long backoffs.
fn restart_config(bootstrap: &str) -> ClientConfig {
    config(&[
        ("bootstrap.servers", bootstrap),
        ("default.api.timeout.ms", "20000"),
        ("retry.backoff.ms", "50"),
        ("retry.backoff.max.ms", "250"),
    ])
}

async fn restart(mut broker: TestBroker, downtime: Duration) -> TestBroker {
    tokio::task::spawn_blocking(move || {
        broker.restart_after(downtime);
        broker
    })
    .await
    .expect("broker restart panicked")
}

fn record(topic: &str, value: &str) -> ProducerRecord {
    ProducerRecord {
        partition: Some(0),
        ..ProducerRecord::new(topic, value.to_owned())
    }
}

/// After a restart: creates a new topic and produces one record to it with the
/// producer that existed before; returns the topic and the delivery result.
async fn produce_to_new_topic(
    client: &Client,
    producer: &Producer,
    prefix: &str,
) -> (String, RecordMetadata) {
    let topic = unique_topic(prefix);
    within(
        "create a topic after the restart",
        Duration::from_secs(20),
        client.create_topic(&topic, 1, 1),
    )
    .await
    .expect("create after the restart");
    let meta = within(
        "produce after the restart",
        Duration::from_secs(20),
        async {
            producer
                .send(record(&topic, "two"))
                .await
                .expect("send after the restart")
                .wait()
                .await
        },
    )
    .await
    .expect("the existing producer delivers after the restart");
    (topic, meta)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_and_producer_recover_after_a_broker_restart() {
    init_tracing();
    let broker = start_tansu(TansuOptions::default()).await;
    let client = Client::connect(restart_config(&broker.bootstrap))
        .await
        .expect("connect");
    let before = unique_topic("before-restart");
    client.create_topic(&before, 1, 1).await.expect("create");
    let producer = Producer::new(
        client.clone(),
        ProducerConfig {
            acks: Acks::Leader,
            idempotence: false,
            linger: Duration::from_millis(5),
            ..ProducerConfig::default()
        },
    )
    .await
    .expect("producer");
    let meta = producer
        .send(record(&before, "one"))
        .await
        .expect("send")
        .wait()
        .await
        .expect("delivered before the restart");
    assert_eq!(meta.offset, 0);

    let broker = restart(broker, Duration::ZERO).await;

    // The pooled connections were closed by the old broker; a refresh
    // reconnects. The memory storage starts empty.
    let metadata = within(
        "metadata refresh after the restart",
        Duration::from_secs(20),
        client.refresh_metadata(),
    )
    .await
    .expect("metadata after the restart");
    assert!(!metadata.brokers.is_empty());
    assert!(
        !metadata.topics.contains_key(&before),
        "the restarted broker has no topics yet"
    );

    let (after, meta) = produce_to_new_topic(&client, &producer, "after-restart").await;
    assert_eq!((meta.partition, meta.offset), (0, 0));
    producer.close().await;
    assert_eq!(
        read_values(&client, &after, 0, 1).await,
        vec![Bytes::from_static(b"two")]
    );
    drop(broker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_refresh_waits_out_a_broker_outage() {
    init_tracing();
    let broker = start_tansu(TansuOptions::default()).await;
    let addr = broker.addr();
    let client = Client::connect(restart_config(&broker.bootstrap))
        .await
        .expect("connect");
    let restarted = tokio::spawn(restart(broker, Duration::from_millis(1500)));
    // Wait until the old broker is gone, then refresh during the outage.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "the broker did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    let metadata = within(
        "metadata refresh across the outage",
        Duration::from_secs(20),
        client.refresh_metadata(),
    )
    .await
    .expect("the refresh retries until the broker is back");
    assert!(!metadata.brokers.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the refresh cannot succeed while the port is closed"
    );
    let broker = restarted.await.expect("restart task");
    within(
        "produce after the outage",
        Duration::from_secs(30),
        produce_and_read_back(&client, "after-outage", 3),
    )
    .await;
    drop(broker);
}

/// An idempotent producer whose producer id the broker no longer knows
/// (here: a restarted broker with empty storage) should obtain a new one and
/// deliver, as Java clients do since KIP-360, rather than fail the batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producer_recovers_after_a_broker_restart() {
    init_tracing();
    let broker = start_tansu(TansuOptions::default()).await;
    let client = Client::connect(restart_config(&broker.bootstrap))
        .await
        .expect("connect");
    let before = unique_topic("idem-before");
    client.create_topic(&before, 1, 1).await.expect("create");
    let producer = Producer::new(client.clone(), ProducerConfig::default())
        .await
        .expect("producer");
    producer
        .send(record(&before, "one"))
        .await
        .expect("send")
        .wait()
        .await
        .expect("delivered before the restart");

    let broker = restart(broker, Duration::ZERO).await;
    let (_, meta) = produce_to_new_topic(&client, &producer, "idem-after").await;
    assert_eq!(meta.offset, 0);
    producer.close().await;
    drop(broker);
}
