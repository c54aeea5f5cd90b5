//! `calicoctl ipam release`.

use super::{ipam, parse_ip_arg};
use crate::cli::{CmdError, CmdResult, Ctx, VERSION};
use crate::datastore::{Txn, keys};
use crate::ipam::ReleaseOptions;
use crate::ipam::check::Report;
use crate::model::ClusterInformation;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;

/// Release a Calico assigned IP address.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # Release an address that leaked.\n  calicoctl ipam release --ip=10.0.0.5\n\n  # Release the leaks an ipam check found (with the datastore locked).\n  calicoctl ipam release --from-report=report.json"
)]
pub struct ReleaseArgs {
    /// IP address to release.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Release all IPs reported as leaked in this report (from `ipam check -o`). May be given
    /// several times: only IPs leaked in every report are released.
    #[arg(long = "from-report", value_name = "REPORT")]
    pub(crate) from_report: Vec<String>,
    /// Force release of leaked IPs even if the report is from another calicoctl version or
    /// the datastore is not locked. Each release is a compare-and-swap on the allocation the
    /// report saw, and addresses an endpoint or node uses by now are kept; only a pod whose
    /// ADD is still between assigning its address and writing its endpoint can be missed,
    /// which the datastore lock rules out. With --ip: release the address even though a
    /// workload endpoint or node uses it (refused otherwise: the next pod could be given it).
    #[arg(long)]
    pub force: bool,
    /// Report what would be released, but release nothing (extension).
    #[arg(long)]
    pub dry_run: bool,
}

fn read_report(path: &str) -> Result<Report, CmdError> {
    use crate::go::errno::io_reason;
    // Go's os.ReadFile errors: `open <path>: <reason>`, `read <path>: <reason>`.
    let file = std::fs::File::open(path)
        .map_err(|e| CmdError::new(format!("open {path}: {}", io_reason(&e))))?;
    Report::read_leaked(file).map_err(|e| {
        if e.is_io() {
            let reason = std::io::Error::from(e);
            CmdError::new(format!("read {path}: {}", io_reason(&reason)))
        } else {
            // A file that is not JSON at all (cut short, say) gets Go's words for it.
            let why = std::fs::read(path)
                .ok()
                .and_then(|bytes| crate::go::json::syntax_error(&bytes))
                .unwrap_or_else(|| e.to_string());
            CmdError::new(format!("failed to parse report {path}: {why}"))
        }
    })
}

/// Runs `ipam release`.
pub fn run(ctx: &Ctx, args: &ReleaseArgs, out: &mut dyn Write) -> CmdResult {
    // As in calicoctl, reports take precedence: with `--from-report`, `--ip` is ignored (not
    // even parsed).
    let ip = if args.from_report.is_empty() {
        args.ip.as_deref().map(parse_ip_arg).transpose()?
    } else {
        None
    };
    let ipam = ipam(ctx)?;
    if let Some(ip) = ip {
        // An address an endpoint or node still uses would be handed out again while it is
        // in use (calicoctl frees it silently): refused unless forced.
        let users = ipam
            .users_of(ip)
            .map_err(|e| CmdError::new(format!("error: {e}")))?;
        if !users.is_empty() && ipam.get_assignment_attributes(ip).is_ok() {
            let users = users.join(", ");
            if !args.force {
                return Err(CmdError::new(format!(
                    "IP address {ip} is in use by {users}; releasing it would let IPAM assign \
                     it again. Refusing to release (re-run with --force to release it anyway)"
                )));
            }
            writeln!(
                out,
                "WARNING: IP address {ip} is in use by {users}. Ignoring due to --force option"
            )?;
        }
        if args.dry_run {
            return match ipam.get_assignment_attributes(ip) {
                Ok(_) => {
                    writeln!(
                        out,
                        "Would release IP address {ip} (dry run: nothing was released)"
                    )?;
                    Ok(())
                }
                Err(e) if e.is_not_found() => {
                    Err(CmdError::new(format!("IP address {ip} is not assigned")))
                }
                Err(e) => Err(CmdError::new(format!("error: {e}"))),
            };
        }
        let unallocated = ipam
            .release_ips(&[ReleaseOptions::ip(ip)])
            .map_err(|e| CmdError::new(format!("error: {e}")))?;
        if unallocated.contains(&ip) {
            return Err(CmdError::new(format!("IP address {ip} is not assigned")));
        }
        writeln!(out, "Successfully released IP address {ip}")?;
        return Ok(());
    }
    if args.from_report.is_empty() {
        return Ok(());
    }
    let client = ipam.client();
    let info = client
        .get::<ClusterInformation>(None, "default")
        .map_err(|e| CmdError::new(e.to_string()))?;
    let mut reports = Vec::new();
    for path in &args.from_report {
        let r = read_report(path)?;
        if r.cluster_guid != info.spec.cluster_guid {
            return Err(CmdError::new(format!(
                "cluster does not match the provided report ({path}): mismatched cluster GUID. Refusing to release"
            )));
        }
        if r.version != VERSION {
            if !args.force {
                return Err(CmdError::new(format!(
                    "the provided report ({path}) was produced using a different version ({}) of calicoctl. Refusing to release",
                    r.version
                )));
            }
            writeln!(
                out,
                "WARNING: Report was produced using a different version of calicoctl. Ignoring due to --force option"
            )?;
        }
        reports.push(r);
    }
    if !reports
        .iter()
        .any(|r| r.cluster_information_revision == info.metadata.resource_version)
    {
        return Err(CmdError::new(
            "the provided reports are all stale - at least one should be up-to-date. Please generate a new report while the data store is locked and try again",
        ));
    }
    if info.spec.datastore_ready != Some(false) {
        if !args.force {
            return Err(CmdError::new(
                "data store is not locked. Either lock the data store, or re-run with --force",
            ));
        }
        writeln!(
            out,
            "WARNING: Data store is not locked. Ignoring due to --force option"
        )?;
    }

    // Leaked in every report, with the same handle and sequence number.
    let first = &reports[0];
    let mut to_release: Vec<ReleaseOptions> = Vec::new();
    for (ip, allocs) in &first.allocations {
        for a in allocs.iter().filter(|a| !a.in_use) {
            let everywhere = reports[1..].iter().all(|r| {
                r.allocations.get(ip).is_some_and(|other| {
                    other.iter().any(|o| {
                        !o.in_use && o.handle == a.handle && o.sequence_number == a.sequence_number
                    })
                })
            });
            if everywhere && let Ok(addr) = ip.parse::<IpAddr>() {
                to_release.push(ReleaseOptions {
                    address: addr,
                    handle: a.handle.clone(),
                    sequence_number: a.sequence_number,
                });
            }
        }
    }
    // Re-check the holders now: an address a workload or node took up since the report is
    // kept, whatever the report says.
    let candidates: BTreeSet<IpAddr> = to_release.iter().map(|o| o.address).collect();
    let now_in_use = ipam
        .in_use_among(&candidates)
        .map_err(|e| CmdError::new(e.to_string()))?;
    to_release.retain(|o| !now_in_use.contains(&o.address));

    if to_release.is_empty() {
        writeln!(out, "Report didn't contain any leaked IPs to clean up.")?;
    } else if args.dry_run {
        writeln!(
            out,
            "Would release {} old IPs (dry run: nothing was released):",
            to_release.len()
        )?;
        for o in &to_release {
            writeln!(out, "  {}", o.address)?;
        }
    } else {
        writeln!(out, "Releasing {} old IPs...", to_release.len())?;
        let bar = super::progress(to_release.len() as u64, "releasing");
        let mut already = 0usize;
        let mut error = None;
        for chunk in to_release.chunks(100) {
            match ipam.release_ips(chunk) {
                Ok(unallocated) => already += unallocated.len(),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        match error {
            Some(e) => writeln!(
                out,
                "An error occurred while releasing some IPs: {e}.  Problems are often caused by an out-of-date IPAM report.  Try regenerating the IPAM report and retry."
            )?,
            None => {
                writeln!(
                    out,
                    "Released {} IPs successfully",
                    to_release.len() - already
                )?;
                if already > 0 {
                    writeln!(
                        out,
                        "{already} addresses marked as leaked in the report had already been cleaned up."
                    )?;
                }
            }
        }
    }

    // Handles leaked in every report with the same revision.
    let mut handles: BTreeMap<String, String> = first
        .leaked_handles
        .iter()
        .map(|h| (h.id.clone(), h.revision.clone()))
        .collect();
    handles.retain(|id, rev| {
        reports[1..].iter().all(|r| {
            r.leaked_handles
                .iter()
                .any(|h| h.id == *id && h.revision == *rev)
        })
    });
    if handles.is_empty() {
        writeln!(out, "Report didn't contain any handles to clean up.")?;
    } else if args.dry_run {
        writeln!(
            out,
            "Would delete {} handles (dry run: nothing was deleted).",
            handles.len()
        )?;
    } else {
        writeln!(out, "Deleting {} handles...", handles.len())?;
        writeln!(
            out,
            "Key: '.' = Deleted OK; 'x' = skip, handle missing/changed."
        )?;
        let (mut ok, mut skipped, mut errors) = (0, 0, 0);
        let mut marks = String::new();
        for (id, rev) in &handles {
            let key = keys::handle(id);
            let revision: i64 = rev.parse().unwrap_or(-1);
            match client
                .store()
                .txn(Txn::new().require_revision(&key, revision).delete(&key))
            {
                Ok(r) if r.succeeded => {
                    ok += 1;
                    marks.push('.');
                }
                Ok(_) => {
                    skipped += 1;
                    marks.push('x');
                }
                Err(_) => {
                    errors += 1;
                    marks.push('x');
                }
            }
        }
        writeln!(out, "{marks}")?;
        writeln!(
            out,
            "Released {ok} handles; {skipped} skipped; {errors} errors."
        )?;
    }
    writeln!(out, "You may now unlock the data store.")?;
    Ok(())
}
