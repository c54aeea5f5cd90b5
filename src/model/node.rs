//! Node: a host running Calico. Its labels are what pool `nodeSelector`s match.

use super::gotypes::{self, Basic, GoType, STRING, STRINGS, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` Node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    pub(crate) ipv4_vxlan_tunnel_addr: String,
    /// The VXLAN device's MAC.
    #[serde(
        default,
        rename = "vxlanTunnelMACAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) vxlan_tunnel_mac_addr: String,
    /// The node's IPv6 VXLAN tunnel address.
    #[serde(
        default,
        rename = "ipv6VXLANTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) ipv6_vxlan_tunnel_addr: String,
    /// The IPv6 VXLAN device's MAC.
    #[serde(
        default,
        rename = "vxlanTunnelMACAddrV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) vxlan_tunnel_mac_addr_v6: String,
    /// Orchestrator references.
    #[serde(default, rename = "orchRefs", skip_serializing_if = "Vec::is_empty")]
    pub(crate) orch_refs: Vec<OrchRef>,
    /// WireGuard interface addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireguard: Option<NodeWireguardSpec>,
    /// The node's addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<NodeAddress>,
}

/// `spec.bgp` of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeBgpSpec {
    /// The node's AS number.
    #[serde(default, rename = "asNumber", skip_serializing_if = "Option::is_none")]
    pub(crate) as_number: Option<serde_json::Value>,
    /// IPv4 address with prefix length (`10.0.0.11/24`).
    #[serde(
        default,
        rename = "ipv4Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) ipv4_address: String,
    /// IPv6 address with prefix length.
    #[serde(
        default,
        rename = "ipv6Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) ipv6_address: String,
    /// The IPIP tunnel address.
    #[serde(
        default,
        rename = "ipv4IPIPTunnelAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) ipv4_ipip_tunnel_addr: String,
    /// Route reflector cluster ID.
    #[serde(
        default,
        rename = "routeReflectorClusterID",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) route_reflector_cluster_id: String,
}

impl NodeBgpSpec {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self == &NodeBgpSpec::default()
    }
}

/// An orchestrator reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct OrchRef {
    /// The orchestrator's node name.
    #[serde(default, rename = "nodeName", skip_serializing_if = "String::is_empty")]
    pub(crate) node_name: String,
    /// The orchestrator (`k8s`).
    #[serde(default)]
    pub orchestrator: String,
}

/// `spec.wireguard` of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeWireguardSpec {
    /// IPv4 interface address.
    #[serde(
        default,
        rename = "interfaceIPv4Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) interface_ipv4_address: String,
    /// IPv6 interface address.
    #[serde(
        default,
        rename = "interfaceIPv6Address",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) interface_ipv6_address: String,
}

/// One address of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeAddress {
    /// The address.
    #[serde(default)]
    pub address: String,
    /// Its type (`InternalIP`, ...).
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub(crate) type_: String,
}

/// `status` of a [`Node`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// WireGuard public key.
    #[serde(
        default,
        rename = "wireguardPublicKey",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) wireguard_public_key: String,
    /// WireGuard IPv6 public key.
    #[serde(
        default,
        rename = "wireguardPublicKeyV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) wireguard_public_key_v6: String,
    /// Pod CIDRs (informational).
    #[serde(default, rename = "podCIDRs", skip_serializing_if = "Vec::is_empty")]
    pub(crate) pod_cidrs: Vec<String>,
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
    pub(crate) fn tunnel_addresses(&self) -> Vec<&str> {
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
    const ALIASES: &'static [&'static str] = &["node", "nodes", "no", "nos"];
    const COLUMNS: Columns = Columns {
        ps: &["NAME"],
        wide: &["NAME", "ASN", "IPV4", "IPV6"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("spec.bgp", "NodeBGPSpec"),
        ("spec.orchRefs", "OrchRef"),
        ("spec.wireguard", "NodeWireguardSpec"),
        ("spec.addresses", "NodeAddress"),
    ];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new("spec.bgp", "v3.NodeBGPSpec"),
        GoField::new("spec.wireguard", "v3.NodeWireguardSpec"),
        GoField::list("spec.orchRefs", "[]v3.OrchRef", "v3.OrchRef"),
        GoField::list("spec.addresses", "[]v3.NodeAddress", "v3.NodeAddress"),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        self.cell_in(heading, &|_| "64512".to_string())
    }

    /// ASN: the node's own AS number, else the global one in parentheses (calicoctl's
    /// `({{config "asnumber"}})`), empty without `spec.bgp`.
    fn cell_in(&self, heading: &str, config: &dyn Fn(&str) -> String) -> Option<String> {
        let bgp = self.spec.bgp.as_ref();
        Some(match heading {
            "ASN" => match bgp {
                None => String::new(),
                Some(b) => match &b.as_number {
                    Some(v) => v.as_u64().map_or_else(|| v.to_string(), |n| n.to_string()),
                    None => format!("({})", config("asnumber")),
                },
            },
            "IPV4" => bgp.map(|b| b.ipv4_address.clone()).unwrap_or_default(),
            "IPV6" => bgp.map(|b| b.ipv6_address.clone()).unwrap_or_default(),
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        // Field checks in Go's field order, then NodeSpec's struct-level check, as Calico's
        // validator walks the struct.
        let spec = &self.spec;
        let mut fields: Vec<(&str, &str, AddressTag)> = Vec::new();
        if let Some(bgp) = &spec.bgp {
            errs.extend(as_number_error("ASNumber", &bgp.as_number));
            fields.extend([
                ("IPv4Address", bgp.ipv4_address.as_str(), AddressTag::CidrV4),
                ("IPv6Address", &bgp.ipv6_address, AddressTag::CidrV6),
                (
                    "IPv4IPIPTunnelAddr",
                    &bgp.ipv4_ipip_tunnel_addr,
                    AddressTag::Ipv4,
                ),
                (
                    "RouteReflectorClusterID",
                    &bgp.route_reflector_cluster_id,
                    AddressTag::Ipv4,
                ),
            ]);
        }
        fields.extend([
            (
                "IPv4VXLANTunnelAddr",
                spec.ipv4_vxlan_tunnel_addr.as_str(),
                AddressTag::Ipv4,
            ),
            (
                "IPv6VXLANTunnelAddr",
                &spec.ipv6_vxlan_tunnel_addr,
                AddressTag::Ipv6,
            ),
        ]);
        if let Some(wg) = &spec.wireguard {
            fields.extend([
                (
                    "InterfaceIPv4Address",
                    wg.interface_ipv4_address.as_str(),
                    AddressTag::Ipv4,
                ),
                (
                    "InterfaceIPv6Address",
                    &wg.interface_ipv6_address,
                    AddressTag::Ipv6,
                ),
            ]);
        }
        for (field, value, tag) in fields {
            if !value.is_empty() && !tag.accepts(value) {
                errs.push(ErroredField::tag(field, value, tag.name()));
            }
        }
        if spec.bgp.as_ref().is_some_and(NodeBgpSpec::is_empty) {
            errs.push(ErroredField::without_value(
                "Spec.BGP",
                "Spec.BGP should not be empty",
            ));
        }
        ValidationError::check(errs)
    }
}

/// The address checks Calico's validator runs on a Node's fields (all `omitempty`).
#[derive(Clone, Copy)]
enum AddressTag {
    /// An IPv4 address or CIDR, host bits allowed.
    CidrV4,
    /// An IPv6 address or CIDR, host bits allowed.
    CidrV6,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
}

impl AddressTag {
    /// The tag as go-playground reports it.
    fn name(self) -> &'static str {
        match self {
            AddressTag::CidrV4 => "cidrv4",
            AddressTag::CidrV6 => "cidrv6",
            AddressTag::Ipv4 => "ipv4",
            AddressTag::Ipv6 => "ipv6",
        }
    }

    fn accepts(self, value: &str) -> bool {
        // Go counts an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as IPv4.
        let version = |ip: std::net::IpAddr| match ip {
            std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => 6,
            _ => 4,
        };
        match self {
            AddressTag::CidrV4 | AddressTag::CidrV6 => {
                let want = if matches!(self, AddressTag::CidrV4) {
                    4
                } else {
                    6
                };
                super::Cidr::parse_ip_or_cidr(value).is_ok_and(|c| version(c.addr()) == want)
            }
            AddressTag::Ipv4 => super::cidr::parse_ip(value).is_some_and(|ip| version(ip) == 4),
            AddressTag::Ipv6 => super::cidr::parse_ip(value).is_some_and(|ip| version(ip) == 6),
        }
    }
}

/// An AS number as Calico's `numorstring.ASNumber` reads it: a 32-bit unsigned number, or a
/// string holding one, in plain (`"64512"`) or asdot (`"1.10"` = 65546) notation. The error
/// is Calico's wording, for any value it cannot read.
pub(crate) fn as_number(value: &serde_json::Value) -> Result<u32, String> {
    let invalid = |text: &str| format!("invalid AS Number format ({text})");
    let digits = |s: &str, max: u64| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    match value {
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| invalid(&n.to_string())),
        serde_json::Value::String(s) => {
            if let Some(n) = digits(s, u64::from(u32::MAX)) {
                return Ok(n as u32);
            }
            match s.split('.').collect::<Vec<_>>().as_slice() {
                [high, low] => match (digits(high, 0xffff), digits(low, 0xffff)) {
                    (Some(h), Some(l)) => Ok(((h << 16) + l) as u32),
                    _ => Err(invalid(s)),
                },
                _ => Err(invalid(s)),
            }
        }
        other => Err(invalid(&other.to_string())),
    }
}

/// An AS number field whose value does not read, reported under `field` in the words of
/// Calico's decoder.
pub(crate) fn as_number_error(
    field: &str,
    value: &Option<serde_json::Value>,
) -> Option<ErroredField> {
    let v = value.as_ref()?;
    let reason = as_number(v).err()?;
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(ErroredField::new(field, text, reason))
}

// Node (libcalico-go/lib/apis/v3/node.go).
gotypes::go_kind!(
    "v3.Node",
    "v3.NodeList",
    f("Spec", "spec", &GoType::Struct(&GO_SPEC)),
    f(
        "Status",
        "status",
        &GoType::Struct(&StructType {
            name: "v3.NodeStatus",
            fields: &[
                f("WireguardPublicKey", "wireguardPublicKey", &STRING),
                f("WireguardPublicKeyV6", "wireguardPublicKeyV6", &STRING),
                f("PodCIDRs", "podCIDRs", &STRINGS),
            ],
        })
    ),
);
static GO_SPEC: StructType = StructType {
    name: "v3.NodeSpec",
    fields: &[
        f(
            "BGP",
            "bgp",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.NodeBGPSpec",
                fields: &[
                    f(
                        "ASNumber",
                        "asNumber",
                        &GoType::Ptr(&GoType::Scalar("numorstring.ASNumber", Basic::Uint)),
                    ),
                    f("IPv4Address", "ipv4Address", &STRING),
                    f("IPv6Address", "ipv6Address", &STRING),
                    f("IPv4IPIPTunnelAddr", "ipv4IPIPTunnelAddr", &STRING),
                    f(
                        "RouteReflectorClusterID",
                        "routeReflectorClusterID",
                        &STRING,
                    ),
                ],
            })),
        ),
        f("IPv4VXLANTunnelAddr", "ipv4VXLANTunnelAddr", &STRING),
        f("VXLANTunnelMACAddr", "vxlanTunnelMACAddr", &STRING),
        f("IPv6VXLANTunnelAddr", "ipv6VXLANTunnelAddr", &STRING),
        f("VXLANTunnelMACAddrV6", "vxlanTunnelMACAddrV6", &STRING),
        f(
            "OrchRefs",
            "orchRefs",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.OrchRef",
                fields: &[
                    f("NodeName", "nodeName", &STRING),
                    f("Orchestrator", "orchestrator", &STRING),
                ],
            })),
        ),
        f(
            "Wireguard",
            "wireguard",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.NodeWireguardSpec",
                fields: &[
                    f("InterfaceIPv4Address", "interfaceIPv4Address", &STRING),
                    f("InterfaceIPv6Address", "interfaceIPv6Address", &STRING),
                ],
            })),
        ),
        f(
            "Addresses",
            "addresses",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.NodeAddress",
                fields: &[f("Address", "address", &STRING), f("Type", "type", &STRING)],
            })),
        ),
        f(
            "Interfaces",
            "interfaces",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.NodeInterface",
                fields: &[
                    f("Name", "name", &STRING),
                    f("Addresses", "addresses", &STRINGS),
                ],
            })),
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn as_numbers_read_as_calico_reads_them() {
        assert_eq!(as_number(&json!(64512)), Ok(64512));
        assert_eq!(as_number(&json!("64512")), Ok(64512));
        assert_eq!(as_number(&json!("1.10")), Ok(65546));
        assert_eq!(as_number(&json!(4294967295u64)), Ok(u32::MAX));
        for bad in [
            json!("abc"),
            json!(-5),
            json!(1.5),
            json!(4294967296u64),
            json!("+5"),
            json!("1.65536"),
            json!("1.2.3"),
            json!(true),
        ] {
            assert!(as_number(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            as_number(&json!("abc")).unwrap_err(),
            "invalid AS Number format (abc)"
        );
    }

    #[test]
    fn address_fields_report_only_the_failing_tag() {
        let mut n = Node::new("n");
        n.spec.bgp = Some(NodeBgpSpec {
            ipv4_address: "fd00::1/64".into(),
            ..NodeBgpSpec::default()
        });
        assert_eq!(
            n.validate().unwrap_err().to_string(),
            "error with field IPv4Address = 'fd00::1/64' (Reason: failed to validate Field: IPv4Address because of Tag: cidrv4 )"
        );
        n.spec.bgp = Some(NodeBgpSpec {
            ipv4_address: "10.0.0.1".into(),
            ipv4_ipip_tunnel_addr: "::ffff:10.0.0.2".into(),
            ..NodeBgpSpec::default()
        });
        n.spec.ipv6_vxlan_tunnel_addr = "fd00::2".into();
        assert!(n.validate().is_ok());
    }
}
