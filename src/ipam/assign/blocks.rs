//! Finding a family a block when its affine blocks are full: reading blocks as far as
//! needed, claiming a fresh block of a pool, or borrowing from another host's.

use super::family::{Candidate, Family, Take, now_nanos};
use crate::datastore::{MAX_TXN_OPS, Read, keys};
use crate::ipam::affinity::BlockAffinity;
use crate::ipam::block::{AllocationBlock, LazyBlock};
use crate::ipam::plan::Plan;
use crate::ipam::random::BlockWalk;
use crate::ipam::{
    PoolEntry, Result, Stored, StoredAffinity, affinities_from, host_affinity_value,
};
use crate::model::{Cidr, IpPool};

/// How many CIDRs of a walk are read first, with the host's affinities; later batches of
/// values (borrowing) double up to [`MAX_TXN_OPS`].
const FIRST_BATCH: usize = 8;

impl Family<'_> {
    /// Lists the keys of every block of the family, once: which blocks exist, without their
    /// values (a block is tens of bytes here, against up to ten kilobytes with its value).
    fn list_block_keys(&mut self) -> Result<()> {
        if self.listed.is_some() {
            return Ok(());
        }
        let resp = self
            .ipam
            .store()
            .list_keys(&keys::blocks_prefix(self.version))?;
        let listed: std::collections::HashSet<Cidr> = resp
            .kvs
            .iter()
            .filter_map(|kv| keys::parse_block(&kv.key).map(|c| c.network()))
            .collect();
        // The listing is newer than what was read absent before it.
        self.blocks
            .retain(|cidr, block| block.is_some() || !listed.contains(cidr));
        self.listed = Some(listed);
        Ok(())
    }

    /// Those of `cidrs` whose block we have not read.
    fn unread(&self, cidrs: &[Cidr]) -> Vec<Cidr> {
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

    /// True when block `cidr` is known to exist (read, or listed and not read since).
    fn exists(&self, cidr: &Cidr) -> bool {
        match self.blocks.get(cidr) {
            Some(block) => block.is_some(),
            None => self.listed.as_ref().is_some_and(|l| l.contains(cidr)),
        }
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
    /// Reads: our affinities and the first CIDRs of the walk (with their values) in one round
    /// trip; when none of those is free (a dense pool), the keys of the family's blocks in one
    /// more, and the rest of the walk in memory. Never the values of every block, whose cost
    /// grows with the cluster (at 10,000 nodes, a walk over a nearly full pool read thousands
    /// of values in batches, and a borrow listed them all).
    pub(super) fn find_usable_block(&mut self) -> Result<Option<Candidate>> {
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
        self.blocks.extend(
            first
                .into_iter()
                .zip(results.map(crate::ipam::lazy_block_from)),
        );

        // Blocks that became ours since we listed our affinities.
        for a in &affinities {
            self.affinity_revs.insert(a.cidr, a.revision);
        }
        let new: Vec<StoredAffinity> = affinities
            .into_iter()
            .filter(|a| {
                a.affinity.state != crate::ipam::affinity::STATE_PENDING_DELETION
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

        // The first CIDRs of the first walk were read with the affinities.
        if let Some((pi, walk)) = walks.first_mut() {
            let next = self.next_not_ours(walk, FIRST_BATCH);
            self.read_missing(&next)?;
            if let Some(free) = next.iter().find(|c| !self.exists(c)) {
                return Ok(Some(Candidate::Fresh(*free, *pi)));
            }
        }
        if walks.is_empty() {
            return Ok(None);
        }
        self.list_block_keys()?;
        for (pi, walk) in &mut walks {
            while let Some(cidr) = walk.next_unreserved(&self.reservations) {
                if !self.owned.contains(&cidr) && !self.exists(&cidr) {
                    return Ok(Some(Candidate::Fresh(cidr, *pi)));
                }
            }
        }
        Ok(None)
    }

    /// Claims a block nobody has: one transaction creating our confirmed affinity and the block
    /// (already holding our addresses), conditional on the pool being unchanged.
    pub(super) fn claim_fresh(&mut self, cidr: Cidr, pool_idx: usize) -> Result<()> {
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
    /// we walk only the blocks that exist (the same result, without thousands of reads): their
    /// keys are listed, and their values read in that order, in batches twice as large each
    /// time, only as far as needed.
    pub(super) fn borrow(&mut self) -> Result<()> {
        self.list_block_keys()?;
        let mut exhausted = Vec::new();
        for pi in 0..self.pools.len() {
            if self.remaining() == 0 {
                break;
            }
            let pool_cidr = self.pools[pi].cidr;
            let walk = BlockWalk::new(pool_cidr, self.pools[pi].block_size(), self.host);
            let listed = self.listed.iter().flatten();
            let read = self
                .blocks
                .iter()
                .filter(|(_, b)| b.is_some())
                .map(|(c, _)| c);
            let mut candidates: Vec<(u128, Cidr)> = listed
                .chain(read)
                .filter(|c| pool_cidr.contains(c) && self.exists(c))
                .map(|c| (walk.rank(c), *c))
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let mut batch = FIRST_BATCH;
            for (i, &(_, cidr)) in candidates.iter().enumerate() {
                if self.remaining() == 0 {
                    break;
                }
                if !self.blocks.contains_key(&cidr) {
                    let next: Vec<Cidr> = candidates[i..].iter().take(batch).map(|c| c.1).collect();
                    self.read_missing(&next)?;
                    batch = (batch * 2).min(MAX_TXN_OPS);
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
