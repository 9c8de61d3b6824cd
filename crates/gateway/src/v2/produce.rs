//! v2 produce: `POST /topics/{topic}` and
//! `POST /topics/{topic}/partitions/{partition}`.
//!
//! The body is parsed once, keys and values are decoded into one buffer,
//! every record is handed to the shared producer, and the answer lists one
//! `offsets` entry per record in request order. A record that fails carries
//! its own `error_code` (1: non-retriable, 2: retriable) and `error`; the
//! others still succeed.

use std::fmt::Write as _;

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;
use wire::producer::{DeliveryFuture, ProducerRecord};
use wire::Header;

use crate::app::Gateway;
use crate::error::{ApiError, ApiResult};
use crate::format::schema::SchemaType;
use crate::format::{Arena, Slot};
use crate::negotiate::{self, EmbeddedFormat};
use crate::request::{parse_json, Request};
use crate::response::{self, Response};
use crate::schema_registry::RegisteredSchema;

/// The request body.
#[derive(Debug, Deserialize)]
struct ProduceBody<'a> {
    #[serde(borrow, default)]
    records: Option<Vec<ObjectRecord<'a>>>,
    #[serde(default)]
    key_schema: Option<&'a RawValue>,
    #[serde(default)]
    key_schema_id: Option<&'a RawValue>,
    #[serde(default)]
    value_schema: Option<&'a RawValue>,
    #[serde(default)]
    value_schema_id: Option<&'a RawValue>,
}

/// One record of the request.
#[derive(Debug, Deserialize)]
struct RecordIn<'a> {
    #[serde(borrow, default)]
    key: Option<&'a RawValue>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
    #[serde(default)]
    partition: Option<i32>,
    #[serde(borrow, default)]
    headers: Option<Vec<HeaderIn<'a>>>,
    #[serde(default)]
    timestamp: Option<i64>,
}

/// A record that must be a JSON object (serde would otherwise also read a
/// struct from an array of its fields).
#[derive(Debug)]
struct ObjectRecord<'a>(RecordIn<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for ObjectRecord<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = RecordIn<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a record object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RecordIn<'de>, A::Error> {
                RecordIn::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(Object).map(ObjectRecord)
    }
}

/// A record header: `{"name": "...", "value": "<base64>" | null}`.
#[derive(Debug, Deserialize)]
struct HeaderIn<'a> {
    name: String,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

/// A record with its bytes located in the request's arena.
#[derive(Debug)]
struct Decoded {
    key: Slot,
    value: Slot,
    partition: Option<i32>,
    headers: Vec<(String, Slot)>,
    timestamp: Option<i64>,
}

/// Serves both produce endpoints; `partition` is the one in the path.
pub async fn produce(
    gateway: &Gateway,
    request: &mut Request,
    topic: &str,
    partition: Option<i32>,
    content_type: &str,
) -> ApiResult<Response> {
    let format = negotiate::v2_request_type(request.content_type())?.embedded_format();
    let body = request.body().await?;
    let parsed: ProduceBody<'_> = parse_json(&body)?;
    // Plain formats are checked before the topic, schema formats after it
    // (so that no schema is registered for a topic that does not exist).
    let decoded = match SchemaType::of_format(format) {
        None => Decoding::Done(
            Codecs::plain(format),
            decode(&parsed, &Codecs::plain(format))?,
        ),
        Some(kind) => Decoding::AfterSchemas(kind),
    };

    // Unknown topics and partitions fail the whole request.
    let producer = gateway.producer().await?;
    let metadata = gateway.client().await?.topic(topic).await?;
    if let Some(p) = partition {
        if metadata.partition(p).is_none() {
            return Err(ApiError::partition_not_found(topic, p));
        }
    }
    let (codecs, (arena, records)) = match decoded {
        Decoding::Done(codecs, decoded) => (codecs, decoded),
        Decoding::AfterSchemas(kind) => {
            let codecs = Codecs::schema(gateway, topic, kind, &parsed).await?;
            let decoded = decode(&parsed, &codecs)?;
            (codecs, decoded)
        }
    };
    let arena = arena.freeze();

    let topic_name: std::sync::Arc<str> = std::sync::Arc::from(topic);
    let mut pending: Vec<Result<DeliveryFuture, wire::Error>> = Vec::with_capacity(records.len());
    for record in records {
        let headers = record
            .headers
            .iter()
            .map(|(name, value)| Header::new(name.clone(), arena.get(value)))
            .collect();
        let outgoing = ProducerRecord {
            topic: topic_name.clone(),
            partition: partition.or(record.partition),
            key: arena.get(&record.key),
            value: arena.get(&record.value),
            headers,
            timestamp: record.timestamp,
        };
        pending.push(producer.send(outgoing).await);
    }

    let mut out = String::with_capacity(64 + pending.len() * 72);
    let schema_id = |codec: &Codec| match codec {
        Codec::Schema(schema) => schema.id.to_string(),
        _ => "null".to_owned(),
    };
    let _ = write!(
        out,
        r#"{{"key_schema_id":{},"value_schema_id":{},"offsets":["#,
        schema_id(&codecs.key),
        schema_id(&codecs.value)
    );
    for (i, sent) in pending.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let result = match sent {
            Ok(delivery) => delivery.wait().await.map_err(|e| retriable_and_message(&e)),
            Err(e) => Err(retriable_and_message(&e)),
        };
        match result {
            Ok(meta) => {
                let _ = write!(
                    out,
                    r#"{{"partition":{},"offset":{},"error_code":null,"error":null}}"#,
                    meta.partition, meta.offset
                );
            }
            Err((retriable, message)) => {
                let _ = write!(
                    out,
                    r#"{{"partition":null,"offset":null,"error_code":{},"error":{}}}"#,
                    if retriable { 2 } else { 1 },
                    serde_json::Value::String(message)
                );
            }
        }
    }
    out.push_str("]}");
    Ok(response::json_bytes(
        StatusCode::OK,
        content_type,
        Bytes::from(out),
    ))
}

/// Whether an error is retriable, and its message.
fn retriable_and_message(e: &wire::Error) -> (bool, String) {
    (e.is_retriable(), e.to_string())
}

/// A request's records, decoded before the topic is checked (plain
/// formats) or after it, once their schemas are resolved.
enum Decoding {
    Done(Codecs, (Arena, Vec<Decoded>)),
    AfterSchemas(SchemaType),
}

/// How the keys or the values of a request become bytes.
#[derive(Debug)]
enum Codec {
    /// `binary` or `json`.
    Plain(EmbeddedFormat),
    /// A schema format with this schema, in the Schema Registry wire
    /// format.
    Schema(Arc<RegisteredSchema>),
    /// A schema format without a schema in the request: only nulls; else
    /// this error (42201 or 42202).
    NoSchema(fn() -> ApiError),
}

/// The codecs of a request's keys and values.
#[derive(Debug)]
struct Codecs {
    key: Codec,
    value: Codec,
}

impl Codecs {
    fn plain(format: EmbeddedFormat) -> Codecs {
        Codecs {
            key: Codec::Plain(format),
            value: Codec::Plain(format),
        }
    }

    /// Resolves `key_schema[_id]` and `value_schema[_id]` (schemas of type
    /// `kind`) with the Schema Registry: an ID is looked up, a schema is
    /// registered under `<topic>-key` or `<topic>-value`.
    async fn schema(
        gateway: &Gateway,
        topic: &str,
        kind: SchemaType,
        body: &ProduceBody<'_>,
    ) -> ApiResult<Codecs> {
        let registry = gateway.schema_registry()?;
        let resolve = async |schema: Option<&RawValue>, id: Option<&RawValue>, side: &str| {
            let (schema_field, id_field) = (format!("{side}_schema"), format!("{side}_schema_id"));
            if let Some(id) = id {
                let id: i32 = serde_json::from_str(id.get()).map_err(|_| {
                    ApiError::invalid_schema(format!("{id_field} must be a schema ID (an integer)"))
                })?;
                let schema = registry.by_id(id).await?;
                schema.expect_type(kind)?;
                return Ok(Codec::Schema(schema));
            }
            let Some(schema) = schema else {
                return Ok(Codec::NoSchema(if side == "key" {
                    ApiError::key_schema_missing
                } else {
                    ApiError::value_schema_missing
                }));
            };
            let text: String = serde_json::from_str(schema.get()).map_err(|_| {
                ApiError::invalid_schema(format!(
                    "{schema_field} must be a string holding the schema's JSON"
                ))
            })?;
            let subject = format!("{topic}-{side}");
            Ok::<_, ApiError>(Codec::Schema(
                registry.register(&subject, kind, &text).await?,
            ))
        };
        Ok(Codecs {
            key: resolve(body.key_schema, body.key_schema_id, "key").await?,
            value: resolve(body.value_schema, body.value_schema_id, "value").await?,
        })
    }
}

/// Decodes the parsed body with `codecs`: 400 for undecodable values, 422
/// for a body without records or with schemas the format does not use, 422
/// / 42201 and 42202 for keys or values of a schema format without their
/// schema.
fn decode(parsed: &ProduceBody<'_>, codecs: &Codecs) -> ApiResult<(Arena, Vec<Decoded>)> {
    if let Codec::Plain(format) = codecs.value {
        let uses_schema_fields = parsed.key_schema.is_some()
            || parsed.key_schema_id.is_some()
            || parsed.value_schema.is_some()
            || parsed.value_schema_id.is_some();
        if uses_schema_fields {
            return Err(ApiError::unprocessable(format!(
                "Schemas are not used with the {format} embedded format; \
                 remove key_schema, key_schema_id, value_schema and value_schema_id."
            )));
        }
    }
    let records = match &parsed.records {
        Some(r) if !r.is_empty() => r,
        _ => return Err(ApiError::unprocessable("records may not be empty")),
    };
    let size: usize = records
        .iter()
        .map(|ObjectRecord(r)| {
            r.key.map_or(0, |k| k.get().len()) + r.value.map_or(0, |v| v.get().len())
        })
        .sum();
    let mut arena = Arena::with_capacity(size);
    let mut decoded = Vec::with_capacity(records.len());
    for (i, ObjectRecord(record)) in records.iter().enumerate() {
        if let Some(p) = record.partition {
            if p < 0 {
                return Err(ApiError::unprocessable(format!(
                    "records[{i}].partition must not be negative"
                )));
            }
        }
        let key = encode_side(&mut arena, &codecs.key, record.key, || {
            format!("records[{i}].key")
        })?;
        let value = encode_side(&mut arena, &codecs.value, record.value, || {
            format!("records[{i}].value")
        })?;
        let mut headers = Vec::new();
        for (j, header) in record.headers.iter().flatten().enumerate() {
            let value = arena.decode(EmbeddedFormat::Binary, header.value, || {
                format!("records[{i}].headers[{j}].value")
            })?;
            headers.push((header.name.clone(), value));
        }
        decoded.push(Decoded {
            key,
            value,
            partition: record.partition,
            headers,
            timestamp: record.timestamp,
        });
    }
    Ok((arena, decoded))
}

/// Decodes one key or value with its side's codec.
fn encode_side(
    arena: &mut Arena,
    codec: &Codec,
    raw: Option<&RawValue>,
    what: impl Fn() -> String,
) -> ApiResult<Slot> {
    match codec {
        Codec::Plain(format) => arena.decode(*format, raw, what),
        Codec::Schema(schema) => arena.encode_with_schema(schema, raw, what),
        Codec::NoSchema(missing) => match crate::format::non_null(raw) {
            Some(_) => Err(missing()),
            None => Ok(None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_plain(body: &[u8], format: EmbeddedFormat) -> ApiResult<(Arena, Vec<Decoded>)> {
        decode(&parse_json(body)?, &Codecs::plain(format))
    }

    #[test]
    fn spec_example_bodies_decode() {
        let body = br#"{ "records": [ { "key": "a2V5", "value": "Y29uZmx1ZW50" }, { "value": "a2Fma2E=", "partition": 1 }, { "value": "bG9ncw==" } ] }"#;
        let (arena, records) = decode_plain(body, EmbeddedFormat::Binary).unwrap();
        let arena = arena.freeze();
        assert_eq!(records.len(), 3);
        assert_eq!(arena.get(&records[0].key).unwrap(), &b"key"[..]);
        assert_eq!(arena.get(&records[0].value).unwrap(), &b"confluent"[..]);
        assert_eq!(records[1].partition, Some(1));
        assert_eq!(arena.get(&records[2].key), None);

        let body = br#"{ "records": [ { "key": "somekey", "value": {"foo": "bar"} }, { "value": [ "foo", "bar" ], "partition": 1 }, { "value": 53.5 } ] }"#;
        let (arena, records) = decode_plain(body, EmbeddedFormat::Json).unwrap();
        let arena = arena.freeze();
        assert_eq!(arena.get(&records[0].key).unwrap(), &br#""somekey""#[..]);
        assert_eq!(
            arena.get(&records[0].value).unwrap(),
            &br#"{"foo":"bar"}"#[..]
        );
        assert_eq!(
            arena.get(&records[1].value).unwrap(),
            &br#"["foo","bar"]"#[..]
        );
        assert_eq!(arena.get(&records[2].value).unwrap(), &b"53.5"[..]);
    }

    #[test]
    fn bad_bodies() {
        let code = |body: &[u8]| {
            decode_plain(body, EmbeddedFormat::Binary)
                .unwrap_err()
                .error_code
        };
        assert_eq!(code(br#"{"records": []}"#), 422);
        assert_eq!(code(br#"{}"#), 422);
        assert_eq!(code(br#"{"records": [{"value": "!!"}]}"#), 400);
        assert_eq!(
            code(br#"{"records": [{"value": "a2V5", "partition": "x"}]}"#),
            400
        );
        assert_eq!(code(br#"{"records": "#), 400);
        assert_eq!(code(br#"{"records": [["a2V5", "eA=="]]}"#), 400);
        assert_eq!(
            code(br#"{"records": [{"value": "a2V5", "partition": -1}]}"#),
            422
        );
        assert_eq!(
            code(br#"{"value_schema": "{}", "records": [{"value": "a2V5"}]}"#),
            422
        );
    }
}
