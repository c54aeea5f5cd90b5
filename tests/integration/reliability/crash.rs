//! Crashes: real `calico-ipam` ADD/DEL and `calicoctl ipam release --ip` processes, each its
//! own process, for random pods on random nodes, a random share of them killed with SIGKILL at
//! a random moment, on etcd and on the embedded store. Afterwards:
//!
//! - no address is held twice: no acknowledged ADD got an address another live pod had been
//!   given, every block is sound (an ordinal is allocated or free, never both, never twice),
//!   blocks do not overlap, and handles agree exactly with the blocks (each change is one
//!   transaction, so there are no partial writes to over-count);
//! - nothing is lost: every acknowledged pod still holds its addresses and endpoint;
//! - a pod's addresses (both families for the third of the pods that are dual-stack) are
//!   assigned in one transaction that also writes its endpoint: whenever an ADD is killed,
//!   the pod holds all its addresses and an endpoint listing them, or neither;
//! - before the chaos, an unkilled ADD and its DEL move the store's revision by one each,
//!   single- and dual-stack (the pod's addresses and endpoint are one transaction);
//! - the embedded store passes SQLite's `PRAGMA integrity_check`;
//! - a killed DEL leaves both its endpoint and its addresses, or neither; the only leaks are
//!   those of pods whose endpoint an operator deleted by hand (`calicoctl delete
//!   workloadendpoint`, itself sometimes killed); each is reported by `ipam check`, and
//!   `ipam release --from-report` frees exactly those (also after a first release run was
//!   itself killed half-way); a second check finds no problem, and deleting every pod leaves
//!   the pool empty.
//!
//! The kill delay is drawn from [0.3, 1.3] × the median duration of recent unkilled processes
//! (measured under the test's own load), so kills land during start-up, during the datastore
//! writes (which come last) and after; the figures say how many killed ADDs had committed
//! their assignment.

use super::{audit, calico_ipam, calicoctl, figure, knob, text};
use calico::datastore::Store;
use calico::datastore::api::Client;
use calico::datastore::embedded::EmbeddedStore;
use calico::datastore::etcd::EtcdStore;
use calico::ipam::random::SplitMix64;
use calico::model::WorkloadEndpoint;
use calico::testing::{EtcdServer, TestDir};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NETWORK: &str = "crash-net";
const NODES: usize = 4;
const WORKERS: usize = 4;
const POOL: &str = "10.70.0.0/22";
const POOL6: &str = "fd00:70::/118";

enum Backend {
    Etcd(Box<EtcdServer>),
    Embedded(PathBuf),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Etcd(_) => "etcd",
            Backend::Embedded(_) => "embedded",
        }
    }

    fn env(&self, c: &mut Command) {
        match self {
            Backend::Etcd(e) => {
                c.env("DATASTORE_TYPE", "etcdv3")
                    .env("ETCD_ENDPOINTS", e.endpoint());
            }
            Backend::Embedded(p) => {
                c.env("DATASTORE_TYPE", "embedded")
                    .env("CALICO_DATASTORE_PATH", p);
            }
        }
    }

    fn netconf(&self, node: &str, lock: &std::path::Path, dual: bool) -> serde_json::Value {
        let mut v = serde_json::json!({
            "cniVersion": "1.0.0",
            "name": NETWORK,
            "type": "calico",
            "nodename": node,
            "ipam_lock_file": lock,
            "ipam": {"type": "calico-ipam", "assign_ipv6": if dual { "true" } else { "false" }},
        });
        match self {
            Backend::Etcd(e) => {
                v["datastore_type"] = "etcdv3".into();
                v["etcd_endpoints"] = e.endpoint().into();
            }
            Backend::Embedded(p) => {
                v["datastore_type"] = "embedded".into();
                v["datastore_path"] = p.display().to_string().into();
            }
        }
        v
    }

    fn store(&self) -> Store {
        match self {
            Backend::Etcd(e) => Arc::new(EtcdStore::connect(&e.config()).expect("connect")),
            Backend::Embedded(p) => Arc::new(EmbeddedStore::open(p).expect("open")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// An ADD is running.
    Adding,
    /// ADD acknowledged with this address.
    Live(IpAddr),
    /// ADD killed: may hold an address, may have an endpoint.
    AddKilled,
    /// ADD failed with an error (not killed): must hold nothing.
    AddFailed,
    /// A DEL is running.
    Deleting,
    /// DEL killed: kubelet would retry it.
    DelKilled,
    /// Its address was released by `calicoctl ipam release --ip` (an operator's act): the
    /// pod no longer owns it; it is deleted at the end.
    Released,
    /// A `release --ip` is running on its address.
    Releasing,
    /// An operator deleted its endpoint by hand (`calicoctl delete workloadendpoint`), maybe
    /// killed: its addresses are leaked until a release from a report, or its DEL.
    Orphaned,
    /// DEL succeeded.
    Gone,
}

struct Pod {
    node: usize,
    container: String,
    name: String,
    /// Asks for an IPv6 address besides the IPv4 one.
    dual: bool,
    /// The IPv6 address its ADD was acknowledged with (dual-stack pods).
    v6: Option<IpAddr>,
    phase: Phase,
}

#[derive(Default)]
struct Counters {
    started: usize,
    killed_add: usize,
    killed_del: usize,
    killed_release: usize,
    killed_orphan: usize,
    orphaned: usize,
    add_ok: usize,
    del_ok: usize,
    release_ok: usize,
    errors: Vec<String>,
    duplicates: Vec<String>,
}

struct World {
    pods: Vec<Pod>,
    /// Address → pod that was acknowledged with it and has not started giving it up.
    claims: HashMap<IpAddr, usize>,
    counters: Counters,
}

impl World {
    /// Pod `i` starts giving up its addresses.
    fn unclaim(&mut self, i: usize) {
        if let Phase::Live(ip) = self.pods[i].phase {
            self.claims.remove(&ip);
        }
        if let Some(ip) = self.pods[i].v6 {
            self.claims.remove(&ip);
        }
    }
}

struct Scenario {
    backend: Backend,
    dir: TestDir,
    kill_percent: u64,
    /// Calibration: how long an unkilled process takes on an idle machine.
    kill_window: Duration,
    /// How long the last unkilled processes of each kind took, under the test's own load.
    recent: Mutex<HashMap<&'static str, std::collections::VecDeque<Duration>>>,
}

enum Outcome {
    Ok(Vec<u8>),
    Failed(String),
    Killed,
}

impl Scenario {
    fn lock_file(&self, node: usize) -> PathBuf {
        self.dir.path().join(format!("node-{node}.lock"))
    }

    /// A kill delay: uniform in [0.3, 1.3] x the median duration of recent unkilled
    /// processes, so that kills land from start-up through the datastore writes (which come
    /// last) to just after the exit.
    fn kill_delay(&self, kind: &'static str, rng: &mut SplitMix64) -> Duration {
        let us = self.median_recent(kind).as_micros() as u64;
        Duration::from_micros(us * 3 / 10 + rng.next_u64() % (us + 1))
    }

    fn median_recent(&self, kind: &'static str) -> Duration {
        let recent = self.recent.lock().unwrap();
        let mut v: Vec<Duration> = recent
            .get(kind)
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default();
        v.sort();
        v.get(v.len() / 2).copied().unwrap_or(self.kill_window)
    }

    /// Spawns `c` (a process of `kind`), feeds it `stdin`, and kills it after `kill_after`
    /// when given.
    fn run(
        &self,
        kind: &'static str,
        mut c: Command,
        stdin: &[u8],
        kill_after: Option<Duration>,
    ) -> Outcome {
        let started = Instant::now();
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn");
        {
            let mut s = child.stdin.take().expect("stdin");
            let _ = s.write_all(stdin);
        }
        if let Some(d) = kill_after {
            std::thread::sleep(d);
            // SIGKILL (a no-op when it has exited already; then it was not killed).
            let _ = child.kill();
        }
        let out = child.wait_with_output().expect("wait");
        if out.status.signal() == Some(9) {
            return Outcome::Killed;
        }
        if kill_after.is_none() {
            let mut recent = self.recent.lock().unwrap();
            let recent = recent.entry(kind).or_default();
            recent.push_back(started.elapsed());
            if recent.len() > 64 {
                recent.pop_front();
            }
        }
        assert!(
            out.status.code().is_some(),
            "died of an unexpected signal: {:?}\n{}",
            out.status,
            text(&out)
        );
        if out.status.success() {
            Outcome::Ok(out.stdout)
        } else {
            Outcome::Failed(text(&out))
        }
    }

    fn cni(&self, command: &str, pod: &Pod) -> Command {
        let mut c = calico_ipam();
        c.env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", &pod.container)
            .env("CNI_NETNS", "/var/run/netns/none")
            .env("CNI_IFNAME", "eth0")
            .env(
                "CNI_ARGS",
                format!("K8S_POD_NAMESPACE=crash;K8S_POD_NAME={}", pod.name),
            )
            .env("CNI_PATH", "/nonexistent");
        c
    }

    fn netconf(&self, pod: &Pod) -> Vec<u8> {
        serde_json::to_vec(&self.backend.netconf(
            &format!("node-{}", pod.node),
            &self.lock_file(pod.node),
            pod.dual,
        ))
        .unwrap()
    }

    fn calicoctl(&self, args: &[&str]) -> Command {
        let mut c = calicoctl();
        self.backend.env(&mut c);
        c.args(args);
        c
    }

    fn ctl_ok(&self, args: &[&str]) -> String {
        let out = self.calicoctl(args).output().expect("run calicoctl");
        assert!(
            out.status.success(),
            "calicoctl {} failed: {}",
            args.join(" "),
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// The addresses of a CNI result, in order (IPv4 first).
fn result_ips(stdout: &[u8]) -> Vec<IpAddr> {
    let v: serde_json::Value = serde_json::from_slice(stdout).expect("CNI result JSON");
    let ips = v["ips"]
        .as_array()
        .unwrap_or_else(|| panic!("no addresses in {v}"));
    ips.iter()
        .map(|ip| {
            let addr = ip["address"]
                .as_str()
                .unwrap_or_else(|| panic!("no address in {v}"));
            addr.split('/').next().unwrap().parse().expect("an address")
        })
        .collect()
}

/// A CNI failure must be a CNI error object on stdout.
fn assert_cni_error(output: &str) {
    let first = output.lines().next().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(first)
        .unwrap_or_else(|e| panic!("a failed ADD/DEL printed no CNI error object ({e}): {output}"));
    assert!(
        v["code"].as_u64().is_some() && v["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{output}"
    );
}

/// One worker: picks an action under the lock, runs its process outside it.
fn worker(s: &Scenario, world: &Mutex<World>, budget: &Mutex<u64>, seed: u64) {
    let mut rng = SplitMix64::new(seed);
    loop {
        {
            let mut b = budget.lock().unwrap();
            if *b == 0 {
                return;
            }
            *b -= 1;
        }
        let kill = (rng.next_u64() % 100) < s.kill_percent;
        let roll = rng.next_u64() % 100;
        // Choose an action and a pod.
        enum Action {
            Add(usize),
            Del(usize),
            Release(usize, IpAddr),
            Orphan(usize),
        }
        let action = {
            let mut w = world.lock().unwrap();
            w.counters.started += 1;
            let live: Vec<usize> = (0..w.pods.len())
                .filter(|&i| matches!(w.pods[i].phase, Phase::Live(_)))
                .collect();
            let retry_del: Vec<usize> = (0..w.pods.len())
                .filter(|&i| w.pods[i].phase == Phase::DelKilled)
                .collect();
            if live.len() < 6 || roll < 50 {
                let i = w.pods.len();
                w.pods.push(Pod {
                    node: (rng.next_u64() % NODES as u64) as usize,
                    container: format!("{:016x}", rng.next_u64()),
                    name: format!("pod-{i}"),
                    dual: rng.next_u64().is_multiple_of(3),
                    v6: None,
                    phase: Phase::Adding,
                });
                Action::Add(i)
            } else if roll < 60 && !retry_del.is_empty() {
                let i = retry_del[(rng.next_u64() % retry_del.len() as u64) as usize];
                w.pods[i].phase = Phase::Deleting;
                Action::Del(i)
            } else if roll < 84 {
                let i = live[(rng.next_u64() % live.len() as u64) as usize];
                w.unclaim(i);
                w.pods[i].phase = Phase::Deleting;
                Action::Del(i)
            } else if roll < 89 {
                // Its addresses stay claimed: IPAM holds them until they are released.
                let i = live[(rng.next_u64() % live.len() as u64) as usize];
                w.pods[i].phase = Phase::Orphaned;
                Action::Orphan(i)
            } else {
                let i = live[(rng.next_u64() % live.len() as u64) as usize];
                let Phase::Live(ip) = w.pods[i].phase else {
                    unreachable!()
                };
                w.unclaim(i);
                w.pods[i].phase = Phase::Releasing;
                Action::Release(i, ip)
            }
        };
        match action {
            Action::Add(i) => {
                let kill_after = kill.then(|| s.kill_delay("ADD", &mut rng));
                let (cmd, stdin) = {
                    let w = world.lock().unwrap();
                    (s.cni("ADD", &w.pods[i]), s.netconf(&w.pods[i]))
                };
                let outcome = s.run("ADD", cmd, &stdin, kill_after);
                let mut w = world.lock().unwrap();
                match outcome {
                    Outcome::Ok(out) => {
                        let ips = result_ips(&out);
                        w.counters.add_ok += 1;
                        let families: Vec<bool> = ips.iter().map(IpAddr::is_ipv4).collect();
                        let want = if w.pods[i].dual {
                            vec![true, false]
                        } else {
                            vec![true]
                        };
                        assert_eq!(families, want, "{}: ADD result {ips:?}", w.pods[i].name);
                        for ip in &ips {
                            if let Some(other) = w.claims.get(ip).copied() {
                                let msg = format!(
                                    "{ip} given to {} while {} still held it",
                                    w.pods[i].name, w.pods[other].name
                                );
                                w.counters.duplicates.push(msg);
                            }
                            w.claims.insert(*ip, i);
                        }
                        w.pods[i].v6 = ips.get(1).copied();
                        w.pods[i].phase = Phase::Live(ips[0]);
                    }
                    Outcome::Failed(e) => {
                        assert_cni_error(&e);
                        w.counters.errors.push(format!("ADD: {e}"));
                        w.pods[i].phase = Phase::AddFailed;
                    }
                    Outcome::Killed => {
                        w.counters.killed_add += 1;
                        w.pods[i].phase = Phase::AddKilled;
                    }
                }
            }
            Action::Del(i) => {
                let kill_after = kill.then(|| s.kill_delay("DEL", &mut rng));
                let (cmd, stdin) = {
                    let w = world.lock().unwrap();
                    (s.cni("DEL", &w.pods[i]), s.netconf(&w.pods[i]))
                };
                let outcome = s.run("DEL", cmd, &stdin, kill_after);
                let mut w = world.lock().unwrap();
                match outcome {
                    Outcome::Ok(_) => {
                        w.counters.del_ok += 1;
                        w.pods[i].phase = Phase::Gone;
                    }
                    Outcome::Failed(e) => {
                        assert_cni_error(&e);
                        w.counters.errors.push(format!("DEL: {e}"));
                        w.pods[i].phase = Phase::DelKilled;
                    }
                    Outcome::Killed => {
                        w.counters.killed_del += 1;
                        w.pods[i].phase = Phase::DelKilled;
                    }
                }
            }
            Action::Release(i, ip) => {
                let kill_after = kill.then(|| s.kill_delay("release", &mut rng));
                // The pod's endpoint may still list it: an operator forcing the release.
                let cmd = s.calicoctl(&["ipam", "release", "--ip", &ip.to_string(), "--force"]);
                let outcome = s.run("release", cmd, b"", kill_after);
                let mut w = world.lock().unwrap();
                match outcome {
                    Outcome::Ok(out) => {
                        let out = String::from_utf8_lossy(&out).into_owned();
                        assert!(
                            out.ends_with(&format!("Successfully released IP address {ip}\n")),
                            "{out}"
                        );
                        w.counters.release_ok += 1;
                    }
                    Outcome::Failed(e) => w.counters.errors.push(format!("release --ip {ip}: {e}")),
                    Outcome::Killed => w.counters.killed_release += 1,
                }
                w.pods[i].phase = Phase::Released;
            }
            Action::Orphan(i) => {
                let kill_after = kill.then(|| s.kill_delay("orphan", &mut rng));
                let name = {
                    let w = world.lock().unwrap();
                    let p = &w.pods[i];
                    format!("node--{}-k8s-{}-eth0", p.node, p.name.replace('-', "--"))
                };
                let cmd = s.calicoctl(&["delete", "workloadendpoint", "-n", "crash", &name]);
                let outcome = s.run("orphan", cmd, b"", kill_after);
                let mut w = world.lock().unwrap();
                match outcome {
                    Outcome::Ok(out) => {
                        let out = String::from_utf8_lossy(&out).into_owned();
                        assert_eq!(
                            out,
                            "Successfully deleted 1 'WorkloadEndpoint' resource(s)\n"
                        );
                        w.counters.orphaned += 1;
                    }
                    Outcome::Failed(e) => w.counters.errors.push(format!("orphan {name}: {e}")),
                    Outcome::Killed => w.counters.killed_orphan += 1,
                }
            }
        }
    }
}

fn leaked_in_report(path: &std::path::Path) -> BTreeSet<IpAddr> {
    let text = std::fs::read_to_string(path).expect("read report");
    let report: calico::ipam::check::Report = serde_json::from_str(&text).expect("parse report");
    report
        .allocations
        .iter()
        .filter(|(_, allocs)| allocs.iter().any(|a| !a.in_use))
        .map(|(ip, _)| ip.parse().unwrap())
        .collect()
}

fn endpoints(store: &Store) -> Vec<WorkloadEndpoint> {
    Client::new(store.clone())
        .list::<WorkloadEndpoint>(None)
        .expect("list endpoints")
        .items
}

fn in_use<'w>(weps: impl IntoIterator<Item = &'w WorkloadEndpoint>) -> BTreeSet<IpAddr> {
    weps.into_iter()
        .flat_map(|w| w.spec.ip_networks.iter())
        .map(|n| n.split('/').next().unwrap().parse().unwrap())
        .collect()
}

fn crash_scenario(backend: Backend) {
    let name = backend.name();
    let dir = TestDir::new("calico-crash");
    let ops = knob("CALICO_CRASH_OPS", 300);
    let rounds = knob("CALICO_CRASH_ROUNDS", 2);
    let kill_percent = knob("CALICO_CRASH_KILL_PERCENT", 35);
    let seed = knob("CALICO_CRASH_SEED", 0);
    let seed = if seed == 0 {
        SplitMix64::from_entropy().next_u64()
    } else {
        seed
    };
    let mut s = Scenario {
        backend,
        dir,
        kill_percent,
        kill_window: Duration::ZERO,
        recent: Mutex::new(Default::default()),
    };
    let setup = s.dir.path().join("setup.yaml");
    let mut yaml = format!(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: crash-pool\nspec:\n  cidr: {POOL}\n  blockSize: 28\n  ipipMode: Never\n  vxlanMode: Never\n\
         ---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: crash-pool-v6\nspec:\n  cidr: {POOL6}\n  blockSize: 124\n"
    );
    for n in 0..NODES {
        yaml.push_str(&format!(
            "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node-{n}\n"
        ));
    }
    std::fs::write(&setup, yaml).unwrap();
    s.ctl_ok(&["create", "-f", setup.to_str().unwrap()]);
    let store = s.backend.store();

    // Calibrate: how long an unkilled ADD takes here, now.
    let mut took = Vec::new();
    for k in 0..4 {
        let pod = Pod {
            node: k % NODES,
            container: format!("calibrate{k}"),
            name: format!("calibrate-{k}"),
            dual: k % 2 == 1,
            v6: None,
            phase: Phase::Adding,
        };
        let t = Instant::now();
        match s.run("ADD", s.cni("ADD", &pod), &s.netconf(&pod), None) {
            Outcome::Ok(_) => {}
            Outcome::Failed(e) => panic!("calibration ADD failed: {e}"),
            Outcome::Killed => unreachable!(),
        }
        took.push(t.elapsed());
        match s.run("DEL", s.cni("DEL", &pod), &s.netconf(&pod), None) {
            Outcome::Ok(_) => {}
            Outcome::Failed(e) => panic!("calibration DEL failed: {e}"),
            Outcome::Killed => unreachable!(),
        }
    }
    took.sort();
    let median = took[took.len() / 2];
    s.kill_window = median;

    // What an ADD and a DEL cost the store, unkilled: one transaction each (addresses of
    // both families and the endpoint together), by the store's revision.
    for dual in [false, true] {
        let pod = Pod {
            node: 1,
            container: format!("txns{}", u8::from(dual)),
            name: format!("txns-{}", u8::from(dual)),
            dual,
            v6: None,
            phase: Phase::Adding,
        };
        let mut moved = Vec::new();
        for command in ["ADD", "DEL"] {
            let before = store.revision().unwrap();
            match s.run(command, s.cni(command, &pod), &s.netconf(&pod), None) {
                Outcome::Ok(_) => {}
                Outcome::Failed(e) => panic!("{command} of {} failed: {e}", pod.name),
                Outcome::Killed => unreachable!(),
            }
            moved.push(store.revision().unwrap() - before);
        }
        assert_eq!(
            moved,
            [1, 1],
            "{name}: transactions of a {} ADD and its DEL",
            if dual { "dual-stack" } else { "single-stack" }
        );
    }

    let started = Instant::now();
    let mut totals = Counters::default();
    let (mut committed_killed, mut dual_killed, mut leaks_found, mut leaks_released) =
        (0usize, 0usize, 0usize, 0usize);
    let mut killed_from_report = 0;
    for round in 0..rounds {
        let world = Mutex::new(World {
            pods: Vec::new(),
            claims: HashMap::new(),
            counters: Counters::default(),
        });
        let budget = Mutex::new(ops);
        std::thread::scope(|sc| {
            for w in 0..WORKERS {
                let (s, world, budget) = (&s, &world, &budget);
                let seed = seed ^ ((round * WORKERS as u64 + w as u64 + 1) * 0x9E37_79B9);
                sc.spawn(move || worker(s, world, budget, seed));
            }
        });
        let mut world = world.into_inner().unwrap();
        let ctx = format!("{name} round {round} (seed {seed})");

        // 1. Invariants of the store, whatever was killed when.
        let a = audit(store.as_ref());
        assert!(a.problems.is_empty(), "{ctx}: {:#?}", a.problems);
        if let Backend::Embedded(p) = &s.backend {
            let check = EmbeddedStore::open(p).unwrap().integrity_check().unwrap();
            assert_eq!(check, "ok", "{ctx}: SQLite integrity check");
        }
        assert!(
            world.counters.duplicates.is_empty(),
            "{ctx}: duplicates: {:#?}",
            world.counters.duplicates
        );
        let handle_of = |p: &Pod| format!("{NETWORK}.{}", p.container);
        // 2. Nothing lost: acknowledged pods hold their address and their endpoint.
        let weps = endpoints(&store);
        let wep_of: BTreeMap<String, &WorkloadEndpoint> = weps
            .iter()
            .map(|w| (w.spec.container_id.clone(), w))
            .collect();
        let mut losses = Vec::new();
        for p in &world.pods {
            if let Phase::Live(ip) = p.phase {
                for ip in std::iter::once(ip).chain(p.v6) {
                    match a.allocated.get(&ip) {
                        Some((Some(h), _)) if *h == handle_of(p) => {}
                        other => losses.push(format!("{}: {ip} is now {other:?}", p.name)),
                    }
                }
                let mut networks = vec![format!("{ip}/32")];
                networks.extend(p.v6.map(|ip| format!("{ip}/128")));
                match wep_of.get(&p.container) {
                    Some(w) if w.spec.ip_networks == networks => {}
                    other => losses.push(format!(
                        "{}: endpoint {:?}",
                        p.name,
                        other.map(|w| &w.spec.ip_networks)
                    )),
                }
            }
            if p.phase == Phase::AddFailed {
                assert!(
                    !a.handles.contains_key(&handle_of(p)),
                    "{ctx}: a failed ADD left its handle behind: {}",
                    p.name
                );
            }
        }
        assert!(losses.is_empty(), "{ctx}: losses: {losses:#?}");
        // Killed ADDs and DELs: how far they got. A pod's addresses (both families of a
        // dual-stack pod) are assigned in one transaction that writes its endpoint, and
        // released in one that removes it: whenever an ADD or a DEL is killed, the pod holds
        // all its addresses and an endpoint listing them, or neither.
        for p in world
            .pods
            .iter()
            .filter(|p| matches!(p.phase, Phase::AddKilled | Phase::DelKilled))
        {
            let held: BTreeSet<IpAddr> = a
                .allocated
                .iter()
                .filter(|(_, (h, _))| h.as_deref() == Some(handle_of(p).as_str()))
                .map(|(ip, _)| *ip)
                .collect();
            let wep = wep_of.get(&p.container);
            let listed: BTreeSet<IpAddr> = in_use(wep.copied());
            assert!(
                held == listed
                    && (held.is_empty() || held.len() == 1 + usize::from(p.dual))
                    && (held.is_empty() || wep.is_some()),
                "{ctx}: killed {:?} of {} holds {held:?}, its endpoint lists {:?}",
                p.phase,
                p.name,
                wep.map(|w| &w.spec.ip_networks)
            );
            if p.phase == Phase::DelKilled {
                continue;
            }
            if !held.is_empty() {
                committed_killed += 1;
                dual_killed += usize::from(p.dual);
            }
        }

        // 3. Kubelet retries killed DELs; the operator's released pods are deleted too
        // (their endpoints list addresses that are free again). Orphaned pods stay until the
        // end: their addresses are the leaks to find.
        for i in 0..world.pods.len() {
            if matches!(world.pods[i].phase, Phase::DelKilled | Phase::Released) {
                let p = &world.pods[i];
                match s.run("DEL-retry", s.cni("DEL", p), &s.netconf(p), None) {
                    Outcome::Ok(_) => world.pods[i].phase = Phase::Gone,
                    Outcome::Failed(e) => panic!("{ctx}: DEL retry of {} failed: {e}", p.name),
                    Outcome::Killed => unreachable!(),
                }
            }
        }

        // 4. Every leak is an orphaned pod's: a killed ADD or DEL leaves none (the endpoint
        // is written and removed in the transactions that assign and release).
        let a = audit(store.as_ref());
        assert!(a.problems.is_empty(), "{ctx}: {:#?}", a.problems);
        let weps = endpoints(&store);
        let used = in_use(&weps);
        let allocated: BTreeSet<IpAddr> = a.allocated.keys().copied().collect();
        let leaked: BTreeSet<IpAddr> = allocated.difference(&used).copied().collect();
        let killed_handles: BTreeSet<String> = world
            .pods
            .iter()
            .filter(|p| p.phase == Phase::Orphaned)
            .map(handle_of)
            .collect();
        for ip in &leaked {
            let h = a.allocated[ip].0.clone().unwrap_or_default();
            assert!(
                killed_handles.contains(&h),
                "{ctx}: {ip} (handle {h}) leaked, but its pod's endpoint was not deleted by hand"
            );
        }
        assert!(
            used.is_subset(&allocated),
            "{ctx}: endpoints use unallocated addresses: {:?}",
            used.difference(&allocated).collect::<Vec<_>>()
        );

        // 5. ipam check reports exactly those.
        let r0 = s.dir.path().join(format!("report-{round}-0.json"));
        let out = s.ctl_ok(&["ipam", "check", "-o", r0.to_str().unwrap()]);
        assert!(
            out.contains(&format!(
                "Found {} IPs that are allocated in IPAM but not actually in use.",
                leaked.len()
            )),
            "{ctx}: {out}"
        );
        assert_eq!(leaked_in_report(&r0), leaked, "{ctx}: the report's leaks");
        leaks_found += leaked.len();

        // 6. A release run killed half-way, then the real one from a fresh report.
        if !leaked.is_empty() {
            // Anywhere in the time a release --ip takes (a release from a report of a few
            // addresses takes about as long).
            let median = s.median_recent("release").as_micros() as u64;
            let d = Duration::from_micros(SplitMix64::new(seed ^ round).next_u64() % (median + 1));
            let cmd = s.calicoctl(&[
                "ipam",
                "release",
                "--from-report",
                r0.to_str().unwrap(),
                "--force",
            ]);
            if let Outcome::Killed = s.run("from-report", cmd, b"", Some(d)) {
                killed_from_report += 1;
            }
            let a = audit(store.as_ref());
            assert!(
                a.problems.is_empty(),
                "{ctx}: after a killed release: {:#?}",
                a.problems
            );
        }
        let before = audit(store.as_ref());
        let r1 = s.dir.path().join(format!("report-{round}-1.json"));
        s.ctl_ok(&["ipam", "check", "-o", r1.to_str().unwrap()]);
        let to_free = leaked_in_report(&r1);
        assert!(to_free.is_subset(&leaked), "{ctx}: new leaks appeared");
        let out = s.ctl_ok(&[
            "ipam",
            "release",
            "--from-report",
            r1.to_str().unwrap(),
            "--force",
        ]);
        if !to_free.is_empty() {
            assert!(
                out.contains(&format!("Released {} IPs successfully", to_free.len())),
                "{ctx}: {out}"
            );
        }
        let after = audit(store.as_ref());
        assert!(after.problems.is_empty(), "{ctx}: {:#?}", after.problems);
        let freed: BTreeSet<IpAddr> = before
            .allocated
            .keys()
            .filter(|ip| !after.allocated.contains_key(ip))
            .copied()
            .collect();
        assert!(
            after
                .allocated
                .keys()
                .all(|ip| before.allocated.contains_key(ip)),
            "{ctx}: a release allocated something"
        );
        assert_eq!(
            freed, to_free,
            "{ctx}: released set differs from the report's leaks"
        );
        leaks_released += leaked.len();
        let out = s.ctl_ok(&["ipam", "check"]);
        assert!(
            out.contains("Check complete; found 0 problems."),
            "{ctx}: {out}"
        );

        // 7. Delete every pod: the pool is empty again, nothing leaked.
        for p in &world.pods {
            if p.phase != Phase::Gone && p.phase != Phase::AddFailed {
                match s.run("DEL-retry", s.cni("DEL", p), &s.netconf(p), None) {
                    Outcome::Ok(_) => {}
                    Outcome::Failed(e) => panic!("{ctx}: DEL of {} failed: {e}", p.name),
                    Outcome::Killed => unreachable!(),
                }
            }
        }
        let a = audit(store.as_ref());
        assert!(a.problems.is_empty(), "{ctx}: {:#?}", a.problems);
        assert!(
            a.allocated.is_empty(),
            "{ctx}: left allocated: {:?}",
            a.allocated
        );
        assert!(a.handles.is_empty(), "{ctx}: left handles: {:?}", a.handles);
        assert!(endpoints(&store).is_empty(), "{ctx}: endpoints left");

        let c = world.counters;
        totals.started += c.started;
        totals.killed_add += c.killed_add;
        totals.killed_del += c.killed_del;
        totals.killed_release += c.killed_release;
        totals.killed_orphan += c.killed_orphan;
        totals.orphaned += c.orphaned;
        totals.add_ok += c.add_ok;
        totals.del_ok += c.del_ok;
        totals.release_ok += c.release_ok;
        totals.errors.extend(c.errors);
    }
    if let Backend::Embedded(p) = &s.backend {
        assert_eq!(
            EmbeddedStore::open(p).unwrap().integrity_check().unwrap(),
            "ok"
        );
    }
    let faults = totals.killed_add
        + totals.killed_del
        + totals.killed_release
        + totals.killed_orphan
        + killed_from_report;
    figure(&format!(
        "crash/{name}: {} processes in {rounds} round(s) ({} ADD ok, {} DEL ok, {} release --ip ok, \
         {} endpoints deleted by hand), \
         {faults} SIGKILLs (ADD {}, of which {committed_killed} after the assignment, {dual_killed} of those \
         dual-stack; DEL {}; release --ip {}; delete endpoint {}; \
         release --from-report {killed_from_report}), \
         {} other errors; duplicates 0, losses 0; leaks reported {leaks_found}, released \
         {leaks_released}; kill delays 0.3-1.3 x the median unkilled run of the same kind (ADD: {:.1?} at the end); \
         seed {seed}; {:.1}s",
        totals.started,
        totals.add_ok,
        totals.del_ok,
        totals.release_ok,
        totals.orphaned,
        totals.killed_add,
        totals.killed_del,
        totals.killed_release,
        totals.killed_orphan,
        totals.errors.len(),
        s.median_recent("ADD"),
        started.elapsed().as_secs_f64()
    ));
    // Errors that are not kills must be rare (contention on a full pool, say) and readable.
    assert!(
        totals.errors.len() * 10 <= totals.started,
        "{name}: too many failures: {:#?}",
        totals.errors
    );
}

#[test]
fn crash_sigkill_cni_and_release_on_etcd() {
    crash_scenario(Backend::Etcd(Box::new(EtcdServer::start())));
}

#[test]
fn crash_sigkill_cni_and_release_on_embedded() {
    let dir = TestDir::new("calico-crash-db");
    let path = dir.path().join("datastore.db");
    crash_scenario(Backend::Embedded(path));
    drop(dir);
}
