//! The `binary` embedded format: base64 strings (RFC 4648, standard
//! alphabet; padding optional on input, written on output).

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::value::RawValue;

use crate::error::{ApiError, ApiResult};

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes the JSON string `raw` from base64, appending the bytes to `out`.
pub fn decode_into(
    raw: &RawValue,
    out: &mut Vec<u8>,
    what: impl FnOnce() -> String,
) -> ApiResult<()> {
    let not_base64 = move || {
        ApiError::bad_request(format!(
            "Failed to decode {}: the binary format needs a base64 string",
            what()
        ))
    };
    let Some(input) = base64_text(raw) else {
        return Err(not_base64());
    };
    let result = LENIENT.decode_vec(input.as_bytes(), out);
    result.map_err(|_| not_base64())
}

/// Decodes the JSON string `raw` from base64 into `arena` and returns the
/// bytes as a slice of it (records decoded one after another share the
/// arena's allocation). `None` when `raw` is not a base64 string.
pub fn decode_to_bytes(raw: &RawValue, arena: &mut bytes::BytesMut) -> Option<bytes::Bytes> {
    let input = base64_text(raw)?;
    let estimate = base64::decoded_len_estimate(input.len());
    if arena.capacity() < estimate {
        arena.reserve(estimate.max(256 * 1024));
    }
    arena.resize(estimate, 0);
    match LENIENT.decode_slice(input.as_bytes(), &mut arena[..]) {
        Ok(n) => {
            arena.truncate(n);
            Some(arena.split().freeze())
        }
        Err(_) => {
            arena.clear();
            None
        }
    }
}

/// The text of the JSON string `raw`, unescaped only when it has escapes
/// (a JSON encoder may have written `/` as `\/`); `None` for a non-string.
fn base64_text(raw: &RawValue) -> Option<std::borrow::Cow<'_, str>> {
    let text = raw.get();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(text)
            .ok()
            .map(std::borrow::Cow::Owned)
    } else {
        Some(std::borrow::Cow::Borrowed(inner))
    }
}

/// Encodes bytes as a base64 string.
pub fn encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> ApiResult<Vec<u8>> {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        let mut out = b"prefix".to_vec();
        decode_into(&raw, &mut out, || "value".into())?;
        Ok(out[6..].to_vec())
    }

    #[test]
    fn base64_strings() {
        assert_eq!(decode(r#""Y29uZmx1ZW50""#).unwrap(), b"confluent");
        assert_eq!(decode(r#""a2Fma2E=""#).unwrap(), b"kafka");
        assert_eq!(decode(r#""a2Fma2E""#).unwrap(), b"kafka");
        assert_eq!(decode(r#""""#).unwrap(), b"");
        assert_eq!(decode(r#""Pz8\/""#).unwrap(), b"???");
        assert_eq!(encode(b"kafka"), "a2Fma2E=");
    }

    #[test]
    fn arena_decoding() {
        let mut arena = bytes::BytesMut::new();
        let raw = |t: &str| -> Box<RawValue> { serde_json::from_str(t).unwrap() };
        let a = decode_to_bytes(&raw(r#""a2V5""#), &mut arena).unwrap();
        let b = decode_to_bytes(&raw(r#""Pz8\/""#), &mut arena).unwrap();
        assert_eq!((&a[..], &b[..]), (&b"key"[..], &b"???"[..]));
        assert!(decode_to_bytes(&raw(r#""!!""#), &mut arena).is_none());
        assert!(decode_to_bytes(&raw("1"), &mut arena).is_none());
        assert_eq!(
            &decode_to_bytes(&raw(r#""""#), &mut arena).unwrap()[..],
            b""
        );
    }

    #[test]
    fn bad_input_is_400() {
        for bad in [r#""not base64!""#, "12", r#"{"a":1}"#, "[1]"] {
            let e = decode(bad).unwrap_err();
            assert_eq!(e.error_code, 400, "{bad}");
        }
    }
}
