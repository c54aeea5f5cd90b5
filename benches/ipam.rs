//! IPAM assignment throughput against the raw transaction rate of the same datastore.
//!
//! For each backend (a local single-member etcd 3.4, the embedded SQLite store) it measures:
//! - the raw single-key CAS rate from 1 and 8 clients (1 KiB values, and values the size of the
//!   blocks this run wrote), the workload of `benches/datastore.rs`; and the rate of raw
//!   transactions shaped like a cached assignment's (a mean-sized block, four more compares, a
//!   new handle): the floor of what an assignment costs the store, client work aside;
//! - `Ipam::auto_assign` throughput for long-lived node agents (threads, each with its own
//!   store connection and its own `Ipam`): 1 agent; 8 agents on 8 nodes; 8 agents on one node;
//!   each one address per request (num4=1) and eight per request (num4=8). Attributes and
//!   handles are the CNI plugin's (`k8s-pod-network.<64 hex>`, node/namespace/pod/timestamp).
//!   Every run starts on fresh nodes, so it includes claiming a block every 64 addresses.
//!
//! Each run is a fixed number of addresses (at most 1,200 per node: the default cap of 20
//! /26 blocks per host is 1,280), repeated `BENCH_REPS` times (default 3); the table shows the
//! median run. `reads+txn/req` is datastore requests per request (gets+lists / txns); `vs raw`
//! is the median over the reps of the run's address rate over the rate of raw 1 KiB CAS
//! transactions from as many clients, measured straight after each run (the paired figure
//! the aims are judged on: the store's own speed drifts from minute to minute).
//!
//! Run: `cargo bench --bench ipam` (about 5 minutes). `BENCH_SECONDS` sets the length of each
//! raw-rate run (default 2); `BENCH_BACKENDS=etcd` or `=embedded` runs one backend;
//! `BENCH_SCENARIOS=serial` runs the scenarios whose name contains one of the `|`-separated
//! words; `BENCH_MODES=cached` runs only that mode (the summary ratios need the serial and 8-node runs).

mod common;

use calico::datastore::Store;
use calico::datastore::api::Client;
use calico::datastore::keys;
use calico::ipam::{AutoAssignRequest, Ipam};
use calico::model::{Cidr, IpPool, Node};
use common::{Backend, Counting};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

struct Scenario {
    name: &'static str,
    agents: usize,
    /// Distinct nodes (agents are spread over them round-robin).
    nodes: usize,
    /// Addresses per request.
    per_request: usize,
    /// Requests per agent.
    requests: usize,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "serial, 1/req",
        agents: 1,
        nodes: 1,
        per_request: 1,
        requests: 1000,
    },
    Scenario {
        name: "serial, 8/req",
        agents: 1,
        nodes: 1,
        per_request: 8,
        requests: 125,
    },
    Scenario {
        name: "8 agents/8 nodes, 1/req",
        agents: 8,
        nodes: 8,
        per_request: 1,
        requests: 1000,
    },
    Scenario {
        name: "8 agents/8 nodes, 8/req",
        agents: 8,
        nodes: 8,
        per_request: 8,
        requests: 125,
    },
    Scenario {
        name: "8 agents/1 node, 1/req",
        agents: 8,
        nodes: 1,
        per_request: 1,
        requests: 150,
    },
    Scenario {
        name: "8 agents/1 node, 8/req",
        agents: 8,
        nodes: 1,
        per_request: 8,
        requests: 18,
    },
];

/// The agent cache's time-to-live in the "cached" runs.
const CACHE_TTL: Duration = Duration::from_secs(1);

struct Run {
    addresses: usize,
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    reads: u64,
    txns: u64,
}

/// A request for `num4` addresses as the CNI plugin makes it for pod `pod` on `node`: handle
/// `k8s-pod-network.<id as 64 hex digits>`, the plugin's attributes.
fn cni_request(node: &str, num4: usize, id: u128, pod: usize) -> AutoAssignRequest {
    let mut attrs = BTreeMap::new();
    attrs.insert("node".to_string(), node.to_string());
    attrs.insert("namespace".to_string(), "bench".to_string());
    attrs.insert("pod".to_string(), format!("pod-{pod}"));
    attrs.insert(
        "timestamp".to_string(),
        "2026-08-22 09:00:00.123456789 +0000 UTC".to_string(),
    );
    AutoAssignRequest {
        num4,
        handle_id: Some(format!("k8s-pod-network.{id:064x}")),
        attrs,
        hostname: node.to_string(),
        ..AutoAssignRequest::default()
    }
}

fn run(backend: &Backend, s: &Scenario, scenario: usize, rep: usize, cached: bool) -> Run {
    let admin = Client::new(backend.connect());
    let nodes: Vec<String> = (0..s.nodes)
        .map(|n| format!("bench-{scenario}-{}-{rep}-{n}", u8::from(cached)))
        .collect();
    for n in &nodes {
        admin.create(Node::new(n)).unwrap();
    }
    let counters: Vec<Arc<Counting>> = (0..s.agents)
        .map(|_| Counting::new(backend.connect()))
        .collect();
    let barrier = Barrier::new(s.agents + 1);
    let (results, elapsed) = std::thread::scope(|sc| {
        let handles: Vec<_> = counters
            .iter()
            .enumerate()
            .map(|(a, counter)| {
                let node = nodes[a % nodes.len()].clone();
                let store: Store = counter.clone();
                let barrier = &barrier;
                sc.spawn(move || {
                    let mut ipam = Ipam::from_store(store);
                    if cached {
                        ipam = ipam.with_cache(CACHE_TTL);
                    }
                    barrier.wait();
                    let mut ips = Vec::new();
                    let mut lat = Vec::with_capacity(s.requests);
                    for i in 0..s.requests {
                        let pod = a * 1_000_000 + i;
                        let id = (cached as u128) << 120
                            | (scenario as u128) << 112
                            | (rep as u128) << 96
                            | (a as u128) << 64
                            | i as u128;
                        let req = cni_request(&node, s.per_request, id, pod);
                        let t = Instant::now();
                        let got = ipam
                            .auto_assign(&req)
                            .unwrap_or_else(|e| panic!("agent {a} request {i} on {node}: {e}"));
                        lat.push(t.elapsed());
                        let v4 = got.ipv4.unwrap();
                        assert_eq!(v4.ips.len(), s.per_request, "{:?}", v4.msgs);
                        ips.extend(v4.ips.iter().map(|c| c.addr()));
                    }
                    (ips, lat)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (results, start.elapsed())
    });
    let mut seen = HashSet::new();
    let mut latencies = Vec::new();
    for (ips, lat) in results {
        for ip in ips {
            assert!(seen.insert(ip), "{ip} handed out twice");
        }
        latencies.extend(lat);
    }
    latencies.sort_unstable();
    let (mut reads, mut txns) = (0, 0);
    for c in &counters {
        let (g, l, t) = c.counts();
        reads += g + l;
        txns += t;
    }
    Run {
        addresses: seen.len(),
        requests: s.agents * s.requests,
        elapsed,
        latencies,
        reads,
        txns,
    }
}

/// Operations per slice of an interleaved run.
const SLICE: usize = 10;

/// Slices per agent in an interleaved run (600 assignments per node).
const SLICES: usize = 60;

/// Rates (per second) of an interleaved run: cached assignments, raw 1 KiB CAS transactions,
/// assignment-shaped raw transactions.
struct Interleaved {
    assign: f64,
    raw: f64,
    shaped: f64,
    /// Mean time per assignment outside the store's calls (the agent's own work), in its
    /// reads and in its transactions.
    client: Duration,
    reads: Duration,
    txns: Duration,
    /// Reads per assignment.
    read_count: f64,
}

/// `agents` cached agents on as many fresh nodes, each with its own raw clients: all do
/// [`SLICE`] assignments, then [`SLICE`] raw 1 KiB CAS transactions, then [`SLICE`] raw
/// transactions shaped like the assignment just made (the size of the block it wrote, four
/// more compares, a new handle), in step (a barrier between phases), [`SLICES`] times. Every
/// phase of a slice sees the store in the same state, so the store's drift cancels out.
fn interleaved(backend: &Backend, agents: usize) -> Interleaved {
    let admin = Client::new(backend.connect());
    let nodes: Vec<String> = (0..agents)
        .map(|n| format!("bench-interleaved-{agents}-{n}"))
        .collect();
    for n in &nodes {
        admin.create(Node::new(n)).unwrap();
    }
    let handle_bytes = mean_value_bytes(backend, keys::HANDLES_PREFIX, 128);
    let barrier = Barrier::new(agents + 1);
    let mut phases = [Duration::ZERO; 3];
    let counters: Vec<Arc<Counting>> = (0..agents)
        .map(|_| Counting::new(backend.connect()))
        .collect();
    let assigning: Vec<Duration> = std::thread::scope(|sc| {
        let hs: Vec<_> = nodes
            .iter()
            .zip(&counters)
            .enumerate()
            .map(|(a, (node, counter))| {
                let barrier = &barrier;
                let store: Store = counter.clone();
                let raw_store = backend.connect();
                sc.spawn(move || {
                    let ipam = Ipam::from_store(store).with_cache(CACHE_TTL);
                    let mut assigning = Duration::ZERO;
                    let mut raw = common::ShapedWriter::new(
                        raw_store.clone(),
                        1000 + a,
                        common::TxnShape::single(1024),
                    );
                    let mut shaped = common::ShapedWriter::new(
                        raw_store.clone(),
                        2000 + a,
                        common::TxnShape {
                            value_bytes: 0,
                            compares: 4,
                            side_bytes: handle_bytes,
                        },
                    );
                    let mut last = None;
                    for slice in 0..SLICES {
                        barrier.wait();
                        let t = Instant::now();
                        for i in 0..SLICE {
                            let n = slice * SLICE + i;
                            let id = 0xffu128 << 120
                                | (agents as u128) << 112
                                | (a as u128) << 64
                                | n as u128;
                            let req = cni_request(node, 1, id, a * 1_000_000 + n);
                            let got = ipam.auto_assign(&req).unwrap();
                            last = Some(got.ipv4.unwrap().ips[0].addr());
                        }
                        assigning += t.elapsed();
                        barrier.wait();
                        for _ in 0..SLICE {
                            raw.step(1024);
                        }
                        barrier.wait();
                        // The size of the block the last assignment wrote (read between phases,
                        // not counted as the agent's).
                        let block = keys::block(&Cidr::enclosing(last.unwrap(), 26));
                        let bytes = raw_store
                            .get(&block)
                            .unwrap()
                            .map_or(1024, |kv| kv.value.len());
                        barrier.wait();
                        for _ in 0..SLICE {
                            shaped.step(bytes);
                        }
                        barrier.wait();
                    }
                    assigning
                })
            })
            .collect();
        for _ in 0..SLICES {
            barrier.wait();
            let t = Instant::now();
            barrier.wait();
            phases[0] += t.elapsed();
            let t = Instant::now();
            barrier.wait();
            phases[1] += t.elapsed();
            barrier.wait();
            let t = Instant::now();
            barrier.wait();
            phases[2] += t.elapsed();
        }
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ops = agents * SLICES * SLICE;
    let (mut reads, mut txns, mut read_count) = (Duration::ZERO, Duration::ZERO, 0);
    for c in &counters {
        let (r, t) = c.store_times();
        (reads, txns) = (reads + r, txns + t);
        let (g, l, _) = c.counts();
        read_count += g + l;
    }
    let per_op = |d: Duration| ops as f64 / d.as_secs_f64();
    Interleaved {
        assign: per_op(phases[0]),
        raw: per_op(phases[1]),
        shaped: per_op(phases[2]),
        client: (assigning
            .iter()
            .sum::<Duration>()
            .saturating_sub(reads + txns))
            / ops as u32,
        reads: reads / ops as u32,
        txns: txns / ops as u32,
        read_count: read_count as f64 / ops as f64,
    }
}

/// Mean size of the stored values under `prefix` (`default` when there are none).
fn mean_value_bytes(backend: &Backend, prefix: &str, default: usize) -> usize {
    let store = backend.connect();
    let l = store.list(prefix).unwrap().kvs;
    if l.is_empty() {
        return default;
    }
    l.iter().map(|kv| kv.value.len()).sum::<usize>() / l.len()
}

fn main() {
    let seconds = common::seconds(2.0);
    let reps: usize = common::knob("BENCH_REPS", 3);
    let which = std::env::var("BENCH_BACKENDS").unwrap_or_default();
    let scenarios = std::env::var("BENCH_SCENARIOS").unwrap_or_default();
    let modes = std::env::var("BENCH_MODES").unwrap_or_default();
    // Scenarios whose name contains one of the `|`-separated words; modes named exactly
    // (`cached` must not pick `uncached`).
    let wanted_scenario =
        |name: &str| scenarios.is_empty() || scenarios.split('|').any(|w| name.contains(w));
    let wanted_mode = |mode: &str| modes.is_empty() || modes.split(['|', ',']).any(|m| m == mode);
    common::banner("bench ipam: auto_assign throughput vs raw CAS transactions");
    for make in [
        Backend::etcd as fn() -> Backend,
        Backend::embedded,
        Backend::memory,
    ] {
        let backend = make();
        if !which.is_empty() && !which.contains(backend.name()) {
            continue;
        }
        let admin = Client::new(backend.connect());
        admin
            .create(IpPool::new("bench-pool", "10.0.0.0/8"))
            .unwrap();
        Ipam::new(admin.clone()).get_config().unwrap();

        println!();
        println!("backend: {} (load {})", backend.name(), common::loadavg());
        println!(
            "{:<26} {:<9} {:>6} {:>9} {:>10} {:>9} {:>8} {:>8} {:>13} {:>10}",
            "scenario",
            "ipam",
            "addrs",
            "requests",
            "addr/s",
            "req/s",
            "p50 ms",
            "p99 ms",
            "reads+txn/req",
            "vs raw"
        );
        let mut rates = BTreeMap::new();
        for cached in [false, true] {
            if !wanted_mode(if cached { "cached" } else { "uncached" }) {
                continue;
            }
            for (si, s) in SCENARIOS.iter().enumerate() {
                if !wanted_scenario(s.name) {
                    continue;
                }
                // Each run is followed at once by raw 1 KiB CAS transactions from as many
                // clients as the run had agents, for as long as the run took (0.5–2 s): the
                // store's speed drifts (fsync latency on a shared disk), so the ratio of the
                // two, paired rep by rep, is steadier than either figure alone.
                let mut paired = Vec::new();
                let mut runs: Vec<Run> = (0..reps)
                    .map(|rep| {
                        let r = run(&backend, s, si, rep, cached);
                        let secs = r.elapsed.as_secs_f64().clamp(0.5, 2.0);
                        let raw = common::raw_txn_rate(&backend, s.agents, 1024, secs);
                        paired.push(r.addresses as f64 / r.elapsed.as_secs_f64() / raw);
                        r
                    })
                    .collect();
                paired.sort_by(|a, b| a.partial_cmp(b).unwrap());
                let paired = paired[paired.len() / 2];
                runs.sort_by(|a, b| {
                    let ra = a.addresses as f64 / a.elapsed.as_secs_f64();
                    let rb = b.addresses as f64 / b.elapsed.as_secs_f64();
                    ra.partial_cmp(&rb).unwrap()
                });
                let r = &runs[runs.len() / 2];
                let rate = r.addresses as f64 / r.elapsed.as_secs_f64();
                rates.insert((cached, s.name), rate);
                println!(
                    "{:<26} {:<9} {:>6} {:>9} {:>10.0} {:>9.0} {:>8.2} {:>8.2} {:>13} {:>9.0}%",
                    s.name,
                    if cached { "cached" } else { "uncached" },
                    r.addresses,
                    r.requests,
                    rate,
                    r.requests as f64 / r.elapsed.as_secs_f64(),
                    common::quantile_ms(&r.latencies, 0.5),
                    common::quantile_ms(&r.latencies, 0.99),
                    format!(
                        "{:.2}+{:.2}",
                        r.reads as f64 / r.requests as f64,
                        r.txns as f64 / r.requests as f64
                    ),
                    100.0 * paired,
                );
            }
        }
        let block_bytes = mean_value_bytes(&backend, keys::BLOCKS_PREFIX, 1024);
        let handle_bytes = mean_value_bytes(&backend, keys::HANDLES_PREFIX, 128);
        let raw1 = common::raw_txn_rate(&backend, 1, 1024, seconds);
        let raw8 = common::raw_txn_rate(&backend, 8, 1024, seconds);
        let rawb1 = common::raw_txn_rate(&backend, 1, block_bytes, seconds);
        let rawb8 = common::raw_txn_rate(&backend, 8, block_bytes, seconds);
        // What a cached assignment's transaction is: CAS on the block, compares on its
        // affinity, pool, node and the IPAM configuration, a new handle.
        let shape = common::TxnShape {
            value_bytes: block_bytes,
            compares: 4,
            side_bytes: handle_bytes,
        };
        let raws1 = common::raw_shaped_txn_rate(&backend, 1, shape, seconds);
        let raws8 = common::raw_shaped_txn_rate(&backend, 8, shape, seconds);
        println!(
            "raw CAS txn/s (load {}): 1 client {raw1:.0}, 8 clients {raw8:.0} (1 KiB values); \
             1 client {rawb1:.0}, 8 clients {rawb8:.0} ({block_bytes}-byte values = mean block); \
             1 client {raws1:.0}, 8 clients {raws8:.0} (assignment-shaped: mean block + 4 \
             compares + a new {handle_bytes}-byte handle)",
            common::loadavg()
        );
        let pct = |a: f64, b: f64| 100.0 * a / b;
        for (name, agents) in [
            ("interleaved, serial", 1),
            ("interleaved, 8 agents/8 nodes", 8),
        ] {
            if !wanted_scenario(name) || !wanted_mode("cached") || backend.name() == "memory" {
                continue;
            }
            let r = interleaved(&backend, agents);
            println!(
                "{name} (cached, 1/req, {SLICE} at a time; load {}): assignments {:.0}/s, raw 1 KiB \
                 CAS {:.0}/s ({:.0}%), assignment-shaped {:.0}/s ({:.0}%); per assignment: agent \
                 {:.0} µs, {:.2} reads {:.0} µs, transaction {:.0} µs",
                common::loadavg(),
                r.assign,
                r.raw,
                pct(r.assign, r.raw),
                r.shaped,
                pct(r.assign, r.shaped),
                r.client.as_secs_f64() * 1e6,
                r.read_count,
                r.reads.as_secs_f64() * 1e6,
                r.txns.as_secs_f64() * 1e6,
            );
        }
        for cached in [false, true] {
            let mode = if cached { "cached" } else { "uncached" };
            let (Some(serial), Some(eight)) = (
                rates.get(&(cached, "serial, 1/req")),
                rates.get(&(cached, "8 agents/8 nodes, 1/req")),
            ) else {
                continue;
            };
            let one = rates
                .get(&(cached, "8 agents/1 node, 1/req"))
                .unwrap_or(&f64::NAN);
            println!(
                "ratios ({mode}): serial 1/req / raw-1 = {:.0}% ; 8 agents/8 nodes 1/req / raw-8 = {:.0}% ; \
                 8 agents/1 node 1/req / raw-8 = {:.0}%   (block-sized raw values: {:.0}% ; {:.0}% ; {:.0}%; \
                 assignment-shaped: {:.0}% ; {:.0}% ; {:.0}%)",
                pct(*serial, raw1),
                pct(*eight, raw8),
                pct(*one, raw8),
                pct(*serial, rawb1),
                pct(*eight, rawb8),
                pct(*one, rawb8),
                pct(*serial, raws1),
                pct(*eight, raws8),
                pct(*one, raws8),
            );
        }
    }
}
