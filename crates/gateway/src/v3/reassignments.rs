//! v3 partition reassignments in progress: of the whole cluster, of one
//! topic, of one partition (ListPartitionReassignments).
//!
//! # References
//! - Confluent REST Proxy API reference, "Partition (v3)", reassignments
//! - KIP-455 (reassignment APIs)

use serde_json::{json, Value};
use wire::admin::PartitionReassignment;
use wire::TopicPartition;

use crate::error::{ApiError, ApiResult};
use crate::response::Response;
use crate::v3::partitions::partition_not_found;
use crate::v3::{ok, Context, KafkaResultExt as _};

/// A reassignment resource.
pub fn reassignment_json(ctx: &Context<'_>, r: &PartitionReassignment) -> Value {
    let links = &ctx.links;
    let topic = &r.partition.topic;
    let partition = r.partition.partition;
    let path = format!("/topics/{topic}/partitions/{partition}");
    json!({
        "kind": "KafkaReassignment",
        "metadata": {
            "self": links.url(&format!("{path}/reassignment")),
            "resource_name": format!(
                "{}/reassignment",
                links.crn(&[("topic", topic), ("partition", &partition.to_string())])
            ),
        },
        "cluster_id": links.cluster_id(),
        "topic_name": topic,
        "partition_id": partition,
        "adding_replicas": r.adding_replicas,
        "removing_replicas": r.removing_replicas,
        "replicas": links.related(&format!("{path}/replicas")),
    })
}

/// `GET /topics/-/partitions/-/reassignment` (`topic`: `None`) and
/// `GET /topics/{topic_name}/partitions/-/reassignment`.
pub async fn list(ctx: &Context<'_>, topic: Option<&str>) -> ApiResult<Response> {
    let admin = ctx.gateway.admin().await?;
    let topics = topic.map(|t| vec![t.to_owned()]);
    let reassignments = admin
        .list_partition_reassignments(topics.as_deref())
        .await
        .v3()?;
    let data = reassignments
        .iter()
        .map(|r| reassignment_json(ctx, r))
        .collect();
    let path = match topic {
        Some(t) => format!("/topics/{t}/partitions/-/reassignment"),
        None => "/topics/-/partitions/-/reassignment".to_owned(),
    };
    ok(&ctx.links.list("KafkaReassignmentList", &path, data))
}

/// `GET /topics/{topic_name}/partitions/{partition_id}/reassignment`: 404
/// when the partition is not being reassigned.
pub async fn get(ctx: &Context<'_>, topic: &str, partition: i32) -> ApiResult<Response> {
    let admin = ctx.gateway.admin().await?;
    let t = admin.describe_topic(topic).await.v3()?;
    if t.partition(partition).is_none() {
        return Err(partition_not_found());
    }
    let tp = TopicPartition::new(topic, partition);
    let reassignments = admin
        .list_reassignments_of(std::slice::from_ref(&tp))
        .await
        .v3()?;
    let r = reassignments
        .iter()
        .find(|r| r.partition == tp)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No reassignment of partition {partition} of topic {topic} is in progress."
            ))
        })?;
    ok(&reassignment_json(ctx, r))
}
