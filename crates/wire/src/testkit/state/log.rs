//! One partition's log: the record batches as produced (re-stamped with their
//! offsets), the log start offset, the log end offset (which is also the high
//! watermark and the last stable offset: every replica is always in sync and
//! there are no open transactions), and the leader epoch cache.
//!
//! # References
//! - <https://kafka.apache.org/documentation/#log>
//! - KIP-101, KIP-279 (leader epochs and `OffsetForLeaderEpoch`)
//! - KIP-107 (`DeleteRecords` and the log start offset)

use bytes::Bytes;

use crate::record::{decode_batches, stamp_append, DecodeOptions, Record};

/// A batch as stored: its bytes (base offset and leader epoch already set)
/// and the offsets and timestamp needed to serve reads without decoding.
#[derive(Debug, Clone)]
pub(crate) struct StoredBatch {
    pub(crate) last_offset: i64,
    pub(crate) max_timestamp: i64,
    pub(crate) bytes: Bytes,
}

/// A partition log.
#[derive(Debug, Default)]
pub(crate) struct PartitionLog {
    batches: Vec<StoredBatch>,
    start_offset: i64,
    end_offset: i64,
    /// `(leader epoch, first offset written in it)`, ascending.
    epochs: Vec<(i32, i64)>,
}

/// What an append needs to know about a validated batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppendBatch {
    /// Offset delta of the last record.
    pub(crate) last_offset_delta: i32,
    /// The batch's max timestamp (create time).
    pub(crate) max_timestamp: i64,
}

impl PartitionLog {
    /// The first offset still in the log.
    pub(crate) fn start_offset(&self) -> i64 {
        self.start_offset
    }

    /// The offset the next record will get (log end offset = high watermark).
    pub(crate) fn end_offset(&self) -> i64 {
        self.end_offset
    }

    /// Bytes held by the stored batches.
    pub(crate) fn size_bytes(&self) -> i64 {
        self.batches.iter().map(|b| b.bytes.len() as i64).sum()
    }

    /// Appends a batch at the log end, writing its base offset and leader
    /// epoch (and the log-append time when given) into its bytes. Returns the
    /// base offset.
    pub(crate) fn append(
        &mut self,
        bytes: &[u8],
        batch: AppendBatch,
        leader_epoch: i32,
        log_append_time: Option<i64>,
    ) -> i64 {
        let base_offset = self.end_offset;
        let mut owned = bytes.to_vec();
        stamp_append(&mut owned, base_offset, leader_epoch, log_append_time);
        let last_offset = base_offset + i64::from(batch.last_offset_delta);
        self.batches.push(StoredBatch {
            last_offset,
            max_timestamp: log_append_time.unwrap_or(batch.max_timestamp),
            bytes: Bytes::from(owned),
        });
        self.end_offset = last_offset + 1;
        base_offset
    }

    /// Whole batches holding offsets at or after `offset`, in order, as long
    /// as they fit in `max_bytes`; the first one is returned even when it is
    /// larger if `min_one` is set (so a consumer always makes progress).
    pub(crate) fn read(&self, offset: i64, max_bytes: usize, min_one: bool) -> Vec<Bytes> {
        let first = self.batches.partition_point(|b| b.last_offset < offset);
        let mut out = Vec::new();
        let mut size = 0usize;
        for batch in &self.batches[first..] {
            let len = batch.bytes.len();
            if size + len > max_bytes && !(out.is_empty() && min_one) {
                break;
            }
            size += len;
            out.push(batch.bytes.clone());
        }
        out
    }

    /// Moves the log start offset up to `offset` (at most the log end),
    /// dropping the batches wholly below it. Returns the new start offset.
    pub(crate) fn delete_before(&mut self, offset: i64) -> i64 {
        let offset = offset.min(self.end_offset);
        if offset > self.start_offset {
            self.start_offset = offset;
            self.batches.retain(|b| b.last_offset >= offset);
        }
        self.start_offset
    }

    /// Every record from the log start, decoded.
    pub(crate) fn records(&self) -> Vec<Record> {
        let mut out = Vec::new();
        for batch in &self.batches {
            if let Ok(batches) = decode_batches(batch.bytes.clone(), &DecodeOptions::default()) {
                for b in batches {
                    if b.header.is_control() {
                        continue;
                    }
                    out.extend(
                        b.records
                            .into_iter()
                            .filter(|r| r.offset >= self.start_offset),
                    );
                }
            }
        }
        out
    }

    /// The first record at or after `timestamp`: `(offset, timestamp)`.
    pub(crate) fn offset_for_timestamp(&self, timestamp: i64) -> Option<(i64, i64)> {
        self.batches
            .iter()
            .filter(|b| b.max_timestamp >= timestamp)
            .find_map(|b| {
                decoded(b)
                    .into_iter()
                    .find(|r| r.timestamp >= timestamp && r.offset >= self.start_offset)
                    .map(|r| (r.offset, r.timestamp))
            })
    }

    /// The record with the largest timestamp (the first one on a tie):
    /// `(offset, timestamp)`.
    pub(crate) fn max_timestamp(&self) -> Option<(i64, i64)> {
        let max = self.batches.iter().map(|b| b.max_timestamp).max()?;
        self.offset_for_timestamp(max)
    }

    /// Records that `epoch` starts at the log end (a new leader does this
    /// when it takes over); epochs that never got a record are forgotten.
    pub(crate) fn assign_epoch(&mut self, epoch: i32) {
        let start = self.end_offset;
        self.epochs.retain(|(e, s)| *e < epoch && *s < start);
        self.epochs.push((epoch, start));
    }

    /// The leader epoch `offset` was written in (the latest epoch that
    /// started at or before it), -1 if unknown.
    pub(crate) fn epoch_of(&self, offset: i64) -> i32 {
        self.epochs
            .iter()
            .rev()
            .find(|(_, start)| *start <= offset)
            .map_or(-1, |(e, _)| *e)
    }

    /// Kafka's answer to OffsetForLeaderEpoch: the largest known epoch at or
    /// below `epoch` and the offset where the next epoch starts (the log end
    /// for the latest epoch); `(-1, -1)` for an epoch above the latest.
    pub(crate) fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        if epoch < 0 {
            return (-1, -1);
        }
        if self
            .epochs
            .last()
            .is_some_and(|(latest, _)| *latest == epoch)
        {
            return (epoch, self.end_offset);
        }
        let Some(&(_, next_start)) = self.epochs.iter().find(|(e, _)| *e > epoch) else {
            return (-1, -1);
        };
        let floor = self
            .epochs
            .iter()
            .rev()
            .find(|(e, _)| *e <= epoch)
            .map_or(epoch, |(e, _)| *e);
        (floor, next_start)
    }
}

fn decoded(batch: &StoredBatch) -> Vec<Record> {
    decode_batches(batch.bytes.clone(), &DecodeOptions::default())
        .map(|batches| {
            batches
                .into_iter()
                .filter(|b| !b.header.is_control())
                .flat_map(|b| b.records)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{BatchBuilder, BatchParams, Header};

    fn batch(values: &[&str], timestamp: i64) -> (Bytes, AppendBatch) {
        let mut b = BatchBuilder::default();
        for (i, v) in values.iter().enumerate() {
            b.append::<[Header]>(timestamp + i as i64, None, Some(v.as_bytes()), &[]);
        }
        let bytes = b.finish(&BatchParams::default()).expect("batch");
        (
            bytes,
            AppendBatch {
                last_offset_delta: values.len() as i32 - 1,
                max_timestamp: timestamp + values.len() as i64 - 1,
            },
        )
    }

    fn log_of(batches: &[(&[&str], i64, i32)]) -> PartitionLog {
        let mut log = PartitionLog::default();
        for (values, ts, epoch) in batches {
            let (bytes, info) = batch(values, *ts);
            log.append(&bytes, info, *epoch, None);
        }
        log
    }

    #[test]
    fn appends_assign_offsets_and_reads_return_whole_batches() {
        let log = log_of(&[
            (&["a", "b"], 100, 0),
            (&["c"], 200, 0),
            (&["d", "e"], 300, 0),
        ]);
        assert_eq!(log.end_offset(), 5);
        let values: Vec<_> = log
            .records()
            .iter()
            .map(|r| (r.offset, r.value.clone().unwrap()))
            .collect();
        assert_eq!(values[4], (4, Bytes::from_static(b"e")));
        // An offset inside a batch returns that whole batch.
        let read = log.read(1, usize::MAX, true);
        assert_eq!(read.len(), 3);
        // A limit smaller than one batch still returns it with min_one only.
        assert_eq!(log.read(0, 1, true).len(), 1);
        assert!(log.read(0, 1, false).is_empty());
        assert!(log.read(5, usize::MAX, true).is_empty());
    }

    #[test]
    fn timestamps_and_deletion() {
        let mut log = log_of(&[
            (&["a", "b"], 100, 0),
            (&["c"], 50, 0),
            (&["d", "e"], 300, 1),
        ]);
        assert_eq!(log.offset_for_timestamp(101), Some((1, 101)));
        assert_eq!(log.offset_for_timestamp(102), Some((3, 300)));
        assert_eq!(log.offset_for_timestamp(1000), None);
        assert_eq!(log.max_timestamp(), Some((4, 301)));
        let size = log.size_bytes();
        assert!(size > 0);
        assert_eq!(log.delete_before(1), 1, "inside the first batch");
        assert_eq!(log.size_bytes(), size, "which stays stored");
        assert_eq!(log.records().first().map(|r| r.offset), Some(1));
        assert_eq!(log.delete_before(3), 3);
        assert_eq!(log.records().first().map(|r| r.offset), Some(3));
        assert_eq!(log.offset_for_timestamp(0), Some((3, 300)));
        assert_eq!(log.delete_before(2), 3, "the start offset never moves back");
        assert_eq!(log.delete_before(99), 5, "at most the log end");
        assert_eq!(log.size_bytes(), 0);
    }

    #[test]
    fn epoch_end_offsets() {
        let mut log = PartitionLog::default();
        log.assign_epoch(0);
        for (values, epoch) in [(["a"], 0), (["b"], 0)] {
            let (bytes, info) = batch(&values, 1);
            log.append(&bytes, info, epoch, None);
        }
        log.assign_epoch(1); // a leader that wrote nothing
        log.assign_epoch(2);
        let (bytes, info) = batch(&["c"], 1);
        log.append(&bytes, info, 2, None);
        log.assign_epoch(3);
        let (bytes, info) = batch(&["d"], 1);
        log.append(&bytes, info, 3, None);
        assert_eq!(log.end_offset_for_epoch(0), (0, 2));
        assert_eq!(log.end_offset_for_epoch(1), (0, 2));
        assert_eq!(log.end_offset_for_epoch(2), (2, 3));
        assert_eq!(log.end_offset_for_epoch(3), (3, 4));
        assert_eq!(log.end_offset_for_epoch(4), (-1, -1));
        assert_eq!(log.end_offset_for_epoch(-1), (-1, -1));
        let mut empty = PartitionLog::default();
        empty.assign_epoch(0);
        empty.assign_epoch(5);
        assert_eq!(empty.end_offset_for_epoch(5), (5, 0));
        assert_eq!(empty.end_offset_for_epoch(0), (0, 0));
    }
}
