//! `--dev`: the gateway in front of an in-process development cluster
//! (`wire::testkit`), so the REST API can be tried with one command and no
//! Kafka installed. The cluster keeps everything in memory and is a
//! development tool, not a storage engine.

use wire::testkit::{Cluster, ClusterConfig};

/// Starts a development cluster of `brokers` brokers on free loopback
/// ports, with topics of 1 partition unless asked otherwise and automatic
/// topic creation off (as in Kafka's recommended settings).
pub async fn start(brokers: usize) -> std::io::Result<Cluster> {
    Cluster::start(ClusterConfig {
        brokers,
        cluster_id: "kafka-gateway-dev".to_owned(),
        ..ClusterConfig::default()
    })
    .await
}

/// The cluster's brokers as `bootstrap.servers` pairs.
pub fn bootstrap_pairs(cluster: &Cluster) -> Vec<(String, u16)> {
    cluster
        .bootstrap()
        .split(',')
        .filter_map(|addr| {
            let (host, port) = addr.rsplit_once(':')?;
            Some((host.to_owned(), port.parse().ok()?))
        })
        .collect()
}
