//! DescribeLogDirs (key 35): the answering broker's one log directory
//! (`memory:/broker-<id>`, as `log.dirs` reports) with the replicas it holds
//! and their sizes (bytes of the stored batches). Every broker holds its
//! replicas' full logs, so the offset lag is 0. Volume sizes (v4) are
//! unknown (-1).
//!
//! # References
//! - KIP-113, KIP-827 (volume sizes, v4)

use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{str_bytes, topic_name, Ctx, Handler, Reply};

impl Handler for DescribeLogDirsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 1, max: 4 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<DescribeLogDirsResponse> {
        let broker = ctx.broker;
        let topics = ctx
            .state
            .topics
            .values()
            .filter_map(|t| {
                let asked = match &self.topics {
                    None => None,
                    Some(list) => Some(
                        list.iter()
                            .find(|a| a.topic.0.as_str() == t.name)?
                            .partitions
                            .clone(),
                    ),
                };
                let partitions: Vec<DescribeLogDirsPartition> = t
                    .partitions
                    .iter()
                    .enumerate()
                    .filter(|(i, p)| {
                        p.replicas.contains(&broker)
                            && asked.as_ref().is_none_or(|a| a.contains(&(*i as i32)))
                    })
                    .map(|(i, p)| {
                        DescribeLogDirsPartition::default()
                            .with_partition_index(i as i32)
                            .with_partition_size(p.log.size_bytes())
                    })
                    .collect();
                (!partitions.is_empty()).then(|| {
                    DescribeLogDirsTopic::default()
                        .with_name(topic_name(&t.name))
                        .with_partitions(partitions)
                })
            })
            .collect();
        let mut dir = DescribeLogDirsResult::default()
            .with_log_dir(str_bytes(format!("memory:/broker-{broker}")))
            .with_topics(topics);
        if ctx.version >= 4 {
            dir.total_bytes = -1;
            dir.usable_bytes = -1;
        }
        Reply::Now(DescribeLogDirsResponse::default().with_results(vec![dir]))
    }

    fn fail(&self, ctx: &Ctx<'_>, code: i16) -> Reply<DescribeLogDirsResponse> {
        let mut response = DescribeLogDirsResponse::default();
        if ctx.version >= 3 {
            response.error_code = code;
        } else {
            response.results = vec![DescribeLogDirsResult::default()
                .with_error_code(code)
                .with_log_dir(str_bytes(format!("memory:/broker-{}", ctx.broker)))];
        }
        Reply::Now(response)
    }
}
