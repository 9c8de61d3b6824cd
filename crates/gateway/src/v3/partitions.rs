//! v3 partitions: list and get.

use std::sync::Arc;

use serde_json::{json, Value};
use wire::cluster::{PartitionMetadata, TopicMetadata};

use crate::error::{ApiError, ApiResult};
use crate::response::Response;
use crate::v3::topics::v3_topic_not_found;
use crate::v3::{ok, Context};

/// A partition resource.
pub fn partition_json(ctx: &Context<'_>, topic: &str, p: &PartitionMetadata) -> Value {
    let links = &ctx.links;
    let path = format!("/topics/{topic}/partitions/{}", p.id);
    let leader = if p.leader >= 0 {
        links.related(&format!("{path}/replicas/{}", p.leader))
    } else {
        Value::Null
    };
    json!({
        "kind": "KafkaPartition",
        "metadata": links.metadata(&path, &[("topic", topic), ("partition", &p.id.to_string())]),
        "cluster_id": links.cluster_id(),
        "topic_name": topic,
        "partition_id": p.id,
        "leader": leader,
        "replicas": links.related(&format!("{path}/replicas")),
        "reassignment": links.related(&format!("{path}/reassignment")),
    })
}

/// Parses a partition id path segment (404 / 40403 when it is not one).
pub fn parse_id(segment: &str) -> ApiResult<i32> {
    segment.parse().map_err(|_| partition_not_found())
}

/// 404 / 40403 for an unknown partition.
pub fn partition_not_found() -> ApiError {
    ApiError::new(
        http::StatusCode::NOT_FOUND,
        40403,
        "This server does not host this topic-partition.",
    )
}

/// The current metadata of `topic` (404 / 40403 when unknown).
pub async fn topic(ctx: &Context<'_>, topic: &str) -> ApiResult<Arc<TopicMetadata>> {
    ctx.gateway.fresh_topic(topic, v3_topic_not_found).await
}

/// `GET .../topics/{topic_name}/partitions`.
pub async fn list(ctx: &Context<'_>, topic_name: &str) -> ApiResult<Response> {
    let t = topic(ctx, topic_name).await?;
    let data = t
        .partitions
        .iter()
        .map(|p| partition_json(ctx, &t.name, p))
        .collect();
    ok(&ctx.links.list(
        "KafkaPartitionList",
        &format!("/topics/{topic_name}/partitions"),
        data,
    ))
}

/// `GET .../topics/{topic_name}/partitions/{partition_id}`.
pub async fn get(ctx: &Context<'_>, topic_name: &str, partition: i32) -> ApiResult<Response> {
    let t = topic(ctx, topic_name).await?;
    let p = t.partition(partition).ok_or_else(partition_not_found)?;
    ok(&partition_json(ctx, &t.name, p))
}
