//! Feeds arbitrary bytes to the record batch decoder: it must return an
//! error or batches, never panic or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wire::record::decode_batches(
        bytes::Bytes::copy_from_slice(data),
        &wire::record::DecodeOptions::default(),
    );
});
