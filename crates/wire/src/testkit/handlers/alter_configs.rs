//! AlterConfigs (key 33): replaces the whole set of dynamic configs of a
//! topic or a broker with the given one (configs not named go back to their
//! defaults); `validate_only` checks and changes nothing. Also holds what
//! IncrementalAlterConfigs shares with it: finding the resource and checking
//! names and values.
//!
//! Resources: a topic (`UNKNOWN_TOPIC_OR_PARTITION` if missing), a broker by
//! id (its own dynamic configs) or the empty name (the cluster-wide
//! defaults); anything else, or a resource named twice, is
//! `INVALID_REQUEST`. An unknown config or a bad value is `INVALID_CONFIG`; a
//! broker config that Kafka cannot change at run time is `INVALID_REQUEST`.
//! A null value leaves the config unset.
//!
//! # References
//! - KIP-133 (AlterConfigs), KIP-226 (dynamic broker configs)

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};
use kafka_protocol::protocol::VersionRange;

use super::describe_configs::{BROKER, TOPIC};
use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;
use crate::testkit::state::configs::{self, BrokerConfigError};
use crate::testkit::state::{validate_topic_name, Failure, State};

/// Whose configs a request changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfigTarget {
    Topic(String),
    Broker(i32),
    ClusterDefault,
}

impl ConfigTarget {
    /// Finds the resource a request names.
    pub(crate) fn resolve(state: &State, resource_type: i8, name: &str) -> Result<Self, Failure> {
        match resource_type {
            TOPIC => {
                validate_topic_name(name)?;
                if state.topics.contains_key(name) {
                    Ok(ConfigTarget::Topic(name.to_owned()))
                } else {
                    Err(Failure::new(
                        ResponseError::UnknownTopicOrPartition,
                        format!("Topic {name} does not exist"),
                    ))
                }
            }
            BROKER if name.is_empty() => Ok(ConfigTarget::ClusterDefault),
            BROKER => match name.trim().parse::<i32>() {
                Ok(id) if state.brokers.contains_key(&id) => Ok(ConfigTarget::Broker(id)),
                _ => Err(Failure::new(
                    ResponseError::InvalidRequest,
                    format!("Unknown broker id {name}"),
                )),
            },
            other => Err(Failure::new(
                ResponseError::InvalidRequest,
                format!("Unsupported resource type {other}"),
            )),
        }
    }

    /// The resource's current dynamic configs.
    pub(crate) fn current(&self, state: &State) -> BTreeMap<String, String> {
        match self {
            ConfigTarget::Topic(t) => state.topics.get(t).map(|t| t.configs.clone()),
            ConfigTarget::Broker(b) => state.brokers.get(b).map(|b| b.configs.clone()),
            ConfigTarget::ClusterDefault => Some(state.cluster_configs.clone()),
        }
        .unwrap_or_default()
    }

    /// Whether a config is a list (so APPEND and SUBTRACT apply).
    pub(crate) fn is_list(&self, name: &str) -> bool {
        configs::is_list(name, matches!(self, ConfigTarget::Topic(_)))
    }

    /// The default of a config, for APPEND and SUBTRACT on an unset list.
    pub(crate) fn default_value(&self, name: &str) -> Option<&'static str> {
        match self {
            ConfigTarget::Topic(_) => configs::topic_def(name).map(|d| d.default),
            _ => configs::broker_def(name).and_then(|d| d.default),
        }
    }

    /// Checks one name and value.
    pub(crate) fn validate(&self, name: &str, value: &str) -> Result<(), Failure> {
        match self {
            ConfigTarget::Topic(_) => configs::validate_topic(name, value)
                .map_err(|m| Failure::new(ResponseError::InvalidConfig, m)),
            _ => configs::validate_broker(name, value).map_err(|e| match e {
                BrokerConfigError::Invalid(m) => Failure::new(ResponseError::InvalidConfig, m),
                BrokerConfigError::ReadOnly(m) => Failure::new(ResponseError::InvalidRequest, m),
            }),
        }
    }

    /// Checks a name alone (for a DELETE).
    pub(crate) fn validate_name(&self, name: &str) -> Result<(), Failure> {
        let known = match self {
            ConfigTarget::Topic(_) => configs::topic_def(name).is_some(),
            _ => configs::broker_def(name).is_some(),
        };
        if known {
            Ok(())
        } else {
            Err(Failure::new(
                ResponseError::InvalidConfig,
                format!("Unknown config name: {name}"),
            ))
        }
    }

    /// Replaces the resource's dynamic configs.
    pub(crate) fn store(&self, state: &mut State, configs: BTreeMap<String, String>) {
        match self {
            ConfigTarget::Topic(t) => {
                if let Some(t) = state.topics.get_mut(t) {
                    t.configs = configs;
                }
            }
            ConfigTarget::Broker(b) => {
                if let Some(b) = state.brokers.get_mut(b) {
                    b.configs = configs;
                }
            }
            ConfigTarget::ClusterDefault => state.cluster_configs = configs,
        }
    }
}

/// `(type, name)` pairs that occur more than once in a request.
pub(crate) fn duplicates<'a>(resources: impl Iterator<Item = (i8, &'a str)>) -> Vec<(i8, String)> {
    let mut counts: HashMap<(i8, String), usize> = HashMap::new();
    for (t, n) in resources {
        *counts.entry((t, n.to_owned())).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .map(|(k, _)| k)
        .collect()
}

impl Handler for AlterConfigsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 2 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<AlterConfigsResponse> {
        let dups = duplicates(
            self.resources
                .iter()
                .map(|r| (r.resource_type, r.resource_name.as_str())),
        );
        let responses = self
            .resources
            .iter()
            .map(|r| {
                let name = r.resource_name.as_str();
                let outcome = if dups.contains(&(r.resource_type, name.to_owned())) {
                    Err(Failure::new(
                        ResponseError::InvalidRequest,
                        "Error due to duplicate config resources",
                    ))
                } else {
                    ConfigTarget::resolve(ctx.state, r.resource_type, name).and_then(|target| {
                        let mut configs = BTreeMap::new();
                        for c in &r.configs {
                            let Some(value) = &c.value else { continue };
                            target.validate(c.name.as_str(), value.as_str())?;
                            configs.insert(c.name.to_string(), value.to_string());
                        }
                        if !self.validate_only {
                            target.store(ctx.state, configs);
                        }
                        Ok(())
                    })
                };
                let response = AlterConfigsResourceResponse::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone());
                match outcome {
                    Ok(()) => response.with_error_message(None),
                    Err(f) => response
                        .with_error_code(f.code.code())
                        .with_error_message(Some(str_bytes(f.message))),
                }
            })
            .collect();
        Reply::Now(AlterConfigsResponse::default().with_responses(responses))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<AlterConfigsResponse> {
        let responses = self
            .resources
            .iter()
            .map(|r| {
                AlterConfigsResourceResponse::default()
                    .with_resource_type(r.resource_type)
                    .with_resource_name(r.resource_name.clone())
                    .with_error_code(code)
                    .with_error_message(None)
            })
            .collect();
        Reply::Now(AlterConfigsResponse::default().with_responses(responses))
    }
}
