//! The pod's WorkloadEndpoint: its name and content, and the riders that write it with the
//! addresses an ADD assigns and remove it with those a DEL releases.

use super::annotations::floating_nats;
use super::plugin::{
    Plugin, abort, client_err, cluster_info_key, readiness, reread_readiness, stop,
};
use super::types::{CniError, codes};
use crate::datastore::KeyValue;
use crate::datastore::api::{Client, ClientError, Stored};
use crate::ipam::{Rider, RiderWrite};
use crate::model::workloadendpoint::{IpNat, k8s_endpoint_name};
use crate::model::{Cidr, ObjectMeta, Resource, WorkloadEndpoint};
use std::net::IpAddr;

/// `wep` as an update of `old`, the endpoint stored under its name (a retried ADD, a
/// restarted pod, or this ADD's own earlier transaction): it keeps the stored identity and
/// compares the stored revision.
pub(super) fn replacing(mut wep: WorkloadEndpoint, old: &WorkloadEndpoint) -> WorkloadEndpoint {
    wep.metadata.resource_version = old.metadata.resource_version.clone();
    wep.metadata.uid = old.metadata.uid.clone();
    wep.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
    wep
}

/// Records the pod's endpoint in every transaction that assigns it addresses, listing what
/// the pod holds once that transaction commits: the endpoint and the addresses exist
/// together or not at all, whenever the plugin stops.
pub(super) struct EndpointRider<'p, 'a> {
    plugin: &'p Plugin<'a>,
    pub(super) floating: &'p [IpAddr],
    /// Addresses the endpoint lists before those the request assigns.
    pub(super) held: Vec<Cidr>,
    /// List the addresses in order (`IP=` requests, one address at a time).
    pub(super) sorted: bool,
    /// The endpoint as stored (`None`: absent), read with the ADD's first read
    /// ([`Plugin::pools_and_held`]) and again after a failed compare.
    pub(super) stored: Option<WorkloadEndpoint>,
    reread: bool,
    /// The endpoint the last transaction would store.
    pending: Option<WorkloadEndpoint>,
    /// The revision of the last transaction that wrote the endpoint.
    pub(super) written: Option<i64>,
    /// The plugin's own error that stopped the assignment (with its CNI code).
    pub(super) failure: Option<CniError>,
    /// The revision of ClusterInformation `default` read ready ([`readiness`]).
    ready: i64,
    /// A sticky identity's first allocation: the key of its handle, which must hold no more
    /// than this request's own addresses (`held`). Checked after a failed compare, which is
    /// how a concurrent ADD of the same identity shows: the request then stops, `raced`.
    pub(super) fresh_handle: Option<String>,
    /// Another ADD allocated for the same sticky identity meanwhile.
    pub(super) raced: bool,
}

impl<'p, 'a> EndpointRider<'p, 'a> {
    /// A rider for an endpoint last read as `stored` (it reads it again after a failed
    /// compare).
    pub(super) fn new(
        plugin: &'p Plugin<'a>,
        floating: &'p [IpAddr],
        held: Vec<Cidr>,
        stored: Option<WorkloadEndpoint>,
        ready: i64,
    ) -> Self {
        EndpointRider {
            plugin,
            floating,
            held,
            sorted: false,
            stored,
            reread: false,
            pending: None,
            written: None,
            failure: None,
            ready,
            fresh_handle: None,
            raced: false,
        }
    }

    /// True when the sticky handle being allocated for first ([`EndpointRider::fresh_handle`])
    /// holds more addresses than this request took.
    fn handle_taken(&self) -> Result<bool, ClientError> {
        let Some(key) = &self.fresh_handle else {
            return Ok(false);
        };
        let Some(kv) = self.plugin.client.store().get(key)? else {
            return Ok(false);
        };
        Ok(
            crate::ipam::IpamHandle::from_json(&kv.value).map_or(true, |h| {
                h.block.values().sum::<i64>() > self.held.len() as i64
            }),
        )
    }

    fn endpoint_for(&mut self, assigned: &[Cidr]) -> Result<RiderWrite, ClientError> {
        let p = self.plugin;
        let mut on_endpoint: Vec<Cidr> = self.held.iter().chain(assigned).copied().collect();
        if self.sorted {
            on_endpoint.sort();
        }
        let wep = p.endpoint(&on_endpoint, floating_nats(&on_endpoint, self.floating));
        let namespace = Some(p.namespace.as_str());
        if std::mem::take(&mut self.reread) {
            self.stored = p
                .client
                .get_opt::<WorkloadEndpoint>(namespace, &wep.metadata.name)?;
        }
        let (mut wep, revision) = match &self.stored {
            None => (p.client.prepare_create(wep)?, 0),
            Some(old) => (
                p.client.prepare_update_of(replacing(wep, old), old)?,
                old.metadata.resource_version.parse().unwrap_or(0),
            ),
        };
        wep.metadata.resource_version.clear();
        let write = RiderWrite {
            key: WorkloadEndpoint::key(namespace, &wep.metadata.name),
            revision,
            value: Some(wep.encode()),
        };
        self.pending = Some(wep);
        Ok(write)
    }
}

impl Rider for EndpointRider<'_, '_> {
    fn writes(&mut self, assigned: &[Cidr]) -> crate::ipam::Result<Vec<RiderWrite>> {
        if self.reread {
            // A failed compare may have been the lock's: read it again.
            self.ready =
                reread_readiness(&self.plugin.client).map_err(|e| stop(&mut self.failure, e))?;
            match self.handle_taken() {
                Ok(false) => {}
                Ok(true) => {
                    self.raced = true;
                    let e = CniError::new(
                        codes::TRY_AGAIN,
                        "another ADD allocated for this sticky identity at the same time",
                    );
                    return Err(stop(&mut self.failure, e));
                }
                Err(e) => return Err(abort(&mut self.failure, e)),
            }
        }
        match self.endpoint_for(assigned) {
            Ok(write) => Ok(vec![write]),
            Err(e) => Err(abort(&mut self.failure, e)),
        }
    }

    fn requires(&self) -> Vec<(String, i64)> {
        vec![(cluster_info_key(), self.ready)]
    }

    fn committed(&mut self, revision: i64) {
        self.written = Some(revision);
        self.stored = self.pending.take().map(|mut w| {
            w.metadata.resource_version = revision.to_string();
            w
        });
    }

    fn conflicted(&mut self) {
        self.reread = true;
    }
}

/// Removes the pod's endpoint, if it is still this container's, in the transaction that
/// releases the container's addresses.
pub(super) struct EndpointRemover<'p, 'a> {
    plugin: &'p Plugin<'a>,
    /// The container whose endpoint it is (this DEL's; for an ADD re-creating a pod's sandbox,
    /// the previous sandbox's).
    container_id: &'p str,
    /// Read the pre-v3 handle too (DEL).
    with_legacy: bool,
    /// The revision of the endpoint to remove (`None`: absent, or another container's), read
    /// with the handle ([`Rider::reads`]) and again after a failed compare.
    pub(super) revision: Option<i64>,
    /// The pre-v3 handle `<namespace>.<pod>` exists (read with the handle, too).
    pub(super) legacy: bool,
    reread: bool,
    /// The last writes asked for included the removal.
    pending: bool,
    /// The endpoint was removed with the addresses.
    pub(super) removed: bool,
    pub(super) failure: Option<CniError>,
    /// The revision of ClusterInformation `default` read ready ([`readiness`]), read with
    /// the handle.
    ready: i64,
}

impl<'p, 'a> EndpointRemover<'p, 'a> {
    /// A remover of `container_id`'s endpoint, reading the pre-v3 handle too if `with_legacy`.
    pub(super) fn new(plugin: &'p Plugin<'a>, container_id: &'p str, with_legacy: bool) -> Self {
        EndpointRemover {
            plugin,
            container_id,
            with_legacy,
            revision: None,
            legacy: false,
            reread: false,
            pending: false,
            removed: false,
            failure: None,
            ready: 0,
        }
    }

    /// Sets the endpoint to remove from what was read: it is removed only while it belongs to
    /// this container (a pod restarted under a new container ID keeps the endpoint its new ADD
    /// took over).
    fn set_endpoint(&mut self, endpoint: Option<WorkloadEndpoint>) {
        let id = self.container_id;
        self.revision = endpoint
            .filter(|w| w.spec.container_id == *id || w.spec.container_id.is_empty())
            .map(|w| w.metadata.resource_version.parse().unwrap_or(0));
    }

    /// The pre-v3 handle of the pod (none without a pod name, or when not asked for).
    pub(super) fn legacy_handle(&self) -> Option<String> {
        let p = self.plugin;
        (self.with_legacy && !p.pod.is_empty()).then(|| format!("{}.{}", p.namespace, p.pod))
    }
}

impl Rider for EndpointRemover<'_, '_> {
    fn reads(&self) -> Vec<String> {
        let p = self.plugin;
        std::iter::once(WorkloadEndpoint::key(
            Some(&p.namespace),
            &p.endpoint_name(),
        ))
        .chain(std::iter::once(cluster_info_key()))
        .chain(
            self.legacy_handle()
                .map(|h| crate::datastore::keys::handle(&h)),
        )
        .collect()
    }

    fn read(&mut self, answers: Vec<Option<KeyValue>>) -> crate::ipam::Result<()> {
        let mut answers = answers.into_iter();
        let endpoint = answers.next().flatten();
        let info = answers.next().flatten();
        self.ready = readiness(info.as_ref()).map_err(|e| stop(&mut self.failure, e))?;
        let endpoint = match endpoint {
            Some(kv) => Some(Client::from_kv(&kv).map_err(|e| abort(&mut self.failure, e))?),
            None => None,
        };
        self.set_endpoint(endpoint);
        self.legacy = answers.next().flatten().is_some();
        self.reread = false;
        Ok(())
    }

    fn writes(&mut self, _assigned: &[Cidr]) -> crate::ipam::Result<Vec<RiderWrite>> {
        if std::mem::take(&mut self.reread) {
            let p = self.plugin;
            let endpoint = p
                .client
                .get_opt::<WorkloadEndpoint>(Some(&p.namespace), &p.endpoint_name())
                .map_err(|e| abort(&mut self.failure, e))?;
            self.set_endpoint(endpoint);
            self.ready = reread_readiness(&p.client).map_err(|e| stop(&mut self.failure, e))?;
        }
        let p = self.plugin;
        self.pending = self.revision.is_some();
        Ok(self
            .revision
            .map(|revision| RiderWrite {
                key: WorkloadEndpoint::key(Some(&p.namespace), &p.endpoint_name()),
                revision,
                value: None,
            })
            .into_iter()
            .collect())
    }

    fn requires(&self) -> Vec<(String, i64)> {
        vec![(cluster_info_key(), self.ready)]
    }

    fn committed(&mut self, _revision: i64) {
        self.removed = self.pending;
    }

    fn conflicted(&mut self) {
        self.reread = true;
    }
}

impl<'a> Plugin<'a> {
    pub(super) fn endpoint_name(&self) -> String {
        self.endpoint_name_on(&self.node)
    }

    /// The name this pod's endpoint has (or had) on `node`.
    pub(super) fn endpoint_name_on(&self, node: &str) -> String {
        let iface = if self.inv.ifname.is_empty() {
            "eth0"
        } else {
            &self.inv.ifname
        };
        if self.pod.is_empty() {
            format!(
                "{}-cni-{}-{}",
                node.replace('-', "--"),
                self.inv.container_id.replace('-', "--"),
                iface.replace('-', "--")
            )
        } else {
            k8s_endpoint_name(node, &self.pod, iface)
        }
    }

    /// The pod's WorkloadEndpoint for `assigned`, as a create would store it.
    fn endpoint(&self, assigned: &[Cidr], nats: Vec<IpNat>) -> WorkloadEndpoint {
        let mut wep = WorkloadEndpoint {
            metadata: ObjectMeta {
                name: self.endpoint_name(),
                namespace: self.namespace.clone(),
                // The client adds Calico's namespace and orchestrator labels.
                ..ObjectMeta::default()
            },
            ..WorkloadEndpoint::default()
        };
        wep.set_type_meta();
        let spec = &mut wep.spec;
        spec.orchestrator = if self.pod.is_empty() {
            "cni".into()
        } else {
            "k8s".into()
        };
        spec.node = self.node.clone();
        spec.container_id = self.inv.container_id.clone();
        spec.pod = self.pod.clone();
        spec.endpoint = if self.inv.ifname.is_empty() {
            "eth0".into()
        } else {
            self.inv.ifname.clone()
        };
        spec.ip_networks = assigned
            .iter()
            .map(|a| Cidr::host(a.addr()).to_string())
            .collect();
        spec.ip_nats = nats;
        spec.profiles = vec![format!("kns.{}", self.namespace)];
        wep
    }

    /// Records the pod's endpoint in a transaction of its own.
    pub(super) fn write_endpoint(
        &self,
        assigned: &[Cidr],
        nats: Vec<IpNat>,
    ) -> Result<(), CniError> {
        let wep = self.endpoint(assigned, nats);
        let name = wep.metadata.name.clone();
        for attempt in 0..5 {
            // A new pod's endpoint does not exist yet: the first attempt creates it without
            // reading first (a create is conditional on the key being absent); should it
            // exist (a retried ADD, a restarted container), the next attempt reads and updates.
            let existing = if attempt == 0 {
                None
            } else {
                self.client
                    .get_opt::<WorkloadEndpoint>(Some(&self.namespace), &name)
                    .map_err(client_err)?
            };
            let r = match existing {
                None => self.client.create(wep.clone()).map(|_| ()),
                Some(old) => self.client.update(replacing(wep.clone(), &old)).map(|_| ()),
            };
            match r {
                Ok(()) => return Ok(()),
                Err(ClientError::Conflict(_) | ClientError::AlreadyExists(_)) if attempt < 4 => {
                    continue;
                }
                Err(e) => return Err(client_err(e)),
            }
        }
        Ok(())
    }
}
