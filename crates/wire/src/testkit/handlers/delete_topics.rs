//! DeleteTopics (key 20): removes topics by name (v1–v6) or by id (v6),
//! with their logs and committed group offsets. A deleted name can be
//! created again and starts empty with a new id.
//!
//! Errors: `UNKNOWN_TOPIC_OR_PARTITION` (by name), `UNKNOWN_TOPIC_ID` (by
//! id), and `INVALID_REQUEST` for an internal topic (the group offsets live
//! there, so the cluster keeps it) or an entry with both a name and an id.
//!
//! # References
//! - KIP-4, KIP-516 (topic ids, v6)

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::VersionRange;
use uuid::Uuid;

use super::{str_bytes, topic_name, Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for DeleteTopicsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 6 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DeleteTopicsResponse> {
        let v = ctx.version;
        let entries: Vec<(Option<TopicName>, Uuid)> = if v >= 6 {
            self.topics
                .into_iter()
                .map(|t| (t.name, t.topic_id))
                .collect()
        } else {
            self.topic_names
                .into_iter()
                .map(|n| (Some(n), Uuid::nil()))
                .collect()
        };
        let responses = entries
            .into_iter()
            .map(|(name, id)| {
                let result = DeletableTopicResult::default()
                    .with_name(name.clone())
                    .with_topic_id(id);
                let fail = |code: ResponseError, message: &str| {
                    let mut r = result.clone().with_error_code(code.code());
                    if v >= 5 {
                        r.error_message = Some(str_bytes(message));
                    }
                    r
                };
                let target = match (&name, id.is_nil()) {
                    (Some(_), false) => {
                        return fail(
                            ResponseError::InvalidRequest,
                            "A topic must be named either by name or by id, not both",
                        )
                    }
                    (Some(n), true) => match ctx.state.topics.get(n.0.as_str()) {
                        Some(t) => t.name.clone(),
                        None => {
                            return fail(
                                ResponseError::UnknownTopicOrPartition,
                                "This server does not host this topic-partition.",
                            )
                        }
                    },
                    (None, _) => match ctx.state.topic_by_id(&id) {
                        Some(t) => t.name.clone(),
                        None => {
                            return fail(
                                ResponseError::UnknownTopicId,
                                "This server does not host this topic ID.",
                            )
                        }
                    },
                };
                if ctx.state.topics.get(&target).is_some_and(|t| t.internal) {
                    return fail(
                        ResponseError::InvalidRequest,
                        "Internal topics cannot be deleted in this cluster",
                    );
                }
                let deleted = ctx.state.delete_topic(&target);
                let mut r = result;
                if let Some(t) = deleted {
                    r.name = Some(topic_name(&t.name));
                    if v >= 6 {
                        r.topic_id = t.id;
                    }
                }
                r
            })
            .collect();
        Reply::Now(DeleteTopicsResponse::default().with_responses(responses))
    }

    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<DeleteTopicsResponse> {
        let responses = if ctx.version >= 6 {
            self.topics
                .iter()
                .map(|t| {
                    DeletableTopicResult::default()
                        .with_name(t.name.clone())
                        .with_topic_id(t.topic_id)
                        .with_error_code(code)
                })
                .collect()
        } else {
            self.topic_names
                .iter()
                .map(|n| {
                    DeletableTopicResult::default()
                        .with_name(Some(n.clone()))
                        .with_error_code(code)
                })
                .collect()
        };
        Reply::Now(DeleteTopicsResponse::default().with_responses(responses))
    }
}
