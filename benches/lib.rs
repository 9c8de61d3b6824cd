//! Benchmarks of the gateway and its `wire` client; see `codec.rs` and `docs/performance.md`.
