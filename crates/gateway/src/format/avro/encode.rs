//! JSON (Avro's JSON encoding) to Avro binary.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::schema::{Field, Named, NamedKind, Type};
use super::{describe, Fault, MAX_VALUE_DEPTH};

/// Encodes JSON values under the named types of one schema.
#[derive(Debug, Clone, Copy)]
pub(super) struct Encoder<'a> {
    named: &'a [Named],
    /// Whether values are schema defaults, where a union value is a bare
    /// value of the first branch.
    defaults: bool,
}

impl<'a> Encoder<'a> {
    pub(super) fn new(named: &'a [Named], defaults: bool) -> Encoder<'a> {
        Encoder { named, defaults }
    }

    /// Appends the encoding of `value`, of type `ty`, at nesting `depth`.
    pub(super) fn value(
        self,
        ty: &Type,
        value: &Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), Fault> {
        match ty {
            Type::Null => match value {
                Value::Null => Ok(()),
                other => Err(mismatch("null", other)),
            },
            Type::Boolean => match value {
                Value::Bool(flag) => {
                    out.push(u8::from(*flag));
                    Ok(())
                }
                other => Err(mismatch("a boolean", other)),
            },
            Type::Int => {
                let int = integer(value, "an int", i32::MIN.into(), i32::MAX.into())?;
                write_long(out, int);
                Ok(())
            }
            Type::Long => {
                write_long(out, integer(value, "a long", i64::MIN, i64::MAX)?);
                Ok(())
            }
            Type::Float => {
                let double = floating(value, "a float")?;
                let float = double as f32;
                if double.is_finite() && float.is_infinite() {
                    return Err(Fault::new(format!(
                        "{} is out of range for a float",
                        describe(value)
                    )));
                }
                out.extend_from_slice(&float.to_le_bytes());
                Ok(())
            }
            Type::Double => {
                out.extend_from_slice(&floating(value, "a double")?.to_le_bytes());
                Ok(())
            }
            Type::Bytes => match value {
                Value::String(text) => {
                    write_long(out, count_as_i64(text.chars().count()));
                    latin1(text, out)
                }
                other => Err(mismatch(BYTES, other)),
            },
            Type::String => match value {
                Value::String(text) => {
                    write_long(out, count_as_i64(text.len()));
                    out.extend_from_slice(text.as_bytes());
                    Ok(())
                }
                other => Err(mismatch("a string", other)),
            },
            Type::Array(items) => {
                let Value::Array(values) = value else {
                    return Err(mismatch("an array", value));
                };
                check_depth(depth)?;
                if !values.is_empty() {
                    write_long(out, count_as_i64(values.len()));
                    for (index, item) in values.iter().enumerate() {
                        self.value(items, item, out, depth + 1)
                            .map_err(|fault| fault.in_index(index))?;
                    }
                }
                out.push(0);
                Ok(())
            }
            Type::Map(values_type) => {
                let Value::Object(entries) = value else {
                    return Err(mismatch("a map (a JSON object)", value));
                };
                check_depth(depth)?;
                if !entries.is_empty() {
                    write_long(out, count_as_i64(entries.len()));
                    for (key, item) in entries {
                        write_long(out, count_as_i64(key.len()));
                        out.extend_from_slice(key.as_bytes());
                        self.value(values_type, item, out, depth + 1)
                            .map_err(|fault| fault.in_key(key))?;
                    }
                }
                out.push(0);
                Ok(())
            }
            Type::Union(branches) => {
                check_depth(depth)?;
                self.union(branches, value, out, depth)
            }
            Type::Named(index) => {
                let named = &self.named[*index];
                match &named.kind {
                    NamedKind::Record(fields) => {
                        check_depth(depth)?;
                        self.record(&named.name, fields, value, out, depth)
                    }
                    NamedKind::Enum { symbols, index } => match value {
                        Value::String(symbol) if index.contains_key(symbol) => {
                            write_long(out, count_as_i64(index[symbol]));
                            Ok(())
                        }
                        other => Err(Fault::new(format!(
                            "expected a symbol of enum \"{}\" ({}), found {}",
                            named.name,
                            list(symbols.iter().map(String::as_str)),
                            describe(other)
                        ))),
                    },
                    NamedKind::Fixed(size) => match value {
                        Value::String(text) if text.chars().count() == *size => latin1(text, out),
                        other => Err(Fault::new(format!(
                            "expected fixed \"{}\": a string of {size} code points 0-255 (one \
                             per byte), found {}",
                            named.name,
                            describe(other)
                        ))),
                    },
                }
            }
        }
    }

    fn record(
        self,
        name: &str,
        fields: &[Field],
        value: &Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), Fault> {
        let Value::Object(object) = value else {
            return Err(mismatch(
                &format!("record \"{name}\" (a JSON object)"),
                value,
            ));
        };
        let mut present = 0;
        for field in fields {
            match object.get(&field.name) {
                Some(item) => {
                    present += 1;
                    self.value(&field.ty, item, out, depth + 1)
                        .map_err(|fault| fault.in_key(&field.name))?;
                }
                None if self.defaults => match &field.default {
                    Some(default) => self
                        .value(&field.ty, default, out, depth + 1)
                        .map_err(|fault| fault.in_key(&field.name))?,
                    None => return Err(missing_field(name, &field.name, "it has no default")),
                },
                None => match &field.encoded_default {
                    Some(Ok(bytes)) => out.extend_from_slice(bytes),
                    Some(Err(problem)) => return Err(missing_field(name, &field.name, problem)),
                    None => return Err(missing_field(name, &field.name, "it has no default")),
                },
            }
        }
        if present < object.len() {
            return Err(unknown_field(name, fields, object));
        }
        Ok(())
    }

    fn union(
        self,
        branches: &[Type],
        value: &Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), Fault> {
        if self.defaults {
            // The default of a union is for its first branch; as Avro's
            // Java implementation does, a later branch is taken when only
            // it has the right kind of value.
            let index = branches
                .iter()
                .position(|ty| self.fits(ty, value))
                .unwrap_or(0);
            let Some(branch) = branches.get(index) else {
                return Err(Fault::new("a union of no branches has no values"));
            };
            write_long(out, count_as_i64(index));
            return self.value(branch, value, out, depth + 1);
        }
        let found = match value {
            Value::Null => branches.iter().position(|ty| *ty == Type::Null),
            Value::Object(object) if object.len() == 1 => {
                let Some((key, inner)) = object.iter().next() else {
                    return Err(self.union_mismatch(branches, value));
                };
                let found = branches
                    .iter()
                    .position(|ty| *ty != Type::Null && ty.branch_name(self.named) == key);
                if let Some(index) = found {
                    write_long(out, count_as_i64(index));
                    return self
                        .value(&branches[index], inner, out, depth + 1)
                        .map_err(|fault| fault.in_key(key));
                }
                None
            }
            _ => None,
        };
        if let Some(index) = found {
            write_long(out, count_as_i64(index));
            return Ok(());
        }
        Err(self.union_mismatch(branches, value))
    }

    /// Whether `value` is of the kind of JSON value that type `ty` takes
    /// (looking no deeper than the value itself).
    fn fits(self, ty: &Type, value: &Value) -> bool {
        match (ty, value) {
            (Type::Null, Value::Null) | (Type::Boolean, Value::Bool(_)) => true,
            (Type::Int, _) => integer(value, "", i32::MIN.into(), i32::MAX.into()).is_ok(),
            (Type::Long, _) => integer(value, "", i64::MIN, i64::MAX).is_ok(),
            (Type::Float | Type::Double, _) => floating(value, "").is_ok(),
            (Type::Bytes, Value::String(text)) => text.chars().all(|c| u32::from(c) <= 0xff),
            (Type::String, Value::String(_))
            | (Type::Array(_), Value::Array(_))
            | (Type::Map(_), Value::Object(_)) => true,
            (Type::Named(index), _) => match (&self.named[*index].kind, value) {
                (NamedKind::Record(_), Value::Object(_)) => true,
                (NamedKind::Enum { index, .. }, Value::String(symbol)) => {
                    index.contains_key(symbol)
                }
                (NamedKind::Fixed(size), Value::String(text)) => {
                    text.chars().count() == *size && text.chars().all(|c| u32::from(c) <= 0xff)
                }
                _ => false,
            },
            _ => false,
        }
    }

    fn union_mismatch(self, branches: &[Type], value: &Value) -> Fault {
        let forms: Vec<String> = branches
            .iter()
            .map(|ty| match ty {
                Type::Null => "null".to_owned(),
                other => format!("{{\"{}\": …}}", other.branch_name(self.named)),
            })
            .collect();
        let mut message = format!(
            "expected a union value, one of {} (a non-null union value is an object whose only \
             key names the branch), found {}",
            list(forms.iter().map(String::as_str)),
            describe(value)
        );
        if let Value::Object(object) = value {
            if let Some(key) = object.keys().next().filter(|_| object.len() == 1) {
                let full = branches
                    .iter()
                    .map(|ty| ty.branch_name(self.named))
                    .find(|name| {
                        name.rsplit_once('.')
                            .is_some_and(|(_, short)| short == key.as_str())
                    });
                if let Some(full) = full {
                    message.push_str(&format!(
                        "; a named type is named by its full name, \"{full}\""
                    ));
                }
            }
        }
        Fault::new(message)
    }
}

/// What bytes look like in JSON, for messages.
const BYTES: &str = "bytes: a string of code points 0-255 (one per byte)";

fn check_depth(depth: usize) -> Result<(), Fault> {
    if depth >= MAX_VALUE_DEPTH {
        return Err(Fault::new(format!(
            "the value nests more than {MAX_VALUE_DEPTH} deep"
        )));
    }
    Ok(())
}

fn mismatch(expected: &str, found: &Value) -> Fault {
    Fault::new(format!("expected {expected}, found {}", describe(found)))
}

fn missing_field(record: &str, field: &str, why: &str) -> Fault {
    Fault::new(format!(
        "missing field \"{field}\" of record \"{record}\" ({why})"
    ))
}

fn unknown_field(name: &str, fields: &[Field], object: &Map<String, Value>) -> Fault {
    let names: HashSet<&str> = fields.iter().map(|field| field.name.as_str()).collect();
    let unknown = object
        .keys()
        .find(|key| !names.contains(key.as_str()))
        .map(String::as_str)
        .unwrap_or_default();
    Fault::new(format!(
        "unknown field \"{unknown}\" for record \"{name}\", whose fields are {}",
        list(fields.iter().map(|field| field.name.as_str()))
    ))
}

/// Up to 20 names, comma-separated.
fn list<'s>(names: impl ExactSizeIterator<Item = &'s str>) -> String {
    const SHOWN: usize = 20;
    let total = names.len();
    if total == 0 {
        return "(none)".to_owned();
    }
    let mut text = names.take(SHOWN).collect::<Vec<_>>().join(", ");
    if total > SHOWN {
        text.push_str(&format!(" and {} more", total - SHOWN));
    }
    text
}

/// The integer in `value`, which must be whole and within `min..=max`.
fn integer(value: &Value, expected: &str, min: i64, max: i64) -> Result<i64, Fault> {
    let Value::Number(number) = value else {
        return Err(mismatch(expected, value));
    };
    let whole = if let Some(int) = number.as_i64() {
        Some(int)
    } else if number.is_u64() {
        None
    } else {
        let double = number.as_f64().unwrap_or(f64::NAN);
        if double.fract() != 0.0 {
            return Err(mismatch(expected, value));
        }
        // -2^63 to 2^63, the top excluded: the whole doubles that fit an i64.
        let top = -(i64::MIN as f64);
        (-top..top).contains(&double).then_some(double as i64)
    };
    match whole {
        Some(int) if (min..=max).contains(&int) => Ok(int),
        _ => Err(Fault::new(format!(
            "{} is out of range for {expected} ({min} to {max})",
            describe(value)
        ))),
    }
}

/// The number in `value`: a JSON number or one of the strings `"NaN"`,
/// `"Infinity"` and `"-Infinity"`.
fn floating(value: &Value, expected: &str) -> Result<f64, Fault> {
    match value {
        Value::Number(number) => Ok(number.as_f64().unwrap_or(f64::NAN)),
        Value::String(text) => match text.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(mismatch(
                &format!("{expected} (a number, \"NaN\", \"Infinity\" or \"-Infinity\")"),
                value,
            )),
        },
        _ => Err(mismatch(expected, value)),
    }
}

/// Appends the bytes of a string of code points 0-255, one per byte.
fn latin1(text: &str, out: &mut Vec<u8>) -> Result<(), Fault> {
    if text.is_ascii() {
        out.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    for (position, c) in text.chars().enumerate() {
        let Ok(byte) = u8::try_from(c) else {
            return Err(Fault::new(format!(
                "character {position} of the string, {c:?} (U+{:04X}), is above U+00FF; \
                 bytes are written as a string of code points 0-255, one per byte",
                u32::from(c)
            )));
        };
        out.push(byte);
    }
    Ok(())
}

fn count_as_i64(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Appends `value` as a zig-zag varint (the encoding of int and long).
pub(super) fn write_long(out: &mut Vec<u8>, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push((zigzag as u8) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{encode, AvroError, Schema};
    use super::write_long;

    fn enc(schema: &str, value: serde_json::Value) -> Result<Vec<u8>, AvroError> {
        let schema = Schema::parse(schema).unwrap();
        let mut out = vec![0xAA];
        let result = encode(&schema, &value, &mut out);
        match result {
            Ok(()) => Ok(out[1..].to_vec()),
            Err(err) => {
                assert_eq!(out, [0xAA], "output left as it was on error");
                Err(err)
            }
        }
    }

    fn ok(schema: &str, value: serde_json::Value) -> Vec<u8> {
        enc(schema, value).unwrap()
    }

    fn err(schema: &str, value: serde_json::Value) -> String {
        let err = enc(schema, value).unwrap_err();
        assert!(matches!(err, AvroError::Value { .. }), "{err:?}");
        err.to_string()
    }

    #[test]
    fn varints() {
        for (value, bytes) in [
            (0i64, &[0u8][..]),
            (-1, &[1]),
            (1, &[2]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 1]),
            (-65, &[0x81, 1]),
            (
                i64::MAX,
                &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1],
            ),
            (
                i64::MIN,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1],
            ),
        ] {
            let mut out = Vec::new();
            write_long(&mut out, value);
            assert_eq!(out, bytes, "{value}");
        }
    }

    #[test]
    fn primitives() {
        assert_eq!(ok(r#""null""#, json!(null)), b"");
        assert_eq!(ok(r#""boolean""#, json!(true)), [1]);
        assert_eq!(ok(r#""boolean""#, json!(false)), [0]);
        assert_eq!(ok(r#""int""#, json!(-3)), [5]);
        assert_eq!(
            ok(r#""int""#, json!(2147483647)),
            [0xfe, 0xff, 0xff, 0xff, 0x0f]
        );
        assert_eq!(ok(r#""int""#, json!(2.0)), [4]);
        assert_eq!(
            ok(r#""long""#, json!(-2147483649i64)),
            [0x81, 0x80, 0x80, 0x80, 0x10]
        );
        assert_eq!(ok(r#""long""#, json!(-1e3)), [0xcf, 0x0f]);
        assert_eq!(ok(r#""float""#, json!(1.5)), 1.5f32.to_le_bytes());
        assert_eq!(ok(r#""float""#, json!(2)), 2f32.to_le_bytes());
        assert_eq!(ok(r#""float""#, json!("NaN")), f32::NAN.to_le_bytes());
        assert_eq!(
            ok(r#""float""#, json!("-Infinity")),
            f32::NEG_INFINITY.to_le_bytes()
        );
        assert_eq!(ok(r#""double""#, json!(-0.25)), (-0.25f64).to_le_bytes());
        assert_eq!(
            ok(r#""double""#, json!(u64::MAX)),
            (u64::MAX as f64).to_le_bytes()
        );
        assert_eq!(
            ok(r#""double""#, json!("Infinity")),
            f64::INFINITY.to_le_bytes()
        );
        assert_eq!(ok(r#""bytes""#, json!("a\u{0}\u{ff}")), [6, b'a', 0, 0xff]);
        assert_eq!(ok(r#""bytes""#, json!("")), [0]);
        assert_eq!(ok(r#""string""#, json!("é")), [4, 0xc3, 0xa9]);
    }

    #[test]
    fn complex_types() {
        assert_eq!(ok(r#"{"type":"array","items":"int"}"#, json!([])), [0]);
        assert_eq!(
            ok(r#"{"type":"array","items":"int"}"#, json!([1, 2])),
            [4, 2, 4, 0]
        );
        assert_eq!(ok(r#"{"type":"map","values":"int"}"#, json!({})), [0]);
        assert_eq!(
            ok(r#"{"type":"map","values":"int"}"#, json!({"a": 1, "b": 2})),
            [4, 2, b'a', 2, 2, b'b', 4, 0]
        );
        let schema = r#"{"type":"enum","name":"E","symbols":["A","B","C"]}"#;
        assert_eq!(ok(schema, json!("C")), [4]);
        let schema = r#"{"type":"fixed","name":"F","size":3}"#;
        assert_eq!(ok(schema, json!("\u{1}\u{80}z")), [1, 0x80, b'z']);
        let schema = r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":"int"},{"name":"b","type":"string"}]}"#;
        // Fields are written in schema order, whatever the JSON order.
        assert_eq!(ok(schema, json!({"b": "x", "a": 1})), [2, 2, b'x']);
    }

    #[test]
    fn unions() {
        let schema = r#"["null","string",{"type":"record","name":"p.R","fields":[{"name":"a","type":"int"}]},
            {"type":"array","items":"int"},{"type":"map","values":"int"}]"#;
        assert_eq!(ok(schema, json!(null)), [0]);
        assert_eq!(ok(schema, json!({"string": "x"})), [2, 2, b'x']);
        assert_eq!(ok(schema, json!({"p.R": {"a": 1}})), [4, 2]);
        assert_eq!(ok(schema, json!({"array": [1]})), [6, 2, 2, 0]);
        assert_eq!(ok(schema, json!({"map": {}})), [8, 0]);
        assert_eq!(
            err(schema, json!("x")),
            "value: expected a union value, one of null, {\"string\": …}, {\"p.R\": …}, \
             {\"array\": …}, {\"map\": …} (a non-null union value is an object whose only key \
             names the branch), found \"x\""
        );
        let message = err(schema, json!({"R": {"a": 1}}));
        assert!(
            message.ends_with("; a named type is named by its full name, \"p.R\""),
            "{message}"
        );
        let message = err(schema, json!({"string": "x", "map": {}}));
        assert!(
            message.contains("found {\"string\":\"x\",\"map\":{}}"),
            "{message}"
        );
        let message = err(schema, json!({"null": null}));
        assert!(message.contains("expected a union value"), "{message}");
        assert_eq!(
            err(schema, json!({"p.R": {"a": "1"}})),
            "value[\"p.R\"].a: expected an int, found \"1\""
        );
        let message = err(r#"["string","int"]"#, json!(null));
        assert!(
            message
                .starts_with("value: expected a union value, one of {\"string\": …}, {\"int\": …}"),
            "{message}"
        );
        // A null branch that is not first.
        assert_eq!(ok(r#"["int","null"]"#, json!(null)), [2]);
        assert_eq!(ok(r#"["int","null"]"#, json!({"int": 7})), [0, 14]);
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let schema = r#"{"type":"record","name":"R","fields":[
            {"name":"a","type":"int"},
            {"name":"b","type":["null","string"],"default":null},
            {"name":"c","type":["string","null"],"default":"d"},
            {"name":"e","type":{"type":"map","values":"long"},"default":{"k":1}}]}"#;
        assert_eq!(
            ok(schema, json!({"a": 1})),
            [2, 0, 0, 2, b'd', 2, 2, b'k', 2, 0]
        );
        assert_eq!(
            ok(
                schema,
                json!({"a": 1, "b": {"string": "s"}, "c": null, "e": {}})
            ),
            [2, 2, 2, b's', 2, 0]
        );
    }

    #[test]
    fn errors_name_the_place() {
        let schema = r#"{"type":"record","name":"User","fields":[
            {"name":"address","type":{"type":"record","name":"Address","fields":[
                {"name":"zip","type":"int"}]}},
            {"name":"tags","type":{"type":"array","items":{"type":"map","values":"boolean"}}}]}"#;
        assert_eq!(
            err(schema, json!({"address": {"zip": "abc"}, "tags": []})),
            r#"value.address.zip: expected an int, found "abc""#
        );
        assert_eq!(
            err(
                schema,
                json!({"address": {"zip": 1}, "tags": [{}, {"a b": 1}]})
            ),
            r#"value.tags[1]["a b"]: expected a boolean, found 1"#
        );
        assert_eq!(
            err(schema, json!({"address": {}, "tags": []})),
            r#"value.address: missing field "zip" of record "Address" (it has no default)"#
        );
        assert_eq!(
            err(
                schema,
                json!({"address": {"zip": 1, "city": "x"}, "tags": []})
            ),
            r#"value.address: unknown field "city" for record "Address", whose fields are zip"#
        );
        assert_eq!(
            err(schema, json!([1])),
            r#"value: expected record "User" (a JSON object), found [1]"#
        );
        let renamed = enc(schema, json!({"address": {"zip": true}, "tags": []}))
            .unwrap_err()
            .with_root("records[2].key");
        assert_eq!(
            renamed.to_string(),
            "records[2].key.address.zip: expected an int, found true"
        );
    }

    #[test]
    fn type_errors() {
        for (schema, value, expected) in [
            (r#""null""#, json!(0), "expected null, found 0"),
            (r#""boolean""#, json!("true"), "expected a boolean, found \"true\""),
            (r#""int""#, json!(1.5), "expected an int, found 1.5"),
            (r#""int""#, json!(2147483648i64), "2147483648 is out of range for an int (-2147483648 to 2147483647)"),
            (r#""int""#, json!(-2147483649i64), "out of range for an int"),
            (r#""int""#, json!(null), "expected an int, found null"),
            (r#""long""#, json!(9223372036854775808u64), "9223372036854775808 is out of range for a long"),
            (r#""long""#, json!(1e19), "out of range for a long"),
            (r#""long""#, json!(0.5), "expected a long, found 0.5"),
            (r#""long""#, json!("1"), "expected a long, found \"1\""),
            (r#""float""#, json!(1e39), "1e+39 is out of range for a float"),
            (r#""float""#, json!("1.5"), "expected a float (a number, \"NaN\", \"Infinity\" or \"-Infinity\"), found \"1.5\""),
            (r#""double""#, json!(true), "expected a double, found true"),
            (r#""bytes""#, json!([1]), "expected bytes: a string of code points 0-255 (one per byte), found [1]"),
            (r#""bytes""#, json!("ab€"), "character 2 of the string, '€' (U+20AC), is above U+00FF"),
            (r#""string""#, json!(5), "expected a string, found 5"),
            (r#"{"type":"array","items":"int"}"#, json!({}), "expected an array, found {}"),
            (r#"{"type":"map","values":"int"}"#, json!([]), "expected a map (a JSON object), found []"),
            (r#"{"type":"enum","name":"E","symbols":["A","B"]}"#, json!("C"), "expected a symbol of enum \"E\" (A, B), found \"C\""),
            (r#"{"type":"enum","name":"E","symbols":["A","B"]}"#, json!(0), "found 0"),
            (r#"{"type":"fixed","name":"F","size":2}"#, json!("abc"), "expected fixed \"F\": a string of 2 code points 0-255 (one per byte), found \"abc\""),
            (r#"{"type":"fixed","name":"F","size":2}"#, json!("a€"), "is above U+00FF"),
            ("[]", json!(null), "expected a union value, one of (none)"),
        ] {
            let message = err(schema, value);
            assert!(message.starts_with("value: "), "{message}");
            assert!(message.contains(expected), "{schema}: {message}");
        }
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let message = err(r#""int""#, json!("x".repeat(1000)));
        assert!(message.ends_with("xxx…"), "{message}");
        assert!(message.len() < 120, "{message}");
    }

    #[test]
    fn nesting_is_bounded() {
        let schema = r#"{"type":"record","name":"N","fields":[{"name":"n","type":["null","N"]}]}"#;
        let mut value = json!({"n": null});
        for _ in 0..200 {
            value = json!({"n": {"N": value}});
        }
        let message = err(schema, value);
        assert!(
            message.ends_with("the value nests more than 256 deep"),
            "{message}"
        );
        let mut value = json!({"n": null});
        for _ in 0..100 {
            value = json!({"n": {"N": value}});
        }
        assert_eq!(ok(schema, value).len(), 101);
    }
}
