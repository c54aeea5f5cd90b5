//! Tier: an ordered group of policies; `default`, `adminnetworkpolicy` and
//! `baselineadminnetworkpolicy` are Calico's own.

use super::gotypes::{self, Basic, GoType, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Columns, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// The tier a policy without one is in.
pub(crate) const DEFAULT_TIER: &str = "default";
/// Calico's tiers, created by calicoctl's first write: name, default action, order.
pub(crate) const CALICO_TIERS: [(&str, &str, f64); 3] = [
    (DEFAULT_TIER, "Deny", 1_000_000.0),
    ("adminnetworkpolicy", "Pass", 1_000.0),
    ("baselineadminnetworkpolicy", "Pass", 10_000_000.0),
];

/// True for the kinds whose writes need Calico's tiers to exist (see `ops::ensure_tiers`).
pub(crate) fn needs_tiers(kind: &str) -> bool {
    matches!(
        kind,
        "Tier"
            | "GlobalNetworkPolicy"
            | "NetworkPolicy"
            | "StagedGlobalNetworkPolicy"
            | "StagedNetworkPolicy"
    )
}

/// `projectcalico.org/v3` Tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    /// Always `Tier`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Order and default action.
    #[serde(default)]
    pub spec: TierSpec,
}

/// The spec of a [`Tier`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TierSpec {
    /// Lower orders apply first; Calico's client fills in 1000000.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "go_json_f64"
    )]
    pub order: Option<f64>,
    /// `Deny` or `Pass`, for traffic no policy of the tier decided; Calico fills in `Deny`.
    #[serde(
        default,
        rename = "defaultAction",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) default_action: Option<String>,
}

impl Tier {
    /// A tier as calicoctl's initialisation creates it.
    pub(crate) fn new(name: &str, default_action: &str, order: f64) -> Tier {
        let mut t = Tier {
            metadata: ObjectMeta {
                name: name.to_string(),
                ..ObjectMeta::default()
            },
            spec: TierSpec {
                order: Some(order),
                default_action: Some(default_action.to_string()),
            },
            ..Tier::default()
        };
        t.set_type_meta();
        t
    }

    /// Calico's `DefaultTierFields`: order 1000000 and action `Deny` when unset.
    pub(crate) fn fill_defaults(&mut self) {
        self.spec.order.get_or_insert(1_000_000.0);
        self.spec
            .default_action
            .get_or_insert_with(|| "Deny".to_string());
    }
}

/// Writes an optional float64 as Go's encoding/json does: integral values without a
/// fraction (`1000000`, not serde's `1000000.0`).
pub(crate) fn go_json_f64<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => s.serialize_i64(*f as i64),
        Some(f) => s.serialize_f64(*f),
        None => s.serialize_none(),
    }
}

/// Go's `%v` of a float64 (`1e+06`).
pub(crate) fn go_float(v: f64) -> String {
    crate::go::strconv::format_g(v, None)
}

impl Resource for Tier {
    const KIND: &'static str = "Tier";
    const PLURAL: &'static str = "tiers";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &["tier", "tiers"];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "ORDER"],
        wide: &["NAME", "ORDER"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;

    fn cell(&self, heading: &str) -> Option<String> {
        match heading {
            "ORDER" => Some(self.spec.order.map_or("<nil>".to_string(), go_float)),
            _ => None,
        }
    }

    fn validate_standalone(&self) -> Result<(), ValidationError> {
        let mut t = self.clone();
        t.fill_defaults();
        t.validate()
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        if let Some(a) = &self.spec.default_action
            && a != "Deny"
            && a != "Pass"
        {
            errs.push(ErroredField::tag("DefaultAction", a, "oneof"));
        }
        let name = &self.metadata.name;
        if name.len() > 63 {
            errs.push(ErroredField::new(
                "Metadata.Name",
                name,
                format!("name is too long by {} bytes", name.len() - 63),
            ));
        }
        if !label_name_ok(name) {
            errs.push(ErroredField::new(
                "Metadata.Name",
                name,
                format!("name must consist of lower case alphanumeric characters or '-' (regex: {LABEL_REGEX})"),
            ));
        }
        for (tier, _, order) in CALICO_TIERS {
            if name == tier && self.spec.order != Some(order) {
                errs.push(ErroredField::new(
                    "TierSpec.Order",
                    self.spec.order.map_or("<nil>".to_string(), go_float),
                    format!("{tier} tier order must be {}", go_float(order)),
                ));
            }
        }
        ValidationError::check(errs)
    }
}

/// The DNS-1123 label regex, as Calico quotes it.
pub(crate) const LABEL_REGEX: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/// Matches `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` (a DNS-1123 label; length is checked apart).
pub(crate) fn label_name_ok(name: &str) -> bool {
    let b = name.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter().all(|c| alnum(c) || *c == b'-')
}

// Tier (tier.go).
gotypes::go_kind!(
    "v3.Tier",
    "v3.TierList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.TierSpec",
            fields: &[
                f(
                    "Order",
                    "order",
                    &GoType::Ptr(&GoType::Scalar("float64", Basic::Stringer)),
                ),
                f(
                    "DefaultAction",
                    "defaultAction",
                    &GoType::Ptr(&GoType::Scalar("v3.Action", Basic::String)),
                ),
            ],
        })
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_json_and_messages() {
        let mut t = Tier::default();
        t.metadata.name = "net-sec".into();
        t.set_type_meta();
        t.fill_defaults();
        assert_eq!(
            crate::go::json::to_string(&t.spec),
            r#"{"order":1000000,"defaultAction":"Deny"}"#
        );
        assert_eq!(t.cell("ORDER").unwrap(), "1e+06");
        assert!(t.validate().is_ok());
        t.metadata.name = "a.b".into();
        assert_eq!(
            t.validate().unwrap_err().to_string(),
            "error with field Metadata.Name = 'a.b' (name must consist of lower case alphanumeric characters or '-' (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?))"
        );
        let mut d = Tier::default();
        d.metadata.name = "default".into();
        d.spec.order = Some(100.0);
        d.spec.default_action = Some("Allow".into());
        assert_eq!(
            d.validate().unwrap_err().to_string(),
            "error with the following fields:\n-  DefaultAction = 'Allow' (Reason: failed to validate Field: DefaultAction because of Tag: oneof )\n-  TierSpec.Order = '100' (default tier order must be 1e+06)\n"
        );
    }
}
