//! InitProducerId (key 22): obtains the producer id and epoch that make a
//! producer idempotent.
//!
//! # References
//! - KIP-98 (idempotent producer), KIP-360 (epoch bump, v3+)

use kafka_protocol::messages::InitProducerIdRequest;

use super::api;

api!(InitProducerIdRequest, "InitProducerId", 0..=4);

/// A request for a non-transactional (idempotent-only) producer id.
pub fn request(transaction_timeout_ms: i32) -> InitProducerIdRequest {
    InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(transaction_timeout_ms)
        .with_producer_id((-1).into())
        .with_producer_epoch(-1)
}
