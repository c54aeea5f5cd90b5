//! BGPConfiguration: cluster-wide BGP settings (`default`) and per-node ones (`node.<name>`).
//!
//! Only `default` may set the mesh, the AS number, the service addresses and the mesh's
//! password and restart time ([`BgpConfiguration::default_only_problems`], Calico's client
//! rule); the global AS number is what `get node -o wide` shows for nodes without their own.

use super::bgppeer::{AS_NUMBER, BgpPassword, PTR_DURATION, PTR_PASSWORD};
use super::gotypes::{self, Basic, GoType, STRING, STRINGS, StructType, UINT16, f};
use super::node::{as_number, as_number_error};
use super::validation::{ErroredField, ValidationError, matches_name_regex};
use super::{Cidr, Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The name of the cluster-wide configuration.
pub(crate) const DEFAULT_NAME: &str = "default";

/// The AS number Calico uses when `default` sets none.
pub(crate) const DEFAULT_AS_NUMBER: u32 = 64512;

/// `projectcalico.org/v3` BGPConfiguration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpConfiguration {
    /// Always `BGPConfiguration`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// `default` or `node.<nodename>`, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The settings.
    #[serde(default)]
    pub spec: BgpConfigurationSpec,
}

/// The spec of a [`BgpConfiguration`], in Calico v3.31's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpConfigurationSpec {
    /// BIRD's log level: `Trace`, `Debug`, `Info`, `Warning`, `Error`, `Fatal`.
    #[serde(
        default,
        rename = "logSeverityScreen",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) log_severity_screen: String,
    /// The full node-to-node mesh.
    #[serde(
        default,
        rename = "nodeToNodeMeshEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) node_to_node_mesh_enabled: Option<bool>,
    /// The cluster's AS number.
    #[serde(default, rename = "asNumber", skip_serializing_if = "Option::is_none")]
    pub(crate) as_number: Option<Value>,
    /// LoadBalancer service ranges to advertise.
    #[serde(
        default,
        rename = "serviceLoadBalancerIPs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) service_load_balancer_ips: Vec<ServiceIpBlock>,
    /// External IP ranges to advertise.
    #[serde(
        default,
        rename = "serviceExternalIPs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) service_external_ips: Vec<ServiceIpBlock>,
    /// Cluster IP ranges to advertise.
    #[serde(
        default,
        rename = "serviceClusterIPs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) service_cluster_ips: Vec<ServiceIpBlock>,
    /// `Enabled` or `Disabled`.
    #[serde(
        default,
        rename = "serviceLoadBalancerAggregation",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) service_load_balancer_aggregation: Option<String>,
    /// Named BGP communities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) communities: Vec<Community>,
    /// Communities attached to advertised prefixes.
    #[serde(
        default,
        rename = "prefixAdvertisements",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) prefix_advertisements: Vec<PrefixAdvertisement>,
    /// BIRD's port.
    #[serde(default, rename = "listenPort", skip_serializing_if = "is_zero_port")]
    pub(crate) listen_port: u16,
    /// The mesh's password.
    #[serde(
        default,
        rename = "nodeMeshPassword",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) node_mesh_password: Option<BgpPassword>,
    /// The mesh's graceful restart time (a Go duration).
    #[serde(
        default,
        rename = "nodeMeshMaxRestartTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) node_mesh_max_restart_time: Option<String>,
    /// `None` or `NodeIP`.
    #[serde(default, rename = "bindMode", skip_serializing_if = "Option::is_none")]
    pub(crate) bind_mode: Option<String>,
    /// Interfaces whose routes BIRD ignores.
    #[serde(
        default,
        rename = "ignoredInterfaces",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) ignored_interfaces: Vec<String>,
    /// The IPv4 address local workloads peer with.
    #[serde(
        default,
        rename = "localWorkloadPeeringIPV4",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) local_workload_peering_ipv4: String,
    /// The IPv6 address local workloads peer with.
    #[serde(
        default,
        rename = "localWorkloadPeeringIPV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) local_workload_peering_ipv6: String,
}

/// A service address range (`ServiceLoadBalancerIPBlock` and its siblings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ServiceIpBlock {
    /// The range.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) cidr: String,
}

/// A named community.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Community {
    /// Its name, used in `prefixAdvertisements`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) name: String,
    /// `aa:nn` or `aa:nn:mm`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) value: String,
}

/// Communities to attach to a prefix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PrefixAdvertisement {
    /// The prefix.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) cidr: String,
    /// Community names or values (absent and empty differ for Calico's `required`).
    #[serde(default, skip_serializing_if = "none_or_empty")]
    pub(crate) communities: Option<Vec<String>>,
}

fn is_zero_port(port: &u16) -> bool {
    *port == 0
}

fn none_or_empty(v: &Option<Vec<String>>) -> bool {
    v.as_ref().is_none_or(Vec::is_empty)
}

impl BgpConfiguration {
    /// calicoctl's `config "asnumber"` given this configuration as `default`: its AS number,
    /// else Calico's 64512; `unknown` when the stored value does not read (Calico's read of
    /// it fails then).
    pub(crate) fn global_as_number(&self) -> String {
        match &self.spec.as_number {
            None => DEFAULT_AS_NUMBER.to_string(),
            Some(v) => as_number(v).map_or_else(|_| "unknown".to_string(), |n| n.to_string()),
        }
    }

    /// What Calico's client stores: the AS number as a number, the restart time in Go's form.
    pub(crate) fn normalise(&mut self) {
        let spec = &mut self.spec;
        if let Some(Ok(n)) = spec.as_number.as_ref().map(as_number) {
            spec.as_number = Some(Value::from(n));
        }
        if let Some(Ok(d)) = spec
            .node_mesh_max_restart_time
            .as_deref()
            .map(crate::go::duration::parse_duration)
        {
            spec.node_mesh_max_restart_time = Some(crate::go::duration::format_duration(d));
        }
    }

    /// Calico's client rule: fields only `default` may set.
    pub(crate) fn default_only_problems(&self) -> Result<(), ValidationError> {
        if self.metadata.name == DEFAULT_NAME {
            return Ok(());
        }
        let spec = &self.spec;
        let mut errs = Vec::new();
        let mut refuse = |set: bool, field: &str, what: &str| {
            if set {
                errs.push(ErroredField::without_value(
                    &format!("BGPConfiguration.Spec.{field}"),
                    format!("Cannot set {what} on a non default BGP Configuration."),
                ));
            }
        };
        refuse(
            spec.node_to_node_mesh_enabled.is_some(),
            "NodeToNodeMeshEnabled",
            "nodeToNodeMeshEnabled",
        );
        refuse(spec.as_number.is_some(), "ASNumber", "ASNumber");
        for (list, field) in [
            (&spec.service_load_balancer_ips, "ServiceLoadBalancerIPs"),
            (&spec.service_external_ips, "ServiceExternalIPs"),
            (&spec.service_cluster_ips, "ServiceClusterIPs"),
        ] {
            refuse(!list.is_empty(), field, field);
        }
        refuse(
            spec.node_mesh_password.is_some(),
            "NodeMeshPassword",
            "nodeMeshPassword",
        );
        refuse(
            spec.node_mesh_max_restart_time.is_some(),
            "NodeMeshMaxRestartTime",
            "nodeMeshMaxRestartTime",
        );
        ValidationError::check(errs)
    }
}

/// The validator's `net` tag: an address, or a CIDR with no host bits.
fn is_net(s: &str) -> bool {
    Cidr::parse_ip_or_cidr(s).is_ok_and(|c| c.is_masked())
}

/// Calico's community check of `value` (reported under `field`): `Some(errors)` for the
/// `aa:nn` (16-bit parts) and `aa:nn:mm` (32-bit parts) forms, `None` for any other text.
fn community_value_errors(value: &str, field: &str) -> Option<Vec<ErroredField>> {
    let parts: Vec<&str> = value.split(':').collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !parts.iter().all(numeric) {
        return None;
    }
    let bits = match parts.len() {
        2 => 16,
        3 => 32,
        _ => return None,
    };
    let max = (1u64 << bits) - 1;
    Some(
        parts
            .iter()
            .filter(|p| p.parse::<u64>().map_or(true, |n| n > max))
            .map(|_| {
                ErroredField::new(
                    field,
                    value,
                    format!("invalid community value, expected {bits} bit value"),
                )
            })
            .collect(),
    )
}

/// The validator's field checks of `required,name` and `required` strings.
fn required(field: &str, value: &str) -> Option<ErroredField> {
    value
        .is_empty()
        .then(|| ErroredField::tag(field, value, "required"))
}

impl Resource for BgpConfiguration {
    const KIND: &'static str = "BGPConfiguration";
    const PLURAL: &'static str = "bgpconfigurations";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "bgpconfiguration",
        "bgpconfigurations",
        "bgpconfig",
        "bgpconfigs",
    ];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"],
        wide: &["NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("spec.serviceLoadBalancerIPs", "ServiceLoadBalancerIPBlock"),
        ("spec.serviceExternalIPs", "ServiceExternalIPBlock"),
        ("spec.serviceClusterIPs", "ServiceClusterIPBlock"),
        ("spec.communities", "Community"),
        ("spec.prefixAdvertisements", "PrefixAdvertisement"),
        ("spec.nodeMeshPassword", "BGPPassword"),
        ("spec.nodeMeshPassword.secretKeyRef", "SecretKeySelector"),
    ];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new(
            "spec.serviceLoadBalancerAggregation",
            "v3.ServiceLoadBalancerAggregation",
        ),
        GoField::new("spec.bindMode", "v3.BindMode"),
        GoField::new("spec.listenPort", "uint16"),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        let spec = &self.spec;
        Some(match heading {
            "LOGSEVERITY" => spec.log_severity_screen.clone(),
            "MESHENABLED" => spec
                .node_to_node_mesh_enabled
                .map_or_else(|| "-".to_string(), |b| b.to_string()),
            "ASNUMBER" => match &spec.as_number {
                None => "-".to_string(),
                Some(v) => as_number(v).map_or_else(|_| v.to_string(), |n| n.to_string()),
            },
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let spec = &self.spec;
        // Field checks in Go's field order, then BGPConfigurationSpec's struct-level checks.
        let level = spec.log_severity_screen.as_str();
        if !level.is_empty()
            && !matches!(
                level,
                "Trace" | "Debug" | "Info" | "Warning" | "Error" | "Fatal"
            )
        {
            errs.push(ErroredField::tag("LogSeverityScreen", level, "logLevel"));
        }
        errs.extend(as_number_error("ASNumber", &spec.as_number));
        for block in spec
            .service_load_balancer_ips
            .iter()
            .chain(&spec.service_external_ips)
            .chain(&spec.service_cluster_ips)
        {
            if !block.cidr.is_empty() && !is_net(&block.cidr) {
                errs.push(ErroredField::tag("CIDR", &block.cidr, "net"));
            }
        }
        for c in &spec.communities {
            if let Some(e) = required("Name", &c.name) {
                errs.push(e);
            } else if !matches_name_regex(&c.name) {
                errs.push(ErroredField::tag("Name", &c.name, "name"));
            }
            errs.extend(required("Value", &c.value));
        }
        for pa in &spec.prefix_advertisements {
            if let Some(e) = required("CIDR", &pa.cidr) {
                errs.push(e);
            } else if !is_net(&pa.cidr) {
                errs.push(ErroredField::tag("CIDR", &pa.cidr, "net"));
            }
            if pa.communities.is_none() {
                errs.push(ErroredField::tag("Communities", "[]", "required"));
            }
        }
        if let Some(d) = &spec.node_mesh_max_restart_time
            && let Err(reason) = crate::go::duration::parse_duration(d)
        {
            errs.push(ErroredField::new("NodeMeshMaxRestartTime", d, reason));
        }
        for (i, iface) in spec.ignored_interfaces.iter().enumerate() {
            if iface == "*" || !super::bgpfilter::interface_pattern(iface) {
                errs.push(ErroredField::tag(
                    &format!("IgnoredInterfaces[{i}]"),
                    iface,
                    "ignoredInterface",
                ));
            }
        }
        let v4 = &spec.local_workload_peering_ipv4;
        if !v4.is_empty() && !super::cidr::parse_ip(v4).is_some_and(|ip| ip.is_ipv4()) {
            errs.push(ErroredField::tag("LocalWorkloadPeeringIPV4", v4, "ipv4"));
        }
        let v6 = &spec.local_workload_peering_ipv6;
        if !v6.is_empty() && !super::cidr::parse_ip(v6).is_some_and(|ip| ip.is_ipv6()) {
            errs.push(ErroredField::tag("LocalWorkloadPeeringIPV6", v6, "ipv6"));
        }

        for c in &spec.communities {
            let field = "Spec.Communities[].Value";
            match community_value_errors(&c.value, field) {
                Some(found) => errs.extend(found),
                None => errs.push(ErroredField::new(
                    field,
                    &c.value,
                    "invalid community value or format used.",
                )),
            }
        }
        if spec.prefix_advertisements.is_empty() && !spec.communities.is_empty() {
            let shown: Vec<String> = spec
                .communities
                .iter()
                .map(|c| format!("{{{} {}}}", c.name, c.value))
                .collect();
            errs.push(ErroredField::new(
                "Spec.Communities[]",
                format!("[{}]", shown.join(" ")),
                "communities are defined but not used in Spec.PrefixAdvertisement[].",
            ));
        }
        for pa in &spec.prefix_advertisements {
            if Cidr::parse_ip_or_cidr(&pa.cidr).is_err() {
                errs.push(ErroredField::new(
                    "Spec.PrefixAdvertisement[].CIDR",
                    &pa.cidr,
                    "invalid CIDR value.",
                ));
            }
            let field = "Spec.PrefixAdvertisement[].Communities[]";
            for v in pa.communities.iter().flatten() {
                match community_value_errors(v, field) {
                    Some(found) => errs.extend(found),
                    None if !spec.communities.iter().any(|c| &c.name == v) => errs.push(
                        ErroredField::new(field, v, "community used is invalid or not defined."),
                    ),
                    None => {}
                }
            }
        }
        // Calico prints the whole spec struct (with pointer addresses) as these values;
        // they are left out here.
        let mesh_off = spec.node_to_node_mesh_enabled == Some(false);
        if mesh_off && spec.node_mesh_password.is_some() {
            errs.push(ErroredField::without_value(
                "Spec.NodeMeshPassword",
                "spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled",
            ));
        }
        if mesh_off && spec.node_mesh_max_restart_time.is_some() {
            errs.push(ErroredField::without_value(
                "Spec.NodeMeshMaxRestartTime",
                "spec.NodeMeshMaxRestartTime cannot be set if spec.NodeToNodeMesh is disabled",
            ));
        }
        ValidationError::check(errs)
    }

    fn validate_standalone(&self) -> Result<(), ValidationError> {
        self.validate()?;
        self.default_only_problems()
    }
}

static SERVICE_BLOCK_FIELDS: &[gotypes::Field] = &[f("CIDR", "cidr", &STRING)];

// BGPConfiguration (api/pkg/apis/projectcalico/v3/bgpconfig.go).
gotypes::go_kind!(
    "v3.BGPConfiguration",
    "v3.BGPConfigurationList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.BGPConfigurationSpec",
            fields: &[
                f("LogSeverityScreen", "logSeverityScreen", &STRING),
                f(
                    "NodeToNodeMeshEnabled",
                    "nodeToNodeMeshEnabled",
                    &gotypes::PTR_BOOL
                ),
                f("ASNumber", "asNumber", &GoType::Ptr(&AS_NUMBER)),
                f(
                    "ServiceLoadBalancerIPs",
                    "serviceLoadBalancerIPs",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v3.ServiceLoadBalancerIPBlock",
                        fields: SERVICE_BLOCK_FIELDS,
                    }))
                ),
                f(
                    "ServiceExternalIPs",
                    "serviceExternalIPs",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v3.ServiceExternalIPBlock",
                        fields: SERVICE_BLOCK_FIELDS,
                    }))
                ),
                f(
                    "ServiceClusterIPs",
                    "serviceClusterIPs",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v3.ServiceClusterIPBlock",
                        fields: SERVICE_BLOCK_FIELDS,
                    }))
                ),
                f(
                    "ServiceLoadBalancerAggregation",
                    "serviceLoadBalancerAggregation",
                    &GoType::Ptr(&GoType::Scalar(
                        "v3.ServiceLoadBalancerAggregation",
                        Basic::String
                    ))
                ),
                f(
                    "Communities",
                    "communities",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v3.Community",
                        fields: &[f("Name", "name", &STRING), f("Value", "value", &STRING)],
                    }))
                ),
                f(
                    "PrefixAdvertisements",
                    "prefixAdvertisements",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v3.PrefixAdvertisement",
                        fields: &[
                            f("CIDR", "cidr", &STRING),
                            f("Communities", "communities", &STRINGS)
                        ],
                    }))
                ),
                f("ListenPort", "listenPort", &UINT16),
                f("NodeMeshPassword", "nodeMeshPassword", &PTR_PASSWORD),
                f(
                    "NodeMeshMaxRestartTime",
                    "nodeMeshMaxRestartTime",
                    &PTR_DURATION
                ),
                f(
                    "BindMode",
                    "bindMode",
                    &GoType::Ptr(&GoType::Scalar("v3.BindMode", Basic::String))
                ),
                f("IgnoredInterfaces", "ignoredInterfaces", &STRINGS),
                f(
                    "LocalWorkloadPeeringIPV4",
                    "localWorkloadPeeringIPV4",
                    &STRING
                ),
                f(
                    "LocalWorkloadPeeringIPV6",
                    "localWorkloadPeeringIPV6",
                    &STRING
                ),
            ],
        })
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    fn config(name: &str, spec: Value) -> BgpConfiguration {
        serde_json::from_value(serde_json::json!({
            "kind": "BGPConfiguration", "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": name}, "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn communities_as_calico_checks_them() {
        let c = config(
            "default",
            serde_json::json!({
                "communities": [{"name": "big", "value": "70000:1"}, {"name": "odd", "value": "x:1"}],
                "prefixAdvertisements": [
                    {"cidr": "10.0.0.0/8", "communities": ["big", "1:2:3", "nope"]},
                    {"cidr": "10.0.0.1/8"},
                ],
            }),
        );
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "error with the following fields:\n\
             -  CIDR = '10.0.0.1/8' (Reason: failed to validate Field: CIDR because of Tag: net )\n\
             -  Communities = '[]' (Reason: failed to validate Field: Communities because of Tag: required )\n\
             -  Spec.Communities[].Value = '70000:1' (invalid community value, expected 16 bit value)\n\
             -  Spec.Communities[].Value = 'x:1' (invalid community value or format used.)\n\
             -  Spec.PrefixAdvertisement[].Communities[] = 'nope' (community used is invalid or not defined.)\n"
        );
    }

    #[test]
    fn only_default_sets_cluster_fields() {
        let c = config(
            "node.node-1",
            serde_json::json!({"asNumber": 65001, "nodeToNodeMeshEnabled": false, "listenPort": 1790}),
        );
        assert!(c.validate().is_ok());
        assert_eq!(
            c.default_only_problems().unwrap_err().to_string(),
            "error with the following fields:\n\
             -  BGPConfiguration.Spec.NodeToNodeMeshEnabled (Cannot set nodeToNodeMeshEnabled on a non default BGP Configuration.)\n\
             -  BGPConfiguration.Spec.ASNumber (Cannot set ASNumber on a non default BGP Configuration.)\n"
        );
        let mut d = config("default", serde_json::json!({"asNumber": "1.1"}));
        assert!(d.default_only_problems().is_ok());
        d.normalise();
        assert_eq!(d.global_as_number(), "65537");
        assert_eq!(
            config("default", serde_json::json!({})).global_as_number(),
            "64512"
        );
        assert_eq!(d.cell("ASNUMBER").as_deref(), Some("65537"));
        assert_eq!(d.cell("MESHENABLED").as_deref(), Some("-"));
    }
}
