//! DescribeLogDirs (key 35): a broker's log directories with, per replica it
//! holds, the size on disk and how far it lags behind the leader (or a
//! future replica being moved between directories). Sent to the broker
//! whose directories are wanted.
//!
//! Versions: 1..=4. v3 adds a top-level error code, v4 the directories'
//! total and usable bytes.
//!
//! # References
//! - KIP-113 (DescribeLogDirs), KIP-827 (total and usable bytes, v4)

use kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
use kafka_protocol::messages::{DescribeLogDirsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{api, group_by_topic};

api!(DescribeLogDirsRequest, "DescribeLogDirs", 1..=4);

/// A request for the replicas of the `(topic, partition)` pairs given, or of
/// every partition when `None`.
pub fn request<'a>(
    partitions: Option<impl IntoIterator<Item = (&'a str, i32)>>,
) -> DescribeLogDirsRequest {
    let topics = partitions.map(|partitions| {
        group_by_topic(partitions)
            .into_iter()
            .map(|(topic, indexes)| {
                DescribableLogDirTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.to_owned())))
                    .with_partitions(indexes)
            })
            .collect()
    });
    DescribeLogDirsRequest::default().with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn request_round_trips_at_every_version() {
        for r in [
            request(Some([("t", 0), ("u", 2)])),
            request(None::<Vec<(&str, i32)>>),
        ] {
            for v in 1..=4 {
                let mut buf = bytes::BytesMut::new();
                r.encode(&mut buf, v).expect("encodes");
                let back = DescribeLogDirsRequest::decode(&mut buf.freeze(), v).expect("decodes");
                assert_eq!(back, r, "v{v}");
            }
        }
    }
}
