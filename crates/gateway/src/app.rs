//! The gateway's shared state: configuration and the Kafka clients every
//! request handler uses.
//!
//! The cluster client and the producer are created on first use, so the
//! gateway starts (and answers `GET /`) while Kafka is still unreachable;
//! until it is reachable, requests that need it get a retriable Kafka error
//! (50003).

use std::sync::Arc;

use tokio::sync::OnceCell;
use wire::admin::{ConfigResource, DescribeConfigsOptions};
use wire::producer::Producer;
use wire::Admin;

use crate::config::{ClientRole, Config};
use crate::consumers::ConsumerRegistry;
use crate::endpoints::AccessList;
use crate::error::{ApiError, ApiResult};
use crate::kafka;
use crate::schema_registry::SchemaRegistry;

/// State shared by all requests.
#[derive(Debug)]
pub struct Gateway {
    config: Arc<Config>,
    /// `bootstrap.servers` in effect (the development cluster's when `--dev`).
    bootstrap: Vec<(String, u16)>,
    client: OnceCell<wire::Client>,
    consumer_client: OnceCell<wire::Client>,
    producer: OnceCell<Producer>,
    consumers: Arc<ConsumerRegistry>,
    access: AccessList,
    /// The client of `schema.registry.url`, if set.
    schema_registry: Option<Arc<SchemaRegistry>>,
}

impl Gateway {
    /// State for `config`, with Kafka reached through `bootstrap` (which
    /// replaces `bootstrap.servers` when not empty).
    pub fn new(config: Config, bootstrap: Vec<(String, u16)>) -> Gateway {
        let access = AccessList::new(
            &config.api_endpoints_allowlist,
            &config.api_endpoints_blocklist,
        );
        let schema_registry = config.schema_registry.as_ref().and_then(|settings| {
            match SchemaRegistry::new(settings, crate::schema_registry::DEFAULT_TIMEOUT) {
                Ok(registry) => Some(Arc::new(registry)),
                Err(e) => {
                    tracing::error!("schema.registry.*: {e}");
                    None
                }
            }
        });
        Gateway {
            schema_registry,
            config: Arc::new(config),
            bootstrap,
            client: OnceCell::new(),
            consumer_client: OnceCell::new(),
            producer: OnceCell::new(),
            consumers: Arc::new(ConsumerRegistry::default()),
            access,
        }
    }

    /// The Schema Registry client, or 422 / 42205 naming the setting when
    /// `schema.registry.url` is not set.
    pub fn schema_registry(&self) -> ApiResult<Arc<SchemaRegistry>> {
        self.schema_registry.clone().ok_or_else(|| {
            ApiError::invalid_schema(
                "Schema formats need a Schema Registry, and schema.registry.url is not set",
            )
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The `wire` configuration for a client in `role`.
    pub fn client_config(&self, role: ClientRole) -> ApiResult<wire::ClientConfig> {
        let mut client = kafka::client_config(&self.config, role)
            .map_err(|e| ApiError::kafka(format!("invalid Kafka client settings: {e}")))?;
        if !self.bootstrap.is_empty() {
            client.bootstrap_servers = self.bootstrap.clone();
        }
        Ok(client)
    }

    /// The shared cluster client, connecting on first use.
    pub async fn client(&self) -> ApiResult<&wire::Client> {
        self.client
            .get_or_try_init(|| async {
                let config = self.client_config(ClientRole::Admin)?;
                wire::Client::connect(config)
                    .await
                    .map_err(|e| connect_error(&e))
            })
            .await
    }

    /// The cluster client of the v2 consumer instances (`consumer.*`
    /// settings), connecting on first use.
    pub async fn consumer_client(&self) -> ApiResult<&wire::Client> {
        self.consumer_client
            .get_or_try_init(|| async {
                let config = self.client_config(ClientRole::Consumer)?;
                wire::Client::connect(config)
                    .await
                    .map_err(|e| connect_error(&e))
            })
            .await
    }

    /// A topic's metadata as Kafka reports it now (one Metadata request for
    /// it alone, never creating it); `not_found` is the API's answer for a
    /// topic that does not exist.
    pub async fn fresh_topic(
        &self,
        topic: &str,
        not_found: fn(&str) -> ApiError,
    ) -> ApiResult<Arc<wire::cluster::TopicMetadata>> {
        match self.client().await?.fresh_topic(topic).await {
            Ok(t) => Ok(t),
            Err(wire::Error::UnknownTopic(_)) => Err(not_found(topic)),
            Err(e) => Err(e.into()),
        }
    }

    /// The endpoints served (`api.endpoints.allowlist` / `blocklist`).
    pub fn access_list(&self) -> &AccessList {
        &self.access
    }

    /// The v2 consumer instances.
    pub fn consumers(&self) -> &ConsumerRegistry {
        &self.consumers
    }

    /// Closes idle consumer instances until the gateway is dropped; runs on
    /// the caller's runtime.
    pub fn spawn_consumer_expiry(&self) {
        tokio::spawn(crate::consumers::expire(
            Arc::downgrade(&self.consumers),
            self.config.consumer_instance_timeout,
        ));
    }

    /// The shared producer, created on first use.
    pub async fn producer(&self) -> ApiResult<&Producer> {
        self.producer
            .get_or_try_init(|| async {
                let config = self.client_config(ClientRole::Producer)?;
                let producer_config = config.producer.clone();
                let client = wire::Client::connect(config)
                    .await
                    .map_err(|e| connect_error(&e))?;
                Producer::new(client, producer_config)
                    .await
                    .map_err(|e| connect_error(&e))
            })
            .await
    }

    /// An admin handle on the shared cluster client.
    pub async fn admin(&self) -> ApiResult<Admin> {
        Ok(Admin::new(self.client().await?.clone()))
    }

    /// A topic's configuration as v2 shows it: every config the cluster
    /// reports for the topic (the ones set on it and those it inherits, as
    /// the reference proxy lists them), sensitive values as `null`.
    pub async fn topic_config_overrides(
        &self,
        topic: &str,
    ) -> ApiResult<serde_json::Map<String, serde_json::Value>> {
        let entries = self
            .admin()
            .await?
            .describe_config(
                &ConfigResource::Topic(topic.to_owned()),
                &DescribeConfigsOptions::default(),
            )
            .await?;
        Ok(entries
            .into_iter()
            .map(|e| (e.name, e.value.map_or(serde_json::Value::Null, Into::into)))
            .collect())
    }

    /// Closes every consumer instance (they leave their groups), then
    /// flushes and closes the producer (on shutdown).
    pub async fn close(&self) {
        for instance in self.consumers.take_all() {
            instance.close().await;
        }
        if let Some(producer) = self.producer.get() {
            producer.close().await;
        }
    }
}

/// Failing to reach the cluster is retriable unless it is an authentication
/// or configuration problem.
fn connect_error(error: &wire::Error) -> ApiError {
    let mapped = ApiError::from(error);
    if mapped.error_code == 50002 && error.is_retriable() {
        ApiError::kafka_retriable(mapped.message)
    } else {
        mapped
    }
}
