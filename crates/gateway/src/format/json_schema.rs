//! The `jsonschema` embedded format: JSON values checked against a JSON
//! Schema and stored as compact JSON text after the Schema Registry's
//! wire-format prefix, as Confluent's JSON Schema serializer writes them.
//!
//! Validation uses the `jsonschema` crate (the draft named by `$schema`,
//! the latest one otherwise); references outside the schema are not
//! fetched.

use std::sync::Arc;

use serde_json::Value;

/// Errors listed in one message at most.
const MAX_REPORTED: usize = 5;

/// A compiled JSON Schema.
#[derive(Clone)]
pub struct Schema {
    validator: Arc<::jsonschema::Validator>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").finish_non_exhaustive()
    }
}

impl Schema {
    /// Compiles the schema's JSON text.
    pub fn parse(text: &str) -> Result<Schema, String> {
        let schema: Value =
            serde_json::from_str(text).map_err(|e| format!("the schema is not JSON: {e}"))?;
        let validator = ::jsonschema::validator_for(&schema)
            .map_err(|e| format!("invalid JSON Schema: {e}"))?;
        Ok(Schema {
            validator: Arc::new(validator),
        })
    }
}

/// Checks `value` against `schema` and appends it as compact JSON text;
/// an error lists what does not match, each place named from `root`.
pub fn encode(schema: &Schema, value: &Value, out: &mut Vec<u8>, root: &str) -> Result<(), String> {
    let errors: Vec<String> = schema
        .validator
        .iter_errors(value)
        .take(MAX_REPORTED + 1)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{root}{}: {e}", pointer_to_path(&at))
        })
        .collect();
    if !errors.is_empty() {
        let shown = errors.len().min(MAX_REPORTED);
        let mut message = errors[..shown].join("; ");
        if errors.len() > MAX_REPORTED {
            message.push_str("; ...");
        }
        return Err(message);
    }
    serde_json::to_writer(out, value).map_err(|e| format!("{root}: {e}"))
}

/// Reads the JSON text of a datum.
pub fn decode(data: &[u8], root: &str) -> Result<Value, String> {
    serde_json::from_slice(data).map_err(|e| format!("{root}: not JSON: {e}"))
}

/// `/a/0/b~1c` → `.a[0]["b/c"]`.
fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else if !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            out.push('.');
            out.push_str(&segment);
        } else {
            out.push_str(&format!("[{}]", Value::from(segment)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PERSON: &str = r#"{"type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0},
                       "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["name"], "additionalProperties": false}"#;

    #[test]
    fn valid_values_are_written_compactly() {
        let schema = Schema::parse(PERSON).unwrap();
        let mut out = Vec::new();
        encode(
            &schema,
            &json!({"name": "Ann", "age": 3}),
            &mut out,
            "value",
        )
        .unwrap();
        assert_eq!(out, br#"{"name":"Ann","age":3}"#);
        assert_eq!(
            decode(&out, "value").unwrap(),
            json!({"name": "Ann", "age": 3})
        );
    }

    #[test]
    fn invalid_values_name_the_places() {
        let schema = Schema::parse(PERSON).unwrap();
        let mut out = Vec::new();
        let e = encode(
            &schema,
            &json!({"age": -1, "tags": ["a", 2]}),
            &mut out,
            "records[0].value",
        )
        .unwrap_err();
        assert!(e.contains("records[0].value.age:"), "{e}");
        assert!(e.contains("records[0].value.tags[1]:"), "{e}");
        assert!(e.contains("\"name\""), "{e}");
        assert!(out.is_empty());
    }

    #[test]
    fn bad_schemas_and_data() {
        assert!(Schema::parse("{").unwrap_err().contains("not JSON"));
        assert!(Schema::parse(r#"{"type": 5}"#)
            .unwrap_err()
            .contains("invalid JSON Schema"));
        assert!(decode(b"{x", "key")
            .unwrap_err()
            .starts_with("key: not JSON"));
        assert_eq!(pointer_to_path("/a b/0/c~1d"), r#"["a b"][0]["c/d"]"#);
    }
}
