//! Per-partition requests fanned out to partition leaders: one request per
//! leader, all leaders at once, and the partitions whose outcome is
//! retriable sent again (after a metadata refresh) until each has a final
//! outcome or `default.api.timeout.ms` has passed.
//!
//! Used by the batched ListOffsets and by DeleteRecords.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use crate::conn::Connection;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::ProtocolError;

use super::{jitter, Client, TopicPartition};

/// What a leader answered for one partition.
#[derive(Debug)]
pub(crate) enum PartitionOutcome<T> {
    /// The partition's result.
    Ok(T),
    /// The broker's error code for the partition, with its message.
    Code(ResponseError, Option<String>),
}

/// Whether a partition error code calls for sending the partition again:
/// retriable codes, except UNKNOWN_TOPIC_OR_PARTITION, which a leader named
/// by current metadata only gives for a partition that is gone.
pub(crate) fn leader_retriable(code: ResponseError) -> bool {
    code.is_retriable() && code != ResponseError::UnknownTopicOrPartition
}

type LeaderBatch<A> = Vec<(TopicPartition, A)>;

/// The error code (and message) that sent a partition back for another
/// attempt; `None` when a request-level error did.
type LastCode = Option<(ResponseError, Option<String>)>;

impl Client {
    /// Sends `items` to their partitions' leaders with `send` (one call per
    /// leader with that leader's partitions) and collects one result per
    /// partition.
    ///
    /// Partition errors are per-partition results; `retriable` picks the
    /// codes worth another attempt. A request-level failure (a leader
    /// unreachable until the deadline, an API the leader does not speak)
    /// fails the whole call.
    pub(crate) async fn to_leaders<A, T, F, Fut>(
        &self,
        api: &'static str,
        items: BTreeMap<TopicPartition, A>,
        retriable: fn(ResponseError) -> bool,
        send: F,
    ) -> Result<BTreeMap<TopicPartition, Result<T>>>
    where
        A: Clone + Send + 'static,
        T: Send + 'static,
        F: Fn(Connection, LeaderBatch<A>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Result<Vec<(TopicPartition, PartitionOutcome<T>)>>> + Send + 'static,
    {
        let config = self.config();
        let deadline = Instant::now() + config.api_timeout;
        let mut backoff = config.retry_backoff;
        let mut done: BTreeMap<TopicPartition, Result<T>> = BTreeMap::new();
        let mut pending = items;
        loop {
            // Partitions to send again, with the code that sent them back.
            let mut again: BTreeMap<TopicPartition, (A, LastCode)> = BTreeMap::new();
            let mut request_error: Option<Error> = None;
            let mut by_leader: BTreeMap<i32, LeaderBatch<A>> = BTreeMap::new();

            let mut by_topic: BTreeMap<String, Vec<(i32, A)>> = BTreeMap::new();
            for (tp, a) in std::mem::take(&mut pending) {
                by_topic
                    .entry(tp.topic)
                    .or_default()
                    .push((tp.partition, a));
            }
            for (topic, partitions) in by_topic {
                let metadata = match self.topic(&topic).await {
                    Ok(t) => t,
                    Err(e) => {
                        let code = e.code();
                        match e {
                            Error::UnknownTopic(_) => {
                                for (p, _) in partitions {
                                    done.insert(
                                        TopicPartition::new(topic.clone(), p),
                                        Err(Error::UnknownTopic(topic.clone())),
                                    );
                                }
                            }
                            e if e.is_retriable() => {
                                for (p, a) in partitions {
                                    again.insert(TopicPartition::new(topic.clone(), p), (a, None));
                                }
                                request_error = Some(e);
                            }
                            e => match code {
                                Some(code) => {
                                    for (p, _) in partitions {
                                        done.insert(
                                            TopicPartition::new(topic.clone(), p),
                                            Err(Error::topic(code, "Metadata", &topic, None, None)),
                                        );
                                    }
                                }
                                None => return Err(e),
                            },
                        }
                        continue;
                    }
                };
                for (p, a) in partitions {
                    let tp = TopicPartition::new(topic.clone(), p);
                    match metadata.partition(p) {
                        None => {
                            done.insert(
                                tp,
                                Err(Error::UnknownPartition {
                                    topic: topic.clone(),
                                    partition: p,
                                }),
                            );
                        }
                        Some(m) if m.leader < 0 => {
                            again.insert(tp, (a, Some((ResponseError::LeaderNotAvailable, None))));
                        }
                        Some(m) => by_leader.entry(m.leader).or_default().push((tp, a)),
                    }
                }
            }

            let mut tasks = tokio::task::JoinSet::new();
            for (leader, batch) in by_leader {
                let client = self.clone();
                let send = send.clone();
                tasks.spawn(async move {
                    let sent = batch.clone();
                    let outcome = match client.broker(leader).await {
                        Ok(conn) => send(conn, batch).await,
                        Err(e) => Err(e),
                    };
                    (sent, outcome)
                });
            }
            while let Some(joined) = tasks.join_next().await {
                let (sent, outcome) = joined.map_err(|_| Error::Closed)?;
                let mut outcomes = match outcome {
                    Ok(o) => o.into_iter().collect::<BTreeMap<_, _>>(),
                    Err(e) if e.is_retriable() => {
                        for (tp, a) in sent {
                            again.insert(tp, (a, None));
                        }
                        request_error = Some(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                for (tp, a) in sent {
                    match outcomes.remove(&tp) {
                        Some(PartitionOutcome::Ok(v)) => {
                            done.insert(tp, Ok(v));
                        }
                        Some(PartitionOutcome::Code(code, message)) if retriable(code) => {
                            again.insert(tp, (a, Some((code, message))));
                        }
                        Some(PartitionOutcome::Code(code, message)) => {
                            let error =
                                Error::topic(code, api, &tp.topic, Some(tp.partition), message);
                            done.insert(tp, Err(error));
                        }
                        None => {
                            let error = Error::Protocol(ProtocolError::Decode {
                                api,
                                version: -1,
                                message: format!("response lacks partition {tp}"),
                            });
                            done.insert(tp, Err(error));
                        }
                    }
                }
            }

            if again.is_empty() {
                return Ok(done);
            }
            if Instant::now() + backoff >= deadline {
                for (tp, (_, last)) in again {
                    match last {
                        Some((code, message)) => {
                            let error =
                                Error::topic(code, api, &tp.topic, Some(tp.partition), message);
                            done.insert(tp, Err(error));
                        }
                        None => {
                            if let Some(e) = request_error.take() {
                                return Err(e);
                            }
                        }
                    }
                }
                return Ok(done);
            }
            tracing::debug!(
                call = api,
                partitions = again.len(),
                ?backoff,
                "retrying partitions"
            );
            self.invalidate_metadata();
            tokio::time::sleep(jitter(backoff)).await;
            backoff = (backoff * 2).min(config.retry_backoff_max);
            pending = again.into_iter().map(|(tp, (a, _))| (tp, a)).collect();
        }
    }
}
