//! One module per Kafka API the cluster serves. Each implements [`Handler`]
//! for the API's request type: the versions it advertises, how it answers,
//! and the answer it gives when a failure is injected.
//!
//! Handlers run under the state lock and never wait; an answer that must
//! wait (a Fetch for more data, a JoinGroup for the rest of the group) is
//! returned as [`Reply::Poll`] or [`Reply::Later`] and completed by the
//! connection task.

mod alter_configs;
mod alter_partition_reassignments;
pub(crate) mod api_versions;
mod create_acls;
mod create_partitions;
mod create_topics;
mod delete_acls;
mod delete_groups;
mod delete_records;
mod delete_topics;
mod describe_acls;
mod describe_cluster;
mod describe_configs;
mod describe_groups;
mod describe_log_dirs;
mod elect_leaders;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod incremental_alter_configs;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod list_partition_reassignments;
mod metadata;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod offset_for_leader_epoch;
mod produce;
mod sync_group;
mod unregister_broker;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use kafka_protocol::messages::{RequestHeader, TopicName};
use kafka_protocol::protocol::{Request, StrBytes, VersionRange};
use tokio::sync::oneshot;

use super::dispatch::{self, Outcome, Peer};
use super::state::State;
use super::Shared;

/// What a handler sees of the request's context.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a mut State,
    /// The broker answering.
    pub(crate) broker: i32,
    /// The request's API version.
    pub(crate) version: i16,
    /// The request header's client id.
    pub(crate) client_id: &'a str,
    /// The client's address (`/127.0.0.1`).
    pub(crate) client_host: &'a str,
    /// Monotonic time of arrival.
    pub(crate) now: Instant,
    /// Wall-clock time of arrival, ms since the epoch.
    pub(crate) now_ms: i64,
}

/// Re-runs a handler's read until it can answer; the flag says the deadline
/// passed, and then it must answer.
pub(crate) type PollFn<R> = Box<dyn FnMut(&mut State, bool) -> Option<R> + Send>;

/// A waiting answer: polled after every append until `deadline`.
pub(crate) struct Poll<R> {
    pub(crate) deadline: Instant,
    pub(crate) poll: PollFn<R>,
}

/// A handler's answer.
pub(crate) enum Reply<R> {
    /// Answer now.
    Now(R),
    /// Send nothing (Produce with `acks=0`).
    Silent,
    /// Close the connection (Produce with `acks=0` that failed).
    Close,
    /// Answer when the group coordinator sends the response.
    Later(oneshot::Receiver<R>),
    /// Answer when new data arrives or the deadline passes.
    Poll(Poll<R>),
}

/// A Kafka API served by the cluster.
pub(crate) trait Handler: Request + Sized + Send + 'static {
    /// The versions advertised in ApiVersions (within what the
    /// `kafka-protocol` types can decode and encode).
    const ADVERTISED: VersionRange;

    /// Answers the request.
    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<Self::Response>;

    /// The answer when a failure with `code` is injected: the code on every
    /// entry of the response, nothing changed.
    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<Self::Response>;
}

/// Lists every served API once: dispatch by key, and the ApiVersions table.
macro_rules! apis {
    ($($request:ty),* $(,)?) => {
        /// Routes a decoded header to the handler of its API.
        pub(crate) fn dispatch(
            shared: &Arc<Shared>,
            peer: &Peer,
            header: RequestHeader,
            body: Bytes,
        ) -> Option<Outcome> {
            let key = header.request_api_key;
            $(
                if key == <$request as Request>::KEY {
                    return Some(dispatch::run::<$request>(shared, peer, header, body));
                }
            )*
            None
        }

        /// `(api key, versions)` of every served API, by key.
        pub(crate) fn advertised() -> Vec<(i16, VersionRange)> {
            let mut all = vec![$((<$request as Request>::KEY, <$request as Handler>::ADVERTISED)),*];
            all.sort_by_key(|(k, _)| *k);
            all
        }
    };
}

use kafka_protocol::messages::{
    AlterConfigsRequest, AlterPartitionReassignmentsRequest, ApiVersionsRequest, CreateAclsRequest,
    CreatePartitionsRequest, CreateTopicsRequest, DeleteAclsRequest, DeleteGroupsRequest,
    DeleteRecordsRequest, DeleteTopicsRequest, DescribeAclsRequest, DescribeClusterRequest,
    DescribeConfigsRequest, DescribeGroupsRequest, DescribeLogDirsRequest, ElectLeadersRequest,
    FetchRequest, FindCoordinatorRequest, HeartbeatRequest, IncrementalAlterConfigsRequest,
    InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest, ListGroupsRequest,
    ListOffsetsRequest, ListPartitionReassignmentsRequest, MetadataRequest, OffsetCommitRequest,
    OffsetDeleteRequest, OffsetFetchRequest, OffsetForLeaderEpochRequest, ProduceRequest,
    SyncGroupRequest, UnregisterBrokerRequest,
};

apis!(
    ProduceRequest,
    FetchRequest,
    ListOffsetsRequest,
    MetadataRequest,
    OffsetCommitRequest,
    OffsetFetchRequest,
    FindCoordinatorRequest,
    JoinGroupRequest,
    HeartbeatRequest,
    LeaveGroupRequest,
    SyncGroupRequest,
    DescribeGroupsRequest,
    ListGroupsRequest,
    ApiVersionsRequest,
    CreateTopicsRequest,
    DeleteTopicsRequest,
    DeleteRecordsRequest,
    InitProducerIdRequest,
    OffsetForLeaderEpochRequest,
    DescribeAclsRequest,
    CreateAclsRequest,
    DeleteAclsRequest,
    DescribeConfigsRequest,
    AlterConfigsRequest,
    DescribeLogDirsRequest,
    CreatePartitionsRequest,
    DeleteGroupsRequest,
    ElectLeadersRequest,
    IncrementalAlterConfigsRequest,
    AlterPartitionReassignmentsRequest,
    ListPartitionReassignmentsRequest,
    OffsetDeleteRequest,
    DescribeClusterRequest,
    UnregisterBrokerRequest,
);

/// A protocol string.
pub(crate) fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

/// A topic name field.
pub(crate) fn topic_name(s: &str) -> TopicName {
    TopicName(str_bytes(s))
}
