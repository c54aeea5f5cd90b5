//! The Calico v1 API (`apiVersion: v1`, libcalico-go `lib/apis/v1`) as calicoctl v3.31's
//! `convert` reads it: the kinds it registers, decoded strictly, then checked by libcalico-go's
//! v1 validator (`lib/validator/v1`), in its words.

use crate::model::decode::{DecodeError, decode_document};
// v1's `EndpointPort` has v3's fields, JSON names and defaults.
use crate::model::hostendpoint::EndpointPort;
use crate::model::numorstring::{Port, Protocol};
use crate::model::validation::{ErroredField, ValidationError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

mod validate;
use validate::values_read;
pub(super) use validate::{all_nets, parse_ip, parse_net};

/// A v1 resource, decoded.
pub(super) enum V1 {
    BgpPeer(BgpPeer),
    IpPool(IpPoolDoc),
    HostEndpoint(HostEndpoint),
    Node(NodeDoc),
    Policy(Policy),
    Profile(Profile),
    WorkloadEndpoint(WorkloadEndpoint),
}

/// The kinds calicoctl's resource loader registers for `apiVersion: v1` (matched exactly).
const V1_KINDS: [&str; 7] = [
    "bgpPeer",
    "ipPool",
    "hostEndpoint",
    "node",
    "policy",
    "profile",
    "workloadEndpoint",
];

/// Is `(kind, apiVersion)` one of the types calicoctl's convert loads?
pub(super) fn known_type(kind: &str, api_version: &str) -> bool {
    (api_version == "v1" && (V1_KINDS.contains(&kind) || kind == "List"))
        || (api_version == "networking.k8s.io/v1" && kind == "NetworkPolicy")
}

fn decode<T: DeserializeOwned>(v: &Value, go_kind: &'static str) -> Result<T, String> {
    decode_document(v.clone(), go_kind, true).map_err(|e| match e {
        DecodeError::Other(m) => m,
        other => other.to_string(),
    })
}

/// Decodes and validates one v1 document of a known v1 kind.
pub(super) fn load(kind: &str, v: &Value) -> Result<V1, String> {
    let res = match kind {
        "bgpPeer" => V1::BgpPeer(decode(v, "BGPPeer")?),
        "hostEndpoint" => V1::HostEndpoint(decode(v, "HostEndpoint")?),
        "policy" => V1::Policy(decode(v, "Policy")?),
        "profile" => V1::Profile(decode(v, "Profile")?),
        "workloadEndpoint" => V1::WorkloadEndpoint(decode(v, "WorkloadEndpoint")?),
        "ipPool" => V1::IpPool(decode(v, "IPPool")?),
        _ => V1::Node(decode(v, "Node")?),
    };
    values_read(&res)?;
    let mut errs = Vec::new();
    match &res {
        V1::BgpPeer(p) => p.check(&mut errs),
        V1::HostEndpoint(h) => h.check(&mut errs),
        V1::Policy(p) => p.check(&mut errs),
        V1::Profile(p) => p.check(&mut errs),
        V1::WorkloadEndpoint(w) => w.check(&mut errs),
        V1::IpPool(p) => p.check(&mut errs),
        V1::Node(n) => n.check(&mut errs),
    }
    ValidationError::check(errs).map_err(|e| e.to_string())?;
    Ok(res)
}

/// A v1 document: type, metadata and spec.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Doc<M, S> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    pub(super) metadata: M,
    pub(super) spec: S,
}

/// v1 `ipPool`.
pub(super) type IpPoolDoc = Doc<IpPoolMeta, IpPoolSpec>;
/// v1 `node`.
pub(super) type NodeDoc = Doc<NodeMeta, NodeSpec>;

#[derive(Deserialize, Default)]
pub(super) struct IpPoolMeta {
    #[serde(default)]
    pub(super) cidr: String,
}

#[derive(Deserialize, Default)]
pub(super) struct IpPoolSpec {
    #[serde(default)]
    pub(super) ipip: Option<IpIp>,
    #[serde(default, rename = "nat-outgoing")]
    pub(super) nat_outgoing: bool,
    #[serde(default)]
    pub(super) disabled: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct IpIp {
    #[serde(default)]
    pub(super) enabled: bool,
    #[serde(default)]
    pub(super) mode: String,
}

#[derive(Deserialize, Default)]
pub(super) struct NodeMeta {
    #[serde(default)]
    pub(super) name: String,
}

#[derive(Deserialize, Default)]
pub(super) struct NodeSpec {
    #[serde(default)]
    pub(super) bgp: Option<NodeBgp>,
    #[serde(default, rename = "orchRefs")]
    pub(super) orch_refs: Vec<OrchRef>,
}

#[derive(Deserialize, Default)]
pub(super) struct NodeBgp {
    #[serde(default, rename = "asNumber")]
    pub(super) as_number: Option<Value>,
    #[serde(default, rename = "ipv4Address")]
    pub(super) ipv4_address: Option<String>,
    #[serde(default, rename = "ipv6Address")]
    pub(super) ipv6_address: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct OrchRef {
    #[serde(default, rename = "nodeName")]
    pub(super) node_name: String,
    #[serde(default)]
    pub(super) orchestrator: String,
}

/// v1 `bgpPeer`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BgpPeer {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    pub(super) metadata: BgpPeerMeta,
    pub(super) spec: BgpPeerSpec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BgpPeerMeta {
    pub(super) scope: String,
    pub(super) node: String,
    #[serde(rename = "peerIP")]
    pub(super) peer_ip: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BgpPeerSpec {
    #[serde(rename = "asNumber")]
    pub(super) as_number: Option<Value>,
}

/// v1 `hostEndpoint`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct HostEndpoint {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    pub(super) metadata: EndpointMeta,
    pub(super) spec: HostEndpointSpec,
}

/// The metadata of the endpoint kinds (a host endpoint has no workload or orchestrator).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct EndpointMeta {
    pub(super) name: String,
    pub(super) node: String,
    pub(super) labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct HostEndpointSpec {
    #[serde(rename = "interfaceName")]
    pub(super) interface_name: String,
    #[serde(rename = "expectedIPs")]
    pub(super) expected_ips: Vec<String>,
    pub(super) profiles: Vec<String>,
    pub(super) ports: Vec<EndpointPort>,
}

/// v1 `workloadEndpoint`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WorkloadEndpoint {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    pub(super) metadata: WorkloadMeta,
    pub(super) spec: WorkloadSpec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WorkloadMeta {
    pub(super) name: String,
    pub(super) workload: String,
    pub(super) orchestrator: String,
    pub(super) node: String,
    #[serde(rename = "activeInstanceID")]
    pub(super) active_instance_id: String,
    pub(super) labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WorkloadSpec {
    #[serde(rename = "ipNetworks")]
    pub(super) ip_networks: Vec<String>,
    #[serde(rename = "ipNATs")]
    pub(super) ip_nats: Vec<IpNat>,
    #[serde(rename = "ipv4Gateway")]
    pub(super) ipv4_gateway: Option<String>,
    #[serde(rename = "ipv6Gateway")]
    pub(super) ipv6_gateway: Option<String>,
    pub(super) profiles: Vec<String>,
    #[serde(rename = "interfaceName")]
    pub(super) interface_name: String,
    pub(super) mac: Option<String>,
    pub(super) ports: Vec<EndpointPort>,
    #[serde(rename = "allow_spoofed_source_prefixes")]
    pub(super) allow_spoofed_source_prefixes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct IpNat {
    #[serde(rename = "internalIP")]
    pub(super) internal_ip: String,
    #[serde(rename = "externalIP")]
    pub(super) external_ip: String,
}

/// v1 `policy`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Policy {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    pub(super) metadata: PolicyMeta,
    pub(super) spec: PolicySpec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PolicyMeta {
    pub(super) name: String,
    pub(super) tier: String,
    pub(super) annotations: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PolicySpec {
    pub(super) order: Option<f64>,
    pub(super) ingress: Vec<Rule>,
    pub(super) egress: Vec<Rule>,
    pub(super) selector: String,
    #[serde(rename = "doNotTrack")]
    pub(super) do_not_track: bool,
    #[serde(rename = "preDNAT")]
    pub(super) pre_dnat: bool,
    pub(super) types: Vec<String>,
}

/// v1 `profile`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Profile {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    pub(super) metadata: ProfileMeta,
    pub(super) spec: ProfileSpec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ProfileMeta {
    pub(super) name: String,
    pub(super) tags: Vec<String>,
    pub(super) labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ProfileSpec {
    pub(super) ingress: Vec<Rule>,
    pub(super) egress: Vec<Rule>,
}

/// v1 `Rule`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Rule {
    pub(super) action: String,
    #[serde(rename = "ipVersion")]
    pub(super) ip_version: Option<i64>,
    pub(super) protocol: Option<Protocol>,
    pub(super) icmp: Option<Icmp>,
    #[serde(rename = "notProtocol")]
    pub(super) not_protocol: Option<Protocol>,
    #[serde(rename = "notICMP")]
    pub(super) not_icmp: Option<Icmp>,
    pub(super) source: Entity,
    pub(super) destination: Entity,
}

/// v1 `ICMPFields`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Icmp {
    #[serde(rename = "type")]
    pub(super) icmp_type: Option<i64>,
    pub(super) code: Option<i64>,
}

/// v1 `EntityRule`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Entity {
    pub(super) tag: String,
    pub(super) net: Option<String>,
    pub(super) nets: Vec<String>,
    pub(super) selector: String,
    pub(super) ports: Vec<Port>,
    #[serde(rename = "notTag")]
    pub(super) not_tag: String,
    #[serde(rename = "notNet")]
    pub(super) not_net: Option<String>,
    #[serde(rename = "notNets")]
    pub(super) not_nets: Vec<String>,
    #[serde(rename = "notSelector")]
    pub(super) not_selector: String,
    #[serde(rename = "notPorts")]
    pub(super) not_ports: Vec<Port>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_matched_exactly() {
        assert!(known_type("bgpPeer", "v1"));
        assert!(!known_type("BGPPeer", "v1"));
        assert!(!known_type("bgppeer", "v1"));
        assert!(!known_type("tier", "v1"));
        assert!(known_type("List", "v1"));
        assert!(!known_type("IPPool", "projectcalico.org/v3"));
    }
}

/// A Kubernetes `networking.k8s.io/v1` NetworkPolicy as calicoctl's loader reads it (its
/// metadata and the top of its spec, for the strict decoding).
#[derive(Deserialize, Default)]
#[serde(default)]
struct K8sPolicy {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    metadata: crate::model::ObjectMeta,
    spec: K8sPolicySpec,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct K8sPolicySpec {
    #[serde(rename = "podSelector")]
    pod_selector: Value,
    ingress: Vec<Value>,
    egress: Vec<Value>,
    #[serde(rename = "policyTypes")]
    policy_types: Vec<String>,
}

/// calicoctl's `K8sNetworkPolicyList`: what it takes a `kind: List` of `apiVersion: v1` for.
#[derive(Deserialize, Default)]
#[serde(default)]
struct K8sList {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    metadata: K8sListMeta,
    items: Vec<K8sPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct K8sListMeta {
    #[serde(rename = "resourceVersion")]
    resource_version: String,
    #[serde(rename = "selfLink")]
    self_link: String,
}

/// Decodes a Kubernetes NetworkPolicy or a `List` of them; returns the `(kind, apiVersion)`
/// of each policy (a List is unpacked).
pub(super) fn load_k8s(kind: &str, v: &Value) -> Result<Vec<(String, String)>, String> {
    if kind == "List" {
        let list: K8sList = decode(v, "List")?;
        Ok(list
            .items
            .into_iter()
            .map(|i| (i.kind, i.api_version))
            .collect())
    } else {
        let p: K8sPolicy = decode(v, "NetworkPolicy")?;
        Ok(vec![(p.kind, p.api_version)])
    }
}
