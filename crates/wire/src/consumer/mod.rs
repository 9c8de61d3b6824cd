//! Reading: Fetch with byte and wait limits and an isolation level, offset
//! look-ups, a partition reader that yields decoded records from an offset,
//! and a [`Consumer`] that reads the partitions its consumer group (or its
//! owner) assigns to it and commits its positions.

pub mod assignor;
mod config;
#[allow(clippy::module_inception)]
mod consumer;
mod fetch;
pub mod group;
mod reader;
mod topic_partition;

pub use config::{ConsumerConfig, CONSUMER_PROPERTIES};
pub use consumer::{ConsumedRecord, Consumer};
pub use fetch::{fetch, FetchConfig, FetchedPartition};
pub use reader::{OffsetReset, PartitionReader};
pub use topic_partition::{OffsetAndMetadata, TopicPartition};
