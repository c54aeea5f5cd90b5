//! Block affinities as a whole: claim a CIDR for a host, release a block's, a host's or a
//! pool's affinities, and Calico's pool deletion.
//!
//! Calico releases an affinity in four single-key steps (mark `pendingDeletion`, delete or
//! unown the block, delete the affinity); ours is one transaction over block and affinity.

use super::affinity::BlockAffinity;
use super::plan::{Plan, Retry};
use super::{AllocationBlock, Ipam, IpamError, PoolEntry, Result, host_affinity_value};
use crate::datastore::keys;
use crate::model::{Cidr, IpPool};

/// Outcome of one affinity release attempt that did not fail on a compare.
enum Released {
    Done,
    Refused(IpamError),
}

impl Ipam {
    /// Releases `host`'s affinity for one block: an empty block is deleted, a non-empty one
    /// keeps its addresses and loses its owner (`affinity: null`); the affinity key goes.
    /// A block owned by someone else → [`IpamError::ClaimConflict`] (our stale affinity is
    /// deleted); no block → [`IpamError::BlockNotFound`] (a dangling affinity is deleted);
    /// `require_empty` and addresses in use → [`IpamError::BlockNotEmpty`].
    pub(crate) fn release_block_affinity(
        &self,
        host: &str,
        cidr: &Cidr,
        require_empty: bool,
    ) -> Result<()> {
        if host.is_empty() {
            return Err(IpamError::HostnameRequired);
        }
        let cidr = cidr.network();
        let akey = keys::host_affinity(host, &cidr);
        let bkey = keys::block(&cidr);
        let mut retry = Retry::new();
        loop {
            let affinity = self.read_affinity(host, &cidr)?;
            let block = self.read_block(&cidr)?;
            let mut plan = Plan::new();
            match &affinity {
                Some(a) => {
                    plan.require(&akey, a.revision);
                    plan.delete(akey.clone());
                }
                None => plan.require(&akey, 0),
            }
            let outcome = match block {
                None => {
                    plan.require(&bkey, 0);
                    Released::Refused(IpamError::BlockNotFound(cidr))
                }
                Some(b) if !b.value.is_affine_to(host) => {
                    plan.require(&bkey, b.revision);
                    Released::Refused(IpamError::ClaimConflict(
                        cidr,
                        b.value.affinity.clone().unwrap_or_default(),
                    ))
                }
                Some(b) => {
                    if require_empty && !b.value.is_empty() {
                        return Err(IpamError::BlockNotEmpty(cidr));
                    }
                    plan.require(&bkey, b.revision);
                    if b.value.is_empty() {
                        plan.delete(bkey.clone());
                    } else {
                        let mut blk = b.value;
                        blk.affinity = None;
                        blk.affinity_claim_time = None;
                        blk.bump();
                        plan.put(bkey.clone(), blk.to_json());
                    }
                    Released::Done
                }
            };
            if plan.has_writes() && plan.commit(self.store())?.is_none() {
                retry.conflict()?;
                continue;
            }
            return match outcome {
                Released::Done => Ok(()),
                Released::Refused(e) => Err(e),
            };
        }
    }

    fn enabled_pool_for(&self, cidr: &Cidr) -> Result<PoolEntry> {
        let pool = self
            .pool_entries()?
            .into_iter()
            .find(|p| p.enabled() && p.cidr.contains_ip(cidr.addr()))
            .ok_or(IpamError::CidrNotInPool(*cidr))?;
        if cidr.prefix() > pool.block_size() {
            return Err(IpamError::CidrTooSmall(*cidr));
        }
        Ok(pool)
    }

    /// Claims every block of `cidr` for `host` (Calico's `ClaimAffinity`). `cidr` must lie in
    /// an enabled pool and be at least one block. Returns the blocks claimed (or already ours)
    /// and those owned by another host.
    pub fn claim_affinity(&self, cidr: Cidr, host: &str) -> Result<(Vec<Cidr>, Vec<Cidr>)> {
        let cidr = cidr.network();
        let pool = self.enabled_pool_for(&cidr)?;
        let (mut claimed, mut failed) = (Vec::new(), Vec::new());
        let prefix = pool.block_size();
        for i in 0..cidr.subnet_count(prefix) {
            let block_cidr = cidr.subnet(prefix, i);
            let akey = keys::host_affinity(host, &block_cidr);
            let bkey = keys::block(&block_cidr);
            let mut retry = Retry::new();
            loop {
                let affinity = self.read_affinity(host, &block_cidr)?;
                let aff_rev = affinity.as_ref().map_or(0, |a| a.revision);
                let mut plan = Plan::new();
                match self.read_block(&block_cidr)? {
                    None => {
                        plan.require(&akey, aff_rev);
                        plan.put(akey.clone(), BlockAffinity::confirmed().to_json());
                        plan.require(&bkey, 0);
                        let block = AllocationBlock::new(
                            block_cidr,
                            Some(host_affinity_value(host)),
                            crate::go::time::unix_nanos(crate::go::time::now()),
                        );
                        plan.put(bkey.clone(), block.to_json());
                        plan.require(&pool.key(), pool.revision);
                    }
                    Some(b) if b.value.is_affine_to(host) => {
                        if affinity.as_ref().is_some_and(|a| a.value.is_confirmed()) {
                            claimed.push(block_cidr);
                            break;
                        }
                        plan.require(&akey, aff_rev);
                        plan.put(akey.clone(), BlockAffinity::confirmed().to_json());
                        plan.require(&bkey, b.revision);
                    }
                    Some(_) => {
                        failed.push(block_cidr);
                        break;
                    }
                }
                if plan.commit(self.store())?.is_some() {
                    claimed.push(block_cidr);
                    break;
                }
                retry.conflict()?;
            }
        }
        Ok((claimed, failed))
    }

    /// Releases `host`'s affinities for the blocks inside `cidr` (Calico's `ReleaseAffinity`).
    /// Blocks owned by others or missing are skipped.
    pub fn release_affinity(&self, cidr: Cidr, host: &str, require_empty: bool) -> Result<()> {
        let cidr = cidr.network();
        self.enabled_pool_for(&cidr)?;
        let prefix = keys::host_affinities_prefix(host, cidr.version());
        for aff in self.list_affinities_under(&prefix)? {
            if !cidr.contains(&aff.cidr) {
                continue;
            }
            match self.release_block_affinity(host, &aff.cidr, require_empty) {
                Ok(()) | Err(IpamError::ClaimConflict(..)) | Err(IpamError::BlockNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Releases every affinity of `host`, both families (Calico's `ReleaseHostAffinities`).
    /// Carries on past blocks it cannot release and returns the first such error.
    pub(crate) fn release_host_affinities(&self, host: &str, require_empty: bool) -> Result<()> {
        if host.is_empty() {
            return Err(IpamError::HostnameRequired);
        }
        let mut first_error = None;
        for aff in self.list_affinities_under(&keys::host_prefix(host))? {
            match self.release_block_affinity(host, &aff.cidr, require_empty) {
                Ok(()) | Err(IpamError::ClaimConflict(..)) | Err(IpamError::BlockNotFound(_)) => {}
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Releases every host's affinity for blocks in `pool` (Calico's `ReleasePoolAffinities`,
    /// used when a pool is deleted): empty blocks are deleted, others become unowned.
    pub(crate) fn release_pool_affinities(&self, pool: Cidr) -> Result<()> {
        let pool = pool.network();
        for _ in 0..3 {
            let mut again = false;
            let affinities = self.list_affinities_under(keys::HOST_AFFINITY_PREFIX)?;
            for aff in affinities
                .iter()
                .filter(|a| pool.contains_ip(a.cidr.addr()))
            {
                match self.release_block_affinity(&aff.host, &aff.cidr, false) {
                    Ok(()) | Err(IpamError::BlockNotFound(_)) => {}
                    Err(IpamError::ClaimConflict(..)) => again = true,
                    Err(e) => return Err(e),
                }
            }
            if !again {
                return Ok(());
            }
        }
        Err(IpamError::MaxRetries)
    }

    /// Removes a host from IPAM (Calico's `RemoveIPAMHost`, used when a node is deleted):
    /// releases all its affinities (its addresses stay allocated; empty blocks go) and deletes
    /// the legacy `/calico/ipam/v2/host/<host>` key if present.
    pub fn remove_ipam_host(&self, host: &str) -> Result<()> {
        self.release_host_affinities(host, false)?;
        self.delete_key_if(&keys::ipam_host(host), |_| true)
    }

    /// Deletes a pool the way Calico's client does: disable it, release every affinity in it
    /// (empty blocks go, others keep their addresses but lose their owner), then delete it.
    /// Existing allocations are not released. Claims racing with this fail their compare on
    /// the pool's revision, so no grace period is needed.
    pub(crate) fn delete_pool(&self, name: &str) -> Result<IpPool> {
        let mut pool: IpPool = self.client().get(None, name)?;
        if !pool.spec.disabled {
            pool.spec.disabled = true;
            pool = self.client().update(pool)?;
        }
        if let Some(cidr) = pool.cidr() {
            self.release_pool_affinities(cidr)?;
        }
        let rv = pool.metadata.resource_version.clone();
        Ok(self.client().delete::<IpPool>(None, name, Some(&rv))?)
    }
}
