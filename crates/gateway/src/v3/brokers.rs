//! v3 brokers: list, get, and the partition replicas a broker hosts.

use serde_json::{json, Value};
use wire::cluster::BrokerMetadata;

use crate::error::{ApiError, ApiResult};
use crate::response::Response;
use crate::v3::{ok, replicas, Context};

/// A broker resource.
pub fn broker_json(ctx: &Context<'_>, b: &BrokerMetadata) -> Value {
    let links = &ctx.links;
    let path = format!("/brokers/{}", b.id);
    json!({
        "kind": "KafkaBroker",
        "metadata": links.metadata(&path, &[("broker", &b.id.to_string())]),
        "cluster_id": links.cluster_id(),
        "broker_id": b.id,
        "host": b.host,
        "port": b.port,
        "rack": b.rack,
        "configs": links.related(&format!("{path}/configs")),
        "partition_replicas": links.related(&format!("{path}/partition-replicas")),
    })
}

/// Parses a broker id path segment (404 when it is not one).
pub fn parse_id(segment: &str) -> ApiResult<i32> {
    segment.parse().map_err(|_| broker_not_found(segment))
}

/// 404 for an unknown broker.
pub fn broker_not_found(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found(format!("Broker {id} cannot be found."))
}

/// `GET /clusters/{cluster_id}/brokers`.
pub async fn list(ctx: &Context<'_>) -> ApiResult<Response> {
    let metadata = ctx.gateway.client().await?.refresh_metadata().await?;
    let data = metadata
        .brokers
        .values()
        .map(|b| broker_json(ctx, b))
        .collect();
    ok(&ctx.links.list("KafkaBrokerList", "/brokers", data))
}

/// `GET /clusters/{cluster_id}/brokers/{broker_id}`.
pub async fn get(ctx: &Context<'_>, id: i32) -> ApiResult<Response> {
    let metadata = ctx.gateway.client().await?.refresh_metadata().await?;
    let b = metadata
        .brokers
        .get(&id)
        .ok_or_else(|| broker_not_found(id))?;
    ok(&broker_json(ctx, b))
}

/// `GET /clusters/{cluster_id}/brokers/{broker_id}/partition-replicas`:
/// every replica the broker hosts, by topic and partition.
pub async fn partition_replicas(ctx: &Context<'_>, id: i32) -> ApiResult<Response> {
    let metadata = ctx.gateway.client().await?.refresh_metadata().await?;
    if !metadata.brokers.contains_key(&id) {
        return Err(broker_not_found(id));
    }
    let mut topics: Vec<_> = metadata.topics.values().collect();
    topics.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let data = topics
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .filter(|p| p.replicas.contains(&id))
                .map(move |p| replicas::replica_json(ctx, &t.name, p, id))
        })
        .collect();
    ok(&ctx.links.list(
        "KafkaReplicaList",
        &format!("/brokers/{id}/partition-replicas"),
        data,
    ))
}
