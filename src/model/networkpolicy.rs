//! NetworkPolicy: a namespaced policy in a tier.

use super::globalnetworkpolicy::{ORDER, TYPES};
use super::gotypes::{self, GoType, STRING, STRINGS, StructType, f};
use super::policy;
use super::rule::{self, Rule};
use super::validation::{ErroredField, ValidationError};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` NetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkPolicy {
    /// Always `NetworkPolicy`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, namespace, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The policy.
    #[serde(default)]
    pub spec: NetworkPolicySpec,
}

/// The spec of a [`NetworkPolicy`], in Calico v3.31's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkPolicySpec {
    /// The tier; empty means `default`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tier: String,
    /// Lower orders apply first within the tier.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::tier::go_json_f64"
    )]
    pub order: Option<f64>,
    /// Inbound rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ingress: Vec<Rule>,
    /// Outbound rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) egress: Vec<Rule>,
    /// Endpoints of the namespace the policy applies to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub selector: String,
    /// `Ingress` and/or `Egress`; defaulted from the rules on create.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) types: Vec<String>,
    /// Service accounts the policy applies to.
    #[serde(
        default,
        rename = "serviceAccountSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) service_account_selector: String,
    /// `AssumeNeededOnEveryNode`.
    #[serde(
        default,
        rename = "performanceHints",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) performance_hints: Vec<String>,
}

policy::tiered_policy!(NetworkPolicy);

impl Resource for NetworkPolicy {
    const KIND: &'static str = "NetworkPolicy";
    const PLURAL: &'static str = "networkpolicies";
    const NAMESPACED: bool = true;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "networkpolicy",
        "networkpolicies",
        "policy",
        "np",
        "policies",
        "pol",
        "pols",
    ];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "TIER"],
        wide: &["NAME", "TIER", "ORDER", "SELECTOR"],
        extra: &["NAMESPACE"],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_FIELDS: &'static [GoField] = &[GoField::list(
        "spec.types",
        "[]v3.PolicyType",
        "v3.PolicyType",
    )];

    policy::policy_resource_fns!();

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = policy::field_problems(self);
        // The kind's struct-level checks: the name, then the spec.
        policy::name_problems(&mut errs, &self.metadata.name, policy::namespaced_name_ok);
        spec_problems(&mut errs, &self.spec);
        ValidationError::check(errs)
    }
}

/// Calico's struct-level checks of a NetworkPolicySpec (`validateNetworkPolicySpec`), also run on the
/// policy a staged one would enforce.
pub(crate) fn spec_problems(errs: &mut Vec<ErroredField>, s: &NetworkPolicySpec) {
    policy::repeated_types(errs, "NetworkPolicySpec.Types", &s.types);
    rule::direction_problems(errs, &s.ingress, &s.egress, "not allowed in egress rule");
    for (field, sel) in [
        ("NetworkPolicySpec.Selector", &s.selector),
        (
            "NetworkPolicySpec.ServiceAccountSelector",
            &s.service_account_selector,
        ),
    ] {
        if sel.contains("global()") {
            errs.push(ErroredField::new(
                field,
                sel,
                rule::GLOBAL_ONLY_IN_ENTITY_RULE,
            ));
        }
    }
}

// NetworkPolicy (networkpolicy.go).
gotypes::go_kind!(
    "v3.NetworkPolicy",
    "v3.NetworkPolicyList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.NetworkPolicySpec",
            fields: &[
                f("Tier", "tier", &STRING),
                f("Order", "order", &ORDER),
                f("Ingress", "ingress", &rule::RULES),
                f("Egress", "egress", &rule::RULES),
                f("Selector", "selector", &STRING),
                f("Types", "types", &TYPES),
                f("ServiceAccountSelector", "serviceAccountSelector", &STRING),
                f("PerformanceHints", "performanceHints", &STRINGS),
            ],
        })
    )
);
