//! gzip (codec id 1): a gzip stream (RFC 1952) around the whole record
//! payload, as Java's `GZIPOutputStream` writes it.
//!
//! Compression uses the default deflate level (6), the same level Java's
//! `Deflater.DEFAULT_COMPRESSION` picks. Decompression accepts several
//! concatenated gzip members, as `GZIPInputStream` does, verifies each
//! member's CRC-32 and length trailer, and stops as soon as the output passes
//! the caller's limit, so the amount of memory used never depends on sizes
//! claimed by the input.
//!
//! Unlike `GZIPInputStream`, bytes after the last member that do not start a
//! valid member are an error rather than silently ignored.
//!
//! # References
//! - Kafka record batch compression:
//!   <https://kafka.apache.org/documentation/#recordbatch>
//! - Kafka's `GzipCompression` (Java client):
//!   <https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/common/compress/GzipCompression.java>
//! - GZIP file format, RFC 1952: <https://www.rfc-editor.org/rfc/rfc1952>

use std::io::Write;

use flate2::bufread::MultiGzDecoder;
use flate2::write::GzEncoder;

use super::{Compression, CompressionError};

/// The codec this module implements.
const CODEC: Compression = Compression::Gzip;

/// Compresses `input` as a single gzip member at `level` (1 to 9; `None`
/// for 6) and appends it to `out`.
pub(super) fn compress(
    input: &[u8],
    out: &mut Vec<u8>,
    level: Option<i32>,
) -> Result<(), CompressionError> {
    let start = out.len();
    let level = level
        .and_then(|l| u32::try_from(l).ok())
        .map_or_else(flate2::Compression::default, flate2::Compression::new);
    let mut encoder = GzEncoder::new(&mut *out, level);
    let result = encoder.write_all(input).and_then(|()| encoder.try_finish());
    drop(encoder);
    result.map_err(|err| {
        out.truncate(start);
        CODEC.error(format!("compression failed: {err}"))
    })
}

/// Decompresses the gzip stream in `input`, appending the result to `out`.
///
/// Fails with [`CompressionError::TooLarge`] once more than `limit` bytes
/// would be appended, and with [`CompressionError::Codec`] on empty, corrupt
/// or truncated input. On error `out` is left as it was.
pub(super) fn decompress(
    input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    if input.is_empty() {
        return Err(CODEC.error("empty input"));
    }
    // The last member's trailer holds its uncompressed size (ISIZE, mod 2^32):
    // exact for the single member producers write.
    let hint = input
        .len()
        .checked_sub(4)
        .and_then(|at| input.get(at..))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(|b| u32::from_le_bytes(b) as usize);
    super::read_bounded(CODEC, MultiGzDecoder::new(input), limit, hint, out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::sample;
    use super::*;

    #[test]
    fn round_trips_empty_small_and_large() {
        CODEC.round_trip(b"");
        CODEC.round_trip(b"hello, kafka");
        CODEC.round_trip(&sample(300 * 1024));
    }

    #[test]
    fn writes_a_gzip_member() {
        let packed = CODEC.compressed(b"abc");
        assert_eq!(&packed[..3], &[0x1f, 0x8b, 0x08]);
    }

    #[test]
    fn appends_to_existing_output() {
        let packed = CODEC.compressed(b"payload");
        let mut out = b"prefix".to_vec();
        decompress(&packed, 7, &mut out).expect("decompress");
        assert_eq!(out, b"prefixpayload");
    }

    #[test]
    fn accepts_concatenated_members() {
        let mut packed = CODEC.compressed(b"first ");
        packed.extend_from_slice(&CODEC.compressed(b"second"));
        let mut out = Vec::new();
        decompress(&packed, 100, &mut out).expect("decompress");
        assert_eq!(out, b"first second");
    }

    #[test]
    fn exact_limit_is_allowed() {
        let input = sample(10_000);
        let mut out = Vec::new();
        decompress(&CODEC.compressed(&input), input.len(), &mut out).expect("decompress");
        assert_eq!(out, input);
    }

    #[test]
    fn limit_exceeded_is_too_large() {
        let input = vec![0u8; 1 << 20];
        let packed = CODEC.compressed(&input);
        let mut out = b"keep".to_vec();
        let err = decompress(&packed, input.len() - 1, &mut out).unwrap_err();
        assert!(matches!(err, CompressionError::TooLarge { limit } if limit == input.len() - 1));
        assert_eq!(out, b"keep");
        let err = decompress(&packed, 0, &mut out).unwrap_err();
        assert!(matches!(err, CompressionError::TooLarge { limit: 0 }));
    }

    #[test]
    fn huge_limit_does_not_preallocate() {
        let mut out = Vec::new();
        decompress(&CODEC.compressed(b"tiny"), usize::MAX, &mut out).expect("decompress");
        assert_eq!(out, b"tiny");
    }

    #[test]
    fn every_truncation_is_a_codec_error() {
        let packed = CODEC.compressed(&sample(2_000));
        for len in 0..packed.len() {
            let mut out = Vec::new();
            let err = decompress(&packed[..len], usize::MAX, &mut out).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompressionError::Codec {
                        codec: Compression::Gzip,
                        ..
                    }
                ),
                "prefix of {len} bytes: {err:?}"
            );
            assert!(out.is_empty());
        }
    }

    #[test]
    fn garbage_is_a_codec_error() {
        for garbage in [
            &b"definitely not gzip"[..],
            &[0x1f, 0x8b, 0x08, 0xff, 0, 0, 0, 0, 0, 0, 1, 2],
        ] {
            let err = decompress(garbage, 1 << 20, &mut Vec::new()).unwrap_err();
            assert!(matches!(
                err,
                CompressionError::Codec {
                    codec: Compression::Gzip,
                    ..
                }
            ));
        }
    }

    #[test]
    fn trailing_garbage_is_a_codec_error() {
        let mut packed = CODEC.compressed(b"data");
        packed.extend_from_slice(b"junk");
        assert!(decompress(&packed, 100, &mut Vec::new()).is_err());
    }

    #[test]
    fn corrupt_crc_is_a_codec_error() {
        let mut packed = CODEC.compressed(b"some data to checksum");
        let crc_at = packed.len() - 8;
        packed[crc_at] ^= 0xff;
        let err = decompress(&packed, 100, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, CompressionError::Codec { .. }));
    }
}
