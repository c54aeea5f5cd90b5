//! ClusterInformation: the cluster's GUID, type, version and datastore lock flag.

use super::gotypes::{self, GoType, PTR_BOOL, STRING, StructType, f};
use super::{Columns, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` ClusterInformation (one object, named `default`; read-only for
/// calicoctl).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterInformation {
    /// Always `ClusterInformation`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name (`default`), revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The cluster's facts.
    #[serde(default)]
    pub spec: ClusterInformationSpec,
}

/// The spec of [`ClusterInformation`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterInformationSpec {
    /// A random identifier made when the datastore is first initialised.
    #[serde(
        default,
        rename = "clusterGUID",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) cluster_guid: String,
    /// Comma-separated cluster type tags.
    #[serde(
        default,
        rename = "clusterType",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) cluster_type: String,
    /// The Calico version that last initialised the datastore.
    #[serde(
        default,
        rename = "calicoVersion",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) calico_version: String,
    /// False while the datastore is locked (`datastore migrate lock`).
    #[serde(
        default,
        rename = "datastoreReady",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) datastore_ready: Option<bool>,
    /// The product variant.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

impl Resource for ClusterInformation {
    const KIND: &'static str = "ClusterInformation";
    const PLURAL: &'static str = "clusterinformations";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "clusterinformation",
        "clusterinformations",
        "clusterinfo",
        "clusterinfos",
    ];
    const READ_ONLY: bool = true;
    const COLUMNS: Columns = Columns {
        ps: COLUMNS,
        wide: COLUMNS,
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;

    fn cell(&self, heading: &str) -> Option<String> {
        let spec = &self.spec;
        Some(match heading {
            "CLUSTERGUID" => spec.cluster_guid.clone(),
            "CLUSTERTYPE" => spec.cluster_type.clone(),
            "CALICOVERSION" => spec.calico_version.clone(),
            "DATASTOREREADY" => spec
                .datastore_ready
                .map_or("<nil>".to_string(), |b| b.to_string()),
            _ => return None,
        })
    }
}

/// Both tables of `get clusterinformation`.
const COLUMNS: &[&str] = &[
    "NAME",
    "CLUSTERGUID",
    "CLUSTERTYPE",
    "CALICOVERSION",
    "DATASTOREREADY",
];

// ClusterInformation (clusterinfo.go).
gotypes::go_kind!(
    "v3.ClusterInformation",
    "v3.ClusterInformationList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.ClusterInformationSpec",
            fields: &[
                f("ClusterGUID", "clusterGUID", &STRING),
                f("ClusterType", "clusterType", &STRING),
                f("CalicoVersion", "calicoVersion", &STRING),
                f("DatastoreReady", "datastoreReady", &PTR_BOOL),
                f("Variant", "variant", &STRING),
            ],
        })
    )
);
