//! One Fetch round trip for partitions led by one broker, decoded into
//! records: control batches are dropped, and in `read_committed` the batches
//! of aborted transactions too.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_Fetch>
//! - KIP-98 (aborted transactions, last stable offset)

use std::collections::HashSet;
use std::time::Duration;

use kafka_protocol::messages::fetch_response::{AbortedTransaction, PartitionData};

use crate::cluster::Client;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::fetch::{self as fetch_api, FetchLimits, IsolationLevel, PartitionFetch};
use crate::record::{decode_batches, ControlRecord, DecodeOptions, Record, RecordBatch};

/// `max_wait` in whole ms for a Fetch request, at least 1 (some brokers
/// answer a 0 ms wait with an empty response even when data is there).
pub(crate) fn wait_ms(max_wait: Duration) -> i32 {
    max_wait.as_millis().clamp(1, i32::MAX as u128) as i32
}

/// Fetch settings (Java consumer names in the field docs).
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `fetch.max.bytes`.
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes`.
    pub max_partition_bytes: i32,
    /// `fetch.min.bytes`.
    pub min_bytes: i32,
    /// `fetch.max.wait.ms`.
    pub max_wait: Duration,
    /// `isolation.level`.
    pub isolation: IsolationLevel,
    /// Most bytes one compressed batch may inflate to.
    pub max_decompressed_bytes: usize,
    /// `check.crcs`.
    pub check_crcs: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            max_bytes: 52_428_800,
            max_partition_bytes: 1_048_576,
            min_bytes: 1,
            max_wait: Duration::from_millis(500),
            isolation: IsolationLevel::ReadUncommitted,
            max_decompressed_bytes: DecodeOptions::default().max_decompressed_bytes,
            check_crcs: true,
        }
    }
}

impl FetchConfig {
    pub(crate) fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            max_decompressed_bytes: self.max_decompressed_bytes,
            verify_crc: self.check_crcs,
        }
    }
}

/// What one fetch returned for one partition.
#[derive(Debug, Clone, Default)]
pub struct FetchedPartition {
    /// Records at or after the requested offset, in offset order.
    pub records: Vec<Record>,
    /// The offset to fetch next.
    pub next_offset: i64,
    /// The partition's high watermark.
    pub high_watermark: i64,
    /// The last stable offset (-1 if not reported).
    pub last_stable_offset: i64,
    /// The log start offset (-1 if not reported).
    pub log_start_offset: i64,
}

/// Fetches one partition from `offset` on its leader.
pub async fn fetch(
    client: &Client,
    topic: &str,
    partition: i32,
    offset: i64,
    config: &FetchConfig,
) -> Result<FetchedPartition> {
    let request = fetch_api::request(
        FetchLimits {
            max_wait_ms: config.max_wait.as_millis().min(i32::MAX as u128) as i32,
            min_bytes: config.min_bytes,
            max_bytes: config.max_bytes,
            isolation: config.isolation,
        },
        [PartitionFetch {
            topic,
            partition,
            offset,
            max_bytes: config.max_partition_bytes,
        }],
    );
    let response = client
        .retry("Fetch", || async {
            let (_, conn) = client.leader(topic, partition).await?;
            let response = conn.call_with_timeout(&request, config.max_wait).await?;
            crate::error::check(response.error_code, "Fetch")?;
            let data = response
                .responses
                .into_iter()
                .filter(|t| t.topic.0.as_str() == topic)
                .flat_map(|t| t.partitions)
                .find(|p| p.partition_index == partition)
                .ok_or_else(|| Error::broker(ResponseError::UnknownServerError, "Fetch"))?;
            if let Some(code) = ResponseError::try_from_code(data.error_code) {
                return Err(Error::Broker {
                    code,
                    api: "Fetch",
                    topic: Some(topic.to_owned()),
                    partition: Some(partition),
                    message: None,
                });
            }
            Ok(data)
        })
        .await?;
    decode_partition(response, offset, config)
}

fn decode_partition(
    data: PartitionData,
    offset: i64,
    config: &FetchConfig,
) -> Result<FetchedPartition> {
    let high_watermark = data.high_watermark;
    let last_stable_offset = data.last_stable_offset;
    let log_start_offset = data.log_start_offset;
    let (batches, next_offset) = decode_partition_batches(data, offset, config)?;
    let records = batches
        .into_iter()
        .flat_map(|b| b.records)
        .filter(|r| r.offset >= offset)
        .collect();
    Ok(FetchedPartition {
        records,
        next_offset,
        high_watermark,
        last_stable_offset,
        log_start_offset,
    })
}

/// Decodes one partition of a fetch response fetched from `offset`: the
/// batches to deliver (control batches and, in `read_committed`, aborted
/// ones dropped; records below `offset` still inside) and the offset to
/// fetch next.
pub(crate) fn decode_partition_batches(
    data: PartitionData,
    offset: i64,
    config: &FetchConfig,
) -> Result<(Vec<RecordBatch>, i64)> {
    let batches = match data.records {
        Some(bytes) => decode_batches(bytes, &config.decode_options())?,
        None => Vec::new(),
    };
    let mut next_offset = offset;
    let aborted = match config.isolation {
        IsolationLevel::ReadCommitted => data.aborted_transactions.unwrap_or_default(),
        IsolationLevel::ReadUncommitted => Vec::new(),
    };
    let mut filter = AbortFilter::new(aborted);
    let mut kept = Vec::with_capacity(batches.len());
    for batch in batches {
        next_offset = next_offset.max(batch.header.next_offset());
        if filter.keep(&batch) {
            kept.push(batch);
        }
    }
    Ok((kept, next_offset))
}

/// Drops control batches, and batches of transactions the fetch response
/// lists as aborted (from their first offset to their abort marker).
struct AbortFilter {
    /// Aborted transactions not yet reached, by first offset.
    pending: Vec<AbortedTransaction>,
    /// Producers whose current transaction was aborted.
    aborting: HashSet<i64>,
}

impl AbortFilter {
    fn new(mut aborted: Vec<AbortedTransaction>) -> Self {
        aborted.sort_by_key(|a| std::cmp::Reverse(a.first_offset));
        AbortFilter {
            pending: aborted,
            aborting: HashSet::new(),
        }
    }

    fn keep(&mut self, batch: &RecordBatch) -> bool {
        let header = &batch.header;
        let last = header.next_offset() - 1;
        while self.pending.last().is_some_and(|a| a.first_offset <= last) {
            if let Some(a) = self.pending.pop() {
                self.aborting.insert(a.producer_id.0);
            }
        }
        if header.is_control() {
            if batch.control_record() == Some(ControlRecord::Abort) {
                self.aborting.remove(&header.producer_id);
            }
            return false;
        }
        !(header.is_transactional() && self.aborting.contains(&header.producer_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{BatchBuilder, BatchParams, Header};
    use bytes::Bytes;
    use kafka_protocol::messages::ProducerId;

    fn batch(base: i64, pid: i64, transactional: bool, control: Option<ControlRecord>) -> Bytes {
        let mut b = BatchBuilder::default();
        match control {
            Some(c) => {
                let kind: i16 = if c == ControlRecord::Abort { 0 } else { 1 };
                let mut key = vec![0, 0];
                key.extend_from_slice(&kind.to_be_bytes());
                b.append::<[Header]>(0, Some(&key), Some(&[0, 0, 0, 0, 0, 0]), &[]);
            }
            None => {
                b.append::<[Header]>(0, None, Some(b"v"), &[]);
            }
        }
        let bytes = b
            .finish(&BatchParams {
                producer_id: pid,
                producer_epoch: 0,
                transactional,
                ..BatchParams::default()
            })
            .unwrap();
        let mut batch = RecordBatch::decode(bytes, &DecodeOptions::default()).unwrap();
        batch.header.base_offset = base;
        for r in &mut batch.records {
            r.offset += base;
        }
        if control.is_some() {
            batch.header.attributes |= 0x20;
        }
        batch.encode().unwrap()
    }

    #[test]
    fn read_committed_drops_aborted_and_control_batches() {
        let mut log = Vec::new();
        log.extend_from_slice(&batch(0, 1, true, None)); // aborted txn of producer 1
        log.extend_from_slice(&batch(1, 2, true, None)); // committed txn of producer 2
        log.extend_from_slice(&batch(2, 1, true, Some(ControlRecord::Abort)));
        log.extend_from_slice(&batch(3, 2, true, Some(ControlRecord::Commit)));
        log.extend_from_slice(&batch(4, 1, true, None)); // a later, committed txn of producer 1
        log.extend_from_slice(&batch(5, 3, false, None));
        let data = PartitionData::default()
            .with_records(Some(Bytes::from(log)))
            .with_high_watermark(6)
            .with_aborted_transactions(Some(vec![AbortedTransaction::default()
                .with_producer_id(ProducerId(1))
                .with_first_offset(0)]));
        let committed = FetchConfig {
            isolation: IsolationLevel::ReadCommitted,
            ..FetchConfig::default()
        };
        let got = decode_partition(data.clone(), 0, &committed).unwrap();
        let offsets: Vec<i64> = got.records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, vec![1, 4, 5]);
        assert_eq!(got.next_offset, 6);
        let all = decode_partition(data, 1, &FetchConfig::default()).unwrap();
        let offsets: Vec<i64> = all.records.iter().map(|r| r.offset).collect();
        assert_eq!(
            offsets,
            vec![1, 4, 5],
            "control batches are always skipped; offsets below the request too"
        );
    }
}
