//! The agent cache (`Ipam::with_cache`): one transaction per steady-state assignment, and no
//! remembered fact outlives a change to it.

use super::*;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(3600);

fn cached(store: &Store, ttl: Duration) -> Ipam {
    Ipam::from_store(store.clone()).with_cache(ttl)
}

fn assign(ipam: &Ipam, host: &str, handle: &str) -> Result<Cidr> {
    let r = ipam.auto_assign(&Fx::req(host, handle, 1))?;
    let v4 = r.ipv4.unwrap();
    assert_eq!(v4.ips.len(), 1, "{:?}", v4.msgs);
    Ok(v4.ips[0])
}

#[test]
fn steady_state_is_one_transaction_and_no_reads() {
    let counting = CountingStore::new(mem());
    let store: Store = counting.clone();
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    fx.node("n1", &[]);
    let ipam = cached(&store, LONG);
    assign(&ipam, "n1", "h0").unwrap();
    assign(&ipam, "n1", "h1").unwrap();
    let before = counting.stats();
    for i in 2..40 {
        assign(&ipam, "n1", &format!("h{i}")).unwrap();
    }
    let after = counting.stats();
    assert_eq!(after.0 - before.0, 38, "one transaction per assignment");
    assert_eq!(
        (after.1 - before.1, after.2 - before.2, after.3 - before.3),
        (0, 0, 0),
        "no reads"
    );
    fx.check_invariants();
}

#[test]
fn a_disabled_pool_is_not_used_from_the_cache() {
    let store = mem();
    let fx = Fx::new(store.clone());
    fx.pool("a", "10.0.0.0/16");
    fx.pool("b", "10.1.0.0/16");
    fx.node("n1", &[]);
    let ipam = cached(&store, LONG);
    let first = assign(&ipam, "n1", "h0").unwrap();
    let (used, other) = if c("10.0.0.0/16").contains(&first) {
        ("a", "10.1.0.0/16")
    } else {
        ("b", "10.0.0.0/16")
    };
    let mut p: IpPool = fx.ipam.client().get(None, used).unwrap();
    p.spec.disabled = true;
    fx.ipam.client().update(p).unwrap();
    let next = assign(&ipam, "n1", "h1").unwrap();
    assert!(c(other).contains(&next), "{next} from the disabled pool");
    fx.check_invariants();
}

#[test]
fn a_relabelled_node_stops_using_a_pool_that_no_longer_selects_it() {
    let store = mem();
    let fx = Fx::new(store.clone());
    fx.pool_with("rack0", "10.0.0.0/16", |p| {
        p.spec.node_selector = "rack == \"0\"".into()
    });
    fx.pool_with("rack1", "10.1.0.0/16", |p| {
        p.spec.node_selector = "rack == \"1\"".into()
    });
    fx.node("n1", &[("rack", "0")]);
    let ipam = cached(&store, LONG);
    assert!(c("10.0.0.0/16").contains(&assign(&ipam, "n1", "h0").unwrap()));
    let mut n: Node = fx.ipam.client().get(None, "n1").unwrap();
    n.metadata.labels.insert("rack".into(), "1".into());
    fx.ipam.client().update(n).unwrap();
    assert!(c("10.1.0.0/16").contains(&assign(&ipam, "n1", "h1").unwrap()));
}

#[test]
fn a_changed_configuration_is_re_read() {
    let counting = CountingStore::new(mem());
    let store: Store = counting.clone();
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    fx.node("n1", &[]);
    let ipam = cached(&store, LONG);
    assign(&ipam, "n1", "h0").unwrap();
    assign(&ipam, "n1", "h1").unwrap();
    fx.set_config(true, true, 0);
    let before = counting.stats();
    assign(&ipam, "n1", "h2").unwrap();
    let after = counting.stats();
    assert!(
        after.1 + after.3 > before.1 + before.3,
        "the configuration is read again"
    );
    assign(&ipam, "n1", "h3").unwrap();
    let before = counting.stats();
    assign(&ipam, "n1", "h4").unwrap();
    let after = counting.stats();
    assert_eq!(
        (
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2,
            after.3 - before.3
        ),
        (1, 0, 0, 0),
        "and then served from the cache again"
    );
    fx.check_invariants();
}

#[test]
fn a_block_another_writer_changed_is_re_read_not_reused() {
    let store = mem();
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    fx.node("n1", &[]);
    let agent = cached(&store, LONG);
    let other = Ipam::from_store(store.clone());
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..150 {
        // Interleave: the agent's remembered block goes stale every time.
        assert!(seen.insert(assign(&agent, "n1", &format!("a{i}")).unwrap().addr()));
        assert!(seen.insert(assign(&other, "n1", &format!("o{i}")).unwrap().addr()));
        if i % 7 == 0 {
            other.release_by_handle(&format!("o{i}")).unwrap();
            seen.clear(); // a released address may come back
        }
    }
    fx.check_invariants();
}

#[test]
fn a_released_affinity_is_not_used_from_the_cache() {
    let store = mem();
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    fx.node("n1", &[]);
    let ipam = cached(&store, LONG);
    let first = assign(&ipam, "n1", "h0").unwrap();
    assign(&ipam, "n1", "h0b").unwrap(); // now the block is remembered
    let block = Cidr::enclosing(first.addr(), 26);
    // Another client takes the block away from n1 (it keeps its address, loses its owner).
    fx.ipam.release_block_affinity("n1", &block, false).unwrap();
    let next = assign(&ipam, "n1", "h1").unwrap();
    assert!(
        !block.contains(&next),
        "{next} taken from a block n1 no longer owns"
    );
    fx.check_invariants();
}

#[test]
fn reservations_are_honoured_within_the_ttl() {
    let store = mem();
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    fx.node("n1", &[]);
    let ipam = cached(&store, Duration::from_millis(50));
    let first = assign(&ipam, "n1", "h0").unwrap();
    assign(&ipam, "n1", "h0b").unwrap(); // now the block is remembered
    let block = Cidr::enclosing(first.addr(), 26);
    // Reserve the whole rest of the block.
    fx.reserve("r", &[&block.to_string()]);
    std::thread::sleep(Duration::from_millis(60));
    let next = assign(&ipam, "n1", "h1").unwrap();
    assert!(!block.contains(&next), "{next} is reserved");
}

#[test]
fn a_deleted_node_fails_as_uncached() {
    let store = mem();
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    fx.node("n1", &[]);
    let ipam = cached(&store, LONG);
    assign(&ipam, "n1", "h0").unwrap();
    fx.ipam.client().delete::<Node>(None, "n1", None).unwrap();
    let err = ipam.auto_assign(&Fx::req("n1", "h1", 1)).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    // Nothing was assigned.
    assert_eq!(fx.allocations().len(), 1);
}

#[test]
fn concurrent_cached_agents_on_one_node_never_share_an_address() {
    let store = mem();
    let (fx, hosts) = {
        let fx = Fx::new(store.clone());
        fx.pool("p", "10.0.0.0/16");
        fx.node("n1", &[]);
        (fx, vec!["n1".to_string()])
    };
    let results: Vec<Vec<(String, Cidr)>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..6)
            .map(|t| {
                let store = store.clone();
                let host = hosts[0].clone();
                s.spawn(move || {
                    // Half the agents cache, half do not.
                    // Lock-free: the agents race for the blocks for real.
                    let ipam = if t % 2 == 0 {
                        cached(&store, LONG)
                    } else {
                        Ipam::from_store(store)
                    }
                    .lock_free();
                    (0..60)
                        .map(|i| {
                            let h = format!("t{t}-{i}");
                            (h.clone(), assign(&ipam, &host, &h).unwrap())
                        })
                        .collect()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut seen = std::collections::BTreeSet::new();
    let mut want = BTreeMap::new();
    for (h, ip) in results.into_iter().flatten() {
        assert!(seen.insert(ip.addr()), "{ip} twice");
        want.insert(ip.addr(), Some(h));
    }
    assert_eq!(fx.allocations(), want);
    fx.check_invariants();
}

#[test]
fn an_affinity_changed_under_the_cache_is_not_trusted() {
    let store = mem();
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/16");
    fx.node("n1", &[]);
    let ipam = cached(&store, LONG);
    let first = assign(&ipam, "n1", "h0").unwrap();
    assign(&ipam, "n1", "h0b").unwrap(); // now the affinity is remembered
    let block = Cidr::enclosing(first.addr(), 26);
    // A Calico client starts releasing the affinity (first of its single-key steps): only
    // the affinity key changes, the block does not.
    let key = keys::host_affinity("n1", &block);
    store
        .txn(crate::datastore::Txn::new().put(
            &key,
            br#"{"state":"pendingDeletion","deleted":false}"#.to_vec(),
        ))
        .unwrap();
    assign(&ipam, "n1", "h1").unwrap();
    // The cached take failed on the affinity compare; the uncached path then saw the state
    // and handled it (it re-confirms the affinity of a block it still owns).
    let now = fx.ipam.read_affinity("n1", &block).unwrap().unwrap();
    assert!(now.value.is_confirmed(), "{:?}", now.value);
    fx.check_invariants();
}

#[test]
fn dual_stack_from_the_cache_is_one_transaction_and_survives_a_lost_one() {
    let counting = CountingStore::new(mem());
    let store: Store = counting.clone();
    let fx = Fx::new(store.clone());
    fx.pool_with("v4", "10.0.0.0/24", |p| p.spec.block_size = 28);
    fx.pool_with("v6", "fd00::/120", |p| p.spec.block_size = 124);
    fx.node("n1", &[]);
    fx.node("n2", &[]);
    let ipam = cached(&store, LONG);
    let dual = |i: usize| {
        let mut req = Fx::req("n1", &format!("h{i}"), 1);
        req.num6 = 1;
        let r = ipam.auto_assign(&req).unwrap();
        assert_eq!(r.ips().len(), 2);
        r
    };
    dual(0);
    dual(1);
    // Steady state: both families from remembered blocks, one transaction, no reads (the
    // IPv4 block carried into the IPv6 transaction is remembered at the revision it got).
    let before = counting.stats();
    for i in 2..12 {
        dual(i);
    }
    let after = counting.stats();
    assert_eq!(
        after.0 - before.0,
        10,
        "one transaction per dual-stack request"
    );
    assert_eq!(
        (after.1 - before.1, after.2 - before.2, after.3 - before.3),
        (0, 0, 0)
    );
    // Another writer takes an address from the remembered IPv4 block just before the
    // carrying transaction: it fails, the request runs again, nothing is handed out twice.
    let v4_block = fx.ipam.list_blocks().unwrap()[0].value.cidr;
    assert!(v4_block.is_ipv4());
    counting.other_takes_before_next_txn(v4_block.nth(15), "n2");
    // Then the request fills the /28 (16 addresses, 12 used) and needs a new block: the
    // cache must follow both.
    for i in 12..40 {
        dual(i);
    }
    let allocations = fx.allocations();
    assert_eq!(allocations.len(), 2 * 40 + 1);
    fx.check_invariants();
}
