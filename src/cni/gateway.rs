//! A node's gateway address in a pool under a delegating plugin (`ptp`, `bridge`): allocated
//! once from IPAM, owned by a WorkloadEndpoint of its own in `kube-system`.

use super::endpoint::replacing;
use super::plugin::{
    Plugin, abort, client_err, cluster_info_key, ipam_err, reread_readiness, stop,
};
use super::types::{CniError, codes};
use crate::datastore::api::{ClientError, Stored};
use crate::ipam::{AutoAssignRequest, GATEWAY_ADDRESS_TYPE, IntendedUse, Rider, RiderWrite};
use crate::model::{Cidr, IpPool, ObjectMeta, Resource, WorkloadEndpoint};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Namespace of the endpoints that own nodes' gateway addresses (delegated mode).
pub(crate) const GATEWAY_NAMESPACE: &str = "kube-system";

/// The handle of an assignment request.
fn req_handle(req: &AutoAssignRequest) -> String {
    req.handle_id.clone().unwrap_or_default()
}

/// Writes a node's gateway endpoint ([`Plugin::gateway_endpoint`]) in the transaction that
/// allocates the gateway address, so the address is never without its owner.
struct GatewayRider<'p, 'a> {
    plugin: &'p Plugin<'a>,
    handle: &'p str,
    failure: Option<CniError>,
    /// The revision of ClusterInformation `default`, read ready with each attempt.
    ready: i64,
}

impl Rider for GatewayRider<'_, '_> {
    fn writes(&mut self, assigned: &[Cidr]) -> crate::ipam::Result<Vec<RiderWrite>> {
        let p = self.plugin;
        // A first gateway is rare (once per node and pool): the lock is read with it.
        self.ready = reread_readiness(&p.client).map_err(|e| stop(&mut self.failure, e))?;
        let wep = p.gateway_endpoint(self.handle, assigned.first().map(Cidr::addr));
        let namespace = Some(GATEWAY_NAMESPACE);
        let key = WorkloadEndpoint::key(namespace, &wep.metadata.name);
        // Read each time: it is absent unless an earlier attempt (or another ADD) wrote it.
        let stored = p
            .client
            .get_opt::<WorkloadEndpoint>(namespace, &wep.metadata.name)
            .map_err(|e| abort(&mut self.failure, e))?;
        let (mut wep, revision) = match &stored {
            None => (
                p.client
                    .prepare_create(wep)
                    .map_err(|e| abort(&mut self.failure, e))?,
                0,
            ),
            Some(old) => (
                p.client
                    .prepare_update_of(replacing(wep, old), old)
                    .map_err(|e| abort(&mut self.failure, e))?,
                old.metadata.resource_version.parse().unwrap_or(0),
            ),
        };
        wep.metadata.resource_version.clear();
        Ok(vec![RiderWrite {
            key,
            revision,
            value: Some(wep.encode()),
        }])
    }

    fn requires(&self) -> Vec<(String, i64)> {
        vec![(cluster_info_key(), self.ready)]
    }

    fn committed(&mut self, _revision: i64) {}

    fn conflicted(&mut self) {}
}

impl<'a> Plugin<'a> {
    /// This node's gateway address in `pool` (delegated mode), allocated on first use.
    pub(super) fn gateway_for(&self, pool: &IpPool) -> Result<IpAddr, CniError> {
        let handle = format!("cni-gateway-addr-{}-{}", pool.metadata.name, self.node);
        let cidr = pool
            .cidr()
            .ok_or_else(|| CniError::new(codes::IPAM_FAILURE, "pool without a valid CIDR"))?;
        let existing = self.held_by(&handle)?;
        if let Some(ip) = existing.into_iter().find(|ip| cidr.contains_ip(*ip)) {
            // A gateway allocated before gateways had their endpoint gets it now.
            self.ensure_gateway_endpoint(&handle, ip)?;
            return Ok(ip);
        }
        let mut attrs = BTreeMap::new();
        attrs.insert("node".to_string(), self.node.clone());
        attrs.insert("type".to_string(), GATEWAY_ADDRESS_TYPE.to_string());
        let req = AutoAssignRequest {
            num4: usize::from(cidr.is_ipv4()),
            num6: usize::from(!cidr.is_ipv4()),
            handle_id: Some(handle),
            attrs,
            hostname: self.node.clone(),
            ipv4_pools: if cidr.is_ipv4() { vec![cidr] } else { vec![] },
            ipv6_pools: if cidr.is_ipv4() { vec![] } else { vec![cidr] },
            intended_use: IntendedUse::Workload,
            excluded: self.excluded(std::slice::from_ref(pool)),
            ..AutoAssignRequest::default()
        };
        let mut rider = GatewayRider {
            plugin: self,
            handle: &req_handle(&req),
            failure: None,
            ready: 0,
        };
        let r = self
            .ipam
            .auto_assign_with(&req, Some(&mut rider))
            .map_err(|e| rider.failure.take().unwrap_or_else(|| ipam_err(e)))?;
        r.ips().first().map(Cidr::addr).ok_or_else(|| {
            CniError::new(
                codes::IPAM_FAILURE,
                format!(
                    "could not allocate a gateway address for node {} in pool {}",
                    self.node, pool.metadata.name
                ),
            )
        })
    }

    /// The WorkloadEndpoint that owns a node's gateway address `ip` (handle `handle`) in
    /// Calico's terms: Calico's `ipam check` counts an address as in use only when an endpoint
    /// lists it or a Node field holds it, so without it Calico's check would call the gateway
    /// leaked and its `release --from-report` would free it. Orchestrator `cni`, the handle as
    /// its container ID (so `delete node` releases the address with the endpoint), interface
    /// `gateway`, in namespace `kube-system`.
    fn gateway_endpoint(&self, handle: &str, ip: Option<IpAddr>) -> WorkloadEndpoint {
        let mut wep = WorkloadEndpoint {
            metadata: ObjectMeta {
                name: format!(
                    "{}-cni-{}-gateway",
                    self.node.replace('-', "--"),
                    handle.replace('-', "--")
                ),
                namespace: GATEWAY_NAMESPACE.into(),
                ..ObjectMeta::default()
            },
            ..WorkloadEndpoint::default()
        };
        wep.set_type_meta();
        wep.spec.orchestrator = "cni".into();
        wep.spec.node = self.node.clone();
        wep.spec.container_id = handle.to_string();
        wep.spec.endpoint = "gateway".into();
        wep.spec.ip_networks = ip
            .map(|ip| Cidr::host(ip).to_string())
            .into_iter()
            .collect();
        wep
    }

    /// Creates the gateway's endpoint ([`Plugin::gateway_endpoint`]) if it is missing.
    fn ensure_gateway_endpoint(&self, handle: &str, ip: IpAddr) -> Result<(), CniError> {
        let wep = self.gateway_endpoint(handle, Some(ip));
        let name = wep.metadata.name.clone();
        if self
            .client
            .get_opt::<WorkloadEndpoint>(Some(GATEWAY_NAMESPACE), &name)
            .map_err(client_err)?
            .is_some()
        {
            return Ok(());
        }
        match self.client.create(wep) {
            Ok(_) | Err(ClientError::AlreadyExists(_)) => Ok(()),
            Err(e) => Err(client_err(e)),
        }
    }
}
