//! The embedded backend: a SQLite file (WAL, busy timeout) with etcd's revision semantics.

use super::{DatastoreError, KeyValue, KvStore, ListResponse, Result, Txn, TxnResponse};
use std::path::{Path, PathBuf};

/// A store in one SQLite file.
pub struct EmbeddedStore {
    path: PathBuf,
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<EmbeddedStore> {
        Ok(EmbeddedStore {
            path: path.to_path_buf(),
        })
    }

    fn err(&self, message: impl Into<String>) -> DatastoreError {
        DatastoreError::Embedded {
            path: self.path.display().to_string(),
            message: message.into(),
        }
    }
}

impl KvStore for EmbeddedStore {
    fn describe(&self) -> String {
        format!("embedded ({})", self.path.display())
    }
    fn get(&self, _key: &str) -> Result<Option<KeyValue>> {
        Err(self.err("not implemented yet"))
    }
    fn list(&self, _prefix: &str) -> Result<ListResponse> {
        Err(self.err("not implemented yet"))
    }
    fn txn(&self, _txn: Txn) -> Result<TxnResponse> {
        Err(self.err("not implemented yet"))
    }
    fn revision(&self) -> Result<i64> {
        Err(self.err("not implemented yet"))
    }
}
