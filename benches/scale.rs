//! `calicoctl ipam show --show-blocks` and `calicoctl ipam check` over large datastores: wall
//! time and peak memory (the child's maximum resident set size, from `wait4` in a small
//! launcher process, so that the benchmark's own memory does not count).
//!
//! For each size N (`BENCH_SIZES`, default `100000,1000000` allocated addresses) and backend
//! (`BENCH_BACKENDS`, default `embedded,etcd`), the datastore is seeded directly, in bulk
//! transactions, with what a cluster of N pods holds: one /8 pool, N/64 nodes each owning one
//! full /26 block (confirmed affinity), one CNI-style handle per pod
//! (`k8s-pod-network.<64 hex>`, node/namespace/pod/timestamp attributes) and one
//! WorkloadEndpoint per pod, except one pod in a thousand whose endpoint is missing (a leak the
//! check must report: N/1000 leaked addresses and handles). The seeding time is printed but
//! is not what is measured.
//!
//! Measured, `BENCH_RUNS` times each (default 3; the table shows the median time and the
//! largest peak RSS), with stdout drained through a pipe and its bytes counted:
//! - `calicoctl ipam show` (the pool table), `ipam show --show-blocks`;
//! - `calicoctl ipam check` (the text report);
//! - `calicoctl ipam check -o report.json` (also writes the report `release --from-report`
//!   reads; "out MiB" is then the report's size);
//! - `calicoctl ipam release --from-report report.json --force --dry-run` (reads the report,
//!   re-checks every leaked address against the endpoints and nodes, releases nothing);
//!
//! - the first assignment on a new node (uncached, in process: a block claim), its time and
//!   round trips (reads+transactions), and beside it one listing of every IPv4 block with its
//!   value, which is what each claim cost before claims stopped listing the blocks.
//!
//! First, as the floor for anything that reads everything, one in-process `KvStore::scan`
//! of every key under `/calico/` (its time, and the MiB of keys and values read). On etcd,
//! also the floor `ipam check` is held to (issue 24): `etcdctl get --prefix` of each range the
//! check reads, run one after another in the same launcher (their summed time, their largest
//! peak RSS, their output's size, drained), and each `ipam check` row gives its ratio to it.
//!
//! Each run's output is checked: the block count and the leak count must be the seeded ones.
//!
//! etcd runs with `--quota-backend-bytes` of 8 GiB, since 1,000,000 pods are about 1.3 GB of
//! keys and values. Run: `cargo bench --bench scale` (about 10 minutes on 2 cores, most of it
//! seeding etcd); `BENCH_SIZES=100000 BENCH_BACKENDS=embedded` for a quick look.

mod common;

use calico::datastore::api::Client;
use calico::datastore::{Store, keys};
use calico::ipam::Ipam;
use calico::model::Node;
use calico::testing::{EtcdOptions, EtcdServer};
use common::Backend;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::seed::{BLOCK, seed};

struct Run {
    wall: Duration,
    max_rss_kib: i64,
    out_bytes: usize,
    stdout: Vec<u8>,
}

/// Every range `ipam check` reads: ClusterInformation, pools, nodes, endpoints, handles, blocks.
const CHECK_PREFIXES: [&str; 6] = [
    "/calico/resources/v3/projectcalico.org/clusterinformations/default",
    "/calico/resources/v3/projectcalico.org/ippools/",
    "/calico/resources/v3/projectcalico.org/nodes/",
    "/calico/resources/v3/projectcalico.org/workloadendpoints/",
    "/calico/ipam/v2/handle/",
    "/calico/ipam/v2/assignment/",
];

/// The environment variable that makes this program the launcher (see [`Launcher`]).
const LAUNCHER_ENV: &str = "BENCH_SCALE_LAUNCHER";

/// A small process, started before anything is seeded, that runs each measured command and
/// reaps it with `wait4`. A child's `ru_maxrss` starts from the memory of the process it was
/// forked from (Linux carries the parent's high-water mark over fork and exec), so commands
/// forked from this benchmark after it has seeded a million addresses would report its peak,
/// not theirs. Requests and answers are JSON lines on the launcher's stdin and stdout.
struct Launcher {
    child: std::process::Child,
    to: std::process::ChildStdin,
    from: std::io::BufReader<std::process::ChildStdout>,
}

impl Launcher {
    fn start() -> Launcher {
        let (child, to, from) = common::spawn_self(LAUNCHER_ENV);
        Launcher { child, to, from }
    }

    /// Runs calicoctl with `args` against `backend`; panics on failure.
    fn calicoctl(&mut self, backend: &Backend, args: &[&str]) -> Run {
        let mut argv = vec![env!("CARGO_BIN_EXE_calicoctl").to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        argv.extend(["--datastore-timeout".to_string(), "120".to_string()]);
        self.run(argv, backend.env(), false)
    }

    /// Runs `argv` with `env`; panics on failure. With `count_only`, the output is drained and
    /// only its size kept ([`Run::stdout`] is then empty and `out_bytes` says how much).
    fn run(&mut self, argv: Vec<String>, env: Vec<(String, String)>, count_only: bool) -> Run {
        use std::io::{BufRead, Write};
        let args = &argv[1..];
        let request = serde_json::json!({"argv": argv, "env": env, "count_only": count_only});
        writeln!(self.to, "{request}").unwrap();
        self.to.flush().unwrap();
        let mut line = String::new();
        self.from.read_line(&mut line).expect("launcher answer");
        let answer: serde_json::Value = serde_json::from_str(&line).expect("launcher JSON");
        assert!(
            answer["success"].as_bool().unwrap_or(false),
            "calicoctl {args:?} failed ({}): {}",
            answer["status"],
            answer["stderr"].as_str().unwrap_or_default()
        );
        Run {
            wall: Duration::from_secs_f64(answer["wall"].as_f64().unwrap()),
            max_rss_kib: answer["max_rss_kib"].as_i64().unwrap(),
            out_bytes: answer["out_bytes"].as_u64().unwrap() as usize,
            stdout: answer["stdout"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
        }
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The launcher's loop: one command per request line, one answer line each.
fn launcher_main() {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let request: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let argv: Vec<String> = serde_json::from_value(request["argv"].clone()).unwrap();
        let env: Vec<(String, String)> = serde_json::from_value(request["env"].clone()).unwrap();
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().expect("spawn calicoctl");
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            err.read_to_string(&mut s).ok();
            s
        });
        let mut text = Vec::new();
        let mut out_bytes = 0;
        if request["count_only"].as_bool().unwrap_or(false) {
            let mut chunk = vec![0u8; 1 << 20];
            loop {
                match out.read(&mut chunk).unwrap() {
                    0 => break,
                    n => out_bytes += n,
                }
            }
        } else {
            out.read_to_end(&mut text).unwrap();
            out_bytes = text.len();
        }
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own unreaped child; status and usage are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
        let wall = start.elapsed();
        // The child is reaped; forget it so that Drop does not wait again.
        std::mem::forget(child);
        let status = std::process::ExitStatus::from_raw(status);
        let answer = serde_json::json!({
            "success": status.success(),
            "status": status.to_string(),
            "wall": wall.as_secs_f64(),
            "max_rss_kib": usage.ru_maxrss,
            "out_bytes": out_bytes,
            "stdout": String::from_utf8_lossy(&text),
            "stderr": err_reader.join().unwrap(),
        });
        writeln!(stdout, "{answer}").unwrap();
        stdout.flush().unwrap();
    }
}

fn main() {
    if std::env::var_os(LAUNCHER_ENV).is_some() {
        return launcher_main();
    }
    let mut launcher = Launcher::start();
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse::<usize>().expect("BENCH_SIZES: numbers"))
        .map(|n| n.div_ceil(BLOCK) * BLOCK)
        .collect();
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "embedded,etcd".into());
    let runs: usize = common::knob("BENCH_RUNS", 3);
    common::banner("bench scale: ipam show --show-blocks and ipam check over large datastores");
    println!(
        "\n{:<9} {:>9} {:<31} {:>9} {:>10} {:>10}",
        "backend", "addrs", "command", "median s", "peak MiB", "out MiB"
    );
    for &n in &sizes {
        for name in backends.split(',') {
            let backend = match name.trim() {
                "embedded" => Backend::embedded(),
                "etcd" => Backend::Etcd(Box::new(EtcdServer::start_with(&EtcdOptions {
                    extra_args: vec!["--quota-backend-bytes=8589934592".into()],
                    ..EtcdOptions::default()
                }))),
                other => panic!("BENCH_BACKENDS: unknown backend {other}"),
            };
            let store = backend.connect();
            let t = Instant::now();
            let (blocks, leaked, txns) = seed(&store, n);
            eprintln!(
                "seeded {n} addresses ({blocks} blocks, {leaked} leaked) on {} in {:.1} s \
                 ({txns} transactions; load {})",
                backend.name(),
                t.elapsed().as_secs_f64(),
                common::loadavg()
            );
            // The floor for anything that reads everything: one in-process scan of every
            // key, values untouched.
            let t = Instant::now();
            let (mut keys_seen, mut bytes) = (0usize, 0usize);
            store
                .scan("/calico/", &mut |kv| {
                    keys_seen += 1;
                    bytes += kv.key.len() + kv.value.len();
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
            let raw = t.elapsed();
            drop(store);
            if std::env::var_os(calico::testing::KEEP_DIRS_ENV).is_some()
                && let Backend::Etcd(e) = &backend
            {
                eprintln!("etcd data kept in {}", e.data_dir().display());
            }
            if runs == 0 {
                continue;
            }
            println!(
                "{:<9} {:>9} {:<31} {:>9.2} {:>10} {:>10.1}",
                backend.name(),
                n,
                format!("raw scan, {keys_seen} keys"),
                raw.as_secs_f64(),
                "-",
                bytes as f64 / (1024.0 * 1024.0)
            );
            // The floor `ipam check` is held to on etcd (issue 24): `etcdctl get --prefix` of
            // every range the check reads, one after another, output drained.
            let floor = match &backend {
                Backend::Etcd(e) => {
                    let mut walls = Vec::new();
                    let (mut rss, mut out) = (0, 0);
                    for _ in 0..runs {
                        let mut wall = Duration::ZERO;
                        out = 0;
                        for prefix in CHECK_PREFIXES {
                            let argv = [
                                "etcdctl",
                                "--endpoints",
                                &e.endpoint(),
                                // Its default (5 s) is shorter than one range of 1,000,000
                                // endpoints takes.
                                "--command-timeout=600s",
                                "get",
                                "--prefix",
                                prefix,
                            ];
                            let r = launcher.run(
                                argv.iter().map(|a| a.to_string()).collect(),
                                vec![("ETCDCTL_API".into(), "3".into())],
                                true,
                            );
                            wall += r.wall;
                            rss = rss.max(r.max_rss_kib);
                            out += r.out_bytes;
                        }
                        walls.push(wall.as_secs_f64());
                    }
                    let floor = common::median(walls);
                    println!(
                        "{:<9} {:>9} {:<31} {:>9.2} {:>10.1} {:>10.1}",
                        backend.name(),
                        n,
                        "etcdctl get --prefix, serial",
                        floor,
                        rss as f64 / 1024.0,
                        out as f64 / (1024.0 * 1024.0)
                    );
                    Some(floor)
                }
                _ => None,
            };
            let dir = calico::testing::TestDir::new("calico-bench-scale");
            let report = dir.path().join("report.json");
            let report_s = report.display().to_string();
            let commands: Vec<(&str, Vec<&str>)> = vec![
                ("ipam show", vec!["ipam", "show"]),
                (
                    "ipam show --show-blocks",
                    vec!["ipam", "show", "--show-blocks"],
                ),
                ("ipam check", vec!["ipam", "check"]),
                (
                    "ipam check -o report.json",
                    vec!["ipam", "check", "-o", &report_s],
                ),
                (
                    "release --from-report --dry-run",
                    vec![
                        "ipam",
                        "release",
                        "--from-report",
                        &report_s,
                        "--force",
                        "--dry-run",
                    ],
                ),
            ];
            for (label, args) in &commands {
                let mut walls = Vec::new();
                let mut rss = 0;
                let mut out_bytes = 0;
                for _ in 0..runs {
                    let r = launcher.calicoctl(&backend, args);
                    let text = String::from_utf8_lossy(&r.stdout);
                    if label.starts_with("ipam check") {
                        assert!(
                            text.contains(&format!("Found {blocks} IPAM blocks.")),
                            "{label}: wrong block count"
                        );
                        assert!(
                            text.contains(&format!(
                                "Found {leaked} IPs that are allocated in IPAM but not actually in use."
                            )),
                            "{label}: wrong leak count"
                        );
                        assert!(
                            text.contains(&format!("Check complete; found {leaked} problems.")),
                            "{label}: wrong problem count"
                        );
                    } else if label.starts_with("release") {
                        assert!(
                            text.contains(&format!("Would release {leaked} old IPs")),
                            "{label}: {}",
                            text.lines().next().unwrap_or_default()
                        );
                    } else if label.ends_with("--show-blocks") {
                        assert_eq!(
                            text.matches("| Block").count(),
                            blocks,
                            "{label}: block rows"
                        );
                    }
                    walls.push(r.wall.as_secs_f64());
                    rss = rss.max(r.max_rss_kib);
                    out_bytes = r.stdout.len();
                }
                if label.starts_with("ipam check -o") {
                    let size = std::fs::metadata(&report).unwrap().len();
                    assert!(size > 0);
                    out_bytes = size as usize;
                }
                let median = common::median(walls);
                let ratio = match floor {
                    Some(f) if label.starts_with("ipam check") => {
                        format!("  ({:.2}x etcdctl)", median / f)
                    }
                    _ => String::new(),
                };
                println!(
                    "{:<9} {:>9} {:<31} {:>9.2} {:>10.1} {:>10.1}{ratio}",
                    backend.name(),
                    n,
                    label,
                    median,
                    rss as f64 / 1024.0,
                    out_bytes as f64 / (1024.0 * 1024.0)
                );
            }
            claims(&backend, n, runs);
        }
    }
}

/// The first assignment on a new node in this big cluster (it claims a block), in process
/// and uncached as the CNI plugin makes it: its time and round trips, against what a claim
/// cost when it listed every block of the family (one values listing of the IPv4 blocks, timed
/// here). Runs after the commands above (it adds blocks).
fn claims(backend: &Backend, n: usize, runs: usize) {
    let counting = common::Counting::new(backend.connect());
    let store: Store = counting.clone();
    let admin = Client::new(store.clone());
    let ipam = Ipam::new(admin.clone());
    let mut walls = Vec::new();
    let (mut reads, mut txns) = (0, 0);
    for i in 0..runs {
        let node = format!("bench-new-node-{i}");
        admin.create(Node::new(&node)).unwrap();
        let req = calico::ipam::AutoAssignRequest {
            num4: 1,
            handle_id: Some(format!(
                "k8s-pod-network.{:064x}",
                0xC1A1_u128 << 64 | i as u128
            )),
            hostname: node.clone(),
            ..Default::default()
        };
        let before = counting.counts();
        let t = Instant::now();
        let got = ipam.auto_assign(&req).unwrap().ipv4.unwrap();
        walls.push(t.elapsed().as_secs_f64());
        let after = counting.counts();
        reads += after.0 + after.1 - before.0 - before.1;
        txns += after.2 - before.2;
        assert_eq!(got.ips.len(), 1, "{:?}", got.msgs);
        let block = ipam
            .get_assignment_attributes(got.ips[0].addr())
            .unwrap()
            .block_affinity;
        assert_eq!(
            block,
            Some(format!("host:{node}")),
            "a block claimed for the node"
        );
    }
    let per = |x: u64| x as f64 / runs.max(1) as f64;
    println!(
        "{:<9} {:>9} {:<31} {:>9.4} {:>10} {:>10}",
        backend.name(),
        n,
        format!(
            "claim on a new node ({:.0}+{:.0} rt)",
            per(reads),
            per(txns)
        ),
        common::median(walls),
        "-",
        "-"
    );
    let t = Instant::now();
    let listed = store.list(&keys::blocks_prefix(4)).unwrap();
    let bytes: usize = listed.kvs.iter().map(|kv| kv.value.len()).sum();
    println!(
        "{:<9} {:>9} {:<31} {:>9.2} {:>10} {:>10.1}",
        backend.name(),
        n,
        "(listing every block: old claim)",
        t.elapsed().as_secs_f64(),
        "-",
        bytes as f64 / (1024.0 * 1024.0)
    );
}
