//! Many writers at once: no address handed out twice, none lost, invariants hold.

use super::*;
use std::sync::Barrier;

store_tests!(memory, mem();
    concurrent_same_host,
    concurrent_many_hosts,
    concurrent_churn_with_borrowing,
    same_host_threads_take_turns,
    concurrent_dual_stack,
);

// The pool race runs on its own on each backend (not in `run_all`), so that
// `cargo test --lib pool_race` selects it everywhere (scripts/soak.sh).
#[test]
fn pool_race_on_memory() {
    pool_race_overlapping_creates(mem());
}

#[test]
fn pool_race_on_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    pool_race_overlapping_creates(Arc::new(
        crate::datastore::embedded::EmbeddedStore::open(&path).unwrap(),
    ));
}

#[test]
fn pool_race_on_etcd() {
    let etcd = crate::testing::EtcdServer::start();
    pool_race_overlapping_creates(Arc::new(
        crate::datastore::etcd::EtcdStore::connect(&etcd.config()).unwrap(),
    ));
}

const THREADS: usize = 8;
const PER_THREAD: usize = 40;

/// `threads` threads each assign `per_thread` single addresses (own handle each) for the host
/// `hosts[t % hosts.len()]`, all starting together. Returns handle → address.
pub(crate) fn assign_concurrently(
    store: &Store,
    hosts: &[String],
    threads: usize,
    per_thread: usize,
    tag: &str,
) -> BTreeMap<String, Cidr> {
    let barrier = Barrier::new(threads);
    let results: Vec<Vec<(String, Cidr)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                let store = store.clone();
                let host = hosts[t % hosts.len()].clone();
                s.spawn(move || {
                    // Lock-free: the threads race for the blocks for real.
                    let ipam = Ipam::from_store(store).lock_free();
                    barrier.wait();
                    (0..per_thread)
                        .map(|i| {
                            let handle = format!("{tag}-t{t}-{i}");
                            let got = ipam
                                .auto_assign(&Fx::req(&host, &handle, 1))
                                .unwrap_or_else(|e| panic!("{handle}: {e}"))
                                .ipv4
                                .unwrap();
                            assert_eq!(got.ips.len(), 1, "{:?}", got.msgs);
                            (handle, got.ips[0])
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    results.into_iter().flatten().collect()
}

fn verify(fx: &Fx, expected: &BTreeMap<String, Cidr>) {
    let mut seen = std::collections::BTreeSet::new();
    for ip in expected.values() {
        assert!(seen.insert(ip.addr()), "{ip} handed out twice");
    }
    let stored = fx.allocations();
    let want: BTreeMap<IpAddr, Option<String>> = expected
        .iter()
        .map(|(h, ip)| (ip.addr(), Some(h.clone())))
        .collect();
    assert_eq!(
        stored, want,
        "store and results disagree (lost or extra addresses)"
    );
    fx.check_invariants();
}

fn setup(store: &Store, hosts: usize) -> (Fx, Vec<String>) {
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    let names: Vec<String> = (0..hosts).map(|i| format!("node-{i}")).collect();
    for n in &names {
        fx.node(n, &[]);
    }
    fx.ipam.get_config().unwrap();
    (fx, names)
}

/// Eight threads on one host: they share (and race to claim) the same blocks.
pub(crate) fn concurrent_same_host(store: Store) {
    let (fx, hosts) = setup(&store, 1);
    let got = assign_concurrently(&store, &hosts, THREADS, PER_THREAD, "same");
    assert_eq!(got.len(), THREADS * PER_THREAD);
    verify(&fx, &got);
    // Blocks were filled, not scattered: 320 addresses fit in 5 blocks of 64.
    assert_eq!(fx.ipam.list_blocks().unwrap().len(), 5);
}

/// Eight threads on one host through the default (host-locked) `Ipam`: they take turns, so no
/// transaction loses a compare: exactly one per assignment, claims included.
pub(crate) fn same_host_threads_take_turns(store: Store) {
    let counting = CountingStore::new(store);
    let store: Store = counting.clone();
    let (fx, hosts) = setup(&store, 1);
    let before = counting.count();
    let barrier = Barrier::new(THREADS);
    let got: BTreeMap<String, Cidr> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (barrier, store, host) = (&barrier, store.clone(), hosts[0].clone());
                s.spawn(move || {
                    let ipam = Ipam::from_store(store);
                    barrier.wait();
                    (0..PER_THREAD)
                        .map(|i| {
                            let handle = format!("turns-t{t}-{i}");
                            let got = ipam.auto_assign(&Fx::req(&host, &handle, 1)).unwrap();
                            (handle, got.ipv4.unwrap().ips[0])
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(got.len(), THREADS * PER_THREAD);
    verify(&fx, &got);
    assert_eq!(
        counting.count() - before,
        THREADS * PER_THREAD,
        "one transaction per assignment: no compare lost to a thread of the same host"
    );
    assert_eq!(fx.ipam.list_blocks().unwrap().len(), 5);
}

/// Eight threads on eight hosts: each host claims its own blocks.
pub(crate) fn concurrent_many_hosts(store: Store) {
    let (fx, hosts) = setup(&store, THREADS);
    let got = assign_concurrently(&store, &hosts, THREADS, PER_THREAD, "many");
    verify(&fx, &got);
    for (handle, ip) in &got {
        let a = fx.ipam.get_assignment_attributes(ip.addr()).unwrap();
        let t: usize = handle
            .split("-t")
            .nth(1)
            .unwrap()
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(a.block_affinity, Some(format!("host:node-{t}")));
    }
}

/// Assign, then release half concurrently while others assign, in a small pool where hosts
/// must borrow from each other's blocks.
pub(crate) fn concurrent_churn_with_borrowing(store: Store) {
    let fx = Fx::new(store.clone());
    fx.pool("small", "10.0.0.0/24");
    let hosts: Vec<String> = (0..THREADS).map(|i| format!("node-{i}")).collect();
    for n in &hosts {
        fx.node(n, &[]);
    }
    // 8 hosts, 4 blocks: half the hosts own nothing and borrow.
    let first = assign_concurrently(&store, &hosts, THREADS, 24, "a");
    assert_eq!(first.len(), 192);
    verify(&fx, &first);
    let (release, keep): (Vec<_>, Vec<_>) = first
        .iter()
        .partition(|(h, _)| h.rsplit('-').next().unwrap().parse::<usize>().unwrap() % 2 == 0);
    let mut expected: BTreeMap<String, Cidr> =
        keep.into_iter().map(|(h, c)| (h.clone(), *c)).collect();
    let second = std::thread::scope(|s| {
        let releaser = {
            let store = store.clone();
            let release: Vec<String> = release.iter().map(|(h, _)| (*h).clone()).collect();
            s.spawn(move || {
                let ipam = Ipam::from_store(store);
                for h in release {
                    ipam.release_by_handle(&h).unwrap();
                }
            })
        };
        let got = assign_concurrently(&store, &hosts, THREADS, 8, "b");
        releaser.join().unwrap();
        got
    });
    expected.extend(second);
    verify(&fx, &expected);
}

/// Eight lock-free threads on two hosts, each request for one IPv4 and one IPv6 address in
/// small blocks: the transactions that carry both families lose compares to each other and
/// to claims, and are undone and run again; every result is in the store exactly once.
pub(crate) fn concurrent_dual_stack(store: Store) {
    let fx = Fx::new(store.clone());
    fx.pool_with("v4", "10.0.0.0/16", |p| p.spec.block_size = 28);
    fx.pool_with("v6", "fd00::/112", |p| p.spec.block_size = 124);
    fx.node("node-0", &[]);
    fx.node("node-1", &[]);
    fx.ipam.get_config().unwrap();
    let barrier = Barrier::new(THREADS);
    let results: Vec<Vec<(String, Vec<Cidr>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let barrier = &barrier;
                let store = store.clone();
                s.spawn(move || {
                    let ipam = Ipam::from_store(store).lock_free();
                    barrier.wait();
                    (0..PER_THREAD / 2)
                        .map(|i| {
                            let handle = format!("dual-t{t}-{i}");
                            let mut req = Fx::req(&format!("node-{}", t % 2), &handle, 1);
                            req.num6 = 1;
                            let got = ipam
                                .auto_assign(&req)
                                .unwrap_or_else(|e| panic!("{handle}: {e}"));
                            let ips = got.ips();
                            assert_eq!(ips.len(), 2, "{handle}: {got:?}");
                            (handle, ips)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut want: BTreeMap<IpAddr, Option<String>> = BTreeMap::new();
    for (handle, ips) in results.into_iter().flatten() {
        for ip in ips {
            let prev = want.insert(ip.addr(), Some(handle.clone()));
            assert!(prev.is_none(), "{ip} handed out twice");
        }
    }
    assert_eq!(want.len(), THREADS * PER_THREAD);
    assert_eq!(
        fx.allocations(),
        want,
        "store and results disagree (lost or extra addresses)"
    );
    fx.check_invariants();
}

/// Rounds of racing pool creates: in each, six threads create pools of one CIDR (and its
/// halves) at once while a lister watches the pools and an assigner keeps taking addresses.
/// Of each round's creates exactly one commits; the others are refused naming a pool that
/// exists; the lister never sees two overlapping pools; no address ever comes from a refused
/// pool; and at the end `ipam check` finds no problem. `CALICO_POOL_RACE_ROUNDS` (default 4)
/// sets the number of rounds (`scripts/soak.sh` runs many).
pub(crate) fn pool_race_overlapping_creates(store: Store) {
    use crate::datastore::api::Client;
    use std::sync::atomic::AtomicBool;
    const CREATORS: usize = 6;
    let rounds: usize = std::env::var("CALICO_POOL_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let fx = Fx::new(store.clone());
    fx.node("n1", &[]);
    fx.ipam.get_config().unwrap();
    let mut handed_out: Vec<(String, Cidr)> = Vec::new();
    for round in 0..rounds {
        // 10.<100 + round>.0.0/24 for most creators, its first half for some.
        let base = format!("10.{}.0", 100 + round % 150);
        let cidr_of = |t: usize| match t % 3 {
            0 | 1 => format!("{base}.0/24"),
            _ => format!("{base}.0/25"),
        };
        let done = AtomicBool::new(false);
        let barrier = Barrier::new(CREATORS + 2);
        let (outcomes, seen, assigned) = std::thread::scope(|s| {
            let creators: Vec<_> = (0..CREATORS)
                .map(|t| {
                    let (store, barrier, cidr) = (store.clone(), &barrier, cidr_of(t));
                    s.spawn(move || {
                        let client = Client::new(store);
                        let name = format!("race-{round}-{t}");
                        barrier.wait();
                        let r = client.create(IpPool::new(&name, &cidr));
                        (name, r.map(|_| ()).map_err(|e| e.to_string()))
                    })
                })
                .collect();
            let lister = {
                let (store, barrier, done) = (store.clone(), &barrier, &done);
                s.spawn(move || {
                    let client = Client::new(store);
                    barrier.wait();
                    let mut lists = 0;
                    loop {
                        let last = done.load(Ordering::SeqCst);
                        let pools = client.list::<IpPool>(None).unwrap().items;
                        for (i, a) in pools.iter().enumerate() {
                            for b in &pools[i + 1..] {
                                assert!(
                                    !a.cidr().unwrap().overlaps(&b.cidr().unwrap()),
                                    "the lister saw overlapping pools {} {} and {} {}",
                                    a.metadata.name,
                                    a.spec.cidr,
                                    b.metadata.name,
                                    b.spec.cidr
                                );
                            }
                        }
                        lists += 1;
                        if last {
                            return lists;
                        }
                    }
                })
            };
            let assigner = {
                let (store, barrier, done) = (store.clone(), &barrier, &done);
                s.spawn(move || {
                    let ipam = Ipam::from_store(store).lock_free();
                    barrier.wait();
                    let mut got = Vec::new();
                    let mut i = 0;
                    loop {
                        let last = done.load(Ordering::SeqCst);
                        let handle = format!("race-{round}-a{i}");
                        i += 1;
                        // Before any pool of the round exists, there may be nothing to take.
                        if let Ok(r) = ipam.auto_assign(&Fx::req("n1", &handle, 1))
                            && let Some(v4) = r.ipv4
                            && let Some(ip) = v4.ips.first()
                        {
                            got.push((handle, *ip));
                        }
                        if last {
                            return got;
                        }
                    }
                })
            };
            let outcomes: Vec<(String, std::result::Result<(), String>)> =
                creators.into_iter().map(|h| h.join().unwrap()).collect();
            done.store(true, Ordering::SeqCst);
            (outcomes, lister.join().unwrap(), assigner.join().unwrap())
        });
        assert!(seen > 0);
        let pools = fx.ipam.client().list::<IpPool>(None).unwrap().items;
        let winners: Vec<&String> = outcomes
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        let winner = winners[0];
        let names: Vec<&str> = pools.iter().map(|p| p.metadata.name.as_str()).collect();
        assert!(names.contains(&winner.as_str()), "round {round}: {names:?}");
        for (name, r) in &outcomes {
            let Err(e) = r else { continue };
            assert!(!names.contains(&name.as_str()), "refused {name} exists");
            // Calico's message, naming the pool that won (the only one that exists).
            assert!(
                e.contains(&format!(
                    "IPPool({name}) CIDR overlaps with IPPool({winner}) CIDR"
                )),
                "round {round}: {name}: {e}"
            );
            assert_eq!(e.matches("CIDR overlaps with").count(), 1, "{e}");
        }
        for (handle, ip) in &assigned {
            assert!(
                pools
                    .iter()
                    .any(|p| p.cidr().unwrap().contains_ip(ip.addr())),
                "round {round}: {handle} got {ip}, in no pool that exists"
            );
        }
        handed_out.extend(assigned);
    }
    for (handle, _) in &handed_out {
        fx.ipam.release_by_handle(handle).unwrap();
    }
    let r = fx.ipam.check("v3.31.0", &[]).unwrap();
    assert!(
        r.blocks_not_in_pool.is_empty(),
        "{:?}",
        r.blocks_not_in_pool
    );
    assert_eq!(r.problems(), 0, "leaked {:?}", r.leaked);
    fx.check_invariants();
}
