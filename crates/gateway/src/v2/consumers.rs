//! v2 consumers: `/consumers/{group}` and
//! `/consumers/{group}/instances/{instance}/...` — create and delete an
//! instance, subscribe (topics or a pattern), assign, seek, commit, read
//! committed offsets, and fetch records.
//!
//! # References
//! - Confluent REST Proxy API reference, v2 "Consumers"

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use wire::consumer::TopicPartition;
use wire::consumer::{ConsumedRecord, Consumer, OffsetAndMetadata, OffsetReset};

use crate::app::Gateway;
use crate::config::ClientRole;
use crate::consumers::ConsumerInstance;
use crate::error::{ApiError, ApiResult};
use crate::format;
use crate::format::schema::SchemaType;
use crate::negotiate::{self, EmbeddedFormat};
use crate::request::Request;
use crate::response::{self, Response};
use crate::schema_registry::{self, RegisteredSchema, RegistryError, SchemaRegistry};

/// 422 / 42204: a bad consumer setting.
fn invalid_config(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 42204, message)
}

/// 409 / 40903: an illegal state (mutually exclusive subscription kinds,
/// a partition that is not assigned).
fn illegal_state(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, 40903, message)
}

/// A setting given as a JSON string or number.
fn setting(body: &Value, name: &str) -> ApiResult<Option<String>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(invalid_config(format!("`{name}` must be a string"))),
    }
}

/// `POST /consumers/{group}`: creates an instance.
pub async fn create(
    gateway: &Gateway,
    request: &mut Request,
    group: &str,
    content_type: &str,
) -> ApiResult<Response> {
    let body: Value = request.json_opt().await?.unwrap_or_else(|| json!({}));
    if !body.is_object() {
        return Err(ApiError::unprocessable(
            "The request body must be a JSON object.",
        ));
    }
    let name = match setting(&body, "name")? {
        Some(n) if n.is_empty() || n.contains('/') => {
            return Err(invalid_config(
                "`name` must be a non-empty name without `/`",
            ))
        }
        Some(n) => n,
        None => match gateway.config().id.as_str() {
            "" => format!("rest-consumer-{:016x}", rand::random::<u64>()),
            id => format!("rest-consumer-{id}-{:016x}", rand::random::<u64>()),
        },
    };
    gateway.consumers().check_free(group, &name)?;
    let format = match setting(&body, "format")? {
        None => EmbeddedFormat::Binary,
        Some(f) => EmbeddedFormat::from_name(&f)
            .ok_or_else(|| invalid_config(format!("Invalid format type: {f}")))?,
    };
    if SchemaType::of_format(format).is_some() && gateway.schema_registry().is_err() {
        return Err(invalid_config(format!(
            "The {format} format needs a Schema Registry: set schema.registry.url"
        )));
    }
    let mut client_config = gateway.client_config(ClientRole::Consumer)?;
    let mut config = client_config.consumer.clone();
    config.group_id = Some(group.to_owned());
    if let Some(reset) = setting(&body, "auto.offset.reset")? {
        config.auto_offset_reset = match reset.to_ascii_lowercase().as_str() {
            "earliest" | "smallest" => OffsetReset::Earliest,
            "latest" | "largest" => OffsetReset::Latest,
            "none" => OffsetReset::None,
            other => {
                return Err(invalid_config(format!(
                    "Invalid value {other} for configuration auto.offset.reset: \
                     must be earliest, latest or none"
                )))
            }
        };
    }
    if let Some(commit) = setting(&body, "auto.commit.enable")? {
        config.enable_auto_commit = match commit.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(invalid_config(format!(
                    "Invalid value {other} for configuration auto.commit.enable: \
                     must be true or false"
                )))
            }
        };
    }
    let mut fetch = client_config.fetch.clone();
    let min_bytes = match setting(&body, "fetch.min.bytes")? {
        Some(v) => Some(v),
        None => gateway.config().fetch_min_bytes.map(|b| b.to_string()),
    };
    if let Some(v) = min_bytes {
        let bytes: i32 = v.parse().map_err(|_| {
            invalid_config(format!(
                "Invalid value {v} for configuration fetch.min.bytes"
            ))
        })?;
        if bytes >= 0 {
            fetch.min_bytes = bytes;
        }
    }
    let request_timeout = match setting(&body, "consumer.request.timeout.ms")? {
        Some(v) => Duration::from_millis(v.parse::<u64>().map_err(|_| {
            invalid_config(format!(
                "Invalid value {v} for configuration consumer.request.timeout.ms"
            ))
        })?),
        None => gateway.config().consumer_request_timeout,
    };
    client_config.consumer = config.clone();
    let client = gateway.consumer_client().await?;
    let consumer = Consumer::with_config(client.clone(), config, fetch)
        .map_err(|e| invalid_config(e.to_string()))?;
    let instance = ConsumerInstance::new(
        group.to_owned(),
        name.clone(),
        format,
        request_timeout,
        consumer,
    );
    gateway.consumers().insert(instance)?;
    let base_uri = format!("{}/consumers/{group}/instances/{name}", request.base_url);
    Ok(response::json(
        StatusCode::OK,
        content_type,
        &json!({ "instance_id": name, "base_uri": base_uri }),
    ))
}

/// `DELETE /consumers/{group}/instances/{instance}`.
pub async fn delete(gateway: &Gateway, group: &str, name: &str) -> ApiResult<Response> {
    let instance = gateway.consumers().remove(group, name)?;
    instance.close().await;
    Ok(response::no_content())
}

#[derive(Debug, Deserialize)]
struct PartitionIn {
    topic: String,
    partition: i32,
}

#[derive(Debug, Deserialize)]
struct OffsetIn {
    topic: String,
    partition: i32,
    offset: i64,
    #[serde(default)]
    metadata: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OffsetsBody {
    #[serde(default)]
    offsets: Option<Vec<OffsetIn>>,
}

#[derive(Debug, Deserialize)]
struct PartitionsBody {
    #[serde(default)]
    partitions: Option<Vec<PartitionIn>>,
}

#[derive(Debug, Deserialize)]
struct SubscriptionBody {
    #[serde(default)]
    topics: Option<Vec<String>>,
    #[serde(default)]
    topic_pattern: Option<String>,
}

fn tp(p: &PartitionIn) -> TopicPartition {
    TopicPartition::new(p.topic.clone(), p.partition)
}

fn tp_json(tp: &TopicPartition) -> Value {
    json!({ "topic": tp.topic, "partition": tp.partition })
}

/// Maps a consumer error: conflicts and unassigned partitions are 40903,
/// the rest as Kafka errors.
fn consumer_error(e: wire::Error) -> ApiError {
    match e {
        wire::Error::SubscriptionConflict { .. } => illegal_state(format!(
            "Subscription to topics, partitions and pattern are mutually exclusive. ({e})"
        )),
        wire::Error::NotAssigned { .. } => illegal_state(format!("Illegal state: {e}")),
        wire::Error::InvalidArgument(m) => ApiError::unprocessable(m),
        other => ApiError::from(other),
    }
}

/// `POST .../offsets`: commits the given offsets, or everything fetched so
/// far when the body is empty.
pub async fn commit(instance: &ConsumerInstance, request: &mut Request) -> ApiResult<Response> {
    let body: Option<OffsetsBody> = request.json_opt().await?;
    let offsets = body.and_then(|b| b.offsets);
    instance
        .with(async move |consumer: &mut Consumer| match offsets {
            None => consumer.commit_positions().await.map_err(consumer_error),
            Some(list) if list.is_empty() => {
                consumer.commit_positions().await.map_err(consumer_error)
            }
            Some(list) => {
                let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = list
                    .into_iter()
                    .map(|o| {
                        let meta = match o.metadata {
                            Some(m) => OffsetAndMetadata::with_metadata(o.offset, m),
                            None => OffsetAndMetadata::new(o.offset),
                        };
                        (TopicPartition::new(o.topic, o.partition), meta)
                    })
                    .collect();
                consumer.commit(offsets).await.map_err(consumer_error)
            }
        })
        .await?;
    Ok(response::no_content())
}

/// `GET .../offsets`: the committed offsets of the given partitions.
pub async fn committed(
    instance: &ConsumerInstance,
    request: &mut Request,
    content_type: &str,
) -> ApiResult<Response> {
    let body: PartitionsBody = request.json().await?;
    let partitions: Vec<TopicPartition> =
        body.partitions.unwrap_or_default().iter().map(tp).collect();
    let committed = instance
        .with(async |consumer: &mut Consumer| {
            consumer
                .committed(&partitions)
                .await
                .map_err(consumer_error)
        })
        .await?;
    let offsets: Vec<Value> = partitions
        .iter()
        .filter_map(|tp| {
            let c = committed.get(tp)?.as_ref()?;
            Some(json!({
                "topic": tp.topic,
                "partition": tp.partition,
                "offset": c.offset,
                "metadata": c.metadata.clone().unwrap_or_default(),
            }))
        })
        .collect();
    Ok(response::json(
        StatusCode::OK,
        content_type,
        &json!({ "offsets": offsets }),
    ))
}

/// `POST .../subscription`: topics or a pattern.
pub async fn subscribe(instance: &ConsumerInstance, request: &mut Request) -> ApiResult<Response> {
    let body: SubscriptionBody = request.json().await?;
    match (body.topics, body.topic_pattern) {
        (Some(topics), None) if !topics.is_empty() => {
            instance
                .with(async move |consumer: &mut Consumer| {
                    consumer.subscribe(topics).map_err(consumer_error)
                })
                .await?
        }
        (None, Some(pattern)) if !pattern.is_empty() => {
            instance
                .with(async move |consumer: &mut Consumer| {
                    consumer.subscribe_pattern(&pattern).map_err(consumer_error)
                })
                .await?
        }
        (Some(_), Some(_)) => {
            return Err(illegal_state(
                "Subscription to topics, partitions and pattern are mutually exclusive.",
            ))
        }
        _ => {
            return Err(ApiError::unprocessable(
                "A subscription needs a non-empty `topics` list or a `topic_pattern`.",
            ))
        }
    }
    Ok(response::no_content())
}

/// `GET .../subscription`.
pub async fn subscription(instance: &ConsumerInstance, content_type: &str) -> ApiResult<Response> {
    let topics = instance
        .with(async |consumer: &mut Consumer| Ok(consumer.subscription()))
        .await?;
    Ok(response::json(
        StatusCode::OK,
        content_type,
        &json!({ "topics": topics }),
    ))
}

/// `DELETE .../subscription`.
pub async fn unsubscribe(instance: &ConsumerInstance) -> ApiResult<Response> {
    instance
        .with(async |consumer: &mut Consumer| consumer.unsubscribe().await.map_err(consumer_error))
        .await?;
    Ok(response::no_content())
}

/// `POST .../assignments`.
pub async fn assign(instance: &ConsumerInstance, request: &mut Request) -> ApiResult<Response> {
    let body: PartitionsBody = request.json().await?;
    let partitions: Vec<TopicPartition> =
        body.partitions.unwrap_or_default().iter().map(tp).collect();
    instance
        .with(async move |consumer: &mut Consumer| {
            consumer.assign(partitions).map_err(consumer_error)
        })
        .await?;
    Ok(response::no_content())
}

/// `GET .../assignments`.
pub async fn assignments(instance: &ConsumerInstance, content_type: &str) -> ApiResult<Response> {
    let assigned = instance
        .with(async |consumer: &mut Consumer| Ok(consumer.assignment()))
        .await?;
    let partitions: Vec<Value> = assigned.iter().map(tp_json).collect();
    Ok(response::json(
        StatusCode::OK,
        content_type,
        &json!({ "partitions": partitions }),
    ))
}

/// `POST .../positions`: seek to offsets.
pub async fn seek(instance: &ConsumerInstance, request: &mut Request) -> ApiResult<Response> {
    let body: OffsetsBody = request.json().await?;
    let offsets = body.offsets.unwrap_or_default();
    instance
        .with(async move |consumer: &mut Consumer| {
            for o in &offsets {
                consumer
                    .seek(&TopicPartition::new(o.topic.clone(), o.partition), o.offset)
                    .map_err(consumer_error)?;
            }
            Ok(())
        })
        .await?;
    Ok(response::no_content())
}

/// `POST .../positions/beginning` and `.../positions/end`.
pub async fn seek_to(
    instance: &ConsumerInstance,
    request: &mut Request,
    end: bool,
) -> ApiResult<Response> {
    let body: PartitionsBody = request.json().await?;
    let partitions: Vec<TopicPartition> =
        body.partitions.unwrap_or_default().iter().map(tp).collect();
    if partitions.is_empty() {
        return Err(ApiError::unprocessable("`partitions` may not be empty."));
    }
    instance
        .with(async move |consumer: &mut Consumer| {
            if end {
                consumer.seek_to_end(&partitions)
            } else {
                consumer.seek_to_beginning(&partitions)
            }
            .map_err(consumer_error)
        })
        .await?;
    Ok(response::no_content())
}

/// `GET .../records?timeout=&max_bytes=`.
pub async fn records(
    gateway: &Gateway,
    instance: &ConsumerInstance,
    request: &Request,
) -> ApiResult<Response> {
    // The consumer's format decides the response type; an Accept header that
    // asks for another embedded format is 406 / 40601.
    let offered = [
        instance.format.v2_media_type(),
        negotiate::V2_JSON,
        "application/vnd.kafka+json",
        negotiate::JSON,
    ];
    let asked = negotiate::accepted_formats(request.accept());
    if !asked.is_empty() && !asked.contains(&instance.format) {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            40601,
            format!(
                "The requested embedded data format does not match the deserializer for this \
                 consumer instance ({}).",
                instance.format
            ),
        ));
    }
    let content_type = negotiate::choose(request.accept(), &offered)
        .ok_or_else(|| ApiError::not_acceptable("HTTP 406 Not Acceptable"))?;
    let number = |name: &str| -> ApiResult<Option<u64>> {
        request
            .query_param(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(format!("Query parameter `{name}` must be a number"))
                })
            })
            .transpose()
    };
    let mut timeout = instance.request_timeout;
    if let Some(t) = number("timeout")? {
        timeout = timeout.min(Duration::from_millis(t));
    }
    let mut max_bytes = gateway.config().consumer_request_max_bytes;
    if let Some(m) = number("max_bytes")? {
        max_bytes = max_bytes.min(m);
    }
    let max_bytes = usize::try_from(max_bytes).unwrap_or(usize::MAX).max(1);
    let format = instance.format;
    let registry = match SchemaType::of_format(format) {
        Some(kind) => Some((gateway.schema_registry()?, kind)),
        None => None,
    };
    let body = instance
        .with(async move |consumer: &mut Consumer| {
            let records = consumer
                .poll(timeout, max_bytes)
                .await
                .map_err(consumer_error)?;
            let decoded = match &registry {
                Some((registry, kind)) => fetch_schemas(registry, *kind, &records).await,
                None => Ok(Schemas::new()),
            }
            .and_then(|schemas| {
                records
                    .iter()
                    .map(|r| record_json(format, &schemas, r))
                    .collect::<ApiResult<Vec<_>>>()
            });
            match decoded {
                Ok(body) => Ok(body),
                Err(e) => {
                    // Nothing is lost: the records go back to be fetched again.
                    rewind(consumer, &records);
                    Err(e)
                }
            }
        })
        .await?;
    Ok(response::json(
        StatusCode::OK,
        content_type,
        &Value::Array(body),
    ))
}

/// Moves each partition back to the first of `records` it returned.
fn rewind(consumer: &mut Consumer, records: &[ConsumedRecord]) {
    let mut first: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    for r in records {
        first
            .entry(TopicPartition::new(r.topic.to_string(), r.partition))
            .and_modify(|o| *o = (*o).min(r.offset))
            .or_insert(r.offset);
    }
    for (tp, offset) in first {
        if let Err(e) = consumer.seek(&tp, offset) {
            tracing::warn!("cannot rewind {tp} to {offset}: {e}");
        }
    }
}

/// The schemas of a poll's keys and values, by ID.
type Schemas = HashMap<i32, Arc<RegisteredSchema>>;

/// Fetches (or finds cached) the schema of every key and value of
/// `records`; a key or value not in the Schema Registry wire format, or
/// whose schema is not of type `kind`, is an error naming its record.
async fn fetch_schemas(
    registry: &SchemaRegistry,
    kind: SchemaType,
    records: &[ConsumedRecord],
) -> ApiResult<Schemas> {
    let mut schemas = Schemas::new();
    for r in records {
        for data in [r.key.as_deref(), r.value.as_deref()].into_iter().flatten() {
            let (id, _) = schema_registry::unframe(data)
                .map_err(|e| at_record(ApiError::kafka(format!("Cannot deserialize: {e}")), r))?;
            if let std::collections::hash_map::Entry::Vacant(slot) = schemas.entry(id) {
                let schema = registry
                    .by_id(id)
                    .await
                    .map_err(|e| at_record(registry_error(e), r))?;
                schema.expect_type(kind).map_err(|e| {
                    at_record(ApiError::kafka(format!("Cannot deserialize: {e}")), r)
                })?;
                slot.insert(schema);
            }
        }
    }
    Ok(schemas)
}

/// A consumed record: `topic`, `key`, `value`, `partition`, `offset`, and
/// also `timestamp` and `headers` (`[{"name", "value": base64}]`).
fn record_json(format: EmbeddedFormat, schemas: &Schemas, r: &ConsumedRecord) -> ApiResult<Value> {
    let data = |data: Option<&[u8]>, root: &str| match SchemaType::of_format(format) {
        Some(_) => schema_json(schemas, data, root),
        None => format::encode(format, data),
    };
    let headers: Vec<Value> = r
        .headers
        .iter()
        .map(|h| {
            json!({
                "name": String::from_utf8_lossy(h.key.as_bytes()),
                "value": h.value.as_deref().map(format::binary::encode),
            })
        })
        .collect();
    Ok(json!({
        "topic": &*r.topic,
        "key": data(r.key.as_deref(), "key").map_err(|e| at_record(e, r))?,
        "value": data(r.value.as_deref(), "value").map_err(|e| at_record(e, r))?,
        "partition": r.partition,
        "offset": r.offset,
        "timestamp": r.timestamp,
        "headers": headers,
    }))
}

/// A registry failure while reading records: a schema the gateway cannot
/// read is 500 / 50002 (the registry's schema, not the request, is at
/// fault); a lookup that failed is 408 / 40801.
fn registry_error(e: RegistryError) -> ApiError {
    match e {
        RegistryError::InvalidSchema(_) => ApiError::kafka(format!("Cannot deserialize: {e}")),
        other => other.into(),
    }
}

/// A schema-format key or value as JSON; `schemas` holds its schema (see
/// [`fetch_schemas`]).
fn schema_json(schemas: &Schemas, data: Option<&[u8]>, root: &str) -> ApiResult<Value> {
    let Some(data) = data else {
        return Ok(Value::Null);
    };
    let (id, datum) = schema_registry::unframe(data)
        .map_err(|e| ApiError::kafka(format!("Cannot deserialize {root}: {e}")))?;
    let schema = schemas
        .get(&id)
        .ok_or_else(|| ApiError::kafka(format!("Schema {id} was not fetched")))?;
    schema
        .schema
        .decode(datum, root)
        .map_err(|e| ApiError::kafka(format!("Cannot deserialize with schema {id}: {e}")))
}

/// Names the record an encoding error is about.
fn at_record(mut e: ApiError, r: &ConsumedRecord) -> ApiError {
    e.message = format!(
        "{} (topic {}, partition {}, offset {})",
        e.message, r.topic, r.partition, r.offset
    );
    e
}
