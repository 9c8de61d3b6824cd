//! Avro binary to JSON (Avro's JSON encoding).
//!
//! Every length and count is checked against the bytes left before
//! anything is allocated, and nesting is capped, so no input can make the
//! decoder panic, overflow the stack or allocate much more than the input.

use serde_json::{Map, Number, Value};

use super::schema::{Named, NamedKind, Type};
use super::{Fault, MAX_EMPTY_ITEMS, MAX_VALUE_DEPTH};

/// The most items reserved up front for one array or map; more grow the
/// collection as they are read.
const RESERVE_LIMIT: usize = 1024;

/// Decodes one datum from a byte slice.
#[derive(Debug)]
pub(super) struct Decoder<'a> {
    named: &'a [Named],
    input: &'a [u8],
    pos: usize,
    /// Array items of zero-byte types decoded so far.
    empty_items: usize,
}

impl<'a> Decoder<'a> {
    pub(super) fn new(named: &'a [Named], input: &'a [u8]) -> Decoder<'a> {
        Decoder {
            named,
            input,
            pos: 0,
            empty_items: 0,
        }
    }

    /// Decodes a datum of type `ty` that takes the whole input.
    pub(super) fn datum(mut self, ty: &Type) -> Result<Value, Fault> {
        let value = self.value(ty, 0)?;
        let left = self.remaining();
        if left > 0 {
            return Err(Fault::new(format!(
                "{left} trailing byte{} after the datum, at offset {}",
                if left == 1 { "" } else { "s" },
                self.pos
            )));
        }
        Ok(value)
    }

    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, Fault> {
        Ok(match ty {
            Type::Null => Value::Null,
            Type::Boolean => {
                let at = self.pos;
                match self.take(1)? {
                    [0] => Value::Bool(false),
                    [1] => Value::Bool(true),
                    [other, ..] => {
                        return Err(Fault::new(format!(
                            "invalid boolean byte 0x{other:02x} at offset {at}"
                        )))
                    }
                    [] => return Err(self.truncated(1)),
                }
            }
            Type::Int => Value::from(self.read_int()?),
            Type::Long => Value::from(self.read_long()?),
            Type::Float => {
                let bytes = self.array::<4>()?;
                floating(f64::from(f32::from_le_bytes(bytes)))
            }
            Type::Double => floating(f64::from_le_bytes(self.array::<8>()?)),
            Type::Bytes => {
                let len = self.read_len()?;
                Value::String(latin1(self.take(len)?))
            }
            Type::String => Value::String(self.read_string()?),
            Type::Array(items) => {
                check_depth(depth)?;
                self.array_value(items, depth)?
            }
            Type::Map(values) => {
                check_depth(depth)?;
                self.map_value(values, depth)?
            }
            Type::Union(branches) => {
                check_depth(depth)?;
                let at = self.pos;
                let index = self.read_long()?;
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|index| branches.get(index))
                    .ok_or_else(|| {
                        Fault::new(format!(
                            "union branch index {index} at offset {at} is out of range (the \
                             union has {} branches)",
                            branches.len()
                        ))
                    })?;
                if *branch == Type::Null {
                    Value::Null
                } else {
                    let name = branch.branch_name(self.named);
                    let inner = self
                        .value(branch, depth + 1)
                        .map_err(|fault| fault.in_key(name))?;
                    let mut object = Map::with_capacity(1);
                    object.insert(name.to_owned(), inner);
                    Value::Object(object)
                }
            }
            Type::Named(index) => {
                let named = &self.named[*index];
                match &named.kind {
                    NamedKind::Record(fields) => {
                        check_depth(depth)?;
                        let mut object = Map::with_capacity(fields.len());
                        for field in fields {
                            let item = self
                                .value(&field.ty, depth + 1)
                                .map_err(|fault| fault.in_key(&field.name))?;
                            object.insert(field.name.clone(), item);
                        }
                        Value::Object(object)
                    }
                    NamedKind::Enum { symbols, .. } => {
                        let at = self.pos;
                        let index = self.read_int()?;
                        let symbol = usize::try_from(index)
                            .ok()
                            .and_then(|index| symbols.get(index))
                            .ok_or_else(|| {
                                Fault::new(format!(
                                    "enum index {index} at offset {at} is out of range (enum \
                                     \"{}\" has {} symbols)",
                                    named.name,
                                    symbols.len()
                                ))
                            })?;
                        Value::String(symbol.clone())
                    }
                    NamedKind::Fixed(size) => Value::String(latin1(self.take(*size)?)),
                }
            }
        })
    }

    fn array_value(&mut self, items: &Type, depth: usize) -> Result<Value, Fault> {
        let empty = items.is_empty(self.named);
        let mut values = Vec::new();
        loop {
            let count = self.block_count(empty)?;
            if count == 0 {
                return Ok(Value::Array(values));
            }
            values.reserve(count.min(RESERVE_LIMIT));
            for _ in 0..count {
                let index = values.len();
                let item = self
                    .value(items, depth + 1)
                    .map_err(|fault| fault.in_index(index))?;
                values.push(item);
            }
        }
    }

    fn map_value(&mut self, values: &Type, depth: usize) -> Result<Value, Fault> {
        let mut object = Map::new();
        loop {
            // A key takes at least its length byte.
            let count = self.block_count(false)?;
            if count == 0 {
                return Ok(Value::Object(object));
            }
            for _ in 0..count {
                let key = self
                    .read_string()
                    .map_err(|fault| Fault::new(format!("map key: {}", fault.message())))?;
                let item = self
                    .value(values, depth + 1)
                    .map_err(|fault| fault.in_key(&key))?;
                object.insert(key, item);
            }
        }
    }

    /// The item count of the next array or map block (0 at the end). A
    /// negative count is followed by the block's size in bytes, which is
    /// read and checked but not needed.
    fn block_count(&mut self, empty_items: bool) -> Result<usize, Fault> {
        let at = self.pos;
        let count = self.read_long()?;
        if count < 0 {
            let size = self.read_long()?;
            if size < 0 {
                return Err(Fault::new(format!(
                    "negative block size {size} at offset {at}"
                )));
            }
        }
        let count = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        if empty_items {
            self.empty_items = self.empty_items.saturating_add(count);
            if self.empty_items > MAX_EMPTY_ITEMS {
                return Err(Fault::new(format!(
                    "more than {MAX_EMPTY_ITEMS} array items that take no bytes, at offset {at}"
                )));
            }
        } else if count > self.remaining() {
            return Err(Fault::new(format!(
                "a block of {count} items at offset {at} is longer than the {} bytes left",
                self.remaining()
            )));
        }
        Ok(count)
    }

    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn truncated(&self, needed: usize) -> Fault {
        Fault::new(format!(
            "the data ends too soon: {needed} more byte{} needed at offset {}, {} left",
            if needed == 1 { "" } else { "s" },
            self.pos,
            self.remaining()
        ))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Fault> {
        if len > self.remaining() {
            return Err(self.truncated(len));
        }
        let input: &'a [u8] = self.input;
        let bytes = &input[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Fault> {
        let mut bytes = [0; N];
        bytes.copy_from_slice(self.take(N)?);
        Ok(bytes)
    }

    /// Reads a zig-zag varint of at most `max_bytes` bytes, whose last byte
    /// may carry only the bits below `last_limit`.
    fn varint(&mut self, max_bytes: u32, last_limit: u8, what: &str) -> Result<u64, Fault> {
        let at = self.pos;
        let mut result = 0u64;
        for i in 0..max_bytes {
            let Some(&byte) = self.input.get(self.pos) else {
                return Err(Fault::new(format!(
                    "the data ends too soon: {what} at offset {at} is cut off"
                )));
            };
            self.pos += 1;
            if i + 1 == max_bytes && byte >= last_limit {
                break;
            }
            result |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok((result >> 1) ^ (result & 1).wrapping_neg());
            }
        }
        Err(Fault::new(format!(
            "invalid {what} at offset {at}: the varint is too long"
        )))
    }

    fn read_long(&mut self) -> Result<i64, Fault> {
        // 10 bytes carry 64 bits: the tenth may only hold the top bit.
        let zigzag = self.varint(10, 0x02, "long")?;
        Ok(zigzag as i64)
    }

    fn read_int(&mut self) -> Result<i32, Fault> {
        // 5 bytes carry 32 bits: the fifth may only hold the top 4.
        let zigzag = self.varint(5, 0x10, "int")?;
        Ok(zigzag as u32 as i32)
    }

    fn read_len(&mut self) -> Result<usize, Fault> {
        let at = self.pos;
        let len = self.read_long()?;
        let len = usize::try_from(len)
            .map_err(|_| Fault::new(format!("negative length {len} at offset {at}")))?;
        if len > self.remaining() {
            return Err(Fault::new(format!(
                "the data ends too soon: a length of {len} at offset {at}, {} bytes left",
                self.remaining()
            )));
        }
        Ok(len)
    }

    fn read_string(&mut self) -> Result<String, Fault> {
        let len = self.read_len()?;
        let at = self.pos;
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(err) => Err(Fault::new(format!(
                "invalid UTF-8 in a string at offset {}",
                at + err.valid_up_to()
            ))),
        }
    }
}

fn check_depth(depth: usize) -> Result<(), Fault> {
    if depth >= MAX_VALUE_DEPTH {
        return Err(Fault::new(format!(
            "the data nests more than {MAX_VALUE_DEPTH} deep"
        )));
    }
    Ok(())
}

/// A JSON number, or `"NaN"`, `"Infinity"` or `"-Infinity"`.
fn floating(value: f64) -> Value {
    match Number::from_f64(value) {
        Some(number) => Value::Number(number),
        None if value.is_nan() => Value::from("NaN"),
        None if value > 0.0 => Value::from("Infinity"),
        None => Value::from("-Infinity"),
    }
}

/// Bytes as a string of code points 0-255, one per byte.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&byte| char::from(byte)).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{decode, AvroError, Schema, MAX_EMPTY_ITEMS};

    fn dec(schema: &str, input: &[u8]) -> Result<serde_json::Value, AvroError> {
        decode(&Schema::parse(schema).unwrap(), input)
    }

    fn err(schema: &str, input: &[u8]) -> String {
        let err = dec(schema, input).unwrap_err();
        assert!(matches!(err, AvroError::Data { .. }), "{err:?}");
        err.to_string()
    }

    #[test]
    fn primitives() {
        assert_eq!(dec(r#""null""#, b"").unwrap(), json!(null));
        assert_eq!(dec(r#""boolean""#, &[1]).unwrap(), json!(true));
        assert_eq!(dec(r#""boolean""#, &[0]).unwrap(), json!(false));
        assert_eq!(dec(r#""int""#, &[5]).unwrap(), json!(-3));
        assert_eq!(
            dec(r#""int""#, &[0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap(),
            json!(i32::MIN)
        );
        assert_eq!(
            dec(
                r#""long""#,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]
            )
            .unwrap(),
            json!(i64::MIN)
        );
        // A longer encoding than needed is still read.
        assert_eq!(dec(r#""long""#, &[0x82, 0x80, 0x00]).unwrap(), json!(1));
        assert_eq!(
            dec(r#""float""#, &1.1f32.to_le_bytes()).unwrap(),
            json!(1.100000023841858)
        );
        assert_eq!(
            dec(r#""float""#, &f32::NAN.to_le_bytes()).unwrap(),
            json!("NaN")
        );
        assert_eq!(
            dec(r#""float""#, &f32::INFINITY.to_le_bytes()).unwrap(),
            json!("Infinity")
        );
        assert_eq!(
            dec(r#""double""#, &f64::NEG_INFINITY.to_le_bytes()).unwrap(),
            json!("-Infinity")
        );
        assert_eq!(
            dec(r#""double""#, &0.1f64.to_le_bytes()).unwrap(),
            json!(0.1)
        );
        assert_eq!(
            dec(r#""bytes""#, &[6, b'a', 0, 0xff]).unwrap(),
            json!("a\u{0}\u{ff}")
        );
        assert_eq!(dec(r#""string""#, &[4, 0xc3, 0xa9]).unwrap(), json!("é"));
    }

    #[test]
    fn complex_types() {
        let schema = r#"{"type":"record","name":"R","namespace":"x","fields":[
            {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
            {"name":"f","type":{"type":"fixed","name":"F","size":2}},
            {"name":"a","type":{"type":"array","items":"int"}},
            {"name":"m","type":{"type":"map","values":["null","E"]}}]}"#;
        let input = [2, 0xff, 0, 4, 2, 4, 0, 4, 2, b'k', 0, 2, b'l', 2, 0, 0];
        assert_eq!(
            dec(schema, &input).unwrap(),
            json!({"e": "B", "f": "\u{ff}\u{0}", "a": [1, 2], "m": {"k": null, "l": {"x.E": "A"}}})
        );
    }

    #[test]
    fn blocks_with_sizes_and_several_blocks() {
        let schema = r#"{"type":"array","items":"int"}"#;
        // -2 items in 2 bytes, then 1 item, then the end.
        assert_eq!(
            dec(schema, &[3, 4, 2, 4, 2, 6, 0]).unwrap(),
            json!([1, 2, 3])
        );
        let schema = r#"{"type":"map","values":"int"}"#;
        assert_eq!(
            dec(schema, &[1, 6, 2, b'a', 2, 0]).unwrap(),
            json!({"a": 1})
        );
        assert!(err(schema, &[1, 1, 2, b'a', 2, 0]).contains("negative block size -1"));
    }

    #[test]
    fn errors() {
        for (schema, input, expected) in [
            (r#""int""#, &[][..], "value: the data ends too soon: int at offset 0 is cut off"),
            (r#""int""#, &[0x80, 0x80], "value: the data ends too soon: int at offset 0 is cut off"),
            (r#""int""#, &[0xff, 0xff, 0xff, 0xff, 0x10], "value: invalid int at offset 0: the varint is too long"),
            (r#""int""#, &[0x80, 0x80, 0x80, 0x80, 0x80, 0], "value: invalid int at offset 0: the varint is too long"),
            (r#""long""#, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2], "value: invalid long at offset 0: the varint is too long"),
            (r#""long""#, &[0x80; 11], "varint is too long"),
            (r#""boolean""#, &[2], "value: invalid boolean byte 0x02 at offset 0"),
            (r#""boolean""#, &[], "value: the data ends too soon: 1 more byte needed at offset 0, 0 left"),
            (r#""double""#, &[0; 7], "value: the data ends too soon: 8 more bytes needed at offset 0, 7 left"),
            (r#""string""#, &[1], "value: negative length -1 at offset 0"),
            (r#""string""#, &[6, b'a'], "value: the data ends too soon: a length of 3 at offset 0, 1 bytes left"),
            (r#""string""#, &[4, b'a', 0xff], "value: invalid UTF-8 in a string at offset 2"),
            (r#""bytes""#, &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1], "a length of 9223372036854775807"),
            (r#""int""#, &[2, 0, 0], "value: 2 trailing bytes after the datum, at offset 1"),
            (r#""null""#, &[0], "value: 1 trailing byte after the datum, at offset 0"),
            (r#"["null","int"]"#, &[4], "value: union branch index 2 at offset 0 is out of range (the union has 2 branches)"),
            (r#"["null","int"]"#, &[1], "union branch index -1"),
            (r#"["null","int"]"#, &[2], "value.int: the data ends too soon"),
            (r#"{"type":"enum","name":"E","symbols":["A"]}"#, &[2], "value: enum index 1 at offset 0 is out of range (enum \"E\" has 1 symbols)"),
            (r#"{"type":"enum","name":"E","symbols":["A"]}"#, &[1], "enum index -1"),
            (r#"{"type":"fixed","name":"F","size":4}"#, &[1, 2, 3], "4 more bytes needed"),
            (r#"{"type":"array","items":"int"}"#, &[0x7e, 2], "value: a block of 63 items at offset 0 is longer than the 1 bytes left"),
            (r#"{"type":"array","items":"int"}"#, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0], "longer than the"),
            (r#"{"type":"array","items":"int"}"#, &[4, 2, 4], "value: the data ends too soon: long at offset 3 is cut off"),
            (r#"{"type":"array","items":"int"}"#, &[4, 2, 0xff, 0xff, 0xff, 0xff, 0x7f, 0], "value[1]: invalid int at offset 2"),
            (r#"{"type":"map","values":"int"}"#, &[2, 2, 0xc0, 0, 0], "value: map key: invalid UTF-8 in a string at offset 2"),
            (r#"{"type":"map","values":"int"}"#, &[2, 2, b'k', 0x80], "value.k: the data ends too soon"),
            (r#"{"type":"map","values":"int"}"#, &[0x7e], "value: a block of 63 items at offset 0 is longer than the 0 bytes left"),
        ] {
            let message = err(schema, input);
            assert!(message.contains(expected), "{schema} {input:?}: {message}");
        }
    }

    #[test]
    fn errors_name_the_place() {
        let schema = r#"{"type":"record","name":"User","namespace":"n","fields":[
            {"name":"address","type":["null",{"type":"record","name":"Address","fields":[
                {"name":"zip","type":"int"}]}]},
            {"name":"tags","type":{"type":"array","items":{"type":"map","values":"string"}}}]}"#;
        assert_eq!(
            err(schema, &[2]),
            r#"value.address["n.Address"].zip: the data ends too soon: int at offset 1 is cut off"#
        );
        assert_eq!(
            err(schema, &[0, 2, 2, 2, b'a', 3]),
            "value.tags[0].a: negative length -2 at offset 5"
        );
        let renamed = dec(schema, &[0, 2]).unwrap_err().with_root("key");
        assert!(renamed.to_string().starts_with("key.tags: "), "{renamed}");
    }

    #[test]
    fn items_that_take_no_bytes_are_capped() {
        let schema = r#"{"type":"array","items":"null"}"#;
        let mut input = Vec::new();
        super::super::encode::write_long(&mut input, 1000);
        input.push(0);
        assert_eq!(dec(schema, &input).unwrap().as_array().unwrap().len(), 1000);

        let mut input = Vec::new();
        super::super::encode::write_long(&mut input, i64::MAX);
        input.push(0);
        let message = err(schema, &input);
        assert_eq!(
            message,
            format!(
                "value: more than {MAX_EMPTY_ITEMS} array items that take no bytes, at offset 0"
            )
        );

        // The cap is for the whole datum, across arrays.
        let schema = r#"{"type":"array","items":{"type":"array","items":
            {"type":"record","name":"Empty","fields":[{"name":"z","type":{"type":"fixed","name":"Z","size":0}}]}}}"#;
        let mut input = Vec::new();
        super::super::encode::write_long(&mut input, 3);
        for _ in 0..3 {
            super::super::encode::write_long(&mut input, 400_000);
            input.push(0);
        }
        input.push(0);
        let message = err(schema, &input);
        assert!(
            message.starts_with("value[2]: more than 1000000 array items"),
            "{message}"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let schema = r#"{"type":"record","name":"N","fields":[{"name":"n","type":["null","N"]}]}"#;
        // Each level is one byte: branch 1 (N), and a final branch 0 (null).
        let mut input = vec![2; 100];
        input.push(0);
        let value = dec(schema, &input).unwrap();
        assert_eq!(
            serde_json::to_string(&value)
                .unwrap()
                .matches("\"N\"")
                .count(),
            100
        );

        let mut input = vec![2; 100_000];
        input.push(0);
        let message = err(schema, &input);
        assert!(
            message.ends_with("the data nests more than 256 deep"),
            "{}",
            &message[message.len() - 80..]
        );

        let schema =
            r#"{"type":"array","items":{"type":"array","items":{"type":"array","items":"int"}}}"#;
        assert_eq!(dec(schema, &[2, 2, 2, 2, 0, 0, 0]).unwrap(), json!([[[1]]]));
    }
}
