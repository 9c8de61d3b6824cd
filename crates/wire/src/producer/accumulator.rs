//! Per-partition queues of batches waiting to be sent, shared by `send`
//! (which appends) and the sender task (which drains and completes).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::{Notify, Semaphore};

use super::{BatchAck, BatchOutcome, DeliveryFuture, ProducerConfig, ProducerRecord};
use crate::cluster::{Client, TopicMetadata};
use crate::error::{Error, Result};
use crate::record::{BatchBuilder, Compression, EncodedBatch};

/// A topic-partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct TopicPartition {
    pub(super) topic: Arc<str>,
    pub(super) partition: i32,
}

/// Producer id and epoch, or none without idempotence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ProducerIdentity {
    pub(super) id: i64,
    pub(super) epoch: i16,
}

impl Default for ProducerIdentity {
    fn default() -> Self {
        ProducerIdentity::NONE
    }
}

impl ProducerIdentity {
    pub(super) const NONE: ProducerIdentity = ProducerIdentity { id: -1, epoch: -1 };
}

/// A batch from its first record to its result.
#[derive(Debug)]
pub(super) struct PendingBatch {
    pub(super) builder: Option<BatchBuilder>,
    pub(super) encoded: Option<Arc<EncodedBatch>>,
    /// Producer identity and base sequence the encoded bytes carry.
    pub(super) stamp: Option<(ProducerIdentity, i32)>,
    pub(super) outcome: Arc<BatchOutcome>,
    pub(super) records: i32,
    pub(super) bytes: usize,
    pub(super) created: Instant,
    pub(super) retry_at: Option<Instant>,
    pub(super) attempts: u32,
    /// The last attempt got no answer: the broker may have written the batch,
    /// so it must be re-sent under the same producer id and sequence.
    pub(super) outcome_unknown: bool,
}

#[derive(Debug, Default)]
struct PartitionQueue {
    open: Option<PendingBatch>,
    ready: VecDeque<PendingBatch>,
    in_flight: bool,
    next_sequence: i32,
}

#[derive(Debug, Default)]
pub(super) struct Queues {
    partitions: HashMap<TopicPartition, PartitionQueue>,
    sticky: HashMap<Arc<str>, i32>,
    topic_names: HashMap<String, Arc<str>>,
    flushing: usize,
    /// Batches created and not yet completed.
    unfinished: usize,
    pub(super) identity: ProducerIdentity,
    pub(super) identity_reset: bool,
}

/// State shared by the producer handles and the sender task.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) client: Client,
    pub(super) config: ProducerConfig,
    queues: Mutex<Queues>,
    pub(super) wake: Notify,
    idle: Notify,
    memory: Semaphore,
    closed: AtomicBool,
    in_flight_requests: AtomicUsize,
    pub(super) broker_permits: Mutex<HashMap<i32, Arc<Semaphore>>>,
}

/// A batch taken off its queue to be sent.
#[derive(Debug)]
pub(super) struct Drained {
    pub(super) tp: TopicPartition,
    pub(super) batch: PendingBatch,
}

impl Shared {
    pub(super) fn new(client: Client, config: ProducerConfig) -> Arc<Shared> {
        let memory = Semaphore::new(config.buffer_memory.min(Semaphore::MAX_PERMITS));
        Arc::new(Shared {
            client,
            config,
            queues: Mutex::new(Queues {
                identity: ProducerIdentity::NONE,
                ..Queues::default()
            }),
            wake: Notify::new(),
            idle: Notify::new(),
            memory,
            closed: AtomicBool::new(false),
            in_flight_requests: AtomicUsize::new(0),
            broker_permits: Mutex::new(HashMap::new()),
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Waits until `size` bytes fit in `buffer.memory`.
    pub(super) async fn reserve_memory(&self, size: usize) -> Result<()> {
        let permits = u32::try_from(size).map_err(|_| Error::RecordTooLarge {
            size,
            max: u32::MAX as usize,
        })?;
        self.memory
            .acquire_many(permits)
            .await
            .map_err(|_| Error::Closed)?
            .forget();
        Ok(())
    }

    /// The partition keyless records of `topic` currently stick to.
    pub(super) fn sticky_partition(&self, topic: &TopicMetadata) -> i32 {
        let mut q = self.lock();
        if let Some(p) = q.sticky.get(topic.name.as_str()) {
            return *p;
        }
        let available: Vec<i32> = topic
            .partitions
            .iter()
            .filter(|p| p.leader >= 0)
            .map(|p| p.id)
            .collect();
        let choices = if available.is_empty() {
            (0..topic.partitions.len() as i32).collect()
        } else {
            available
        };
        let p = choices[rand::random::<usize>() % choices.len().max(1)];
        let name = topic_name(&mut q, &topic.name);
        q.sticky.insert(name, p);
        p
    }

    /// Appends a record to its partition's open batch.
    pub(super) fn append(
        &self,
        record: ProducerRecord,
        partition: i32,
        timestamp: i64,
        size: usize,
    ) -> DeliveryFuture {
        let config = &self.config;
        let mut guard = self.lock();
        let q = &mut *guard;
        let topic = topic_name(q, &record.topic);
        let tp = TopicPartition {
            topic: topic.clone(),
            partition,
        };
        let queue = q.partitions.entry(tp).or_default();
        let mut closed_batch = false;
        if queue
            .open
            .as_ref()
            .is_some_and(|b| b.bytes + size > config.batch_size)
        {
            queue.ready.extend(queue.open.take());
            closed_batch = true;
        }
        // A new batch wakes the sender so that it learns its linger deadline.
        let new_batch = queue.open.is_none();
        let open = queue.open.get_or_insert_with(|| {
            q.unfinished += 1;
            PendingBatch {
                builder: Some(BatchBuilder::with_capacity(
                    config.batch_size.min(1024 * 1024),
                )),
                encoded: None,
                stamp: None,
                outcome: Arc::new(BatchOutcome::default()),
                records: 0,
                bytes: 0,
                created: Instant::now(),
                retry_at: None,
                attempts: 0,
                outcome_unknown: false,
            }
        });
        let builder = open.builder.get_or_insert_with(BatchBuilder::default);
        // An uncompressed batch references the values (no copy until the
        // socket); a compressed one copies them, to compress them at once.
        let offset_delta = if config.compression == Compression::None {
            builder.append_shared(
                timestamp,
                record.key.as_deref(),
                record.value,
                &record.headers,
            )
        } else {
            builder.append(
                timestamp,
                record.key.as_deref(),
                record.value.as_deref(),
                &record.headers,
            )
        };
        open.records += 1;
        open.bytes += size;
        let future = DeliveryFuture {
            batch: open.outcome.clone(),
            partition,
            offset_delta,
            timestamp,
        };
        if open.bytes >= config.batch_size {
            queue.ready.extend(queue.open.take());
            closed_batch = true;
        }
        // Keyless records move on once the sticky partition's batch is
        // closed (KIP-480).
        if closed_batch && q.sticky.get(&topic) == Some(&partition) {
            q.sticky.remove(&topic);
        }
        drop(guard);
        if closed_batch || new_batch || config.linger.is_zero() {
            self.wake.notify_one();
        }
        future
    }

    /// Takes the batches that may be sent now; returns them and when to look
    /// again if nothing else wakes the sender.
    pub(super) fn drain(&self, now: Instant) -> (Vec<Drained>, Option<Instant>) {
        let config = &self.config;
        let closing = self.is_closed();
        let mut guard = self.lock();
        let q = &mut *guard;
        let mut out = Vec::new();
        let mut next: Option<Instant> = None;
        let mut expired = Vec::new();
        // While a new producer id is pending, only batches whose outcome is
        // unknown go out (under their old stamp, so the broker can tell a
        // duplicate); everything else waits for the new id.
        let resetting = q.identity_reset;
        if resetting {
            let poll = now + self.client.config().retry_backoff;
            next = Some(poll);
        }
        let urgent = closing || q.flushing > 0;
        let idempotent = q.identity.id >= 0;
        for (tp, queue) in q.partitions.iter_mut() {
            if queue.in_flight {
                continue;
            }
            while queue
                .ready
                .front()
                .is_some_and(|b| now.duration_since(b.created) > config.delivery_timeout)
            {
                expired.extend(queue.ready.pop_front());
            }
            if queue.ready.is_empty() {
                if let Some(open) = &queue.open {
                    let due = open.created + config.linger;
                    if urgent || open.bytes >= config.batch_size || now >= due {
                        queue.ready.extend(queue.open.take());
                        if q.sticky.get(&tp.topic) == Some(&tp.partition) {
                            q.sticky.remove(&tp.topic);
                        }
                    } else {
                        next = Some(next.map_or(due, |n| n.min(due)));
                    }
                }
            }
            let Some(front) = queue.ready.front() else {
                continue;
            };
            if let Some(at) = front.retry_at.filter(|at| *at > now) {
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            if resetting && !front.outcome_unknown {
                continue;
            }
            let Some(mut batch) = queue.ready.pop_front() else {
                continue;
            };
            queue.in_flight = true;
            let sequence = match batch.stamp {
                Some((identity, seq)) if identity == q.identity => seq,
                _ if idempotent => {
                    let seq = queue.next_sequence;
                    queue.next_sequence = next_sequence(seq, batch.records);
                    seq
                }
                _ => -1,
            };
            if batch.stamp.is_some() && batch.stamp != Some((q.identity, sequence)) {
                batch.stamp = Some((q.identity, sequence));
                if let Some(encoded) = batch.encoded.as_mut() {
                    Arc::make_mut(encoded).restamp_producer(
                        q.identity.id,
                        q.identity.epoch,
                        sequence,
                    );
                }
            } else {
                batch.stamp = Some((q.identity, sequence));
            }
            out.push(Drained {
                tp: tp.clone(),
                batch,
            });
        }
        if expired.iter().any(|b| b.outcome_unknown) {
            // The broker may hold an expired batch: our sequence may be off.
            q.identity_reset = true;
        }
        drop(guard);
        for batch in expired {
            let error = Error::DeliveryTimeout {
                attempts: batch.attempts,
                last_error: "waiting for a partition leader or a producer id".into(),
                timeout: config.delivery_timeout,
            };
            self.finish(batch, Err(Arc::new(error)));
        }
        (out, next)
    }

    /// Completes a batch that was drained: success or final failure.
    pub(super) fn complete(
        &self,
        drained: Drained,
        result: std::result::Result<BatchAck, Arc<Error>>,
    ) {
        {
            let mut q = self.lock();
            if let Some(queue) = q.partitions.get_mut(&drained.tp) {
                queue.in_flight = false;
            }
            if result.is_err() && drained.batch.stamp.is_some_and(|(id, _)| id.id >= 0) {
                // The broker's sequence for this partition no longer matches
                // ours; a new producer id restarts every sequence at zero.
                q.identity_reset = true;
            }
        }
        self.finish(drained.batch, result);
        self.wake.notify_one();
    }

    /// Puts a drained batch back at the head of its queue to try again.
    pub(super) fn requeue(&self, mut drained: Drained, error: &Error, outcome_unknown: bool) {
        let now = Instant::now();
        let retry = self.client.config();
        let backoff = retry
            .retry_backoff
            .saturating_mul(1 << drained.batch.attempts.min(16))
            .min(retry.retry_backoff_max.max(retry.retry_backoff));
        if now.duration_since(drained.batch.created) + backoff > self.config.delivery_timeout {
            let err = Arc::new(Error::DeliveryTimeout {
                attempts: drained.batch.attempts + 1,
                last_error: error.to_string(),
                timeout: self.config.delivery_timeout,
            });
            return self.complete(drained, Err(err));
        }
        drained.batch.attempts += 1;
        drained.batch.retry_at = Some(now + backoff);
        // Once unknown, an outcome stays unknown until the broker answers.
        drained.batch.outcome_unknown |= outcome_unknown;
        {
            let mut q = self.lock();
            let queue = q.partitions.entry(drained.tp).or_default();
            queue.in_flight = false;
            queue.ready.push_front(drained.batch);
        }
        self.wake.notify_one();
    }

    fn finish(&self, batch: PendingBatch, result: std::result::Result<BatchAck, Arc<Error>>) {
        batch.outcome.complete(result);
        self.memory.add_permits(batch.bytes);
        let idle = {
            let mut q = self.lock();
            q.unfinished = q.unfinished.saturating_sub(1);
            q.unfinished == 0
        };
        if idle {
            self.idle.notify_waiters();
        }
    }

    /// Starts over with a new producer identity: every partition's sequence
    /// restarts at zero and queued batches are re-stamped when next drained.
    pub(super) fn reset_identity(&self, identity: ProducerIdentity) {
        let mut q = self.lock();
        q.identity = identity;
        q.identity_reset = false;
        for queue in q.partitions.values_mut() {
            queue.next_sequence = 0;
        }
    }

    /// Asks the sender for a new producer id before it sends anything else.
    pub(super) fn request_identity_reset(&self) {
        self.lock().identity_reset = true;
    }

    /// Whether a batch the broker may already hold is waiting to be re-sent.
    pub(super) fn has_unknown_outcomes(&self) -> bool {
        self.lock()
            .partitions
            .values()
            .any(|q| q.ready.iter().any(|b| b.outcome_unknown))
    }

    /// Whether any batch is waiting or in flight.
    pub(super) fn has_work(&self) -> bool {
        self.lock().unfinished > 0
    }

    pub(super) fn requests_in_flight(&self) -> &AtomicUsize {
        &self.in_flight_requests
    }

    pub(super) async fn flush(&self) {
        self.lock().flushing += 1;
        self.wake.notify_one();
        loop {
            let idle = self.idle.notified();
            if !self.has_work() {
                break;
            }
            idle.await;
        }
        let mut q = self.lock();
        q.flushing = q.flushing.saturating_sub(1);
    }
}

fn topic_name(q: &mut Queues, name: &str) -> Arc<str> {
    if let Some(t) = q.topic_names.get(name) {
        return t.clone();
    }
    let t: Arc<str> = Arc::from(name);
    q.topic_names.insert(name.to_owned(), t.clone());
    t
}

/// Sequences wrap from `i32::MAX` to 0, as the broker expects.
fn next_sequence(sequence: i32, records: i32) -> i32 {
    let next = i64::from(sequence) + i64::from(records);
    (next % (i64::from(i32::MAX) + 1)) as i32
}

#[cfg(test)]
mod tests {
    use super::next_sequence;

    #[test]
    fn sequences_wrap() {
        assert_eq!(next_sequence(0, 5), 5);
        assert_eq!(next_sequence(i32::MAX - 1, 3), 1);
    }
}
