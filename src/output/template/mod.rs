//! Go `text/template` for `-o go-template=` and `-o go-template-file=`.
//!
//! calicoctl executes the user's template (named `get`) over Go values: a
//! `[]runtime.Object` holding `*v3.IPPoolList`, `*v3.IPPool`, ... We execute it over the
//! same data as JSON, each value carrying its Go type from `model::gotypes`, so that:
//! - a field is the Go struct's field, matched exactly (`.Spec.CIDR`, not `.Spec.cidr`);
//!   embedded `TypeMeta`/`ObjectMeta`/`ListMeta` fields are promoted (`.Name`, `.Kind`);
//! - a field the struct lacks fails as Go fails: `can't evaluate field Bogus in type
//!   v3.IPPoolSpec`, `nil pointer evaluating *v3.NodeBGPSpec.IPv4Address`; errors carry
//!   Go's `get:LINE:COL` position;
//! - a missing map key (labels, annotations) is "no value" and prints `<no value>`;
//! - a field JSON omits as empty has Go's zero value (`false`, `0`, ``, `map[]`, `[]`,
//!   `<nil>` for a nil pointer); timestamps print as Go's `Time.String()` in UTC.
//!
//! Supported: text and actions with `{{-`/`-}}` trimming and `{{/* comments */}}`; `.`,
//! field chains, `$`, variables (`:=`, `=`, `range $i, $e :=`); `if`/`else if`/`else`,
//! `range`/`else` with `break`/`continue`, `with`/`else with`; pipelines and parenthesised
//! pipelines; the builtins `and or not len index slice print printf println eq ne lt le gt
//! ge html js urlquery`; and calicoctl's `join`, `joinAndTruncate` and `config`.
//! Not supported: `define`, `template`, `block`, `call`, and methods (`.GetName`). A pointer
//! inside a printed struct prints as `&` and its target where Go prints an address.
//!
//! The work is done in stages, one file each: `lex` cuts the text into items, `parse`
//! builds the tree of `ast`, `exec` walks it over `value`s, calling the builtins of
//! `funcs`; `error` holds Go's error messages.

mod ast;
mod error;
mod exec;
mod funcs;
mod lex;
mod parse;
#[cfg(test)]
mod tests;
mod value;

pub use error::TemplateError;
pub(crate) use exec::ConfigLookup;

use ast::Node;
use serde_json::Value;

/// Parses `template` and executes it over `data`.
///
/// ```
/// let data = serde_json::json!([{"kind": "IPPoolList", "items": [
///     {"metadata": {"name": "a"}, "spec": {"cidr": "10.0.0.0/16"}},
///     {"metadata": {"name": "b"}, "spec": {"cidr": "10.1.0.0/16"}}]}]);
/// let out = calico::output::template::render(
///     "{{range .}}{{range .Items}}{{.ObjectMeta.Name}}={{.Spec.CIDR}},{{end}}{{end}}", &data);
/// assert_eq!(out.unwrap(), "a=10.0.0.0/16,b=10.1.0.0/16,");
/// ```
pub fn render(template: &str, data: &Value) -> Result<String, TemplateError> {
    Template::parse(template)?.execute(data)
}

/// A parsed template.
#[derive(Debug)]
pub(crate) struct Template {
    root: Vec<Node>,
    /// The template's text, for the line and column of execution errors.
    text: String,
    /// Go's `missingkey=error`: a missing map key fails instead of printing `<no value>`.
    missing_key_error: bool,
}

impl Template {
    /// Parses `text`; errors carry the line number.
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        Ok(Template {
            root: parse::parse(text)?,
            text: text.to_string(),
            missing_key_error: false,
        })
    }

    /// Go's `Option("missingkey=error")`: a missing map key (a label, an annotation) fails
    /// with `map has no entry for key "x"` instead of printing `<no value>`.
    pub(crate) fn missing_key_error(mut self, yes: bool) -> Self {
        self.missing_key_error = yes;
        self
    }

    /// Executes the template over `data`; the `config` function then fails.
    pub(crate) fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        self.execute_with_config(data, None)
    }

    /// Executes the template over `data`, answering `config "<name>"` with `config`.
    pub(crate) fn execute_with_config(
        &self,
        data: &Value,
        config: Option<ConfigLookup<'_>>,
    ) -> Result<String, TemplateError> {
        exec::execute(&self.root, &self.text, self.missing_key_error, data, config)
    }
}
