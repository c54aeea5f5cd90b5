//! go-yaml v2's resolution of plain scalars (`resolve.go`): what a YAML 1.1 plain scalar
//! such as `yes`, `0x1f`, `1_000` or `2026-01-02` is read as.
//!
//! calicoctl reads every document through go-yaml v2, and writes YAML through it too: so the
//! decoder (`model`) asks this module what a scalar is, and the encoder (`output::yaml`)
//! asks it which strings must be quoted to read back as strings.

use super::strconv::{parse_float, parse_int, parse_uint};
use super::time::{Layout, parses_as};

/// What go-yaml v2 (resolve.go) makes of a plain scalar decoded into an `interface{}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Plain {
    Null,
    Bool(bool),
    /// An `int` (64 bits).
    Int(i64),
    /// A `uint64` beyond `int`.
    Uint(u64),
    Float(f64),
    /// A timestamp: decoded into an `interface{}` it stays the string as written.
    Timestamp,
    /// Any other text: a string.
    Str,
}

/// go-yaml v2's resolution of a plain scalar (YAML 1.1 booleans `y`, `yes`, `on`, `off` ...,
/// `~`, `0x`/`0o`/`0b`/leading-zero octal integers, underscores, `.inf`, `.nan`).
pub(crate) fn resolve_plain(s: &str) -> Plain {
    let hint = match s.as_bytes().first() {
        None => return Plain::Null, // the empty plain scalar is null
        Some(b'+' | b'-') => 'S',
        Some(b'0'..=b'9') => 'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => 'M',
        Some(b'.') => '.',
        Some(_) => return Plain::Str,
    };
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Plain::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Plain::Bool(false);
        }
        "~" | "null" | "Null" | "NULL" => return Plain::Null,
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Plain::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let int = |i: i64| Plain::Int(i);
    match hint {
        '.' => parse_float(s).map_or(Plain::Str, Plain::Float),
        'D' | 'S' => {
            if is_timestamp(s) {
                return Plain::Timestamp;
            }
            let plain = s.replace('_', "");
            if let Some(i) = parse_int(&plain, 0) {
                return int(i);
            }
            if let Some(u) = parse_uint(&plain, 0) {
                return Plain::Uint(u);
            }
            if is_yaml_style_float(&plain)
                && let Some(f) = parse_float(&plain)
            {
                return Plain::Float(f);
            }
            if let Some(binary) = plain.strip_prefix("0b") {
                if let Some(i) = parse_int(binary, 2) {
                    return int(i);
                }
                if let Some(u) = parse_uint(binary, 2) {
                    return Plain::Uint(u);
                }
            } else if let Some(binary) = plain.strip_prefix("-0b")
                && let Some(i) = parse_int(&format!("-{binary}"), 2)
            {
                return int(i);
            }
            Plain::Str
        }
        _ => Plain::Str,
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Whether go-yaml v2 reads `s` as a timestamp: Go's `time.Parse` with one of the layouts
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with a lower-case `t`,
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`.
fn is_timestamp(s: &str) -> bool {
    [
        Layout::UpperT,
        Layout::LowerT,
        Layout::Space,
        Layout::DateOnly,
    ]
    .into_iter()
    .any(|layout| parses_as(s, layout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_as_go_yaml_v2_reads_them() {
        for (text, want) in [
            ("", Plain::Null),
            ("~", Plain::Null),
            ("yes", Plain::Bool(true)),
            ("Off", Plain::Bool(false)),
            ("0x1f", Plain::Int(31)),
            ("017", Plain::Int(15)),
            ("0b101", Plain::Int(5)),
            ("-0b101", Plain::Int(-5)),
            ("1_000", Plain::Int(1000)),
            ("9223372036854775808", Plain::Uint(1 << 63)),
            ("1.5", Plain::Float(1.5)),
            (".5", Plain::Float(0.5)),
            ("-.inf", Plain::Float(f64::NEG_INFINITY)),
            ("2026-01-02", Plain::Timestamp),
            ("2026-1-2 3:04:05", Plain::Timestamp),
            ("2026-01-02T03:04:05.5+01:00", Plain::Timestamp),
            ("2026-02-30", Plain::Str),
            ("1:30", Plain::Str),
            ("1e", Plain::Str),
            ("10.0.0.0/16", Plain::Str),
            ("hello", Plain::Str),
        ] {
            assert_eq!(resolve_plain(text), want, "{text:?}");
        }
        assert!(matches!(resolve_plain(".nan"), Plain::Float(f) if f.is_nan()));
    }
}
