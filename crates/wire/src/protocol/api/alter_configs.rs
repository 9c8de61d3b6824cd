//! AlterConfigs (key 33): replaces all dynamic configs of a resource with the
//! set given; configs left out go back to their defaults. Used only as the
//! fallback for brokers without IncrementalAlterConfigs. Broker loggers
//! cannot be changed this way.
//!
//! Versions: 0..=2 (v2 is flexible).
//!
//! # References
//! - KIP-133 (AlterConfigs), KIP-339 (why it is superseded)

use kafka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
use kafka_protocol::messages::AlterConfigsRequest;
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(AlterConfigsRequest, "AlterConfigs", 0..=2);

/// One resource with the complete set of its dynamic configs.
pub fn resource<'a>(
    resource_type: i8,
    name: &str,
    configs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> AlterConfigsResource {
    AlterConfigsResource::default()
        .with_resource_type(resource_type)
        .with_resource_name(StrBytes::from_string(name.to_owned()))
        .with_configs(
            configs
                .into_iter()
                .map(|(name, value)| {
                    AlterableConfig::default()
                        .with_name(StrBytes::from_string(name.to_owned()))
                        .with_value(value.map(|v| StrBytes::from_string(v.to_owned())))
                })
                .collect(),
        )
}

/// A request for `resources`.
pub fn request(resources: Vec<AlterConfigsResource>, validate_only: bool) -> AlterConfigsRequest {
    AlterConfigsRequest::default()
        .with_resources(resources)
        .with_validate_only(validate_only)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::{Decodable, Encodable};

    #[test]
    fn request_round_trips_at_every_version() {
        let r = request(
            vec![resource(4, "1", [("log.cleaner.threads", Some("2"))])],
            false,
        );
        for v in 0..=2 {
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
            let back = AlterConfigsRequest::decode(&mut buf.freeze(), v).expect("decodes");
            assert_eq!(back, r, "v{v}");
        }
    }
}
