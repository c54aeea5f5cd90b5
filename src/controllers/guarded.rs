//! Releases guarded by handle and sequence number, shared by the garbage collector
//! ([`super::gc`]) and the sticky controller ([`super::sticky`]), and the datastore lock both
//! respect.

use crate::datastore::api::Client;
use crate::ipam::{Ipam, IpamError, ReleaseOptions};
use crate::model::{Cidr, ClusterInformation};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// What became of one address given to [`release_guarded`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Released {
    /// Released now.
    Freed,
    /// Already free when the release came (someone else released it first).
    AlreadyFree,
    /// Not released, with why (e.g. `update conflict: ...` when re-assigned since read).
    Failed(String),
}

/// Releases addresses, each guarded by the handle and sequence number it was read with
/// ([`Ipam::release_ips_by_block`]), block by block (`wanted`: each address's block and release
/// options, each address at most once); one outcome per entry of `wanted`, in its order.
/// Calico fails a whole block's release when one of its addresses changed hands; here the
/// block's other addresses are then released one by one, each still guarded.
pub(crate) fn release_guarded(ipam: &Ipam, wanted: &[(Cidr, ReleaseOptions)]) -> Vec<Released> {
    let index: HashMap<IpAddr, usize> = wanted
        .iter()
        .enumerate()
        .map(|(i, (_, o))| (o.address, i))
        .collect();
    let mut by_block: BTreeMap<Cidr, Vec<&ReleaseOptions>> = BTreeMap::new();
    for (block, o) in wanted {
        by_block.entry(*block).or_default().push(o);
    }
    let mut outcomes = Vec::new();
    for (chunk, outcome) in ipam.release_ips_by_block(by_block) {
        match outcome {
            Err(IpamError::ReleaseConflict { .. }) if chunk.len() > 1 => {
                // One of them changed hands: the others one by one, each still guarded.
                let singles = chunk
                    .iter()
                    .map(|o| (wanted[index[&o.address]].0, vec![*o]));
                outcomes.extend(ipam.release_ips_by_block(singles.collect::<Vec<_>>()));
            }
            outcome => outcomes.push((chunk, outcome)),
        }
    }
    // A block's later parts are not tried after a failed one.
    let mut out =
        vec![
            Released::Failed("not tried: an earlier release in its block failed".to_string());
            wanted.len()
        ];
    for (chunk, outcome) in outcomes {
        for o in chunk {
            out[index[&o.address]] = match &outcome {
                Ok(unallocated) if unallocated.contains(&o.address) => Released::AlreadyFree,
                Ok(_) => Released::Freed,
                Err(e) => Released::Failed(e.to_string()),
            };
        }
    }
    out
}

/// Whether the datastore may be written: ClusterInformation `default` exists and does not say
/// `datastoreReady: false` (`calicoctl datastore migrate lock`).
pub(crate) fn datastore_ready(client: &Client) -> Result<bool, IpamError> {
    Ok(client
        .get_opt::<ClusterInformation>(None, "default")?
        .is_some_and(|i| i.spec.datastore_ready != Some(false)))
}

/// How a released (or not) address is told in the log.
pub(crate) trait Told {
    /// After its release.
    fn released_line(&self) -> String;
    /// In a dry run.
    fn would_release_line(&self) -> String;
    /// When its release failed, with why.
    fn not_released_line(&self, why: &str) -> String;
}

/// Logs a release pass: what a dry run would release, what was released, and what was not
/// (with why).
pub(crate) fn log_releases<T: Told>(
    log: super::Log,
    dry_run: bool,
    confirmed: &[T],
    released: &[T],
    not_released: &[(T, String)],
) {
    if dry_run {
        for t in confirmed {
            log("INFO", &t.would_release_line());
        }
    }
    for t in released {
        log("INFO", &t.released_line());
    }
    for (t, why) in not_released {
        log("WARN", &t.not_released_line(why));
    }
}
