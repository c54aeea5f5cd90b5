//! The sticky identity of a StatefulSet replica (issue 25): `<namespace>/<statefulset>-<ordinal>`.
//!
//! A pod is sticky when its controller ownerReference is a `StatefulSet`, its name is
//! `<statefulset>-<ordinal>` and it carries `cni.projectcalico.org/sticky: "true"` (the caller
//! checks the annotation and the reference's `controller: true`; [`StickyId::from_pod`] checks
//! the kind and the name). Its addresses are held under the IPAM handle
//! `<network>.sticky.<namespace>.<statefulset>-<ordinal>` instead of `<network>.<containerID>`,
//! so they outlive the pod.

use std::fmt;

/// The handle infix that marks a sticky identity's handle.
const INFIX: &str = ".sticky.";

/// A StatefulSet replica's identity: the addresses of `namespace/statefulset-ordinal`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StickyId {
    pub(crate) namespace: String,
    pub(crate) statefulset: String,
    pub(crate) ordinal: u32,
}

impl StickyId {
    /// The identity of a pod owned by `owner_kind`/`owner_name`, if the owner is a StatefulSet
    /// and the pod's name is `<owner_name>-<ordinal>`; `None` for anything else.
    pub(crate) fn from_pod(
        namespace: &str,
        pod_name: &str,
        owner_kind: &str,
        owner_name: &str,
    ) -> Option<StickyId> {
        if owner_kind != "StatefulSet" || namespace.is_empty() || owner_name.is_empty() {
            return None;
        }
        let (base, ordinal) = pod_name.rsplit_once('-')?;
        if base != owner_name {
            return None;
        }
        Some(StickyId {
            namespace: namespace.to_string(),
            statefulset: owner_name.to_string(),
            ordinal: parse_ordinal(ordinal)?,
        })
    }

    /// The IPAM handle holding this identity's addresses on CNI network `network`.
    pub(crate) fn handle(&self, network: &str) -> String {
        format!(
            "{network}{INFIX}{}.{}-{}",
            self.namespace, self.statefulset, self.ordinal
        )
    }

    /// The network and identity of a sticky handle; `None` for any other handle.
    pub(crate) fn parse_handle(handle: &str) -> Option<(String, StickyId)> {
        let (network, rest) = handle.split_once(INFIX)?;
        let (namespace, pod) = rest.split_once('.')?;
        let (statefulset, ordinal) = pod.rsplit_once('-')?;
        if network.is_empty() || namespace.is_empty() || statefulset.is_empty() {
            return None;
        }
        Some((
            network.to_string(),
            StickyId {
                namespace: namespace.to_string(),
                statefulset: statefulset.to_string(),
                ordinal: parse_ordinal(ordinal)?,
            },
        ))
    }
}

/// A StatefulSet ordinal: decimal digits only (no sign, no spaces), as Kubernetes names them.
fn parse_ordinal(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for StickyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}-{}",
            self.namespace, self.statefulset, self.ordinal
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statefulset_replica_is_sticky_and_its_handle_round_trips() {
        let id = StickyId::from_pod("db", "web-2", "StatefulSet", "web").unwrap();
        assert_eq!(id.to_string(), "db/web-2");
        assert_eq!(
            id.handle("k8s-pod-network"),
            "k8s-pod-network.sticky.db.web-2"
        );
        let (net, back) = StickyId::parse_handle(&id.handle("k8s-pod-network")).unwrap();
        assert_eq!((net.as_str(), back), ("k8s-pod-network", id));
    }

    #[test]
    fn names_with_dashes_and_dots_round_trip() {
        let id = StickyId::from_pod("ns-1", "my-web.v2-10", "StatefulSet", "my-web.v2").unwrap();
        assert_eq!(id.ordinal, 10);
        let (net, back) = StickyId::parse_handle(&id.handle("net.a")).unwrap();
        assert_eq!((net.as_str(), back), ("net.a", id));
    }

    #[test]
    fn anything_else_is_not_sticky() {
        assert_eq!(StickyId::from_pod("db", "web-0", "ReplicaSet", "web"), None);
        assert_eq!(
            StickyId::from_pod("db", "web-0", "StatefulSet", "other"),
            None
        );
        assert_eq!(
            StickyId::from_pod("db", "web-x", "StatefulSet", "web"),
            None
        );
        assert_eq!(StickyId::from_pod("db", "web-", "StatefulSet", "web"), None);
        assert_eq!(
            StickyId::from_pod("db", "web--1", "StatefulSet", "web"),
            None
        );
        assert_eq!(
            StickyId::from_pod("db", "web-+1", "StatefulSet", "web"),
            None
        );
        assert_eq!(StickyId::from_pod("db", "web", "StatefulSet", "web"), None);
        assert_eq!(StickyId::from_pod("db", "web-0", "", ""), None);
        assert_eq!(StickyId::parse_handle("k8s-pod-network.0123abcd"), None);
        assert_eq!(
            StickyId::parse_handle("k8s-pod-network.sticky.db.web"),
            None
        );
        assert_eq!(StickyId::parse_handle("ipip-tunnel-addr-node-1"), None);
    }
}
