//! Snappy (codec id 2) in the xerial framing that Java clients write.
//!
//! Kafka's Java client compresses with snappy-java's `SnappyOutputStream`,
//! whose stream is:
//!
//! ```text
//! magic   0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00   (8 bytes)
//! version             int32 big-endian = 1
//! compatible version  int32 big-endian = 1
//! repeated: block length int32 big-endian, then that many bytes of one
//!           raw Snappy block (each holding at most 32 KiB uncompressed)
//! ```
//!
//! That is what [`compress`] writes. It is not the official Snappy framing
//! format (`sNaPpY` stream identifier with CRC-32C chunks).
//!
//! [`decompress`] reads the xerial framing, including several concatenated
//! xerial streams, and, like `SnappyInputStream`, treats input that does not
//! start with the magic as one raw Snappy block (librdkafka and other
//! non-Java producers may write that). Every length is checked before any
//! buffer is sized from it: a block length against the remaining input, and a
//! block's decompressed length against the remaining limit and against the
//! most that Snappy can expand that block.
//!
//! The xerial framing has no end marker, so a stream cut exactly at a block
//! boundary still decodes (to a shorter payload); the record batch CRC-32C
//! guards against that.
//!
//! # References
//! - Kafka record batch compression:
//!   <https://kafka.apache.org/documentation/#recordbatch>
//! - snappy-java `SnappyOutputStream` / `SnappyInputStream` / `SnappyCodec`:
//!   <https://github.com/xerial/snappy-java/tree/master/src/main/java/org/xerial/snappy>
//! - Snappy raw format description:
//!   <https://github.com/google/snappy/blob/main/format_description.txt>

use snap::raw::{decompress_len, max_compress_len, Decoder, Encoder};

use super::{Compression, CompressionError};

/// The codec this module implements.
const CODEC: Compression = Compression::Snappy;

/// The first eight bytes of a xerial stream.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];

/// The stream format version written (and the oldest version accepted).
const XERIAL_VERSION: i32 = 1;

/// The oldest reader version able to read what we write.
const XERIAL_COMPATIBLE_VERSION: i32 = 1;

/// Magic plus the two version fields.
const XERIAL_HEADER_LEN: usize = 16;

/// Uncompressed bytes per block, `SnappyOutputStream`'s default block size.
const BLOCK_SIZE: usize = 32 * 1024;

/// Snappy can expand at most about 21.3x (a 3-byte copy element yields at
/// most 64 bytes), so a block claiming more than this many output bytes per
/// input byte is corrupt and is rejected before anything is allocated.
const MAX_EXPANSION: usize = 22;

/// Compresses `input` into a xerial stream appended to `out`.
pub(super) fn compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let start = out.len();
    out.reserve(XERIAL_HEADER_LEN + max_compress_len(input.len().min(BLOCK_SIZE)) + 4);
    out.extend_from_slice(&XERIAL_MAGIC);
    out.extend_from_slice(&XERIAL_VERSION.to_be_bytes());
    out.extend_from_slice(&XERIAL_COMPATIBLE_VERSION.to_be_bytes());

    let mut encoder = Encoder::new();
    for block in input.chunks(BLOCK_SIZE) {
        if let Err(err) = compress_block(&mut encoder, block, out) {
            out.truncate(start);
            return Err(err);
        }
    }
    Ok(())
}

/// Appends one length-prefixed raw Snappy block holding `block` to `out`.
fn compress_block(
    encoder: &mut Encoder,
    block: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let length_at = out.len();
    let data_at = length_at + 4;
    out.resize(data_at + max_compress_len(block.len()), 0);
    let written = encoder
        .compress(block, &mut out[data_at..])
        .map_err(|err| CODEC.error(format!("compression failed: {err}")))?;
    out.truncate(data_at + written);
    let length = i32::try_from(written)
        .map_err(|_| CODEC.error("compressed block does not fit a 32-bit length"))?;
    out[length_at..data_at].copy_from_slice(&length.to_be_bytes());
    Ok(())
}

/// Decompresses a xerial-framed or raw Snappy `input`, appending to `out`.
///
/// Fails with [`CompressionError::TooLarge`] once more than `limit` bytes
/// would be appended, and with [`CompressionError::Codec`] on empty, corrupt
/// or truncated input. On error `out` is left as it was.
pub(super) fn decompress(
    input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let start = out.len();
    let result = if input.starts_with(&XERIAL_MAGIC) {
        decompress_xerial(input, limit, out)
    } else {
        decompress_block(input, limit, out)
    };
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Decodes one or more concatenated xerial streams.
fn decompress_xerial(
    mut input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    let mut remaining = limit;
    input = skip_header(input)?;
    while !input.is_empty() {
        if input.starts_with(&XERIAL_MAGIC[..4]) {
            // Another stream appended to this one (snappy-java reads these).
            input = skip_header(input)?;
            continue;
        }
        let (length, rest) = split_be_i32(input)
            .ok_or_else(|| CODEC.error("truncated input: incomplete block length"))?;
        let length = usize::try_from(length)
            .map_err(|_| CODEC.error(format!("corrupt input: negative block length {length}")))?;
        let block = rest.get(..length).ok_or_else(|| {
            CODEC.error(format!(
                "truncated input: block of {length} bytes but only {} remain",
                rest.len()
            ))
        })?;
        let before = out.len();
        decompress_block(block, remaining, out).map_err(|err| match err {
            CompressionError::TooLarge { .. } => CompressionError::TooLarge { limit },
            other => other,
        })?;
        remaining -= out.len() - before;
        input = &rest[length..];
    }
    Ok(())
}

/// Checks the xerial header at the start of `input` and returns what follows.
fn skip_header(input: &[u8]) -> Result<&[u8], CompressionError> {
    let (header, rest) = input
        .split_at_checked(XERIAL_HEADER_LEN)
        .ok_or_else(|| CODEC.error("truncated input: incomplete xerial header"))?;
    if header[..XERIAL_MAGIC.len()] != XERIAL_MAGIC {
        return Err(CODEC.error("corrupt input: bad xerial magic"));
    }
    let version = split_be_i32(&header[XERIAL_MAGIC.len()..]).map_or(0, |(version, _)| version);
    if version < XERIAL_VERSION {
        return Err(CODEC.error(format!("unsupported xerial stream version {version}")));
    }
    Ok(rest)
}

/// Splits a big-endian `i32` off the front of `input`.
fn split_be_i32(input: &[u8]) -> Option<(i32, &[u8])> {
    let (head, rest) = input.split_first_chunk::<4>()?;
    Some((i32::from_be_bytes(*head), rest))
}

/// Decompresses one raw Snappy block, appending at most `limit` bytes.
fn decompress_block(block: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), CompressionError> {
    if block.is_empty() {
        return Err(CODEC.error("truncated input: empty snappy block"));
    }
    let length =
        decompress_len(block).map_err(|err| CODEC.error(format!("corrupt input: {err}")))?;
    if length > limit {
        return Err(CompressionError::TooLarge { limit });
    }
    if length > block.len().saturating_mul(MAX_EXPANSION) {
        return Err(CODEC.error(format!(
            "corrupt input: a {}-byte block cannot hold {length} bytes",
            block.len()
        )));
    }
    let start = out.len();
    out.resize(start + length, 0);
    match Decoder::new().decompress(block, &mut out[start..]) {
        Ok(written) if written == length => Ok(()),
        Ok(written) => {
            out.truncate(start);
            Err(CODEC.error(format!(
                "corrupt input: block decoded to {written} bytes, header said {length}"
            )))
        }
        Err(err) => {
            out.truncate(start);
            Err(CODEC.error(format!("corrupt input: {err}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::sample;
    use super::*;

    fn raw(input: &[u8]) -> Vec<u8> {
        Encoder::new().compress_vec(input).expect("raw compress")
    }

    /// Splits a xerial stream into its blocks, checking the framing.
    fn blocks(stream: &[u8]) -> Vec<&[u8]> {
        let mut rest = &stream[XERIAL_HEADER_LEN..];
        let mut blocks = Vec::new();
        while !rest.is_empty() {
            let length = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            blocks.push(&rest[4..4 + length]);
            rest = &rest[4 + length..];
        }
        blocks
    }

    #[test]
    fn round_trips_empty_small_and_large() {
        CODEC.round_trip(b"");
        CODEC.round_trip(b"hello, kafka");
        CODEC.round_trip(&sample(300 * 1024));
    }

    #[test]
    fn writes_the_xerial_header_byte_for_byte() {
        let packed = CODEC.compressed(b"abc");
        assert_eq!(
            &packed[..XERIAL_HEADER_LEN],
            &[0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1]
        );
        // One block: length prefix plus a raw Snappy block of "abc".
        let block = raw(b"abc");
        let mut expected = (block.len() as u32).to_be_bytes().to_vec();
        expected.extend_from_slice(&block);
        assert_eq!(&packed[XERIAL_HEADER_LEN..], &expected[..]);
        // Empty input still gets the header (and no blocks).
        assert_eq!(CODEC.compressed(b"").len(), XERIAL_HEADER_LEN);
    }

    #[test]
    fn splits_into_32_kib_blocks() {
        let input = sample(100 * 1024 + 7);
        let packed = CODEC.compressed(&input);
        let blocks = blocks(&packed);
        assert_eq!(blocks.len(), 4);
        let mut joined = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            let plain = Decoder::new().decompress_vec(block).expect("raw block");
            let expected = if i < 3 { BLOCK_SIZE } else { 4 * 1024 + 7 };
            assert_eq!(plain.len(), expected);
            joined.extend_from_slice(&plain);
        }
        assert_eq!(joined, input);
    }

    #[test]
    fn reads_raw_snappy() {
        let input = sample(70_000);
        assert_eq!(
            CODEC.decompressed(&raw(&input), input.len()).unwrap(),
            input
        );
        assert_eq!(CODEC.decompressed(&raw(b""), 0).unwrap(), b"");
    }

    #[test]
    fn reads_concatenated_xerial_streams() {
        let mut packed = CODEC.compressed(b"first ");
        packed.extend_from_slice(&CODEC.compressed(b""));
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
        let input = vec![7u8; 200 * 1024];
        let packed = CODEC.compressed(&input);
        let mut out = b"keep".to_vec();
        let err = decompress(&packed, input.len() - 1, &mut out).unwrap_err();
        assert!(matches!(err, CompressionError::TooLarge { limit } if limit == input.len() - 1));
        assert_eq!(out, b"keep");
        let err = CODEC.decompressed(&raw(&input), 1000).unwrap_err();
        assert!(matches!(err, CompressionError::TooLarge { limit: 1000 }));
        assert_eq!(CODEC.decompressed(&packed, input.len()).unwrap(), input);
    }

    #[test]
    fn claimed_length_is_checked_before_allocating() {
        // A raw block whose varint header claims 4 GiB - 1 bytes.
        let claim = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        let err = CODEC.decompressed(&claim, 1 << 20).unwrap_err();
        assert!(matches!(err, CompressionError::TooLarge { .. }));
        let err = CODEC.decompressed(&claim, usize::MAX).unwrap_err();
        assert!(matches!(err, CompressionError::Codec { .. }));
        // The same claim inside a xerial block.
        let mut framed = CODEC.compressed(b"");
        framed.extend_from_slice(&(claim.len() as i32).to_be_bytes());
        framed.extend_from_slice(&claim);
        assert!(matches!(
            CODEC.decompressed(&framed, 1 << 20).unwrap_err(),
            CompressionError::TooLarge { limit } if limit == 1 << 20
        ));
        assert!(matches!(
            CODEC.decompressed(&framed, usize::MAX).unwrap_err(),
            CompressionError::Codec { .. }
        ));
    }

    #[test]
    fn highly_compressible_data_is_within_the_expansion_bound() {
        let input = vec![0u8; 1 << 20];
        assert_eq!(
            CODEC.decompressed(&raw(&input), input.len()).unwrap(),
            input
        );
        CODEC.round_trip(&input);
    }

    #[test]
    fn block_length_is_checked_against_the_input() {
        let mut framed = CODEC.compressed(b"");
        framed.extend_from_slice(&i32::MAX.to_be_bytes());
        framed.extend_from_slice(b"abc");
        assert!(matches!(
            CODEC.decompressed(&framed, usize::MAX).unwrap_err(),
            CompressionError::Codec { .. }
        ));
        let mut negative = CODEC.compressed(b"");
        negative.extend_from_slice(&(-5i32).to_be_bytes());
        assert!(CODEC.decompressed(&negative, usize::MAX).is_err());
        let mut zero = CODEC.compressed(b"");
        zero.extend_from_slice(&0i32.to_be_bytes());
        assert!(CODEC.decompressed(&zero, usize::MAX).is_err());
    }

    #[test]
    fn truncation_inside_a_block_or_header_is_a_codec_error() {
        let input = sample(80 * 1024);
        let packed = CODEC.compressed(&input);
        let mut boundaries = vec![XERIAL_HEADER_LEN];
        for block in blocks(&packed) {
            let end = block.as_ptr() as usize - packed.as_ptr() as usize + block.len();
            boundaries.push(end);
        }
        for len in 0..packed.len() {
            if boundaries.contains(&len) {
                continue;
            }
            let err = CODEC.decompressed(&packed[..len], usize::MAX).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompressionError::Codec {
                        codec: Compression::Snappy,
                        ..
                    }
                ),
                "prefix of {len} bytes: {err:?}"
            );
        }
        // Raw Snappy has its length up front, so any truncation is caught.
        let raw = raw(&sample(3_000));
        for len in 0..raw.len() {
            assert!(
                CODEC.decompressed(&raw[..len], usize::MAX).is_err(),
                "raw prefix {len}"
            );
        }
    }

    #[test]
    fn garbage_is_a_codec_error() {
        for garbage in [
            &b"definitely not snappy data"[..],
            &[0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0],
            &[
                0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 0, 0, 0, 0, 1,
            ],
            &[0xff; 3],
        ] {
            let err = CODEC.decompressed(garbage, 1 << 20).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompressionError::Codec {
                        codec: Compression::Snappy,
                        ..
                    }
                ),
                "{garbage:?}: {err:?}"
            );
        }
    }
}
