//! DescribeConfigs (key 32): the configs of topics and brokers with their
//! values, sources, read-only and sensitive flags, synonyms (when asked) and
//! types and documentation (v3+, documentation when asked).
//!
//! - TOPIC resources: every topic config (Kafka 3.9's set and defaults),
//!   resolved through the topic override, the dynamic broker configs and the
//!   defaults (see `state::configs`). Unknown topic:
//!   `UNKNOWN_TOPIC_OR_PARTITION`.
//! - BROKER resources: by the answering broker's id, every broker config
//!   (settings of the cluster are `STATIC_BROKER_CONFIG`, passwords are
//!   sensitive and never shown); by the empty name, the cluster-wide dynamic
//!   defaults. Another broker's id is `INVALID_REQUEST`, as in Kafka, where
//!   clients send broker resources to that broker.
//! - Other resource types (broker loggers, groups, client metrics):
//!   `INVALID_REQUEST`.
//!
//! `configuration_keys` limits the answer to those names; unknown names are
//! left out.
//!
//! # References
//! - KIP-133 (DescribeConfigs), KIP-226 (synonyms, v1), KIP-569 (type and
//!   documentation, v3)

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::{StrBytes, VersionRange};

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::configs::{self, ConfigEntry, BROKER_CONFIGS, TOPIC_CONFIGS};
use crate::testkit::state::{validate_topic_name, Failure, State};

/// `ConfigResource.Type` codes.
pub(crate) const TOPIC: i8 = 2;
pub(crate) const BROKER: i8 = 4;

impl Handler for DescribeConfigsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 4 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DescribeConfigsResponse> {
        let synonyms = self.include_synonyms;
        let docs = ctx.version >= 3 && self.include_documentation;
        let results = self
            .resources
            .into_iter()
            .map(|r| {
                let result = DescribeConfigsResult::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone())
                    .with_error_message(None);
                match describe(
                    ctx.state,
                    ctx.broker,
                    r.resource_type,
                    r.resource_name.as_str(),
                ) {
                    Ok(entries) => {
                        let keys = r.configuration_keys.as_ref();
                        let configs = entries
                            .into_iter()
                            .filter(|e| keys.is_none_or(|k| k.iter().any(|k| k.as_str() == e.name)))
                            .map(|e| entry(e, synonyms, docs, ctx.version))
                            .collect();
                        result.with_configs(configs)
                    }
                    Err(f) => result
                        .with_error_code(f.code.code())
                        .with_error_message(Some(str_bytes(f.message))),
                }
            })
            .collect();
        Reply::Now(DescribeConfigsResponse::default().with_results(results))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<DescribeConfigsResponse> {
        let results = self
            .resources
            .iter()
            .map(|r| {
                DescribeConfigsResult::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone())
                    .with_error_code(code)
                    .with_error_message(None)
            })
            .collect();
        Reply::Now(DescribeConfigsResponse::default().with_results(results))
    }
}

/// Every config of one resource, as broker `broker` sees it.
pub(crate) fn describe(
    state: &State,
    broker: i32,
    resource_type: i8,
    name: &str,
) -> Result<Vec<ConfigEntry>, Failure> {
    match resource_type {
        TOPIC => {
            validate_topic_name(name)?;
            let topic = state.topics.get(name).ok_or_else(|| {
                Failure::new(
                    ResponseError::UnknownTopicOrPartition,
                    format!("Topic {name} does not exist"),
                )
            })?;
            let statics = BTreeMap::new();
            let layers = state.layers(broker, &statics);
            Ok(TOPIC_CONFIGS
                .iter()
                .map(|def| configs::describe_topic_config(def, &topic.configs, layers))
                .collect())
        }
        BROKER if name.is_empty() => Ok(state
            .cluster_configs
            .iter()
            .filter_map(|(k, v)| {
                configs::broker_def(k).map(|def| configs::describe_cluster_default(def, v))
            })
            .collect()),
        BROKER => {
            if name.trim().parse::<i32>().ok() != Some(broker) {
                return Err(Failure::new(
                    ResponseError::InvalidRequest,
                    format!("Unexpected broker id, expected {broker} or empty string, but received {name}"),
                ));
            }
            let statics = state.static_configs(broker);
            let layers = state.layers(broker, &statics);
            Ok(BROKER_CONFIGS
                .iter()
                .map(|def| configs::describe_broker_config(def, layers))
                .collect())
        }
        other => Err(Failure::new(
            ResponseError::InvalidRequest,
            format!("Unsupported resource type {other}"),
        )),
    }
}

fn entry(
    e: ConfigEntry,
    synonyms: bool,
    docs: bool,
    version: i16,
) -> DescribeConfigsResourceResult {
    let mut out = DescribeConfigsResourceResult::default()
        .with_name(StrBytes::from_static_str(e.name))
        .with_value(e.value.map(str_bytes))
        .with_read_only(e.read_only)
        .with_config_source(e.source)
        .with_is_sensitive(e.sensitive);
    if synonyms {
        out.synonyms = e
            .synonyms
            .into_iter()
            .map(|(name, value, source)| {
                DescribeConfigsSynonym::default()
                    .with_name(str_bytes(name))
                    .with_value(value.map(str_bytes))
                    .with_source(source)
            })
            .collect();
    }
    if version >= 3 {
        out.config_type = e.kind as i8;
        out.documentation = docs.then(|| StrBytes::from_static_str(e.doc));
    }
    out
}
