//! IncrementalAlterConfigs (key 44): changes single configs of a resource
//! (SET, DELETE, APPEND to or SUBTRACT from a list) and leaves the others
//! alone. A broker's (or broker logger's) configs are changed through that
//! broker; topic configs and the cluster-wide broker defaults through any.
//!
//! Brokers that lack it (before Kafka 2.3) only have AlterConfigs, which
//! replaces all of a resource's dynamic configs at once.
//!
//! Versions: 0..=1 (v1 is flexible).
//!
//! # References
//! - KIP-339 (IncrementalAlterConfigs)

use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::IncrementalAlterConfigsRequest;
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(
    IncrementalAlterConfigsRequest,
    "IncrementalAlterConfigs",
    0..=1
);

/// One resource with its operations: `(config name, operation code, value)`.
pub fn resource<'a>(
    resource_type: i8,
    name: &str,
    ops: impl IntoIterator<Item = (&'a str, i8, Option<&'a str>)>,
) -> AlterConfigsResource {
    AlterConfigsResource::default()
        .with_resource_type(resource_type)
        .with_resource_name(StrBytes::from_string(name.to_owned()))
        .with_configs(
            ops.into_iter()
                .map(|(name, op, value)| {
                    AlterableConfig::default()
                        .with_name(StrBytes::from_string(name.to_owned()))
                        .with_config_operation(op)
                        .with_value(value.map(|v| StrBytes::from_string(v.to_owned())))
                })
                .collect(),
        )
}

/// A request for `resources`.
pub fn request(
    resources: Vec<AlterConfigsResource>,
    validate_only: bool,
) -> IncrementalAlterConfigsRequest {
    IncrementalAlterConfigsRequest::default()
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
            vec![resource(
                2,
                "t",
                [
                    ("retention.ms", 0, Some("1000")),
                    ("cleanup.policy", 1, None),
                ],
            )],
            true,
        );
        for v in 0..=1 {
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
            let back =
                IncrementalAlterConfigsRequest::decode(&mut buf.freeze(), v).expect("decodes");
            assert_eq!(back, r, "v{v}");
        }
        assert_eq!(r.resources[0].configs[1].config_operation, 1);
        assert!(r.resources[0].configs[1].value.is_none());
    }
}
