//! End-to-end tests of `https://` listeners: the gateway in front of its
//! in-process cluster, served over TLS with the test certificates of
//! `crates/wire/tests/fixtures/tls/` (a CA, a server certificate for
//! `localhost` and `127.0.0.1`, a client certificate), talked to by a rustls
//! client and by Python's standard library.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kafka_gateway_tests::gateway::{
    http_request, parse_response, start_error, HttpResponse, TestGateway,
};
use kafka_gateway_tests::{python_json, repo_root, unique_topic};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    repo_root()
        .join("crates/wire/tests/fixtures/tls")
        .join(name)
}

fn fixture_str(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

/// A PEM file made of fixtures, removed when dropped.
struct Keystore(PathBuf);

impl Keystore {
    /// A keystore as the gateway reads it: one PEM file with a private key
    /// and a certificate chain.
    fn new(key: &str, chain: &str) -> Keystore {
        let mut pem = std::fs::read(fixture(key)).expect("key fixture");
        pem.extend(std::fs::read(fixture(chain)).expect("certificate fixture"));
        let path = std::env::temp_dir().join(format!("{}.pem", unique_topic("keystore")));
        std::fs::write(&path, pem).expect("write keystore");
        Keystore(path)
    }

    /// The server's key and certificate.
    fn server() -> Keystore {
        Keystore::new("server.key", "server.pem")
    }

    /// `--ssl.keystore.location=<this file>`.
    fn flag(&self) -> String {
        format!("--ssl.keystore.location={}", self.0.display())
    }
}

impl Drop for Keystore {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A dev gateway whose only listener is `https://127.0.0.1:0`, plus `flags`.
/// The key material is read before the gateway reports its address, so the
/// keystore file is gone again when it returns.
fn https_gateway(flags: &[&str]) -> TestGateway {
    let keystore = Keystore::server();
    let flag = keystore.flag();
    let mut args = vec![flag.as_str()];
    args.extend_from_slice(flags);
    https_gateway_with(&args)
}

/// A dev gateway whose only listener is `https://127.0.0.1:0`, with the
/// keystore and other settings of `flags`.
fn https_gateway_with(flags: &[&str]) -> TestGateway {
    let mut args = vec!["--dev", "--listeners=https://127.0.0.1:0"];
    args.extend_from_slice(flags);
    TestGateway::start_with(&args)
}

fn certs(name: &str) -> Vec<CertificateDer<'static>> {
    let pem = std::fs::read(fixture(name)).expect("certificate fixture");
    rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .expect("PEM certificates")
}

fn key(name: &str) -> PrivateKeyDer<'static> {
    let pem = std::fs::read(fixture(name)).expect("key fixture");
    rustls_pemfile::private_key(&mut pem.as_slice())
        .expect("PEM key")
        .expect("a private key")
}

/// How the test client connects.
#[derive(Clone, Copy)]
struct Client {
    /// Present `client.pem` (issued by the test CA).
    certificate: bool,
    /// Only this TLS version, if set.
    version: Option<&'static rustls::SupportedProtocolVersion>,
}

const PLAIN_CLIENT: Client = Client {
    certificate: false,
    version: None,
};

impl Client {
    fn config(self) -> Arc<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions = match self.version {
            Some(v) => vec![v],
            None => vec![&rustls::version::TLS12, &rustls::version::TLS13],
        };
        let mut roots = rustls::RootCertStore::empty();
        for ca in certs("ca.pem") {
            roots.add(ca).expect("CA certificate");
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .expect("versions")
            .with_root_certificates(roots);
        let config = if self.certificate {
            builder
                .with_client_auth_cert(certs("client.pem"), key("client.key"))
                .expect("client certificate")
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(config)
    }

    /// One request over TLS to `addr` (as `localhost`); `Err` when the
    /// handshake or the exchange fails.
    fn request(
        self,
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<HttpResponse, std::io::Error> {
        let name = ServerName::try_from("localhost").expect("server name");
        let conn =
            rustls::ClientConnection::new(self.config(), name).map_err(std::io::Error::other)?;
        let tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n",
            addr.port()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = body.unwrap_or_default();
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        tls.write_all(head.as_bytes())?;
        tls.write_all(body)?;
        let mut raw = Vec::new();
        match tls.read_to_end(&mut raw) {
            Ok(_) => {}
            // A peer that closes without close_notify after a complete
            // response: what was read is the answer.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof && !raw.is_empty() => {}
            Err(e) => return Err(e),
        }
        if raw.is_empty() {
            return Err(std::io::Error::new(ErrorKind::UnexpectedEof, "no response"));
        }
        Ok(parse_response(&raw))
    }

    /// `POST path` with a JSON body; panics if the exchange fails.
    fn post(self, addr: SocketAddr, path: &str, content_type: &str, body: &Value) -> HttpResponse {
        let body = body.to_string();
        let headers = [("Content-Type", content_type)];
        self.request(addr, "POST", path, &headers, Some(body.as_bytes()))
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    fn get(self, addr: SocketAddr, path: &str) -> Result<HttpResponse, std::io::Error> {
        self.request(addr, "GET", path, &[("Accept", "application/json")], None)
    }
}

fn cluster_id(addr: SocketAddr) -> String {
    let r = PLAIN_CLIENT
        .get(addr, "/v3/clusters")
        .expect("GET /v3/clusters");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["data"][0]["cluster_id"]
        .as_str()
        .expect("cluster id")
        .to_owned()
}

#[test]
fn https_serves_the_api_and_its_links_say_https() {
    let gw = https_gateway(&[]);
    let r = PLAIN_CLIENT
        .get(gw.addr, "/v3/clusters")
        .expect("GET over TLS");
    assert_eq!(r.status, 200);
    let body = r.json();
    let link = body["data"][0]["metadata"]["self"]
        .as_str()
        .expect("self link");
    assert!(
        link.starts_with(&format!(
            "https://localhost:{}/v3/clusters/",
            gw.addr.port()
        )),
        "{link}"
    );

    // A topic made, a record produced and the partition's offsets read
    // back, all over TLS.
    let cluster = cluster_id(gw.addr);
    let topic = unique_topic("https");
    let path = format!("/v3/clusters/{cluster}/topics");
    let create = json!({"topic_name": topic, "partitions_count": 1});
    let r = PLAIN_CLIENT.post(gw.addr, &path, "application/json", &create);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let produce = json!({"records": [{"value": {"over": "tls"}}]});
    let json_v2 = "application/vnd.kafka.json.v2+json";
    let r = PLAIN_CLIENT.post(gw.addr, &format!("/topics/{topic}"), json_v2, &produce);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["offsets"][0]["offset"], 0);
    let offsets = format!("/topics/{topic}/partitions/0/offsets");
    let r = PLAIN_CLIENT.get(gw.addr, &offsets).expect("offsets");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"beginning_offset": 0, "end_offset": 1}));
}

#[test]
fn http_and_https_listeners_side_by_side() {
    let keystore = Keystore::server();
    let gw = TestGateway::start_with(&[
        "--dev",
        "--listeners=http://127.0.0.1:0,https://127.0.0.1:0",
        &keystore.flag(),
    ]);
    let (http, https) = (gw.addrs[0], gw.addrs[1]);

    let plain = http_request(http, "GET", "/v3/clusters", &[], None);
    assert_eq!(plain.status, 200);
    let link = plain.json()["data"][0]["metadata"]["self"].clone();
    assert!(link.as_str().unwrap().starts_with("http://"), "{link}");
    let secure = PLAIN_CLIENT.get(https, "/v3/clusters").expect("https");
    assert_eq!(secure.status, 200);
    let link = secure.json()["data"][0]["metadata"]["self"].clone();
    assert!(link.as_str().unwrap().starts_with("https://"), "{link}");

    // Plain HTTP to the TLS port gets no HTTP answer, TLS to the plain port
    // no handshake; both listeners go on serving.
    let mut stream = TcpStream::connect(https).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
        .write_all(b"GET /v3/clusters HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
    assert!(PLAIN_CLIENT.get(http, "/v3/clusters").is_err());
    assert_eq!(PLAIN_CLIENT.get(https, "/v3/clusters").unwrap().status, 200);
    assert_eq!(
        http_request(http, "GET", "/v3/clusters", &[], None).status,
        200
    );
}

#[test]
fn a_required_client_certificate_is_checked() {
    let gw = https_gateway(&[
        "--ssl.client.authentication=REQUIRED",
        &format!("--ssl.truststore.location={}", fixture_str("ca.pem")),
    ]);
    assert!(
        PLAIN_CLIENT.get(gw.addr, "/v3/clusters").is_err(),
        "served a client without a certificate"
    );
    let with_certificate = Client {
        certificate: true,
        version: None,
    };
    let r = with_certificate
        .get(gw.addr, "/v3/clusters")
        .expect("with a certificate");
    assert_eq!(r.status, 200);

    // A truststore that does not hold the issuing CA turns the same
    // certificate away.
    let gw = https_gateway(&[
        "--ssl.client.authentication=REQUIRED",
        &format!("--ssl.truststore.location={}", fixture_str("other-ca.pem")),
    ]);
    assert!(with_certificate.get(gw.addr, "/v3/clusters").is_err());
}

#[test]
fn a_requested_client_certificate_is_optional() {
    let gw = https_gateway(&[
        "--ssl.client.authentication=REQUESTED",
        &format!("--ssl.truststore.location={}", fixture_str("ca.pem")),
    ]);
    assert_eq!(
        PLAIN_CLIENT.get(gw.addr, "/v3/clusters").unwrap().status,
        200
    );
    let with_certificate = Client {
        certificate: true,
        version: None,
    };
    assert_eq!(
        with_certificate
            .get(gw.addr, "/v3/clusters")
            .unwrap()
            .status,
        200
    );
}

#[test]
fn enabled_protocols_limit_the_versions() {
    let gw = https_gateway(&["--ssl.enabled.protocols=TLSv1.2"]);
    let tls12 = Client {
        certificate: false,
        version: Some(&rustls::version::TLS12),
    };
    let tls13 = Client {
        certificate: false,
        version: Some(&rustls::version::TLS13),
    };
    assert_eq!(tls12.get(gw.addr, "/v3/clusters").unwrap().status, 200);
    assert!(tls13.get(gw.addr, "/v3/clusters").is_err());
}

/// Python's `http.client` and `ssl`, verifying the server against the test CA
/// and its host name, as an HTTPS client that is not ours.
#[test]
fn python_standard_library_client() {
    let gw = https_gateway(&[]);
    let script = r#"
import http.client, json, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[1])
conn = http.client.HTTPSConnection("localhost", int(sys.argv[2]), context=context, timeout=30)
conn.request("GET", "/v3/clusters", headers={"Accept": "application/json"})
response = conn.getresponse()
version = conn.sock.version()
body = json.load(response)
print(json.dumps({"status": response.status, "version": version, "body": body}))
"#;
    let ca = fixture_str("ca.pem");
    let result = python_json(script, &[&ca, &gw.addr.port().to_string()]);
    assert_eq!(result["status"], 200, "{result}");
    assert_eq!(result["version"], "TLSv1.3", "{result}");
    assert!(
        result["body"]["data"][0]["cluster_id"].is_string(),
        "{result}"
    );
}

/// Keystores as Confluent's REST Proxy users have them: JKS (with a key
/// password of its own) and PKCS12 written by keytool and by openssl, old
/// and new encryption.
#[test]
fn java_keystores_serve_https() {
    let jks = fixture_str("server.jks");
    let stores = [
        (jks.as_str(), "JKS", Some("keypass")),
        (&fixture_str("server.p12"), "PKCS12", None),
        (&fixture_str("server-keytool.p12"), "pkcs12", None),
        (&fixture_str("server-legacy.p12"), "PKCS12", None),
    ];
    for (store, store_type, key_password) in stores {
        let location = format!("--ssl.keystore.location={store}");
        let store_type = format!("--ssl.keystore.type={store_type}");
        let key_password = key_password.map(|p| format!("--ssl.key.password={p}"));
        let mut flags = vec![
            location.as_str(),
            store_type.as_str(),
            "--ssl.keystore.password=changeit",
        ];
        flags.extend(key_password.as_deref());
        let gw = https_gateway_with(&flags);
        let r = PLAIN_CLIENT
            .get(gw.addr, "/v3/clusters")
            .unwrap_or_else(|e| panic!("{store}: {e}"));
        assert_eq!(r.status, 200, "{store}");
    }
}

/// `ssl.cipher.suites` limits what the listener offers: a client of
/// Python's standard library gets the one suite named.
#[test]
fn cipher_suites_limit_what_is_offered() {
    let gw = https_gateway(&[
        "--ssl.enabled.protocols=TLSv1.2",
        "--ssl.cipher.suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    ]);
    let script = r#"
import http.client, json, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[1])
conn = http.client.HTTPSConnection("localhost", int(sys.argv[2]), context=context, timeout=30)
conn.request("GET", "/v3/clusters")
status = conn.getresponse().status
print(json.dumps({"status": status, "cipher": conn.sock.cipher()[0]}))
"#;
    let ca = fixture_str("ca.pem");
    let result = python_json(script, &[&ca, &gw.addr.port().to_string()]);
    assert_eq!(result["status"], 200, "{result}");
    // OpenSSL's name of TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384.
    assert_eq!(
        result["cipher"], "ECDHE-ECDSA-AES256-GCM-SHA384",
        "{result}"
    );
}

/// JKS and PKCS12 truststores vouch for client certificates.
#[test]
fn java_truststores_check_client_certificates() {
    let with_certificate = Client {
        certificate: true,
        version: None,
    };
    for store in ["truststore.jks", "truststore.p12"] {
        let gw = https_gateway(&[
            "--ssl.client.authentication=REQUIRED",
            &format!("--ssl.truststore.location={}", fixture_str(store)),
            "--ssl.truststore.password=changeit",
        ]);
        assert!(
            PLAIN_CLIENT.get(gw.addr, "/v3/clusters").is_err(),
            "{store}: served a client without a certificate"
        );
        let r = with_certificate
            .get(gw.addr, "/v3/clusters")
            .unwrap_or_else(|e| panic!("{store}: {e}"));
        assert_eq!(r.status, 200, "{store}");
    }
}

/// What `kafka-gateway` reports at start-up when the key material is
/// missing or unusable.
#[test]
fn unusable_key_material_stops_the_start() {
    let start_error = |flags: &[&str]| {
        let mut all = vec!["--listeners=https://127.0.0.1:0"];
        all.extend_from_slice(flags);
        start_error(&all)
    };
    let missing = start_error(&["--ssl.keystore.location=/nonexistent/server.pem"]);
    assert!(missing.contains("/nonexistent/server.pem"), "{missing}");
    let no_key = start_error(&[&format!(
        "--ssl.keystore.location={}",
        fixture_str("server.pem")
    )]);
    assert!(no_key.contains("no private key"), "{no_key}");
    let no_cert = start_error(&[&format!(
        "--ssl.keystore.location={}",
        fixture_str("server.key")
    )]);
    assert!(no_cert.contains("no PEM certificate"), "{no_cert}");
    let encrypted = start_error(&[&Keystore::new("client-encrypted.key", "client.pem").flag()]);
    assert!(
        encrypted.contains("is encrypted; set its password (ssl.key.password)"),
        "{encrypted}"
    );
    let jks = format!("--ssl.keystore.location={}", fixture_str("server.jks"));
    for (flags, expected) in [
        (
            vec![jks.as_str(), "--ssl.keystore.password=wrong"],
            "the store password is wrong",
        ),
        (
            vec![jks.as_str(), "--ssl.keystore.password=changeit"],
            "the private key password is wrong",
        ),
        (vec![jks.as_str()], "needs its password"),
    ] {
        let err = start_error(&flags);
        assert!(err.contains(expected), "{flags:?}: {err}");
        assert!(!err.contains("changeit"), "{err}");
    }
    let mismatched = start_error(&[&Keystore::new("client.key", "server.pem").flag()]);
    assert!(mismatched.contains("unusable keystore"), "{mismatched}");
}
