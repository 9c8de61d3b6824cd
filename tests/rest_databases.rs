//! End-to-end tests of the managed-cloud topic API
//! (`POST /v2/databases/{database_cluster_uuid}/topics`) over HTTP, against
//! the real test broker and the in-process cluster.

use kafka_gateway_tests::backend::Backend;
use kafka_gateway_tests::spec::{shape_differences, success_examples};
use kafka_gateway_tests::unique_topic;
use serde_json::{json, Value};

const JSON: &str = "application/json";

fn topics_path(env: &Backend) -> String {
    format!("/v2/databases/{}/topics", env.cluster_id)
}

/// The reference's example, replayed with a fresh name and a replication
/// factor every test cluster can hold; the answer has the example's shape.
fn create_as_the_reference_shows(env: &Backend) {
    let gw = &env.gateway;
    let examples = success_examples("provider.topics.create");
    assert!(!examples.is_empty());
    for example in examples {
        let name = unique_topic("provider");
        let mut body: Value = example["request_body"].clone();
        body["name"] = json!(name);
        body["replication"] = json!(1);
        // The example's path names its own cluster; ours is the Kafka one.
        let path = example["path"]
            .as_str()
            .unwrap()
            .replace("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30", &env.cluster_id);
        let r = gw.post(&path, JSON, &body);
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("content-type"), Some(JSON));
        let ours = r.json();
        let mut expected = example["response_body"].clone();
        // The example's second partition shows `null` for a partition no
        // group has committed on, as for every partition of a new topic.
        expected["topic"]["partitions"][0]["consumer_groups"] = Value::Null;
        if env.in_process {
            // Settings Kafka 4.0 removed (the in-process cluster has its
            // topic configs): a setting the cluster does not report is left
            // out, not made up.
            let config = expected["topic"]["config"].as_object_mut().unwrap();
            for removed in [
                "message_down_conversion_enable",
                "message_format_version",
                "message_timestamp_difference_max_ms",
            ] {
                config.remove(removed);
            }
        } else {
            // The test broker describes only the configs set explicitly.
            expected["topic"]["config"] = json!({"retention_bytes": -1, "retention_ms": 100000});
        }
        let differences = shape_differences(&ours, &expected);
        assert!(differences.is_empty(), "{differences:#?}\n{ours:#}");
        let topic = &ours["topic"];
        assert_eq!(topic["name"], name);
        assert_eq!(topic["state"], "active");
        assert_eq!(topic["replication_factor"], 1);
        assert_eq!(topic["config"]["retention_ms"], 100_000);
        assert_eq!(topic["config"]["retention_bytes"], -1);
        let partitions = topic["partitions"].as_array().unwrap();
        assert_eq!(partitions.len(), 3);
        for (i, p) in partitions.iter().enumerate() {
            assert_eq!(p["id"], i);
            assert_eq!(p["in_sync_replicas"], 1);
            assert_eq!(p["earliest_offset"], 0);
            assert_eq!(p["size"], 0);
            assert_eq!(p["consumer_groups"], Value::Null);
        }
        // The topic exists in Kafka, with its settings.
        let v3 = format!("/v3/clusters/{}/topics/{name}", env.cluster_id);
        let described = gw.get(&v3).json();
        assert_eq!(described["partitions_count"], 3);
        assert_eq!(described["replication_factor"], 1);
        let retention = gw.get(&format!("{v3}/configs/retention.ms")).json();
        assert_eq!(retention["value"], "100000");
    }
}

/// The parameter names (`partition_count`, `replication_factor`) and
/// settings given in this API's words reach Kafka in its own.
fn settings_in_the_api_words(env: &Backend) {
    let gw = &env.gateway;
    let name = unique_topic("provider-settings");
    let r = gw.post(
        &topics_path(env),
        JSON,
        &json!({
            "name": name,
            "partition_count": 2,
            "replication_factor": 1,
            "config": {
                "cleanup_policy": "compact_delete",
                "compression_type": "zstd",
                "message_timestamp_type": "log_append_time",
                "min_cleanable_dirty_ratio": 0.25,
                "preallocate": false,
                "max_message_bytes": 2_000_000,
            }
        }),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let topic = r.json()["topic"].clone();
    assert_eq!(topic["partitions"].as_array().unwrap().len(), 2);
    let config = &topic["config"];
    assert_eq!(config["cleanup_policy"], "compact_delete");
    assert_eq!(config["compression_type"], "zstd");
    assert_eq!(config["message_timestamp_type"], "log_append_time");
    assert_eq!(config["min_cleanable_dirty_ratio"], 0.25);
    assert_eq!(config["preallocate"], false);
    assert_eq!(config["max_message_bytes"], 2_000_000);
    let configs = format!("/v3/clusters/{}/topics/{name}/configs", env.cluster_id);
    for (kafka, value) in [
        ("cleanup.policy", "compact,delete"),
        ("compression.type", "zstd"),
        ("message.timestamp.type", "LogAppendTime"),
        ("max.message.bytes", "2000000"),
    ] {
        let got = gw.get(&format!("{configs}/{kafka}")).json();
        assert_eq!(
            got["value"].as_str().map(|v| v.replace(' ', "")),
            Some(value.into())
        );
    }
}

/// Every mistake gets this API's error body with the right status.
fn errors_in_the_api_format(env: &Backend) {
    let gw = &env.gateway;
    let path = topics_path(env);
    let error = |r: kafka_gateway_tests::gateway::HttpResponse, status: u16, id: &str| {
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        let body = r.json();
        assert_eq!(body["id"], id, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        body
    };
    // Another cluster: the reference's 404, word for word.
    let other = gw.post(
        "/v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30/topics",
        JSON,
        &json!({"name": "x"}),
    );
    let body = error(other, 404, "not_found");
    assert_eq!(
        body,
        json!({"id": "not_found", "message": "The resource you requested could not be found."})
    );
    error(gw.get(&path), 405, "method_not_allowed");
    // Bodies that cannot be read: 400.
    let raw = |body: &str| {
        gw.request(
            "POST",
            &path,
            &[("Content-Type", JSON)],
            Some(body.as_bytes()),
        )
    };
    error(raw("{\"name\": "), 400, "bad_request");
    error(raw("[{\"name\": \"x\"}]"), 400, "bad_request");
    error(raw(""), 400, "bad_request");
    let text = gw.request(
        "POST",
        &path,
        &[("Content-Type", "text/plain")],
        Some(b"{}"),
    );
    error(text, 415, "unsupported_media_type");
    // Bodies that ask for something invalid: 422.
    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": 5}),
        json!({"name": "x", "partition_count": 0}),
        json!({"name": "x", "partition_count": 2, "partitions": 3}),
        json!({"name": "x", "replication_factor": "two"}),
        json!({"name": "x", "config": {"retention_ms": "forever"}}),
        json!({"name": "x", "config": {"min_cleanable_dirty_ratio": 2}}),
        json!({"name": "x", "config": {"cleanup_policy": "archive"}}),
        json!({"name": "x", "config": {"retention.ms": 1000}}),
        json!({"name": "x", "config": []}),
        json!({"name": "x", "partitions_count": 2}),
        json!({"name": "bad/name", "replication_factor": 1}),
        json!({"name": "..", "replication_factor": 1}),
        json!({"name": "x".repeat(250), "replication_factor": 1}),
    ] {
        error(gw.post(&path, JSON, &body), 422, "unprocessable_entity");
    }
    // A topic that exists: 409.
    let name = unique_topic("provider-twice");
    let first = gw.post(&path, JSON, &json!({"name": name, "replication_factor": 1}));
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let again = gw.post(&path, JSON, &json!({"name": name, "replication_factor": 1}));
    error(again, 409, "conflict");
}

kafka_gateway_tests::both_backends!(
    create_as_the_reference_shows,
    settings_in_the_api_words,
    errors_in_the_api_format,
);
