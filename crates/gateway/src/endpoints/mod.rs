//! `api.endpoints.allowlist` / `api.endpoints.blocklist`: which REST
//! endpoints are served, by the API identifiers of the reference
//! (`api.v3.topics.list`, ...; a trailing `*` matches every identifier
//! with that prefix, as in `api.v3.acls.*`).
//!
//! An endpoint is served when the allowlist is empty or names one of its
//! identifiers, and the blocklist does not name all of them (the produce
//! endpoints have one identifier per embedded format). Endpoints that are
//! not served answer 404, as the reference describes.
//!
//! # References
//! - Confluent REST Proxy API reference, "Accesslists" and the list of API
//!   identifiers

mod table;

use table::ENDPOINTS;

/// The configured access lists.
#[derive(Debug, Clone, Default)]
pub struct AccessList {
    allow: Vec<String>,
    block: Vec<String>,
}

impl AccessList {
    /// Access lists from `api.endpoints.allowlist` and `...blocklist`.
    pub fn new(allow: &[String], block: &[String]) -> AccessList {
        AccessList {
            allow: allow.to_vec(),
            block: block.to_vec(),
        }
    }

    /// Whether the endpoint at `method` + `segments` (decoded path
    /// segments) is served.
    pub fn permits(&self, method: &str, segments: &[String]) -> bool {
        if self.allow.is_empty() && self.block.is_empty() {
            return true;
        }
        let ids = identifiers(method, segments);
        if ids.is_empty() {
            return true;
        }
        let named = |list: &[String], id: &str| list.iter().any(|p| pattern_matches(p, id));
        let allowed = self.allow.is_empty() || ids.iter().any(|id| named(&self.allow, id));
        let blocked = !self.block.is_empty() && ids.iter().all(|id| named(&self.block, id));
        allowed && !blocked
    }
}

/// Whether an access-list entry names `id`.
fn pattern_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// The identifiers of the most specific endpoint template matching the
/// request (`/kafka/v3/...` is matched as `/v3/...`).
pub fn identifiers(method: &str, segments: &[String]) -> Vec<&'static str> {
    let segments: Vec<&str> = match segments {
        [k, v, rest @ ..] if k == "kafka" && v == "v3" => std::iter::once("v3")
            .chain(rest.iter().map(String::as_str))
            .collect(),
        _ => segments.iter().map(String::as_str).collect(),
    };
    let matches: Vec<(usize, &'static str, &'static str)> = ENDPOINTS
        .iter()
        .filter(|(m, _, _)| m.eq_ignore_ascii_case(method))
        .filter_map(|&(_, template, id)| {
            template_matches(template, &segments).map(|literals| (literals, template, id))
        })
        .collect();
    let Some(&(_, best, _)) = matches.iter().max_by_key(|(literals, _, _)| *literals) else {
        return Vec::new();
    };
    matches
        .iter()
        .filter(|(_, template, _)| *template == best)
        .map(|&(_, _, id)| id)
        .collect()
}

/// The number of literal segments if `template` matches `segments`.
fn template_matches(template: &str, segments: &[&str]) -> Option<usize> {
    let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut literals = 0;
    for (part, segment) in parts.iter().zip(segments) {
        if let Some(rest) = part.strip_prefix('{') {
            let suffix = rest.split_once('}').map_or("", |(_, s)| s);
            if segment.len() <= suffix.len() || !segment.ends_with(suffix) {
                return None;
            }
        } else if part == segment {
            literals += 1;
        } else {
            return None;
        }
    }
    Some(literals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn identifiers_of_paths() {
        assert_eq!(identifiers("GET", &segs("/topics")), ["api.v2.topics.list"]);
        assert_eq!(
            identifiers("GET", &segs("/v3/clusters/c/topics/-/configs")),
            ["api.v3.topic-configs.list"]
        );
        assert_eq!(
            identifiers("GET", &segs("/kafka/v3/clusters/c/topics/t/configs")),
            ["api.v3.topic-configs.list"]
        );
        assert_eq!(
            identifiers(
                "GET",
                &segs("/v3/clusters/c/topics/-/partitions/-/replica-status")
            ),
            ["api.v3.topics.replica-statuses.list-all"]
        );
        assert!(identifiers("POST", &segs("/topics/t")).len() > 1);
        assert!(identifiers("GET", &segs("/no/such/thing")).is_empty());
    }

    #[test]
    fn allow_and_block() {
        let list = |a: &[&str], b: &[&str]| {
            AccessList::new(
                &a.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &b.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        let acls = segs("/v3/clusters/c/acls");
        let topics = segs("/v3/clusters/c/topics");
        assert!(list(&[], &[]).permits("GET", &acls));
        assert!(!list(&[], &["api.v3.acls.*"]).permits("GET", &acls));
        assert!(list(&[], &["api.v3.acls.*"]).permits("GET", &topics));
        assert!(!list(&["api.v3.topics.list"], &[]).permits("GET", &acls));
        assert!(list(&["api.v3.topics.list"], &[]).permits("GET", &topics));
        // Blocking one format of produce leaves the others served.
        assert!(list(&[], &["api.v2.produce-to-topic.avro"]).permits("POST", &segs("/topics/t")));
        assert!(!list(&[], &["api.v2.produce-to-topic.*"]).permits("POST", &segs("/topics/t")));
    }
}
