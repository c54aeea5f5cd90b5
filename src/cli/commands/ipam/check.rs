//! `calicoctl ipam check`.

use super::ipam;
use crate::cli::{CmdError, CmdResult, Ctx, VERSION};
use crate::ipam::GATEWAY_ADDRESS_TYPE;
use crate::ipam::block::is_windows_reserved;
use crate::ipam::check::{CheckOptions, RESERVED_FOR_WINDOWS, ReportWriter, format_attrs};
use clap::Args;
use serde_json::json;
use std::io::Write;

/// Check the integrity of the IPAM datastructures.
///
/// Unlike calicoctl, the check needs no datastore lock: it records the datastore revision in
/// its report, and `ipam release --from-report` frees an address only if the allocation the
/// report saw (handle and sequence number) is still the one in the datastore.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # Check IPAM's consistency.\n  calicoctl ipam check\n\n  # List the problem addresses and write a report for ipam release.\n  calicoctl ipam check --show-problem-ips -o report.json"
)]
pub struct CheckArgs {
    /// Print all the IPs in use, not only those that are problems.
    #[arg(long)]
    pub(crate) show_all_ips: bool,
    /// Print all the IPs that are problems (leaked, unallocated, not in a pool).
    #[arg(long)]
    pub(crate) show_problem_ips: bool,
    /// Write a report of the allocations to FILE (JSON), for `ipam release --from-report`.
    /// The values `json` and `yaml` instead print the findings on stdout in that format
    /// (extension; write `./json` for a report file named json).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Accepted for compatibility; Kubernetes services are not checked.
    #[arg(long, value_name = "KUBECONFIG")]
    pub kubeconfig: Option<String>,
}

/// Runs `ipam check`.
pub fn run(ctx: &Ctx, args: &CheckArgs, out: &mut dyn Write) -> CmdResult {
    let ipam = ipam(ctx)?;
    let structured = matches!(args.output.as_deref(), Some("json" | "yaml" | "yml"));
    let show_problems = args.show_problem_ips || args.show_all_ips;
    let report_path = args.output.as_deref().filter(|_| !structured);
    // The report's entries go to a spill file next to the report as they are read (unlinked
    // at once, so nothing is left behind), and are written out in order at the end.
    let mut writer = match report_path {
        Some(path) => {
            let spill_path = format!("{path}.entries.tmp");
            let spill = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&spill_path)
                .map_err(|e| {
                    CmdError::new(format!(
                        "failed to write report {path}: {}",
                        crate::go::errno::io_reason(&e)
                    ))
                })?;
            let _ = std::fs::remove_file(&spill_path);
            Some(ReportWriter::new(spill))
        }
        None => None,
    };
    let options = CheckOptions {
        node_owned_types: &[GATEWAY_ADDRESS_TYPE],
        keep_block_allocations: args.show_all_ips,
    };
    let bar = super::progress(1, "checking IPAM");
    let mut add = |a: crate::ipam::check::Allocation| writer.as_mut().map_or(Ok(()), |w| w.add(&a));
    let visit = report_path
        .is_some()
        .then_some(&mut add as &mut dyn FnMut(_) -> _);
    let r = ipam
        .check_with(VERSION, &options, visit)
        .map_err(|e| match (&e, report_path) {
            (crate::ipam::IpamError::Aborted(m), Some(path)) => {
                CmdError::new(format!("failed to write report {path}: {m}"))
            }
            _ => CmdError::new(e.to_string()),
        })?;
    bar.finish_and_clear();
    // A block that cannot be read is listed and left unchecked; say so where it cannot be
    // missed (the text report itself stays calicoctl's).
    for problem in &r.unreadable_blocks {
        crate::cli::stdio::err(&format!(
            "warning: {problem}; its allocations are not checked\n"
        ));
    }

    if structured {
        let value = json!({
            "datastoreRevision": r.report.datastore_revision,
            "clusterGUID": r.report.cluster_guid,
            "datastoreLocked": r.report.datastore_locked,
            "blocks": r.blocks.len(),
            "allocations": r.allocation_count,
            "activePools": r.active_pools.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "nodeTunnelIPs": r.node_tunnel_ips,
            "workloadIPs": r.workload_ips,
            "inUseIPs": r.in_use_count(),
            "leakedIPs": r.leaked.iter().map(|l| {
                let a = &l.allocation;
                json!({"ip": l.ip.to_string(), "handle": a.handle, "sequenceNumber": a.sequence_number, "node": a.node, "namespace": a.namespace, "pod": a.pod})
            }).collect::<Vec<_>>(),
            "inUseNotInPool": r.not_in_pool.iter().map(|u| json!({"ip": u.ip.to_string(), "owner": u.owners.join(", ")})).collect::<Vec<_>>(),
            "inUseUnallocated": r.unallocated.iter().map(|u| json!({"ip": u.ip.to_string(), "owner": u.owners.join(", ")})).collect::<Vec<_>>(),
            "multipleOwners": r.multiple_owners.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "leakedHandles": r.leaked_handles.iter().map(|h| h.id.clone()).collect::<Vec<_>>(),
            "missingHandles": r.missing_handles,
            "blocksNotInPool": r.blocks_not_in_pool.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "invalidBlocks": r.blocks.iter().filter(|b| !b.problems.is_empty()).map(|b| json!({"cidr": b.cidr.to_string(), "problems": b.problems})).collect::<Vec<_>>(),
            "stickyIPs": r.sticky.iter().map(|a| json!({"ip": a.ip.to_string(), "identity": a.identity, "handle": a.handle, "node": a.node, "heldByEndpoint": !a.owners.is_empty(), "owners": a.owners})).collect::<Vec<_>>(),
            "floatingIPsWithMultipleHolders": r.floating_multiple.iter().map(|u| json!({"ip": u.ip.to_string(), "owners": u.owners})).collect::<Vec<_>>(),
            "problems": r.problems(),
        });
        let text = if args.output.as_deref() == Some("json") {
            crate::output::yaml::to_json(&value)
        } else {
            crate::output::yaml::to_yaml(&value)
        };
        out.write_all(text.as_bytes())?;
        return Ok(());
    }

    writeln!(out, "Checking IPAM for inconsistencies...\n")?;
    writeln!(out, "Loading all IPAM blocks...")?;
    writeln!(out, "Found {} IPAM blocks.", r.blocks.len())?;
    for b in &r.blocks {
        let aff = b.affinity.clone().unwrap_or_else(|| "<none>".to_string());
        writeln!(out, " IPAM block {} affinity={aff}:", b.cidr)?;
        if args.show_all_ips {
            for (ip, handle, extra) in &b.allocations {
                if handle.as_deref().is_some_and(is_windows_reserved) {
                    writeln!(out, "  {ip} belongs to {RESERVED_FOR_WINDOWS}")?;
                }
                writeln!(
                    out,
                    "  {ip} allocated; attrs {}",
                    format_attrs(handle.as_deref(), extra)
                )?;
            }
        }
    }
    writeln!(
        out,
        "IPAM blocks record {} allocations.\n",
        r.allocation_count
    )?;
    writeln!(out, "Loading all IPAM pools...")?;
    for p in &r.active_pools {
        writeln!(out, "  {p}")?;
    }
    writeln!(out, "Found {} active IP pools.", r.active_pools.len())?;
    // An extension (Calico does not look): said only when there is such a block, so a
    // healthy cluster's output stays calicoctl's.
    if !r.blocks_not_in_pool.is_empty() {
        if show_problems {
            for b in &r.blocks_not_in_pool {
                writeln!(out, "  IPAM block {b} is not in any IP pool.")?;
            }
        }
        writeln!(
            out,
            "Found {} IPAM blocks that are not in any IP pool.",
            r.blocks_not_in_pool.len()
        )?;
    }
    writeln!(out)?;
    // With --show-all-ips, each owner's addresses as they were read: the Nodes', then the
    // WorkloadEndpoints'.
    let read_order = if args.show_all_ips {
        r.in_use.in_read_order()
    } else {
        Vec::new()
    };
    let (node_ips, workload_ips) = read_order.split_at(r.node_tunnel_ips.min(read_order.len()));
    writeln!(out, "Loading all nodes.")?;
    for (ip, owner) in node_ips {
        writeln!(out, "  {ip} belongs to {owner}")?;
    }
    writeln!(out, "Found {} node tunnel IPs.\n", r.node_tunnel_ips)?;
    writeln!(out, "Loading all service load balancer IPs.")?;
    writeln!(
        out,
        "No configuration for LoadBalancer kubecontroller found, skipping service check\n"
    )?;
    writeln!(out, "Loading all workload endpoints.")?;
    for (ip, owner) in workload_ips {
        writeln!(out, "  {ip} belongs to {owner}")?;
    }
    writeln!(out, "Found {} workload IPs.", r.workload_ips)?;
    writeln!(
        out,
        "Workloads and nodes are using {} IPs.\n",
        r.in_use_count()
    )?;
    writeln!(out, "Loading all handles")?;
    writeln!(out, "Looking for top (up to 20) nodes by allocations...")?;
    for (node, n) in r.node_allocations.iter().take(20) {
        writeln!(out, "  {node} has {n} allocations")?;
    }
    if let Some(median) = r.median_node_allocations() {
        let max = r.node_allocations[0].1;
        writeln!(
            out,
            "Node with most allocations has {max}; median is {median}"
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Scanning for IPs that are allocated but not actually in use..."
    )?;
    if show_problems {
        for l in &r.leaked {
            writeln!(out, "  {} leaked; attrs {}", l.ip, l.attrs)?;
        }
    }
    writeln!(
        out,
        "Found {} IPs that are allocated in IPAM but not actually in use.",
        r.leaked.len()
    )?;
    // Extensions (issue 25), said only when there is something to say, so that other
    // clusters' output stays calicoctl's.
    if !r.sticky.is_empty() {
        if args.show_all_ips {
            for a in &r.sticky {
                match a.owners.as_slice() {
                    [] => writeln!(
                        out,
                        "  {} held for sticky identity {}; not in use, kept for its next pod",
                        a.ip, a.identity
                    )?,
                    owners => writeln!(
                        out,
                        "  {} held for sticky identity {}; in use by {}",
                        a.ip,
                        a.identity,
                        owners.join(", ")
                    )?,
                }
            }
        }
        let parked = r.sticky.iter().filter(|a| a.owners.is_empty()).count();
        writeln!(
            out,
            "Found {} IPs held for sticky StatefulSet identities ({parked} not in use, kept for the identity's next pod).",
            r.sticky.len()
        )?;
    }
    writeln!(
        out,
        "Scanning for IPs that are in use by a workload or node but not allocated in IPAM..."
    )?;
    if show_problems {
        for ip in &r.multiple_owners {
            writeln!(out, "  {ip} has multiple owners.")?;
        }
        for u in &r.not_in_pool {
            for owner in &u.owners {
                writeln!(
                    out,
                    "  {} in use by {owner} is not in any active IP pool.",
                    u.ip
                )?;
            }
        }
        for u in &r.unallocated {
            for owner in &u.owners {
                writeln!(
                    out,
                    "  {} in use by {owner} and in active IPAM pool but has no IPAM allocation.",
                    u.ip
                )?;
            }
        }
    }
    writeln!(
        out,
        "Found {} in-use IPs that are not in active IP pools.",
        r.not_in_pool.len()
    )?;
    writeln!(
        out,
        "Found {} in-use IPs that are in active IP pools but have no corresponding IPAM allocation.\n",
        r.unallocated.len()
    )?;
    writeln!(out, "Scanning for IPAM handles with no matching IPs...")?;
    if args.show_all_ips {
        for h in &r.leaked_handles {
            writeln!(out, "  {} doesn't have any active IPs.", h.id)?;
        }
    }
    writeln!(
        out,
        "Found {} handles with no matching IPs (and {} handles with matches).",
        r.leaked_handles.len(),
        r.handles_with_matches
    )?;
    writeln!(out, "Scanning for IPs with missing handle...")?;
    if show_problems {
        for h in &r.missing_handles {
            writeln!(out, "  {h} is in use in a block but doesn't exist.")?;
        }
    }
    writeln!(
        out,
        "Found {} handles mentioned in blocks with no matching handle resource.",
        r.missing_handles.len()
    )?;
    if !r.floating_multiple.is_empty() {
        writeln!(
            out,
            "Scanning for floating IPs held by more than one workload..."
        )?;
        for u in &r.floating_multiple {
            writeln!(
                out,
                "  floating IP {} is held by {}.",
                u.ip,
                u.owners.join(", ")
            )?;
        }
        writeln!(
            out,
            "Found {} floating IPs held by more than one workload.",
            r.floating_multiple.len()
        )?;
    }
    writeln!(out, "Check complete; found {} problems.", r.problems())?;
    if let (Some(path), Some(writer)) = (report_path, writer) {
        let tmp = format!("{path}.tmp");
        std::fs::File::create(&tmp)
            .and_then(|f| writer.finish(&r.report, &mut std::io::BufWriter::new(f)))
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                CmdError::new(format!(
                    "failed to write report {path}: {}",
                    crate::go::errno::io_reason(&e)
                ))
            })?;
    }
    Ok(())
}
