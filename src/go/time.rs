//! Go's `time`: the formats Calico writes time stamps in, and the layouts Go's `time.Parse`
//! reads them with, without a date-time dependency.
//!
//! - `creationTimestamp`: RFC 3339 in UTC with second precision (`2026-08-22T10:00:00Z`);
//! - the CNI `timestamp` attribute: Go's `time.Now().UTC().String()`
//!   (`2026-08-22 10:00:01.234567891 +0000 UTC`);
//! - `parses_as`: whether `time.Parse` accepts a text in one of the layouts go-yaml v2
//!   tries on a plain scalar.
//!
//! `CALICO_TEST_NOW` (Unix seconds) pins "now" so that golden tests are repeatable.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The environment variable that pins the clock for tests (Unix seconds).
pub(crate) const TEST_NOW_ENV: &str = "CALICO_TEST_NOW";

/// The current time, or the pinned one.
pub fn now() -> SystemTime {
    if let Some(secs) = std::env::var(TEST_NOW_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return UNIX_EPOCH + Duration::from_secs(secs);
    }
    SystemTime::now()
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn split(t: SystemTime) -> (i64, u32, u32, u64, u64, u64, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, mo, da) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    (
        y,
        mo,
        da,
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_nanos(),
    )
}

/// RFC 3339, UTC, seconds: `2026-08-22T10:00:00Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, _) = split(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Go's `Time.String()` for a UTC time: `2026-08-22 10:00:01.234567891 +0000 UTC`
/// (trailing zeros of the fraction dropped, no fraction when it is zero).
pub fn go_utc_string(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, nanos) = split(t);
    let mut frac = String::new();
    if nanos != 0 {
        frac = format!(".{nanos:09}");
        while frac.ends_with('0') {
            frac.pop();
        }
    }
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac} +0000 UTC")
}

/// Nanoseconds since the Unix epoch (the start value of a block's sequence number).
pub(crate) fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The layouts [`parses_as`] knows, as Go writes them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `2006-1-2T15:4:5.999999999Z07:00`
    UpperT,
    /// `2006-1-2t15:4:5.999999999Z07:00`
    LowerT,
    /// `2006-1-2 15:4:5.999999999`
    Space,
    /// `2006-1-2`
    DateOnly,
}

/// Whether Go's `time.Parse(layout, s)` accepts `s`: the date must exist; hours, minutes and
/// seconds be in range; a fraction may follow the seconds; a space in the layout matches a
/// run of spaces.
pub(crate) fn parses_as(s: &str, layout: Layout) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut rest = b;
    let year = parse_digits(&b[..4]);
    rest = &rest[4..];
    let literal = |rest: &mut &[u8], c: u8| {
        if rest.first() == Some(&c) {
            *rest = &rest[1..];
            true
        } else {
            false
        }
    };
    if !literal(&mut rest, b'-') {
        return false;
    }
    let Some(month) = go_getnum(&mut rest) else {
        return false;
    };
    if !(1..=12).contains(&month) || !literal(&mut rest, b'-') {
        return false;
    }
    let Some(day) = go_getnum(&mut rest) else {
        return false;
    };
    if layout != Layout::DateOnly {
        let separator_ok = match layout {
            Layout::UpperT => literal(&mut rest, b'T'),
            Layout::LowerT => literal(&mut rest, b't'),
            _ => {
                // A space in the layout matches a run of spaces.
                if rest.first().is_some_and(|&c| c != b' ') {
                    return false;
                }
                while rest.first() == Some(&b' ') {
                    rest = &rest[1..];
                }
                true
            }
        };
        if !separator_ok {
            return false;
        }
        for (limit, separator) in [(24, Some(b':')), (60, Some(b':')), (60, None)] {
            match go_getnum(&mut rest) {
                Some(n) if n < limit => {}
                _ => return false,
            }
            if let Some(separator) = separator
                && !literal(&mut rest, separator)
            {
                return false;
            }
        }
        // Optional fraction: a point or comma and any number of digits.
        if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
            rest = &rest[1..];
            while rest.first().is_some_and(u8::is_ascii_digit) {
                rest = &rest[1..];
            }
        }
        if matches!(layout, Layout::UpperT | Layout::LowerT) {
            if rest.first() == Some(&b'Z') {
                rest = &rest[1..];
            } else {
                if rest.len() < 6
                    || rest[3] != b':'
                    || !matches!(rest[0], b'+' | b'-')
                    || !rest[1..3].iter().all(u8::is_ascii_digit)
                    || !rest[4..6].iter().all(u8::is_ascii_digit)
                {
                    return false;
                }
                // Offsets of 24 hours or 60 minutes are accepted.
                if parse_digits(&rest[1..3]) > 24 || parse_digits(&rest[4..6]) > 60 {
                    return false;
                }
                rest = &rest[6..];
            }
        }
    }
    rest.is_empty() && day >= 1 && day <= days_in_month(month, year)
}

/// Go's `getnum(s, false)`: one or two digits.
fn go_getnum(rest: &mut &[u8]) -> Option<u32> {
    let first = *rest.first().filter(|c| c.is_ascii_digit())?;
    match rest.get(1).filter(|c| c.is_ascii_digit()) {
        Some(&second) => {
            *rest = &rest[2..];
            Some(u32::from(first - b'0') * 10 + u32::from(second - b'0'))
        }
        None => {
            *rest = &rest[1..];
            Some(u32::from(first - b'0'))
        }
    }
}

fn parse_digits(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::new(1_787_392_801, 234_567_890);
        assert_eq!(rfc3339(t), "2026-08-22T10:00:01Z");
        assert_eq!(go_utc_string(t), "2026-08-22 10:00:01.23456789 +0000 UTC");
    }

    #[test]
    fn layouts_parse_as_go_time_parse_does() {
        assert!(parses_as("2026-1-2", Layout::DateOnly));
        assert!(parses_as("2024-02-29", Layout::DateOnly));
        assert!(!parses_as("2023-02-29", Layout::DateOnly));
        assert!(!parses_as("2026-13-01", Layout::DateOnly));
        assert!(!parses_as("202-01-01", Layout::DateOnly));
        assert!(parses_as("2026-01-02T03:04:05Z", Layout::UpperT));
        assert!(!parses_as("2026-01-02T03:04:05Z", Layout::LowerT));
        assert!(parses_as("2026-01-02t03:04:05,5-24:00", Layout::LowerT));
        assert!(!parses_as("2026-01-02T24:00:00Z", Layout::UpperT));
        assert!(parses_as("2026-01-02   3:4:5.25", Layout::Space));
        assert!(!parses_as("2026-01-02 03:04:05Z", Layout::Space));
    }
}
