//! Topics: create (with partition count and replication factor, or explicit
//! replica assignments, and configs), delete, and wait for a new topic's
//! partitions to have leaders.
//!
//! # References
//! - KIP-4 (CreateTopics, DeleteTopics), KIP-464 (broker defaults),
//!   KIP-525 (created topic's configs in the response), KIP-516 (topic ids)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest};

use super::configs::{ConfigEntry, ConfigSource, ConfigType};
use super::{missing, Admin, Target};
use crate::cluster::TopicMetadata;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::{create_topics, delete_topics};

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// Topic name.
    pub name: String,
    /// Partition count; `None` for the broker default (`num.partitions`).
    /// Ignored when `assignments` is given.
    pub partitions: Option<i32>,
    /// Replication factor; `None` for the broker default
    /// (`default.replication.factor`). Ignored when `assignments` is given.
    pub replication_factor: Option<i16>,
    /// Explicit replica placement: partition index → broker ids, the first
    /// being the preferred leader. Must cover partitions `0..n`.
    pub assignments: BTreeMap<i32, Vec<i32>>,
    /// Topic configs (`cleanup.policy`, `retention.ms`, ...).
    pub configs: BTreeMap<String, String>,
}

impl NewTopic {
    /// A topic with the broker's default partition count and replication
    /// factor and no configs.
    pub fn new(name: impl Into<String>) -> NewTopic {
        NewTopic {
            name: name.into(),
            partitions: None,
            replication_factor: None,
            assignments: BTreeMap::new(),
            configs: BTreeMap::new(),
        }
    }

    /// Sets the partition count.
    pub fn with_partitions(mut self, partitions: i32) -> NewTopic {
        self.partitions = Some(partitions);
        self
    }

    /// Sets the replication factor.
    pub fn with_replication_factor(mut self, replication_factor: i16) -> NewTopic {
        self.replication_factor = Some(replication_factor);
        self
    }

    /// Places partition `partition` on `brokers` (the first is the preferred
    /// leader).
    pub fn with_assignment(mut self, partition: i32, brokers: Vec<i32>) -> NewTopic {
        self.assignments.insert(partition, brokers);
        self
    }

    /// Sets a topic config.
    pub fn with_config(mut self, name: impl Into<String>, value: impl Into<String>) -> NewTopic {
        self.configs.insert(name.into(), value.into());
        self
    }

    fn uses_broker_defaults(&self) -> bool {
        self.assignments.is_empty()
            && (self.partitions.is_none() || self.replication_factor.is_none())
    }

    fn to_request(&self) -> kafka_protocol::messages::create_topics_request::CreatableTopic {
        create_topics::topic(
            &self.name,
            self.partitions.unwrap_or(-1),
            self.replication_factor.unwrap_or(-1),
            self.assignments.iter().map(|(p, b)| (*p, b.as_slice())),
            self.configs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }
}

/// A topic as the controller created it (or would have, with
/// `validate_only`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    /// Topic name.
    pub name: String,
    /// Topic id; all zero when the broker did not report it (before v7).
    pub topic_id: [u8; 16],
    /// Partition count, when reported (v5+).
    pub partitions: Option<i32>,
    /// Replication factor, when reported (v5+).
    pub replication_factor: Option<i16>,
    /// The topic's configs, when reported (v5+; not for brokers that deny
    /// DescribeConfigs on the topic). Entries carry no synonyms, type or
    /// documentation.
    pub configs: Option<Vec<ConfigEntry>>,
}

/// The first CreateTopics version that reports the created topic's
/// partition count, replication factor and configs.
const DETAILS_VERSION: i16 = 5;

/// Reads one topic's result of a CreateTopics response at `version`.
pub(crate) fn created_topic(result: CreatableTopicResult, version: i16) -> Result<CreatedTopic> {
    let name = result.name.0.to_string();
    if let Some(code) = ResponseError::try_from_code(result.error_code) {
        return Err(Error::topic(
            code,
            "CreateTopics",
            name,
            None,
            result.error_message.map(|m| m.to_string()),
        ));
    }
    Ok(CreatedTopic {
        topic_id: *result.topic_id.as_bytes(),
        partitions: (result.num_partitions >= 0).then_some(result.num_partitions),
        replication_factor: (result.replication_factor >= 0).then_some(result.replication_factor),
        configs: result
            .configs
            .filter(|_| version >= DETAILS_VERSION)
            .map(|configs| {
                configs
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
                            synonyms: Vec::new(),
                            config_type: ConfigType::Unknown,
                            documentation: None,
                        }
                    })
                    .collect()
            }),
        name,
    })
}

/// Reads a CreateTopics response into one result per topic asked for.
pub(crate) fn create_topics_results(
    asked: &[String],
    response: CreateTopicsResponse,
    version: i16,
) -> BTreeMap<String, Result<CreatedTopic>> {
    let mut results: BTreeMap<String, Result<CreatedTopic>> = response
        .topics
        .into_iter()
        .map(|t| (t.name.0.to_string(), created_topic(t, version)))
        .collect();
    for name in asked {
        results
            .entry(name.clone())
            .or_insert_with(|| Err(missing("CreateTopics", version, format!("topic {name}"))));
    }
    results.retain(|name, _| asked.contains(name));
    results
}

/// Whether every item of a response failed with NOT_CONTROLLER (so the
/// whole request is worth sending to the new controller).
pub(crate) fn all_not_controller(
    api: &'static str,
    codes: impl IntoIterator<Item = i16>,
) -> Result<()> {
    let mut codes = codes.into_iter().peekable();
    if codes.peek().is_some() && codes.all(|c| c == ResponseError::NotController.code()) {
        return Err(Error::broker(ResponseError::NotController, api));
    }
    Ok(())
}

fn unique_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for n in names {
        if n.is_empty() {
            return Err(Error::InvalidArgument("empty topic name".into()));
        }
        if !seen.insert(n) {
            return Err(Error::InvalidArgument(format!("topic {n} is named twice")));
        }
    }
    Ok(())
}

impl Admin {
    /// Creates `topics` (or, with `validate_only`, only checks that they
    /// could be created). Each topic gets its own result: what the
    /// controller reports about it, or its error (TOPIC_ALREADY_EXISTS,
    /// INVALID_REPLICATION_FACTOR, POLICY_VIOLATION, ... with the broker's
    /// message).
    ///
    /// The call returns when the controller has created the topics; their
    /// leaders may not be in every broker's metadata yet (see
    /// [`Admin::wait_for_topic`]).
    pub async fn create_topics(
        &self,
        topics: &[NewTopic],
        validate_only: bool,
    ) -> Result<BTreeMap<String, Result<CreatedTopic>>> {
        unique_names(topics.iter().map(|t| t.name.as_str()))?;
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let asked: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
        let requests: Vec<_> = topics.iter().map(NewTopic::to_request).collect();
        let (response, version) = self
            .call::<CreateTopicsRequest, _, _>(
                Target::Controller,
                |version| {
                    if version < create_topics::DEFAULTS_VERSION
                        && topics.iter().any(NewTopic::uses_broker_defaults)
                    {
                        return Err(Error::Unsupported(format!(
                            "the broker speaks CreateTopics v{version}, which cannot use the \
                             default partition count or replication factor: give both"
                        )));
                    }
                    Ok(create_topics::request(
                        requests.clone(),
                        self.timeout_ms(),
                        validate_only,
                    ))
                },
                |response, _| {
                    all_not_controller("CreateTopics", response.topics.iter().map(|t| t.error_code))
                },
            )
            .await?;
        Ok(create_topics_results(&asked, response, version))
    }

    /// Creates one topic; see [`Admin::create_topics`].
    pub async fn create_topic(
        &self,
        topic: &NewTopic,
        validate_only: bool,
    ) -> Result<CreatedTopic> {
        let mut results = self
            .create_topics(std::slice::from_ref(topic), validate_only)
            .await?;
        results
            .remove(&topic.name)
            .unwrap_or_else(|| Err(missing("CreateTopics", -1, format!("topic {}", topic.name))))
    }

    /// Deletes topics by name; each gets its own result
    /// (UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist).
    pub async fn delete_topics(&self, names: &[String]) -> Result<BTreeMap<String, Result<()>>> {
        unique_names(names.iter().map(String::as_str))?;
        if names.is_empty() {
            return Ok(BTreeMap::new());
        }
        let (response, version) = self
            .call::<DeleteTopicsRequest, _, _>(
                Target::Controller,
                |version| Ok(delete_topics::request(names, self.timeout_ms(), version)),
                |response, _| {
                    all_not_controller(
                        "DeleteTopics",
                        response.responses.iter().map(|t| t.error_code),
                    )
                },
            )
            .await?;
        let mut results = BTreeMap::new();
        for t in response.responses {
            let Some(name) = t.name.map(|n| n.0.to_string()) else {
                continue;
            };
            let result = match ResponseError::try_from_code(t.error_code) {
                None => Ok(()),
                Some(code) => Err(Error::topic(
                    code,
                    "DeleteTopics",
                    name.clone(),
                    None,
                    t.error_message.map(|m| m.to_string()),
                )),
            };
            results.insert(name, result);
        }
        for name in names {
            results
                .entry(name.clone())
                .or_insert_with(|| Err(missing("DeleteTopics", version, format!("topic {name}"))));
        }
        results.retain(|name, _| names.contains(name));
        self.client.invalidate_metadata();
        Ok(results)
    }

    /// Deletes one topic; see [`Admin::delete_topics`].
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let names = [name.to_owned()];
        let mut results = self.delete_topics(&names).await?;
        results
            .remove(name)
            .unwrap_or_else(|| Err(missing("DeleteTopics", -1, format!("topic {name}"))))
    }

    /// Waits (within `default.api.timeout.ms`) until the metadata shows
    /// topic `name` with a leader for every partition, and returns it.
    pub async fn wait_for_topic(&self, name: &str) -> Result<Arc<TopicMetadata>> {
        self.retry("Metadata", || async {
            self.client.invalidate_metadata();
            let t = self.client.topic(name).await.map_err(|e| match e {
                Error::UnknownTopic(_) => Error::topic(
                    ResponseError::LeaderNotAvailable,
                    "Metadata",
                    name,
                    None,
                    None,
                ),
                e => e,
            })?;
            if t.partitions.is_empty() || t.partitions.iter().any(|p| p.leader < 0) {
                return Err(Error::topic(
                    ResponseError::LeaderNotAvailable,
                    "Metadata",
                    name,
                    None,
                    None,
                ));
            }
            Ok(t)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::create_topics_response::CreatableTopicConfigs;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::StrBytes;

    fn result(name: &str, code: i16) -> CreatableTopicResult {
        CreatableTopicResult::default()
            .with_name(TopicName(StrBytes::from_string(name.to_owned())))
            .with_error_code(code)
    }

    #[test]
    fn request_carries_counts_assignments_and_configs() {
        let t = NewTopic::new("t")
            .with_partitions(3)
            .with_replication_factor(2)
            .with_config("retention.ms", "1000")
            .to_request();
        assert_eq!((t.num_partitions, t.replication_factor), (3, 2));
        assert_eq!(t.configs[0].value.as_deref(), Some("1000"));
        let t = NewTopic::new("t")
            .with_assignment(0, vec![1, 2])
            .with_assignment(1, vec![2, 1])
            .to_request();
        assert_eq!((t.num_partitions, t.replication_factor), (-1, -1));
        assert_eq!(t.assignments.len(), 2);
        assert!(NewTopic::new("t").uses_broker_defaults());
        assert!(NewTopic::new("t").with_partitions(1).uses_broker_defaults());
        assert!(!NewTopic::new("t")
            .with_partitions(1)
            .with_replication_factor(1)
            .uses_broker_defaults());
    }

    #[test]
    fn results_per_topic_with_broker_messages() {
        let ok = result("a", 0)
            .with_topic_id(uuid::Uuid::from_bytes([7; 16]))
            .with_num_partitions(3)
            .with_replication_factor(1)
            .with_configs(Some(vec![
                CreatableTopicConfigs::default()
                    .with_name(StrBytes::from_static_str("cleanup.policy"))
                    .with_value(Some(StrBytes::from_static_str("delete")))
                    .with_config_source(5),
                CreatableTopicConfigs::default()
                    .with_name(StrBytes::from_static_str("secret"))
                    .with_value(Some(StrBytes::from_static_str("leaked")))
                    .with_is_sensitive(true)
                    .with_config_source(1),
            ]));
        let exists = result("b", 36)
            .with_error_message(Some(StrBytes::from_static_str("Topic 'b' already exists.")));
        let response = CreateTopicsResponse::default().with_topics(vec![ok, exists]);
        let asked = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let results = create_topics_results(&asked, response, 7);
        let a = results["a"].as_ref().expect("a created");
        assert_eq!(a.topic_id, [7; 16]);
        assert_eq!((a.partitions, a.replication_factor), (Some(3), Some(1)));
        let configs = a.configs.as_ref().expect("configs");
        assert_eq!(configs[0].source, ConfigSource::DefaultConfig);
        assert!(configs[0].is_default);
        assert_eq!(configs[1].value, None, "sensitive values are never kept");
        match &results["b"] {
            Err(e @ Error::Broker { topic, .. }) => {
                assert_eq!(e.code(), Some(ResponseError::TopicAlreadyExists));
                assert_eq!(topic.as_deref(), Some("b"));
                assert_eq!(e.message(), Some("Topic 'b' already exists."));
                assert!(e.to_string().contains("already exists"), "{e}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(results["c"], Err(Error::Protocol(_))));
    }

    #[test]
    fn before_v5_counts_are_unknown() {
        let r = result("a", 0)
            .with_num_partitions(-1)
            .with_replication_factor(-1);
        let t = created_topic(r, 4).expect("created");
        assert_eq!(
            (t.partitions, t.replication_factor, t.configs),
            (None, None, None)
        );
    }

    #[test]
    fn not_controller_everywhere_asks_for_a_retry() {
        assert!(all_not_controller("CreateTopics", [41, 41]).is_err_and(|e| e.is_retriable()));
        assert!(all_not_controller("CreateTopics", [41, 0]).is_ok());
        assert!(all_not_controller("CreateTopics", []).is_ok());
    }

    #[test]
    fn duplicate_or_empty_names_are_refused() {
        assert!(unique_names(["a", "b"]).is_ok());
        assert!(matches!(
            unique_names(["a", "a"]),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(unique_names([""]), Err(Error::InvalidArgument(_))));
    }
}
