//! BGPPeer: a BGP peering of some or all nodes with a router or with other nodes.
//!
//! Calico's etcd value carries `asNumber` as a number; a document may give it as a string
//! (`"64512"`, asdot `"1.10"`), which is stored as the number (`Stored::prepare`), and
//! `maxRestartTime` as any Go duration, stored in Go's form (`120s` → `2m0s`).

use super::gotypes::{self, Basic, GoType, INT32, STRING, STRINGS, StructType, embed, f};
use super::validation::{ErroredField, ValidationError, matches_name_regex};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `projectcalico.org/v3` BGPPeer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpPeer {
    /// Always `BGPPeer`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Who peers with whom.
    #[serde(default)]
    pub spec: BgpPeerSpec,
}

/// The spec of a [`BgpPeer`], in Calico v3.31's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpPeerSpec {
    /// The one node that peers (else `nodeSelector`, else every node).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) node: String,
    /// The nodes that peer.
    #[serde(
        default,
        rename = "nodeSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) node_selector: String,
    /// The peer's address, with an optional port (`10.0.0.1:179`, `[fd00::1]:179`).
    #[serde(default, rename = "peerIP", skip_serializing_if = "String::is_empty")]
    pub(crate) peer_ip: String,
    /// The peer's AS number (Go's `numorstring.ASNumber`, omitted when 0).
    #[serde(default, rename = "asNumber", skip_serializing_if = "Option::is_none")]
    pub(crate) as_number: Option<Value>,
    /// The local AS number for this peering.
    #[serde(
        default,
        rename = "localASNumber",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) local_as_number: Option<Value>,
    /// The nodes to peer with (instead of `peerIP`).
    #[serde(
        default,
        rename = "peerSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) peer_selector: String,
    /// Deprecated: `next hop keep`.
    #[serde(
        default,
        rename = "keepOriginalNextHop",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub(crate) keep_original_next_hop: bool,
    /// `Auto`, `Self` or `Keep`.
    #[serde(
        default,
        rename = "nextHopMode",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) next_hop_mode: Option<String>,
    /// The peering's password, from a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<BgpPassword>,
    /// `UseNodeIP` or `None`.
    #[serde(
        default,
        rename = "sourceAddress",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) source_address: String,
    /// Graceful restart time (a Go duration).
    #[serde(
        default,
        rename = "maxRestartTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) max_restart_time: Option<String>,
    /// Local AS numbers allowed in a received AS path.
    #[serde(
        default,
        rename = "numAllowedLocalASNumbers",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) num_allowed_local_as_numbers: Option<i32>,
    /// GTSM hop count.
    #[serde(
        default,
        rename = "ttlSecurity",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) ttl_security: Option<u8>,
    /// The gateway the peer is reached by.
    #[serde(
        default,
        rename = "reachableBy",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) reachable_by: String,
    /// BGPFilter names, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) filters: Vec<String>,
    /// The local workloads to peer with.
    #[serde(
        default,
        rename = "localWorkloadSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) local_workload_selector: String,
    /// `Auto` or `Manual`.
    #[serde(
        default,
        rename = "reversePeering",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) reverse_peering: Option<String>,
}

/// Calico's `BGPPassword` (also BGPConfiguration's `nodeMeshPassword`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BgpPassword {
    /// A key of a secret in calico-node's namespace.
    #[serde(
        default,
        rename = "secretKeyRef",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) secret_key_ref: Option<SecretKeySelector>,
}

/// Kubernetes' `SecretKeySelector` (`key` is always written, as Kubernetes' type does).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SecretKeySelector {
    /// The secret.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) name: String,
    /// The key within it.
    #[serde(default)]
    pub(crate) key: String,
    /// Whether the secret must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) optional: Option<bool>,
}

impl BgpPeer {
    /// What Calico's client stores: AS numbers as numbers (0 omitted, as Go omits the zero
    /// `asNumber`), the restart time in Go's form. Values that do not read are left for
    /// [`Resource::validate`] to report.
    pub(crate) fn normalise(&mut self) {
        let spec = &mut self.spec;
        if let Some(Ok(n)) = spec.as_number.as_ref().map(super::node::as_number) {
            spec.as_number = (n != 0).then(|| Value::from(n));
        }
        if let Some(Ok(n)) = spec.local_as_number.as_ref().map(super::node::as_number) {
            spec.local_as_number = Some(Value::from(n));
        }
        if let Some(Ok(d)) = spec
            .max_restart_time
            .as_deref()
            .map(crate::go::duration::parse_duration)
        {
            spec.max_restart_time = Some(crate::go::duration::format_duration(d));
        }
    }
}

/// Calico's `processIPPort`: the address of `<IP>`, `<IPv4>:<port>` or `[<IPv6>]:<port>`.
pub(crate) fn peer_address(value: &str) -> Option<std::net::IpAddr> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let host = match value.rsplit_once(':') {
        Some((host, port)) if digits(port) && (v4_port_form(host) || v6_port_form(host)) => {
            let host = match host.strip_prefix('[') {
                Some(h) => h.strip_suffix(']')?,
                None if host.contains(':') => return None,
                None => host,
            };
            match port.parse::<u64>() {
                Ok(1..=65535) => host,
                _ => return None,
            }
        }
        _ => value,
    };
    super::cidr::parse_ip(host)
}

/// `^(\d+).(\d+).(\d+).(\d+)` up to the port's colon (each `.` any one character).
fn v4_port_form(host: &str) -> bool {
    fn from(chars: &[char], group: usize) -> bool {
        let run = chars.iter().take_while(|c| c.is_ascii_digit()).count();
        (1..=run).any(|n| match (&chars[n..], group) {
            ([], 3) => true,
            ([_, rest @ ..], g) if g < 3 => from(rest, g + 1),
            _ => false,
        })
    }
    let chars: Vec<char> = host.chars().collect();
    from(&chars, 0)
}

/// `^\[[0-9a-fA-F:.]+\]` up to the port's colon.
fn v6_port_form(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .is_some_and(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        })
}

/// Calico's `validateReachableBy`: why `reachableBy` does not fit `peerIP`, if it does not.
fn reachable_by_problem(reachable_by: &str, peer_ip: &str) -> Option<&'static str> {
    if reachable_by.is_empty() {
        return None;
    }
    if peer_ip.is_empty() {
        return Some("ReachablyBy field must be empty when PeerIP is empty");
    }
    let Some(gateway) = super::cidr::parse_ip(reachable_by) else {
        return Some("ReachableBy is invalid address");
    };
    let Some(peer) = peer_address(peer_ip) else {
        return Some("PeerIP is invalid address");
    };
    (gateway.is_ipv4() != peer.is_ipv4())
        .then_some("ReachableBy and PeerIP address family mismatched")
}

/// The AS number as calicoctl prints it (`{{.Spec.ASNumber}}`: decimal, 0 when unset).
fn as_number_text(value: &Option<Value>) -> String {
    match value {
        None => "0".to_string(),
        Some(v) => super::node::as_number(v).map_or_else(|_| v.to_string(), |n| n.to_string()),
    }
}

/// The generic validator's `selector` tag.
pub(crate) fn selector_error(field: &str, selector: &str) -> Option<ErroredField> {
    (!selector.is_empty() && crate::selector::parse(selector).is_err())
        .then(|| ErroredField::tag(field, selector, "selector"))
}

impl Resource for BgpPeer {
    const KIND: &'static str = "BGPPeer";
    const PLURAL: &'static str = "bgppeers";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &["bgppeer", "bgppeers", "bgpp", "bgpps", "bp", "bps"];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "PEERIP", "NODE", "ASN"],
        wide: &["NAME", "PEERIP", "NODE", "ASN"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("spec.password", "BGPPassword"),
        ("spec.password.secretKeyRef", "SecretKeySelector"),
    ];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new("spec.nextHopMode", "v3.NextHopMode"),
        GoField::new("spec.sourceAddress", "v3.SourceAddress"),
        GoField::new("spec.reversePeering", "v3.ReversePeering"),
        GoField::new("spec.numAllowedLocalASNumbers", "int32"),
        GoField::new("spec.ttlSecurity", "uint8"),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        let spec = &self.spec;
        Some(match heading {
            "PEERIP" => spec.peer_ip.clone(),
            "NODE" => match (spec.node.as_str(), spec.node_selector.as_str()) {
                ("", "") => "(global)".to_string(),
                ("", selector) => selector.to_string(),
                (node, _) => node.to_string(),
            },
            "ASN" => as_number_text(&spec.as_number),
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let spec = &self.spec;
        // Field checks in Go's field order, then BGPPeerSpec's struct-level checks.
        if !spec.node.is_empty() && !matches_name_regex(&spec.node) {
            errs.push(ErroredField::tag("Node", &spec.node, "name"));
        }
        errs.extend(selector_error("NodeSelector", &spec.node_selector));
        if !spec.peer_ip.is_empty() && peer_address(&spec.peer_ip).is_none() {
            errs.push(ErroredField::tag("PeerIP", &spec.peer_ip, "IP:port"));
        }
        errs.extend(super::node::as_number_error("ASNumber", &spec.as_number));
        errs.extend(super::node::as_number_error(
            "LocalASNumber",
            &spec.local_as_number,
        ));
        errs.extend(selector_error("PeerSelector", &spec.peer_selector));
        if !spec.source_address.is_empty()
            && !matches!(spec.source_address.as_str(), "UseNodeIP" | "None")
        {
            errs.push(ErroredField::tag(
                "SourceAddress",
                &spec.source_address,
                "sourceAddress",
            ));
        }
        if let Some(d) = &spec.max_restart_time
            && let Err(reason) = crate::go::duration::parse_duration(d)
        {
            errs.push(ErroredField::new("MaxRestartTime", d, reason));
        }
        if !spec.reachable_by.is_empty() && super::cidr::parse_ip(&spec.reachable_by).is_none() {
            errs.push(ErroredField::tag(
                "ReachableBy",
                &spec.reachable_by,
                "reachableBy",
            ));
        }
        for (i, filter) in spec.filters.iter().enumerate() {
            if !matches_name_regex(filter) {
                errs.push(ErroredField::tag(&format!("Filters[{i}]"), filter, "name"));
            }
        }
        errs.extend(selector_error(
            "LocalWorkloadSelector",
            &spec.local_workload_selector,
        ));

        let asn = spec
            .as_number
            .as_ref()
            .and_then(|v| super::node::as_number(v).ok())
            .unwrap_or(0);
        let asn_text = as_number_text(&spec.as_number);
        let lws = !spec.local_workload_selector.is_empty();
        if !spec.node.is_empty() && !spec.node_selector.is_empty() {
            errs.push(ErroredField::new(
                "Node",
                &spec.node,
                "Node field must be empty when NodeSelector is specified",
            ));
        }
        if !spec.peer_ip.is_empty() && !spec.peer_selector.is_empty() {
            errs.push(ErroredField::new(
                "PeerIP",
                &spec.peer_ip,
                "PeerIP field must be empty when PeerSelector is specified",
            ));
        }
        if asn != 0 && !spec.peer_selector.is_empty() {
            errs.push(ErroredField::new(
                "ASNumber",
                &asn_text,
                "ASNumber field must be empty when PeerSelector is specified",
            ));
        }
        if asn == 0 && lws {
            errs.push(ErroredField::new(
                "ASNumber",
                &asn_text,
                "ASNumber field must NOT be empty when LocalWorkloadSelector is specified",
            ));
        }
        if !spec.peer_ip.is_empty() && lws {
            errs.push(ErroredField::new(
                "PeerIP",
                &spec.peer_ip,
                "PeerIP field must be empty when LocalWorkloadSelector is specified",
            ));
        }
        if !spec.peer_selector.is_empty() && lws {
            // Calico reports the peerIP's value under this field's name.
            errs.push(ErroredField::new(
                "PeerSelector",
                &spec.peer_ip,
                "PeerSelector field must be empty when LocalWorkloadSelector is specified",
            ));
        }
        if let Some(reason) = reachable_by_problem(&spec.reachable_by, &spec.peer_ip) {
            errs.push(ErroredField::new("ReachableBy", &spec.reachable_by, reason));
        }
        if spec.keep_original_next_hop && spec.next_hop_mode.is_some() {
            errs.push(ErroredField::new(
                "KeepOriginalNextHop",
                &spec.peer_ip,
                "The KeepOriginalNextHop field is deprecated. It must not be set to true when NextHopMode is configured.",
            ));
        }
        ValidationError::check(errs)
    }
}

/// Calico's `numorstring.ASNumber`.
pub(crate) static AS_NUMBER: GoType = GoType::Scalar("numorstring.ASNumber", Basic::Uint);
/// `*metav1.Duration`, printed as its text.
pub(crate) static PTR_DURATION: GoType =
    GoType::Ptr(&GoType::Scalar("v1.Duration", Basic::Stringer));
/// `*v3.BGPPassword`.
pub(crate) static PTR_PASSWORD: GoType = GoType::Ptr(&GoType::Struct(&StructType {
    name: "v3.BGPPassword",
    fields: &[f(
        "SecretKeyRef",
        "secretKeyRef",
        &GoType::Ptr(&GoType::Struct(&StructType {
            name: "v1.SecretKeySelector",
            fields: &[
                embed(
                    "LocalObjectReference",
                    "",
                    &GoType::Struct(&StructType {
                        name: "v1.LocalObjectReference",
                        fields: &[f("Name", "name", &STRING)],
                    }),
                ),
                f("Key", "key", &STRING),
                f("Optional", "optional", &gotypes::PTR_BOOL),
            ],
        })),
    )],
}));

// BGPPeer (api/pkg/apis/projectcalico/v3/bgppeer.go).
gotypes::go_kind!(
    "v3.BGPPeer",
    "v3.BGPPeerList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.BGPPeerSpec",
            fields: &[
                f("Node", "node", &STRING),
                f("NodeSelector", "nodeSelector", &STRING),
                f("PeerIP", "peerIP", &STRING),
                f("ASNumber", "asNumber", &AS_NUMBER),
                f("LocalASNumber", "localASNumber", &GoType::Ptr(&AS_NUMBER)),
                f("PeerSelector", "peerSelector", &STRING),
                f("KeepOriginalNextHop", "keepOriginalNextHop", &gotypes::BOOL),
                f(
                    "NextHopMode",
                    "nextHopMode",
                    &GoType::Ptr(&GoType::Scalar("v3.NextHopMode", Basic::String)),
                ),
                f("Password", "password", &PTR_PASSWORD),
                f(
                    "SourceAddress",
                    "sourceAddress",
                    &GoType::Scalar("v3.SourceAddress", Basic::String),
                ),
                f("MaxRestartTime", "maxRestartTime", &PTR_DURATION),
                f(
                    "NumAllowedLocalASNumbers",
                    "numAllowedLocalASNumbers",
                    &GoType::Ptr(&INT32),
                ),
                f(
                    "TTLSecurity",
                    "ttlSecurity",
                    &GoType::Ptr(&GoType::Scalar("uint8", Basic::Uint)),
                ),
                f("ReachableBy", "reachableBy", &STRING),
                f("Filters", "filters", &STRINGS),
                f("LocalWorkloadSelector", "localWorkloadSelector", &STRING),
                f(
                    "ReversePeering",
                    "reversePeering",
                    &GoType::Ptr(&GoType::Scalar("v3.ReversePeering", Basic::String)),
                ),
            ],
        })
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ip_with_optional_port_as_calico_reads_it() {
        for ok in [
            "10.0.0.1",
            "10.0.0.1:179",
            "fd00::1",
            "[fd00::1]:179",
            "10.0.0.1:65535",
        ] {
            assert!(peer_address(ok).is_some(), "{ok}");
        }
        for bad in [
            "10.0.0.1:0",
            "10.0.0.1:65536",
            "[fd00::1]",
            "fd00::1]:179",
            "10.0.0.300",
            "10.0.0.1:x",
            "host:179",
            "[10.0.0.1]:179x",
        ] {
            assert!(peer_address(bad).is_none(), "{bad}");
        }
        assert_eq!(
            peer_address("[10.0.0.1]:179").unwrap().to_string(),
            "10.0.0.1"
        );
    }

    fn peer(yaml_spec: serde_json::Value) -> BgpPeer {
        serde_json::from_value(serde_json::json!({
            "kind": "BGPPeer", "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": "p"}, "spec": yaml_spec,
        }))
        .unwrap()
    }

    #[test]
    fn struct_rules_in_calicos_words() {
        let p = peer(serde_json::json!({
            "node": "n1", "nodeSelector": "all()", "peerIP": "10.0.0.1",
            "peerSelector": "rr == 'true'", "asNumber": 65000,
        }));
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "error with the following fields:\n\
             -  Node = 'n1' (Node field must be empty when NodeSelector is specified)\n\
             -  PeerIP = '10.0.0.1' (PeerIP field must be empty when PeerSelector is specified)\n\
             -  ASNumber = '65000' (ASNumber field must be empty when PeerSelector is specified)\n"
        );
        let p = peer(serde_json::json!({"peerIP": "10.0.0.1", "reachableBy": "fd00::1"}));
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "error with field ReachableBy = 'fd00::1' (ReachableBy and PeerIP address family mismatched)"
        );
        let mut p = peer(serde_json::json!({"asNumber": "1.10", "maxRestartTime": "120s"}));
        p.normalise();
        assert_eq!(p.spec.as_number, Some(serde_json::json!(65546)));
        assert_eq!(p.spec.max_restart_time.as_deref(), Some("2m0s"));
    }
}
