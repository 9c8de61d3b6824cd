//! Partition and committed-offset values shared by the consumer, the group
//! membership code, the assignors and group administration.

pub use crate::cluster::TopicPartition;

/// An offset to commit, or one a group has committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetAndMetadata {
    /// The offset of the next record to consume.
    pub offset: i64,
    /// The metadata string stored with the offset.
    pub metadata: Option<String>,
    /// The leader epoch of the last consumed record, if known.
    pub leader_epoch: Option<i32>,
}

impl OffsetAndMetadata {
    /// An offset without metadata.
    pub fn new(offset: i64) -> Self {
        OffsetAndMetadata {
            offset,
            metadata: None,
            leader_epoch: None,
        }
    }

    /// An offset with a metadata string.
    pub fn with_metadata(offset: i64, metadata: impl Into<String>) -> Self {
        OffsetAndMetadata {
            offset,
            metadata: Some(metadata.into()),
            leader_epoch: None,
        }
    }
}
