//! What the tiered policy kinds share: Calico's tier rules for policy names, the `types`
//! default, the tier label, and how a policy is named in etcd (`<tier>.<name>`, with the
//! name the user gave kept in the `projectcalico.org/metadata` annotation, as v3.31 does).

use super::rule::{self, Rule};
use super::tier::DEFAULT_TIER;
use super::validation::{ErroredField, ValidationError};
use super::{ObjectMeta, Resource};
use std::collections::BTreeMap;

/// The label Calico's client gives a policy outside the default tier (and shows on every
/// policy read).
pub(crate) const TIER_LABEL: &str = "projectcalico.org/tier";
/// The annotation the etcd backend keeps the user's policy name in.
const METADATA_ANNOTATION: &str = "projectcalico.org/metadata";

/// Prefixes of names that carry their tier in another form (Kubernetes and OpenStack
/// policies); such names are used as they are.
const FORMATTED_PREFIXES: [&str; 4] = [
    "knp.default.",
    "kanp.adminnetworkpolicy.",
    "kbanp.baselineadminnetworkpolicy.",
    "ossg.",
];

/// The spec fields every tiered policy kind has, for what they share.
pub(crate) struct CommonSpec<'a> {
    /// The staged kinds' only.
    pub(crate) staged_action: Option<&'a str>,
    pub(crate) tier: &'a str,
    pub(crate) order: Option<f64>,
    pub(crate) ingress: &'a [Rule],
    pub(crate) egress: &'a [Rule],
    pub(crate) selector: &'a str,
    pub(crate) types: &'a [String],
    pub(crate) service_account_selector: &'a str,
    /// GlobalNetworkPolicy's only.
    pub(crate) namespace_selector: Option<&'a str>,
    pub(crate) performance_hints: &'a [String],
}

/// A policy kind that lives in a tier.
pub(crate) trait TieredPolicy: Resource {
    /// The spec fields the policy kinds share.
    fn common(&self) -> CommonSpec<'_>;
    /// `spec.tier` as written (may be empty).
    fn tier(&self) -> &str {
        self.common().tier
    }
    /// Sets `spec.tier`.
    fn set_tier(&mut self, tier: String);
    /// Calico's `defaultPolicyTypesField`, where the kind has `types`.
    fn default_types(&mut self) {}
}

/// Implements [`TieredPolicy`] for a policy kind whose spec has the [`CommonSpec`] fields;
/// the optional ones it has (`staged_action`, `namespace_selector`) are named.
macro_rules! tiered_policy {
    ($ty:ty $(, $opt:ident)*) => {
        impl $crate::model::policy::TieredPolicy for $ty {
            fn common(&self) -> $crate::model::policy::CommonSpec<'_> {
                let s = &self.spec;
                #[allow(unused_mut)]
                let mut c = $crate::model::policy::CommonSpec {
                    staged_action: None,
                    tier: &s.tier,
                    order: s.order,
                    ingress: &s.ingress,
                    egress: &s.egress,
                    selector: &s.selector,
                    types: &s.types,
                    service_account_selector: &s.service_account_selector,
                    namespace_selector: None,
                    performance_hints: &s.performance_hints,
                };
                $(c.$opt = Some(&s.$opt);)*
                c
            }
            fn set_tier(&mut self, tier: String) {
                self.spec.tier = tier;
            }
            fn default_types(&mut self) {
                let delete = self.common().staged_action == Some("Delete");
                let s = &mut self.spec;
                if delete {
                    s.types.clear();
                } else {
                    $crate::model::policy::default_types(
                        !s.ingress.is_empty(),
                        !s.egress.is_empty(),
                        &mut s.types,
                    );
                }
            }
        }
    };
}
pub(crate) use tiered_policy;

/// The `Resource` functions every tiered policy kind shares: its table cells, the read
/// defaults and what `calicoctl validate` checks.
macro_rules! policy_resource_fns {
    () => {
        fn cell(&self, heading: &str) -> Option<String> {
            $crate::model::policy::cell(self, heading)
        }

        fn default_on_read(&mut self) {
            $crate::model::policy::read_defaults(self);
        }

        fn validate_standalone(&self) -> Result<(), $crate::model::ValidationError> {
            $crate::model::policy::validate_standalone(self)
        }
    };
}
pub(crate) use policy_resource_fns;

/// The TIER, ORDER and SELECTOR cells of the policy kinds' tables.
pub(crate) fn cell<P: TieredPolicy>(p: &P, heading: &str) -> Option<String> {
    let s = p.common();
    Some(match heading {
        "TIER" => s.tier.to_string(),
        "ORDER" => s.order.map_or("<nil>".to_string(), super::tier::go_float),
        "SELECTOR" => s.selector.to_string(),
        _ => return None,
    })
}

/// `calicoctl validate`: validation after the `types` default.
pub(crate) fn validate_standalone<P: TieredPolicy>(p: &P) -> Result<(), ValidationError> {
    let mut p = p.clone();
    p.default_types();
    p.validate()
}

/// The checks of the fields the policy kinds share, in Go's field order (the metadata,
/// then the spec's fields), before the kind's own struct-level checks.
pub(crate) fn field_problems<P: TieredPolicy>(p: &P) -> Vec<ErroredField> {
    let mut errs = match super::validation::validate_metadata::<P>(p.metadata()) {
        Ok(()) => Vec::new(),
        Err(e) => e.fields,
    };
    let s = p.common();
    if let Some(a) = s.staged_action
        && !matches!(a, "" | "Set" | "Delete" | "Learn" | "Ignore")
    {
        errs.push(ErroredField::tag("StagedAction", a, "stagedAction"));
    }
    if !s.tier.is_empty() && super::validation::name_problem(s.tier).is_some() {
        errs.push(ErroredField::tag("Tier", s.tier, "name"));
    }
    for r in s.ingress.iter().chain(s.egress) {
        rule::rule_problems(&mut errs, r);
    }
    rule::check_selector(&mut errs, "Selector", s.selector);
    types_problems(&mut errs, s.types);
    rule::check_selector(
        &mut errs,
        "ServiceAccountSelector",
        s.service_account_selector,
    );
    if let Some(ns) = s.namespace_selector {
        rule::check_selector(&mut errs, "NamespaceSelector", ns);
    }
    hints_problems(&mut errs, s.performance_hints);
    errs
}

/// The spec a staged policy would enforce (Calico's `ConvertStaged...ToEnforced`): the same
/// fields but `stagedAction`.
pub(crate) fn enforced<S: serde::Serialize, E: serde::de::DeserializeOwned + Default>(
    staged: &S,
) -> E {
    let mut v = serde_json::to_value(staged).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.remove("stagedAction");
    }
    serde_json::from_value(v).unwrap_or_default()
}

/// The struct-level checks of a staged policy: with `stagedAction: Delete` only the tier may
/// be set, else the enforced policy's checks (`check`).
pub(crate) fn staged_problems<S: serde::Serialize, E>(
    errs: &mut Vec<ErroredField>,
    staged: &S,
    action: &str,
    spec_name: &str,
    check: fn(&mut Vec<ErroredField>, &E),
) where
    E: serde::de::DeserializeOwned + Default + PartialEq + serde::Serialize,
{
    let enforced: E = enforced(staged);
    if action == "Delete" {
        let mut rest = serde_json::to_value(&enforced).unwrap_or_default();
        if let Some(m) = rest.as_object_mut() {
            m.remove("tier");
        }
        if rest != serde_json::json!({}) {
            errs.push(ErroredField::new(
                spec_name,
                crate::go::json::to_string(staged),
                "Spec fields, except Tier, should all be zero-value if stagedAction is Delete",
            ));
        }
    } else {
        check(errs, &enforced);
    }
}

/// The tier, `default` when empty.
pub(crate) fn tier_or_default(tier: &str) -> &str {
    if tier.is_empty() { DEFAULT_TIER } else { tier }
}

fn formatted(name: &str) -> bool {
    FORMATTED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Calico's `defaultPolicyTypesField`: Ingress, Egress or both from the rules present.
pub(crate) fn default_types(ingress: bool, egress: bool, types: &mut Vec<String>) {
    if types.is_empty() {
        *types = match (ingress, egress) {
            (_, false) => vec!["Ingress".into()],
            (false, true) => vec!["Egress".into()],
            (true, true) => vec!["Ingress".into(), "Egress".into()],
        };
    }
}

/// Calico's `ValidateTieredPolicyName`: a policy in tier T is named `T.<name>`; one in the
/// default tier has no dot (or the `default.` prefix).
pub(crate) fn check_tiered_name(name: &str, tier: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Policy name is empty".into());
    }
    if formatted(name) {
        return Ok(());
    }
    let tier = tier_or_default(tier);
    let dotted = name.contains('.');
    if (!dotted && tier == DEFAULT_TIER) || (dotted && name.starts_with(&format!("{tier}."))) {
        Ok(())
    } else {
        Err(format!("Incorrectly formatted policy name {name}"))
    }
}

/// Calico's `TieredPolicyName`: the name a policy has in etcd (`default.` added to a name
/// without a tier prefix).
pub(crate) fn backend_name(name: &str) -> String {
    if name.is_empty() || formatted(name) || name.contains('.') {
        name.to_string()
    } else {
        format!("{DEFAULT_TIER}.{name}")
    }
}

/// Calico's `TierFromPolicyName`.
fn tier_from_name(name: &str) -> &str {
    if name.starts_with("kanp.adminnetworkpolicy.") {
        return "adminnetworkpolicy";
    }
    if name.starts_with("kbanp.baselineadminnetworkpolicy.") {
        return "baselineadminnetworkpolicy";
    }
    if formatted(name) {
        return DEFAULT_TIER;
    }
    name.split_once('.').map_or(DEFAULT_TIER, |(t, _)| t)
}

/// The client's defaults on create and update, after validation: the tier label for a
/// policy outside the default tier.
pub(crate) fn label_tier<P: TieredPolicy>(p: &mut P) {
    let tier = tier_or_default(p.tier()).to_string();
    if tier != DEFAULT_TIER {
        p.metadata_mut().labels.insert(TIER_LABEL.into(), tier);
    }
}

/// What the etcd backend stores: the name with its tier prefix, the given name in the
/// metadata annotation.
pub(crate) fn to_backend(meta: &mut ObjectMeta) {
    let name = std::mem::take(&mut meta.name);
    let mut given = BTreeMap::new();
    given.insert("name", name.as_str());
    meta.annotations.insert(
        METADATA_ANNOTATION.into(),
        crate::go::json::to_string(&given),
    );
    meta.name = backend_name(&name);
}

/// The backend's reading (`determinePolicyName`): the name from the annotation (then
/// removed), else the stored name less a `default.` prefix for a default-tier policy.
pub(crate) fn from_backend(meta: &mut ObjectMeta, tier: &str) -> Result<(), String> {
    if let Some(given) = meta
        .annotations
        .get(METADATA_ANNOTATION)
        .filter(|a| !a.is_empty())
    {
        let given: ObjectMeta = serde_json::from_str(given).map_err(|e| e.to_string())?;
        meta.name = given.name;
        meta.annotations.remove(METADATA_ANNOTATION);
    } else if (tier.is_empty() || tier == DEFAULT_TIER)
        && let Some(rest) = meta.name.strip_prefix("default.")
    {
        meta.name = rest.to_string();
    }
    Ok(())
}

/// The client's read defaults: the default tier label when there is none, and the tier
/// from the name when the spec has none.
pub(crate) fn read_defaults<P: TieredPolicy>(p: &mut P) {
    p.metadata_mut()
        .labels
        .entry(TIER_LABEL.into())
        .or_insert_with(|| DEFAULT_TIER.into());
    if p.tier().is_empty() && !p.metadata().name.is_empty() {
        let tier = tier_from_name(&p.metadata().name).to_string();
        p.set_tier(tier);
    }
}

/// Calico's policy name format: a DNS-1123 label, optionally after `<tier>.`.
pub(crate) fn global_name_ok(name: &str) -> bool {
    use super::tier::label_name_ok;
    match name.split_once('.') {
        Some((t, n)) => label_name_ok(t) && label_name_ok(n),
        None => label_name_ok(name),
    }
}

/// The NetworkPolicy name format: as [`global_name_ok`], or `knp.default.`/`ossg.default.`
/// and a subdomain.
pub(crate) fn namespaced_name_ok(name: &str) -> bool {
    global_name_ok(name)
        || ["knp.default.", "ossg.default."].iter().any(|p| {
            name.strip_prefix(p)
                .is_some_and(|rest| super::validation::name_problem(rest).is_none())
        })
}

/// The name checks of the policy validators (length, then format), in Calico's words.
pub(crate) fn name_problems(errs: &mut Vec<ErroredField>, name: &str, ok: fn(&str) -> bool) {
    if name.len() > 253 {
        errs.push(ErroredField::new(
            "Metadata.Name",
            name,
            format!("name is too long by {} bytes", name.len() - 253),
        ));
    }
    if !ok(name) {
        errs.push(ErroredField::new(
            "Metadata.Name",
            name,
            format!(
                "name must consist of lower case alphanumeric characters or '-' (regex: {})",
                super::tier::LABEL_REGEX
            ),
        ));
    }
}

/// `types` entries other than Ingress and Egress (`policyType` tag), then repeats.
pub(crate) fn types_problems(errs: &mut Vec<ErroredField>, types: &[String]) {
    for (i, t) in types.iter().enumerate() {
        if t != "Ingress" && t != "Egress" {
            errs.push(ErroredField::tag(&format!("Types[{i}]"), t, "policyType"));
        }
    }
}

/// Repeated `types` entries, reported under `field` (`GlobalNetworkPolicySpec.Types`).
pub(crate) fn repeated_types(errs: &mut Vec<ErroredField>, field: &str, types: &[String]) {
    let mut seen = std::collections::HashSet::new();
    for t in types {
        if !seen.insert(t) {
            errs.push(ErroredField::new(
                field,
                super::rule::go_list(types),
                format!("'{t}' type specified more than once"),
            ));
        }
    }
}

/// `performanceHints`: unique, each `AssumeNeededOnEveryNode`.
pub(crate) fn hints_problems(errs: &mut Vec<ErroredField>, hints: &[String]) {
    let mut seen = std::collections::HashSet::new();
    if !hints.iter().all(|h| seen.insert(h)) {
        errs.push(ErroredField::tag(
            "PerformanceHints",
            super::rule::go_list(hints),
            "unique",
        ));
        return;
    }
    for (i, h) in hints.iter().enumerate() {
        if h != "AssumeNeededOnEveryNode" {
            errs.push(ErroredField::tag(
                &format!("PerformanceHints[{i}]"),
                h,
                "oneof",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiered_names_as_calico() {
        assert!(check_tiered_name("allow-dns", "").is_ok());
        assert!(check_tiered_name("default.allow-dns", "").is_ok());
        assert!(check_tiered_name("net.allow-dns", "net").is_ok());
        assert_eq!(
            check_tiered_name("allow-dns", "net").unwrap_err(),
            "Incorrectly formatted policy name allow-dns"
        );
        assert_eq!(
            check_tiered_name("other.allow-dns", "net").unwrap_err(),
            "Incorrectly formatted policy name other.allow-dns"
        );
        assert_eq!(backend_name("allow-dns"), "default.allow-dns");
        assert_eq!(backend_name("net.allow-dns"), "net.allow-dns");
        let mut meta = ObjectMeta {
            name: "allow-dns".into(),
            ..ObjectMeta::default()
        };
        to_backend(&mut meta);
        assert_eq!(meta.name, "default.allow-dns");
        assert_eq!(
            meta.annotations[METADATA_ANNOTATION],
            r#"{"name":"allow-dns"}"#
        );
        from_backend(&mut meta, "").unwrap();
        assert_eq!(meta.name, "allow-dns");
        assert!(meta.annotations.is_empty());
        // Written before v3.30: no annotation, the prefix is dropped in the default tier.
        let mut old = ObjectMeta {
            name: "default.x".into(),
            ..ObjectMeta::default()
        };
        from_backend(&mut old, "default").unwrap();
        assert_eq!(old.name, "x");
    }

    #[test]
    fn types_default_from_rules() {
        let mut t = Vec::new();
        default_types(false, false, &mut t);
        assert_eq!(t, ["Ingress"]);
        let mut t = Vec::new();
        default_types(false, true, &mut t);
        assert_eq!(t, ["Egress"]);
        let mut t = Vec::new();
        default_types(true, true, &mut t);
        assert_eq!(t, ["Ingress", "Egress"]);
        let mut t = vec!["Egress".to_string()];
        default_types(true, false, &mut t);
        assert_eq!(t, ["Egress"]);
    }
}
