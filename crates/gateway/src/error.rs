//! `ApiError`: the one place where failures become REST error responses.
//!
//! Every error body is `{"error_code": N, "message": "..."}`. `error_code` is
//! either the HTTP status itself (400, 404, 415, 422, ...) or one of the
//! five-digit codes of the REST Proxy reference (the status followed by two
//! digits: 40401 topic not found, 40403 consumer instance not found, 50003
//! retriable Kafka error, ...). Messages name what was wrong with the request;
//! they never carry internals such as backtraces or addresses of brokers.
//!
//! # References
//! - Confluent REST Proxy API reference, "Errors" and each endpoint's status codes

use std::fmt;

use http::StatusCode;
use wire::error::ResponseError;

/// An error answered to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// `error_code` of the body.
    pub error_code: u32,
    /// `message` of the body.
    pub message: String,
}

/// The result type of request handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with `status` and a five-digit (or status) `error_code`.
    pub fn new(status: StatusCode, error_code: u32, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error_code,
            message: message.into(),
        }
    }

    /// An error whose `error_code` is the HTTP status.
    pub fn plain(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError::new(status, u32::from(status.as_u16()), message)
    }

    /// 400: the body could not be decoded.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::BAD_REQUEST, message)
    }

    /// 404 with code 404: no such resource or route.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::NOT_FOUND, message)
    }

    /// 404 / 40401.
    pub fn topic_not_found(topic: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            40401,
            format!("Topic {topic} not found."),
        )
    }

    /// 404 / 40402.
    pub fn partition_not_found(topic: &str, partition: i32) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            40402,
            format!("Partition {partition} of topic {topic} not found."),
        )
    }

    /// 404 / 40403.
    pub fn consumer_instance_not_found(group: &str, instance: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            40403,
            format!("Consumer instance {instance} of group {group} not found."),
        )
    }

    /// 405: the path exists but not with this method.
    pub fn method_not_allowed() -> ApiError {
        ApiError::plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "HTTP 405 Method Not Allowed",
        )
    }

    /// 406: no acceptable response type.
    pub fn not_acceptable(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::NOT_ACCEPTABLE, message)
    }

    /// 413: the body is larger than `request.body.max.bytes`.
    pub fn payload_too_large(limit: u64) -> ApiError {
        ApiError::plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than the maximum of {limit} bytes."),
        )
    }

    /// 415: a request body type this endpoint does not take.
    pub fn unsupported_media_type(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 422: the body is well-formed but semantically invalid.
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 422 / 42201: keys in a schema format without `key_schema` or
    /// `key_schema_id`.
    pub fn key_schema_missing() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42201,
            "Request includes keys and uses a format that requires schemas, but does not \
             include the key_schema or key_schema_id fields",
        )
    }

    /// 422 / 42202: values in a schema format without `value_schema` or
    /// `value_schema_id`.
    pub fn value_schema_missing() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42202,
            "Request includes values and uses a format that requires schemas, but does not \
             include the value_schema or value_schema_id fields",
        )
    }

    /// 422 / 42205: the request's schema is invalid.
    pub fn invalid_schema(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, 42205, message)
    }

    /// 408 / 40801: the Schema Registry failed a registration or lookup.
    pub fn schema_registry(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, 40801, message)
    }

    /// 500 / 50002: Kafka answered with a non-retriable error.
    pub fn kafka(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 50002, message)
    }

    /// 500 / 50003: Kafka answered with a retriable error.
    pub fn kafka_retriable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 50003, message)
    }

    /// 400 / 40002: Kafka refused the request as invalid (an existing
    /// topic, a bad partition count, replication factor, assignment or
    /// config, a policy violation, ...), with Kafka's explanation.
    pub fn kafka_bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, 40002, message)
    }

    /// 400 / 40035: the cluster does not support what the request needs.
    pub fn unsupported_version() -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            40035,
            "The version of this API is not supported in the underlying Kafka cluster.",
        )
    }

    /// 404 / 40403, the v3 answer for an unknown topic or partition.
    pub fn v3_not_hosted(what: Option<&str>) -> ApiError {
        let base = "This server does not host this topic-partition.";
        ApiError::new(
            StatusCode::NOT_FOUND,
            40403,
            match what {
                Some(what) => format!("{base} ({what})"),
                None => base.to_owned(),
            },
        )
    }

    /// A Kafka error as the v3 API reports it. Differs from the v2 mapping
    /// ([`From<&wire::Error>`]) in what the v3 reference documents: unknown
    /// topics and partitions are 404 / 40403, requests Kafka refuses as
    /// invalid are 400 / 40002 with Kafka's message, and APIs or features
    /// the cluster lacks are 400 / 40035. Authentication, authorization and
    /// retriable errors are mapped as in v2.
    pub fn from_kafka_v3(error: &wire::Error) -> ApiError {
        use wire::Error as E;
        match error {
            E::UnknownTopic(topic) => ApiError::v3_not_hosted(Some(&format!("topic {topic}"))),
            E::UnknownPartition { topic, partition } => {
                ApiError::v3_not_hosted(Some(&format!("partition {partition} of topic {topic}")))
            }
            E::UnknownBroker(id) => ApiError::not_found(format!("Broker {id} cannot be found.")),
            E::InvalidArgument(message) => ApiError::bad_request(message.clone()),
            e if e.is_unsupported() => ApiError::unsupported_version(),
            _ => match error.code() {
                Some(ResponseError::UnknownTopicOrPartition | ResponseError::UnknownTopicId) => {
                    let what = match error {
                        E::Broker {
                            topic: Some(topic),
                            partition: Some(partition),
                            ..
                        } => Some(format!("partition {partition} of topic {topic}")),
                        E::Broker {
                            topic: Some(topic), ..
                        } => Some(format!("topic {topic}")),
                        _ => None,
                    };
                    ApiError::v3_not_hosted(what.as_deref())
                }
                Some(ResponseError::BrokerIdNotRegistered) => ApiError::new(
                    StatusCode::NOT_FOUND,
                    404102,
                    "The given broker ID was not registered in the cluster.",
                ),
                Some(code) if is_invalid_request(code) => {
                    ApiError::kafka_bad_request(refusal_message(code, error))
                }
                _ => ApiError::from(error),
            },
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "error_code": self.error_code,
            "message": self.message,
        }))
        .unwrap_or_default()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.error_code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Kafka errors: authentication 401/40101, authorization 403/40301, unknown
/// topics and partitions 404, retriable ones 500/50003, the rest 500/50002.
impl From<wire::Error> for ApiError {
    fn from(error: wire::Error) -> ApiError {
        ApiError::from(&error)
    }
}

impl From<&wire::Error> for ApiError {
    fn from(error: &wire::Error) -> ApiError {
        use wire::Error as E;
        match error {
            E::UnknownTopic(topic) => ApiError::topic_not_found(topic),
            E::UnknownPartition { topic, partition } => {
                ApiError::partition_not_found(topic, *partition)
            }
            E::Authentication { .. } => ApiError::new(
                StatusCode::UNAUTHORIZED,
                40101,
                "Kafka Authentication Error.",
            ),
            _ => match error.code() {
                Some(code) => from_broker_code(code, error),
                None if error.is_retriable() => ApiError::kafka_retriable(error.to_string()),
                None => ApiError::kafka(error.to_string()),
            },
        }
    }
}

/// Broker error codes that mean the request itself is invalid: the v3 API
/// answers them 400 / 40002.
fn is_invalid_request(code: ResponseError) -> bool {
    use ResponseError as R;
    matches!(
        code,
        R::InvalidTopicException
            | R::TopicAlreadyExists
            | R::InvalidPartitions
            | R::InvalidReplicationFactor
            | R::InvalidReplicaAssignment
            | R::InvalidConfig
            | R::InvalidRequest
            | R::PolicyViolation
            | R::SecurityDisabled
            | R::ReassignmentInProgress
            | R::NoReassignmentInProgress
            | R::InvalidPrincipalType
            | R::TopicDeletionDisabled
            | R::ElectionNotNeeded
            | R::ResourceNotFound
            | R::DuplicateResource
    )
}

/// The broker's explanation of a refusal, or one in words when it sent none.
fn refusal_message(code: ResponseError, error: &wire::Error) -> String {
    use ResponseError as R;
    if let Some(message) = error.message().filter(|m| !m.is_empty()) {
        return message.to_owned();
    }
    let topic = match error {
        wire::Error::Broker {
            topic: Some(topic), ..
        } => Some(topic.as_str()),
        _ => None,
    };
    match (code, topic) {
        (R::TopicAlreadyExists, Some(topic)) => format!("Topic '{topic}' already exists."),
        (R::InvalidTopicException, Some(topic)) => format!("Topic name '{topic}' is invalid."),
        (R::InvalidPartitions, _) => "The partition count is invalid.".to_owned(),
        (R::InvalidReplicationFactor, _) => "The replication factor is invalid.".to_owned(),
        (R::InvalidReplicaAssignment, _) => "The replica assignment is invalid.".to_owned(),
        (R::InvalidConfig, _) => "The configuration is invalid.".to_owned(),
        (R::PolicyViolation, _) => "The request does not satisfy the cluster's policy.".to_owned(),
        (R::SecurityDisabled, _) => "Security features are disabled in the cluster.".to_owned(),
        (R::ReassignmentInProgress, _) => "A partition reassignment is in progress.".to_owned(),
        (R::NoReassignmentInProgress, _) => "No partition reassignment is in progress.".to_owned(),
        _ => format!("Kafka refused the request: {code}."),
    }
}

fn from_broker_code(code: ResponseError, error: &wire::Error) -> ApiError {
    use ResponseError as R;
    match code {
        R::TopicAuthorizationFailed
        | R::GroupAuthorizationFailed
        | R::ClusterAuthorizationFailed
        | R::TransactionalIdAuthorizationFailed
        | R::DelegationTokenAuthorizationFailed => ApiError::new(
            StatusCode::FORBIDDEN,
            40301,
            format!("Kafka Authorization Error: {error}"),
        ),
        R::SaslAuthenticationFailed | R::IllegalSaslState | R::UnsupportedSaslMechanism => {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                40101,
                "Kafka Authentication Error.",
            )
        }
        R::UnknownTopicOrPartition | R::UnknownTopicId => match error {
            wire::Error::Broker {
                topic: Some(topic),
                partition: Some(partition),
                ..
            } => ApiError::partition_not_found(topic, *partition),
            wire::Error::Broker {
                topic: Some(topic), ..
            } => ApiError::topic_not_found(topic),
            _ => ApiError::new(StatusCode::NOT_FOUND, 40401, error.to_string()),
        },
        _ if code.is_retriable() => ApiError::kafka_retriable(error.to_string()),
        _ => ApiError::kafka(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_the_documented_shape() {
        let e = ApiError::topic_not_found("t");
        let body: serde_json::Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error_code": 40401, "message": "Topic t not found."})
        );
        assert_eq!(e.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn kafka_errors_map_to_documented_codes() {
        let auth = wire::Error::broker(ResponseError::TopicAuthorizationFailed, "Produce");
        assert_eq!(ApiError::from(auth).error_code, 40301);
        let retriable = wire::Error::broker(ResponseError::NotLeaderOrFollower, "Produce");
        assert_eq!(ApiError::from(retriable).error_code, 50003);
        let fatal = wire::Error::broker(ResponseError::RecordListTooLarge, "Produce");
        assert_eq!(ApiError::from(fatal).error_code, 50002);
        let unknown = wire::Error::UnknownTopic("x".into());
        assert_eq!(ApiError::from(unknown).error_code, 40401);
    }

    #[test]
    fn v3_mapping_of_kafka_errors() {
        let exists = wire::Error::topic(
            ResponseError::TopicAlreadyExists,
            "CreateTopics",
            "t",
            None,
            Some("Topic 't' already exists.".into()),
        );
        let e = ApiError::from_kafka_v3(&exists);
        assert_eq!((e.status, e.error_code), (StatusCode::BAD_REQUEST, 40002));
        assert_eq!(e.message, "Topic 't' already exists.");
        let silent = wire::Error::topic(
            ResponseError::TopicAlreadyExists,
            "CreateTopics",
            "t",
            None,
            None,
        );
        assert_eq!(
            ApiError::from_kafka_v3(&silent).message,
            "Topic 't' already exists."
        );
        let unknown = wire::Error::topic(
            ResponseError::UnknownTopicOrPartition,
            "DeleteTopics",
            "t",
            None,
            None,
        );
        let e = ApiError::from_kafka_v3(&unknown);
        assert_eq!((e.status, e.error_code), (StatusCode::NOT_FOUND, 40403));
        assert!(e
            .message
            .starts_with("This server does not host this topic-partition."));
        assert_eq!(
            ApiError::from_kafka_v3(&wire::Error::UnknownTopic("t".into())).error_code,
            40403
        );
        let unsupported = wire::Error::Unsupported("no".into());
        let e = ApiError::from_kafka_v3(&unsupported);
        assert_eq!((e.status, e.error_code), (StatusCode::BAD_REQUEST, 40035));
        assert_eq!(
            e.message,
            "The version of this API is not supported in the underlying Kafka cluster."
        );
        let version = wire::Error::broker(ResponseError::UnsupportedVersion, "UnregisterBroker");
        assert_eq!(ApiError::from_kafka_v3(&version).error_code, 40035);
        let not_registered = wire::Error::resource(
            ResponseError::BrokerIdNotRegistered,
            "UnregisterBroker",
            "broker 9",
            None,
        );
        let e = ApiError::from_kafka_v3(&not_registered);
        assert_eq!((e.status, e.error_code), (StatusCode::NOT_FOUND, 404102));
        // As in v2: authorization, retriable and other errors.
        let denied = wire::Error::broker(ResponseError::ClusterAuthorizationFailed, "CreateAcls");
        assert_eq!(ApiError::from_kafka_v3(&denied).error_code, 40301);
        let retriable = wire::Error::broker(ResponseError::NotController, "CreateTopics");
        assert_eq!(ApiError::from_kafka_v3(&retriable).error_code, 50003);
        let fatal = wire::Error::broker(ResponseError::UnknownServerError, "CreateTopics");
        assert_eq!(ApiError::from_kafka_v3(&fatal).error_code, 50002);
        // v2 keeps its own codes.
        assert_eq!(ApiError::from(&unsupported).error_code, 50002);
        assert_eq!(ApiError::from(&unknown).error_code, 40401);
    }
}
