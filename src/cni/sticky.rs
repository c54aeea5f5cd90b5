//! Sticky StatefulSet addresses (issue 25): a pod whose controller is a StatefulSet
//! (`apps/v1`), named `<statefulset>-<ordinal>` and annotated `cni.projectcalico.org/sticky:
//! "true"` holds its addresses under its identity's handle
//! (`<network>.sticky.<namespace>.<statefulset>-<ordinal>`, [`StickyId`]), not its
//! container's, so that DEL releases nothing of them (it looks only at the container's handle)
//! and the next pod of the identity, on any node, gets them back.
//!
//! - First ADD of an identity: as for any pod (pools chosen the same way, reservations, both
//!   families), or the ordinal's entry of `cni.projectcalico.org/ipAddrsByOrdinal`; each
//!   allocation's attributes also carry `sticky: <namespace>/<statefulset>-<ordinal>`. Two ADDs
//!   of one identity racing: the one that loses its compare finds the handle taken, stops,
//!   and takes the winner's addresses as a later ADD does.
//! - Later ADDs ([`Plugin::reuse_sticky`]): one transaction moves the allocations' `node`
//!   attribute to this node (one write per block), writes this pod's endpoint and deletes the
//!   endpoint of the identity's previous pod on its node (found by the `node` attribute it
//!   leaves behind) when that endpoint still lists the addresses, so no two endpoints ever hold
//!   them. The addresses are returned wherever their block lies.
//! - `ipAddrsByOrdinal`: a JSON list, entry i for ordinal i; an entry is an address or a list
//!   of addresses (at most one per family), so `["10.0.0.10", ["10.0.0.11", "fd00::11"]]`
//!   gives ordinal 1 both families. It is read only when the identity holds nothing (a changed
//!   list applies once the identity's addresses are released). On a pod that is not sticky it
//!   is refused, as are `ipAddrs` and `ipAddrsNoIpam` on a sticky pod.

use super::add::PodState;
use super::annotations::{ANN_IP_ADDRS, ANN_IP_ADDRS_BY_ORDINAL, ANN_IP_ADDRS_NO_IPAM, ANN_STICKY};
use super::endpoint::EndpointRider;
use super::plugin::{Plugin, client_err, ipam_err};
use super::types::{CniError, codes};
use crate::datastore::api::{Client, Stored as _};
use crate::datastore::{Read, keys};
use crate::ipam::plan::{Plan, Retry};
use crate::ipam::sticky::StickyId;
use crate::ipam::{AllocationBlock, IpamError, IpamHandle, ReleaseOptions, attr};
use crate::model::{Cidr, IpPool, WorkloadEndpoint};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// How often an ADD that lost a race for its identity's first allocation starts again.
const RACE_RESTARTS: usize = 3;

impl<'a> Plugin<'a> {
    /// The pod's sticky identity, from its controller reference and its annotation.
    pub(super) fn sticky_id(&self) -> Option<StickyId> {
        let owner = self.owner.as_ref()?;
        if owner.api_version != "apps/v1" || self.annotation(ANN_STICKY) != Some("true") {
            return None;
        }
        StickyId::from_pod(&self.namespace, &self.pod, &owner.kind, &owner.name)
    }

    /// `ipAddrsByOrdinal` means nothing without a sticky identity: refused, so that a
    /// forgotten `sticky` annotation (or a pod that only looks like a replica) fails loudly
    /// instead of getting some other address.
    pub(super) fn refuse_by_ordinal_unless_sticky(&self) -> Result<(), CniError> {
        if self.sticky.is_none() && self.annotation(ANN_IP_ADDRS_BY_ORDINAL).is_some() {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!(
                    "annotation \"{ANN_IP_ADDRS_BY_ORDINAL}\" applies only to a sticky pod: \
                     controlled by a StatefulSet (apps/v1), named <statefulset>-<ordinal>, \
                     with \"{ANN_STICKY}\": \"true\"; pod {}/{} is not",
                    self.namespace, self.pod
                ),
            ));
        }
        Ok(())
    }

    /// ADD of a sticky pod: its identity's addresses, else a first allocation for it.
    pub(super) fn add_sticky(
        &self,
        id: &StickyId,
        state: PodState,
    ) -> Result<serde_json::Value, CniError> {
        for annotation in [ANN_IP_ADDRS, ANN_IP_ADDRS_NO_IPAM] {
            if self.annotation(annotation).is_some() {
                return Err(CniError::new(
                    codes::INVALID_CONFIG,
                    format!(
                        "annotation \"{annotation}\" cannot be used on sticky pod {id}: \
                         use \"{ANN_IP_ADDRS_BY_ORDINAL}\""
                    ),
                ));
            }
        }
        let mut state = state;
        for _ in 0..RACE_RESTARTS {
            match self.add_sticky_once(id, state)? {
                Some(result) => return Ok(result),
                None => state = self.pools_and_held()?,
            }
        }
        Err(CniError::new(
            codes::TRY_AGAIN,
            format!("sticky identity {id} kept changing while being allocated"),
        ))
    }

    /// One try of [`Plugin::add_sticky`]; `None` when it lost a race for the first allocation.
    fn add_sticky_once(
        &self,
        id: &StickyId,
        state: PodState,
    ) -> Result<Option<serde_json::Value>, CniError> {
        let PodState {
            pools,
            handle_exists,
            endpoint,
            ready,
            ..
        } = state;
        let floating = self.floating_ips(&pools)?;
        let mut rider = EndpointRider::new(self, &floating, Vec::new(), endpoint, ready);
        if handle_exists && let Some(held) = self.reuse_sticky(&mut rider)? {
            let written = rider.written;
            let result = self.finish_add(&held, &held, &floating, &pools, written);
            if result.is_err() {
                // The identity keeps its addresses; only this pod's endpoint goes.
                self.undo_endpoint(written);
            }
            return result.map(Some);
        }
        let by_ordinal = self.by_ordinal(id, &pools)?;
        rider.fresh_handle = Some(keys::handle(&self.handle));
        let assigned = match &by_ordinal {
            Some(ips) => self
                .check_fixed(ips, &pools)
                .and_then(|()| self.assign_fixed(ips, &mut rider)),
            None => self.assign_auto(&pools, &mut rider),
        };
        let written = rider.written;
        if rider.raced {
            // What this request took (none, or the first of two fixed addresses) goes back,
            // guarded by the handle; the winner's stay.
            self.undo_endpoint(written);
            self.release_own(&rider.held)?;
            return Ok(None);
        }
        let result = assigned
            .and_then(|assigned| self.finish_add(&assigned, &assigned, &floating, &pools, written));
        if result.is_err() {
            // The handle was this request's alone (the rider checked after every conflict).
            self.undo_endpoint(written);
            let _ = self.ipam.release_by_handle(&self.handle);
        }
        result.map(Some)
    }

    /// Releases `ips` if this pod's handle still holds them.
    fn release_own(&self, ips: &[Cidr]) -> Result<(), CniError> {
        if ips.is_empty() {
            return Ok(());
        }
        let options: Vec<ReleaseOptions> = ips
            .iter()
            .map(|a| ReleaseOptions {
                handle: Some(self.handle.clone()),
                ..ReleaseOptions::ip(a.addr())
            })
            .collect();
        self.ipam
            .release_ips(&options)
            .map(|_| ())
            .map_err(ipam_err)
    }

    /// The addresses the identity holds, taken by this pod in one transaction (see the
    /// module's documentation); `None` when the handle holds nothing (any more).
    pub(super) fn reuse_sticky(
        &self,
        rider: &mut EndpointRider<'_, '_>,
    ) -> Result<Option<Vec<Cidr>>, CniError> {
        let mut retry = Retry::new();
        loop {
            let mut plan = Plan::new();
            let Some(held) = self.plan_reuse(&mut plan)? else {
                return Ok(None);
            };
            let ridden = crate::ipam::rider::ride(rider, &mut plan, &held);
            if let Err(e) = ridden {
                return Err(rider.failure.take().unwrap_or_else(|| ipam_err(e)));
            }
            match plan.commit(self.client.store()).map_err(ipam_err)? {
                Some(revision) => {
                    use crate::ipam::Rider as _;
                    rider.committed(revision);
                    return Ok(Some(held));
                }
                None => {
                    use crate::ipam::Rider as _;
                    rider.conflicted();
                    retry.conflict().map_err(ipam_err)?;
                }
            }
        }
    }

    /// Plans [`Plugin::reuse_sticky`]'s writes but the endpoint's: each block holding the
    /// identity's addresses (compared, and written when its `node` attribute moves here), and
    /// the deletion of the previous pod's endpoint on another node while it lists them.
    /// Returns the addresses, each with its block's prefix.
    fn plan_reuse(&self, plan: &mut Plan) -> Result<Option<Vec<Cidr>>, CniError> {
        let store = self.client.store();
        let handle_key = keys::handle(&self.handle);
        let Some(kv) = store.get(&handle_key).map_err(|e| client_err(e.into()))? else {
            return Ok(None);
        };
        let handle = IpamHandle::from_json(&kv.value).map_err(|e| {
            CniError::new(
                codes::IPAM_FAILURE,
                format!("failed to decode the value of {handle_key}: {e}"),
            )
        })?;
        plan.require(&handle_key, kv.mod_revision);
        let cidrs: Vec<Cidr> = handle
            .block
            .keys()
            .filter_map(|b| Cidr::parse(b).ok())
            .map(|c| c.network())
            .collect();
        let reads: Vec<Read> = cidrs.iter().map(|c| Read::Key(keys::block(c))).collect();
        let blocks = store
            .read_many(&reads)
            .map_err(|e| client_err(e.into()))?
            .results;
        let mut held = Vec::new();
        let mut previous_nodes = BTreeSet::new();
        for (cidr, kvs) in cidrs.iter().zip(blocks) {
            let Some(kv) = kvs.into_iter().next() else {
                continue;
            };
            let mut block = AllocationBlock::from_json(&kv.value).map_err(|e| {
                ipam_err(IpamError::Decode {
                    key: keys::block(cidr),
                    message: e.to_string(),
                })
            })?;
            let ips = block.ips_by_handle(&self.handle);
            if ips.is_empty() {
                continue;
            }
            plan.require(&kv.key, kv.mod_revision);
            let mut moved = false;
            for a in block.attributes.iter_mut().flatten() {
                if a.handle() != Some(self.handle.as_str()) {
                    continue;
                }
                let secondary = a.secondary.get_or_insert_with(Default::default);
                if secondary.get(attr::NODE) != Some(&self.node) {
                    if let Some(old) = secondary.insert(attr::NODE.to_string(), self.node.clone()) {
                        previous_nodes.insert(old);
                    }
                    moved = true;
                }
            }
            if moved {
                block.bump();
                plan.put(kv.key.clone(), block.to_json());
            }
            let prefix = block.cidr.prefix();
            held.extend(ips.into_iter().filter_map(|ip| Cidr::new(ip, prefix).ok()));
        }
        if held.is_empty() {
            return Ok(None);
        }
        held.sort_by_key(|c| (!c.is_ipv4(), c.addr()));
        self.plan_stale_endpoints(plan, &previous_nodes, &held)?;
        Ok(Some(held))
    }

    /// Deletes (in `plan`) this pod's endpoints on `nodes` that list any of `held`.
    fn plan_stale_endpoints(
        &self,
        plan: &mut Plan,
        nodes: &BTreeSet<String>,
        held: &[Cidr],
    ) -> Result<(), CniError> {
        let keys: Vec<String> = nodes
            .iter()
            .map(|n| WorkloadEndpoint::key(Some(&self.namespace), &self.endpoint_name_on(n)))
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        let reads: Vec<Read> = keys.iter().cloned().map(Read::Key).collect();
        let found = self
            .client
            .store()
            .read_many(&reads)
            .map_err(|e| client_err(e.into()))?
            .results;
        for kv in found.into_iter().flatten() {
            let wep: WorkloadEndpoint = Client::from_kv(&kv).map_err(client_err)?;
            let lists =
                wep.spec.ip_networks.iter().any(|n| {
                    Cidr::parse(n).is_ok_and(|c| held.iter().any(|h| h.addr() == c.addr()))
                });
            if lists {
                plan.require(&kv.key, kv.mod_revision);
                plan.delete(kv.key);
            }
        }
        Ok(())
    }

    /// The addresses `ipAddrsByOrdinal` gives this identity (`None` without the annotation),
    /// checked before anything is written: an entry for the ordinal, valid addresses, at most
    /// one per family, each in an enabled pool and held by no other handle.
    fn by_ordinal(&self, id: &StickyId, pools: &[IpPool]) -> Result<Option<Vec<IpAddr>>, CniError> {
        let Some(value) = self.annotation(ANN_IP_ADDRS_BY_ORDINAL) else {
            return Ok(None);
        };
        let entries = parse_by_ordinal(value)?;
        let Some(entry) = entries.get(id.ordinal as usize) else {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!(
                    "annotation \"{ANN_IP_ADDRS_BY_ORDINAL}\" has {} entries: none for ordinal {} ({id})",
                    entries.len(),
                    id.ordinal
                ),
            ));
        };
        let ips = self.parse_ip_addrs(ANN_IP_ADDRS_BY_ORDINAL, &entry_json(entry))?;
        for ip in &ips {
            let in_pool = pools
                .iter()
                .filter(|p| !p.spec.disabled)
                .filter_map(IpPool::cidr)
                .any(|c| c.contains_ip(*ip));
            if !in_pool {
                return Err(CniError::new(
                    codes::IPAM_FAILURE,
                    format!(
                        "error getting IP from IPAM: The provided IP address {ip} (ordinal {} \
                         of \"{ANN_IP_ADDRS_BY_ORDINAL}\", {id}) is not in a configured pool",
                        id.ordinal
                    ),
                ));
            }
            match self.ipam.get_assignment_attributes(*ip) {
                Err(IpamError::NotAssigned(_)) => {}
                Err(e) => return Err(ipam_err(e)),
                Ok(a) => {
                    let holder = a.handle_id.unwrap_or_default();
                    let who = match StickyId::parse_handle(&holder) {
                        Some((_, other)) => format!("sticky identity {other} (handle {holder})"),
                        None => format!("handle {holder}"),
                    };
                    return Err(CniError::new(
                        codes::IPAM_FAILURE,
                        format!(
                            "error getting IP from IPAM: {ip} (ordinal {} of \
                             \"{ANN_IP_ADDRS_BY_ORDINAL}\", {id}) is already held by {who}",
                            id.ordinal
                        ),
                    ));
                }
            }
        }
        Ok(Some(ips))
    }
}

impl Plugin<'_> {
    /// For CHECK, which reads no pod: the addresses of the sticky identity whose handle holds
    /// what this container's endpoint lists, when that identity is this pod's (none else).
    pub(super) fn held_for_sticky_endpoint(&self) -> Result<Vec<IpAddr>, CniError> {
        let Some(wep) = self
            .client
            .get_opt::<WorkloadEndpoint>(Some(&self.namespace), &self.endpoint_name())
            .map_err(client_err)?
            .filter(|w| w.spec.container_id == self.inv.container_id)
        else {
            return Ok(Vec::new());
        };
        let Some(first) = wep
            .spec
            .ip_networks
            .iter()
            .find_map(|n| Cidr::parse(n).ok())
        else {
            return Ok(Vec::new());
        };
        let handle = match self.ipam.get_assignment_attributes(first.addr()) {
            Ok(a) => a.handle_id.unwrap_or_default(),
            Err(IpamError::NotAssigned(_)) => return Ok(Vec::new()),
            Err(e) => return Err(ipam_err(e)),
        };
        let ours = StickyId::parse_handle(&handle).is_some_and(|(network, id)| {
            network == self.conf.name
                && id.namespace == self.namespace
                && format!("{}-{}", id.statefulset, id.ordinal) == self.pod
        });
        if ours {
            self.held_by(&handle)
        } else {
            Ok(Vec::new())
        }
    }
}

/// One ordinal's entry of `ipAddrsByOrdinal`: its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    One(String),
    Several(Vec<String>),
}

/// The entry as an `ipAddrs` value, so that it is checked with that annotation's rules.
fn entry_json(entry: &Entry) -> String {
    match entry {
        Entry::One(a) => serde_json::json!([a]).to_string(),
        Entry::Several(list) => serde_json::json!(list).to_string(),
    }
}

/// `ipAddrsByOrdinal`: a JSON list whose entries are an address or a list of addresses.
fn parse_by_ordinal(value: &str) -> Result<Vec<Entry>, CniError> {
    let fail = |why: String| {
        CniError::new(
            codes::INVALID_CONFIG,
            format!(
                "failed to parse IPs {value} for annotation \"{ANN_IP_ADDRS_BY_ORDINAL}\": {why}"
            ),
        )
    };
    let parsed: serde_json::Value = serde_json::from_str(value)
        .map_err(|e| fail(format!("failed to parse '{value}' as JSON: {e}")))?;
    let serde_json::Value::Array(items) = parsed else {
        return Err(fail(
            "expected a list with an address, or a list of addresses, per ordinal".into(),
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            serde_json::Value::String(s) => Ok(Entry::One(s)),
            serde_json::Value::Array(list) => list
                .into_iter()
                .map(|a| match a {
                    serde_json::Value::String(s) => Ok(s),
                    other => Err(fail(format!("entry {i}: {other} is not an address"))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Entry::Several),
            other => Err(fail(format!(
                "entry {i}: {other} is neither an address nor a list of addresses"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_ordinal_entries_are_an_address_or_a_list() {
        let got = parse_by_ordinal(r#"["10.0.0.10", ["10.0.0.11", "fd00::11"], []]"#).unwrap();
        assert_eq!(
            got,
            [
                Entry::One("10.0.0.10".into()),
                Entry::Several(vec!["10.0.0.11".into(), "fd00::11".into()]),
                Entry::Several(vec![]),
            ]
        );
        assert_eq!(entry_json(&got[1]), r#"["10.0.0.11","fd00::11"]"#);
        for bad in [r#""10.0.0.1""#, "[1]", r#"[["a", 2]]"#, "[", r#"{"a":1}"#] {
            let e = parse_by_ordinal(bad).unwrap_err();
            assert_eq!(e.code, codes::INVALID_CONFIG);
            assert!(
                e.msg.starts_with(&format!(
                    "failed to parse IPs {bad} for annotation \"{ANN_IP_ADDRS_BY_ORDINAL}\": "
                )),
                "{}",
                e.msg
            );
        }
    }
}
