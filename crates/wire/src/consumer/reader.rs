//! A reader of one partition from a position, fetching as needed.

use std::collections::VecDeque;

use crate::cluster::Client;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::list_offsets::OffsetSpec;
use crate::record::Record;

use super::fetch::{fetch, FetchConfig};

/// What to do when the position is outside the log (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetReset {
    /// Move to the log start.
    Earliest,
    /// Move to the log end.
    #[default]
    Latest,
    /// Report OFFSET_OUT_OF_RANGE to the caller.
    None,
}

/// Reads records of one partition in order from a position.
#[derive(Debug)]
pub struct PartitionReader {
    client: Client,
    topic: String,
    partition: i32,
    position: i64,
    config: FetchConfig,
    reset: OffsetReset,
    buffered: VecDeque<Record>,
    high_watermark: i64,
}

impl PartitionReader {
    /// A reader starting at `offset`.
    pub fn new(
        client: Client,
        topic: impl Into<String>,
        partition: i32,
        offset: i64,
        config: FetchConfig,
    ) -> Self {
        PartitionReader {
            client,
            topic: topic.into(),
            partition,
            position: offset,
            config,
            reset: OffsetReset::Latest,
            buffered: VecDeque::new(),
            high_watermark: -1,
        }
    }

    /// A reader starting at the earliest or latest offset, or at the first
    /// record at or after a timestamp.
    pub async fn starting_at(
        client: Client,
        topic: impl Into<String>,
        partition: i32,
        spec: OffsetSpec,
        config: FetchConfig,
    ) -> Result<Self> {
        let topic = topic.into();
        let offset = resolve(&client, &topic, partition, spec, &config).await?;
        Ok(Self::new(client, topic, partition, offset, config))
    }

    /// Sets the `auto.offset.reset` policy.
    pub fn with_reset(mut self, reset: OffsetReset) -> Self {
        self.reset = reset;
        self
    }

    /// The offset of the next record to be returned.
    pub fn position(&self) -> i64 {
        self.buffered.front().map_or(self.position, |r| r.offset)
    }

    /// The high watermark seen by the last fetch (-1 before the first).
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    /// Moves to `offset`, dropping buffered records.
    pub fn seek(&mut self, offset: i64) {
        self.buffered.clear();
        self.position = offset;
    }

    /// Moves to the earliest or latest offset or to a timestamp.
    pub async fn seek_to(&mut self, spec: OffsetSpec) -> Result<()> {
        let offset = resolve(
            &self.client,
            &self.topic,
            self.partition,
            spec,
            &self.config,
        )
        .await?;
        self.seek(offset);
        Ok(())
    }

    /// Returns up to `max` records, fetching once if none are buffered (which
    /// waits at most `fetch.max.wait.ms` for new ones). May return none.
    pub async fn poll(&mut self, max: usize) -> Result<Vec<Record>> {
        if self.buffered.is_empty() {
            self.fill().await?;
        }
        let n = max.min(self.buffered.len());
        Ok(self.buffered.drain(..n).collect())
    }

    async fn fill(&mut self) -> Result<()> {
        let fetched = match fetch(
            &self.client,
            &self.topic,
            self.partition,
            self.position,
            &self.config,
        )
        .await
        {
            Err(Error::Broker {
                code: ResponseError::OffsetOutOfRange,
                ..
            }) if self.reset != OffsetReset::None => {
                let spec = if self.reset == OffsetReset::Earliest {
                    OffsetSpec::Earliest
                } else {
                    OffsetSpec::Latest
                };
                self.seek_to(spec).await?;
                return Ok(());
            }
            other => other?,
        };
        self.high_watermark = fetched.high_watermark;
        self.position = fetched.next_offset.max(self.position);
        self.buffered.extend(fetched.records);
        Ok(())
    }
}

async fn resolve(
    client: &Client,
    topic: &str,
    partition: i32,
    spec: OffsetSpec,
    config: &FetchConfig,
) -> Result<i64> {
    let found = client
        .list_offset(topic, partition, spec, config.isolation)
        .await?;
    if found.offset >= 0 {
        return Ok(found.offset);
    }
    // No record at or after the timestamp: the end of the log.
    Ok(client
        .list_offset(topic, partition, OffsetSpec::Latest, config.isolation)
        .await?
        .offset)
}
