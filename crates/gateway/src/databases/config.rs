//! Topic settings as the managed-cloud API names them (`retention_ms`,
//! `cleanup_policy`, ...) and as Kafka does (`retention.ms`,
//! `cleanup.policy`, ...), with the values and ranges the reference allows.

use serde_json::{Number, Value};

/// How a setting's value is written in this API.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// An integer, at least the given minimum.
    Integer(i64),
    /// A number between the bounds.
    Ratio(f64, f64),
    /// `true` or `false`.
    Boolean,
    /// One of the listed words (API word, Kafka value).
    Choice(&'static [(&'static str, &'static str)]),
}

/// Every setting: API name, Kafka name, kind.
const SETTINGS: &[(&str, &str, Kind)] = &[
    (
        "cleanup_policy",
        "cleanup.policy",
        Kind::Choice(CLEANUP_POLICIES),
    ),
    (
        "compression_type",
        "compression.type",
        Kind::Choice(COMPRESSION_TYPES),
    ),
    (
        "delete_retention_ms",
        "delete.retention.ms",
        Kind::Integer(0),
    ),
    (
        "file_delete_delay_ms",
        "file.delete.delay.ms",
        Kind::Integer(0),
    ),
    ("flush_messages", "flush.messages", Kind::Integer(1)),
    ("flush_ms", "flush.ms", Kind::Integer(0)),
    (
        "index_interval_bytes",
        "index.interval.bytes",
        Kind::Integer(0),
    ),
    (
        "max_compaction_lag_ms",
        "max.compaction.lag.ms",
        Kind::Integer(1),
    ),
    ("max_message_bytes", "max.message.bytes", Kind::Integer(0)),
    (
        "message_down_conversion_enable",
        "message.downconversion.enable",
        Kind::Boolean,
    ),
    (
        "message_format_version",
        "message.format.version",
        Kind::Choice(FORMAT_VERSIONS),
    ),
    (
        "message_timestamp_difference_max_ms",
        "message.timestamp.difference.max.ms",
        Kind::Integer(0),
    ),
    (
        "message_timestamp_type",
        "message.timestamp.type",
        Kind::Choice(TIMESTAMP_TYPES),
    ),
    (
        "min_cleanable_dirty_ratio",
        "min.cleanable.dirty.ratio",
        Kind::Ratio(0.0, 1.0),
    ),
    (
        "min_compaction_lag_ms",
        "min.compaction.lag.ms",
        Kind::Integer(0),
    ),
    (
        "min_insync_replicas",
        "min.insync.replicas",
        Kind::Integer(1),
    ),
    ("preallocate", "preallocate", Kind::Boolean),
    ("retention_bytes", "retention.bytes", Kind::Integer(-1)),
    ("retention_ms", "retention.ms", Kind::Integer(-1)),
    ("segment_bytes", "segment.bytes", Kind::Integer(14)),
    (
        "segment_index_bytes",
        "segment.index.bytes",
        Kind::Integer(4),
    ),
    ("segment_jitter_ms", "segment.jitter.ms", Kind::Integer(0)),
    ("segment_ms", "segment.ms", Kind::Integer(1)),
];

const CLEANUP_POLICIES: &[(&str, &str)] = &[
    ("delete", "delete"),
    ("compact", "compact"),
    ("compact_delete", "compact,delete"),
];

/// The reference lists `Iz4` (sic) among the values; both spellings are
/// read as LZ4, and LZ4 is shown as `lz4`.
const COMPRESSION_TYPES: &[(&str, &str)] = &[
    ("producer", "producer"),
    ("gzip", "gzip"),
    ("snappy", "snappy"),
    ("lz4", "lz4"),
    ("Iz4", "lz4"),
    ("zstd", "zstd"),
    ("uncompressed", "uncompressed"),
];

const TIMESTAMP_TYPES: &[(&str, &str)] = &[
    ("create_time", "CreateTime"),
    ("log_append_time", "LogAppendTime"),
];

const FORMAT_VERSIONS: &[(&str, &str)] = &[
    ("0.8.0", "0.8.0"),
    ("0.8.1", "0.8.1"),
    ("0.8.2", "0.8.2"),
    ("0.9.0", "0.9.0"),
    ("0.10.0-IV0", "0.10.0-IV0"),
    ("0.10.0-IV1", "0.10.0-IV1"),
    ("0.10.1-IV0", "0.10.1-IV0"),
    ("0.10.1-IV1", "0.10.1-IV1"),
    ("0.10.1-IV2", "0.10.1-IV2"),
    ("0.10.2-IV0", "0.10.2-IV0"),
    ("0.11.0-IV0", "0.11.0-IV0"),
    ("0.11.0-IV1", "0.11.0-IV1"),
    ("0.11.0-IV2", "0.11.0-IV2"),
    ("1.0-IV0", "1.0-IV0"),
    ("1.1-IV0", "1.1-IV0"),
    ("2.0-IV0", "2.0-IV0"),
    ("2.0-IV1", "2.0-IV1"),
    ("2.1-IV0", "2.1-IV0"),
    ("2.1-IV1", "2.1-IV1"),
    ("2.1-IV2", "2.1-IV2"),
    ("2.2-IV0", "2.2-IV0"),
    ("2.2-IV1", "2.2-IV1"),
    ("2.3-IV0", "2.3-IV0"),
    ("2.3-IV1", "2.3-IV1"),
    ("2.4-IV0", "2.4-IV0"),
    ("2.4-IV1", "2.4-IV1"),
    ("2.5-IV0", "2.5-IV0"),
    ("2.6-IV0", "2.6-IV0"),
    ("2.7-IV0", "2.7-IV0"),
    ("2.7-IV1", "2.7-IV1"),
    ("2.7-IV2", "2.7-IV2"),
    ("2.8-IV0", "2.8-IV0"),
    ("2.8-IV1", "2.8-IV1"),
    ("3.0-IV0", "3.0-IV0"),
    ("3.0-IV1", "3.0-IV1"),
    ("3.1-IV0", "3.1-IV0"),
    ("3.2-IV0", "3.2-IV0"),
    ("3.3-IV0", "3.3-IV0"),
    ("3.3-IV1", "3.3-IV1"),
    ("3.3-IV2", "3.3-IV2"),
    ("3.3-IV3", "3.3-IV3"),
];

/// The Kafka name and value of one setting from a request, or why it is
/// refused.
pub fn to_kafka(name: &str, value: &Value) -> Result<(&'static str, String), String> {
    let Some(&(_, kafka, kind)) = SETTINGS.iter().find(|(n, ..)| *n == name) else {
        return Err(format!("config.{name}: not a topic setting of this API."));
    };
    let refuse = |expected: String| Err(format!("config.{name}: {expected}, not {value}."));
    match kind {
        Kind::Integer(min) => {
            // Long.MAX_VALUE, written as a double by some clients
            // (9223372036854776000), is read as Long.MAX_VALUE.
            let n = value.as_i64().or_else(|| value.as_u64().map(|_| i64::MAX));
            match n {
                Some(n) if n >= min => Ok((kafka, n.to_string())),
                Some(_) => refuse(format!("must be an integer of at least {min}")),
                None => refuse("must be an integer".into()),
            }
        }
        Kind::Ratio(low, high) => match value.as_f64() {
            Some(x) if (low..=high).contains(&x) => Ok((kafka, x.to_string())),
            _ => refuse(format!("must be a number from {low} to {high}")),
        },
        Kind::Boolean => match value.as_bool() {
            Some(b) => Ok((kafka, b.to_string())),
            None => refuse("must be true or false".into()),
        },
        Kind::Choice(choices) => {
            let word = value.as_str().unwrap_or_default();
            match choices.iter().find(|(w, _)| *w == word) {
                Some((_, v)) => Ok((kafka, (*v).to_owned())),
                None => {
                    let words: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
                    refuse(format!("must be one of {}", words.join(", ")))
                }
            }
        }
    }
}

/// The API name and value of a Kafka topic config, for the settings this
/// API knows; `None` for others (or a value that does not read as its kind).
pub fn from_kafka(name: &str, value: &str) -> Option<(&'static str, Value)> {
    let &(api, _, kind) = SETTINGS.iter().find(|(_, k, _)| *k == name)?;
    let value = match kind {
        Kind::Integer(_) => Value::from(value.parse::<i64>().ok()?),
        Kind::Ratio(..) => Value::Number(Number::from_f64(value.parse::<f64>().ok()?)?),
        Kind::Boolean => Value::Bool(value.parse::<bool>().ok()?),
        Kind::Choice(choices) => {
            let normal = value.replace(' ', "");
            let word = choices
                .iter()
                .find(|(_, v)| *v == normal)
                .map_or(value, |(w, _)| w);
            Value::from(word)
        }
    };
    Some((api, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_map_both_ways() {
        assert_eq!(
            to_kafka("cleanup_policy", &json!("compact_delete")).unwrap(),
            ("cleanup.policy", "compact,delete".to_owned())
        );
        assert_eq!(
            from_kafka("cleanup.policy", "compact,delete"),
            Some(("cleanup_policy", json!("compact_delete")))
        );
        assert_eq!(
            to_kafka("message_timestamp_type", &json!("log_append_time")).unwrap(),
            ("message.timestamp.type", "LogAppendTime".to_owned())
        );
        assert_eq!(
            from_kafka("message.timestamp.type", "CreateTime"),
            Some(("message_timestamp_type", json!("create_time")))
        );
        assert_eq!(
            to_kafka("compression_type", &json!("Iz4")).unwrap().1,
            "lz4"
        );
        assert_eq!(
            to_kafka("flush_ms", &json!(9_223_372_036_854_776_000u64))
                .unwrap()
                .1,
            i64::MAX.to_string()
        );
        assert_eq!(
            from_kafka("min.cleanable.dirty.ratio", "0.5"),
            Some(("min_cleanable_dirty_ratio", json!(0.5)))
        );
        assert_eq!(
            from_kafka("preallocate", "false"),
            Some(("preallocate", json!(false)))
        );
        assert_eq!(from_kafka("unclean.leader.election.enable", "false"), None);
    }

    #[test]
    fn out_of_range_and_unknown_settings_are_refused() {
        for (name, value) in [
            ("min_cleanable_dirty_ratio", json!(1.5)),
            ("min_insync_replicas", json!(0)),
            ("segment_bytes", json!(13)),
            ("segment_ms", json!(0)),
            ("retention_ms", json!("forever")),
            ("retention_ms", json!(-2)),
            ("preallocate", json!("yes")),
            ("cleanup_policy", json!("archive")),
            ("message_format_version", json!("4.0")),
            ("retention.ms", json!(1)),
        ] {
            let err = to_kafka(name, &value).unwrap_err();
            assert!(err.starts_with(&format!("config.{name}:")), "{err}");
        }
    }
}
