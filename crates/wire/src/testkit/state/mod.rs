//! The cluster's whole state, shared by every broker behind one mutex:
//! brokers, topics with their partitions and logs, dynamic configs,
//! producer ids, and the injected faults. It does no I/O; the handlers read
//! and change it, and the server moves the bytes.
//!
//! Replication is not simulated: every broker sees the same log, so a
//! partition's replicas are always in sync, the high watermark is the log
//! end, and a leader change (a moved leader, a stopped broker) loses nothing.

pub(crate) mod acls;
pub(crate) mod configs;
pub(crate) mod groups;
pub(crate) mod log;
pub(crate) mod producers;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::ClusterConfig;
use crate::error::ResponseError;
use acls::AclStore;
use configs::Layers;
use groups::{partition_for, Group};
use log::PartitionLog;
use producers::Producers;

/// Longest topic name Kafka accepts.
const MAX_TOPIC_NAME: usize = 249;
/// The topic whose partition leaders coordinate the groups.
pub(crate) const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// Most partitions one topic may have here (memory guard).
pub(crate) const MAX_PARTITIONS: i32 = 100_000;

/// One broker of the cluster.
#[derive(Debug)]
pub(crate) struct Broker {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// Whether its listener is up.
    pub(crate) running: bool,
    /// Whether it is registered (an UnregisterBroker of a stopped broker
    /// clears this until it starts again).
    pub(crate) registered: bool,
    /// Per-broker dynamic configs.
    pub(crate) configs: BTreeMap<String, String>,
}

/// One partition: replicas, leader and log.
#[derive(Debug)]
pub(crate) struct Partition {
    pub(crate) replicas: Vec<i32>,
    pub(crate) isr: Vec<i32>,
    /// Leader broker id, -1 when no replica is available.
    pub(crate) leader: i32,
    pub(crate) leader_epoch: i32,
    pub(crate) log: PartitionLog,
    pub(crate) producers: Producers,
    /// A reassignment under way.
    pub(crate) reassignment: Option<Reassignment>,
}

/// A partition moving to other replicas.
#[derive(Debug, Clone)]
pub(crate) struct Reassignment {
    pub(crate) target: Vec<i32>,
    pub(crate) original: Vec<i32>,
    pub(crate) done_at: Instant,
}

impl Reassignment {
    /// Replicas being added.
    pub(crate) fn adding(&self) -> Vec<i32> {
        self.target
            .iter()
            .copied()
            .filter(|b| !self.original.contains(b))
            .collect()
    }

    /// Replicas being removed.
    pub(crate) fn removing(&self) -> Vec<i32> {
        self.original
            .iter()
            .copied()
            .filter(|b| !self.target.contains(b))
            .collect()
    }
}

impl Partition {
    fn new(replicas: Vec<i32>, alive: impl Fn(i32) -> bool) -> Partition {
        let isr: Vec<i32> = replicas.iter().copied().filter(|b| alive(*b)).collect();
        let leader = isr.first().copied().unwrap_or(-1);
        let mut log = PartitionLog::default();
        log.assign_epoch(0);
        Partition {
            replicas,
            isr,
            leader,
            leader_epoch: 0,
            log,
            producers: Producers::default(),
            reassignment: None,
        }
    }

    /// Starts moving the partition to `target`: meanwhile its replicas are
    /// the target followed by the replicas being removed, and the new ones
    /// join the ISR at once (their log is the shared one).
    pub(crate) fn start_reassignment(&mut self, target: Vec<i32>, done_at: Instant, alive: &[i32]) {
        let original = match self.reassignment.take() {
            Some(r) => r.original,
            None => self.replicas.clone(),
        };
        let mut replicas = target.clone();
        replicas.extend(original.iter().copied().filter(|b| !target.contains(b)));
        for b in &target {
            if alive.contains(b) && !self.isr.contains(b) {
                self.isr.push(*b);
            }
        }
        self.replicas = replicas;
        self.reassignment = Some(Reassignment {
            target,
            original,
            done_at,
        });
    }

    /// Ends a reassignment: the replicas become `target` (or, cancelled,
    /// the original ones), and a leader that is no longer a replica hands
    /// over to the first live one.
    pub(crate) fn end_reassignment(&mut self, cancel: bool, alive: &[i32]) {
        let Some(r) = self.reassignment.take() else {
            return;
        };
        self.replicas = if cancel { r.original } else { r.target };
        let replicas = self.replicas.clone();
        self.isr.retain(|b| replicas.contains(b));
        if !self.replicas.contains(&self.leader) {
            let next = self
                .replicas
                .iter()
                .copied()
                .find(|b| alive.contains(b) && self.isr.contains(b));
            self.set_leader(next.unwrap_or(-1));
        }
    }

    /// Makes `leader` (-1 for none) the leader with a new epoch.
    pub(crate) fn set_leader(&mut self, leader: i32) {
        self.leader = leader;
        self.leader_epoch += 1;
        if leader >= 0 {
            self.log.assign_epoch(self.leader_epoch);
        }
    }

    /// Replicas that are not in sync (their broker is down).
    pub(crate) fn offline_replicas(&self, alive: impl Fn(i32) -> bool) -> Vec<i32> {
        self.replicas
            .iter()
            .copied()
            .filter(|b| !alive(*b))
            .collect()
    }
}

/// One topic.
#[derive(Debug)]
pub(crate) struct Topic {
    pub(crate) name: String,
    pub(crate) id: Uuid,
    pub(crate) internal: bool,
    /// Topic-level config overrides.
    pub(crate) configs: BTreeMap<String, String>,
    pub(crate) partitions: Vec<Partition>,
}

/// Faults injected through [`super::Cluster`].
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Error codes for the next requests of an API key, in order.
    failures: HashMap<i16, VecDeque<i16>>,
    /// Response delays by API key; `None` applies to every API.
    delays: HashMap<Option<i16>, Duration>,
}

impl Faults {
    pub(crate) fn fail_next(&mut self, api_key: i16, code: i16, count: usize) {
        self.failures
            .entry(api_key)
            .or_default()
            .extend(std::iter::repeat_n(code, count));
    }

    /// The error code the next request of `api_key` must get, if any.
    pub(crate) fn take_failure(&mut self, api_key: i16) -> Option<i16> {
        self.failures.get_mut(&api_key)?.pop_front()
    }

    pub(crate) fn set_delay(&mut self, api_key: Option<i16>, delay: Duration) {
        if delay.is_zero() {
            self.delays.remove(&api_key);
        } else {
            self.delays.insert(api_key, delay);
        }
    }

    /// How long to hold a response of `api_key`.
    pub(crate) fn delay(&self, api_key: i16) -> Duration {
        let specific = self.delays.get(&Some(api_key)).copied();
        let all = self.delays.get(&None).copied();
        specific.into_iter().chain(all).max().unwrap_or_default()
    }
}

/// A topic to create, as CreateTopics (or a test) describes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewTopic {
    pub(crate) name: String,
    /// -1 for the default.
    pub(crate) partitions: i32,
    /// -1 for the default.
    pub(crate) replication: i16,
    /// Explicit replica lists by partition index.
    pub(crate) assignments: Vec<(i32, Vec<i32>)>,
    pub(crate) configs: Vec<(String, Option<String>)>,
}

/// A validated topic creation.
#[derive(Debug, Clone)]
pub(crate) struct TopicPlan {
    pub(crate) name: String,
    pub(crate) replicas: Vec<Vec<i32>>,
    pub(crate) configs: BTreeMap<String, String>,
}

/// A Kafka error code with its message.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) code: ResponseError,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: ResponseError, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// Everything the brokers share.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: ClusterConfig,
    pub(crate) brokers: BTreeMap<i32, Broker>,
    /// Cluster-wide dynamic broker configs (the BROKER resource named "").
    pub(crate) cluster_configs: BTreeMap<String, String>,
    pub(crate) topics: BTreeMap<String, Topic>,
    pub(crate) topic_names: HashMap<Uuid, String>,
    /// Consumer groups by id.
    pub(crate) groups: BTreeMap<String, Group>,
    pub(crate) acls: AclStore,
    pub(crate) next_producer_id: i64,
    pub(crate) faults: Faults,
    /// Requests handled, by API key.
    pub(crate) requests: HashMap<i16, u64>,
    /// Bumped on every append, so waiting fetches know to look again.
    pub(crate) appends: u64,
}

impl State {
    pub(crate) fn new(config: ClusterConfig, addresses: &[(String, u16)]) -> State {
        let brokers = addresses
            .iter()
            .enumerate()
            .map(|(i, (host, port))| {
                (
                    i as i32 + 1,
                    Broker {
                        host: host.clone(),
                        port: *port,
                        running: true,
                        registered: true,
                        configs: BTreeMap::new(),
                    },
                )
            })
            .collect();
        State {
            config,
            brokers,
            cluster_configs: BTreeMap::new(),
            topics: BTreeMap::new(),
            topic_names: HashMap::new(),
            groups: BTreeMap::new(),
            acls: AclStore::default(),
            next_producer_id: 1000,
            faults: Faults::default(),
            requests: HashMap::new(),
            appends: 0,
        }
    }

    /// Whether broker `id` is up.
    pub(crate) fn is_alive(&self, id: i32) -> bool {
        self.brokers.get(&id).is_some_and(|b| b.running)
    }

    /// Ids of the brokers that are up, ascending.
    pub(crate) fn alive_brokers(&self) -> Vec<i32> {
        self.brokers
            .iter()
            .filter(|(_, b)| b.running)
            .map(|(id, _)| *id)
            .collect()
    }

    /// The controller: the lowest broker id that is up (-1 if none).
    pub(crate) fn controller(&self) -> i32 {
        self.alive_brokers().first().copied().unwrap_or(-1)
    }

    /// The default replication factor (`default.replication.factor`).
    pub(crate) fn default_replication(&self) -> i16 {
        self.config
            .default_replication
            .unwrap_or_else(|| self.config.brokers.min(3) as i16)
    }

    /// The config layers as broker `broker` sees them.
    pub(crate) fn layers<'a>(
        &'a self,
        broker: i32,
        statics: &'a BTreeMap<&'static str, String>,
    ) -> Layers<'a> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        Layers {
            broker: self.brokers.get(&broker).map_or(&EMPTY, |b| &b.configs),
            cluster: &self.cluster_configs,
            statics,
        }
    }

    /// Broker settings that come from the cluster configuration, reported as
    /// `STATIC_BROKER_CONFIG`.
    pub(crate) fn static_configs(&self, broker: i32) -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        let c = &self.config;
        m.insert("node.id", broker.to_string());
        if let Some(b) = self.brokers.get(&broker) {
            let listener = format!("PLAINTEXT://{}:{}", b.host, b.port);
            m.insert("listeners", listener.clone());
            m.insert("advertised.listeners", listener);
        }
        m.insert("num.partitions", c.default_partitions.to_string());
        m.insert(
            "default.replication.factor",
            self.default_replication().to_string(),
        );
        m.insert(
            "auto.create.topics.enable",
            c.auto_create_topics.to_string(),
        );
        m.insert(
            "offsets.topic.num.partitions",
            c.offsets_topic_partitions.to_string(),
        );
        m.insert(
            "offsets.topic.replication.factor",
            self.offsets_replication().to_string(),
        );
        m.insert(
            "group.initial.rebalance.delay.ms",
            c.group_initial_rebalance_delay.as_millis().to_string(),
        );
        m.insert(
            "group.min.session.timeout.ms",
            c.group_min_session_timeout.as_millis().to_string(),
        );
        m.insert(
            "group.max.session.timeout.ms",
            c.group_max_session_timeout.as_millis().to_string(),
        );
        m.insert("log.dirs", format!("memory:/broker-{broker}"));
        m
    }

    /// Replication factor of internal topics.
    pub(crate) fn offsets_replication(&self) -> i16 {
        self.config.brokers.min(3) as i16
    }

    /// The effective value of a topic config as broker `broker` sees it.
    pub(crate) fn topic_config(&self, topic: &Topic, name: &str, broker: i32) -> Option<String> {
        let statics = BTreeMap::new();
        configs::topic_value(name, &topic.configs, self.layers(broker, &statics))
    }

    /// A topic config parsed as a number, with a fallback.
    pub(crate) fn topic_config_i64(&self, topic: &Topic, name: &str, broker: i32) -> Option<i64> {
        self.topic_config(topic, name, broker)
            .and_then(|v| v.trim().parse().ok())
    }

    /// Looks a topic up by id.
    pub(crate) fn topic_by_id(&self, id: &Uuid) -> Option<&Topic> {
        self.topic_names.get(id).and_then(|n| self.topics.get(n))
    }

    /// Validates a topic creation without changing anything.
    pub(crate) fn plan_topic(&self, spec: &NewTopic) -> Result<TopicPlan, Failure> {
        validate_topic_name(&spec.name)?;
        if self.topics.contains_key(&spec.name) {
            return Err(Failure::new(
                ResponseError::TopicAlreadyExists,
                format!("Topic '{}' already exists.", spec.name),
            ));
        }
        let folded = fold_name(&spec.name);
        if let Some(other) = self
            .topics
            .keys()
            .find(|existing| fold_name(existing) == folded)
        {
            return Err(Failure::new(
                ResponseError::InvalidTopicException,
                format!(
                    "Topic '{}' collides with existing topic: {other}",
                    spec.name
                ),
            ));
        }
        let replicas = if spec.assignments.is_empty() {
            let partitions = match spec.partitions {
                -1 => self.config.default_partitions,
                n if n <= 0 => {
                    return Err(Failure::new(
                        ResponseError::InvalidPartitions,
                        "Number of partitions was set to an invalid non-positive value.",
                    ))
                }
                n => n,
            };
            if partitions > MAX_PARTITIONS {
                return Err(Failure::new(
                    ResponseError::InvalidPartitions,
                    format!("At most {MAX_PARTITIONS} partitions per topic are supported."),
                ));
            }
            let replication =
                match spec.replication {
                    -1 => self.default_replication(),
                    n if n <= 0 => return Err(Failure::new(
                        ResponseError::InvalidReplicationFactor,
                        "Replication factor must be larger than 0, or -1 to use the default value.",
                    )),
                    n => n,
                };
            self.assign_replicas(0, partitions, replication)?
        } else {
            if spec.partitions != -1 || spec.replication != -1 {
                return Err(Failure::new(
                    ResponseError::InvalidRequest,
                    "A manual partition assignment was specified, but numPartitions or \
                     replicationFactor was not set to -1.",
                ));
            }
            let mut sorted = spec.assignments.clone();
            sorted.sort_by_key(|(p, _)| *p);
            for (i, (p, _)) in sorted.iter().enumerate() {
                if *p != i as i32 {
                    return Err(Failure::new(
                        ResponseError::InvalidReplicaAssignment,
                        "Partitions should be a consecutive 0-based integer sequence.",
                    ));
                }
            }
            let lists: Vec<Vec<i32>> = sorted.into_iter().map(|(_, r)| r).collect();
            for list in &lists {
                self.validate_replica_list(list)?;
                if list.len() != lists[0].len() {
                    return Err(Failure::new(
                        ResponseError::InvalidReplicaAssignment,
                        "All partitions in the manual partition assignment must have the same \
                         number of replicas.",
                    ));
                }
            }
            lists
        };
        let mut configs = BTreeMap::new();
        for (name, value) in &spec.configs {
            let Some(value) = value else {
                return Err(Failure::new(
                    ResponseError::InvalidRequest,
                    format!("Null value not supported for topic configs: {name}"),
                ));
            };
            configs::validate_topic(name, value)
                .map_err(|m| Failure::new(ResponseError::InvalidConfig, m))?;
            configs.insert(name.clone(), value.clone());
        }
        Ok(TopicPlan {
            name: spec.name.clone(),
            replicas,
            configs,
        })
    }

    /// Checks an explicit replica list.
    pub(crate) fn validate_replica_list(&self, list: &[i32]) -> Result<(), Failure> {
        if list.is_empty() {
            return Err(Failure::new(
                ResponseError::InvalidReplicaAssignment,
                "The manual partition assignment includes an empty replica list.",
            ));
        }
        let mut seen = list.to_vec();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != list.len() {
            return Err(Failure::new(
                ResponseError::InvalidReplicaAssignment,
                "The manual partition assignment includes a duplicate replica.",
            ));
        }
        if let Some(b) = list.iter().find(|b| !self.brokers.contains_key(b)) {
            return Err(Failure::new(
                ResponseError::InvalidReplicaAssignment,
                format!("The manual partition assignment includes broker {b}, but no such broker is registered."),
            ));
        }
        Ok(())
    }

    /// Round-robin replica lists for partitions `first..first + count` over
    /// the brokers that are up: partition `p` is led by the `p`-th broker.
    pub(crate) fn assign_replicas(
        &self,
        first: i32,
        count: i32,
        replication: i16,
    ) -> Result<Vec<Vec<i32>>, Failure> {
        let alive = self.alive_brokers();
        if replication as usize > alive.len() {
            return Err(Failure::new(
                ResponseError::InvalidReplicationFactor,
                format!(
                    "Unable to replicate the partition {replication} time(s): The target \
                     replication factor of {replication} cannot be reached because only {} \
                     broker(s) are registered.",
                    alive.len()
                ),
            ));
        }
        let n = alive.len();
        Ok((first..first + count)
            .map(|p| {
                (0..replication as usize)
                    .map(|i| alive[(p as usize + i) % n])
                    .collect()
            })
            .collect())
    }

    /// Creates a validated topic; returns its id.
    pub(crate) fn create_topic(&mut self, plan: TopicPlan, internal: bool) -> Uuid {
        let id = loop {
            let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
            if !self.topic_names.contains_key(&id) {
                break id;
            }
        };
        let partitions = plan
            .replicas
            .into_iter()
            .map(|r| Partition::new(r, |b| self.brokers.get(&b).is_some_and(|b| b.running)))
            .collect();
        self.topic_names.insert(id, plan.name.clone());
        self.topics.insert(
            plan.name.clone(),
            Topic {
                name: plan.name,
                id,
                internal,
                configs: plan.configs,
                partitions,
            },
        );
        id
    }

    /// Adds partitions to an existing topic.
    pub(crate) fn add_partitions(&mut self, topic: &str, replicas: Vec<Vec<i32>>) {
        let alive: Vec<i32> = self.alive_brokers();
        if let Some(t) = self.topics.get_mut(topic) {
            for r in replicas {
                t.partitions.push(Partition::new(r, |b| alive.contains(&b)));
            }
        }
    }

    /// Removes a topic, and the offsets groups committed for it.
    pub(crate) fn delete_topic(&mut self, name: &str) -> Option<Topic> {
        let topic = self.topics.remove(name)?;
        self.topic_names.remove(&topic.id);
        for g in self.groups.values_mut() {
            g.offsets.retain(|(t, _), _| t != name);
        }
        Some(topic)
    }

    /// The broker coordinating `group`: the leader of its partition of the
    /// offsets topic, which is created on first use.
    pub(crate) fn group_coordinator(&mut self, group: &str) -> Result<i32, ResponseError> {
        if !self.topics.contains_key(OFFSETS_TOPIC) {
            let replication = self.alive_brokers().len().min(3) as i16;
            let plan = self
                .plan_topic(&NewTopic {
                    name: OFFSETS_TOPIC.to_owned(),
                    partitions: self.config.offsets_topic_partitions,
                    replication,
                    assignments: Vec::new(),
                    configs: vec![
                        ("cleanup.policy".into(), Some("compact".into())),
                        ("compression.type".into(), Some("producer".into())),
                        ("segment.bytes".into(), Some("104857600".into())),
                    ],
                })
                .map_err(|_| ResponseError::CoordinatorNotAvailable)?;
            self.create_topic(plan, true);
        }
        let topic = &self.topics[OFFSETS_TOPIC];
        let index = partition_for(group, topic.partitions.len() as i32);
        match topic.partitions.get(index as usize).map(|p| p.leader) {
            Some(leader) if leader >= 0 => Ok(leader),
            _ => Err(ResponseError::CoordinatorNotAvailable),
        }
    }

    /// Runs the group timers and finishes reassignments that are due.
    pub(crate) fn tick(&mut self, now: Instant) {
        let delay = self.config.group_initial_rebalance_delay;
        for g in self.groups.values_mut() {
            g.tick(now, delay);
        }
        let alive = self.alive_brokers();
        for p in self
            .topics
            .values_mut()
            .flat_map(|t| t.partitions.iter_mut())
        {
            if p.reassignment.as_ref().is_some_and(|r| r.done_at <= now) {
                p.end_reassignment(false, &alive);
            }
        }
    }

    /// Marks a broker down: it leaves every ISR, and partitions it led get
    /// the next in-sync replica that is up as leader (or none).
    pub(crate) fn broker_stopped(&mut self, id: i32) {
        let Some(b) = self.brokers.get_mut(&id) else {
            return;
        };
        b.running = false;
        let alive = self.alive_brokers();
        for p in self
            .topics
            .values_mut()
            .flat_map(|t| t.partitions.iter_mut())
        {
            if !p.replicas.contains(&id) {
                continue;
            }
            let remaining: Vec<i32> = p.isr.iter().copied().filter(|b| *b != id).collect();
            if p.leader == id {
                let next = p
                    .replicas
                    .iter()
                    .copied()
                    .find(|r| remaining.contains(r) && alive.contains(r));
                match next {
                    Some(leader) => {
                        p.isr = remaining;
                        p.set_leader(leader);
                    }
                    // The last in-sync replica stays in the ISR, as in Kafka.
                    None => p.set_leader(-1),
                }
            } else if !remaining.is_empty() {
                p.isr = remaining;
            }
        }
    }

    /// Marks a broker up again: it rejoins the ISR of its partitions (its log
    /// is the shared one, so it is in sync at once) and leads those that had
    /// no leader.
    pub(crate) fn broker_started(&mut self, id: i32) {
        let Some(b) = self.brokers.get_mut(&id) else {
            return;
        };
        b.running = true;
        b.registered = true;
        let alive = self.alive_brokers();
        for p in self
            .topics
            .values_mut()
            .flat_map(|t| t.partitions.iter_mut())
        {
            if !p.replicas.contains(&id) {
                continue;
            }
            if p.leader < 0 {
                // The log is shared, so any replica may lead without loss.
                p.isr = p
                    .replicas
                    .iter()
                    .copied()
                    .filter(|b| alive.contains(b))
                    .collect();
                p.set_leader(id);
            } else if !p.isr.contains(&id) {
                p.isr.push(id);
            }
        }
    }

    /// A partition by topic name and index.
    pub(crate) fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        self.topics
            .get_mut(topic)?
            .partitions
            .get_mut(usize::try_from(partition).ok()?)
    }

    /// A new producer id.
    pub(crate) fn allocate_producer_id(&mut self) -> i64 {
        let id = self.next_producer_id;
        self.next_producer_id += 1;
        id
    }
}

/// Kafka's topic name rules: 1 to 249 characters of `[a-zA-Z0-9._-]`, and
/// not `.` or `..`.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), Failure> {
    let invalid = |why: String| Err(Failure::new(ResponseError::InvalidTopicException, why));
    if name.is_empty() {
        return invalid("Topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return invalid("Topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > MAX_TOPIC_NAME {
        return invalid(format!(
            "Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME} characters, topic name: {name}"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return invalid(format!(
            "Topic name {name} is illegal, it contains a character other than ASCII \
             alphanumerics, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// Names that differ only in `.` versus `_` collide in metric names, so Kafka
/// refuses the second one.
fn fold_name(name: &str) -> String {
    name.replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(brokers: usize) -> State {
        let config = ClusterConfig {
            brokers,
            ..ClusterConfig::default()
        };
        let addrs: Vec<(String, u16)> = (0..brokers)
            .map(|i| ("127.0.0.1".to_owned(), 9000 + i as u16))
            .collect();
        State::new(config, &addrs)
    }

    fn create(s: &mut State, name: &str, partitions: i32, replication: i16) -> Result<(), Failure> {
        let plan = s.plan_topic(&NewTopic {
            name: name.into(),
            partitions,
            replication,
            ..NewTopic::default()
        })?;
        s.create_topic(plan, false);
        Ok(())
    }

    #[test]
    fn topic_creation_rules() {
        let mut s = state(3);
        create(&mut s, "a.b", 6, 2).unwrap();
        let t = &s.topics["a.b"];
        let leaders: Vec<i32> = t.partitions.iter().map(|p| p.leader).collect();
        assert_eq!(leaders, vec![1, 2, 3, 1, 2, 3]);
        assert_eq!(t.partitions[2].replicas, vec![3, 1]);
        let code = |r: Result<(), Failure>| r.unwrap_err().code;
        assert_eq!(
            code(create(&mut s, "a.b", 1, 1)),
            ResponseError::TopicAlreadyExists
        );
        assert_eq!(
            code(create(&mut s, "a_b", 1, 1)),
            ResponseError::InvalidTopicException
        );
        assert_eq!(
            code(create(&mut s, "bad name", 1, 1)),
            ResponseError::InvalidTopicException
        );
        assert_eq!(
            code(create(&mut s, "..", 1, 1)),
            ResponseError::InvalidTopicException
        );
        assert_eq!(
            code(create(&mut s, "x", 0, 1)),
            ResponseError::InvalidPartitions
        );
        assert_eq!(
            code(create(&mut s, "x", 1, 4)),
            ResponseError::InvalidReplicationFactor
        );
        assert_eq!(
            code(create(&mut s, "x", 1, 0)),
            ResponseError::InvalidReplicationFactor
        );
        create(&mut s, "defaults", -1, -1).unwrap();
        assert_eq!(s.topics["defaults"].partitions.len(), 1);
        assert_eq!(s.topics["defaults"].partitions[0].replicas.len(), 3);
        let bad_config = s.plan_topic(&NewTopic {
            name: "c".into(),
            partitions: 1,
            replication: 1,
            configs: vec![("retention.ms".into(), Some("never".into()))],
            ..NewTopic::default()
        });
        assert_eq!(bad_config.unwrap_err().code, ResponseError::InvalidConfig);
        let assigned = s.plan_topic(&NewTopic {
            name: "m".into(),
            partitions: -1,
            replication: -1,
            assignments: vec![(1, vec![2, 3]), (0, vec![3, 1])],
            ..NewTopic::default()
        });
        assert_eq!(assigned.unwrap().replicas, vec![vec![3, 1], vec![2, 3]]);
        for assignments in [
            vec![(0, vec![1, 1])],
            vec![(0, vec![9])],
            vec![(1, vec![1])],
            vec![(0, vec![1]), (1, vec![1, 2])],
        ] {
            let r = s.plan_topic(&NewTopic {
                name: "m".into(),
                partitions: -1,
                replication: -1,
                assignments,
                ..NewTopic::default()
            });
            assert_eq!(r.unwrap_err().code, ResponseError::InvalidReplicaAssignment);
        }
    }

    #[test]
    fn leaders_fail_over_and_come_back() {
        let mut s = state(3);
        create(&mut s, "t", 3, 2).unwrap();
        create(&mut s, "single", 1, 1).unwrap();
        s.broker_stopped(1);
        let t = &s.topics["t"];
        assert_eq!(t.partitions[0].leader, 2, "replicas [1, 2]");
        assert_eq!(t.partitions[0].isr, vec![2]);
        assert_eq!(t.partitions[0].leader_epoch, 1);
        assert_eq!(t.partitions[2].leader, 3, "replicas [3, 1]: leader kept");
        assert_eq!(t.partitions[2].isr, vec![3]);
        assert_eq!(s.topics["single"].partitions[0].leader, -1);
        assert_eq!(s.topics["single"].partitions[0].isr, vec![1]);
        s.broker_started(1);
        let t = &s.topics["t"];
        assert_eq!(t.partitions[0].leader, 2, "no automatic move back");
        assert_eq!(t.partitions[0].isr, vec![2, 1]);
        let single = &s.topics["single"].partitions[0];
        assert_eq!((single.leader, single.leader_epoch), (1, 2));
    }

    #[test]
    fn faults_queue_and_delays_combine() {
        let mut f = Faults::default();
        f.fail_next(0, 6, 2);
        f.fail_next(0, 7, 1);
        assert_eq!(
            (
                f.take_failure(0),
                f.take_failure(0),
                f.take_failure(0),
                f.take_failure(0)
            ),
            (Some(6), Some(6), Some(7), None)
        );
        f.set_delay(None, Duration::from_millis(5));
        f.set_delay(Some(1), Duration::from_millis(9));
        assert_eq!(f.delay(1), Duration::from_millis(9));
        assert_eq!(f.delay(0), Duration::from_millis(5));
        f.set_delay(None, Duration::ZERO);
        assert_eq!(f.delay(0), Duration::ZERO);
    }
}
