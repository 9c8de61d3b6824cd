//! The in-process cluster (`wire::testkit`) driven by the `wire` client:
//! topics created over CreateTopics, idempotent produce and fetch back,
//! offset look-ups, and the fault injection — leader moves, stopped and
//! restarted brokers, injected broker errors, slow responses and dropped
//! connections — with every record checked to be written exactly once, in
//! order, at the offset its delivery result reports.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use wire::consumer::{fetch, FetchConfig, OffsetReset, PartitionReader};
use wire::error::ResponseError;
use wire::producer::{Acks, DeliveryResult, Producer, ProducerConfig, ProducerRecord};
use wire::protocol::api::fetch::IsolationLevel;
use wire::protocol::api::list_offsets::OffsetSpec;
use wire::record::{Header, Record};
use wire::testkit::{Cluster, ClusterConfig};
use wire::{Client, ClientConfig, Error};

/// No test may take longer than this, whatever goes wrong.
const TEST_LIMIT: Duration = Duration::from_secs(30);

async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("test did not finish in time")
}

async fn cluster() -> Cluster {
    Cluster::start(ClusterConfig::default())
        .await
        .expect("cluster starts")
}

fn client_config(cluster: &Cluster) -> ClientConfig {
    let mut config = ClientConfig::new(&cluster.bootstrap()).expect("bootstrap");
    config.retry_backoff = Duration::from_millis(10);
    config.retry_backoff_max = Duration::from_millis(100);
    config.api_timeout = Duration::from_secs(10);
    config.connection.request_timeout = Duration::from_secs(2);
    config.connection.connect_timeout = Duration::from_secs(1);
    config
}

async fn client(cluster: &Cluster) -> Client {
    Client::connect(client_config(cluster))
        .await
        .expect("client connects")
}

fn producer_config() -> ProducerConfig {
    ProducerConfig {
        linger: Duration::from_millis(2),
        batch_size: 512,
        request_timeout: Duration::from_secs(2),
        delivery_timeout: Duration::from_secs(20),
        ..ProducerConfig::default()
    }
}

fn record(topic: &str, partition: Option<i32>, i: usize) -> ProducerRecord {
    ProducerRecord {
        topic: topic.into(),
        partition,
        key: Some(Bytes::from(format!("key-{i}"))),
        value: Some(Bytes::from(format!("value-{i:05}"))),
        headers: vec![Header::new("i", Some(i.to_string().into_bytes()))],
        timestamp: Some(1_700_000_000_000 + i as i64),
    }
}

async fn send_all(producer: &Producer, records: Vec<ProducerRecord>) -> Vec<DeliveryResult> {
    let mut futures = Vec::with_capacity(records.len());
    for r in records {
        futures.push(producer.send(r).await.expect("record queued"));
    }
    let mut results = Vec::with_capacity(futures.len());
    for f in futures {
        results.push(f.wait().await);
    }
    results
}

/// Reads a partition from offset 0 until `count` records are read.
async fn read_all(client: &Client, topic: &str, partition: i32, count: usize) -> Vec<Record> {
    let config = FetchConfig {
        max_wait: Duration::from_millis(100),
        ..FetchConfig::default()
    };
    let mut reader = PartitionReader::new(client.clone(), topic, partition, 0, config);
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while out.len() < count {
        assert!(
            Instant::now() < deadline,
            "read only {} of {count}",
            out.len()
        );
        out.extend(reader.poll(1000).await.expect("poll"));
    }
    out
}

fn values(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
        .collect()
}

/// The partition log holds exactly `expected`, in order, at offsets 0.., and
/// the delivery results report those offsets.
fn assert_exactly_once(
    cluster: &Cluster,
    topic: &str,
    partition: i32,
    results: &[DeliveryResult],
    expected: &[String],
) {
    let log = cluster.records(topic, partition).expect("log");
    assert_eq!(values(&log), expected, "log of {topic}-{partition}");
    for (i, r) in log.iter().enumerate() {
        assert_eq!(r.offset, i as i64);
    }
    for (i, r) in results.iter().enumerate() {
        let m = r
            .as_ref()
            .unwrap_or_else(|e| panic!("record {i} failed: {e}"));
        assert_eq!((m.partition, m.offset), (partition, i as i64), "record {i}");
    }
}

#[tokio::test]
async fn idempotent_records_are_fetched_back_intact() {
    bounded(async {
        let cluster = cluster().await;
        let client = client(&cluster).await;
        client.create_topic("orders", 3, 3).await.expect("create");
        let metadata = client.refresh_metadata().await.expect("metadata");
        assert_eq!(metadata.cluster_id.as_deref(), Some(cluster.cluster_id()));
        assert_eq!(metadata.brokers.len(), 3);
        let topic = &metadata.topics["orders"];
        assert_eq!(topic.partitions.len(), 3);
        assert!(topic
            .partitions
            .iter()
            .all(|p| p.replicas.len() == 3 && p.isr.len() == 3));
        let leaders: Vec<i32> = topic.partitions.iter().map(|p| p.leader).collect();
        assert_eq!(
            leaders,
            vec![1, 2, 3],
            "leaders are spread over the brokers"
        );

        let producer = Producer::new(client.clone(), producer_config())
            .await
            .expect("producer");
        let sent: Vec<ProducerRecord> = (0..300).map(|i| record("orders", None, i)).collect();
        let results = send_all(&producer, sent.clone()).await;
        let mut by_partition: Vec<Vec<&ProducerRecord>> = vec![Vec::new(); 3];
        for (r, result) in sent.iter().zip(&results) {
            let m = result.as_ref().expect("delivered");
            assert_eq!(m.offset, by_partition[m.partition as usize].len() as i64);
            by_partition[m.partition as usize].push(r);
        }
        assert!(
            by_partition.iter().all(|p| !p.is_empty()),
            "keys spread over partitions"
        );
        for (partition, expected) in by_partition.iter().enumerate() {
            let got = read_all(&client, "orders", partition as i32, expected.len()).await;
            assert_eq!(got.len(), expected.len());
            for (g, e) in got.iter().zip(expected) {
                assert_eq!(g.key, e.key);
                assert_eq!(g.value, e.value);
                assert_eq!(g.timestamp, e.timestamp.unwrap());
                assert_eq!(g.headers.to_vec(), e.headers);
            }
            let end = client
                .list_offset(
                    "orders",
                    partition as i32,
                    OffsetSpec::Latest,
                    IsolationLevel::ReadCommitted,
                )
                .await
                .expect("latest");
            assert_eq!(end.offset, expected.len() as i64);
            let start = client
                .list_offset(
                    "orders",
                    partition as i32,
                    OffsetSpec::Earliest,
                    IsolationLevel::ReadUncommitted,
                )
                .await
                .expect("earliest");
            assert_eq!(start.offset, 0);
            let second = expected[1].timestamp.unwrap();
            let by_time = client
                .list_offset(
                    "orders",
                    partition as i32,
                    OffsetSpec::Timestamp(second),
                    IsolationLevel::ReadUncommitted,
                )
                .await
                .expect("by timestamp");
            assert_eq!((by_time.offset, by_time.timestamp), (1, second));
            let future = client
                .list_offset(
                    "orders",
                    partition as i32,
                    OffsetSpec::Timestamp(i64::MAX / 2),
                    IsolationLevel::ReadUncommitted,
                )
                .await
                .expect("by timestamp");
            assert_eq!((future.offset, future.timestamp), (-1, -1));
        }
        producer.close().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn acks_levels_and_topic_errors() {
    bounded(async {
        let cluster = cluster().await;
        let client = client(&cluster).await;
        client.create_topic("acks", 1, 3).await.expect("create");
        let err = client.create_topic("acks", 1, 3).await.expect_err("exists");
        assert_eq!(err.code(), Some(ResponseError::TopicAlreadyExists));
        let err = client
            .create_topic("too-many", 1, 4)
            .await
            .expect_err("rf 4 of 3");
        assert_eq!(err.code(), Some(ResponseError::InvalidReplicationFactor));
        let err = client
            .create_topic("none", 0, 1)
            .await
            .expect_err("0 partitions");
        assert_eq!(err.code(), Some(ResponseError::InvalidPartitions));
        let err = client
            .create_topic("bad name", 1, 1)
            .await
            .expect_err("name");
        assert_eq!(err.code(), Some(ResponseError::InvalidTopicException));
        assert!(matches!(
            client.topic("missing").await,
            Err(Error::UnknownTopic(_))
        ));

        let mut expected = Vec::new();
        for acks in [Acks::None, Acks::Leader, Acks::All] {
            let config = ProducerConfig {
                acks,
                idempotence: acks == Acks::All,
                ..producer_config()
            };
            let producer = Producer::new(client.clone(), config)
                .await
                .expect("producer");
            let records: Vec<ProducerRecord> = (0..20)
                .map(|i| record("acks", Some(0), expected.len() + i))
                .collect();
            expected.extend(
                records
                    .iter()
                    .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap()).into_owned()),
            );
            for r in send_all(&producer, records).await {
                let m = r.expect("delivered");
                if acks == Acks::None {
                    assert_eq!(m.offset, -1, "acks=0 has no offsets");
                } else {
                    assert!(m.offset >= 20);
                }
            }
            producer.close().await;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while cluster.records("acks", 0).unwrap().len() < expected.len() {
            assert!(Instant::now() < deadline, "acks=0 records never arrived");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(values(&cluster.records("acks", 0).unwrap()), expected);

        // Out of range, and the reset policies.
        let config = FetchConfig {
            max_wait: Duration::from_millis(10),
            ..FetchConfig::default()
        };
        let err = fetch(&client, "acks", 0, 1000, &config)
            .await
            .expect_err("out of range");
        assert_eq!(err.code(), Some(ResponseError::OffsetOutOfRange));
        let mut reader = PartitionReader::new(client.clone(), "acks", 0, 1000, config.clone())
            .with_reset(OffsetReset::Earliest);
        let mut got = Vec::new();
        while got.len() < expected.len() {
            got.extend(reader.poll(100).await.expect("poll"));
        }
        assert_eq!(got.first().map(|r| r.offset), Some(0));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_fetch_waits_for_data_and_wakes_on_append() {
    bounded(async {
        let cluster = cluster().await;
        let client = client(&cluster).await;
        client.create_topic("waiting", 1, 1).await.expect("create");
        let config = FetchConfig {
            max_wait: Duration::from_millis(300),
            ..FetchConfig::default()
        };
        let started = Instant::now();
        let empty = fetch(&client, "waiting", 0, 0, &config)
            .await
            .expect("fetch");
        assert!(empty.records.is_empty());
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "waited {:?}",
            started.elapsed()
        );

        let long = FetchConfig {
            max_wait: Duration::from_secs(5),
            ..FetchConfig::default()
        };
        let waiting = {
            let client = client.clone();
            tokio::spawn(async move { fetch(&client, "waiting", 0, 0, &long).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        // A broker serves one request of a connection at a time, so the
        // producer needs a connection of its own while the fetch waits.
        let other = self::client(&cluster).await;
        let producer = Producer::new(other, producer_config())
            .await
            .expect("producer");
        let started = Instant::now();
        send_all(&producer, vec![record("waiting", Some(0), 0)]).await[0]
            .as_ref()
            .expect("sent");
        let fetched = waiting.await.expect("task").expect("fetch");
        assert_eq!(values(&fetched.records), vec!["value-00000"]);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "woken by the append"
        );
        producer.close().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn leader_moves_lose_and_duplicate_nothing() {
    bounded(async {
        let cluster = cluster().await;
        let client = client(&cluster).await;
        client.create_topic("moving", 1, 3).await.expect("create");
        let producer = Producer::new(client.clone(), producer_config())
            .await
            .expect("producer");
        let expected: Vec<String> = (0..600).map(|i| format!("value-{i:05}")).collect();
        let mover = async {
            for to in [2, 3, 1, 2] {
                tokio::time::sleep(Duration::from_millis(15)).await;
                cluster.move_leader("moving", 0, to).expect("move");
            }
        };
        let sending = async {
            let mut futures = Vec::new();
            for i in 0..600 {
                futures.push(
                    producer
                        .send(record("moving", Some(0), i))
                        .await
                        .expect("queued"),
                );
                if i % 50 == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            let mut results = Vec::new();
            for f in futures {
                results.push(f.wait().await);
            }
            results
        };
        let ((), results) = tokio::join!(mover, sending);
        assert_eq!(cluster.leader("moving", 0).unwrap(), 2);
        assert_exactly_once(&cluster, "moving", 0, &results, &expected);
        assert!(
            cluster.request_count(ApiKey::Metadata) > 2,
            "the client refreshed metadata after NOT_LEADER_OR_FOLLOWER"
        );
        // A reader follows the leader too.
        cluster.move_leader("moving", 0, 3).expect("move");
        let got = read_all(&client, "moving", 0, expected.len()).await;
        assert_eq!(values(&got), expected);
        producer.close().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_stopped_broker_is_survived() {
    bounded(async {
        let cluster = cluster().await;
        let client = client(&cluster).await;
        client.create_topic("sturdy", 3, 3).await.expect("create");
        let producer = Producer::new(client.clone(), producer_config())
            .await
            .expect("producer");
        let first: Vec<ProducerRecord> = (0..100).map(|i| record("sturdy", Some(0), i)).collect();
        let mut results = send_all(&producer, first).await;
        assert_eq!(cluster.leader("sturdy", 0).unwrap(), 1);

        let address = cluster.broker_address(1).unwrap();
        cluster.stop_broker(1).await.expect("stop");
        let new_leader = cluster.leader("sturdy", 0).unwrap();
        assert!(
            new_leader == 2 || new_leader == 3,
            "leader moved to {new_leader}"
        );
        let second: Vec<ProducerRecord> =
            (100..200).map(|i| record("sturdy", Some(0), i)).collect();
        results.extend(send_all(&producer, second).await);
        let metadata = client.refresh_metadata().await.expect("metadata");
        assert!(
            !metadata.brokers.contains_key(&1),
            "a stopped broker is not listed"
        );
        assert_eq!(
            metadata.topics["sturdy"].partitions[0].offline_replicas,
            vec![1]
        );

        cluster.start_broker(1).await.expect("start");
        assert_eq!(
            cluster.broker_address(1).unwrap(),
            address,
            "same port after the restart"
        );
        cluster.move_leader("sturdy", 0, 1).expect("move back");
        let third: Vec<ProducerRecord> = (200..300).map(|i| record("sturdy", Some(0), i)).collect();
        results.extend(send_all(&producer, third).await);
        let expected: Vec<String> = (0..300).map(|i| format!("value-{i:05}")).collect();
        assert_exactly_once(&cluster, "sturdy", 0, &results, &expected);
        let metadata = client.refresh_metadata().await.expect("metadata");
        assert_eq!(metadata.brokers.len(), 3);
        assert_eq!(metadata.topics["sturdy"].partitions[0].isr.len(), 3);
        producer.close().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_leader_restarting_under_requests_in_flight_loses_and_duplicates_nothing() {
    bounded(async {
        let cluster = cluster().await;
        let client = client(&cluster).await;
        client
            .create_topic("restarted", 1, 3)
            .await
            .expect("create");
        let producer = Producer::new(client.clone(), producer_config())
            .await
            .expect("producer");
        // Slow answers keep requests in flight when the leader goes down:
        // their outcome is unknown, so they are sent again (same producer
        // id and sequence) to the next leader, which knows them.
        cluster.delay_responses(Some(ApiKey::Produce), Duration::from_millis(40));
        let expected: Vec<String> = (0..400).map(|i| format!("value-{i:05}")).collect();
        let restarts = async {
            let mut leaders = Vec::new();
            let mut last_stop = Instant::now();
            for _ in 0..2 {
                tokio::time::sleep(Duration::from_millis(60)).await;
                let leader = cluster.leader("restarted", 0).unwrap();
                last_stop = Instant::now();
                cluster.stop_broker(leader).await.expect("stop");
                leaders.push(cluster.leader("restarted", 0).unwrap());
                tokio::time::sleep(Duration::from_millis(60)).await;
                cluster.start_broker(leader).await.expect("start");
            }
            (leaders, last_stop)
        };
        let sending = async {
            let mut futures = Vec::new();
            for i in 0..400 {
                futures.push(
                    producer
                        .send(record("restarted", Some(0), i))
                        .await
                        .expect("queued"),
                );
                if i % 20 == 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            let mut results = Vec::new();
            for f in futures {
                results.push(f.wait().await);
            }
            (results, Instant::now())
        };
        let ((leaders, last_stop), (results, done)) = tokio::join!(restarts, sending);
        assert!(done > last_stop, "records were still being sent");
        assert!(
            leaders.iter().all(|l| *l > 0),
            "another replica led each time: {leaders:?}"
        );
        assert_exactly_once(&cluster, "restarted", 0, &results, &expected);
        cluster.delay_responses(Some(ApiKey::Produce), Duration::ZERO);
        let got = read_all(&client, "restarted", 0, expected.len()).await;
        assert_eq!(values(&got), expected);
        producer.close().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn injected_errors_are_retried_or_reported() {
    bounded(async {
        let cluster = cluster().await;
        let client = client(&cluster).await;
        client.create_topic("faulty", 1, 3).await.expect("create");
        let producer = Producer::new(client.clone(), producer_config())
            .await
            .expect("producer");

        let before = cluster.request_count(ApiKey::Produce);
        cluster.fail_next(ApiKey::Produce, ResponseError::NotLeaderOrFollower, 2);
        cluster.fail_next(ApiKey::Produce, ResponseError::RequestTimedOut, 1);
        let results = send_all(
            &producer,
            (0..10).map(|i| record("faulty", Some(0), i)).collect(),
        )
        .await;
        assert!(
            cluster.request_count(ApiKey::Produce) >= before + 4,
            "three failures, then success"
        );
        let expected: Vec<String> = (0..10).map(|i| format!("value-{i:05}")).collect();
        assert_exactly_once(&cluster, "faulty", 0, &results, &expected);

        cluster.fail_next(ApiKey::ListOffsets, ResponseError::LeaderNotAvailable, 2);
        let end = client
            .list_offset(
                "faulty",
                0,
                OffsetSpec::Latest,
                IsolationLevel::ReadUncommitted,
            )
            .await
            .expect("retried");
        assert_eq!(end.offset, 10);

        cluster.fail_next(ApiKey::Fetch, ResponseError::NotLeaderOrFollower, 2);
        let got = read_all(&client, "faulty", 0, 10).await;
        assert_eq!(values(&got), expected);

        cluster.fail_next(ApiKey::Metadata, ResponseError::UnknownServerError, 1);
        cluster.fail_next(
            ApiKey::ListOffsets,
            ResponseError::TopicAuthorizationFailed,
            1,
        );
        let err = client
            .list_offset(
                "faulty",
                0,
                OffsetSpec::Earliest,
                IsolationLevel::ReadUncommitted,
            )
            .await
            .expect_err("not retriable");
        assert_eq!(err.code(), Some(ResponseError::TopicAuthorizationFailed));

        cluster.fail_next(ApiKey::Produce, ResponseError::InvalidRecord, 1);
        let failed = send_all(&producer, vec![record("faulty", Some(0), 99)]).await;
        let err = failed[0].as_ref().expect_err("not retriable");
        assert_eq!(err.code(), Some(ResponseError::InvalidRecord));
        assert_eq!(
            cluster.records("faulty", 0).unwrap().len(),
            10,
            "nothing written"
        );
        producer.close().await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn lost_responses_are_deduplicated_by_sequence() {
    bounded(async {
        let cluster = cluster().await;
        let mut config = client_config(&cluster);
        config.connection.request_timeout = Duration::from_millis(300);
        let client = Client::connect(config).await.expect("client");
        client.create_topic("slow", 1, 3).await.expect("create");
        let producer = Producer::new(
            client.clone(),
            ProducerConfig {
                request_timeout: Duration::from_millis(300),
                ..producer_config()
            },
        )
        .await
        .expect("producer");
        // Responses arrive after the client gave up: each batch is written,
        // then re-sent with the same sequence and recognised as a duplicate.
        cluster.delay_responses(Some(ApiKey::Produce), Duration::from_millis(600));
        let sending = {
            let producer = producer.clone();
            tokio::spawn(async move {
                send_all(
                    &producer,
                    (0..30).map(|i| record("slow", Some(0), i)).collect(),
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(900)).await;
        cluster.delay_responses(Some(ApiKey::Produce), Duration::ZERO);
        // Connections in the middle of a request are dropped as well.
        cluster.drop_connections(cluster.leader("slow", 0).unwrap());
        let results = sending.await.expect("task");
        let expected: Vec<String> = (0..30).map(|i| format!("value-{i:05}")).collect();
        assert_exactly_once(&cluster, "slow", 0, &results, &expected);
        producer.close().await;
        cluster.shutdown().await;
    })
    .await;
}

#[test]
fn a_background_cluster_serves_synchronous_callers() {
    let cluster = Cluster::start_background(ClusterConfig {
        brokers: 1,
        auto_create_topics: true,
        ..ClusterConfig::default()
    })
    .expect("cluster");
    assert_eq!(cluster.broker_ids(), vec![1]);
    let bootstrap = cluster.bootstrap();
    // A runtime of the caller's own, as a synchronous test would build.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut config = ClientConfig::new(&bootstrap).expect("bootstrap");
        config.allow_auto_create_topics = true;
        config.api_timeout = Duration::from_secs(5);
        let client = Client::connect(config).await.expect("client");
        let t = client.topic("auto").await.expect("auto-created");
        assert_eq!(t.partitions.len(), 1);
        assert_eq!(t.partitions[0].replicas, vec![1]);
    });
    std::thread::sleep(Duration::from_millis(10));
    cluster.create_topic("direct", 2, 1).expect("create");
    let err = cluster.create_topic("direct", 2, 1).expect_err("exists");
    assert_eq!(err.code(), Some(ResponseError::TopicAlreadyExists));
    drop(cluster);
}

/// `Client::fresh_topic` asks for the one topic each time: it sees partitions
/// added and a topic deleted by another client, and never creates a topic,
/// even when the client may auto-create topics.
#[tokio::test]
async fn fresh_topic_reports_the_cluster_now_and_creates_nothing() {
    bounded(async {
        let cluster = cluster().await;
        let mut config = client_config(&cluster);
        config.allow_auto_create_topics = true;
        let client = Client::connect(config).await.expect("client connects");
        let other = wire::Admin::new(self::client(&cluster).await);
        other
            .create_topic(
                &wire::admin::NewTopic::new("fresh").with_partitions(2),
                false,
            )
            .await
            .expect("create");
        assert_eq!(client.topic("fresh").await.unwrap().partitions.len(), 2);
        other
            .create_partitions("fresh", 5, None, false)
            .await
            .expect("add partitions");
        // The cache still has two; the fresh look-up sees five, and the
        // cache is updated with it.
        assert_eq!(client.cached_metadata().topics["fresh"].partitions.len(), 2);
        assert_eq!(
            client.fresh_topic("fresh").await.unwrap().partitions.len(),
            5
        );
        assert_eq!(client.cached_metadata().topics["fresh"].partitions.len(), 5);
        other.delete_topic("fresh").await.expect("delete");
        let gone = client.fresh_topic("fresh").await.unwrap_err();
        assert!(
            matches!(gone, Error::UnknownTopic(ref t) if t == "fresh"),
            "{gone}"
        );
        assert!(!client.cached_metadata().topics.contains_key("fresh"));
        let never = client.fresh_topic("never-created").await.unwrap_err();
        assert!(matches!(never, Error::UnknownTopic(_)), "{never}");
        let listed = client.refresh_metadata().await.unwrap();
        assert!(!listed.topics.contains_key("never-created"));
    })
    .await
}
