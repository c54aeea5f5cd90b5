//! `calicoctl create`, `apply`, `replace` and `validate`: one engine, calicoctl's accounting.

use crate::cli::ops;
use crate::cli::resources::{self, LoadError};
use crate::cli::{CmdError, CmdResult, Ctx};
use crate::datastore::api::Client;
use crate::model::kinds::AnyResource;
use clap::Args;
use std::io::Write;

/// Options shared by the file-driven commands.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// Filename to use to create the resource. If set to "-" loads from stdin. If filename is
    /// a directory, this command is invoked for each .json .yaml and .yml file within that
    /// directory, terminating after the first failure.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILENAME",
        required = true
    )]
    pub filename: String,
    /// Process the filename specified in -f or --filename recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Do not error if any files are empty.
    #[arg(long)]
    pub(crate) skip_empty: bool,
    /// Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and
    /// WorkloadEndpoint. Uses the default namespace if not specified.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespace: Option<String>,
    /// Validate and report what would be done, but write nothing (extension).
    #[arg(long)]
    pub dry_run: bool,
}

/// Create a resource by file, directory or stdin.
#[derive(Debug, Args)]
#[command(
    after_help = super::with_kinds("Examples:\n  # Create the IP pools in pools.yaml.\n  calicoctl create -f ./pools.yaml\n\n  # Create an IP pool from JSON on stdin.\n  cat pool.json | calicoctl create -f -\n\n  # Create every manifest in a directory, skipping those that exist.\n  calicoctl create -f ./manifests/ --skip-exists")
)]
pub struct CreateArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Skip over and treat as successful any attempts to create an entry that already exists.
    #[arg(long)]
    pub(crate) skip_exists: bool,
}

/// Apply a resource by file, directory or stdin.
#[derive(Debug, Args)]
#[command(
    after_help = super::with_kinds("Examples:\n  # Create or replace the IP pools in pools.yaml.\n  calicoctl apply -f ./pools.yaml\n\n  # Apply an IP pool from JSON on stdin.\n  cat pool.json | calicoctl apply -f -")
)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub file: FileArgs,
}

/// Replace a resource by file, directory or stdin.
#[derive(Debug, Args)]
#[command(
    after_help = super::with_kinds("Examples:\n  # Replace the IP pools in pools.yaml.\n  calicoctl replace -f ./pools.yaml\n\n  # Replace an IP pool from JSON on stdin.\n  cat pool.json | calicoctl replace -f -")
)]
pub struct ReplaceArgs {
    #[command(flatten)]
    pub file: FileArgs,
}

/// Validate a resource by file, directory or stdin without applying it.
#[derive(Debug, Args)]
#[command(
    after_help = super::with_kinds("Examples:\n  # Check the resources in pools.yaml without writing them.\n  calicoctl validate -f ./pools.yaml")
)]
pub struct ValidateArgs {
    /// Filename to validate. If set to "-" loads from stdin.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILENAME",
        required = true
    )]
    pub filename: String,
    /// Process the filename specified in -f or --filename recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Do not error if any files are empty.
    #[arg(long)]
    pub(crate) skip_empty: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Create,
    Apply,
    Replace,
    Validate,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Apply => "apply",
            Verb::Replace => "replace",
            Verb::Validate => "validate",
        }
    }
    fn past(self) -> &'static str {
        match self {
            Verb::Create => "created",
            Verb::Apply => "applied",
            Verb::Replace => "replaced",
            Verb::Validate => "validated",
        }
    }
}

/// One resource from a file, with the namespace problem calicoctl reports for it (if any).
/// The resource is kept even when it fails the namespace checks: calicoctl names the kind in
/// its summary from every loaded resource, before any is processed.
pub(crate) struct Loaded {
    pub resource: AnyResource,
    pub(crate) namespace_error: Option<String>,
}

/// Loads resources and settles their namespaces as calicoctl does.
pub(crate) fn load_with_namespaces(
    filename: &str,
    recursive: bool,
    skip_empty: bool,
    cli_namespace: Option<&str>,
) -> Result<Vec<Loaded>, LoadError> {
    let loaded = resources::load(filename, recursive, skip_empty)?;
    Ok(loaded
        .into_iter()
        .map(|mut r| {
            let info = r.info();
            let file_ns = r.metadata().namespace.clone();
            let mut namespace_error = None;
            if info.namespaced {
                match (cli_namespace, file_ns.is_empty()) {
                    (Some(cli), false) if cli != file_ns => {
                        namespace_error = Some(format!(
                            "resource namespace does not match client namespace. {file_ns} != {cli}"
                        ));
                    }
                    (Some(cli), true) => r.metadata_mut().namespace = cli.to_string(),
                    (None, true) => r.metadata_mut().namespace = "default".to_string(),
                    _ => {}
                }
            } else if !file_ns.is_empty() {
                namespace_error = Some(format!(
                    "namespace should not be specified for a non-namespaced resource. {} is not a namespaced resource",
                    info.kind
                ));
            }
            Loaded {
                resource: r,
                namespace_error,
            }
        })
        .collect())
}

/// The kind calicoctl names in its summary lines: the one kind every loaded resource shares.
pub(crate) fn single_kind<'a>(kinds: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut kinds = kinds.into_iter();
    let first = kinds.next()?;
    kinds.all(|k| k == first).then_some(first)
}

/// Keeps only what calicoctl keeps from input metadata on create.
fn strip_for_create(r: &mut AnyResource) {
    let m = r.metadata_mut();
    let keep = crate::model::ObjectMeta {
        name: std::mem::take(&mut m.name),
        generate_name: std::mem::take(&mut m.generate_name),
        namespace: std::mem::take(&mut m.namespace),
        resource_version: std::mem::take(&mut m.resource_version),
        labels: std::mem::take(&mut m.labels),
        annotations: std::mem::take(&mut m.annotations),
        ..Default::default()
    };
    *m = keep;
}

fn act(
    client: Option<&Client>,
    verb: Verb,
    r: AnyResource,
    skip_exists: bool,
    dry_run: bool,
) -> Result<(), String> {
    if r.info().read_only
        && let Some(e) = ops::readonly_error(r.info(), verb.name())
    {
        return Err(e);
    }
    if verb == Verb::Validate {
        return r.validate_standalone().map_err(|e| e.to_string());
    }
    let client = client.expect("a client for every verb but validate");
    match verb {
        Verb::Create => {
            let mut r = r;
            strip_for_create(&mut r);
            match ops::create(client, r, dry_run) {
                Ok(_) => Ok(()),
                Err(crate::datastore::api::ClientError::AlreadyExists(_)) if skip_exists => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        }
        Verb::Apply => ops::apply(client, r, dry_run).map(|_| ()),
        Verb::Replace => ops::replace(client, r, dry_run).map(|_| ()),
        Verb::Validate => unreachable!(),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_verb(
    ctx: &Ctx,
    verb: Verb,
    filename: &str,
    recursive: bool,
    skip_empty: bool,
    namespace: Option<&str>,
    skip_exists: bool,
    dry_run: bool,
    out: &mut dyn Write,
) -> CmdResult {
    let loaded = load_with_namespaces(filename, recursive, skip_empty, namespace)
        .map_err(|e| CmdError::new(e.message()))?;
    if loaded.is_empty() {
        writeln!(out, "No resources specified")?;
        return Ok(());
    }
    // One client for the whole file: its IPPool creates share one reading of the pools and
    // blocks (see `Client::batch`) instead of listing them all again for every pool.
    let client = if verb != Verb::Validate {
        let client = ctx.client()?;
        ctx.check_version().map_err(CmdError::new)?;
        if !dry_run {
            ops::ensure_initialized(client);
            if loaded
                .iter()
                .any(|l| crate::model::tier::needs_tiers(l.resource.kind()))
            {
                ops::ensure_tiers(client);
            }
        }
        Some(client.batch())
    } else {
        None
    };
    let total = loaded.len();
    let kind = single_kind(loaded.iter().map(|l| l.resource.kind()));
    let mut handled = 0usize;
    let mut errors: Vec<String> = Vec::new();
    for l in loaded {
        let result = match l.namespace_error {
            Some(e) => Err(e),
            None => act(client.as_ref(), verb, l.resource, skip_exists, dry_run),
        };
        match result {
            Ok(()) => handled += 1,
            Err(e) => {
                if verb == Verb::Replace {
                    handled += 1;
                }
                errors.push(e);
            }
        }
    }
    let (v, past) = (verb.name(), verb.past());
    let suffix = if dry_run {
        " (dry run: nothing was written)"
    } else {
        ""
    };
    let what = |n: usize| match kind {
        Some(k) => format!("{n} '{k}' resource(s)"),
        None => format!("{n} resource(s)"),
    };
    if verb == Verb::Replace {
        return match errors.last() {
            None => {
                writeln!(out, "Successfully {past} {}{suffix}", what(handled))?;
                Ok(())
            }
            Some(e) => {
                let of = match kind {
                    Some(k) => format!("{total} '{k}' resources:"),
                    None => format!("{total} resources:"),
                };
                writeln!(
                    out,
                    "Partial success: {past} the first {handled} out of {of}"
                )?;
                Err(CmdError::new(format!("hit error: {e}")))
            }
        };
    }
    if errors.is_empty() {
        writeln!(out, "Successfully {past} {}{suffix}", what(handled))?;
        return Ok(());
    }
    let list = format!("[{}]", errors.join(" "));
    if handled == 0 {
        return Err(CmdError::new(match (total, kind) {
            (1, Some(k)) => format!("failed to {v} '{k}' resource: {list}"),
            (_, Some(k)) => format!("failed to {v} any '{k}' resources: {list}"),
            (_, None) => format!("failed to {v} any resources: {list}"),
        }));
    }
    if handled > errors.len() {
        let of = match kind {
            Some(k) => format!("{total} '{k}' resources:"),
            None => format!("{total} resources:"),
        };
        writeln!(
            out,
            "Partial success: {past} the first {handled} out of {of}"
        )?;
    }
    let label = if verb == Verb::Create {
        "hit error"
    } else {
        "hit error(s)"
    };
    Err(CmdError::new(format!("{label}: {list}")))
}

/// Runs `create`.
pub(crate) fn run_create(ctx: &Ctx, a: &CreateArgs, out: &mut dyn Write) -> CmdResult {
    let f = &a.file;
    run_verb(
        ctx,
        Verb::Create,
        &f.filename,
        f.recursive,
        f.skip_empty,
        f.namespace.as_deref(),
        a.skip_exists,
        f.dry_run,
        out,
    )
}

/// Runs `apply`.
pub(crate) fn run_apply(ctx: &Ctx, a: &ApplyArgs, out: &mut dyn Write) -> CmdResult {
    let f = &a.file;
    run_verb(
        ctx,
        Verb::Apply,
        &f.filename,
        f.recursive,
        f.skip_empty,
        f.namespace.as_deref(),
        false,
        f.dry_run,
        out,
    )
}

/// Runs `replace`.
pub(crate) fn run_replace(ctx: &Ctx, a: &ReplaceArgs, out: &mut dyn Write) -> CmdResult {
    let f = &a.file;
    run_verb(
        ctx,
        Verb::Replace,
        &f.filename,
        f.recursive,
        f.skip_empty,
        f.namespace.as_deref(),
        false,
        f.dry_run,
        out,
    )
}

/// Runs `validate`.
pub(crate) fn run_validate(ctx: &Ctx, a: &ValidateArgs, out: &mut dyn Write) -> CmdResult {
    run_verb(
        ctx,
        Verb::Validate,
        &a.filename,
        a.recursive,
        a.skip_empty,
        None,
        false,
        false,
        out,
    )
}
