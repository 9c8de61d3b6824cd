//! kafka-gateway: a Confluent-compatible Kafka REST Proxy (v2 and v3 APIs)
//! in front of any Kafka cluster.
//!
//! The binary's flow is command line → [`config::Config`] → server.

pub mod config;
pub mod kafka;
