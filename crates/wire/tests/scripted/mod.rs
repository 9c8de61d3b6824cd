//! A scripted fake Kafka cluster for fault-injection tests.
//!
//! Each broker is a `TcpListener` on 127.0.0.1 speaking just enough of the
//! protocol for the cluster client and the producer: ApiVersions, Metadata,
//! InitProducerId, Produce and ListOffsets. All brokers share one in-memory
//! store (partition logs, leaders, producer state), so a leader move hands
//! the log over to the new leader as replication would.
//!
//! Produce follows the broker's idempotence rules: per producer id and
//! partition the last five batches are remembered; a batch whose sequence
//! range matches one of them is answered with success and the offset it was
//! first written at, without being appended again; any other batch must
//! continue the sequence exactly (else OUT_OF_ORDER_SEQUENCE_NUMBER).
//!
//! Faults are set through [`FakeCluster`] methods: error codes for the next
//! Produce or ListOffsets calls of a partition, a Produce whose response is
//! lost (the connection is closed after the append), a delayed response,
//! leader moves, and stopping and restarting a broker on the same port.
//! Every Produce and ListOffsets attempt is recorded for assertions.
//!
//! Everything runs on the calling test's runtime and ends with it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, InitProducerIdResponse, ListOffsetsRequest,
    ListOffsetsResponse, MetadataRequest, MetadataResponse, ProduceRequest, ProduceResponse,
    ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{decode_request_header_from_buffer, Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wire::record::{decode_batches, DecodeOptions, RecordBatch};

/// The one topic the fake cluster has.
pub(crate) const TOPIC: &str = "t";

/// Producer id handed out by the first InitProducerId; later ones count up.
pub(crate) const FIRST_PRODUCER_ID: i64 = 1000;

const NONE: i16 = 0;
const CORRUPT_MESSAGE: i16 = 2;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const NOT_LEADER_OR_FOLLOWER: i16 = 6;
const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
const INVALID_PRODUCER_EPOCH: i16 = 47;
const INVALID_RECORD: i16 = 87;

/// How many batches per producer and partition are remembered for
/// de-duplication (as in Kafka).
const DEDUP_WINDOW: usize = 5;

/// The API versions the fake brokers advertise (the client's ranges).
const VERSIONS: [(ApiKey, i16, i16); 6] = [
    (ApiKey::Produce, 3, 11),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 1, 12),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::InitProducerId, 0, 4),
];

/// What the broker did with one produced batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Written to the log at `base_offset`.
    Appended { base_offset: i64 },
    /// Recognised as a re-send of a batch written at `base_offset`.
    Duplicate { base_offset: i64 },
    /// Rejected with this error code, not written.
    Error(i16),
}

/// One batch of one Produce request, as the broker saw and handled it.
#[derive(Debug, Clone)]
pub(crate) struct ProduceAttempt {
    /// The broker that received it.
    pub(crate) broker: i32,
    pub(crate) partition: i32,
    pub(crate) producer_id: i64,
    pub(crate) producer_epoch: i16,
    pub(crate) base_sequence: i32,
    /// The records' values, in batch order.
    pub(crate) values: Vec<String>,
    pub(crate) outcome: Outcome,
    /// The connection was closed instead of sending the response.
    pub(crate) response_dropped: bool,
}

/// One partition of one ListOffsets request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListOffsetsAttempt {
    pub(crate) broker: i32,
    pub(crate) partition: i32,
    pub(crate) error_code: i16,
}

/// A record in a partition log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredRecord {
    pub(crate) offset: i64,
    pub(crate) timestamp: i64,
    pub(crate) value: String,
    pub(crate) producer_id: i64,
}

/// A batch remembered for de-duplication: its sequence range and offset.
#[derive(Debug, Clone, Copy)]
struct BatchMetadata {
    first_sequence: i32,
    last_sequence: i32,
    base_offset: i64,
}

#[derive(Debug)]
struct ProducerEntry {
    epoch: i16,
    recent: VecDeque<BatchMetadata>,
}

#[derive(Debug)]
struct Partition {
    leader: i32,
    leader_epoch: i32,
    log: Vec<StoredRecord>,
    producers: HashMap<i64, ProducerEntry>,
}

#[derive(Debug, Default)]
struct Faults {
    /// Error codes for the next Produce batches of a partition, in order.
    produce_errors: HashMap<i32, VecDeque<i16>>,
    /// An error code every Produce batch of a partition gets.
    produce_always: HashMap<i32, i16>,
    /// How many appended Produce batches of a partition get no response
    /// (the connection is closed instead).
    drop_produce_response: HashMap<i32, usize>,
    /// Delays for the responses to the next Produce batches of a partition.
    delay_produce_response: HashMap<i32, VecDeque<Duration>>,
    /// Error codes for the next ListOffsets lookups of a partition.
    list_offsets_errors: HashMap<i32, VecDeque<i16>>,
    /// Move a partition's leader to a broker once its log holds this many
    /// records: `(records, new leader)`.
    move_leader_at: HashMap<i32, (usize, i32)>,
}

#[derive(Debug)]
struct State {
    partitions: Vec<Partition>,
    brokers: BTreeMap<i32, SocketAddr>,
    next_producer_id: i64,
    faults: Faults,
    produce_attempts: Vec<ProduceAttempt>,
    list_offsets_attempts: Vec<ListOffsetsAttempt>,
    init_producer_id_calls: usize,
    connections: HashMap<i32, usize>,
}

/// What a connection does after handling a request.
#[derive(Debug)]
enum Action {
    /// Send this response frame after waiting `delay`.
    Reply { frame: Bytes, delay: Duration },
    /// Send nothing (Produce with `acks=0`).
    Silent,
    /// Close the connection without answering.
    Close,
}

/// A listening broker.
#[derive(Debug)]
struct Running {
    shutdown: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

/// A fake cluster of brokers with ids 1..=n sharing one store.
#[derive(Debug)]
pub(crate) struct FakeCluster {
    state: Arc<Mutex<State>>,
    running: Mutex<HashMap<i32, Running>>,
}

impl FakeCluster {
    /// Starts `brokers` brokers (ids 1..=brokers) and topic [`TOPIC`] with
    /// `partitions` partitions, all led by broker 1.
    pub(crate) async fn start(brokers: i32, partitions: i32) -> FakeCluster {
        let state = State {
            partitions: (0..partitions)
                .map(|_| Partition {
                    leader: 1,
                    leader_epoch: 0,
                    log: Vec::new(),
                    producers: HashMap::new(),
                })
                .collect(),
            brokers: BTreeMap::new(),
            next_producer_id: FIRST_PRODUCER_ID,
            faults: Faults::default(),
            produce_attempts: Vec::new(),
            list_offsets_attempts: Vec::new(),
            init_producer_id_calls: 0,
            connections: HashMap::new(),
        };
        let cluster = FakeCluster {
            state: Arc::new(Mutex::new(state)),
            running: Mutex::new(HashMap::new()),
        };
        for id in 1..=brokers {
            cluster
                .listen(id, "127.0.0.1:0".parse().expect("address"))
                .await;
        }
        cluster
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// `bootstrap.servers` naming broker 1.
    pub(crate) fn bootstrap(&self) -> String {
        self.state().brokers[&1].to_string()
    }

    async fn listen(&self, id: i32, addr: SocketAddr) {
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                // The old listener's port may take a moment to be free.
                Err(_) if attempts < 50 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("broker {id} cannot listen on {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().expect("local address");
        self.state().brokers.insert(id, addr);
        let (shutdown, stopped) = watch::channel(false);
        let state = self.state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let _ = socket.set_nodelay(true);
                *lock(&state).connections.entry(id).or_default() += 1;
                tokio::spawn(serve(id, socket, state.clone(), stopped.clone()));
            }
        });
        let previous = lock_running(&self.running).insert(id, Running { shutdown, accept });
        assert!(previous.is_none(), "broker {id} was already running");
    }

    /// Stops broker `id`: its listener is closed and so is every connection
    /// it accepted. It stays in the metadata, as a crashed broker would until
    /// its session expires.
    pub(crate) async fn stop_broker(&self, id: i32) {
        let running = lock_running(&self.running)
            .remove(&id)
            .unwrap_or_else(|| panic!("broker {id} is not running"));
        let _ = running.shutdown.send(true);
        running.accept.abort();
        let _ = running.accept.await;
    }

    /// Starts broker `id` again on the port it had.
    pub(crate) async fn restart_broker(&self, id: i32) {
        let addr = self.state().brokers[&id];
        self.listen(id, addr).await;
    }

    /// Makes broker `to` the leader of `partition` at once.
    pub(crate) fn move_leader(&self, partition: i32, to: i32) {
        let mut state = self.state();
        let p = &mut state.partitions[partition as usize];
        p.leader = to;
        p.leader_epoch += 1;
    }

    /// Moves `partition`'s leader to broker `to` as soon as its log holds at
    /// least `records` records (checked after each append).
    pub(crate) fn move_leader_when_log_reaches(&self, partition: i32, records: usize, to: i32) {
        self.state()
            .faults
            .move_leader_at
            .insert(partition, (records, to));
    }

    /// The current leader of `partition`.
    pub(crate) fn leader(&self, partition: i32) -> i32 {
        self.state().partitions[partition as usize].leader
    }

    /// Answers the next Produce batches for `partition` with these codes,
    /// one per batch, without appending them.
    pub(crate) fn fail_next_produce(&self, partition: i32, codes: &[i16]) {
        self.state()
            .faults
            .produce_errors
            .entry(partition)
            .or_default()
            .extend(codes);
    }

    /// Answers every Produce batch for `partition` with `code`.
    pub(crate) fn always_fail_produce(&self, partition: i32, code: i16) {
        self.state().faults.produce_always.insert(partition, code);
    }

    /// The next Produce batch for `partition` that is appended gets no
    /// response: the connection is closed right after the append.
    pub(crate) fn drop_next_produce_response(&self, partition: i32) {
        *self
            .state()
            .faults
            .drop_produce_response
            .entry(partition)
            .or_default() += 1;
    }

    /// The response to the next Produce request with a batch for
    /// `partition` is sent only after `delay` (the batch is handled at once).
    pub(crate) fn delay_next_produce_response(&self, partition: i32, delay: Duration) {
        self.state()
            .faults
            .delay_produce_response
            .entry(partition)
            .or_default()
            .push_back(delay);
    }

    /// Answers the next ListOffsets lookup of `partition` with `code`.
    pub(crate) fn fail_next_list_offsets(&self, partition: i32, code: i16) {
        self.state()
            .faults
            .list_offsets_errors
            .entry(partition)
            .or_default()
            .push_back(code);
    }

    /// Writes records straight into a partition log (no producer id).
    pub(crate) fn append_direct(&self, partition: i32, values: &[String]) {
        let mut state = self.state();
        let log = &mut state.partitions[partition as usize].log;
        for v in values {
            let offset = log.len() as i64;
            log.push(StoredRecord {
                offset,
                timestamp: 0,
                value: v.clone(),
                producer_id: -1,
            });
        }
    }

    /// A partition's log.
    pub(crate) fn log(&self, partition: i32) -> Vec<StoredRecord> {
        self.state().partitions[partition as usize].log.clone()
    }

    /// The values in a partition's log, in offset order.
    pub(crate) fn log_values(&self, partition: i32) -> Vec<String> {
        self.log(partition).into_iter().map(|r| r.value).collect()
    }

    /// Every Produce batch the brokers handled, in order.
    pub(crate) fn produce_attempts(&self) -> Vec<ProduceAttempt> {
        self.state().produce_attempts.clone()
    }

    /// Every ListOffsets lookup the brokers handled, in order.
    pub(crate) fn list_offsets_attempts(&self) -> Vec<ListOffsetsAttempt> {
        self.state().list_offsets_attempts.clone()
    }

    /// How many InitProducerId requests were answered.
    pub(crate) fn init_producer_id_calls(&self) -> usize {
        self.state().init_producer_id_calls
    }

    /// How many connections broker `id` accepted so far.
    pub(crate) fn connections_accepted(&self, id: i32) -> usize {
        self.state().connections.get(&id).copied().unwrap_or(0)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn lock_running(running: &Mutex<HashMap<i32, Running>>) -> MutexGuard<'_, HashMap<i32, Running>> {
    running.lock().unwrap_or_else(|p| p.into_inner())
}

/// Serves one connection: requests are handled one at a time, in order,
/// like a Kafka broker does for one connection.
async fn serve(
    broker: i32,
    mut socket: TcpStream,
    state: Arc<Mutex<State>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        if *stopped.borrow() {
            return;
        }
        let frame = tokio::select! {
            _ = stopped.changed() => return,
            frame = read_frame(&mut socket, &mut buf) => match frame {
                Some(frame) => frame,
                None => return,
            },
        };
        let action = handle(broker, frame, &state);
        match action {
            Action::Close => return,
            Action::Silent => {}
            Action::Reply { frame, delay } => {
                if !delay.is_zero() {
                    tokio::select! {
                        _ = stopped.changed() => return,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
                if socket.write_all(&frame).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Reads one request frame (without its length prefix); `None` at end of
/// stream or on an error.
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

fn decode<T: Decodable>(body: &mut Bytes, version: i16) -> T {
    let decoded = T::decode(body, version).expect("request body decodes");
    assert_eq!(body.remaining(), 0, "trailing bytes after the request body");
    decoded
}

/// Handles one request frame under the store lock.
fn handle(broker: i32, mut frame: Bytes, state: &Mutex<State>) -> Action {
    let header = decode_request_header_from_buffer(&mut frame).expect("request header decodes");
    let api_key = ApiKey::try_from(header.request_api_key).expect("known api key");
    let version = header.request_api_version;
    let mut out = BytesMut::new();
    out.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut out, api_key.response_header_version(version))
        .expect("response header encodes");
    let mut state = lock(state);
    let mut delay = Duration::ZERO;
    let encoded = match api_key {
        ApiKey::ApiVersions => api_versions().encode(&mut out, version),
        ApiKey::Metadata => {
            let request: MetadataRequest = decode(&mut frame, version);
            state.metadata(&request).encode(&mut out, version)
        }
        ApiKey::InitProducerId => {
            let id = state.next_producer_id;
            state.next_producer_id += 1;
            state.init_producer_id_calls += 1;
            InitProducerIdResponse::default()
                .with_producer_id(id.into())
                .with_producer_epoch(0)
                .encode(&mut out, version)
        }
        ApiKey::Produce => {
            let request: ProduceRequest = decode(&mut frame, version);
            let acks = request.acks;
            let (response, wait, close) = state.produce(broker, request);
            if close {
                return Action::Close;
            }
            if acks == 0 {
                return Action::Silent;
            }
            delay = wait;
            response.encode(&mut out, version)
        }
        ApiKey::ListOffsets => {
            let request: ListOffsetsRequest = decode(&mut frame, version);
            state
                .list_offsets(broker, request)
                .encode(&mut out, version)
        }
        // Anything else (Fetch included) is not scripted: hang up, which the
        // client sees as a broken connection.
        _ => return Action::Close,
    };
    encoded.expect("response encodes");
    let size = i32::try_from(out.len() - 4).expect("frame size");
    out[..4].copy_from_slice(&size.to_be_bytes());
    Action::Reply {
        frame: out.freeze(),
        delay,
    }
}

fn api_versions() -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(
        VERSIONS
            .iter()
            .map(|&(key, min, max)| {
                ApiVersion::default()
                    .with_api_key(key as i16)
                    .with_min_version(min)
                    .with_max_version(max)
            })
            .collect(),
    )
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

impl State {
    fn metadata(&self, request: &MetadataRequest) -> MetadataResponse {
        let brokers = self
            .brokers
            .iter()
            .map(|(&id, addr)| {
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(id))
                    .with_host(StrBytes::from_string(addr.ip().to_string()))
                    .with_port(i32::from(addr.port()))
            })
            .collect();
        let replicas: Vec<BrokerId> = self.brokers.keys().map(|&id| BrokerId(id)).collect();
        let ours = MetadataResponseTopic::default()
            .with_name(Some(topic_name(TOPIC)))
            .with_partitions(
                self.partitions
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        MetadataResponsePartition::default()
                            .with_partition_index(i as i32)
                            .with_leader_id(BrokerId(p.leader))
                            .with_leader_epoch(p.leader_epoch)
                            .with_replica_nodes(replicas.clone())
                            .with_isr_nodes(replicas.clone())
                    })
                    .collect(),
            );
        let mut topics = vec![ours];
        for t in request.topics.iter().flatten() {
            let Some(name) = &t.name else { continue };
            if name.0.as_str() != TOPIC {
                topics.push(
                    MetadataResponseTopic::default()
                        .with_name(Some(name.clone()))
                        .with_error_code(UNKNOWN_TOPIC_OR_PARTITION),
                );
            }
        }
        MetadataResponse::default()
            .with_brokers(brokers)
            .with_cluster_id(Some(StrBytes::from_static_str("fake-cluster")))
            .with_controller_id(BrokerId(1))
            .with_topics(topics)
    }

    /// Handles a Produce request: the response, how long to hold it, and
    /// whether to close the connection instead of answering.
    fn produce(
        &mut self,
        broker: i32,
        request: ProduceRequest,
    ) -> (ProduceResponse, Duration, bool) {
        let mut delay = Duration::ZERO;
        let mut close = false;
        let mut responses = Vec::new();
        for topic in request.topic_data {
            let mut partitions = Vec::new();
            for data in topic.partition_data {
                let index = data.index;
                if let Some(d) = self
                    .faults
                    .delay_produce_response
                    .get_mut(&index)
                    .and_then(VecDeque::pop_front)
                {
                    delay = delay.max(d);
                }
                let (code, base_offset, drop) = self.produce_partition(
                    broker,
                    topic.name.0.as_str(),
                    index,
                    data.records.unwrap_or_default(),
                );
                close |= drop;
                partitions.push(
                    PartitionProduceResponse::default()
                        .with_index(index)
                        .with_error_code(code)
                        .with_base_offset(base_offset)
                        .with_log_start_offset(0),
                );
            }
            responses.push(
                TopicProduceResponse::default()
                    .with_name(topic.name)
                    .with_partition_responses(partitions),
            );
        }
        (
            ProduceResponse::default().with_responses(responses),
            delay,
            close,
        )
    }

    /// One partition of a Produce request: error code, base offset, and
    /// whether the response is to be dropped.
    fn produce_partition(
        &mut self,
        broker: i32,
        topic: &str,
        index: i32,
        records: Bytes,
    ) -> (i16, i64, bool) {
        if topic != TOPIC || index < 0 || index as usize >= self.partitions.len() {
            return (UNKNOWN_TOPIC_OR_PARTITION, -1, false);
        }
        let batches = match decode_batches(records, &DecodeOptions::default()) {
            Ok(b) => b,
            Err(_) => return (CORRUPT_MESSAGE, -1, false),
        };
        let [batch] = batches.as_slice() else {
            return (INVALID_RECORD, -1, false);
        };
        let values = batch
            .records
            .iter()
            .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
            .collect();
        let fault = self
            .faults
            .produce_errors
            .get_mut(&index)
            .and_then(VecDeque::pop_front)
            .or_else(|| self.faults.produce_always.get(&index).copied());
        let outcome = if self.partitions[index as usize].leader != broker {
            Outcome::Error(NOT_LEADER_OR_FOLLOWER)
        } else if let Some(code) = fault {
            Outcome::Error(code)
        } else {
            append(&mut self.partitions[index as usize], batch)
        };
        let mut drop = false;
        if !matches!(outcome, Outcome::Error(_)) {
            if let Some(n) = self.faults.drop_produce_response.get_mut(&index) {
                if *n > 0 {
                    *n -= 1;
                    drop = true;
                }
            }
            if let Some(&(records, to)) = self.faults.move_leader_at.get(&index) {
                let p = &mut self.partitions[index as usize];
                if p.log.len() >= records {
                    p.leader = to;
                    p.leader_epoch += 1;
                    self.faults.move_leader_at.remove(&index);
                }
            }
        }
        self.produce_attempts.push(ProduceAttempt {
            broker,
            partition: index,
            producer_id: batch.header.producer_id,
            producer_epoch: batch.header.producer_epoch,
            base_sequence: batch.header.base_sequence,
            values,
            outcome,
            response_dropped: drop,
        });
        match outcome {
            Outcome::Appended { base_offset } | Outcome::Duplicate { base_offset } => {
                (NONE, base_offset, drop)
            }
            Outcome::Error(code) => (code, -1, drop),
        }
    }

    fn list_offsets(&mut self, broker: i32, request: ListOffsetsRequest) -> ListOffsetsResponse {
        let mut topics = Vec::new();
        for topic in request.topics {
            let mut partitions = Vec::new();
            for p in topic.partitions {
                let index = p.partition_index;
                let mut response =
                    ListOffsetsPartitionResponse::default().with_partition_index(index);
                let known = topic.name.0.as_str() == TOPIC
                    && index >= 0
                    && (index as usize) < self.partitions.len();
                let fault = self
                    .faults
                    .list_offsets_errors
                    .get_mut(&index)
                    .and_then(VecDeque::pop_front);
                let code = if !known {
                    UNKNOWN_TOPIC_OR_PARTITION
                } else if let Some(code) = fault {
                    code
                } else if self.partitions[index as usize].leader != broker {
                    NOT_LEADER_OR_FOLLOWER
                } else {
                    NONE
                };
                if code == NONE {
                    let part = &self.partitions[index as usize];
                    let offset = match p.timestamp {
                        -1 => part.log.len() as i64,
                        -2 => 0,
                        t => part
                            .log
                            .iter()
                            .find(|r| r.timestamp >= t)
                            .map_or(-1, |r| r.offset),
                    };
                    response = response
                        .with_offset(offset)
                        .with_leader_epoch(part.leader_epoch);
                } else {
                    response = response.with_error_code(code);
                }
                self.list_offsets_attempts.push(ListOffsetsAttempt {
                    broker,
                    partition: index,
                    error_code: code,
                });
                partitions.push(response);
            }
            topics.push(
                ListOffsetsTopicResponse::default()
                    .with_name(topic.name)
                    .with_partitions(partitions),
            );
        }
        ListOffsetsResponse::default().with_topics(topics)
    }
}

/// Appends a batch under Kafka's idempotence rules.
fn append(partition: &mut Partition, batch: &RecordBatch) -> Outcome {
    let h = &batch.header;
    let count = batch.records.len() as i32;
    if h.producer_id >= 0 {
        let last = match partition.producers.get(&h.producer_id) {
            Some(entry) if h.producer_epoch < entry.epoch => {
                return Outcome::Error(INVALID_PRODUCER_EPOCH)
            }
            Some(entry) if h.producer_epoch == entry.epoch => {
                let last_sequence = h.base_sequence.wrapping_add(count - 1);
                if let Some(seen) = entry.recent.iter().find(|b| {
                    b.first_sequence == h.base_sequence && b.last_sequence == last_sequence
                }) {
                    return Outcome::Duplicate {
                        base_offset: seen.base_offset,
                    };
                }
                entry.recent.back().map(|b| b.last_sequence)
            }
            // A new producer, or a new epoch: sequences start at zero.
            _ => None,
        };
        let expected = last.map_or(0, |l| if l == i32::MAX { 0 } else { l + 1 });
        if h.base_sequence != expected {
            return Outcome::Error(OUT_OF_ORDER_SEQUENCE_NUMBER);
        }
    }
    let base_offset = partition.log.len() as i64;
    for r in &batch.records {
        partition.log.push(StoredRecord {
            offset: partition.log.len() as i64,
            timestamp: r.timestamp,
            value: String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned(),
            producer_id: h.producer_id,
        });
    }
    if h.producer_id >= 0 {
        let entry = partition
            .producers
            .entry(h.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: h.producer_epoch,
                recent: VecDeque::new(),
            });
        if entry.epoch != h.producer_epoch {
            entry.epoch = h.producer_epoch;
            entry.recent.clear();
        }
        entry.recent.push_back(BatchMetadata {
            first_sequence: h.base_sequence,
            last_sequence: h.base_sequence.wrapping_add(count - 1),
            base_offset,
        });
        if entry.recent.len() > DEDUP_WINDOW {
            entry.recent.pop_front();
        }
    }
    Outcome::Appended { base_offset }
}
