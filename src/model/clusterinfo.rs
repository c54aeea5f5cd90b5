//! ClusterInformation: the cluster's GUID, type, version and datastore lock flag.

use super::{ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` ClusterInformation (one object, named `default`; read-only for
/// calicoctl).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct ClusterInformationSpec {
    /// A random identifier made when the datastore is first initialised.
    #[serde(
        default,
        rename = "clusterGUID",
        skip_serializing_if = "String::is_empty"
    )]
    pub cluster_guid: String,
    /// Comma-separated cluster type tags.
    #[serde(
        default,
        rename = "clusterType",
        skip_serializing_if = "String::is_empty"
    )]
    pub cluster_type: String,
    /// The Calico version that last initialised the datastore.
    #[serde(
        default,
        rename = "calicoVersion",
        skip_serializing_if = "String::is_empty"
    )]
    pub calico_version: String,
    /// False while the datastore is locked (`datastore migrate lock`).
    #[serde(
        default,
        rename = "datastoreReady",
        skip_serializing_if = "Option::is_none"
    )]
    pub datastore_ready: Option<bool>,
    /// The product variant.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

impl Resource for ClusterInformation {
    const KIND: &'static str = "ClusterInformation";
    const PLURAL: &'static str = "clusterinformations";
    const NAMESPACED: bool = false;
    resource_basics!();
}
