//! From the protobuf binary encoding to the protobuf JSON mapping, as Java's
//! `JsonFormat.printer().includingDefaultValueFields()` prints it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage,
    SerializeOptions, Value as Field,
};
use serde_json::{Map, Number, Value};

use super::{is_well_known, is_wrapper, Fault, MAX_DEPTH, MAX_PRINTED_VALUES};

/// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of
/// `google.protobuf.Timestamp`.
const MIN_TIMESTAMP_SECONDS: i64 = -62_135_596_800;
const MAX_TIMESTAMP_SECONDS: i64 = 253_402_300_799;

/// The largest `google.protobuf.Duration`, in seconds (10,000 years).
const MAX_DURATION_SECONDS: i64 = 315_576_000_000;

/// How deeply printing recurses: decoded messages nest at most
/// [`MAX_DEPTH`] levels, and each `google.protobuf.Any` decodes its content
/// afresh, so printing allows as much again for those.
const MAX_PRINT_DEPTH: usize = 2 * MAX_DEPTH;

/// Decodes `input` as a `desc` message and prints it.
pub(crate) fn message(desc: MessageDescriptor, input: &[u8]) -> Result<Value, String> {
    let name = desc.full_name().to_owned();
    let message = DynamicMessage::decode(desc, input)
        .map_err(|e| format!("invalid Protobuf data for message {name}: {e}"))?;
    let mut printer = Printer {
        left: MAX_PRINTED_VALUES,
    };
    printer.print(&message, 0).map_err(|fault| {
        format!(
            "cannot read the Protobuf data as message {name}: {}",
            fault.render()
        )
    })
}

/// Prints decoded messages, counting the JSON values it makes.
struct Printer {
    /// How many more JSON values may be printed.
    left: usize,
}

impl Printer {
    /// Counts one printed JSON value, or fails when too many were printed.
    fn charge(&mut self) -> Result<(), Fault> {
        match self.left.checked_sub(1) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(Fault::new(format!(
                "the message prints as more than {MAX_PRINTED_VALUES} JSON values"
            ))),
        }
    }

    /// Prints a message at `depth`.
    fn print(&mut self, message: &DynamicMessage, depth: usize) -> Result<Value, Fault> {
        if depth > MAX_PRINT_DEPTH {
            return Err(Fault::new(format!(
                "messages nest more than {MAX_PRINT_DEPTH} levels deep"
            )));
        }
        self.charge()?;
        let desc = message.descriptor();
        let name = desc.full_name();
        if is_well_known(name) {
            return self.well_known(message, &desc, depth);
        }
        let mut fields: Vec<FieldDescriptor> = desc.fields().collect();
        fields.sort_by_key(FieldDescriptor::number);
        let mut out = Map::new();
        for field in fields {
            let set = message.has_field(&field);
            if field.is_required() && !set {
                return Err(Fault::new(format!(
                    "missing required field \"{}\" of message {name}",
                    field.json_name()
                )));
            }
            let shown = set
                || field.is_list()
                || field.is_map()
                || !(field.kind().as_message().is_some() || field.containing_oneof().is_some());
            if !shown {
                continue;
            }
            self.charge()?;
            let key = field.json_name();
            let value = self
                .field_value(&field, &message.get_field(&field), depth)
                .map_err(|f| f.in_key(key))?;
            out.insert(key.to_owned(), value);
        }
        Ok(Value::Object(out))
    }

    /// Prints the value of `field`.
    fn field_value(
        &mut self,
        field: &FieldDescriptor,
        value: &Field,
        depth: usize,
    ) -> Result<Value, Fault> {
        match value {
            Field::List(items) => self.list(&field.kind(), items, depth),
            Field::Map(entries) => {
                let value_kind = match field.kind() {
                    Kind::Message(entry) => entry.map_entry_value_field().kind(),
                    _ => return Err(Fault::new("a map field without an entry type")),
                };
                let mut sorted: Vec<(&MapKey, &Field)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = Map::new();
                for (key, value) in sorted {
                    let key = map_key(key);
                    let printed = self
                        .single(&value_kind, value, depth)
                        .map_err(|f| f.in_key(&key))?;
                    out.insert(key, printed);
                }
                Ok(Value::Object(out))
            }
            other => self.single(&field.kind(), other, depth),
        }
    }

    /// Prints the items of a repeated field.
    fn list(&mut self, kind: &Kind, items: &[Field], depth: usize) -> Result<Value, Fault> {
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                self.single(kind, item, depth)
                    .map_err(|f| f.in_index(index))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    /// Prints one value of `kind`, in a message at `depth`.
    fn single(&mut self, kind: &Kind, value: &Field, depth: usize) -> Result<Value, Fault> {
        self.charge()?;
        Ok(match value {
            Field::Bool(v) => Value::Bool(*v),
            Field::I32(v) => Value::from(*v),
            Field::U32(v) => Value::from(*v),
            Field::I64(v) => Value::String(v.to_string()),
            Field::U64(v) => Value::String(v.to_string()),
            Field::F32(v) => float32(*v),
            Field::F64(v) => float64(*v),
            Field::String(v) => Value::String(v.clone()),
            Field::Bytes(v) => Value::String(STANDARD.encode(v)),
            Field::EnumNumber(number) => match kind {
                Kind::Enum(e) if e.full_name() == "google.protobuf.NullValue" => Value::Null,
                Kind::Enum(e) => match e.get_value(*number) {
                    Some(v) => Value::String(v.name().to_owned()),
                    None => Value::from(*number),
                },
                _ => Value::from(*number),
            },
            Field::Message(m) => self.print(m, depth + 1)?,
            Field::List(items) => self.list(kind, items, depth)?,
            Field::Map(_) => return Err(Fault::new("a map where a single value was expected")),
        })
    }

    /// Prints a well-known type in its special JSON form.
    fn well_known(
        &mut self,
        message: &DynamicMessage,
        desc: &MessageDescriptor,
        depth: usize,
    ) -> Result<Value, Fault> {
        let name = desc.full_name();
        if is_wrapper(name) {
            let Some(field) = desc.get_field(1) else {
                return Err(Fault::new(format!("{name} has no field 1")));
            };
            return self.single(&field.kind(), &message.get_field(&field), depth);
        }
        match name {
            "google.protobuf.Any" => return self.any(message, depth),
            "google.protobuf.Struct" => return self.struct_fields(message, depth),
            "google.protobuf.Value" => return self.struct_value(message, depth),
            "google.protobuf.ListValue" => return self.list_values(message, depth),
            "google.protobuf.Timestamp" => {
                let (seconds, nanos) = seconds_and_nanos(message);
                if !(MIN_TIMESTAMP_SECONDS..=MAX_TIMESTAMP_SECONDS).contains(&seconds)
                    || !(0..1_000_000_000).contains(&nanos)
                {
                    return Err(Fault::new(format!(
                        "google.protobuf.Timestamp out of range: {seconds} seconds and {nanos} nanos"
                    )));
                }
            }
            "google.protobuf.Duration" => {
                let (seconds, nanos) = seconds_and_nanos(message);
                if !(-MAX_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&seconds)
                    || !(-999_999_999..=999_999_999).contains(&nanos)
                    || (seconds > 0 && nanos < 0)
                    || (seconds < 0 && nanos > 0)
                {
                    return Err(Fault::new(format!(
                        "google.protobuf.Duration out of range: {seconds} seconds and {nanos} nanos"
                    )));
                }
            }
            _ => {}
        }
        let options = SerializeOptions::new().skip_default_fields(false);
        message
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(|e| Fault::new(format!("cannot print {name}: {e}")))
    }

    /// `google.protobuf.Struct`: a JSON object (members sorted by name).
    fn struct_fields(&mut self, message: &DynamicMessage, depth: usize) -> Result<Value, Fault> {
        let mut out = Map::new();
        if let Some(Field::Map(entries)) = message.get_field_by_number(1).as_deref() {
            let mut sorted: Vec<(&MapKey, &Field)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            for (key, value) in sorted {
                self.charge()?;
                let key = map_key(key);
                let printed = match value {
                    Field::Message(m) => self.print(m, depth + 1).map_err(|f| f.in_key(&key))?,
                    _ => Value::Null,
                };
                out.insert(key, printed);
            }
        }
        Ok(Value::Object(out))
    }

    /// `google.protobuf.Value`: the JSON value of the field that is set (`null`
    /// when none is); a non-finite number as a string, as for a `double`.
    fn struct_value(&mut self, message: &DynamicMessage, depth: usize) -> Result<Value, Fault> {
        for number in 1..=6 {
            if !message.has_field_by_number(number) {
                continue;
            }
            return match message.get_field_by_number(number).as_deref() {
                Some(Field::F64(v)) => Ok(float64(*v)),
                Some(Field::String(v)) => Ok(Value::String(v.clone())),
                Some(Field::Bool(v)) => Ok(Value::Bool(*v)),
                Some(Field::Message(m)) => self.print(m, depth + 1),
                _ => Ok(Value::Null),
            };
        }
        Ok(Value::Null)
    }

    /// `google.protobuf.ListValue`: a JSON array.
    fn list_values(&mut self, message: &DynamicMessage, depth: usize) -> Result<Value, Fault> {
        let mut out = Vec::new();
        if let Some(Field::List(items)) = message.get_field_by_number(1).as_deref() {
            for (index, item) in items.iter().enumerate() {
                self.charge()?;
                out.push(match item {
                    Field::Message(m) => self.print(m, depth + 1).map_err(|f| f.in_index(index))?,
                    _ => Value::Null,
                });
            }
        }
        Ok(Value::Array(out))
    }

    /// `google.protobuf.Any`: `{"@type": url, ...fields}`, or
    /// `{"@type": url, "value": ...}` for a well-known type; `{}` when empty.
    fn any(&mut self, message: &DynamicMessage, depth: usize) -> Result<Value, Fault> {
        let type_url = message
            .get_field_by_name("type_url")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let bytes = message
            .get_field_by_name("value")
            .and_then(|v| v.as_bytes().cloned())
            .unwrap_or_default();
        if type_url.is_empty() && bytes.is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        let type_name = type_url.rsplit('/').next().unwrap_or_default();
        let pool = message.descriptor().parent_pool().clone();
        let Some(desc) = pool.get_message_by_name(type_name) else {
            return Err(Fault::new(format!(
                "google.protobuf.Any holds type {}, which the schema does not define",
                Value::from(type_url.as_str())
            )));
        };
        let inner = DynamicMessage::decode(desc.clone(), bytes.as_ref()).map_err(|e| {
            Fault::new(format!(
                "invalid Protobuf data for message {} in google.protobuf.Any: {e}",
                desc.full_name()
            ))
        })?;
        let printed = self.print(&inner, depth + 1)?;
        let mut out = Map::new();
        out.insert("@type".to_owned(), Value::String(type_url));
        match printed {
            Value::Object(members) if !is_well_known(desc.full_name()) => out.extend(members),
            other => {
                out.insert("value".to_owned(), other);
            }
        }
        Ok(Value::Object(out))
    }
}

/// A map key as a JSON member name.
fn map_key(key: &MapKey) -> String {
    match key {
        MapKey::Bool(v) => v.to_string(),
        MapKey::I32(v) => v.to_string(),
        MapKey::I64(v) => v.to_string(),
        MapKey::U32(v) => v.to_string(),
        MapKey::U64(v) => v.to_string(),
        MapKey::String(v) => v.clone(),
    }
}

/// A `float` as the shortest decimal that reads back as the same `float`
/// (`1.1`, not `1.100000023841858`); non-finite values as strings.
fn float32(v: f32) -> Value {
    if v.is_finite() {
        let widened = v.to_string().parse::<f64>().unwrap_or(f64::from(v));
        Number::from_f64(widened).map_or(Value::Null, Value::Number)
    } else {
        non_finite(f64::from(v))
    }
}

/// A `double`; non-finite values as strings.
fn float64(v: f64) -> Value {
    Number::from_f64(v).map_or_else(|| non_finite(v), Value::Number)
}

/// `"NaN"`, `"Infinity"` or `"-Infinity"`.
fn non_finite(v: f64) -> Value {
    Value::String(
        if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned(),
    )
}

/// The fields `seconds` and `nanos` of a Timestamp or Duration.
fn seconds_and_nanos(message: &DynamicMessage) -> (i64, i32) {
    let seconds = message
        .get_field_by_name("seconds")
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    let nanos = message
        .get_field_by_name("nanos")
        .and_then(|v| v.as_i32())
        .unwrap_or(0);
    (seconds, nanos)
}
