//! FindCoordinator (key 10): which broker coordinates a consumer group (or a
//! transactional id).
//!
//! Versions 0–3 ask for one key; version 4 (KIP-699) asks for many at once
//! and answers with one entry per key. [`request`] builds whichever form the
//! version calls for, and [`coordinators`] reads both forms into the same
//! list, so callers that batch keys can fall back to one request per key on
//! brokers older than 4. Flexible versions: 3+.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_FindCoordinator>
//! - KIP-98 (key type, v1), KIP-482 (flexible, v3), KIP-699 (batched keys, v4)

use kafka_protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use super::api;
use crate::error::ResponseError;

api!(FindCoordinatorRequest, "FindCoordinator", 0..=6);

/// The first version that looks up several keys in one request.
pub const BATCHED_VERSION: i16 = 4;

/// What kind of coordinator a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoordinatorType {
    /// A consumer (or other classic) group id.
    Group,
    /// A transactional id (version 1+).
    Transaction,
}

impl CoordinatorType {
    /// The wire value of `key_type`.
    pub fn as_i8(self) -> i8 {
        match self {
            CoordinatorType::Group => 0,
            CoordinatorType::Transaction => 1,
        }
    }
}

/// Builds a request for `keys` at `version`: all of them from version 4 on,
/// only the first one before (send one request per key there).
pub fn request(version: i16, key_type: CoordinatorType, keys: &[&str]) -> FindCoordinatorRequest {
    let request = FindCoordinatorRequest::default().with_key_type(key_type.as_i8());
    if version >= BATCHED_VERSION {
        request.with_coordinator_keys(
            keys.iter()
                .map(|k| StrBytes::from_string((*k).to_owned()))
                .collect(),
        )
    } else {
        request.with_key(StrBytes::from_string(
            keys.first().copied().unwrap_or_default().to_owned(),
        ))
    }
}

/// The coordinator of one key, or the error the broker gave for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCoordinator {
    /// The group id or transactional id.
    pub key: String,
    /// The coordinator's broker id (-1 on error).
    pub node_id: i32,
    /// The coordinator's host.
    pub host: String,
    /// The coordinator's port.
    pub port: i32,
    /// The broker's error, if any.
    pub error: Option<ResponseError>,
    /// The broker's error message, if any (version 1+).
    pub message: Option<String>,
}

/// Reads a response to a request for `keys` at `version` into one entry
/// per key the response answers.
///
/// Before version 4 the single top-level answer belongs to the first key. A
/// version 4+ response without per-key entries (some brokers answer that way)
/// is read as the top-level answer for every key.
pub fn coordinators(
    response: &FindCoordinatorResponse,
    version: i16,
    keys: &[&str],
) -> Vec<FoundCoordinator> {
    let top_level = |key: &str| FoundCoordinator {
        key: key.to_owned(),
        node_id: response.node_id.0,
        host: response.host.to_string(),
        port: response.port,
        error: ResponseError::try_from_code(response.error_code),
        message: response.error_message.as_ref().map(|m| m.to_string()),
    };
    if version < BATCHED_VERSION {
        return keys.first().map(|k| top_level(k)).into_iter().collect();
    }
    if response.coordinators.is_empty() {
        return keys.iter().map(|k| top_level(k)).collect();
    }
    response
        .coordinators
        .iter()
        .map(|c| FoundCoordinator {
            key: c.key.to_string(),
            node_id: c.node_id.0,
            host: c.host.to_string(),
            port: c.port,
            error: ResponseError::try_from_code(c.error_code),
            message: c.error_message.as_ref().map(|m| m.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::find_coordinator_response::Coordinator;
    use kafka_protocol::messages::BrokerId;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn builds_the_form_each_version_needs() {
        for version in 0..=6 {
            let keys = ["g1", "g2"];
            let r = request(version, CoordinatorType::Group, &keys);
            let mut buf = BytesMut::new();
            r.encode(&mut buf, version)
                .expect("encodes at every version");
            let back = FindCoordinatorRequest::decode(&mut buf.freeze(), version).unwrap();
            if version >= BATCHED_VERSION {
                assert_eq!(back.coordinator_keys.len(), 2);
            } else {
                assert_eq!(back.key.as_str(), "g1");
            }
        }
    }

    #[test]
    fn reads_both_response_forms() {
        let single = FindCoordinatorResponse::default()
            .with_node_id(BrokerId(7))
            .with_host(StrBytes::from_static_str("h"))
            .with_port(9092);
        let found = coordinators(&single, 3, &["g"]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].key.as_str(), found[0].node_id), ("g", 7));
        assert_eq!(found[0].error, None);

        let batched = FindCoordinatorResponse::default().with_coordinators(vec![
            Coordinator::default()
                .with_key(StrBytes::from_static_str("a"))
                .with_node_id(BrokerId(1)),
            Coordinator::default()
                .with_key(StrBytes::from_static_str("b"))
                .with_node_id(BrokerId(-1))
                .with_error_code(ResponseError::CoordinatorNotAvailable.code()),
        ]);
        let found = coordinators(&batched, 4, &["a", "b"]);
        assert_eq!(found[0].node_id, 1);
        assert_eq!(found[1].error, Some(ResponseError::CoordinatorNotAvailable));

        // A v4 answer that only fills the top-level fields.
        let found = coordinators(&single, 4, &["x", "y"]);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|f| f.node_id == 7));
    }
}
