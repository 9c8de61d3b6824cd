//! Runs an in-process Kafka-compatible cluster until its standard input
//! ends (or a line is entered), printing its bootstrap servers:
//! `cargo run -p kafka-wire --example testkit_cluster [brokers]`. Handy to
//! point any Kafka client at while developing.

use wire::testkit::{Cluster, ClusterConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let brokers = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let cluster = Cluster::start(ClusterConfig {
        brokers,
        auto_create_topics: true,
        ..ClusterConfig::default()
    })
    .await?;
    println!("{}", cluster.bootstrap());
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    cluster.shutdown().await;
    Ok(())
}
