//! `calicoctl ipam split`: replace a pool by 2^k smaller pools with the same settings.
//!
//! Calico disables the pool, creates the children without an overlap check and deletes the
//! parent, in separate writes. We do the create-children-and-delete-parent step as one
//! compare-and-swap transaction, so a crash never leaves both or neither. Blocks and
//! affinities stay valid: they sit inside the children with the same block size.

use super::{Ipam, IpamError, Result};
use crate::datastore::{Txn, keys};
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
        n: u64,
    },
    /// The children would be smaller than an address (or than a block).
    #[error(
        "error splitting the CIDR {cidr} into {n} CIDRs: the CIDR {cidr} is not large enough to be split into {n} parts"
    )]
    TooSmall {
        /// The pool's CIDR.
        cidr: Cidr,
        /// The number asked for.
        n: u64,
    },
}

/// The child CIDRs of a split, in ascending order.
pub fn split_cidr(
    cidr: Cidr,
    n: u64,
    block_size: u8,
) -> std::result::Result<Vec<Cidr>, SplitError> {
    if n < 2 || !n.is_power_of_two() {
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
pub fn child_name(parent: &str, i: u64) -> String {
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
    pub fn split_children(
        &self,
        parent: &IpPool,
        n: u64,
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

    /// Replaces `parent` (read at its current revision) by `children` in one transaction.
    pub fn replace_pool(&self, parent: &IpPool, children: Vec<IpPool>) -> Result<Vec<IpPool>> {
        let parent_key = keys::resource(IpPool::PLURAL, None, &parent.metadata.name);
        let revision: i64 = parent.metadata.resource_version.parse().unwrap_or(0);
        let mut txn = Txn::new()
            .require_revision(&parent_key, revision)
            .delete(&parent_key);
        let mut prepared = Vec::new();
        for child in children {
            let mut child = child;
            let others: Vec<IpPool> = Vec::new();
            child
                .validate_and_default(None, &others, &[])
                .map_err(crate::datastore::api::ClientError::from)?;
            child
                .validate()
                .map_err(crate::datastore::api::ClientError::from)?;
            child.metadata.uid = uuid::Uuid::new_v4().to_string();
            child.metadata.creation_timestamp =
                Some(crate::timeutil::rfc3339(crate::timeutil::now()));
            child.set_type_meta();
            let key = keys::resource(IpPool::PLURAL, None, &child.metadata.name);
            txn = txn
                .require_absent(&key)
                .put(&key, crate::gojson::to_vec(&child));
            prepared.push(child);
        }
        let resp = self.store().txn(txn)?;
        if !resp.succeeded {
            return Err(crate::datastore::api::ClientError::Conflict(parent.id()).into());
        }
        for c in &mut prepared {
            c.metadata.resource_version = resp.revision.to_string();
        }
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(matches!(
            split_cidr(Cidr::parse("10.0.0.0/26").unwrap(), 2, 26),
            Err(SplitError::TooSmall { .. })
        ));
        assert_eq!(child_name("p", 3), "split-p-3");
        assert!(child_name(&"a".repeat(260), 12).len() <= 253);
    }
}
