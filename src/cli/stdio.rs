//! Standard output and error as a Go program has them: a write to a closed pipe on either ends
//! the process quietly, killed by `SIGPIPE` (a shell shows status 141), with nothing printed.
//!
//! Rust ignores `SIGPIPE`, so a write to a closed pipe is an `EPIPE` error, which `print!`
//! turns into a panic and `?` into an error message. Every output path of the three programs
//! writes through [`Stdout`] / [`Stderr`] (or [`out`] / [`err`]) instead; on `EPIPE` they
//! restore `SIGPIPE`'s default disposition and raise it, as the Go runtime does for file
//! descriptors 1 and 2. Other pipes (an `nft` child's stdin, sockets) keep Rust's behaviour:
//! `EPIPE` is an ordinary error there, as in Go.

use std::io::{self, Write};

/// Ends the process the way a Go program ends on a write to a closed stdout or stderr.
pub(crate) fn die_of_sigpipe() -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGPIPE);
    // Only reached if the signal could not be raised: the shell's status for it.
    signal_hook::low_level::exit(128 + signal_hook::consts::SIGPIPE)
}

/// Passes a write's result on, except `EPIPE`, which ends the process.
fn check<T>(result: io::Result<T>) -> io::Result<T> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => die_of_sigpipe(),
        other => other,
    }
}

/// The process's standard output; a closed pipe ends the process quietly.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        check(io::stdout().lock().write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        check(io::stdout().lock().write_all(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        check(io::stdout().lock().flush())
    }
}

/// The process's standard error; a closed pipe ends the process quietly.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        check(io::stderr().lock().write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        check(io::stderr().lock().write_all(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        check(io::stderr().lock().flush())
    }
}

/// Writes `text` to standard output and flushes it (other write errors are ignored: there is
/// nowhere left to report them).
pub(crate) fn out(text: &str) {
    let mut s = Stdout;
    let _ = s.write_all(text.as_bytes());
    let _ = s.flush();
}

/// Writes `text` to standard error.
pub(crate) fn err(text: &str) {
    let _ = Stderr.write_all(text.as_bytes());
}

/// Prints a clap error (help, version or a usage error) where clap would; a closed pipe ends
/// the process quietly.
pub(crate) fn print_clap(e: &clap::Error) {
    let _ = check(e.print());
}
