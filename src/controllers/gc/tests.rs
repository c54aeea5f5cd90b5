//! The garbage collector on real stores: every scenario runs on the embedded store and on a
//! real etcd.

use super::*;
use crate::datastore::api::Stored as _;
use crate::datastore::{KvStore as _, Store, Txn, keys};
use crate::ipam::tests::CountingStore;
use crate::ipam::{AssignIpRequest, AutoAssignRequest};
use crate::model::node::OrchRef;
use crate::model::{ClusterInformation, IpPool, Node};
use std::sync::Arc;

const NS: &str = "default";
const MIN: Duration = Duration::from_secs(60);

struct Fx {
    client: Client,
    ipam: Ipam,
}

impl Fx {
    fn new(store: Store) -> Fx {
        let client = Client::new(store);
        crate::cli::ops::ensure_initialized(&client);
        client
            .create(IpPool::new("default-ipv4-ippool", "10.65.0.0/16"))
            .unwrap();
        let fx = Fx {
            ipam: Ipam::new(client.clone()),
            client,
        };
        // node-1: no orchRef (as our calico-node writes it); node-2..: Kubernetes nodes named
        // k8s-node-<n>; node-9: neither (not a Kubernetes node).
        fx.node("node-1", None);
        fx.node("node-2", Some("k8s-node-2"));
        fx.node("node-3", Some("k8s-node-3"));
        fx.node("node-9", None);
        fx
    }

    fn node(&self, name: &str, k8s: Option<&str>) {
        let mut n = Node::new(name);
        if let Some(k8s) = k8s {
            n.spec.orch_refs = vec![OrchRef {
                node_name: k8s.to_string(),
                orchestrator: "k8s".into(),
            }];
        }
        self.client.create(n).unwrap();
    }

    /// Assigns one address to pod `name` on `node` (the CNI plugin's handle and attributes).
    fn pod(&self, node: &str, name: &str) -> IpAddr {
        self.assign(node, &format!("k8s-pod-network.{name}"), &[("pod", name)])
    }

    fn assign(&self, node: &str, handle: &str, extra: &[(&str, &str)]) -> IpAddr {
        let mut attrs: BTreeMap<String, String> = [("node", node), ("namespace", NS)]
            .into_iter()
            .chain(extra.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if extra.iter().any(|(k, _)| *k == "type") {
            attrs.remove("namespace");
        }
        let got = self
            .ipam
            .auto_assign(&AutoAssignRequest {
                num4: 1,
                handle_id: Some(handle.to_string()),
                attrs,
                hostname: node.to_string(),
                ..Default::default()
            })
            .unwrap();
        got.ipv4.unwrap().ips[0].addr()
    }

    /// A node's own address of attribute type `kind`.
    fn node_address(&self, node: &str, kind: &str) -> IpAddr {
        self.assign(node, &format!("{kind}-{node}"), &[("type", kind)])
    }

    /// The handle holding `ip`, if it is allocated.
    fn holder(&self, ip: IpAddr) -> Option<String> {
        match self.ipam.get_assignment_attributes(ip) {
            Ok(a) => Some(a.handle_id.unwrap_or_default()),
            Err(e) if e.is_not_found() => None,
            Err(e) => panic!("{e}"),
        }
    }

    fn set_ready(&self, ready: bool) {
        let mut info = self
            .client
            .get::<ClusterInformation>(None, "default")
            .unwrap();
        info.spec.datastore_ready = Some(ready);
        self.client.update(info).unwrap();
    }
}

/// A request for `ip` on `node` under `handle`, for pod `pod`.
fn pod_ip_request(ip: IpAddr, node: &str, handle: &str, pod: &str) -> AssignIpRequest {
    AssignIpRequest {
        ip,
        handle_id: Some(handle.to_string()),
        attrs: [("node", node), ("namespace", NS), ("pod", pod)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        hostname: node.to_string(),
    }
}

fn live(pods: &[&str], nodes: &[&str]) -> LiveSet {
    LiveSet {
        pods: pods
            .iter()
            .map(|p| (NS.to_string(), p.to_string()))
            .collect(),
        nodes: nodes.iter().map(|n| n.to_string()).collect(),
        synced: true,
    }
}

fn ips(leaks: &[Leak]) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = leaks.iter().map(|l| l.ip).collect();
    v.sort();
    v
}

const LIVE_NODES: &[&str] = &["node-1", "k8s-node-2", "k8s-node-3"];

/// A deleted pod's address is released at the first pass more than the grace period after
/// the first pass that saw it, not before; a pod that exists keeps its address though it has
/// no WorkloadEndpoint (none is ever written here).
fn released_after_grace_not_before(store: Store) {
    let fx = Fx::new(store);
    let kept = fx.pod("node-1", "web-0");
    let leaked = fx.pod("node-1", "gone-0");
    let view = live(&["web-0"], LIVE_NODES);
    let mut gc = LeakCollector::new(10 * MIN);
    let t0 = Instant::now();

    let r = gc.pass(&fx.client, &view, t0, false).unwrap();
    assert_eq!(r.paused, None);
    assert_eq!(r.allocations, 2);
    assert_eq!(ips(&r.candidates), vec![leaked]);
    assert!(r.confirmed.is_empty() && r.released.is_empty());
    assert_eq!(
        r.candidates[0].candidate_line(),
        format!(
            "Candidate IP leak {leaked} (handle k8s-pod-network.gone-0, pod default/gone-0, node node-1) after 0s"
        )
    );

    // Exactly the grace period later: not yet (Calico releases once it is exceeded).
    let r = gc.pass(&fx.client, &view, t0 + 10 * MIN, false).unwrap();
    assert!(r.released.is_empty(), "{:?}", r.released);
    assert_eq!(r.candidates[0].leaked_for, 10 * MIN);
    assert_eq!(fx.holder(leaked).as_deref(), Some("k8s-pod-network.gone-0"));

    let r = gc
        .pass(
            &fx.client,
            &view,
            t0 + 10 * MIN + Duration::from_secs(1),
            false,
        )
        .unwrap();
    assert_eq!(ips(&r.released), vec![leaked]);
    assert_eq!(
        r.released[0].released_line(),
        format!(
            "Released leaked IP address {leaked} (handle k8s-pod-network.gone-0, pod default/gone-0, node node-1) after 10m1s"
        )
    );
    assert_eq!(fx.holder(leaked), None);
    assert_eq!(fx.holder(kept).as_deref(), Some("k8s-pod-network.web-0"));
    assert!(
        fx.client
            .store()
            .get(&keys::handle("k8s-pod-network.gone-0"))
            .unwrap()
            .is_none(),
        "the leaked handle is deleted with its last address"
    );
    let text = r.prometheus_text();
    assert!(
        text.contains(
            "ipam_allocations_gc_reclamations{ippool=\"default-ipv4-ippool\",node=\"node-1\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "ipam_allocations_in_use{ippool=\"default-ipv4-ippool\",node=\"node-1\"} 2\n"
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE ipam_allocations_gc_reclamations counter\n"));

    // The next pass sees one address in use, no candidate, and keeps the counter.
    let r = gc.pass(&fx.client, &view, t0 + 20 * MIN, false).unwrap();
    assert!(r.candidates.is_empty());
    assert_eq!(
        r.in_use[&("default-ipv4-ippool".into(), "node-1".into())],
        1
    );
    assert_eq!(
        r.candidate_counts[&("default-ipv4-ippool".into(), "node-1".into())],
        0
    );
    assert_eq!(
        r.reclamations[&("default-ipv4-ippool".into(), "node-1".into())],
        1
    );
    // Live pods are never released, whatever the grace period and however long.
    let mut eager = LeakCollector::new(Duration::from_nanos(1));
    for i in 0..3 {
        let r = eager.pass(&fx.client, &view, t0 + i * MIN, false).unwrap();
        assert!(r.candidates.is_empty());
    }
    assert_eq!(fx.holder(kept).as_deref(), Some("k8s-pod-network.web-0"));
}

/// An address released and re-assigned to another holder between the pass's read and its
/// release is not released; its neighbours in the same block still are.
fn reassigned_between_read_and_release_is_kept(store: Store) {
    let counting = CountingStore::new(store);
    let fx = Fx::new(counting.clone());
    let a = fx.pod("node-1", "gone-a");
    let b = fx.pod("node-1", "gone-b");
    let view = live(&[], LIVE_NODES);
    let mut gc = LeakCollector::new(MIN);
    let t0 = Instant::now();
    assert_eq!(
        gc.pass(&fx.client, &view, t0, false)
            .unwrap()
            .candidates
            .len(),
        2
    );

    let other = Ipam::new(Client::new(counting.clone() as Store));
    counting.before_txn(0, move |_| {
        other.release_by_handle("k8s-pod-network.gone-a").unwrap();
        other
            .assign_ip(&pod_ip_request(
                a,
                "node-1",
                "k8s-pod-network.new-a",
                "new-a",
            ))
            .unwrap();
    });
    let r = gc.pass(&fx.client, &view, t0 + 2 * MIN, false).unwrap();
    assert_eq!(ips(&r.confirmed), vec![a, b]);
    assert_eq!(ips(&r.released), vec![b]);
    assert_eq!(r.not_released.len(), 1, "{:?}", r.not_released);
    assert_eq!(r.not_released[0].0.ip, a);
    assert!(
        r.not_released[0].1.contains("update conflict"),
        "{}",
        r.not_released[0].1
    );
    assert_eq!(fx.holder(a).as_deref(), Some("k8s-pod-network.new-a"));
    assert_eq!(fx.holder(b), None);
    assert_eq!(r.reclamations.values().sum::<u64>(), 1);

    // The new holder is a new allocation: its grace period starts now.
    let r = gc.pass(&fx.client, &view, t0 + 3 * MIN, false).unwrap();
    assert_eq!(ips(&r.candidates), vec![a]);
    assert_eq!(r.candidates[0].leaked_for, Duration::ZERO);
    assert!(r.released.is_empty());
}

/// Tunnel and gateway addresses of live nodes are never candidates; on a node that is gone,
/// pod addresses go at once and the node's own addresses once nothing on it is in use; nothing
/// on a node that is not a Kubernetes node is collected.
fn node_addresses(store: Store) {
    let fx = Fx::new(store);
    let tunnel1 = fx.node_address("node-1", "ipipTunnelAddress");
    let gateway1 = fx.node_address("node-1", GATEWAY_ADDRESS_TYPE);
    let vxlan2 = fx.node_address("node-2", "vxlanTunnelAddress");
    let pod2 = fx.pod("node-2", "gone-2");
    let tunnel3 = fx.node_address("node-3", "wireguardTunnelAddress");
    let pod3 = fx.pod("node-3", "web-3");
    let pod9 = fx.pod("node-9", "gone-9");
    let tunnel9 = fx.node_address("node-9", "ipipTunnelAddress");
    let t0 = Instant::now();

    // All nodes live, grace 0: only node-9's gone pod is... not even that (not Kubernetes).
    let mut zero = LeakCollector::new(Duration::ZERO);
    let all_live = live(&["web-3", "gone-2"], LIVE_NODES);
    for i in 0..3 {
        let r = zero
            .pass(&fx.client, &all_live, t0 + i * 60 * MIN, false)
            .unwrap();
        assert!(r.candidates.is_empty(), "{:?}", r.candidates);
    }

    // k8s-node-2 and k8s-node-3 deleted; web-3 still exists (being evicted, say).
    let view = live(&["web-3"], &["node-1"]);
    let mut gc = LeakCollector::new(10 * MIN);
    let r = gc.pass(&fx.client, &view, t0, false).unwrap();
    assert_eq!(ips(&r.released), {
        let mut v = vec![vxlan2, pod2];
        v.sort();
        v
    });
    assert!(r.released.iter().all(|l| l.reason == LeakReason::NodeGone));
    assert_eq!(ips(&r.held), Vec::<IpAddr>::new());
    assert_eq!(ips(&r.candidates), {
        let mut v = vec![vxlan2, pod2, tunnel3];
        v.sort();
        v
    });
    for kept in [tunnel1, gateway1, tunnel3, pod3, pod9, tunnel9] {
        assert!(fx.holder(kept).is_some(), "{kept} released");
    }
    // Once web-3 is gone too, node-3 is emptied.
    let r = gc
        .pass(&fx.client, &live(&[], &["node-1"]), t0, false)
        .unwrap();
    assert_eq!(ips(&r.released), {
        let mut v = vec![tunnel3, pod3];
        v.sort();
        v
    });
    for kept in [tunnel1, gateway1, pod9, tunnel9] {
        assert!(fx.holder(kept).is_some(), "{kept} released");
    }
}

/// With a grace period of 0, candidates are counted but never released on live nodes.
fn grace_zero_counts_never_releases(store: Store) {
    let fx = Fx::new(store);
    let leaked = fx.pod("node-1", "gone-0");
    let mut gc = LeakCollector::new(Duration::ZERO);
    let t0 = Instant::now();
    for i in 0..3 {
        let r = gc
            .pass(
                &fx.client,
                &live(&[], LIVE_NODES),
                t0 + i * 600 * MIN,
                false,
            )
            .unwrap();
        assert_eq!(ips(&r.candidates), vec![leaked]);
        assert!(r.confirmed.is_empty());
        assert!(r.prometheus_text().contains(
            "ipam_allocations_gc_candidates{ippool=\"default-ipv4-ippool\",node=\"node-1\"} 1\n"
        ));
    }
    assert!(fx.holder(leaked).is_some());
}

/// A dry run reports what it would release and releases nothing.
fn dry_run_releases_nothing(store: Store) {
    let fx = Fx::new(store);
    let leaked = fx.pod("node-1", "gone-0");
    let view = live(&[], LIVE_NODES);
    let mut gc = LeakCollector::new(MIN);
    let t0 = Instant::now();
    gc.pass(&fx.client, &view, t0, true).unwrap();
    let before = fx.client.store().revision().unwrap();
    let r = gc.pass(&fx.client, &view, t0 + 2 * MIN, true).unwrap();
    assert_eq!(ips(&r.confirmed), vec![leaked]);
    assert!(r.released.is_empty());
    assert!(r.confirmed[0].would_release_line().starts_with(&format!(
        "Would release leaked IP address {leaked} (handle k8s-pod-network.gone-0"
    )));
    assert_eq!(
        fx.client.store().revision().unwrap(),
        before,
        "nothing written"
    );
    assert!(fx.holder(leaked).is_some());
    let r = gc.pass(&fx.client, &view, t0 + 3 * MIN, false).unwrap();
    assert_eq!(ips(&r.released), vec![leaked]);
}

/// Nothing happens while the datastore is locked or the caller's view is not in sync, and
/// no grace period starts then.
fn paused_while_locked_or_unsynced(store: Store) {
    let fx = Fx::new(store);
    let leaked = fx.pod("node-1", "gone-0");
    let view = live(&[], LIVE_NODES);
    let mut gc = LeakCollector::new(MIN);
    let t0 = Instant::now();

    fx.set_ready(false);
    let r = gc.pass(&fx.client, &view, t0, false).unwrap();
    assert_eq!(r.paused, Some(Paused::DatastoreLocked));
    assert_eq!(
        r.paused.unwrap().to_string(),
        "datastore is locked, skipping ipam sync"
    );
    assert!(r.candidates.is_empty() && r.in_use.is_empty());
    fx.set_ready(true);
    let unsynced = LiveSet {
        synced: false,
        ..view.clone()
    };
    let r = gc.pass(&fx.client, &unsynced, t0 + MIN, false).unwrap();
    assert_eq!(r.paused, Some(Paused::NotSynced));

    // First sight only now: a candidate, not yet released.
    let r = gc.pass(&fx.client, &view, t0 + 10 * MIN, false).unwrap();
    assert_eq!(r.candidates[0].leaked_for, Duration::ZERO);
    assert!(r.released.is_empty());
    // Past the grace period, but locked: kept.
    fx.set_ready(false);
    let r = gc.pass(&fx.client, &view, t0 + 20 * MIN, false).unwrap();
    assert_eq!(r.paused, Some(Paused::DatastoreLocked));
    assert!(fx.holder(leaked).is_some());
    // A deleted ClusterInformation counts as locked, as in Calico.
    let key = ClusterInformation::key(None, "default");
    assert!(
        fx.client
            .store()
            .txn(Txn::new().delete(&key))
            .unwrap()
            .succeeded
    );
    let r = gc.pass(&fx.client, &view, t0 + 20 * MIN, false).unwrap();
    assert_eq!(r.paused, Some(Paused::DatastoreLocked));
    crate::cli::ops::ensure_initialized(&fx.client);
    let r = gc.pass(&fx.client, &view, t0 + 20 * MIN, false).unwrap();
    assert_eq!(ips(&r.released), vec![leaked]);
}

/// A handle that also holds a valid allocation keeps its leaked one (Calico's whole-handle
/// rule); an unreadable block is reported and skipped, the rest still collected.
fn whole_handle_and_unreadable_block(store: Store) {
    let fx = Fx::new(store);
    let leaked = fx.pod("node-1", "gone-0");
    let other = fx.pod("node-1", "gone-1");
    // The same handle also holds an address of a live pod.
    fx.ipam
        .assign_ip(&pod_ip_request(
            "10.65.200.1".parse().unwrap(),
            "node-1",
            "k8s-pod-network.gone-0",
            "web-0",
        ))
        .unwrap();
    let bad = keys::block(&Cidr::parse("10.65.250.0/26").unwrap());
    assert!(
        fx.client
            .store()
            .txn(Txn::new().put(&bad, b"{not json".to_vec()))
            .unwrap()
            .succeeded
    );
    let view = live(&["web-0"], LIVE_NODES);
    let mut gc = LeakCollector::new(MIN);
    let t0 = Instant::now();
    gc.pass(&fx.client, &view, t0, false).unwrap();
    let r = gc.pass(&fx.client, &view, t0 + 2 * MIN, false).unwrap();
    assert_eq!(ips(&r.held), vec![leaked]);
    assert_eq!(ips(&r.released), vec![other]);
    assert_eq!(r.unreadable_blocks.len(), 1, "{:?}", r.unreadable_blocks);
    assert!(
        r.unreadable_blocks[0].contains("10.65.250.0-26"),
        "{:?}",
        r.unreadable_blocks
    );
    assert!(fx.holder(leaked).is_some());
}

/// A scenario: its name and its body, run on a fresh store.
type Scenario = (&'static str, fn(Store));

/// A StatefulSet replica's sticky addresses (handle `<network>.sticky.<ns>.<sts>-<ord>`) are
/// never collected, though the pod they name is gone; the sticky controller releases them,
/// guarded, once its identity is gone (confirmed), and an address re-assigned since it read
/// the block stays.
fn sticky_handles_are_the_sticky_controllers(store: Store) {
    use crate::controllers::sticky::{SetView, StickyController};
    let fx = Fx::new(store);
    let sticky = |ord: u32| {
        let handle = format!("k8s-pod-network.sticky.default.web-{ord}");
        let id = format!("default/web-{ord}");
        let pod = format!("web-{ord}");
        fx.assign("node-1", &handle, &[("pod", &pod), ("sticky", &id)])
    };
    let (a0, a1, a2) = (sticky(0), sticky(1), sticky(2));
    let mut gc = LeakCollector::new(MIN);
    let t0 = Instant::now();
    let view = live(&[], LIVE_NODES);
    for t in [t0, t0 + 2 * MIN] {
        let r = gc.pass(&fx.client, &view, t, false).unwrap();
        assert!(r.candidates.is_empty(), "{:?}", r.candidates);
        assert_eq!(r.allocations, 3);
    }

    // The StatefulSet scaled to 1 with releaseOnScaleDown, web-2's pod still running: web-1
    // goes, web-0 (a replica) and web-2 (its pod exists) stay.
    let mut c = StickyController::default();
    let scaled = SetView {
        replicas: 1,
        start: 0,
        release_on_scale_down: true,
    };
    let mut asked = Vec::new();
    let r = c
        .pass(&fx.client, false, &mut |id| {
            asked.push(id.to_string());
            Ok((Some(scaled), id.ordinal == 2))
        })
        .unwrap();
    asked.sort();
    assert_eq!(
        asked,
        ["default/web-0", "default/web-1", "default/web-2"],
        "each confirmed live"
    );
    assert_eq!(
        r.released.iter().map(|r| r.ip).collect::<Vec<_>>(),
        vec![a1]
    );
    assert_eq!(
        r.released[0].released_line(),
        format!(
            "Released sticky IP address {a1} (identity default/web-1, handle k8s-pod-network.sticky.default.web-1, StatefulSet scaled down to 1 replicas, cni.projectcalico.org/releaseOnScaleDown)"
        )
    );
    assert_eq!(fx.holder(a1), None);
    assert!(fx.holder(a0).is_some() && fx.holder(a2).is_some());

    // An API error keeps the addresses; a dry run releases nothing.
    let r = c
        .pass(&fx.client, false, &mut |_| Err("503".into()))
        .unwrap();
    assert!(r.released.is_empty() && r.unconfirmed.len() == 2, "{r:?}");
    let r = c
        .pass(&fx.client, true, &mut |_| Ok((None, false)))
        .unwrap();
    assert_eq!(r.confirmed.len(), 2);
    assert!(r.released.is_empty());
    assert!(fx.holder(a0).is_some() && fx.holder(a2).is_some());

    // Locked datastore: nothing.
    fx.set_ready(false);
    let r = c
        .pass(&fx.client, false, &mut |_| Ok((None, false)))
        .unwrap();
    assert!(r.locked && fx.holder(a0).is_some());
    fx.set_ready(true);

    // StatefulSet deleted: both go, and their handles with them.
    let r = c
        .pass(&fx.client, false, &mut |_| Ok((None, false)))
        .unwrap();
    let mut got: Vec<IpAddr> = r.released.iter().map(|r| r.ip).collect();
    got.sort();
    let mut want = vec![a0, a2];
    want.sort();
    assert_eq!(got, want);
    assert!(
        r.released[0]
            .released_line()
            .ends_with("StatefulSet deleted)")
    );
    assert!(fx.ipam.list_handles().unwrap().is_empty());
}

const SCENARIOS: &[Scenario] = &[
    (
        "released_after_grace_not_before",
        released_after_grace_not_before,
    ),
    (
        "reassigned_between_read_and_release_is_kept",
        reassigned_between_read_and_release_is_kept,
    ),
    ("node_addresses", node_addresses),
    (
        "grace_zero_counts_never_releases",
        grace_zero_counts_never_releases,
    ),
    ("dry_run_releases_nothing", dry_run_releases_nothing),
    (
        "paused_while_locked_or_unsynced",
        paused_while_locked_or_unsynced,
    ),
    (
        "whole_handle_and_unreadable_block",
        whole_handle_and_unreadable_block,
    ),
    (
        "sticky_handles_are_the_sticky_controllers",
        sticky_handles_are_the_sticky_controllers,
    ),
];

#[test]
fn gc_on_embedded() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, scenario)) in SCENARIOS.iter().enumerate() {
        eprintln!("gc scenario {name} (embedded)");
        let path = dir.path().join(format!("store-{i}.db"));
        scenario(Arc::new(
            crate::datastore::embedded::EmbeddedStore::open(&path).unwrap(),
        ));
    }
}

#[test]
fn gc_on_etcd() {
    use crate::datastore::etcd::EtcdStore;
    let etcd = crate::testing::EtcdServer::start();
    for (name, scenario) in SCENARIOS {
        eprintln!("gc scenario {name} (etcd)");
        let store = EtcdStore::connect(&etcd.config()).unwrap();
        let all = store.list("/").unwrap();
        for chunk in all.kvs.chunks(crate::datastore::MAX_TXN_OPS) {
            let txn = chunk
                .iter()
                .fold(Txn::new(), |t, kv| t.delete(kv.key.clone()));
            assert!(store.txn(txn).unwrap().succeeded);
        }
        scenario(Arc::new(store));
    }
}
