//! ElectLeaders (key 43): preferred (0) or unclean (1, v1+) leader
//! election, for the partitions asked for or all of them (null).
//!
//! Preferred: the first replica becomes leader if it is up and in sync
//! (`PREFERRED_LEADER_NOT_AVAILABLE` otherwise; `ELECTION_NOT_NEEDED` when it
//! already leads). Unclean: a partition without a leader gets the first
//! live replica (`ELECTION_NOT_NEEDED` when it has a leader,
//! `ELIGIBLE_LEADERS_NOT_AVAILABLE` when no replica is up). For a null list
//! only the partitions whose leader changed are reported, as Kafka does.
//! Unknown partitions: `UNKNOWN_TOPIC_OR_PARTITION`; another election type:
//! `INVALID_REQUEST`.
//!
//! # References
//! - KIP-183 (preferred election), KIP-460 (election type, v1)

use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse, TopicName};
use kafka_protocol::protocol::VersionRange;

use super::{topic_name, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::Partition;

const PREFERRED: i8 = 0;
const UNCLEAN: i8 = 1;

impl Handler for ElectLeadersRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 2 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<ElectLeadersResponse> {
        let election = if ctx.version >= 1 {
            self.election_type
        } else {
            PREFERRED
        };
        if election != PREFERRED && election != UNCLEAN {
            return self.fail(ctx, ResponseError::InvalidRequest.code());
        }
        let alive = ctx.state.alive_brokers();
        let all = self.topic_partitions.is_none();
        let asked: Vec<(TopicName, Vec<i32>)> = match self.topic_partitions {
            Some(list) => list.into_iter().map(|t| (t.topic, t.partitions)).collect(),
            None => ctx
                .state
                .topics
                .values()
                .map(|t| {
                    (
                        topic_name(&t.name),
                        (0..t.partitions.len() as i32).collect(),
                    )
                })
                .collect(),
        };
        let mut results = Vec::new();
        for (topic, partitions) in asked {
            let mut outcomes = Vec::new();
            for index in partitions {
                let code = match ctx.state.partition_mut(topic.0.as_str(), index) {
                    None => ResponseError::UnknownTopicOrPartition.code(),
                    Some(p) => elect(p, election, &alive),
                };
                if all && code != 0 {
                    continue;
                }
                outcomes.push(
                    PartitionResult::default()
                        .with_partition_id(index)
                        .with_error_code(code)
                        .with_error_message(None),
                );
            }
            if !outcomes.is_empty() {
                results.push(
                    ReplicaElectionResult::default()
                        .with_topic(topic)
                        .with_partition_result(outcomes),
                );
            }
        }
        Reply::Now(ElectLeadersResponse::default().with_replica_election_results(results))
    }

    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<ElectLeadersResponse> {
        if ctx.version >= 1 {
            return Reply::Now(ElectLeadersResponse::default().with_error_code(code));
        }
        let results = self
            .topic_partitions
            .iter()
            .flatten()
            .map(|t| {
                ReplicaElectionResult::default()
                    .with_topic(t.topic.clone())
                    .with_partition_result(
                        t.partitions
                            .iter()
                            .map(|p| {
                                PartitionResult::default()
                                    .with_partition_id(*p)
                                    .with_error_code(code)
                                    .with_error_message(None)
                            })
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(ElectLeadersResponse::default().with_replica_election_results(results))
    }
}

/// Runs one election; the error code (0 when the leader changed).
fn elect(p: &mut Partition, election: i8, alive: &[i32]) -> i16 {
    if election == PREFERRED {
        let Some(&preferred) = p.replicas.first() else {
            return ResponseError::PreferredLeaderNotAvailable.code();
        };
        if p.leader == preferred {
            return ResponseError::ElectionNotNeeded.code();
        }
        if !alive.contains(&preferred) || !p.isr.contains(&preferred) {
            return ResponseError::PreferredLeaderNotAvailable.code();
        }
        p.set_leader(preferred);
        return 0;
    }
    if p.leader >= 0 {
        return ResponseError::ElectionNotNeeded.code();
    }
    match p.replicas.iter().copied().find(|b| alive.contains(b)) {
        Some(leader) => {
            p.isr = vec![leader];
            p.set_leader(leader);
            0
        }
        None => ResponseError::EligibleLeadersNotAvailable.code(),
    }
}
