//! The `projectcalico.org/v3` kinds: JSON shape, defaults and validation.
//!
//! Each kind lives in its own file and implements [`Resource`], its one registration: names,
//! plural and aliases, scope, `get` table columns, Go types, defaults and validation.
//! [`kinds`] lists the kinds and generates from that list what handles a value of any kind
//! (`docs/adding-a-kind.md`). Field order in the structs is the Go field order, so serialising
//! gives the bytes Calico stores in etcd and prints for `-o json`. Validation messages are
//! Calico v3.31's (`error with field ... (reason)`).

pub(crate) mod bgpconfig;
pub(crate) mod bgpfilter;
pub(crate) mod bgppeer;
pub(crate) mod caliconodestatus;
pub mod cidr;
pub(crate) mod clusterinfo;
pub(crate) mod decode;
pub mod felixconfig;
pub mod globalnetworkpolicy;
pub(crate) mod globalnetworkset;
pub mod gotypes;
pub(crate) mod goyaml;
pub mod hostendpoint;
pub mod ipamconfig;
pub mod ippool;
pub(crate) mod ipreservation;
pub mod kinds;
pub mod kubecontrollersconfig;
pub mod meta;
pub mod networkpolicy;
pub(crate) mod networkset;
pub mod node;
pub mod numorstring;
pub(crate) mod policy;
pub mod profile;
pub mod rule;
pub mod stagedglobalnetworkpolicy;
pub(crate) mod stagedkubernetesnetworkpolicy;
pub mod stagednetworkpolicy;
pub mod tier;
pub mod validation;
pub mod workloadendpoint;

pub use bgpconfig::BgpConfiguration;
pub use bgpfilter::BgpFilter;
pub use bgppeer::BgpPeer;
pub use caliconodestatus::CalicoNodeStatus;
pub use cidr::Cidr;
pub use clusterinfo::ClusterInformation;
pub(crate) use decode::{decode_document, go_type_expected, yaml_error};
pub use felixconfig::FelixConfiguration;
pub use globalnetworkpolicy::GlobalNetworkPolicy;
pub use globalnetworkset::GlobalNetworkSet;
pub use gotypes::{GoField, GoNames};
pub use hostendpoint::HostEndpoint;
pub use ipamconfig::IpamConfiguration;
pub use ippool::IpPool;
pub use ipreservation::IpReservation;
pub use kubecontrollersconfig::KubeControllersConfiguration;
pub use meta::{ListMeta, ObjectMeta};
pub use networkpolicy::NetworkPolicy;
pub use networkset::NetworkSet;
pub use node::Node;
pub use profile::Profile;
pub use stagedglobalnetworkpolicy::StagedGlobalNetworkPolicy;
pub use stagedkubernetesnetworkpolicy::StagedKubernetesNetworkPolicy;
pub use stagednetworkpolicy::StagedNetworkPolicy;
pub use tier::Tier;
pub use validation::{ErroredField, ValidationError};
pub use workloadendpoint::WorkloadEndpoint;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The API group and version of every kind here.
pub(crate) const API_VERSION: &str = "projectcalico.org/v3";

/// A `projectcalico.org/v3` kind: its registration, implemented once in the kind's file.
pub trait Resource:
    Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The kind as Calico spells it: `IPPool`.
    const KIND: &'static str;
    /// The lower-case plural used in etcd keys: `ippools`.
    const PLURAL: &'static str;
    /// True for kinds that live in a namespace.
    const NAMESPACED: bool;
    /// Every lower-case name calicoctl accepts for the kind on its command line (the kind,
    /// its plural and the short names: `ippool`, `ippools`, `ipp`, ...).
    const ALIASES: &'static [&'static str];
    /// Read-only for calicoctl (ClusterInformation): create, apply, replace, patch, label and
    /// delete refuse it.
    const READ_ONLY: bool = false;
    /// The headings of calicoctl's `get` tables; [`Resource::cell`] fills them in.
    const COLUMNS: Columns = Columns::NAME;
    /// The Go type calicoctl's template data holds for one object (`*v3.IPPool`), from
    /// `gotypes::go_kind!`.
    const GO_TYPE: &'static gotypes::GoType;
    /// The Go type of a `get` listing (`*v3.IPPoolList`).
    const GO_LIST_TYPE: &'static gotypes::GoType;
    /// Go struct names of the kind's nested objects, for decoding messages (see [`GoNames`]).
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[];
    /// Go types of the kind's fields that serde's expectation does not tell (see [`GoNames`]).
    const GO_FIELDS: &'static [GoField] = &[];

    /// The cell under `heading` (one of [`Resource::COLUMNS`] other than `NAME` and
    /// `NAMESPACE`, which every kind shares), as calicoctl's column templates render it.
    fn cell(&self, heading: &str) -> Option<String> {
        let _ = heading;
        None
    }

    /// [`Resource::cell`] where calicoctl's column template calls its `config` function
    /// (Node's ASN shows the global AS number): `config` answers it (`asnumber`).
    fn cell_in(&self, heading: &str, config: &dyn Fn(&str) -> String) -> Option<String> {
        let _ = config;
        self.cell(heading)
    }

    /// The Go names of the kind's decoding messages.
    fn go_names() -> GoNames {
        GoNames {
            kind: Self::KIND,
            structs: Self::GO_STRUCTS,
            fields: Self::GO_FIELDS,
        }
    }

    /// The object's metadata.
    fn metadata(&self) -> &ObjectMeta;
    /// The object's metadata, mutably.
    fn metadata_mut(&mut self) -> &mut ObjectMeta;
    /// Sets `kind` and `apiVersion` to this kind's values.
    fn set_type_meta(&mut self);

    /// Fills defaults Calico applies whenever it reads the kind (e.g. an IPPool's blockSize).
    fn default_on_read(&mut self) {}

    /// Field and struct validation (Calico's generic validator), after any kind-specific
    /// create/update checks have passed.
    fn validate(&self) -> Result<(), ValidationError> {
        validation::validate_metadata::<Self>(self.metadata())
    }

    /// What a create checks without the datastore: the kind's own create rules (on a copy,
    /// defaults filled in), then [`Resource::validate`]. Checks against other stored objects
    /// (an IPPool overlapping another) are not part of it. This is what `calicoctl validate`
    /// reports.
    fn validate_standalone(&self) -> Result<(), ValidationError> {
        self.validate()
    }

    /// The name.
    fn name(&self) -> &str {
        &self.metadata().name
    }

    /// The namespace, for namespaced kinds.
    fn namespace(&self) -> Option<&str> {
        Self::NAMESPACED.then(|| self.metadata().namespace.as_str())
    }

    /// `IPPool(name)` or `WorkloadEndpoint(ns/name)`, as Calico's errors name resources.
    fn id(&self) -> ResourceId {
        ResourceId::new(Self::KIND, self.namespace(), self.name())
    }
}

/// The headings of a kind's `get` tables (`-o ps`, `-o wide`); `custom-columns=` accepts any
/// of them and the `extra` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// The default table.
    pub ps: &'static [&'static str],
    /// `-o wide`.
    pub wide: &'static [&'static str],
    /// Headings only `custom-columns=` shows.
    pub extra: &'static [&'static str],
}

impl Columns {
    /// A kind shown by its name alone.
    pub const NAME: Columns = Columns {
        ps: &["NAME"],
        wide: &["NAME"],
        extra: &[],
    };

    /// Every heading valid in `custom-columns=`, sorted.
    pub fn valid(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> = self
            .wide
            .iter()
            .chain(self.ps)
            .chain(self.extra)
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// How Calico's errors name a resource: `IPPool(default-ipv4-ippool)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    /// The kind.
    pub kind: &'static str,
    /// The namespace, for namespaced kinds.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl ResourceId {
    /// Builds an ID.
    pub fn new(kind: &'static str, namespace: Option<&str>, name: &str) -> ResourceId {
        ResourceId {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) if !ns.is_empty() => write!(f, "{}({}/{})", self.kind, ns, self.name),
            _ => write!(f, "{}({})", self.kind, self.name),
        }
    }
}

/// Implements the boilerplate of [`Resource`] for a struct with `kind`, `api_version` and
/// `metadata` fields.
macro_rules! resource_basics {
    () => {
        fn metadata(&self) -> &$crate::model::ObjectMeta {
            &self.metadata
        }
        fn metadata_mut(&mut self) -> &mut $crate::model::ObjectMeta {
            &mut self.metadata
        }
        fn set_type_meta(&mut self) {
            self.kind = Self::KIND.to_string();
            self.api_version = $crate::model::API_VERSION.to_string();
        }
    };
}
pub(crate) use resource_basics;
