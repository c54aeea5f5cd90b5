//! Profile: rules and labels that endpoints naming the profile inherit; Calico's etcd backend
//! always shows its built-in `projectcalico-default-allow`.

use super::gotypes::{self, GoType, STRING_MAP, StructType, f};
use super::rule::{self, Rule};
use super::validation::{ErroredField, ValidationError, label_key_problem, label_value_problem};
use super::{Columns, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The profile Calico provides: allow everything in and out; it cannot be written.
pub(crate) const DEFAULT_ALLOW: &str = "projectcalico-default-allow";

/// `projectcalico.org/v3` Profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Always `Profile`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Rules and labels.
    #[serde(default)]
    pub spec: ProfileSpec,
}

/// The spec of a [`Profile`], in Calico's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileSpec {
    /// Inbound rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ingress: Vec<Rule>,
    /// Outbound rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) egress: Vec<Rule>,
    /// Labels endpoints naming the profile inherit (their own labels win).
    #[serde(
        default,
        rename = "labelsToApply",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub(crate) labels_to_apply: BTreeMap<String, String>,
}

impl Profile {
    /// Calico's `projectcalico-default-allow`, as its etcd backend returns it (revision 1).
    pub(crate) fn default_allow() -> Profile {
        let allow = || Rule {
            action: "Allow".into(),
            ..Rule::default()
        };
        let mut p = Profile {
            metadata: ObjectMeta {
                name: DEFAULT_ALLOW.into(),
                resource_version: "1".into(),
                ..ObjectMeta::default()
            },
            spec: ProfileSpec {
                ingress: vec![allow()],
                egress: vec![allow()],
                ..ProfileSpec::default()
            },
            ..Profile::default()
        };
        p.set_type_meta();
        p
    }
}

/// calicoctl's `join` of a map: `key=value` pairs, sorted as strings, joined with `,`.
fn join_map(m: &BTreeMap<String, String>) -> String {
    let mut pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    pairs.join(",")
}

/// Go's `%v` of a `map[string]string`: `map[k1:v1 k2:v2]`, keys sorted.
fn go_map(m: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("map[{}]", pairs.join(" "))
}

impl Resource for Profile {
    const KIND: &'static str = "Profile";
    const PLURAL: &'static str = "profiles";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &["profile", "profiles", "pro", "pros"];
    const COLUMNS: Columns = Columns {
        ps: &["NAME"],
        wide: &["NAME", "LABELS"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;

    fn cell(&self, heading: &str) -> Option<String> {
        (heading == "LABELS").then(|| join_map(&self.spec.labels_to_apply))
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        for r in self.spec.ingress.iter().chain(&self.spec.egress) {
            rule::rule_problems(&mut errs, r);
        }
        let labels = &self.spec.labels_to_apply;
        if labels
            .iter()
            .any(|(k, v)| label_key_problem(k).is_some() || label_value_problem(v).is_some())
        {
            errs.push(ErroredField::tag("LabelsToApply", go_map(labels), "labels"));
        }
        ValidationError::check(errs)
    }
}

// Profile (profile.go).
gotypes::go_kind!(
    "v3.Profile",
    "v3.ProfileList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.ProfileSpec",
            fields: &[
                f("Ingress", "ingress", &rule::RULES),
                f("Egress", "egress", &rule::RULES),
                f("LabelsToApply", "labelsToApply", &STRING_MAP),
            ],
        })
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cell_json_and_messages() {
        let mut p = Profile::default();
        p.metadata.name = "web".into();
        p.spec.labels_to_apply.insert("a".into(), "2".into());
        p.spec.labels_to_apply.insert("a.b".into(), "1".into());
        // Sorted as `k=v` strings, as calicoctl sorts them: `a.b=1` before `a=2`.
        assert_eq!(p.cell("LABELS").unwrap(), "a.b=1,a=2");
        assert!(p.validate().is_ok());
        p.spec.labels_to_apply.insert("bad key".into(), "x".into());
        p.spec.ingress.push(Rule {
            action: "Drop".into(),
            ..Rule::default()
        });
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "error with the following fields:\n-  Action = 'Drop' (Reason: failed to validate Field: Action because of Tag: action )\n-  LabelsToApply = 'map[a:2 a.b:1 bad key:x]' (Reason: failed to validate Field: LabelsToApply because of Tag: labels )\n"
        );
        assert_eq!(
            crate::go::json::to_string(&Profile::default_allow()),
            r#"{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"projectcalico-default-allow","resourceVersion":"1","creationTimestamp":null},"spec":{"ingress":[{"action":"Allow","source":{},"destination":{}}],"egress":[{"action":"Allow","source":{},"destination":{}}]}}"#
        );
    }
}
