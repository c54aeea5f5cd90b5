//! WorkloadEndpoint: a pod's interface, its addresses and floating-IP NATs.

use super::gotypes::{self, Basic, GoType, STRING, STRINGS, StructType, UINT16, f};
use super::validation::{ErroredField, ValidationError};
use super::{Cidr, Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` WorkloadEndpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadEndpoint {
    /// Always `WorkloadEndpoint`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name (`<node>-k8s-<pod>-<iface>`), namespace, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The endpoint.
    #[serde(default)]
    pub spec: WorkloadEndpointSpec,
}

/// The spec of a [`WorkloadEndpoint`], in Calico's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadEndpointSpec {
    /// `k8s`, `cni`, ...
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub orchestrator: String,
    /// Non-Kubernetes workload ID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workload: String,
    /// The Calico node hosting it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// The container runtime's ID.
    #[serde(
        default,
        rename = "containerID",
        skip_serializing_if = "String::is_empty"
    )]
    pub container_id: String,
    /// The pod's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod: String,
    /// The endpoint (interface) name inside the workload.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    /// The pod's service account.
    #[serde(
        default,
        rename = "serviceAccountName",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) service_account_name: String,
    /// The endpoint's addresses, as /32 or /128 CIDRs.
    #[serde(default, rename = "ipNetworks", skip_serializing_if = "Vec::is_empty")]
    pub ip_networks: Vec<String>,
    /// Floating IPs: 1:1 NAT from an external address to one of `ipNetworks`.
    #[serde(default, rename = "ipNATs", skip_serializing_if = "Vec::is_empty")]
    pub ip_nats: Vec<IpNat>,
    /// IPv4 gateway.
    #[serde(
        default,
        rename = "ipv4Gateway",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) ipv4_gateway: String,
    /// IPv6 gateway.
    #[serde(
        default,
        rename = "ipv6Gateway",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) ipv6_gateway: String,
    /// Policy profiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// The host-side interface.
    #[serde(
        default,
        rename = "interfaceName",
        skip_serializing_if = "String::is_empty"
    )]
    pub interface_name: String,
    /// The interface's MAC.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac: String,
    /// Named ports, kept verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<serde_json::Value>,
    /// Allowed spoofed source prefixes.
    #[serde(
        default,
        rename = "allowSpoofedSourcePrefixes",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) allow_spoofed_source_prefixes: Vec<String>,
}

/// One floating-IP mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IpNat {
    /// The pod's own address.
    #[serde(default, rename = "internalIP")]
    pub internal_ip: String,
    /// The floating address.
    #[serde(default, rename = "externalIP")]
    pub external_ip: String,
}

/// Escapes one segment of a WorkloadEndpoint name (`-` doubled).
fn escape(segment: &str) -> String {
    segment.replace('-', "--")
}

/// The Kubernetes WorkloadEndpoint name: `<node>-k8s-<pod>-<iface>`, dashes doubled.
pub fn k8s_endpoint_name(node: &str, pod: &str, iface: &str) -> String {
    format!("{}-k8s-{}-{}", escape(node), escape(pod), escape(iface))
}

impl WorkloadEndpoint {
    /// The name Calico requires for the endpoint's identifiers, as its client computes it:
    /// `<node>-<orchestrator>-<id>-<endpoint>`, each segment's dashes doubled, where the id is
    /// the pod (`k8s`), the container ID (`cni`), the orchestrator again (`libnetwork`) or the
    /// workload (any other). A missing segment, or one that starts or ends with a dash, is a
    /// validation error in Calico's words.
    pub fn expected_name(&self) -> Result<String, ValidationError> {
        let s = &self.spec;
        let field = |name: &str, value: &str, reason: &str| {
            ValidationError::one(ErroredField::new(name, value, reason))
        };
        if s.node.is_empty() {
            return Err(field("node", "", "field should be assigned"));
        }
        let id = match s.orchestrator.as_str() {
            "k8s" => ("pod", &s.pod),
            "cni" => ("containerID", &s.container_id),
            "libnetwork" => ("orchestrator", &s.orchestrator),
            _ => ("workload", &s.workload),
        };
        let segments = [
            ("node", &s.node),
            ("orchestrator", &s.orchestrator),
            id,
            ("endpoint", &s.endpoint),
        ];
        let mut parts = Vec::with_capacity(segments.len());
        for (name, value) in segments {
            if value.is_empty() {
                return Err(field(name, "", "field should be assigned"));
            }
            if value.starts_with('-') {
                return Err(field(name, value, "field must not begin with a '-'"));
            }
            if value.ends_with('-') {
                return Err(field(name, value, "field must not end with a '-'"));
            }
            parts.push(escape(value));
        }
        Ok(parts.join("-"))
    }

    /// Checks the name against [`WorkloadEndpoint::expected_name`] and sets the labels Calico's
    /// client always stores with an endpoint (its namespace, its orchestrator and, if any, its
    /// service account), as it does on every create and update.
    pub(crate) fn prepare_for_storage(&mut self) -> Result<(), ValidationError> {
        let expected = self.expected_name()?;
        if self.metadata.name != expected {
            return Err(ValidationError::one(ErroredField::new(
                "Name",
                &self.metadata.name,
                format!(
                    "the WorkloadEndpoint name does not match the primary identifiers assigned in the Spec: expected name {expected}"
                ),
            )));
        }
        let labels = &mut self.metadata.labels;
        labels.insert(LABEL_NAMESPACE.into(), self.metadata.namespace.clone());
        labels.insert(LABEL_ORCHESTRATOR.into(), self.spec.orchestrator.clone());
        if !self.spec.service_account_name.is_empty() {
            labels.insert(
                LABEL_SERVICE_ACCOUNT.into(),
                self.spec.service_account_name.clone(),
            );
        }
        Ok(())
    }
}

/// Label Calico stores on every WorkloadEndpoint: its namespace.
pub(crate) const LABEL_NAMESPACE: &str = "projectcalico.org/namespace";
/// Label Calico stores on every WorkloadEndpoint: its orchestrator.
pub(crate) const LABEL_ORCHESTRATOR: &str = "projectcalico.org/orchestrator";
/// Label Calico stores on a WorkloadEndpoint with a service account.
pub(crate) const LABEL_SERVICE_ACCOUNT: &str = "projectcalico.org/serviceaccount";

impl Resource for WorkloadEndpoint {
    const KIND: &'static str = "WorkloadEndpoint";
    const PLURAL: &'static str = "workloadendpoints";
    const NAMESPACED: bool = true;
    resource_basics!();
    const ALIASES: &'static [&'static str] =
        &["workloadendpoint", "workloadendpoints", "wep", "weps"];
    const COLUMNS: Columns = Columns {
        ps: &["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"],
        wide: &[
            "NAME",
            "WORKLOAD",
            "NODE",
            "NETWORKS",
            "INTERFACE",
            "PROFILES",
            "NATS",
        ],
        extra: &["NAMESPACE", "ORCHESTRATOR"],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[("spec.ipNATs", "IPNAT")];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::list("spec.ipNATs", "[]v3.IPNAT", "v3.IPNAT"),
        GoField::new("spec.ports", "[]v3.WorkloadEndpointPort"),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        let spec = &self.spec;
        Some(match heading {
            "WORKLOAD" if spec.workload.is_empty() => spec.pod.clone(),
            "WORKLOAD" => spec.workload.clone(),
            "NODE" => spec.node.clone(),
            "NETWORKS" => spec.ip_networks.join(","),
            "INTERFACE" => spec.interface_name.clone(),
            "PROFILES" => spec.profiles.join(","),
            "ORCHESTRATOR" => spec.orchestrator.clone(),
            "NATS" => spec
                .ip_nats
                .iter()
                .map(|n| format!("{{{} {}}}", n.internal_ip, n.external_ip))
                .collect::<Vec<_>>()
                .join(","),
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let nets: Vec<Cidr> = self
            .spec
            .ip_networks
            .iter()
            .filter_map(|n| {
                let parsed = Cidr::parse_ip_or_cidr(n);
                if parsed.is_err() {
                    errs.push(ErroredField::tag("IPNetworks", n, "cidr"));
                }
                parsed.ok()
            })
            .collect();
        for nat in &self.spec.ip_nats {
            let int = crate::model::cidr::parse_ip(&nat.internal_ip);
            let ext = crate::model::cidr::parse_ip(&nat.external_ip);
            match (int, ext) {
                (Some(i), Some(e)) => {
                    if i.is_ipv4() != e.is_ipv4() {
                        errs.push(ErroredField::new(
                            "IPNAT",
                            &nat.external_ip,
                            "mismatched IP versions",
                        ));
                    } else if !nets.iter().any(|n| n.contains_ip(i)) {
                        errs.push(ErroredField::new(
                            "IPNAT",
                            &nat.internal_ip,
                            "NAT is not in the endpoint networks",
                        ));
                    }
                }
                (None, _) => errs.push(ErroredField::new(
                    "IPNAT.InternalIP",
                    &nat.internal_ip,
                    "invalid IP address",
                )),
                (_, None) => errs.push(ErroredField::new(
                    "IPNAT.ExternalIP",
                    &nat.external_ip,
                    "invalid IP address",
                )),
            }
        }
        ValidationError::check(errs)
    }
}

// WorkloadEndpoint (libcalico-go/lib/apis/v3/workloadendpoint.go).
gotypes::go_kind!(
    "v3.WorkloadEndpoint",
    "v3.WorkloadEndpointList",
    f("Spec", "spec", &GoType::Struct(&GO_SPEC))
);
static GO_SPEC: StructType = StructType {
    name: "v3.WorkloadEndpointSpec",
    fields: &[
        f("Orchestrator", "orchestrator", &STRING),
        f("Workload", "workload", &STRING),
        f("Node", "node", &STRING),
        f("ContainerID", "containerID", &STRING),
        f("Pod", "pod", &STRING),
        f("Endpoint", "endpoint", &STRING),
        f("ServiceAccountName", "serviceAccountName", &STRING),
        f("IPNetworks", "ipNetworks", &STRINGS),
        f(
            "IPNATs",
            "ipNATs",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.IPNAT",
                fields: &[
                    f("InternalIP", "internalIP", &STRING),
                    f("ExternalIP", "externalIP", &STRING),
                    f("Source", "source", &STRING),
                ],
            })),
        ),
        f("IPv4Gateway", "ipv4Gateway", &STRING),
        f("IPv6Gateway", "ipv6Gateway", &STRING),
        f("Profiles", "profiles", &STRINGS),
        f("InterfaceName", "interfaceName", &STRING),
        f("MAC", "mac", &STRING),
        f(
            "Ports",
            "ports",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.WorkloadEndpointPort",
                fields: &[
                    f("Name", "name", &STRING),
                    f(
                        "Protocol",
                        "protocol",
                        &GoType::Scalar("numorstring.Protocol", Basic::Stringer),
                    ),
                    f("Port", "port", &UINT16),
                    f("HostPort", "hostPort", &UINT16),
                    f("HostIP", "hostIP", &STRING),
                ],
            })),
        ),
        f(
            "AllowSpoofedSourcePrefixes",
            "allowSpoofedSourcePrefixes",
            &STRINGS,
        ),
    ],
};

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(
            super::k8s_endpoint_name("node-1", "web-0", "eth0"),
            "node--1-k8s-web--0-eth0"
        );
    }
}
