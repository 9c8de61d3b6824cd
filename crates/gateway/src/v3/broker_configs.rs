//! v3 configs of every broker at once (`GET /brokers/-/configs`). One
//! broker's configs and the cluster-wide dynamic broker configs
//! (`/broker-configs`) are served by [`crate::v3::configs`] with
//! [`ConfigOwner::Broker`] and [`ConfigOwner::Cluster`].
//!
//! # References
//! - Confluent REST Proxy API reference, "Configs (v3)"
//! - KIP-226 (dynamic broker configs)

use wire::admin::ConfigResource;

use crate::error::{ApiError, ApiResult};
use crate::response::Response;
use crate::v3::configs::ConfigOwner;
use crate::v3::{ok, Context, KafkaResultExt as _};

/// `GET /clusters/{cluster_id}/brokers/-/configs`: the configs of each
/// broker in the metadata, by broker id (each broker is asked for its own).
pub async fn list_all_brokers(ctx: &Context<'_>) -> ApiResult<Response> {
    let admin = ctx.gateway.admin().await?;
    let metadata = admin.metadata().await?;
    let mut ids: Vec<i32> = metadata.brokers.keys().copied().collect();
    ids.sort_unstable();
    let resources: Vec<ConfigResource> = ids.iter().map(|id| ConfigResource::Broker(*id)).collect();
    let mut described = if resources.is_empty() {
        Default::default()
    } else {
        admin
            .describe_configs(&resources, &super::configs::describe_options())
            .await
            .v3()?
    };
    let mut data = Vec::new();
    for (id, resource) in ids.iter().zip(&resources) {
        match described.remove(resource) {
            Some(Ok(entries)) => {
                let owner = ConfigOwner::Broker(*id);
                data.extend(entries.iter().map(|e| owner.config_json(ctx, e)));
            }
            Some(Err(e)) => return Err(ApiError::from_kafka_v3(&e)),
            None => {}
        }
    }
    ok(&ctx
        .links
        .list("KafkaBrokerConfigList", "/brokers/-/configs", data))
}
