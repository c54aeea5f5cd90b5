//! The allocation block: one key per block-sized CIDR, holding who owns each address.
//!
//! Stored at `/calico/ipam/v2/assignment/ipv4/block/10.65.12.64-26` as Calico v3.31 writes it:
//!
//! ```json
//! {"cidr":"10.65.12.64/26","affinity":"host:node-1","allocations":[0,null,...],
//!  "unallocated":[1,2,...],"attributes":[{"handle_id":"h","secondary":{"node":"node-1"}}],
//!  "sequenceNumber":1787392800123456790,"sequenceNumberForAllocation":{"0":1787392800123456789},
//!  "deleted":false}
//! ```
//!
//! Field order is Go's struct order; `affinity`, `attributes`, `handle_id` and `secondary` are
//! always emitted (possibly `null`); map keys are sorted as Go sorts them. Fields written by
//! newer Calico versions (`affinity_claim_time`, `releasedAt`, `alternateOwnerAttrs`, ...) are
//! read tolerantly and written back unchanged. The legacy `strictAffinity` flag (removed in
//! 2020) is dropped on rewrite, as Calico drops it.

use super::reservations::Reservations;
use crate::model::Cidr;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// The handle Windows nodes use for the addresses they pre-reserve in every block; such
/// allocations do not make a block "non-empty".
pub(crate) const WINDOWS_RESERVED_HANDLE: &str = "windows-reserved-ipam-handle";

/// True for the handle of Calico's Windows reservations (network, gateway, broadcast).
pub(crate) fn is_windows_reserved(handle: &str) -> bool {
    handle.eq_ignore_ascii_case(WINDOWS_RESERVED_HANDLE)
}

/// One entry of a block's `attributes`: who holds the addresses pointing at it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AllocationAttribute {
    /// The handle that owns the allocation (`null` for handle-less allocations).
    #[serde(default)]
    pub handle_id: Option<String>,
    /// Owner attributes: `node`, `namespace`, `pod`, `timestamp`, `type`, ... (`null` when the
    /// caller gave none). Keys are sorted, as Go sorts map keys.
    #[serde(default)]
    pub secondary: Option<BTreeMap<String, String>>,
    /// Fields of newer Calico versions (`alternateOwnerAttrs`, `releasedAt`), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// Decoded by hand rather than derived: `#[serde(flatten)]` buffers every field of every
// attribute before decoding it, which made reading a million allocations twice as slow.
impl<'de> Deserialize<'de> for AllocationAttribute {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AllocationAttribute;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an allocation attribute object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AllocationAttribute, A::Error> {
                let mut a = AllocationAttribute::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "handle_id" => a.handle_id = map.next_value()?,
                        "secondary" => a.secondary = map.next_value()?,
                        _ => {
                            let v: Value = map.next_value()?;
                            a.extra.insert(key, v);
                        }
                    }
                }
                Ok(a)
            }
        }
        d.deserialize_map(V)
    }
}

impl AllocationAttribute {
    /// The handle with anything after a `\r` dropped (Calico "sanitises" handles written by
    /// an old host-local migration bug).
    pub fn handle(&self) -> Option<&str> {
        self.handle_id.as_deref().map(sanitize_handle)
    }

    /// True when a newer Calico marked the address as released and cooling down
    /// (`releasedAt` set): it is neither free nor held by anyone.
    pub(crate) fn is_cooling_down(&self) -> bool {
        self.extra.contains_key("releasedAt")
    }
}

/// Drops anything after the first `\r` of a handle ID.
pub(crate) fn sanitize_handle(handle: &str) -> &str {
    handle.split('\r').next().unwrap_or(handle)
}

/// An allocation block as stored in etcd.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationBlock {
    /// The block's network.
    pub cidr: Cidr,
    /// `host:<node>` or `virtual:<name>`; `None` = no owner (written as `null`).
    pub affinity: Option<String>,
    /// v3.32+ claim time (RFC 3339); never written by us, kept if present.
    pub affinity_claim_time: Option<String>,
    /// One entry per address: the index of its attribute, `None` when free.
    pub allocations: Vec<Option<usize>>,
    /// Free ordinals in FIFO order: taken from the front, released to the back.
    pub unallocated: Vec<usize>,
    /// Shared attributes; `None` (written `null`) for a block that never held an address.
    pub attributes: Option<Vec<AllocationAttribute>>,
    /// Bumped by one on every update; starts at the creation time in Unix nanoseconds.
    pub sequence_number: u64,
    /// The block's sequence number when each ordinal was allocated (decimal-string keys).
    /// `None` (written `null`) only for blocks written before Calico v3.23.
    pub(crate) sequence_number_for_allocation: Option<BTreeMap<String, u64>>,
    /// The Kubernetes soft-delete marker; always false in etcd.
    pub deleted: bool,
    /// Deprecated `hostAffinity` field of very old blocks, kept if present.
    pub host_affinity: Option<String>,
    /// Unknown fields, kept verbatim and written after the known ones.
    pub extra: Map<String, Value>,
}

/// Free ordinals of `cidr` in `unallocated` that no reservation covers.
fn free_count_of(cidr: &Cidr, unallocated: &[usize], reservations: &Reservations) -> usize {
    if reservations.covers_whole(cidr) {
        return 0;
    }
    if !reservations.overlaps(cidr) {
        return unallocated.len();
    }
    unallocated
        .iter()
        .filter(|o| !reservations.matches_ip(cidr.nth(**o as u128)))
        .count()
}

/// A block as read from the store, decoded only as far as asked: its owner and free count
/// come from a light pass that skips the allocations and attributes (a full /26 holds 64
/// attributes, most of the cost of decoding it), the whole block only when it is written.
/// Walking a host's full blocks to the one with room costs one light pass per full block.
#[derive(Debug, Clone)]
pub(crate) struct LazyBlock {
    /// The key's `mod_revision`.
    pub revision: i64,
    bytes: Vec<u8>,
    decoded: Option<AllocationBlock>,
    peeked: Option<Peek>,
}

/// What the light pass reads.
#[derive(Debug, Clone, Default, Deserialize)]
struct Peek {
    #[serde(default)]
    cidr: Option<String>,
    #[serde(default)]
    affinity: Option<String>,
    #[serde(default)]
    unallocated: Option<Vec<usize>>,
}

impl LazyBlock {
    /// A stored value, not decoded yet.
    pub(crate) fn stored(bytes: Vec<u8>, revision: i64) -> LazyBlock {
        LazyBlock {
            revision,
            bytes,
            decoded: None,
            peeked: None,
        }
    }

    /// A block already decoded (one we just wrote).
    pub(crate) fn decoded(block: AllocationBlock, revision: i64) -> LazyBlock {
        LazyBlock {
            revision,
            bytes: Vec::new(),
            decoded: Some(block),
            peeked: None,
        }
    }

    fn peek(&mut self) -> Result<&Peek, BlockDecodeError> {
        if self.peeked.is_none() && self.decoded.is_none() {
            match serde_json::from_slice::<Peek>(&self.bytes) {
                Ok(p) if p.cidr.is_some() => self.peeked = Some(p),
                // Not shaped like a block: the full decoder says why.
                _ => {
                    self.decoded = Some(AllocationBlock::from_json(&self.bytes)?);
                }
            }
        }
        Ok(self.peeked.get_or_insert_with(Peek::default))
    }

    /// The block's affinity (`host:<node>`, ...).
    pub(crate) fn affinity(&mut self) -> Result<Option<&str>, BlockDecodeError> {
        self.peek()?;
        Ok(match &self.decoded {
            Some(b) => b.affinity.as_deref(),
            None => self.peeked.as_ref().and_then(|p| p.affinity.as_deref()),
        })
    }

    /// True when the block's affinity is `host:<host>`.
    pub(crate) fn is_affine_to(&mut self, host: &str) -> Result<bool, BlockDecodeError> {
        Ok(self.affinity()?.and_then(|a| a.strip_prefix("host:")) == Some(host))
    }

    /// [`AllocationBlock::free_count`] of the block `cidr`.
    pub(crate) fn free_count(
        &mut self,
        cidr: &Cidr,
        reservations: &Reservations,
    ) -> Result<usize, BlockDecodeError> {
        self.peek()?;
        Ok(match &self.decoded {
            Some(b) => b.free_count(reservations),
            None => free_count_of(
                cidr,
                self.peeked
                    .as_ref()
                    .and_then(|p| p.unallocated.as_deref())
                    .unwrap_or_default(),
                reservations,
            ),
        })
    }

    /// The whole block.
    pub(crate) fn into_block(self) -> Result<AllocationBlock, BlockDecodeError> {
        match self.decoded {
            Some(b) => Ok(b),
            None => AllocationBlock::from_json(&self.bytes),
        }
    }
}

/// Why a stored block could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BlockDecodeError(pub String);

/// A request to free one address of a block, with Calico's optional guards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRelease<'a> {
    /// The address.
    pub address: IpAddr,
    /// If set, the allocation must belong to this handle.
    pub handle: Option<&'a str>,
    /// If set, the allocation's recorded sequence number must equal this.
    pub sequence_number: Option<u64>,
}

/// A guard of a release did not hold; the whole block's release is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseGuardError {
    /// The allocation was made at another sequence number (it was released and re-allocated
    /// since the caller looked).
    #[error(
        "the given sequence number ({requested}) does not match ({expected}) when attempting to release IP"
    )]
    BadSequenceNumber {
        /// The caller's number.
        requested: u64,
        /// The stored number.
        expected: u64,
    },
    /// The allocation belongs to another handle.
    #[error(
        "the given handle ({requested}) does not match ({expected}) when attempting to release IP"
    )]
    BadHandle {
        /// The caller's handle.
        requested: String,
        /// The stored handle.
        expected: String,
    },
}

/// What a release did to a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseOutcome {
    /// Requested addresses that were not allocated.
    pub unallocated: Vec<IpAddr>,
    /// Addresses freed per handle.
    pub(crate) by_handle: BTreeMap<String, u64>,
    /// Number of ordinals freed.
    pub released: usize,
}

impl AllocationBlock {
    /// A brand-new, empty block: every ordinal free in ascending order, `attributes: null`,
    /// sequence number `now_nanos`.
    pub fn new(cidr: Cidr, affinity: Option<String>, now_nanos: u64) -> AllocationBlock {
        let cidr = cidr.network();
        let size = block_size_of(&cidr);
        AllocationBlock {
            cidr,
            affinity,
            affinity_claim_time: None,
            allocations: vec![None; size],
            unallocated: (0..size).collect(),
            attributes: None,
            sequence_number: now_nanos,
            sequence_number_for_allocation: Some(BTreeMap::new()),
            deleted: false,
            host_affinity: None,
            extra: Map::new(),
        }
    }

    /// Decodes a stored value. `null` reads as the field's default; unknown fields are kept.
    pub fn from_json(bytes: &[u8]) -> Result<AllocationBlock, BlockDecodeError> {
        let err = |m: String| BlockDecodeError(m);
        let w: WireIn = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
        let cidr = Cidr::parse(&w.cidr.unwrap_or_default())
            .map_err(|e| err(format!("field cidr: {e}")))?
            .network();
        let allocations = w.allocations.unwrap_or_default();
        let size = block_size_of(&cidr);
        if allocations.len() != size {
            return Err(err(format!(
                "block {cidr} has {} allocations, expected {size}",
                allocations.len()
            )));
        }
        Ok(AllocationBlock {
            cidr,
            affinity: w.affinity,
            affinity_claim_time: w.affinity_claim_time,
            allocations,
            unallocated: w.unallocated.unwrap_or_default(),
            attributes: w.attributes,
            sequence_number: w.sequence_number.unwrap_or_default(),
            sequence_number_for_allocation: w.sequence_number_for_allocation,
            deleted: w.deleted,
            host_affinity: w.host_affinity,
            extra: w.extra,
        })
    }

    /// Encodes the block exactly as Calico v3.31 would store it.
    pub fn to_json(&self) -> Vec<u8> {
        crate::go::json::to_vec(&Wire {
            cidr: self.cidr,
            affinity: &self.affinity,
            affinity_claim_time: &self.affinity_claim_time,
            allocations: &self.allocations,
            unallocated: &self.unallocated,
            attributes: &self.attributes,
            sequence_number: self.sequence_number,
            sequence_number_for_allocation: &self.sequence_number_for_allocation,
            deleted: self.deleted,
            host_affinity: &self.host_affinity,
            extra: &self.extra,
        })
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> usize {
        self.allocations.len()
    }

    /// The address of an ordinal.
    pub fn ip_of(&self, ordinal: usize) -> IpAddr {
        self.cidr.nth(ordinal as u128)
    }

    /// The ordinal of an address, if it lies in the block.
    pub(crate) fn ordinal_of(&self, ip: IpAddr) -> Option<usize> {
        self.cidr
            .offset_of(ip)
            .and_then(|o| usize::try_from(o).ok())
            .filter(|o| *o < self.size())
    }

    /// The host of a `host:<node>` affinity.
    pub fn host(&self) -> Option<&str> {
        self.affinity.as_deref()?.strip_prefix("host:")
    }

    /// True when the block's affinity is `host:<host>`.
    pub(crate) fn is_affine_to(&self, host: &str) -> bool {
        self.host() == Some(host)
    }

    /// The attribute an ordinal points at (None when free or dangling).
    pub fn attribute_of(&self, ordinal: usize) -> Option<&AllocationAttribute> {
        let idx = (*self.allocations.get(ordinal)?)?;
        self.attributes.as_ref()?.get(idx)
    }

    /// True when the ordinal is allocated.
    pub(crate) fn is_allocated(&self, ordinal: usize) -> bool {
        self.allocations.get(ordinal).is_some_and(Option::is_some)
    }

    /// Number of allocated ordinals.
    pub(crate) fn allocated_count(&self) -> usize {
        self.allocations.iter().filter(|a| a.is_some()).count()
    }

    /// The recorded allocation sequence number of an ordinal (0 when none).
    pub fn sequence_number_of(&self, ordinal: usize) -> u64 {
        self.sequence_number_for_allocation
            .as_ref()
            .and_then(|m| m.get(&ordinal.to_string()).copied())
            .unwrap_or(0)
    }

    fn set_sequence_number_of(&mut self, ordinal: usize) {
        let seq = self.sequence_number;
        self.sequence_number_for_allocation
            .get_or_insert_with(BTreeMap::new)
            .insert(ordinal.to_string(), seq);
    }

    fn clear_sequence_number_of(&mut self, ordinal: usize) {
        if let Some(m) = self.sequence_number_for_allocation.as_mut() {
            m.remove(&ordinal.to_string());
        }
    }

    /// Free addresses that are not reserved.
    pub fn free_count(&self, reservations: &Reservations) -> usize {
        free_count_of(&self.cidr, &self.unallocated, reservations)
    }

    /// True when no address is held, except Windows' pre-reserved ones.
    pub fn is_empty(&self) -> bool {
        self.allocations.iter().enumerate().all(|(o, a)| {
            a.is_none()
                || self
                    .attribute_of(o)
                    .and_then(|attr| attr.handle_id.as_deref())
                    .is_some_and(is_windows_reserved)
        })
    }

    /// Increments the sequence number, as every update write of a block does.
    pub fn bump(&mut self) {
        self.sequence_number = self.sequence_number.wrapping_add(1);
    }

    /// The index of an attribute equal to (`handle`, `secondary`), appended if absent.
    fn find_or_add_attribute(
        &mut self,
        handle: Option<&str>,
        secondary: Option<&BTreeMap<String, String>>,
    ) -> usize {
        let attrs = self.attributes.get_or_insert_with(Vec::new);
        if let Some(i) = attrs.iter().position(|a| {
            a.handle_id.as_deref() == handle
                && a.secondary.as_ref() == secondary
                && a.extra.is_empty()
        }) {
            return i;
        }
        attrs.push(AllocationAttribute {
            handle_id: handle.map(str::to_string),
            secondary: secondary.cloned(),
            extra: Map::new(),
        });
        attrs.len() - 1
    }

    /// Takes up to `num` free, non-reserved ordinals from the front of the free list (reserved
    /// ones stay where they are), all sharing one attribute, and records the block's current
    /// sequence number for each. Returns the ordinals taken. The caller bumps the sequence
    /// number when it writes the block.
    pub fn auto_assign(
        &mut self,
        num: usize,
        handle: Option<&str>,
        secondary: Option<&BTreeMap<String, String>>,
        reservations: &Reservations,
    ) -> Vec<usize> {
        if num == 0 {
            return Vec::new();
        }
        let check = reservations.overlaps(&self.cidr);
        let mut taken = Vec::new();
        let mut keep = Vec::with_capacity(self.unallocated.len());
        let free = std::mem::take(&mut self.unallocated);
        for ordinal in free {
            let usable = taken.len() < num
                && ordinal < self.allocations.len()
                && self.allocations[ordinal].is_none()
                && !(check && reservations.matches_ip(self.ip_of(ordinal)));
            if usable {
                taken.push(ordinal);
            } else {
                keep.push(ordinal);
            }
        }
        self.unallocated = keep;
        if !taken.is_empty() {
            let idx = self.find_or_add_attribute(handle, secondary);
            for &o in &taken {
                self.allocations[o] = Some(idx);
                self.set_sequence_number_of(o);
            }
        }
        taken
    }

    /// Allocates one specific ordinal (the `ipAddrs` path). Fails if it is already allocated.
    pub(crate) fn assign_ordinal(
        &mut self,
        ordinal: usize,
        handle: Option<&str>,
        secondary: Option<&BTreeMap<String, String>>,
    ) -> Result<(), AlreadyAllocated> {
        if ordinal >= self.size() || self.allocations[ordinal].is_some() {
            return Err(AlreadyAllocated);
        }
        self.set_sequence_number_of(ordinal);
        let idx = self.find_or_add_attribute(handle, secondary);
        self.allocations[ordinal] = Some(idx);
        if let Some(pos) = self.unallocated.iter().position(|o| *o == ordinal) {
            self.unallocated.remove(pos);
        }
        Ok(())
    }

    /// Frees the requested addresses (Calico's `ReleaseIPs` on one block). Guards are checked
    /// first for every address: a sequence number that differs from the recorded one, or a
    /// handle that differs from the holder, fails the whole block (nothing is changed).
    /// Duplicate addresses count once (the last request wins). Freed ordinals are appended to
    /// the free list in request order and lose their recorded sequence number; attributes no
    /// longer referenced are removed.
    pub fn release(
        &mut self,
        requests: &[BlockRelease<'_>],
    ) -> Result<ReleaseOutcome, (IpAddr, ReleaseGuardError)> {
        let mut unique: Vec<&BlockRelease<'_>> = Vec::new();
        for r in requests {
            if let Some(pos) = unique.iter().position(|u| u.address == r.address) {
                unique[pos] = r;
            } else {
                unique.push(r);
            }
        }
        let mut out = ReleaseOutcome::default();
        let mut ordinals = Vec::new();
        for r in unique {
            let Some(ordinal) = self.ordinal_of(r.address) else {
                out.unallocated.push(r.address);
                continue;
            };
            if let Some(requested) = r.sequence_number {
                let expected = self.sequence_number_of(ordinal);
                if requested != expected {
                    return Err((
                        r.address,
                        ReleaseGuardError::BadSequenceNumber {
                            requested,
                            expected,
                        },
                    ));
                }
            }
            if !self.is_allocated(ordinal)
                || self
                    .attribute_of(ordinal)
                    .is_some_and(|a| a.is_cooling_down())
            {
                out.unallocated.push(r.address);
                continue;
            }
            let holder = self
                .attribute_of(ordinal)
                .and_then(|a| a.handle())
                .unwrap_or("")
                .to_string();
            // Windows' reservations are never leaks. A report-driven release (a sequence
            // number, no handle: what calicoctl's report records for them, marked not in use)
            // keeps them.
            if r.sequence_number.is_some() && r.handle.is_none() && is_windows_reserved(&holder) {
                out.unallocated.push(r.address);
                continue;
            }
            if let Some(requested) = r.handle.map(sanitize_handle)
                && !requested.is_empty()
                && requested != holder
            {
                return Err((
                    r.address,
                    ReleaseGuardError::BadHandle {
                        requested: requested.to_string(),
                        expected: holder,
                    },
                ));
            }
            if !holder.is_empty() {
                *out.by_handle.entry(holder).or_insert(0) += 1;
            }
            ordinals.push(ordinal);
        }
        for &o in &ordinals {
            self.allocations[o] = None;
            self.unallocated.push(o);
            self.clear_sequence_number_of(o);
        }
        out.released = ordinals.len();
        if !ordinals.is_empty() {
            self.drop_unreferenced_attributes();
        }
        Ok(out)
    }

    /// Frees every address held by `handle` (Calico's `ReleaseByHandle` on one block): ordinals
    /// in ascending order go to the back of the free list. As in v3.31, the recorded sequence
    /// numbers of the freed ordinals are left in place. Returns the number freed.
    pub fn release_by_handle(&mut self, handle: &str) -> usize {
        let handle = sanitize_handle(handle);
        let Some(attrs) = self.attributes.as_ref() else {
            return 0;
        };
        let matching: BTreeSet<usize> = attrs
            .iter()
            .enumerate()
            .filter(|(_, a)| a.handle() == Some(handle))
            .map(|(i, _)| i)
            .collect();
        if matching.is_empty() {
            return 0;
        }
        let ordinals: Vec<usize> = (0..self.size())
            .filter(|o| self.allocations[*o].is_some_and(|i| matching.contains(&i)))
            .collect();
        for &o in &ordinals {
            self.allocations[o] = None;
            self.unallocated.push(o);
        }
        self.drop_unreferenced_attributes();
        ordinals.len()
    }

    /// Removes attributes no allocation points at, compacting indexes (order preserved). The
    /// list stays an array (`[]`) once it has been compacted, as Calico's does.
    fn drop_unreferenced_attributes(&mut self) {
        let Some(attrs) = self.attributes.take() else {
            return;
        };
        let referenced: BTreeSet<usize> = self.allocations.iter().flatten().copied().collect();
        let mut remap = vec![None; attrs.len()];
        let mut kept = Vec::with_capacity(referenced.len());
        for (i, a) in attrs.into_iter().enumerate() {
            if referenced.contains(&i) {
                remap[i] = Some(kept.len());
                kept.push(a);
            }
        }
        for a in self.allocations.iter_mut().flatten() {
            if let Some(Some(n)) = remap.get(*a) {
                *a = *n;
            }
        }
        self.attributes = Some(kept);
    }

    /// The addresses held by a handle.
    pub fn ips_by_handle(&self, handle: &str) -> Vec<IpAddr> {
        let handle = sanitize_handle(handle);
        (0..self.size())
            .filter(|o| self.attribute_of(*o).and_then(|a| a.handle()) == Some(handle))
            .map(|o| self.ip_of(o))
            .collect()
    }

    /// Calico's block consistency checks (`calicoctl ipam check`'s `validateBlock`), with its
    /// messages. Empty when the block is sound.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let nattrs = self.attributes.as_ref().map_or(0, Vec::len);
        let mut referenced = vec![false; nattrs];
        let mut allocated = 0usize;
        for (o, a) in self.allocations.iter().enumerate() {
            if let Some(i) = a {
                allocated += 1;
                if *i >= nattrs {
                    problems.push(format!(
                        "allocation {o} indexes a nonexistent attribute {i}"
                    ));
                } else {
                    referenced[*i] = true;
                }
            }
        }
        for (i, r) in referenced.iter().enumerate() {
            if !r {
                problems.push(format!(
                    "attribute index {i} exists but is not indexed by an allocation"
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for &o in &self.unallocated {
            if o >= self.size() {
                problems.push(format!(
                    "ordinal {o} appears in the Unallocated array but is out of the block"
                ));
                continue;
            }
            if !seen.insert(o) {
                problems.push(format!(
                    "ordinal {o} appears more than once in Unallocated array"
                ));
            }
            if self.allocations[o].is_some() {
                problems.push(format!(
                    "ordinal {o} is allocated but appears in Unallocated"
                ));
            }
        }
        let sum = self.unallocated.len() + allocated;
        if sum != self.size() {
            problems.push(format!(
                "expected {} addresses in this block, but Unallocated ({}) + Allocated ({allocated}) = {sum}",
                self.size(),
                self.unallocated.len()
            ));
        }
        problems
    }
}

/// The ordinal is already allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AlreadyAllocated;

/// Number of addresses of a block CIDR (blocks are at most /20 or /116: 4096 addresses).
pub(crate) fn block_size_of(cidr: &Cidr) -> usize {
    usize::try_from(cidr.size()).unwrap_or(usize::MAX)
}

/// A stored block as read: every known field optional (`null` and absent alike), unknown
/// fields kept in order, the legacy `strictAffinity` dropped. Decoded by hand, field by field,
/// so that a field's error names it and nothing is decoded twice.
#[derive(Default)]
struct WireIn {
    cidr: Option<String>,
    affinity: Option<String>,
    affinity_claim_time: Option<String>,
    allocations: Option<Vec<Option<usize>>>,
    unallocated: Option<Vec<usize>>,
    attributes: Option<Vec<AllocationAttribute>>,
    sequence_number: Option<u64>,
    sequence_number_for_allocation: Option<BTreeMap<String, u64>>,
    deleted: bool,
    host_affinity: Option<String>,
    extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for WireIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = WireIn;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an allocation block object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<WireIn, A::Error> {
                use serde::de::Error;
                fn field<'de, A: serde::de::MapAccess<'de>, T: Deserialize<'de>>(
                    map: &mut A,
                    name: &str,
                ) -> Result<T, A::Error> {
                    map.next_value()
                        .map_err(|e| A::Error::custom(format!("field {name}: {e}")))
                }
                let mut w = WireIn::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "cidr" => w.cidr = field(&mut map, "cidr")?,
                        "affinity" => w.affinity = field(&mut map, "affinity")?,
                        "affinity_claim_time" => {
                            w.affinity_claim_time = field(&mut map, "affinity_claim_time")?
                        }
                        "allocations" => w.allocations = field(&mut map, "allocations")?,
                        "unallocated" => w.unallocated = field(&mut map, "unallocated")?,
                        "attributes" => w.attributes = field(&mut map, "attributes")?,
                        "sequenceNumber" => w.sequence_number = field(&mut map, "sequenceNumber")?,
                        "sequenceNumberForAllocation" => {
                            w.sequence_number_for_allocation =
                                field(&mut map, "sequenceNumberForAllocation")?
                        }
                        "deleted" => {
                            w.deleted = match map.next_value::<Value>()? {
                                Value::Bool(b) => b,
                                Value::String(s) => s == "true",
                                _ => false,
                            }
                        }
                        "hostAffinity" => w.host_affinity = field(&mut map, "hostAffinity")?,
                        "strictAffinity" => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                        _ => {
                            let v: Value = map.next_value()?;
                            w.extra.insert(key, v);
                        }
                    }
                }
                Ok(w)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Serialize)]
struct Wire<'a> {
    cidr: Cidr,
    affinity: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    affinity_claim_time: &'a Option<String>,
    allocations: &'a Vec<Option<usize>>,
    unallocated: &'a Vec<usize>,
    attributes: &'a Option<Vec<AllocationAttribute>>,
    #[serde(rename = "sequenceNumber")]
    sequence_number: u64,
    #[serde(rename = "sequenceNumberForAllocation")]
    sequence_number_for_allocation: &'a Option<BTreeMap<String, u64>>,
    deleted: bool,
    #[serde(rename = "hostAffinity", skip_serializing_if = "Option::is_none")]
    host_affinity: &'a Option<String>,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}
