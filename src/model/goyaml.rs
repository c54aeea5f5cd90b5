//! Reading a YAML document as calicoctl v3.31 reads it: go-yaml v2 (a port of libyaml, with
//! YAML 1.1 scalars) decodes it into Go's `interface{}`, and calicoctl's YAML wrapper turns
//! that into JSON.
//!
//! - A plain scalar resolves as go-yaml v2's `resolve.go` says ([`resolve_plain`]): `yes`,
//!   `y`, `on` are `true`; `no`, `n`, `off` are `false`; `~` and the empty scalar are null;
//!   `0x1F`, `0o17`, `017`, `0b11`, `1_000` are integers; `1e3`, `.5`, `08` are floats;
//!   timestamps stay strings. Quoted and block scalars, and scalars tagged `!!str`, are strings.
//! - Mapping keys become strings: `true`/`false`, decimal integers, floats in Go's shortest
//!   form (`.inf`, `-.inf`, `.nan` for the special ones); a null or collection key is an error.
//! - A float stays a float here: [`super::decode`] gives it the text calicoctl's conversion
//!   gives it where a string belongs (`strconv.FormatFloat(f, 'g', -1, 64)`), and accepts it
//!   where an integer belongs when Go's JSON encoding writes it without a fraction (`26.0`).
//!   NaN and infinities cannot be written as JSON: the document is refused, as calicoctl
//!   refuses it (`json: unsupported value: +Inf`).
//! - Anchors and aliases are expanded; `<<` merges mappings, later keys winning.
//!
//! The type-guided half of calicoctl's conversion (a number or boolean where the resource
//! has a string becomes that string) is [`super::decode`]'s.

use crate::go::yaml::{Plain, resolve_plain};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// More nodes than this, counting every expansion of an alias, is refused (a few aliases of
/// aliases can otherwise describe an exponentially large document).
const MAX_NODES: usize = 1_000_000;

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// Parses the first YAML document of `text` into the JSON calicoctl's YAML conversion makes of
/// it (`Value::Null` for an empty document). The error is calicoctl's message without
/// `failed to execute command: `.
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    parse_first(text).map_err(|e| format!("{}{e}", super::decode::PARSE_ERROR))
}

fn parse_first(text: &str) -> Result<Value, String> {
    check_syntax(text)?;
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::default();
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(next)) => next,
            Some(Err(e)) => return Err(disagreement(text, &e)),
        };
        let ev = match event {
            Event::StreamEnd | Event::DocumentEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => continue,
            Event::Alias(id) => {
                if !builder.anchors.contains_key(&id) {
                    return Err(unknown_anchor(text, span.start.index()));
                }
                Ev::Alias(id)
            }
            Event::Scalar(value, style, anchor, tag) => Ev::Scalar {
                anchor,
                tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                value: value.into_owned(),
                plain: style == ScalarStyle::Plain,
            },
            Event::SequenceStart(anchor, _) => Ev::SequenceStart(anchor),
            Event::SequenceEnd => Ev::SequenceEnd,
            Event::MappingStart(anchor, _) => Ev::MappingStart(anchor),
            Event::MappingEnd => Ev::MappingEnd,
        };
        if let Some(value) = builder.event(ev)? {
            return Ok(value);
        }
    }
    Ok(Value::Null)
}

/// go-yaml v2 (like libyaml) refuses a document with a syntax error anywhere before it
/// decodes any of it. libyaml, through serde_norway, finds the error and gives go-yaml's
/// words; an unknown alias stops it there (go-yaml reports that alias, below).
fn check_syntax(text: &str) -> Result<(), String> {
    use serde::Deserialize;
    let Some(doc) = serde_yaml::Deserializer::from_str(text).next() else {
        return Ok(());
    };
    match serde::de::IgnoredAny::deserialize(doc) {
        Ok(_) => Ok(()),
        Err(e) => match super::decode::libyaml_error(&e) {
            Some(message) => Err(message),
            None => Ok(()),
        },
    }
}

/// `yaml: unknown anchor 'NAME' referenced`, the name read from the alias at `index` (in
/// characters; libyaml's anchor names are ASCII letters, digits, `-` and `_`).
fn unknown_anchor(text: &str, index: usize) -> String {
    let name: String = text
        .chars()
        .skip(index)
        .skip_while(|c| *c == '*')
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("yaml: unknown anchor '{name}' referenced")
}

/// An error of the pure-Rust parser in a document libyaml accepted: the two disagree. The
/// unknown alias is the one error libyaml leaves to its caller.
fn disagreement(text: &str, e: &ScanError) -> String {
    if e.info().contains("unknown anchor") {
        return unknown_anchor(text, e.marker().index());
    }
    format!("yaml: line {}: {}", e.marker().line(), e.info())
}

/// One parser event, as the builder needs it (anchors by id, 0 for none).
enum Ev {
    Alias(usize),
    Scalar {
        anchor: usize,
        tag: Option<String>,
        value: String,
        plain: bool,
    },
    SequenceStart(usize),
    SequenceEnd,
    MappingStart(usize),
    MappingEnd,
}

/// What a scalar decodes to in Go.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Plain(Plain),
    Str(String),
    /// A plain `<<`: in a mapping's key, a merge.
    Merge,
}

/// A finished node: a scalar keeps its Go type until it knows whether it is a key.
#[derive(Debug, Clone)]
enum Node {
    Scalar(Scalar, String),
    Json(Value),
}

enum Frame {
    Seq {
        anchor: usize,
        items: Vec<Value>,
    },
    Map {
        anchor: usize,
        map: Map<String, Value>,
        key: Option<Node>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// By the parser's anchor id (a later anchor of the same name has a new id).
    anchors: HashMap<usize, Node>,
    nodes: usize,
}

impl Builder {
    /// Takes one event; returns the document's value once its root is complete.
    fn event(&mut self, ev: Ev) -> Result<Option<Value>, String> {
        self.nodes += 1;
        let node = match ev {
            Ev::SequenceStart(anchor) => {
                self.stack.push(Frame::Seq {
                    anchor,
                    items: Vec::new(),
                });
                return Ok(None);
            }
            Ev::MappingStart(anchor) => {
                self.stack.push(Frame::Map {
                    anchor,
                    map: Map::new(),
                    key: None,
                });
                return Ok(None);
            }
            Ev::SequenceEnd | Ev::MappingEnd => {
                let (anchor, value) = match self.stack.pop() {
                    Some(Frame::Seq { anchor, items }) => (anchor, Value::Array(items)),
                    Some(Frame::Map { anchor, map, .. }) => (anchor, Value::Object(map)),
                    None => return Ok(None),
                };
                let node = Node::Json(value);
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                node
            }
            Ev::Scalar {
                anchor,
                tag,
                value,
                plain,
            } => {
                let node = Node::Scalar(scalar(tag.as_deref(), &value, plain)?, value);
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                node
            }
            Ev::Alias(id) => {
                // `parse_first` checked that the anchor is complete.
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .unwrap_or(Node::Json(Value::Null));
                if let Node::Json(v) = &node {
                    self.nodes += count(v);
                }
                node
            }
        };
        if self.nodes > MAX_NODES {
            return Err("yaml: document contains excessive aliasing".to_string());
        }
        self.place(node)
    }

    fn place(&mut self, node: Node) -> Result<Option<Value>, String> {
        match self.stack.last_mut() {
            None => json(node).map(Some),
            Some(Frame::Seq { items, .. }) => {
                items.push(json(node)?);
                Ok(None)
            }
            Some(Frame::Map { map, key, .. }) => {
                let Some(k) = key.take() else {
                    *key = Some(node);
                    return Ok(None);
                };
                if matches!(k, Node::Scalar(Scalar::Merge, _)) {
                    merge(map, json(node)?)?;
                    return Ok(None);
                }
                let value = json(node)?;
                let k = key_string(&k, &value)?;
                map.insert(k, value);
                Ok(None)
            }
        }
    }
}

fn count(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(count).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(count).sum::<usize>(),
        _ => 1,
    }
}

/// `<<: *base` or `<<: [*a, *b]` (earlier mappings of the list win).
fn merge(map: &mut Map<String, Value>, value: Value) -> Result<(), String> {
    const WANT_MAP: &str = "yaml: map merge requires map or sequence of maps as the value";
    match value {
        Value::Object(other) => {
            map.extend(other);
            Ok(())
        }
        Value::Array(items) => {
            if !items.iter().all(Value::is_object) {
                return Err(WANT_MAP.to_string());
            }
            for item in items.into_iter().rev() {
                if let Value::Object(other) = item {
                    map.extend(other);
                }
            }
            Ok(())
        }
        _ => Err(WANT_MAP.to_string()),
    }
}

/// A scalar's Go value, by its tag and style (go-yaml v2: an untagged plain scalar is
/// resolved, any other untagged one is a string; a YAML tag asks for its type).
fn scalar(tag: Option<&str>, value: &str, plain: bool) -> Result<Scalar, String> {
    let Some(tag) = tag.filter(|t| *t != "!") else {
        if !plain {
            return Ok(Scalar::Str(value.to_string()));
        }
        if value == "<<" {
            return Ok(Scalar::Merge);
        }
        return Ok(Scalar::Plain(resolve_plain(value)));
    };
    let Some(short) = tag.strip_prefix(TAG_PREFIX) else {
        // A local tag (`!foo`): go-yaml keeps the text.
        return Ok(Scalar::Str(value.to_string()));
    };
    let resolved = resolve_plain(value);
    let fits = match (short, resolved) {
        ("str", _) | ("binary", _) => return Ok(Scalar::Str(value.to_string())),
        ("merge", _) => return Ok(Scalar::Merge),
        ("null", Plain::Null)
        | ("bool", Plain::Bool(_))
        | ("int", Plain::Int(_) | Plain::Uint(_))
        | ("float", Plain::Float(_))
        | ("timestamp", Plain::Timestamp) => true,
        ("float", Plain::Int(i)) => return Ok(Scalar::Plain(Plain::Float(i as f64))),
        ("null" | "bool" | "int" | "float" | "timestamp", _) => false,
        // Other YAML tags (`!!map` on a scalar, `!!seq`, ...) keep the text.
        _ => return Ok(Scalar::Str(value.to_string())),
    };
    if !fits {
        let got = match resolved {
            Plain::Null => "null",
            Plain::Bool(_) => "bool",
            Plain::Int(_) | Plain::Uint(_) => "int",
            Plain::Float(_) => "float",
            Plain::Timestamp => "timestamp",
            Plain::Str => "str",
        };
        return Err(format!(
            "yaml: cannot decode !!{got} `{value}` as a !!{short}"
        ));
    }
    Ok(Scalar::Plain(resolved))
}

/// A node as a JSON value (a mapping's value or a list item).
fn json(node: Node) -> Result<Value, String> {
    let (scalar, text) = match node {
        Node::Json(v) => return Ok(v),
        Node::Scalar(s, text) => (s, text),
    };
    Ok(match scalar {
        Scalar::Str(s) => Value::String(s),
        Scalar::Merge => Value::String(text),
        Scalar::Plain(p) => match p {
            Plain::Null => Value::Null,
            Plain::Bool(b) => Value::Bool(b),
            Plain::Int(i) => Value::from(i),
            Plain::Uint(u) => Value::from(u),
            Plain::Float(f) => match Number::from_f64(f) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(format!(
                        "json: unsupported value: {}",
                        crate::go::strconv::format_g(f, None)
                    ));
                }
            },
            Plain::Timestamp | Plain::Str => Value::String(text),
        },
    })
}

/// A mapping key as calicoctl's YAML wrapper writes it in JSON.
fn key_string(key: &Node, value: &Value) -> Result<String, String> {
    let unsupported = |go_type: &str, shown: &str| {
        format!(
            "Unsupported map key of type: {go_type}, key: {shown}, value: {}",
            go_value(value)
        )
    };
    match key {
        Node::Scalar(Scalar::Str(s), _) => Ok(s.clone()),
        Node::Scalar(Scalar::Merge, text) => Ok(text.clone()),
        Node::Scalar(Scalar::Plain(p), text) => match *p {
            Plain::Str | Plain::Timestamp => Ok(text.clone()),
            Plain::Bool(b) => Ok(b.to_string()),
            Plain::Int(i) => Ok(i.to_string()),
            Plain::Uint(u) => Err(unsupported("uint64", &format!("0x{u:x}"))),
            Plain::Float(f) => Ok(match crate::go::strconv::format_g(f, None).as_str() {
                "+Inf" => ".inf".to_string(),
                "-Inf" => "-.inf".to_string(),
                "NaN" => ".nan".to_string(),
                s => s.to_string(),
            }),
            Plain::Null => Err(unsupported("%!s(<nil>)", "<nil>")),
        },
        // An alias as a key, or a collection.
        Node::Json(Value::String(s)) => Ok(s.clone()),
        Node::Json(Value::Bool(b)) => Ok(b.to_string()),
        Node::Json(Value::Number(n)) => Ok(match n.as_f64() {
            Some(f) if n.is_f64() => crate::go::strconv::format_g(f, None),
            _ => n.to_string(),
        }),
        Node::Json(Value::Null) => Err(unsupported("%!s(<nil>)", "<nil>")),
        Node::Json(Value::Array(_)) => Err(unsupported("[]interface {}", "[]interface {}{...}")),
        Node::Json(Value::Object(_)) => Err(unsupported(
            "map[interface {}]interface {}",
            "map[interface {}]interface {}{...}",
        )),
    }
}

/// Go's `%+#v` of a simple decoded value (collections abbreviated).
fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => crate::go::strconv::format_g(f, None),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        Value::Array(_) => "[]interface {}{...}".to_string(),
        Value::Object(_) => "map[interface {}]interface {}{...}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(text: &str) -> Value {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn plain_scalars_resolve_as_go_yaml_v2() {
        let cases: &[(&str, Value)] = &[
            ("yes", json!(true)),
            ("Yes", json!(true)),
            ("YES", json!(true)),
            ("y", json!(true)),
            ("Y", json!(true)),
            ("on", json!(true)),
            ("ON", json!(true)),
            ("True", json!(true)),
            ("no", json!(false)),
            ("n", json!(false)),
            ("off", json!(false)),
            ("FALSE", json!(false)),
            ("yES", json!("yES")),
            ("oN", json!("oN")),
            ("~", Value::Null),
            ("null", Value::Null),
            ("NULL", Value::Null),
            ("", Value::Null),
            ("nULL", json!("nULL")),
            ("0x1F", json!(31)),
            ("-0x1F", json!(-31)),
            ("0o17", json!(15)),
            ("017", json!(15)),
            ("0b101", json!(5)),
            ("-0b101", json!(-5)),
            ("1_000", json!(1000)),
            ("+12", json!(12)),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("1e3", json!(1000.0)),
            ("1.5", json!(1.5)),
            (".5", json!(0.5)),
            ("1.", json!(1.0)),
            ("08", json!(8.0)),
            ("26.0", json!(26.0)),
            ("1e999", json!("1e999")),
            ("0x", json!("0x")),
            ("1:30", json!("1:30")),
            ("2001-12-14", json!("2001-12-14")),
            ("2001-12-14T21:59:43.10Z", json!("2001-12-14T21:59:43.10Z")),
            ("10.0.0.0/24", json!("10.0.0.0/24")),
            ("fd00::/64", json!("fd00::/64")),
            ("-x", json!("-x")),
            ("<<", json!("<<")),
        ];
        for (text, want) in cases {
            assert_eq!(&value(&format!("a: {text}\n"))["a"], want, "{text:?}");
        }
    }

    #[test]
    fn quoted_block_and_tagged_scalars() {
        let v = value(
            "a: 'yes'\nb: \"0x1F\"\nc: !!str on\nd: |\n  no\ne: !!int \"12\"\nf: !!float 3\ng: !foo 1\n",
        );
        assert_eq!(
            v,
            json!({"a": "yes", "b": "0x1F", "c": "on", "d": "no\n", "e": 12, "f": 3.0, "g": "1"})
        );
        assert_eq!(
            parse("a: !!int abc\n").unwrap_err(),
            "error parsing document: yaml: cannot decode !!str `abc` as a !!int"
        );
        assert_eq!(
            parse("a: !!bool 1\n").unwrap_err(),
            "error parsing document: yaml: cannot decode !!int `1` as a !!bool"
        );
    }

    #[test]
    fn keys_become_strings() {
        let v = value("yes: 1\n0x10: 2\n1.5: 3\n.inf: 4\n1e6: 5\nfalse: 6\n'on': 7\n");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["true", "16", "1.5", ".inf", "1e+06", "false", "on"]);
        assert_eq!(
            parse("~: x\n").unwrap_err(),
            "error parsing document: Unsupported map key of type: %!s(<nil>), key: <nil>, value: \"x\""
        );
    }

    #[test]
    fn specials_cannot_be_json() {
        assert_eq!(
            parse("a: .inf\n").unwrap_err(),
            "error parsing document: json: unsupported value: +Inf"
        );
        assert_eq!(
            parse("a: [-.Inf]\n").unwrap_err(),
            "error parsing document: json: unsupported value: -Inf"
        );
        assert_eq!(
            parse("a: .NaN\n").unwrap_err(),
            "error parsing document: json: unsupported value: NaN"
        );
    }

    #[test]
    fn anchors_aliases_and_merges() {
        let v = value(
            "base: &b {x: 1, z: 2}\nlist: &l [a, b]\nm:\n  x: 0\n  <<: *b\n  z: 3\nk:\n  <<: [{x: 1}, {x: 2, z: 3}]\ncopy: *l\n",
        );
        assert_eq!(v["m"], json!({"x": 1, "z": 3}));
        assert_eq!(v["k"], json!({"x": 1, "z": 3}));
        // `n` is a boolean key in YAML 1.1.
        assert_eq!(value("n: 1\n"), json!({"false": 1}));
        assert_eq!(v["copy"], json!(["a", "b"]));
        assert_eq!(
            parse("a: *nope\n").unwrap_err(),
            "error parsing document: yaml: unknown anchor 'nope' referenced"
        );
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
        assert_eq!(
            parse(bomb).unwrap_err(),
            "error parsing document: yaml: document contains excessive aliasing"
        );
    }

    #[test]
    fn syntax_errors_as_go_yaml_reports_them() {
        assert_eq!(
            parse("kind: IPPool\nmetadata:\n  name: p\n spec:\n  cidr: x\n").unwrap_err(),
            "error parsing document: yaml: line 3: did not find expected key"
        );
        assert_eq!(
            parse("a:\n\tb: 1\n").unwrap_err(),
            "error parsing document: yaml: line 2: found character that cannot start any token"
        );
        assert_eq!(
            parse("a: b: c\n").unwrap_err(),
            "error parsing document: yaml: mapping values are not allowed in this context"
        );
        assert_eq!(parse("# nothing\n").unwrap(), Value::Null);
    }

    #[test]
    fn a_syntax_error_anywhere_in_the_document_wins_over_a_decoding_error() {
        // go-yaml v2 parses the whole document before decoding it: the tag mismatch on line 1
        // is never reached.
        assert_eq!(
            parse("a: !!int abc\nb: {c: 2\n").unwrap_err(),
            "error parsing document: yaml: line 2: did not find expected ',' or '}'"
        );
        assert_eq!(
            parse("a: .inf\nb: 'open\n").unwrap_err(),
            "error parsing document: yaml: line 3: found unexpected end of stream"
        );
        // An alias is resolved while parsing: an unknown one before the syntax error wins.
        assert_eq!(
            parse("a: *nope\nb: {c: 2\n").unwrap_err(),
            "error parsing document: yaml: unknown anchor 'nope' referenced"
        );
    }

    /// The pure-Rust parser and libyaml (serde_norway, whose resolution agrees with go-yaml's
    /// on these scalars) must read the same value from a valid document.
    #[test]
    fn agrees_with_libyaml_on_valid_documents() {
        let docs = [
            "a: b c\n  d\n\n  e\nf: x\n",
            "a: |+\n  x\n\n\nb: >-\n  p\n  q\n\n  r\nc: |2\n    indented\n",
            "a: 'it''s\n  folded'\nb: \"tab\\there \\u00e9\\\n  joined\"\n",
            "? complex\n: value\n? k\n",
            "{a: [1, {b: c}], d: , ? e : f, g}\n",
            "- a\n- - b\n  - c: d\n    e: f\n-\n- &x z\n- *x\n",
            "%YAML 1.1\n%TAG !e! tag:example.com,2000:\n---\na: !e!foo bar\nb: !!str 1\n",
            "a: 1\r\nb:\r\n  - 2\r\n",
            "a:   value   # comment\n# c\nb: 'x' # c\nc: \"y\"\t\n",
            "key with spaces: v\n\"quoted key\": w\n'': empty key\n",
            "a: -1\nb: 10.0.0.0/24\nc: fd00::1\nd: x:y\ne: http://a/b#c\n",
            "a:\n- 1\n- 2\nb: [\n  3,\n  4,\n]\n",
            "a: !!map {x: !!seq [1]}\n!!str k: v\n",
        ];
        for doc in docs {
            let want: Value = serde_yaml::from_str(doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
            assert_eq!(value(doc), want, "{doc:?}");
        }
    }

    #[test]
    fn aliases_by_name() {
        // The latest anchor of a name counts; a node cannot contain an alias of itself; names
        // are found past multi-byte characters.
        assert_eq!(
            value("a: &x 1\nb: &x [2]\nc: *x\n"),
            json!({"a": 1, "b": [2], "c": [2]})
        );
        assert_eq!(
            parse("a: &x [1, *x]\n").unwrap_err(),
            "error parsing document: yaml: unknown anchor 'x' referenced"
        );
        assert_eq!(
            parse("é: &e-1 x\nü: [*e-1, *u_2]\n").unwrap_err(),
            "error parsing document: yaml: unknown anchor 'u_2' referenced"
        );
        assert_eq!(
            value("k: &k-1 v\n*k-1 : [*k-1, !!map {a: !!seq [1]}]\n"),
            json!({"k": "v", "v": ["v", {"a": [1]}]})
        );
    }
}
