//! Schema-format keys and values of v3 produce (`AVRO`, `JSONSCHEMA`,
//! `PROTOBUF`), resolved with the Schema Registry.
//!
//! A key or value is in a schema format when its `type` names one, or when
//! it has no `type` and a Schema Registry is configured: then the format is
//! the type of the schema found (a `schema` given without `type` is Avro,
//! as in Confluent's REST Proxy). The schema is one of:
//! `schema_id`; `schema_version` of the subject; `schema` (registered under
//! the subject); or the subject's latest version. The subject is `subject`,
//! or follows `subject_name_strategy`: `TOPIC_NAME` (`<topic>-key`,
//! `<topic>-value`, the default), `RECORD_NAME` (the record's full name) or
//! `TOPIC_RECORD_NAME` (`<topic>-<full name>`). Parsing is synchronous (it
//! runs while the record's JSON is borrowed); [`SchemaData::resolve`] then
//! talks to the registry and encodes.

use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::format::schema::SchemaType;
use crate::schema_registry::{self, RegisteredSchema, RegistryError, SchemaRegistry};

use super::DataIn;

/// How the subject is named when `subject` is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Topic,
    Record,
    TopicRecord,
}

/// Which schema to use.
#[derive(Debug)]
enum SchemaRef {
    Id(i32),
    Version(i32),
    Text(String),
    Latest,
}

/// A schema-format key or value whose schema is not resolved yet.
#[derive(Debug)]
pub(super) struct SchemaData {
    what: &'static str,
    /// The `type` given, if any.
    kind: Option<SchemaType>,
    subject: Option<String>,
    strategy: Strategy,
    schema: SchemaRef,
    data: Option<Value>,
}

/// What a report says about the schema of a key or value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SchemaInfo {
    pub kind: SchemaType,
    pub subject: Option<String>,
    pub schema_id: i32,
    pub schema_version: Option<i32>,
}

fn bad(message: String) -> ApiError {
    ApiError::bad_request(format!("Bad Request: {message}"))
}

fn parse_field<T: serde::de::DeserializeOwned>(
    raw: Option<&RawValue>,
    what: &str,
    field: &str,
    expected: &str,
) -> ApiResult<Option<T>> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.get() == "null" => Ok(None),
        Some(raw) => serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|_| bad(format!("{what}.{field}={} is not {expected}.", raw.get()))),
    }
}

impl SchemaData {
    /// Reads the schema fields and the data of `data`, whose `type` is
    /// `kind` (`None`: not given).
    pub(super) fn parse(
        data: &DataIn<'_>,
        kind: Option<SchemaType>,
        what: &'static str,
    ) -> ApiResult<SchemaData> {
        let subject = parse_field::<String>(data.subject, what, "subject", "a string")?;
        let strategy = match parse_field::<String>(
            data.subject_name_strategy,
            what,
            "subject_name_strategy",
            "a string",
        )?
        .map(|s| s.to_ascii_uppercase())
        .as_deref()
        {
            None | Some("TOPIC_NAME") => Strategy::Topic,
            Some("RECORD_NAME") => Strategy::Record,
            Some("TOPIC_RECORD_NAME") => Strategy::TopicRecord,
            Some(other) => {
                return Err(bad(format!(
                    "{what}.subject_name_strategy={other} is not one of TOPIC_NAME, \
                     RECORD_NAME, TOPIC_RECORD_NAME."
                )))
            }
        };
        let id = parse_field::<i32>(data.schema_id, what, "schema_id", "a schema ID")?;
        let version = parse_field::<i32>(data.schema_version, what, "schema_version", "a version")?;
        let text = parse_field::<String>(data.schema, what, "schema", "a string")?;
        let given = [id.is_some(), version.is_some(), text.is_some()];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(bad(format!(
                "{what}: give only one of schema_id, schema_version and schema."
            )));
        }
        let schema = match (id, version, text) {
            (Some(id), _, _) => SchemaRef::Id(id),
            (_, Some(v), _) => SchemaRef::Version(v),
            (_, _, Some(t)) => SchemaRef::Text(t),
            _ => SchemaRef::Latest,
        };
        let data = match data.data {
            None => None,
            Some(raw) if raw.get() == "null" => None,
            Some(raw) => Some(
                serde_json::from_str(raw.get()).map_err(|e| bad(format!("{what}.data: {e}")))?,
            ),
        };
        Ok(SchemaData {
            what,
            kind,
            subject,
            strategy,
            schema,
            data,
        })
    }

    /// The subject, from `subject` or the strategy (`record` is the full
    /// name of the schema's record, when known).
    fn subject(&self, topic: &str, record: Option<&str>) -> ApiResult<String> {
        if let Some(s) = &self.subject {
            return Ok(s.clone());
        }
        let record = || {
            record.ok_or_else(|| {
                bad(format!(
                    "{}: the subject name strategy needs the schema's record name; \
                     give the schema or the subject.",
                    self.what
                ))
            })
        };
        Ok(match self.strategy {
            Strategy::Topic => format!("{topic}-{}", self.what),
            Strategy::Record => record()?.to_owned(),
            Strategy::TopicRecord => format!("{topic}-{}", record()?),
        })
    }

    /// Finds or registers the schema, encodes the data in the Schema
    /// Registry wire format, and says what the report shows.
    pub(super) async fn resolve(
        self,
        registry: &SchemaRegistry,
        topic: &str,
    ) -> ApiResult<(Option<Bytes>, SchemaInfo)> {
        let (schema, subject, version): (std::sync::Arc<RegisteredSchema>, _, _) =
            match &self.schema {
                SchemaRef::Id(id) => {
                    let schema = registry.by_id(*id).await.map_err(|e| lookup(&e))?;
                    (schema, self.subject.clone(), None)
                }
                SchemaRef::Version(v) => {
                    let subject = self.subject(topic, None)?;
                    let found = registry
                        .by_version(&subject, Some(*v))
                        .await
                        .map_err(|e| lookup(&e))?;
                    (found.schema, Some(subject), Some(found.version))
                }
                SchemaRef::Latest => {
                    let subject = self.subject(topic, None)?;
                    let found = registry.by_version(&subject, None).await.map_err(|e| {
                        if e.is_not_found() {
                            ApiError::kafka(format!(
                                "Error when fetching latest schema version. subject = {subject}"
                            ))
                        } else {
                            lookup(&e)
                        }
                    })?;
                    (found.schema, Some(subject), Some(found.version))
                }
                SchemaRef::Text(text) => {
                    let kind = self.kind.unwrap_or(SchemaType::Avro);
                    let record = match kind {
                        SchemaType::Avro => record_full_name(text),
                        _ => None,
                    };
                    let subject = self.subject(topic, record.as_deref())?;
                    let schema = registry
                        .register(&subject, kind, text)
                        .await
                        .map_err(|e| lookup(&e))?;
                    let version = registry
                        .version_of(&subject, &schema, text)
                        .await
                        .map_err(|e| lookup(&e))?;
                    (schema, Some(subject), Some(version))
                }
            };
        if let Some(kind) = self.kind {
            schema.expect_type(kind).map_err(|e| bad(e.to_string()))?;
        }
        let bytes = match &self.data {
            None => None,
            Some(value) => {
                let mut out = Vec::new();
                schema_registry::frame(schema.id, &mut out);
                let root = format!("{}.data", self.what);
                schema
                    .schema
                    .encode(value, &mut out, &root)
                    .map_err(|e| bad(format!("{e} (schema {})", schema.id)))?;
                Some(Bytes::from(out))
            }
        };
        Ok((
            bytes,
            SchemaInfo {
                kind: schema.schema.kind(),
                subject,
                schema_id: schema.id,
                schema_version: version,
            },
        ))
    }
}

/// A registry failure as a record's error: 400 for an invalid schema, 404
/// when the schema or subject does not exist, 40801 otherwise.
fn lookup(e: &RegistryError) -> ApiError {
    match e {
        RegistryError::InvalidSchema(_) | RegistryError::WrongType { .. } => bad(e.to_string()),
        RegistryError::Rejected { status: 404, .. } => {
            ApiError::not_found(format!("Not Found: {e}"))
        }
        RegistryError::Rejected {
            status: 409 | 422, ..
        } => bad(e.to_string()),
        _ => ApiError::from(e.clone()),
    }
}

/// The full name of a record, enum or fixed schema given as JSON text.
fn record_full_name(text: &str) -> Option<String> {
    let schema: Value = serde_json::from_str(text).ok()?;
    let name = schema.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_owned());
    }
    match schema.get("namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_names() {
        assert_eq!(
            record_full_name(r#"{"type":"record","name":"User","namespace":"io.x","fields":[]}"#)
                .as_deref(),
            Some("io.x.User")
        );
        assert_eq!(
            record_full_name(r#"{"type":"record","name":"a.B","namespace":"io.x","fields":[]}"#)
                .as_deref(),
            Some("a.B")
        );
        assert_eq!(record_full_name(r#""string""#), None);
    }

    #[test]
    fn fields_are_checked() {
        let parse = |json: &str| {
            let data: DataIn<'_> = serde_json::from_str(json).unwrap();
            SchemaData::parse(&data, None, "value").map(|d| (d.schema, d.strategy))
        };
        assert!(matches!(
            parse(r#"{"schema_id": 3, "data": 1}"#).unwrap().0,
            SchemaRef::Id(3)
        ));
        assert!(matches!(
            parse(r#"{"data": 1}"#).unwrap().0,
            SchemaRef::Latest
        ));
        assert_eq!(
            parse(r#"{"subject_name_strategy": "record_name", "schema": "\"int\""}"#)
                .unwrap()
                .1,
            Strategy::Record
        );
        for bad in [
            r#"{"schema_id": "x"}"#,
            r#"{"schema_id": 1, "schema_version": 2}"#,
            r#"{"subject_name_strategy": "OTHER"}"#,
            r#"{"schema": 5}"#,
        ] {
            assert_eq!(parse(bad).unwrap_err().error_code, 400, "{bad}");
        }
    }
}
