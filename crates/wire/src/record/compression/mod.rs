//! Record batch compression codecs, one module per codec.
//!
//! The codec id lives in the low three bits of a batch's `attributes`.
//! Decompression is bounded: output past `limit` bytes is an error, so a
//! hostile batch cannot inflate without bound.
//!
//! # References
//! - <https://kafka.apache.org/documentation/#recordbatch>

mod gzip;
mod levels;
mod lz4;
mod snappy;
mod zstd;

pub use levels::CompressionLevels;

use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;

/// A record batch compression codec (`compression.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression (codec id 0).
    #[default]
    None,
    /// gzip (codec id 1).
    Gzip,
    /// Snappy (codec id 2); written in the xerial framing Java clients use.
    Snappy,
    /// LZ4 frame format (codec id 3).
    Lz4,
    /// Zstandard (codec id 4).
    Zstd,
}

/// Why compressing or decompressing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompressionError {
    /// The decompressed data would exceed the configured limit.
    #[error("decompressed batch exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The codec reported an error (corrupt or truncated input).
    #[error("{codec} codec error: {message}")]
    Codec {
        /// The codec that failed.
        codec: Compression,
        /// What the codec said.
        message: String,
    },
    /// The attribute bits name a codec that does not exist.
    #[error("unknown compression codec id {0}")]
    UnknownCodec(i16),
}

impl Compression {
    /// Every codec, in codec-id order.
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// The codec id stored in the batch attributes.
    pub fn id(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The codec named by the low three bits of `attributes`.
    pub fn from_attributes(attributes: i16) -> Result<Self, CompressionError> {
        match attributes & 0x07 {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Gzip),
            2 => Ok(Compression::Snappy),
            3 => Ok(Compression::Lz4),
            4 => Ok(Compression::Zstd),
            other => Err(CompressionError::UnknownCodec(other)),
        }
    }

    /// The name used by `compression.type`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// Compresses `input` at the codec's default level, appending the
    /// compressed bytes to `out`.
    pub fn compress(self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
        self.compress_at(input, out, None)
    }

    /// Compresses `input` at `level` (`None`: the codec's default; see
    /// [`CompressionLevels`] for the ranges and which codecs apply one),
    /// appending the compressed bytes to `out`.
    pub fn compress_at(
        self,
        input: &[u8],
        out: &mut Vec<u8>,
        level: Option<i32>,
    ) -> Result<(), CompressionError> {
        match self {
            Compression::None => {
                out.extend_from_slice(input);
                Ok(())
            }
            Compression::Gzip => gzip::compress(input, out, level),
            Compression::Snappy => snappy::compress(input, out),
            Compression::Lz4 => lz4::compress(input, out),
            Compression::Zstd => zstd::compress(input, out, level),
        }
    }

    /// Decompresses `input`, appending to `out`; fails once more than `limit`
    /// bytes would be appended.
    pub fn decompress(
        self,
        input: &[u8],
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CompressionError> {
        match self {
            Compression::None => {
                if input.len() > limit {
                    return Err(CompressionError::TooLarge { limit });
                }
                out.extend_from_slice(input);
                Ok(())
            }
            Compression::Gzip => gzip::decompress(input, limit, out),
            Compression::Snappy => snappy::decompress(input, limit, out),
            Compression::Lz4 => lz4::decompress(input, limit, out),
            Compression::Zstd => zstd::decompress(input, limit, out),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compression {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Ok(Compression::None),
            "gzip" => Ok(Compression::Gzip),
            "snappy" => Ok(Compression::Snappy),
            "lz4" => Ok(Compression::Lz4),
            "zstd" => Ok(Compression::Zstd),
            other => Err(format!(
                "unknown compression.type '{other}' (expected none, gzip, snappy, lz4 or zstd)"
            )),
        }
    }
}

/// Appends everything `reader` yields to `out`, reading at most `limit + 1`
/// bytes so an oversized stream is detected without inflating all of it.
///
/// `size_hint` (a size the compressed format announces) is reserved up front,
/// capped at `limit`, so a correct hint costs one allocation instead of a
/// series of doublings; a wrong one costs nothing but that reservation.
fn read_bounded(
    codec: Compression,
    reader: impl Read,
    limit: usize,
    size_hint: Option<usize>,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let start = out.len();
    if let Some(hint) = size_hint {
        // One spare byte lets read_to_end see the end without regrowing.
        out.reserve(hint.min(limit).saturating_add(1));
    }
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    match reader.take(cap).read_to_end(out) {
        Ok(read) if read > limit => {
            out.truncate(start);
            Err(CompressionError::TooLarge { limit })
        }
        Ok(_) => Ok(()),
        Err(err) => {
            out.truncate(start);
            Err(io_error(codec, &err))
        }
    }
}

/// A [`CompressionError::Codec`] describing an I/O error from a decoder.
fn io_error(codec: Compression, err: &io::Error) -> CompressionError {
    if err.kind() == io::ErrorKind::UnexpectedEof {
        codec.error(format!("truncated input: {err}"))
    } else {
        codec.error(format!("corrupt input: {err}"))
    }
}

impl Compression {
    /// A [`CompressionError::Codec`] of this codec.
    fn error(self, message: impl Into<String>) -> CompressionError {
        CompressionError::Codec {
            codec: self,
            message: message.into(),
        }
    }
}

/// What the codecs' tests share.
#[cfg(test)]
mod testing {
    use super::{Compression, CompressionError};

    impl Compression {
        /// `input` compressed; panics if compression fails.
        pub(super) fn compressed(self, input: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            self.compress(input, &mut out).expect("compress");
            out
        }

        /// `input` decompressed within `limit` bytes.
        pub(super) fn decompressed(
            self,
            input: &[u8],
            limit: usize,
        ) -> Result<Vec<u8>, CompressionError> {
            let mut out = Vec::new();
            self.decompress(input, limit, &mut out).map(|()| out)
        }

        /// Asserts that `input` comes back from its compressed form, with a
        /// limit of exactly its length.
        pub(super) fn round_trip(self, input: &[u8]) {
            let packed = self.compressed(input);
            let unpacked = self.decompressed(&packed, input.len()).expect("decompress");
            assert_eq!(unpacked, input, "{self}");
        }
    }

    /// Mostly compressible data with some variety, `len` bytes long.
    pub(super) fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i / 4096) as u8)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Compression;
    use proptest::prelude::*;

    /// The codecs that compress (sizes up to 150 KB span several LZ4 blocks
    /// of 64 KiB and Snappy blocks of 32 KiB).
    fn codec() -> impl Strategy<Value = Compression> {
        prop::sample::select(&Compression::ALL[1..])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn prop_round_trip(
            codec in codec(),
            input in prop::collection::vec(any::<u8>(), 0..150_000),
        ) {
            let packed = codec.compressed(&input);
            prop_assert_eq!(codec.decompressed(&packed, input.len()).unwrap(), input);
        }

        /// Compression appends: what the output holds (a batch header) stays.
        #[test]
        fn prop_compression_keeps_the_output_prefix(
            codec in codec(),
            prefix in prop::collection::vec(any::<u8>(), 0..80),
            input in prop::collection::vec(0u8..8, 0..20_000),
        ) {
            let mut out = prefix.clone();
            codec.compress(&input, &mut out).unwrap();
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            prop_assert_eq!(
                codec.decompressed(&out[prefix.len()..], input.len()).unwrap(),
                input
            );
        }

        #[test]
        fn prop_mutated_input_never_panics(
            codec in codec(),
            input in prop::collection::vec(0u8..4, 0..100_000),
            flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
            limit in 0usize..131_072,
        ) {
            let mut packed = codec.compressed(&input);
            for (at, mask) in flips {
                let at = at.index(packed.len());
                packed[at] ^= mask;
            }
            if let Ok(out) = codec.decompressed(&packed, limit) {
                prop_assert!(out.len() <= limit);
            }
        }

        #[test]
        fn prop_arbitrary_input_never_panics(
            codec in codec(),
            input in prop::collection::vec(any::<u8>(), 0..256),
            limit in 0usize..65_536,
        ) {
            if let Ok(out) = codec.decompressed(&input, limit) {
                prop_assert!(out.len() <= limit);
            }
        }
    }
}
