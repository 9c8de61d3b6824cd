//! The sans-I/O protocol core: frames, headers and one module per Kafka API.
//!
//! Everything here works on byte buffers only; nothing imports tokio. The
//! connection layer ([`crate::conn`]) moves the bytes.
//!
//! # References
//! - Kafka protocol guide: <https://kafka.apache.org/protocol>
//! - KIP-482 (tagged fields, flexible versions)

pub mod api;
pub mod consumer_protocol;
pub mod frame;
pub mod header;

/// Errors of the framing and message codec.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame's length prefix is larger than the configured maximum.
    #[error("frame of {size} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// The size the prefix claims.
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A frame's length prefix is negative.
    #[error("invalid frame length {0}")]
    InvalidFrameLength(i32),
    /// A message could not be encoded.
    #[error("cannot encode {api} v{version}: {message}")]
    Encode {
        /// API name.
        api: &'static str,
        /// Version used.
        version: i16,
        /// Encoder's explanation.
        message: String,
    },
    /// A response could not be decoded.
    #[error("cannot decode {api} v{version} response: {message}")]
    Decode {
        /// API name.
        api: &'static str,
        /// Version used.
        version: i16,
        /// Decoder's explanation.
        message: String,
    },
    /// A response frame is shorter than its header.
    #[error("response frame of {0} bytes is too short for a header")]
    ShortResponse(usize),
}
