//! DeleteTopics (key 20): deletes topics by name. Sent to the controller.
//!
//! Versions: 1..=6. Up to v5 the names travel in `topic_names`; v6 lists
//! topics as `{name, topic_id}` pairs (this client names them, with a zero
//! id). v5 adds a per-topic error message.
//!
//! # References
//! - KIP-4 (DeleteTopics), KIP-516 (topic ids, v6)

use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::{DeleteTopicsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(DeleteTopicsRequest, "DeleteTopics", 1..=6);

/// A request deleting `names`, shaped for `version`.
pub fn request(names: &[String], timeout_ms: i32, version: i16) -> DeleteTopicsRequest {
    let name = |n: &String| TopicName(StrBytes::from_string(n.clone()));
    let request = DeleteTopicsRequest::default().with_timeout_ms(timeout_ms);
    if version >= 6 {
        request.with_topics(
            names
                .iter()
                .map(|n| DeleteTopicState::default().with_name(Some(name(n))))
                .collect(),
        )
    } else {
        request.with_topic_names(names.iter().map(name).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn names_travel_where_each_version_expects_them() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        for v in 1..=6 {
            let r = request(&names, 1000, v);
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
            let back = DeleteTopicsRequest::decode(&mut buf.freeze(), v).expect("decodes");
            let got: Vec<String> = if v >= 6 {
                back.topics
                    .iter()
                    .filter_map(|t| t.name.as_ref().map(|n| n.to_string()))
                    .collect()
            } else {
                back.topic_names.iter().map(|n| n.to_string()).collect()
            };
            assert_eq!(got, names, "v{v}");
            assert_eq!(back.timeout_ms, 1000);
        }
    }
}
