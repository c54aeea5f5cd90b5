//! `calicoctl ipam ...` (placeholder until the IPAM engine lands).

use crate::cli::{CmdResult, Ctx};
use clap::Subcommand;
use std::io::Write;

/// IP address management.
#[derive(Debug, Subcommand)]
pub enum IpamCommand {
    /// Check the integrity of the IPAM datastructures.
    Check,
}

/// Runs `ipam ...`.
pub fn run(_ctx: &Ctx, _cmd: &IpamCommand, _out: &mut dyn Write) -> CmdResult {
    Ok(())
}
