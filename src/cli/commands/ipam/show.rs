//! `calicoctl ipam show`.

use super::{ipam, parse_ip_arg};
use crate::cli::{CmdError, CmdResult, Ctx};
use crate::go::fmt::{g5, no_decimals};
use crate::ipam::sticky::StickyId;
use crate::ipam::{AllocationBlock, IpamError};
use crate::model::{Cidr, IpPool};
use crate::output::table::{ascii_table, tabwriter};
use clap::Args;
use serde_json::json;
use std::io::Write;

/// The ipam show command prints information about a given IP address, or about overall IP
/// usage.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # Show how much of each IP pool is in use.\n  calicoctl ipam show\n\n  # Show each block and its use.\n  calicoctl ipam show --show-blocks\n\n  # Show who holds an address.\n  calicoctl ipam show --ip=10.0.0.5\n\n  # Show the IPAM configuration.\n  calicoctl ipam show --show-configuration"
)]
pub struct ShowArgs {
    /// Report whether this specific IP address is in use.
    #[arg(long, value_name = "IP", group = "what")]
    pub ip: Option<String>,
    /// Show detailed information for IP blocks as well as pools.
    #[arg(long, group = "what")]
    pub(crate) show_blocks: bool,
    /// Show detailed information for "borrowed" IP addresses.
    #[arg(long, group = "what")]
    pub(crate) show_borrowed: bool,
    /// Show current Calico IPAM configuration.
    #[arg(long, group = "what")]
    pub(crate) show_configuration: bool,
    /// Show used, reserved and free addresses per pool (extension).
    #[arg(long, group = "what")]
    pub summary: bool,
    /// Output format (extension): json or yaml, with the schema documented in
    /// `calicoctl-ipam-show(1)`. Without it, calicoctl's tables.
    #[arg(short = 'o', long = "output", value_name = "FORMAT")]
    pub output: Option<String>,
}

struct Usage {
    total: f64,
    in_use: f64,
}

fn row(group: &str, cidr: &str, u: &Usage) -> Vec<String> {
    let free = u.total - u.in_use;
    let pct = |n: f64| {
        if u.total == 0.0 {
            0.0
        } else {
            100.0 * n / u.total
        }
    };
    vec![
        group.to_string(),
        cidr.to_string(),
        g5(u.total),
        format!("{} ({}%)", g5(u.in_use), no_decimals(pct(u.in_use))),
        format!("{} ({}%)", g5(free), no_decimals(pct(free))),
    ]
}

fn structured(value: &serde_json::Value, format: &str) -> Result<String, CmdError> {
    match format {
        "json" => Ok(crate::output::yaml::to_json(value)),
        "yaml" | "yml" => Ok(crate::output::yaml::to_yaml(value)),
        other => Err(CmdError::new(format!(
            "unrecognized output format '{other}'"
        ))),
    }
}

/// Runs `ipam show`.
pub fn run(ctx: &Ctx, args: &ShowArgs, out: &mut dyn Write) -> CmdResult {
    let ip = args.ip.as_deref().map(parse_ip_arg).transpose()?;
    if let Some(f) = &args.output {
        structured(&serde_json::Value::Null, f)?;
    }
    let ipam = ipam(ctx)?;
    let fail = |e: IpamError| CmdError::new(e.to_string());

    if let Some(ip) = ip {
        // As Calico's GetAssignmentAttributes: an address in no pool is "not assigned",
        // whatever blocks remain. (Calico looks only in enabled pools; a disabled pool's
        // addresses are still in use, and are shown.)
        let in_pool = ipam
            .pool_entries()
            .map_err(fail)?
            .iter()
            .any(|p| p.cidr.contains_ip(ip));
        let attrs = if !in_pool {
            None
        } else {
            match ipam.get_assignment_attributes(ip) {
                Ok(a) => Some(a),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(fail(e)),
            }
        };
        // A sticky StatefulSet identity's address (issue 25): named from its handle.
        let sticky = attrs
            .as_ref()
            .and_then(|a| a.handle_id.as_deref())
            .and_then(StickyId::parse_handle)
            .map(|(_, id)| id.to_string());
        if let Some(f) = &args.output {
            let v = match &attrs {
                None => json!({"ip": ip.to_string(), "inUse": false}),
                Some(a) => {
                    let mut v = json!({
                        "ip": ip.to_string(), "inUse": true, "block": a.block.to_string(),
                        "blockAffinity": a.block_affinity, "handle": a.handle_id,
                        "sequenceNumber": a.sequence_number, "attributes": a.attrs,
                    });
                    if let Some(id) = &sticky {
                        v["sticky"] = json!(id);
                    }
                    v
                }
            };
            out.write_all(structured(&v, f)?.as_bytes())?;
            return Ok(());
        }
        match attrs {
            None => writeln!(out, "{ip} is not assigned")?,
            Some(a) => {
                writeln!(out, "IP {ip} is in use")?;
                if a.attrs.is_empty() {
                    writeln!(out, "No attributes defined")?;
                } else {
                    writeln!(out, "Attributes:")?;
                    for (k, v) in &a.attrs {
                        writeln!(out, "  {k}: {v}")?;
                    }
                }
                if let Some(id) = &sticky {
                    writeln!(out, "Sticky identity: {id} (kept across its pods)")?;
                }
            }
        }
        return Ok(());
    }

    if args.show_configuration {
        let cfg = ipam.get_config().map_err(fail)?;
        if let Some(f) = &args.output {
            let v = json!({"strictAffinity": cfg.strict_affinity, "autoAllocateBlocks": cfg.auto_allocate_blocks, "maxBlocksPerHost": cfg.max_blocks_per_host});
            out.write_all(structured(&v, f)?.as_bytes())?;
            return Ok(());
        }
        let rows = vec![
            vec![
                "StrictAffinity".to_string(),
                cfg.strict_affinity.to_string(),
            ],
            vec![
                "AutoAllocateBlocks".to_string(),
                cfg.auto_allocate_blocks.to_string(),
            ],
            vec![
                "MaxBlocksPerHost".to_string(),
                cfg.max_blocks_per_host.to_string(),
            ],
        ];
        out.write_all(ascii_table(&["PROPERTY", "VALUE"], &rows).as_bytes())?;
        return Ok(());
    }

    if args.show_borrowed {
        let mut rows = Vec::new();
        let mut no_node = 0usize;
        let mut borrowed_json = Vec::new();
        ipam.for_each_block(|b| {
            let host = b.host();
            for o in 0..b.size() {
                let Some(attr) = b.attribute_of(o) else {
                    continue;
                };
                let sec = attr.secondary.clone().unwrap_or_default();
                let Some(node) = sec.get("node") else {
                    no_node += 1;
                    continue;
                };
                if Some(node.as_str()) == host {
                    continue;
                }
                let (kind, to) = match (sec.get("pod"), sec.get("namespace")) {
                    (Some(p), Some(ns)) => ("pod".to_string(), format!("{ns}/{p}")),
                    _ => (sec.get("type").cloned().unwrap_or_default(), String::new()),
                };
                let owner = host.unwrap_or_default().to_string();
                borrowed_json.push(json!({"ip": b.ip_of(o).to_string(), "borrowingNode": node, "block": b.cidr.to_string(), "blockOwner": owner, "type": kind, "allocatedTo": to}));
                rows.push(vec![
                    b.ip_of(o).to_string(),
                    node.clone(),
                    b.cidr.to_string(),
                    owner,
                    kind,
                    to,
                ]);
            }
            Ok(())
        })
        .map_err(fail)?;
        if let Some(f) = &args.output {
            out.write_all(
                structured(
                    &json!({"borrowed": borrowed_json, "allocationsWithoutNode": no_node}),
                    f,
                )?
                .as_bytes(),
            )?;
            return Ok(());
        }
        out.write_all(
            ascii_table(
                &[
                    "IP",
                    "BORROWING-NODE",
                    "BLOCK",
                    "BLOCK OWNER",
                    "TYPE",
                    "ALLOCATED-TO",
                ],
                &rows,
            )
            .as_bytes(),
        )?;
        if no_node > 0 {
            writeln!(
                out,
                "\nNote: found {no_node} IP allocations without an explicit node association. Unable to determine if they are borrowed."
            )?;
        }
        return Ok(());
    }

    if args.summary || args.output.is_some() {
        let usage = ipam.pool_usage().map_err(fail)?;
        let block_usage = ipam.block_usage().map_err(fail)?;
        if let Some(f) = &args.output {
            let pools: Vec<_> = usage
                .iter()
                .map(|p| {
                    let mut v = json!({
                        "name": p.name, "cidr": p.cidr.to_string(), "enabled": p.enabled,
                        "total": p.size.to_string(), "inUse": p.allocated.to_string(),
                        "reserved": p.reserved.to_string(), "free": p.free.to_string(),
                        "blockCount": p.blocks,
                    });
                    if args.show_blocks {
                        v["blocks"] = block_usage
                            .iter()
                            .filter(|b| b.pool.as_deref() == Some(p.name.as_str()))
                            .map(|b| json!({"cidr": b.cidr.to_string(), "affinity": b.affinity, "total": b.size, "inUse": b.allocated, "reserved": b.reserved, "free": b.free}))
                            .collect();
                    }
                    v
                })
                .collect();
            out.write_all(structured(&json!({"pools": pools}), f)?.as_bytes())?;
            return Ok(());
        }
        let mut rows = vec![
            vec![
                "NAME", "CIDR", "TOTAL", "IN USE", "RESERVED", "FREE", "BLOCKS",
            ]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>(),
        ];
        for p in &usage {
            rows.push(vec![
                p.name.clone(),
                p.cidr.to_string(),
                p.size.to_string(),
                p.allocated.to_string(),
                p.reserved.to_string(),
                p.free.to_string(),
                p.blocks.to_string(),
            ]);
        }
        out.write_all(tabwriter(&rows).as_bytes())?;
        writeln!(out)?;
        return Ok(());
    }

    // calicoctl's default and --show-blocks tables.
    let pools: Vec<IpPool> = ipam
        .client()
        .list::<IpPool>(None)
        .map_err(|e| CmdError::new(e.to_string()))?
        .items;
    let pool_cidrs: Vec<(Cidr, &IpPool)> = pools
        .iter()
        .filter_map(|p| p.cidr().map(|c| (c, p)))
        .collect();
    // Each block as its size and the addresses in use, read one block at a time.
    struct BlockUse {
        cidr: Cidr,
        size: f64,
        used: f64,
    }
    let mut blocks: Vec<BlockUse> = Vec::new();
    ipam.for_each_block(|b: AllocationBlock| {
        blocks.push(BlockUse {
            cidr: b.cidr,
            size: b.size() as f64,
            used: (b.size() - b.unallocated.len().min(b.size())) as f64,
        });
        Ok(())
    })
    .map_err(fail)?;
    let mut rows = Vec::new();
    for (cidr, _) in &pool_cidrs {
        let inside: Vec<&BlockUse> = blocks.iter().filter(|b| cidr.contains(&b.cidr)).collect();
        let in_use: f64 = inside.iter().map(|b| b.used).fold(0.0, |a, b| a + b);
        rows.push(row(
            "IP Pool",
            &cidr.to_string(),
            &Usage {
                total: cidr.size_f64(),
                in_use,
            },
        ));
        if args.show_blocks {
            for b in inside {
                rows.push(row(
                    "Block",
                    &b.cidr.to_string(),
                    &Usage {
                        total: b.size,
                        in_use: b.used,
                    },
                ));
            }
        }
    }
    if args.show_blocks {
        for b in blocks
            .iter()
            .filter(|b| b.cidr.is_ipv4() && !pool_cidrs.iter().any(|(c, _)| c.contains(&b.cidr)))
        {
            rows.push(row(
                "Block",
                &b.cidr.to_string(),
                &Usage {
                    total: b.size,
                    in_use: b.used,
                },
            ));
        }
    }
    out.write_all(
        ascii_table(
            &["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"],
            &rows,
        )
        .as_bytes(),
    )?;
    Ok(())
}
