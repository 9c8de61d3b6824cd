//! Consumer groups against a real broker (Tansu, or `KAFKA_BOOTSTRAP`):
//! - two `wire` consumers in one group: join, assignment, commits, fetching
//!   committed offsets, a rebalance when the second member joins (the
//!   first commits what it consumed before giving its partitions up, so
//!   nothing is read twice), leaving, and group administration;
//! - a `wire` consumer and a librdkafka consumer in one group split the
//!   partitions of a topic and together read every record exactly once;
//! - pattern subscriptions pick up topics created later;
//! - manual assignment with commits, seeks and reset policies;
//! - a member that stops polling leaves the group and rejoins on its next
//!   poll.
//!
//! The tests share one broker and run concurrently; group timings are short
//! (heartbeats every 200–500 ms) so rebalances finish in seconds. Every wait
//! is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use kafka_gateway_tests::{b64_from_json, run_python, unique_topic, TestBroker};
use serde_json::json;
use tokio::time::Instant;
use wire::admin::GroupAdmin;
use wire::consumer::{
    ConsumedRecord, Consumer, ConsumerConfig, OffsetAndMetadata, OffsetReset, TopicPartition,
};
use wire::producer::{Producer, ProducerConfig, ProducerRecord};
use wire::protocol::api::list_offsets::OffsetSpec;
use wire::{Client, ClientConfig, Error};

/// Whether the tests run against Tansu, which stores committed metadata
/// strings but does not return them from OffsetFetch.
fn on_tansu() -> bool {
    std::env::var_os(kafka_gateway_tests::BOOTSTRAP_ENV).is_none()
}

fn broker() -> &'static str {
    static BROKER: OnceLock<TestBroker> = OnceLock::new();
    &BROKER.get_or_init(TestBroker::start).bootstrap
}

async fn client() -> Client {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut config = ClientConfig::new(broker()).expect("config");
    config.api_timeout = Duration::from_secs(30);
    config.metadata_max_age = Duration::from_secs(1);
    config.fetch.max_wait = Duration::from_millis(200);
    Client::connect(config).await.expect("connect")
}

fn group_config(group: &str) -> ConsumerConfig {
    ConsumerConfig {
        group_id: Some(group.to_owned()),
        // Tansu holds a JoinGroup for half the session timeout and a
        // SyncGroup until the assignment is there (docs/testing.md), so a
        // short session keeps rebalances short.
        session_timeout: Duration::from_secs(3),
        heartbeat_interval: Duration::from_millis(300),
        rebalance_timeout: Duration::from_secs(20),
        auto_offset_reset: OffsetReset::Earliest,
        enable_auto_commit: false,
        ..ConsumerConfig::default()
    }
}

fn consumer(client: &Client, config: ConsumerConfig) -> Consumer {
    Consumer::with_config(client.clone(), config, client.config().fetch.clone()).expect("consumer")
}

async fn topic(client: &Client, prefix: &str, partitions: i32) -> String {
    let name = unique_topic(prefix);
    client
        .create_topic(&name, partitions, 1)
        .await
        .expect("create topic");
    name
}

/// Produces `per_partition` records to every partition; values are
/// `"{tag}-{partition}-{i}"`.
async fn produce(client: &Client, topic: &str, partitions: i32, per_partition: usize, tag: &str) {
    let producer = Producer::new(client.clone(), ProducerConfig::default())
        .await
        .expect("producer");
    let mut futures = Vec::new();
    for p in 0..partitions {
        for i in 0..per_partition {
            let record = ProducerRecord {
                topic: topic.into(),
                partition: Some(p),
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("{tag}-{p}-{i}"))),
                ..ProducerRecord::default()
            };
            futures.push(producer.send(record).await.expect("send"));
        }
    }
    for f in futures {
        f.wait().await.expect("delivered");
    }
    producer.close().await;
}

fn value(r: &ConsumedRecord) -> String {
    String::from_utf8(r.value.as_deref().unwrap_or_default().to_vec()).expect("utf-8 value")
}

fn partitions(topic: &str, ids: impl IntoIterator<Item = i32>) -> BTreeSet<TopicPartition> {
    ids.into_iter()
        .map(|p| TopicPartition::new(topic, p))
        .collect()
}

/// Polls until `done` holds for what was read so far, or panics after
/// `limit`.
async fn poll_until(
    consumer: &mut Consumer,
    read: &mut Vec<ConsumedRecord>,
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&Consumer, &[ConsumedRecord]) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(consumer, read) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        read.extend(
            consumer
                .poll(Duration::from_millis(300), 1 << 20)
                .await
                .expect("poll"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_join_commit_rebalance_and_leave() {
    let client = client().await;
    let admin = GroupAdmin::new(client.clone());
    let topic = topic(&client, "group", 4).await;
    let group = unique_topic("group-g");
    produce(&client, &topic, 4, 10, "first").await;

    // One member: the whole topic, from the beginning.
    let mut a = consumer(
        &client,
        ConsumerConfig {
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_secs(3600),
            ..group_config(&group)
        },
    );
    a.subscribe([topic.clone()]).expect("subscribe");
    let mut read_a = Vec::new();
    poll_until(
        &mut a,
        &mut read_a,
        Duration::from_secs(60),
        "40 records",
        |_, r| r.len() >= 40,
    )
    .await;
    assert_eq!(a.assignment(), partitions(&topic, 0..4));
    assert_eq!(read_a.len(), 40, "each record once");
    let values: BTreeSet<String> = read_a.iter().map(value).collect();
    assert_eq!(values.len(), 40);
    for p in 0..4 {
        let tp = TopicPartition::new(&topic, p);
        assert_eq!(a.position(&tp).await.expect("position"), 10);
    }

    // Commit with metadata strings, read them back two ways.
    let mut offsets = BTreeMap::new();
    for p in 0..4 {
        offsets.insert(
            TopicPartition::new(&topic, p),
            OffsetAndMetadata::with_metadata(10, format!("meta-{p}")),
        );
    }
    a.commit(offsets.clone()).await.expect("commit");
    let committed = a
        .committed(&partitions(&topic, 0..4).into_iter().collect::<Vec<_>>())
        .await
        .expect("committed");
    for (tp, want) in &offsets {
        let got = committed[tp].as_ref().expect("committed offset");
        let want_metadata = if on_tansu() {
            None
        } else {
            want.metadata.as_deref()
        };
        assert_eq!((got.offset, got.metadata.as_deref()), (10, want_metadata));
    }
    let group_offsets = admin.group_offsets(&group).await.expect("group offsets");
    assert_eq!(group_offsets.len(), 4);
    assert!(group_offsets.values().all(|o| o.offset == 10));

    // Group administration sees one stable member.
    let listed = admin.list_groups().await.expect("list groups");
    let listing = listed
        .iter()
        .find(|g| g.group_id == group)
        .expect("group is listed");
    assert_eq!(listing.protocol_type, "consumer");
    let described = admin.describe_group(&group).await.expect("describe");
    assert_eq!(described.protocol_type, "consumer");
    assert_eq!(described.state, "Stable");
    let members: Vec<&str> = described
        .members
        .iter()
        .map(|m| m.member_id.as_str())
        .collect();
    assert_eq!(members, vec![a.member_id().as_str()]);
    let generation_one = a.generation();
    assert!(generation_one >= 0);

    // A second member joins while more records arrive: they split the
    // partitions, and what the first consumed before the rebalance was
    // committed, so the 40 new records are read exactly once in total.
    produce(&client, &topic, 4, 10, "second").await;
    let mut b = consumer(&client, group_config(&group));
    b.subscribe([topic.clone()]).expect("subscribe");
    let mut read_b = Vec::new();
    let mut read_a2 = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        assert!(
            Instant::now() < deadline,
            "the group did not split the topic"
        );
        let (ra, rb) = tokio::join!(
            a.poll(Duration::from_millis(300), 1 << 20),
            b.poll(Duration::from_millis(300), 1 << 20)
        );
        read_a2.extend(ra.expect("poll a"));
        read_b.extend(rb.expect("poll b"));
        let (pa, pb) = (a.assignment(), b.assignment());
        if pa.len() == 2 && pb.len() == 2 && read_a2.len() + read_b.len() >= 40 {
            break;
        }
    }
    let (pa, pb) = (a.assignment(), b.assignment());
    assert!(pa.is_disjoint(&pb));
    assert_eq!(
        pa.union(&pb).cloned().collect::<BTreeSet<_>>(),
        partitions(&topic, 0..4)
    );
    assert_eq!(a.generation(), b.generation());
    assert!(a.generation() > generation_one);
    // The range assignor gives the first member id in order partitions 0 and 1.
    let first = if a.member_id() < b.member_id() {
        &pa
    } else {
        &pb
    };
    assert_eq!(*first, partitions(&topic, 0..2));
    let mut all: Vec<String> = read_a2.iter().chain(&read_b).map(value).collect();
    all.sort();
    let want: Vec<String> = {
        let mut v: Vec<String> = (0..4)
            .flat_map(|p| (0..10).map(move |i| format!("second-{p}-{i}")))
            .collect();
        v.sort();
        v
    };
    assert_eq!(all, want, "the new records, each exactly once");
    for r in &read_b {
        assert!(pb.contains(&TopicPartition::new(&topic, r.partition)));
    }
    let described = admin.describe_group(&group).await.expect("describe");
    assert_eq!(described.members.len(), 2);

    // B commits (its auto-commit is off) and leaves: A takes every
    // partition again, from the committed offsets, so there is nothing
    // left to read.
    b.commit_positions().await.expect("commit b");
    b.close().await.expect("close b");
    let mut read_a3 = Vec::new();
    poll_until(
        &mut a,
        &mut read_a3,
        Duration::from_secs(60),
        "all partitions back",
        |c, _| c.assignment().len() == 4,
    )
    .await;
    for _ in 0..3 {
        read_a3.extend(
            a.poll(Duration::from_millis(300), 1 << 20)
                .await
                .expect("poll"),
        );
    }
    assert!(read_a3.is_empty(), "nothing left to read: {read_a3:?}");
    a.close().await.expect("close a");

    let described = admin.describe_group(&group).await.expect("describe");
    assert!(described.members.is_empty(), "{described:?}");
    let offsets = admin
        .group_offsets(&group)
        .await
        .expect("offsets after close");
    assert!(offsets.values().all(|o| o.offset == 20), "{offsets:?}");
    let deleted = admin.delete_groups(&[&group]).await.expect("delete groups");
    assert_eq!(deleted.len(), 1);
    deleted
        .into_iter()
        .for_each(|(g, r)| r.unwrap_or_else(|e| panic!("delete {g}: {e}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_and_librdkafka_split_a_topic_and_read_each_record_once() {
    split_a_topic_with_librdkafka(None).await;
}

/// The same with librdkafka speaking only `cooperative-sticky`: it keeps
/// its partitions through rebalances and gives up only those that move,
/// while the `wire` member, an eager member of the same protocol, may lead
/// the group or be led.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_and_a_cooperative_librdkafka_member_split_a_topic() {
    split_a_topic_with_librdkafka(Some("cooperative-sticky")).await;
}

/// A `wire` member and a librdkafka member in one group read a 4-partition
/// topic, each record once; `strategy`: the assignor both use (default:
/// each its own defaults).
async fn split_a_topic_with_librdkafka(strategy: Option<&str>) {
    let client = client().await;
    let topic = topic(&client, "interop-group", 4).await;
    let group = unique_topic("interop-g");
    let script = {
        let mut config = json!({"session.timeout.ms": 3000, "heartbeat.interval.ms": 300});
        if let Some(strategy) = strategy {
            config["partition.assignment.strategy"] = json!(strategy);
        }
        let request = json!({
            "bootstrap": broker(),
            "topic": topic,
            "group": group,
            "idle_s": 6,
            "timeout_s": 120,
            "config": config,
        });
        std::thread::spawn(move || run_python("group_member.py", &[], &request))
    };
    let mut config = ConsumerConfig {
        enable_auto_commit: true,
        auto_commit_interval: Duration::from_millis(500),
        ..group_config(&group)
    };
    if let Some(strategy) = strategy {
        config.assignment_strategies = vec![strategy.to_owned()];
    }
    let mut ours = consumer(&client, config);
    ours.subscribe([topic.clone()]).expect("subscribe");
    let mut read = Vec::new();
    // Wait until the group has both members: our share is half the topic.
    poll_until(
        &mut ours,
        &mut read,
        Duration::from_secs(100),
        "a two-member group",
        |c, _| c.assignment().len() == 2,
    )
    .await;
    let our_partitions: BTreeSet<i32> = ours.assignment().iter().map(|tp| tp.partition).collect();
    if let Some(strategy) = strategy {
        assert_eq!(ours.group_protocol().as_deref(), Some(strategy));
    }
    let n_per_partition = 50;
    produce(&client, &topic, 4, n_per_partition, "rec").await;
    // Read until librdkafka is done (it stops once idle for a while, long
    // after every record was read), then close, which commits.
    let deadline = Instant::now() + Duration::from_secs(150);
    while !script.is_finished() {
        assert!(
            Instant::now() < deadline,
            "librdkafka consumer did not finish"
        );
        read.extend(
            ours.poll(Duration::from_millis(300), 1 << 20)
                .await
                .expect("poll"),
        );
    }
    ours.close().await.expect("close");
    let theirs = script.join().expect("script thread");
    assert_eq!(theirs["timed_out"], false, "{theirs}");
    let their_assignment: BTreeSet<i32> = theirs["final_assignment"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_i64())
                .map(|p| p as i32)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(their_assignment.len(), 2, "librdkafka's share: {theirs}");
    assert!(our_partitions.is_disjoint(&their_assignment));

    let mut seen: BTreeMap<(i32, i64), String> = BTreeMap::new();
    for r in &read {
        assert!(
            seen.insert((r.partition, r.offset), value(r)).is_none(),
            "wire read {}-{} twice",
            r.partition,
            r.offset
        );
    }
    let their_records = theirs["records"].as_array().expect("records");
    assert!(!their_records.is_empty());
    for r in their_records {
        let p = r["partition"].as_i64().expect("partition") as i32;
        let o = r["offset"].as_i64().expect("offset");
        let v = String::from_utf8(b64_from_json(&r["value"]).expect("value")).expect("utf-8");
        assert!(
            seen.insert((p, o), v).is_none(),
            "{p}-{o} read by both or twice"
        );
    }
    assert!(read.iter().all(|r| our_partitions.contains(&r.partition)));
    let values: BTreeSet<String> = seen.values().cloned().collect();
    let want: BTreeSet<String> = (0..4)
        .flat_map(|p| (0..n_per_partition).map(move |i| format!("rec-{p}-{i}")))
        .collect();
    assert_eq!(
        values, want,
        "every record read exactly once between the two"
    );
    assert_eq!(seen.len(), want.len());
    // Both committed everything they read.
    let committed = GroupAdmin::new(client.clone())
        .group_offsets(&group)
        .await
        .expect("group offsets");
    let want_committed: BTreeMap<TopicPartition, i64> = (0..4)
        .map(|p| (TopicPartition::new(&topic, p), n_per_partition as i64))
        .collect();
    let committed: BTreeMap<TopicPartition, i64> = committed
        .into_iter()
        .map(|(tp, o)| (tp, o.offset))
        .collect();
    assert_eq!(committed, want_committed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern_subscriptions_follow_new_topics() {
    let client = client().await;
    let prefix = unique_topic("pat");
    let first = format!("{prefix}-a");
    client.create_topic(&first, 2, 1).await.expect("create");
    let group = unique_topic("pattern-g");
    let mut c = consumer(&client, group_config(&group));
    c.subscribe_pattern(&format!("{prefix}-.*"))
        .expect("pattern");

    // The three kinds of subscription exclude each other.
    assert!(matches!(
        c.subscribe(["x"]),
        Err(Error::SubscriptionConflict { .. })
    ));
    assert!(matches!(
        c.assign([TopicPartition::new("x", 0)]),
        Err(Error::SubscriptionConflict { .. })
    ));
    assert!(matches!(
        consumer(&client, group_config(&group)).subscribe_pattern("("),
        Err(Error::InvalidPattern { .. })
    ));

    let mut read = Vec::new();
    poll_until(
        &mut c,
        &mut read,
        Duration::from_secs(60),
        "the first topic",
        |c, _| c.assignment() == partitions(&first, 0..2),
    )
    .await;
    assert_eq!(c.subscription(), BTreeSet::from([first.clone()]));
    let second = format!("{prefix}-b");
    client.create_topic(&second, 1, 1).await.expect("create");
    // Not matched: the pattern must match the whole name.
    client
        .create_topic(&format!("x{prefix}-c"), 1, 1)
        .await
        .expect("create");
    produce(&client, &second, 1, 3, "late").await;
    poll_until(
        &mut c,
        &mut read,
        Duration::from_secs(60),
        "the new topic's records",
        |_, r| r.len() >= 3,
    )
    .await;
    let mut want = partitions(&first, 0..2);
    want.insert(TopicPartition::new(&second, 0));
    assert_eq!(c.assignment(), want);
    assert_eq!(
        c.subscription(),
        BTreeSet::from([first.clone(), second.clone()])
    );
    assert_eq!(
        read.iter().map(value).collect::<Vec<_>>(),
        ["late-0-0", "late-0-1", "late-0-2"]
    );
    c.unsubscribe().await.expect("unsubscribe");
    assert!(c.assignment().is_empty());
    // After unsubscribing, manual assignment is allowed.
    c.assign([TopicPartition::new(&second, 0)]).expect("assign");
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_assignment_commits_seeks_and_resets() {
    let client = client().await;
    let topic = topic(&client, "manual", 2).await;
    produce(&client, &topic, 2, 5, "m").await;
    let group = unique_topic("manual-g");
    let tp0 = TopicPartition::new(&topic, 0);
    let tp1 = TopicPartition::new(&topic, 1);

    // auto.offset.reset=none without a committed offset is an error.
    let mut strict = consumer(
        &client,
        ConsumerConfig {
            auto_offset_reset: OffsetReset::None,
            ..group_config(&group)
        },
    );
    strict.assign([tp0.clone()]).expect("assign");
    assert!(matches!(
        strict.poll(Duration::from_millis(500), 1 << 20).await,
        Err(Error::NoOffset { .. })
    ));

    // Without a group.id: positions from auto.offset.reset, nothing to
    // commit to.
    let mut plain = consumer(
        &client,
        ConsumerConfig {
            group_id: None,
            ..group_config(&group)
        },
    );
    plain.assign([tp1.clone()]).expect("assign");
    let mut read = Vec::new();
    poll_until(
        &mut plain,
        &mut read,
        Duration::from_secs(30),
        "5 records",
        |_, r| r.len() >= 5,
    )
    .await;
    assert!(matches!(
        plain.commit_positions().await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        plain.subscribe([topic.clone()]),
        Err(Error::SubscriptionConflict { .. })
    ));
    plain.close().await.expect("close");

    let mut c = consumer(&client, group_config(&group));
    c.assign([tp0.clone(), tp1.clone()]).expect("assign");
    assert!(matches!(
        c.subscribe([topic.clone()]),
        Err(Error::SubscriptionConflict { .. })
    ));
    let mut read = Vec::new();
    poll_until(
        &mut c,
        &mut read,
        Duration::from_secs(30),
        "10 records",
        |_, r| r.len() >= 10,
    )
    .await;
    assert_eq!(read.len(), 10);
    assert_eq!(c.position(&tp0).await.expect("position"), 5);

    // max_bytes bounds a poll but always lets one record through.
    c.seek(&tp0, 1).expect("seek");
    c.seek(&tp1, 5).expect("seek");
    let one = c.poll(Duration::from_secs(5), 1).await.expect("poll");
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].partition, one[0].offset), (0, 1));
    assert_eq!(c.position(&tp0).await.expect("position"), 2);
    // The end as ListOffsets reports it (Tansu reports the last batch's base
    // offset + 1 rather than the log end, see docs/testing.md).
    c.seek_to_end(std::slice::from_ref(&tp1))
        .expect("seek to end");
    let end = client
        .list_offset(&topic, 1, OffsetSpec::Latest, Default::default())
        .await
        .expect("latest")
        .offset;
    assert!(end > 0);
    assert_eq!(c.position(&tp1).await.expect("position"), end);
    c.seek_to_beginning(&[]).expect("seek to beginning");
    assert_eq!(c.position(&tp1).await.expect("position"), 0);
    assert!(matches!(
        c.seek(&TopicPartition::new(&topic, 7), 0),
        Err(Error::NotAssigned { .. })
    ));

    // Commits outside group management carry no generation.
    let mut offsets = BTreeMap::new();
    offsets.insert(tp0.clone(), OffsetAndMetadata::with_metadata(3, "three"));
    offsets.insert(tp1.clone(), OffsetAndMetadata::new(4));
    c.commit(offsets).await.expect("commit");
    let committed = c
        .committed(&[tp0.clone(), tp1.clone()])
        .await
        .expect("committed");
    let want_metadata = if on_tansu() {
        None
    } else {
        Some("three".into())
    };
    assert_eq!(
        committed[&tp0]
            .as_ref()
            .map(|o| (o.offset, o.metadata.clone())),
        Some((3, want_metadata))
    );
    assert_eq!(committed[&tp1].as_ref().map(|o| o.offset), Some(4));
    c.close().await.expect("close");

    // OffsetDelete, which Tansu does not implement.
    let admin = GroupAdmin::new(client.clone());
    let deleted = admin
        .delete_offsets(&group, std::slice::from_ref(&tp1))
        .await;
    if on_tansu() {
        assert!(
            matches!(
                deleted,
                Err(Error::UnsupportedApi {
                    api: "OffsetDelete",
                    ..
                })
            ),
            "{deleted:?}"
        );
    } else {
        deleted.expect("delete offsets");
        let offsets = admin.group_offsets(&group).await.expect("offsets");
        assert!(!offsets.contains_key(&tp1));
        let mut offsets = BTreeMap::new();
        offsets.insert(tp1.clone(), OffsetAndMetadata::new(4));
        let mut again = consumer(&client, group_config(&group));
        again.assign([tp1.clone()]).expect("assign");
        again.commit(offsets).await.expect("commit");
        again.close().await.expect("close");
    }

    // A new consumer of the group starts from the committed offsets.
    let mut d = consumer(&client, group_config(&group));
    d.assign([tp0.clone(), tp1.clone()]).expect("assign");
    let mut read = Vec::new();
    poll_until(
        &mut d,
        &mut read,
        Duration::from_secs(30),
        "the rest",
        |_, r| r.len() >= 3,
    )
    .await;
    let got: BTreeSet<(i32, i64)> = read.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!(got, BTreeSet::from([(0, 3), (0, 4), (1, 4)]));
    d.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_stops_polling_leaves_and_rejoins() {
    let client = client().await;
    let topic = topic(&client, "idle", 1).await;
    let group = unique_topic("idle-g");
    let admin = GroupAdmin::new(client.clone());
    let mut c = consumer(
        &client,
        ConsumerConfig {
            rebalance_timeout: Duration::from_secs(2),
            ..group_config(&group)
        },
    );
    c.subscribe([topic.clone()]).expect("subscribe");
    let mut read = Vec::new();
    poll_until(
        &mut c,
        &mut read,
        Duration::from_secs(30),
        "an assignment",
        |c, _| c.assignment().len() == 1,
    )
    .await;
    let first_member = c.member_id();
    assert!(!first_member.is_empty());
    // No poll for longer than max.poll.interval.ms: the heartbeat task
    // leaves the group.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let described = admin.describe_group(&group).await.expect("describe");
        if described.members.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the idle member did not leave: {described:?}"
        );
    }
    assert!(c.member_id().is_empty());
    // The next poll gives the partition up and joins again.
    let records = c
        .poll(Duration::from_millis(100), 1 << 20)
        .await
        .expect("poll");
    assert!(records.is_empty());
    assert!(c.assignment().is_empty());
    poll_until(
        &mut c,
        &mut read,
        Duration::from_secs(30),
        "a new assignment",
        |c, _| !c.member_id().is_empty() && c.assignment().len() == 1,
    )
    .await;
    assert_ne!(c.member_id(), first_member);
    c.close().await.expect("close");
}
