//! Encoding and decoding of record batch v2 (magic 2).
//!
//! ```text
//! baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8
//! crc uint32 (CRC32C of attributes..end) | attributes int16 | lastOffsetDelta int32
//! baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16
//! baseSequence int32 | recordCount int32 | records...
//! ```
//!
//! All arithmetic on values read from the input is checked or wrapping, so no
//! input can make the decoder panic, and no buffer is sized from a field
//! before that field has been checked against the bytes actually present.
//!
//! # References
//! - <https://kafka.apache.org/documentation/#recordbatch>
//! - <https://kafka.apache.org/documentation/#controlbatch>

use bytes::Bytes;

use super::builder::BatchBuilder;
use super::varint::{get_varint, get_varlong};
use super::{Compression, Headers, Record, RecordError};

/// Size of the batch header that precedes the records.
pub const BATCH_OVERHEAD: usize = 61;
/// Bytes before (and not counted in) `batchLength`: baseOffset and batchLength.
const LOG_OVERHEAD: usize = 12;
const MAGIC_OFFSET: usize = 16;
const CRC_OFFSET: usize = 17;
/// Where the bytes the CRC covers begin.
pub(super) const ATTRIBUTES_OFFSET: usize = 21;
/// Smallest possible encoded record: length, attributes, timestamp delta,
/// offset delta, key length, value length, header count — one byte each.
const MIN_RECORD_SIZE: usize = 7;

const TIMESTAMP_TYPE_BIT: i16 = 0x08;
pub(super) const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;

/// Meaning of the record timestamps in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// Set by the producer.
    #[default]
    CreateTime,
    /// Set by the broker when appending (the batch's max timestamp).
    LogAppendTime,
}

/// The fixed fields of a record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record.
    pub base_offset: i64,
    /// Leader epoch when the batch was appended (-1 from producers).
    pub partition_leader_epoch: i32,
    /// Compression, timestamp type, transactional and control bits.
    pub attributes: i16,
    /// Offset delta of the last record.
    pub last_offset_delta: i32,
    /// Timestamp the record deltas are relative to.
    pub base_timestamp: i64,
    /// Largest record timestamp (or the log-append time).
    pub max_timestamp: i64,
    /// Idempotent producer id, -1 if none.
    pub producer_id: i64,
    /// Producer epoch, -1 if none.
    pub producer_epoch: i16,
    /// Sequence of the first record, -1 if none.
    pub base_sequence: i32,
    /// Number of records.
    pub record_count: i32,
}

impl Default for BatchHeader {
    fn default() -> Self {
        BatchHeader {
            base_offset: 0,
            partition_leader_epoch: -1,
            attributes: 0,
            last_offset_delta: -1,
            base_timestamp: -1,
            max_timestamp: -1,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            record_count: 0,
        }
    }
}

impl BatchHeader {
    /// The compression codec named in the attributes.
    pub fn compression(&self) -> Result<Compression, RecordError> {
        Ok(Compression::from_attributes(self.attributes)?)
    }

    /// The timestamp type bit.
    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & TIMESTAMP_TYPE_BIT != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    /// Whether the batch holds control records (transaction markers).
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }

    /// Offset after the last record of the batch.
    pub fn next_offset(&self) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
            .wrapping_add(1)
    }

    pub(super) fn read(b: &[u8]) -> BatchHeader {
        let i64_at = |o: usize| i64::from_be_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
        let i32_at = |o: usize| i32::from_be_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]));
        let i16_at = |o: usize| i16::from_be_bytes([b[o], b[o + 1]]);
        BatchHeader {
            base_offset: i64_at(0),
            partition_leader_epoch: i32_at(12),
            attributes: i16_at(21),
            last_offset_delta: i32_at(23),
            base_timestamp: i64_at(27),
            max_timestamp: i64_at(35),
            producer_id: i64_at(43),
            producer_epoch: i16_at(51),
            base_sequence: i32_at(53),
            record_count: i32_at(57),
        }
    }

    /// Writes the header into the first [`BATCH_OVERHEAD`] bytes of a whole
    /// batch and then computes the CRC over the rest — once.
    fn write(&self, batch: &mut [u8]) {
        self.write_fields(batch, batch.len());
        let crc = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
        put_crc(batch, crc);
    }

    /// Writes every field but the CRC into the first [`BATCH_OVERHEAD`]
    /// bytes of `head`, the start of a batch of `total` bytes.
    pub(super) fn write_fields(&self, head: &mut [u8], total: usize) {
        let batch_length = (total - LOG_OVERHEAD) as i32;
        head[0..8].copy_from_slice(&self.base_offset.to_be_bytes());
        head[8..12].copy_from_slice(&batch_length.to_be_bytes());
        head[12..16].copy_from_slice(&self.partition_leader_epoch.to_be_bytes());
        head[MAGIC_OFFSET] = 2;
        head[21..23].copy_from_slice(&self.attributes.to_be_bytes());
        head[23..27].copy_from_slice(&self.last_offset_delta.to_be_bytes());
        head[27..35].copy_from_slice(&self.base_timestamp.to_be_bytes());
        head[35..43].copy_from_slice(&self.max_timestamp.to_be_bytes());
        head[43..51].copy_from_slice(&self.producer_id.to_be_bytes());
        head[51..53].copy_from_slice(&self.producer_epoch.to_be_bytes());
        head[53..57].copy_from_slice(&self.base_sequence.to_be_bytes());
        head[57..61].copy_from_slice(&self.record_count.to_be_bytes());
    }
}

/// Stores the CRC32C of a batch (computed by the caller) in its header.
pub(super) fn put_crc(head: &mut [u8], crc: u32) {
    head[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
}

/// A transaction marker carried by a control batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRecord {
    /// The transaction was aborted.
    Abort,
    /// The transaction was committed.
    Commit,
    /// A control type this client does not know.
    Other(i16),
}

impl ControlRecord {
    /// Parses a control record key: version int16, type int16.
    pub fn from_key(key: &[u8]) -> Option<ControlRecord> {
        let kind = i16::from_be_bytes(key.get(2..4)?.try_into().ok()?);
        Some(match kind {
            0 => ControlRecord::Abort,
            1 => ControlRecord::Commit,
            other => ControlRecord::Other(other),
        })
    }
}

/// Limits applied while decoding.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// Most bytes one compressed batch may inflate to.
    pub max_decompressed_bytes: usize,
    /// Whether to check each batch's CRC32C.
    pub verify_crc: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_decompressed_bytes: 128 * 1024 * 1024,
            verify_crc: true,
        }
    }
}

/// A decoded record batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    /// The fixed fields.
    pub header: BatchHeader,
    /// The records, with absolute offsets and timestamps.
    pub records: Vec<Record>,
}

/// Decodes every complete batch in `data` (a Produce or Fetch `records`
/// field). A partial batch at the end — which a Fetch response may carry when
/// it hits its size limit — is ignored, as Kafka clients do.
pub fn decode_batches(
    data: Bytes,
    options: &DecodeOptions,
) -> Result<Vec<RecordBatch>, RecordError> {
    let mut batches = Vec::new();
    let mut pos = 0usize;
    while data.len() - pos >= LOG_OVERHEAD {
        let length = i32::from_be_bytes(data[pos + 8..pos + 12].try_into().unwrap_or([0; 4]));
        let Ok(length) = usize::try_from(length) else {
            return Err(RecordError::Corrupt("negative batch length"));
        };
        let total = match length.checked_add(LOG_OVERHEAD) {
            Some(t) if t >= BATCH_OVERHEAD => t,
            _ => return Err(RecordError::Corrupt("batch length smaller than its header")),
        };
        if data.len() - pos < total {
            break;
        }
        if data.len() - pos > MAGIC_OFFSET {
            let magic = data[pos + MAGIC_OFFSET] as i8;
            if magic != 2 {
                return Err(RecordError::UnsupportedMagic(magic));
            }
        }
        batches.push(RecordBatch::decode(data.slice(pos..pos + total), options)?);
        pos += total;
    }
    Ok(batches)
}

impl RecordBatch {
    /// Decodes exactly one batch.
    pub fn decode(batch: Bytes, options: &DecodeOptions) -> Result<RecordBatch, RecordError> {
        if batch.len() < BATCH_OVERHEAD {
            return Err(RecordError::Truncated("batch header"));
        }
        let magic = batch[MAGIC_OFFSET] as i8;
        if magic != 2 {
            return Err(RecordError::UnsupportedMagic(magic));
        }
        let length = i32::from_be_bytes(batch[8..12].try_into().unwrap_or([0; 4]));
        if usize::try_from(length)
            .ok()
            .and_then(|l| l.checked_add(LOG_OVERHEAD))
            != Some(batch.len())
        {
            return Err(RecordError::Corrupt(
                "batch length does not match the bytes given",
            ));
        }
        if options.verify_crc {
            let stored = u32::from_be_bytes(
                batch[CRC_OFFSET..ATTRIBUTES_OFFSET]
                    .try_into()
                    .unwrap_or([0; 4]),
            );
            let computed = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
            if stored != computed {
                return Err(RecordError::Crc { stored, computed });
            }
        }
        let header = BatchHeader::read(&batch);
        let Ok(count) = usize::try_from(header.record_count) else {
            return Err(RecordError::Corrupt("negative record count"));
        };
        let compression = header.compression()?;
        let payload = match compression {
            Compression::None => batch.slice(BATCH_OVERHEAD..),
            codec => {
                let mut out = Vec::new();
                codec.decompress(
                    &batch[BATCH_OVERHEAD..],
                    options.max_decompressed_bytes,
                    &mut out,
                )?;
                Bytes::from(out)
            }
        };
        let mut records = Vec::with_capacity(count.min(payload.len() / MIN_RECORD_SIZE));
        let mut pos = 0usize;
        for _ in 0..count {
            records.push(read_record(&payload, &mut pos, &header)?);
        }
        if pos != payload.len() {
            return Err(RecordError::Corrupt("bytes after the last record"));
        }
        Ok(RecordBatch { header, records })
    }

    /// The transaction marker of a control batch.
    pub fn control_record(&self) -> Option<ControlRecord> {
        if !self.header.is_control() {
            return None;
        }
        self.records
            .first()
            .and_then(|r| r.key.as_deref())
            .and_then(ControlRecord::from_key)
    }

    /// Re-encodes the batch with its own header fields and codec.
    pub fn encode(&self) -> Result<Bytes, RecordError> {
        let compression = self.header.compression()?;
        let mut builder = BatchBuilder::with_capacity(self.records.len() * 64);
        for r in &self.records {
            let delta = r.offset.wrapping_sub(self.header.base_offset) as i32;
            let ts_delta = r.timestamp.wrapping_sub(self.header.base_timestamp);
            builder.push_copied(
                ts_delta,
                delta,
                r.key.as_deref(),
                r.value.as_deref(),
                &r.headers,
            );
        }
        Ok(builder.write(self.header, compression, None)?.to_bytes())
    }
}

fn read_bytes(payload: &Bytes, pos: &mut usize, end: usize) -> Result<Option<Bytes>, RecordError> {
    let len = get_varint(payload, pos)?;
    if len == -1 {
        return Ok(None);
    }
    let Ok(len) = usize::try_from(len) else {
        return Err(RecordError::Corrupt("negative length"));
    };
    let stop = pos
        .checked_add(len)
        .filter(|s| *s <= end)
        .ok_or(RecordError::Truncated("record field"))?;
    let bytes = payload.slice(*pos..stop);
    *pos = stop;
    Ok(Some(bytes))
}

fn read_record(
    payload: &Bytes,
    pos: &mut usize,
    header: &BatchHeader,
) -> Result<Record, RecordError> {
    let len = get_varint(payload, pos)?;
    let Ok(len) = usize::try_from(len) else {
        return Err(RecordError::Corrupt("negative record length"));
    };
    let end = pos
        .checked_add(len)
        .filter(|e| *e <= payload.len())
        .ok_or(RecordError::Truncated("record"))?;
    let body = &payload[..end];
    if *pos >= end {
        return Err(RecordError::Truncated("record attributes"));
    }
    *pos += 1; // record attributes: unused
    let ts_delta = get_varlong(body, pos)?;
    let offset_delta = get_varint(body, pos)?;
    let key = read_bytes(payload, pos, end)?;
    let value = read_bytes(payload, pos, end)?;
    let header_count = get_varint(body, pos)?;
    let Ok(header_count) = usize::try_from(header_count) else {
        return Err(RecordError::Corrupt("negative header count"));
    };
    let headers = Headers::decode(payload, pos, end, header_count)?;
    if *pos != end {
        return Err(RecordError::Corrupt(
            "record length does not match its fields",
        ));
    }
    let timestamp = match header.timestamp_type() {
        TimestampType::LogAppendTime => header.max_timestamp,
        TimestampType::CreateTime => header.base_timestamp.wrapping_add(ts_delta),
    };
    Ok(Record {
        offset: header.base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp,
        key,
        value,
        headers,
    })
}

/// Rewrites the producer id, epoch and base sequence of an encoded batch and
/// recomputes its CRC (for a batch re-sent under a new producer id).
pub fn restamp_producer(
    batch: &mut [u8],
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
) {
    if batch.len() < BATCH_OVERHEAD {
        return;
    }
    let mut header = BatchHeader::read(batch);
    header.producer_id = producer_id;
    header.producer_epoch = producer_epoch;
    header.base_sequence = base_sequence;
    header.write(batch);
}

/// Writes the fields a broker sets when it appends a batch to a log: the
/// base offset and partition leader epoch (neither is covered by the CRC),
/// and, for a topic with `message.timestamp.type=LogAppendTime`, the
/// timestamp type bit and the append time as the max timestamp, after which
/// the CRC is recomputed. A slice shorter than a batch header is left alone.
pub fn stamp_append(
    batch: &mut [u8],
    base_offset: i64,
    partition_leader_epoch: i32,
    log_append_time: Option<i64>,
) {
    if batch.len() < BATCH_OVERHEAD {
        return;
    }
    match log_append_time {
        Some(time) => {
            let mut header = BatchHeader::read(batch);
            header.base_offset = base_offset;
            header.partition_leader_epoch = partition_leader_epoch;
            header.attributes |= TIMESTAMP_TYPE_BIT;
            header.max_timestamp = time;
            header.write(batch);
        }
        None => {
            batch[0..8].copy_from_slice(&base_offset.to_be_bytes());
            batch[12..16].copy_from_slice(&partition_leader_epoch.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{BatchParams, Header};
    use proptest::prelude::*;

    fn sample() -> Vec<Record> {
        vec![
            Record {
                offset: 0,
                timestamp: 1_700_000_000_000,
                key: Some(Bytes::from_static(b"k1")),
                value: Some(Bytes::from_static(b"v1")),
                headers: vec![
                    Header::new("h", Some(&b"1"[..])),
                    Header::new("h", Some(&b"2"[..])),
                    Header::new("n", None::<Bytes>),
                ]
                .into(),
            },
            Record {
                offset: 1,
                timestamp: 1_699_999_999_000,
                key: None,
                value: None,
                headers: Headers::new(),
            },
            Record {
                offset: 2,
                timestamp: 1_700_000_000_500,
                key: Some(Bytes::new()),
                value: Some(Bytes::from(vec![7u8; 300])),
                headers: Headers::new(),
            },
        ]
    }

    #[test]
    fn stamp_append_sets_broker_fields() {
        let bytes = build(&sample(), Compression::None);
        let mut plain = bytes.to_vec();
        stamp_append(&mut plain, 42, 7, None);
        let batch = RecordBatch::decode(Bytes::from(plain), &DecodeOptions::default()).unwrap();
        assert_eq!(batch.header.base_offset, 42);
        assert_eq!(batch.header.partition_leader_epoch, 7);
        assert_eq!(batch.records[1].offset, 43);
        assert_eq!(batch.records[1].timestamp, 1_699_999_999_000);

        let mut appended = bytes.to_vec();
        stamp_append(&mut appended, 5, 1, Some(1_800_000_000_000));
        let batch = RecordBatch::decode(Bytes::from(appended), &DecodeOptions::default()).unwrap();
        assert_eq!(batch.header.timestamp_type(), TimestampType::LogAppendTime);
        assert!(batch
            .records
            .iter()
            .all(|r| r.timestamp == 1_800_000_000_000));
        let mut short = vec![0u8; 10];
        stamp_append(&mut short, 1, 1, None);
        assert_eq!(short, vec![0u8; 10]);
    }

    fn build(records: &[Record], compression: Compression) -> Bytes {
        let mut b = BatchBuilder::default();
        for r in records {
            b.append(
                r.timestamp,
                r.key.as_deref(),
                r.value.as_deref(),
                &r.headers,
            );
        }
        b.finish(&BatchParams {
            compression,
            compression_level: None,
            producer_id: 42,
            producer_epoch: 3,
            base_sequence: 7,
            transactional: false,
        })
        .unwrap()
    }

    #[test]
    fn round_trip_every_codec() {
        for codec in Compression::ALL {
            let bytes = build(&sample(), codec);
            let batches = decode_batches(bytes.clone(), &DecodeOptions::default()).unwrap();
            assert_eq!(batches.len(), 1);
            let batch = &batches[0];
            assert_eq!(batch.records, sample(), "{codec}");
            assert_eq!(batch.header.compression().unwrap(), codec);
            assert_eq!(batch.header.producer_id, 42);
            assert_eq!(batch.header.producer_epoch, 3);
            assert_eq!(batch.header.base_sequence, 7);
            assert_eq!(batch.header.max_timestamp, 1_700_000_000_500);
            assert_eq!(batch.header.last_offset_delta, 2);
            if codec == Compression::None {
                assert_eq!(batch.encode().unwrap(), bytes);
            }
        }
    }

    #[test]
    fn crc_is_checked() {
        let mut bytes = build(&sample(), Compression::None).to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let err = decode_batches(Bytes::from(bytes), &DecodeOptions::default()).unwrap_err();
        assert!(matches!(err, RecordError::Crc { .. }), "{err}");
    }

    #[test]
    fn partial_trailing_batch_is_ignored() {
        let one = build(&sample(), Compression::None);
        let mut two = one.to_vec();
        two.extend_from_slice(&one[..one.len() - 5]);
        let batches = decode_batches(Bytes::from(two), &DecodeOptions::default()).unwrap();
        assert_eq!(batches.len(), 1);
    }

    #[test]
    fn decompression_limit_applies() {
        let records = vec![Record {
            value: Some(Bytes::from(vec![0u8; 100_000])),
            ..Record::default()
        }];
        let bytes = build(&records, Compression::Zstd);
        let options = DecodeOptions {
            max_decompressed_bytes: 10_000,
            ..DecodeOptions::default()
        };
        let err = decode_batches(bytes, &options).unwrap_err();
        assert!(matches!(err, RecordError::Compression(_)), "{err}");
    }

    #[test]
    fn control_batch_is_recognised() {
        let mut b = BatchBuilder::default();
        b.append::<[Header]>(
            5,
            Some(&[0, 0, 0, 1][..]),
            Some(&[0, 0, 0, 0, 0, 0][..]),
            &[],
        );
        let mut bytes = b.finish(&BatchParams::default()).unwrap().to_vec();
        let mut header = BatchHeader::read(&bytes);
        header.attributes |= CONTROL_BIT | TRANSACTIONAL_BIT;
        header.write(&mut bytes);
        let batch = RecordBatch::decode(Bytes::from(bytes), &DecodeOptions::default()).unwrap();
        assert_eq!(batch.control_record(), Some(ControlRecord::Commit));
    }

    #[test]
    fn restamp_keeps_batch_valid() {
        let mut bytes = build(&sample(), Compression::Gzip).to_vec();
        restamp_producer(&mut bytes, 9, 1, 100);
        let batch = RecordBatch::decode(Bytes::from(bytes), &DecodeOptions::default()).unwrap();
        assert_eq!(
            (
                batch.header.producer_id,
                batch.header.producer_epoch,
                batch.header.base_sequence
            ),
            (9, 1, 100)
        );
    }

    /// Timestamp offset, key, value and headers of a generated record.
    type ArbRecord = (
        i64,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Vec<(String, Option<Vec<u8>>)>,
    );

    fn arb_record() -> impl Strategy<Value = ArbRecord> {
        (
            -1_000_000i64..1_000_000,
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
            proptest::collection::vec(
                (
                    "[a-z]{0,6}",
                    proptest::option::of(proptest::collection::vec(any::<u8>(), 0..10)),
                ),
                0..4,
            ),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn prop_round_trip(records in proptest::collection::vec(arb_record(), 0..30), codec in 0usize..5) {
            let codec = Compression::ALL[codec];
            let mut b = BatchBuilder::default();
            let base = 1_600_000_000_000i64;
            for (ts, k, v, hs) in &records {
                let hs: Vec<Header> = hs.iter().map(|(k, v)| Header::new(k.clone(), v.clone())).collect();
                b.append(base + ts, k.as_deref(), v.as_deref(), &hs);
            }
            let bytes = b.finish(&BatchParams { compression: codec, ..BatchParams::default() }).unwrap();
            let batches = decode_batches(bytes.clone(), &DecodeOptions::default()).unwrap();
            prop_assert_eq!(batches.len(), 1);
            let got = &batches[0].records;
            prop_assert_eq!(got.len(), records.len());
            for (i, (r, (ts, k, v, hs))) in got.iter().zip(&records).enumerate() {
                prop_assert_eq!(r.offset, i as i64);
                prop_assert_eq!(r.timestamp, base + ts);
                prop_assert_eq!(r.key.as_deref(), k.as_deref());
                prop_assert_eq!(r.value.as_deref(), v.as_deref());
                prop_assert_eq!(r.headers.len(), hs.len());
                for (h, (hk, hv)) in r.headers.iter().zip(hs) {
                    prop_assert_eq!(h.key.as_str(), hk.as_str());
                    prop_assert_eq!(h.value.as_deref(), hv.as_deref());
                }
            }
            if codec == Compression::None {
                prop_assert_eq!(batches[0].encode().unwrap(), bytes);
            }
        }

        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_batches(Bytes::from(bytes), &DecodeOptions::default());
        }

        #[test]
        fn prop_mutated_batch_never_panics(pos in 0usize..400, byte in any::<u8>()) {
            let mut bytes = build(&sample(), Compression::None).to_vec();
            let pos = pos % bytes.len();
            bytes[pos] = byte;
            let options = DecodeOptions { verify_crc: false, ..DecodeOptions::default() };
            let _ = decode_batches(Bytes::from(bytes), &options);
        }
    }
}
