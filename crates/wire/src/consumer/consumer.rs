//! The consumer: reads records from the partitions assigned to it, either
//! by its consumer group (subscribing to topics or to a topic pattern) or
//! manually, and keeps and commits its positions.
//!
//! A [`Consumer`] is driven by its owner, as the Java consumer is: [`poll`]
//! joins or rejoins the group when needed, looks up starting positions
//! (committed offsets, else `auto.offset.reset`), fetches from every
//! partition leader at once and returns records up to a byte budget, and
//! commits positions every `auto.commit.interval.ms` when auto-commit is on.
//! Heartbeats run in a background task (see [`super::group`]), so a member
//! stays in its group between polls, up to `max.poll.interval.ms`.
//!
//! The group protocol is *eager*: before rejoining, the consumer gives up
//! every partition (committing its positions first when auto-commit is on),
//! and a partition's position after a rebalance is its committed offset.
//!
//! [`poll`]: Consumer::poll
//!
//! # References
//! - Java `org.apache.kafka.clients.consumer.KafkaConsumer` (behaviour and
//!   property names)
//! - KIP-62 (max.poll.interval.ms), KIP-266 (poll timeouts)

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::FetchResponse;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::assignor::{self, PartitionAssignor};
use super::config::ConsumerConfig;
use super::fetch::{decode_partition_batches, wait_ms, FetchConfig};
use super::group::membership::{GroupTiming, JoinPlan, Joined, Membership};
use super::{OffsetAndMetadata, OffsetReset, TopicPartition};
use crate::cluster::Client;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::fetch::{self as fetch_api, FetchLimits, PartitionFetch};
use crate::protocol::api::list_offsets::OffsetSpec;
use crate::record::{Headers, TimestampType};

/// A record as the consumer returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// Topic name.
    pub topic: Arc<str>,
    /// Partition index.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
    /// Timestamp in ms.
    pub timestamp: i64,
    /// Whether the timestamp is the producer's or the broker's.
    pub timestamp_type: TimestampType,
    /// Key; `None` is a null key.
    pub key: Option<Bytes>,
    /// Value; `None` is a null value.
    pub value: Option<Bytes>,
    /// Headers in order.
    pub headers: Headers,
}

impl ConsumedRecord {
    /// Bytes of key, value and headers: what counts against a poll's
    /// `max_bytes`.
    pub fn size(&self) -> usize {
        self.key.as_ref().map_or(0, Bytes::len)
            + self.value.as_ref().map_or(0, Bytes::len)
            + self
                .headers
                .iter()
                .map(|h| h.key.len() + h.value.as_ref().map_or(0, Bytes::len))
                .sum::<usize>()
    }
}

/// How the consumer gets its partitions.
#[derive(Debug, Clone)]
enum Subscribed {
    None,
    Topics(BTreeSet<String>),
    Pattern {
        source: String,
        regex: regex::Regex,
        matched: BTreeSet<String>,
    },
    Partitions,
}

impl Subscribed {
    fn describe(&self) -> &'static str {
        match self {
            Subscribed::None => "has no subscription",
            Subscribed::Topics(_) => "subscribes to topics",
            Subscribed::Pattern { .. } => "subscribes to a pattern",
            Subscribed::Partitions => "has manually assigned partitions",
        }
    }

    fn is_group_managed(&self) -> bool {
        matches!(self, Subscribed::Topics(_) | Subscribed::Pattern { .. })
    }

    fn topics(&self) -> BTreeSet<String> {
        match self {
            Subscribed::Topics(t) => t.clone(),
            Subscribed::Pattern { matched, .. } => matched.clone(),
            _ => BTreeSet::new(),
        }
    }
}

/// Where a partition is to be moved before the next fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResetTo {
    Earliest,
    Latest,
}

#[derive(Debug)]
struct PartitionState {
    /// The offset of the next record to return; `None` until known.
    position: Option<i64>,
    /// A pending move to the log start or end.
    reset: Option<ResetTo>,
    /// Fetched records not yet returned.
    buffered: VecDeque<ConsumedRecord>,
    /// The offset to fetch from once `buffered` is drained.
    fetch_position: Option<i64>,
    /// The high watermark from the last fetch.
    high_watermark: i64,
}

impl Default for PartitionState {
    fn default() -> Self {
        PartitionState {
            position: None,
            reset: None,
            buffered: VecDeque::new(),
            fetch_position: None,
            high_watermark: -1,
        }
    }
}

impl PartitionState {
    fn fetchable(&self) -> Option<i64> {
        if self.reset.is_some() || !self.buffered.is_empty() {
            return None;
        }
        self.fetch_position.or(self.position)
    }
}

#[derive(Debug)]
struct GroupHandle {
    membership: Arc<Membership>,
    heartbeat: Option<JoinHandle<()>>,
    join: Option<JoinHandle<Result<Joined>>>,
    /// As leader: the group's topics and partition counts the assignment
    /// was computed from; a change makes the group rebalance.
    leader_topics: Option<BTreeMap<String, i32>>,
}

/// A Kafka consumer; see the module documentation.
#[derive(Debug)]
pub struct Consumer {
    client: Client,
    config: ConsumerConfig,
    fetch: FetchConfig,
    assignors: Arc<[Box<dyn PartitionAssignor>]>,
    subscribed: Subscribed,
    partitions: BTreeMap<TopicPartition, PartitionState>,
    group: Option<GroupHandle>,
    auto_commit: Option<JoinHandle<()>>,
    next_auto_commit: Instant,
    /// When the metadata last checked for pattern or partition changes was
    /// fetched.
    metadata_seen: Option<std::time::Instant>,
    /// Where the next poll starts draining buffered records (fairness).
    drain_from: usize,
    closed: bool,
}

impl Consumer {
    /// A consumer with the client's consumer and fetch settings
    /// ([`crate::ClientConfig::consumer`] and [`crate::ClientConfig::fetch`]).
    pub fn new(client: Client) -> Result<Consumer> {
        let config = client.config().consumer.clone();
        let fetch = client.config().fetch.clone();
        Consumer::with_config(client, config, fetch)
    }

    /// A consumer with its own settings (a REST consumer instance's, say)
    /// over a shared client.
    /// Without a `group.id` nothing can be committed, so auto-commit is off,
    /// as in the Java consumer.
    pub fn with_config(
        client: Client,
        mut config: ConsumerConfig,
        fetch: FetchConfig,
    ) -> Result<Consumer> {
        config.validate()?;
        if config.group_id.is_none() {
            config.enable_auto_commit = false;
        }
        let assignors = config
            .assignment_strategies
            .iter()
            .map(|name| assignor::by_name(name))
            .collect::<Result<Vec<_>>>()?;
        if assignors.is_empty() {
            return Err(Error::Config(
                "partition.assignment.strategy: no assignor given".into(),
            ));
        }
        let group = config.group_id.clone().map(|group_id| {
            let c = client.config();
            GroupHandle {
                membership: Arc::new(Membership::new(
                    client.clone(),
                    group_id,
                    GroupTiming {
                        session_timeout: config.session_timeout,
                        rebalance_timeout: config.rebalance_timeout,
                        heartbeat_interval: config.heartbeat_interval,
                        retry_backoff: c.retry_backoff,
                        retry_backoff_max: c.retry_backoff_max,
                    },
                )),
                heartbeat: None,
                join: None,
                leader_topics: None,
            }
        });
        let next_auto_commit = Instant::now() + config.auto_commit_interval;
        Ok(Consumer {
            client,
            config,
            fetch,
            assignors: assignors.into(),
            subscribed: Subscribed::None,
            partitions: BTreeMap::new(),
            group,
            auto_commit: None,
            next_auto_commit,
            metadata_seen: None,
            drain_from: 0,
            closed: false,
        })
    }

    /// The consumer's group id, if it has one.
    pub fn group_id(&self) -> Option<&str> {
        self.config.group_id.as_deref()
    }

    /// The member id the coordinator gave this consumer (empty before the
    /// first join or without a group).
    pub fn member_id(&self) -> String {
        self.group
            .as_ref()
            .map(|g| g.membership.state().member_id)
            .unwrap_or_default()
    }

    /// The current generation of the group, -1 outside one.
    pub fn generation(&self) -> i32 {
        self.group
            .as_ref()
            .map_or(-1, |g| g.membership.state().generation)
    }

    /// The protocol (assignor) the group chose at the last join, e.g.
    /// `range` or `cooperative-sticky`; `None` before the first join or
    /// without a group.
    pub fn group_protocol(&self) -> Option<String> {
        self.group
            .as_ref()
            .and_then(|g| g.membership.state().protocol)
    }

    /// The broker id of the group's coordinator, once it has been found.
    pub fn coordinator_id(&self) -> Option<i32> {
        self.group
            .as_ref()
            .and_then(|g| g.membership.coordinator.node_id())
    }

    fn ensure_open(&self) -> Result<()> {
        if self.closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    fn membership(&self) -> Result<&Arc<Membership>> {
        self.group
            .as_ref()
            .map(|g| &g.membership)
            .ok_or_else(|| Error::Config("group.id is required for this operation".into()))
    }

    /// Subscribes to `topics` as a member of the consumer group; the group
    /// assigns the partitions on the next [`Consumer::poll`]. Replaces an
    /// earlier topic subscription.
    pub fn subscribe<I, S>(&mut self, topics: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ensure_open()?;
        let topics: BTreeSet<String> = topics
            .into_iter()
            .map(Into::into)
            .filter(|t| !t.trim().is_empty())
            .collect();
        match &self.subscribed {
            Subscribed::None | Subscribed::Topics(_) => {}
            other => {
                return Err(Error::SubscriptionConflict {
                    current: other.describe(),
                    requested: "subscribe to topics",
                })
            }
        }
        if topics.is_empty() {
            return Err(Error::Config(
                "subscribe needs at least one topic (use unsubscribe to stop)".into(),
            ));
        }
        self.membership()?;
        if matches!(&self.subscribed, Subscribed::Topics(t) if *t == topics) {
            return Ok(());
        }
        self.subscribed = Subscribed::Topics(topics);
        self.subscription_changed();
        Ok(())
    }

    /// Subscribes to every topic whose whole name matches `pattern` (a
    /// regular expression); the topics are matched again whenever the
    /// metadata changes, and the group rebalances when the set changes.
    pub fn subscribe_pattern(&mut self, pattern: &str) -> Result<()> {
        self.ensure_open()?;
        match &self.subscribed {
            Subscribed::None | Subscribed::Pattern { .. } => {}
            other => {
                return Err(Error::SubscriptionConflict {
                    current: other.describe(),
                    requested: "subscribe to a pattern",
                })
            }
        }
        let regex =
            regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| Error::InvalidPattern {
                pattern: pattern.to_owned(),
                message: e.to_string(),
            })?;
        self.membership()?;
        if matches!(&self.subscribed, Subscribed::Pattern { source, .. } if source == pattern) {
            return Ok(());
        }
        self.subscribed = Subscribed::Pattern {
            source: pattern.to_owned(),
            regex,
            matched: BTreeSet::new(),
        };
        self.metadata_seen = None;
        self.subscription_changed();
        Ok(())
    }

    fn subscription_changed(&mut self) {
        if let Some(g) = &mut self.group {
            if let Some(join) = g.join.take() {
                join.abort();
            }
            g.membership.request_rejoin("the subscription changed");
        }
    }

    /// Assigns `partitions` to this consumer directly, without group
    /// management. Positions of partitions that stay assigned are kept; an
    /// empty list drops the assignment.
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) -> Result<()> {
        self.ensure_open()?;
        match &self.subscribed {
            Subscribed::None | Subscribed::Partitions => {}
            other => {
                return Err(Error::SubscriptionConflict {
                    current: other.describe(),
                    requested: "assign partitions",
                })
            }
        }
        let wanted: BTreeSet<TopicPartition> = partitions.into_iter().collect();
        self.partitions.retain(|tp, _| wanted.contains(tp));
        for tp in &wanted {
            self.partitions.entry(tp.clone()).or_default();
        }
        self.subscribed = if wanted.is_empty() {
            Subscribed::None
        } else {
            Subscribed::Partitions
        };
        Ok(())
    }

    /// Stops consuming: commits the positions (when auto-commit is on),
    /// leaves the group and drops the subscription or assignment.
    pub async fn unsubscribe(&mut self) -> Result<()> {
        self.ensure_open()?;
        let mut first_error = None;
        if self.config.enable_auto_commit {
            if let Err(e) = self.commit_positions().await {
                first_error = Some(e);
            }
        }
        if let Some(g) = &mut self.group {
            if let Some(join) = g.join.take() {
                join.abort();
            }
            g.leader_topics = None;
            if self.subscribed.is_group_managed() {
                if let Err(e) = g.membership.leave("the consumer unsubscribed").await {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.partitions.clear();
        self.subscribed = Subscribed::None;
        first_error.map_or(Ok(()), Err)
    }

    /// The subscribed topics (for a pattern, the topics it matched so far).
    pub fn subscription(&self) -> BTreeSet<String> {
        self.subscribed.topics()
    }

    /// The subscription pattern, if the consumer subscribed to one.
    pub fn subscription_pattern(&self) -> Option<&str> {
        match &self.subscribed {
            Subscribed::Pattern { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The partitions currently assigned to this consumer.
    pub fn assignment(&self) -> BTreeSet<TopicPartition> {
        self.partitions.keys().cloned().collect()
    }

    fn state_mut(&mut self, tp: &TopicPartition) -> Result<&mut PartitionState> {
        self.partitions
            .get_mut(tp)
            .ok_or_else(|| Error::NotAssigned {
                topic: tp.topic.clone(),
                partition: tp.partition,
            })
    }

    /// Moves `tp` to `offset`; the next poll returns records from there.
    pub fn seek(&mut self, tp: &TopicPartition, offset: i64) -> Result<()> {
        let state = self.state_mut(tp)?;
        state.buffered.clear();
        state.reset = None;
        state.position = Some(offset);
        state.fetch_position = None;
        Ok(())
    }

    fn seek_to(&mut self, partitions: &[TopicPartition], to: ResetTo) -> Result<()> {
        let all: Vec<TopicPartition> = if partitions.is_empty() {
            self.partitions.keys().cloned().collect()
        } else {
            partitions.to_vec()
        };
        for tp in &all {
            self.state_mut(tp)?;
        }
        for tp in &all {
            let state = self.state_mut(tp)?;
            state.buffered.clear();
            state.position = None;
            state.fetch_position = None;
            state.reset = Some(to);
        }
        Ok(())
    }

    /// Moves `partitions` (every assigned one when empty) to the start of
    /// their logs; resolved on the next poll or position call.
    pub fn seek_to_beginning(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.seek_to(partitions, ResetTo::Earliest)
    }

    /// Moves `partitions` (every assigned one when empty) to the end of their
    /// logs; resolved on the next poll or position call.
    pub fn seek_to_end(&mut self, partitions: &[TopicPartition]) -> Result<()> {
        self.seek_to(partitions, ResetTo::Latest)
    }

    /// The offset of the next record the consumer returns for `tp`, looking
    /// up the committed offset or applying `auto.offset.reset` if needed.
    pub async fn position(&mut self, tp: &TopicPartition) -> Result<i64> {
        self.ensure_open()?;
        let state = self.state_mut(tp)?;
        if let (Some(p), None) = (state.position, state.reset) {
            return Ok(p);
        }
        self.update_positions().await?;
        let state = self.state_mut(tp)?;
        state.position.ok_or_else(|| Error::NoOffset {
            topic: tp.topic.clone(),
            partition: tp.partition,
        })
    }

    /// The position of `tp` if it is assigned and known, without looking
    /// anything up.
    pub fn known_position(&self, tp: &TopicPartition) -> Option<i64> {
        self.partitions
            .get(tp)
            .filter(|s| s.reset.is_none())
            .and_then(|s| s.position)
    }

    /// The group's committed offsets for `partitions` (`None` where nothing
    /// is committed).
    pub async fn committed(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        self.ensure_open()?;
        self.membership()?
            .coordinator
            .committed(Some(partitions), true)
            .await
    }

    /// Commits `offsets` (each the offset of the next record to consume, with
    /// an optional metadata string) for the group, waiting for the answer.
    /// A consumer in a group commits under its generation; if the group has
    /// moved on, the error says so ([`Error::needs_rejoin`]) and the consumer
    /// rejoins on its next poll.
    pub async fn commit(
        &mut self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<()> {
        self.ensure_open()?;
        if let Some(pending) = self.auto_commit.take() {
            let _ = pending.await;
        }
        self.commit_inner(&offsets).await
    }

    async fn commit_inner(
        &self,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<()> {
        let membership = self.membership()?;
        let (generation, member_id) = if self.subscribed.is_group_managed() {
            membership.commit_generation().ok_or_else(|| {
                Error::group(
                    ResponseError::RebalanceInProgress,
                    "OffsetCommit",
                    membership.group_id(),
                )
            })?
        } else {
            (-1, String::new())
        };
        let result = membership
            .coordinator
            .commit(generation, &member_id, offsets)
            .await;
        if let Err(e) = &result {
            if e.needs_rejoin() && self.subscribed.is_group_managed() {
                membership.request_rejoin("a commit found the generation out of date");
            }
        }
        result
    }

    fn consumed_positions(&self) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
        self.partitions
            .iter()
            .filter_map(|(tp, s)| {
                s.position
                    .filter(|_| s.reset.is_none())
                    .map(|p| (tp.clone(), OffsetAndMetadata::new(p)))
            })
            .collect()
    }

    /// Commits the position of every assigned partition: everything
    /// returned by `poll` so far.
    pub async fn commit_positions(&mut self) -> Result<()> {
        self.membership()?;
        let offsets = self.consumed_positions();
        if offsets.is_empty() {
            return Ok(());
        }
        if self.subscribed.is_group_managed()
            && self
                .group
                .as_ref()
                .is_some_and(|g| g.membership.commit_generation().is_none())
        {
            return Ok(()); // nothing owned in a valid generation
        }
        self.commit(offsets).await
    }

    /// Returns the next records, at most about `max_bytes` of keys, values
    /// and headers (at least one record when any is ready), waiting up to
    /// `timeout` for some. Joins or rejoins the group first when needed;
    /// a join that takes longer than `timeout` carries on in the background
    /// and the call returns no records.
    pub async fn poll(
        &mut self,
        timeout: Duration,
        max_bytes: usize,
    ) -> Result<Vec<ConsumedRecord>> {
        self.ensure_open()?;
        let deadline = Instant::now() + timeout;
        if let Some(g) = &self.group {
            g.membership.record_poll();
        }
        loop {
            self.maybe_auto_commit();
            if !self.update_group(deadline).await? {
                return Ok(Vec::new());
            }
            self.update_positions().await?;
            let records = self.drain(max_bytes);
            if !records.is_empty() {
                return Ok(records);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let wait = self.fetch.max_wait.min(deadline - now);
            if !self.fetch_round(wait).await? {
                // Nothing to fetch (no partitions yet): wait a little and
                // look at the group again.
                tokio::time::sleep_until(deadline.min(Instant::now() + Duration::from_millis(100)))
                    .await;
            }
        }
    }

    /// Starts an auto-commit of the positions when one is due.
    fn maybe_auto_commit(&mut self) {
        if !self.config.enable_auto_commit || Instant::now() < self.next_auto_commit {
            return;
        }
        if self.auto_commit.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let Some(g) = &self.group else { return };
        self.next_auto_commit = Instant::now() + self.config.auto_commit_interval;
        let offsets = self.consumed_positions();
        if offsets.is_empty() {
            return;
        }
        let (generation, member_id) = if self.subscribed.is_group_managed() {
            match g.membership.commit_generation() {
                Some(gm) => gm,
                None => return,
            }
        } else {
            (-1, String::new())
        };
        let membership = g.membership.clone();
        self.auto_commit = Some(tokio::spawn(async move {
            match membership
                .coordinator
                .commit(generation, &member_id, &offsets)
                .await
            {
                Ok(()) => {
                    tracing::trace!(group = %membership.group_id(), partitions = offsets.len(), "auto-committed")
                }
                Err(e) => {
                    tracing::debug!(group = %membership.group_id(), error = %e, "auto-commit failed");
                    if e.needs_rejoin() {
                        membership
                            .request_rejoin("an auto-commit found the generation out of date");
                    }
                }
            }
        }));
    }

    /// Brings group membership up to date: re-matches a pattern and checks
    /// the leader's topics when the metadata changed, and (re)joins when
    /// needed. Returns false if a join is still running at `deadline`.
    async fn update_group(&mut self, deadline: Instant) -> Result<bool> {
        if !self.subscribed.is_group_managed() {
            return Ok(true);
        }
        self.check_metadata().await?;
        let Some(g) = &mut self.group else {
            return Ok(true);
        };
        if g.heartbeat.is_none() {
            g.heartbeat = Some(tokio::spawn(g.membership.clone().heartbeat_loop()));
        }
        if g.join.is_none() && g.membership.needs_join() {
            // Eager protocol: give up every partition, committing first.
            let revoked = if self.config.enable_auto_commit {
                g.membership
                    .commit_generation()
                    .and_then(|(generation, member)| {
                        let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = self
                            .partitions
                            .iter()
                            .filter_map(|(tp, s)| {
                                s.position
                                    .filter(|_| s.reset.is_none())
                                    .map(|p| (tp.clone(), OffsetAndMetadata::new(p)))
                            })
                            .collect();
                        (!offsets.is_empty()).then_some((generation, member, offsets))
                    })
            } else {
                None
            };
            self.partitions.clear();
            g.leader_topics = None;
            let plan = JoinPlan {
                topics: self.subscribed.topics().into_iter().collect(),
                assignors: self.assignors.clone(),
                revoked,
                pending_commit: self.auto_commit.take(),
            };
            g.join = Some(tokio::spawn(g.membership.clone().join(plan)));
        }
        let Some(join) = g.join.as_mut() else {
            return Ok(true);
        };
        let outcome = match tokio::time::timeout_at(deadline, join).await {
            Err(_) => return Ok(false),
            Ok(outcome) => outcome,
        };
        g.join = None;
        let joined = match outcome {
            Ok(Ok(joined)) => joined,
            Ok(Err(e)) => return Err(e),
            Err(e) => {
                return Err(Error::Config(format!("the group join task failed: {e}")));
            }
        };
        tracing::debug!(
            group = %g.membership.group_id(),
            generation = joined.generation,
            member = %joined.member_id,
            protocol = %joined.protocol,
            partitions = ?joined.assignment,
            "assignment received"
        );
        g.leader_topics = joined.group_topics;
        self.partitions = joined
            .assignment
            .into_iter()
            .map(|tp| (tp, PartitionState::default()))
            .collect();
        self.next_auto_commit = Instant::now() + self.config.auto_commit_interval;
        Ok(true)
    }

    /// When the metadata changed: matches the pattern again, and as leader
    /// compares the group's topics with what the assignment used; either
    /// change asks for a rebalance.
    async fn check_metadata(&mut self) -> Result<()> {
        let metadata = self.client.metadata().await?;
        if self.metadata_seen == Some(metadata.fetched_at) {
            return Ok(());
        }
        self.metadata_seen = Some(metadata.fetched_at);
        let exclude_internal = self.config.exclude_internal_topics;
        let mut changed = None;
        if let Subscribed::Pattern { regex, matched, .. } = &mut self.subscribed {
            let now: BTreeSet<String> = metadata
                .topics
                .values()
                .filter(|t| !(exclude_internal && t.is_internal))
                .filter(|t| regex.is_match(&t.name))
                .map(|t| t.name.clone())
                .collect();
            if now != *matched {
                tracing::debug!(topics = ?now, "subscription pattern matches new topics");
                *matched = now;
                changed = Some("the topics matching the subscription pattern changed");
            }
        }
        if let Some(g) = &self.group {
            if let Some(topics) = &g.leader_topics {
                let differs = topics.iter().any(|(name, count)| {
                    let now = metadata
                        .topics
                        .get(name)
                        .map_or(-1, |t| t.partitions.len() as i32);
                    now != *count
                });
                if differs {
                    changed = Some("the partitions of the group's topics changed");
                }
            }
            if let Some(reason) = changed {
                g.membership.request_rejoin(reason);
            }
        }
        Ok(())
    }

    /// Sets the position of partitions that have none (committed offset,
    /// else `auto.offset.reset`) and resolves pending seeks to the start or
    /// end of the log.
    async fn update_positions(&mut self) -> Result<()> {
        let missing: Vec<TopicPartition> = self
            .partitions
            .iter()
            .filter(|(_, s)| s.position.is_none() && s.reset.is_none())
            .map(|(tp, _)| tp.clone())
            .collect();
        if !missing.is_empty() {
            if let Some(g) = &self.group {
                let committed = g
                    .membership
                    .coordinator
                    .committed(Some(&missing), true)
                    .await?;
                for (tp, offset) in committed {
                    if let (Some(offset), Some(state)) = (offset, self.partitions.get_mut(&tp)) {
                        if state.position.is_none() && state.reset.is_none() {
                            state.position = Some(offset.offset);
                        }
                    }
                }
            }
            for tp in &missing {
                let reset = self.config.auto_offset_reset;
                let Some(state) = self.partitions.get_mut(tp) else {
                    continue;
                };
                if state.position.is_some() {
                    continue;
                }
                state.reset = Some(match reset {
                    OffsetReset::Earliest => ResetTo::Earliest,
                    OffsetReset::Latest => ResetTo::Latest,
                    OffsetReset::None => {
                        return Err(Error::NoOffset {
                            topic: tp.topic.clone(),
                            partition: tp.partition,
                        })
                    }
                });
            }
        }
        let resets: Vec<(TopicPartition, ResetTo)> = self
            .partitions
            .iter()
            .filter_map(|(tp, s)| s.reset.map(|r| (tp.clone(), r)))
            .collect();
        if resets.is_empty() {
            return Ok(());
        }
        let mut lookups = JoinSet::new();
        for (tp, to) in resets {
            let client = self.client.clone();
            let isolation = self.fetch.isolation;
            lookups.spawn(async move {
                let spec = match to {
                    ResetTo::Earliest => OffsetSpec::Earliest,
                    ResetTo::Latest => OffsetSpec::Latest,
                };
                let found = client
                    .list_offset(&tp.topic, tp.partition, spec, isolation)
                    .await;
                (tp, to, found)
            });
        }
        let mut first_error = None;
        while let Some(done) = lookups.join_next().await {
            let Ok((tp, to, found)) = done else { continue };
            match found {
                Ok(found) => {
                    if let Some(state) = self.partitions.get_mut(&tp) {
                        if state.reset == Some(to) {
                            state.reset = None;
                            state.position = Some(found.offset);
                            state.fetch_position = None;
                            state.buffered.clear();
                        }
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Takes buffered records, partition by partition starting where the
    /// last call stopped, up to `max_bytes`; advances positions.
    fn drain(&mut self, max_bytes: usize) -> Vec<ConsumedRecord> {
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let n = self.partitions.len();
        if n == 0 {
            return out;
        }
        let start = self.drain_from % n;
        let keys: Vec<TopicPartition> = self
            .partitions
            .keys()
            .cycle()
            .skip(start)
            .take(n)
            .cloned()
            .collect();
        for (i, tp) in keys.iter().enumerate() {
            let Some(state) = self.partitions.get_mut(tp) else {
                continue;
            };
            while let Some(record) = state.buffered.front() {
                let size = record.size();
                if !out.is_empty() && bytes + size > max_bytes {
                    self.drain_from = start + i;
                    return out;
                }
                bytes += size;
                if let Some(record) = state.buffered.pop_front() {
                    state.position = Some(record.offset + 1);
                    out.push(record);
                }
            }
            if let Some(next) = state.fetch_position.take() {
                state.position = Some(state.position.map_or(next, |p| p.max(next)));
            }
        }
        self.drain_from = start + 1;
        out
    }

    /// Sends one Fetch to each leader of a partition that has a position
    /// and nothing buffered, waiting at most `wait` for data, and buffers
    /// what comes back. Returns false when there was nothing to fetch.
    async fn fetch_round(&mut self, wait: Duration) -> Result<bool> {
        let wanted: Vec<(TopicPartition, i64)> = self
            .partitions
            .iter()
            .filter_map(|(tp, s)| s.fetchable().map(|o| (tp.clone(), o)))
            .collect();
        if wanted.is_empty() {
            return Ok(false);
        }
        let metadata = self.client.metadata().await?;
        let mut by_leader: BTreeMap<i32, Vec<(TopicPartition, i64)>> = BTreeMap::new();
        for (tp, offset) in wanted {
            let leader = match metadata.topics.get(&tp.topic) {
                Some(t) => t.partition(tp.partition).map(|p| p.leader),
                None => match self.client.topic(&tp.topic).await {
                    Ok(t) => t.partition(tp.partition).map(|p| p.leader),
                    Err(e) => {
                        tracing::debug!(partition = %tp, error = %e, "no metadata for partition");
                        None
                    }
                },
            };
            match leader {
                Some(id) if id >= 0 => by_leader.entry(id).or_default().push((tp, offset)),
                _ => self.client.invalidate_metadata(),
            }
        }
        if by_leader.is_empty() {
            tokio::time::sleep(self.client.config().retry_backoff.min(wait)).await;
            return Ok(true);
        }
        let limits = FetchLimits {
            max_wait_ms: wait_ms(wait),
            min_bytes: self.fetch.min_bytes,
            max_bytes: self.fetch.max_bytes,
            isolation: self.fetch.isolation,
        };
        let mut requests = JoinSet::new();
        for (leader, partitions) in by_leader {
            let client = self.client.clone();
            let request = fetch_api::request(
                limits,
                partitions.iter().map(|(tp, offset)| PartitionFetch {
                    topic: &tp.topic,
                    partition: tp.partition,
                    offset: *offset,
                    max_bytes: self.fetch.max_partition_bytes,
                }),
            );
            requests.spawn(async move {
                let result = match client.broker(leader).await {
                    Ok(conn) => conn.call_with_timeout(&request, wait).await,
                    Err(e) => Err(e),
                };
                (partitions, result)
            });
        }
        let mut first_error = None;
        while let Some(done) = requests.join_next().await {
            let Ok((partitions, result)) = done else {
                continue;
            };
            match result {
                Ok(response) => {
                    if let Err(e) = self.take_fetched(&partitions, response) {
                        first_error.get_or_insert(e);
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "fetch failed");
                    if e.invalidates_metadata() {
                        self.client.invalidate_metadata();
                    }
                    if !e.is_retriable() {
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        first_error.map_or(Ok(true), Err)
    }

    /// Buffers the records of one fetch response and handles its errors.
    fn take_fetched(
        &mut self,
        asked: &[(TopicPartition, i64)],
        response: FetchResponse,
    ) -> Result<()> {
        if let Some(code) = ResponseError::try_from_code(response.error_code) {
            if code.is_retriable() {
                return Ok(());
            }
            return Err(Error::broker(code, "Fetch"));
        }
        let asked: BTreeMap<&TopicPartition, i64> = asked.iter().map(|(tp, o)| (tp, *o)).collect();
        for topic in response.responses {
            let name: Arc<str> = Arc::from(topic.topic.0.as_str());
            for data in topic.partitions {
                let tp = TopicPartition::new(&*name, data.partition_index);
                let Some(&offset) = asked.get(&tp) else {
                    continue;
                };
                let Some(state) = self.partitions.get_mut(&tp) else {
                    continue;
                };
                if state.fetchable() != Some(offset) {
                    continue; // sought elsewhere meanwhile
                }
                match ResponseError::try_from_code(data.error_code) {
                    None => {}
                    Some(ResponseError::OffsetOutOfRange) => {
                        tracing::debug!(partition = %tp, offset, "offset out of range");
                        state.reset = Some(match self.config.auto_offset_reset {
                            OffsetReset::Earliest => ResetTo::Earliest,
                            OffsetReset::Latest => ResetTo::Latest,
                            OffsetReset::None => {
                                return Err(Error::Broker {
                                    code: ResponseError::OffsetOutOfRange,
                                    api: "Fetch",
                                    topic: Some(tp.topic.clone()),
                                    partition: Some(tp.partition),
                                    message: None,
                                })
                            }
                        });
                        state.position = None;
                        state.fetch_position = None;
                        continue;
                    }
                    Some(code)
                        if code.is_retriable()
                            || matches!(
                                code,
                                ResponseError::FencedLeaderEpoch
                                    | ResponseError::UnknownLeaderEpoch
                                    | ResponseError::OffsetNotAvailable
                                    | ResponseError::KafkaStorageError
                            ) =>
                    {
                        tracing::debug!(partition = %tp, error = %code, "fetch error; refreshing metadata");
                        self.client.invalidate_metadata();
                        continue;
                    }
                    Some(code) => {
                        return Err(Error::Broker {
                            code,
                            api: "Fetch",
                            topic: Some(tp.topic.clone()),
                            partition: Some(tp.partition),
                            message: None,
                        })
                    }
                }
                state.high_watermark = data.high_watermark;
                let (batches, next) = decode_partition_batches(data, offset, &self.fetch)?;
                for batch in batches {
                    let timestamp_type = batch.header.timestamp_type();
                    for r in batch.records.into_iter().filter(|r| r.offset >= offset) {
                        state.buffered.push_back(ConsumedRecord {
                            topic: name.clone(),
                            partition: tp.partition,
                            offset: r.offset,
                            timestamp: r.timestamp,
                            timestamp_type,
                            key: r.key,
                            value: r.value,
                            headers: r.headers,
                        });
                    }
                }
                if next > offset {
                    if state.buffered.is_empty() {
                        state.position = Some(next);
                    } else {
                        state.fetch_position = Some(next);
                    }
                }
            }
        }
        Ok(())
    }

    /// The high watermark of `tp` from the last fetch (-1 before one).
    pub fn high_watermark(&self, tp: &TopicPartition) -> Option<i64> {
        self.partitions.get(tp).map(|s| s.high_watermark)
    }

    /// Closes the consumer: commits the positions when auto-commit is on,
    /// leaves the group and stops the heartbeat task. Returns the first
    /// error of those steps; the consumer is closed either way.
    pub async fn close(mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut first_error = None;
        if let Some(g) = &mut self.group {
            if let Some(join) = g.join.take() {
                join.abort();
            }
        }
        if let Some(pending) = self.auto_commit.take() {
            let _ = pending.await;
        }
        if self.config.enable_auto_commit {
            if let Err(e) = self.commit_positions().await {
                first_error = Some(e);
            }
        }
        if let Some(g) = &mut self.group {
            if let Some(heartbeat) = g.heartbeat.take() {
                heartbeat.abort();
            }
            if self.subscribed.is_group_managed() {
                if let Err(e) = g.membership.leave("the consumer is being closed").await {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.closed = true;
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        if let Some(pending) = self.auto_commit.take() {
            pending.abort();
        }
        let Some(g) = &mut self.group else { return };
        if let Some(join) = g.join.take() {
            join.abort();
        }
        if let Some(heartbeat) = g.heartbeat.take() {
            heartbeat.abort();
        }
        // A consumer dropped without close still leaves its group, so the
        // others do not wait for its session to time out.
        if !self.closed && !g.membership.state().member_id.is_empty() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let membership = g.membership.clone();
                runtime.spawn(async move {
                    let _ = membership.leave("the consumer was dropped").await;
                });
            }
        }
    }
}
