//! The schema formats a Schema Registry holds — Avro, JSON Schema,
//! Protobuf — behind one type: parse a schema's text, turn a JSON value
//! into the datum that follows the wire format's schema ID, and back.

use serde_json::Value;

use super::{avro, json_schema, protobuf};
use crate::negotiate::EmbeddedFormat;

/// A schema's type, as the registry's `schemaType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    /// `AVRO` (the registry's default).
    Avro,
    /// `JSON`: JSON Schema.
    Json,
    /// `PROTOBUF`.
    Protobuf,
}

impl SchemaType {
    /// The registry's `schemaType` (absent in its answers for Avro).
    pub fn registry_name(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }

    /// The type of a registry answer's `schemaType` (`None`: Avro).
    pub fn from_registry_name(name: Option<&str>) -> Option<SchemaType> {
        match name {
            None | Some("AVRO") => Some(SchemaType::Avro),
            Some("JSON") => Some(SchemaType::Json),
            Some("PROTOBUF") => Some(SchemaType::Protobuf),
            Some(_) => None,
        }
    }

    /// The v3 API's name of the type (`"type"` of a key or value).
    pub fn v3_name(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSONSCHEMA",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }

    /// The type of a v3 `"type"` name (any case).
    pub fn from_v3_name(name: &str) -> Option<SchemaType> {
        [SchemaType::Avro, SchemaType::Json, SchemaType::Protobuf]
            .into_iter()
            .find(|t| t.v3_name().eq_ignore_ascii_case(name))
    }

    /// The schema type of a v2 embedded format, if it has one.
    pub fn of_format(format: EmbeddedFormat) -> Option<SchemaType> {
        match format {
            EmbeddedFormat::Avro => Some(SchemaType::Avro),
            EmbeddedFormat::JsonSchema => Some(SchemaType::Json),
            EmbeddedFormat::Protobuf => Some(SchemaType::Protobuf),
            EmbeddedFormat::Binary | EmbeddedFormat::Json => None,
        }
    }
}

impl std::fmt::Display for SchemaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.registry_name())
    }
}

/// A parsed schema of any type.
#[derive(Debug, Clone)]
pub enum Schema {
    /// Avro.
    Avro(avro::Schema),
    /// JSON Schema.
    Json(json_schema::Schema),
    /// Protobuf.
    Protobuf(protobuf::Schema),
}

impl Schema {
    /// Parses `text` as a schema of type `kind`.
    pub fn parse(kind: SchemaType, text: &str) -> Result<Schema, String> {
        match kind {
            SchemaType::Avro => avro::Schema::parse(text)
                .map(Schema::Avro)
                .map_err(|e| e.to_string()),
            SchemaType::Json => json_schema::Schema::parse(text).map(Schema::Json),
            SchemaType::Protobuf => protobuf::Schema::parse(text).map(Schema::Protobuf),
        }
    }

    /// Its type.
    pub fn kind(&self) -> SchemaType {
        match self {
            Schema::Avro(_) => SchemaType::Avro,
            Schema::Json(_) => SchemaType::Json,
            Schema::Protobuf(_) => SchemaType::Protobuf,
        }
    }

    /// Appends `value` (JSON, in the type's JSON mapping) as the datum that
    /// follows the schema ID; errors name the place from `root`.
    pub fn encode(&self, value: &Value, out: &mut Vec<u8>, root: &str) -> Result<(), String> {
        match self {
            Schema::Avro(s) => {
                avro::encode(s, value, out).map_err(|e| e.with_root(root).to_string())
            }
            Schema::Json(s) => json_schema::encode(s, value, out, root),
            Schema::Protobuf(s) => {
                protobuf::encode(s, value, out).map_err(|e| format!("{root}: {e}"))
            }
        }
    }

    /// Decodes a datum (what follows the schema ID) to JSON.
    pub fn decode(&self, data: &[u8], root: &str) -> Result<Value, String> {
        match self {
            Schema::Avro(s) => avro::decode(s, data).map_err(|e| e.with_root(root).to_string()),
            Schema::Json(_) => json_schema::decode(data, root),
            Schema::Protobuf(s) => protobuf::decode(s, data).map_err(|e| format!("{root}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for t in [SchemaType::Avro, SchemaType::Json, SchemaType::Protobuf] {
            assert_eq!(
                SchemaType::from_registry_name(Some(t.registry_name())),
                Some(t)
            );
            assert_eq!(
                SchemaType::from_v3_name(&t.v3_name().to_lowercase()),
                Some(t)
            );
        }
        assert_eq!(SchemaType::from_registry_name(None), Some(SchemaType::Avro));
        assert_eq!(SchemaType::from_registry_name(Some("XML")), None);
    }

    #[test]
    fn encode_and_decode_by_type() {
        let avro = Schema::parse(SchemaType::Avro, r#""long""#).unwrap();
        let mut out = Vec::new();
        avro.encode(&Value::from(-2), &mut out, "value").unwrap();
        assert_eq!(out, [3]);
        assert_eq!(avro.decode(&out, "value").unwrap(), Value::from(-2));
        let e = avro
            .encode(&Value::from("x"), &mut out, "records[1].key")
            .unwrap_err();
        assert!(e.starts_with("records[1].key"), "{e}");
        let json = Schema::parse(SchemaType::Json, r#"{"type": "integer"}"#).unwrap();
        assert_eq!(json.kind(), SchemaType::Json);
        assert!(json.encode(&Value::from("x"), &mut out, "value").is_err());
    }
}
