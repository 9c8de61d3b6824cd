//! An error found while walking a JSON value or a datum, with the path to
//! where it was found (`.items[2].name`, `["a b"]`), collected while the
//! error travels back up. Shared by the schema formats' codecs.

use std::fmt::Write as _;

use serde_json::Value;

/// An error with the path to its place, innermost segment first.
#[derive(Debug)]
pub(crate) struct Fault {
    message: String,
    reversed_path: Vec<Segment>,
}

/// One step of a path.
#[derive(Debug)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Fault {
    /// A fault at the current place.
    pub(crate) fn new(message: impl Into<String>) -> Fault {
        Fault {
            message: message.into(),
            reversed_path: Vec::new(),
        }
    }

    /// The fault, as seen from the object holding it under `key`.
    pub(crate) fn in_key(mut self, key: &str) -> Fault {
        self.reversed_path.push(Segment::Key(key.to_owned()));
        self
    }

    /// The fault, as seen from the array holding it at `index`.
    pub(crate) fn in_index(mut self, index: usize) -> Fault {
        self.reversed_path.push(Segment::Index(index));
        self
    }

    /// The path from the top: `.name` for identifier keys, `["a b"]` for
    /// others, `[3]` for indexes; empty at the top.
    pub(crate) fn path(&self) -> String {
        let mut path = String::new();
        for segment in self.reversed_path.iter().rev() {
            match segment {
                Segment::Index(index) => {
                    let _ = write!(path, "[{index}]");
                }
                Segment::Key(key) if is_identifier(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Segment::Key(key) => {
                    path.push('[');
                    path.push_str(&Value::from(key.as_str()).to_string());
                    path.push(']');
                }
            }
        }
        path
    }

    /// The message, without the path.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The message, taken out.
    pub(crate) fn into_message(self) -> String {
        self.message
    }

    /// `path: message` (the path without its leading dot), or the message
    /// alone at the top.
    pub(crate) fn render(&self) -> String {
        let path = self.path();
        match path.strip_prefix('.').unwrap_or(&path) {
            "" => self.message.clone(),
            path => format!("{path}: {}", self.message),
        }
    }
}

/// Whether `key` reads well after a dot in a path (`[A-Za-z_][A-Za-z0-9_]*`).
pub(crate) fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let f = Fault::new("bad").in_index(2).in_key("a b").in_key("items");
        assert_eq!(f.path(), r#".items["a b"][2]"#);
        assert_eq!(f.render(), r#"items["a b"][2]: bad"#);
        assert_eq!(Fault::new("top").render(), "top");
        assert_eq!(Fault::new("m").in_index(0).render(), "[0]: m");
        assert!(!is_identifier("1a") && is_identifier("_a1"));
    }
}
