//! Kubernetes-style object metadata, serialised in Go's field order.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `metav1.ObjectMeta` as Calico's v3 kinds carry it. Field order is Go's, which fixes the
/// order of keys in stored values and in `-o json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// The resource's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Accepted but not supported (Calico refuses it on create).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    /// The namespace of namespaced kinds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Ignored; kept so documents from Kubernetes parse.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub self_link: String,
    /// A UUID set on create.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// The key's mod revision, as a decimal string. Never stored.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// Ignored.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation: i64,
    /// RFC 3339, seconds, UTC. Always emitted (`null` when unset), as Go does.
    #[serde(default)]
    pub creation_timestamp: Option<String>,
    /// Set while a resource is being deleted (Kubernetes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
    /// Kubernetes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    /// Labels: what selectors match against.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Kubernetes owner references, kept verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<serde_json::Value>,
    /// Kubernetes finalizers, kept verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    /// Kubernetes managed fields, kept verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_fields: Vec<serde_json::Value>,
    /// The value this object was read from, when it was read from a store: a rewrite keeps
    /// what that value holds and this build does not model (a newer Calico's fields).
    #[serde(skip)]
    pub read_from: ReadFrom,
}

/// The stored bytes an object was decoded from. Not part of the object: never serialised,
/// and equal to any other (two objects are equal whether or not they came from a store).
#[derive(Clone, Default)]
pub struct ReadFrom(Option<Arc<[u8]>>);

impl ReadFrom {
    /// Remembers `bytes`.
    pub(crate) fn new(bytes: &[u8]) -> ReadFrom {
        ReadFrom(Some(Arc::from(bytes)))
    }

    /// The bytes, if the object was read from a store.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }
}

impl PartialEq for ReadFrom {
    fn eq(&self, _: &ReadFrom) -> bool {
        true
    }
}

impl std::fmt::Debug for ReadFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(bytes) => write!(f, "ReadFrom({} bytes)", bytes.len()),
            None => f.write_str("ReadFrom(none)"),
        }
    }
}

pub(crate) fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// `metav1.ListMeta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    /// Ignored.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub self_link: String,
    /// The store revision the list was read at.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// Ignored.
    #[serde(default, rename = "continue", skip_serializing_if = "String::is_empty")]
    pub(crate) continue_token: String,
}
