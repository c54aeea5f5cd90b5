//! Time stamps in the formats Calico writes, without a date-time dependency.
//!
//! - `creationTimestamp`: RFC 3339 in UTC with second precision (`2026-08-22T10:00:00Z`);
//! - the CNI `timestamp` attribute: Go's `time.Now().UTC().String()`
//!   (`2026-08-22 10:00:01.234567891 +0000 UTC`).
//!
//! `CALICO_TEST_NOW` (Unix seconds) pins "now" so that golden tests are repeatable.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The environment variable that pins the clock for tests (Unix seconds).
pub const TEST_NOW_ENV: &str = "CALICO_TEST_NOW";

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

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
pub fn rfc3339(t: SystemTime) -> String {
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

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` into a time.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b't') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest[1..3].parse::<i64>().ok()? * 3600 + rest[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    let total = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    u64::try_from(total)
        .ok()
        .map(|t| UNIX_EPOCH + Duration::from_secs(t))
}

/// Nanoseconds since the Unix epoch (the start value of a block's sequence number).
pub fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::new(1_787_392_801, 234_567_890);
        assert_eq!(rfc3339(t), "2026-08-22T10:00:01Z");
        assert_eq!(go_utc_string(t), "2026-08-22 10:00:01.23456789 +0000 UTC");
        assert_eq!(
            parse_rfc3339("2026-08-22T10:00:01Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_787_392_801))
        );
        assert_eq!(
            parse_rfc3339("2026-08-22T12:00:01+02:00"),
            Some(UNIX_EPOCH + Duration::from_secs(1_787_392_801))
        );
        assert_eq!(parse_rfc3339("garbage"), None);
    }
}
