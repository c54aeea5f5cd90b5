//! An in-memory [`KvStore`] for unit tests: a sorted map behind a mutex.

use super::{Compare, KeyValue, KvStore, ListResponse, Op, Result, Txn, TxnResponse};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
struct State {
    revision: i64,
    kvs: BTreeMap<String, KeyValue>,
}

/// A store that lives as long as the value; shared by cloning the `Arc` around it.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store at revision 0... well, 1, as a fresh etcd reports.
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
        Ok(self.lock().kvs.get(key).cloned())
    }

    fn list(&self, prefix: &str) -> Result<ListResponse> {
        let state = self.lock();
        let kvs = state
            .kvs
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect();
        Ok(ListResponse {
            kvs,
            revision: state.revision,
        })
    }

    fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        let mut state = self.lock();
        let holds = txn.compares.iter().all(|c| match c {
            Compare::ModRevision { key, revision } => {
                state.kvs.get(key).map_or(0, |kv| kv.mod_revision) == *revision
            }
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
        for op in txn.ops {
            match op {
                Op::Put { key, value } => {
                    let (create_revision, version) = match state.kvs.get(&key) {
                        Some(kv) => (kv.create_revision, kv.version + 1),
                        None => (rev, 1),
                    };
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
                    state.kvs.remove(&key);
                }
            }
        }
        state.revision = rev;
        Ok(TxnResponse {
            succeeded: true,
            revision: rev,
        })
    }

    fn revision(&self) -> Result<i64> {
        Ok(self.lock().revision)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn conformance() {
        super::super::conformance::run_all(&super::MemoryStore::new());
    }
}
