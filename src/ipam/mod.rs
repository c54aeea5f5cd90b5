//! Calico IP address management over the shared datastore.
//!
//! Data layout is Calico v3.31's (blocks, host affinities, handles, `/calico/ipam/v2/config`;
//! see [`block`], [`affinity`], [`handle`]), so Calico's own tools read what we write and we
//! read what they write. Behaviour follows Calico's IPAM library: pools chosen by node and
//! namespace selectors (or requested explicitly), per-host blocks claimed from a hostname-seeded
//! random start, FIFO reuse inside a block, borrowing from other hosts' blocks unless strict
//! affinity is on, IPReservations skipped by automatic assignment, a per-host block cap.
//!
//! The one deliberate difference: every change is a single compare-and-swap transaction over
//! all the keys it touches (block, handle, affinity, and the pool it claims in), instead of
//! Calico's sequence of single-key writes. A failed compare re-reads and retries, at most
//! [`plan::MAX_RETRIES`] times. In the steady state (the host already owns a block with room)
//! an assignment is one transaction writing the block and the handle; a dual-stack one
//! writes both families' blocks in that one transaction, and a caller's [`Rider`] (the CNI
//! plugin's WorkloadEndpoint) goes with it.
//!
//! ```
//! use calico::datastore::{api::Client, memory::MemoryStore};
//! use calico::ipam::{AutoAssignRequest, Ipam};
//! use calico::model::{IpPool, Node};
//! let client = Client::new(std::sync::Arc::new(MemoryStore::new()));
//! client.create(IpPool::new("default-ipv4-ippool", "10.65.0.0/16")).unwrap();
//! client.create(Node::new("node-1")).unwrap();
//! let ipam = Ipam::new(client);
//! let got = ipam
//!     .auto_assign(&AutoAssignRequest {
//!         num4: 1,
//!         handle_id: Some("k8s-pod-network.abc".into()),
//!         hostname: "node-1".into(),
//!         ..Default::default()
//!     })
//!     .unwrap();
//! let v4 = got.ipv4.unwrap();
//! assert_eq!(v4.ips.len(), 1);
//! assert_eq!(v4.ips[0].prefix(), 26);
//! ipam.release_by_handle("k8s-pod-network.abc").unwrap();
//! ```

pub mod affinity;
mod assign;
pub mod block;
mod cache;
pub mod check;
mod claim;
mod config;
pub mod error;
pub mod handle;
mod node_delete;
pub mod plan;
pub mod random;
mod read;
mod release;
mod request;
pub mod reservations;
pub mod rider;
pub mod split;
pub(crate) mod sticky;

#[cfg(test)]
pub(crate) mod tests;

pub use affinity::BlockAffinity;
pub use block::{AllocationAttribute, AllocationBlock, ReleaseGuardError};
pub use config::IpamConfig;
pub(crate) use config::check_settable;
pub use error::IpamError;
pub use handle::IpamHandle;
pub use read::AssignmentAttributes;
pub use reservations::Reservations;
pub use rider::{Rider, RiderWrite};

use crate::datastore::api::{Client, Stored as _};
use crate::datastore::{KeyValue, Read, Store, keys};
use crate::model::{Cidr, IpPool, IpReservation, Resource};
use block::LazyBlock;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The result type of IPAM.
pub type Result<T, E = IpamError> = std::result::Result<T, E>;

/// Calico's secondary attribute keys.
pub mod attr {
    /// The node the address lives on (Felix routes borrowed addresses by it).
    pub const NODE: &str = "node";
    /// The pod's namespace.
    pub const NAMESPACE: &str = "namespace";
    /// The pod's name.
    pub(crate) const POD: &str = "pod";
    /// Creation time, Go's `time.Now().UTC().String()`.
    pub(crate) const TIMESTAMP: &str = "timestamp";
    /// Tunnel type (`ipipTunnelAddress`, `vxlanTunnelAddress`, ...).
    pub const TYPE: &str = "type";
    /// The sticky identity (`<namespace>/<statefulset>-<ordinal>`) whose handle holds the address.
    pub(crate) const STICKY: &str = "sticky";
}

/// The [`attr::TYPE`] of a node's gateway address, which the CNI plugin allocates in delegated
/// mode; `ipam check` counts such addresses as the node's own.
pub(crate) const GATEWAY_ADDRESS_TYPE: &str = "cniGatewayAddress";

/// What an address is for; pools allow uses through `allowedUses`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IntendedUse {
    /// A pod or other workload.
    #[default]
    Workload,
    /// A node's IPIP/VXLAN/WireGuard tunnel address.
    Tunnel,
}

impl IntendedUse {
    /// The `allowedUses` value: `Workload` or `Tunnel`.
    pub fn as_str(self) -> &'static str {
        match self {
            IntendedUse::Workload => crate::model::ippool::USE_WORKLOAD,
            IntendedUse::Tunnel => crate::model::ippool::USE_TUNNEL,
        }
    }
}

impl std::fmt::Display for IntendedUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An automatic assignment request (Calico's `AutoAssignArgs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoAssignRequest {
    /// IPv4 addresses wanted.
    pub num4: usize,
    /// IPv6 addresses wanted.
    pub num6: usize,
    /// The handle the addresses are recorded under (`<network>.<containerID>` for pods).
    pub handle_id: Option<String>,
    /// Secondary attributes (`node`, `namespace`, `pod`, `timestamp`, `type`). Empty: `null`.
    pub attrs: BTreeMap<String, String>,
    /// The Calico node name; its Node must exist.
    pub hostname: String,
    /// Pools to use instead of selector-based choice (exact pool CIDRs, in order).
    pub ipv4_pools: Vec<Cidr>,
    /// The same for IPv6.
    pub ipv6_pools: Vec<Cidr>,
    /// Labels of the pod's namespace, for pools' `namespaceSelector` (empty: no namespace).
    pub namespace_labels: BTreeMap<String, String>,
    /// Workload or Tunnel.
    pub intended_use: IntendedUse,
    /// Per-request block cap (0: unset); the stricter of this and the configured cap wins.
    pub max_blocks_per_host: usize,
    /// Addresses this request must not be given, besides the reserved ones (calico-ipam
    /// under a plugin that wires pods with the pool's prefix: the pools' first and last
    /// addresses, which such a pod cannot use).
    pub excluded: Vec<Cidr>,
}

/// The addresses one family got (Calico's `IPAMAssignments`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpamAssignments {
    /// The addresses, with their block's prefix length (e.g. `10.65.12.64/26`).
    pub ips: Vec<Cidr>,
    /// The allocation sequence number of each address (parallel to `ips`), for guarded release.
    pub(crate) sequence_numbers: Vec<u64>,
    /// 4 or 6.
    pub(crate) ip_version: u8,
    /// How many were asked for.
    pub(crate) num_requested: usize,
    /// Why fewer were assigned, in Calico's words.
    pub msgs: Vec<String>,
}

impl IpamAssignments {
    fn new(version: u8, num: usize) -> IpamAssignments {
        IpamAssignments {
            ip_version: version,
            num_requested: num,
            ..IpamAssignments::default()
        }
    }

    fn add_msg(&mut self, msg: String) {
        if !self.msgs.contains(&msg) {
            self.msgs.push(msg);
        }
    }

    /// `Assigned <got> out of <want> requested IPv<v> addresses; <msg>; ...` when short.
    pub fn partial_fulfillment_error(&self) -> Option<String> {
        if self.ips.len() >= self.num_requested {
            return None;
        }
        let mut s = format!(
            "Assigned {} out of {} requested IPv{} addresses",
            self.ips.len(),
            self.num_requested,
            self.ip_version
        );
        for m in &self.msgs {
            s.push_str("; ");
            s.push_str(m);
        }
        Some(s)
    }

    /// Options releasing exactly these allocations (guarded by handle and sequence number).
    pub(crate) fn release_options(&self, handle: Option<&str>) -> Vec<ReleaseOptions> {
        self.ips
            .iter()
            .zip(&self.sequence_numbers)
            .map(|(ip, seq)| ReleaseOptions {
                address: ip.addr(),
                handle: handle.map(str::to_string),
                sequence_number: Some(*seq),
            })
            .collect()
    }
}

/// What [`Ipam::auto_assign`] assigned, per family (`None` for a family not asked for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoAssignResult {
    /// IPv4.
    pub ipv4: Option<IpamAssignments>,
    /// IPv6.
    pub(crate) ipv6: Option<IpamAssignments>,
}

impl AutoAssignResult {
    /// Every address assigned, IPv4 first.
    pub fn ips(&self) -> Vec<Cidr> {
        self.ipv4
            .iter()
            .chain(&self.ipv6)
            .flat_map(|a| a.ips.iter().copied())
            .collect()
    }

    /// Options releasing everything assigned (e.g. when the other family came up short).
    pub(crate) fn release_options(&self, handle: Option<&str>) -> Vec<ReleaseOptions> {
        self.ipv4
            .iter()
            .chain(&self.ipv6)
            .flat_map(|a| a.release_options(handle))
            .collect()
    }
}

/// A request for one specific address (the `ipAddrs` annotation, `IP=` CNI argument).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignIpRequest {
    /// The address.
    pub ip: IpAddr,
    /// The handle it is recorded under.
    pub handle_id: Option<String>,
    /// Secondary attributes (empty: `null`).
    pub attrs: BTreeMap<String, String>,
    /// The Calico node name (claims the block for it if the block does not exist).
    pub hostname: String,
}

/// The address [`Ipam::assign_ip`] assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignedIp {
    /// The address with its block's prefix length.
    pub ip: Cidr,
    /// Its allocation sequence number.
    pub sequence_number: u64,
}

/// One address to release (Calico's `ReleaseOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseOptions {
    /// The address.
    pub address: IpAddr,
    /// If set, only release when this handle holds the address.
    pub handle: Option<String>,
    /// If set, only release when the allocation's recorded sequence number is this.
    pub sequence_number: Option<u64>,
}

impl ReleaseOptions {
    /// Release `address` unconditionally.
    pub fn ip(address: IpAddr) -> ReleaseOptions {
        ReleaseOptions {
            address,
            handle: None,
            sequence_number: None,
        }
    }
}

/// A stored value with the revision it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// The value.
    pub value: T,
    /// The key's `mod_revision`.
    pub revision: i64,
}

/// A stored handle.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredHandle {
    /// The handle ID (from the key).
    pub id: String,
    /// The value.
    pub handle: IpamHandle,
    /// The key's `mod_revision`.
    pub revision: i64,
}

/// A stored host affinity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredAffinity {
    /// The host (from the key).
    pub host: String,
    /// The block (from the key).
    pub cidr: Cidr,
    /// The value.
    pub affinity: BlockAffinity,
    /// The key's `mod_revision`.
    pub revision: i64,
}

/// A pool as IPAM sees it: parsed CIDR, effective block size, revision.
#[derive(Debug, Clone)]
pub(crate) struct PoolEntry {
    pub pool: IpPool,
    pub cidr: Cidr,
    pub revision: i64,
}

impl PoolEntry {
    fn from_pool(pool: IpPool) -> Option<PoolEntry> {
        let cidr = pool.cidr()?;
        let revision = pool.metadata.resource_version.parse().unwrap_or(0);
        Some(PoolEntry {
            pool,
            cidr,
            revision,
        })
    }

    /// Not disabled and not being deleted.
    pub(crate) fn enabled(&self) -> bool {
        !self.pool.spec.disabled && self.pool.metadata.deletion_timestamp.is_none()
    }

    pub(crate) fn block_size(&self) -> u8 {
        self.pool.block_size()
    }

    pub(crate) fn key(&self) -> String {
        keys::resource(IpPool::PLURAL, None, &self.pool.metadata.name)
    }

    fn selects(&self, selector: &str, labels: &BTreeMap<String, String>) -> Result<bool> {
        if selector.trim().is_empty() {
            return Ok(true);
        }
        crate::selector::parse(selector)
            .map(|s| s.matches(labels))
            .map_err(|e| IpamError::Selector {
                pool: self.pool.metadata.name.clone(),
                message: e.to_string(),
            })
    }

    /// True when the pool's `nodeSelector` selects a node with these labels.
    pub(crate) fn selects_node(&self, labels: &BTreeMap<String, String>) -> Result<bool> {
        self.selects(&self.pool.spec.node_selector, labels)
    }

    /// True when the pool's `namespaceSelector` selects a namespace with these labels.
    pub(crate) fn selects_namespace(&self, labels: &BTreeMap<String, String>) -> Result<bool> {
        self.selects(&self.pool.spec.namespace_selector, labels)
    }
}

/// Calico IPAM on a datastore.
#[derive(Clone)]
pub struct Ipam {
    client: Client,
    /// The agent cache ([`Ipam::with_cache`]); shared by clones.
    cache: Option<std::sync::Arc<std::sync::Mutex<cache::AgentCache>>>,
    /// Assignments for one host take turns within this process ([`Ipam::lock_free`]).
    host_lock: bool,
}

/// The lock of one host's assignments within this process.
fn host_lock(host: &str) -> std::sync::Arc<std::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    locks.entry(host.to_string()).or_default().clone()
}

impl std::fmt::Debug for Ipam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ipam({})", self.client.store().describe())
    }
}

fn host_affinity_value(host: &str) -> String {
    format!("host:{host}")
}

/// Runs a scan whose visitor may fail: the visitor's first error stops the scan and is
/// returned.
pub(crate) fn scan_fallible(
    store: &crate::datastore::Store,
    prefix: &str,
    mut visit: impl FnMut(crate::datastore::KeyValue) -> Result<()>,
) -> Result<i64> {
    let mut failed = None;
    let revision = store.scan(prefix, &mut |kv| match visit(kv) {
        Ok(()) => std::ops::ControlFlow::Continue(()),
        Err(e) => {
            failed = Some(e);
            std::ops::ControlFlow::Break(())
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(revision),
    }
}

fn decode_err(key: &str, message: impl ToString) -> IpamError {
    IpamError::Decode {
        key: key.to_string(),
        message: message.to_string(),
    }
}

fn non_empty(attrs: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!attrs.is_empty()).then(|| attrs.clone())
}

impl Ipam {
    /// IPAM over a typed client.
    pub fn new(client: Client) -> Ipam {
        Ipam {
            client,
            cache: None,
            host_lock: true,
        }
    }

    /// The same IPAM without the per-host lock: by default, assignments for one host made
    /// through any `Ipam` of this process take turns (as Calico's CNI plugin holds its
    /// host-wide `ipam.lock` across processes), because writers on one host share its blocks
    /// and lock-free ones spend many of their transactions losing the compare to each other:
    /// 8 threads on one node on etcd made 2–3 transactions per assignment, and now and then
    /// a request ran out of retries (`Max retries hit`); taking turns, exactly one (`cargo
    /// bench --bench ipam`, "8 agents/1 node"). Lock-free callers stay correct: every change
    /// is still one compare-and-swap. The concurrency tests use this to race for real.
    pub fn lock_free(mut self) -> Ipam {
        self.host_lock = false;
        self
    }

    /// Holds this host's lock (when enabled) for the life of the returned guard's owner.
    pub(crate) fn lock_host(&self, host: &str) -> Option<std::sync::Arc<std::sync::Mutex<()>>> {
        self.host_lock.then(|| host_lock(host))
    }

    /// The same IPAM for a long-lived agent that assigns over and over: it remembers the
    /// configuration, pools, node labels, its host's affinities and blocks between requests,
    /// so that a steady-state [`Ipam::auto_assign`] is one transaction with no reads. Every
    /// remembered fact the assignment relies on is compared in that transaction (configuration,
    /// node, pool, affinity and block keys), so a stale memory costs a retry, never a wrong
    /// write; IPReservations, which no compare can cover, are re-read at least every `ttl`
    /// (and everything else too). See the `cache` module. Clones share the cache, and requests
    /// through one cache are serialised.
    pub fn with_cache(mut self, ttl: std::time::Duration) -> Ipam {
        self.cache = Some(std::sync::Arc::new(std::sync::Mutex::new(
            cache::AgentCache::new(ttl),
        )));
        self
    }

    /// Drops a block from the agent cache (a release through this `Ipam` rewrites it).
    pub(crate) fn forget_cached_block(&self, cidr: &Cidr) {
        if let Some(c) = &self.cache {
            c.lock()
                .unwrap_or_else(|p| p.into_inner())
                .forget_block(cidr);
        }
    }

    /// IPAM over a store.
    pub fn from_store(store: Store) -> Ipam {
        Ipam::new(Client::new(store))
    }

    /// The typed client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn store(&self) -> &Store {
        self.client.store()
    }

    pub(crate) fn read_block(&self, cidr: &Cidr) -> Result<Option<Stored<AllocationBlock>>> {
        match self.read_lazy_block(cidr)? {
            None => Ok(None),
            Some(b) => Ok(Some(Stored {
                revision: b.revision,
                value: lazy_decode(cidr, b.into_block())?,
            })),
        }
    }

    /// One block, not decoded yet.
    pub(crate) fn read_lazy_block(&self, cidr: &Cidr) -> Result<Option<LazyBlock>> {
        Ok(lazy_block_from(
            self.store().get(&keys::block(cidr))?.into_iter().collect(),
        ))
    }

    /// Several blocks in one round trip ([`KvStore::read_many`]), in the order asked, not
    /// decoded yet.
    ///
    /// [`KvStore::read_many`]: crate::datastore::KvStore::read_many
    pub(crate) fn read_lazy_blocks(&self, cidrs: &[Cidr]) -> Result<Vec<Option<LazyBlock>>> {
        if cidrs.is_empty() {
            return Ok(Vec::new());
        }
        let reads: Vec<Read> = cidrs.iter().map(|c| Read::Key(keys::block(c))).collect();
        Ok(self
            .store()
            .read_many(&reads)?
            .results
            .into_iter()
            .map(lazy_block_from)
            .collect())
    }

    pub(crate) fn read_handle(&self, id: &str) -> Result<Option<Stored<IpamHandle>>> {
        let key = keys::handle(id);
        match self.store().get(&key)? {
            None => Ok(None),
            Some(kv) => Ok(Some(Stored {
                value: IpamHandle::from_json(&kv.value).map_err(|e| decode_err(&key, e))?,
                revision: kv.mod_revision,
            })),
        }
    }

    pub(crate) fn read_affinity(
        &self,
        host: &str,
        cidr: &Cidr,
    ) -> Result<Option<Stored<BlockAffinity>>> {
        let key = keys::host_affinity(host, cidr);
        self.store()
            .get(&key)?
            .map(|kv| stored_affinity(&key, &kv))
            .transpose()
    }

    /// A host's affinity of a block and the block, in one round trip.
    pub(crate) fn read_affinity_and_block(
        &self,
        host: &str,
        cidr: &Cidr,
    ) -> Result<(Option<Stored<BlockAffinity>>, Option<LazyBlock>)> {
        let akey = keys::host_affinity(host, cidr);
        let reads = [Read::Key(akey.clone()), Read::Key(keys::block(cidr))];
        let mut results = self.store().read_many(&reads)?.results.into_iter();
        let affinity = results
            .next()
            .unwrap_or_default()
            .first()
            .map(|kv| stored_affinity(&akey, kv))
            .transpose()?;
        Ok((
            affinity,
            lazy_block_from(results.next().unwrap_or_default()),
        ))
    }

    /// Affinities under a prefix, in key order.
    pub(crate) fn list_affinities_under(&self, prefix: &str) -> Result<Vec<StoredAffinity>> {
        affinities_from(self.store().list(prefix)?.kvs)
    }

    /// Every pool, in name order, with parsed CIDRs (pools whose CIDR does not parse are left
    /// out).
    pub(crate) fn pool_entries(&self) -> Result<Vec<PoolEntry>> {
        pool_entries_from(&self.store().list(&IpPool::list_prefix(None))?.kvs)
    }

    pub(crate) fn reservations(&self) -> Result<Reservations> {
        reservations_from(&self.store().list(&IpReservation::list_prefix(None))?.kvs)
    }
}

/// An affinity key's value as read.
fn stored_affinity(key: &str, kv: &KeyValue) -> Result<Stored<BlockAffinity>> {
    Ok(Stored {
        value: BlockAffinity::from_json(&kv.value).map_err(|e| decode_err(key, e))?,
        revision: kv.mod_revision,
    })
}

/// The block of a [`Read::Key`] answer, not decoded yet.
pub(crate) fn lazy_block_from(kvs: Vec<KeyValue>) -> Option<LazyBlock> {
    kvs.into_iter()
        .next()
        .map(|kv| LazyBlock::stored(kv.value, kv.mod_revision))
}

/// A block's decode error, naming its key.
pub(crate) fn lazy_decode<T>(
    cidr: &Cidr,
    r: std::result::Result<T, block::BlockDecodeError>,
) -> Result<T> {
    r.map_err(|e| decode_err(&keys::block(cidr), e))
}

/// Affinities as read from the store, in key order. The legacy `/calico/ipam/v2/host/<host>`
/// key and anything else not shaped like an affinity is skipped, as Calico's key parser skips
/// it.
pub(crate) fn affinities_from(kvs: Vec<KeyValue>) -> Result<Vec<StoredAffinity>> {
    let mut out = Vec::with_capacity(kvs.len());
    for kv in kvs {
        let Some((host, cidr)) = keys::parse_host_affinity(&kv.key) else {
            continue;
        };
        out.push(StoredAffinity {
            host,
            cidr,
            affinity: BlockAffinity::from_json(&kv.value).map_err(|e| decode_err(&kv.key, e))?,
            revision: kv.mod_revision,
        });
    }
    Ok(out)
}

/// Pools as read from the store (see [`Ipam::pool_entries`]).
pub(crate) fn pool_entries_from(kvs: &[KeyValue]) -> Result<Vec<PoolEntry>> {
    let mut out = Vec::with_capacity(kvs.len());
    for kv in kvs {
        if let Some(e) = PoolEntry::from_pool(Client::from_kv::<IpPool>(kv)?) {
            out.push(e);
        }
    }
    Ok(out)
}

/// IPReservations as read from the store.
pub(crate) fn reservations_from(kvs: &[KeyValue]) -> Result<Reservations> {
    let items = kvs
        .iter()
        .map(Client::from_kv::<IpReservation>)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Reservations::from_resources(&items))
}
