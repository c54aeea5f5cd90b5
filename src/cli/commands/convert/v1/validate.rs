//! libcalico-go's v1 validator (`lib/validator/v1`) as `convert` applies it, in its words:
//! the values Calico's types decode themselves, then each kind's field rules.

use super::*;
use crate::model::numorstring::{Port, Protocol};

/// The values Calico's types decode themselves (`net.IP`, `net.IPNet`, `net.MAC`,
/// `numorstring.ASNumber`): the first that does not read, in calicoctl's words.
pub(super) fn values_read(res: &V1) -> Result<(), String> {
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
                super::super::to_v3::mac_v3(m)?;
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
pub(in crate::cli::commands::convert) fn parse_net(s: &str) -> Result<crate::model::Cidr, String> {
    crate::model::Cidr::parse_ip_or_cidr(s)
        .map_err(|_| format!("error parsing document: invalid CIDR address: {s}"))
}

/// An address as `net.IP`'s decoding reads it (the empty string is no address).
pub(in crate::cli::commands::convert) fn parse_ip(
    s: &str,
) -> Result<Option<std::net::IpAddr>, String> {
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
pub(in crate::cli::commands::convert) fn all_nets(
    net: &Option<String>,
    nets: &[String],
) -> Result<Vec<String>, String> {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
    pub(super) fn check(&self, errs: &mut Vec<ErroredField>) {
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
}
