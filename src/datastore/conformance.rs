//! One behaviour suite for every backend: the same calls, the same answers as etcd.
//!
//! Each case below is a `fn(store: &dyn KvStore)` listed in [`with_every_case!`], which
//! expands to one `#[test]` per (backend, case): `datastore::conformance::memory::cas_update`,
//! `datastore::conformance::etcd::cas_update`, and so on, so one failing case hides no other.
//! A case runs on a store of its own (etcd: the test binary's shared server from
//! [`crate::testing::shared_etcd`], emptied and held for the case alone), and measures
//! revisions relative to where it started; only the cases listed as `fresh` need a store no
//! one has written to. [`every_case_is_listed`] fails when a case is missing from the list.
//!
//! [`cas_counter`] and [`scan_is_one_snapshot`] need several connections to one store; the
//! backends' own tests call them.

use super::deferred::DeferredStore;
use super::embedded::EmbeddedStore;
use super::etcd::EtcdStore;
use super::memory::MemoryStore;
use super::{Change, Changes, DatastoreError, KvStore, MAX_TXN_OPS, Read, Txn};
use crate::testing::{EtcdServer, SharedEtcd, shared_etcd};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Calls `$callback!` with the backend it is given and every case: those that need a store
/// no one has written to (`fresh`), then those that need an empty keyspace no other test
/// writes to while they run (`empty`). The one list of cases.
macro_rules! with_every_case {
    ($callback:ident!($($backend:tt)*)) => {
        $callback! {
            $($backend)*;
            fresh: [fresh_store];
            empty: [
                get_missing_key,
                create_if_absent,
                cas_update,
                delete_with_and_without_revision,
                revision_bookkeeping,
                revision_bumps_once_per_write,
                multi_key_atomicity,
                list_orders_by_bytes,
                prefix_boundaries,
                empty_values,
                large_values_and_limits,
                values_that_change_size,
                unicode_and_binary_keys,
                list_revision,
                scan_matches_list,
                read_many_matches_single_reads,
                duplicate_keys_rejected,
                empty_key_rejected,
                prefix_compares,
                wait_for_change,
                changes_follow_a_listing,
            ];
            compacting: [changes_after_compaction];
        }
    };
}

/// One `#[test]` per case, each on a new `$backend` store.
macro_rules! case_tests {
    ($backend:ty; fresh: [$($fresh:ident),*]; empty: [$($empty:ident),* $(,)?];
     compacting: [$($compacting:ident),*];) => {
        $(
            #[test]
            fn $fresh() {
                super::run_case(<$backend as super::Backend>::fresh(), super::$fresh);
            }
        )*
        $(
            #[test]
            fn $empty() {
                super::run_case(<$backend as super::Backend>::empty(), super::$empty);
            }
        )*
        $(
            #[test]
            fn $compacting() {
                let backend = <$backend as super::Backend>::empty();
                super::$compacting(super::Backend::store(&backend), &|revision| {
                    super::Backend::compact(&backend, revision)
                });
                super::Backend::after_case(&backend);
            }
        )*
    };
}

/// The names of the listed cases, for [`every_case_is_listed`].
macro_rules! case_names {
    (; fresh: [$($fresh:ident),*]; empty: [$($empty:ident),* $(,)?];
     compacting: [$($compacting:ident),*];) => {
        const LISTED: &[&str] = &[$(stringify!($fresh),)* $(stringify!($empty),)*];
        const LISTED_COMPACTING: &[&str] = &[$(stringify!($compacting),)*];
    };
}

with_every_case!(case_names!());

/// A store for one case.
trait Backend: Sized {
    /// A store no one has written to: revision 1, no keys.
    fn fresh() -> Self;
    /// A store with no keys that no other test uses until this value is dropped; its
    /// revision may be past 1.
    fn empty() -> Self {
        Self::fresh()
    }
    fn store(&self) -> &dyn KvStore;
    /// Drops the store's history of `revision` and before (etcd's compaction).
    fn compact(&self, revision: i64);
    /// Checks what the backend promises beyond the case's answers, after the case.
    fn after_case(&self) {}
}

fn run_case<B: Backend>(backend: B, case: fn(&dyn KvStore)) {
    case(backend.store());
    backend.after_case();
}

struct Memory(MemoryStore);

impl Backend for Memory {
    fn fresh() -> Self {
        Memory(MemoryStore::new())
    }

    fn store(&self) -> &dyn KvStore {
        &self.0
    }

    fn compact(&self, revision: i64) {
        self.0.compact(revision);
    }
}

/// A store on `datastore.db` in a temporary directory of its own, removed with it.
struct InTempDir<S> {
    store: S,
    _dir: tempfile::TempDir,
}

impl<S> InTempDir<S> {
    fn open(open: impl FnOnce(&std::path::Path) -> S) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("datastore.db"));
        InTempDir { store, _dir: dir }
    }
}

type Embedded = InTempDir<EmbeddedStore>;

impl Backend for Embedded {
    fn fresh() -> Self {
        InTempDir::open(|path| EmbeddedStore::open(path).unwrap())
    }

    fn store(&self) -> &dyn KvStore {
        &self.store
    }

    fn compact(&self, revision: i64) {
        self.store.compact(revision).unwrap();
    }

    /// Whatever the case did, SQLite finds the file sound.
    fn after_case(&self) {
        assert_eq!(self.store.integrity_check().unwrap(), "ok");
    }
}

/// The embedded store as the programs open it: from a file that does not exist yet.
type Deferred = InTempDir<DeferredStore>;

impl Backend for Deferred {
    fn fresh() -> Self {
        InTempDir::open(|path| DeferredStore::open(path, true).unwrap())
    }

    fn store(&self) -> &dyn KvStore {
        &self.store
    }

    fn compact(&self, revision: i64) {
        self.store.compact(revision).unwrap();
    }
}

/// A real etcd: a server of its own for the fresh cases (revision 1 needs one), the test
/// binary's shared server, emptied and held, for the others.
struct Etcd {
    // Declared first: the connection closes before the server stops or is handed on.
    store: EtcdStore,
    _own: Option<EtcdServer>,
    _shared: Option<SharedEtcd>,
}

impl Backend for Etcd {
    fn fresh() -> Self {
        let server = EtcdServer::start();
        Etcd {
            store: server.store(),
            _own: Some(server),
            _shared: None,
        }
    }

    fn empty() -> Self {
        let server = shared_etcd();
        Etcd {
            store: server.store(),
            _own: None,
            _shared: Some(server),
        }
    }

    fn store(&self) -> &dyn KvStore {
        &self.store
    }

    fn compact(&self, revision: i64) {
        self.store.compact(revision).unwrap();
    }
}

mod memory {
    with_every_case!(case_tests!(super::Memory));
}

mod embedded {
    with_every_case!(case_tests!(super::Embedded));
}

mod deferred {
    with_every_case!(case_tests!(super::Deferred));
}

mod etcd {
    with_every_case!(case_tests!(super::Etcd));
}

/// Every case function in this file (a `fn` taking only `store: &dyn KvStore`) is listed in
/// [`with_every_case!`], so every backend runs it.
#[test]
fn every_case_is_listed() {
    let source = include_str!("conformance.rs");
    let defined: Vec<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("fn "))
        .filter_map(|rest| rest.strip_suffix("(store: &dyn KvStore) {"))
        .collect();
    assert!(defined.len() > 10, "no cases found: {defined:?}");
    let compacting: Vec<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("fn "))
        .filter_map(|rest| rest.strip_suffix("(store: &dyn KvStore, compact: &dyn Fn(i64)) {"))
        .collect();
    assert_eq!(
        compacting, LISTED_COMPACTING,
        "compacting cases defined and listed in with_every_case!"
    );
    let unlisted: Vec<&&str> = defined.iter().filter(|d| !LISTED.contains(d)).collect();
    let not_cases: Vec<&&str> = LISTED.iter().filter(|l| !defined.contains(l)).collect();
    assert!(
        unlisted.is_empty() && not_cases.is_empty(),
        "conformance cases not listed in with_every_case! (src/datastore/conformance.rs): \
         {unlisted:?}; listed but not a `fn(store: &dyn KvStore)` case: {not_cases:?}"
    );
    let mut sorted = LISTED.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), LISTED.len(), "a case is listed twice");
}

fn put(store: &dyn KvStore, key: &str, value: &str) -> i64 {
    let r = store
        .txn(Txn::new().put(key, value.as_bytes().to_vec()))
        .unwrap();
    assert!(r.succeeded);
    r.revision
}

fn keys(store: &dyn KvStore, prefix: &str) -> Vec<String> {
    store
        .list(prefix)
        .unwrap()
        .kvs
        .into_iter()
        .map(|kv| kv.key)
        .collect()
}

fn fresh_store(store: &dyn KvStore) {
    assert_eq!(
        store.revision().unwrap(),
        1,
        "a fresh store is at revision 1"
    );
    let all = store.list("").unwrap();
    assert!(all.kvs.is_empty(), "a fresh store is empty: {:?}", all.kvs);
    assert_eq!(all.revision, 1);
}

fn get_missing_key(store: &dyn KvStore) {
    assert_eq!(store.get("/t/missing").unwrap(), None);
    assert!(store.list("/t/missing").unwrap().kvs.is_empty());
}

fn create_if_absent(store: &dyn KvStore) {
    let before = store.revision().unwrap();
    let r = store
        .txn(Txn::new().require_absent("/c/a").put("/c/a", b"1".to_vec()))
        .unwrap();
    assert!(r.succeeded);
    assert_eq!(r.revision, before + 1);
    let kv = store.get("/c/a").unwrap().unwrap();
    assert_eq!(kv.key, "/c/a");
    assert_eq!(kv.value, b"1");
    assert_eq!(kv.create_revision, r.revision);
    assert_eq!(kv.mod_revision, r.revision);
    assert_eq!(kv.version, 1);

    let again = store
        .txn(Txn::new().require_absent("/c/a").put("/c/a", b"2".to_vec()))
        .unwrap();
    assert!(!again.succeeded);
    assert_eq!(
        again.revision, r.revision,
        "a failed compare reports the current revision"
    );
    assert_eq!(store.revision().unwrap(), r.revision);
    assert_eq!(store.get("/c/a").unwrap().unwrap(), kv);
}

fn cas_update(store: &dyn KvStore) {
    let created = put(store, "/cas/k", "v1");
    let ok = store
        .txn(
            Txn::new()
                .require_revision("/cas/k", created)
                .put("/cas/k", b"v2".to_vec()),
        )
        .unwrap();
    assert!(ok.succeeded);
    assert_eq!(ok.revision, created + 1);
    let kv = store.get("/cas/k").unwrap().unwrap();
    assert_eq!(
        (kv.value.as_slice(), kv.mod_revision, kv.version),
        (&b"v2"[..], ok.revision, 2)
    );

    // The revision read before the update is now stale.
    let stale = store
        .txn(
            Txn::new()
                .require_revision("/cas/k", created)
                .put("/cas/k", b"v3".to_vec()),
        )
        .unwrap();
    assert!(!stale.succeeded);
    assert_eq!(stale.revision, ok.revision);
    assert_eq!(store.get("/cas/k").unwrap().unwrap(), kv);

    // Updating a key that is gone (compare against a revision it never had) fails too.
    let absent = store
        .txn(
            Txn::new()
                .require_revision("/cas/nothing", created)
                .put("/cas/nothing", b"x".to_vec()),
        )
        .unwrap();
    assert!(!absent.succeeded);
    assert_eq!(store.get("/cas/nothing").unwrap(), None);
}

fn delete_with_and_without_revision(store: &dyn KvStore) {
    let created = put(store, "/d/a", "1");

    let stale = store
        .txn(
            Txn::new()
                .require_revision("/d/a", created + 100)
                .delete("/d/a"),
        )
        .unwrap();
    assert!(!stale.succeeded);
    assert!(store.get("/d/a").unwrap().is_some());
    assert_eq!(store.revision().unwrap(), created);

    let ok = store
        .txn(Txn::new().require_revision("/d/a", created).delete("/d/a"))
        .unwrap();
    assert!(ok.succeeded);
    assert_eq!(ok.revision, created + 1);
    assert_eq!(store.get("/d/a").unwrap(), None);

    // Deleting what is not there succeeds and, as in etcd, takes no new revision.
    let noop = store.txn(Txn::new().delete("/d/a")).unwrap();
    assert!(noop.succeeded);
    assert_eq!(noop.revision, ok.revision);
    let noop = store
        .txn(Txn::new().require_absent("/d/a").delete("/d/a"))
        .unwrap();
    assert!(noop.succeeded);
    assert_eq!(store.revision().unwrap(), ok.revision);

    // Recreated: a new life, version 1 again.
    let recreated = put(store, "/d/a", "2");
    assert_eq!(recreated, ok.revision + 1);
    let kv = store.get("/d/a").unwrap().unwrap();
    assert_eq!(
        (kv.create_revision, kv.mod_revision, kv.version),
        (recreated, recreated, 1)
    );

    // Unconditional delete of a present key.
    let gone = store.txn(Txn::new().delete("/d/a")).unwrap();
    assert!(gone.succeeded);
    assert_eq!(gone.revision, recreated + 1);
    assert_eq!(store.get("/d/a").unwrap(), None);
}

fn revision_bookkeeping(store: &dyn KvStore) {
    let first = put(store, "/b/k", "1");
    let other = put(store, "/b/other", "x");
    let second = put(store, "/b/k", "2");
    let third = put(store, "/b/k", "3");
    assert!(first < other && other < second && second < third);
    let kv = store.get("/b/k").unwrap().unwrap();
    assert_eq!(kv.create_revision, first);
    assert_eq!(kv.mod_revision, third);
    assert_eq!(kv.version, 3);
    let o = store.get("/b/other").unwrap().unwrap();
    assert_eq!(
        (o.create_revision, o.mod_revision, o.version),
        (other, other, 1)
    );
    // The same bookkeeping through a list.
    let listed = store.list("/b/").unwrap();
    assert_eq!(listed.kvs, vec![kv, o]);
}

fn revision_bumps_once_per_write(store: &dyn KvStore) {
    let start = store.revision().unwrap();
    for i in 1..=5 {
        let r = store
            .txn(Txn::new().put(format!("/r/{i}"), b"x".to_vec()))
            .unwrap();
        assert_eq!(
            r.revision,
            start + i,
            "each write takes exactly one revision"
        );
    }
    assert_eq!(store.revision().unwrap(), start + 5);

    // Several operations, one revision, shared by every key written.
    let multi = store
        .txn(
            Txn::new()
                .put("/r/m1", b"a".to_vec())
                .put("/r/m2", b"b".to_vec())
                .put("/r/1", b"c".to_vec())
                .delete("/r/2"),
        )
        .unwrap();
    assert_eq!(multi.revision, start + 6);
    for key in ["/r/m1", "/r/m2", "/r/1"] {
        assert_eq!(
            store.get(key).unwrap().unwrap().mod_revision,
            start + 6,
            "{key}"
        );
    }

    // Failed comparisons write nothing and take no revision.
    let failed = store
        .txn(
            Txn::new()
                .require_absent("/r/1")
                .put("/r/new", b"x".to_vec()),
        )
        .unwrap();
    assert!(!failed.succeeded);
    assert_eq!(failed.revision, start + 6);

    // No operations: succeeds, takes no revision.
    let empty = store.txn(Txn::new()).unwrap();
    assert!(empty.succeeded);
    assert_eq!(empty.revision, start + 6);
    let compare_only = store
        .txn(Txn::new().require_revision("/r/m1", start + 6))
        .unwrap();
    assert!(compare_only.succeeded);
    assert_eq!(compare_only.revision, start + 6);
    assert_eq!(store.revision().unwrap(), start + 6);
}

fn multi_key_atomicity(store: &dyn KvStore) {
    let a = put(store, "/m/a", "a1");
    let b = put(store, "/m/b", "b1");

    // B's comparison fails: A is not written either.
    let r = store
        .txn(
            Txn::new()
                .require_revision("/m/a", a)
                .require_revision("/m/b", a)
                .put("/m/a", b"a2".to_vec()),
        )
        .unwrap();
    assert!(!r.succeeded);
    assert_eq!(store.get("/m/a").unwrap().unwrap().value, b"a1");

    // A create that depends on another key's state.
    let r = store
        .txn(
            Txn::new()
                .require_absent("/m/c")
                .require_revision("/m/b", b + 1)
                .put("/m/c", b"c".to_vec()),
        )
        .unwrap();
    assert!(!r.succeeded);
    assert_eq!(store.get("/m/c").unwrap(), None);
    assert_eq!(store.revision().unwrap(), b);

    // Both hold: a put and a delete land together, at one revision.
    let r = store
        .txn(
            Txn::new()
                .require_revision("/m/a", a)
                .require_revision("/m/b", b)
                .put("/m/a", b"a2".to_vec())
                .delete("/m/b")
                .put("/m/c", b"c".to_vec()),
        )
        .unwrap();
    assert!(r.succeeded);
    assert_eq!(r.revision, b + 1);
    assert_eq!(keys(store, "/m/"), ["/m/a", "/m/c"]);
    assert_eq!(store.get("/m/a").unwrap().unwrap().mod_revision, r.revision);
    assert_eq!(
        store.get("/m/c").unwrap().unwrap().create_revision,
        r.revision
    );
}

fn list_orders_by_bytes(store: &dyn KvStore) {
    // Written out of order; read back in byte order (etcd's), not numeric or natural order.
    let written = [
        "/o/10.65.0.64-26",
        "/o/10.65.0.128-26",
        "/o/10.65.0.0-26",
        "/o/Z",
        "/o/a",
        "/o/10.65.1.0-26",
        "/o/10.65.0.192-26",
    ];
    for key in written {
        put(store, key, "x");
    }
    assert_eq!(
        keys(store, "/o/"),
        [
            "/o/10.65.0.0-26",
            "/o/10.65.0.128-26",
            "/o/10.65.0.192-26",
            "/o/10.65.0.64-26",
            "/o/10.65.1.0-26",
            "/o/Z",
            "/o/a",
        ]
    );
}

fn prefix_boundaries(store: &dyn KvStore) {
    for key in [
        "/elsewhere/p",
        "/p/a",
        "/p/b",
        "/p/bc",
        "/p/b/x",
        "/p/b0",
        "/p/c",
        "/pz",
    ] {
        put(store, key, "x");
    }
    assert_eq!(keys(store, "/p/b"), ["/p/b", "/p/b/x", "/p/b0", "/p/bc"]);
    assert_eq!(keys(store, "/p/b/"), ["/p/b/x"]);
    assert_eq!(keys(store, "/p/bc"), ["/p/bc"]);
    assert_eq!(
        keys(store, "/p/"),
        ["/p/a", "/p/b", "/p/b/x", "/p/b0", "/p/bc", "/p/c"]
    );
    assert_eq!(
        keys(store, "/p"),
        ["/p/a", "/p/b", "/p/b/x", "/p/b0", "/p/bc", "/p/c", "/pz"]
    );
    assert!(keys(store, "/p/z").is_empty());
    assert!(keys(store, "/p/bcd").is_empty());
    // The empty prefix lists everything.
    let all = keys(store, "");
    assert!(all.contains(&"/pz".to_string()) && all.contains(&"/elsewhere/p".to_string()));
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "all keys sorted and distinct"
    );
}

fn empty_values(store: &dyn KvStore) {
    let r = store
        .txn(Txn::new().require_absent("/e/k").put("/e/k", Vec::new()))
        .unwrap();
    assert!(r.succeeded);
    let kv = store.get("/e/k").unwrap().unwrap();
    assert!(kv.value.is_empty());
    assert_eq!(kv.version, 1);
    // An empty value is a present key, not an absent one.
    let again = store
        .txn(Txn::new().require_absent("/e/k").put("/e/k", b"x".to_vec()))
        .unwrap();
    assert!(!again.succeeded);
    assert_eq!(store.list("/e/").unwrap().kvs, vec![kv]);
}

fn large_values_and_limits(store: &dyn KvStore) {
    // About 1 MB, every byte value, fits.
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let r = store.txn(Txn::new().put("/big/1mb", big.clone())).unwrap();
    assert!(r.succeeded);
    assert_eq!(store.get("/big/1mb").unwrap().unwrap().value, big);
    assert_eq!(store.list("/big/").unwrap().kvs[0].value, big);

    // Over the limit, refused without writing.
    let before = store.revision().unwrap();
    let err = store
        .txn(Txn::new().put("/big/too", vec![b'x'; 1_500_000]))
        .unwrap_err();
    assert!(matches!(err, DatastoreError::TooLarge(_)), "{err:?}");
    assert!(err.to_string().contains("1.5 MiB"), "{err}");
    assert_eq!(store.get("/big/too").unwrap(), None);

    // etcd's --max-txn-ops: 128 operations are fine, 129 are not; comparisons count too.
    let full = (0..MAX_TXN_OPS).fold(Txn::new(), |t, i| t.put(format!("/big/ops/{i:03}"), vec![]));
    let r = store.txn(full).unwrap();
    assert!(r.succeeded);
    assert_eq!(r.revision, before + 1);
    assert_eq!(store.list("/big/ops/").unwrap().kvs.len(), MAX_TXN_OPS);

    let over = (0..=MAX_TXN_OPS).fold(Txn::new(), |t, i| {
        t.put(format!("/big/over/{i:03}"), vec![])
    });
    let err = store.txn(over).unwrap_err();
    assert!(matches!(err, DatastoreError::TooLarge(_)), "{err:?}");
    assert!(err.to_string().contains("128"), "{err}");
    let compares = (0..=MAX_TXN_OPS).fold(Txn::new(), |t, i| {
        t.require_absent(format!("/big/c/{i:03}"))
    });
    let err = store.txn(compares.put("/big/c/x", vec![])).unwrap_err();
    assert!(matches!(err, DatastoreError::TooLarge(_)), "{err:?}");
    assert!(store.list("/big/over/").unwrap().kvs.is_empty());
    assert_eq!(store.get("/big/c/x").unwrap(), None);
    assert_eq!(store.revision().unwrap(), before + 1);
}

/// A value of `len` bytes that differs from any other of its length by `seed`.
fn sized_value(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

fn values_that_change_size(store: &dyn KvStore) {
    // Sizes on both sides of where a backend may keep a value apart from its key (the
    // embedded store: 900 bytes with the key), as an IPAM block grows from 1 KB to 16 KB
    // and shrinks again on release.
    let sizes = [10, 2_000, 5, 16_000, 0, 899, 900, 901, 3_000, 1];
    let keys = ["/vs/a", "/vs/b", "/vs/c"];
    let mut expect: Vec<(Vec<u8>, i64, i64, i64)> = Vec::new();
    for (step, size) in sizes.iter().enumerate() {
        // Each key gets a different size in one transaction: one grows while another shrinks.
        let mut txn = Txn::new();
        let values: Vec<Vec<u8>> = (0..keys.len())
            .map(|k| sized_value(sizes[(step + k) % sizes.len()], step as u8 + k as u8))
            .collect();
        for (k, key) in keys.iter().enumerate() {
            match expect.get(k) {
                Some((_, _, rev, _)) => txn = txn.require_revision(*key, *rev),
                None => txn = txn.require_absent(*key),
            }
            txn = txn.put(*key, values[k].clone());
        }
        let r = store.txn(txn).unwrap();
        assert!(r.succeeded, "step {step} (size {size})");
        for (k, v) in values.into_iter().enumerate() {
            match expect.get_mut(k) {
                Some(e) => *e = (v, e.1, r.revision, e.3 + 1),
                None => expect.push((v, r.revision, r.revision, 1)),
            }
        }
        // A transaction whose compare fails changes nothing, whatever its puts' sizes.
        let stale = store
            .txn(
                Txn::new()
                    .require_revision(keys[0], r.revision - 1)
                    .put(keys[0], sized_value(20_000, 7))
                    .put(keys[1], b"small".to_vec()),
            )
            .unwrap();
        assert!(!stale.succeeded);
        let got: Vec<(Vec<u8>, i64, i64, i64)> = store
            .list("/vs/")
            .unwrap()
            .kvs
            .into_iter()
            .map(|kv| (kv.value, kv.create_revision, kv.mod_revision, kv.version))
            .collect();
        assert_eq!(got, expect, "list after step {step}");
        for (k, key) in keys.iter().enumerate() {
            let kv = store.get(key).unwrap().unwrap();
            assert_eq!(kv.value, expect[k].0, "get {key} after step {step}");
        }
        let many = store
            .read_many(&[Read::Key(keys[1].into()), Read::Prefix("/vs/".into())])
            .unwrap();
        assert_eq!(many.results[0][0].value, expect[1].0);
        assert_eq!(
            many.results[1]
                .iter()
                .map(|kv| kv.value.clone())
                .collect::<Vec<_>>(),
            expect.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
        );
        let mut scanned = Vec::new();
        store
            .scan("/vs/", &mut |kv| {
                scanned.push(kv.value);
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(
            scanned,
            expect.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
        );
    }
    // Deleted, big or small, they are gone; created again, they start over.
    let r = store
        .txn(Txn::new().delete(keys[0]).delete(keys[1]).delete(keys[2]))
        .unwrap();
    assert!(r.succeeded);
    assert!(store.list("/vs/").unwrap().kvs.is_empty());
    let again = sized_value(5_000, 9);
    let r = store
        .txn(
            Txn::new()
                .require_absent(keys[0])
                .put(keys[0], again.clone()),
        )
        .unwrap();
    let kv = store.get(keys[0]).unwrap().unwrap();
    assert_eq!(
        (kv.value, kv.create_revision, kv.version),
        (again, r.revision, 1)
    );
}

fn unicode_and_binary_keys(store: &dyn KvStore) {
    let mut written = vec![
        "/u/a".to_string(),
        "/u/B".to_string(),
        "/u/\u{1}".to_string(),
        "/u/\u{7f}".to_string(),
        "/u/a\u{0}b".to_string(),
        "/u/é".to_string(), // C3 A9
        "/u/éa".to_string(),
        "/u/ê".to_string(), // C3 AA: just past the prefix "/u/é"
        "/u/¿".to_string(), // C2 BF: its successor is not UTF-8
        "/u/¿x".to_string(),
        "/u/À".to_string(), // C3 80
        "/u/日本".to_string(),
        "/u/😀".to_string(),
        "/u/\u{ffff}".to_string(),
    ];
    for (i, key) in written.iter().enumerate() {
        put(store, key, &format!("v{i}"));
    }
    for (i, key) in written.iter().enumerate() {
        let kv = store
            .get(key)
            .unwrap()
            .unwrap_or_else(|| panic!("{key:?} missing"));
        assert_eq!(&kv.key, key);
        assert_eq!(kv.value, format!("v{i}").as_bytes());
    }
    written.sort(); // String's order is byte order
    assert_eq!(keys(store, "/u/"), written);
    assert_eq!(keys(store, "/u/é"), ["/u/é", "/u/éa"]);
    assert_eq!(keys(store, "/u/¿"), ["/u/¿", "/u/¿x"]);
    assert_eq!(keys(store, "/u/a"), ["/u/a", "/u/a\u{0}b"]);
    assert_eq!(keys(store, "/u/😀"), ["/u/😀"]);
}

fn list_revision(store: &dyn KvStore) {
    let last = put(store, "/lr/a", "1");
    put(store, "/elsewhere/x", "1");
    let list = store.list("/lr/").unwrap();
    // The store's revision, not the newest key's under the prefix.
    assert_eq!(list.revision, last + 1);
    assert_eq!(list.revision, store.revision().unwrap());
    let empty = store.list("/lr/nothing/").unwrap();
    assert!(empty.kvs.is_empty());
    assert_eq!(empty.revision, last + 1);
}

fn scan_matches_list(store: &dyn KvStore) {
    // More keys than one page of the etcd scan, written out of key order, with neighbours
    // just outside the prefix on both sides.
    put(store, "/sc", "outside");
    put(store, "/sc0", "outside");
    let n = 2_345;
    let mut txn = Txn::new();
    for i in (0..n).rev() {
        txn = txn.put(format!("/sc/{i}"), format!("value-{i}").into_bytes());
        if txn.ops.len() == MAX_TXN_OPS {
            assert!(store.txn(std::mem::take(&mut txn)).unwrap().succeeded);
        }
    }
    assert!(store.txn(txn).unwrap().succeeded);
    put(store, "/elsewhere/after", "1");
    let list = store.list("/sc/").unwrap();
    assert_eq!(list.kvs.len(), n);
    let mut seen = Vec::new();
    let revision = store
        .scan("/sc/", &mut |kv| {
            seen.push(kv);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(
        revision, list.revision,
        "a scan reports the store's revision"
    );
    assert_eq!(
        seen, list.kvs,
        "a scan visits what a listing returns, in key order"
    );

    let mut visited = 0;
    store
        .scan("/sc/", &mut |_| {
            visited += 1;
            if visited == 1_500 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(visited, 1_500, "a scan stops when the visitor breaks");

    let mut none = 0;
    let revision = store
        .scan("/sc/nothing/", &mut |_| {
            none += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(none, 0);
    assert_eq!(revision, store.revision().unwrap());
}

fn read_many_matches_single_reads(store: &dyn KvStore) {
    put(store, "/rm/a", "1");
    put(store, "/rm/b/1", "2");
    put(store, "/rm/b/0", "3");
    put(store, "/rm/b0", "outside");
    let last = put(store, "/elsewhere/rm", "4");
    let reads = vec![
        Read::Key("/rm/a".into()),
        Read::Prefix("/rm/b/".into()),
        Read::Key("/rm/missing".into()),
        Read::Prefix("/rm/none/".into()),
        Read::Key("/rm/b/0".into()),
    ];
    let got = store.read_many(&reads).unwrap();
    assert_eq!(got.revision, last, "read at the store's current revision");
    assert_eq!(
        got.results.len(),
        reads.len(),
        "one answer per read, in order"
    );
    assert_eq!(
        got.results[0],
        vec![store.get("/rm/a").unwrap().unwrap()],
        "a key read is what get returns"
    );
    assert_eq!(
        got.results[1],
        store.list("/rm/b/").unwrap().kvs,
        "a prefix read is what list returns, in key order"
    );
    assert_eq!(got.results[1].len(), 2);
    assert!(got.results[2].is_empty(), "an absent key reads as nothing");
    assert!(got.results[3].is_empty());
    assert_eq!(got.results[4][0].value, b"3");
    assert!(store.read_many(&[]).unwrap().results.is_empty());
    // Keys only: the listing without its values.
    let keys_only = store.list_keys("/rm/b/").unwrap();
    let full = store.list("/rm/b/").unwrap();
    assert_eq!(keys_only.revision, full.revision);
    assert_eq!(keys_only.kvs.len(), full.kvs.len());
    for (k, f) in keys_only.kvs.iter().zip(&full.kvs) {
        assert_eq!(k.key, f.key);
        assert_eq!(k.mod_revision, f.mod_revision);
        assert_eq!(k.create_revision, f.create_revision);
        assert_eq!(k.version, f.version);
        assert!(k.value.is_empty(), "{} listed with its value", k.key);
    }
    // More reads than one etcd transaction may hold: answered in order all the same.
    let mut txn = Txn::new();
    for i in 0..MAX_TXN_OPS {
        txn = txn.put(format!("/rm/many/{i:04}"), format!("{i}").into_bytes());
    }
    assert!(store.txn(txn).unwrap().succeeded);
    let many: Vec<Read> = (0..MAX_TXN_OPS * 2 + 3)
        .map(|i| Read::Key(format!("/rm/many/{:04}", i % (MAX_TXN_OPS + 7))))
        .collect();
    let got = store.read_many(&many).unwrap();
    assert_eq!(got.results.len(), many.len());
    for (i, r) in got.results.iter().enumerate() {
        let n = i % (MAX_TXN_OPS + 7);
        if n < MAX_TXN_OPS {
            assert_eq!(r.len(), 1, "read {i}");
            assert_eq!(r[0].value, format!("{n}").into_bytes(), "read {i}");
        } else {
            assert!(r.is_empty(), "read {i}");
        }
    }
    assert!(matches!(
        store.read_many(&[Read::Key(String::new())]),
        Err(DatastoreError::Invalid(_))
    ));
}

fn duplicate_keys_rejected(store: &dyn KvStore) {
    let before = store.revision().unwrap();
    let cases = [
        (
            "put, put",
            Txn::new()
                .put("/dup/k", b"1".to_vec())
                .put("/dup/k", b"2".to_vec()),
        ),
        (
            "put, delete",
            Txn::new().put("/dup/k", b"1".to_vec()).delete("/dup/k"),
        ),
        (
            "delete, put",
            Txn::new().delete("/dup/k").put("/dup/k", b"1".to_vec()),
        ),
        (
            "among others",
            Txn::new()
                .put("/dup/a", b"1".to_vec())
                .put("/dup/k", b"1".to_vec())
                .put("/dup/b", b"1".to_vec())
                .put("/dup/k", b"2".to_vec()),
        ),
    ];
    for (what, txn) in cases {
        // Refused whether the comparisons would hold or not.
        for txn in [txn.clone(), txn.require_revision("/dup/k", 12345)] {
            let err = store.txn(txn).unwrap_err();
            assert!(matches!(err, DatastoreError::Invalid(_)), "{what}: {err:?}");
            assert!(
                err.to_string()
                    .contains("duplicate key given in txn request"),
                "{what}: {err}"
            );
        }
    }
    assert!(store.list("/dup/").unwrap().kvs.is_empty());
    assert_eq!(store.revision().unwrap(), before);

    // Deleting one key twice is allowed (etcd allows it), and is one change.
    let created = put(store, "/dup/k", "x");
    let r = store
        .txn(Txn::new().delete("/dup/k").delete("/dup/k"))
        .unwrap();
    assert!(r.succeeded);
    assert_eq!(r.revision, created + 1);
    assert_eq!(store.get("/dup/k").unwrap(), None);
    // Comparing one key several times is fine too.
    let r = store
        .txn(
            Txn::new()
                .require_absent("/dup/k")
                .require_absent("/dup/k")
                .put("/dup/k", b"y".to_vec()),
        )
        .unwrap();
    assert!(r.succeeded);
}

fn empty_key_rejected(store: &dyn KvStore) {
    let before = store.revision().unwrap();
    for txn in [
        Txn::new().put("", b"x".to_vec()),
        Txn::new().delete(""),
        Txn::new().require_absent("").put("/ek/a", b"x".to_vec()),
    ] {
        let err = store.txn(txn).unwrap_err();
        assert!(matches!(err, DatastoreError::Invalid(_)), "{err:?}");
        assert!(err.to_string().contains("key is not provided"), "{err}");
    }
    let err = store.get("").unwrap_err();
    assert!(matches!(err, DatastoreError::Invalid(_)), "{err:?}");
    assert_eq!(store.get("/ek/a").unwrap(), None);
    assert_eq!(store.revision().unwrap(), before);
}

/// `require_unchanged_since` and `require_none_created_since` look at every key under their
/// prefix, and only there.
fn prefix_compares(store: &dyn KvStore) {
    let unchanged = |prefix: &str, rev: i64| {
        let before = store.revision().unwrap();
        let r = store
            .txn(
                Txn::new()
                    .require_unchanged_since(prefix, rev)
                    .put("/pc-probe", b"u".to_vec()),
            )
            .unwrap();
        let after = store.revision().unwrap();
        assert_eq!(after, if r.succeeded { before + 1 } else { before });
        r.succeeded
    };
    let none_created = |prefix: &str, rev: i64| {
        let before = store.revision().unwrap();
        let r = store
            .txn(
                Txn::new()
                    .require_none_created_since(prefix, rev)
                    .put("/pc-probe", b"c".to_vec()),
            )
            .unwrap();
        let after = store.revision().unwrap();
        assert_eq!(after, if r.succeeded { before + 1 } else { before });
        r.succeeded
    };
    // An empty range holds for any revision, even 0.
    assert!(unchanged("/pc/", 0));
    assert!(none_created("/pc/", 0));
    let a = put(store, "/pc/a", "1");
    let b = put(store, "/pc/b", "1");
    assert!(unchanged("/pc/", b) && none_created("/pc/", b));
    assert!(!unchanged("/pc/", b - 1), "/pc/b was written after b - 1");
    assert!(
        !none_created("/pc/", b - 1),
        "/pc/b was created after b - 1"
    );
    assert!(!unchanged("/pc/", a - 1) && !none_created("/pc/", 0));
    // Rewriting an existing key changes it but creates nothing.
    let rewritten = put(store, "/pc/a", "2");
    assert!(!unchanged("/pc/", b));
    assert!(unchanged("/pc/", rewritten));
    assert!(none_created("/pc/", b));
    // A new key is both.
    let c = put(store, "/pc/c", "1");
    assert!(!none_created("/pc/", rewritten) && !unchanged("/pc/", rewritten));
    assert!(none_created("/pc/", c) && unchanged("/pc/", c));
    // Keys beside the prefix do not count: "/pc0" sorts right after every "/pc/..." key,
    // "/pc" is shorter, "/pb/z" before.
    put(store, "/pc0", "1");
    put(store, "/pc", "1");
    put(store, "/pb/z", "1");
    assert!(unchanged("/pc/", c) && none_created("/pc/", c));
    // Nor does a deletion (the key is gone, there is nothing left to compare).
    let gone = store.txn(Txn::new().delete("/pc/c")).unwrap();
    assert!(gone.succeeded);
    assert!(unchanged("/pc/", c) && none_created("/pc/", b));
    // A narrower prefix sees only its own keys.
    assert!(unchanged("/pc/b", b) && !unchanged("/pc/a", b));
    // All comparisons of a transaction must hold; a failing one writes nothing.
    let before = store.revision().unwrap();
    let r = store
        .txn(
            Txn::new()
                .require_unchanged_since("/pc/", rewritten)
                .require_none_created_since("/pc/", 0)
                .put("/pc/d", b"1".to_vec()),
        )
        .unwrap();
    assert!(!r.succeeded);
    assert_eq!(store.get("/pc/d").unwrap(), None);
    assert_eq!(store.revision().unwrap(), before);
    // An empty prefix is refused as an empty key is.
    for txn in [
        Txn::new().require_unchanged_since("", 0),
        Txn::new().require_none_created_since("", 0),
    ] {
        let err = store.txn(txn.put("/pc/e", b"1".to_vec())).unwrap_err();
        assert!(matches!(err, DatastoreError::Invalid(_)), "{err:?}");
    }
}

fn wait_for_change(store: &dyn KvStore) {
    let written = put(store, "/w/a", "1");

    // Already past `after`: returns at once.
    let t = Instant::now();
    let r = store
        .wait_for_change("/w/", written - 1, Duration::from_secs(10))
        .unwrap();
    assert!(r >= written);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // Nothing changes: waits out the timeout and reports the current revision.
    let t = Instant::now();
    let r = store
        .wait_for_change("/w/", written, Duration::from_millis(300))
        .unwrap();
    assert_eq!(r, written);
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(280), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");

    // A write from another thread wakes the waiter long before its timeout.
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            put(store, "/w/b", "2");
        });
        let t = Instant::now();
        let r = store
            .wait_for_change("/w/", written, Duration::from_secs(20))
            .unwrap();
        assert_eq!(r, written + 1);
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    });
}

/// Follows `prefix` from `after` until every change up to `until` has been delivered,
/// applying the events to `view` (key -> value); the events, in the order received.
fn follow(
    store: &dyn KvStore,
    prefix: &str,
    mut after: i64,
    until: i64,
    view: &mut BTreeMap<String, Vec<u8>>,
) -> Vec<Change> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut all = Vec::new();
    while after < until {
        assert!(
            Instant::now() < deadline,
            "changes up to {until} never came"
        );
        match store
            .changes(prefix, after, Duration::from_secs(5))
            .unwrap()
        {
            Changes::Events { events, revision } => {
                assert!(revision >= after, "{revision} < {after}");
                for e in &events {
                    assert!(e.key.starts_with(prefix), "{e:?}");
                    assert!(
                        e.mod_revision > after && e.mod_revision <= revision,
                        "{e:?}"
                    );
                    match &e.value {
                        Some(v) => view.insert(e.key.clone(), v.clone()),
                        None => view.remove(&e.key),
                    };
                }
                all.extend(events);
                after = revision;
            }
            Changes::Compacted { revision } => panic!("compacted at {revision}"),
        }
    }
    let revisions: Vec<i64> = all.iter().map(|e| e.mod_revision).collect();
    assert!(revisions.is_sorted(), "in revision order: {revisions:?}");
    all
}

/// The key -> value map of a listing.
fn listed(store: &dyn KvStore, prefix: &str) -> (BTreeMap<String, Vec<u8>>, i64) {
    let list = store.list(prefix).unwrap();
    let map = list.kvs.into_iter().map(|kv| (kv.key, kv.value)).collect();
    (map, list.revision)
}

fn changes_follow_a_listing(store: &dyn KvStore) {
    put(store, "/f/a", "1");
    put(store, "/f/b", "1");
    put(store, "/g/x", "1");
    let (mut view, start) = listed(store, "/f/");
    let initial = view.clone();
    put(store, "/f/a", "2");
    put(store, "/g/y", "outside");
    let r = store.txn(Txn::new().delete("/f/b").put("/f/c", b"1".to_vec()));
    assert!(r.unwrap().succeeded);
    put(store, "/f/c", "2");
    let c_deleted = store.txn(Txn::new().delete("/f/c")).unwrap().revision;
    let last = put(store, "/f/d", "1");
    put(store, "/f0", "outside");
    let events = follow(store, "/f/", start, last, &mut view);
    assert_eq!(view, listed(store, "/f/").0, "the listing plus the changes");
    let final_state = |key: &str| events.iter().rev().find(|e| e.key == key).cloned();
    assert_eq!(final_state("/f/b").unwrap().value, None, "deleted");
    let c = final_state("/f/c").unwrap();
    assert_eq!((c.value, c.mod_revision), (None, c_deleted));
    let d = final_state("/f/d").unwrap();
    assert_eq!((d.value, d.mod_revision), (Some(b"1".to_vec()), last));
    assert_eq!(final_state("/f/a").unwrap().value, Some(b"2".to_vec()));

    // Asked again from the listing's revision: the same changes.
    let mut again = initial;
    follow(store, "/f/", start, last, &mut again);
    assert_eq!(again, view);

    // Nothing new: the wait lasts its timeout and delivers nothing.
    let t = Instant::now();
    match store
        .changes("/f/", last, Duration::from_millis(300))
        .unwrap()
    {
        Changes::Events { events, revision } => {
            assert!(events.is_empty(), "{events:?}");
            assert!(revision >= last);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    // A write outside the prefix is not a change under it; one inside wakes the follower.
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            put(store, "/g/z", "1");
            std::thread::sleep(Duration::from_millis(200));
            put(store, "/f/e", "1");
        });
        let t = Instant::now();
        let mut after = last;
        loop {
            match store
                .changes("/f/", after, Duration::from_secs(10))
                .unwrap()
            {
                Changes::Events { events, revision } if events.is_empty() => after = revision,
                Changes::Events { events, .. } => {
                    let keys: Vec<&str> = events.iter().map(|e| e.key.as_str()).collect();
                    assert_eq!(keys, ["/f/e"]);
                    break;
                }
                other => panic!("{other:?}"),
            }
            assert!(t.elapsed() < Duration::from_secs(10));
        }
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    });
}

fn changes_after_compaction(store: &dyn KvStore, compact: &dyn Fn(i64)) {
    let first = put(store, "/c/a", "1");
    let second = put(store, "/c/b", "1");
    let last = put(store, "/c/a", "2");
    compact(second);
    // The history from `first` is gone: the follower is told so, and lists again.
    assert_eq!(
        store.changes("/c/", first, Duration::from_secs(5)).unwrap(),
        Changes::Compacted { revision: second }
    );
    let mut view = BTreeMap::new();
    let events = follow(store, "/c/", second, last, &mut view);
    assert_eq!(
        events.last().map(|e| (e.key.as_str(), e.value.clone())),
        Some(("/c/a", Some(b"2".to_vec())))
    );
    // Listing again and following from there works as usual.
    let (mut view, at) = listed(store, "/c/");
    let next = put(store, "/c/c", "1");
    follow(store, "/c/", at, next, &mut view);
    assert_eq!(view, listed(store, "/c/").0);
}

/// Increments the counter under `prefix` `count` times by compare-and-swap, retrying on
/// conflicts. Each increment also creates a marker key `<prefix>/log/<worker>-<n>` holding the
/// value it set, in the same transaction, so that lost or doubled updates can be found.
pub(crate) fn increment(store: &dyn KvStore, prefix: &str, worker: &str, count: usize) {
    let counter = format!("{prefix}/counter");
    for n in 0..count {
        let marker = format!("{prefix}/log/{worker}-{n:05}");
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts < 100_000, "{worker}: no progress on increment {n}");
            let (value, revision) = match store.get(&counter).unwrap() {
                Some(kv) => (
                    std::str::from_utf8(&kv.value)
                        .unwrap()
                        .parse::<u64>()
                        .unwrap(),
                    kv.mod_revision,
                ),
                None => (0, 0),
            };
            let next = (value + 1).to_string().into_bytes();
            let r = store
                .txn(
                    Txn::new()
                        .require_revision(&counter, revision)
                        .require_absent(&marker)
                        .put(&counter, next.clone())
                        .put(&marker, next),
                )
                .unwrap();
            if r.succeeded {
                break;
            }
        }
    }
}

/// Checks the counter under `prefix` after `total` successful [`increment`]s: its value is
/// `total`, there are `total` markers, and each value 1..=total was set exactly once.
pub(crate) fn check_counter(store: &dyn KvStore, prefix: &str, total: usize) {
    let counter = store.get(&format!("{prefix}/counter")).unwrap().unwrap();
    assert_eq!(
        counter.value,
        total.to_string().into_bytes(),
        "lost updates"
    );
    assert_eq!(counter.version, total as i64);
    let log = store.list(&format!("{prefix}/log/")).unwrap();
    assert_eq!(log.kvs.len(), total);
    let mut values: Vec<u64> = log
        .kvs
        .iter()
        .map(|kv| std::str::from_utf8(&kv.value).unwrap().parse().unwrap())
        .collect();
    values.sort_unstable();
    assert!(
        values.iter().copied().eq(1..=total as u64),
        "two increments set the same value"
    );
}

/// Several clients (one thread each, each with its own handle on one store) increment one
/// counter by compare-and-swap; no update may be lost, and each takes exactly one revision.
pub(crate) fn cas_counter(stores: &[&dyn KvStore], each: usize) {
    let start = stores[0].revision().unwrap();
    std::thread::scope(|s| {
        for (i, store) in stores.iter().enumerate() {
            s.spawn(move || increment(*store, "/cas/threads", &format!("client-{i}"), each));
        }
    });
    let total = stores.len() * each;
    check_counter(stores[0], "/cas/threads", total);
    assert_eq!(stores[0].revision().unwrap(), start + total as i64);
}

/// A scan sees one snapshot: writes made through `writer` (another connection to the same
/// store) while `scanner` is part-way through a scan of more than one etcd page are not seen.
pub(crate) fn scan_is_one_snapshot(scanner: &dyn KvStore, writer: &dyn KvStore) {
    let n = 2_100;
    let mut txn = Txn::new();
    for i in 0..n {
        txn = txn.put(format!("/snap/{i:05}"), b"old".to_vec());
        if txn.ops.len() == MAX_TXN_OPS {
            assert!(scanner.txn(std::mem::take(&mut txn)).unwrap().succeeded);
        }
    }
    assert!(scanner.txn(txn).unwrap().succeeded);
    let before = scanner.revision().unwrap();
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
    let mut wrote = false;
    let revision = scanner
        .scan("/snap/", &mut |kv| {
            if !wrote {
                let r = writer
                    .txn(
                        Txn::new()
                            .put("/snap/02000", b"new".to_vec())
                            .delete("/snap/01500")
                            .put("/snap/99999", b"new".to_vec()),
                    )
                    .unwrap();
                assert!(r.succeeded);
                wrote = true;
            }
            seen.push((kv.key, kv.value));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(
        revision, before,
        "the scan's revision is the one it started at"
    );
    assert_eq!(
        seen.len(),
        n,
        "the scan saw the keys as they were when it started"
    );
    assert!(seen.iter().all(|(_, v)| v == b"old"));
    assert!(seen.iter().any(|(k, _)| k == "/snap/01500"));
    assert!(!seen.iter().any(|(k, _)| k == "/snap/99999"));
    assert_eq!(scanner.revision().unwrap(), before + 1);
}

/// [`KvStore::read_at_one_revision`]: ranges read together, and a range read after them, all
/// see the store as it was at the snapshot's revision, though `writer` changes every range
/// while the first is read; the ranges cut at [`Snapshot::split_points`](super::Snapshot)
/// cover their range once, in order.
pub(crate) fn snapshot_reads_agree(reader: &dyn KvStore, writer: &dyn KvStore) {
    let n = 2_100;
    let mut txn = Txn::new();
    for range in ["a", "b", "c"] {
        for i in 0..n {
            txn = txn.put(format!("/one-rev/{range}/{i:05}"), b"old".to_vec());
            if txn.ops.len() == MAX_TXN_OPS {
                assert!(reader.txn(std::mem::take(&mut txn)).unwrap().succeeded);
            }
        }
    }
    assert!(reader.txn(txn).unwrap().succeeded);
    let before = reader.revision().unwrap();
    let wrote = std::sync::atomic::AtomicBool::new(false);
    let write_once = || {
        if !wrote.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let mut txn = Txn::new();
            for range in ["a", "b", "c"] {
                txn = txn
                    .put(format!("/one-rev/{range}/02000"), b"new".to_vec())
                    .delete(format!("/one-rev/{range}/01500"))
                    .put(format!("/one-rev/{range}/99999"), b"new".to_vec());
            }
            assert!(writer.txn(txn).unwrap().succeeded);
        }
    };
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let mut snapshot_revision = 0;
    let revision = reader
        .read_at_one_revision(&mut |snap| {
            snapshot_revision = snap.revision();
            let mut keep_a = |kv: super::KeyValue| {
                write_once();
                a.push((kv.key, kv.value));
                std::ops::ControlFlow::Continue(())
            };
            let mut keep_b = |kv: super::KeyValue| {
                b.push((kv.key, kv.value));
                std::ops::ControlFlow::Continue(())
            };
            snap.scan_ranges(&mut [
                super::ScanRange::prefix("/one-rev/a/", &mut keep_a),
                super::ScanRange::prefix("/one-rev/b/", &mut keep_b),
            ])?;
            write_once();
            snap.scan("/one-rev/c/", &mut |kv| {
                c.push((kv.key, kv.value));
                std::ops::ControlFlow::Continue(())
            })
        })
        .unwrap();
    assert_eq!(
        revision, before,
        "the snapshot is at the revision it started at"
    );
    assert_eq!(snapshot_revision, before);
    for (name, seen) in [("a", &a), ("b", &b), ("c", &c)] {
        assert_eq!(seen.len(), n, "range {name} as it was at the snapshot");
        assert!(seen.iter().all(|(_, v)| v == b"old"), "range {name}");
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0),
            "range {name} in order"
        );
        assert!(
            !seen.iter().any(|(k, _)| k.ends_with("99999")),
            "range {name}"
        );
    }
    assert_eq!(reader.revision().unwrap(), before + 1);

    // Cut a range where the store says, read the parts together: every key once.
    let (start, end) = (b"/one-rev/".to_vec(), b"/one-rev0".to_vec());
    let mut keys = Vec::new();
    reader
        .read_at_one_revision(&mut |snap| {
            let cuts = snap.split_points(&start, &end, 3)?;
            assert!(cuts.windows(2).all(|w| w[0] < w[1]), "{cuts:?}");
            assert!(cuts.iter().all(|c| c > &start && c < &end), "{cuts:?}");
            let mut bounds = vec![start.clone()];
            bounds.extend(cuts);
            bounds.push(end.clone());
            let mut parts: Vec<Vec<String>> = vec![Vec::new(); bounds.len() - 1];
            let mut visitors: Vec<_> = parts
                .iter_mut()
                .map(|part| {
                    move |kv: super::KeyValue| {
                        part.push(kv.key);
                        std::ops::ControlFlow::Continue(())
                    }
                })
                .collect();
            let mut ranges: Vec<super::ScanRange<'_>> = visitors
                .iter_mut()
                .zip(bounds.windows(2))
                .map(|(visit, w)| super::ScanRange {
                    start: w[0].clone(),
                    end: Some(w[1].clone()),
                    visit,
                })
                .collect();
            snap.scan_ranges(&mut ranges)?;
            drop(ranges);
            drop(visitors);
            keys = parts.concat();
            Ok(())
        })
        .unwrap();
    assert_eq!(keys.len(), 3 * n, "every key once");
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "in order");
}
