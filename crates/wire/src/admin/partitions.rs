//! Partitions: add partitions to a topic (CreatePartitions) and elect
//! partition leaders (ElectLeaders). A partition's leader, replicas,
//! in-sync and offline replicas are in the topic metadata
//! ([`Admin::describe_topic`]); its offsets in [`super::records`].
//!
//! # References
//! - KIP-195 (CreatePartitions), KIP-183 (preferred leader election),
//!   KIP-460 (unclean leader election)

use std::collections::BTreeMap;

use kafka_protocol::messages::{
    CreatePartitionsRequest, ElectLeadersRequest, ElectLeadersResponse,
};

use super::topics::all_not_controller;
use super::{kafka_enum, missing, Admin, Target};
use crate::cluster::TopicPartition;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::{create_partitions, elect_leaders};

kafka_enum! {
    /// Which replica a leader election picks.
    pub enum ElectionType: i8, "election type" {
        /// The preferred replica (the first of the replica list), if in sync.
        Preferred = 0 => "PREFERRED",
        /// Any live replica, in sync or not, when no in-sync one is left
        /// (records may be lost).
        Unclean = 1 => "UNCLEAN",
    }
    /// Not an election type this client knows (never sent).
    unknown Unknown = -1 => "UNKNOWN";
}

/// Reads an ElectLeaders response: one result per partition reported, and
/// per partition asked for (`None`: all) that is missing, an error.
pub(crate) fn election_results(
    asked: Option<&[TopicPartition]>,
    response: ElectLeadersResponse,
    version: i16,
) -> Result<BTreeMap<TopicPartition, Result<()>>> {
    if let Some(code) = ResponseError::try_from_code(response.error_code) {
        return Err(Error::resource(code, "ElectLeaders", "the cluster", None));
    }
    let mut results = BTreeMap::new();
    for topic in response.replica_election_results {
        let name = topic.topic.0.to_string();
        for p in topic.partition_result {
            let tp = TopicPartition::new(name.clone(), p.partition_id);
            let result = match ResponseError::try_from_code(p.error_code) {
                None => Ok(()),
                Some(code) => Err(Error::topic(
                    code,
                    "ElectLeaders",
                    name.clone(),
                    Some(p.partition_id),
                    p.error_message.map(|m| m.to_string()),
                )),
            };
            results.insert(tp, result);
        }
    }
    for tp in asked.unwrap_or_default() {
        results
            .entry(tp.clone())
            .or_insert_with(|| Err(missing("ElectLeaders", version, format!("partition {tp}"))));
    }
    Ok(results)
}

impl Admin {
    /// Raises `topic`'s partition count to `total_count`, placing the new
    /// partitions' replicas on `assignments` (one broker list per new
    /// partition, preferred leader first) or where the controller chooses.
    /// With `validate_only` the change is only checked.
    pub async fn create_partitions(
        &self,
        topic: &str,
        total_count: i32,
        assignments: Option<&[Vec<i32>]>,
        validate_only: bool,
    ) -> Result<()> {
        if total_count <= 0 {
            return Err(Error::InvalidArgument(format!(
                "partition count {total_count} for topic {topic}"
            )));
        }
        let (response, version) = self
            .call::<CreatePartitionsRequest, _, _>(
                Target::Controller,
                |_| {
                    Ok(create_partitions::request(
                        vec![create_partitions::topic(topic, total_count, assignments)],
                        self.timeout_ms(),
                        validate_only,
                    ))
                },
                |response, _| {
                    all_not_controller(
                        "CreatePartitions",
                        response.results.iter().map(|r| r.error_code),
                    )
                },
            )
            .await?;
        let result = response
            .results
            .into_iter()
            .find(|r| r.name.as_str() == topic)
            .ok_or_else(|| missing("CreatePartitions", version, format!("topic {topic}")))?;
        self.client.invalidate_metadata();
        match ResponseError::try_from_code(result.error_code) {
            None => Ok(()),
            Some(code) => Err(Error::topic(
                code,
                "CreatePartitions",
                topic,
                None,
                result.error_message.map(|m| m.to_string()),
            )),
        }
    }

    /// Elects leaders of `partitions` (or of every partition that needs one
    /// when `None`); one result per partition. ELECTION_NOT_NEEDED (the
    /// leader already is the replica the election would pick) is reported
    /// as that partition's error. Unclean elections need ElectLeaders v1
    /// ([`Error::Unsupported`] from a broker with v0 only).
    pub async fn elect_leaders(
        &self,
        election: ElectionType,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<BTreeMap<TopicPartition, Result<()>>> {
        if election == ElectionType::Unknown {
            return Err(Error::InvalidArgument("unknown election type".into()));
        }
        if partitions.is_some_and(|p| p.is_empty()) {
            return Ok(BTreeMap::new());
        }
        let (response, version) = self
            .call::<ElectLeadersRequest, _, _>(
                Target::Controller,
                |version| {
                    if version < elect_leaders::ELECTION_TYPE_VERSION
                        && election != ElectionType::Preferred
                    {
                        return Err(Error::Unsupported(format!(
                            "{election} leader elections need ElectLeaders v1; the broker speaks v0"
                        )));
                    }
                    Ok(elect_leaders::request(
                        election.code(),
                        partitions.map(|ps| ps.iter().map(|tp| (tp.topic.as_str(), tp.partition))),
                        self.timeout_ms(),
                    ))
                },
                |response, _| {
                    if response.error_code == ResponseError::NotController.code() {
                        return Err(Error::broker(ResponseError::NotController, "ElectLeaders"));
                    }
                    Ok(())
                },
            )
            .await?;
        self.client.invalidate_metadata();
        election_results(partitions, response, version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::elect_leaders_response::{
        PartitionResult, ReplicaElectionResult,
    };
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn election_types() {
        assert_eq!(ElectionType::Preferred.code(), 0);
        assert_eq!("unclean".parse(), Ok(ElectionType::Unclean));
        assert_eq!(ElectionType::Unclean.to_string(), "UNCLEAN");
    }

    #[test]
    fn results_per_partition() {
        let response = ElectLeadersResponse::default().with_replica_election_results(vec![
            ReplicaElectionResult::default()
                .with_topic(TopicName(StrBytes::from_static_str("t")))
                .with_partition_result(vec![
                    PartitionResult::default().with_partition_id(0),
                    PartitionResult::default()
                        .with_partition_id(1)
                        .with_error_code(84)
                        .with_error_message(Some(StrBytes::from_static_str("not needed"))),
                ]),
        ]);
        let asked = [
            TopicPartition::new("t", 0),
            TopicPartition::new("t", 1),
            TopicPartition::new("t", 2),
        ];
        let results = election_results(Some(&asked), response, 2).expect("results");
        assert!(results[&asked[0]].is_ok());
        let e = results[&asked[1]].as_ref().unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::ElectionNotNeeded));
        assert!(matches!(
            e,
            Error::Broker {
                partition: Some(1),
                ..
            }
        ));
        assert!(matches!(results[&asked[2]], Err(Error::Protocol(_))));

        let e = election_results(None, ElectLeadersResponse::default().with_error_code(31), 2)
            .unwrap_err();
        assert_eq!(e.code(), Some(ResponseError::ClusterAuthorizationFailed));
    }
}
