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
//! The parts: this file holds the entry points ([`Ipam::auto_assign`], [`Ipam::assign_ip`]);
//! `family` runs one family's algorithm, `blocks` finds, claims and borrows blocks for it,
//! `handle` keeps the request's handle; what a request reads once is in `ipam::request`.
//!
//! [`KvStore::read_many`]: crate::datastore::KvStore::read_many

mod blocks;
mod family;
mod handle;

use super::affinity::BlockAffinity;
use super::block::AllocationBlock;
use super::plan::{Plan, Retry};
use super::request::RequestCtx;
use super::rider::Rider;
use super::{
    AssignIpRequest, AssignedIp, AutoAssignRequest, AutoAssignResult, Ipam, IpamAssignments,
    IpamError, Result, Stored, StoredAffinity, host_affinity_value, lazy_decode, non_empty,
    pool_entries_from,
};
use crate::datastore::api::Stored as _;
use crate::datastore::{Read, keys};
use crate::model::{Cidr, IpPool};
use family::{Carry, Family, UNCOMMITTED, now_nanos};
use handle::HandleState;
use std::collections::HashMap;
use std::sync::Arc;

impl Ipam {
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
