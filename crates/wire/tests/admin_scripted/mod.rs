//! A scripted cluster for admin-routing tests.
//!
//! Brokers 1..=n listen on 127.0.0.1. They answer ApiVersions (the admin
//! APIs with the client's version ranges, minus the ones a test removes or
//! caps) and Metadata (brokers, controller, cluster id and topics from the
//! shared [`State`]) themselves; every other request goes to the test's
//! handler, which sees the broker it reached and may change the state (move
//! the controller, move a leader). Every request is recorded.
//!
//! Everything runs on the calling test's runtime and ends with it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{
    decode_request_header_from_buffer, Decodable, Encodable, Message, StrBytes,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wire::protocol::api::Api;

/// One request a broker received.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The broker that received it.
    pub(crate) broker: i32,
    pub(crate) api: ApiKey,
    pub(crate) version: i16,
    body: Bytes,
}

impl Request {
    /// The request body, decoded.
    pub(crate) fn decode<T: Decodable>(&self) -> T {
        let mut body = self.body.clone();
        let decoded = T::decode(&mut body, self.version).expect("request body decodes");
        assert_eq!(body.remaining(), 0, "trailing bytes after the request body");
        decoded
    }
}

/// What a broker does with a request.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Answer with this encoded response body.
    Body(BytesMut),
    /// Close the connection without answering.
    Close,
}

/// Encodes `response` as the answer to `request`.
pub(crate) fn reply<T: Encodable>(request: &Request, response: &T) -> Reply {
    let mut body = BytesMut::new();
    response
        .encode(&mut body, request.version)
        .expect("response encodes");
    Reply::Body(body)
}

/// A topic: the leader of each partition (replicas are all brokers).
pub(crate) type Leaders = Vec<i32>;

/// The cluster's shared state.
#[derive(Debug)]
pub(crate) struct State {
    /// Broker addresses.
    pub(crate) brokers: BTreeMap<i32, std::net::SocketAddr>,
    /// The controller Metadata reports.
    pub(crate) controller: i32,
    /// The cluster id Metadata reports.
    pub(crate) cluster_id: String,
    /// Topics and their partition leaders.
    pub(crate) topics: BTreeMap<String, Leaders>,
    /// APIs the brokers do not advertise.
    pub(crate) missing: BTreeSet<i16>,
    /// Highest versions advertised, where lower than the client's.
    pub(crate) caps: BTreeMap<i16, i16>,
    /// Every request, in arrival order (ApiVersions and Metadata included).
    pub(crate) calls: Vec<(i32, ApiKey, i16)>,
}

type Handler = Arc<dyn Fn(&Request, &mut State) -> Reply + Send + Sync>;

/// A scripted cluster.
#[derive(Debug)]
pub(crate) struct AdminCluster {
    state: Arc<Mutex<State>>,
}

/// The admin-relevant APIs and the client's version range of each.
fn client_versions() -> Vec<(i16, i16, i16)> {
    fn range<R: Api + Message>() -> (i16, i16, i16) {
        let v = R::CLIENT_VERSIONS.intersect(&<R as Message>::VERSIONS);
        (R::KEY, v.min, v.max)
    }
    vec![
        range::<ApiVersionsRequest>(),
        range::<MetadataRequest>(),
        range::<ListOffsetsRequest>(),
        range::<CreateTopicsRequest>(),
        range::<DeleteTopicsRequest>(),
        range::<CreatePartitionsRequest>(),
        range::<DescribeConfigsRequest>(),
        range::<IncrementalAlterConfigsRequest>(),
        range::<AlterConfigsRequest>(),
        range::<DescribeClusterRequest>(),
        range::<DeleteRecordsRequest>(),
        range::<CreateAclsRequest>(),
        range::<DescribeAclsRequest>(),
        range::<DeleteAclsRequest>(),
        range::<ListPartitionReassignmentsRequest>(),
        range::<AlterPartitionReassignmentsRequest>(),
        range::<ElectLeadersRequest>(),
        range::<DescribeLogDirsRequest>(),
        range::<UnregisterBrokerRequest>(),
    ]
}

impl AdminCluster {
    /// Starts brokers 1..=`brokers` with `controller` as the controller and
    /// `handler` for everything but ApiVersions and Metadata.
    pub(crate) async fn start(
        brokers: i32,
        controller: i32,
        handler: impl Fn(&Request, &mut State) -> Reply + Send + Sync + 'static,
    ) -> AdminCluster {
        let state = Arc::new(Mutex::new(State {
            brokers: BTreeMap::new(),
            controller,
            cluster_id: "scripted-cluster".into(),
            topics: BTreeMap::new(),
            missing: BTreeSet::new(),
            caps: BTreeMap::new(),
            calls: Vec::new(),
        }));
        let handler: Handler = Arc::new(handler);
        for id in 1..=brokers {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
            let addr = listener.local_addr().expect("local address");
            lock(&state).brokers.insert(id, addr);
            let state = state.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let _ = socket.set_nodelay(true);
                    tokio::spawn(serve(id, socket, state.clone(), handler.clone()));
                }
            });
        }
        AdminCluster { state }
    }

    /// The shared state.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// `bootstrap.servers` naming broker 1.
    pub(crate) fn bootstrap(&self) -> String {
        self.state().brokers[&1].to_string()
    }

    /// Adds a topic whose partitions are led by `leaders`.
    pub(crate) fn add_topic(&self, name: &str, leaders: Leaders) {
        self.state().topics.insert(name.to_owned(), leaders);
    }

    /// Stops advertising API `key`.
    pub(crate) fn remove_api(&self, key: ApiKey) {
        self.state().missing.insert(key as i16);
    }

    /// Advertises API `key` up to `max` only.
    pub(crate) fn cap_api(&self, key: ApiKey, max: i16) {
        self.state().caps.insert(key as i16, max);
    }

    /// The requests of API `key`, as `(broker, version)`.
    pub(crate) fn calls_of(&self, key: ApiKey) -> Vec<(i32, i16)> {
        self.state()
            .calls
            .iter()
            .filter(|(_, k, _)| *k == key)
            .map(|(b, _, v)| (*b, *v))
            .collect()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

async fn serve(broker: i32, mut socket: TcpStream, state: Arc<Mutex<State>>, handler: Handler) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let Some(frame) = read_frame(&mut socket, &mut buf).await else {
            return;
        };
        let Some(out) = handle(broker, frame, &state, &handler) else {
            return;
        };
        if socket.write_all(&out).await.is_err() {
            return;
        }
    }
}

async fn read_frame(socket: &mut TcpStream, buf: &mut BytesMut) -> Option<Bytes> {
    loop {
        if buf.len() >= 4 {
            let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
            let size = usize::try_from(size).expect("non-negative request size");
            if buf.len() >= 4 + size {
                buf.advance(4);
                return Some(buf.split_to(size).freeze());
            }
        }
        match socket.read_buf(buf).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Handles one request frame; `None` closes the connection.
fn handle(broker: i32, mut frame: Bytes, state: &Mutex<State>, handler: &Handler) -> Option<Bytes> {
    let header = decode_request_header_from_buffer(&mut frame).expect("request header decodes");
    let api = ApiKey::try_from(header.request_api_key).expect("known api key");
    let version = header.request_api_version;
    let request = Request {
        broker,
        api,
        version,
        body: frame,
    };
    let mut state = lock(state);
    state.calls.push((broker, api, version));
    let body = match api {
        ApiKey::ApiVersions => {
            let response = api_versions(&state);
            let mut body = BytesMut::new();
            response.encode(&mut body, version).expect("encodes");
            body
        }
        ApiKey::Metadata => {
            let request: MetadataRequest = request.decode();
            let mut body = BytesMut::new();
            metadata(&state, &request)
                .encode(&mut body, version)
                .expect("encodes");
            body
        }
        _ => match handler(&request, &mut state) {
            Reply::Body(body) => body,
            Reply::Close => return None,
        },
    };
    let mut out = BytesMut::new();
    out.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut out, api.response_header_version(version))
        .expect("response header encodes");
    out.extend_from_slice(&body);
    let size = i32::try_from(out.len() - 4).expect("frame size");
    out[..4].copy_from_slice(&size.to_be_bytes());
    Some(out.freeze())
}

fn api_versions(state: &State) -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(
        client_versions()
            .into_iter()
            .filter(|(key, _, _)| !state.missing.contains(key))
            .map(|(key, min, max)| {
                let max = state.caps.get(&key).copied().unwrap_or(max).min(max);
                ApiVersion::default()
                    .with_api_key(key)
                    .with_min_version(min)
                    .with_max_version(max)
            })
            .collect(),
    )
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

fn metadata(state: &State, request: &MetadataRequest) -> MetadataResponse {
    let brokers = state
        .brokers
        .iter()
        .map(|(&id, addr)| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(id))
                .with_host(StrBytes::from_string(addr.ip().to_string()))
                .with_port(i32::from(addr.port()))
                .with_rack(Some(StrBytes::from_string(format!("rack-{id}"))))
        })
        .collect();
    let replicas: Vec<BrokerId> = state.brokers.keys().map(|&id| BrokerId(id)).collect();
    let wanted: Option<Vec<String>> = request.topics.as_ref().map(|topics| {
        topics
            .iter()
            .filter_map(|t| t.name.as_ref().map(|n| n.to_string()))
            .collect()
    });
    let mut topics = Vec::new();
    let names: Vec<String> = match &wanted {
        Some(names) => names.clone(),
        None => state.topics.keys().cloned().collect(),
    };
    for name in names {
        let Some(leaders) = state.topics.get(&name) else {
            topics.push(
                MetadataResponseTopic::default()
                    .with_name(Some(topic_name(&name)))
                    .with_error_code(3),
            );
            continue;
        };
        topics.push(
            MetadataResponseTopic::default()
                .with_name(Some(topic_name(&name)))
                .with_partitions(
                    leaders
                        .iter()
                        .enumerate()
                        .map(|(i, &leader)| {
                            MetadataResponsePartition::default()
                                .with_partition_index(i as i32)
                                .with_leader_id(BrokerId(leader))
                                .with_replica_nodes(replicas.clone())
                                .with_isr_nodes(replicas.clone())
                        })
                        .collect(),
                ),
        );
    }
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(StrBytes::from_string(state.cluster_id.clone())))
        .with_controller_id(BrokerId(state.controller))
        .with_topics(topics)
}
