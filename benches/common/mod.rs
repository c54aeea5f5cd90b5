//! Helpers shared by the benchmarks: the two backends (a local etcd from the test harness and
//! an embedded SQLite file), a store wrapper that counts requests, simple statistics, and the
//! machine's load (printed with every table, since other builds may share the machine).

#![allow(dead_code)] // each benchmark uses a different subset

use calico::datastore::embedded::EmbeddedStore;
use calico::datastore::etcd::EtcdStore;
use calico::datastore::memory::MemoryStore;
use calico::datastore::{
    KvStore, ListResponse, Read, ReadManyResponse, Result, Store, Txn, TxnResponse,
};
use calico::testing::{EtcdServer, TestDir};

pub(crate) mod seed;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where a benchmark's data lives.
pub(crate) enum Backend {
    /// A single-member etcd 3.4 on loopback.
    Etcd(Box<EtcdServer>),
    /// A SQLite file in a temporary directory.
    Embedded { _dir: TestDir, path: PathBuf },
    /// The in-process memory store, shared by every connection: no I/O at all, so a run on it
    /// measures the client's own CPU time per request (the floor under the other two).
    Memory(Arc<MemoryStore>),
}

impl Backend {
    /// A fresh single-member etcd.
    pub(crate) fn etcd() -> Backend {
        Backend::Etcd(Box::new(EtcdServer::start()))
    }

    /// A fresh embedded store file.
    pub(crate) fn embedded() -> Backend {
        let dir = TestDir::new("calico-bench");
        let path = dir.path().join("datastore.db");
        Backend::Embedded { _dir: dir, path }
    }

    /// The in-process memory store.
    pub(crate) fn memory() -> Backend {
        Backend::Memory(Arc::new(MemoryStore::new()))
    }

    /// `etcd`, `embedded` or `memory`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Backend::Etcd(_) => "etcd",
            Backend::Embedded { .. } => "embedded",
            Backend::Memory(_) => "memory",
        }
    }

    /// A new connection (its own etcd client, or its own SQLite connection).
    pub(crate) fn connect(&self) -> Store {
        match self {
            Backend::Etcd(e) => Arc::new(EtcdStore::connect(&e.config()).expect("connect etcd")),
            Backend::Embedded { path, .. } => {
                Arc::new(EmbeddedStore::open(path).expect("open the embedded store"))
            }
            Backend::Memory(m) => m.clone(),
        }
    }

    /// The environment that points calicoctl / calico-ipam at this datastore.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        match self {
            Backend::Etcd(e) => vec![
                ("DATASTORE_TYPE".into(), "etcdv3".into()),
                ("ETCD_ENDPOINTS".into(), e.endpoint()),
            ],
            Backend::Embedded { path, .. } => vec![
                ("DATASTORE_TYPE".into(), "embedded".into()),
                ("CALICO_DATASTORE_PATH".into(), path.display().to_string()),
            ],
            Backend::Memory(_) => panic!("the memory store lives in the bench process only"),
        }
    }

    /// The same settings as CNI network-configuration fields.
    pub(crate) fn netconf_fields(&self) -> serde_json::Value {
        match self {
            Backend::Etcd(e) => {
                serde_json::json!({"datastore_type": "etcdv3", "etcd_endpoints": e.endpoint()})
            }
            Backend::Embedded { path, .. } => {
                serde_json::json!({"datastore_type": "embedded", "datastore_path": path})
            }
            Backend::Memory(_) => panic!("the memory store lives in the bench process only"),
        }
    }
}

/// Counts the requests going through a store.
pub(crate) struct Counting {
    inner: Store,
    pub gets: AtomicU64,
    pub lists: AtomicU64,
    pub txns: AtomicU64,
    /// Nanoseconds spent in the inner store's reads and in its transactions.
    pub read_nanos: AtomicU64,
    pub txn_nanos: AtomicU64,
}

impl Counting {
    pub(crate) fn new(inner: Store) -> Arc<Counting> {
        Arc::new(Counting {
            inner,
            gets: AtomicU64::new(0),
            lists: AtomicU64::new(0),
            txns: AtomicU64::new(0),
            read_nanos: AtomicU64::new(0),
            txn_nanos: AtomicU64::new(0),
        })
    }

    /// Time spent waiting for the inner store's reads and transactions so far.
    pub(crate) fn store_times(&self) -> (Duration, Duration) {
        (
            Duration::from_nanos(self.read_nanos.load(Ordering::Relaxed)),
            Duration::from_nanos(self.txn_nanos.load(Ordering::Relaxed)),
        )
    }

    /// Counts one call of `counter` and adds its time to `nanos`.
    fn call<T>(&self, counter: &AtomicU64, nanos: &AtomicU64, f: impl FnOnce() -> T) -> T {
        counter.fetch_add(1, Ordering::Relaxed);
        let t = Instant::now();
        let r = f();
        nanos.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        r
    }

    /// (gets, lists, txns) so far.
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        (
            self.gets.load(Ordering::Relaxed),
            self.lists.load(Ordering::Relaxed),
            self.txns.load(Ordering::Relaxed),
        )
    }
}

impl KvStore for Counting {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn get(&self, key: &str) -> Result<Option<calico::datastore::KeyValue>> {
        self.call(&self.gets, &self.read_nanos, || self.inner.get(key))
    }
    fn list(&self, prefix: &str) -> Result<ListResponse> {
        self.call(&self.lists, &self.read_nanos, || self.inner.list(prefix))
    }
    fn list_keys(&self, prefix: &str) -> Result<ListResponse> {
        self.call(&self.lists, &self.read_nanos, || {
            self.inner.list_keys(prefix)
        })
    }
    fn count_keys(&self, prefixes: &[String]) -> Result<Vec<usize>> {
        // One request on etcd (count-only ranges), counted as one read.
        self.call(&self.lists, &self.read_nanos, || {
            self.inner.count_keys(prefixes)
        })
    }
    fn read_many(&self, reads: &[Read]) -> Result<ReadManyResponse> {
        // One round trip, counted as one read.
        self.call(&self.gets, &self.read_nanos, || self.inner.read_many(reads))
    }
    fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        self.call(&self.txns, &self.txn_nanos, || self.inner.txn(txn))
    }
    fn revision(&self) -> Result<i64> {
        self.call(&self.gets, &self.read_nanos, || self.inner.revision())
    }
}

/// The value at quantile `q` (0..=1) of sorted durations, in milliseconds.
pub(crate) fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Median of unsorted values.
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

/// `/proc/loadavg`'s first three fields.
pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The header line every benchmark prints: date, cores, load.
pub(crate) fn banner(what: &str) {
    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!(
        "{what} — {date}, {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
}

/// The number in environment variable `name`, or `default` when it is unset or unreadable.
pub(crate) fn knob<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Seconds from `BENCH_SECONDS` (default `default`).
pub(crate) fn seconds(default: f64) -> f64 {
    knob("BENCH_SECONDS", default)
}

/// What one raw transaction does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TxnShape {
    /// Bytes of the value put under the client's own key (compared on its revision).
    pub value_bytes: usize,
    /// Further keys compared on their (unchanging) revisions.
    pub compares: usize,
    /// Bytes of a second value put under a fresh key (compared absent); 0 = none.
    pub side_bytes: usize,
}

impl TxnShape {
    /// One compare, one put.
    pub(crate) fn single(value_bytes: usize) -> TxnShape {
        TxnShape {
            value_bytes,
            compares: 0,
            side_bytes: 0,
        }
    }
}

/// Raw single-key CAS throughput: `clients` threads, each with its own connection, each
/// updating its own key with `value_bytes`-byte values until `seconds` pass. Returns txns/s.
/// The same workload as `benches/datastore.rs` ("own key").
pub(crate) fn raw_txn_rate(
    backend: &Backend,
    clients: usize,
    value_bytes: usize,
    seconds: f64,
) -> f64 {
    raw_shaped_txn_rate(backend, clients, TxnShape::single(value_bytes), seconds)
}

/// One raw client's transactions of a [`TxnShape`]: besides the CAS on its own key, each one
/// compares `shape.compares` other keys of the client and puts a `side_bytes` value under a
/// key that did not exist (as an assignment compares a block, its affinity, pool, node and
/// the IPAM configuration and creates a handle).
pub(crate) struct ShapedWriter {
    store: Store,
    key: String,
    rev: i64,
    fixed: Vec<(String, i64)>,
    side: Vec<u8>,
    n: u64,
}

impl ShapedWriter {
    /// Sets up client `i`'s keys for `shape` (the value size may change per transaction).
    pub(crate) fn new(store: Store, i: usize, shape: TxnShape) -> ShapedWriter {
        let tag = format!(
            "{}-{}-{}",
            shape.value_bytes, shape.compares, shape.side_bytes
        );
        let key = format!("/bench/raw/{tag}/{i}");
        let fixed = (0..shape.compares)
            .map(|c| {
                let k = format!("/bench/raw/{tag}/{i}/fixed/{c}");
                let r = store.txn(Txn::new().put(&k, b"{}".to_vec())).unwrap();
                (k, r.revision)
            })
            .collect();
        let rev = store.get(&key).unwrap().map_or(0, |kv| kv.mod_revision);
        ShapedWriter {
            store,
            key,
            rev,
            fixed,
            side: vec![b'y'; shape.side_bytes],
            n: 0,
        }
    }

    /// One transaction putting a `value_bytes`-byte value.
    pub(crate) fn step(&mut self, value_bytes: usize) {
        let mut txn = Txn::new()
            .require_revision(&self.key, self.rev)
            .put(&self.key, vec![b'x'; value_bytes]);
        for (k, r) in &self.fixed {
            txn = txn.require_revision(k, *r);
        }
        if !self.side.is_empty() {
            let k = format!("{}/side/{}-{}", self.key, self.n, self.rev);
            txn = txn.require_absent(&k).put(k, self.side.clone());
        }
        let r = self.store.txn(txn).unwrap();
        assert!(r.succeeded);
        self.rev = r.revision;
        self.n += 1;
    }
}

/// [`raw_txn_rate`] with transactions of `shape` (see [`ShapedWriter`]).
pub(crate) fn raw_shaped_txn_rate(
    backend: &Backend,
    clients: usize,
    shape: TxnShape,
    seconds: f64,
) -> f64 {
    let mut writers: Vec<ShapedWriter> = (0..clients)
        .map(|i| ShapedWriter::new(backend.connect(), i, shape))
        .collect();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|sc| {
        let hs: Vec<_> = writers
            .iter_mut()
            .map(|w| {
                sc.spawn(move || {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        w.step(shape.value_bytes);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    counts.iter().sum::<u64>() as f64 / start.elapsed().as_secs_f64()
}

/// This benchmark's own program started again with `env` set (a helper process: it must be
/// started before the benchmark grows, since a child's `ru_maxrss` starts from its parent's),
/// with its stdin and stdout piped for JSON lines.
pub(crate) fn spawn_self(
    env: &str,
) -> (
    std::process::Child,
    std::process::ChildStdin,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(env, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a helper process");
    let to = child.stdin.take().unwrap();
    let from = std::io::BufReader::new(child.stdout.take().unwrap());
    (child, to, from)
}
