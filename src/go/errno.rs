//! Go's words for system errors (`syscall.Errno`'s text).

/// An I/O error's reason as Go's `syscall.Errno` words it: `no such file or directory`,
/// `permission denied`, `is a directory` (the system's text, lower-cased, without Rust's
/// ` (os error N)`); other errors as they are.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    if e.raw_os_error().is_none() {
        return text;
    }
    let reason = text
        .rsplit_once(" (os error")
        .map_or(text.as_str(), |(r, _)| r);
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn os_errors_read_as_go_words_them() {
        // ENOENT and EACCES are 2 and 13 on Linux.
        assert_eq!(
            io_reason(&io::Error::from_raw_os_error(2)),
            "no such file or directory"
        );
        assert_eq!(
            io_reason(&io::Error::from_raw_os_error(13)),
            "permission denied"
        );
        // Errors that did not come from the system keep their text.
        assert_eq!(
            io_reason(&io::Error::other("Broken (os error 9)")),
            "Broken (os error 9)"
        );
    }
}
