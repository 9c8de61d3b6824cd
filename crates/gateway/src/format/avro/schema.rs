//! Parsing Avro schemas from their JSON text.
//!
//! Named types (records, enums, fixed) live in one table and are referred
//! to by index, so recursive types are plain cycles of indexes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::format::schema::Reference;

use super::encode::Encoder;
use super::{describe, is_identifier, AvroError, MAX_SCHEMA_DEPTH};

/// A parsed Avro schema; cloning it is cheap (the parsed form is shared).
#[derive(Debug, Clone)]
pub struct Schema {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: Type,
    named: Vec<Named>,
}

/// A type of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Type {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<Type>),
    Map(Box<Type>),
    Union(Vec<Type>),
    /// A record, enum or fixed: an index into the table of named types.
    Named(usize),
}

/// A named type.
#[derive(Debug)]
pub(super) struct Named {
    /// The full name (`namespace.name`, or just `name` in the null namespace).
    pub(super) name: String,
    pub(super) kind: NamedKind,
    /// Whether every value of the type encodes in zero bytes.
    pub(super) empty: bool,
}

/// What a named type is.
#[derive(Debug)]
pub(super) enum NamedKind {
    Record(Vec<Field>),
    Enum {
        symbols: Vec<String>,
        index: HashMap<String, usize>,
    },
    Fixed(usize),
}

/// A field of a record.
#[derive(Debug)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) ty: Type,
    /// The default, in JSON (a union default is for the first branch).
    pub(super) default: Option<Value>,
    /// The default, encoded, or why it does not fit the field's type.
    pub(super) encoded_default: Option<Result<Vec<u8>, String>>,
}

impl Schema {
    /// Parses an Avro schema from its JSON text (the `schema` string of
    /// Schema Registry and of REST requests).
    pub fn parse(text: &str) -> Result<Schema, AvroError> {
        Schema::parse_with_references(text, &[])
    }

    /// Parses an Avro schema that may use the named types the schemas of
    /// `references` define (Schema Registry references, each before the
    /// ones that use it); their types become part of this schema.
    pub fn parse_with_references(
        text: &str,
        references: &[Reference],
    ) -> Result<Schema, AvroError> {
        let mut parser = Parser::default();
        for reference in references {
            let json: Value = serde_json::from_str(&reference.text).map_err(|err| {
                AvroError::Schema(format!(
                    "the referenced schema \"{}\" is not valid JSON: {err}",
                    reference.name
                ))
            })?;
            parser.parse_type(&json, "", 0).map_err(|problem| {
                AvroError::Schema(format!(
                    "the referenced schema \"{}\": {}",
                    reference.name,
                    problem.into_message()
                ))
            })?;
        }
        let json: Value = serde_json::from_str(text)
            .map_err(|err| AvroError::Schema(format!("the schema is not valid JSON: {err}")))?;
        let root = parser
            .parse_type(&json, "", 0)
            .map_err(Problem::into_error)?;
        let mut named = parser.named;
        encode_defaults(&mut named);
        Ok(Schema {
            inner: Arc::new(Inner { root, named }),
        })
    }

    pub(super) fn root(&self) -> &Type {
        &self.inner.root
    }

    pub(super) fn named(&self) -> &[Named] {
        &self.inner.named
    }
}

impl Type {
    /// The name of the type as a union branch: the full name of a named
    /// type, else the type name.
    pub(super) fn branch_name<'a>(&self, named: &'a [Named]) -> &'a str {
        match self {
            Type::Null => "null",
            Type::Boolean => "boolean",
            Type::Int => "int",
            Type::Long => "long",
            Type::Float => "float",
            Type::Double => "double",
            Type::Bytes => "bytes",
            Type::String => "string",
            Type::Array(_) => "array",
            Type::Map(_) => "map",
            Type::Union(_) => "union",
            Type::Named(index) => &named[*index].name,
        }
    }

    /// Whether every value of the type encodes in zero bytes.
    pub(super) fn is_empty(&self, named: &[Named]) -> bool {
        match self {
            Type::Null => true,
            Type::Named(index) => named[*index].empty,
            _ => false,
        }
    }
}

/// The primitive type called `name`.
fn primitive(name: &str) -> Option<Type> {
    Some(match name {
        "null" => Type::Null,
        "boolean" => Type::Boolean,
        "int" => Type::Int,
        "long" => Type::Long,
        "float" => Type::Float,
        "double" => Type::Double,
        "bytes" => Type::Bytes,
        "string" => Type::String,
        _ => return None,
    })
}

/// A schema error, with the innermost record field it is in.
#[derive(Debug)]
struct Problem {
    message: String,
    field: Option<(String, String)>,
}

type Parsed<T> = Result<T, Problem>;

impl Problem {
    fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            field: None,
        }
    }

    fn in_field(mut self, record: &str, field: &str) -> Problem {
        if self.field.is_none() {
            self.field = Some((record.to_owned(), field.to_owned()));
        }
        self
    }

    fn into_error(self) -> AvroError {
        AvroError::Schema(self.into_message())
    }

    fn into_message(self) -> String {
        match self.field {
            Some((record, field)) => {
                format!("field \"{field}\" of record \"{record}\": {}", self.message)
            }
            None => self.message,
        }
    }
}

#[derive(Debug, Default)]
struct Parser {
    named: Vec<Named>,
    by_name: HashMap<String, usize>,
}

impl Parser {
    /// Parses a type that appears in namespace `space`.
    fn parse_type(&mut self, json: &Value, space: &str, depth: usize) -> Parsed<Type> {
        if depth >= MAX_SCHEMA_DEPTH {
            return Err(Problem::new(format!(
                "types nest more than {MAX_SCHEMA_DEPTH} deep"
            )));
        }
        match json {
            Value::String(name) => self.resolve(name, space),
            Value::Array(branches) => self.parse_union(branches, space, depth),
            Value::Object(object) => self.parse_object(object, space, depth),
            other => Err(Problem::new(format!(
                "a type must be a type name, an object or an array (a union), found {}",
                describe(other)
            ))),
        }
    }

    /// The type a name refers to: a primitive, or a named type defined so
    /// far, by full name or by name relative to namespace `space`.
    fn resolve(&self, name: &str, space: &str) -> Parsed<Type> {
        if let Some(ty) = primitive(name) {
            return Ok(ty);
        }
        if !name.contains('.') && !space.is_empty() {
            if let Some(&index) = self.by_name.get(&format!("{space}.{name}")) {
                return Ok(Type::Named(index));
            }
        }
        if let Some(&index) = self.by_name.get(name) {
            return Ok(Type::Named(index));
        }
        let hint = match name {
            "record" | "error" | "enum" | "fixed" | "array" | "map" => {
                format!(" (a {name} is written as an object, e.g. {{\"type\": \"{name}\", ...}})")
            }
            _ => String::new(),
        };
        Err(Problem::new(format!("unknown type \"{name}\"{hint}")))
    }

    fn parse_union(&mut self, branches: &[Value], space: &str, depth: usize) -> Parsed<Type> {
        let mut types = Vec::with_capacity(branches.len());
        let mut seen = HashSet::with_capacity(branches.len());
        for branch in branches {
            let ty = self.parse_type(branch, space, depth + 1)?;
            if matches!(ty, Type::Union(_)) {
                return Err(Problem::new(
                    "a union may not directly contain another union",
                ));
            }
            let name = ty.branch_name(&self.named);
            if !seen.insert(name.to_owned()) {
                return Err(Problem::new(format!(
                    "a union has more than one branch of type \"{name}\""
                )));
            }
            types.push(ty);
        }
        Ok(Type::Union(types))
    }

    fn parse_object(
        &mut self,
        object: &Map<String, Value>,
        space: &str,
        depth: usize,
    ) -> Parsed<Type> {
        let kind = match object.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(other) => {
                return Err(Problem::new(format!(
                    "the \"type\" of a type object must be a string, found {}",
                    describe(other)
                )))
            }
            None => return Err(Problem::new("a type object has no \"type\"")),
        };
        match kind {
            "record" | "error" => self.parse_record(object, space, depth),
            "enum" => self.parse_enum(object, space),
            "fixed" => self.parse_fixed(object, space),
            "array" => {
                let items = object
                    .get("items")
                    .ok_or_else(|| Problem::new("an array type has no \"items\""))?;
                Ok(Type::Array(Box::new(self.parse_type(
                    items,
                    space,
                    depth + 1,
                )?)))
            }
            "map" => {
                let values = object
                    .get("values")
                    .ok_or_else(|| Problem::new("a map type has no \"values\""))?;
                Ok(Type::Map(Box::new(self.parse_type(
                    values,
                    space,
                    depth + 1,
                )?)))
            }
            name => self.resolve(name, space),
        }
    }

    /// The full name and namespace of a named type being defined in
    /// namespace `space`.
    fn define_name(&self, object: &Map<String, Value>, space: &str) -> Parsed<(String, String)> {
        let name = match object.get("name") {
            Some(Value::String(name)) => name.as_str(),
            Some(other) => {
                return Err(Problem::new(format!(
                    "the name of a named type must be a string, found {}",
                    describe(other)
                )))
            }
            None => return Err(Problem::new("a record, enum or fixed type has no \"name\"")),
        };
        let (namespace, short) = match name.rsplit_once('.') {
            Some((namespace, short)) => (namespace.to_owned(), short),
            None => match object.get("namespace") {
                Some(Value::String(namespace)) => (namespace.clone(), name),
                None | Some(Value::Null) => (space.to_owned(), name),
                Some(other) => {
                    return Err(Problem::new(format!(
                        "the namespace of \"{name}\" must be a string, found {}",
                        describe(other)
                    )))
                }
            },
        };
        if !is_identifier(short) || !valid_namespace(&namespace) {
            return Err(Problem::new(format!(
                "invalid name \"{name}\"{}: names are made of letters, digits and _ and do not \
                 start with a digit; namespaces are such names joined by dots",
                if name.contains('.') || namespace.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace \"{namespace}\"")
                }
            )));
        }
        if primitive(short).is_some() {
            return Err(Problem::new(format!(
                "a named type may not be called \"{short}\", the name of a primitive type"
            )));
        }
        let full = if namespace.is_empty() {
            short.to_owned()
        } else {
            format!("{namespace}.{short}")
        };
        if self.by_name.contains_key(&full) {
            return Err(Problem::new(format!(
                "the name \"{full}\" is defined twice"
            )));
        }
        Ok((full, namespace))
    }

    fn add(&mut self, name: String, kind: NamedKind, empty: bool) -> usize {
        let index = self.named.len();
        self.by_name.insert(name.clone(), index);
        self.named.push(Named { name, kind, empty });
        index
    }

    fn parse_record(
        &mut self,
        object: &Map<String, Value>,
        space: &str,
        depth: usize,
    ) -> Parsed<Type> {
        let (name, namespace) = self.define_name(object, space)?;
        let Some(Value::Array(fields_json)) = object.get("fields") else {
            return Err(Problem::new(format!(
                "record \"{name}\" needs \"fields\", an array"
            )));
        };
        // Registered before its fields, which may refer to it.
        let index = self.add(name.clone(), NamedKind::Record(Vec::new()), false);
        let mut fields: Vec<Field> = Vec::with_capacity(fields_json.len());
        let mut field_names = HashSet::with_capacity(fields_json.len());
        for field in fields_json {
            let Value::Object(field) = field else {
                return Err(Problem::new(format!(
                    "a field of record \"{name}\" must be an object, found {}",
                    describe(field)
                )));
            };
            let field_name = match field.get("name") {
                Some(Value::String(field_name)) if is_identifier(field_name) => field_name,
                Some(Value::String(field_name)) => {
                    return Err(Problem::new(format!(
                        "invalid field name \"{field_name}\" in record \"{name}\": names are \
                         made of letters, digits and _ and do not start with a digit"
                    )))
                }
                _ => {
                    return Err(Problem::new(format!(
                        "a field of record \"{name}\" has no \"name\" string"
                    )))
                }
            };
            if !field_names.insert(field_name.as_str()) {
                return Err(Problem::new(format!(
                    "record \"{name}\" has two fields named \"{field_name}\""
                )));
            }
            let ty = field
                .get("type")
                .ok_or_else(|| Problem::new("the field has no \"type\""))
                .and_then(|ty| self.parse_type(ty, &namespace, depth + 1))
                .map_err(|problem| problem.in_field(&name, field_name))?;
            fields.push(Field {
                name: field_name.clone(),
                ty,
                default: field.get("default").cloned(),
                encoded_default: None,
            });
        }
        // A type referring back to this record counts as not empty: its
        // values could not be finite otherwise.
        let empty = fields.iter().all(|field| field.ty.is_empty(&self.named));
        let record = &mut self.named[index];
        record.kind = NamedKind::Record(fields);
        record.empty = empty;
        Ok(Type::Named(index))
    }

    fn parse_enum(&mut self, object: &Map<String, Value>, space: &str) -> Parsed<Type> {
        let (name, _) = self.define_name(object, space)?;
        let Some(Value::Array(symbols_json)) = object.get("symbols") else {
            return Err(Problem::new(format!(
                "enum \"{name}\" needs \"symbols\", an array of strings"
            )));
        };
        let mut symbols = Vec::with_capacity(symbols_json.len());
        let mut index = HashMap::with_capacity(symbols_json.len());
        for symbol in symbols_json {
            let symbol = match symbol {
                Value::String(symbol) if is_identifier(symbol) => symbol,
                other => {
                    return Err(Problem::new(format!(
                        "invalid symbol {} in enum \"{name}\": symbols are made of letters, \
                         digits and _ and do not start with a digit",
                        describe(other)
                    )))
                }
            };
            if index.insert(symbol.clone(), symbols.len()).is_some() {
                return Err(Problem::new(format!(
                    "enum \"{name}\" has the symbol \"{symbol}\" twice"
                )));
            }
            symbols.push(symbol.clone());
        }
        match object.get("default") {
            None => {}
            Some(Value::String(default)) if index.contains_key(default) => {}
            Some(other) => {
                return Err(Problem::new(format!(
                    "the default {} of enum \"{name}\" is not one of its symbols",
                    describe(other)
                )))
            }
        }
        let index = self.add(name, NamedKind::Enum { symbols, index }, false);
        Ok(Type::Named(index))
    }

    fn parse_fixed(&mut self, object: &Map<String, Value>, space: &str) -> Parsed<Type> {
        let (name, _) = self.define_name(object, space)?;
        let size = object
            .get("size")
            .and_then(Value::as_u64)
            .filter(|&size| size <= i32::MAX as u64)
            .ok_or_else(|| {
                Problem::new(format!(
                    "fixed \"{name}\" needs a \"size\", an integer from 0 to {}",
                    i32::MAX
                ))
            })?;
        let size = usize::try_from(size).map_err(|_| Problem::new("fixed size too large"))?;
        let index = self.add(name, NamedKind::Fixed(size), size == 0);
        Ok(Type::Named(index))
    }
}

/// Whether `namespace` is empty or names joined by dots.
fn valid_namespace(namespace: &str) -> bool {
    namespace.is_empty() || namespace.split('.').all(is_identifier)
}

/// Encodes the default of every record field that has one. A default that
/// does not fit its field's type is kept as a problem, reported only when
/// a value leaves the field out (schemas in registries may hold such
/// defaults, and decoding never needs them).
fn encode_defaults(named: &mut [Named]) {
    let mut encoded = Vec::new();
    for (record_index, record) in named.iter().enumerate() {
        let NamedKind::Record(fields) = &record.kind else {
            continue;
        };
        for (field_index, field) in fields.iter().enumerate() {
            let Some(default) = &field.default else {
                continue;
            };
            let mut bytes = Vec::new();
            let result = Encoder::new(named, true)
                .value(&field.ty, default, &mut bytes, 0)
                .map(|()| bytes)
                .map_err(|fault| {
                    let path = fault.path();
                    let place = if path.is_empty() {
                        String::new()
                    } else {
                        format!(" at {path}")
                    };
                    format!(
                        "its default {}{place} is invalid: {}",
                        describe(default),
                        fault.message()
                    )
                });
            encoded.push((record_index, field_index, result));
        }
    }
    for (record_index, field_index, result) in encoded {
        if let NamedKind::Record(fields) = &mut named[record_index].kind {
            fields[field_index].encoded_default = Some(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Schema {
        Schema::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    fn error(text: &str) -> String {
        match Schema::parse(text) {
            Ok(schema) => panic!("{text} parsed: {schema:?}"),
            Err(err) => {
                assert!(matches!(err, AvroError::Schema(_)), "{err:?}");
                err.to_string()
            }
        }
    }

    fn names(schema: &Schema) -> Vec<&str> {
        schema
            .named()
            .iter()
            .map(|named| named.name.as_str())
            .collect()
    }

    #[test]
    fn schema_is_shareable() {
        fn check<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
        check::<Schema>();
    }

    #[test]
    fn primitives_as_names_and_objects() {
        for (name, ty) in [
            ("null", Type::Null),
            ("boolean", Type::Boolean),
            ("int", Type::Int),
            ("long", Type::Long),
            ("float", Type::Float),
            ("double", Type::Double),
            ("bytes", Type::Bytes),
            ("string", Type::String),
        ] {
            assert_eq!(*parse(&format!("\"{name}\"")).root(), ty);
            let object = format!(r#"{{"type": "{name}", "doc": "ignored", "x-custom": [1]}}"#);
            assert_eq!(*parse(&object).root(), ty);
        }
    }

    #[test]
    fn logical_types_are_their_underlying_type() {
        for (text, ty) in [
            (
                r#"{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}"#,
                Type::Bytes,
            ),
            (r#"{"type":"string","logicalType":"uuid"}"#, Type::String),
            (r#"{"type":"int","logicalType":"date"}"#, Type::Int),
            (r#"{"type":"int","logicalType":"time-millis"}"#, Type::Int),
            (r#"{"type":"long","logicalType":"time-micros"}"#, Type::Long),
            (
                r#"{"type":"long","logicalType":"timestamp-millis"}"#,
                Type::Long,
            ),
            (
                r#"{"type":"long","logicalType":"timestamp-micros"}"#,
                Type::Long,
            ),
            (
                r#"{"type":"long","logicalType":"local-timestamp-millis"}"#,
                Type::Long,
            ),
            (
                r#"{"type":"long","logicalType":"local-timestamp-micros"}"#,
                Type::Long,
            ),
            (
                r#"{"type":"long","logicalType":"no-such-logical-type"}"#,
                Type::Long,
            ),
        ] {
            assert_eq!(*parse(text).root(), ty, "{text}");
        }
        let schema = parse(r#"{"type":"fixed","name":"D","size":12,"logicalType":"duration"}"#);
        assert!(matches!(schema.named()[0].kind, NamedKind::Fixed(12)));
    }

    #[test]
    fn complex_types() {
        let schema = parse(r#"{"type":"array","items":{"type":"map","values":["null","int"]}}"#);
        assert_eq!(
            *schema.root(),
            Type::Array(Box::new(Type::Map(Box::new(Type::Union(vec![
                Type::Null,
                Type::Int
            ])))))
        );
        let schema = parse(r#"{"type":"enum","name":"Suit","symbols":["A","B"],"default":"B"}"#);
        let NamedKind::Enum { symbols, .. } = &schema.named()[0].kind else {
            panic!("not an enum")
        };
        assert_eq!(symbols, &["A", "B"]);
        let schema = parse(r#"{"type":"error","name":"Oops","fields":[]}"#);
        assert!(matches!(&schema.named()[0].kind, NamedKind::Record(f) if f.is_empty()));
    }

    #[test]
    fn full_names_and_namespaces() {
        let schema = parse(
            r#"{"type":"record","name":"User","namespace":"com.example","fields":[
                {"name":"a","type":{"type":"record","name":"Inner","fields":[]}},
                {"name":"b","type":{"type":"enum","name":"org.other.E","symbols":["X"]}},
                {"name":"c","type":{"type":"fixed","name":"F","namespace":"net.x","size":2}},
                {"name":"d","type":{"type":"record","name":"Top","namespace":"","fields":[
                    {"name":"e","type":{"type":"fixed","name":"G","size":1}}]}},
                {"name":"f","type":"Inner"},
                {"name":"g","type":"com.example.Inner"},
                {"name":"h","type":"org.other.E"},
                {"name":"i","type":"Top"},
                {"name":"j","type":{"type":"net.x.F"}}
            ]}"#,
        );
        assert_eq!(
            names(&schema),
            [
                "com.example.User",
                "com.example.Inner",
                "org.other.E",
                "net.x.F",
                "Top",
                "G"
            ]
        );
        let NamedKind::Record(fields) = &schema.named()[0].kind else {
            panic!("not a record")
        };
        let types: Vec<&Type> = fields.iter().map(|field| &field.ty).collect();
        assert_eq!(
            types[4..],
            [
                &Type::Named(1),
                &Type::Named(1),
                &Type::Named(2),
                &Type::Named(4),
                &Type::Named(3)
            ]
        );
    }

    #[test]
    fn namespace_of_a_dotted_name_is_inherited() {
        // Inner's enclosing namespace is that of its dotted parent name.
        let schema = parse(
            r#"{"type":"record","name":"a.b.Outer","namespace":"ignored","fields":[
                {"name":"x","type":{"type":"enum","name":"Kind","symbols":["K"]}},
                {"name":"y","type":"Kind"}]}"#,
        );
        assert_eq!(names(&schema), ["a.b.Outer", "a.b.Kind"]);
    }

    #[test]
    fn short_names_fall_back_to_the_null_namespace() {
        let schema = parse(
            r#"{"type":"record","name":"Outer","fields":[
                {"name":"x","type":{"type":"fixed","name":"Hash","size":4}},
                {"name":"y","type":{"type":"record","name":"Inner","namespace":"ns","fields":[
                    {"name":"z","type":"Hash"}]}}]}"#,
        );
        assert_eq!(names(&schema), ["Outer", "Hash", "ns.Inner"]);
    }

    #[test]
    fn recursive_types() {
        let schema = parse(
            r#"{"type":"record","name":"Node","namespace":"list","fields":[
                {"name":"value","type":"long"},
                {"name":"next","type":["null","Node"],"default":null}]}"#,
        );
        let NamedKind::Record(fields) = &schema.named()[0].kind else {
            panic!("not a record")
        };
        assert_eq!(fields[1].ty, Type::Union(vec![Type::Null, Type::Named(0)]));
        assert_eq!(fields[1].encoded_default, Some(Ok(vec![0])));
        // Mutual recursion through a type defined inside the record.
        parse(
            r#"{"type":"record","name":"Tree","fields":[
                {"name":"children","type":{"type":"array","items":{"type":"record","name":"Edge",
                    "fields":[{"name":"to","type":"Tree"},{"name":"from","type":["null","Edge"]}]}}}]}"#,
        );
    }

    #[test]
    fn empty_types() {
        let schema = parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"a","type":{"type":"record","name":"E","fields":[{"name":"n","type":"null"}]}},
                {"name":"b","type":{"type":"fixed","name":"Z","size":0}},
                {"name":"c","type":{"type":"fixed","name":"One","size":1}},
                {"name":"d","type":{"type":"record","name":"S","fields":[{"name":"s","type":"S"}]}}]}"#,
        );
        let empty: Vec<bool> = schema.named().iter().map(|named| named.empty).collect();
        assert_eq!(empty, [false, true, true, false, false]);
    }

    #[test]
    fn defaults_are_checked_and_encoded() {
        let schema = parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"a","type":["string","null"],"default":"x"},
                {"name":"b","type":{"type":"array","items":"int"},"default":[1,-1]},
                {"name":"c","type":"bytes","default":"\u00ff"},
                {"name":"d","type":{"type":"enum","name":"E","symbols":["P","Q"]},"default":"Q"},
                {"name":"e","type":"double","default":1},
                {"name":"f","type":{"type":"record","name":"In","fields":[
                    {"name":"g","type":["int","null"],"default":3},
                    {"name":"h","type":"string"}]},"default":{"h":"y"}},
                {"name":"i","type":"int"}]}"#,
        );
        let NamedKind::Record(fields) = &schema.named()[0].kind else {
            panic!("not a record")
        };
        let defaults: Vec<Option<Result<Vec<u8>, String>>> = fields
            .iter()
            .map(|field| field.encoded_default.clone())
            .collect();
        assert_eq!(
            defaults,
            [
                Some(Ok(vec![0, 2, b'x'])),
                Some(Ok(vec![4, 2, 1, 0])),
                Some(Ok(vec![2, 0xff])),
                Some(Ok(vec![2])),
                Some(Ok(1f64.to_le_bytes().to_vec())),
                Some(Ok(vec![0, 6, 2, b'y'])),
                None
            ]
        );
    }

    /// Encodes `{}` (every field left out) under the schema `text`.
    fn encode_empty(text: &str) -> Result<Vec<u8>, AvroError> {
        let mut out = Vec::new();
        super::super::encode(&parse(text), &serde_json::json!({}), &mut out).map(|()| out)
    }

    #[test]
    fn union_defaults_take_the_first_branch_that_fits() {
        for (ty, default, bytes) in [
            (r#"["null","string"]"#, "null", vec![0]),
            (r#"["string","null"]"#, r#""x""#, vec![0, 2, b'x']),
            (r#"["null","string"]"#, r#""x""#, vec![2, 2, b'x']),
            (r#"["string","null"]"#, "null", vec![2]),
            (r#"["int","double"]"#, "1", vec![0, 2]),
            (
                r#"["int","double"]"#,
                "1.5",
                vec![2, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f],
            ),
            (
                r#"["int","long"]"#,
                "4294967296",
                vec![2, 0x80, 0x80, 0x80, 0x80, 0x20],
            ),
            (r#"["bytes","string"]"#, r#""\u00ff""#, vec![0, 2, 0xff]),
            (
                r#"["bytes","string"]"#,
                r#""€""#,
                vec![2, 6, 0xe2, 0x82, 0xac],
            ),
            (
                r#"[{"type":"enum","name":"E","symbols":["A"]},"string"]"#,
                r#""A""#,
                vec![0, 0],
            ),
            (
                r#"[{"type":"enum","name":"E","symbols":["A"]},"string"]"#,
                r#""B""#,
                vec![2, 2, b'B'],
            ),
            (
                r#"[{"type":"fixed","name":"F","size":1},"string"]"#,
                r#""ab""#,
                vec![2, 4, b'a', b'b'],
            ),
            (
                r#"["null",{"type":"array","items":"int"}]"#,
                "[1]",
                vec![2, 2, 2, 0],
            ),
            (
                r#"["null",{"type":"map","values":"int"}]"#,
                "{}",
                vec![2, 0],
            ),
            (
                r#"["null",{"type":"record","name":"S","fields":[]}]"#,
                "{}",
                vec![2],
            ),
        ] {
            let text = format!(
                r#"{{"type":"record","name":"R","fields":[{{"name":"a","type":{ty},"default":{default}}}]}}"#
            );
            assert_eq!(encode_empty(&text).unwrap(), bytes, "{text}");
        }
    }

    #[test]
    fn invalid_defaults_fail_only_when_used() {
        for (ty, default, expected) in [
            (
                r#""int""#,
                "1.5",
                "value: missing field \"a\" of record \"R\" (its default 1.5 is invalid: \
                 expected an int, found 1.5)",
            ),
            (
                r#"{"type":"record","name":"S","fields":[{"name":"b","type":"int"}]}"#,
                r#"{"b":"no"}"#,
                "value: missing field \"a\" of record \"R\" (its default {\"b\":\"no\"} at .b \
                 is invalid: expected an int, found \"no\")",
            ),
            (
                r#"["null","int"]"#,
                r#""x""#,
                "value: missing field \"a\" of record \"R\" (its default \"x\" is invalid: \
                 expected null, found \"x\")",
            ),
            (
                r#"[]"#,
                "null",
                "(its default null is invalid: a union of no branches has no values)",
            ),
            (
                // A default that could only be infinite.
                r#"{"type":"record","name":"S","fields":[{"name":"s","type":"S","default":{}}]}"#,
                "{}",
                "the value nests more than 256 deep)",
            ),
        ] {
            let text = format!(
                r#"{{"type":"record","name":"R","fields":[{{"name":"a","type":{ty},"default":{default}}}]}}"#
            );
            let message = encode_empty(&text).unwrap_err().to_string();
            assert!(message.ends_with(expected), "{text}: {message}");
        }
    }

    #[test]
    fn schema_errors() {
        for (text, expected) in [
            ("{", "not valid JSON"),
            ("42", "a type must be"),
            (r#""Foo""#, r#"unknown type "Foo""#),
            (r#""record""#, "written as an object"),
            (r#"{"name":"x"}"#, "no \"type\""),
            (r#"{"type":5}"#, "must be a string"),
            (r#"{"type":"array"}"#, "no \"items\""),
            (r#"{"type":"map"}"#, "no \"values\""),
            (r#"{"type":"record","fields":[]}"#, "has no \"name\""),
            (r#"{"type":"record","name":"R"}"#, "needs \"fields\""),
            (
                r#"{"type":"record","name":"R","fields":[5]}"#,
                "must be an object",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"type":"int"}]}"#,
                "no \"name\"",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a"}]}"#,
                r#"field "a" of record "R": the field has no "type""#,
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}"#,
                "two fields named \"a\"",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a-b","type":"int"}]}"#,
                "invalid field name \"a-b\"",
            ),
            (
                r#"{"type":"record","name":"1R","fields":[]}"#,
                "invalid name \"1R\"",
            ),
            (
                r#"{"type":"record","name":"R","namespace":"a..b","fields":[]}"#,
                "invalid name \"R\" in namespace \"a..b\"",
            ),
            (
                r#"{"type":"record","name":"a.","fields":[]}"#,
                "invalid name \"a.\"",
            ),
            (
                r#"{"type":"record","name":"R","namespace":7,"fields":[]}"#,
                "namespace of \"R\" must be a string",
            ),
            (
                r#"{"type":"fixed","name":"int","size":1}"#,
                "name of a primitive type",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"R","size":1}}]}"#,
                "\"R\" is defined twice",
            ),
            (
                r#"["int",{"type":"enum","name":"E","symbols":["A"]},{"type":"enum","name":"E","symbols":["B"]}]"#,
                "\"E\" is defined twice",
            ),
            (
                r#"{"type":"enum","name":"E","symbols":["A","1"]}"#,
                "invalid symbol \"1\"",
            ),
            (
                r#"{"type":"enum","name":"E","symbols":["A",2]}"#,
                "invalid symbol 2",
            ),
            (
                r#"{"type":"enum","name":"E","symbols":["A","A"]}"#,
                "symbol \"A\" twice",
            ),
            (r#"{"type":"enum","name":"E"}"#, "needs \"symbols\""),
            (
                r#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
                "default \"B\" of enum \"E\"",
            ),
            (
                r#"{"type":"fixed","name":"F","size":-1}"#,
                "needs a \"size\"",
            ),
            (
                r#"{"type":"fixed","name":"F","size":1.5}"#,
                "needs a \"size\"",
            ),
            (r#"{"type":"fixed","name":"F"}"#, "needs a \"size\""),
            (
                r#"{"type":"fixed","name":"F","size":4294967296}"#,
                "needs a \"size\"",
            ),
            (
                r#"["null",["int"]]"#,
                "may not directly contain another union",
            ),
            (
                r#"["int","string","int"]"#,
                "more than one branch of type \"int\"",
            ),
            (
                r#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#,
                "more than one branch of type \"array\"",
            ),
            (
                r#"[{"type":"map","values":"int"},{"type":"map","values":"long"}]"#,
                "more than one branch of type \"map\"",
            ),
            (
                r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"b","type":"Nope"}]}}]}"#,
                r#"field "b" of record "S": unknown type "Nope""#,
            ),
        ] {
            let message = error(text);
            assert!(message.starts_with("invalid Avro schema: "), "{message}");
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn unions_of_distinct_named_types() {
        let schema = parse(
            r#"["null",{"type":"record","name":"A","fields":[]},{"type":"record","name":"B","fields":[]}]"#,
        );
        assert_eq!(
            *schema.root(),
            Type::Union(vec![Type::Null, Type::Named(0), Type::Named(1)])
        );
        let message = error(r#"["null",{"type":"record","name":"A","fields":[]},"A"]"#);
        assert!(
            message.contains("more than one branch of type \"A\""),
            "{message}"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let mut text = String::from("\"int\"");
        for _ in 0..MAX_SCHEMA_DEPTH + 1 {
            text = format!(r#"{{"type":"array","items":{text}}}"#);
        }
        // serde_json's own recursion limit may trip first; either way an error.
        let message = error(&text);
        assert!(message.starts_with("invalid Avro schema"), "{message}");

        // Deep nesting that JSON alone allows: a chain of unions of arrays
        // written without objects is impossible, so build one from arrays
        // of arrays by hand.
        let mut parser = Parser::default();
        let mut json = Value::from("int");
        for _ in 0..MAX_SCHEMA_DEPTH {
            let mut object = Map::new();
            object.insert("type".into(), "array".into());
            object.insert("items".into(), json);
            json = Value::Object(object);
        }
        let problem = parser.parse_type(&json, "", 0).unwrap_err();
        assert!(
            problem.message.contains("nest more than 128"),
            "{}",
            problem.message
        );
    }
}
