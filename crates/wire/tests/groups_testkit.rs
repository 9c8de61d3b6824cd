//! `wire::Consumer` and `wire::GroupAdmin` against the in-process cluster
//! (`wire::testkit`), whose group coordinator follows Kafka's classic
//! protocol with Kafka's error codes and timings:
//! - one member joins, syncs and stays in the group on heartbeats alone,
//!   commits offsets with metadata, and is seen by every `GroupAdmin` call
//!   (list, describe, offsets, lag, deleting offsets and the group);
//! - two members split the partitions as the range and the roundrobin
//!   assignors compute them;
//! - members join and leave while records arrive, and the records the
//!   group consumed and committed are each read exactly once;
//! - auto-commit, pattern subscriptions that pick up new topics, manual
//!   assignment with seeks, leaving on close (and on drop);
//! - a member that stops heartbeating is expired after its session timeout
//!   and its partitions move on from its last commit;
//! - the coordinator moves (its offsets partition gets another leader, its
//!   broker stops) and partition leaders move while the group consumes.
//!
//! Every test starts a cluster of its own (three brokers) whose group
//! session timeouts may be short, so rebalances take well under a second;
//! every wait is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::StrBytes;
use tokio::time::Instant;
use wire::admin::{GroupAdmin, NewTopic};
use wire::consumer::{ConsumedRecord, Consumer, ConsumerConfig, OffsetAndMetadata, OffsetReset};
use wire::error::ResponseError;
use wire::producer::{Producer, ProducerConfig, ProducerRecord};
use wire::testkit::{Cluster, ClusterConfig};
use wire::{Admin, Client, ClientConfig, Error, TopicPartition};

/// No test may take longer than this, whatever goes wrong.
const TEST_LIMIT: Duration = Duration::from_secs(30);

/// The group coordinator's offsets topic.
const OFFSETS_TOPIC: &str = "__consumer_offsets";

async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("test did not finish in time")
}

fn cluster_config() -> ClusterConfig {
    ClusterConfig {
        group_min_session_timeout: Duration::from_millis(100),
        ..ClusterConfig::default()
    }
}

async fn cluster_with(config: ClusterConfig) -> Cluster {
    Cluster::start(config).await.expect("cluster starts")
}

fn client_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new(bootstrap).expect("bootstrap");
    config.connection.client_id = Some(StrBytes::from_static_str("groups-test"));
    config.retry_backoff = Duration::from_millis(10);
    config.retry_backoff_max = Duration::from_millis(100);
    config.api_timeout = Duration::from_secs(10);
    config.connection.request_timeout = Duration::from_secs(3);
    config.connection.connect_timeout = Duration::from_secs(1);
    config.metadata_max_age = Duration::from_millis(300);
    config.fetch.max_wait = Duration::from_millis(50);
    config
}

async fn client(cluster: &Cluster) -> Client {
    Client::connect(client_config(&cluster.bootstrap()))
        .await
        .expect("client connects")
}

fn group_config(group: &str) -> ConsumerConfig {
    ConsumerConfig {
        group_id: Some(group.to_owned()),
        session_timeout: Duration::from_secs(3),
        heartbeat_interval: Duration::from_millis(100),
        rebalance_timeout: Duration::from_secs(5),
        auto_offset_reset: OffsetReset::Earliest,
        enable_auto_commit: false,
        ..ConsumerConfig::default()
    }
}

fn consumer(client: &Client, config: ConsumerConfig) -> Consumer {
    Consumer::with_config(client.clone(), config, client.config().fetch.clone()).expect("consumer")
}

async fn create_topic(client: &Client, name: &str, partitions: i32, replication: i16) {
    Admin::new(client.clone())
        .create_topic(
            &NewTopic::new(name)
                .with_partitions(partitions)
                .with_replication_factor(replication),
            false,
        )
        .await
        .expect("create topic");
}

/// Produces `per_partition` records to each of `partitions`; values are
/// `"{tag}-{partition}-{i}"`. Returns the values.
async fn produce(
    client: &Client,
    topic: &str,
    partitions: i32,
    per_partition: usize,
    tag: &str,
) -> Vec<String> {
    let producer = Producer::new(
        client.clone(),
        ProducerConfig {
            linger: Duration::from_millis(1),
            ..ProducerConfig::default()
        },
    )
    .await
    .expect("producer");
    let mut futures = Vec::new();
    let mut values = Vec::new();
    for p in 0..partitions {
        for i in 0..per_partition {
            let value = format!("{tag}-{p}-{i}");
            values.push(value.clone());
            let record = ProducerRecord {
                topic: topic.into(),
                partition: Some(p),
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(value)),
                ..ProducerRecord::default()
            };
            futures.push(producer.send(record).await.expect("send"));
        }
    }
    for f in futures {
        f.wait().await.expect("delivered");
    }
    producer.close().await;
    values
}

fn value(r: &ConsumedRecord) -> String {
    String::from_utf8(r.value.as_deref().unwrap_or_default().to_vec()).expect("utf-8 value")
}

fn partitions(topic: &str, ids: impl IntoIterator<Item = i32>) -> BTreeSet<TopicPartition> {
    ids.into_iter()
        .map(|p| TopicPartition::new(topic, p))
        .collect()
}

/// A consumer and what it has read.
struct Member {
    consumer: Consumer,
    read: Vec<ConsumedRecord>,
}

impl Member {
    fn new(consumer: Consumer) -> Member {
        Member {
            consumer,
            read: Vec::new(),
        }
    }
}

/// Polls every member in turn (briefly) until `done` holds, or panics after
/// `limit`.
async fn poll_until(
    members: &mut [&mut Member],
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&[&mut Member]) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(members) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        for m in members.iter_mut() {
            let got = m
                .consumer
                .poll(Duration::from_millis(50), 1 << 20)
                .await
                .expect("poll");
            m.read.extend(got);
        }
    }
}

fn total_read(members: &[&mut Member]) -> usize {
    members.iter().map(|m| m.read.len()).sum()
}

/// Every member's assignment is non-empty, they are disjoint, they cover
/// `all`, and the members share one generation.
fn split_evenly(members: &[&mut Member], all: &BTreeSet<TopicPartition>) -> bool {
    let mut union = BTreeSet::new();
    let generation = members[0].consumer.generation();
    for m in members {
        let a = m.consumer.assignment();
        if a.is_empty() || !union.is_disjoint(&a) || m.consumer.generation() != generation {
            return false;
        }
        union.extend(a);
    }
    union == *all
}

/// Asserts that `read` holds each of `want` exactly once, and no
/// (partition, offset) twice.
fn assert_each_once<'a>(read: impl IntoIterator<Item = &'a ConsumedRecord>, want: &[String]) {
    let mut seen: BTreeMap<(String, i32, i64), String> = BTreeMap::new();
    for r in read {
        let key = (r.topic.to_string(), r.partition, r.offset);
        if let Some(before) = seen.insert(key.clone(), value(r)) {
            panic!("{key:?} ({before}) was read twice");
        }
    }
    let mut got: Vec<String> = seen.into_values().collect();
    got.sort();
    let mut want = want.to_vec();
    want.sort();
    assert_eq!(got.len(), want.len(), "records read");
    assert_eq!(got, want, "every record exactly once");
}

/// Kafka's placement of a group on the offsets topic:
/// `abs(groupId.hashCode()) % partitions`.
fn offsets_partition(group: &str, partitions: i32) -> i32 {
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    abs % partitions
}

async fn wait_for(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_member_joins_commits_and_is_administered() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        let admin = GroupAdmin::new(client.clone());
        create_topic(&client, "solo", 3, 2).await;
        let first = produce(&client, "solo", 3, 10, "first").await;
        let group = "solo-group";

        let mut c = Member::new(consumer(&client, group_config(group)));
        c.consumer.subscribe(["solo"]).expect("subscribe");
        poll_until(&mut [&mut c], Duration::from_secs(10), "30 records", |m| {
            m[0].read.len() >= 30
        })
        .await;
        assert_each_once(&c.read, &first);
        assert_eq!(c.consumer.assignment(), partitions("solo", 0..3));
        let member_id = c.consumer.member_id();
        let generation = c.consumer.generation();
        assert!(!member_id.is_empty());
        assert!(generation >= 1, "generation {generation}");
        // The coordinator is the leader of the group's offsets partition.
        let coordinator = cluster
            .leader(OFFSETS_TOPIC, offsets_partition(group, 50))
            .unwrap();
        assert_eq!(c.consumer.coordinator_id(), Some(coordinator));
        for p in 0..3 {
            let tp = TopicPartition::new("solo", p);
            assert_eq!(c.consumer.position(&tp).await.expect("position"), 10);
            assert_eq!(c.consumer.high_watermark(&tp), Some(10));
        }

        // Heartbeats alone keep it in the group well past its session
        // timeout (3 s), without a rebalance.
        let heartbeats = cluster.request_count(ApiKey::Heartbeat);
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert!(
            cluster.request_count(ApiKey::Heartbeat) >= heartbeats + 20,
            "heartbeats every 100 ms"
        );
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(d.state, "Stable");
        assert_eq!(d.protocol_type, "consumer");
        assert_eq!(d.protocol, "range");
        assert_eq!(d.coordinator_id, coordinator);
        assert_eq!(d.members.len(), 1);
        let m = &d.members[0];
        assert_eq!(m.member_id, member_id);
        assert_eq!(m.client_id, "groups-test");
        assert_eq!(m.client_host, "/127.0.0.1");
        assert_eq!(m.group_instance_id, None);
        assert_eq!(
            m.subscription.as_ref().map(|s| s.topics.clone()),
            Some(vec!["solo".to_owned()])
        );
        assert_eq!(
            m.assignment.iter().cloned().collect::<BTreeSet<_>>(),
            partitions("solo", 0..3)
        );
        assert_eq!(c.consumer.generation(), generation);

        // Commits with metadata, read back by the consumer and the admin.
        let mut offsets = BTreeMap::new();
        for p in 0..3 {
            offsets.insert(
                TopicPartition::new("solo", p),
                OffsetAndMetadata::with_metadata(10 - i64::from(p), format!("meta-{p}")),
            );
        }
        c.consumer.commit(offsets.clone()).await.expect("commit");
        let all: Vec<TopicPartition> = partitions("solo", 0..3).into_iter().collect();
        let committed = c.consumer.committed(&all).await.expect("committed");
        for (tp, want) in &offsets {
            let got = committed[tp].as_ref().expect("committed offset");
            assert_eq!(
                (got.offset, got.metadata.as_deref()),
                (want.offset, want.metadata.as_deref())
            );
        }
        let by_admin = admin.group_offsets(group).await.expect("group offsets");
        assert_eq!(
            by_admin
                .iter()
                .map(|(tp, o)| (tp.clone(), (o.offset, o.metadata.clone())))
                .collect::<BTreeMap<_, _>>(),
            offsets
                .iter()
                .map(|(tp, o)| (tp.clone(), (o.offset, o.metadata.clone())))
                .collect::<BTreeMap<_, _>>()
        );
        // A metadata string over the broker's limit is refused.
        let e = c
            .consumer
            .commit(BTreeMap::from([(
                all[0].clone(),
                OffsetAndMetadata::with_metadata(10, "m".repeat(5000)),
            )]))
            .await
            .expect_err("too large");
        assert_eq!(e.code(), Some(ResponseError::OffsetMetadataTooLarge));

        // Lag against the log end, with the owning member.
        produce(&client, "solo", 1, 5, "more").await;
        let lags = admin.partition_lags(group).await.expect("lags");
        let lag: Vec<(i32, i64, i64, i64)> = lags
            .iter()
            .map(|l| (l.partition.partition, l.committed, l.end, l.lag))
            .collect();
        assert_eq!(lag, [(0, 10, 15, 5), (1, 9, 10, 1), (2, 8, 10, 2)]);
        assert!(lags.iter().all(|l| l.member.as_ref().map(|m| m.0.as_str())
            == Some(member_id.as_str())
            && l.member.as_ref().map(|m| m.1.as_str()) == Some("groups-test")));

        // Listing; other groups and unknown ones.
        let listed = admin.list_groups().await.expect("list groups");
        let listing = listed.iter().find(|g| g.group_id == group).expect("listed");
        assert_eq!(listing.protocol_type, "consumer");
        assert_eq!(listing.state.as_deref(), Some("Stable"));
        assert_eq!(listing.group_type.as_deref(), Some("classic"));
        assert_eq!(listing.coordinator_id, coordinator);
        let described = admin
            .describe_groups(&[group, "nobody-here", group])
            .await
            .expect("describe groups");
        assert_eq!(described.len(), 2, "duplicates removed");
        assert_eq!(described[1].0, "nobody-here");
        let unknown = described[1].1.as_ref().expect("an unknown group is Dead");
        assert_eq!(unknown.state, "Dead");
        assert!(unknown.members.is_empty());

        // Active groups keep their offsets and themselves.
        let e = admin
            .delete_offsets(group, &all[..1])
            .await
            .expect_err("subscribed");
        assert_eq!(e.code(), Some(ResponseError::GroupSubscribedToTopic));
        let deleted = admin.delete_groups(&[group]).await.expect("delete groups");
        assert_eq!(
            deleted[0].1.as_ref().unwrap_err().code(),
            Some(ResponseError::NonEmptyGroup)
        );

        // Closed: empty, then offsets and the group can go.
        c.consumer.close().await.expect("close");
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(d.state, "Empty");
        assert!(d.members.is_empty());
        admin
            .delete_offsets(group, &all[..1])
            .await
            .expect("delete offsets");
        let left = admin.group_offsets(group).await.expect("offsets");
        assert_eq!(
            left.keys().cloned().collect::<BTreeSet<_>>(),
            partitions("solo", 1..3)
        );
        let results = admin
            .groups_offsets(&[group, "nobody-here"])
            .await
            .expect("offsets of two groups");
        assert_eq!(results[0].1.as_ref().map(|o| o.len()).ok(), Some(2));
        assert_eq!(results[1].1.as_ref().map(|o| o.len()).ok(), Some(0));
        let deleted = admin
            .delete_groups(&[group, "nobody-here"])
            .await
            .expect("delete groups");
        assert!(deleted[0].1.is_ok());
        assert_eq!(
            deleted[1].1.as_ref().unwrap_err().code(),
            Some(ResponseError::GroupIdNotFound)
        );
        assert_eq!(
            admin.describe_group(group).await.expect("describe").state,
            "Dead"
        );
        assert!(admin
            .group_offsets(group)
            .await
            .expect("offsets")
            .is_empty());
        assert!(!admin
            .list_groups()
            .await
            .expect("list")
            .iter()
            .any(|g| g.group_id == group));
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_partitions_by_range_and_by_roundrobin() {
    bounded(async {
        let all: BTreeSet<TopicPartition> = partitions("left", 0..3)
            .into_iter()
            .chain(partitions("right", 0..3))
            .collect();
        let tps = |list: &[(&str, i32)]| -> BTreeSet<TopicPartition> {
            list.iter()
                .map(|(t, p)| TopicPartition::new(*t, *p))
                .collect()
        };
        // Members in member id order; what the Java assignors give them.
        let expected = [
            (
                "range",
                tps(&[("left", 0), ("left", 1), ("right", 0), ("right", 1)]),
                tps(&[("left", 2), ("right", 2)]),
            ),
            (
                "roundrobin",
                tps(&[("left", 0), ("left", 2), ("right", 1)]),
                tps(&[("left", 1), ("right", 0), ("right", 2)]),
            ),
        ];
        for (assignor, first_share, second_share) in expected {
            // A cluster each, so every member starts from empty topics.
            let cluster = cluster_with(cluster_config()).await;
            let client = client(&cluster).await;
            create_topic(&client, "left", 3, 1).await;
            create_topic(&client, "right", 3, 1).await;
            let group = format!("split-{assignor}");
            let config = ConsumerConfig {
                assignment_strategies: vec![assignor.to_owned()],
                ..group_config(&group)
            };
            let mut a = Member::new(consumer(&client, config.clone()));
            let mut b = Member::new(consumer(&client, config));
            a.consumer.subscribe(["left", "right"]).expect("subscribe");
            b.consumer.subscribe(["right", "left"]).expect("subscribe");
            poll_until(
                &mut [&mut a, &mut b],
                Duration::from_secs(15),
                "the group to split the topics",
                |m| split_evenly(m, &all),
            )
            .await;
            let mut want = produce(&client, "left", 3, 4, "l").await;
            want.extend(produce(&client, "right", 3, 4, "r").await);
            poll_until(
                &mut [&mut a, &mut b],
                Duration::from_secs(15),
                "the records",
                |m| total_read(m) >= want.len(),
            )
            .await;
            let (first, second) = if a.consumer.member_id() < b.consumer.member_id() {
                (&a, &b)
            } else {
                (&b, &a)
            };
            assert_eq!(first.consumer.assignment(), first_share, "{assignor}");
            assert_eq!(second.consumer.assignment(), second_share, "{assignor}");
            for m in [&a, &b] {
                let owned = m.consumer.assignment();
                assert!(m
                    .read
                    .iter()
                    .all(|r| owned.contains(&TopicPartition::new(&*r.topic, r.partition))));
            }
            assert_each_once(a.read.iter().chain(&b.read), &want);
            let d = GroupAdmin::new(client.clone())
                .describe_group(&group)
                .await
                .expect("describe");
            assert_eq!(d.protocol, assignor);
            assert_eq!(d.members.len(), 2);
            a.consumer.close().await.expect("close");
            b.consumer.close().await.expect("close");
            cluster.shutdown().await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_join_and_leave_while_records_arrive_and_each_is_read_once() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        create_topic(&client, "churn", 4, 2).await;
        let all = partitions("churn", 0..4);
        let group = "churn-group";
        let config = ConsumerConfig {
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(200),
            ..group_config(group)
        };
        let mut want = produce(&client, "churn", 4, 10, "one").await;

        let mut a = Member::new(consumer(&client, config.clone()));
        a.consumer.subscribe(["churn"]).expect("subscribe");
        poll_until(&mut [&mut a], Duration::from_secs(10), "A reads", |m| {
            total_read(m) >= want.len()
        })
        .await;

        // B joins: A commits what it read before giving partitions up.
        let mut b = Member::new(consumer(&client, config.clone()));
        b.consumer.subscribe(["churn"]).expect("subscribe");
        poll_until(
            &mut [&mut a, &mut b],
            Duration::from_secs(10),
            "A and B to split",
            |m| split_evenly(m, &all),
        )
        .await;
        want.extend(produce(&client, "churn", 4, 10, "two").await);
        poll_until(
            &mut [&mut a, &mut b],
            Duration::from_secs(10),
            "A and B to read",
            |m| total_read(m) >= want.len(),
        )
        .await;

        // C joins.
        let mut c = Member::new(consumer(&client, config.clone()));
        c.consumer.subscribe(["churn"]).expect("subscribe");
        poll_until(
            &mut [&mut a, &mut b, &mut c],
            Duration::from_secs(10),
            "three members to split",
            |m| split_evenly(m, &all),
        )
        .await;
        want.extend(produce(&client, "churn", 4, 10, "three").await);
        poll_until(
            &mut [&mut a, &mut b, &mut c],
            Duration::from_secs(10),
            "three members to read",
            |m| total_read(m) >= want.len(),
        )
        .await;
        let d = GroupAdmin::new(client.clone())
            .describe_group(group)
            .await
            .expect("describe");
        assert_eq!(d.members.len(), 3);

        // B leaves (close commits first); A and C take its partitions over.
        let Member {
            consumer: b_consumer,
            read: b_read,
        } = b;
        b_consumer.close().await.expect("close b");
        want.extend(produce(&client, "churn", 4, 10, "four").await);
        poll_until(
            &mut [&mut a, &mut c],
            Duration::from_secs(10),
            "A and C to read the rest",
            |m| split_evenly(m, &all) && total_read(m) + b_read.len() >= want.len(),
        )
        .await;
        // Nothing more arrives for anyone.
        for _ in 0..3 {
            for m in [&mut a, &mut c] {
                let more = m
                    .consumer
                    .poll(Duration::from_millis(50), 1 << 20)
                    .await
                    .expect("poll");
                m.read.extend(more);
            }
        }
        assert_each_once(a.read.iter().chain(&b_read).chain(&c.read), &want);
        a.consumer.close().await.expect("close a");
        c.consumer.close().await.expect("close c");
        let committed = GroupAdmin::new(client.clone())
            .group_offsets(group)
            .await
            .expect("offsets");
        let committed: BTreeMap<TopicPartition, i64> = committed
            .into_iter()
            .map(|(tp, o)| (tp, o.offset))
            .collect();
        assert_eq!(
            committed,
            all.iter()
                .map(|tp| (tp.clone(), 40))
                .collect::<BTreeMap<_, _>>(),
            "everything read was committed"
        );
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_commit_commits_what_was_returned() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        create_topic(&client, "auto", 2, 1).await;
        let want = produce(&client, "auto", 2, 15, "a").await;
        let group = "auto-group";
        let admin = GroupAdmin::new(client.clone());
        let mut c = Member::new(consumer(
            &client,
            ConsumerConfig {
                enable_auto_commit: true,
                auto_commit_interval: Duration::from_millis(200),
                ..group_config(group)
            },
        ));
        c.consumer.subscribe(["auto"]).expect("subscribe");
        // Read a little at a time: a poll returns at most about max_bytes.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut commits_seen = BTreeSet::new();
        while c.read.len() < want.len() {
            assert!(Instant::now() < deadline, "read {}", c.read.len());
            c.read.extend(
                c.consumer
                    .poll(Duration::from_millis(100), 20)
                    .await
                    .expect("poll"),
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
            let offsets = admin.group_offsets(group).await.expect("offsets");
            commits_seen.insert(offsets.values().map(|o| o.offset).sum::<i64>());
            // Never more committed than returned.
            assert!(offsets.values().map(|o| o.offset).sum::<i64>() <= c.read.len() as i64);
        }
        assert!(
            commits_seen.len() > 2,
            "commits every 200 ms while reading: {commits_seen:?}"
        );
        assert_each_once(&c.read, &want);
        // Without an explicit commit, polling lets the next auto-commit run.
        wait_for(Duration::from_secs(5), "the last auto-commit", async || {
            c.read.extend(
                c.consumer
                    .poll(Duration::from_millis(50), 1 << 20)
                    .await
                    .expect("poll"),
            );
            let offsets = admin.group_offsets(group).await.expect("offsets");
            offsets.len() == 2 && offsets.values().all(|o| o.offset == 15)
        })
        .await;
        // Dropping the consumer still leaves the group.
        let member = c.consumer.member_id();
        drop(c);
        wait_for(
            Duration::from_secs(2),
            "the dropped member to leave",
            async || {
                let d = admin.describe_group(group).await.expect("describe");
                !d.members.iter().any(|m| m.member_id == member)
            },
        )
        .await;
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern_subscriptions_follow_new_topics() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        create_topic(&client, "pat-a", 2, 1).await;
        let group = "pattern-group";
        let mut c = Member::new(consumer(&client, group_config(group)));
        c.consumer.subscribe_pattern("pat-.*").expect("pattern");
        assert_eq!(c.consumer.subscription_pattern(), Some("pat-.*"));
        assert!(matches!(
            c.consumer.subscribe(["x"]),
            Err(Error::SubscriptionConflict { .. })
        ));
        assert!(matches!(
            c.consumer.assign([TopicPartition::new("x", 0)]),
            Err(Error::SubscriptionConflict { .. })
        ));
        poll_until(&mut [&mut c], Duration::from_secs(10), "pat-a", |m| {
            m[0].consumer.assignment() == partitions("pat-a", 0..2)
        })
        .await;
        let generation = c.consumer.generation();

        create_topic(&client, "pat-b", 1, 1).await;
        create_topic(&client, "xpat-c", 1, 1).await;
        let want = produce(&client, "pat-b", 1, 3, "late").await;
        produce(&client, "xpat-c", 1, 3, "unmatched").await;
        poll_until(
            &mut [&mut c],
            Duration::from_secs(10),
            "the new topic's records",
            |m| m[0].read.len() >= 3,
        )
        .await;
        let mut assigned = partitions("pat-a", 0..2);
        assigned.insert(TopicPartition::new("pat-b", 0));
        assert_eq!(c.consumer.assignment(), assigned);
        assert_eq!(
            c.consumer.subscription(),
            BTreeSet::from(["pat-a".to_owned(), "pat-b".to_owned()])
        );
        assert!(c.consumer.generation() > generation, "the group rebalanced");
        assert_each_once(&c.read, &want);
        let d = GroupAdmin::new(client.clone())
            .describe_group(group)
            .await
            .expect("describe");
        assert_eq!(
            d.members[0].subscription.as_ref().map(|s| s.topics.clone()),
            Some(vec!["pat-a".to_owned(), "pat-b".to_owned()])
        );
        // A deleted topic leaves the subscription too.
        Admin::new(client.clone())
            .delete_topic("pat-a")
            .await
            .expect("delete");
        poll_until(
            &mut [&mut c],
            Duration::from_secs(10),
            "the deleted topic to go",
            |m| m[0].consumer.assignment() == partitions("pat-b", 0..1),
        )
        .await;
        c.consumer.unsubscribe().await.expect("unsubscribe");
        assert!(c.consumer.assignment().is_empty());
        assert!(GroupAdmin::new(client.clone())
            .describe_group(group)
            .await
            .expect("describe")
            .members
            .is_empty());

        // Internal topics are not matched unless asked for.
        let mut internal = Member::new(consumer(&client, group_config("pattern-internal")));
        internal
            .consumer
            .subscribe_pattern("__consumer_offsets|pat-b")
            .expect("pattern");
        poll_until(
            &mut [&mut internal],
            Duration::from_secs(10),
            "an assignment",
            |m| !m[0].consumer.assignment().is_empty(),
        )
        .await;
        assert_eq!(
            internal.consumer.subscription(),
            BTreeSet::from(["pat-b".to_owned()])
        );
        internal.consumer.close().await.expect("close");
        c.consumer.close().await.expect("close");
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_group_follows_new_partitions_and_topics_created_later() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        let admin = Admin::new(client.clone());
        create_topic(&client, "grown", 2, 1).await;
        let group = "growing-group";
        let config = ConsumerConfig {
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(200),
            ..group_config(group)
        };
        let mut a = Member::new(consumer(&client, config.clone()));
        let mut b = Member::new(consumer(&client, config));
        // "later" does not exist yet: it gets no partitions until it does.
        a.consumer.subscribe(["grown", "later"]).expect("subscribe");
        b.consumer.subscribe(["grown", "later"]).expect("subscribe");
        poll_until(
            &mut [&mut a, &mut b],
            Duration::from_secs(10),
            "the first split",
            |m| split_evenly(m, &partitions("grown", 0..2)),
        )
        .await;
        let mut want = produce(&client, "grown", 2, 5, "old").await;

        admin
            .create_partitions("grown", 4, None, false)
            .await
            .expect("more partitions");
        create_topic(&client, "later", 2, 1).await;
        want.extend(produce(&client, "grown", 4, 5, "new").await);
        want.extend(produce(&client, "later", 2, 5, "later").await);
        let all: BTreeSet<TopicPartition> = partitions("grown", 0..4)
            .into_iter()
            .chain(partitions("later", 0..2))
            .collect();
        poll_until(
            &mut [&mut a, &mut b],
            Duration::from_secs(10),
            "a split of the new partitions and every record",
            |m| split_evenly(m, &all) && total_read(m) >= want.len(),
        )
        .await;
        assert_eq!(a.consumer.assignment().len(), 3);
        assert_each_once(a.read.iter().chain(&b.read), &want);
        a.consumer.close().await.expect("close");
        b.consumer.close().await.expect("close");
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_assignment_seeks_and_commits_outside_the_group_protocol() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        create_topic(&client, "manual", 2, 1).await;
        produce(&client, "manual", 2, 10, "m").await;
        let group = "manual-group";
        let tp0 = TopicPartition::new("manual", 0);
        let tp1 = TopicPartition::new("manual", 1);
        let admin = GroupAdmin::new(client.clone());

        // Nothing committed and no reset policy: an error.
        let mut strict = consumer(
            &client,
            ConsumerConfig {
                auto_offset_reset: OffsetReset::None,
                ..group_config(group)
            },
        );
        strict.assign([tp0.clone()]).expect("assign");
        assert!(matches!(
            strict.poll(Duration::from_millis(200), 1 << 20).await,
            Err(Error::NoOffset { .. })
        ));
        strict.close().await.expect("close");

        let mut c = Member::new(consumer(&client, group_config(group)));
        c.consumer
            .assign([tp0.clone(), tp1.clone()])
            .expect("assign");
        poll_until(&mut [&mut c], Duration::from_secs(10), "20 records", |m| {
            m[0].read.len() >= 20
        })
        .await;
        assert_eq!(c.read.len(), 20);
        assert_eq!(c.consumer.position(&tp0).await.expect("position"), 10);

        // Seeks: to an offset, to the end, to the beginning.
        c.consumer.seek(&tp0, 7).expect("seek");
        c.consumer.seek(&tp1, 10).expect("seek");
        let got = c
            .consumer
            .poll(Duration::from_secs(2), 1 << 20)
            .await
            .expect("poll");
        assert_eq!(
            got.iter()
                .map(|r| (r.partition, r.offset))
                .collect::<Vec<_>>(),
            [(0, 7), (0, 8), (0, 9)]
        );
        c.consumer.seek_to_beginning(&[]).expect("seek");
        assert_eq!(c.consumer.position(&tp0).await.expect("position"), 0);
        assert_eq!(c.consumer.position(&tp1).await.expect("position"), 0);
        c.consumer
            .seek_to_end(std::slice::from_ref(&tp1))
            .expect("seek");
        assert_eq!(c.consumer.position(&tp1).await.expect("position"), 10);
        assert!(matches!(
            c.consumer.seek(&TopicPartition::new("manual", 5), 0),
            Err(Error::NotAssigned { .. })
        ));

        // The log start moves: a position before it resets to the earliest.
        let deleted = Admin::new(client.clone())
            .delete_records([(tp0.clone(), 4)])
            .await
            .expect("delete records");
        assert_eq!(deleted[&tp0].as_ref().ok(), Some(&4));
        c.consumer.seek(&tp0, 1).expect("seek");
        let got = c
            .consumer
            .poll(Duration::from_secs(2), 1 << 20)
            .await
            .expect("poll");
        assert_eq!(got.first().map(|r| (r.partition, r.offset)), Some((0, 4)));
        c.consumer.seek_to_beginning(&[]).expect("seek");
        assert_eq!(c.consumer.position(&tp0).await.expect("position"), 4);

        // Commits without a generation, with metadata; the group has no
        // members.
        c.consumer
            .commit(BTreeMap::from([
                (tp0.clone(), OffsetAndMetadata::with_metadata(6, "six")),
                (tp1.clone(), OffsetAndMetadata::new(3)),
            ]))
            .await
            .expect("commit");
        let committed = c
            .consumer
            .committed(&[tp0.clone(), tp1.clone()])
            .await
            .expect("committed");
        assert_eq!(
            committed[&tp0]
                .as_ref()
                .map(|o| (o.offset, o.metadata.clone())),
            Some((6, Some("six".to_owned())))
        );
        assert_eq!(committed[&tp1].as_ref().map(|o| o.offset), Some(3));
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(d.state, "Empty");
        assert!(d.members.is_empty());
        c.consumer.close().await.expect("close");

        // The next consumer of the group starts at the committed offsets.
        let mut next = Member::new(consumer(&client, group_config(group)));
        next.consumer
            .assign([tp0.clone(), tp1.clone()])
            .expect("assign");
        poll_until(&mut [&mut next], Duration::from_secs(10), "the rest", |m| {
            m[0].read.len() >= 11
        })
        .await;
        let first: BTreeMap<i32, i64> = next.read.iter().fold(BTreeMap::new(), |mut firsts, r| {
            firsts.entry(r.partition).or_insert(r.offset);
            firsts
        });
        assert_eq!(first, BTreeMap::from([(0, 6), (1, 3)]));
        assert_eq!(next.read.len(), 11);
        next.consumer.close().await.expect("close");
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_leaves_at_once_and_the_others_take_over() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        create_topic(&client, "leaving", 2, 1).await;
        let all = partitions("leaving", 0..2);
        let group = "leaving-group";
        let admin = GroupAdmin::new(client.clone());
        // A long session: only leaving can make a member go this fast.
        let config = ConsumerConfig {
            session_timeout: Duration::from_secs(20),
            ..group_config(group)
        };
        let mut a = Member::new(consumer(&client, config.clone()));
        let mut b = Member::new(consumer(&client, config));
        a.consumer.subscribe(["leaving"]).expect("subscribe");
        b.consumer.subscribe(["leaving"]).expect("subscribe");
        poll_until(
            &mut [&mut a, &mut b],
            Duration::from_secs(10),
            "two members",
            |m| split_evenly(m, &all),
        )
        .await;
        let b_id = b.consumer.member_id();
        let started = Instant::now();
        b.consumer.close().await.expect("close");
        let d = admin.describe_group(group).await.expect("describe");
        assert!(!d.members.iter().any(|m| m.member_id == b_id), "{d:?}");
        poll_until(
            &mut [&mut a],
            Duration::from_secs(10),
            "A to own everything",
            |m| m[0].consumer.assignment() == all,
        )
        .await;
        assert!(started.elapsed() < Duration::from_secs(5));
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(d.state, "Stable");
        assert_eq!(
            d.members
                .iter()
                .map(|m| m.member_id.clone())
                .collect::<Vec<_>>(),
            [a.consumer.member_id()]
        );
        a.consumer.close().await.expect("close");
        cluster.shutdown().await;
    })
    .await;
}

/// A member on a runtime of its own, driven by a thread of its own, so the
/// test can stop it dead: no heartbeat, no LeaveGroup.
struct Frozen {
    thread: std::thread::JoinHandle<Vec<ConsumedRecord>>,
    stop: mpsc::Sender<()>,
}

/// Starts a member on its own thread and runtime; it reads until it owns
/// `share` partitions of `topic` and has read each up to offset `until`,
/// commits, reports on `ready`, and then does nothing at all until told
/// to go.
fn frozen_member(
    bootstrap: String,
    config: ConsumerConfig,
    topic: &'static str,
    share: usize,
    until: i64,
    ready: mpsc::Sender<(String, BTreeSet<TopicPartition>, std::time::Instant)>,
) -> Frozen {
    let (stop, stopped) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (consumer, read) = runtime.block_on(async {
            let client = Client::connect(client_config(&bootstrap))
                .await
                .expect("client");
            let mut m = Member::new(consumer(&client, config));
            m.consumer.subscribe([topic]).expect("subscribe");
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                assert!(Instant::now() < deadline, "the frozen member never settled");
                m.read.extend(
                    m.consumer
                        .poll(Duration::from_millis(50), 1 << 20)
                        .await
                        .expect("poll"),
                );
                let owned = m.consumer.assignment();
                let caught_up = owned
                    .iter()
                    .all(|tp| m.consumer.known_position(tp) == Some(until));
                if owned.len() == share && caught_up {
                    break;
                }
            }
            m.consumer.commit_positions().await.expect("commit");
            ready
                .send((
                    m.consumer.member_id(),
                    m.consumer.assignment(),
                    std::time::Instant::now(),
                ))
                .expect("report");
            (m.consumer, m.read)
        });
        // Nothing drives the runtime now: the member is silent.
        let _ = stopped.recv();
        // Dropped outside the runtime: no LeaveGroup either.
        drop(consumer);
        drop(runtime);
        read
    });
    Frozen { thread, stop }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_stops_heartbeating_is_expired() {
    bounded(async {
        let cluster = cluster_with(cluster_config()).await;
        let client = client(&cluster).await;
        create_topic(&client, "expiry", 4, 1).await;
        let all = partitions("expiry", 0..4);
        let group = "expiry-group";
        let admin = GroupAdmin::new(client.clone());
        let mut want = produce(&client, "expiry", 4, 10, "before").await;
        let config = ConsumerConfig {
            session_timeout: Duration::from_millis(1000),
            ..group_config(group)
        };
        // A commits what it read before giving partitions up.
        let mut a = Member::new(consumer(
            &client,
            ConsumerConfig {
                enable_auto_commit: true,
                auto_commit_interval: Duration::from_millis(200),
                ..config.clone()
            },
        ));
        a.consumer.subscribe(["expiry"]).expect("subscribe");
        poll_until(
            &mut [&mut a],
            Duration::from_secs(10),
            "A's assignment",
            |m| m[0].consumer.assignment() == all,
        )
        .await;

        poll_until(
            &mut [&mut a],
            Duration::from_secs(10),
            "the first records",
            |m| m[0].read.len() >= 40,
        )
        .await;

        // A second member joins; once the two split the topic, five more
        // records per partition arrive, and each reads its share of them.
        let (ready_tx, ready) = mpsc::channel();
        let frozen = frozen_member(cluster.bootstrap(), config, "expiry", 2, 15, ready_tx);
        poll_until(&mut [&mut a], Duration::from_secs(10), "A's half", |m| {
            m[0].consumer.assignment().len() == 2
        })
        .await;
        want.extend(produce(&client, "expiry", 4, 5, "middle").await);
        let deadline = Instant::now() + Duration::from_secs(15);
        let (frozen_id, frozen_share, silent_since) = loop {
            assert!(Instant::now() < deadline, "the second member never settled");
            a.read.extend(
                a.consumer
                    .poll(Duration::from_millis(50), 1 << 20)
                    .await
                    .expect("poll"),
            );
            if let Ok(settled) = ready.try_recv() {
                break settled;
            }
        };
        poll_until(&mut [&mut a], Duration::from_secs(10), "A's share", |m| {
            m[0].consumer.assignment().len() == 2
                && m[0]
                    .consumer
                    .assignment()
                    .iter()
                    .all(|tp| m[0].consumer.known_position(tp) == Some(15))
        })
        .await;
        a.consumer.commit_positions().await.expect("commit");
        assert!(a.consumer.assignment().is_disjoint(&frozen_share));
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(d.members.len(), 2);

        // The frozen member is silent from now on; records keep coming.
        want.extend(produce(&client, "expiry", 4, 5, "after").await);
        poll_until(
            &mut [&mut a],
            Duration::from_secs(10),
            "A to own everything again",
            |m| m[0].consumer.assignment() == all,
        )
        .await;
        let expired_after = silent_since.elapsed();
        assert!(
            expired_after >= Duration::from_millis(800),
            "expired after {expired_after:?}, before its session timeout"
        );
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(
            d.members
                .iter()
                .map(|m| m.member_id.clone())
                .collect::<Vec<_>>(),
            [a.consumer.member_id()]
        );
        assert!(!d.members.iter().any(|m| m.member_id == frozen_id));
        // A takes over from the frozen member's commits: nothing lost,
        // nothing read twice.
        poll_until(&mut [&mut a], Duration::from_secs(10), "the rest", |m| {
            m[0].read.len() + 10 >= want.len()
        })
        .await;
        frozen.stop.send(()).expect("stop");
        let frozen_read = frozen.thread.join().expect("frozen member thread");
        assert_eq!(frozen_read.len(), 10, "its share of the middle records");
        assert_each_once(a.read.iter().chain(&frozen_read), &want);
        a.consumer.close().await.expect("close");
        cluster.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_group_follows_its_coordinator_and_the_partition_leaders() {
    bounded(async {
        // One offsets partition: the coordinator is its leader, broker 1.
        let cluster = cluster_with(ClusterConfig {
            offsets_topic_partitions: 1,
            ..cluster_config()
        })
        .await;
        let client = client(&cluster).await;
        let admin = GroupAdmin::new(client.clone());
        create_topic(&client, "followed", 3, 3).await;
        let group = "following-group";
        let mut want = produce(&client, "followed", 3, 10, "one").await;
        let mut c = Member::new(consumer(&client, group_config(group)));
        c.consumer.subscribe(["followed"]).expect("subscribe");
        poll_until(
            &mut [&mut c],
            Duration::from_secs(10),
            "the first records",
            |m| m[0].read.len() >= want.len(),
        )
        .await;
        c.consumer.commit_positions().await.expect("commit");
        assert_eq!(c.consumer.coordinator_id(), Some(1));
        let (member, generation) = (c.consumer.member_id(), c.consumer.generation());

        // The coordinator moves: heartbeats and commits find the new one.
        cluster.move_leader(OFFSETS_TOPIC, 0, 2).expect("move");
        want.extend(produce(&client, "followed", 3, 10, "two").await);
        poll_until(
            &mut [&mut c],
            Duration::from_secs(10),
            "records after the move",
            |m| m[0].read.len() >= want.len() && m[0].consumer.coordinator_id() == Some(2),
        )
        .await;
        c.consumer
            .commit_positions()
            .await
            .expect("commit to the new coordinator");
        assert_eq!(
            (c.consumer.member_id(), c.consumer.generation()),
            (member.clone(), generation),
            "the membership carried over"
        );

        // Injected coordinator errors on commits and heartbeats.
        cluster.fail_next(ApiKey::OffsetCommit, ResponseError::NotCoordinator, 1);
        cluster.fail_next(
            ApiKey::OffsetCommit,
            ResponseError::CoordinatorNotAvailable,
            1,
        );
        c.consumer
            .commit_positions()
            .await
            .expect("commit after two coordinator errors");
        // Its connections to the coordinator drop: it connects again.
        cluster.drop_connections(2);
        c.consumer
            .commit_positions()
            .await
            .expect("commit after the connection dropped");
        assert_eq!(c.consumer.generation(), generation);
        cluster.fail_next(ApiKey::Heartbeat, ResponseError::NotCoordinator, 2);
        // A heartbeat told to rebalance makes the member rejoin.
        cluster.fail_next(ApiKey::Heartbeat, ResponseError::RebalanceInProgress, 1);
        poll_until(&mut [&mut c], Duration::from_secs(10), "a rejoin", |m| {
            m[0].consumer.generation() > generation && !m[0].consumer.assignment().is_empty()
        })
        .await;
        assert_eq!(c.consumer.member_id(), member);

        // The coordinator's broker stops, and with it the leader of some of
        // the topic's partitions; the consumer carries on.
        let led_by_two: Vec<i32> = (0..3)
            .filter(|p| cluster.leader("followed", *p).unwrap() == 2)
            .collect();
        assert!(!led_by_two.is_empty());
        cluster.stop_broker(2).await.expect("stop");
        let coordinator = cluster.leader(OFFSETS_TOPIC, 0).unwrap();
        assert_ne!(coordinator, 2);
        // Group administration finds the new coordinator as well.
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(d.coordinator_id, coordinator);
        assert_eq!(d.members.len(), 1);
        let offsets = admin.group_offsets(group).await.expect("offsets");
        assert!(offsets.values().all(|o| o.offset == 20), "{offsets:?}");
        want.extend(produce(&client, "followed", 3, 10, "three").await);
        // Leaders move under the consumer too.
        cluster.move_leader("followed", 0, 3).expect("move");
        poll_until(
            &mut [&mut c],
            Duration::from_secs(15),
            "records after the stop",
            |m| {
                m[0].read.len() >= want.len() && m[0].consumer.coordinator_id() == Some(coordinator)
            },
        )
        .await;
        c.consumer.commit_positions().await.expect("commit");
        cluster.start_broker(2).await.expect("start");
        cluster.move_leader("followed", 1, 2).expect("move");
        want.extend(produce(&client, "followed", 3, 10, "four").await);
        poll_until(
            &mut [&mut c],
            Duration::from_secs(10),
            "records after the restart",
            |m| m[0].read.len() >= want.len(),
        )
        .await;
        c.consumer.commit_positions().await.expect("commit");
        assert_each_once(&c.read, &want);
        let d = admin.describe_group(group).await.expect("describe");
        assert_eq!(d.coordinator_id, coordinator);
        assert_eq!(d.members.len(), 1);
        c.consumer.close().await.expect("close");
        let committed = admin.group_offsets(group).await.expect("offsets");
        assert!(
            committed.len() == 3 && committed.values().all(|o| o.offset == 40),
            "{committed:?}"
        );
        cluster.shutdown().await;
    })
    .await;
}
