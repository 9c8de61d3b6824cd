//! The classic group coordinator: group membership, generations, leader
//! election, protocol selection and the rebalance state machine, plus the
//! committed offsets of each group.
//!
//! States, as Kafka names them:
//! - `Empty`: no members (offsets may still be committed);
//! - `PreparingRebalance`: waiting for every member to (re)join, until the
//!   largest rebalance timeout of the members; members that do not rejoin
//!   in time are removed;
//! - `CompletingRebalance`: the new generation is announced, waiting for the
//!   leader's assignment in SyncGroup (until the rebalance timeout; then
//!   members that did not sync are removed and the group rebalances again);
//! - `Stable`: the assignment is known.
//!
//! A member joining, leaving, changing its protocols (or a leader rejoining),
//! and a member whose session times out (no heartbeat, commit or join within
//! `session.timeout.ms`) start a rebalance. Members waiting in JoinGroup or
//! SyncGroup are kept alive. New members without an id get one and
//! `MEMBER_ID_REQUIRED` first (JoinGroup v4+), and must rejoin with it within
//! their session timeout.
//!
//! Simplification: a static member (`group.instance.id`) that rejoins under a
//! new member id replaces its old id (the old one is fenced) and the group
//! rebalances; Kafka skips that rebalance when nothing else changed.
//!
//! # References
//! - <https://cwiki.apache.org/confluence/display/KAFKA/Kafka+Client-side+Assignment+Proposal>
//! - KIP-62 (rebalance timeout), KIP-134 (initial rebalance delay),
//!   KIP-345 (static membership), KIP-394 (member id required)

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{
    ConsumerProtocolSubscription, JoinGroupResponse, SyncGroupResponse,
};
use kafka_protocol::protocol::{Decodable, StrBytes};
use tokio::sync::oneshot;

use crate::error::ResponseError;

/// A group's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    /// The name Kafka reports (DescribeGroups, ListGroups).
    pub(crate) fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

/// A JoinGroup waiting for the rebalance to complete.
#[derive(Debug)]
pub(crate) struct JoinWaiter {
    pub(crate) version: i16,
    pub(crate) tx: oneshot::Sender<JoinGroupResponse>,
}

/// A SyncGroup waiting for the leader's assignment.
#[derive(Debug)]
pub(crate) struct SyncWaiter {
    pub(crate) version: i16,
    pub(crate) tx: oneshot::Sender<SyncGroupResponse>,
}

/// A group member.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) client_id: String,
    pub(crate) client_host: String,
    pub(crate) session_timeout: Duration,
    pub(crate) rebalance_timeout: Duration,
    pub(crate) protocol_type: String,
    /// `(name, metadata)` in the member's order of preference.
    pub(crate) protocols: Vec<(String, Bytes)>,
    pub(crate) assignment: Bytes,
    pub(crate) last_heartbeat: Instant,
    pub(crate) join: Option<JoinWaiter>,
    pub(crate) sync: Option<SyncWaiter>,
}

impl Member {
    fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(n, _)| n == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

/// A committed offset.
#[derive(Debug, Clone)]
pub(crate) struct CommittedOffset {
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
    pub(crate) metadata: Option<String>,
}

/// A consumer group (classic protocol).
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) state: GroupState,
    pub(crate) generation: i32,
    pub(crate) protocol_type: Option<String>,
    pub(crate) protocol: Option<String>,
    pub(crate) leader: Option<String>,
    /// Members in the order they joined.
    pub(crate) members: IndexMap<String, Member>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the deadline to
    /// rejoin.
    pending: HashMap<String, Instant>,
    rebalance_deadline: Option<Instant>,
    join_not_before: Option<Instant>,
    sync_deadline: Option<Instant>,
    pub(crate) offsets: BTreeMap<(String, i32), CommittedOffset>,
}

impl Group {
    pub(crate) fn new(id: &str) -> Group {
        Group {
            id: id.to_owned(),
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: IndexMap::new(),
            pending: HashMap::new(),
            rebalance_deadline: None,
            join_not_before: None,
            sync_deadline: None,
            offsets: BTreeMap::new(),
        }
    }

    /// Whether the group has no members (it may still hold offsets).
    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty() && self.pending.is_empty()
    }

    /// Whether a member id was handed out and is expected to rejoin.
    pub(crate) fn take_pending(&mut self, member_id: &str) -> bool {
        self.pending.remove(member_id).is_some()
    }

    /// Remembers a member id handed out with MEMBER_ID_REQUIRED.
    pub(crate) fn add_pending(&mut self, member_id: String, deadline: Instant) {
        self.pending.insert(member_id, deadline);
    }

    /// The member with this static instance id.
    pub(crate) fn member_by_instance(&self, instance_id: &str) -> Option<&str> {
        self.members
            .values()
            .find(|m| m.instance_id.as_deref() == Some(instance_id))
            .map(|m| m.id.as_str())
    }

    /// Protocols every member supports, in the first member's order.
    fn candidate_protocols(&self) -> Vec<String> {
        let mut members = self.members.values();
        let Some(first) = members.next() else {
            return Vec::new();
        };
        let mut candidates: Vec<String> = first.protocols.iter().map(|(n, _)| n.clone()).collect();
        for m in members {
            candidates.retain(|c| m.protocols.iter().any(|(n, _)| n == c));
        }
        candidates
    }

    /// Whether a member with this protocol type and these protocols may
    /// join.
    pub(crate) fn supports(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocols.is_empty();
        }
        if self.protocol_type.as_deref() != Some(protocol_type) {
            return false;
        }
        let candidates = self.candidate_protocols();
        protocols.iter().any(|(n, _)| candidates.contains(n))
    }

    /// Each member votes for its most preferred candidate; the most voted
    /// wins (on a tie, the first candidate).
    fn select_protocol(&self) -> Option<String> {
        let candidates = self.candidate_protocols();
        let mut votes: HashMap<&str, usize> = HashMap::new();
        for m in self.members.values() {
            if let Some((n, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(n)) {
                *votes.entry(n.as_str()).or_default() += 1;
            }
        }
        let mut best: Option<(&String, usize)> = None;
        for c in &candidates {
            let v = votes.get(c.as_str()).copied().unwrap_or(0);
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((c, v));
            }
        }
        best.map(|(c, _)| c.clone())
    }

    fn max_rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default()
    }

    /// Adds a member that waits in JoinGroup, starting a rebalance if none
    /// is under way.
    pub(crate) fn add_member(&mut self, member: Member, now: Instant, initial_delay: Duration) {
        if self.protocol_type.is_none() || self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        self.members.insert(member.id.clone(), member);
        match self.state {
            GroupState::PreparingRebalance => self.maybe_complete_join(now),
            _ => self.prepare_rebalance(now, initial_delay),
        }
    }

    /// Starts a rebalance: members must rejoin.
    pub(crate) fn prepare_rebalance(&mut self, now: Instant, initial_delay: Duration) {
        if self.state == GroupState::CompletingRebalance {
            for m in self.members.values_mut() {
                m.assignment = Bytes::new();
                if let Some(w) = m.sync.take() {
                    let _ = w.tx.send(sync_error(ResponseError::RebalanceInProgress));
                }
            }
        }
        let was_empty = self.state == GroupState::Empty;
        self.state = GroupState::PreparingRebalance;
        self.sync_deadline = None;
        let timeout = self.max_rebalance_timeout();
        self.rebalance_deadline = Some(now + timeout);
        self.join_not_before =
            (was_empty && !initial_delay.is_zero()).then(|| now + initial_delay.min(timeout));
        self.maybe_complete_join(now);
    }

    /// Completes the join phase if every member has rejoined.
    pub(crate) fn maybe_complete_join(&mut self, now: Instant) {
        if self.state != GroupState::PreparingRebalance
            || self.join_not_before.is_some_and(|t| now < t)
        {
            return;
        }
        if self.pending.is_empty() && self.members.values().all(|m| m.join.is_some()) {
            self.complete_join(now);
        }
    }

    /// Starts the next generation with the members that rejoined and
    /// answers their JoinGroup requests.
    fn complete_join(&mut self, now: Instant) {
        let gone: Vec<String> = self
            .members
            .values()
            .filter(|m| m.join.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            self.drop_member(&id);
        }
        self.pending.clear();
        self.rebalance_deadline = None;
        self.join_not_before = None;
        self.generation += 1;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.protocol = None;
            self.leader = None;
            return;
        }
        self.protocol = self.select_protocol();
        if !self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l))
        {
            self.leader = self.members.keys().next().cloned();
        }
        self.state = GroupState::CompletingRebalance;
        self.sync_deadline = Some(now + self.max_rebalance_timeout());
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let waiter = self.members.get_mut(&id).and_then(|m| {
                m.last_heartbeat = now;
                m.join.take()
            });
            if let Some(w) = waiter {
                let response = self.join_response(&id, w.version);
                let _ = w.tx.send(response);
            }
        }
    }

    /// The JoinGroup answer of the current generation for `member_id` (the
    /// leader also gets every member's metadata).
    pub(crate) fn join_response(&self, member_id: &str, version: i16) -> JoinGroupResponse {
        let protocol = self.protocol.clone().unwrap_or_default();
        let is_leader = self.leader.as_deref() == Some(member_id);
        let members = if is_leader {
            self.members
                .values()
                .map(|m| {
                    let mut r = JoinGroupResponseMember::default()
                        .with_member_id(StrBytes::from_string(m.id.clone()))
                        .with_metadata(m.metadata(&protocol));
                    if version >= 5 {
                        r.group_instance_id = m.instance_id.clone().map(StrBytes::from_string);
                    }
                    r
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut response = JoinGroupResponse::default()
            .with_generation_id(self.generation)
            .with_protocol_name(Some(StrBytes::from_string(protocol)))
            .with_leader(StrBytes::from_string(
                self.leader.clone().unwrap_or_default(),
            ))
            .with_member_id(StrBytes::from_string(member_id.to_owned()))
            .with_members(members);
        if version >= 7 {
            response.protocol_type = self.protocol_type.clone().map(StrBytes::from_string);
        }
        response
    }

    /// Removes a member, answering its waiting requests, without starting a
    /// rebalance.
    fn drop_member(&mut self, id: &str) -> Option<Member> {
        let mut m = self.members.shift_remove(id)?;
        if let Some(w) = m.join.take() {
            let _ = w.tx.send(join_error(ResponseError::UnknownMemberId, id));
        }
        if let Some(w) = m.sync.take() {
            let _ = w.tx.send(sync_error(ResponseError::UnknownMemberId));
        }
        if self.leader.as_deref() == Some(id) {
            self.leader = None;
        }
        Some(m)
    }

    /// Removes a member (it left, was fenced or timed out) and rebalances.
    pub(crate) fn remove_member(
        &mut self,
        id: &str,
        now: Instant,
        initial_delay: Duration,
    ) -> bool {
        if self.drop_member(id).is_none() {
            return false;
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now, initial_delay)
            }
            GroupState::PreparingRebalance => self.maybe_complete_join(now),
            GroupState::Empty => {}
        }
        true
    }

    /// Stores the leader's assignment and answers every waiting SyncGroup.
    pub(crate) fn assign(&mut self, assignments: HashMap<String, Bytes>) {
        for m in self.members.values_mut() {
            m.assignment = assignments.get(&m.id).cloned().unwrap_or_default();
        }
        self.state = GroupState::Stable;
        self.sync_deadline = None;
        let protocol_type = self.protocol_type.clone();
        let protocol = self.protocol.clone();
        for m in self.members.values_mut() {
            if let Some(w) = m.sync.take() {
                let _ = w.tx.send(sync_response(
                    w.version,
                    protocol_type.clone(),
                    protocol.clone(),
                    m.assignment.clone(),
                ));
            }
        }
    }

    /// Runs the timers: pending member ids, session timeouts, the join and
    /// sync deadlines.
    pub(crate) fn tick(&mut self, now: Instant, initial_delay: Duration) {
        let before = self.pending.len();
        self.pending.retain(|_, deadline| *deadline > now);
        if self.pending.len() != before {
            self.maybe_complete_join(now);
        }
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| {
                m.join.is_none()
                    && m.sync.is_none()
                    && now.saturating_duration_since(m.last_heartbeat) > m.session_timeout
            })
            .map(|m| m.id.clone())
            .collect();
        for id in expired {
            tracing::debug!(group = %self.id, member = %id, "session timed out");
            self.remove_member(&id, now, initial_delay);
        }
        match self.state {
            GroupState::PreparingRebalance => {
                if self.rebalance_deadline.is_some_and(|d| now >= d) {
                    self.complete_join(now);
                } else {
                    self.maybe_complete_join(now);
                }
            }
            GroupState::CompletingRebalance if self.sync_deadline.is_some_and(|d| now >= d) => {
                let lagging: Vec<String> = self
                    .members
                    .values()
                    .filter(|m| m.sync.is_none())
                    .map(|m| m.id.clone())
                    .collect();
                for id in &lagging {
                    self.drop_member(id);
                }
                self.prepare_rebalance(now, initial_delay);
            }
            _ => {}
        }
    }

    /// Topics the members subscribe to, for a `consumer` group (`None` when
    /// the protocol is not the consumer one).
    pub(crate) fn subscribed_topics(&self) -> Option<HashSet<String>> {
        if self.protocol_type.as_deref() != Some("consumer") {
            return None;
        }
        let protocol = self.protocol.as_deref()?;
        let mut topics = HashSet::new();
        for m in self.members.values() {
            let mut metadata = m.metadata(protocol);
            if metadata.len() < 2 {
                continue;
            }
            let version = metadata.get_i16().clamp(0, 3);
            if let Ok(s) = ConsumerProtocolSubscription::decode(&mut metadata, version) {
                topics.extend(s.topics.iter().map(|t| t.to_string()));
            }
        }
        Some(topics)
    }
}

/// A JoinGroup error answer.
pub(crate) fn join_error(code: ResponseError, member_id: &str) -> JoinGroupResponse {
    JoinGroupResponse::default()
        .with_error_code(code.code())
        .with_generation_id(-1)
        .with_member_id(StrBytes::from_string(member_id.to_owned()))
}

/// A SyncGroup error answer.
pub(crate) fn sync_error(code: ResponseError) -> SyncGroupResponse {
    SyncGroupResponse::default().with_error_code(code.code())
}

/// A successful SyncGroup answer.
pub(crate) fn sync_response(
    version: i16,
    protocol_type: Option<String>,
    protocol: Option<String>,
    assignment: Bytes,
) -> SyncGroupResponse {
    let mut r = SyncGroupResponse::default().with_assignment(assignment);
    if version >= 5 {
        r.protocol_type = protocol_type.map(StrBytes::from_string);
        r.protocol_name = protocol.map(StrBytes::from_string);
    }
    r
}

/// Kafka's `Utils.abs(groupId.hashCode) % partitions`: the partition of the
/// offsets topic whose leader coordinates the group.
pub(crate) fn partition_for(group: &str, partitions: i32) -> i32 {
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    abs % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: Duration = Duration::from_secs(10);

    fn member(id: &str, protocols: &[&str]) -> (Member, oneshot::Receiver<JoinGroupResponse>) {
        let (tx, rx) = oneshot::channel();
        let m = Member {
            id: id.to_owned(),
            instance_id: None,
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            session_timeout: SESSION,
            rebalance_timeout: Duration::from_secs(5),
            protocol_type: "consumer".into(),
            protocols: protocols
                .iter()
                .map(|p| (p.to_string(), Bytes::from(format!("{id}:{p}"))))
                .collect(),
            assignment: Bytes::new(),
            last_heartbeat: Instant::now(),
            join: Some(JoinWaiter { version: 7, tx }),
            sync: None,
        };
        (m, rx)
    }

    fn rejoin(g: &mut Group, id: &str) -> oneshot::Receiver<JoinGroupResponse> {
        let (tx, rx) = oneshot::channel();
        g.members.get_mut(id).unwrap().join = Some(JoinWaiter { version: 7, tx });
        rx
    }

    #[test]
    fn java_hash_placement() {
        // "group".hashCode() = 98629247 in Java.
        assert_eq!(partition_for("group", 50), 98_629_247 % 50);
        assert_eq!(partition_for("", 50), 0);
        assert!((0..50).contains(&partition_for("a-long-group-name-ÿ", 50)));
    }

    #[test]
    fn first_member_completes_at_once_and_leads() {
        let now = Instant::now();
        let mut g = Group::new("g");
        let (a, mut rx) = member("a", &["range", "roundrobin"]);
        g.add_member(a, now, Duration::ZERO);
        let r = rx.try_recv().expect("answered");
        assert_eq!((r.error_code, r.generation_id), (0, 1));
        assert_eq!(r.leader.as_str(), "a");
        assert_eq!(r.protocol_name.as_deref(), Some("range"));
        assert_eq!(r.members.len(), 1);
        assert_eq!(g.state, GroupState::CompletingRebalance);
        g.assign(HashMap::from([("a".to_owned(), Bytes::from_static(b"p0"))]));
        assert_eq!(g.state, GroupState::Stable);
        assert_eq!(g.members["a"].assignment, Bytes::from_static(b"p0"));
    }

    #[test]
    fn a_second_member_rebalances_and_protocols_are_voted() {
        let now = Instant::now();
        let mut g = Group::new("g");
        let (a, _) = member("a", &["range", "roundrobin"]);
        g.add_member(a, now, Duration::ZERO);
        g.assign(HashMap::new());
        let (b, mut rx_b) = member("b", &["roundrobin", "range"]);
        assert!(g.supports("consumer", &b.protocols));
        assert!(!g.supports("connect", &b.protocols));
        assert!(!g.supports("consumer", &[("sticky".into(), Bytes::new())]));
        g.add_member(b, now, Duration::ZERO);
        assert_eq!(g.state, GroupState::PreparingRebalance);
        assert!(rx_b.try_recv().is_err(), "waits for a to rejoin");
        let mut rx_a = rejoin(&mut g, "a");
        g.maybe_complete_join(now);
        let ra = rx_a.try_recv().expect("a answered");
        let rb = rx_b.try_recv().expect("b answered");
        assert_eq!((ra.generation_id, rb.generation_id), (2, 2));
        assert_eq!(ra.leader.as_str(), "a", "the leader stays");
        assert_eq!(ra.members.len(), 2);
        assert!(rb.members.is_empty());
        // One vote each: the tie goes to the first candidate (a's order).
        assert_eq!(ra.protocol_name.as_deref(), Some("range"));
    }

    #[test]
    fn members_that_do_not_rejoin_are_dropped_at_the_deadline() {
        let now = Instant::now();
        let mut g = Group::new("g");
        let (a, _) = member("a", &["range"]);
        g.add_member(a, now, Duration::ZERO);
        g.assign(HashMap::new());
        let (b, mut rx_b) = member("b", &["range"]);
        g.add_member(b, now, Duration::ZERO);
        g.tick(now + Duration::from_secs(4), Duration::ZERO);
        assert!(rx_b.try_recv().is_err());
        g.tick(now + Duration::from_secs(6), Duration::ZERO);
        let rb = rx_b.try_recv().expect("completed at the deadline");
        assert_eq!(rb.leader.as_str(), "b");
        assert_eq!(g.members.len(), 1);
    }

    #[test]
    fn session_timeouts_and_leaving_rebalance() {
        let now = Instant::now();
        let mut g = Group::new("g");
        let (a, _) = member("a", &["range"]);
        g.add_member(a, now, Duration::ZERO);
        g.assign(HashMap::new());
        g.tick(now + SESSION + Duration::from_millis(1), Duration::ZERO);
        assert_eq!(g.state, GroupState::Empty, "the only member expired");
        assert_eq!(g.generation, 2);
        let (b, _) = member("b", &["range"]);
        g.add_member(b, now, Duration::ZERO);
        assert!(g.remove_member("b", now, Duration::ZERO));
        assert_eq!(g.state, GroupState::Empty);
        assert!(!g.remove_member("b", now, Duration::ZERO));
    }

    #[test]
    fn a_leader_that_never_syncs_is_removed() {
        let now = Instant::now();
        let mut g = Group::new("g");
        let (a, _) = member("a", &["range"]);
        g.add_member(a, now, Duration::ZERO);
        g.tick(now + Duration::from_secs(6), Duration::ZERO);
        assert_eq!(g.state, GroupState::Empty);
    }

    #[test]
    fn the_initial_delay_waits_for_more_members() {
        let now = Instant::now();
        let mut g = Group::new("g");
        let (a, mut rx_a) = member("a", &["range"]);
        g.add_member(a, now, Duration::from_secs(1));
        let (b, mut rx_b) = member("b", &["range"]);
        g.add_member(b, now, Duration::from_secs(1));
        assert!(rx_a.try_recv().is_err());
        g.tick(now + Duration::from_millis(1001), Duration::from_secs(1));
        assert_eq!(rx_a.try_recv().expect("a").generation_id, 1);
        assert_eq!(rx_b.try_recv().expect("b").generation_id, 1);
    }
}
