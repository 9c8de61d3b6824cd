//! Zstandard (codec id 4): a zstd stream (RFC 8878) around the whole record
//! payload, as Java's `ZstdOutputStream` writes it.
//!
//! Compression uses level 3, zstd's default and Kafka's default
//! `compression.zstd.level`. Decompression accepts several concatenated
//! frames (and skips skippable frames), verifies frame checksums when
//! present, and stops as soon as the output passes the caller's limit. The
//! decoder's window is capped at 2^27 bytes (128 MiB, libzstd's default
//! ceiling) so that a frame header cannot make it reserve more than that.
//!
//! # References
//! - Kafka record batch compression:
//!   <https://kafka.apache.org/documentation/#recordbatch>
//! - Kafka's `ZstdCompression` (Java client):
//!   <https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/common/compress/ZstdCompression.java>
//! - Zstandard compression format, RFC 8878:
//!   <https://www.rfc-editor.org/rfc/rfc8878>

use zstd::stream::read::Decoder;

use super::{Compression, CompressionError};

/// The codec this module implements.
const CODEC: Compression = Compression::Zstd;

/// The compression level written: zstd's (and Kafka's) default.
const LEVEL: i32 = 3;

/// log2 of the largest window the decoder accepts.
const WINDOW_LOG_MAX: u32 = 27;

/// Compresses `input` at `level` (`None`: 3) as one zstd frame appended to
/// `out`, in one call
/// (the input is whole, so zstd need not copy it into a stream window). The
/// frame announces its size (3 bytes), which lets the reader decode it in
/// one call too.
pub(super) fn compress(
    input: &[u8],
    out: &mut Vec<u8>,
    level: Option<i32>,
) -> Result<(), CompressionError> {
    let start = out.len();
    out.reserve(zstd::zstd_safe::compress_bound(input.len()));
    let level = level.unwrap_or(LEVEL);
    let result = zstd::bulk::Compressor::new(level).and_then(|mut compressor| {
        compressor.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(true))?;
        // Written after what `out` holds already (the batch header).
        let mut after = std::io::Cursor::new(&mut *out);
        after.set_position(start as u64);
        compressor.compress_to_buffer(input, &mut after).map(drop)
    });
    result.map_err(|err| {
        out.truncate(start);
        CODEC.error(format!("compression failed: {err}"))
    })
}

/// Decompresses the zstd frame(s) in `input`, appending the result to `out`.
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
    // A frame that announces its size is decoded in one call into a buffer of
    // exactly that size (when it fits the limit and nothing precedes it).
    let announced = zstd::zstd_safe::get_frame_content_size(input)
        .ok()
        .flatten()
        .and_then(|n| usize::try_from(n).ok());
    if let Some(size) = announced.filter(|n| *n <= limit && out.is_empty()) {
        out.reserve_exact(size);
        let single = zstd::bulk::Decompressor::new().and_then(|mut d| {
            d.window_log_max(WINDOW_LOG_MAX)?;
            d.decompress_to_buffer(input, out)
        });
        match single {
            Ok(_) => return Ok(()),
            // Several frames, or a size that lied: decode as a stream below.
            Err(_) => out.clear(),
        }
    }
    let mut decoder = Decoder::with_buffer(input)
        .map_err(|err| CODEC.error(format!("cannot create decoder: {err}")))?;
    decoder
        .window_log_max(WINDOW_LOG_MAX)
        .map_err(|err| CODEC.error(format!("cannot configure decoder: {err}")))?;
    super::read_bounded(CODEC, decoder, limit, announced, out)
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
    fn writes_a_zstd_frame() {
        let packed = CODEC.compressed(b"abc");
        assert_eq!(&packed[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    }

    #[test]
    fn compression_appends_to_what_the_output_holds() {
        let input = sample(100 * 1024);
        let mut out = b"header".to_vec();
        compress(&input, &mut out, None).unwrap();
        assert_eq!(&out[..6], b"header");
        assert_eq!(CODEC.decompressed(&out[6..], input.len()).unwrap(), input);
    }

    #[test]
    fn frames_announce_their_content_size() {
        for input in [&b""[..], b"abc", &sample(300 * 1024)] {
            let packed = CODEC.compressed(input);
            assert_eq!(
                zstd::zstd_safe::get_frame_content_size(&packed).unwrap(),
                Some(input.len() as u64)
            );
        }
    }

    #[test]
    fn reads_concatenated_and_skippable_frames() {
        let mut packed = CODEC.compressed(b"first ");
        // A skippable frame with four bytes of user data.
        packed.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
        packed.extend_from_slice(&CODEC.compressed(b"second"));
        assert_eq!(CODEC.decompressed(&packed, 100).unwrap(), b"first second");
    }

    #[test]
    fn reads_frames_with_checksums_and_other_levels() {
        let input = sample(150 * 1024);
        use std::io::Write;
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 19).unwrap();
        encoder.include_checksum(true).unwrap();
        encoder.write_all(&input).unwrap();
        let packed = encoder.finish().unwrap();
        assert_eq!(CODEC.decompressed(&packed, input.len()).unwrap(), input);

        let mut corrupt = packed.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        assert!(matches!(
            CODEC.decompressed(&corrupt, input.len()),
            Err(CompressionError::Codec { .. })
        ));
    }

    #[test]
    fn appends_to_existing_output() {
        let mut out = b"prefix".to_vec();
        decompress(&CODEC.compressed(b"payload"), 7, &mut out).unwrap();
        assert_eq!(out, b"prefixpayload");
    }

    #[test]
    fn limit_exceeded_is_too_large() {
        let input = vec![9u8; 1 << 20];
        let packed = CODEC.compressed(&input);
        let mut out = b"keep".to_vec();
        let err = decompress(&packed, input.len() - 1, &mut out).unwrap_err();
        assert!(matches!(err, CompressionError::TooLarge { limit } if limit == input.len() - 1));
        assert_eq!(out, b"keep");
        assert!(matches!(
            CODEC.decompressed(&packed, 0).unwrap_err(),
            CompressionError::TooLarge { limit: 0 }
        ));
        assert_eq!(CODEC.decompressed(&packed, input.len()).unwrap(), input);
    }

    #[test]
    fn huge_limit_does_not_preallocate() {
        assert_eq!(
            CODEC
                .decompressed(&CODEC.compressed(b"tiny"), usize::MAX)
                .unwrap(),
            b"tiny"
        );
    }

    #[test]
    fn oversized_window_is_rejected() {
        // Frame header: magic, descriptor with single-segment off and no
        // checksum, window descriptor for a 2^31 window, then an empty raw
        // last block.
        let frame = [
            0x28,
            0xb5,
            0x2f,
            0xfd,
            0x00,
            (31 - 10) << 3,
            0x01,
            0x00,
            0x00,
        ];
        assert!(matches!(
            CODEC.decompressed(&frame, usize::MAX),
            Err(CompressionError::Codec { .. })
        ));
    }

    #[test]
    fn every_truncation_is_a_codec_error() {
        let packed = CODEC.compressed(&sample(5_000));
        for len in 0..packed.len() {
            let err = CODEC.decompressed(&packed[..len], usize::MAX).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompressionError::Codec {
                        codec: Compression::Zstd,
                        ..
                    }
                ),
                "prefix of {len} bytes: {err:?}"
            );
        }
    }

    #[test]
    fn garbage_is_a_codec_error() {
        let mut trailing = CODEC.compressed(b"x");
        trailing.extend_from_slice(b"junk");
        for garbage in [
            &b"definitely not zstd data"[..],
            &[0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff],
            &trailing,
        ] {
            let err = CODEC.decompressed(garbage, 1 << 20).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompressionError::Codec {
                        codec: Compression::Zstd,
                        ..
                    }
                ),
                "{garbage:?}: {err:?}"
            );
        }
    }
}
