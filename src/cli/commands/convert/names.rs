//! The v3 names libcalico-go's v1 converters (`lib/upgrade/converters/names.go`) give
//! resources: normalised names, with a short hash of the original when normalising changed it.

use std::net::IpAddr;

/// Calico's `normalizeName`: lower case; `/` becomes `.`; a run of characters outside
/// `[-.a-z0-9]` becomes one `-`; a run of `-` and `.` holding a `.` becomes one `.`; leading and
/// trailing `-` and `.` are dropped.
pub(super) fn normalize(name: &str) -> String {
    let lower = name.to_lowercase().replace('/', ".");
    // Runs of characters outside the set become one dash.
    let mut dashed = String::with_capacity(lower.len());
    let mut in_run = false;
    for c in lower.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' {
            dashed.push(c);
            in_run = false;
        } else if !in_run {
            dashed.push('-');
            in_run = true;
        }
    }
    // Runs of [.-] holding at least one dot become one dot.
    let mut out = String::with_capacity(dashed.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.contains('.') {
            out.push('.');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in dashed.chars() {
        if c == '-' || c == '.' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out.trim_matches(['-', '.']).to_string()
}

/// Calico's `convertName`: the normalised name, qualified when it differs from `v1`.
pub(super) fn convert_name(v1: &str) -> String {
    qualified(v1, normalize(v1))
}

/// Calico's `convertNameNoDots`: as [`convert_name`], dots made dashes.
pub(super) fn convert_name_no_dots(v1: &str) -> String {
    qualified(v1, normalize(v1).replace('.', "-"))
}

/// Calico's `convertProfileName`: `k8s_ns.<ns>` becomes `kns.<ns>`, then [`convert_name`].
pub(super) fn convert_profile_name(v1: &str) -> String {
    match v1.strip_prefix("k8s_ns.") {
        Some(ns) => convert_name(&format!("kns.{ns}")),
        None => convert_name(v1),
    }
}

fn qualified(orig: &str, name: String) -> String {
    if orig == name {
        return name;
    }
    let digest = sha1(orig.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}-{hex}")
}

/// Calico's `convertIpToName`: `1-2-3-4`, or every 16-bit group of an IPv6 address in four
/// hex digits joined by dashes.
pub(super) fn ip_to_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string().replace('.', "-"),
        IpAddr::V6(v6) => v6
            .segments()
            .iter()
            .map(|s| format!("{s:04x}"))
            .collect::<Vec<_>>()
            .join("-"),
    }
}

/// SHA-1 (FIPS 180-4), for the 8-hex-digit qualifier of a changed name.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in chunk.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_vectors() {
        let hex = |d: [u8; 20]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(sha1(long)), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    }

    // The table of libcalico-go's names_test.go: (v1, v3, qualified).
    #[test]
    fn names_as_calico_converts_them() {
        for (v1, v3, changed) in [
            ("abcdef", "abcdef", false),
            ("Abcdef", "abcdef", true),
            ("abc---def", "abc---def", false),
            ("abc/def", "abc.def", true),
            ("abc$!$def", "abc-def", true),
            ("abc...def", "abc.def", true),
            ("abc-.-def", "abc.def", true),
            ("-.abc.def", "abc.def", true),
            ("abc.def.-", "abc.def", true),
            ("$ABC/DeF-123.-456!", "abc.def-123.456", true),
        ] {
            let got = convert_name(v1);
            if changed {
                assert_eq!(got, format!("{v3}-{}", hexed(v1)), "{v1}");
            } else {
                assert_eq!(got, v3, "{v1}");
            }
        }
        assert_eq!(
            convert_name_no_dots("abc-.def"),
            format!("abc-def-{}", hexed("abc-.def"))
        );
        assert_eq!(convert_name_no_dots("abc---def"), "abc---def");
        assert_eq!(
            ip_to_name("aa:bb::ff".parse().unwrap()),
            "00aa-00bb-0000-0000-0000-0000-0000-00ff"
        );
        assert_eq!(ip_to_name("1.2.3.4".parse().unwrap()), "1-2-3-4");
    }

    fn hexed(s: &str) -> String {
        sha1(s.as_bytes())[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
