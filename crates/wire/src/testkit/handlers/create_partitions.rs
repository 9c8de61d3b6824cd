//! CreatePartitions (key 37): raises a topic's partition count, with
//! explicit replica lists for the new partitions or round-robin ones;
//! `validate_only` checks and changes nothing.
//!
//! Errors, per topic: `UNKNOWN_TOPIC_OR_PARTITION`, `INVALID_PARTITIONS`
//! (a count not above the current one), `INVALID_REPLICA_ASSIGNMENT` (wrong
//! number of lists, duplicate or unknown brokers, a list size other than the
//! topic's replication factor), `INVALID_REPLICATION_FACTOR` (fewer brokers
//! up than the replication factor), `INVALID_REQUEST` (a topic named twice).
//!
//! # References
//! - KIP-195

use std::collections::HashMap;

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::{Failure, MAX_PARTITIONS};

impl Handler for CreatePartitionsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 3 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<CreatePartitionsResponse> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for t in &self.topics {
            *counts.entry(t.name.0.to_string()).or_default() += 1;
        }
        let results = self
            .topics
            .into_iter()
            .map(|t| {
                let name = t.name.0.to_string();
                let outcome = if counts[&name] > 1 {
                    Err(Failure::new(
                        ResponseError::InvalidRequest,
                        format!("Duplicate topic in request: {name}"),
                    ))
                } else {
                    plan(ctx, &name, t.count, t.assignments.as_deref()).map(|replicas| {
                        if !self.validate_only {
                            ctx.state.add_partitions(&name, replicas);
                        }
                    })
                };
                let result = CreatePartitionsTopicResult::default().with_name(t.name);
                match outcome {
                    Ok(()) => result.with_error_message(None),
                    Err(f) => result
                        .with_error_code(f.code.code())
                        .with_error_message(Some(str_bytes(f.message))),
                }
            })
            .collect();
        Reply::Now(CreatePartitionsResponse::default().with_results(results))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<CreatePartitionsResponse> {
        let results = self
            .topics
            .iter()
            .map(|t| {
                CreatePartitionsTopicResult::default()
                    .with_name(t.name.clone())
                    .with_error_code(code)
                    .with_error_message(None)
            })
            .collect();
        Reply::Now(CreatePartitionsResponse::default().with_results(results))
    }
}

fn plan(
    ctx: &Ctx<'_>,
    name: &str,
    count: i32,
    assignments: Option<
        &[kafka_protocol::messages::create_partitions_request::CreatePartitionsAssignment],
    >,
) -> Result<Vec<Vec<i32>>, Failure> {
    let state = &*ctx.state;
    let topic = state.topics.get(name).ok_or_else(|| {
        Failure::new(
            ResponseError::UnknownTopicOrPartition,
            format!("The topic '{name}' does not exist."),
        )
    })?;
    let current = topic.partitions.len() as i32;
    if count <= current {
        return Err(Failure::new(
            ResponseError::InvalidPartitions,
            format!("Topic currently has {current} partitions, which is higher than the requested {count}."),
        ));
    }
    if count > MAX_PARTITIONS {
        return Err(Failure::new(
            ResponseError::InvalidPartitions,
            format!("At most {MAX_PARTITIONS} partitions per topic are supported."),
        ));
    }
    let replication = topic
        .partitions
        .first()
        .map_or(1, |p| p.replicas.len() as i16);
    let added = count - current;
    match assignments {
        None => state.assign_replicas(current, added, replication),
        Some(lists) => {
            if lists.len() as i32 != added {
                return Err(Failure::new(
                    ResponseError::InvalidReplicaAssignment,
                    format!(
                        "Attempted to add {added} additional partition(s), but only {} assignment(s) were specified.",
                        lists.len()
                    ),
                ));
            }
            let lists: Vec<Vec<i32>> = lists
                .iter()
                .map(|a| a.broker_ids.iter().map(|b| b.0).collect())
                .collect();
            for list in &lists {
                state.validate_replica_list(list)?;
                if list.len() != replication as usize {
                    return Err(Failure::new(
                        ResponseError::InvalidReplicaAssignment,
                        format!(
                            "The manual partition assignment has {} replicas, but the topic's replication factor is {replication}.",
                            list.len()
                        ),
                    ));
                }
            }
            Ok(lists)
        }
    }
}
