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
//! hold no allocation.
//! Then sticky StatefulSet replicas (issue 25): `BENCH_REPLICAS` (default 100) replicas ADDed
//! and DELeted on one node, then recreated all at once on another, each getting its old
//! address back: the time to the last ADD, against as many ordinary pods ADDed at once on that
//! node (both reading the pod from the stand-in API server).
//! Run: `cargo bench --bench cni` (about 40 s).

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
/// Where sticky replicas are recreated.
const NODE2: &str = "cni-bench-node-2";

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
    plugin_for(command, container, &format!("pod-{container}"), conf)
}

/// [`plugin`] for pod `pod`.
fn plugin_for(command: &str, container: &str, pod: &str, conf: &[u8]) -> (Duration, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calico-ipam"));
    cmd.env_clear()
        .env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", container)
        .env("CNI_NETNS", format!("/var/run/netns/{container}"))
        .env("CNI_IFNAME", "eth0")
        .env("CNI_PATH", "/opt/cni/bin")
        .env(
            "CNI_ARGS",
            format!("K8S_POD_NAMESPACE=bench;K8S_POD_NAME={pod}"),
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

/// `n` ADDs started at once, ADD `i` for pod `pod(i)` in container `<tag><i>`; each ADD's
/// first address, and the time until the last ADD returned.
fn adds_at_once(
    n: usize,
    tag: &str,
    pod: &(dyn Fn(usize) -> String + Sync),
    conf: &[u8],
) -> (Vec<String>, Duration) {
    let start = Instant::now();
    let addresses = std::thread::scope(|s| {
        let hs: Vec<_> = (0..n)
            .map(|i| {
                s.spawn(move || {
                    let (_, out) = plugin_for("ADD", &format!("{tag}{i:05}"), &pod(i), conf);
                    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                    v["ips"][0]["address"].as_str().unwrap().to_string()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (addresses, start.elapsed())
}

/// Sticky replicas (issue 25): `n` pods of StatefulSet `db` (annotated sticky) ADDed on
/// [`NODE`] and DELeted, then all recreated at once on [`NODE2`] (new containers); against
/// `n` ordinary pods ADDed at once on [`NODE2`], both with the pod read from the (stand-in)
/// Kubernetes API. Every replica must get its old address. Returns the times to the last
/// ADD: sticky recreation, ordinary. Releases everything at the end.
fn sticky_recreation(conf: &[u8], client: &Client, n: usize) -> (Duration, Duration) {
    use calico::testing::kube_api::KubeApiServer;
    let api = KubeApiServer::start();
    let dir = calico::testing::TestDir::new("calico-bench-cni-sticky");
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig);
    api.apply(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "bench"}}));
    let mut node1: serde_json::Value = serde_json::from_slice(conf).unwrap();
    node1["kubernetes"] = serde_json::json!({"kubeconfig": kubeconfig});
    let mut node2 = node1.clone();
    node2["nodename"] = serde_json::json!(NODE2);
    node2["ipam_lock_file"] = serde_json::json!(dir.path().join("node2.lock"));
    let (node1, node2) = (
        serde_json::to_vec(&node1).unwrap(),
        serde_json::to_vec(&node2).unwrap(),
    );
    let pod = |name: String, node: &str, sticky: bool| {
        let mut p = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "bench"},
            "spec": {"nodeName": node, "containers": []}});
        if sticky {
            p["metadata"]["annotations"] =
                serde_json::json!({"cni.projectcalico.org/sticky": "true"});
            p["metadata"]["ownerReferences"] = serde_json::json!([{"apiVersion": "apps/v1",
                "kind": "StatefulSet", "name": "db", "uid": "db-uid", "controller": true}]);
        }
        p
    };
    for i in 0..n {
        api.apply(pod(format!("db-{i}"), NODE, true));
    }
    let replica = |i: usize| format!("db-{i}");
    let (first, _) = adds_at_once(n, "s1", &replica, &node1);
    for i in 0..n {
        plugin_for("DEL", &format!("s1{i:05}"), &replica(i), &node1);
        api.apply(pod(replica(i), NODE2, true));
    }
    let (again, sticky) = adds_at_once(n, "s2", &replica, &node2);
    assert_eq!(again, first, "every replica got its old address back");
    let distinct: std::collections::BTreeSet<_> = again.iter().collect();
    assert_eq!(distinct.len(), n, "no address twice");
    for i in 0..n {
        api.apply(pod(format!("plain-{i}"), NODE2, false));
    }
    let plain = |i: usize| format!("plain-{i}");
    let (_, ordinary) = adds_at_once(n, "o", &plain, &node2);
    for i in 0..n {
        plugin_for("DEL", &format!("o{i:05}"), &plain(i), &node2);
        plugin_for("DEL", &format!("s2{i:05}"), &replica(i), &node2);
    }
    let ipam = Ipam::new(client.clone());
    for i in 0..n {
        ipam.release_by_handle(&format!("k8s-pod-network.sticky.bench.db-{i}"))
            .unwrap();
    }
    (sticky, ordinary)
}

fn main() {
    let containers: usize = common::knob("BENCH_CONTAINERS", 200);
    let replicas: usize = common::knob("BENCH_REPLICAS", 100);
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
        client.create(Node::new(NODE2)).unwrap();
        let (sticky, ordinary) = sticky_recreation(&conf, &client, replicas);
        println!(
            "{:<9} {replicas} sticky replicas recreated at once on another node, all with their \
             old addresses: last ADD after {:.2} s, against {:.2} s for {replicas} ordinary ADDs \
             at once, {:.2}x",
            backend.name(),
            sticky.as_secs_f64(),
            ordinary.as_secs_f64(),
            sticky.as_secs_f64() / ordinary.as_secs_f64()
        );
        let left = Ipam::new(client.clone()).list_handles().unwrap();
        assert!(left.is_empty(), "handles left behind: {}", left.len());
        println!("(load {})", common::loadavg());
    }
}
