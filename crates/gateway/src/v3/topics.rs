//! v3 topics: list and get (from the cluster's metadata).

use serde_json::{json, Value};
use wire::cluster::TopicMetadata;

use crate::error::{ApiError, ApiResult};
use crate::response::Response;
use crate::v3::{ok, Context};

/// A topic resource.
pub fn topic_json(ctx: &Context<'_>, t: &TopicMetadata) -> Value {
    let links = &ctx.links;
    let path = format!("/topics/{}", t.name);
    let replication_factor = t.partitions.first().map_or(0, |p| p.replicas.len());
    json!({
        "kind": "KafkaTopic",
        "metadata": links.metadata(&path, &[("topic", &t.name)]),
        "cluster_id": links.cluster_id(),
        "topic_name": t.name,
        "is_internal": t.is_internal,
        "replication_factor": replication_factor,
        "partitions_count": t.partitions.len(),
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
    let metadata = ctx.gateway.client().await?.refresh_metadata().await?;
    let t = metadata
        .topics
        .get(topic)
        .ok_or_else(|| v3_topic_not_found(topic))?;
    ok(&topic_json(ctx, t))
}

/// 404 / 40403 for an unknown topic, as v3 answers.
pub fn v3_topic_not_found(topic: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::NOT_FOUND,
        40403,
        format!("This server does not host this topic-partition. (topic {topic})"),
    )
}
