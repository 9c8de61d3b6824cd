//! v3 resource shapes: `kind`, `metadata` (`self` URL and `resource_name`
//! CRN) and `related` links, and list envelopes.
//!
//! URLs are absolute, built from the request's `scheme://host` (or
//! `advertised.listeners`) and the prefix the request used (`/v3` or
//! `/kafka/v3`), so links lead back to the same API form.
//!
//! # References
//! - Confluent REST Proxy API reference, v3 example responses

use serde_json::{json, Value};

/// Builds the links of one cluster's resources.
#[derive(Debug, Clone)]
pub struct Links {
    /// `scheme://host[:port]/v3` or `.../kafka/v3`.
    api_base: String,
    cluster_id: String,
}

impl Links {
    /// Links under `api_base` for `cluster_id`.
    pub fn new(api_base: String, cluster_id: String) -> Links {
        Links {
            api_base,
            cluster_id,
        }
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The absolute URL of `path` under the API base (`/clusters` ...).
    pub fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }

    /// The absolute URL of `path` under this cluster (`""` is the cluster).
    pub fn url(&self, path: &str) -> String {
        format!("{}/clusters/{}{path}", self.api_base, self.cluster_id)
    }

    /// `{"related": url(path)}`.
    pub fn related(&self, path: &str) -> Value {
        json!({ "related": self.url(path) })
    }

    /// The CRN of a resource: `crn:///kafka=<cluster>/<kind>=<name>/...`.
    pub fn crn(&self, parts: &[(&str, &str)]) -> String {
        let mut crn = format!("crn:///kafka={}", self.cluster_id);
        for (kind, name) in parts {
            crn.push('/');
            crn.push_str(kind);
            crn.push('=');
            crn.push_str(name);
        }
        crn
    }

    /// `{"self": url(path), "resource_name": crn(parts)}`.
    pub fn metadata(&self, path: &str, crn_parts: &[(&str, &str)]) -> Value {
        json!({ "self": self.url(path), "resource_name": self.crn(crn_parts) })
    }

    /// A list resource: `{"kind", "metadata": {"self", "next": null}, "data"}`.
    pub fn list(&self, kind: &str, path: &str, data: Vec<Value>) -> Value {
        json!({
            "kind": kind,
            "metadata": { "self": self.url(path), "next": null },
            "data": data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_names() {
        let links = Links::new("http://localhost:8082/kafka/v3".into(), "cluster-1".into());
        assert_eq!(
            links.url("/topics/t"),
            "http://localhost:8082/kafka/v3/clusters/cluster-1/topics/t"
        );
        assert_eq!(
            links.crn(&[("topic", "t"), ("partition", "0")]),
            "crn:///kafka=cluster-1/topic=t/partition=0"
        );
        assert_eq!(
            links.list("KafkaTopicList", "/topics", vec![]),
            json!({"kind": "KafkaTopicList",
                   "metadata": {"self": "http://localhost:8082/kafka/v3/clusters/cluster-1/topics", "next": null},
                   "data": []})
        );
    }
}
