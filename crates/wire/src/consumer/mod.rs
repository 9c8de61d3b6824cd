//! Reading: Fetch with byte and wait limits and an isolation level, offset
//! look-ups, a partition reader that yields decoded records from an offset,
//! and the partition assignors consumer groups use.

pub mod assignor;
mod fetch;
mod reader;
mod topic_partition;

pub use fetch::{fetch, FetchConfig, FetchedPartition};
pub use reader::{OffsetReset, PartitionReader};
pub use topic_partition::{OffsetAndMetadata, TopicPartition};
