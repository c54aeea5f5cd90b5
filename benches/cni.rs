//! CNI ADD + DEL round trips through the release `calico-ipam` binary, spawned as a container
//! runtime spawns it: `CNI_*` environment, the network configuration on stdin, the result on
//! stdout.
//!
//! For each backend (embedded SQLite file, local single-member etcd 3.4), on one node with one
//! /16 pool (default /26 blocks) and Calico's host-wide IPAM lock file:
//! - serial: one ADD then one DEL per container, `BENCH_CONTAINERS` containers (default 200);
//! - 8 in parallel: 8 threads each running ADD then DEL for their own containers, the same
//!   total (the plugin's host lock serialises the IPAM part of each call, as on a real node).
//!
//! Reported: round trips (ADD + DEL) per second, and ADD / DEL latency (median, p90, p99).
//! Then, serial, ADD with the pod and namespace read from the Kubernetes API (the stand-in API
//! server of `calico::testing::kube_api` on loopback, HTTPS, `kubernetes.kubeconfig`) against
//! ADD without it, alternating call by call: median of each and their ratio.
//! Every ADD must return an address no live container holds; at the end the datastore must
//! hold no allocation. Run: `cargo bench --bench cni` (about 30 s).

mod common;

use calico::datastore::api::Client;
use calico::ipam::Ipam;
use calico::model::{IpPool, Node};
use common::Backend;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NODE: &str = "cni-bench-node";

fn netconf(backend: &Backend, lock: &Path) -> Vec<u8> {
    let mut conf = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": "k8s-pod-network",
        "type": "calico",
        "nodename": NODE,
        "ipam_lock_file": lock,
        "ipam": {"type": "calico-ipam"},
    });
    for (k, v) in backend.netconf_fields().as_object().unwrap() {
        conf[k] = v.clone();
    }
    serde_json::to_vec(&conf).unwrap()
}

/// Runs calico-ipam once; returns its wall time and stdout. Panics on failure.
fn plugin(command: &str, container: &str, conf: &[u8]) -> (Duration, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calico-ipam"));
    cmd.env_clear()
        .env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", container)
        .env("CNI_NETNS", format!("/var/run/netns/{container}"))
        .env("CNI_IFNAME", "eth0")
        .env("CNI_PATH", "/opt/cni/bin")
        .env(
            "CNI_ARGS",
            format!("K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-{container}"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd.spawn().expect("run calico-ipam");
    child.stdin.take().unwrap().write_all(conf).unwrap();
    let out = child.wait_with_output().unwrap();
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "calico-ipam {command} {container} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, String::from_utf8_lossy(&out.stdout).into_owned())
}

struct Outcome {
    adds: Vec<Duration>,
    dels: Vec<Duration>,
    elapsed: Duration,
}

/// `workers` threads, each doing ADD then DEL for `per_worker` containers of its own.
fn run(conf: &[u8], tag: &str, workers: usize, per_worker: usize) -> Outcome {
    let start = Instant::now();
    let results: Vec<(Vec<Duration>, Vec<Duration>)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let (mut adds, mut dels) = (Vec::new(), Vec::new());
                    for i in 0..per_worker {
                        let id = format!("{tag}{w:02}{i:05}{:0>48}", "");
                        let (t, out) = plugin("ADD", &id, conf);
                        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                        assert!(
                            v["ips"][0]["address"].as_str().is_some(),
                            "no address in {out}"
                        );
                        adds.push(t);
                        dels.push(plugin("DEL", &id, conf).0);
                    }
                    (adds, dels)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = start.elapsed();
    let (mut adds, mut dels) = (Vec::new(), Vec::new());
    for (a, d) in results {
        adds.extend(a);
        dels.extend(d);
    }
    adds.sort_unstable();
    dels.sort_unstable();
    Outcome {
        adds,
        dels,
        elapsed,
    }
}

/// ADD (then DEL) alternately without and with the API read, `n` pods; the sorted ADD times
/// of each.
fn api_read(conf: &[u8], n: usize) -> (Vec<Duration>, Vec<Duration>) {
    use calico::testing::kube_api::KubeApiServer;
    let api = KubeApiServer::start();
    let dir = calico::testing::TestDir::new("calico-bench-cni-api");
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    api.apply(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "bench", "labels": {"team": "a"}}}));
    let mut with_api: serde_json::Value = serde_json::from_slice(conf).unwrap();
    with_api["kubernetes"] = serde_json::json!({"kubeconfig": kubeconfig});
    let with_api = serde_json::to_vec(&with_api).unwrap();
    let (mut plain, mut read) = (Vec::new(), Vec::new());
    for i in 0..n {
        for (api_on, conf, times) in [(false, conf, &mut plain), (true, &with_api[..], &mut read)] {
            let id = format!("k{}{i:05}{:0>48}", u8::from(api_on), "");
            api.apply(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("pod-{id}"), "namespace": "bench",
                             "annotations": {"note": "bench"}},
                "spec": {"nodeName": NODE, "containers": []}}));
            let (t, _) = plugin("ADD", &id, conf);
            times.push(t);
            plugin("DEL", &id, conf);
        }
    }
    assert!(
        api.requests().len() >= 2 * n,
        "the API was read for each ADD: {} requests",
        api.requests().len()
    );
    plain.sort_unstable();
    read.sort_unstable();
    (plain, read)
}

fn main() {
    let containers: usize = common::knob("BENCH_CONTAINERS", 200);
    let which = std::env::var("BENCH_BACKENDS").unwrap_or_default();
    common::banner("bench cni: calico-ipam ADD+DEL round trips (process per call)");
    println!(
        "{:<9} {:<12} {:>6} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "backend",
        "mode",
        "pairs",
        "pairs/s",
        "ADD p50",
        "ADD p90",
        "ADD p99",
        "DEL p50",
        "DEL p90"
    );
    for make in [Backend::embedded as fn() -> Backend, Backend::etcd] {
        let backend = make();
        if !which.is_empty() && !which.contains(backend.name()) {
            continue;
        }
        let client = Client::new(backend.connect());
        client
            .create(IpPool::new("default-ipv4-ippool", "10.244.0.0/16"))
            .unwrap();
        client.create(Node::new(NODE)).unwrap();
        let dir = calico::testing::TestDir::new("calico-bench-cni");
        let conf = netconf(&backend, &dir.path().join("ipam.lock"));
        // Warm up (first block claim, page cache).
        run(&conf, "w", 1, 5);
        for (mode, workers) in [("serial", 1), ("8 parallel", 8)] {
            let o = run(&conf, &mode[..1], workers, containers / workers);
            let ms = |v: &[Duration], q| common::quantile_ms(v, q);
            println!(
                "{:<9} {:<12} {:>6} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                backend.name(),
                mode,
                o.adds.len(),
                o.adds.len() as f64 / o.elapsed.as_secs_f64(),
                ms(&o.adds, 0.5),
                ms(&o.adds, 0.9),
                ms(&o.adds, 0.99),
                ms(&o.dels, 0.5),
                ms(&o.dels, 0.9),
            );
        }
        let (plain, read) = api_read(&conf, containers / 2);
        let (p, r) = (
            common::quantile_ms(&plain, 0.5),
            common::quantile_ms(&read, 0.5),
        );
        println!(
            "{:<9} ADD with the pod read from the Kubernetes API: p50 {r:.2} ms (p90 {:.2}) \
             against {p:.2} ms without (p90 {:.2}), {:.2}x, {} each",
            backend.name(),
            common::quantile_ms(&read, 0.9),
            common::quantile_ms(&plain, 0.9),
            r / p,
            plain.len()
        );
        let left = Ipam::new(client.clone()).list_handles().unwrap();
        assert!(left.is_empty(), "handles left behind: {}", left.len());
        println!("(load {})", common::loadavg());
    }
}
