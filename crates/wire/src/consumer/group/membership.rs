//! Membership of one consumer group: joining (JoinGroup, then SyncGroup with
//! the leader's assignment), heartbeats, rejoining and leaving.
//!
//! The state a member keeps is small — member id, generation, chosen
//! protocol, whether it is stable and whether it must rejoin — and shared
//! between the consumer and a heartbeat task:
//!
//! - A join runs as its own task so it survives polls that time out first
//!   (a JoinGroup may be held by the coordinator for up to the rebalance
//!   timeout). It first commits the positions the consumer gives up (when
//!   auto-commit is on; heartbeats go on meanwhile, as the generation is
//!   still valid), then loops: JoinGroup (answering
//!   MEMBER_ID_REQUIRED by joining again with the id given), the leader
//!   computes the assignment with the assignor the group chose, SyncGroup
//!   returns this member's partitions. REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION
//!   and UNKNOWN_MEMBER_ID (which also drops the member id) restart the
//!   loop; coordinator errors look the coordinator up again after a backoff.
//! - The heartbeat task sends a Heartbeat every `heartbeat.interval.ms`
//!   while the member is stable. REBALANCE_IN_PROGRESS asks the consumer to
//!   rejoin on its next poll; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID also
//!   invalidate the generation (the partitions are lost, not committed);
//!   NOT_COORDINATOR and a lost connection make it look the coordinator up
//!   again, as does a session timeout without a successful heartbeat. When
//!   the consumer has not polled for `max.poll.interval.ms` the task leaves
//!   the group, as the Java client does, and the next poll rejoins.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_JoinGroup>,
//!   `SyncGroup`, `Heartbeat`, `LeaveGroup`
//! - KIP-62 (rebalance timeout, background heartbeats), KIP-394 (member id
//!   required)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{
    HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};

use super::coordinator::{coordinator_moved, Coordinator};
use crate::cluster::Client;
use crate::consumer::assignor::{MemberSubscription, PartitionAssignor};
use crate::consumer::{OffsetAndMetadata, TopicPartition};
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::join_group::{JoinGroupParams, CONSUMER_PROTOCOL_TYPE};
use crate::protocol::api::leave_group::LeavingMember;
use crate::protocol::api::sync_group::SyncGroupParams;
use crate::protocol::api::{heartbeat, join_group, leave_group, sync_group};
use crate::protocol::consumer_protocol::{
    self, Assignment, Subscription, TopicPartitions, HIGHEST_VERSION,
};

/// Timing settings of a member.
#[derive(Debug, Clone)]
pub(crate) struct GroupTiming {
    pub(crate) session_timeout: Duration,
    pub(crate) rebalance_timeout: Duration,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) retry_backoff: Duration,
    pub(crate) retry_backoff_max: Duration,
}

/// What the member knows about its place in the group.
#[derive(Debug, Clone)]
pub(crate) struct MemberState {
    /// Empty until the coordinator assigns one.
    pub(crate) member_id: String,
    /// -1 when the member has no valid generation.
    pub(crate) generation: i32,
    /// The protocol (assignor) the group chose.
    pub(crate) protocol: Option<String>,
    /// Whether this member leads the current generation.
    pub(crate) leader: bool,
    /// Joined and synced: heartbeats run and commits carry the generation.
    pub(crate) stable: bool,
    /// Why the member must rejoin, if it must.
    pub(crate) rejoin: Option<String>,
}

impl Default for MemberState {
    fn default() -> Self {
        MemberState {
            member_id: String::new(),
            generation: -1,
            protocol: None,
            leader: false,
            stable: false,
            rejoin: None,
        }
    }
}

/// What a join needs from the consumer.
#[derive(Debug)]
pub(crate) struct JoinPlan {
    /// The topics to announce (sorted).
    pub(crate) topics: Vec<String>,
    /// Assignors in order of preference.
    pub(crate) assignors: Arc<[Box<dyn PartitionAssignor>]>,
    /// Positions of the partitions given up, committed before joining
    /// under the generation and member id they were consumed in.
    pub(crate) revoked: Option<(i32, String, BTreeMap<TopicPartition, OffsetAndMetadata>)>,
    /// An auto-commit still in flight, awaited first so it cannot land
    /// after the commit of the revoked positions.
    pub(crate) pending_commit: Option<tokio::task::JoinHandle<()>>,
}

/// The result of a completed join.
#[derive(Debug, Clone)]
pub(crate) struct Joined {
    pub(crate) generation: i32,
    pub(crate) member_id: String,
    pub(crate) protocol: String,
    pub(crate) assignment: Vec<TopicPartition>,
    /// For the leader: every topic the group subscribes to, with its
    /// partition count (-1 if the cluster does not know it).
    pub(crate) group_topics: Option<BTreeMap<String, i32>>,
}

/// How one pass of the join loop ended without a result.
enum Step {
    /// Join again at once (new member id, the group moved on).
    Again,
    /// Join again after a backoff.
    Retry(Error),
    /// Give up.
    Fatal(Error),
}

impl From<Error> for Step {
    fn from(e: Error) -> Self {
        if e.is_retriable() {
            Step::Retry(e)
        } else {
            Step::Fatal(e)
        }
    }
}

/// One member of one group, shared by the consumer and its heartbeat task.
#[derive(Debug)]
pub(crate) struct Membership {
    pub(crate) coordinator: Coordinator,
    timing: GroupTiming,
    state: Mutex<MemberState>,
    last_poll: Mutex<Instant>,
}

impl Membership {
    pub(crate) fn new(client: Client, group_id: String, timing: GroupTiming) -> Self {
        Membership {
            coordinator: Coordinator::new(client, group_id),
            timing,
            state: Mutex::new(MemberState::default()),
            last_poll: Mutex::new(Instant::now()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemberState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the member's state.
    pub(crate) fn state(&self) -> MemberState {
        self.lock().clone()
    }

    pub(crate) fn group_id(&self) -> &str {
        self.coordinator.group_id()
    }

    /// Records that the consumer polled (for `max.poll.interval.ms`).
    pub(crate) fn record_poll(&self) {
        *self.last_poll.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Whether the member has to (re)join before it can consume.
    pub(crate) fn needs_join(&self) -> bool {
        let s = self.lock();
        !s.stable || s.rejoin.is_some()
    }

    /// Asks for a rejoin on the next poll; the generation stays valid so the
    /// positions can still be committed first.
    pub(crate) fn request_rejoin(&self, reason: &str) {
        let mut s = self.lock();
        if s.rejoin.is_none() {
            tracing::debug!(group = %self.group_id(), reason, "rejoin requested");
            s.rejoin = Some(reason.to_owned());
        }
    }

    /// Drops the generation (and, for UNKNOWN_MEMBER_ID, the member id): the
    /// member's partitions are lost and it must join again.
    fn reset(&self, reset_member_id: bool, reason: &str) {
        let mut s = self.lock();
        tracing::debug!(group = %self.group_id(), reason, reset_member_id, "generation reset");
        s.generation = -1;
        s.stable = false;
        s.leader = false;
        if reset_member_id {
            s.member_id.clear();
        }
        s.rejoin = Some(reason.to_owned());
    }

    /// The generation and member id a commit must carry, if the member is
    /// in a generation.
    pub(crate) fn commit_generation(&self) -> Option<(i32, String)> {
        let s = self.lock();
        (s.stable && s.generation >= 0).then(|| (s.generation, s.member_id.clone()))
    }

    /// Marks the start of a join: heartbeats stop until it completes.
    fn begin_join(&self) {
        self.lock().stable = false;
    }

    /// Joins the group and returns this member's assignment; runs until it
    /// succeeds or meets an error retrying cannot fix.
    pub(crate) async fn join(self: Arc<Self>, mut plan: JoinPlan) -> Result<Joined> {
        if let Some(pending) = plan.pending_commit.take() {
            let _ = pending.await;
        }
        if let Some((generation, member_id, offsets)) = &plan.revoked {
            match self
                .coordinator
                .commit(*generation, member_id, offsets)
                .await
            {
                Ok(()) => {
                    tracing::debug!(group = %self.group_id(), partitions = offsets.len(), "committed revoked positions")
                }
                Err(e) => {
                    tracing::warn!(group = %self.group_id(), error = %e, "committing revoked positions failed")
                }
            }
        }
        // Heartbeats continued during the commit (the generation was still
        // valid); they stop while the member is out of a generation.
        self.begin_join();
        let subscription = Subscription {
            topics: plan.topics.clone(),
            ..Subscription::default()
        };
        let metadata = consumer_protocol::encode_subscription(&subscription, HIGHEST_VERSION)?;
        let protocols: Vec<(&str, Bytes)> = plan
            .assignors
            .iter()
            .map(|a| (a.name(), metadata.clone()))
            .collect();
        let mut backoff = self.timing.retry_backoff;
        loop {
            match self.join_once(&plan, &protocols).await {
                Ok(joined) => return Ok(joined),
                Err(Step::Again) => {}
                Err(Step::Retry(e)) => {
                    tracing::debug!(group = %self.group_id(), error = %e, ?backoff, "join failed, retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.timing.retry_backoff_max);
                }
                Err(Step::Fatal(e)) => {
                    tracing::warn!(group = %self.group_id(), error = %e, "join failed");
                    return Err(e);
                }
            }
        }
    }

    async fn join_once(
        &self,
        plan: &JoinPlan,
        protocols: &[(&str, Bytes)],
    ) -> std::result::Result<Joined, Step> {
        let group = self.group_id().to_owned();
        let (member_id, reason) = {
            let s = self.lock();
            (s.member_id.clone(), s.rejoin.clone())
        };
        let params = JoinGroupParams {
            group_id: &group,
            session_timeout_ms: millis(self.timing.session_timeout),
            rebalance_timeout_ms: millis(self.timing.rebalance_timeout),
            member_id: &member_id,
            group_instance_id: None,
            protocol_type: CONSUMER_PROTOCOL_TYPE,
            protocols,
            reason: reason.as_deref(),
        };
        // The coordinator may hold a JoinGroup for the whole rebalance.
        let (_, response) = self
            .coordinator
            .call::<JoinGroupRequest>(
                |v| join_group::request(v, &params),
                self.timing.rebalance_timeout + Duration::from_secs(5),
            )
            .await?;
        match ResponseError::try_from_code(response.error_code) {
            None => {}
            Some(ResponseError::MemberIdRequired) => {
                tracing::debug!(%group, member_id = %response.member_id, "member id assigned; joining again");
                self.lock().member_id = response.member_id.to_string();
                return Err(Step::Again);
            }
            Some(ResponseError::UnknownMemberId) => {
                self.reset(true, "the coordinator does not know the member id");
                return Err(Step::Again);
            }
            Some(
                code @ (ResponseError::IllegalGeneration
                | ResponseError::RebalanceInProgress
                | ResponseError::CoordinatorLoadInProgress),
            ) => return Err(Step::Retry(Error::group(code, "JoinGroup", &group))),
            Some(code) if coordinator_moved(code) => {
                self.coordinator.mark_unknown();
                return Err(Step::Retry(Error::group(code, "JoinGroup", &group)));
            }
            Some(code) => return Err(Step::Fatal(Error::group(code, "JoinGroup", &group))),
        }
        let generation = response.generation_id;
        let member_id = response.member_id.to_string();
        let leader = response.leader.as_str() == member_id;
        let protocol = match &response.protocol_name {
            Some(p) if !p.is_empty() => p.to_string(),
            _ => plan
                .assignors
                .first()
                .map(|a| a.name().to_owned())
                .unwrap_or_default(),
        };
        {
            let mut s = self.lock();
            s.member_id = member_id.clone();
            s.generation = generation;
            s.leader = leader;
            s.protocol = Some(protocol.clone());
        }
        tracing::debug!(%group, %member_id, generation, leader, %protocol, "joined group");

        let (assignments, group_topics) = if leader && !response.skip_assignment {
            let (a, t) = self
                .assign(plan, &protocol, &response.members)
                .await
                .map_err(Step::from)?;
            (a, Some(t))
        } else {
            (Vec::new(), None)
        };
        let sync = SyncGroupParams {
            group_id: &group,
            generation_id: generation,
            member_id: &member_id,
            group_instance_id: None,
            protocol_type: Some(CONSUMER_PROTOCOL_TYPE),
            protocol_name: Some(&protocol),
            assignments: &assignments,
        };
        let (_, response) = self
            .coordinator
            .call::<SyncGroupRequest>(
                |v| sync_group::request(v, &sync),
                self.timing.rebalance_timeout + Duration::from_secs(5),
            )
            .await?;
        match ResponseError::try_from_code(response.error_code) {
            None => {}
            Some(ResponseError::RebalanceInProgress | ResponseError::IllegalGeneration) => {
                return Err(Step::Again)
            }
            Some(ResponseError::UnknownMemberId) => {
                self.reset(true, "the coordinator does not know the member id");
                return Err(Step::Again);
            }
            Some(code @ ResponseError::CoordinatorLoadInProgress) => {
                return Err(Step::Retry(Error::group(code, "SyncGroup", &group)))
            }
            Some(code) if coordinator_moved(code) => {
                self.coordinator.mark_unknown();
                return Err(Step::Retry(Error::group(code, "SyncGroup", &group)));
            }
            Some(code) => return Err(Step::Fatal(Error::group(code, "SyncGroup", &group))),
        }
        let assignment = if response.assignment.is_empty() {
            Assignment::default()
        } else {
            consumer_protocol::decode_assignment(&response.assignment)
                .map_err(|e| Step::Fatal(e.into()))?
        };
        let assignment: Vec<TopicPartition> = assignment
            .iter()
            .map(|(t, p)| TopicPartition::new(t, p))
            .collect();
        {
            let mut s = self.lock();
            if s.generation == generation && s.member_id == member_id {
                s.stable = true;
                s.rejoin = None;
            }
        }
        tracing::debug!(%group, generation, partitions = assignment.len(), "synced group");
        Ok(Joined {
            generation,
            member_id,
            protocol,
            assignment,
            group_topics,
        })
    }

    /// The leader's part: every member's assignment, encoded.
    async fn assign(
        &self,
        plan: &JoinPlan,
        protocol: &str,
        members: &[JoinGroupResponseMember],
    ) -> Result<(Vec<(String, Bytes)>, BTreeMap<String, i32>)> {
        let assignor = plan
            .assignors
            .iter()
            .find(|a| a.name() == protocol)
            .ok_or_else(|| {
                Error::Config(format!(
                    "group {} chose assignor '{protocol}', which this consumer does not offer",
                    self.group_id()
                ))
            })?;
        let subscriptions: Vec<MemberSubscription> = members
            .iter()
            .map(|m| MemberSubscription {
                member_id: m.member_id.to_string(),
                group_instance_id: m.group_instance_id.as_ref().map(|s| s.to_string()),
                subscription: consumer_protocol::decode_subscription(&m.metadata)
                    .unwrap_or_else(|e| {
                        tracing::warn!(member = %m.member_id, error = %e, "undecodable member subscription; assigning it nothing");
                        Subscription::default()
                    }),
            })
            .collect();
        let topics: BTreeSet<String> = subscriptions
            .iter()
            .flat_map(|m| m.subscription.topics.iter().cloned())
            .collect();
        let group_topics = partition_counts(self.coordinator.client(), &topics).await?;
        let counts: BTreeMap<String, i32> = group_topics
            .iter()
            .filter(|(_, n)| **n >= 0)
            .map(|(t, n)| (t.clone(), *n))
            .collect();
        let result = assignor.assign(&counts, &subscriptions);
        let mut encoded = Vec::with_capacity(result.len());
        for (member, partitions) in result {
            let mut grouped: Vec<TopicPartitions> = Vec::new();
            for tp in partitions {
                match grouped.iter_mut().find(|t| t.topic == tp.topic) {
                    Some(t) => t.partitions.push(tp.partition),
                    None => grouped.push(TopicPartitions {
                        topic: tp.topic,
                        partitions: vec![tp.partition],
                    }),
                }
            }
            let bytes = consumer_protocol::encode_assignment(
                &Assignment {
                    partitions: grouped,
                    user_data: None,
                },
                HIGHEST_VERSION,
            )?;
            encoded.push((member, bytes));
        }
        tracing::debug!(group = %self.group_id(), members = encoded.len(), assignor = protocol, "computed assignment");
        Ok((encoded, group_topics))
    }

    /// Sends LeaveGroup for the current member id (if any) and forgets the
    /// member id and generation.
    pub(crate) async fn leave(&self, reason: &str) -> Result<()> {
        let member_id = {
            let mut s = self.lock();
            let id = std::mem::take(&mut s.member_id);
            s.generation = -1;
            s.stable = false;
            s.leader = false;
            s.rejoin = Some(reason.to_owned());
            id
        };
        if member_id.is_empty() {
            return Ok(());
        }
        let members = [LeavingMember {
            member_id: &member_id,
            group_instance_id: None,
            reason: Some(reason),
        }];
        let group = self.group_id();
        let (version, response) = self
            .coordinator
            .call::<LeaveGroupRequest>(|v| leave_group::request(v, group, &members), Duration::ZERO)
            .await?;
        tracing::debug!(%group, %member_id, reason, "left group");
        for (_, error) in leave_group::member_errors(&response, version, &members) {
            match error {
                None | Some(ResponseError::UnknownMemberId) => {}
                Some(code) => {
                    if coordinator_moved(code) {
                        self.coordinator.mark_unknown();
                    }
                    return Err(Error::group(code, "LeaveGroup", group));
                }
            }
        }
        Ok(())
    }

    /// The heartbeat task: runs until aborted.
    pub(crate) async fn heartbeat_loop(self: Arc<Self>) {
        let mut last_ok = Instant::now();
        loop {
            tokio::time::sleep(self.timing.heartbeat_interval).await;
            let s = self.state();
            if !s.stable || s.generation < 0 {
                last_ok = Instant::now();
                continue;
            }
            let idle = self
                .last_poll
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .elapsed();
            if idle > self.timing.rebalance_timeout {
                tracing::warn!(
                    group = %self.group_id(),
                    ?idle,
                    "no poll within max.poll.interval.ms; leaving the group"
                );
                if let Err(e) = self.leave("consumer poll timeout has expired").await {
                    tracing::debug!(error = %e, "leave after poll timeout failed");
                }
                continue;
            }
            let group = self.group_id();
            let result = self
                .coordinator
                .call::<HeartbeatRequest>(
                    |v| heartbeat::request(v, group, s.generation, &s.member_id, None),
                    Duration::ZERO,
                )
                .await;
            let current = self.state();
            if current.generation != s.generation || current.member_id != s.member_id {
                continue; // a join changed the membership meanwhile
            }
            match result {
                Ok((_, response)) => match ResponseError::try_from_code(response.error_code) {
                    None => last_ok = Instant::now(),
                    Some(ResponseError::RebalanceInProgress) => {
                        last_ok = Instant::now();
                        self.request_rejoin("the group is rebalancing");
                    }
                    Some(ResponseError::IllegalGeneration) => {
                        self.reset(false, "the generation is no longer valid")
                    }
                    Some(ResponseError::UnknownMemberId | ResponseError::FencedInstanceId) => {
                        self.reset(true, "the coordinator does not know the member id")
                    }
                    Some(code) if coordinator_moved(code) => self.coordinator.mark_unknown(),
                    Some(code) => {
                        tracing::debug!(%group, error = %code, "heartbeat failed")
                    }
                },
                Err(e) => tracing::debug!(%group, error = %e, "heartbeat failed"),
            }
            if last_ok.elapsed() > self.timing.session_timeout {
                tracing::debug!(%group, "no successful heartbeat within the session timeout");
                self.coordinator.mark_unknown();
                last_ok = Instant::now();
            }
        }
    }
}

/// Partition counts of `topics` from the cluster metadata (-1 for a topic
/// the cluster does not know).
pub(crate) async fn partition_counts(
    client: &Client,
    topics: &BTreeSet<String>,
) -> Result<BTreeMap<String, i32>> {
    let metadata = client.metadata().await?;
    let mut counts = BTreeMap::new();
    for topic in topics {
        let count = match metadata.topics.get(topic) {
            Some(t) => t.partitions.len() as i32,
            None => match client.topic(topic).await {
                Ok(t) => t.partitions.len() as i32,
                Err(Error::UnknownTopic(_)) => -1,
                Err(e) => return Err(e),
            },
        };
        counts.insert(topic.clone(), count);
    }
    Ok(counts)
}

fn millis(d: Duration) -> i32 {
    d.as_millis().min(i32::MAX as u128) as i32
}
