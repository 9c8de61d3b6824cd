//! Benchmarks of the gateway and its `wire` client; see `codec.rs` and `docs/performance.md`.
//!
//! This library holds the workload the codec benchmark measures, so that it is
//! built once, the same way for both encoders, and can be checked by tests:
//!
//! - [`RECORD_COUNT`] records in one batch, timestamps one millisecond apart;
//! - keys of [`KEY_LEN`] bytes (`user-` and eleven digits);
//! - values of [`VALUE_LEN`] bytes that compress moderately: a deterministic
//!   mix of repeated JSON-like fragments, random alphanumeric runs and random
//!   binary runs (see [`semi_compressible`]);
//! - a `trace-id` header on every record and a `content-type` header on every
//!   second one.
//!
//! Everything derives from [`SEED`], so every run measures the same bytes.

use bytes::Bytes;
use kafka_protocol::records as kp;
use wire::record::{
    decode_batches, BatchBuilder, BatchParams, Compression, DecodeOptions, Header, BATCH_OVERHEAD,
    SHARE_VALUES_FROM,
};

/// Records in the benchmark batch.
pub const RECORD_COUNT: usize = 1_000;
/// Length of each record value.
pub const VALUE_LEN: usize = 1_024;
/// Length of each record key.
pub const KEY_LEN: usize = 16;
/// Timestamp of the first record (ms).
pub const BASE_TIMESTAMP: i64 = 1_700_000_000_000;
/// Seed of the workload generator.
pub const SEED: u64 = 0x6b61_666b_612d_6777;

/// A record to encode, held in memory before either encoder sees it.
#[derive(Debug, Clone)]
pub struct InputRecord {
    /// Create time (ms).
    pub timestamp: i64,
    /// Key bytes.
    pub key: Bytes,
    /// Value bytes.
    pub value: Bytes,
    /// Headers, in order.
    pub headers: Vec<Header>,
}

/// SplitMix64: a small, fast, deterministic generator (not for cryptography).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bits = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bits[..chunk.len()]);
        }
    }
}

/// Fragments that repeat across values, as field names and enum-like values
/// do in real JSON payloads.
const FRAGMENTS: [&str; 16] = [
    "{\"event\":\"page_view\",",
    "\"status\":\"ok\",",
    "\"region\":\"eu-west-1\",",
    "\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64)\",",
    "\"currency\":\"EUR\",",
    "\"items\":[",
    "{\"sku\":\"",
    "\"qty\":1},",
    "\"session\":\"",
    "\"ts\":",
    "\"referrer\":\"https://example.com/\",",
    "\"flags\":{\"beta\":false,\"premium\":true},",
    "\"lang\":\"en-GB\",",
    "\"device\":\"mobile\",",
    "\"ok\":true}",
    "\"tags\":[\"a\",\"b\",\"c\"],",
];

const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` bytes that compress moderately: about 40% of the pieces are repeated
/// fragments, 30% random alphanumeric runs of 8 to 23 bytes and 30% random
/// binary runs of 4 to 15 bytes. zstd and gzip shrink such values to roughly
/// half; LZ4 and Snappy somewhat less.
pub fn semi_compressible(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        match rng.below(10) {
            0..=3 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len() as u64) as usize];
                out.extend_from_slice(fragment.as_bytes());
            }
            4..=6 => {
                let run = 8 + rng.below(16) as usize;
                for _ in 0..run {
                    out.push(ALPHANUMERIC[rng.below(ALPHANUMERIC.len() as u64) as usize]);
                }
            }
            _ => {
                let run = 4 + rng.below(12) as usize;
                let start = out.len();
                out.resize(start + run, 0);
                rng.fill(&mut out[start..]);
            }
        }
    }
    out.truncate(len);
    out
}

/// The benchmark workload: [`RECORD_COUNT`] records built from [`SEED`].
pub fn workload() -> Vec<InputRecord> {
    workload_with(RECORD_COUNT, VALUE_LEN)
}

/// The workload with `count` records of `value_len`-byte values.
pub fn workload_with(count: usize, value_len: usize) -> Vec<InputRecord> {
    let mut rng = SplitMix64::new(SEED);
    (0..count)
        .map(|i| {
            let key = format!("user-{:011}", rng.below(100_000_000_000));
            debug_assert_eq!(key.len(), KEY_LEN);
            let value = semi_compressible(&mut rng, value_len);
            let mut headers = vec![Header::new(
                "trace-id",
                Some(format!("{:016x}", rng.next_u64()).into_bytes()),
            )];
            if i % 2 == 0 {
                headers.push(Header::new(
                    "content-type",
                    Some(Bytes::from_static(b"application/json")),
                ));
            }
            InputRecord {
                timestamp: BASE_TIMESTAMP + i as i64,
                key: Bytes::from(key.into_bytes()),
                value: Bytes::from(value),
                headers,
            }
        })
        .collect()
}

/// The same records as `kafka-protocol` wants them: offsets from 0, no
/// producer id, and sequence numbers chosen so that the batch's base sequence
/// is -1, as `wire` writes it for a non-idempotent producer.
pub fn to_kafka_protocol(records: &[InputRecord]) -> Vec<kp::Record> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut headers = kafka_protocol::indexmap::IndexMap::with_capacity(r.headers.len());
            for h in &r.headers {
                headers.insert(h.key.clone(), h.value.clone());
            }
            kp::Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: kp::NO_PARTITION_LEADER_EPOCH,
                producer_id: kp::NO_PRODUCER_ID,
                producer_epoch: kp::NO_PRODUCER_EPOCH,
                timestamp_type: kp::TimestampType::Creation,
                offset: i as i64,
                sequence: (i as i32).wrapping_sub(1),
                timestamp: r.timestamp,
                key: Some(r.key.clone()),
                value: Some(r.value.clone()),
                headers,
            }
        })
        .collect()
}

/// `kafka-protocol`'s name for a codec.
pub fn kp_compression(compression: Compression) -> kp::Compression {
    match compression {
        Compression::None => kp::Compression::None,
        Compression::Gzip => kp::Compression::Gzip,
        Compression::Snappy => kp::Compression::Snappy,
        Compression::Lz4 => kp::Compression::Lz4,
        Compression::Zstd => kp::Compression::Zstd,
    }
}

/// Bytes of the records section of the batch, uncompressed, plus the batch
/// header: the size of the batch encoded without compression.
pub fn uncompressed_batch_len(records: &[InputRecord]) -> usize {
    let mut builder = BatchBuilder::default();
    append_all(&mut builder, records, Vec::new(), Compression::Gzip);
    builder.size()
}

/// Appends every record to `builder` as `wire`'s producer does. A batch
/// sent uncompressed references values of `SHARE_VALUES_FROM` bytes or more
/// (`append_shared`): `values` are those values, owned, in record order, as
/// the producer owns the records it is given and moves such values into the
/// batch. Shorter values are copied, from `records` (`append`), as are all
/// values of a compressed batch; like `kafka-protocol`'s encoder, `wire`
/// then only reads the records it is given.
#[inline]
pub fn append_all(
    builder: &mut BatchBuilder,
    records: &[InputRecord],
    values: Vec<Bytes>,
    compression: Compression,
) {
    let mut values = values.into_iter();
    for r in records {
        if shares_value(r, compression) {
            let value = values.next().expect("an owned value per shared value");
            builder.append_shared(r.timestamp, Some(&r.key), Some(value), &r.headers);
        } else {
            builder.append(r.timestamp, Some(&r.key), Some(&r.value), &r.headers);
        }
    }
}

/// Whether `append_all` hands `record`'s value over to be referenced.
fn shares_value(record: &InputRecord, compression: Compression) -> bool {
    compression == Compression::None && record.value.len() >= SHARE_VALUES_FROM
}

/// The values `append_all` takes for `compression`: the values the batch
/// references (see there), cloned.
pub fn owned_values(records: &[InputRecord], compression: Compression) -> Vec<Bytes> {
    records
        .iter()
        .filter(|r| shares_value(r, compression))
        .map(|r| r.value.clone())
        .collect()
}

/// The buffer a `BatchBuilder` needs for the records section of the
/// workload: everything but the values it references.
pub fn builder_capacity(records: &[InputRecord], compression: Compression) -> usize {
    let referenced: usize = records
        .iter()
        .filter(|r| shares_value(r, compression))
        .map(|r| r.value.len())
        .sum();
    uncompressed_batch_len(records) - BATCH_OVERHEAD - referenced
}

/// Encodes the workload with `wire` into one buffer.
pub fn encode_wire(
    records: &[InputRecord],
    params: &BatchParams,
) -> Result<Bytes, wire::record::RecordError> {
    let mut builder = BatchBuilder::with_capacity(builder_capacity(records, params.compression));
    let values = owned_values(records, params.compression);
    append_all(&mut builder, records, values, params.compression);
    Ok(builder.build(params)?.to_bytes())
}

/// Checks that `batch` decodes, with `wire` and with `kafka-protocol`, to
/// exactly `expected`. Returns a description of the first difference.
pub fn check_decoders_agree(expected: &[InputRecord], batch: &Bytes) -> Result<(), String> {
    let batches = decode_batches(batch.clone(), &DecodeOptions::default())
        .map_err(|e| format!("wire cannot decode: {e}"))?;
    if batches.len() != 1 {
        return Err(format!("wire decoded {} batches, not 1", batches.len()));
    }
    let ours = &batches[0].records;
    let theirs = kp::RecordBatchDecoder::decode(&mut batch.clone())
        .map_err(|e| format!("kafka-protocol cannot decode: {e:#}"))?
        .records;
    if ours.len() != expected.len() || theirs.len() != expected.len() {
        return Err(format!(
            "record counts differ: expected {}, wire {}, kafka-protocol {}",
            expected.len(),
            ours.len(),
            theirs.len()
        ));
    }
    for (i, ((want, a), b)) in expected.iter().zip(ours).zip(&theirs).enumerate() {
        let want_headers: Vec<(&str, Option<&[u8]>)> = want
            .headers
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        let wire_owned = a.headers.to_vec();
        let wire_headers: Vec<(&str, Option<&[u8]>)> = wire_owned
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_deref()))
            .collect();
        let kp_headers: Vec<(&str, Option<&[u8]>)> = b
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        let same = a.offset == i as i64
            && b.offset == i as i64
            && a.timestamp == want.timestamp
            && b.timestamp == want.timestamp
            && a.key.as_deref() == Some(&want.key[..])
            && b.key.as_deref() == Some(&want.key[..])
            && a.value.as_deref() == Some(&want.value[..])
            && b.value.as_deref() == Some(&want.value[..])
            && wire_headers == want_headers
            && kp_headers == want_headers;
        if !same {
            return Err(format!("record {i} differs between the decoders"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    #[test]
    fn workload_is_deterministic_and_sized() {
        let a = workload();
        let b = workload();
        assert_eq!(a.len(), RECORD_COUNT);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.key, y.key);
            assert_eq!(x.value, y.value);
            assert_eq!(x.key.len(), KEY_LEN);
            assert_eq!(x.value.len(), VALUE_LEN);
            assert!(matches!(x.headers.len(), 1 | 2));
        }
        assert_eq!(a[0].headers[1].key.as_str(), "content-type");
    }

    #[test]
    fn both_encoders_agree_for_every_codec() {
        let input = workload();
        let kp_records = to_kafka_protocol(&input);
        for compression in Compression::ALL {
            let params = BatchParams {
                compression,
                compression_level: None,
                ..BatchParams::default()
            };
            let ours = encode_wire(&input, &params).unwrap();
            let mut buf = BytesMut::new();
            kp::RecordBatchEncoder::encode(
                &mut buf,
                &kp_records,
                &kp::RecordEncodeOptions {
                    version: 2,
                    compression: kp_compression(compression),
                },
            )
            .unwrap();
            let theirs = buf.freeze();
            if compression == Compression::None {
                assert_eq!(ours, theirs, "uncompressed batches are byte-identical");
            }
            check_decoders_agree(&input, &ours).unwrap();
            check_decoders_agree(&input, &theirs).unwrap();
        }
    }
}
