//! v1 resources to `projectcalico.org/v3`, as libcalico-go's `lib/upgrade/converters` make
//! them (through its v1 backend model, whose normalisations are kept: nets masked, node names
//! normalised, `calico/k8s_ns` renamed).

use super::names::{
    convert_name, convert_name_no_dots, convert_profile_name, ip_to_name, normalize,
};
use super::v1::{self, V1, all_nets, parse_ip, parse_net};
use crate::model::globalnetworkpolicy::GlobalNetworkPolicySpec;
use crate::model::hostendpoint::EndpointPort;
use crate::model::ippool::{USE_TUNNEL, USE_WORKLOAD};
use crate::model::kinds::AnyResource;
use crate::model::node::{NodeBgpSpec, OrchRef};
use crate::model::numorstring::{Protocol, port_name_ok};
use crate::model::rule::{EntityRule, IcmpFields, Rule};
use crate::model::validation::ErroredField;
use crate::model::workloadendpoint::IpNat;
use crate::model::{
    BgpPeer, GlobalNetworkPolicy, HostEndpoint, IpPool, Node, Profile, WorkloadEndpoint,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Converts one decoded v1 resource.
pub(super) fn convert(res: V1) -> Result<AnyResource, String> {
    match res {
        V1::BgpPeer(p) => bgp_peer(p),
        V1::IpPool(p) => ip_pool(p),
        V1::HostEndpoint(h) => host_endpoint(h),
        V1::Node(n) => node(n),
        V1::Policy(p) => policy(p),
        V1::Profile(p) => profile(p),
        V1::WorkloadEndpoint(w) => workload_endpoint(w),
    }
}

/// An address as Go keeps it: an IPv4-mapped IPv6 address is IPv4.
fn go_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bgp_peer(p: v1::BgpPeer) -> Result<AnyResource, String> {
    let m = &p.metadata;
    let Some(ip) = parse_ip(&m.peer_ip)?.map(go_ip) else {
        let node = if m.scope == "node" && m.node.is_empty() {
            String::new()
        } else {
            format!(", Node={}", m.node)
        };
        return Err(format!(
            "no PeerIP is set, invalid BGPPeer: BGPPeer(PeerIP=<nil>, Scope={}{node})",
            m.scope
        ));
    };
    let mut r = BgpPeer::default();
    match m.scope.as_str() {
        "global" => r.metadata.name = ip_to_name(ip),
        "node" => {
            if m.node.is_empty() {
                return Err(format!(
                    "With Node scope a Node must be defined: {{{{}} {} {} {ip}}}",
                    m.scope, m.node
                ));
            }
            let node = normalize(&m.node);
            r.metadata.name = format!("{node}.{}", ip_to_name(ip));
            r.spec.node = node;
        }
        _ => return Err("insufficient identifiers, missing 'scope'".into()),
    }
    r.spec.peer_ip = ip.to_string();
    let asn = match &p.spec.as_number {
        Some(v) => crate::model::node::as_number(v)
            .map_err(|e| format!("failed to create resources from file: {e}"))?,
        None => 0,
    };
    if asn != 0 {
        r.spec.as_number = Some(Value::from(asn));
    }
    Ok(r.into())
}

fn ip_pool(p: v1::IpPoolDoc) -> Result<AnyResource, String> {
    let cidr = parse_net(&p.metadata.cidr)?;
    let text = cidr.to_string();
    let mut pool = IpPool::new(&text.replace(['.', ':', '/'], "-"), &text);
    let ipip = p.spec.ipip.unwrap_or_default();
    pool.spec.ipip_mode = if !ipip.enabled {
        "Never".into()
    } else if ipip.mode.eq_ignore_ascii_case("cross-subnet") {
        "CrossSubnet".into()
    } else {
        "Always".into()
    };
    pool.spec.vxlan_mode = "Never".into();
    pool.spec.nat_outgoing = p.spec.nat_outgoing;
    pool.spec.disabled = p.spec.disabled;
    pool.spec.node_selector = "all()".into();
    pool.spec.allowed_uses = vec![USE_WORKLOAD.into(), USE_TUNNEL.into()];
    pool.spec.assignment_mode = Some("Automatic".into());
    pool.spec.block_size = if cidr.is_ipv4() { 26 } else { 122 };
    Ok(pool.into())
}

/// A BGP address as the v1 backend keeps it: the address and the network's prefix.
fn bgp_address(s: &Option<String>) -> Result<String, String> {
    match s {
        None => Ok(String::new()),
        Some(s) => {
            let c = parse_net(s)?;
            Ok(format!("{}/{}", go_ip(c.addr()), c.prefix()))
        }
    }
}

fn node(n: v1::NodeDoc) -> Result<AnyResource, String> {
    let mut node = Node::new(&normalize(&n.metadata.name));
    if let Some(bgp) = n.spec.bgp {
        let asn = match &bgp.as_number {
            Some(v) => Some(Value::from(
                crate::model::node::as_number(v)
                    .map_err(|e| format!("failed to create resources from file: {e}"))?,
            )),
            None => None,
        };
        node.spec.bgp = Some(NodeBgpSpec {
            as_number: asn,
            ipv4_address: bgp_address(&bgp.ipv4_address)?,
            ipv6_address: bgp_address(&bgp.ipv6_address)?,
            ..NodeBgpSpec::default()
        });
    }
    node.spec.orch_refs = n
        .spec
        .orch_refs
        .into_iter()
        .map(|o| OrchRef {
            node_name: o.node_name,
            orchestrator: o.orchestrator,
        })
        .collect();
    Ok(node.into())
}

/// `numorstring.ProtocolV3FromProtocolV1`: a known name in v3's case.
fn protocol_v3(p: Protocol) -> Protocol {
    match p {
        Protocol::Name(s) => {
            let known = ["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"]
                .into_iter()
                .find(|n| n.eq_ignore_ascii_case(&s));
            Protocol::Name(known.map_or(s, str::to_string))
        }
        num => num,
    }
}

/// Calico's `convertSelector`: v1's `calico/k8s_ns` label is v3's `projectcalico.org/namespace`.
fn selector_v3(sel: &str) -> String {
    sel.replace("calico/k8s_ns", "projectcalico.org/namespace")
}

/// Calico's `mergeTagsAndSelectors`: a tag is a label with an empty value.
fn merge_tag(sel: String, tag: &str) -> String {
    match (sel.is_empty(), tag.is_empty()) {
        (_, true) => sel,
        (true, false) => format!("{tag} == ''"),
        (false, false) => format!("({sel}) && {tag} == ''"),
    }
}

fn entity_v3(e: v1::Entity) -> Result<EntityRule, String> {
    Ok(EntityRule {
        nets: all_nets(&e.net, &e.nets)?,
        selector: merge_tag(selector_v3(&e.selector), &e.tag),
        ports: e.ports,
        not_nets: all_nets(&e.not_net, &e.not_nets)?,
        not_selector: merge_tag(selector_v3(&e.not_selector), &e.not_tag),
        not_ports: e.not_ports,
        ..EntityRule::default()
    })
}

fn icmp_v3(i: Option<v1::Icmp>) -> Option<IcmpFields> {
    i.filter(|i| i.icmp_type.is_some() || i.code.is_some())
        .map(|i| IcmpFields {
            icmp_type: i.icmp_type,
            code: i.code,
        })
}

fn rule_v3(r: v1::Rule) -> Result<Rule, String> {
    let action = match r.action.to_ascii_lowercase().as_str() {
        "" | "allow" => "Allow".to_string(),
        "deny" => "Deny".to_string(),
        "log" => "Log".to_string(),
        "pass" | "next-tier" => "Pass".to_string(),
        _ => r.action.clone(),
    };
    Ok(Rule {
        action,
        ip_version: r.ip_version,
        protocol: r.protocol.map(protocol_v3),
        icmp: icmp_v3(r.icmp),
        not_protocol: r.not_protocol.map(protocol_v3),
        not_icmp: icmp_v3(r.not_icmp),
        source: entity_v3(r.source)?,
        destination: entity_v3(r.destination)?,
        ..Rule::default()
    })
}

fn rules_v3(rules: Vec<v1::Rule>) -> Result<Vec<Rule>, String> {
    rules.into_iter().map(rule_v3).collect()
}

fn policy(p: v1::Policy) -> Result<AnyResource, String> {
    let (m, s) = (p.metadata, p.spec);
    let tier = match convert_name_no_dots(&m.tier) {
        t if t.is_empty() => "default".to_string(),
        t => t,
    };
    let types: Vec<String> = if s.types.is_empty() {
        match (s.ingress.is_empty(), s.egress.is_empty()) {
            (_, true) => vec!["Ingress".into()],
            (true, false) => vec!["Egress".into()],
            (false, false) => vec!["Ingress".into(), "Egress".into()],
        }
    } else {
        s.types
            .iter()
            .map(|t| match t.to_ascii_lowercase().as_str() {
                "ingress" => Ok("Ingress".to_string()),
                "egress" => Ok("Egress".to_string()),
                _ => Err(format!("invalid policy type: '{t}'")),
            })
            .collect::<Result<_, _>>()?
    };
    let mut g = GlobalNetworkPolicy::default();
    g.metadata.name = format!("{tier}.{}", convert_name_no_dots(&m.name));
    g.metadata.annotations = m.annotations;
    g.metadata
        .labels
        .insert("projectcalico.org/tier".into(), tier.clone());
    g.spec = GlobalNetworkPolicySpec {
        tier,
        order: s.order,
        ingress: rules_v3(s.ingress)?,
        egress: rules_v3(s.egress)?,
        selector: selector_v3(&s.selector),
        types,
        do_not_track: s.do_not_track,
        pre_dnat: s.pre_dnat,
        apply_on_forward: s.do_not_track || s.pre_dnat,
        ..GlobalNetworkPolicySpec::default()
    };
    Ok(g.into())
}

fn profile(p: v1::Profile) -> Result<AnyResource, String> {
    let (m, s) = (p.metadata, p.spec);
    let mut r = Profile::default();
    r.metadata.name = convert_profile_name(&m.name);
    let mut labels: BTreeMap<String, String> = m.labels.unwrap_or_default();
    for t in &m.tags {
        if let Some(v) = labels.get(t) {
            return Err(format!(
                "Tag: '{t}' and Label '{t} == {v}' have the same value for Profile: {}. Change the Label key before proceeding",
                r.metadata.name
            ));
        }
        labels.insert(t.clone(), String::new());
    }
    r.spec.labels_to_apply = labels;
    r.spec.ingress = rules_v3(s.ingress)?;
    r.spec.egress = rules_v3(s.egress)?;
    Ok(r.into())
}

/// Addresses split by family, IPv4 first, as the v1 backend stores them.
fn by_family<T>(items: Vec<(bool, T)>) -> Vec<T> {
    let (v4, v6): (Vec<_>, Vec<_>) = items.into_iter().partition(|(is_v4, _)| *is_v4);
    v4.into_iter().chain(v6).map(|(_, t)| t).collect()
}

fn host_endpoint(h: v1::HostEndpoint) -> Result<AnyResource, String> {
    let (m, s) = (h.metadata, h.spec);
    let mut ips = Vec::new();
    for ip in &s.expected_ips {
        if let Some(ip) = parse_ip(ip)?.map(go_ip) {
            ips.push((ip.is_ipv4(), ip.to_string()));
        }
    }
    let node = normalize(&m.node);
    let mut r = HostEndpoint::default();
    r.metadata.name = convert_name(&format!("{node}.{}", m.name));
    r.metadata.labels = m.labels;
    r.spec.node = node;
    r.spec.interface_name = s.interface_name;
    r.spec.expected_ips = by_family(ips);
    r.spec.profiles = s.profiles.iter().map(|p| convert_profile_name(p)).collect();
    r.spec.ports = s
        .ports
        .into_iter()
        .map(|p| EndpointPort {
            name: p.name,
            protocol: protocol_v3(p.protocol),
            port: p.port,
        })
        .collect();
    Ok(r.into())
}

/// Go's `net.ParseMAC` for the 6-byte forms, printed as Go prints a `HardwareAddr`.
pub(super) fn mac_v3(s: &str) -> Result<String, String> {
    let bad = || format!("error parsing document: address {s}: invalid MAC address");
    let bytes: Vec<u8> = if s.len() == 17 && (s.contains(':') || s.contains('-')) {
        let sep = if s.contains(':') { ':' } else { '-' };
        s.split(sep)
            .map(|b| {
                (b.len() == 2)
                    .then(|| u8::from_str_radix(b, 16).ok())
                    .flatten()
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(bad)?
    } else if s.len() == 14 && s.matches('.').count() == 2 {
        let mut out = Vec::new();
        for g in s.split('.') {
            let n = (g.len() == 4)
                .then(|| u16::from_str_radix(g, 16).ok())
                .flatten()
                .ok_or_else(bad)?;
            out.extend_from_slice(&n.to_be_bytes());
        }
        out
    } else {
        return Err(bad());
    };
    if bytes.len() != 6 {
        return Err(bad());
    }
    Ok(bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

fn workload_endpoint(w: v1::WorkloadEndpoint) -> Result<AnyResource, String> {
    let (m, s) = (w.metadata, w.spec);
    let mut labels = m.labels;
    if let Some(ns) = labels.remove("calico/k8s_ns") {
        labels.insert("projectcalico.org/namespace".into(), ns);
    }
    let mut r = WorkloadEndpoint::default();
    let mut namespace = "default".to_string();
    let spec = &mut r.spec;
    match m.orchestrator.as_str() {
        "k8s" => {
            let Some((ns, pod)) = m.workload.split_once('.') else {
                return Err(format!(
                    "malformed k8s workload ID '{}': workload was not added through the Calico CNI plugin and cannot be converted",
                    m.workload
                ));
            };
            namespace = ns.to_string();
            spec.pod = pod.to_string();
            spec.container_id = m.active_instance_id.clone();
        }
        "cni" => spec.container_id = m.workload.clone(),
        "libnetwork" => spec.workload = "libnetwork".into(),
        _ => spec.workload = convert_name(&m.workload),
    }
    let mut nets = Vec::new();
    for n in &s.ip_networks {
        let c = parse_net(n)?.network();
        nets.push((c.is_ipv4(), c.to_string()));
    }
    let mut nats = Vec::new();
    for n in &s.ip_nats {
        let int = parse_ip(&n.internal_ip)?.map(go_ip);
        let ext = parse_ip(&n.external_ip)?.map(go_ip);
        let text = |ip: Option<IpAddr>| ip.map_or("<nil>".to_string(), |i| i.to_string());
        nats.push((
            int.is_some_and(|i| i.is_ipv4()),
            IpNat {
                internal_ip: text(int),
                external_ip: text(ext),
            },
        ));
    }
    let mut spoofed = Vec::new();
    for n in &s.allow_spoofed_source_prefixes {
        let c = parse_net(n)?;
        spoofed.push(format!("{}/{}", go_ip(c.addr()), c.prefix()));
    }
    spec.orchestrator = convert_name(&m.orchestrator);
    spec.node = normalize(&m.node);
    spec.endpoint = convert_name(&m.name);
    spec.ip_networks = by_family(nets);
    spec.ip_nats = by_family(nats);
    spec.profiles = s.profiles.iter().map(|p| convert_profile_name(p)).collect();
    spec.interface_name = s.interface_name;
    spec.ports = s
        .ports
        .into_iter()
        .map(|p| {
            json!({"name": p.name, "protocol": p.protocol, "port": p.port, "hostPort": 0, "hostIP": ""})
        })
        .collect();
    spec.allow_spoofed_source_prefixes = spoofed;
    if let Some(g) = &s.ipv4_gateway
        && let Some(ip) = parse_ip(g)?
    {
        spec.ipv4_gateway = go_ip(ip).to_string();
    }
    if let Some(g) = &s.ipv6_gateway
        && let Some(ip) = parse_ip(g)?
    {
        spec.ipv6_gateway = go_ip(ip).to_string();
    }
    if let Some(mac) = &s.mac {
        spec.mac = mac_v3(mac)?;
    }
    r.metadata.namespace = namespace;
    r.metadata.labels = labels;
    r.metadata.name = r.expected_name().map_err(|e| e.to_string())?;
    Ok(r.into())
}

/// Calico's v3 checks of a WorkloadEndpoint's ports (`validateProtocol`, the `portName` tag,
/// `validateWorkloadEndpointPort`), which the crate's WorkloadEndpoint keeps verbatim. A v1
/// port's protocol is not put in v3's case by Calico's converter, so a converted endpoint with
/// ports fails them, as it does in calicoctl.
pub(super) fn workload_port_problems(r: &AnyResource) -> Vec<ErroredField> {
    let mut errs = Vec::new();
    let AnyResource::WorkloadEndpoint(w) = r else {
        return errs;
    };
    for p in &w.spec.ports {
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let host_port = p
            .get("hostPort")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let protocol: Option<Protocol> = p
            .get("protocol")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        if !name.is_empty() && !port_name_ok(name) {
            errs.push(ErroredField::tag("Name", name, "portName"));
        }
        if let Some((value, reason)) = protocol.as_ref().and_then(Protocol::problem) {
            errs.push(ErroredField::new("Protocol", value, reason));
        }
        if !protocol.as_ref().is_some_and(Protocol::supports_ports) {
            errs.push(ErroredField::new(
                "WorkloadEndpointPort.Protocol",
                protocol.as_ref().map(Protocol::text).unwrap_or_default(),
                "WorkloadEndpointPort protocol does not support ports.",
            ));
        }
        if name.is_empty() && host_port == 0 {
            errs.push(ErroredField::new(
                "WorkloadEndpointPort.Name",
                name,
                "WorkloadEndpointPort name must not be empty if no HostPort is specified",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_read_as_go_reads_them() {
        assert_eq!(mac_v3("CA:FE:1d:52:bb:e9").unwrap(), "ca:fe:1d:52:bb:e9");
        assert_eq!(mac_v3("ca-fe-1d-52-bb-e9").unwrap(), "ca:fe:1d:52:bb:e9");
        assert_eq!(mac_v3("cafe.1d52.bbe9").unwrap(), "ca:fe:1d:52:bb:e9");
        assert_eq!(
            mac_v3("ca:fe").unwrap_err(),
            "error parsing document: address ca:fe: invalid MAC address"
        );
    }

    #[test]
    fn tags_merge_into_selectors() {
        assert_eq!(merge_tag(String::new(), "a"), "a == ''");
        assert_eq!(merge_tag("has(b)".into(), "a"), "(has(b)) && a == ''");
        assert_eq!(merge_tag("has(b)".into(), ""), "has(b)");
        assert_eq!(
            selector_v3("calico/k8s_ns == 'x'"),
            "projectcalico.org/namespace == 'x'"
        );
    }
}
