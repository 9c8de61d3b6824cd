//! Partition reassignments: list the ones in progress, start or change them
//! (a partition gets a new replica list), and cancel them (a null list).
//! While a reassignment runs, a partition's replicas are the union of the
//! old and new lists; `adding` and `removing` tell them apart.
//!
//! # References
//! - KIP-455 (reassignment APIs)

use std::collections::BTreeMap;

use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse,
    ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse,
};

use super::{missing, Admin, Target};
use crate::cluster::TopicPartition;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::{alter_partition_reassignments, list_partition_reassignments};

/// A reassignment in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReassignment {
    /// The partition.
    pub partition: TopicPartition,
    /// Its current replica set (old and new replicas).
    pub replicas: Vec<i32>,
    /// Replicas being added.
    pub adding_replicas: Vec<i32>,
    /// Replicas being removed.
    pub removing_replicas: Vec<i32>,
}

/// Reads a ListPartitionReassignments response.
pub(crate) fn reassignments(
    response: ListPartitionReassignmentsResponse,
) -> Result<Vec<PartitionReassignment>> {
    if let Some(code) = ResponseError::try_from_code(response.error_code) {
        return Err(Error::resource(
            code,
            "ListPartitionReassignments",
            "the cluster",
            response.error_message.map(|m| m.to_string()),
        ));
    }
    let ids = |v: Vec<kafka_protocol::messages::BrokerId>| v.into_iter().map(|b| b.0).collect();
    let mut out: Vec<PartitionReassignment> = response
        .topics
        .into_iter()
        .flat_map(|t| {
            let topic = t.name.0.to_string();
            t.partitions
                .into_iter()
                .map(move |p| PartitionReassignment {
                    partition: TopicPartition::new(topic.clone(), p.partition_index),
                    replicas: ids(p.replicas),
                    adding_replicas: ids(p.adding_replicas),
                    removing_replicas: ids(p.removing_replicas),
                })
        })
        .collect();
    out.sort_by(|a, b| a.partition.cmp(&b.partition));
    Ok(out)
}

/// Reads an AlterPartitionReassignments response: one result per partition
/// asked for.
pub(crate) fn alter_results(
    asked: &[(TopicPartition, Option<Vec<i32>>)],
    response: AlterPartitionReassignmentsResponse,
    version: i16,
) -> Result<BTreeMap<TopicPartition, Result<()>>> {
    if let Some(code) = ResponseError::try_from_code(response.error_code) {
        return Err(Error::resource(
            code,
            "AlterPartitionReassignments",
            "the cluster",
            response.error_message.map(|m| m.to_string()),
        ));
    }
    let mut results = BTreeMap::new();
    for t in response.responses {
        let topic = t.name.0.to_string();
        for p in t.partitions {
            let result = match ResponseError::try_from_code(p.error_code) {
                None => Ok(()),
                Some(code) => Err(Error::topic(
                    code,
                    "AlterPartitionReassignments",
                    topic.clone(),
                    Some(p.partition_index),
                    p.error_message.map(|m| m.to_string()),
                )),
            };
            results.insert(
                TopicPartition::new(topic.clone(), p.partition_index),
                result,
            );
        }
    }
    results.retain(|tp, _| asked.iter().any(|(a, _)| a == tp));
    for (tp, _) in asked {
        results.entry(tp.clone()).or_insert_with(|| {
            Err(missing(
                "AlterPartitionReassignments",
                version,
                format!("partition {tp}"),
            ))
        });
    }
    Ok(results)
}

impl Admin {
    /// The reassignments in progress, of the partitions of `topics` (all
    /// topics when `None`), ordered by partition. An unknown topic is
    /// [`Error::UnknownTopic`].
    pub async fn list_partition_reassignments(
        &self,
        topics: Option<&[String]>,
    ) -> Result<Vec<PartitionReassignment>> {
        let Some(topics) = topics else {
            return self.list_reassignments(None).await;
        };
        let mut partitions = Vec::new();
        for name in topics {
            let topic = self.describe_topic(name).await?;
            partitions.extend(
                topic
                    .partitions
                    .iter()
                    .map(|p| TopicPartition::new(name.clone(), p.id)),
            );
        }
        if partitions.is_empty() {
            return Ok(Vec::new());
        }
        self.list_reassignments(Some(&partitions)).await
    }

    /// The reassignments in progress among `partitions`.
    pub async fn list_reassignments_of(
        &self,
        partitions: &[TopicPartition],
    ) -> Result<Vec<PartitionReassignment>> {
        if partitions.is_empty() {
            return Ok(Vec::new());
        }
        self.list_reassignments(Some(partitions)).await
    }

    async fn list_reassignments(
        &self,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<Vec<PartitionReassignment>> {
        let (response, _) = self
            .call::<ListPartitionReassignmentsRequest, _, _>(
                Target::Controller,
                |_| {
                    Ok(list_partition_reassignments::request(
                        partitions.map(|ps| ps.iter().map(|tp| (tp.topic.as_str(), tp.partition))),
                        self.timeout_ms(),
                    ))
                },
                |response, _| {
                    if response.error_code == ResponseError::NotController.code() {
                        return Err(Error::broker(
                            ResponseError::NotController,
                            "ListPartitionReassignments",
                        ));
                    }
                    Ok(())
                },
            )
            .await?;
        reassignments(response)
    }

    /// Moves each partition to its target replicas (preferred leader first),
    /// or cancels its reassignment when the target is `None`; one result per
    /// partition (NO_REASSIGNMENT_IN_PROGRESS when there is nothing to
    /// cancel).
    pub async fn alter_partition_reassignments(
        &self,
        reassignments: &[(TopicPartition, Option<Vec<i32>>)],
    ) -> Result<BTreeMap<TopicPartition, Result<()>>> {
        for (i, (tp, _)) in reassignments.iter().enumerate() {
            if reassignments[..i].iter().any(|(other, _)| other == tp) {
                return Err(Error::InvalidArgument(format!(
                    "partition {tp} is named twice"
                )));
            }
        }
        if reassignments.is_empty() {
            return Ok(BTreeMap::new());
        }
        let (response, version) = self
            .call::<AlterPartitionReassignmentsRequest, _, _>(
                Target::Controller,
                |_| {
                    Ok(alter_partition_reassignments::request(
                        reassignments
                            .iter()
                            .map(|(tp, r)| (tp.topic.as_str(), tp.partition, r.as_deref())),
                        self.timeout_ms(),
                    ))
                },
                |response, _| {
                    if response.error_code == ResponseError::NotController.code() {
                        return Err(Error::broker(
                            ResponseError::NotController,
                            "AlterPartitionReassignments",
                        ));
                    }
                    Ok(())
                },
            )
            .await?;
        self.client.invalidate_metadata();
        alter_results(reassignments, response, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::alter_partition_reassignments_response::{
        ReassignablePartitionResponse, ReassignableTopicResponse,
    };
    use kafka_protocol::messages::list_partition_reassignments_response::{
        OngoingPartitionReassignment, OngoingTopicReassignment,
    };
    use kafka_protocol::messages::{BrokerId, TopicName};
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn ongoing_reassignments_in_partition_order() {
        let response = ListPartitionReassignmentsResponse::default().with_topics(vec![
            OngoingTopicReassignment::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![
                    OngoingPartitionReassignment::default()
                        .with_partition_index(1)
                        .with_replicas(vec![BrokerId(1), BrokerId(2), BrokerId(3)])
                        .with_adding_replicas(vec![BrokerId(3)])
                        .with_removing_replicas(vec![BrokerId(1)]),
                    OngoingPartitionReassignment::default().with_partition_index(0),
                ]),
        ]);
        let got = reassignments(response).expect("reassignments");
        assert_eq!(got[0].partition, TopicPartition::new("t", 0));
        assert_eq!(
            got[1],
            PartitionReassignment {
                partition: TopicPartition::new("t", 1),
                replicas: vec![1, 2, 3],
                adding_replicas: vec![3],
                removing_replicas: vec![1],
            }
        );
        let e = reassignments(ListPartitionReassignmentsResponse::default().with_error_code(41))
            .unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::NotController));
    }

    #[test]
    fn alter_results_per_partition() {
        let asked = vec![
            (TopicPartition::new("t", 0), Some(vec![2, 3])),
            (TopicPartition::new("t", 1), None),
            (TopicPartition::new("t", 2), None),
        ];
        let response = AlterPartitionReassignmentsResponse::default().with_responses(vec![
            ReassignableTopicResponse::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![
                    ReassignablePartitionResponse::default().with_partition_index(0),
                    ReassignablePartitionResponse::default()
                        .with_partition_index(1)
                        .with_error_code(85)
                        .with_error_message(Some(StrBytes::from_static_str("nothing to cancel"))),
                ]),
        ]);
        let results = alter_results(&asked, response, 0).expect("results");
        assert!(results[&asked[0].0].is_ok());
        let e = results[&asked[1].0].as_ref().unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::NoReassignmentInProgress));
        assert_eq!(e.message(), Some("nothing to cancel"));
        assert!(matches!(results[&asked[2].0], Err(Error::Protocol(_))));
    }
}
