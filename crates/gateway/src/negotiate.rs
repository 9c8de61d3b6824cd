//! Content negotiation: request `Content-Type` → embedded format, `Accept`
//! (with `q=` weights and wildcards) → response media type.
//!
//! v2 media types have the form
//! `application/vnd.kafka[.embedded_format][.api_version]+json`; an omitted
//! embedded format means `binary`. `application/vnd.kafka+json`,
//! `application/json` and `application/octet-stream` are accepted too.
//!
//! # References
//! - Confluent REST Proxy API reference, "Content Types"
//! - RFC 9110 §12.5.1 (Accept, quality values)

use std::fmt;

use crate::error::ApiError;

/// The embedded format of keys and values in a v2 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbeddedFormat {
    /// Base64 strings of raw bytes.
    Binary,
    /// JSON values, stored as their compact JSON text.
    Json,
    /// Avro with a schema registry.
    Avro,
    /// Protobuf with a schema registry.
    Protobuf,
    /// JSON Schema with a schema registry.
    JsonSchema,
}

impl EmbeddedFormat {
    /// Parses the name used in media types and in `format` of a v2 consumer.
    pub fn from_name(name: &str) -> Option<EmbeddedFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "binary" => EmbeddedFormat::Binary,
            "json" => EmbeddedFormat::Json,
            "avro" => EmbeddedFormat::Avro,
            "protobuf" => EmbeddedFormat::Protobuf,
            "jsonschema" => EmbeddedFormat::JsonSchema,
            _ => return None,
        })
    }

    /// The name used in media types.
    pub fn name(self) -> &'static str {
        match self {
            EmbeddedFormat::Binary => "binary",
            EmbeddedFormat::Json => "json",
            EmbeddedFormat::Avro => "avro",
            EmbeddedFormat::Protobuf => "protobuf",
            EmbeddedFormat::JsonSchema => "jsonschema",
        }
    }

    /// The v2 media type for records of this format.
    pub fn v2_media_type(self) -> &'static str {
        match self {
            EmbeddedFormat::Binary => "application/vnd.kafka.binary.v2+json",
            EmbeddedFormat::Json => "application/vnd.kafka.json.v2+json",
            EmbeddedFormat::Avro => "application/vnd.kafka.avro.v2+json",
            EmbeddedFormat::Protobuf => "application/vnd.kafka.protobuf.v2+json",
            EmbeddedFormat::JsonSchema => "application/vnd.kafka.jsonschema.v2+json",
        }
    }
}

impl fmt::Display for EmbeddedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The v2 metadata media type.
pub const V2_JSON: &str = "application/vnd.kafka.v2+json";
/// The v3 media type.
pub const JSON: &str = "application/json";

/// What a v2 request's `Content-Type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestType {
    /// The embedded format named in the type; `None` when the type names
    /// none (which means binary for bodies carrying records).
    pub format: Option<EmbeddedFormat>,
}

impl RequestType {
    /// The format of embedded keys and values (binary when none is named).
    pub fn embedded_format(self) -> EmbeddedFormat {
        self.format.unwrap_or(EmbeddedFormat::Binary)
    }
}

/// Parses a v2 request's `Content-Type`. A missing header is treated as
/// `application/json`; a type that is not one of the v2 forms is 415.
pub fn v2_request_type(content_type: Option<&str>) -> Result<RequestType, ApiError> {
    let Some(raw) = content_type else {
        return Ok(RequestType { format: None });
    };
    let essence = essence(raw);
    match essence.as_str() {
        "application/json" | "application/octet-stream" => return Ok(RequestType { format: None }),
        _ => {}
    }
    let unsupported = || {
        ApiError::unsupported_media_type(format!(
            "HTTP 415 Unsupported Media Type: `{}` is not a v2 request type \
             (application/vnd.kafka[.embedded_format].v2+json or application/json)",
            raw.trim()
        ))
    };
    let Some(rest) = essence
        .strip_prefix("application/vnd.kafka")
        .and_then(|r| r.strip_suffix("+json"))
    else {
        return Err(unsupported());
    };
    let mut format = None;
    let mut version = None;
    for part in rest.split('.').skip(1) {
        if let Some(f) = EmbeddedFormat::from_name(part) {
            if format.is_some() || version.is_some() {
                return Err(unsupported());
            }
            format = Some(f);
        } else if part == "v2" && version.is_none() {
            version = Some(part);
        } else {
            return Err(unsupported());
        }
    }
    if !rest.is_empty() && !rest.starts_with('.') {
        return Err(unsupported());
    }
    Ok(RequestType { format })
}

/// Whether a request `Content-Type` is JSON (`application/json` or any
/// `+json` type), as v3 bodies must be.
pub fn is_json(content_type: Option<&str>) -> bool {
    match content_type {
        None => true,
        Some(raw) => {
            let essence = essence(raw);
            essence == "application/json" || essence.ends_with("+json")
        }
    }
}

/// One entry of an `Accept` header.
#[derive(Debug, Clone, PartialEq)]
struct MediaRange {
    essence: String,
    q: f32,
}

impl MediaRange {
    fn matches(&self, media_type: &str) -> bool {
        if self.essence == "*/*" || self.essence == "*" {
            return true;
        }
        if let Some(main) = self.essence.strip_suffix("/*") {
            return media_type
                .split_once('/')
                .is_some_and(|(m, _)| m.eq_ignore_ascii_case(main));
        }
        self.essence.eq_ignore_ascii_case(media_type)
    }

    /// Exact matches beat `type/*`, which beat `*/*`.
    fn specificity(&self) -> u8 {
        if self.essence == "*/*" || self.essence == "*" {
            0
        } else if self.essence.ends_with("/*") {
            1
        } else {
            2
        }
    }
}

/// Parses an `Accept` header; malformed entries are skipped.
fn parse_accept(header: &str) -> Vec<MediaRange> {
    header
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let essence = parts.next()?.trim().to_ascii_lowercase();
            if essence != "*" && !essence.contains('/') {
                return None;
            }
            let mut q = 1.0f32;
            for param in parts {
                if let Some((name, value)) = param.split_once('=') {
                    if name.trim().eq_ignore_ascii_case("q") {
                        q = value.trim().parse::<f32>().ok()?.clamp(0.0, 1.0);
                    }
                }
            }
            Some(MediaRange { essence, q })
        })
        .collect()
}

/// Picks the response media type: among `offered` (in the server's order of
/// preference), the one with the highest quality in `accept`; a missing or
/// empty `Accept` takes the first offered type. `None` when nothing offered
/// is acceptable.
pub fn choose<'a>(accept: Option<&str>, offered: &[&'a str]) -> Option<&'a str> {
    let ranges = match accept.map(str::trim) {
        None | Some("") => return offered.first().copied(),
        Some(header) => parse_accept(header),
    };
    if ranges.is_empty() {
        return offered.first().copied();
    }
    let mut best: Option<(&'a str, f32)> = None;
    for &candidate in offered {
        // The quality of a type is that of the most specific range matching it.
        let quality = ranges
            .iter()
            .filter(|r| r.matches(candidate))
            .max_by_key(|r| r.specificity())
            .map(|r| r.q);
        if let Some(q) = quality {
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((candidate, q));
            }
        }
    }
    best.map(|(t, _)| t)
}

/// The embedded formats an `Accept` header explicitly asks for with v2
/// record media types (`application/vnd.kafka.<format>.v2+json`).
pub fn accepted_formats(accept: Option<&str>) -> Vec<EmbeddedFormat> {
    accept
        .map(parse_accept)
        .unwrap_or_default()
        .iter()
        .filter(|r| r.q > 0.0)
        .filter_map(|r| {
            let rest = r.essence.strip_prefix("application/vnd.kafka.")?;
            let (format, _) = rest.split_once('.')?;
            EmbeddedFormat::from_name(format)
        })
        .collect()
}

/// The media type without parameters, lower-cased.
fn essence(raw: &str) -> String {
    raw.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_request_types() {
        let f = |t| v2_request_type(Some(t)).map(|r| r.format);
        assert_eq!(
            f("application/vnd.kafka.binary.v2+json"),
            Ok(Some(EmbeddedFormat::Binary))
        );
        assert_eq!(
            f("application/vnd.kafka.json.v2+json; charset=utf-8"),
            Ok(Some(EmbeddedFormat::Json))
        );
        assert_eq!(
            f("application/vnd.kafka.avro.v2+json"),
            Ok(Some(EmbeddedFormat::Avro))
        );
        assert_eq!(f("application/vnd.kafka.v2+json"), Ok(None));
        assert_eq!(f("application/vnd.kafka+json"), Ok(None));
        assert_eq!(f("application/json"), Ok(None));
        assert_eq!(f("application/octet-stream"), Ok(None));
        assert_eq!(
            f("application/vnd.kafka.binary+json"),
            Ok(Some(EmbeddedFormat::Binary))
        );
        for bad in [
            "text/plain",
            "application/vnd.kafka.v1+json",
            "application/vnd.kafka.xml.v2+json",
            "application/vnd.kafkax+json",
            "application/vnd.kafka.binary.json.v2+json",
        ] {
            assert_eq!(f(bad).unwrap_err().error_code, 415, "{bad}");
        }
        assert_eq!(v2_request_type(None).unwrap().format, None);
    }

    #[test]
    fn accept_weights_and_wildcards() {
        let offered = [V2_JSON, "application/vnd.kafka+json", JSON];
        assert_eq!(choose(None, &offered), Some(V2_JSON));
        assert_eq!(choose(Some("*/*"), &offered), Some(V2_JSON));
        assert_eq!(choose(Some("application/json"), &offered), Some(JSON));
        assert_eq!(
            choose(
                Some("application/vnd.kafka.v2+json; q=0.9, application/json; q=0.95"),
                &offered
            ),
            Some(JSON)
        );
        assert_eq!(
            choose(Some("application/*;q=0.1, application/json;q=0"), &offered),
            Some(V2_JSON)
        );
        assert_eq!(choose(Some("text/html"), &offered), None);
        assert_eq!(choose(Some("application/json;q=0"), &[JSON]), None);
        assert_eq!(choose(Some("garbage;;;,"), &offered), Some(V2_JSON));
    }

    #[test]
    fn accepted_record_formats() {
        assert_eq!(
            accepted_formats(Some("application/vnd.kafka.avro.v2+json, application/json")),
            vec![EmbeddedFormat::Avro]
        );
        assert!(accepted_formats(Some("application/vnd.kafka.v2+json")).is_empty());
    }

    #[test]
    fn json_bodies() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some(
            "application/vnd.kafka.v3+json; charset=UTF-8"
        )));
        assert!(!is_json(Some("text/plain")));
        assert!(is_json(None));
    }
}
