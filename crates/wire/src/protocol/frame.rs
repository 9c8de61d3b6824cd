//! Length-prefixed frames: a big-endian `int32` size, then that many bytes.
//!
//! The size is checked against the configured maximum before any buffer is
//! reserved, so a hostile or corrupt prefix cannot make us allocate.
//!
//! # References
//! - <https://kafka.apache.org/protocol#protocol_common>

use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};

use super::ProtocolError;
use crate::record::EncodedBatch;

/// Bytes taken by the length prefix.
pub const LENGTH_PREFIX: usize = 4;

/// Default maximum frame size accepted from a broker (100 MiB, as Kafka's
/// `socket.request.max.bytes` default).
pub const DEFAULT_MAX_FRAME: usize = 100 * 1024 * 1024;

/// Validates a length prefix against `max`.
pub fn checked_length(prefix: [u8; 4], max: usize) -> Result<usize, ProtocolError> {
    let size = i32::from_be_bytes(prefix);
    if size < 0 {
        return Err(ProtocolError::InvalidFrameLength(size));
    }
    let size = size as usize;
    if size > max {
        return Err(ProtocolError::FrameTooLarge { size, max });
    }
    Ok(size)
}

/// Splits one complete frame off the front of `buf`, without its prefix.
///
/// Returns `Ok(None)` when more bytes are needed; in that case `buf` has been
/// reserved for at most the validated frame size.
pub fn decode_frame(buf: &mut BytesMut, max: usize) -> Result<Option<Bytes>, ProtocolError> {
    if buf.len() < LENGTH_PREFIX {
        return Ok(None);
    }
    let prefix = [buf[0], buf[1], buf[2], buf[3]];
    let size = checked_length(prefix, max)?;
    let total = LENGTH_PREFIX + size;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    buf.advance(LENGTH_PREFIX);
    Ok(Some(buf.split_to(size).freeze()))
}

/// Reads the correlation id at the start of a response frame.
pub fn correlation_id(frame: &[u8]) -> Result<i32, ProtocolError> {
    match frame.get(..4) {
        Some(b) => Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(ProtocolError::ShortResponse(frame.len())),
    }
}

/// An outgoing request frame, length prefix included: the request's own
/// bytes, with the record batches it carries (Produce) referenced in their
/// places instead of copied in. Its pieces, in order, are the frame; the
/// connection writes them with vectored writes.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Everything but the batches.
    head: Bytes,
    /// Batches, each with the position in `head` it follows.
    batches: Vec<(usize, Arc<EncodedBatch>)>,
}

impl Frame {
    /// A frame with batches placed after the given positions of `head`
    /// (in increasing order).
    pub fn with_batches(head: Bytes, batches: Vec<(usize, Arc<EncodedBatch>)>) -> Self {
        debug_assert!(batches.windows(2).all(|w| w[0].0 <= w[1].0));
        debug_assert!(batches.last().is_none_or(|(at, _)| *at <= head.len()));
        Frame { head, batches }
    }

    /// Total length in bytes, length prefix included.
    pub fn len(&self) -> usize {
        self.head.len() + self.batches.iter().map(|(_, b)| b.len()).sum::<usize>()
    }

    /// Whether the frame has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frame in one piece, if it has no referenced batches.
    pub fn as_contiguous(&self) -> Option<&[u8]> {
        self.batches.is_empty().then_some(&self.head[..])
    }

    /// The pieces in order; empty ones are skipped.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut pos = 0;
        self.batches
            .iter()
            .flat_map(move |(at, batch)| {
                let head = &self.head[pos..*at];
                pos = *at;
                std::iter::once(head).chain(batch.pieces())
            })
            .chain(std::iter::once_with(move || {
                let last = self.batches.last().map_or(0, |(at, _)| *at);
                &self.head[last..]
            }))
            .filter(|p| !p.is_empty())
    }

    /// The frame copied into one buffer.
    pub fn to_bytes(&self) -> Bytes {
        if let Some(bytes) = self.as_contiguous() {
            return self.head.slice(..bytes.len());
        }
        let mut out = Vec::with_capacity(self.len());
        for piece in self.pieces() {
            out.extend_from_slice(piece);
        }
        Bytes::from(out)
    }
}

impl From<Bytes> for Frame {
    fn from(head: Bytes) -> Self {
        Frame {
            head,
            batches: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    #[test]
    fn waits_for_whole_frame() {
        let mut buf = BytesMut::new();
        buf.put_i32(5);
        buf.put_slice(b"abc");
        assert!(decode_frame(&mut buf, 100).unwrap().is_none());
        buf.put_slice(b"de");
        buf.put_i32(0);
        assert_eq!(
            decode_frame(&mut buf, 100).unwrap().unwrap(),
            Bytes::from_static(b"abcde")
        );
        assert_eq!(decode_frame(&mut buf, 100).unwrap().unwrap().len(), 0);
        assert!(buf.is_empty());
    }

    #[test]
    fn rejects_oversized_and_negative_before_allocating() {
        let mut buf = BytesMut::new();
        buf.put_i32(i32::MAX);
        let err = decode_frame(&mut buf, 1024).unwrap_err();
        assert!(
            matches!(err, ProtocolError::FrameTooLarge { size, max: 1024 } if size == i32::MAX as usize)
        );
        assert!(buf.capacity() < 1024);
        let mut buf = BytesMut::new();
        buf.put_i32(-1);
        assert!(matches!(
            decode_frame(&mut buf, 1024),
            Err(ProtocolError::InvalidFrameLength(-1))
        ));
    }

    #[test]
    fn correlation_id_needs_four_bytes() {
        assert_eq!(correlation_id(&[0, 0, 1, 2, 9]).unwrap(), 258);
        assert!(correlation_id(&[0, 1]).is_err());
    }
}
