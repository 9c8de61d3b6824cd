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
//! `crc32c/<size>`: `crc32c::crc32c` over 1 KiB, 64 KiB and 1 MiB.
//!
//! Run with `cargo bench -p kafka-gateway-benches --bench codec`, or
//! `scripts/bench.sh` for a table of ratios. See `docs/performance.md`.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kafka_gateway_benches::{
    append_all, check_decoders_agree, encode_wire, kp_compression, to_kafka_protocol,
    uncompressed_batch_len, workload, SplitMix64,
};
use kafka_protocol::records::{RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions};
use wire::record::{decode_batches, BatchBuilder, BatchParams, Compression, DecodeOptions};

fn codec(c: &mut Criterion) {
    let input = workload();
    let kp_records = to_kafka_protocol(&input);
    let raw_len = uncompressed_batch_len(&input);
    let capacity = raw_len - wire::record::BATCH_OVERHEAD;
    let decode_options = DecodeOptions::default();

    for compression in Compression::ALL {
        let params = BatchParams {
            compression,
            ..BatchParams::default()
        };
        let kp_options = RecordEncodeOptions {
            version: 2,
            compression: kp_compression(compression),
        };

        // Setup: encode once with each, and check that everything agrees.
        let wire_bytes = encode_wire(&input, capacity, &params).expect("wire encodes");
        let mut kp_buf = BytesMut::with_capacity(raw_len * 2);
        RecordBatchEncoder::encode(&mut kp_buf, &kp_records, &kp_options)
            .expect("kafka-protocol encodes");
        let kp_bytes = kp_buf.split().freeze();
        if compression == Compression::None {
            assert_eq!(
                wire_bytes, kp_bytes,
                "uncompressed batches must be byte-identical"
            );
        }
        for (who, bytes) in [("wire", &wire_bytes), ("kafka-protocol", &kp_bytes)] {
            if let Err(e) = check_decoders_agree(&input, bytes) {
                panic!("{compression}: batch encoded by {who}: {e}");
            }
        }
        eprintln!(
            "batch-size codec={compression} uncompressed={raw_len} wire={} kafka-protocol={}",
            wire_bytes.len(),
            kp_bytes.len()
        );

        let mut group = c.benchmark_group(format!("encode/{compression}"));
        group.throughput(Throughput::Bytes(raw_len as u64));
        group.bench_function("wire", |b| {
            b.iter(|| {
                let mut builder = BatchBuilder::with_capacity(capacity);
                append_all(&mut builder, black_box(&input));
                builder.finish(&params).expect("wire encodes")
            })
        });
        group.bench_function("kafka-protocol", |b| {
            let mut buf = BytesMut::with_capacity(raw_len * 2);
            b.iter(|| {
                buf.clear();
                RecordBatchEncoder::encode(&mut buf, black_box(&kp_records), &kp_options)
                    .expect("kafka-protocol encodes");
                black_box(buf.len())
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("decode/{compression}"));
        group.throughput(Throughput::Bytes(raw_len as u64));
        group.bench_function("wire", |b| {
            b.iter(|| {
                decode_batches(black_box(wire_bytes.clone()), &decode_options)
                    .expect("wire decodes")
            })
        });
        group.bench_function("kafka-protocol", |b| {
            b.iter(|| {
                RecordBatchDecoder::decode(&mut black_box(wire_bytes.clone()))
                    .expect("kafka-protocol decodes")
            })
        });
        group.finish();
    }
}

fn crc(c: &mut Criterion) {
    let mut rng = SplitMix64::new(1);
    let mut group = c.benchmark_group("crc32c");
    for (name, len) in [("1KiB", 1 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
        let mut data = vec![0u8; len];
        rng.fill(&mut data);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &data, |b, data| {
            b.iter(|| crc32c::crc32c(black_box(data)))
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = codec, crc
}
criterion_main!(benches);
