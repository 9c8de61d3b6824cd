//! The producer: records are partitioned, accumulated per partition into
//! batches (`linger.ms`, `batch.size`), and sent to partition leaders by one
//! sender task, with each record's delivery result reported back.
//!
//! Guarantees:
//! - Per partition, at most one produce request is in flight and a failed
//!   batch is retried at the head of its queue, so records keep their order.
//! - With idempotence (the default with `acks=all`), batches carry a producer
//!   id, epoch and sequence numbers, so a batch re-sent after a lost response
//!   is de-duplicated by the broker rather than written twice.
//! - Buffered bytes are bounded by `buffer.memory`: `send` waits for room.
//! - Across brokers, requests are pipelined, up to
//!   `max.in.flight.requests.per.connection` per broker.
//!
//! # References
//! - KIP-98 (idempotent producer), KIP-480 (sticky partitioner),
//!   KIP-91 (`delivery.timeout.ms`)

mod accumulator;
pub mod partitioner;
mod sender;

use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::cluster::Client;
use crate::error::{Error, Result};
use crate::record::{BatchBuilder, Compression, CompressionLevels, Header, BATCH_OVERHEAD};

use accumulator::Shared;

/// `acks`: how many replicas must have a record before it counts as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// `acks=0`: the broker does not answer; offsets are unknown (-1).
    None,
    /// `acks=1`: the leader has it.
    Leader,
    /// `acks=all` (`-1`): every in-sync replica has it.
    #[default]
    All,
}

impl Acks {
    /// The wire value.
    pub fn as_i16(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

impl FromStr for Acks {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            "all" | "-1" => Ok(Acks::All),
            other => Err(format!("acks: '{other}' is not 0, 1, all or -1")),
        }
    }
}

/// Producer settings (Java client names in the field docs).
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `acks`.
    pub acks: Acks,
    /// `linger.ms`: how long a batch waits for more records.
    pub linger: Duration,
    /// `batch.size`: a batch is sent once it holds this many bytes.
    pub batch_size: usize,
    /// `buffer.memory`: most bytes of records waiting to be sent.
    pub buffer_memory: usize,
    /// `compression.type`.
    pub compression: Compression,
    /// `compression.gzip.level`, `compression.lz4.level`,
    /// `compression.zstd.level`.
    pub compression_levels: CompressionLevels,
    /// `enable.idempotence`.
    pub idempotence: bool,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: usize,
    /// `request.timeout.ms`: the broker-side timeout of a produce request.
    pub request_timeout: Duration,
    /// `delivery.timeout.ms`: how long a record may take, retries included.
    pub delivery_timeout: Duration,
    /// `max.request.size`: largest produce request (and so largest record).
    pub max_request_size: usize,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 16 * 1024,
            buffer_memory: 32 * 1024 * 1024,
            compression: Compression::None,
            compression_levels: CompressionLevels::default(),
            idempotence: true,
            max_in_flight: 5,
            request_timeout: Duration::from_secs(30),
            delivery_timeout: Duration::from_secs(120),
            max_request_size: 1024 * 1024,
        }
    }
}

/// A record to produce.
#[derive(Debug, Clone, Default)]
pub struct ProducerRecord {
    /// Topic name (shared, so that a request's records do not each
    /// allocate a copy).
    pub topic: Arc<str>,
    /// Partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// Key; `None` is a null key.
    pub key: Option<Bytes>,
    /// Value; `None` is a null value.
    pub value: Option<Bytes>,
    /// Headers in order.
    pub headers: Vec<Header>,
    /// Create time in ms; `None` means now.
    pub timestamp: Option<i64>,
}

impl ProducerRecord {
    /// A record with a value and nothing else.
    pub fn new(topic: impl Into<Arc<str>>, value: impl Into<Bytes>) -> Self {
        ProducerRecord {
            topic: topic.into(),
            value: Some(value.into()),
            ..ProducerRecord::default()
        }
    }
}

/// Where a record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordMetadata {
    /// Partition index.
    pub partition: i32,
    /// Offset, -1 with `acks=0`.
    pub offset: i64,
    /// The record's timestamp (the log-append time if the topic uses it).
    pub timestamp: i64,
}

/// The result of sending one record; errors are shared by a batch's records.
pub type DeliveryResult = std::result::Result<RecordMetadata, Arc<Error>>;

/// The broker's answer for a whole batch.
#[derive(Debug, Clone, Copy)]
struct BatchAck {
    base_offset: i64,
    log_append_time: i64,
}

/// Completion of one batch, shared by the futures of its records.
#[derive(Debug, Default)]
struct BatchOutcome {
    result: OnceLock<std::result::Result<BatchAck, Arc<Error>>>,
    notify: Notify,
}

impl BatchOutcome {
    fn complete(&self, result: std::result::Result<BatchAck, Arc<Error>>) {
        if self.result.set(result).is_ok() {
            self.notify.notify_waiters();
        }
    }
}

/// Resolves to a record's [`DeliveryResult`]; obtained from [`Producer::send`].
#[derive(Debug)]
pub struct DeliveryFuture {
    batch: Arc<BatchOutcome>,
    partition: i32,
    offset_delta: i32,
    timestamp: i64,
}

impl DeliveryFuture {
    /// Waits for the broker's answer.
    pub async fn wait(self) -> DeliveryResult {
        loop {
            let notified = self.batch.notify.notified();
            if let Some(result) = self.try_result() {
                return result;
            }
            notified.await;
        }
    }

    /// The result if the broker has answered already (without waiting).
    pub fn try_result(&self) -> Option<DeliveryResult> {
        let result = self.batch.result.get()?;
        Some(match result {
            Ok(ack) => Ok(RecordMetadata {
                partition: self.partition,
                offset: if ack.base_offset < 0 {
                    -1
                } else {
                    ack.base_offset + i64::from(self.offset_delta)
                },
                timestamp: if ack.log_append_time >= 0 {
                    ack.log_append_time
                } else {
                    self.timestamp
                },
            }),
            Err(e) => Err(e.clone()),
        })
    }

    /// The partition the record was assigned to.
    pub fn partition(&self) -> i32 {
        self.partition
    }
}

/// Closes the producer when the last handle is dropped.
#[derive(Debug)]
struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A producer; cheap to clone, all clones share batches and the sender task.
#[derive(Debug, Clone)]
pub struct Producer {
    shared: Arc<Shared>,
    _close: Arc<CloseOnDrop>,
}

impl Producer {
    /// Starts a producer on `client` (obtaining a producer id first when
    /// idempotence is on).
    pub async fn new(client: Client, config: ProducerConfig) -> Result<Producer> {
        if config.batch_size == 0 || config.max_in_flight == 0 {
            return Err(Error::Config(
                "batch.size and max.in.flight.requests.per.connection must be positive".into(),
            ));
        }
        let shared = Shared::new(client, config);
        if shared.config.idempotence {
            sender::init_producer_id(&shared).await?;
        }
        tokio::spawn(sender::run(shared.clone()));
        Ok(Producer {
            _close: Arc::new(CloseOnDrop(shared.clone())),
            shared,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &ProducerConfig {
        &self.shared.config
    }

    /// Queues a record and returns the future of its delivery result.
    ///
    /// Fails at once for an unknown topic or partition (a partition beyond
    /// the cached count is looked up again first, since partitions may have
    /// been added), a record larger than `max.request.size`, or a closed
    /// producer; waits while `buffer.memory` is full.
    pub async fn send(&self, record: ProducerRecord) -> Result<DeliveryFuture> {
        let shared = &self.shared;
        if shared.is_closed() {
            return Err(Error::Closed);
        }
        // A cached topic is used as it is (a stale cache is refreshed by the
        // sender in the background); only an unknown topic waits for a lookup.
        let cached = shared
            .client
            .cached_metadata()
            .topics
            .get(&*record.topic)
            .cloned();
        let mut topic = match cached {
            Some(t) => t,
            None => shared.client.topic(&record.topic).await?,
        };
        if record
            .partition
            .is_some_and(|p| p >= topic.partitions.len() as i32)
        {
            // Partitions may have been added since the metadata was cached:
            // look again before calling the partition unknown.
            shared.client.refresh_metadata().await?;
            topic = shared.client.topic(&record.topic).await?;
        }
        let partitions = topic.partitions.len() as i32;
        let timestamp = record.timestamp.unwrap_or_else(now_ms);
        let size = BatchBuilder::record_size(
            0,
            0,
            record.key.as_deref(),
            record.value.as_deref(),
            &record.headers,
        ) + 10; // worst-case growth of the timestamp and offset deltas
        let limit = shared
            .config
            .max_request_size
            .min(shared.config.buffer_memory);
        if size + BATCH_OVERHEAD > limit {
            return Err(Error::RecordTooLarge {
                size: size + BATCH_OVERHEAD,
                max: limit,
            });
        }
        let partition = match (record.partition, &record.key) {
            (Some(p), _) => {
                if p < 0 || p >= partitions {
                    return Err(Error::UnknownPartition {
                        topic: record.topic.to_string(),
                        partition: p,
                    });
                }
                p
            }
            (None, Some(key)) => partitioner::partition_for_key(key, partitions),
            (None, None) => shared.sticky_partition(&topic),
        };
        shared.reserve_memory(size).await?;
        Ok(shared.append(record, partition, timestamp, size))
    }

    /// Sends everything queued now, without waiting for `linger.ms`, and
    /// waits until every queued batch has its result.
    pub async fn flush(&self) {
        self.shared.flush().await
    }

    /// Flushes, then stops the sender task; later sends fail with
    /// [`Error::Closed`].
    pub async fn close(&self) {
        self.shared.flush().await;
        self.shared.close();
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
