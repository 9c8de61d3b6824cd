//! v3 configs of topics, brokers and the cluster-wide dynamic broker
//! defaults: list, get, update (`PUT {"value"}`), reset (`DELETE`) and
//! batch changes (`configs:alter`), all on DescribeConfigs and
//! IncrementalAlterConfigs; plus every topic's configs at once
//! (`topics/-/configs`) and the defaults a topic's configs fall back to
//! (`default-configs`).
//!
//! The three kinds of owner share one shape of config resource
//! (`KafkaTopicConfig`, `KafkaBrokerConfig`, `KafkaClusterConfig`): name,
//! value (`null` when sensitive), `is_default`, `is_read_only`,
//! `is_sensitive`, `source` and `synonyms` (the values at other sources, in
//! order of precedence). A topic or broker that does not exist is a 404
//! before anything is asked of its configs, since some brokers answer
//! DescribeConfigs for an unknown topic with no configs rather than an
//! error.
//!
//! # References
//! - Confluent REST Proxy API reference, "Configs (v3)"
//! - KIP-133 (DescribeConfigs), KIP-226 (dynamic broker configs, sources
//!   and synonyms), KIP-339 (IncrementalAlterConfigs)

use http::Method;
use serde_json::{json, Map, Value};
use wire::admin::{
    AlterConfigOp, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
    DescribeConfigsOptions,
};
use wire::error::ResponseError;

use crate::error::{ApiError, ApiResult};
use crate::request::Request;
use crate::response::{self, Response};
use crate::v3::body::Fields;
use crate::v3::{ok, Context, KafkaResultExt as _};

/// Whose configs a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOwner {
    /// A topic.
    Topic(String),
    /// One broker.
    Broker(i32),
    /// The cluster-wide dynamic broker configs (`/broker-configs`).
    Cluster,
}

impl ConfigOwner {
    /// The owner of topic `name`'s configs.
    pub fn topic(name: &str) -> ConfigOwner {
        ConfigOwner::Topic(name.to_owned())
    }

    /// The Kafka config resource.
    pub fn resource(&self) -> ConfigResource {
        match self {
            ConfigOwner::Topic(name) => ConfigResource::Topic(name.clone()),
            ConfigOwner::Broker(id) => ConfigResource::Broker(*id),
            ConfigOwner::Cluster => ConfigResource::BrokerDefault,
        }
    }

    /// `kind` of one config.
    pub fn kind(&self) -> &'static str {
        match self {
            ConfigOwner::Topic(_) => "KafkaTopicConfig",
            ConfigOwner::Broker(_) => "KafkaBrokerConfig",
            ConfigOwner::Cluster => "KafkaClusterConfig",
        }
    }

    /// `kind` of a list of configs.
    pub fn list_kind(&self) -> &'static str {
        match self {
            ConfigOwner::Topic(_) => "KafkaTopicConfigList",
            ConfigOwner::Broker(_) => "KafkaBrokerConfigList",
            ConfigOwner::Cluster => "KafkaClusterConfigList",
        }
    }

    /// The path of the owner's configs under the cluster.
    pub fn path(&self) -> String {
        match self {
            ConfigOwner::Topic(name) => format!("/topics/{name}/configs"),
            ConfigOwner::Broker(id) => format!("/brokers/{id}/configs"),
            ConfigOwner::Cluster => "/broker-configs".to_owned(),
        }
    }

    /// The owner in words, for messages.
    fn describe(&self) -> String {
        match self {
            ConfigOwner::Topic(name) => format!("topic {name}"),
            ConfigOwner::Broker(id) => format!("broker {id}"),
            ConfigOwner::Cluster => "the cluster's dynamic broker configs".to_owned(),
        }
    }

    /// The config resource `entry` of this owner.
    pub fn config_json(&self, ctx: &Context<'_>, entry: &ConfigEntry) -> Value {
        let links = &ctx.links;
        let path = format!("{}/{}", self.path(), entry.name);
        let broker_id;
        let crn: Vec<(&str, &str)> = match self {
            ConfigOwner::Topic(name) => vec![("topic", name), ("config", &entry.name)],
            ConfigOwner::Broker(id) => {
                broker_id = id.to_string();
                vec![("broker", &broker_id), ("config", &entry.name)]
            }
            ConfigOwner::Cluster => vec![("broker-config", &entry.name)],
        };
        let mut out = Map::new();
        out.insert("kind".into(), self.kind().into());
        out.insert("metadata".into(), links.metadata(&path, &crn));
        out.insert("cluster_id".into(), links.cluster_id().into());
        match self {
            ConfigOwner::Topic(name) => {
                out.insert("topic_name".into(), name.as_str().into());
            }
            ConfigOwner::Broker(id) => {
                out.insert("broker_id".into(), (*id).into());
            }
            ConfigOwner::Cluster => {
                out.insert("config_type".into(), "BROKER".into());
            }
        }
        out.insert("name".into(), entry.name.as_str().into());
        out.insert("value".into(), entry.value.as_deref().into());
        out.insert("is_default".into(), entry.is_default.into());
        out.insert("is_read_only".into(), entry.read_only.into());
        out.insert("is_sensitive".into(), entry.sensitive.into());
        out.insert("source".into(), entry.source.as_str().into());
        out.insert(
            "synonyms".into(),
            entry
                .synonyms
                .iter()
                .map(|s| json!({"name": s.name, "value": s.value, "source": s.source.as_str()}))
                .collect(),
        );
        Value::Object(out)
    }
}

pub fn describe_options() -> DescribeConfigsOptions {
    DescribeConfigsOptions {
        names: None,
        include_synonyms: true,
        include_documentation: false,
    }
}

/// Checks that the owner exists: 404 / 40403 for an unknown topic, 404 for
/// an unknown broker.
async fn check_owner(ctx: &Context<'_>, owner: &ConfigOwner) -> ApiResult<()> {
    let admin = ctx.gateway.admin().await?;
    match owner {
        ConfigOwner::Topic(name) => admin.describe_topic(name).await.v3().map(|_| ()),
        ConfigOwner::Broker(id) => {
            let mut metadata = admin.client().metadata().await?;
            if !metadata.brokers.contains_key(id) {
                metadata = admin.client().refresh_metadata().await?;
            }
            if metadata.brokers.contains_key(id) {
                Ok(())
            } else {
                Err(crate::v3::brokers::broker_not_found(id))
            }
        }
        ConfigOwner::Cluster => Ok(()),
    }
}

/// The owner's configs (after checking that it exists).
async fn entries(ctx: &Context<'_>, owner: &ConfigOwner) -> ApiResult<Vec<ConfigEntry>> {
    check_owner(ctx, owner).await?;
    ctx.gateway
        .admin()
        .await?
        .describe_config(&owner.resource(), &describe_options())
        .await
        .v3()
}

/// `GET .../configs` of a topic or broker, `GET /broker-configs`.
pub async fn list(ctx: &Context<'_>, owner: &ConfigOwner) -> ApiResult<Response> {
    let data = entries(ctx, owner)
        .await?
        .iter()
        .map(|e| owner.config_json(ctx, e))
        .collect();
    ok(&ctx.links.list(owner.list_kind(), &owner.path(), data))
}

/// `GET`, `PUT` (`{"value": ...}`, 204) and `DELETE` (204) of one config.
pub async fn one(
    ctx: &Context<'_>,
    request: &mut Request,
    method: &Method,
    owner: &ConfigOwner,
    name: &str,
) -> ApiResult<Response> {
    match *method {
        Method::GET => {
            let entries = entries(ctx, owner).await?;
            let entry = entries.iter().find(|e| e.name == name).ok_or_else(|| {
                ApiError::not_found(format!(
                    "Config {name} cannot be found for {}.",
                    owner.describe()
                ))
            })?;
            ok(&owner.config_json(ctx, entry))
        }
        Method::PUT => {
            let body = Fields::read(request).await?;
            let value = body.str("value")?;
            change(ctx, owner, &[AlterConfigOp::set(name, value)], false).await
        }
        Method::DELETE => change(ctx, owner, &[AlterConfigOp::delete(name)], false).await,
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// `POST .../configs:alter`, `POST /broker-configs:alter`: `{"data":
/// [{"name", "value", "operation"}], "validate_only"}`; the operation is
/// `SET` (the default), `DELETE`, `APPEND` or `SUBTRACT`. 204.
pub async fn alter(
    ctx: &Context<'_>,
    request: &mut Request,
    owner: &ConfigOwner,
) -> ApiResult<Response> {
    let body = Fields::read(request).await?;
    let (ops, validate_only) = alter_ops(&body)?;
    change(ctx, owner, &ops, validate_only).await
}

/// Reads a batch alter body.
fn alter_ops(body: &Fields) -> ApiResult<(Vec<AlterConfigOp>, bool)> {
    let data = body
        .opt_array("data")?
        .ok_or_else(|| ApiError::bad_request("data: this field is required"))?;
    let mut ops = Vec::with_capacity(data.len());
    for (i, item) in data.iter().enumerate() {
        let path = format!("data[{i}]");
        let item = Fields::of(item.clone(), &path)?;
        let name = item.str("name")?;
        if name.is_empty() {
            return Err(ApiError::bad_request(format!(
                "{path}.name: may not be empty"
            )));
        }
        let op = match item.opt_str("operation")? {
            None => AlterConfigOpType::Set,
            Some(text) => text.parse().map_err(|_| {
                ApiError::bad_request(format!(
                    "{path}.operation: `{text}` is not one of SET, DELETE, APPEND, SUBTRACT"
                ))
            })?,
        };
        let value = item.opt_str("value")?.map(str::to_owned);
        if op != AlterConfigOpType::Delete && value.is_none() {
            return Err(ApiError::bad_request(format!(
                "{path}.value: {op} needs a value"
            )));
        }
        ops.push(AlterConfigOp {
            name: name.to_owned(),
            op,
            value: value.filter(|_| op != AlterConfigOpType::Delete),
        });
    }
    let validate_only = body.opt_bool("validate_only")?.unwrap_or(false);
    Ok((ops, validate_only))
}

/// Applies `ops` to the owner's configs (after checking that it exists).
async fn change(
    ctx: &Context<'_>,
    owner: &ConfigOwner,
    ops: &[AlterConfigOp],
    validate_only: bool,
) -> ApiResult<Response> {
    check_owner(ctx, owner).await?;
    if !ops.is_empty() {
        ctx.gateway
            .admin()
            .await?
            .incremental_alter_configs(&owner.resource(), ops, validate_only)
            .await
            .v3()?;
    }
    Ok(response::no_content())
}

/// `GET /clusters/{cluster_id}/topics/-/configs`: the configs of every
/// topic, by topic name. Topics deleted meanwhile, and those whose configs
/// the client may not see, are left out.
pub async fn list_all_topics(ctx: &Context<'_>) -> ApiResult<Response> {
    let admin = ctx.gateway.admin().await?;
    let metadata = admin.metadata().await?;
    let mut names: Vec<&String> = metadata.topics.keys().collect();
    names.sort_unstable();
    let resources: Vec<ConfigResource> = names
        .iter()
        .map(|n| ConfigResource::Topic((*n).clone()))
        .collect();
    let mut described = if resources.is_empty() {
        Default::default()
    } else {
        admin
            .describe_configs(&resources, &describe_options())
            .await
            .v3()?
    };
    let mut data = Vec::new();
    for resource in &resources {
        let ConfigResource::Topic(name) = resource else {
            continue;
        };
        match described.remove(resource) {
            Some(Ok(entries)) => {
                let owner = ConfigOwner::Topic(name.clone());
                data.extend(entries.iter().map(|e| owner.config_json(ctx, e)));
            }
            Some(Err(e))
                if matches!(
                    e.code(),
                    Some(
                        ResponseError::UnknownTopicOrPartition
                            | ResponseError::TopicAuthorizationFailed
                    )
                ) => {}
            Some(Err(e)) => return Err(ApiError::from_kafka_v3(&e)),
            None => {}
        }
    }
    ok(&ctx
        .links
        .list("KafkaTopicConfigList", "/topics/-/configs", data))
}

/// `GET /clusters/{cluster_id}/topics/{topic_name}/default-configs`: each
/// of the topic's configs with the value it has without a topic-level
/// setting — the value the topic would get if it were created now, as
/// the broker's synonyms tell it. A config set on the topic whose broker
/// reports no other source has a `null` value and source `DEFAULT_CONFIG`
/// (the broker does not say what Kafka's own default is).
pub async fn topic_defaults(ctx: &Context<'_>, topic: &str) -> ApiResult<Response> {
    let owner = ConfigOwner::topic(topic);
    let data = entries(ctx, &owner)
        .await?
        .iter()
        .map(|e| owner.config_json(ctx, &without_topic_setting(e)))
        .collect();
    ok(&ctx.links.list(
        "KafkaTopicConfigList",
        &format!("/topics/{topic}/default-configs"),
        data,
    ))
}

/// `entry` as it would be without a value set on the topic.
fn without_topic_setting(entry: &ConfigEntry) -> ConfigEntry {
    let synonyms: Vec<_> = entry
        .synonyms
        .iter()
        .filter(|s| s.source != ConfigSource::DynamicTopicConfig)
        .cloned()
        .collect();
    if entry.source != ConfigSource::DynamicTopicConfig {
        return ConfigEntry {
            synonyms,
            ..entry.clone()
        };
    }
    let (value, source) = match synonyms.first() {
        Some(s) => (s.value.clone(), s.source),
        None => (None, ConfigSource::DefaultConfig),
    };
    ConfigEntry {
        value: value.filter(|_| !entry.sensitive),
        is_default: source == ConfigSource::DefaultConfig,
        source,
        synonyms,
        ..entry.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::admin::{ConfigSynonym, ConfigType};

    fn entry(name: &str, value: &str, source: ConfigSource) -> ConfigEntry {
        ConfigEntry {
            name: name.into(),
            value: Some(value.into()),
            read_only: false,
            is_default: source == ConfigSource::DefaultConfig,
            source,
            sensitive: false,
            synonyms: vec![],
            config_type: ConfigType::Unknown,
            documentation: None,
        }
    }

    fn synonym(name: &str, value: &str, source: ConfigSource) -> ConfigSynonym {
        ConfigSynonym {
            name: name.into(),
            value: Some(value.into()),
            source,
        }
    }

    #[test]
    fn alter_bodies() {
        let body = Fields::of(
            json!({"data": [{"name": "cleanup.policy", "operation": "DELETE"},
                            {"name": "compression.type", "value": "gzip"},
                            {"name": "x", "value": "a,b", "operation": "append"}],
                   "validate_only": true}),
            "",
        )
        .unwrap();
        let (ops, validate_only) = alter_ops(&body).unwrap();
        assert!(validate_only);
        assert_eq!(
            ops,
            vec![
                AlterConfigOp::delete("cleanup.policy"),
                AlterConfigOp::set("compression.type", "gzip"),
                AlterConfigOp::append("x", "a,b"),
            ]
        );
        let cases = [
            (json!({}), "data: this field is required"),
            (json!({"data": {}}), "data: expected an array"),
            (json!({"data": [5]}), "data[0]: expected an object"),
            (
                json!({"data": [{"value": "1"}]}),
                "data[0].name: this field is required",
            ),
            (
                json!({"data": [{"name": "a", "value": "1", "operation": "RESET"}]}),
                "data[0].operation: `RESET` is not one of",
            ),
            (
                json!({"data": [{"name": "a"}]}),
                "data[0].value: SET needs a value",
            ),
            (
                json!({"data": [{"name": "a", "value": 1}]}),
                "data[0].value: expected a string",
            ),
        ];
        for (body, message) in cases {
            let e = alter_ops(&Fields::of(body.clone(), "").unwrap()).unwrap_err();
            assert_eq!(e.error_code, 400, "{body}");
            assert!(e.message.starts_with(message), "{body}: {e}");
        }
    }

    #[test]
    fn defaults_drop_the_topic_setting() {
        let mut set = entry("retention.ms", "1000", ConfigSource::DynamicTopicConfig);
        set.synonyms = vec![
            synonym("retention.ms", "1000", ConfigSource::DynamicTopicConfig),
            synonym("log.retention.ms", "5000", ConfigSource::StaticBrokerConfig),
            synonym("log.retention.hours", "168", ConfigSource::DefaultConfig),
        ];
        let d = without_topic_setting(&set);
        assert_eq!(d.value.as_deref(), Some("5000"));
        assert_eq!(d.source, ConfigSource::StaticBrokerConfig);
        assert!(!d.is_default);
        assert_eq!(d.synonyms.len(), 2);
        let mut inherited = entry("cleanup.policy", "delete", ConfigSource::DefaultConfig);
        inherited.synonyms = vec![synonym(
            "log.cleanup.policy",
            "delete",
            ConfigSource::DefaultConfig,
        )];
        assert_eq!(without_topic_setting(&inherited), inherited);
        let lone = entry("x", "1", ConfigSource::DynamicTopicConfig);
        let d = without_topic_setting(&lone);
        assert_eq!(
            (d.value, d.source, d.is_default),
            (None, ConfigSource::DefaultConfig, true)
        );
    }
}
