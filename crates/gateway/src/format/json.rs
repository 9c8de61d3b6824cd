//! The `json` embedded format: any JSON value, stored as compact JSON text.

use serde_json::value::RawValue;

use crate::error::{ApiError, ApiResult};

/// Appends the compact form of the JSON value `raw` to `out`.
pub fn decode_into(raw: &RawValue, out: &mut Vec<u8>, what: impl Fn() -> String) -> ApiResult<()> {
    let text = raw.get();
    if is_compact(text) {
        out.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("Failed to decode {}: {e}", what())))?;
    serde_json::to_writer(&mut *out, &value)
        .map_err(|e| ApiError::bad_request(format!("Failed to encode {}: {e}", what())))
}

/// Whether JSON text has no whitespace outside strings (so it is already in
/// the compact form `serde_json` would write).
fn is_compact(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b.is_ascii_whitespace() {
            return false;
        }
    }
    true
}

/// Parses stored bytes as a JSON value for a consume response.
pub fn encode(data: &[u8]) -> ApiResult<serde_json::Value> {
    serde_json::from_slice(data).map_err(|e| {
        ApiError::kafka(format!(
            "A record's bytes are not JSON, so they cannot be returned in the json format: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> String {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        let mut out = Vec::new();
        decode_into(&raw, &mut out, || "value".into()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn compact_text() {
        assert_eq!(decode(r#"{"foo": "bar"}"#), r#"{"foo":"bar"}"#);
        assert_eq!(decode(r#"[ "foo", "bar" ]"#), r#"["foo","bar"]"#);
        assert_eq!(decode("53.5"), "53.5");
        assert_eq!(decode(r#""some key""#), r#""some key""#);
        assert_eq!(decode(r#"{"a":"x \" y"}"#), r#"{"a":"x \" y"}"#);
    }

    #[test]
    fn stored_bytes_back_to_json() {
        assert_eq!(
            encode(br#"{"foo":"bar"}"#).unwrap(),
            serde_json::json!({"foo": "bar"})
        );
        assert!(encode(b"\xff").is_err());
    }
}
