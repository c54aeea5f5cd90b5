//! Where a host starts looking for a new block: a pseudo-random start index seeded with the
//! 32-bit FNV-1 hash of the host name, then every block of the pool once, in order, wrapping.
//!
//! A given host always starts at the same place (its retries hit the same blocks); different
//! hosts start at different places, so many nodes booting at once do not all fight over the
//! first free block. Calico seeds Go's `math/rand` the same way; the exact sequence is not
//! reproduced (it does not matter for compatibility). For single-address blocks the seed is
//! the current time, as in Calico.

use super::reservations::Reservations;
use crate::model::Cidr;

/// The 32-bit FNV-1 hash (multiply, then xor).
pub(crate) fn fnv1_32(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in data {
        h = h.wrapping_mul(0x0100_0193);
        h ^= u32::from(*b);
    }
    h
}

/// SplitMix64: small, fast, good enough for choosing start points and back-off jitter.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// A generator seeded from the clock and the current thread.
    pub fn from_entropy() -> SplitMix64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(crate::go::time::unix_nanos(std::time::SystemTime::now()));
        SplitMix64(h.finish())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next 128 random bits.
    pub(crate) fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }
}

/// The host's start index among `n` blocks (`n` a power of two, or saturated).
pub(crate) fn start_index(host: &str, block_prefix: u8, bits: u8, n: u128) -> u128 {
    if n <= 1 {
        return 0;
    }
    let seed = if block_prefix == bits {
        crate::go::time::unix_nanos(std::time::SystemTime::now())
    } else {
        u64::from(fnv1_32(host.as_bytes()))
    };
    let r = SplitMix64::new(seed).next_u128();
    if n.is_power_of_two() {
        r & (n - 1)
    } else {
        r % n
    }
}

/// Visits every block-sized CIDR of a pool once, from the host's start index, wrapping, and
/// jumps over runs of wholly reserved blocks without visiting them one by one.
#[derive(Debug, Clone)]
pub struct BlockWalk {
    pool: Cidr,
    prefix: u8,
    n: u128,
    start: u128,
    visited: u128,
}

impl BlockWalk {
    /// The walk over `pool`'s blocks of length `prefix` for `host`.
    pub fn new(pool: Cidr, prefix: u8, host: &str) -> BlockWalk {
        let pool = pool.network();
        let n = pool.subnet_count(prefix);
        BlockWalk {
            pool,
            prefix,
            n,
            start: start_index(host, prefix, pool.bits(), n),
            visited: 0,
        }
    }

    /// The index of the block holding `cidr` in visiting order (0 = visited first).
    #[cfg(test)]
    pub(crate) fn rank(&self, cidr: &Cidr) -> u128 {
        let host_bits = u32::from(self.pool.bits() - self.prefix);
        let idx = if host_bits >= 128 {
            0
        } else {
            (cidr.first() - self.pool.first()) >> host_bits
        };
        if idx >= self.start {
            idx - self.start
        } else {
            self.n - self.start + idx
        }
    }

    /// The next block that is not wholly reserved.
    pub fn next_unreserved(&mut self, reservations: &Reservations) -> Option<Cidr> {
        let host_bits = u32::from(self.pool.bits() - self.prefix);
        while self.visited < self.n {
            let i = self.start.wrapping_add(self.visited) % self.n;
            let cidr = self.pool.subnet(self.prefix, i);
            match reservations.whole_cover_end(&cidr) {
                None => {
                    self.visited += 1;
                    return Some(cidr);
                }
                Some(end) => {
                    // Every block up to the one holding `end` (inclusive if `end` is its last
                    // address) is wholly reserved: skip them, but not past the pool's end.
                    let rel = end.min(self.pool.last()) - self.pool.first();
                    let last_idx = if host_bits >= 128 {
                        0
                    } else {
                        rel >> host_bits
                    };
                    let block_last = self.pool.subnet(self.prefix, last_idx).last();
                    let next = if end >= block_last {
                        last_idx + 1
                    } else {
                        last_idx
                    };
                    let skip = next.min(self.n).saturating_sub(i).max(1);
                    self.visited = self.visited.saturating_add(skip);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1_known_values() {
        assert_eq!(fnv1_32(b""), 0x811c9dc5);
        assert_eq!(fnv1_32(b"a"), 0x050c5d7e);
        assert_eq!(fnv1_32(b"foobar"), 0x31f0b262);
    }

    #[test]
    fn walk_visits_every_block_once() {
        let pool = Cidr::parse("10.0.0.0/22").unwrap();
        let mut w = BlockWalk::new(pool, 26, "node-1");
        let mut seen = Vec::new();
        while let Some(c) = w.next_unreserved(&Reservations::none()) {
            seen.push(c);
        }
        assert_eq!(seen.len(), 16);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 16);
        // The same host starts at the same place.
        let mut again = BlockWalk::new(pool, 26, "node-1");
        assert_eq!(again.next_unreserved(&Reservations::none()), Some(seen[0]));
        for (i, c) in seen.iter().enumerate() {
            assert_eq!(w.rank(c), i as u128);
        }
    }

    #[test]
    fn walk_jumps_over_reserved_runs() {
        let pool = Cidr::parse("fd00::/64").unwrap();
        // Reserve all but the last /122 of the pool: the walk must not crawl 2^58 blocks.
        let res = Reservations::from_cidrs([
            Cidr::parse("fd00::/65").unwrap(),
            Cidr::parse("fd00::8000:0:0:0/66").unwrap(),
            Cidr::parse("fd00::c000:0:0:0/67").unwrap(),
        ]);
        let mut w = BlockWalk::new(pool, 122, "node-1");
        let first = w.next_unreserved(&res).unwrap();
        assert!(!res.covers_whole(&first));
        let mut count = 1u32;
        while let Some(c) = w.next_unreserved(&res) {
            assert!(!res.covers_whole(&c));
            count += 1;
            if count > 10 {
                break;
            }
        }
        let res_all = Reservations::from_cidrs([pool]);
        let mut w = BlockWalk::new(pool, 122, "node-2");
        assert_eq!(w.next_unreserved(&res_all), None);
    }
}
