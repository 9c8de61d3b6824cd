//! Apache Avro: schemas, and the binary encoding of data written in Avro's
//! JSON encoding (the form Confluent's REST Proxy uses for the `avro`
//! embedded format, in requests and in responses).
//!
//! [`Schema::parse`] reads a schema from its JSON text, [`encode`] turns a
//! JSON value into Avro binary and [`decode`] turns Avro binary back into
//! JSON. The codec follows the Avro 1.11 specification; logical types are
//! accepted and read and written as their underlying type.
//!
//! # JSON mapping
//!
//! | Avro type        | JSON                                                        |
//! |------------------|-------------------------------------------------------------|
//! | null             | `null`                                                      |
//! | boolean          | `true` / `false`                                            |
//! | int, long        | an integer (range-checked; `2.0` is taken, `2.5` is not)    |
//! | float, double    | a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`           |
//! | bytes, fixed     | a string of code points U+0000..=U+00FF, one per byte       |
//! | string           | a string                                                    |
//! | record           | an object with one member per field                         |
//! | enum             | the symbol, as a string                                     |
//! | array            | an array                                                    |
//! | map              | an object                                                   |
//! | union            | `null` for the null branch, else `{"<branch>": value}`      |
//!
//! A union branch is named by the full name of a named type (`"com.example.User"`)
//! and by the type name otherwise (`"string"`, `"long"`, `"array"`, `"map"`, ...).
//! When encoding a record, a missing field takes its schema default, if it
//! has one; members that are not fields are refused. A default is written
//! in JSON as the schema gives it: the default of a union is a bare value
//! of its first branch (or, as Avro's Java implementation allows, of the
//! first branch that takes that kind of value). A schema whose default does
//! not fit its field still parses; leaving that field out is the error.
//!
//! # Limits
//!
//! Schemas nest at most [`MAX_SCHEMA_DEPTH`] types deep and data at most
//! [`MAX_VALUE_DEPTH`] values deep. Decoding checks every length and count
//! against the bytes left before allocating, and takes at most
//! [`MAX_EMPTY_ITEMS`] array items whose type encodes in zero bytes in one
//! datum, so any input, however hostile, decodes in bounded time and memory.

mod decode;
mod encode;
mod schema;

use serde_json::Value;

pub use schema::Schema;

/// How deep types may nest in a schema.
pub const MAX_SCHEMA_DEPTH: usize = 128;

/// How deep values may nest in one datum (records, arrays, maps and unions
/// each count as one level), when encoding or decoding.
pub const MAX_VALUE_DEPTH: usize = 256;

/// How many array items of a type that encodes in zero bytes (such as
/// `null`, or a record of no fields) one decoded datum may hold.
pub const MAX_EMPTY_ITEMS: usize = 1_000_000;

/// The root of the paths in [`AvroError`]s, until [`AvroError::with_root`]
/// renames it.
const DEFAULT_ROOT: &str = "value";

/// An error from parsing a schema, encoding or decoding.
///
/// Display is a user-facing message. Data errors name the place in the
/// datum as a path from the root (`value` unless renamed with
/// [`AvroError::with_root`]), e.g. `value.address.zip: expected an int, found "abc"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AvroError {
    /// The schema is not a valid Avro schema.
    #[error("invalid Avro schema: {0}")]
    Schema(String),
    /// A JSON value does not match the schema.
    #[error("{root}{path}: {message}")]
    Value {
        /// The name of the datum (`value` by default).
        root: String,
        /// Where in the datum, from the root: `.field`, `[index]`, `["key"]`.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// Binary data is not a valid Avro encoding under the schema.
    #[error("{root}{path}: {message}")]
    Data {
        /// The name of the datum (`value` by default).
        root: String,
        /// Where in the datum, from the root: `.field`, `[index]`, `["key"]`.
        path: String,
        /// What is wrong there.
        message: String,
    },
}

impl AvroError {
    /// Renames the root of the path of a data error (e.g. to `key`, or to
    /// `records[3].value`); a schema error is returned as it is.
    pub fn with_root(self, name: impl Into<String>) -> AvroError {
        match self {
            AvroError::Value { path, message, .. } => AvroError::Value {
                root: name.into(),
                path,
                message,
            },
            AvroError::Data { path, message, .. } => AvroError::Data {
                root: name.into(),
                path,
                message,
            },
            schema @ AvroError::Schema(_) => schema,
        }
    }
}

/// Appends the Avro binary encoding of `value` (Avro's JSON encoding, see
/// the [module documentation](self)) to `out`. On error `out` is left as it
/// was.
pub fn encode(schema: &Schema, value: &Value, out: &mut Vec<u8>) -> Result<(), AvroError> {
    let start = out.len();
    let result = encode::Encoder::new(schema.named(), false).value(schema.root(), value, out, 0);
    result.map_err(|fault| {
        out.truncate(start);
        fault.into_value_error()
    })
}

/// Decodes one datum that must take all of `input` (trailing bytes are an
/// error) into Avro's JSON encoding (see the [module documentation](self)).
pub fn decode(schema: &Schema, input: &[u8]) -> Result<Value, AvroError> {
    decode::Decoder::new(schema.named(), input)
        .datum(schema.root())
        .map_err(Fault::into_data_error)
}

pub(crate) use super::fault::{is_identifier, Fault};

impl Fault {
    fn into_value_error(self) -> AvroError {
        AvroError::Value {
            root: DEFAULT_ROOT.to_owned(),
            path: self.path(),
            message: self.into_message(),
        }
    }

    fn into_data_error(self) -> AvroError {
        AvroError::Data {
            root: DEFAULT_ROOT.to_owned(),
            path: self.path(),
            message: self.into_message(),
        }
    }
}

/// A short rendering of a JSON value for error messages: compact JSON, cut
/// after about 60 bytes.
pub(crate) fn describe(value: &Value) -> String {
    const LIMIT: usize = 60;
    let mut writer = Bounded {
        buf: Vec::new(),
        limit: LIMIT,
    };
    let complete = serde_json::to_writer(&mut writer, value).is_ok();
    let mut text = match String::from_utf8(writer.buf) {
        Ok(text) => text,
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let mut bytes = err.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        }
    };
    if !complete {
        text.push('…');
    }
    text
}

/// A writer that takes at most `limit` bytes, then fails.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = self.limit - self.buf.len();
        if room == 0 {
            return Err(std::io::Error::other("full"));
        }
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{json, Map, Number};

    use super::schema::{NamedKind, Type};
    use super::*;

    /// A record of every kind of type (the known-answer vectors below).
    const USER: &str = r#"{"type":"record","name":"User","namespace":"com.example","fields":[
        {"name":"id","type":"long"},
        {"name":"age","type":"int"},
        {"name":"name","type":"string"},
        {"name":"active","type":"boolean"},
        {"name":"score","type":"float"},
        {"name":"ratio","type":"double"},
        {"name":"avatar","type":"bytes"},
        {"name":"suit","type":{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS","DIAMONDS","CLUBS"]}},
        {"name":"address","type":{"type":"record","name":"Address","namespace":"com.example.geo","fields":[
            {"name":"street","type":"string"},{"name":"zip","type":"int"}]}},
        {"name":"tags","type":{"type":"array","items":{"type":"map","values":"long"}}},
        {"name":"extra","type":["null","string","long","com.example.geo.Address"]},
        {"name":"hash","type":{"type":"fixed","name":"MD5","size":16}},
        {"name":"nothing","type":"null"}]}"#;

    const NODE: &str = r#"{"type":"record","name":"Node","fields":[
        {"name":"value","type":"int"},{"name":"next","type":["null","Node"]}]}"#;

    const MAP_OF_ARRAYS: &str = r#"{"type":"map","values":{"type":"array","items":
        ["null","double",{"type":"enum","name":"E","namespace":"n.s","symbols":["A","B"]}]}}"#;

    const WITH_DEFAULTS: &str = r#"{"type":"record","name":"WithDefaults","fields":[
        {"name":"a","type":"int"},
        {"name":"b","type":["null","string"],"default":null},
        {"name":"c","type":["string","null"],"default":"dflt"},
        {"name":"d","type":{"type":"array","items":"int"},"default":[1,2,3]},
        {"name":"e","type":"bytes","default":"\u00ff\u0000"},
        {"name":"f","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":["long","null"]}]},
            "default":{"x":7}}]}"#;

    /// Schema, value in Avro's JSON encoding, and its binary encoding as
    /// written by Python's fastavro 1.13 (`schemaless_writer`).
    const KNOWN_ANSWERS: &[(&str, &str, &str)] = &[
        (
            USER,
            r#"{"id":1,"age":-42,"name":"Zo\u00eb \u2713","active":true,"score":1.5,"ratio":-0.1,"avatar":"","suit":"HEARTS","address":{"street":"1 Main St","zip":94105},"tags":[],"extra":null,"hash":"\u0000\u0011\"3DUfw\u0088\u0099\u00aa\u00bb\u00cc\u00dd\u00ee\u00ff","nothing":null}"#,
            "0253105a6fc3ab20e29c93010000c03f9a9999999999b9bf00021231204d61696e205374b2be0b000000112233445566778899aabbccddeeff",
        ),
        (
            USER,
            r#"{"id":-9223372036854775808,"age":-42,"name":"Zo\u00eb \u2713","active":true,"score":1.5,"ratio":-0.1,"avatar":"\u0000\u00ff\u0080\u007fAB","suit":"CLUBS","address":{"street":"1 Main St","zip":94105},"tags":[{"a":1,"b":-2},{},{"c":9223372036854775807}],"extra":{"string":"hi"},"hash":"\u0000\u0011\"3DUfw\u0088\u0099\u00aa\u00bb\u00cc\u00dd\u00ee\u00ff","nothing":null}"#,
            "ffffffffffffffffff0153105a6fc3ab20e29c93010000c03f9a9999999999b9bf0c00ff807f4142061231204d61696e205374b2be0b06040261020262030000020263feffffffffffffffff0100000204686900112233445566778899aabbccddeeff",
        ),
        (
            USER,
            r#"{"id":9223372036854775807,"age":-42,"name":"Zo\u00eb \u2713","active":true,"score":1.5,"ratio":-0.1,"avatar":"\u00e9","suit":"SPADES","address":{"street":"1 Main St","zip":94105},"tags":[{"x":0}],"extra":{"long":-1234567890123},"hash":"\u0000\u0011\"3DUfw\u0088\u0099\u00aa\u00bb\u00cc\u00dd\u00ee\u00ff","nothing":null}"#,
            "feffffffffffffffff0153105a6fc3ab20e29c93010000c03f9a9999999999b9bf02e9001231204d61696e205374b2be0b02020278000000049593d89fee4700112233445566778899aabbccddeeff",
        ),
        (
            USER,
            r#"{"id":300,"age":-42,"name":"Zo\u00eb \u2713","active":true,"score":1.5,"ratio":-0.1,"avatar":"\u00ff\u00ff\u00ff","suit":"HEARTS","address":{"street":"1 Main St","zip":94105},"tags":[],"extra":{"com.example.geo.Address":{"street":"","zip":-2147483648}},"hash":"\u0000\u0011\"3DUfw\u0088\u0099\u00aa\u00bb\u00cc\u00dd\u00ee\u00ff","nothing":null}"#,
            "d80453105a6fc3ab20e29c93010000c03f9a9999999999b9bf06ffffff021231204d61696e205374b2be0b000600ffffffff0f00112233445566778899aabbccddeeff",
        ),
        (r#""long""#, "0", "00"),
        (r#""long""#, "-1", "01"),
        (r#""long""#, "1", "02"),
        (r#""long""#, "-64", "7f"),
        (r#""long""#, "64", "8001"),
        (r#""long""#, "2147483648", "8080808010"),
        (r#""long""#, "-9223372036854775808", "ffffffffffffffffff01"),
        (r#""long""#, "9223372036854775807", "feffffffffffffffff01"),
        (r#""int""#, "2147483647", "feffffff0f"),
        (r#""int""#, "-2147483648", "ffffffff0f"),
        (r#""int""#, "150", "ac02"),
        (r#""float""#, "3.4028234663852886e+38", "ffff7f7f"),
        (r#""float""#, "1.100000023841858", "cdcc8c3f"),
        (r#""float""#, "-0.0", "00000080"),
        (r#""float""#, "1.401298464324817e-45", "01000000"),
        (r#""double""#, "0.1", "9a9999999999b93f"),
        (r#""double""#, "-1e+300", "9c7500883ce437fe"),
        (r#""double""#, "5e-324", "0100000000000000"),
        (r#""double""#, "1.7976931348623157e+308", "ffffffffffffef7f"),
        (r#""bytes""#, r#""\u0000\u00ff\u0080abc""#, "0c00ff80616263"),
        (r#""string""#, r#""h\u00e9llo \ud83d\ude00""#, "1668c3a96c6c6f20f09f9880"),
        (r#""boolean""#, "false", "00"),
        (r#""null""#, "null", ""),
        (
            NODE,
            r#"{"value":1,"next":{"Node":{"value":2,"next":{"Node":{"value":3,"next":null}}}}}"#,
            "020204020600",
        ),
        (
            MAP_OF_ARRAYS,
            r#"{"k1":[null,{"double":2.5},{"n.s.E":"B"}],"":[]}"#,
            "04046b310600020000000000000440040200000000",
        ),
        (WITH_DEFAULTS, r#"{"a":5}"#, "0a00000864666c74060204060004ff00000e"),
    ];

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn known_answers() {
        for &(schema_text, value, expected) in KNOWN_ANSWERS {
            let schema = Schema::parse(schema_text).unwrap();
            let value: Value = serde_json::from_str(value).unwrap();
            let mut out = Vec::new();
            encode(&schema, &value, &mut out).unwrap();
            assert_eq!(hex(&out), expected, "{value}");
            // Compared as parsed text: serde_json's float parsing may be a
            // unit in the last place off, the same way for both sides.
            let decoded = decode(&schema, &unhex(expected)).unwrap();
            let decoded: Value = serde_json::from_str(&decoded.to_string()).unwrap();
            if schema_text == WITH_DEFAULTS {
                // Decoding writes out the defaults, a union default in its branch.
                let full = json!({"a": 5, "b": null, "c": {"string": "dflt"}, "d": [1, 2, 3],
                    "e": "\u{ff}\u{0}", "f": {"x": {"long": 7}}});
                assert_eq!(decoded, full);
                let mut again = Vec::new();
                encode(&schema, &full, &mut again).unwrap();
                assert_eq!(again, out);
            } else {
                assert_eq!(decoded, value, "{expected}");
            }
        }
    }

    #[test]
    fn decoded_json_text() {
        let schema = Schema::parse(USER).unwrap();
        let value = decode(&schema, &unhex(KNOWN_ANSWERS[3].2)).unwrap();
        assert_eq!(
            value.to_string(),
            r#"{"id":300,"age":-42,"name":"Zoë ✓","active":true,"score":1.5,"ratio":-0.1,"avatar":"ÿÿÿ","suit":"HEARTS","address":{"street":"1 Main St","zip":94105},"tags":[],"extra":{"com.example.geo.Address":{"street":"","zip":-2147483648}},"hash":"\u0000\u0011\"3DUfw"#
                .to_owned()
                + "\u{88}\u{99}ª»ÌÝîÿ\",\"nothing\":null}"
        );
    }

    #[test]
    fn error_display_and_roots() {
        let err = AvroError::Value {
            root: "value".into(),
            path: ".a[1][\"b c\"]".into(),
            message: "expected an int, found true".into(),
        };
        assert_eq!(
            err.to_string(),
            "value.a[1][\"b c\"]: expected an int, found true"
        );
        assert_eq!(
            err.with_root("key").to_string(),
            "key.a[1][\"b c\"]: expected an int, found true"
        );
        let schema = AvroError::Schema("bad".into());
        assert_eq!(schema.clone().with_root("key"), schema);
        assert_eq!(schema.to_string(), "invalid Avro schema: bad");
    }

    #[test]
    fn fault_paths() {
        let fault = Fault::new("m")
            .in_key("zip")
            .in_index(3)
            .in_key("com.x.Y")
            .in_key("")
            .in_key("_a1");
        assert_eq!(fault.path(), "._a1[\"\"][\"com.x.Y\"][3].zip");
    }

    #[test]
    fn describe_cuts_long_values() {
        assert_eq!(describe(&json!({"a": [1, null]})), r#"{"a":[1,null]}"#);
        let long = describe(&json!("é".repeat(100)));
        assert!(long.ends_with("é…") || long.ends_with("\"…") || long.ends_with('…'));
        assert!(long.len() <= 64, "{long}");
    }

    /// A float as decoding writes it.
    fn float_json(value: f64) -> Value {
        match Number::from_f64(value) {
            Some(number) => Value::Number(number),
            None if value.is_nan() => json!("NaN"),
            None if value > 0.0 => json!("Infinity"),
            None => json!("-Infinity"),
        }
    }

    fn latin1(bytes: Vec<u8>) -> Value {
        Value::String(bytes.into_iter().map(char::from).collect())
    }

    /// Values of type `ty`; past `depth`, unions take their null branch
    /// (or their first) and arrays and maps are empty.
    fn arb(schema: &Schema, ty: &Type, depth: u32) -> BoxedStrategy<Value> {
        use proptest::collection::vec;
        let deeper = depth.saturating_sub(1);
        match ty {
            Type::Null => Just(Value::Null).boxed(),
            Type::Boolean => any::<bool>().prop_map(Value::from).boxed(),
            Type::Int => any::<i32>().prop_map(Value::from).boxed(),
            Type::Long => any::<i64>().prop_map(Value::from).boxed(),
            Type::Float => any::<f32>().prop_map(|x| float_json(f64::from(x))).boxed(),
            Type::Double => any::<f64>().prop_map(float_json).boxed(),
            Type::Bytes => vec(any::<u8>(), 0..12).prop_map(latin1).boxed(),
            Type::String => any::<String>().prop_map(Value::from).boxed(),
            Type::Array(_) if depth == 0 => Just(json!([])).boxed(),
            Type::Map(_) if depth == 0 => Just(json!({})).boxed(),
            Type::Array(items) => vec(arb(schema, items, deeper), 0..4)
                .prop_map(Value::Array)
                .boxed(),
            Type::Map(values) => vec((any::<String>(), arb(schema, values, deeper)), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect()))
                .boxed(),
            Type::Union(branches) => {
                let chosen: Vec<&Type> = if depth == 0 {
                    let null = branches.iter().find(|ty| **ty == Type::Null);
                    null.or(branches.first()).into_iter().collect()
                } else {
                    branches.iter().collect()
                };
                let options: Vec<BoxedStrategy<Value>> = chosen
                    .into_iter()
                    .map(|branch| {
                        if *branch == Type::Null {
                            return Just(Value::Null).boxed();
                        }
                        let name = branch.branch_name(schema.named()).to_owned();
                        arb(schema, branch, deeper)
                            .prop_map(move |value| {
                                let mut object = Map::new();
                                object.insert(name.clone(), value);
                                Value::Object(object)
                            })
                            .boxed()
                    })
                    .collect();
                proptest::strategy::Union::new(options).boxed()
            }
            Type::Named(index) => match &schema.named()[*index].kind {
                NamedKind::Record(fields) => {
                    let names: Vec<String> =
                        fields.iter().map(|field| field.name.clone()).collect();
                    let values: Vec<BoxedStrategy<Value>> = fields
                        .iter()
                        .map(|field| arb(schema, &field.ty, deeper))
                        .collect();
                    values
                        .prop_map(move |values| {
                            Value::Object(names.iter().cloned().zip(values).collect())
                        })
                        .boxed()
                }
                NamedKind::Enum { symbols, .. } => proptest::sample::select(symbols.clone())
                    .prop_map(Value::from)
                    .boxed(),
                NamedKind::Fixed(size) => vec(any::<u8>(), *size).prop_map(latin1).boxed(),
            },
        }
    }

    /// Every primitive in a union, in arrays, in a map.
    const PRIMITIVES: &str = r#"{"type":"record","name":"P","fields":[
        {"name":"all","type":{"type":"map","values":{"type":"array","items":
            ["null","boolean","int","long","float","double","bytes","string"]}}},
        {"name":"f","type":"float"},{"name":"d","type":"double"},
        {"name":"z","type":{"type":"fixed","name":"Z","size":0}},
        {"name":"e","type":{"type":"array","items":{"type":"record","name":"Empty","fields":[]}}}]}"#;

    const TREE: &str = r#"{"type":"record","name":"Tree","namespace":"t","fields":[
        {"name":"label","type":["null","string"]},
        {"name":"children","type":{"type":"array","items":"Tree"}},
        {"name":"attrs","type":{"type":"map","values":["long","Tree"]}}]}"#;

    fn schema_and_value(text: &'static str, depth: u32) -> impl Strategy<Value = (Schema, Value)> {
        let schema = Schema::parse(text).unwrap();
        arb(&schema, schema.root(), depth).prop_map(move |value| (schema.clone(), value))
    }

    fn schemas_and_values() -> impl Strategy<Value = (Schema, Value)> {
        prop_oneof![
            schema_and_value(USER, 4),
            schema_and_value(NODE, 6),
            schema_and_value(MAP_OF_ARRAYS, 4),
            schema_and_value(PRIMITIVES, 4),
            schema_and_value(TREE, 4),
        ]
    }

    fn all_schemas() -> Vec<Schema> {
        [USER, NODE, MAP_OF_ARRAYS, WITH_DEFAULTS, PRIMITIVES, TREE]
            .iter()
            .map(|text| Schema::parse(text).unwrap())
            .collect()
    }

    proptest! {
        #[test]
        fn values_round_trip((schema, value) in schemas_and_values()) {
            let mut out = Vec::new();
            encode(&schema, &value, &mut out).unwrap();
            prop_assert_eq!(decode(&schema, &out).unwrap(), value);
        }

        #[test]
        fn decoding_any_bytes_never_panics(input in proptest::collection::vec(any::<u8>(), 0..256)) {
            for schema in all_schemas() {
                let _ = decode(&schema, &input);
            }
        }

        #[test]
        fn decoding_damaged_data_never_panics(
            (schema, value) in schemas_and_values(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut out = Vec::new();
            encode(&schema, &value, &mut out).unwrap();
            // A datum is self-delimiting: no strict prefix decodes.
            prop_assert!(decode(&schema, &out[..cut.index(out.len())]).is_err());
            let at = at.index(out.len());
            out[at] = byte;
            let _ = decode(&schema, &out);
        }

        #[test]
        fn encoding_any_json_never_panics(value in arb_json()) {
            for schema in all_schemas() {
                let mut out = Vec::new();
                if encode(&schema, &value, &mut out).is_ok() {
                    prop_assert_eq!(decode(&schema, &out).is_ok(), true);
                }
            }
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(float_json),
            "[a-z]{0,3}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-z]{1,6}", inner), 0..4)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }
}
