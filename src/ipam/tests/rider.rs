//! Riders: a caller's writes committed with every transaction that assigns addresses.

use super::*;
use crate::datastore::keys;

store_tests!(memory, mem();
    rider_goes_with_every_transaction_that_assigns,
    rider_of_a_request_that_comes_up_short,
    rider_whose_key_changed_is_asked_again,
    rider_error_releases_what_the_request_took,
    rider_of_a_specific_address,
    rider_of_a_release_by_handle,
    rider_reads_go_with_the_first_read,
);

const KEY: &str = "/calico/resources/v3/projectcalico.org/workloadendpoints/ns/rider-test";

/// Records what it is asked and writes the addresses, comma-separated, at [`KEY`].
struct TestRider {
    store: Store,
    /// The key's revision as last known (0: assumed absent).
    known: i64,
    /// Read the key's revision before the next write.
    reread: bool,
    /// Refuse the call with this index.
    fail_at: Option<usize>,
    /// Delete the key instead of writing it.
    delete: bool,
    /// Have the key read with the operation's first read ([`Rider::reads`]).
    reads: bool,
    /// The answers [`Rider::read`] was given.
    answers: Vec<Option<i64>>,
    calls: Vec<Vec<Cidr>>,
    /// Revisions of the commits that carried our writes.
    commits: Vec<i64>,
    conflicts: usize,
}

impl TestRider {
    fn new(store: &Store) -> TestRider {
        TestRider {
            store: store.clone(),
            known: 0,
            reread: false,
            fail_at: None,
            delete: false,
            reads: false,
            answers: Vec::new(),
            calls: Vec::new(),
            commits: Vec::new(),
            conflicts: 0,
        }
    }

    fn committed(&self) -> Option<i64> {
        self.commits.last().copied()
    }
}

impl Rider for TestRider {
    fn reads(&self) -> Vec<String> {
        if self.reads {
            vec![KEY.to_string()]
        } else {
            Vec::new()
        }
    }

    fn read(&mut self, answers: Vec<Option<crate::datastore::KeyValue>>) -> Result<()> {
        assert_eq!(answers.len(), 1);
        let revision = answers[0].as_ref().map(|kv| kv.mod_revision);
        self.answers.push(revision);
        self.known = revision.unwrap_or(0);
        Ok(())
    }

    fn writes(&mut self, assigned: &[Cidr]) -> Result<Vec<RiderWrite>> {
        self.calls.push(assigned.to_vec());
        if self.fail_at == Some(self.calls.len() - 1) {
            return Err(IpamError::Aborted("the rider refused".into()));
        }
        if std::mem::take(&mut self.reread) {
            self.known = self.store.get(KEY)?.map_or(0, |kv| kv.mod_revision);
        }
        let revision = self.known;
        let value: Vec<String> = assigned.iter().map(Cidr::to_string).collect();
        Ok(vec![RiderWrite {
            key: KEY.to_string(),
            revision,
            value: (!self.delete).then(|| value.join(",").into_bytes()),
        }])
    }

    fn committed(&mut self, revision: i64) {
        self.known = revision;
        self.commits.push(revision);
    }

    fn conflicted(&mut self) {
        self.conflicts += 1;
        self.reread = true;
    }
}

fn mod_revision(fx: &Fx, key: &str) -> i64 {
    fx.store().get(key).unwrap().unwrap().mod_revision
}

/// Pools `v4` (blocks of 4 addresses) and `fd00::/120`, node `n`, and a request for `num4`
/// IPv4 and one IPv6 address for handle `h` on it.
fn dual_stack(store: Store, v4: &str, num4: usize) -> (Fx, AutoAssignRequest) {
    let fx = Fx::new(store);
    fx.pool_with("v4", v4, |p| p.spec.block_size = 30);
    fx.pool("v6", "fd00::/120");
    fx.node("n", &[]);
    let mut req = Fx::req("n", "h", num4);
    req.num6 = 1;
    (fx, req)
}

/// Six IPv4 addresses and one IPv6 address (see [`dual_stack`]), with a [`TestRider`].
fn six_and_one(store: Store, v4: &str) -> (Fx, TestRider, AutoAssignResult) {
    let (fx, req) = dual_stack(store, v4, 6);
    let mut rider = TestRider::new(fx.store());
    let r = fx.ipam.auto_assign_with(&req, Some(&mut rider)).unwrap();
    (fx, rider, r)
}

fn rider_goes_with_every_transaction_that_assigns(store: Store) {
    // 6 IPv4 addresses take two blocks; the second goes in one transaction with the IPv6
    // address.
    let (fx, rider, r) = six_and_one(store, "10.0.0.0/24");
    let (v4, v6) = (r.ipv4.unwrap().ips, r.ipv6.unwrap().ips);
    assert_eq!((v4.len(), v6.len()), (6, 1));
    // Asked once per take, with what the request holds after it, IPv4 first; the later
    // write of a transaction replaces the earlier.
    let all: Vec<Cidr> = v4.iter().chain(&v6).copied().collect();
    assert_eq!(rider.calls, vec![v4[..4].to_vec(), v4.clone(), all.clone()]);
    let value: Vec<String> = all.iter().map(Cidr::to_string).collect();
    assert_eq!(fx.raw(KEY).unwrap(), value.join(","));
    // Each write went with its blocks: the same revisions, and the key at the last.
    let v6_block = mod_revision(&fx, &keys::block(&v6[0].network()));
    assert_eq!(
        rider.commits,
        vec![mod_revision(&fx, &keys::block(&v4[0].network())), v6_block]
    );
    assert_eq!(mod_revision(&fx, &keys::block(&v4[4].network())), v6_block);
    assert_eq!(mod_revision(&fx, KEY), rider.committed().unwrap());
    assert_eq!(
        mod_revision(&fx, &keys::handle("h")),
        rider.committed().unwrap()
    );
    assert_eq!(rider.conflicts, 0);
    fx.check_invariants();
}

fn rider_of_a_request_that_comes_up_short(store: Store) {
    // IPv4 comes up short (4 of 6): what the rider recorded lists what the request holds.
    let (fx, rider, r) = six_and_one(store, "10.0.0.0/30");
    assert_eq!(r.ipv4.as_ref().unwrap().ips.len(), 4);
    assert_eq!(r.ipv6.as_ref().unwrap().ips.len(), 1);
    let held: Vec<String> = r.ips().iter().map(Cidr::to_string).collect();
    assert_eq!(rider.calls.len(), 2);
    assert_eq!(fx.raw(KEY).unwrap(), held.join(","));
    assert_eq!(mod_revision(&fx, KEY), rider.committed().unwrap());
    fx.check_invariants();
}

fn rider_whose_key_changed_is_asked_again(store: Store) {
    let counting = CountingStore::new(store);
    let fx = Fx::new(counting.clone());
    fx.pool("v4", "10.0.0.0/24");
    fx.node("n", &[]);
    fx.assign4("n", "first", 1);
    // The rider's key exists (an endpoint left by an earlier container of the pod), and the
    // rider assumes it absent: the transaction fails, the rider reads it and is asked again.
    fx.store()
        .txn(crate::datastore::Txn::new().put(KEY, b"old".to_vec()))
        .unwrap();
    let mut rider = TestRider::new(fx.store());
    let before = counting.count();
    let r = fx
        .ipam
        .auto_assign_with(&Fx::req("n", "h", 1), Some(&mut rider))
        .unwrap();
    let v4 = r.ipv4.unwrap().ips;
    assert_eq!(
        counting.count() - before,
        2,
        "one failed and one good transaction"
    );
    assert_eq!(rider.conflicts, 1);
    assert_eq!(rider.calls, vec![v4.clone(), v4.clone()]);
    assert_eq!(fx.raw(KEY).unwrap(), v4[0].to_string());
    assert_eq!(mod_revision(&fx, KEY), rider.committed().unwrap());
    // Assigned once: the failed transaction took nothing.
    assert_eq!(fx.allocations().len(), 2);
    fx.check_invariants();
}

fn rider_error_releases_what_the_request_took(store: Store) {
    let (fx, req) = dual_stack(store, "10.0.0.0/24", 6);
    // Refused at once: nothing is written.
    let mut rider = TestRider::new(fx.store());
    rider.fail_at = Some(0);
    let err = fx
        .ipam
        .auto_assign_with(&req, Some(&mut rider))
        .unwrap_err();
    assert_eq!(err.to_string(), "the rider refused");
    assert_eq!((rider.calls.len(), rider.committed()), (1, None));
    assert!(fx.allocations().is_empty(), "{:?}", fx.allocations());
    assert_eq!(fx.raw(KEY), None);
    // Refused for the IPv6 take, which carries IPv4's second block: the 4 addresses of the
    // first block, committed before, are released; the rider's write that went with them
    // stays, for the caller to undo.
    let mut rider = TestRider::new(fx.store());
    rider.fail_at = Some(2);
    let err = fx
        .ipam
        .auto_assign_with(&req, Some(&mut rider))
        .unwrap_err();
    assert_eq!(err.to_string(), "the rider refused");
    assert_eq!(rider.calls.len(), 3);
    assert_eq!(rider.commits.len(), 1);
    assert!(fx.allocations().is_empty(), "{:?}", fx.allocations());
    assert!(fx.ipam.list_handles().unwrap().is_empty());
    let first: Vec<String> = rider.calls[0].iter().map(Cidr::to_string).collect();
    assert_eq!(fx.raw(KEY).unwrap(), first.join(","));
    assert_eq!(mod_revision(&fx, KEY), rider.committed().unwrap());
    fx.check_invariants();
}

fn rider_of_a_specific_address(store: Store) {
    let fx = Fx::new(store);
    fx.pool("v4", "10.0.0.0/24");
    fx.node("n", &[]);
    let req = |addr: &str, handle: &str| AssignIpRequest {
        ip: ip(addr),
        handle_id: Some(handle.to_string()),
        attrs: [("node".to_string(), "n".to_string())].into(),
        hostname: "n".to_string(),
    };
    // A fresh block (claimed in the same transaction), the rider's key absent.
    let mut rider = TestRider::new(fx.store());
    let got = fx
        .ipam
        .assign_ip_with(&req("10.0.0.7", "a"), Some(&mut rider))
        .unwrap();
    assert_eq!(got.ip, c("10.0.0.7/26"));
    assert_eq!(rider.calls, vec![vec![c("10.0.0.7/26")]]);
    let revision = rider.committed().unwrap();
    assert_eq!(mod_revision(&fx, KEY), revision);
    assert_eq!(mod_revision(&fx, &keys::block(&c("10.0.0.0/26"))), revision);
    // The key exists now and a new rider assumes it absent: asked again after the conflict.
    let mut rider = TestRider::new(fx.store());
    fx.ipam
        .assign_ip_with(&req("10.0.0.8", "b"), Some(&mut rider))
        .unwrap();
    assert_eq!(rider.conflicts, 1);
    assert_eq!(fx.raw(KEY).unwrap(), "10.0.0.8/26");
    // A refused address commits no rider write.
    let mut rider = TestRider::new(fx.store());
    rider.reread = true;
    let err = fx
        .ipam
        .assign_ip_with(&req("10.0.0.8", "c"), Some(&mut rider))
        .unwrap_err();
    assert!(matches!(err, IpamError::AlreadyAssigned(_)), "{err}");
    assert!(rider.calls.is_empty());
    assert_eq!(fx.raw(KEY).unwrap(), "10.0.0.8/26");
    fx.check_invariants();
}

fn rider_of_a_release_by_handle(store: Store) {
    let (fx, req) = dual_stack(store, "10.0.0.0/24", 1);
    let mut rider = TestRider::new(fx.store());
    let got = fx
        .ipam
        .auto_assign_with(&req, Some(&mut rider))
        .unwrap()
        .ips();
    let written = rider.committed().unwrap();
    // An unknown handle: not asked, nothing written.
    let mut remover = TestRider::new(fx.store());
    remover.delete = true;
    let err = fx
        .ipam
        .release_by_handle_with("other", Some(&mut remover))
        .unwrap_err();
    assert!(matches!(err, IpamError::HandleNotFound(_)), "{err}");
    assert!(remover.calls.is_empty());
    // The key changed since the remover read it: asked again; then the key goes in the
    // transaction that releases both addresses (both blocks, the handle).
    fx.store()
        .txn(crate::datastore::Txn::new().put(KEY, b"changed".to_vec()))
        .unwrap();
    remover.known = written;
    fx.ipam
        .release_by_handle_with("h", Some(&mut remover))
        .unwrap();
    assert_eq!(remover.calls, vec![Vec::<Cidr>::new(), Vec::new()]);
    assert_eq!(remover.conflicts, 1);
    assert_eq!(fx.raw(KEY), None);
    assert!(fx.allocations().is_empty());
    assert!(fx.ipam.list_handles().unwrap().is_empty());
    let revision = remover.committed().unwrap();
    assert_eq!(fx.store().revision().unwrap(), revision);
    for ip in got {
        // Fresh blocks emptied by the release keep their affinity: written at that revision.
        assert_eq!(mod_revision(&fx, &keys::block(&ip.network())), revision);
    }
    fx.check_invariants();
}

fn rider_reads_go_with_the_first_read(store: Store) {
    let counting = CountingStore::new(store.clone());
    let fx = Fx::new(counting.clone());
    fx.pool("v4", "10.0.0.0/24");
    fx.node("n", &[]);
    fx.assign4("n", "first", 1);
    fx.ipam.get_config().unwrap();
    // The rider's key exists (an endpoint left by an earlier container of the pod).
    let old = fx
        .store()
        .txn(crate::datastore::Txn::new().put(KEY, b"old".to_vec()))
        .unwrap()
        .revision;
    let delta = |before: (usize, usize, usize, usize)| {
        let after = counting.stats();
        (
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2,
            after.3 - before.3,
        )
    };

    // Automatic assignment: read with the request's batch; no failed compare, no extra
    // round trip (request batch, blocks batch, one transaction).
    let mut rider = TestRider::new(fx.store());
    rider.reads = true;
    let before = counting.stats();
    let got = fx
        .ipam
        .auto_assign_with(&Fx::req("n", "a", 1), Some(&mut rider))
        .unwrap()
        .ips();
    assert_eq!(delta(before), (1, 0, 0, 2));
    assert_eq!(
        (rider.answers.clone(), rider.conflicts),
        (vec![Some(old)], 0)
    );
    assert_eq!(fx.raw(KEY).unwrap(), got[0].to_string());

    // An agent with its cache warm reads the rider's key on its own: one batch, one txn.
    let agent = Fx {
        ipam: fx
            .ipam
            .clone()
            .with_cache(std::time::Duration::from_secs(60)),
    };
    agent.assign4("n", "warm-up", 1);
    let mut rider = TestRider::new(fx.store());
    rider.reads = true;
    let written = mod_revision(&fx, KEY);
    let before = counting.stats();
    agent
        .ipam
        .auto_assign_with(&Fx::req("n", "b", 1), Some(&mut rider))
        .unwrap();
    assert_eq!(delta(before), (1, 0, 0, 1));
    assert_eq!(rider.answers, vec![Some(written)]);
    assert_eq!(rider.conflicts, 0);

    // A specific address: pools, configuration and the key in one batch, then its block
    // with our affinity for it.
    let mut rider = TestRider::new(fx.store());
    rider.reads = true;
    let before = counting.stats();
    let req = AssignIpRequest {
        ip: ip("10.0.0.200"),
        handle_id: Some("c".to_string()),
        attrs: [("node".to_string(), "n".to_string())].into(),
        hostname: "n".to_string(),
    };
    fx.ipam.assign_ip_with(&req, Some(&mut rider)).unwrap();
    assert_eq!(delta(before), (1, 0, 0, 2));
    assert_eq!((rider.answers.len(), rider.conflicts), (1, 0));

    // A release by handle: the handle and the key in one batch, the blocks in a second.
    let mut remover = TestRider::new(fx.store());
    remover.reads = true;
    remover.delete = true;
    let before = counting.stats();
    fx.ipam
        .release_by_handle_with("a", Some(&mut remover))
        .unwrap();
    assert_eq!(delta(before), (1, 0, 0, 2));
    assert_eq!((remover.answers.len(), remover.conflicts), (1, 0));
    assert_eq!(fx.raw(KEY), None);
    // An unknown handle: the rider still learns what it asked for, and writes nothing.
    let mut remover = TestRider::new(fx.store());
    remover.reads = true;
    let err = fx
        .ipam
        .release_by_handle_with("a", Some(&mut remover))
        .unwrap_err();
    assert!(matches!(err, IpamError::HandleNotFound(_)), "{err}");
    assert_eq!(
        (remover.answers.clone(), remover.calls.len()),
        (vec![None], 0)
    );
    fx.check_invariants();
}
