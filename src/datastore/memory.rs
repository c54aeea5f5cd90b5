//! An in-memory [`KvStore`] for unit tests: a sorted map behind a mutex, and the last
//! [`HISTORY`] revisions' changes for [`KvStore::changes`].

use super::{
    Change, Changes, Compare, KeyValue, KvStore, ListResponse, Op, Read, ReadManyResponse, Result,
    Txn, TxnResponse, check_key,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How many revisions of changes the store keeps; older ones are compacted.
const HISTORY: i64 = 10_000;

#[derive(Default)]
struct State {
    revision: i64,
    kvs: BTreeMap<String, KeyValue>,
    /// Every change after `compacted`, in revision order.
    history: VecDeque<Change>,
    /// The history of this revision and before is gone.
    compacted: i64,
}

impl State {
    fn under(&self, prefix: &str) -> Vec<KeyValue> {
        self.kvs
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A store that lives as long as the value; shared by cloning the `Arc` around it.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Signalled after every write that changed something.
    written: Condvar,
}

impl MemoryStore {
    /// An empty store at revision 1, as a fresh etcd reports.
    pub fn new() -> MemoryStore {
        MemoryStore {
            state: Mutex::new(State {
                revision: 1,
                ..State::default()
            }),
            written: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops the history of `revision` and before, as etcd's compaction does.
    #[cfg(test)]
    pub(crate) fn compact(&self, revision: i64) {
        self.lock().compact(revision);
    }
}

impl State {
    fn compact(&mut self, revision: i64) {
        while self
            .history
            .front()
            .is_some_and(|c| c.mod_revision <= revision)
        {
            self.history.pop_front();
        }
        self.compacted = self.compacted.max(revision);
    }

    /// The changes under `prefix` after `after`.
    fn changes_since(&self, prefix: &str, after: i64) -> Changes {
        if after < self.compacted {
            return Changes::Compacted {
                revision: self.compacted,
            };
        }
        let start = self.history.partition_point(|c| c.mod_revision <= after);
        Changes::Events {
            events: self
                .history
                .range(start..)
                .filter(|c| c.key.starts_with(prefix))
                .cloned()
                .collect(),
            revision: self.revision,
        }
    }
}

impl KvStore for MemoryStore {
    fn describe(&self) -> String {
        "memory".to_string()
    }

    fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        check_key(key)?;
        Ok(self.lock().kvs.get(key).cloned())
    }

    fn list(&self, prefix: &str) -> Result<ListResponse> {
        let state = self.lock();
        Ok(ListResponse {
            kvs: state.under(prefix),
            revision: state.revision,
        })
    }

    fn read_many(&self, reads: &[Read]) -> Result<ReadManyResponse> {
        super::check_reads(reads)?;
        let state = self.lock();
        Ok(ReadManyResponse {
            results: reads
                .iter()
                .map(|read| match read {
                    Read::Key(key) => state.kvs.get(key).cloned().into_iter().collect(),
                    Read::Prefix(prefix) => state.under(prefix),
                })
                .collect(),
            revision: state.revision,
        })
    }

    fn read_at_one_revision(
        &self,
        read: &mut dyn FnMut(&dyn super::Snapshot) -> Result<()>,
    ) -> Result<i64> {
        let snapshot = {
            let state = self.lock();
            super::Copied {
                kvs: state.kvs.values().cloned().collect(),
                revision: state.revision,
            }
        };
        read(&snapshot)?;
        Ok(snapshot.revision)
    }

    fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        txn.validate()?;
        let mut state = self.lock();
        let holds = txn.compares.iter().all(|c| match c {
            Compare::ModRevision { key, .. } => c.holds(state.kvs.get(key)),
            Compare::PrefixUnchangedSince { prefix, .. }
            | Compare::PrefixNoneCreatedSince { prefix, .. } => c.holds(&state.under(prefix)),
        });
        if !holds {
            return Ok(TxnResponse {
                succeeded: false,
                revision: state.revision,
            });
        }
        if txn.ops.is_empty() {
            return Ok(TxnResponse {
                succeeded: true,
                revision: state.revision,
            });
        }
        let rev = state.revision + 1;
        // Like etcd, only a transaction that changed something takes a new revision: deleting
        // absent keys does not count.
        let mut changed = false;
        for op in txn.ops {
            match op {
                Op::Put { key, value } => {
                    let (create_revision, version) = match state.kvs.get(&key) {
                        Some(kv) => (kv.create_revision, kv.version + 1),
                        None => (rev, 1),
                    };
                    changed = true;
                    state.history.push_back(Change {
                        key: key.clone(),
                        value: Some(value.clone()),
                        mod_revision: rev,
                    });
                    state.kvs.insert(
                        key.clone(),
                        KeyValue {
                            key,
                            value,
                            create_revision,
                            mod_revision: rev,
                            version,
                        },
                    );
                }
                Op::Delete { key } => {
                    if state.kvs.remove(&key).is_some() {
                        changed = true;
                        state.history.push_back(Change {
                            key,
                            value: None,
                            mod_revision: rev,
                        });
                    }
                }
            }
        }
        if changed {
            state.revision = rev;
            state.compact(rev - HISTORY);
            self.written.notify_all();
        }
        Ok(TxnResponse {
            succeeded: true,
            revision: state.revision,
        })
    }

    fn revision(&self) -> Result<i64> {
        Ok(self.lock().revision)
    }

    fn wait_for_change(&self, prefix: &str, after: i64, timeout: Duration) -> Result<i64> {
        let _ = prefix;
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while state.revision <= after {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            state = self
                .written
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Ok(state.revision)
    }

    fn changes(&self, prefix: &str, after: i64, timeout: Duration) -> Result<Changes> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            let found = state.changes_since(prefix, after);
            let empty = matches!(&found, Changes::Events { events, .. } if events.is_empty());
            let left = deadline.checked_duration_since(Instant::now());
            match left {
                Some(left) if empty && !left.is_zero() => {
                    state = self
                        .written
                        .wait_timeout(state, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                _ => return Ok(found),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::conformance;
    use super::MemoryStore;

    #[test]
    fn a_scan_is_one_snapshot() {
        let store = MemoryStore::new();
        conformance::scan_is_one_snapshot(&store, &store);
    }

    #[test]
    fn reads_at_one_revision_agree() {
        let store = MemoryStore::new();
        conformance::snapshot_reads_agree(&store, &store);
    }

    #[test]
    fn concurrent_cas_increments_lose_nothing() {
        let store = MemoryStore::new();
        let handles = [&store as &dyn super::KvStore; 4];
        conformance::cas_counter(&handles, 200);
    }
}
