//! The consumer's group membership against a scripted coordinator that
//! injects the errors a real broker only gives under failures:
//! COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR (the coordinator is looked
//! up again), REBALANCE_IN_PROGRESS (the member commits what it consumed,
//! then rejoins under the same member id), ILLEGAL_GENERATION (it rejoins
//! without committing) and UNKNOWN_MEMBER_ID (it rejoins with no member id),
//! a commit refused for an old generation, and closing (commit, then
//! LeaveGroup).
//!
//! The fake broker is one node with one topic `t` of two partitions;
//! partition 0 holds three records. It answers JoinGroup at once, making
//! the joining member the leader of a one-member group.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponsePartition, OffsetFetchResponseTopic,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, BrokerId, FetchRequest, FetchResponse, FindCoordinatorResponse,
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, ListOffsetsRequest, ListOffsetsResponse, MetadataResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    ResponseHeader, SyncGroupRequest, SyncGroupResponse, TopicName,
};
use kafka_protocol::protocol::{decode_request_header_from_buffer, Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use wire::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, OffsetReset, TopicPartition};
use wire::record::{BatchBuilder, BatchParams, Header};
use wire::{Client, ClientConfig, Error};

const TOPIC: &str = "t";
const GROUP: &str = "g";
const NODE: i32 = 1;
const RECORDS_IN_P0: i64 = 3;

const NONE: i16 = 0;
const COORDINATOR_NOT_AVAILABLE: i16 = 15;
const NOT_COORDINATOR: i16 = 16;
const ILLEGAL_GENERATION: i16 = 22;
const UNKNOWN_MEMBER_ID: i16 = 25;
const REBALANCE_IN_PROGRESS: i16 = 27;
const MEMBER_ID_REQUIRED: i16 = 79;

/// The group requests the fake coordinator saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    FindCoordinator(i16),
    Join {
        member_id: String,
        answer: i16,
    },
    Sync {
        member_id: String,
        generation: i32,
    },
    Heartbeat {
        generation: i32,
        answer: i16,
    },
    Commit {
        generation: i32,
        member_id: String,
        offsets: Vec<(i32, i64)>,
        answer: i16,
    },
    Leave {
        member_id: String,
    },
}

#[derive(Debug, Default)]
struct State {
    addr: Option<SocketAddr>,
    seen: Vec<Seen>,
    /// Error codes for the next requests of an API, used up in order.
    faults: BTreeMap<i16, VecDeque<i16>>,
    generation: i32,
    next_member: u32,
    committed: BTreeMap<i32, i64>,
}

impl State {
    fn fault(&mut self, api: ApiKey) -> i16 {
        self.faults
            .get_mut(&(api as i16))
            .and_then(VecDeque::pop_front)
            .unwrap_or(NONE)
    }
}

#[derive(Debug, Clone)]
struct Fake {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Fake {
    async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State {
            addr: Some(addr),
            ..State::default()
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, shared.clone()));
            }
        });
        Fake { addr, state }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn inject(&self, api: ApiKey, codes: &[i16]) {
        self.lock()
            .faults
            .entry(api as i16)
            .or_default()
            .extend(codes.iter().copied());
    }

    fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// What was seen after the first `from` entries, heartbeats and
    /// coordinator look-ups left out.
    fn group_calls_since(&self, from: usize) -> Vec<Seen> {
        self.seen()[from..]
            .iter()
            .filter(|s| !matches!(s, Seen::Heartbeat { answer: NONE, .. }))
            .cloned()
            .collect()
    }
}

async fn serve(mut socket: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let frame = loop {
            if buf.len() >= 4 {
                let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
                if buf.len() >= 4 + size {
                    buf.advance(4);
                    break buf.split_to(size).freeze();
                }
            }
            match socket.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        let (reply, delay) = handle(frame, &state);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if socket.write_all(&reply).await.is_err() {
            return;
        }
    }
}

fn decode<T: Decodable>(body: &mut Bytes, version: i16) -> T {
    T::decode(body, version).expect("request body decodes")
}

fn name(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn records_of_p0() -> Bytes {
    let mut b = BatchBuilder::default();
    for i in 0..RECORDS_IN_P0 {
        b.append::<[Header]>(
            1_700_000_000_000 + i,
            None,
            Some(format!("v{i}").as_bytes()),
            &[],
        );
    }
    b.finish(&BatchParams::default()).expect("batch")
}

fn handle(mut frame: Bytes, state: &Mutex<State>) -> (Bytes, Duration) {
    let header = decode_request_header_from_buffer(&mut frame).expect("request header");
    let api = ApiKey::try_from(header.request_api_key).expect("known api");
    let v = header.request_api_version;
    let mut out = BytesMut::new();
    out.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut out, api.response_header_version(v))
        .expect("header");
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let mut delay = Duration::ZERO;
    let encoded = match api {
        ApiKey::ApiVersions => {
            let versions = [
                (ApiKey::Metadata, 1, 12),
                (ApiKey::ApiVersions, 0, 3),
                (ApiKey::Fetch, 4, 12),
                (ApiKey::ListOffsets, 1, 7),
                // Before batching, to use the one-key-per-request form.
                (ApiKey::FindCoordinator, 0, 3),
                (ApiKey::JoinGroup, 0, 9),
                (ApiKey::SyncGroup, 0, 5),
                (ApiKey::Heartbeat, 0, 4),
                (ApiKey::LeaveGroup, 0, 5),
                (ApiKey::OffsetCommit, 2, 9),
                (ApiKey::OffsetFetch, 1, 7),
            ];
            ApiVersionsResponse::default()
                .with_api_keys(
                    versions
                        .iter()
                        .map(|&(k, min, max)| {
                            ApiVersion::default()
                                .with_api_key(k as i16)
                                .with_min_version(min)
                                .with_max_version(max)
                        })
                        .collect(),
                )
                .encode(&mut out, v)
        }
        ApiKey::Metadata => {
            let addr = s.addr.expect("address");
            MetadataResponse::default()
                .with_brokers(vec![MetadataResponseBroker::default()
                    .with_node_id(BrokerId(NODE))
                    .with_host(name(&addr.ip().to_string()))
                    .with_port(i32::from(addr.port()))])
                .with_controller_id(BrokerId(NODE))
                .with_topics(vec![MetadataResponseTopic::default()
                    .with_name(Some(TopicName(name(TOPIC))))
                    .with_partitions(
                        (0..2)
                            .map(|p| {
                                MetadataResponsePartition::default()
                                    .with_partition_index(p)
                                    .with_leader_id(BrokerId(NODE))
                                    .with_replica_nodes(vec![BrokerId(NODE)])
                                    .with_isr_nodes(vec![BrokerId(NODE)])
                            })
                            .collect(),
                    )])
                .encode(&mut out, v)
        }
        ApiKey::FindCoordinator => {
            let code = s.fault(api);
            s.seen.push(Seen::FindCoordinator(code));
            let addr = s.addr.expect("address");
            FindCoordinatorResponse::default()
                .with_error_code(code)
                .with_node_id(BrokerId(if code == NONE { NODE } else { -1 }))
                .with_host(name(&addr.ip().to_string()))
                .with_port(i32::from(addr.port()))
                .encode(&mut out, v)
        }
        ApiKey::JoinGroup => {
            let request: JoinGroupRequest = decode(&mut frame, v);
            let member_id = request.member_id.to_string();
            let mut answer = s.fault(api);
            let mut response = JoinGroupResponse::default().with_generation_id(-1);
            if answer == NONE && member_id.is_empty() {
                answer = MEMBER_ID_REQUIRED;
                s.next_member += 1;
                response = response.with_member_id(name(&format!("m-{}", s.next_member)));
            } else if answer == NONE {
                s.generation += 1;
                let protocol = &request.protocols[0];
                response = response
                    .with_generation_id(s.generation)
                    .with_protocol_type(Some(name("consumer")))
                    .with_protocol_name(Some(protocol.name.clone()))
                    .with_leader(name(&member_id))
                    .with_member_id(name(&member_id))
                    .with_members(vec![JoinGroupResponseMember::default()
                        .with_member_id(name(&member_id))
                        .with_metadata(protocol.metadata.clone())]);
            }
            s.seen.push(Seen::Join { member_id, answer });
            response.with_error_code(answer).encode(&mut out, v)
        }
        ApiKey::SyncGroup => {
            let request: SyncGroupRequest = decode(&mut frame, v);
            let code = s.fault(api);
            s.seen.push(Seen::Sync {
                member_id: request.member_id.to_string(),
                generation: request.generation_id,
            });
            let mine = request
                .assignments
                .iter()
                .find(|a| a.member_id == request.member_id)
                .map(|a| a.assignment.clone())
                .unwrap_or_default();
            SyncGroupResponse::default()
                .with_error_code(code)
                .with_protocol_type(Some(name("consumer")))
                .with_protocol_name(request.protocol_name.clone())
                .with_assignment(mine)
                .encode(&mut out, v)
        }
        ApiKey::Heartbeat => {
            let request: HeartbeatRequest = decode(&mut frame, v);
            let answer = s.fault(api);
            s.seen.push(Seen::Heartbeat {
                generation: request.generation_id,
                answer,
            });
            HeartbeatResponse::default()
                .with_error_code(answer)
                .encode(&mut out, v)
        }
        ApiKey::LeaveGroup => {
            let request: LeaveGroupRequest = decode(&mut frame, v);
            let member_id = if v >= 3 {
                request.members.first().map(|m| m.member_id.to_string())
            } else {
                Some(request.member_id.to_string())
            };
            s.seen.push(Seen::Leave {
                member_id: member_id.unwrap_or_default(),
            });
            LeaveGroupResponse::default().encode(&mut out, v)
        }
        ApiKey::OffsetCommit => {
            let request: OffsetCommitRequest = decode(&mut frame, v);
            let answer = s.fault(api);
            let mut offsets = Vec::new();
            let mut topics = Vec::new();
            for t in &request.topics {
                let mut parts = Vec::new();
                for p in &t.partitions {
                    offsets.push((p.partition_index, p.committed_offset));
                    if answer == NONE {
                        s.committed.insert(p.partition_index, p.committed_offset);
                    }
                    parts.push(
                        OffsetCommitResponsePartition::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(answer),
                    );
                }
                topics.push(
                    OffsetCommitResponseTopic::default()
                        .with_name(t.name.clone())
                        .with_partitions(parts),
                );
            }
            offsets.sort();
            s.seen.push(Seen::Commit {
                generation: request.generation_id_or_member_epoch,
                member_id: request.member_id.to_string(),
                offsets,
                answer,
            });
            OffsetCommitResponse::default()
                .with_topics(topics)
                .encode(&mut out, v)
        }
        ApiKey::OffsetFetch => {
            let request: OffsetFetchRequest = decode(&mut frame, v);
            assert!(v < 8, "the fake speaks the single-group form");
            let partitions = request
                .topics
                .iter()
                .flatten()
                .flat_map(|t| t.partition_indexes.clone())
                .map(|p| {
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(p)
                        .with_committed_offset(s.committed.get(&p).copied().unwrap_or(-1))
                })
                .collect();
            OffsetFetchResponse::default()
                .with_topics(vec![OffsetFetchResponseTopic::default()
                    .with_name(TopicName(name(TOPIC)))
                    .with_partitions(partitions)])
                .encode(&mut out, v)
        }
        ApiKey::ListOffsets => {
            let request: ListOffsetsRequest = decode(&mut frame, v);
            let topics = request
                .topics
                .iter()
                .map(|t| {
                    ListOffsetsTopicResponse::default()
                        .with_name(t.name.clone())
                        .with_partitions(
                            t.partitions
                                .iter()
                                .map(|p| {
                                    let end = if p.partition_index == 0 {
                                        RECORDS_IN_P0
                                    } else {
                                        0
                                    };
                                    ListOffsetsPartitionResponse::default()
                                        .with_partition_index(p.partition_index)
                                        .with_offset(if p.timestamp == -2 { 0 } else { end })
                                })
                                .collect(),
                        )
                })
                .collect();
            ListOffsetsResponse::default()
                .with_topics(topics)
                .encode(&mut out, v)
        }
        ApiKey::Fetch => {
            let request: FetchRequest = decode(&mut frame, v);
            let mut any = false;
            let responses = request
                .topics
                .iter()
                .map(|t| {
                    FetchableTopicResponse::default()
                        .with_topic(t.topic.clone())
                        .with_partitions(
                            t.partitions
                                .iter()
                                .map(|p| {
                                    let end = if p.partition == 0 { RECORDS_IN_P0 } else { 0 };
                                    let data = PartitionData::default()
                                        .with_partition_index(p.partition)
                                        .with_high_watermark(end);
                                    if p.partition == 0 && p.fetch_offset < RECORDS_IN_P0 {
                                        any = true;
                                        data.with_records(Some(records_of_p0()))
                                    } else {
                                        data
                                    }
                                })
                                .collect(),
                        )
                })
                .collect();
            if !any {
                delay =
                    Duration::from_millis(u64::try_from(request.max_wait_ms.min(50)).unwrap_or(0));
            }
            FetchResponse::default()
                .with_responses(responses)
                .encode(&mut out, v)
        }
        other => panic!("the fake broker does not speak {other:?}"),
    };
    encoded.expect("response encodes");
    let size = (out.len() - 4) as i32;
    out[..4].copy_from_slice(&size.to_be_bytes());
    (out.freeze(), delay)
}

async fn consumer(fake: &Fake) -> Consumer {
    let mut config = ClientConfig::new(&fake.addr.to_string()).expect("config");
    config.retry_backoff = Duration::from_millis(10);
    config.retry_backoff_max = Duration::from_millis(50);
    config.api_timeout = Duration::from_secs(10);
    config.fetch.max_wait = Duration::from_millis(50);
    let client = Client::connect(config).await.expect("connect");
    let group = ConsumerConfig {
        group_id: Some(GROUP.to_owned()),
        heartbeat_interval: Duration::from_millis(30),
        session_timeout: Duration::from_secs(5),
        rebalance_timeout: Duration::from_secs(5),
        auto_offset_reset: OffsetReset::Earliest,
        enable_auto_commit: true,
        auto_commit_interval: Duration::from_secs(3600),
        ..ConsumerConfig::default()
    };
    let fetch = client.config().fetch.clone();
    Consumer::with_config(client, group, fetch).expect("consumer")
}

/// Polls until `done`, failing after five seconds; returns what was read.
async fn poll_until(
    c: &mut Consumer,
    what: &str,
    mut done: impl FnMut(&Consumer) -> bool,
) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut read = 0;
    while !done(c) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        read += c
            .poll(Duration::from_millis(50), 1 << 20)
            .await
            .expect("poll")
            .len();
    }
    read
}

/// Waits until the fake has answered a heartbeat with `code`.
async fn heartbeat_answered(fake: &Fake, code: i16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !fake
        .seen()
        .iter()
        .any(|s| matches!(s, Seen::Heartbeat { answer, .. } if *answer == code))
    {
        assert!(Instant::now() < deadline, "no heartbeat answered {code}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn join(member_id: &str, answer: i16) -> Seen {
    Seen::Join {
        member_id: member_id.to_owned(),
        answer,
    }
}

#[tokio::test]
async fn coordinator_errors_and_rebalances_make_the_member_rejoin() {
    let fake = Fake::start().await;
    fake.inject(ApiKey::FindCoordinator, &[COORDINATOR_NOT_AVAILABLE]);
    fake.inject(ApiKey::JoinGroup, &[NOT_COORDINATOR]);
    let mut c = consumer(&fake).await;
    c.subscribe([TOPIC]).expect("subscribe");

    // First join: the coordinator is looked up again after each refusal,
    // and the member joins again with the id MEMBER_ID_REQUIRED gave it.
    let read = poll_until(&mut c, "the records of partition 0", |c| {
        position_of(c, 0) == Some(RECORDS_IN_P0)
    })
    .await;
    assert_eq!(read, RECORDS_IN_P0 as usize);
    assert_eq!(position_of(&c, 1), Some(0));
    let seen = fake.group_calls_since(0);
    let joins: Vec<Seen> = seen
        .iter()
        .filter(|s| matches!(s, Seen::Join { .. } | Seen::FindCoordinator(_)))
        .cloned()
        .collect();
    assert_eq!(
        joins,
        vec![
            Seen::FindCoordinator(COORDINATOR_NOT_AVAILABLE),
            Seen::FindCoordinator(NONE),
            join("", NOT_COORDINATOR),
            Seen::FindCoordinator(NONE),
            join("", MEMBER_ID_REQUIRED),
            join("m-1", NONE),
        ]
    );
    assert!(seen.contains(&Seen::Sync {
        member_id: "m-1".into(),
        generation: 1
    }));
    assert_eq!((c.member_id(), c.generation()), ("m-1".to_owned(), 1));

    // REBALANCE_IN_PROGRESS: commit what was consumed under generation 1,
    // then rejoin as the same member.
    let mark = fake.seen().len();
    fake.inject(ApiKey::Heartbeat, &[REBALANCE_IN_PROGRESS]);
    heartbeat_answered(&fake, REBALANCE_IN_PROGRESS).await;
    let read = poll_until(&mut c, "generation 2", |c| {
        c.generation() == 2 && c.assignment().len() == 2
    })
    .await;
    assert_eq!(
        fake.group_calls_since(mark),
        vec![
            Seen::Heartbeat {
                generation: 1,
                answer: REBALANCE_IN_PROGRESS
            },
            Seen::Commit {
                generation: 1,
                member_id: "m-1".into(),
                offsets: vec![(0, RECORDS_IN_P0), (1, 0)],
                answer: NONE
            },
            join("m-1", NONE),
            Seen::Sync {
                member_id: "m-1".into(),
                generation: 2
            },
        ]
    );
    // Positions resume from the commit: nothing is read twice.
    let read = read + poll_until(&mut c, "positions", |c| position_of(c, 0).is_some()).await;
    assert_eq!(read, 0);
    assert_eq!(position_of(&c, 0), Some(RECORDS_IN_P0));

    // ILLEGAL_GENERATION: the partitions are lost, nothing is committed,
    // the member id is kept.
    let mark = fake.seen().len();
    fake.inject(ApiKey::Heartbeat, &[ILLEGAL_GENERATION]);
    heartbeat_answered(&fake, ILLEGAL_GENERATION).await;
    poll_until(&mut c, "generation 3", |c| {
        c.generation() == 3 && c.assignment().len() == 2
    })
    .await;
    assert_eq!(
        fake.group_calls_since(mark),
        vec![
            Seen::Heartbeat {
                generation: 2,
                answer: ILLEGAL_GENERATION
            },
            join("m-1", NONE),
            Seen::Sync {
                member_id: "m-1".into(),
                generation: 3
            },
        ]
    );

    // UNKNOWN_MEMBER_ID: the member id is dropped and a new one obtained.
    let mark = fake.seen().len();
    fake.inject(ApiKey::Heartbeat, &[UNKNOWN_MEMBER_ID]);
    heartbeat_answered(&fake, UNKNOWN_MEMBER_ID).await;
    poll_until(&mut c, "generation 4", |c| {
        c.generation() == 4 && c.assignment().len() == 2
    })
    .await;
    assert_eq!(
        fake.group_calls_since(mark),
        vec![
            Seen::Heartbeat {
                generation: 3,
                answer: UNKNOWN_MEMBER_ID
            },
            join("", MEMBER_ID_REQUIRED),
            join("m-2", NONE),
            Seen::Sync {
                member_id: "m-2".into(),
                generation: 4
            },
        ]
    );
    assert_eq!(c.member_id(), "m-2");

    // NOT_COORDINATOR on a heartbeat: the coordinator is looked up again;
    // the membership stays.
    let finds = |fake: &Fake| {
        fake.seen()
            .iter()
            .filter(|s| matches!(s, Seen::FindCoordinator(NONE)))
            .count()
    };
    let before = finds(&fake);
    fake.inject(ApiKey::Heartbeat, &[NOT_COORDINATOR]);
    heartbeat_answered(&fake, NOT_COORDINATOR).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while finds(&fake) == before {
        assert!(
            Instant::now() < deadline,
            "the coordinator was not looked up again"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(c.generation(), 4);

    // A commit refused for an old generation says so, and the next poll
    // rejoins.
    fake.inject(ApiKey::OffsetCommit, &[ILLEGAL_GENERATION]);
    let mut offsets = BTreeMap::new();
    offsets.insert(TopicPartition::new(TOPIC, 1), OffsetAndMetadata::new(0));
    let err = c.commit(offsets).await.expect_err("refused");
    assert!(err.needs_rejoin(), "{err}");
    assert!(matches!(err, Error::Group { .. }));
    poll_until(&mut c, "generation 5", |c| c.generation() == 5).await;

    // Closing commits the positions and leaves.
    let mark = fake.seen().len();
    c.close().await.expect("close");
    let calls = fake.group_calls_since(mark);
    assert_eq!(
        calls,
        vec![
            Seen::Commit {
                generation: 5,
                member_id: "m-2".into(),
                offsets: vec![(0, RECORDS_IN_P0), (1, 0)],
                answer: NONE
            },
            Seen::Leave {
                member_id: "m-2".into()
            },
        ]
    );
}

/// The position of partition `p` of the topic, if known.
fn position_of(c: &Consumer, p: i32) -> Option<i64> {
    c.known_position(&TopicPartition::new(TOPIC, p))
}
