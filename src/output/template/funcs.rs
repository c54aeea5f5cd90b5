//! The builtin functions: their names and arities, and the work of `len`, `index`,
//! `slice`, the comparisons, the escapers and calicoctl's `join`/`joinAndTruncate`.

use super::value::{Val, fmt_args, indirect, string_val};
use crate::go::fmt::{self as gofmt, Arg as FmtArg};
use crate::model::gotypes::{Basic as GoBasic, GoType};
use serde_json::Value;

/// The functions a template may call.
pub(super) const FUNCTIONS: &[&str] = &[
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "html",
    "js",
    "urlquery",
    "join",
    "joinAndTruncate",
    "config",
];

/// Minimum and maximum operand counts of each function.
pub(super) fn arity(name: &str) -> (usize, Option<usize>) {
    match name {
        "and" | "or" | "index" | "slice" | "printf" | "eq" => (1, None),
        "not" | "len" | "config" => (1, Some(1)),
        "ne" | "lt" | "le" | "gt" | "ge" | "join" => (2, Some(2)),
        "joinAndTruncate" => (3, Some(3)),
        _ => (0, None),
    }
}

/// Go's `index` over a typed value: slice elements and map values keep their type, and a
/// missing map key gives the element type's zero value.
pub(super) fn typed_index(item: &Val, indexes: &[Val]) -> Result<Val, String> {
    let mut item = item.clone();
    for index in indexes {
        let Val::Typed(value, ty) = &item else {
            return builtin_index(&item.plain(), std::slice::from_ref(index));
        };
        let Some(current) = indirect(value, ty) else {
            return Err("index of nil pointer".into());
        };
        item = match current {
            GoType::Slice(elem) => {
                let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let x = index_arg(&index.clone().plain(), items.len(), false)?;
                Val::Typed(items[x].clone(), elem)
            }
            GoType::Map(elem) => match index.clone().plain() {
                Val::Data(Value::String(key)) => Val::Typed(
                    value.get(key.as_str()).cloned().unwrap_or(Value::Null),
                    elem,
                ),
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            GoType::Scalar(_, GoBasic::String) => {
                return builtin_index(&item.plain(), std::slice::from_ref(index));
            }
            other => return Err(format!("can't index item of type {}", other.name())),
        };
    }
    Ok(item)
}

pub(super) fn builtin_len(value: &Val) -> Result<Val, String> {
    let n = match value {
        Val::Missing | Val::Data(Value::Null) => return Err("len of untyped nil".into()),
        Val::Data(Value::String(s)) => s.len(),
        Val::Data(Value::Array(a)) => a.len(),
        Val::Data(Value::Object(m)) => m.len(),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Val::Data(Value::from(n)))
}

/// An index operand as an `int`.
fn index_arg(index: &Val, len: usize, allow_len: bool) -> Result<usize, String> {
    let i = match index {
        Val::Data(Value::Number(n)) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
        Val::Missing | Val::Data(Value::Null) => {
            return Err("cannot index slice/array with nil".into());
        }
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    let limit = if allow_len {
        len
    } else {
        len.saturating_sub(1)
    };
    match usize::try_from(i) {
        Ok(u) if u <= limit && (allow_len || len > 0) => Ok(u),
        _ => Err(format!("index out of range: {i}")),
    }
}

pub(super) fn builtin_index(item: &Val, indexes: &[Val]) -> Result<Val, String> {
    let mut item = match item {
        Val::Missing | Val::Data(Value::Null) => return Err("index of untyped nil".into()),
        Val::Data(v) | Val::Typed(v, _) => v.clone(),
    };
    for index in indexes {
        item = match &item {
            Value::Array(items) => items[index_arg(index, items.len(), false)?].clone(),
            Value::String(s) => Value::from(s.as_bytes()[index_arg(index, s.len(), false)?]),
            Value::Object(map) => match index {
                Val::Data(Value::String(key)) => match map.get(key) {
                    Some(v) => v.clone(),
                    None => return Ok(Val::Missing),
                },
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            Value::Null => return Err("index of nil pointer".into()),
            other => {
                return Err(format!(
                    "can't index item of type {}",
                    FmtArg::of(other).type_name()
                ));
            }
        };
    }
    Ok(Val::Data(item))
}

pub(super) fn builtin_slice(item: &Val, indexes: &[Val]) -> Result<Val, String> {
    let value = match item {
        Val::Missing | Val::Data(Value::Null) => return Err("slice of untyped nil".into()),
        Val::Data(v) | Val::Typed(v, _) => v,
    };
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    // `slice x i j k` is x[i:j:k]: each index within the length, and in order.
    let bounds = |len: usize| -> Result<(usize, usize), String> {
        let mut idx = [0, len, len];
        for (i, index) in indexes.iter().enumerate() {
            idx[i] = index_arg(index, len, true)?;
        }
        if idx[0] > idx[1] {
            return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
        }
        if indexes.len() == 3 && idx[1] > idx[2] {
            return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
        }
        Ok((idx[0], idx[1]))
    };
    let sliced = match value {
        Value::Array(a) => {
            let (start, end) = bounds(a.len())?;
            Value::Array(a[start..end].to_vec())
        }
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            let (start, end) = bounds(s.len())?;
            Value::String(String::from_utf8_lossy(&s.as_bytes()[start..end]).into_owned())
        }
        other => {
            return Err(format!(
                "can't slice item of type {}",
                FmtArg::of(other).type_name()
            ));
        }
    };
    Ok(Val::Data(sliced))
}

/// The basic kind of a comparison operand (Go's `basicKind`).
#[derive(Clone, Copy, PartialEq)]
enum Basic {
    Invalid,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str,
    Other,
}

fn basic(value: &Val) -> Basic {
    match value {
        Val::Typed(..) => basic(&value.clone().plain()),
        Val::Missing | Val::Data(Value::Null) => Basic::Invalid,
        Val::Data(Value::Bool(b)) => Basic::Bool(*b),
        Val::Data(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Basic::Int(i),
            (None, Some(u)) => Basic::Uint(u),
            _ => Basic::Float(n.as_f64().unwrap_or(0.0)),
        },
        Val::Data(Value::String(_)) => Basic::Str,
        Val::Data(_) => Basic::Other,
    }
}

fn same_kind(a: Basic, b: Basic) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

fn as_str(value: &Val) -> &str {
    match value {
        Val::Data(Value::String(s)) => s,
        _ => "",
    }
}

/// Go's `eq arg1 arg2...`: whether `arg1` equals any of the others.
pub(super) fn compare_eq(arg1: &Val, others: &[Val]) -> Result<bool, String> {
    if others.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic(arg1);
    for arg in others {
        let k2 = basic(arg);
        let truth = if !same_kind(k1, k2) {
            match (k1, k2) {
                (Basic::Int(i), Basic::Uint(u)) | (Basic::Uint(u), Basic::Int(i)) => {
                    u64::try_from(i).is_ok_and(|i| i == u)
                }
                (Basic::Invalid, _) | (_, Basic::Invalid) => false,
                _ => return Err("incompatible types for comparison".into()),
            }
        } else {
            match (k1, k2) {
                (Basic::Bool(a), Basic::Bool(b)) => a == b,
                (Basic::Int(a), Basic::Int(b)) => a == b,
                (Basic::Uint(a), Basic::Uint(b)) => a == b,
                (Basic::Float(a), Basic::Float(b)) => a == b,
                (Basic::Str, Basic::Str) => as_str(arg1) == as_str(arg),
                (Basic::Invalid, Basic::Invalid) => true,
                _ => {
                    return Err(format!(
                        "non-comparable type {}: {}",
                        arg1.type_name(),
                        gofmt::sprint(&[arg1.fmt_arg()])
                    ));
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt`.
pub(super) fn compare_lt(arg1: &Val, arg2: &Val) -> Result<bool, String> {
    let (k1, k2) = (basic(arg1), basic(arg2));
    let invalid_type = |k: Basic| matches!(k, Basic::Invalid | Basic::Other | Basic::Bool(_));
    if invalid_type(k1) || invalid_type(k2) {
        return Err("invalid type for comparison".into());
    }
    Ok(match (k1, k2) {
        (Basic::Int(a), Basic::Int(b)) => a < b,
        (Basic::Uint(a), Basic::Uint(b)) => a < b,
        (Basic::Float(a), Basic::Float(b)) => a < b,
        (Basic::Str, Basic::Str) => as_str(arg1) < as_str(arg2),
        (Basic::Int(i), Basic::Uint(u)) => i < 0 || (i as u64) < u,
        (Basic::Uint(u), Basic::Int(i)) => i >= 0 && u < i as u64,
        _ => return Err("incompatible types for comparison".into()),
    })
}

pub(super) fn compare_le(arg1: &Val, arg2: &Val) -> Result<bool, String> {
    if compare_lt(arg1, arg2)? {
        return Ok(true);
    }
    compare_eq(arg1, std::slice::from_ref(arg2))
}

/// `fmt.Sprint(args...)`, except that a single string is used as it is.
pub(super) fn evaluated_string(args: &[Val]) -> String {
    if let [Val::Data(Value::String(s))] = args {
        return s.clone();
    }
    gofmt::sprint(&fmt_args(args))
}

pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{fffd}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// calicoctl's `joinAndTruncate` (and `join`, with no limit): the items of a slice, the
/// sorted `key=value` pairs of a map, or the value itself, printed with `%v` and joined;
/// when longer than `max_len` (> 0) the result is cut to `max_len - 3` bytes plus `...`
/// ([`crate::go::join_and_truncate`]).
pub(super) fn join_and_truncate(items: &Val, separator: &str, max_len: i64) -> Result<Val, String> {
    let owned: Vec<Value>;
    let plain;
    let items = match items {
        Val::Typed(..) => {
            plain = items.clone().plain();
            &plain
        }
        other => other,
    };
    let items: &[Value] = match items {
        Val::Missing | Val::Data(Value::Null) => return Ok(string_val(String::new())),
        Val::Data(Value::Array(items)) => items,
        Val::Data(Value::Object(map)) => {
            let mut pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", gofmt::sprint_value(v)))
                .collect();
            pairs.sort();
            owned = pairs.into_iter().map(Value::String).collect();
            &owned
        }
        Val::Data(other) | Val::Typed(other, _) => std::slice::from_ref(other),
    };
    crate::go::join_and_truncate(items.iter().map(gofmt::sprint_value), separator, max_len)
        .map(string_val)
        .map_err(|e| e.to_string())
}
