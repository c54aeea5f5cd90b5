//! Tunnel addresses (calico-node's `allocateip`).
//!
//! Calico gives a node an address for each tunnel its pools need (IPIP, VXLAN, VXLAN over
//! IPv6, WireGuard), taken from the pools that allow `Tunnel` use and select the node, and
//! records it in the Node (`spec.bgp.ipv4IPIPTunnelAddr`, `spec.ipv4VXLANTunnelAddr`, ...).
//! The agent sees the [`TunnelAddressAllocator`] trait; [`IpamTunnels`] implements it on the
//! IPAM engine (handle `<type>-tunnel-addr-<node>`, attributes `node` and `type`, intended use
//! Tunnel, the eligible pools requested explicitly). [`NoIpam`] touches nothing (tests).
//! This module also says which pools are eligible for which tunnel ([`eligible_pools`]) and
//! which Node field each tunnel writes ([`TunnelType::node_field`]).

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
    pub(crate) const ALL: [TunnelType; 5] = [
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
    pub(crate) fn ip_version(self) -> u8 {
        match self {
            TunnelType::WireGuardV6 | TunnelType::VxlanV6 => 6,
            _ => 4,
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
    pub(crate) fn set_node_field(self, node: &mut Node, value: &str) {
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

/// Keeps a node's tunnel addresses in step with its pools (§5.6). Called at
/// start-up and on every resync; must be idempotent.
pub trait TunnelAddressAllocator: Send + Sync {
    /// Brings `nodename`'s tunnel addresses (IPAM allocations and Node fields) up to date.
    fn reconcile(&self, client: &Client, nodename: &str) -> Result<TunnelReport, TunnelError>;
}

/// An allocator that touches nothing (tests, and agents that must not allocate).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIpam;

impl TunnelAddressAllocator for NoIpam {
    fn reconcile(&self, _client: &Client, _nodename: &str) -> Result<TunnelReport, TunnelError> {
        Ok(TunnelReport {
            changes: Vec::new(),
            skipped: Some("tunnel addresses not managed".into()),
        })
    }
}

/// The real allocator: Calico's `allocateip` on the IPAM engine. Each tunnel address is
/// assigned (or released) in one transaction with the Node field that records it (a
/// [`Rider`](crate::ipam::Rider)), where Calico writes the address and then the Node.
#[derive(Debug, Clone, Copy, Default)]
pub struct IpamTunnels;

/// Writes the Node with `kind`'s field set to the address a transaction assigns (or cleared,
/// for a release) in that same transaction.
struct NodeRider<'c> {
    client: &'c Client,
    /// The Node as stored (with its resourceVersion).
    node: Node,
    kind: TunnelType,
    /// Clear the field (a release) rather than set it.
    clear: bool,
    reread: bool,
    pending: Option<Node>,
    /// A transaction carrying the Node committed.
    written: bool,
}

impl<'c> NodeRider<'c> {
    fn new(client: &'c Client, node: &Node, kind: TunnelType, clear: bool) -> NodeRider<'c> {
        NodeRider {
            client,
            node: node.clone(),
            kind,
            clear,
            reread: false,
            pending: None,
            written: false,
        }
    }
}

impl crate::ipam::Rider for NodeRider<'_> {
    fn writes(&mut self, assigned: &[Cidr]) -> crate::ipam::Result<Vec<crate::ipam::RiderWrite>> {
        use crate::datastore::api::Stored;
        if std::mem::take(&mut self.reread) {
            self.node = self.client.get(None, &self.node.metadata.name)?;
        }
        let mut node = self.node.clone();
        let value = match assigned.first() {
            Some(ip) if !self.clear => ip.addr().to_string(),
            _ => String::new(),
        };
        self.kind.set_node_field(&mut node, &value);
        let mut node = self.client.prepare_update_of(node, &self.node)?;
        let revision = self.node.metadata.resource_version.parse().unwrap_or(0);
        node.metadata.resource_version.clear();
        let write = crate::ipam::RiderWrite {
            key: Node::key(None, &node.metadata.name),
            revision,
            value: Some(node.encode()),
        };
        self.pending = Some(node);
        Ok(vec![write])
    }

    fn committed(&mut self, revision: i64) {
        if let Some(mut node) = self.pending.take() {
            node.metadata.resource_version = revision.to_string();
            self.node = node;
            self.written = true;
        }
    }

    fn conflicted(&mut self) {
        self.reread = true;
    }
}

impl IpamTunnels {
    /// One pass over the tunnel types. `node` is the Node as stored, kept current as the
    /// riders write it. Returns the changes, and whether `node` holds a change no
    /// transaction wrote (a field cleared after a release that found no handle), for the
    /// caller to write.
    fn pass(
        client: &Client,
        ipam: &crate::ipam::Ipam,
        node: &mut Node,
        pools: &[IpPool],
    ) -> Result<(Vec<String>, bool), TunnelError> {
        use crate::ipam::{AutoAssignRequest, IntendedUse, ReleaseOptions};
        let name = node.metadata.name.clone();
        let mut changes = Vec::new();
        let mut unwritten = false;
        for kind in TunnelType::ALL {
            let eligible = eligible_pools(pools, node, kind);
            let current = kind.node_field(node).to_string();
            let handle = kind.handle(&name);
            if eligible.is_empty() {
                if !current.is_empty() {
                    let mut rider = NodeRider::new(client, node, kind, true);
                    match ipam.release_by_handle_with(&handle, Some(&mut rider)) {
                        Ok(()) => {}
                        Err(e) if e.is_not_found() => {
                            if let Some(ip) = crate::model::cidr::parse_ip(&current) {
                                let _ = ipam.release_ips(&[ReleaseOptions::ip(ip)]);
                            }
                        }
                        Err(e) => return Err(TunnelError::Ipam(e.to_string())),
                    }
                    if rider.written {
                        *node = rider.node;
                    } else {
                        kind.set_node_field(node, "");
                        unwritten = true;
                    }
                    changes.push(format!("{}: released {current}", kind.attribute()));
                }
                continue;
            }
            let keep = crate::model::cidr::parse_ip(&current).is_some_and(|ip| {
                eligible.iter().any(|c| c.contains_ip(ip))
                    && ipam.get_assignment_attributes(ip).is_ok_and(|a| {
                        a.attrs.get("type").map(String::as_str) == Some(kind.attribute())
                            && a.attrs.get("node") == Some(&name)
                    })
            });
            if keep {
                changes.extend(Self::release_strays(client, ipam, &name, kind)?);
                continue;
            }
            match ipam.release_by_handle(&handle) {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(TunnelError::Ipam(e.to_string())),
            }
            let attrs = [
                ("node".to_string(), name.clone()),
                ("type".to_string(), kind.attribute().to_string()),
            ]
            .into();
            let v4 = kind.ip_version() == 4;
            let req = AutoAssignRequest {
                num4: usize::from(v4),
                num6: usize::from(!v4),
                handle_id: Some(handle.clone()),
                attrs,
                hostname: name.clone(),
                ipv4_pools: if v4 { eligible.clone() } else { vec![] },
                ipv6_pools: if v4 { vec![] } else { eligible.clone() },
                intended_use: IntendedUse::Tunnel,
                ..AutoAssignRequest::default()
            };
            let mut rider = NodeRider::new(client, node, kind, false);
            let result = ipam
                .auto_assign_with(&req, Some(&mut rider))
                .map_err(|e| TunnelError::Ipam(e.to_string()))?;
            if rider.written {
                *node = rider.node;
            }
            let ip = result.ips().first().map(Cidr::addr).ok_or_else(|| {
                TunnelError::Ipam(format!(
                    "failed to allocate an address for {}: no IPs available in pools {:?}",
                    kind.attribute(),
                    eligible.iter().map(ToString::to_string).collect::<Vec<_>>()
                ))
            })?;
            changes.push(format!("{}: assigned {ip}", kind.attribute()));
            changes.extend(Self::release_strays(client, ipam, &name, kind)?);
        }
        Ok((changes, unwritten))
    }

    /// Releases what `kind`'s handle holds besides the address the Node records (read
    /// afresh): two passes for one node at once (a `--once` beside the daemon) each assign
    /// an address under the handle, and the Node keeps the later. Each release is guarded by
    /// the handle, so an address handed on since is left alone.
    fn release_strays(
        client: &Client,
        ipam: &crate::ipam::Ipam,
        name: &str,
        kind: TunnelType,
    ) -> Result<Vec<String>, TunnelError> {
        use crate::ipam::ReleaseOptions;
        let handle = kind.handle(name);
        let held = match ipam.ips_by_handle(&handle) {
            Ok(ips) => ips,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(TunnelError::Ipam(e.to_string())),
        };
        if held.len() < 2 {
            return Ok(Vec::new());
        }
        let node: Node = client.get(None, name)?;
        let recorded = crate::model::cidr::parse_ip(kind.node_field(&node));
        let strays: Vec<ReleaseOptions> = held
            .into_iter()
            .filter(|ip| Some(*ip) != recorded)
            .map(|ip| ReleaseOptions {
                handle: Some(handle.clone()),
                ..ReleaseOptions::ip(ip)
            })
            .collect();
        ipam.release_ips(&strays)
            .map_err(|e| TunnelError::Ipam(e.to_string()))?;
        Ok(strays
            .iter()
            .map(|r| format!("{}: released stray {}", kind.attribute(), r.address))
            .collect())
    }
}

impl TunnelAddressAllocator for IpamTunnels {
    fn reconcile(&self, client: &Client, nodename: &str) -> Result<TunnelReport, TunnelError> {
        let ipam = crate::ipam::Ipam::new(client.clone());
        for _ in 0..5 {
            let mut node: Node = client.get(None, nodename)?;
            let pools = client.list::<IpPool>(None)?.items;
            let (changes, unwritten) = Self::pass(client, &ipam, &mut node, &pools)?;
            // What the riders wrote is stored; only a field cleared without a transaction
            // (its address had no handle) is left to write.
            if !unwritten {
                return Ok(TunnelReport {
                    changes,
                    skipped: None,
                });
            }
            match client.update(node) {
                Ok(_) => {
                    return Ok(TunnelReport {
                        changes,
                        skipped: None,
                    });
                }
                // Someone else wrote the Node: a new pass sees what they wrote.
                Err(ClientError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(TunnelError::Ipam(format!(
            "update conflict: Node({nodename})"
        )))
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

    #[test]
    fn ipam_tunnels_assign_keep_and_release() {
        use crate::datastore::memory::MemoryStore;
        let client = Client::new(std::sync::Arc::new(MemoryStore::new()));
        let mut n = Node::new("node-a");
        n.metadata.labels.insert("rack".into(), "0".into());
        client.create(n).unwrap();
        let mut p = IpPool::new("ipip", "10.70.0.0/24");
        p.spec.ipip_mode = "Always".into();
        client.create(p).unwrap();
        let ipam = crate::ipam::Ipam::new(client.clone());
        ipam.get_config().unwrap();
        let mod_revision = |key: &str| client.store().get(key).unwrap().unwrap().mod_revision;
        let node_key = <Node as crate::datastore::api::Stored>::key(None, "node-a");
        let before = client.store().revision().unwrap();
        let r = IpamTunnels.reconcile(&client, "node-a").unwrap();
        assert_eq!(r.changes.len(), 1, "{r:?}");
        let node: Node = client.get(None, "node-a").unwrap();
        let addr = TunnelType::Ipip.node_field(&node).to_string();
        let ip: std::net::IpAddr = addr.parse().unwrap();
        assert!(Cidr::parse("10.70.0.0/24").unwrap().contains_ip(ip));
        // The address and the Node field that records it: one transaction.
        let block = crate::datastore::keys::block(&Cidr::enclosing(ip, 26));
        assert_eq!(client.store().revision().unwrap(), before + 1);
        assert_eq!(mod_revision(&node_key), mod_revision(&block));
        let attrs = ipam.get_assignment_attributes(ip).unwrap();
        assert_eq!(attrs.handle_id.as_deref(), Some("ipip-tunnel-addr-node-a"));
        let block_revision = mod_revision(&block);
        assert_eq!(
            attrs.attrs.get("type").map(String::as_str),
            Some("ipipTunnelAddress")
        );
        // A second pass keeps the address.
        assert!(
            IpamTunnels
                .reconcile(&client, "node-a")
                .unwrap()
                .changes
                .is_empty()
        );
        assert_eq!(mod_revision(&block), block_revision, "kept, not rewritten");
        // IPIP off: the address is released and the field cleared, in one transaction.
        let mut pool: IpPool = client.get(None, "ipip").unwrap();
        pool.spec.ipip_mode = "Never".into();
        client.update(pool).unwrap();
        let before = client.store().revision().unwrap();
        IpamTunnels.reconcile(&client, "node-a").unwrap();
        assert_eq!(client.store().revision().unwrap(), before + 1);
        let node: Node = client.get(None, "node-a").unwrap();
        assert_eq!(TunnelType::Ipip.node_field(&node), "");
        assert!(node.spec.bgp.is_none());
        assert!(
            ipam.get_assignment_attributes(ip)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn a_second_address_under_the_handle_is_released_by_the_next_pass() {
        use crate::datastore::memory::MemoryStore;
        use crate::ipam::AutoAssignRequest;
        let client = Client::new(std::sync::Arc::new(MemoryStore::new()));
        client.create(Node::new("node-a")).unwrap();
        let mut p = IpPool::new("vx", "10.71.0.0/24");
        p.spec.vxlan_mode = "Always".into();
        client.create(p).unwrap();
        let ipam = crate::ipam::Ipam::new(client.clone());
        IpamTunnels.reconcile(&client, "node-a").unwrap();
        let node: Node = client.get(None, "node-a").unwrap();
        let recorded: std::net::IpAddr = TunnelType::Vxlan.node_field(&node).parse().unwrap();
        // What a concurrent pass for the same node leaves: a second address under the
        // handle, which the Node does not record.
        let handle = TunnelType::Vxlan.handle("node-a");
        let stray = ipam
            .auto_assign(&AutoAssignRequest {
                num4: 1,
                handle_id: Some(handle.clone()),
                hostname: "node-a".into(),
                ..AutoAssignRequest::default()
            })
            .unwrap()
            .ips()[0]
            .addr();
        assert_eq!(ipam.ips_by_handle(&handle).unwrap().len(), 2);
        let r = IpamTunnels.reconcile(&client, "node-a").unwrap();
        assert_eq!(
            r.changes,
            [format!("vxlanTunnelAddress: released stray {stray}")]
        );
        assert_eq!(ipam.ips_by_handle(&handle).unwrap(), [recorded]);
        let node: Node = client.get(None, "node-a").unwrap();
        assert_eq!(TunnelType::Vxlan.node_field(&node), recorded.to_string());
    }
}
