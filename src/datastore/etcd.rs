//! The etcd v3 backend (etcd-client), with Calico's CAS transactions.

use super::{DatastoreError, KeyValue, KvStore, ListResponse, Result, Txn, TxnResponse};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach etcd.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EtcdConfig {
    /// Client URLs, e.g. `http://127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// Username for etcd authentication.
    pub username: Option<String>,
    /// Password for etcd authentication (never printed).
    pub password: Option<String>,
    /// Client private key (PEM).
    pub key_file: Option<PathBuf>,
    /// Client certificate (PEM).
    pub cert_file: Option<PathBuf>,
    /// CA bundle (PEM).
    pub ca_cert_file: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// A connection to etcd.
pub struct EtcdStore {
    config: EtcdConfig,
}

impl EtcdStore {
    /// Connects (lazily) to the configured cluster.
    pub fn connect(config: &EtcdConfig) -> Result<EtcdStore> {
        Ok(EtcdStore {
            config: config.clone(),
        })
    }

    fn err(&self, message: impl Into<String>) -> DatastoreError {
        DatastoreError::Etcd {
            endpoints: self.config.endpoints.join(","),
            message: message.into(),
        }
    }
}

impl KvStore for EtcdStore {
    fn describe(&self) -> String {
        format!("etcdv3 ({})", self.config.endpoints.join(","))
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
