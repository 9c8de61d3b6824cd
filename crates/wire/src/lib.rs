//! `wire`: a Kafka protocol client written for the gateway.
//!
//! Layers, bottom up (see `docs/architecture.md`):
//! - [`protocol`]: sans-I/O framing, request/response headers and one module per Kafka API.
//! - [`record`]: the record batch v2 codec with CRC32C and compression.
//! - [`conn`]: one broker connection — TCP or TLS, SASL, a reader task, pipelined requests.
//! - [`cluster`]: bootstrap, metadata cache, leader routing, connection reuse and retries.
//! - [`producer`]: partitioner, per-partition accumulation, idempotence, delivery results.
//! - [`consumer`]: fetch, list offsets, a partition reader, and a consumer with
//!   consumer-group membership, assignors, commits and group administration.
//! - [`admin`]: topics, partitions, configs, the cluster, brokers, ACLs,
//!   records, reassignments and log directories.
//!
//! With the `testkit` feature, `testkit` is an in-process Kafka-compatible
//! cluster for tests and development.

pub mod admin;
pub mod cluster;
pub mod config;
pub mod conn;
pub mod consumer;
pub mod error;
pub mod producer;
pub mod protocol;
pub mod record;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use admin::{Admin, GroupAdmin};
pub use cluster::{Client, TopicPartition};
pub use config::ClientConfig;
pub use consumer::Consumer;
pub use error::{Error, Result};
pub use record::{Compression, Header, Record, RecordBatch};
