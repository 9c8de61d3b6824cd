//! Brokers: look one up, and unregister one from a KRaft cluster.
//!
//! Broker configs are [`super::ConfigResource::Broker`] and
//! [`super::ConfigResource::BrokerLogger`] resources; a broker's log
//! directories are in [`super::log_dirs`].
//!
//! # References
//! - KIP-631 (UnregisterBroker), KIP-700 (DescribeCluster)

use kafka_protocol::messages::UnregisterBrokerRequest;

use super::{accept, Admin, Target};
use crate::cluster::BrokerMetadata;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::unregister_broker;

/// Reads an UnregisterBroker response for broker `id`.
pub(crate) fn unregister_result(
    id: i32,
    response: kafka_protocol::messages::UnregisterBrokerResponse,
) -> Result<()> {
    let message = response.error_message.map(|m| m.to_string());
    match ResponseError::try_from_code(response.error_code) {
        None => Ok(()),
        // Brokers that advertise the API but cannot do it (not KRaft).
        Some(ResponseError::UnsupportedVersion) => Err(Error::Unsupported(format!(
            "the cluster cannot unregister brokers{}",
            message.map(|m| format!(": {m}")).unwrap_or_default()
        ))),
        Some(code) => Err(Error::resource(
            code,
            "UnregisterBroker",
            format!("broker {id}"),
            message,
        )),
    }
}

impl Admin {
    /// Broker `id` as DescribeCluster (or Metadata) reports it;
    /// [`Error::UnknownBroker`] if it is not in the cluster.
    pub async fn describe_broker(&self, id: i32) -> Result<BrokerMetadata> {
        self.describe_cluster()
            .await?
            .broker(id)
            .cloned()
            .ok_or(Error::UnknownBroker(id))
    }

    /// Removes broker `id`'s registration from a KRaft cluster. Clusters
    /// that cannot do it give [`Error::UnsupportedApi`] (the API is not
    /// advertised) or [`Error::Unsupported`]; both answer
    /// [`Error::is_unsupported`].
    pub async fn unregister_broker(&self, id: i32) -> Result<()> {
        let (response, _) = self
            .call::<UnregisterBrokerRequest, _, _>(
                Target::Any,
                |_| Ok(unregister_broker::request(id)),
                accept,
            )
            .await?;
        unregister_result(id, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::UnregisterBrokerResponse;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn unsupported_and_broker_errors() {
        assert!(unregister_result(1, UnregisterBrokerResponse::default()).is_ok());
        let e = unregister_result(1, UnregisterBrokerResponse::default().with_error_code(35))
            .unwrap_err();
        assert!(
            matches!(e, Error::Unsupported(_)) && e.is_unsupported(),
            "{e}"
        );
        let e = unregister_result(
            7,
            UnregisterBrokerResponse::default()
                .with_error_code(102)
                .with_error_message(Some(StrBytes::from_static_str("not registered"))),
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::Resource { resource, .. } if resource == "broker 7"),
            "{e}"
        );
        assert_eq!(e.code(), Some(ResponseError::BrokerIdNotRegistered));
        assert_eq!(e.message(), Some("not registered"));
    }
}
