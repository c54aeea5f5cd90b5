//! `calicoctl ipam split`.

use super::ipam;
use crate::cli::{CmdError, CmdResult, Ctx};
use crate::model::{ClusterInformation, IpPool};
use clap::Args;
use std::io::Write;

/// Split the IP pool specified by the CIDR into the specified number of smaller IPPools.
///
/// Example: calicoctl ipam split --cidr=172.0.0.0/8 2
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # Split the IP pool pool-a into 4 pools (with the datastore locked).\n  calicoctl ipam split --name=pool-a 4\n\n  # Split the IP pool with this CIDR into 2 pools.\n  calicoctl ipam split --cidr=10.0.0.0/16 2"
)]
pub struct SplitArgs {
    /// The number of pools to split into (a power of two).
    #[arg(value_name = "NUMBER")]
    pub number: String,
    /// The CIDR of the IP pool to split.
    #[arg(long, value_name = "CIDR")]
    pub cidr: Option<String>,
    /// The name of the IP pool to split.
    #[arg(long, value_name = "POOL_NAME")]
    pub name: Option<String>,
    /// Show the pools the split would create, but change nothing (extension).
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `ipam split`.
pub fn run(ctx: &Ctx, args: &SplitArgs, out: &mut dyn Write) -> CmdResult {
    if args.cidr.is_none() && args.name.is_none() {
        return Err(CmdError::new(
            "no name or CIDR provided. Provide a name or CIDR to denote the IP pool to split",
        ));
    }
    let ipam = ipam(ctx)?;
    let client = ipam.client();
    let info = client
        .get::<ClusterInformation>(None, "default")
        .map_err(|e| CmdError::new(format!("error while checking if datastore was locked: error retrieving ClusterInformation: {e}")))?;
    if info.spec.datastore_ready != Some(false) && !args.dry_run {
        return Err(CmdError::new(
            "datastore is not locked. Run the `calicoctl datastore migrate lock` command in order split the IP pools",
        ));
    }
    let mut pool: IpPool = match (&args.name, &args.cidr) {
        (Some(name), _) => client
            .get(None, name)
            .map_err(|e| CmdError::new(format!("unable to find IP pool with name {name}: {e}")))?,
        (None, Some(cidr)) => client
            .list::<IpPool>(None)
            .map_err(|e| CmdError::new(e.to_string()))?
            .items
            .into_iter()
            .find(|p| p.spec.cidr == *cidr)
            .ok_or_else(|| {
                CmdError::new(format!(
                    "unable to find IP pool {} covering the specified CIDR {cidr}",
                    ""
                ))
            })?,
        (None, None) => unreachable!(),
    };
    // Go's strconv.Atoi: a negative number parses and fails the power-of-2 check below.
    let n = crate::go::strconv::atoi(&args.number).map_err(|e| {
        CmdError::new(format!(
            "error reading number to split IP pools into. {} is not a valid number: {e}",
            args.number
        ))
    })?;
    let children = ipam
        .split_children(&pool, n)
        .map_err(|e| CmdError::new(e.to_string()))?
        .map_err(|e| CmdError::new(e.to_string()))?;
    // The children must not overlap another pool (checked again when they are written).
    ipam.check_split(&pool, &children)
        .map_err(|e| CmdError::new(e.to_string()))?;
    // Calico disables the pool before it even parses the number, so a typo leaves the pool
    // disabled; we disable it only once the split is known to be possible (and so keep new
    // allocations out of it while the children are written), and a refused split changes
    // nothing.
    if !pool.spec.disabled && !args.dry_run {
        pool.spec.disabled = true;
        pool = client
            .update(pool)
            .map_err(|e| CmdError::new(e.to_string()))?;
    }
    if args.dry_run {
        for c in &children {
            writeln!(
                out,
                "Would create {} with CIDR {}.",
                c.metadata.name, c.spec.cidr
            )?;
        }
        writeln!(out, "Dry run: nothing was changed.")?;
        return Ok(());
    }
    let bar = super::progress(children.len() as u64, "splitting");
    let created = ipam
        .replace_pool(&pool, children, &mut |n| bar.inc(n as u64))
        .map_err(|e| CmdError::new(e.to_string()))?;
    bar.finish_and_clear();
    write!(
        out,
        "IP Pool {} was successfully split into {n} smaller pools.",
        pool.metadata.name
    )?;
    for c in &created {
        writeln!(
            out,
            "Created {} with CIDR {}.",
            c.metadata.name, c.spec.cidr
        )?;
    }
    write!(out, "Please refer to the documentation for final steps.")?;
    Ok(())
}
