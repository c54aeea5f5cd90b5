//! Deleting a Node the way Calico's client does (libcalico-go's `nodes.Delete`): everything
//! that belongs to the node goes first, the Node itself last, so a delete that stops part-way
//! can be run again and finishes the job.
//!
//! Two differences: besides Calico's IPv4 tunnel addresses (IPIP, VXLAN, WireGuard), the
//! node's IPv6 ones (VXLAN, WireGuard) are released too, which Calico leaves allocated; and an
//! address an endpoint lists is released only while it is still that endpoint's container's
//! (or the node's), never when it has been handed to another pod since.

use super::plan::{Plan, Retry};
use super::{AssignmentAttributes, Ipam, IpamError, ReleaseOptions, Result};
use crate::datastore::api::ClientError;
use crate::datastore::{KeyValue, keys};
use crate::model::{Cidr, Node, Resource, WorkloadEndpoint};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Kinds whose objects name one node in `spec.node` (deleted with it).
const PER_NODE_KINDS: &[&str] = &["bgppeers", "hostendpoints"];
/// Kinds with a per-node object `node.<name>` (deleted with it).
const NODE_CONFIG_KINDS: &[&str] = &["felixconfigurations", "bgpconfigurations"];

/// `spec.node` of a stored v3 object, if it is JSON and has one.
fn spec_node(kv: &KeyValue) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(&kv.value).ok()?;
    Some(v.pointer("/spec/node")?.as_str()?.to_string())
}

impl Ipam {
    /// Deletes Node `name` and what belongs to it, in Calico's order:
    /// 1. the WorkloadEndpoints whose `spec.node` is the node are listed and their
    ///    `ipNetworks` addresses collected;
    /// 2. the node's tunnel addresses are added;
    /// 3. those addresses are released, each only while it is still allocated to the endpoint's
    ///    container or to the node (`Ipam::release_if_still_the_nodes`; Calico releases them
    ///    whoever holds them now);
    /// 4. the endpoints are deleted (after the release: a delete stopped in between still
    ///    finds the addresses through them when run again);
    /// 5. the host leaves IPAM ([`Ipam::remove_ipam_host`]): its block affinities are released
    ///    (empty blocks go, others keep their addresses and lose their owner) and the legacy
    ///    `/calico/ipam/v2/host/<node>` key is deleted;
    /// 6. BGPPeers and HostEndpoints whose `spec.node` is the node, and FelixConfiguration and
    ///    BGPConfiguration `node.<name>`, are deleted (this build has no types for those
    ///    kinds, so they go by key under Calico's layout; absent ones are fine);
    /// 7. the Node is deleted.
    ///
    /// As in Calico, a Node that does not exist still has its leftovers cleaned up, and the
    /// delete then fails with `resource does not exist`. With a `resource_version`, a Node at
    /// another version is refused (`update conflict`) before anything is touched. Returns the
    /// deleted Node.
    pub fn delete_node(&self, name: &str, resource_version: Option<&str>) -> Result<Node> {
        let client = self.client();
        let node: Option<Node> = client.get_opt(None, name)?;
        let resource_version = resource_version.filter(|rv| !rv.is_empty());
        if let (Some(n), Some(rv)) = (&node, resource_version)
            && n.metadata.resource_version != rv
        {
            return Err(ClientError::Conflict(n.id()).into());
        }

        let endpoints: Vec<WorkloadEndpoint> = client
            .list::<WorkloadEndpoint>(None)?
            .items
            .into_iter()
            .filter(|w| w.spec.node == name)
            .collect();
        // Each address with the container whose endpoint lists it (tunnel addresses: none).
        let endpoint_ips = endpoints.iter().flat_map(|w| {
            let container = w.spec.container_id.as_str();
            w.spec
                .ip_networks
                .iter()
                .map(move |a| (a.as_str(), container))
        });
        let tunnel_ips = node
            .iter()
            .flat_map(Node::tunnel_addresses)
            .map(|a| (a, ""));
        let ips: BTreeMap<IpAddr, &str> = endpoint_ips
            .chain(tunnel_ips)
            .filter_map(|(a, container)| Some((Cidr::parse_ip_or_cidr(a).ok()?.addr(), container)))
            .collect();
        let addresses: Vec<IpAddr> = ips.keys().copied().collect();
        let held = self.get_assignments_attributes(&addresses)?;
        let mut release = Vec::new();
        for ((ip, container), held) in ips.into_iter().zip(held) {
            if let Some(r) = Self::release_if_still_the_nodes(ip, held, name, container)? {
                release.push(r);
            }
        }
        self.release_ips(&release)?;

        for w in &endpoints {
            let ns = Some(w.metadata.namespace.as_str());
            match client.delete::<WorkloadEndpoint>(ns, &w.metadata.name, None) {
                Ok(_) | Err(ClientError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }

        self.remove_ipam_host(name)?;

        for plural in PER_NODE_KINDS {
            for kv in self.store().list(&keys::resource_prefix(plural, None))?.kvs {
                if spec_node(&kv).as_deref() == Some(name) {
                    self.delete_key_if(&kv.key, |kv| spec_node(kv).as_deref() == Some(name))?;
                }
            }
        }
        let config_name = format!("node.{name}");
        for plural in NODE_CONFIG_KINDS {
            self.delete_key_if(&keys::resource(plural, None, &config_name), |_| true)?;
        }

        Ok(client.delete::<Node>(None, name, resource_version)?)
    }

    /// How to release `ip`, held as `held` (read with the others), listed by an endpoint of
    /// `node` (of container `container`, empty for none) or as its tunnel address, if its
    /// allocation is still that one: the handle of
    /// the endpoint's container (`<network>.<container>`), or else an allocation recorded for
    /// the node or for no node in particular. An address handed to someone else since (a
    /// stale endpoint's) is left alone; Calico releases it whoever holds it. The release is
    /// guarded by the handle and sequence number read here.
    fn release_if_still_the_nodes(
        ip: IpAddr,
        held: Result<AssignmentAttributes>,
        node: &str,
        container: &str,
    ) -> Result<Option<ReleaseOptions>> {
        let held = match held {
            Ok(a) => a,
            Err(IpamError::NotAssigned(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let ours = if container.is_empty() {
            held.attrs.get("node").is_none_or(|n| n == node)
        } else {
            held.handle_id.as_deref().is_some_and(|h| {
                h == container || h.strip_suffix(container).is_some_and(|n| n.ends_with('.'))
            })
        };
        Ok(ours.then_some(ReleaseOptions {
            address: ip,
            handle: held.handle_id,
            sequence_number: Some(held.sequence_number),
        }))
    }

    /// Deletes `key` if it exists and `wanted` holds for its value, in one transaction
    /// on the revision read (a value changed in between is read and decided again).
    pub(super) fn delete_key_if(
        &self,
        key: &str,
        wanted: impl Fn(&KeyValue) -> bool,
    ) -> Result<()> {
        let mut retry = Retry::new();
        loop {
            let Some(kv) = self.store().get(key)? else {
                return Ok(());
            };
            if !wanted(&kv) {
                return Ok(());
            }
            let mut plan = Plan::new();
            plan.require(key, kv.mod_revision);
            plan.delete(key.to_string());
            if plan.commit(self.store())?.is_some() {
                return Ok(());
            }
            retry.conflict()?;
        }
    }
}
