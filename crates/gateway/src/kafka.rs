//! From the gateway's configuration to `wire` client settings.

use crate::config::{ClientRole, Config};

/// `producer.batch.size` when it is not set.
pub const DEFAULT_PRODUCER_BATCH_SIZE: usize = 256 * 1024;

/// The `wire` client configuration for `role`: `bootstrap.servers`, then the
/// `client.*` properties with the role's own (`producer.*`, ...) on top.
pub fn client_config(config: &Config, role: ClientRole) -> Result<wire::ClientConfig, wire::Error> {
    let properties = config.kafka_client_properties(role);
    let mut client = wire::ClientConfig::from_properties(
        properties.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    if role == ClientRole::Producer && !properties.contains_key("batch.size") {
        // A proxy batches many clients' records: larger batches than the Java
        // client's 16 KiB default cost little memory and save much CPU.
        client.producer.batch_size = DEFAULT_PRODUCER_BATCH_SIZE;
    }
    if !properties.contains_key("bootstrap.servers") {
        client.bootstrap_servers = config
            .bootstrap_servers
            .iter()
            .map(|b| (b.host.clone(), b.port))
            .collect();
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_args, Config};

    fn load(args: &[&str]) -> Config {
        let cli = parse_args(args.iter().map(std::ffi::OsString::from)).unwrap();
        Config::load(&cli, std::iter::empty()).unwrap().config
    }

    #[test]
    fn producer_settings_reach_the_client() {
        let config = load(&[
            "--bootstrap.servers=127.0.0.1:9092",
            "--client.client.id=gw",
            "--producer.linger.ms=9",
            "--producer.compression.type=lz4",
        ]);
        let client = client_config(&config, ClientRole::Producer).unwrap();
        assert_eq!(
            client.bootstrap_servers,
            vec![("127.0.0.1".to_owned(), 9092)]
        );
        assert_eq!(client.producer.linger.as_millis(), 9);
        assert_eq!(client.producer.compression, wire::Compression::Lz4);
        assert_eq!(client.producer.batch_size, DEFAULT_PRODUCER_BATCH_SIZE);
        let config = load(&[
            "--bootstrap.servers=127.0.0.1:9092",
            "--producer.batch.size=1000",
        ]);
        let client = client_config(&config, ClientRole::Producer).unwrap();
        assert_eq!(client.producer.batch_size, 1000);
    }

    #[test]
    fn bad_client_settings_are_errors() {
        let config = load(&["--bootstrap.servers=127.0.0.1:9092", "--producer.acks=2"]);
        assert!(client_config(&config, ClientRole::Producer).is_err());
        let config = load(&[
            "--bootstrap.servers=127.0.0.1:9092",
            "--client.security.protocol=SASL_SSL",
        ]);
        assert!(client_config(&config, ClientRole::Producer).is_err());
    }
}
