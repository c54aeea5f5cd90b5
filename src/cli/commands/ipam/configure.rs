//! `calicoctl ipam configure`.

use super::ipam;
use crate::cli::{CmdError, CmdResult, Ctx};
use clap::Args;
use std::io::Write;

/// Modify IPAM configuration.
#[derive(Debug, Args)]
#[command(
    override_usage = "calicoctl ipam configure --strictaffinity=<true/false> [--max-blocks-per-host=<number>] [--dry-run] [--config=<CONFIG>] [--allow-version-mismatch]",
    after_help = "Examples:\n  # Forbid borrowing addresses from other nodes' blocks.\n  calicoctl ipam configure --strictaffinity=true\n\n  # Allow borrowing again, with at most 4 blocks per node.\n  calicoctl ipam configure --strictaffinity=false --max-blocks-per-host=4"
)]
pub struct ConfigureArgs {
    /// Set StrictAffinity to true/false. When StrictAffinity is true, borrowing IP addresses
    /// is not allowed.
    #[arg(long = "strictaffinity", value_name = "true/false", required = true)]
    pub strict_affinity: String,
    /// Set the maximum number of blocks that can be affine to each host.
    // Go's `strconv.Atoi`, as calicoctl v3.31: a negative number is accepted (no cap).
    #[arg(
        long = "max-blocks-per-host",
        value_name = "number",
        allow_negative_numbers = true
    )]
    pub max_blocks_per_host: Option<String>,
    /// Check the new settings against Calico's rules, but write nothing (extension).
    #[arg(long)]
    pub dry_run: bool,
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Runs `ipam configure`.
pub fn run(ctx: &Ctx, args: &ConfigureArgs, out: &mut dyn Write) -> CmdResult {
    let strict = parse_go_bool(&args.strict_affinity)
        .ok_or_else(|| CmdError::new("invalid value. Use true or false to set strictaffinity"))?;
    let max_blocks = match &args.max_blocks_per_host {
        Some(s) => Some(
            crate::go::strconv::atoi(s)
                .map_err(|_| CmdError::new("invalid value for maxblockhost. Use a valid number"))?,
        ),
        None => None,
    };
    let ipam = ipam(ctx)?;
    let mut cfg = ipam
        .get_config()
        .map_err(|e| CmdError::new(format!("error: {e}")))?;
    cfg.strict_affinity = strict;
    if let Some(n) = max_blocks {
        cfg.max_blocks_per_host = n;
    }
    if args.dry_run {
        crate::ipam::check_settable(&cfg).map_err(|e| CmdError::new(format!("error: {e}")))?;
    } else {
        ipam.set_config(&cfg)
            .map_err(|e| CmdError::new(format!("error: {e}")))?;
    }
    let suffix = if args.dry_run {
        " (dry run: nothing was written)"
    } else {
        ""
    };
    writeln!(out, "Successfully set StrictAffinity to: {strict}{suffix}")?;
    if let Some(n) = max_blocks {
        writeln!(out, "Successfully set MaxBlocksPerHost to: {n}{suffix}")?;
    }
    Ok(())
}
