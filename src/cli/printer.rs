//! calicoctl's `-o` formats: `ps` and `wide` tables, `custom-columns=`, `yaml`, `json`,
//! `go-template=`, `go-template-file=`, and our `jsonpath=` extension.

use crate::model::kinds::{AnyResource, KindInfo};
use crate::output;
use serde_json::{Value, json};
use std::io::Write;

/// A parsed `-o` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFormat {
    /// The default table.
    Ps,
    /// The wide table.
    Wide,
    /// A table with the given headings.
    CustomColumns(Vec<String>),
    /// YAML.
    Yaml,
    /// JSON.
    Json,
    /// A Go template; `false` fails on a missing map key (`--allow-missing-template-keys`).
    GoTemplate(String, bool),
    /// kubectl-style JSONPath (extension); `false` fails on a missing key.
    JsonPath(String, bool),
}

impl OutputFormat {
    /// kubectl's `--allow-missing-template-keys`: whether a missing key in a template
    /// prints nothing (`<no value>` for a Go template) or fails.
    pub(crate) fn allow_missing_template_keys(self, allow: bool) -> Self {
        match self {
            OutputFormat::GoTemplate(t, _) => OutputFormat::GoTemplate(t, allow),
            OutputFormat::JsonPath(p, _) => OutputFormat::JsonPath(p, allow),
            other => other,
        }
    }

    /// Parses `-o`, with calicoctl's errors (checked before the datastore is touched).
    pub fn parse(s: &str) -> Result<OutputFormat, String> {
        Ok(match s {
            "ps" => OutputFormat::Ps,
            "wide" => OutputFormat::Wide,
            "yaml" | "yml" => OutputFormat::Yaml,
            "json" => OutputFormat::Json,
            _ => {
                if let Some(cols) = s.strip_prefix("custom-columns=") {
                    let cols: Vec<String> = cols
                        .split(',')
                        .map(|c| c.trim().to_string())
                        .filter(|c| !c.is_empty())
                        .collect();
                    if cols.is_empty() {
                        return Err("need to specify at least one column".to_string());
                    }
                    OutputFormat::CustomColumns(cols)
                } else if let Some(t) = s.strip_prefix("go-template=") {
                    if t.is_empty() {
                        return Err("need to specify a template".to_string());
                    }
                    OutputFormat::GoTemplate(t.to_string(), true)
                } else if let Some(f) = s.strip_prefix("go-template-file=") {
                    if f.is_empty() {
                        return Err("need to specify a template file".to_string());
                    }
                    let t = std::fs::read_to_string(f).map_err(|e| {
                        format!(
                            "error reading template file {f}: {}",
                            crate::go::errno::io_reason(&e)
                        )
                    })?;
                    OutputFormat::GoTemplate(t, true)
                } else if let Some(p) = s.strip_prefix("jsonpath=") {
                    if p.is_empty() {
                        return Err("need to specify a jsonpath expression".to_string());
                    }
                    OutputFormat::JsonPath(p.to_string(), true)
                } else {
                    return Err(format!("unrecognized output format '{s}'"));
                }
            }
        })
    }
}

/// One printed object: a List of a kind, or a single resource.
#[derive(Debug, Clone)]
pub enum Printed {
    /// The result of `get <kind>`.
    List {
        /// The kind listed.
        info: &'static KindInfo,
        /// The items.
        items: Vec<AnyResource>,
        /// The list's resourceVersion.
        resource_version: String,
    },
    /// The result of `get <kind> <name>` or of one resource from a file.
    Single(Box<AnyResource>),
}

impl Printed {
    fn to_value(&self) -> Value {
        match self {
            Printed::List {
                info,
                items,
                resource_version,
            } => json!({
                "kind": format!("{}List", info.kind),
                "apiVersion": crate::model::API_VERSION,
                "metadata": {"resourceVersion": resource_version},
                "items": items.iter().map(AnyResource::to_value).collect::<Vec<_>>(),
            }),
            Printed::Single(r) => r.to_value(),
        }
    }

    fn info(&self) -> &'static KindInfo {
        match self {
            Printed::List { info, .. } => info,
            Printed::Single(r) => r.info(),
        }
    }

    fn rows(&self) -> Vec<&AnyResource> {
        match self {
            Printed::List { items, .. } => items.iter().collect(),
            Printed::Single(r) => vec![r],
        }
    }
}

/// Checks custom-column headings against a kind (calicoctl's `unknown heading` error).
pub(crate) fn check_headings(kind: &KindInfo, cols: &[String]) -> Result<(), String> {
    let valid = kind.columns.valid();
    for c in cols {
        if !valid.contains(&c.as_str()) {
            return Err(format!(
                "unknown heading {c}, valid values are: {}",
                valid.join(", ")
            ));
        }
    }
    Ok(())
}

/// Prints results in the chosen format. `namespace_column` adds calicoctl's leading NAMESPACE
/// column to the tables of namespaced kinds (`-n` or `-A` was given).
///
/// `config` is calicoctl's `config` function (`asnumber`: the global AS number), for
/// templates and for the columns that use it.
pub fn print(
    out: &mut dyn Write,
    format: &OutputFormat,
    results: &[Printed],
    namespace_column: bool,
    config: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    let write =
        |out: &mut dyn Write, s: &str| out.write_all(s.as_bytes()).map_err(|e| e.to_string());
    match format {
        OutputFormat::Ps | OutputFormat::Wide | OutputFormat::CustomColumns(_) => {
            for p in results {
                let kind = p.info();
                let mut cols: Vec<String> = match format {
                    OutputFormat::Ps => kind.columns.ps.iter().map(|s| s.to_string()).collect(),
                    OutputFormat::Wide => kind.columns.wide.iter().map(|s| s.to_string()).collect(),
                    OutputFormat::CustomColumns(c) => c.clone(),
                    _ => unreachable!(),
                };
                if namespace_column
                    && kind.namespaced
                    && !matches!(format, OutputFormat::CustomColumns(_))
                {
                    cols.insert(0, "NAMESPACE".to_string());
                }
                let mut rows = vec![cols.clone()];
                for r in p.rows() {
                    let config = |key: &str| config(key).unwrap_or_default();
                    rows.push(
                        cols.iter()
                            .map(|h| r.cell_in(h, &config).unwrap_or_default())
                            .collect(),
                    );
                }
                write(out, &output::table::tabwriter(&rows))?;
                write(out, "\n")?;
            }
            Ok(())
        }
        OutputFormat::Yaml | OutputFormat::Json => {
            let value = match results {
                [] => Value::Null,
                [one] => one.to_value(),
                many => Value::Array(many.iter().map(Printed::to_value).collect()),
            };
            let text = if *format == OutputFormat::Yaml {
                output::yaml::to_yaml(&value)
            } else {
                output::yaml::to_json(&value)
            };
            write(out, &text)
        }
        OutputFormat::GoTemplate(t, allow_missing) => {
            let data = Value::Array(results.iter().map(Printed::to_value).collect());
            let text = output::template::Template::parse(t)
                .and_then(|tpl| {
                    tpl.missing_key_error(!allow_missing)
                        .execute_with_config(&data, Some(config))
                })
                .map_err(|e| e.to_string())?;
            write(out, &text)
        }
        OutputFormat::JsonPath(p, allow_missing) => {
            let value = match results {
                [one] => one.to_value(),
                many => {
                    json!({"kind": "List", "apiVersion": "v1", "items": many.iter().map(Printed::to_value).collect::<Vec<_>>()})
                }
            };
            let text = if *allow_missing {
                output::jsonpath::render(p, &value).map_err(|e| e.to_string())?
            } else {
                // kubectl's message, with the object it gave the engine.
                output::jsonpath::render_strict(p, &value)
                    .map_err(|e| output::jsonpath::kubectl_error(p, &e, &value))?
            };
            write(out, &text)?;
            if !text.ends_with('\n') {
                write(out, "\n")?;
            }
            Ok(())
        }
    }
}
