//! Go's `strconv`: number formats (`FormatFloat` with `'g'` and `'e'`), number parsers
//! (`Atoi`, `ParseInt`, `ParseUint`, `ParseFloat`) and quoting (`Quote`, `QuoteRune`).
//!
//! Every float formatter here takes Rust's exact decimal expansion (`{:e}`, shortest or
//! rounded half to even) and lays the digits out as Go does.

use std::fmt::Write as _;

/// Go's `strconv.FormatFloat(x, 'g', precision, 64)`; `None` is the shortest representation
/// that reads back as `x` (precision -1, as `%v` uses).
pub(crate) fn format_g(x: f64, precision: Option<usize>) -> String {
    if let Some(special) = special(x) {
        return special.to_string();
    }
    let negative = x.is_sign_negative();
    let (digits, point) = decimal_digits(x.abs(), precision);
    let nd = digits.len();
    // `eprec` decides between %e and %f, exactly as strconv does.
    let (prec, eprec) = match precision {
        None => (nd, 6),
        Some(p) => {
            let p = p.max(1);
            let eprec = if p > nd && nd as i64 >= point { nd } else { p };
            (p, eprec)
        }
    };
    let exp = point - 1;
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp < -4 || exp >= eprec as i64 {
        let decimals = prec.min(nd).saturating_sub(1);
        write_e(&mut out, &digits, point, decimals);
    } else {
        let prec = if (prec as i64) > point { nd } else { prec };
        let decimals = (prec as i64 - point).max(0) as usize;
        write_f(&mut out, &digits, point, decimals);
    }
    out
}

/// Go's `strconv.FormatFloat(x, 'e', precision, 64)` (`%.<precision>e`): `1.500000e+00`.
pub(crate) fn format_e(x: f64, precision: usize) -> String {
    if let Some(special) = special(x) {
        return special.to_string();
    }
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    let (digits, point) = decimal_digits(x.abs(), Some(precision + 1));
    write_e(&mut out, &digits, point, precision);
    out
}

/// `NaN`, `+Inf` and `-Inf` as Go formats them; `None` for a finite number.
fn special(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("NaN")
    } else if x.is_infinite() {
        Some(if x > 0.0 { "+Inf" } else { "-Inf" })
    } else {
        None
    }
}

/// Decimal digits of `x` (no trailing zeros; empty for zero) and the position of the decimal
/// point: `x = 0.d1d2d3… × 10^point`. With a precision, the digits are rounded to that many
/// significant digits (ties to even, on the exact binary value).
fn decimal_digits(x: f64, precision: Option<usize>) -> (Vec<u8>, i64) {
    if x == 0.0 {
        return (Vec::new(), 0);
    }
    let formatted = match precision {
        None => format!("{x:e}"),
        Some(p) => format!("{x:.*e}", p.max(1) - 1),
    };
    let (mantissa, exponent) = formatted
        .split_once('e')
        .expect("Rust's {:e} output has an exponent");
    let exponent: i64 = exponent.parse().expect("the exponent is an integer");
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exponent + 1)
}

fn write_e(out: &mut String, digits: &[u8], point: i64, decimals: usize) {
    let digit = |i: usize| digits.get(i).map_or('0', |&d| d as char);
    out.push(if digits.is_empty() { '0' } else { digit(0) });
    if decimals > 0 {
        out.push('.');
        for i in 1..=decimals {
            out.push(digit(i));
        }
    }
    let exp = if digits.is_empty() { 0 } else { point - 1 };
    let sign = if exp < 0 { '-' } else { '+' };
    let _ = write!(out, "e{sign}{:02}", exp.abs());
}

fn write_f(out: &mut String, digits: &[u8], point: i64, decimals: usize) {
    let digit = |i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .map_or('0', |&d| d as char)
    };
    if point > 0 {
        for i in 0..point {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if decimals > 0 {
        out.push('.');
        for i in 0..decimals as i64 {
            out.push(digit(point + i));
        }
    }
}

/// Go's `strconv.Quote` (with `ascii_only`, `QuoteToASCII`).
pub(crate) fn quote(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape_char(&mut out, c, '"', ascii_only);
    }
    out.push('"');
    out
}

/// Go's `strconv.Atoi` on a 64-bit platform: an optional sign and decimal digits, with Go's
/// error text (`strconv.Atoi: parsing "<s>": invalid syntax` or `...: value out of range`).
/// As in Go, the digits are read as an unsigned magnitude first, so a syntax error after a
/// magnitude that only overflows `int64` is still a syntax error.
pub(crate) fn atoi(s: &str) -> Result<i64, String> {
    let fail = |why: &str| format!("strconv.Atoi: parsing {}: {why}", quote(s, false));
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(fail("invalid syntax"));
    }
    let mut magnitude: u64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return Err(fail("invalid syntax"));
        }
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(c - b'0')))
            .ok_or_else(|| fail("value out of range"))?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
    .ok_or_else(|| fail("value out of range"))
}

pub(crate) fn quote_rune(c: char) -> String {
    let mut out = String::from("'");
    escape_char(&mut out, c, '\'', false);
    out.push('\'');
    out
}

fn escape_char(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_go_print(c) && (!ascii_only || c.is_ascii()) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// Go's `strconv.IsPrint` (`unicode.IsPrint`), approximated: graphic characters and the ASCII space, but not
/// other spaces, controls or format characters.
pub(crate) fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !(u == 0xad
        || (0x200b..=0x200f).contains(&u)
        || (0x2028..=0x202e).contains(&u)
        || (0x2060..=0x206f).contains(&u)
        || u == 0xfeff
        || (0xfff9..=0xfffb).contains(&u)
        || (0xe000..=0xf8ff).contains(&u)
        || u >= 0xf0000)
}

/// Go's `strconv.ParseUint(s, base, 64)`; base 0 reads `0x`, `0o`, `0b` and leading-zero
/// octal prefixes.
pub(crate) fn parse_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (base, digits) = if base != 0 {
        (base, s)
    } else if let Some(rest) = s.strip_prefix('0') {
        let prefix = rest.as_bytes().first().map(u8::to_ascii_lowercase);
        match prefix {
            Some(b'b') if s.len() >= 3 => (2, &s[2..]),
            Some(b'o') if s.len() >= 3 => (8, &s[2..]),
            Some(b'x') if s.len() >= 3 => (16, &s[2..]),
            _ => (8, rest),
        }
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(36)?;
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, base, 64)`.
pub(crate) fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint(rest, base)?;
    if negative {
        if magnitude > 1 << 63 {
            return None;
        }
        Some((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal input: digits with at most one point, an
/// optional exponent, underscores only between digits; overflow is an error.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut saw_digits = false;
    let mut saw_dot = false;
    while i < b.len() {
        match b[i] {
            b'_' => {}
            b'.' if !saw_dot => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    if i < b.len() && (b[i] | 0x20) == b'e' {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !matches!(b.get(i), Some(b'0'..=b'9')) {
            return None;
        }
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    if i != b.len() || (s.contains('_') && !underscores_ok(s)) {
        return None;
    }
    let value: f64 = s.replace('_', "").parse().ok()?;
    value.is_finite().then_some(value)
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
pub(crate) fn underscores_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if matches!(b.first(), Some(b'+' | b'-')) {
        b = &b[1..];
    }
    // What the last character was: '^' start, '0' digit or prefix, '_' underscore, '!' other.
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1] | 0x20 == b'x';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g5_matches_go() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (256.0, "256"),
            (64.0, "64"),
            (65536.0, "65536"),
            (65531.0, "65531"),
            (100000.0, "1e+05"),
            (131072.0, "1.3107e+05"),
            (16777216.0, "1.6777e+07"),
            (18446744073709551616.0, "1.8447e+19"),
            (2f64.powi(80), "1.2089e+24"),
            (2f64.powi(128), "3.4028e+38"),
            (123455.0, "1.2346e+05"),
            (123445.0, "1.2344e+05"),
            (99999.5, "1e+05"),
            (0.5, "0.5"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (-42.0, "-42"),
            (1.5, "1.5"),
        ];
        for &(x, want) in cases {
            assert_eq!(format_g(x, Some(5)), want, "{x}");
        }
    }

    #[test]
    fn shortest_g_matches_go() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (1.0, "1"),
            (0.5, "0.5"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.5, "1.2345675e+06"),
            (1e21, "1e+21"),
            (1e-7, "1e-07"),
            (0.0001, "0.0001"),
            (-2.25, "-2.25"),
            (1e100, "1e+100"),
        ];
        for &(x, want) in cases {
            assert_eq!(format_g(x, None), want, "{x}");
        }
    }

    #[test]
    fn shortest_g_of_the_values_yaml_decodes() {
        // What calicoctl's YAML wrapper makes of a float where a string belongs.
        for (f, want) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e6, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1.1, "1.1"),
            (-0.0, "-0"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_g(f, None), want, "{f}");
        }
    }

    #[test]
    fn e_format_matches_go() {
        for (x, precision, want) in [
            (1234.5678, 6, "1.234568e+03"),
            (1.5, 6, "1.500000e+00"),
            (0.0, 6, "0.000000e+00"),
            (0.000123, 2, "1.23e-04"),
            (-2.5, 1, "-2.5e+00"),
            (9.96, 1, "1.0e+01"),
            (1e100, 0, "1e+100"),
            (f64::NAN, 6, "NaN"),
        ] {
            assert_eq!(format_e(x, precision), want, "{x} {precision}");
        }
    }

    #[test]
    fn float_and_int_parsers_follow_go() {
        assert_eq!(parse_int("-9223372036854775808", 0), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808", 0), None);
        assert_eq!(parse_uint("0", 0), Some(0));
        assert_eq!(parse_uint("0x", 0), None);
        assert_eq!(parse_uint("0b1", 0), Some(1));
        assert_eq!(parse_float("1_0.5"), Some(10.5));
        assert_eq!(parse_float("1__0"), None);
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("1e"), None);
        assert!(underscores_ok("0x_1f"));
        assert!(!underscores_ok("_1"));
    }

    #[test]
    fn atoi_like_strconv() {
        assert_eq!(atoi("42"), Ok(42));
        assert_eq!(atoi("+3"), Ok(3));
        assert_eq!(atoi("-2"), Ok(-2));
        assert_eq!(atoi("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(atoi("9223372036854775807"), Ok(i64::MAX));
        let err = |s: &str, why: &str| Err(format!("strconv.Atoi: parsing {s}: {why}"));
        assert_eq!(
            atoi("9223372036854775808"),
            err("\"9223372036854775808\"", "value out of range")
        );
        assert_eq!(
            atoi("-9223372036854775809"),
            err("\"-9223372036854775809\"", "value out of range")
        );
        assert_eq!(
            atoi("99999999999999999999x"),
            err("\"99999999999999999999x\"", "value out of range")
        );
        assert_eq!(
            atoi("10000000000000000000x"),
            err("\"10000000000000000000x\"", "invalid syntax")
        );
        for bad in ["", "+", "-", "+-1", " 1", "1_000", "0x10", "1.0"] {
            assert_eq!(
                atoi(bad),
                err(&quote(bad, false), "invalid syntax"),
                "{bad:?}"
            );
        }
        assert_eq!(atoi("2\""), err("\"2\\\"\"", "invalid syntax"));
    }

    #[test]
    fn quoting_like_strconv() {
        assert_eq!(
            quote("tab\there é \u{1} \u{7f} \u{a0} 😀", false),
            "\"tab\\there é \\x01 \\x7f \\u00a0 😀\""
        );
        assert_eq!(quote("é", true), "\"\\u00e9\"");
        assert_eq!(quote_rune('\''), "'\\''");
    }
}
