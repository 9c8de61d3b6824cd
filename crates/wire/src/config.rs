//! Client settings, read from the property names Java clients and
//! librdkafka users already know (`bootstrap.servers`, `client.id`,
//! `security.protocol`, `linger.ms`, `acks`, ...).

use std::time::Duration;

use kafka_protocol::protocol::StrBytes;

use crate::conn::{ConnectionConfig, SecuritySettings};
use crate::consumer::{ConsumerConfig, FetchConfig};
use crate::error::{Error, Result};
use crate::producer::{Acks, ProducerConfig};
use crate::protocol::api::fetch::IsolationLevel;

/// Everything a [`crate::Client`] needs to know.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` pairs to discover the cluster from.
    pub bootstrap_servers: Vec<(String, u16)>,
    /// Connection settings shared by every broker connection.
    pub connection: ConnectionConfig,
    /// `metadata.max.age.ms`: cached metadata older than this is refreshed.
    pub metadata_max_age: Duration,
    /// `retry.backoff.ms`: first wait before retrying a retriable error.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`: longest wait between retries.
    pub retry_backoff_max: Duration,
    /// `default.api.timeout.ms`: total time a call may spend retrying.
    pub api_timeout: Duration,
    /// `allow.auto.create.topics`: whether metadata requests for a topic may
    /// make the broker create it.
    pub allow_auto_create_topics: bool,
    /// Producer settings.
    pub producer: ProducerConfig,
    /// Fetch settings.
    pub fetch: FetchConfig,
    /// Consumer group settings (`group.id`, `session.timeout.ms`, ...).
    pub consumer: ConsumerConfig,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            bootstrap_servers: Vec::new(),
            connection: ConnectionConfig::default(),
            metadata_max_age: Duration::from_secs(300),
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(1000),
            api_timeout: Duration::from_secs(60),
            allow_auto_create_topics: false,
            producer: ProducerConfig::default(),
            fetch: FetchConfig::default(),
            consumer: ConsumerConfig::default(),
        }
    }
}

/// Parses a `bootstrap.servers` list: `host:port[,host:port...]`, with an
/// optional `PLAINTEXT://`-style scheme, and `[v6]:port` for IPv6.
pub fn parse_bootstrap(value: &str) -> Result<Vec<(String, u16)>> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let item = item.split_once("://").map_or(item, |(_, rest)| rest);
        let (host, port) = item.rsplit_once(':').ok_or_else(|| {
            Error::Config(format!("bootstrap.servers: '{item}' is not host:port"))
        })?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port
            .parse()
            .map_err(|_| Error::Config(format!("bootstrap.servers: bad port in '{item}'")))?;
        if host.is_empty() {
            return Err(Error::Config(format!(
                "bootstrap.servers: empty host in '{item}'"
            )));
        }
        out.push((host.to_owned(), port));
    }
    if out.is_empty() {
        return Err(Error::Config("bootstrap.servers: no servers given".into()));
    }
    Ok(out)
}

fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::Config(format!("{key}: '{value}' is not a valid number")))
}

fn millis(key: &str, value: &str) -> Result<Duration> {
    let ms: i64 = number(key, value)?;
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| Error::Config(format!("{key}: must not be negative")))
}

fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::Config(format!(
            "{key}: '{value}' is not true or false"
        ))),
    }
}

impl ClientConfig {
    /// A default configuration for the given `bootstrap.servers`.
    pub fn new(bootstrap_servers: &str) -> Result<Self> {
        Ok(ClientConfig {
            bootstrap_servers: parse_bootstrap(bootstrap_servers)?,
            ..ClientConfig::default()
        })
    }

    /// Reads Kafka client properties; an unknown property or a bad value is
    /// an [`Error::Config`] naming it.
    pub fn from_properties<'a>(
        props: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self> {
        let props: Vec<(&str, &str)> = props.into_iter().collect();
        let mut config = ClientConfig::default();
        let (security, _) = SecuritySettings::from_properties(
            props
                .iter()
                .copied()
                .filter(|(k, _)| SecuritySettings::is_security_key(k)),
        )
        .map_err(|e| Error::Config(e.to_string()))?;
        config.connection.security = security;
        let mut idempotence_explicit = None;
        for (key, value) in props {
            if SecuritySettings::is_security_key(key) {
                continue;
            }
            let c = &mut config;
            match key {
                "bootstrap.servers" => c.bootstrap_servers = parse_bootstrap(value)?,
                "client.id" => {
                    c.connection.client_id = Some(StrBytes::from_string(value.to_owned()))
                }
                "request.timeout.ms" => {
                    c.connection.request_timeout = millis(key, value)?;
                    c.producer.request_timeout = c.connection.request_timeout;
                }
                "socket.connection.setup.timeout.ms" => {
                    c.connection.connect_timeout = millis(key, value)?
                }
                "metadata.max.age.ms" => c.metadata_max_age = millis(key, value)?,
                "retry.backoff.ms" => c.retry_backoff = millis(key, value)?,
                "retry.backoff.max.ms" => c.retry_backoff_max = millis(key, value)?,
                "default.api.timeout.ms" => c.api_timeout = millis(key, value)?,
                "allow.auto.create.topics" => c.allow_auto_create_topics = boolean(key, value)?,
                "receive.message.max.bytes" | "socket.request.max.bytes" => {
                    c.connection.max_frame_size = number(key, value)?
                }
                "acks" => c.producer.acks = value.parse().map_err(Error::Config)?,
                "linger.ms" => c.producer.linger = millis(key, value)?,
                "batch.size" => c.producer.batch_size = number(key, value)?,
                "buffer.memory" => c.producer.buffer_memory = number(key, value)?,
                "compression.type" => {
                    c.producer.compression = value.parse().map_err(Error::Config)?
                }
                "compression.gzip.level" | "compression.lz4.level" | "compression.zstd.level" => {
                    c.producer
                        .compression_levels
                        .set(key, value)
                        .map_err(Error::Config)?;
                }
                "enable.idempotence" => idempotence_explicit = Some(boolean(key, value)?),
                "max.in.flight.requests.per.connection" => {
                    c.producer.max_in_flight = number(key, value)?;
                    if c.producer.max_in_flight == 0 {
                        return Err(Error::Config(format!("{key}: must be at least 1")));
                    }
                }
                "delivery.timeout.ms" => c.producer.delivery_timeout = millis(key, value)?,
                "max.request.size" => c.producer.max_request_size = number(key, value)?,
                "fetch.max.bytes" => c.fetch.max_bytes = number(key, value)?,
                "fetch.min.bytes" => c.fetch.min_bytes = number(key, value)?,
                "fetch.max.wait.ms" => c.fetch.max_wait = millis(key, value)?,
                "max.partition.fetch.bytes" => c.fetch.max_partition_bytes = number(key, value)?,
                "isolation.level" => {
                    c.fetch.isolation = match value.trim() {
                        "read_uncommitted" => IsolationLevel::ReadUncommitted,
                        "read_committed" => IsolationLevel::ReadCommitted,
                        _ => {
                            return Err(Error::Config(format!(
                                "{key}: '{value}' is not read_uncommitted or read_committed"
                            )))
                        }
                    }
                }
                "max.decompressed.batch.bytes" => {
                    c.fetch.max_decompressed_bytes = number(key, value)?
                }
                "check.crcs" => c.fetch.check_crcs = boolean(key, value)?,
                other => {
                    if !c.consumer.set(other, value)? {
                        return Err(Error::Config(format!("unknown client property '{other}'")));
                    }
                }
            }
        }
        // As in Java clients: idempotence is on by default, but only when the
        // other settings allow it; asking for it explicitly with them is an error.
        match idempotence_explicit {
            Some(true) if config.producer.acks != Acks::All => {
                return Err(Error::Config(
                    "enable.idempotence=true requires acks=all".into(),
                ))
            }
            Some(explicit) => config.producer.idempotence = explicit,
            None => config.producer.idempotence = config.producer.acks == Acks::All,
        }
        config.consumer.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Compression;

    #[test]
    fn parses_bootstrap_lists() {
        assert_eq!(
            parse_bootstrap("a:1, PLAINTEXT://b:2,[::1]:3").unwrap(),
            vec![("a".into(), 1), ("b".into(), 2), ("::1".into(), 3)]
        );
        assert!(parse_bootstrap("").is_err());
        assert!(parse_bootstrap("nohost").is_err());
        assert!(parse_bootstrap("h:99999").is_err());
    }

    #[test]
    fn reads_properties() {
        let c = ClientConfig::from_properties([
            ("bootstrap.servers", "127.0.0.1:9092"),
            ("linger.ms", "7"),
            ("compression.type", "zstd"),
            ("compression.zstd.level", "9"),
            ("acks", "1"),
        ])
        .unwrap();
        assert_eq!(c.producer.linger, Duration::from_millis(7));
        assert_eq!(c.producer.compression, Compression::Zstd);
        assert_eq!(
            c.producer.compression_levels.for_codec(Compression::Zstd),
            Some(9)
        );
        let err = ClientConfig::from_properties([("compression.gzip.level", "12")]).unwrap_err();
        assert!(err.to_string().contains("compression.gzip.level"), "{err}");
        assert_eq!(c.producer.acks, Acks::Leader);
        assert!(
            !c.producer.idempotence,
            "acks=1 turns default idempotence off"
        );
        assert!(
            ClientConfig::from_properties([("acks", "0"), ("enable.idempotence", "true")]).is_err()
        );
        assert!(ClientConfig::from_properties([("no.such.thing", "1")]).is_err());
        assert!(ClientConfig::from_properties([("linger.ms", "-1")]).is_err());
        let c = ClientConfig::from_properties([
            ("group.id", "g"),
            ("auto.offset.reset", "earliest"),
            ("fetch.min.bytes", "10"),
        ])
        .unwrap();
        assert_eq!(c.consumer.group_id.as_deref(), Some("g"));
        assert_eq!(c.fetch.min_bytes, 10);
        let d = ClientConfig::from_properties([]).unwrap();
        assert!(d.producer.idempotence && d.producer.acks == Acks::All);
    }
}
