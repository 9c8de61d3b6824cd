//! Building a record batch as records arrive.
//!
//! Records are encoded as they are appended; the header, the compression and
//! the CRC32C are applied once, when the batch is finished. A value handed
//! over as [`Bytes`] (see [`BatchBuilder::append_shared`]) is not copied: the
//! builder writes the record's other fields into its own buffer and keeps a
//! reference to the value, and the finished [`EncodedBatch`] is the builder's
//! buffer interleaved with those values — the bytes a connection writes out
//! as they are, with one vectored write.

use bytes::Bytes;

use super::batch::{put_crc, BatchHeader, ATTRIBUTES_OFFSET, TRANSACTIONAL_BIT};
use super::encoded::{crc_of, EncodedBatch};
use super::headers::{slice_encoded_len, write_slice};
use super::varint::{put_varint, put_varlong, varint_len, varlong_len, write_varint_into};
use super::{Compression, HeaderRef, Headers, RecordError, BATCH_OVERHEAD};

/// Values at least this long are referenced by [`BatchBuilder::append_shared`]
/// rather than copied. Below it, copying costs less than the extra pieces a
/// referenced value adds to the batch, to its CRC and to the vectored write:
/// with 1 KiB values, referencing them measured no faster than copying
/// (docs/performance.md), and long pieces keep the CRC, computed piece by
/// piece, near its speed over one buffer (17 to 18 GiB/s over 4 KiB pieces
/// against 21 to 22 GiB/s over 1 MiB).
pub const SHARE_VALUES_FROM: usize = 4096;

/// Builds one record batch: records are encoded as they are appended, and
/// the header, the compression and the CRC32C are applied by
/// [`BatchBuilder::build`].
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    /// The batch header (zeroed until the end) and every encoded byte that is
    /// not a referenced value.
    buf: Vec<u8>,
    /// Referenced values, each with the position in `buf` it follows.
    shared: Vec<(usize, Bytes)>,
    /// Total length of the referenced values.
    shared_len: usize,
    count: i32,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

/// Producer-side fields of a batch being finished.
#[derive(Debug, Clone, Copy)]
pub struct BatchParams {
    /// Codec for the records section.
    pub compression: Compression,
    /// The codec's level (`compression.<codec>.level`); `None` for its
    /// default.
    pub compression_level: Option<i32>,
    /// Idempotent producer id, -1 if none.
    pub producer_id: i64,
    /// Producer epoch, -1 if none.
    pub producer_epoch: i16,
    /// Sequence of the first record, -1 if none.
    pub base_sequence: i32,
    /// Whether the batch is part of a transaction.
    pub transactional: bool,
}

impl Default for BatchParams {
    fn default() -> Self {
        BatchParams {
            compression: Compression::None,
            compression_level: None,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
        }
    }
}

/// A record value as the encoder receives it.
enum Value<'a> {
    /// Copied into the batch.
    Copied(Option<&'a [u8]>),
    /// Referenced by the batch.
    Shared(Bytes),
}

impl BatchBuilder {
    /// A builder whose buffer can hold `capacity` bytes of records unreallocated.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(BATCH_OVERHEAD + capacity);
        buf.resize(BATCH_OVERHEAD, 0);
        BatchBuilder {
            buf,
            shared: Vec::new(),
            shared_len: 0,
            count: 0,
            base_timestamp: None,
            max_timestamp: -1,
        }
    }

    /// The bytes a record would add to a batch (for `batch.size` accounting).
    pub fn record_size<S: HeaderSet + ?Sized>(
        timestamp_delta: i64,
        offset_delta: i32,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &S,
    ) -> usize {
        let body = body_len(
            timestamp_delta,
            offset_delta,
            key,
            value,
            headers.encoded_len(),
        );
        varint_len(body as i32) + body
    }

    /// Appends a record, copying its fields; returns its offset delta
    /// within the batch.
    pub fn append<S: HeaderSet + ?Sized>(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &S,
    ) -> i32 {
        self.append_value(timestamp, key, Value::Copied(value), headers)
    }

    /// Appends a record whose value the batch may reference instead of
    /// copying (values of [`SHARE_VALUES_FROM`] bytes or more); returns its
    /// offset delta within the batch. Meant for batches sent uncompressed:
    /// a compressed batch reads every value once anyway, into the compressor.
    pub fn append_shared<S: HeaderSet + ?Sized>(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<Bytes>,
        headers: &S,
    ) -> i32 {
        match value {
            Some(v) if v.len() >= SHARE_VALUES_FROM => {
                self.append_value(timestamp, key, Value::Shared(v), headers)
            }
            v => self.append_value(timestamp, key, Value::Copied(v.as_deref()), headers),
        }
    }

    fn append_value<S: HeaderSet + ?Sized>(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Value<'_>,
        headers: &S,
    ) -> i32 {
        let base = *self.base_timestamp.get_or_insert(timestamp);
        let delta = self.count;
        self.push_record(timestamp.wrapping_sub(base), delta, key, value, headers);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        delta
    }

    /// Appends a record with the given deltas (re-encoding a decoded batch).
    pub(super) fn push_copied<S: HeaderSet + ?Sized>(
        &mut self,
        ts_delta: i64,
        offset_delta: i32,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &S,
    ) {
        self.push_record(ts_delta, offset_delta, key, Value::Copied(value), headers);
    }

    fn push_record<S: HeaderSet + ?Sized>(
        &mut self,
        ts_delta: i64,
        offset_delta: i32,
        key: Option<&[u8]>,
        value: Value<'_>,
        headers: &S,
    ) {
        match value {
            Value::Copied(value) => {
                self.push_copied_record(ts_delta, offset_delta, key, value, headers)
            }
            Value::Shared(value) => {
                self.push_shared_record(ts_delta, offset_delta, key, value, headers)
            }
        }
        self.count += 1;
    }

    fn push_copied_record<S: HeaderSet + ?Sized>(
        &mut self,
        ts_delta: i64,
        offset_delta: i32,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &S,
    ) {
        let body = body_len(ts_delta, offset_delta, key, value, headers.encoded_len());
        let out = &mut self.buf;
        out.reserve(varint_len(body as i32) + body);
        put_varint(out, body as i32);
        out.push(0);
        put_varlong(out, ts_delta);
        put_varint(out, offset_delta);
        put_nullable(out, key);
        put_nullable(out, value);
        headers.write(out);
    }

    /// Encodes a record around a referenced value in one pass: the fields
    /// are written after room for the longest length prefix, then the prefix
    /// is written and the fields moved up against it (a few dozen bytes: the
    /// value is not in this buffer).
    fn push_shared_record<S: HeaderSet + ?Sized>(
        &mut self,
        ts_delta: i64,
        offset_delta: i32,
        key: Option<&[u8]>,
        value: Bytes,
        headers: &S,
    ) {
        const ROOM: usize = 5;
        let out = &mut self.buf;
        let start = out.len();
        out.extend_from_slice(&[0; ROOM + 1]); // length room, attributes
        put_varlong(out, ts_delta);
        put_varint(out, offset_delta);
        put_nullable(out, key);
        let value_len = value.len();
        put_varint(out, value_len as i32);
        if self.shared.is_empty() {
            self.shared.reserve(out.capacity() / 32);
        }
        self.shared.push((out.len(), value));
        self.shared_len += value_len;
        headers.write(out);
        let body = out.len() - start - ROOM + value_len;
        let mut prefix = [0u8; ROOM];
        let n = write_varint_into(&mut prefix, body as i32);
        let gap = ROOM - n;
        if gap > 0 {
            out.copy_within(start + ROOM.., start + n);
            out.truncate(out.len() - gap);
            if let Some((at, _)) = self.shared.last_mut() {
                *at -= gap;
            }
        }
        out[start..start + n].copy_from_slice(&prefix[..n]);
    }

    /// Number of records appended.
    pub fn record_count(&self) -> i32 {
        self.count
    }

    /// Whether no record has been appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Encoded size so far, header included, before compression.
    pub fn size(&self) -> usize {
        self.buf.len() + self.shared_len
    }

    /// Timestamp of the first record, if any.
    pub fn base_timestamp(&self) -> Option<i64> {
        self.base_timestamp
    }

    /// Finishes the batch as one contiguous buffer (referenced values are
    /// copied into it).
    pub fn finish(self, params: &BatchParams) -> Result<Bytes, RecordError> {
        Ok(self.build(params)?.to_bytes())
    }

    /// Finishes the batch: header, optional compression, CRC32C. Referenced
    /// values stay where they are unless the batch is compressed.
    pub fn build(self, params: &BatchParams) -> Result<EncodedBatch, RecordError> {
        let mut attributes = params.compression.id();
        if params.transactional {
            attributes |= TRANSACTIONAL_BIT;
        }
        let header = BatchHeader {
            base_offset: 0,
            partition_leader_epoch: -1,
            attributes,
            last_offset_delta: self.count - 1,
            base_timestamp: self.base_timestamp.unwrap_or(-1),
            max_timestamp: self.max_timestamp,
            producer_id: params.producer_id,
            producer_epoch: params.producer_epoch,
            base_sequence: params.base_sequence,
            record_count: self.count,
        };
        self.write(header, params.compression, params.compression_level)
    }

    /// Writes the header (with `header.record_count` set to the records
    /// appended), compresses if asked and computes the CRC.
    pub(super) fn write(
        self,
        mut header: BatchHeader,
        compression: Compression,
        level: Option<i32>,
    ) -> Result<EncodedBatch, RecordError> {
        header.record_count = self.count;
        match compression {
            Compression::None => {
                let total = self.size();
                check_size(total)?;
                Ok(self.write_uncompressed(header, total))
            }
            codec => {
                let mut out = Vec::with_capacity(BATCH_OVERHEAD + self.size() / 2);
                out.resize(BATCH_OVERHEAD, 0);
                if self.shared.is_empty() {
                    codec.compress_at(&self.buf[BATCH_OVERHEAD..], &mut out, level)?;
                } else {
                    let records = self.contiguous_records();
                    codec.compress_at(&records, &mut out, level)?;
                }
                check_size(out.len())?;
                let total = out.len();
                header.write_fields(&mut out, total);
                let crc = crc32c::crc32c(&out[ATTRIBUTES_OFFSET..]);
                put_crc(&mut out, crc);
                Ok(EncodedBatch::from(Bytes::from(out)))
            }
        }
    }

    /// The header and CRC written into the builder's buffer; the CRC runs
    /// over the buffer and the referenced values in batch order.
    fn write_uncompressed(self, header: BatchHeader, total: usize) -> EncodedBatch {
        let mut buf = self.buf;
        header.write_fields(&mut buf, total);
        let crc = crc_of(&buf, &self.shared);
        put_crc(&mut buf, crc);
        EncodedBatch::new(Bytes::from(buf), self.shared, total)
    }

    /// The records section with the referenced values copied in.
    fn contiguous_records(&self) -> Vec<u8> {
        let mut records = Vec::with_capacity(self.size() - BATCH_OVERHEAD);
        let mut pos = BATCH_OVERHEAD;
        for (at, value) in &self.shared {
            records.extend_from_slice(&self.buf[pos..*at]);
            records.extend_from_slice(value);
            pos = *at;
        }
        records.extend_from_slice(&self.buf[pos..]);
        records
    }
}

fn check_size(size: usize) -> Result<(), RecordError> {
    if size > i32::MAX as usize {
        return Err(RecordError::TooLarge {
            size,
            limit: i32::MAX as usize,
        });
    }
    Ok(())
}

#[inline]
fn nullable_len(b: Option<&[u8]>) -> usize {
    match b {
        None => 1,
        Some(b) => varint_len(b.len() as i32) + b.len(),
    }
}

#[inline]
fn put_nullable(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i32);
            out.extend_from_slice(b);
        }
    }
}

fn body_len(
    ts_delta: i64,
    offset_delta: i32,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers_len: usize,
) -> usize {
    1 + varlong_len(ts_delta)
        + varint_len(offset_delta)
        + nullable_len(key)
        + nullable_len(value)
        + headers_len
}

/// Headers in any form the encoder accepts: a slice or vector of
/// [`HeaderRef`]s, or a record's [`Headers`].
pub trait HeaderSet {
    /// Encoded size, header count included.
    fn encoded_len(&self) -> usize;
    /// Writes the count and the headers.
    fn write(&self, out: &mut Vec<u8>);
}

impl<H: HeaderRef> HeaderSet for [H] {
    fn encoded_len(&self) -> usize {
        slice_encoded_len(self)
    }
    fn write(&self, out: &mut Vec<u8>) {
        write_slice(self, out)
    }
}

impl<H: HeaderRef> HeaderSet for Vec<H> {
    fn encoded_len(&self) -> usize {
        slice_encoded_len(self)
    }
    fn write(&self, out: &mut Vec<u8>) {
        write_slice(self, out)
    }
}

impl HeaderSet for Headers {
    fn encoded_len(&self) -> usize {
        Headers::encoded_len(self)
    }
    fn write(&self, out: &mut Vec<u8>) {
        Headers::write(self, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{decode_batches, DecodeOptions, Header};
    use proptest::prelude::*;

    fn value(len: usize, seed: u8) -> Bytes {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn shared_values_are_referenced_not_copied() {
        let big = value(SHARE_VALUES_FROM + 100, 1);
        let mut b = BatchBuilder::default();
        b.append_shared(
            10,
            Some(b"k"),
            Some(big.clone()),
            &[Header::new("h", Some("v"))][..],
        );
        b.append_shared::<[Header]>(11, None, Some(value(10, 2)), &[]);
        b.append_shared::<[Header]>(12, None, None, &[]);
        b.append_shared::<[Header]>(13, Some(b"k2"), Some(big.clone()), &[]);
        let encoded = b.build(&BatchParams::default()).unwrap();
        let referenced = encoded
            .pieces()
            .filter(|p| p.as_ptr() == big.as_ptr())
            .count();
        assert_eq!(referenced, 2, "both large values are the caller's buffer");
        assert_eq!(encoded.pieces().count(), encoded.piece_count());
        assert_eq!(
            encoded.len(),
            encoded.pieces().map(<[u8]>::len).sum::<usize>()
        );
    }

    #[test]
    fn finished_batch_is_the_same_with_or_without_sharing() {
        let mut copied = BatchBuilder::default();
        let mut shared = BatchBuilder::with_capacity(16);
        for i in 0..50u8 {
            let v = value(usize::from(i) * 200, i);
            let key = [i; 3];
            let headers = vec![Header::new("n", Some(vec![i]))];
            copied.append(1_000 + i64::from(i), Some(&key), Some(&v), &headers);
            shared.append_shared(1_000 + i64::from(i), Some(&key), Some(v), &headers);
        }
        for codec in Compression::ALL {
            let params = BatchParams {
                compression: codec,
                compression_level: None,
                producer_id: 5,
                producer_epoch: 1,
                base_sequence: 9,
                transactional: false,
            };
            let a = copied.clone().finish(&params).unwrap();
            let b = shared.clone().build(&params).unwrap();
            assert_eq!(a, b.to_bytes(), "{codec}");
            let batches = decode_batches(b.to_bytes(), &DecodeOptions::default()).unwrap();
            assert_eq!(batches[0].records.len(), 50);
        }
    }

    #[test]
    fn restamped_chain_matches_restamped_bytes() {
        let mut b = BatchBuilder::default();
        for i in 0..5 {
            b.append_shared::<[Header]>(i, None, Some(value(5000, i as u8)), &[]);
        }
        let mut chain = b.build(&BatchParams::default()).unwrap();
        let mut flat = chain.to_bytes().to_vec();
        crate::record::restamp_producer(&mut flat, 77, 2, 1000);
        chain.restamp_producer(77, 2, 1000);
        assert_eq!(chain.to_bytes(), flat);
        let batch = &decode_batches(chain.to_bytes(), &DecodeOptions::default()).unwrap()[0];
        assert_eq!(batch.header.producer_id, 77);
        assert_eq!(batch.header.base_sequence, 1000);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn prop_shared_equals_copied(
            sizes in proptest::collection::vec(
                proptest::option::of(prop_oneof![0usize..40, 3000usize..9000]), 0..20),
            keyed in any::<bool>(),
        ) {
            let mut copied = BatchBuilder::default();
            let mut shared = BatchBuilder::default();
            for (i, size) in sizes.iter().enumerate() {
                let v = size.map(|n| value(n, i as u8));
                let key = keyed.then_some(&b"key"[..]);
                copied.append::<[Header]>(i as i64, key, v.as_deref(), &[]);
                shared.append_shared::<[Header]>(i as i64, key, v, &[]);
            }
            prop_assert_eq!(copied.size(), shared.size());
            let a = copied.finish(&BatchParams::default()).unwrap();
            let b = shared.build(&BatchParams::default()).unwrap();
            prop_assert_eq!(b.len(), a.len());
            prop_assert_eq!(b.to_bytes(), a);
        }

        /// Record lengths around the varint boundaries (127, 16,383 bytes),
        /// where the headers decide the size of a record's length prefix.
        #[test]
        fn prop_records_across_length_prefix_sizes(
            records in proptest::collection::vec(
                (
                    prop_oneof![90usize..140, 16_300usize..16_400],
                    proptest::option::of(0usize..20),
                    proptest::collection::vec((0usize..12, proptest::option::of(0usize..40)), 0..4),
                ),
                1..12,
            ),
        ) {
            let mut builder = BatchBuilder::default();
            let mut expected = Vec::new();
            for (i, (value_len, key_len, header_lens)) in records.iter().enumerate() {
                let key = key_len.map(|n| value(n, 7));
                let v = value(*value_len, i as u8);
                let headers: Vec<Header> = header_lens
                    .iter()
                    .map(|(k, v)| Header::new("h".repeat(*k), v.map(|n| value(n, 3))))
                    .collect();
                let size = BatchBuilder::record_size(
                    i as i64, i as i32, key.as_deref(), Some(&v), &headers,
                );
                let before = builder.size();
                builder.append(1_000 + i as i64, key.as_deref(), Some(&v), &headers);
                prop_assert_eq!(builder.size() - before, size);
                expected.push((key, v, headers));
            }
            let bytes = builder.finish(&BatchParams::default()).unwrap();
            let batches = decode_batches(bytes, &DecodeOptions::default()).unwrap();
            prop_assert_eq!(batches[0].records.len(), expected.len());
            for (record, (key, v, headers)) in batches[0].records.iter().zip(&expected) {
                prop_assert_eq!(&record.key, key);
                prop_assert_eq!(record.value.as_ref(), Some(v));
                let decoded: Vec<Header> = record.headers.iter().collect();
                prop_assert_eq!(&decoded, headers);
            }
        }
    }
}
