//! The cluster as the last Metadata response described it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use kafka_protocol::messages::MetadataResponse;

use crate::error::ResponseError;

/// One broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerMetadata {
    /// Broker id (`node.id`).
    pub id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: u16,
    /// Rack, if configured.
    pub rack: Option<String>,
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    /// Partition index.
    pub id: i32,
    /// Leader broker id, -1 when there is none.
    pub leader: i32,
    /// Leader epoch, -1 if unknown.
    pub leader_epoch: i32,
    /// Replica broker ids.
    pub replicas: Vec<i32>,
    /// In-sync replica broker ids.
    pub isr: Vec<i32>,
    /// Offline replica broker ids.
    pub offline_replicas: Vec<i32>,
    /// Error reported for the partition (e.g. LEADER_NOT_AVAILABLE).
    pub error: Option<ResponseError>,
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    /// Topic name.
    pub name: String,
    /// Topic id (all zero before Metadata v10).
    pub id: [u8; 16],
    /// Whether it is an internal topic (`__consumer_offsets`, ...).
    pub is_internal: bool,
    /// Partitions ordered by index.
    pub partitions: Vec<PartitionMetadata>,
}

impl TopicMetadata {
    /// A partition by index.
    pub fn partition(&self, id: i32) -> Option<&PartitionMetadata> {
        self.partitions
            .get(usize::try_from(id).ok()?)
            .filter(|p| p.id == id)
            .or_else(|| self.partitions.iter().find(|p| p.id == id))
    }
}

/// A snapshot of cluster metadata.
#[derive(Debug, Clone)]
pub struct ClusterMetadata {
    /// The cluster id (Metadata v2+).
    pub cluster_id: Option<String>,
    /// The controller's broker id, -1 if unknown.
    pub controller_id: i32,
    /// Brokers by id.
    pub brokers: BTreeMap<i32, BrokerMetadata>,
    /// Topics by name.
    pub topics: HashMap<String, Arc<TopicMetadata>>,
    /// Topics the broker said do not exist, with the error it gave.
    pub topic_errors: HashMap<String, ResponseError>,
    /// When this snapshot was taken.
    pub fetched_at: Instant,
}

impl Default for ClusterMetadata {
    fn default() -> Self {
        ClusterMetadata {
            cluster_id: None,
            controller_id: -1,
            brokers: BTreeMap::new(),
            topics: HashMap::new(),
            topic_errors: HashMap::new(),
            fetched_at: Instant::now(),
        }
    }
}

impl ClusterMetadata {
    /// Builds a snapshot from a response. When `previous` is given (a
    /// response for some topics only), topics it does not mention are kept.
    pub fn from_response(response: MetadataResponse, previous: Option<&ClusterMetadata>) -> Self {
        let brokers = response
            .brokers
            .into_iter()
            .map(|b| {
                let id = b.node_id.0;
                (
                    id,
                    BrokerMetadata {
                        id,
                        host: b.host.to_string(),
                        port: u16::try_from(b.port).unwrap_or(0),
                        rack: b.rack.map(|r| r.to_string()),
                    },
                )
            })
            .collect();
        let mut topics = previous.map(|p| p.topics.clone()).unwrap_or_default();
        let mut topic_errors = previous.map(|p| p.topic_errors.clone()).unwrap_or_default();
        for t in response.topics {
            let Some(name) = t.name.map(|n| n.0.to_string()) else {
                continue;
            };
            match ResponseError::try_from_code(t.error_code) {
                Some(e) if t.partitions.is_empty() => {
                    topics.remove(&name);
                    topic_errors.insert(name, e);
                    continue;
                }
                _ => {
                    topic_errors.remove(&name);
                }
            }
            let mut partitions: Vec<PartitionMetadata> = t
                .partitions
                .into_iter()
                .map(|p| PartitionMetadata {
                    id: p.partition_index,
                    leader: p.leader_id.0,
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.into_iter().map(|b| b.0).collect(),
                    isr: p.isr_nodes.into_iter().map(|b| b.0).collect(),
                    offline_replicas: p.offline_replicas.into_iter().map(|b| b.0).collect(),
                    error: ResponseError::try_from_code(p.error_code),
                })
                .collect();
            partitions.sort_by_key(|p| p.id);
            topics.insert(
                name.clone(),
                Arc::new(TopicMetadata {
                    name,
                    id: *t.topic_id.as_bytes(),
                    is_internal: t.is_internal,
                    partitions,
                }),
            );
        }
        ClusterMetadata {
            cluster_id: response.cluster_id.map(|c| c.to_string()),
            controller_id: response.controller_id.0,
            brokers,
            topics,
            topic_errors,
            fetched_at: Instant::now(),
        }
    }
}
