//! `calicoctl label`.

use crate::cli::{CmdError, CmdResult, Ctx, ops};
use crate::model::kinds;
use clap::Args;
use std::io::Write;

/// Add or update labels of resources.
#[derive(Debug, Args)]
#[command(
    after_help = super::with_kinds("Examples:\n  # Label the node node1 with rack=0.\n  calicoctl label nodes node1 rack=0\n\n  # Change the label's value.\n  calicoctl label nodes node1 rack=1 --overwrite\n\n  # Remove the label rack from the node.\n  calicoctl label nodes node1 rack --remove")
)]
pub struct LabelArgs {
    /// The kind of resource.
    #[arg(value_name = "KIND")]
    pub kind: String,
    /// The name of the resource.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// `<key>=<value>` to set, or `<key>` with --remove.
    #[arg(value_name = "LABEL")]
    pub label: String,
    /// If true, overwrite the value when the key is already present in labels. Otherwise
    /// reports error when the labeled resource already have the key in its labels.
    #[arg(long, conflicts_with = "remove")]
    pub overwrite: bool,
    /// If true, remove the specified key in labels of the resource. Reports error when
    /// specified key does not exist.
    #[arg(long)]
    pub remove: bool,
    /// Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and
    /// WorkloadEndpoint. Uses the default namespace if not specified.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespace: Option<String>,
    /// Report what would change, but write nothing (extension).
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `label`.
pub fn run(ctx: &Ctx, args: &LabelArgs, out: &mut dyn Write) -> CmdResult {
    let (kind, name) = (&args.kind, &args.name);
    let (key, value) = if args.remove {
        (args.label.clone(), None)
    } else {
        let parts: Vec<&str> = args.label.split('=').collect();
        match parts.as_slice() {
            [k, v] => (k.to_string(), Some(v.to_string())),
            [_] => return Err(CmdError::new("invalid label key")),
            _ => return Err(CmdError::new(format!("invalid label {}", args.label))),
        }
    };
    let info = kinds::lookup(kind)
        .ok_or_else(|| CmdError::new(format!("resource type '{kind}' is not supported")))?;
    let client = ctx.client()?;
    ctx.check_version().map_err(CmdError::new)?;
    let ns = info.namespaced.then(|| {
        args.namespace
            .clone()
            .unwrap_or_else(|| "default".to_string())
    });
    let mut r = match ops::get(client, info, ns.as_deref(), name) {
        Ok(r) => r,
        Err(crate::datastore::api::ClientError::NotFound(_)) => {
            return Err(CmdError::new(format!("{kind} {name} not found")));
        }
        Err(e) => {
            return Err(CmdError::new(format!(
                "failed to get {kind} {name}, error {e}"
            )));
        }
    };
    let labels = &mut r.metadata_mut().labels;
    let message = match value {
        None => {
            if labels.remove(&key).is_none() {
                return Err(CmdError::new(format!(
                    "cannot remove label of {kind} {name}, key {key} does not exist"
                )));
            }
            format!("Successfully removed label {key} from {kind} {name}")
        }
        Some(v) => match labels.get(&key) {
            Some(old) if !args.overwrite && *old != v => {
                return Err(CmdError::new(format!(
                    "failed to update label of {kind} {name}, key {key} is already present. please use '--overwrite' to set a new value"
                )));
            }
            Some(_) => {
                labels.insert(key.clone(), v);
                format!("Successfully updated label {key} on {kind} {name}")
            }
            None => {
                labels.insert(key.clone(), v);
                format!("Successfully set label {key} on {kind} {name}")
            }
        },
    };
    // A read-only kind (ClusterInformation) fails here as a refused update would.
    if info.read_only || ops::update(client, r, args.dry_run).is_err() {
        return Err(CmdError::new(format!(
            "failed to update {kind} {name}, label not changed"
        )));
    }
    let suffix = if args.dry_run {
        " (dry run: nothing was written)"
    } else {
        ""
    };
    writeln!(out, "{message}{suffix}")?;
    Ok(())
}
