//! Typed access to v3 resources: get, list, create, update, delete.
//!
//! `resourceVersion` is the key's `mod_revision` (never stored); a list's resourceVersion is
//! the store revision it was read at. Create is "put if absent", update and delete with a
//! resourceVersion are compare-and-swap on it, exactly as Calico's etcdv3 backend does.
//!
//! ```
//! use calico::datastore::{api::Client, memory::MemoryStore};
//! use calico::model::IpPool;
//! let client = Client::new(std::sync::Arc::new(MemoryStore::new()));
//! let pool = client.create(IpPool::new("rack-0", "192.168.0.0/24")).unwrap();
//! assert_eq!(pool.spec.block_size, 26);
//! let again = client.create(IpPool::new("rack-0", "192.168.0.0/24")).unwrap_err();
//! assert_eq!(again.to_string(), "resource already exists: IPPool(rack-0)");
//! ```

use super::{DatastoreError, KeyValue, Store, Txn, keys};
use crate::model::ipamconfig::IpamConfigKey;
use crate::model::meta::ReadFrom;
use crate::model::policy::{self, TieredPolicy};
use crate::model::profile::{self, Profile};
use crate::model::validation::{ErroredField, ValidationError};
use crate::model::{
    BgpConfiguration, BgpFilter, BgpPeer, CalicoNodeStatus, Cidr, ClusterInformation,
    FelixConfiguration, GlobalNetworkPolicy, GlobalNetworkSet, HostEndpoint, IpPool, IpReservation,
    IpamConfiguration, KubeControllersConfiguration, NetworkPolicy, NetworkSet, Node, ObjectMeta,
    Resource, ResourceId, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy,
    StagedNetworkPolicy, Tier, WorkloadEndpoint,
};

/// Errors of typed resource access, worded as Calico's clientv3 words them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No such resource.
    #[error("resource does not exist: {0} with error: <nil>")]
    NotFound(ResourceId),
    /// Create found one already.
    #[error("resource already exists: {0}")]
    AlreadyExists(ResourceId),
    /// The resourceVersion given is not the stored one.
    #[error("update conflict: {0}")]
    Conflict(ResourceId),
    /// The resource is not valid.
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// The datastore failed.
    #[error(transparent)]
    Datastore(#[from] DatastoreError),
    /// Calico's client refused the request, in its words (`Incorrectly formatted policy
    /// name ...`, `operation Delete is not supported on default: ...`, a
    /// KubeControllersConfiguration not named `default`).
    #[error("{0}")]
    Refused(String),
    /// Calico's `ErrorOperationNotSupported` (`operation Update is not supported on ...`);
    /// `apply` tries an update after a create refused so, as calicoctl does.
    #[error("{0}")]
    NotSupported(String),
    /// Calico's `ErrorResourceAlreadyExists` naming a built-in object by its bare name (a
    /// create of Profile `projectcalico-default-allow`); `apply` then tries an update.
    #[error("resource already exists: {0}")]
    BuiltIn(String),
    /// A stored value is not valid JSON for its kind.
    #[error("failed to decode the value of {key}: {message}")]
    Decode {
        /// The key.
        key: String,
        /// serde's message.
        message: String,
    },
}

/// Bounds and spaces out the attempts of a create that keeps losing its compare-and-swap to
/// concurrent writers.
struct CreateRetry {
    attempts: u32,
}

impl CreateRetry {
    /// Attempts before giving up: each failure means another writer committed, so the
    /// writers as a whole make progress; this bounds one unlucky caller.
    const MAX_ATTEMPTS: u32 = 30;

    fn new() -> CreateRetry {
        CreateRetry { attempts: 1 }
    }

    /// Whether to try again; sleeps a little (more each time, with jitter) first.
    fn again(&mut self) -> bool {
        if self.attempts >= Self::MAX_ATTEMPTS {
            return false;
        }
        self.attempts += 1;
        let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % 8;
        let ms = u64::from(self.attempts.min(10)) + jitter;
        std::thread::sleep(std::time::Duration::from_millis(ms));
        true
    }
}

/// The result type of typed access.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A list of resources and the revision it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct List<K> {
    /// The items, in key order (namespace, then name).
    pub items: Vec<K>,
    /// The store revision of the read, as a string (`metadata.resourceVersion` of a List).
    pub resource_version: String,
}

/// How a kind is kept in the store. Most kinds are a JSON document at their v3 key; a few
/// (IPAMConfiguration) map onto another key. Kind-specific create/update rules hook in here.
pub trait Stored: Resource {
    /// False for a kind kept at a key that carries no v3 metadata (IPAMConfiguration, at
    /// `/calico/ipam/v2/config`, written by `ipam configure` and by IPAM itself): its stored
    /// object has no uid or creation time, so an update is checked by resourceVersion alone.
    const KEEPS_METADATA: bool = true;

    /// The key of the object `namespace/name`.
    fn key(namespace: Option<&str>, name: &str) -> String {
        keys::resource(Self::PLURAL, namespace, name)
    }

    /// The prefix listing every object of the kind (in one namespace, or all).
    fn list_prefix(namespace: Option<&str>) -> String {
        keys::resource_prefix(Self::PLURAL, namespace)
    }

    /// The bytes to store (resourceVersion already blanked). An object read from a store
    /// keeps what that value held beyond what this build models ([`super::keep`]).
    fn encode(&self) -> Vec<u8> {
        super::keep::keeping_unmodelled::<Self>(
            &self.metadata().read_from,
            crate::go::json::to_vec(self),
        )
    }

    /// The object from a stored key (before resourceVersion and read defaults are applied).
    /// Fields of other Calico versions that this build does not model are ignored, as Calico
    /// ignores them (a user's document is decoded strictly, elsewhere).
    fn decode(kv: &KeyValue) -> Result<Self> {
        let mut obj: Self = crate::model::decode::decode_stored(&kv.value).map_err(|message| {
            ClientError::Decode {
                key: kv.key.clone(),
                message,
            }
        })?;
        obj.metadata_mut().read_from = ReadFrom::new(&kv.value);
        Ok(obj)
    }

    /// Refuses, before anything else is checked, a create (`create`) or an update that
    /// Calico's client refuses by name alone (its built-in profile).
    fn refuse(&self, create: bool) -> Result<()> {
        let _ = create;
        Ok(())
    }

    /// Kind-specific checks and defaults before a create (`old == None`) or an update.
    fn prepare(&mut self, client: &Client, old: Option<&Self>) -> Result<()> {
        let _ = (client, old);
        Ok(())
    }

    /// Refuses a delete Calico's client refuses (a Calico tier, a tier holding policies).
    fn check_delete(client: &Client, namespace: Option<&str>, name: &str) -> Result<()> {
        let _ = (client, namespace, name);
        Ok(())
    }

    /// Comparisons the create transaction of `self` must carry besides "the key is absent":
    /// kinds whose create checks span other objects (IPPool overlaps) require that what
    /// [`Stored::prepare`] checked against is unchanged at the commit, so the check and the
    /// write are one compare-and-swap.
    fn create_guard(&self, client: &Client) -> Txn {
        let _ = client;
        Txn::new()
    }

    /// Called after the create transaction of `self` committed at `revision` (`Some`), or
    /// failed on its [`Stored::create_guard`] (`None`; the create is then prepared afresh).
    fn after_create(&self, client: &Client, revision: Option<i64>) {
        let _ = (client, revision);
    }

    /// Called after a dry-run create of `self` passed its checks: kinds whose create checks
    /// span other objects record it, so that the batch's later dry-run creates are checked
    /// against it as the real run would check them.
    fn after_dry_create(&self, client: &Client) {
        let _ = client;
    }

    /// Objects Calico's etcd backend always returns for the kind without storing them
    /// (Profile `projectcalico-default-allow`): `get` finds them, a listing ends with them.
    fn built_in() -> Vec<Self> {
        Vec::new()
    }
}

impl Stored for IpPool {
    fn prepare(&mut self, client: &Client, old: Option<&Self>) -> Result<()> {
        if old.is_some() {
            // CIDR and block size cannot change on an update (refused here in Calico's
            // words), so the cross-pool checks (overlaps, block sizes) are for creates only.
            self.validate_and_default(old, &[], &[])?;
            return Ok(());
        }
        let mut index = client.pool_index.lock().unwrap_or_else(|p| p.into_inner());
        let store = client.store();
        let cached = client.batch && index.loaded;
        if !cached {
            // A one-off create reads afresh; only the blocks near the new pool are read.
            let per_pool = !client.batch || index.blocks_per_pool;
            index.load(store, per_pool)?;
        }
        let mut attempt = self.clone();
        let mut blocks = index.blocks_near(store, &attempt)?;
        match attempt.validate_and_default(None, &index.pools, &blocks.cidrs) {
            Ok(()) => {}
            Err(_) if cached => {
                // The batch's view may be out of date (a pool deleted since, say): a refusal
                // must come from fresh data.
                index.load(store, true)?;
                attempt = self.clone();
                blocks = index.blocks_near(store, &attempt)?;
                attempt.validate_and_default(None, &index.pools, &blocks.cidrs)?;
            }
            Err(e) => return Err(e.into()),
        }
        *self = attempt;
        let ticket = PoolTicket {
            pools_revision: index.revision,
            blocks_prefix: blocks.prefix,
            blocks_revision: blocks.revision,
        };
        index.tickets.insert(self.metadata.name.clone(), ticket);
        Ok(())
    }

    fn create_guard(&self, client: &Client) -> Txn {
        let index = client.pool_index.lock().unwrap_or_else(|p| p.into_inner());
        let Some(t) = index.tickets.get(&self.metadata.name) else {
            return Txn::new();
        };
        // No pool was created or changed since the pools were read (a pool deleted since
        // only made the check stricter), and no block was created near the pool since the
        // blocks were read (allocations that rewrite existing blocks do not matter).
        let txn = Txn::new().require_unchanged_since(IpPool::list_prefix(None), t.pools_revision);
        match &t.blocks_prefix {
            Some(prefix) => txn.require_none_created_since(prefix, t.blocks_revision),
            None => txn,
        }
    }

    fn after_create(&self, client: &Client, revision: Option<i64>) {
        let mut index = client.pool_index.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = index.tickets.remove(&self.metadata.name);
        match (revision, ticket) {
            (Some(revision), Some(t)) if index.loaded && t.pools_revision == index.revision => {
                // The commit proved that no other pool was written since the index was
                // read: with this one, the index is exact at the commit.
                index.pools.push(self.clone());
                index.revision = revision;
            }
            (Some(_), _) => {}
            // Lost to a concurrent write: the next attempt reads the pools afresh, and from
            // then on the blocks near each pool (another writer is busy).
            (None, _) => {
                index.loaded = false;
                index.blocks_per_pool = true;
            }
        }
    }

    fn after_dry_create(&self, client: &Client) {
        let mut index = client.pool_index.lock().unwrap_or_else(|p| p.into_inner());
        index.tickets.remove(&self.metadata.name);
        index.pools.push(self.clone());
        index.dry.push(self.clone());
    }
}

/// What one IPPool create was checked against, for the comparisons of its transaction.
#[derive(Debug, Clone)]
struct PoolTicket {
    /// The revision the pools were read at.
    pools_revision: i64,
    /// The prefix of the blocks that may overlap the pool (`None`: the CIDR is invalid and
    /// the create is refused anyway).
    blocks_prefix: Option<String>,
    /// The revision those blocks were read at.
    blocks_revision: i64,
}

/// What IPPool creates are checked against (overlapping pools, blocks of another size), and
/// the store revision the pools were read at.
///
/// A one-off create reads it afresh. A batch ([`Client::batch`], `calicoctl create -f` with
/// many pools) reads it once, blocks included, and keeps it current itself: every create
/// commits only if no pool was written since the index's revision and no block near it was
/// created since the blocks were read, so after each commit the index plus the new pool is
/// exact at the commit's revision. When another writer got in between, the commit fails and
/// the create is checked again against a fresh reading.
#[derive(Debug, Default)]
pub(crate) struct PoolIndex {
    loaded: bool,
    /// Every stored pool as of `revision` (plus the dry run's).
    pools: Vec<IpPool>,
    /// Every stored block as of `blocks_revision`, or `None`: read the blocks near each new
    /// pool.
    blocks: Option<Vec<Cidr>>,
    /// The revision `pools` is exact at.
    revision: i64,
    /// The revision `blocks` was read at.
    blocks_revision: i64,
    /// Read the blocks near each pool from now on, not every block at once.
    blocks_per_pool: bool,
    /// What each pending create (by pool name) was checked against.
    tickets: std::collections::HashMap<String, PoolTicket>,
    /// Pools a dry run has created (written nowhere): part of `pools`, kept on a re-read.
    dry: Vec<IpPool>,
}

/// The blocks near a pool, the prefix they were read under and the revision of the read.
struct NearBlocks {
    cidrs: Vec<Cidr>,
    prefix: Option<String>,
    revision: i64,
}

fn block_cidrs(kvs: &[KeyValue]) -> Vec<Cidr> {
    kvs.iter()
        .filter_map(|kv| keys::parse_block(&kv.key))
        .collect()
}

/// The key prefix under which every block that can overlap `cidr` lives. Blocks are /20 or
/// smaller (IPv4), so an overlapping block shares the first `min(prefix, 20)` bits with the
/// pool, hence its first `min(prefix, 20) / 8` octets, and its key starts with them
/// (`.../ipv4/block/10.65.`). IPv6 key text does not nest that way: all IPv6 blocks.
pub(crate) fn blocks_near_prefix(cidr: &Cidr) -> String {
    let base = keys::blocks_prefix(cidr.version());
    match cidr.addr() {
        std::net::IpAddr::V4(a) => {
            let octets = usize::from(cidr.prefix().min(20) / 8);
            let mut p = base;
            for o in &a.octets()[..octets] {
                p.push_str(&format!("{o}."));
            }
            p
        }
        std::net::IpAddr::V6(_) => base,
    }
}

impl PoolIndex {
    /// Reads every pool, and every block too unless `per_pool_blocks` (then each create
    /// reads only the blocks near its pool: cheaper for one create, or after a re-read).
    fn load(&mut self, store: &Store, per_pool_blocks: bool) -> Result<()> {
        let mut reads = vec![super::Read::Prefix(IpPool::list_prefix(None))];
        if !per_pool_blocks {
            reads.push(super::Read::Prefix(keys::BLOCKS_PREFIX.to_string()));
        }
        // One snapshot: pools and blocks as of one revision.
        let resp = store.read_many(&reads)?;
        let pools = resp.results[0]
            .iter()
            .map(Client::from_kv::<IpPool>)
            .collect::<Result<Vec<_>>>()?;
        self.pools = pools;
        self.pools.extend(self.dry.iter().cloned());
        self.blocks = resp.results.get(1).map(|b| block_cidrs(b));
        self.revision = resp.revision;
        self.blocks_revision = resp.revision;
        self.loaded = true;
        Ok(())
    }

    /// The blocks that may overlap `pool`: from the index, or read now.
    fn blocks_near(&self, store: &Store, pool: &IpPool) -> Result<NearBlocks> {
        let Some(cidr) = pool.cidr() else {
            // Validation reports the bad CIDR.
            return Ok(NearBlocks {
                cidrs: Vec::new(),
                prefix: None,
                revision: 0,
            });
        };
        let prefix = blocks_near_prefix(&cidr);
        if let Some(all) = &self.blocks {
            return Ok(NearBlocks {
                cidrs: all.clone(),
                prefix: Some(prefix),
                revision: self.blocks_revision,
            });
        }
        let resp = store.list(&prefix)?;
        Ok(NearBlocks {
            cidrs: block_cidrs(&resp.kvs),
            prefix: Some(prefix),
            revision: resp.revision,
        })
    }
}

impl Stored for IpReservation {}
impl Stored for BgpConfiguration {
    /// The AS number is stored as a number and the restart time in Go's form; then, after
    /// the validator, Calico's client refuses cluster-wide fields on any but `default`.
    fn prepare(&mut self, _client: &Client, _old: Option<&Self>) -> Result<()> {
        self.normalise();
        self.validate()?;
        Ok(self.default_only_problems()?)
    }
}
impl Stored for BgpFilter {}
impl Stored for BgpPeer {
    /// Calico's client first requires the BGPFilters the peer names to exist; AS numbers
    /// are stored as numbers and the restart time in Go's form, as Calico's decoder leaves
    /// them.
    fn prepare(&mut self, client: &Client, _old: Option<&Self>) -> Result<()> {
        if !self.spec.filters.is_empty() {
            let existing = client.list::<BgpFilter>(None)?.items;
            let missing: Vec<&str> = self
                .spec
                .filters
                .iter()
                .filter(|f| !existing.iter().any(|e| &e.metadata.name == *f))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(ValidationError::one(ErroredField::new(
                    "BGPPeer.Spec.Filters",
                    format!("[{}]", missing.join(" ")),
                    "BGPFilter(s) not found",
                ))
                .into());
            }
        }
        self.normalise();
        Ok(())
    }
}
impl Stored for GlobalNetworkSet {}
impl Stored for StagedKubernetesNetworkPolicy {}
impl Stored for CalicoNodeStatus {}
impl Stored for NetworkSet {}
impl Stored for KubeControllersConfiguration {
    /// Calico's client defaults and template checks, then (creates only) the name, which
    /// Calico checks after validating.
    fn prepare(&mut self, _client: &Client, old: Option<&Self>) -> Result<()> {
        self.fill_defaults()?;
        if old.is_none()
            && let Some(problem) = self.name_problem()
        {
            self.validate()?;
            return Err(ClientError::Refused(problem));
        }
        Ok(())
    }
}
impl Stored for Node {
    /// An AS number given as a string (`"64512"`, asdot `"1.10"`) is stored as the number,
    /// as Calico's `numorstring.ASNumber` does; one that does not read is left for
    /// validation to report.
    fn prepare(&mut self, _client: &Client, _old: Option<&Self>) -> Result<()> {
        if let Some(asn) = self.spec.bgp.as_mut().and_then(|b| b.as_number.as_mut())
            && let Ok(n) = crate::model::node::as_number(asn)
        {
            *asn = serde_json::Value::from(n);
        }
        Ok(())
    }
}
impl Stored for WorkloadEndpoint {
    /// Calico's client checks the name against the identifiers and adds its labels.
    fn prepare(&mut self, _client: &Client, _old: Option<&Self>) -> Result<()> {
        Ok(self.prepare_for_storage()?)
    }
}
impl Stored for ClusterInformation {}
impl Stored for HostEndpoint {}
impl Stored for Profile {
    /// Calico's client refuses to write its built-in profile.
    fn refuse(&self, create: bool) -> Result<()> {
        let name = &self.metadata.name;
        if name != profile::DEFAULT_ALLOW {
            return Ok(());
        }
        Err(if create {
            ClientError::BuiltIn(name.clone())
        } else {
            ClientError::NotSupported(format!(
                "operation Update is not supported on {name}: The profile \"{name}\" is a default provided by Calico and cannot be updated"
            ))
        })
    }

    fn check_delete(_client: &Client, _namespace: Option<&str>, name: &str) -> Result<()> {
        if name == profile::DEFAULT_ALLOW {
            return Err(ClientError::NotSupported(format!(
                "operation Delete is not supported on {name}: The profile \"{name}\" is a default provided by Calico and cannot be deleted"
            )));
        }
        Ok(())
    }

    fn built_in() -> Vec<Self> {
        vec![Profile::default_allow()]
    }
}
impl Stored for FelixConfiguration {
    /// Calico's client defaults (`floatingIPs: Disabled` and two BPF settings).
    fn prepare(&mut self, _client: &Client, _old: Option<&Self>) -> Result<()> {
        self.set_client_defaults();
        Ok(())
    }
}

impl Stored for Tier {
    /// Calico's `DefaultTierFields`.
    fn prepare(&mut self, _client: &Client, _old: Option<&Self>) -> Result<()> {
        self.fill_defaults();
        Ok(())
    }

    fn check_delete(client: &Client, _namespace: Option<&str>, name: &str) -> Result<()> {
        if name == crate::model::tier::DEFAULT_TIER || name == "adminnetworkpolicy" {
            return Err(ClientError::Refused(format!(
                "operation Delete is not supported on {name}: Cannot delete {name} tier"
            )));
        }
        fn holds<P: TieredPolicy + Stored>(client: &Client, tier: &str) -> Result<bool> {
            Ok(client
                .list::<P>(None)?
                .items
                .iter()
                .any(|p| p.tier() == tier))
        }
        let in_tier = holds::<NetworkPolicy>(client, name)?
            || holds::<GlobalNetworkPolicy>(client, name)?
            || holds::<StagedNetworkPolicy>(client, name)?
            || holds::<StagedGlobalNetworkPolicy>(client, name)?;
        if in_tier {
            return Err(ClientError::Refused(format!(
                "operation delete is not supported on {name}: Cannot delete a non-empty tier"
            )));
        }
        Ok(())
    }
}

/// Implements [`Stored`] for a tiered policy kind as Calico v3.31's etcd backend keeps it:
/// under `<tier>.<name>`, the given name in an annotation; on create the tier must exist.
macro_rules! stored_policy {
    ($ty:ty) => {
        impl Stored for $ty {
            fn key(namespace: Option<&str>, name: &str) -> String {
                keys::resource(Self::PLURAL, namespace, &policy::backend_name(name))
            }

            fn encode(&self) -> Vec<u8> {
                let mut stored = self.clone();
                policy::to_backend(&mut stored.metadata);
                super::keep::keeping_unmodelled::<Self>(
                    &self.metadata.read_from,
                    crate::go::json::to_vec(&stored),
                )
            }

            fn decode(kv: &KeyValue) -> Result<Self> {
                let error = |message| ClientError::Decode {
                    key: kv.key.clone(),
                    message,
                };
                let mut p: Self = crate::model::decode::decode_stored(&kv.value).map_err(error)?;
                policy::from_backend(&mut p.metadata, &p.spec.tier).map_err(error)?;
                p.metadata.read_from = ReadFrom::new(&kv.value);
                Ok(p)
            }

            fn prepare(&mut self, client: &Client, old: Option<&Self>) -> Result<()> {
                prepare_policy(self, client, old.is_none())
            }
        }
    };
}
stored_policy!(GlobalNetworkPolicy);
stored_policy!(NetworkPolicy);
stored_policy!(StagedGlobalNetworkPolicy);
stored_policy!(StagedNetworkPolicy);

/// Calico's client on a policy create or update: the tier must exist (create), `types`
/// defaulted, validation, the tier rule of names, the tier label.
fn prepare_policy<P: TieredPolicy>(p: &mut P, client: &Client, create: bool) -> Result<()> {
    if create {
        client.get::<Tier>(None, policy::tier_or_default(p.tier()))?;
    }
    p.default_types();
    p.validate()?;
    policy::check_tiered_name(&p.metadata().name, p.tier()).map_err(ClientError::Refused)?;
    policy::label_tier(p);
    Ok(())
}

impl Stored for IpamConfiguration {
    const KEEPS_METADATA: bool = false;

    fn key(_namespace: Option<&str>, _name: &str) -> String {
        keys::IPAM_CONFIG.to_string()
    }

    fn list_prefix(_namespace: Option<&str>) -> String {
        keys::IPAM_CONFIG.to_string()
    }

    fn encode(&self) -> Vec<u8> {
        crate::go::json::to_vec(&IpamConfigKey::from(&self.spec))
    }

    fn decode(kv: &KeyValue) -> Result<Self> {
        let stored: IpamConfigKey = if kv.value.is_empty() {
            IpamConfigKey::default()
        } else {
            serde_json::from_slice(&kv.value).map_err(|e| ClientError::Decode {
                key: kv.key.clone(),
                message: e.to_string(),
            })?
        };
        let mut c = IpamConfiguration {
            metadata: ObjectMeta {
                name: "default".to_string(),
                ..ObjectMeta::default()
            },
            spec: (&stored).into(),
            ..IpamConfiguration::default()
        };
        c.set_type_meta();
        Ok(c)
    }

    fn prepare(&mut self, _client: &Client, _old: Option<&Self>) -> Result<()> {
        Ok(self.check_storable()?)
    }
}

/// Typed access to a store.
#[derive(Clone)]
pub struct Client {
    store: Store,
    /// The pools and blocks IPPool creates are checked against (see [`PoolIndex`]).
    pool_index: std::sync::Arc<std::sync::Mutex<PoolIndex>>,
    /// True for a client made by [`Client::batch`]: the index is read once and kept current.
    batch: bool,
}

impl Client {
    /// Wraps a store.
    pub fn new(store: Store) -> Client {
        Client {
            store,
            pool_index: Default::default(),
            batch: false,
        }
    }

    /// A client for a batch of writes from one caller (`calicoctl create -f` with many
    /// resources): IPPool creates check overlaps against one reading of the pools and blocks,
    /// kept current by the batch's own creates, instead of listing every pool and block for
    /// each create. The checks stay exact: each create commits only if no pool was written
    /// and no block near it created since that reading (see [`Stored::create_guard`]);
    /// otherwise it is checked again against a fresh one.
    pub fn batch(&self) -> Client {
        Client {
            store: self.store.clone(),
            pool_index: Default::default(),
            batch: true,
        }
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Decodes a resource read from the store (as `get` and `list` do: type meta, resource
    /// version, defaults), for callers that read it themselves (a [`read_many`] batch).
    ///
    /// [`read_many`]: crate::datastore::KvStore::read_many
    pub(crate) fn from_kv<K: Stored>(kv: &KeyValue) -> Result<K> {
        let mut obj = K::decode(kv)?;
        obj.set_type_meta();
        obj.metadata_mut().resource_version = kv.mod_revision.to_string();
        obj.default_on_read();
        Ok(obj)
    }

    /// Gets one resource.
    pub fn get<K: Stored>(&self, namespace: Option<&str>, name: &str) -> Result<K> {
        self.get_opt(namespace, name)?
            .ok_or_else(|| ClientError::NotFound(ResourceId::new(K::KIND, namespace, name)))
    }

    /// Gets one resource, `None` when absent.
    pub fn get_opt<K: Stored>(&self, namespace: Option<&str>, name: &str) -> Result<Option<K>> {
        if let Some(obj) = K::built_in()
            .into_iter()
            .find(|o| o.metadata().name == name)
        {
            return Ok(Some(obj));
        }
        match self.store.get(&K::key(namespace, name))? {
            Some(kv) => Ok(Some(Self::from_kv(&kv)?)),
            None => Ok(None),
        }
    }

    /// Lists every resource of a kind, in one namespace or (`None`) all of them.
    pub fn list<K: Stored>(&self, namespace: Option<&str>) -> Result<List<K>> {
        let resp = self.store.list(&K::list_prefix(namespace))?;
        let items = resp
            .kvs
            .iter()
            .map(Self::from_kv::<K>)
            .chain(K::built_in().into_iter().map(Ok))
            .collect::<Result<Vec<K>>>()?;
        Ok(List {
            items,
            resource_version: resp.revision.to_string(),
        })
    }

    fn check_namespace<K: Resource>(obj: &K) -> Result<()> {
        if K::NAMESPACED && obj.metadata().namespace.is_empty() {
            return Err(ValidationError::one(ErroredField::new(
                "Metadata.Namespace",
                "",
                "namespace is not specified on namespaced resource",
            ))
            .into());
        }
        Ok(())
    }

    fn ns<K: Resource>(obj: &K) -> Option<String> {
        K::NAMESPACED.then(|| obj.metadata().namespace.clone())
    }

    /// Validates and prepares `obj` for a create without writing it (`--dry-run`).
    pub fn prepare_create<K: Stored>(&self, mut obj: K) -> Result<K> {
        obj.refuse(true)?;
        let meta = obj.metadata();
        if meta.name.is_empty() {
            let reason = if meta.generate_name.is_empty() {
                "field must be set for a Create request"
            } else {
                "field must be set for a Create request (GenerateName is not supported)"
            };
            return Err(
                ValidationError::one(ErroredField::new("Metadata.Name", "", reason)).into(),
            );
        }
        if !meta.resource_version.is_empty() {
            return Err(ValidationError::one(ErroredField::new(
                "Metadata.ResourceVersion",
                &meta.resource_version,
                "field must not be set for a Create request",
            ))
            .into());
        }
        Self::check_namespace(&obj)?;
        obj.set_type_meta();
        obj.prepare(self, None)?;
        // Calico blanks it before storing, as it does the resourceVersion.
        obj.metadata_mut().self_link.clear();
        obj.validate()?;
        let meta = obj.metadata_mut();
        if meta.creation_timestamp.is_none() {
            meta.creation_timestamp = Some(crate::go::time::rfc3339(crate::go::time::now()));
        }
        if meta.uid.is_empty() {
            meta.uid = uuid::Uuid::new_v4().to_string();
        }
        Ok(obj)
    }

    /// A create's dry run: [`Client::prepare_create`], and what passed is remembered by
    /// this client (a [`Client::batch`]) so that its later dry-run creates are checked
    /// against it (IPPool overlaps within one file).
    pub(crate) fn dry_create<K: Stored>(&self, obj: K) -> Result<K> {
        let obj = self.prepare_create(obj)?;
        obj.after_dry_create(self);
        Ok(obj)
    }

    /// Creates a resource; fails with "already exists" if the key is taken.
    ///
    /// A kind whose create checks span other objects (IPPool) commits the check and the write
    /// as one compare-and-swap: when something it was checked against changed before the
    /// commit, nothing is written and the create is checked and tried again (a bounded number
    /// of times, then an update conflict).
    pub fn create<K: Stored>(&self, obj: K) -> Result<K> {
        let mut retry = CreateRetry::new();
        loop {
            let mut prepared = self.prepare_create(obj.clone())?;
            let ns = Self::ns(&prepared);
            let key = K::key(ns.as_deref(), &prepared.metadata().name);
            let guard = prepared.create_guard(self);
            let guarded = !guard.compares.is_empty();
            let txn = guard.require_absent(&key).put(&key, prepared.encode());
            let resp = match self.store.txn(txn) {
                Ok(resp) => resp,
                Err(e) => {
                    prepared.after_create(self, None);
                    return Err(e.into());
                }
            };
            if resp.succeeded {
                prepared.after_create(self, Some(resp.revision));
                prepared.metadata_mut().resource_version = resp.revision.to_string();
                prepared.default_on_read();
                return Ok(prepared);
            }
            prepared.after_create(self, None);
            if !guarded || self.store.get(&key)?.is_some() {
                return Err(ClientError::AlreadyExists(prepared.id()));
            }
            if !retry.again() {
                return Err(ClientError::Conflict(prepared.id()));
            }
        }
    }

    /// Validates and prepares `obj` for an update without writing it; returns it with the
    /// current stored object.
    pub fn prepare_update<K: Stored>(&self, obj: K) -> Result<(K, K)> {
        Self::check_namespace(&obj)?;
        let ns = Self::ns(&obj);
        let current: K = self.get(ns.as_deref(), &obj.metadata().name)?;
        let obj = self.prepare_update_of(obj, &current)?;
        Ok((obj, current))
    }

    /// [`Client::prepare_update`] against `current`, the stored object as the caller read it
    /// (a caller that writes the result in a transaction of its own compares its revision).
    pub(crate) fn prepare_update_of<K: Stored>(&self, mut obj: K, current: &K) -> Result<K> {
        obj.refuse(false)?;
        Self::check_namespace(&obj)?;
        let meta = obj.metadata();
        let mut missing = Vec::new();
        let identity = [
            ("Metadata.ResourceVersion", meta.resource_version.is_empty()),
            (
                "Metadata.CreationTimestamp",
                meta.creation_timestamp.is_none(),
            ),
            ("Metadata.UID", meta.uid.is_empty()),
        ];
        let required = if K::KEEPS_METADATA { 3 } else { 1 };
        for (field, value) in identity.into_iter().take(required) {
            if value {
                missing.push(ErroredField::new(
                    field,
                    "",
                    "field must be set for an Update request",
                ));
            }
        }
        ValidationError::check(missing)?;
        // A replacement from a document keeps what the stored value holds that this build
        // does not model, as a rewrite of the stored object itself does.
        if obj.metadata().read_from.bytes().is_none() {
            obj.metadata_mut().read_from = current.metadata().read_from.clone();
        }
        obj.set_type_meta();
        obj.prepare(self, Some(current))?;
        obj.metadata_mut().self_link.clear();
        obj.validate()?;
        Ok(obj)
    }

    /// Replaces a resource, compare-and-swap on its resourceVersion.
    pub fn update<K: Stored>(&self, obj: K) -> Result<K> {
        let (mut obj, _current) = self.prepare_update(obj)?;
        let ns = Self::ns(&obj);
        let key = K::key(ns.as_deref(), &obj.metadata().name);
        let revision: i64 = obj
            .metadata()
            .resource_version
            .parse()
            .map_err(|_| ClientError::Conflict(obj.id()))?;
        let rv = std::mem::take(&mut obj.metadata_mut().resource_version);
        let resp = self.store.txn(
            Txn::new()
                .require_revision(&key, revision)
                .put(&key, obj.encode()),
        )?;
        if !resp.succeeded {
            obj.metadata_mut().resource_version = rv;
            return Err(match self.store.get(&key)? {
                None => ClientError::NotFound(obj.id()),
                Some(_) => ClientError::Conflict(obj.id()),
            });
        }
        obj.metadata_mut().resource_version = resp.revision.to_string();
        obj.default_on_read();
        Ok(obj)
    }

    /// Deletes a resource; with a resourceVersion, only if it is still that version.
    pub fn delete<K: Stored>(
        &self,
        namespace: Option<&str>,
        name: &str,
        resource_version: Option<&str>,
    ) -> Result<K> {
        let id = || ResourceId::new(K::KIND, namespace, name);
        K::check_delete(self, namespace, name)?;
        let key = K::key(namespace, name);
        let kv = self
            .store
            .get(&key)?
            .ok_or_else(|| ClientError::NotFound(id()))?;
        let expected = match resource_version.filter(|rv| !rv.is_empty()) {
            Some(rv) => rv.parse::<i64>().map_err(|_| ClientError::Conflict(id()))?,
            None => kv.mod_revision,
        };
        let resp = self
            .store
            .txn(Txn::new().require_revision(&key, expected).delete(&key))?;
        if !resp.succeeded {
            return Err(match self.store.get(&key)? {
                None => ClientError::NotFound(id()),
                Some(_) => ClientError::Conflict(id()),
            });
        }
        Self::from_kv(&kv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datastore::memory::MemoryStore;
    use std::sync::Arc;

    fn client() -> Client {
        Client::new(Arc::new(MemoryStore::new()))
    }

    #[test]
    fn crud_with_revisions() {
        let c = client();
        let p = c.create(IpPool::new("a", "10.0.0.0/16")).unwrap();
        assert!(!p.metadata.uid.is_empty());
        let rv = p.metadata.resource_version.clone();
        let mut changed = p.clone();
        changed.spec.nat_outgoing = true;
        let updated = c.update(changed.clone()).unwrap();
        assert_ne!(updated.metadata.resource_version, rv);
        // A stale resourceVersion conflicts.
        assert_eq!(
            c.update(changed).unwrap_err().to_string(),
            "update conflict: IPPool(a)"
        );
        assert_eq!(
            c.delete::<IpPool>(None, "a", Some(&rv))
                .unwrap_err()
                .to_string(),
            "update conflict: IPPool(a)"
        );
        let gone: IpPool = c.delete(None, "a", None).unwrap();
        assert!(gone.spec.nat_outgoing);
        assert_eq!(
            c.get::<IpPool>(None, "a").unwrap_err().to_string(),
            "resource does not exist: IPPool(a) with error: <nil>"
        );
    }

    #[test]
    fn stored_bytes_match_calico() {
        let c = client();
        let mut p = IpPool::new("rack-0-ippool", "192.168.0.0/24");
        p.spec.ipip_mode = "Always".into();
        p.spec.nat_outgoing = true;
        p.spec.node_selector = "rack == \"0\"".into();
        p.metadata.uid = "u".into();
        p.metadata.creation_timestamp = Some("2026-08-22T09:00:00Z".into());
        c.create(p).unwrap();
        let kv = c
            .store()
            .get("/calico/resources/v3/projectcalico.org/ippools/rack-0-ippool")
            .unwrap()
            .unwrap();
        assert_eq!(
            String::from_utf8(kv.value).unwrap(),
            r#"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"rack-0-ippool","uid":"u","creationTimestamp":"2026-08-22T09:00:00Z"},"spec":{"cidr":"192.168.0.0/24","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,"nodeSelector":"rack == \"0\"","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}"#
        );
    }

    #[test]
    fn ipam_config_maps_onto_the_ipam_key() {
        let c = client();
        let mut cfg = IpamConfiguration::default();
        cfg.metadata.name = "default".into();
        cfg.spec.strict_affinity = true;
        cfg.spec.auto_allocate_blocks = true;
        cfg.spec.max_blocks_per_host = 4;
        c.create(cfg).unwrap();
        let kv = c.store().get("/calico/ipam/v2/config").unwrap().unwrap();
        assert_eq!(
            String::from_utf8(kv.value).unwrap(),
            r#"{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":4}"#
        );
        let back: IpamConfiguration = c.get(None, "default").unwrap();
        assert_eq!(back.spec.max_blocks_per_host, 4);
    }

    #[test]
    fn ipam_config_updates_a_key_without_v3_metadata() {
        let c = client();
        // As `ipam configure` or the first CNI ADD writes it.
        c.store()
            .txn(Txn::new().put(
                "/calico/ipam/v2/config",
                br#"{"strict_affinity":true}"#.to_vec(),
            ))
            .unwrap();
        let mut cfg: IpamConfiguration = c.get(None, "default").unwrap();
        assert!(cfg.metadata.uid.is_empty() && cfg.metadata.creation_timestamp.is_none());
        cfg.spec.max_blocks_per_host = 5;
        let stale = cfg.clone();
        c.update(cfg).unwrap();
        let kv = c.store().get("/calico/ipam/v2/config").unwrap().unwrap();
        assert_eq!(
            String::from_utf8(kv.value).unwrap(),
            r#"{"strict_affinity":true,"maxBlocksPerHost":5}"#
        );
        assert_eq!(
            c.update(stale).unwrap_err().to_string(),
            "update conflict: IPAMConfiguration(default)"
        );
        let mut labelled: IpamConfiguration = c.get(None, "default").unwrap();
        labelled.metadata.labels.insert("a".into(), "b".into());
        assert!(
            c.update(labelled)
                .unwrap_err()
                .to_string()
                .contains("Metadata.Labels")
        );
    }

    /// Runs a hook (once) just before the first transaction that writes `key`.
    struct Hooked {
        inner: Store,
        key: String,
        #[allow(clippy::type_complexity)]
        hook: std::sync::Mutex<Option<Box<dyn FnOnce(&Store) + Send>>>,
    }

    impl crate::datastore::KvStore for Hooked {
        fn describe(&self) -> String {
            self.inner.describe()
        }
        fn get(&self, key: &str) -> crate::datastore::Result<Option<KeyValue>> {
            self.inner.get(key)
        }
        fn list(&self, prefix: &str) -> crate::datastore::Result<crate::datastore::ListResponse> {
            self.inner.list(prefix)
        }
        fn txn(&self, txn: Txn) -> crate::datastore::Result<crate::datastore::TxnResponse> {
            if txn.ops.iter().any(|op| op.key() == self.key)
                && let Some(hook) = self.hook.lock().unwrap().take()
            {
                hook(&self.inner);
            }
            self.inner.txn(txn)
        }
        fn revision(&self) -> crate::datastore::Result<i64> {
            self.inner.revision()
        }
    }

    fn exists(c: &Client, name: &str) -> bool {
        c.get_opt::<IpPool>(None, name).unwrap().is_some()
    }

    #[test]
    fn batch_creates_check_overlaps_within_the_batch() {
        let c = client();
        let b = c.batch();
        b.create(IpPool::new("a", "10.0.0.0/24")).unwrap();
        b.create(IpPool::new("b", "10.0.1.0/24")).unwrap();
        let err = b.create(IpPool::new("c", "10.0.0.0/16")).unwrap_err();
        assert!(
            err.to_string()
                .contains("IPPool(c) CIDR overlaps with IPPool(a) CIDR 10.0.0.0/24"),
            "{err}"
        );
        assert!(!exists(&c, "c"));
        // Other kinds written through the batch keep its view exact.
        b.create(Node::new("n1")).unwrap();
        b.create(IpPool::new("d", "10.0.2.0/24")).unwrap();
        assert_eq!(c.list::<IpPool>(None).unwrap().items.len(), 3);
    }

    #[test]
    fn batch_sees_pools_created_by_others_between_its_creates() {
        let c = client();
        let b = c.batch();
        b.create(IpPool::new("a", "10.0.0.0/24")).unwrap();
        // Another client creates a pool the batch's view does not have.
        c.create(IpPool::new("x", "10.1.0.0/16")).unwrap();
        let err = b.create(IpPool::new("y", "10.1.2.0/24")).unwrap_err();
        assert!(
            err.to_string()
                .contains("IPPool(y) CIDR overlaps with IPPool(x) CIDR 10.1.0.0/16"),
            "{err}"
        );
        assert!(!exists(&c, "y"), "the losing create was never written");
        // A pool deleted by someone else no longer blocks the batch (no stale refusal).
        c.delete::<IpPool>(None, "x", None).unwrap();
        b.create(IpPool::new("y", "10.1.2.0/24")).unwrap();
        assert!(exists(&c, "y"));
    }

    #[test]
    fn a_concurrent_overlapping_create_between_check_and_commit_is_caught() {
        for batch in [false, true] {
            let inner: Store = Arc::new(MemoryStore::new());
            let hooked: Store = Arc::new(Hooked {
                inner: inner.clone(),
                key: IpPool::key(None, "ours"),
                hook: std::sync::Mutex::new(Some(Box::new(|s: &Store| {
                    // Another process creates an overlapping pool after our check, before
                    // our commit.
                    Client::new(s.clone())
                        .create(IpPool::new("theirs", "10.5.0.0/16"))
                        .unwrap();
                }))),
            });
            let plain = Client::new(hooked);
            let c = if batch { plain.batch() } else { plain };
            c.create(IpPool::new("first", "192.168.0.0/24")).unwrap();
            let err = c.create(IpPool::new("ours", "10.5.5.0/24")).unwrap_err();
            assert!(
                err.to_string()
                    .contains("IPPool(ours) CIDR overlaps with IPPool(theirs) CIDR 10.5.0.0/16"),
                "batch={batch}: {err}"
            );
            let check = Client::new(inner);
            assert!(exists(&check, "theirs"));
            assert!(
                !exists(&check, "ours"),
                "batch={batch}: the losing create is never written"
            );
        }
    }

    #[test]
    fn pool_creates_check_blocks_of_another_size() {
        let c = client();
        let block = Cidr::parse("10.7.3.0/26").unwrap();
        c.store()
            .txn(Txn::new().put(keys::block(&block), b"{}".to_vec()))
            .unwrap();
        for client in [c.clone(), c.batch()] {
            let mut p = IpPool::new("p", "10.7.0.0/16");
            p.spec.block_size = 24;
            let err = client.create(p).unwrap_err();
            assert!(
                err.to_string()
                    .contains("conflicts with existing allocations"),
                "{err}"
            );
        }
        // Blocks far away do not matter; a block inside a pool created by another client
        // after the batch read its view is found by the re-check.
        let b = c.batch();
        b.create(IpPool::new("q", "10.8.0.0/16")).unwrap();
        let far = Cidr::parse("10.9.0.0/26").unwrap();
        c.store()
            .txn(Txn::new().put(keys::block(&far), b"{}".to_vec()))
            .unwrap();
        let mut p = IpPool::new("r", "10.9.0.0/16");
        p.spec.block_size = 24;
        assert!(b.create(p).is_err());
        assert!(!exists(&c, "r"));
    }

    #[test]
    fn self_link_is_not_stored() {
        let c = client();
        let mut p = IpPool::new("a", "10.0.0.0/16");
        p.metadata.self_link = "/x".into();
        let mut p = c.create(p).unwrap();
        let stored = |c: &Client| {
            let kv = c.store().get(&IpPool::key(None, "a")).unwrap().unwrap();
            String::from_utf8(kv.value).unwrap()
        };
        assert!(!stored(&c).contains("selfLink"), "{}", stored(&c));
        p.metadata.self_link = "/y".into();
        c.update(p).unwrap();
        assert!(!stored(&c).contains("selfLink"), "{}", stored(&c));
    }

    #[test]
    fn values_of_other_calico_versions_are_read_ignoring_what_we_do_not_model() {
        let client = client();
        let put = |key: &str, json: &str| {
            let txn = Txn::new().put(key.to_string(), json.as_bytes().to_vec());
            assert!(client.store().txn(txn).unwrap().succeeded);
        };
        // calico-node writes `interfaces`; a newer Calico gives pools a `status`.
        put(
            &Node::key(None, "node-9"),
            r#"{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node-9","labels":{"rack":"0"}},"spec":{"bgp":{"ipv4Address":"10.0.0.19/24"},"interfaces":[{"name":"eth0","addresses":["10.0.0.19"]}]},"status":{"podCIDRs":["x"]}}"#,
        );
        put(
            &IpPool::key(None, "p"),
            r#"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"p"},"spec":{"cidr":"10.1.0.0/16","future":{"a":1}},"status":{"conditions":[]}}"#,
        );
        let node: Node = client.get(None, "node-9").unwrap();
        assert_eq!(node.metadata.labels["rack"], "0");
        let bgp = node.spec.bgp.as_ref().unwrap();
        assert_eq!(bgp.ipv4_address, "10.0.0.19/24");
        let pools = client.list::<IpPool>(None).unwrap().items;
        assert_eq!(pools[0].spec.cidr, "10.1.0.0/16");
        // A value of the wrong type is still an error, naming the key.
        put(
            &IpPool::key(None, "q"),
            r#"{"kind":"IPPool","metadata":{"name":"q"},"spec":{"cidr":"10.2.0.0/16","extra":1,"disabled":"yes"}}"#,
        );
        let err = client.get::<IpPool>(None, "q").unwrap_err().to_string();
        assert!(
            err.contains("ippools/q") && err.contains("invalid type"),
            "{err}"
        );
    }

    #[test]
    fn rewrites_keep_the_fields_we_do_not_model() {
        let client = client();
        let key = Node::key(None, "node-9");
        // calico-node writes `interfaces`, which this build does not model.
        let txn = Txn::new().put(
            key.clone(),
            br#"{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node-9","uid":"u","creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"bgp":{"ipv4Address":"10.0.0.19/24"},"interfaces":[{"name":"eth0","addresses":["10.0.0.19"]}]},"status":{}}"#.to_vec(),
        );
        assert!(client.store().txn(txn).unwrap().succeeded);
        let stored = || {
            let raw = client.store().get(&key).unwrap().unwrap().value;
            serde_json::from_slice::<serde_json::Value>(&raw).unwrap()
        };
        let interfaces = serde_json::json!([{"name": "eth0", "addresses": ["10.0.0.19"]}]);
        // A rewrite of the object read (what `label` does).
        let mut node: Node = client.get(None, "node-9").unwrap();
        node.metadata.labels.insert("rack".into(), "1".into());
        let node = client.update(node).unwrap();
        assert_eq!(stored()["spec"]["interfaces"], interfaces);
        assert_eq!(stored()["metadata"]["labels"]["rack"], "1");
        // A replacement built from a document (what `apply` and `replace` do): the stored
        // value's unknown fields stay; the known ones are the document's.
        let mut doc = Node {
            metadata: ObjectMeta {
                name: "node-9".into(),
                resource_version: node.metadata.resource_version.clone(),
                uid: node.metadata.uid.clone(),
                creation_timestamp: node.metadata.creation_timestamp.clone(),
                ..ObjectMeta::default()
            },
            ..Node::default()
        };
        doc.metadata.labels.insert("zone".into(), "a".into());
        client.update(doc).unwrap();
        let value = stored();
        assert_eq!(value["spec"]["interfaces"], interfaces);
        assert_eq!(
            value["metadata"]["labels"],
            serde_json::json!({"zone": "a"})
        );
        assert!(value["spec"].get("bgp").is_none(), "{value}");
    }

    #[test]
    fn blocks_near_prefix_covers_every_overlapping_block() {
        let p = |s: &str| blocks_near_prefix(&Cidr::parse(s).unwrap());
        assert_eq!(
            p("10.65.0.0/16"),
            "/calico/ipam/v2/assignment/ipv4/block/10.65."
        );
        assert_eq!(
            p("10.65.12.0/24"),
            "/calico/ipam/v2/assignment/ipv4/block/10.65."
        );
        assert_eq!(p("10.0.0.0/8"), "/calico/ipam/v2/assignment/ipv4/block/10.");
        assert_eq!(p("0.0.0.0/0"), "/calico/ipam/v2/assignment/ipv4/block/");
        assert_eq!(p("fd00::/64"), "/calico/ipam/v2/assignment/ipv6/block/");
        // A /20 block containing a /24 pool shares the first two octets.
        let block = Cidr::parse("10.65.0.0/20").unwrap();
        assert!(keys::block(&block).starts_with(&p("10.65.12.0/24")));
    }
}
