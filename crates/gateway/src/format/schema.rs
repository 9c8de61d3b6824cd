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

/// A schema another schema refers to (the registry's `references`),
/// fetched and ready to compile with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The name the referring schema uses: a .proto import path, an Avro
    /// type's full name, a JSON Schema `$ref` URI.
    pub name: String,
    /// The referenced schema's text.
    pub text: String,
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
        Schema::parse_with_references(kind, text, &[])
    }

    /// Parses `text` as a schema of type `kind` that may use the schemas of
    /// `references` (all of them, direct and indirect, each before the ones
    /// that use it).
    pub fn parse_with_references(
        kind: SchemaType,
        text: &str,
        references: &[Reference],
    ) -> Result<Schema, String> {
        match kind {
            SchemaType::Avro => avro::Schema::parse_with_references(text, references)
                .map(Schema::Avro)
                .map_err(|e| e.to_string()),
            SchemaType::Json => {
                json_schema::Schema::parse_with_references(text, references).map(Schema::Json)
            }
            SchemaType::Protobuf => {
                protobuf::Schema::parse_with_references(text, references).map(Schema::Protobuf)
            }
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

    fn reference(name: &str, text: &str) -> Reference {
        Reference {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Encodes `value` with `schema` and checks it reads back as itself.
    fn round_trip(schema: &Schema, value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        schema.encode(value, &mut out, "value").unwrap();
        assert_eq!(&schema.decode(&out, "value").unwrap(), value);
        out
    }

    #[test]
    fn avro_references_define_named_types() {
        let city =
            r#"{"type": "enum", "name": "City", "namespace": "geo", "symbols": ["OSLO", "ROME"]}"#;
        let address = r#"{"type": "record", "name": "Address", "namespace": "geo",
            "fields": [{"name": "city", "type": "City"}, {"name": "zip", "type": "int"}]}"#;
        let order = r#"{"type": "record", "name": "Order",
            "fields": [{"name": "id", "type": "string"}, {"name": "ship_to", "type": "geo.Address"}]}"#;
        let refs = [
            reference("geo.City", city),
            reference("geo.Address", address),
        ];
        let schema = Schema::parse_with_references(SchemaType::Avro, order, &refs).unwrap();
        let value = serde_json::json!({"id": "o1", "ship_to": {"city": "ROME", "zip": 7}});
        let inline = r#"{"type": "record", "name": "Order", "fields": [
            {"name": "id", "type": "string"},
            {"name": "ship_to", "type": {"type": "record", "name": "Address", "namespace": "geo",
                "fields": [{"name": "city", "type": {"type": "enum", "name": "City", "symbols": ["OSLO", "ROME"]}},
                           {"name": "zip", "type": "int"}]}}]}"#;
        let expected = round_trip(&Schema::parse(SchemaType::Avro, inline).unwrap(), &value);
        assert_eq!(round_trip(&schema, &value), expected);

        let e = Schema::parse(SchemaType::Avro, order).unwrap_err();
        assert!(e.contains("unknown type \"geo.Address\""), "{e}");
        let e = Schema::parse_with_references(SchemaType::Avro, order, &refs[1..]).unwrap_err();
        assert!(e.contains("the referenced schema \"geo.Address\""), "{e}");
        assert!(e.contains("City"), "{e}");
    }

    #[test]
    fn json_schema_references_resolve_by_name() {
        let zip = r#"{"type": "string", "pattern": "^[0-9]{4}$"}"#;
        let address = r#"{"type": "object", "properties": {"city": {"type": "string"},
            "zip": {"$ref": "zip.json"}}, "required": ["city"]}"#;
        let order = r#"{"type": "object", "properties": {"id": {"type": "string"},
            "ship_to": {"$ref": "address.json"},
            "bill_to": {"$ref": "https://schemas.example.com/address.json"}}}"#;
        let refs = [
            reference("zip.json", zip),
            reference("address.json", address),
            reference("https://schemas.example.com/address.json", address),
        ];
        let schema = Schema::parse_with_references(SchemaType::Json, order, &refs).unwrap();
        let mut out = Vec::new();
        let good = serde_json::json!({"id": "o1", "ship_to": {"city": "Oslo", "zip": "0150"},
            "bill_to": {"city": "Rome"}});
        schema.encode(&good, &mut out, "value").unwrap();
        let e = schema
            .encode(
                &serde_json::json!({"ship_to": {"zip": "x"}}),
                &mut out,
                "value",
            )
            .unwrap_err();
        assert!(e.contains("value.ship_to:"), "{e}");
        assert!(e.contains("value.ship_to.zip:"), "{e}");
        let e = schema
            .encode(&serde_json::json!({"bill_to": {}}), &mut out, "value")
            .unwrap_err();
        assert!(e.contains("value.bill_to:"), "{e}");

        // With an `$id`, relative names resolve against it.
        let with_id = r#"{"$id": "https://example.com/schemas/order.json", "type": "object",
            "properties": {"ship_to": {"$ref": "address.json"}}}"#;
        let schema = Schema::parse_with_references(SchemaType::Json, with_id, &refs).unwrap();
        assert!(schema
            .encode(&serde_json::json!({"ship_to": {}}), &mut out, "value")
            .is_err());

        let e = Schema::parse_with_references(SchemaType::Json, order, &refs[1..]).unwrap_err();
        assert!(e.contains("zip.json"), "{e}");
        let e = Schema::parse(SchemaType::Json, order).unwrap_err();
        assert!(e.contains("address.json"), "{e}");
    }

    #[test]
    fn protobuf_references_are_imports() {
        let common = "syntax = \"proto3\";\npackage shop;\nmessage Address { string city = 1; string zip = 2; }\n";
        let order = "syntax = \"proto3\";\npackage shop;\nimport \"shop/common.proto\";\n\
                     message Order { string id = 1; Address to = 2; }\n";
        let value = serde_json::json!({"id": "o1", "to": {"city": "Oslo", "zip": "0150"}});
        let refs = [reference("shop/common.proto", common)];
        let schema = Schema::parse_with_references(SchemaType::Protobuf, order, &refs).unwrap();
        let single = "syntax = \"proto3\";\npackage shop;\n\
                      message Order { string id = 1; Address to = 2; }\n\
                      message Address { string city = 1; string zip = 2; }\n";
        let expected = round_trip(
            &Schema::parse(SchemaType::Protobuf, single).unwrap(),
            &value,
        );
        assert_eq!(round_trip(&schema, &value), expected);

        // A reference given as a base64 file descriptor, and one named like
        // the schema's own file.
        let Schema::Protobuf(compiled) = &schema else {
            unreachable!()
        };
        let common_file = compiled
            .file()
            .dependencies()
            .find(|f| f.name() == "shop/common.proto")
            .unwrap();
        let encoded = {
            use base64::Engine as _;
            use prost::Message as _;
            base64::engine::general_purpose::STANDARD
                .encode(common_file.file_descriptor_proto().encode_to_vec())
        };
        let refs = [reference("schema.proto", &encoded)];
        let order = order.replace("shop/common.proto", "schema.proto");
        let schema = Schema::parse_with_references(SchemaType::Protobuf, &order, &refs).unwrap();
        assert_eq!(round_trip(&schema, &value), expected);

        let e = Schema::parse(SchemaType::Protobuf, &order).unwrap_err();
        assert!(e.starts_with("invalid Protobuf schema"), "{e}");
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
