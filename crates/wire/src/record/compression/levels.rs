//! Compression levels: `compression.gzip.level`, `compression.lz4.level` and
//! `compression.zstd.level` (Kafka 3.8, KIP-390), with Kafka's ranges.
//!
//! gzip and zstd levels are applied; an LZ4 level is accepted and checked
//! but has no effect: `lz4_flex` has one (fast) compressor.
//!
//! # References
//! - KIP-390: <https://cwiki.apache.org/confluence/display/KAFKA/KIP-390%3A+Support+Compression+Level>

use super::Compression;

/// The gzip levels: 1 (fastest) to 9 (smallest); Kafka also accepts -1, the
/// default (6).
const GZIP: (i32, i32) = (1, 9);
/// The LZ4 levels Kafka accepts.
const LZ4: (i32, i32) = (1, 17);
/// The zstd levels: negative levels are faster than 1; 22 is the smallest.
const ZSTD: (i32, i32) = (-131_072, 22);

/// The compression level of each codec; `None` is the codec's default
/// (gzip 6, zstd 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompressionLevels {
    /// `compression.gzip.level`.
    pub gzip: Option<i32>,
    /// `compression.lz4.level` (checked, not applied).
    pub lz4: Option<i32>,
    /// `compression.zstd.level`.
    pub zstd: Option<i32>,
}

impl CompressionLevels {
    /// The level `codec` compresses at; `None` for its default.
    pub fn for_codec(&self, codec: Compression) -> Option<i32> {
        match codec {
            Compression::Gzip => self.gzip,
            Compression::Zstd => self.zstd,
            Compression::Lz4 => self.lz4,
            Compression::None | Compression::Snappy => None,
        }
    }

    /// Sets the level property `key` to `value`. `Ok(false)` when `key` is
    /// not a level property; an error for a value out of Kafka's range.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let (slot, range) = match key {
            "compression.gzip.level" => (&mut self.gzip, GZIP),
            "compression.lz4.level" => (&mut self.lz4, LZ4),
            "compression.zstd.level" => (&mut self.zstd, ZSTD),
            _ => return Ok(false),
        };
        let level: i32 = value
            .trim()
            .parse()
            .map_err(|_| format!("{key}: '{value}' is not a whole number"))?;
        if key == "compression.gzip.level" && level == -1 {
            *slot = None;
            return Ok(true);
        }
        if level < range.0 || level > range.1 {
            return Err(format!(
                "{key}: {level} is outside {}..={}",
                range.0, range.1
            ));
        }
        *slot = Some(level);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_within_kafkas_ranges() {
        let mut levels = CompressionLevels::default();
        assert_eq!(levels.set("compression.gzip.level", "9"), Ok(true));
        assert_eq!(levels.set("compression.zstd.level", "-5"), Ok(true));
        assert_eq!(levels.set("compression.lz4.level", "17"), Ok(true));
        assert_eq!(levels.set("compression.type", "zstd"), Ok(false));
        assert_eq!(levels.for_codec(Compression::Gzip), Some(9));
        assert_eq!(levels.for_codec(Compression::Zstd), Some(-5));
        assert_eq!(levels.for_codec(Compression::Snappy), None);
        assert_eq!(levels.set("compression.gzip.level", "-1"), Ok(true));
        assert_eq!(levels.for_codec(Compression::Gzip), None);
        for (key, value) in [
            ("compression.gzip.level", "0"),
            ("compression.gzip.level", "10"),
            ("compression.lz4.level", "18"),
            ("compression.zstd.level", "23"),
            ("compression.zstd.level", "fast"),
        ] {
            let err = levels.set(key, value).unwrap_err();
            assert!(err.starts_with(key), "{err}");
        }
    }

    #[test]
    fn levels_change_what_is_written() {
        let input = super::super::testing::sample(200 * 1024);
        for (codec, fast, small) in [(Compression::Gzip, 1, 9), (Compression::Zstd, 1, 19)] {
            let mut fast_out = Vec::new();
            codec
                .compress_at(&input, &mut fast_out, Some(fast))
                .unwrap();
            let mut small_out = Vec::new();
            codec
                .compress_at(&input, &mut small_out, Some(small))
                .unwrap();
            assert!(small_out.len() < fast_out.len(), "{codec}");
            for packed in [fast_out, small_out] {
                assert_eq!(codec.decompressed(&packed, input.len()).unwrap(), input);
            }
        }
    }
}
