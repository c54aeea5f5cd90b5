//! Values during execution: untyped JSON data or a Go value of a known type; field
//! lookup through Go structs, Go's zero values and Go's `%v` printing of typed values.

use super::error::ExecResult;
use crate::go::fmt::{self as gofmt, Arg as FmtArg};
use crate::model::gotypes::{self, Basic as GoBasic, GoType};
use serde_json::{Map, Value};

/// A value during execution: Go's invalid "no value" (a missing map key), untyped JSON data
/// (literals, function results), or a Go value of a known type (see `model::gotypes`).
#[derive(Debug, Clone)]
pub(super) enum Val {
    Missing,
    Data(Value),
    /// Its JSON (`null` for a nil pointer, map or slice, or for a field JSON omitted as
    /// empty, which then has its type's zero value) and its Go type.
    Typed(Value, &'static GoType),
}

impl Val {
    pub(super) fn fmt_arg(&self) -> FmtArg<'_> {
        match self {
            Val::Missing => FmtArg::Nil,
            Val::Data(v) | Val::Typed(v, _) => FmtArg::of(v),
        }
    }

    /// The value as untyped data, zero values filled in, for the builtin functions.
    pub(super) fn plain(self) -> Val {
        match self {
            Val::Typed(v, ty) => Val::Data(plain_value(v, ty)),
            other => other,
        }
    }

    /// The value as `print`/`printf` see it: structs as Go prints them.
    pub(super) fn for_fmt(self) -> Val {
        match self {
            Val::Typed(v, ty) if is_structish(ty) => Val::Data(Value::String(go_print_top(&v, ty))),
            other => other.plain(),
        }
    }

    pub(super) fn type_name(&self) -> &'static str {
        self.fmt_arg().type_name()
    }

    /// Go's `isTrue`: empty values, zero and false are false.
    pub(super) fn truth(&self) -> bool {
        match self {
            Val::Typed(v, ty) => match ty {
                GoType::Ptr(_) | GoType::Interface(_) => !v.is_null(),
                GoType::Struct(_) => true,
                _ => Val::Data(plain_value(v.clone(), ty)).truth(),
            },
            Val::Missing | Val::Data(Value::Null) => false,
            Val::Data(Value::Bool(b)) => *b,
            Val::Data(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Val::Data(Value::String(s)) => !s.is_empty(),
            Val::Data(Value::Array(a)) => !a.is_empty(),
            Val::Data(Value::Object(m)) => !m.is_empty(),
        }
    }
}

pub(super) fn string_val(s: String) -> Val {
    Val::Data(Value::String(s))
}

pub(super) fn bool_val(b: bool) -> Val {
    Val::Data(Value::Bool(b))
}

pub(super) fn fmt_args(args: &[Val]) -> Vec<FmtArg<'_>> {
    args.iter().map(Val::fmt_arg).collect()
}

pub(super) fn expect_string(value: &Val) -> ExecResult<&str> {
    match value {
        Val::Data(Value::String(s)) => Ok(s),
        Val::Missing => Err("invalid value; expected string".into()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )
        .into()),
    }
}

pub(super) fn expect_int(value: &Val) -> ExecResult<i64> {
    match value {
        Val::Data(Value::Number(n)) if n.is_i64() => Ok(n.as_i64().unwrap_or(0)),
        Val::Missing => Err("invalid value; expected int".into()),
        other => Err(format!(
            "wrong type for value; expected int; got {}",
            other.type_name()
        )
        .into()),
    }
}

/// A field of untyped data: a JSON object is a Go `map[string]interface {}`, so the name is
/// a key, matched exactly, and a missing key is no value.
pub(super) fn field(receiver: &Val, name: &str) -> ExecResult<Val> {
    match receiver {
        Val::Missing | Val::Data(Value::Null) => Ok(Val::Missing),
        Val::Data(Value::Object(map)) => Ok(map.get(name).cloned().map_or(Val::Missing, Val::Data)),
        Val::Typed(value, ty) => typed_field(value, ty, name, false),
        other => Err(format!("can't evaluate field {name} in type {}", other.type_name()).into()),
    }
}

/// The Go type of an object in calicoctl's data, from its `kind`.
fn dynamic_type(value: &Value) -> Option<&'static GoType> {
    value
        .get("kind")
        .and_then(Value::as_str)
        .and_then(crate::model::kinds::go_type)
}

/// The JSON of one struct field: an inlined embedded struct shares its parent's object.
fn field_json(value: &Value, field: &gotypes::Field) -> Value {
    if field.json.is_empty() {
        return value.clone();
    }
    value.get(field.json).cloned().unwrap_or(Value::Null)
}

/// Go's `evalField` over a typed value: pointers and interfaces are followed, a struct
/// field is found by its exact Go name (promoted through embedded structs), a map key is
/// looked up, and anything else fails as Go fails.
pub(super) fn typed_field(
    value: &Value,
    ty: &'static GoType,
    name: &str,
    has_args: bool,
) -> ExecResult<Val> {
    let typ = ty.name();
    let mut current = ty;
    let mut is_nil = false;
    loop {
        match current {
            GoType::Interface(_) if value.is_null() => {
                return Err(format!("nil pointer evaluating {typ}.{name}").into());
            }
            GoType::Interface(_) => match dynamic_type(value) {
                Some(dynamic) => current = dynamic,
                // A kind not described in `model::gotypes`: plain data.
                None => return field(&Val::Data(value.clone()), name),
            },
            GoType::Ptr(_) if value.is_null() => {
                is_nil = true;
                break;
            }
            GoType::Ptr(inner) => current = inner,
            _ => break,
        }
    }
    match current {
        GoType::Struct(st) => {
            if let Some(path) = st.field_path(name) {
                if has_args {
                    return Err(
                        format!("{name} has arguments but cannot be invoked as function").into(),
                    );
                }
                let mut v = value.clone();
                let mut t = current;
                for f in path {
                    v = field_json(&v, f);
                    t = f.ty;
                }
                return Ok(Val::Typed(v, t));
            }
        }
        GoType::Map(elem) => {
            if has_args {
                return Err(format!("{name} is not a method but has arguments").into());
            }
            return Ok(value
                .get(name)
                .map_or(Val::Missing, |v| Val::Typed(v.clone(), elem)));
        }
        GoType::Ptr(inner) if is_nil => {
            let has_field = match inner {
                GoType::Struct(st) => st.field_path(name).is_some(),
                _ => true,
            };
            if has_field {
                return Err(format!("nil pointer evaluating {typ}.{name}").into());
            }
        }
        _ => {}
    }
    Err(format!("can't evaluate field {name} in type {typ}").into())
}

/// Follows pointers and interfaces to the value's concrete type; `None` at a nil.
pub(super) fn indirect(value: &Value, ty: &'static GoType) -> Option<&'static GoType> {
    let mut current = ty;
    loop {
        match current {
            GoType::Ptr(_) | GoType::Interface(_) if value.is_null() => return None,
            GoType::Ptr(inner) => current = inner,
            GoType::Interface(_) => current = dynamic_type(value)?,
            _ => return Some(current),
        }
    }
}

/// What `range` visits in a typed value; `None` when it cannot iterate.
pub(super) fn typed_entries(value: &Value, ty: &'static GoType) -> Option<Vec<(Val, Val)>> {
    let current = indirect(value, ty)?;
    Some(match current {
        GoType::Slice(elem) => value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (Val::Data(Value::from(i)), Val::Typed(item.clone(), elem)))
                    .collect()
            })
            .unwrap_or_default(),
        GoType::Map(elem) => value
            .as_object()
            .map(|map| {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                keys.into_iter()
                    .map(|k| {
                        (
                            Val::Data(Value::String(k.clone())),
                            Val::Typed(map[k.as_str()].clone(), elem),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        GoType::Scalar(_, GoBasic::Int | GoBasic::Uint) => {
            let count = value.as_i64().unwrap_or(0).max(0);
            (0..count)
                .map(|i| (Val::Data(Value::from(i)), Val::Data(Value::from(i))))
                .collect()
        }
        _ => return None,
    })
}

/// A typed value as plain data with Go's zero value for JSON's absent or null.
fn plain_value(value: Value, ty: &GoType) -> Value {
    match ty {
        GoType::Scalar(_, basic) => match (basic, value) {
            (GoBasic::Time, v) => Value::String(go_time(&v)),
            (GoBasic::String | GoBasic::Stringer, Value::Null) => Value::String(String::new()),
            (GoBasic::Bool, Value::Null) => Value::Bool(false),
            (GoBasic::Int | GoBasic::Uint, Value::Null) => Value::from(0),
            (_, v) => v,
        },
        GoType::Struct(st) if st.name == "v1.Time" => Value::String(go_time(&value)),
        GoType::Map(_) if value.is_null() => Value::Object(Map::new()),
        GoType::Slice(_) if value.is_null() => Value::Array(Vec::new()),
        _ => value,
    }
}

/// Whether a type prints as a Go struct (through pointers): not plain data.
fn is_structish(ty: &GoType) -> bool {
    match ty {
        GoType::Struct(st) => st.name != "v1.Time",
        GoType::Ptr(inner) => is_structish(inner),
        GoType::Interface(_) => true,
        _ => false,
    }
}

/// `metav1.Time` printed by Go's `Time.String()` (calicoctl's clock in UTC):
/// `2025-01-02 03:04:05 +0000 UTC`; the zero time for a missing timestamp.
fn go_time(value: &Value) -> String {
    let Some(text) = value.as_str() else {
        return "0001-01-01 00:00:00 +0000 UTC".to_string();
    };
    match text.strip_suffix('Z') {
        Some(t) if t.len() >= 19 && t.as_bytes()[10] == b'T' => {
            format!("{} {} +0000 UTC", &t[..10], &t[11..])
        }
        _ => text.to_string(),
    }
}

/// Go's template printing of a typed value (`printableValue`, then `fmt.Print`): pointers
/// are followed, a nil one prints `<nil>`.
pub(super) fn go_print_top(value: &Value, ty: &'static GoType) -> String {
    match ty {
        GoType::Ptr(_) if value.is_null() => "<nil>".to_string(),
        GoType::Ptr(inner) => go_print_top(value, inner),
        _ => go_fmt(value, ty),
    }
}

/// `fmt`'s `%v` of a typed value: structs as `{field field ...}` in field order, maps as
/// `map[key:value ...]` sorted by key, slices as `[a b]`, nil pointers as `<nil>`. A
/// pointer inside a struct prints as `&` and its target (Go prints a memory address).
fn go_fmt(value: &Value, ty: &'static GoType) -> String {
    match ty {
        GoType::Scalar(..) => match plain_value(value.clone(), ty) {
            Value::String(s) => s,
            other => gofmt::sprint_value(&other),
        },
        GoType::Struct(st) if st.name == "v1.Time" => go_time(value),
        GoType::Struct(st) => {
            let fields: Vec<String> = st
                .fields
                .iter()
                .map(|f| go_fmt(&field_json(value, f), f.ty))
                .collect();
            format!("{{{}}}", fields.join(" "))
        }
        GoType::Ptr(_) | GoType::Interface(_) if value.is_null() => "<nil>".to_string(),
        GoType::Ptr(inner) => format!("&{}", go_fmt(value, inner)),
        GoType::Interface(_) => match dynamic_type(value) {
            Some(dynamic) => go_fmt(value, dynamic),
            None => gofmt::sprint_value(value),
        },
        GoType::Slice(elem) => {
            let items: Vec<String> = value
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|item| go_fmt(item, elem))
                .collect();
            format!("[{}]", items.join(" "))
        }
        GoType::Map(elem) => {
            let mut entries: Vec<(&String, &Value)> = value
                .as_object()
                .map(|m| m.iter().collect())
                .unwrap_or_default();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_fmt(v, elem)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
    }
}
