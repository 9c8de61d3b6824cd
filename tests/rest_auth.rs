//! End-to-end tests of REST client authentication
//! (`authentication.method=BASIC`): the gateway in front of its in-process
//! cluster, with a JAAS configuration and a password file as Confluent's
//! REST Proxy documents them, talked to over HTTP with and without
//! `Authorization: Basic` credentials.

use std::path::PathBuf;

use base64::Engine as _;
use kafka_gateway_tests::gateway::{http_request, start_error, HttpResponse, TestGateway};
use kafka_gateway_tests::{python_json, unique_topic};

/// A JAAS configuration naming a password file, both removed when dropped.
struct Realm {
    jaas: PathBuf,
    passwords: PathBuf,
}

impl Realm {
    fn new(jaas_module: &str, users: &str) -> Realm {
        let dir = std::env::temp_dir();
        let passwords = dir.join(format!("{}.properties", unique_topic("passwords")));
        std::fs::write(&passwords, users).expect("write password file");
        let jaas = dir.join(format!("{}.jaas", unique_topic("jaas")));
        let config = format!(
            "KafkaRest {{\n    {jaas_module} required\n    debug=\"true\"\n    file=\"{}\";\n}};\n",
            passwords.display()
        );
        std::fs::write(&jaas, config).expect("write JAAS configuration");
        Realm { jaas, passwords }
    }

    /// alice (admin), bob (MD5 credential, reader), carol (no role).
    fn standard() -> Realm {
        Realm::new(
            "org.eclipse.jetty.jaas.spi.PropertyFileLoginModule",
            &format!(
                "alice: alice-pw,admin\nbob: MD5:{},reader\ncarol: carol-pw\n",
                md5_hex("bob-pw")
            ),
        )
    }

    fn flag(&self) -> String {
        format!("--java.security.auth.login.config={}", self.jaas.display())
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.jaas);
        let _ = std::fs::remove_file(&self.passwords);
    }
}

fn md5_hex(text: &str) -> String {
    let script =
        "import hashlib, json, sys; print(json.dumps(hashlib.md5(sys.argv[1].encode()).hexdigest()))";
    python_json(script, &[text])
        .as_str()
        .expect("a string")
        .to_owned()
}

/// A dev gateway with BASIC authentication against `realm`, plus `flags`.
fn gateway(realm: &Realm, flags: &[&str]) -> TestGateway {
    let login_config = realm.flag();
    let mut args = vec![
        "--dev",
        "--authentication.method=BASIC",
        "--authentication.realm=KafkaRest",
        login_config.as_str(),
    ];
    args.extend_from_slice(flags);
    TestGateway::start_with(&args)
}

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

fn get(gw: &TestGateway, path: &str, authorization: Option<&str>) -> HttpResponse {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    http_request(gw.addr, "GET", path, &headers, None)
}

fn assert_refused(r: &HttpResponse, status: u16) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["error_code"], status, "{body}");
    assert!(body["message"].is_string(), "{body}");
}

#[test]
fn basic_credentials_are_checked_against_the_realm() {
    let realm = Realm::standard();
    let gw = gateway(&realm, &["--authentication.roles=admin,reader"]);

    // No credentials, unknown users, wrong passwords: 401 with a challenge.
    let alice = basic("alice", "alice-pw");
    for authorization in [
        None,
        Some(basic("alice", "wrong").as_str()),
        Some(basic("mallory", "alice-pw").as_str()),
        Some("Bearer abc"),
        Some("Basic !!!not-base64"),
    ] {
        let r = get(&gw, "/v3/clusters", authorization);
        assert_refused(&r, 401);
        let challenge = r
            .headers
            .iter()
            .find(|(name, _)| name == "www-authenticate")
            .map(|(_, v)| v.as_str());
        assert_eq!(
            challenge,
            Some("Basic realm=\"KafkaRest\""),
            "{authorization:?}"
        );
    }
    // A POST without credentials is refused before its body is read.
    let r = http_request(
        gw.addr,
        "POST",
        "/topics/anything",
        &[("Content-Type", "application/vnd.kafka.json.v2+json")],
        Some(br#"{"records":[{"value":1}]}"#),
    );
    assert_refused(&r, 401);

    // Plain and MD5 credentials, and a role the settings accept.
    assert_eq!(get(&gw, "/v3/clusters", Some(&alice)).status, 200);
    assert_eq!(get(&gw, "/topics", Some(&alice)).status, 200);
    let bob = basic("bob", "bob-pw");
    assert_eq!(get(&gw, "/v3/clusters", Some(&bob)).status, 200);
    // A known user without one of authentication.roles: 403.
    assert_refused(
        &get(&gw, "/v3/clusters", Some(&basic("carol", "carol-pw"))),
        403,
    );
}

#[test]
fn skip_paths_and_any_role() {
    let realm = Realm::new(
        "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule",
        "carol: carol-pw\n",
    );
    let gw = gateway(&realm, &["--authentication.skip.paths=/,/v3/clusters/*"]);
    assert_eq!(get(&gw, "/", None).status, 200);
    assert_eq!(get(&gw, "/v3/clusters", None).status, 200);
    assert_refused(&get(&gw, "/v3/clustersX", None), 401);
    assert_refused(&get(&gw, "/topics", None), 401);
    // With the default roles (`*`) every user of the realm is served.
    assert_eq!(
        get(&gw, "/topics", Some(&basic("carol", "carol-pw"))).status,
        200
    );
}

/// Unusable authentication settings stop the start with a message naming
/// the file and the problem.
#[test]
fn unusable_authentication_settings_stop_the_start() {
    let basic = [
        "--authentication.method=BASIC",
        "--authentication.realm=KafkaRest",
    ];
    let realm = Realm::standard();
    let flag = realm.flag();
    let ldap = Realm::new("org.eclipse.jetty.jaas.spi.LdapLoginModule", "");
    let ldap_flag = ldap.flag();
    let obfuscated = Realm::new(
        "org.eclipse.jetty.jaas.spi.PropertyFileLoginModule",
        "dave: OBF:1v2j1uum1xtv1zej1zer1xtn1uvk1v1v\n",
    );
    let obfuscated_flag = obfuscated.flag();
    for (flags, expected) in [
        (vec![basic[0]], "authentication.realm"),
        (basic.to_vec(), "java.security.auth.login.config"),
        (
            vec!["--authentication.method=BEARER"],
            "`BEARER` is not supported",
        ),
        (
            vec![basic[0], "--authentication.realm=Other", &flag],
            "no entry named `Other`",
        ),
        (
            vec![
                basic[0],
                basic[1],
                "--java.security.auth.login.config=/nonexistent.jaas",
            ],
            "/nonexistent.jaas",
        ),
        (
            vec![basic[0], basic[1], &ldap_flag],
            "login module `org.eclipse.jetty.jaas.spi.LdapLoginModule` is not supported",
        ),
        (
            vec![basic[0], basic[1], &obfuscated_flag],
            "`OBF` credentials (user `dave`) are not supported",
        ),
        (
            vec!["--authentication.skip.paths=v3"],
            "authentication.skip.paths",
        ),
    ] {
        let err = start_error(&flags);
        assert!(err.contains(expected), "{flags:?}: {err}");
    }
}

/// Python's `urllib` answers the gateway's challenge by itself: it sends
/// no credentials first, reads `WWW-Authenticate`, and retries with them.
#[test]
fn a_standard_library_client_answers_the_challenge() {
    let realm = Realm::standard();
    let gw = gateway(&realm, &[]);
    let script = r#"
import json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/v3/clusters"
passwords = urllib.request.HTTPPasswordMgr()
passwords.add_password("KafkaRest", url, "alice", "alice-pw")
opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
with opener.open(url, timeout=30) as response:
    body = json.load(response)
print(json.dumps({"status": response.status, "kind": body["kind"]}))
"#;
    let result = python_json(script, &[&gw.addr.port().to_string()]);
    assert_eq!(result["status"], 200, "{result}");
    assert_eq!(result["kind"], "KafkaClusterList", "{result}");
}
