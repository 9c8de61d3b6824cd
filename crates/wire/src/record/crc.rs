//! CRC32C (Castagnoli) of a record batch held in pieces.
//!
//! A batch built with shared values is the builder's buffer interleaved with
//! the values (see [`super::builder`]); its CRC runs over all of them in
//! order. Calling the `crc32c` crate once per piece gives the right answer
//! but not its speed: most pieces are short, and a short buffer is hashed
//! one dependent instruction after another. Here the batch is cut into three
//! lanes of equal length that are hashed together, eight bytes per lane per
//! step, so that the CPU's CRC unit is kept busy as it is on one long
//! buffer; the three CRCs are then combined.
//!
//! This is the one place in the crate with `unsafe`: calling the SSE 4.2
//! kernel after checking at run time that the CPU has the instruction. Other
//! CPUs, and small batches, use the `crc32c` crate piece by piece.
//!
//! # References
//! - RFC 3720, appendix B.4 (CRC32C)
//! - zlib's `crc32_combine` (combining CRCs by multiplication modulo the
//!   polynomial)

/// The CRC32C polynomial, bit-reflected.
const POLY: u32 = 0x82F6_3B78;

/// Below this many bytes the lanes are not worth splitting.
const LANES_FROM: usize = 4096;

/// CRC32C of the concatenation of `pieces`.
pub(super) fn crc32c_pieces(pieces: &[&[u8]]) -> u32 {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    if total >= LANES_FROM {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("sse4.2") {
            let lanes = split_lanes(pieces, total);
            #[allow(unsafe_code)]
            // SAFETY: the CPU supports SSE 4.2, checked just above; the
            // kernel does nothing else that needs `unsafe`.
            let crcs = unsafe { sse42::three_lanes(&lanes) };
            let [a, b, c] = crcs;
            let ab = combine(a.0, b.0, b.1);
            return combine(ab, c.0, c.1);
        }
    }
    pieces
        .iter()
        .fold(0, |crc, piece| crc32c::crc32c_append(crc, piece))
}

/// The pieces cut into three runs of (nearly) equal length.
fn split_lanes<'a>(pieces: &[&'a [u8]], total: usize) -> [Vec<&'a [u8]>; 3] {
    let mut lanes: [Vec<&'a [u8]>; 3] = Default::default();
    let size = total / 3;
    let mut lane = 0;
    let mut room = size;
    for &piece in pieces {
        let mut piece = piece;
        while lane < 2 && piece.len() > room {
            let (head, tail) = piece.split_at(room);
            if !head.is_empty() {
                lanes[lane].push(head);
            }
            piece = tail;
            lane += 1;
            room = size;
        }
        if !piece.is_empty() {
            lanes[lane].push(piece);
        }
        if lane < 2 {
            room -= piece.len();
        }
    }
    lanes
}

/// The CRC of `a ++ b` from the CRCs of `a` and `b` and the length of `b`.
fn combine(crc_a: u32, crc_b: u32, len_b: usize) -> u32 {
    multiply(x_to_8n(len_b), crc_a) ^ crc_b
}

/// `a * b` modulo the polynomial (bit-reflected: the top bit is x^0).
const fn multiply(a: u32, mut b: u32) -> u32 {
    let mut m = 1u32 << 31;
    let mut product = 0;
    loop {
        if a & m != 0 {
            product ^= b;
            if a & (m - 1) == 0 {
                return product;
            }
        }
        m >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
        if m == 0 {
            return product;
        }
    }
}

/// `x^(2^k)` modulo the polynomial, for k in 0..32.
const POWERS: [u32; 32] = {
    let mut table = [0u32; 32];
    let mut p = 1u32 << 30; // x^1
    table[0] = p;
    let mut k = 1;
    while k < 32 {
        p = multiply(p, p);
        table[k] = p;
        k += 1;
    }
    table
};

/// `x^(8 * bytes)` modulo the polynomial: the factor that shifts a CRC past
/// `bytes` bytes.
fn x_to_8n(bytes: usize) -> u32 {
    let mut p = 1u32 << 31; // x^0
    let mut n = bytes;
    let mut k = 3; // 8 = 2^3
    while n != 0 {
        if n & 1 != 0 {
            p = multiply(POWERS[k & 31], p);
        }
        n >>= 1;
        k += 1;
    }
    p
}

#[cfg(target_arch = "x86_64")]
mod sse42 {
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};

    /// One lane: the pieces left and the current one.
    struct Lane<'a> {
        rest: std::slice::Iter<'a, &'a [u8]>,
        current: &'a [u8],
        state: u64,
        len: usize,
    }

    impl<'a> Lane<'a> {
        fn new(pieces: &'a [&'a [u8]]) -> Self {
            Lane {
                rest: pieces.iter(),
                current: &[],
                state: u64::from(u32::MAX),
                len: pieces.iter().map(|p| p.len()).sum(),
            }
        }

        /// Hashes short tails byte by byte until the current piece has at
        /// least eight bytes; false once the lane is used up.
        #[target_feature(enable = "sse4.2")]
        fn refill(&mut self) -> bool {
            while self.current.len() < 8 {
                for &b in self.current {
                    self.state = u64::from(_mm_crc32_u8(self.state as u32, b));
                }
                match self.rest.next() {
                    Some(piece) => self.current = piece,
                    None => {
                        self.current = &[];
                        return false;
                    }
                }
            }
            true
        }

        /// Hashes what is left of the lane on its own.
        #[target_feature(enable = "sse4.2")]
        fn finish(mut self) -> (u32, usize) {
            loop {
                let words = self.current.chunks_exact(8);
                let tail = words.remainder();
                for w in words {
                    self.state = _mm_crc32_u64(self.state, word(w));
                }
                for &b in tail {
                    self.state = u64::from(_mm_crc32_u8(self.state as u32, b));
                }
                match self.rest.next() {
                    Some(piece) => self.current = piece,
                    None => return (!(self.state as u32), self.len),
                }
            }
        }
    }

    #[inline(always)]
    fn word(bytes: &[u8]) -> u64 {
        u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]))
    }

    /// The CRC32C and length of each lane, hashed together.
    #[target_feature(enable = "sse4.2")]
    pub(super) fn three_lanes(lanes: &[Vec<&[u8]>; 3]) -> [(u32, usize); 3] {
        let [a, b, c] = lanes;
        let (mut a, mut b, mut c) = (Lane::new(a), Lane::new(b), Lane::new(c));
        loop {
            let more = a.refill() & b.refill() & c.refill();
            if !more {
                break;
            }
            let n = a.current.len().min(b.current.len()).min(c.current.len()) & !7;
            let (wa, ra) = a.current.split_at(n);
            let (wb, rb) = b.current.split_at(n);
            let (wc, rc) = c.current.split_at(n);
            for ((x, y), z) in wa
                .chunks_exact(8)
                .zip(wb.chunks_exact(8))
                .zip(wc.chunks_exact(8))
            {
                a.state = _mm_crc32_u64(a.state, word(x));
                b.state = _mm_crc32_u64(b.state, word(y));
                c.state = _mm_crc32_u64(c.state, word(z));
            }
            a.current = ra;
            b.current = rb;
            c.current = rc;
        }
        [a.finish(), b.finish(), c.finish()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn data(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn combine_matches_whole_buffer() {
        let d = data(10_000, 1);
        for cut in [0, 1, 7, 8, 4095, 9_999, 10_000] {
            let (a, b) = d.split_at(cut);
            assert_eq!(
                combine(crc32c::crc32c(a), crc32c::crc32c(b), b.len()),
                crc32c::crc32c(&d),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn batch_like_pieces() {
        let d = data(200_000, 2);
        let mut pieces = Vec::new();
        let mut rest = &d[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = [37, 1024, 3, 61, 1, 0, 2000][i % 7].min(rest.len());
            let (p, r) = rest.split_at(n);
            pieces.push(p);
            rest = r;
            i += 1;
        }
        assert_eq!(crc32c_pieces(&pieces), crc32c::crc32c(&d));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn prop_pieces_equal_whole(
            lens in proptest::collection::vec(0usize..3000, 0..40),
            seed in any::<u64>(),
        ) {
            let total: usize = lens.iter().sum();
            let d = data(total, seed);
            let mut pieces = Vec::new();
            let mut pos = 0;
            for len in lens {
                pieces.push(&d[pos..pos + len]);
                pos += len;
            }
            prop_assert_eq!(crc32c_pieces(&pieces), crc32c::crc32c(&d));
        }
    }
}
