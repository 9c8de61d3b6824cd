//! v3 brokers: list, get, the partition replicas a broker hosts, and
//! removal: `DELETE /brokers/{id}`, `POST /brokers:delete` and `POST
//! /brokers/{id}:unregister`, all three with UnregisterBroker (KRaft
//! clusters; others answer 400 / 40035). Kafka has no request that shuts a
//! broker down or moves its replicas away, so removal only takes the
//! broker's registration out of the cluster: `should_shutdown` is accepted
//! and has no effect.
//!
//! # References
//! - Confluent REST Proxy API reference, "Broker (v3)", "Unregister (v3)"
//! - KIP-631 (UnregisterBroker)

use serde_json::{json, Value};
use wire::cluster::BrokerMetadata;
use wire::error::ResponseError;

use crate::error::{ApiError, ApiResult};
use crate::request::Request;
use crate::response::Response;
use crate::v3::body::{int_item, Fields};
use crate::v3::{accepted, bool_param, ok, replicas, Context, KafkaResultExt as _};

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

/// A broker removal resource.
fn removal_json(ctx: &Context<'_>, id: i32) -> Value {
    let links = &ctx.links;
    let path = format!("/brokers/{id}");
    json!({
        "kind": "KafkaBrokerRemoval",
        "metadata": links.metadata(&path, &[("broker", &id.to_string())]),
        "cluster_id": links.cluster_id(),
        "broker_id": id,
        "broker_task": null,
        "broker": links.related(&path),
    })
}

/// Unregisters `ids` one after the other; a broker the cluster does not
/// know is the 404 of the broker removal endpoints.
async fn remove(ctx: &Context<'_>, ids: &[i32]) -> ApiResult<()> {
    let admin = ctx.gateway.admin().await?;
    for &id in ids {
        match admin.unregister_broker(id).await {
            Err(e) if e.code() == Some(ResponseError::BrokerIdNotRegistered) => {
                return Err(ApiError::not_found(format!(
                    "Broker not found. Broker: {id} not found in the cluster: {}",
                    ctx.links.cluster_id()
                )))
            }
            other => other.v3()?,
        }
    }
    Ok(())
}

/// `DELETE /clusters/{cluster_id}/brokers/{broker_id}` (202).
pub async fn delete(ctx: &Context<'_>, request: &Request, id: i32) -> ApiResult<Response> {
    bool_param(request, "should_shutdown", true)?;
    remove(ctx, &[id]).await?;
    accepted(&removal_json(ctx, id))
}

/// `POST /clusters/{cluster_id}/brokers:delete` with `{"broker_ids":
/// [...]}` (202).
pub async fn delete_many(ctx: &Context<'_>, request: &mut Request) -> ApiResult<Response> {
    bool_param(request, "should_shutdown", true)?;
    let body = Fields::read(request).await?;
    let list = body
        .opt_array("broker_ids")?
        .ok_or_else(|| ApiError::bad_request("broker_ids: this field is required"))?;
    let mut ids = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let id: i32 = int_item(v, &format!("broker_ids[{i}]"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(ApiError::unprocessable("broker_ids may not be empty."));
    }
    remove(ctx, &ids).await?;
    let data: Vec<Value> = ids.iter().map(|&id| removal_json(ctx, id)).collect();
    accepted(&json!({
        "kind": "KafkaBrokerRemovalList",
        "metadata": { "self": ctx.links.url("/brokers:delete"), "next": null },
        "data": data,
    }))
}

/// `POST /clusters/{cluster_id}/brokers/{broker_id}:unregister` (202): a
/// broker that is not registered is 404 / 404102.
pub async fn unregister(ctx: &Context<'_>, id: i32) -> ApiResult<Response> {
    let admin = ctx.gateway.admin().await?;
    admin.unregister_broker(id).await.v3()?;
    accepted(&json!({ "cluster_id": ctx.links.cluster_id(), "broker_id": id }))
}
