//! A node's first address as the cluster grows (issue 24): the first ADD of a new node (it
//! claims a fresh block) and the ADD of a new node when no block is left to claim (it borrows
//! from another node's block), on etcd, in process and uncached as the CNI plugin makes them.
//!
//! Seeded with raw batched transactions (not one ADD at a time): an IPPool `10.0.0.0/12`
//! (blockSize 26: 16,384 blocks), then N nodes, each a Node resource with one confirmed
//! affinity and its block holding `BENCH_PODS` addresses (default 20, with handles and
//! Calico's CNI attributes), the block placed where that node's own walk of the pool finds
//! the first unclaimed one (as Calico's claims place them, clustering included).
//!
//! Measured, `BENCH_RUNS` new nodes each (default 20): time of one `Ipam::auto_assign` of one
//! address for a node that has never had one, median and max, and its round trips (reads +
//! transactions), at 1,000 and at 10,000 nodes (the second seeded on top of the first). Then
//! every block left in the pool is claimed for the existing nodes (round robin, the same
//! `BENCH_PODS` addresses each), and new nodes must borrow: the same figures. For comparison
//! the same borrow on a full `/16` (1,024 blocks, 1,000 nodes), the size of the earlier
//! figure.
//!
//! Run: `cargo bench --bench first_add` (about 2 minutes; `BENCH_NODES=1000,10000`).

mod common;

use calico::datastore::api::{Client, Stored};
use calico::datastore::{Store, keys};
use calico::ipam::affinity::BlockAffinity;
use calico::ipam::handle::IpamHandle;
use calico::ipam::random::BlockWalk;
use calico::ipam::reservations::Reservations;
use calico::ipam::{AllocationBlock, AutoAssignRequest, Ipam};
use calico::model::{Cidr, IpPool, Node, Resource};
use calico::testing::EtcdServer;
use common::seed::Batch;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// A pool and the nodes seeded into it so far.
struct Cluster {
    store: Store,
    pool: Cidr,
    claimed: HashSet<Cidr>,
    nodes: usize,
    pods: usize,
}

impl Cluster {
    fn new(store: Store, cidr: &str, pods: usize) -> Cluster {
        let client = Client::new(store.clone());
        calico::cli::ops::ensure_initialized(&client);
        let mut pool = IpPool::new("bench-pool", cidr);
        pool.spec.block_size = 26;
        client.create(pool).unwrap();
        Ipam::new(client).get_config().unwrap();
        Cluster {
            store,
            pool: Cidr::parse(cidr).unwrap(),
            claimed: HashSet::new(),
            nodes: 0,
            pods: pods.min(64),
        }
    }

    fn node_name(i: usize) -> String {
        format!("node-{i:06}.rack-{:02}.example.com", i % 40)
    }

    /// Puts `host`'s block `cidr`, with its affinity and `pods` addresses (and their handles).
    fn put_block(&mut self, batch: &mut Batch<'_>, host: &str, cidr: Cidr) {
        let none = Reservations::none();
        let mut block = AllocationBlock::new(cidr, Some(format!("host:{host}")), 1_787_000_000);
        for o in 0..self.pods {
            let handle = format!("k8s-pod-network.{:056x}{o:08x}", cidr.first());
            let attrs: BTreeMap<String, String> = [
                ("namespace", "default".to_string()),
                ("node", host.to_string()),
                ("pod", format!("pod-{o}-{:x}", cidr.first())),
                (
                    "timestamp",
                    "2026-12-07 17:00:00.000000000 +0000 UTC".to_string(),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let got = block.auto_assign(1, Some(&handle), Some(&attrs), &none);
            assert_eq!(got.len(), 1);
            block.bump();
            let mut h = IpamHandle::default();
            h.increment(&cidr.to_string(), 1);
            batch.put(keys::handle(&handle), h.to_json());
        }
        batch.put(keys::block(&cidr), block.to_json());
        batch.put(
            keys::host_affinity(host, &cidr),
            calico::go::json::to_vec(&BlockAffinity::confirmed()),
        );
        self.claimed.insert(cidr);
    }

    /// The first block of `host`'s walk nobody has claimed.
    fn first_free(&self, host: &str) -> Option<Cidr> {
        let mut walk = BlockWalk::new(self.pool, 26, host);
        let none = Reservations::none();
        while let Some(c) = walk.next_unreserved(&none) {
            if !self.claimed.contains(&c) {
                return Some(c);
            }
        }
        None
    }

    /// Seeds nodes up to `total`, each with the block its walk finds first.
    fn grow_to(&mut self, total: usize) -> usize {
        let store = self.store.clone();
        let mut batch = Batch::new(&store);
        for i in self.nodes..total {
            let host = Self::node_name(i);
            let mut node = Node::new(&host);
            node.set_type_meta();
            batch.put(Node::key(None, &host), node.encode());
            let cidr = self
                .first_free(&host)
                .expect("a free block for every seeded node");
            self.put_block(&mut batch, &host, cidr);
        }
        self.nodes = total;
        batch.finish()
    }

    /// Claims every block left in the pool for the seeded nodes, round robin.
    fn fill(&mut self) -> usize {
        let store = self.store.clone();
        let mut batch = Batch::new(&store);
        let all = BlockWalk::new(self.pool, 26, "");
        let none = Reservations::none();
        let mut walk = all;
        let mut i = 0;
        while let Some(c) = walk.next_unreserved(&none) {
            if !self.claimed.contains(&c) {
                let host = Self::node_name(i % self.nodes);
                self.put_block(&mut batch, &host, c);
                i += 1;
            }
        }
        batch.finish()
    }
}

struct Figures {
    median: Duration,
    max: Duration,
    round_trips: f64,
    /// The blocks the addresses came from.
    blocks: Vec<Cidr>,
}

/// `runs` first ADDs of new nodes; checks each got an address from a block of the expected
/// kind (its own new block, or a borrowed one).
fn first_adds(backend: &common::Backend, label: &str, runs: usize, borrow: bool) -> Figures {
    let counting = common::Counting::new(backend.connect());
    let store: Store = counting.clone();
    let admin = Client::new(store.clone());
    let mut walls = Vec::new();
    let mut trips = 0;
    let mut blocks = Vec::new();
    for i in 0..runs {
        let host = format!("new-{label}-{i}");
        admin.create(Node::new(&host)).unwrap();
        let req = AutoAssignRequest {
            num4: 1,
            handle_id: Some(format!(
                "k8s-pod-network.{:064x}",
                0xF1A5_u128 << 64 | i as u128
            )),
            hostname: host.clone(),
            ..Default::default()
        };
        let ipam = Ipam::new(admin.clone());
        let before = counting.counts();
        let t = Instant::now();
        let got = ipam.auto_assign(&req).unwrap().ipv4.unwrap();
        walls.push(t.elapsed());
        let after = counting.counts();
        trips += (after.0 + after.1 + after.2) - (before.0 + before.1 + before.2);
        assert_eq!(got.ips.len(), 1, "{label}: {:?}", got.msgs);
        let ip = got.ips[0].addr();
        blocks.push(Cidr::parse(&format!("{ip}/26")).unwrap().network());
        let affinity = ipam
            .get_assignment_attributes(got.ips[0].addr())
            .unwrap()
            .block_affinity
            .unwrap_or_default();
        if borrow {
            assert_ne!(affinity, format!("host:{host}"), "{label}: borrowed");
        } else {
            assert_eq!(
                affinity,
                format!("host:{host}"),
                "{label}: claimed its own block"
            );
        }
    }
    walls.sort();
    Figures {
        median: walls[walls.len() / 2],
        max: *walls.last().unwrap(),
        round_trips: trips as f64 / runs as f64,
        blocks,
    }
}

fn row(nodes: usize, blocks: usize, pool: &str, what: &str, f: &Figures) {
    println!(
        "{:>7} {:>7} {:<14} {:<22} {:>10.2} {:>10.2} {:>6.1}",
        nodes,
        blocks,
        pool,
        what,
        f.median.as_secs_f64() * 1e3,
        f.max.as_secs_f64() * 1e3,
        f.round_trips
    );
}

fn main() {
    let runs: usize = common::knob("BENCH_RUNS", 20);
    let pods: usize = common::knob("BENCH_PODS", 20);
    let sizes: Vec<usize> = std::env::var("BENCH_NODES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("BENCH_NODES: numbers"))
        .collect();
    common::banner("bench first_add: a new node's first address as the cluster grows (etcd)");
    println!(
        "\n{:>7} {:>7} {:<14} {:<22} {:>10} {:>10} {:>6}",
        "nodes", "blocks", "pool", "first ADD", "median ms", "max ms", "rt"
    );

    // Claims, as the cluster grows on one /12.
    let backend = common::Backend::Etcd(Box::new(EtcdServer::start()));
    let mut cluster = Cluster::new(backend.connect(), "10.0.0.0/12", pods);
    for &n in &sizes {
        let t = Instant::now();
        let txns = cluster.grow_to(n);
        eprintln!(
            "seeded {n} nodes in {:.1} s ({txns} transactions; load {})",
            t.elapsed().as_secs_f64(),
            common::loadavg()
        );
        let f = first_adds(&backend, &format!("claim-{n}"), runs, false);
        // The measured nodes' blocks are in the store now; the fill must skip them.
        cluster.claimed.extend(f.blocks.iter().copied());
        row(
            n,
            cluster.claimed.len(),
            "10.0.0.0/12",
            "claims a block",
            &f,
        );
    }
    let t = Instant::now();
    let txns = cluster.fill();
    eprintln!(
        "filled the pool ({} blocks) in {:.1} s ({txns} transactions)",
        cluster.claimed.len(),
        t.elapsed().as_secs_f64()
    );
    let f = first_adds(&backend, "borrow-12", runs, true);
    row(
        cluster.nodes,
        cluster.claimed.len(),
        "10.0.0.0/12",
        "borrows (pool full)",
        &f,
    );
    drop(backend);

    // The same borrow on a full /16 of 1,000 nodes.
    let backend = common::Backend::Etcd(Box::new(EtcdServer::start()));
    let mut small = Cluster::new(backend.connect(), "10.0.0.0/16", pods);
    small.grow_to(1000);
    small.fill();
    let f = first_adds(&backend, "borrow-16", runs, true);
    row(
        small.nodes,
        small.claimed.len(),
        "10.0.0.0/16",
        "borrows (pool full)",
        &f,
    );
}
