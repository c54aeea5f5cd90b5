//! The plugin opened for one ADD, DEL or CHECK: its datastore, the pod's identity, the host
//! lock, the CNI codes of its failures and the datastore-lock (readiness) check.

use super::kube::{self, Owner};
use super::protocol::Invocation;
use super::types::{self, CniError, K8sArgs, NetConf, codes};
use crate::config::{self, Overrides};
use crate::datastore::api::{Client, ClientError, Stored};
use crate::datastore::{DatastoreConfig, KeyValue};
use crate::ipam::sticky::StickyId;
use crate::ipam::{Ipam, IpamError, attr};
use crate::model::cidr::{ip_to_u128, u128_to_ip};
use crate::model::{Cidr, IpPool};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The plugin opened for one invocation: its configuration, datastore client and IPAM, and
/// the pod it acts for (node, namespace, pod, and the handle `<network>.<container ID>`).
pub(super) struct Plugin<'a> {
    pub(super) conf: &'a NetConf,
    pub(super) inv: &'a Invocation,
    pub(super) client: Client,
    pub(super) ipam: Ipam,
    pub(super) node: String,
    pub(super) handle: String,
    pub(super) namespace: String,
    pub(super) pod: String,
    /// `CNI_ARGS`, parsed.
    pub(super) args: BTreeMap<String, String>,
    /// The pod's and namespace's annotations and the namespace's labels: the
    /// configuration's `args.k8s`, or what the Kubernetes API says ([`Plugin::read_pod`]).
    pub(super) k8s: K8sArgs,
    /// The pod's controller, when read from the API (for issue 25's sticky addresses).
    pub(super) owner: Option<Owner>,
    /// The pod's sticky identity ([`Plugin::read_pod`]): then [`Plugin::handle`] is the
    /// identity's handle, not the container's.
    pub(super) sticky: Option<StickyId>,
}

/// The datastore the network configuration names: its fields are this program's flags
/// (`config::resolve`).
pub(super) fn datastore_config(conf: &NetConf) -> Result<DatastoreConfig, CniError> {
    let overrides = Overrides {
        datastore_type: conf.datastore_type.clone(),
        etcd_endpoints: conf.etcd_endpoints.clone(),
        etcd_username: conf.etcd_username.clone(),
        etcd_password: conf.etcd_password.clone(),
        etcd_key_file: conf.etcd_key_file.clone(),
        etcd_cert_file: conf.etcd_cert_file.clone(),
        etcd_ca_cert_file: conf.etcd_ca_cert_file.clone(),
        datastore_path: conf.datastore_path.clone(),
        timeout: None,
        fail_fast: true,
    };
    config::resolve(&overrides, None)
        .map_err(|e| CniError::new(codes::INVALID_CONFIG, e.to_string()))
}

fn node_name(conf: &NetConf) -> String {
    if let Some(n) = conf.nodename.as_ref().filter(|n| !n.is_empty()) {
        return n.clone();
    }
    let file = conf
        .nodename_file
        .clone()
        .unwrap_or_else(|| "/var/lib/calico/nodename".to_string());
    if let Ok(n) = std::fs::read_to_string(&file)
        && !n.trim().is_empty()
    {
        return n.trim().to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_lowercase())
        .unwrap_or_default()
}

impl<'a> Plugin<'a> {
    pub(super) fn open(conf: &'a NetConf, inv: &'a Invocation) -> Result<Plugin<'a>, CniError> {
        let cfg = datastore_config(conf)?;
        // A mistyped store path is the configuration's fault, not a datastore to retry.
        if let Some(e) = cfg.missing_directory() {
            return Err(CniError::new(codes::INVALID_CONFIG, e.to_string()));
        }
        let store = crate::datastore::open(&cfg)
            .map_err(|e| CniError::new(codes::TRY_AGAIN, e.to_string()))?;
        let client = Client::new(store);
        // As Calico's plugin, after the client is made.
        let args =
            types::load_cni_args(&inv.args).map_err(|e| CniError::new(codes::INTERNAL, e))?;
        let namespace = args
            .get("K8S_POD_NAMESPACE")
            .cloned()
            .unwrap_or_else(|| "default".to_string());
        let pod = args.get("K8S_POD_NAME").cloned().unwrap_or_default();
        Ok(Plugin {
            conf,
            inv,
            ipam: Ipam::new(client.clone()),
            client,
            node: node_name(conf),
            handle: format!("{}.{}", conf.name, inv.container_id),
            namespace,
            pod,
            args,
            k8s: conf.args.k8s.clone(),
            owner: None,
            sticky: None,
        })
    }

    /// For an ADD in Kubernetes mode (`K8S_POD_NAMESPACE` and `K8S_POD_NAME` given) with a
    /// kubeconfig (`kubernetes.kubeconfig`, else `KUBECONFIG`): the pod and its namespace
    /// from the API ([`kube::read_pod`]) instead of `args.k8s`. Fails (code 11) before
    /// anything is written when the API cannot answer.
    pub(super) fn read_pod(mut self) -> Result<Plugin<'a>, CniError> {
        let kubernetes_mode = self.args.contains_key("K8S_POD_NAMESPACE") && !self.pod.is_empty();
        let source = kube::source(self.conf.kubernetes.kubeconfig.as_deref());
        if let (true, Some(source)) = (kubernetes_mode, source) {
            let info = kube::read_pod(&source, &self.namespace, &self.pod)?;
            self.k8s = info.k8s;
            self.owner = info.owner;
            self.sticky = self.sticky_id();
            if let Some(id) = &self.sticky {
                self.handle = id.handle(&self.conf.name);
            }
        }
        Ok(self)
    }

    /// The addresses a handle holds (none for an unknown handle).
    pub(super) fn held_by(&self, handle: &str) -> Result<Vec<IpAddr>, CniError> {
        match self.ipam.ips_by_handle(handle) {
            Ok(ips) => Ok(ips),
            Err(IpamError::HandleNotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(ipam_err(e)),
        }
    }

    pub(super) fn attrs(&self) -> BTreeMap<String, String> {
        let mut a = BTreeMap::new();
        a.insert(attr::NODE.to_string(), self.node.clone());
        if !self.pod.is_empty() {
            a.insert(attr::NAMESPACE.to_string(), self.namespace.clone());
            a.insert(attr::POD.to_string(), self.pod.clone());
        }
        a.insert(
            attr::TIMESTAMP.to_string(),
            crate::go::time::go_utc_string(crate::go::time::now()),
        );
        if let Some(id) = &self.sticky {
            a.insert(attr::STICKY.to_string(), id.to_string());
        }
        a
    }

    pub(super) fn delegated(&self) -> bool {
        self.conf.type_ != "calico"
    }

    /// Addresses automatic assignment leaves alone: under a delegating plugin, the pools'
    /// first and last addresses ([`pool_ends`]).
    pub(super) fn excluded(&self, pools: &[IpPool]) -> Vec<Cidr> {
        if !self.delegated() {
            return Vec::new();
        }
        pool_ends(pools).into_iter().map(|(c, _)| c).collect()
    }

    /// Refuses a fixed address a delegating plugin's pod cannot use ([`pool_ends`]).
    pub(super) fn check_fixed(&self, ips: &[IpAddr], pools: &[IpPool]) -> Result<(), CniError> {
        if self.delegated() {
            for ip in ips {
                check_not_pool_end(*ip, pools, &self.conf.type_)?;
            }
        }
        Ok(())
    }
}

/// A host-wide lock serialising this plugin's IPAM work (as Calico's `ipam.lock`); best effort:
/// correctness comes from the datastore's compare-and-swap, the lock only avoids retries.
pub(super) struct HostLock(Option<std::fs::File>);

impl HostLock {
    pub(super) fn acquire(path: &str) -> HostLock {
        if let Some(dir) = std::path::Path::new(path).parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ok();
        if let Some(f) = &file {
            let _ = f.lock();
        }
        HostLock(file)
    }
}

impl Drop for HostLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

/// An IPAM failure: CNI's "try again later" (11) when it is transient (the datastore could
/// not be reached or answered too late, or too many concurrent requests kept conflicting),
/// else the plugin's own code 100.
pub(super) fn ipam_err(e: IpamError) -> CniError {
    CniError::new(ipam_code(&e), e.to_string())
}

/// The CNI code of an IPAM failure (see [`ipam_err`]).
pub(super) fn ipam_code(e: &IpamError) -> u32 {
    match e {
        IpamError::Datastore(d) | IpamError::Client(ClientError::Datastore(d)) if transient(d) => {
            codes::TRY_AGAIN
        }
        IpamError::MaxRetries => codes::TRY_AGAIN,
        _ => codes::IPAM_FAILURE,
    }
}

/// A failure of the plugin's own reads and writes: "try again later" (11) when the datastore
/// could not be reached, else an I/O failure (5).
pub(super) fn client_err(e: ClientError) -> CniError {
    let code = match &e {
        ClientError::Datastore(d) if transient(d) => codes::TRY_AGAIN,
        _ => codes::IO_FAILURE,
    };
    CniError::new(code, e.to_string())
}

/// True for a datastore failure that may pass: etcd unreachable, timing out or refusing
/// (its client reports all of these as [`DatastoreError::Etcd`]). The embedded store's
/// failures (a missing directory, a read-only file) do not pass by waiting.
fn transient(e: &crate::datastore::DatastoreError) -> bool {
    matches!(e, crate::datastore::DatastoreError::Etcd { .. })
}

/// A rider's datastore error: kept as the plugin's own error (its CNI code) in `failure`;
/// IPAM stops with it.
pub(super) fn abort(failure: &mut Option<CniError>, e: ClientError) -> IpamError {
    stop(failure, client_err(e))
}

/// A rider's own error (with its CNI code) kept in `failure`; IPAM stops with it.
pub(super) fn stop(failure: &mut Option<CniError>, e: CniError) -> IpamError {
    let message = e.msg.clone();
    *failure = Some(e);
    IpamError::Aborted(message)
}

/// Calico's plugin's answer while the datastore is locked (`calicoctl datastore migrate
/// lock`: ClusterInformation `default` says `datastoreReady: false`). Calico returns it as a
/// plain error, which libcni's skeleton gives code 999; so do we.
pub const NOT_READY: &str = "Calico is currently not ready to process requests";

/// The key of ClusterInformation `default`, whose `datastoreReady` the plugin obeys.
pub(super) fn cluster_info_key() -> String {
    crate::model::ClusterInformation::key(None, "default")
}

/// The revision of ClusterInformation `default` as read (0: absent), once it says the
/// datastore is ready: absent (a store no `calico-node` has initialised) or without the flag
/// counts as ready; `datastoreReady: false` fails with [`NOT_READY`]. Every transaction of an
/// ADD or DEL that assigns or releases requires the key to be still at this revision, so a
/// lock taken after the read stops the change (the retry reads the lock and fails).
pub(super) fn readiness(kv: Option<&KeyValue>) -> Result<i64, CniError> {
    let Some(kv) = kv else { return Ok(0) };
    let info: crate::model::ClusterInformation = Client::from_kv(kv).map_err(|e| {
        CniError::new(
            codes::INTERNAL,
            format!("error getting ClusterInformation: {e}"),
        )
    })?;
    if info.spec.datastore_ready == Some(false) {
        return Err(CniError::new(codes::INTERNAL, NOT_READY));
    }
    Ok(kv.mod_revision)
}

/// [`readiness`] read on its own (after a failed compare).
pub(super) fn reread_readiness(client: &Client) -> Result<i64, CniError> {
    let kv = client
        .store()
        .get(&cluster_info_key())
        .map_err(|e| client_err(e.into()))?;
    readiness(kv.as_ref())
}

/// The first and last addresses of each pool of four addresses or more: a pod given its
/// address with the pool's prefix (a delegating plugin's result) cannot use them (its
/// network and broadcast address), so they are not handed out there, as `host-local` leaves
/// a range's ends alone.
fn pool_ends(pools: &[IpPool]) -> Vec<(Cidr, &IpPool)> {
    pools
        .iter()
        .filter_map(|p| p.cidr().map(|c| (c, p)))
        .filter(|(c, _)| c.prefix() + 2 <= c.bits())
        .flat_map(|(c, p)| {
            let end = |v| (Cidr::host(u128_to_ip(v, c.version())), p);
            [end(c.first()), end(c.last())]
        })
        .collect()
}

/// Refuses, for a delegating plugin, an address that is its pool's first or last.
fn check_not_pool_end(ip: IpAddr, pools: &[IpPool], plugin: &str) -> Result<(), CniError> {
    match pool_ends(pools).into_iter().find(|(c, _)| c.addr() == ip) {
        None => Ok(()),
        Some((_, pool)) => {
            let cidr = pool.cidr().expect("pool_ends keeps pools with a CIDR");
            let what = match (ip.is_ipv4(), ip_to_u128(ip) == cidr.first()) {
                (true, true) => "network address",
                (true, false) => "broadcast address",
                (false, true) => "subnet-router anycast address",
                (false, false) => "last address",
            };
            Err(CniError::new(
                codes::IPAM_FAILURE,
                format!(
                    "{ip} is the {what} of IP pool {} ({cidr}): a pod that {plugin} gives the pool's prefix cannot use it",
                    pool.metadata.name
                ),
            ))
        }
    }
}
