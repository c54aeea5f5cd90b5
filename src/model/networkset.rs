//! NetworkSet: a namespace's named set of networks, for policy selectors to match.

use super::gotypes::{self, GoType, STRINGS, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Cidr, Columns, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` NetworkSet (namespaced).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkSet {
    /// Always `NetworkSet`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, namespace, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The networks.
    #[serde(default)]
    pub spec: NetworkSetSpec,
}

/// The spec of a [`NetworkSet`] and of a `GlobalNetworkSet` (the same fields in Calico).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkSetSpec {
    /// CIDRs or bare addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) nets: Vec<String>,
}

/// The label only Calico's v1 data model may carry.
const NAMESPACE_LABEL: &str = "projectcalico.org/namespace";

/// What Calico's validator finds in a network set: the metadata, each net (`dive,cidr`: one
/// error per bad item, named by its index), then the reserved namespace label.
pub(crate) fn validate_network_set<K: Resource>(
    metadata: &ObjectMeta,
    spec: &NetworkSetSpec,
) -> Result<(), ValidationError> {
    let mut errs = match super::validation::validate_metadata::<K>(metadata) {
        Ok(()) => Vec::new(),
        Err(e) => e.fields,
    };
    for (i, net) in spec.nets.iter().enumerate() {
        if Cidr::parse_ip_or_cidr(net).is_err() {
            errs.push(ErroredField::tag(&format!("Nets[{i}]"), net, "cidr"));
        }
    }
    if metadata.labels.contains_key(NAMESPACE_LABEL) {
        errs.push(ErroredField::new(
            "Metadata.Labels (label)",
            NAMESPACE_LABEL,
            "projectcalico.org/namespace is not a valid label name",
        ));
    }
    ValidationError::check(errs)
}

/// calicoctl's `joinAndTruncate .Spec.Nets "," 80` (the NETS column).
pub(crate) fn nets_cell(spec: &NetworkSetSpec) -> String {
    crate::go::join_and_truncate(&spec.nets, ",", 80).expect("80 leaves room for the \"...\"")
}

/// The tables of both network set kinds.
pub(crate) const COLUMNS: Columns = Columns {
    ps: &["NAME"],
    wide: &["NAME", "NETS"],
    extra: &[],
};

impl Resource for NetworkSet {
    const KIND: &'static str = "NetworkSet";
    const PLURAL: &'static str = "networksets";
    const NAMESPACED: bool = true;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &["networkset", "networksets", "netsets"];
    const COLUMNS: Columns = COLUMNS;
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;

    fn cell(&self, heading: &str) -> Option<String> {
        (heading == "NETS").then(|| nets_cell(&self.spec))
    }

    fn validate(&self) -> Result<(), ValidationError> {
        validate_network_set::<Self>(&self.metadata, &self.spec)
    }
}

/// The Go fields of both network set specs.
pub(crate) static NETS_FIELDS: &[gotypes::Field] = &[f("Nets", "nets", &STRINGS)];

// NetworkSet (networkset.go).
gotypes::go_kind!(
    "v3.NetworkSet",
    "v3.NetworkSetList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.NetworkSetSpec",
            fields: NETS_FIELDS,
        })
    )
);
