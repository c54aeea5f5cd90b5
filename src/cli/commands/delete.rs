//! `calicoctl delete`.

use crate::cli::commands::create::{load_with_namespaces, single_kind};
use crate::cli::ops;
use crate::cli::{CmdError, CmdResult, Ctx};
use crate::model::kinds::{self, AnyResource, KindInfo};
use clap::Args;
use std::io::Write;

/// Delete a resource identified by file, directory, stdin or resource type and name.
#[derive(Debug, Args)]
#[command(
    after_help = super::with_kinds("Examples:\n  # Delete the IP pools named in pools.yaml.\n  calicoctl delete -f ./pools.yaml\n\n  # Delete the IP pool named pool-a.\n  calicoctl delete ippool pool-a\n\n  # Delete a workload endpoint of namespace prod.\n  calicoctl delete workloadendpoint node1-k8s-web--0-eth0 -n prod")
)]
pub struct DeleteArgs {
    /// The kind of resource to delete.
    #[arg(value_name = "KIND", required_unless_present = "filename")]
    pub kind: Option<String>,
    /// Names of the resources to delete.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Filename to use to delete the resource. If set to "-" loads from stdin.
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
    /// Skip over and treat as successful, resources that don't exist.
    #[arg(short = 's', long)]
    pub(crate) skip_not_exists: bool,
    /// Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and
    /// WorkloadEndpoint. Uses the default namespace if not specified.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespace: Option<String>,
    /// Report what would be deleted, but delete nothing (extension).
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `delete`.
pub fn run(ctx: &Ctx, args: &DeleteArgs, out: &mut dyn Write) -> CmdResult {
    struct Target {
        info: &'static KindInfo,
        namespace: Option<String>,
        name: String,
        resource_version: Option<String>,
        /// A namespace problem found while loading: reported for this target, never deleted.
        error: Option<String>,
    }
    let targets: Vec<Target> = if let Some(f) = &args.filename {
        let loaded = load_with_namespaces(
            f,
            args.recursive,
            args.skip_empty,
            args.namespace.as_deref(),
        )
        .map_err(|e| CmdError::new(e.message()))?;
        loaded
            .into_iter()
            .map(|l| {
                let r: &AnyResource = &l.resource;
                Target {
                    info: r.info(),
                    namespace: ops::namespace_of(r),
                    name: r.metadata().name.clone(),
                    resource_version: Some(r.metadata().resource_version.clone())
                        .filter(|v| !v.is_empty()),
                    error: l.namespace_error,
                }
            })
            .collect()
    } else {
        let kind = args.kind.as_deref().unwrap_or_default();
        let info = kinds::lookup(kind)
            .ok_or_else(|| CmdError::new(format!("resource type '{kind}' is not supported")))?;
        if args.names.is_empty() {
            return Err(CmdError::new("no resources specified".to_string()));
        }
        if !info.namespaced && args.namespace.is_some() {
            return Err(CmdError::new(format!("{} is not namespaced", info.kind)));
        }
        args.names
            .iter()
            .map(|n| Target {
                info,
                namespace: info.namespaced.then(|| {
                    args.namespace
                        .clone()
                        .unwrap_or_else(|| "default".to_string())
                }),
                name: n.clone(),
                resource_version: None,
                error: None,
            })
            .collect()
    };
    if targets.is_empty() {
        writeln!(out, "No resources specified")?;
        return Ok(());
    }
    let client = ctx.client()?;
    ctx.check_version().map_err(CmdError::new)?;
    let single_kind = single_kind(targets.iter().map(|t| t.info.kind));
    let mut deleted = 0usize;
    let mut errors = Vec::new();
    for t in targets {
        let result = if let Some(e) = t.error {
            Err(e)
        } else if t.info.read_only {
            Err(ops::readonly_error(t.info, "delete").unwrap_or_default())
        } else {
            match ops::delete(
                client,
                t.info,
                t.namespace.as_deref(),
                &t.name,
                t.resource_version.as_deref(),
                args.dry_run,
            ) {
                Ok(_) => Ok(()),
                Err(e) if e.not_found && args.skip_not_exists => Ok(()),
                Err(e) => Err(e.message),
            }
        };
        match result {
            Ok(()) => deleted += 1,
            Err(e) => errors.push(e),
        }
    }
    let suffix = if args.dry_run {
        " (dry run: nothing was deleted)"
    } else {
        ""
    };
    if deleted > 0 {
        match single_kind {
            Some(k) => writeln!(
                out,
                "Successfully deleted {deleted} '{k}' resource(s){suffix}"
            )?,
            None => writeln!(out, "Successfully deleted {deleted} resource(s){suffix}")?,
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let mut msg = String::new();
    for e in &errors {
        match single_kind {
            Some(k) => msg.push_str(&format!("Failed to delete '{k}' resource: {e}\n")),
            None => msg.push_str(&format!("Failed to delete resource: {e}\n")),
        }
    }
    // Each line ends in a newline, and the error printer adds one more (calicoctl's blank line).
    Err(CmdError::new(msg))
}
