//! The kind registry: names and aliases calicoctl accepts, and [`AnyResource`], a value of any
//! supported kind for commands that handle mixed documents.

use super::{
    ClusterInformation, IpPool, IpReservation, IpamConfiguration, Node, ObjectMeta, Resource,
    ResourceId, ValidationError, WorkloadEndpoint,
};
use serde::Serialize;

/// What the CLI needs to know about a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// `IPPool`.
    pub kind: &'static str,
    /// `ippools`.
    pub plural: &'static str,
    /// Every lower-case name calicoctl accepts for it.
    pub aliases: &'static [&'static str],
    /// Namespaced or cluster-wide.
    pub namespaced: bool,
}

/// Every kind this build supports, in calicoctl's help order.
pub const KINDS: &[KindInfo] = &[
    KindInfo {
        kind: "ClusterInformation",
        plural: "clusterinformations",
        aliases: &[
            "clusterinformation",
            "clusterinformations",
            "clusterinfo",
            "clusterinfos",
        ],
        namespaced: false,
    },
    KindInfo {
        kind: "IPAMConfiguration",
        plural: "ipamconfigurations",
        aliases: &[
            "ipamconfiguration",
            "ipamconfigurations",
            "ipamconfig",
            "ipamconfigs",
        ],
        namespaced: false,
    },
    KindInfo {
        kind: "IPPool",
        plural: "ippools",
        aliases: &["ippool", "ippools", "ipp", "ipps", "pool", "pools"],
        namespaced: false,
    },
    KindInfo {
        kind: "IPReservation",
        plural: "ipreservations",
        aliases: &[
            "ipreservation",
            "ipreservations",
            "reservation",
            "reservations",
        ],
        namespaced: false,
    },
    KindInfo {
        kind: "Node",
        plural: "nodes",
        aliases: &["node", "nodes", "no", "nos"],
        namespaced: false,
    },
    KindInfo {
        kind: "WorkloadEndpoint",
        plural: "workloadendpoints",
        aliases: &["workloadendpoint", "workloadendpoints", "wep", "weps"],
        namespaced: true,
    },
];

/// Looks a kind up by any alias, case-insensitively (`IPPools`, `ipp`, `pool`).
pub fn lookup(name: &str) -> Option<&'static KindInfo> {
    let lower = name.to_ascii_lowercase();
    KINDS.iter().find(|k| k.aliases.contains(&lower.as_str()))
}

/// Looks a kind up by its exact `kind:` value in a document.
pub fn by_kind(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// A resource of any supported kind.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyResource {
    /// ClusterInformation.
    ClusterInformation(ClusterInformation),
    /// IPAMConfiguration.
    IpamConfiguration(IpamConfiguration),
    /// IPPool.
    IpPool(IpPool),
    /// IPReservation.
    IpReservation(IpReservation),
    /// Node.
    Node(Node),
    /// WorkloadEndpoint.
    WorkloadEndpoint(WorkloadEndpoint),
}

/// Runs `$body` with `$r` bound to the typed resource inside an [`AnyResource`].
#[macro_export]
macro_rules! with_resource {
    ($any:expr, $r:ident => $body:expr) => {
        match $any {
            $crate::model::kinds::AnyResource::ClusterInformation($r) => $body,
            $crate::model::kinds::AnyResource::IpamConfiguration($r) => $body,
            $crate::model::kinds::AnyResource::IpPool($r) => $body,
            $crate::model::kinds::AnyResource::IpReservation($r) => $body,
            $crate::model::kinds::AnyResource::Node($r) => $body,
            $crate::model::kinds::AnyResource::WorkloadEndpoint($r) => $body,
        }
    };
}

/// Why a document could not be turned into a resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Missing or unknown `kind`/`apiVersion`.
    #[error("unknown resource type ({kind}) and/or version ({api_version})")]
    UnknownType {
        /// The document's kind.
        kind: String,
        /// The document's apiVersion.
        api_version: String,
    },
    /// Fields the kind does not have.
    #[error("{}", unknown_fields_message(.0))]
    UnknownFields(Vec<String>),
    /// Anything else serde reported (wrong types and the like).
    #[error("{0}")]
    Other(String),
}

fn unknown_fields_message(fields: &[String]) -> String {
    match fields {
        [one] => format!(
            "error parsing document: field in document is not recognized or is in the wrong location: {one}"
        ),
        many => {
            let shown: Vec<&str> = many.iter().take(4).map(String::as_str).collect();
            let mut s = format!(
                "error parsing document: fields in document are not recognized or are in the wrong location: {}",
                shown.join(", ")
            );
            if many.len() > 4 {
                s.push_str(&format!(" (+ {} more)", many.len() - 4));
            }
            s
        }
    }
}

impl AnyResource {
    /// Decodes one JSON document (already converted from YAML) into a typed resource,
    /// strictly: unknown fields are reported with Calico's message.
    pub fn from_value(value: serde_json::Value) -> Result<AnyResource, DecodeError> {
        let kind = value
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let api_version = value
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let unknown = || DecodeError::UnknownType {
            kind: kind.clone(),
            api_version: api_version.clone(),
        };
        if api_version != super::API_VERSION {
            return Err(unknown());
        }
        use super::decode::decode;
        Ok(match kind.as_str() {
            "ClusterInformation" => AnyResource::ClusterInformation(decode(value)?),
            "IPAMConfiguration" => AnyResource::IpamConfiguration(decode(value)?),
            "IPPool" => AnyResource::IpPool(decode(value)?),
            "IPReservation" => AnyResource::IpReservation(decode(value)?),
            "Node" => AnyResource::Node(decode(value)?),
            "WorkloadEndpoint" => AnyResource::WorkloadEndpoint(decode(value)?),
            _ => return Err(unknown()),
        })
    }

    /// The kind's registry entry.
    pub fn info(&self) -> &'static KindInfo {
        by_kind(self.kind()).expect("every variant is registered")
    }

    /// `IPPool`, `Node`, ...
    pub fn kind(&self) -> &'static str {
        fn k<K: Resource>(_: &K) -> &'static str {
            K::KIND
        }
        with_resource!(self, r => k(r))
    }

    /// The metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        with_resource!(self, r => r.metadata())
    }

    /// The metadata, mutably.
    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        with_resource!(self, r => r.metadata_mut())
    }

    /// Calico's name for it in errors.
    pub fn id(&self) -> ResourceId {
        with_resource!(self, r => r.id())
    }

    /// The generic validation.
    pub fn validate(&self) -> Result<(), ValidationError> {
        with_resource!(self, r => r.validate())
    }

    /// The checks a create runs that need no datastore (`calicoctl validate`).
    pub fn validate_standalone(&self) -> Result<(), ValidationError> {
        with_resource!(self, r => r.validate_standalone())
    }

    /// As a JSON value (struct order).
    pub fn to_value(&self) -> serde_json::Value {
        with_resource!(self, r => serde_json::to_value(r).expect("resources serialise"))
    }
}

impl Serialize for AnyResource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_resource!(self, r => r.serialize(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aliases() {
        assert_eq!(lookup("IPPools").unwrap().kind, "IPPool");
        assert_eq!(lookup("pool").unwrap().kind, "IPPool");
        assert_eq!(lookup("wep").unwrap().kind, "WorkloadEndpoint");
        assert!(lookup("bogus").is_none());
    }

    #[test]
    fn explicit_nulls_are_zero_values() {
        let doc = serde_json::json!({
            "apiVersion": "projectcalico.org/v3",
            "kind": "IPPool",
            "metadata": {"name": "p", "labels": {"a": null}, "namespace": null},
            "spec": {"cidr": "10.0.0.0/24", "nodeSelector": null, "allowedUses": null}
        });
        let AnyResource::IpPool(p) = AnyResource::from_value(doc).unwrap() else {
            panic!("not a pool")
        };
        assert_eq!(p.metadata.labels["a"], "");
        assert_eq!(p.spec.node_selector, "");
        // A null name is an empty one, which validation then refuses in Calico's words.
        let doc = serde_json::json!({
            "apiVersion": "projectcalico.org/v3", "kind": "IPPool",
            "metadata": {"name": null}, "spec": {"cidr": "10.0.0.0/24"}
        });
        let r = AnyResource::from_value(doc).unwrap();
        assert_eq!(r.metadata().name, "");
    }

    #[test]
    fn strict_decoding() {
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
            "metadata": {"name": "p"}, "spec": {"cidr": "10.0.0.0/8", "bogus": 1}});
        assert_eq!(
            AnyResource::from_value(doc).unwrap_err().to_string(),
            "error parsing document: field in document is not recognized or is in the wrong location: bogus"
        );
        let doc = json!({"apiVersion": "v1", "kind": "IPPool"});
        assert_eq!(
            AnyResource::from_value(doc).unwrap_err().to_string(),
            "unknown resource type (IPPool) and/or version (v1)"
        );
    }
}

macro_rules! any_from {
    ($($variant:ident($ty:ty)),*) => {
        $(impl From<$ty> for AnyResource {
            fn from(r: $ty) -> AnyResource {
                AnyResource::$variant(r)
            }
        })*
    };
}
any_from!(
    ClusterInformation(ClusterInformation),
    IpamConfiguration(IpamConfiguration),
    IpPool(IpPool),
    IpReservation(IpReservation),
    Node(Node),
    WorkloadEndpoint(WorkloadEndpoint)
);

/// Runs `$body` with the type alias `$K` bound to the Rust type of the kind named `$kind`
/// (a `KindInfo::kind` string). Evaluates to `None` for kinds not in the registry.
#[macro_export]
macro_rules! with_kind {
    ($kind:expr, $K:ident => $body:expr) => {
        match $kind {
            "ClusterInformation" => {
                type $K = $crate::model::ClusterInformation;
                Some($body)
            }
            "IPAMConfiguration" => {
                type $K = $crate::model::IpamConfiguration;
                Some($body)
            }
            "IPPool" => {
                type $K = $crate::model::IpPool;
                Some($body)
            }
            "IPReservation" => {
                type $K = $crate::model::IpReservation;
                Some($body)
            }
            "Node" => {
                type $K = $crate::model::Node;
                Some($body)
            }
            "WorkloadEndpoint" => {
                type $K = $crate::model::WorkloadEndpoint;
                Some($body)
            }
            _ => None,
        }
    };
}
