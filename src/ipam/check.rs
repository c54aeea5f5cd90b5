//! `calicoctl ipam check`: compare what IPAM has allocated with what is actually in use
//! (WorkloadEndpoints, Nodes' tunnel addresses), find leaked addresses and handles, and
//! produce Calico's report (plus the datastore revision the data was read at).
//!
//! The check takes no lock: it reads the store, and every later release from its report is
//! guarded by the allocation's handle and sequence number (compare-and-swap), so an address
//! that changed hands since the report is never freed.

use super::{AllocationBlock, Ipam, Result};
use crate::model::{Cidr, ClusterInformation, IpPool, Node, WorkloadEndpoint};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One allocation as the report records it (Calico's field names and order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    /// The address.
    pub ip: String,
    /// The handle holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// The allocation's sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<u64>,
    /// Pod name attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Namespace attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Node attribute (or the block's host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Type attribute (tunnel addresses).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// The `timestamp` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// True when a WorkloadEndpoint or Node uses the address.
    #[serde(default)]
    pub in_use: bool,
    /// True when the node differs from the block's host.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub borrowed: bool,
    /// Who uses it: `Workload(ns/name)`, `Node(name)`.
    #[serde(default)]
    pub owners: Vec<String>,
}

/// A handle no allocation refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakedHandle {
    /// The handle ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Unused in etcd mode (empty).
    #[serde(rename = "UID", default)]
    pub uid: String,
    /// The handle key's revision when read.
    #[serde(rename = "Revision", default)]
    pub revision: String,
}

/// The report `ipam check -o FILE` writes and `ipam release --from-report` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The calicoctl version that wrote it.
    pub version: String,
    /// The cluster's GUID.
    #[serde(rename = "clusterGUID")]
    pub cluster_guid: String,
    /// Whether the datastore was locked.
    pub datastore_locked: bool,
    /// ClusterInformation's resourceVersion.
    pub cluster_information_revision: String,
    /// The cluster type.
    pub cluster_type: String,
    /// Every allocation, by address.
    pub allocations: BTreeMap<String, Vec<Allocation>>,
    /// Handles no allocation refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaked_handles: Vec<LeakedHandle>,
    /// Extension: the store revision the blocks were read at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datastore_revision: Option<i64>,
}

/// A block as the check saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBlock {
    /// The block.
    pub cidr: Cidr,
    /// `host:<node>` or none.
    pub affinity: Option<String>,
    /// Its allocations in ordinal order: address, handle, sorted extra attributes.
    pub allocations: Vec<(IpAddr, Option<String>, BTreeMap<String, String>)>,
    /// Structural problems (Calico's `validateBlock` messages).
    pub problems: Vec<String>,
}

/// An address in use that IPAM does not account for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unaccounted {
    /// The address.
    pub ip: IpAddr,
    /// Who uses it.
    pub owner: String,
}

/// Everything `ipam check` found.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    /// The report (also what `-o FILE` writes).
    pub report: Report,
    /// Blocks in key order.
    pub blocks: Vec<CheckedBlock>,
    /// Number of allocations in all blocks.
    pub allocation_count: usize,
    /// Enabled pools' CIDRs, in name order.
    pub active_pools: Vec<Cidr>,
    /// Number of node tunnel addresses.
    pub node_tunnel_ips: usize,
    /// Number of workload addresses.
    pub workload_ips: usize,
    /// Addresses in use by workloads and nodes, with their owners.
    pub in_use: BTreeMap<IpAddr, Vec<String>>,
    /// Allocations per node, most first (ties by name).
    pub node_allocations: Vec<(String, usize)>,
    /// Allocated but not in use, in address order.
    pub leaked: Vec<IpAddr>,
    /// In use but not inside an active pool.
    pub not_in_pool: Vec<Unaccounted>,
    /// In use, inside an active pool, but not allocated.
    pub unallocated: Vec<Unaccounted>,
    /// Addresses with more than one owner.
    pub multiple_owners: Vec<IpAddr>,
    /// Handles with no allocation.
    pub leaked_handles: Vec<LeakedHandle>,
    /// Handles with allocations.
    pub handles_with_matches: usize,
    /// Handles allocations name but that do not exist.
    pub missing_handles: Vec<String>,
}

impl CheckResult {
    /// Calico's problem count: leaked addresses + in-use-not-in-pool + in-use-unallocated +
    /// leaked handles.
    pub fn problems(&self) -> usize {
        self.leaked.len()
            + self.not_in_pool.len()
            + self.unallocated.len()
            + self.leaked_handles.len()
    }

    /// Structurally invalid blocks (extension; Calico v3.31 does not check these).
    pub fn invalid_blocks(&self) -> usize {
        self.blocks
            .iter()
            .filter(|b| !b.problems.is_empty())
            .count()
    }
}

fn node_tunnel_ips(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(bgp) = &node.spec.bgp
        && !bgp.ipv4_ipip_tunnel_addr.is_empty()
    {
        out.push(bgp.ipv4_ipip_tunnel_addr.clone());
    }
    if !node.spec.ipv4_vxlan_tunnel_addr.is_empty() {
        out.push(node.spec.ipv4_vxlan_tunnel_addr.clone());
    }
    if let Some(wg) = &node.spec.wireguard
        && !wg.interface_ipv4_address.is_empty()
    {
        out.push(wg.interface_ipv4_address.clone());
    }
    out
}

fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.split('/').next().unwrap_or(s);
    crate::model::cidr::parse_ip(s)
}

impl Ipam {
    /// Runs the check. `version` is the calicoctl version stamped on the report; `attribute
    /// owner types` (`gateway_types`) name allocations owned by their node (e.g. the CNI
    /// plugin's gateway addresses) so that they are not reported as leaks.
    pub fn check(&self, version: &str, node_owned_types: &[&str]) -> Result<CheckResult> {
        let info = self
            .client()
            .get_opt::<ClusterInformation>(None, "default")?
            .unwrap_or_default();
        // Handles before blocks. The check takes no lock, and a handle the blocks do not
        // mention is reported leaked and deleted by `ipam release --from-report` (guarded only
        // by the handle's own revision). Read after the blocks, the handles could include one
        // created by an assignment that landed in between, whose allocation the blocks read
        // missed: a live pod's handle, which the release would delete (its address then leaks
        // on the pod's DEL). Read before the blocks, every handle listed existed when the blocks
        // were read, so a handle with an allocation is seen referenced; one that gains an
        // allocation later has a new revision, and its deletion fails.
        let handles = self.list_handles()?;
        let blocks_resp = self.store().list(crate::datastore::keys::BLOCKS_PREFIX)?;
        let datastore_revision = blocks_resp.revision;
        let mut blocks: Vec<AllocationBlock> = Vec::new();
        for kv in &blocks_resp.kvs {
            if crate::datastore::keys::parse_block(&kv.key).is_none() {
                continue;
            }
            blocks.push(
                AllocationBlock::from_json(&kv.value).map_err(|e| super::decode_err(&kv.key, e))?,
            );
        }
        let pools = self.client().list::<IpPool>(None)?.items;
        let active_pools: Vec<Cidr> = pools
            .iter()
            .filter(|p| !p.spec.disabled && p.metadata.deletion_timestamp.is_none())
            .filter_map(IpPool::cidr)
            .collect();
        let nodes = self.client().list::<Node>(None)?.items;
        let node_names: BTreeSet<&str> = nodes.iter().map(|n| n.metadata.name.as_str()).collect();
        let mut in_use: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
        let mut node_tunnel_count = 0;
        for n in &nodes {
            for a in node_tunnel_ips(n) {
                if let Some(ip) = parse_addr(&a) {
                    node_tunnel_count += 1;
                    in_use
                        .entry(ip)
                        .or_default()
                        .push(format!("Node({})", n.metadata.name));
                }
            }
        }
        let weps = self.client().list::<WorkloadEndpoint>(None)?.items;
        let mut workload_ips = 0;
        for w in &weps {
            for net in &w.spec.ip_networks {
                if let Some(ip) = parse_addr(net) {
                    workload_ips += 1;
                    in_use.entry(ip).or_default().push(format!(
                        "Workload({}/{})",
                        w.metadata.namespace, w.metadata.name
                    ));
                }
            }
        }

        let mut result = CheckResult {
            active_pools: active_pools.clone(),
            node_tunnel_ips: node_tunnel_count,
            workload_ips,
            ..CheckResult::default()
        };
        let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
        let mut allocated: BTreeSet<IpAddr> = BTreeSet::new();
        let mut referenced_handles: BTreeSet<String> = BTreeSet::new();
        for b in &blocks {
            let host = b.host().map(str::to_string);
            let mut checked = CheckedBlock {
                cidr: b.cidr,
                affinity: b.affinity.clone(),
                allocations: Vec::new(),
                problems: b.check(),
            };
            for ordinal in 0..b.size() {
                let Some(attr) = b.attribute_of(ordinal) else {
                    continue;
                };
                if attr.is_cooling_down() {
                    continue;
                }
                let ip = b.ip_of(ordinal);
                let secondary = attr.secondary.clone().unwrap_or_default();
                let handle = attr.handle().map(str::to_string);
                if let Some(h) = &handle {
                    referenced_handles.insert(h.clone());
                }
                let node = secondary.get("node").cloned().or_else(|| host.clone());
                *per_node
                    .entry(node.clone().unwrap_or_default())
                    .or_default() += 1;
                allocated.insert(ip);
                result.allocation_count += 1;
                let mut owners = in_use.get(&ip).cloned().unwrap_or_default();
                if let (Some(t), Some(n)) = (secondary.get("type"), &node)
                    && node_owned_types.contains(&t.as_str())
                    && node_names.contains(n.as_str())
                    && owners.is_empty()
                {
                    owners.push(format!("Node({n})"));
                }
                let record = Allocation {
                    ip: ip.to_string(),
                    handle: handle.clone(),
                    sequence_number: Some(b.sequence_number_of(ordinal)),
                    pod: secondary.get("pod").cloned(),
                    namespace: secondary.get("namespace").cloned(),
                    node: node.clone(),
                    type_: secondary.get("type").cloned(),
                    creation_timestamp: secondary.get("timestamp").cloned(),
                    in_use: !owners.is_empty(),
                    borrowed: node.is_some() && node != host,
                    owners,
                };
                if !record.in_use {
                    result.leaked.push(ip);
                }
                result
                    .report
                    .allocations
                    .entry(ip.to_string())
                    .or_default()
                    .push(record);
                checked.allocations.push((ip, handle, secondary));
            }
            result.blocks.push(checked);
        }
        result.leaked.sort();
        for (ip, owners) in &in_use {
            if owners.len() > 1 {
                result.multiple_owners.push(*ip);
            }
            if allocated.contains(ip) {
                continue;
            }
            let owner = owners.join(", ");
            if active_pools.iter().any(|p| p.contains_ip(*ip)) {
                result.unallocated.push(Unaccounted { ip: *ip, owner });
            } else {
                result.not_in_pool.push(Unaccounted { ip: *ip, owner });
            }
        }
        for h in &handles {
            if referenced_handles.contains(&h.id) {
                result.handles_with_matches += 1;
            } else {
                result.leaked_handles.push(LeakedHandle {
                    id: h.id.clone(),
                    uid: String::new(),
                    revision: h.revision.to_string(),
                });
            }
        }
        let existing: BTreeSet<&str> = handles.iter().map(|h| h.id.as_str()).collect();
        result.missing_handles = referenced_handles
            .iter()
            .filter(|h| !existing.contains(h.as_str()))
            .cloned()
            .collect();
        let mut nodes_sorted: Vec<(String, usize)> = per_node.into_iter().collect();
        nodes_sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        result.node_allocations = nodes_sorted;
        result.in_use = in_use;
        result.report = Report {
            version: version.to_string(),
            cluster_guid: info.spec.cluster_guid.clone(),
            datastore_locked: info.spec.datastore_ready == Some(false),
            cluster_information_revision: info.metadata.resource_version.clone(),
            cluster_type: info.spec.cluster_type.clone(),
            allocations: std::mem::take(&mut result.report.allocations),
            leaked_handles: result.leaked_handles.clone(),
            datastore_revision: Some(datastore_revision),
        };
        Ok(result)
    }
}
