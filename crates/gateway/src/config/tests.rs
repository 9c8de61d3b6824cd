use super::*;

const FILE: &str = "/etc/kafka-rest/kafka-rest.properties";

fn env(vars: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    vars.iter()
        .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        .collect()
}

fn flags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn load(
    file: Option<&str>,
    vars: &[(&str, &str)],
    cli: &[(&str, &str)],
) -> Result<Loaded, ConfigError> {
    Config::from_sources(
        file.map(|text| (Path::new(FILE), text)),
        env(vars),
        &flags(cli),
    )
}

fn config(file: &str) -> Config {
    load(Some(file), &[], &[])
        .expect("valid configuration")
        .config
}

fn dev_config(file: &str) -> Config {
    load(Some(file), &[], &[("dev", "true")])
        .expect("valid configuration")
        .config
}

/// Loads a file that is expected to have exactly one invalid setting and
/// returns the error message.
fn invalid(file: &str) -> (String, String) {
    // `dev=true` comes first so that a later `dev=...` line in `file` wins.
    match load(Some(&format!("dev=true\n{file}")), &[], &[]) {
        Err(ConfigError::InvalidValue { key, message, .. }) => (key, message),
        other => panic!("expected an invalid value in {file:?}, got {other:?}"),
    }
}

fn assert_invalid(file: &str, key: &str, needle: &str) {
    let (got_key, message) = invalid(file);
    assert_eq!(got_key, key, "{file:?}: {message}");
    assert!(
        message.contains(needle),
        "{file:?}: `{message}` lacks `{needle}`"
    );
}

#[test]
fn defaults() {
    let c = dev_config("");
    assert_eq!(c.listeners.len(), 1);
    assert_eq!(c.listeners[0].to_string(), "http://0.0.0.0:8082");
    assert!(c.advertised_listeners.is_empty());
    assert_eq!(c.host_name, "");
    assert_eq!(c.id, "");
    assert!(c.bootstrap_servers.is_empty());
    assert!(c.dev);
    assert_eq!(c.dev_brokers, 3);
    assert!(c.api_v2_enable);
    assert!(c.api_v3_enable);
    assert!(c.api_endpoints_allowlist.is_empty());
    assert!(c.api_endpoints_blocklist.is_empty());
    assert_eq!(c.consumer_request_timeout, Duration::from_millis(1000));
    assert_eq!(c.consumer_request_max_bytes, 67_108_864);
    assert_eq!(c.consumer_instance_timeout, Duration::from_millis(300_000));
    assert_eq!(c.consumer_iterator_backoff, Duration::from_millis(50));
    assert_eq!(c.fetch_min_bytes, None);
    assert_eq!(c.request_body_max_bytes, 67_108_864);
    assert_eq!(
        c.streaming_connection_max_duration,
        Duration::from_millis(86_400_000)
    );
    assert_eq!(
        c.streaming_connection_max_duration_grace_period,
        Duration::from_millis(500)
    );
    assert_eq!(c.schema_registry_url, None);
    assert_eq!(c.response_mediatype_default, "application/json");
    assert_eq!(
        c.response_mediatype_preferred,
        vec![
            "application/vnd.kafka.v2+json",
            "application/vnd.kafka+json",
            "application/json"
        ]
    );
    assert!(!c.debug);
    assert_eq!(c.log_level, "info");
    assert!(c.client_properties.is_empty());
    assert!(c.producer_properties.is_empty());
    assert!(c.consumer_properties.is_empty());
    assert!(c.admin_properties.is_empty());
}

#[test]
fn dev_without_bootstrap_servers_is_fine() {
    let loaded = load(None, &[], &[("dev", "true")]).unwrap();
    assert!(loaded.config.dev);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // Also from the environment or the file.
    assert!(
        load(None, &[("KAFKA_REST_DEV", "true")], &[])
            .unwrap()
            .config
            .dev
    );
    assert!(load(Some("dev=true"), &[], &[]).unwrap().config.dev);
}

#[test]
fn missing_bootstrap_servers() {
    for (file, vars, cli) in [
        (None, vec![], vec![]),
        (Some("id=x\n"), vec![], vec![]),
        (Some("bootstrap.servers=\n"), vec![], vec![]),
        (Some("bootstrap.servers= , \n"), vec![], vec![]),
        (None, vec![("KAFKA_REST_BOOTSTRAP_SERVERS", "")], vec![]),
        (None, vec![], vec![("dev", "false")]),
    ] {
        let err = load(file, &vars, &cli).expect_err("bootstrap.servers is required");
        assert!(
            matches!(err, ConfigError::MissingBootstrapServers),
            "{err:?}"
        );
        let message = err.to_string();
        for needle in [
            "bootstrap.servers",
            "KAFKA_REST_BOOTSTRAP_SERVERS",
            "--bootstrap.servers",
            "--dev",
        ] {
            assert!(message.contains(needle), "{message}");
        }
    }
}

#[test]
fn dev_with_bootstrap_servers_warns() {
    let loaded = load(Some("bootstrap.servers=k:9092"), &[], &[("dev", "true")]).unwrap();
    assert!(loaded.config.dev);
    assert!(loaded
        .warnings
        .iter()
        .any(|w| w.contains("is ignored because the development cluster")));
}

#[test]
fn bootstrap_servers() {
    let c = config("bootstrap.servers=PLAINTEXT://broker-1:9092, broker-2:9093 ,[::1]:9094,");
    let servers: Vec<String> = c
        .bootstrap_servers
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        servers,
        vec!["broker-1:9092", "broker-2:9093", "[::1]:9094"]
    );
    assert_eq!(c.bootstrap_servers[0].host, "broker-1");
    assert_eq!(c.bootstrap_servers[0].port, 9092);
}

#[test]
fn secure_bootstrap_prefix_without_security_protocol_warns() {
    let loaded = load(Some("bootstrap.servers=SASL_SSL://b:9092"), &[], &[]).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("client.security.protocol")),
        "{:?}",
        loaded.warnings
    );
    let loaded = load(
        Some("bootstrap.servers=SASL_SSL://b:9092\nclient.security.protocol=SASL_SSL"),
        &[],
        &[],
    )
    .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn every_setting_from_a_file() {
    let c = config(
        "\
listeners=http://127.0.0.1:8082, http://[::1]:8083
advertised.listeners=https://rest.example.com:443
host.name=rest.example.com
id=rest-1
bootstrap.servers=b1:9092
dev.brokers=5
api.v2.enable=false
api.v3.enable=FALSE
api.endpoints.allowlist=api.v3.topics.list, api.v3.clusters.*
api.endpoints.blocklist=api.v3.acls.*
consumer.request.timeout.ms=2500
consumer.request.max.bytes=1024
consumer.instance.timeout.ms=60000
consumer.iterator.backoff.ms=0
fetch.min.bytes=1000
request.body.max.bytes=1048576
streaming.connection.max.duration.ms=60000
streaming.connection.max.duration.grace.period.ms=1000
schema.registry.url=http://sr-1:8081,http://sr-2:8081
response.mediatype.default=application/vnd.kafka.v2+json
response.mediatype.preferred=application/vnd.kafka.v2+json, application/json
debug=true
log.level=info,kafka_gateway=debug
",
    );
    let listeners: Vec<String> = c.listeners.iter().map(ToString::to_string).collect();
    assert_eq!(
        listeners,
        vec!["http://127.0.0.1:8082", "http://[::1]:8083"]
    );
    assert_eq!(
        c.advertised_listeners[0].to_string(),
        "https://rest.example.com:443"
    );
    assert_eq!(c.host_name, "rest.example.com");
    assert_eq!(c.id, "rest-1");
    assert!(!c.dev);
    assert_eq!(c.dev_brokers, 5);
    assert!(!c.api_v2_enable);
    assert!(!c.api_v3_enable);
    assert_eq!(
        c.api_endpoints_allowlist,
        vec!["api.v3.topics.list", "api.v3.clusters.*"]
    );
    assert_eq!(c.api_endpoints_blocklist, vec!["api.v3.acls.*"]);
    assert_eq!(c.consumer_request_timeout, Duration::from_millis(2500));
    assert_eq!(c.consumer_request_max_bytes, 1024);
    assert_eq!(c.consumer_instance_timeout, Duration::from_secs(60));
    assert_eq!(c.consumer_iterator_backoff, Duration::ZERO);
    assert_eq!(c.fetch_min_bytes, Some(1000));
    assert_eq!(c.request_body_max_bytes, 1_048_576);
    assert_eq!(c.streaming_connection_max_duration, Duration::from_secs(60));
    assert_eq!(
        c.streaming_connection_max_duration_grace_period,
        Duration::from_secs(1)
    );
    assert_eq!(
        c.schema_registry_url.as_deref(),
        Some("http://sr-1:8081,http://sr-2:8081")
    );
    assert_eq!(
        c.response_mediatype_default,
        "application/vnd.kafka.v2+json"
    );
    assert_eq!(
        c.response_mediatype_preferred,
        vec!["application/vnd.kafka.v2+json", "application/json"]
    );
    assert!(c.debug);
    assert_eq!(c.log_level, "info,kafka_gateway=debug");
}

#[test]
fn values_are_trimmed() {
    let c = config("bootstrap.servers=b:9092\nid=  rest-1   \nconsumer.request.timeout.ms= 5 \ndebug = true \t");
    assert_eq!(c.id, "rest-1");
    assert_eq!(c.consumer_request_timeout, Duration::from_millis(5));
    assert!(c.debug);
}

#[test]
fn empty_listener_host_means_all_interfaces() {
    let c = dev_config("listeners=http://:9000");
    assert_eq!(c.listeners[0].to_string(), "http://0.0.0.0:9000");
}

#[test]
fn port_zero_listener_is_allowed() {
    let c = dev_config("listeners=http://127.0.0.1:0,http://127.0.0.1:0");
    assert_eq!(c.listeners.len(), 2);
}

#[test]
fn deprecated_port() {
    let loaded = load(Some("port=9000"), &[], &[("dev", "true")]).unwrap();
    assert_eq!(
        loaded.config.listeners[0].to_string(),
        "http://0.0.0.0:9000"
    );
    assert!(loaded
        .warnings
        .iter()
        .any(|w| w.contains("`port` is deprecated")));

    let loaded = load(
        Some("port=9000\nlisteners=http://localhost:9001"),
        &[],
        &[("dev", "true")],
    )
    .unwrap();
    assert_eq!(
        loaded.config.listeners[0].to_string(),
        "http://localhost:9001"
    );
    assert!(loaded
        .warnings
        .iter()
        .any(|w| w.contains("`port` is ignored")));

    // An empty `listeners` falls back to `port`, as in Confluent's proxy.
    let c = dev_config("listeners=\nport=9002");
    assert_eq!(c.listeners[0].to_string(), "http://0.0.0.0:9002");
}

#[test]
fn precedence_file_env_cli() {
    let file = "bootstrap.servers=file:9092\nid=file\nhost.name=file\ndebug=true\n";
    let vars = [("KAFKA_REST_ID", "env"), ("KAFKA_REST_HOST_NAME", "env")];
    let cli = [("host.name", "cli")];

    let c = load(Some(file), &vars, &cli).unwrap().config;
    assert_eq!(c.bootstrap_servers[0].host, "file"); // file only
    assert_eq!(c.id, "env"); // env beats file
    assert_eq!(c.host_name, "cli"); // cli beats env and file
    assert!(c.debug); // file beats default
    assert!(c.api_v2_enable); // default

    // The same key given twice on the command line: the last one wins.
    let c = load(Some(file), &vars, &[("id", "one"), ("id", "two")])
        .unwrap()
        .config;
    assert_eq!(c.id, "two");
}

#[test]
fn precedence_applies_to_pass_through_properties() {
    let c = load(
        Some("bootstrap.servers=b:9092\nclient.sasl.mechanism=PLAIN\nproducer.acks=1"),
        &[("KAFKA_REST_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512")],
        &[("producer.acks", "all")],
    )
    .unwrap()
    .config;
    assert_eq!(c.client_properties["sasl.mechanism"], "SCRAM-SHA-512");
    assert_eq!(c.producer_properties["acks"], "all");
}

#[test]
fn log_level_sources() {
    let level = |file: Option<&str>, vars: &[(&str, &str)], cli: &[(&str, &str)]| {
        load(file, vars, &[&[("dev", "true")], cli].concat())
            .unwrap()
            .config
            .log_level
    };
    assert_eq!(level(None, &[], &[]), "info");
    assert_eq!(level(Some("log.level=warn"), &[], &[]), "warn");
    assert_eq!(
        level(Some("log.level=warn"), &[("RUST_LOG", "debug")], &[]),
        "debug"
    );
    assert_eq!(
        level(
            None,
            &[("RUST_LOG", "debug"), ("KAFKA_REST_LOG_LEVEL", "error")],
            &[]
        ),
        "error"
    );
    assert_eq!(
        level(
            None,
            &[("RUST_LOG", "debug"), ("KAFKA_REST_LOG_LEVEL", "error")],
            &[("log.level", "trace")]
        ),
        "trace"
    );
}

#[test]
fn pass_through_properties() {
    let c = config(
        "\
bootstrap.servers=b:9092
client.security.protocol=SASL_SSL
client.sasl.mechanism=PLAIN
client.request.timeout.ms=30000
producer.acks=all
producer.request.timeout.ms=10000
consumer.auto.offset.reset=earliest
consumer.request.timeout.ms=2000
admin.request.timeout.ms=5000
",
    );
    assert_eq!(c.client_properties.len(), 3);
    assert_eq!(c.client_properties["security.protocol"], "SASL_SSL");
    assert_eq!(c.producer_properties.len(), 2);
    // The gateway's own consumer.* settings are not passed to the consumer.
    assert_eq!(c.consumer_properties.len(), 1);
    assert_eq!(c.consumer_properties["auto.offset.reset"], "earliest");
    assert_eq!(c.consumer_request_timeout, Duration::from_millis(2000));

    let producer = c.kafka_client_properties(ClientRole::Producer);
    assert_eq!(producer["request.timeout.ms"], "10000");
    assert_eq!(producer["acks"], "all");
    assert_eq!(producer["sasl.mechanism"], "PLAIN");
    let consumer = c.kafka_client_properties(ClientRole::Consumer);
    assert_eq!(consumer["request.timeout.ms"], "30000");
    assert_eq!(consumer["auto.offset.reset"], "earliest");
    assert!(!consumer.contains_key("acks"));
    let admin = c.kafka_client_properties(ClientRole::Admin);
    assert_eq!(admin["request.timeout.ms"], "5000");
    assert_eq!(admin.len(), 3);
}

#[test]
fn ignored_confluent_settings_warn() {
    let loaded = load(
        Some("bootstrap.servers=b:9092\nconsumer.threads=50\nproducer.threads=5\nconsumer.iterator.timeout.ms=1"),
        &[],
        &[],
    )
    .unwrap();
    assert!(loaded.config.consumer_properties.is_empty());
    assert!(loaded.config.producer_properties.is_empty());
    assert_eq!(loaded.warnings.len(), 3, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains("`consumer.iterator.timeout.ms`"));
    assert!(loaded
        .warnings
        .iter()
        .any(|w| w.contains("`consumer.threads`") && w.contains("is ignored")));
}

#[test]
fn ignored_environment_variables_warn() {
    let loaded = load(
        None,
        &[
            ("KAFKA_REST_HEAP_OPTS", "-Xmx1g"),
            ("KAFKA_REST_SERVICE_HOST", "10.0.0.1"),
            ("KAFKA_REST_PORT", "tcp://10.0.0.1:8082"),
        ],
        &[("dev", "true")],
    )
    .unwrap();
    assert_eq!(loaded.config.listeners[0].port, 8082);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].contains("KAFKA_REST_HEAP_OPTS (JVM launcher setting)"));
    assert!(loaded.warnings[0].contains("KAFKA_REST_PORT (Kubernetes service link)"));
}

#[test]
fn duplicate_keys_in_file_warn_and_last_wins() {
    let loaded = load(Some("bootstrap.servers=b:9092\nid=a\n\nid=b"), &[], &[]).unwrap();
    assert_eq!(loaded.config.id, "b");
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].contains("lines 2 and 4"),
        "{}",
        loaded.warnings[0]
    );
}

#[test]
fn unknown_properties_name_their_origin() {
    let err = load(
        Some("bootstrap.servers=b:9092\n\nbogus.setting=1"),
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("unknown property `bogus.setting` (set at {FILE}:3)")
    );

    let err = load(
        None,
        &[("KAFKA_REST_BOGUS_SETTING", "1")],
        &[("dev", "true")],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown property `bogus.setting` (set by environment variable KAFKA_REST_BOGUS_SETTING)"
    );

    let err = load(
        None,
        &[],
        &[("dev", "true"), ("bootstrap.server", "b:9092")],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown property `bootstrap.server` (set by command-line flag --bootstrap.server)"
    );

    // Property names are case-sensitive, as in Java.
    let err = load(Some("Bootstrap.Servers=b:9092"), &[], &[("dev", "true")]).unwrap_err();
    assert!(
        matches!(err, ConfigError::UnknownProperty { ref key, .. } if key == "Bootstrap.Servers")
    );
}

#[test]
fn invalid_values_name_their_origin() {
    let err = load(
        Some("bootstrap.servers=b:9092\nconsumer.request.timeout.ms=1"),
        &[("KAFKA_REST_CONSUMER_REQUEST_TIMEOUT_MS", "-5")],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value for `consumer.request.timeout.ms` (set by environment variable \
         KAFKA_REST_CONSUMER_REQUEST_TIMEOUT_MS): must not be negative, got -5"
    );
    let err = load(None, &[], &[("dev", "maybe")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value for `dev` (set by command-line flag --dev): expected true or false, got `maybe`"
    );
    let err = load(Some("bootstrap.servers=b:9092\ndebug=yes"), &[], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid value for `debug` (set at {FILE}:2): expected true or false, got `yes`")
    );
}

#[test]
fn invalid_numbers() {
    assert_invalid(
        "consumer.request.timeout.ms=abc",
        "consumer.request.timeout.ms",
        "expected an integer, got `abc`",
    );
    assert_invalid(
        "consumer.request.timeout.ms=",
        "consumer.request.timeout.ms",
        "empty value",
    );
    assert_invalid(
        "consumer.request.timeout.ms=1.5",
        "consumer.request.timeout.ms",
        "expected an integer",
    );
    assert_invalid(
        "consumer.request.timeout.ms=1000ms",
        "consumer.request.timeout.ms",
        "expected an integer",
    );
    assert_invalid(
        "consumer.request.timeout.ms=-1",
        "consumer.request.timeout.ms",
        "must not be negative, got -1",
    );
    assert_invalid(
        "consumer.request.timeout.ms=2147483648",
        "consumer.request.timeout.ms",
        "must be at most 2147483647",
    );
    assert_invalid(
        "consumer.request.max.bytes=-1",
        "consumer.request.max.bytes",
        "must not be negative",
    );
    assert_invalid(
        "consumer.request.max.bytes=99999999999999999999",
        "consumer.request.max.bytes",
        "out of range",
    );
    assert_invalid(
        "consumer.instance.timeout.ms=0",
        "consumer.instance.timeout.ms",
        "must be positive, got 0",
    );
    assert_invalid(
        "consumer.instance.timeout.ms=-10",
        "consumer.instance.timeout.ms",
        "must be positive",
    );
    assert_invalid(
        "consumer.iterator.backoff.ms=-50",
        "consumer.iterator.backoff.ms",
        "must not be negative",
    );
    assert_invalid(
        "fetch.min.bytes=-2",
        "fetch.min.bytes",
        "must be at least -1, got -2",
    );
    assert_invalid(
        "fetch.min.bytes=10000001",
        "fetch.min.bytes",
        "must be at most 10000000",
    );
    assert_invalid(
        "request.body.max.bytes=0",
        "request.body.max.bytes",
        "must be positive",
    );
    assert_invalid(
        "streaming.connection.max.duration.ms=0",
        "streaming.connection.max.duration.ms",
        "must be positive",
    );
    assert_invalid(
        "streaming.connection.max.duration.ms=-1",
        "streaming.connection.max.duration.ms",
        "must be positive",
    );
    assert_invalid(
        "streaming.connection.max.duration.ms=9223372036854775807",
        "streaming.connection.max.duration.ms",
        "must be at most",
    );
    assert_invalid(
        "streaming.connection.max.duration.grace.period.ms=-1",
        "streaming.connection.max.duration.grace.period.ms",
        "must not be negative",
    );
    assert_invalid("dev.brokers=0", "dev.brokers", "must be positive");
    assert_invalid("dev.brokers=17", "dev.brokers", "must be at most 16");
    assert_invalid("port=65536", "port", "must be at most 65535");
    assert_invalid("port=-1", "port", "must not be negative");
    assert_invalid("port=http", "port", "expected an integer");
}

#[test]
fn fetch_min_bytes_sentinel_and_zero() {
    assert_eq!(dev_config("fetch.min.bytes=-1").fetch_min_bytes, None);
    assert_eq!(dev_config("fetch.min.bytes=0").fetch_min_bytes, Some(0));
    assert_eq!(
        dev_config("fetch.min.bytes=10000000").fetch_min_bytes,
        Some(10_000_000)
    );
}

#[test]
fn invalid_booleans() {
    for key in ["api.v2.enable", "api.v3.enable", "debug", "dev"] {
        for value in ["yes", "1", "on", ""] {
            let (got, message) = invalid(&format!("{key}={value}"));
            assert_eq!(got, key);
            assert!(message.contains("expected true or false"), "{message}");
        }
    }
}

#[test]
fn invalid_listeners() {
    assert_invalid(
        "listeners=https://0.0.0.0:8443",
        "listeners",
        "an https:// listener needs `ssl.keystore.location`",
    );
    assert_invalid(
        "listeners=http://0.0.0.0:8082,HTTPS://0.0.0.0:8443",
        "listeners",
        "an https:// listener needs",
    );
    assert_invalid("listeners=0.0.0.0:8082", "listeners", "not a URL");
    assert_invalid(
        "listeners=internal://0.0.0.0:8082",
        "listeners",
        "unsupported scheme `internal`",
    );
    assert_invalid("listeners=http://0.0.0.0", "listeners", "has no port");
    assert_invalid(
        "listeners=http://0.0.0.0:99999",
        "listeners",
        "not a valid port number",
    );
    assert_invalid(
        "listeners=http://0.0.0.0:8082/rest",
        "listeners",
        "must not have a path",
    );
    assert_invalid(
        "listeners=http://bad host:8082",
        "listeners",
        "not a valid host name",
    );
    assert_invalid(
        "listeners=http://0.0.0.0:8082,http://0.0.0.0:8082/",
        "listeners",
        "listed more than once",
    );
    assert_invalid("listeners=,", "listeners", "no listener given");
}

#[test]
fn invalid_advertised_listeners() {
    assert_invalid(
        "advertised.listeners=rest.example.com:8082",
        "advertised.listeners",
        "not a URL",
    );
    assert_invalid(
        "advertised.listeners=http://:8082",
        "advertised.listeners",
        "must name a host",
    );
    assert_invalid(
        "advertised.listeners=http://host:0",
        "advertised.listeners",
        "non-zero port",
    );
    assert_invalid(
        "advertised.listeners=ws://host:1",
        "advertised.listeners",
        "unsupported scheme",
    );
}

#[test]
fn invalid_bootstrap_servers() {
    assert_invalid(
        "bootstrap.servers=broker",
        "bootstrap.servers",
        "has no port",
    );
    assert_invalid(
        "bootstrap.servers=b:9092,broker:abc",
        "bootstrap.servers",
        "not a valid port number",
    );
    assert_invalid("bootstrap.servers=broker:0", "bootstrap.servers", "port 0");
    assert_invalid(
        "bootstrap.servers=:9092",
        "bootstrap.servers",
        "has no host",
    );
    assert_invalid(
        "bootstrap.servers=b@d:9092",
        "bootstrap.servers",
        "not a valid host name",
    );
}

#[test]
fn invalid_schema_registry_url() {
    assert_invalid(
        "schema.registry.url=localhost:8081",
        "schema.registry.url",
        "not an http:// or https:// URL",
    );
    assert_invalid(
        "schema.registry.url=http://",
        "schema.registry.url",
        "without a host",
    );
    assert_invalid(
        "schema.registry.url=https://sr:port",
        "schema.registry.url",
        "invalid port",
    );
    assert_invalid(
        "schema.registry.url=http://sr:8081\nschema.registry.basic.auth.credentials.source=USER_INFO",
        "schema.registry.basic.auth.credentials.source",
        "needs schema.registry.basic.auth.user.info",
    );
    assert_invalid(
        "schema.registry.url=http://sr:8081\nschema.registry.basic.auth.credentials.source=SASL_INHERIT",
        "schema.registry.basic.auth.credentials.source",
        "use URL or USER_INFO",
    );
    assert_invalid(
        "schema.registry.url=https://sr:8081\nschema.registry.ssl.truststore.location=/no/such/file",
        "schema.registry.ssl.truststore.location",
        "/no/such/file",
    );
    let c = dev_config(
        "schema.registry.url=https://sr:8081\n\
         schema.registry.basic.auth.credentials.source=USER_INFO\n\
         schema.registry.basic.auth.user.info=u:secret-pw",
    );
    let settings = c.schema_registry.expect("registry settings");
    assert_eq!(settings.user_info.as_deref(), Some("u:secret-pw"));
    assert!(!format!("{settings:?}").contains("secret-pw"));
    assert_invalid(
        "schema.registry.url=https://sr:8081\nschema.registry.ssl.keystore.location=/no/such/store.p12",
        "schema.registry.ssl.keystore.location",
        "/no/such/store.p12",
    );
    assert_invalid(
        "schema.registry.url=https://sr:8081\nschema.registry.ssl.keystore.type=BKS",
        "schema.registry.ssl.keystore.type",
        "BKS",
    );
    assert_invalid(
        "schema.registry.url=https://sr:8081\nschema.registry.ssl.truststore.type=XYZ",
        "schema.registry.ssl.truststore.type",
        "XYZ",
    );
    let c = dev_config(
        "schema.registry.url=https://sr:8081\n\
         schema.registry.ssl.endpoint.identification.algorithm=\n\
         schema.registry.ssl.key.password=key-secret\n\
         schema.registry.ssl.cipher.suites=TLS_AES_128_GCM_SHA256",
    );
    let settings = c.schema_registry.clone().expect("registry settings");
    assert_eq!(
        settings.ssl.get("ssl.cipher.suites").map(String::as_str),
        Some("TLS_AES_128_GCM_SHA256")
    );
    let tls = settings.tls().unwrap();
    assert_eq!(tls.key_password.as_deref(), Some("key-secret"));
    assert!(!format!("{settings:?}").contains("key-secret"));
    let printed = c.print_config();
    assert!(printed.contains("schema.registry.ssl.cipher.suites=TLS_AES_128_GCM_SHA256"));
    assert!(!printed.contains("key-secret"), "{printed}");
    let properties: String = c
        .to_properties()
        .iter()
        .filter(|(k, _)| k.starts_with("schema.registry."))
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    assert_eq!(dev_config(&properties).schema_registry, c.schema_registry);
    let (_, message) = invalid("schema.registry.url=http://sr:8081,ftp://user:hunter2@sr:21");
    assert!(!message.contains("hunter2"), "{message}");
    assert_eq!(dev_config("schema.registry.url=").schema_registry_url, None);
}

#[test]
fn invalid_media_types() {
    assert_invalid(
        "response.mediatype.default=json",
        "response.mediatype.default",
        "not a media type",
    );
    assert_invalid(
        "response.mediatype.preferred=application/json,text",
        "response.mediatype.preferred",
        "`text` is not a media type",
    );
}

#[test]
fn invalid_log_level() {
    assert_invalid("log.level=verbose", "log.level", "not a log level");
    assert_invalid("log.level=", "log.level", "empty value");
    assert_invalid(
        "log.level=kafka_gateway=loud",
        "log.level",
        "not a valid log filter",
    );
}

#[test]
fn empty_pass_through_name() {
    for prefix in ["client.", "producer.", "consumer.", "admin."] {
        assert_invalid(&format!("{prefix}=x"), prefix, "must follow the");
    }
}

#[test]
fn syntax_errors_name_file_and_line() {
    let err = load(Some("bootstrap.servers=b:9092\nid=\\u12"), &[], &[]).unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { line: 2, .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{FILE}:2: malformed \\uXXXX escape")),
        "{err}"
    );
}

#[test]
fn unreadable_file() {
    let cli = Cli {
        config_file: Some(PathBuf::from("/nonexistent/kafka-rest.properties")),
        ..Cli::default()
    };
    let err = Config::load(&cli, env(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::ReadFile { .. }));
    assert!(
        err.to_string()
            .starts_with("cannot read properties file /nonexistent/kafka-rest.properties:"),
        "{err}"
    );
}

#[test]
fn load_reads_the_file() {
    let dir = std::env::temp_dir().join(format!("kafka-gateway-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kafka-rest.properties");
    // ISO-8859-1 bytes, as Java would write them.
    std::fs::write(&path, b"bootstrap.servers=b:9092\nid=caf\xe9\n").unwrap();
    let cli = parse_args([
        path.clone().into_os_string(),
        OsString::from("--host.name=h"),
    ])
    .unwrap();
    let loaded = Config::load(&cli, env(&[("KAFKA_REST_DEBUG", "true")]));
    std::fs::remove_dir_all(&dir).unwrap();
    let c = loaded.unwrap().config;
    assert_eq!(c.id, "café");
    assert_eq!(c.host_name, "h");
    assert!(c.debug);
}

const SECRETS_FILE: &str = "\
bootstrap.servers=b:9092
client.security.protocol=SASL_SSL
client.sasl.mechanism=PLAIN
client.sasl.username=alice
client.sasl.password=hunter2
client.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"hunter2\";
client.ssl.key.password=keypass
producer.ssl.keystore.password=storepass
schema.registry.url=https://sr-user:srpass@sr.example.com:8081
";

#[test]
fn print_config_redacts_secrets() {
    let c = config(SECRETS_FILE);
    let printed = c.print_config();
    for secret in [
        "hunter2",
        "keypass",
        "storepass",
        "srpass",
        "PlainLoginModule",
    ] {
        assert!(!printed.contains(secret), "`{secret}` leaked:\n{printed}");
    }
    for line in [
        "client.sasl.password=[redacted]",
        "client.sasl.jaas.config=[redacted]",
        "client.ssl.key.password=[redacted]",
        "producer.ssl.keystore.password=[redacted]",
        "schema.registry.url=https://[redacted]@sr.example.com:8081",
        "client.sasl.username=alice",
        "client.sasl.mechanism=PLAIN",
        "bootstrap.servers=b:9092",
        "listeners=http://0.0.0.0:8082",
        "consumer.request.timeout.ms=1000",
        "fetch.min.bytes=-1",
    ] {
        assert!(
            printed.lines().any(|l| l == line),
            "missing `{line}` in:\n{printed}"
        );
    }
    assert!(printed.starts_with("# kafka-gateway "));
}

#[test]
fn debug_output_redacts_secrets() {
    let c = config(SECRETS_FILE);
    let debug = format!("{c:?}");
    for secret in ["hunter2", "keypass", "storepass", "srpass"] {
        assert!(!debug.contains(secret), "`{secret}` leaked: {debug}");
    }
    assert!(debug.contains("alice"));
}

/// Every effective setting of `c`, secrets included, in properties syntax.
fn properties_text(c: &Config) -> String {
    c.to_properties()
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}\n",
                properties::escape_key(k),
                properties::escape_value(v)
            )
        })
        .collect()
}

#[test]
fn printed_configuration_loads_back_unchanged() {
    let original = config(&format!(
        "{SECRETS_FILE}listeners=http://127.0.0.1:8082,http://[::1]:8083\nfetch.min.bytes=5\n\
         advertised.listeners=https://rest:443\napi.endpoints.blocklist=a,b\nid=x y\n\
         consumer.auto.offset.reset=earliest\nadmin.client.id=adm\n"
    ));
    let text = properties_text(&original);
    let reloaded = config(&text);
    assert_eq!(reloaded, original);

    // With secrets redacted, the printed text still parses.
    let redacted = config(&original.print_config());
    assert_eq!(redacted.client_properties["sasl.password"], REDACTED);
    assert_eq!(redacted.listeners, original.listeners);
}

#[test]
fn dev_config_prints_and_reloads() {
    let original = dev_config("");
    let reloaded = dev_config(&original.print_config());
    assert_eq!(reloaded, original);
}

/// `docs/configuration.md`, if this is a source checkout.
fn configuration_doc() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    std::fs::read_to_string(path).ok()
}

#[test]
fn documentation_covers_every_setting() {
    let Some(doc) = configuration_doc() else {
        return;
    };
    for setting in KNOWN_SETTINGS
        .iter()
        .chain(IGNORED_SETTINGS.iter().map(|(name, _)| name))
    {
        assert!(
            doc.contains(&format!("`{setting}`")),
            "docs/configuration.md lacks `{setting}`"
        );
    }
}

#[test]
fn documented_example_file_loads() {
    let Some(doc) = configuration_doc() else {
        return;
    };
    let start = doc.find("```properties\n").expect("example block") + "```properties\n".len();
    let example = &doc[start..start + doc[start..].find("```").expect("closing fence")];
    let loaded = load(Some(example), &[], &[]).expect("documented example is valid");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(c.bootstrap_servers.len(), 3);
    assert_eq!(c.client_properties["security.protocol"], "SASL_SSL");
    assert!(c.client_properties["sasl.jaas.config"].ends_with("password=\"change-me\";"));
    assert_eq!(c.producer_properties["compression.type"], "zstd");
    assert_eq!(c.consumer_properties["auto.offset.reset"], "earliest");
    assert_eq!(c.api_endpoints_blocklist, vec!["api.v3.acls.*"]);
}

#[test]
fn https_listener_settings() {
    let c = dev_config(
        "listeners=http://0.0.0.0:8082,https://0.0.0.0:8443\n\
         ssl.keystore.location=/etc/kafka-rest/server.pem\n\
         ssl.keystore.type=pem\n\
         ssl.keystore.password=storepass\n\
         ssl.truststore.location=/etc/kafka-rest/ca.pem\n\
         ssl.client.authentication=requested\n\
         ssl.enabled.protocols=TLSv1.3\n",
    );
    assert_eq!(c.listeners[1].to_string(), "https://0.0.0.0:8443");
    let tls = &c.listener_tls;
    assert_eq!(tls.keystore_location, "/etc/kafka-rest/server.pem");
    assert_eq!(tls.keystore_type, "PEM");
    assert_eq!(tls.truststore_location, "/etc/kafka-rest/ca.pem");
    assert_eq!(tls.truststore_type, "PEM");
    assert!(tls.cipher_suites.is_empty());
    assert_eq!(tls.client_authentication, ClientAuthentication::Requested);
    assert_eq!(tls.enabled_protocols, [TlsVersion::Tls13]);
    assert_eq!(tls.protocol, "TLS");

    // Printed with the password redacted, and loads back the same.
    let printed = c.print_config();
    assert!(!printed.contains("storepass"), "{printed}");
    assert!(printed
        .lines()
        .any(|l| l == "ssl.keystore.password=[redacted]"));
    assert!(printed.lines().any(|l| l == "ssl.key.password="));
    assert!(!format!("{c:?}").contains("storepass"));
    let text = properties_text(&c);
    assert_eq!(dev_config(&text), c);

    // The older boolean form.
    let c = dev_config(
        "listeners=https://0.0.0.0:8443\nssl.keystore.location=k.pem\n\
         ssl.truststore.location=ca.pem\nssl.client.auth=true\n",
    );
    assert_eq!(
        c.listener_tls.client_authentication,
        ClientAuthentication::Required
    );
    // Java stores, under either type name (the content decides).
    let c = dev_config(
        "listeners=https://0.0.0.0:8443\nssl.keystore.location=server.jks\n\
         ssl.keystore.type=jks\nssl.truststore.location=ca.p12\nssl.truststore.type=PKCS12\n",
    );
    assert_eq!(c.listener_tls.keystore_type, "JKS");
    assert_eq!(c.listener_tls.truststore_type, "PKCS12");
    assert!(properties_text(&c).contains("ssl.keystore.type=JKS"));
    // Without an https listener the settings are accepted and unused.
    let c = dev_config("ssl.keystore.location=k.pem\n");
    assert_eq!(c.listener_tls.keystore_location, "k.pem");
}

#[test]
fn invalid_https_settings() {
    let https = "listeners=https://127.0.0.1:8443\nssl.keystore.location=k.pem\n";
    assert_invalid(
        &format!("{https}ssl.cipher.suites=TLS_AES_128_GCM_SHA256,TLS_NOT_A_SUITE\n"),
        "ssl.cipher.suites",
        "unknown cipher suite \"TLS_NOT_A_SUITE\"",
    );
    assert_invalid(
        &format!("{https}ssl.cipher.suites=TLS_RSA_WITH_AES_128_CBC_SHA\n"),
        "ssl.cipher.suites",
        "none of the cipher suites in ssl.cipher.suites is supported",
    );
    assert_invalid(
        &format!("{https}ssl.keystore.type=JCEKS\n"),
        "ssl.keystore.type",
        "`JCEKS` is not a store type the gateway reads: PEM, JKS or PKCS12",
    );
    assert_invalid(
        &format!("{https}ssl.truststore.type=BKS\n"),
        "ssl.truststore.type",
        "`BKS` is not a store type",
    );
    assert_invalid(
        &format!("{https}ssl.client.authentication=REQUIRED\n"),
        "ssl.client.authentication",
        "REQUIRED needs `ssl.truststore.location`",
    );
    assert_invalid(
        &format!("{https}ssl.client.authentication=sometimes\n"),
        "ssl.client.authentication",
        "`sometimes` is not one of NONE, REQUESTED, REQUIRED",
    );
    assert_invalid(
        &format!("{https}ssl.enabled.protocols=TLSv1.1,TLSv1.2\n"),
        "ssl.enabled.protocols",
        "`TLSv1.1` is not supported",
    );
    assert_invalid(
        &format!("{https}ssl.enabled.protocols=\n"),
        "ssl.enabled.protocols",
        "at least one of TLSv1.2 and TLSv1.3",
    );
    assert_invalid(
        &format!("{https}ssl.protocol=SSLv3\n"),
        "ssl.protocol",
        "`SSLv3` is not one of TLS, TLSv1.2, TLSv1.3",
    );
    assert_invalid(
        &format!("{https}ssl.client.auth=maybe\n"),
        "ssl.client.auth",
        "",
    );
}

#[test]
fn https_settings_from_the_environment() {
    let loaded = load(
        Some("dev=true\nlisteners=https://127.0.0.1:0\n"),
        &[
            ("KAFKA_REST_SSL_KEYSTORE_LOCATION", "/run/keys/server.pem"),
            ("KAFKA_REST_SSL_CLIENT_AUTHENTICATION", "NONE"),
        ],
        &[],
    )
    .expect("valid configuration");
    assert_eq!(
        loaded.config.listener_tls.keystore_location,
        "/run/keys/server.pem"
    );
}

#[test]
fn authentication_settings() {
    let c = dev_config(
        "authentication.method=basic\n\
         authentication.realm=KafkaRest\n\
         authentication.roles=admin, developer\n\
         authentication.skip.paths=/,/v3/clusters/*\n\
         java.security.auth.login.config=/etc/kafka-rest/jaas.conf\n",
    );
    let auth = &c.authentication;
    assert_eq!(auth.method, AuthenticationMethod::Basic);
    assert_eq!(auth.realm, "KafkaRest");
    assert_eq!(auth.roles, ["admin", "developer"]);
    assert_eq!(auth.skip_paths, ["/", "/v3/clusters/*"]);
    assert_eq!(auth.login_config, "/etc/kafka-rest/jaas.conf");
    assert!(properties_text(&c).contains("authentication.method=BASIC"));
    assert_eq!(dev_config(&properties_text(&c)), c);

    let c = dev_config("");
    assert_eq!(c.authentication, RestAuthentication::default());
    assert!(properties_text(&c).contains("authentication.roles=*"));
    assert_eq!(dev_config(&properties_text(&c)), c);

    assert_invalid(
        "authentication.method=BASIC\nauthentication.realm=KafkaRest\n",
        "authentication.method",
        "BASIC needs `java.security.auth.login.config`",
    );
    assert_invalid(
        "authentication.method=digest\n",
        "authentication.method",
        "`DIGEST` is not supported",
    );
}
