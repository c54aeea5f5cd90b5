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

/// The values Calico's types decode themselves (`net.IP`, `net.IPNet`, `net.MAC`,
/// `numorstring.ASNumber`): the first that does not read, in calicoctl's words.
fn values_read(res: &V1) -> Result<(), String> {
    let asn = |v: &Option<Value>| match v {
        Some(v) => crate::model::node::as_number(v)
            .map(|_| ())
            .map_err(|e| format!("error parsing document: {e}")),
        None => Ok(()),
    };
    let net = |s: &str| parse_net(s).map(|_| ());
    let ip = |s: &str| parse_ip(s).map(|_| ());
    let rules = |rules: &[Rule]| -> Result<(), String> {
        for r in rules {
            for e in [&r.source, &r.destination] {
                for n in e
                    .net
                    .iter()
                    .chain(&e.nets)
                    .chain(&e.not_net)
                    .chain(&e.not_nets)
                {
                    net(n)?;
                }
            }
        }
        Ok(())
    };
    match res {
        V1::BgpPeer(p) => {
            ip(&p.metadata.peer_ip)?;
            asn(&p.spec.as_number)
        }
        V1::IpPool(p) => net(&p.metadata.cidr),
        V1::Node(n) => match &n.spec.bgp {
            Some(b) => {
                asn(&b.as_number)?;
                b.ipv4_address
                    .iter()
                    .chain(&b.ipv6_address)
                    .try_for_each(|a| net(a))
            }
            None => Ok(()),
        },
        V1::HostEndpoint(h) => h.spec.expected_ips.iter().try_for_each(|a| ip(a)),
        V1::WorkloadEndpoint(w) => {
            let s = &w.spec;
            s.ip_networks.iter().try_for_each(|n| net(n))?;
            for n in &s.ip_nats {
                ip(&n.internal_ip)?;
                ip(&n.external_ip)?;
            }
            s.ipv4_gateway
                .iter()
                .chain(&s.ipv6_gateway)
                .try_for_each(|g| ip(g))?;
            if let Some(m) = &s.mac {
                super::to_v3::mac_v3(m)?;
            }
            s.allow_spoofed_source_prefixes
                .iter()
                .try_for_each(|n| net(n))
        }
        V1::Policy(p) => {
            rules(&p.spec.ingress)?;
            rules(&p.spec.egress)
        }
        V1::Profile(p) => {
            rules(&p.spec.ingress)?;
            rules(&p.spec.egress)
        }
    }
}

// ---- libcalico-go's v1 validator (lib/validator/v1/validator.go) ----

/// `nameRegex`: `^[a-zA-Z0-9_.-]{1,128}$` (also the `tag` tag).
fn name_ok(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// `namespacedNameRegex`: `^[a-zA-Z0-9_./-]{1,128}$`.
fn namespaced_name_ok(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-'))
}

/// `interfaceRegex` (`^[a-zA-Z0-9_.-]{1,15}$`) or `*`.
fn interface_ok(s: &str) -> bool {
    s == "*" || (s.len() <= 15 && name_ok(s))
}

/// `labelValueRegex`: `^[a-zA-Z0-9]?([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$`.
fn label_value_ok(v: &str) -> bool {
    let b = v.as_bytes();
    match b {
        [] => true,
        [c] => c.is_ascii_alphanumeric(),
        [first, .., last] => {
            b.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        }
    }
}

/// The selector tokenizer's `ValidLabel`: 1 to 512 of `[a-zA-Z0-9_./-]`.
fn label_key_ok(k: &str) -> bool {
    (1..=512).contains(&k.len())
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-'))
}

/// Go's `%v` of a `map[string]string`: `map[a:1 b:2]`, keys sorted.
fn go_map(m: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", parts.join(" "))
}

/// A failed tag: the field and its value, no reason (the v1 validator gives none).
fn tag_err(errs: &mut Vec<ErroredField>, field: &str, value: impl std::fmt::Display) {
    errs.push(ErroredField::new(field, value, ""));
}

fn check_labels(errs: &mut Vec<ErroredField>, labels: &BTreeMap<String, String>) {
    if labels
        .iter()
        .any(|(k, v)| !label_key_ok(k) || !label_value_ok(v))
    {
        tag_err(errs, "Labels", go_map(labels));
    }
}

fn check_names<F: Fn(&str) -> bool>(
    errs: &mut Vec<ErroredField>,
    field: &str,
    values: &[String],
    ok: F,
) {
    for (i, v) in values.iter().enumerate() {
        if !ok(v) {
            tag_err(errs, &format!("{field}[{i}]"), v);
        }
    }
}

/// `validateProtocol`: v1 names are lower case.
fn check_protocol(errs: &mut Vec<ErroredField>, p: &Protocol) {
    match p {
        Protocol::Num(0) => errs.push(ErroredField::new("Protocol", 0, "protocol number invalid")),
        Protocol::Num(_) => {}
        Protocol::Name(s) => {
            if !matches!(
                s.as_str(),
                "tcp" | "udp" | "icmp" | "icmpv6" | "sctp" | "udplite"
            ) {
                errs.push(ErroredField::new("Protocol", s, "protocol name invalid"));
            }
        }
    }
}

/// `validatePort` (v1 does not check a port's name).
fn check_ports(errs: &mut Vec<ErroredField>, ports: &[Port]) {
    for p in ports {
        if p.min > p.max {
            errs.push(ErroredField::new("Port", p.max, "port range invalid"));
        }
        if !p.name.is_empty() {
            if p.min != 0 || p.max != 0 {
                errs.push(ErroredField::new(
                    "Port",
                    &p.name,
                    "named port invalid, if name is specified, min and max should be 0",
                ));
            }
        } else if p.min < 1 || p.max < 1 {
            errs.push(ErroredField::new(
                "Port",
                p.max,
                "port range invalid, port number must be between 0 and 65536",
            ));
        }
    }
}

fn check_endpoint_ports(errs: &mut Vec<ErroredField>, ports: &[EndpointPort]) {
    for p in ports {
        if !name_ok(&p.name) {
            tag_err(errs, "Name", &p.name);
        }
        check_protocol(errs, &p.protocol);
        if p.port == 0 {
            tag_err(errs, "Port", 0);
        }
        let proto = p.protocol.text();
        if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
            errs.push(ErroredField::new(
                "EndpointPort.Protocol",
                proto,
                "EndpointPort protocol must be 'tcp' or 'udp' or 'sctp'.",
            ));
        }
    }
}

/// A CIDR or address as `net.IPNet`'s decoding reads it.
pub(super) fn parse_net(s: &str) -> Result<crate::model::Cidr, String> {
    crate::model::Cidr::parse_ip_or_cidr(s)
        .map_err(|_| format!("error parsing document: invalid CIDR address: {s}"))
}

/// An address as `net.IP`'s decoding reads it (the empty string is no address).
pub(super) fn parse_ip(s: &str) -> Result<Option<std::net::IpAddr>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    crate::model::cidr::parse_ip(s)
        .map(Some)
        .ok_or_else(|| format!("error parsing document: invalid IP address: {s}"))
}

fn icmp_check(errs: &mut Vec<ErroredField>, icmp: &Icmp) {
    if let Some(t) = icmp.icmp_type
        && !(0..=254).contains(&t)
    {
        tag_err(errs, "Type", t);
    }
    if let Some(c) = icmp.code
        && !(0..=255).contains(&c)
    {
        tag_err(errs, "Code", c);
    }
    if let (Some(c), None) = (icmp.code, icmp.icmp_type) {
        errs.push(ErroredField::new(
            "Code",
            c,
            "ICMP code specified without an ICMP type",
        ));
    }
}

fn entity_check(errs: &mut Vec<ErroredField>, e: &Entity) {
    if !e.tag.is_empty() && !name_ok(&e.tag) {
        tag_err(errs, "Tag", &e.tag);
    }
    if !e.selector.is_empty() && crate::selector::parse(&e.selector).is_err() {
        tag_err(errs, "Selector", &e.selector);
    }
    check_ports(errs, &e.ports);
    if !e.not_tag.is_empty() && !name_ok(&e.not_tag) {
        tag_err(errs, "NotTag", &e.not_tag);
    }
    if !e.not_selector.is_empty() && crate::selector::parse(&e.not_selector).is_err() {
        tag_err(errs, "NotSelector", &e.not_selector);
    }
    check_ports(errs, &e.not_ports);
}

/// The nets of an entity (`nets` then `net`), parsed; `Err` for one that does not parse.
pub(super) fn all_nets(net: &Option<String>, nets: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for n in nets.iter().chain(net.iter()) {
        out.push(parse_net(n)?.network().to_string());
    }
    Ok(out)
}

const PORTS_NEED_PROTOCOL: &str =
    "rules that specify ports must set protocol to TCP or UDP or SCTP";

impl Rule {
    /// The v1 rule's fields, then `validateRule`.
    fn check(&self, errs: &mut Vec<ErroredField>) {
        if !matches!(self.action.as_str(), "allow" | "deny" | "log" | "pass") {
            tag_err(errs, "Action", &self.action);
        }
        if let Some(v) = self.ip_version
            && v != 4
            && v != 6
        {
            tag_err(errs, "IPVersion", v);
        }
        if let Some(p) = &self.protocol {
            check_protocol(errs, p);
        }
        if let Some(i) = &self.icmp {
            icmp_check(errs, i);
        }
        if let Some(p) = &self.not_protocol {
            check_protocol(errs, p);
        }
        if let Some(i) = &self.not_icmp {
            icmp_check(errs, i);
        }
        entity_check(errs, &self.source);
        entity_check(errs, &self.destination);

        if !self.protocol.as_ref().is_some_and(Protocol::supports_ports) {
            let go_ports = |p: &[Port]| {
                crate::model::rule::go_list(&p.iter().map(Port::text).collect::<Vec<_>>())
            };
            for (field, ports) in [
                ("Source.Ports", &self.source.ports),
                ("Source.NotPorts", &self.source.not_ports),
                ("Destination.Ports", &self.destination.ports),
                ("Destination.NotPorts", &self.destination.not_ports),
            ] {
                if !ports.is_empty() {
                    errs.push(ErroredField::new(
                        field,
                        go_ports(ports),
                        PORTS_NEED_PROTOCOL,
                    ));
                }
            }
        }
        let (s, d) = (&self.source, &self.destination);
        let has_net =
            s.net.is_some() || d.net.is_some() || s.not_net.is_some() || d.not_net.is_some();
        let has_nets = !s.nets.is_empty()
            || !d.nets.is_empty()
            || !s.not_nets.is_empty()
            || !d.not_nets.is_empty();
        if has_net && has_nets {
            errs.push(ErroredField::new(
                "Source/Destination.Net/Nets",
                crate::model::rule::go_list(&s.nets),
                "only one of Net and Nets fields allowed",
            ));
        }
        let (mut seen4, mut seen6) = (false, false);
        for (field, net, nets) in [
            ("Source.Net(s)", &s.net, &s.nets),
            ("Source.NotNet(s)", &s.not_net, &s.not_nets),
            ("Destination.Net(s)", &d.net, &d.nets),
            ("Destination.NotNet(s)", &d.not_net, &d.not_nets),
        ] {
            let parsed: Vec<_> = nets
                .iter()
                .chain(net.iter())
                .filter_map(|n| crate::model::Cidr::parse_ip_or_cidr(n).ok())
                .collect();
            let v4 = parsed.iter().any(|c| c.is_ipv4());
            let v6 = parsed.iter().any(|c| !c.is_ipv4());
            if let Some(ver) = self.ip_version
                && ((v4 && ver != 4) || (v6 && ver != 6))
            {
                errs.push(ErroredField::new(
                    field,
                    s.net.as_deref().unwrap_or("<nil>"),
                    "rule IP version doesn't match CIDR version",
                ));
            }
            if (v4 && seen6) || (v6 && seen4) || (v4 && v6) {
                let texts: Vec<String> = parsed.iter().map(ToString::to_string).collect();
                errs.push(ErroredField::new(
                    field,
                    crate::model::rule::go_list(&texts),
                    "rule contains both IPv4 and IPv6 CIDRs",
                ));
            }
            seen4 |= v4;
            seen6 |= v6;
        }
    }
}

fn check_rules(errs: &mut Vec<ErroredField>, rules: &[Rule]) {
    for r in rules {
        r.check(errs);
    }
}

impl IpPoolDoc {
    /// `validateIPPool`.
    fn check(&self, errs: &mut Vec<ErroredField>) {
        let Ok(cidr) = parse_net(&self.metadata.cidr) else {
            return;
        };
        let text = cidr.to_string();
        let ipip = self.spec.ipip.as_ref().is_some_and(|i| i.enabled);
        if let Some(i) = &self.spec.ipip
            && !matches!(i.mode.as_str(), "always" | "cross-subnet" | "")
        {
            tag_err(errs, "Mode", &i.mode);
        }
        if !cidr.is_ipv4() && ipip {
            errs.push(ErroredField::new(
                "IPIP.Enabled",
                true,
                "IPIP is not supported on an IPv6 IP pool",
            ));
        }
        if !self.spec.disabled && cidr.bits() - cidr.prefix() < 6 {
            let reason = if cidr.is_ipv4() {
                "IP pool size is too small (min /26) for use with Calico IPAM"
            } else {
                "IP pool size is too small (min /122) for use with Calico IPAM"
            };
            errs.push(ErroredField::new("CIDR", &text, reason));
        }
        if cidr.network() != cidr {
            errs.push(ErroredField::new(
                "CIDR",
                &text,
                "IP pool CIDR is not strictly masked",
            ));
        }
        let link_local = if cidr.is_ipv4() {
            (
                "169.254.0.0/16",
                "IP pool range overlaps with IPv4 Link Local range 169.254.0.0/16",
            )
        } else {
            (
                "fe80::/10",
                "IP pool range overlaps with IPv6 Link Local range fe80::/10",
            )
        };
        if let Ok(ll) = crate::model::Cidr::parse(link_local.0)
            && cidr.overlaps(&ll)
        {
            errs.push(ErroredField::new("CIDR", &text, link_local.1));
        }
    }
}

impl NodeDoc {
    /// The name tag and `validateNodeSpec`.
    fn check(&self, errs: &mut Vec<ErroredField>) {
        if !self.metadata.name.is_empty() && !name_ok(&self.metadata.name) {
            tag_err(errs, "Name", &self.metadata.name);
        }
        let Some(bgp) = &self.spec.bgp else {
            return;
        };
        if bgp.ipv4_address.is_none() && bgp.ipv6_address.is_none() {
            errs.push(ErroredField::new(
                "BGP.IPv4Address",
                "<nil>",
                "no BGP IP address and subnet specified",
            ));
        }
        for (field, addr, v4, reason) in [
            (
                "BGP.IPv4Address",
                &bgp.ipv4_address,
                true,
                "invalid IPv4 address and subnet specified",
            ),
            (
                "BGP.IPv6Address",
                &bgp.ipv6_address,
                false,
                "invalid IPv6 address and subnet specified",
            ),
        ] {
            if let Some(a) = addr
                && let Ok(c) = parse_net(a)
                && c.is_ipv4() != v4
            {
                errs.push(ErroredField::new(
                    field,
                    format!("{}/{}", c.addr(), c.prefix()),
                    reason,
                ));
            }
        }
    }
}

impl BgpPeer {
    fn check(&self, errs: &mut Vec<ErroredField>) {
        let m = &self.metadata;
        if !m.scope.is_empty() && m.scope != "global" && m.scope != "node" {
            tag_err(errs, "Scope", &m.scope);
        }
        if !m.node.is_empty() && !name_ok(&m.node) {
            tag_err(errs, "Node", &m.node);
        }
        if m.scope == "global" && !m.node.is_empty() {
            errs.push(ErroredField::new(
                "Metadata.Node",
                &m.node,
                "no BGP Peer node name should be specified when scope is global",
            ));
        }
    }
}

impl HostEndpoint {
    fn check(&self, errs: &mut Vec<ErroredField>) {
        let (m, s) = (&self.metadata, &self.spec);
        if !m.name.is_empty() && !namespaced_name_ok(&m.name) {
            tag_err(errs, "Name", &m.name);
        }
        if !m.node.is_empty() && !name_ok(&m.node) {
            tag_err(errs, "Node", &m.node);
        }
        check_labels(errs, &m.labels);
        if !s.interface_name.is_empty() && !interface_ok(&s.interface_name) {
            tag_err(errs, "InterfaceName", &s.interface_name);
        }
        check_names(errs, "Profiles", &s.profiles, namespaced_name_ok);
        check_endpoint_ports(errs, &s.ports);
        if s.interface_name.is_empty() && s.expected_ips.is_empty() {
            errs.push(ErroredField::new(
                "InterfaceName",
                "",
                "no interface or expected IPs have been specified",
            ));
        }
    }
}

impl WorkloadEndpoint {
    fn check(&self, errs: &mut Vec<ErroredField>) {
        let (m, s) = (&self.metadata, &self.spec);
        for (field, value) in [
            ("Name", &m.name),
            ("Workload", &m.workload),
            ("Orchestrator", &m.orchestrator),
        ] {
            if !value.is_empty() && !namespaced_name_ok(value) {
                tag_err(errs, field, value);
            }
        }
        for (field, value) in [
            ("Node", &m.node),
            ("ActiveInstanceID", &m.active_instance_id),
        ] {
            if !value.is_empty() && !name_ok(value) {
                tag_err(errs, field, value);
            }
        }
        check_labels(errs, &m.labels);
        for n in &s.ip_nats {
            let (int, ext) = (parse_ip(&n.internal_ip), parse_ip(&n.external_ip));
            if let (Ok(Some(i)), Ok(Some(e))) = (int, ext)
                && i.is_ipv4() != e.is_ipv4()
            {
                errs.push(ErroredField::new(
                    "ExternalIP",
                    &n.external_ip,
                    "mismatched IP versions",
                ));
            }
        }
        check_names(errs, "Profiles", &s.profiles, namespaced_name_ok);
        if !interface_ok(&s.interface_name) {
            tag_err(errs, "InterfaceName", &s.interface_name);
        }
        check_endpoint_ports(errs, &s.ports);
        let nets: Vec<_> = s
            .ip_networks
            .iter()
            .filter_map(|n| crate::model::Cidr::parse_ip_or_cidr(n).ok())
            .collect();
        if nets.iter().any(|n| n.prefix() != n.bits()) {
            let texts: Vec<String> = nets.iter().map(ToString::to_string).collect();
            errs.push(ErroredField::new(
                "IPNetworks",
                crate::model::rule::go_list(&texts),
                "IP network contains multiple addresses",
            ));
        }
        for (field, gw, v4, reason) in [
            (
                "IPv4Gateway",
                &s.ipv4_gateway,
                true,
                "invalid IPv4 gateway address specified",
            ),
            (
                "IPv6Gateway",
                &s.ipv6_gateway,
                false,
                "invalid IPv6 gateway address specified",
            ),
        ] {
            if let Some(g) = gw
                && let Ok(Some(ip)) = parse_ip(g)
                && ip.is_ipv4() != v4
            {
                errs.push(ErroredField::new(field, g, reason));
            }
        }
        if !s.ip_nats.is_empty() {
            let inside = s.ip_nats.iter().all(|n| {
                parse_ip(&n.internal_ip)
                    .ok()
                    .flatten()
                    .is_some_and(|ip| nets.iter().any(|c| c.contains_ip(ip)))
            });
            if !inside {
                let texts: Vec<String> = s
                    .ip_nats
                    .iter()
                    .map(|n| format!("{}<>{}", n.internal_ip, n.external_ip))
                    .collect();
                errs.push(ErroredField::new(
                    "IPNATs",
                    crate::model::rule::go_list(&texts),
                    "NAT is not in the endpoint networks",
                ));
            }
        }
    }
}

impl Policy {
    fn check(&self, errs: &mut Vec<ErroredField>) {
        let (m, s) = (&self.metadata, &self.spec);
        if !m.name.is_empty() && !namespaced_name_ok(&m.name) {
            tag_err(errs, "Name", &m.name);
        }
        if !m.tier.is_empty() && !name_ok(&m.tier) {
            tag_err(errs, "Tier", &m.tier);
        }
        check_rules(errs, &s.ingress);
        check_rules(errs, &s.egress);
        if crate::selector::parse(&s.selector).is_err() {
            tag_err(errs, "Selector", &s.selector);
        }
        check_names(errs, "Types", &s.types, |t| t == "ingress" || t == "egress");
        if s.do_not_track && s.pre_dnat {
            errs.push(ErroredField::new(
                "PolicySpec.PreDNAT",
                true,
                "PreDNAT and DoNotTrack cannot both be true, for a given PolicySpec",
            ));
        }
        if s.pre_dnat && !s.egress.is_empty() {
            errs.push(ErroredField::new(
                "PolicySpec.EgressRules",
                format!("[{}]", vec!["{...}"; s.egress.len()].join(" ")),
                "PreDNAT PolicySpec cannot have any EgressRules",
            ));
        }
        let types_text = crate::model::rule::go_list(&s.types);
        if s.pre_dnat {
            for t in &s.types {
                if t == "egress" {
                    errs.push(ErroredField::new(
                        "PolicySpec.Types",
                        &types_text,
                        "PreDNAT PolicySpec cannot have 'egress' Type",
                    ));
                }
            }
        }
        let mut seen = Vec::new();
        for t in &s.types {
            if seen.contains(&t) {
                errs.push(ErroredField::new(
                    "PolicySpec.Types",
                    &types_text,
                    format!("'{t}' type specified more than once"),
                ));
            } else {
                seen.push(t);
            }
        }
    }
}

impl Profile {
    fn check(&self, errs: &mut Vec<ErroredField>) {
        let m = &self.metadata;
        if !m.name.is_empty() && !namespaced_name_ok(&m.name) {
            tag_err(errs, "Name", &m.name);
        }
        check_names(errs, "Tags", &m.tags, name_ok);
        if let Some(labels) = &m.labels {
            check_labels(errs, labels);
        }
        check_rules(errs, &self.spec.ingress);
        check_rules(errs, &self.spec.egress);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_name_rules() {
        assert!(name_ok("Node_1.a-b"));
        assert!(!name_ok("a/b"));
        assert!(namespaced_name_ok("k8s_ns.default/x"));
        assert!(!namespaced_name_ok(&"a".repeat(129)));
        assert!(
            interface_ok("*") && interface_ok("cali0ef24ba") && !interface_ok("a234567890123456")
        );
        assert!(label_value_ok("") && label_value_ok("a") && label_value_ok("a-b.c_d"));
        assert!(!label_value_ok("-a") && !label_value_ok(&"a".repeat(64)));
    }

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
