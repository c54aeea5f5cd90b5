//! Policy rules (`v3.Rule` and what it holds), shared by the policy kinds and Profile, in
//! Calico v3.31's field order, with Calico's validation of them in its words.

use super::gotypes::{Basic, GoType, INT, STRING, STRING_MAP, STRINGS, StructType, f};
use super::numorstring::{Port, Protocol};
use super::validation::ErroredField;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `v3.Rule`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// `Allow`, `Deny`, `Log` or `Pass` (always written, as Go does).
    #[serde(default)]
    pub action: String,
    /// 4 or 6.
    #[serde(default, rename = "ipVersion", skip_serializing_if = "Option::is_none")]
    pub(crate) ip_version: Option<i64>,
    /// The protocol matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) protocol: Option<Protocol>,
    /// ICMP type and code matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) icmp: Option<IcmpFields>,
    /// The protocol not matched.
    #[serde(
        default,
        rename = "notProtocol",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) not_protocol: Option<Protocol>,
    /// ICMP type and code not matched.
    #[serde(default, rename = "notICMP", skip_serializing_if = "Option::is_none")]
    pub(crate) not_icmp: Option<IcmpFields>,
    /// The source; Go writes it even when empty (`{}`).
    #[serde(default)]
    pub(crate) source: EntityRule,
    /// The destination; written even when empty.
    #[serde(default)]
    pub(crate) destination: EntityRule,
    /// Application-layer match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http: Option<HttpMatch>,
    /// Annotations carried with the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<RuleMetadata>,
}

/// `v3.ICMPFields`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IcmpFields {
    /// ICMP type, 0 to 254.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) icmp_type: Option<i64>,
    /// ICMP code, 0 to 255 (only with a type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<i64>,
}

/// `v3.HTTPMatch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpMatch {
    /// HTTP methods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) methods: Vec<String>,
    /// Paths, exact or by prefix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) paths: Vec<HttpPath>,
}

/// `v3.HTTPPath`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpPath {
    /// An exact path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) exact: String,
    /// A path prefix.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) prefix: String,
}

/// `v3.RuleMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleMetadata {
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// `v3.EntityRule`, in Go's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntityRule {
    /// CIDRs matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) nets: Vec<String>,
    /// Endpoints matched by label.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) selector: String,
    /// Namespaces matched by label.
    #[serde(
        default,
        rename = "namespaceSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) namespace_selector: String,
    /// A Kubernetes service matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) services: Option<ServiceMatch>,
    /// Ports matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ports: Vec<Port>,
    /// CIDRs not matched.
    #[serde(default, rename = "notNets", skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_nets: Vec<String>,
    /// Endpoints not matched.
    #[serde(
        default,
        rename = "notSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) not_selector: String,
    /// Ports not matched.
    #[serde(default, rename = "notPorts", skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_ports: Vec<Port>,
    /// Service accounts matched.
    #[serde(
        default,
        rename = "serviceAccounts",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) service_accounts: Option<ServiceAccountMatch>,
}

/// `v3.ServiceMatch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceMatch {
    /// The service's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) name: String,
    /// The service's namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) namespace: String,
}

/// `v3.ServiceAccountMatch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccountMatch {
    /// Service account names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) names: Vec<String>,
    /// Service accounts by label.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) selector: String,
}

/// `global()`, valid only as an entity rule's namespace selector.
pub(crate) const GLOBAL_ONLY_IN_ENTITY_RULE: &str =
    "global() can only be used in an EntityRule namespaceSelector";

const PORTS_NEED_PROTOCOL: &str =
    "rules that specify ports must set protocol to TCP or UDP or SCTP";

/// Go's `%v` of a slice: `[a b]`.
pub(crate) fn go_list<T: AsRef<str>>(items: &[T]) -> String {
    let parts: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", parts.join(" "))
}

fn ports_text(ports: &[Port]) -> String {
    go_list(&ports.iter().map(Port::text).collect::<Vec<_>>())
}

fn http_text(h: &HttpMatch) -> String {
    let paths: Vec<String> = h
        .paths
        .iter()
        .map(|p| format!("{{{} {}}}", p.exact, p.prefix))
        .collect();
    format!("&{{{} {}}}", go_list(&h.methods), go_list(&paths))
}

/// A selector field's generic check (`validate:"selector"`).
pub(crate) fn check_selector(errs: &mut Vec<ErroredField>, field: &str, sel: &str) {
    if !sel.is_empty() && crate::selector::parse(sel).is_err() {
        errs.push(ErroredField::tag(field, sel, "selector"));
    }
}

/// Calico's `net` tag: a CIDR or address, strictly masked.
fn net_ok(s: &str) -> bool {
    super::Cidr::parse_ip_or_cidr(s).is_ok_and(|c| c.is_masked())
}

/// Kubernetes' DNS-1123 subdomain, Calico's `name` tag.
fn name_ok(s: &str) -> bool {
    super::validation::name_problem(s).is_none()
}

fn icmp_problems(errs: &mut Vec<ErroredField>, icmp: &IcmpFields) {
    if let Some(t) = icmp.icmp_type {
        if t < 0 {
            errs.push(ErroredField::tag("Type", t, "gte"));
        } else if t > 254 {
            errs.push(ErroredField::tag("Type", t, "lte"));
        }
    }
    if let Some(c) = icmp.code {
        if c < 0 {
            errs.push(ErroredField::tag("Code", c, "gte"));
        } else if c > 255 {
            errs.push(ErroredField::tag("Code", c, "lte"));
        }
        if icmp.icmp_type.is_none() {
            errs.push(ErroredField::new(
                "Code",
                c,
                "ICMP code specified without an ICMP type",
            ));
        }
    }
}

fn port_problems(errs: &mut Vec<ErroredField>, ports: &[Port]) {
    for p in ports {
        for (field, value, reason) in p.problems() {
            errs.push(ErroredField::new(field, value, reason));
        }
    }
}

/// The field checks of an entity rule, then its struct-level checks.
fn entity_problems(errs: &mut Vec<ErroredField>, e: &EntityRule) {
    for (i, n) in e.nets.iter().enumerate() {
        if !net_ok(n) {
            errs.push(ErroredField::tag(&format!("Nets[{i}]"), n, "net"));
        }
    }
    check_selector(errs, "Selector", &e.selector);
    check_selector(errs, "NamespaceSelector", &e.namespace_selector);
    if let Some(s) = &e.services {
        if !s.name.is_empty() && !name_ok(&s.name) {
            errs.push(ErroredField::tag("Name", &s.name, "name"));
        }
        if !s.namespace.is_empty() && !name_ok(&s.namespace) {
            errs.push(ErroredField::tag("Namespace", &s.namespace, "name"));
        }
    }
    port_problems(errs, &e.ports);
    for (i, n) in e.not_nets.iter().enumerate() {
        if !net_ok(n) {
            errs.push(ErroredField::tag(&format!("NotNets[{i}]"), n, "net"));
        }
    }
    check_selector(errs, "NotSelector", &e.not_selector);
    port_problems(errs, &e.not_ports);
    if let Some(sa) = &e.service_accounts {
        check_selector(errs, "Selector", &sa.selector);
    }
    // Struct level.
    if e.selector.contains("global()") {
        errs.push(ErroredField::new(
            "Selector field",
            &e.selector,
            GLOBAL_ONLY_IN_ENTITY_RULE,
        ));
    }
    if e.namespace_selector.contains("global(") && e.namespace_selector.trim() != "global()" {
        errs.push(ErroredField::new(
            "NamespaceSelector field",
            &e.namespace_selector,
            "global() cannot be combined with other selectors",
        ));
    }
    if let Some(s) = &e.services {
        let value = format!("&{{{} {}}}", s.name, s.namespace);
        let mut svc = |reason: &str| {
            errs.push(ErroredField::new("Services field", &value, reason));
        };
        if s.name.is_empty() {
            svc("must specify a service name");
        }
        if !e.namespace_selector.is_empty() {
            svc("cannot specify NamespaceSelector and Services on the same rule");
        }
        if !e.selector.is_empty() || !e.not_selector.is_empty() {
            svc("cannot specify Selector/NotSelector and Services on the same rule");
        }
        if e.service_accounts.is_some() {
            svc("cannot specify ServiceAccounts and Services on the same rule");
        }
        if !e.nets.is_empty() || !e.not_nets.is_empty() {
            svc("cannot specify Nets/NotNets and Services on the same rule");
        }
    }
}

fn http_problems(errs: &mut Vec<ErroredField>, h: &HttpMatch) {
    let mut seen = std::collections::HashSet::new();
    if !h.methods.iter().all(|m| seen.insert(m)) {
        errs.push(ErroredField::new(
            "Methods",
            go_list(&h.methods),
            format!("Invalid methods (duplicates): {}", go_list(&h.methods)),
        ));
    }
    let paths: Vec<String> = h
        .paths
        .iter()
        .map(|p| format!("{{{} {}}}", p.exact, p.prefix))
        .collect();
    for p in &h.paths {
        let problem = if !p.exact.is_empty() && !p.prefix.is_empty() {
            Some("Invalid path match. Both 'exact' and 'prefix' are set".to_string())
        } else {
            let v = if p.exact.is_empty() {
                &p.prefix
            } else {
                &p.exact
            };
            if v.is_empty() {
                Some("Invalid path match. Either 'exact' or 'prefix' must be set".to_string())
            } else if !v.starts_with('/') || v.contains(['?', ' ', '#']) {
                Some(format!(
                    "Invalid path {v}. (must start with `/` and not contain `?` or `#`"
                ))
            } else {
                None
            }
        };
        if let Some(reason) = problem {
            errs.push(ErroredField::new("Paths", go_list(&paths), reason));
            break;
        }
    }
}

/// Calico's checks of one rule: its fields (in Go's order), then `validateRule`.
pub(crate) fn rule_problems(errs: &mut Vec<ErroredField>, rule: &Rule) {
    if !matches!(rule.action.as_str(), "Allow" | "Deny" | "Log" | "Pass") {
        errs.push(ErroredField::tag("Action", &rule.action, "action"));
    }
    if let Some(v) = rule.ip_version
        && v != 4
        && v != 6
    {
        errs.push(ErroredField::tag("IPVersion", v, "ipVersion"));
    }
    for (proto, icmp) in [
        (&rule.protocol, &rule.icmp),
        (&rule.not_protocol, &rule.not_icmp),
    ] {
        if let Some((value, reason)) = proto.as_ref().and_then(Protocol::problem) {
            errs.push(ErroredField::new("Protocol", value, reason));
        }
        if let Some(icmp) = icmp {
            icmp_problems(errs, icmp);
        }
    }
    entity_problems(errs, &rule.source);
    entity_problems(errs, &rule.destination);
    if let Some(h) = &rule.http {
        http_problems(errs, h);
    }

    // validateRule.
    if !rule.protocol.as_ref().is_some_and(Protocol::supports_ports) {
        for (field, ports) in [
            ("Source.Ports", &rule.source.ports),
            ("Source.NotPorts", &rule.source.not_ports),
            ("Destination.Ports", &rule.destination.ports),
            ("Destination.NotPorts", &rule.destination.not_ports),
        ] {
            if !ports.is_empty() {
                errs.push(ErroredField::new(
                    field,
                    ports_text(ports),
                    PORTS_NEED_PROTOCOL,
                ));
            }
        }
    }
    if rule.http.is_some()
        && let Some(p) = &rule.protocol
        && !p.is_named("TCP")
    {
        errs.push(ErroredField::new(
            "Protocol",
            p.text(),
            "rules that specify HTTP fields must set protocol to TCP or empty",
        ));
    }
    let is = |p: &Option<Protocol>, name: &str| p.as_ref().is_some_and(|p| p.is_named(name));
    if let Some(icmp) = &rule.icmp
        && !(is(&rule.protocol, "ICMP") || is(&rule.protocol, "ICMPv6"))
    {
        errs.push(ErroredField::new(
            "ICMP",
            icmp_text(icmp),
            "rules that specify ICMP fields must set protocol to ICMP",
        ));
    }
    let icmp_value = rule.icmp.as_ref().map_or("<nil>".to_string(), icmp_text);
    if (is(&rule.protocol, "ICMP") || is(&rule.not_protocol, "ICMP"))
        && rule.ip_version.is_some_and(|v| v != 4)
    {
        errs.push(ErroredField::new(
            "IPVersion",
            &icmp_value,
            "must set ipversion to '4' with protocol icmp",
        ));
    }
    if (is(&rule.protocol, "ICMPv6") || is(&rule.not_protocol, "ICMPv6"))
        && rule.ip_version.is_some_and(|v| v != 6)
    {
        errs.push(ErroredField::new(
            "IPVersion",
            &icmp_value,
            "must set ipversion to '6' with protocol icmpv6",
        ));
    }
    let (mut seen_v4, mut seen_v6) = (false, false);
    for (field, nets) in [
        ("Source.Nets", &rule.source.nets),
        ("Source.NotNets", &rule.source.not_nets),
        ("Destination.Nets", &rule.destination.nets),
        ("Destination.NotNets", &rule.destination.not_nets),
    ] {
        let (mut v4, mut v6) = (false, false);
        let negated = field.ends_with("NotNets");
        for n in nets {
            // Calico parses these as CIDRs proper: a bare address is not one here.
            match n
                .contains('/')
                .then(|| super::Cidr::parse(n).ok())
                .flatten()
            {
                None => errs.push(ErroredField::new(field, n, "invalid CIDR")),
                Some(c) => {
                    v4 |= c.is_ipv4();
                    v6 |= !c.is_ipv4();
                    let catch_all = if c.is_ipv4() {
                        n == "0.0.0.0/0"
                    } else {
                        c.prefix() == 0
                    };
                    if negated && catch_all {
                        errs.push(ErroredField::new(
                            field,
                            n,
                            "catch-all CIDR in negation creates logical contradiction (matches no traffic)",
                        ));
                    }
                }
            }
        }
        if let Some(v) = rule.ip_version
            && ((v4 && v != 4) || (v6 && v != 6))
        {
            // Calico reports the source nets here, whichever field it was.
            errs.push(ErroredField::new(
                field,
                go_list(&rule.source.nets),
                "rule IP version doesn't match CIDR version",
            ));
        }
        if (v4 && seen_v6) || (v6 && seen_v4) || (v4 && v6) {
            errs.push(ErroredField::new(
                field,
                go_list(nets),
                "rule contains both IPv4 and IPv6 CIDRs",
            ));
        }
        seen_v4 |= v4;
        seen_v6 |= v6;
    }
    if rule.action != "Allow"
        && let Some(h) = &rule.http
    {
        errs.push(ErroredField::new(
            "HTTP",
            http_text(h),
            "only valid for Allow rules",
        ));
    }
    if rule.destination.services.is_some() {
        if !rule.destination.ports.is_empty() {
            errs.push(ErroredField::new(
                "Destination.Ports",
                ports_text(&rule.destination.ports),
                "cannot specify ports with a service selector",
            ));
        }
        if !rule.destination.not_ports.is_empty() {
            errs.push(ErroredField::new(
                "Destination.NotPorts",
                ports_text(&rule.destination.not_ports),
                "cannot specify notports with a service selector",
            ));
        }
    }
}

fn icmp_text(icmp: &IcmpFields) -> String {
    let opt = |v: Option<i64>| v.map_or("<nil>".to_string(), |v| v.to_string());
    format!("&{{{} {}}}", opt(icmp.icmp_type), opt(icmp.code))
}

/// The checks policy specs make of their rule lists (`validate(Global)NetworkPolicySpec`):
/// services only where they belong, no application-layer match on egress. `egress_word` is
/// `rule` for namespaced policies and `rules` for global ones, as Calico words them.
pub(crate) fn direction_problems(
    errs: &mut Vec<ErroredField>,
    ingress: &[Rule],
    egress: &[Rule],
    egress_alp: &str,
) {
    for r in egress {
        if let Some(s) = &r.source.services {
            errs.push(ErroredField::new(
                "Services",
                format!("&{{{} {}}}", s.name, s.namespace),
                "not allowed in egress rule source",
            ));
        }
        if let Some(h) = &r.http {
            errs.push(ErroredField::new("HTTP", http_text(h), egress_alp));
        }
    }
    for r in ingress {
        if let Some(s) = &r.destination.services {
            errs.push(ErroredField::new(
                "Services",
                format!("&{{{} {}}}", s.name, s.namespace),
                "not allowed in ingress rule destination",
            ));
        }
    }
}

// Go types of the rule structs (policy_common.go), for go-templates.
static PROTOCOL: GoType = GoType::Ptr(&GoType::Scalar("numorstring.Protocol", Basic::Stringer));
static PORTS: GoType = GoType::Slice(&GoType::Scalar("numorstring.Port", Basic::Stringer));
static PTR_INT: GoType = GoType::Ptr(&INT);
static ICMP: GoType = GoType::Ptr(&GoType::Struct(&StructType {
    name: "v3.ICMPFields",
    fields: &[f("Type", "type", &PTR_INT), f("Code", "code", &PTR_INT)],
}));
static ENTITY_RULE: GoType = GoType::Struct(&StructType {
    name: "v3.EntityRule",
    fields: &[
        f("Nets", "nets", &STRINGS),
        f("Selector", "selector", &STRING),
        f("NamespaceSelector", "namespaceSelector", &STRING),
        f(
            "Services",
            "services",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.ServiceMatch",
                fields: &[
                    f("Name", "name", &STRING),
                    f("Namespace", "namespace", &STRING),
                ],
            })),
        ),
        f("Ports", "ports", &PORTS),
        f("NotNets", "notNets", &STRINGS),
        f("NotSelector", "notSelector", &STRING),
        f("NotPorts", "notPorts", &PORTS),
        f(
            "ServiceAccounts",
            "serviceAccounts",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.ServiceAccountMatch",
                fields: &[
                    f("Names", "names", &STRINGS),
                    f("Selector", "selector", &STRING),
                ],
            })),
        ),
    ],
});
/// `[]v3.Rule`.
pub(crate) static RULES: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.Rule",
    fields: &[
        f(
            "Action",
            "action",
            &GoType::Scalar("v3.Action", Basic::String),
        ),
        f("IPVersion", "ipVersion", &PTR_INT),
        f("Protocol", "protocol", &PROTOCOL),
        f("ICMP", "icmp", &ICMP),
        f("NotProtocol", "notProtocol", &PROTOCOL),
        f("NotICMP", "notICMP", &ICMP),
        f("Source", "source", &ENTITY_RULE),
        f("Destination", "destination", &ENTITY_RULE),
        f(
            "HTTP",
            "http",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.HTTPMatch",
                fields: &[
                    f("Methods", "methods", &STRINGS),
                    f(
                        "Paths",
                        "paths",
                        &GoType::Slice(&GoType::Struct(&StructType {
                            name: "v3.HTTPPath",
                            fields: &[f("Exact", "exact", &STRING), f("Prefix", "prefix", &STRING)],
                        })),
                    ),
                ],
            })),
        ),
        f(
            "Metadata",
            "metadata",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.RuleMetadata",
                fields: &[f("Annotations", "annotations", &STRING_MAP)],
            })),
        ),
    ],
}));

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(rule: serde_json::Value) -> Vec<String> {
        let rule: Rule = serde_json::from_value(rule).unwrap();
        let mut errs = Vec::new();
        rule_problems(&mut errs, &rule);
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn empty_entity_rules_are_written_as_go_writes_them() {
        let rule: Rule = serde_json::from_value(json!({"action": "Allow"})).unwrap();
        assert_eq!(
            crate::go::json::to_string(&rule),
            r#"{"action":"Allow","source":{},"destination":{}}"#
        );
        let rule: Rule = serde_json::from_value(json!({"action": "Allow", "protocol": "TCP",
            "destination": {"ports": [80, "8000:8080", "http"], "notNets": ["10.0.0.0/8"]}}))
        .unwrap();
        assert_eq!(
            crate::go::json::to_string(&rule),
            r#"{"action":"Allow","protocol":"TCP","source":{},"destination":{"ports":[80,"8000:8080","http"],"notNets":["10.0.0.0/8"]}}"#
        );
    }

    #[test]
    fn calico_messages() {
        assert!(problems(json!({"action": "Allow", "protocol": "TCP"})).is_empty());
        assert_eq!(
            problems(json!({"action": "jump"})),
            ["Action = 'jump' (Reason: failed to validate Field: Action because of Tag: action )"]
        );
        assert_eq!(
            problems(json!({"action": "Allow", "destination": {"ports": [80]}})),
            [
                "Destination.Ports = '[80]' (rules that specify ports must set protocol to TCP or UDP or SCTP)"
            ]
        );
        assert_eq!(
            problems(json!({"action": "Allow", "protocol": "TCP", "source": {"ports": ["0:10"]}})),
            ["Port = '0' (port range invalid, port number must be between 1 and 65535)"]
        );
        assert_eq!(
            problems(json!({"action": "Allow", "icmp": {"type": 8}})),
            ["ICMP = '&{8 <nil>}' (rules that specify ICMP fields must set protocol to ICMP)"]
        );
        assert_eq!(
            problems(
                json!({"action": "Deny", "source": {"nets": ["10.0.0.0/8"], "notNets": ["fd00::/8"]}})
            ),
            ["Source.NotNets = '[fd00::/8]' (rule contains both IPv4 and IPv6 CIDRs)"]
        );
        assert_eq!(
            problems(json!({"action": "Deny", "source": {"nets": ["10.0.0.1/8"]}})),
            [
                "Nets[0] = '10.0.0.1/8' (Reason: failed to validate Field: Nets[0] because of Tag: net )"
            ]
        );
        assert_eq!(
            problems(json!({"action": "Deny", "destination": {"notNets": ["0.0.0.0/0"]}})),
            [
                "Destination.NotNets = '0.0.0.0/0' (catch-all CIDR in negation creates logical contradiction (matches no traffic))"
            ]
        );
        assert_eq!(
            problems(json!({"action": "Allow", "protocol": "ICMP", "ipVersion": 6})),
            ["IPVersion = '<nil>' (must set ipversion to '4' with protocol icmp)"]
        );
        assert_eq!(
            problems(json!({"action": "Allow", "source": {"selector": "a == 'b' && global()"}})),
            [
                "Selector field = 'a == 'b' && global()' (global() can only be used in an EntityRule namespaceSelector)"
            ]
        );
        assert_eq!(
            problems(json!({"action": "Allow", "protocol": "tcp"})),
            ["Protocol = 'tcp' (protocol name invalid)"]
        );
    }
}
