//! One compare-and-swap transaction over every key a change touches.
//!
//! A [`Plan`] collects "this key must still be at the revision I read" conditions and the
//! writes that depend on them, then commits them as a single [`Txn`]. Calico writes one key at
//! a time and relies on ordering plus retries; we keep Calico's data layout but make each
//! change atomic, so a reader never sees a half-done claim or a handle that disagrees with its
//! blocks.

use super::IpamError;
use crate::datastore::{DatastoreError, Op, Store, Txn};
use std::time::Duration;

/// etcd's default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;
/// A margin under etcd's default 1.5 MiB request limit.
pub const MAX_TXN_BYTES: usize = 1_400_000;
/// How many times a conflicting change is re-read and retried (Calico's `datastoreRetries`).
pub const MAX_RETRIES: usize = 100;

/// Conditions and writes of one transaction.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    compares: Vec<(String, i64)>,
    ops: Vec<Op>,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Plan {
        Plan::default()
    }

    /// Requires `key` to be at `revision` (0: absent). The first requirement for a key wins.
    pub fn require(&mut self, key: &str, revision: i64) {
        if !self.compares.iter().any(|(k, _)| k == key) {
            self.compares.push((key.to_string(), revision));
        }
    }

    /// Writes `value` at `key` (replacing an earlier write of the same key).
    pub fn put(&mut self, key: String, value: Vec<u8>) {
        self.ops.retain(|op| op.key() != key);
        self.ops.push(Op::Put { key, value });
    }

    /// Deletes `key` (replacing an earlier write of the same key).
    pub fn delete(&mut self, key: String) {
        self.ops.retain(|op| op.key() != key);
        self.ops.push(Op::Delete { key });
    }

    /// Adds `other`'s conditions (after this plan's: for a key both require, this plan's
    /// revision stands) and writes (replacing this plan's writes of the same keys).
    pub(crate) fn absorb(&mut self, other: Plan) {
        for (key, revision) in other.compares {
            self.require(&key, revision);
        }
        for op in other.ops {
            self.ops.retain(|o| o.key() != op.key());
            self.ops.push(op);
        }
    }

    /// True when nothing would be written.
    pub(crate) fn has_writes(&self) -> bool {
        !self.ops.is_empty()
    }

    /// Commits atomically. `Some(revision)` when every comparison held and the writes were
    /// applied; `None` when something changed since it was read.
    pub fn commit(self, store: &Store) -> Result<Option<i64>, IpamError> {
        if self.ops.len() > MAX_TXN_OPS || self.compares.len() > MAX_TXN_OPS {
            return Err(DatastoreError::TooLarge(format!(
                "{} operations, {} comparisons (limit {MAX_TXN_OPS})",
                self.ops.len(),
                self.compares.len()
            ))
            .into());
        }
        let bytes: usize = self
            .ops
            .iter()
            .map(|op| match op {
                Op::Put { key, value } => key.len() + value.len(),
                Op::Delete { key } => key.len(),
            })
            .sum();
        if bytes > MAX_TXN_BYTES {
            return Err(
                DatastoreError::TooLarge(format!("{bytes} bytes (limit {MAX_TXN_BYTES})")).into(),
            );
        }
        let mut txn = Txn::new();
        for (key, rev) in self.compares {
            txn = txn.require_revision(key, rev);
        }
        txn.ops = self.ops;
        let resp = store.txn(txn)?;
        Ok(resp.succeeded.then_some(resp.revision))
    }
}

/// Counts conflicts of one operation and backs off between retries, so that many writers
/// contending for one block make progress instead of failing in lock-step.
#[derive(Debug)]
pub(crate) struct Retry {
    conflicts: usize,
    rng: super::random::SplitMix64,
}

impl Retry {
    /// A fresh counter.
    pub(crate) fn new() -> Retry {
        Retry {
            conflicts: 0,
            rng: super::random::SplitMix64::from_entropy(),
        }
    }

    /// Records a failed compare; errors with Calico's message once the bound is hit.
    pub(crate) fn conflict(&mut self) -> Result<(), IpamError> {
        self.conflicts += 1;
        if self.conflicts >= MAX_RETRIES {
            return Err(IpamError::MaxRetries);
        }
        if self.conflicts > 2 {
            let cap_us = (50u64 << (self.conflicts - 2).min(8)).min(20_000);
            let us = self.rng.next_u64() % (cap_us + 1);
            std::thread::sleep(Duration::from_micros(us));
        } else {
            std::thread::yield_now();
        }
        Ok(())
    }
}

impl Default for Retry {
    fn default() -> Retry {
        Retry::new()
    }
}
