//! The admin API: typed calls for topics, partitions, configs, the cluster,
//! brokers, ACLs, records, reassignments, log directories and consumer
//! groups, on top of the
//! cluster [`Client`].
//!
//! Every call picks the broker the protocol wants it sent to:
//! - the **controller** (from the cached metadata, or any broker when it is
//!   unknown) for topic creation and deletion, new partitions, partition
//!   reassignments and leader elections;
//! - **the broker itself** for its own configs, its loggers and its log
//!   directories;
//! - the **partition leaders** for DeleteRecords and ListOffsets (one request
//!   per leader);
//! - **any broker** for the rest (topic configs, ACLs, DescribeCluster).
//!
//! Requests that fail as a whole with a retriable error (a dropped
//! connection, NOT_CONTROLLER, ...) are retried with the client's backoff
//! until `default.api.timeout.ms`. Errors about single items (a topic that
//! exists already, a partition whose leader refused) are reported per item:
//! batch calls return one `Result` per topic, partition, resource or ACL
//! filter, and single-item calls return that item's result.
//!
//! Broker errors become [`Error::Broker`] (topics and partitions) or
//! [`Error::Resource`] (other resources), both with the broker's message. An
//! API the broker does not speak is [`Error::UnsupportedApi`], and a
//! feature the cluster cannot provide [`Error::Unsupported`]; both answer
//! [`Error::is_unsupported`]. Two APIs have fallbacks: AlterConfigs (read,
//! change, write back) when IncrementalAlterConfigs is missing, and Metadata
//! when DescribeCluster is.
//!
//! # References
//! - KIP-4 (admin APIs and the controller in Metadata), KIP-590 (brokers
//!   forward admin requests to the KRaft controller)
//! - <https://kafka.apache.org/protocol#protocol_api_keys>

pub mod acls;
pub mod brokers;
pub mod cluster;
pub mod configs;
pub mod groups;
pub mod log_dirs;
pub mod partitions;
pub mod reassignments;
pub mod records;
pub mod topics;

use std::fmt;
use std::future::Future;
use std::time::Duration;

pub use acls::{
    AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AclResourceType, PatternType,
};
pub use cluster::ClusterDescription;
pub use configs::{
    AlterConfigOp, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource, ConfigSynonym,
    ConfigType, DescribeConfigsOptions,
};
pub use groups::{
    GroupAdmin, GroupDescription, GroupListing, GroupResults, MemberDescription, PartitionLag,
};
pub use log_dirs::{LogDir, ReplicaLogInfo};
pub use partitions::ElectionType;
pub use reassignments::PartitionReassignment;
pub use records::Watermarks;
pub use topics::{CreatedTopic, NewTopic};

use crate::cluster::Client;
use crate::config::ClientConfig;
use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::protocol::api::Api;
use crate::protocol::ProtocolError;

/// The admin client of one cluster; cheap to clone (it shares the
/// [`Client`]'s metadata cache and connections).
#[derive(Debug, Clone)]
pub struct Admin {
    client: Client,
    operation_timeout: Duration,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The controller, or any broker while it is unknown.
    Controller,
    /// Any reachable broker.
    Any,
    /// This broker.
    Broker(i32),
}

impl Admin {
    /// An admin client on top of `client`. The operation timeout (how long
    /// the broker may work on a request before answering, e.g. waiting for
    /// a topic's creation) is 90% of `request.timeout.ms`, so the answer
    /// arrives before the request times out.
    pub fn new(client: Client) -> Admin {
        let operation_timeout = client.config().connection.request_timeout.mul_f64(0.9);
        Admin {
            client,
            operation_timeout,
        }
    }

    /// Connects to the cluster (see [`Client::connect`]).
    pub async fn connect(config: ClientConfig) -> Result<Admin> {
        Ok(Admin::new(Client::connect(config).await?))
    }

    /// The same admin client with another operation timeout.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Admin {
        self.operation_timeout = timeout;
        self
    }

    /// The operation timeout sent in requests that carry one.
    pub fn operation_timeout(&self) -> Duration {
        self.operation_timeout
    }

    /// The underlying cluster client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn timeout_ms(&self) -> i32 {
        self.operation_timeout.as_millis().min(i32::MAX as u128) as i32
    }

    /// The connection for `target`. Metadata is refreshed first when it is
    /// stale, so a moved controller is found again after NOT_CONTROLLER.
    pub(crate) async fn connection(&self, target: Target) -> Result<Connection> {
        match target {
            Target::Any => self.client.any_broker().await,
            Target::Controller => {
                let metadata = self.client.metadata().await?;
                if metadata.brokers.contains_key(&metadata.controller_id) {
                    self.client.broker(metadata.controller_id).await
                } else {
                    self.client.any_broker().await
                }
            }
            Target::Broker(id) => {
                let mut metadata = self.client.metadata().await?;
                if !metadata.brokers.contains_key(&id) {
                    metadata = self.client.refresh_metadata().await?;
                }
                if !metadata.brokers.contains_key(&id) {
                    return Err(Error::UnknownBroker(id));
                }
                self.client.broker(id).await
            }
        }
    }

    /// Sends a request to `target` and returns the response with the
    /// version used. `build` makes the request for the version negotiated
    /// with the broker; `check` looks at the response and may ask for a
    /// retry by returning a retriable error (NOT_CONTROLLER for every item,
    /// say). Retriable failures are retried until `default.api.timeout.ms`.
    pub(crate) async fn call<R, B, C>(
        &self,
        target: Target,
        build: B,
        check: C,
    ) -> Result<(R::Response, i16)>
    where
        R: Api,
        B: Fn(i16) -> Result<R>,
        C: Fn(&R::Response, i16) -> Result<()>,
    {
        self.client
            .retry(R::NAME, || async {
                let conn = self.connection(target).await?;
                let version = conn.version::<R>()?;
                let request = build(version)?;
                let response = conn.call_version(&request, version).await?;
                check(&response, version)?;
                Ok((response, version))
            })
            .await
    }

    /// Runs `attempt` with the client's retry policy (see [`Client::retry`]).
    pub(crate) async fn retry<T, F, Fut>(&self, what: &'static str, attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.client.retry(what, attempt).await
    }
}

/// Accepts every response (for [`Admin::call`]).
pub(crate) fn accept<T>(_: &T, _: i16) -> Result<()> {
    Ok(())
}

/// The error for a response that leaves out an item the request named.
pub(crate) fn missing(api: &'static str, version: i16, what: impl fmt::Display) -> Error {
    Error::Protocol(ProtocolError::Decode {
        api,
        version,
        message: format!("response lacks {what}"),
    })
}

/// A string that is not the Kafka name of any value of an enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'")]
pub struct ParseEnumError {
    /// What was being parsed (`ACL operation`, ...).
    pub kind: &'static str,
    /// The string given.
    pub value: String,
}

/// Defines an enum of a Kafka protocol code with Kafka's names: `code`,
/// `from_code` (unknown codes become the `unknown` variant), `as_str`,
/// `Display` and case-insensitive `FromStr` (which does not accept the
/// unknown variant's name).
macro_rules! kafka_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ty, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $text:literal, )*
        }
        $(#[$umeta:meta])* unknown $unknown:ident = $ucode:literal => $utext:literal;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            $(#[$umeta])* $unknown,
        }

        impl $name {
            /// Every value except the unknown one, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The protocol code.
            pub fn code(self) -> $repr {
                match self {
                    $($name::$variant => $code,)*
                    $name::$unknown => $ucode,
                }
            }

            /// The value of a protocol code; codes this client does not
            /// know give the unknown value.
            pub fn from_code(code: $repr) -> $name {
                match code {
                    $($code => $name::$variant,)*
                    _ => $name::$unknown,
                }
            }

            /// Kafka's name of the value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                    $name::$unknown => $utext,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::admin::ParseEnumError;

            fn from_str(s: &str) -> std::result::Result<$name, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| $crate::admin::ParseEnumError {
                        kind: $kind,
                        value: s.to_owned(),
                    })
            }
        }
    };
}
pub(crate) use kafka_enum;
