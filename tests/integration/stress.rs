//! Stress (issue 3): 8 processes on 8 nodes, then 8 processes on one node, each making
//! `CALICO_STRESS_OPS` (default 500) assignments as a pod's ADD does (an address, then its
//! WorkloadEndpoint), all at once against one datastore: a real etcd and the embedded store.
//! Afterwards no address is held twice, every assignment is accounted for in the blocks and
//! handles, and `calicoctl ipam check` finds nothing wrong.
//!
//! The processes are this test binary run again with `--ignored --exact
//! stress::stress_worker` and the worker's orders in `CALICO_STRESS_WORKER`: real OS
//! processes, each with its own datastore connection, racing each other only through the
//! datastore's compare-and-swap (no host lock).

use crate::reliability::{audit, calicoctl, figure, knob, text};
use calico::datastore::Store;
use calico::datastore::api::Client;
use calico::datastore::embedded::EmbeddedStore;
use calico::datastore::etcd::{EtcdConfig, EtcdStore};
use calico::ipam::{AutoAssignRequest, Ipam, IpamError};
use calico::model::{Cidr, IpPool, Node, WorkloadEndpoint};
use calico::testing::{EtcdServer, TestDir};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WORKER_ENV: &str = "CALICO_STRESS_WORKER";
const PROCESSES: usize = 8;

/// Where the datastore is, as a worker is told: `etcd <endpoint>` or `embedded <path>`.
fn open(target: &str) -> Store {
    match target.split_once(' ') {
        Some(("etcd", ep)) => Arc::new(
            EtcdStore::connect(&EtcdConfig {
                timeout: Duration::from_secs(30),
                ..EtcdConfig::new([ep])
            })
            .expect("connect to etcd"),
        ),
        Some(("embedded", path)) => {
            Arc::new(EmbeddedStore::open(path.as_ref()).expect("open the embedded store"))
        }
        _ => panic!("bad datastore target {target:?}"),
    }
}

/// One worker process: `count` assignments for `node`, each followed by its endpoint, one
/// line `ADDR <ip> <handle>` per assignment on stdout.
#[test]
#[ignore = "a worker process of the stress tests, which start it themselves"]
fn stress_worker() {
    let orders = std::env::var(WORKER_ENV).expect("started by the stress tests");
    let mut parts = orders.splitn(4, '|');
    let (node, tag, count, target) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
        parts.next().unwrap().parse::<usize>().unwrap(),
        parts.next().unwrap().to_string(),
    );
    let store = open(&target);
    let client = Client::new(store.clone());
    let ipam = Ipam::from_store(store);
    for i in 0..count {
        let pod = format!("{tag}-{i}");
        let handle = format!("k8s-pod-network.{tag}-{i:05}");
        let attrs: BTreeMap<String, String> = [
            ("namespace", "stress"),
            ("node", node.as_str()),
            ("pod", pod.as_str()),
            ("timestamp", "2026-12-02 06:00:00.000000000 +0000 UTC"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let req = AutoAssignRequest {
            num4: 1,
            handle_id: Some(handle.clone()),
            hostname: node.clone(),
            attrs,
            ..AutoAssignRequest::default()
        };
        // Eight writers on one block with no host lock (the CNI plugin takes one) can lose
        // the compare-and-swap race 100 times in a row on a loaded machine. The request then
        // fails whole, leaving nothing behind, and is tried again as kubelet retries a failed
        // ADD; every such retry is reported.
        let mut attempt = 0;
        let got = loop {
            match ipam.auto_assign(&req) {
                Err(IpamError::MaxRetries) if attempt < 5 => {
                    attempt += 1;
                    println!("RETRY {handle}");
                }
                other => break other.unwrap_or_else(|e| panic!("{handle}: {e}")),
            }
        };
        let v4 = got.ipv4.expect("an IPv4 result");
        assert_eq!(v4.ips.len(), 1, "{handle}: {:?}", v4.msgs);
        let ip = v4.ips[0].addr();
        let mut w = WorkloadEndpoint::default();
        w.metadata.name = calico::model::workloadendpoint::k8s_endpoint_name(&node, &pod, "eth0");
        w.metadata.namespace = "stress".into();
        w.spec.orchestrator = "k8s".into();
        w.spec.node = node.clone();
        w.spec.pod = pod.clone();
        w.spec.endpoint = "eth0".into();
        w.spec.container_id = format!("{tag}{i:05}");
        w.spec.ip_networks = vec![Cidr::host(ip).to_string()];
        client
            .create(w)
            .unwrap_or_else(|e| panic!("{handle}: endpoint: {e}"));
        println!("ADDR {ip} {handle}");
    }
}

/// Starts `PROCESSES` workers at once, worker `w` on `nodes[w % nodes.len()]`; waits for all;
/// returns (address, handle) of every assignment they report, and how many requests hit
/// the retry bound and were tried again.
fn round(
    target: &str,
    nodes: &[String],
    tag: &str,
    count: usize,
) -> (Vec<(IpAddr, String)>, usize) {
    let exe = std::env::current_exe().expect("the test binary");
    let children: Vec<_> = (0..PROCESSES)
        .map(|w| {
            let node = &nodes[w % nodes.len()];
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "stress::stress_worker",
                    "--nocapture",
                ])
                .args(["--test-threads", "1"])
                .env(WORKER_ENV, format!("{node}|{tag}w{w}|{count}|{target}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a worker")
        })
        .collect();
    let mut got = Vec::new();
    let mut retried = 0;
    for (w, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("wait for a worker");
        assert!(out.status.success(), "worker {w} failed: {}", text(&out));
        retried += String::from_utf8_lossy(&out.stdout)
            .matches("RETRY ")
            .count();
        let lines: Vec<(IpAddr, String)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            // The harness's own "test ... " may precede the first line.
            .filter_map(|l| l.find("ADDR ").map(|at| &l[at + 5..]))
            .map(|l| {
                let (ip, handle) = l.split_once(' ').unwrap();
                (ip.parse().unwrap(), handle.to_string())
            })
            .collect();
        assert_eq!(
            lines.len(),
            count,
            "worker {w} reported {} assignments",
            lines.len()
        );
        got.extend(lines);
    }
    (got, retried)
}

fn stress(backend: &str, target: &str, store: Store, env: &[(&str, String)]) {
    let count = knob("CALICO_STRESS_OPS", 500) as usize;
    let client = Client::new(store.clone());
    calico::cli::ops::ensure_initialized(&client);
    // /24 blocks: one node's 4,000 addresses fit in 16 blocks, under the default cap of 20.
    let mut pool = IpPool::new("stress-pool", "10.240.0.0/16");
    pool.spec.block_size = 24;
    client.create(pool).unwrap();
    let nodes: Vec<String> = (0..PROCESSES).map(|n| format!("snode{n}")).collect();
    for n in &nodes {
        client.create(Node::new(n)).unwrap();
    }
    let mut all: Vec<(IpAddr, String)> = Vec::new();
    for (label, on, tag) in [
        ("8 processes on 8 nodes", &nodes[..], "many"),
        ("8 processes on 1 node", &nodes[..1], "one"),
    ] {
        let t = Instant::now();
        let (got, retried) = round(target, on, tag, count);
        figure(&format!(
            "stress/{backend}: {label}: {} assignments in {:.1}s ({retried} requests hit \
             the retry bound and were tried again)",
            got.len(),
            t.elapsed().as_secs_f64()
        ));
        all.extend(got);
    }
    let mut seen: BTreeMap<IpAddr, &str> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for (ip, handle) in &all {
        if let Some(other) = seen.insert(*ip, handle) {
            duplicates.push(format!("{ip}: {other} and {handle}"));
        }
    }
    assert!(
        duplicates.is_empty(),
        "addresses handed out twice: {duplicates:?}"
    );
    assert_eq!(all.len(), 2 * PROCESSES * count);

    // The datastore agrees: exactly these allocations, each with its handle, blocks sound.
    let a = audit(store.as_ref());
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    let stored: BTreeMap<IpAddr, String> = a
        .allocated
        .iter()
        .map(|(ip, (h, _))| (*ip, h.clone().unwrap_or_default()))
        .collect();
    let reported: BTreeMap<IpAddr, String> = all.iter().map(|(ip, h)| (*ip, h.clone())).collect();
    assert_eq!(
        stored, reported,
        "the blocks hold exactly the reported assignments"
    );
    let handles: BTreeSet<&String> = a.handles.keys().collect();
    assert_eq!(handles.len(), all.len());

    // And calicoctl's check is clean.
    let mut cmd = calicoctl();
    cmd.args(["ipam", "check"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    for want in [
        format!("IPAM blocks record {} allocations.", all.len()),
        format!("Found {} workload IPs.", all.len()),
        "Found 0 IPs that are allocated in IPAM but not actually in use.".to_string(),
        "Check complete; found 0 problems.".to_string(),
    ] {
        assert!(report.contains(&want), "missing {want:?} in:\n{report}");
    }
    figure(&format!(
        "stress/{backend}: {} assignments by {} processes, 0 duplicates, 0 lost, \
         {} blocks, ipam check: 0 problems",
        all.len(),
        2 * PROCESSES,
        a.blocks
    ));
}

#[test]
fn stress_embedded() {
    let dir = TestDir::new("calico-stress");
    let path = dir.path().join("datastore.db");
    let store: Store = Arc::new(EmbeddedStore::open(&path).unwrap());
    stress(
        "embedded",
        &format!("embedded {}", path.display()),
        store,
        &[
            ("DATASTORE_TYPE", "embedded".into()),
            ("CALICO_DATASTORE_PATH", path.display().to_string()),
        ],
    );
    let s = EmbeddedStore::open(&path).unwrap();
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn stress_etcd() {
    let etcd = EtcdServer::start();
    let store: Store = Arc::new(etcd.store());
    stress(
        "etcd",
        &format!("etcd {}", etcd.endpoint()),
        store,
        &[
            ("DATASTORE_TYPE", "etcdv3".into()),
            ("ETCD_ENDPOINTS", etcd.endpoint()),
        ],
    );
}
