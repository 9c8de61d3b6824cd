//! v3 replica status, computed from what Apache Kafka reports: the
//! partition's leader, replicas and ISR from Metadata, and the leader's log
//! start and end offsets from ListOffsets. Kafka has no API for a
//! follower's own offsets or fetch times, nor for observers or cluster
//! links: every replica shows the leader's offsets, `is_observer` is false,
//! `is_isr_eligible` is true, `is_caught_up` equals `is_in_isr`, and
//! `last_caught_up_time_ms` and `last_fetch_time_ms` are -1 (Kafka's
//! "unknown" timestamp), and `link_name` is null (see
//! `docs/api-coverage.md`).
//!
//! # References
//! - Confluent REST Proxy API reference, "Replica Status (v3)"

use std::collections::BTreeMap;

use serde_json::{json, Value};
use wire::admin::Watermarks;
use wire::cluster::TopicMetadata;
use wire::protocol::api::fetch::IsolationLevel;
use wire::TopicPartition;

use crate::error::ApiResult;
use crate::response::Response;
use crate::v3::partitions::{partition_not_found, topic};
use crate::v3::{ok, Context};

/// A time Kafka does not report, as Kafka writes unknown timestamps.
const UNKNOWN_TIME: i64 = -1;

/// Which partitions to report.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every partition of every topic.
    All,
    /// Every partition of one topic.
    Topic(&'a str),
    /// One partition.
    Partition(&'a str, i32),
}

/// Serves the three replica-status endpoints.
pub async fn list(ctx: &Context<'_>, scope: Scope<'_>) -> ApiResult<Response> {
    let topics: Vec<std::sync::Arc<TopicMetadata>> = match scope {
        Scope::All => {
            let metadata = ctx.gateway.client().await?.refresh_metadata().await?;
            let mut all: Vec<_> = metadata.topics.values().cloned().collect();
            all.sort_unstable_by(|a, b| a.name.cmp(&b.name));
            all
        }
        Scope::Topic(name) | Scope::Partition(name, _) => vec![topic(ctx, name).await?],
    };
    let mut partitions = Vec::new();
    for t in &topics {
        for p in &t.partitions {
            match scope {
                Scope::Partition(_, id) if p.id != id => continue,
                _ => partitions.push((t.name.clone(), p.clone())),
            }
        }
    }
    if let Scope::Partition(..) = scope {
        if partitions.is_empty() {
            return Err(partition_not_found());
        }
    }
    let tps: Vec<TopicPartition> = partitions
        .iter()
        .map(|(t, p)| TopicPartition::new(t.clone(), p.id))
        .collect();
    let marks: BTreeMap<TopicPartition, Watermarks> = if tps.is_empty() {
        BTreeMap::new()
    } else {
        ctx.gateway
            .admin()
            .await?
            .watermarks(&tps, IsolationLevel::ReadUncommitted)
            .await?
            .into_iter()
            .filter_map(|(tp, w)| w.ok().map(|w| (tp, w)))
            .collect()
    };
    let links = &ctx.links;
    let mut data = Vec::new();
    for (topic_name, p) in &partitions {
        let w = marks.get(&TopicPartition::new(topic_name.clone(), p.id));
        for &broker in &p.replicas {
            let in_isr = p.isr.contains(&broker);
            data.push(json!({
                "kind": "KafkaReplicaStatus",
                "metadata": {
                    "self": links.url(&format!(
                        "/topics/{topic_name}/partitions/{}/brokers/{broker}/replica-status",
                        p.id
                    )),
                },
                "cluster_id": links.cluster_id(),
                "topic_name": topic_name,
                "broker_id": broker,
                "partition_id": p.id,
                "is_leader": p.leader == broker,
                "is_observer": false,
                "is_isr_eligible": true,
                "is_in_isr": in_isr,
                "is_caught_up": in_isr,
                "log_start_offset": w.map(|w| w.earliest),
                "log_end_offset": w.map(|w| w.latest),
                "last_caught_up_time_ms": UNKNOWN_TIME,
                "last_fetch_time_ms": UNKNOWN_TIME,
                "link_name": Value::Null,
            }));
        }
    }
    let path = match scope {
        Scope::All => "/topics/-/partitions/-/replica-status".to_owned(),
        Scope::Topic(t) => format!("/topics/{t}/partitions/-/replica-status"),
        Scope::Partition(t, p) => format!("/topics/{t}/partitions/{p}/replica-status"),
    };
    ok(&json!({
        "kind": "KafkaReplicaStatusList",
        "metadata": { "self": links.url(&path), "resource_name": null },
        "data": data,
    }))
}
