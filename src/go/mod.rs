//! What Calico's output owes to Go: the one place that knows Go's formatting rules.
//!
//! calicoctl, the CNI plugin and Felix are Go programs, so the bytes they print and store
//! follow Go's standard library. Each module here is named after the Go package whose rules
//! it follows, and uses nothing else in the crate:
//! - [`strconv`]: `FormatFloat` (`%g`, `%e`), `Atoi`, `ParseInt`, `ParseUint`, `ParseFloat`,
//!   `Quote`;
//! - [`fmt`]: `Sprint`, `Sprintln`, `Sprintf` over JSON-shaped values, and `%.5g` / `%.f`;
//! - [`json`]: `encoding/json`'s output (escapes, floats) and error texts;
//! - [`time`]: time stamps as Calico writes them, and `time.Parse` layouts;
//! - `duration`: `time.Duration`'s text (`time.ParseDuration`, `Duration.String()`);
//! - [`errno`]: system errors in Go's words;
//! - [`yaml`]: go-yaml v2's resolution of plain scalars (what `yes` or `0x1f` reads as);
//! - [`join_and_truncate`]: calicoctl's own `joinAndTruncate` template function.

pub(crate) mod duration;
pub mod errno;
pub mod fmt;
pub mod json;
pub mod strconv;
pub mod time;
mod truncate;
pub mod yaml;

pub use truncate::{TruncationOutOfRange, join_and_truncate};
