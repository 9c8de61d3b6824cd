//! v2 produce: `POST /topics/{topic}` and
//! `POST /topics/{topic}/partitions/{partition}`.
//!
//! The body is parsed once, keys and values are decoded into one buffer,
//! every record is handed to the shared producer, and the answer lists one
//! `offsets` entry per record in request order. A record that fails carries
//! its own `error_code` (1: non-retriable, 2: retriable) and `error`; the
//! others still succeed.

use std::fmt::Write as _;

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use serde_json::value::RawValue;
use wire::producer::{DeliveryFuture, ProducerRecord};
use wire::Header;

use crate::app::Gateway;
use crate::error::{ApiError, ApiResult};
use crate::format::{Arena, Slot};
use crate::negotiate::{self, EmbeddedFormat};
use crate::request::{parse_json, Request};
use crate::response::{self, Response};

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
    if format.needs_schema_registry() {
        return Err(crate::format::schema_format_unsupported(format));
    }
    let body = request.body().await?;
    let (arena, records) = decode(&body, format)?;
    let arena = arena.freeze();

    // Unknown topics and partitions fail the whole request.
    let producer = gateway.producer().await?;
    let metadata = gateway.client().await?.topic(topic).await?;
    if let Some(p) = partition {
        if metadata.partition(p).is_none() {
            return Err(ApiError::partition_not_found(topic, p));
        }
    }

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
    out.push_str(r#"{"key_schema_id":null,"value_schema_id":null,"offsets":["#);
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

/// Parses and decodes the body: 400 for undecodable JSON or values, 422 for
/// a body without records.
fn decode(body: &[u8], format: EmbeddedFormat) -> ApiResult<(Arena, Vec<Decoded>)> {
    let parsed: ProduceBody<'_> = parse_json(body)?;
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
    let records = match parsed.records {
        Some(r) if !r.is_empty() => r,
        _ => return Err(ApiError::unprocessable("records may not be empty")),
    };
    let mut arena = Arena::with_capacity(body.len());
    let mut decoded = Vec::with_capacity(records.len());
    for (i, ObjectRecord(record)) in records.into_iter().enumerate() {
        if let Some(p) = record.partition {
            if p < 0 {
                return Err(ApiError::unprocessable(format!(
                    "records[{i}].partition must not be negative"
                )));
            }
        }
        let key = arena.decode(format, record.key, || format!("records[{i}].key"))?;
        let value = arena.decode(format, record.value, || format!("records[{i}].value"))?;
        let mut headers = Vec::new();
        for (j, header) in record.headers.into_iter().flatten().enumerate() {
            let value = arena.decode(EmbeddedFormat::Binary, header.value, || {
                format!("records[{i}].headers[{j}].value")
            })?;
            headers.push((header.name, value));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_bodies_decode() {
        let body = br#"{ "records": [ { "key": "a2V5", "value": "Y29uZmx1ZW50" }, { "value": "a2Fma2E=", "partition": 1 }, { "value": "bG9ncw==" } ] }"#;
        let (arena, records) = decode(body, EmbeddedFormat::Binary).unwrap();
        let arena = arena.freeze();
        assert_eq!(records.len(), 3);
        assert_eq!(arena.get(&records[0].key).unwrap(), &b"key"[..]);
        assert_eq!(arena.get(&records[0].value).unwrap(), &b"confluent"[..]);
        assert_eq!(records[1].partition, Some(1));
        assert_eq!(arena.get(&records[2].key), None);

        let body = br#"{ "records": [ { "key": "somekey", "value": {"foo": "bar"} }, { "value": [ "foo", "bar" ], "partition": 1 }, { "value": 53.5 } ] }"#;
        let (arena, records) = decode(body, EmbeddedFormat::Json).unwrap();
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
        let code = |body: &[u8]| decode(body, EmbeddedFormat::Binary).unwrap_err().error_code;
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
