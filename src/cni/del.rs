//! CNI DEL: releases the container's addresses (and a pre-v3 handle) with its endpoint;
//! anything unknown is already released.

use super::endpoint::EndpointRemover;
use super::plugin::{HostLock, Plugin, client_err, ipam_err};
use super::types::CniError;
use crate::datastore::api::ClientError;
use crate::ipam::IpamError;
use crate::model::WorkloadEndpoint;

impl<'a> Plugin<'a> {
    pub(super) fn del(&self) -> Result<(), CniError> {
        let _lock = HostLock::acquire(
            self.conf
                .ipam_lock_file
                .as_deref()
                .unwrap_or("/var/run/calico/ipam.lock"),
        );
        // The endpoint goes in the transaction that releases the addresses: a DEL cut short
        // leaves both or neither, never an endpoint (and its floating-IP NAT) pointing at an
        // address IPAM may hand to another pod, nor an address nothing uses.
        // One round trip reads the handle, the endpoint and the pre-v3 handle.
        let mut remover = EndpointRemover::new(self, &self.inv.container_id, true);
        match self
            .ipam
            .release_by_handle_with(&self.handle, Some(&mut remover))
        {
            Ok(()) | Err(IpamError::HandleNotFound(_)) => {}
            Err(e) => return Err(remover.failure.take().unwrap_or_else(|| ipam_err(e))),
        }
        if !remover.removed {
            // Nothing released with it (no addresses under the handle: ipAddrsNoIpam, or
            // released already): the endpoint goes on its own.
            if let Some(revision) = remover.revision {
                match self.client.delete::<WorkloadEndpoint>(
                    Some(&self.namespace),
                    &self.endpoint_name(),
                    Some(&revision.to_string()),
                ) {
                    Ok(_) | Err(ClientError::NotFound(_)) => {}
                    Err(e) => return Err(client_err(e)),
                }
            }
        }
        // Calico before v3 keyed a pod's addresses by its workload ID, `<namespace>.<pod>`;
        // DEL releases that handle too, so that such allocations do not outlive the pod.
        if let Some(legacy) = remover.legacy_handle().filter(|_| remover.legacy) {
            match self.ipam.release_by_handle(&legacy) {
                Ok(()) | Err(IpamError::HandleNotFound(_)) => {}
                Err(e) => return Err(ipam_err(e)),
            }
        }
        Ok(())
    }
}
