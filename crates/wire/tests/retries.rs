//! Retries of the cluster client and the producer against a scripted fake
//! cluster (`scripted`): leader moves, retriable and non-retriable broker
//! errors, lost and late responses, a broker restart, and the delivery
//! timeout. Each test checks the broker's log as well as the delivery
//! results: every record written exactly once, in send order, at the offset
//! its delivery result reports.

mod scripted;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scripted::{FakeCluster, Outcome, ProduceAttempt, FIRST_PRODUCER_ID, TOPIC};
use wire::producer::{DeliveryFuture, DeliveryResult, Producer, ProducerConfig, ProducerRecord};
use wire::protocol::api::fetch::IsolationLevel;
use wire::protocol::api::list_offsets::OffsetSpec;
use wire::{Client, ClientConfig, Error};

/// No test may take longer than this, whatever goes wrong.
const TEST_LIMIT: Duration = Duration::from_secs(15);

const LEADER_NOT_AVAILABLE: i16 = 5;
const NOT_LEADER_OR_FOLLOWER: i16 = 6;
const REQUEST_TIMED_OUT: i16 = 7;
const MESSAGE_TOO_LARGE: i16 = 10;
const NETWORK_EXCEPTION: i16 = 13;
const INVALID_RECORD: i16 = 87;

/// Runs a test body, failing it if it does not finish within [`TEST_LIMIT`].
async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("test did not finish in time")
}

fn client_config(cluster: &FakeCluster) -> ClientConfig {
    let mut config = ClientConfig::new(&cluster.bootstrap()).expect("bootstrap servers");
    config.retry_backoff = Duration::from_millis(10);
    config.retry_backoff_max = Duration::from_millis(50);
    config.api_timeout = Duration::from_secs(5);
    config.connection.request_timeout = Duration::from_secs(2);
    config.connection.connect_timeout = Duration::from_secs(1);
    config
}

fn producer_config() -> ProducerConfig {
    ProducerConfig {
        linger: Duration::from_millis(2),
        // About twenty of the test records per batch, so that every test
        // produces several batches per partition.
        batch_size: 512,
        request_timeout: Duration::from_secs(1),
        delivery_timeout: Duration::from_secs(10),
        ..ProducerConfig::default()
    }
}

async fn start(
    cluster: &FakeCluster,
    config: ClientConfig,
    producer: ProducerConfig,
) -> (Client, Producer) {
    let client = Client::connect(config).await.expect("client connects");
    let producer = Producer::new(client.clone(), producer)
        .await
        .expect("producer starts");
    assert_eq!(cluster.init_producer_id_calls(), 1);
    (client, producer)
}

/// The value of the `i`-th test record of `partition`.
fn value(partition: i32, i: usize) -> String {
    format!("p{partition}-{i:04}")
}

fn values(partition: i32, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| value(partition, i)).collect()
}

async fn send(producer: &Producer, partition: i32, values: &[String]) -> Vec<DeliveryFuture> {
    let mut futures = Vec::with_capacity(values.len());
    for v in values {
        let record = ProducerRecord {
            partition: Some(partition),
            ..ProducerRecord::new(TOPIC, v.clone().into_bytes())
        };
        futures.push(producer.send(record).await.expect("record queued"));
    }
    futures
}

async fn wait_all(futures: Vec<DeliveryFuture>) -> Vec<DeliveryResult> {
    let mut results = Vec::with_capacity(futures.len());
    for f in futures {
        results.push(f.wait().await);
    }
    results
}

/// Every result is a success on `partition`, at consecutive offsets from
/// `first_offset` in send order.
fn assert_delivered(results: &[DeliveryResult], partition: i32, first_offset: i64) {
    for (i, r) in results.iter().enumerate() {
        let m = r
            .as_ref()
            .unwrap_or_else(|e| panic!("record {i} of partition {partition} failed: {e}"));
        assert_eq!(m.partition, partition);
        assert_eq!(
            m.offset,
            first_offset + i as i64,
            "record {i} of partition {partition} has the wrong offset"
        );
    }
}

/// The partition log holds exactly `expected`, once each, in order.
fn assert_log(cluster: &FakeCluster, partition: i32, expected: &[String]) {
    let log = cluster.log_values(partition);
    if log != expected {
        let mut seen = std::collections::HashMap::new();
        for v in &log {
            *seen.entry(v).or_insert(0) += 1;
        }
        let mut duplicated: Vec<_> = seen
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(v, _)| *v)
            .collect();
        duplicated.sort();
        let missing: Vec<_> = expected.iter().filter(|v| !seen.contains_key(v)).collect();
        panic!(
            "log of partition {partition} differs: {} records, {} expected; \
             duplicated {duplicated:?}; missing {missing:?}",
            log.len(),
            expected.len()
        );
    }
}

/// The broker error code an error carries.
fn broker_code(e: &Error) -> Option<i16> {
    match e {
        Error::Broker { code, .. } => Some(code.code()),
        _ => None,
    }
}

fn attempts_for(cluster: &FakeCluster, partition: i32) -> Vec<ProduceAttempt> {
    cluster
        .produce_attempts()
        .into_iter()
        .filter(|a| a.partition == partition)
        .collect()
}

/// NOT_LEADER_OR_FOLLOWER from the old leader is retried; once the client
/// learns the new leader (here: the next `send` refreshes the metadata the
/// error invalidated), the batches go to broker 2, which has the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_leader_then_leader_move_while_producing() {
    bounded(async {
        let cluster = FakeCluster::start(2, 1).await;
        let (_client, producer) = start(&cluster, client_config(&cluster), producer_config()).await;
        let all = values(0, 0..200);
        let mut futures = Vec::new();
        for round in all[..100].chunks(10) {
            futures.extend(send(&producer, 0, round).await);
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        let mut results = wait_all(futures).await;
        cluster.move_leader(0, 2);
        let mut futures = send(&producer, 0, &all[100..110]).await;
        // Keep producing after broker 1 has refused a batch: the next sends
        // find the metadata stale and refresh it.
        let mut polls = 0;
        while !attempts_for(&cluster, 0)
            .iter()
            .any(|a| a.outcome == Outcome::Error(NOT_LEADER_OR_FOLLOWER))
        {
            polls += 1;
            assert!(polls < 5000, "broker 1 never refused a batch");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for round in all[110..].chunks(10) {
            futures.extend(send(&producer, 0, round).await);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        results.extend(wait_all(futures).await);

        assert_delivered(&results, 0, 0);
        assert_log(&cluster, 0, &all);
        let attempts = attempts_for(&cluster, 0);
        assert!(
            attempts
                .iter()
                .any(|a| a.broker == 1 && a.outcome == Outcome::Error(NOT_LEADER_OR_FOLLOWER)),
            "broker 1 never answered NOT_LEADER_OR_FOLLOWER"
        );
        assert!(attempts
            .iter()
            .any(|a| a.broker == 2 && matches!(a.outcome, Outcome::Appended { .. })));
        // Every rejected batch was sent again unchanged.
        for (i, a) in attempts.iter().enumerate() {
            if a.outcome == Outcome::Error(NOT_LEADER_OR_FOLLOWER) {
                let next = &attempts[i + 1];
                assert_eq!(
                    (next.producer_id, next.base_sequence, &next.values),
                    (a.producer_id, a.base_sequence, &a.values)
                );
            }
        }
    })
    .await
}

/// As above, but every record is queued before the leader moves and nothing
/// else asks for metadata afterwards: the producer itself must find the new
/// leader after NOT_LEADER_OR_FOLLOWER.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn not_leader_then_leader_move_after_last_send() {
    bounded(async {
        let cluster = FakeCluster::start(2, 1).await;
        let config = ProducerConfig {
            delivery_timeout: Duration::from_secs(3),
            ..producer_config()
        };
        let (_client, producer) = start(&cluster, client_config(&cluster), config).await;
        let all = values(0, 0..200);
        // Midway through the partition's log the leader moves to broker 2.
        cluster.move_leader_when_log_reaches(0, 100, 2);
        let futures = send(&producer, 0, &all).await;
        let results = wait_all(futures).await;

        assert_eq!(cluster.leader(0), 2, "the leader never moved");
        assert_delivered(&results, 0, 0);
        assert_log(&cluster, 0, &all);
    })
    .await
}

/// Retriable errors for the next three Produce calls: the batch is sent again
/// (same producer id and sequence) until it is written, once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retriable_produce_errors_are_retried_in_order() {
    bounded(async {
        let cluster = FakeCluster::start(1, 2).await;
        let (_client, producer) = start(&cluster, client_config(&cluster), producer_config()).await;
        let codes = [REQUEST_TIMED_OUT, LEADER_NOT_AVAILABLE, NETWORK_EXCEPTION];
        cluster.fail_next_produce(0, &codes);
        let p0 = values(0, 0..100);
        let p1 = values(1, 0..100);
        let mut f0 = Vec::new();
        let mut f1 = Vec::new();
        for (a, b) in p0.chunks(25).zip(p1.chunks(25)) {
            f0.extend(send(&producer, 0, a).await);
            f1.extend(send(&producer, 1, b).await);
        }
        let r0 = wait_all(f0).await;
        let r1 = wait_all(f1).await;

        assert_delivered(&r0, 0, 0);
        assert_delivered(&r1, 1, 0);
        assert_log(&cluster, 0, &p0);
        assert_log(&cluster, 1, &p1);
        let attempts = attempts_for(&cluster, 0);
        let outcomes: Vec<Outcome> = attempts.iter().take(4).map(|a| a.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Error(REQUEST_TIMED_OUT),
                Outcome::Error(LEADER_NOT_AVAILABLE),
                Outcome::Error(NETWORK_EXCEPTION),
                Outcome::Appended { base_offset: 0 },
            ]
        );
        for a in &attempts[1..4] {
            assert_eq!(
                (a.producer_id, a.producer_epoch, a.base_sequence, &a.values),
                (FIRST_PRODUCER_ID, 0, 0, &attempts[0].values),
                "a retried batch changed"
            );
        }
        // Retriable errors keep the producer id.
        assert_eq!(cluster.init_producer_id_calls(), 1);
        assert!(cluster
            .produce_attempts()
            .iter()
            .all(|a| a.producer_id == FIRST_PRODUCER_ID));
    })
    .await
}

/// The broker writes a batch, then the connection drops before the response:
/// the producer reconnects and sends the same batch (same producer id, epoch
/// and sequence), which the broker recognises as a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_produce_response_is_resent_and_deduplicated() {
    bounded(async {
        let cluster = FakeCluster::start(1, 2).await;
        let (_client, producer) = start(&cluster, client_config(&cluster), producer_config()).await;
        let p0 = values(0, 0..100);
        let p1 = values(1, 0..100);
        let mut f0 = send(&producer, 0, &p0[..30]).await;
        let mut f1 = send(&producer, 1, &p1[..30]).await;
        producer.flush().await;
        let connections = cluster.connections_accepted(1);
        cluster.drop_next_produce_response(0);
        for (a, b) in p0[30..].chunks(10).zip(p1[30..].chunks(10)) {
            f0.extend(send(&producer, 0, a).await);
            f1.extend(send(&producer, 1, b).await);
        }
        let r0 = wait_all(f0).await;
        let r1 = wait_all(f1).await;

        assert_delivered(&r0, 0, 0);
        assert_delivered(&r1, 1, 0);
        assert_log(&cluster, 0, &p0);
        assert_log(&cluster, 1, &p1);
        assert!(
            cluster.connections_accepted(1) > connections,
            "the producer did not reconnect"
        );
        let attempts = attempts_for(&cluster, 0);
        let lost = attempts
            .iter()
            .position(|a| a.response_dropped)
            .expect("a response was dropped");
        let Outcome::Appended { base_offset } = attempts[lost].outcome else {
            panic!("the lost batch was not appended: {:?}", attempts[lost]);
        };
        let resent = &attempts[lost + 1];
        assert_eq!(
            (
                resent.producer_id,
                resent.producer_epoch,
                resent.base_sequence,
                &resent.values
            ),
            (
                attempts[lost].producer_id,
                attempts[lost].producer_epoch,
                attempts[lost].base_sequence,
                &attempts[lost].values
            ),
            "the batch was not re-sent unchanged"
        );
        assert_eq!(resent.outcome, Outcome::Duplicate { base_offset });
        assert_eq!(cluster.init_producer_id_calls(), 1);
    })
    .await
}

/// A response that comes after the request timeout: the producer gives up on
/// the connection, reconnects and re-sends; the broker already has the batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_produce_response_is_resent_and_deduplicated() {
    bounded(async {
        let cluster = FakeCluster::start(1, 1).await;
        let mut config = client_config(&cluster);
        // Produce waits for the connection's plus the producer's timeout.
        config.connection.request_timeout = Duration::from_millis(300);
        let producer_config = ProducerConfig {
            request_timeout: Duration::from_millis(100),
            ..producer_config()
        };
        let (_client, producer) = start(&cluster, config, producer_config).await;
        cluster.delay_next_produce_response(0, Duration::from_millis(1500));
        let p0 = values(0, 0..60);
        let started = Instant::now();
        let results = wait_all(send(&producer, 0, &p0).await).await;

        assert_delivered(&results, 0, 0);
        assert_log(&cluster, 0, &p0);
        assert!(
            started.elapsed() < Duration::from_millis(1400),
            "the producer waited for the late response instead of timing out"
        );
        let attempts = attempts_for(&cluster, 0);
        assert_eq!(attempts[0].outcome, Outcome::Appended { base_offset: 0 });
        assert_eq!(attempts[1].outcome, Outcome::Duplicate { base_offset: 0 });
        assert_eq!(attempts[1].base_sequence, attempts[0].base_sequence);
        assert_eq!(attempts[1].values, attempts[0].values);
    })
    .await
}

/// A non-retriable error fails the records of that batch, with the broker's
/// code; the other partition is not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_retriable_error_fails_only_that_batch() {
    bounded(async {
        for code in [INVALID_RECORD, MESSAGE_TOO_LARGE] {
            let cluster = FakeCluster::start(1, 2).await;
            // A long linger keeps the failing partition's records in one batch.
            let config = ProducerConfig {
                linger: Duration::from_millis(50),
                ..producer_config()
            };
            let (_client, producer) = start(&cluster, client_config(&cluster), config).await;
            cluster.fail_next_produce(0, &[code]);
            let p0 = values(0, 0..10);
            let p1 = values(1, 0..60);
            let f0 = send(&producer, 0, &p0).await;
            let f1 = send(&producer, 1, &p1).await;
            let r0 = wait_all(f0).await;
            let r1 = wait_all(f1).await;

            for (i, r) in r0.iter().enumerate() {
                let e = r
                    .as_ref()
                    .expect_err("a rejected record was reported delivered");
                assert_eq!(broker_code(e), Some(code), "record {i}: {e}");
                assert!(!e.is_retriable());
            }
            assert_delivered(&r1, 1, 0);
            assert_log(&cluster, 0, &[]);
            assert_log(&cluster, 1, &p1);
            let attempts = attempts_for(&cluster, 0);
            assert_eq!(attempts.len(), 1, "a rejected batch was retried");
            assert_eq!(attempts[0].values, p0);
        }
    })
    .await
}

/// After a batch is rejected with a non-retriable error, the partition's
/// later batches are still delivered (the producer must not leave a gap in
/// the sequence the broker expects). Another partition keeps a request in
/// flight meanwhile, on broker 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_after_a_rejected_batch_are_delivered() {
    bounded(async {
        let cluster = FakeCluster::start(2, 2).await;
        cluster.move_leader(1, 2);
        let (_client, producer) = start(&cluster, client_config(&cluster), producer_config()).await;
        cluster.fail_next_produce(0, &[INVALID_RECORD]);
        cluster.delay_next_produce_response(1, Duration::from_millis(300));
        let p0 = values(0, 0..100);
        let p1 = values(1, 0..20);
        let f1 = send(&producer, 1, &p1).await;
        // Partition 1's request is on its way (and held by broker 2) before
        // partition 0's records are sent.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let f0 = send(&producer, 0, &p0).await;
        let r0 = wait_all(f0).await;
        let r1 = wait_all(f1).await;

        assert_delivered(&r1, 1, 0);
        assert_log(&cluster, 1, &p1);
        let attempts = attempts_for(&cluster, 0);
        assert_eq!(attempts[0].outcome, Outcome::Error(INVALID_RECORD));
        let rejected = attempts[0].values.len();
        for (i, r) in r0.iter().enumerate() {
            match r {
                Err(e) if i < rejected => assert_eq!(broker_code(e), Some(INVALID_RECORD)),
                Err(e) => panic!("record {i} failed after the rejected batch: {e}"),
                Ok(m) => assert_eq!(m.offset, (i - rejected) as i64, "record {i}"),
            }
        }
        assert_log(&cluster, 0, &p0[rejected..]);
    })
    .await
}

/// A new producer id must not be put on a batch whose earlier attempt may
/// have been written: a response for partition 1 is lost (the broker has
/// the batch), then a batch of partition 0 is rejected, which makes the
/// producer fetch a new producer id before partition 1's batch is re-sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn new_producer_id_does_not_duplicate_a_batch_with_unknown_outcome() {
    bounded(async {
        let cluster = FakeCluster::start(2, 2).await;
        cluster.move_leader(1, 2);
        let mut config = client_config(&cluster);
        // The producer waits this long before re-sending partition 1's batch.
        config.retry_backoff = Duration::from_millis(200);
        let (_client, producer) = start(&cluster, config, producer_config()).await;
        cluster.drop_next_produce_response(1);
        cluster.fail_next_produce(0, &[INVALID_RECORD]);
        cluster.delay_next_produce_response(0, Duration::from_millis(50));
        let p0 = values(0, 0..10);
        let p1 = values(1, 0..10);
        let f0 = send(&producer, 0, &p0).await;
        let f1 = send(&producer, 1, &p1).await;
        let r1 = wait_all(f1).await;
        let r0 = wait_all(f0).await;

        assert!(r0.iter().all(|r| r.is_err()));
        assert_log(&cluster, 1, &p1);
        assert_delivered(&r1, 1, 0);
    })
    .await
}

/// A broker goes away (listener and connections closed) and comes back on
/// the same port: list_offset and the producer reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_reconnects() {
    bounded(async {
        let cluster = Arc::new(FakeCluster::start(1, 1).await);
        let (client, producer) = start(&cluster, client_config(&cluster), producer_config()).await;
        let p0 = values(0, 0..40);
        let results = wait_all(send(&producer, 0, &p0[..20]).await).await;
        assert_delivered(&results, 0, 0);
        let latest = |client: Client| async move {
            client
                .list_offset(
                    TOPIC,
                    0,
                    OffsetSpec::Latest,
                    IsolationLevel::ReadUncommitted,
                )
                .await
        };
        assert_eq!(
            latest(client.clone()).await.expect("list offset").offset,
            20
        );
        let connections = cluster.connections_accepted(1);

        cluster.stop_broker(1).await;
        let restarted = {
            let cluster = cluster.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                cluster.restart_broker(1).await;
                Instant::now()
            })
        };
        let offset = latest(client.clone())
            .await
            .expect("list offset after the restart");
        let answered = Instant::now();
        let restarted = restarted.await.expect("restart task");
        assert_eq!(offset.offset, 20);
        assert!(answered >= restarted, "answered while the broker was down");
        assert!(cluster.connections_accepted(1) > connections);

        // The producer's connection broke too; it reconnects on its own.
        let results = wait_all(send(&producer, 0, &p0[20..]).await).await;
        assert_delivered(&results, 0, 20);
        assert_log(&cluster, 0, &p0);
        assert_eq!(latest(client).await.expect("list offset").offset, 40);
        assert_eq!(cluster.init_producer_id_calls(), 1);
    })
    .await
}

/// The producer sends while its broker is down; the records are delivered
/// once the broker is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_while_broker_restarts() {
    bounded(async {
        let cluster = Arc::new(FakeCluster::start(1, 1).await);
        let (_client, producer) = start(&cluster, client_config(&cluster), producer_config()).await;
        let p0 = values(0, 0..60);
        let results = wait_all(send(&producer, 0, &p0[..20]).await).await;
        assert_delivered(&results, 0, 0);

        cluster.stop_broker(1).await;
        let restarted = {
            let cluster = cluster.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                cluster.restart_broker(1).await;
            })
        };
        // `send` may wait for metadata while the broker is down (see
        // `send_does_not_wait_for_metadata_of_a_known_topic`).
        let futures = send(&producer, 0, &p0[20..]).await;
        let results = wait_all(futures).await;
        restarted.await.expect("restart task");

        assert_delivered(&results, 0, 20);
        assert_log(&cluster, 0, &p0);
    })
    .await
}

/// While the only broker is down and the producer has marked the metadata
/// stale (after failing to reach it), `send` for a known topic and partition
/// still queues the record at once, as its documentation promises; the
/// record is delivered when the broker is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn send_does_not_wait_for_metadata_of_a_known_topic() {
    bounded(async {
        let cluster = FakeCluster::start(1, 1).await;
        let (client, producer) = start(&cluster, client_config(&cluster), producer_config()).await;
        let p0 = values(0, 0..20);
        cluster.stop_broker(1).await;
        let mut futures = send(&producer, 0, &p0[..1]).await;
        // The sender fails to connect and marks the metadata stale.
        let mut polls = 0;
        while !client.metadata_is_stale() {
            polls += 1;
            assert!(polls < 2000, "the metadata never went stale");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let started = Instant::now();
        let queued =
            tokio::time::timeout(Duration::from_secs(1), send(&producer, 0, &p0[1..])).await;
        let elapsed = started.elapsed();
        cluster.restart_broker(1).await;
        futures.extend(queued.unwrap_or_else(|_| {
            panic!("send blocked for {elapsed:?} with a known topic and partition")
        }));
        let results = wait_all(futures).await;
        assert_delivered(&results, 0, 0);
        assert_log(&cluster, 0, &p0);
    })
    .await
}

/// A partition whose every Produce fails with a retriable error: its records
/// fail with a timeout once `delivery.timeout.ms` has passed, and nothing
/// hangs; another partition is not held up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_give_up_at_the_delivery_timeout() {
    bounded(async {
        let cluster = FakeCluster::start(1, 2).await;
        let config = ProducerConfig {
            delivery_timeout: Duration::from_millis(300),
            // One batch for partition 0 (see
            // `open_batch_behind_an_expired_batch_is_not_forgotten`).
            linger: Duration::from_millis(50),
            ..producer_config()
        };
        let (_client, producer) = start(&cluster, client_config(&cluster), config).await;
        cluster.always_fail_produce(0, REQUEST_TIMED_OUT);
        let started = Instant::now();
        let f0 = send(&producer, 0, &values(0, 0..10)).await;
        let p1 = values(1, 0..30);
        let f1 = send(&producer, 1, &p1).await;
        let r1 = wait_all(f1).await;
        let r0 = wait_all(f0).await;
        let elapsed = started.elapsed();

        assert_delivered(&r1, 1, 0);
        assert_log(&cluster, 1, &p1);
        for (i, r) in r0.iter().enumerate() {
            let e = r.as_ref().expect_err("record delivered despite the errors");
            assert!(
                matches!(**e, Error::DeliveryTimeout { .. }),
                "record {i}: expected a timeout, got {e}"
            );
        }
        assert!(
            elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(3),
            "gave up after {elapsed:?}"
        );
        assert!(
            attempts_for(&cluster, 0).len() > 2,
            "the failing partition was not retried"
        );
        assert_log(&cluster, 0, &[]);
    })
    .await
}

/// A batch that keeps failing is retried until `delivery.timeout.ms`; when
/// the sender finds it expired while draining (its retry timer fired just
/// after the deadline), the partition's next batch, still open behind it,
/// must get a result too. Which of the two places notices the expiry depends
/// on timer granularity, so the scenario is repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn open_batch_behind_an_expired_batch_is_not_forgotten() {
    bounded(async {
        for trial in 0..12 {
            let cluster = FakeCluster::start(1, 1).await;
            let mut config = client_config(&cluster);
            // Retries every millisecond: the last retry timer often fires
            // just after the delivery deadline.
            config.retry_backoff = Duration::from_millis(1);
            let producer_config = ProducerConfig {
                delivery_timeout: Duration::from_millis(100),
                ..producer_config()
            };
            let (_client, producer) = start(&cluster, config, producer_config).await;
            cluster.always_fail_produce(0, REQUEST_TIMED_OUT);
            // 30 records: a full batch that goes at once, and an open one
            // behind it.
            let futures = send(&producer, 0, &values(0, 0..30)).await;
            let results = tokio::time::timeout(Duration::from_secs(1), wait_all(futures))
                .await
                .unwrap_or_else(|_| panic!("trial {trial}: records never completed"));
            for (i, r) in results.iter().enumerate() {
                let e = r.as_ref().expect_err("record delivered despite the errors");
                assert!(
                    matches!(**e, Error::DeliveryTimeout { .. }),
                    "trial {trial}, record {i}: expected a timeout, got {e}"
                );
            }
        }
    })
    .await
}

/// ListOffsets answered NOT_LEADER_OR_FOLLOWER by the old leader: the client
/// refreshes its metadata and asks the new leader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_offset_follows_the_leader_after_not_leader() {
    bounded(async {
        let cluster = FakeCluster::start(2, 1).await;
        cluster.append_direct(0, &values(0, 0..7));
        let client = Client::connect(client_config(&cluster))
            .await
            .expect("client connects");
        cluster.move_leader(0, 2);
        let offset = client
            .list_offset(
                TOPIC,
                0,
                OffsetSpec::Latest,
                IsolationLevel::ReadUncommitted,
            )
            .await
            .expect("list offset");
        assert_eq!(offset.offset, 7);
        let attempts = cluster.list_offsets_attempts();
        let seen: Vec<(i32, i16)> = attempts.iter().map(|a| (a.broker, a.error_code)).collect();
        assert_eq!(seen, [(1, NOT_LEADER_OR_FOLLOWER), (2, 0)]);
        let metadata = client.cached_metadata();
        assert_eq!(
            metadata.topics[TOPIC].partition(0).map(|p| p.leader),
            Some(2)
        );
    })
    .await
}

/// A retriable ListOffsets error on the current leader is retried there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_offset_retries_a_retriable_error() {
    bounded(async {
        let cluster = FakeCluster::start(1, 1).await;
        cluster.append_direct(0, &values(0, 0..3));
        let client = Client::connect(client_config(&cluster))
            .await
            .expect("client connects");
        cluster.fail_next_list_offsets(0, NOT_LEADER_OR_FOLLOWER);
        cluster.fail_next_list_offsets(0, LEADER_NOT_AVAILABLE);
        let earliest = client
            .list_offset(
                TOPIC,
                0,
                OffsetSpec::Earliest,
                IsolationLevel::ReadUncommitted,
            )
            .await
            .expect("list offset");
        assert_eq!(earliest.offset, 0);
        let codes: Vec<i16> = cluster
            .list_offsets_attempts()
            .iter()
            .map(|a| a.error_code)
            .collect();
        assert_eq!(codes, [NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, 0]);
        let latest = client
            .list_offset(
                TOPIC,
                0,
                OffsetSpec::Latest,
                IsolationLevel::ReadUncommitted,
            )
            .await
            .expect("list offset");
        assert_eq!(latest.offset, 3);
    })
    .await
}
