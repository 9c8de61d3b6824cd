//! Produce (key 0): validates each partition's record batch and appends it
//! to the partition log.
//!
//! Per partition, in order: the topic and partition must exist
//! (`UNKNOWN_TOPIC_OR_PARTITION`) and not be internal
//! (`INVALID_TOPIC_EXCEPTION`); this broker must lead it
//! (`NOT_LEADER_OR_FOLLOWER`, with the current leader from v10); with
//! `acks=-1` the ISR must hold `min.insync.replicas` (`NOT_ENOUGH_REPLICAS`);
//! the data must be exactly one v2 batch of consecutive records, not a
//! control batch (`INVALID_RECORD`), with a good CRC (`CORRUPT_MESSAGE`), no
//! larger than `max.message.bytes` (`MESSAGE_TOO_LARGE`), with keys on a
//! compacted topic (`INVALID_RECORD`) and timestamps within
//! `message.timestamp.{before,after}.max.ms` (`INVALID_TIMESTAMP`); then the
//! idempotence rules apply (see `state::producers`). The batch is stored with
//! its base offset and leader epoch set, recompressed when the topic's
//! `compression.type` names a codec, and stamped with the append time under
//! `message.timestamp.type=LogAppendTime`.
//!
//! With `acks=0` nothing is sent back, and a failure closes the connection,
//! as Kafka does so the client notices.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_Produce>
//! - KIP-98 (record batch v2, idempotence), KIP-467 (record errors, v8),
//!   KIP-951 (leader discovery, v10)

use bytes::Bytes;
use kafka_protocol::messages::produce_request::PartitionProduceData;
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse,
    TopicProduceResponse,
};
use kafka_protocol::messages::{BrokerId, ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::record::{Compression, DecodeOptions, RecordBatch, RecordError, TimestampType};
use crate::testkit::state::log::AppendBatch;
use crate::testkit::state::producers::{ProducerBatch, SequenceCheck};
use crate::testkit::state::State;

/// Bytes of a batch before `batchLength` counts.
const LOG_OVERHEAD: usize = 12;

impl Handler for ProduceRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 3, max: 11 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<ProduceResponse> {
        let acks = self.acks;
        let mut failed = false;
        let mut leaders: Vec<i32> = Vec::new();
        let mut responses = Vec::with_capacity(self.topic_data.len());
        for topic in self.topic_data {
            let name = topic.name.0.to_string();
            let mut partitions = Vec::with_capacity(topic.partition_data.len());
            for data in topic.partition_data {
                let index = data.index;
                let mut r = if matches!(acks, -1..=1) {
                    produce_partition(ctx, &name, data, acks)
                } else {
                    error(index, ResponseError::InvalidRequiredAcks.code())
                };
                if r.error_code != 0 {
                    failed = true;
                    if r.error_code == ResponseError::NotLeaderOrFollower.code()
                        && ctx.version >= 10
                    {
                        if let Some(p) = ctx
                            .state
                            .topics
                            .get(&name)
                            .and_then(|t| t.partitions.get(usize::try_from(index).ok()?))
                        {
                            if p.leader >= 0 {
                                r.current_leader = LeaderIdAndEpoch::default()
                                    .with_leader_id(BrokerId(p.leader))
                                    .with_leader_epoch(p.leader_epoch);
                                leaders.push(p.leader);
                            }
                        }
                    }
                }
                partitions.push(r);
            }
            responses.push(
                TopicProduceResponse::default()
                    .with_name(topic.name)
                    .with_partition_responses(partitions),
            );
        }
        if acks == 0 {
            return if failed { Reply::Close } else { Reply::Silent };
        }
        leaders.sort_unstable();
        leaders.dedup();
        let node_endpoints = leaders
            .into_iter()
            .filter_map(|id| {
                let b = ctx.state.brokers.get(&id)?;
                Some(
                    NodeEndpoint::default()
                        .with_node_id(BrokerId(id))
                        .with_host(str_bytes(b.host.clone()))
                        .with_port(i32::from(b.port)),
                )
            })
            .collect();
        Reply::Now(
            ProduceResponse::default()
                .with_responses(responses)
                .with_node_endpoints(node_endpoints),
        )
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<ProduceResponse> {
        if self.acks == 0 {
            return Reply::Close;
        }
        let responses = self
            .topic_data
            .iter()
            .map(|t| {
                TopicProduceResponse::default()
                    .with_name(t.name.clone())
                    .with_partition_responses(
                        t.partition_data
                            .iter()
                            .map(|p| error(p.index, code))
                            .collect(),
                    )
            })
            .collect();
        Reply::Now(ProduceResponse::default().with_responses(responses))
    }
}

fn error(index: i32, code: i16) -> PartitionProduceResponse {
    PartitionProduceResponse::default()
        .with_index(index)
        .with_error_code(code)
        .with_base_offset(-1)
        .with_log_append_time_ms(-1)
        .with_log_start_offset(-1)
}

fn produce_partition(
    ctx: &mut Ctx<'_>,
    topic: &str,
    data: PartitionProduceData,
    acks: i16,
) -> PartitionProduceResponse {
    let index = data.index;
    match append(ctx, topic, index, data.records, acks) {
        Ok(ok) => PartitionProduceResponse::default()
            .with_index(index)
            .with_base_offset(ok.base_offset)
            .with_log_append_time_ms(ok.log_append_time)
            .with_log_start_offset(ok.log_start_offset),
        Err(Rejected {
            code,
            message,
            record_errors,
        }) => {
            let mut r = error(index, code.code());
            if ctx.version >= 8 {
                r.error_message = message.map(str_bytes);
                r.record_errors = record_errors
                    .into_iter()
                    .map(|(i, m)| {
                        BatchIndexAndErrorMessage::default()
                            .with_batch_index(i)
                            .with_batch_index_error_message(Some(str_bytes(m)))
                    })
                    .collect();
            }
            r
        }
    }
}

struct Appended {
    base_offset: i64,
    log_append_time: i64,
    log_start_offset: i64,
}

struct Rejected {
    code: ResponseError,
    message: Option<String>,
    /// `(record index, message)`, for INVALID_RECORD.
    record_errors: Vec<(i32, String)>,
}

impl From<ResponseError> for Rejected {
    fn from(code: ResponseError) -> Self {
        Rejected {
            code,
            message: None,
            record_errors: Vec::new(),
        }
    }
}

fn rejected(code: ResponseError, message: impl Into<String>) -> Rejected {
    Rejected {
        code,
        message: Some(message.into()),
        record_errors: Vec::new(),
    }
}

fn append(
    ctx: &mut Ctx<'_>,
    topic_name: &str,
    index: i32,
    records: Option<Bytes>,
    acks: i16,
) -> Result<Appended, Rejected> {
    let broker = ctx.broker;
    let state: &mut State = ctx.state;
    let topic = state
        .topics
        .get(topic_name)
        .ok_or(ResponseError::UnknownTopicOrPartition)?;
    if topic.internal {
        return Err(rejected(
            ResponseError::InvalidTopicException,
            format!("Cannot append to internal topic {topic_name}"),
        ));
    }
    let partition = topic
        .partitions
        .get(usize::try_from(index).map_err(|_| ResponseError::UnknownTopicOrPartition)?)
        .ok_or(ResponseError::UnknownTopicOrPartition)?;
    if partition.leader != broker {
        return Err(ResponseError::NotLeaderOrFollower.into());
    }
    let min_isr = state
        .topic_config_i64(topic, "min.insync.replicas", broker)
        .unwrap_or(1);
    if acks == -1 && (partition.isr.len() as i64) < min_isr {
        return Err(rejected(
            ResponseError::NotEnoughReplicas,
            format!(
                "The size of the current ISR {} is insufficient to satisfy the min.isr \
                 requirement of {min_isr}",
                partition.isr.len()
            ),
        ));
    }
    let bytes = records.unwrap_or_default();
    let batch = single_batch(&bytes)?;
    let max_bytes = state
        .topic_config_i64(topic, "max.message.bytes", broker)
        .unwrap_or(i64::MAX);
    if bytes.len() as i64 > max_bytes {
        return Err(rejected(
            ResponseError::MessageTooLarge,
            format!(
                "The batch of {} bytes is larger than max.message.bytes ({max_bytes})",
                bytes.len()
            ),
        ));
    }
    let compacted = state
        .topic_config(topic, "cleanup.policy", broker)
        .is_some_and(|p| p.split(',').any(|s| s.trim() == "compact"));
    if compacted {
        let missing: Vec<(i32, String)> = batch
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.key.is_none())
            .map(|(i, _)| {
                (
                    i as i32,
                    format!("Compacted topic cannot accept message without key in topic partition {topic_name}-{index}."),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(Rejected {
                code: ResponseError::InvalidRecord,
                message: Some("One or more records have been rejected".into()),
                record_errors: missing,
            });
        }
    }
    let log_append = state
        .topic_config(topic, "message.timestamp.type", broker)
        .is_some_and(|t| t == "LogAppendTime");
    if !log_append && batch.header.timestamp_type() == TimestampType::CreateTime {
        let before = state
            .topic_config_i64(topic, "message.timestamp.before.max.ms", broker)
            .unwrap_or(i64::MAX);
        let after = state
            .topic_config_i64(topic, "message.timestamp.after.max.ms", broker)
            .unwrap_or(i64::MAX);
        let now = ctx.now_ms;
        let bad: Vec<(i32, String)> = batch
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                now.saturating_sub(r.timestamp) > before || r.timestamp.saturating_sub(now) > after
            })
            .map(|(i, r)| {
                (
                    i as i32,
                    format!("Timestamp {} of message is out of range.", r.timestamp),
                )
            })
            .collect();
        if !bad.is_empty() {
            return Err(Rejected {
                code: ResponseError::InvalidTimestamp,
                message: Some(
                    "One or more records have been rejected due to invalid timestamp".into(),
                ),
                record_errors: bad,
            });
        }
    }
    let codec = match state
        .topic_config(topic, "compression.type", broker)
        .as_deref()
    {
        Some("uncompressed") => Some(Compression::None),
        Some("gzip") => Some(Compression::Gzip),
        Some("snappy") => Some(Compression::Snappy),
        Some("lz4") => Some(Compression::Lz4),
        Some("zstd") => Some(Compression::Zstd),
        _ => None,
    };
    let now = ctx.now_ms;
    let h = batch.header;
    let producer = (h.producer_id >= 0).then_some(ProducerBatch {
        producer_id: h.producer_id,
        epoch: h.producer_epoch,
        first_sequence: h.base_sequence,
        record_count: h.record_count,
    });
    let stored = match codec {
        Some(codec) if h.compression().ok() != Some(codec) => {
            let mut batch = batch;
            batch.header.attributes = (batch.header.attributes & !0x07) | codec.id();
            batch.encode().map_err(|_| ResponseError::CorruptMessage)?
        }
        _ => bytes,
    };
    let partition = state
        .partition_mut(topic_name, index)
        .ok_or(ResponseError::UnknownTopicOrPartition)?;
    if let Some(p) = &producer {
        match partition.producers.check(p) {
            SequenceCheck::Append => {}
            SequenceCheck::Duplicate {
                base_offset,
                log_append_time,
            } => {
                return Ok(Appended {
                    base_offset,
                    log_append_time,
                    log_start_offset: partition.log.start_offset(),
                })
            }
            SequenceCheck::Reject(code) => return Err(code.into()),
        }
    }
    let append_time = log_append.then_some(now);
    let base_offset = partition.log.append(
        &stored,
        AppendBatch {
            last_offset_delta: h.last_offset_delta,
            max_timestamp: h.max_timestamp,
        },
        partition.leader_epoch,
        append_time,
    );
    let log_append_time = append_time.unwrap_or(-1);
    if let Some(p) = &producer {
        partition.producers.record(p, base_offset, log_append_time);
    }
    let log_start_offset = partition.log.start_offset();
    state.appends += 1;
    Ok(Appended {
        base_offset,
        log_append_time,
        log_start_offset,
    })
}

/// Decodes and checks the one batch a v3+ Produce partition must carry.
fn single_batch(bytes: &Bytes) -> Result<RecordBatch, Rejected> {
    if bytes.len() < LOG_OVERHEAD {
        return Err(rejected(
            ResponseError::InvalidRecord,
            "Produce requests must have exactly one record batch per partition",
        ));
    }
    let length = i32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let total = usize::try_from(length)
        .ok()
        .and_then(|l| l.checked_add(LOG_OVERHEAD));
    if total != Some(bytes.len()) {
        return Err(rejected(
            ResponseError::InvalidRecord,
            "Produce requests must have exactly one record batch per partition",
        ));
    }
    let batch =
        RecordBatch::decode(bytes.clone(), &DecodeOptions::default()).map_err(|e| match e {
            RecordError::UnsupportedMagic(m) => rejected(
                ResponseError::InvalidRecord,
                format!("Produce requests may only contain record batches with magic 2, not {m}"),
            ),
            e => rejected(ResponseError::CorruptMessage, e.to_string()),
        })?;
    let h = &batch.header;
    if h.is_control() {
        return Err(rejected(
            ResponseError::InvalidRecord,
            "Clients may not write control records",
        ));
    }
    let consecutive = batch
        .records
        .iter()
        .enumerate()
        .all(|(i, r)| r.offset - h.base_offset == i as i64);
    if batch.records.is_empty()
        || !consecutive
        || i64::from(h.last_offset_delta) != batch.records.len() as i64 - 1
    {
        return Err(rejected(
            ResponseError::InvalidRecord,
            "Record offsets in the batch are not consecutive from 0",
        ));
    }
    Ok(batch)
}
