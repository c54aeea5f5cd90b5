//! Read-only views for the CLI: blocks, handles, affinities, one address's owner, usage.

use super::block::sanitize_handle;
use super::{
    AllocationAttribute, AllocationBlock, Ipam, IpamError, IpamHandle, Result, Stored,
    StoredHandle, decode_err, lazy_decode,
};
use crate::datastore::{KeyValue, keys};
use crate::model::Cidr;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// Who holds one address (`calicoctl ipam show --ip`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentAttributes {
    /// The address.
    pub ip: IpAddr,
    /// Its block.
    pub block: Cidr,
    /// The block's affinity (`host:<node>`), if any.
    pub block_affinity: Option<String>,
    /// The holder's handle (sanitised).
    pub handle_id: Option<String>,
    /// The secondary attributes (empty when `null`).
    pub attrs: BTreeMap<String, String>,
    /// The allocation's sequence number.
    pub sequence_number: u64,
    /// The raw attribute entry (with fields of newer Calico versions).
    pub attribute: AllocationAttribute,
}

/// Use of one block. `allocated + reserved + free == size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockUsage {
    /// The block.
    pub cidr: Cidr,
    /// The pool holding it, if any.
    pub pool: Option<String>,
    /// Its affinity (`host:<node>`), if any.
    pub affinity: Option<String>,
    /// Addresses in the block.
    pub size: u128,
    /// Addresses allocated.
    pub allocated: u128,
    /// Free addresses that automatic assignment may not use (IPReservations).
    pub reserved: u128,
    /// Free, usable addresses.
    pub free: u128,
}

/// Use of one pool. `allocated + reserved + free == size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PoolUsage {
    /// The pool's name.
    pub name: String,
    /// Its CIDR.
    pub cidr: Cidr,
    /// False when disabled or being deleted.
    pub enabled: bool,
    /// Addresses in the pool.
    pub size: u128,
    /// Addresses allocated in blocks of the pool.
    pub allocated: u128,
    /// Unallocated addresses covered by IPReservations.
    pub reserved: u128,
    /// Everything else.
    pub free: u128,
    /// Blocks that exist in the pool.
    pub blocks: usize,
}

impl Ipam {
    /// Every block, IPv4 then IPv6, in key order, with its revision.
    #[cfg(test)]
    pub(crate) fn list_blocks(&self) -> Result<Vec<Stored<AllocationBlock>>> {
        let resp = self.store().list(keys::BLOCKS_PREFIX)?;
        let mut out = Vec::with_capacity(resp.kvs.len());
        for kv in resp.kvs {
            if keys::parse_block(&kv.key).is_none() {
                continue;
            }
            out.push(Stored {
                value: AllocationBlock::from_json(&kv.value).map_err(|e| decode_err(&kv.key, e))?,
                revision: kv.mod_revision,
            });
        }
        Ok(out)
    }

    /// Visits every block, IPv4 then IPv6, in key order, as of one revision (which it
    /// returns), decoding one at a time: memory stays that of one block however many there
    /// are. An error from `visit` stops the scan and is returned.
    pub fn for_each_block(
        &self,
        mut visit: impl FnMut(AllocationBlock) -> Result<()>,
    ) -> Result<i64> {
        self.for_each_block_or_unreadable(|b| visit(b?))
    }

    /// As [`Ipam::for_each_block`], but a block whose value does not decode is handed to
    /// `visit` as its [`IpamError::Decode`] instead of stopping the scan (`ipam check`
    /// reports it and goes on).
    pub(crate) fn for_each_block_or_unreadable(
        &self,
        mut visit: impl FnMut(Result<AllocationBlock>) -> Result<()>,
    ) -> Result<i64> {
        super::scan_fallible(self.store(), keys::BLOCKS_PREFIX, |kv| {
            match listed_block(&kv) {
                Some(block) => visit(block),
                None => Ok(()),
            }
        })
    }

    /// Every handle, in key order.
    pub fn list_handles(&self) -> Result<Vec<StoredHandle>> {
        let resp = self.store().list(keys::HANDLES_PREFIX)?;
        let mut out = Vec::with_capacity(resp.kvs.len());
        for kv in resp.kvs {
            let Some(id) = keys::parse_handle(&kv.key) else {
                continue;
            };
            out.push(StoredHandle {
                id: id.to_string(),
                handle: IpamHandle::from_json(&kv.value).map_err(|e| decode_err(&kv.key, e))?,
                revision: kv.mod_revision,
            });
        }
        Ok(out)
    }

    /// Every host affinity, in key order.
    #[cfg(test)]
    pub(crate) fn list_affinities(&self) -> Result<Vec<super::StoredAffinity>> {
        self.list_affinities_under(keys::HOST_AFFINITY_PREFIX)
    }

    /// The block holding `ip`: through the pool holding it, else by scanning the blocks.
    pub(crate) fn block_containing(&self, ip: IpAddr) -> Result<Option<Stored<AllocationBlock>>> {
        if let Some(p) = self
            .pool_entries()?
            .into_iter()
            .find(|p| p.cidr.contains_ip(ip))
            && let Some(b) = self.read_block(&Cidr::enclosing(ip, p.block_size()))?
        {
            return Ok(Some(b));
        }
        let version = crate::model::cidr::ip_version(ip);
        let resp = self.store().list(&keys::blocks_prefix(version))?;
        match resp
            .kvs
            .iter()
            .filter_map(|kv| keys::parse_block(&kv.key))
            .find(|c| c.contains_ip(ip))
        {
            Some(c) => self.read_block(&c.network()),
            None => Ok(None),
        }
    }

    /// Who holds `ip` (Calico's `GetAssignmentAttributes`); not allocated →
    /// [`IpamError::NotAssigned`].
    pub fn get_assignment_attributes(&self, ip: IpAddr) -> Result<AssignmentAttributes> {
        let block = self
            .block_containing(ip)?
            .ok_or(IpamError::NotAssigned(ip))?
            .value;
        Self::assignment_in(&block, ip)
    }

    /// [`Ipam::get_assignment_attributes`] for many addresses: the pools are read once and
    /// the blocks of the addresses in one round trip (an address no pool holds is looked up on
    /// its own). In the order given.
    pub(crate) fn get_assignments_attributes(
        &self,
        ips: &[IpAddr],
    ) -> Result<Vec<Result<AssignmentAttributes>>> {
        let pools = self.pool_entries()?;
        let cidrs: Vec<Option<Cidr>> = ips
            .iter()
            .map(|ip| {
                let pool = pools.iter().find(|p| p.cidr.contains_ip(*ip))?;
                Some(Cidr::enclosing(*ip, pool.block_size()))
            })
            .collect();
        let mut wanted: Vec<Cidr> = cidrs.iter().flatten().copied().collect();
        wanted.sort();
        wanted.dedup();
        let mut blocks = HashMap::new();
        for (cidr, lazy) in wanted.iter().zip(self.read_lazy_blocks(&wanted)?) {
            if let Some(lazy) = lazy {
                blocks.insert(*cidr, lazy_decode(cidr, lazy.into_block())?);
            }
        }
        Ok(ips
            .iter()
            .zip(cidrs)
            .map(|(ip, cidr)| match cidr.and_then(|c| blocks.get(&c)) {
                Some(block) => Self::assignment_in(block, *ip),
                None => self.get_assignment_attributes(*ip),
            })
            .collect())
    }

    /// Who holds `ip` in `block` (its block); not allocated → [`IpamError::NotAssigned`].
    fn assignment_in(block: &AllocationBlock, ip: IpAddr) -> Result<AssignmentAttributes> {
        let ordinal = block.ordinal_of(ip).ok_or(IpamError::NotAssigned(ip))?;
        if !block.is_allocated(ordinal) {
            return Err(IpamError::NotAssigned(ip));
        }
        let attribute = block.attribute_of(ordinal).cloned().unwrap_or_default();
        Ok(AssignmentAttributes {
            ip,
            block: block.cidr,
            block_affinity: block.affinity.clone(),
            handle_id: attribute.handle().map(str::to_string),
            attrs: attribute.secondary.clone().unwrap_or_default(),
            sequence_number: block.sequence_number_of(ordinal),
            attribute,
        })
    }

    /// The addresses a handle holds (Calico's `IPsByHandle`).
    pub fn ips_by_handle(&self, handle_id: &str) -> Result<Vec<IpAddr>> {
        let id = sanitize_handle(handle_id);
        let handle = self
            .read_handle(id)?
            .ok_or_else(|| IpamError::HandleNotFound(id.to_string()))?;
        let mut out = Vec::new();
        for name in handle.value.block.keys() {
            let Ok(cidr) = Cidr::parse(name) else {
                continue;
            };
            if let Some(b) = self.read_block(&cidr.network())? {
                out.extend(b.value.ips_by_handle(id));
            }
        }
        Ok(out)
    }

    /// Use of every block, in key order.
    pub(crate) fn block_usage(&self) -> Result<Vec<BlockUsage>> {
        let pools = self.pool_entries()?;
        let reservations = self.reservations()?;
        let mut out = Vec::new();
        self.for_each_block(|b| {
            let size = b.size() as u128;
            let allocated = b.allocated_count() as u128;
            let free = b.free_count(&reservations) as u128;
            out.push(BlockUsage {
                cidr: b.cidr,
                pool: pools
                    .iter()
                    .find(|p| p.cidr.contains_ip(b.cidr.addr()))
                    .map(|p| p.pool.metadata.name.clone()),
                affinity: b.affinity,
                size,
                allocated,
                reserved: size - allocated - free,
                free,
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// Use of every pool, in name order (Calico's `GetUtilization`: reserved addresses are not
    /// free, counted as a set because reservations may overlap).
    pub(crate) fn pool_usage(&self) -> Result<Vec<PoolUsage>> {
        let pools = self.pool_entries()?;
        let reservations = self.reservations()?;
        // Per pool: blocks, allocated, allocated-and-reserved.
        let mut counts = vec![(0usize, 0u128, 0u128); pools.len()];
        self.for_each_block(|b| {
            for (p, c) in pools.iter().zip(counts.iter_mut()) {
                if !p.cidr.contains_ip(b.cidr.addr()) {
                    continue;
                }
                c.0 += 1;
                c.1 += b.allocated_count() as u128;
                if reservations.overlaps(&b.cidr) {
                    c.2 += (0..b.size())
                        .filter(|o| b.is_allocated(*o) && reservations.matches_ip(b.ip_of(*o)))
                        .count() as u128;
                }
            }
            Ok(())
        })?;
        Ok(pools
            .iter()
            .zip(counts)
            .map(|(p, (nblocks, allocated, allocated_reserved))| {
                let size = p.cidr.size();
                let reserved = reservations
                    .count_in(&p.cidr)
                    .saturating_sub(allocated_reserved);
                PoolUsage {
                    name: p.pool.metadata.name.clone(),
                    cidr: p.cidr,
                    enabled: p.enabled(),
                    size,
                    allocated,
                    reserved,
                    free: size.saturating_sub(allocated).saturating_sub(reserved),
                    blocks: nblocks,
                }
            })
            .collect())
    }
}

/// A key read under [`keys::BLOCKS_PREFIX`] as a block: `None` for a key that names no block,
/// [`IpamError::Decode`] for a value that does not decode.
pub(crate) fn listed_block(kv: &KeyValue) -> Option<Result<AllocationBlock>> {
    keys::parse_block(&kv.key)?;
    Some(AllocationBlock::from_json(&kv.value).map_err(|e| decode_err(&kv.key, e)))
}
