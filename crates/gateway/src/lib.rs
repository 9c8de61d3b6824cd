//! kafka-gateway: a Confluent-compatible Kafka REST Proxy (v2 and v3 APIs)
//! in front of any Kafka cluster.
//!
//! The binary's flow is command line → [`config::Config`] → server.

pub mod app;
pub mod auth;
pub mod config;
pub mod consumers;
pub mod databases;
pub mod dev;
pub mod endpoints;
pub mod error;
pub mod format;
pub mod kafka;
pub mod negotiate;
pub mod request;
pub mod resource;
pub mod response;
pub mod router;
pub mod schema_registry;
pub mod server;
pub mod timestamp;
pub mod tls;
pub mod v2;
pub mod v3;
