//! v2 topics: `GET /topics`, `GET /topics/{topic}`.

use http::StatusCode;
use serde_json::{json, Value};

use crate::app::Gateway;
use crate::error::ApiResult;
use crate::response::{self, Response};
use crate::v2::partitions;

/// `GET /topics`: the names of the cluster's topics (internal ones left
/// out), sorted.
pub async fn list(gateway: &Gateway, content_type: &str) -> ApiResult<Response> {
    let metadata = gateway.client().await?.refresh_metadata().await?;
    let mut names: Vec<&str> = metadata
        .topics
        .values()
        .filter(|t| !t.is_internal)
        .map(|t| t.name.as_str())
        .collect();
    names.sort_unstable();
    Ok(response::json(StatusCode::OK, content_type, &json!(names)))
}

/// `GET /topics/{topic}`: name, configuration overrides and partitions.
pub async fn get(gateway: &Gateway, topic: &str, content_type: &str) -> ApiResult<Response> {
    let t = partitions::topic_metadata(gateway, topic).await?;
    let configs = gateway.topic_config_overrides(topic).await?;
    let body = json!({
        "name": t.name,
        "configs": Value::Object(configs),
        "partitions": t.partitions.iter().map(partitions::partition_json).collect::<Vec<_>>(),
    });
    Ok(response::json(StatusCode::OK, content_type, &body))
}
