//! Every key string Calico v3.31 uses in etcd, in one place.
//!
//! - v3 resources: `/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>`
//! - allocation blocks: `/calico/ipam/v2/assignment/ipv4/block/10.65.12.64-26`
//! - host affinities: `/calico/ipam/v2/host/<host>/ipv4/block/10.65.12.64-26`
//! - handles: `/calico/ipam/v2/handle/<handle id>`
//! - IPAM configuration: `/calico/ipam/v2/config`

use crate::model::cidr::Cidr;

/// Prefix of every key Calico writes.
pub(crate) const ROOT_PREFIX: &str = "/calico/";
/// Prefix of every v3 resource key.
pub(crate) const RESOURCES_PREFIX: &str = "/calico/resources/v3/projectcalico.org/";
/// Prefix of every allocation block.
pub const BLOCKS_PREFIX: &str = "/calico/ipam/v2/assignment/";
/// Prefix of every host affinity.
pub(crate) const HOST_AFFINITY_PREFIX: &str = "/calico/ipam/v2/host/";
/// Prefix of every handle.
pub const HANDLES_PREFIX: &str = "/calico/ipam/v2/handle/";
/// The key `calico-kube-controllers` instances elect their leader with (held by an etcd lease;
/// not a Calico key: Calico's controllers run without election).
pub(crate) const CONTROLLERS_LEADER: &str = "/calico/kube-controllers/v1/leader";
/// The IPAM configuration key.
pub(crate) const IPAM_CONFIG: &str = "/calico/ipam/v2/config";

/// The key of a v3 resource. `namespace` is `Some` for namespaced kinds.
pub fn resource(plural: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{RESOURCES_PREFIX}{plural}/{ns}/{name}"),
        None => format!("{RESOURCES_PREFIX}{plural}/{name}"),
    }
}

/// The listing prefix of a kind, optionally within one namespace.
pub(crate) fn resource_prefix(plural: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{RESOURCES_PREFIX}{plural}/{ns}/"),
        None => format!("{RESOURCES_PREFIX}{plural}/"),
    }
}

fn family(version: u8) -> &'static str {
    if version == 4 { "ipv4" } else { "ipv6" }
}

/// The key of the allocation block for `cidr`.
pub fn block(cidr: &Cidr) -> String {
    format!(
        "{BLOCKS_PREFIX}{}/block/{}",
        family(cidr.version()),
        cidr.to_key_form()
    )
}

/// The listing prefix of all blocks of one family.
pub fn blocks_prefix(version: u8) -> String {
    format!("{BLOCKS_PREFIX}{}/block/", family(version))
}

/// The block CIDR named by a block key.
pub(crate) fn parse_block(key: &str) -> Option<Cidr> {
    let rest = key.strip_prefix(BLOCKS_PREFIX)?;
    let (_, cidr) = rest.split_once("/block/")?;
    Cidr::from_key_form(cidr).ok()
}

/// The key of `host`'s affinity for the block `cidr`.
pub fn host_affinity(host: &str, cidr: &Cidr) -> String {
    format!(
        "{HOST_AFFINITY_PREFIX}{host}/{}/block/{}",
        family(cidr.version()),
        cidr.to_key_form()
    )
}

/// The listing prefix of `host`'s affinities of one family.
pub(crate) fn host_affinities_prefix(host: &str, version: u8) -> String {
    format!("{HOST_AFFINITY_PREFIX}{host}/{}/block/", family(version))
}

/// The legacy per-host IPAM key `/calico/ipam/v2/host/<host>` (never created by Calico v3;
/// deleted by `RemoveIPAMHost` if present).
pub(crate) fn ipam_host(host: &str) -> String {
    format!("{HOST_AFFINITY_PREFIX}{host}")
}

/// The listing prefix of all of `host`'s affinities.
pub(crate) fn host_prefix(host: &str) -> String {
    format!("{HOST_AFFINITY_PREFIX}{host}/")
}

/// The host and block named by an affinity key.
pub(crate) fn parse_host_affinity(key: &str) -> Option<(String, Cidr)> {
    let rest = key.strip_prefix(HOST_AFFINITY_PREFIX)?;
    let (host, rest) = rest.split_once('/')?;
    let (_, cidr) = rest.split_once("/block/")?;
    Some((host.to_string(), Cidr::from_key_form(cidr).ok()?))
}

/// The key of a handle.
pub fn handle(id: &str) -> String {
    format!("{HANDLES_PREFIX}{id}")
}

/// The handle ID named by a handle key.
pub fn parse_handle(key: &str) -> Option<&str> {
    key.strip_prefix(HANDLES_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calico_layout() {
        let c = Cidr::parse("10.65.12.64/26").unwrap();
        assert_eq!(
            block(&c),
            "/calico/ipam/v2/assignment/ipv4/block/10.65.12.64-26"
        );
        assert_eq!(parse_block(&block(&c)), Some(c));
        assert_eq!(
            host_affinity("node-1", &c),
            "/calico/ipam/v2/host/node-1/ipv4/block/10.65.12.64-26"
        );
        assert_eq!(
            parse_host_affinity(&host_affinity("node-1", &c)),
            Some(("node-1".to_string(), c))
        );
        let v6 = Cidr::parse("fd00:10:244::/122").unwrap();
        assert_eq!(
            block(&v6),
            "/calico/ipam/v2/assignment/ipv6/block/fd00:10:244::-122"
        );
        assert_eq!(
            resource("ippools", None, "default-ipv4-ippool"),
            "/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool"
        );
        assert_eq!(
            resource("workloadendpoints", Some("ns1"), "n-k8s-p-eth0"),
            "/calico/resources/v3/projectcalico.org/workloadendpoints/ns1/n-k8s-p-eth0"
        );
        assert_eq!(
            handle("k8s-pod-network.abc"),
            "/calico/ipam/v2/handle/k8s-pod-network.abc"
        );
    }
}
