//! `calicoctl ipam ...`.

pub mod check;
pub mod configure;
pub mod release;
pub mod show;
pub mod split;

use crate::cli::{CmdError, CmdResult, Ctx};
use crate::ipam::Ipam;
use clap::Subcommand;
use std::io::Write;

/// IP address management commands for Calico.
#[derive(Debug, Subcommand)]
pub enum IpamCommand {
    /// Check the integrity of the IPAM datastructures.
    Check(check::CheckArgs),
    /// Release a Calico assigned IP address.
    Release(release::ReleaseArgs),
    /// Show details of a Calico configuration, assigned IP address, or of overall IP usage.
    Show(show::ShowArgs),
    /// Split the IP pool specified by the CIDR into the specified number of smaller IPPools.
    Split(split::SplitArgs),
    /// Configure IPAM.
    Configure(configure::ConfigureArgs),
}

/// Opens IPAM after calicoctl's version check.
pub fn ipam(ctx: &Ctx) -> Result<Ipam, CmdError> {
    let client = ctx.client()?;
    ctx.check_version().map_err(CmdError::new)?;
    Ok(Ipam::new(client.clone()))
}

/// Parses an IP as calicoctl does for `--ip` (`cnet.ParseIP`: an IPv4-mapped IPv6 address
/// such as `::ffff:10.0.0.1` is the IPv4 address); failure is printed on stdout.
pub(crate) fn parse_ip_arg(s: &str) -> Result<std::net::IpAddr, CmdError> {
    crate::model::cidr::parse_ip(s)
        .map(|ip| ip.to_canonical())
        .ok_or_else(|| {
            CmdError::on_stdout(format!(
                "Error executing command: invalid IP address specified: {s}"
            ))
        })
}

/// A progress bar on stderr when it is a terminal; hidden (and silent) otherwise.
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// Runs `ipam ...`.
pub fn run(ctx: &Ctx, cmd: &IpamCommand, out: &mut dyn Write) -> CmdResult {
    match cmd {
        IpamCommand::Check(a) => check::run(ctx, a, out),
        IpamCommand::Release(a) => release::run(ctx, a, out),
        IpamCommand::Show(a) => show::run(ctx, a, out),
        IpamCommand::Split(a) => split::run(ctx, a, out),
        IpamCommand::Configure(a) => configure::run(ctx, a, out),
    }
}
