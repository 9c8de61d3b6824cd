//! The "consumer" embedded protocol: the bytes consumer group members put in
//! JoinGroup metadata (a [`Subscription`]) and that the leader hands out in
//! SyncGroup (an [`Assignment`]). The group coordinator stores them without
//! looking inside; only the members (and tools that describe groups) read
//! them.
//!
//! Both start with an `int16` version followed by the fields of that version
//! (the `ConsumerProtocolSubscription` and `ConsumerProtocolAssignment`
//! message schemas, versions 0–3, never flexible):
//!
//! ```text
//! Subscription => version topics:[string] user_data:nullable_bytes
//!                 owned_partitions:[topic:string partitions:[int32]]  (v1+)
//!                 generation_id:int32                                 (v2+)
//!                 rack_id:nullable_string                             (v3+)
//! Assignment   => version assigned_partitions:[topic:string partitions:[int32]]
//!                 user_data:nullable_bytes
//! ```
//!
//! Encoding uses the `kafka-protocol` message structs. Decoding is our own
//! bounds-checked reader, since the bytes come from other members through
//! the broker and must not be trusted with allocation sizes.
//!
//! As the Java client does, encoding writes version 3 by default, sorts the
//! subscribed topics and groups owned partitions by topic in order; decoding
//! reads a version above 3 as version 3 (later versions only append fields)
//! and ignores bytes after the last known field. librdkafka writes version 0
//! (older releases) or 3, with an empty rather than null user data.
//!
//! # References
//! - <https://kafka.apache.org/protocol#The_Messages_JoinGroup> (protocol metadata)
//! - KIP-429 (owned partitions, v1), KIP-792 (generation, v2),
//!   KIP-881 (rack, v3)

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::consumer_protocol_subscription::TopicPartition as OwnedTopic;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicName,
};
use kafka_protocol::protocol::{Encodable, StrBytes};

use super::ProtocolError;

/// The highest version of both schemas this module reads and writes.
pub const HIGHEST_VERSION: i16 = 3;

/// Partitions of one topic, as the embedded protocol lists them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TopicPartitions {
    /// Topic name.
    pub topic: String,
    /// Partition indexes.
    pub partitions: Vec<i32>,
}

/// What a member subscribes to, sent as its JoinGroup protocol metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The topics the member wants to consume.
    pub topics: Vec<String>,
    /// Assignor-specific data.
    pub user_data: Option<Bytes>,
    /// The partitions the member owns (cooperative protocols; version 1+).
    pub owned_partitions: Vec<TopicPartitions>,
    /// The member's generation, -1 if none (version 2+).
    pub generation_id: i32,
    /// The member's rack (`client.rack`, version 3+).
    pub rack_id: Option<String>,
}

impl Default for Subscription {
    fn default() -> Self {
        Subscription {
            topics: Vec::new(),
            user_data: None,
            owned_partitions: Vec::new(),
            generation_id: -1,
            rack_id: None,
        }
    }
}

/// The partitions the leader gives a member, returned by SyncGroup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// Assigned partitions, grouped by topic.
    pub partitions: Vec<TopicPartitions>,
    /// Assignor-specific data.
    pub user_data: Option<Bytes>,
}

impl Assignment {
    /// Every assigned `(topic, partition)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, i32)> + '_ {
        self.partitions
            .iter()
            .flat_map(|t| t.partitions.iter().map(move |p| (t.topic.as_str(), *p)))
    }
}

fn encode_err(what: &'static str, version: i16, e: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::Encode {
        api: what,
        version,
        message: e.to_string(),
    }
}

fn decode_err(what: &'static str, version: i16, e: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::Decode {
        api: what,
        version,
        message: e.to_string(),
    }
}

const SUBSCRIPTION: &str = "ConsumerProtocolSubscription";
const ASSIGNMENT: &str = "ConsumerProtocolAssignment";

/// Reads the version prefix: negative versions are refused, versions above
/// [`HIGHEST_VERSION`] are read as it.
fn read_version(bytes: &mut Bytes, what: &'static str) -> Result<i16, ProtocolError> {
    if bytes.len() < 2 {
        return Err(decode_err(what, -1, "shorter than its version prefix"));
    }
    let version = i16::from_be_bytes([bytes[0], bytes[1]]);
    let _ = bytes.split_to(2);
    if version < 0 {
        return Err(decode_err(what, version, "negative version"));
    }
    Ok(version.min(HIGHEST_VERSION))
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

/// Encodes a subscription at `version` (0..=3; higher is written as 3):
/// topics sorted, owned partitions sorted and grouped by topic, a missing
/// or empty rack written as null.
pub fn encode_subscription(
    subscription: &Subscription,
    version: i16,
) -> Result<Bytes, ProtocolError> {
    if version < 0 {
        return Err(encode_err(SUBSCRIPTION, version, "negative version"));
    }
    let version = version.min(HIGHEST_VERSION);
    let mut topics = subscription.topics.clone();
    topics.sort();
    let mut owned: Vec<(&str, i32)> = subscription
        .owned_partitions
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |p| (t.topic.as_str(), *p)))
        .collect();
    owned.sort();
    let mut owned_topics: Vec<OwnedTopic> = Vec::new();
    for (topic, partition) in owned {
        match owned_topics.last_mut() {
            Some(t) if t.topic.0.as_str() == topic => t.partitions.push(partition),
            _ => owned_topics.push(
                OwnedTopic::default()
                    .with_topic(TopicName(str_bytes(topic)))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    let mut message = ConsumerProtocolSubscription::default()
        .with_topics(topics.iter().map(|t| str_bytes(t)).collect())
        .with_user_data(subscription.user_data.clone());
    if version >= 1 {
        message = message.with_owned_partitions(owned_topics);
    }
    if version >= 2 {
        message = message.with_generation_id(subscription.generation_id);
    }
    if version >= 3 {
        message = message.with_rack_id(
            subscription
                .rack_id
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(str_bytes),
        );
    }
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    message
        .encode(&mut buf, version)
        .map_err(|e| encode_err(SUBSCRIPTION, version, e))?;
    Ok(buf.freeze())
}

/// Decodes a subscription (version prefix included). An empty rack reads as
/// `None`; fields of later versions read as their defaults.
pub fn decode_subscription(bytes: &Bytes) -> Result<Subscription, ProtocolError> {
    let mut r = Reader::new(bytes.clone());
    let version = read_version(&mut r.buf, SUBSCRIPTION)?;
    let fail = |e: &'static str| decode_err(SUBSCRIPTION, version, e);
    let count = r.array_len(2).map_err(fail)?;
    let mut topics = Vec::with_capacity(count);
    for _ in 0..count {
        topics.push(r.string().map_err(fail)?);
    }
    let user_data = r.nullable_bytes().map_err(fail)?;
    let owned_partitions = if version >= 1 {
        r.topic_partitions().map_err(fail)?
    } else {
        Vec::new()
    };
    let generation_id = if version >= 2 {
        r.i32().map_err(fail)?
    } else {
        -1
    };
    let rack_id = if version >= 3 {
        r.nullable_string().map_err(fail)?
    } else {
        None
    };
    Ok(Subscription {
        topics,
        user_data,
        owned_partitions,
        generation_id,
        rack_id: rack_id.filter(|r| !r.is_empty()),
    })
}

/// Encodes an assignment at `version` (0..=3; higher is written as 3), topics
/// and partitions in the order given.
pub fn encode_assignment(assignment: &Assignment, version: i16) -> Result<Bytes, ProtocolError> {
    if version < 0 {
        return Err(encode_err(ASSIGNMENT, version, "negative version"));
    }
    let version = version.min(HIGHEST_VERSION);
    let message = ConsumerProtocolAssignment::default()
        .with_assigned_partitions(
            assignment
                .partitions
                .iter()
                .map(|t| {
                    AssignedTopic::default()
                        .with_topic(TopicName(str_bytes(&t.topic)))
                        .with_partitions(t.partitions.clone())
                })
                .collect(),
        )
        .with_user_data(assignment.user_data.clone());
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    message
        .encode(&mut buf, version)
        .map_err(|e| encode_err(ASSIGNMENT, version, e))?;
    Ok(buf.freeze())
}

/// Decodes an assignment (version prefix included).
pub fn decode_assignment(bytes: &Bytes) -> Result<Assignment, ProtocolError> {
    let mut r = Reader::new(bytes.clone());
    let version = read_version(&mut r.buf, ASSIGNMENT)?;
    let fail = |e: &'static str| decode_err(ASSIGNMENT, version, e);
    let partitions = r.topic_partitions().map_err(fail)?;
    let user_data = r.nullable_bytes().map_err(fail)?;
    Ok(Assignment {
        partitions,
        user_data,
    })
}

/// A bounds-checked reader of the classic (non-flexible) encoding. Every
/// length and count is checked against the bytes left before anything is
/// allocated from it, so no input can make decoding panic or over-allocate.
struct Reader {
    buf: Bytes,
}

impl Reader {
    fn new(buf: Bytes) -> Self {
        Reader { buf }
    }

    fn take(&mut self, n: usize) -> Result<Bytes, &'static str> {
        if self.buf.len() < n {
            return Err("truncated");
        }
        Ok(self.buf.split_to(n))
    }

    fn i16(&mut self) -> Result<i16, &'static str> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32, &'static str> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An array's element count; each element takes at least `min_size` bytes.
    fn array_len(&mut self, min_size: usize) -> Result<usize, &'static str> {
        let n = usize::try_from(self.i32()?).map_err(|_| "null or negative array length")?;
        if n.saturating_mul(min_size) > self.buf.len() {
            return Err("array longer than the bytes left");
        }
        Ok(n)
    }

    fn nullable_string(&mut self) -> Result<Option<String>, &'static str> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(None);
        }
        let bytes = self.take(len as usize)?;
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| "string is not UTF-8")
    }

    fn string(&mut self) -> Result<String, &'static str> {
        self.nullable_string()?.ok_or("null string")
    }

    fn nullable_bytes(&mut self) -> Result<Option<Bytes>, &'static str> {
        let len = self.i32()?;
        if len < 0 {
            return Ok(None);
        }
        self.take(len as usize).map(Some)
    }

    /// `[topic:string partitions:[int32]]`.
    fn topic_partitions(&mut self) -> Result<Vec<TopicPartitions>, &'static str> {
        let count = self.array_len(6)?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let topic = self.string()?;
            let n = self.array_len(4)?;
            let mut partitions = Vec::with_capacity(n);
            for _ in 0..n {
                partitions.push(self.i32()?);
            }
            out.push(TopicPartitions { topic, partitions });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `int16` length-prefixed string, as the protocol writes it.
    fn s(out: &mut Vec<u8>, v: &str) {
        out.extend_from_slice(&(v.len() as i16).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }

    fn i32b(out: &mut Vec<u8>, v: i32) {
        out.extend_from_slice(&v.to_be_bytes());
    }

    #[test]
    fn decodes_a_librdkafka_v0_subscription() {
        // Version 0, topics ["b", "a"] in the order given, empty user data.
        let mut b = vec![0, 0];
        i32b(&mut b, 2);
        s(&mut b, "b");
        s(&mut b, "a");
        i32b(&mut b, 0);
        let got = decode_subscription(&Bytes::from(b)).unwrap();
        assert_eq!(got.topics, vec!["b", "a"]);
        assert_eq!(got.user_data, Some(Bytes::new()));
        assert_eq!(got.generation_id, -1);
        assert!(got.owned_partitions.is_empty() && got.rack_id.is_none());
    }

    #[test]
    fn encodes_a_v3_subscription_like_java() {
        let sub = Subscription {
            topics: vec!["t2".into(), "t1".into()],
            user_data: None,
            owned_partitions: vec![
                TopicPartitions {
                    topic: "t2".into(),
                    partitions: vec![1],
                },
                TopicPartitions {
                    topic: "t1".into(),
                    partitions: vec![3, 0],
                },
            ],
            generation_id: 7,
            rack_id: Some(String::new()),
        };
        let mut want = vec![0, 3];
        i32b(&mut want, 2);
        s(&mut want, "t1");
        s(&mut want, "t2");
        i32b(&mut want, -1); // null user data
        i32b(&mut want, 2); // owned partitions, sorted by topic then partition
        s(&mut want, "t1");
        i32b(&mut want, 2);
        i32b(&mut want, 0);
        i32b(&mut want, 3);
        s(&mut want, "t2");
        i32b(&mut want, 1);
        i32b(&mut want, 1);
        i32b(&mut want, 7); // generation
        want.extend_from_slice(&(-1i16).to_be_bytes()); // null rack
        assert_eq!(&encode_subscription(&sub, 3).unwrap()[..], &want[..]);
    }

    #[test]
    fn reads_later_versions_as_the_highest_known_and_ignores_trailing_bytes() {
        let sub = Subscription {
            topics: vec!["t".into()],
            rack_id: Some("r1".into()),
            generation_id: 3,
            ..Subscription::default()
        };
        let mut bytes = encode_subscription(&sub, 3).unwrap().to_vec();
        bytes[1] = 9; // a future version
        bytes.extend_from_slice(b"new fields");
        assert_eq!(decode_subscription(&Bytes::from(bytes)).unwrap(), sub);

        let assignment = Assignment {
            partitions: vec![TopicPartitions {
                topic: "t".into(),
                partitions: vec![2, 0],
            }],
            user_data: Some(Bytes::from_static(b"u")),
        };
        let mut bytes = encode_assignment(&assignment, 3).unwrap().to_vec();
        bytes[1] = 4;
        bytes.push(0xff);
        assert_eq!(decode_assignment(&Bytes::from(bytes)).unwrap(), assignment);
    }

    #[test]
    fn refuses_truncated_and_negative_versions() {
        assert!(decode_subscription(&Bytes::new()).is_err());
        assert!(decode_assignment(&Bytes::from_static(&[0])).is_err());
        assert!(decode_assignment(&Bytes::from_static(&[0xff, 0xff, 0, 0, 0, 0])).is_err());
        // Claims 5 topics, holds none.
        assert!(decode_subscription(&Bytes::from_static(&[0, 0, 0, 0, 0, 5])).is_err());
    }

    #[test]
    fn assignment_bytes_match_the_schema() {
        let a = Assignment {
            partitions: vec![TopicPartitions {
                topic: "t".into(),
                partitions: vec![1, 0],
            }],
            user_data: None,
        };
        let mut want = vec![0, 3];
        i32b(&mut want, 1);
        s(&mut want, "t");
        i32b(&mut want, 2);
        i32b(&mut want, 1);
        i32b(&mut want, 0);
        i32b(&mut want, -1);
        assert_eq!(&encode_assignment(&a, 3).unwrap()[..], &want[..]);
        // Versions 0..=3 of the assignment differ only in the prefix.
        for v in 0..3 {
            let bytes = encode_assignment(&a, v).unwrap();
            assert_eq!(&bytes[2..], &want[2..]);
            assert_eq!(decode_assignment(&bytes).unwrap(), a);
        }
    }

    fn topic() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9._-]{1,12}"
    }

    fn topic_partitions() -> impl Strategy<Value = Vec<TopicPartitions>> {
        proptest::collection::btree_map(
            topic(),
            proptest::collection::btree_set(0i32..1000, 1..6),
            0..4,
        )
        .prop_map(|m| {
            m.into_iter()
                .map(|(topic, partitions)| TopicPartitions {
                    topic,
                    partitions: partitions.into_iter().collect(),
                })
                .collect()
        })
    }

    fn user_data() -> impl Strategy<Value = Option<Bytes>> {
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..32).prop_map(Bytes::from))
    }

    proptest! {
        #[test]
        fn subscription_round_trips_at_every_version(
            topics in proptest::collection::btree_set(topic(), 0..6),
            user_data in user_data(),
            owned in topic_partitions(),
            generation_id in any::<i32>(),
            rack_id in proptest::option::of("[a-z0-9]{1,8}"),
            version in 0i16..=3,
        ) {
            let sub = Subscription {
                topics: topics.into_iter().collect(),
                user_data,
                owned_partitions: owned,
                generation_id,
                rack_id,
            };
            let back = decode_subscription(&encode_subscription(&sub, version).unwrap()).unwrap();
            prop_assert_eq!(&back.topics, &sub.topics);
            prop_assert_eq!(&back.user_data, &sub.user_data);
            if version >= 1 {
                prop_assert_eq!(&back.owned_partitions, &sub.owned_partitions);
            } else {
                prop_assert!(back.owned_partitions.is_empty());
            }
            prop_assert_eq!(back.generation_id, if version >= 2 { sub.generation_id } else { -1 });
            prop_assert_eq!(&back.rack_id, if version >= 3 { &sub.rack_id } else { &None });
        }

        #[test]
        fn assignment_round_trips_at_every_version(
            partitions in topic_partitions(),
            user_data in user_data(),
            version in 0i16..=3,
        ) {
            let a = Assignment { partitions, user_data };
            let back = decode_assignment(&encode_assignment(&a, version).unwrap()).unwrap();
            prop_assert_eq!(back, a);
        }

        #[test]
        fn decoding_agrees_with_kafka_protocol(
            partitions in topic_partitions(),
            user_data in user_data(),
            version in 0i16..=3,
        ) {
            use kafka_protocol::protocol::Decodable;
            let a = Assignment { partitions, user_data };
            let mut bytes = encode_assignment(&a, version).unwrap();
            let ours = decode_assignment(&bytes).unwrap();
            let _ = bytes.split_to(2);
            let theirs = ConsumerProtocolAssignment::decode(&mut bytes, version).unwrap();
            prop_assert_eq!(ours.partitions.len(), theirs.assigned_partitions.len());
            prop_assert_eq!(ours.user_data, theirs.user_data);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let bytes = Bytes::from(bytes);
            let _ = decode_subscription(&bytes);
            let _ = decode_assignment(&bytes);
        }
    }
}
