//! The spec's example requests and responses (`tests/spec/examples.json`,
//! generated from the API references by `scripts/extract-spec-examples.py`)
//! and a checker comparing a response with an example field by field.

use serde_json::Value;

/// Every example of the references.
pub fn examples() -> Vec<Value> {
    let path = crate::repo_root().join("tests/spec/examples.json");
    let text = std::fs::read_to_string(&path).expect("tests/spec/examples.json");
    match serde_json::from_str(&text).expect("examples.json is JSON") {
        Value::Array(items) => items,
        _ => panic!("examples.json is not an array"),
    }
}

/// The success examples of `endpoint` that are worth replaying (not
/// duplicates, not superseded, with a JSON response).
pub fn success_examples(endpoint: &str) -> Vec<Value> {
    examples()
        .into_iter()
        .filter(|e| {
            e["endpoint"] == endpoint
                && e["response_kind"] == "success"
                && e["duplicate_of"].is_null()
                && e["superseded"] != true
        })
        .collect()
}

/// An example's request headers, `Host` left out (the test client sends its
/// own).
pub fn request_headers(example: &Value) -> Vec<(String, String)> {
    example["request_headers"]
        .as_object()
        .expect("the example's request_headers")
        .iter()
        .filter(|(k, _)| *k != "Host")
        .map(|(k, v)| (k.clone(), v.as_str().expect("a header value").to_owned()))
        .collect()
}

/// Header pairs as the test client takes them.
pub fn header_refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Replaces `{name}` placeholders of an example path.
pub fn fill(path: &str, values: &[(&str, &str)]) -> String {
    let mut out = path.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The JSON type of a value, as the checker compares them.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks that `ours` has every field of `example`, with the same JSON type,
/// recursively (array elements against the example's first element). A
/// `null` in the example accepts any type; `null` in ours is accepted where
/// the example has an object link (`{"related": ...}`) or a string, which
/// the references leave out when there is nothing to show. Returns the
/// differences, one per line, with their paths.
pub fn shape_differences(ours: &Value, example: &Value) -> Vec<String> {
    let mut out = Vec::new();
    compare(ours, example, "$", &mut out);
    out
}

fn compare(ours: &Value, example: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, example) {
        (_, Value::Null) => {}
        (Value::Null, Value::Object(o)) if o.contains_key("related") => {}
        (Value::Null, Value::String(_)) => {}
        (Value::Object(a), Value::Object(b)) => {
            for (key, expected) in b {
                match a.get(key) {
                    Some(v) => compare(v, expected, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key}: missing")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(first), Some(expected)) = (a.first(), b.first()) {
                for (i, item) in a.iter().enumerate().take(3) {
                    let _ = first;
                    compare(item, expected, &format!("{path}[{i}]"), out);
                }
            }
        }
        (Value::Number(_), Value::Number(_)) => {
            // Integers where the example shows a decimal (and back) are the
            // same JSON number type.
        }
        (a, b) if type_name(a) != type_name(b) => {
            out.push(format!(
                "{path}: {} where the example has {}",
                type_name(a),
                type_name(b)
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        let example = json!({"a": 1, "b": {"related": "x"}, "c": [{"d": "s"}], "e": null});
        assert!(shape_differences(
            &json!({"a": 2, "b": null, "c": [], "e": 5, "f": 1}),
            &example
        )
        .is_empty());
        let diff = shape_differences(&json!({"a": "2", "c": [{"d": 1}]}), &example);
        assert_eq!(diff.len(), 4, "{diff:?}");
    }
}
