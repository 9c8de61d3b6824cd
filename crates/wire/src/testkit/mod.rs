//! An in-process Kafka-compatible cluster for tests and development (the
//! role librdkafka's mock cluster or franz-go's `kfake` play).
//!
//! [`Cluster::start`] starts a few brokers on free ports of 127.0.0.1 that
//! speak the Kafka protocol (plaintext, no authentication) to any client:
//! the `wire` client, librdkafka, the Java client. They share one in-memory
//! state, so there is no replication to wait for and nothing is lost when a
//! leader moves or a broker stops. It is a development and test tool, not a
//! storage engine: nothing is persisted and retention is not enforced.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use wire::testkit::{Cluster, ClusterConfig};
//!
//! let cluster = Cluster::start(ClusterConfig::default()).await?;
//! cluster.create_topic("orders", 3, 3)?;
//! let client = wire::Client::connect(wire::ClientConfig::new(&cluster.bootstrap())?).await?;
//! # drop(client);
//! cluster.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! What it serves (see `docs/testing.md` for the details and the limits):
//! ApiVersions, Metadata, Produce (with idempotence), Fetch, ListOffsets,
//! OffsetForLeaderEpoch, InitProducerId, CreateTopics, DeleteTopics,
//! CreatePartitions, DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
//! DescribeCluster, a classic group coordinator (FindCoordinator, JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
//! DescribeGroups, DeleteGroups, OffsetDelete), CreateAcls, DescribeAcls,
//! DeleteAcls, DeleteRecords, AlterPartitionReassignments,
//! ListPartitionReassignments, ElectLeaders, DescribeLogDirs and
//! UnregisterBroker, answering with Kafka's error codes.
//!
//! Faults can be injected at any time: error codes for the next requests of
//! an API ([`Cluster::fail_next`]), slow responses
//! ([`Cluster::delay_responses`]), dropped connections, leader moves, and
//! brokers stopped and restarted on the same port.
//!
//! Layout: `state` (topics, logs, configs, producers, groups, ACLs — no
//! I/O), `handlers` (one module per API), `dispatch` (frame → handler →
//! frame) and `server` (listeners and connections).
//!
//! # References
//! - Kafka protocol guide: <https://kafka.apache.org/protocol>

mod dispatch;
mod handlers;
mod server;
mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kafka_protocol::messages::ApiKey;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::error::{Error, ResponseError};
use crate::record::Record;
use state::{NewTopic, State};

/// How to build a [`Cluster`]. Durations and counts mirror the Kafka broker
/// settings named in the field docs.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Number of brokers, with ids `1..=brokers`.
    pub brokers: usize,
    /// The cluster id reported in Metadata and DescribeCluster.
    pub cluster_id: String,
    /// `num.partitions`: partitions of a topic created without a count.
    pub default_partitions: i32,
    /// `default.replication.factor`; `None` means `min(3, brokers)`.
    pub default_replication: Option<i16>,
    /// `auto.create.topics.enable`: whether Metadata requests create unknown
    /// topics (when the request allows it too).
    pub auto_create_topics: bool,
    /// `offsets.topic.num.partitions`: partitions of `__consumer_offsets`.
    pub offsets_topic_partitions: i32,
    /// `group.initial.rebalance.delay.ms` (Kafka's default is 3 s; 0 here so
    /// tests do not wait).
    pub group_initial_rebalance_delay: Duration,
    /// `group.min.session.timeout.ms`.
    pub group_min_session_timeout: Duration,
    /// `group.max.session.timeout.ms`.
    pub group_max_session_timeout: Duration,
    /// How long a partition reassignment stays in progress (and is listed
    /// by ListPartitionReassignments) before it completes; zero completes
    /// it at once.
    pub reassignment_delay: Duration,
    /// Fixed ports for the brokers, in id order; empty for free ports.
    pub ports: Vec<u16>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            brokers: 3,
            cluster_id: "testkit-cluster".to_owned(),
            default_partitions: 1,
            default_replication: None,
            auto_create_topics: false,
            offsets_topic_partitions: 50,
            group_initial_rebalance_delay: Duration::ZERO,
            group_min_session_timeout: Duration::from_secs(6),
            group_max_session_timeout: Duration::from_secs(1800),
            reassignment_delay: Duration::ZERO,
            ports: Vec::new(),
        }
    }
}

/// How often the group timers (session and rebalance timeouts) run.
const TICK: Duration = Duration::from_millis(20);

/// What the brokers share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Woken after every append, for Fetch requests waiting for data.
    appended: Notify,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running broker: its accept task and its connections' kill switch.
#[derive(Debug)]
struct BrokerHandle {
    port: u16,
    accept: Option<JoinHandle<()>>,
    kill: Arc<watch::Sender<u64>>,
}

/// An in-process Kafka-compatible cluster. Its tasks run on the runtime it
/// was started on ([`Cluster::start`]) or on a runtime of its own
/// ([`Cluster::start_background`]); dropping it stops every broker.
pub struct Cluster {
    shared: Arc<Shared>,
    cluster_id: String,
    brokers: Mutex<BTreeMap<i32, BrokerHandle>>,
    runtime: tokio::runtime::Handle,
    /// Runs the group timers.
    ticker: JoinHandle<()>,
    /// The runtime owned by a cluster from [`Cluster::start_background`].
    owned_runtime: Option<tokio::runtime::Runtime>,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("cluster_id", &self.cluster_id)
            .field("bootstrap", &self.bootstrap())
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Starts the brokers on the current tokio runtime, each on its own
    /// port of 127.0.0.1.
    pub async fn start(config: ClusterConfig) -> io::Result<Cluster> {
        Self::start_on(config, tokio::runtime::Handle::current()).await
    }

    /// Starts the cluster on a runtime of its own (one worker thread), so it
    /// keeps serving whatever the caller's thread does: for synchronous
    /// tests, and for one cluster shared by the tests of a binary through a
    /// `OnceLock`. May be called from inside or outside a runtime.
    pub fn start_background(config: ClusterConfig) -> io::Result<Cluster> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("testkit-cluster")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let started = std::thread::scope(|s| {
            s.spawn(|| handle.block_on(Self::start_on(config, handle.clone())))
                .join()
        })
        .map_err(|_| io::Error::other("cluster start-up panicked"))?;
        let mut cluster = started?;
        cluster.owned_runtime = Some(runtime);
        Ok(cluster)
    }

    async fn start_on(
        config: ClusterConfig,
        runtime: tokio::runtime::Handle,
    ) -> io::Result<Cluster> {
        validate(&config)?;
        let mut listeners = Vec::with_capacity(config.brokers);
        for i in 0..config.brokers {
            let port = config.ports.get(i).copied().unwrap_or(0);
            listeners.push(server::bind(port)?);
        }
        let addresses: Vec<(String, u16)> = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| ("127.0.0.1".to_owned(), a.port())))
            .collect::<io::Result<_>>()?;
        let cluster_id = config.cluster_id.clone();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(config, &addresses)),
            appended: Notify::new(),
        });
        let mut brokers = BTreeMap::new();
        for (i, listener) in listeners.into_iter().enumerate() {
            let id = i as i32 + 1;
            let kill = Arc::new(watch::channel(0u64).0);
            let accept = server::spawn_listener(shared.clone(), id, listener, kill.clone());
            brokers.insert(
                id,
                BrokerHandle {
                    port: addresses[i].1,
                    accept: Some(accept),
                    kill,
                },
            );
        }
        let ticker = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut interval = tokio::time::interval(TICK);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    interval.tick().await;
                    shared.lock().tick(std::time::Instant::now());
                }
            })
        };
        Ok(Cluster {
            shared,
            cluster_id,
            brokers: Mutex::new(brokers),
            runtime,
            ticker,
            owned_runtime: None,
        })
    }

    fn handles(&self) -> MutexGuard<'_, BTreeMap<i32, BrokerHandle>> {
        self.brokers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `bootstrap.servers` naming every broker: `127.0.0.1:p1,127.0.0.1:p2,...`.
    pub fn bootstrap(&self) -> String {
        self.handles()
            .values()
            .map(|b| format!("127.0.0.1:{}", b.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The `host:port` of broker `id`.
    pub fn broker_address(&self, id: i32) -> Option<String> {
        self.handles()
            .get(&id)
            .map(|b| format!("127.0.0.1:{}", b.port))
    }

    /// The broker ids, ascending.
    pub fn broker_ids(&self) -> Vec<i32> {
        self.handles().keys().copied().collect()
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// Creates a topic directly (no request involved), with `-1` for the
    /// default partition count or replication factor, under the same rules
    /// as CreateTopics.
    pub fn create_topic(&self, name: &str, partitions: i32, replication: i16) -> Result<(), Error> {
        let mut state = self.shared.lock();
        let plan = state
            .plan_topic(&NewTopic {
                name: name.to_owned(),
                partitions,
                replication,
                ..NewTopic::default()
            })
            .map_err(|f| Error::Broker {
                code: f.code,
                api: "CreateTopics",
                topic: Some(name.to_owned()),
                partition: None,
                message: Some(f.message),
            })?;
        state.create_topic(plan, false);
        Ok(())
    }

    /// Answers the next `count` requests of `api_key` (to any broker) with
    /// `error` on every entry of the response, without acting on them. A
    /// Produce request with `acks=0` that gets an injected error has its
    /// connection closed, as Kafka does.
    pub fn fail_next(&self, api_key: ApiKey, error: ResponseError, count: usize) {
        self.shared
            .lock()
            .faults
            .fail_next(api_key as i16, error.code(), count);
    }

    /// Holds every response of `api_key` (of every API when `None`) for
    /// `delay` before sending it; a zero delay removes the setting. The
    /// request itself is handled at once.
    pub fn delay_responses(&self, api_key: Option<ApiKey>, delay: Duration) {
        self.shared
            .lock()
            .faults
            .set_delay(api_key.map(|k| k as i16), delay);
    }

    /// Closes every open connection of broker `id` (it keeps accepting new
    /// ones); requests in flight get no answer.
    pub fn drop_connections(&self, id: i32) {
        if let Some(b) = self.handles().get(&id) {
            b.kill.send_modify(|g| *g += 1);
        }
    }

    /// Makes broker `to` the leader of a partition, with a new leader epoch.
    /// If `to` is not a replica it takes the current leader's place in the
    /// replica list. The old leader answers NOT_LEADER_OR_FOLLOWER from now
    /// on.
    pub fn move_leader(&self, topic: &str, partition: i32, to: i32) -> Result<(), Error> {
        let mut state = self.shared.lock();
        if !state.is_alive(to) {
            return Err(Error::Broker {
                code: ResponseError::BrokerNotAvailable,
                api: "move_leader",
                topic: Some(topic.to_owned()),
                partition: Some(partition),
                message: Some(format!("broker {to} is not running")),
            });
        }
        let p = partition_of(&mut state, topic, partition)?;
        if !p.replicas.contains(&to) {
            let old = p.leader;
            match p.replicas.iter_mut().find(|r| **r == old) {
                Some(slot) => *slot = to,
                None => p.replicas.push(to),
            }
            p.isr.retain(|b| *b != old);
        }
        if !p.isr.contains(&to) {
            p.isr.push(to);
        }
        if p.leader != to {
            p.set_leader(to);
        }
        Ok(())
    }

    /// The current leader of a partition (-1 when it has none).
    pub fn leader(&self, topic: &str, partition: i32) -> Result<i32, Error> {
        let mut state = self.shared.lock();
        Ok(partition_of(&mut state, topic, partition)?.leader)
    }

    /// Every record in a partition's log from the log start, decoded, with
    /// its offset.
    pub fn records(&self, topic: &str, partition: i32) -> Result<Vec<Record>, Error> {
        let mut state = self.shared.lock();
        Ok(partition_of(&mut state, topic, partition)?.log.records())
    }

    /// How many requests of `api_key` the brokers have handled (injected
    /// failures included).
    pub fn request_count(&self, api_key: ApiKey) -> u64 {
        self.shared
            .lock()
            .requests
            .get(&(api_key as i16))
            .copied()
            .unwrap_or(0)
    }

    /// Stops broker `id`: its listener closes and its connections drop. Its
    /// partitions' leadership moves to other in-sync replicas that are up
    /// (partitions with none have no leader until it returns). It stays
    /// registered, fenced, as a crashed Kafka broker would.
    pub async fn stop_broker(&self, id: i32) -> Result<(), Error> {
        let accept = {
            let mut handles = self.handles();
            let b = handles.get_mut(&id).ok_or_else(|| unknown_broker(id))?;
            b.kill.send_modify(|g| *g += 1);
            b.accept.take()
        };
        if let Some(accept) = accept {
            accept.abort();
            let _ = accept.await;
        }
        self.shared.lock().broker_stopped(id);
        self.shared.appended.notify_waiters();
        Ok(())
    }

    /// Starts broker `id` again on the port it had. It rejoins the ISR of
    /// its partitions at once and leads those that had no leader.
    pub async fn start_broker(&self, id: i32) -> Result<(), Error> {
        let (port, kill) = {
            let handles = self.handles();
            let b = handles.get(&id).ok_or_else(|| unknown_broker(id))?;
            if b.accept.is_some() {
                return Ok(());
            }
            (b.port, b.kill.clone())
        };
        let shared = self.shared.clone();
        let task = self.runtime.spawn(async move {
            let listener = server::bind_again(port).await?;
            Ok::<_, io::Error>(server::spawn_listener(shared, id, listener, kill))
        });
        let accept = task
            .await
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|r| r)
            .map_err(|source| Error::Io {
                broker: format!("127.0.0.1:{port}"),
                source,
            })?;
        if let Some(b) = self.handles().get_mut(&id) {
            b.accept = Some(accept);
        }
        self.shared.lock().broker_started(id);
        self.shared.appended.notify_waiters();
        Ok(())
    }

    /// Stops every broker and waits until their ports are closed.
    pub async fn shutdown(mut self) {
        let accepts: Vec<JoinHandle<()>> = self
            .handles()
            .values_mut()
            .filter_map(|b| {
                b.kill.send_modify(|g| *g += 1);
                b.accept.take()
            })
            .collect();
        for accept in accepts {
            accept.abort();
            let _ = accept.await;
        }
        self.ticker.abort();
        if let Some(runtime) = self.owned_runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.ticker.abort();
        for b in self.handles().values_mut() {
            b.kill.send_modify(|g| *g += 1);
            if let Some(accept) = b.accept.take() {
                accept.abort();
            }
        }
        if let Some(runtime) = self.owned_runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn validate(config: &ClusterConfig) -> io::Result<()> {
    let invalid = |m: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, m.to_owned()));
    if config.brokers == 0 || config.brokers > 1000 {
        return invalid("brokers must be between 1 and 1000");
    }
    if config.default_partitions < 1 {
        return invalid("default_partitions must be at least 1");
    }
    if let Some(r) = config.default_replication {
        if r < 1 || r as usize > config.brokers {
            return invalid("default_replication must be between 1 and the number of brokers");
        }
    }
    if config.offsets_topic_partitions < 1 {
        return invalid("offsets_topic_partitions must be at least 1");
    }
    if !config.ports.is_empty() && config.ports.len() != config.brokers {
        return invalid("ports must be empty or name one port per broker");
    }
    Ok(())
}

fn unknown_broker(id: i32) -> Error {
    Error::NoBrokers(format!("broker {id} is not part of the cluster"))
}

fn partition_of<'a>(
    state: &'a mut State,
    topic: &str,
    partition: i32,
) -> Result<&'a mut state::Partition, Error> {
    if !state.topics.contains_key(topic) {
        return Err(Error::UnknownTopic(topic.to_owned()));
    }
    state
        .partition_mut(topic, partition)
        .ok_or_else(|| Error::UnknownPartition {
            topic: topic.to_owned(),
            partition,
        })
}
