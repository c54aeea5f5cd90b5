//! `calicoctl ipam check`: compare what IPAM has allocated with what is actually in use
//! (WorkloadEndpoints, Nodes' tunnel addresses), find leaked addresses and handles, and
//! produce Calico's report (plus the datastore revision the data was read at).
//!
//! The check takes no lock: it reads the store, and every later release from its report is
//! guarded by the allocation's handle and sequence number (compare-and-swap), so an address
//! that changed hands since the report is never freed.
//!
//! Memory stays proportional to the number of addresses, not to the size of the stored
//! values: every kind is scanned (never listed whole), a handle is its ID and revision, an
//! address in use is its IP and owner's name, and the report's entries go to a caller's
//! visitor ([`ReportWriter`] spills them to a file and writes them in the report's order)
//! instead of staying in memory. About 250 bytes per address, mostly names and handle IDs
//! (`cargo bench --bench scale`: 1,000,000 addresses in about 250 MB).
//!
//! Order of reading: everything at one revision of the store (etcd: every request pinned to
//! it; the embedded store: one read transaction), so the report is one state of the store.
//! First, at once (on etcd, each on its own thread): ClusterInformation, pools, nodes,
//! handles, and the WorkloadEndpoints, the largest kind, in one range per core where the store
//! can split them; then the blocks, so that each allocation's owner is known as its block is
//! read.

use super::{Ipam, Result};
use crate::datastore::api::{Client, Stored};
use crate::datastore::{KeyValue, ScanRange, Snapshot, keys};
use crate::model::{Cidr, ClusterInformation, IpPool, Node, WorkloadEndpoint};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::IpAddr;
use std::ops::ControlFlow;

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
    pub(crate) type_: Option<String>,
    /// The `timestamp` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// True when a WorkloadEndpoint or Node uses the address.
    #[serde(default)]
    pub in_use: bool,
    /// True when the node differs from the block's host.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub borrowed: bool,
    /// Who uses it: `Workload(ns/name)`, `Node(name)`, `Reserved for Windows`. Written as
    /// `null` when nobody does, as Go writes its empty slice (and read either way).
    #[serde(
        default,
        serialize_with = "empty_as_null",
        deserialize_with = "crate::go::json::null_as_default"
    )]
    pub owners: Vec<String>,
}

fn empty_as_null<S: serde::Serializer>(v: &[String], s: S) -> std::result::Result<S::Ok, S::Error> {
    if v.is_empty() {
        s.serialize_none()
    } else {
        s.collect_seq(v)
    }
}

/// The owner `ipam check` names for the addresses Calico's Windows IPAM reserves in each of a
/// Windows node's blocks (network, gateway, broadcast): they are in use, never leaked.
pub const RESERVED_FOR_WINDOWS: &str = "Reserved for Windows";

/// An allocation's attributes as `ipam check` prints them:
/// `Main:<handle|<none>> Extra:<key=value,...>` (keys sorted).
pub fn format_attrs(handle: Option<&str>, secondary: &BTreeMap<String, String>) -> String {
    use std::fmt::Write as _;
    let mut out = format!("Main:{} Extra:", handle.unwrap_or("<none>"));
    for (i, (k, v)) in secondary.iter().enumerate() {
        let _ = write!(out, "{}{k}={v}", if i > 0 { "," } else { "" });
    }
    out
}

/// A handle no allocation refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakedHandle {
    /// The handle ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// The handle's Kubernetes UID: none (`null`) on etcd and the embedded store.
    #[serde(rename = "UID", default)]
    pub uid: Option<String>,
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
    pub(crate) cluster_guid: String,
    /// Whether the datastore was locked.
    pub(crate) datastore_locked: bool,
    /// ClusterInformation's resourceVersion.
    pub(crate) cluster_information_revision: String,
    /// The cluster type.
    pub(crate) cluster_type: String,
    /// Every allocation, by address.
    pub allocations: BTreeMap<String, Vec<Allocation>>,
    /// Handles no allocation refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaked_handles: Vec<LeakedHandle>,
    /// Extension: the store revision the blocks were read at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) datastore_revision: Option<i64>,
}

impl Report {
    /// Reads a report keeping only the allocations that were not in use (the only ones
    /// `ipam release --from-report` acts on), decoding it as it streams in: a report of a
    /// million allocations needs memory for its leaks, not for all of it.
    pub(crate) fn read_leaked(reader: impl std::io::Read) -> serde_json::Result<Report> {
        // Missing fields read as empty, as Go reads them: a report that is not one then fails
        // the release's cluster checks, in Calico's words.
        #[derive(Deserialize)]
        #[serde(rename = "report", rename_all = "camelCase")]
        struct LeakedOnly {
            #[serde(default)]
            version: String,
            #[serde(default, rename = "clusterGUID")]
            cluster_guid: String,
            #[serde(default)]
            datastore_locked: bool,
            #[serde(default)]
            cluster_information_revision: String,
            #[serde(default)]
            cluster_type: String,
            #[serde(default, deserialize_with = "leaked_allocations")]
            allocations: BTreeMap<String, Vec<Allocation>>,
            #[serde(default, deserialize_with = "crate::go::json::null_as_default")]
            leaked_handles: Vec<LeakedHandle>,
            #[serde(default)]
            datastore_revision: Option<i64>,
        }
        fn leaked_allocations<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> std::result::Result<BTreeMap<String, Vec<Allocation>>, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = BTreeMap<String, Vec<Allocation>>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a map of addresses to allocations")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> std::result::Result<Self::Value, A::Error> {
                    let mut out = BTreeMap::new();
                    while let Some((ip, mut allocs)) =
                        map.next_entry::<String, Vec<Allocation>>()?
                    {
                        allocs.retain(|a| !a.in_use);
                        if !allocs.is_empty() {
                            out.insert(ip, allocs);
                        }
                    }
                    Ok(out)
                }
            }
            d.deserialize_map(V)
        }
        let r: LeakedOnly = serde_json::from_reader(std::io::BufReader::new(reader))?;
        Ok(Report {
            version: r.version,
            cluster_guid: r.cluster_guid,
            datastore_locked: r.datastore_locked,
            cluster_information_revision: r.cluster_information_revision,
            cluster_type: r.cluster_type,
            allocations: r.allocations,
            leaked_handles: r.leaked_handles,
            datastore_revision: r.datastore_revision,
        })
    }
}

/// Writes a report with exactly the bytes of `go::json::to_string_indent(&report)` (Go's
/// `json.MarshalIndent`, allocations keyed and sorted by address string), from allocations
/// given one at a time in any order, keeping only a small index in memory: each entry is
/// serialized when it arrives, appended to a spill file, and copied out in the report's order
/// at the end. A million allocations need about 30 MB here instead of several hundred.
pub struct ReportWriter {
    spill: std::io::BufWriter<std::fs::File>,
    spilled: u64,
    /// The addresses, as text, back to back.
    keys: Vec<u8>,
    index: Vec<SpilledEntry>,
}

struct SpilledEntry {
    key_start: u32,
    key_len: u8,
    offset: u64,
    len: u32,
}

impl ReportWriter {
    /// A writer that spills to `spill` (an empty file open for reading and writing; the
    /// caller may unlink it right away).
    pub fn new(spill: std::fs::File) -> ReportWriter {
        ReportWriter {
            spill: std::io::BufWriter::with_capacity(1 << 20, spill),
            spilled: 0,
            keys: Vec::new(),
            index: Vec::new(),
        }
    }

    /// Adds one allocation.
    pub fn add(&mut self, a: &Allocation) -> std::io::Result<()> {
        // An entry sits three levels deep: its lines after the first get six spaces.
        let text = crate::go::json::to_string_indent(a).replace('\n', "\n      ");
        self.spill.write_all(text.as_bytes())?;
        let key_start = u32::try_from(self.keys.len()).map_err(std::io::Error::other)?;
        let key_len = u8::try_from(a.ip.len()).map_err(std::io::Error::other)?;
        self.keys.extend_from_slice(a.ip.as_bytes());
        let len = u32::try_from(text.len()).map_err(std::io::Error::other)?;
        self.index.push(SpilledEntry {
            key_start,
            key_len,
            offset: self.spilled,
            len,
        });
        self.spilled += u64::from(len);
        Ok(())
    }

    fn key(&self, e: &SpilledEntry) -> &[u8] {
        &self.keys[e.key_start as usize..e.key_start as usize + e.key_len as usize]
    }

    /// Writes the whole report to `out`: `header`'s fields (its own allocations are ignored)
    /// with every allocation added.
    pub fn finish(mut self, header: &Report, out: &mut dyn Write) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.spill.flush()?;
        let mut index = std::mem::take(&mut self.index);
        // Stable: the entries of one address keep the order they were added in.
        index.sort_by(|a, b| self.key(a).cmp(self.key(b)));
        let header = Report {
            allocations: BTreeMap::new(),
            ..header.clone()
        };
        let text = crate::go::json::to_string_indent(&header);
        const EMPTY: &str = "\n  \"allocations\": {}";
        let at = text
            .find(EMPTY)
            .ok_or_else(|| std::io::Error::other("report header without allocations"))?;
        let (before, after) = (&text[..at + EMPTY.len() - 2], &text[at + EMPTY.len()..]);
        out.write_all(before.as_bytes())?;
        if index.is_empty() {
            out.write_all(b"{}")?;
        } else {
            let file = self.spill.get_ref();
            let mut buf = Vec::new();
            out.write_all(b"{")?;
            for (i, group) in index
                .chunk_by(|a, b| self.key(a) == self.key(b))
                .enumerate()
            {
                if i > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"\n    \"")?;
                out.write_all(self.key(&group[0]))?;
                out.write_all(b"\": [")?;
                for (j, e) in group.iter().enumerate() {
                    if j > 0 {
                        out.write_all(b",")?;
                    }
                    out.write_all(b"\n      ")?;
                    buf.resize(e.len as usize, 0);
                    file.read_exact_at(&mut buf, e.offset)?;
                    out.write_all(&buf)?;
                }
                out.write_all(b"\n    ]")?;
            }
            out.write_all(b"\n  }")?;
        }
        out.write_all(after.as_bytes())?;
        out.flush()
    }
}

/// A block as the check saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBlock {
    /// The block.
    pub cidr: Cidr,
    /// `host:<node>` or none.
    pub affinity: Option<String>,
    /// Its allocations in ordinal order: address, handle, sorted extra attributes. Only kept
    /// when [`CheckOptions::keep_block_allocations`] is set.
    pub allocations: Vec<(IpAddr, Option<String>, BTreeMap<String, String>)>,
    /// Structural problems (Calico's `validateBlock` messages).
    pub problems: Vec<String>,
}

/// An allocation held for a sticky StatefulSet identity (issue 25), with or without a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StickyAllocation {
    pub(crate) ip: IpAddr,
    /// `<namespace>/<statefulset>-<ordinal>`.
    pub(crate) identity: String,
    pub(crate) handle: String,
    /// The allocation's `node` attribute (where the identity's last pod ran).
    pub(crate) node: Option<String>,
    /// The endpoints listing the address (none between the identity's pods).
    pub(crate) owners: Vec<String>,
}

/// An address in use that IPAM does not account for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unaccounted {
    /// The address.
    pub ip: IpAddr,
    /// Who uses it, in the order they were read.
    pub owners: Vec<String>,
}

/// The addresses workloads and nodes use, with their owners, in address order.
#[derive(Debug, Clone, Default)]
pub struct InUse {
    /// (address, owner) sorted by address; an address with several owners appears once per
    /// owner, in the order they were read.
    entries: Vec<(IpAddr, u32)>,
    /// Owner names (`Workload(ns/name)`, `Node(name)`), end offsets into `names`.
    names: String,
    ends: Vec<u32>,
}

impl InUse {
    fn push(&mut self, ip: IpAddr, owner: std::fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        let _ = self.names.write_fmt(owner);
        self.ends.push(self.names.len() as u32);
        self.entries.push((ip, self.ends.len() as u32 - 1));
    }

    fn finish(&mut self) {
        self.entries.sort_by_key(|e| e.0);
    }

    /// Adds `other`'s entries (not yet finished) after this one's, as if read after them.
    fn append(&mut self, other: InUse) {
        let (owners, names) = (self.ends.len() as u32, self.names.len() as u32);
        self.names.push_str(&other.names);
        self.ends.extend(other.ends.iter().map(|e| e + names));
        self.entries.extend(
            other
                .entries
                .iter()
                .map(|&(ip, owner)| (ip, owner + owners)),
        );
    }

    fn owner(&self, i: u32) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i as usize - 1] };
        &self.names[start as usize..self.ends[i as usize] as usize]
    }

    /// The range of `entries` holding `ip`, which is known not to be before `from`. Starts
    /// with a short gallop, since successive addresses of a block are usually close.
    fn range_from(&self, ip: IpAddr, from: usize) -> std::ops::Range<usize> {
        let rest = &self.entries[from..];
        let mut bound = 1;
        while bound < rest.len() && rest[bound - 1].0 < ip {
            bound *= 2;
        }
        let bound = bound.min(rest.len());
        let start = from + rest[..bound].partition_point(|e| e.0 < ip);
        let end = start + self.entries[start..].partition_point(|e| e.0 == ip);
        start..end
    }

    /// Number of distinct addresses in use.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// True when nothing is in use.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every (address, owner) in the order they were read: the Nodes' tunnel addresses, then
    /// the WorkloadEndpoints' (the order calicoctl's `--show-all-ips` prints them in).
    pub(crate) fn in_read_order(&self) -> Vec<(IpAddr, &str)> {
        let mut read: Vec<(u32, IpAddr)> = self.entries.iter().map(|e| (e.1, e.0)).collect();
        read.sort_unstable_by_key(|e| e.0);
        read.into_iter()
            .map(|(i, ip)| (ip, self.owner(i)))
            .collect()
    }

    /// Every address in use with its owners, in address order.
    pub fn iter(&self) -> impl Iterator<Item = (IpAddr, Vec<&str>)> + '_ {
        self.entries
            .chunk_by(|a, b| a.0 == b.0)
            .map(|group| (group[0].0, group.iter().map(|e| self.owner(e.1)).collect()))
    }
}

/// What [`Ipam::read_owners`] reads: ClusterInformation, the handles, the pools, the nodes
/// and every address in use.
struct Owners {
    info: ClusterInformation,
    handles: Handles,
    pools: Vec<IpPool>,
    nodes: Vec<Node>,
    in_use: InUse,
    node_tunnel_count: usize,
    workload_ips: usize,
    /// Floating IPs (endpoints' `ipNATs` external addresses) with the endpoints holding them.
    floating: BTreeMap<IpAddr, Vec<String>>,
}

/// The handles that exist, by ID (their keys' order), with their revisions and whether an
/// allocation refers to them.
#[derive(Debug, Default)]
struct Handles {
    ids: String,
    ends: Vec<u32>,
    revisions: Vec<i64>,
    referenced: Vec<bool>,
}

impl Handles {
    fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.ids[start..self.ends[i] as usize]
    }

    fn push(&mut self, id: &str, revision: i64) {
        self.ids.push_str(id);
        self.ends.push(self.ids.len() as u32);
        self.revisions.push(revision);
        self.referenced.push(false);
    }

    /// Marks `id` referenced; false when no such handle exists.
    fn reference(&mut self, id: &str) -> bool {
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.id(mid).cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    self.referenced[mid] = true;
                    return true;
                }
            }
        }
        false
    }
}

/// What `ipam check` needs of a WorkloadEndpoint: its name and addresses. Other fields, known
/// or not, are skipped unread.
#[derive(Deserialize)]
struct EndpointAddresses {
    #[serde(default)]
    metadata: EndpointName,
    #[serde(default)]
    spec: EndpointNetworks,
}

#[derive(Deserialize, Default)]
struct EndpointName {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(Deserialize, Default)]
struct EndpointNetworks {
    #[serde(default, rename = "ipNetworks")]
    ip_networks: Vec<String>,
    /// Floating IPs: only their external addresses are read.
    #[serde(default, rename = "ipNATs")]
    ip_nats: Vec<EndpointNat>,
}

#[derive(Deserialize, Default)]
struct EndpointNat {
    #[serde(default, rename = "externalIP")]
    external_ip: String,
}

/// How to run the check.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions<'a> {
    /// Attribute `type`s whose allocations their node owns (e.g. the CNI plugin's gateway
    /// addresses), so that they are not reported as leaks.
    pub node_owned_types: &'a [&'a str],
    /// Keep every block's allocations in [`CheckedBlock::allocations`] (`--show-all-ips`).
    pub keep_block_allocations: bool,
}

/// Everything `ipam check` found.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    /// The report's header (everything but the allocations, which go to the visitor of
    /// [`Ipam::check_with`]; [`Ipam::check`] fills them in).
    pub report: Report,
    /// Blocks in key order.
    pub blocks: Vec<CheckedBlock>,
    /// Number of allocations in all blocks.
    pub(crate) allocation_count: usize,
    /// Enabled pools' CIDRs, in name order.
    pub(crate) active_pools: Vec<Cidr>,
    /// Number of node tunnel addresses.
    pub(crate) node_tunnel_ips: usize,
    /// Number of workload addresses.
    pub(crate) workload_ips: usize,
    /// Addresses in use by workloads and nodes, with their owners.
    pub in_use: InUse,
    /// Allocations per node, most first (ties by name).
    pub(crate) node_allocations: Vec<(String, usize)>,
    /// Allocated but not in use, in address order, with the allocation as the report has it.
    pub leaked: Vec<Leaked>,
    /// Allocations Calico's Windows IPAM reserved: in use, owned by [`RESERVED_FOR_WINDOWS`].
    pub(crate) windows_reserved: usize,
    /// In use but not inside an active pool.
    pub(crate) not_in_pool: Vec<Unaccounted>,
    /// In use, inside an active pool, but not allocated.
    pub unallocated: Vec<Unaccounted>,
    /// Addresses with more than one owner.
    pub(crate) multiple_owners: Vec<IpAddr>,
    /// Handles with no allocation.
    pub leaked_handles: Vec<LeakedHandle>,
    /// Handles with allocations.
    pub(crate) handles_with_matches: usize,
    /// Handles allocations name but that do not exist.
    pub(crate) missing_handles: Vec<String>,
    /// Allocations held for sticky StatefulSet identities, in block order (extension, issue
    /// 25). One no endpoint lists is held for the identity's next pod: in use (owner
    /// `Sticky(<identity>)`), not leaked.
    pub(crate) sticky: Vec<StickyAllocation>,
    /// Floating IPs that more than one endpoint's `ipNATs` hold, with those endpoints
    /// (extension, issue 25: a floating IP belongs to one endpoint at a time). Each is a
    /// problem.
    pub(crate) floating_multiple: Vec<Unaccounted>,
    /// Blocks that lie inside no IP pool, enabled or not (extension: left behind by a deleted
    /// pool, or allocated from a pool that no longer exists), in key order. Each is a
    /// problem: its addresses belong to no pool, so no pool's settings or selection apply.
    pub(crate) blocks_not_in_pool: Vec<Cidr>,
    /// Blocks whose value does not decode (each also in [`CheckResult::blocks`], with the
    /// reason as its problem): `failed to decode the value of <key>: <reason>`.
    pub(crate) unreadable_blocks: Vec<String>,
}

/// An allocation nobody uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaked {
    /// The address.
    pub ip: IpAddr,
    /// The allocation, as the report records it.
    pub allocation: Allocation,
    /// Its attributes as [`format_attrs`] prints them.
    pub attrs: String,
}

impl CheckResult {
    /// The allocation count of the node in the middle when the nodes are ordered by
    /// allocations, most first (calicoctl's "median"; with an even count, the smaller of the
    /// two middle ones). `None` without allocations.
    pub(crate) fn median_node_allocations(&self) -> Option<usize> {
        self.node_allocations
            .get(self.node_allocations.len() / 2)
            .map(|n| n.1)
    }

    /// Distinct addresses in use (calicoctl's "Workloads and nodes are using N IPs"),
    /// Windows' reserved ones included.
    pub(crate) fn in_use_count(&self) -> usize {
        self.in_use.len() + self.windows_reserved
    }

    /// Calico's problem count: leaked addresses + in-use-not-in-pool + in-use-unallocated +
    /// leaked handles; plus blocks in no pool (which Calico does not look for).
    pub fn problems(&self) -> usize {
        self.leaked.len()
            + self.not_in_pool.len()
            + self.unallocated.len()
            + self.leaked_handles.len()
            + self.blocks_not_in_pool.len()
            + self.floating_multiple.len()
    }

    /// Structurally invalid blocks (extension; Calico v3.31 does not check these).
    #[cfg(test)]
    pub(crate) fn invalid_blocks(&self) -> usize {
        self.blocks
            .iter()
            .filter(|b| !b.problems.is_empty())
            .count()
    }
}

/// A Node's tunnel addresses, in calicoctl's order: VXLAN, WireGuard, IPIP.
fn node_tunnel_ips(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if !node.spec.ipv4_vxlan_tunnel_addr.is_empty() {
        out.push(node.spec.ipv4_vxlan_tunnel_addr.clone());
    }
    if let Some(wg) = &node.spec.wireguard
        && !wg.interface_ipv4_address.is_empty()
    {
        out.push(wg.interface_ipv4_address.clone());
    }
    if let Some(bgp) = &node.spec.bgp
        && !bgp.ipv4_ipip_tunnel_addr.is_empty()
    {
        out.push(bgp.ipv4_ipip_tunnel_addr.clone());
    }
    out
}

fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.split('/').next().unwrap_or(s);
    crate::model::cidr::parse_ip(s)
}

/// One stored WorkloadEndpoint, decoding only its name, addresses and floating IPs.
fn decode_endpoint(kv: &KeyValue) -> Result<EndpointAddresses> {
    serde_json::from_slice(&kv.value).map_err(|e| super::decode_err(&kv.key, e))
}

impl EndpointAddresses {
    fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.spec.ip_networks.iter().filter_map(|n| parse_addr(n))
    }

    /// `Workload(<namespace>/<name>)`, as the check names an endpoint.
    fn owner(&self) -> String {
        format!(
            "Workload({}/{})",
            self.metadata.namespace, self.metadata.name
        )
    }
}

/// Resources of kind `K` as [`Client::list`](crate::datastore::api::Client::list) decodes
/// them, from keys read elsewhere.
fn decode_all<K: Stored>(kvs: &[KeyValue]) -> Result<Vec<K>> {
    let mut items = kvs
        .iter()
        .map(Client::from_kv::<K>)
        .collect::<std::result::Result<Vec<K>, _>>()?;
    items.extend(K::built_in());
    Ok(items)
}

/// How many ranges the WorkloadEndpoints (the largest kind) are read in at once: one per
/// core, at most 4.
fn endpoint_parts() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// The endpoints read from one range of their keys.
#[derive(Default)]
struct EndpointPart {
    in_use: InUse,
    workload_ips: usize,
    /// Floating IPs and the endpoints holding them, in key order.
    floating: BTreeMap<IpAddr, Vec<String>>,
    failed: Option<super::IpamError>,
}

impl Ipam {
    /// Visits every address of every WorkloadEndpoint, reading one endpoint at a time and
    /// only its name and addresses.
    fn scan_endpoint_addresses(
        &self,
        mut visit: impl FnMut(&EndpointAddresses, IpAddr),
    ) -> Result<()> {
        super::scan_fallible(
            self.store(),
            &<WorkloadEndpoint as Stored>::list_prefix(None),
            |kv| {
                let w = decode_endpoint(&kv)?;
                for ip in w.addresses() {
                    visit(&w, ip);
                }
                Ok(())
            },
        )?;
        Ok(())
    }

    /// What the check reads before the blocks, all from `snap` and at once: ClusterInformation,
    /// the pools and the nodes, the handles, and the WorkloadEndpoints (in as many ranges as
    /// [`endpoint_parts`], where the store can split them). Who uses which address: Nodes'
    /// tunnel addresses, then WorkloadEndpoints in key order.
    fn read_owners(&self, snap: &dyn Snapshot) -> Result<Owners> {
        let info_key = <ClusterInformation as Stored>::key(None, "default");
        let (mut info, mut pools, mut nodes) = (Vec::new(), Vec::new(), Vec::new());
        let mut handles = Handles::default();
        let endpoints = <WorkloadEndpoint as Stored>::list_prefix(None);
        let endpoints_end = crate::datastore::prefix_end(endpoints.as_bytes()).unwrap_or_default();
        let mut bounds = vec![endpoints.as_bytes().to_vec()];
        bounds.extend(snap.split_points(endpoints.as_bytes(), &endpoints_end, endpoint_parts())?);
        bounds.push(endpoints_end);
        let mut parts: Vec<EndpointPart> =
            bounds.windows(2).map(|_| EndpointPart::default()).collect();

        let mut keep_info = |kv: KeyValue| {
            if kv.key == info_key {
                info.push(kv);
            }
            ControlFlow::Continue(())
        };
        let mut keep_pool = |kv| {
            pools.push(kv);
            ControlFlow::Continue(())
        };
        let mut keep_node = |kv| {
            nodes.push(kv);
            ControlFlow::Continue(())
        };
        // A handle is only its ID (from the key) and revision: its value is not needed. Scans
        // come in key order (every backend's contract, checked by the conformance suite), so
        // the table is sorted for `Handles::reference`'s binary search.
        let mut keep_handle = |kv: KeyValue| {
            if let Some(id) = keys::parse_handle(&kv.key) {
                handles.push(id, kv.mod_revision);
            }
            ControlFlow::Continue(())
        };
        let mut endpoint_visitors: Vec<_> = parts
            .iter_mut()
            .map(|part| {
                move |kv: KeyValue| match decode_endpoint(&kv) {
                    Ok(w) => {
                        for ip in w.addresses() {
                            part.workload_ips += 1;
                            part.in_use.push(
                                ip,
                                format_args!(
                                    "Workload({}/{})",
                                    w.metadata.namespace, w.metadata.name
                                ),
                            );
                        }
                        for ip in w
                            .spec
                            .ip_nats
                            .iter()
                            .filter_map(|n| parse_addr(&n.external_ip))
                        {
                            let holders = part.floating.entry(ip).or_default();
                            let owner = w.owner();
                            if !holders.contains(&owner) {
                                holders.push(owner);
                            }
                        }
                        ControlFlow::Continue(())
                    }
                    Err(e) => {
                        part.failed = Some(e);
                        ControlFlow::Break(())
                    }
                }
            })
            .collect();
        let mut ranges = vec![
            ScanRange::prefix(&info_key, &mut keep_info),
            ScanRange::prefix(&<IpPool as Stored>::list_prefix(None), &mut keep_pool),
            ScanRange::prefix(&<Node as Stored>::list_prefix(None), &mut keep_node),
            ScanRange::prefix(keys::HANDLES_PREFIX, &mut keep_handle),
        ];
        for (visit, range) in endpoint_visitors.iter_mut().zip(bounds.windows(2)) {
            ranges.push(ScanRange {
                start: range[0].clone(),
                end: Some(range[1].clone()),
                visit,
            });
        }
        snap.scan_ranges(&mut ranges)?;
        drop(ranges);
        drop(endpoint_visitors);

        let info = decode_all::<ClusterInformation>(&info)?
            .into_iter()
            .next()
            .unwrap_or_default();
        let pools = decode_all::<IpPool>(&pools)?;
        let nodes = decode_all::<Node>(&nodes)?;
        let mut in_use = InUse::default();
        let mut node_tunnel_count = 0;
        for n in &nodes {
            for a in node_tunnel_ips(n) {
                if let Some(ip) = parse_addr(&a) {
                    node_tunnel_count += 1;
                    in_use.push(ip, format_args!("Node({})", n.metadata.name));
                }
            }
        }
        // Room for every part at once, so that appending them does not double the buffers.
        let names: usize = parts.iter().map(|p| p.in_use.names.len()).sum();
        let entries: usize = parts.iter().map(|p| p.in_use.entries.len()).sum();
        in_use.names.reserve(names);
        in_use.ends.reserve(entries);
        in_use.entries.reserve(entries);
        let mut workload_ips = 0;
        let mut floating: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
        for part in parts {
            if let Some(e) = part.failed {
                return Err(e);
            }
            workload_ips += part.workload_ips;
            in_use.append(part.in_use);
            for (ip, holders) in part.floating {
                let all = floating.entry(ip).or_default();
                for h in holders {
                    if !all.contains(&h) {
                        all.push(h);
                    }
                }
            }
        }
        in_use.finish();
        Ok(Owners {
            info,
            handles,
            pools,
            nodes,
            in_use,
            node_tunnel_count,
            workload_ips,
            floating,
        })
    }

    /// The addresses among `candidates` that a WorkloadEndpoint or a Node's tunnel address
    /// uses right now (`ipam release --from-report` keeps those, whatever its report says).
    /// Memory is that of the candidates, however many endpoints there are.
    pub(crate) fn in_use_among(
        &self,
        candidates: &std::collections::BTreeSet<IpAddr>,
    ) -> Result<std::collections::BTreeSet<IpAddr>> {
        let mut used = std::collections::BTreeSet::new();
        if candidates.is_empty() {
            return Ok(used);
        }
        self.scan_endpoint_addresses(|_, ip| {
            if candidates.contains(&ip) {
                used.insert(ip);
            }
        })?;
        for n in self.client().list::<Node>(None)?.items {
            for a in node_tunnel_ips(&n) {
                if let Some(ip) = parse_addr(&a)
                    && candidates.contains(&ip)
                {
                    used.insert(ip);
                }
            }
        }
        Ok(used)
    }

    /// Who uses `ip` right now, as `ipam check` names its owners: `Workload(<ns>/<name>)` for
    /// each WorkloadEndpoint listing it, `Node(<name>)` for a Node's tunnel address (`ipam
    /// release --ip` refuses such an address without `--force`).
    pub(crate) fn users_of(&self, ip: IpAddr) -> Result<Vec<String>> {
        let mut users = Vec::new();
        self.scan_endpoint_addresses(|w, used| {
            if used == ip {
                users.push(format!(
                    "Workload({}/{})",
                    w.metadata.namespace, w.metadata.name
                ));
            }
        })?;
        for n in self.client().list::<Node>(None)?.items {
            if node_tunnel_ips(&n)
                .iter()
                .any(|a| parse_addr(a) == Some(ip))
            {
                users.push(format!("Node({})", n.metadata.name));
            }
        }
        Ok(users)
    }

    /// Runs the check, with the whole report in memory ([`CheckResult::report`]'s
    /// allocations). `node_owned_types` as in [`CheckOptions`].
    pub fn check(&self, version: &str, node_owned_types: &[&str]) -> Result<CheckResult> {
        let mut allocations: BTreeMap<String, Vec<Allocation>> = BTreeMap::new();
        let options = CheckOptions {
            node_owned_types,
            keep_block_allocations: true,
        };
        let mut r = self.check_with(
            version,
            &options,
            Some(&mut |a: Allocation| {
                allocations.entry(a.ip.clone()).or_default().push(a);
                Ok(())
            }),
        )?;
        r.report.allocations = allocations;
        Ok(r)
    }

    /// Runs the check, handing every allocation's report entry to `each_allocation` (in block
    /// order, then ordinal order) instead of keeping them; an error from it stops the check.
    pub fn check_with(
        &self,
        version: &str,
        options: &CheckOptions<'_>,
        mut each_allocation: Option<&mut dyn FnMut(Allocation) -> std::io::Result<()>>,
    ) -> Result<CheckResult> {
        // Everything is read at one revision, so the report is one state of the store: every
        // handle the blocks mention is seen, every handle reported leaked had no allocation
        // then (and `ipam release --from-report` deletes it only if its revision is still the
        // one reported), and every allocation's owner is looked up in the endpoints of the
        // same moment.
        let mut checked = None;
        self.store().read_at_one_revision(&mut |snap| {
            checked = Some(self.check_in(snap, version, options, each_allocation.take()));
            Ok(())
        })?;
        checked.unwrap_or(Err(super::IpamError::Aborted(
            "the datastore was not read".to_string(),
        )))
    }

    /// [`Ipam::check_with`] over one snapshot of the store.
    fn check_in(
        &self,
        snap: &dyn Snapshot,
        version: &str,
        options: &CheckOptions<'_>,
        mut each_allocation: Option<&mut dyn FnMut(Allocation) -> std::io::Result<()>>,
    ) -> Result<CheckResult> {
        // Endpoints (and handles) before blocks, so that each allocation's owner is known as
        // its block is read; the blocks are read last, decoded one at a time.
        let Owners {
            info,
            mut handles,
            pools,
            nodes,
            in_use,
            node_tunnel_count,
            workload_ips,
            floating,
        } = self.read_owners(snap)?;

        let active_pools: Vec<Cidr> = pools
            .iter()
            .filter(|p| !p.spec.disabled && p.metadata.deletion_timestamp.is_none())
            .filter_map(IpPool::cidr)
            .collect();

        // Every pool, enabled or not: a block inside a disabled pool still belongs to it.
        let all_pools: Vec<Cidr> = pools.iter().filter_map(IpPool::cidr).collect();
        let in_no_pool = |block: &Cidr| !all_pools.iter().any(|p| p.contains(block));

        let mut node_names: Vec<&str> = nodes.iter().map(|n| n.metadata.name.as_str()).collect();
        node_names.sort_unstable();
        let mut allocated = vec![false; in_use.entries.len()];

        let mut result = CheckResult {
            active_pools: active_pools.clone(),
            node_tunnel_ips: node_tunnel_count,
            workload_ips,
            ..CheckResult::default()
        };
        let mut per_node: HashMap<String, usize> = HashMap::new();
        let mut missing_handles: std::collections::BTreeSet<String> = Default::default();
        let datastore_revision = snap.revision();
        let mut visit_block = |b: Result<super::AllocationBlock>| -> Result<()> {
            let b = match b {
                Ok(b) => b,
                Err(super::IpamError::Decode { key, message }) => {
                    // Listed (with the affinity, if that much reads), its allocations
                    // unchecked: the check is what one runs when the data is bad.
                    let Some(cidr) = keys::parse_block(&key) else {
                        return Ok(());
                    };
                    if in_no_pool(&cidr) {
                        result.blocks_not_in_pool.push(cidr);
                    }
                    result.blocks.push(CheckedBlock {
                        cidr,
                        affinity: None,
                        allocations: Vec::new(),
                        problems: vec![format!("cannot be read: {message}")],
                    });
                    result
                        .unreadable_blocks
                        .push(format!("failed to decode the value of {key}: {message}"));
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            if in_no_pool(&b.cidr) {
                result.blocks_not_in_pool.push(b.cidr);
            }
            let host = b.host().map(str::to_string);
            let mut checked = CheckedBlock {
                cidr: b.cidr,
                affinity: b.affinity.clone(),
                allocations: Vec::new(),
                problems: b.check(),
            };
            let mut cursor = 0;
            for ordinal in 0..b.size() {
                let Some(attr) = b.attribute_of(ordinal) else {
                    continue;
                };
                if attr.is_cooling_down() {
                    continue;
                }
                let ip = b.ip_of(ordinal);
                let empty = BTreeMap::new();
                let secondary = attr.secondary.as_ref().unwrap_or(&empty);
                // Windows' reservations are in use; their handle is no handle resource.
                let windows = attr.handle().is_some_and(super::block::is_windows_reserved);
                let handle = attr.handle().filter(|_| !windows);
                if let Some(h) = handle
                    && !handles.reference(h)
                    && !missing_handles.contains(h)
                {
                    missing_handles.insert(h.to_string());
                }
                let node = secondary.get("node").or(host.as_ref());
                let node_key = node.map_or("", String::as_str);
                match per_node.get_mut(node_key) {
                    Some(n) => *n += 1,
                    None => {
                        per_node.insert(node_key.to_string(), 1);
                    }
                }
                result.allocation_count += 1;
                // The block's addresses ascend: search only past the previous one's owners.
                let range = in_use.range_from(ip, cursor);
                cursor = range.end;
                if windows {
                    result.windows_reserved += 1;
                }
                let node_owned = range.is_empty()
                    && !windows
                    && secondary
                        .get("type")
                        .is_some_and(|t| options.node_owned_types.contains(&t.as_str()))
                    && node.is_some_and(|n| node_names.binary_search(&n.as_str()).is_ok());
                // An address held for a sticky identity between its pods is not a leak.
                let sticky = handle
                    .and_then(super::sticky::StickyId::parse_handle)
                    .map(|(_, id)| id.to_string());
                let parked = sticky.is_some() && range.is_empty() && !node_owned && !windows;
                let used = !range.is_empty() || node_owned || windows || parked;
                if let (Some(identity), Some(h)) = (&sticky, handle) {
                    result.sticky.push(StickyAllocation {
                        ip,
                        identity: identity.clone(),
                        handle: h.to_string(),
                        node: secondary.get("node").cloned(),
                        owners: in_use.entries[range.clone()]
                            .iter()
                            .map(|e| in_use.owner(e.1).to_string())
                            .collect(),
                    });
                }
                for a in &mut allocated[range.clone()] {
                    *a = true;
                }
                if options.keep_block_allocations {
                    checked.allocations.push((
                        ip,
                        attr.handle().map(str::to_string),
                        secondary.clone(),
                    ));
                }
                // The report entry, only when someone needs it.
                if used && each_allocation.is_none() {
                    continue;
                }
                let mut owners: Vec<String> = in_use.entries[range]
                    .iter()
                    .map(|e| in_use.owner(e.1).to_string())
                    .collect();
                if node_owned && let Some(n) = node {
                    owners.push(format!("Node({n})"));
                }
                if windows {
                    owners.insert(0, RESERVED_FOR_WINDOWS.to_string());
                }
                if let Some(identity) = sticky.filter(|_| parked) {
                    owners.push(format!("Sticky({identity})"));
                }
                let record = Allocation {
                    ip: ip.to_string(),
                    handle: handle.map(str::to_string),
                    sequence_number: Some(b.sequence_number_of(ordinal)),
                    pod: secondary.get("pod").cloned(),
                    namespace: secondary.get("namespace").cloned(),
                    node: node.cloned(),
                    type_: secondary.get("type").cloned(),
                    creation_timestamp: secondary.get("timestamp").cloned(),
                    in_use: used,
                    borrowed: node.is_some() && node != host.as_ref(),
                    owners,
                };
                if !used {
                    result.leaked.push(Leaked {
                        ip,
                        allocation: record.clone(),
                        attrs: format_attrs(attr.handle(), secondary),
                    });
                }
                if let Some(visit) = each_allocation.as_mut() {
                    visit(record).map_err(|e| super::IpamError::Aborted(e.to_string()))?;
                }
            }
            result.blocks.push(checked);
            Ok(())
        };
        let mut failed = None;
        snap.scan(
            keys::BLOCKS_PREFIX,
            &mut |kv| match super::read::listed_block(&kv).map(&mut visit_block) {
                Some(Err(e)) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            },
        )?;
        if let Some(e) = failed {
            return Err(e);
        }
        result.leaked.sort_by_key(|l| l.ip);
        let mut start = 0;
        for (ip, owners) in in_use.iter() {
            if owners.len() > 1 {
                result.multiple_owners.push(ip);
            }
            if !allocated[start] {
                let owners = owners.iter().map(|o| o.to_string()).collect();
                if active_pools.iter().any(|p| p.contains_ip(ip)) {
                    result.unallocated.push(Unaccounted { ip, owners });
                } else {
                    result.not_in_pool.push(Unaccounted { ip, owners });
                }
            }
            start += owners.len();
        }
        for i in 0..handles.ends.len() {
            if handles.referenced[i] {
                result.handles_with_matches += 1;
            } else {
                result.leaked_handles.push(LeakedHandle {
                    id: handles.id(i).to_string(),
                    uid: None,
                    revision: handles.revisions[i].to_string(),
                });
            }
        }
        result.missing_handles = missing_handles.into_iter().collect();
        result.floating_multiple = floating
            .into_iter()
            .filter(|(_, owners)| owners.len() > 1)
            .map(|(ip, owners)| Unaccounted { ip, owners })
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
            allocations: BTreeMap::new(),
            leaked_handles: result.leaked_handles.clone(),
            datastore_revision: Some(datastore_revision),
        };
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(ip: &str, handle: &str, in_use: bool) -> Allocation {
        Allocation {
            ip: ip.to_string(),
            handle: Some(handle.to_string()),
            sequence_number: Some(7),
            pod: Some("p \"quoted\"\n".to_string()),
            namespace: Some("ns".to_string()),
            node: Some("n1".to_string()),
            in_use,
            owners: if in_use {
                vec!["Workload(ns/p)".to_string()]
            } else {
                vec![]
            },
            ..Allocation::default()
        }
    }

    fn header(leaked_handles: Vec<LeakedHandle>) -> Report {
        Report {
            version: "v3.31.0".into(),
            cluster_guid: "abc".into(),
            datastore_locked: true,
            cluster_information_revision: "12".into(),
            cluster_type: "typha,kdd".into(),
            allocations: BTreeMap::new(),
            leaked_handles,
            datastore_revision: Some(99),
        }
    }

    fn streamed(report: &Report, order: &[Allocation]) -> String {
        let spill = tempfile::tempfile().unwrap();
        let mut w = ReportWriter::new(spill);
        for a in order {
            w.add(a).unwrap();
        }
        let mut out = Vec::new();
        w.finish(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn streamed_report_is_byte_for_byte_the_in_memory_one() {
        // Added in block order; the report orders addresses as strings ("10.0.0.10" before
        // "10.0.0.2"), and keeps two entries of one address in the order they came.
        let order = vec![
            alloc("10.0.0.2", "h2", true),
            alloc("10.0.0.10", "h10", false),
            alloc("fd00::1", "h6", true),
            alloc("10.0.0.1", "h1", false),
            alloc("10.0.0.2", "h2b", false),
        ];
        for handles in [
            vec![],
            vec![LeakedHandle {
                id: "gone".into(),
                uid: None,
                revision: "5".into(),
            }],
        ] {
            let mut full = header(handles);
            for a in &order {
                full.allocations
                    .entry(a.ip.clone())
                    .or_default()
                    .push(a.clone());
            }
            let expected = crate::go::json::to_string_indent(&full);
            assert_eq!(streamed(&full, &order), expected);
            let back: Report = serde_json::from_str(&expected).unwrap();
            assert_eq!(back, full);
            let leaked = Report::read_leaked(expected.as_bytes()).unwrap();
            let mut only = full.clone();
            only.allocations = [
                ("10.0.0.1".to_string(), vec![order[3].clone()]),
                ("10.0.0.10".to_string(), vec![order[1].clone()]),
                ("10.0.0.2".to_string(), vec![order[4].clone()]),
            ]
            .into();
            assert_eq!(leaked, only);
            assert_eq!(
                back.allocations["10.0.0.2"][1].handle.as_deref(),
                Some("h2b")
            );
        }
    }

    #[test]
    fn a_block_in_no_pool_is_a_problem() {
        use crate::datastore::Txn;
        use crate::ipam::tests::{Fx, mem};
        let fx = Fx::new(mem());
        fx.node("n1", &[]);
        // A block allocated from a pool that is then removed behind IPAM's back.
        fx.pool("gone", "10.2.0.0/24");
        fx.assign4("n1", "h-gone", 1);
        let txn = Txn::new().delete(IpPool::key(None, "gone"));
        assert!(fx.store().txn(txn).unwrap().succeeded);
        // A block of a pool that is disabled since: still the pool's.
        fx.pool("off", "10.3.0.0/24");
        fx.assign4("n1", "h-off", 1);
        let mut off: IpPool = fx.ipam.client().get(None, "off").unwrap();
        off.spec.disabled = true;
        fx.ipam.client().update(off).unwrap();

        let r = fx.ipam.check("v3.31.0", &[]).unwrap();
        let gone = Cidr::parse("10.2.0.0/24").unwrap();
        assert_eq!(r.blocks_not_in_pool.len(), 1, "{:?}", r.blocks_not_in_pool);
        assert!(gone.contains(&r.blocks_not_in_pool[0]));
        assert_eq!(r.blocks.len(), 2);
        assert_eq!(
            r.problems(),
            r.leaked.len() + r.not_in_pool.len() + r.unallocated.len() + r.leaked_handles.len() + 1
        );
        // A pool that covers it again makes it whole.
        fx.pool("back", "10.2.0.0/16");
        let r = fx.ipam.check("v3.31.0", &[]).unwrap();
        assert!(
            r.blocks_not_in_pool.is_empty(),
            "{:?}",
            r.blocks_not_in_pool
        );
    }

    #[test]
    fn windows_reservations_are_in_use_and_never_released() {
        use crate::datastore::Txn;
        use crate::ipam::block::WINDOWS_RESERVED_HANDLE;
        use crate::ipam::tests::{Fx, ip, mem};
        use crate::ipam::{AssignIpRequest, ReleaseOptions};
        let fx = Fx::new(mem());
        fx.pool("p", "10.0.0.0/24");
        fx.node("win-1", &[]);
        let assign = |addr: &str, handle: &str, attrs: &[(&str, &str)]| {
            let req = AssignIpRequest {
                ip: ip(addr),
                handle_id: Some(handle.to_string()),
                attrs: attrs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                hostname: "win-1".into(),
            };
            fx.ipam.assign_ip(&req).unwrap();
        };
        for a in ["10.0.0.1", "10.0.0.2"] {
            assign(
                a,
                WINDOWS_RESERVED_HANDLE,
                &[("note", "reserved for windows")],
            );
        }
        assign(
            "10.0.0.9",
            "lb-web",
            &[("service", "web"), ("namespace", "prod")],
        );
        // Windows' IPAM keeps no handle resource for its reservations.
        let txn = Txn::new().delete(keys::handle(WINDOWS_RESERVED_HANDLE));
        assert!(fx.store().txn(txn).unwrap().succeeded);

        let r = fx.ipam.check("v3.31.0", &[]).unwrap();
        let leaked: Vec<_> = r
            .leaked
            .iter()
            .map(|l| (l.ip.to_string(), &l.attrs))
            .collect();
        // The leak's attributes are the stored ones, every key.
        assert_eq!(
            leaked,
            [(
                "10.0.0.9".to_string(),
                &"Main:lb-web Extra:namespace=prod,service=web".to_string()
            )]
        );
        assert_eq!(r.windows_reserved, 2);
        assert_eq!(r.in_use_count(), 2);
        assert!(r.missing_handles.is_empty(), "{:?}", r.missing_handles);
        assert_eq!(r.problems(), 1);
        let reserved = &r.report.allocations["10.0.0.1"][0];
        assert!(reserved.in_use);
        assert_eq!(reserved.owners, [RESERVED_FOR_WINDOWS]);
        assert_eq!(reserved.handle, None);

        // A release driven by a report that marks them not in use (calicoctl's own reports
        // do) keeps them; the real leak goes.
        let guarded = |addr: &str, handle: Option<&str>| {
            let a = &r.report.allocations[addr][0];
            ReleaseOptions {
                address: ip(addr),
                handle: handle.map(str::to_string),
                sequence_number: a.sequence_number,
            }
        };
        let kept = fx
            .ipam
            .release_ips(&[
                guarded("10.0.0.1", None),
                guarded("10.0.0.9", Some("lb-web")),
            ])
            .unwrap();
        assert_eq!(kept, [ip("10.0.0.1")]);
        let after = fx.ipam.check("v3.31.0", &[]).unwrap();
        assert_eq!(after.windows_reserved, 2);
        assert!(after.leaked.is_empty());
    }

    #[test]
    fn an_unreadable_block_is_reported_and_the_rest_checked() {
        use crate::datastore::Txn;
        use crate::ipam::tests::{Fx, c, mem};
        let fx = Fx::new(mem());
        fx.pool("p", "10.0.0.0/24");
        fx.node("n1", &[]);
        let used = fx.assign4("n1", "net.leak", 1)[0];
        let bad = ["10.0.0.0/26", "10.0.0.64/26"]
            .map(c)
            .into_iter()
            .find(|b| !b.contains_ip(used.addr()))
            .unwrap();
        let value = format!(
            r#"{{"cidr":"{bad}","affinity":null,"allocations":[0],"unallocated":[],"attributes":[],"deleted":false}}"#
        );
        let txn = Txn::new().put(keys::block(&bad), value.into_bytes());
        assert!(fx.store().txn(txn).unwrap().succeeded);
        let r = fx.ipam.check("v3.31.0", &[]).unwrap();
        assert_eq!(r.unreadable_blocks.len(), 1, "{:?}", r.unreadable_blocks);
        assert!(r.unreadable_blocks[0].contains(&keys::block(&bad)));
        assert_eq!(r.blocks.len(), 2);
        assert_eq!(r.invalid_blocks(), 1);
        // The readable block is still checked: its allocation is found leaked.
        assert_eq!(r.leaked.len(), 1);
    }

    #[test]
    fn reports_as_go_writes_them() {
        // Go writes a nil slice as null: every leaked allocation's owners, and on etcd every
        // leaked handle's UID. Such a report reads, and ours is written the same way.
        let mut full = header(vec![LeakedHandle {
            id: "gone".into(),
            uid: None,
            revision: "5".into(),
        }]);
        let leak = alloc("10.0.0.1", "h1", false);
        full.allocations.insert(leak.ip.clone(), vec![leak.clone()]);
        let text = crate::go::json::to_string_indent(&full);
        assert!(text.contains("\"owners\": null"), "{text}");
        assert!(text.contains("\"UID\": null"), "{text}");
        let leaked = Report::read_leaked(text.as_bytes()).unwrap();
        assert_eq!(leaked.allocations["10.0.0.1"], [leak]);
        assert_eq!(leaked.leaked_handles, full.leaked_handles);
        // Fields Go would read as empty are not errors here either.
        let empty = Report::read_leaked("{}".as_bytes()).unwrap();
        assert_eq!(empty.cluster_guid, "");
        assert!(empty.allocations.is_empty());
    }

    #[test]
    fn streamed_report_without_allocations() {
        let h = header(vec![]);
        assert_eq!(streamed(&h, &[]), crate::go::json::to_string_indent(&h));
    }
}
