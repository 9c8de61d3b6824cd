//! ApiVersions (key 18): the first request on every connection; tells which
//! versions of each API the broker speaks.
//!
//! A broker that does not speak the requested ApiVersions version answers
//! with `UNSUPPORTED_VERSION` in a v0 body listing its own ranges, so the
//! handshake retries once with v0.
//!
//! # References
//! - KIP-35 (ApiVersions), KIP-511 (client software name/version in v3)

use std::collections::HashMap;

use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::{Message, StrBytes, VersionRange};

use super::{api, Api};

api!(ApiVersionsRequest, "ApiVersions", 0..=3);

/// The request this client sends, naming itself as KIP-511 asks.
pub fn request() -> ApiVersionsRequest {
    ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("kafka-gateway"))
        .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")))
}

/// The broker's version range for each API key.
#[derive(Debug, Clone, Default)]
pub struct ApiVersionTable {
    ranges: HashMap<i16, VersionRange>,
}

impl ApiVersionTable {
    /// Reads the table from an ApiVersions response.
    pub fn from_response(response: &ApiVersionsResponse) -> Self {
        let ranges = response
            .api_keys
            .iter()
            .map(|k| {
                (
                    k.api_key,
                    VersionRange {
                        min: k.min_version,
                        max: k.max_version,
                    },
                )
            })
            .collect();
        ApiVersionTable { ranges }
    }

    /// A table claiming the given ranges (for tests and in-process peers).
    pub fn from_ranges(ranges: impl IntoIterator<Item = (i16, VersionRange)>) -> Self {
        ApiVersionTable {
            ranges: ranges.into_iter().collect(),
        }
    }

    /// The broker's range for an API key, if it speaks it at all.
    pub fn range(&self, api_key: i16) -> Option<VersionRange> {
        self.ranges.get(&api_key).copied()
    }

    /// The highest version of `R` that this client, the `kafka-protocol`
    /// message types and the broker all support.
    pub fn negotiate<R: Api>(&self) -> Option<i16> {
        let broker = self.range(R::KEY)?;
        let both = R::CLIENT_VERSIONS
            .intersect(&<R as Message>::VERSIONS)
            .intersect(&broker);
        (!both.is_empty()).then_some(both.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::ProduceRequest;

    #[test]
    fn negotiates_highest_common_version() {
        let table = ApiVersionTable::from_ranges([(0, VersionRange { min: 0, max: 9 })]);
        assert_eq!(table.negotiate::<ProduceRequest>(), Some(9));
        let table = ApiVersionTable::from_ranges([(0, VersionRange { min: 0, max: 99 })]);
        assert_eq!(
            table.negotiate::<ProduceRequest>(),
            Some(<ProduceRequest as Api>::CLIENT_VERSIONS.max)
        );
        let table = ApiVersionTable::from_ranges([(0, VersionRange { min: 0, max: 2 })]);
        assert_eq!(table.negotiate::<ProduceRequest>(), None);
        assert_eq!(
            ApiVersionTable::default().negotiate::<ProduceRequest>(),
            None
        );
    }
}
