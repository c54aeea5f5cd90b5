//! IPAM garbage collection (`calico-kube-controllers`): addresses whose pod or node is gone
//! are released, each by a compare-and-swap on its handle and sequence number.
//!
//! Semantics are those of Calico's kube-controllers node controller (`kc/node/ipam`, see
//! `reference/calico-kubernetes.md` §2.7-2.8), over a view of Kubernetes that the caller keeps
//! ([`LiveSet`]: the pods and nodes that exist, from list and watch):
//! - an allocation with `pod` and `namespace` attributes is valid while that pod exists
//!   (namespace and name; WorkloadEndpoints are not consulted, so a pod whose endpoint is
//!   gone keeps its address);
//! - a node's tunnel addresses (`type` `ipipTunnelAddress`, ...) and its CNI gateway address
//!   (`cniGatewayAddress`) are valid while the node exists; once it is gone they go with its
//!   last valid allocation;
//! - an invalid allocation on a node that exists becomes a candidate, timed from the first
//!   pass that sees it (in memory: a restart starts every grace period again), and is released
//!   at the first pass more than the grace period later; with a grace period of `0`
//!   candidates are counted but never released ("0 disables", as in Calico);
//! - an invalid allocation on a node that is gone is released at once;
//! - never collected: allocations without a handle, without a `node` attribute, with
//!   Windows' reserved handle, or a StatefulSet replica's sticky handle
//!   (`<network>.sticky.<namespace>.<statefulset>-<ordinal>`: the sticky controller,
//!   [`super::sticky`], owns its release), or of an unknown kind (neither pod nor node
//!   address); those on
//!   a Calico Node that is not a Kubernetes node (it has no `k8s` orchRef and no Kubernetes
//!   Node has its name); and any allocation whose handle holds another allocation that is
//!   not itself released in the same pass (Calico's whole-handle rule);
//! - nothing is read or written while the caller's view is not in sync or the datastore is
//!   locked (ClusterInformation `default` missing or `datastoreReady: false`).
//!
//! Node names: blocks and the `node` attribute hold Calico Node names. A Calico Node with a
//! `k8s` orchRef stands for the Kubernetes Node named there (Calico's mapping); one without
//! stands for the Kubernetes Node of its own name when there is one (our `calico-node` does not
//! write orchRefs); a `node` attribute naming no Calico Node stands for the Kubernetes Node of
//! that name, and is gone when there is none (Calico: a missing Calico Node counts as gone).
//!
//! Reading is one paged scan of the blocks (one block decoded at a time), one list of the
//! pools and one of the Calico Nodes, and ClusterInformation `default`. Memory is that of the
//! candidates, the per-pool/node counters and an 8-byte hash per handle that holds a valid
//! allocation. Handles are read only for the addresses being released, by the release itself.
//!
//! Releasing goes through [`Ipam::release_ips_by_block`], the guarded release of `calicoctl
//! ipam release --from-report`: an address whose handle or sequence number changed since it was
//! read (re-assigned in between) is not released. Calico fails a whole block's release on such
//! a conflict; here the block's other addresses are then released one by one, each still
//! guarded, so one re-assigned address does not hold back its neighbours.

use super::guarded::{Released, Told, datastore_ready, release_guarded};
use super::sticky::sticky_handle;
use crate::datastore::api::Client;
use crate::ipam::block::is_windows_reserved;
use crate::ipam::{GATEWAY_ADDRESS_TYPE, Ipam, IpamError, ReleaseOptions, attr};
use crate::model::{Cidr, Node};
use crate::node::tunnel::TunnelType;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::time::{Duration, Instant};

#[cfg(test)]
mod tests;

/// The metric label of allocations without a `node` attribute (Calico's).
const UNKNOWN_NODE: &str = "unknown_node";
/// The metric label of blocks in no pool (Calico's).
const NO_IPPOOL: &str = "no_ippool";

/// What exists in Kubernetes, as the caller's list and watch see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LiveSet {
    /// The pods that exist: (namespace, name).
    pub(crate) pods: HashSet<(String, String)>,
    /// The Kubernetes Nodes that exist, by name.
    pub(crate) nodes: HashSet<String>,
    /// True once the pods and nodes have been listed (and are kept current by a watch).
    /// While false, a pass does nothing.
    pub(crate) synced: bool,
}

/// Why a pass did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paused {
    /// The caller's view of Kubernetes is not in sync yet.
    NotSynced,
    /// ClusterInformation `default` says `datastoreReady: false`, or is missing.
    DatastoreLocked,
}

impl fmt::Display for Paused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Paused::NotSynced => "Kubernetes pods and nodes not in sync yet, skipping ipam sync",
            Paused::DatastoreLocked => "datastore is locked, skipping ipam sync",
        })
    }
}

/// Why an allocation is a leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeakReason {
    /// Its pod does not exist (on a node that does).
    PodGone,
    /// Its node does not exist.
    NodeGone,
}

/// One leaked (or possibly leaked) allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leak {
    /// The address.
    pub(crate) ip: IpAddr,
    /// Its block.
    pub(crate) block: Cidr,
    /// The pool holding the block (`no_ippool` when none).
    pub(crate) pool: String,
    /// The handle holding it.
    pub(crate) handle: String,
    /// The allocation's sequence number (the release's guard).
    pub(crate) sequence_number: u64,
    /// The pod attributes: (namespace, name); none for a node's own address.
    pub(crate) pod: Option<(String, String)>,
    /// The `node` attribute (a Calico Node name).
    pub(crate) node: String,
    /// Why it is a leak.
    pub(crate) reason: LeakReason,
    /// Since the first pass that saw it leaked.
    pub(crate) leaked_for: Duration,
}

impl Leak {
    fn who(&self) -> String {
        let pod = match &self.pod {
            Some((ns, name)) => format!("{ns}/{name}"),
            None => "none".to_string(),
        };
        let gone = match self.reason {
            LeakReason::PodGone => "",
            LeakReason::NodeGone => " (node gone)",
        };
        format!(
            "{} (handle {}, pod {pod}, node {}{gone}) after {}",
            self.ip,
            self.handle,
            self.node,
            go_duration(self.leaked_for)
        )
    }

    /// The log line of a candidate: `Candidate IP leak <ip> (...) after <how long>`.
    pub(crate) fn candidate_line(&self) -> String {
        format!("Candidate IP leak {}", self.who())
    }
}

impl Told for Leak {
    /// `Released leaked IP address <ip> (handle <h>, pod <ns>/<name>, node <node>) after <how
    /// long>` (Go's duration format).
    fn released_line(&self) -> String {
        format!("Released leaked IP address {}", self.who())
    }

    /// `Would release leaked IP address ...`.
    fn would_release_line(&self) -> String {
        format!("Would release leaked IP address {}", self.who())
    }

    /// `Candidate IP leak ...: not released: <why>`.
    fn not_released_line(&self, why: &str) -> String {
        format!("{}: not released: {why}", self.candidate_line())
    }
}

fn go_duration(d: Duration) -> String {
    crate::go::duration::format_duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// What one pass found and did.
#[derive(Debug, Clone, Default)]
pub(crate) struct GcReport {
    /// Set when the pass did nothing (then the figures below are empty, except
    /// `reclamations`: keep serving the last report's gauges).
    pub(crate) paused: Option<Paused>,
    /// Allocations by (pool, node attribute), every known Calico Node with 0 in each real
    /// pool (`ipam_allocations_in_use`).
    pub(crate) in_use: BTreeMap<(String, String), u64>,
    /// Candidates and confirmed leaks by (pool, node) (`ipam_allocations_gc_candidates`).
    pub(crate) candidate_counts: BTreeMap<(String, String), u64>,
    /// Every invalid allocation seen (candidates and confirmed leaks).
    pub(crate) candidates: Vec<Leak>,
    /// Confirmed leaks kept because another allocation of their handle is not released.
    pub(crate) held: Vec<Leak>,
    /// Confirmed leaks to release (a dry run releases none of them).
    pub(crate) confirmed: Vec<Leak>,
    /// Released by this pass.
    pub(crate) released: Vec<Leak>,
    /// Already free when the release came (someone else released them first).
    pub(crate) already_free: Vec<Leak>,
    /// Not released, with why (e.g. `update conflict: ...` when re-assigned since read).
    pub(crate) not_released: Vec<(Leak, String)>,
    /// Blocks whose value does not decode (skipped), with the error.
    pub(crate) unreadable_blocks: Vec<String>,
    /// Allocations read.
    pub(crate) allocations: u64,
    /// Since the collector started: releases by (pool, node)
    /// (`ipam_allocations_gc_reclamations`).
    pub(crate) reclamations: BTreeMap<(String, String), u64>,
}

impl GcReport {
    fn paused(why: Paused, reclamations: &BTreeMap<(String, String), u64>) -> GcReport {
        GcReport {
            paused: Some(why),
            reclamations: reclamations.clone(),
            ..GcReport::default()
        }
    }

    /// The metrics in Prometheus' text exposition format (version 0.0.4), with Calico's
    /// names, help texts and labels (`ippool`, `node`).
    pub(crate) fn prometheus_text(&self) -> String {
        let mut out = String::new();
        metric(
            &mut out,
            "ipam_allocations_in_use",
            "IPs currently allocated in IPAM to a workload or tunnel endpoint.",
            "gauge",
            &self.in_use,
        );
        metric(
            &mut out,
            "ipam_allocations_gc_candidates",
            "Allocations that are currently marked by the garbage collector as potential \
             candidates to reclaim. Under normal operation, this metric should return to zero \
             after the garbage collector confirms that this allocation can be reclaimed and \
             reclaims it, or the allocation is confirmed as valid.",
            "gauge",
            &self.candidate_counts,
        );
        metric(
            &mut out,
            "ipam_allocations_gc_reclamations",
            "The total allocations that have been reclaimed by the garbage collector over \
             time. Under normal operation, this counter should increase, and increases of this \
             counter should align to a return to zero for the candidate gauge.",
            "counter",
            &self.reclamations,
        );
        out
    }
}

fn metric(
    out: &mut String,
    name: &str,
    help: &str,
    kind: &str,
    values: &BTreeMap<(String, String), u64>,
) {
    use std::fmt::Write as _;
    if values.is_empty() {
        return;
    }
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for ((pool, node), v) in values {
        let _ = writeln!(
            out,
            "{name}{{ippool=\"{}\",node=\"{}\"}} {v}",
            label_value(pool),
            label_value(node)
        );
    }
}

/// A label value escaped as the text format wants (`\\`, `\"`, `\n`).
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// What a Calico Node name stands for in Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeState {
    Live,
    Gone,
    /// Not a Kubernetes node: nothing on it is collected.
    NotKubernetes,
}

/// An allocation's identity for timing its grace period: a re-assigned address is a new one.
type AllocKey = (IpAddr, String, u64);

/// The garbage collector: remembers when each candidate was first seen.
#[derive(Debug)]
pub(crate) struct LeakCollector {
    grace: Duration,
    first_seen: HashMap<AllocKey, Instant>,
    reclamations: BTreeMap<(String, String), u64>,
}

impl LeakCollector {
    /// A collector releasing leaks on live nodes after `grace` (`0`: never, only count them).
    pub(crate) fn new(grace: Duration) -> LeakCollector {
        LeakCollector {
            grace,
            first_seen: HashMap::new(),
            reclamations: BTreeMap::new(),
        }
    }

    /// One pass: read the allocations, find the leaks, release the confirmed ones (unless
    /// `dry_run`). `now` is the time of the pass (grace periods are measured with it). An
    /// error reading the datastore fails the pass before anything is released; a failed
    /// release is reported in [`GcReport::not_released`] and the pass goes on.
    pub(crate) fn pass(
        &mut self,
        client: &Client,
        live: &LiveSet,
        now: Instant,
        dry_run: bool,
    ) -> Result<GcReport, IpamError> {
        if !live.synced {
            return Ok(GcReport::paused(Paused::NotSynced, &self.reclamations));
        }
        if !datastore_ready(client)? {
            return Ok(GcReport::paused(
                Paused::DatastoreLocked,
                &self.reclamations,
            ));
        }
        let ipam = Ipam::new(client.clone());
        let mut scan = Scan::new(self, live, client.list::<Node>(None)?.items, now);
        let pools = ipam.pool_entries()?;
        for p in &pools {
            for node in scan.calico_nodes.keys() {
                let k = (p.pool.metadata.name.clone(), node.clone());
                scan.report.in_use.insert(k.clone(), 0);
                scan.report.candidate_counts.insert(k, 0);
            }
        }
        ipam.for_each_block_or_unreadable(|block| {
            match block {
                Ok(block) => {
                    let pool = pools
                        .iter()
                        .find(|p| p.cidr.contains(&block.cidr))
                        .map_or(NO_IPPOOL, |p| p.pool.metadata.name.as_str());
                    scan.block(&block, pool);
                }
                Err(e) => scan.report.unreadable_blocks.push(e.to_string()),
            }
            Ok(())
        })?;
        let (mut report, first_seen, confirmed) = scan.finish();
        self.first_seen = first_seen;
        report.confirmed = confirmed;
        if !dry_run {
            self.release(&ipam, &mut report);
        }
        report.reclamations = self.reclamations.clone();
        Ok(report)
    }

    /// Releases `report.confirmed` ([`release_guarded`](super::guarded::release_guarded)), recording the outcome of each.
    fn release(&mut self, ipam: &Ipam, report: &mut GcReport) {
        let wanted: Vec<(Cidr, ReleaseOptions)> = report
            .confirmed
            .iter()
            .map(|l| {
                let o = ReleaseOptions {
                    address: l.ip,
                    handle: Some(l.handle.clone()),
                    sequence_number: Some(l.sequence_number),
                };
                (l.block.network(), o)
            })
            .collect();
        let outcomes = release_guarded(ipam, &wanted);
        for (leak, outcome) in report.confirmed.iter().zip(outcomes) {
            let leak = leak.clone();
            match outcome {
                Released::Freed => {
                    *self
                        .reclamations
                        .entry((leak.pool.clone(), leak.node.clone()))
                        .or_default() += 1;
                    report.released.push(leak);
                }
                Released::AlreadyFree => report.already_free.push(leak),
                Released::Failed(why) => report.not_released.push((leak, why)),
            }
        }
    }
}

/// A confirmed or candidate leak found by the scan, before the whole-handle rule.
struct Found {
    leak: Leak,
    confirmed: bool,
}

/// One pass's reading of the blocks.
struct Scan<'a> {
    grace: Duration,
    previous: &'a HashMap<AllocKey, Instant>,
    live: &'a LiveSet,
    now: Instant,
    /// Calico Node name → its Kubernetes Node name (from a `k8s` orchRef), if any.
    calico_nodes: HashMap<String, Option<String>>,
    states: HashMap<String, NodeState>,
    first_seen: HashMap<AllocKey, Instant>,
    /// Hashes of the handles holding an allocation that is not a confirmed leak.
    blockers: HashSet<u64>,
    hasher: RandomState,
    found: Vec<Found>,
    /// Tunnel and gateway addresses of nodes that are gone.
    gone_node_addresses: Vec<Leak>,
    /// Gone nodes that still hold a valid allocation.
    gone_nodes_in_use: HashSet<String>,
    report: GcReport,
}

impl<'a> Scan<'a> {
    fn new(
        collector: &'a LeakCollector,
        live: &'a LiveSet,
        nodes: Vec<Node>,
        now: Instant,
    ) -> Scan<'a> {
        let calico_nodes = nodes
            .into_iter()
            .map(|n| {
                let k8s = n
                    .spec
                    .orch_refs
                    .iter()
                    .find(|r| r.orchestrator.eq_ignore_ascii_case("k8s"))
                    .map(|r| r.node_name.clone());
                (n.metadata.name, k8s)
            })
            .collect();
        Scan {
            grace: collector.grace,
            previous: &collector.first_seen,
            live,
            now,
            calico_nodes,
            states: HashMap::new(),
            first_seen: HashMap::new(),
            blockers: HashSet::new(),
            hasher: RandomState::new(),
            found: Vec::new(),
            gone_node_addresses: Vec::new(),
            gone_nodes_in_use: HashSet::new(),
            report: GcReport::default(),
        }
    }

    fn node_state(&mut self, node: &str) -> NodeState {
        if let Some(s) = self.states.get(node) {
            return *s;
        }
        let live = |n: &str| self.live.nodes.contains(n);
        let state = match self.calico_nodes.get(node) {
            Some(Some(k8s)) if live(k8s) => NodeState::Live,
            Some(Some(_)) => NodeState::Gone,
            Some(None) if live(node) => NodeState::Live,
            Some(None) => NodeState::NotKubernetes,
            None if live(node) => NodeState::Live,
            None => NodeState::Gone,
        };
        self.states.insert(node.to_string(), state);
        state
    }

    fn block_handle(&mut self, handle: &str) {
        self.blockers.insert(self.hasher.hash_one(handle));
    }

    fn block(&mut self, block: &crate::ipam::AllocationBlock, pool: &str) {
        for ordinal in 0..block.size() {
            let Some(attribute) = block.attribute_of(ordinal) else {
                continue;
            };
            self.report.allocations += 1;
            let secondary = attribute.secondary.as_ref();
            let get = |k: &str| secondary.and_then(|s| s.get(k)).filter(|v| !v.is_empty());
            let node = get(attr::NODE);
            *self
                .report
                .in_use
                .entry((
                    pool.to_string(),
                    node.map_or(UNKNOWN_NODE, String::as_str).to_string(),
                ))
                .or_default() += 1;
            let Some(handle) = attribute.handle().filter(|h| !is_windows_reserved(h)) else {
                continue;
            };
            if sticky_handle(handle).is_some() {
                // A StatefulSet replica's: the sticky controller releases it.
                continue;
            }
            let Some(node) = node else {
                self.block_handle(handle);
                continue;
            };
            let state = self.node_state(node);
            if state == NodeState::NotKubernetes {
                self.block_handle(handle);
                continue;
            }
            let kind = get(attr::TYPE).map(String::as_str);
            let node_address = kind.is_some_and(|t| {
                t == GATEWAY_ADDRESS_TYPE || TunnelType::ALL.iter().any(|k| k.attribute() == t)
            });
            let pod = match (get(attr::NAMESPACE), get(attr::POD)) {
                (Some(ns), Some(name)) if !node_address => Some((ns.clone(), name.clone())),
                _ => None,
            };
            let pod_exists = pod.as_ref().is_some_and(|p| self.live.pods.contains(p));
            if !node_address && (pod.is_none() || pod_exists) {
                // A live pod's, or of an unknown kind: valid (and a gone node is not empty).
                self.block_handle(handle);
                if state == NodeState::Gone {
                    self.gone_nodes_in_use.insert(node.clone());
                }
                continue;
            }
            if node_address && state == NodeState::Live {
                self.block_handle(handle);
                continue;
            }
            let ip = block.ip_of(ordinal);
            let sequence_number = block.sequence_number_of(ordinal);
            let key = (ip, handle.to_string(), sequence_number);
            let since = self.previous.get(&key).copied().unwrap_or(self.now);
            self.first_seen.insert(key, since);
            let leak = Leak {
                ip,
                block: block.cidr,
                pool: pool.to_string(),
                handle: handle.to_string(),
                sequence_number,
                pod,
                node: node.clone(),
                reason: if state == NodeState::Gone {
                    LeakReason::NodeGone
                } else {
                    LeakReason::PodGone
                },
                leaked_for: self.now.saturating_duration_since(since),
            };
            if node_address {
                // A gone node's own address: decided once its whole node has been read.
                self.gone_node_addresses.push(leak);
                continue;
            }
            let confirmed =
                state == NodeState::Gone || (!self.grace.is_zero() && leak.leaked_for > self.grace);
            if !confirmed {
                self.block_handle(handle);
            }
            self.found.push(Found { leak, confirmed });
        }
    }

    /// The report (without releases), the candidates' first sightings, and the confirmed
    /// leaks to release.
    fn finish(mut self) -> (GcReport, HashMap<AllocKey, Instant>, Vec<Leak>) {
        for leak in std::mem::take(&mut self.gone_node_addresses) {
            let confirmed = !self.gone_nodes_in_use.contains(&leak.node);
            if !confirmed {
                self.block_handle(&leak.handle);
            }
            self.found.push(Found { leak, confirmed });
        }
        let mut confirmed = Vec::new();
        for f in std::mem::take(&mut self.found) {
            *self
                .report
                .candidate_counts
                .entry((f.leak.pool.clone(), f.leak.node.clone()))
                .or_default() += 1;
            self.report.candidates.push(f.leak.clone());
            if !f.confirmed {
                continue;
            }
            if self
                .blockers
                .contains(&self.hasher.hash_one(f.leak.handle.as_str()))
            {
                self.report.held.push(f.leak);
            } else {
                confirmed.push(f.leak);
            }
        }
        (self.report, self.first_seen, confirmed)
    }
}
