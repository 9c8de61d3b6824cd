//! Reader (and writer) for Java `.properties` files.
//!
//! The grammar follows `java.util.Properties.load`:
//!
//! * A *natural line* ends at `\n`, `\r` or `\r\n`. A *logical line* is one
//!   or more natural lines joined by a line terminator that is escaped by an
//!   odd number of trailing backslashes; leading whitespace (space, tab, form
//!   feed) of every continuation line is dropped.
//! * Blank lines and lines whose first non-whitespace character is `#` or `!`
//!   are ignored. A comment ends at its natural line end, even if that ends
//!   in a backslash.
//! * The key runs from the first non-whitespace character up to the first
//!   unescaped `=`, `:` or whitespace. Whitespace around the separator, and
//!   at most one `=`/`:` separator, is skipped; the rest of the line, trailing
//!   whitespace included, is the value.
//! * In keys and values `\t`, `\n`, `\r`, `\f` and `\uXXXX` (UTF-16, so
//!   surrogate pairs combine) are escapes; a backslash before any other
//!   character stands for that character.
//!
//! Java reads property files as ISO-8859-1; [`decode`] accepts UTF-8 (what
//! people actually write) and falls back to ISO-8859-1 for other input.

use std::borrow::Cow;
use std::fmt::Write as _;

/// One `key=value` pair, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, with escapes resolved.
    pub key: String,
    /// The value, with escapes resolved. Trailing whitespace is kept, as Java
    /// does; interpreting code trims where a setting calls for it.
    pub value: String,
    /// 1-based number of the natural line the entry starts on.
    pub line: usize,
}

/// A malformed escape sequence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line number of the logical line that contains the error.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Decodes the bytes of a properties file: UTF-8 (a leading byte-order mark
/// is dropped) when valid, ISO-8859-1 otherwise.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Parses properties text into its entries, in order. Later duplicates are
/// returned as well; the caller decides (Java: the last one wins).
pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut lines = LogicalLines::new(text);
    let mut entries = Vec::new();
    while let Some((line, raw)) = lines.next_line() {
        let (key, value) = split_key_value(&raw);
        entries.push(Entry {
            key: unescape(key, line)?,
            value: unescape(value, line)?,
            line,
        });
    }
    Ok(entries)
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Splits a text into logical lines, dropping blank and comment lines and
/// resolving line continuations (other escapes are left in place).
struct LogicalLines<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    /// Number of the natural line the reader is on.
    line: usize,
}

impl<'a> LogicalLines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            line: 1,
        }
    }

    /// Consumes a line terminator if one is next; `\r\n` counts as one.
    fn eat_terminator(&mut self) -> bool {
        match self.chars.peek() {
            Some('\n') => {
                self.chars.next();
            }
            Some('\r') => {
                self.chars.next();
                if self.chars.peek() == Some(&'\n') {
                    self.chars.next();
                }
            }
            _ => return false,
        }
        self.line += 1;
        true
    }

    fn skip_blanks(&mut self) {
        while self.chars.next_if(|&c| is_blank(c)).is_some() {}
    }

    /// Appends the rest of the natural line (without its terminator) to
    /// `buf`.
    fn read_rest_of_line(&mut self, buf: &mut String) {
        while let Some(c) = self.chars.next_if(|&c| c != '\n' && c != '\r') {
            buf.push(c);
        }
    }

    fn next_line(&mut self) -> Option<(usize, String)> {
        loop {
            // Skip leading whitespace and empty lines.
            loop {
                self.skip_blanks();
                if !self.eat_terminator() {
                    break;
                }
            }
            let &first = self.chars.peek()?;
            if first == '#' || first == '!' {
                let mut comment = String::new();
                self.read_rest_of_line(&mut comment);
                continue;
            }

            let start_line = self.line;
            let mut buf = String::new();
            loop {
                let segment_start = buf.len();
                self.read_rest_of_line(&mut buf);
                let segment = &buf[segment_start..];
                let trailing_backslashes = segment.chars().rev().take_while(|&c| c == '\\').count();
                if trailing_backslashes % 2 == 0 {
                    break;
                }
                // Escaped line terminator: join with the next natural line.
                buf.pop();
                if !self.eat_terminator() {
                    break; // a backslash right before the end of the text
                }
                self.skip_blanks();
            }
            return Some((start_line, buf));
        }
    }
}

/// Splits a logical line into its still-escaped key and value parts.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if !escaped && (c == '=' || c == ':' || is_blank(c)) {
            key_end = i;
            value_start = i + c.len_utf8();
            has_separator = c != ' ' && c != '\t' && c != '\x0c';
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let rest = &line[value_start..];
    let mut skip = 0;
    for (i, c) in rest.char_indices() {
        if is_blank(c) {
            skip = i + c.len_utf8();
        } else if !has_separator && (c == '=' || c == ':') {
            has_separator = true;
            skip = i + 1;
        } else {
            break;
        }
    }
    (&line[..key_end], &rest[skip..])
}

/// Resolves backslash escapes.
fn unescape(raw: &str, line: usize) -> Result<String, ParseError> {
    let error = |message: String| ParseError { line, message };
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    // A high surrogate from a `\uXXXX` escape, waiting for its low half.
    let mut pending_high: Option<u16> = None;
    while let Some(c) = chars.next() {
        let unit = if c == '\\' {
            match chars.next() {
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                        return Err(error(format!(
                            "malformed \\uXXXX escape `\\u{hex}` (expected four hex digits)"
                        )));
                    }
                    Some(u16::from_str_radix(&hex, 16).expect("validated hex digits"))
                }
                Some('t') => Some(u16::from(b'\t')),
                Some('n') => Some(u16::from(b'\n')),
                Some('r') => Some(u16::from(b'\r')),
                Some('f') => Some(0x0c),
                Some(other) => {
                    if pending_high.is_some() {
                        return Err(error("unpaired UTF-16 surrogate in \\u escape".into()));
                    }
                    out.push(other);
                    None
                }
                // A lone trailing backslash stands for nothing.
                None => None,
            }
        } else {
            if pending_high.is_some() {
                return Err(error("unpaired UTF-16 surrogate in \\u escape".into()));
            }
            out.push(c);
            None
        };
        let Some(unit) = unit else { continue };
        let is_low = (0xDC00..=0xDFFF).contains(&unit);
        match pending_high.take() {
            Some(high) if is_low => {
                let pair = char::decode_utf16([high, unit]).next();
                out.push(pair.and_then(Result::ok).expect("valid surrogate pair"));
            }
            None if (0xD800..=0xDBFF).contains(&unit) => pending_high = Some(unit),
            None if !is_low => {
                out.push(char::from_u32(u32::from(unit)).expect("not a surrogate"));
            }
            _ => return Err(error("unpaired UTF-16 surrogate in \\u escape".into())),
        }
    }
    if pending_high.is_some() {
        return Err(error("unpaired UTF-16 surrogate in \\u escape".into()));
    }
    Ok(out)
}

/// Escapes `key` so that [`parse`] reads it back unchanged.
pub fn escape_key(key: &str) -> String {
    escape(key, true)
}

/// Escapes `value` so that [`parse`] reads it back unchanged.
pub fn escape_value(value: &str) -> String {
    escape(value, false)
}

fn escape(text: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '=' | ':' if is_key => {
                out.push('\\');
                out.push(c);
            }
            '#' | '!' if is_key && i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text)
            .expect("parses")
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    fn one(text: &str) -> (String, String) {
        let mut all = pairs(text);
        assert_eq!(all.len(), 1, "expected one entry in {text:?}: {all:?}");
        all.remove(0)
    }

    fn kv(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn separators() {
        assert_eq!(one("key=value"), kv("key", "value"));
        assert_eq!(one("key:value"), kv("key", "value"));
        assert_eq!(one("key value"), kv("key", "value"));
        assert_eq!(one("key\tvalue"), kv("key", "value"));
        assert_eq!(one("key\x0cvalue"), kv("key", "value"));
        assert_eq!(one("key = value"), kv("key", "value"));
        assert_eq!(one("key   :   value"), kv("key", "value"));
        assert_eq!(one("key \t= \tvalue"), kv("key", "value"));
    }

    #[test]
    fn only_one_separator_is_skipped() {
        assert_eq!(one("key==value"), kv("key", "=value"));
        assert_eq!(one("key = = value"), kv("key", "= value"));
        assert_eq!(one("key:=value"), kv("key", "=value"));
        assert_eq!(one("key=:value"), kv("key", ":value"));
        assert_eq!(one("key value=more"), kv("key", "value=more"));
        assert_eq!(
            one("url=http://host:8081/a=b"),
            kv("url", "http://host:8081/a=b")
        );
    }

    #[test]
    fn whitespace_handling() {
        assert_eq!(one("   key=value"), kv("key", "value"));
        assert_eq!(one("\t\x0c key=value"), kv("key", "value"));
        // Trailing whitespace belongs to the value, as in Java.
        assert_eq!(one("key=value  "), kv("key", "value  "));
        assert_eq!(
            one("key=  value with  spaces "),
            kv("key", "value with  spaces ")
        );
    }

    #[test]
    fn keys_without_values() {
        assert_eq!(one("key"), kv("key", ""));
        assert_eq!(one("key   "), kv("key", ""));
        assert_eq!(one("key="), kv("key", ""));
        assert_eq!(one("key :"), kv("key", ""));
        assert_eq!(one("=value"), kv("", "value"));
        assert_eq!(one(":"), kv("", ""));
    }

    #[test]
    fn comments_and_blank_lines() {
        let text = "# a comment\n! another\n   # indented comment\n\n   \n\t\nkey=value\n#last";
        assert_eq!(pairs(text), vec![kv("key", "value")]);
        // A comment marker after the start of a line is part of the value.
        assert_eq!(
            one("key=value # not a comment"),
            kv("key", "value # not a comment")
        );
        assert_eq!(one("key#x=1"), kv("key#x", "1"));
    }

    #[test]
    fn comment_lines_do_not_continue() {
        assert_eq!(pairs("# comment \\\nkey=value"), vec![kv("key", "value")]);
        assert_eq!(pairs("! comment \\\nkey=value"), vec![kv("key", "value")]);
    }

    #[test]
    fn continuation_lines() {
        assert_eq!(one("key=a,\\\n    b,\\\n\tc"), kv("key", "a,b,c"));
        // The continued line's own leading whitespace is dropped, but not the
        // whitespace before the backslash.
        assert_eq!(one("key=a \\\n  b"), kv("key", "a b"));
        // A continuation can split the key as well.
        assert_eq!(
            one("bootstrap.\\\n  servers=x"),
            kv("bootstrap.servers", "x")
        );
        // A continued line starting with `#` is not a comment.
        assert_eq!(one("key=a\\\n#b"), kv("key", "a#b"));
    }

    #[test]
    fn continuation_line_endings() {
        assert_eq!(one("key=a\\\r\n b"), kv("key", "ab"));
        assert_eq!(one("key=a\\\r b"), kv("key", "ab"));
        assert_eq!(
            pairs("a=1\r\nb=2\rc=3\n"),
            vec![kv("a", "1"), kv("b", "2"), kv("c", "3")]
        );
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        assert_eq!(
            pairs("key=a\\\\\nnext=b"),
            vec![kv("key", "a\\"), kv("next", "b")]
        );
        assert_eq!(one("key=a\\\\\\\nb"), kv("key", "a\\b"));
    }

    #[test]
    fn continuation_counts_backslashes_per_natural_line() {
        // Line 2 is a single backslash: it continues on its own, independent of
        // the backslashes that ended line 1.
        assert_eq!(one("key=a\\\\\\\n\\\nb"), kv("key", "a\\b"));
    }

    #[test]
    fn continuation_into_blank_line_ends_the_entry() {
        assert_eq!(
            pairs("key=a\\\n\nnext=b"),
            vec![kv("key", "a"), kv("next", "b")]
        );
        assert_eq!(
            pairs("key=a\\\n   \nnext=b"),
            vec![kv("key", "a"), kv("next", "b")]
        );
    }

    #[test]
    fn continuation_at_end_of_text() {
        assert_eq!(one("key=a\\"), kv("key", "a"));
        assert_eq!(one("key=a\\\n"), kv("key", "a"));
        assert_eq!(one("key=a\\\n   "), kv("key", "a"));
    }

    #[test]
    fn escapes() {
        assert_eq!(one(r"key=a\tb\nc\rd\fe"), kv("key", "a\tb\nc\rd\x0ce"));
        assert_eq!(one(r"key=\\"), kv("key", "\\"));
        assert_eq!(one(r"key=C:\\dir\\file"), kv("key", "C:\\dir\\file"));
        // Unknown escapes stand for the character itself.
        assert_eq!(one(r"key=\q\#\!\="), kv("key", "q#!="));
        // An escaped leading space is kept in the value.
        assert_eq!(one(r"key=\  x"), kv("key", "  x"));
    }

    #[test]
    fn escaped_separators_in_keys() {
        assert_eq!(one(r"a\=b=c"), kv("a=b", "c"));
        assert_eq!(one(r"a\:b:c"), kv("a:b", "c"));
        assert_eq!(one(r"a\ b c"), kv("a b", "c"));
        assert_eq!(one(r"a\\=b"), kv("a\\", "b"));
        assert_eq!(one(r"\#key=v"), kv("#key", "v"));
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(one(r"key=caf\u00e9"), kv("key", "café"));
        assert_eq!(one(r"key=\u00E9\u0041"), kv("key", "éA"));
        assert_eq!(one(r"k\u0065y=v"), kv("key", "v"));
        assert_eq!(one(r"key=\uD83D\uDE00"), kv("key", "\u{1F600}"));
        assert_eq!(one("key=\u{1F600} raw"), kv("key", "\u{1F600} raw"));
    }

    #[test]
    fn malformed_unicode_escapes() {
        for (text, line) in [
            ("key=\\u12", 1),
            ("key=\\u12x4", 1),
            ("a=1\nkey=\\uzzzz", 2),
            ("a=1\n\n# c\nkey=\\u", 4),
            ("\\u00g1=v", 1),
        ] {
            let err = parse(text).expect_err(text);
            assert_eq!(err.line, line, "{text:?}");
            assert!(err.message.contains("\\uXXXX"), "{err}");
        }
    }

    #[test]
    fn unpaired_surrogates() {
        for text in [
            r"key=\uD83D",
            r"key=\uD83Dx",
            r"key=\uDE00",
            r"key=\uD83D\u0041",
            r"key=\uD83D\n",
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.message.contains("surrogate"), "{text}: {err}");
        }
    }

    #[test]
    fn line_numbers() {
        let text = "# header\n\na=1\nb=x,\\\n  y\n\nc=3\r\nd=4";
        let entries = parse(text).unwrap();
        let lines: Vec<(String, usize)> = entries.into_iter().map(|e| (e.key, e.line)).collect();
        assert_eq!(
            lines,
            vec![
                ("a".into(), 3),
                ("b".into(), 4),
                ("c".into(), 7),
                ("d".into(), 8)
            ]
        );
    }

    #[test]
    fn duplicates_are_all_returned() {
        assert_eq!(pairs("a=1\na=2"), vec![kv("a", "1"), kv("a", "2")]);
    }

    #[test]
    fn empty_input() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("\n\n  \n# only comments\n").unwrap().is_empty());
    }

    #[test]
    fn realistic_file() {
        let text = "\
# Confluent REST Proxy
id=kafka-rest-1
bootstrap.servers=PLAINTEXT://broker-1:9092,\\
                  PLAINTEXT://broker-2:9092
listeners: http://0.0.0.0:8082
client.security.protocol SASL_SSL
client.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\
    username=\"user\" password=\"p@ss=word\";
";
        assert_eq!(
            pairs(text),
            vec![
                kv("id", "kafka-rest-1"),
                kv(
                    "bootstrap.servers",
                    "PLAINTEXT://broker-1:9092,PLAINTEXT://broker-2:9092"
                ),
                kv("listeners", "http://0.0.0.0:8082"),
                kv("client.security.protocol", "SASL_SSL"),
                kv(
                    "client.sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required \
                     username=\"user\" password=\"p@ss=word\";"
                ),
            ]
        );
    }

    #[test]
    fn decode_utf8_latin1_and_bom() {
        assert_eq!(decode("key=café".as_bytes()), "key=café");
        assert_eq!(decode(b"\xEF\xBB\xBFkey=v"), "key=v");
        // Not UTF-8: read as ISO-8859-1, like Java.
        assert_eq!(decode(b"key=caf\xe9"), "key=café");
    }

    #[test]
    fn escape_round_trips() {
        let samples = [
            "",
            "plain",
            " leading space",
            "trailing space ",
            "a=b:c d",
            "#hash",
            "!bang",
            "back\\slash",
            "tab\tnewline\ncr\rff\x0c",
            "control\u{1}\u{7f}",
            "unicode café \u{1F600}",
            "ends with backslash\\",
        ];
        for key in samples.iter().filter(|k| !k.is_empty()) {
            for value in samples {
                let line = format!("{}={}", escape_key(key), escape_value(value));
                assert_eq!(one(&line), kv(key, value), "line {line:?}");
            }
        }
    }
}
