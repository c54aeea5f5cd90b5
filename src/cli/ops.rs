//! Resource operations on values of any kind, with calicoctl's per-kind rules (read-only
//! ClusterInformation, IPPool deletion that disables the pool and releases its affinities,
//! Node deletion that cleans up the node's endpoints, addresses and blocks, apply = create or
//! update, replace without a resourceVersion retries on conflict).

use crate::datastore::api::{Client, ClientError};
use crate::model::kinds::{AnyResource, KindInfo, with_kind, with_resource};
use crate::model::{ClusterInformation, IpPool, NetworkPolicy, Node, Resource, Tier};

/// A failed operation, with calicoctl's message.
pub(crate) type OpResult<T> = Result<T, String>;

fn msg(e: ClientError) -> String {
    e.to_string()
}

/// calicoctl refuses Calico NetworkPolicies named with the prefix under which Calico's etcd
/// mode stores Kubernetes NetworkPolicies (`knp.default.`), before any datastore call.
/// calicoctl names the refused object with Go's `%v` of the whole struct (pointers
/// included), which no two runs print alike; we name it as other errors do.
fn refuse_kubernetes_policy(
    kind: &'static str,
    ns: Option<&str>,
    name: &str,
    op: &str,
) -> Result<(), ClientError> {
    if kind == NetworkPolicy::KIND && name.starts_with(KUBERNETES_POLICY_PREFIX) {
        let id = crate::model::ResourceId::new(kind, ns, name);
        return Err(ClientError::NotSupported(format!(
            "operation {op} is not supported on {id}: kubernetes network policies must be managed through the kubernetes API"
        )));
    }
    Ok(())
}

/// The name prefix of Kubernetes NetworkPolicies in Calico's etcd mode.
const KUBERNETES_POLICY_PREFIX: &str = "knp.default.";

fn refuse_kubernetes_policy_of(r: &AnyResource, op: &str) -> Result<(), ClientError> {
    refuse_kubernetes_policy(
        r.info().kind,
        namespace_of(r).as_deref(),
        &r.metadata().name,
        op,
    )
}

/// Creates (or, with `dry_run`, only validates) a resource.
pub fn create(client: &Client, r: AnyResource, dry_run: bool) -> Result<AnyResource, ClientError> {
    refuse_kubernetes_policy_of(&r, "create or apply")?;
    if dry_run {
        if exists(client, &r) {
            return Err(ClientError::AlreadyExists(r.id()));
        }
        return with_resource!(r, x => client.dry_create(x).map(AnyResource::from));
    }
    with_resource!(r, x => client.create(x).map(AnyResource::from))
}

/// Updates a resource (compare-and-swap on its resourceVersion).
pub fn update(client: &Client, r: AnyResource, dry_run: bool) -> Result<AnyResource, ClientError> {
    refuse_kubernetes_policy_of(&r, "apply or replace")?;
    if dry_run {
        return with_resource!(r, x => client.prepare_update(x).map(|(o, _)| AnyResource::from(o)));
    }
    with_resource!(r, x => client.update(x).map(AnyResource::from))
}

/// Gets one resource of a kind.
pub fn get(
    client: &Client,
    info: &KindInfo,
    ns: Option<&str>,
    name: &str,
) -> Result<AnyResource, ClientError> {
    with_kind!(info.kind, K => client.get::<K>(ns, name).map(AnyResource::from))
        .expect("registered kind")
}

/// Lists a kind (one namespace or all).
pub fn list(
    client: &Client,
    info: &KindInfo,
    ns: Option<&str>,
) -> Result<(Vec<AnyResource>, String), ClientError> {
    with_kind!(info.kind, K => client.list::<K>(ns).map(|l| {
        (l.items.into_iter().map(AnyResource::from).collect(), l.resource_version)
    }))
    .expect("registered kind")
}

/// A failed delete: the message, and whether the resource simply did not exist.
#[derive(Debug)]
pub struct DeleteError {
    /// calicoctl's message.
    pub message: String,
    /// True for "resource does not exist" (`--skip-not-exists` turns it into success).
    pub(crate) not_found: bool,
}

impl From<ClientError> for DeleteError {
    fn from(e: ClientError) -> DeleteError {
        DeleteError {
            not_found: matches!(e, ClientError::NotFound(_)),
            message: e.to_string(),
        }
    }
}

/// Deletes one resource; IPPools are disabled and their block affinities released first, as
/// Calico does, so that no new address is handed out of a pool being deleted; a Node's
/// endpoints, addresses, affinities and per-node objects go before it
/// ([`Ipam::delete_node`](crate::ipam::Ipam::delete_node)).
pub fn delete(
    client: &Client,
    info: &KindInfo,
    ns: Option<&str>,
    name: &str,
    resource_version: Option<&str>,
    dry_run: bool,
) -> Result<AnyResource, DeleteError> {
    refuse_kubernetes_policy(info.kind, ns, name, "delete")?;
    if dry_run {
        return Ok(get(client, info, ns, name)?);
    }
    let ipam_error = |e: crate::ipam::IpamError| DeleteError {
        not_found: e.is_not_found(),
        message: e.to_string(),
    };
    if info.kind == Node::KIND {
        return crate::ipam::Ipam::new(client.clone())
            .delete_node(name, resource_version)
            .map(AnyResource::from)
            .map_err(ipam_error);
    }
    if info.kind == IpPool::KIND {
        if let Some(rv) = resource_version.filter(|rv| !rv.is_empty()) {
            let current: IpPool = client.get(None, name)?;
            if current.metadata.resource_version != rv {
                return Err(ClientError::Conflict(current.id()).into());
            }
        }
        return crate::ipam::Ipam::new(client.clone())
            .delete_pool(name)
            .map(AnyResource::from)
            .map_err(ipam_error);
    }
    Ok(with_kind!(info.kind, K => client.delete::<K>(ns, name, resource_version).map(AnyResource::from))
        .expect("registered kind")?)
}

/// calicoctl's refusal texts for a read-only kind ([`KindInfo::read_only`]).
pub(crate) fn readonly_error(kind: &KindInfo, verb: &str) -> Option<String> {
    let kind = kind.kind;
    Some(match verb {
        "apply" => format!("operation apply is not supported on {kind}: resource is readonly"),
        "create" => format!("operation create or apply is not supported on {kind}"),
        "replace" => format!("operation apply or replace is not supported on {kind}"),
        "delete" => format!("operation delete is not supported on {kind}"),
        _ => return None,
    })
}

/// Copies the stored object's identity (resourceVersion, uid, creation time) onto `r`.
fn adopt_identity(r: &mut AnyResource, stored: &AnyResource) {
    let s = stored.metadata().clone();
    let m = r.metadata_mut();
    m.resource_version = s.resource_version;
    m.uid = s.uid;
    m.creation_timestamp = s.creation_timestamp;
}

/// `replace`: update with the given resourceVersion, or, without one, the current one
/// (retrying a few times if someone else writes in between). As calicoctl: a given
/// resourceVersion is compared with the stored one first (a stale one is an update conflict,
/// never retried), then the stored identity (uid, creation time) is merged in, so a document
/// that carries only its resourceVersion is enough.
pub fn replace(client: &Client, r: AnyResource, dry_run: bool) -> OpResult<AnyResource> {
    let info = r.info();
    let ns = info.namespaced.then(|| r.metadata().namespace.clone());
    let given = r.metadata().resource_version.clone();
    if !given.is_empty() {
        let stored = get(client, info, ns.as_deref(), &r.metadata().name).map_err(msg)?;
        if stored.metadata().resource_version != given {
            return Err(msg(ClientError::Conflict(stored.id())));
        }
        let mut attempt = r;
        adopt_identity(&mut attempt, &stored);
        // The update compares the given resourceVersion again, in its transaction.
        return update(client, attempt, dry_run).map_err(msg);
    }
    let mut last = None;
    for _ in 0..5 {
        let stored = get(client, info, ns.as_deref(), &r.metadata().name).map_err(msg)?;
        let mut attempt = r.clone();
        adopt_identity(&mut attempt, &stored);
        match update(client, attempt, dry_run) {
            Err(ClientError::Conflict(id)) => last = Some(ClientError::Conflict(id)),
            other => return other.map_err(msg),
        }
    }
    Err(msg(last.expect("loop ran")))
}

/// `apply`: create, or update when it already exists. As calicoctl, the create is tried
/// without the document's resourceVersion; the update then checks it ([`replace`]).
pub fn apply(client: &Client, r: AnyResource, dry_run: bool) -> OpResult<AnyResource> {
    let mut fresh = r.clone();
    fresh.metadata_mut().resource_version.clear();
    match create(client, fresh, dry_run) {
        Err(
            ClientError::AlreadyExists(_) | ClientError::BuiltIn(_) | ClientError::NotSupported(_),
        ) => replace(client, r, dry_run),
        other => other.map_err(msg),
    }
}

fn exists(client: &Client, r: &AnyResource) -> bool {
    let info = r.info();
    let ns = info.namespaced.then(|| r.metadata().namespace.clone());
    get(client, info, ns.as_deref(), &r.metadata().name).is_ok()
}

/// Creates ClusterInformation `default` (a fresh cluster GUID, datastore ready) if absent,
/// as calicoctl's write commands do on first use. Failures are ignored.
pub fn ensure_initialized(client: &Client) {
    ensure_cluster_information(client);
}

/// Creates Calico's tiers (`default`, `adminnetworkpolicy`, `baselineadminnetworkpolicy`)
/// where absent, as `EnsureInitialized` does. calicoctl creates them on every write; we do
/// when the write holds a tier or a policy (which needs its tier to exist), so that writes
/// of other kinds keep their revisions. Failures are ignored.
pub fn ensure_tiers(client: &Client) {
    for (name, action, order) in crate::model::tier::CALICO_TIERS {
        if matches!(client.get_opt::<Tier>(None, name), Ok(None)) {
            let _ = client.create(Tier::new(name, action, order));
        }
    }
}

fn ensure_cluster_information(client: &Client) {
    if matches!(
        client.get_opt::<ClusterInformation>(None, "default"),
        Ok(Some(_))
    ) {
        return;
    }
    let mut info = ClusterInformation::default();
    info.metadata.name = "default".to_string();
    info.spec.cluster_guid = uuid::Uuid::new_v4().simple().to_string();
    info.spec.datastore_ready = Some(true);
    let _ = client.create(info);
}

/// The namespace a resource is addressed in.
pub(crate) fn namespace_of(r: &AnyResource) -> Option<String> {
    r.info().namespaced.then(|| r.metadata().namespace.clone())
}
