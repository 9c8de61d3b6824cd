//! Typed errors of the `wire` client, one enum per layer, linked with `#[from]`.
//!
//! A broker's error code becomes [`Error::Broker`], which keeps the code
//! ([`ResponseError`]) together with the request it answered: the API, the
//! topic and partition where there is one, and the broker's error message.
//! Errors about resources that are not topics (a broker's configs, an ACL
//! binding, a broker) become [`Error::Resource`], which names the resource
//! instead. [`Error::code`] and [`Error::message`] read both.

use std::time::Duration;

pub use kafka_protocol::error::ResponseError;

use crate::protocol::ProtocolError;
use crate::record::RecordError;

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Anything that can go wrong talking to Kafka.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket operation failed.
    #[error("i/o error with broker {broker}: {source}")]
    Io {
        /// The broker's `host:port`.
        broker: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The connection closed or was poisoned while the request was in flight.
    #[error("connection to broker {broker} closed: {reason}")]
    Disconnected {
        /// The broker's `host:port`.
        broker: String,
        /// Why the connection ended.
        reason: String,
    },
    /// Bytes from the broker could not be framed or decoded.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A record batch could not be encoded or decoded.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The broker answered with an error code.
    #[error("{api} failed{}: {code} (error code {}){}", context(.topic, .partition), .code.code(), suffix(.message))]
    Broker {
        /// The broker's error code.
        code: ResponseError,
        /// The API that was called.
        api: &'static str,
        /// The topic the error is about, if any.
        topic: Option<String>,
        /// The partition the error is about, if any.
        partition: Option<i32>,
        /// The broker's error message, if it sent one.
        message: Option<String>,
    },
    /// The broker answered with an error code about a resource that is not
    /// a topic or partition: a broker's or broker logger's configs, an ACL
    /// binding or filter, a broker, the cluster.
    #[error("{api} failed for {resource}: {code} (error code {}){}", .code.code(), suffix(.message))]
    Resource {
        /// The broker's error code.
        code: ResponseError,
        /// The API that was called.
        api: &'static str,
        /// The resource, in words (`broker 1`, `broker logger 1`, `ACL binding ...`).
        resource: String,
        /// The broker's error message, if it sent one.
        message: Option<String>,
    },
    /// No response arrived within the request timeout.
    #[error("{api} request to broker {broker} timed out after {timeout:?}")]
    Timeout {
        /// The API that was called.
        api: &'static str,
        /// The broker's `host:port`.
        broker: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// SASL authentication failed.
    #[error("authentication with broker {broker} failed: {message}")]
    Authentication {
        /// The broker's `host:port`.
        broker: String,
        /// The broker's or the mechanism's explanation.
        message: String,
    },
    /// TLS could not be set up or the handshake failed.
    #[error("tls: {0}")]
    Tls(String),
    /// The client configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The broker does not support an API (or any version of it) the call needs.
    #[error("broker {broker} does not support {api} (versions {min}..={max} needed)")]
    UnsupportedApi {
        /// The broker's `host:port`.
        broker: String,
        /// The API name.
        api: &'static str,
        /// Lowest version the client speaks.
        min: i16,
        /// Highest version the client speaks.
        max: i16,
    },
    /// What a call asks for needs more than the cluster supports (an unclean
    /// leader election from a broker that only speaks ElectLeaders v0, an
    /// AlterConfigs fallback that would lose a sensitive config, ...).
    #[error("not supported by the cluster: {0}")]
    Unsupported(String),
    /// A call's arguments are invalid; nothing was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The broker is not in the cluster metadata (after a refresh).
    #[error("unknown broker {0}")]
    UnknownBroker(i32),
    /// The topic does not exist in the cluster metadata.
    #[error("unknown topic {0}")]
    UnknownTopic(String),
    /// The partition does not exist for the topic.
    #[error("unknown partition {partition} of topic {topic}")]
    UnknownPartition {
        /// Topic name.
        topic: String,
        /// Partition index.
        partition: i32,
    },
    /// No bootstrap server or broker could be reached.
    #[error("no broker reachable: {0}")]
    NoBrokers(String),
    /// A record could not be delivered within `delivery.timeout.ms`.
    #[error(
        "record not delivered within {timeout:?} ({attempts} attempts; last error: {last_error})"
    )]
    DeliveryTimeout {
        /// Produce attempts made.
        attempts: u32,
        /// The error of the last attempt.
        last_error: String,
        /// The delivery timeout.
        timeout: Duration,
    },
    /// A record is larger than the producer accepts.
    #[error("record of {size} bytes exceeds the maximum of {max} bytes (max.request.size, buffer.memory)")]
    RecordTooLarge {
        /// Encoded size with batch overhead.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A group coordinator answered with an error about a consumer group
    /// (membership, commits, group administration).
    #[error("{api} for group '{group}' failed: {code} (error code {}){}", .code.code(), suffix(.message))]
    Group {
        /// The broker's error code.
        code: ResponseError,
        /// The API that was called.
        api: &'static str,
        /// The group id.
        group: String,
        /// The broker's error message, if it sent one.
        message: Option<String>,
    },
    /// The consumer was asked to subscribe or assign while another kind of
    /// subscription is active: topics, a pattern and manually assigned
    /// partitions are mutually exclusive.
    #[error("cannot {requested}: the consumer already {current}; topic subscriptions, pattern subscriptions and manual assignment are mutually exclusive")]
    SubscriptionConflict {
        /// What the consumer currently does (e.g. "subscribes to topics").
        current: &'static str,
        /// What was asked (e.g. "assign partitions").
        requested: &'static str,
    },
    /// A subscription pattern is not a valid regular expression.
    #[error("invalid subscription pattern '{pattern}': {message}")]
    InvalidPattern {
        /// The pattern given.
        pattern: String,
        /// Why it is invalid.
        message: String,
    },
    /// A partition the call names is not assigned to this consumer.
    #[error("partition {topic}-{partition} is not assigned to this consumer")]
    NotAssigned {
        /// Topic name.
        topic: String,
        /// Partition index.
        partition: i32,
    },
    /// A partition has no committed offset and `auto.offset.reset` is
    /// `none`.
    #[error("no committed offset for {topic}-{partition} and auto.offset.reset is none")]
    NoOffset {
        /// Topic name.
        topic: String,
        /// Partition index.
        partition: i32,
    },
    /// The client (or producer) has been closed.
    #[error("client closed")]
    Closed,
}

fn suffix(message: &Option<String>) -> String {
    match message {
        Some(m) if !m.is_empty() => format!(": {m}"),
        _ => String::new(),
    }
}

fn context(topic: &Option<String>, partition: &Option<i32>) -> String {
    match (topic, partition) {
        (Some(t), Some(p)) => format!(" for {t}-{p}"),
        (Some(t), None) => format!(" for topic {t}"),
        _ => String::new(),
    }
}

impl Error {
    /// A broker error code for `api`, without topic context.
    pub fn broker(code: ResponseError, api: &'static str) -> Self {
        Error::Broker {
            code,
            api,
            topic: None,
            partition: None,
            message: None,
        }
    }

    /// A broker error code about a topic (and partition), with the broker's
    /// message; an empty message counts as none.
    pub fn topic(
        code: ResponseError,
        api: &'static str,
        topic: impl Into<String>,
        partition: Option<i32>,
        message: Option<String>,
    ) -> Self {
        Error::Broker {
            code,
            api,
            topic: Some(topic.into()),
            partition,
            message: message.filter(|m| !m.is_empty()),
        }
    }

    /// A broker error code about a resource that is not a topic, with the
    /// broker's message; an empty message counts as none.
    pub fn resource(
        code: ResponseError,
        api: &'static str,
        resource: impl Into<String>,
        message: Option<String>,
    ) -> Self {
        Error::Resource {
            code,
            api,
            resource: resource.into(),
            message: message.filter(|m| !m.is_empty()),
        }
    }

    /// Whether retrying the same call (after refreshing metadata) may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Io { .. } | Error::Disconnected { .. } | Error::Timeout { .. } => true,
            Error::Broker { code, .. } | Error::Resource { code, .. } | Error::Group { code, .. } => code.is_retriable(),
            Error::NoBrokers(_) => true,
            _ => false,
        }
    }

    /// Whether the cached metadata is likely stale (leadership moved, broker gone).
    pub fn invalidates_metadata(&self) -> bool {
        match self {
            Error::Io { .. } | Error::Disconnected { .. } | Error::Timeout { .. } => true,
            Error::Broker { code, .. } | Error::Resource { code, .. } => matches!(
                code,
                ResponseError::NotLeaderOrFollower
                    | ResponseError::LeaderNotAvailable
                    | ResponseError::UnknownTopicOrPartition
                    | ResponseError::BrokerNotAvailable
                    | ResponseError::ReplicaNotAvailable
                    | ResponseError::FencedLeaderEpoch
                    | ResponseError::UnknownLeaderEpoch
                    | ResponseError::NotController
                    | ResponseError::NotCoordinator
                    | ResponseError::NetworkException
            ),
            _ => false,
        }
    }

    /// A group coordinator's error code for `group`.
    pub fn group(code: ResponseError, api: &'static str, group: &str) -> Self {
        Error::Group {
            code,
            api,
            group: group.to_owned(),
            message: None,
        }
    }

    /// Whether the error means the group moved on without this member, so it
    /// has to rejoin (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
    /// UNKNOWN_MEMBER_ID).
    pub fn needs_rejoin(&self) -> bool {
        matches!(
            self.code(),
            Some(
                ResponseError::RebalanceInProgress
                    | ResponseError::IllegalGeneration
                    | ResponseError::UnknownMemberId
            )
        )
    }

    /// The broker's error code, if this error came from one.
    pub fn code(&self) -> Option<ResponseError> {
        match self {
            Error::Broker { code, .. } | Error::Resource { code, .. } | Error::Group { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The broker's error message, if this error came from a broker that sent one.
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Broker { message, .. } | Error::Resource { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// Whether the cluster lacks what the call needs: an API or API version
    /// it does not speak ([`Error::UnsupportedApi`], the broker's
    /// `UNSUPPORTED_VERSION`) or a feature ([`Error::Unsupported`]).
    pub fn is_unsupported(&self) -> bool {
        match self {
            Error::UnsupportedApi { .. } | Error::Unsupported(_) => true,
            _ => self.code() == Some(ResponseError::UnsupportedVersion),
        }
    }
}

/// Turns a response error code into `Ok(())` or an [`Error::Broker`].
pub(crate) fn check(code: i16, api: &'static str) -> Result<()> {
    match ResponseError::try_from_code(code) {
        None => Ok(()),
        Some(code) => Err(Error::broker(code, api)),
    }
}
