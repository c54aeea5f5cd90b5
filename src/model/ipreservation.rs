//! IPReservation: addresses automatic assignment must not hand out.

use super::gotypes::{self, GoType, STRINGS, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Cidr, Columns, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` IPReservation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpReservation {
    /// Always `IPReservation`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// What is reserved.
    #[serde(default)]
    pub spec: IpReservationSpec,
}

/// The spec of an [`IpReservation`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpReservationSpec {
    /// CIDRs or bare addresses; host bits are ignored (`10.0.0.5/24` reserves `10.0.0.0/24`).
    #[serde(
        default,
        rename = "reservedCIDRs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) reserved_cidrs: Vec<String>,
}

impl IpReservation {
    /// The reserved networks that parse (malformed entries are skipped, as Calico's IPAM does).
    pub fn networks(&self) -> Vec<Cidr> {
        self.spec
            .reserved_cidrs
            .iter()
            .filter_map(|s| Cidr::parse_ip_or_cidr(s.trim()).ok())
            .map(|c| c.network())
            .collect()
    }
}

impl Resource for IpReservation {
    const KIND: &'static str = "IPReservation";
    const PLURAL: &'static str = "ipreservations";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "ipreservation",
        "ipreservations",
        "reservation",
        "reservations",
    ];
    const COLUMNS: Columns = Columns {
        ps: &["NAME"],
        wide: &["NAME", "CIDRS"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;

    fn cell(&self, heading: &str) -> Option<String> {
        match heading {
            "CIDRS" => Some(join80(&self.spec.reserved_cidrs)),
            _ => None,
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        if self
            .spec
            .reserved_cidrs
            .iter()
            .any(|s| Cidr::parse_ip_or_cidr(s).is_err())
        {
            errs.push(ErroredField::tag(
                "ReservedCIDRs",
                format!("[{}]", self.spec.reserved_cidrs.join(" ")),
                "cidrs",
            ));
        }
        ValidationError::check(errs)
    }
}

/// calicoctl's `joinAndTruncate .Spec.ReservedCIDRs "," 80` (the CIDRS column).
fn join80(items: &[String]) -> String {
    crate::go::join_and_truncate(items, ",", 80).expect("80 leaves room for the \"...\"")
}

// IPReservation (ipreservation.go).
gotypes::go_kind!(
    "v3.IPReservation",
    "v3.IPReservationList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.IPReservationSpec",
            fields: &[f("ReservedCIDRs", "reservedCIDRs", &STRINGS)],
        })
    )
);
