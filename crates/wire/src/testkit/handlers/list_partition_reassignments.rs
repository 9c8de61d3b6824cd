//! ListPartitionReassignments (key 46): the partitions being moved (all of
//! them, or those asked for), with their current replicas and the replicas
//! being added and removed. Moves complete after the cluster's
//! `reassignment_delay`.
//!
//! # References
//! - KIP-455

use kafka_protocol::messages::list_partition_reassignments_response::{
    OngoingPartitionReassignment, OngoingTopicReassignment,
};
use kafka_protocol::messages::{
    BrokerId, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse,
};
use kafka_protocol::protocol::VersionRange;

use super::{topic_name, Ctx, Handler, Reply};
use crate::testkit::state::Topic;

impl Handler for ListPartitionReassignmentsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 0 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<ListPartitionReassignmentsResponse> {
        let ongoing = |topic: &Topic, only: Option<&[i32]>| {
            let partitions: Vec<OngoingPartitionReassignment> = topic
                .partitions
                .iter()
                .enumerate()
                .filter(|(i, _)| only.is_none_or(|o| o.contains(&(*i as i32))))
                .filter_map(|(i, p)| {
                    let r = p.reassignment.as_ref()?;
                    let ids = |v: Vec<i32>| v.into_iter().map(BrokerId).collect::<Vec<_>>();
                    Some(
                        OngoingPartitionReassignment::default()
                            .with_partition_index(i as i32)
                            .with_replicas(ids(p.replicas.clone()))
                            .with_adding_replicas(ids(r.adding()))
                            .with_removing_replicas(ids(r.removing())),
                    )
                })
                .collect();
            (!partitions.is_empty()).then(|| {
                OngoingTopicReassignment::default()
                    .with_name(topic_name(&topic.name))
                    .with_partitions(partitions)
            })
        };
        let topics = match &self.topics {
            None => ctx
                .state
                .topics
                .values()
                .filter_map(|t| ongoing(t, None))
                .collect(),
            Some(asked) => asked
                .iter()
                .filter_map(|a| {
                    let t = ctx.state.topics.get(a.name.0.as_str())?;
                    ongoing(t, Some(&a.partition_indexes))
                })
                .collect(),
        };
        Reply::Now(
            ListPartitionReassignmentsResponse::default()
                .with_error_message(None)
                .with_topics(topics),
        )
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<ListPartitionReassignmentsResponse> {
        Reply::Now(
            ListPartitionReassignmentsResponse::default()
                .with_error_code(code)
                .with_error_message(None),
        )
    }
}
