//! Node: a host running Calico. Its labels are what pool `nodeSelector`s match.

use super::validation::{ErroredField, ValidationError};
use super::{ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` Node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Always `Node`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name (the IPAM host name), labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Addresses and tunnel settings.
    #[serde(default)]
    pub spec: NodeSpec,
    /// Reported state (always emitted, as Go does).
    #[serde(default)]
    pub status: NodeStatus,
}

/// The spec of a [`Node`], in Calico's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// BGP settings; absent when the node runs no BGP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp: Option<NodeBgpSpec>,
    /// The node's IPv4 VXLAN tunnel address.
    #[serde(
        default,
        rename = "ipv4VXLANTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_vxlan_tunnel_addr: String,
    /// The VXLAN device's MAC.
    #[serde(
        default,
        rename = "vxlanTunnelMACAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub vxlan_tunnel_mac_addr: String,
    /// The node's IPv6 VXLAN tunnel address.
    #[serde(
        default,
        rename = "ipv6VXLANTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv6_vxlan_tunnel_addr: String,
    /// The IPv6 VXLAN device's MAC.
    #[serde(
        default,
        rename = "vxlanTunnelMACAddrV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub vxlan_tunnel_mac_addr_v6: String,
    /// Orchestrator references.
    #[serde(default, rename = "orchRefs", skip_serializing_if = "Vec::is_empty")]
    pub orch_refs: Vec<OrchRef>,
    /// WireGuard interface addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireguard: Option<NodeWireguardSpec>,
    /// The node's addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<NodeAddress>,
}

/// `spec.bgp` of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeBgpSpec {
    /// The node's AS number.
    #[serde(default, rename = "asNumber", skip_serializing_if = "Option::is_none")]
    pub as_number: Option<serde_json::Value>,
    /// IPv4 address with prefix length (`10.0.0.11/24`).
    #[serde(
        default,
        rename = "ipv4Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_address: String,
    /// IPv6 address with prefix length.
    #[serde(
        default,
        rename = "ipv6Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv6_address: String,
    /// The IPIP tunnel address.
    #[serde(
        default,
        rename = "ipv4IPIPTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_ipip_tunnel_addr: String,
    /// Route reflector cluster ID.
    #[serde(
        default,
        rename = "routeReflectorClusterID",
        skip_serializing_if = "String::is_empty"
    )]
    pub route_reflector_cluster_id: String,
}

impl NodeBgpSpec {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self == &NodeBgpSpec::default()
    }
}

/// An orchestrator reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrchRef {
    /// The orchestrator's node name.
    #[serde(default, rename = "nodeName", skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    /// The orchestrator (`k8s`).
    #[serde(default)]
    pub orchestrator: String,
}

/// `spec.wireguard` of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeWireguardSpec {
    /// IPv4 interface address.
    #[serde(
        default,
        rename = "interfaceIPv4Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub interface_ipv4_address: String,
    /// IPv6 interface address.
    #[serde(
        default,
        rename = "interfaceIPv6Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub interface_ipv6_address: String,
}

/// One address of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeAddress {
    /// The address.
    #[serde(default)]
    pub address: String,
    /// Its type (`InternalIP`, ...).
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub type_: String,
}

/// `status` of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeStatus {
    /// WireGuard public key.
    #[serde(
        default,
        rename = "wireguardPublicKey",
        skip_serializing_if = "String::is_empty"
    )]
    pub wireguard_public_key: String,
    /// WireGuard IPv6 public key.
    #[serde(
        default,
        rename = "wireguardPublicKeyV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub wireguard_public_key_v6: String,
    /// Pod CIDRs (informational).
    #[serde(default, rename = "podCIDRs", skip_serializing_if = "Vec::is_empty")]
    pub pod_cidrs: Vec<String>,
}

impl Node {
    /// A node with the given name and labels.
    pub fn new(name: &str) -> Node {
        let mut n = Node {
            metadata: ObjectMeta {
                name: name.to_string(),
                ..ObjectMeta::default()
            },
            ..Node::default()
        };
        n.set_type_meta();
        n
    }

    /// The tunnel addresses the node records, as written (IPIP, IPv4 and IPv6 VXLAN,
    /// WireGuard IPv4 and IPv6; unset ones left out).
    pub fn tunnel_addresses(&self) -> Vec<&str> {
        let s = &self.spec;
        let bgp = s.bgp.as_ref();
        let wg = s.wireguard.as_ref();
        [
            bgp.map_or("", |b| b.ipv4_ipip_tunnel_addr.as_str()),
            s.ipv4_vxlan_tunnel_addr.as_str(),
            s.ipv6_vxlan_tunnel_addr.as_str(),
            wg.map_or("", |w| w.interface_ipv4_address.as_str()),
            wg.map_or("", |w| w.interface_ipv6_address.as_str()),
        ]
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect()
    }
}

impl Resource for Node {
    const KIND: &'static str = "Node";
    const PLURAL: &'static str = "nodes";
    const NAMESPACED: bool = false;
    resource_basics!();

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        if let Some(bgp) = &self.spec.bgp {
            if bgp.is_empty() {
                errs.push(ErroredField::without_value(
                    "Spec.BGP",
                    "Spec.BGP should not be empty",
                ));
            }
            for (field, v) in [
                ("IPv4Address", &bgp.ipv4_address),
                ("IPv6Address", &bgp.ipv6_address),
            ] {
                if !v.is_empty() && super::Cidr::parse_ip_or_cidr(v).is_err() {
                    errs.push(ErroredField::tag(
                        field,
                        v,
                        if field == "IPv4Address" {
                            "omitempty,cidrv4"
                        } else {
                            "omitempty,cidrv6"
                        },
                    ));
                }
            }
        }
        ValidationError::check(errs)
    }
}
