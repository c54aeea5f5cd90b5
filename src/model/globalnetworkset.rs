//! GlobalNetworkSet: a cluster-wide named set of networks, for policy selectors to match.

use super::gotypes::{self, GoType, StructType, f};
use super::networkset::{COLUMNS, NETS_FIELDS, NetworkSetSpec, nets_cell, validate_network_set};
use super::validation::ValidationError;
use super::{Columns, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` GlobalNetworkSet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GlobalNetworkSet {
    /// Always `GlobalNetworkSet`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The networks.
    #[serde(default)]
    pub spec: NetworkSetSpec,
}

impl Resource for GlobalNetworkSet {
    const KIND: &'static str = "GlobalNetworkSet";
    const PLURAL: &'static str = "globalnetworksets";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &["globalnetworkset", "globalnetworksets", "gnetsets"];
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

// GlobalNetworkSet (globalnetworkset.go).
gotypes::go_kind!(
    "v3.GlobalNetworkSet",
    "v3.GlobalNetworkSetList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.GlobalNetworkSetSpec",
            fields: NETS_FIELDS,
        })
    )
);
