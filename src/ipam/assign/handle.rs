//! The request's IPAM handle, kept current across the request's transactions.

use crate::datastore::keys;
use crate::ipam::plan::Plan;
use crate::ipam::{Ipam, IpamHandle, Result, Stored};
use crate::model::Cidr;

/// The handle of a request, kept current across the request's transactions.
///
/// It starts out assumed absent (pods and tunnels use a fresh handle per assignment), which
/// saves a read per assignment; the transaction requires the key to be absent, so if it does
/// exist the compare fails, the handle is read, and the retry adds to its counts.
pub(crate) struct HandleState {
    pub(super) id: String,
    key: String,
    cached: Option<Option<Stored<IpamHandle>>>,
}

impl HandleState {
    pub(crate) fn new(id: &str) -> HandleState {
        HandleState {
            id: id.to_string(),
            key: keys::handle(id),
            cached: Some(None),
        }
    }

    /// The handle's value and revision (a default value and 0 when absent).
    pub(super) fn load(&mut self, ipam: &Ipam) -> Result<(IpamHandle, i64)> {
        if self.cached.is_none() {
            self.cached = Some(ipam.read_handle(&self.id)?);
        }
        Ok(match self.cached.as_ref().and_then(Option::as_ref) {
            Some(s) => (s.value.clone(), s.revision),
            None => (IpamHandle::default(), 0),
        })
    }

    pub(super) fn committed(&mut self, value: IpamHandle, revision: i64) {
        self.cached = Some(Some(Stored { value, revision }));
    }

    pub(super) fn invalidate(&mut self) {
        self.cached = None;
    }

    /// `value` is planned in a transaction not yet committed: later plans build on it and
    /// still compare the revision read.
    pub(super) fn tentative(&mut self, value: IpamHandle) {
        let revision = self
            .cached
            .as_ref()
            .and_then(Option::as_ref)
            .map_or(0, |s| s.revision);
        self.cached = Some(Some(Stored { value, revision }));
    }

    /// Adds the handle's increment for `n` addresses in `block` to `plan`; returns the new value.
    pub(super) fn plan_increment(
        &mut self,
        ipam: &Ipam,
        plan: &mut Plan,
        block: &Cidr,
        n: usize,
    ) -> Result<IpamHandle> {
        let (mut value, revision) = self.load(ipam)?;
        value.increment(&block.to_string(), n as i64);
        plan.require(&self.key, revision);
        plan.put(self.key.clone(), value.to_json());
        Ok(value)
    }
}
