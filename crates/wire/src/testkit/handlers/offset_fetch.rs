//! OffsetFetch (key 9): a group's committed offsets, for the partitions
//! asked for (-1 where nothing is committed) or for every partition with a
//! commit (a null topic list, v2+); several groups per request from v8.
//!
//! Errors: `INVALID_GROUP_ID` and `NOT_COORDINATOR`, per partition in v1,
//! for the whole answer in v2–v7, per group from v8. An unknown group has
//! no offsets (no error), as in Kafka.
//!
//! # References
//! - KIP-88 (all partitions, v2), KIP-320 (leader epoch, v5), KIP-447
//!   (require stable, v7), KIP-709 (several groups, v8)

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse};
use kafka_protocol::protocol::{StrBytes, VersionRange};

use super::find_coordinator::check_coordinator;
use super::{topic_name, Ctx, Handler, Reply};
use crate::testkit::state::State;

/// One partition's answer: `(partition, offset, leader epoch, metadata)`.
type Answer = (i32, i64, i32, Option<String>);

impl Handler for OffsetFetchRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 9 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<OffsetFetchResponse> {
        let version = ctx.version;
        if version >= 8 {
            let groups = self
                .groups
                .iter()
                .map(|g| {
                    let asked: Option<Vec<(String, Vec<i32>)>> = g.topics.as_ref().map(|ts| {
                        ts.iter()
                            .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                            .collect()
                    });
                    let group =
                        OffsetFetchResponseGroup::default().with_group_id(g.group_id.clone());
                    match check_coordinator(ctx, g.group_id.0.as_str()) {
                        Err(code) => group.with_error_code(code.code()),
                        Ok(()) => group.with_topics(
                            answers(ctx.state, g.group_id.0.as_str(), asked)
                                .into_iter()
                                .map(|(topic, parts)| {
                                    OffsetFetchResponseTopics::default()
                                        .with_name(topic_name(&topic))
                                        .with_partitions(
                                            parts
                                                .into_iter()
                                                .map(|(p, offset, epoch, metadata)| {
                                                    OffsetFetchResponsePartitions::default()
                                                        .with_partition_index(p)
                                                        .with_committed_offset(offset)
                                                        .with_committed_leader_epoch(epoch)
                                                        .with_metadata(Some(StrBytes::from_string(
                                                            metadata.unwrap_or_default(),
                                                        )))
                                                })
                                                .collect(),
                                        )
                                })
                                .collect(),
                        ),
                    }
                })
                .collect();
            return Reply::Now(OffsetFetchResponse::default().with_groups(groups));
        }
        let asked: Option<Vec<(String, Vec<i32>)>> = self.topics.as_ref().map(|ts| {
            ts.iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                .collect()
        });
        if let Err(code) = check_coordinator(ctx, self.group_id.0.as_str()) {
            return self.fail(ctx, code.code());
        }
        let topics = answers(ctx.state, self.group_id.0.as_str(), asked)
            .into_iter()
            .map(|(topic, parts)| {
                OffsetFetchResponseTopic::default()
                    .with_name(topic_name(&topic))
                    .with_partitions(
                        parts
                            .into_iter()
                            .map(|(p, offset, epoch, metadata)| {
                                let mut r = OffsetFetchResponsePartition::default()
                                    .with_partition_index(p)
                                    .with_committed_offset(offset)
                                    .with_metadata(Some(StrBytes::from_string(
                                        metadata.unwrap_or_default(),
                                    )));
                                if version >= 5 {
                                    r.committed_leader_epoch = epoch;
                                }
                                r
                            })
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(OffsetFetchResponse::default().with_topics(topics))
    }

    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<OffsetFetchResponse> {
        if ctx.version >= 8 {
            let groups = self
                .groups
                .iter()
                .map(|g| {
                    OffsetFetchResponseGroup::default()
                        .with_group_id(g.group_id.clone())
                        .with_error_code(code)
                })
                .collect();
            return Reply::Now(OffsetFetchResponse::default().with_groups(groups));
        }
        if ctx.version >= 2 {
            return Reply::Now(OffsetFetchResponse::default().with_error_code(code));
        }
        // v1 has no top-level error: every partition asked for carries it.
        let topics = self
            .topics
            .iter()
            .flatten()
            .map(|t| {
                OffsetFetchResponseTopic::default()
                    .with_name(t.name.clone())
                    .with_partitions(
                        t.partition_indexes
                            .iter()
                            .map(|p| {
                                OffsetFetchResponsePartition::default()
                                    .with_partition_index(*p)
                                    .with_committed_offset(-1)
                                    .with_error_code(code)
                            })
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(OffsetFetchResponse::default().with_topics(topics))
    }
}

/// The committed offsets of `group` for the partitions asked for, or for
/// every committed partition, grouped by topic.
fn answers(
    state: &State,
    group: &str,
    asked: Option<Vec<(String, Vec<i32>)>>,
) -> Vec<(String, Vec<Answer>)> {
    let offsets = state.groups.get(group).map(|g| &g.offsets);
    match asked {
        Some(topics) => topics
            .into_iter()
            .map(|(topic, partitions)| {
                let parts = partitions
                    .into_iter()
                    .map(|p| match offsets.and_then(|o| o.get(&(topic.clone(), p))) {
                        Some(c) => (p, c.offset, c.leader_epoch, c.metadata.clone()),
                        None => (p, -1, -1, None),
                    })
                    .collect();
                (topic, parts)
            })
            .collect(),
        None => {
            let mut out: Vec<(String, Vec<Answer>)> = Vec::new();
            for ((topic, p), c) in offsets.into_iter().flatten() {
                let entry = (*p, c.offset, c.leader_epoch, c.metadata.clone());
                match out.last_mut() {
                    Some((t, parts)) if t == topic => parts.push(entry),
                    _ => out.push((topic.clone(), vec![entry])),
                }
            }
            out
        }
    }
}
