//! IPReservations as an address filter for automatic assignment.
//!
//! Reservations may overlap or nest, so "is this block wholly reserved" is answered on the
//! union of all reserved ranges (merged intervals), as Calico does.

use crate::model::{Cidr, IpReservation};
use std::net::IpAddr;

/// The reserved ranges of both families, merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reservations {
    /// Merged, sorted, non-adjacent inclusive ranges of IPv4 addresses.
    v4: Vec<(u128, u128)>,
    /// The same for IPv6.
    v6: Vec<(u128, u128)>,
}

fn merge(mut ranges: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    ranges.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some((_, end)) if a <= end.saturating_add(1) => *end = (*end).max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

impl Reservations {
    /// No reservations.
    pub fn none() -> Reservations {
        Reservations::default()
    }

    /// The reservations of these networks.
    pub(crate) fn from_cidrs(cidrs: impl IntoIterator<Item = Cidr>) -> Reservations {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for c in cidrs {
            let r = (c.first(), c.last());
            if c.is_ipv4() { v4.push(r) } else { v6.push(r) }
        }
        Reservations {
            v4: merge(v4),
            v6: merge(v6),
        }
    }

    /// These reservations and `cidrs` besides.
    pub fn with(&self, cidrs: impl IntoIterator<Item = Cidr>) -> Reservations {
        let more = Reservations::from_cidrs(cidrs);
        Reservations {
            v4: merge(self.v4.iter().chain(&more.v4).copied().collect()),
            v6: merge(self.v6.iter().chain(&more.v6).copied().collect()),
        }
    }

    /// The reservations of these resources (malformed entries are skipped, as Calico does).
    pub(crate) fn from_resources(resources: &[IpReservation]) -> Reservations {
        Reservations::from_cidrs(resources.iter().flat_map(|r| r.networks()))
    }

    fn ranges(&self, v4: bool) -> &[(u128, u128)] {
        if v4 { &self.v4 } else { &self.v6 }
    }

    /// True when nothing is reserved.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// The merged range containing `v`, if any.
    fn range_at(&self, v4: bool, v: u128) -> Option<(u128, u128)> {
        let r = self.ranges(v4);
        let i = r.partition_point(|(a, _)| *a <= v);
        (i > 0 && r[i - 1].1 >= v).then(|| r[i - 1])
    }

    /// True when the address is reserved.
    pub(crate) fn matches_ip(&self, ip: IpAddr) -> bool {
        self.range_at(ip.is_ipv4(), crate::model::cidr::ip_to_u128(ip))
            .is_some()
    }

    /// True when every address of `cidr` is reserved (possibly by several reservations).
    pub(crate) fn covers_whole(&self, cidr: &Cidr) -> bool {
        self.whole_cover_end(cidr).is_some()
    }

    /// When `cidr` is wholly reserved: the last address of the reserved range covering it.
    pub(crate) fn whole_cover_end(&self, cidr: &Cidr) -> Option<u128> {
        self.range_at(cidr.is_ipv4(), cidr.first())
            .filter(|(_, end)| *end >= cidr.last())
            .map(|(_, end)| end)
    }

    /// True when at least one address of `cidr` is reserved.
    pub fn overlaps(&self, cidr: &Cidr) -> bool {
        let r = self.ranges(cidr.is_ipv4());
        let i = r.partition_point(|(_, b)| *b < cidr.first());
        i < r.len() && r[i].0 <= cidr.last()
    }

    /// Number of reserved addresses inside `cidr`.
    pub(crate) fn count_in(&self, cidr: &Cidr) -> u128 {
        self.ranges(cidr.is_ipv4())
            .iter()
            .filter(|(a, b)| *a <= cidr.last() && *b >= cidr.first())
            .map(|(a, b)| {
                let lo = (*a).max(cidr.first());
                let hi = (*b).min(cidr.last());
                (hi - lo).saturating_add(1)
            })
            .fold(0u128, u128::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn union_covers_a_block() {
        let r = Reservations::from_cidrs([c("10.0.0.0/27"), c("10.0.0.32/27"), c("10.0.1.5/32")]);
        assert!(r.covers_whole(&c("10.0.0.0/26")));
        assert!(!r.covers_whole(&c("10.0.0.64/26")));
        assert!(r.overlaps(&c("10.0.1.0/26")));
        assert!(!r.overlaps(&c("10.0.2.0/26")));
        assert!(r.matches_ip("10.0.1.5".parse().unwrap()));
        assert!(!r.matches_ip("10.0.1.6".parse().unwrap()));
        assert_eq!(r.count_in(&c("10.0.0.0/23")), 65);
        assert!(!r.matches_ip("::a00:105".parse().unwrap()));
        // Nested reservations merge.
        let n = Reservations::from_cidrs([c("10.0.0.0/24"), c("10.0.0.5/32")]);
        assert_eq!(n.count_in(&c("10.0.0.0/16")), 256);
    }
}
