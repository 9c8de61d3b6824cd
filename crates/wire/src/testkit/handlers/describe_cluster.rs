//! DescribeCluster (key 60): cluster id, controller and brokers. Brokers
//! that are stopped are fenced: they are left out, or listed with
//! `is_fenced` when `include_fenced_brokers` is set (v2) unless they were
//! unregistered. The brokers
//! answer for broker endpoints only; asking for controller endpoints (v1+)
//! gets `MISMATCHED_ENDPOINT_TYPE`, as from a Kafka broker.
//!
//! # References
//! - KIP-700 (DescribeCluster), KIP-919 (endpoint type, v1), KIP-1073
//!   (fenced brokers, v2)

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::VersionRange;

use super::metadata::{CLUSTER_OPERATIONS, NOT_REQUESTED};
use super::{str_bytes, Ctx, Handler, Reply};
use crate::error::ResponseError;

/// `endpoint_type` of broker listeners.
const BROKERS: i8 = 1;

impl Handler for DescribeClusterRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 2 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DescribeClusterResponse> {
        let state = &*ctx.state;
        let mut response = DescribeClusterResponse::default()
            .with_cluster_id(str_bytes(state.config.cluster_id.clone()))
            .with_controller_id(BrokerId(state.controller()))
            .with_cluster_authorized_operations(if self.include_cluster_authorized_operations {
                CLUSTER_OPERATIONS
            } else {
                NOT_REQUESTED
            });
        if ctx.version >= 1 {
            response.endpoint_type = self.endpoint_type;
            if self.endpoint_type != BROKERS {
                response.error_code = ResponseError::MismatchedEndpointType.code();
                response.error_message = Some(str_bytes(
                    "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER",
                ));
                return Reply::Now(response);
            }
        }
        let fenced = ctx.version >= 2 && self.include_fenced_brokers;
        response.brokers = state
            .brokers
            .iter()
            .filter(|(_, b)| b.running || (fenced && b.registered))
            .map(|(id, b)| {
                let mut d = DescribeClusterBroker::default()
                    .with_broker_id(BrokerId(*id))
                    .with_host(str_bytes(b.host.clone()))
                    .with_port(i32::from(b.port));
                if ctx.version >= 2 {
                    d.is_fenced = !b.running;
                }
                d
            })
            .collect();
        Reply::Now(response)
    }

    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<DescribeClusterResponse> {
        let mut response = DescribeClusterResponse::default()
            .with_error_code(code)
            .with_cluster_id(str_bytes(ctx.state.config.cluster_id.clone()));
        if ctx.version >= 1 {
            response.endpoint_type = self.endpoint_type;
        }
        Reply::Now(response)
    }
}
