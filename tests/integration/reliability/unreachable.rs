//! etcd unreachable or slow, the embedded store locked: every command fails within its
//! configured timeout (calicoctl and calico-node: `--datastore-timeout`; calico-ipam: the
//! default 10 s; the embedded store: its 10 s busy timeout), with a clear message naming the
//! endpoint or file, a non-zero exit, and nothing half-written; the agent keeps retrying with
//! back-off and recovers when etcd returns.
//!
//! Faults: a closed port (dead etcd), a listening socket that never answers (a silent etcd or
//! a network black hole), a proxy in front of a real etcd that delays traffic (slow etcd,
//! requests that arrive after the client gave up), another process holding the SQLite write
//! lock, and an etcd killed and restarted under a running calico-node.

use super::{audit, calico_ipam, calico_node, calicoctl, figure, text};
use calico::datastore::Store;
use calico::datastore::api::Client;
use calico::datastore::etcd::EtcdStore;
use calico::model::{IpPool, Node, Resource, WorkloadEndpoint};
use calico::testing::{EtcdCluster, EtcdServer, SqliteWriteLock, TestDir};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Allowed beyond the configured timeout: process start, connection set-up, a loaded machine.
const SLACK: Duration = Duration::from_millis(1500);

/// A port that accepts connections and never says a word.
struct Blackhole {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Blackhole {
    fn start() -> Blackhole {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((c, _)) => held.push(c),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Blackhole {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const PASS: u64 = 0;
/// Hold all traffic until the mode changes.
const HOLD: u64 = 1;
/// Per connection `i`: pass the first `5 i mod spread` chunks from the client, delay every
/// later one by `delay` (an ADD sends about 26 chunks on its connection).
const DELAY_AFTER: u64 = 2;

/// A TCP proxy in front of a real etcd, with faults.
struct Proxy {
    addr: SocketAddr,
    mode: Arc<AtomicU64>,
    delay_ms: Arc<AtomicU64>,
    spread: Arc<AtomicU64>,
    /// Pumps still running.
    busy: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    client_side: bool,
    index: u64,
    p: (
        Arc<AtomicU64>,
        Arc<AtomicU64>,
        Arc<AtomicU64>,
        Arc<AtomicBool>,
    ),
) {
    let (mode, delay_ms, spread, stop) = p;
    from.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut chunks = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                continue;
            }
            Err(_) => break,
        };
        chunks += 1;
        match mode.load(Ordering::Relaxed) {
            HOLD => {
                while mode.load(Ordering::Relaxed) == HOLD && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            DELAY_AFTER if client_side => {
                let spread = spread.load(Ordering::Relaxed).max(1);
                // Spread the connections' starting points over the whole range.
                if chunks > (index * 5) % spread {
                    let until =
                        Instant::now() + Duration::from_millis(delay_ms.load(Ordering::Relaxed));
                    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
            }
            _ => {}
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    if std::env::var_os("CALICO_PROXY_DEBUG").is_some() {
        eprintln!("proxy connection {index} client_side={client_side}: {chunks} chunks");
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("upstream address");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let p = Proxy {
            addr,
            mode: Arc::new(AtomicU64::new(PASS)),
            delay_ms: Arc::new(AtomicU64::new(0)),
            spread: Arc::new(AtomicU64::new(1)),
            busy: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (mode, delay, spread, busy, stop) = (
            p.mode.clone(),
            p.delay_ms.clone(),
            p.spread.clone(),
            p.busy.clone(),
            p.stop.clone(),
        );
        std::thread::spawn(move || {
            let mut index = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                for (from, to, client_side) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        true,
                    ),
                    (server, client, false),
                ] {
                    let shared = (mode.clone(), delay.clone(), spread.clone(), stop.clone());
                    let busy = busy.clone();
                    busy.fetch_add(1, Ordering::SeqCst);
                    std::thread::spawn(move || {
                        pump(from, to, client_side, index, shared);
                        busy.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                index += 1;
            }
        });
        p
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, mode: u64, delay: Duration, spread: u64) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
        self.spread.store(spread, Ordering::Relaxed);
        self.mode.store(mode, Ordering::Relaxed);
    }

    /// Waits until every connection has closed (delayed data delivered or dropped).
    fn wait_idle(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.busy.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Runs a command with stdin, timing it.
fn timed(mut c: Command, stdin: &[u8]) -> (Output, Duration) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = c.spawn().expect("spawn");
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().expect("wait");
    (out, t.elapsed())
}

fn netconf(datastore: serde_json::Value, lock: &std::path::Path) -> Vec<u8> {
    let mut v = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": "slow-net",
        "type": "calico",
        "nodename": "node-slow",
        "ipam_lock_file": lock,
        "ipam": {"type": "calico-ipam"},
    });
    for (k, val) in datastore.as_object().unwrap() {
        v[k] = val.clone();
    }
    serde_json::to_vec(&v).unwrap()
}

fn cni(command: &str, container: &str) -> Command {
    let mut c = calico_ipam();
    c.env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", container)
        .env("CNI_IFNAME", "eth0")
        .env("CNI_NETNS", "/var/run/netns/none")
        .env("CNI_PATH", "/opt/cni/bin")
        .env(
            "CNI_ARGS",
            format!("K8S_POD_NAMESPACE=slow;K8S_POD_NAME=pod-{container}"),
        );
    c
}

/// The commands of the unreachable test: (label, command, stdin, limit).
fn commands(endpoints: &str, dir: &std::path::Path) -> Vec<(String, Command, Vec<u8>, Duration)> {
    let pools = dir.join("pools.yaml");
    std::fs::write(
        &pools,
        "apiVersion: projectcalico.org/v3\nkind: IPPoolList\nitems:\n\
         - apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: a}\n  spec: {cidr: 10.1.0.0/16}\n\
         - apiVersion: projectcalico.org/v3\n  kind: IPPool\n  metadata: {name: b}\n  spec: {cidr: 10.2.0.0/16}\n",
    )
    .unwrap();
    let pools = pools.to_str().unwrap().to_string();
    let timeout = Duration::from_secs(2);
    let mut out = Vec::new();
    let ctl: Vec<Vec<&str>> = vec![
        vec!["get", "ippools"],
        vec!["get", "nodes", "-o", "yaml"],
        vec!["create", "-f", &pools],
        vec!["--allow-version-mismatch", "create", "-f", &pools],
        vec!["--allow-version-mismatch", "apply", "-f", &pools],
        vec!["--allow-version-mismatch", "replace", "-f", &pools],
        vec!["--allow-version-mismatch", "delete", "-f", &pools],
        vec!["--allow-version-mismatch", "ipam", "show"],
        vec!["--allow-version-mismatch", "ipam", "check"],
        vec![
            "--allow-version-mismatch",
            "ipam",
            "release",
            "--ip",
            "10.1.0.1",
        ],
        vec![
            "--allow-version-mismatch",
            "ipam",
            "configure",
            "--strictaffinity=true",
        ],
        vec!["--allow-version-mismatch", "datastore", "migrate", "lock"],
        vec!["--allow-version-mismatch", "label", "nodes", "n1", "a=b"],
        vec!["version"],
    ];
    for args in ctl {
        let mut c = calicoctl();
        c.env("DATASTORE_TYPE", "etcdv3")
            .env("ETCD_ENDPOINTS", endpoints)
            .args(["--datastore-timeout", "2"])
            .args(&args);
        out.push((format!("calicoctl {}", args.join(" ")), c, vec![], timeout));
    }
    let mut node = calico_node();
    node.env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", endpoints)
        .args([
            "--datastore-timeout",
            "2",
            "--nodename",
            "node-x",
            "--once",
            "--dry-run",
        ]);
    out.push(("calico-node --once".into(), node, vec![], timeout));
    for command in ["ADD", "DEL"] {
        // Each its own host lock: side by side, not one queued behind the other.
        let conf = netconf(
            serde_json::json!({"datastore_type": "etcdv3", "etcd_endpoints": endpoints}),
            &dir.join(format!("ipam-{command}.lock")),
        );
        out.push((
            format!("calico-ipam {command}"),
            cni(command, "c1"),
            conf,
            // No timeout setting in the network configuration: the default.
            calico::datastore::etcd::DEFAULT_REQUEST_TIMEOUT,
        ));
    }
    out
}

/// Runs every command in parallel against `endpoints`; each must fail within its limit with a
/// message naming every endpoint. Returns the slowest failure of calicoctl and calico-node
/// (calico-ipam has its own, longer, default timeout).
fn all_fail(what: &str, endpoints: &str, expected: &[&str]) -> Duration {
    let dir = TestDir::new("calico-unreachable");
    let results: Vec<(String, Output, Duration, Duration)> = std::thread::scope(|s| {
        commands(endpoints, dir.path())
            .into_iter()
            .map(|(label, c, stdin, limit)| {
                s.spawn(move || {
                    let (o, took) = timed(c, &stdin);
                    (label, o, took, limit)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    });
    let mut slowest = Duration::ZERO;
    for (label, o, took, limit) in results {
        let t = text(&o);
        assert!(!o.status.success(), "{what}: {label} succeeded: {t}");
        assert!(
            took <= limit + SLACK,
            "{what}: {label} took {took:?} (limit {limit:?}): {t}"
        );
        for e in endpoints.split(',') {
            assert!(
                t.contains(e),
                "{what}: {label}: the message does not name {e}: {t}"
            );
        }
        assert!(
            expected.iter().any(|x| t.contains(x)),
            "{what}: {label}: expected one of {expected:?}: {t}"
        );
        if label.starts_with("calico-ipam") {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout)
                .unwrap_or_else(|e| panic!("{what}: {label}: not a CNI error object ({e}): {t}"));
            assert!(v["code"].as_u64().is_some_and(|c| c > 0), "{t}");
        }
        if !label.starts_with("calico-ipam") {
            slowest = slowest.max(took);
        }
    }
    slowest
}

#[test]
fn unreachable_dead_or_silent_etcd_fails_within_the_timeout() {
    // Dead: a port nobody listens on (bound, then freed), one or two of them.
    let free = || {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (p1, p2) = (free(), free());
    let dead = all_fail(
        "dead etcd",
        &format!("http://127.0.0.1:{p1}"),
        &["connection refused"],
    );
    let dead2 = all_fail(
        "two dead members",
        &format!("http://127.0.0.1:{p1},http://127.0.0.1:{p2}"),
        &["connection refused"],
    );
    assert!(
        dead < Duration::from_secs(2),
        "a refused connection must fail fast: {dead:?}"
    );
    // Silent: accepts, never answers.
    let hole = Blackhole::start();
    let silent = all_fail(
        "silent etcd",
        &hole.endpoint(),
        &["context deadline exceeded"],
    );
    figure(&format!(
        "unreachable: 17 commands (14 calicoctl, calico-node --once, calico-ipam ADD/DEL) against \
         a dead etcd failed in at most {dead:.2?} (two dead members: {dead2:.2?}); against a \
         silent etcd with --datastore-timeout 2 in at most {silent:.2?} (calico-ipam: default \
         10 s timeout), each with a message naming the endpoints and a non-zero exit"
    ));
}

#[test]
fn unreachable_slow_etcd_times_out_and_writes_nothing_by_halves() {
    let etcd = EtcdServer::start();
    let proxy = Proxy::start(&etcd.endpoint());
    let dir = TestDir::new("calico-slow");
    let direct: Store = Arc::new(etcd.store());
    let client = Client::new(direct.clone());
    let mut pool = IpPool::new("slow-pool", "10.90.0.0/24");
    pool.spec.block_size = 28;
    client.create(pool).unwrap();
    client.create(Node::new("node-slow")).unwrap();
    let ctl = |timeout: &str, args: &[&str]| {
        let mut c = calicoctl();
        c.env("DATASTORE_TYPE", "etcdv3")
            .env("ETCD_ENDPOINTS", proxy.endpoint())
            .args(["--allow-version-mismatch", "--datastore-timeout", timeout])
            .args(args);
        timed(c, b"")
    };

    // Slow, but each request within the timeout: works.
    proxy.set(DELAY_AFTER, Duration::from_millis(150), 1);
    let (o, slow_ok) = ctl("5", &["get", "ippools"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("slow-pool"));
    // Slower than the timeout: fails within it, clearly.
    proxy.set(DELAY_AFTER, Duration::from_secs(3), 1);
    let (o, took) = ctl("1", &["get", "ippools"]);
    let t = text(&o);
    assert!(
        !o.status.success() && took <= Duration::from_secs(1) + SLACK,
        "{took:?}: {t}"
    );
    assert!(
        t.contains(&proxy.endpoint()) && t.contains("context deadline exceeded"),
        "{t}"
    );
    proxy.set(PASS, Duration::ZERO, 1);
    proxy.wait_idle(Duration::from_secs(10));

    // Assignments whose requests are held up at different points, for longer than
    // calico-ipam's timeout: the held requests reach etcd after the plugin gave up. Whatever
    // lands is whole: blocks and handles agree, and every address is accounted for.
    let adds = 12;
    proxy.set(
        DELAY_AFTER,
        calico::datastore::etcd::DEFAULT_REQUEST_TIMEOUT + Duration::from_secs(1),
        27,
    );
    let conf = netconf(
        serde_json::json!({"datastore_type": "etcdv3", "etcd_endpoints": proxy.endpoint()}),
        &dir.path().join("ipam.lock"),
    );
    let results: Vec<(String, Output, Duration)> = std::thread::scope(|s| {
        (0..adds)
            .map(|i| {
                let conf = conf.clone();
                s.spawn(move || {
                    // Distinct lock files: the plugins run side by side, as on several hosts.
                    let container = format!("slow{i:02}");
                    let mut c: serde_json::Value = serde_json::from_slice(&conf).unwrap();
                    c["ipam_lock_file"] =
                        format!("{}.{i}", c["ipam_lock_file"].as_str().unwrap()).into();
                    let (o, took) = timed(cni("ADD", &container), &serde_json::to_vec(&c).unwrap());
                    (container, o, took)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    });
    proxy.set(PASS, Duration::ZERO, 1);
    proxy.wait_idle(Duration::from_secs(30));
    let limit = calico::datastore::etcd::DEFAULT_REQUEST_TIMEOUT + SLACK;
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for (container, o, took) in &results {
        assert!(*took <= limit, "{container}: {took:?}: {}", text(o));
        if o.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            ok.push((
                container.clone(),
                v["ips"][0]["address"].as_str().unwrap().to_string(),
            ));
        } else {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout)
                .unwrap_or_else(|_| panic!("not a CNI error: {}", text(o)));
            assert!(
                v["msg"].as_str().unwrap().contains(&proxy.endpoint()),
                "{v}"
            );
            failed.push(container.clone());
        }
    }
    let a = audit(direct.as_ref());
    if std::env::var_os("CALICO_PROXY_DEBUG").is_some() {
        for (c, o, took) in &results {
            eprintln!("{c} {took:?} {}", text(o));
        }
        eprintln!("handles {:?}", a.handles.keys().collect::<Vec<_>>());
    }
    assert!(a.problems.is_empty(), "half-written: {:#?}", a.problems);
    let weps = client.list::<WorkloadEndpoint>(None).unwrap().items;
    for (container, address) in &ok {
        let ip = address.split('/').next().unwrap().parse().unwrap();
        assert_eq!(
            a.allocated.get(&ip).and_then(|x| x.0.clone()),
            Some(format!("slow-net.{container}")),
            "an acknowledged address is not held"
        );
        assert!(weps.iter().any(|w| w.spec.container_id == *container));
    }
    let late = failed
        .iter()
        .filter(|c| a.handles.contains_key(&format!("slow-net.{c}")))
        .count();
    // Kubelet retries DEL for the failed ADDs: afterwards only the acknowledged ones hold.
    for c in &failed {
        let (o, _) = timed(
            cni("DEL", c),
            &netconf(
                serde_json::json!({"datastore_type": "etcdv3", "etcd_endpoints": etcd.endpoint()}),
                &dir.path().join("ipam.lock"),
            ),
        );
        assert!(o.status.success(), "{}", text(&o));
    }
    let a = audit(direct.as_ref());
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    assert_eq!(a.allocated.len(), ok.len(), "{:?}", a.allocated);
    figure(&format!(
        "slow etcd: 150 ms per request: calicoctl get ok in {slow_ok:.2?}; 3 s per request with \
         --datastore-timeout 1: failed in {took:.2?}; {adds} calico-ipam ADDs held up beyond \
         their 10 s timeout at different points: {} succeeded, {} failed (of which {late} \
         held an address afterwards: assignment committed, then the endpoint write or the \
         answer held up; all whole, released by the DEL kubelet sends); blocks and handles \
         agree",
        ok.len(),
        failed.len()
    ));
}

#[test]
fn unreachable_locked_embedded_store_is_a_clear_busy_error() {
    let dir = TestDir::new("calico-locked");
    let db = dir.path().join("datastore.db");
    let env = |c: &mut Command| {
        c.env("DATASTORE_TYPE", "embedded")
            .env("CALICO_DATASTORE_PATH", &db);
    };
    let pool = |name: &str, cidr: &str| {
        let f = dir.path().join(format!("{name}.yaml"));
        std::fs::write(
            &f,
            format!(
                "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {name}\nspec:\n  cidr: {cidr}\n"
            ),
        )
        .unwrap();
        f
    };
    let p1 = pool("p1", "10.91.0.0/24");
    let p2 = pool("p2", "10.92.0.0/24");
    let mut c = calicoctl();
    env(&mut c);
    let o = c
        .args(["create", "-f", p1.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let node = dir.path().join("node.yaml");
    std::fs::write(
        &node,
        "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node-slow\n",
    )
    .unwrap();
    let mut c = calicoctl();
    env(&mut c);
    assert!(
        c.args(["create", "-f", node.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );

    let lock = SqliteWriteLock::acquire(&db);
    let locked_at = Instant::now();
    let busy = calico::datastore::embedded::BUSY_TIMEOUT;
    // Readers do not wait for the writer (WAL).
    let mut c = calicoctl();
    env(&mut c);
    let (o, read_took) = timed(
        {
            c.args(["get", "ippools"]);
            c
        },
        b"",
    );
    assert!(
        o.status.success(),
        "a read waited for the writer: {}",
        text(&o)
    );
    assert!(read_took < Duration::from_secs(2), "{read_took:?}");
    // Writers fail within the busy timeout, clearly, and write nothing.
    let conf = netconf(
        serde_json::json!({"datastore_type": "embedded", "datastore_path": db}),
        &dir.path().join("ipam.lock"),
    );
    let (create, add) = std::thread::scope(|s| {
        let create = s.spawn(|| {
            let mut c = calicoctl();
            env(&mut c);
            c.args(["create", "-f", p2.to_str().unwrap()]);
            timed(c, b"")
        });
        let add = s.spawn(|| timed(cni("ADD", "locked1"), &conf));
        (create.join().unwrap(), add.join().unwrap())
    });
    drop(lock);
    let held = locked_at.elapsed();
    for (label, (o, took)) in [("calicoctl create", &create), ("calico-ipam ADD", &add)] {
        let t = text(o);
        assert!(
            !o.status.success(),
            "{label} succeeded while the store was locked: {t}"
        );
        assert!(*took <= busy + SLACK, "{label} took {took:?}: {t}");
        assert!(
            t.contains(&db.display().to_string()),
            "{label}: no path: {t}"
        );
        assert!(t.contains("locked"), "{label}: {t}");
    }
    // Nothing was written, and the store is sound; once free, the same commands work.
    let store = calico::datastore::embedded::EmbeddedStore::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let store: Store = Arc::new(store);
    let c = Client::new(store.clone());
    assert!(c.get_opt::<IpPool>(None, "p2").unwrap().is_none());
    assert!(audit(store.as_ref()).allocated.is_empty());
    let mut cmd = calicoctl();
    env(&mut cmd);
    let o = cmd
        .args(["create", "-f", p2.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    figure(&format!(
        "embedded store write-locked by another process for {held:.2?}: calicoctl get answered \
         in {read_took:.2?}; calicoctl create failed in {:.2?}, calico-ipam ADD in {:.2?} \
         (busy timeout {busy:?}), naming the file; nothing written; integrity ok",
        create.1, add.1
    ));
}

/// Lines a child writes on stderr, with the time each arrived.
fn collect_lines(child: &mut std::process::Child) -> Arc<Mutex<Vec<(Instant, String)>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().unwrap();
    let l = lines.clone();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            l.lock().unwrap().push((Instant::now(), line));
        }
    });
    lines
}

fn wait_line(
    lines: &Mutex<Vec<(Instant, String)>>,
    after: Instant,
    needle: &str,
    limit: Duration,
) -> Instant {
    let deadline = Instant::now() + limit;
    loop {
        if let Some((t, _)) = lines
            .lock()
            .unwrap()
            .iter()
            .find(|(t, l)| *t >= after && l.contains(needle))
        {
            return *t;
        }
        assert!(
            Instant::now() < deadline,
            "no log line with {needle:?} within {limit:?}:\n{}",
            lines
                .lock()
                .unwrap()
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn unreachable_agent_backs_off_and_recovers() {
    use crate::netns::{Netns, require_root};
    require_root("calico-node against a failing etcd");
    let ns = Netns::new("agent_etcd", "node");
    let mut cluster = EtcdCluster::start(1);
    let endpoint = cluster.endpoint(0);
    // etcd is down when the agent starts.
    cluster.kill_member(0);
    let mut child = calico_node()
        .env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", &endpoint)
        .args(["--nodename", "node-r", "--netns", ns.name()])
        .args(["--datastore-timeout", "2", "--poll-interval", "500ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = collect_lines(&mut child);
    let begin = Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for d in ["500 ms", "1000 ms", "2000 ms"] {
            wait_line(
                &lines,
                begin,
                &format!("retrying in {d}"),
                Duration::from_secs(30),
            );
        }
        let first = lines
            .lock()
            .unwrap()
            .iter()
            .find(|(_, l)| l.contains("retrying in"))
            .cloned();
        let first = first.unwrap().1;
        assert!(
            first.contains("start-up failed") && first.contains(&endpoint),
            "{first}"
        );
        // etcd returns: the agent registers its node and applies its (empty) NAT.
        cluster.restart_member(0);
        let back = Instant::now();
        let registered = wait_line(
            &lines,
            back,
            "registered node node-r",
            Duration::from_secs(60),
        );
        let startup_recovery = registered - back;
        let store = EtcdStore::connect(&cluster.member_config(0)).unwrap();
        let client = Client::new(Arc::new(store));
        wait_for_table(ns.name(), "chain fip-dnat", Duration::from_secs(10));

        // etcd dies while the agent runs: reconcile fails and backs off. The time is taken
        // before the kill, which returns only once etcd is gone: on a loaded machine the
        // agent's first failure can be logged before it returns.
        let killed = Instant::now();
        cluster.kill_member(0);
        for d in ["500 ms", "1000 ms", "2000 ms"] {
            wait_line(
                &lines,
                killed,
                &format!("retrying in {d}"),
                Duration::from_secs(45),
            );
        }
        let failing = lines
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, l)| *t >= killed && l.contains("reconcile failed"))
            .count();
        assert!(failing >= 3);
        cluster.restart_member(0);
        let back = Instant::now();
        // A floating IP created now shows up in the node's NAT: the agent is reconciling.
        let store = EtcdStore::connect(&cluster.member_config(0)).unwrap();
        let client2 = Client::new(Arc::new(store));
        drop(client);
        let mut w = WorkloadEndpoint::default();
        w.metadata.name = "node--r-k8s-pod1-eth0".into();
        w.metadata.namespace = "default".into();
        w.set_type_meta();
        w.spec.orchestrator = "k8s".into();
        w.spec.node = "node-r".into();
        w.spec.pod = "pod1".into();
        w.spec.endpoint = "eth0".into();
        w.spec.ip_networks = vec!["10.65.0.5/32".into()];
        w.spec.ip_nats = vec![calico::model::workloadendpoint::IpNat {
            internal_ip: "10.65.0.5".into(),
            external_ip: "10.0.0.1".into(),
        }];
        client2.create(w).unwrap();
        // Felix's default leaves floating IPs off; this node's agent programs them once on.
        client2
            .create(calico::model::FelixConfiguration::with_floating_ips(
                "default", "Enabled",
            ))
            .unwrap();
        wait_for_table(
            ns.name(),
            "ip daddr 10.0.0.1 dnat ip to 10.65.0.5",
            Duration::from_secs(30),
        );
        let loop_recovery = back.elapsed();
        (startup_recovery, failing, loop_recovery)
    }));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = super::wait_timeout(&mut child, Duration::from_secs(5));
    let (startup_recovery, failing, loop_recovery) = match result {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "calico-node did not stop cleanly"
    );
    figure(&format!(
        "agent: etcd down at start: start-up retried at 0.5 s, 1 s, 2 s, ...; registered \
         {startup_recovery:.2?} after etcd returned; etcd killed under the running agent: \
         {failing} failed reconciles with back-off, then the first new floating IP was applied \
         {loop_recovery:.2?} after etcd returned"
    ));
}

fn wait_for_table(ns: &str, needle: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let table = calico::node::nat::list_table(Some(ns)).unwrap();
        if table.as_deref().is_some_and(|t| t.contains(needle)) {
            return;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in {table:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn unreachable_agent_with_authentication_waits_for_etcd() {
    // With a username, connecting authenticates at once: an etcd that is down when the agent
    // starts must be waited for, not end the agent.
    const ROOT_PW: &str = "Agent-r00t-9d2c";
    let mut cluster = EtcdCluster::start(1);
    cluster.enable_auth(ROOT_PW);
    let endpoint = cluster.endpoint(0);
    cluster.kill_member(0);
    let mut child = calico_node()
        .env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", &endpoint)
        .env("ETCD_USERNAME", "root")
        .env("ETCD_PASSWORD", ROOT_PW)
        .args(["--nodename", "node-auth", "--dry-run"])
        .args(["--datastore-timeout", "2", "--poll-interval", "500ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = collect_lines(&mut child);
    let begin = Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for d in ["500 ms", "1000 ms"] {
            wait_line(
                &lines,
                begin,
                &format!("retrying in {d}"),
                Duration::from_secs(30),
            );
        }
        cluster.restart_member(0);
        let back = Instant::now();
        let up = wait_line(
            &lines,
            back,
            "dry run: node node-auth",
            Duration::from_secs(60),
        );
        up - back
    }));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = super::wait_timeout(&mut child, Duration::from_secs(5));
    let mut stdout = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut stdout);
    }
    let recovered = match result {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "calico-node did not stop cleanly"
    );
    assert!(
        stdout.contains("table inet calico-fip"),
        "no NAT script printed: {stdout}"
    );
    let log: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    let log = log.join("\n");
    assert!(
        log.contains("cannot connect to the datastore") && log.contains(&endpoint),
        "{log}"
    );
    assert!(
        !log.contains(ROOT_PW) && !stdout.contains(ROOT_PW),
        "the password was logged"
    );
    figure(&format!(
        "agent with etcd authentication, etcd down at start: connection retried with back-off \
         (0.5 s, 1 s, ...), running {recovered:.2?} after etcd returned; password never logged"
    ));
}
