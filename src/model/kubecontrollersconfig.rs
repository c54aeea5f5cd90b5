//! KubeControllersConfiguration: the settings of calico-kube-controllers (one object, named
//! `default`), with the status the controllers report.

use super::felixconfig::{Duration, PTR_DURATION};
use super::gotypes::{self, GoType, INT, INT32, STRING, STRING_MAP, STRINGS, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Cidr, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `projectcalico.org/v3` KubeControllersConfiguration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubeControllersConfiguration {
    /// Always `KubeControllersConfiguration`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name (`default`), labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The settings.
    #[serde(default)]
    pub spec: KubeControllersConfigurationSpec,
    /// What the controllers report they run with.
    #[serde(default)]
    pub status: KubeControllersConfigurationStatus,
}

/// The spec of a [`KubeControllersConfiguration`], in Go's field order. `controllers` has no
/// omitempty in Go: it is always written (`{}` when empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeControllersConfigurationSpec {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) log_severity_screen: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) health_checks: String,
    #[serde(
        default,
        rename = "etcdV3CompactionPeriod",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) etcd_v3_compaction_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) prometheus_metrics_port: Option<i64>,
    #[serde(default)]
    pub(crate) controllers: ControllersConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) debug_profile_port: Option<i32>,
}

/// Which controllers run, and their settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ControllersConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) node: Option<NodeControllerConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) policy: Option<ReconcilerConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) workload_endpoint: Option<ReconcilerConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) service_account: Option<ReconcilerConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) namespace: Option<ReconcilerConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) load_balancer: Option<LoadBalancerControllerConfig>,
}

/// The node controller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeControllerConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reconciler_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) sync_labels: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) host_endpoint: Option<AutoHostEndpointConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) leak_grace_period: Option<Duration>,
}

/// Automatic host endpoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AutoHostEndpointConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) auto_create: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) create_default_host_endpoint: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) templates: Vec<Template>,
}

/// A host endpoint template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Template {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) generate_name: String,
    #[serde(
        default,
        rename = "interfaceCIDRs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) interface_cidrs: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) interface_pattern: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) node_selector: String,
}

/// The policy, workload endpoint, service account and namespace controllers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReconcilerConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reconciler_period: Option<Duration>,
}

/// The load balancer controller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoadBalancerControllerConfig {
    #[serde(
        default,
        rename = "assignIPs",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) assign_ips: String,
}

/// The status: the configuration running and the environment it came from. `runningConfig`
/// is a struct in Go, so it is always written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeControllersConfigurationStatus {
    #[serde(default)]
    pub(crate) running_config: KubeControllersConfigurationSpec,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) environment_vars: BTreeMap<String, String>,
}

/// The only name Calico's client creates.
const NAME: &str = "default";

impl KubeControllersConfiguration {
    /// Calico's client defaults and template checks (`validateAndFillDefaults`): the metrics
    /// port 9094, the node controller's leak grace period 15m, the load balancer's
    /// `assignIPs: AllServices`; a template without a name, with a name too long or used
    /// twice, or with neither interface CIDRs nor pattern stops the write.
    pub(crate) fn fill_defaults(&mut self) -> Result<(), ValidationError> {
        let spec = &mut self.spec;
        spec.prometheus_metrics_port.get_or_insert(9094);
        if let Some(node) = &mut spec.controllers.node {
            node.leak_grace_period
                .get_or_insert(Duration(15 * 60 * 1_000_000_000));
        }
        if let Some(lb) = &mut spec.controllers.load_balancer
            && lb.assign_ips.is_empty()
        {
            lb.assign_ips = "AllServices".into();
        }
        let templates = spec
            .controllers
            .node
            .as_ref()
            .and_then(|n| n.host_endpoint.as_ref())
            .map_or(&[][..], |h| &h.templates[..]);
        let mut seen = std::collections::BTreeSet::new();
        const FIELD: &str = "KubeControllersConfiguration.Node.HostEndpoint.Templates";
        for t in templates {
            let one = |name: &str, reason: &str| {
                Err(ValidationError::one(ErroredField::without_value(
                    name, reason,
                )))
            };
            let named = format!("{FIELD}.{}", t.generate_name);
            if t.generate_name.is_empty() {
                return one(FIELD, "Template name must be specified");
            }
            if t.generate_name.len() > 253 {
                return one(FIELD, "Template name must be shorter than 253 characters");
            }
            if !seen.insert(t.generate_name.as_str()) {
                return one(&named, "Template name must be unique");
            }
            if t.interface_cidrs.is_empty() && t.interface_pattern.is_empty() {
                return one(
                    &named,
                    "InterfaceCIDRs or InterfacePattern must be specified",
                );
            }
        }
        Ok(())
    }

    /// Calico's create refuses any name but `default` (after validation), in these words.
    pub(crate) fn name_problem(&self) -> Option<String> {
        (self.metadata.name != NAME).then(|| {
            "Cannot create a Kube Controllers Configuration resource with a name other than \"default\""
                .to_string()
        })
    }
}

/// A string field with `omitempty,<tag>`: reported when set and not `ok`.
fn tag(errs: &mut Vec<ErroredField>, field: &str, value: &str, tag: &str, ok: bool) {
    if !value.is_empty() && !ok {
        errs.push(ErroredField::tag(field, value, tag));
    }
}

/// The generic validator's findings in a spec (also run on the status's running config).
fn spec_problems(spec: &KubeControllersConfigurationSpec, errs: &mut Vec<ErroredField>) {
    let enabled_disabled = |s: &str| matches!(s, "Enabled" | "Disabled");
    let sev = &spec.log_severity_screen;
    tag(
        errs,
        "LogSeverityScreen",
        sev,
        "logLevel",
        matches!(
            sev.as_str(),
            "Trace" | "Debug" | "Info" | "Warning" | "Error" | "Fatal"
        ),
    );
    tag(
        errs,
        "HealthChecks",
        &spec.health_checks,
        "oneof",
        enabled_disabled(&spec.health_checks),
    );
    let c = &spec.controllers;
    if let Some(node) = &c.node {
        tag(
            errs,
            "SyncLabels",
            &node.sync_labels,
            "oneof",
            enabled_disabled(&node.sync_labels),
        );
        if let Some(h) = &node.host_endpoint {
            tag(
                errs,
                "AutoCreate",
                &h.auto_create,
                "oneof",
                enabled_disabled(&h.auto_create),
            );
            tag(
                errs,
                "CreateDefaultHostEndpoint",
                &h.create_default_host_endpoint,
                "createDefaultHostEndpoint",
                enabled_disabled(&h.create_default_host_endpoint),
            );
            for t in &h.templates {
                tag(
                    errs,
                    "GenerateName",
                    &t.generate_name,
                    "name",
                    super::validation::name_problem(&t.generate_name).is_none(),
                );
                if t.interface_cidrs
                    .iter()
                    .any(|c| Cidr::parse_ip_or_cidr(c).is_err())
                {
                    errs.push(ErroredField::tag(
                        "InterfaceCIDRs",
                        format!("[{}]", t.interface_cidrs.join(" ")),
                        "cidrs",
                    ));
                }
                tag(
                    errs,
                    "InterfacePattern",
                    &t.interface_pattern,
                    "regexp",
                    regex_syntax::Parser::new()
                        .parse(&t.interface_pattern)
                        .is_ok(),
                );
                let labels_ok = t.labels.iter().all(|(k, v)| {
                    super::validation::label_key_problem(k).is_none()
                        && super::validation::label_value_problem(v).is_none()
                });
                if !labels_ok {
                    let shown: Vec<String> =
                        t.labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    errs.push(ErroredField::tag(
                        "Labels",
                        format!("map[{}]", shown.join(" ")),
                        "labels",
                    ));
                }
                tag(
                    errs,
                    "NodeSelector",
                    &t.node_selector,
                    "selector",
                    crate::selector::parse(&t.node_selector).is_ok(),
                );
            }
        }
    }
    if let Some(lb) = &c.load_balancer
        && !lb.assign_ips.is_empty()
        && !matches!(
            lb.assign_ips.as_str(),
            "AllServices" | "RequestedServicesOnly"
        )
    {
        errs.push(ErroredField::tag("AssignIPs", &lb.assign_ips, "assignIPs"));
    }
}

impl Resource for KubeControllersConfiguration {
    const KIND: &'static str = "KubeControllersConfiguration";
    const PLURAL: &'static str = "kubecontrollersconfigurations";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "kubecontrollersconfiguration",
        "kubecontrollersconfigurations",
        "kubecontrollersconfig",
        "kubecontrollersconfigs",
    ];
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("spec.controllers", "ControllersConfig"),
        ("spec.controllers.node", "NodeControllerConfig"),
        (
            "spec.controllers.node.hostEndpoint",
            "AutoHostEndpointConfig",
        ),
        ("spec.controllers.node.hostEndpoint.templates", "Template"),
        ("spec.controllers.policy", "PolicyControllerConfig"),
        (
            "spec.controllers.workloadEndpoint",
            "WorkloadEndpointControllerConfig",
        ),
        (
            "spec.controllers.serviceAccount",
            "ServiceAccountControllerConfig",
        ),
        ("spec.controllers.namespace", "NamespaceControllerConfig"),
        (
            "spec.controllers.loadBalancer",
            "LoadBalancerControllerConfig",
        ),
    ];
    const GO_FIELDS: &'static [GoField] = &[GoField::new("spec.debugProfilePort", "int32")];

    fn validate_standalone(&self) -> Result<(), ValidationError> {
        let mut defaulted = self.clone();
        defaulted.fill_defaults()?;
        defaulted.validate()
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        spec_problems(&self.spec, &mut errs);
        spec_problems(&self.status.running_config, &mut errs);
        ValidationError::check(errs)
    }
}

// Go types, for templates.
static PTR_INT: GoType = GoType::Ptr(&INT);
static RECONCILER_FIELDS: &[gotypes::Field] =
    &[f("ReconcilerPeriod", "reconcilerPeriod", &PTR_DURATION)];
static TEMPLATE: GoType = GoType::Struct(&StructType {
    name: "v3.Template",
    fields: &[
        f("GenerateName", "generateName", &STRING),
        f("InterfaceCIDRs", "interfaceCIDRs", &STRINGS),
        f("InterfacePattern", "interfacePattern", &STRING),
        f("Labels", "labels", &STRING_MAP),
        f("NodeSelector", "nodeSelector", &STRING),
    ],
});
static HOST_ENDPOINT: GoType = GoType::Ptr(&GoType::Struct(&StructType {
    name: "v3.AutoHostEndpointConfig",
    fields: &[
        f("AutoCreate", "autoCreate", &STRING),
        f(
            "CreateDefaultHostEndpoint",
            "createDefaultHostEndpoint",
            &GoType::Scalar("v3.DefaultHostEndpointMode", gotypes::Basic::String),
        ),
        f("Templates", "templates", &GoType::Slice(&TEMPLATE)),
    ],
}));
static CONTROLLERS: GoType = GoType::Struct(&StructType {
    name: "v3.ControllersConfig",
    fields: &[
        f(
            "Node",
            "node",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.NodeControllerConfig",
                fields: &[
                    f("ReconcilerPeriod", "reconcilerPeriod", &PTR_DURATION),
                    f("SyncLabels", "syncLabels", &STRING),
                    f("HostEndpoint", "hostEndpoint", &HOST_ENDPOINT),
                    f("LeakGracePeriod", "leakGracePeriod", &PTR_DURATION),
                ],
            })),
        ),
        f(
            "Policy",
            "policy",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.PolicyControllerConfig",
                fields: RECONCILER_FIELDS,
            })),
        ),
        f(
            "WorkloadEndpoint",
            "workloadEndpoint",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.WorkloadEndpointControllerConfig",
                fields: RECONCILER_FIELDS,
            })),
        ),
        f(
            "ServiceAccount",
            "serviceAccount",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.ServiceAccountControllerConfig",
                fields: RECONCILER_FIELDS,
            })),
        ),
        f(
            "Namespace",
            "namespace",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.NamespaceControllerConfig",
                fields: RECONCILER_FIELDS,
            })),
        ),
        f(
            "LoadBalancer",
            "loadBalancer",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.LoadBalancerControllerConfig",
                fields: &[f(
                    "AssignIPs",
                    "assignIPs",
                    &GoType::Scalar("v3.AssignIPs", gotypes::Basic::String),
                )],
            })),
        ),
    ],
});
static SPEC: GoType = GoType::Struct(&StructType {
    name: "v3.KubeControllersConfigurationSpec",
    fields: &[
        f("LogSeverityScreen", "logSeverityScreen", &STRING),
        f("HealthChecks", "healthChecks", &STRING),
        f(
            "EtcdV3CompactionPeriod",
            "etcdV3CompactionPeriod",
            &PTR_DURATION,
        ),
        f("PrometheusMetricsPort", "prometheusMetricsPort", &PTR_INT),
        f("Controllers", "controllers", &CONTROLLERS),
        f("DebugProfilePort", "debugProfilePort", &GoType::Ptr(&INT32)),
    ],
});

// KubeControllersConfiguration (kubecontrollersconfig.go).
gotypes::go_kind!(
    "v3.KubeControllersConfiguration",
    "v3.KubeControllersConfigurationList",
    f("Spec", "spec", &SPEC),
    f(
        "Status",
        "status",
        &GoType::Struct(&StructType {
            name: "v3.KubeControllersConfigurationStatus",
            fields: &[
                f("RunningConfig", "runningConfig", &SPEC),
                f("EnvironmentVars", "environmentVars", &STRING_MAP),
            ],
        })
    )
);
