//! The cluster client: bootstrap, a metadata cache, a connection per broker
//! shared by every caller, leader routing and retries with backoff.
//!
//! Metadata is refreshed when it is older than `metadata.max.age.ms`, when a
//! topic is not in it, and when a call fails with an error that means it is
//! stale (NOT_LEADER_OR_FOLLOWER, a dropped connection, ...). Refreshes are
//! single-flight: callers that need one while another is running wait for it.

mod fanout;
mod metadata;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use kafka_protocol::messages::MetadataRequest;

pub(crate) use fanout::{leader_retriable, PartitionOutcome};
pub use metadata::{BrokerMetadata, ClusterMetadata, PartitionMetadata, TopicMetadata};

use crate::config::ClientConfig;
use crate::conn::{Connection, ConnectionConfig, SecurityProtocol};
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::fetch::IsolationLevel;
use crate::protocol::api::list_offsets::OffsetSpec;
use crate::protocol::api::{list_offsets, metadata as metadata_api};

type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

#[derive(Debug)]
struct Inner {
    config: ClientConfig,
    connection: ConnectionConfig,
    metadata: RwLock<Arc<ClusterMetadata>>,
    /// Set by errors that mean the metadata is out of date.
    stale: AtomicBool,
    refresh: tokio::sync::Mutex<()>,
    brokers: Mutex<HashMap<i32, Slot>>,
    bootstrap: tokio::sync::Mutex<Option<Connection>>,
}

/// A client of one Kafka cluster; cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// A partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
}

impl TopicPartition {
    /// Partition `partition` of `topic`.
    pub fn new(topic: impl Into<String>, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// An offset with the timestamp of its record, from ListOffsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetAndTimestamp {
    /// The offset (-1 when no record matches a timestamp query).
    pub offset: i64,
    /// The record's timestamp, -1 if not reported.
    pub timestamp: i64,
}

impl Client {
    /// Connects to the cluster through `config.bootstrap_servers` and loads
    /// the metadata.
    pub async fn connect(config: ClientConfig) -> Result<Client> {
        if config.bootstrap_servers.is_empty() {
            return Err(Error::Config("bootstrap.servers is empty".into()));
        }
        let mut connection = config.connection.clone();
        if matches!(
            connection.security.protocol,
            SecurityProtocol::Ssl | SecurityProtocol::SaslSsl
        ) && connection.tls.is_none()
        {
            connection.tls = Some(
                crate::conn::tls::client_config(&connection.security.tls)
                    .map_err(|e| Error::Tls(e.to_string()))?,
            );
        }
        let client = Client {
            inner: Arc::new(Inner {
                config,
                connection,
                metadata: RwLock::new(Arc::new(ClusterMetadata::default())),
                stale: AtomicBool::new(true),
                refresh: tokio::sync::Mutex::new(()),
                brokers: Mutex::new(HashMap::new()),
                bootstrap: tokio::sync::Mutex::new(None),
            }),
        };
        client.refresh_metadata().await?;
        Ok(client)
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The settings every broker connection of this client uses (with the
    /// TLS configuration built), for connections opened outside the pool.
    pub(crate) fn connection_config(&self) -> &ConnectionConfig {
        &self.inner.connection
    }

    /// The cached metadata, without refreshing it.
    pub fn cached_metadata(&self) -> Arc<ClusterMetadata> {
        self.inner
            .metadata
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn store_metadata(&self, metadata: ClusterMetadata) -> Arc<ClusterMetadata> {
        let metadata = Arc::new(metadata);
        *self
            .inner
            .metadata
            .write()
            .unwrap_or_else(|p| p.into_inner()) = metadata.clone();
        metadata
    }

    /// Marks the cached metadata stale so the next lookup refreshes it.
    pub fn invalidate_metadata(&self) {
        self.inner.stale.store(true, Ordering::Release);
    }

    /// Whether an error has marked the cached metadata out of date (it is
    /// refreshed on the next lookup).
    pub fn metadata_is_stale(&self) -> bool {
        self.inner.stale.load(Ordering::Acquire)
    }

    /// Fetches metadata for every topic and replaces the cache.
    pub async fn refresh_metadata(&self) -> Result<Arc<ClusterMetadata>> {
        let before = self.cached_metadata().fetched_at;
        let _guard = self.inner.refresh.lock().await;
        let current = self.cached_metadata();
        if current.fetched_at > before && !self.inner.stale.load(Ordering::Acquire) {
            return Ok(current); // someone refreshed while we waited
        }
        // Only a full refresh makes the whole cache current again. The flag is
        // cleared before asking, so an error reported meanwhile keeps it set.
        self.inner.stale.store(false, Ordering::Release);
        let request = metadata_api::request(None, false);
        let response = match self.call_any(&request).await {
            Ok(r) => r,
            Err(e) => {
                self.invalidate_metadata();
                return Err(e);
            }
        };
        Ok(self.store_metadata(ClusterMetadata::from_response(response, None)))
    }

    /// Metadata no older than `metadata.max.age.ms`.
    pub async fn metadata(&self) -> Result<Arc<ClusterMetadata>> {
        let current = self.cached_metadata();
        if !self.inner.stale.load(Ordering::Acquire)
            && current.fetched_at.elapsed() <= self.inner.config.metadata_max_age
        {
            return Ok(current);
        }
        self.refresh_metadata().await
    }

    /// A topic's metadata, asking the cluster when it is not cached (which may
    /// create it when `allow.auto.create.topics` is on and the broker allows).
    pub async fn topic(&self, name: &str) -> Result<Arc<TopicMetadata>> {
        let current = self.metadata().await?;
        if let Some(t) = current.topics.get(name) {
            return Ok(t.clone());
        }
        self.look_up_topic(name, self.inner.config.allow_auto_create_topics)
            .await
    }

    /// A topic's metadata as the cluster reports it now: one Metadata
    /// request for this topic alone (which never creates it), merged into
    /// the cache. Lighter than [`Client::refresh_metadata`] on a cluster with
    /// many topics.
    pub async fn fresh_topic(&self, name: &str) -> Result<Arc<TopicMetadata>> {
        self.look_up_topic(name, false).await
    }

    async fn look_up_topic(&self, name: &str, auto_create: bool) -> Result<Arc<TopicMetadata>> {
        let request = metadata_api::request(Some(&[name.to_owned()]), auto_create);
        let response = self.call_any(&request).await?;
        let _guard = self.inner.refresh.lock().await;
        let merged = ClusterMetadata::from_response(response, Some(&self.cached_metadata()));
        let merged = self.store_metadata(merged);
        match merged.topics.get(name) {
            Some(t) => Ok(t.clone()),
            None => match merged.topic_errors.get(name) {
                Some(ResponseError::UnknownTopicOrPartition) | None => {
                    Err(Error::UnknownTopic(name.to_owned()))
                }
                Some(code) => Err(Error::Broker {
                    code: *code,
                    api: "Metadata",
                    topic: Some(name.to_owned()),
                    partition: None,
                    message: None,
                }),
            },
        }
    }

    /// The connection to broker `id`, opened on first use and reopened after
    /// it fails.
    pub async fn broker(&self, id: i32) -> Result<Connection> {
        let slot = {
            let mut brokers = self.inner.brokers.lock().unwrap_or_else(|p| p.into_inner());
            brokers.entry(id).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some(conn) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(conn.clone());
        }
        // Metadata is not refreshed here (the refresh itself needs a broker);
        // callers that route by leader refresh through `topic`.
        let broker = self
            .cached_metadata()
            .brokers
            .get(&id)
            .cloned()
            .ok_or_else(|| {
                self.invalidate_metadata();
                Error::NoBrokers(format!("broker {id} is not in the cluster metadata"))
            })?;
        let conn = Connection::connect(&broker.host, broker.port, &self.inner.connection).await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// The connection to the leader of `topic`-`partition`.
    pub async fn leader(&self, topic: &str, partition: i32) -> Result<(i32, Connection)> {
        let t = self.topic(topic).await?;
        let p = t
            .partition(partition)
            .ok_or_else(|| Error::UnknownPartition {
                topic: topic.to_owned(),
                partition,
            })?;
        if p.leader < 0 {
            return Err(Error::Broker {
                code: ResponseError::LeaderNotAvailable,
                api: "Metadata",
                topic: Some(topic.to_owned()),
                partition: Some(partition),
                message: None,
            });
        }
        Ok((p.leader, self.broker(p.leader).await?))
    }

    /// A connection to any reachable broker: a live pooled one, then the
    /// known brokers, then the bootstrap servers.
    pub async fn any_broker(&self) -> Result<Connection> {
        let live: Vec<Slot> = self
            .inner
            .brokers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for slot in live {
            if let Ok(slot) = slot.try_lock() {
                if let Some(conn) = slot.as_ref().filter(|c| !c.is_closed()) {
                    return Ok(conn.clone());
                }
            }
        }
        let ids: Vec<i32> = self.cached_metadata().brokers.keys().copied().collect();
        // A retriable failure (refused, reset, timed out) moves on to the next
        // address; authentication, TLS and configuration failures are kept
        // and reported as they are, since retrying cannot fix them.
        let mut fatal = None;
        let mut last_error = None;
        let mut note = |e: Error| {
            if e.is_retriable() {
                last_error = Some(e);
            } else {
                fatal.get_or_insert(e);
            }
        };
        for id in ids {
            match self.broker(id).await {
                Ok(conn) => return Ok(conn),
                Err(e) => note(e),
            }
        }
        let mut bootstrap = self.inner.bootstrap.lock().await;
        if let Some(conn) = bootstrap.as_ref().filter(|c| !c.is_closed()) {
            return Ok(conn.clone());
        }
        for (host, port) in &self.inner.config.bootstrap_servers {
            match Connection::connect(host, *port, &self.inner.connection).await {
                Ok(conn) => {
                    *bootstrap = Some(conn.clone());
                    return Ok(conn);
                }
                Err(e) => {
                    tracing::debug!(%host, port, error = %e, "bootstrap server unreachable");
                    note(e)
                }
            }
        }
        if let Some(e) = fatal {
            return Err(e);
        }
        Err(Error::NoBrokers(match last_error {
            Some(e) => e.to_string(),
            None => "no bootstrap servers".into(),
        }))
    }

    async fn call_any(
        &self,
        request: &MetadataRequest,
    ) -> Result<kafka_protocol::messages::MetadataResponse> {
        self.retry("Metadata", || async {
            let conn = self.any_broker().await?;
            conn.call(request).await
        })
        .await
    }

    /// Runs `attempt` until it succeeds, fails with a non-retriable error, or
    /// `default.api.timeout.ms` passes; waits with exponential backoff and
    /// jitter between attempts and marks metadata stale where the error says so.
    pub async fn retry<T, F, Fut>(&self, what: &'static str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let config = &self.inner.config;
        let deadline = Instant::now() + config.api_timeout;
        let mut backoff = config.retry_backoff;
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retriable() && Instant::now() + backoff < deadline => {
                    tracing::debug!(call = what, error = %e, ?backoff, "retrying");
                    if e.invalidates_metadata() {
                        self.invalidate_metadata();
                    }
                    tokio::time::sleep(jitter(backoff)).await;
                    backoff = (backoff * 2).min(config.retry_backoff_max);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Looks up an offset of one partition on its leader.
    pub async fn list_offset(
        &self,
        topic: &str,
        partition: i32,
        spec: OffsetSpec,
        isolation: IsolationLevel,
    ) -> Result<OffsetAndTimestamp> {
        self.retry("ListOffsets", || async {
            let (_, conn) = self.leader(topic, partition).await?;
            let response = conn
                .call(&list_offsets::request(
                    topic,
                    [(partition, spec)],
                    isolation,
                ))
                .await?;
            let p = response
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter())
                .find(|p| p.partition_index == partition)
                .ok_or(Error::Protocol(crate::protocol::ProtocolError::Decode {
                    api: "ListOffsets",
                    version: 0,
                    message: "response lacks the partition asked for".into(),
                }))?;
            if let Some(code) = ResponseError::try_from_code(p.error_code) {
                return Err(Error::Broker {
                    code,
                    api: "ListOffsets",
                    topic: Some(topic.to_owned()),
                    partition: Some(partition),
                    message: None,
                });
            }
            Ok(OffsetAndTimestamp {
                offset: p.offset,
                timestamp: p.timestamp,
            })
        })
        .await
    }

    /// Looks up offsets of many partitions (one spec per partition; a
    /// partition given twice keeps its last spec) with one request per
    /// leader, all leaders at once.
    ///
    /// Each partition gets its own result: its offset, or its error (an
    /// unknown topic or partition, or the leader's error code once retries
    /// are over). The call as a whole fails only when a leader cannot be
    /// asked at all (unreachable until `default.api.timeout.ms`, or without
    /// ListOffsets).
    pub async fn list_offsets(
        &self,
        queries: impl IntoIterator<Item = (TopicPartition, OffsetSpec)>,
        isolation: IsolationLevel,
    ) -> Result<BTreeMap<TopicPartition, Result<OffsetAndTimestamp>>> {
        let items: BTreeMap<TopicPartition, OffsetSpec> = queries.into_iter().collect();
        if items.is_empty() {
            return Ok(BTreeMap::new());
        }
        self.to_leaders(
            "ListOffsets",
            items,
            leader_retriable,
            move |conn: Connection, batch: Vec<(TopicPartition, OffsetSpec)>| async move {
                let request = list_offsets::request_many(
                    batch
                        .iter()
                        .map(|(tp, spec)| (tp.topic.as_str(), tp.partition, *spec)),
                    isolation,
                );
                let response = conn.call(&request).await?;
                let mut out = Vec::new();
                for t in response.topics {
                    let topic = t.name.0.to_string();
                    for p in t.partitions {
                        let tp = TopicPartition::new(topic.clone(), p.partition_index);
                        let outcome = match ResponseError::try_from_code(p.error_code) {
                            Some(code) => PartitionOutcome::Code(code, None),
                            None => PartitionOutcome::Ok(OffsetAndTimestamp {
                                offset: p.offset,
                                timestamp: p.timestamp,
                            }),
                        };
                        out.push((tp, outcome));
                    }
                }
                Ok(out)
            },
        )
        .await
    }

    /// Creates a topic (`-1` partitions or replication factor for the broker
    /// defaults) and waits until its metadata shows every partition's leader.
    /// [`crate::admin::Admin::create_topics`] is the general form.
    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
    ) -> Result<()> {
        let admin = crate::admin::Admin::new(self.clone());
        let mut topic = crate::admin::NewTopic::new(name);
        if partitions >= 0 {
            topic = topic.with_partitions(partitions);
        }
        if replication_factor >= 0 {
            topic = topic.with_replication_factor(replication_factor);
        }
        admin.create_topic(&topic, false).await?;
        admin.wait_for_topic(name).await?;
        Ok(())
    }
}

/// Spreads retries of many callers: 80%..120% of `d`.
fn jitter(d: Duration) -> Duration {
    let factor = 0.8 + rand::random::<f64>() * 0.4;
    d.mul_f64(factor)
}
