//! Go's `time.Duration` text: `time.ParseDuration` and `Duration.String()`, the forms of
//! `metav1.Duration` fields in Calico's resources (`90s` is stored and shown as `1m30s`).

/// Nanoseconds in each unit `time.ParseDuration` accepts.
const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// `time.ParseDuration`: nanoseconds, or Go's error text
/// (`time: invalid duration "x"`, `time: missing unit in duration "1"`,
/// `time: unknown unit "d" in duration "1d"`).
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let quoted = super::strconv::quote(text, false);
    let invalid = || format!("time: invalid duration {quoted}");
    let mut s = text;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (whole, rest) = s.split_at(digits);
        let mut value: u64 = 0;
        for b in whole.bytes() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or_else(invalid)?;
        }
        s = rest;
        let mut frac: u64 = 0;
        let mut scale: u64 = 1;
        let mut frac_digits = 0;
        if let Some(rest) = s.strip_prefix('.') {
            frac_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (f, rest) = rest.split_at(frac_digits);
            let mut overflow = false;
            for b in f.bytes() {
                if overflow {
                    continue;
                }
                match frac
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .zip(scale.checked_mul(10))
                {
                    Some((v, sc)) => (frac, scale) = (v, sc),
                    None => overflow = true,
                }
            }
            s = rest;
        }
        if digits == 0 && frac_digits == 0 {
            return Err(invalid());
        }
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {quoted}"));
        }
        let (unit, rest) = s.split_at(unit_len);
        let Some(&(_, per)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            let unit = super::strconv::quote(unit, false);
            return Err(format!("time: unknown unit {unit} in duration {quoted}"));
        };
        s = rest;
        let mut v = value.checked_mul(per).ok_or_else(invalid)?;
        if frac > 0 {
            // The fraction's share, rounded down as Go's float step truncates it.
            let share = (u128::from(frac) * u128::from(per) / u128::from(scale)) as u64;
            v = v.checked_add(share).ok_or_else(invalid)?;
        }
        total = total.checked_add(v).ok_or_else(invalid)?;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if negative {
        Ok(0i64.wrapping_sub_unsigned(total))
    } else {
        i64::try_from(total).map_err(|_| invalid())
    }
}

/// `Duration.String()`: `0s`, `1.5s`, `500ms`, `2h45m10s`.
pub(crate) fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    let text = if u < 1_000_000_000 {
        let (unit, per, digits) = match u {
            0..1_000 => ("ns", 1, 0),
            1_000..1_000_000 => ("\u{b5}s", 1_000, 3),
            _ => ("ms", 1_000_000, 6),
        };
        format!("{}{unit}", with_fraction(u / per, u % per, digits))
    } else {
        let secs = u / 1_000_000_000;
        let seconds = with_fraction(secs % 60, u % 1_000_000_000, 9);
        let (hours, minutes) = (secs / 3600, secs / 60 % 60);
        if hours > 0 {
            format!("{hours}h{minutes}m{seconds}s")
        } else if minutes > 0 {
            format!("{minutes}m{seconds}s")
        } else {
            format!("{seconds}s")
        }
    };
    format!("{sign}{text}")
}

/// `whole.frac` with the fraction's trailing zeros (and a bare dot) dropped.
fn with_fraction(whole: u64, frac: u64, digits: usize) -> String {
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:0digits$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_go() {
        assert_eq!(parse_duration("90s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("-1m30s"), Ok(-90_000_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("2\u{b5}s"), Ok(2_000));
        assert_eq!(parse_duration(".5s"), Ok(500_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(
            parse_duration("abc").unwrap_err(),
            "time: invalid duration \"abc\""
        );
        assert_eq!(
            parse_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_duration("1d").unwrap_err(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_duration("").unwrap_err(),
            "time: invalid duration \"\""
        );
        assert!(parse_duration("9999999999h").is_err());
    }

    #[test]
    fn formats_as_go() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(90_000_000_000), "1m30s");
        assert_eq!(format_duration(125_000_000_000), "2m5s");
        assert_eq!(format_duration(9_910_000_000_000), "2h45m10s");
        assert_eq!(format_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(500_000_000), "500ms");
        assert_eq!(format_duration(1_500), "1.5\u{b5}s");
        assert_eq!(format_duration(7), "7ns");
        assert_eq!(format_duration(-5_000_000_000), "-5s");
    }

    #[test]
    fn durations_as_go_parses_and_prints_them() {
        for (text, want) in [
            ("120s", "2m0s"),
            ("2m", "2m0s"),
            ("1h", "1h0m0s"),
            ("1.5s", "1.5s"),
            ("300ms", "300ms"),
            ("1h30m", "1h30m0s"),
            ("-90s", "-1m30s"),
            ("0", "0s"),
            ("1500us", "1.5ms"),
            ("5ns", "5ns"),
        ] {
            assert_eq!(
                format_duration(parse_duration(text).unwrap()),
                want,
                "{text}"
            );
        }
        assert_eq!(
            parse_duration("abc").unwrap_err(),
            "time: invalid duration \"abc\""
        );
        assert_eq!(
            parse_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_duration("1d").unwrap_err(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_duration("").unwrap_err(),
            "time: invalid duration \"\""
        );
    }
}
