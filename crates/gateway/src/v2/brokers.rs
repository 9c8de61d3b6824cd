//! v2 brokers: `GET /brokers`.

use http::StatusCode;
use serde_json::json;

use crate::app::Gateway;
use crate::error::ApiResult;
use crate::response::{self, Response};

/// `GET /brokers`: `{"brokers": [ids]}`.
pub async fn list(gateway: &Gateway, content_type: &str) -> ApiResult<Response> {
    let metadata = gateway.client().await?.refresh_metadata().await?;
    let ids: Vec<i32> = metadata.brokers.keys().copied().collect();
    Ok(response::json(
        StatusCode::OK,
        content_type,
        &json!({ "brokers": ids }),
    ))
}
