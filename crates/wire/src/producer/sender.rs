//! The sender task: drains ready batches, groups them by leader into produce
//! requests, and turns each partition's response into a completion or a retry.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use kafka_protocol::messages::{InitProducerIdRequest, ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::Semaphore;

use super::accumulator::{Drained, ProducerIdentity, Shared};
use super::{Acks, BatchAck};
use crate::error::{Error, ResponseError};
use crate::protocol::api::{init_producer_id, produce};
use crate::record::BatchParams;

/// Obtains a producer id and epoch (InitProducerId) and installs it.
pub(super) async fn init_producer_id(shared: &Shared) -> crate::Result<()> {
    let timeout_ms = shared
        .config
        .request_timeout
        .as_millis()
        .min(i32::MAX as u128) as i32;
    let request: InitProducerIdRequest = init_producer_id::request(timeout_ms);
    let response = shared
        .client
        .retry("InitProducerId", || async {
            let conn = shared.client.any_broker().await?;
            let r = conn.call(&request).await?;
            crate::error::check(r.error_code, "InitProducerId")?;
            Ok(r)
        })
        .await?;
    shared.reset_identity(ProducerIdentity {
        id: response.producer_id.0,
        epoch: response.producer_epoch,
    });
    tracing::debug!(
        producer_id = response.producer_id.0,
        epoch = response.producer_epoch,
        "idempotent producer ready"
    );
    Ok(())
}

/// Runs until the producer is closed and every batch has its result.
pub(super) async fn run(shared: Arc<Shared>) {
    loop {
        let reset = shared.lock().identity_reset;
        if reset
            && shared.requests_in_flight().load(Ordering::Acquire) == 0
            && !shared.has_unknown_outcomes()
        {
            if let Err(e) = init_producer_id(&shared).await {
                tracing::warn!(error = %e, "cannot obtain a new producer id; retrying");
                tokio::time::sleep(shared.client.config().retry_backoff_max).await;
                continue;
            }
        }
        let wake = shared.wake.notified();
        let (drained, next) = shared.drain(Instant::now());
        if drained.is_empty() {
            if shared.is_closed() && !shared.has_work() {
                return;
            }
            match next {
                Some(at) => {
                    tokio::select! {
                        _ = wake => {}
                        _ = tokio::time::sleep_until(at.into()) => {}
                    }
                }
                None => wake.await,
            }
            continue;
        }
        dispatch(&shared, drained).await;
    }
}

/// Groups batches by their partition leader and starts one request per group.
async fn dispatch(shared: &Arc<Shared>, drained: Vec<Drained>) {
    let metadata = shared.client.cached_metadata();
    let mut by_leader: HashMap<i32, Vec<Drained>> = HashMap::new();
    for mut d in drained {
        let leader = metadata
            .topics
            .get(&*d.tp.topic)
            .and_then(|t| t.partition(d.tp.partition))
            .map(|p| p.leader)
            .unwrap_or(-1);
        if leader < 0 {
            tracing::debug!(topic = %d.tp.topic, partition = d.tp.partition, "no leader known; retrying");
            metadata_is_stale(&shared.client);
            shared.requeue(
                d,
                &Error::broker(ResponseError::LeaderNotAvailable, "Produce"),
                false,
            );
            continue;
        }
        if d.batch.encoded.is_none() {
            let Some(builder) = d.batch.builder.take() else {
                continue;
            };
            let (identity, sequence) = d.batch.stamp.unwrap_or((ProducerIdentity::NONE, -1));
            let params = BatchParams {
                compression: shared.config.compression,
                compression_level: shared
                    .config
                    .compression_levels
                    .for_codec(shared.config.compression),
                producer_id: identity.id,
                producer_epoch: identity.epoch,
                base_sequence: sequence,
                transactional: false,
            };
            match builder.build(&params) {
                Ok(batch) => d.batch.encoded = Some(Arc::new(batch)),
                Err(e) => {
                    shared.complete(d, Err(Arc::new(e.into())));
                    continue;
                }
            }
        }
        by_leader.entry(leader).or_default().push(d);
    }
    for (leader, batches) in by_leader {
        for request in split_by_size(batches, shared.config.max_request_size) {
            let permits = broker_permits(shared, leader);
            let Ok(permit) = permits.acquire_owned().await else {
                continue;
            };
            shared.requests_in_flight().fetch_add(1, Ordering::AcqRel);
            let shared = shared.clone();
            tokio::spawn(async move {
                send_request(&shared, leader, request).await;
                shared.requests_in_flight().fetch_sub(1, Ordering::AcqRel);
                drop(permit);
                shared.wake.notify_one();
            });
        }
    }
}

/// Marks metadata stale and refreshes it in the background, so that retries
/// are routed to the new leader without holding up the sender.
fn metadata_is_stale(client: &crate::cluster::Client) {
    client.invalidate_metadata();
    let client = client.clone();
    tokio::spawn(async move {
        let _ = client.refresh_metadata().await;
    });
}

fn broker_permits(shared: &Shared, broker: i32) -> Arc<Semaphore> {
    let mut permits = shared
        .broker_permits
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    permits
        .entry(broker)
        .or_insert_with(|| Arc::new(Semaphore::new(shared.config.max_in_flight)))
        .clone()
}

/// Splits batches into groups whose encoded size stays under `max` bytes.
fn split_by_size(batches: Vec<Drained>, max: usize) -> Vec<Vec<Drained>> {
    let mut groups: Vec<Vec<Drained>> = Vec::new();
    let mut size = 0usize;
    for d in batches {
        let len = d.batch.encoded.as_ref().map_or(0, |b| b.len());
        match groups.last_mut() {
            Some(group) if size + len <= max => {
                size += len;
                group.push(d);
            }
            _ => {
                size = len;
                groups.push(vec![d]);
            }
        }
    }
    groups
}

async fn send_request(shared: &Shared, leader: i32, batches: Vec<Drained>) {
    let config = &shared.config;
    let timeout_ms = config.request_timeout.as_millis().min(i32::MAX as u128) as i32;
    let acks = config.acks.as_i16();
    let parts: Vec<produce::PartitionBatch<'_>> = batches
        .iter()
        .filter_map(|d| {
            Some(produce::PartitionBatch {
                topic: &d.tp.topic,
                partition: d.tp.partition,
                records: d.batch.encoded.clone()?,
            })
        })
        .collect();
    let encode = |correlation_id, client_id: Option<&StrBytes>, version| {
        produce::encode_frame(correlation_id, client_id, version, acks, timeout_ms, &parts)
    };
    let conn = match shared.client.broker(leader).await {
        Ok(conn) => conn,
        Err(e) => return retry_all(shared, batches, e),
    };
    if config.acks == Acks::None {
        match conn
            .send_frame_without_response::<ProduceRequest>(encode)
            .await
        {
            Ok(()) => {
                for d in batches {
                    shared.complete(
                        d,
                        Ok(BatchAck {
                            base_offset: -1,
                            log_append_time: -1,
                        }),
                    );
                }
            }
            Err(e) => retry_all(shared, batches, e),
        }
        return;
    }
    let response = conn
        .call_frame::<ProduceRequest>(config.request_timeout, encode)
        .await;
    match response {
        Ok(response) => handle_response(shared, batches, response),
        Err(e) => retry_all(shared, batches, e),
    }
}

fn retry_all(shared: &Shared, batches: Vec<Drained>, error: Error) {
    if error.invalidates_metadata() {
        metadata_is_stale(&shared.client);
    }
    if !error.is_retriable() {
        // One error, shared by every record of these batches.
        let error = Arc::new(error);
        for d in batches {
            shared.complete(d, Err(error.clone()));
        }
        return;
    }
    // No answer: the broker may or may not have written these batches.
    for d in batches {
        shared.requeue(d, &error, true);
    }
}

fn handle_response(shared: &Shared, batches: Vec<Drained>, response: ProduceResponse) {
    for d in batches {
        let partition = response
            .responses
            .iter()
            .filter(|t| t.name.0.as_str() == &*d.tp.topic)
            .flat_map(|t| t.partition_responses.iter())
            .find(|p| p.index == d.tp.partition);
        let Some(p) = partition else {
            let e = Error::broker(ResponseError::UnknownServerError, "Produce");
            shared.requeue(d, &e, true);
            continue;
        };
        match ResponseError::try_from_code(p.error_code) {
            None | Some(ResponseError::DuplicateSequenceNumber) => {
                let ack = BatchAck {
                    base_offset: if p.error_code == 0 { p.base_offset } else { -1 },
                    log_append_time: p.log_append_time_ms,
                };
                shared.complete(d, Ok(ack));
            }
            Some(code) => {
                let message = p.error_message.as_ref().map(|m| m.to_string()).or_else(|| {
                    p.record_errors
                        .first()
                        .and_then(|r| r.batch_index_error_message.as_ref())
                        .map(|m| m.to_string())
                });
                let error = Error::Broker {
                    code,
                    api: "Produce",
                    topic: Some(d.tp.topic.to_string()),
                    partition: Some(d.tp.partition),
                    message,
                };
                if error.invalidates_metadata() {
                    metadata_is_stale(&shared.client);
                }
                if matches!(
                    code,
                    ResponseError::UnknownProducerId | ResponseError::InvalidProducerIdMapping
                ) && d.batch.stamp.is_some_and(|(id, _)| id.id >= 0)
                {
                    // The broker lost this producer's state (e.g. it restarted):
                    // start over with a new producer id, then send again (KIP-360).
                    tracing::debug!(%error, "producer id unknown to the broker; renewing it");
                    shared.request_identity_reset();
                    shared.requeue(d, &error, false);
                } else if code.is_retriable() {
                    tracing::debug!(%error, "produce failed; retrying");
                    shared.requeue(d, &error, false);
                } else {
                    shared.complete(d, Err(Arc::new(error)));
                }
            }
        }
    }
}
