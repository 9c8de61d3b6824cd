//! Method + path → handler: `/` and the v2 resources, `/v3/...` and
//! `/kafka/v3/...`, and the managed-cloud topic API under `/v2/databases`.

use http::StatusCode;

use crate::app::Gateway;
use crate::error::ApiError;
use crate::negotiate::V2_JSON;
use crate::request::Request;
use crate::response::{self, Response};
use crate::{databases, v2, v3};

/// Serves one request.
pub async fn dispatch(gateway: &Gateway, request: Request) -> Response {
    let first = request.segments.first().map(String::as_str);
    let config = gateway.config();
    if !gateway
        .access_list()
        .permits(request.method.as_str(), &request.segments)
    {
        let v3 = matches!(first, Some("v3" | "kafka"));
        return not_found(if v3 { crate::negotiate::JSON } else { V2_JSON });
    }
    match first {
        None => root(&request),
        Some("topics" | "brokers" | "consumers") if config.api_v2_enable => {
            v2::dispatch(gateway, request).await
        }
        Some("v3") if config.api_v3_enable => v3::dispatch(gateway, request, 1).await,
        Some("v2") if request.segments.get(1).is_some_and(|s| s == "databases") => {
            databases::dispatch(gateway, request).await
        }
        Some("kafka")
            if config.api_v3_enable && request.segments.get(1).is_some_and(|s| s == "v3") =>
        {
            v3::dispatch(gateway, request, 2).await
        }
        _ => not_found(V2_JSON),
    }
}

/// `GET /`: `{}`.
fn root(request: &Request) -> Response {
    if request.method != http::Method::GET && request.method != http::Method::HEAD {
        return response::error(&ApiError::method_not_allowed(), V2_JSON);
    }
    response::json_bytes(StatusCode::OK, V2_JSON, "{}")
}

fn not_found(content_type: &str) -> Response {
    response::error(&ApiError::not_found("HTTP 404 Not Found"), content_type)
}
