//! Known answers from a reference implementation (Python's `protobuf`
//! package: `SerializeToString()` for the bytes, `MessageToDict` with the
//! default-valued fields included for the JSON), unit tests of the JSON
//! mapping and property tests.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{decode, encode, indexes, Schema, MAX_DEPTH, MAX_PRINTED_VALUES};

/// The proto3 schema of the known answers.
const KAT_PROTO: &str = r#"syntax = "proto3";

package test.kat;

import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Color {
  COLOR_UNSPECIFIED = 0;
  RED = 1;
  GREEN = 2;
}

message Everything {
  message Inner {
    string name = 1;
    int32 value = 2;
  }
  int32 i32 = 1;
  int64 i64 = 2;
  uint32 u32 = 3;
  uint64 u64 = 4;
  sint32 s32 = 5;
  sint64 s64 = 6;
  fixed32 fx32 = 7;
  fixed64 fx64 = 8;
  sfixed32 sfx32 = 9;
  sfixed64 sfx64 = 10;
  float flt = 11;
  double dbl = 12;
  bool flag = 13;
  string text = 14;
  bytes data = 15;
  Color color = 16;
  Inner inner = 17;
  repeated int32 numbers = 18;
  repeated string names = 19;
  repeated Inner inners = 20;
  map<string, int64> counts = 21;
  map<int32, Inner> by_id = 22;
  oneof choice {
    string choice_text = 23;
    Inner choice_inner = 24;
  }
  optional int32 maybe = 25;
  google.protobuf.Timestamp at = 26;
  google.protobuf.Duration took = 27;
  google.protobuf.Int64Value wrapped = 28;
  google.protobuf.Struct meta = 29;
  repeated Color colors = 30;
  string snake_case_name = 31;
  repeated sint64 zigzags = 32;
  repeated double doubles = 33;
}

message Second {
  message Nested {
    int64 n = 1;
    message Deeper {
      repeated bool bits = 1;
    }
  }
  string id = 1;
  Nested nested = 2;
}

message Third {
  google.protobuf.Any any = 1;
  map<string, int32> many = 2;
  google.protobuf.FieldMask mask = 3;
  google.protobuf.Empty nothing = 4;
  google.protobuf.Value dynamic = 5;
  repeated google.protobuf.Any anys = 6;
  map<bool, Color> by_flag = 7;
}
"#;

/// The proto2 schema of the known answers.
const LEGACY_PROTO: &str = r#"syntax = "proto2";

package test.legacy;

message Legacy {
  enum Kind {
    ALPHA = 1;
    BETA = 2;
  }
  required string id = 1;
  optional int32 count = 2 [default = 7];
  optional Kind kind = 3 [default = BETA];
  optional string label = 4;
  repeated int32 plain = 5;
  repeated int32 packed = 6 [packed = true];
  optional Legacy child = 7;
  optional bool flag = 8;
  optional double ratio = 9 [default = 0.5];
  optional group Extra = 10 {
    optional int32 level = 11;
  }
}
"#;

/// One known answer: the message (by index path), its bytes (after the
/// index prefix) and its JSON.
struct KnownAnswer {
    name: &'static str,
    schema: &'static str,
    message: &'static str,
    path: &'static [i32],
    hex: &'static str,
    /// The JSON printed with default-valued fields.
    printed: &'static str,
    /// The JSON to write, when it is not `printed`: for proto2, where
    /// printing the defaults of unset fields loses presence, the JSON of the
    /// set fields only; for maps of several entries, which the reference
    /// writes in its own order, the entries in that order (map entries are
    /// written in the order of the JSON object).
    written: Option<&'static str>,
}

const KNOWN_ANSWERS: &[KnownAnswer] = &[
    KnownAnswer {
        name: "empty",
        schema: KAT_PROTO,
        message: "test.kat.Everything",
        path: &[0],
        hex: "",
        printed: r#"{"i32": 0, "i64": "0", "u32": 0, "u64": "0", "s32": 0, "s64": "0", "fx32": 0, "fx64": "0", "sfx32": 0, "sfx64": "0", "flt": 0.0, "dbl": 0.0, "flag": false, "text": "", "data": "", "color": "COLOR_UNSPECIFIED", "numbers": [], "names": [], "inners": [], "counts": {}, "byId": {}, "colors": [], "snakeCaseName": "", "zigzags": [], "doubles": []}"#,
        written: None,
    },
    KnownAnswer {
        name: "full",
        schema: KAT_PROTO,
        message: "test.kat.Everything",
        path: &[0],
        hex: concat!(
            "08960110cb89ec8ff7231880d0acf30e20ffffffffffffffffff01287f30ffffffffffffffffff01",
            "3d070000004101000000000020004dfeffffff51fdffffffffffffff5dcdcc8c3f612f30b7b3a7c9",
            "ba016801720a68c3a96c6c6f20e29c937a06000102fafbff8001028a010f0a02696e10ffffffffff",
            "ffffffff0192010d01ffffffffffffffffff01ac029a0101619a0100a201030a0178a20100aa010e",
            "0a016b10fbffffffffffffffff01b2010b080712070a05736576656eba010663686f73656ec80100",
            "d2010b0880e2cfaa0610c0a9d33ada010808031080cab5ee01e20102082aea01090a070a01621202",
            "2001f20103010002fa0105736e616b6582020d000102818080808080808080018a02280000000000",
            "0000000000000000000080a0c8eb85f3cce17f000000000000f07f000000000000f0ff"
        ),
        printed: r#"{"i32": 150, "i64": "1234567890123", "u32": 4000000000, "u64": "18446744073709551615", "s32": -64, "s64": "-9223372036854775808", "fx32": 7, "fx64": "9007199254740993", "sfx32": -2, "sfx64": "-3", "flt": 1.1, "dbl": 2.5e-300, "flag": true, "text": "h\u00e9llo \u2713", "data": "AAEC+vv/", "color": "GREEN", "inner": {"name": "in", "value": -1}, "numbers": [1, -1, 300], "names": ["a", ""], "inners": [{"name": "x", "value": 0}, {"name": "", "value": 0}], "counts": {"k": "-5"}, "byId": {"7": {"name": "seven", "value": 0}}, "choiceText": "chosen", "maybe": 0, "at": "2023-11-14T22:13:20.123Z", "took": "3.500s", "wrapped": "42", "meta": {"b": true}, "colors": ["RED", "COLOR_UNSPECIFIED", "GREEN"], "snakeCaseName": "snake", "zigzags": ["0", "-1", "1", "-4611686018427387905"], "doubles": [0.0, -0.0, 1e+308, "Infinity", "-Infinity"]}"#,
        written: None,
    },
    KnownAnswer {
        name: "oneof_message_nan",
        schema: KAT_PROTO,
        message: "test.kat.Everything",
        path: &[0],
        hex: "08ffffffffffffffffff015d0000c07f610000000000000080c20100",
        printed: r#"{"i32": -1, "flt": "NaN", "dbl": -0.0, "choiceInner": {"name": "", "value": 0}, "i64": "0", "u32": 0, "u64": "0", "s32": 0, "s64": "0", "fx32": 0, "fx64": "0", "sfx32": 0, "sfx64": "0", "flag": false, "text": "", "data": "", "color": "COLOR_UNSPECIFIED", "numbers": [], "names": [], "inners": [], "counts": {}, "byId": {}, "colors": [], "snakeCaseName": "", "zigzags": [], "doubles": []}"#,
        written: None,
    },
    KnownAnswer {
        name: "wkt_edges",
        schema: KAT_PROTO,
        message: "test.kat.Everything",
        path: &[0],
        hex: concat!(
            "5dffff7f7f610100000000000000d2010b088092b8c398feffffff01da011608ffffffffffffffff",
            "ff0110f8d8ffffffffffffff01e20100ea01360a340a046c697374122c322a0a0911000000000000",
            "f03f0a051a0374776f0a0208000a122a100a0e0a0178120911000000000000f83f"
        ),
        printed: r#"{"flt": 3.4028235e+38, "dbl": 5e-324, "at": "0001-01-01T00:00:00Z", "took": "-1.000005s", "wrapped": "0", "meta": {"list": [1.0, "two", null, {"x": 1.5}]}, "i32": 0, "i64": "0", "u32": 0, "u64": "0", "s32": 0, "s64": "0", "fx32": 0, "fx64": "0", "sfx32": 0, "sfx64": "0", "flag": false, "text": "", "data": "", "color": "COLOR_UNSPECIFIED", "numbers": [], "names": [], "inners": [], "counts": {}, "byId": {}, "colors": [], "snakeCaseName": "", "zigzags": [], "doubles": []}"#,
        written: None,
    },
    KnownAnswer {
        name: "second",
        schema: KAT_PROTO,
        message: "test.kat.Second",
        path: &[1],
        hex: "0a0173120b08f9ffffffffffffffff01",
        printed: r#"{"id": "s", "nested": {"n": "-7"}}"#,
        written: None,
    },
    KnownAnswer {
        name: "nested",
        schema: KAT_PROTO,
        message: "test.kat.Second.Nested",
        path: &[1, 0],
        hex: "088180808080808010",
        printed: r#"{"n": "9007199254740993"}"#,
        written: None,
    },
    KnownAnswer {
        name: "deeper",
        schema: KAT_PROTO,
        message: "test.kat.Second.Nested.Deeper",
        path: &[1, 0, 0],
        hex: "0a03010001",
        printed: r#"{"bits": [true, false, true]}"#,
        written: None,
    },
    KnownAnswer {
        name: "legacy_min",
        schema: LEGACY_PROTO,
        message: "test.legacy.Legacy",
        path: &[0],
        hex: "0a0d6f6e6c792d7265717569726564",
        printed: r#"{"id": "only-required", "count": 7, "kind": "BETA", "label": "", "plain": [], "packed": [], "flag": false, "ratio": 0.5}"#,
        written: Some(r#"{"id": "only-required", "plain": [], "packed": []}"#),
    },
    KnownAnswer {
        name: "legacy_full",
        schema: LEGACY_PROTO,
        message: "test.legacy.Legacy",
        path: &[0],
        hex: concat!(
            "0a03616c6c10001801220028012802280332040102ac023a050a036b696440004900000000000000",
            "00"
        ),
        printed: r#"{"id": "all", "count": 0, "kind": "ALPHA", "label": "", "plain": [1, 2, 3], "packed": [1, 2, 300], "child": {"id": "kid", "count": 7, "kind": "BETA", "label": "", "plain": [], "packed": [], "flag": false, "ratio": 0.5}, "flag": false, "ratio": 0.0}"#,
        written: Some(
            r#"{"id": "all", "count": 0, "kind": "ALPHA", "label": "", "plain": [1, 2, 3], "packed": [1, 2, 300], "child": {"id": "kid", "plain": [], "packed": []}, "flag": false, "ratio": 0.0}"#,
        ),
    },
    KnownAnswer {
        name: "third",
        schema: KAT_PROTO,
        message: "test.kat.Third",
        path: &[2],
        hex: concat!(
            "0a370a23747970652e676f6f676c65617069732e636f6d2f746573742e6b61742e5365636f6e6412",
            "100a0173120b08f9ffffffffffffffff0112090a057468726565100312070a036f6e65100112070a",
            "0374776f10021a1e0a0f736e616b655f636173655f6e616d650a0b696e6e65722e76616c75652200",
            "2a051a0364796e32370a2a747970652e676f6f676c65617069732e636f6d2f746573742e6b61742e",
            "5365636f6e642e4e6573746564120908818080808080801032340a2c747970652e676f6f676c6561",
            "7069732e636f6d2f676f6f676c652e70726f746f6275662e4475726174696f6e1204080110143a04",
            "080010023a0408011001"
        ),
        printed: r#"{"any": {"@type": "type.googleapis.com/test.kat.Second", "id": "s", "nested": {"n": "-7"}}, "many": {"two": 2, "one": 1, "three": 3}, "mask": "snakeCaseName,inner.value", "nothing": {}, "dynamic": "dyn", "anys": [{"@type": "type.googleapis.com/test.kat.Second.Nested", "n": "9007199254740993"}, {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.000000020s"}], "byFlag": {"true": "RED", "false": "GREEN"}}"#,
        written: Some(
            r#"{"any": {"@type": "type.googleapis.com/test.kat.Second", "id": "s", "nested": {"n": "-7"}}, "many": {"three": 3, "one": 1, "two": 2}, "mask": "snakeCaseName,inner.value", "nothing": {}, "dynamic": "dyn", "anys": [{"@type": "type.googleapis.com/test.kat.Second.Nested", "n": "9007199254740993"}, {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.000000020s"}], "byFlag": {"false": "GREEN", "true": "RED"}}"#,
        ),
    },
    KnownAnswer {
        name: "legacy_group",
        schema: LEGACY_PROTO,
        message: "test.legacy.Legacy",
        path: &[0],
        hex: "0a016753580354",
        printed: r#"{"id": "g", "extra": {"level": 3}, "count": 7, "kind": "BETA", "label": "", "plain": [], "packed": [], "flag": false, "ratio": 0.5}"#,
        written: Some(r#"{"id": "g", "extra": {"level": 3}, "plain": [], "packed": []}"#),
    },
];

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn schema(text: &str) -> Schema {
    Schema::parse(text).unwrap()
}

/// `value` encoded as the first message of `schema`.
fn written(schema: &Schema, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode(schema, value, &mut out).unwrap_or_else(|e| panic!("{value}: {e}"));
    assert_eq!(out.first(), Some(&0), "the prefix of [0]");
    out
}

/// `value` encoded, then decoded.
fn round_trip(schema: &Schema, value: &Value) -> Value {
    let bytes = written(schema, value);
    decode(schema, &bytes).unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// The error of encoding `value`.
fn refused(schema: &Schema, value: &Value) -> String {
    let mut out = vec![9];
    let err = encode(schema, value, &mut out).expect_err(&value.to_string());
    assert_eq!(out, [9], "the output is left as it was");
    err
}

#[test]
fn known_answers_decode() {
    for kat in KNOWN_ANSWERS {
        let schema = schema(kat.schema);
        let desc = indexes::resolve(schema.file(), kat.path).unwrap();
        assert_eq!(desc.full_name(), kat.message, "{}", kat.name);
        let mut input = Vec::new();
        indexes::write(kat.path, &mut input);
        input.extend(unhex(kat.hex));
        let expected: Value = serde_json::from_str(kat.printed).unwrap();
        let printed = decode(&schema, &input).unwrap_or_else(|e| panic!("{}: {e}", kat.name));
        assert_eq!(printed, expected, "{}", kat.name);
    }
}

#[test]
fn known_answers_encode() {
    for kat in KNOWN_ANSWERS {
        let schema = schema(kat.schema);
        let json: Value = serde_json::from_str(kat.written.unwrap_or(kat.printed)).unwrap();
        let desc = indexes::resolve(schema.file(), kat.path).unwrap();
        let mut out = Vec::new();
        super::encode::message(&desc, &json, 0, &mut out)
            .unwrap_or_else(|f| panic!("{}: {}", kat.name, f.render()));
        assert_eq!(out, unhex(kat.hex), "{}", kat.name);
        if kat.path == [0] {
            let mut expected = vec![0];
            expected.extend(unhex(kat.hex));
            assert_eq!(written(&schema, &json), expected, "{}", kat.name);
        }
    }
}

#[test]
fn proto2_prints_declared_defaults_of_unset_fields() {
    let schema = schema(LEGACY_PROTO);
    let printed = round_trip(
        &schema,
        &json!({"id": "x", "child": {"id": "y", "count": 0}}),
    );
    assert_eq!(printed["count"], json!(7));
    assert_eq!(printed["kind"], json!("BETA"));
    assert_eq!(printed["ratio"], json!(0.5));
    assert_eq!(printed["child"]["count"], json!(0));
    assert!(printed["child"].get("child").is_none(), "{printed}");
}

#[test]
fn proto2_required_fields() {
    let schema = schema(LEGACY_PROTO);
    let err = refused(&schema, &json!({"count": 1}));
    assert_eq!(
        err,
        "missing required field \"id\" of message test.legacy.Legacy"
    );
    let err = refused(&schema, &json!({"id": "a", "child": {}}));
    assert!(
        err.starts_with("child: missing required field \"id\""),
        "{err}"
    );
    let err = refused(&schema, &json!({"id": null}));
    assert!(err.contains("missing required field"), "{err}");
    // Data without the required field does not decode either.
    let err = decode(&schema, &[0, 0x10, 0x01]).unwrap_err();
    assert!(err.contains("missing required field \"id\""), "{err}");
    // A closed (proto2) enum takes only its values.
    let err = refused(&schema, &json!({"id": "a", "kind": 9}));
    assert!(
        err.starts_with("kind: 9 is not a value of enum test.legacy.Legacy.Kind"),
        "{err}"
    );
    assert_eq!(
        round_trip(&schema, &json!({"id": "a", "kind": 1}))["kind"],
        "ALPHA"
    );
}

const SIMPLE: &str = r#"syntax = "proto3";
package s;
import "google/protobuf/any.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
message M {
  enum Mood { MOOD_UNKNOWN = 0; HAPPY = 1; SAD = 2; }
  message Sub { int32 x = 1; repeated Sub subs = 2; }
  int32 small = 1;
  int64 big = 2;
  uint64 ubig = 3;
  uint32 usmall = 4;
  float f = 5;
  double d = 6;
  bool b = 7;
  string s = 8;
  bytes raw = 9;
  Mood mood = 10;
  Sub sub = 11;
  repeated int64 longs = 12;
  map<string, Sub> subs = 13;
  map<bool, string> flags = 14;
  map<uint64, int32> by_number = 15;
  oneof pick {
    string pick_s = 16;
    int32 pick_i = 17;
  }
  google.protobuf.Any any = 18;
  google.protobuf.Timestamp ts = 19;
  google.protobuf.Value value = 20;
  google.protobuf.FloatValue fw = 21;
  google.protobuf.Empty empty = 22;
  google.protobuf.FieldMask mask = 23;
  google.protobuf.ListValue items = 24;
  repeated Mood moods = 25;
}
message Other { string note = 1; }
"#;

#[test]
fn scalars_read_every_accepted_form() {
    let schema = schema(SIMPLE);
    let printed = round_trip(
        &schema,
        &json!({
            "small": "-12", "big": 9007199254740993u64, "ubig": "18446744073709551615",
            "usmall": 4e9, "f": "1.5", "d": "-Infinity", "b": "true", "s": "", "raw": "-_8",
            "mood": 2, "longs": ["1", 2, -3.0, "4e2"], "moods": ["HAPPY", 2, "0"]
        }),
    );
    assert_eq!(printed["small"], json!(-12));
    assert_eq!(printed["big"], json!("9007199254740993"));
    assert_eq!(printed["ubig"], json!("18446744073709551615"));
    assert_eq!(printed["usmall"], json!(4000000000u32));
    assert_eq!(printed["f"], json!(1.5));
    assert_eq!(printed["d"], json!("-Infinity"));
    assert_eq!(printed["b"], json!(true));
    assert_eq!(printed["raw"], json!("+/8="));
    assert_eq!(printed["mood"], json!("SAD"));
    assert_eq!(printed["longs"], json!(["1", "2", "-3", "400"]));
    assert_eq!(printed["moods"], json!(["HAPPY", "SAD", "MOOD_UNKNOWN"]));
    // An open enum keeps numbers it does not define, and prints them as numbers.
    assert_eq!(round_trip(&schema, &json!({"mood": 7}))["mood"], json!(7));
    // Original field names work as well as JSON names.
    let printed = round_trip(&schema, &json!({"pick_s": "x", "by_number": {"5": 1}}));
    assert_eq!(printed["pickS"], json!("x"));
    assert_eq!(printed["byNumber"], json!({"5": 1}));
    // Floats print as their shortest decimal form.
    assert_eq!(round_trip(&schema, &json!({"f": 0.1}))["f"], json!(0.1));
    assert_eq!(round_trip(&schema, &json!({"f": 3e38}))["f"], json!(3e38));
    assert_eq!(round_trip(&schema, &json!({"fw": 0.3}))["fw"], json!(0.3));
}

#[test]
fn default_values_are_printed_but_not_written() {
    let schema = schema(SIMPLE);
    let all_defaults = json!({
        "small": 0, "big": "0", "ubig": "0", "usmall": 0, "f": 0.0, "d": 0.0, "b": false,
        "s": "", "raw": "", "mood": "MOOD_UNKNOWN", "longs": [], "subs": {}, "flags": {},
        "byNumber": {}, "moods": []
    });
    assert_eq!(written(&schema, &all_defaults), [0]);
    assert_eq!(round_trip(&schema, &json!({})), all_defaults);
    // A oneof member, and a message field, are written even when default.
    assert_eq!(
        written(&schema, &json!({"pickI": 0})),
        [0, 0x88, 0x01, 0x00]
    );
    assert_eq!(written(&schema, &json!({"sub": {}})), [0, 0x5a, 0x00]);
    let printed = round_trip(&schema, &json!({"pickI": 0, "sub": {}}));
    assert_eq!(printed["pickI"], json!(0));
    assert_eq!(printed["sub"], json!({"x": 0, "subs": []}));
    // -0.0 is not the default (its bits are not zero).
    assert_eq!(written(&schema, &json!({"d": -0.0})).len(), 10);
}

#[test]
fn maps_and_repeated_messages() {
    let schema = schema(SIMPLE);
    let value = json!({
        "subs": {"b": {"x": 2}, "a": {"subs": [{"x": 1}, {}]}},
        "flags": {"true": "yes", "false": ""},
    });
    let bytes = written(&schema, &value);
    // Entries are written in the order of the JSON object.
    let b = bytes.windows(3).position(|w| w == b"\x0a\x01b").unwrap();
    let a = bytes.windows(3).position(|w| w == b"\x0a\x01a").unwrap();
    assert!(b < a);
    let printed = decode(&schema, &bytes).unwrap();
    assert_eq!(
        printed["subs"],
        json!({"a": {"x": 0, "subs": [{"x": 1, "subs": []}, {"x": 0, "subs": []}]},
               "b": {"x": 2, "subs": []}})
    );
    assert_eq!(printed["flags"], json!({"false": "", "true": "yes"}));
}

#[test]
fn well_known_types() {
    let schema = schema(SIMPLE);
    let value = json!({
        "ts": "2024-02-29T23:59:59.5+01:00",
        "value": {"a": [1, "x", null, true, {"b": {}}]},
        "fw": "NaN",
        "empty": {},
        "mask": "a.bC,d",
        "items": [null, 2.5],
        "any": {"@type": "type.googleapis.com/s.Other", "note": "hi"},
    });
    let printed = round_trip(&schema, &value);
    assert_eq!(printed["ts"], json!("2024-02-29T22:59:59.500Z"));
    assert_eq!(
        printed["value"],
        json!({"a": [1.0, "x", null, true, {"b": {}}]})
    );
    assert_eq!(printed["fw"], json!("NaN"));
    assert_eq!(printed["empty"], json!({}));
    assert_eq!(printed["mask"], json!("a.bC,d"));
    assert_eq!(printed["items"], json!([null, 2.5]));
    assert_eq!(
        printed["any"],
        json!({"@type": "type.googleapis.com/s.Other", "note": "hi"})
    );
    // A well-known type in an Any is under "value".
    let value = json!({"any": {"@type": "type.googleapis.com/google.protobuf.Timestamp",
                               "value": "1970-01-01T00:00:01Z"}});
    assert_eq!(round_trip(&schema, &value), {
        let mut expected = round_trip(&schema, &json!({}));
        expected["any"] = value["any"].clone();
        expected
    });
    // A Value field takes null, and prints it.
    let printed = round_trip(&schema, &json!({"value": null}));
    assert_eq!(printed["value"], Value::Null);
    assert!(printed.as_object().unwrap().contains_key("value"));
    // Timestamps out of range, and bad forms, are refused.
    let err = refused(&schema, &json!({"ts": "yesterday"}));
    assert!(
        err.starts_with("ts: expected an RFC 3339 timestamp string"),
        "{err}"
    );
    let err = refused(&schema, &json!({"ts": 5}));
    assert!(err.starts_with("ts: expected an RFC 3339"), "{err}");
}

#[test]
fn any_holds_a_message_of_the_schema() {
    let schema = schema(SIMPLE);
    let wrapped = |any: Value| json!({ "any": any });
    // Known answer: type_url, then the content.
    let bytes = written(
        &schema,
        &wrapped(json!({"@type": "t/s.Other", "note": "a"})),
    );
    assert_eq!(bytes, b"\x00\x92\x01\x10\x0a\x09t/s.Other\x12\x03\x0a\x01a");
    let printed = decode(&schema, &bytes).unwrap();
    assert_eq!(printed["any"], json!({"@type": "t/s.Other", "note": "a"}));
    // An empty Any, and an Any of an empty message.
    assert_eq!(written(&schema, &wrapped(json!({}))), b"\x00\x92\x01\x00");
    assert_eq!(round_trip(&schema, &wrapped(json!({})))["any"], json!({}));
    let printed = round_trip(&schema, &wrapped(json!({"@type": "t/s.Other"})));
    assert_eq!(printed["any"], json!({"@type": "t/s.Other", "note": ""}));
    // Any in Any.
    let nested = json!({"@type": "t/google.protobuf.Any",
                        "value": {"@type": "t/s.M.Sub", "x": 3}});
    let printed = round_trip(&schema, &wrapped(nested.clone()));
    assert_eq!(
        printed["any"],
        json!({"@type": "t/google.protobuf.Any", "value": {"@type": "t/s.M.Sub", "x": 3, "subs": []}})
    );
    let cases = [
        (json!({"note": "x"}), "any: a google.protobuf.Any needs an \"@type\" member"),
        (json!({"@type": 5}), "any[\"@type\"]: expected a type URL string, found 5"),
        (json!({"@type": "t/x.Nope"}), "any[\"@type\"]: the schema defines no message type \"x.Nope\""),
        (json!({"@type": "t/s.Other", "nope": 1}), "any: unknown field \"nope\" in message s.Other"),
        (json!({"@type": "t/s.M.Sub", "x": "y"}), "any.x: expected an integer, found \"y\""),
        (json!({"@type": "t/google.protobuf.Timestamp"}), "any: a google.protobuf.Any of google.protobuf.Timestamp needs a \"value\" member"),
        (json!({"@type": "t/google.protobuf.Timestamp", "value": "1970-01-01T00:00:00Z", "x": 1}), "any: unknown field \"x\""),
        (json!({"@type": "t/google.protobuf.Timestamp", "value": "soon"}), "any.value: expected an RFC 3339 timestamp string"),
        (json!([]), "any: expected a JSON object with an \"@type\" member for google.protobuf.Any, found an array"),
    ];
    for (any, expected) in cases {
        let err = refused(&schema, &wrapped(any.clone()));
        assert!(
            err.starts_with(expected),
            "{any}:\n  got      {err}\n  expected {expected}"
        );
    }
}

#[test]
fn printing_is_bounded() {
    let mut text =
        String::from("syntax = \"proto3\"; message Top { repeated Wide w = 1; }\nmessage Wide {");
    for n in 1..=50 {
        text.push_str(&format!(" repeated int32 f{n} = {n};"));
    }
    text.push('}');
    let schema = schema(&text);
    let items = |count: usize| {
        let mut input = vec![0];
        for _ in 0..count {
            input.extend([0x0a, 0x00]);
        }
        input
    };
    let printed = decode(&schema, &items(1000)).unwrap();
    assert_eq!(printed["w"].as_array().unwrap().len(), 1000);
    let err = decode(&schema, &items(50_000)).unwrap_err();
    assert!(
        err.ends_with(&format!(
            "the message prints as more than {MAX_PRINTED_VALUES} JSON values"
        )),
        "{err}"
    );
}

#[test]
fn unprintable_well_known_values_are_errors() {
    let schema = schema(SIMPLE);
    // ts (field 19) with seconds = i64::MAX.
    let input = [
        0, 0x9a, 0x01, 10, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ];
    let err = decode(&schema, &input).unwrap_err();
    assert!(
        err.contains("ts: google.protobuf.Timestamp out of range"),
        "{err}"
    );
    // ts with nanos = -1.
    let input = [
        0, 0x9a, 0x01, 0x0b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ];
    let err = decode(&schema, &input).unwrap_err();
    assert!(err.contains("out of range"), "{err}");
    // An Any of a type the schema does not define.
    let mut input = vec![0, 0x92, 0x01, 0x0d, 0x0a, 0x0b];
    input.extend(b"example/X.Y");
    let err = decode(&schema, &input).unwrap_err();
    assert!(
        err.contains("any: google.protobuf.Any holds type \"example/X.Y\""),
        "{err}"
    );
}

#[test]
fn value_errors_name_the_place_and_the_problem() {
    let schema = schema(SIMPLE);
    let cases = [
        (json!([]), "expected a JSON object for message s.M, found an array"),
        (json!({"nope": 1}), "unknown field \"nope\" in message s.M (its fields are small, big,"),
        (json!({"sub": {"y": 1}}), "sub: unknown field \"y\" in message s.M.Sub (its fields are x, subs)"),
        (json!({"small": "abc"}), "small: expected an integer, found \"abc\""),
        (json!({"small": 1.5}), "small: expected an integer, found 1.5"),
        (json!({"small": 2147483648u64}), "small: 2147483648 is out of range for int32"),
        (json!({"usmall": -1}), "usmall: -1 is out of range for uint32"),
        (json!({"ubig": "-1"}), "ubig: \"-1\" is out of range for uint64"),
        (json!({"big": "9223372036854775808"}), "big: \"9223372036854775808\" is out of range for int64"),
        (json!({"big": 1e19}), "big: 1e+19 is out of range for int64"),
        (json!({"big": "1e999"}), "big: expected an integer, found \"1e999\""),
        (json!({"f": 1e39}), "f: 1e+39 is out of range for a float"),
        (json!({"d": "inf"}), "d: expected a number, found \"inf\""),
        (json!({"d": true}), "d: expected a number, found true"),
        (json!({"b": 1}), "b: expected true or false, found 1"),
        (json!({"s": 5}), "s: expected a string, found 5"),
        (json!({"raw": "***"}), "raw: invalid base64"),
        (json!({"raw": 5}), "raw: expected a base64 string, found 5"),
        (json!({"mood": "GRUMPY"}), "mood: unknown value \"GRUMPY\" of enum s.M.Mood (its values are MOOD_UNKNOWN, HAPPY, SAD)"),
        (json!({"mood": 2147483648u64}), "mood: 2147483648 is out of range for an enum number"),
        (json!({"mood": [1]}), "mood: expected a name of enum s.M.Mood, found an array"),
        (json!({"longs": 5}), "longs: expected an array for repeated field \"longs\", found 5"),
        (json!({"longs": [1, null]}), "longs[1]: list items cannot be null"),
        (json!({"longs": [1, "x"]}), "longs[1]: expected an integer, found \"x\""),
        (json!({"subs": []}), "subs: expected an object for map field \"subs\", found an array"),
        (json!({"subs": {"k": null}}), "subs.k: map values cannot be null"),
        (json!({"subs": {"a b": {"subs": [{"x": "y"}]}}}), "subs[\"a b\"].subs[0].x: expected an integer, found \"y\""),
        (json!({"flags": {"yes": "x"}}), "flags.yes: expected a map key \"true\" or \"false\", found \"yes\""),
        (json!({"byNumber": {"-1": 1}}), "byNumber[\"-1\"]: \"-1\" is out of range for uint64"),
        (json!({"pickS": "a", "pickI": 1}), "members \"pickS\" and \"pickI\" are both in oneof \"pick\"; set at most one"),
        (json!({"small": 1, "small2": 2}), "unknown field \"small2\""),
        (json!({"pick_s": "a", "pickS": "b"}), "members \"pick_s\" and \"pickS\" both set field \"pick_s\""),
        (json!({"sub": 5}), "sub: expected a JSON object for message s.M.Sub, found 5"),
    ];
    for (value, expected) in cases {
        let err = refused(&schema, &value);
        assert!(
            err.starts_with(expected),
            "{value}:\n  got      {err}\n  expected {expected}"
        );
    }
    // Long strings are cut short in messages.
    let err = refused(&schema, &json!({"small": "9".repeat(100)}));
    assert!(err.len() < 120 && err.contains("...\""), "{err}");
    // A member set to null is absent.
    assert_eq!(
        written(&schema, &json!({"small": null, "sub": null, "longs": null})),
        [0]
    );
}

fn push_varint(mut v: usize, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A schema where `Node` nests itself.
const RECURSIVE: &str = r#"syntax = "proto3";
import "google/protobuf/struct.proto";
message Node { Node child = 1; int32 n = 2; google.protobuf.Value v = 3; }
"#;

/// `{"child": {"child": ... {"n": 1}}}` with `levels` children.
fn nested_nodes(levels: usize) -> Value {
    let mut value = json!({"n": 1});
    for _ in 0..levels {
        value = json!({ "child": value });
    }
    value
}

#[test]
fn nesting_is_bounded_the_same_on_both_sides() {
    let schema = schema(RECURSIVE);
    let deepest = nested_nodes(MAX_DEPTH);
    let printed = round_trip(&schema, &deepest);
    let mut inner = &printed;
    for _ in 0..MAX_DEPTH {
        inner = &inner["child"];
    }
    assert_eq!(inner["n"], json!(1));
    let err = refused(&schema, &nested_nodes(MAX_DEPTH + 1));
    assert!(
        err.ends_with(&format!("messages nest more than {MAX_DEPTH} levels deep")),
        "{err}"
    );
    // The same in binary: 101 nested messages do not decode.
    let mut bytes = vec![0x10, 0x01];
    for _ in 0..=MAX_DEPTH {
        let mut outer = vec![0x0a, bytes.len() as u8];
        if bytes.len() >= 0x80 {
            outer = vec![
                0x0a,
                (bytes.len() as u8 & 0x7f) | 0x80,
                (bytes.len() >> 7) as u8,
            ];
        }
        outer.extend(bytes);
        bytes = outer;
    }
    let mut input = vec![0];
    input.extend(&bytes);
    let err = decode(&schema, &input).unwrap_err();
    assert!(err.contains("recursion limit"), "{err}");
    // An Any holding an Any, 250 times, is refused when printed.
    let schema_with_any = super::Schema::parse(SIMPLE).unwrap();
    let mut any = Vec::new();
    for _ in 0..250 {
        let mut outer = Vec::new();
        outer.push(0x0a);
        outer.push(21);
        outer.extend(b"t/google.protobuf.Any");
        outer.push(0x12);
        push_varint(any.len(), &mut outer);
        outer.extend(&any);
        any = outer;
    }
    let mut input = vec![0, 0x92, 0x01];
    push_varint(any.len(), &mut input);
    input.extend(&any);
    let err = decode(&schema_with_any, &input).unwrap_err();
    assert!(err.ends_with("levels deep"), "{err}");
    // Struct values count two levels per object; whatever encodes, decodes.
    let mut value = json!("s");
    let mut encoded_any = false;
    for _ in 0..MAX_DEPTH {
        value = json!({ "k": value });
        let mut out = Vec::new();
        match encode(&schema, &json!({ "v": value }), &mut out) {
            Ok(()) => {
                encoded_any = true;
                assert_eq!(decode(&schema, &out).unwrap()["v"], value);
            }
            Err(err) => {
                assert!(err.ends_with("levels deep"), "{err}");
                break;
            }
        }
    }
    assert!(encoded_any);
}

#[test]
fn decoding_picks_the_message_of_the_indexes() {
    let schema = schema(SIMPLE);
    let mut input = Vec::new();
    indexes::write(&[1], &mut input);
    input.extend(b"\x0a\x02hi");
    assert_eq!(decode(&schema, &input).unwrap(), json!({"note": "hi"}));
    let mut input = Vec::new();
    indexes::write(&[0, 0], &mut input);
    input.extend(b"\x08\x05");
    assert_eq!(
        decode(&schema, &input).unwrap(),
        json!({"x": 5, "subs": []})
    );
    let err = decode(&schema, &[2, 4]).unwrap_err();
    assert!(err.contains("name no message"), "{err}");
    let err = decode(&schema, &[]).unwrap_err();
    assert!(err.contains("message indexes"), "{err}");
}

#[test]
fn bad_data_is_an_error() {
    let schema = schema(SIMPLE);
    let cases: &[&[u8]] = &[
        b"\x00\x08",             // truncated varint
        b"\x00\x42\x05ab",       // length past the end
        b"\x00\x07",             // wire type 7
        b"\x00\x00",             // field number 0
        b"\x00\x42\x02\xff\xfe", // invalid UTF-8 in a string
        b"\x00\x5a\x03\x08",     // truncated nested message
        b"\x00\x0b",             // a group that never ends
    ];
    for input in cases {
        let err = decode(&schema, input).unwrap_err();
        assert!(
            err.starts_with("invalid Protobuf data for message s.M"),
            "{input:?}: {err}"
        );
    }
    // Unknown fields are skipped.
    let printed = decode(&schema, b"\x00\xf8\x07\x01\x08\x03").unwrap();
    assert_eq!(printed["small"], json!(3));
}

/// A proto3 schema for the property tests.
const PROPERTY: &str = r#"syntax = "proto3";
package p;
enum Level { LOW = 0; MID = 1; HIGH = 2; }
message Rec {
  message Sub { sint32 z = 1; repeated string tags = 2; }
  int64 id = 1;
  uint64 count = 2;
  sint64 delta = 3;
  int32 small = 4;
  fixed32 fixed = 5;
  double ratio = 6;
  float weight = 7;
  bool on = 8;
  string name = 9;
  bytes blob = 10;
  Level level = 11;
  repeated int32 values = 12;
  map<string, Sub> subs = 13;
  Sub sub = 14;
  map<int64, string> labels = 15;
}
"#;

const LEVELS: [&str; 3] = ["LOW", "MID", "HIGH"];

/// A generated `p.Rec`: the JSON to write (64-bit numbers sometimes as
/// numbers, enums sometimes as numbers) and the JSON decoding must print.
fn record() -> impl Strategy<Value = (Value, Value)> {
    use base64::Engine as _;
    let sub = (any::<i32>(), proptest::collection::vec(".{0,6}", 0..3))
        .prop_map(|(z, tags)| json!({"z": z, "tags": tags}));
    (
        (any::<i64>(), any::<u64>(), any::<i64>(), any::<i32>(), any::<u32>(), any::<bool>()),
        (
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            any::<f32>().prop_filter("finite", |v| v.is_finite()),
            ".{0,10}",
            proptest::collection::vec(any::<u8>(), 0..12),
            0..3usize,
            proptest::collection::vec(any::<i32>(), 0..5),
        ),
        (
            proptest::collection::btree_map("[a-z]{0,4}", sub.clone(), 0..3),
            proptest::option::of(sub),
            proptest::collection::btree_map(any::<i64>(), ".{0,4}", 0..3),
        ),
    )
        .prop_map(
            |(
                (id, count, delta, small, fixed, on),
                (ratio, weight, name, blob, level, values),
                (subs, sub, labels),
            )| {
                // A float prints as its shortest decimal form.
                let printed_weight: f64 = weight.to_string().parse().unwrap();
                let weight = f64::from(weight);
                let blob = base64::engine::general_purpose::STANDARD.encode(blob);
                let labels: serde_json::Map<String, Value> = labels
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Value::from(v)))
                    .collect();
                let subs: serde_json::Map<String, Value> = subs.into_iter().collect();
                let mut input = json!({
                    "id": if id % 2 == 0 { json!(id) } else { json!(id.to_string()) },
                    "count": if count % 2 == 0 { json!(count) } else { json!(count.to_string()) },
                    "delta": delta.to_string(), "small": small, "fixed": fixed, "ratio": ratio,
                    "weight": weight, "on": on, "name": name, "blob": blob,
                    "level": if level == 1 { json!(1) } else { json!(LEVELS[level]) },
                    "values": values, "subs": subs, "labels": labels,
                });
                let mut printed = json!({
                    "id": id.to_string(), "count": count.to_string(),
                    "delta": delta.to_string(), "small": small, "fixed": fixed, "ratio": ratio,
                    "weight": printed_weight, "on": on, "name": input["name"], "blob": input["blob"],
                    "level": LEVELS[level], "values": input["values"], "subs": input["subs"],
                    "labels": input["labels"],
                });
                if let Some(sub) = sub {
                    input["sub"] = sub.clone();
                    printed["sub"] = sub;
                }
                (input, printed)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn encode_then_decode_gives_the_value_back((input, printed) in record()) {
        let schema = schema(PROPERTY);
        let bytes = written(&schema, &input);
        let decoded = decode(&schema, &bytes).unwrap();
        prop_assert_eq!(&decoded, &printed);
        // And the printed form writes the same bytes.
        prop_assert_eq!(written(&schema, &decoded), bytes);
    }

    #[test]
    fn decoding_any_bytes_never_panics(
        input in proptest::collection::vec(any::<u8>(), 0..200),
        which in 0..4usize,
    ) {
        let schema = schema([PROPERTY, SIMPLE, LEGACY_PROTO, KAT_PROTO][which]);
        let _ = decode(&schema, &input);
        let mut prefixed = vec![0];
        prefixed.extend(&input);
        let _ = decode(&schema, &prefixed);
    }

    #[test]
    fn decoding_mutated_data_never_panics(
        (input, _) in record(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let schema = schema(PROPERTY);
        let mut bytes = written(&schema, &input);
        for (at, byte) in flips {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = decode(&schema, &bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn decoding_mutated_known_answers_never_panics(
        which in 0..KNOWN_ANSWERS.len(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let kat = &KNOWN_ANSWERS[which];
        let schema = schema(kat.schema);
        let mut input = Vec::new();
        indexes::write(kat.path, &mut input);
        input.extend(unhex(kat.hex));
        for (at, byte) in flips {
            let at = at.index(input.len());
            input[at] = byte;
        }
        let _ = decode(&schema, &input);
        input.truncate(cut.index(input.len() + 1));
        let _ = decode(&schema, &input);
    }
}
