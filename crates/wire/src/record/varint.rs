//! Zig-zag variable-length integers, as record batch v2 writes them
//! (protobuf's encoding: seven bits a byte, least significant group first).
//!
//! # References
//! - <https://kafka.apache.org/documentation/#record>
//! - <https://protobuf.dev/programming-guides/encoding/#signed-ints>

use super::RecordError;

/// Bytes `value` takes as a zig-zag varint.
#[inline]
pub fn varint_len(value: i32) -> usize {
    varlong_len(value as i64)
}

/// Bytes `value` takes as a zig-zag varlong.
#[inline]
pub fn varlong_len(value: i64) -> usize {
    let z = ((value << 1) ^ (value >> 63)) as u64;
    if z < 0x80 {
        return 1;
    }
    // 1 byte per 7 bits, at least one byte.
    let bits = 64 - (z | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends `value` as a zig-zag varint.
#[inline]
pub fn put_varint(out: &mut Vec<u8>, value: i32) {
    put_varlong(out, value as i64)
}

/// Appends `value` as a zig-zag varlong.
#[inline]
pub fn put_varlong(out: &mut Vec<u8>, value: i64) {
    let mut z = ((value << 1) ^ (value >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Writes `value` as a zig-zag varint at the start of `out` (room for five
/// bytes); returns the bytes written.
#[inline]
pub fn write_varint_into(out: &mut [u8; 5], value: i32) -> usize {
    let mut z = ((value << 1) ^ (value >> 31)) as u32;
    let mut n = 0;
    while z >= 0x80 {
        out[n] = (z as u8) | 0x80;
        z >>= 7;
        n += 1;
    }
    out[n] = z as u8;
    n + 1
}

/// Reads a zig-zag varlong at `*pos`, advancing it. At most ten bytes.
#[inline]
pub fn get_varlong(buf: &[u8], pos: &mut usize) -> Result<i64, RecordError> {
    let mut z: u64 = 0;
    let mut shift = 0u32;
    loop {
        let Some(&b) = buf.get(*pos) else {
            return Err(RecordError::Truncated("varint"));
        };
        *pos += 1;
        if shift == 63 && b > 1 {
            return Err(RecordError::Corrupt("varint overflows 64 bits"));
        }
        z |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(((z >> 1) as i64) ^ -((z & 1) as i64));
        }
        shift += 7;
        if shift > 63 {
            return Err(RecordError::Corrupt("varint longer than ten bytes"));
        }
    }
}

/// Reads a zig-zag varint at `*pos`, advancing it; it must fit 32 bits.
#[inline]
pub fn get_varint(buf: &[u8], pos: &mut usize) -> Result<i32, RecordError> {
    // Fast path: one byte.
    if let Some(&b) = buf.get(*pos) {
        if b & 0x80 == 0 {
            *pos += 1;
            let z = b as i32;
            return Ok((z >> 1) ^ -(z & 1));
        }
    }
    let v = get_varlong(buf, pos)?;
    i32::try_from(v).map_err(|_| RecordError::Corrupt("varint does not fit 32 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0]),
            (-1, &[1]),
            (1, &[2]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (300, &[0xd8, 0x04]),
        ];
        for (v, bytes) in cases {
            let mut out = Vec::new();
            put_varlong(&mut out, *v);
            assert_eq!(&out, bytes, "{v}");
            assert_eq!(varlong_len(*v), bytes.len());
            let mut pos = 0;
            assert_eq!(get_varlong(&out, &mut pos).unwrap(), *v);
        }
    }

    #[test]
    fn rejects_truncated_and_overlong() {
        let mut pos = 0;
        assert!(get_varlong(&[0x80, 0x80], &mut pos).is_err());
        let mut pos = 0;
        assert!(get_varlong(&[0xff; 11], &mut pos).is_err());
        let mut pos = 0;
        let mut out = Vec::new();
        put_varlong(&mut out, i64::from(i32::MAX) + 1);
        assert!(get_varint(&out, &mut pos).is_err());
    }

    proptest! {
        #[test]
        fn varlong_round_trip(v in any::<i64>()) {
            let mut out = Vec::new();
            put_varlong(&mut out, v);
            prop_assert_eq!(out.len(), varlong_len(v));
            let mut pos = 0;
            prop_assert_eq!(get_varlong(&out, &mut pos).unwrap(), v);
            prop_assert_eq!(pos, out.len());
        }

        #[test]
        fn varint_round_trip(v in any::<i32>()) {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            prop_assert_eq!(out.len(), varint_len(v));
            let mut pos = 0;
            prop_assert_eq!(get_varint(&out, &mut pos).unwrap(), v);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let mut pos = 0;
            let _ = get_varlong(&bytes, &mut pos);
        }
    }
}
