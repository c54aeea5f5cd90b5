//! CNI CHECK: the container still holds its addresses, those of its previous result too.

use super::annotations::ANN_IP_ADDRS_NO_IPAM;
use super::plugin::Plugin;
use super::types::{CniError, codes};
use crate::model::Cidr;

impl<'a> Plugin<'a> {
    pub(super) fn check(&self) -> Result<(), CniError> {
        let mut held = self.held_by(&self.handle)?;
        if held.is_empty() {
            // A sticky pod's addresses are its identity's (CHECK does not read the pod).
            held = self.held_for_sticky_endpoint()?;
        }
        let no_ipam = self.annotation(ANN_IP_ADDRS_NO_IPAM).is_some();
        if held.is_empty() && !no_ipam {
            return Err(CniError::new(
                codes::IPAM_FAILURE,
                format!(
                    "no IP addresses are allocated to container {}",
                    self.inv.container_id
                ),
            ));
        }
        if let Some(prev) = &self.conf.prev_result {
            for ip in prev
                .get("ips")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                let Some(addr) = ip.get("address").and_then(|a| a.as_str()) else {
                    continue;
                };
                let Ok(c) = Cidr::parse(addr) else { continue };
                if !no_ipam && !held.contains(&c.addr()) {
                    return Err(CniError::new(
                        codes::IPAM_FAILURE,
                        format!(
                            "IP address {} is no longer allocated to container {}",
                            c.addr(),
                            self.inv.container_id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
