//! v3 produce: `POST /clusters/{cluster_id}/topics/{topic_name}/records`.
//!
//! The body is a stream of concatenated JSON records; the answer is one
//! delivery report per record, in the same order. With a `Content-Length`
//! body every report is collected and sent at once; with
//! `Transfer-Encoding: chunked` the gateway streams: each report is written
//! as soon as its record is acknowledged, a bad record gets its own error
//! report and the stream goes on, and when [`MAX_UNACKNOWLEDGED`] records
//! wait for their reports the gateway stops reading the request, so a slow
//! reader of reports slows the sender down instead of growing a buffer.
//! `streaming.connection.max.duration.ms` bounds a stream: after it, no
//! more records are read; the reports of those already read are still sent
//! (for at most `streaming.connection.max.duration.grace.period.ms`).
//!
//! # References
//! - Confluent REST Proxy API reference, "Records (v3)"

use std::borrow::Cow;

use bytes::{Buf as _, Bytes, BytesMut};
use http::header::TRANSFER_ENCODING;
use http::StatusCode;
use http_body_util::BodyExt as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::time::Instant;
use wire::producer::{DeliveryFuture, Producer, ProducerRecord};
use wire::Header;

use crate::error::{ApiError, ApiResult};
use crate::format::binary;
use crate::format::schema::SchemaType;
use crate::negotiate::{self, JSON};
use crate::request::{Request, RequestBody};
use crate::response::{self, Response};
use crate::schema_registry::SchemaRegistry;
use crate::timestamp;
use crate::v3::topics::v3_topic_not_found;
use crate::v3::Context;

mod schema_data;
use schema_data::{SchemaData, SchemaInfo};

/// Records read from a stream whose reports have not been written yet;
/// past this the gateway stops reading the request.
pub const MAX_UNACKNOWLEDGED: usize = 4096;

/// One record of the request.
#[derive(Debug, Deserialize)]
struct RecordIn<'a> {
    #[serde(default)]
    partition_id: Option<i32>,
    #[serde(borrow, default)]
    headers: Option<Vec<HeaderIn<'a>>>,
    #[serde(borrow, default)]
    key: Option<DataIn<'a>>,
    #[serde(borrow, default)]
    value: Option<DataIn<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
struct HeaderIn<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

/// A key or value: `{"type": "BINARY"|"JSON"|"STRING", "data": ...}` (the
/// schema fields belong to the schema-registry forms).
#[derive(Debug, Deserialize)]
struct DataIn<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    subject: Option<&'a RawValue>,
    #[serde(borrow, default)]
    subject_name_strategy: Option<&'a RawValue>,
    #[serde(borrow, default)]
    schema_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    schema_version: Option<&'a RawValue>,
    #[serde(borrow, default)]
    schema: Option<&'a RawValue>,
}

/// The serialised type of a key or value, as reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataType {
    Binary,
    Json,
    String,
    /// A schema format (`AVRO`, `JSONSCHEMA`, `PROTOBUF`).
    Schema(SchemaType),
}

impl DataType {
    fn name(self) -> &'static str {
        match self {
            DataType::Binary => "BINARY",
            DataType::Json => "JSON",
            DataType::String => "STRING",
            DataType::Schema(kind) => kind.v3_name(),
        }
    }
}

/// A decoded key or value.
#[derive(Debug)]
struct Data {
    kind: DataType,
    bytes: Option<Bytes>,
    /// A schema-format key or value, encoded once its schema is resolved.
    schema: Option<SchemaData>,
}

/// What a report says about a key or value: its type and size, and its
/// schema for Avro.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DataInfo {
    kind: DataType,
    size: usize,
    schema: Option<SchemaInfo>,
}

impl Data {
    /// Splits into the report's view, the bytes to send and the Avro data
    /// still to encode.
    fn split(self) -> (DataInfo, (Option<Bytes>, Option<SchemaData>)) {
        let size = self.bytes.as_ref().map_or(0, Bytes::len);
        (
            DataInfo {
                kind: self.kind,
                size,
                schema: None,
            },
            (self.bytes, self.schema),
        )
    }
}

/// A record ready to send, with what its report says about key and value.
#[derive(Debug)]
struct Prepared {
    record: ProducerRecord,
    key: Option<DataInfo>,
    value: Option<DataInfo>,
    /// Schema-format key and value still to encode (see
    /// [`resolve_schemas`]).
    schemas: [Option<SchemaData>; 2],
}

/// A record handed to the producer (or refused), waiting for its report.
#[derive(Debug)]
enum Pending {
    Sent {
        delivery: DeliveryFuture,
        key: Option<DataInfo>,
        value: Option<DataInfo>,
    },
    Failed(ApiError),
}

impl Pending {
    /// Whether the report can be written without waiting.
    fn is_ready(&self) -> bool {
        match self {
            Pending::Failed(_) => true,
            Pending::Sent { delivery, .. } => delivery.try_result().is_some(),
        }
    }
}

/// Serves the endpoint.
pub async fn produce(ctx: &Context<'_>, request: &mut Request, topic: &str) -> ApiResult<Response> {
    if !negotiate::is_json(request.content_type()) {
        return Err(ApiError::unsupported_media_type(
            "HTTP 415 Unsupported Media Type",
        ));
    }
    let client = ctx.gateway.client().await?;
    let metadata = client.topic(topic).await.map_err(|e| match e {
        wire::Error::UnknownTopic(t) => v3_topic_not_found(&t),
        other => ApiError::from(other),
    })?;
    let partitions = metadata.partitions.len() as i32;
    let producer = ctx.gateway.producer().await?.clone();
    let streaming = request
        .header(TRANSFER_ENCODING)
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let limit = usize::try_from(ctx.gateway.config().request_body_max_bytes).unwrap_or(usize::MAX);
    let target = Target {
        cluster_id_json: serde_json::Value::from(ctx.links.cluster_id()).to_string(),
        topic_json: serde_json::Value::from(topic).to_string(),
        topic: std::sync::Arc::from(topic),
        partitions,
        registry: ctx.gateway.schema_registry().ok(),
    };

    if !streaming {
        let body = request.body().await?;
        let mut stream = JsonStream::new(RequestBody::Full(body), limit);
        let mut pending = Vec::new();
        while let Some(item) = stream.next_record(&target).await.transpose() {
            match item {
                Ok(prepared) => pending.push(send(&producer, &target, prepared).await),
                Err(e) => {
                    pending.push(Pending::Failed(e));
                    break;
                }
            }
        }
        if pending.is_empty() {
            return Err(empty_body());
        }
        let mut out = Vec::with_capacity(pending.len() * 256);
        for p in pending {
            out.extend_from_slice(&report(&target, p).await);
        }
        return Ok(response::json_bytes(StatusCode::OK, JSON, out));
    }

    let Some(body) = request.take_body() else {
        return Err(empty_body());
    };
    let mut stream = JsonStream::new(body, limit);
    // The first record decides between an error status (an empty body) and
    // a 200 stream of reports.
    let first = match stream.next_record(&target).await {
        Ok(Some(raw)) => Ok(raw),
        Ok(None) => return Err(empty_body()),
        Err(e) => Err(e),
    };
    let config = ctx.gateway.config();
    let max_duration = config.streaming_connection_max_duration;
    let grace = config.streaming_connection_max_duration_grace_period;
    let (pending_tx, pending_rx) = mpsc::channel::<Pending>(MAX_UNACKNOWLEDGED);
    let (chunks_tx, body) = response::channel(4);
    let started = Instant::now();
    let reader_target = target.clone();
    tokio::spawn(async move {
        let deadline = started + max_duration;
        let mut next = Some(first);
        loop {
            let item = match next.take() {
                Some(item) => item,
                None => match tokio::time::timeout_at(deadline, stream.next_record(&reader_target))
                    .await
                {
                    Err(_) => break,
                    Ok(Ok(Some(raw))) => Ok(raw),
                    Ok(Ok(None)) => break,
                    Ok(Err(e)) => Err(e),
                },
            };
            let (pending, fatal) = match item {
                Ok(prepared) => (send(&producer, &reader_target, prepared).await, false),
                Err(e) => (Pending::Failed(e), true),
            };
            if pending_tx.send(pending).await.is_err() || fatal {
                break;
            }
        }
    });
    tokio::spawn(write_reports(
        target,
        pending_rx,
        chunks_tx,
        started + max_duration + grace,
    ));
    let mut response = http::Response::new(body);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(JSON),
    );
    Ok(response)
}

/// Writes reports in order as deliveries complete, until the reader is done
/// or the hard deadline passes.
async fn write_reports(
    target: Target,
    mut pending: mpsc::Receiver<Pending>,
    chunks: mpsc::Sender<Bytes>,
    hard_deadline: Instant,
) {
    // Reports that are ready together go out in one chunk.
    const CHUNK: usize = 32 * 1024;
    let mut held = None;
    loop {
        let next = match held.take() {
            Some(p) => p,
            None => match tokio::time::timeout_at(hard_deadline, pending.recv()).await {
                Ok(Some(p)) => p,
                Ok(None) | Err(_) => return,
            },
        };
        let mut out = String::with_capacity(CHUNK + 512);
        if tokio::time::timeout_at(hard_deadline, write_report(&mut out, &target, next))
            .await
            .is_err()
        {
            return;
        }
        while out.len() < CHUNK {
            match pending.try_recv() {
                Ok(p) if p.is_ready() => write_report(&mut out, &target, p).await,
                Ok(p) => {
                    held = Some(p);
                    break;
                }
                Err(_) => break,
            }
        }
        if chunks.send(Bytes::from(out)).await.is_err() {
            return;
        }
    }
}

/// Where records go.
#[derive(Debug, Clone)]
struct Target {
    /// The cluster id as a JSON string.
    cluster_id_json: String,
    /// The topic name as a JSON string.
    topic_json: String,
    topic: std::sync::Arc<str>,
    partitions: i32,
    /// The Schema Registry, when `schema.registry.url` is set.
    registry: Option<std::sync::Arc<SchemaRegistry>>,
}

fn empty_body() -> ApiError {
    ApiError::unprocessable("Payload error. Request body is empty. Data is required.")
}

/// Decodes one record and hands it to the producer.
async fn send(producer: &Producer, target: &Target, prepared: ApiResult<Prepared>) -> Pending {
    let mut prepared = match prepared {
        Ok(p) => p,
        Err(e) => return Pending::Failed(e),
    };
    if let Err(e) = resolve_schemas(&mut prepared, target).await {
        return Pending::Failed(e);
    }
    match producer.send(prepared.record).await {
        Ok(delivery) => Pending::Sent {
            delivery,
            key: prepared.key,
            value: prepared.value,
        },
        Err(e) => Pending::Failed(delivery_error(&e)),
    }
}

/// Resolves the schemas of a schema-format key and value and encodes them.
async fn resolve_schemas(prepared: &mut Prepared, target: &Target) -> ApiResult<()> {
    let [key, value] = std::mem::take(&mut prepared.schemas);
    for (data, info, bytes) in [
        (key, &mut prepared.key, &mut prepared.record.key),
        (value, &mut prepared.value, &mut prepared.record.value),
    ] {
        let Some(data) = data else { continue };
        let registry = target.registry.as_deref().ok_or_else(no_registry)?;
        let (encoded, schema) = data.resolve(registry, &target.topic).await?;
        *info = Some(DataInfo {
            kind: DataType::Schema(schema.kind),
            size: encoded.as_ref().map_or(0, Bytes::len),
            schema: Some(schema),
        });
        *bytes = encoded;
    }
    Ok(())
}

fn no_registry() -> ApiError {
    ApiError::bad_request(
        "Bad Request: schema formats need a Schema Registry, and schema.registry.url is not set.",
    )
}

/// The report of one record, followed by a newline.
async fn report(target: &Target, pending: Pending) -> Bytes {
    let mut out = String::with_capacity(256);
    write_report(&mut out, target, pending).await;
    Bytes::from(out)
}

/// Appends the report of one record and a newline to `out`.
async fn write_report(out: &mut String, target: &Target, pending: Pending) {
    use std::fmt::Write as _;
    match pending {
        Pending::Failed(e) => write_error(out, &e),
        Pending::Sent {
            delivery,
            key,
            value,
        } => match delivery.wait().await {
            Ok(meta) => {
                let _ = write!(
                    out,
                    r#"{{"error_code":200,"cluster_id":{},"topic_name":{},"partition_id":{},"offset":{},"timestamp":""#,
                    target.cluster_id_json, target.topic_json, meta.partition, meta.offset,
                );
                timestamp::write_millis(out, meta.timestamp);
                out.push('"');
                for (name, data) in [("key", key), ("value", value)] {
                    if let Some(data) = data {
                        let _ = write!(out, r#","{name}":{{"type":"{}""#, data.kind.name());
                        if let Some(schema) = &data.schema {
                            if let Some(subject) = &schema.subject {
                                let _ = write!(
                                    out,
                                    r#","subject":{}"#,
                                    serde_json::Value::from(subject.as_str())
                                );
                            }
                            let _ = write!(out, r#","schema_id":{}"#, schema.schema_id);
                            if let Some(version) = schema.schema_version {
                                let _ = write!(out, r#","schema_version":{version}"#);
                            }
                        }
                        let _ = write!(out, r#","size":{}}}"#, data.size);
                    }
                }
                out.push('}');
            }
            Err(e) => write_error(out, &delivery_error(&e)),
        },
    }
    out.push('\n');
}

fn write_error(out: &mut String, e: &ApiError) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        r#"{{"error_code":{},"message":{}}}"#,
        e.error_code,
        serde_json::Value::String(e.message.clone())
    );
}

/// A delivery failure as a report error: 404/40403 for unknown partitions,
/// 413 for records over the size limit, Kafka errors as 5000x.
fn delivery_error(e: &wire::Error) -> ApiError {
    match e {
        wire::Error::UnknownPartition { .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            40403,
            "This server does not host this topic-partition.",
        ),
        wire::Error::RecordTooLarge { .. } => ApiError::plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The request included a message larger than the maximum message size \
                 the server can accept: {e}"
            ),
        ),
        other => ApiError::from(other),
    }
}

/// Parses and decodes one record (400 for anything undecodable).
#[cfg(test)]
fn prepare(raw: &[u8], target: &Target) -> ApiResult<Prepared> {
    if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(not_an_object());
    }
    let record: RecordIn<'_> = serde_json::from_slice(raw)
        .map_err(|e| ApiError::bad_request(format!("Bad Request: {e}")))?;
    prepare_record(record, target, &mut BytesMut::new())
}

fn not_an_object() -> ApiError {
    ApiError::bad_request("Bad Request: a record must be a JSON object.")
}

/// Decodes a parsed record.
fn prepare_record(
    record: RecordIn<'_>,
    target: &Target,
    arena: &mut BytesMut,
) -> ApiResult<Prepared> {
    if let Some(p) = record.partition_id {
        if p < 0 || p >= target.partitions {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                40403,
                "This server does not host this topic-partition.",
            ));
        }
    }
    let key = record
        .key
        .map(|k| decode_data(k, "key", target, arena))
        .transpose()?;
    let value = record
        .value
        .map(|v| decode_data(v, "value", target, arena))
        .transpose()?;
    let mut headers = Vec::new();
    for header in record.headers.into_iter().flatten() {
        let value = match header.value {
            None => None,
            Some(raw) if raw.get() == "null" => None,
            Some(raw) => {
                let mut out = Vec::new();
                binary::decode_into(raw, &mut out, || "header value".into()).map_err(|_| {
                    ApiError::bad_request(format!(
                        "Bad Request: the value of header {} is not a base64 string.",
                        header.name
                    ))
                })?;
                Some(Bytes::from(out))
            }
        };
        headers.push(Header::new(header.name.into_owned(), value));
    }
    let timestamp = match record.timestamp {
        None => None,
        Some(raw) if raw.get() == "null" => None,
        Some(raw) => Some(parse_timestamp(raw)?),
    };
    let (key, key_parts) = key.map(Data::split).unzip();
    let (key_bytes, key_schema) = key_parts.unzip();
    let (value, value_parts) = value.map(Data::split).unzip();
    let (value_bytes, value_schema) = value_parts.unzip();
    Ok(Prepared {
        record: ProducerRecord {
            topic: target.topic.clone(),
            partition: record.partition_id,
            key: key_bytes.flatten(),
            value: value_bytes.flatten(),
            headers,
            timestamp,
        },
        key,
        value,
        schemas: [key_schema.flatten(), value_schema.flatten()],
    })
}

/// A timestamp: an RFC 3339 string, or milliseconds since the epoch.
fn parse_timestamp(raw: &RawValue) -> ApiResult<i64> {
    let bad = || {
        ApiError::bad_request(format!(
            "Bad Request: timestamp={} is not an RFC 3339 date-time.",
            raw.get()
        ))
    };
    match serde_json::from_str::<serde_json::Value>(raw.get()).map_err(|_| bad())? {
        serde_json::Value::String(s) => timestamp::parse_millis(&s).ok_or_else(bad),
        serde_json::Value::Number(n) => n.as_i64().ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn decode_data(
    data: DataIn<'_>,
    what: &'static str,
    target: &Target,
    arena: &mut BytesMut,
) -> ApiResult<Data> {
    let schema_form = data.subject.is_some()
        || data.subject_name_strategy.is_some()
        || data.schema_id.is_some()
        || data.schema_version.is_some()
        || data.schema.is_some();
    let schema_type = data.kind.as_deref().and_then(SchemaType::from_v3_name);
    let Some(name) = data.kind.as_deref().filter(|_| schema_type.is_none()) else {
        // No type, or a schema type: the schema decides (see SchemaData).
        if target.registry.is_none() {
            return Err(ApiError::bad_request(format!(
                "Bad Request: the {what} has no type (BINARY, JSON or STRING) or is of a schema \
                 type, which needs a Schema Registry, and schema.registry.url is not set."
            )));
        }
        return Ok(Data {
            kind: DataType::Schema(schema_type.unwrap_or(SchemaType::Avro)),
            bytes: None,
            schema: Some(SchemaData::parse(&data, schema_type, what)?),
        });
    };
    if schema_form {
        return Err(ApiError::bad_request(format!(
            "Bad Request: the {what} is of type {name}, which takes no schema fields \
             (subject, subject_name_strategy, schema_id, schema_version, schema)."
        )));
    }
    let kind = [
        ("BINARY", DataType::Binary),
        ("JSON", DataType::Json),
        ("STRING", DataType::String),
    ]
    .into_iter()
    .find(|(n, _)| name.eq_ignore_ascii_case(n))
    .map(|(_, kind)| kind)
    .ok_or_else(|| {
        ApiError::bad_request(format!(
            "Bad Request: {what} type {name} is not one of BINARY, JSON, STRING, AVRO, \
             JSONSCHEMA, PROTOBUF."
        ))
    })?;
    let raw = match data.data {
        None => None,
        Some(raw) if raw.get() == "null" => None,
        Some(raw) => Some(raw),
    };
    let bytes = match (kind, raw) {
        (_, None) => None,
        // Schema-format data was returned above, unencoded.
        (DataType::Schema(_), Some(_)) => None,
        (DataType::Binary, Some(raw)) => {
            Some(binary::decode_to_bytes(raw, arena).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Bad Request: data={} is not a base64 string.",
                    raw.get()
                ))
            })?)
        }
        (DataType::Json, Some(raw)) => {
            let mut out = Vec::new();
            crate::format::json::decode_into(raw, &mut out, || what.to_owned())?;
            Some(Bytes::from(out))
        }
        (DataType::String, Some(raw)) => {
            let text: String = serde_json::from_str(raw.get()).map_err(|_| {
                ApiError::bad_request(format!("Bad Request: data={} is not a string.", raw.get()))
            })?;
            Some(Bytes::from(text))
        }
    };
    Ok(Data {
        kind,
        bytes,
        schema: None,
    })
}

/// Splits a body into top-level JSON values as bytes arrive.
#[derive(Debug)]
struct JsonStream {
    body: Option<RequestBody>,
    buf: BytesMut,
    /// Where binary keys and values are decoded to.
    arena: BytesMut,
    max_value: usize,
}

impl JsonStream {
    fn new(body: RequestBody, max_value: usize) -> JsonStream {
        JsonStream {
            body: Some(body),
            buf: BytesMut::new(),
            arena: BytesMut::new(),
            max_value,
        }
    }

    /// The next record, parsed and decoded in one pass over its bytes: an
    /// outer error ends the stream (bad JSON syntax, a record over the
    /// limit), an inner one is that record's own error.
    async fn next_record(&mut self, target: &Target) -> ApiResult<Option<ApiResult<Prepared>>> {
        loop {
            let blank = self
                .buf
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.buf.advance(blank);
            if let Some(&first) = self.buf.first() {
                if first == b'{' {
                    let mut records =
                        serde_json::Deserializer::from_slice(&self.buf).into_iter::<RecordIn<'_>>();
                    match records.next() {
                        Some(Ok(record)) => {
                            let end = records.byte_offset();
                            let prepared = prepare_record(record, target, &mut self.arena);
                            self.buf.advance(end);
                            return Ok(Some(prepared));
                        }
                        Some(Err(e)) if e.is_eof() => {}
                        Some(Err(e)) if e.is_data() => {
                            // A well-formed value that is not a valid record:
                            // skip it once it is complete.
                            let message = format!("Bad Request: {e}");
                            if let Some(end) = self.complete_value()? {
                                self.buf.advance(end);
                                return Ok(Some(Err(ApiError::bad_request(message))));
                            }
                        }
                        Some(Err(e)) => return Err(syntax_error(&e)),
                        None => {}
                    }
                } else if let Some(end) = self.complete_value()? {
                    self.buf.advance(end);
                    return Ok(Some(Err(not_an_object())));
                }
                self.check_size()?;
            }
            if !self.fill().await? {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    self.buf.clear();
                    Err(ApiError::bad_request(
                        "Bad Request: the body ends inside a JSON record.",
                    ))
                };
            }
        }
    }

    /// The length of the complete JSON value at the start of the buffer,
    /// `None` if it is not complete yet.
    fn complete_value(&self) -> ApiResult<Option<usize>> {
        let mut values =
            serde_json::Deserializer::from_slice(&self.buf).into_iter::<serde::de::IgnoredAny>();
        match values.next() {
            Some(Ok(_)) => Ok(Some(values.byte_offset())),
            Some(Err(e)) if e.is_eof() => Ok(None),
            Some(Err(e)) => Err(syntax_error(&e)),
            None => Ok(None),
        }
    }

    fn check_size(&self) -> ApiResult<()> {
        if self.buf.len() > self.max_value {
            return Err(ApiError::plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request included a message larger than the maximum message size \
                 the server can accept.",
            ));
        }
        Ok(())
    }

    /// Reads more of the body; `false` at its end.
    async fn fill(&mut self) -> ApiResult<bool> {
        match self.body.as_mut() {
            None => Ok(false),
            Some(RequestBody::Full(bytes)) => {
                let bytes = std::mem::take(bytes);
                self.buf.extend_from_slice(&bytes);
                self.body = None;
                Ok(true)
            }
            Some(RequestBody::Incoming(incoming)) => match incoming.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                    }
                    Ok(true)
                }
                Some(Err(e)) => {
                    self.body = None;
                    self.buf.clear();
                    Err(ApiError::bad_request(format!(
                        "The request body could not be read: {e}"
                    )))
                }
                None => {
                    self.body = None;
                    Ok(true)
                }
            },
        }
    }

    /// The next complete value as bytes; `None` at the end of the body.
    #[cfg(test)]
    async fn next(&mut self) -> ApiResult<Option<Bytes>> {
        loop {
            let blank = self
                .buf
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.buf.advance(blank);
            if !self.buf.is_empty() {
                if let Some(end) = self.complete_value()? {
                    return Ok(Some(self.buf.split_to(end).freeze()));
                }
                self.check_size()?;
            }
            if !self.fill().await? {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    self.buf.clear();
                    Err(ApiError::bad_request(
                        "Bad Request: the body ends inside a JSON record.",
                    ))
                };
            }
        }
    }
}

fn syntax_error(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request(format!(
        "Bad Request: the body is not a stream of JSON records: {e}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            cluster_id_json: r#""c""#.into(),
            topic_json: r#""t""#.into(),
            topic: "t".into(),
            partitions: 3,
            registry: None,
        }
    }

    #[tokio::test]
    async fn splits_concatenated_json() {
        let body = Bytes::from_static(b" {\"a\":1}{\"b\":[2]}\n {\"c\":\"}\"} ");
        let mut s = JsonStream::new(RequestBody::Full(body), 1024);
        assert_eq!(&s.next().await.unwrap().unwrap()[..], b"{\"a\":1}");
        assert_eq!(&s.next().await.unwrap().unwrap()[..], b"{\"b\":[2]}");
        assert_eq!(&s.next().await.unwrap().unwrap()[..], b"{\"c\":\"}\"}");
        assert_eq!(s.next().await.unwrap(), None);

        let mut s = JsonStream::new(RequestBody::Full(Bytes::from_static(b"{\"a\":")), 1024);
        assert_eq!(s.next().await.unwrap_err().error_code, 400);
        let mut s = JsonStream::new(RequestBody::Full(Bytes::from_static(b"{]")), 1024);
        assert_eq!(s.next().await.unwrap_err().error_code, 400);
        let big = Bytes::from(format!("{{\"a\":\"{}", "x".repeat(100)));
        let mut s = JsonStream::new(RequestBody::Full(big), 10);
        assert_eq!(s.next().await.unwrap_err().error_code, 413);
    }

    #[tokio::test]
    async fn records_after_a_bad_one_still_count() {
        let body = Bytes::from_static(
            br#"{"partition_id": "x"} [1] 7 {"value": {"type": "STRING", "data": "a"}}"#,
        );
        let mut s = JsonStream::new(RequestBody::Full(body), 1024);
        let t = target();
        for _ in 0..3 {
            let e = s.next_record(&t).await.unwrap().unwrap().unwrap_err();
            assert_eq!(e.error_code, 400);
        }
        let ok = s.next_record(&t).await.unwrap().unwrap().unwrap();
        assert_eq!(ok.record.value.as_deref(), Some(&b"a"[..]));
        assert!(s.next_record(&t).await.unwrap().is_none());

        let mut s = JsonStream::new(RequestBody::Full(Bytes::from_static(b"{\"a\": ]")), 1024);
        assert!(s.next_record(&t).await.is_err());
    }

    #[test]
    fn spec_example_records() {
        let p = prepare(
            br#"{ "partition_id": 1, "headers": [ { "name": "Header-1", "value": "SGVhZGVyLTE=" }, { "name": "Header-2", "value": "SGVhZGVyLTI=" } ], "key": { "type": "BINARY", "data": "Zm9vYmFy" }, "value": { "type": "JSON", "data": { "foo": "bar" } }, "timestamp": "2021-02-05T19:14:42Z" }"#,
            &target(),
        )
        .unwrap();
        assert_eq!(p.record.partition, Some(1));
        assert_eq!(p.record.key.as_deref(), Some(&b"foobar"[..]));
        assert_eq!(p.record.value.as_deref(), Some(&br#"{"foo":"bar"}"#[..]));
        assert_eq!(p.record.timestamp, Some(1_612_552_482_000));
        assert_eq!(p.record.headers.len(), 2);
        assert_eq!(p.record.headers[0].value.as_deref(), Some(&b"Header-1"[..]));
        assert_eq!(
            p.key,
            Some(DataInfo {
                kind: DataType::Binary,
                size: 6,
                schema: None,
            })
        );

        let p = prepare(
            br#"{ "value": { "type": "STRING", "data": "My message" } }"#,
            &target(),
        )
        .unwrap();
        assert_eq!(p.record.value.as_deref(), Some(&b"My message"[..]));
        assert!(p.key.is_none());
    }

    #[test]
    fn bad_records() {
        let code = |raw: &[u8]| prepare(raw, &target()).unwrap_err().error_code;
        assert_eq!(code(br#"{"value": {"type": "BINARY", "data": 1}}"#), 400);
        assert_eq!(code(br#"{"value": {"type": "BINARY", "data": "!!"}}"#), 400);
        assert_eq!(code(br#"{"value": {"type": "STRING", "data": 1}}"#), 400);
        assert_eq!(code(br#"{"value": {"type": "XML", "data": "a"}}"#), 400);
        assert_eq!(
            code(br#"{"key": {"schema_id": 1}, "value": {"data": null}}"#),
            400
        );
        assert_eq!(code(br#"{"key": {"data": 1000}}"#), 400);
        assert_eq!(
            code(br#"{"partition_id": 3, "value": {"type": "STRING", "data": "x"}}"#),
            40403
        );
        assert_eq!(code(br#"{"timestamp": "yesterday"}"#), 400);
        assert_eq!(code(br#"[1]"#), 400);
        assert_eq!(code(br#"{"headers": [{"name": "h", "value": "%%"}]}"#), 400);
    }
}
