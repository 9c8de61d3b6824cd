//! Reading v3 request bodies field by field, so that a bad value is a 400
//! naming the field (`partitions_count: expected an integer, found "A"`).
//!
//! A body that is not JSON, or not the JSON type expected, is 400; an empty
//! body where one is required is 422 ("The request body may not be
//! empty.").

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::request::{parse_json, Request};

/// A JSON object body (or an object nested in one), with the path of its
/// fields for error messages.
#[derive(Debug, Clone)]
pub struct Fields {
    map: Map<String, Value>,
    path: String,
}

impl Fields {
    /// The request's body as a JSON object; an empty body is 422.
    pub async fn read(request: &mut Request) -> ApiResult<Fields> {
        Fields::read_opt(request)
            .await?
            .ok_or_else(|| ApiError::unprocessable("The request body may not be empty."))
    }

    /// The request's body as a JSON object, or `None` when it is empty.
    pub async fn read_opt(request: &mut Request) -> ApiResult<Option<Fields>> {
        let body = request.body().await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let value: Value = parse_json(&body)?;
        Fields::of(value, "").map(Some)
    }

    /// `value` as an object at `path` (empty for the body itself).
    pub fn of(value: Value, path: &str) -> ApiResult<Fields> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                path: path.to_owned(),
            }),
            other => Err(ApiError::bad_request(format!(
                "{}: expected an object, found {}",
                if path.is_empty() {
                    "request body"
                } else {
                    path
                },
                describe(&other)
            ))),
        }
    }

    /// The path of field `name`.
    pub fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// A field's value; `null` counts as absent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// Whether the field is present and not `null`.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A required field (400 when absent).
    pub fn required(&self, name: &str) -> ApiResult<&Value> {
        self.get(name).ok_or_else(|| {
            ApiError::bad_request(format!("{}: this field is required", self.path_of(name)))
        })
    }

    /// An optional string field.
    pub fn opt_str(&self, name: &str) -> ApiResult<Option<&str>> {
        self.get(name)
            .map(|v| v.as_str().ok_or_else(|| self.wrong(name, "a string", v)))
            .transpose()
    }

    /// A required string field.
    pub fn str(&self, name: &str) -> ApiResult<&str> {
        let v = self.required(name)?;
        v.as_str().ok_or_else(|| self.wrong(name, "a string", v))
    }

    /// An optional boolean field.
    pub fn opt_bool(&self, name: &str) -> ApiResult<Option<bool>> {
        self.get(name)
            .map(|v| v.as_bool().ok_or_else(|| self.wrong(name, "a boolean", v)))
            .transpose()
    }

    /// An optional integer field within `T`'s range.
    pub fn opt_int<T: TryFrom<i64>>(&self, name: &str) -> ApiResult<Option<T>> {
        self.get(name).map(|v| self.int_value(name, v)).transpose()
    }

    /// A required integer field within `T`'s range.
    pub fn int<T: TryFrom<i64>>(&self, name: &str) -> ApiResult<T> {
        let v = self.required(name)?;
        self.int_value(name, v)
    }

    fn int_value<T: TryFrom<i64>>(&self, name: &str, v: &Value) -> ApiResult<T> {
        v.as_i64()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| self.wrong(name, "an integer in range", v))
    }

    /// An optional array field.
    pub fn opt_array(&self, name: &str) -> ApiResult<Option<&Vec<Value>>> {
        self.get(name)
            .map(|v| v.as_array().ok_or_else(|| self.wrong(name, "an array", v)))
            .transpose()
    }

    /// An optional object field.
    pub fn opt_object(&self, name: &str) -> ApiResult<Option<&Map<String, Value>>> {
        self.get(name)
            .map(|v| {
                v.as_object()
                    .ok_or_else(|| self.wrong(name, "an object", v))
            })
            .transpose()
    }

    /// The 400 for field `name` holding `found` where `expected` is wanted.
    pub fn wrong(&self, name: &str, expected: &str, found: &Value) -> ApiError {
        ApiError::bad_request(format!(
            "{}: expected {expected}, found {}",
            self.path_of(name),
            describe(found)
        ))
    }
}

/// A short description of a JSON value for error messages.
pub fn describe(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        let short: String = text.chars().take(37).collect();
        format!("{short}...")
    } else {
        text
    }
}

/// An integer array element (broker ids and the like) at `path`.
pub fn int_item<T: TryFrom<i64>>(v: &Value, path: &str) -> ApiResult<T> {
    v.as_i64().and_then(|n| T::try_from(n).ok()).ok_or_else(|| {
        ApiError::bad_request(format!(
            "{path}: expected an integer in range, found {}",
            describe(v)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_name_what_is_wrong() {
        let f = Fields::of(
            json!({"a": "A", "n": 3, "big": 1e20, "b": true, "z": null, "o": {"x": 1}}),
            "",
        )
        .unwrap();
        assert_eq!(f.opt_int::<i32>("n").unwrap(), Some(3));
        assert_eq!(f.opt_int::<i32>("z").unwrap(), None);
        let e = f.int::<i32>("a").unwrap_err();
        assert_eq!(e.error_code, 400);
        assert_eq!(e.message, "a: expected an integer in range, found \"A\"");
        assert!(f.opt_int::<i16>("big").is_err());
        assert_eq!(
            f.str("missing").unwrap_err().message,
            "missing: this field is required"
        );
        assert_eq!(f.opt_bool("b").unwrap(), Some(true));
        let nested = Fields::of(json!([1]), "data[0]").unwrap_err();
        assert_eq!(nested.message, "data[0]: expected an object, found [1]");
        let o = Fields::of(f.get("o").unwrap().clone(), "o").unwrap();
        assert_eq!(
            o.str("x").unwrap_err().message,
            "o.x: expected a string, found 1"
        );
        assert_eq!(
            int_item::<i32>(&json!("x"), "ids[1]")
                .unwrap_err()
                .error_code,
            400
        );
    }
}
