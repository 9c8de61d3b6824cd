//! The Confluent message-index prefix: which message of the file the data
//! is, as a path of indexes (top-level message, then nested messages).

use prost_reflect::{FileDescriptor, MessageDescriptor};

/// Appends the prefix for `path`: `[0]` is the single byte `0`, any other
/// path a zig-zag varint count and then each index as a zig-zag varint.
pub(crate) fn write(path: &[i32], out: &mut Vec<u8>) {
    if path == [0] {
        out.push(0);
        return;
    }
    let count = i32::try_from(path.len()).unwrap_or(i32::MAX);
    write_zigzag(count, out);
    for &index in path.iter().take(count as usize) {
        write_zigzag(index, out);
    }
}

/// Reads a prefix from the start of `input`: the path and how many bytes it
/// took. A count of zero is the path `[0]`. The count is bounded by the
/// bytes left (each index takes at least one), and negative counts and
/// indexes are refused.
pub(crate) fn read(input: &[u8]) -> Result<(Vec<i32>, usize), String> {
    let mut pos = 0;
    let count = read_zigzag(input, &mut pos)
        .map_err(|e| format!("invalid Protobuf message indexes: {e} in the count"))?;
    if count == 0 {
        return Ok((vec![0], pos));
    }
    let count = usize::try_from(count)
        .map_err(|_| format!("invalid Protobuf message indexes: negative count {count}"))?;
    let left = input.len() - pos;
    if count > left {
        return Err(format!(
            "invalid Protobuf message indexes: a count of {count} indexes, but only {left} \
             bytes follow"
        ));
    }
    let mut path = Vec::with_capacity(count);
    for n in 0..count {
        let index = read_zigzag(input, &mut pos)
            .map_err(|e| format!("invalid Protobuf message indexes: {e} in index {n}"))?;
        if index < 0 {
            return Err(format!(
                "invalid Protobuf message indexes: negative index {index}"
            ));
        }
        path.push(index);
    }
    Ok((path, pos))
}

/// The message `path` names in `file`: the top-level message at `path[0]`
/// (in declaration order), then the nested message at `path[1]` in it, and
/// so on.
pub(crate) fn resolve(file: &FileDescriptor, path: &[i32]) -> Result<MessageDescriptor, String> {
    let fail = |count: usize, within: &str| {
        Err(format!(
            "the Protobuf message indexes {path:?} name no message of the schema \
             ({within} defines {count} message type{})",
            if count == 1 { "" } else { "s" }
        ))
    };
    let Some((&first, rest)) = path.split_first() else {
        return fail(file.messages().len(), "the file");
    };
    let mut desc = match file.messages().nth(first as usize) {
        Some(desc) => desc,
        None => return fail(file.messages().len(), "the file"),
    };
    for &index in rest {
        let next = desc.child_messages().nth(index as usize);
        desc = match next {
            Some(next) => next,
            None => {
                let within = format!("message {}", desc.full_name());
                return fail(desc.child_messages().len(), &within);
            }
        };
    }
    Ok(desc)
}

/// Appends `value` zig-zag encoded as a varint.
fn write_zigzag(value: i32, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 31)) as u32;
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a zig-zag varint of at most 32 bits at `*pos`.
fn read_zigzag(input: &[u8], pos: &mut usize) -> Result<i32, &'static str> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let Some(&byte) = input.get(*pos) else {
            return Err("truncated varint");
        };
        *pos += 1;
        if shift == 28 && byte > 0x0f {
            return Err("varint longer than 32 bits");
        }
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(((value >> 1) as i32) ^ -((value & 1) as i32));
        }
    }
    Err("varint longer than 32 bits")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::format::protobuf::Schema;

    fn roundtrip(path: &[i32]) -> Vec<u8> {
        let mut out = Vec::new();
        write(path, &mut out);
        let mut with_tail = out.clone();
        with_tail.extend_from_slice(b"\x08\x01");
        assert_eq!(read(&with_tail).unwrap(), (path.to_vec(), out.len()));
        out
    }

    #[test]
    fn known_prefixes() {
        assert_eq!(roundtrip(&[0]), [0]);
        assert_eq!(roundtrip(&[1]), [2, 2]);
        assert_eq!(roundtrip(&[1, 0]), [4, 2, 0]);
        assert_eq!(roundtrip(&[0, 2, 1]), [6, 0, 4, 2]);
        assert_eq!(roundtrip(&[64]), [2, 0x80, 0x01]);
        assert_eq!(roundtrip(&[i32::MAX]), [2, 0xfe, 0xff, 0xff, 0xff, 0x0f]);
        // The long form of [0] is read as [0] too.
        assert_eq!(read(&[2, 0]).unwrap(), (vec![0], 2));
    }

    #[test]
    fn hostile_prefixes() {
        let cases: &[(&[u8], &str)] = &[
            (&[], "truncated varint"),
            (&[0x80], "truncated varint"),
            (&[1], "negative count"),
            (&[0xfe, 0xff, 0xff, 0xff, 0x0f], "only 0 bytes follow"),
            (&[6, 0, 0], "only 2 bytes follow"),
            (&[4, 0, 0x80], "truncated varint in index 1"),
            (&[2, 3], "negative index"),
            (&[2, 0xff, 0xff, 0xff, 0xff, 0x7f], "longer than 32 bits"),
            (&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "longer than 32 bits"),
        ];
        for (input, expected) in cases {
            let err = read(input).unwrap_err();
            assert!(err.contains(expected), "{input:?}: {err}");
        }
    }

    #[test]
    fn resolving_paths() {
        let schema = Schema::parse(
            "syntax = \"proto3\"; package p;
             message A { message A0 { message A00 {} } map<string, int32> m = 1; message A2 {} }
             message B {}",
        )
        .unwrap();
        let file = schema.file();
        let name = |path: &[i32]| resolve(file, path).map(|d| d.full_name().to_owned());
        assert_eq!(name(&[0]).unwrap(), "p.A");
        assert_eq!(name(&[1]).unwrap(), "p.B");
        assert_eq!(name(&[0, 0]).unwrap(), "p.A.A0");
        assert_eq!(name(&[0, 0, 0]).unwrap(), "p.A.A0.A00");
        // The map field declares the entry type, nested type 1.
        assert_eq!(name(&[0, 1]).unwrap(), "p.A.MEntry");
        assert_eq!(name(&[0, 2]).unwrap(), "p.A.A2");
        let err = name(&[2]).unwrap_err();
        assert!(
            err.contains("[2]") && err.contains("the file defines 2"),
            "{err}"
        );
        let err = name(&[1, 0]).unwrap_err();
        assert!(err.contains("message p.B defines 0 message types"), "{err}");
        assert!(name(&[0, 0, 0, 0]).is_err());
        assert!(name(&[]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn any_path_round_trips(path in proptest::collection::vec(0..i32::MAX, 1..8)) {
            roundtrip(&path);
        }

        #[test]
        fn reading_anything_never_panics(input in proptest::collection::vec(any::<u8>(), 0..16)) {
            if let Ok((path, used)) = read(&input) {
                prop_assert!(used <= input.len());
                prop_assert!(path.iter().all(|&i| i >= 0));
            }
        }
    }
}
