//! A broker's log directories: per directory its path, state and (v4+)
//! total and usable bytes, and per replica it holds the size on disk and how
//! far it lags behind its partition's high watermark (or, for a future
//! replica being moved between directories, behind the current one).
//!
//! # References
//! - KIP-113 (DescribeLogDirs), KIP-827 (total and usable bytes, v4)

use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};

use super::{accept, Admin, Target};
use crate::cluster::TopicPartition;
use crate::error::{Error, ResponseError, Result};
use crate::protocol::api::describe_log_dirs;

/// One replica in a log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaLogInfo {
    /// The replica's partition.
    pub partition: TopicPartition,
    /// Size of its log segments, in bytes.
    pub size: i64,
    /// Its lag behind the high watermark (or, for a future replica, behind
    /// the current replica's log end offset).
    pub offset_lag: i64,
    /// Whether it is the future replica of a move between directories.
    pub is_future: bool,
}

/// One log directory of a broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDir {
    /// The directory's path on the broker.
    pub path: String,
    /// Its error (KAFKA_STORAGE_ERROR for an offline directory), if any.
    pub error: Option<ResponseError>,
    /// Size of the volume, when reported (v4+).
    pub total_bytes: Option<i64>,
    /// Bytes free on the volume, when reported (v4+).
    pub usable_bytes: Option<i64>,
    /// The replicas in it.
    pub replicas: Vec<ReplicaLogInfo>,
}

/// Reads a DescribeLogDirs response of broker `broker`.
pub(crate) fn log_dirs(broker: i32, response: DescribeLogDirsResponse) -> Result<Vec<LogDir>> {
    if let Some(code) = ResponseError::try_from_code(response.error_code) {
        return Err(Error::resource(
            code,
            "DescribeLogDirs",
            format!("broker {broker}"),
            None,
        ));
    }
    Ok(response
        .results
        .into_iter()
        .map(|dir| LogDir {
            path: dir.log_dir.to_string(),
            error: ResponseError::try_from_code(dir.error_code),
            total_bytes: (dir.total_bytes >= 0).then_some(dir.total_bytes),
            usable_bytes: (dir.usable_bytes >= 0).then_some(dir.usable_bytes),
            replicas: dir
                .topics
                .into_iter()
                .flat_map(|t| {
                    let topic = t.name.0.to_string();
                    t.partitions.into_iter().map(move |p| ReplicaLogInfo {
                        partition: TopicPartition::new(topic.clone(), p.partition_index),
                        size: p.partition_size,
                        offset_lag: p.offset_lag,
                        is_future: p.is_future_key,
                    })
                })
                .collect(),
        })
        .collect())
}

impl Admin {
    /// Broker `broker`'s log directories with the replicas of `partitions`
    /// (all replicas when `None`).
    pub async fn describe_log_dirs(
        &self,
        broker: i32,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<Vec<LogDir>> {
        let (response, _) = self
            .call::<DescribeLogDirsRequest, _, _>(
                Target::Broker(broker),
                |_| {
                    Ok(describe_log_dirs::request(partitions.map(|ps| {
                        ps.iter().map(|tp| (tp.topic.as_str(), tp.partition))
                    })))
                },
                accept,
            )
            .await?;
        log_dirs(broker, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::describe_log_dirs_response::{
        DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
    };
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn reads_directories_and_replicas() {
        let response = DescribeLogDirsResponse::default().with_results(vec![
            DescribeLogDirsResult::default()
                .with_log_dir(StrBytes::from_static_str("/data/a"))
                .with_total_bytes(1000)
                .with_usable_bytes(400)
                .with_topics(vec![DescribeLogDirsTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(vec![
                        DescribeLogDirsPartition::default()
                            .with_partition_index(0)
                            .with_partition_size(512)
                            .with_offset_lag(3),
                        DescribeLogDirsPartition::default()
                            .with_partition_index(1)
                            .with_partition_size(7)
                            .with_is_future_key(true),
                    ])]),
            DescribeLogDirsResult::default()
                .with_log_dir(StrBytes::from_static_str("/data/b"))
                .with_error_code(56)
                .with_total_bytes(-1)
                .with_usable_bytes(-1),
        ]);
        let dirs = log_dirs(1, response).expect("dirs");
        assert_eq!(
            dirs[0],
            LogDir {
                path: "/data/a".into(),
                error: None,
                total_bytes: Some(1000),
                usable_bytes: Some(400),
                replicas: vec![
                    ReplicaLogInfo {
                        partition: TopicPartition::new("t", 0),
                        size: 512,
                        offset_lag: 3,
                        is_future: false,
                    },
                    ReplicaLogInfo {
                        partition: TopicPartition::new("t", 1),
                        size: 7,
                        offset_lag: 0,
                        is_future: true,
                    },
                ],
            }
        );
        assert_eq!(dirs[1].error, Some(ResponseError::KafkaStorageError));
        assert_eq!((dirs[1].total_bytes, dirs[1].usable_bytes), (None, None));
        let e = log_dirs(3, DescribeLogDirsResponse::default().with_error_code(31)).unwrap_err();
        assert!(matches!(&e, Error::Resource { resource, .. } if resource == "broker 3"));
    }
}
