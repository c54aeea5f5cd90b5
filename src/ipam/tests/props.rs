//! Property test: random interleavings of assignment and release (several hosts, several
//! handles, both families, strict affinity on and off, tiny pools so that claims, borrowing,
//! caps and exhaustion all happen) keep every invariant, and the store always holds exactly
//! the addresses the calls handed out.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const HOSTS: [&str; 3] = ["node-a", "node-b", "node-c"];
const HANDLES: usize = 5;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Assign {
        host: usize,
        handle: usize,
        n4: usize,
        n6: usize,
        cap: usize,
    },
    AssignIp {
        host: usize,
        handle: usize,
        offset: u8,
    },
    ReleaseHandle(usize),
    ReleaseIp {
        pick: usize,
        guarded: bool,
    },
    ReleaseHost(usize),
    Strict(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..HOSTS.len(), 0..HANDLES, 0usize..6, 0usize..3, 0usize..4).prop_map(
            |(host, handle, n4, n6, cap)| Op::Assign { host, handle, n4, n6, cap }
        ),
        1 => (0..HOSTS.len(), 0..HANDLES, any::<u8>())
            .prop_map(|(host, handle, offset)| Op::AssignIp { host, handle, offset }),
        2 => (0..HANDLES).prop_map(Op::ReleaseHandle),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, guarded)| Op::ReleaseIp { pick, guarded }),
        1 => (0..HOSTS.len()).prop_map(Op::ReleaseHost),
        1 => any::<bool>().prop_map(Op::Strict),
    ]
}

/// Address → (handle, sequence number), as the calls reported them.
type Model = BTreeMap<IpAddr, (String, u64)>;

fn handle_name(i: usize) -> String {
    format!("k8s-pod-network.h{i}")
}

/// Runs one sequence of operations against `store`, checking after every step.
pub(crate) fn run_ops(store: Store, ops: &[Op]) {
    let fx = Fx::new(store);
    let v4 = c("10.0.0.0/27");
    fx.pool_with("a-v4", "10.0.0.0/27", |p| p.spec.block_size = 29);
    fx.pool_with("b-v6", "fd00::/124", |p| p.spec.block_size = 126);
    for h in HOSTS {
        fx.node(h, &[]);
    }
    fx.reserve("r", &["10.0.0.5", "fd00::2/127"]);
    let reserved = Reservations::from_cidrs([c("10.0.0.5/32"), c("fd00::2/127")]);
    let mut model = Model::new();
    for op in ops {
        match op.clone() {
            Op::Assign {
                host,
                handle,
                n4,
                n6,
                cap,
            } => {
                let mut req = Fx::req(HOSTS[host], &handle_name(handle), n4);
                req.num6 = n6;
                req.max_blocks_per_host = cap;
                match fx.ipam.auto_assign(&req) {
                    Ok(r) => {
                        for fam in r.ipv4.iter().chain(&r.ipv6) {
                            assert!(fam.ips.len() <= fam.num_requested);
                            for (ip, seq) in fam.ips.iter().zip(&fam.sequence_numbers) {
                                assert!(
                                    !reserved.matches_ip(ip.addr()),
                                    "reserved {ip} handed out"
                                );
                                let prev = model.insert(ip.addr(), (handle_name(handle), *seq));
                                assert!(prev.is_none(), "{ip} handed out twice");
                            }
                        }
                    }
                    // One caller, no one to conflict with: retries never run out.
                    Err(e) => assert!(
                        !matches!(e, IpamError::MaxRetries | IpamError::Restart),
                        "auto_assign: {e}"
                    ),
                }
            }
            Op::AssignIp {
                host,
                handle,
                offset,
            } => {
                let addr = v4.nth(u128::from(offset % 32));
                let r = fx.ipam.assign_ip(&AssignIpRequest {
                    ip: addr,
                    handle_id: Some(handle_name(handle)),
                    attrs: BTreeMap::new(),
                    hostname: HOSTS[host].to_string(),
                });
                match r {
                    Ok(got) => {
                        let prev = model.insert(addr, (handle_name(handle), got.sequence_number));
                        assert!(prev.is_none(), "{addr} assigned twice");
                    }
                    Err(IpamError::AlreadyAssigned(a)) => assert!(model.contains_key(&a)),
                    // Strict affinity and someone else's (or nobody's) block.
                    Err(IpamError::HostAffinityMismatch) | Err(IpamError::NoBlockAffinity(_)) => {}
                    Err(e) => panic!("assign_ip {addr}: {e}"),
                }
            }
            Op::ReleaseHandle(h) => {
                let id = handle_name(h);
                match fx.ipam.release_by_handle(&id) {
                    Ok(()) => model.retain(|_, (hh, _)| *hh != id),
                    Err(e) => {
                        assert!(e.is_not_found(), "{e}");
                        assert!(model.values().all(|(hh, _)| *hh != id));
                    }
                }
            }
            Op::ReleaseIp { pick, guarded } => {
                if model.is_empty() {
                    let un = fx
                        .ipam
                        .release_ips(&[ReleaseOptions::ip(ip("10.0.0.31"))])
                        .unwrap();
                    assert_eq!(un, vec![ip("10.0.0.31")]);
                    continue;
                }
                let (addr, (h, seq)) = model
                    .iter()
                    .nth(pick % model.len())
                    .map(|(a, v)| (*a, v.clone()))
                    .unwrap();
                let opt = if guarded {
                    ReleaseOptions {
                        address: addr,
                        handle: Some(h),
                        sequence_number: Some(seq),
                    }
                } else {
                    ReleaseOptions::ip(addr)
                };
                assert_eq!(fx.ipam.release_ips(&[opt]).unwrap(), Vec::<IpAddr>::new());
                model.remove(&addr);
            }
            Op::ReleaseHost(h) => {
                fx.ipam.release_host_affinities(HOSTS[h], false).unwrap();
            }
            Op::Strict(on) => fx.set_config(on, true, 0),
        }
        fx.check_invariants();
        let stored = fx.allocations();
        let want: BTreeMap<IpAddr, Option<String>> = model
            .iter()
            .map(|(a, (h, _))| (*a, Some(h.clone())))
            .collect();
        assert_eq!(stored, want, "after {op:?}");
        let mut seqs = BTreeMap::new();
        for b in fx.ipam.list_blocks().unwrap() {
            for o in (0..b.value.size()).filter(|o| b.value.is_allocated(*o)) {
                seqs.insert(b.value.ip_of(o), b.value.sequence_number_of(o));
            }
        }
        for (a, (_, seq)) in &model {
            assert_eq!(seqs[a], *seq, "sequence number of {a}");
        }
    }
}

/// Runs `cases` random sequences, each on a fresh store from `make` (for other backends).
#[allow(dead_code)]
pub(crate) fn run_random(make: &dyn Fn() -> Store, cases: u32) {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&prop::collection::vec(op(), 1..48), |ops| {
            run_ops(make(), &ops);
            Ok(())
        })
        .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "testdata/proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_interleavings_keep_invariants(ops in prop::collection::vec(op(), 1..48)) {
        run_ops(mem(), &ops);
    }
}
