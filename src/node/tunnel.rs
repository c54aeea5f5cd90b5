//! Tunnel addresses (calico-node's `allocateip`): the seam where the IPAM engine plugs in.
//!
//! Calico gives a node an address for each tunnel its pools need (IPIP, VXLAN, VXLAN over
//! IPv6, WireGuard), taken from the pools that allow `Tunnel` use and select the node, and
//! records it in the Node (`spec.bgp.ipv4IPIPTunnelAddr`, `spec.ipv4VXLANTunnelAddr`, ...).
//! Assigning and releasing those addresses is IPAM's job (`src/ipam`, written separately), so
//! the agent only sees the [`TunnelAddressAllocator`] trait. This module also holds the part
//! that is not IPAM: which pools are eligible for which tunnel ([`eligible_pools`]) and which
//! Node field each tunnel writes ([`TunnelType::node_field`]).
//!
//! SEAM(ipam): until the IPAM engine lands, the agent runs with [`NoIpam`], which changes
//! nothing and says so once in the log. The engine should provide a type implementing
//! [`TunnelAddressAllocator`] (following reference/calico-ipam-model.md §5.6, using
//! [`eligible_pools`] and handle `<type>-tunnel-addr-<node>`), and `node::main` should
//! construct it where it now constructs `NoIpam` (search for `SEAM(ipam)`).

use crate::datastore::api::{Client, ClientError};
use crate::model::{Cidr, IpPool, Node};

/// The kinds of tunnel address, in the order Calico allocates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TunnelType {
    /// WireGuard, IPv4.
    WireGuard,
    /// WireGuard, IPv6.
    WireGuardV6,
    /// IP-in-IP (IPv4 only).
    Ipip,
    /// VXLAN over IPv4.
    Vxlan,
    /// VXLAN over IPv6.
    VxlanV6,
}

impl TunnelType {
    /// Every type, in Calico's order.
    pub const ALL: [TunnelType; 5] = [
        TunnelType::WireGuard,
        TunnelType::WireGuardV6,
        TunnelType::Ipip,
        TunnelType::Vxlan,
        TunnelType::VxlanV6,
    ];

    /// The allocation attribute `type` and handle prefix Calico uses.
    pub fn attribute(self) -> &'static str {
        match self {
            TunnelType::WireGuard => "wireguardTunnelAddress",
            TunnelType::WireGuardV6 => "wireguardV6TunnelAddress",
            TunnelType::Ipip => "ipipTunnelAddress",
            TunnelType::Vxlan => "vxlanTunnelAddress",
            TunnelType::VxlanV6 => "vxlanV6TunnelAddress",
        }
    }

    /// The IPAM handle of this node's address of this type: `<type>-tunnel-addr-<node>`.
    pub fn handle(self, node: &str) -> String {
        let kind = match self {
            TunnelType::WireGuard => "wireguard",
            TunnelType::WireGuardV6 => "wireguard-v6",
            TunnelType::Ipip => "ipip",
            TunnelType::Vxlan => "vxlan",
            TunnelType::VxlanV6 => "vxlan-v6",
        };
        format!("{kind}-tunnel-addr-{node}")
    }

    /// 4 or 6.
    pub fn ip_version(self) -> u8 {
        match self {
            TunnelType::WireGuardV6 | TunnelType::VxlanV6 => 6,
            _ => 4,
        }
    }

    /// The Node field holding this address (JSON path, for messages).
    pub fn node_field_name(self) -> &'static str {
        match self {
            TunnelType::WireGuard => "spec.wireguard.interfaceIPv4Address",
            TunnelType::WireGuardV6 => "spec.wireguard.interfaceIPv6Address",
            TunnelType::Ipip => "spec.bgp.ipv4IPIPTunnelAddr",
            TunnelType::Vxlan => "spec.ipv4VXLANTunnelAddr",
            TunnelType::VxlanV6 => "spec.ipv6VXLANTunnelAddr",
        }
    }

    /// The address this Node records for this tunnel type ("" when none).
    pub fn node_field(self, node: &Node) -> &str {
        let s = &node.spec;
        match self {
            TunnelType::WireGuard => s
                .wireguard
                .as_ref()
                .map_or("", |w| w.interface_ipv4_address.as_str()),
            TunnelType::WireGuardV6 => s
                .wireguard
                .as_ref()
                .map_or("", |w| w.interface_ipv6_address.as_str()),
            TunnelType::Ipip => s
                .bgp
                .as_ref()
                .map_or("", |b| b.ipv4_ipip_tunnel_addr.as_str()),
            TunnelType::Vxlan => &s.ipv4_vxlan_tunnel_addr,
            TunnelType::VxlanV6 => &s.ipv6_vxlan_tunnel_addr,
        }
    }

    /// Sets (or with "" clears) the Node field, dropping `spec.bgp` / `spec.wireguard` when
    /// they become empty, as Calico does (an empty `spec.bgp` fails validation).
    pub fn set_node_field(self, node: &mut Node, value: &str) {
        let s = &mut node.spec;
        match self {
            TunnelType::WireGuard | TunnelType::WireGuardV6 => {
                let w = s.wireguard.get_or_insert_with(Default::default);
                if self == TunnelType::WireGuard {
                    w.interface_ipv4_address = value.to_string();
                } else {
                    w.interface_ipv6_address = value.to_string();
                }
                if w.interface_ipv4_address.is_empty() && w.interface_ipv6_address.is_empty() {
                    s.wireguard = None;
                }
            }
            TunnelType::Ipip => {
                let b = s.bgp.get_or_insert_with(Default::default);
                b.ipv4_ipip_tunnel_addr = value.to_string();
                if b.is_empty() {
                    s.bgp = None;
                }
            }
            TunnelType::Vxlan => s.ipv4_vxlan_tunnel_addr = value.to_string(),
            TunnelType::VxlanV6 => s.ipv6_vxlan_tunnel_addr = value.to_string(),
        }
    }
}

/// The pools a tunnel of type `kind` on `node` may take its address from (reference §5.6):
/// `Tunnel` allowed, not disabled or being deleted, the right family, the node selected by
/// `nodeSelector`, and IPIP needing `ipipMode` ≠ Never, VXLAN `vxlanMode` ≠ Never. WireGuard
/// takes any such pool, but only when the node has a public key of that family
/// (`wireguard_host_encryption` off is the caller's business). Pools come back in the order
/// given (etcd key order = name order, the order Calico tries them).
pub fn eligible_pools(pools: &[IpPool], node: &Node, kind: TunnelType) -> Vec<Cidr> {
    let has_key = match kind {
        TunnelType::WireGuard => !node.status.wireguard_public_key.is_empty(),
        TunnelType::WireGuardV6 => !node.status.wireguard_public_key_v6.is_empty(),
        _ => true,
    };
    if !has_key {
        return Vec::new();
    }
    pools
        .iter()
        .filter(|p| {
            p.allows(crate::model::ippool::USE_TUNNEL)
                && !p.spec.disabled
                && p.metadata.deletion_timestamp.is_none()
        })
        .filter(|p| match kind {
            TunnelType::Ipip => p.ipip_enabled(),
            TunnelType::Vxlan | TunnelType::VxlanV6 => p.vxlan_enabled(),
            TunnelType::WireGuard | TunnelType::WireGuardV6 => true,
        })
        .filter(|p| {
            let sel = if p.spec.node_selector.is_empty() {
                "all()"
            } else {
                p.spec.node_selector.as_str()
            };
            crate::selector::parse(sel).is_ok_and(|s| s.matches(&node.metadata.labels))
        })
        .filter_map(|p| p.cidr())
        .filter(|c| c.version() == kind.ip_version())
        .collect()
}

/// What one pass over the tunnel addresses did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TunnelReport {
    /// Human-readable lines for the log (`ipipTunnelAddress: assigned 10.65.3.0`).
    pub changes: Vec<String>,
    /// Why nothing was done, when nothing could be.
    pub skipped: Option<String>,
}

/// Why the tunnel addresses could not be brought up to date.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TunnelError {
    /// Reading or writing a resource failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// IPAM refused (`unable to assign an address: no IP pools provided`, ...).
    #[error("{0}")]
    Ipam(String),
}

/// SEAM(ipam): keeps a node's tunnel addresses in step with its pools (§5.6). Called at
/// start-up and on every resync; must be idempotent. Implemented by the IPAM engine.
pub trait TunnelAddressAllocator: Send + Sync {
    /// Brings `nodename`'s tunnel addresses (IPAM allocations and Node fields) up to date.
    fn reconcile(&self, client: &Client, nodename: &str) -> Result<TunnelReport, TunnelError>;
}

/// The allocator used while this build has no IPAM engine: touches nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIpam;

impl TunnelAddressAllocator for NoIpam {
    fn reconcile(&self, _client: &Client, _nodename: &str) -> Result<TunnelReport, TunnelError> {
        Ok(TunnelReport {
            changes: Vec::new(),
            skipped: Some("tunnel addresses not managed: this build has no IPAM engine".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(name: &str, cidr: &str, f: impl FnOnce(&mut IpPool)) -> IpPool {
        let mut p = IpPool::new(name, cidr);
        f(&mut p);
        p
    }

    fn node(labels: &[(&str, &str)]) -> Node {
        let mut n = Node::new("node-a");
        n.metadata.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        n
    }

    #[test]
    fn eligibility_follows_modes_uses_selectors_and_families() {
        let pools = [
            pool("a-ipip", "10.1.0.0/16", |p| {
                p.spec.ipip_mode = "Always".into()
            }),
            pool("b-vxlan", "10.2.0.0/16", |p| {
                p.spec.vxlan_mode = "CrossSubnet".into()
            }),
            pool("c-plain", "10.3.0.0/16", |_| {}),
            pool("d-ipip-rack1", "10.4.0.0/16", |p| {
                p.spec.ipip_mode = "Always".into();
                p.spec.node_selector = "rack == '1'".into();
            }),
            pool("e-ipip-workload-only", "10.5.0.0/16", |p| {
                p.spec.ipip_mode = "Always".into();
                p.spec.allowed_uses = vec!["Workload".into()];
            }),
            pool("f-ipip-disabled", "10.6.0.0/16", |p| {
                p.spec.ipip_mode = "Always".into();
                p.spec.disabled = true;
            }),
            pool("g-v6-vxlan", "fd00::/64", |p| {
                p.spec.vxlan_mode = "Always".into()
            }),
        ];
        let rack0 = node(&[("rack", "0")]);
        let rack1 = node(&[("rack", "1")]);
        let s = |v: Vec<Cidr>| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s(eligible_pools(&pools, &rack0, TunnelType::Ipip)),
            ["10.1.0.0/16"]
        );
        assert_eq!(
            s(eligible_pools(&pools, &rack1, TunnelType::Ipip)),
            ["10.1.0.0/16", "10.4.0.0/16"]
        );
        assert_eq!(
            s(eligible_pools(&pools, &rack0, TunnelType::Vxlan)),
            ["10.2.0.0/16"]
        );
        assert_eq!(
            s(eligible_pools(&pools, &rack0, TunnelType::VxlanV6)),
            ["fd00::/64"]
        );
        // WireGuard needs the node's public key.
        assert!(eligible_pools(&pools, &rack0, TunnelType::WireGuard).is_empty());
        let mut wg = rack0.clone();
        wg.status.wireguard_public_key = "key".into();
        assert_eq!(
            s(eligible_pools(&pools, &wg, TunnelType::WireGuard)),
            ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]
        );
    }

    #[test]
    fn node_fields_are_set_and_cleared_without_leaving_empty_structs() {
        let mut n = Node::new("node-a");
        TunnelType::Ipip.set_node_field(&mut n, "10.1.0.1");
        TunnelType::WireGuardV6.set_node_field(&mut n, "fd00::1");
        TunnelType::Vxlan.set_node_field(&mut n, "10.2.0.1");
        assert_eq!(TunnelType::Ipip.node_field(&n), "10.1.0.1");
        assert_eq!(TunnelType::WireGuardV6.node_field(&n), "fd00::1");
        assert_eq!(TunnelType::Vxlan.node_field(&n), "10.2.0.1");
        assert_eq!(TunnelType::WireGuard.node_field(&n), "");
        TunnelType::Ipip.set_node_field(&mut n, "");
        TunnelType::WireGuardV6.set_node_field(&mut n, "");
        assert!(n.spec.bgp.is_none());
        assert!(n.spec.wireguard.is_none());
        assert_eq!(
            TunnelType::VxlanV6.handle("node-a"),
            "vxlan-v6-tunnel-addr-node-a"
        );
    }
}
