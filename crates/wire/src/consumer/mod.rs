//! Reading: Fetch with byte and wait limits and an isolation level, offset
//! look-ups, and a partition reader that yields decoded records from an offset.

mod fetch;
mod reader;

pub use fetch::{fetch, FetchConfig, FetchedPartition};
pub use reader::{OffsetReset, PartitionReader};
