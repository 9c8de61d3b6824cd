//! Topic and broker configurations: the definitions (type, default, valid
//! values, whether a broker config can be changed at run time), validation,
//! and how a value is resolved and described with its source and synonyms.
//!
//! A topic config's value comes from, in order: the topic's own override
//! (`DYNAMIC_TOPIC_CONFIG`), the answering broker's dynamic config of the
//! corresponding broker setting (`DYNAMIC_BROKER_CONFIG`), the cluster-wide
//! dynamic default (`DYNAMIC_DEFAULT_BROKER_CONFIG`), and the built-in
//! default (`DEFAULT_CONFIG`). Defaults are those of Apache Kafka 3.9.
//!
//! # References
//! - <https://kafka.apache.org/documentation/#topicconfigs>
//! - <https://kafka.apache.org/documentation/#brokerconfigs>
//! - KIP-133 (DescribeConfigs), KIP-226 (dynamic broker configs, synonyms),
//!   KIP-339 (IncrementalAlterConfigs), KIP-390 (compression levels)

use std::collections::BTreeMap;

/// `ConfigSource` values of DescribeConfigs.
pub(crate) mod source {
    pub(crate) const DYNAMIC_TOPIC_CONFIG: i8 = 1;
    pub(crate) const DYNAMIC_BROKER_CONFIG: i8 = 2;
    pub(crate) const DYNAMIC_DEFAULT_BROKER_CONFIG: i8 = 3;
    pub(crate) const STATIC_BROKER_CONFIG: i8 = 4;
    pub(crate) const DEFAULT_CONFIG: i8 = 5;
}

/// `ConfigType` values of DescribeConfigs (v3+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigType {
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Password = 9,
}

/// The values a config accepts beyond its type.
#[derive(Debug, Clone, Copy)]
enum Valid {
    Any,
    AtLeast(i64),
    Between(i64, i64),
    OneOf(&'static [&'static str]),
    ListOf(&'static [&'static str]),
    Ratio,
    Custom(fn(&str) -> bool, &'static str),
}

/// A topic config.
#[derive(Debug)]
pub(crate) struct TopicConfigDef {
    pub(crate) name: &'static str,
    pub(crate) kind: ConfigType,
    pub(crate) default: &'static str,
    valid: Valid,
    /// The broker config that holds the cluster-wide value.
    broker: Option<&'static str>,
    /// The broker config reported as the `DEFAULT_CONFIG` synonym when it is
    /// not `broker` (e.g. `log.retention.hours` for `retention.ms`).
    default_synonym: Option<&'static str>,
    pub(crate) doc: &'static str,
}

/// A broker config.
#[derive(Debug)]
pub(crate) struct BrokerConfigDef {
    pub(crate) name: &'static str,
    pub(crate) kind: ConfigType,
    pub(crate) default: Option<&'static str>,
    valid: Valid,
    /// Whether it can be changed at run time (else it is read-only).
    pub(crate) dynamic: bool,
    pub(crate) sensitive: bool,
    pub(crate) doc: &'static str,
}

const MAX_LONG: &str = "9223372036854775807";
const COMPRESSION: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
const CLEANUP: &[&str] = &["compact", "delete"];
const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];

fn gzip_level(v: &str) -> bool {
    matches!(v.trim().parse::<i32>(), Ok(-1 | 1..=9))
}

fn throttled_replicas(v: &str) -> bool {
    let v = v.trim();
    v.is_empty()
        || v == "*"
        || v.split(',').all(|pair| {
            pair.trim().split_once(':').is_some_and(|(p, b)| {
                p.trim().parse::<u32>().is_ok() && b.trim().parse::<u32>().is_ok()
            })
        })
}

macro_rules! topic {
    ($name:literal, $kind:ident, $default:expr, $valid:expr, $broker:expr, $doc:literal) => {
        topic!($name, $kind, $default, $valid, $broker, None, $doc)
    };
    ($name:literal, $kind:ident, $default:expr, $valid:expr, $broker:expr, $synonym:expr, $doc:literal) => {
        TopicConfigDef {
            name: $name,
            kind: ConfigType::$kind,
            default: $default,
            valid: $valid,
            broker: $broker,
            default_synonym: $synonym,
            doc: $doc,
        }
    };
}

/// Every topic config, by name.
pub(crate) static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    topic!("cleanup.policy", List, "delete", Valid::ListOf(CLEANUP), Some("log.cleanup.policy"),
        "What happens to old segments: `delete` removes them once past retention, `compact` keeps the latest record per key; both may be given."),
    topic!("compression.gzip.level", Int, "-1", Valid::Custom(gzip_level, "-1 or 1..9"), Some("compression.gzip.level"),
        "Level used when the broker compresses with gzip."),
    topic!("compression.lz4.level", Int, "9", Valid::Between(1, 17), Some("compression.lz4.level"),
        "Level used when the broker compresses with lz4."),
    topic!("compression.type", String, "producer", Valid::OneOf(COMPRESSION), Some("compression.type"),
        "Codec of the stored batches: `producer` keeps the producer's codec, any other value makes the broker recompress."),
    topic!("compression.zstd.level", Int, "3", Valid::Between(-131_072, 22), Some("compression.zstd.level"),
        "Level used when the broker compresses with zstd."),
    topic!("delete.retention.ms", Long, "86400000", Valid::AtLeast(0), Some("log.cleaner.delete.retention.ms"),
        "How long tombstones stay readable in a compacted topic."),
    topic!("file.delete.delay.ms", Long, "60000", Valid::AtLeast(0), Some("log.segment.delete.delay.ms"),
        "Wait before a deleted segment file is removed from disk."),
    topic!("flush.messages", Long, MAX_LONG, Valid::AtLeast(1), Some("log.flush.interval.messages"),
        "Records written between forced flushes to disk."),
    topic!("flush.ms", Long, MAX_LONG, Valid::AtLeast(0), Some("log.flush.interval.ms"), Some("log.flush.scheduler.interval.ms"),
        "Time between forced flushes to disk."),
    topic!("follower.replication.throttled.replicas", List, "", Valid::Custom(throttled_replicas, "`*` or partition:broker pairs"), None,
        "Follower replicas whose replication is throttled."),
    topic!("index.interval.bytes", Int, "4096", Valid::AtLeast(0), Some("log.index.interval.bytes"),
        "Bytes between two offset index entries."),
    topic!("leader.replication.throttled.replicas", List, "", Valid::Custom(throttled_replicas, "`*` or partition:broker pairs"), None,
        "Leader replicas whose replication is throttled."),
    topic!("local.retention.bytes", Long, "-2", Valid::AtLeast(-2), Some("log.local.retention.bytes"),
        "Bytes kept on local disk when tiered storage is on (-2: retention.bytes)."),
    topic!("local.retention.ms", Long, "-2", Valid::AtLeast(-2), Some("log.local.retention.ms"),
        "Time data stays on local disk when tiered storage is on (-2: retention.ms)."),
    topic!("max.compaction.lag.ms", Long, MAX_LONG, Valid::AtLeast(1), Some("log.cleaner.max.compaction.lag.ms"),
        "Longest time a record may stay uncompacted."),
    topic!("max.message.bytes", Int, "1048588", Valid::AtLeast(0), Some("message.max.bytes"),
        "Largest record batch the topic accepts, after compression."),
    topic!("message.timestamp.after.max.ms", Long, MAX_LONG, Valid::AtLeast(0), Some("log.message.timestamp.after.max.ms"),
        "How far in the future a create-time timestamp may be."),
    topic!("message.timestamp.before.max.ms", Long, MAX_LONG, Valid::AtLeast(0), Some("log.message.timestamp.before.max.ms"),
        "How far in the past a create-time timestamp may be."),
    topic!("message.timestamp.type", String, "CreateTime", Valid::OneOf(TIMESTAMP_TYPES), Some("log.message.timestamp.type"),
        "Whether record timestamps are the producer's (`CreateTime`) or the broker's append time (`LogAppendTime`)."),
    topic!("min.cleanable.dirty.ratio", Double, "0.5", Valid::Ratio, Some("log.cleaner.min.cleanable.ratio"),
        "Share of uncompacted log that makes the cleaner run."),
    topic!("min.compaction.lag.ms", Long, "0", Valid::AtLeast(0), Some("log.cleaner.min.compaction.lag.ms"),
        "Shortest time a record stays uncompacted."),
    topic!("min.insync.replicas", Int, "1", Valid::AtLeast(1), Some("min.insync.replicas"),
        "In-sync replicas needed for a write with acks=all to succeed."),
    topic!("preallocate", Boolean, "false", Valid::Any, Some("log.preallocate"),
        "Whether segment files are allocated at full size when created."),
    topic!("remote.storage.enable", Boolean, "false", Valid::Any, None,
        "Whether the topic uses tiered storage."),
    topic!("retention.bytes", Long, "-1", Valid::Any, Some("log.retention.bytes"),
        "Largest size of a partition before old segments are deleted (-1: no limit)."),
    topic!("retention.ms", Long, "604800000", Valid::AtLeast(-1), Some("log.retention.ms"), Some("log.retention.hours"),
        "How long records are kept before old segments are deleted (-1: forever)."),
    topic!("segment.bytes", Int, "1073741824", Valid::AtLeast(14), Some("log.segment.bytes"),
        "Size of a log segment file."),
    topic!("segment.index.bytes", Int, "10485760", Valid::AtLeast(4), Some("log.index.size.max.bytes"),
        "Size of the offset index of a segment."),
    topic!("segment.jitter.ms", Long, "0", Valid::AtLeast(0), Some("log.roll.jitter.ms"), Some("log.roll.jitter.hours"),
        "Random jitter subtracted from segment.ms."),
    topic!("segment.ms", Long, "604800000", Valid::AtLeast(1), Some("log.roll.ms"), Some("log.roll.hours"),
        "Time after which a segment is rolled even if not full."),
    topic!("unclean.leader.election.enable", Boolean, "false", Valid::Any, Some("unclean.leader.election.enable"),
        "Whether a replica outside the ISR may become leader, at the risk of losing data."),
];

macro_rules! broker {
    ($name:literal, $kind:ident, $default:expr, $valid:expr, dynamic, $doc:literal) => {
        broker!(@ $name, $kind, $default, $valid, true, false, $doc)
    };
    ($name:literal, $kind:ident, $default:expr, $valid:expr, fixed, $doc:literal) => {
        broker!(@ $name, $kind, $default, $valid, false, false, $doc)
    };
    ($name:literal, $kind:ident, $default:expr, $valid:expr, sensitive, $doc:literal) => {
        broker!(@ $name, $kind, $default, $valid, true, true, $doc)
    };
    (@ $name:literal, $kind:ident, $default:expr, $valid:expr, $dynamic:expr, $sensitive:expr, $doc:literal) => {
        BrokerConfigDef {
            name: $name,
            kind: ConfigType::$kind,
            default: $default,
            valid: $valid,
            dynamic: $dynamic,
            sensitive: $sensitive,
            doc: $doc,
        }
    };
}

/// Every broker config, by name. Values that come from the cluster's own
/// settings (node id, listeners, default partitions, ...) are passed in as
/// [`Layers::statics`] and reported as `STATIC_BROKER_CONFIG`.
pub(crate) static BROKER_CONFIGS: &[BrokerConfigDef] = &[
    broker!(
        "advertised.listeners",
        String,
        None,
        Valid::Any,
        fixed,
        "Addresses the broker gives to clients."
    ),
    broker!(
        "auto.create.topics.enable",
        Boolean,
        Some("true"),
        Valid::Any,
        fixed,
        "Whether Metadata requests create unknown topics."
    ),
    broker!(
        "compression.gzip.level",
        Int,
        Some("-1"),
        Valid::Custom(gzip_level, "-1 or 1..9"),
        dynamic,
        "Default gzip level for topics."
    ),
    broker!(
        "compression.lz4.level",
        Int,
        Some("9"),
        Valid::Between(1, 17),
        dynamic,
        "Default lz4 level for topics."
    ),
    broker!(
        "compression.type",
        String,
        Some("producer"),
        Valid::OneOf(COMPRESSION),
        dynamic,
        "Default codec for topics."
    ),
    broker!(
        "compression.zstd.level",
        Int,
        Some("3"),
        Valid::Between(-131_072, 22),
        dynamic,
        "Default zstd level for topics."
    ),
    broker!(
        "default.replication.factor",
        Int,
        Some("1"),
        Valid::AtLeast(1),
        fixed,
        "Replication factor of topics created without one."
    ),
    broker!(
        "delete.topic.enable",
        Boolean,
        Some("true"),
        Valid::Any,
        fixed,
        "Whether topics can be deleted."
    ),
    broker!(
        "group.initial.rebalance.delay.ms",
        Int,
        Some("3000"),
        Valid::AtLeast(0),
        fixed,
        "Wait for more members before the first rebalance of an empty group."
    ),
    broker!(
        "group.max.session.timeout.ms",
        Int,
        Some("1800000"),
        Valid::AtLeast(0),
        fixed,
        "Longest session timeout a group member may ask for."
    ),
    broker!(
        "group.min.session.timeout.ms",
        Int,
        Some("6000"),
        Valid::AtLeast(0),
        fixed,
        "Shortest session timeout a group member may ask for."
    ),
    broker!(
        "listeners",
        String,
        Some("PLAINTEXT://:9092"),
        Valid::Any,
        fixed,
        "Addresses the broker listens on."
    ),
    broker!(
        "log.cleaner.delete.retention.ms",
        Long,
        Some("86400000"),
        Valid::AtLeast(0),
        dynamic,
        "Default delete.retention.ms."
    ),
    broker!(
        "log.cleaner.max.compaction.lag.ms",
        Long,
        Some(MAX_LONG),
        Valid::AtLeast(1),
        dynamic,
        "Default max.compaction.lag.ms."
    ),
    broker!(
        "log.cleaner.min.cleanable.ratio",
        Double,
        Some("0.5"),
        Valid::Ratio,
        dynamic,
        "Default min.cleanable.dirty.ratio."
    ),
    broker!(
        "log.cleaner.min.compaction.lag.ms",
        Long,
        Some("0"),
        Valid::AtLeast(0),
        dynamic,
        "Default min.compaction.lag.ms."
    ),
    broker!(
        "log.cleanup.policy",
        List,
        Some("delete"),
        Valid::ListOf(CLEANUP),
        dynamic,
        "Default cleanup.policy."
    ),
    broker!(
        "log.dirs",
        String,
        None,
        Valid::Any,
        fixed,
        "Where partition data is kept (in memory here)."
    ),
    broker!(
        "log.flush.interval.messages",
        Long,
        Some(MAX_LONG),
        Valid::AtLeast(1),
        dynamic,
        "Default flush.messages."
    ),
    broker!(
        "log.flush.interval.ms",
        Long,
        None,
        Valid::AtLeast(0),
        dynamic,
        "Default flush.ms; log.flush.scheduler.interval.ms when unset."
    ),
    broker!(
        "log.flush.scheduler.interval.ms",
        Long,
        Some(MAX_LONG),
        Valid::AtLeast(0),
        fixed,
        "How often the flusher checks logs."
    ),
    broker!(
        "log.index.interval.bytes",
        Int,
        Some("4096"),
        Valid::AtLeast(0),
        dynamic,
        "Default index.interval.bytes."
    ),
    broker!(
        "log.index.size.max.bytes",
        Int,
        Some("10485760"),
        Valid::AtLeast(4),
        dynamic,
        "Default segment.index.bytes."
    ),
    broker!(
        "log.local.retention.bytes",
        Long,
        Some("-2"),
        Valid::AtLeast(-2),
        dynamic,
        "Default local.retention.bytes."
    ),
    broker!(
        "log.local.retention.ms",
        Long,
        Some("-2"),
        Valid::AtLeast(-2),
        dynamic,
        "Default local.retention.ms."
    ),
    broker!(
        "log.message.timestamp.after.max.ms",
        Long,
        Some(MAX_LONG),
        Valid::AtLeast(0),
        dynamic,
        "Default message.timestamp.after.max.ms."
    ),
    broker!(
        "log.message.timestamp.before.max.ms",
        Long,
        Some(MAX_LONG),
        Valid::AtLeast(0),
        dynamic,
        "Default message.timestamp.before.max.ms."
    ),
    broker!(
        "log.message.timestamp.type",
        String,
        Some("CreateTime"),
        Valid::OneOf(TIMESTAMP_TYPES),
        dynamic,
        "Default message.timestamp.type."
    ),
    broker!(
        "log.preallocate",
        Boolean,
        Some("false"),
        Valid::Any,
        dynamic,
        "Default preallocate."
    ),
    broker!(
        "log.retention.bytes",
        Long,
        Some("-1"),
        Valid::Any,
        dynamic,
        "Default retention.bytes."
    ),
    broker!(
        "log.retention.hours",
        Int,
        Some("168"),
        Valid::Any,
        fixed,
        "Default retention in hours, when log.retention.ms and log.retention.minutes are unset."
    ),
    broker!(
        "log.retention.minutes",
        Int,
        None,
        Valid::Any,
        fixed,
        "Default retention in minutes, when log.retention.ms is unset."
    ),
    broker!(
        "log.retention.ms",
        Long,
        None,
        Valid::AtLeast(-1),
        dynamic,
        "Default retention.ms."
    ),
    broker!(
        "log.roll.hours",
        Int,
        Some("168"),
        Valid::AtLeast(1),
        fixed,
        "Default segment roll time in hours, when log.roll.ms is unset."
    ),
    broker!(
        "log.roll.jitter.hours",
        Int,
        Some("0"),
        Valid::AtLeast(0),
        fixed,
        "Default segment roll jitter in hours, when log.roll.jitter.ms is unset."
    ),
    broker!(
        "log.roll.jitter.ms",
        Long,
        None,
        Valid::AtLeast(0),
        dynamic,
        "Default segment.jitter.ms."
    ),
    broker!(
        "log.roll.ms",
        Long,
        None,
        Valid::AtLeast(1),
        dynamic,
        "Default segment.ms."
    ),
    broker!(
        "log.segment.bytes",
        Int,
        Some("1073741824"),
        Valid::AtLeast(14),
        dynamic,
        "Default segment.bytes."
    ),
    broker!(
        "log.segment.delete.delay.ms",
        Long,
        Some("60000"),
        Valid::AtLeast(0),
        dynamic,
        "Default file.delete.delay.ms."
    ),
    broker!(
        "message.max.bytes",
        Int,
        Some("1048588"),
        Valid::AtLeast(0),
        dynamic,
        "Default max.message.bytes."
    ),
    broker!(
        "min.insync.replicas",
        Int,
        Some("1"),
        Valid::AtLeast(1),
        dynamic,
        "Default min.insync.replicas."
    ),
    broker!(
        "node.id",
        Int,
        Some("-1"),
        Valid::Any,
        fixed,
        "This broker's id."
    ),
    broker!(
        "num.partitions",
        Int,
        Some("1"),
        Valid::AtLeast(1),
        fixed,
        "Partitions of topics created without a count."
    ),
    broker!(
        "offsets.topic.num.partitions",
        Int,
        Some("50"),
        Valid::AtLeast(1),
        fixed,
        "Partitions of the group offsets topic."
    ),
    broker!(
        "offsets.topic.replication.factor",
        Short,
        Some("3"),
        Valid::AtLeast(1),
        fixed,
        "Replication factor of the group offsets topic."
    ),
    broker!(
        "ssl.keystore.password",
        Password,
        None,
        Valid::Any,
        sensitive,
        "Password of the TLS key store (never shown)."
    ),
    broker!(
        "unclean.leader.election.enable",
        Boolean,
        Some("false"),
        Valid::Any,
        dynamic,
        "Default unclean.leader.election.enable."
    ),
];

/// One config as DescribeConfigs reports it.
#[derive(Debug, Clone)]
pub(crate) struct ConfigEntry {
    pub(crate) name: &'static str,
    pub(crate) value: Option<String>,
    pub(crate) source: i8,
    pub(crate) read_only: bool,
    pub(crate) sensitive: bool,
    pub(crate) kind: ConfigType,
    pub(crate) doc: &'static str,
    /// `(name, value, source)`, most specific first.
    pub(crate) synonyms: Vec<(String, Option<String>, i8)>,
}

/// The dynamic config layers a value is resolved through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layers<'a> {
    /// The answering broker's own dynamic configs.
    pub(crate) broker: &'a BTreeMap<String, String>,
    /// The cluster-wide dynamic defaults.
    pub(crate) cluster: &'a BTreeMap<String, String>,
    /// Static broker values from the cluster's settings.
    pub(crate) statics: &'a BTreeMap<&'static str, String>,
}

/// The definition of a topic config.
pub(crate) fn topic_def(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|c| c.name == name)
}

/// The definition of a broker config.
pub(crate) fn broker_def(name: &str) -> Option<&'static BrokerConfigDef> {
    BROKER_CONFIGS.iter().find(|c| c.name == name)
}

/// Describes a topic config given the topic's overrides.
pub(crate) fn describe_topic_config(
    def: &'static TopicConfigDef,
    overrides: &BTreeMap<String, String>,
    layers: Layers<'_>,
) -> ConfigEntry {
    let mut synonyms = Vec::new();
    if let Some(v) = overrides.get(def.name) {
        synonyms.push((
            def.name.to_owned(),
            Some(v.clone()),
            source::DYNAMIC_TOPIC_CONFIG,
        ));
    }
    if let Some(broker) = def.broker {
        if let Some(v) = layers.broker.get(broker) {
            synonyms.push((
                broker.to_owned(),
                Some(v.clone()),
                source::DYNAMIC_BROKER_CONFIG,
            ));
        }
        if let Some(v) = layers.cluster.get(broker) {
            synonyms.push((
                broker.to_owned(),
                Some(v.clone()),
                source::DYNAMIC_DEFAULT_BROKER_CONFIG,
            ));
        }
        let default_name = def.default_synonym.unwrap_or(broker);
        if let Some(v) = broker_def(default_name).and_then(|d| d.default) {
            synonyms.push((
                default_name.to_owned(),
                Some(v.to_owned()),
                source::DEFAULT_CONFIG,
            ));
        }
    }
    let (value, source) = match synonyms.first() {
        Some((_, v, s)) if *s != source::DEFAULT_CONFIG => (v.clone(), *s),
        _ => (Some(def.default.to_owned()), source::DEFAULT_CONFIG),
    };
    ConfigEntry {
        name: def.name,
        value,
        source,
        read_only: false,
        sensitive: false,
        kind: def.kind,
        doc: def.doc,
        synonyms,
    }
}

/// The effective value of a topic config.
pub(crate) fn topic_value(
    name: &str,
    overrides: &BTreeMap<String, String>,
    layers: Layers<'_>,
) -> Option<String> {
    topic_def(name).and_then(|def| describe_topic_config(def, overrides, layers).value)
}

/// Describes a broker config of the answering broker.
pub(crate) fn describe_broker_config(
    def: &'static BrokerConfigDef,
    layers: Layers<'_>,
) -> ConfigEntry {
    let mut synonyms = Vec::new();
    if let Some(v) = layers.broker.get(def.name) {
        synonyms.push((
            def.name.to_owned(),
            Some(v.clone()),
            source::DYNAMIC_BROKER_CONFIG,
        ));
    }
    if let Some(v) = layers.cluster.get(def.name) {
        synonyms.push((
            def.name.to_owned(),
            Some(v.clone()),
            source::DYNAMIC_DEFAULT_BROKER_CONFIG,
        ));
    }
    if let Some(v) = layers.statics.get(def.name) {
        synonyms.push((
            def.name.to_owned(),
            Some(v.clone()),
            source::STATIC_BROKER_CONFIG,
        ));
    }
    if let Some(v) = def.default {
        synonyms.push((
            def.name.to_owned(),
            Some(v.to_owned()),
            source::DEFAULT_CONFIG,
        ));
    }
    let (value, source) = match synonyms.first() {
        Some((_, v, s)) => (v.clone(), *s),
        None => (None, source::DEFAULT_CONFIG),
    };
    let mut entry = ConfigEntry {
        name: def.name,
        value,
        source,
        read_only: !def.dynamic,
        sensitive: def.sensitive,
        kind: def.kind,
        doc: def.doc,
        synonyms,
    };
    if def.sensitive {
        entry.value = None;
        for s in &mut entry.synonyms {
            s.1 = None;
        }
    }
    entry
}

/// Describes one of the cluster-wide dynamic defaults (a BROKER resource
/// with an empty name).
pub(crate) fn describe_cluster_default(def: &'static BrokerConfigDef, value: &str) -> ConfigEntry {
    let value = (!def.sensitive).then(|| value.to_owned());
    ConfigEntry {
        name: def.name,
        value: value.clone(),
        source: source::DYNAMIC_DEFAULT_BROKER_CONFIG,
        read_only: false,
        sensitive: def.sensitive,
        kind: def.kind,
        doc: def.doc,
        synonyms: vec![(
            def.name.to_owned(),
            value,
            source::DYNAMIC_DEFAULT_BROKER_CONFIG,
        )],
    }
}

/// Checks a value for a topic config; the error is the message for
/// `INVALID_CONFIG`.
pub(crate) fn validate_topic(name: &str, value: &str) -> Result<(), String> {
    let def = topic_def(name).ok_or_else(|| format!("Unknown topic config name: {name}"))?;
    check_value(name, def.kind, def.valid, value)
}

/// Why a broker config cannot be set.
#[derive(Debug)]
pub(crate) enum BrokerConfigError {
    /// Unknown name or bad value (`INVALID_CONFIG`).
    Invalid(String),
    /// Not changeable at run time (`INVALID_REQUEST`).
    ReadOnly(String),
}

/// Checks a value for a dynamic broker config.
pub(crate) fn validate_broker(name: &str, value: &str) -> Result<(), BrokerConfigError> {
    let def = broker_def(name)
        .ok_or_else(|| BrokerConfigError::Invalid(format!("Unknown broker config name: {name}")))?;
    if !def.dynamic {
        return Err(BrokerConfigError::ReadOnly(format!(
            "Cannot update these configs dynamically: {name}"
        )));
    }
    check_value(name, def.kind, def.valid, value).map_err(BrokerConfigError::Invalid)
}

/// Whether a config (topic or broker) is a list, so APPEND and SUBTRACT apply.
pub(crate) fn is_list(name: &str, topic: bool) -> bool {
    if topic {
        topic_def(name).is_some_and(|d| d.kind == ConfigType::List)
    } else {
        broker_def(name).is_some_and(|d| d.kind == ConfigType::List)
    }
}

fn check_value(name: &str, kind: ConfigType, valid: Valid, value: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "Invalid value {value} for configuration {name}: {why}"
        ))
    };
    let v = value.trim();
    let number: Option<i64> = match kind {
        ConfigType::Boolean => {
            if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                return bad("Expected value to be either true or false");
            }
            None
        }
        ConfigType::Int => match v.parse::<i32>() {
            Ok(n) => Some(i64::from(n)),
            Err(_) => return bad("Not a number of type INT"),
        },
        ConfigType::Short => match v.parse::<i16>() {
            Ok(n) => Some(i64::from(n)),
            Err(_) => return bad("Not a number of type SHORT"),
        },
        ConfigType::Long => match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => return bad("Not a number of type LONG"),
        },
        ConfigType::Double => {
            if v.parse::<f64>().is_err() {
                return bad("Not a number of type DOUBLE");
            }
            None
        }
        ConfigType::String | ConfigType::List | ConfigType::Password => None,
    };
    match valid {
        Valid::Any => Ok(()),
        Valid::AtLeast(min) => match number {
            Some(n) if n < min => bad(&format!("Value must be at least {min}")),
            _ => Ok(()),
        },
        Valid::Between(min, max) => match number {
            Some(n) if n < min || n > max => bad(&format!(
                "Value must be no less than {min} and no more than {max}"
            )),
            _ => Ok(()),
        },
        Valid::OneOf(allowed) => {
            if allowed.contains(&v) {
                Ok(())
            } else {
                bad(&format!("String must be one of: {}", allowed.join(", ")))
            }
        }
        Valid::ListOf(allowed) => {
            for item in split_list(v) {
                if !allowed.contains(&item.as_str()) {
                    return bad(&format!("List items must be in: {}", allowed.join(", ")));
                }
            }
            Ok(())
        }
        Valid::Ratio => match v.parse::<f64>() {
            Ok(r) if (0.0..=1.0).contains(&r) => Ok(()),
            _ => bad("Value must be between 0 and 1"),
        },
        Valid::Custom(check, expected) => {
            if check(v) {
                Ok(())
            } else {
                bad(&format!("Expected {expected}"))
            }
        }
    }
}

/// The items of a list value (comma-separated, trimmed, empty items dropped).
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Maps = (
        BTreeMap<String, String>,
        BTreeMap<String, String>,
        BTreeMap<&'static str, String>,
    );

    fn empty() -> Maps {
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new())
    }

    #[test]
    fn topic_values_resolve_through_the_layers() {
        let (broker, mut cluster, statics) = empty();
        let mut overrides = BTreeMap::new();
        let def = topic_def("retention.ms").unwrap();
        let layers = Layers {
            broker: &broker,
            cluster: &cluster,
            statics: &statics,
        };
        let e = describe_topic_config(def, &overrides, layers);
        assert_eq!(e.value.as_deref(), Some("604800000"));
        assert_eq!(e.source, source::DEFAULT_CONFIG);
        assert_eq!(
            e.synonyms,
            vec![(
                "log.retention.hours".to_owned(),
                Some("168".to_owned()),
                source::DEFAULT_CONFIG
            )]
        );
        cluster.insert("log.retention.ms".into(), "1000".into());
        let layers = Layers {
            broker: &broker,
            cluster: &cluster,
            statics: &statics,
        };
        let e = describe_topic_config(def, &overrides, layers);
        assert_eq!(e.value.as_deref(), Some("1000"));
        assert_eq!(e.source, source::DYNAMIC_DEFAULT_BROKER_CONFIG);
        overrides.insert("retention.ms".to_owned(), "5".to_owned());
        let e = describe_topic_config(def, &overrides, layers);
        assert_eq!(e.value.as_deref(), Some("5"));
        assert_eq!(e.source, source::DYNAMIC_TOPIC_CONFIG);
        assert_eq!(e.synonyms.len(), 3);
        let topic_only = topic_def("remote.storage.enable").unwrap();
        let e = describe_topic_config(topic_only, &overrides, layers);
        assert!(e.synonyms.is_empty());
        assert_eq!(e.value.as_deref(), Some("false"));
    }

    #[test]
    fn validation() {
        assert!(validate_topic("retention.ms", "-1").is_ok());
        assert!(validate_topic("retention.ms", "-2").is_err());
        assert!(validate_topic("retention.ms", "soon").is_err());
        assert!(validate_topic("cleanup.policy", "compact, delete").is_ok());
        assert!(validate_topic("cleanup.policy", "shred").is_err());
        assert!(validate_topic("compression.type", "zstd").is_ok());
        assert!(validate_topic("compression.type", "brotli").is_err());
        assert!(validate_topic("compression.gzip.level", "0").is_err());
        assert!(validate_topic("min.cleanable.dirty.ratio", "1.5").is_err());
        assert!(validate_topic("preallocate", "yes").is_err());
        assert!(validate_topic("leader.replication.throttled.replicas", "0:1,1:2").is_ok());
        assert!(validate_topic("no.such.config", "1").is_err());
        assert!(matches!(
            validate_broker("node.id", "3"),
            Err(BrokerConfigError::ReadOnly(_))
        ));
        assert!(matches!(
            validate_broker("log.retention.ms", "x"),
            Err(BrokerConfigError::Invalid(_))
        ));
        assert!(validate_broker("log.retention.ms", "100").is_ok());
        assert!(is_list("cleanup.policy", true) && !is_list("retention.ms", true));
    }

    #[test]
    fn every_topic_config_default_is_valid_and_has_a_known_synonym() {
        for def in TOPIC_CONFIGS {
            assert!(
                validate_topic(def.name, def.default).is_ok(),
                "{} default",
                def.name
            );
            if let Some(b) = def.broker {
                assert!(broker_def(b).is_some(), "{b}");
            }
            if let Some(b) = def.default_synonym {
                assert!(broker_def(b).is_some(), "{b}");
            }
        }
        let mut names: Vec<_> = BROKER_CONFIGS.iter().map(|d| d.name).collect();
        let sorted = {
            let mut s = names.clone();
            s.sort();
            s
        };
        assert_eq!(names, sorted, "broker configs are kept sorted");
        names.dedup();
        assert_eq!(names.len(), BROKER_CONFIGS.len());
    }
}
