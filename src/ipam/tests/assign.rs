//! Automatic and specific assignment: pool choice, messages, blocks, reservations, caps.

use super::*;
use crate::datastore::keys;

store_tests!(memory, mem();
    first_assignment_claims_a_block_then_one_txn_each,
    steady_state_cost,
    worked_example_through_the_engine,
    fifo_reuse_order,
    multi_address_request_shares_one_attribute,
    dual_stack,
    dual_stack_transaction_lost_to_another_writer_is_retried,
    ipv6_only_pool_family_errors,
    no_enabled_pool_of_the_family,
    requested_pools_must_match_exactly,
    requested_pools_bypass_selectors_and_manual,
    manual_pool_is_not_used_automatically,
    topology_rack_pools,
    not_all_pool_only_via_explicit_request,
    namespace_selector,
    allowed_uses_filter,
    missing_node,
    reservations_are_skipped,
    excluded_addresses_are_skipped_for_that_request,
    fully_reserved_blocks_are_skipped,
    fully_reserved_pool_reports_exhaustion,
    block_cap_from_request_stops_without_borrowing,
    block_cap_from_config,
    borrowing_from_another_host,
    strict_affinity_never_borrows,
    auto_allocate_off_fails_to_claim,
    exhausted_pool_message,
    second_family_error_rolls_back_the_first,
    assign_ip_rules,
    assign_ip_strict_affinity,
    stale_and_dangling_affinities_are_repaired,
    claim_fails_when_pool_is_disabled_meanwhile,
    affinity_of_pool_no_longer_selecting_node_is_dropped,
    newer_calico_fields_survive_an_assignment,
);

fn first_assignment_claims_a_block_then_one_txn_each(store: Store) {
    let counting = CountingStore::new(store);
    let fx = Fx::new(counting.clone());
    fx.pool("default-ipv4-ippool", "10.65.0.0/16");
    fx.node("node-1", &[]);
    assert_eq!(fx.raw(keys::IPAM_CONFIG), None);
    let before = counting.count();
    let ips = fx.assign4("node-1", "k8s-pod-network.a", 1);
    // Config created (Calico v3.31 does), then one transaction claiming the block with the
    // address in it.
    assert_eq!(counting.count() - before, 2);
    assert_eq!(
        fx.raw(keys::IPAM_CONFIG).unwrap(),
        r#"{"auto_allocate_blocks":true}"#
    );
    let block = ips[0].network();
    assert_eq!(ips[0].prefix(), 26);
    assert_eq!(
        ips[0].addr(),
        block.addr(),
        "a fresh block hands out ordinal 0"
    );
    assert_eq!(
        fx.raw(&keys::host_affinity("node-1", &block)).unwrap(),
        r#"{"state":"confirmed","deleted":false}"#
    );
    assert_eq!(
        fx.raw("/calico/ipam/v2/handle/k8s-pod-network.a").unwrap(),
        format!(r#"{{"block":{{"{block}":1}},"deleted":false}}"#)
    );
    let b = fx.block(&block.to_string()).unwrap();
    assert_eq!(b.affinity.as_deref(), Some("host:node-1"));
    // Steady state: exactly one transaction per assignment.
    for i in 0..10 {
        let before = counting.count();
        let got = fx.assign4("node-1", &format!("h{i}"), 1);
        assert_eq!(counting.count() - before, 1);
        assert_eq!(got[0].network(), block);
    }
    fx.check_invariants();
}

fn steady_state_cost(store: Store) {
    let counting = CountingStore::new(store);
    let fx = Fx::new(counting.clone());
    fx.pool("default-ipv4-ippool", "10.65.0.0/16");
    fx.node("node-1", &[]);
    fx.node("node-2", &[]);
    fx.ipam.get_config().unwrap();
    // 640 serial pod assignments fill 10 blocks: every one, claims included, is one txn.
    let (t0, ..) = counting.stats();
    for i in 0..640 {
        fx.assign4("node-1", &format!("k8s-pod-network.{i}"), 1);
    }
    let (t1, ..) = counting.stats();
    assert_eq!(t1 - t0, 640);
    assert_eq!(fx.ipam.list_blocks().unwrap().len(), 10);

    // Round trips of a steady-state assignment: one batch of node, config, pools,
    // reservations and the host's affinities; one batch of its affine blocks; one txn. No
    // single reads.
    fx.assign4("node-2", "first", 1);
    let (t1, g1, l1, b1) = counting.stats();
    fx.assign4("node-2", "second", 1);
    let (t2, g2, l2, b2) = counting.stats();
    assert_eq!((t2 - t1, g2 - g1, l2 - l1, b2 - b1), (1, 0, 0, 2));
    // Claiming a block (the 10 affine blocks are full, read in one batch) adds one batch:
    // the host's affinities again and the first CIDRs of the walk. Still one txn; the
    // family's blocks are not listed.
    fx.assign4("node-1", "claims", 1);
    let (t3, g3, l3, b3) = counting.stats();
    assert_eq!((t3 - t2, g3 - g2, l3 - l2, b3 - b2), (1, 0, 0, 3));
    // CNI DEL: a batch with the handle (and a rider's keys), a batch of its blocks, one txn.
    fx.ipam.release_by_handle("k8s-pod-network.7").unwrap();
    let (t4, g4, l4, b4) = counting.stats();
    assert_eq!((t4 - t3, g4 - g3, l4 - l3, b4 - b3), (1, 0, 0, 2));
    fx.check_invariants();
}

fn worked_example_through_the_engine(store: Store) {
    // The pool is the example's block, so the block choice is fixed.
    let fx = Fx::new(store);
    fx.pool_with("default-ipv4-ippool", "10.65.12.64/26", |p| {
        p.spec.block_size = 26
    });
    fx.node("node-1", &[]);
    let handles = ['a', 'b', 'c'];
    let ts = [
        "2026-08-22 10:00:01.000000001 +0000 UTC",
        "2026-08-22 10:00:02.000000002 +0000 UTC",
        "2026-08-22 10:00:03.000000003 +0000 UTC",
    ];
    for (i, h) in handles.iter().enumerate() {
        let mut req = Fx::req(
            "node-1",
            &format!("k8s-pod-network.{}", h.to_string().repeat(64)),
            1,
        );
        req.attrs = [
            ("namespace", "default".to_string()),
            ("node", "node-1".to_string()),
            ("pod", format!("web-{i}")),
            ("timestamp", ts[i].to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let got = fx.ipam.auto_assign(&req).unwrap().ipv4.unwrap();
        assert_eq!(got.ips, vec![c(&format!("10.65.12.{}/26", 64 + i))]);
    }
    let raw = fx
        .raw("/calico/ipam/v2/assignment/ipv4/block/10.65.12.64-26")
        .unwrap();
    let t = fx.block("10.65.12.64/26").unwrap().sequence_number - 3;
    assert_eq!(raw, super::data::worked_example_json(t));
    // The recorded sequence numbers are what the caller got.
    let a = fx
        .ipam
        .get_assignment_attributes(ip("10.65.12.65"))
        .unwrap();
    assert_eq!(a.sequence_number, t + 1);
    assert_eq!(a.attrs["pod"], "web-1");
    fx.check_invariants();
}

fn fifo_reuse_order(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/26");
    fx.node("n", &[]);
    let a = fx.assign4("n", "a", 1);
    let b = fx.assign4("n", "b", 1);
    let _c = fx.assign4("n", "c", 1);
    assert_eq!(a[0].addr(), ip("10.0.0.0"));
    assert_eq!(b[0].addr(), ip("10.0.0.1"));
    fx.ipam.release_by_handle("b").unwrap();
    let blk = fx.block("10.0.0.0/26").unwrap();
    assert_eq!(
        blk.unallocated.last(),
        Some(&1),
        "released ordinal goes to the back"
    );
    // The next one is the next fresh ordinal, not the released one.
    assert_eq!(fx.assign4("n", "d", 1)[0].addr(), ip("10.0.0.3"));
    // Exhaust the rest: the released ordinal comes last.
    let rest = fx.assign4("n", "e", 61);
    assert_eq!(rest.last().unwrap().addr(), ip("10.0.0.1"));
    assert_eq!(rest[0].addr(), ip("10.0.0.4"));
    fx.check_invariants();
}

fn multi_address_request_shares_one_attribute(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("n", &[]);
    let ips = fx.assign4("n", "h", 3);
    assert_eq!(ips.len(), 3);
    let b = fx.block(&ips[0].network().to_string()).unwrap();
    assert_eq!(b.attributes.as_ref().unwrap().len(), 1);
    let h = fx.ipam.list_handles().unwrap();
    assert_eq!(h[0].handle.total(), 3);
    let mut got = fx.ipam.ips_by_handle("h").unwrap();
    got.sort();
    assert_eq!(got, ips.iter().map(|c| c.addr()).collect::<Vec<_>>());
    fx.check_invariants();
}

fn dual_stack(store: Store) {
    let counting = CountingStore::new(store);
    let fx = Fx::new(counting.clone());
    fx.pool("v4", "10.0.0.0/24");
    fx.pool("v6", "fd00:10:244::/120");
    fx.node("n", &[]);
    fx.ipam.get_config().unwrap();
    let mut req = Fx::req("n", "h", 1);
    req.num6 = 2;
    // Both families, both blocks claimed: one transaction, all or nothing.
    let before = counting.count();
    let r = fx.ipam.auto_assign(&req).unwrap();
    assert_eq!(counting.count() - before, 1);
    let v6 = r.ipv6.as_ref().unwrap();
    assert_eq!(r.ipv4.as_ref().unwrap().ips.len(), 1);
    assert_eq!(v6.ips.len(), 2);
    assert_eq!(v6.ips[0].prefix(), 122);
    assert_eq!(v6.ip_version, 6);
    let block6 = v6.ips[0].network();
    assert!(
        fx.raw(&format!(
            "/calico/ipam/v2/assignment/ipv6/block/{}",
            block6.to_key_form()
        ))
        .is_some()
    );
    assert!(
        fx.raw(&format!(
            "/calico/ipam/v2/host/n/ipv6/block/{}",
            block6.to_key_form()
        ))
        .is_some()
    );
    assert_eq!(r.ips().len(), 3);
    let h = &fx.ipam.list_handles().unwrap()[0].handle;
    assert_eq!(h.block.len(), 2);
    // Steady state: one transaction too, for the next pod.
    let before = counting.count();
    let mut req = Fx::req("n", "h2", 1);
    req.num6 = 1;
    fx.ipam.auto_assign(&req).unwrap();
    assert_eq!(counting.count() - before, 1);
    fx.check_invariants();
}

fn dual_stack_transaction_lost_to_another_writer_is_retried(store: Store) {
    let counting = CountingStore::new(store);
    let fx = Fx::new(counting.clone());
    fx.pool("v4", "10.0.0.0/24");
    fx.pool("v6", "fd00:10:244::/120");
    fx.node("n", &[]);
    fx.node("m", &[]);
    fx.assign4("n", "first", 1);
    let mut first6 = Fx::req("n", "first6", 0);
    first6.num6 = 1;
    fx.ipam.auto_assign(&first6).unwrap();
    let v4_block = fx.ipam.list_blocks().unwrap()[0].value.cidr;
    // Another writer changes the IPv4 block just before the one transaction that carries
    // both families: it fails, nothing of it is kept, and the request runs again.
    counting.other_takes_before_next_txn(v4_block.nth(40), "m");
    let mut req = Fx::req("n", "h", 1);
    req.num6 = 1;
    let before = counting.count();
    let r = fx.ipam.auto_assign(&req).unwrap();
    // The lost transaction, the other writer's, and the request's again.
    assert_eq!(counting.count() - before, 3);
    assert_eq!(r.ips().len(), 2);
    let mine: Vec<IpAddr> = fx
        .allocations()
        .into_iter()
        .filter(|(_, h)| h.as_deref() == Some("h"))
        .map(|(ip, _)| ip)
        .collect();
    assert_eq!(mine, r.ips().iter().map(Cidr::addr).collect::<Vec<_>>());
    assert_eq!(fx.ipam.list_handles().unwrap().len(), 4);
    fx.check_invariants();
}

fn ipv6_only_pool_family_errors(store: Store) {
    let fx = Fx::new(store);
    fx.pool("v6", "fd00::/120");
    fx.node("n", &[]);
    let mut req = Fx::req("n", "h", 1);
    req.ipv4_pools = vec![c("fd00::/120")];
    assert_eq!(
        fx.ipam.auto_assign(&req).unwrap_err().to_string(),
        "provided IPv4 IPPools list contains one or more IPv6 IPPools"
    );
    let mut req = Fx::req("n", "h", 0);
    req.num6 = 1;
    req.ipv6_pools = vec![c("10.0.0.0/24")];
    assert_eq!(
        fx.ipam.auto_assign(&req).unwrap_err().to_string(),
        "provided IPv6 IPPools list contains one or more IPv4 IPPools"
    );
}

fn no_enabled_pool_of_the_family(store: Store) {
    let fx = Fx::new(store);
    fx.node("n", &[]);
    let err = fx.ipam.auto_assign(&Fx::req("n", "h", 1)).unwrap_err();
    assert_eq!(err.to_string(), "cannot find a qualified ippool");
    fx.pool_with("off", "10.0.0.0/24", |p| p.spec.disabled = true);
    fx.pool("v6", "fd00::/120");
    let err = fx.ipam.auto_assign(&Fx::req("n", "h", 1)).unwrap_err();
    assert_eq!(err.to_string(), "cannot find a qualified ippool");
}

fn requested_pools_must_match_exactly(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/16");
    fx.pool_with("off", "10.1.0.0/16", |p| p.spec.disabled = true);
    fx.node("n", &[]);
    for bad in ["10.0.0.0/24", "10.1.0.0/16", "10.2.0.0/16"] {
        let mut req = Fx::req("n", "h", 1);
        req.ipv4_pools = vec![c(bad)];
        assert_eq!(
            fx.ipam.auto_assign(&req).unwrap_err().to_string(),
            format!("the given pool ({bad}) does not exist, or is not enabled")
        );
    }
    let mut req = Fx::req("n", "h", 1);
    req.ipv4_pools = vec![c("10.0.0.0/16")];
    assert!(c("10.0.0.0/16").contains_ip(fx.ipam.auto_assign(&req).unwrap().ips()[0].addr()));
}

fn requested_pools_bypass_selectors_and_manual(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("a-manual", "10.0.0.0/24", |p| {
        p.spec.assignment_mode = Some("Manual".into())
    });
    fx.pool_with("b-nobody", "10.1.0.0/24", |p| {
        p.spec.node_selector = "!all()".into()
    });
    fx.node("n", &[]);
    for pool in ["10.1.0.0/24", "10.0.0.0/24"] {
        let mut req = Fx::req("n", pool, 1);
        req.ipv4_pools = vec![c(pool)];
        let got = fx.ipam.auto_assign(&req).unwrap().ips();
        assert!(c(pool).contains_ip(got[0].addr()), "{pool}");
    }
    // Order of the request is honoured when claiming (affine blocks come first, in key
    // order, so use a host that owns none).
    fx.node("m", &[]);
    let mut req = Fx::req("m", "order", 1);
    req.ipv4_pools = vec![c("10.1.0.0/24"), c("10.0.0.0/24")];
    let got = fx.ipam.auto_assign(&req).unwrap().ips();
    assert!(c("10.1.0.0/24").contains_ip(got[0].addr()));
    fx.check_invariants();
}

fn manual_pool_is_not_used_automatically(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("manual", "10.0.0.0/24", |p| {
        p.spec.assignment_mode = Some("Manual".into())
    });
    fx.node("n", &[]);
    assert_eq!(
        fx.ipam
            .auto_assign(&Fx::req("n", "h", 1))
            .unwrap_err()
            .to_string(),
        "no configured Calico pools for node n"
    );
}

fn topology_rack_pools(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("rack-0-ippool", "192.168.0.0/24", |p| {
        p.spec.node_selector = r#"rack == "0""#.into()
    });
    fx.pool_with("rack-1-ippool", "192.168.1.0/24", |p| {
        p.spec.node_selector = r#"rack == "1""#.into()
    });
    fx.node("node-0a", &[("rack", "0")]);
    fx.node("node-0b", &[("rack", "0")]);
    fx.node("node-1a", &[("rack", "1")]);
    fx.node("node-x", &[("rack", "2")]);
    for (node, pool) in [
        ("node-0a", "192.168.0.0/24"),
        ("node-0b", "192.168.0.0/24"),
        ("node-1a", "192.168.1.0/24"),
    ] {
        for i in 0..3 {
            let got = fx.assign4(node, &format!("{node}-{i}"), 1);
            assert!(c(pool).contains_ip(got[0].addr()), "{node} got {got:?}");
        }
    }
    assert_eq!(
        fx.ipam
            .auto_assign(&Fx::req("node-x", "h", 1))
            .unwrap_err()
            .to_string(),
        "no configured Calico pools for node node-x"
    );
    fx.check_invariants();
}

fn not_all_pool_only_via_explicit_request(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("reserved-for-manual", "10.9.0.0/24", |p| {
        p.spec.node_selector = "!all()".into()
    });
    fx.node("n", &[]);
    assert_eq!(
        fx.ipam
            .auto_assign(&Fx::req("n", "h", 1))
            .unwrap_err()
            .to_string(),
        "no configured Calico pools for node n"
    );
    fx.pool("general", "10.0.0.0/24");
    let got = fx.assign4("n", "h", 1);
    assert!(c("10.0.0.0/24").contains_ip(got[0].addr()));
}

fn namespace_selector(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("team-a", "10.0.0.0/24", |p| {
        p.spec.namespace_selector = "team == 'a'".into();
        p.spec.allowed_uses = vec!["Workload".into()];
    });
    fx.pool("general", "10.1.0.0/24");
    fx.node("n", &[]);
    let mut req = Fx::req("n", "h1", 4);
    req.namespace_labels = [("team".to_string(), "a".to_string())].into();
    let got = fx.ipam.auto_assign(&req).unwrap().ips();
    // Both pools select: the first in name order ("general") is tried first; both are fine.
    assert_eq!(got.len(), 4);
    // Without the label only "general" qualifies.
    let got = fx.assign4("n", "h2", 1);
    assert!(c("10.1.0.0/24").contains_ip(got[0].addr()));
}

fn allowed_uses_filter(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("tunnels", "10.0.0.0/24", |p| {
        p.spec.allowed_uses = vec!["Tunnel".into()]
    });
    fx.node("n", &[]);
    assert_eq!(
        fx.ipam
            .auto_assign(&Fx::req("n", "h", 1))
            .unwrap_err()
            .to_string(),
        "cannot find a qualified ippool, no pools match the required use (Workload)"
    );
    let mut req = Fx::req("n", "ipip-tunnel-addr-n", 1);
    req.intended_use = IntendedUse::Tunnel;
    req.attrs.insert("type".into(), "ipipTunnelAddress".into());
    assert_eq!(fx.ipam.auto_assign(&req).unwrap().ips().len(), 1);
    // Requested pools still go through the use filter.
    let mut req = Fx::req("n", "h", 1);
    req.ipv4_pools = vec![c("10.0.0.0/24")];
    assert_eq!(
        fx.ipam.auto_assign(&req).unwrap_err().to_string(),
        "cannot find a qualified ippool, no pools match the required use (Workload)"
    );
}

fn missing_node(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    let err = fx.ipam.auto_assign(&Fx::req("ghost", "h", 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "resource does not exist: Node(ghost) with error: <nil>"
    );
    assert!(err.is_not_found());
}

fn reservations_are_skipped(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/26");
    fx.node("n", &[]);
    fx.reserve("r1", &["10.0.0.0/30", "10.0.0.5"]);
    let got = fx.assign4("n", "h", 3);
    let addrs: Vec<IpAddr> = got.iter().map(|c| c.addr()).collect();
    assert_eq!(addrs, vec![ip("10.0.0.4"), ip("10.0.0.6"), ip("10.0.0.7")]);
    let b = fx.block("10.0.0.0/26").unwrap();
    // Skipped reserved ordinals stay in place at the front.
    assert_eq!(b.unallocated[..5], [0, 1, 2, 3, 5]);
    // assign_ip ignores reservations.
    fx.ipam
        .assign_ip(&AssignIpRequest {
            ip: ip("10.0.0.1"),
            handle_id: Some("manual".into()),
            attrs: BTreeMap::new(),
            hostname: "n".into(),
        })
        .unwrap();
    let usage = fx.ipam.pool_usage().unwrap();
    assert_eq!(usage[0].allocated, 4);
    assert_eq!(usage[0].reserved, 4);
    assert_eq!(usage[0].free, 56);
    let bu = fx.ipam.block_usage().unwrap();
    assert_eq!((bu[0].allocated, bu[0].reserved, bu[0].free), (4, 4, 56));
    fx.check_invariants();
}

fn excluded_addresses_are_skipped_for_that_request(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("p", "10.0.0.0/29", |p| p.spec.block_size = 30);
    fx.node("n", &[]);
    // The pool's first and last addresses are excluded: 6 of the 8 are there to take, the
    // rest of both blocks is left as it was.
    let mut req = Fx::req("n", "h", 8);
    req.excluded = vec![c("10.0.0.0/32"), c("10.0.0.7/32")];
    let v4 = fx.ipam.auto_assign(&req).unwrap().ipv4.unwrap();
    let addrs: Vec<IpAddr> = v4.ips.iter().map(|c| c.addr()).collect();
    let want: Vec<IpAddr> = (1..=6).map(|i| ip(&format!("10.0.0.{i}"))).collect();
    assert_eq!(addrs, want);
    assert_eq!(
        v4.partial_fulfillment_error().unwrap(),
        "Assigned 6 out of 8 requested IPv4 addresses; No IPs available in pools: [10.0.0.0/29]"
    );
    assert_eq!(fx.block("10.0.0.0/30").unwrap().unallocated, [0]);
    assert_eq!(fx.block("10.0.0.4/30").unwrap().unallocated, [3]);
    // Another request, without exclusions, gets them.
    let got = fx.assign4("n", "other", 2);
    let addrs: Vec<IpAddr> = got.iter().map(|c| c.addr()).collect();
    assert_eq!(addrs, vec![ip("10.0.0.0"), ip("10.0.0.7")]);
    fx.check_invariants();
}

fn fully_reserved_blocks_are_skipped(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("n", &[]);
    // Three of four blocks reserved by two overlapping reservations.
    fx.reserve("r1", &["10.0.0.0/25", "10.0.0.64/27"]);
    fx.reserve("r2", &["10.0.0.96/27", "10.0.0.128/26"]);
    for i in 0..5 {
        let got = fx.assign4("n", &format!("h{i}"), 1);
        assert!(c("10.0.0.192/26").contains_ip(got[0].addr()));
    }
    assert_eq!(fx.ipam.list_blocks().unwrap().len(), 1);
}

fn fully_reserved_pool_reports_exhaustion(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/25");
    fx.node("n", &[]);
    fx.reserve("all", &["10.0.0.0/24"]);
    let r = fx.ipam.auto_assign(&Fx::req("n", "h", 1)).unwrap();
    let v4 = r.ipv4.unwrap();
    assert!(v4.ips.is_empty());
    assert_eq!(
        v4.partial_fulfillment_error().unwrap(),
        "Assigned 0 out of 1 requested IPv4 addresses; No IPs available in pools: [10.0.0.0/25]"
    );
}

fn block_cap_from_request_stops_without_borrowing(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("a", &[]);
    fx.node("b", &[]);
    // b owns a block with plenty of room: borrowing would be possible.
    fx.assign4("b", "hb", 1);
    let mut req = Fx::req("a", "ha", 64);
    req.max_blocks_per_host = 1;
    assert_eq!(fx.ipam.auto_assign(&req).unwrap().ips().len(), 64);
    let mut req = Fx::req("a", "ha2", 1);
    req.max_blocks_per_host = 1;
    let err = fx.ipam.auto_assign(&req).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot allocate new block due to per host block limit"
    );
    assert!(matches!(err, IpamError::BlockLimit));
    // A request that filled its block and then hit the cap leaves nothing behind.
    let mut req = Fx::req("b", "hb2", 100);
    req.max_blocks_per_host = 1;
    assert!(fx.ipam.auto_assign(&req).is_err());
    assert!(fx.ipam.ips_by_handle("hb2").is_err());
    assert_eq!(fx.allocations().len(), 65);
    fx.check_invariants();
}

fn block_cap_from_config(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("a", &[]);
    fx.set_config(true, true, 2);
    assert_eq!(fx.assign4("a", "h1", 128).len(), 128);
    let err = fx.ipam.auto_assign(&Fx::req("a", "h2", 1)).unwrap_err();
    assert!(matches!(err, IpamError::BlockLimit));
    // The request cannot loosen the configured cap, only tighten it.
    let mut req = Fx::req("a", "h3", 1);
    req.max_blocks_per_host = 10;
    assert!(matches!(
        fx.ipam.auto_assign(&req).unwrap_err(),
        IpamError::BlockLimit
    ));
    assert_eq!(config::block_cap(&fx.ipam.get_config().unwrap(), 1), 1);
    assert_eq!(config::block_cap(&IpamConfig::default(), 0), 20);
}

fn borrowing_from_another_host(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/25");
    fx.node("a", &[]);
    fx.node("b", &[]);
    let a = fx.assign4("a", "ha", 64);
    let b = fx.assign4("b", "hb", 1);
    assert_ne!(a[0].network(), b[0].network());
    let borrowed = fx.assign4("a", "ha2", 2);
    assert_eq!(borrowed.len(), 2);
    assert_eq!(borrowed[0].network(), b[0].network());
    let blk = fx.block(&b[0].network().to_string()).unwrap();
    assert_eq!(blk.affinity.as_deref(), Some("host:b"), "owner unchanged");
    let attrs = fx
        .ipam
        .get_assignment_attributes(borrowed[0].addr())
        .unwrap();
    assert_eq!(attrs.attrs["node"], "a");
    assert_eq!(attrs.block_affinity.as_deref(), Some("host:b"));
    // Nothing more anywhere: short result with Calico's message.
    let r = fx.ipam.auto_assign(&Fx::req("a", "ha3", 70)).unwrap();
    let v4 = r.ipv4.unwrap();
    assert_eq!(v4.ips.len(), 61);
    assert_eq!(
        v4.partial_fulfillment_error().unwrap(),
        "Assigned 61 out of 70 requested IPv4 addresses; No IPs available in pools: [10.0.0.0/25]"
    );
    fx.check_invariants();
}

fn strict_affinity_never_borrows(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/25");
    fx.node("a", &[]);
    fx.node("b", &[]);
    fx.set_config(true, true, 0);
    fx.assign4("a", "ha", 64);
    fx.assign4("b", "hb", 1);
    let r = fx.ipam.auto_assign(&Fx::req("a", "ha2", 1)).unwrap();
    assert_eq!(
        r.ipv4.unwrap().partial_fulfillment_error().unwrap(),
        "Assigned 0 out of 1 requested IPv4 addresses; No more free affine blocks and strict affinity enabled"
    );
}

fn auto_allocate_off_fails_to_claim(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("a", &[]);
    fx.set_config(true, false, 0);
    assert_eq!(
        fx.ipam
            .auto_assign(&Fx::req("a", "h", 1))
            .unwrap_err()
            .to_string(),
        "failed to find or claim a block"
    );
    // A block claimed explicitly is used.
    fx.ipam.claim_affinity(c("10.0.0.64/26"), "a").unwrap();
    let got = fx.assign4("a", "h", 1);
    assert_eq!(got[0], c("10.0.0.64/26"));
}

fn exhausted_pool_message(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/26");
    fx.pool("q", "10.0.1.0/26");
    fx.node("a", &[]);
    let r = fx.ipam.auto_assign(&Fx::req("a", "h", 130)).unwrap();
    let v4 = r.ipv4.unwrap();
    assert_eq!(v4.ips.len(), 128);
    assert_eq!(
        v4.partial_fulfillment_error().unwrap(),
        "Assigned 128 out of 130 requested IPv4 addresses; No IPs available in pools: [10.0.0.0/26 10.0.1.0/26]"
    );
}

fn second_family_error_rolls_back_the_first(store: Store) {
    let fx = Fx::new(store);
    fx.pool("v4", "10.0.0.0/24");
    fx.node("n", &[]);
    let mut req = Fx::req("n", "h", 1);
    req.num6 = 1;
    // There is no IPv6 pool: IPv4 is planned, IPv6 errors, IPv4 is never written.
    let counting = CountingStore::new(fx.store().clone());
    let fx = Fx::new(counting.clone());
    fx.ipam.get_config().unwrap();
    let before = counting.count();
    assert_eq!(
        fx.ipam.auto_assign(&req).unwrap_err().to_string(),
        "cannot find a qualified ippool"
    );
    assert_eq!(counting.count() - before, 0);
    assert!(fx.allocations().is_empty());
    assert!(fx.ipam.list_handles().unwrap().is_empty());
    fx.check_invariants();
}

fn assign_ip_rules(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.pool_with("off", "10.1.0.0/24", |p| p.spec.disabled = true);
    fx.node("n", &[]);
    let req = |addr: &str, host: &str| AssignIpRequest {
        ip: ip(addr),
        handle_id: Some(format!("h-{addr}")),
        attrs: [("node".to_string(), host.to_string())].into(),
        hostname: host.to_string(),
    };
    let got = fx.ipam.assign_ip(&req("10.0.0.77", "n")).unwrap();
    assert_eq!(got.ip, c("10.0.0.77/26"));
    // The block was claimed for the host.
    let b = fx.block("10.0.0.64/26").unwrap();
    assert_eq!(b.affinity.as_deref(), Some("host:n"));
    assert!(b.is_allocated(13));
    assert!(!b.unallocated.contains(&13));
    assert_eq!(b.sequence_number_of(13), got.sequence_number);
    assert_eq!(
        fx.ipam
            .assign_ip(&req("10.0.0.77", "n"))
            .unwrap_err()
            .to_string(),
        "resource already exists: 10.0.0.77 with error: Address already assigned in block"
    );
    for outside in ["10.1.0.5", "10.2.0.5", "fd00::1"] {
        assert_eq!(
            fx.ipam
                .assign_ip(&req(outside, "n"))
                .unwrap_err()
                .to_string(),
            "The provided IP address is not in a configured pool\n"
        );
    }
    // Another host's block, strict affinity off: allowed (a borrowed specific address).
    fx.ipam.assign_ip(&req("10.0.0.78", "other")).unwrap();
    // Automatic assignment then continues after the used ordinals.
    let auto = fx.assign4("n", "auto", 1);
    assert_eq!(auto[0].network(), c("10.0.0.64/26"));
    assert_eq!(auto[0].addr(), ip("10.0.0.64"));
    fx.check_invariants();
}

fn assign_ip_strict_affinity(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("a", &[]);
    fx.set_config(true, true, 0);
    let req = |addr: &str, host: &str| AssignIpRequest {
        ip: ip(addr),
        handle_id: None,
        attrs: BTreeMap::new(),
        hostname: host.to_string(),
    };
    fx.ipam.assign_ip(&req("10.0.0.1", "a")).unwrap();
    assert_eq!(
        fx.ipam
            .assign_ip(&req("10.0.0.2", "b"))
            .unwrap_err()
            .to_string(),
        "Block host affinity does not match"
    );
    // Release the affinity (block keeps its address, loses its owner).
    fx.ipam
        .release_affinity(c("10.0.0.0/26"), "a", false)
        .unwrap();
    assert_eq!(
        fx.ipam
            .assign_ip(&req("10.0.0.2", "a"))
            .unwrap_err()
            .to_string(),
        "Attempt to assign from block 10.0.0.0/26 with no affinity"
    );
    // Handle-less allocations write `handle_id: null`.
    let b = fx.block("10.0.0.0/26").unwrap();
    assert_eq!(b.attribute_of(1).unwrap().handle_id, None);
}

fn stale_and_dangling_affinities_are_repaired(store: Store) {
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/26");
    fx.pool("q", "10.0.1.0/26");
    fx.node("a", &[]);
    fx.node("b", &[]);
    // b owns 10.0.0.0/26; a carries a stale affinity for it.
    fx.ipam.claim_affinity(c("10.0.0.0/26"), "b").unwrap();
    let stale = keys::host_affinity("a", &c("10.0.0.0/26"));
    // A pending affinity for a block that does not exist (a claim that died half way).
    let dangling = keys::host_affinity("a", &c("10.0.1.0/26"));
    for k in [&stale, &dangling] {
        store
            .txn(crate::datastore::Txn::new().put(
                k.as_str(),
                br#"{"state":"pending","deleted":false}"#.to_vec(),
            ))
            .unwrap();
    }
    let got = fx.assign4("a", "h", 1);
    assert_eq!(got[0], c("10.0.1.0/26"));
    assert_eq!(fx.raw(&stale), None, "stale affinity deleted");
    assert_eq!(
        fx.raw(&dangling).unwrap(),
        r#"{"state":"confirmed","deleted":false}"#
    );
    fx.check_invariants();
    // A pending affinity whose block is ours gets confirmed.
    store
        .txn(crate::datastore::Txn::new().put(
            dangling.as_str(),
            br#"{"state":"pending","deleted":false}"#.to_vec(),
        ))
        .unwrap();
    fx.assign4("a", "h2", 1);
    assert_eq!(
        fx.raw(&dangling).unwrap(),
        r#"{"state":"confirmed","deleted":false}"#
    );
    // Legacy empty affinity values read as confirmed.
    store
        .txn(crate::datastore::Txn::new().put(dangling.as_str(), Vec::new()))
        .unwrap();
    assert_eq!(fx.assign4("a", "h3", 1)[0].network(), c("10.0.1.0/26"));
}

fn claim_fails_when_pool_is_disabled_meanwhile(store: Store) {
    let counting = CountingStore::new(store);
    let fx = Fx::new(counting.clone());
    let pool = fx.pool("p", "10.0.0.0/24");
    fx.node("n", &[]);
    fx.ipam.get_config().unwrap();
    // Disable the pool just before the claim transaction.
    counting.before_txn(0, move |inner| {
        let client = Client::new(inner.clone());
        let mut p: IpPool = client.get(None, &pool.metadata.name).unwrap();
        p.spec.disabled = true;
        client.update(p).unwrap();
    });
    let r = fx.ipam.auto_assign(&Fx::req("n", "h", 1)).unwrap();
    assert!(r.ips().is_empty());
    assert!(fx.ipam.list_blocks().unwrap().is_empty());
    assert!(fx.ipam.list_affinities().unwrap().is_empty());
    fx.check_invariants();
}

fn affinity_of_pool_no_longer_selecting_node_is_dropped(store: Store) {
    let fx = Fx::new(store);
    fx.pool_with("rack-0", "10.0.0.0/24", |p| {
        p.spec.node_selector = "rack == '0'".into()
    });
    fx.pool("rest", "10.1.0.0/24");
    fx.node("n", &[("rack", "0")]);
    let first = fx.assign4("n", "h1", 1);
    let second = fx.assign4("n", "h2", 1);
    assert!(c("10.0.0.0/24").contains_ip(first[0].addr()));
    // Relabel the node: rack-0 no longer selects it.
    let mut node: Node = fx.ipam.client().get(None, "n").unwrap();
    node.metadata.labels.insert("rack".into(), "1".into());
    fx.ipam.client().update(node).unwrap();
    // Non-empty block keeps its affinity while it holds addresses.
    let got = fx.assign4("n", "h3", 1);
    assert!(c("10.1.0.0/24").contains_ip(got[0].addr()));
    let block = first[0].network();
    assert!(fx.raw(&keys::host_affinity("n", &block)).is_some());
    // Releasing its last address releases the block and its affinity.
    fx.ipam.release_by_handle("h1").unwrap();
    fx.ipam.release_by_handle("h2").unwrap();
    assert_eq!(second[0].network(), block);
    assert!(fx.raw(&keys::host_affinity("n", &block)).is_none());
    assert!(fx.block(&block.to_string()).is_none());
    fx.check_invariants();
}

fn newer_calico_fields_survive_an_assignment(store: Store) {
    let fx = Fx::new(store.clone());
    fx.pool_with("p", "10.0.0.0/30", |p| p.spec.block_size = 30);
    fx.node("n", &[]);
    // A block written by a newer Calico with ordinal 1 cooling down.
    let head = r#"{"cidr":"10.0.0.0/30","affinity":"host:n","affinity_claim_time":"2026-08-22T10:00:00Z","allocations":[null,0,null,null],"unallocated":[0,2,3],"attributes":[{"releasedAt":"2026-08-22T10:00:05Z"}],"sequenceNumber":10,"sequenceNumberForAllocation":{},"deleted":false}"#;
    let block = c("10.0.0.0/30");
    store
        .txn(
            crate::datastore::Txn::new()
                .put(keys::block(&block), head.as_bytes().to_vec())
                .put(
                    keys::host_affinity("n", &block),
                    br#"{"state":"confirmed","deleted":false}"#.to_vec(),
                ),
        )
        .unwrap();
    let mut req = Fx::req("n", "h", 3);
    req.ipv4_pools = vec![c("10.0.0.0/30")];
    let got = fx.ipam.auto_assign(&req).unwrap().ipv4.unwrap();
    let addrs: Vec<_> = got.ips.iter().map(|c| c.addr()).collect();
    assert_eq!(addrs, vec![ip("10.0.0.0"), ip("10.0.0.2"), ip("10.0.0.3")]);
    let raw = fx.raw(&keys::block(&block)).unwrap();
    assert!(raw.contains(r#""affinity_claim_time":"2026-08-22T10:00:00Z""#));
    assert!(
        raw.contains(r#"{"handle_id":null,"secondary":null,"releasedAt":"2026-08-22T10:00:05Z"}"#)
    );
    // Releasing the cooling-down address reports it as not allocated.
    let un = fx
        .ipam
        .release_ips(&[ReleaseOptions::ip(ip("10.0.0.1"))])
        .unwrap();
    assert_eq!(un, vec![ip("10.0.0.1")]);
}
