//! A record's headers without an allocation per record.
//!
//! Decoded records keep their headers as the validated slice of the batch
//! they came in (keys already checked to be UTF-8) and parse it on access;
//! records built in memory hold a `Vec<Header>`. Both compare, iterate and
//! encode the same way.

use std::fmt;

use bytes::Bytes;
use kafka_protocol::protocol::StrBytes;

use super::varint::{get_varint, put_varint, varint_len};
use super::{Header, HeaderRef, RecordError};

/// The headers of a record, in order, duplicate keys kept.
#[derive(Clone, Default)]
pub struct Headers {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// `count` encoded header entries, validated when the record was decoded.
    Encoded {
        raw: Bytes,
        count: u32,
    },
    Owned(Vec<Header>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Owned(Vec::new())
    }
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers::default()
    }

    /// Validates `count` encoded headers at the start of `raw[*pos..end]`,
    /// advancing `pos` past them, and keeps them as a slice of `raw`.
    pub(super) fn decode(
        raw: &Bytes,
        pos: &mut usize,
        end: usize,
        count: usize,
    ) -> Result<Headers, RecordError> {
        if count == 0 {
            return Ok(Headers::default());
        }
        let start = *pos;
        let body = &raw[..end];
        for _ in 0..count {
            let key = field(body, pos)?.ok_or(RecordError::Corrupt("null header key"))?;
            std::str::from_utf8(key)
                .map_err(|_| RecordError::Corrupt("header key is not UTF-8"))?;
            field(body, pos)?;
        }
        let count = u32::try_from(count).map_err(|_| RecordError::Corrupt("header count"))?;
        Ok(Headers {
            repr: Repr::Encoded {
                raw: raw.slice(start..*pos),
                count,
            },
        })
    }

    /// Number of headers.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Encoded { count, .. } => *count as usize,
            Repr::Owned(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The headers in order.
    pub fn iter(&self) -> HeadersIter<'_> {
        match &self.repr {
            Repr::Encoded { raw, count } => HeadersIter::Encoded {
                raw,
                pos: 0,
                left: *count,
            },
            Repr::Owned(v) => HeadersIter::Owned(v.iter()),
        }
    }

    /// Appends a header.
    pub fn push(&mut self, header: Header) {
        if let Repr::Encoded { .. } = self.repr {
            self.repr = Repr::Owned(self.iter().collect());
        }
        if let Repr::Owned(v) = &mut self.repr {
            v.push(header);
        }
    }

    /// The headers as a vector.
    pub fn to_vec(&self) -> Vec<Header> {
        self.iter().collect()
    }

    /// Bytes these headers take in a record, header count included.
    pub(super) fn encoded_len(&self) -> usize {
        match &self.repr {
            Repr::Encoded { raw, count } => varint_len(*count as i32) + raw.len(),
            Repr::Owned(v) => slice_encoded_len(v),
        }
    }

    /// Writes the header count and the headers.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        match &self.repr {
            Repr::Encoded { raw, count } => {
                put_varint(out, *count as i32);
                out.extend_from_slice(raw);
            }
            Repr::Owned(v) => write_slice(v, out),
        }
    }
}

/// Reads one nullable length-prefixed field of `body` at `*pos`.
fn field<'a>(body: &'a [u8], pos: &mut usize) -> Result<Option<&'a [u8]>, RecordError> {
    let len = get_varint(body, pos)?;
    if len == -1 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| RecordError::Corrupt("negative length"))?;
    let stop = pos
        .checked_add(len)
        .filter(|s| *s <= body.len())
        .ok_or(RecordError::Truncated("header"))?;
    let bytes = &body[*pos..stop];
    *pos = stop;
    Ok(Some(bytes))
}

/// Bytes a slice of headers takes in a record, header count included.
pub(super) fn slice_encoded_len<H: HeaderRef>(headers: &[H]) -> usize {
    let nullable = |b: Option<&[u8]>| b.map_or(1, |b| varint_len(b.len() as i32) + b.len());
    varint_len(headers.len() as i32)
        + headers
            .iter()
            .map(|h| nullable(Some(h.key())) + nullable(h.value()))
            .sum::<usize>()
}

/// Writes the header count and a slice of headers.
pub(super) fn write_slice<H: HeaderRef>(headers: &[H], out: &mut Vec<u8>) {
    put_varint(out, headers.len() as i32);
    for h in headers {
        put_varint(out, h.key().len() as i32);
        out.extend_from_slice(h.key());
        match h.value() {
            None => put_varint(out, -1),
            Some(v) => {
                put_varint(out, v.len() as i32);
                out.extend_from_slice(v);
            }
        }
    }
}

/// Iterator over [`Headers`].
#[derive(Debug)]
pub enum HeadersIter<'a> {
    /// Parsing a validated encoded slice.
    Encoded {
        /// The encoded headers.
        raw: &'a Bytes,
        /// Position of the next header.
        pos: usize,
        /// Headers left.
        left: u32,
    },
    /// Walking a vector.
    Owned(std::slice::Iter<'a, Header>),
}

impl Iterator for HeadersIter<'_> {
    type Item = Header;

    fn next(&mut self) -> Option<Header> {
        match self {
            HeadersIter::Owned(it) => it.next().cloned(),
            HeadersIter::Encoded { raw, pos, left } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                // Validated at decode time; a failure here would end the iteration.
                let key = slice_field(raw, pos)??;
                let value = slice_field(raw, pos)?;
                Some(Header {
                    key: StrBytes::from_utf8(key).ok()?,
                    value,
                })
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            HeadersIter::Owned(it) => it.len(),
            HeadersIter::Encoded { left, .. } => *left as usize,
        };
        (n, Some(n))
    }
}

/// One nullable field as a slice of `raw` (`None` when it cannot be read).
fn slice_field(raw: &Bytes, pos: &mut usize) -> Option<Option<Bytes>> {
    let field = field(raw, pos).ok()?;
    Some(field.map(|b| raw.slice(*pos - b.len()..*pos)))
}

impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<Header>> for Headers {
    fn from(v: Vec<Header>) -> Self {
        Headers {
            repr: Repr::Owned(v),
        }
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        Headers::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = Header;
    type IntoIter = HeadersIter<'a>;
    fn into_iter(self) -> HeadersIter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_and_owned_headers_behave_alike() {
        let owned: Headers = vec![
            Header::new("a", Some(&b"1"[..])),
            Header::new("a", None::<Bytes>),
            Header::new("ключ", Some(&b""[..])),
        ]
        .into();
        let mut raw = Vec::new();
        owned.write(&mut raw);
        assert_eq!(raw.len(), owned.encoded_len());
        let raw = Bytes::from(raw);
        let mut pos = 0;
        let count = get_varint(&raw, &mut pos).unwrap() as usize;
        let decoded = Headers::decode(&raw, &mut pos, raw.len(), count).unwrap();
        assert_eq!(pos, raw.len());
        assert_eq!(decoded, owned);
        assert_eq!(decoded.encoded_len(), owned.encoded_len());
        let keys: Vec<String> = decoded.iter().map(|h| h.key.as_str().to_owned()).collect();
        assert_eq!(keys, ["a", "a", "ключ"]);
        let mut grown = decoded.clone();
        grown.push(Header::new("z", Some(&b"9"[..])));
        assert_eq!(grown.len(), 4);
        assert_eq!(grown.iter().last().unwrap().key.as_str(), "z");
    }

    #[test]
    fn invalid_encoded_headers_are_errors() {
        // A key that is not UTF-8, a null key, and a truncated value.
        for raw in [&[2u8, 0xff, 0][..], &[1, 0], &[2, b'k', 20, 1]] {
            let raw = Bytes::copy_from_slice(raw);
            let mut pos = 0;
            assert!(
                Headers::decode(&raw, &mut pos, raw.len(), 1).is_err(),
                "{raw:?}"
            );
        }
    }
}
