//! InitProducerId (key 22): hands out producer ids (counting up from 1000,
//! epoch 0) for idempotent producers.
//!
//! Transactions are not implemented: a request with a transactional id is
//! answered with `INVALID_REQUEST` (and transactional APIs are not
//! advertised). A request that names its current producer id and epoch (v3+,
//! KIP-360) gets the same id with the epoch bumped, or a new id when the
//! epoch is exhausted.
//!
//! # References
//! - KIP-98 (idempotent producer), KIP-360 (epoch bump, v3)

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use kafka_protocol::protocol::VersionRange;

use super::{Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for InitProducerIdRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 5 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<InitProducerIdResponse> {
        if self.transactional_id.is_some() {
            return Reply::Now(error(ResponseError::InvalidRequest.code()));
        }
        let (id, epoch) = if self.producer_id.0 >= 0
            && self.producer_id.0 < ctx.state.next_producer_id
            && self.producer_epoch >= 0
            && self.producer_epoch < i16::MAX - 1
        {
            (self.producer_id.0, self.producer_epoch + 1)
        } else {
            (ctx.state.allocate_producer_id(), 0)
        };
        Reply::Now(
            InitProducerIdResponse::default()
                .with_producer_id(ProducerId(id))
                .with_producer_epoch(epoch),
        )
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<InitProducerIdResponse> {
        Reply::Now(error(code))
    }
}

fn error(code: i16) -> InitProducerIdResponse {
    InitProducerIdResponse::default()
        .with_error_code(code)
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1)
}
