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
    pub fn allow_missing_template_keys(self, allow: bool) -> Self {
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

/// The default and wide headings of a kind.
pub fn headings(kind: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        "IPPool" => (
            &["NAME", "CIDR", "SELECTOR"],
            &[
                "NAME",
                "CIDR",
                "NAT",
                "IPIPMODE",
                "VXLANMODE",
                "DISABLED",
                "DISABLEBGPEXPORT",
                "SELECTOR",
                "ASSIGNMENTMODE",
            ],
        ),
        "IPReservation" => (&["NAME"], &["NAME", "CIDRS"]),
        "Node" => (&["NAME"], &["NAME", "ASN", "IPV4", "IPV6"]),
        "WorkloadEndpoint" => (
            &["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"],
            &[
                "NAME",
                "WORKLOAD",
                "NODE",
                "NETWORKS",
                "INTERFACE",
                "PROFILES",
                "NATS",
            ],
        ),
        "IPAMConfiguration" => (
            &["NAME", "STRICTAFFINITY", "AUTOALLOCATEBLOCKS"],
            &[
                "NAME",
                "STRICTAFFINITY",
                "AUTOALLOCATEBLOCKS",
                "MAXBLOCKSPERHOST",
            ],
        ),
        "ClusterInformation" => {
            const H: &[&str] = &[
                "NAME",
                "CLUSTERGUID",
                "CLUSTERTYPE",
                "CALICOVERSION",
                "DATASTOREREADY",
            ];
            (H, H)
        }
        _ => (&["NAME"], &["NAME"]),
    }
}

/// Every heading valid for a kind in `custom-columns=`.
pub fn valid_headings(kind: &str) -> Vec<&'static str> {
    let (ps, wide) = headings(kind);
    let mut all: Vec<&'static str> = wide.iter().chain(ps.iter()).copied().collect();
    let extra: &[&str] = match kind {
        "WorkloadEndpoint" => &["NAMESPACE", "ORCHESTRATOR"],
        _ => &[],
    };
    all.extend(extra);
    all.sort_unstable();
    all.dedup();
    all
}

fn join80(items: &[String]) -> String {
    crate::go::join_and_truncate(items, ",", 80).expect("80 leaves room for the \"...\"")
}

fn go_bool(b: bool) -> String {
    b.to_string()
}

/// The cell of `heading` for a resource, as calicoctl's column templates render it.
pub fn cell(r: &AnyResource, heading: &str) -> Option<String> {
    let meta = r.metadata();
    if heading == "NAME" {
        return Some(meta.name.clone());
    }
    if heading == "NAMESPACE" {
        return Some(meta.namespace.clone());
    }
    Some(match (r, heading) {
        (AnyResource::IpPool(p), h) => match h {
            "CIDR" => p.spec.cidr.clone(),
            "NAT" => go_bool(p.spec.nat_outgoing),
            "IPIPMODE" => non_empty_or(&p.spec.ipip_mode, "Never"),
            "VXLANMODE" => non_empty_or(&p.spec.vxlan_mode, "Never"),
            "DISABLED" => go_bool(p.spec.disabled),
            "DISABLEBGPEXPORT" => go_bool(p.spec.disable_bgp_export),
            "SELECTOR" => p.spec.node_selector.clone(),
            "ASSIGNMENTMODE" => p
                .spec
                .assignment_mode
                .clone()
                .unwrap_or_else(|| "<nil>".into()),
            _ => return None,
        },
        (AnyResource::IpReservation(res), "CIDRS") => join80(&res.spec.reserved_cidrs),
        (AnyResource::Node(n), h) => {
            let bgp = n.spec.bgp.as_ref();
            match h {
                "ASN" => match bgp {
                    None => String::new(),
                    Some(b) => match &b.as_number {
                        Some(v) => v.as_u64().map_or_else(|| v.to_string(), |n| n.to_string()),
                        None => "(64512)".to_string(),
                    },
                },
                "IPV4" => bgp.map(|b| b.ipv4_address.clone()).unwrap_or_default(),
                "IPV6" => bgp.map(|b| b.ipv6_address.clone()).unwrap_or_default(),
                _ => return None,
            }
        }
        (AnyResource::WorkloadEndpoint(w), h) => match h {
            "WORKLOAD" => non_empty_or(&w.spec.workload, &w.spec.pod),
            "NODE" => w.spec.node.clone(),
            "NETWORKS" => w.spec.ip_networks.join(","),
            "INTERFACE" => w.spec.interface_name.clone(),
            "PROFILES" => w.spec.profiles.join(","),
            "ORCHESTRATOR" => w.spec.orchestrator.clone(),
            "NATS" => w
                .spec
                .ip_nats
                .iter()
                .map(|n| format!("{{{} {}}}", n.internal_ip, n.external_ip))
                .collect::<Vec<_>>()
                .join(","),
            _ => return None,
        },
        (AnyResource::IpamConfiguration(c), h) => match h {
            "STRICTAFFINITY" => go_bool(c.spec.strict_affinity),
            "AUTOALLOCATEBLOCKS" => go_bool(c.spec.auto_allocate_blocks),
            "MAXBLOCKSPERHOST" => c.spec.max_blocks_per_host.to_string(),
            _ => return None,
        },
        (AnyResource::ClusterInformation(c), h) => match h {
            "CLUSTERGUID" => c.spec.cluster_guid.clone(),
            "CLUSTERTYPE" => c.spec.cluster_type.clone(),
            "CALICOVERSION" => c.spec.calico_version.clone(),
            "DATASTOREREADY" => c.spec.datastore_ready.map_or("<nil>".to_string(), go_bool),
            _ => return None,
        },
        _ => return None,
    })
}

fn non_empty_or(s: &str, fallback: &str) -> String {
    if s.is_empty() {
        fallback.to_string()
    } else {
        s.to_string()
    }
}

/// Checks custom-column headings against a kind (calicoctl's `unknown heading` error).
pub fn check_headings(kind: &str, cols: &[String]) -> Result<(), String> {
    let valid = valid_headings(kind);
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
pub fn print(
    out: &mut dyn Write,
    format: &OutputFormat,
    results: &[Printed],
    namespace_column: bool,
) -> Result<(), String> {
    let write =
        |out: &mut dyn Write, s: &str| out.write_all(s.as_bytes()).map_err(|e| e.to_string());
    match format {
        OutputFormat::Ps | OutputFormat::Wide | OutputFormat::CustomColumns(_) => {
            for p in results {
                let kind = p.info();
                let (ps, wide) = headings(kind.kind);
                let mut cols: Vec<String> = match format {
                    OutputFormat::Ps => ps.iter().map(|s| s.to_string()).collect(),
                    OutputFormat::Wide => wide.iter().map(|s| s.to_string()).collect(),
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
                    rows.push(
                        cols.iter()
                            .map(|h| cell(r, h).unwrap_or_default())
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
            // calicoctl's `config "asnumber"`: the global AS number (BGPConfiguration is not
            // modelled here, so Calico's default).
            let config = |key: &str| match key {
                "asnumber" => Ok("64512".to_string()),
                other => Err(format!("unknown config option: {other}")),
            };
            let text = output::template::Template::parse(t)
                .and_then(|tpl| {
                    tpl.missing_key_error(!allow_missing)
                        .execute_with_config(&data, Some(&config))
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
