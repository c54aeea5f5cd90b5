//! Rendering: calicoctl's tables, Go-compatible YAML and JSON, templates.
//!
//! Go's own rules (number formats, `fmt`, JSON escapes) live in [`crate::go`].
//! Everything here is a pure function over strings and `serde_json::Value`s; nothing reads
//! the datastore or writes to stdout. The edges pick a renderer from `-o` and print its result.
//! - [`table`]: Go `text/tabwriter` tables (`-o ps|wide|custom-columns`) and tablewriter's
//!   ASCII tables (`ipam show`);
//! - [`yaml`]: `-o yaml` exactly as calicoctl's JSON-then-go-yaml-v2 conversion prints it, and
//!   `-o json`;
//! - [`template`]: Go `text/template` for `-o go-template=` and `go-template-file=`;
//! - [`jsonpath`]: kubectl-style JSONPath (`-o jsonpath=`), an extension beyond calicoctl.

pub mod jsonpath;
pub mod table;
pub mod template;
pub mod yaml;

pub use jsonpath::JsonPathError;
pub use table::{ascii_table, tabwriter};
pub use template::TemplateError;
pub use yaml::{to_json, to_yaml};
