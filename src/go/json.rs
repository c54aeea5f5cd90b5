//! JSON as Go's `encoding/json` writes it.
//!
//! Calico is written in Go, so every value it stores in etcd and every `-o json` document
//! calicoctl prints comes from `json.Marshal` / `json.MarshalIndent`. Those differ from
//! serde_json's defaults in one visible way: `<`, `>`, `&`, U+2028 and U+2029 are escaped
//! (`a && b` is stored as `"a \u0026\u0026 b"`). Field order is the struct order, which the
//! serde derives already give us.

mod syntax;

pub(crate) use syntax::syntax_error;

/// A value's kind as Go's JSON decoder names it in its errors (`cannot unmarshal number ...`).
pub(crate) fn kind_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Go's `json.Unmarshal(data, &list)` for a `[]string`, with its error text: the scanner's
/// syntax errors (`invalid character '.' after top-level value`), then its type errors
/// (`json: cannot unmarshal string into Go value of type []string`; for an element, `... of
/// type string`, the first such). `null` is an empty list, a `null` element an empty string.
pub(crate) fn string_list(data: &str) -> Result<Vec<String>, String> {
    if let Some(e) = syntax_error(data.as_bytes()) {
        return Err(e);
    }
    let value: serde_json::Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
    let cannot = |v: &serde_json::Value, into: &str| {
        format!(
            "json: cannot unmarshal {} into Go value of type {into}",
            kind_name(v)
        )
    };
    match value {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(s) => Ok(s),
                serde_json::Value::Null => Ok(String::new()),
                other => Err(cannot(&other, "string")),
            })
            .collect(),
        other => Err(cannot(&other, "[]string")),
    }
}

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// A formatter that adds Go's HTML-safe escapes to an inner serde_json formatter.
struct GoEscape<F>(F);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.0.$name(w $(, $arg)*)
        })*
    };
}

/// False when `bytes` holds none of the bytes that start an escape Go adds (`<`, `>`, `&`,
/// and 0xE2, the first byte of U+2028 and U+2029): almost every string, so the fragment is
/// written as it is. The test per chunk has no branch, so that the compiler can vectorise it.
fn may_need_go_escape(bytes: &[u8]) -> bool {
    bytes.chunks(32).any(|chunk| {
        chunk.iter().fold(false, |hit, &b| {
            hit | matches!(b, b'<' | b'>' | b'&' | 0xE2)
        })
    })
}

impl<F: Formatter> Formatter for GoEscape<F> {
    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // A byte scan: the five characters are `<`, `>`, `&` and the two three-byte
        // sequences E2 80 A8 / E2 80 A9, and no other character's encoding contains them.
        let bytes = fragment.as_bytes();
        if !may_need_go_escape(bytes) {
            return w.write_all(bytes);
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let (escape, len) = match bytes[i] {
                b'<' => ("\\u003c", 1),
                b'>' => ("\\u003e", 1),
                b'&' => ("\\u0026", 1),
                0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
                    Some(0xA8) => ("\\u2028", 3),
                    Some(0xA9) => ("\\u2029", 3),
                    _ => {
                        i += 1;
                        continue;
                    }
                },
                _ => {
                    i += 1;
                    continue;
                }
            };
            w.write_all(&bytes[start..i])?;
            w.write_all(escape.as_bytes())?;
            i += len;
            start = i;
        }
        w.write_all(&bytes[start..])
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        // Go writes \b and \f as \u0008 and \u000c; the rest match serde_json.
        match escape {
            CharEscape::Backspace => w.write_all(b"\\u0008"),
            CharEscape::FormFeed => w.write_all(b"\\u000c"),
            other => self.0.write_char_escape(w, other),
        }
    }
}

/// `json.Marshal` of a float64 (ES6 style): plain digits unless below 1e-6 or from 1e21 on.
pub(crate) fn format_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // `{:e}` is `1e-7` or `1.5e21`; Go writes `1e-07` then trims it to `1e-7`, and `1.5e+21`.
        let sci = format!("{f:e}");
        return match sci.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => sci,
        };
    }
    // Rust's `Display` of an f64 is the shortest round-tripping digits, never an exponent.
    let text = f.to_string();
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// Decodes `null` as Go's `encoding/json` leaves a map or slice it meets: empty (for
/// `#[serde(default, deserialize_with = "crate::go::json::null_as_default")]`).
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// `json.Marshal`: compact, Go escapes.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoEscape(CompactFormatter));
    value
        .serialize(&mut ser)
        .expect("serialising to memory cannot fail for plain data");
    out
}

/// `json.Marshal` as a `String`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    String::from_utf8(to_vec(value)).expect("serde_json writes UTF-8")
}

/// `json.MarshalIndent(v, "", "  ")`: two-space indent, Go escapes, no trailing newline.
pub fn to_string_indent<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(512);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        GoEscape(PrettyFormatter::with_indent(b"  ")),
    );
    value
        .serialize(&mut ser)
        .expect("serialising to memory cannot fail for plain data");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_go() {
        let v = json!({"nodeSelector": "a == 'x' && b < c > d", "e": [], "f": {}});
        assert_eq!(
            to_string(&v),
            r#"{"nodeSelector":"a == 'x' \u0026\u0026 b \u003c c \u003e d","e":[],"f":{}}"#
        );
        assert_eq!(
            to_string_indent(&json!({"a": [1, 2], "b": {}})),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}"
        );
        // Line and paragraph separators are escaped; other characters starting with the
        // same UTF-8 byte (E2), like the euro sign, are not.
        assert_eq!(
            to_string(&json!("a\u{2028}b\u{2029}c € \u{2027}\u{202a} plain")),
            "\"a\\u2028b\\u2029c € \u{2027}\u{202a} plain\"",
        );
        assert_eq!(to_string(&json!("€")), "\"€\"");
    }

    #[test]
    fn floats_as_go_marshals_them() {
        for (f, want) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (0.0, "0"),
        ] {
            assert_eq!(format_float(f), want, "{f}");
        }
    }
}
