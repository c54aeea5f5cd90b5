//! IPAM behaviour tests.
//!
//! Every scenario is a function taking a [`Store`], so the same suite can run against the
//! memory, embedded and etcd backends; `store_tests!` instantiates them for one backend.

mod affinity;
mod assign;
mod cache;
mod concurrency;
mod data;
mod node_delete;
mod props;
mod release;
mod rider;

use super::*;
use crate::datastore::memory::MemoryStore;
use crate::datastore::{KvStore, ListResponse, TxnResponse};
use crate::model::{IpPool, IpReservation, Node};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Instantiates store-generic scenarios as `#[test]`s in module `$module`, each calling the
/// scenario of the same name with a store from `$make`, and lists them in `SCENARIOS` so that
/// [`run_all`] can run them against any backend.
macro_rules! store_tests {
    ($module:ident, $make:expr; $($name:ident),* $(,)?) => {
        /// Every scenario of this file, by name.
        #[allow(dead_code)]
        pub(crate) const SCENARIOS: &[(&str, fn(Store))] = &[$((stringify!($name), $name)),*];

        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    super::$name($make);
                }
            )*
        }
    };
}
pub(crate) use store_tests;

/// Runs every store-generic IPAM scenario, each on a fresh store from `make`, plus a short
/// property run: the suite for the embedded and etcd backends, e.g.
/// `crate::ipam::tests::run_all(&|| open_fresh_embedded())`.
pub(crate) fn run_all(make: &dyn Fn() -> Store) {
    for (name, scenario) in assign::SCENARIOS
        .iter()
        .chain(release::SCENARIOS)
        .chain(affinity::SCENARIOS)
        .chain(concurrency::SCENARIOS)
        .chain(rider::SCENARIOS)
        .chain(node_delete::SCENARIOS)
    {
        eprintln!("ipam scenario {name}");
        scenario(make());
    }
    props::run_random(make, 16);
}

/// A fresh memory store.
pub(crate) fn mem() -> Store {
    Arc::new(MemoryStore::new())
}

/// A store wrapper that counts transactions and can run a hook before one of them.
pub(crate) struct CountingStore {
    inner: Store,
    pub txns: AtomicUsize,
    pub gets: AtomicUsize,
    pub lists: AtomicUsize,
    /// `read_many` batches (one round trip each).
    pub batches: AtomicUsize,
    #[allow(clippy::type_complexity)]
    hook: std::sync::Mutex<Option<(usize, Box<dyn FnOnce(&Store) + Send>)>>,
}

impl CountingStore {
    pub(crate) fn new(inner: Store) -> Arc<CountingStore> {
        Arc::new(CountingStore {
            inner,
            txns: AtomicUsize::new(0),
            gets: AtomicUsize::new(0),
            lists: AtomicUsize::new(0),
            batches: AtomicUsize::new(0),
            hook: std::sync::Mutex::new(None),
        })
    }

    /// Runs `f` on the inner store just before the `nth` transaction from now (0 = next).
    pub(crate) fn before_txn(&self, nth: usize, f: impl FnOnce(&Store) + Send + 'static) {
        let at = self.txns.load(Ordering::SeqCst) + nth;
        *self.hook.lock().unwrap() = Some((at, Box::new(f)));
    }

    /// Just before the next transaction, another writer (handle `other`) takes `ip` for
    /// `host` (its own transaction runs first and is counted).
    pub(crate) fn other_takes_before_next_txn(self: &Arc<Self>, ip: IpAddr, host: &str) {
        let other = Ipam::from_store(self.clone());
        let host = host.to_string();
        self.before_txn(0, move |_| {
            other
                .assign_ip(&AssignIpRequest {
                    ip,
                    handle_id: Some("other".into()),
                    attrs: BTreeMap::new(),
                    hostname: host,
                })
                .unwrap();
        });
    }

    pub(crate) fn count(&self) -> usize {
        self.txns.load(Ordering::SeqCst)
    }

    /// (transactions, gets, lists, read_many batches) so far.
    pub(crate) fn stats(&self) -> (usize, usize, usize, usize) {
        (
            self.txns.load(Ordering::SeqCst),
            self.gets.load(Ordering::SeqCst),
            self.lists.load(Ordering::SeqCst),
            self.batches.load(Ordering::SeqCst),
        )
    }
}

impl KvStore for CountingStore {
    fn describe(&self) -> String {
        format!("counting {}", self.inner.describe())
    }
    fn get(&self, key: &str) -> crate::datastore::Result<Option<crate::datastore::KeyValue>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key)
    }
    fn list(&self, prefix: &str) -> crate::datastore::Result<ListResponse> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.inner.list(prefix)
    }
    fn read_many(
        &self,
        reads: &[crate::datastore::Read],
    ) -> crate::datastore::Result<crate::datastore::ReadManyResponse> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        self.inner.read_many(reads)
    }
    fn txn(&self, txn: crate::datastore::Txn) -> crate::datastore::Result<TxnResponse> {
        let n = self.txns.fetch_add(1, Ordering::SeqCst);
        let hook = {
            let mut h = self.hook.lock().unwrap();
            match h.as_ref() {
                Some((at, _)) if *at == n => h.take().map(|(_, f)| f),
                _ => None,
            }
        };
        if let Some(f) = hook {
            f(&self.inner);
        }
        self.inner.txn(txn)
    }
    fn revision(&self) -> crate::datastore::Result<i64> {
        self.inner.revision()
    }
}

/// A test fixture: IPAM over a store plus shortcuts.
pub(crate) struct Fx {
    pub ipam: Ipam,
}

pub(crate) fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

impl Fx {
    pub(crate) fn new(store: Store) -> Fx {
        Fx {
            ipam: Ipam::from_store(store),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        self.ipam.store()
    }

    pub(crate) fn pool(&self, name: &str, cidr: &str) -> IpPool {
        self.pool_with(name, cidr, |_| {})
    }

    pub(crate) fn pool_with(&self, name: &str, cidr: &str, f: impl FnOnce(&mut IpPool)) -> IpPool {
        let mut p = IpPool::new(name, cidr);
        f(&mut p);
        self.ipam.client().create(p).unwrap()
    }

    pub(crate) fn node(&self, name: &str, labels: &[(&str, &str)]) -> Node {
        let mut n = Node::new(name);
        n.metadata.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.ipam.client().create(n).unwrap()
    }

    pub(crate) fn reserve(&self, name: &str, cidrs: &[&str]) {
        let mut r = IpReservation::default();
        r.metadata.name = name.to_string();
        r.spec.reserved_cidrs = cidrs.iter().map(|s| s.to_string()).collect();
        self.ipam.client().create(r).unwrap();
    }

    pub(crate) fn req(host: &str, handle: &str, num4: usize) -> AutoAssignRequest {
        AutoAssignRequest {
            num4,
            handle_id: Some(handle.to_string()),
            attrs: [("node", host)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            hostname: host.to_string(),
            ..Default::default()
        }
    }

    /// Assigns `n` IPv4 addresses to `host` under `handle`; returns them.
    pub(crate) fn assign4(&self, host: &str, handle: &str, n: usize) -> Vec<Cidr> {
        let r = self.ipam.auto_assign(&Fx::req(host, handle, n)).unwrap();
        r.ipv4.unwrap().ips
    }

    pub(crate) fn raw(&self, key: &str) -> Option<String> {
        self.store()
            .get(key)
            .unwrap()
            .map(|kv| String::from_utf8(kv.value).unwrap())
    }

    pub(crate) fn block(&self, cidr: &str) -> Option<AllocationBlock> {
        self.ipam.read_block(&c(cidr)).unwrap().map(|s| s.value)
    }

    pub(crate) fn set_config(&self, strict: bool, auto: bool, max: i64) {
        self.ipam
            .set_config(&IpamConfig {
                strict_affinity: strict,
                auto_allocate_blocks: auto,
                max_blocks_per_host: max,
                ..IpamConfig::default()
            })
            .unwrap();
    }

    /// Every allocated address in the store, with its sanitised handle.
    pub(crate) fn allocations(&self) -> BTreeMap<IpAddr, Option<String>> {
        let mut out = BTreeMap::new();
        for b in self.ipam.list_blocks().unwrap() {
            let b = b.value;
            for o in 0..b.size() {
                if b.is_allocated(o) {
                    let h = b
                        .attribute_of(o)
                        .and_then(|a| a.handle())
                        .map(str::to_string);
                    assert!(out.insert(b.ip_of(o), h).is_none(), "address twice");
                }
            }
        }
        out
    }

    /// The store-wide invariants: block structure (`validateBlock`), non-overlapping blocks,
    /// handle counts equal to the allocations, affinities and block owners agreeing.
    pub(crate) fn check_invariants(&self) {
        let blocks = self.ipam.list_blocks().unwrap();
        let mut counts: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for (i, b) in blocks.iter().enumerate() {
            let b = &b.value;
            assert_eq!(b.check(), Vec::<String>::new(), "block {}", b.cidr);
            for other in &blocks[i + 1..] {
                assert!(!b.cidr.overlaps(&other.value.cidr), "overlapping blocks");
            }
            for o in 0..b.size() {
                if let Some(h) = b.attribute_of(o).and_then(|a| a.handle()) {
                    *counts
                        .entry(h.to_string())
                        .or_default()
                        .entry(b.cidr.to_string())
                        .or_default() += 1;
                }
            }
        }
        let stored: BTreeMap<String, BTreeMap<String, i64>> = self
            .ipam
            .list_handles()
            .unwrap()
            .into_iter()
            .map(|h| (h.id, h.handle.block))
            .collect();
        assert_eq!(stored, counts, "handle counts");
        let affinities = self.ipam.list_affinities().unwrap();
        for a in &affinities {
            let b = blocks
                .iter()
                .find(|b| b.value.cidr == a.cidr)
                .unwrap_or_else(|| panic!("affinity {} {} without block", a.host, a.cidr));
            assert!(
                b.value.is_affine_to(&a.host),
                "affinity disagrees with block"
            );
            assert!(a.affinity.is_confirmed());
        }
        for b in &blocks {
            if let Some(h) = b.value.host() {
                assert!(
                    affinities
                        .iter()
                        .any(|a| a.host == h && a.cidr == b.value.cidr),
                    "block {} owned by {h} without affinity",
                    b.value.cidr
                );
            }
        }
    }
}

/// The whole suite on the embedded store: a fresh SQLite file for every scenario.
#[test]
fn run_all_on_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    run_all(&|| {
        let path = dir
            .path()
            .join(format!("store-{}.db", n.fetch_add(1, Ordering::Relaxed)));
        Arc::new(crate::datastore::embedded::EmbeddedStore::open(&path).unwrap())
    });
}

/// The whole suite on a real etcd (started for this test on a free loopback port), emptied
/// before every scenario.
#[test]
fn run_all_on_etcd() {
    use crate::datastore::etcd::EtcdStore;
    let etcd = crate::testing::EtcdServer::start();
    run_all(&|| {
        let store = EtcdStore::connect(&etcd.config()).unwrap();
        let all = store.list("/").unwrap();
        for chunk in all.kvs.chunks(crate::datastore::MAX_TXN_OPS) {
            let txn = chunk.iter().fold(crate::datastore::Txn::new(), |t, kv| {
                t.delete(kv.key.clone())
            });
            assert!(store.txn(txn).unwrap().succeeded);
        }
        assert!(store.list("/").unwrap().kvs.is_empty());
        Arc::new(store)
    });
}

/// The whole suite through [`run_all`], on memory stores (checks the runner itself).
#[test]
#[ignore = "duplicates the per-scenario tests; run with --ignored to check run_all"]
fn run_all_on_memory() {
    run_all(&mem);
}
