//! Feeds arbitrary bytes to every codec's decompressor with a 1 MiB limit:
//! each must return an error or at most 1 MiB of output, never panic. The
//! input is also round-tripped through each codec's compressor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::Compression;

/// The decompression limit used for every codec.
const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    for codec in Compression::ALL {
        let mut out = Vec::new();
        if codec.decompress(data, LIMIT, &mut out).is_ok() {
            assert!(out.len() <= LIMIT, "{codec} exceeded the limit");
        }

        let mut packed = Vec::new();
        codec
            .compress(data, &mut packed)
            .expect("compression cannot fail");
        let mut unpacked = Vec::new();
        codec
            .decompress(&packed, data.len(), &mut unpacked)
            .expect("round trip must decode");
        assert_eq!(unpacked, data, "{codec} round trip");
    }
});
