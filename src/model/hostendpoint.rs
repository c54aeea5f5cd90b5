//! HostEndpoint: a host's interface (or all of its interfaces, `*`) that policy applies to.

use super::gotypes::{self, Basic, GoType, STRING, STRINGS, StructType, UINT16, f};
use super::numorstring::{Protocol, port_name_ok};
use super::validation::{ErroredField, ValidationError, name_problem};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` HostEndpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostEndpoint {
    /// Always `HostEndpoint`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The endpoint.
    #[serde(default)]
    pub spec: HostEndpointSpec,
}

/// The spec of a [`HostEndpoint`], in Calico's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostEndpointSpec {
    /// The Calico node.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// An interface name, `*` for all of the host's, or empty (then `expectedIPs` finds it).
    #[serde(
        default,
        rename = "interfaceName",
        skip_serializing_if = "String::is_empty"
    )]
    pub interface_name: String,
    /// The endpoint's addresses.
    #[serde(default, rename = "expectedIPs", skip_serializing_if = "Vec::is_empty")]
    pub expected_ips: Vec<String>,
    /// Profiles applied after policy, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Named ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ports: Vec<EndpointPort>,
}

/// A named port of a host endpoint (every field is always written, as Go writes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointPort {
    /// The name policy rules refer to.
    #[serde(default)]
    pub(crate) name: String,
    /// TCP, UDP or SCTP.
    #[serde(default = "no_protocol")]
    pub(crate) protocol: Protocol,
    /// The port number.
    #[serde(default)]
    pub(crate) port: u16,
}

/// Go's zero `numorstring.Protocol`: the number 0.
fn no_protocol() -> Protocol {
    Protocol::Num(0)
}

/// An interface name as Calico accepts it: `*`, or 1 to 15 of `[a-zA-Z0-9_.-]`.
fn interface_ok(s: &str) -> bool {
    s == "*"
        || (!s.is_empty()
            && s.len() <= 15
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')))
}

impl Resource for HostEndpoint {
    const KIND: &'static str = "HostEndpoint";
    const PLURAL: &'static str = "hostendpoints";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &["hostendpoint", "hostendpoints", "hep", "heps"];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "NODE"],
        wide: &["NAME", "NODE", "INTERFACE", "IPS", "PROFILES"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[("spec.ports", "EndpointPort")];
    const GO_FIELDS: &'static [GoField] = &[GoField::new("spec.ports.port", "uint16")];

    fn cell(&self, heading: &str) -> Option<String> {
        let s = &self.spec;
        Some(match heading {
            "NODE" => s.node.clone(),
            "INTERFACE" => s.interface_name.clone(),
            "IPS" => s.expected_ips.join(","),
            "PROFILES" => s.profiles.join(","),
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let s = &self.spec;
        if !s.node.is_empty() && name_problem(&s.node).is_some() {
            errs.push(ErroredField::tag("Node", &s.node, "name"));
        }
        if !s.interface_name.is_empty() && !interface_ok(&s.interface_name) {
            errs.push(ErroredField::tag(
                "InterfaceName",
                &s.interface_name,
                "interface",
            ));
        }
        for (i, ip) in s.expected_ips.iter().enumerate() {
            if crate::model::cidr::parse_ip(ip).is_none() {
                errs.push(ErroredField::tag(&format!("ExpectedIPs[{i}]"), ip, "ip"));
            }
        }
        for (i, p) in s.profiles.iter().enumerate() {
            if name_problem(p).is_some() {
                errs.push(ErroredField::tag(&format!("Profiles[{i}]"), p, "name"));
            }
        }
        for p in &s.ports {
            if !port_name_ok(&p.name) {
                errs.push(ErroredField::tag("Name", &p.name, "portName"));
            }
            if let Some((value, reason)) = p.protocol.problem() {
                errs.push(ErroredField::new("Protocol", value, reason));
            }
            if p.port == 0 {
                errs.push(ErroredField::tag("Port", 0, "gt"));
            }
            if !p.protocol.supports_ports() {
                errs.push(ErroredField::new(
                    "EndpointPort.Protocol",
                    p.protocol.text(),
                    "EndpointPort protocol does not support ports.",
                ));
            }
        }
        // Calico reports a missing node under InterfaceName too.
        if s.interface_name.is_empty() && s.expected_ips.is_empty() {
            errs.push(ErroredField::new(
                "InterfaceName",
                "",
                "no interface or expected IPs have been specified",
            ));
        }
        if s.node.is_empty() {
            errs.push(ErroredField::new(
                "InterfaceName",
                "",
                "no node has been specified",
            ));
        }
        ValidationError::check(errs)
    }
}

// HostEndpoint (hostendpoint.go).
gotypes::go_kind!(
    "v3.HostEndpoint",
    "v3.HostEndpointList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.HostEndpointSpec",
            fields: &[
                f("Node", "node", &STRING),
                f("InterfaceName", "interfaceName", &STRING),
                f("ExpectedIPs", "expectedIPs", &STRINGS),
                f("Profiles", "profiles", &STRINGS),
                f(
                    "Ports",
                    "ports",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v3.EndpointPort",
                        fields: &[
                            f("Name", "name", &STRING),
                            f(
                                "Protocol",
                                "protocol",
                                &GoType::Scalar("numorstring.Protocol", Basic::Stringer),
                            ),
                            f("Port", "port", &UINT16),
                        ],
                    })),
                ),
            ],
        })
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_json_and_messages() {
        let mut h: HostEndpoint = serde_json::from_str(
            r#"{"metadata":{"name":"n1-eth0"},"spec":{"node":"n1","interfaceName":"eth0","expectedIPs":["10.0.0.1","fd00::1"],"profiles":["a","b"],"ports":[{"name":"web","port":80,"protocol":"TCP"}]}}"#,
        )
        .unwrap();
        assert_eq!(h.cell("IPS").unwrap(), "10.0.0.1,fd00::1");
        assert_eq!(h.cell("PROFILES").unwrap(), "a,b");
        assert!(h.validate().is_ok());
        assert_eq!(
            crate::go::json::to_string(&h.spec.ports),
            r#"[{"name":"web","protocol":"TCP","port":80}]"#
        );
        h.spec.node.clear();
        h.spec.interface_name = "a-very-long-interface".into();
        h.spec.expected_ips = vec!["10.0.0.300".into()];
        h.spec.ports = vec![EndpointPort {
            name: String::new(),
            protocol: Protocol::Name("ICMP".into()),
            port: 0,
        }];
        assert_eq!(
            h.validate().unwrap_err().to_string(),
            "error with the following fields:\n\
             -  InterfaceName = 'a-very-long-interface' (Reason: failed to validate Field: InterfaceName because of Tag: interface )\n\
             -  ExpectedIPs[0] = '10.0.0.300' (Reason: failed to validate Field: ExpectedIPs[0] because of Tag: ip )\n\
             -  Name = '' (Reason: failed to validate Field: Name because of Tag: portName )\n\
             -  Port = '0' (Reason: failed to validate Field: Port because of Tag: gt )\n\
             -  EndpointPort.Protocol = 'ICMP' (EndpointPort protocol does not support ports.)\n\
             -  InterfaceName = '' (no node has been specified)\n"
        );
        h.spec = HostEndpointSpec {
            node: "n1".into(),
            ..HostEndpointSpec::default()
        };
        assert_eq!(
            h.validate().unwrap_err().to_string(),
            "error with field InterfaceName = '' (no interface or expected IPs have been specified)"
        );
    }
}
