//! From the protobuf JSON mapping to the protobuf binary encoding, written
//! straight from the JSON (fields in number order, map entries in the order
//! of the JSON object).

use std::collections::HashMap;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine as _};
use prost::Message as _;
use prost_reflect::{
    DynamicMessage, EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor, Syntax,
};
use serde_json::{Map, Value};

use super::{describe, is_well_known, is_wrapper, Fault, MAX_DEPTH};

/// Wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;
const START_GROUP: u32 = 3;
const END_GROUP: u32 = 4;
const FIXED32: u32 = 5;

/// Appends the encoding of `value` as a `desc` message (without a tag or a
/// length); `depth` is how many messages enclose it.
pub(crate) fn message(
    desc: &MessageDescriptor,
    value: &Value,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), Fault> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let name = desc.full_name();
    match name {
        "google.protobuf.Struct" => return struct_fields(value, depth, out),
        "google.protobuf.Value" => return struct_value(value, depth, out),
        "google.protobuf.ListValue" => return list_values(value, depth, out),
        "google.protobuf.Any" => return any(desc, value, depth, out),
        "google.protobuf.Timestamp"
        | "google.protobuf.Duration"
        | "google.protobuf.FieldMask"
        | "google.protobuf.Empty" => return delegated(desc, value, out),
        _ if is_wrapper(name) => {
            let field = desc
                .get_field(1)
                .ok_or_else(|| Fault::new(format!("{name} has no field 1")))?;
            return field_value(&field, value, depth, out);
        }
        _ => {}
    }
    let Value::Object(members) = value else {
        return Err(Fault::new(format!(
            "expected a JSON object for message {name}, found {}",
            describe(value)
        )));
    };
    let fields = members_to_fields(desc, members)?;
    for (field, key, member) in &fields {
        field_value(field, member, depth, out).map_err(|f| f.in_key(key))?;
    }
    for field in desc.fields() {
        let present = fields
            .binary_search_by_key(&field.number(), |(f, _, _)| f.number())
            .is_ok();
        if field.is_required() && !present {
            return Err(Fault::new(format!(
                "missing required field \"{}\" of message {name}",
                field.json_name()
            )));
        }
    }
    Ok(())
}

/// The fields the members of a JSON object set, in field-number order, with
/// the member names; members set to `null` are left out (as absent), but
/// for a `google.protobuf.Value` or `google.protobuf.NullValue` field, where
/// `null` is a value.
fn members_to_fields<'a>(
    desc: &MessageDescriptor,
    members: &'a Map<String, Value>,
) -> Result<Vec<(FieldDescriptor, &'a str, &'a Value)>, Fault> {
    let mut fields: Vec<(FieldDescriptor, &str, &Value)> = Vec::with_capacity(members.len());
    let mut by_number: HashMap<u32, &str> = HashMap::new();
    let mut by_oneof: HashMap<String, &str> = HashMap::new();
    for (key, member) in members {
        let Some(field) = desc
            .get_field_by_json_name(key)
            .or_else(|| desc.get_field_by_name(key))
        else {
            return Err(unknown_field(desc, key));
        };
        if member.is_null() && !takes_null(&field) {
            continue;
        }
        if let Some(other) = by_number.insert(field.number(), key) {
            return Err(Fault::new(format!(
                "members \"{other}\" and \"{key}\" both set field \"{}\"",
                field.name()
            )));
        }
        if let Some(oneof) = field.containing_oneof() {
            if let Some(other) = by_oneof.insert(oneof.full_name().to_owned(), key) {
                return Err(Fault::new(format!(
                    "members \"{other}\" and \"{key}\" are both in oneof \"{}\"; set at most one",
                    oneof.name()
                )));
            }
        }
        fields.push((field, key, member));
    }
    fields.sort_by_key(|(f, _, _)| f.number());
    Ok(fields)
}

/// The error for a member that names no field of `desc`.
fn unknown_field(desc: &MessageDescriptor, key: &str) -> Fault {
    let known = if desc.fields().len() == 0 {
        "it has no fields".to_owned()
    } else {
        format!(
            "its fields are {}",
            first_names(desc.fields().map(|f| f.json_name().to_owned()))
        )
    };
    Fault::new(format!(
        "unknown field {} in message {} ({known})",
        Value::from(key),
        desc.full_name()
    ))
}

/// The first 20 of `names` joined with `, `, then `...` if there are more.
fn first_names(names: impl ExactSizeIterator<Item = String>) -> String {
    const MAX_LISTED: usize = 20;
    let more = names.len() > MAX_LISTED;
    let mut listed: Vec<String> = names.take(MAX_LISTED).collect();
    if more {
        listed.push("...".to_owned());
    }
    listed.join(", ")
}

/// Whether a non-repeated `field` takes JSON `null` as a value.
fn takes_null(field: &FieldDescriptor) -> bool {
    !field.is_list() && !field.is_map() && kind_takes_null(&field.kind())
}

/// Whether `kind` has a value written as JSON `null`.
fn kind_takes_null(kind: &Kind) -> bool {
    match kind {
        Kind::Message(m) => m.full_name() == "google.protobuf.Value",
        Kind::Enum(e) => e.full_name() == "google.protobuf.NullValue",
        _ => false,
    }
}

/// Appends `field` set to `value` (a list for a repeated field, an object for
/// a map).
fn field_value(
    field: &FieldDescriptor,
    value: &Value,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), Fault> {
    if field.is_map() {
        return map_entries(field, value, depth, out);
    }
    if field.is_list() {
        let Value::Array(items) = value else {
            return Err(Fault::new(format!(
                "expected an array for repeated field \"{}\", found {}",
                field.name(),
                describe(value)
            )));
        };
        let kind = field.kind();
        for (index, item) in items.iter().enumerate() {
            if item.is_null() && !kind_takes_null(&kind) {
                return Err(Fault::new("list items cannot be null").in_index(index));
            }
        }
        if is_packed(field) {
            if items.is_empty() {
                return Ok(());
            }
            let mut packed = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let scalar = scalar(&kind, item).map_err(|f| f.in_index(index))?;
                scalar.payload(&mut packed);
            }
            tag(field.number(), LEN, out);
            length_delimited(&packed, out);
            return Ok(());
        }
        for (index, item) in items.iter().enumerate() {
            single(
                field.number(),
                field.is_group(),
                &kind,
                item,
                true,
                depth,
                out,
            )
            .map_err(|f| f.in_index(index))?;
        }
        return Ok(());
    }
    single(
        field.number(),
        field.is_group(),
        &field.kind(),
        value,
        field.supports_presence(),
        depth,
        out,
    )
}

/// Whether repeated `field` is written packed: a numeric, bool or enum
/// field, with `[packed = true]`, or in a proto3 file without
/// `[packed = false]`. (The schema's option is read here, as descriptors
/// compiled by protox do not carry it into `FieldDescriptor::is_packed`.)
fn is_packed(field: &FieldDescriptor) -> bool {
    let packable = !matches!(field.kind(), Kind::String | Kind::Bytes | Kind::Message(_));
    let proto3 = field.parent_file().syntax() == Syntax::Proto3;
    packable
        && field
            .field_descriptor_proto()
            .options
            .as_ref()
            .and_then(|o| o.packed)
            .unwrap_or(proto3)
}

/// Appends the entries of map `field` from the members of `value`.
fn map_entries(
    field: &FieldDescriptor,
    value: &Value,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), Fault> {
    let Value::Object(members) = value else {
        return Err(Fault::new(format!(
            "expected an object for map field \"{}\", found {}",
            field.name(),
            describe(value)
        )));
    };
    let Kind::Message(entry) = field.kind() else {
        return Err(Fault::new("a map field without an entry type"));
    };
    let key_field = entry.map_entry_key_field();
    let value_field = entry.map_entry_value_field();
    let value_kind = value_field.kind();
    let mut buf = Vec::new();
    for (key, member) in members {
        buf.clear();
        let key_value = map_key(&key_field.kind(), key).map_err(|f| f.in_key(key))?;
        key_value.write(1, &mut buf);
        if member.is_null() && !kind_takes_null(&value_kind) {
            return Err(Fault::new("map values cannot be null").in_key(key));
        }
        single(2, false, &value_kind, member, true, depth, &mut buf).map_err(|f| f.in_key(key))?;
        tag(field.number(), LEN, out);
        length_delimited(&buf, out);
    }
    Ok(())
}

/// A map key, from its JSON string form.
fn map_key(kind: &Kind, key: &str) -> Result<Scalar, Fault> {
    match kind {
        Kind::String => Ok(Scalar::Bytes(key.as_bytes().to_vec())),
        Kind::Bool => match key {
            "true" => Ok(Scalar::Varint(1)),
            "false" => Ok(Scalar::Varint(0)),
            _ => Err(Fault::new(format!(
                "expected a map key \"true\" or \"false\", found {}",
                Value::from(key)
            ))),
        },
        _ => scalar(kind, &Value::from(key)),
    }
}

/// Appends one value of a singular field or one item of a repeated one
/// (`number`, `kind`); a scalar equal to its default is left out unless
/// `present` (the field has presence, or is an item or map entry part).
fn single(
    number: u32,
    group: bool,
    kind: &Kind,
    value: &Value,
    present: bool,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), Fault> {
    if let Kind::Message(desc) = kind {
        if group {
            tag(number, START_GROUP, out);
            message(desc, value, depth + 1, out)?;
            tag(number, END_GROUP, out);
        } else {
            let mut buf = Vec::new();
            message(desc, value, depth + 1, &mut buf)?;
            tag(number, LEN, out);
            length_delimited(&buf, out);
        }
        return Ok(());
    }
    let scalar = scalar(kind, value)?;
    if present || !scalar.is_default() {
        scalar.write(number, out);
    }
    Ok(())
}

/// A scalar, ready to write.
#[derive(Debug)]
enum Scalar {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Bytes(Vec<u8>),
}

impl Scalar {
    /// Whether this is the default value (zero bits, or empty), which
    /// fields without presence leave out.
    fn is_default(&self) -> bool {
        match self {
            Scalar::Varint(v) | Scalar::Fixed64(v) => *v == 0,
            Scalar::Fixed32(v) => *v == 0,
            Scalar::Bytes(b) => b.is_empty(),
        }
    }

    /// Appends field `number` with this value.
    fn write(&self, number: u32, out: &mut Vec<u8>) {
        let wire_type = match self {
            Scalar::Varint(_) => VARINT,
            Scalar::Fixed32(_) => FIXED32,
            Scalar::Fixed64(_) => FIXED64,
            Scalar::Bytes(_) => LEN,
        };
        tag(number, wire_type, out);
        self.payload(out);
    }

    /// Appends the value without a tag.
    fn payload(&self, out: &mut Vec<u8>) {
        match self {
            Scalar::Varint(v) => varint(*v, out),
            Scalar::Fixed32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Scalar::Fixed64(v) => out.extend_from_slice(&v.to_le_bytes()),
            Scalar::Bytes(b) => length_delimited(b, out),
        }
    }
}

/// Reads `value` as a scalar of `kind` (not a message).
fn scalar(kind: &Kind, value: &Value) -> Result<Scalar, Fault> {
    Ok(match kind {
        Kind::Double => Scalar::Fixed64(float(value, "double")?.to_bits()),
        Kind::Float => {
            let v = float(value, "float")?;
            let narrow = v as f32;
            if v.is_finite() && narrow.is_infinite() {
                return Err(Fault::new(format!(
                    "{} is out of range for a float",
                    describe(value)
                )));
            }
            Scalar::Fixed32(narrow.to_bits())
        }
        Kind::Int32 => Scalar::Varint(int(value, "int32", i32::MIN, i32::MAX)? as i64 as u64),
        Kind::Sint32 => {
            let v = int(value, "sint32", i32::MIN, i32::MAX)? as i32;
            Scalar::Varint(u64::from(((v << 1) ^ (v >> 31)) as u32))
        }
        Kind::Sfixed32 => {
            Scalar::Fixed32(int(value, "sfixed32", i32::MIN, i32::MAX)? as i32 as u32)
        }
        Kind::Uint32 => Scalar::Varint(int(value, "uint32", 0, u32::MAX)? as u64),
        Kind::Fixed32 => Scalar::Fixed32(int(value, "fixed32", 0, u32::MAX)? as u32),
        Kind::Int64 => Scalar::Varint(int(value, "int64", i64::MIN, i64::MAX)? as i64 as u64),
        Kind::Sint64 => {
            let v = int(value, "sint64", i64::MIN, i64::MAX)? as i64;
            Scalar::Varint(((v << 1) ^ (v >> 63)) as u64)
        }
        Kind::Sfixed64 => {
            Scalar::Fixed64(int(value, "sfixed64", i64::MIN, i64::MAX)? as i64 as u64)
        }
        Kind::Uint64 => Scalar::Varint(int(value, "uint64", 0, u64::MAX)? as u64),
        Kind::Fixed64 => Scalar::Fixed64(int(value, "fixed64", 0, u64::MAX)? as u64),
        Kind::Bool => match value {
            Value::Bool(b) => Scalar::Varint(u64::from(*b)),
            Value::String(s) if s == "true" => Scalar::Varint(1),
            Value::String(s) if s == "false" => Scalar::Varint(0),
            other => {
                return Err(Fault::new(format!(
                    "expected true or false, found {}",
                    describe(other)
                )))
            }
        },
        Kind::String => match value {
            Value::String(s) => Scalar::Bytes(s.as_bytes().to_vec()),
            other => {
                return Err(Fault::new(format!(
                    "expected a string, found {}",
                    describe(other)
                )))
            }
        },
        Kind::Bytes => Scalar::Bytes(base64(value)?),
        Kind::Enum(e) => Scalar::Varint(enum_number(e, value)? as i64 as u64),
        Kind::Message(m) => {
            return Err(Fault::new(format!(
                "message {} where a scalar was expected",
                m.full_name()
            )))
        }
    })
}

/// Reads a number, a numeric string or `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn float(value: &Value, type_name: &str) -> Result<f64, Fault> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| Fault::new(format!("{n} is not a {type_name}"))),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            text => match parse_decimal(text) {
                Some(v) if v.is_finite() => Ok(v),
                Some(_) => Err(Fault::new(format!(
                    "{} is out of range for a {type_name}",
                    Value::from(text)
                ))),
                None => Err(Fault::new(format!(
                    "expected a number, found {}",
                    describe(value)
                ))),
            },
        },
        other => Err(Fault::new(format!(
            "expected a number, found {}",
            describe(other)
        ))),
    }
}

/// Parses a decimal number (`-1.5e3`); none of Rust's other spellings
/// (`inf`, `NaN`, `+`-less exponents are fine).
fn parse_decimal(text: &str) -> Option<f64> {
    let looks_decimal = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && text.bytes().any(|b| b.is_ascii_digit());
    if looks_decimal {
        text.parse().ok()
    } else {
        None
    }
}

/// Reads an integral number or decimal string within `min..=max`.
fn int<T: Into<i128>>(value: &Value, type_name: &str, min: T, max: T) -> Result<i128, Fault> {
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    let integral = |v: f64| -> Result<i128, Fault> {
        if !v.is_finite() || v.fract() != 0.0 {
            Err(Fault::new(format!(
                "expected an integer, found {}",
                describe(value)
            )))
        } else if v.abs() >= TWO_POW_64 {
            Err(Fault::new(format!(
                "{} is out of range for {type_name}",
                describe(value)
            )))
        } else {
            Ok(v as i128)
        }
    };
    let v = match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i128::from(i)
            } else if let Some(u) = n.as_u64() {
                i128::from(u)
            } else {
                integral(n.as_f64().unwrap_or(f64::NAN))?
            }
        }
        Value::String(s) => match s.parse::<i128>() {
            Ok(i) => i,
            Err(_) => match parse_decimal(s) {
                Some(v) => integral(v)?,
                None => {
                    return Err(Fault::new(format!(
                        "expected an integer, found {}",
                        describe(value)
                    )))
                }
            },
        },
        other => {
            return Err(Fault::new(format!(
                "expected an integer, found {}",
                describe(other)
            )))
        }
    };
    if v < min.into() || v > max.into() {
        return Err(Fault::new(format!(
            "{} is out of range for {type_name}",
            describe(value)
        )));
    }
    Ok(v)
}

/// Reads base64 in the standard or the URL-safe alphabet, padded or not.
fn base64(value: &Value) -> Result<Vec<u8>, Fault> {
    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);
    let Value::String(text) = value else {
        return Err(Fault::new(format!(
            "expected a base64 string, found {}",
            describe(value)
        )));
    };
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine
        .decode(text)
        .map_err(|e| Fault::new(format!("invalid base64: {e}")))
}

/// Reads an enum value: its name, or its number (a number that names no
/// value is taken only by an open, proto3 enum).
fn enum_number(desc: &EnumDescriptor, value: &Value) -> Result<i32, Fault> {
    if desc.full_name() == "google.protobuf.NullValue" && value.is_null() {
        return Ok(0);
    }
    let number = match value {
        Value::String(name) => {
            if let Some(v) = desc.get_value_by_name(name) {
                return Ok(v.number());
            }
            match name.parse::<i32>() {
                Ok(n) => n,
                Err(_) => return Err(unknown_enum_name(desc, name)),
            }
        }
        Value::Number(_) => int(value, "an enum number", i32::MIN, i32::MAX)? as i32,
        other => {
            return Err(Fault::new(format!(
                "expected a name of enum {}, found {}",
                desc.full_name(),
                describe(other)
            )))
        }
    };
    let closed = desc.parent_file().syntax() == Syntax::Proto2;
    if closed && desc.get_value(number).is_none() {
        return Err(Fault::new(format!(
            "{number} is not a value of enum {}",
            desc.full_name()
        )));
    }
    Ok(number)
}

/// The error for a string that names no value of `desc`.
fn unknown_enum_name(desc: &EnumDescriptor, name: &str) -> Fault {
    Fault::new(format!(
        "unknown value {} of enum {} (its values are {})",
        Value::from(name),
        desc.full_name(),
        first_names(desc.values().map(|v| v.name().to_owned()))
    ))
}

/// `google.protobuf.Struct`: a JSON object.
fn struct_fields(value: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), Fault> {
    let Value::Object(members) = value else {
        return Err(Fault::new(format!(
            "expected a JSON object for google.protobuf.Struct, found {}",
            describe(value)
        )));
    };
    let mut entry = Vec::new();
    let mut inner = Vec::new();
    for (key, member) in members {
        entry.clear();
        inner.clear();
        Scalar::Bytes(key.as_bytes().to_vec()).write(1, &mut entry);
        struct_value(member, deeper(depth)?, &mut inner).map_err(|f| f.in_key(key))?;
        tag(2, LEN, &mut entry);
        length_delimited(&inner, &mut entry);
        tag(1, LEN, out);
        length_delimited(&entry, out);
    }
    Ok(())
}

/// `google.protobuf.Value`: any JSON value.
fn struct_value(value: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), Fault> {
    match value {
        Value::Null => Scalar::Varint(0).write(1, out),
        Value::Number(n) => Scalar::Fixed64(n.as_f64().unwrap_or(f64::NAN).to_bits()).write(2, out),
        Value::String(s) => Scalar::Bytes(s.as_bytes().to_vec()).write(3, out),
        Value::Bool(b) => Scalar::Varint(u64::from(*b)).write(4, out),
        Value::Object(_) => {
            let mut inner = Vec::new();
            struct_fields(value, deeper(depth)?, &mut inner)?;
            tag(5, LEN, out);
            length_delimited(&inner, out);
        }
        Value::Array(_) => {
            let mut inner = Vec::new();
            list_values(value, deeper(depth)?, &mut inner)?;
            tag(6, LEN, out);
            length_delimited(&inner, out);
        }
    }
    Ok(())
}

/// `google.protobuf.ListValue`: a JSON array.
fn list_values(value: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), Fault> {
    let Value::Array(items) = value else {
        return Err(Fault::new(format!(
            "expected an array for google.protobuf.ListValue, found {}",
            describe(value)
        )));
    };
    let mut inner = Vec::new();
    for (index, item) in items.iter().enumerate() {
        inner.clear();
        struct_value(item, deeper(depth)?, &mut inner).map_err(|f| f.in_index(index))?;
        tag(1, LEN, out);
        length_delimited(&inner, out);
    }
    Ok(())
}

/// The depth of a message nested in one at `depth`, or the error when that
/// is too deep.
fn deeper(depth: usize) -> Result<usize, Fault> {
    if depth >= MAX_DEPTH {
        Err(too_deep())
    } else {
        Ok(depth + 1)
    }
}

/// The error for messages nested too deeply.
fn too_deep() -> Fault {
    Fault::new(format!("messages nest more than {MAX_DEPTH} levels deep"))
}

/// `google.protobuf.Any`: `{"@type": url, ...fields}`, or
/// `{"@type": url, "value": ...}` for a well-known type; `{}` is an empty
/// Any. The type is looked up in the schema (and its imports) by the part of
/// the URL after its last `/`.
fn any(
    desc: &MessageDescriptor,
    value: &Value,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), Fault> {
    let Value::Object(members) = value else {
        return Err(Fault::new(format!(
            "expected a JSON object with an \"@type\" member for google.protobuf.Any, found {}",
            describe(value)
        )));
    };
    if members.is_empty() {
        return Ok(());
    }
    let type_url =
        match members.get("@type") {
            Some(Value::String(url)) => url,
            Some(other) => {
                return Err(Fault::new(format!(
                    "expected a type URL string, found {}",
                    describe(other)
                ))
                .in_key("@type"))
            }
            None => return Err(Fault::new(
                "a google.protobuf.Any needs an \"@type\" member naming the type of its content",
            )),
        };
    let type_name = type_url.rsplit('/').next().unwrap_or_default();
    let Some(inner) = desc.parent_pool().get_message_by_name(type_name) else {
        return Err(Fault::new(format!(
            "the schema defines no message type {}",
            Value::from(type_name)
        ))
        .in_key("@type"));
    };
    let mut content = Vec::new();
    if is_well_known(inner.full_name()) {
        if let Some(key) = members.keys().find(|k| *k != "@type" && *k != "value") {
            return Err(unknown_field(&inner, key));
        }
        let Some(member) = members.get("value") else {
            return Err(Fault::new(format!(
                "a google.protobuf.Any of {} needs a \"value\" member",
                inner.full_name()
            )));
        };
        message(&inner, member, depth + 1, &mut content).map_err(|f| f.in_key("value"))?;
    } else {
        let mut fields = members.clone();
        fields.remove("@type");
        message(&inner, &Value::Object(fields), depth + 1, &mut content)?;
    }
    Scalar::Bytes(type_url.as_bytes().to_vec()).write(1, out);
    if !content.is_empty() {
        Scalar::Bytes(content).write(2, out);
    }
    Ok(())
}

/// Timestamp, Duration, FieldMask and Empty, through prost-reflect's JSON
/// mapping.
fn delegated(desc: &MessageDescriptor, value: &Value, out: &mut Vec<u8>) -> Result<(), Fault> {
    let name = desc.full_name();
    let expected = match name {
        "google.protobuf.Timestamp" => {
            "an RFC 3339 timestamp string such as \"2024-05-01T12:30:00.250Z\""
        }
        "google.protobuf.Duration" => "a duration string such as \"1.5s\"",
        "google.protobuf.FieldMask" => "a field mask string such as \"name,address.city\"",
        _ => "an empty JSON object",
    };
    let message = DynamicMessage::deserialize(desc.clone(), value).map_err(|e| {
        Fault::new(format!(
            "expected {expected} for {name}, found {} ({e})",
            describe(value)
        ))
    })?;
    message.encode_raw(out);
    Ok(())
}

/// Appends a field tag.
fn tag(number: u32, wire_type: u32, out: &mut Vec<u8>) {
    varint(u64::from(number << 3 | wire_type), out);
}

/// Appends a length and the bytes.
fn length_delimited(bytes: &[u8], out: &mut Vec<u8>) {
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// Appends a varint.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
