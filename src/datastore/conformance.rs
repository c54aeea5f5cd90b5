//! One behaviour suite for every backend: the same calls, the same answers as etcd.

use super::{KvStore, Txn};

/// Runs every conformance check against an empty store.
pub fn run_all(store: &dyn KvStore) {
    create_then_conflict(store);
}

fn create_then_conflict(store: &dyn KvStore) {
    let r = store
        .txn(Txn::new().require_absent("/c/a").put("/c/a", b"1".to_vec()))
        .unwrap();
    assert!(r.succeeded);
    let kv = store.get("/c/a").unwrap().unwrap();
    assert_eq!(kv.mod_revision, r.revision);
    assert_eq!(kv.version, 1);
    let again = store
        .txn(Txn::new().require_absent("/c/a").put("/c/a", b"2".to_vec()))
        .unwrap();
    assert!(!again.succeeded);
    assert_eq!(store.get("/c/a").unwrap().unwrap().value, b"1");
}
