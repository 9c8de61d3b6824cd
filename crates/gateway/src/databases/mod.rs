//! The managed-cloud topic API: `POST /v2/databases/{database_cluster_uuid}/topics`,
//! as a cloud provider's managed-Kafka service exposes it.
//!
//! The gateway fronts one cluster: the `database_cluster_uuid` it answers to
//! is that cluster's Kafka cluster id (as in `GET /v3/clusters`); any other
//! is a 404. Errors use this API's own body, `{"id": ..., "message": ...}`.
//!
//! # References
//! - The provider's API reference for `databases_create_kafka_topic`
//!   (`../shared/spec/000_*`, `001_*`)

pub mod config;
pub mod topics;

use http::{Method, StatusCode};
use serde_json::json;

use crate::app::Gateway;
use crate::error::ApiError;
use crate::negotiate::JSON;
use crate::request::Request;
use crate::response::{self, Response};

/// Serves a request under `/v2/databases`.
pub async fn dispatch(gateway: &Gateway, mut request: Request) -> Response {
    match route(gateway, &mut request).await {
        Ok(response) => response,
        Err(e) => e.response(),
    }
}

async fn route(gateway: &Gateway, request: &mut Request) -> Result<Response, ProviderError> {
    let segments: Vec<String> = request.segments.clone();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["v2", "databases", uuid, "topics"] => {
            if request.method != Method::POST {
                return Err(ProviderError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "The method is not allowed on this resource.",
                ));
            }
            let cluster_id = crate::v3::cluster_id(gateway).await?;
            if *uuid != cluster_id {
                return Err(ProviderError::not_found());
            }
            topics::create(gateway, request).await
        }
        _ => Err(ProviderError::not_found()),
    }
}

/// An error of this API: an HTTP status and a body `{"id", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `id` of the body, e.g. `not_found`.
    pub id: &'static str,
    /// The `message` of the body.
    pub message: String,
}

impl ProviderError {
    /// An error with the given status, id and message.
    pub fn new(status: StatusCode, id: &'static str, message: impl Into<String>) -> Self {
        ProviderError {
            status,
            id,
            message: message.into(),
        }
    }

    /// 404, as the reference words it.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "The resource you requested could not be found.",
        )
    }

    /// 400: a body that cannot be read.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422: a body that can be read but asks for something invalid.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_entity",
            message,
        )
    }

    /// Maps the error of a `wire` call: a topic that exists is 409, a
    /// request Kafka refuses as invalid 422, the rest as the v3 API would
    /// map it.
    pub fn from_kafka(error: &wire::Error) -> Self {
        use wire::error::ResponseError as R;
        match error.code() {
            Some(R::TopicAlreadyExists) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("The topic already exists: {error}"),
            ),
            Some(
                R::InvalidTopicException
                | R::InvalidPartitions
                | R::InvalidReplicationFactor
                | R::InvalidReplicaAssignment
                | R::InvalidConfig
                | R::PolicyViolation
                | R::InvalidRequest,
            ) => Self::unprocessable(error.to_string()),
            _ => ApiError::from_kafka_v3(error).into(),
        }
    }

    /// The response.
    pub fn response(&self) -> Response {
        response::json(
            self.status,
            JSON,
            &json!({"id": self.id, "message": self.message}),
        )
    }
}

impl From<ApiError> for ProviderError {
    fn from(e: ApiError) -> Self {
        let id = match e.status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            406 => "not_acceptable",
            409 => "conflict",
            413 => "request_entity_too_large",
            415 => "unsupported_media_type",
            422 => "unprocessable_entity",
            429 => "too_many_requests",
            503 => "service_unavailable",
            504 => "gateway_timeout",
            _ => "server_error",
        };
        ProviderError {
            status: e.status,
            id,
            message: e.message,
        }
    }
}

impl From<wire::Error> for ProviderError {
    fn from(e: wire::Error) -> Self {
        Self::from_kafka(&e)
    }
}
