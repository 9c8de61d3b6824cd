//! v3 topics: list and get (from the cluster's metadata), create
//! (CreateTopics, with a dry-run mode), add partitions (CreatePartitions)
//! and delete (DeleteTopics).
//!
//! # References
//! - Confluent REST Proxy API reference, "Topic (v3)"
//! - KIP-4 (CreateTopics, DeleteTopics), KIP-195 (CreatePartitions),
//!   KIP-464 (broker defaults for partitions and replication factor)

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use wire::admin::NewTopic;
use wire::cluster::TopicMetadata;

use crate::error::{ApiError, ApiResult};
use crate::request::Request;
use crate::response::{self, Response};
use crate::v3::body::{int_item, Fields};
use crate::v3::{created, ok, Context, KafkaResultExt as _};

/// How long a create or a partition increase waits for the cluster's
/// metadata to show the result before answering with what the controller
/// reported.
const METADATA_WAIT: Duration = Duration::from_secs(5);

/// A topic resource.
pub fn topic_json(ctx: &Context<'_>, t: &TopicMetadata) -> Value {
    let replication_factor = t.partitions.first().map_or(0, |p| p.replicas.len());
    topic_parts_json(
        ctx,
        &t.name,
        t.is_internal,
        replication_factor,
        t.partitions.len(),
    )
}

/// A topic resource from its parts.
pub fn topic_parts_json(
    ctx: &Context<'_>,
    name: &str,
    is_internal: bool,
    replication_factor: usize,
    partitions_count: usize,
) -> Value {
    let links = &ctx.links;
    let path = format!("/topics/{name}");
    json!({
        "kind": "KafkaTopic",
        "metadata": links.metadata(&path, &[("topic", name)]),
        "cluster_id": links.cluster_id(),
        "topic_name": name,
        "is_internal": is_internal,
        "replication_factor": replication_factor,
        "partitions_count": partitions_count,
        "partitions": links.related(&format!("{path}/partitions")),
        "configs": links.related(&format!("{path}/configs")),
        "partition_reassignments": links.related(&format!("{path}/partitions/-/reassignments")),
    })
}

/// `GET /clusters/{cluster_id}/topics`, sorted by name.
pub async fn list(ctx: &Context<'_>) -> ApiResult<Response> {
    let metadata = ctx.gateway.client().await?.refresh_metadata().await?;
    let mut topics: Vec<_> = metadata.topics.values().collect();
    topics.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let data = topics.iter().map(|t| topic_json(ctx, t)).collect();
    ok(&ctx.links.list("KafkaTopicList", "/topics", data))
}

/// `GET /clusters/{cluster_id}/topics/{topic_name}`.
pub async fn get(ctx: &Context<'_>, topic: &str) -> ApiResult<Response> {
    let t = crate::v3::partitions::topic(ctx, topic).await?;
    ok(&topic_json(ctx, &t))
}

/// 404 / 40403 for an unknown topic, as v3 answers.
pub fn v3_topic_not_found(topic: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::NOT_FOUND,
        40403,
        format!("This server does not host this topic-partition. (topic {topic})"),
    )
}

/// `POST /clusters/{cluster_id}/topics`: creates a topic (201), or with
/// `"validate_only": true` only checks that it could be created (200).
///
/// Body: `topic_name` (required), `partitions_count` and
/// `replication_factor` (the broker's defaults when left out), or
/// `replicas_assignments` (`{"0": [1, 2], ...}`, partitions 0 to n-1,
/// preferred leader first) instead of both, `configs` (`[{"name",
/// "value"}]`), `validate_only`. An existing topic, a bad count or
/// assignment, or a config Kafka refuses is 400 / 40002 with Kafka's
/// message.
pub async fn create(ctx: &Context<'_>, request: &mut Request) -> ApiResult<Response> {
    let body = Fields::read(request).await?;
    let (topic, validate_only) = new_topic(&body)?;
    let admin = ctx.gateway.admin().await?;
    let result = admin.create_topic(&topic, validate_only).await.v3()?;
    let requested_partitions = topic
        .partitions
        .or_else(|| (!topic.assignments.is_empty()).then_some(topic.assignments.len() as i32));
    let requested_replication = topic.replication_factor.or_else(|| {
        topic
            .assignments
            .values()
            .next()
            .and_then(|r| i16::try_from(r.len()).ok())
    });
    let reported = |partitions: Option<i32>, replication: Option<i16>| {
        topic_parts_json(
            ctx,
            &topic.name,
            false,
            replication
                .or(requested_replication)
                .map_or(0, |r| usize::try_from(r).unwrap_or(0)),
            partitions
                .or(requested_partitions)
                .map_or(0, |p| usize::try_from(p).unwrap_or(0)),
        )
    };
    if validate_only {
        return ok(&reported(result.partitions, result.replication_factor));
    }
    // Answer with the topic as the metadata shows it once its partitions
    // have leaders, so that what follows the 201 finds it; a cluster slow
    // to propagate it gets the controller's report instead.
    match tokio::time::timeout(METADATA_WAIT, admin.wait_for_topic(&topic.name)).await {
        Ok(Ok(t)) => created(&topic_json(ctx, &t)),
        _ => created(&reported(result.partitions, result.replication_factor)),
    }
}

/// Reads a create request body.
fn new_topic(body: &Fields) -> ApiResult<(NewTopic, bool)> {
    let name = body.str("topic_name")?;
    if name.is_empty() {
        return Err(ApiError::bad_request("topic_name: may not be empty"));
    }
    let mut topic = NewTopic::new(name);
    topic.partitions = body.opt_int("partitions_count")?;
    topic.replication_factor = body.opt_int("replication_factor")?;
    if let Some(assignments) = body.opt_object("replicas_assignments")? {
        if topic.partitions.is_some() || topic.replication_factor.is_some() {
            return Err(ApiError::unprocessable(
                "replicas_assignments cannot be given together with partitions_count or \
                 replication_factor.",
            ));
        }
        topic.assignments = replica_assignments(assignments)?;
    }
    if let Some(configs) = body.opt_array("configs")? {
        for (i, entry) in configs.iter().enumerate() {
            let entry = Fields::of(entry.clone(), &format!("configs[{i}]"))?;
            let name = entry.str("name")?;
            if name.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "configs[{i}].name: may not be empty"
                )));
            }
            // A null value asks for the default, as leaving the config out.
            if let Some(value) = entry.opt_str("value")? {
                if topic.configs.contains_key(name) {
                    return Err(ApiError::unprocessable(format!(
                        "configs: {name} is given more than once."
                    )));
                }
                topic.configs.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    let validate_only = body.opt_bool("validate_only")?.unwrap_or(false);
    Ok((topic, validate_only))
}

/// Reads `replicas_assignments`: partition ids `0..n` to broker id lists.
fn replica_assignments(
    assignments: &serde_json::Map<String, Value>,
) -> ApiResult<BTreeMap<i32, Vec<i32>>> {
    let mut out = BTreeMap::new();
    for (key, brokers) in assignments {
        let partition: i32 = key.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "replicas_assignments: `{key}` is not a partition id"
            ))
        })?;
        let path = format!("replicas_assignments.{key}");
        let list = brokers.as_array().ok_or_else(|| {
            ApiError::bad_request(format!(
                "{path}: expected an array of broker ids, found {}",
                crate::v3::body::describe(brokers)
            ))
        })?;
        let ids = list
            .iter()
            .enumerate()
            .map(|(i, b)| int_item(b, &format!("{path}[{i}]")))
            .collect::<ApiResult<Vec<i32>>>()?;
        if ids.is_empty() {
            return Err(ApiError::unprocessable(format!(
                "{path}: a partition needs at least one replica."
            )));
        }
        out.insert(partition, ids);
    }
    let expected: Vec<i32> = (0..out.len() as i32).collect();
    if out.keys().copied().ne(expected.iter().copied()) {
        return Err(ApiError::unprocessable(format!(
            "replicas_assignments must name partitions 0 to {} without gaps.",
            out.len().saturating_sub(1)
        )));
    }
    Ok(out)
}

/// `PATCH /clusters/{cluster_id}/topics/{topic_name}` with
/// `{"partitions_count": n}`: raises the partition count (CreatePartitions).
/// A count that is not higher than the current one is 400 / 40002; a
/// cluster without CreatePartitions gives 400 / 40035.
pub async fn update_partition_count(
    ctx: &Context<'_>,
    request: &mut Request,
    topic: &str,
) -> ApiResult<Response> {
    let body = Fields::read(request).await?;
    let count: i32 = body.int("partitions_count")?;
    let admin = ctx.gateway.admin().await?;
    let current = admin.describe_topic(topic).await.v3()?;
    let have = current.partitions.len();
    match usize::try_from(count) {
        Ok(n) if n == have => {
            return Err(ApiError::kafka_bad_request(format!(
                "Topic already has {have} partitions."
            )))
        }
        Ok(n) if n > have => {}
        _ => {
            return Err(ApiError::kafka_bad_request(format!(
                "Topic {topic} currently has {have} partitions; {count} would not be an \
                 increase."
            )))
        }
    }
    admin
        .create_partitions(topic, count, None, false)
        .await
        .v3()?;
    let deadline = tokio::time::Instant::now() + METADATA_WAIT;
    loop {
        let t = admin.describe_topic(topic).await.v3()?;
        if t.partitions.len() >= count as usize || tokio::time::Instant::now() >= deadline {
            return ok(&topic_json(ctx, &t));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `DELETE /clusters/{cluster_id}/topics/{topic_name}` (204).
pub async fn delete(ctx: &Context<'_>, topic: &str) -> ApiResult<Response> {
    let admin = ctx.gateway.admin().await?;
    admin.delete_topic(topic).await.v3()?;
    Ok(response::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: Value) -> ApiResult<(NewTopic, bool)> {
        new_topic(&Fields::of(body, "")?)
    }

    #[test]
    fn create_bodies() {
        let (t, validate) = read(json!({"topic_name": "t", "partitions_count": 64,
            "replication_factor": 3, "configs": [{"name": "cleanup.policy", "value": "compact"},
            {"name": "retention.ms", "value": null}], "validate_only": true}))
        .unwrap();
        assert!(validate);
        assert_eq!((t.partitions, t.replication_factor), (Some(64), Some(3)));
        assert_eq!(t.configs.len(), 1);
        let (t, validate) = read(json!({"topic_name": "t",
            "replicas_assignments": {"0": [1, 2], "1": [2, 3], "2": [3, 1]}}))
        .unwrap();
        assert!(!validate);
        assert_eq!(t.assignments[&2], vec![3, 1]);
        assert_eq!((t.partitions, t.replication_factor), (None, None));
        let (t, _) = read(json!({"topic_name": "t"})).unwrap();
        assert_eq!((t.partitions, t.replication_factor), (None, None));
    }

    #[test]
    fn bad_create_bodies() {
        let cases = [
            (json!({}), 400, "topic_name: this field is required"),
            (
                json!({"topic_name": 5}),
                400,
                "topic_name: expected a string",
            ),
            (
                json!({"topic_name": ""}),
                400,
                "topic_name: may not be empty",
            ),
            (
                json!({"topic_name": "t", "partitions_count": "A"}),
                400,
                "partitions_count: expected an integer",
            ),
            (
                json!({"topic_name": "t", "replication_factor": 70000}),
                400,
                "replication_factor: expected an integer",
            ),
            (
                json!({"topic_name": "t", "validate_only": "yes"}),
                400,
                "validate_only: expected a boolean",
            ),
            (
                json!({"topic_name": "t", "configs": [{"value": "x"}]}),
                400,
                "configs[0].name: this field is required",
            ),
            (
                json!({"topic_name": "t", "replicas_assignments": {"a": [1]}}),
                400,
                "replicas_assignments: `a` is not a partition id",
            ),
            (
                json!({"topic_name": "t", "replicas_assignments": {"0": [1, "x"]}}),
                400,
                "replicas_assignments.0[1]: expected an integer",
            ),
            (
                json!({"topic_name": "t", "replicas_assignments": {"0": [1], "2": [1]}}),
                422,
                "partitions 0 to 1",
            ),
            (
                json!({"topic_name": "t", "partitions_count": 2,
                       "replicas_assignments": {"0": [1]}}),
                422,
                "cannot be given together",
            ),
        ];
        for (body, code, message) in cases {
            let e = read(body.clone()).unwrap_err();
            assert_eq!(e.error_code, code, "{body}: {e}");
            assert!(e.message.contains(message), "{body}: {e}");
        }
    }
}
