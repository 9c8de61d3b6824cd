//! v2 partitions: list, get one, and its offsets.

use std::sync::Arc;

use http::StatusCode;
use serde_json::{json, Value};
use wire::cluster::{PartitionMetadata, TopicMetadata};
use wire::protocol::api::fetch::IsolationLevel;
use wire::protocol::api::list_offsets::OffsetSpec;

use crate::app::Gateway;
use crate::error::{ApiError, ApiResult};
use crate::response::{self, Response};

/// Parses a partition id from a path segment (404 / 40402 when it is not
/// a partition number).
pub fn parse_id(segment: &str) -> ApiResult<i32> {
    segment.parse::<i32>().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            40402,
            format!("Partition `{segment}` is not a partition id."),
        )
    })
}

/// A partition as v2 shows it: leader and replicas with `leader`/`in_sync`.
pub fn partition_json(p: &PartitionMetadata) -> Value {
    json!({
        "partition": p.id,
        "leader": p.leader,
        "replicas": p.replicas.iter().map(|&broker| json!({
            "broker": broker,
            "leader": broker == p.leader,
            "in_sync": p.isr.contains(&broker),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /topics/{topic}/partitions`.
pub async fn list(gateway: &Gateway, topic: &str, content_type: &str) -> ApiResult<Response> {
    let t = topic_metadata(gateway, topic).await?;
    let body: Vec<Value> = t.partitions.iter().map(partition_json).collect();
    Ok(response::json(StatusCode::OK, content_type, &json!(body)))
}

/// `GET /topics/{topic}/partitions/{partition}`.
pub async fn get(
    gateway: &Gateway,
    topic: &str,
    partition: i32,
    content_type: &str,
) -> ApiResult<Response> {
    let t = topic_metadata(gateway, topic).await?;
    let p = t
        .partition(partition)
        .ok_or_else(|| ApiError::partition_not_found(topic, partition))?;
    Ok(response::json(
        StatusCode::OK,
        content_type,
        &partition_json(p),
    ))
}

/// `GET /topics/{topic}/partitions/{partition}/offsets`: `beginning_offset`
/// and `end_offset`.
pub async fn offsets(
    gateway: &Gateway,
    topic: &str,
    partition: i32,
    content_type: &str,
) -> ApiResult<Response> {
    let client = gateway.client().await?;
    let t = client.topic(topic).await?;
    if t.partition(partition).is_none() {
        return Err(ApiError::partition_not_found(topic, partition));
    }
    let isolation = IsolationLevel::ReadUncommitted;
    let (beginning, end) = tokio::try_join!(
        client.list_offset(topic, partition, OffsetSpec::Earliest, isolation),
        client.list_offset(topic, partition, OffsetSpec::Latest, isolation),
    )?;
    let body = json!({
        "beginning_offset": beginning.offset,
        "end_offset": end.offset,
    });
    Ok(response::json(StatusCode::OK, content_type, &body))
}

/// The topic's current metadata (404 / 40401 when unknown).
pub(crate) async fn topic_metadata(
    gateway: &Gateway,
    topic: &str,
) -> ApiResult<Arc<TopicMetadata>> {
    gateway.fresh_topic(topic, ApiError::topic_not_found).await
}
