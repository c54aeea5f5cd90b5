//! The embedded store as every program opens it: the file is created by the first write, not
//! by opening (`../shared/design/contract.md`, "Choosing the datastore").
//!
//! - A store named explicitly (flag, `CALICO_DATASTORE_PATH`, `datastorePath`,
//!   `datastore_path`) whose directory does not exist is refused when opened, and nothing is
//!   created: a mistyped path is an error, not an empty cluster.
//! - A missing file reads as an empty store (no keys, revision 1, as a fresh store), and
//!   nothing is created by reading: `get`, `ipam show`, `ipam check`, `calico-node --dry-run`
//!   and `version` leave no file or directory behind.
//! - The first transaction creates the file (and, for the default path only, its
//!   directories), then runs on it. From then on, and whenever the file already exists, every
//!   call goes straight to the [`EmbeddedStore`]; a file another process creates meanwhile is
//!   found at the next call.

use super::embedded::EmbeddedStore;
use super::{
    Changes, DatastoreError, KeyValue, KvStore, ListResponse, Read, ReadManyResponse, Result, Txn,
    TxnResponse,
};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The revision of a store with nothing in it yet, as a new file starts (and a fresh etcd).
const EMPTY_REVISION: i64 = 1;

/// How often [`KvStore::wait_for_change`] looks for a file that does not exist yet.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Checks that the directory of an explicitly named store exists: the error names the store
/// and the directory.
pub fn check_directory(path: &Path) -> Result<()> {
    let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    let fail = |what: &str| {
        Err(DatastoreError::Embedded {
            path: path.display().to_string(),
            message: format!("cannot open: the directory {} {what}", dir.display()),
        })
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => fail("is not a directory"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail("does not exist"),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => fail("does not exist"),
        // Not ours to judge (permissions): opening the file will say what is wrong.
        Err(_) => Ok(()),
    }
}

/// An embedded store whose file is created by the first write.
pub(crate) struct DeferredStore {
    path: PathBuf,
    explicit: bool,
    store: OnceLock<EmbeddedStore>,
    opening: Mutex<()>,
}

impl std::fmt::Debug for DeferredStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeferredStore")
            .field("path", &self.path)
            .field("explicit", &self.explicit)
            .field("opened", &self.store.get().is_some())
            .finish()
    }
}

impl DeferredStore {
    /// The store at `path`; `explicit`: named by the user, so its directory must exist (else
    /// the default path, whose directories a write creates). An existing file is opened at
    /// once, so that a damaged or foreign file is reported here as before.
    pub(crate) fn open(path: &Path, explicit: bool) -> Result<DeferredStore> {
        if explicit {
            check_directory(path)?;
        }
        let store = DeferredStore {
            path: path.to_path_buf(),
            explicit,
            store: OnceLock::new(),
            opening: Mutex::new(()),
        };
        store.existing()?;
        Ok(store)
    }

    /// Drops the change log's history of `revision` and before (the file is created if
    /// need be).
    #[cfg(test)]
    pub(crate) fn compact(&self, revision: i64) -> Result<()> {
        self.opened()?.compact(revision)
    }

    /// Whether the file has been opened (it exists).
    #[cfg(test)]
    pub(crate) fn is_open(&self) -> bool {
        self.store.get().is_some()
    }

    /// The store, opened (and the file created) if need be.
    fn opened(&self) -> Result<&EmbeddedStore> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let _guard = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        // The directory may have gone since: an explicit store's is never made here.
        if self.explicit {
            check_directory(&self.path)?;
        }
        let store = EmbeddedStore::open(&self.path)?;
        Ok(self.store.get_or_init(|| store))
    }

    /// The store when its file exists (opened now if need be), else `None`: nothing is
    /// created.
    fn existing(&self) -> Result<Option<&EmbeddedStore>> {
        if let Some(s) = self.store.get() {
            return Ok(Some(s));
        }
        // A path that is there in any form (a directory, a dangling link) is for the
        // embedded store to open or refuse.
        if std::fs::symlink_metadata(&self.path).is_err() {
            return Ok(None);
        }
        self.opened().map(Some)
    }
}

impl KvStore for DeferredStore {
    fn describe(&self) -> String {
        format!("embedded ({})", self.path.display())
    }

    fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        match self.existing()? {
            Some(s) => s.get(key),
            None => super::check_key(key).map(|()| None),
        }
    }

    fn list(&self, prefix: &str) -> Result<ListResponse> {
        match self.existing()? {
            Some(s) => s.list(prefix),
            None => Ok(ListResponse {
                kvs: Vec::new(),
                revision: EMPTY_REVISION,
            }),
        }
    }

    fn list_keys(&self, prefix: &str) -> Result<ListResponse> {
        match self.existing()? {
            Some(s) => s.list_keys(prefix),
            None => self.list(prefix),
        }
    }

    fn scan(
        &self,
        prefix: &str,
        visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
    ) -> Result<i64> {
        match self.existing()? {
            Some(s) => s.scan(prefix, visit),
            None => Ok(EMPTY_REVISION),
        }
    }

    fn read_at_one_revision(
        &self,
        read: &mut dyn FnMut(&dyn super::Snapshot) -> Result<()>,
    ) -> Result<i64> {
        match self.existing()? {
            Some(s) => s.read_at_one_revision(read),
            None => {
                read(&super::Copied {
                    kvs: Vec::new(),
                    revision: EMPTY_REVISION,
                })?;
                Ok(EMPTY_REVISION)
            }
        }
    }

    fn read_many(&self, reads: &[Read]) -> Result<ReadManyResponse> {
        match self.existing()? {
            Some(s) => s.read_many(reads),
            None => {
                super::check_reads(reads)?;
                Ok(ReadManyResponse {
                    results: vec![Vec::new(); reads.len()],
                    revision: EMPTY_REVISION,
                })
            }
        }
    }

    fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        // A transaction etcd would refuse creates nothing.
        txn.validate()?;
        self.opened()?.txn(txn)
    }

    fn revision(&self) -> Result<i64> {
        match self.existing()? {
            Some(s) => s.revision(),
            None => Ok(EMPTY_REVISION),
        }
    }

    fn wait_for_change(&self, prefix: &str, after: i64, timeout: Duration) -> Result<i64> {
        match self.wait_for_file(timeout)? {
            Some((s, left)) => s.wait_for_change(prefix, after, left),
            None => Ok(EMPTY_REVISION),
        }
    }

    fn changes(&self, prefix: &str, after: i64, timeout: Duration) -> Result<Changes> {
        match self.wait_for_file(timeout)? {
            Some((s, left)) => s.changes(prefix, after, left),
            // Nothing was ever written: no changes after any revision.
            None => Ok(Changes::Events {
                events: Vec::new(),
                revision: after.max(EMPTY_REVISION),
            }),
        }
    }
}

impl DeferredStore {
    /// The store once its file exists (another process may create it meanwhile), with what
    /// is left of `timeout`; `None` when it still does not exist after `timeout`.
    fn wait_for_file(&self, timeout: Duration) -> Result<Option<(&EmbeddedStore, Duration)>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.existing()? {
                return Ok(Some((
                    s,
                    deadline.saturating_duration_since(Instant::now()),
                )));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(POLL_INTERVAL.min(deadline - now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::tree;

    #[test]
    fn reads_of_a_missing_file_see_an_empty_store_and_create_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for (path, explicit) in [
            (dir.path().join("datastore.db"), true),
            (dir.path().join("a/b/datastore.db"), false),
        ] {
            let store = DeferredStore::open(&path, explicit).unwrap();
            assert_eq!(store.get("/calico/x").unwrap(), None);
            assert!(store.list("/calico/").unwrap().kvs.is_empty());
            assert!(store.list_keys("/calico/").unwrap().kvs.is_empty());
            assert_eq!(store.revision().unwrap(), 1);
            let many = store
                .read_many(&[Read::Key("/k".into()), Read::Prefix("/p".into())])
                .unwrap();
            assert_eq!(many.results, vec![Vec::new(), Vec::new()]);
            assert_eq!(
                store
                    .wait_for_change("/", 1, Duration::from_millis(50))
                    .unwrap(),
                1
            );
            let mut seen = 0;
            store
                .scan("/", &mut |_| {
                    seen += 1;
                    ControlFlow::Continue(())
                })
                .unwrap();
            assert_eq!(seen, 0);
            // What every backend refuses is refused here too, without creating anything.
            assert!(matches!(store.get(""), Err(DatastoreError::Invalid(_))));
            assert!(matches!(
                store.txn(Txn::new().put("", Vec::new())),
                Err(DatastoreError::Invalid(_))
            ));
            assert!(!store.is_open());
            assert_eq!(tree(dir.path()), Vec::<String>::new());
        }
    }

    #[test]
    fn the_first_write_creates_the_file_and_the_default_path_s_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/datastore.db");
        let store = DeferredStore::open(&path, false).unwrap();
        assert!(!dir.path().join("a").exists());
        let r = store
            .txn(Txn::new().require_absent("/k").put("/k", b"v".to_vec()))
            .unwrap();
        assert!(r.succeeded);
        assert_eq!(r.revision, 2);
        assert!(path.is_file());
        assert_eq!(store.get("/k").unwrap().unwrap().value, b"v");
        // Another handle opened before the file existed finds it.
        let explicit = dir.path().join("x.db");
        let early = DeferredStore::open(&explicit, true).unwrap();
        let writer = DeferredStore::open(&explicit, true).unwrap();
        writer.txn(Txn::new().put("/w", b"1".to_vec())).unwrap();
        assert_eq!(early.get("/w").unwrap().unwrap().value, b"1");
        assert_eq!(early.revision().unwrap(), 2);
    }

    #[test]
    fn a_missing_directory_of_a_named_store_is_refused_and_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo/dir/x.db");
        let err = DeferredStore::open(&path, true).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "embedded datastore ({}): cannot open: the directory {} does not exist",
                path.display(),
                dir.path().join("typo/dir").display()
            )
        );
        std::fs::write(dir.path().join("file"), "").unwrap();
        let under_file = dir.path().join("file/x.db");
        let err = DeferredStore::open(&under_file, true)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("file is not a directory"), "{err}");
        assert_eq!(tree(dir.path()), vec!["file".to_string()]);
        // A directory removed after opening is not made again by a write.
        std::fs::create_dir(dir.path().join("gone")).unwrap();
        let gone = dir.path().join("gone/x.db");
        let store = DeferredStore::open(&gone, true).unwrap();
        std::fs::remove_dir(dir.path().join("gone")).unwrap();
        let err = store.txn(Txn::new().put("/k", Vec::new())).unwrap_err();
        assert!(err.to_string().ends_with("does not exist"), "{err}");
        assert!(!dir.path().join("gone").exists());
        // A relative name in the working directory has a directory that exists.
        assert!(check_directory(Path::new("x.db")).is_ok());
    }
}
