//! The `jsonschema` embedded format: JSON values checked against a JSON
//! Schema and stored as compact JSON text after the Schema Registry's
//! wire-format prefix, as Confluent's JSON Schema serializer writes them.
//!
//! Validation uses the `jsonschema` crate (the draft named by `$schema`,
//! the latest one otherwise). A `$ref` outside the schema resolves only to
//! one of the Schema Registry references the schema was registered with,
//! by the reference's name (`address.json`, or an absolute URI); nothing is
//! fetched from the network.

use std::sync::Arc;

use serde_json::Value;

use super::schema::Reference;

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
        Schema::parse_with_references(text, &[])
    }

    /// Compiles the schema's JSON text; `$ref`s to other documents resolve
    /// to the schemas of `references` by name.
    pub fn parse_with_references(text: &str, references: &[Reference]) -> Result<Schema, String> {
        let schema: Value =
            serde_json::from_str(text).map_err(|e| format!("the schema is not JSON: {e}"))?;
        let mut documents = Vec::with_capacity(references.len());
        for reference in references {
            let document: Value = serde_json::from_str(&reference.text).map_err(|e| {
                format!(
                    "the referenced schema \"{}\" is not JSON: {e}",
                    reference.name
                )
            })?;
            documents.push((reference.name.clone(), document));
        }
        let validator = ::jsonschema::options()
            .with_retriever(References { documents })
            .build(&schema)
            .map_err(|e| format!("invalid JSON Schema: {e}"))?;
        Ok(Schema {
            validator: Arc::new(validator),
        })
    }
}

/// Where a `$ref` to `name` points from a schema without `$id`: `name`
/// itself if it is an absolute URI, else `name` under the base URI the
/// `jsonschema` crate gives such schemas.
fn document_uri(name: &str) -> String {
    let absolute = name
        .split_once(':')
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains('/'));
    if absolute {
        name.to_owned()
    } else {
        format!("{BASE_URI}{}", name.trim_start_matches('/'))
    }
}

/// The base URI of a schema without `$id` in the `jsonschema` crate.
const BASE_URI: &str = "json-schema:///";

/// Serves the referenced schemas, and nothing else.
struct References {
    /// (reference name, schema).
    documents: Vec<(String, Value)>,
}

impl ::jsonschema::Retrieve for References {
    fn retrieve(
        &self,
        uri: &::jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        let exact = self
            .documents
            .iter()
            .find(|(name, _)| document_uri(name) == uri);
        // In a schema with an `$id`, a relative name resolves against that
        // `$id`: match the reference names that end the URI's path.
        let relative = || {
            self.documents.iter().find(|(name, _)| {
                let name = name.trim_start_matches('/');
                uri.strip_suffix(name)
                    .is_some_and(|head| head.ends_with('/'))
            })
        };
        match exact.or_else(relative) {
            Some((_, document)) => Ok(document.clone()),
            None => Err(format!(
                "\"{uri}\" is not one of the schema's references (nothing is fetched)"
            )
            .into()),
        }
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
