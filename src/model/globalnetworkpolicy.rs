//! GlobalNetworkPolicy: a cluster-wide policy in a tier.

use super::gotypes::{self, BOOL, Basic, GoType, STRING, STRINGS, StructType, f};
use super::policy;
use super::rule::{self, Rule};
use super::validation::{ErroredField, ValidationError};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` GlobalNetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GlobalNetworkPolicy {
    /// Always `GlobalNetworkPolicy`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The policy.
    #[serde(default)]
    pub spec: GlobalNetworkPolicySpec,
}

/// The spec of a [`GlobalNetworkPolicy`], in Calico v3.31's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GlobalNetworkPolicySpec {
    /// The tier; empty means `default` (Calico stores it as given).
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
    /// Endpoints the policy applies to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub selector: String,
    /// `Ingress` and/or `Egress`; defaulted from the rules on create.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) types: Vec<String>,
    /// Untracked (raw table) policy.
    #[serde(
        default,
        rename = "doNotTrack",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub(crate) do_not_track: bool,
    /// Applied before DNAT.
    #[serde(
        default,
        rename = "preDNAT",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub(crate) pre_dnat: bool,
    /// Applied to forwarded traffic too.
    #[serde(
        default,
        rename = "applyOnForward",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub(crate) apply_on_forward: bool,
    /// Service accounts the policy applies to.
    #[serde(
        default,
        rename = "serviceAccountSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) service_account_selector: String,
    /// Namespaces the policy applies to.
    #[serde(
        default,
        rename = "namespaceSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) namespace_selector: String,
    /// `AssumeNeededOnEveryNode`.
    #[serde(
        default,
        rename = "performanceHints",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) performance_hints: Vec<String>,
}

policy::tiered_policy!(GlobalNetworkPolicy, namespace_selector);

impl Resource for GlobalNetworkPolicy {
    const KIND: &'static str = "GlobalNetworkPolicy";
    const PLURAL: &'static str = "globalnetworkpolicies";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "globalnetworkpolicy",
        "globalnetworkpolicies",
        "gnp",
        "gnps",
    ];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "TIER"],
        wide: &["NAME", "TIER", "ORDER", "SELECTOR"],
        extra: &[],
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
        policy::name_problems(&mut errs, &self.metadata.name, policy::global_name_ok);
        spec_problems(&mut errs, &self.spec);
        ValidationError::check(errs)
    }
}

/// Calico's struct-level checks of a GlobalNetworkPolicySpec (`validateGlobalNetworkPolicySpec`), also run on the
/// policy a staged one would enforce.
pub(crate) fn spec_problems(errs: &mut Vec<ErroredField>, s: &GlobalNetworkPolicySpec) {
    if s.do_not_track && s.pre_dnat {
        errs.push(ErroredField::new(
            "PolicySpec.PreDNAT",
            "true",
            "PreDNAT and DoNotTrack cannot both be true, for a given PolicySpec",
        ));
    }
    if s.pre_dnat && !s.egress.is_empty() {
        errs.push(ErroredField::new(
            "PolicySpec.Egress",
            format!("[{} rules]", s.egress.len()),
            "PreDNAT PolicySpec cannot have any Egress rules",
        ));
    }
    if s.pre_dnat {
        for t in s.types.iter().filter(|t| *t == "Egress") {
            let _ = t;
            errs.push(ErroredField::new(
                "PolicySpec.Types",
                rule::go_list(&s.types),
                "PreDNAT PolicySpec cannot have 'egress' Type",
            ));
        }
    }
    if !s.apply_on_forward && (s.do_not_track || s.pre_dnat) {
        errs.push(ErroredField::new(
            "PolicySpec.ApplyOnForward",
            "false",
            "ApplyOnForward must be true if either PreDNAT or DoNotTrack is true, for a given PolicySpec",
        ));
    }
    policy::repeated_types(errs, "GlobalNetworkPolicySpec.Types", &s.types);
    rule::direction_problems(errs, &s.ingress, &s.egress, "not allowed in egress rules");
    for (rules, source) in [(&s.egress, false), (&s.ingress, true)] {
        for r in rules {
            let svc = if source {
                &r.source.services
            } else {
                &r.destination.services
            };
            if svc.as_ref().is_some_and(|m| m.namespace.is_empty()) {
                errs.push(ErroredField::new(
                    "Namespace",
                    "",
                    "must specify a namespace",
                ));
            }
        }
    }
    for (field, sel) in [
        ("GlobalNetworkPolicySpec.Selector", &s.selector),
        (
            "GlobalNetworkPolicySpec.ServiceAccountSelector",
            &s.service_account_selector,
        ),
        (
            "GlobalNetworkPolicySpec.NamespaceSelector",
            &s.namespace_selector,
        ),
    ] {
        if sel.contains("global()") {
            // Calico reports the selector's value for all three.
            errs.push(ErroredField::new(
                field,
                &s.selector,
                rule::GLOBAL_ONLY_IN_ENTITY_RULE,
            ));
        }
    }
}

/// `*float64`, as templates see an order.
pub(crate) static ORDER: GoType = GoType::Ptr(&GoType::Scalar("float64", Basic::Stringer));
/// `[]v3.PolicyType`.
pub(crate) static TYPES: GoType = GoType::Slice(&GoType::Scalar("v3.PolicyType", Basic::String));

// GlobalNetworkPolicy (globalnetworkpolicy.go).
gotypes::go_kind!(
    "v3.GlobalNetworkPolicy",
    "v3.GlobalNetworkPolicyList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.GlobalNetworkPolicySpec",
            fields: &[
                f("Tier", "tier", &STRING),
                f("Order", "order", &ORDER),
                f("Ingress", "ingress", &rule::RULES),
                f("Egress", "egress", &rule::RULES),
                f("Selector", "selector", &STRING),
                f("Types", "types", &TYPES),
                f("DoNotTrack", "doNotTrack", &BOOL),
                f("PreDNAT", "preDNAT", &BOOL),
                f("ApplyOnForward", "applyOnForward", &BOOL),
                f("ServiceAccountSelector", "serviceAccountSelector", &STRING),
                f("NamespaceSelector", "namespaceSelector", &STRING),
                f("PerformanceHints", "performanceHints", &STRINGS),
            ],
        })
    )
);
