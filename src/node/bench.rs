//! Benchmark seam: render and apply the NAT for N synthetic floating IPs and time each step
//! (`benches/node.rs` reports it for 1,000).

use super::nat::{self, NatError};
use crate::model::WorkloadEndpoint;
use crate::model::workloadendpoint::IpNat;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// `n` WorkloadEndpoints on `node`, each with one floating IP: endpoint `i` has internal IP
/// `10.64.0.0 + i` and external IP `10.128.0.0 + i` (so up to 4,194,304 of them).
pub fn synthetic_endpoints(node: &str, n: usize) -> Vec<WorkloadEndpoint> {
    assert!(n <= 1 << 22, "at most 2^22 synthetic endpoints");
    let base_int = u32::from(Ipv4Addr::new(10, 64, 0, 0));
    let base_ext = u32::from(Ipv4Addr::new(10, 128, 0, 0));
    (0..n as u32)
        .map(|i| {
            let internal = Ipv4Addr::from(base_int + i).to_string();
            let external = Ipv4Addr::from(base_ext + i).to_string();
            let mut w = WorkloadEndpoint::default();
            w.metadata.namespace = "bench".into();
            let pod = format!("pod{i}");
            w.metadata.name = crate::model::workloadendpoint::k8s_endpoint_name(node, &pod, "eth0");
            w.spec.orchestrator = "k8s".into();
            w.spec.pod = pod;
            w.spec.endpoint = "eth0".into();
            w.spec.node = node.to_string();
            w.spec.ip_networks = vec![format!("{internal}/32")];
            w.spec.ip_nats = vec![IpNat {
                internal_ip: internal,
                external_ip: external,
            }];
            w
        })
        .collect()
}

/// How long each step took.
#[derive(Debug, Clone)]
pub struct Timings {
    /// `render` (conflict resolution and sorting).
    pub render: Duration,
    /// `to_nft_script`.
    pub script: Duration,
    /// One `nft -f -` run (process start, parse, kernel transaction).
    pub apply: Duration,
}

/// Renders the NAT of `endpoints` for `node` and applies it (inside `netns` when given),
/// timing each step.
pub fn render_and_apply(
    endpoints: &[WorkloadEndpoint],
    node: &str,
    netns: Option<&str>,
) -> Result<Timings, NatError> {
    let t = Instant::now();
    let ruleset = nat::render(endpoints, node);
    let render = t.elapsed();
    let t = Instant::now();
    let script = ruleset.to_nft_script();
    let script_time = t.elapsed();
    let t = Instant::now();
    nat::apply(&script, netns)?;
    let apply = t.elapsed();
    Ok(Timings {
        render,
        script: script_time,
        apply,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_endpoints_are_distinct() {
        let weps = super::synthetic_endpoints("n", 300);
        let r = super::nat::render(&weps, "n");
        assert_eq!((r.dnat.len(), r.snat.len()), (300, 300));
        assert_eq!(weps[299].spec.ip_nats[0].external_ip, "10.128.1.43");
    }
}
