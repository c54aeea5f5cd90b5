//! etcd failover: a three-member cluster on loopback, clients configured with all three
//! endpoints, a stream of assignments (and releases) from one long-lived in-process client
//! and, at the same time, a stream of `calico-ipam` ADD processes; the leader is killed in
//! the middle, later restarted. Measured: the time from the kill to the next successful
//! assignment of each stream, and the errors in between. Checked: no address is ever given to
//! two holders, every acknowledged assignment is still in the datastore afterwards (nothing
//! lost), handles agree with blocks, and both streams go on after the kill.
//!
//! An assignment that failed with a timeout while the leader died may still have been
//! committed (etcd's answer was lost): such allocations are counted ("ambiguous"), must belong
//! to the failed request's handle, and are cleaned up by releasing that handle, as a CNI DEL
//! would.

use super::{audit, calico_ipam, figure, knob, text};
use calico::datastore::Store;
use calico::datastore::api::Client;
use calico::datastore::etcd::EtcdStore;
use calico::ipam::{AutoAssignRequest, Ipam};
use calico::model::{IpPool, Node};
use calico::testing::{EtcdCluster, TestDir};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Op {
    /// When the request was sent.
    start: Instant,
    /// When it returned.
    at: Instant,
    handle: String,
    result: Result<IpAddr, String>,
}

#[derive(Default)]
struct Stream {
    ops: Vec<Op>,
    /// Handles released again (by the library stream).
    released: BTreeSet<String>,
    /// Duplicate acknowledgements: an address given while another holder still had it.
    duplicates: Vec<String>,
    /// Releases that failed and were tried again.
    release_retries: usize,
}

/// After `kill`: (time to the first success, errors before it, longest gap between two
/// successes around the kill).
fn recovery(ops: &[Op], kill: Instant, until: Instant) -> (Option<Duration>, usize, Duration) {
    // Only requests sent after the kill count: one in flight before it may have been answered
    // by a member before it died.
    let after: Vec<&Op> = ops
        .iter()
        .filter(|o| o.start >= kill && o.at < until)
        .collect();
    let first_ok = after.iter().find(|o| o.result.is_ok()).map(|o| o.at - kill);
    let errors = after.iter().take_while(|o| o.result.is_err()).count();
    let oks: Vec<Instant> = ops
        .iter()
        .filter(|o| o.result.is_ok() && o.at < until)
        .map(|o| o.at)
        .collect();
    let gap = oks
        .windows(2)
        .filter(|w| w[1] >= kill && w[0] <= kill + Duration::from_secs(60))
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    (first_ok, errors, gap)
}

fn library_stream(store: Store, stop: &AtomicBool, out: &Mutex<Stream>) {
    let ipam = Ipam::new(Client::new(store));
    let mut n = 0u64;
    let mut held: Vec<(String, IpAddr)> = Vec::new();
    let mut holders: BTreeMap<IpAddr, String> = BTreeMap::new();
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let handle = format!("stream-lib-{n}");
        let start = Instant::now();
        let result = ipam
            .auto_assign(&AutoAssignRequest {
                num4: 1,
                handle_id: Some(handle.clone()),
                hostname: "node-lib".into(),
                ..Default::default()
            })
            .map_err(|e| e.to_string())
            .and_then(|r| {
                r.ipv4
                    .and_then(|a| a.ips.first().map(|c| c.addr()))
                    .ok_or_else(|| "no address".to_string())
            });
        let at = Instant::now();
        let mut s = out.lock().unwrap();
        if let Ok(ip) = &result {
            if let Some(other) = holders.get(ip) {
                s.duplicates
                    .push(format!("{ip} given to {handle} while {other} held it"));
            }
            holders.insert(*ip, handle.clone());
            held.push((handle.clone(), *ip));
        }
        s.ops.push(Op {
            start,
            at,
            handle: handle.clone(),
            result: result.clone(),
        });
        drop(s);
        if result.is_err() {
            std::thread::sleep(Duration::from_millis(50));
        }
        // Every third success, release the oldest holder (a pod going away).
        if result.is_ok() && n.is_multiple_of(3) && held.len() > 5 {
            let (h, ip) = held.remove(0);
            let mut failed = false;
            loop {
                match ipam.release_by_handle(&h) {
                    Ok(()) => break,
                    // An attempt that failed (its answer lost when a member died) may have
                    // been applied: then the handle is gone, as CNI DEL retries find it.
                    Err(e) if e.is_not_found() => {
                        assert!(failed, "{h} vanished: {e}");
                        break;
                    }
                    Err(_) if !stop.load(Ordering::Relaxed) => {
                        failed = true;
                        out.lock().unwrap().release_retries += 1;
                        std::thread::sleep(Duration::from_millis(50))
                    }
                    Err(e) => panic!("cannot release {h} at the end: {e}"),
                }
            }
            holders.remove(&ip);
            out.lock().unwrap().released.insert(h);
        }
    }
}

fn cni_stream(endpoints: String, dir: std::path::PathBuf, stop: &AtomicBool, out: &Mutex<Stream>) {
    let mut n = 0u64;
    let mut holders: BTreeMap<IpAddr, String> = BTreeMap::new();
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let container = format!("failover{n:06}");
        let handle = format!("failover-net.{container}");
        let netconf = serde_json::json!({
            "cniVersion": "1.0.0",
            "name": "failover-net",
            "type": "calico",
            "nodename": "node-cni",
            "datastore_type": "etcdv3",
            "etcd_endpoints": endpoints,
            "ipam_lock_file": dir.join("ipam.lock"),
            "ipam": {"type": "calico-ipam"},
        });
        let start = Instant::now();
        let mut child = calico_ipam()
            .env("CNI_COMMAND", "ADD")
            .env("CNI_CONTAINERID", &container)
            .env("CNI_IFNAME", "eth0")
            .env("CNI_NETNS", "/var/run/netns/x")
            .env("CNI_PATH", "/opt/cni/bin")
            .env("CNI_ARGS", format!("K8S_POD_NAMESPACE=f;K8S_POD_NAME=p{n}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(netconf.to_string().as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        let result = if o.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            Ok(v["ips"][0]["address"]
                .as_str()
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .parse::<IpAddr>()
                .unwrap())
        } else {
            let t = text(&o);
            let v: serde_json::Value = serde_json::from_str(t.lines().next().unwrap_or(""))
                .unwrap_or_else(|_| panic!("not a CNI error object: {t}"));
            assert!(v["msg"].as_str().is_some_and(|m| !m.is_empty()), "{t}");
            Err(t)
        };
        let at = Instant::now();
        let mut s = out.lock().unwrap();
        if let Ok(ip) = &result {
            if let Some(other) = holders.get(ip) {
                s.duplicates
                    .push(format!("{ip} given to {handle} while {other} held it"));
            }
            holders.insert(*ip, handle.clone());
        }
        s.ops.push(Op {
            start,
            at,
            handle,
            result,
        });
        drop(s);
        if o.status.success() {
            continue;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn successes_since(s: &Mutex<Stream>, since: Instant) -> usize {
    s.lock()
        .unwrap()
        .ops
        .iter()
        .filter(|o| o.at >= since && o.result.is_ok())
        .count()
}

fn wait_for(what: &str, limit: Duration, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn failover_leader_killed_mid_stream() {
    let rounds = knob("CALICO_FAILOVER_ROUNDS", 1);
    let ops_after = knob("CALICO_FAILOVER_OPS_AFTER", 40) as usize;
    let mut cluster = EtcdCluster::start(3);
    let dir = TestDir::new("calico-failover");
    let endpoints = cluster.endpoints().join(",");
    // What a user configures: every endpoint, calicoctl's default timeouts.
    let config = calico::datastore::etcd::EtcdConfig::new(cluster.endpoints());
    let admin: Store = Arc::new(EtcdStore::connect(&config).unwrap());
    let client = Client::new(admin.clone());
    let mut pool = IpPool::new("failover-pool", "10.80.0.0/16");
    pool.spec.block_size = 26;
    client.create(pool).unwrap();
    for n in ["node-lib", "node-cni"] {
        client.create(Node::new(n)).unwrap();
    }

    let stop = AtomicBool::new(false);
    let lib = Mutex::new(Stream::default());
    let cni = Mutex::new(Stream::default());
    let mut recoveries = Vec::new();
    std::thread::scope(|sc| {
        let stream_store: Store = Arc::new(EtcdStore::connect(&config).unwrap());
        let (stop_r, lib_r, cni_r) = (&stop, &lib, &cni);
        sc.spawn(move || library_stream(stream_store, stop_r, lib_r));
        let (e, d) = (endpoints.clone(), dir.path().to_path_buf());
        sc.spawn(move || cni_stream(e, d, stop_r, cni_r));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let begin = Instant::now();
            wait_for("the streams to start", Duration::from_secs(30), || {
                successes_since(&lib, begin) >= 30 && successes_since(&cni, begin) >= 5
            });
            for round in 0..rounds {
                let leader = cluster
                    .wait_for_leader(Duration::from_secs(20))
                    .expect("a leader");
                let kill = Instant::now();
                cluster.kill_member(leader);
                let new_leader = cluster.wait_for_leader(Duration::from_secs(20));
                let elected = kill.elapsed();
                wait_for(
                    "assignments to go on after the leader died",
                    Duration::from_secs(60),
                    || {
                        successes_since(&lib, kill) >= ops_after
                            && successes_since(&cni, kill) >= ops_after / 4
                    },
                );
                let until = Instant::now();
                cluster.restart_member(leader);
                let (lib_rec, lib_err, lib_gap) = recovery(&lib.lock().unwrap().ops, kill, until);
                let (cni_rec, cni_err, cni_gap) = recovery(&cni.lock().unwrap().ops, kill, until);
                recoveries.push((
                    round, leader, new_leader, elected, lib_rec, lib_err, lib_gap, cni_rec,
                    cni_err, cni_gap,
                ));
                // Let the restarted member catch up before the next kill.
                let back = Instant::now();
                wait_for(
                    "progress after the restart",
                    Duration::from_secs(30),
                    || successes_since(&lib, back) >= 10,
                );
            }
        }));
        stop.store(true, Ordering::Relaxed);
        if let Err(p) = result {
            std::panic::resume_unwind(p);
        }
    });

    let lib = lib.into_inner().unwrap();
    let cni = cni.into_inner().unwrap();
    if std::env::var_os("CALICO_FAILOVER_DEBUG").is_some() {
        let t0 = lib.ops[0].start;
        for (name, s) in [("lib", &lib), ("cni", &cni)] {
            for o in &s.ops {
                eprintln!(
                    "{name} {:>8.3} {:>6.3} {}",
                    (o.start - t0).as_secs_f64(),
                    (o.at - o.start).as_secs_f64(),
                    match &o.result {
                        Ok(ip) => ip.to_string(),
                        Err(e) => e.chars().take(200).collect(),
                    }
                );
            }
        }
    }
    assert!(lib.duplicates.is_empty(), "{:#?}", lib.duplicates);
    assert!(cni.duplicates.is_empty(), "{:#?}", cni.duplicates);
    // Across streams too: no address acknowledged to two live holders. The CNI stream never
    // releases; the library stream released only the handles in `released`.
    let a = audit(admin.as_ref());
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    let mut ambiguous = 0;
    let mut lost = Vec::new();
    for (stream, s) in [("library", &lib), ("cni", &cni)] {
        for o in &s.ops {
            match &o.result {
                Ok(ip) if !s.released.contains(&o.handle) => match a.allocated.get(ip) {
                    Some((Some(h), _)) if *h == o.handle => {}
                    other => lost.push(format!("{stream}: {} {ip}: now {other:?}", o.handle)),
                },
                Ok(_) => {}
                Err(_) => {
                    if a.handles.contains_key(&o.handle) {
                        ambiguous += 1;
                    }
                }
            }
        }
    }
    assert!(lost.is_empty(), "acknowledged assignments lost: {lost:#?}");
    // Every allocation belongs to a request of one of the streams.
    let known: BTreeSet<&String> = lib.ops.iter().chain(&cni.ops).map(|o| &o.handle).collect();
    for (ip, (h, _)) in &a.allocated {
        let h = h.clone().unwrap_or_default();
        assert!(known.contains(&h), "{ip} held by unknown handle {h}");
    }
    // Clean up the ambiguous ones as a CNI DEL would, and everything else: nothing remains.
    let ipam = Ipam::new(client.clone());
    for h in a.handles.keys() {
        ipam.release_by_handle(h).unwrap();
    }
    let end = audit(admin.as_ref());
    assert!(
        end.problems.is_empty() && end.allocated.is_empty(),
        "{:#?}",
        end.problems
    );

    let total = |s: &Stream| {
        (
            s.ops.len(),
            s.ops.iter().filter(|o| o.result.is_err()).count(),
        )
    };
    let (lib_n, lib_e) = total(&lib);
    let (cni_n, cni_e) = total(&cni);
    figure(&format!(
        "failover: {rounds} leader kill(s); library stream {lib_n} assignments ({lib_e} failed) \
         and {} releases ({} retried after an error), CNI stream {cni_n} ADD processes ({cni_e} \
         failed); duplicates 0, losses 0, ambiguous commits of failed requests {ambiguous} \
         (released by handle)",
        lib.released.len(),
        lib.release_retries
    ));
    for (
        round,
        leader,
        new_leader,
        elected,
        lib_rec,
        lib_err,
        lib_gap,
        cni_rec,
        cni_err,
        cni_gap,
    ) in &recoveries
    {
        figure(&format!(
            "failover round {round}: killed leader member-{leader}; new leader member-{} after \
             {elected:.2?}; library stream: first success {lib_rec:.2?} after the kill, \
             {lib_err} errors before it, longest gap {lib_gap:.2?}; CNI stream: first success \
             {cni_rec:.2?} after the kill, {cni_err} errors before it, longest gap {cni_gap:.2?}",
            new_leader.map_or("?".into(), |n| n.to_string())
        ));
        let limit = Duration::from_secs(10);
        assert!(
            lib_rec.is_some_and(|d| d < limit) && cni_rec.is_some_and(|d| d < limit),
            "recovery took too long: {lib_rec:?} / {cni_rec:?}"
        );
    }
}
