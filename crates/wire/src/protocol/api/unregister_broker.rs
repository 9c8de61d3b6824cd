//! UnregisterBroker (key 64): removes a broker's registration from a KRaft
//! cluster (after the broker has been shut down for good). ZooKeeper-based
//! clusters and brokers that do not advertise it cannot do this. Any broker
//! takes it and forwards it to the controller.
//!
//! Versions: 0 (flexible).
//!
//! # References
//! - KIP-631 (KRaft broker registration), KIP-500

use kafka_protocol::messages::{BrokerId, UnregisterBrokerRequest};

use super::api;

api!(UnregisterBrokerRequest, "UnregisterBroker", 0..=0);

/// A request unregistering broker `id`.
pub fn request(id: i32) -> UnregisterBrokerRequest {
    UnregisterBrokerRequest::default().with_broker_id(BrokerId(id))
}
