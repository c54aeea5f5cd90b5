//! Writes that ride along with an assignment: what a caller records about the addresses it
//! is given (calico-ipam's WorkloadEndpoint) committed in the same transactions as the
//! addresses themselves, so that the record never lists less or more than is held, and the
//! caller saves the round trip of a transaction of its own.

use super::Result;
use super::plan::Plan;
use crate::datastore::{KeyValue, Read};
use crate::model::Cidr;

/// One key a [`Rider`] writes, and the revision it must be at (0: absent) for the
/// transaction to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiderWrite {
    /// The key.
    pub key: String,
    /// Its revision as the rider last saw it (0: it must not exist).
    pub revision: i64,
    /// The value to store (`None`: delete the key).
    pub value: Option<Vec<u8>>,
}

/// A caller's writes for [`Ipam::auto_assign_with`](super::Ipam::auto_assign_with),
/// [`Ipam::assign_ip_with`](super::Ipam::assign_ip_with) and
/// [`Ipam::release_by_handle_with`](super::Ipam::release_by_handle_with).
///
/// The rider is asked for each take of addresses, given every address the request holds
/// once that take commits, and its writes go into the take's transaction, so that what the
/// caller records always lists exactly what the request holds. A request that takes from
/// several blocks is asked several times: takes that commit on their own write one after
/// the other (the rider learns the revision it wrote at from [`Rider::committed`]); IPv4's
/// last take and IPv6's first share a transaction, where the later writes replace the
/// earlier. Should the request then fail or come up short, its addresses are released but
/// the rider's last committed writes stay: the caller undoes them if it must.
///
/// Before it writes, a rider may have keys read: they go with the operation's own first read
/// (one round trip for both) and come back through [`Rider::read`].
pub trait Rider {
    /// Keys to read before the first [`Rider::writes`] of an attempt. An assignment reads them
    /// with what it reads about the host (or on their own, when an agent's cache spares it that
    /// read); a release by handle with the handle. None by default.
    fn reads(&self) -> Vec<String> {
        Vec::new()
    }

    /// The answers to [`Rider::reads`], in the same order (`None`: absent), read in the same
    /// round trip as what the operation read. An error fails the request before it writes.
    fn read(&mut self, answers: Vec<Option<KeyValue>>) -> Result<()> {
        let _ = answers;
        Ok(())
    }

    /// The writes for a transaction after which the request holds `assigned` (IPv4 first,
    /// each with its block's prefix). An error abandons the transaction and fails the request
    /// (what it took is released). A release by handle asks once, for its first transaction,
    /// with nothing in `assigned`.
    fn writes(&mut self, assigned: &[Cidr]) -> Result<Vec<RiderWrite>>;

    /// Keys that must still be at the given revision (0: absent) for the transaction
    /// carrying the last [`Rider::writes`] to commit, without being written (a flag the
    /// caller read and relies on, such as the datastore lock). None by default.
    fn requires(&self) -> Vec<(String, i64)> {
        Vec::new()
    }

    /// The transaction carrying the last [`Rider::writes`] committed at `revision`.
    fn committed(&mut self, revision: i64);

    /// The transaction carrying the last writes failed a compare. The failed compare may
    /// have been the rider's own (its key changed since it was read, or was assumed absent
    /// and exists): the next [`Rider::writes`] should read its keys again.
    fn conflicted(&mut self);
}

/// Reads `reads` and, in the same round trip, `rider`'s keys ([`Rider::reads`]); hands the
/// rider its answers and returns the answers to `reads`, in order.
pub(crate) fn read_with(
    store: &crate::datastore::Store,
    mut reads: Vec<Read>,
    rider: Option<&mut dyn Rider>,
) -> Result<Vec<Vec<KeyValue>>> {
    let asked = reads.len();
    let keys = rider.as_deref().map(|r| r.reads()).unwrap_or_default();
    reads.extend(keys.iter().map(|k| Read::Key(k.clone())));
    if reads.is_empty() {
        return Ok(Vec::new());
    }
    let mut results = store.read_many(&reads)?.results;
    let theirs = results.split_off(asked.min(results.len()));
    if let Some(r) = rider
        && !keys.is_empty()
    {
        r.read(theirs.into_iter().map(|a| a.into_iter().next()).collect())?;
    }
    Ok(results)
}

/// Adds `rider`'s writes for `assigned`, and their conditions, to `plan`.
pub(crate) fn ride(rider: &mut dyn Rider, plan: &mut Plan, assigned: &[Cidr]) -> Result<()> {
    for w in rider.writes(assigned)? {
        plan.require(&w.key, w.revision);
        match w.value {
            Some(value) => plan.put(w.key, value),
            None => plan.delete(w.key),
        }
    }
    for (key, revision) in rider.requires() {
        plan.require(&key, revision);
    }
    Ok(())
}
