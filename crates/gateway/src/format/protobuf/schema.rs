//! Compiling the text of a `.proto` file into descriptors with `protox`.
//!
//! A schema may also be given as a base64-encoded `FileDescriptorProto`,
//! the form some serializers register (confluent-kafka's Python client
//! among them) and Confluent's Schema Registry accepts.

use std::collections::HashMap;
use std::fmt;

use prost_reflect::{FileDescriptor, MessageDescriptor};
use protox::file::{File, FileResolver, GoogleFileResolver};

use crate::format::schema::Reference;

/// The name the schema's own file gets in the descriptor pool and in
/// error messages.
const SCHEMA_FILE: &str = "schema.proto";

/// A parsed .proto schema (one file, as a Schema Registry stores it).
///
/// Cloning is cheap (the descriptors are shared).
#[derive(Clone)]
pub struct Schema {
    file: FileDescriptor,
    message: MessageDescriptor,
}

impl Schema {
    /// Parses the text of a .proto file (proto3 or proto2). Imports of
    /// Google's well-known types (`google/protobuf/timestamp.proto`,
    /// `duration`, `wrappers`, `struct`, `any`, `empty`, `field_mask`, and
    /// the other files under `google/protobuf/` such as `descriptor.proto`)
    /// work; any other import is an error (see
    /// [`parse_with_references`](Schema::parse_with_references) for
    /// schemas registered with references). A file that defines no message
    /// is an error too.
    ///
    /// Errors locate the problem as `schema.proto:LINE:COLUMN: ...`.
    pub fn parse(text: &str) -> Result<Schema, String> {
        Schema::parse_with_references(text, &[])
    }

    /// Parses a .proto file that may import the files of `references`
    /// (Schema Registry references: the name is the import path, the text
    /// is the file, as .proto text or a base64 file descriptor).
    pub fn parse_with_references(text: &str, references: &[Reference]) -> Result<Schema, String> {
        // The schema's own file is `schema.proto` unless a reference has
        // that name (nothing imports the schema's own file).
        let mut own = SCHEMA_FILE.to_owned();
        while references.iter().any(|r| r.name == own) {
            own.insert(0, '_');
        }
        let resolver = Resolver {
            own: own.clone(),
            source: Source::of(&own, text),
            references: references
                .iter()
                .map(|r| (r.name.clone(), Source::of(&r.name, &r.text)))
                .collect(),
            google: GoogleFileResolver::new(),
        };
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler
            .open_file(&own)
            .map_err(|e| format!("invalid Protobuf schema: {e:?}"))?;
        let pool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(&own)
            .ok_or_else(|| "invalid Protobuf schema: the file did not compile".to_owned())?;
        let message = file.messages().next().ok_or_else(|| {
            "invalid Protobuf schema: the schema defines no message type".to_owned()
        })?;
        Ok(Schema { file, message })
    }

    /// Full name of the message [`encode`](super::encode) writes: the first
    /// message defined in the file (e.g. `com.example.User`).
    pub fn message_name(&self) -> &str {
        self.message.full_name()
    }

    /// The compiled file.
    pub(crate) fn file(&self) -> &FileDescriptor {
        &self.file
    }

    /// The first message of the file.
    pub(crate) fn message(&self) -> &MessageDescriptor {
        &self.message
    }
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("message", &self.message.full_name())
            .field("messages", &self.file.messages().len())
            .finish()
    }
}

/// The schema as given: .proto text, or a compiled file descriptor.
enum Source {
    Text(String),
    Descriptor(Box<prost_types::FileDescriptorProto>),
}

impl Source {
    /// The file `name` as given in `text`.
    fn of(name: &str, text: &str) -> Source {
        match descriptor_in_base64(name, text) {
            Some(file) => Source::Descriptor(Box::new(file)),
            None => Source::Text(text.to_owned()),
        }
    }

    fn open(&self, name: &str) -> Result<File, protox::Error> {
        match self {
            Source::Text(text) => File::from_source(name, text),
            Source::Descriptor(file) => Ok(File::from_file_descriptor_proto((**file).clone())),
        }
    }
}

/// The file descriptor of `text`, named `name`, if it is a base64-encoded
/// `FileDescriptorProto` (.proto text never is: it has spaces and `;`).
fn descriptor_in_base64(name: &str, text: &str) -> Option<prost_types::FileDescriptorProto> {
    use base64::Engine as _;
    use prost::Message as _;
    let text = text.trim();
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let mut file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()?;
    file.name = Some(name.to_owned());
    Some(file)
}

/// Serves the schema's own file, its references and the Google files;
/// refuses anything else.
struct Resolver {
    /// The name of the schema's own file.
    own: String,
    source: Source,
    /// Import path → file.
    references: HashMap<String, Source>,
    google: GoogleFileResolver,
}

impl FileResolver for Resolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == self.own {
            return self.source.open(name);
        }
        if let Some(file) = self.references.get(name) {
            return file.open(name);
        }
        if name.starts_with("google/protobuf/") && name != "google/protobuf/compiler/plugin.proto" {
            if let Ok(file) = self.google.open_file(name) {
                return Ok(file);
            }
        }
        Err(protox::Error::new(UnsupportedImport(name.to_owned())))
    }
}

/// An import of a file other than Google's well-known types.
struct UnsupportedImport(String);

impl fmt::Display for UnsupportedImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot import \"{}\": it is not one of the schema's references, nor one of \
             Google's well-known types (google/protobuf/*.proto)",
            self.0
        )
    }
}

impl fmt::Debug for UnsupportedImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for UnsupportedImport {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_is_the_encoded_one() {
        let schema = Schema::parse(
            "syntax = \"proto3\";\npackage a.b;\nmessage First { message Inner {} }\nmessage Second {}\n",
        )
        .unwrap();
        assert_eq!(schema.message_name(), "a.b.First");
        let schema = Schema::parse("syntax = \"proto3\"; enum E { Z = 0; } message M {}").unwrap();
        assert_eq!(schema.message_name(), "M");
        assert!(format!("{schema:?}").contains("\"M\""));
    }

    #[test]
    fn base64_file_descriptors_are_read() {
        use base64::Engine as _;
        use prost::Message as _;
        let text =
            "syntax = \"proto3\";\npackage p;\nimport \"google/protobuf/timestamp.proto\";\n\
                    message Event { string name = 1; google.protobuf.Timestamp at = 2; }\n";
        let from_text = Schema::parse(text).unwrap();
        let proto = from_text.file().file_descriptor_proto().encode_to_vec();
        let encoded = base64::engine::general_purpose::STANDARD.encode(proto);
        let from_descriptor = Schema::parse(&encoded).unwrap();
        assert_eq!(from_descriptor.message_name(), "p.Event");
        let value = serde_json::json!({"name": "x", "at": "2024-01-02T03:04:05Z"});
        let (mut a, mut b) = (Vec::new(), Vec::new());
        super::super::encode(&from_text, &value, &mut a).unwrap();
        super::super::encode(&from_descriptor, &value, &mut b).unwrap();
        assert_eq!(a, b);
        // Base64 that is not a descriptor is read as (bad) .proto text.
        assert!(Schema::parse("AAAA").is_err());
    }

    #[test]
    fn proto2_without_syntax_line() {
        let schema = Schema::parse("message Old { required int32 a = 1; }").unwrap();
        assert_eq!(schema.message_name(), "Old");
    }

    #[test]
    fn syntax_errors_are_located() {
        let err =
            Schema::parse("syntax = \"proto3\";\nmessage M {\n  int32 a = ;\n}\n").unwrap_err();
        assert!(
            err.starts_with("invalid Protobuf schema: schema.proto:3:"),
            "{err}"
        );
        let err =
            Schema::parse("syntax = \"proto3\";\nmessage M { Unknown a = 1; }\n").unwrap_err();
        assert!(err.contains("schema.proto:2:"), "{err}");
        assert!(err.contains("Unknown"), "{err}");
        let err = Schema::parse("syntax = \"proto3\";\nmessage M { int32 a = 1; int32 b = 1; }")
            .unwrap_err();
        assert!(err.contains("schema.proto:2:"), "{err}");
    }

    #[test]
    fn other_imports_are_refused() {
        let err = Schema::parse(
            "syntax = \"proto3\";\nimport \"other/user.proto\";\nmessage M { int32 a = 1; }\n",
        )
        .unwrap_err();
        assert!(err.contains("not one of the schema's references"), "{err}");
        assert!(err.contains("other/user.proto"), "{err}");
        let err = Schema::parse(
            "syntax = \"proto3\";\nimport \"google/protobuf/nope.proto\";\nmessage M {}\n",
        )
        .unwrap_err();
        assert!(err.contains("not one of the schema's references"), "{err}");
        let err = Schema::parse("syntax = \"proto3\";\nimport \"schema.proto\";\nmessage M {}\n")
            .unwrap_err();
        assert!(err.starts_with("invalid Protobuf schema"), "{err}");
    }

    #[test]
    fn well_known_imports_work() {
        let schema = Schema::parse(
            r#"syntax = "proto3";
            import "google/protobuf/timestamp.proto";
            import "google/protobuf/duration.proto";
            import "google/protobuf/wrappers.proto";
            import "google/protobuf/struct.proto";
            import "google/protobuf/any.proto";
            import "google/protobuf/empty.proto";
            import "google/protobuf/field_mask.proto";
            import "google/protobuf/descriptor.proto";
            message M {
              google.protobuf.Timestamp a = 1;
              google.protobuf.Duration b = 2;
              google.protobuf.StringValue c = 3;
              google.protobuf.Struct d = 4;
              google.protobuf.Any e = 5;
              google.protobuf.Empty f = 6;
              google.protobuf.FieldMask g = 7;
            }"#,
        )
        .unwrap();
        assert_eq!(schema.message_name(), "M");
    }

    #[test]
    fn a_file_without_messages_is_refused() {
        let err = Schema::parse("syntax = \"proto3\"; enum E { Z = 0; }").unwrap_err();
        assert!(err.contains("defines no message"), "{err}");
        assert!(Schema::parse("").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 500,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn parsing_anything_never_panics(text in "[ -~\n]{0,80}") {
            let _ = Schema::parse(&text);
        }

        #[test]
        fn parsing_mutated_schemas_never_panics(
            cut in 0..MUTATED.len(),
            insert in "[ -~\n]{0,6}",
        ) {
            let mut text = MUTATED.as_bytes()[..cut].to_vec();
            text.extend(insert.as_bytes());
            text.extend(&MUTATED.as_bytes()[cut..]);
            let _ = Schema::parse(&String::from_utf8_lossy(&text));
        }
    }

    /// A schema using most of the grammar, for the mutation test.
    const MUTATED: &str = r#"syntax = "proto2";
package p.q;
import "google/protobuf/timestamp.proto";
option java_package = "x";
enum E { A = 1; B = 2 [deprecated = true]; reserved 5 to 9; }
message M {
  optional int32 a = 1 [default = 3];
  repeated string b = 2;
  map<string, M> c = 3;
  oneof o { E e = 4; bytes f = 5; }
  optional group G = 6 { optional google.protobuf.Timestamp t = 7; }
  extensions 100 to 200;
  reserved 50, 51;
  message N { required double d = 1; }
}
extend M { optional int32 x = 100; }
service S { rpc Call(M) returns (M); }
"#;

    #[test]
    fn schema_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone + fmt::Debug>() {}
        check::<Schema>();
    }
}
