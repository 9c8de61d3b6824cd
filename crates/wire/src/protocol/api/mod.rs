//! One module per Kafka API the client speaks: its key (from the message
//! type), the range of versions this client uses, and helpers to build the
//! request and read the response.
//!
//! The version actually sent is the highest one both the client range and the
//! broker's advertised range (from ApiVersions) contain.

pub mod alter_configs;
pub mod alter_partition_reassignments;
pub mod api_versions;
pub mod create_acls;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_acls;
pub mod delete_groups;
pub mod delete_records;
pub mod delete_topics;
pub mod describe_acls;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_groups;
pub mod describe_log_dirs;
pub mod elect_leaders;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod incremental_alter_configs;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod list_partition_reassignments;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod produce;
pub mod sasl_authenticate;
pub mod sasl_handshake;
pub mod sync_group;
pub mod unregister_broker;

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

/// Groups `(topic, item)` pairs by topic, keeping the order in which topics
/// first appear and the order of items within a topic.
pub(crate) fn group_by_topic<'a, T>(
    items: impl IntoIterator<Item = (&'a str, T)>,
) -> Vec<(&'a str, Vec<T>)> {
    let mut groups: Vec<(&'a str, Vec<T>)> = Vec::new();
    let mut index: std::collections::HashMap<&'a str, usize> = std::collections::HashMap::new();
    for (topic, item) in items {
        match index.get(topic) {
            Some(&i) => groups[i].1.push(item),
            None => {
                index.insert(topic, groups.len());
                groups.push((topic, vec![item]));
            }
        }
    }
    groups
}
