//! CreateTopics (key 19): creates topics with a partition count and
//! replication factor (`-1` for the cluster defaults), or with explicit
//! replica assignments, and topic configs; `validate_only` checks everything
//! and creates nothing. Any broker accepts it (as in a KRaft cluster, which
//! forwards it to the controller).
//!
//! Errors, per topic: `INVALID_TOPIC_EXCEPTION` (bad name, or one that
//! collides with an existing one once `.` and `_` are folded),
//! `TOPIC_ALREADY_EXISTS`, `INVALID_PARTITIONS`, `INVALID_REPLICATION_FACTOR`
//! (not positive, or more than the brokers that are up),
//! `INVALID_REPLICA_ASSIGNMENT`, `INVALID_CONFIG`, and `INVALID_REQUEST` for
//! a name given twice or an assignment together with a count. From v5 the
//! answer carries the partition count, replication factor and every config
//! of the topic; from v7 its id.
//!
//! # References
//! - KIP-4, KIP-108 (validate only), KIP-464 (defaults with -1, v4),
//!   KIP-525 (configs in the response, v5), KIP-516 (topic id, v7)

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::configs::{self, TOPIC_CONFIGS};
use crate::testkit::state::{NewTopic, State};

impl Handler for CreateTopicsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 2, max: 7 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<CreateTopicsResponse> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for t in &self.topics {
            *counts.entry(t.name.0.to_string()).or_default() += 1;
        }
        let mut results = Vec::new();
        let mut answered = std::collections::HashSet::new();
        for t in self.topics {
            let name = t.name.0.to_string();
            if !answered.insert(name.clone()) {
                continue;
            }
            if counts[&name] > 1 {
                results.push(error(
                    &name,
                    ResponseError::InvalidRequest,
                    format!("Create topics request contains multiple entries for the topic {name}"),
                ));
                continue;
            }
            let spec = NewTopic {
                name: name.clone(),
                partitions: t.num_partitions,
                replication: t.replication_factor,
                assignments: t
                    .assignments
                    .iter()
                    .map(|a| {
                        (
                            a.partition_index,
                            a.broker_ids.iter().map(|b| b.0).collect(),
                        )
                    })
                    .collect(),
                configs: t
                    .configs
                    .iter()
                    .map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string())))
                    .collect(),
            };
            let plan = match ctx.state.plan_topic(&spec) {
                Ok(plan) => plan,
                Err(f) => {
                    results.push(error(&name, f.code, f.message));
                    continue;
                }
            };
            let partitions = plan.replicas.len() as i32;
            let replication = plan.replicas.first().map_or(0, |r| r.len() as i16);
            let described = describe_configs(ctx.state, ctx.broker, &plan.configs);
            let id = if self.validate_only {
                uuid::Uuid::nil()
            } else {
                ctx.state.create_topic(plan, false)
            };
            let mut result = CreatableTopicResult::default()
                .with_name(t.name)
                .with_error_message(None);
            if ctx.version >= 5 {
                result.num_partitions = partitions;
                result.replication_factor = replication;
                result.configs = Some(described);
            }
            if ctx.version >= 7 {
                result.topic_id = id;
            }
            results.push(result);
        }
        Reply::Now(CreateTopicsResponse::default().with_topics(results))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<CreateTopicsResponse> {
        let topics = self
            .topics
            .iter()
            .map(|t| {
                CreatableTopicResult::default()
                    .with_name(t.name.clone())
                    .with_error_code(code)
                    .with_error_message(None)
                    .with_configs(None)
            })
            .collect();
        Reply::Now(CreateTopicsResponse::default().with_topics(topics))
    }
}

fn error(name: &str, code: ResponseError, message: String) -> CreatableTopicResult {
    CreatableTopicResult::default()
        .with_name(super::topic_name(name))
        .with_error_code(code.code())
        .with_error_message(Some(str_bytes(message)))
        .with_configs(None)
}

fn describe_configs(
    state: &State,
    broker: i32,
    overrides: &BTreeMap<String, String>,
) -> Vec<CreatableTopicConfigs> {
    let statics = BTreeMap::new();
    let layers = state.layers(broker, &statics);
    TOPIC_CONFIGS
        .iter()
        .map(|def| {
            let e = configs::describe_topic_config(def, overrides, layers);
            CreatableTopicConfigs::default()
                .with_name(str_bytes(e.name))
                .with_value(e.value.map(str_bytes))
                .with_read_only(e.read_only)
                .with_config_source(e.source)
                .with_is_sensitive(e.sensitive)
        })
        .collect()
}
