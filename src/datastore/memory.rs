//! An in-memory [`KvStore`] for unit tests: a sorted map behind a mutex.

use super::{
    Compare, KeyValue, KvStore, ListResponse, Op, Read, ReadManyResponse, Result, Txn, TxnResponse,
    check_key,
};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
struct State {
    revision: i64,
    kvs: BTreeMap<String, KeyValue>,
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
}

impl MemoryStore {
    /// An empty store at revision 1, as a fresh etcd reports.
    pub fn new() -> MemoryStore {
        MemoryStore {
            state: Mutex::new(State {
                revision: 1,
                kvs: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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
                    changed |= state.kvs.remove(&key).is_some();
                }
            }
        }
        if changed {
            state.revision = rev;
        }
        Ok(TxnResponse {
            succeeded: true,
            revision: state.revision,
        })
    }

    fn revision(&self) -> Result<i64> {
        Ok(self.lock().revision)
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
