//! `POST /v2/databases/{database_cluster_uuid}/topics`: creates a topic and
//! answers `201` with `{"topic": ...}` — its partitions, replication factor,
//! state and every setting of this API's config list.

use std::collections::BTreeMap;
use std::time::Duration;

use http::StatusCode;
use serde_json::{json, Map, Value};
use wire::admin::{ConfigResource, NewTopic};
use wire::cluster::TopicMetadata;
use wire::protocol::api::fetch::IsolationLevel;
use wire::{Admin, TopicPartition};

use super::{config, ProviderError};
use crate::app::Gateway;
use crate::negotiate::JSON;
use crate::request::Request;
use crate::response::{self, Response};

/// How long to wait for the new topic's partitions to have leaders before
/// answering with the state `configuring`.
const METADATA_WAIT: Duration = Duration::from_secs(5);

/// Creates the topic the body describes.
pub async fn create(gateway: &Gateway, request: &mut Request) -> Result<Response, ProviderError> {
    if !crate::negotiate::is_json(request.content_type()) {
        return Err(ProviderError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The request body must be application/json.",
        ));
    }
    let body: Value = request
        .json_opt()
        .await?
        .ok_or_else(|| ProviderError::bad_request("The request body may not be empty."))?;
    let topic = new_topic(&body)?;
    let admin = gateway.admin().await?;
    admin.create_topic(&topic, false).await?;
    let (metadata, state) =
        match tokio::time::timeout(METADATA_WAIT, admin.wait_for_topic(&topic.name)).await {
            Ok(Ok(t)) => (Some(t), "active"),
            _ => (None, "configuring"),
        };
    let partitions = match &metadata {
        Some(t) => partitions_json(&admin, t).await,
        None => Vec::new(),
    };
    let replication_factor = metadata
        .as_ref()
        .and_then(|t| t.partitions.first())
        .map(|p| p.replicas.len() as i64)
        .or(topic.replication_factor.map(i64::from));
    let body = json!({
        "topic": {
            "name": topic.name,
            "partitions": partitions,
            "replication_factor": replication_factor,
            "state": state,
            "config": config_json(&admin, &topic.name).await?,
        }
    });
    Ok(response::json(StatusCode::CREATED, JSON, &body))
}

/// Reads the body: `name`, `partition_count` (or `partitions`, as the
/// reference's request sample writes it), `replication_factor` (or
/// `replication`) and `config`.
fn new_topic(body: &Value) -> Result<NewTopic, ProviderError> {
    let Some(fields) = body.as_object() else {
        return Err(ProviderError::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    const KNOWN: [&str; 6] = [
        "name",
        "partition_count",
        "partitions",
        "replication_factor",
        "replication",
        "config",
    ];
    if let Some(unknown) = fields.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ProviderError::unprocessable(format!(
            "{unknown}: not a field of a topic."
        )));
    }
    let name = match fields.get("name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ProviderError::unprocessable(
                "name: a topic name is required.",
            ))
        }
        Some(other) => {
            return Err(ProviderError::unprocessable(format!(
                "name: must be a string, not {other}."
            )))
        }
    };
    if let Err(why) = legal_topic_name(&name) {
        return Err(ProviderError::unprocessable(format!("name: {why}")));
    }
    let mut topic = NewTopic::new(name);
    topic.partitions =
        count(fields, "partition_count", "partitions", i64::from(i32::MAX))?.map(|n| n as i32);
    topic.replication_factor = count(
        fields,
        "replication_factor",
        "replication",
        i64::from(i16::MAX),
    )?
    .map(|n| n as i16);
    match fields.get("config") {
        None | Some(Value::Null) => {}
        Some(Value::Object(settings)) => {
            for (name, value) in settings {
                let (kafka, value) =
                    config::to_kafka(name, value).map_err(ProviderError::unprocessable)?;
                topic.configs.insert(kafka.to_owned(), value);
            }
        }
        Some(other) => {
            return Err(ProviderError::unprocessable(format!(
                "config: must be an object, not {other}."
            )))
        }
    }
    Ok(topic)
}

/// Kafka's rule for topic names: 1 to 249 characters of ASCII letters,
/// digits, `.`, `_` and `-`, and neither `.` nor `..`.
fn legal_topic_name(name: &str) -> Result<(), String> {
    if name == "." || name == ".." {
        return Err(format!("'{name}' is not a legal topic name."));
    }
    if name.len() > 249 {
        return Err(format!(
            "a topic name has at most 249 characters, not {}.",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(c) => Err(format!(
            "'{c}' may not appear in a topic name (letters, digits, '.', '_' and '-' may)."
        )),
        None => Ok(()),
    }
}

/// A positive count under `name` or its alias (both only if they agree).
fn count(
    fields: &Map<String, Value>,
    name: &str,
    alias: &str,
    max: i64,
) -> Result<Option<i64>, ProviderError> {
    let read = |key: &str| -> Result<Option<i64>, ProviderError> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ProviderError::unprocessable(format!(
                    "{key}: must be an integer from 1 to {max}, not {v}."
                ))),
            },
        }
    };
    match (read(name)?, read(alias)?) {
        (Some(a), Some(b)) if a != b => Err(ProviderError::unprocessable(format!(
            "{name} and {alias} name the same count and differ ({a} and {b})."
        ))),
        (a, b) => Ok(a.or(b)),
    }
}

/// Each partition: id, size in bytes (from the leader's log directories,
/// where the cluster reports them; a topic just created holds nothing),
/// in-sync replica count, earliest offset, and `consumer_groups` null (no
/// group has committed offsets on a topic just created).
async fn partitions_json(admin: &Admin, topic: &TopicMetadata) -> Vec<Value> {
    let tps: Vec<TopicPartition> = topic
        .partitions
        .iter()
        .map(|p| TopicPartition::new(topic.name.clone(), p.id))
        .collect();
    let earliest: BTreeMap<TopicPartition, i64> = admin
        .watermarks(&tps, IsolationLevel::ReadUncommitted)
        .await
        .map(|marks| {
            marks
                .into_iter()
                .filter_map(|(tp, w)| w.ok().map(|w| (tp, w.earliest)))
                .collect()
        })
        .unwrap_or_default();
    let sizes = leader_sizes(admin, topic, &tps).await;
    topic
        .partitions
        .iter()
        .zip(&tps)
        .map(|(p, tp)| {
            json!({
                "size": sizes.get(tp).copied().unwrap_or(0),
                "id": p.id,
                "in_sync_replicas": p.isr.len(),
                "earliest_offset": earliest.get(tp).copied().unwrap_or(0),
                "consumer_groups": null,
            })
        })
        .collect()
}

/// The size of each partition's leader replica, from DescribeLogDirs on the
/// leaders (empty where a broker does not answer it).
async fn leader_sizes(
    admin: &Admin,
    topic: &TopicMetadata,
    tps: &[TopicPartition],
) -> BTreeMap<TopicPartition, i64> {
    let mut by_leader: BTreeMap<i32, Vec<TopicPartition>> = BTreeMap::new();
    for (p, tp) in topic.partitions.iter().zip(tps) {
        by_leader.entry(p.leader).or_default().push(tp.clone());
    }
    let mut sizes = BTreeMap::new();
    for (leader, partitions) in by_leader {
        let Ok(dirs) = admin.describe_log_dirs(leader, Some(&partitions)).await else {
            continue;
        };
        for replica in dirs.iter().flat_map(|d| &d.replicas) {
            if !replica.is_future {
                sizes.insert(replica.partition.clone(), replica.size);
            }
        }
    }
    sizes
}

/// The topic's settings that this API names, from DescribeConfigs.
async fn config_json(admin: &Admin, topic: &str) -> Result<Value, ProviderError> {
    let resource = ConfigResource::Topic(topic.to_owned());
    let mut described = admin
        .describe_configs(
            std::slice::from_ref(&resource),
            &crate::v3::configs::describe_options(),
        )
        .await?;
    let entries = described
        .remove(&resource)
        .ok_or_else(|| ProviderError::from_kafka(&wire::Error::UnknownTopic(topic.to_owned())))??;
    let mut out = Map::new();
    for entry in entries {
        if let Some((name, value)) = entry
            .value
            .as_deref()
            .and_then(|v| config::from_kafka(&entry.name, v))
        {
            out.insert(name.to_owned(), value);
        }
    }
    Ok(Value::Object(out))
}
