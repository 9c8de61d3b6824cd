//! The cluster: its id, controller and brokers (DescribeCluster, or Metadata
//! for brokers without it), and topic metadata as the REST API shows it —
//! every topic including internal ones, with topic ids, leaders, replicas,
//! in-sync and offline replicas.
//!
//! # References
//! - KIP-700 (DescribeCluster), KIP-4 (controller and internal topics in
//!   Metadata), KIP-516 (topic ids)

use std::sync::Arc;

use kafka_protocol::messages::DescribeClusterRequest;

use super::{accept, Admin, Target};
use crate::cluster::{BrokerMetadata, ClusterMetadata, TopicMetadata};
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::{describe_cluster, metadata as metadata_api};

/// The cluster's id, controller and brokers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    /// The cluster id (`None` only from a Metadata v1 fallback).
    pub cluster_id: Option<String>,
    /// The controller's broker id, if known. KRaft clusters report a random
    /// broker here, since clients cannot reach the controller directly.
    pub controller_id: Option<i32>,
    /// The brokers, by id.
    pub brokers: Vec<BrokerMetadata>,
}

impl ClusterDescription {
    /// The same facts, read from cluster metadata.
    pub fn from_metadata(metadata: &ClusterMetadata) -> ClusterDescription {
        ClusterDescription {
            cluster_id: metadata.cluster_id.clone(),
            controller_id: (metadata.controller_id >= 0).then_some(metadata.controller_id),
            brokers: metadata.brokers.values().cloned().collect(),
        }
    }

    /// A broker by id.
    pub fn broker(&self, id: i32) -> Option<&BrokerMetadata> {
        self.brokers.iter().find(|b| b.id == id)
    }
}

/// Reads a DescribeCluster response.
pub(crate) fn cluster_description(
    response: kafka_protocol::messages::DescribeClusterResponse,
) -> Result<ClusterDescription> {
    if let Some(code) = ResponseError::try_from_code(response.error_code) {
        return Err(Error::resource(
            code,
            "DescribeCluster",
            "the cluster",
            response.error_message.map(|m| m.to_string()),
        ));
    }
    let mut brokers: Vec<BrokerMetadata> = response
        .brokers
        .into_iter()
        .map(|b| BrokerMetadata {
            id: b.broker_id.0,
            host: b.host.to_string(),
            port: u16::try_from(b.port).unwrap_or(0),
            rack: b.rack.map(|r| r.to_string()),
        })
        .collect();
    brokers.sort_by_key(|b| b.id);
    Ok(ClusterDescription {
        cluster_id: Some(response.cluster_id.to_string()),
        controller_id: (response.controller_id.0 >= 0).then_some(response.controller_id.0),
        brokers,
    })
}

impl Admin {
    /// The cluster id, controller and brokers: from DescribeCluster, or from
    /// a Metadata request when the broker does not speak it.
    pub async fn describe_cluster(&self) -> Result<ClusterDescription> {
        let supported = self
            .retry("DescribeCluster", || async {
                let conn = self.connection(Target::Any).await?;
                Ok(conn
                    .versions()
                    .negotiate::<DescribeClusterRequest>()
                    .is_some())
            })
            .await?;
        if !supported {
            let metadata = self.client.refresh_metadata().await?;
            return Ok(ClusterDescription::from_metadata(&metadata));
        }
        let (response, _) = self
            .call::<DescribeClusterRequest, _, _>(
                Target::Any,
                |_| Ok(describe_cluster::request()),
                accept,
            )
            .await?;
        cluster_description(response)
    }

    /// Fresh metadata of the whole cluster: brokers, controller, cluster id
    /// and every topic, internal ones included. Also refreshes the client's
    /// cache.
    pub async fn metadata(&self) -> Result<Arc<ClusterMetadata>> {
        self.client.refresh_metadata().await
    }

    /// Fresh metadata of one topic ([`Error::UnknownTopic`] if it does not
    /// exist; never creates it).
    pub async fn describe_topic(&self, name: &str) -> Result<Arc<TopicMetadata>> {
        let request = metadata_api::request(Some(&[name.to_owned()]), false);
        let response = self
            .retry("Metadata", || async {
                let conn = self.client.any_broker().await?;
                conn.call(&request).await
            })
            .await?;
        let metadata = ClusterMetadata::from_response(response, None);
        if let Some(t) = metadata.topics.get(name) {
            return Ok(t.clone());
        }
        match metadata.topic_errors.get(name) {
            Some(ResponseError::UnknownTopicOrPartition) | None => {
                Err(Error::UnknownTopic(name.to_owned()))
            }
            Some(code) => Err(Error::topic(*code, "Metadata", name, None, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
    use kafka_protocol::messages::{BrokerId, DescribeClusterResponse};
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn reads_brokers_sorted_with_racks() {
        let response = DescribeClusterResponse::default()
            .with_cluster_id(StrBytes::from_static_str("c1"))
            .with_controller_id(BrokerId(2))
            .with_brokers(vec![
                DescribeClusterBroker::default()
                    .with_broker_id(BrokerId(2))
                    .with_host(StrBytes::from_static_str("b2"))
                    .with_port(9093)
                    .with_rack(Some(StrBytes::from_static_str("r2"))),
                DescribeClusterBroker::default()
                    .with_broker_id(BrokerId(1))
                    .with_host(StrBytes::from_static_str("b1"))
                    .with_port(9092),
            ]);
        let d = cluster_description(response).expect("description");
        assert_eq!(d.cluster_id.as_deref(), Some("c1"));
        assert_eq!(d.controller_id, Some(2));
        assert_eq!(d.brokers.iter().map(|b| b.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(d.broker(2).and_then(|b| b.rack.as_deref()), Some("r2"));
        assert_eq!(
            d.broker(1).map(|b| (b.host.as_str(), b.port)),
            Some(("b1", 9092))
        );
    }

    #[test]
    fn cluster_errors_and_unknown_controller() {
        let e = cluster_description(
            DescribeClusterResponse::default()
                .with_error_code(31)
                .with_error_message(Some(StrBytes::from_static_str("denied"))),
        )
        .unwrap_err();
        assert!(matches!(&e, Error::Resource { resource, .. } if resource == "the cluster"));
        assert_eq!(e.code(), Some(ResponseError::ClusterAuthorizationFailed));
        let d = cluster_description(
            DescribeClusterResponse::default().with_controller_id(BrokerId(-1)),
        )
        .expect("description");
        assert_eq!(d.controller_id, None);
    }
}
