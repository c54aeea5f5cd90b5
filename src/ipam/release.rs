//! Releasing addresses: by address (`release_ips`, with Calico's handle and sequence-number
//! guards) and by handle (`release_by_handle`, CNI DEL).
//!
//! Each block's release is one transaction: the block (updated, or deleted when it is empty
//! and has no owner) together with every handle whose count it changes. Calico writes the
//! block first and the handles afterwards, so its handles may over-count after a crash; ours
//! always agree with the blocks.

use super::block::{BlockRelease, sanitize_handle};
use super::plan::{Plan, Retry};
use super::{
    AllocationBlock, Ipam, IpamError, IpamHandle, PoolEntry, ReleaseOptions, Result, Stored,
    decode_err, lazy_decode,
};
use crate::datastore::{Read, keys};
use crate::model::{Cidr, Node};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Addresses released per transaction: keeps block + handles (+ affinity) within etcd's 128
/// operations per transaction.
const RELEASE_CHUNK: usize = 100;
/// Blocks of one handle released per transaction.
const HANDLE_BLOCK_CHUNK: usize = 60;

/// What deciding "does this block's pool still select its host" needs, read on first use.
#[derive(Default)]
pub(crate) struct AffinityCheck {
    pools: Option<Vec<PoolEntry>>,
    nodes: HashMap<String, Option<BTreeMap<String, String>>>,
}

impl AffinityCheck {
    /// True when the enabled pool holding `cidr` no longer selects `host` (a node that exists).
    /// Such a block, once empty, loses its affinity (Calico's `ensureConsistentAffinity`).
    fn pool_stops_selecting(&mut self, ipam: &Ipam, cidr: &Cidr, host: &str) -> Result<bool> {
        if self.pools.is_none() {
            self.pools = Some(ipam.pool_entries()?);
        }
        let Some(pool) = self.pools.as_ref().and_then(|ps| {
            ps.iter()
                .find(|p| p.enabled() && p.cidr.contains_ip(cidr.addr()))
        }) else {
            return Ok(false);
        };
        if !self.nodes.contains_key(host) {
            let node = ipam.client().get_opt::<Node>(None, host)?;
            self.nodes
                .insert(host.to_string(), node.map(|n| n.metadata.labels));
        }
        let Some(Some(labels)) = self.nodes.get(host) else {
            return Ok(false);
        };
        Ok(!pool.selects_node(labels).unwrap_or(true))
    }
}

impl Ipam {
    /// Adds the write of a block that addresses were freed from: delete it when it is empty and
    /// unowned, delete it and its affinity when it is empty and its pool no longer selects its
    /// host, otherwise update it (sequence number + 1).
    pub(crate) fn plan_block_after_release(
        &self,
        plan: &mut Plan,
        mut block: AllocationBlock,
        revision: i64,
        check: &mut AffinityCheck,
    ) -> Result<()> {
        let key = keys::block(&block.cidr);
        self.forget_cached_block(&block.cidr);
        plan.require(&key, revision);
        if block.is_empty() {
            if block.affinity.is_none() {
                plan.delete(key);
                return Ok(());
            }
            if let Some(host) = block.host().map(str::to_string)
                && check.pool_stops_selecting(self, &block.cidr, &host)?
            {
                let akey = keys::host_affinity(&host, &block.cidr);
                match self.read_affinity(&host, &block.cidr)? {
                    Some(a) => {
                        plan.require(&akey, a.revision);
                        plan.delete(akey);
                    }
                    None => plan.require(&akey, 0),
                }
                plan.delete(key);
                return Ok(());
            }
        }
        block.bump();
        plan.put(key, block.to_json());
        Ok(())
    }

    /// Releases addresses (Calico's `ReleaseIPs`). Returns the requested addresses that were
    /// not allocated. Per block, a failed guard (a `handle` that does not hold the address, a
    /// `sequence_number` that is not the allocation's) refuses that block's whole release with
    /// `update conflict: <ip>`; other blocks are still processed, and the first error is
    /// returned.
    pub fn release_ips(&self, ips: &[ReleaseOptions]) -> Result<Vec<IpAddr>> {
        let pools = self.pool_entries()?;
        let mut unallocated = Vec::new();
        let mut known_blocks: Option<Vec<Cidr>> = None;
        let mut by_block: BTreeMap<Cidr, Vec<&ReleaseOptions>> = BTreeMap::new();
        for opt in ips {
            let block = match pools.iter().find(|p| p.cidr.contains_ip(opt.address)) {
                Some(p) => Some(Cidr::enclosing(opt.address, p.block_size())),
                None => {
                    if known_blocks.is_none() {
                        known_blocks = Some(
                            self.store()
                                .list(keys::BLOCKS_PREFIX)?
                                .kvs
                                .iter()
                                .filter_map(|kv| keys::parse_block(&kv.key))
                                .collect(),
                        );
                    }
                    known_blocks
                        .as_ref()
                        .and_then(|bs| bs.iter().find(|b| b.contains_ip(opt.address)))
                        .map(Cidr::network)
                }
            };
            match block {
                Some(b) => by_block.entry(b).or_default().push(opt),
                None => unallocated.push(opt.address),
            }
        }
        let mut first_error = None;
        for (_, outcome) in self.release_ips_by_block(by_block) {
            match outcome {
                Ok(mut u) => unallocated.append(&mut u),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(unallocated),
        }
    }

    /// The guarded release of [`Ipam::release_ips`] for addresses already grouped by the
    /// block holding them, with each part's outcome: per block, up to [`RELEASE_CHUNK`]
    /// addresses per transaction; `Ok` holds the addresses of the part that were not
    /// allocated (the others were released), `Err` means none of the part was released. A
    /// block's later parts are not tried after a failed one (they are left out of the
    /// answer). The IPAM garbage collector uses it to know exactly what it freed.
    pub(crate) fn release_ips_by_block<'a>(
        &self,
        by_block: impl IntoIterator<Item = (Cidr, Vec<&'a ReleaseOptions>)>,
    ) -> Vec<(Vec<&'a ReleaseOptions>, Result<Vec<IpAddr>>)> {
        let mut check = AffinityCheck::default();
        let mut handles: HashMap<String, Option<Stored<IpamHandle>>> = HashMap::new();
        let mut out = Vec::new();
        for (cidr, opts) in by_block {
            for chunk in opts.chunks(RELEASE_CHUNK) {
                let outcome = self.release_from_block(&cidr, chunk, &mut check, &mut handles);
                let failed = outcome.is_err();
                out.push((chunk.to_vec(), outcome));
                if failed {
                    break;
                }
            }
        }
        out
    }

    fn release_from_block(
        &self,
        cidr: &Cidr,
        opts: &[&ReleaseOptions],
        check: &mut AffinityCheck,
        handles: &mut HashMap<String, Option<Stored<IpamHandle>>>,
    ) -> Result<Vec<IpAddr>> {
        let requests: Vec<BlockRelease<'_>> = opts
            .iter()
            .map(|o| BlockRelease {
                address: o.address,
                handle: o.handle.as_deref(),
                sequence_number: o.sequence_number,
            })
            .collect();
        let block_name = cidr.to_string();
        let mut retry = Retry::new();
        loop {
            let Some(stored) = self.read_block(cidr)? else {
                return Ok(opts.iter().map(|o| o.address).collect());
            };
            let mut block = stored.value;
            let outcome = block
                .release(&requests)
                .map_err(|(ip, reason)| IpamError::ReleaseConflict { ip, reason })?;
            if outcome.released == 0 {
                return Ok(outcome.unallocated);
            }
            let mut plan = Plan::new();
            self.plan_block_after_release(&mut plan, block, stored.revision, check)?;
            let mut updated = Vec::new();
            for (id, n) in &outcome.by_handle {
                if !handles.contains_key(id) {
                    handles.insert(id.clone(), self.read_handle(id)?);
                }
                let key = keys::handle(id);
                match handles.get(id).and_then(Option::as_ref) {
                    None => plan.require(&key, 0),
                    Some(h) => {
                        let mut value = h.value.clone();
                        value.decrement(&block_name, *n as i64);
                        plan.require(&key, h.revision);
                        if value.is_empty() {
                            plan.delete(key);
                        } else {
                            plan.put(key, value.to_json());
                        }
                        updated.push((id.clone(), value));
                    }
                }
            }
            match plan.commit(self.store())? {
                Some(revision) => {
                    for (id, value) in updated {
                        let now = (!value.is_empty()).then_some(Stored { value, revision });
                        handles.insert(id, now);
                    }
                    return Ok(outcome.unallocated);
                }
                None => {
                    for id in outcome.by_handle.keys() {
                        handles.remove(id);
                    }
                    retry.conflict()?;
                }
            }
        }
    }

    /// Releases every address held by a handle and deletes the handle (Calico's
    /// `ReleaseByHandle`). An unknown handle is [`IpamError::HandleNotFound`]
    /// (`resource does not exist: IPAMHandleKey(id=<id>) with error: <nil>`), which CNI DEL
    /// treats as success.
    pub fn release_by_handle(&self, handle_id: &str) -> Result<()> {
        self.release_by_handle_with(handle_id, None)
    }

    /// [`Ipam::release_by_handle`], with `rider`'s writes in its first transaction (see
    /// [`Rider`](super::Rider)): CNI DEL removes the pod's endpoint together with its
    /// addresses. An unknown handle commits nothing of the rider's.
    pub fn release_by_handle_with(
        &self,
        handle_id: &str,
        mut rider: Option<&mut dyn super::Rider>,
    ) -> Result<()> {
        let id = sanitize_handle(handle_id);
        let key = keys::handle(id);
        let mut retry = Retry::new();
        let mut check = AffinityCheck::default();
        let mut progressed = false;
        loop {
            // The handle, and the rider's keys while it rides, in one round trip.
            let reads = vec![Read::Key(key.clone())];
            let riding = rider.as_deref_mut().map(|r| r as &mut dyn super::Rider);
            let handle_kv = super::rider::read_with(self.store(), reads, riding)?
                .into_iter()
                .next()
                .unwrap_or_default()
                .into_iter()
                .next();
            let Some(kv) = handle_kv else {
                return if progressed {
                    Ok(())
                } else {
                    Err(IpamError::HandleNotFound(id.to_string()))
                };
            };
            let mut value = IpamHandle::from_json(&kv.value).map_err(|e| decode_err(&key, e))?;
            let mut plan = Plan::new();
            plan.require(&key, kv.mod_revision);
            let batch: Vec<String> = value
                .block
                .keys()
                .take(HANDLE_BLOCK_CHUNK)
                .cloned()
                .collect();
            for name in &batch {
                value.block.remove(name);
            }
            // The handle's blocks in one round trip.
            let cidrs: Vec<Cidr> = batch
                .iter()
                .filter_map(|name| Cidr::parse(name).ok())
                .map(|c| c.network())
                .collect();
            for (cidr, lazy) in cidrs.iter().zip(self.read_lazy_blocks(&cidrs)?) {
                let Some(lazy) = lazy else {
                    continue;
                };
                let revision = lazy.revision;
                let mut block = lazy_decode(cidr, lazy.into_block())?;
                if block.release_by_handle(id) == 0 {
                    continue;
                }
                self.plan_block_after_release(&mut plan, block, revision, &mut check)?;
            }
            let done = value.is_empty();
            if done {
                plan.delete(key.clone());
            } else {
                plan.put(key.clone(), value.to_json());
            }
            if let Some(r) = rider.as_deref_mut() {
                super::rider::ride(r, &mut plan, &[])?;
            }
            if let Some(revision) = plan.commit(self.store())? {
                if let Some(r) = rider.take() {
                    r.committed(revision);
                }
                if done {
                    return Ok(());
                }
                progressed = true;
            } else {
                if let Some(r) = rider.as_deref_mut() {
                    r.conflicted();
                }
                retry.conflict()?;
            }
        }
    }
}
