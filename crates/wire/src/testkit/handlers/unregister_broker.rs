//! UnregisterBroker (key 64), served the way a KRaft cluster does rather
//! than refused like a ZooKeeper one: unregistering a stopped (fenced)
//! broker removes it from DescribeCluster's list of fenced brokers until it
//! is started again; a running broker registers again at once, as a live
//! Kafka broker does, so for it the call succeeds and changes nothing. An
//! unknown id is `BROKER_ID_NOT_REGISTERED`.
//!
//! # References
//! - KIP-631 (KRaft broker registration)

use kafka_protocol::messages::{UnregisterBrokerRequest, UnregisterBrokerResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for UnregisterBrokerRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 0 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<UnregisterBrokerResponse> {
        let response = match ctx.state.brokers.get_mut(&self.broker_id.0) {
            None => UnregisterBrokerResponse::default()
                .with_error_code(ResponseError::BrokerIdNotRegistered.code())
                .with_error_message(Some(str_bytes(format!(
                    "Broker ID {} is not currently registered",
                    self.broker_id.0
                )))),
            Some(b) => {
                if !b.running {
                    b.registered = false;
                }
                UnregisterBrokerResponse::default().with_error_message(None)
            }
        };
        Reply::Now(response)
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<UnregisterBrokerResponse> {
        Reply::Now(
            UnregisterBrokerResponse::default()
                .with_error_code(code)
                .with_error_message(None),
        )
    }
}
