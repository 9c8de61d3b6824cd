//! Consumer group administration: list, describe and delete groups, read a
//! group's committed offsets and lag, delete committed offsets.
//!
//! Requests about groups go to each group's coordinator: the coordinators
//! of several groups are found with one batched FindCoordinator where the
//! broker allows (version 4+), groups sharing a coordinator are asked about
//! in one request, and groups whose coordinator moved or is still loading are
//! asked again (after a backoff, until `default.api.timeout.ms`). ListGroups
//! asks every broker, since each lists only the groups it coordinates.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_ListGroups>,
//!   `DescribeGroups`, `DeleteGroups`, `OffsetFetch`, `OffsetDelete`
//! - KIP-699 (batched FindCoordinator), KIP-709 (OffsetFetch for several
//!   groups), KIP-496 (OffsetDelete)

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, ListGroupsRequest, OffsetDeleteRequest,
    OffsetFetchRequest,
};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cluster::Client;
use crate::conn::Connection;
use crate::consumer::group::coordinator::coordinator_moved;
use crate::consumer::{OffsetAndMetadata, TopicPartition};
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::find_coordinator::CoordinatorType;
use crate::protocol::api::join_group::CONSUMER_PROTOCOL_TYPE;
use crate::protocol::api::list_offsets::OffsetSpec;
use crate::protocol::api::offset_fetch::{GroupQuery, MULTI_GROUP_VERSION};
use crate::protocol::api::{
    delete_groups, describe_groups, list_groups, offset_delete, offset_fetch,
};
use crate::protocol::consumer_protocol::{self, Subscription};

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    /// The group id.
    pub group_id: String,
    /// `consumer` for consumer groups; empty for groups that only store
    /// offsets.
    pub protocol_type: String,
    /// The state, from brokers that report it (ListGroups v4+).
    pub state: Option<String>,
    /// `classic` or `consumer`, from brokers that report it (v5+).
    pub group_type: Option<String>,
    /// The broker that coordinates the group.
    pub coordinator_id: i32,
}

/// One member of a described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    /// The member id.
    pub member_id: String,
    /// The static member id, if any.
    pub group_instance_id: Option<String>,
    /// The member's `client.id`.
    pub client_id: String,
    /// The host the member connects from.
    pub client_host: String,
    /// The member's subscription, decoded for consumer groups (`None` when
    /// the broker sent none or it cannot be decoded).
    pub subscription: Option<Subscription>,
    /// The member's assigned partitions, decoded for consumer groups (empty
    /// while the group rebalances).
    pub assignment: Vec<TopicPartition>,
}

/// A described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group_id: String,
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or
    /// `Dead` (brokers before DescribeGroups v6 describe a group that does
    /// not exist as `Dead`).
    pub state: String,
    /// The protocol type (`consumer` for consumer groups).
    pub protocol_type: String,
    /// The chosen protocol: the assignor, for consumer groups.
    pub protocol: String,
    /// The members.
    pub members: Vec<MemberDescription>,
    /// The coordinator's broker id.
    pub coordinator_id: i32,
}

/// Committed offset, log end and lag of one partition of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    /// The partition.
    pub partition: TopicPartition,
    /// The group's committed offset.
    pub committed: i64,
    /// The log end offset (high watermark).
    pub end: i64,
    /// `end - committed`, never negative.
    pub lag: i64,
    /// The member the partition is assigned to, if any: member id, client
    /// id and host.
    pub member: Option<(String, String, String)>,
}

/// Group administration over a [`Client`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct GroupAdmin {
    client: Client,
}

/// Per-group outcomes, in the order the groups were named (duplicates
/// removed).
pub type GroupResults<T> = Vec<(String, Result<T>)>;

impl GroupAdmin {
    /// Group administration through `client`.
    pub fn new(client: Client) -> Self {
        GroupAdmin { client }
    }

    /// Every group of the cluster, from ListGroups on every broker.
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>> {
        let metadata = self.client.metadata().await?;
        let mut asks = JoinSet::new();
        for &id in metadata.brokers.keys() {
            let client = self.client.clone();
            asks.spawn(async move {
                let listed = client
                    .retry("ListGroups", || async {
                        let conn = client.broker(id).await?;
                        let version = conn.version::<ListGroupsRequest>()?;
                        let response = conn
                            .call_version(&list_groups::request(version, &[], &[]), version)
                            .await?;
                        crate::error::check(response.error_code, "ListGroups")?;
                        Ok(list_groups::groups(&response, version))
                    })
                    .await;
                (id, listed)
            });
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        while let Some(done) = asks.join_next().await {
            let Ok((id, listed)) = done else { continue };
            for g in listed? {
                if seen.insert(g.group_id.clone()) {
                    out.push(GroupListing {
                        group_id: g.group_id,
                        protocol_type: g.protocol_type,
                        state: g.state,
                        group_type: g.group_type,
                        coordinator_id: id,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(out)
    }

    /// Describes one group. A group that does not exist is an
    /// [`Error::Group`] with `GROUP_ID_NOT_FOUND` on brokers that say so
    /// (DescribeGroups v6+), and a `Dead` group without members before.
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        single(
            self.describe_groups(&[group]).await?,
            group,
            "DescribeGroups",
        )
    }

    /// Describes groups, each with its own outcome.
    pub async fn describe_groups(&self, groups: &[&str]) -> Result<GroupResults<GroupDescription>> {
        self.per_coordinator("DescribeGroups", groups, |node, conn, groups| async move {
            let version = conn.version::<DescribeGroupsRequest>()?;
            let names: Vec<&str> = groups.iter().map(String::as_str).collect();
            let response = conn
                .call_version(&describe_groups::request(version, &names, false), version)
                .await?;
            Ok(response
                .groups
                .into_iter()
                .map(|g| describe(g, node))
                .collect())
        })
        .await
    }

    /// Deletes groups (and their committed offsets); a group with members
    /// is refused with `NON_EMPTY_GROUP`.
    pub async fn delete_groups(&self, groups: &[&str]) -> Result<GroupResults<()>> {
        self.per_coordinator("DeleteGroups", groups, |_, conn, groups| async move {
            let names: Vec<&str> = groups.iter().map(String::as_str).collect();
            let response = conn
                .call::<DeleteGroupsRequest>(&delete_groups::request(&names))
                .await?;
            Ok(delete_groups::results(&response)
                .into_iter()
                .map(|(group, error)| {
                    let result = match error {
                        None => Ok(()),
                        Some(code) => Err(Error::group(code, "DeleteGroups", &group)),
                    };
                    (group, result)
                })
                .collect())
        })
        .await
    }

    /// The committed offsets of a group, for every partition it committed.
    pub async fn group_offsets(
        &self,
        group: &str,
    ) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        single(self.groups_offsets(&[group]).await?, group, "OffsetFetch")
    }

    /// The committed offsets of several groups: one OffsetFetch per
    /// coordinator where it speaks version 8+, else one per group.
    pub async fn groups_offsets(
        &self,
        groups: &[&str],
    ) -> Result<GroupResults<BTreeMap<TopicPartition, OffsetAndMetadata>>> {
        self.per_coordinator("OffsetFetch", groups, |_, conn, groups| async move {
            let version = conn.version::<OffsetFetchRequest>()?;
            let batches: Vec<Vec<&str>> = if version >= MULTI_GROUP_VERSION {
                vec![groups.iter().map(String::as_str).collect()]
            } else {
                groups.iter().map(|g| vec![g.as_str()]).collect()
            };
            let mut out = Vec::with_capacity(groups.len());
            for batch in batches {
                let queries: Vec<GroupQuery<'_>> = batch
                    .iter()
                    .map(|g| GroupQuery {
                        group_id: g,
                        topics: None,
                    })
                    .collect();
                let response = conn
                    .call_version(&offset_fetch::request(version, &queries, false), version)
                    .await?;
                for answer in offset_fetch::groups(&response, version, &batch) {
                    let group = answer.group_id.clone();
                    let result = match answer.error {
                        Some(code) => Err(Error::group(code, "OffsetFetch", &group)),
                        None => answer
                            .partitions
                            .into_iter()
                            .filter(|p| p.offset >= 0 || p.error.is_some())
                            .map(|p| match p.error {
                                Some(code) => Err(Error::Broker {
                                    code,
                                    api: "OffsetFetch",
                                    topic: Some(p.topic),
                                    partition: Some(p.partition),
                                    message: None,
                                }),
                                None => Ok((
                                    TopicPartition::new(p.topic, p.partition),
                                    OffsetAndMetadata {
                                        offset: p.offset,
                                        metadata: p.metadata,
                                        leader_epoch: (p.leader_epoch >= 0)
                                            .then_some(p.leader_epoch),
                                    },
                                )),
                            })
                            .collect::<Result<BTreeMap<_, _>>>(),
                    };
                    out.push((group, result));
                }
            }
            Ok(out)
        })
        .await
    }

    /// Deletes a group's committed offsets for `partitions` (OffsetDelete,
    /// which not every broker implements). A partition whose topic an
    /// active member subscribes to is refused with
    /// `GROUP_SUBSCRIBED_TO_TOPIC`.
    pub async fn delete_offsets(&self, group: &str, partitions: &[TopicPartition]) -> Result<()> {
        let results = self
            .per_coordinator("OffsetDelete", &[group], |_, conn, groups| async move {
                let group = groups.first().cloned().unwrap_or_default();
                let response = conn
                    .call::<OffsetDeleteRequest>(&offset_delete::request(
                        &group,
                        partitions
                            .iter()
                            .map(|tp| (tp.topic.as_str(), tp.partition)),
                    ))
                    .await?;
                let result = match ResponseError::try_from_code(response.error_code) {
                    Some(code) => Err(Error::group(code, "OffsetDelete", &group)),
                    None => offset_delete::partition_errors(&response)
                        .into_iter()
                        .find_map(|(topic, partition, error)| {
                            error.map(|code| Error::Broker {
                                code,
                                api: "OffsetDelete",
                                topic: Some(topic),
                                partition: Some(partition),
                                message: None,
                            })
                        })
                        .map_or(Ok(()), Err),
                };
                Ok(vec![(group, result)])
            })
            .await?;
        single(results, group, "OffsetDelete")
    }

    /// Committed offset, log end offset and lag of every partition the
    /// group has committed, with the member each is assigned to.
    pub async fn partition_lags(&self, group: &str) -> Result<Vec<PartitionLag>> {
        let offsets = self.group_offsets(group).await?;
        let description = self.describe_group(group).await?;
        let mut owners: BTreeMap<TopicPartition, (String, String, String)> = BTreeMap::new();
        for m in &description.members {
            for tp in &m.assignment {
                owners.insert(
                    tp.clone(),
                    (
                        m.member_id.clone(),
                        m.client_id.clone(),
                        m.client_host.clone(),
                    ),
                );
            }
        }
        let mut ends = JoinSet::new();
        for tp in offsets.keys() {
            let client = self.client.clone();
            let tp = tp.clone();
            let isolation = client.config().fetch.isolation;
            ends.spawn(async move {
                let end = client
                    .list_offset(&tp.topic, tp.partition, OffsetSpec::Latest, isolation)
                    .await;
                (tp, end)
            });
        }
        let mut end_of = BTreeMap::new();
        while let Some(done) = ends.join_next().await {
            let Ok((tp, end)) = done else { continue };
            end_of.insert(tp, end?.offset);
        }
        Ok(offsets
            .into_iter()
            .map(|(tp, committed)| {
                let end = end_of.get(&tp).copied().unwrap_or(-1);
                PartitionLag {
                    lag: (end - committed.offset).max(0),
                    committed: committed.offset,
                    end,
                    member: owners.get(&tp).cloned(),
                    partition: tp,
                }
            })
            .collect())
    }

    /// Runs `ask` once per coordinator with the groups it coordinates, and
    /// asks again about groups whose coordinator moved or is loading.
    async fn per_coordinator<T, F, Fut>(
        &self,
        api: &'static str,
        groups: &[&str],
        mut ask: F,
    ) -> Result<GroupResults<T>>
    where
        F: FnMut(i32, Connection, Vec<String>) -> Fut,
        Fut: Future<Output = Result<GroupResults<T>>>,
    {
        let mut order: Vec<String> = Vec::new();
        for g in groups {
            if !order.iter().any(|o| o == g) {
                order.push((*g).to_owned());
            }
        }
        let config = self.client.config();
        let deadline = Instant::now() + config.api_timeout;
        let mut backoff = config.retry_backoff;
        let mut done: BTreeMap<String, Result<T>> = BTreeMap::new();
        let mut pending = order.clone();
        let mut last_error: BTreeMap<String, Error> = BTreeMap::new();
        while !pending.is_empty() {
            let mut again: Vec<String> = Vec::new();
            let keys: Vec<&str> = pending.iter().map(String::as_str).collect();
            match self
                .client
                .find_coordinators(CoordinatorType::Group, &keys)
                .await
            {
                Err(e) if e.is_retriable() => {
                    for g in &pending {
                        last_error.insert(
                            g.clone(),
                            Error::group(
                                ResponseError::CoordinatorNotAvailable,
                                "FindCoordinator",
                                g,
                            ),
                        );
                    }
                    tracing::debug!(api, error = %e, "finding coordinators failed");
                    again = pending.clone();
                }
                Err(e) => return Err(e),
                Ok(found) => {
                    let mut by_node: BTreeMap<i32, Vec<String>> = BTreeMap::new();
                    let mut answered = BTreeSet::new();
                    for f in found {
                        if !pending.contains(&f.key) {
                            continue;
                        }
                        answered.insert(f.key.clone());
                        match f.error {
                            None => by_node.entry(f.node_id).or_default().push(f.key),
                            Some(code) => {
                                let e = Error::Group {
                                    code,
                                    api: "FindCoordinator",
                                    group: f.key.clone(),
                                    message: f.message,
                                };
                                if code.is_retriable() {
                                    last_error.insert(f.key.clone(), e);
                                    again.push(f.key);
                                } else {
                                    done.insert(f.key, Err(e));
                                }
                            }
                        }
                    }
                    again.extend(pending.iter().filter(|g| !answered.contains(*g)).cloned());
                    for (node, node_groups) in by_node {
                        let conn = match self.client.coordinator_connection(node).await {
                            Ok(conn) => conn,
                            Err(e) if e.is_retriable() => {
                                again.extend(node_groups);
                                continue;
                            }
                            Err(e) => return Err(e),
                        };
                        match ask(node, conn, node_groups.clone()).await {
                            Ok(results) => {
                                let mut seen = BTreeSet::new();
                                for (group, result) in results {
                                    if !node_groups.contains(&group) || !seen.insert(group.clone())
                                    {
                                        continue;
                                    }
                                    match result {
                                        Err(e) if retry_group(&e) => {
                                            last_error.insert(group.clone(), e);
                                            again.push(group);
                                        }
                                        r => {
                                            done.insert(group, r);
                                        }
                                    }
                                }
                                again.extend(node_groups.into_iter().filter(|g| !seen.contains(g)));
                            }
                            Err(e) if e.is_retriable() => {
                                tracing::debug!(api, node, error = %e, "coordinator request failed");
                                again.extend(node_groups);
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            if again.is_empty() {
                break;
            }
            if Instant::now() + backoff >= deadline {
                for g in again {
                    let e = last_error.remove(&g).unwrap_or_else(|| {
                        Error::group(ResponseError::CoordinatorNotAvailable, api, &g)
                    });
                    done.insert(g, Err(e));
                }
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(config.retry_backoff_max.max(Duration::from_millis(1)));
            pending = again;
        }
        Ok(order
            .into_iter()
            .map(|g| {
                let result = done.remove(&g).unwrap_or_else(|| {
                    Err(Error::group(ResponseError::UnknownServerError, api, &g))
                });
                (g, result)
            })
            .collect())
    }
}

/// One group of a DescribeGroups response: its description, with the
/// members' subscriptions and assignments decoded for consumer groups, or
/// its error.
fn describe(g: DescribedGroup, node: i32) -> (String, Result<GroupDescription>) {
    let id = g.group_id.0.to_string();
    if let Some(code) = ResponseError::try_from_code(g.error_code) {
        let message = g.error_message.map(|m| m.to_string());
        return (
            id.clone(),
            Err(Error::Group {
                code,
                api: "DescribeGroups",
                group: id,
                message,
            }),
        );
    }
    let consumer = g.protocol_type.as_str() == CONSUMER_PROTOCOL_TYPE;
    let members = g
        .members
        .into_iter()
        .map(|m| MemberDescription {
            member_id: m.member_id.to_string(),
            group_instance_id: m.group_instance_id.map(|s| s.to_string()),
            client_id: m.client_id.to_string(),
            client_host: m.client_host.to_string(),
            subscription: (consumer && !m.member_metadata.is_empty())
                .then(|| consumer_protocol::decode_subscription(&m.member_metadata).ok())
                .flatten(),
            assignment: if consumer && !m.member_assignment.is_empty() {
                consumer_protocol::decode_assignment(&m.member_assignment)
                    .map(|a| a.iter().map(|(t, p)| TopicPartition::new(t, p)).collect())
                    .unwrap_or_default()
            } else {
                Vec::new()
            },
        })
        .collect();
    let description = GroupDescription {
        group_id: id.clone(),
        state: g.group_state.to_string(),
        protocol_type: g.protocol_type.to_string(),
        protocol: g.protocol_data.to_string(),
        members,
        coordinator_id: node,
    };
    (id, Ok(description))
}

/// Whether a group's error means asking its (new) coordinator again.
fn retry_group(e: &Error) -> bool {
    match e.code() {
        Some(code) => coordinator_moved(code) || code == ResponseError::CoordinatorLoadInProgress,
        None => false,
    }
}

fn single<T>(results: GroupResults<T>, group: &str, api: &'static str) -> Result<T> {
    results
        .into_iter()
        .find(|(g, _)| g == group)
        .map(|(_, r)| r)
        .unwrap_or_else(|| Err(Error::group(ResponseError::UnknownServerError, api, group)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::consumer_protocol::{Assignment, TopicPartitions};
    use kafka_protocol::messages::describe_groups_response::DescribedGroupMember;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::protocol::StrBytes;

    fn s(v: &str) -> StrBytes {
        StrBytes::from_string(v.to_owned())
    }

    #[test]
    fn describes_consumer_group_members() {
        let subscription = consumer_protocol::encode_subscription(
            &Subscription {
                topics: vec!["t".into()],
                ..Subscription::default()
            },
            3,
        )
        .unwrap();
        let assignment = consumer_protocol::encode_assignment(
            &Assignment {
                partitions: vec![TopicPartitions {
                    topic: "t".into(),
                    partitions: vec![2, 0],
                }],
                user_data: None,
            },
            0,
        )
        .unwrap();
        let group = DescribedGroup::default()
            .with_group_id(GroupId(s("g")))
            .with_group_state(s("Stable"))
            .with_protocol_type(s("consumer"))
            .with_protocol_data(s("range"))
            .with_members(vec![
                DescribedGroupMember::default()
                    .with_member_id(s("m1"))
                    .with_client_id(s("c1"))
                    .with_client_host(s("/10.0.0.1"))
                    .with_member_metadata(subscription)
                    .with_member_assignment(assignment),
                // Mid-rebalance: no assignment yet; undecodable metadata.
                DescribedGroupMember::default()
                    .with_member_id(s("m2"))
                    .with_member_metadata(bytes::Bytes::from_static(&[0, 0, 0])),
            ]);
        let (id, described) = describe(group, 7);
        let d = described.unwrap();
        assert_eq!((id.as_str(), d.coordinator_id), ("g", 7));
        assert_eq!((d.state.as_str(), d.protocol.as_str()), ("Stable", "range"));
        let m1 = &d.members[0];
        assert_eq!(
            (m1.client_id.as_str(), m1.client_host.as_str()),
            ("c1", "/10.0.0.1")
        );
        assert_eq!(
            m1.subscription.as_ref().unwrap().topics,
            vec!["t".to_owned()]
        );
        assert_eq!(
            m1.assignment,
            vec![TopicPartition::new("t", 2), TopicPartition::new("t", 0)]
        );
        let m2 = &d.members[1];
        assert!(m2.subscription.is_none() && m2.assignment.is_empty());
    }

    #[test]
    fn group_errors_keep_the_group_and_message() {
        let group = DescribedGroup::default()
            .with_group_id(GroupId(s("gone")))
            .with_error_code(ResponseError::GroupIdNotFound.code())
            .with_error_message(Some(s("no such group")));
        let (id, described) = describe(group, 1);
        assert_eq!(id, "gone");
        let err = described.unwrap_err();
        assert!(matches!(
            &err,
            Error::Group { code: ResponseError::GroupIdNotFound, group, .. } if group == "gone"
        ));
        assert!(err.to_string().contains("no such group"), "{err}");
        // Other payloads than the consumer protocol's are not decoded.
        let other = DescribedGroup::default()
            .with_group_id(GroupId(s("connect")))
            .with_protocol_type(s("connect"))
            .with_members(vec![DescribedGroupMember::default()
                .with_member_id(s("w"))
                .with_member_metadata(bytes::Bytes::from_static(b"anything"))]);
        let d = describe(other, 1).1.unwrap();
        assert!(d.members[0].subscription.is_none());
    }
}
