//! Go's `fmt` printing for JSON-shaped values, as templates print them.
//!
//! Templates see decoded JSON: `nil`, `bool`, integers (`int`, or `uint64` beyond `int`),
//! `float64`, `string`, `[]interface {}` and `map[string]interface {}`. This module formats
//! those the way `fmt.Sprint`, `fmt.Sprintln` and `fmt.Sprintf` do: `%v` of a slice is
//! `[a b]`, of a map `map[k:v]` with sorted keys, of a float the shortest `%g`; a verb that
//! does not suit its operand prints `%!d(string=x)`; a missing operand `%!d(MISSING)`; extra
//! operands `%!(EXTRA int=1)`.
//!
//! Also the two number verbs `ipam show` prints with: `%.5g` ([`g5`]) and `%.f`
//! ([`no_decimals`]).

// `%q` is `strconv.Quote`; re-exported for the template engine, which quotes as `%q` does.
pub(crate) use super::strconv::quote;
use super::strconv::{format_e, format_g, is_go_print, quote_rune};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// An operand as `fmt` sees it.
#[derive(Clone, Copy)]
pub(crate) enum Arg<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a str),
    Slice(&'a [Value]),
    Map(&'a Map<String, Value>),
}

impl<'a> Arg<'a> {
    pub(crate) fn of(value: &'a Value) -> Self {
        match value {
            Value::Null => Arg::Nil,
            Value::Bool(b) => Arg::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Arg::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Arg::Uint(u)
                } else {
                    Arg::Float(n.as_f64().unwrap_or(0.0))
                }
            }
            Value::String(s) => Arg::Str(s),
            Value::Array(items) => Arg::Slice(items),
            Value::Object(map) => Arg::Map(map),
        }
    }

    /// The Go type name `%T` and error messages use.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Arg::Nil => "<nil>",
            Arg::Bool(_) => "bool",
            Arg::Int(_) => "int",
            Arg::Uint(_) => "uint64",
            Arg::Float(_) => "float64",
            Arg::Str(_) => "string",
            Arg::Slice(_) => "[]interface {}",
            Arg::Map(_) => "map[string]interface {}",
        }
    }

    fn is_string(&self) -> bool {
        matches!(self, Arg::Str(_))
    }
}

/// Go's `fmt.Sprintf("%.5g", x)`: five significant digits, exponent form when the decimal
/// exponent is below -4 or at least 5, trailing zeros removed, exponent of at least two digits.
///
/// ```
/// use calico::go::fmt::g5;
/// assert_eq!(g5(65536.0), "65536");
/// assert_eq!(g5(131072.0), "1.3107e+05");
/// assert_eq!(g5(2f64.powi(80)), "1.2089e+24");
/// ```
pub fn g5(x: f64) -> String {
    format_g(x, Some(5))
}

/// Go's `fmt.Sprintf("%.f", x)`: no decimals, rounding exact halves to even
/// (`37.5` → `38`, `62.5` → `62`, `0.5` → `0`).
pub fn no_decimals(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // Rust's exact formatting rounds ties to even, as Go's does.
    format!("{x:.0}")
}

/// `fmt.Sprint(value)`.
pub(crate) fn sprint_value(value: &Value) -> String {
    let mut out = String::new();
    format_arg(&mut out, Arg::of(value), 'v', &Flags::default());
    out
}

/// `fmt.Sprint(args...)`: spaces between operands when neither side is a string.
pub(crate) fn sprint(args: &[Arg<'_>]) -> String {
    let mut out = String::new();
    let mut previous_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = arg.is_string();
        if i > 0 && !is_string && !previous_string {
            out.push(' ');
        }
        format_arg(&mut out, *arg, 'v', &Flags::default());
        previous_string = is_string;
    }
    out
}

/// `fmt.Sprintln(args...)`: operands separated by spaces, then a newline.
pub(crate) fn sprintln(args: &[Arg<'_>]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        format_arg(&mut out, *arg, 'v', &Flags::default());
    }
    out.push('\n');
    out
}

#[derive(Default, Clone)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// `fmt.Sprintf(format, args...)` for the verbs `v s d q t b o O x X c U e E f F g G T %`
/// with the flags `+ - # space 0`, widths and precisions (`*` reads them from the operands).
pub(crate) fn sprintf(format: &str, args: &[Arg<'_>]) -> String {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = Flags::default();
        while let Some(&f) = chars.peek() {
            match f {
                '+' => flags.plus = true,
                '-' => {
                    flags.minus = true;
                    flags.zero = false;
                }
                '#' => flags.sharp = true,
                ' ' => flags.space = true,
                '0' => flags.zero = !flags.minus,
                _ => break,
            }
            chars.next();
        }
        let read_number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
                           next_arg: &mut usize|
         -> Option<usize> {
            if chars.peek() == Some(&'*') {
                chars.next();
                let n = match args.get(*next_arg) {
                    Some(Arg::Int(n)) => usize::try_from(*n).ok(),
                    _ => None,
                };
                *next_arg += 1;
                return n;
            }
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
                chars.next();
            }
            n
        };
        flags.width = read_number(&mut chars, &mut next_arg);
        if chars.peek() == Some(&'.') {
            chars.next();
            flags.precision = Some(read_number(&mut chars, &mut next_arg).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(next_arg) {
            Some(arg) => {
                format_arg(&mut out, *arg, verb, &flags);
                next_arg += 1;
            }
            None => {
                let _ = write!(out, "%!{verb}(MISSING)");
            }
        }
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, arg) in args[next_arg..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if matches!(arg, Arg::Nil) {
                out.push_str("<nil>");
            } else {
                out.push_str(arg.type_name());
                out.push('=');
                format_arg(&mut out, *arg, 'v', &Flags::default());
            }
        }
        out.push(')');
    }
    out
}

fn format_arg(out: &mut String, arg: Arg<'_>, verb: char, flags: &Flags) {
    if verb == 'T' {
        pad(out, arg.type_name(), flags, false);
        return;
    }
    match arg {
        Arg::Nil => match verb {
            'v' => pad(out, "<nil>", flags, false),
            _ => bad_verb(out, arg, verb),
        },
        Arg::Bool(b) => match verb {
            't' | 'v' => pad(out, if b { "true" } else { "false" }, flags, false),
            _ => bad_verb(out, arg, verb),
        },
        Arg::Int(i) => format_integer(out, i128::from(i), arg, verb, flags),
        Arg::Uint(u) => format_integer(out, i128::from(u), arg, verb, flags),
        Arg::Float(f) => format_float(out, f, arg, verb, flags),
        Arg::Str(s) => match verb {
            'v' | 's' => {
                let text: String = match flags.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                pad(out, &text, flags, false);
            }
            'q' => pad(out, &quote(s, flags.plus), flags, false),
            'x' | 'X' => {
                let mut hex = String::new();
                for b in s.bytes() {
                    if verb == 'x' {
                        let _ = write!(hex, "{b:02x}");
                    } else {
                        let _ = write!(hex, "{b:02X}");
                    }
                }
                pad(out, &hex, flags, false);
            }
            _ => bad_verb(out, arg, verb),
        },
        Arg::Slice(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_arg(out, Arg::of(item), verb, flags);
            }
            out.push(']');
        }
        Arg::Map(map) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_arg(out, Arg::Str(key), verb, flags);
                out.push(':');
                format_arg(out, Arg::of(&map[key.as_str()]), verb, flags);
            }
            out.push(']');
        }
    }
}

/// `%!verb(type=value)`, or `%!verb(<nil>)`.
fn bad_verb(out: &mut String, arg: Arg<'_>, verb: char) {
    let _ = write!(out, "%!{verb}(");
    if matches!(arg, Arg::Nil) {
        out.push_str("<nil>");
    } else {
        out.push_str(arg.type_name());
        out.push('=');
        format_arg(out, arg, 'v', &Flags::default());
    }
    out.push(')');
}

/// Pads to the width in runes; `numeric` zero padding goes after the sign.
fn pad(out: &mut String, text: &str, flags: &Flags, numeric: bool) {
    let len = text.chars().count();
    let width = flags.width.unwrap_or(0);
    if len >= width {
        out.push_str(text);
        return;
    }
    let fill = width - len;
    if flags.minus {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if flags.zero {
        let (sign, digits) = match text.chars().next() {
            Some(c @ ('+' | '-' | ' ')) if numeric => (Some(c), &text[1..]),
            _ => (None, text),
        };
        if let Some(sign) = sign {
            out.push(sign);
        }
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

fn format_integer(out: &mut String, n: i128, arg: Arg<'_>, verb: char, flags: &Flags) {
    let magnitude = n.unsigned_abs();
    let (digits, prefix) = match verb {
        'v' | 'd' => (magnitude.to_string(), ""),
        'b' => (
            format!("{magnitude:b}"),
            if flags.sharp { "0b" } else { "" },
        ),
        'o' => (format!("{magnitude:o}"), if flags.sharp { "0" } else { "" }),
        'O' => (format!("{magnitude:o}"), "0o"),
        'x' => (
            format!("{magnitude:x}"),
            if flags.sharp { "0x" } else { "" },
        ),
        'X' => (
            format!("{magnitude:X}"),
            if flags.sharp { "0X" } else { "" },
        ),
        'c' => {
            let c = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &c.to_string(), flags, false);
            return;
        }
        'q' => {
            let c = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &quote_rune(c), flags, false);
            return;
        }
        'U' => {
            let mut text = format!("U+{magnitude:04X}");
            if flags.sharp
                && let Some(c) = u32::try_from(n).ok().and_then(char::from_u32)
                && is_go_print(c)
            {
                let _ = write!(text, " '{c}'");
            }
            pad(out, &text, flags, false);
            return;
        }
        _ => return bad_verb(out, arg, verb),
    };
    let mut body = digits;
    // %.0d of zero prints nothing; a precision is a minimum digit count.
    if flags.precision == Some(0) && magnitude == 0 {
        body.clear();
    }
    let mut zero_pad = false;
    if let Some(p) = flags.precision {
        if body.len() < p {
            body = format!("{}{body}", "0".repeat(p - body.len()));
        }
    } else if flags.zero && !flags.minus && flags.width.is_some() {
        zero_pad = true;
    }
    let sign = sign(n < 0, flags);
    let text = format!("{sign}{prefix}{body}");
    let mut pad_flags = flags.clone();
    pad_flags.zero = zero_pad;
    if zero_pad && !prefix.is_empty() {
        // Zeros go between the prefix and the digits.
        let width = flags.width.unwrap_or(0);
        let len = text.chars().count();
        if len < width {
            let _ = write!(out, "{sign}{prefix}{}{body}", "0".repeat(width - len));
        } else {
            out.push_str(&text);
        }
        return;
    }
    pad(out, &text, &pad_flags, true);
}

/// The sign a number is printed with: `-`, or with the `+` / space flag `+` / ` `.
fn sign(negative: bool, flags: &Flags) -> &'static str {
    if negative {
        "-"
    } else if flags.plus {
        "+"
    } else if flags.space {
        " "
    } else {
        ""
    }
}

fn format_float(out: &mut String, f: f64, arg: Arg<'_>, verb: char, flags: &Flags) {
    if !matches!(verb, 'v' | 'g' | 'G' | 'e' | 'E' | 'f' | 'F') {
        return bad_verb(out, arg, verb);
    }
    if f.is_nan() || f.is_infinite() {
        let text = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        let mut no_zero = flags.clone();
        no_zero.zero = false;
        pad(out, text, &no_zero, false);
        return;
    }
    let magnitude = f.abs();
    let body = match verb {
        'v' | 'g' => format_g(magnitude, flags.precision),
        'G' => format_g(magnitude, flags.precision).to_uppercase(),
        'e' | 'E' => {
            let text = format_e(magnitude, flags.precision.unwrap_or(6));
            if verb == 'E' {
                text.to_uppercase()
            } else {
                text
            }
        }
        _ => format!("{magnitude:.*}", flags.precision.unwrap_or(6)),
    };
    let sign = sign(f.is_sign_negative(), flags);
    pad(out, &format!("{sign}{body}"), flags, true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(values: &[Value]) -> Vec<Arg<'_>> {
        values.iter().map(Arg::of).collect()
    }

    #[test]
    fn sprint_values_like_go() {
        assert_eq!(sprint_value(&json!(null)), "<nil>");
        assert_eq!(
            sprint_value(&json!([1, "a", true, null, 1.5])),
            "[1 a true <nil> 1.5]"
        );
        assert_eq!(
            sprint_value(&json!({"b": {"y": 1}, "a": [1e6, 0.0001]})),
            "map[a:[1e+06 0.0001] b:map[y:1]]"
        );
    }

    #[test]
    fn sprint_and_sprintln_spacing() {
        let v = [
            json!(1),
            json!(2),
            json!("a"),
            json!(3),
            json!("b"),
            json!("c"),
        ];
        assert_eq!(sprint(&args(&v)), "1 2a3bc");
        assert_eq!(sprintln(&args(&v)), "1 2 a 3 b c\n");
    }

    #[test]
    fn sprintf_verbs() {
        let v = [
            json!("pool"),
            json!(26),
            json!(true),
            json!(1.5),
            json!(["a", "b"]),
        ];
        let a = args(&v);
        assert_eq!(sprintf("%s/%d %t %v %v", &a), "pool/26 true 1.5 [a b]");
        assert_eq!(
            sprintf(
                "%q %5d|%-5d|%05d|%x|%X|%o|%b|%c|%U",
                &args(&[
                    json!("a\"b\n"),
                    json!(42),
                    json!(42),
                    json!(-42),
                    json!(255),
                    json!(255),
                    json!(8),
                    json!(5),
                    json!(65),
                    json!(0x1F600)
                ])
            ),
            "\"a\\\"b\\n\"    42|42   |-0042|ff|FF|10|101|A|U+1F600"
        );
        assert_eq!(
            sprintf(
                "%.2f %e %g %8.3f|%-8.1f|%+d",
                &args(&[
                    json!(1.23556),
                    json!(1234.5678),
                    json!(0.000012),
                    json!(2.5),
                    json!(2.25),
                    json!(7)
                ])
            ),
            "1.24 1.234568e+03 1.2e-05    2.500|2.2     |+7"
        );
        assert_eq!(
            sprintf(
                "%10s|%-6s|%.2s|%T|%T|%%",
                &args(&[
                    json!("right"),
                    json!("left"),
                    json!("truncate"),
                    json!([1]),
                    json!({})
                ])
            ),
            "     right|left  |tr|[]interface {}|map[string]interface {}|%"
        );
        assert_eq!(
            sprintf(
                "%*d|%-*d|",
                &args(&[json!(4), json!(7), json!(3), json!(1)])
            ),
            "   7|1  |"
        );
        assert_eq!(
            sprintf("%#x %#o %x", &args(&[json!(255), json!(8), json!("hi")])),
            "0xff 010 6869"
        );
    }

    #[test]
    fn sprintf_errors_like_go() {
        assert_eq!(sprintf("%d", &args(&[json!("x")])), "%!d(string=x)");
        assert_eq!(sprintf("%s", &args(&[json!(5)])), "%!s(int=5)");
        assert_eq!(sprintf("%d %s", &args(&[json!(1)])), "1 %!s(MISSING)");
        assert_eq!(
            sprintf("%d", &args(&[json!(1), json!("x"), json!(null)])),
            "1%!(EXTRA string=x, <nil>)"
        );
        assert_eq!(sprintf("%s", &[Arg::Nil]), "%!s(<nil>)");
        assert_eq!(
            sprintf("%d", &args(&[json!([1, "a"])])),
            "[1 %!d(string=a)]"
        );
        assert_eq!(sprintf("%t", &args(&[json!(1.5)])), "%!t(float64=1.5)");
        assert_eq!(sprintf("100%", &[]), "100%!(NOVERB)");
    }

    #[test]
    fn percent_rounds_half_to_even() {
        assert_eq!(no_decimals(37.5), "38");
        assert_eq!(no_decimals(62.5), "62");
        assert_eq!(no_decimals(0.5), "0");
        assert_eq!(no_decimals(1.5), "2");
        assert_eq!(no_decimals(99.99), "100");
        assert_eq!(no_decimals(0.0), "0");
        assert_eq!(no_decimals(7.8125), "8");
    }
}
