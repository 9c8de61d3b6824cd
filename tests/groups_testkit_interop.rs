//! A `wire` consumer and a librdkafka consumer (`scripts/rdkafka/group_member.py`)
//! in one consumer group on the in-process cluster (`wire::testkit`): they
//! split the partitions of a topic, together read every record exactly
//! once, and commit everything they read. When librdkafka leaves, the
//! `wire` consumer takes its partitions over from librdkafka's commits and
//! finds nothing left to read.
//!
//! The coordinator makes the first member to join the group's leader, which
//! computes the assignment for both: one test lets librdkafka join first,
//! the other `wire`, so each client decodes the other's subscription and
//! assignment encodings.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use kafka_gateway_tests::{b64_from_json, run_python};
use serde_json::json;
use tokio::time::Instant;
use wire::admin::GroupAdmin;
use wire::admin::NewTopic;
use wire::consumer::{ConsumedRecord, Consumer, ConsumerConfig, OffsetReset};
use wire::producer::{Producer, ProducerConfig, ProducerRecord};
use wire::testkit::{Cluster, ClusterConfig};
use wire::{Admin, Client, ClientConfig, TopicPartition};

const TOPIC: &str = "interop-split";
const GROUP: &str = "interop-split-group";
/// The `client.id` of the librdkafka member.
const RDKAFKA_CLIENT_ID: &str = "rdkafka-group-test";
const PARTITIONS: i32 = 4;
const PER_PARTITION: usize = 50;

async fn poll(consumer: &mut Consumer, read: &mut Vec<ConsumedRecord>) {
    read.extend(
        consumer
            .poll(Duration::from_millis(200), 1 << 20)
            .await
            .expect("poll"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_leads_and_both_read_each_record_once() {
    split_a_topic(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wire_leads_and_both_read_each_record_once() {
    split_a_topic(false).await;
}

async fn split_a_topic(rdkafka_first: bool) {
    let cluster = Cluster::start_background(ClusterConfig {
        group_min_session_timeout: Duration::from_millis(100),
        ..ClusterConfig::default()
    })
    .expect("cluster starts");
    let bootstrap = cluster.bootstrap();
    let mut config = ClientConfig::new(&bootstrap).expect("config");
    config.api_timeout = Duration::from_secs(10);
    config.metadata_max_age = Duration::from_secs(1);
    config.fetch.max_wait = Duration::from_millis(100);
    let client = Client::connect(config).await.expect("connect");
    Admin::new(client.clone())
        .create_topic(
            &NewTopic::new(TOPIC)
                .with_partitions(PARTITIONS)
                .with_replication_factor(3),
            false,
        )
        .await
        .expect("create topic");

    let admin = GroupAdmin::new(client.clone());
    let mut ours = Consumer::with_config(
        client.clone(),
        ConsumerConfig {
            group_id: Some(GROUP.to_owned()),
            session_timeout: Duration::from_secs(3),
            heartbeat_interval: Duration::from_millis(300),
            rebalance_timeout: Duration::from_secs(10),
            auto_offset_reset: OffsetReset::Earliest,
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(300),
            ..ConsumerConfig::default()
        },
        client.config().fetch.clone(),
    )
    .expect("consumer");
    let mut read = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    if !rdkafka_first {
        ours.subscribe([TOPIC]).expect("subscribe");
        while ours.assignment().len() != PARTITIONS as usize {
            assert!(Instant::now() < deadline, "wire never joined");
            poll(&mut ours, &mut read).await;
        }
    }
    let script = {
        let request = json!({
            "bootstrap": bootstrap,
            "topic": TOPIC,
            "group": GROUP,
            "idle_s": 3,
            "timeout_s": 25,
            "config": {"session.timeout.ms": 3000, "heartbeat.interval.ms": 300},
        });
        std::thread::spawn(move || run_python("group_member.py", &[], &request))
    };
    if rdkafka_first {
        // librdkafka alone in the group, holding every partition.
        loop {
            assert!(
                Instant::now() < deadline && !script.is_finished(),
                "librdkafka never joined"
            );
            let d = admin.describe_group(GROUP).await.expect("describe");
            if d.state == "Stable"
                && d.members.len() == 1
                && d.members[0].client_id == RDKAFKA_CLIENT_ID
                && d.members[0].assignment.len() == PARTITIONS as usize
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ours.subscribe([TOPIC]).expect("subscribe");
    }

    // Wait until the group has both members: our share is half the topic.
    while ours.assignment().len() != 2 {
        assert!(
            Instant::now() < deadline && !script.is_finished(),
            "no two-member group"
        );
        poll(&mut ours, &mut read).await;
    }
    assert!(read.is_empty(), "nothing was produced yet");
    let our_partitions: BTreeSet<i32> = ours.assignment().iter().map(|tp| tp.partition).collect();

    let producer = Producer::new(client.clone(), ProducerConfig::default())
        .await
        .expect("producer");
    let mut futures = Vec::new();
    for p in 0..PARTITIONS {
        for i in 0..PER_PARTITION {
            let record = ProducerRecord {
                topic: TOPIC.into(),
                partition: Some(p),
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("rec-{p}-{i}"))),
                ..ProducerRecord::default()
            };
            futures.push(producer.send(record).await.expect("send"));
        }
    }
    for f in futures {
        f.wait().await.expect("delivered");
    }
    producer.close().await;

    // Read until librdkafka is done (it stops once idle for a while and
    // leaves the group), then until the whole topic is ours again.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !script.is_finished() {
        assert!(
            Instant::now() < deadline,
            "librdkafka consumer did not finish"
        );
        poll(&mut ours, &mut read).await;
    }
    let theirs = script.join().expect("script thread");
    while ours.assignment().len() != PARTITIONS as usize {
        assert!(
            Instant::now() < deadline,
            "the partitions librdkafka left did not come back"
        );
        poll(&mut ours, &mut read).await;
    }
    for _ in 0..3 {
        poll(&mut ours, &mut read).await;
    }
    ours.close().await.expect("close");

    assert_eq!(theirs["timed_out"], false, "{theirs}");
    let their_assignment: BTreeSet<i32> = theirs["assignments"]
        .as_array()
        .and_then(|a| a.last())
        .and_then(|a| a.as_array())
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
            our_partitions.contains(&r.partition),
            "wire read {}-{} of librdkafka's share",
            r.partition,
            r.offset
        );
        let v = String::from_utf8(r.value.as_deref().unwrap_or_default().to_vec()).expect("utf-8");
        assert!(
            seen.insert((r.partition, r.offset), v).is_none(),
            "wire read {}-{} twice",
            r.partition,
            r.offset
        );
    }
    let their_records = theirs["records"].as_array().expect("records");
    assert_eq!(their_records.len(), 2 * PER_PARTITION, "{theirs}");
    for r in their_records {
        let p = r["partition"].as_i64().expect("partition") as i32;
        let o = r["offset"].as_i64().expect("offset");
        assert!(their_assignment.contains(&p));
        let v = String::from_utf8(b64_from_json(&r["value"]).expect("value")).expect("utf-8");
        assert!(
            seen.insert((p, o), v).is_none(),
            "{p}-{o} read by both or twice"
        );
    }
    let values: BTreeSet<String> = seen.values().cloned().collect();
    let want: BTreeSet<String> = (0..PARTITIONS)
        .flat_map(|p| (0..PER_PARTITION).map(move |i| format!("rec-{p}-{i}")))
        .collect();
    assert_eq!(seen.len(), want.len());
    assert_eq!(
        values, want,
        "every record read exactly once between the two"
    );

    // Both committed everything they read, and the group is empty.
    let committed: BTreeMap<TopicPartition, i64> = admin
        .group_offsets(GROUP)
        .await
        .expect("group offsets")
        .into_iter()
        .map(|(tp, o)| (tp, o.offset))
        .collect();
    let want_committed: BTreeMap<TopicPartition, i64> = (0..PARTITIONS)
        .map(|p| (TopicPartition::new(TOPIC, p), PER_PARTITION as i64))
        .collect();
    assert_eq!(committed, want_committed);
    let described = admin.describe_group(GROUP).await.expect("describe");
    assert_eq!(described.state, "Empty");
    drop(cluster);
}
