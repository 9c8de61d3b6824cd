//! Configs of topics, brokers, the cluster-wide broker defaults and broker
//! loggers: describe them (values, sources, synonyms, types, documentation)
//! and change them one by one (SET, DELETE, APPEND, SUBTRACT).
//!
//! Changes use IncrementalAlterConfigs. Against a broker without it the
//! change is made with AlterConfigs, which replaces all dynamic configs of
//! the resource: the current ones are read with DescribeConfigs, the
//! operations applied to them, and the whole set written back. That is not
//! atomic (a change made by someone else in between is lost), and it cannot
//! keep a dynamic *sensitive* config (its value is never returned), so such
//! a change fails with [`Error::Unsupported`] unless the operations set or
//! delete that config too. Broker loggers cannot be changed this way.
//!
//! # References
//! - KIP-133 (DescribeConfigs, AlterConfigs), KIP-226 (dynamic broker
//!   configs, sources and synonyms), KIP-339 (IncrementalAlterConfigs),
//!   KIP-412 (broker loggers), KIP-569 (types and documentation)

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_configs_response::DescribeConfigsResult;
use kafka_protocol::messages::{
    AlterConfigsRequest, DescribeConfigsRequest, IncrementalAlterConfigsRequest,
};

use super::{accept, kafka_enum, missing, Admin, Target};
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::{alter_configs, describe_configs, incremental_alter_configs};

/// A resource that has configs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigResource {
    /// A topic's configs.
    Topic(String),
    /// One broker's configs.
    Broker(i32),
    /// The cluster-wide defaults of dynamic broker configs (a broker
    /// resource with an empty name).
    BrokerDefault,
    /// One broker's log4j logger levels.
    BrokerLogger(i32),
}

impl ConfigResource {
    /// Resource type code of topics.
    pub const TOPIC: i8 = 2;
    /// Resource type code of brokers.
    pub const BROKER: i8 = 4;
    /// Resource type code of broker loggers.
    pub const BROKER_LOGGER: i8 = 8;

    /// The protocol's resource type code.
    pub fn resource_type(&self) -> i8 {
        match self {
            ConfigResource::Topic(_) => Self::TOPIC,
            ConfigResource::Broker(_) | ConfigResource::BrokerDefault => Self::BROKER,
            ConfigResource::BrokerLogger(_) => Self::BROKER_LOGGER,
        }
    }

    /// The protocol's resource name (a topic name, a broker id, or empty).
    pub fn name(&self) -> String {
        match self {
            ConfigResource::Topic(name) => name.clone(),
            ConfigResource::Broker(id) | ConfigResource::BrokerLogger(id) => id.to_string(),
            ConfigResource::BrokerDefault => String::new(),
        }
    }

    /// The source of the configs set dynamically on this resource (the
    /// ones AlterConfigs replaces).
    pub fn dynamic_source(&self) -> ConfigSource {
        match self {
            ConfigResource::Topic(_) => ConfigSource::DynamicTopicConfig,
            ConfigResource::Broker(_) => ConfigSource::DynamicBrokerConfig,
            ConfigResource::BrokerDefault => ConfigSource::DynamicDefaultBrokerConfig,
            ConfigResource::BrokerLogger(_) => ConfigSource::DynamicBrokerLoggerConfig,
        }
    }

    /// The broker requests about this resource go to.
    pub(crate) fn target(&self) -> Target {
        match self {
            ConfigResource::Broker(id) | ConfigResource::BrokerLogger(id) => Target::Broker(*id),
            ConfigResource::Topic(_) | ConfigResource::BrokerDefault => Target::Any,
        }
    }

    fn is(&self, resource_type: i8, name: &str) -> bool {
        self.resource_type() == resource_type && self.name() == name
    }

    /// The error for a broker error code about this resource.
    pub(crate) fn error(
        &self,
        code: ResponseError,
        api: &'static str,
        message: Option<String>,
    ) -> Error {
        match self {
            ConfigResource::Topic(name) => Error::topic(code, api, name.clone(), None, message),
            other => Error::resource(code, api, other.to_string(), message),
        }
    }
}

impl std::fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigResource::Topic(name) => write!(f, "topic {name}"),
            ConfigResource::Broker(id) => write!(f, "broker {id}"),
            ConfigResource::BrokerDefault => f.write_str("broker defaults"),
            ConfigResource::BrokerLogger(id) => write!(f, "broker logger {id}"),
        }
    }
}

kafka_enum! {
    /// Where a config's value comes from.
    pub enum ConfigSource: i8, "config source" {
        /// Set on the topic.
        DynamicTopicConfig = 1 => "DYNAMIC_TOPIC_CONFIG",
        /// Set dynamically on this broker.
        DynamicBrokerConfig = 2 => "DYNAMIC_BROKER_CONFIG",
        /// Set dynamically as the default of every broker.
        DynamicDefaultBrokerConfig = 3 => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        /// The broker's `server.properties`.
        StaticBrokerConfig = 4 => "STATIC_BROKER_CONFIG",
        /// Kafka's default.
        DefaultConfig = 5 => "DEFAULT_CONFIG",
        /// A broker logger's level set dynamically.
        DynamicBrokerLoggerConfig = 6 => "DYNAMIC_BROKER_LOGGER_CONFIG",
    }
    /// A source this client does not know.
    unknown Unknown = 0 => "UNKNOWN";
}

kafka_enum! {
    /// A config's value type (DescribeConfigs v3+).
    pub enum ConfigType: i8, "config type" {
        /// `true` or `false`.
        Boolean = 1 => "BOOLEAN",
        /// A string.
        String = 2 => "STRING",
        /// A 32-bit integer.
        Int = 3 => "INT",
        /// A 16-bit integer.
        Short = 4 => "SHORT",
        /// A 64-bit integer.
        Long = 5 => "LONG",
        /// A floating-point number.
        Double = 6 => "DOUBLE",
        /// A comma-separated list.
        List = 7 => "LIST",
        /// A Java class name.
        Class = 8 => "CLASS",
        /// A password (sensitive).
        Password = 9 => "PASSWORD",
    }
    /// Not reported (before v3) or not known to this client.
    unknown Unknown = 0 => "UNKNOWN";
}

/// Another source's value for a config, in order of precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    /// The config's name at that source (brokers use other names for some
    /// topic configs, e.g. `log.retention.ms` for `retention.ms`).
    pub name: String,
    /// The value there; `None` when sensitive or unset.
    pub value: Option<String>,
    /// The source.
    pub source: ConfigSource,
}

/// One config of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// Config name.
    pub name: String,
    /// The value; always `None` for a sensitive config, whatever the broker
    /// sent.
    pub value: Option<String>,
    /// Whether it cannot be changed dynamically.
    pub read_only: bool,
    /// Whether the value is Kafka's default (`source` is `DEFAULT_CONFIG`).
    pub is_default: bool,
    /// Where the value comes from.
    pub source: ConfigSource,
    /// Whether the value is secret.
    pub sensitive: bool,
    /// The values from other sources, when asked for.
    pub synonyms: Vec<ConfigSynonym>,
    /// The value type (v3+).
    pub config_type: ConfigType,
    /// The config's documentation, when asked for (v3+).
    pub documentation: Option<String>,
}

/// What [`Admin::describe_configs`] asks for besides the values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeConfigsOptions {
    /// Only these configs (`None` for all).
    pub names: Option<Vec<String>>,
    /// Also each config's values at other sources.
    pub include_synonyms: bool,
    /// Also each config's documentation (brokers with DescribeConfigs v3+).
    pub include_documentation: bool,
}

kafka_enum! {
    /// How [`AlterConfigOp`] changes a config.
    pub enum AlterConfigOpType: i8, "config operation" {
        /// Sets the value.
        Set = 0 => "SET",
        /// Removes the value set on the resource (back to the next source).
        Delete = 1 => "DELETE",
        /// Adds items to a list config (those not in it yet).
        Append = 2 => "APPEND",
        /// Removes items from a list config.
        Subtract = 3 => "SUBTRACT",
    }
    /// Not an operation this client knows (never sent).
    unknown Unknown = -1 => "UNKNOWN";
}

/// One change of one config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigOp {
    /// Config name.
    pub name: String,
    /// The operation.
    pub op: AlterConfigOpType,
    /// The value (items for APPEND and SUBTRACT, comma-separated); ignored
    /// for DELETE.
    pub value: Option<String>,
}

impl AlterConfigOp {
    /// Sets `name` to `value`.
    pub fn set(name: impl Into<String>, value: impl Into<String>) -> AlterConfigOp {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Set,
            value: Some(value.into()),
        }
    }

    /// Removes the value of `name` set on the resource.
    pub fn delete(name: impl Into<String>) -> AlterConfigOp {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Delete,
            value: None,
        }
    }

    /// Adds the comma-separated `items` to list config `name`.
    pub fn append(name: impl Into<String>, items: impl Into<String>) -> AlterConfigOp {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Append,
            value: Some(items.into()),
        }
    }

    /// Removes the comma-separated `items` from list config `name`.
    pub fn subtract(name: impl Into<String>, items: impl Into<String>) -> AlterConfigOp {
        AlterConfigOp {
            name: name.into(),
            op: AlterConfigOpType::Subtract,
            value: Some(items.into()),
        }
    }

    fn validate(&self) -> Result<()> {
        if self.name.is_empty() {
            return Err(Error::InvalidArgument("empty config name".into()));
        }
        match self.op {
            AlterConfigOpType::Delete => Ok(()),
            AlterConfigOpType::Unknown => Err(Error::InvalidArgument(format!(
                "no operation given for config {}",
                self.name
            ))),
            _ if self.value.is_none() => Err(Error::InvalidArgument(format!(
                "{} of config {} needs a value",
                self.op, self.name
            ))),
            _ => Ok(()),
        }
    }
}

/// Reads one resource's entries from a DescribeConfigs result.
pub(crate) fn config_entries(result: DescribeConfigsResult) -> Vec<ConfigEntry> {
    result
        .configs
        .into_iter()
        .map(|c| {
            let source = ConfigSource::from_code(c.config_source);
            ConfigEntry {
                name: c.name.to_string(),
                value: c.value.filter(|_| !c.is_sensitive).map(|v| v.to_string()),
                read_only: c.read_only,
                is_default: source == ConfigSource::DefaultConfig,
                source,
                sensitive: c.is_sensitive,
                synonyms: c
                    .synonyms
                    .into_iter()
                    .map(|s| ConfigSynonym {
                        name: s.name.to_string(),
                        value: s.value.filter(|_| !c.is_sensitive).map(|v| v.to_string()),
                        source: ConfigSource::from_code(s.source),
                    })
                    .collect(),
                config_type: ConfigType::from_code(c.config_type),
                documentation: c.documentation.map(|d| d.to_string()),
            }
        })
        .collect()
}

fn list_items(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The complete set of dynamic configs AlterConfigs must write to apply
/// `ops` to `resource`, whose current configs are `current`.
///
/// Starts from the configs whose source is the resource's own dynamic
/// source; SET and DELETE change them; APPEND and SUBTRACT work on the
/// comma-separated items of the config's current value (dynamic, or else
/// effective). Fails with [`Error::Unsupported`] if a sensitive dynamic
/// config would be lost, and with [`Error::InvalidArgument`] for APPEND or
/// SUBTRACT on a config known not to be a list.
pub fn alter_configs_fallback(
    resource: &ConfigResource,
    current: &[ConfigEntry],
    ops: &[AlterConfigOp],
) -> Result<BTreeMap<String, Option<String>>> {
    let dynamic_source = resource.dynamic_source();
    let mut configs: BTreeMap<String, Option<String>> = current
        .iter()
        .filter(|e| e.source == dynamic_source)
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect();
    let mut rewritten: Vec<&str> = Vec::new();
    for op in ops {
        op.validate()?;
        let value = op.value.clone().unwrap_or_default();
        match op.op {
            AlterConfigOpType::Set => {
                configs.insert(op.name.clone(), Some(value));
            }
            AlterConfigOpType::Delete => {
                configs.remove(&op.name);
            }
            AlterConfigOpType::Append | AlterConfigOpType::Subtract => {
                let entry = current.iter().find(|e| e.name == op.name);
                if let Some(e) = entry
                    .filter(|e| !matches!(e.config_type, ConfigType::List | ConfigType::Unknown))
                {
                    return Err(Error::InvalidArgument(format!(
                        "{} needs a list config; {} is {}",
                        op.op, op.name, e.config_type
                    )));
                }
                let base = match configs.get(&op.name) {
                    Some(v) => v.clone(),
                    None => entry.and_then(|e| e.value.clone()),
                };
                let mut items = base.as_deref().map(list_items).unwrap_or_default();
                for item in list_items(&value) {
                    if op.op == AlterConfigOpType::Append {
                        if !items.contains(&item) {
                            items.push(item);
                        }
                    } else {
                        items.retain(|i| *i != item);
                    }
                }
                configs.insert(op.name.clone(), Some(items.join(",")));
            }
            AlterConfigOpType::Unknown => {}
        }
        rewritten.push(&op.name);
    }
    if let Some((name, _)) = configs
        .iter()
        .find(|(name, value)| value.is_none() && !rewritten.contains(&name.as_str()))
    {
        return Err(Error::Unsupported(format!(
            "{resource} has the sensitive config {name}, whose value AlterConfigs would reset \
             (the broker lacks IncrementalAlterConfigs); set it in the same change"
        )));
    }
    Ok(configs)
}

impl Admin {
    /// Describes the configs of `resources`: each gets its own result (its
    /// entries, or its error). Broker and broker logger configs are asked of
    /// that broker; the others of any broker.
    pub async fn describe_configs(
        &self,
        resources: &[ConfigResource],
        options: &DescribeConfigsOptions,
    ) -> Result<BTreeMap<ConfigResource, Result<Vec<ConfigEntry>>>> {
        let mut by_target: BTreeMap<(u8, i32), Vec<&ConfigResource>> = BTreeMap::new();
        for r in resources {
            let key = match r.target() {
                Target::Broker(id) => (1, id),
                _ => (0, 0),
            };
            let group = by_target.entry(key).or_default();
            if !group.contains(&r) {
                group.push(r);
            }
        }
        let mut results = BTreeMap::new();
        for (_, group) in by_target {
            let target = group[0].target();
            let (response, version) = self
                .call::<DescribeConfigsRequest, _, _>(
                    target,
                    |version| {
                        Ok(describe_configs::request(
                            group
                                .iter()
                                .map(|r| {
                                    describe_configs::resource(
                                        r.resource_type(),
                                        &r.name(),
                                        options.names.as_deref(),
                                    )
                                })
                                .collect(),
                            options.include_synonyms,
                            options.include_documentation,
                            version,
                        ))
                    },
                    accept,
                )
                .await?;
            let mut answered: Vec<DescribeConfigsResult> = response.results;
            for r in group {
                let at = answered
                    .iter()
                    .position(|a| r.is(a.resource_type, a.resource_name.as_str()));
                let result = match at.map(|i| answered.swap_remove(i)) {
                    None => Err(missing("DescribeConfigs", version, r)),
                    Some(a) => match ResponseError::try_from_code(a.error_code) {
                        Some(code) => Err(r.error(
                            code,
                            "DescribeConfigs",
                            a.error_message.map(|m| m.to_string()),
                        )),
                        None => Ok(config_entries(a)),
                    },
                };
                results.insert(r.clone(), result);
            }
        }
        Ok(results)
    }

    /// Describes one resource's configs; see [`Admin::describe_configs`].
    pub async fn describe_config(
        &self,
        resource: &ConfigResource,
        options: &DescribeConfigsOptions,
    ) -> Result<Vec<ConfigEntry>> {
        let mut results = self
            .describe_configs(std::slice::from_ref(resource), options)
            .await?;
        results
            .remove(resource)
            .unwrap_or_else(|| Err(missing("DescribeConfigs", -1, resource)))
    }

    /// Changes configs of `resource` (or, with `validate_only`, only checks
    /// the change). Uses IncrementalAlterConfigs, or the AlterConfigs
    /// fallback described in the module docs when the broker lacks it.
    pub async fn incremental_alter_configs(
        &self,
        resource: &ConfigResource,
        ops: &[AlterConfigOp],
        validate_only: bool,
    ) -> Result<()> {
        for op in ops {
            op.validate()?;
        }
        let target = resource.target();
        let incremental = self
            .retry("IncrementalAlterConfigs", || async {
                let conn = self.connection(target).await?;
                Ok(conn
                    .versions()
                    .negotiate::<IncrementalAlterConfigsRequest>()
                    .is_some())
            })
            .await?;
        if !incremental {
            return self.alter_configs(resource, ops, validate_only).await;
        }
        let (response, version) = self
            .call::<IncrementalAlterConfigsRequest, _, _>(
                target,
                |_| {
                    Ok(incremental_alter_configs::request(
                        vec![incremental_alter_configs::resource(
                            resource.resource_type(),
                            &resource.name(),
                            ops.iter()
                                .map(|op| (op.name.as_str(), op.op.code(), op.value.as_deref())),
                        )],
                        validate_only,
                    ))
                },
                accept,
            )
            .await?;
        let answer = response
            .responses
            .into_iter()
            .find(|r| resource.is(r.resource_type, r.resource_name.as_str()))
            .ok_or_else(|| missing("IncrementalAlterConfigs", version, resource))?;
        match ResponseError::try_from_code(answer.error_code) {
            None => Ok(()),
            Some(code) => Err(resource.error(
                code,
                "IncrementalAlterConfigs",
                answer.error_message.map(|m| m.to_string()),
            )),
        }
    }

    /// The AlterConfigs fallback: read, apply, write back.
    async fn alter_configs(
        &self,
        resource: &ConfigResource,
        ops: &[AlterConfigOp],
        validate_only: bool,
    ) -> Result<()> {
        if let ConfigResource::BrokerLogger(id) = resource {
            return Err(Error::Unsupported(format!(
                "broker {id} lacks IncrementalAlterConfigs, the only API that changes logger levels"
            )));
        }
        let current = self
            .describe_config(resource, &DescribeConfigsOptions::default())
            .await?;
        let configs = alter_configs_fallback(resource, &current, ops)?;
        let (response, version) = self
            .call::<AlterConfigsRequest, _, _>(
                resource.target(),
                |_| {
                    Ok(alter_configs::request(
                        vec![alter_configs::resource(
                            resource.resource_type(),
                            &resource.name(),
                            configs.iter().map(|(k, v)| (k.as_str(), v.as_deref())),
                        )],
                        validate_only,
                    ))
                },
                accept,
            )
            .await?;
        let answer = response
            .responses
            .into_iter()
            .find(|r| resource.is(r.resource_type, r.resource_name.as_str()))
            .ok_or_else(|| missing("AlterConfigs", version, resource))?;
        match ResponseError::try_from_code(answer.error_code) {
            None => Ok(()),
            Some(code) => Err(resource.error(
                code,
                "AlterConfigs",
                answer.error_message.map(|m| m.to_string()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::describe_configs_response::{
        DescribeConfigsResourceResult, DescribeConfigsSynonym,
    };
    use kafka_protocol::protocol::StrBytes;

    fn entry(name: &str, value: Option<&str>, source: ConfigSource) -> ConfigEntry {
        ConfigEntry {
            name: name.into(),
            value: value.map(Into::into),
            read_only: false,
            is_default: source == ConfigSource::DefaultConfig,
            source,
            sensitive: value.is_none(),
            synonyms: vec![],
            config_type: ConfigType::Unknown,
            documentation: None,
        }
    }

    #[test]
    fn enums_use_kafka_names_and_codes() {
        for s in ConfigSource::ALL {
            assert_eq!(s.to_string().parse::<ConfigSource>(), Ok(*s));
            assert_eq!(ConfigSource::from_code(s.code()), *s);
        }
        assert_eq!(ConfigSource::from_code(1), ConfigSource::DynamicTopicConfig);
        assert_eq!(ConfigSource::DynamicBrokerLoggerConfig.code(), 6);
        assert_eq!(ConfigSource::from_code(42), ConfigSource::Unknown);
        assert_eq!(ConfigSource::Unknown.to_string(), "UNKNOWN");
        assert!("UNKNOWN".parse::<ConfigSource>().is_err());
        assert_eq!("default_config".parse(), Ok(ConfigSource::DefaultConfig));
        assert_eq!(ConfigType::from_code(7), ConfigType::List);
        assert_eq!(ConfigType::Password.as_str(), "PASSWORD");
        assert_eq!("APPEND".parse(), Ok(AlterConfigOpType::Append));
        assert_eq!(AlterConfigOpType::Subtract.code(), 3);
        let e = "SOMETIMES".parse::<AlterConfigOpType>().unwrap_err();
        assert_eq!(e.to_string(), "unknown config operation 'SOMETIMES'");
    }

    #[test]
    fn resources_name_their_types_and_brokers() {
        let t = ConfigResource::Topic("t".into());
        assert_eq!(
            (t.resource_type(), t.name(), t.target()),
            (2, "t".into(), Target::Any)
        );
        let b = ConfigResource::Broker(3);
        assert_eq!(
            (b.resource_type(), b.name(), b.target()),
            (4, "3".into(), Target::Broker(3))
        );
        let d = ConfigResource::BrokerDefault;
        assert_eq!(
            (d.resource_type(), d.name(), d.target()),
            (4, String::new(), Target::Any)
        );
        let l = ConfigResource::BrokerLogger(3);
        assert_eq!((l.resource_type(), l.target()), (8, Target::Broker(3)));
        let e = b.error(
            ResponseError::InvalidConfig,
            "AlterConfigs",
            Some("bad".into()),
        );
        assert!(matches!(&e, Error::Resource { resource, .. } if resource == "broker 3"));
        assert_eq!(e.message(), Some("bad"));
        let e = t.error(
            ResponseError::UnknownTopicOrPartition,
            "DescribeConfigs",
            None,
        );
        assert!(matches!(&e, Error::Broker { topic: Some(n), .. } if n == "t"));
    }

    #[test]
    fn entries_hide_sensitive_values_and_read_synonyms() {
        let result = DescribeConfigsResult::default().with_configs(vec![
            DescribeConfigsResourceResult::default()
                .with_name(StrBytes::from_static_str("retention.ms"))
                .with_value(Some(StrBytes::from_static_str("1000")))
                .with_config_source(1)
                .with_config_type(5)
                .with_documentation(Some(StrBytes::from_static_str("How long.")))
                .with_synonyms(vec![
                    DescribeConfigsSynonym::default()
                        .with_name(StrBytes::from_static_str("retention.ms"))
                        .with_value(Some(StrBytes::from_static_str("1000")))
                        .with_source(1),
                    DescribeConfigsSynonym::default()
                        .with_name(StrBytes::from_static_str("log.retention.hours"))
                        .with_value(Some(StrBytes::from_static_str("168")))
                        .with_source(4),
                ]),
            DescribeConfigsResourceResult::default()
                .with_name(StrBytes::from_static_str("ssl.key.password"))
                .with_value(Some(StrBytes::from_static_str("hunter2")))
                .with_is_sensitive(true)
                .with_read_only(true)
                .with_config_source(4)
                .with_synonyms(vec![DescribeConfigsSynonym::default()
                    .with_name(StrBytes::from_static_str("ssl.key.password"))
                    .with_value(Some(StrBytes::from_static_str("hunter2")))
                    .with_source(4)]),
        ]);
        let entries = config_entries(result);
        assert_eq!(
            entries[0],
            ConfigEntry {
                name: "retention.ms".into(),
                value: Some("1000".into()),
                read_only: false,
                is_default: false,
                source: ConfigSource::DynamicTopicConfig,
                sensitive: false,
                synonyms: vec![
                    ConfigSynonym {
                        name: "retention.ms".into(),
                        value: Some("1000".into()),
                        source: ConfigSource::DynamicTopicConfig,
                    },
                    ConfigSynonym {
                        name: "log.retention.hours".into(),
                        value: Some("168".into()),
                        source: ConfigSource::StaticBrokerConfig,
                    },
                ],
                config_type: ConfigType::Long,
                documentation: Some("How long.".into()),
            }
        );
        assert!(entries[1].sensitive && entries[1].read_only);
        assert_eq!(entries[1].value, None);
        assert_eq!(entries[1].synonyms[0].value, None);
    }

    #[test]
    fn fallback_keeps_other_dynamic_configs_and_applies_ops() {
        let topic = ConfigResource::Topic("t".into());
        let current = vec![
            entry(
                "retention.ms",
                Some("1000"),
                ConfigSource::DynamicTopicConfig,
            ),
            entry(
                "cleanup.policy",
                Some("delete"),
                ConfigSource::DefaultConfig,
            ),
            entry("segment.ms", Some("5"), ConfigSource::DynamicTopicConfig),
            entry(
                "max.message.bytes",
                Some("9"),
                ConfigSource::StaticBrokerConfig,
            ),
        ];
        let out = alter_configs_fallback(
            &topic,
            &current,
            &[
                AlterConfigOp::set("flush.ms", "7"),
                AlterConfigOp::delete("segment.ms"),
                AlterConfigOp::append("cleanup.policy", "compact, delete"),
            ],
        )
        .expect("applies");
        let expected: BTreeMap<String, Option<String>> = [
            ("retention.ms", "1000"),
            ("flush.ms", "7"),
            ("cleanup.policy", "delete,compact"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
        .collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn fallback_subtracts_from_the_dynamic_value_first() {
        let broker = ConfigResource::Broker(1);
        let current = vec![
            entry(
                "listener.names",
                Some("a,b,c"),
                ConfigSource::DynamicBrokerConfig,
            ),
            entry("retention.ms", Some("1"), ConfigSource::DynamicTopicConfig),
        ];
        let out = alter_configs_fallback(
            &broker,
            &current,
            &[AlterConfigOp::subtract("listener.names", "b,x")],
        )
        .expect("applies");
        assert_eq!(
            out.len(),
            1,
            "only the broker's own dynamic configs: {out:?}"
        );
        assert_eq!(out["listener.names"].as_deref(), Some("a,c"));
    }

    #[test]
    fn fallback_refuses_to_lose_a_sensitive_config() {
        let broker = ConfigResource::Broker(1);
        let current = vec![
            entry("ssl.key.password", None, ConfigSource::DynamicBrokerConfig),
            entry(
                "log.cleaner.threads",
                Some("1"),
                ConfigSource::DynamicBrokerConfig,
            ),
        ];
        let e = alter_configs_fallback(
            &broker,
            &current,
            &[AlterConfigOp::set("log.cleaner.threads", "2")],
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Unsupported(_)) && e.is_unsupported(),
            "{e}"
        );
        let out = alter_configs_fallback(
            &broker,
            &current,
            &[
                AlterConfigOp::set("log.cleaner.threads", "2"),
                AlterConfigOp::set("ssl.key.password", "new"),
            ],
        )
        .expect("re-set sensitive config");
        assert_eq!(out["ssl.key.password"].as_deref(), Some("new"));
        let out = alter_configs_fallback(
            &broker,
            &current,
            &[AlterConfigOp::delete("ssl.key.password")],
        )
        .expect("deleted sensitive config");
        assert!(!out.contains_key("ssl.key.password"));
    }

    #[test]
    fn fallback_checks_ops() {
        let topic = ConfigResource::Topic("t".into());
        let mut typed = entry("retention.ms", Some("1"), ConfigSource::DefaultConfig);
        typed.config_type = ConfigType::Long;
        let e = alter_configs_fallback(
            &topic,
            &[typed],
            &[AlterConfigOp::append("retention.ms", "2")],
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        let no_value = AlterConfigOp {
            name: "x".into(),
            op: AlterConfigOpType::Set,
            value: None,
        };
        assert!(matches!(
            alter_configs_fallback(&topic, &[], &[no_value]),
            Err(Error::InvalidArgument(_))
        ));
    }
}
