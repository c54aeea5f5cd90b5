//! StagedNetworkPolicy: a namespaced policy staged for review (Set, Delete, Learn, Ignore), not enforced.

use super::globalnetworkpolicy::{ORDER, TYPES};
use super::gotypes::{self, GoType, STRING, STRINGS, StructType, f};
use super::policy;
use super::rule::{self, Rule};
use super::validation::ValidationError;
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` StagedNetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StagedNetworkPolicy {
    /// Always `StagedNetworkPolicy`.
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
    pub spec: StagedNetworkPolicySpec,
}

/// The spec of a [`StagedNetworkPolicy`], in Calico v3.31's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StagedNetworkPolicySpec {
    /// `Set` (default), `Delete`, `Learn` or `Ignore`.
    #[serde(
        default,
        rename = "stagedAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) staged_action: String,
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

policy::tiered_policy!(StagedNetworkPolicy, staged_action);

impl Resource for StagedNetworkPolicy {
    const KIND: &'static str = "StagedNetworkPolicy";
    const PLURAL: &'static str = "stagednetworkpolicies";
    const NAMESPACED: bool = true;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "stagednetworkpolicy",
        "stagednetworkpolicies",
        "stagedpolicy",
        "snp",
        "stagedpolicies",
        "spol",
        "spols",
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
        let s = &self.spec;
        policy::staged_problems::<_, super::networkpolicy::NetworkPolicySpec>(
            &mut errs,
            s,
            &s.staged_action,
            "StagedNetworkPolicySpec",
            super::networkpolicy::spec_problems,
        );
        ValidationError::check(errs)
    }
}

// StagedNetworkPolicy (stagednetworkpolicy.go).
static STAGED_ACTION: GoType = GoType::Scalar("v3.StagedAction", gotypes::Basic::String);
gotypes::go_kind!(
    "v3.StagedNetworkPolicy",
    "v3.StagedNetworkPolicyList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.StagedNetworkPolicySpec",
            fields: &[
                f("StagedAction", "stagedAction", &STAGED_ACTION),
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
