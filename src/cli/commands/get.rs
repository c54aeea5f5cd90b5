//! `calicoctl get`.

use crate::cli::ops;
use crate::cli::printer::{self, OutputFormat, Printed};
use crate::cli::resources;
use crate::cli::{CmdError, CmdResult, Ctx};
use crate::datastore::api::ClientError;
use crate::model::kinds::{self, AnyResource};
use crate::model::{BgpConfiguration, bgpconfig};
use clap::Args;
use std::io::Write;

/// Get a resource identified by file, directory, stdin or resource type and name.
#[derive(Debug, Args)]
#[command(
    override_usage = "calicoctl get ( (<KIND> [<NAME>...]) |\n                --filename=<FILENAME> [--recursive] [--skip-empty] )\n                [--output=<OUTPUT>] [--config=<CONFIG>] [--namespace=<NS>] [--all-namespaces] [--export] [--selector=<SELECTOR>] [--context=<context>] [--allow-version-mismatch]",
    after_help = super::with_kinds("Examples:\n  # List all IP pools in default output format.\n  calicoctl get ippools\n\n  # List IP pools with their selectors and modes.\n  calicoctl get ippools -o wide\n\n  # Get the IP pool named pool-a in YAML.\n  calicoctl get ippool pool-a -o yaml\n\n  # List the workload endpoints of every namespace.\n  calicoctl get workloadendpoints --all-namespaces\n\n  # Print each pool's name and CIDR.\n  calicoctl get ippools -o go-template='{{range .}}{{range .Items}}{{.Name}} {{.Spec.CIDR}}{{\"\\n\"}}{{end}}{{end}}'")
)]
pub struct GetArgs {
    /// The kind of resource (any alias calicoctl accepts: ippool, pools, ipp, node, ...).
    #[arg(value_name = "KIND", required_unless_present = "filename")]
    pub kind: Option<String>,
    /// Names of resources to get (all of the kind when none is given).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Filename to use to get the resource. If set to "-" loads from stdin. If filename is a
    /// directory, this command is invoked for each .json .yaml and .yml file within that
    /// directory, terminating after the first failure.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILENAME",
        conflicts_with = "kind"
    )]
    pub filename: Option<String>,
    /// Process the filename specified in -f or --filename recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Do not error if any files are empty.
    #[arg(long)]
    pub(crate) skip_empty: bool,
    /// Output format. One of: yaml, json, ps, wide, custom-columns=..., go-template=...,
    /// go-template-file=..., jsonpath=...
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUTPUT FORMAT",
        default_value = "ps"
    )]
    pub output: String,
    /// Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and
    /// WorkloadEndpoint. Uses the default namespace if not specified.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespace: Option<String>,
    /// If present, list the requested object(s) across all namespaces.
    #[arg(short = 'A', long = "all-namespaces", short_alias = 'a')]
    pub(crate) all_namespaces: bool,
    /// If present, returns the requested object(s) stripped of cluster-specific information.
    /// This flag will be ignored if NAME is not specified.
    #[arg(long)]
    pub export: bool,
    /// Only list resources whose labels match this Calico selector (extension).
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// If true, ignore any errors in templates when a field or map key is missing in the
    /// template. Only applies to go-template (map keys) and jsonpath output formats
    /// (extension, as kubectl's).
    #[arg(
        long = "allow-missing-template-keys",
        value_name = "BOOL",
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub(crate) allow_missing_template_keys: bool,
}

fn export(r: &mut AnyResource) {
    let m = r.metadata_mut();
    m.namespace.clear();
    m.uid.clear();
    m.resource_version.clear();
    m.creation_timestamp = None;
    m.deletion_timestamp = None;
    m.deletion_grace_period_seconds = None;
}

/// Runs `get`.
pub fn run(ctx: &Ctx, args: &GetArgs, out: &mut dyn Write) -> CmdResult {
    let format = OutputFormat::parse(&args.output)?
        .allow_missing_template_keys(args.allow_missing_template_keys);
    let selector = match &args.selector {
        Some(s) => Some(
            crate::selector::parse(s)
                .map_err(|e| CmdError::new(format!("invalid selector {s:?}: {e}")))?,
        ),
        None => None,
    };
    if args.namespace.is_some() && args.all_namespaces {
        return Err(CmdError::new(
            "cannot use both --namespace and --all-namespaces flags at the same time",
        ));
    }
    let fail = |e: String| CmdError::new(format!("failed to get resources: {e}"));

    // What to fetch: a kind listing, named objects, or the objects of a file.
    enum Want {
        List(&'static kinds::KindInfo),
        Names(&'static kinds::KindInfo, Vec<String>),
        File(Vec<AnyResource>),
    }
    let want = if let Some(f) = &args.filename {
        let loaded = resources::load(f, args.recursive, args.skip_empty)
            .map_err(|e| CmdError::new(e.message()))?;
        if loaded.is_empty() {
            writeln!(out, "No resources specified")?;
            return Ok(());
        }
        Want::File(loaded)
    } else {
        let kind = args.kind.as_deref().unwrap_or_default();
        let info = kinds::lookup(kind)
            .ok_or_else(|| fail(format!("resource type '{kind}' is not supported")))?;
        if args.names.iter().any(String::is_empty) {
            return Err(fail("resource name may not be empty".to_string()));
        }
        if args.names.is_empty() {
            Want::List(info)
        } else {
            Want::Names(info, args.names.clone())
        }
    };
    if let Some(cols) = match &format {
        OutputFormat::CustomColumns(c) => Some(c),
        _ => None,
    } {
        let kind = match &want {
            Want::List(i) | Want::Names(i, _) => i,
            Want::File(r) => r[0].info(),
        };
        printer::check_headings(kind, cols)?;
    }
    let client = ctx.client()?;
    ctx.check_version().map_err(fail)?;

    let mut printed = Vec::new();
    let mut errors = Vec::new();
    let ns_for = |info: &kinds::KindInfo| -> Result<Option<String>, String> {
        if !info.namespaced {
            if args.namespace.is_some() || args.all_namespaces {
                return Err(format!("{} is not namespaced", info.kind));
            }
            return Ok(None);
        }
        Ok(Some(
            args.namespace
                .clone()
                .unwrap_or_else(|| "default".to_string()),
        ))
    };
    let matches = |r: &AnyResource| {
        selector
            .as_ref()
            .is_none_or(|s| s.matches(&r.metadata().labels))
    };
    match want {
        Want::List(info) => {
            let ns = match ns_for(info) {
                Ok(ns) => ns,
                Err(e) => return Err(CmdError::new(e)),
            };
            let ns = if args.all_namespaces { None } else { ns };
            let (items, resource_version) =
                ops::list(client, info, ns.as_deref()).map_err(|e| fail(e.to_string()))?;
            printed.push(Printed::List {
                info,
                items: items.into_iter().filter(|r| matches(r)).collect(),
                resource_version,
            });
        }
        Want::Names(info, names) => {
            if info.namespaced && args.all_namespaces {
                return Err(CmdError::new(
                    "cannot use --all-namespace flag for getting a single resource",
                ));
            }
            for name in names {
                let got = ns_for(info).and_then(|ns| {
                    ops::get(client, info, ns.as_deref(), &name).map_err(|e| e.to_string())
                });
                match got {
                    Ok(mut r) if matches(&r) => {
                        if args.export {
                            export(&mut r);
                        }
                        printed.push(Printed::Single(Box::new(r)));
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        Want::File(loaded) => {
            for r in loaded {
                let info = r.info();
                let file_ns = r.metadata().namespace.clone();
                let ns = if info.namespaced {
                    match (&args.namespace, file_ns.is_empty()) {
                        (Some(cli), false) if *cli != file_ns => {
                            errors.push(format!("resource namespace does not match client namespace. {file_ns} != {cli}"));
                            continue;
                        }
                        (_, false) => Some(file_ns),
                        (Some(cli), true) => Some(cli.clone()),
                        (None, true) => Some("default".to_string()),
                    }
                } else {
                    if !file_ns.is_empty() {
                        errors.push(format!(
                            "namespace should not be specified for a non-namespaced resource. {} is not a namespaced resource",
                            info.kind
                        ));
                        continue;
                    }
                    None
                };
                match ops::get(client, info, ns.as_deref(), &r.metadata().name) {
                    Ok(mut got) if matches(&got) => {
                        if args.export {
                            export(&mut got);
                        }
                        printed.push(Printed::Single(Box::new(got)));
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
    }
    let namespace_column = args.namespace.is_some() || args.all_namespaces;
    // calicoctl's `config "asnumber"`, read once and only when a column or template asks.
    let global_as = std::cell::OnceCell::new();
    let config = |key: &str| match key.to_lowercase().as_str() {
        "asnumber" => Ok(global_as
            .get_or_init(
                || match client.get::<BgpConfiguration>(None, bgpconfig::DEFAULT_NAME) {
                    Ok(c) => c.global_as_number(),
                    Err(ClientError::NotFound(_)) => bgpconfig::DEFAULT_AS_NUMBER.to_string(),
                    Err(_) => "unknown".to_string(),
                },
            )
            .clone()),
        other => Err(format!("unknown config option: {other}")),
    };
    printer::print(out, &format, &printed, namespace_column, &config).map_err(CmdError::new)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CmdError::new(errors.join("\n")))
    }
}
