//! Finding a group's coordinator and talking to it: FindCoordinator (batched
//! from version 4, one key per request before), a coordinator connection
//! that is forgotten after NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a
//! connection failure, and the offset requests (OffsetCommit, OffsetFetch)
//! both the consumer and group administration use.
//!
//! A member talks to its coordinator over a connection of its own, as the
//! Java client does: a broker answers the requests of one connection in
//! order, and holds a JoinGroup (or, on some brokers, a SyncGroup) until the
//! group has formed, which must not delay other members' heartbeats or the
//! client's fetches.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_FindCoordinator>
//! - KIP-699 (batched FindCoordinator)

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use kafka_protocol::messages::FindCoordinatorRequest;

use crate::cluster::Client;
use crate::conn::Connection;
use crate::consumer::{OffsetAndMetadata, TopicPartition};
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::find_coordinator::{
    self, CoordinatorType, FoundCoordinator, BATCHED_VERSION,
};
use crate::protocol::api::offset_commit::{self, Committer, PartitionCommit};
use crate::protocol::api::offset_fetch::{self, GroupQuery};
use crate::protocol::api::Api;

impl Client {
    /// Looks up the coordinators of `keys` in one FindCoordinator request
    /// when the broker speaks version 4+, else with one request per key.
    /// Each key's error, if any, is in its entry; nothing is retried.
    pub async fn find_coordinators(
        &self,
        key_type: CoordinatorType,
        keys: &[&str],
    ) -> Result<Vec<FoundCoordinator>> {
        let conn = self.any_broker().await?;
        let version = conn.version::<FindCoordinatorRequest>()?;
        if version >= BATCHED_VERSION {
            let request = find_coordinator::request(version, key_type, keys);
            let response = conn.call_version(&request, version).await?;
            return Ok(find_coordinator::coordinators(&response, version, keys));
        }
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            let request = find_coordinator::request(version, key_type, &[key]);
            let response = conn.call_version(&request, version).await?;
            found.extend(find_coordinator::coordinators(&response, version, &[key]));
        }
        Ok(found)
    }

    /// The coordinator of consumer group `group`, retrying
    /// COORDINATOR_NOT_AVAILABLE and the like until `default.api.timeout.ms`.
    pub async fn group_coordinator(&self, group: &str) -> Result<FoundCoordinator> {
        self.retry("FindCoordinator", || async {
            let found = self
                .find_coordinators(CoordinatorType::Group, &[group])
                .await?;
            let f = found.into_iter().find(|f| f.key == group).ok_or_else(|| {
                Error::group(
                    ResponseError::CoordinatorNotAvailable,
                    "FindCoordinator",
                    group,
                )
            })?;
            match f.error {
                Some(code) => Err(Error::Group {
                    code,
                    api: "FindCoordinator",
                    group: group.to_owned(),
                    message: f.message,
                }),
                None => Ok(f),
            }
        })
        .await
    }

    /// A pooled connection to coordinator `node_id`, refreshing metadata
    /// once if the broker is not in it yet.
    pub(crate) async fn coordinator_connection(&self, node_id: i32) -> Result<Connection> {
        if !self.cached_metadata().brokers.contains_key(&node_id) {
            self.refresh_metadata().await?;
        }
        self.broker(node_id).await
    }
}

/// Whether an error code means the coordinator moved or is not ready, so
/// it must be looked up again.
pub(crate) fn coordinator_moved(code: ResponseError) -> bool {
    matches!(
        code,
        ResponseError::NotCoordinator | ResponseError::CoordinatorNotAvailable
    )
}

/// Whether an error means the connection to the coordinator is gone.
pub(crate) fn connection_lost(e: &Error) -> bool {
    matches!(
        e,
        Error::Io { .. } | Error::Disconnected { .. } | Error::Timeout { .. } | Error::NoBrokers(_)
    )
}

/// The coordinator of one group, looked up on first use and again after it
/// moves.
#[derive(Debug)]
pub(crate) struct Coordinator {
    client: Client,
    group_id: String,
    current: Mutex<Option<(i32, Connection)>>,
    lookup: tokio::sync::Mutex<()>,
}

impl Coordinator {
    pub(crate) fn new(client: Client, group_id: String) -> Self {
        Coordinator {
            client,
            group_id,
            current: Mutex::new(None),
            lookup: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn group_id(&self) -> &str {
        &self.group_id
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    fn cached(&self) -> Option<Connection> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(_, c)| !c.is_closed())
            .map(|(_, c)| c.clone())
    }

    /// The coordinator's broker id, if known.
    pub(crate) fn node_id(&self) -> Option<i32> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(id, _)| *id)
    }

    /// The connection to the coordinator, looking it up and connecting
    /// (single-flight) if there is none.
    pub(crate) async fn connection(&self) -> Result<Connection> {
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        let _guard = self.lookup.lock().await;
        if let Some(conn) = self.cached() {
            return Ok(conn);
        }
        let found = self.client.group_coordinator(&self.group_id).await?;
        let port = u16::try_from(found.port).map_err(|_| {
            Error::group(
                ResponseError::CoordinatorNotAvailable,
                "FindCoordinator",
                &self.group_id,
            )
        })?;
        let conn = Connection::connect(&found.host, port, self.client.connection_config()).await?;
        tracing::debug!(group = %self.group_id, coordinator = found.node_id, "connected to group coordinator");
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((found.node_id, conn.clone()));
        Ok(conn)
    }

    /// Forgets the coordinator so the next call looks it up again.
    pub(crate) fn mark_unknown(&self) {
        if let Some((id, _)) = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            tracing::debug!(group = %self.group_id, coordinator = id, "coordinator unknown");
        }
    }

    /// Sends the request `build` makes for the negotiated version to the
    /// coordinator, waiting up to the request timeout plus `extra`. A lost
    /// connection forgets the coordinator. Not retried.
    pub(crate) async fn call<R: Api>(
        &self,
        build: impl FnOnce(i16) -> R,
        extra: Duration,
    ) -> Result<(i16, R::Response)> {
        let conn = self.connection().await?;
        let version = conn.version::<R>()?;
        let request = build(version);
        match conn.call_with_timeout(&request, extra).await {
            Ok(response) => Ok((version, response)),
            Err(e) => {
                if connection_lost(&e) {
                    self.mark_unknown();
                }
                Err(e)
            }
        }
    }

    /// Turns a group-level error code into an [`Error::Group`], forgetting
    /// the coordinator when the code says it moved.
    pub(crate) fn check(&self, code: i16, api: &'static str) -> Result<()> {
        match ResponseError::try_from_code(code) {
            None => Ok(()),
            Some(code) => {
                if coordinator_moved(code) {
                    self.mark_unknown();
                }
                Err(Error::group(code, api, &self.group_id))
            }
        }
    }

    /// Commits `offsets` as member `member_id` of `generation_id` (-1 and
    /// an empty id outside group management), retrying retriable errors
    /// until `default.api.timeout.ms`. Group-level failures are
    /// [`Error::Group`]; a partition's own failure is an
    /// [`Error::Broker`] naming it.
    pub(crate) async fn commit(
        &self,
        generation_id: i32,
        member_id: &str,
        offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>,
    ) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let committer = Committer {
            group_id: &self.group_id,
            generation_id,
            member_id,
            group_instance_id: None,
        };
        self.client
            .retry("OffsetCommit", || async {
                let (_, response) = self
                    .call(
                        |version| {
                            offset_commit::request(
                                version,
                                &committer,
                                offsets.iter().map(|(tp, o)| PartitionCommit {
                                    topic: &tp.topic,
                                    partition: tp.partition,
                                    offset: o.offset,
                                    leader_epoch: o.leader_epoch.unwrap_or(-1),
                                    metadata: o.metadata.as_deref(),
                                }),
                            )
                        },
                        Duration::ZERO,
                    )
                    .await?;
                for (topic, partition, error) in offset_commit::partition_errors(&response) {
                    let Some(code) = error else { continue };
                    return Err(match code {
                        ResponseError::OffsetMetadataTooLarge
                        | ResponseError::UnknownTopicOrPartition
                        | ResponseError::TopicAuthorizationFailed
                        | ResponseError::InvalidCommitOffsetSize => Error::Broker {
                            code,
                            api: "OffsetCommit",
                            topic: Some(topic),
                            partition: Some(partition),
                            message: None,
                        },
                        code => {
                            if coordinator_moved(code) {
                                self.mark_unknown();
                            }
                            Error::group(code, "OffsetCommit", &self.group_id)
                        }
                    });
                }
                Ok(())
            })
            .await
    }

    /// The committed offsets of `partitions`, or of every partition the
    /// group has committed when `None`. Partitions without a committed
    /// offset map to `None`.
    pub(crate) async fn committed(
        &self,
        partitions: Option<&[TopicPartition]>,
        require_stable: bool,
    ) -> Result<BTreeMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let topics: Option<Vec<(&str, Vec<i32>)>> = partitions.map(|parts| {
            let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
            for tp in parts {
                by_topic.entry(&tp.topic).or_default().push(tp.partition);
            }
            by_topic.into_iter().collect()
        });
        let query = [GroupQuery {
            group_id: &self.group_id,
            topics,
        }];
        self.client
            .retry("OffsetFetch", || async {
                let (version, response) = self
                    .call(
                        |version| offset_fetch::request(version, &query, require_stable),
                        Duration::ZERO,
                    )
                    .await?;
                let answers = offset_fetch::groups(&response, version, &[&self.group_id]);
                let answer = answers
                    .into_iter()
                    .find(|g| g.group_id == self.group_id)
                    .ok_or_else(|| {
                        Error::group(
                            ResponseError::UnknownServerError,
                            "OffsetFetch",
                            &self.group_id,
                        )
                    })?;
                if let Some(code) = answer.error {
                    self.check(code.code(), "OffsetFetch")?;
                }
                let mut out = BTreeMap::new();
                if let Some(parts) = partitions {
                    for tp in parts {
                        out.insert(tp.clone(), None);
                    }
                }
                for p in answer.partitions {
                    if let Some(code) = p.error {
                        if code.is_retriable() || coordinator_moved(code) {
                            self.check(code.code(), "OffsetFetch")?;
                        }
                        return Err(Error::Broker {
                            code,
                            api: "OffsetFetch",
                            topic: Some(p.topic),
                            partition: Some(p.partition),
                            message: None,
                        });
                    }
                    let tp = TopicPartition::new(p.topic, p.partition);
                    let committed = (p.offset >= 0).then(|| OffsetAndMetadata {
                        offset: p.offset,
                        metadata: p.metadata,
                        leader_epoch: (p.leader_epoch >= 0).then_some(p.leader_epoch),
                    });
                    if committed.is_some() || partitions.is_some() {
                        out.insert(tp, committed);
                    }
                }
                Ok(out)
            })
            .await
    }
}
