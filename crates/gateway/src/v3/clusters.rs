//! v3 clusters: `GET /clusters`, `GET /clusters/{cluster_id}`.

use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::response::Response;
use crate::v3::{ok, Context};

/// The cluster resource.
pub async fn cluster_json(ctx: &Context<'_>) -> ApiResult<Value> {
    let metadata = ctx.gateway.client().await?.metadata().await?;
    let links = &ctx.links;
    let controller = if metadata.controller_id >= 0 {
        links.related(&format!("/brokers/{}", metadata.controller_id))
    } else {
        Value::Null
    };
    Ok(json!({
        "kind": "KafkaCluster",
        "metadata": links.metadata("", &[]),
        "cluster_id": links.cluster_id(),
        "controller": controller,
        "acls": links.related("/acls"),
        "brokers": links.related("/brokers"),
        "broker_configs": links.related("/broker-configs"),
        "consumer_groups": links.related("/consumer-groups"),
        "topics": links.related("/topics"),
        "partition_reassignments": links.related("/topics/-/partitions/-/reassignment"),
    }))
}

/// `GET /clusters`: the one cluster this gateway fronts.
pub async fn list(ctx: &Context<'_>) -> ApiResult<Response> {
    let cluster = cluster_json(ctx).await?;
    ok(&json!({
        "kind": "KafkaClusterList",
        "metadata": { "self": ctx.links.api_url("/clusters"), "next": null },
        "data": [cluster],
    }))
}

/// `GET /clusters/{cluster_id}`.
pub async fn get(ctx: &Context<'_>) -> ApiResult<Response> {
    ok(&cluster_json(ctx).await?)
}
