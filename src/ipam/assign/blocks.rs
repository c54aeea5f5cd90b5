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
        // Pools whose every block exists (counted, not listed) have nothing to claim.
        let full = self.full_pools(walks.iter().map(|w| w.0))?;
        walks.retain(|(pi, _)| !full.contains(pi));
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

    /// Those of the pools `pis` whose every block exists, by counting the block keys in each
    /// (one request; etcd walks its index and reads no value). IPv4 pools of /24 or larger;
    /// others are never found full here.
    fn full_pools(&self, pis: impl Iterator<Item = usize>) -> Result<Vec<usize>> {
        let mut prefixes = Vec::new();
        let mut spans = Vec::new();
        for pi in pis {
            let pool = &self.pools[pi];
            if let Some(p) = pool_block_prefixes(&pool.cidr) {
                spans.push((pi, prefixes.len()..prefixes.len() + p.len()));
                prefixes.extend(p);
            }
        }
        if prefixes.is_empty() {
            return Ok(Vec::new());
        }
        let counts = self.ipam.store().count_keys(&prefixes)?;
        Ok(spans
            .into_iter()
            .filter(|(pi, span)| {
                let pool = &self.pools[*pi];
                let blocks: usize = counts[span.clone()].iter().sum();
                blocks as u128 >= pool.cidr.subnet_count(pool.block_size())
            })
            .map(|(pi, _)| pi)
            .collect())
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
    /// visited in the host's random order, as Calico probes every block-sized CIDR of each
    /// pool: the walk's CIDRs are read (with their values) in batches twice as large each
    /// time, only as far as needed to find room; absent ones cost etcd no value.
    pub(super) fn borrow(&mut self) -> Result<()> {
        let mut exhausted = Vec::new();
        for pi in 0..self.pools.len() {
            if self.remaining() == 0 {
                break;
            }
            let pool_cidr = self.pools[pi].cidr;
            let mut walk = BlockWalk::new(pool_cidr, self.pools[pi].block_size(), self.host);
            let mut batch = FIRST_BATCH;
            let mut next: Vec<Cidr> = Vec::new();
            loop {
                if self.remaining() == 0 {
                    break;
                }
                if next.is_empty() {
                    while next.len() < batch {
                        match walk.next_unreserved(&self.reservations) {
                            Some(c) => next.push(c),
                            None => break,
                        }
                    }
                    if next.is_empty() {
                        break;
                    }
                    // Already read: the first CIDRs of the walk, and blocks known since; known
                    // absent from the listing: no need to read.
                    let unknown: Vec<Cidr> = next
                        .iter()
                        .filter(|c| self.listed.as_ref().is_none_or(|l| l.contains(c)))
                        .copied()
                        .collect();
                    self.read_missing(&unknown)?;
                    batch = (batch * 2).min(MAX_TXN_OPS);
                    next.reverse();
                }
                let Some(cidr) = next.pop() else {
                    break;
                };
                if !self.exists(&cidr) {
                    continue;
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

/// Key prefixes that together hold exactly the block keys inside the IPv4 pool `pool` (one
/// per value of its first octet that is not fixed: `…/block/10.3.`), or `None` for an IPv6
/// pool or one smaller than a /24.
fn pool_block_prefixes(pool: &Cidr) -> Option<Vec<String>> {
    let std::net::IpAddr::V4(addr) = pool.addr() else {
        return None;
    };
    let prefix = usize::from(pool.prefix());
    let octet = prefix / 8;
    if octet >= 3 {
        return None;
    }
    let octets = addr.octets();
    let fixed: String = octets[..octet].iter().map(|o| format!("{o}.")).collect();
    let values = 1usize << (8 - prefix % 8);
    let first = usize::from(octets[octet]) & !(values - 1);
    let base = keys::blocks_prefix(4);
    Some(
        (first..first + values)
            .map(|v| format!("{base}{fixed}{v}."))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_prefixes_hold_exactly_the_pools_blocks() {
        let base = keys::blocks_prefix(4);
        let p = pool_block_prefixes(&Cidr::parse("10.0.0.0/12").unwrap()).unwrap();
        assert_eq!(p.len(), 16);
        assert_eq!(p[0], format!("{base}10.0."));
        assert_eq!(p[15], format!("{base}10.15."));
        // "10.1." does not reach "10.10.": each prefix holds one value of the octet.
        assert!(!format!("{base}10.10.0.0-26").starts_with(&p[1]));
        let p = pool_block_prefixes(&Cidr::parse("172.16.32.0/20").unwrap()).unwrap();
        assert_eq!(p.first().unwrap(), &format!("{base}172.16.32."));
        assert_eq!(p.last().unwrap(), &format!("{base}172.16.47."));
        assert_eq!(
            pool_block_prefixes(&Cidr::parse("10.0.0.0/8").unwrap())
                .unwrap()
                .len(),
            256
        );
        assert!(pool_block_prefixes(&Cidr::parse("10.0.0.0/25").unwrap()).is_none());
        assert!(pool_block_prefixes(&Cidr::parse("fd00::/64").unwrap()).is_none());
    }
}
