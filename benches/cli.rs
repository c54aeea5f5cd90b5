//! Whole-process time of `calicoctl`, spawned as a user would run it.
//!
//! For each backend (embedded SQLite file, local single-member etcd 3.4):
//! - `calicoctl create -f pools.yaml` with 1,000 IPPools (non-overlapping /24s), one run per
//!   repetition on a fresh, empty datastore (`BENCH_REPS`, default 3); compared with 1,000
//!   raw single-key CAS transactions on the same backend (the floor a create can reach: one
//!   transaction per pool);
//! - `calicoctl get ippool -o wide` with those 1,000 pools, `BENCH_RUNS` runs (default 30)
//!   after 3 warm-up runs: median and p90;
//! - the same `get` on an empty datastore, and `calicoctl version --client` (process start-up);
//! - `calicoctl create -f` of 1,000 resources of five kinds (IPPool, GlobalNetworkPolicy,
//!   GlobalNetworkSet, NetworkSet, BGPPeer, 200 each) against the same raw floor, and
//!   `calicoctl get globalnetworkpolicy -o wide` with 1,000 policies.
//!
//! The binary is the release build Cargo made for this benchmark (`CARGO_BIN_EXE_calicoctl`).
//! Run: `cargo bench --bench cli` (about 1 minute).

mod common;

use common::Backend;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const POOLS: usize = 1000;

fn pools_yaml(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-{i:04}\nspec:\n  \
             cidr: 10.{}.{}.0/24\n  blockSize: 26\n  ipipMode: Never\n  natOutgoing: true\n---\n",
            i / 256,
            i % 256
        ));
    }
    s
}

/// 1,000 resources, five kinds in turn: what a cluster's files hold besides pools.
fn mixed_yaml(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let (a, b) = (i / 256, i % 256);
        s.push_str(&match i % 5 {
            0 => format!(
                "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool-{i:04}\n\
                 spec:\n  cidr: 10.{a}.{b}.0/24\n  nodeSelector: rack == 'r{}'\n",
                i % 7
            ),
            1 => gnp_yaml(i),
            2 => format!(
                "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  \
                 name: gns-{i:04}\n  labels:\n    role: external\nspec:\n  nets:\n  - \
                 172.16.{a}.{b}/32\n"
            ),
            3 => format!(
                "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata:\n  \
                 name: ns-{i:04}\n  namespace: default\nspec:\n  nets:\n  - 172.17.{a}.{b}/32\n"
            ),
            _ => format!(
                "apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: peer-{i:04}\n\
                 spec:\n  peerIP: 192.168.{a}.{b}\n  asNumber: 64513\n  nodeSelector: rack == 'r{}'\n",
                i % 7
            ),
        });
        s.push_str("---\n");
    }
    s
}

/// One GlobalNetworkPolicy with an ingress rule.
fn gnp_yaml(i: usize) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  \
         name: gnp-{i:04}\nspec:\n  order: {i}\n  selector: role == 'db'\n  ingress:\n  \
         - action: Allow\n    protocol: TCP\n    destination:\n      ports:\n      - 5432\n"
    )
}

/// Runs calicoctl once; returns its wall time and stdout. Panics on failure.
fn calicoctl(backend: &Backend, args: &[&str]) -> (Duration, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calicoctl"));
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in backend.env() {
        cmd.env(k, v);
    }
    let t = Instant::now();
    let out = cmd.output().expect("run calicoctl");
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "calicoctl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (elapsed, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn runs(backend: &Backend, args: &[&str], n: usize) -> Vec<Duration> {
    for _ in 0..3 {
        calicoctl(backend, args);
    }
    let mut v: Vec<Duration> = (0..n).map(|_| calicoctl(backend, args).0).collect();
    v.sort_unstable();
    v
}

fn main() {
    let reps: usize = common::knob("BENCH_REPS", 3);
    let n_runs: usize = common::knob("BENCH_RUNS", 30);
    let which = std::env::var("BENCH_BACKENDS").unwrap_or_default();
    let dir = calico::testing::TestDir::new("calico-bench-cli");
    let file = dir.path().join("pools.yaml");
    std::fs::write(&file, pools_yaml(POOLS)).unwrap();
    let file = file.to_str().unwrap();
    let mixed = dir.path().join("mixed.yaml");
    std::fs::write(&mixed, mixed_yaml(POOLS)).unwrap();
    let mixed = mixed.to_str().unwrap();
    let gnps = dir.path().join("gnps.yaml");
    let gnp_file: String = (0..POOLS).map(|i| gnp_yaml(i) + "---\n").collect();
    std::fs::write(&gnps, gnp_file).unwrap();
    let gnps = gnps.to_str().unwrap();

    common::banner("bench cli: whole-process calicoctl timings");
    println!(
        "{:<9} {:<44} {:>5} {:>10} {:>10} {:>10}",
        "backend", "command", "runs", "median ms", "p90 ms", "min ms"
    );
    for name in ["embedded", "etcd"] {
        if !which.is_empty() && !which.contains(name) {
            continue;
        }
        let fresh = || {
            if name == "etcd" {
                Backend::etcd()
            } else {
                Backend::embedded()
            }
        };
        let row = |cmd: &str, v: &[Duration]| {
            println!(
                "{:<9} {:<44} {:>5} {:>10.1} {:>10.1} {:>10.1}",
                name,
                cmd,
                v.len(),
                common::quantile_ms(v, 0.5),
                common::quantile_ms(v, 0.9),
                common::quantile_ms(v, 0.0),
            );
        };

        // Process start-up and an empty listing.
        let backend = fresh();
        let v = runs(&backend, &["version", "--client"], n_runs);
        row("version --client", &v);
        let v = runs(&backend, &["get", "ippool", "-o", "wide"], n_runs);
        row("get ippool -o wide (0 pools)", &v);
        drop(backend);

        // create -f with 1,000 pools, each repetition on a fresh datastore.
        let mut creates = Vec::new();
        let mut raw = Vec::new();
        let mut last = None;
        for _ in 0..reps {
            let backend = fresh();
            // Open the datastore first (the embedded file is created on first use), so that
            // the create does not pay for making the file and its schema.
            calicoctl(&backend, &["get", "ippool"]);
            let (t, out) = calicoctl(&backend, &["create", "-f", file]);
            assert_eq!(
                out.trim(),
                format!("Successfully created {POOLS} 'IPPool' resource(s)")
            );
            creates.push(t);
            raw.push(common::raw_txn_rate(&backend, 1, 512, 1.0));
            last = Some(backend);
        }
        creates.sort_unstable();
        row(&format!("create -f ({POOLS} pools)"), &creates);
        let raw_rate = common::median(raw);
        let floor = POOLS as f64 / raw_rate * 1e3;
        let median_create = common::quantile_ms(&creates, 0.5);
        println!(
            "{:<9} {:<44} {:>5} {:>10.1}   (raw CAS {raw_rate:.0} txn/s, 1 client, 512 B; \
             create = {:.2}x the floor)",
            name,
            format!("floor: {POOLS} raw txns"),
            "",
            floor,
            median_create / floor
        );

        // get -o wide with the 1,000 pools.
        let backend = last.expect("at least one repetition");
        let (_, out) = calicoctl(&backend, &["get", "ippool", "-o", "wide"]);
        assert_eq!(
            out.lines().filter(|l| !l.is_empty()).count(),
            POOLS + 1,
            "header + one line per pool"
        );
        let v = runs(&backend, &["get", "ippool", "-o", "wide"], n_runs);
        row(&format!("get ippool -o wide ({POOLS} pools)"), &v);
        drop(backend);

        // create -f of 1,000 resources of five kinds, against the same floor.
        let mut creates = Vec::new();
        let mut raw = Vec::new();
        for _ in 0..reps {
            let backend = fresh();
            calicoctl(&backend, &["get", "ippool"]);
            let (t, out) = calicoctl(&backend, &["create", "-f", mixed]);
            assert!(
                out.trim() == format!("Successfully created {POOLS} resource(s)"),
                "{out}"
            );
            creates.push(t);
            raw.push(common::raw_txn_rate(&backend, 1, 512, 1.0));
        }
        creates.sort_unstable();
        row(&format!("create -f ({POOLS} mixed)"), &creates);
        // Its own floor, measured next to it: the pools' floor may have met another load.
        let raw_rate = common::median(raw);
        let floor = POOLS as f64 / raw_rate * 1e3;
        println!(
            "{:<9} {:<44} {:>5} {:>10.1}   (raw CAS {raw_rate:.0} txn/s; create = {:.2}x the floor)",
            name,
            format!("floor: {POOLS} raw txns"),
            "",
            floor,
            common::quantile_ms(&creates, 0.5) / floor
        );

        // get globalnetworkpolicy -o wide with 1,000 policies.
        let backend = fresh();
        calicoctl(&backend, &["create", "-f", gnps]);
        let (_, out) = calicoctl(&backend, &["get", "globalnetworkpolicy", "-o", "wide"]);
        assert_eq!(out.lines().filter(|l| !l.is_empty()).count(), POOLS + 1);
        let v = runs(
            &backend,
            &["get", "globalnetworkpolicy", "-o", "wide"],
            n_runs,
        );
        row(&format!("get gnp -o wide ({POOLS} policies)"), &v);
        println!("(load {})", common::loadavg());
    }
}
