//! The kind registry: the one list of kinds, and what it generates for values of any kind:
//! [`AnyResource`], the [`KINDS`] table (names and aliases calicoctl accepts, scope, table
//! columns, Go types) and the dispatch macros `with_resource!` and `with_kind!`. Each
//! kind's facts are its [`Resource`] implementation, in its own file.

pub use super::decode::DecodeError;
use super::decode::decode_as;
use super::gotypes::GoType;
use super::{
    BgpConfiguration, BgpFilter, BgpPeer, CalicoNodeStatus, ClusterInformation, Columns,
    FelixConfiguration, GlobalNetworkPolicy, GlobalNetworkSet, HostEndpoint, IpPool, IpReservation,
    IpamConfiguration, KubeControllersConfiguration, NetworkPolicy, NetworkSet, Node, ObjectMeta,
    Profile, Resource, ResourceId, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy,
    StagedNetworkPolicy, Tier, ValidationError, WorkloadEndpoint,
};
use serde::Serialize;

/// A kind's registration as the command line needs it, by name rather than by type.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    /// `IPPool`.
    pub kind: &'static str,
    /// `ippools`.
    pub plural: &'static str,
    /// Every lower-case name calicoctl accepts for it.
    pub aliases: &'static [&'static str],
    /// Namespaced or cluster-wide.
    pub namespaced: bool,
    /// Read-only for calicoctl.
    pub read_only: bool,
    /// The `get` tables' headings.
    pub columns: Columns,
    /// The Go type of one object in calicoctl's template data (`*v3.IPPool`).
    pub(crate) go_type: &'static GoType,
    /// The Go type of a listing (`*v3.IPPoolList`).
    pub(crate) go_list_type: &'static GoType,
}

impl KindInfo {
    /// The registration of `K`.
    pub const fn of<K: Resource>() -> KindInfo {
        KindInfo {
            kind: K::KIND,
            plural: K::PLURAL,
            aliases: K::ALIASES,
            namespaced: K::NAMESPACED,
            read_only: K::READ_ONLY,
            columns: K::COLUMNS,
            go_type: K::GO_TYPE,
            go_list_type: K::GO_LIST_TYPE,
        }
    }
}

/// Generates, from the list of kinds, [`AnyResource`], [`KINDS`], the `From` conversions and
/// the dispatch macros. `$d` is a `$` handed in, for the macros it defines.
macro_rules! registry {
    ($d:tt $($ty:ident),* $(,)?) => {
        /// A resource of any supported kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnyResource {
            $(
                #[doc = concat!("[`", stringify!($ty), "`].")]
                $ty($ty),
            )*
        }

        /// Every kind this build supports, in calicoctl's help order.
        pub static KINDS: &[KindInfo] = &[$(KindInfo::of::<$ty>()),*];

        $(
            impl From<$ty> for AnyResource {
                fn from(r: $ty) -> AnyResource {
                    AnyResource::$ty(r)
                }
            }
        )*

        /// Runs `$body` with `$r` bound to the typed resource inside an [`AnyResource`].
        macro_rules! with_resource {
            ($d any:expr, $d r:ident => $d body:expr) => {
                match $d any {
                    $(crate::model::kinds::AnyResource::$ty($d r) => $d body,)*
                }
            };
        }
        pub(crate) use with_resource;

        /// Runs `$body` with the type alias `$K` bound to the Rust type of the kind named
        /// `$kind` (a [`KindInfo::kind`]). Evaluates to `None` for kinds not in the registry.
        macro_rules! with_kind {
            ($d kind:expr, $d K:ident => $d body:expr) => {{
                let kind: &str = $d kind;
                $(
                    if kind == <crate::model::$ty as crate::model::Resource>::KIND {
                        type $d K = crate::model::$ty;
                        Some($d body)
                    } else
                )* {
                    None
                }
            }};
        }
        pub(crate) use with_kind;
    };
}

// The kinds, in calicoctl's help order. Adding a kind: its file under `model/` (implementing
// `Resource`), its `mod`/`pub use` lines in `model/mod.rs`, and its name here
// (`docs/adding-a-kind.md`).
registry!($
    BgpConfiguration,
    BgpFilter,
    BgpPeer,
    CalicoNodeStatus,
    ClusterInformation,
    FelixConfiguration,
    GlobalNetworkPolicy,
    GlobalNetworkSet,
    HostEndpoint,
    IpamConfiguration,
    IpPool,
    IpReservation,
    KubeControllersConfiguration,
    NetworkPolicy,
    NetworkSet,
    Node,
    Profile,
    StagedGlobalNetworkPolicy,
    StagedKubernetesNetworkPolicy,
    StagedNetworkPolicy,
    Tier,
    WorkloadEndpoint,
);

/// Looks a kind up by any alias, case-insensitively (`IPPools`, `ipp`, `pool`).
pub fn lookup(name: &str) -> Option<&'static KindInfo> {
    let lower = name.to_ascii_lowercase();
    KINDS.iter().find(|k| k.aliases.contains(&lower.as_str()))
}

/// Looks a kind up by its exact `kind:` value in a document.
pub(crate) fn by_kind(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The Go type calicoctl's templates see for an object of `kind` (`IPPool` → `*v3.IPPool`,
/// `IPPoolList` → `*v3.IPPoolList`); `None` for a kind not registered.
pub(crate) fn go_type(kind: &str) -> Option<&'static GoType> {
    if let Some(info) = by_kind(kind) {
        return Some(info.go_type);
    }
    by_kind(kind.strip_suffix("List")?).map(|info| info.go_list_type)
}

impl AnyResource {
    /// Decodes one JSON document (already converted from YAML) into a typed resource,
    /// strictly: unknown fields are reported with Calico's message.
    pub fn from_value(value: serde_json::Value) -> Result<AnyResource, DecodeError> {
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let (kind, api_version) = (field("kind"), field("apiVersion"));
        if api_version == super::API_VERSION
            && let Some(decoded) = with_kind!(&kind, K => {
                decode_as::<K>(value, K::go_names(), true).map(AnyResource::from)
            })
        {
            return decoded;
        }
        Err(DecodeError::UnknownType { kind, api_version })
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
    pub(crate) fn metadata_mut(&mut self) -> &mut ObjectMeta {
        with_resource!(self, r => r.metadata_mut())
    }

    /// Sets `kind` and `apiVersion` to the kind's values.
    pub fn set_type_meta(&mut self) {
        with_resource!(self, r => r.set_type_meta())
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
    pub(crate) fn validate_standalone(&self) -> Result<(), ValidationError> {
        with_resource!(self, r => r.validate_standalone())
    }

    /// As a JSON value (struct order).
    pub fn to_value(&self) -> serde_json::Value {
        with_resource!(self, r => serde_json::to_value(r).expect("resources serialise"))
    }

    /// The cell under a `get` table heading: `NAME` and `NAMESPACE` for every kind, else the
    /// kind's own ([`Resource::cell`]); `None` for a heading the kind does not have.
    pub fn cell(&self, heading: &str) -> Option<String> {
        match heading {
            "NAME" => Some(self.metadata().name.clone()),
            "NAMESPACE" => Some(self.metadata().namespace.clone()),
            _ => with_resource!(self, r => r.cell(heading)),
        }
    }

    /// [`AnyResource::cell`], with calicoctl's `config` function answered by `config`.
    pub fn cell_in(&self, heading: &str, config: &dyn Fn(&str) -> String) -> Option<String> {
        match heading {
            "NAME" | "NAMESPACE" => self.cell(heading),
            _ => with_resource!(self, r => r.cell_in(heading, config)),
        }
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

    #[test]
    fn type_names_as_reflect_prints_them() {
        assert_eq!(go_type("IPPoolList").unwrap().name(), "*v3.IPPoolList");
        assert_eq!(go_type("Node").unwrap().name(), "*v3.Node");
        assert_eq!(
            crate::model::gotypes::RUNTIME_OBJECTS.name(),
            "[]runtime.Object"
        );
        assert_eq!(go_type("BGPPeerList").unwrap().name(), "*v3.BGPPeerList");
        assert!(go_type("NoSuchKind").is_none());
    }

    #[test]
    fn promoted_fields_are_found_through_embedded_structs() {
        let GoType::Ptr(GoType::Struct(pool)) = go_type("IPPool").unwrap() else {
            panic!("IPPool is a pointer to a struct");
        };
        let path = |name: &str| -> Vec<&str> {
            let found = pool.field_path(name).unwrap();
            found.iter().map(|f| f.name).collect()
        };
        assert_eq!(path("Name"), ["ObjectMeta", "Name"]);
        assert_eq!(path("Kind"), ["TypeMeta", "Kind"]);
        // Exact names only, as Go's FieldByName.
        assert!(pool.field_path("name").is_none());
        assert!(pool.field_path("Metadata").is_none());
    }

    #[test]
    fn every_kind_is_registered_once_with_its_names() {
        for (i, info) in KINDS.iter().enumerate() {
            assert_eq!(by_kind(info.kind).map(|k| k.kind), Some(info.kind));
            assert!(info.aliases.contains(&info.plural), "{}", info.kind);
            assert!(
                info.aliases
                    .contains(&info.kind.to_ascii_lowercase().as_str()),
                "{}",
                info.kind
            );
            for alias in info.aliases {
                assert_eq!(lookup(alias).map(|k| k.kind), Some(info.kind), "{alias}");
            }
            // calicoctl's help order.
            if let Some(next) = KINDS.get(i + 1) {
                assert!(info.kind.to_lowercase() < next.kind.to_lowercase());
            }
            assert!(info.columns.ps.contains(&"NAME") || info.columns.wide.contains(&"NAME"));
        }
        assert_eq!(
            KINDS
                .iter()
                .filter(|k| k.read_only)
                .map(|k| k.kind)
                .collect::<Vec<_>>(),
            ["ClusterInformation"]
        );
        assert_eq!(
            KINDS
                .iter()
                .filter(|k| k.namespaced)
                .map(|k| k.kind)
                .collect::<Vec<_>>(),
            [
                "NetworkPolicy",
                "NetworkSet",
                "StagedKubernetesNetworkPolicy",
                "StagedNetworkPolicy",
                "WorkloadEndpoint"
            ]
        );
    }

    #[test]
    fn cells_come_from_the_kind() {
        let mut pool = IpPool::new("p", "10.0.0.0/24");
        pool.spec.ipip_mode = "Always".into();
        let any = AnyResource::from(pool);
        assert_eq!(any.cell("NAME").as_deref(), Some("p"));
        assert_eq!(any.cell("CIDR").as_deref(), Some("10.0.0.0/24"));
        assert_eq!(any.cell("IPIPMODE").as_deref(), Some("Always"));
        assert_eq!(any.cell("VXLANMODE").as_deref(), Some("Never"));
        assert_eq!(any.cell("ASSIGNMENTMODE").as_deref(), Some("<nil>"));
        assert_eq!(any.cell("NODE"), None);
        let mut res = IpReservation::default();
        res.spec.reserved_cidrs = (0..10).map(|i| format!("10.0.{i}.0/24")).collect();
        let cidrs = AnyResource::from(res).cell("CIDRS").unwrap();
        assert_eq!(cidrs.len(), 80);
        assert!(cidrs.starts_with("10.0.0.0/24,10.0.1.0/24,") && cidrs.ends_with("..."));
    }
}
