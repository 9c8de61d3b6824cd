//! Records and offsets: delete the records before an offset (DeleteRecords),
//! and look up partition offsets in bulk (ListOffsets), e.g. the earliest
//! and latest offsets that consumer lag and the REST partition views need.
//! Both go to the partition leaders, one request per leader.
//!
//! # References
//! - KIP-107 (DeleteRecords), KIP-79 (ListOffsets by timestamp)

use std::collections::BTreeMap;

use crate::cluster::{leader_retriable, OffsetAndTimestamp, PartitionOutcome, TopicPartition};
use crate::conn::Connection;
use crate::error::{ResponseError, Result};
use crate::protocol::api::delete_records;
use crate::protocol::api::fetch::IsolationLevel;
use crate::protocol::api::list_offsets::OffsetSpec;

use super::Admin;

/// The first and the next offset of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    /// The log start offset.
    pub earliest: i64,
    /// The log end offset: the high watermark, or in read_committed the
    /// last stable offset.
    pub latest: i64,
}

impl Admin {
    /// Deletes the records before `offset` in each partition (`-1`: all
    /// records, up to the high watermark); per partition, the new low
    /// watermark or the error (OFFSET_OUT_OF_RANGE for an offset beyond the
    /// end, ...). A partition named twice keeps its last offset.
    pub async fn delete_records(
        &self,
        offsets: impl IntoIterator<Item = (TopicPartition, i64)>,
    ) -> Result<BTreeMap<TopicPartition, Result<i64>>> {
        let items: BTreeMap<TopicPartition, i64> = offsets.into_iter().collect();
        if items.is_empty() {
            return Ok(BTreeMap::new());
        }
        let timeout_ms = self.timeout_ms();
        self.client
            .to_leaders(
                "DeleteRecords",
                items,
                leader_retriable,
                move |conn: Connection, batch: Vec<(TopicPartition, i64)>| async move {
                    let request = delete_records::request(
                        batch
                            .iter()
                            .map(|(tp, offset)| (tp.topic.as_str(), tp.partition, *offset)),
                        timeout_ms,
                    );
                    let response = conn.call(&request).await?;
                    let mut out = Vec::new();
                    for t in response.topics {
                        let topic = t.name.0.to_string();
                        for p in t.partitions {
                            let outcome = match ResponseError::try_from_code(p.error_code) {
                                Some(code) => PartitionOutcome::Code(code, None),
                                None => PartitionOutcome::Ok(p.low_watermark),
                            };
                            out.push((
                                TopicPartition::new(topic.clone(), p.partition_index),
                                outcome,
                            ));
                        }
                    }
                    Ok(out)
                },
            )
            .await
    }

    /// Offsets of many partitions; see [`crate::Client::list_offsets`].
    pub async fn list_offsets(
        &self,
        queries: impl IntoIterator<Item = (TopicPartition, OffsetSpec)>,
        isolation: IsolationLevel,
    ) -> Result<BTreeMap<TopicPartition, Result<OffsetAndTimestamp>>> {
        self.client.list_offsets(queries, isolation).await
    }

    /// The earliest and latest offsets of `partitions` (two batched
    /// ListOffsets rounds, run at once); one result per partition.
    pub async fn watermarks(
        &self,
        partitions: &[TopicPartition],
        isolation: IsolationLevel,
    ) -> Result<BTreeMap<TopicPartition, Result<Watermarks>>> {
        let ask = |spec| partitions.iter().map(move |tp| (tp.clone(), spec));
        let (earliest, latest) = tokio::join!(
            self.client
                .list_offsets(ask(OffsetSpec::Earliest), isolation),
            self.client.list_offsets(ask(OffsetSpec::Latest), isolation),
        );
        let mut latest = latest?;
        Ok(earliest?
            .into_iter()
            .map(|(tp, first)| {
                let last = latest.remove(&tp);
                let result = match (first, last) {
                    (Ok(first), Some(Ok(last))) => Ok(Watermarks {
                        earliest: first.offset,
                        latest: last.offset,
                    }),
                    (Err(e), _) | (Ok(_), Some(Err(e))) => Err(e),
                    (Ok(_), None) => Err(super::missing(
                        "ListOffsets",
                        -1,
                        format!("the latest offset of {tp}"),
                    )),
                };
                (tp, result)
            })
            .collect())
    }
}
