//! End-to-end tests of the REST v3 admin endpoints (topics create, update
//! and delete; topic, broker and cluster configs; ACLs; partition
//! reassignments; broker removal) over HTTP, against the real test broker
//! and the in-process cluster, replaying the spec's example requests.
//!
//! The real test broker (Tansu) lacks CreatePartitions, AlterConfigs,
//! DeleteAcls, the reassignment changes and UnregisterBroker, reports only
//! explicitly set topic configs, and creates topics even in a dry run
//! (`docs/testing.md`); the tests assert the documented answer there (400 /
//! 40035 for a missing API). Error codes that need a misbehaving cluster
//! (40301, 50003) come from the in-process cluster's fault injection.

use std::sync::OnceLock;

use kafka_gateway_tests::backend::Backend;
use kafka_gateway_tests::gateway::{HttpResponse, TestGateway};
use kafka_gateway_tests::spec::{fill, shape_differences, success_examples};
use kafka_gateway_tests::unique_topic;
use serde_json::{json, Value};

/// `{prefix}/clusters/{id}`.
fn base(env: &Backend, prefix: &str) -> String {
    format!("{prefix}/clusters/{}", env.cluster_id)
}

/// A request with a JSON body.
fn send(env: &Backend, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
    send_to(&env.gateway, method, path, body)
}

/// A request with a JSON body to `gateway`.
fn send_to(gateway: &TestGateway, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
    let bytes = body.map(|b| b.to_string().into_bytes());
    let headers: &[(&str, &str)] = if body.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    gateway.request(method, path, headers, bytes.as_deref())
}

/// `GET` with `Accept: application/json`.
fn get(env: &Backend, path: &str) -> HttpResponse {
    env.gateway
        .request("GET", path, &[("Accept", "application/json")], None)
}

/// Asserts a 204 with an empty body.
fn assert_no_content(r: &HttpResponse, what: &str) {
    assert_eq!(
        r.status,
        204,
        "{what}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(r.body.is_empty(), "{what}");
}

/// Replays the success examples of `endpoint` under `/v3` and `/kafka/v3`
/// (placeholders from `values`, request bodies through `body`), checks each
/// status and the response's fields against the example, and returns the
/// responses.
fn replay(
    env: &Backend,
    endpoint: &str,
    values: &[(&str, &str)],
    body: &mut dyn FnMut(&Value) -> Value,
) -> Vec<HttpResponse> {
    let examples = success_examples(endpoint);
    assert!(!examples.is_empty(), "{endpoint} has no example");
    let mut out = Vec::new();
    for example in examples.iter().filter(|e| e["status"].is_u64()) {
        for prefix in ["/v3", "/kafka/v3"] {
            out.push(replay_one(env, example, prefix, values, body));
        }
    }
    out
}

/// Replays one example under `prefix`; see [`replay`].
fn replay_one(
    env: &Backend,
    example: &Value,
    prefix: &str,
    values: &[(&str, &str)],
    body: &mut dyn FnMut(&Value) -> Value,
) -> HttpResponse {
    let status = example["status"]
        .as_u64()
        .expect("an example with a status");
    let path = fill(example["path"].as_str().unwrap(), values);
    let path = format!("{prefix}{}", path.strip_prefix("/v3").expect("a v3 path"));
    let request_body = (!example["request_body"].is_null()).then(|| body(&example["request_body"]));
    let method = example["method"].as_str().unwrap();
    let r = send(env, method, &path, request_body.as_ref());
    assert_eq!(
        r.status,
        status as u16,
        "{} {method} {path}: {}",
        example["id"],
        String::from_utf8_lossy(&r.body)
    );
    if example["response_body"].is_null() {
        assert!(r.body.is_empty(), "{} {path}", example["id"]);
    } else {
        let diff = shape_differences(&r.json(), &example["response_body"]);
        assert!(
            diff.is_empty(),
            "{} {path}: {diff:#?}\n{}",
            example["id"],
            r.json()
        );
    }
    r
}

/// `body` with `topic_name` replaced by a fresh name.
fn renamed(body: &Value) -> Value {
    let mut body = body.clone();
    body["topic_name"] = json!(unique_topic("v3-admin"));
    body
}

/// The topic resource, or the error response.
fn topic(env: &Backend, name: &str) -> HttpResponse {
    get(env, &format!("{}/topics/{name}", base(env, "/v3")))
}

// ---------------------------------------------------------------- topics

fn create_topics_as_the_spec_shows(env: &Backend) {
    let responses = replay(
        env,
        "v3.topics.create",
        &[("cluster_id", &env.cluster_id)],
        &mut renamed,
    );
    assert_eq!(responses.len(), 6, "three examples under two prefixes");
    for r in &responses {
        let t = r.json();
        let name = t["topic_name"].as_str().unwrap();
        assert_eq!(t["kind"], "KafkaTopic");
        assert_eq!(t["cluster_id"], json!(env.cluster_id));
        assert!(
            t["metadata"]["self"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/clusters/{}/topics/{name}", env.cluster_id)),
            "{t}"
        );
        let shown = topic(env, name);
        match r.status {
            // Created: the topic is there, as the answer said.
            201 => {
                assert_eq!(shown.status, 200, "{name}");
                let shown = shown.json();
                assert_eq!(shown["partitions_count"], t["partitions_count"], "{t}");
                assert_eq!(shown["replication_factor"], t["replication_factor"], "{t}");
            }
            // A dry run creates nothing (Tansu creates the topic anyway).
            200 => {
                assert_eq!(t["partitions_count"], 64, "{t}");
                assert_eq!(t["replication_factor"], 3, "{t}");
                if env.in_process {
                    shown.assert_error(404, 40403);
                }
            }
            other => panic!("status {other}"),
        }
    }
    // The uniform example asks for 64 partitions.
    assert!(responses
        .iter()
        .any(|r| r.status == 201 && r.json()["partitions_count"] == 64));
    if env.in_process {
        // The explicit assignment's replicas are where it says.
        let assigned = responses
            .iter()
            .find(|r| r.status == 201 && r.json()["partitions_count"] == 3)
            .expect("the assignment example created a topic of 3 partitions")
            .json();
        let name = assigned["topic_name"].as_str().unwrap();
        let replicas = get(
            env,
            &format!("{}/topics/{name}/partitions/2/replicas", base(env, "/v3")),
        )
        .json();
        let ids: Vec<i64> = replicas["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["broker_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![3, 1], "{replicas}");
    }
}

fn create_topic_with_defaults_and_configs(env: &Backend) {
    let name = unique_topic("v3-admin");
    let r = send(
        env,
        "POST",
        &format!("{}/topics", base(env, "/kafka/v3")),
        Some(&json!({"topic_name": name, "partitions_count": 2,
                     "configs": [{"name": "retention.ms", "value": "86400000"}]})),
    );
    assert_eq!(r.status, 201, "{}", r.json());
    assert_eq!(r.json()["partitions_count"], 2);
    assert!(r.json()["metadata"]["self"]
        .as_str()
        .unwrap()
        .contains("/kafka/v3/clusters/"));
    // The config reached the broker (read back with librdkafka).
    let configs = kafka_gateway_tests::run_python(
        "describe_configs.py",
        &[],
        &json!({"bootstrap": env.bootstrap, "resources": [{"type": "topic", "name": name}]}),
    );
    assert_eq!(
        configs["resources"][0]["configs"]["retention.ms"]["value"], "86400000",
        "{configs}"
    );
    // Nothing but a name: the broker's defaults.
    let name = unique_topic("v3-admin");
    let r = send(
        env,
        "POST",
        &format!("{}/topics", base(env, "/v3")),
        Some(&json!({"topic_name": name})),
    );
    assert_eq!(r.status, 201, "{}", r.json());
    assert!(r.json()["partitions_count"].as_u64().unwrap() >= 1);
    assert_eq!(topic(env, &name).status, 200);
}

fn create_topic_errors(env: &Backend) {
    let path = format!("{}/topics", base(env, "/v3"));
    let existing = env.create_topic("v3-admin", 1);
    let r = send(env, "POST", &path, Some(&json!({"topic_name": existing})));
    r.assert_error(400, 40002);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{}",
        r.json()
    );
    for (body, field) in [
        (json!({"partitions_count": 1}), "topic_name"),
        (
            json!({"topic_name": "x", "partitions_count": "A"}),
            "partitions_count",
        ),
        (
            json!({"topic_name": "x", "replication_factor": 1.5}),
            "replication_factor",
        ),
        (json!({"topic_name": "x", "configs": {"a": "b"}}), "configs"),
        (
            json!({"topic_name": "x", "validate_only": 1}),
            "validate_only",
        ),
        (json!(["topic_name"]), "request body"),
    ] {
        let r = send(env, "POST", &path, Some(&body));
        r.assert_error(400, 400);
        assert!(
            r.json()["message"].as_str().unwrap().contains(field),
            "{body}: {}",
            r.json()
        );
    }
    let r = env.gateway.request(
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        Some(b"{\"topic_name\":"),
    );
    r.assert_error(400, 400);
    let r = env.gateway.request(
        "POST",
        &path,
        &[("Content-Type", "application/json")],
        Some(b""),
    );
    r.assert_error(422, 422);
    let r = send(
        env,
        "POST",
        &path,
        Some(
            &json!({"topic_name": "x", "partitions_count": 1, "replicas_assignments": {"0": [1]}}),
        ),
    );
    r.assert_error(422, 422);
    let r = env
        .gateway
        .request("POST", &path, &[("Content-Type", "text/plain")], Some(b"x"));
    r.assert_error(415, 415);
    let r = send(
        env,
        "POST",
        "/v3/clusters/no-such-cluster/topics",
        Some(&json!({"topic_name": "x"})),
    );
    r.assert_error(404, 404);
    assert_eq!(
        r.json()["message"],
        "Cluster no-such-cluster cannot be found."
    );
    send(env, "PUT", &path, Some(&json!({}))).assert_error(405, 405);
    if env.in_process {
        // Kafka's own validation, with its message: more replicas than
        // brokers, and a name Kafka does not allow.
        let r = send(
            env,
            "POST",
            &path,
            Some(&json!({"topic_name": unique_topic("v3-admin"), "replication_factor": 4})),
        );
        r.assert_error(400, 40002);
        let r = send(
            env,
            "POST",
            &path,
            Some(&json!({"topic_name": "bad name!"})),
        );
        r.assert_error(400, 40002);
    }
}

fn update_partition_count(env: &Backend) {
    let name = env.create_topic("v3-admin", 2);
    let path = format!("{}/topics/{name}", base(env, "/v3"));
    let r = send(env, "PATCH", &path, Some(&json!({"partitions_count": 2})));
    r.assert_error(400, 40002);
    assert_eq!(r.json()["message"], "Topic already has 2 partitions.");
    send(env, "PATCH", &path, Some(&json!({"partitions_count": 1}))).assert_error(400, 40002);
    send(env, "PATCH", &path, Some(&json!({}))).assert_error(400, 400);
    send(env, "PATCH", &path, Some(&json!({"partitions_count": "3"}))).assert_error(400, 400);
    send(
        env,
        "PATCH",
        &format!("{}/topics/{}", base(env, "/v3"), unique_topic("none")),
        Some(&json!({"partitions_count": 3})),
    )
    .assert_error(404, 40403);
    let r = send(env, "PATCH", &path, Some(&json!({"partitions_count": 3})));
    if env.in_process {
        assert_eq!(r.status, 200, "{}", r.json());
        assert_eq!(r.json()["partitions_count"], 3);
        let partitions = get(env, &format!("{path}/partitions")).json();
        assert_eq!(partitions["data"].as_array().unwrap().len(), 3);
        // The spec's example asks for 10, under each prefix.
        let example = &success_examples("v3.topics.update-partition-count")[0];
        for prefix in ["/v3", "/kafka/v3"] {
            let name = env.create_topic("v3-admin", 2);
            let values = [
                ("cluster_id", env.cluster_id.as_str()),
                ("topic_name", &name),
            ];
            let r = replay_one(env, example, prefix, &values, &mut |b| b.clone());
            assert_eq!(r.json()["partitions_count"], 10);
            assert_eq!(r.json()["topic_name"], json!(name));
        }
    } else {
        // Tansu has no CreatePartitions.
        r.assert_error(400, 40035);
        assert_eq!(
            r.json()["message"],
            "The version of this API is not supported in the underlying Kafka cluster."
        );
    }
}

fn delete_topics(env: &Backend) {
    let name = env.create_topic("v3-admin", 1);
    let r = send(
        env,
        "DELETE",
        &format!("{}/topics/{name}", base(env, "/v3")),
        None,
    );
    assert_no_content(&r, "delete");
    topic(env, &name).assert_error(404, 40403);
    send(
        env,
        "DELETE",
        &format!("{}/topics/{name}", base(env, "/kafka/v3")),
        None,
    )
    .assert_error(404, 40403);
    // The spec's example, under both prefixes.
    let example = &success_examples("v3.topics.delete")[0];
    for prefix in ["/v3", "/kafka/v3"] {
        let name = env.create_topic("v3-admin", 1);
        let values = [
            ("cluster_id", env.cluster_id.as_str()),
            ("topic_name", &name),
        ];
        replay_one(env, example, prefix, &values, &mut |b| b.clone());
        topic(env, &name).assert_error(404, 40403);
    }
}

// ---------------------------------------------------------------- configs

/// The `value` of a config resource, or the error.
fn config(env: &Backend, path: &str) -> HttpResponse {
    get(env, &format!("{}{path}", base(env, "/v3")))
}

/// Each config list endpoint's data as (name, value) pairs.
fn config_names(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// `body` with the spec's broker config names replaced by ones every
/// test cluster knows (`max.connections` is not a config of the in-process
/// cluster).
fn known_broker_configs(body: &Value) -> Value {
    let text = body
        .to_string()
        .replace("max.connections", "message.max.bytes");
    serde_json::from_str(&text).unwrap()
}

fn topic_configs_as_the_spec_shows(env: &Backend) {
    let name = env.create_topic_with(
        "v3-admin",
        1,
        json!({"cleanup.policy": "compact", "compression.type": "gzip"}),
    );
    let mut values = vec![
        ("cluster_id", env.cluster_id.as_str()),
        ("topic_name", name.as_str()),
        ("name", "compression.type"),
    ];
    for endpoint in [
        "v3.topic-configs.list",
        "v3.topic-configs.get",
        "v3.topic-configs.list-all",
        "v3.topic-configs.list-defaults",
        "v3.topic-configs.update",
        "v3.topic-configs.alter",
    ] {
        replay(env, endpoint, &values, &mut |b| b.clone());
    }
    values[2] = ("name", "cleanup.policy");
    replay(env, "v3.topic-configs.delete", &values, &mut |b| b.clone());
}

fn topic_config_changes(env: &Backend) {
    let name = env.create_topic_with("v3-admin", 1, json!({"cleanup.policy": "compact"}));
    let configs = format!("/topics/{name}/configs");
    let c = config(env, &format!("{configs}/cleanup.policy"));
    assert_eq!(c.status, 200, "{}", c.json());
    let c = c.json();
    assert_eq!(c["kind"], "KafkaTopicConfig");
    assert_eq!(c["topic_name"], json!(name));
    assert_eq!(c["name"], "cleanup.policy");
    assert_eq!(c["value"], "compact");
    assert_eq!(c["is_sensitive"], false);
    assert!(c["metadata"]["self"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/topics/{name}/configs/cleanup.policy")));
    assert_eq!(
        c["metadata"]["resource_name"],
        format!(
            "crn:///kafka={}/topic={name}/config=cleanup.policy",
            env.cluster_id
        )
    );
    if env.in_process {
        assert_eq!(c["source"], "DYNAMIC_TOPIC_CONFIG");
        assert_eq!(c["is_default"], false);
        assert_eq!(
            c["synonyms"][0],
            json!({"name": "cleanup.policy", "value": "compact", "source": "DYNAMIC_TOPIC_CONFIG"})
        );
        assert_eq!(
            c["synonyms"][1],
            json!({"name": "log.cleanup.policy", "value": "delete", "source": "DEFAULT_CONFIG"})
        );
        // The defaults a new topic would get: without the topic's setting.
        let defaults = config(env, &format!("/topics/{name}/default-configs")).json();
        assert_eq!(defaults["kind"], "KafkaTopicConfigList");
        let policy = defaults["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "cleanup.policy")
            .expect("cleanup.policy")
            .clone();
        assert_eq!(policy["value"], "delete", "{policy}");
        assert_eq!(policy["source"], "DEFAULT_CONFIG");
        assert_eq!(policy["is_default"], true);
        assert!(config_names(&defaults).len() > 10, "{defaults}");
    }

    // PUT sets a value, DELETE takes it away.
    let put = |config: &str, value: &str| {
        send(
            env,
            "PUT",
            &format!("{}{configs}/{config}", base(env, "/kafka/v3")),
            Some(&json!({ "value": value })),
        )
    };
    assert_no_content(&put("retention.ms", "3600000"), "PUT");
    assert_eq!(
        config(env, &format!("{configs}/retention.ms")).json()["value"],
        "3600000"
    );
    let described = kafka_gateway_tests::run_python(
        "describe_configs.py",
        &[],
        &json!({"bootstrap": env.bootstrap, "resources": [{"type": "topic", "name": name}]}),
    );
    assert_eq!(
        described["resources"][0]["configs"]["retention.ms"]["value"], "3600000",
        "{described}"
    );
    assert_no_content(
        &send(
            env,
            "DELETE",
            &format!("{}{configs}/retention.ms", base(env, "/v3")),
            None,
        ),
        "DELETE",
    );
    let reset = config(env, &format!("{configs}/retention.ms"));
    if env.in_process {
        let reset = reset.json();
        assert_eq!(reset["value"], "604800000", "{reset}");
        assert_eq!(reset["source"], "DEFAULT_CONFIG");
        assert_eq!(reset["is_default"], true);
    } else {
        // Tansu reports only the configs set on the topic.
        reset.assert_error(404, 404);
    }

    // A batch: delete one, set another.
    let alter = format!("{}{configs}:alter", base(env, "/v3"));
    let r = send(
        env,
        "POST",
        &alter,
        Some(
            &json!({"data": [{"name": "cleanup.policy", "operation": "DELETE"},
                              {"name": "compression.type", "value": "gzip"}]}),
        ),
    );
    assert_no_content(&r, "alter");
    let list = config(env, &configs).json();
    assert_eq!(list["kind"], "KafkaTopicConfigList");
    let find = |list: &Value, n: &str| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .cloned()
    };
    assert_eq!(find(&list, "compression.type").unwrap()["value"], "gzip");
    if env.in_process {
        assert_eq!(find(&list, "cleanup.policy").unwrap()["value"], "delete");
        // A dry run changes nothing.
        let r = send(
            env,
            "POST",
            &alter,
            Some(
                &json!({"data": [{"name": "compression.type", "value": "lz4"}],
                         "validate_only": true}),
            ),
        );
        assert_no_content(&r, "dry run");
        assert_eq!(
            config(env, &format!("{configs}/compression.type")).json()["value"],
            "gzip"
        );
    } else {
        assert!(find(&list, "cleanup.policy").is_none(), "{list}");
    }

    // Every topic's configs, ours among them.
    let all = config(env, "/topics/-/configs").json();
    assert_eq!(all["kind"], "KafkaTopicConfigList");
    assert!(all["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["topic_name"] == json!(name) && c["name"] == "compression.type"));
}

fn topic_config_errors(env: &Backend) {
    let name = env.create_topic("v3-admin", 1);
    let v3 = base(env, "/v3");
    let none = unique_topic("none");
    for (method, path, body) in [
        ("GET", format!("{v3}/topics/{none}/configs"), None),
        (
            "GET",
            format!("{v3}/topics/{none}/configs/retention.ms"),
            None,
        ),
        (
            "PUT",
            format!("{v3}/topics/{none}/configs/retention.ms"),
            Some(json!({"value": "1"})),
        ),
        (
            "DELETE",
            format!("{v3}/topics/{none}/configs/retention.ms"),
            None,
        ),
        (
            "POST",
            format!("{v3}/topics/{none}/configs:alter"),
            Some(json!({"data": [{"name": "retention.ms", "value": "1"}]})),
        ),
        ("GET", format!("{v3}/topics/{none}/default-configs"), None),
    ] {
        let r = send(env, method, &path, body.as_ref());
        r.assert_error(404, 40403);
    }
    let one = format!("{v3}/topics/{name}/configs/retention.ms");
    config(env, &format!("/topics/{name}/configs/no.such.config")).assert_error(404, 404);
    for (body, field) in [
        (json!({}), "value"),
        (json!({"value": 5}), "value"),
        (json!({"value": null}), "value"),
    ] {
        let r = send(env, "PUT", &one, Some(&body));
        r.assert_error(400, 400);
        assert!(
            r.json()["message"].as_str().unwrap().starts_with(field),
            "{}",
            r.json()
        );
    }
    env.gateway
        .request(
            "PUT",
            &one,
            &[("Content-Type", "application/json")],
            Some(b""),
        )
        .assert_error(422, 422);
    send(env, "POST", &one, Some(&json!({"value": "1"}))).assert_error(405, 405);
    let alter = format!("{v3}/topics/{name}/configs:alter");
    for (body, field) in [
        (
            json!({"data": [{"name": "retention.ms", "operation": "RESET"}]}),
            "data[0].operation",
        ),
        (json!({"data": [{"name": "retention.ms"}]}), "data[0].value"),
        (json!({"data": [{"value": "1"}]}), "data[0].name"),
        (json!({"data": "x"}), "data"),
        (json!({"validate_only": true}), "data"),
    ] {
        let r = send(env, "POST", &alter, Some(&body));
        r.assert_error(400, 400);
        assert!(
            r.json()["message"].as_str().unwrap().starts_with(field),
            "{}",
            r.json()
        );
    }
    if env.in_process {
        // Kafka's own validation: an unknown config, a bad value.
        send(
            env,
            "PUT",
            &format!("{v3}/topics/{name}/configs/no.such.config"),
            Some(&json!({"value": "1"})),
        )
        .assert_error(400, 40002);
        send(env, "PUT", &one, Some(&json!({"value": "soon"}))).assert_error(400, 40002);
    }
}

fn broker_and_cluster_configs(env: &Backend) {
    let brokers = get(env, &format!("{}/brokers", base(env, "/v3"))).json();
    let broker_id = brokers["data"][0]["broker_id"].to_string();
    let values = [
        ("cluster_id", env.cluster_id.as_str()),
        ("broker_id", broker_id.as_str()),
        ("name", "compression.type"),
    ];
    for endpoint in [
        "v3.broker-configs.list",
        "v3.brokers-configs.list",
        "v3.broker-configs.update",
        "v3.broker-configs.alter",
        "v3.broker-configs.delete",
        "v3.cluster-configs.list",
        "v3.cluster-configs.update",
        "v3.cluster-configs.alter",
    ] {
        replay(env, endpoint, &values, &mut known_broker_configs);
    }
    let broker = format!("/brokers/{broker_id}/configs");
    if env.in_process {
        replay(env, "v3.broker-configs.get", &values, &mut |b| b.clone());
        replay(env, "v3.cluster-configs.get", &values, &mut |b| b.clone());
        // The broker's own configs, read-only ones and secrets included.
        let list = config(env, &broker).json();
        assert_eq!(list["kind"], "KafkaBrokerConfigList");
        let names = config_names(&list);
        assert!(names.contains(&"node.id".to_owned()), "{names:?}");
        let node_id = config(env, &format!("{broker}/node.id")).json();
        assert_eq!(node_id["value"], broker_id);
        assert_eq!(node_id["is_read_only"], true);
        assert_eq!(node_id["broker_id"], brokers["data"][0]["broker_id"]);
        assert_eq!(
            node_id["metadata"]["resource_name"],
            format!(
                "crn:///kafka={}/broker={broker_id}/config=node.id",
                env.cluster_id
            )
        );
        let secret = config(env, &format!("{broker}/ssl.keystore.password")).json();
        assert_eq!(
            (&secret["value"], &secret["is_sensitive"]),
            (&Value::Null, &json!(true))
        );
        // A dynamic change on the broker, then back.
        let one = format!(
            "{}{broker}/log.cleaner.delete.retention.ms",
            base(env, "/v3")
        );
        assert_no_content(
            &send(env, "PUT", &one, Some(&json!({"value": "1000"}))),
            "PUT",
        );
        let c = config(env, &format!("{broker}/log.cleaner.delete.retention.ms")).json();
        assert_eq!(
            (&c["value"], &c["source"]),
            (&json!("1000"), &json!("DYNAMIC_BROKER_CONFIG"))
        );
        assert_no_content(&send(env, "DELETE", &one, None), "DELETE");
        let c = config(env, &format!("{broker}/log.cleaner.delete.retention.ms")).json();
        assert_eq!(c["source"], "DEFAULT_CONFIG", "{c}");
        // A read-only config cannot be changed.
        send(
            env,
            "PUT",
            &format!("{}{broker}/node.id", base(env, "/v3")),
            Some(&json!({"value": "7"})),
        )
        .assert_error(400, 40002);
        // Every broker's configs.
        let all = config(env, "/brokers/-/configs").json();
        let ids: std::collections::BTreeSet<i64> = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["broker_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids.len(), brokers["data"].as_array().unwrap().len());

        // A cluster-wide default shows on the brokers, as a synonym.
        let cluster = format!("{}/broker-configs", base(env, "/v3"));
        let one = format!("{cluster}/log.cleaner.min.cleanable.ratio");
        assert_no_content(
            &send(env, "PUT", &one, Some(&json!({"value": "0.3"}))),
            "PUT",
        );
        let c = get(env, &one).json();
        assert_eq!(c["kind"], "KafkaClusterConfig");
        assert_eq!(c["config_type"], "BROKER");
        assert_eq!(
            (&c["value"], &c["source"]),
            (&json!("0.3"), &json!("DYNAMIC_DEFAULT_BROKER_CONFIG"))
        );
        assert_eq!(
            c["metadata"]["resource_name"],
            format!(
                "crn:///kafka={}/broker-config=log.cleaner.min.cleanable.ratio",
                env.cluster_id
            )
        );
        let on_broker = config(env, &format!("{broker}/log.cleaner.min.cleanable.ratio")).json();
        assert_eq!(on_broker["value"], "0.3", "{on_broker}");
        assert!(config_names(&get(env, &cluster).json())
            .contains(&"log.cleaner.min.cleanable.ratio".to_owned()));
        assert_no_content(&send(env, "DELETE", &one, None), "DELETE");
        get(env, &one).assert_error(404, 404);
        let r = send(
            env,
            "POST",
            &format!("{cluster}:alter"),
            Some(&json!({"data": [{"name": "no.such.config", "value": "1"}]})),
        );
        r.assert_error(400, 40002);
        // Leave the cluster-wide default the replayed examples set.
        assert_no_content(
            &send(env, "DELETE", &format!("{cluster}/compression.type"), None),
            "DELETE",
        );
    } else {
        // Tansu reports no broker configs and ignores changes to them.
        config(env, &format!("{broker}/compression.type")).assert_error(404, 404);
        get(
            env,
            &format!("{}/broker-configs/compression.type", base(env, "/v3")),
        )
        .assert_error(404, 404);
    }
    // Unknown brokers.
    let v3 = base(env, "/v3");
    for (method, path, body) in [
        ("GET", format!("{v3}/brokers/987654/configs"), None),
        (
            "GET",
            format!("{v3}/brokers/987654/configs/compression.type"),
            None,
        ),
        (
            "PUT",
            format!("{v3}/brokers/987654/configs/compression.type"),
            Some(json!({"value": "gzip"})),
        ),
        (
            "DELETE",
            format!("{v3}/brokers/987654/configs/compression.type"),
            None,
        ),
        (
            "POST",
            format!("{v3}/brokers/987654/configs:alter"),
            Some(json!({"data": [{"name": "compression.type", "value": "gzip"}]})),
        ),
        ("GET", format!("{v3}/brokers/abc/configs"), None),
    ] {
        send(env, method, &path, body.as_ref()).assert_error(404, 404);
    }
    send(
        env,
        "POST",
        &format!("{v3}/broker-configs:alter"),
        Some(&json!({"data": [{"name": "compression.type", "operation": "MERGE"}]})),
    )
    .assert_error(400, 400);
}

kafka_gateway_tests::both_backends!(
    create_topics_as_the_spec_shows,
    create_topic_with_defaults_and_configs,
    create_topic_errors,
    update_partition_count,
    delete_topics,
    topic_configs_as_the_spec_shows,
    topic_config_changes,
    topic_config_errors,
    broker_and_cluster_configs,
);

// ------------------------------------------------ faults and credentials

/// A gateway in front of an in-process cluster of its own, whose faults
/// the test injects.
struct Faulty {
    cluster: wire::testkit::Cluster,
    gateway: TestGateway,
    cluster_id: String,
}

fn faulty() -> &'static Faulty {
    static FAULTY: OnceLock<Faulty> = OnceLock::new();
    FAULTY.get_or_init(|| {
        let cluster =
            wire::testkit::Cluster::start_background(wire::testkit::ClusterConfig::default())
                .expect("in-process cluster");
        let gateway = TestGateway::start(&cluster.bootstrap());
        let clusters = gateway.get("/v3/clusters").json();
        let cluster_id = clusters["data"][0]["cluster_id"]
            .as_str()
            .expect("cluster id")
            .to_owned();
        Faulty {
            cluster,
            gateway,
            cluster_id,
        }
    })
}

/// Authorization failures are 403 / 40301 and retriable errors are 500 /
/// 50003 (after the retries, for a request that fails as a whole).
#[test]
fn kafka_authorization_and_retriable_errors() {
    use kafka_protocol::messages::ApiKey;
    use wire::error::ResponseError;
    let f = faulty();
    let gw = &f.gateway;
    let topics = format!("/v3/clusters/{}/topics", f.cluster_id);
    let create = |name: &str| send_to(gw, "POST", &topics, Some(&json!({"topic_name": name})));
    f.cluster.fail_next(
        ApiKey::CreateTopics,
        ResponseError::TopicAuthorizationFailed,
        1,
    );
    create(&unique_topic("v3-admin")).assert_error(403, 40301);
    f.cluster
        .fail_next(ApiKey::CreateTopics, ResponseError::RequestTimedOut, 1);
    create(&unique_topic("v3-admin")).assert_error(500, 50003);
    // NOT_CONTROLLER for every topic is retried (with fresh metadata).
    f.cluster
        .fail_next(ApiKey::CreateTopics, ResponseError::NotController, 2);
    let name = unique_topic("v3-admin");
    assert_eq!(create(&name).status, 201);
    f.cluster.fail_next(
        ApiKey::DeleteTopics,
        ResponseError::TopicAuthorizationFailed,
        1,
    );
    send_to(gw, "DELETE", &format!("{topics}/{name}"), None).assert_error(403, 40301);
    f.cluster.fail_next(
        ApiKey::DescribeConfigs,
        ResponseError::TopicAuthorizationFailed,
        1,
    );
    send_to(gw, "GET", &format!("{topics}/{name}/configs"), None).assert_error(403, 40301);
    f.cluster.fail_next(
        ApiKey::IncrementalAlterConfigs,
        ResponseError::ClusterAuthorizationFailed,
        1,
    );
    send_to(
        gw,
        "PUT",
        &format!(
            "/v3/clusters/{}/broker-configs/log.cleaner.threads",
            f.cluster_id
        ),
        Some(&json!({"value": "2"})),
    )
    .assert_error(403, 40301);
}

/// A gateway whose SASL login the broker refuses answers 401 / 40101.
#[test]
fn kafka_authentication_errors() {
    let broker = kafka_gateway_tests::backend::real_broker();
    let gateway = TestGateway::start_with(&[
        &format!("--bootstrap.servers={}", broker.bootstrap),
        "--client.security.protocol=SASL_PLAINTEXT",
        "--client.sasl.mechanism=PLAIN",
        "--client.sasl.username=alice",
        "--client.sasl.password=secret",
    ]);
    for (method, path, body) in [
        (
            "POST",
            "/v3/clusters/c/topics",
            Some(json!({"topic_name": "x"})),
        ),
        ("GET", "/v3/clusters/c/topics/x/configs", None),
        ("DELETE", "/kafka/v3/clusters/c/topics/x", None),
    ] {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let r = gateway.request(
            method,
            path,
            &[("Content-Type", "application/json")],
            bytes.as_deref(),
        );
        r.assert_error(401, 40101);
    }
}
