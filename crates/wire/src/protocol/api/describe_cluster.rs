//! DescribeCluster (key 60): the cluster id, the controller and the brokers,
//! without topic metadata. Brokers before Kafka 2.8 lack it; the admin layer
//! then reads the same facts from a Metadata response.
//!
//! Versions: 0..=2. v1 adds the endpoint type (brokers, the default, or
//! controllers); v2 can list fenced brokers (not asked for here).
//!
//! # References
//! - KIP-700 (DescribeCluster), KIP-919 (endpoint type, v1),
//!   KIP-1073 (fenced brokers, v2)

use kafka_protocol::messages::DescribeClusterRequest;

use super::api;

api!(DescribeClusterRequest, "DescribeCluster", 0..=2);

/// A request for the brokers' endpoints, without authorized operations.
pub fn request() -> DescribeClusterRequest {
    DescribeClusterRequest::default()
        .with_include_cluster_authorized_operations(false)
        .with_include_fenced_brokers(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::Encodable;

    #[test]
    fn encodes_at_every_version() {
        for v in 0..=2 {
            let mut buf = bytes::BytesMut::new();
            request().encode(&mut buf, v).expect("encodes");
        }
    }
}
