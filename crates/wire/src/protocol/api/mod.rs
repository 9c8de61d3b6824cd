//! One module per Kafka API the client speaks: its key (from the message
//! type), the range of versions this client uses, and helpers to build the
//! request and read the response.
//!
//! The version actually sent is the highest one both the client range and the
//! broker's advertised range (from ApiVersions) contain.

pub mod api_versions;
pub mod create_topics;
pub mod delete_groups;
pub mod describe_groups;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod produce;
pub mod sasl_authenticate;
pub mod sasl_handshake;
pub mod sync_group;

use kafka_protocol::protocol::{Request, VersionRange};

pub use api_versions::ApiVersionTable;

/// A Kafka API this client speaks.
pub trait Api: Request + Send + Sync + 'static {
    /// The API's name as the protocol guide writes it.
    const NAME: &'static str;
    /// The versions this client can send; intersected with the broker's.
    const CLIENT_VERSIONS: VersionRange;
}

/// Implements [`Api`] for a request type.
macro_rules! api {
    ($request:ty, $name:literal, $min:literal..=$max:literal) => {
        impl $crate::protocol::api::Api for $request {
            const NAME: &'static str = $name;
            const CLIENT_VERSIONS: kafka_protocol::protocol::VersionRange =
                kafka_protocol::protocol::VersionRange {
                    min: $min,
                    max: $max,
                };
        }
    };
}
pub(crate) use api;
