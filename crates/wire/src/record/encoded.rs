//! An encoded record batch, as the pieces it is written out from.

use bytes::Bytes;

use super::batch::{put_crc, BatchHeader, ATTRIBUTES_OFFSET};
use super::BATCH_OVERHEAD;

/// An encoded record batch: one buffer, or (when built with shared values)
/// the builder's buffer interleaved with the values it references. The
/// pieces in order are the batch's bytes; a connection writes them with one
/// vectored write, so the values are never copied on the way out.
#[derive(Debug, Clone, Default)]
pub struct EncodedBatch {
    /// Everything but the referenced values: the header first.
    buf: Bytes,
    /// Referenced values, each with the position in `buf` it follows.
    shared: Vec<(usize, Bytes)>,
    len: usize,
}

impl EncodedBatch {
    /// A batch from the builder's buffer and the values it references.
    pub(super) fn new(buf: Bytes, shared: Vec<(usize, Bytes)>, len: usize) -> Self {
        debug_assert_eq!(
            buf.len() + shared.iter().map(|(_, v)| v.len()).sum::<usize>(),
            len
        );
        EncodedBatch { buf, shared, len }
    }

    /// Length of the whole batch in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of pieces [`EncodedBatch::pieces`] yields (empty ones included).
    pub fn piece_count(&self) -> usize {
        self.shared.len() * 2 + 1
    }

    /// The pieces, in order (some may be empty).
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut pos = 0;
        self.shared
            .iter()
            .flat_map(move |(at, value)| {
                let head = &self.buf[pos..*at];
                pos = *at;
                [head, &value[..]]
            })
            .chain(std::iter::once_with(move || {
                let last = self.shared.last().map_or(0, |(at, _)| *at);
                &self.buf[last..]
            }))
    }

    /// The batch as one buffer: the builder's buffer as it is when no value
    /// is referenced, else the pieces copied together.
    pub fn to_bytes(&self) -> Bytes {
        if self.shared.is_empty() {
            return self.buf.clone();
        }
        let mut out = Vec::with_capacity(self.len);
        for piece in self.pieces() {
            out.extend_from_slice(piece);
        }
        Bytes::from(out)
    }

    /// Rewrites the producer id, epoch and base sequence and recomputes the
    /// CRC (for a batch re-sent under a new producer id). The referenced
    /// values are read, not copied.
    pub fn restamp_producer(&mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) {
        if self.buf.len() < BATCH_OVERHEAD {
            return;
        }
        let mut buf = self.buf.to_vec();
        let mut header = BatchHeader::read(&buf);
        header.producer_id = producer_id;
        header.producer_epoch = producer_epoch;
        header.base_sequence = base_sequence;
        header.write_fields(&mut buf, self.len);
        let crc = crc_of(&buf, &self.shared);
        put_crc(&mut buf, crc);
        self.buf = Bytes::from(buf);
    }
}

/// The CRC32C of a batch whose header is at the start of `buf`: over `buf`
/// from the attributes on, with `shared` values in their places. The values
/// are at least `SHARE_VALUES_FROM` bytes long, so hashing piece by piece
/// runs at nearly the speed of one contiguous buffer.
pub(super) fn crc_of(buf: &[u8], shared: &[(usize, Bytes)]) -> u32 {
    let mut crc = 0;
    let mut pos = ATTRIBUTES_OFFSET;
    for (at, value) in shared {
        crc = crc32c::crc32c_append(crc, &buf[pos..*at]);
        crc = crc32c::crc32c_append(crc, value);
        pos = *at;
    }
    crc32c::crc32c_append(crc, &buf[pos..])
}

impl From<Bytes> for EncodedBatch {
    fn from(buf: Bytes) -> Self {
        let len = buf.len();
        EncodedBatch {
            buf,
            shared: Vec::new(),
            len,
        }
    }
}
