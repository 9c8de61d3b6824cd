//! AlterPartitionReassignments (key 45): moves partitions to other replica
//! lists, or cancels a move (null replicas). A move stays in progress for
//! the cluster's `reassignment_delay` (listed by ListPartitionReassignments,
//! with the target replicas followed by those being removed) and then
//! completes; with no delay it completes at once. A leader that is not in
//! the new list hands over to the first live replica of it.
//!
//! Errors, per partition: `UNKNOWN_TOPIC_OR_PARTITION`,
//! `INVALID_REPLICA_ASSIGNMENT` (empty, duplicate or unknown brokers),
//! `INVALID_REPLICATION_FACTOR` (v1 with `allow_replication_factor_change`
//! off and another replica count), `NO_REASSIGNMENT_IN_PROGRESS` (a cancel
//! with nothing to cancel).
//!
//! # References
//! - KIP-455, KIP-860 (replication factor changes, v1)

use std::time::Duration;

use kafka_protocol::messages::alter_partition_reassignments_response::{
    ReassignablePartitionResponse, ReassignableTopicResponse,
};
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse,
};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::Failure;

impl Handler for AlterPartitionReassignmentsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 1 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<AlterPartitionReassignmentsResponse> {
        let allow_rf_change = ctx.version < 1 || self.allow_replication_factor_change;
        let delay = ctx.state.config.reassignment_delay;
        let now = ctx.now;
        let alive = ctx.state.alive_brokers();
        let responses = self
            .topics
            .into_iter()
            .map(|t| {
                let name = t.name.0.to_string();
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let target: Option<Vec<i32>> =
                            p.replicas.as_ref().map(|r| r.iter().map(|b| b.0).collect());
                        let outcome = match &target {
                            Some(list) => ctx.state.validate_replica_list(list),
                            None => Ok(()),
                        }
                        .and_then(|()| {
                            let partition = ctx
                                .state
                                .partition_mut(&name, p.partition_index)
                                .ok_or_else(|| {
                                    Failure::new(
                                        ResponseError::UnknownTopicOrPartition,
                                        "The partition does not exist.",
                                    )
                                })?;
                            match target {
                                None if partition.reassignment.is_none() => Err(Failure::new(
                                    ResponseError::NoReassignmentInProgress,
                                    "No reassignment is in progress for this partition.",
                                )),
                                None => {
                                    partition.end_reassignment(true, &alive);
                                    Ok(())
                                }
                                Some(list) => {
                                    let current = partition
                                        .reassignment
                                        .as_ref()
                                        .map_or(partition.replicas.len(), |r| r.original.len());
                                    if !allow_rf_change && list.len() != current {
                                        return Err(Failure::new(
                                            ResponseError::InvalidReplicationFactor,
                                            "The replication factor is changed, which the request does not allow.",
                                        ));
                                    }
                                    partition.start_reassignment(list, now + delay, &alive);
                                    if delay == Duration::ZERO {
                                        partition.end_reassignment(false, &alive);
                                    }
                                    Ok(())
                                }
                            }
                        });
                        let r = ReassignablePartitionResponse::default()
                            .with_partition_index(p.partition_index);
                        match outcome {
                            Ok(()) => r.with_error_message(None),
                            Err(f) => r
                                .with_error_code(f.code.code())
                                .with_error_message(Some(str_bytes(f.message))),
                        }
                    })
                    .collect();
                ReassignableTopicResponse::default()
                    .with_name(t.name)
                    .with_partitions(partitions)
            })
            .collect();
        let mut response = AlterPartitionReassignmentsResponse::default()
            .with_error_message(None)
            .with_responses(responses);
        if ctx.version >= 1 {
            response.allow_replication_factor_change = allow_rf_change;
        }
        Reply::Now(response)
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<AlterPartitionReassignmentsResponse> {
        Reply::Now(
            AlterPartitionReassignmentsResponse::default()
                .with_error_code(code)
                .with_error_message(None),
        )
    }
}
