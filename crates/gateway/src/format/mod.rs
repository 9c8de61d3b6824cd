//! Embedded formats: between the JSON of a REST body and the bytes of a
//! Kafka key or value.
//!
//! `binary` keys and values are base64 strings; `json` ones are any JSON
//! value, stored as compact JSON text; `avro` ones are Avro's JSON encoding
//! of a datum, stored as the Avro binary datum in the Schema Registry wire
//! format (see [`crate::schema_registry`]); `jsonschema` and `protobuf`
//! ones likewise, with their own datum (see [`schema`]).
//!
//! Decoding appends the bytes of every key and value of a request to one
//! [`Arena`], so a request of N records costs one buffer, not N.

pub mod avro;
pub mod binary;
mod fault;
pub mod json;
pub mod json_schema;
pub mod protobuf;
pub mod schema;

use std::ops::Range;

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::error::{ApiError, ApiResult};
use crate::negotiate::EmbeddedFormat;
use crate::schema_registry::{self, RegisteredSchema};

/// Bytes decoded from one request, sliced into keys and values.
#[derive(Debug, Default)]
pub struct Arena {
    buf: Vec<u8>,
}

/// Where an embedded key or value landed in an [`Arena`]; `None` is null.
pub type Slot = Option<Range<usize>>;

impl Arena {
    /// An arena for about `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Arena {
        Arena {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Decodes `raw` (absent or JSON `null` is a null key/value) in
    /// `format`; `what` names the field in error messages.
    pub fn decode(
        &mut self,
        format: EmbeddedFormat,
        raw: Option<&RawValue>,
        what: impl Fn() -> String,
    ) -> ApiResult<Slot> {
        let Some(raw) = non_null(raw) else {
            return Ok(None);
        };
        let start = self.buf.len();
        match format {
            EmbeddedFormat::Binary => binary::decode_into(raw, &mut self.buf, what)?,
            EmbeddedFormat::Json => json::decode_into(raw, &mut self.buf, what)?,
            other => return Err(needs_schema(other)),
        }
        Ok(Some(start..self.buf.len()))
    }

    /// Encodes `raw` (absent or JSON `null` is a null key/value) as a datum
    /// of `schema`, in the Schema Registry wire format; 400 naming `what`
    /// when the value does not fit the schema.
    pub fn encode_with_schema(
        &mut self,
        schema: &RegisteredSchema,
        raw: Option<&RawValue>,
        what: impl Fn() -> String,
    ) -> ApiResult<Slot> {
        let Some(raw) = non_null(raw) else {
            return Ok(None);
        };
        let value: serde_json::Value = serde_json::from_str(raw.get())
            .map_err(|e| ApiError::bad_request(format!("{}: {e}", what())))?;
        let start = self.buf.len();
        schema_registry::frame(schema.id, &mut self.buf);
        if let Err(e) = schema.schema.encode(&value, &mut self.buf, &what()) {
            self.buf.truncate(start);
            return Err(ApiError::bad_request(format!("{e} (schema {})", schema.id)));
        }
        Ok(Some(start..self.buf.len()))
    }

    /// Freezes the arena; slots become [`Bytes`] with [`Frozen::get`].
    pub fn freeze(self) -> Frozen {
        Frozen(Bytes::from(self.buf))
    }
}

/// `raw` unless it is absent or JSON `null`.
pub fn non_null(raw: Option<&RawValue>) -> Option<&RawValue> {
    raw.filter(|r| r.get() != "null")
}

/// A frozen [`Arena`].
#[derive(Debug, Clone)]
pub struct Frozen(Bytes);

impl Frozen {
    /// The bytes of a slot (a reference-counted slice, no copy).
    pub fn get(&self, slot: &Slot) -> Option<Bytes> {
        slot.as_ref().map(|r| self.0.slice(r.clone()))
    }
}

/// Encodes a record's key or value for a consume response.
pub fn encode(format: EmbeddedFormat, data: Option<&[u8]>) -> ApiResult<serde_json::Value> {
    let Some(data) = data else {
        return Ok(serde_json::Value::Null);
    };
    match format {
        EmbeddedFormat::Binary => Ok(serde_json::Value::String(binary::encode(data))),
        EmbeddedFormat::Json => json::encode(data),
        other => Err(needs_schema(other)),
    }
}

/// The error for a schema format handed to the plain codecs: its data is
/// encoded with its schema ([`Arena::encode_with_schema`], [`schema`]).
pub fn needs_schema(format: EmbeddedFormat) -> ApiError {
    ApiError::invalid_schema(format!(
        "The {format} embedded format is encoded with a schema from the Schema Registry"
    ))
}
