//! Rendering: calicoctl's tables, Go-compatible YAML and JSON, templates.
//!
//! Everything here is a pure function over strings and `serde_json::Value`s; nothing reads
//! the datastore or writes to stdout. The edges pick a renderer from `-o` and print its result.
//! - [`table`]: Go `text/tabwriter` tables (`-o ps|wide|custom-columns`), tablewriter's ASCII
//!   tables (`ipam show`) and Go's `%.5g` / `%.f` number formats;
//! - [`yaml`]: `-o yaml` exactly as calicoctl's JSON-then-go-yaml-v2 conversion prints it, and
//!   `-o json`;
//! - [`template`]: Go `text/template` for `-o go-template=` and `go-template-file=`;
//! - [`jsonpath`]: kubectl-style JSONPath (`-o jsonpath=`), an extension beyond calicoctl.

mod gofmt;
pub mod jsonpath;
pub mod table;
pub mod template;
pub mod yaml;

pub(crate) use gofmt::{go_atoi, go_io_reason};
pub use jsonpath::JsonPathError;
pub use table::{ascii_table, go_g5, go_percent, tabwriter};
pub use template::TemplateError;
pub use yaml::{to_json, to_yaml};
