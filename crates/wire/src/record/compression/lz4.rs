//! LZ4 (codec id 3): the LZ4 frame format, as Kafka's
//! `KafkaLZ4BlockOutputStream` writes it.
//!
//! [`compress`] writes one frame with independent 64 KiB blocks and no
//! checksums beyond the header checksum, like the Java client. (Only the
//! pre-0.10 message format used Kafka's old, broken header checksum; record
//! batches use the correct one.)
//!
//! [`decompress`] reads one or more concatenated frames with any of the
//! optional features librdkafka and Java may set: block checksums, a content
//! checksum, a content size, 64 KiB to 4 MiB blocks, and linked blocks.
//! Before decoding, the frame structure is walked without decompressing, so
//! that truncated input (which the streaming decoder would otherwise treat as
//! a clean end of data when cut at a block boundary), legacy frames,
//! skippable frames and dictionary ids are rejected, and a declared content
//! size above the limit fails early. Decoding then stops as soon as the
//! output passes the limit; the decoder's own buffers are bounded by the
//! frame's block size (at most about 8 MiB for linked 4 MiB blocks).
//!
//! Frames as Kafka clients write them — independent blocks of at most
//! 64 KiB, no block or content checksums — are decoded block by block
//! straight into the output; every other frame goes through `lz4_flex`'s
//! streaming `FrameDecoder`, which copies each block in and out of its own
//! buffers.
//!
//! # References
//! - Kafka record batch compression:
//!   <https://kafka.apache.org/documentation/#recordbatch>
//! - Kafka's `KafkaLZ4BlockOutputStream` / `KafkaLZ4BlockInputStream`:
//!   <https://github.com/apache/kafka/tree/trunk/clients/src/main/java/org/apache/kafka/common/compress>
//! - LZ4 frame format specification:
//!   <https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md>

use std::io::{self, Read, Write};

use lz4_flex::block::DecompressError;
use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};
use twox_hash::XxHash32;

use super::{Compression, CompressionError};

/// The codec this module implements.
const CODEC: Compression = Compression::Lz4;

/// Magic number opening every standard LZ4 frame.
const FRAME_MAGIC: u32 = 0x184D_2204;

/// Magic number of the legacy frame format, which Kafka never writes.
const LEGACY_MAGIC: u32 = 0x184C_2102;

/// Magic numbers of skippable frames (low nibble free).
const SKIPPABLE_MAGIC_MASK: u32 = 0xFFFF_FFF0;
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;

/// FLG: the version field (bits 7-6) and its only valid value, `01`.
const FLG_VERSION_MASK: u8 = 0b1100_0000;
const FLG_VERSION_01: u8 = 0b0100_0000;
/// FLG: blocks do not refer to earlier blocks.
const FLG_BLOCK_INDEPENDENCE: u8 = 0b0010_0000;
/// FLG: each block is followed by a 4-byte checksum.
const FLG_BLOCK_CHECKSUM: u8 = 0b0001_0000;
/// FLG: the descriptor carries an 8-byte content size.
const FLG_CONTENT_SIZE: u8 = 0b0000_1000;
/// FLG: the frame ends with a 4-byte content checksum.
const FLG_CONTENT_CHECKSUM: u8 = 0b0000_0100;
/// FLG: the descriptor carries a 4-byte dictionary id.
const FLG_DICT_ID: u8 = 0b0000_0001;

/// Block size word: set when the block is stored uncompressed.
const BLOCK_UNCOMPRESSED: u32 = 0x8000_0000;

/// The largest block size decoded straight into the output (the size
/// Kafka's clients write).
const DIRECT_MAX_BLOCK: usize = 64 << 10;

/// Compresses `input` as one LZ4 frame appended to `out`.
pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let start = out.len();
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent);
    let mut encoder = FrameEncoder::with_frame_info(info, &mut *out);
    let result = match encoder.write_all(input) {
        Ok(()) => encoder.finish().map(drop).map_err(io::Error::from),
        Err(err) => Err(err),
    };
    result.map_err(|err| {
        out.truncate(start);
        CODEC.error(format!("compression failed: {err}"))
    })
}

/// Decompresses the LZ4 frame(s) in `input`, appending the result to `out`.
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
    let start = out.len();
    let result = decompress_frames(input, limit, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Decodes each frame of `input` in turn, keeping the total within `limit`.
fn decompress_frames(
    mut input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let mut remaining = limit;
    while !input.is_empty() {
        let layout = check_frame(input)?;
        if layout
            .declared
            .is_some_and(|size| size > u64::try_from(remaining).unwrap_or(u64::MAX))
        {
            return Err(CompressionError::TooLarge { limit });
        }
        let (frame, rest) = input.split_at(layout.len);
        let before = out.len();
        let decoded = if layout.is_direct() {
            decompress_blocks(frame, &layout, remaining, out)
        } else {
            decompress_frame(frame, remaining, out)
        };
        decoded.map_err(|err| match err {
            CompressionError::TooLarge { .. } => CompressionError::TooLarge { limit },
            other => other,
        })?;
        remaining -= out.len() - before;
        input = rest;
    }
    Ok(())
}

/// Decodes the single, structurally checked frame `frame`, appending at most
/// `limit` bytes to `out`.
fn decompress_frame(frame: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let start = out.len();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut reader = FrameDecoder::new(frame).take(cap);
    let read = reader
        .read_to_end(out)
        .map_err(|err| CODEC.error(format!("corrupt input: {err}")))?;
    if read > limit {
        return Err(CompressionError::TooLarge { limit });
    }
    if !reader.into_inner().into_inner().is_empty() {
        out.truncate(start);
        return Err(CODEC.error("corrupt input: frame ended early"));
    }
    Ok(())
}

/// Decodes the structurally checked frame `frame`, whose blocks are
/// independent and carry no checksums (see [`FrameLayout::is_direct`]),
/// block by block into `out`, appending at most `limit` bytes. The header
/// checksum and the declared content size are checked here.
fn decompress_blocks(
    frame: &[u8],
    layout: &FrameLayout,
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let descriptor = &frame[4..layout.header_len - 1];
    let checksum = (XxHash32::oneshot(0, descriptor) >> 8) as u8;
    if checksum != frame[layout.header_len - 1] {
        return Err(CODEC.error("corrupt input: header checksum mismatch"));
    }
    if let Some(size) = layout.declared {
        out.reserve(usize::try_from(size).unwrap_or(limit).min(limit));
    }
    let start = out.len();
    let mut blocks = Cursor(&frame[layout.header_len..]);
    loop {
        let word = blocks.u32_le("block size")?;
        if word == 0 {
            break;
        }
        let size = usize::try_from(word & !BLOCK_UNCOMPRESSED).unwrap_or(usize::MAX);
        let block = blocks.take(size, "block")?;
        let room = limit - (out.len() - start);
        if word & BLOCK_UNCOMPRESSED != 0 {
            if block.len() > room {
                return Err(CompressionError::TooLarge { limit });
            }
            out.extend_from_slice(block);
            continue;
        }
        // Room for the whole block unless the limit is nearer; a block needs
        // at most 255 output bytes per input byte.
        let room_here = DIRECT_MAX_BLOCK
            .min(room)
            .min(block.len().saturating_mul(255));
        let at = out.len();
        out.resize(at + room_here, 0);
        match lz4_flex::block::decompress_into(block, &mut out[at..]) {
            Ok(n) => out.truncate(at + n),
            Err(DecompressError::OutputTooSmall { .. }) if room_here == room => {
                return Err(CompressionError::TooLarge { limit });
            }
            Err(err) => return Err(CODEC.error(format!("corrupt input: {err}"))),
        }
    }
    let produced = out.len() - start;
    if layout
        .declared
        .is_some_and(|size| u64::try_from(produced).ok() != Some(size))
    {
        return Err(CODEC.error("corrupt input: content size differs from the frame's"));
    }
    Ok(())
}

/// What [`check_frame`] learns of a frame.
#[derive(Debug)]
struct FrameLayout {
    /// The FLG byte.
    flg: u8,
    /// The maximum block size, in bytes.
    max_block: usize,
    /// The declared content size, if any.
    declared: Option<u64>,
    /// Bytes up to and including the header checksum.
    header_len: usize,
    /// Bytes of the whole frame.
    len: usize,
}

impl FrameLayout {
    /// Whether the frame is decoded straight into the output: independent
    /// blocks of at most 64 KiB, without block or content checksums.
    fn is_direct(&self) -> bool {
        self.flg & FLG_BLOCK_INDEPENDENCE != 0
            && self.flg & (FLG_BLOCK_CHECKSUM | FLG_CONTENT_CHECKSUM) == 0
            && self.max_block <= DIRECT_MAX_BLOCK
    }
}

/// Walks the frame at the start of `input` without decompressing it: it must
/// be a complete standard frame without a dictionary id. Checksums and
/// block contents are left to the decoder.
fn check_frame(input: &[u8]) -> Result<FrameLayout, CompressionError> {
    let mut cursor = Cursor(input);
    let magic = cursor.u32_le("frame magic")?;
    if magic == LEGACY_MAGIC {
        return Err(CODEC.error("unsupported legacy LZ4 frame"));
    }
    if magic & SKIPPABLE_MAGIC_MASK == SKIPPABLE_MAGIC {
        return Err(CODEC.error("unsupported skippable LZ4 frame"));
    }
    if magic != FRAME_MAGIC {
        return Err(CODEC.error(format!("corrupt input: bad frame magic {magic:#010x}")));
    }
    let [flg, bd] = cursor.array::<2>("frame descriptor")?;
    if flg & FLG_VERSION_MASK != FLG_VERSION_01 {
        return Err(CODEC.error("corrupt input: unsupported LZ4 frame version"));
    }
    if flg & FLG_DICT_ID != 0 {
        return Err(CODEC.error("unsupported LZ4 frame with a dictionary id"));
    }
    let max_block = match (bd >> 4) & 0x07 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        other => {
            return Err(CODEC.error(format!("corrupt input: invalid LZ4 block size id {other}")))
        }
    };
    let declared = if flg & FLG_CONTENT_SIZE != 0 {
        Some(u64::from_le_bytes(cursor.array::<8>("content size")?))
    } else {
        None
    };
    cursor.skip(1, "header checksum")?;
    let header_len = input.len() - cursor.0.len();
    let block_checksum = if flg & FLG_BLOCK_CHECKSUM != 0 { 4 } else { 0 };
    loop {
        let word = cursor.u32_le("block size")?;
        if word == 0 {
            break;
        }
        let size = word & !BLOCK_UNCOMPRESSED;
        if size > max_block {
            return Err(CODEC.error(format!(
                "corrupt input: block of {size} bytes exceeds the frame's {max_block}-byte blocks"
            )));
        }
        // `size` is at most 4 MiB here, so it fits in usize everywhere.
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        cursor.skip(size.saturating_add(block_checksum), "block")?;
    }
    if flg & FLG_CONTENT_CHECKSUM != 0 {
        cursor.skip(4, "content checksum")?;
    }
    Ok(FrameLayout {
        flg,
        max_block: usize::try_from(max_block).unwrap_or(usize::MAX),
        declared,
        header_len,
        len: input.len() - cursor.0.len(),
    })
}

/// A read position in the input for [`check_frame`].
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    /// Takes the next `N` bytes; `what` names them in the error.
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], CompressionError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or_else(|| truncated(what))?;
        self.0 = rest;
        Ok(*head)
    }

    /// Takes the next four bytes as a little-endian `u32`.
    fn u32_le(&mut self, what: &str) -> Result<u32, CompressionError> {
        self.array::<4>(what).map(u32::from_le_bytes)
    }

    /// Skips the next `len` bytes.
    fn skip(&mut self, len: usize, what: &str) -> Result<(), CompressionError> {
        self.take(len, what).map(drop)
    }

    /// Takes the next `len` bytes.
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], CompressionError> {
        if self.0.len() < len {
            return Err(truncated(what));
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }
}

/// The error for input that ends inside `what`.
fn truncated(what: &str) -> CompressionError {
    CODEC.error(format!("truncated input: incomplete {what}"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::sample;
    use super::*;

    fn compressed_with(info: FrameInfo, input: &[u8]) -> Vec<u8> {
        let mut encoder = FrameEncoder::with_frame_info(info, Vec::new());
        encoder.write_all(input).expect("write");
        encoder.finish().expect("finish")
    }

    /// Incompressible bytes (xorshift), so blocks are stored uncompressed.
    fn noise(len: usize) -> Vec<u8> {
        let mut state: u32 = 0x9E37_79B9;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    }

    #[test]
    fn round_trips_empty_small_and_large() {
        CODEC.round_trip(b"");
        CODEC.round_trip(b"hello, kafka");
        CODEC.round_trip(&sample(300 * 1024));
        CODEC.round_trip(&noise(150 * 1024));
    }

    #[test]
    fn writes_a_kafka_style_frame_header() {
        let packed = CODEC.compressed(b"abc");
        assert_eq!(&packed[..4], &FRAME_MAGIC.to_le_bytes());
        // Version 01, independent blocks, no checksums, no content size.
        assert_eq!(packed[4], 0b0110_0000);
        // 64 KiB maximum block size.
        assert_eq!(packed[5], 0b0100_0000);
        // The frame ends with an end mark and no content checksum.
        assert_eq!(&packed[packed.len() - 4..], &[0, 0, 0, 0]);
    }

    #[test]
    fn reads_frames_with_optional_features() {
        let input = sample(200 * 1024);
        let variants = [
            FrameInfo::new().block_checksums(true),
            FrameInfo::new().content_checksum(true),
            FrameInfo::new().content_size(Some(input.len() as u64)),
            FrameInfo::new()
                .block_size(BlockSize::Max4MB)
                .block_checksums(true)
                .content_checksum(true)
                .content_size(Some(input.len() as u64)),
            FrameInfo::new()
                .block_size(BlockSize::Max64KB)
                .block_mode(BlockMode::Linked),
            FrameInfo::new().block_size(BlockSize::Max256KB),
            FrameInfo::new().block_size(BlockSize::Max1MB),
        ];
        for info in variants {
            let packed = compressed_with(info.clone(), &input);
            assert_eq!(
                CODEC.decompressed(&packed, input.len()).unwrap(),
                input,
                "{info:?}"
            );
        }
    }

    #[test]
    fn reads_concatenated_frames() {
        let mut packed = CODEC.compressed(b"first ");
        packed.extend_from_slice(&CODEC.compressed(b"second"));
        assert_eq!(CODEC.decompressed(&packed, 100).unwrap(), b"first second");
    }

    #[test]
    fn appends_to_existing_output() {
        let mut out = b"prefix".to_vec();
        decompress(&CODEC.compressed(b"payload"), 7, &mut out).unwrap();
        assert_eq!(out, b"prefixpayload");
    }

    #[test]
    fn limit_exceeded_is_too_large() {
        let input = vec![3u8; 1 << 20];
        let packed = CODEC.compressed(&input);
        let mut out = b"keep".to_vec();
        let err = decompress(&packed, input.len() - 1, &mut out).unwrap_err();
        assert!(matches!(err, CompressionError::TooLarge { limit } if limit == input.len() - 1));
        assert_eq!(out, b"keep");
        assert_eq!(CODEC.decompressed(&packed, input.len()).unwrap(), input);
    }

    #[test]
    fn declared_content_size_over_the_limit_fails_early() {
        let packed = compressed_with(FrameInfo::new().content_size(Some(5)), b"12345");
        assert!(matches!(
            CODEC.decompressed(&packed, 4).unwrap_err(),
            CompressionError::TooLarge { limit: 4 }
        ));
        assert_eq!(CODEC.decompressed(&packed, 5).unwrap(), b"12345");
    }

    #[test]
    fn wrong_declared_content_size_is_a_codec_error() {
        // The header of a frame declaring 6 bytes, the blocks of one holding 5.
        let six = compressed_with(FrameInfo::new().content_size(Some(6)), b"123456");
        let five = compressed_with(FrameInfo::new().content_size(Some(5)), b"12345");
        let mut packed = six[..15].to_vec();
        packed.extend_from_slice(&five[15..]);
        assert!(matches!(
            CODEC.decompressed(&packed, 100).unwrap_err(),
            CompressionError::Codec { .. }
        ));
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
    fn every_truncation_is_a_codec_error() {
        let mut input = sample(150 * 1024);
        input.extend_from_slice(&noise(70 * 1024));
        let checked = FrameInfo::new()
            .block_checksums(true)
            .content_checksum(true)
            .content_size(Some(input.len() as u64));
        for packed in [CODEC.compressed(&input), compressed_with(checked, &input)] {
            for len in 0..packed.len() {
                let err = CODEC.decompressed(&packed[..len], usize::MAX).unwrap_err();
                assert!(
                    matches!(
                        err,
                        CompressionError::Codec {
                            codec: Compression::Lz4,
                            ..
                        }
                    ),
                    "prefix of {len} bytes: {err:?}"
                );
            }
        }
    }

    #[test]
    fn corrupt_checksums_are_codec_errors() {
        let input = sample(10_000);
        let info = FrameInfo::new()
            .block_checksums(true)
            .content_checksum(true);
        let packed = compressed_with(info, &input);
        // Last byte of the content checksum, first byte of the first block's
        // data, and the header checksum byte.
        for at in [packed.len() - 1, 11, 6] {
            let mut corrupt = packed.clone();
            corrupt[at] ^= 0x55;
            assert!(
                matches!(
                    CODEC.decompressed(&corrupt, usize::MAX),
                    Err(CompressionError::Codec { .. })
                ),
                "byte {at}"
            );
        }
    }

    #[test]
    fn kafka_style_frames_take_the_direct_path_and_match_the_frame_decoder() {
        let mut input = sample(200 * 1024);
        input.extend_from_slice(&noise(70 * 1024)); // stored blocks too
        let packed = CODEC.compressed(&input);
        let layout = check_frame(&packed).unwrap();
        assert!(layout.is_direct(), "{layout:?}");
        let mut direct = Vec::new();
        decompress_blocks(&packed, &layout, usize::MAX, &mut direct).unwrap();
        let mut streamed = Vec::new();
        decompress_frame(&packed, usize::MAX, &mut streamed).unwrap();
        assert_eq!(direct, input);
        assert_eq!(streamed, input);
        // With a declared content size as well (librdkafka sets it).
        let sized = compressed_with(
            FrameInfo::new()
                .block_size(BlockSize::Max64KB)
                .block_mode(BlockMode::Independent)
                .content_size(Some(input.len() as u64)),
            &input,
        );
        assert!(check_frame(&sized).unwrap().is_direct());
        assert_eq!(CODEC.decompressed(&sized, input.len()).unwrap(), input);
        assert!(matches!(
            CODEC.decompressed(&sized, input.len() - 1),
            Err(CompressionError::TooLarge { .. })
        ));
        // Linked blocks and checksummed frames take the streaming decoder.
        for info in [
            FrameInfo::new().block_mode(BlockMode::Linked),
            FrameInfo::new().block_checksums(true),
            FrameInfo::new().block_size(BlockSize::Max256KB),
        ] {
            assert!(!check_frame(&compressed_with(info, b"x"))
                .unwrap()
                .is_direct());
        }
    }

    #[test]
    fn direct_path_checks_the_header_and_the_limit_inside_a_block() {
        let input = sample(100 * 1024);
        let packed = CODEC.compressed(&input);
        let mut corrupt = packed.clone();
        corrupt[6] ^= 0x55; // header checksum
        assert!(matches!(
            CODEC.decompressed(&corrupt, usize::MAX),
            Err(CompressionError::Codec { .. })
        ));
        // The limit falls inside the first or the second block.
        for limit in [10, 64 * 1024 + 10] {
            let mut out = b"keep".to_vec();
            assert!(matches!(
                decompress(&packed, limit, &mut out),
                Err(CompressionError::TooLarge { .. })
            ));
            assert_eq!(out, b"keep");
        }
        // Flipped bytes inside blocks: an error or other bytes, never a panic
        // (the batch CRC covers the content).
        for at in (7..packed.len()).step_by(97) {
            let mut corrupt = packed.clone();
            corrupt[at] ^= 0xA5;
            let _ = CODEC.decompressed(&corrupt, 1 << 20);
        }
    }

    #[test]
    fn garbage_is_a_codec_error() {
        let legacy = [0x02, 0x21, 0x4C, 0x18, 0, 0, 0, 0];
        let skippable = [0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0];
        let mut dict = CODEC.compressed(b"x");
        dict[4] |= FLG_DICT_ID;
        let mut trailing = CODEC.compressed(b"x");
        trailing.extend_from_slice(b"junk");
        for garbage in [
            &b"definitely not lz4 data"[..],
            &legacy,
            &skippable,
            &dict,
            &trailing,
            &[0x04, 0x22, 0x4D, 0x18, 0x40, 0x00, 0x00],
        ] {
            let err = CODEC.decompressed(garbage, 1 << 20).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompressionError::Codec {
                        codec: Compression::Lz4,
                        ..
                    }
                ),
                "{garbage:?}: {err:?}"
            );
        }
    }
}
