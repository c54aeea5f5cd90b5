//! Micro-benchmark of the key/value layer: single-key compare-and-swap transactions per
//! second against a real etcd (started on loopback by the test harness) and against the
//! embedded SQLite store, from 1 and 8 clients.
//!
//! Each client is a thread with its own connection (`EtcdStore`) or its own SQLite connection
//! (`EmbeddedStore`) on one file. "own key": each client updates its own key, so every CAS
//! succeeds and the figure is raw transaction throughput. "shared key": all clients increment
//! one key (read, then CAS, retried on conflict), as IPAM writers contend for one block; the
//! figure counts successful increments, and the conflicts column the failed CAS attempts.
//!
//! A second table asks what makes a transaction cost more, on one client: transactions of
//! several shapes (a bigger value, more compares, a second key created) taken in turn, ten of
//! each per round, so that the store's drift from minute to minute falls on all of them alike.
//! An IPAM assignment is the last shape: its block (up to 16 KB in Calico's format for a full
//! /26), four more compares (affinity, pool, node, IPAM configuration) and a new handle.
//!
//! Run: `cargo bench --bench datastore` (about 30 s; `BENCH_SECONDS` sets the length of each
//! run, default 2; `BENCH_ROUNDS` the rounds of the shapes table, default 200).

mod common;

use calico::datastore::embedded::EmbeddedStore;
use calico::datastore::etcd::EtcdStore;
use calico::datastore::{KvStore, Txn};
use calico::testing::EtcdServer;
use common::{ShapedWriter, TxnShape};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The value size of the raw rate the IPAM aims are stated against. (A Calico allocation
/// block is bigger: about 1 KB empty, 16 KB full with the CNI plugin's attributes; the shapes
/// table prices the difference.)
const VALUE_BYTES: usize = 1024;

struct Outcome {
    txns: u64,
    conflicts: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// Updates `/bench/own/<client>` by CAS until `deadline`; every transaction must succeed.
fn own_key(store: &dyn KvStore, client: usize, deadline: Instant) -> Outcome {
    let key = format!("/bench/own/{client}");
    let value = vec![b'x'; VALUE_BYTES];
    let mut revision = store.get(&key).unwrap().map_or(0, |kv| kv.mod_revision);
    let start = Instant::now();
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let t = Instant::now();
        let r = store
            .txn(
                Txn::new()
                    .require_revision(&key, revision)
                    .put(&key, value.clone()),
            )
            .unwrap();
        latencies.push(t.elapsed());
        assert!(r.succeeded, "no one else writes {key}");
        revision = r.revision;
    }
    Outcome {
        txns: latencies.len() as u64,
        conflicts: 0,
        elapsed: start.elapsed(),
        latencies,
    }
}

/// Increments `/bench/shared` (get, then CAS) until `deadline`; counts successes and conflicts.
fn shared_key(store: &dyn KvStore, _client: usize, deadline: Instant) -> Outcome {
    let key = "/bench/shared";
    let mut value = vec![b'x'; VALUE_BYTES];
    let start = Instant::now();
    let mut latencies = Vec::new();
    let mut conflicts = 0;
    while Instant::now() < deadline {
        let t = Instant::now();
        loop {
            let revision = store.get(key).unwrap().map_or(0, |kv| kv.mod_revision);
            value[0] = value[0].wrapping_add(1);
            let r = store
                .txn(
                    Txn::new()
                        .require_revision(key, revision)
                        .put(key, value.clone()),
                )
                .unwrap();
            if r.succeeded {
                break;
            }
            conflicts += 1;
        }
        latencies.push(t.elapsed());
    }
    Outcome {
        txns: latencies.len() as u64,
        conflicts,
        elapsed: start.elapsed(),
        latencies,
    }
}

type Workload = fn(&dyn KvStore, usize, Instant) -> Outcome;
type Connect<'a> = &'a (dyn Fn() -> Box<dyn KvStore> + Sync);

/// Runs `workload` on `clients` threads, each with its own store from `connect`.
fn measure(connect: Connect<'_>, clients: usize, workload: Workload, seconds: f64) -> Outcome {
    let stores: Vec<Box<dyn KvStore>> = (0..clients).map(|_| connect()).collect();
    // Warm up every connection (connect, first request) outside the measured time.
    for store in &stores {
        store.revision().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| s.spawn(move || workload(store.as_ref(), i, deadline)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut total = Outcome {
        txns: 0,
        conflicts: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for o in outcomes {
        total.txns += o.txns;
        total.conflicts += o.conflicts;
        total.elapsed = total.elapsed.max(o.elapsed);
        total.latencies.extend(o.latencies);
    }
    total.latencies.sort_unstable();
    total
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let seconds = common::seconds(2.0);

    let etcd = EtcdServer::start();
    let etcd_config = etcd.config();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("datastore.db");

    let connect_etcd = || Box::new(EtcdStore::connect(&etcd_config).unwrap()) as Box<dyn KvStore>;
    let connect_embedded = || Box::new(EmbeddedStore::open(&db).unwrap()) as Box<dyn KvStore>;
    let backends: [(&str, Connect<'_>); 2] =
        [("etcd 3.4", &connect_etcd), ("embedded", &connect_embedded)];
    let workloads: [(&str, Workload); 2] = [("own key", own_key), ("shared key", shared_key)];

    println!(
        "single-key CAS transactions, {VALUE_BYTES}-byte values, {seconds} s per run, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<10} {:>7}  {:<10} {:>8} {:>10} {:>9} {:>8} {:>8} {:>8}",
        "backend", "clients", "key", "txns", "txns/s", "conflicts", "p50 ms", "p99 ms", "max ms"
    );
    for (backend, connect) in backends {
        for (workload_name, workload) in workloads {
            for clients in [1, 8] {
                if workload_name == "shared key" && clients == 1 {
                    continue; // the same as "own key" plus a read
                }
                let o = measure(connect, clients, workload, seconds);
                println!(
                    "{:<10} {:>7}  {:<10} {:>8} {:>10.0} {:>9} {:>8.2} {:>8.2} {:>8.2}",
                    backend,
                    clients,
                    workload_name,
                    o.txns,
                    o.txns as f64 / o.elapsed.as_secs_f64(),
                    o.conflicts,
                    percentile(&o.latencies, 0.50),
                    percentile(&o.latencies, 0.99),
                    percentile(&o.latencies, 1.0),
                );
            }
        }
    }
    let rounds: usize = common::knob("BENCH_ROUNDS", 200);
    println!(
        "\ntransaction shapes, 1 client, {rounds} rounds of 10 of each in turn (load {})",
        common::loadavg()
    );
    println!(
        "{:<10} {:<44} {:>8} {:>8} {:>8}",
        "backend", "shape", "txns/s", "µs", "vs 1 KiB"
    );
    for (backend, connect) in backends {
        shapes(backend, connect, rounds);
    }
}

/// The shapes of the second table: a name, the value's size, further compares, and the size of
/// a second value put under a new key (0: none).
const SHAPES: [(&str, usize, usize, usize); 7] = [
    ("1 KiB value (the raw rate)", 1024, 0, 0),
    ("1 KiB value + 4 compares", 1024, 4, 0),
    ("1 KiB value + a new 47-byte key", 1024, 0, 47),
    ("4 KiB value", 4096, 0, 0),
    ("8 KiB value", 8192, 0, 0),
    ("16 KiB value", 16384, 0, 0),
    ("16 KiB + 4 compares + a new key (assignment)", 16384, 4, 47),
];

/// Prints the rate of each of [`SHAPES`] from one client, in interleaved rounds.
fn shapes(backend: &str, connect: Connect<'_>, rounds: usize) {
    let mut writers: Vec<ShapedWriter> = SHAPES
        .iter()
        .enumerate()
        .map(|(i, &(_, value_bytes, compares, side_bytes))| {
            let store: calico::datastore::Store = Arc::from(connect());
            let shape = TxnShape {
                value_bytes,
                compares,
                side_bytes,
            };
            ShapedWriter::new(store, 100 + i, shape)
        })
        .collect();
    let mut spent = vec![Duration::ZERO; SHAPES.len()];
    for _ in 0..rounds {
        for (i, w) in writers.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..10 {
                w.step(SHAPES[i].1);
            }
            spent[i] += t.elapsed();
        }
    }
    let n = (rounds * 10) as f64;
    for (i, (name, ..)) in SHAPES.iter().enumerate() {
        println!(
            "{:<10} {:<44} {:>8.0} {:>8.0} {:>7.0}%",
            backend,
            name,
            n / spent[i].as_secs_f64(),
            spent[i].as_secs_f64() * 1e6 / n,
            100.0 * spent[0].as_secs_f64() / spent[i].as_secs_f64(),
        );
    }
}
