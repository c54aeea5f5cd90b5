//! `Cidr`: an IPv4 or IPv6 network with a prefix length, and the address arithmetic IPAM needs.
//!
//! Addresses are handled as `u128` internally (IPv4 in the low 32 bits), so block arithmetic
//! (`base + ordinal`, "which block holds this address") is plain integer maths. A `Cidr` keeps
//! the address exactly as given; [`Cidr::network`] masks the host bits, as Calico does when it
//! normalises a pool's CIDR. `Display` is Go's `IPNet.String()`: dotted quad, RFC 5952 for IPv6.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP network: an address and a prefix length. Host bits may be set (see [`Cidr::network`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// A string that is not a CIDR (or not an IP address, for the functions that accept both).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CIDR address: {0}")]
pub struct CidrError(pub String);

/// The address as an integer: IPv4 in the low 32 bits.
pub fn ip_to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The inverse of [`ip_to_u128`] for the given family (4 or 6).
pub(crate) fn u128_to_ip(value: u128, version: u8) -> IpAddr {
    if version == 4 {
        IpAddr::V4(Ipv4Addr::from(value as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(value))
    }
}

/// 4 or 6.
pub(crate) fn ip_version(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 4 } else { 6 }
}

/// Parses an IP address as Go's `net.ParseIP` does (no zone, no leading zeros in IPv4).
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    IpAddr::from_str(s).ok()
}

impl Cidr {
    /// Builds a CIDR; `prefix` must not exceed the family's bit count.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Cidr, CidrError> {
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > bits {
            return Err(CidrError(format!("{addr}/{prefix}")));
        }
        Ok(Cidr { addr, prefix })
    }

    /// The single-address network `ip/32` or `ip/128`.
    pub fn host(ip: IpAddr) -> Cidr {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Cidr { addr: ip, prefix }
    }

    /// Parses `a.b.c.d/n` or `x::y/n` (Go's `net.ParseCIDR`), keeping host bits.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let err = || CidrError(s.to_string());
        let (ip, prefix) = s.split_once('/').ok_or_else(err)?;
        let addr = parse_ip(ip).ok_or_else(err)?;
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let prefix: u8 = prefix.parse().map_err(|_| err())?;
        Cidr::new(addr, prefix).map_err(|_| err())
    }

    /// Parses a CIDR, or a bare address as a single-address network (IPReservation style).
    pub fn parse_ip_or_cidr(s: &str) -> Result<Cidr, CidrError> {
        if s.contains('/') {
            Cidr::parse(s)
        } else {
            parse_ip(s)
                .map(Cidr::host)
                .ok_or_else(|| CidrError(s.to_string()))
        }
    }

    /// The address as written (host bits included).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// 4 or 6.
    pub fn version(&self) -> u8 {
        ip_version(self.addr)
    }

    /// True for IPv4.
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// 32 or 128.
    pub fn bits(&self) -> u8 {
        if self.is_ipv4() { 32 } else { 128 }
    }

    fn host_mask(&self) -> u128 {
        let host_bits = (self.bits() - self.prefix) as u32;
        if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        }
    }

    /// The first address of the network as an integer.
    pub fn first(&self) -> u128 {
        ip_to_u128(self.addr) & !self.host_mask()
    }

    /// The last address of the network as an integer.
    pub fn last(&self) -> u128 {
        self.first() | self.host_mask()
    }

    /// The network with host bits cleared (`10.0.1.5/24` → `10.0.1.0/24`).
    pub fn network(&self) -> Cidr {
        Cidr {
            addr: u128_to_ip(self.first(), self.version()),
            prefix: self.prefix,
        }
    }

    /// True when no host bits are set.
    pub(crate) fn is_masked(&self) -> bool {
        ip_to_u128(self.addr) == self.first()
    }

    /// Number of addresses, saturating at `u128::MAX` for `::/0`.
    pub fn size(&self) -> u128 {
        self.host_mask().saturating_add(1)
    }

    /// Number of addresses as a float (exact enough for utilisation figures of any size).
    pub fn size_f64(&self) -> f64 {
        2f64.powi((self.bits() - self.prefix) as i32)
    }

    /// True when `ip` lies inside this network (same family).
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.is_ipv4() && {
            let v = ip_to_u128(ip);
            v >= self.first() && v <= self.last()
        }
    }

    /// True when `other` lies wholly inside this network.
    pub fn contains(&self, other: &Cidr) -> bool {
        other.is_ipv4() == self.is_ipv4()
            && other.prefix >= self.prefix
            && other.first() >= self.first()
            && other.last() <= self.last()
    }

    /// True when the two networks share at least one address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        other.is_ipv4() == self.is_ipv4()
            && self.first() <= other.last()
            && other.first() <= self.last()
    }

    /// The `n`-th address of the network (0 = the network address).
    pub fn nth(&self, n: u128) -> IpAddr {
        u128_to_ip(self.first().wrapping_add(n), self.version())
    }

    /// The offset of `ip` from the network address, if it lies inside.
    pub(crate) fn offset_of(&self, ip: IpAddr) -> Option<u128> {
        self.contains_ip(ip).then(|| ip_to_u128(ip) - self.first())
    }

    /// The network of length `prefix` (≥ ours) that holds `ip`.
    pub fn enclosing(ip: IpAddr, prefix: u8) -> Cidr {
        Cidr::new(ip, prefix)
            .unwrap_or_else(|_| Cidr::host(ip))
            .network()
    }

    /// The number of subnets of length `prefix` inside this network (saturating).
    pub fn subnet_count(&self, prefix: u8) -> u128 {
        if prefix < self.prefix {
            return 0;
        }
        let diff = (prefix - self.prefix) as u32;
        if diff >= 128 {
            u128::MAX
        } else {
            1u128 << diff
        }
    }

    /// The `i`-th subnet of length `prefix` inside this network.
    pub fn subnet(&self, prefix: u8, i: u128) -> Cidr {
        let host_bits = (self.bits() - prefix) as u32;
        let step = if host_bits >= 128 {
            0
        } else {
            1u128 << host_bits
        };
        Cidr {
            addr: u128_to_ip(
                self.first().wrapping_add(step.wrapping_mul(i)),
                self.version(),
            ),
            prefix,
        }
    }

    /// Calico's key form: the first `/` replaced by `-` (`10.65.12.64-26`).
    pub fn to_key_form(&self) -> String {
        format!("{}-{}", self.addr, self.prefix)
    }

    /// Parses the key form back (`10.65.12.64-26`).
    pub fn from_key_form(s: &str) -> Result<Cidr, CidrError> {
        match s.rsplit_once('-') {
            Some((ip, prefix)) => Cidr::parse(&format!("{ip}/{prefix}")),
            None => Err(CidrError(s.to_string())),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Cidr, CidrError> {
        Cidr::parse(s)
    }
}

impl serde::Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cidr, D::Error> {
        let s = String::deserialize(d)?;
        Cidr::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_mask() {
        let c = Cidr::parse("10.0.1.5/24").unwrap();
        assert!(!c.is_masked());
        assert_eq!(c.network().to_string(), "10.0.1.0/24");
        assert_eq!(c.size(), 256);
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("10.0.0.0/").is_err());
        assert!(Cidr::parse("10.0.0.0/+4").is_err());
        assert!(Cidr::parse("010.0.0.0/8").is_err());
        let v6 = Cidr::parse("fd00:10:244:0:0:0:0:0/122").unwrap();
        assert_eq!(v6.to_string(), "fd00:10:244::/122");
        assert_eq!(v6.to_key_form(), "fd00:10:244::-122");
        assert_eq!(Cidr::from_key_form("fd00:10:244::-122").unwrap(), v6);
    }

    #[test]
    fn arithmetic() {
        let pool = Cidr::parse("192.168.0.0/24").unwrap();
        assert_eq!(pool.subnet_count(26), 4);
        assert_eq!(pool.subnet(26, 3).to_string(), "192.168.0.192/26");
        let ip: IpAddr = "192.168.0.200".parse().unwrap();
        assert_eq!(Cidr::enclosing(ip, 26).to_string(), "192.168.0.192/26");
        assert_eq!(pool.offset_of(ip), Some(200));
        assert!(pool.overlaps(&Cidr::parse("192.168.0.128/25").unwrap()));
        assert!(!pool.overlaps(&Cidr::parse("192.168.1.0/24").unwrap()));
        assert!(!pool.overlaps(&Cidr::parse("::/0").unwrap()));
        let all6 = Cidr::parse("::/0").unwrap();
        assert_eq!(all6.size(), u128::MAX);
        assert!(all6.contains_ip("fe80::1".parse().unwrap()));
    }
}
