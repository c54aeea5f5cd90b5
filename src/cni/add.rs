//! CNI ADD: what the pod already holds, then addresses asked for by `IP=`, fixed by
//! `ipAddrs`, or chosen from the pools that apply (`assign_auto`), and the CNI result.

use super::annotations::{
    ANN_IP_ADDRS, ANN_IP_ADDRS_BY_ORDINAL, ANN_IP_ADDRS_NO_IPAM, ANN_IPV4_POOLS, ANN_IPV6_POOLS,
    check_floating_families, floating_nats,
};
use super::endpoint::{EndpointRemover, EndpointRider};
use super::plugin::{
    HostLock, Plugin, client_err, cluster_info_key, ipam_code, ipam_err, readiness,
};
use super::types::{self, CniError, IpamResult, ResultIp, Route, codes};
use crate::datastore::Read as DsRead;
use crate::datastore::api::{Client, Stored};
use crate::ipam::{
    AssignIpRequest, AutoAssignRequest, IntendedUse, IpamError, ReleaseOptions, Rider,
};
use crate::model::{Cidr, IpPool, WorkloadEndpoint};
use std::net::IpAddr;

/// What an ADD reads first, in one round trip ([`Plugin::pools_and_held`]).
pub(super) struct PodState {
    /// Every pool.
    pub(super) pools: Vec<IpPool>,
    /// The addresses this container's handle holds (not read for a sticky pod: see
    /// `handle_exists`).
    pub(super) held: Vec<IpAddr>,
    /// The pod's handle exists.
    pub(super) handle_exists: bool,
    /// The pod's endpoint as stored (another container's, after a sandbox re-creation).
    pub(super) endpoint: Option<WorkloadEndpoint>,
    /// The revision of ClusterInformation `default`, read ready ([`readiness`]).
    pub(super) ready: i64,
}

impl<'a> Plugin<'a> {
    /// Every pool, the addresses this container's handle holds and the pod's endpoint as
    /// stored, read in one round trip (the blocks of a handle that exists in a second).
    pub(super) fn pools_and_held(&self) -> Result<PodState, CniError> {
        let reads = [
            DsRead::Key(crate::datastore::keys::handle(&self.handle)),
            DsRead::Prefix(IpPool::list_prefix(None)),
            DsRead::Key(WorkloadEndpoint::key(
                Some(&self.namespace),
                &self.endpoint_name(),
            )),
            DsRead::Key(cluster_info_key()),
        ];
        let store_err = |e: crate::datastore::DatastoreError| client_err(e.into());
        let mut results = self
            .client
            .store()
            .read_many(&reads)
            .map_err(store_err)?
            .results
            .into_iter();
        let handle_exists = !results.next().unwrap_or_default().is_empty();
        let pools = results
            .next()
            .unwrap_or_default()
            .iter()
            .map(Client::from_kv::<IpPool>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(client_err)?;
        let endpoint = match results.next().unwrap_or_default().first() {
            Some(kv) => Some(Client::from_kv::<WorkloadEndpoint>(kv).map_err(client_err)?),
            None => None,
        };
        let ready = readiness(results.next().unwrap_or_default().first())?;
        // A sticky pod's addresses are read with what its ADD writes (`reuse_sticky`).
        let held = if handle_exists && self.sticky.is_none() {
            self.held_by(&self.handle)?
        } else {
            Vec::new()
        };
        Ok(PodState {
            pools,
            held,
            handle_exists,
            endpoint,
            ready,
        })
    }

    pub(super) fn add(&self) -> Result<serde_json::Value, CniError> {
        let _lock = HostLock::acquire(
            self.conf
                .ipam_lock_file
                .as_deref()
                .unwrap_or("/var/run/calico/ipam.lock"),
        );
        self.refuse_by_ordinal_unless_sticky()?;
        // `IP=<addr>` in CNI_ARGS is how Calico's own `calico` plugin asks for one specific
        // address (once per address of the pod's `ipAddrs` annotation, all under one handle).
        // An empty `IP=` asks for nothing in particular.
        if let Some(ip) = self.args.get("IP").filter(|ip| !ip.is_empty()) {
            return self.add_requested_ip(ip);
        }
        let state = self.pools_and_held()?;
        if let Some(id) = &self.sticky {
            return self.add_sticky(id, state);
        }
        // A runtime retrying ADD for the same container gets the addresses it already holds,
        // never a second set.
        let PodState {
            pools,
            held,
            endpoint,
            ready,
            ..
        } = state;
        if !held.is_empty() {
            let assigned: Vec<Cidr> = held.into_iter().map(Cidr::host).collect();
            let floating = self.floating_ips(&pools)?;
            return self.finish_add(&assigned, &assigned, &floating, &pools, None);
        }
        let ip_addrs = self.annotation(ANN_IP_ADDRS);
        let no_ipam = self.annotation(ANN_IP_ADDRS_NO_IPAM);
        if ip_addrs.is_some() && no_ipam.is_some() {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                "can't have both annotations: 'ipAddrs' and 'ipAddrsNoIpam' in use at the same time",
            ));
        }
        // Floating IPs are checked before anything is assigned, so a bad one leaves nothing.
        let floating_ips = self.floating_ips(&pools)?;

        // IPAM records the endpoint with the addresses (not for ipAddrsNoIpam: no IPAM).
        let mut rider = EndpointRider::new(self, &floating_ips, Vec::new(), endpoint, ready);
        let assigned = if let Some(list) = ip_addrs.or(no_ipam) {
            let annotation = if ip_addrs.is_some() {
                ANN_IP_ADDRS
            } else {
                ANN_IP_ADDRS_NO_IPAM
            };
            if no_ipam.is_some() && !self.conf.feature_control.ip_addrs_no_ipam {
                return Err(CniError::new(
                    codes::INVALID_CONFIG,
                    "requested feature is not enabled: ip_addrs_no_ipam",
                ));
            }
            let ips = self.parse_ip_addrs(annotation, list)?;
            self.check_fixed(&ips, &pools)?;
            if ip_addrs.is_some() {
                self.release_previous_sandbox(&mut rider)?;
                self.assign_fixed(&ips, &mut rider)
            } else {
                Ok(ips.into_iter().map(Cidr::host).collect())
            }
        } else {
            self.assign_auto(&pools, &mut rider)
        };
        let written = rider.written;
        let result = assigned.and_then(|assigned| {
            self.finish_add(&assigned, &assigned, &floating_ips, &pools, written)
        });
        if result.is_err() {
            // Nothing is kept from a failed ADD: the endpoint first (as DEL does), then the
            // addresses (ipAddrsNoIpam recorded nothing in IPAM).
            self.undo_endpoint(written);
            if no_ipam.is_none() {
                let _ = self.ipam.release_by_handle(&self.handle);
            }
        }
        result
    }

    /// A new sandbox for a pod with fixed addresses (`ipAddrs`): as Calico's plugin does when
    /// the pod's endpoint already exists, the previous sandbox's addresses are released
    /// before the fixed ones are assigned again (else the new sandbox could never get them).
    ///
    /// What is released is what the previous sandbox's handle (`<network>.<its container>`)
    /// holds, which is what its endpoint's `ipNetworks` list (our ADDs write both in one
    /// transaction); Calico releases the listed addresses whoever holds them, which could free
    /// an address that has since gone to another pod. The endpoint goes in the same
    /// transaction, unless it changed since it was read.
    ///
    /// Atomicity: the release (addresses and old endpoint) is one transaction, and each fixed
    /// address is then assigned with the new endpoint in one transaction, as for any ADD; the
    /// two are not one. Stopped in between, the pod holds nothing and has no endpoint (no
    /// leak, nothing dangling); and should the assignment then fail (another pod took the
    /// address in between), the previous sandbox's addresses are not given back. The old
    /// sandbox's later DEL finds its handle gone and the endpoint another container's, and
    /// changes nothing.
    fn release_previous_sandbox(&self, rider: &mut EndpointRider<'_, '_>) -> Result<(), CniError> {
        let Some(old) = rider.stored.as_ref() else {
            return Ok(());
        };
        let previous = old.spec.container_id.clone();
        if previous.is_empty() || previous == self.inv.container_id {
            // No other sandbox to release for (this container's handle holds nothing).
            return Ok(());
        }
        let mut remover = EndpointRemover::new(self, &previous, false);
        match self.ipam.release_by_handle_with(
            &format!("{}.{previous}", self.conf.name),
            Some(&mut remover),
        ) {
            Ok(()) | Err(IpamError::HandleNotFound(_)) => {}
            Err(e) => {
                return Err(remover.failure.take().unwrap_or_else(|| {
                    CniError::new(ipam_code(&e), format!("failed to release ipAddrs: {e}"))
                }));
            }
        }
        if remover.removed {
            rider.stored = None;
        }
        // Should the endpoint have changed meanwhile, the assignment's compare finds out and
        // reads it again.
        Ok(())
    }

    /// Deletes the endpoint this ADD wrote at `written`, unless it changed since.
    pub(super) fn undo_endpoint(&self, written: Option<i64>) {
        if let Some(revision) = written {
            let _ = self.client.delete::<WorkloadEndpoint>(
                Some(&self.namespace),
                &self.endpoint_name(),
                Some(&revision.to_string()),
            );
        }
    }

    /// ADD with `IP=<addr>`: assigns exactly that address to the handle (Calico's `AssignIP`:
    /// it must lie in a pool and be free; reservations do not apply) and returns it alone, as
    /// Calico's IPAM plugin does, with the assignment's own error text (the `calico` plugin
    /// that asked adds its `error getting IP from IPAM:`). A retried ADD for an address the
    /// handle already holds returns it again. The endpoint lists every address the handle
    /// holds, so the pod's IPv4 and IPv6 requests end with one endpoint carrying both.
    fn add_requested_ip(&self, requested: &str) -> Result<serde_json::Value, CniError> {
        let ip: IpAddr = requested.parse().map_err(|_| {
            CniError::new(
                codes::INVALID_CONFIG,
                format!("invalid IP format: {requested}"),
            )
        })?;
        let PodState {
            pools,
            mut held,
            endpoint,
            ready,
            ..
        } = self.pools_and_held()?;
        let floating_ips = self.floating_ips(&pools)?;
        let newly_assigned = !held.contains(&ip);
        let mut written = None;
        if newly_assigned {
            self.check_fixed(&[ip], &pools)?;
            let with = |v4| v4 == ip.is_ipv4() || held.iter().any(|h| h.is_ipv4() == v4);
            check_floating_families(&floating_ips, with(true), with(false))?;
            let req = AssignIpRequest {
                ip,
                handle_id: Some(self.handle.clone()),
                attrs: self.attrs(),
                hostname: self.node.clone(),
            };
            // The endpoint goes with the address, unless a delegating plugin's result (its
            // gateway) may still fail: then undoing would have to put the old endpoint back.
            let mut rider = EndpointRider::new(
                self,
                &floating_ips,
                held.iter().map(|h| Cidr::host(*h)).collect(),
                endpoint,
                ready,
            );
            rider.sorted = true;
            let with_rider = (!self.delegated()).then_some(&mut rider as &mut dyn Rider);
            if let Err(e) = self.ipam.assign_ip_with(&req, with_rider) {
                return Err(rider.failure.take().unwrap_or_else(|| ipam_err(e)));
            }
            written = rider.written;
            held.push(ip);
        }
        held.sort();
        let on_endpoint: Vec<Cidr> = held.into_iter().map(Cidr::host).collect();
        let result = self.finish_add(
            &[Cidr::host(ip)],
            &on_endpoint,
            &floating_ips,
            &pools,
            written,
        );
        // Only this request's address goes back; another request's stays with the handle.
        if result.is_err() && newly_assigned {
            let _ = self.ipam.release_ips(&[ReleaseOptions {
                handle: Some(self.handle.clone()),
                ..ReleaseOptions::ip(ip)
            }]);
        }
        result
    }

    /// Assigns the `ipAddrs` addresses, each with the endpoint as it stands after it.
    pub(super) fn assign_fixed(
        &self,
        ips: &[IpAddr],
        rider: &mut EndpointRider<'_, '_>,
    ) -> Result<Vec<Cidr>, CniError> {
        check_floating_families(
            rider.floating,
            ips.iter().any(IpAddr::is_ipv4),
            ips.iter().any(IpAddr::is_ipv6),
        )?;
        let mut out = Vec::new();
        for ip in ips {
            let req = AssignIpRequest {
                ip: *ip,
                handle_id: Some(self.handle.clone()),
                attrs: self.attrs(),
                hostname: self.node.clone(),
            };
            rider.held.clone_from(&out);
            match self.ipam.assign_ip_with(&req, Some(rider)) {
                Ok(a) => out.push(a.ip),
                Err(e) => {
                    return Err(rider.failure.take().unwrap_or_else(|| {
                        CniError::new(ipam_code(&e), format!("error getting IP from IPAM: {e}"))
                    }));
                }
            }
        }
        Ok(out)
    }

    /// Assigns from the pools that apply, with the endpoint in every transaction.
    pub(super) fn assign_auto(
        &self,
        pools: &[IpPool],
        rider: &mut EndpointRider<'_, '_>,
    ) -> Result<Vec<Cidr>, CniError> {
        let ipam = &self.conf.ipam;
        let v4_names = self.pools_for(ANN_IPV4_POOLS, &ipam.ipv4_pools)?;
        let v6_names = self.pools_for(ANN_IPV6_POOLS, &ipam.ipv6_pools)?;
        let req = AutoAssignRequest {
            num4: usize::from(types::knob(&ipam.assign_ipv4, true)),
            num6: usize::from(types::knob(&ipam.assign_ipv6, false)),
            handle_id: Some(self.handle.clone()),
            attrs: self.attrs(),
            hostname: self.node.clone(),
            ipv4_pools: self.resolve_pools(&v4_names, 4, pools)?,
            ipv6_pools: self.resolve_pools(&v6_names, 6, pools)?,
            namespace_labels: self.k8s.namespace_labels.clone(),
            intended_use: IntendedUse::Workload,
            max_blocks_per_host: 0,
            excluded: self.excluded(pools),
        };
        check_floating_families(rider.floating, req.num4 > 0, req.num6 > 0)?;
        let result = self
            .ipam
            .auto_assign_with(&req, Some(rider))
            .map_err(|e| rider.failure.take().unwrap_or_else(|| ipam_err(e)))?;
        for (fam, v) in [(&result.ipv4, 4), (&result.ipv6, 6)] {
            if let Some(a) = fam
                && let Some(msg) = a.partial_fulfillment_error()
            {
                // The caller takes back the endpoint, then the addresses (the handle is
                // this request's alone: a retried ADD returned earlier).
                return Err(CniError::new(
                    codes::IPAM_FAILURE,
                    format!("failed to request IPv{v} addresses: {msg}"),
                ));
            }
        }
        Ok(result.ips())
    }

    /// An address as Calico's calico-ipam gives it to Calico's own `calico` plugin: one it
    /// chose itself (automatic assignment) with its block's prefix length (`10.0.0.5/26`), as
    /// libcalico-go's AutoAssign returns it; one asked for by name (`IP=`, `ipAddrs`,
    /// `ipAddrsNoIpam`) as a host address (`/32`, `/128`), as Calico's plugin builds it. The
    /// `calico` plugin narrows either to a host address on the pod's interface.
    fn calico_address(&self, a: &Cidr, pools: &[IpPool]) -> Cidr {
        let named = self.args.get("IP").is_some_and(|ip| !ip.is_empty())
            || self.annotation(ANN_IP_ADDRS).is_some()
            || (self.sticky.is_some() && self.annotation(ANN_IP_ADDRS_BY_ORDINAL).is_some())
            || self.annotation(ANN_IP_ADDRS_NO_IPAM).is_some();
        if named {
            return Cidr::host(a.addr());
        }
        if a.prefix() < a.bits() {
            // Assigned just now: it carries its block's prefix.
            return *a;
        }
        // Held already (a retried ADD): the block size of the pool it lies in.
        pools
            .iter()
            .filter(|p| p.cidr().is_some_and(|c| c.contains_ip(a.addr())))
            .max_by_key(|p| p.cidr().map(|c| c.prefix()))
            .and_then(|p| Cidr::new(a.addr(), p.block_size()).ok())
            .unwrap_or_else(|| Cidr::host(a.addr()))
    }

    /// Builds the result for `assigned` and, unless the assignment wrote it (at revision
    /// `written`), records the endpoint with `on_endpoint` (the same addresses, except for
    /// one of several `IP=` requests).
    pub(super) fn finish_add(
        &self,
        assigned: &[Cidr],
        on_endpoint: &[Cidr],
        floating: &[IpAddr],
        pools: &[IpPool],
        written: Option<i64>,
    ) -> Result<serde_json::Value, CniError> {
        if assigned.is_empty() {
            return Err(CniError::new(
                codes::IPAM_FAILURE,
                "IPAM plugin returned missing IP config",
            ));
        }
        if written.is_none() {
            let has = |v4| on_endpoint.iter().any(|a| a.is_ipv4() == v4);
            check_floating_families(floating, has(true), has(false))?;
        }
        let mut result = IpamResult::default();
        for a in assigned {
            let version = a.version();
            if self.delegated() {
                let pool = pools
                    .iter()
                    .filter(|p| p.cidr().is_some_and(|c| c.contains_ip(a.addr())))
                    .max_by_key(|p| p.cidr().map(|c| c.prefix()))
                    .ok_or_else(|| {
                        CniError::new(
                            codes::IPAM_FAILURE,
                            format!("{} is not in any IP pool", a.addr()),
                        )
                    })?;
                let gw = self.gateway_for(pool)?;
                let prefix = pool.cidr().map_or(a.prefix(), |c| c.prefix());
                result.ips.push(ResultIp {
                    address: format!("{}/{prefix}", a.addr()),
                    gateway: Some(gw.to_string()),
                    version,
                });
            } else {
                result.ips.push(ResultIp {
                    address: self.calico_address(a, pools).to_string(),
                    gateway: None,
                    version,
                });
            }
        }
        result.routes = self.conf.ipam.routes.clone();
        if result.routes.is_empty() && self.delegated() {
            for ip in &result.ips {
                let dst = if ip.version == 4 { "0.0.0.0/0" } else { "::/0" };
                if !result.routes.iter().any(|r| r.dst == dst) {
                    result.routes.push(Route {
                        dst: dst.to_string(),
                        gw: None,
                    });
                }
            }
        }
        if written.is_none() {
            self.write_endpoint(on_endpoint, floating_nats(on_endpoint, floating))?;
        }
        Ok(result.to_json(&self.conf.cni_version))
    }
}
