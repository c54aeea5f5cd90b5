//! The IPAM garbage collector (`calico-kube-controllers`) over large etcd datastores: time and
//! peak memory of its passes, against the raw floor of reading the same keys.
//!
//! For each size N (`BENCH_SIZES`, default `10000,100000` allocated addresses) a fresh etcd is
//! seeded as `benches/scale.rs` seeds it (`common::seed`: N pods on N/64 nodes, one full /26
//! block each, CNI handles and attributes). The collector sees every node and every pod except
//! one in a hundred (N/100: 1,000 of 100,000), as its watch would after those pods were
//! deleted without a CNI DEL. Measured, in a worker process started before anything
//! is seeded (so that its peak resident set is its own; see `scale.rs` on `ru_maxrss`):
//! - the raw floor: one paged `KvStore::scan` of the blocks plus one of the Nodes and IPPools,
//!   values read and thrown away (what any pass must read);
//! - pass 1: the first sight (every leak becomes a candidate, nothing released);
//! - pass 2: a pass past the grace period, which releases the N/100 leaks (each a guarded
//!   compare-and-swap, block and handle in one transaction);
//! - pass 3: the steady state after it (nothing to do);
//! - the worker's peak RSS after the passes (its live set of N pod names included).
//!
//! Every pass's figures are checked: N allocations read, N/100 candidates and releases.
//!
//! Run: `cargo bench --bench gc` (about 2 minutes, most of it seeding etcd).

mod common;

use calico::controllers::bench::{BenchCollector, PassFigures};
use calico::datastore::api::Client;
use calico::datastore::api::Stored;
use calico::datastore::etcd::{EtcdConfig, EtcdStore};
use calico::datastore::{Store, keys};
use calico::model::{IpPool, Node};
use calico::testing::EtcdServer;
use common::seed::{BLOCK, node_name, pod_name, seed};
use std::io::{BufRead, Write};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WORKER_ENV: &str = "BENCH_GC_WORKER";
const GRACE: Duration = Duration::from_secs(15 * 60);
/// One pod in this many is gone from the collector's view (1,000 of 100,000).
const GONE_EVERY: usize = 100;

fn is_gone(i: usize) -> bool {
    i % GONE_EVERY == GONE_EVERY - 1
}

fn main() {
    if std::env::var_os(WORKER_ENV).is_some() {
        return worker_main();
    }
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse::<usize>().expect("BENCH_SIZES: numbers"))
        .map(|n| n.div_ceil(BLOCK) * BLOCK)
        .collect();
    // One worker per size, all started now, while this process is still small.
    let mut workers: Vec<Worker> = sizes.iter().map(|_| Worker::start()).collect();
    common::banner("bench gc: IPAM garbage collection passes over etcd");
    println!(
        "\n{:>8} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "addrs", "leaked", "floor s", "pass1 s", "pass2 s", "pass3 s", "2/floor", "peak MiB"
    );
    for (&n, worker) in sizes.iter().zip(&mut workers) {
        let etcd = EtcdServer::start();
        let store: Store = Arc::new(etcd.store());
        let t = Instant::now();
        let (blocks, _, txns) = seed(&store, n);
        let leaked = n / GONE_EVERY;
        eprintln!(
            "seeded {n} addresses in {blocks} blocks in {txns} transactions, {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let a = worker.run(&etcd.endpoint(), n);
        let f = |k: &str| a[k].as_f64().unwrap();
        println!(
            "{:>8} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>8.2}x {:>9.1}",
            n,
            leaked,
            f("floor"),
            f("pass1"),
            f("pass2"),
            f("pass3"),
            f("pass2") / f("floor"),
            f("max_rss_kib") / 1024.0
        );
    }
}

struct Worker {
    child: std::process::Child,
    to: std::process::ChildStdin,
    from: std::io::BufReader<std::process::ChildStdout>,
}

impl Worker {
    fn start() -> Worker {
        let (child, to, from) = common::spawn_self(WORKER_ENV);
        Worker { child, to, from }
    }

    fn run(&mut self, endpoint: &str, n: usize) -> serde_json::Value {
        let request = serde_json::json!({"endpoint": endpoint, "n": n});
        writeln!(self.to, "{request}").unwrap();
        self.to.flush().unwrap();
        let mut line = String::new();
        self.from.read_line(&mut line).expect("worker answer");
        serde_json::from_str(&line).expect("worker JSON")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn max_rss_kib() -> i64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid out-pointer.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    usage.ru_maxrss
}

/// The worker: one request line (`{"endpoint", "n"}`), one answer line of figures.
fn worker_main() {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    let request: serde_json::Value = serde_json::from_str(&line).unwrap();
    let n = request["n"].as_u64().unwrap() as usize;
    let config = EtcdConfig {
        endpoints: vec![request["endpoint"].as_str().unwrap().to_string()],
        timeout: Duration::from_secs(120),
        ..EtcdConfig::default()
    };
    let store: Store = Arc::new(EtcdStore::connect(&config).expect("connect to etcd"));
    let client = Client::new(store.clone());

    // The floor: the keys a pass reads, read and dropped.
    let t = Instant::now();
    let mut bytes = 0usize;
    for prefix in [
        keys::BLOCKS_PREFIX.to_string(),
        Node::list_prefix(None),
        IpPool::list_prefix(None),
    ] {
        store
            .scan(&prefix, &mut |kv| {
                bytes += kv.key.len() + kv.value.len();
                ControlFlow::Continue(())
            })
            .unwrap();
    }
    let floor = t.elapsed();

    let leaked = (0..n).filter(|&i| is_gone(i)).count();
    let pods = (0..n).filter(|&i| !is_gone(i)).map(pod_name);
    let nodes = (0..n / BLOCK).map(node_name);
    let mut gc = BenchCollector::new(GRACE, pods, nodes);
    let timed = |gc: &mut BenchCollector, after: Duration| {
        let t = Instant::now();
        let figures = gc.pass(&client, after, false).expect("gc pass");
        (t.elapsed(), figures)
    };
    let (pass1, f1) = timed(&mut gc, Duration::ZERO);
    let (pass2, f2) = timed(&mut gc, GRACE + Duration::from_secs(1));
    let (pass3, f3) = timed(&mut gc, 2 * GRACE);
    let check = |f: PassFigures, allocations: usize, candidates: usize, released: usize| {
        assert_eq!(
            f,
            PassFigures {
                allocations: allocations as u64,
                candidates,
                released,
                kept: 0
            }
        );
    };
    check(f1, n, leaked, 0);
    check(f2, n, leaked, leaked);
    check(f3, n - leaked, 0, 0);
    assert_eq!(leaked, n / GONE_EVERY);
    let answer = serde_json::json!({
        "floor": floor.as_secs_f64(),
        "floor_mib": bytes as f64 / (1 << 20) as f64,
        "pass1": pass1.as_secs_f64(),
        "pass2": pass2.as_secs_f64(),
        "pass3": pass3.as_secs_f64(),
        "max_rss_kib": max_rss_kib(),
    });
    let mut out = std::io::stdout();
    writeln!(out, "{answer}").unwrap();
    out.flush().unwrap();
}
