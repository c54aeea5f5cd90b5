//! `calicoctl ipam split`: replace a pool by 2^k smaller pools with the same settings.
//!
//! Calico disables the pool, creates the children without an overlap check and deletes the
//! parent, in separate writes. We do the create-children-and-delete-parent step as one
//! compare-and-swap transaction, so a crash never leaves both or neither. Blocks and
//! affinities stay valid: they sit inside the children with the same block size.

use super::{Ipam, IpamError, Result};
use crate::datastore::{MAX_TXN_OPS, Txn, keys};
use crate::model::{Cidr, IpPool, Resource};

/// Why a split is refused (Calico's texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// `n` is not 2, 4, 8, ...
    #[error(
        "error splitting the CIDR {cidr} into {n} CIDRs: number to split CIDR into is not a valid power of 2: {n}"
    )]
    NotPowerOfTwo {
        /// The pool's CIDR.
        cidr: Cidr,
        /// The number asked for.
        n: i64,
    },
    /// The children would be smaller than an address (or than a block).
    #[error(
        "error splitting the CIDR {cidr} into {n} CIDRs: the CIDR {cidr} is not large enough to be split into {n} parts"
    )]
    TooSmall {
        /// The pool's CIDR.
        cidr: Cidr,
        /// The number asked for.
        n: i64,
    },
}

/// The child CIDRs of a split, in ascending order.
pub fn split_cidr(
    cidr: Cidr,
    n: i64,
    block_size: u8,
) -> std::result::Result<Vec<Cidr>, SplitError> {
    if n < 2 || !(n as u64).is_power_of_two() {
        return Err(SplitError::NotPowerOfTwo { cidr, n });
    }
    let extra = n.trailing_zeros() as u8;
    let prefix = cidr.prefix() as u32 + extra as u32;
    if prefix > cidr.bits() as u32 || prefix > block_size as u32 {
        return Err(SplitError::TooSmall { cidr, n });
    }
    let prefix = prefix as u8;
    Ok((0..n as u128).map(|i| cidr.subnet(prefix, i)).collect())
}

/// The name of the `i`-th child of `parent`, kept within 253 characters.
pub(crate) fn child_name(parent: &str, i: u64) -> String {
    let suffix = format!("-{i}");
    let mut base = format!("split-{parent}");
    let max = 253 - suffix.len();
    if base.len() > max {
        base.truncate(max);
        while base.ends_with(['-', '.']) {
            base.pop();
        }
    }
    format!("{base}{suffix}")
}

impl Ipam {
    /// Builds the children of `parent` (settings copied, enabled, CIDRs from [`split_cidr`]).
    pub(crate) fn split_children(
        &self,
        parent: &IpPool,
        n: i64,
    ) -> Result<std::result::Result<Vec<IpPool>, SplitError>> {
        let cidr = parent.cidr().ok_or_else(|| IpamError::Decode {
            key: keys::resource(IpPool::PLURAL, None, &parent.metadata.name),
            message: format!("invalid CIDR {}", parent.spec.cidr),
        })?;
        let children = match split_cidr(cidr, n, parent.block_size()) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(children
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let mut child =
                    IpPool::new(&child_name(&parent.metadata.name, i as u64), &c.to_string());
                child.spec = parent.spec.clone();
                child.spec.cidr = c.to_string();
                child.spec.disabled = false;
                child.metadata.labels = parent.metadata.labels.clone();
                child.metadata.annotations = parent.metadata.annotations.clone();
                child
            })
            .collect()))
    }

    /// Checks `children` against every stored pool but `parent`, as a create is checked
    /// (Calico's overlap message); returns them validated and defaulted, and the revision the
    /// pools were read at.
    pub fn check_split(&self, parent: &IpPool, children: &[IpPool]) -> Result<(Vec<IpPool>, i64)> {
        use crate::datastore::api::{Client, ClientError};
        let resp = self
            .store()
            .list(&keys::resource_prefix(IpPool::PLURAL, None))?;
        let others = resp
            .kvs
            .iter()
            .map(Client::from_kv::<IpPool>)
            .filter(|p| {
                p.as_ref()
                    .map_or(true, |p| p.metadata.name != parent.metadata.name)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut prepared = Vec::with_capacity(children.len());
        for child in children {
            let mut child = child.clone();
            child
                .validate_and_default(None, &others, &[])
                .map_err(ClientError::from)?;
            child.validate().map_err(ClientError::from)?;
            prepared.push(child);
        }
        Ok((prepared, resp.revision))
    }

    /// Replaces `parent` (read at its current revision) by `children`: one transaction when
    /// they fit in one ([`MAX_TXN_OPS`]), else the children in transactions of up to
    /// `MAX_TXN_OPS - 2` and then the parent's deletion, each guarded by the parent's revision
    /// (so a pool changed meanwhile stops the split). The children are checked against every
    /// other pool ([`Ipam::check_split`]) and each transaction also requires that no pool was
    /// created or changed since that check (else the check is done again), so a child never
    /// lands beside a pool it overlaps. Calico creates the children one at a time, so a split
    /// cut short leaves the children created so far beside the disabled parent, here as
    /// there; the error says how many. `progress` hears of every child written.
    pub(crate) fn replace_pool(
        &self,
        parent: &IpPool,
        children: Vec<IpPool>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<IpPool>> {
        let parent_key = keys::resource(IpPool::PLURAL, None, &parent.metadata.name);
        let pools_prefix = keys::resource_prefix(IpPool::PLURAL, None);
        let revision: i64 = parent.metadata.resource_version.parse().unwrap_or(0);
        let guarded = || Txn::new().require_revision(&parent_key, revision);
        let create = |txn: Txn, children: &[IpPool]| {
            children.iter().fold(txn, |txn, child| {
                let key = keys::resource(IpPool::PLURAL, None, &child.metadata.name);
                txn.require_absent(&key)
                    .put(&key, crate::go::json::to_vec(child))
            })
        };
        let conflict =
            || -> IpamError { crate::datastore::api::ClientError::Conflict(parent.id()).into() };
        let set_revision = |children: &mut [IpPool], revision: i64| {
            for c in children {
                c.metadata.resource_version = revision.to_string();
            }
        };
        let mut attempts = 0;
        let (mut prepared, mut pools_read_at) = loop {
            let (mut prepared, read_at) = self.check_split(parent, &children)?;
            for child in &mut prepared {
                child.metadata.uid = uuid::Uuid::new_v4().to_string();
                child.metadata.creation_timestamp =
                    Some(crate::go::time::rfc3339(crate::go::time::now()));
                child.set_type_meta();
            }
            // Comparisons: one per child, the parent's and the pools'.
            if prepared.len() + 2 > MAX_TXN_OPS {
                break (prepared, read_at);
            }
            let txn = create(guarded(), &prepared)
                .delete(&parent_key)
                .require_unchanged_since(&pools_prefix, read_at);
            let resp = self.store().txn(txn)?;
            if resp.succeeded {
                set_revision(&mut prepared, resp.revision);
                progress(prepared.len());
                return Ok(prepared);
            }
            let parent_now = self.store().get(&parent_key)?;
            let mut taken = false;
            for child in &prepared {
                let key = keys::resource(IpPool::PLURAL, None, &child.metadata.name);
                taken |= self.store().get(&key)?.is_some();
            }
            attempts += 1;
            if parent_now.is_none_or(|kv| kv.mod_revision != revision) || taken || attempts >= 10 {
                return Err(conflict());
            }
            // Another pool was written since the check: check again.
        };
        let (total, mut created) = (prepared.len(), 0);
        for chunk in prepared.chunks_mut(MAX_TXN_OPS - 2) {
            let stopped = |e: IpamError| -> IpamError {
                if created == 0 {
                    return e;
                }
                IpamError::SplitCutShort {
                    error: Box::new(e),
                    created,
                    total,
                    parent: parent.metadata.name.clone(),
                }
            };
            // Each chunk requires that no pool but the previous chunks' was written since.
            let txn =
                create(guarded(), chunk).require_unchanged_since(&pools_prefix, pools_read_at);
            let resp = self.store().txn(txn).map_err(|e| stopped(e.into()))?;
            if !resp.succeeded {
                return Err(stopped(conflict()));
            }
            pools_read_at = resp.revision;
            set_revision(chunk, resp.revision);
            created += chunk.len();
            progress(chunk.len());
        }
        let resp = self.store().txn(guarded().delete(&parent_key))?;
        if !resp.succeeded {
            return Err(conflict());
        }
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_bigger_than_one_transaction() {
        use crate::ipam::tests::{Fx, mem};
        for n in [64, 256] {
            let fx = Fx::new(mem());
            let mut parent = fx.pool("big", "10.0.0.0/16");
            parent.spec.disabled = true;
            let parent = fx.ipam.client().update(parent).unwrap();
            let children = fx.ipam.split_children(&parent, n).unwrap().unwrap();
            let mut written = 0;
            let created = fx
                .ipam
                .replace_pool(&parent, children, &mut |k| written += k)
                .unwrap();
            assert_eq!((created.len(), written), (n as usize, n as usize));
            let pools = fx.ipam.client().list::<IpPool>(None).unwrap().items;
            assert_eq!(
                pools.len(),
                n as usize,
                "the parent is gone, every child is there"
            );
            assert!(
                pools
                    .iter()
                    .all(|p| p.metadata.name.starts_with("split-big-"))
            );
        }
        // A pool changed since it was read stops the split before anything is written.
        let fx = Fx::new(mem());
        let parent = fx.pool("big", "10.0.0.0/16");
        let children = fx.ipam.split_children(&parent, 256).unwrap().unwrap();
        let mut changed = parent.clone();
        changed.spec.disabled = true;
        fx.ipam.client().update(changed).unwrap();
        assert!(
            fx.ipam
                .replace_pool(&parent, children, &mut |_| {})
                .is_err()
        );
        assert_eq!(
            fx.ipam.client().list::<IpPool>(None).unwrap().items.len(),
            1
        );
    }

    #[test]
    fn a_child_that_would_overlap_another_pool_is_refused_and_nothing_changes() {
        use crate::datastore::Txn;
        use crate::ipam::tests::{Fx, mem};
        let fx = Fx::new(mem());
        let parent = fx.pool("big", "10.0.0.0/16");
        // A pool inside the parent, as another tool may have written it (no overlap check).
        let mut stray = IpPool::new("stray", "10.0.200.0/24");
        stray.metadata.uid = "u".into();
        let key = keys::resource(IpPool::PLURAL, None, "stray");
        let txn = Txn::new().put(&key, crate::go::json::to_vec(&stray));
        assert!(fx.store().txn(txn).unwrap().succeeded);
        let children = fx.ipam.split_children(&parent, 2).unwrap().unwrap();
        let err = fx
            .ipam
            .replace_pool(&parent, children.clone(), &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("IPPool(split-big-1) CIDR overlaps with IPPool(stray) CIDR 10.0.200.0/24"),
            "{err}"
        );
        assert!(fx.ipam.check_split(&parent, &children).is_err());
        let names: Vec<String> = fx
            .ipam
            .client()
            .list::<IpPool>(None)
            .unwrap()
            .items
            .into_iter()
            .map(|p| p.metadata.name)
            .collect();
        assert_eq!(names, ["big", "stray"]);
    }

    #[test]
    fn splits() {
        let c = Cidr::parse("172.0.0.0/8").unwrap();
        let kids = split_cidr(c, 4, 26).unwrap();
        assert_eq!(
            kids.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            [
                "172.0.0.0/10",
                "172.64.0.0/10",
                "172.128.0.0/10",
                "172.192.0.0/10"
            ]
        );
        assert_eq!(
            split_cidr(c, 3, 26).unwrap_err().to_string(),
            "error splitting the CIDR 172.0.0.0/8 into 3 CIDRs: number to split CIDR into is not a valid power of 2: 3"
        );
        assert_eq!(
            split_cidr(c, -2, 26).unwrap_err().to_string(),
            "error splitting the CIDR 172.0.0.0/8 into -2 CIDRs: number to split CIDR into is not a valid power of 2: -2"
        );
        assert!(matches!(
            split_cidr(Cidr::parse("10.0.0.0/26").unwrap(), 2, 26),
            Err(SplitError::TooSmall { .. })
        ));
        assert_eq!(child_name("p", 3), "split-p-3");
        assert!(child_name(&"a".repeat(260), 12).len() <= 253);
    }
}
