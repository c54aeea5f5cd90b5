//! calico-node: reconcile time for N floating IPs (default 1,000), and the running agent's
//! cost per datastore change in a big cluster (issue 24).
//!
//! `cargo bench --bench node [-- N]` runs both scenarios; `BENCH_SCENARIOS=nat` or `agent`
//! runs one.
//!
//! `nat` prints, for N WorkloadEndpoints with one floating IP each on one node: rendering
//! (median of repeated runs), script generation, `nft -f -` applying the table into a fresh
//! network namespace (first load, then replacing an identical table), and one whole agent pass
//! (list and decode the endpoints from a memory store, render, apply). Applying needs root;
//! without it the benchmark fails with the reason. The namespace it creates is removed
//! afterwards, also on panic.
//!
//! `agent` loads `BENCH_SIZES` (default `10000,100000`) WorkloadEndpoints, 1,000 per node, into
//! a fresh store of each of `BENCH_BACKENDS` (default `etcd`; `etcd|embedded`) with raw batched
//! transactions, starts the real `calico-node --dry-run` for one of the nodes, and measures:
//! - the agent's CPU per remote change: `/proc/<pid>/stat` utime+stime across 2,000 changes to
//!   other nodes' endpoints (then one change of its own, whose output shows that the agent has
//!   consumed every change before it; its cost is included), divided by 2,000;
//! - the bytes etcd sends the agent per remote change: the agent reaches etcd through a
//!   counting TCP proxy in this process; etcd-to-agent bytes across the same window / 2,000;
//! - local-change latency: 20 changes to its own endpoints (a floating IP added, then removed,
//!   on 10 of them) while another thread keeps changing other nodes' endpoints; the time from
//!   the write to the dry-run script that reflects it on the agent's stdout; p50 and max;
//! - the agent's RSS (`VmRSS`, and the peak `VmHWM`) at the end, and its start-up time (spawn
//!   to the first script).

mod common;
#[path = "../tests/integration/netns.rs"]
mod netns;

use calico::datastore::api::Client;
use calico::datastore::memory::MemoryStore;
use calico::model::FelixConfiguration;
use calico::node::agent::{Agent, AgentConfig};
use calico::node::{bench, nat, tunnel::NoIpam};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(|a| a.parse().expect("N must be a number"))
        .unwrap_or(1000);
    let scenarios: String = common::knob("BENCH_SCENARIOS", "nat|agent".to_string());
    if scenarios.split('|').any(|s| s == "nat") {
        nat_bench(n);
    }
    if scenarios.split('|').any(|s| s == "agent") {
        agent::run();
    }
}

fn nat_bench(n: usize) {
    netns::require_root("bench node (nft apply)");
    let node = "bench-node";
    let weps = bench::synthetic_endpoints(node, n);

    let renders: Vec<Duration> = (0..51)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(nat::render(&weps, node));
            t.elapsed()
        })
        .collect();
    let rules = nat::render(&weps, node);
    assert_eq!(rules.dnat.len(), n);
    let scripts: Vec<Duration> = (0..51)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(rules.to_nft_script());
            t.elapsed()
        })
        .collect();
    let script = rules.to_nft_script();

    let ns = netns::Netns::new("bench_node", "node");
    let first = bench::render_and_apply(&weps, node, Some(ns.name())).unwrap();
    let replaces: Vec<Duration> = (0..11)
        .map(|_| {
            bench::render_and_apply(&weps, node, Some(ns.name()))
                .unwrap()
                .apply
        })
        .collect();
    let table = nat::list_table(Some(ns.name())).unwrap().unwrap();
    assert_eq!(table.matches("dnat ip to").count(), n);

    // A whole agent pass: the endpoints come from the datastore.
    let client = Client::new(Arc::new(MemoryStore::new()));
    for w in &weps {
        client.create(w.clone()).unwrap();
    }
    client
        .create(FelixConfiguration::with_floating_ips("default", "Enabled"))
        .unwrap();
    let mut cfg = AgentConfig::new(node);
    cfg.netns = Some(ns.name().to_string());
    let mut agent = Agent::new(client, cfg, Box::new(NoIpam), Box::new(std::io::sink()));
    let passes: Vec<Duration> = (0..11)
        .map(|_| {
            let t = Instant::now();
            let o = agent.reconcile(true).unwrap();
            assert!(o.applied && o.endpoints == n);
            t.elapsed()
        })
        .collect();
    let t = Instant::now();
    let idle = agent.reconcile(false).unwrap();
    let idle_time = t.elapsed();
    assert!(!idle.applied);

    println!(
        "calico-node floating-IP NAT, {n} floating IPs ({} bytes of nft script)",
        script.len()
    );
    println!(
        "  render (median of 51)                 {}",
        ms(median(renders))
    );
    println!(
        "  to_nft_script (median of 51)          {}",
        ms(median(scripts))
    );
    println!(
        "  nft -f - first load into empty netns  {}",
        ms(first.apply)
    );
    println!(
        "  nft -f - replace table (median of 11) {}",
        ms(median(replaces))
    );
    println!(
        "  agent reconcile, forced apply (median of 11, list+render+apply) {}",
        ms(median(passes))
    );
    println!(
        "  agent reconcile, nothing changed (list+render, no nft)          {}",
        ms(idle_time)
    );
}

/// The `agent` scenario.
mod agent {
    use super::common::{self, Backend, seed::Batch};
    use calico::datastore::api::{Client, Stored};
    use calico::datastore::{Store, Txn};
    use calico::model::workloadendpoint::IpNat;
    use calico::model::{FelixConfiguration, WorkloadEndpoint};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Endpoints per node.
    const PER_NODE: usize = 1000;
    /// Remote changes measured for CPU and bytes.
    const REMOTE: usize = 2000;
    /// Local changes measured for latency.
    const LOCAL: usize = 20;
    /// The agent's node.
    const OURS: usize = 0;

    fn node(i: usize) -> String {
        format!("node-{i:04}.rack-{:02}.example.com", i % 40)
    }

    /// Endpoint `j` of node `i`, as the CNI plugin writes one (labels, profiles, one
    /// address); `nat`: its floating IP. `generation` changes a label, so that each write is a
    /// real change.
    fn endpoint(i: usize, j: usize, generation: usize, nat: bool) -> (String, Vec<u8>) {
        let node = node(i);
        let pod = format!("deployment-{i:04}-{j:04}-7c9f8d6b5-x2k4q");
        let ns = format!("namespace-{:03}", j % 50);
        let internal = format!("10.{}.{}.{}", 64 + i / 64, (i % 64) * 4 + j / 256, j % 256);
        let mut w = WorkloadEndpoint::default();
        w.metadata.namespace = ns.clone();
        w.metadata.name = calico::model::workloadendpoint::k8s_endpoint_name(&node, &pod, "eth0");
        w.metadata.uid = format!("{i:08x}-{j:04x}-4d6c-9b5a-493827161504");
        w.metadata.creation_timestamp = Some("2026-12-07T09:00:00Z".into());
        for (k, v) in [
            ("projectcalico.org/namespace", ns.clone()),
            ("projectcalico.org/orchestrator", "k8s".to_string()),
            ("projectcalico.org/serviceaccount", "default".to_string()),
            ("app", format!("app-{}", j % 20)),
            ("generation", generation.to_string()),
        ] {
            w.metadata.labels.insert(k.into(), v);
        }
        w.spec.orchestrator = "k8s".into();
        w.spec.workload = String::new();
        w.spec.node = node;
        w.spec.pod = pod;
        w.spec.endpoint = "eth0".into();
        w.spec.interface_name = format!("cali{:011x}", i * PER_NODE + j);
        w.spec.profiles = vec![format!("kns.{ns}"), "ksa.default.default".into()];
        w.spec.ip_networks = vec![format!("{internal}/32")];
        if nat {
            w.spec.ip_nats = vec![IpNat {
                internal_ip: internal,
                external_ip: format!("10.200.{}.{}", j / 256, j % 256),
            }];
        }
        let key = WorkloadEndpoint::key(Some(&w.metadata.namespace), &w.metadata.name);
        (key, w.encode())
    }

    /// Pumps bytes from `from` to `to`, counting them.
    fn pump(mut from: TcpStream, mut to: TcpStream, count: Arc<AtomicU64>) {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
            count.fetch_add(n as u64, Ordering::Relaxed);
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    }

    /// A TCP proxy to `target` on a free loopback port, counting the bytes the target sends
    /// back; its address.
    fn counting_proxy(target: String, sent: Arc<AtomicU64>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = Arc::new(AtomicU64::new(0));
                std::thread::spawn(move || pump(c2, server, up));
                let down = sent.clone();
                std::thread::spawn(move || pump(s2, client, down));
            }
        });
        format!("http://{addr}")
    }

    /// utime + stime of `pid`, in seconds.
    fn cpu_seconds(pid: u32) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // Fields after the command name (which is in parentheses).
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
        ticks / 100.0
    }

    /// `VmRSS` and `VmHWM` of `pid`, in MiB.
    fn rss_mib(pid: u32) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .map_or(f64::NAN, |kb| kb.parse::<f64>().unwrap() / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// The agent's dry-run scripts as they arrive on its stdout, with their arrival time.
    fn scripts(child: &mut Child) -> mpsc::Receiver<(Instant, String)> {
        let (tx, rx) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            let mut script = String::new();
            for line in out.lines() {
                let Ok(line) = line else { break };
                script.push_str(&line);
                script.push('\n');
                if line == "}"
                    && tx
                        .send((Instant::now(), std::mem::take(&mut script)))
                        .is_err()
                {
                    break;
                }
            }
        });
        rx
    }

    /// Waits for the first script `pred` accepts.
    fn wait_script(rx: &mpsc::Receiver<(Instant, String)>, pred: impl Fn(&str) -> bool) -> Instant {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, script) = rx
                .recv_timeout(left)
                .expect("the agent printed no such script");
            if pred(&script) {
                return at;
            }
        }
    }

    /// One measured run's figures.
    struct Figures {
        endpoints: usize,
        load: Duration,
        startup: Duration,
        cpu_per_change_ms: f64,
        bytes_per_change: Option<f64>,
        latencies: Vec<Duration>,
        rss: (f64, f64),
    }

    fn measure(backend: &Backend, nodes: usize) -> Figures {
        let store: Store = backend.connect();
        let t = Instant::now();
        let mut batch = Batch::new(&store);
        for i in 0..nodes {
            for j in 0..PER_NODE {
                let (key, value) = endpoint(i, j, 0, false);
                batch.put(key, value);
            }
        }
        batch.finish();
        let load = t.elapsed();
        Client::new(store.clone())
            .create(FelixConfiguration::with_floating_ips("default", "Enabled"))
            .unwrap();

        let sent = Arc::new(AtomicU64::new(0));
        let mut env = backend.env();
        if let Backend::Etcd(e) = backend {
            let target = e.endpoint().trim_start_matches("http://").to_string();
            env.retain(|(k, _)| k != "ETCD_ENDPOINTS");
            env.push((
                "ETCD_ENDPOINTS".into(),
                counting_proxy(target, sent.clone()),
            ));
        }
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_calico-node"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env)
            .args(["--nodename", &node(OURS), "--dry-run"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let pid = child.id();
        let rx = scripts(&mut child);
        let first = wait_script(&rx, |_| true);
        let startup = first - started;

        // Remote churn, then one change of our own as a barrier.
        let remote = |k: usize, generation: usize| {
            let i = 1 + k % (nodes - 1);
            let j = (k * 7919) % PER_NODE;
            endpoint(i, j, generation, false)
        };
        let (cpu0, bytes0) = (cpu_seconds(pid), sent.load(Ordering::Relaxed));
        for k in 0..REMOTE {
            let (key, value) = remote(k, 1);
            assert!(store.txn(Txn::new().put(key, value)).unwrap().succeeded);
        }
        let (key, value) = endpoint(OURS, PER_NODE - 1, 1, true);
        store.txn(Txn::new().put(key, value)).unwrap();
        wait_script(&rx, |s| s.contains("dnat ip to"));
        let cpu = cpu_seconds(pid) - cpu0;
        let bytes = sent.load(Ordering::Relaxed) - bytes0;

        // Local changes under remote churn.
        let stop = AtomicBool::new(false);
        let latencies = std::thread::scope(|s| {
            s.spawn(|| {
                let churn = backend.connect();
                let mut k = REMOTE;
                while !stop.load(Ordering::Relaxed) {
                    let (key, value) = remote(k, 2);
                    churn.txn(Txn::new().put(key, value)).unwrap();
                    k += 1;
                }
            });
            let latencies: Vec<Duration> = (0..LOCAL)
                .map(|c| {
                    std::thread::sleep(Duration::from_millis(100));
                    let j = c / 2;
                    let add = c % 2 == 0;
                    let (key, value) = endpoint(OURS, j, 2, add);
                    let needle = format!("daddr 10.200.{}.{} dnat", j / 256, j % 256);
                    let t = Instant::now();
                    store.txn(Txn::new().put(key, value)).unwrap();
                    wait_script(&rx, |s| s.contains(&needle) == add) - t
                })
                .collect();
            stop.store(true, Ordering::Relaxed);
            latencies
        });
        let rss = rss_mib(pid);
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let status = child.wait().unwrap();
        assert!(status.success(), "calico-node: {status}");
        Figures {
            endpoints: nodes * PER_NODE,
            load,
            startup,
            cpu_per_change_ms: cpu * 1e3 / REMOTE as f64,
            bytes_per_change: matches!(backend, Backend::Etcd(_))
                .then(|| bytes as f64 / REMOTE as f64),
            latencies,
            rss,
        }
    }

    pub(super) fn run() {
        let sizes: String = common::knob("BENCH_SIZES", "10000,100000".to_string());
        let backends: String = common::knob("BENCH_BACKENDS", "etcd".to_string());
        common::banner("calico-node agent, cost per change (issue 24)");
        println!(
            "| backend | endpoints | load | agent start-up | CPU / remote change | bytes / remote change | local change p50 | max | RSS (peak) |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for backend_name in backends.split('|') {
            for size in sizes.split(',') {
                let size: usize = size.trim().parse().expect("BENCH_SIZES: numbers");
                assert!(size >= 2 * PER_NODE, "at least 2 nodes of {PER_NODE}");
                let backend = match backend_name {
                    "etcd" => Backend::etcd(),
                    "embedded" => Backend::embedded(),
                    other => panic!("BENCH_BACKENDS: etcd or embedded, not {other}"),
                };
                let f = measure(&backend, size / PER_NODE);
                let mut sorted = f.latencies.clone();
                sorted.sort();
                println!(
                    "| {backend_name} | {} | {:.1} s | {:.2} s | {:.3} ms | {} | {:.0} ms | {:.0} ms | {:.1} MiB ({:.1}) |",
                    f.endpoints,
                    f.load.as_secs_f64(),
                    f.startup.as_secs_f64(),
                    f.cpu_per_change_ms,
                    f.bytes_per_change
                        .map_or("n/a".to_string(), |b| format!("{b:.0} B")),
                    common::quantile_ms(&sorted, 0.5),
                    common::quantile_ms(&sorted, 1.0),
                    f.rss.0,
                    f.rss.1,
                );
            }
        }
    }
}
