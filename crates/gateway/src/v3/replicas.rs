//! v3 replicas of a partition: list and get, with `is_leader` and
//! `is_in_sync` from the metadata.

use serde_json::{json, Value};
use wire::cluster::PartitionMetadata;

use crate::error::{ApiError, ApiResult};
use crate::response::Response;
use crate::v3::partitions::{partition_not_found, topic};
use crate::v3::{ok, Context};

/// A replica resource.
pub fn replica_json(ctx: &Context<'_>, topic: &str, p: &PartitionMetadata, broker: i32) -> Value {
    let links = &ctx.links;
    let path = format!("/topics/{topic}/partitions/{}/replicas/{broker}", p.id);
    json!({
        "kind": "KafkaReplica",
        "metadata": links.metadata(&path, &[
            ("topic", topic),
            ("partition", &p.id.to_string()),
            ("replica", &broker.to_string()),
        ]),
        "cluster_id": links.cluster_id(),
        "topic_name": topic,
        "partition_id": p.id,
        "broker_id": broker,
        "is_leader": p.leader == broker,
        "is_in_sync": p.isr.contains(&broker),
        "broker": links.related(&format!("/brokers/{broker}")),
    })
}

/// `GET .../partitions/{partition_id}/replicas`.
pub async fn list(ctx: &Context<'_>, topic_name: &str, partition: i32) -> ApiResult<Response> {
    let t = topic(ctx, topic_name).await?;
    let p = t.partition(partition).ok_or_else(partition_not_found)?;
    let data = p
        .replicas
        .iter()
        .map(|&b| replica_json(ctx, &t.name, p, b))
        .collect();
    ok(&ctx.links.list(
        "KafkaReplicaList",
        &format!("/topics/{topic_name}/partitions/{partition}/replicas"),
        data,
    ))
}

/// `GET .../partitions/{partition_id}/replicas/{broker_id}`.
pub async fn get(
    ctx: &Context<'_>,
    topic_name: &str,
    partition: i32,
    broker: &str,
) -> ApiResult<Response> {
    let t = topic(ctx, topic_name).await?;
    let p = t.partition(partition).ok_or_else(partition_not_found)?;
    let broker: i32 = broker.parse().map_err(|_| replica_not_found(broker))?;
    if !p.replicas.contains(&broker) {
        return Err(replica_not_found(broker));
    }
    ok(&replica_json(ctx, &t.name, p, broker))
}

fn replica_not_found(broker: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        http::StatusCode::NOT_FOUND,
        40403,
        format!("Replica {broker} of this topic-partition cannot be found."),
    )
}
