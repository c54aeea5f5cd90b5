//! The large datastores of `scale` and `gc`: what a cluster of N pods holds, written in bulk
//! transactions.

use calico::datastore::api::{Client, Stored};
use calico::datastore::{Store, Txn, keys};
use calico::ipam::affinity::BlockAffinity;
use calico::ipam::handle::IpamHandle;
use calico::ipam::reservations::Reservations;
use calico::ipam::{AllocationBlock, Ipam};
use calico::model::{Cidr, IpPool, Node, ObjectMeta, Resource, WorkloadEndpoint};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// The name of seeded node `i`.
pub(crate) fn node_name(i: usize) -> String {
    format!("node-{i:06}.rack-{:02}.example.com", i % 40)
}

/// The (namespace, name) of seeded pod `i`.
pub(crate) fn pod_name(i: usize) -> (String, String) {
    (
        format!("namespace-{:03}", i % 200),
        format!("deployment-{i:07}-7c9f8d6b5-x2k4q"),
    )
}

/// True for the pods seeded as leaked: one in [`LEAK_EVERY`].
pub(crate) fn is_leaked(i: usize) -> bool {
    i % LEAK_EVERY == LEAK_EVERY - 1
}

/// Addresses per node (one full /26 block each).
pub(crate) const BLOCK: usize = 64;
/// One pod in this many has no WorkloadEndpoint (and, for the garbage collector, no pod).
pub(crate) const LEAK_EVERY: usize = 1000;

/// Writes puts in transactions as large as etcd accepts.
pub(crate) struct Batch<'a> {
    store: &'a Store,
    txn: Txn,
    txns: usize,
}

impl<'a> Batch<'a> {
    pub(crate) fn new(store: &'a Store) -> Batch<'a> {
        Batch {
            store,
            txn: Txn::new(),
            txns: 0,
        }
    }

    pub(crate) fn put(&mut self, key: String, value: Vec<u8>) {
        let next = std::mem::take(&mut self.txn).put(key, value);
        if next.validate().is_err() {
            let mut ops = next.ops;
            let last = ops.pop().unwrap();
            self.send(Txn {
                compares: vec![],
                ops,
            });
            self.txn = Txn {
                compares: vec![],
                ops: vec![last],
            };
        } else {
            self.txn = next;
        }
    }

    fn send(&mut self, txn: Txn) {
        if txn.ops.is_empty() {
            return;
        }
        let r = self.store.txn(txn).expect("seed transaction");
        assert!(r.succeeded);
        self.txns += 1;
    }

    pub(crate) fn finish(mut self) -> usize {
        let txn = std::mem::take(&mut self.txn);
        self.send(txn);
        self.txns
    }
}

/// Seeds `n` pods (a multiple of 64); returns (blocks, leaked addresses, transactions).
pub(crate) fn seed(store: &Store, n: usize) -> (usize, usize, usize) {
    let client = Client::new(store.clone());
    calico::cli::ops::ensure_initialized(&client);
    client
        .create(IpPool::new("bench-pool", "10.0.0.0/8"))
        .unwrap();
    Ipam::new(client.clone()).get_config().unwrap();
    let now = calico::go::time::go_utc_string(calico::go::time::now());
    let none = Reservations::default();
    let mut batch = Batch::new(store);
    let nodes = n / BLOCK;
    let mut leaked = 0;
    for node_i in 0..nodes {
        let node = node_name(node_i);
        let mut nobj = Node::new(&node);
        nobj.set_type_meta();
        batch.put(Node::key(None, &node), nobj.encode());
        let base = u32::from(Ipv4Addr::new(10, 0, 0, 0)) + (node_i * BLOCK) as u32;
        let cidr = Cidr::parse(&format!("{}/26", Ipv4Addr::from(base))).unwrap();
        let mut block = AllocationBlock::new(cidr, Some(format!("host:{node}")), 1_787_000_000);
        for o in 0..BLOCK {
            let pod_i = node_i * BLOCK + o;
            let (ns, pod) = pod_name(pod_i);
            let handle = format!("k8s-pod-network.{pod_i:064x}");
            let attrs: BTreeMap<String, String> = [
                ("namespace", ns.as_str()),
                ("node", node.as_str()),
                ("pod", pod.as_str()),
                ("timestamp", now.as_str()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let got = block.auto_assign(1, Some(&handle), Some(&attrs), &none);
            assert_eq!(got, vec![o]);
            block.bump();
            let mut h = IpamHandle::default();
            h.increment(&cidr.to_string(), 1);
            batch.put(keys::handle(&handle), h.to_json());
            if is_leaked(pod_i) {
                leaked += 1;
                continue;
            }
            let name = format!("{node}-k8s-{pod}-eth0").replace('.', "--");
            let ip: IpAddr = block.ip_of(o);
            let mut wep = WorkloadEndpoint {
                metadata: ObjectMeta {
                    name: name.clone(),
                    namespace: ns.clone(),
                    labels: [
                        ("projectcalico.org/namespace".to_string(), ns.clone()),
                        ("projectcalico.org/orchestrator".to_string(), "k8s".into()),
                    ]
                    .into(),
                    ..ObjectMeta::default()
                },
                ..WorkloadEndpoint::default()
            };
            wep.set_type_meta();
            wep.spec.orchestrator = "k8s".into();
            wep.spec.node = node.clone();
            wep.spec.container_id = format!("{pod_i:064x}");
            wep.spec.pod = pod.clone();
            wep.spec.endpoint = "eth0".into();
            wep.spec.ip_networks = vec![Cidr::host(ip).to_string()];
            wep.spec.profiles = vec![format!("kns.{ns}")];
            batch.put(WorkloadEndpoint::key(Some(&ns), &name), wep.encode());
        }
        batch.put(keys::block(&cidr), block.to_json());
        batch.put(
            keys::host_affinity(&node, &cidr),
            calico::go::json::to_vec(&BlockAffinity::confirmed()),
        );
    }
    (nodes, leaked, batch.finish())
}
