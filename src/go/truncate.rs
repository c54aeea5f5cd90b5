//! calicoctl's `joinAndTruncate` (its table columns and the `join` / `joinAndTruncate`
//! template functions).

/// The panic of Go's `bytes.Buffer.Truncate` when a limit below 3 leaves no room for `...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruncationOutOfRange;

impl std::fmt::Display for TruncationOutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bytes.Buffer: truncation out of range")
    }
}

impl std::error::Error for TruncationOutOfRange {}

/// calicoctl's `joinAndTruncate`: the items joined by `separator`; when `max_len` is above
/// zero and the text grows longer than `max_len` bytes, it is cut to `max_len - 3` bytes and
/// `...` appended, and the items after that are not looked at.
///
/// calicoctl cuts bytes, which can split a multi-byte character; a Rust string cannot hold
/// half a character, so the cut moves back to the start of that character (one to three
/// bytes shorter than calicoctl's, and valid UTF-8). Text that is all ASCII is cut exactly
/// where calicoctl cuts it.
///
/// ```
/// use calico::go::join_and_truncate;
/// let cidrs = ["10.0.0.0/24", "10.0.1.0/24"];
/// assert_eq!(join_and_truncate(cidrs, ",", 0).unwrap(), "10.0.0.0/24,10.0.1.0/24");
/// assert_eq!(join_and_truncate(cidrs, ",", 16).unwrap(), "10.0.0.0/24,1...");
/// ```
pub fn join_and_truncate<I, S>(
    items: I,
    separator: &str,
    max_len: i64,
) -> Result<String, TruncationOutOfRange>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(item.as_ref());
        if max_len > 0 && out.len() as i64 > max_len {
            let mut cut = usize::try_from(max_len - 3).map_err(|_| TruncationOutOfRange)?;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push_str("...");
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_without_a_limit() {
        assert_eq!(
            join_and_truncate(["a", "b", "c"], ", ", 0).unwrap(),
            "a, b, c"
        );
        assert_eq!(join_and_truncate(Vec::<String>::new(), ",", 5).unwrap(), "");
    }

    #[test]
    fn cuts_bytes_and_keeps_the_limit() {
        let long: Vec<String> = (0..20).map(|i| format!("10.0.{i}.0/24")).collect();
        let text = join_and_truncate(&long, ",", 80).unwrap();
        assert_eq!(text.len(), 80);
        assert!(text.ends_with("..."));
        assert!(long.join(",").starts_with(&text[..77]));
        // Exactly at the limit: not cut.
        assert_eq!(join_and_truncate(["abcde"], ",", 5).unwrap(), "abcde");
        assert_eq!(join_and_truncate(["abcdef"], ",", 5).unwrap(), "ab...");
    }

    #[test]
    fn the_cut_counts_bytes_not_characters() {
        // "é" is two bytes: 5 characters but 10 bytes, so a limit of 8 cuts after 5 bytes,
        // in the middle of the third "é", and the cut moves back to its start.
        assert_eq!(join_and_truncate(["ééééé"], ",", 8).unwrap(), "éé...");
        assert_eq!(join_and_truncate(["aéééé"], ",", 8).unwrap(), "aéé...");
    }

    #[test]
    fn a_limit_below_three_is_gos_truncation_panic() {
        assert_eq!(
            join_and_truncate(["abcd"], ",", 2),
            Err(TruncationOutOfRange)
        );
        assert_eq!(
            TruncationOutOfRange.to_string(),
            "bytes.Buffer: truncation out of range"
        );
        // Short enough text never reaches the cut.
        assert_eq!(join_and_truncate(["a"], ",", 2).unwrap(), "a");
    }
}
