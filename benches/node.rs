//! calico-node reconcile time for N floating IPs (default 1,000).
//!
//! `cargo bench --bench node [-- N]` prints, for N WorkloadEndpoints with one floating IP each
//! on one node: rendering (median of repeated runs), script generation, `nft -f -` applying
//! the table into a fresh network namespace (first load, then replacing an identical table),
//! and one whole agent pass (list and decode the endpoints from a memory store, render, apply).
//! Applying needs root; without it the benchmark fails with the reason. The namespace it
//! creates is removed afterwards, also on panic.

#[path = "../tests/integration/netns.rs"]
mod netns;

use calico::datastore::api::Client;
use calico::datastore::memory::MemoryStore;
use calico::model::FelixConfiguration;
use calico::node::agent::{Agent, AgentConfig};
use calico::node::{bench, nat, tunnel::NoIpam};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(|a| a.parse().expect("N must be a number"))
        .unwrap_or(1000);
    netns::require_root("bench node (nft apply)");
    let node = "bench-node";
    let weps = bench::synthetic_endpoints(node, n);

    let renders: Vec<Duration> = (0..51)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(nat::render(&weps, node));
            t.elapsed()
        })
        .collect();
    let rules = nat::render(&weps, node);
    assert_eq!(rules.dnat.len(), n);
    let scripts: Vec<Duration> = (0..51)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(rules.to_nft_script());
            t.elapsed()
        })
        .collect();
    let script = rules.to_nft_script();

    let ns = netns::Netns::new("bench_node", "node");
    let first = bench::render_and_apply(&weps, node, Some(ns.name())).unwrap();
    let replaces: Vec<Duration> = (0..11)
        .map(|_| {
            bench::render_and_apply(&weps, node, Some(ns.name()))
                .unwrap()
                .apply
        })
        .collect();
    let table = nat::list_table(Some(ns.name())).unwrap().unwrap();
    assert_eq!(table.matches("dnat ip to").count(), n);

    // A whole agent pass: the endpoints come from the datastore.
    let client = Client::new(Arc::new(MemoryStore::new()));
    for w in &weps {
        client.create(w.clone()).unwrap();
    }
    client
        .create(FelixConfiguration::with_floating_ips("default", "Enabled"))
        .unwrap();
    let mut cfg = AgentConfig::new(node);
    cfg.netns = Some(ns.name().to_string());
    let mut agent = Agent::new(client, cfg, Box::new(NoIpam), Box::new(std::io::sink()));
    let passes: Vec<Duration> = (0..11)
        .map(|_| {
            let t = Instant::now();
            let o = agent.reconcile(true).unwrap();
            assert!(o.applied && o.endpoints == n);
            t.elapsed()
        })
        .collect();
    let t = Instant::now();
    let idle = agent.reconcile(false).unwrap();
    let idle_time = t.elapsed();
    assert!(!idle.applied);

    println!(
        "calico-node floating-IP NAT, {n} floating IPs ({} bytes of nft script)",
        script.len()
    );
    println!(
        "  render (median of 51)                 {}",
        ms(median(renders))
    );
    println!(
        "  to_nft_script (median of 51)          {}",
        ms(median(scripts))
    );
    println!(
        "  nft -f - first load into empty netns  {}",
        ms(first.apply)
    );
    println!(
        "  nft -f - replace table (median of 11) {}",
        ms(median(replaces))
    );
    println!(
        "  agent reconcile, forced apply (median of 11, list+render+apply) {}",
        ms(median(passes))
    );
    println!(
        "  agent reconcile, nothing changed (list+render, no nft)          {}",
        ms(idle_time)
    );
}
