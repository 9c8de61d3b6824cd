//! Record batch v2 codec: `wire` against `kafka-protocol`, side by side.
//!
//! For every codec (none, gzip, snappy, lz4, zstd):
//!
//! - `encode/<codec>`: one batch of 1,000 records (16-byte keys, 1 KiB
//!   semi-compressible values, one or two headers each) from in-memory
//!   records to encoded bytes. `wire` appends each record from slices into a
//!   `BatchBuilder` and finishes it; `kafka-protocol` runs
//!   `RecordBatchEncoder::encode` over prebuilt `Record`s into a reused
//!   `BytesMut` that is cleared every iteration.
//! - `decode/<codec>`: the batch `wire` encoded, decoded by
//!   `wire::record::decode_batches` and by `RecordBatchDecoder::decode`. Both
//!   verify the CRC and produce owned records (keys and values are `Bytes`).
//!
//! Throughput is the size of the uncompressed batch, the same for every row.
//! Before measuring, the setup checks that both decoders read the same
//! records from the bytes of both encoders, and that the two uncompressed
//! encodings are byte-identical.
//!
//! `crc32c/<size>`: `crc32c::crc32c` over 1 KiB, 4 KiB, 64 KiB and 1 MiB.
//!
//! `floor/none`: what every encoder of the uncompressed batch must do at
//! least, without writing a single record field — `copy`: the values copied
//! from their own allocations into one buffer, then the CRC32C over it (the
//! least a copying encoder does); `in-place`: the CRC32C over the values
//! where they are, value by value (the least an encoder that references the
//! values does). `kafka-protocol`'s encode time over these gives the largest
//! speed-up any encoder of either kind could show on this machine.
//!
//! Run with `cargo bench -p kafka-gateway-benches --bench codec`, or
//! `scripts/bench.sh` for a table of ratios. See `docs/performance.md`.
//!
//! With `CODEC_BENCH_VALUE_LEN=<bytes>` the batch holds values of that length
//! instead (as many records as keep it near 1 MiB), e.g. to see values large
//! enough for `append_shared` to reference.
//!
//! With `CODEC_BENCH_REPEAT=<op>/<codec>/<library>:<n>` (for example
//! `encode/zstd/wire:100`) the binary instead sets up that one case, runs it
//! `n` times without criterion and exits; `scripts/bench.sh --instructions`
//! uses this to count instructions per iteration with `perf stat`.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use kafka_gateway_benches::{
    append_all, builder_capacity, check_decoders_agree, encode_wire, kp_compression, owned_values,
    to_kafka_protocol, uncompressed_batch_len, workload, workload_with, InputRecord, SplitMix64,
    RECORD_COUNT, VALUE_LEN,
};
use kafka_protocol::records::{
    Record as KpRecord, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, RecordSet,
};
use wire::record::{
    decode_batches, BatchBuilder, BatchParams, Compression, DecodeOptions, EncodedBatch,
    RecordBatch,
};

/// The records, in both libraries' forms, built once.
struct Workload {
    input: Vec<InputRecord>,
    kp_records: Vec<KpRecord>,
    /// Size of the batch without compression (the throughput basis).
    raw_len: usize,
}

impl Workload {
    fn new() -> Self {
        // CODEC_BENCH_VALUE_LEN=<bytes>: values of that length instead, as
        // many records as keep the batch near 1 MiB.
        let input = match std::env::var("CODEC_BENCH_VALUE_LEN") {
            Ok(len) => {
                let len: usize = len.parse().expect("CODEC_BENCH_VALUE_LEN: a byte count");
                workload_with((RECORD_COUNT * VALUE_LEN / len.max(1)).max(1), len)
            }
            Err(_) => workload(),
        };
        let kp_records = to_kafka_protocol(&input);
        let raw_len = uncompressed_batch_len(&input);
        Workload {
            input,
            kp_records,
            raw_len,
        }
    }
}

/// One codec's encode and decode cases, set up and checked.
struct Case<'a> {
    w: &'a Workload,
    params: BatchParams,
    kp_options: RecordEncodeOptions,
    /// Buffer capacity given to `BatchBuilder` (what it copies).
    capacity: usize,
    decode_options: DecodeOptions,
    /// The batch both decoders read (encoded by `wire`).
    encoded: Bytes,
}

impl<'a> Case<'a> {
    /// Encodes the workload with both libraries and checks that the results
    /// agree; panics if they do not.
    fn new(w: &'a Workload, compression: Compression) -> Self {
        let params = BatchParams {
            compression,
            compression_level: None,
            ..BatchParams::default()
        };
        let kp_options = RecordEncodeOptions {
            version: 2,
            compression: kp_compression(compression),
        };
        let encoded = encode_wire(&w.input, &params).expect("wire encodes");
        let mut kp_buf = BytesMut::with_capacity(w.raw_len * 2);
        RecordBatchEncoder::encode(&mut kp_buf, &w.kp_records, &kp_options)
            .expect("kafka-protocol encodes");
        let kp_encoded = kp_buf.split().freeze();
        if compression == Compression::None {
            assert_eq!(
                encoded, kp_encoded,
                "uncompressed batches must be byte-identical"
            );
        }
        for (who, bytes) in [("wire", &encoded), ("kafka-protocol", &kp_encoded)] {
            if let Err(e) = check_decoders_agree(&w.input, bytes) {
                panic!("{compression}: batch encoded by {who}: {e}");
            }
        }
        eprintln!(
            "batch-size codec={compression} uncompressed={} wire={} kafka-protocol={}",
            w.raw_len,
            encoded.len(),
            kp_encoded.len()
        );
        Case {
            w,
            params,
            kp_options,
            capacity: builder_capacity(&w.input, compression),
            decode_options: DecodeOptions::default(),
            encoded,
        }
    }

    #[inline]
    fn encode_wire(&self, values: Vec<Bytes>) -> EncodedBatch {
        let mut builder = BatchBuilder::with_capacity(self.capacity);
        append_all(
            &mut builder,
            black_box(&self.w.input),
            values,
            self.params.compression,
        );
        builder.build(&self.params).expect("wire encodes")
    }

    /// The values `encode_wire` takes (made before the timed part).
    fn values(&self) -> Vec<Bytes> {
        owned_values(&self.w.input, self.params.compression)
    }

    /// Encodes into `buf`, which the caller reuses.
    #[inline]
    fn encode_kp(&self, buf: &mut BytesMut) -> usize {
        buf.clear();
        RecordBatchEncoder::encode(buf, black_box(&self.w.kp_records), &self.kp_options)
            .expect("kafka-protocol encodes");
        buf.len()
    }

    #[inline]
    fn decode_wire(&self) -> Vec<RecordBatch> {
        decode_batches(black_box(self.encoded.clone()), &self.decode_options).expect("wire decodes")
    }

    #[inline]
    fn decode_kp(&self) -> RecordSet {
        RecordBatchDecoder::decode(&mut black_box(self.encoded.clone()))
            .expect("kafka-protocol decodes")
    }
}

fn codec(c: &mut Criterion) {
    let w = Workload::new();
    for compression in Compression::ALL {
        let case = Case::new(&w, compression);

        let mut group = c.benchmark_group(format!("encode/{compression}"));
        group.throughput(Throughput::Bytes(w.raw_len as u64));
        group.bench_function("wire", |b| {
            b.iter_batched(
                || case.values(),
                |values| case.encode_wire(values),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("kafka-protocol", |b| {
            let mut buf = BytesMut::with_capacity(w.raw_len * 2);
            b.iter(|| case.encode_kp(&mut buf))
        });
        group.finish();

        let mut group = c.benchmark_group(format!("decode/{compression}"));
        group.throughput(Throughput::Bytes(w.raw_len as u64));
        group.bench_function("wire", |b| b.iter(|| case.decode_wire()));
        group.bench_function("kafka-protocol", |b| b.iter(|| case.decode_kp()));
        group.finish();
    }
}

/// The values copied into one buffer of the batch's size, then hashed.
#[inline]
fn floor_copy(w: &Workload, buf: &mut Vec<u8>) -> u32 {
    buf.clear();
    for r in black_box(&w.input) {
        buf.extend_from_slice(&r.value);
    }
    crc32c::crc32c(buf)
}

/// The values hashed where they are, one after the other.
#[inline]
fn floor_in_place(w: &Workload) -> u32 {
    black_box(&w.input)
        .iter()
        .fold(0, |crc, r| crc32c::crc32c_append(crc, &r.value))
}

fn floor(c: &mut Criterion) {
    let w = Workload::new();
    let mut group = c.benchmark_group("floor/none");
    group.throughput(Throughput::Bytes(w.raw_len as u64));
    let mut buf = Vec::with_capacity(w.raw_len);
    group.bench_function("copy", |b| b.iter(|| floor_copy(&w, &mut buf)));
    group.bench_function("in-place", |b| b.iter(|| floor_in_place(&w)));
    group.finish();
}

fn crc(c: &mut Criterion) {
    let mut rng = SplitMix64::new(1);
    let mut group = c.benchmark_group("crc32c");
    for (name, len) in [
        ("1KiB", 1 << 10),
        ("4KiB", 4 << 10),
        ("64KiB", 64 << 10),
        ("1MiB", 1 << 20),
    ] {
        let mut data = vec![0u8; len];
        rng.fill(&mut data);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &data, |b, data| {
            b.iter(|| crc32c::crc32c(black_box(data)))
        });
    }
    group.finish();
}

/// Runs one case `n` times outside criterion (see the module docs).
fn repeat(spec: &str) {
    let usage = "CODEC_BENCH_REPEAT=<encode|decode>/<codec>/<wire|kafka-protocol>:<n> \
                 or floor/none/<copy|in-place>:<n>";
    let (case_id, n) = spec.rsplit_once(':').expect(usage);
    let n: u64 = n.parse().expect(usage);
    let mut parts = case_id.split('/');
    let (Some(op), Some(codec), Some(lib), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        panic!("{usage}");
    };
    let compression: Compression = codec.parse().expect(usage);
    let w = Workload::new();
    let case = Case::new(&w, compression);
    let mut buf = BytesMut::with_capacity(w.raw_len * 2);
    let mut floor_buf = Vec::with_capacity(w.raw_len);
    for _ in 0..n {
        match (op, lib) {
            ("floor", "copy") => {
                let _ = black_box(floor_copy(&w, &mut floor_buf));
            }
            ("floor", "in-place") => {
                let _ = black_box(floor_in_place(&w));
            }
            ("encode", "wire") => {
                let _ = black_box(case.encode_wire(case.values()));
            }
            ("encode", "kafka-protocol") => {
                let _ = black_box(case.encode_kp(&mut buf));
            }
            ("decode", "wire") => {
                let _ = black_box(case.decode_wire());
            }
            ("decode", "kafka-protocol") => {
                let _ = black_box(case.decode_kp());
            }
            _ => panic!("{usage}"),
        }
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
}

fn main() {
    if let Ok(spec) = std::env::var("CODEC_BENCH_REPEAT") {
        repeat(&spec);
        return;
    }
    let mut c = config().configure_from_args();
    codec(&mut c);
    floor(&mut c);
    crc(&mut c);
    c.final_summary();
}
