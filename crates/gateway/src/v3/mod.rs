//! The REST v3 API under `/v3/...` and `/kafka/v3/...`: one module per
//! resource, dispatched from [`dispatch`].
//!
//! Every path below `/clusters/{cluster_id}` checks the cluster id against
//! the cluster's real one (404 "Cluster X cannot be found." otherwise).
//!
//! # References
//! - Confluent REST Proxy API reference, "REST Proxy API v3"

pub mod acls;
pub mod body;
pub mod broker_configs;
pub mod brokers;
pub mod clusters;
pub mod configs;
pub mod consumer_groups;
pub mod partitions;
pub mod reassignments;
pub mod records;
pub mod replica_status;
pub mod replicas;
pub mod topics;

use http::{Method, StatusCode};

use crate::app::Gateway;
use crate::error::{ApiError, ApiResult};
use crate::negotiate::JSON;
use crate::request::Request;
use crate::resource::Links;
use crate::response::{self, Response};
use crate::v3::configs::ConfigOwner;

/// A v3 request with its cluster resolved.
#[derive(Debug)]
pub struct Context<'a> {
    /// Shared state.
    pub gateway: &'a Gateway,
    /// Link builder for the cluster.
    pub links: Links,
}

/// Serves a v3 request; `prefix_len` is 1 for `/v3`, 2 for `/kafka/v3`.
pub async fn dispatch(gateway: &Gateway, mut request: Request, prefix_len: usize) -> Response {
    match route(gateway, &mut request, prefix_len).await {
        Ok(response) => response,
        Err(e) => response::error(&e, JSON),
    }
}

async fn route(gateway: &Gateway, request: &mut Request, prefix_len: usize) -> ApiResult<Response> {
    let has_body = matches!(
        request.method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if has_body && !crate::negotiate::is_json(request.content_type()) {
        return Err(ApiError::unsupported_media_type(
            "HTTP 415 Unsupported Media Type",
        ));
    }
    let prefix = if prefix_len == 2 { "/kafka/v3" } else { "/v3" };
    let api_base = format!("{}{prefix}", request.base_url);
    let segments: Vec<String> = request.segments[prefix_len..].to_vec();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = request.method.clone();
    match segments.as_slice() {
        ["clusters"] if method == Method::GET => {
            let cluster_id = cluster_id(gateway).await?;
            let links = Links::new(api_base, cluster_id);
            let ctx = Context { gateway, links };
            clusters::list(&ctx).await
        }
        ["clusters"] => Err(ApiError::method_not_allowed()),
        ["clusters", id, rest @ ..] => {
            let actual = cluster_id(gateway).await?;
            if *id != actual {
                return Err(ApiError::not_found(format!(
                    "Cluster {id} cannot be found."
                )));
            }
            let ctx = Context {
                gateway,
                links: Links::new(api_base, actual),
            };
            cluster_route(&ctx, request, &method, rest).await
        }
        _ => Err(ApiError::not_found("HTTP 404 Not Found")),
    }
}

async fn cluster_route(
    ctx: &Context<'_>,
    request: &mut Request,
    method: &Method,
    rest: &[&str],
) -> ApiResult<Response> {
    use Method as M;
    let method = method.clone();
    match rest {
        [] => match method {
            M::GET => clusters::get(ctx).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics"] => match method {
            M::GET => topics::list(ctx).await,
            M::POST => topics::create(ctx, request).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", "-", "configs"] => match method {
            M::GET => configs::list_all_topics(ctx).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", "-", "partitions", "-", "reassignment"] => match method {
            M::GET => reassignments::list(ctx, None).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic] => match method {
            M::GET => topics::get(ctx, topic).await,
            M::PATCH => topics::update_partition_count(ctx, request, topic).await,
            M::DELETE => topics::delete(ctx, topic).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "configs"] => match method {
            M::GET => configs::list(ctx, &ConfigOwner::topic(topic)).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "configs:alter"] => match method {
            M::POST => configs::alter(ctx, request, &ConfigOwner::topic(topic)).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "configs", name] => {
            configs::one(ctx, request, &method, &ConfigOwner::topic(topic), name).await
        }
        ["topics", topic, "default-configs"] => match method {
            M::GET => configs::topic_defaults(ctx, topic).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "partitions"] => match method {
            M::GET => partitions::list(ctx, topic).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "partitions", "-", "reassignment" | "reassignments"] => match method {
            M::GET => reassignments::list(ctx, Some(topic)).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "partitions", p] => match method {
            M::GET => partitions::get(ctx, topic, partitions::parse_id(p)?).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "partitions", p, "reassignment"] => match method {
            M::GET => reassignments::get(ctx, topic, partitions::parse_id(p)?).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "partitions", p, "replicas"] => match method {
            M::GET => replicas::list(ctx, topic, partitions::parse_id(p)?).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "partitions", p, "replicas", broker] => match method {
            M::GET => replicas::get(ctx, topic, partitions::parse_id(p)?, broker).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", topic, "records"] => match method {
            M::POST => records::produce(ctx, request, topic).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["brokers"] => match method {
            M::GET => brokers::list(ctx).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["brokers:delete"] => match method {
            M::POST => brokers::delete_many(ctx, request).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["brokers", "-", "configs"] => match method {
            M::GET => broker_configs::list_all_brokers(ctx).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["brokers", id] => {
            if let Some(id) = id.strip_suffix(":unregister") {
                return match method {
                    M::POST => brokers::unregister(ctx, brokers::parse_id(id)?).await,
                    _ => Err(ApiError::method_not_allowed()),
                };
            }
            match method {
                M::GET => brokers::get(ctx, brokers::parse_id(id)?).await,
                M::DELETE => brokers::delete(ctx, request, brokers::parse_id(id)?).await,
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        ["brokers", id, "partition-replicas"] => match method {
            M::GET => brokers::partition_replicas(ctx, brokers::parse_id(id)?).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["brokers", id, "configs"] => match method {
            M::GET => configs::list(ctx, &ConfigOwner::Broker(brokers::parse_id(id)?)).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["brokers", id, "configs:alter"] => match method {
            M::POST => {
                let owner = ConfigOwner::Broker(brokers::parse_id(id)?);
                configs::alter(ctx, request, &owner).await
            }
            _ => Err(ApiError::method_not_allowed()),
        },
        ["brokers", id, "configs", name] => {
            let owner = ConfigOwner::Broker(brokers::parse_id(id)?);
            configs::one(ctx, request, &method, &owner, name).await
        }
        ["broker-configs"] => match method {
            M::GET => configs::list(ctx, &ConfigOwner::Cluster).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["broker-configs:alter"] => match method {
            M::POST => configs::alter(ctx, request, &ConfigOwner::Cluster).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["broker-configs", name] => {
            configs::one(ctx, request, &method, &ConfigOwner::Cluster, name).await
        }
        ["acls"] => match method {
            M::GET => acls::list(ctx, request).await,
            M::POST => acls::create(ctx, request).await,
            M::DELETE => acls::delete(ctx, request).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["acls:batch"] => match method {
            M::POST => acls::create_batch(ctx, request).await,
            _ => Err(ApiError::method_not_allowed()),
        },
        ["topics", "-", "partitions", "-", "replica-status"] if method == M::GET => {
            replica_status::list(ctx, replica_status::Scope::All).await
        }
        ["topics", topic, "partitions", "-", "replica-status"] if method == M::GET => {
            replica_status::list(ctx, replica_status::Scope::Topic(topic)).await
        }
        ["topics", topic, "partitions", p, "replica-status"] if method == M::GET => {
            let p = partitions::parse_id(p)?;
            replica_status::list(ctx, replica_status::Scope::Partition(topic, p)).await
        }
        ["consumer-groups", rest @ ..] if method == M::GET => consumer_group_route(ctx, rest).await,
        ["consumer-groups", ..] => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::not_found("HTTP 404 Not Found")),
    }
}

/// The cluster's id, from the metadata.
pub async fn cluster_id(gateway: &Gateway) -> ApiResult<String> {
    let client = gateway.client().await?;
    let mut metadata = client.cached_metadata();
    if metadata.cluster_id.is_none() {
        metadata = client.refresh_metadata().await?;
    }
    metadata
        .cluster_id
        .clone()
        .ok_or_else(|| ApiError::kafka("The Kafka cluster did not report a cluster id."))
}

/// A `200 OK` JSON response.
pub fn ok(body: &serde_json::Value) -> ApiResult<Response> {
    Ok(response::json(StatusCode::OK, JSON, body))
}

/// A `201 Created` JSON response.
pub fn created(body: &serde_json::Value) -> ApiResult<Response> {
    Ok(response::json(StatusCode::CREATED, JSON, body))
}

/// A `202 Accepted` JSON response.
pub fn accepted(body: &serde_json::Value) -> ApiResult<Response> {
    Ok(response::json(StatusCode::ACCEPTED, JSON, body))
}

/// Maps the error of a `wire` call the way the v3 API reports Kafka errors
/// ([`ApiError::from_kafka_v3`]).
pub trait KafkaResultExt<T> {
    /// The result with its error mapped for v3.
    fn v3(self) -> ApiResult<T>;
}

impl<T> KafkaResultExt<T> for wire::Result<T> {
    fn v3(self) -> ApiResult<T> {
        self.map_err(|e| ApiError::from_kafka_v3(&e))
    }
}

/// Parses a boolean query parameter (`true`/`false`, any case); 400 naming
/// the parameter otherwise.
pub fn bool_param(request: &Request, name: &str, default: bool) -> ApiResult<bool> {
    match request.query_param(name) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ApiError::bad_request(format!(
            "Query parameter `{name}`: `{v}` is not a boolean (true or false)."
        ))),
    }
}

async fn consumer_group_route(ctx: &Context<'_>, rest: &[&str]) -> ApiResult<Response> {
    use consumer_groups as cg;
    match rest {
        [] => cg::list(ctx).await,
        [group] => cg::get(ctx, group).await,
        [group, "consumers"] => cg::consumers(ctx, group).await,
        [group, "consumers", id] => cg::consumer(ctx, group, id).await,
        [group, "consumers", id, "assignments"] => cg::assignments(ctx, group, id).await,
        [group, "consumers", id, "assignments", topic, "partitions", p] => {
            cg::assignment(ctx, group, id, topic, partitions::parse_id(p)?).await
        }
        [group, "lags"] => cg::lags(ctx, group).await,
        [group, "lags", topic, "partitions", p] => {
            cg::lag(ctx, group, topic, partitions::parse_id(p)?).await
        }
        [group, "lag-summary"] => cg::lag_summary(ctx, group).await,
        _ => Err(ApiError::not_found("HTTP 404 Not Found")),
    }
}
