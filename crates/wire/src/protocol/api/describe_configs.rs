//! DescribeConfigs (key 32): the configs of topics, brokers and broker
//! loggers, with their sources, synonyms, types and documentation.
//!
//! A broker's (or broker logger's) configs must be asked of that broker;
//! topic configs and the cluster-wide broker defaults (resource name `""`)
//! of any broker.
//!
//! Versions: 1..=4. v1 adds config sources and synonyms, v3 config types
//! and documentation (`include_documentation` must stay false before v3),
//! v4 is flexible.
//!
//! # References
//! - KIP-133 (DescribeConfigs), KIP-226 (sources and synonyms, v1),
//!   KIP-569 (types and documentation, v3)

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::DescribeConfigsRequest;
use kafka_protocol::protocol::StrBytes;

use super::api;

api!(DescribeConfigsRequest, "DescribeConfigs", 1..=4);

/// The first version that reports config types and documentation.
pub const DOCUMENTATION_VERSION: i16 = 3;

/// One resource: its type code, name, and the config names wanted (`None`
/// for all of them).
pub fn resource(
    resource_type: i8,
    name: &str,
    names: Option<&[String]>,
) -> DescribeConfigsResource {
    DescribeConfigsResource::default()
        .with_resource_type(resource_type)
        .with_resource_name(StrBytes::from_string(name.to_owned()))
        .with_configuration_keys(
            names.map(|n| n.iter().map(|k| StrBytes::from_string(k.clone())).collect()),
        )
}

/// A request for `resources`, shaped for `version` (documentation is only
/// asked for from v3).
pub fn request(
    resources: Vec<DescribeConfigsResource>,
    include_synonyms: bool,
    include_documentation: bool,
    version: i16,
) -> DescribeConfigsRequest {
    DescribeConfigsRequest::default()
        .with_resources(resources)
        .with_include_synonyms(include_synonyms)
        .with_include_documentation(include_documentation && version >= DOCUMENTATION_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::Encodable;

    #[test]
    fn documentation_is_only_asked_for_from_v3() {
        let names = vec!["retention.ms".to_owned()];
        for v in 1..=4 {
            let r = request(vec![resource(2, "t", Some(&names))], true, true, v);
            assert_eq!(r.include_documentation, v >= 3);
            let mut buf = bytes::BytesMut::new();
            r.encode(&mut buf, v).expect("encodes");
        }
        let all = resource(4, "1", None);
        assert!(all.configuration_keys.is_none());
    }
}
