//! Protocol Buffers: `.proto` schemas, and the binary encoding of data
//! written in the canonical protobuf JSON mapping (the form Confluent's REST
//! Proxy uses for the `protobuf` embedded format, in requests and in
//! responses).
//!
//! [`Schema::parse`] compiles the text of one `.proto` file (as a Schema
//! Registry stores it), [`encode`] turns a JSON value into the Confluent
//! message-index prefix followed by the protobuf binary encoding of the
//! file's first message, and [`decode`] reads such a prefix, picks the
//! message it names and turns the rest back into JSON. The magic byte and
//! the schema id in front of the prefix are the caller's business.
//!
//! # Message indexes
//!
//! After the schema id, the Confluent wire format names the message type
//! within the file as a path of indexes: the index of a top-level message
//! in declaration order, then of a nested message within it, and so on
//! (nested types count in declaration order, including the entry types
//! that `map<..>` fields declare). The path is written as a zig-zag varint
//! count followed by that many zig-zag varint indexes; the common path
//! `[0]` is written as the single byte `0` (a count of zero). [`encode`]
//! always writes the first message of the file, so its output starts with
//! that byte `0`.
//!
//! # JSON mapping
//!
//! The JSON is the canonical protobuf JSON mapping
//! (<https://protobuf.dev/programming-guides/json/>).
//!
//! Reading ([`encode`]):
//!
//! | protobuf type                 | JSON accepted                                              |
//! |-------------------------------|------------------------------------------------------------|
//! | message                       | an object; members named by JSON name or field name        |
//! | 32-bit integers               | a number or decimal string, integral and in range          |
//! | 64-bit integers               | the same (a string keeps values above 2^53 exact)          |
//! | float, double                 | a number, a numeric string, `"NaN"`, `"[-]Infinity"`       |
//! | bool                          | `true` / `false` (or the strings `"true"` / `"false"`)     |
//! | string                        | a string                                                   |
//! | bytes                         | base64, standard or URL-safe alphabet, padding optional    |
//! | enum                          | a value's name, or a number (a proto2 enum: its values)    |
//! | repeated                      | an array                                                   |
//! | map                           | an object; keys are strings (`"7"`, `"true"`, ...)         |
//! | google.protobuf.Timestamp     | an RFC 3339 string, `"2024-05-01T12:30:00.250Z"`           |
//! | google.protobuf.Duration      | seconds with an `s`, `"1.5s"`                              |
//! | wrappers (`Int64Value`, ...)  | the bare value, as for the wrapped type                    |
//! | Struct, Value, ListValue      | a JSON object, any JSON value, a JSON array                |
//! | google.protobuf.FieldMask     | comma-separated lowerCamelCase paths, `"a.bC,d"`           |
//! | google.protobuf.Empty         | `{}`                                                       |
//! | google.protobuf.Any           | `{"@type": url, ...}` (`"value"` for well-known types)     |
//!
//! A member whose value is `null` is taken as absent (for a
//! `google.protobuf.Value` it is the JSON null). Unknown members, two
//! members naming the same field, two members of one `oneof` and missing
//! proto2 `required` fields are errors. Fields are written in field-number
//! order, as `protoc`'s implementations write them; fields without presence
//! (proto3 singular fields outside a `oneof` and without `optional`) that
//! hold their default value are not written; repeated scalars are packed
//! where the schema says so (the proto3 default); map entries are written
//! in the order of the JSON object.
//!
//! Writing ([`decode`]) follows Java's
//! `JsonFormat.printer().includingDefaultValueFields()`: members are named
//! by their lowerCamelCase JSON names in field-number order; every field is
//! printed except an unset singular message field and an unset field of a
//! `oneof` (including a proto3 `optional` field), so scalars show their
//! defaults (a proto2 field its declared `[default = ..]`), repeated fields
//! `[]` and maps `{}`. Enums are printed by name (a number the enum does not
//! define is printed as the number, for proto2 enums too), 64-bit integers as decimal strings,
//! bytes as padded standard base64, non-finite floats as `"NaN"`,
//! `"Infinity"`, `"-Infinity"`, a `float` as its shortest decimal form,
//! map entries sorted by key. Unknown fields and extensions are dropped
//! (as Java's parser without an extension registry drops them). The type of
//! a `google.protobuf.Any` must be defined in the schema or its imports.
//!
//! # Limits
//!
//! Messages nest at most [`MAX_DEPTH`] levels below the top one, on both
//! sides (a `google.protobuf.Struct` counts two levels per JSON object or
//! array, as its binary form does). Decoding checks every length against
//! the bytes left and prints at most [`MAX_PRINTED_VALUES`] JSON values, so
//! any input decodes in bounded time and memory, or is refused with an
//! error; it never panics.

mod decode;
mod encode;
mod indexes;
mod schema;
#[cfg(test)]
mod tests;

use serde_json::Value;

pub use schema::Schema;

/// How many levels messages may nest below the top-level message, when
/// encoding and when decoding (the recursion limit of the protobuf decoder).
pub const MAX_DEPTH: usize = 100;

/// How many JSON values (members, items and scalars) [`decode`] prints for
/// one message at most. Printing default values lets a few bytes print as
/// many values (an empty item of a repeated message field, two bytes, prints
/// every field of that message), so this bounds the memory a hostile
/// record can cost.
pub const MAX_PRINTED_VALUES: usize = 2_000_000;

/// Appends the Confluent message-index prefix for the first message of the
/// file (the single byte `0`) and then the binary encoding of `value`, read
/// with the canonical protobuf JSON mapping (see the
/// [module documentation](self)).
///
/// On error `out` is left as it was; the message names the place in the
/// value as a path (`inner.items[2].name: ...`) and the problem.
pub fn encode(schema: &Schema, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    let start = out.len();
    indexes::write(&[0], out);
    encode::message(schema.message(), value, 0, out).map_err(|fault| {
        out.truncate(start);
        fault.render()
    })
}

/// Reads the message-index prefix of `input`, picks the message it names,
/// decodes the rest of `input` as that message and returns it in the
/// protobuf JSON mapping as Java's
/// `JsonFormat.printer().includingDefaultValueFields()` prints it (see the
/// [module documentation](self)).
///
/// Never panics; bad prefixes, bad data and data that cannot be printed
/// (a `google.protobuf.Any` of a type the schema does not know, a missing
/// proto2 `required` field, an out-of-range Timestamp) are errors.
pub fn decode(schema: &Schema, input: &[u8]) -> Result<Value, String> {
    let (path, used) = indexes::read(input)?;
    let desc = indexes::resolve(schema.file(), &path)?;
    decode::message(desc, &input[used..])
}

pub(crate) use super::fault::Fault;

/// A short description of a JSON value for error messages:
/// `"abc"`, `1.5`, `true`, `null`, `an object`, `an array`.
pub(crate) fn describe(value: &Value) -> String {
    const MAX_CHARS: usize = 40;
    match value {
        Value::Object(_) => "an object".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::String(s) if s.chars().count() > MAX_CHARS => {
            let head: String = s.chars().take(MAX_CHARS).collect();
            let quoted = Value::from(head).to_string();
            format!("{}...\"", &quoted[..quoted.len() - 1])
        }
        other => other.to_string(),
    }
}

/// Whether `full_name` is one of the well-known types with a special JSON
/// form.
pub(crate) fn is_well_known(full_name: &str) -> bool {
    matches!(
        full_name,
        "google.protobuf.Any"
            | "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.Struct"
            | "google.protobuf.Value"
            | "google.protobuf.ListValue"
            | "google.protobuf.Empty"
    ) || is_wrapper(full_name)
}

/// Whether `full_name` is one of the wrapper types, whose JSON form is the
/// bare value of their field `value`.
pub(crate) fn is_wrapper(full_name: &str) -> bool {
    matches!(
        full_name,
        "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
    )
}
