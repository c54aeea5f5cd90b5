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
