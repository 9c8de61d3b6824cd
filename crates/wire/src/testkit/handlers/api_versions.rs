//! ApiVersions (key 18): the API keys and version ranges the cluster serves.
//!
//! The table is the list of handlers (see `handlers::advertised`), so an API
//! is advertised exactly when it is served. A version above the supported
//! range gets `UNSUPPORTED_VERSION` with the table in a v0 body. From v3 the
//! client's software name and version must match Kafka's pattern
//! (`INVALID_REQUEST` otherwise).
//!
//! # References
//! - KIP-35 (ApiVersions), KIP-511 (client software name and version, v3)

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::VersionRange;

use super::{advertised, Ctx, Handler, Reply};
use crate::error::ResponseError;

impl Handler for ApiVersionsRequest {
    const ADVERTISED: VersionRange = VersionRange { min: 0, max: 4 };

    fn handle(self, ctx: &mut Ctx<'_>) -> Reply<ApiVersionsResponse> {
        if ctx.version >= 3
            && !(valid_software_field(self.client_software_name.as_str())
                && valid_software_field(self.client_software_version.as_str()))
        {
            return Reply::Now(
                ApiVersionsResponse::default()
                    .with_error_code(ResponseError::InvalidRequest.code()),
            );
        }
        Reply::Now(ApiVersionsResponse::default().with_api_keys(table()))
    }

    fn fail(&self, _ctx: &Ctx<'_>, code: i16) -> Reply<ApiVersionsResponse> {
        Reply::Now(
            ApiVersionsResponse::default()
                .with_error_code(code)
                .with_api_keys(table()),
        )
    }
}

/// Whether ApiVersions `version` is served.
pub(crate) fn supports(version: i16) -> bool {
    let r = <ApiVersionsRequest as Handler>::ADVERTISED;
    (r.min..=r.max).contains(&version)
}

/// The answer to an ApiVersions request of a version above the range.
pub(crate) fn unsupported() -> ApiVersionsResponse {
    ApiVersionsResponse::default()
        .with_error_code(ResponseError::UnsupportedVersion.code())
        .with_api_keys(table())
}

fn table() -> Vec<ApiVersion> {
    advertised()
        .into_iter()
        .map(|(key, range)| {
            ApiVersion::default()
                .with_api_key(key)
                .with_min_version(range.min)
                .with_max_version(range.max)
        })
        .collect()
}

/// KIP-511: `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn valid_software_field(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            edge(first)
                && edge(last)
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_names() {
        for ok in [
            "librdkafka",
            "2.16.0",
            "confluent-kafka-python",
            "a",
            "kafka-gateway",
        ] {
            assert!(valid_software_field(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "a_b", "é"] {
            assert!(!valid_software_field(bad), "{bad}");
        }
    }
}
