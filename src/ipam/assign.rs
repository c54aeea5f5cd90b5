//! Automatic assignment (`auto_assign`) and assignment of a specific address (`assign_ip`).
//!
//! Per family, as Calico's `autoAssign`:
//! 1. pools: the requested ones (exact CIDRs of enabled pools), else enabled `Automatic` pools
//!    whose nodeSelector selects the node and namespaceSelector the namespace; then those that
//!    allow the intended use;
//! 2. the host's affinities in those pools, in key order: take from each block's free list;
//! 3. out of room: claim a new block (random start per host), unless the host is at its block
//!    cap (error, no borrowing) or automatic allocation is off;
//! 4. no free block left and strict affinity off: borrow from existing blocks of the pools.
//!
//! Each step that writes is one transaction: block (+ new affinity, + pool revision when
//! claiming) + handle. A failed compare re-reads and retries. When both families are asked
//! for, IPv4's last take is not committed on its own but with IPv6's first (a [`Carry`]), so
//! a dual-stack request is one transaction, all or nothing; should that transaction fail a
//! compare, what the request committed before is undone and the request runs again.
//!
//! Reads go in batches ([`KvStore::read_many`]): node, configuration, pools, reservations and
//! the host's affinities in one round trip; the host's affine blocks in a second; a claim adds
//! one (the host's affinities again, and the first CIDRs of its walk). Blocks are decoded only
//! as far as needed: owner and free list for the full ones walked past, whole when written.
//! Assignments for one host take turns within the process ([`Ipam::lock_free`]).
//!
//! [`KvStore::read_many`]: crate::datastore::KvStore::read_many

use super::affinity::BlockAffinity;
use super::block::{AllocationBlock, LazyBlock};
use super::cache::{AgentCache, HostCache};
use super::config::block_cap;
use super::plan::{Plan, Retry};
use super::random::BlockWalk;
use super::rider::Rider;
use super::{
    AssignIpRequest, AssignedIp, AutoAssignRequest, AutoAssignResult, IntendedUse, Ipam,
    IpamAssignments, IpamConfig, IpamError, IpamHandle, PoolEntry, Reservations, Result, Stored,
    StoredAffinity, affinities_from, host_affinity_value, lazy_decode, non_empty,
    pool_entries_from, reservations_from,
};
use crate::datastore::api::{Client, Stored as _};
use crate::datastore::{MAX_TXN_OPS, Read, keys};
use crate::model::{Cidr, IpPool, IpReservation, Node, Resource};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The handle of a request, kept current across the request's transactions.
///
/// It starts out assumed absent (pods and tunnels use a fresh handle per assignment), which
/// saves a read per assignment; the transaction requires the key to be absent, so if it does
/// exist the compare fails, the handle is read, and the retry adds to its counts.
pub(crate) struct HandleState {
    id: String,
    key: String,
    cached: Option<Option<Stored<IpamHandle>>>,
}

impl HandleState {
    pub(crate) fn new(id: &str) -> HandleState {
        HandleState {
            id: id.to_string(),
            key: keys::handle(id),
            cached: Some(None),
        }
    }

    /// The handle's value and revision (a default value and 0 when absent).
    fn load(&mut self, ipam: &Ipam) -> Result<(IpamHandle, i64)> {
        if self.cached.is_none() {
            self.cached = Some(ipam.read_handle(&self.id)?);
        }
        Ok(match self.cached.as_ref().and_then(Option::as_ref) {
            Some(s) => (s.value.clone(), s.revision),
            None => (IpamHandle::default(), 0),
        })
    }

    fn committed(&mut self, value: IpamHandle, revision: i64) {
        self.cached = Some(Some(Stored { value, revision }));
    }

    fn invalidate(&mut self) {
        self.cached = None;
    }

    /// `value` is planned in a transaction not yet committed: later plans build on it and
    /// still compare the revision read.
    fn tentative(&mut self, value: IpamHandle) {
        let revision = self
            .cached
            .as_ref()
            .and_then(Option::as_ref)
            .map_or(0, |s| s.revision);
        self.cached = Some(Some(Stored { value, revision }));
    }

    /// Adds the handle's increment for `n` addresses in `block` to `plan`; returns the new value.
    fn plan_increment(
        &mut self,
        ipam: &Ipam,
        plan: &mut Plan,
        block: &Cidr,
        n: usize,
    ) -> Result<IpamHandle> {
        let (mut value, revision) = self.load(ipam)?;
        value.increment(&block.to_string(), n as i64);
        plan.require(&self.key, revision);
        plan.put(self.key.clone(), value.to_json());
        Ok(value)
    }
}

/// What one request reads once: configuration, pools, reservations, the node's labels (with
/// the revisions of the configuration and node keys, for the agent cache's compares).
#[derive(Debug)]
pub(crate) struct RequestCtx {
    pub config: IpamConfig,
    pub config_revision: i64,
    pub pools: Vec<PoolEntry>,
    pub reservations: Reservations,
    pub node_labels: BTreeMap<String, String>,
    pub node_revision: i64,
}

/// The take that completes a family, kept uncommitted so that it goes in one transaction
/// with the next family's first take: a dual-stack request is one transaction (all or
/// nothing) unless a family spans several blocks.
pub(crate) struct Carry {
    plan: Plan,
    /// The family and block of the carried take (cached with a placeholder revision until
    /// the transaction commits).
    version: u8,
    cidr: Cidr,
    /// Addresses it added to its family's result (the last ones there).
    count: usize,
    /// The handle's value after it.
    handle: Option<IpamHandle>,
    /// Its plan holds the rider's writes.
    rider: bool,
}

/// The revision a carried block is cached at until its transaction commits.
const UNCOMMITTED: i64 = -1;

enum Take {
    /// Committed.
    Committed,
    /// Nothing free (nothing written).
    Full,
    /// A compare failed; re-read and retry.
    Conflict,
}

enum Candidate {
    /// No block exists for this CIDR of the pool at this index.
    Fresh(Cidr, usize),
    /// A block with room that became ours after we listed our affinities (another process
    /// on this host claimed it), with its affinity; its block is in `blocks`.
    Affine(Cidr, Stored<BlockAffinity>),
}

fn now_nanos() -> u64 {
    crate::go::time::unix_nanos(crate::go::time::now())
}

fn check_strict(block: &AllocationBlock, host: &str) -> Result<()> {
    match &block.affinity {
        None => Err(IpamError::NoBlockAffinity(block.cidr)),
        Some(a) if *a != host_affinity_value(host) => Err(IpamError::BlockAffinityMismatch {
            affinity: a.clone(),
            host: host.to_string(),
        }),
        Some(_) => Ok(()),
    }
}

/// One family of one request.
struct Family<'a> {
    ipam: &'a Ipam,
    ctx: &'a RequestCtx,
    /// The reserved addresses, and those the request excludes.
    reservations: Cow<'a, Reservations>,
    host: &'a str,
    version: u8,
    handle: &'a mut Option<HandleState>,
    secondary: Option<BTreeMap<String, String>>,
    out: IpamAssignments,
    retry: Retry,
    /// Pools usable for this request, in order.
    pools: Vec<PoolEntry>,
    /// Blocks of the family read so far (`None`: known to be absent); every block once
    /// `blocks_complete` (borrowing lists them all).
    blocks: HashMap<Cidr, Option<LazyBlock>>,
    blocks_complete: bool,
    /// Revisions of our own affinity keys as last seen (absent: 0).
    affinity_revs: HashMap<Cidr, i64>,
    /// Blocks affine to us in the usable pools.
    owned: BTreeSet<Cidr>,
    /// Labels of the request's namespace.
    namespace_labels: BTreeMap<String, String>,
    /// The request's rider: its writes go with every take.
    rider: Option<&'a mut dyn Rider>,
    /// Carry this family's completing take to the next family instead of committing it.
    defer: bool,
    /// The carried take: set by the family that defers, merged into the next family's first
    /// transaction.
    carry: &'a mut Option<Carry>,
    /// The carried take this family's transaction committed (its family and block), and
    /// the revision.
    merged: Option<(u8, Cidr, i64)>,
    /// Addresses earlier families of the request got (what the rider records besides ours).
    prior: Vec<Cidr>,
}

/// How often the cached path retries a block another writer changed before it gives up and
/// runs the uncached path.
const CACHED_RETRIES: usize = 8;

impl<'a> Family<'a> {
    fn new(
        ipam: &'a Ipam,
        ctx: &'a RequestCtx,
        req: &'a AutoAssignRequest,
        version: u8,
        handle: &'a mut Option<HandleState>,
        carry: &'a mut Option<Carry>,
        out: IpamAssignments,
    ) -> Family<'a> {
        let reservations = if req.excluded.is_empty() {
            Cow::Borrowed(&ctx.reservations)
        } else {
            Cow::Owned(ctx.reservations.with(req.excluded.iter().copied()))
        };
        Family {
            ipam,
            ctx,
            reservations,
            host: &req.hostname,
            version,
            handle,
            secondary: non_empty(&req.attrs),
            out,
            retry: Retry::new(),
            pools: Vec::new(),
            blocks: HashMap::new(),
            blocks_complete: false,
            affinity_revs: HashMap::new(),
            owned: BTreeSet::new(),
            namespace_labels: req.namespace_labels.clone(),
            rider: None,
            prior: Vec::new(),
            defer: false,
            carry,
            merged: None,
        }
    }

    /// The agent cache's path (see the `cache` module): take from the blocks we hold a
    /// confirmed affinity for, as remembered, in key order; every transaction also compares
    /// the affinity, the pool, the node and the configuration keys with the revisions the
    /// remembered facts were read at. `Ok(true)` when the request is served; `Ok(false)` when
    /// it must run the uncached path (for what is still missing): no remembered block has
    /// room, a remembered fact no longer holds, or choosing pools failed (the uncached path
    /// gives the authoritative answer).
    fn run_cached(
        &mut self,
        cache: &mut AgentCache,
        req: &AutoAssignRequest,
        requested: &[Cidr],
        pre_read: &mut Option<Vec<StoredAffinity>>,
    ) -> Result<bool> {
        let Ok(pools) = self.choose_pools(requested, req.intended_use) else {
            return Ok(false);
        };
        self.pools = pools;
        if cache.host(self.host, self.version).is_none() {
            let affinities = match pre_read.take() {
                Some(a) => a,
                None => self
                    .ipam
                    .list_affinities_under(&keys::host_affinities_prefix(
                        self.host,
                        self.version,
                    ))?,
            };
            // The blocks we may take from, in one round trip.
            let wanted: Vec<Cidr> = affinities
                .iter()
                .filter(|a| a.affinity.is_confirmed() && self.pool_index_of(&a.cidr).is_some())
                .map(|a| a.cidr)
                .collect();
            let mut host = HostCache::new(affinities);
            for (cidr, block) in wanted.iter().zip(self.ipam.read_lazy_blocks(&wanted)?) {
                if let Some(b) = block {
                    host.blocks.insert(*cidr, b);
                }
            }
            cache.set_host(self.host, self.version, host);
        }
        let strict = self.strict();
        let node_key = keys::resource(Node::PLURAL, None, self.host);
        let mut index = 0;
        while self.remaining() > 0 {
            let Some(host) = cache.host(self.host, self.version) else {
                return Ok(false);
            };
            let Some(aff) = host.affinities.get(index).cloned() else {
                break;
            };
            index += 1;
            if !aff.affinity.is_confirmed() || self.reservations.covers_whole(&aff.cidr) {
                continue;
            }
            let Some(pi) = self.pool_index_of(&aff.cidr) else {
                continue;
            };
            let mut tries = 0;
            loop {
                let host = cache
                    .host(self.host, self.version)
                    .expect("checked above, nothing dropped it since");
                // Taken out of the cache, not cloned (a block of 64 attributes costs more to
                // clone than the rest of the request): put back as committed, or as it is
                // when it has no room; after a conflict it is read again.
                let mut lazy = match host.blocks.remove(&aff.cidr) {
                    Some(b) => b,
                    None => match self.ipam.read_lazy_block(&aff.cidr)? {
                        Some(b) => b,
                        None => return Ok(false),
                    },
                };
                if !lazy_decode(&aff.cidr, lazy.is_affine_to(self.host))? {
                    cache.forget_host(self.host);
                    return Ok(false);
                }
                if lazy_decode(&aff.cidr, lazy.free_count(&aff.cidr, &self.reservations))? == 0 {
                    host.blocks.insert(aff.cidr, lazy);
                    break;
                }
                let read_at = lazy.revision;
                let block = lazy_decode(&aff.cidr, lazy.into_block())?;
                let pool = &self.pools[pi];
                let mut plan = Plan::new();
                plan.require(&keys::host_affinity(self.host, &aff.cidr), aff.revision);
                plan.require(&pool.key(), pool.revision);
                plan.require(&node_key, self.ctx.node_revision);
                plan.require(keys::IPAM_CONFIG, self.ctx.config_revision);
                match self.try_take(block, read_at, plan, strict)? {
                    Take::Committed => {
                        // Moved, not cloned, into the cache: should this request fall back
                        // to the uncached path it reads the block again.
                        if let (Some(host), Some(Some(b))) = (
                            cache.host(self.host, self.version),
                            self.blocks.remove(&aff.cidr),
                        ) {
                            host.blocks.insert(aff.cidr, b);
                        }
                        // Fewer than wanted means the block is now full: next affinity.
                        break;
                    }
                    Take::Full => break,
                    Take::Conflict => {
                        // Was it the block (another writer on this node, a release)? Then
                        // take again from what it is now. Anything else: forget, fall back.
                        let now = self.ipam.read_lazy_block(&aff.cidr)?;
                        match now {
                            Some(b) if b.revision != read_at && tries < CACHED_RETRIES => {
                                tries += 1;
                                if let Some(host) = cache.host(self.host, self.version) {
                                    host.blocks.insert(aff.cidr, b);
                                }
                                self.retry.conflict()?;
                            }
                            _ => {
                                cache.forget_host(self.host);
                                return Ok(false);
                            }
                        }
                    }
                }
            }
        }
        Ok(self.remaining() == 0)
    }

    fn remaining(&self) -> usize {
        self.out.num_requested.saturating_sub(self.out.ips.len())
    }

    fn strict(&self) -> bool {
        self.ctx.config.strict_affinity
    }

    /// Takes what it can from `block` (read at `rev`; 0 = creating it) in one transaction with
    /// `plan`'s extra conditions and writes.
    fn try_take(
        &mut self,
        mut block: AllocationBlock,
        rev: i64,
        mut plan: Plan,
        strict: bool,
    ) -> Result<Take> {
        if strict {
            check_strict(&block, self.host)?;
        }
        let want = self.remaining();
        let handle_id = self.handle.as_ref().map(|h| h.id.clone());
        let ordinals = block.auto_assign(
            want,
            handle_id.as_deref(),
            self.secondary.as_ref(),
            &self.reservations,
        );
        if ordinals.is_empty() {
            return Ok(Take::Full);
        }
        let seq = block.sequence_number;
        block.bump();
        let cidr = block.cidr;
        let taken: Vec<Cidr> = ordinals
            .iter()
            .map(|&o| {
                Cidr::new(block.ip_of(o), cidr.prefix()).expect("a block's prefix fits its family")
            })
            .collect();
        // An earlier family's carried take goes first: its compares stand where both
        // require a key (the handle), the later writes replace its own.
        let mut incoming = self.carry.take();
        if let Some(c) = incoming.as_mut() {
            let mut merged = std::mem::take(&mut c.plan);
            merged.absorb(plan);
            plan = merged;
        }
        let key = keys::block(&cidr);
        let bytes = block.to_json();
        plan.require(&key, rev);
        plan.put(key, bytes);
        let new_handle = match self.handle.as_mut() {
            Some(h) => Some(h.plan_increment(self.ipam, &mut plan, &cidr, ordinals.len())?),
            None => None,
        };
        let rider = match self.rider.as_deref_mut() {
            Some(r) => {
                let all: Vec<Cidr> = self
                    .prior
                    .iter()
                    .chain(&self.out.ips)
                    .chain(&taken)
                    .copied()
                    .collect();
                super::rider::ride(r, &mut plan, &all)?;
                Some(r)
            }
            None => None,
        };
        let count = taken.len();
        let record = |fam: &mut Self, revision: i64| {
            fam.out.ips.extend(taken);
            fam.out
                .sequence_numbers
                .extend(std::iter::repeat_n(seq, count));
            fam.blocks
                .insert(cidr, Some(LazyBlock::decoded(block, revision)));
        };
        if self.defer && count == want && incoming.is_none() {
            // Completes this family, and another follows: commit with it.
            if let (Some(h), Some(v)) = (self.handle.as_mut(), new_handle.clone()) {
                h.tentative(v);
            }
            *self.carry = Some(Carry {
                plan,
                version: self.version,
                cidr,
                count,
                handle: new_handle,
                rider: rider.is_some(),
            });
            record(self, UNCOMMITTED);
            return Ok(Take::Committed);
        }
        match plan.commit(self.ipam.store())? {
            Some(revision) => {
                if let (Some(h), Some(v)) = (self.handle.as_mut(), new_handle) {
                    h.committed(v, revision);
                }
                if let Some(r) = rider {
                    r.committed(revision);
                }
                record(self, revision);
                self.merged = incoming.map(|c| (c.version, c.cidr, revision));
                Ok(Take::Committed)
            }
            None => {
                if let Some(h) = self.handle.as_mut() {
                    h.invalidate();
                }
                if let Some(r) = rider {
                    r.conflicted();
                }
                if incoming.is_some() {
                    // Which compare failed is unknown: the carried family's may have.
                    return Err(IpamError::Restart);
                }
                Ok(Take::Conflict)
            }
        }
    }

    /// Pools selected for the request, then filtered by use (Calico's messages on failure).
    fn choose_pools(&mut self, requested: &[Cidr], use_: IntendedUse) -> Result<Vec<PoolEntry>> {
        let enabled: Vec<&PoolEntry> = self
            .ctx
            .pools
            .iter()
            .filter(|p| p.enabled() && p.cidr.version() == self.version)
            .collect();
        if enabled.is_empty() {
            return Err(IpamError::NoQualifiedPool);
        }
        let selecting: Vec<PoolEntry> = if !requested.is_empty() {
            let mut out = Vec::with_capacity(requested.len());
            for r in requested {
                let want = r.network();
                match enabled.iter().find(|p| p.cidr == want) {
                    Some(p) => out.push((*p).clone()),
                    None => return Err(IpamError::PoolNotEnabled(want)),
                }
            }
            out
        } else {
            let mut out = Vec::new();
            for p in enabled {
                if !p.pool.is_manual()
                    && p.selects_node(&self.ctx.node_labels)?
                    && p.selects_namespace(&self.namespace_labels)?
                {
                    out.push(p.clone());
                }
            }
            out
        };
        if selecting.is_empty() {
            return Err(IpamError::NoPoolsForNode(self.host.to_string()));
        }
        let allowed: Vec<PoolEntry> = selecting
            .into_iter()
            .filter(|p| p.pool.allows(use_.as_str()))
            .collect();
        if allowed.is_empty() {
            return Err(IpamError::NoPoolForUse(use_));
        }
        Ok(allowed)
    }

    fn pool_index_of(&self, cidr: &Cidr) -> Option<usize> {
        self.pools
            .iter()
            .position(|p| p.cidr.contains_ip(cidr.addr()))
    }

    /// The uncached algorithm; `pre_read`: the host's affinities of this family, if the
    /// request read them with its context.
    fn run(
        &mut self,
        req: &AutoAssignRequest,
        requested: &[Cidr],
        pre_read: Option<Vec<StoredAffinity>>,
    ) -> Result<()> {
        self.pools = self.choose_pools(requested, req.intended_use)?;

        let affinities = match pre_read {
            Some(a) => a,
            None => self
                .ipam
                .list_affinities_under(&keys::host_affinities_prefix(self.host, self.version))?,
        };
        let mut mine = Vec::new();
        for aff in affinities {
            self.affinity_revs.insert(aff.cidr, aff.revision);
            if self.pool_index_of(&aff.cidr).is_some() {
                mine.push(aff);
            } else {
                // An affinity in a pool that no longer selects this node: give it up if the
                // block is empty (errors ignored, as Calico does).
                let stale = self
                    .ctx
                    .pools
                    .iter()
                    .find(|p| p.enabled() && p.cidr.contains_ip(aff.cidr.addr()));
                if let Some(p) = stale
                    && !p.selects_node(&self.ctx.node_labels).unwrap_or(true)
                {
                    let _ = self.ipam.release_block_affinity(self.host, &aff.cidr, true);
                }
            }
        }
        self.owned = mine.iter().map(|a| a.cidr).collect();
        let cap = block_cap(&self.ctx.config, req.max_blocks_per_host);

        // Every affine block we may take from, in one round trip; each is decoded only as far
        // as needed (full blocks are skipped after a light pass).
        let wanted: Vec<Cidr> = mine
            .iter()
            .filter(|a| !self.reservations.covers_whole(&a.cidr))
            .map(|a| a.cidr)
            .collect();
        let mut prefetched: HashMap<Cidr, Option<LazyBlock>> = wanted
            .iter()
            .copied()
            .zip(self.ipam.read_lazy_blocks(&wanted)?)
            .collect();
        for aff in mine {
            if self.remaining() == 0 {
                break;
            }
            let block = prefetched.remove(&aff.cidr);
            self.take_from_affine(
                aff.cidr,
                Some(Stored {
                    value: aff.affinity,
                    revision: aff.revision,
                }),
                block,
            )?;
        }

        let mut no_free_blocks = false;
        while self.remaining() > 0 {
            if self.owned.len() >= cap {
                self.out.add_msg(format!(
                    "Need to allocate an IPAM block but could not - limit of {cap} blocks reached for this node"
                ));
                return Err(IpamError::BlockLimit);
            }
            if !self.ctx.config.auto_allocate_blocks {
                return Err(IpamError::NoBlockClaimed);
            }
            match self.find_usable_block()? {
                None => {
                    no_free_blocks = true;
                    break;
                }
                Some(Candidate::Fresh(cidr, pool_idx)) => self.claim_fresh(cidr, pool_idx)?,
                Some(Candidate::Affine(cidr, affinity)) => {
                    self.owned.insert(cidr);
                    let block = self.blocks.remove(&cidr);
                    self.take_from_affine(cidr, Some(affinity), block)?;
                }
            }
        }
        if no_free_blocks && self.strict() {
            self.out
                .add_msg("No more free affine blocks and strict affinity enabled".to_string());
        }
        if self.remaining() > 0 && !self.strict() {
            self.borrow()?;
        }
        Ok(())
    }

    /// Takes addresses from a block we hold an affinity for, fixing the affinity up as Calico's
    /// `getBlockFromAffinity` does: a missing block is created (a claim that stopped half
    /// way), a block owned by someone else makes the affinity stale (deleted), an unconfirmed
    /// affinity of a block that is ours is confirmed.
    /// `block`: the block as read with the request's other reads (`Some(None)`: absent).
    fn take_from_affine(
        &mut self,
        cidr: Cidr,
        mut affinity: Option<Stored<BlockAffinity>>,
        mut block: Option<Option<LazyBlock>>,
    ) -> Result<()> {
        if self.reservations.covers_whole(&cidr) {
            return Ok(());
        }
        let akey = keys::host_affinity(self.host, &cidr);
        let mut first = true;
        while self.remaining() > 0 {
            if !first {
                // Both again, in one round trip.
                let (a, b) = self.ipam.read_affinity_and_block(self.host, &cidr)?;
                affinity = a;
                block = Some(b);
            }
            first = false;
            let Some(aff) = affinity.clone() else {
                // Released under our feet: not ours any more.
                self.owned.remove(&cidr);
                return Ok(());
            };
            self.affinity_revs.insert(cidr, aff.revision);
            let current = match block.take() {
                Some(b) => b,
                None => self.ipam.read_lazy_block(&cidr)?,
            };
            let outcome = match current {
                None => {
                    let Some(pi) = self.pool_index_of(&cidr) else {
                        return Ok(());
                    };
                    let pool = &self.pools[pi];
                    if cidr.prefix() != pool.block_size() {
                        return Ok(());
                    }
                    let mut plan = Plan::new();
                    plan.require(&akey, aff.revision);
                    plan.put(akey.clone(), BlockAffinity::confirmed().to_json());
                    plan.require(&pool.key(), pool.revision);
                    let block = AllocationBlock::new(
                        cidr,
                        Some(host_affinity_value(self.host)),
                        now_nanos(),
                    );
                    self.try_take(block, 0, plan, false)?
                }
                Some(mut b) => {
                    if !lazy_decode(&cidr, b.is_affine_to(self.host))? {
                        // Someone else's block: our affinity is stale.
                        let mut plan = Plan::new();
                        plan.require(&akey, aff.revision);
                        plan.delete(akey.clone());
                        let _ = plan.commit(self.ipam.store())?;
                        self.owned.remove(&cidr);
                        return Ok(());
                    }
                    let mut plan = Plan::new();
                    if !aff.value.is_confirmed() {
                        plan.require(&akey, aff.revision);
                        plan.put(akey.clone(), BlockAffinity::confirmed().to_json());
                    }
                    let rev = b.revision;
                    if lazy_decode(&cidr, b.free_count(&cidr, &self.reservations))? == 0 {
                        if plan.has_writes() {
                            // Confirm anyway: rewrite the block (new revision, invalidating
                            // anyone mid-release) together with the affinity.
                            let mut blk = lazy_decode(&cidr, b.into_block())?;
                            blk.bump();
                            let bkey = keys::block(&cidr);
                            plan.require(&bkey, rev);
                            plan.put(bkey, blk.to_json());
                            let _ = plan.commit(self.ipam.store())?;
                        }
                        return Ok(());
                    }
                    let strict = self.strict();
                    let blk = lazy_decode(&cidr, b.into_block())?;
                    self.try_take(blk, rev, plan, strict)?
                }
            };
            match outcome {
                // Fewer than wanted means the block has no usable address left.
                Take::Committed | Take::Full => return Ok(()),
                Take::Conflict => self.retry.conflict()?,
            }
        }
        Ok(())
    }

    /// Lists every block of the family with its value, once.
    fn load_block_values(&mut self) -> Result<()> {
        if self.blocks_complete {
            return Ok(());
        }
        let resp = self.ipam.store().list(&keys::blocks_prefix(self.version))?;
        self.blocks.clear();
        for kv in resp.kvs {
            if let Some(cidr) = keys::parse_block(&kv.key) {
                self.blocks.insert(
                    cidr.network(),
                    Some(LazyBlock::stored(kv.value, kv.mod_revision)),
                );
            }
        }
        self.blocks_complete = true;
        Ok(())
    }

    /// Those of `cidrs` whose block we have not read (none once every block is listed).
    fn unread(&self, cidrs: &[Cidr]) -> Vec<Cidr> {
        if self.blocks_complete {
            return Vec::new();
        }
        cidrs
            .iter()
            .filter(|c| !self.blocks.contains_key(c))
            .copied()
            .collect()
    }

    /// Reads the blocks of `cidrs` not read yet, in one round trip.
    fn read_missing(&mut self, cidrs: &[Cidr]) -> Result<()> {
        let unread = self.unread(cidrs);
        let values = self.ipam.read_lazy_blocks(&unread)?;
        self.blocks.extend(unread.into_iter().zip(values));
        Ok(())
    }

    /// True when block `cidr` is known to exist (read, or listed).
    fn exists(&self, cidr: &Cidr) -> bool {
        matches!(self.blocks.get(cidr), Some(Some(_)))
    }

    /// The block as read, decoded (None when absent, not read, or undecodable).
    fn cached_block(&self, cidr: &Cidr) -> Option<Stored<AllocationBlock>> {
        let entry = self.blocks.get(cidr)?.as_ref()?;
        Some(Stored {
            revision: entry.revision,
            value: entry.clone().into_block().ok()?,
        })
    }

    /// True when the block `cidr` as read has room and, with `ours`, is affine to us (false
    /// when absent, not read, or undecodable), without decoding its attributes.
    fn listed_has_room(&mut self, cidr: &Cidr, ours: bool) -> bool {
        let (host, reservations) = (self.host, &self.reservations);
        self.blocks
            .get_mut(cidr)
            .and_then(Option::as_mut)
            .is_some_and(|b| {
                (!ours || b.is_affine_to(host).unwrap_or(false))
                    && b.free_count(cidr, reservations).unwrap_or(0) > 0
            })
    }

    /// Re-reads one block.
    fn refresh_block(&mut self, cidr: &Cidr) -> Result<()> {
        let fresh = self.ipam.read_lazy_block(cidr)?;
        self.blocks.insert(*cidr, fresh);
        Ok(())
    }

    /// Up to `n` next CIDRs of `walk` that are not ours (ours were all just tried); none when
    /// the walk is over.
    fn next_not_ours(&self, walk: &mut BlockWalk, n: usize) -> Vec<Cidr> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let Some(cidr) = walk.next_unreserved(&self.reservations) else {
                break;
            };
            if !self.owned.contains(&cidr) {
                out.push(cidr);
            }
        }
        out
    }

    /// Calico's `findUsableBlock`: per usable pool in order, walk the block CIDRs from the
    /// host's random start; the first one with no block is free. Before that, a block that
    /// became ours since we listed our affinities (another process on this host claimed it)
    /// and has room is taken instead of claiming one more.
    ///
    /// Reads: our affinities and the first CIDRs of the walk in one round trip, then batches
    /// of the walk twice as large each time (a dense pool) — never a listing of every block,
    /// whose cost would grow with the cluster.
    fn find_usable_block(&mut self) -> Result<Option<Candidate>> {
        const FIRST_BATCH: usize = 8;
        let mut walks: Vec<(usize, BlockWalk)> = (0..self.pools.len())
            .filter(|&pi| self.pools[pi].block_size() >= self.pools[pi].cidr.prefix())
            .map(|pi| {
                let p = &self.pools[pi];
                (pi, BlockWalk::new(p.cidr, p.block_size(), self.host))
            })
            .collect();
        let first = match walks.first() {
            Some((_, walk)) => self.unread(&self.next_not_ours(&mut walk.clone(), FIRST_BATCH)),
            None => Vec::new(),
        };
        let mut reads = vec![Read::Prefix(keys::host_affinities_prefix(
            self.host,
            self.version,
        ))];
        reads.extend(first.iter().map(|c| Read::Key(keys::block(c))));
        let mut results = self.ipam.store().read_many(&reads)?.results.into_iter();
        let affinities = affinities_from(results.next().unwrap_or_default())?;
        self.blocks
            .extend(first.into_iter().zip(results.map(super::lazy_block_from)));

        // Blocks that became ours since we listed our affinities.
        for a in &affinities {
            self.affinity_revs.insert(a.cidr, a.revision);
        }
        let new: Vec<StoredAffinity> = affinities
            .into_iter()
            .filter(|a| {
                a.affinity.state != super::affinity::STATE_PENDING_DELETION
                    && !self.owned.contains(&a.cidr)
                    && self.pool_index_of(&a.cidr).is_some()
                    && !self.reservations.covers_whole(&a.cidr)
            })
            .collect();
        let cidrs: Vec<Cidr> = new.iter().map(|a| a.cidr).collect();
        self.read_missing(&cidrs)?;
        for a in new {
            if self.listed_has_room(&a.cidr, true) {
                let stored = Stored {
                    value: a.affinity,
                    revision: a.revision,
                };
                return Ok(Some(Candidate::Affine(a.cidr, stored)));
            }
        }

        for (pi, walk) in &mut walks {
            let mut batch = FIRST_BATCH;
            loop {
                let next = self.next_not_ours(walk, batch);
                if next.is_empty() {
                    break;
                }
                self.read_missing(&next)?;
                if let Some(free) = next.iter().find(|c| !self.exists(c)) {
                    return Ok(Some(Candidate::Fresh(*free, *pi)));
                }
                batch = (batch * 2).min(MAX_TXN_OPS);
            }
        }
        Ok(None)
    }

    /// Claims a block nobody has: one transaction creating our confirmed affinity and the block
    /// (already holding our addresses), conditional on the pool being unchanged.
    fn claim_fresh(&mut self, cidr: Cidr, pool_idx: usize) -> Result<()> {
        let akey = keys::host_affinity(self.host, &cidr);
        let aff_rev = self.affinity_revs.get(&cidr).copied().unwrap_or(0);
        let pool_key = self.pools[pool_idx].key();
        let pool_rev = self.pools[pool_idx].revision;
        let mut plan = Plan::new();
        plan.require(&akey, aff_rev);
        plan.put(akey, BlockAffinity::confirmed().to_json());
        plan.require(&pool_key, pool_rev);
        let block = AllocationBlock::new(cidr, Some(host_affinity_value(self.host)), now_nanos());
        match self.try_take(block, 0, plan, false)? {
            Take::Committed => {
                self.owned.insert(cidr);
                self.affinity_revs.remove(&cidr);
                Ok(())
            }
            Take::Full => {
                // Cannot happen for a block that is not wholly reserved; do not loop on it.
                self.blocks
                    .insert(cidr, Some(LazyBlock::stored(Vec::new(), 0)));
                Ok(())
            }
            Take::Conflict => {
                self.retry.conflict()?;
                // Someone created the block, our affinity key changed, or the pool changed.
                self.refresh_block(&cidr)?;
                match self.ipam.read_affinity(self.host, &cidr)? {
                    Some(a) => self.affinity_revs.insert(cidr, a.revision),
                    None => self.affinity_revs.remove(&cidr),
                };
                self.refresh_pool(pool_idx)
            }
        }
    }

    /// Re-reads a pool after a failed claim; drops it when it is no longer usable.
    fn refresh_pool(&mut self, pool_idx: usize) -> Result<()> {
        let name = self.pools[pool_idx].pool.metadata.name.clone();
        match self.ipam.client().get_opt::<IpPool>(None, &name)? {
            Some(p) => match PoolEntry::from_pool(p) {
                Some(e) if e.enabled() && e.cidr == self.pools[pool_idx].cidr => {
                    self.pools[pool_idx] = e;
                }
                _ => {
                    self.pools.remove(pool_idx);
                }
            },
            None => {
                self.pools.remove(pool_idx);
            }
        }
        Ok(())
    }

    /// Borrowing (strict affinity off): addresses from any existing block of the usable pools,
    /// visited in the host's random order. Calico probes every block-sized CIDR of each pool;
    /// we walk only the blocks that exist (the same result, without thousands of reads).
    fn borrow(&mut self) -> Result<()> {
        self.load_block_values()?;
        let mut exhausted = Vec::new();
        for pi in 0..self.pools.len() {
            if self.remaining() == 0 {
                break;
            }
            let pool_cidr = self.pools[pi].cidr;
            let walk = BlockWalk::new(pool_cidr, self.pools[pi].block_size(), self.host);
            let mut candidates: Vec<(u128, Cidr)> = self
                .blocks
                .iter()
                .filter(|(c, b)| b.is_some() && pool_cidr.contains(c))
                .map(|(c, _)| (walk.rank(c), *c))
                .collect();
            candidates.sort_unstable();
            for (_, cidr) in candidates {
                if self.remaining() == 0 {
                    break;
                }
                if self.reservations.covers_whole(&cidr) {
                    continue;
                }
                loop {
                    if !self.listed_has_room(&cidr, false) {
                        break;
                    }
                    let Some(b) = self.cached_block(&cidr) else {
                        break;
                    };
                    match self.try_take(b.value, b.revision, Plan::new(), false)? {
                        Take::Committed | Take::Full => break,
                        Take::Conflict => {
                            self.retry.conflict()?;
                            self.refresh_block(&cidr)?;
                        }
                    }
                }
            }
            if self.remaining() > 0 {
                exhausted.push(self.pools[pi].pool.spec.cidr.clone());
            }
        }
        if !exhausted.is_empty() {
            self.out.add_msg(format!(
                "No IPs available in pools: [{}]",
                exhausted.join(" ")
            ));
        }
        Ok(())
    }
}

impl Ipam {
    /// Reads what an assignment needs, in one round trip: configuration (created if missing),
    /// pools, reservations, the node (which must exist), and the host's affinities of each
    /// family in `families` (returned in that order); and a rider's keys, handed to it.
    pub(crate) fn read_request(
        &self,
        host: &str,
        families: &[u8],
        rider: Option<&mut dyn Rider>,
    ) -> Result<(RequestCtx, Vec<Vec<StoredAffinity>>)> {
        let mut reads = vec![
            Read::Key(keys::resource(Node::PLURAL, None, host)),
            Read::Key(keys::IPAM_CONFIG.to_string()),
            Read::Prefix(IpPool::list_prefix(None)),
            Read::Prefix(IpReservation::list_prefix(None)),
        ];
        reads.extend(
            families
                .iter()
                .map(|v| Read::Prefix(keys::host_affinities_prefix(host, *v))),
        );
        let mut results = super::rider::read_with(self.store(), reads, rider)?.into_iter();
        let mut next = || results.next().unwrap_or_default();
        let node: Node = match next().first() {
            Some(kv) => Client::from_kv(kv)?,
            // Absent: the client's own read gives its error (or the node, created since).
            None => self.client().get(None, host)?,
        };
        let config = match next().first() {
            Some(kv) => super::config::stored_config(kv)?,
            None => self.read_config()?,
        };
        let pools = pool_entries_from(&next())?;
        let reservations = reservations_from(&next())?;
        let affinities = families
            .iter()
            .map(|_| affinities_from(next()))
            .collect::<Result<Vec<_>>>()?;
        Ok((
            RequestCtx {
                config: config.value,
                config_revision: config.revision,
                pools,
                reservations,
                node_revision: node.metadata.resource_version.parse().unwrap_or(0),
                node_labels: node.metadata.labels,
            },
            affinities,
        ))
    }

    /// Assigns `num4` IPv4 and `num6` IPv6 addresses to `hostname` (Calico's `AutoAssign`).
    ///
    /// A family that comes up short is not an error: its [`IpamAssignments`] says how many it
    /// got and why ([`IpamAssignments::partial_fulfillment_error`] renders Calico's
    /// `Assigned <got> out of <want> requested IPv<v> addresses; ...`). IPv6 is assigned after
    /// IPv4. On an error, every address this call assigned is released again before the error
    /// is returned, so a failed call leaves nothing behind.
    pub fn auto_assign(&self, req: &AutoAssignRequest) -> Result<AutoAssignResult> {
        self.auto_assign_with(req, None)
    }

    /// [`Ipam::auto_assign`], with `rider`'s writes in every transaction that assigns
    /// addresses (see [`Rider`]).
    pub fn auto_assign_with(
        &self,
        req: &AutoAssignRequest,
        mut rider: Option<&mut dyn Rider>,
    ) -> Result<AutoAssignResult> {
        if req.num4 > 0 && req.ipv4_pools.iter().any(|c| !c.is_ipv4()) {
            return Err(IpamError::Ipv6PoolInIpv4List);
        }
        if req.num6 > 0 && req.ipv6_pools.iter().any(Cidr::is_ipv4) {
            return Err(IpamError::Ipv4PoolInIpv6List);
        }
        if req.num4 == 0 && req.num6 == 0 {
            return Ok(AutoAssignResult::default());
        }
        let lock = self.lock_host(&req.hostname);
        let _turn = lock
            .as_ref()
            .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        // Kept across attempts: what a failed compare taught about the handle stays learnt.
        let mut handle = req.handle_id.as_deref().map(HandleState::new);
        let mut retry = Retry::new();
        loop {
            let rider = rider.as_deref_mut().map(|r| r as &mut dyn Rider);
            match self.auto_assign_once(req, &mut handle, rider) {
                Err(IpamError::Restart) => retry.conflict()?,
                outcome => return outcome,
            }
        }
    }

    /// One attempt of [`Ipam::auto_assign_with`], under the host's turn. Fails with
    /// [`IpamError::Restart`] (having undone what it committed) when a transaction carrying
    /// IPv4's last take with IPv6's first failed a compare.
    fn auto_assign_once(
        &self,
        req: &AutoAssignRequest,
        handle: &mut Option<HandleState>,
        mut rider: Option<&mut dyn Rider>,
    ) -> Result<AutoAssignResult> {
        let mut result = AutoAssignResult::default();
        let host = req.hostname.as_str();
        let families: Vec<u8> = [(4u8, req.num4), (6u8, req.num6)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(v, _)| v)
            .collect();
        let mut cache = self
            .cache
            .as_ref()
            .map(|c| c.lock().unwrap_or_else(|p| p.into_inner()));
        // The context read afresh by this request, if it had to read one, and the host's
        // affinities per family read with it (each used at most once).
        let mut fresh: Option<Arc<RequestCtx>> = None;
        let mut pre_read: HashMap<u8, Vec<StoredAffinity>> = HashMap::new();
        let read_fresh = |pre_read: &mut HashMap<u8, Vec<StoredAffinity>>,
                          rider: Option<&mut dyn Rider>| {
            self.read_request(host, &families, rider)
                .map(|(ctx, affinities)| {
                    pre_read.extend(families.iter().copied().zip(affinities));
                    Arc::new(ctx)
                })
        };
        // The rider's keys: with the request's own read when it makes one, else on their own.
        if let Some(r) = rider.as_deref_mut()
            && !r.reads().is_empty()
        {
            let r = r as &mut dyn Rider;
            match cache.as_deref().and_then(|c| c.ctx(host)) {
                Some(_) => {
                    super::rider::read_with(self.store(), Vec::new(), Some(r))?;
                }
                None => fresh = Some(read_fresh(&mut pre_read, Some(r))?),
            }
        }
        // IPv4's completing take, when IPv6 follows: it commits with IPv6's first take.
        let mut carry: Option<Carry> = None;
        // Addresses at the end of the IPv4 result that are carried and not yet committed.
        let mut uncommitted = 0;
        let mut merged: Option<(u8, Cidr, i64)> = None;
        let mut failure = None;
        for (version, num, requested) in [
            (4u8, req.num4, &req.ipv4_pools),
            (6u8, req.num6, &req.ipv6_pools),
        ] {
            if num == 0 {
                continue;
            }
            let mut out = IpamAssignments::new(version, num);
            // What the rider records besides this family's addresses.
            let prior: Vec<Cidr> = result.ipv4.iter().flat_map(|a| a.ips.clone()).collect();
            let defer = version == 4 && req.num6 > 0;
            let mut served = false;
            let mut affinities = None;
            if let Some(cache) = cache.as_deref_mut() {
                let ctx = match cache.ctx(host) {
                    Some(c) => c,
                    None => match fresh
                        .clone()
                        .map_or_else(|| read_fresh(&mut pre_read, None), Ok)
                    {
                        Ok(c) => {
                            cache.set_ctx(host, c.clone());
                            fresh = Some(c.clone());
                            c
                        }
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    },
                };
                let mut family = Family::new(self, &ctx, req, version, handle, &mut carry, out);
                family.rider = rider.as_deref_mut().map(|r| r as &mut dyn Rider);
                family.prior.clone_from(&prior);
                family.defer = defer;
                affinities = pre_read.remove(&version);
                let outcome = family.run_cached(cache, req, requested, &mut affinities);
                out = std::mem::take(&mut family.out);
                merged = merged.or(family.merged.take());
                match outcome {
                    Ok(done) => served = done,
                    Err(e) => failure = Some(e),
                }
            }
            if !served && failure.is_none() {
                let ctx = match &fresh {
                    Some(c) => Ok(c.clone()),
                    None => read_fresh(&mut pre_read, None),
                };
                match ctx {
                    Ok(ctx) => {
                        fresh = Some(ctx.clone());
                        let mut family =
                            Family::new(self, &ctx, req, version, handle, &mut carry, out);
                        family.rider = rider.as_deref_mut().map(|r| r as &mut dyn Rider);
                        family.prior.clone_from(&prior);
                        family.defer = defer;
                        // Affinities read with the context, unless the cached path used them.
                        let pre = affinities.take().or_else(|| pre_read.remove(&version));
                        let outcome = family.run(req, requested, pre);
                        out = std::mem::take(&mut family.out);
                        merged = merged.or(family.merged.take());
                        if let Some(cache) = cache.as_deref_mut() {
                            // The uncached path may have claimed blocks or fixed affinities
                            // up: read the host's affinities again next time; keep the fresh
                            // context.
                            cache.forget_host(host);
                            cache.set_ctx(host, ctx.clone());
                        }
                        if let Err(e) = outcome {
                            failure = Some(e);
                        }
                    }
                    Err(e) => failure = Some(e),
                }
            }
            if let Some(c) = &carry {
                uncommitted = c.count;
            }
            if version == 4 {
                result.ipv4 = Some(out);
            } else {
                result.ipv6 = Some(out);
            }
            if failure.is_some() {
                break;
            }
        }
        // IPv6 took nothing (came up short): the carried take commits on its own.
        if let Some(c) = carry.take()
            && failure.is_none()
        {
            match c.plan.commit(self.store())? {
                Some(revision) => {
                    if let (Some(h), Some(v)) = (handle.as_mut(), c.handle) {
                        h.committed(v, revision);
                    }
                    if c.rider
                        && let Some(r) = rider.as_deref_mut()
                    {
                        r.committed(revision);
                    }
                    merged = Some((c.version, c.cidr, revision));
                }
                None => {
                    if c.rider
                        && let Some(r) = rider
                    {
                        r.conflicted();
                    }
                    if let Some(h) = handle.as_mut() {
                        h.invalidate();
                    }
                    failure = Some(IpamError::Restart);
                }
            }
        }
        if let Some((version, cidr, revision)) = merged {
            uncommitted = 0;
            // The carried block is cached at a placeholder revision until now.
            if let Some(b) = cache
                .as_deref_mut()
                .and_then(|cache| cache.host(host, version))
                .and_then(|h| h.blocks.get_mut(&cidr))
                .filter(|b| b.revision == UNCOMMITTED)
            {
                b.revision = revision;
            }
        }
        if failure.is_some() && uncommitted > 0 {
            // Never committed: not ours to release, and not to be remembered.
            if let Some(v4) = result.ipv4.as_mut() {
                let keep = v4.ips.len().saturating_sub(uncommitted);
                v4.ips.truncate(keep);
                v4.sequence_numbers.truncate(keep);
            }
            if let Some(cache) = cache.as_deref_mut() {
                cache.forget_host(host);
            }
        }
        // Release the cache before undoing (a release updates the cache).
        drop(cache);
        if let Some(e) = failure {
            let undo = result.release_options(req.handle_id.as_deref());
            if !undo.is_empty() {
                let _ = self.release_ips(&undo);
            }
            return Err(e);
        }
        Ok(result)
    }

    /// Assigns one specific address (Calico's `AssignIP`, the `ipAddrs` path). The address must
    /// lie in an enabled pool; its block is claimed for `hostname` if it does not exist yet.
    /// Selectors, reservations and the block cap do not apply.
    pub fn assign_ip(&self, req: &AssignIpRequest) -> Result<AssignedIp> {
        self.assign_ip_with(req, None)
    }

    /// [`Ipam::assign_ip`], with `rider`'s writes (given the address, with its block's
    /// prefix) in the transaction that assigns it (see [`Rider`]).
    pub fn assign_ip_with(
        &self,
        req: &AssignIpRequest,
        mut rider: Option<&mut dyn Rider>,
    ) -> Result<AssignedIp> {
        // Pools, configuration and the rider's keys in one round trip.
        let reads = vec![
            Read::Prefix(IpPool::list_prefix(None)),
            Read::Key(keys::IPAM_CONFIG.to_string()),
        ];
        let first = rider.as_deref_mut().map(|r| r as &mut dyn Rider);
        let mut results = super::rider::read_with(self.store(), reads, first)?.into_iter();
        let pools = pool_entries_from(&results.next().unwrap_or_default())?;
        let config_kv = results.next().unwrap_or_default();
        let pool = pools
            .into_iter()
            .find(|p| p.enabled() && p.cidr.contains_ip(req.ip))
            .ok_or(IpamError::NotInPool(req.ip))?;
        let config = match config_kv.first() {
            Some(kv) => super::config::stored_config(kv)?.value,
            None => self.get_config()?,
        };
        let block_cidr = Cidr::enclosing(req.ip, pool.block_size());
        let host = req.hostname.as_str();
        let lock = self.lock_host(host);
        let _turn = lock
            .as_ref()
            .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        let secondary = non_empty(&req.attrs);
        let mut handle = req.handle_id.as_deref().map(HandleState::new);
        let mut retry = Retry::new();
        loop {
            let mut plan = Plan::new();
            // The block and, should it not exist yet, our affinity for it: one round trip.
            let (affinity, block) = self.read_affinity_and_block(host, &block_cidr)?;
            let block = match block {
                Some(b) => Some(Stored {
                    revision: b.revision,
                    value: lazy_decode(&block_cidr, b.into_block())?,
                }),
                None => None,
            };
            let (mut block, rev) = match block {
                Some(s) => {
                    if config.strict_affinity {
                        match &s.value.affinity {
                            None => return Err(IpamError::NoBlockAffinity(block_cidr)),
                            Some(a) if *a != host_affinity_value(host) => {
                                return Err(IpamError::HostAffinityMismatch);
                            }
                            Some(_) => {}
                        }
                    }
                    (s.value, s.revision)
                }
                None => {
                    let akey = keys::host_affinity(host, &block_cidr);
                    plan.require(&akey, affinity.map_or(0, |a| a.revision));
                    plan.put(akey, BlockAffinity::confirmed().to_json());
                    plan.require(&pool.key(), pool.revision);
                    (
                        AllocationBlock::new(
                            block_cidr,
                            Some(host_affinity_value(host)),
                            now_nanos(),
                        ),
                        0,
                    )
                }
            };
            let ordinal = block
                .ordinal_of(req.ip)
                .ok_or(IpamError::NotInPool(req.ip))?;
            block
                .assign_ordinal(ordinal, req.handle_id.as_deref(), secondary.as_ref())
                .map_err(|_| IpamError::AlreadyAssigned(req.ip))?;
            let seq = block.sequence_number;
            block.bump();
            let bkey = keys::block(&block_cidr);
            plan.require(&bkey, rev);
            plan.put(bkey, block.to_json());
            if let Some(h) = handle.as_mut() {
                h.plan_increment(self, &mut plan, &block_cidr, 1)?;
            }
            let ip =
                Cidr::new(req.ip, block_cidr.prefix()).expect("a block's prefix fits its family");
            if let Some(r) = rider.as_deref_mut() {
                super::rider::ride(r, &mut plan, &[ip])?;
            }
            if let Some(revision) = plan.commit(self.store())? {
                if let Some(r) = rider {
                    r.committed(revision);
                }
                return Ok(AssignedIp {
                    ip,
                    sequence_number: seq,
                });
            }
            if let Some(h) = handle.as_mut() {
                h.invalidate();
            }
            if let Some(r) = rider.as_deref_mut() {
                r.conflicted();
            }
            retry.conflict()?;
        }
    }
}
