//! The REST Proxy v2 API: one module per resource, dispatched from
//! [`dispatch`].
//!
//! # References
//! - Confluent REST Proxy API reference, "REST Proxy API v2"

pub mod brokers;
pub mod partitions;
pub mod produce;
pub mod topics;

use http::Method;

use crate::app::Gateway;
use crate::error::{ApiError, ApiResult};
use crate::negotiate::{self, V2_JSON};
use crate::request::Request;
use crate::response::{self, Response};

/// Serves a v2 request (its first segment is `topics`, `brokers` or
/// `consumers`).
pub async fn dispatch(gateway: &Gateway, mut request: Request) -> Response {
    let content_type = match response_type(gateway, &request) {
        Ok(t) => t,
        Err(e) => return response::error(&e, V2_JSON),
    };
    match route(gateway, &mut request, &content_type).await {
        Ok(response) => response,
        Err(e) => response::error(&e, &content_type),
    }
}

/// The response media type for metadata responses, from `Accept` and
/// `response.mediatype.preferred`.
fn response_type(gateway: &Gateway, request: &Request) -> ApiResult<String> {
    let preferred = &gateway.config().response_mediatype_preferred;
    let offered: Vec<&str> = preferred.iter().map(String::as_str).collect();
    match negotiate::choose(request.accept(), &offered) {
        Some(t) => Ok(t.to_owned()),
        None if request.accept().is_none() => {
            Ok(gateway.config().response_mediatype_default.clone())
        }
        None => Err(ApiError::not_acceptable(format!(
            "HTTP 406 Not Acceptable: this endpoint answers with {}",
            offered.join(", ")
        ))),
    }
}

async fn route(
    gateway: &Gateway,
    request: &mut Request,
    content_type: &str,
) -> ApiResult<Response> {
    let segments = request.segments.clone();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = request.method.clone();
    match (segments.as_slice(), &method) {
        (["topics"], &Method::GET) => topics::list(gateway, content_type).await,
        (["topics", topic], &Method::GET) => topics::get(gateway, topic, content_type).await,
        (["topics", topic], &Method::POST) => {
            produce::produce(gateway, request, topic, None, content_type).await
        }
        (["topics", topic, "partitions"], &Method::GET) => {
            partitions::list(gateway, topic, content_type).await
        }
        (["topics", topic, "partitions", partition], &Method::GET) => {
            let partition = partitions::parse_id(partition)?;
            partitions::get(gateway, topic, partition, content_type).await
        }
        (["topics", topic, "partitions", partition], &Method::POST) => {
            let partition = partitions::parse_id(partition)?;
            produce::produce(gateway, request, topic, Some(partition), content_type).await
        }
        (["topics", topic, "partitions", partition, "offsets"], &Method::GET) => {
            let partition = partitions::parse_id(partition)?;
            partitions::offsets(gateway, topic, partition, content_type).await
        }
        (["brokers"], &Method::GET) => brokers::list(gateway, content_type).await,
        (["topics"] | ["topics", _] | ["topics", _, "partitions", ..] | ["brokers"], _) => {
            Err(ApiError::method_not_allowed())
        }
        _ => Err(ApiError::not_found("HTTP 404 Not Found")),
    }
}
