//! One family (IPv4 or IPv6) of an automatic assignment: choosing the pools, then taking
//! from the host's affine blocks, through the agent cache or afresh, one transaction a take.

use super::handle::HandleState;
use crate::datastore::keys;
use crate::ipam::affinity::BlockAffinity;
use crate::ipam::block::{AllocationBlock, LazyBlock};
use crate::ipam::cache::{AgentCache, HostCache};
use crate::ipam::config::block_cap;
use crate::ipam::plan::{Plan, Retry};
use crate::ipam::request::RequestCtx;
use crate::ipam::rider::Rider;
use crate::ipam::{
    AutoAssignRequest, IntendedUse, Ipam, IpamAssignments, IpamError, IpamHandle, PoolEntry,
    Reservations, Result, Stored, StoredAffinity, host_affinity_value, lazy_decode, non_empty,
};
use crate::model::{Cidr, Node, Resource};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The take that completes a family, kept uncommitted so that it goes in one transaction
/// with the next family's first take: a dual-stack request is one transaction (all or
/// nothing) unless a family spans several blocks.
pub(crate) struct Carry {
    pub(super) plan: Plan,
    /// The family and block of the carried take (cached with a placeholder revision until
    /// the transaction commits).
    pub(super) version: u8,
    pub(super) cidr: Cidr,
    /// Addresses it added to its family's result (the last ones there).
    pub(super) count: usize,
    /// The handle's value after it.
    pub(super) handle: Option<IpamHandle>,
    /// Its plan holds the rider's writes.
    pub(super) rider: bool,
}

/// The revision a carried block is cached at until its transaction commits.
pub(super) const UNCOMMITTED: i64 = -1;

pub(super) enum Take {
    /// Committed.
    Committed,
    /// Nothing free (nothing written).
    Full,
    /// A compare failed; re-read and retry.
    Conflict,
}

pub(super) enum Candidate {
    /// No block exists for this CIDR of the pool at this index.
    Fresh(Cidr, usize),
    /// A block with room that became ours after we listed our affinities (another process
    /// on this host claimed it), with its affinity; its block is in `blocks`.
    Affine(Cidr, Stored<BlockAffinity>),
}

pub(super) fn now_nanos() -> u64 {
    crate::go::time::unix_nanos(crate::go::time::now())
}

pub(super) fn check_strict(block: &AllocationBlock, host: &str) -> Result<()> {
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
pub(super) struct Family<'a> {
    pub(super) ipam: &'a Ipam,
    pub(super) ctx: &'a RequestCtx,
    /// The reserved addresses, and those the request excludes.
    pub(super) reservations: Cow<'a, Reservations>,
    pub(super) host: &'a str,
    pub(super) version: u8,
    pub(super) handle: &'a mut Option<HandleState>,
    pub(super) secondary: Option<BTreeMap<String, String>>,
    pub(super) out: IpamAssignments,
    pub(super) retry: Retry,
    /// Pools usable for this request, in order.
    pub(super) pools: Vec<PoolEntry>,
    /// Blocks of the family read so far (`None`: known to be absent).
    pub(super) blocks: HashMap<Cidr, Option<LazyBlock>>,
    /// The family's blocks that existed when their keys were listed (once, when a short walk
    /// found no free block), for those not in `blocks`.
    pub(super) listed: Option<std::collections::HashSet<Cidr>>,
    /// Revisions of our own affinity keys as last seen (absent: 0).
    pub(super) affinity_revs: HashMap<Cidr, i64>,
    /// Blocks affine to us in the usable pools.
    pub(super) owned: BTreeSet<Cidr>,
    /// Labels of the request's namespace.
    pub(super) namespace_labels: BTreeMap<String, String>,
    /// The request's rider: its writes go with every take.
    pub(super) rider: Option<&'a mut dyn Rider>,
    /// Carry this family's completing take to the next family instead of committing it.
    pub(super) defer: bool,
    /// The carried take: set by the family that defers, merged into the next family's first
    /// transaction.
    pub(super) carry: &'a mut Option<Carry>,
    /// The carried take this family's transaction committed (its family and block), and
    /// the revision.
    pub(super) merged: Option<(u8, Cidr, i64)>,
    /// Addresses earlier families of the request got (what the rider records besides ours).
    pub(super) prior: Vec<Cidr>,
}

/// How often the cached path retries a block another writer changed before it gives up and
/// runs the uncached path.
const CACHED_RETRIES: usize = 8;

impl<'a> Family<'a> {
    pub(super) fn new(
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
            listed: None,
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
    pub(super) fn run_cached(
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

    pub(super) fn remaining(&self) -> usize {
        self.out.num_requested.saturating_sub(self.out.ips.len())
    }

    fn strict(&self) -> bool {
        self.ctx.config.strict_affinity
    }

    /// Takes what it can from `block` (read at `rev`; 0 = creating it) in one transaction with
    /// `plan`'s extra conditions and writes.
    pub(super) fn try_take(
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
                crate::ipam::rider::ride(r, &mut plan, &all)?;
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

    pub(super) fn pool_index_of(&self, cidr: &Cidr) -> Option<usize> {
        self.pools
            .iter()
            .position(|p| p.cidr.contains_ip(cidr.addr()))
    }

    /// The uncached algorithm; `pre_read`: the host's affinities of this family, if the
    /// request read them with its context.
    pub(super) fn run(
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
}
