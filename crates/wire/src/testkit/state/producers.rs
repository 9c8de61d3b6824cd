//! Idempotent producer bookkeeping of one partition, following the broker's
//! rules:
//!
//! - per producer id the epoch and the last five batches are remembered;
//! - a batch of an older epoch is rejected with `INVALID_PRODUCER_EPOCH`;
//! - a batch whose sequence range equals one of the five remembered batches
//!   (same epoch) is a duplicate: it is not appended again and is answered
//!   with success and the offset it was first written at, as Kafka has done
//!   since 1.0 (`DUPLICATE_SEQUENCE_NUMBER` is no longer sent for it);
//! - otherwise the first sequence must follow the last one exactly (0 after
//!   `i32::MAX`; 0 for a new epoch), else `OUT_OF_ORDER_SEQUENCE_NUMBER`;
//! - a producer id the partition has not seen may start at any sequence.
//!
//! # References
//! - KIP-98 (idempotent producer), KIP-360 (epoch bumps)

use std::collections::{HashMap, VecDeque};

use crate::error::ResponseError;

/// How many batches per producer are remembered for de-duplication.
const DEDUP_WINDOW: usize = 5;

#[derive(Debug, Clone, Copy)]
struct BatchMeta {
    first_sequence: i32,
    last_sequence: i32,
    base_offset: i64,
    log_append_time: i64,
}

#[derive(Debug)]
struct ProducerEntry {
    epoch: i16,
    recent: VecDeque<BatchMeta>,
}

/// The producers that wrote to one partition.
#[derive(Debug, Default)]
pub(crate) struct Producers {
    entries: HashMap<i64, ProducerEntry>,
}

/// The producer fields of a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProducerBatch {
    pub(crate) producer_id: i64,
    pub(crate) epoch: i16,
    pub(crate) first_sequence: i32,
    pub(crate) record_count: i32,
}

impl ProducerBatch {
    fn last_sequence(&self) -> i32 {
        let increment = self.record_count - 1;
        if self.first_sequence > i32::MAX - increment {
            increment - (i32::MAX - self.first_sequence) - 1
        } else {
            self.first_sequence + increment
        }
    }
}

/// The verdict on a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequenceCheck {
    /// Append it.
    Append,
    /// Already written at `base_offset`; do not append.
    Duplicate {
        base_offset: i64,
        log_append_time: i64,
    },
    /// Reject it.
    Reject(ResponseError),
}

impl Producers {
    /// Checks a batch of an idempotent producer (`producer_id >= 0`).
    pub(crate) fn check(&self, batch: &ProducerBatch) -> SequenceCheck {
        let Some(entry) = self.entries.get(&batch.producer_id) else {
            return SequenceCheck::Append;
        };
        if batch.epoch < entry.epoch {
            return SequenceCheck::Reject(ResponseError::InvalidProducerEpoch);
        }
        if batch.epoch > entry.epoch {
            return if batch.first_sequence == 0 {
                SequenceCheck::Append
            } else {
                SequenceCheck::Reject(ResponseError::OutOfOrderSequenceNumber)
            };
        }
        let last = batch.last_sequence();
        if let Some(seen) = entry
            .recent
            .iter()
            .find(|b| b.first_sequence == batch.first_sequence && b.last_sequence == last)
        {
            return SequenceCheck::Duplicate {
                base_offset: seen.base_offset,
                log_append_time: seen.log_append_time,
            };
        }
        let in_sequence = entry.recent.back().is_none_or(|b| {
            i64::from(batch.first_sequence) == i64::from(b.last_sequence) + 1
                || (batch.first_sequence == 0 && b.last_sequence == i32::MAX)
        });
        if in_sequence {
            SequenceCheck::Append
        } else {
            SequenceCheck::Reject(ResponseError::OutOfOrderSequenceNumber)
        }
    }

    /// Remembers an appended batch.
    pub(crate) fn record(&mut self, batch: &ProducerBatch, base_offset: i64, log_append_time: i64) {
        let entry = self
            .entries
            .entry(batch.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: batch.epoch,
                recent: VecDeque::new(),
            });
        if entry.epoch != batch.epoch {
            entry.epoch = batch.epoch;
            entry.recent.clear();
        }
        entry.recent.push_back(BatchMeta {
            first_sequence: batch.first_sequence,
            last_sequence: batch.last_sequence(),
            base_offset,
            log_append_time,
        });
        if entry.recent.len() > DEDUP_WINDOW {
            entry.recent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(epoch: i16, first_sequence: i32, record_count: i32) -> ProducerBatch {
        ProducerBatch {
            producer_id: 7,
            epoch,
            first_sequence,
            record_count,
        }
    }

    #[test]
    fn sequences_duplicates_and_epochs() {
        let mut p = Producers::default();
        assert_eq!(
            p.check(&batch(0, 5, 2)),
            SequenceCheck::Append,
            "new producer"
        );
        p.record(&batch(0, 0, 2), 0, -1);
        p.record(&batch(0, 2, 3), 2, -1);
        assert_eq!(
            p.check(&batch(0, 0, 2)),
            SequenceCheck::Duplicate {
                base_offset: 0,
                log_append_time: -1
            }
        );
        assert_eq!(p.check(&batch(0, 5, 1)), SequenceCheck::Append);
        assert_eq!(
            p.check(&batch(0, 6, 1)),
            SequenceCheck::Reject(ResponseError::OutOfOrderSequenceNumber)
        );
        assert_eq!(
            p.check(&batch(0, 1, 1)),
            SequenceCheck::Reject(ResponseError::OutOfOrderSequenceNumber),
            "a sequence inside an earlier batch is not a duplicate"
        );
        assert_eq!(p.check(&batch(1, 0, 1)), SequenceCheck::Append);
        assert_eq!(
            p.check(&batch(1, 3, 1)),
            SequenceCheck::Reject(ResponseError::OutOfOrderSequenceNumber)
        );
        p.record(&batch(1, 0, 1), 5, -1);
        assert_eq!(
            p.check(&batch(0, 5, 1)),
            SequenceCheck::Reject(ResponseError::InvalidProducerEpoch)
        );
    }

    #[test]
    fn window_holds_five_batches_and_sequences_wrap() {
        let mut p = Producers::default();
        for i in 0..6 {
            p.record(&batch(0, i, 1), i64::from(i), -1);
        }
        assert!(matches!(
            p.check(&batch(0, 1, 1)),
            SequenceCheck::Duplicate { base_offset: 1, .. }
        ));
        assert_eq!(
            p.check(&batch(0, 0, 1)),
            SequenceCheck::Reject(ResponseError::OutOfOrderSequenceNumber),
            "out of the window"
        );
        let mut p = Producers::default();
        p.record(&batch(0, i32::MAX - 1, 2), 0, -1);
        assert_eq!(p.check(&batch(0, 0, 1)), SequenceCheck::Append);
        assert_eq!(batch(0, i32::MAX, 3).last_sequence(), 1);
    }
}
