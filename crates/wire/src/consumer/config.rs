//! Consumer group settings, read from the Java consumer's property names.
//! Fetch settings (`fetch.min.bytes`, `isolation.level`, ...) live in
//! [`crate::consumer::FetchConfig`]; both are read by
//! [`crate::ClientConfig::from_properties`].

use std::time::Duration;

use super::OffsetReset;
use crate::error::{Error, Result};

/// Settings of a [`crate::consumer::Consumer`] beyond fetching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// `group.id`: the consumer group; needed to subscribe and to commit.
    pub group_id: Option<String>,
    /// `session.timeout.ms`: the coordinator drops a member that sends no
    /// heartbeat for this long.
    pub session_timeout: Duration,
    /// `max.poll.interval.ms`: the rebalance timeout sent in JoinGroup, and
    /// the longest time between polls before the consumer leaves the group.
    pub rebalance_timeout: Duration,
    /// `heartbeat.interval.ms`: time between heartbeats; below the session
    /// timeout.
    pub heartbeat_interval: Duration,
    /// `auto.offset.reset`: where to start without a committed offset or
    /// when the position is out of range.
    pub auto_offset_reset: OffsetReset,
    /// `enable.auto.commit`: commit positions every `auto.commit.interval.ms`,
    /// before a rebalance and on close.
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`.
    pub auto_commit_interval: Duration,
    /// `partition.assignment.strategy`: assignor names in order of
    /// preference (`range`, `roundrobin`, `cooperative-sticky`).
    pub assignment_strategies: Vec<String>,
    /// `exclude.internal.topics`: pattern subscriptions skip internal topics.
    pub exclude_internal_topics: bool,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            group_id: None,
            session_timeout: Duration::from_secs(45),
            rebalance_timeout: Duration::from_secs(300),
            heartbeat_interval: Duration::from_secs(3),
            auto_offset_reset: OffsetReset::Latest,
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            assignment_strategies: vec!["range".into(), "roundrobin".into()],
            exclude_internal_topics: true,
        }
    }
}

/// The property names [`ConsumerConfig::set`] reads.
pub const CONSUMER_PROPERTIES: &[&str] = &[
    "group.id",
    "session.timeout.ms",
    "max.poll.interval.ms",
    "heartbeat.interval.ms",
    "auto.offset.reset",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "partition.assignment.strategy",
    "exclude.internal.topics",
];

fn millis(key: &str, value: &str) -> Result<Duration> {
    let ms: u64 = value
        .trim()
        .parse()
        .map_err(|_| Error::Config(format!("{key}: '{value}' is not a valid number of ms")))?;
    Ok(Duration::from_millis(ms))
}

impl ConsumerConfig {
    /// Sets one property. Returns `Ok(false)` for a name that is not a
    /// consumer group property, and an error naming the property for a bad
    /// value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool> {
        match key {
            "group.id" => {
                let v = value.trim();
                self.group_id = (!v.is_empty()).then(|| v.to_owned());
            }
            "session.timeout.ms" => self.session_timeout = millis(key, value)?,
            "max.poll.interval.ms" => self.rebalance_timeout = millis(key, value)?,
            "heartbeat.interval.ms" => self.heartbeat_interval = millis(key, value)?,
            "auto.offset.reset" => {
                self.auto_offset_reset = match value.trim() {
                    "earliest" | "smallest" | "beginning" => OffsetReset::Earliest,
                    "latest" | "largest" | "end" => OffsetReset::Latest,
                    "none" | "error" => OffsetReset::None,
                    _ => {
                        return Err(Error::Config(format!(
                            "{key}: '{value}' is not earliest, latest or none"
                        )))
                    }
                }
            }
            "enable.auto.commit" => {
                self.enable_auto_commit = match value.trim().to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(Error::Config(format!(
                            "{key}: '{value}' is not true or false"
                        )))
                    }
                }
            }
            "auto.commit.interval.ms" => self.auto_commit_interval = millis(key, value)?,
            "partition.assignment.strategy" => {
                let names: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if names.is_empty() {
                    return Err(Error::Config(format!("{key}: no assignor given")));
                }
                for name in &names {
                    super::assignor::by_name(name)?;
                }
                self.assignment_strategies = names;
            }
            "exclude.internal.topics" => {
                self.exclude_internal_topics = match value.trim().to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(Error::Config(format!(
                            "{key}: '{value}' is not true or false"
                        )))
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Reads consumer group properties; any other name is an error.
    pub fn from_properties<'a>(
        props: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self> {
        let mut config = ConsumerConfig::default();
        for (key, value) in props {
            if !config.set(key, value)? {
                return Err(Error::Config(format!("unknown consumer property '{key}'")));
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks relations between settings, as the Java consumer does: the
    /// heartbeat interval must be below the session timeout.
    pub fn validate(&self) -> Result<()> {
        if self.heartbeat_interval >= self.session_timeout {
            return Err(Error::Config(format!(
                "heartbeat.interval.ms ({}) must be lower than session.timeout.ms ({})",
                self.heartbeat_interval.as_millis(),
                self.session_timeout.as_millis()
            )));
        }
        if self.heartbeat_interval.is_zero() || self.session_timeout.is_zero() {
            return Err(Error::Config(
                "heartbeat.interval.ms and session.timeout.ms must be positive".into(),
            ));
        }
        if self.auto_commit_interval.is_zero() && self.enable_auto_commit {
            return Err(Error::Config(
                "auto.commit.interval.ms must be positive".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_java_property_names() {
        let c = ConsumerConfig::from_properties([
            ("group.id", "g"),
            ("session.timeout.ms", "6000"),
            ("heartbeat.interval.ms", "500"),
            ("max.poll.interval.ms", "10000"),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
            ("auto.commit.interval.ms", "100"),
            (
                "partition.assignment.strategy",
                "roundrobin, org.apache.kafka.clients.consumer.RangeAssignor",
            ),
            ("exclude.internal.topics", "false"),
        ])
        .unwrap();
        assert_eq!(c.group_id.as_deref(), Some("g"));
        assert_eq!(c.session_timeout, Duration::from_secs(6));
        assert_eq!(c.heartbeat_interval, Duration::from_millis(500));
        assert_eq!(c.rebalance_timeout, Duration::from_secs(10));
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert!(!c.enable_auto_commit && !c.exclude_internal_topics);
        assert_eq!(c.assignment_strategies.len(), 2);
    }

    #[test]
    fn bad_values_are_errors() {
        for (k, v) in [
            ("auto.offset.reset", "middle"),
            ("session.timeout.ms", "-1"),
            ("partition.assignment.strategy", "sticky"),
            ("partition.assignment.strategy", ""),
            ("enable.auto.commit", "yes"),
            ("no.such.property", "1"),
        ] {
            assert!(
                ConsumerConfig::from_properties([(k, v)]).is_err(),
                "{k}={v}"
            );
        }
        assert!(ConsumerConfig::from_properties([
            ("session.timeout.ms", "1000"),
            ("heartbeat.interval.ms", "1000")
        ])
        .is_err());
    }
}
