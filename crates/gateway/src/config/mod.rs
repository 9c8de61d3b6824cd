//! Gateway configuration, compatible with Confluent's `kafka-rest.properties`.
//!
//! Settings come from four layers, each overriding the previous one:
//!
//! 1. built-in defaults,
//! 2. the properties file named on the command line,
//! 3. `KAFKA_REST_<NAME>` environment variables (see [`env_var_for_property`];
//!    `RUST_LOG` also sets `log.level`, below `KAFKA_REST_LOG_LEVEL`),
//! 4. `--<property> <value>` command-line flags.
//!
//! [`Config::load`] merges them and turns the result into a validated
//! [`Config`]; every problem is a [`ConfigError`] naming the setting and where
//! its value came from. `docs/configuration.md` describes every setting.

mod auth;
mod cli;
mod env;
pub mod properties;
mod tls;
mod values;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::num::IntErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use auth::{AuthenticationMethod, RestAuthentication};
pub use cli::{parse_args, usage, Cli, Command};
pub use env::{env_var_for_property, property_for_env_var, ENV_PREFIX};
pub use tls::{ClientAuthentication, ListenerTls, TlsVersion};
pub use values::{
    is_sensitive, redact, redact_url_credentials, BrokerAddress, Listener, Scheme, REDACTED,
};

/// Settings the gateway understands (besides the `client.`, `producer.`,
/// `consumer.` and `admin.` pass-through prefixes).
pub(crate) const KNOWN_SETTINGS: &[&str] = &[
    "advertised.listeners",
    "api.endpoints.allowlist",
    "api.endpoints.blocklist",
    "api.v2.enable",
    "api.v3.enable",
    "bootstrap.servers",
    "consumer.instance.timeout.ms",
    "consumer.iterator.backoff.ms",
    "consumer.request.max.bytes",
    "consumer.request.timeout.ms",
    "debug",
    "dev",
    "dev.brokers",
    "fetch.min.bytes",
    "host.name",
    "id",
    "listeners",
    "log.level",
    "port",
    "request.body.max.bytes",
    "response.mediatype.default",
    "response.mediatype.preferred",
    "schema.registry.basic.auth.credentials.source",
    "schema.registry.basic.auth.user.info",
    "schema.registry.url",
    "streaming.connection.max.duration.grace.period.ms",
    "streaming.connection.max.duration.ms",
];

/// Confluent settings that are accepted for compatibility and ignored (with
/// a warning). They would otherwise be passed to the Kafka clients because of
/// their prefix.
const IGNORED_SETTINGS: &[(&str, &str)] = &[
    (
        "consumer.threads",
        "consumer requests run on the gateway's async runtime, not on a thread pool",
    ),
    (
        "producer.threads",
        "produce requests run on the gateway's async runtime, not on a thread pool",
    ),
    (
        "consumer.iterator.timeout.ms",
        "it only applied to the removed v1 consumer API",
    ),
];

/// Prefixes of settings passed through to the Kafka clients.
const CLIENT_PREFIX: &str = "client.";
const PRODUCER_PREFIX: &str = "producer.";
const CONSUMER_PREFIX: &str = "consumer.";
const ADMIN_PREFIX: &str = "admin.";

/// Largest value of the settings Confluent declares as Java `int`.
const JAVA_INT_MAX: i64 = i32::MAX as i64;
/// Upper bound for the streaming durations: ten years.
const TEN_YEARS_MS: i64 = 10 * 365 * 24 * 60 * 60 * 1000;
/// Upper bound for `dev.brokers`.
const MAX_DEV_BROKERS: i64 = 16;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of the properties file.
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// An environment variable.
    Env {
        /// Its name.
        var: String,
    },
    /// A command-line flag.
    Cli {
        /// The flag, e.g. `--bootstrap.servers`.
        flag: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, line } => write!(f, "set at {}:{line}", path.display()),
            Self::Env { var } => write!(f, "set by environment variable {var}"),
            Self::Cli { flag } => write!(f, "set by command-line flag {flag}"),
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Malformed command line.
    #[error("{0}")]
    Usage(String),
    /// The properties file could not be read.
    #[error("cannot read properties file {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The properties file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A `KAFKA_REST_*` environment variable's value is not UTF-8.
    #[error("environment variable {var} is not valid UTF-8")]
    NonUnicodeEnv {
        /// The variable.
        var: String,
    },
    /// A setting the gateway does not know.
    #[error("unknown property `{key}` ({origin})")]
    UnknownProperty {
        /// The setting.
        key: String,
        /// Where it was set.
        origin: Origin,
    },
    /// A setting with a value the gateway cannot use.
    #[error("invalid value for `{key}` ({origin}): {message}")]
    InvalidValue {
        /// The setting.
        key: String,
        /// Where it was set.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// Neither `bootstrap.servers` nor `--dev` was given.
    #[error(
        "`bootstrap.servers` is not set: name the Kafka cluster's brokers with `bootstrap.servers` \
         in the properties file, the KAFKA_REST_BOOTSTRAP_SERVERS environment variable or \
         --bootstrap.servers, or pass --dev to start the built-in development cluster"
    )]
    MissingBootstrapServers,
}

/// Kind of Kafka client, for [`Config::kafka_client_properties`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientRole {
    /// Producers (`producer.*` overrides `client.*`).
    Producer,
    /// Consumers (`consumer.*` overrides `client.*`).
    Consumer,
    /// Admin clients (`admin.*` overrides `client.*`).
    Admin,
}

/// The gateway's effective, validated configuration.
///
/// `Debug` output redacts secrets; [`Config::to_properties`] does not.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `listeners`: addresses the HTTP server binds, `http` or `https`.
    /// Falls back to `http://0.0.0.0:<port>` when `listeners` is empty.
    pub listeners: Vec<Listener>,
    /// `ssl.*`: TLS of the `https` listeners.
    pub listener_tls: ListenerTls,
    /// `authentication.*`: how REST clients authenticate.
    pub authentication: RestAuthentication,
    /// `advertised.listeners`: URLs used when generating absolute URLs in
    /// responses.
    pub advertised_listeners: Vec<Listener>,
    /// `host.name`: host name used in absolute URLs when no advertised
    /// listener applies; empty means the machine's host name.
    pub host_name: String,
    /// `id`: this instance's ID, used in generated consumer instance IDs.
    pub id: String,
    /// `bootstrap.servers`, without the optional `PROTOCOL://` prefixes.
    /// Empty only with `dev`.
    pub bootstrap_servers: Vec<BrokerAddress>,
    /// `dev` / `--dev`: run against the built-in development cluster.
    pub dev: bool,
    /// `dev.brokers`: number of brokers of the development cluster.
    pub dev_brokers: u16,
    /// `api.v2.enable`.
    pub api_v2_enable: bool,
    /// `api.v3.enable`.
    pub api_v3_enable: bool,
    /// `api.endpoints.allowlist`: if non-empty, only these endpoints are
    /// served.
    pub api_endpoints_allowlist: Vec<String>,
    /// `api.endpoints.blocklist`: endpoints that are not served.
    pub api_endpoints_blocklist: Vec<String>,
    /// `consumer.request.timeout.ms`: how long a v2 consumer fetch waits for
    /// records.
    pub consumer_request_timeout: Duration,
    /// `consumer.request.max.bytes`: maximum record bytes returned by one v2
    /// consumer fetch.
    pub consumer_request_max_bytes: u64,
    /// `consumer.instance.timeout.ms`: idle time after which a v2 consumer
    /// instance is destroyed.
    pub consumer_instance_timeout: Duration,
    /// `consumer.iterator.backoff.ms`: pause between polls while a v2
    /// consumer fetch waits for records.
    pub consumer_iterator_backoff: Duration,
    /// `fetch.min.bytes`: record bytes a v2 consumer fetch accumulates before
    /// returning early; `None` (the `-1` sentinel) disables this.
    pub fetch_min_bytes: Option<u32>,
    /// `request.body.max.bytes` (gateway-specific): largest accepted HTTP
    /// request body.
    pub request_body_max_bytes: u64,
    /// `streaming.connection.max.duration.ms`: lifetime of a streaming
    /// (chunked) produce connection.
    pub streaming_connection_max_duration: Duration,
    /// `streaming.connection.max.duration.grace.period.ms`: how long
    /// outstanding requests on an expired streaming connection may finish.
    pub streaming_connection_max_duration_grace_period: Duration,
    /// `schema.registry.url`: the Schema Registry of the `avro` format
    /// (comma-separated `http://` URLs, tried in order).
    pub schema_registry_url: Option<String>,
    /// `schema.registry.*`: how to reach the Schema Registry, when
    /// `schema.registry.url` is set.
    pub schema_registry: Option<crate::schema_registry::RegistrySettings>,
    /// `response.mediatype.default` (accepted, not used yet).
    pub response_mediatype_default: String,
    /// `response.mediatype.preferred` (accepted, not used yet).
    pub response_mediatype_preferred: Vec<String>,
    /// `debug`: include extra detail in error responses.
    pub debug: bool,
    /// `log.level` (or `RUST_LOG`): a level or `RUST_LOG`-style filter.
    pub log_level: String,
    /// `client.*` settings (prefix stripped), applied to every Kafka client.
    pub client_properties: BTreeMap<String, String>,
    /// `producer.*` settings (prefix stripped), overriding `client.*`.
    pub producer_properties: BTreeMap<String, String>,
    /// `consumer.*` settings (prefix stripped, gateway settings such as
    /// `consumer.request.timeout.ms` excluded), overriding `client.*`.
    pub consumer_properties: BTreeMap<String, String>,
    /// `admin.*` settings (prefix stripped), overriding `client.*`.
    pub admin_properties: BTreeMap<String, String>,
}

/// A loaded configuration and the warnings found on the way (deprecated or
/// ignored settings, ...), to be logged once logging is set up.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Human-readable warnings.
    pub warnings: Vec<String>,
}

/// A setting's raw value and where it came from.
#[derive(Clone)]
struct RawSetting {
    value: String,
    origin: Origin,
}

/// Settings as given, merged by precedence.
#[derive(Default)]
struct RawConfig {
    settings: BTreeMap<String, RawSetting>,
}

impl RawConfig {
    fn set(&mut self, key: String, value: String, origin: Origin) {
        self.settings.insert(key, RawSetting { value, origin });
    }

    fn get(&self, key: &str) -> Option<&RawSetting> {
        self.settings.get(key)
    }

    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let origin = self
            .get(key)
            .map(|s| s.origin.clone())
            .expect("only explicitly set values can be invalid");
        ConfigError::InvalidValue {
            key: key.to_owned(),
            origin,
            message: message.into(),
        }
    }

    /// The trimmed value, if set.
    fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|s| s.value.trim())
    }

    fn string(&self, key: &str, default: &str) -> String {
        self.value(key).unwrap_or(default).to_owned()
    }

    fn list(&self, key: &str, default: &str) -> Vec<String> {
        values::split_list(self.value(key).unwrap_or(default))
    }

    fn bool(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.value(key) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(self.invalid(key, format!("expected true or false, got `{v}`"))),
        }
    }

    fn int(&self, key: &str, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
        let Some(text) = self.value(key) else {
            return Ok(default);
        };
        let value = text.parse::<i64>().map_err(|e| {
            let message = match e.kind() {
                IntErrorKind::Empty => "expected an integer, got an empty value".to_owned(),
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => {
                    format!("`{text}` is out of range (at most {max})")
                }
                _ => format!("expected an integer, got `{text}`"),
            };
            self.invalid(key, message)
        })?;
        if value < min {
            let message = match min {
                0 => format!("must not be negative, got {value}"),
                1 => format!("must be positive, got {value}"),
                _ => format!("must be at least {min}, got {value}"),
            };
            return Err(self.invalid(key, message));
        }
        if value > max {
            return Err(self.invalid(key, format!("must be at most {max}, got {value}")));
        }
        Ok(value)
    }

    fn millis(&self, key: &str, default: i64, min: i64, max: i64) -> Result<Duration, ConfigError> {
        let ms = self.int(key, default, min, max)?;
        Ok(Duration::from_millis(
            u64::try_from(ms).expect("min is not negative"),
        ))
    }
}

impl Config {
    /// Loads the configuration for a parsed command line: reads the
    /// properties file it names, then applies `env` (normally
    /// `std::env::vars_os()`) and the command-line settings.
    pub fn load<I>(cli: &Cli, env: I) -> Result<Loaded, ConfigError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let file = match &cli.config_file {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| ConfigError::ReadFile {
                    path: path.clone(),
                    source,
                })?;
                Some((path.as_path(), properties::decode(&bytes).into_owned()))
            }
            None => None,
        };
        Self::from_sources(
            file.as_ref().map(|(path, text)| (*path, text.as_str())),
            env,
            &cli.overrides,
        )
    }

    /// Builds the configuration from a properties file's path and contents,
    /// an environment, and command-line settings, in increasing precedence.
    pub fn from_sources<I>(
        file: Option<(&Path, &str)>,
        env: I,
        overrides: &[(String, String)],
    ) -> Result<Loaded, ConfigError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let mut warnings = Vec::new();
        let mut raw = RawConfig::default();

        if let Some((path, text)) = file {
            let entries = properties::parse(text).map_err(|e| ConfigError::Syntax {
                path: path.to_owned(),
                line: e.line,
                message: e.message,
            })?;
            for entry in entries {
                if let Some(RawSetting {
                    origin: Origin::File { line, .. },
                    ..
                }) = raw.get(&entry.key)
                {
                    warnings.push(format!(
                        "`{}` is set more than once in {} (lines {line} and {}); the last one wins",
                        entry.key,
                        path.display(),
                        entry.line
                    ));
                }
                let origin = Origin::File {
                    path: path.to_owned(),
                    line: entry.line,
                };
                raw.set(entry.key, entry.value, origin);
            }
        }

        let env = env::read_env(env)?;
        if !env.ignored.is_empty() {
            let list: Vec<String> = env
                .ignored
                .iter()
                .map(|(var, reason)| format!("{var} ({reason})"))
                .collect();
            warnings.push(format!(
                "ignoring environment variables that are not settings: {}",
                list.join(", ")
            ));
        }
        for setting in env.settings {
            raw.set(
                setting.property,
                setting.value,
                Origin::Env { var: setting.var },
            );
        }

        for (key, value) in overrides {
            let flag = format!("--{key}");
            raw.set(key.clone(), value.clone(), Origin::Cli { flag });
        }

        let config = Self::from_raw(&raw, &mut warnings)?;
        Ok(Loaded { config, warnings })
    }

    fn from_raw(raw: &RawConfig, warnings: &mut Vec<String>) -> Result<Self, ConfigError> {
        let mut client_properties = BTreeMap::new();
        let mut producer_properties = BTreeMap::new();
        let mut consumer_properties = BTreeMap::new();
        let mut admin_properties = BTreeMap::new();

        for (key, setting) in &raw.settings {
            if KNOWN_SETTINGS.contains(&key.as_str())
                || crate::schema_registry::SSL_SETTINGS.contains(&key.as_str())
                || tls::SETTINGS.contains(&key.as_str())
                || auth::SETTINGS.contains(&key.as_str())
            {
                continue;
            }
            if let Some((_, reason)) = IGNORED_SETTINGS.iter().find(|(name, _)| name == key) {
                warnings.push(format!("`{key}` ({}) is ignored: {reason}", setting.origin));
                continue;
            }
            let target = [
                (CLIENT_PREFIX, &mut client_properties),
                (PRODUCER_PREFIX, &mut producer_properties),
                (CONSUMER_PREFIX, &mut consumer_properties),
                (ADMIN_PREFIX, &mut admin_properties),
            ]
            .into_iter()
            .find_map(|(prefix, map)| Some((prefix, key.strip_prefix(prefix)?, map)));
            match target {
                Some((prefix, "", _)) => {
                    return Err(raw.invalid(
                        key,
                        format!("a Kafka client property name must follow the `{prefix}` prefix"),
                    ));
                }
                Some((_, name, map)) => {
                    map.insert(name.to_owned(), setting.value.trim().to_owned());
                }
                None => {
                    return Err(ConfigError::UnknownProperty {
                        key: key.clone(),
                        origin: setting.origin.clone(),
                    });
                }
            }
        }

        let dev = raw.bool("dev", false)?;
        let dev_brokers = raw.int("dev.brokers", 3, 1, MAX_DEV_BROKERS)?;

        let port = raw.int("port", 8082, 0, i64::from(u16::MAX))?;
        let listeners = match raw.value("listeners").filter(|v| !v.is_empty()) {
            Some(text) => {
                if raw.get("port").is_some() {
                    warnings.push(
                        "`port` is ignored because `listeners` is set (`port` is deprecated)"
                            .into(),
                    );
                }
                parse_listeners(raw, text)?
            }
            None => {
                if raw.get("port").is_some() {
                    warnings.push(
                        "`port` is deprecated; use `listeners=http://0.0.0.0:<port>` instead"
                            .into(),
                    );
                }
                vec![Listener {
                    scheme: Scheme::Http,
                    host: "0.0.0.0".into(),
                    port: u16::try_from(port).expect("range checked"),
                }]
            }
        };

        let https = listeners.iter().any(|l| l.scheme == Scheme::Https);
        let listener_tls = ListenerTls::from_raw(raw, https)?;
        let authentication = RestAuthentication::from_raw(raw)?;

        let mut advertised_listeners = Vec::new();
        for text in raw.list("advertised.listeners", "") {
            let listener = values::parse_listener(&text)
                .map_err(|m| raw.invalid("advertised.listeners", m))?;
            if listener.host.is_empty() || listener.port == 0 {
                return Err(raw.invalid(
                    "advertised.listeners",
                    format!("`{text}` must name a host and a non-zero port"),
                ));
            }
            advertised_listeners.push(listener);
        }

        let mut bootstrap_servers = Vec::new();
        let mut secure_prefixes = Vec::new();
        for text in raw.list("bootstrap.servers", "") {
            let (protocol, address) =
                values::parse_broker(&text).map_err(|m| raw.invalid("bootstrap.servers", m))?;
            if let Some(protocol) = protocol.filter(|p| !p.eq_ignore_ascii_case("PLAINTEXT")) {
                secure_prefixes.push(protocol);
            }
            bootstrap_servers.push(address);
        }
        if !secure_prefixes.is_empty() && !client_properties.contains_key("security.protocol") {
            warnings.push(format!(
                "`bootstrap.servers` uses the {} prefix, but the prefix does not select the \
                 protocol; set `client.security.protocol` as well",
                secure_prefixes.join("/")
            ));
        }
        if bootstrap_servers.is_empty() && !dev {
            return Err(ConfigError::MissingBootstrapServers);
        }
        if dev && !bootstrap_servers.is_empty() {
            warnings.push(
                "`bootstrap.servers` is ignored because the development cluster is enabled (--dev)"
                    .into(),
            );
        }

        let fetch_min_bytes = raw.int("fetch.min.bytes", -1, -1, 10_000_000)?;
        let schema_registry_url = match raw.value("schema.registry.url") {
            None | Some("") => None,
            Some(text) => {
                for url in values::split_list(text) {
                    if let Err(e) = crate::schema_registry::Endpoint::parse(&url) {
                        return Err(raw.invalid(
                            "schema.registry.url",
                            format!("`{}` is {e}", redact_url_credentials(&url)),
                        ));
                    }
                }
                Some(text.to_owned())
            }
        };
        let schema_registry_user_info =
            match raw
                .value("schema.registry.basic.auth.credentials.source")
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                None | Some("" | "URL") => None,
                Some("USER_INFO") => match raw.value("schema.registry.basic.auth.user.info") {
                    Some(info) if info.contains(':') => Some(info.to_owned()),
                    Some(_) => {
                        return Err(raw.invalid(
                            "schema.registry.basic.auth.user.info",
                            "must be `user:password`",
                        ))
                    }
                    None => return Err(raw.invalid(
                        "schema.registry.basic.auth.credentials.source",
                        "USER_INFO needs schema.registry.basic.auth.user.info (`user:password`)",
                    )),
                },
                Some(other) => {
                    return Err(raw.invalid(
                        "schema.registry.basic.auth.credentials.source",
                        format!("`{other}` is not supported: use URL or USER_INFO"),
                    ))
                }
            };
        let schema_registry = match &schema_registry_url {
            None => None,
            Some(urls) => {
                let settings = crate::schema_registry::RegistrySettings {
                    urls: urls.clone(),
                    user_info: schema_registry_user_info,
                    ssl: crate::schema_registry::SSL_SETTINGS
                        .iter()
                        .filter_map(|key| {
                            let value = raw.value(key)?;
                            let name = key.strip_prefix("schema.registry.")?;
                            Some((name.to_owned(), value.trim().to_owned()))
                        })
                        .collect(),
                };
                if let Err(e) = settings.tls() {
                    return Err(raw.invalid(&e.property, e.message));
                }
                // Reads the trust and key stores now, so that a bad one
                // stops the start.
                if let Err(e) = crate::schema_registry::SchemaRegistry::new(
                    &settings,
                    crate::schema_registry::DEFAULT_TIMEOUT,
                ) {
                    let key = [
                        "schema.registry.ssl.keystore.location",
                        "schema.registry.ssl.keystore.certificate.chain",
                        "schema.registry.ssl.truststore.location",
                        "schema.registry.ssl.truststore.certificates",
                    ]
                    .into_iter()
                    .find(|key| settings.ssl_properties().any(|(given, _)| given == *key))
                    .unwrap_or("schema.registry.url");
                    return Err(raw.invalid(key, e));
                }
                Some(settings)
            }
        };

        let response_mediatype_default =
            raw.string("response.mediatype.default", "application/json");
        if !values::is_media_type(&response_mediatype_default) {
            return Err(raw.invalid(
                "response.mediatype.default",
                format!(
                    "`{response_mediatype_default}` is not a media type such as application/json"
                ),
            ));
        }
        let response_mediatype_preferred = raw.list(
            "response.mediatype.preferred",
            "application/vnd.kafka.v2+json,application/vnd.kafka+json,application/json",
        );
        if let Some(bad) = response_mediatype_preferred
            .iter()
            .find(|t| !values::is_media_type(t))
        {
            return Err(raw.invalid(
                "response.mediatype.preferred",
                format!("`{bad}` is not a media type such as application/json"),
            ));
        }

        let log_level = raw.string("log.level", "info");
        values::check_log_filter(&log_level).map_err(|m| raw.invalid("log.level", m))?;

        Ok(Self {
            listeners,
            listener_tls,
            authentication,
            advertised_listeners,
            host_name: raw.string("host.name", ""),
            id: raw.string("id", ""),
            bootstrap_servers,
            dev,
            dev_brokers: u16::try_from(dev_brokers).expect("range checked"),
            api_v2_enable: raw.bool("api.v2.enable", true)?,
            api_v3_enable: raw.bool("api.v3.enable", true)?,
            api_endpoints_allowlist: raw.list("api.endpoints.allowlist", ""),
            api_endpoints_blocklist: raw.list("api.endpoints.blocklist", ""),
            consumer_request_timeout: raw.millis(
                "consumer.request.timeout.ms",
                1000,
                0,
                JAVA_INT_MAX,
            )?,
            consumer_request_max_bytes: u64::try_from(raw.int(
                "consumer.request.max.bytes",
                64 * 1024 * 1024,
                0,
                i64::MAX,
            )?)
            .expect("range checked"),
            consumer_instance_timeout: raw.millis(
                "consumer.instance.timeout.ms",
                300_000,
                1,
                JAVA_INT_MAX,
            )?,
            consumer_iterator_backoff: raw.millis(
                "consumer.iterator.backoff.ms",
                50,
                0,
                JAVA_INT_MAX,
            )?,
            fetch_min_bytes: u32::try_from(fetch_min_bytes).ok(),
            request_body_max_bytes: u64::try_from(raw.int(
                "request.body.max.bytes",
                64 * 1024 * 1024,
                1,
                i64::MAX,
            )?)
            .expect("range checked"),
            streaming_connection_max_duration: raw.millis(
                "streaming.connection.max.duration.ms",
                86_400_000,
                1,
                TEN_YEARS_MS,
            )?,
            streaming_connection_max_duration_grace_period: raw.millis(
                "streaming.connection.max.duration.grace.period.ms",
                500,
                0,
                TEN_YEARS_MS,
            )?,
            schema_registry_url,
            schema_registry,
            response_mediatype_default,
            response_mediatype_preferred,
            debug: raw.bool("debug", false)?,
            log_level,
            client_properties,
            producer_properties,
            consumer_properties,
            admin_properties,
        })
    }

    /// The Kafka client properties for one kind of client: `client.*`
    /// overridden by the role's own prefix (prefixes stripped).
    pub fn kafka_client_properties(&self, role: ClientRole) -> BTreeMap<String, String> {
        let overrides = match role {
            ClientRole::Producer => &self.producer_properties,
            ClientRole::Consumer => &self.consumer_properties,
            ClientRole::Admin => &self.admin_properties,
        };
        let mut properties = self.client_properties.clone();
        properties.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        properties
    }

    /// Every effective setting as a property, secrets included. Loading the
    /// result as a properties file gives back the same configuration.
    pub fn to_properties(&self) -> BTreeMap<String, String> {
        fn ms(d: Duration) -> String {
            d.as_millis().to_string()
        }
        fn join<T: ToString>(items: &[T]) -> String {
            items.iter().map(T::to_string).collect::<Vec<_>>().join(",")
        }
        let mut p = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            p.insert(k.to_owned(), v);
        };
        put("advertised.listeners", join(&self.advertised_listeners));
        put(
            "api.endpoints.allowlist",
            join(&self.api_endpoints_allowlist),
        );
        put(
            "api.endpoints.blocklist",
            join(&self.api_endpoints_blocklist),
        );
        put("api.v2.enable", self.api_v2_enable.to_string());
        put("api.v3.enable", self.api_v3_enable.to_string());
        put("bootstrap.servers", join(&self.bootstrap_servers));
        put(
            "consumer.instance.timeout.ms",
            ms(self.consumer_instance_timeout),
        );
        put(
            "consumer.iterator.backoff.ms",
            ms(self.consumer_iterator_backoff),
        );
        put(
            "consumer.request.max.bytes",
            self.consumer_request_max_bytes.to_string(),
        );
        put(
            "consumer.request.timeout.ms",
            ms(self.consumer_request_timeout),
        );
        put("debug", self.debug.to_string());
        put("dev", self.dev.to_string());
        put("dev.brokers", self.dev_brokers.to_string());
        put(
            "fetch.min.bytes",
            self.fetch_min_bytes
                .map_or_else(|| "-1".to_owned(), |b| b.to_string()),
        );
        put("host.name", self.host_name.clone());
        put("id", self.id.clone());
        put("listeners", join(&self.listeners));
        self.listener_tls.put_properties(&mut put);
        self.authentication.put_properties(&mut put);
        put("log.level", self.log_level.clone());
        put(
            "request.body.max.bytes",
            self.request_body_max_bytes.to_string(),
        );
        put(
            "response.mediatype.default",
            self.response_mediatype_default.clone(),
        );
        put(
            "response.mediatype.preferred",
            join(&self.response_mediatype_preferred),
        );
        put(
            "schema.registry.url",
            self.schema_registry_url.clone().unwrap_or_default(),
        );
        if let Some(registry) = &self.schema_registry {
            if let Some(info) = &registry.user_info {
                put(
                    "schema.registry.basic.auth.credentials.source",
                    "USER_INFO".into(),
                );
                put("schema.registry.basic.auth.user.info", info.clone());
            }
            for (key, value) in registry.ssl_properties() {
                put(&key, value.to_owned());
            }
        }
        put(
            "streaming.connection.max.duration.grace.period.ms",
            ms(self.streaming_connection_max_duration_grace_period),
        );
        put(
            "streaming.connection.max.duration.ms",
            ms(self.streaming_connection_max_duration),
        );
        for (prefix, map) in [
            (CLIENT_PREFIX, &self.client_properties),
            (PRODUCER_PREFIX, &self.producer_properties),
            (CONSUMER_PREFIX, &self.consumer_properties),
            (ADMIN_PREFIX, &self.admin_properties),
        ] {
            for (k, v) in map {
                put(&format!("{prefix}{k}"), v.clone());
            }
        }
        p
    }

    /// The effective configuration in properties syntax with secrets
    /// redacted, as printed by `--print-config`.
    pub fn print_config(&self) -> String {
        let mut out = format!(
            "# kafka-gateway {} effective configuration\n# secrets are shown as {REDACTED}\n",
            env!("CARGO_PKG_VERSION")
        );
        for (key, value) in self.to_properties() {
            out.push_str(&properties::escape_key(&key));
            out.push('=');
            out.push_str(&properties::escape_value(&redact(&key, &value)));
            out.push('\n');
        }
        out
    }
}

fn parse_listeners(raw: &RawConfig, text: &str) -> Result<Vec<Listener>, ConfigError> {
    let mut listeners: Vec<Listener> = Vec::new();
    for entry in values::split_list(text) {
        let mut listener =
            values::parse_listener(&entry).map_err(|m| raw.invalid("listeners", m))?;
        if listener.host.is_empty() {
            listener.host = "0.0.0.0".into();
        }
        if listener.port != 0
            && listeners
                .iter()
                .any(|l| l.host == listener.host && l.port == listener.port)
        {
            return Err(raw.invalid("listeners", format!("`{entry}` is listed more than once")));
        }
        listeners.push(listener);
    }
    if listeners.is_empty() {
        return Err(raw.invalid("listeners", "no listener given"));
    }
    Ok(listeners)
}

/// Formats a string-keyed map with secret values redacted.
struct RedactedMap<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for RedactedMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, redact(k, v))))
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listeners", &self.listeners)
            .field("listener_tls", &self.listener_tls)
            .field("authentication", &self.authentication)
            .field("advertised_listeners", &self.advertised_listeners)
            .field("host_name", &self.host_name)
            .field("id", &self.id)
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("dev", &self.dev)
            .field("dev_brokers", &self.dev_brokers)
            .field("api_v2_enable", &self.api_v2_enable)
            .field("api_v3_enable", &self.api_v3_enable)
            .field("api_endpoints_allowlist", &self.api_endpoints_allowlist)
            .field("api_endpoints_blocklist", &self.api_endpoints_blocklist)
            .field("consumer_request_timeout", &self.consumer_request_timeout)
            .field(
                "consumer_request_max_bytes",
                &self.consumer_request_max_bytes,
            )
            .field("consumer_instance_timeout", &self.consumer_instance_timeout)
            .field("consumer_iterator_backoff", &self.consumer_iterator_backoff)
            .field("fetch_min_bytes", &self.fetch_min_bytes)
            .field("request_body_max_bytes", &self.request_body_max_bytes)
            .field(
                "streaming_connection_max_duration",
                &self.streaming_connection_max_duration,
            )
            .field(
                "streaming_connection_max_duration_grace_period",
                &self.streaming_connection_max_duration_grace_period,
            )
            .field(
                "schema_registry_url",
                &self
                    .schema_registry_url
                    .as_deref()
                    .map(redact_url_credentials),
            )
            .field("schema_registry", &self.schema_registry)
            .field(
                "response_mediatype_default",
                &self.response_mediatype_default,
            )
            .field(
                "response_mediatype_preferred",
                &self.response_mediatype_preferred,
            )
            .field("debug", &self.debug)
            .field("log_level", &self.log_level)
            .field("client_properties", &RedactedMap(&self.client_properties))
            .field(
                "producer_properties",
                &RedactedMap(&self.producer_properties),
            )
            .field(
                "consumer_properties",
                &RedactedMap(&self.consumer_properties),
            )
            .field("admin_properties", &RedactedMap(&self.admin_properties))
            .finish()
    }
}

#[cfg(test)]
mod tests;
