//! The REST Proxy v2 API: one module per resource, dispatched from
//! [`dispatch`].
//!
//! # References
//! - Confluent REST Proxy API reference, "REST Proxy API v2"

pub mod brokers;
pub mod consumers;
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
    // Consume responses negotiate their own type (the consumer's format).
    let is_records = matches!(
        request.segments.as_slice(),
        [c, _, i, _, r] if c == "consumers" && i == "instances" && r == "records"
    );
    let content_type = match response_type(gateway, &request) {
        Ok(t) => t,
        Err(_) if is_records => V2_JSON.to_owned(),
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
        (["consumers", group], &Method::POST) => {
            consumers::create(gateway, request, group, content_type).await
        }
        (["consumers", group, "instances", name, rest @ ..], method) => {
            consumer_route(gateway, request, group, name, rest, method, content_type).await
        }
        (["topics"] | ["topics", _] | ["topics", _, "partitions", ..] | ["brokers"], _) => {
            Err(ApiError::method_not_allowed())
        }
        _ => Err(ApiError::not_found("HTTP 404 Not Found")),
    }
}

async fn consumer_route(
    gateway: &Gateway,
    request: &mut Request,
    group: &str,
    name: &str,
    rest: &[&str],
    method: &Method,
    content_type: &str,
) -> ApiResult<Response> {
    if rest.is_empty() {
        return match *method {
            Method::DELETE => consumers::delete(gateway, group, name).await,
            _ => Err(ApiError::method_not_allowed()),
        };
    }
    let known = matches!(
        rest,
        ["offsets"]
            | ["subscription"]
            | ["assignments"]
            | ["positions"]
            | ["positions", "beginning" | "end"]
            | ["records"]
    );
    if !known {
        return Err(ApiError::not_found("HTTP 404 Not Found"));
    }
    let instance = gateway.consumers().get(group, name)?;
    let instance = &*instance;
    match (rest, method) {
        (["offsets"], &Method::POST) => consumers::commit(instance, request).await,
        (["offsets"], &Method::GET) => consumers::committed(instance, request, content_type).await,
        (["subscription"], &Method::POST) => consumers::subscribe(instance, request).await,
        (["subscription"], &Method::GET) => consumers::subscription(instance, content_type).await,
        (["subscription"], &Method::DELETE) => consumers::unsubscribe(instance).await,
        (["assignments"], &Method::POST) => consumers::assign(instance, request).await,
        (["assignments"], &Method::GET) => consumers::assignments(instance, content_type).await,
        (["positions"], &Method::POST) => consumers::seek(instance, request).await,
        (["positions", "beginning"], &Method::POST) => {
            consumers::seek_to(instance, request, false).await
        }
        (["positions", "end"], &Method::POST) => consumers::seek_to(instance, request, true).await,
        (["records"], &Method::GET) => consumers::records(gateway, instance, request).await,
        _ => Err(ApiError::method_not_allowed()),
    }
}
