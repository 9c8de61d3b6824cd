//! Record batch v2: our own encoder and decoder, with CRC32C and compression.
//!
//! Decoding is zero-copy for uncompressed batches (keys, values and header
//! values are slices of the fetched bytes) and allocates nothing per record
//! beyond a record's header list when it has headers.
//!
//! # References
//! - <https://kafka.apache.org/documentation/#recordbatch>
//! - KIP-98 (record batch v2, control batches), KIP-82 (headers)

mod batch;
mod builder;
pub mod compression;
mod encoded;
mod headers;
pub mod varint;

pub use batch::{
    decode_batches, restamp_producer, stamp_append, BatchHeader, ControlRecord, DecodeOptions,
    RecordBatch, TimestampType, BATCH_OVERHEAD,
};
pub use builder::{BatchBuilder, BatchParams, HeaderSet, SHARE_VALUES_FROM};
pub use compression::{Compression, CompressionError, CompressionLevels};
pub use encoded::EncodedBatch;
pub use headers::{Headers, HeadersIter};

use bytes::Bytes;
use kafka_protocol::protocol::StrBytes;

/// One record header. Keys are strings and may repeat; order is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Header key (UTF-8).
    pub key: StrBytes,
    /// Header value; `None` is a null value.
    pub value: Option<Bytes>,
}

impl Header {
    /// A header from a key and value.
    pub fn new(key: impl Into<String>, value: Option<impl Into<Bytes>>) -> Self {
        Header {
            key: StrBytes::from_string(key.into()),
            value: value.map(Into::into),
        }
    }
}

/// A record inside a batch, with its absolute offset and timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// Absolute offset (batch base offset + offset delta).
    pub offset: i64,
    /// Timestamp in ms: the create time, or the batch's log-append time.
    pub timestamp: i64,
    /// Key; `None` is a null key.
    pub key: Option<Bytes>,
    /// Value; `None` is a null value (a tombstone).
    pub value: Option<Bytes>,
    /// Headers in order, duplicates kept.
    pub headers: Headers,
}

/// Something that can be written as a record header.
pub trait HeaderRef {
    /// The key bytes (UTF-8).
    fn key(&self) -> &[u8];
    /// The value bytes, `None` for null.
    fn value(&self) -> Option<&[u8]>;
}

impl HeaderRef for Header {
    fn key(&self) -> &[u8] {
        self.key.as_bytes()
    }
    fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
}

impl HeaderRef for (&str, Option<&[u8]>) {
    fn key(&self) -> &[u8] {
        self.0.as_bytes()
    }
    fn value(&self) -> Option<&[u8]> {
        self.1
    }
}

/// Why a record batch could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Input ended inside a structure.
    #[error("record batch truncated: {0}")]
    Truncated(&'static str),
    /// A field holds an impossible value.
    #[error("corrupt record batch: {0}")]
    Corrupt(&'static str),
    /// The stored CRC32C does not match the batch contents.
    #[error("record batch CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Crc {
        /// The CRC in the batch header.
        stored: u32,
        /// The CRC of the bytes received.
        computed: u32,
    },
    /// The batch uses a message format other than v2.
    #[error("unsupported message format (magic {0}); only record batch v2 is supported")]
    UnsupportedMagic(i8),
    /// Decompression or compression failed.
    #[error(transparent)]
    Compression(#[from] CompressionError),
    /// A batch is larger than the configured maximum.
    #[error("record batch of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The batch size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}
