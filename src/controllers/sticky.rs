//! Sticky StatefulSet addresses (issue 25): the addresses of a StatefulSet replica's identity
//! `<namespace>/<statefulset>-<ordinal>`, held under the IPAM handle
//! `<network>.sticky.<namespace>.<statefulset>-<ordinal>` ([`StickyId`]), outlive its pods; this
//! controller releases them when the identity is gone:
//! - its StatefulSet `<namespace>/<statefulset>` does not exist (whatever the UID of one that
//!   does: ownership follows the name, so a StatefulSet deleted and recreated before a pass
//!   keeps its replicas' addresses), or
//! - it exists, the ordinal is no longer one of its replicas (`spec.replicas <= ordinal`,
//!   counting from `spec.ordinals.start`), and its pod template carries
//!   `cni.projectcalico.org/releaseOnScaleDown: "true"`;
//! - and in both cases never while a pod of that identity exists (named
//!   `<statefulset>-<ordinal>` in that namespace, its controller that StatefulSet); a pod of
//!   another owner with that name does not count.
//!
//! The decision is made on the watched view, then confirmed by a GET of the StatefulSet and of
//! the pod just before the release (a watch event not yet seen cannot release a replica's
//! addresses). Each release is guarded by the handle and the sequence number read
//! ([`release_guarded`], the garbage collector's path): an address re-assigned in between is
//! not released. An address that a WorkloadEndpoint still lists is kept whatever the API says
//! (a pod orphaned from its StatefulSet with `--cascade=orphan` no longer counts as a replica,
//! yet uses it), with a warning. The garbage collector ([`super::gc`]) never touches sticky
//! handles.

use super::guarded::{Released, Told, datastore_ready, release_guarded};
use crate::datastore::api::Client;
use crate::ipam::sticky::StickyId;
use crate::ipam::{Ipam, IpamError, ReleaseOptions, attr};
use crate::model::{Cidr, WorkloadEndpoint};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

/// Pod template annotation: release a replica's sticky addresses when the StatefulSet is
/// scaled below its ordinal.
pub(crate) const ANN_RELEASE_ON_SCALE_DOWN: &str = "cni.projectcalico.org/releaseOnScaleDown";

/// What decides about a StatefulSet's replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SetView {
    /// `spec.replicas` (Kubernetes' default: 1).
    pub(crate) replicas: i64,
    /// `spec.ordinals.start` (default 0).
    pub(crate) start: i64,
    /// The pod template carries `releaseOnScaleDown: "true"`.
    pub(crate) release_on_scale_down: bool,
}

impl SetView {
    pub(crate) fn of(set: &StatefulSet) -> SetView {
        let spec = set.spec.as_ref();
        let release_on_scale_down = spec
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.annotations.as_ref())
            .and_then(|a| a.get(ANN_RELEASE_ON_SCALE_DOWN))
            .is_some_and(|v| v == "true");
        SetView {
            replicas: spec.and_then(|s| s.replicas).map_or(1, i64::from),
            start: spec
                .and_then(|s| s.ordinals.as_ref())
                .and_then(|o| o.start)
                .map_or(0, i64::from),
            release_on_scale_down,
        }
    }
}

/// An identity's live state, read from the API server: its StatefulSet (if it exists) and
/// whether a pod of the identity exists; an error keeps its addresses.
pub(crate) type Confirmed = Result<(Option<SetView>, bool), String>;

/// Why an identity's addresses go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gone {
    /// Its StatefulSet does not exist.
    Deleted,
    /// Its StatefulSet was scaled below its ordinal (to this many replicas), with
    /// `releaseOnScaleDown`.
    ScaledDown(i64),
}

impl fmt::Display for Gone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gone::Deleted => f.write_str("StatefulSet deleted"),
            Gone::ScaledDown(n) => write!(
                f,
                "StatefulSet scaled down to {n} replicas, {ANN_RELEASE_ON_SCALE_DOWN}"
            ),
        }
    }
}

/// Whether `id`'s addresses go, given its StatefulSet (if it exists) and whether a pod of the
/// identity exists.
pub(crate) fn verdict(id: &StickyId, set: Option<&SetView>, pod_exists: bool) -> Option<Gone> {
    if pod_exists {
        return None;
    }
    let Some(set) = set else {
        return Some(Gone::Deleted);
    };
    let ordinal = i64::from(id.ordinal);
    let replica = ordinal >= set.start && ordinal < set.start + set.replicas;
    (!replica && set.release_on_scale_down).then_some(Gone::ScaledDown(set.replicas))
}

/// The identity a pod stands for: its controller ownerReference is an `apps/v1` StatefulSet
/// and its name is that StatefulSet's name and an ordinal (the `sticky` annotation is not
/// needed: any replica of the identity keeps its addresses).
pub(crate) fn pod_identity(pod: &Pod) -> Option<StickyId> {
    let meta = &pod.metadata;
    let owner = meta
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))?;
    if owner.api_version != "apps/v1" {
        return None;
    }
    StickyId::from_pod(
        meta.namespace.as_deref()?,
        meta.name.as_deref()?,
        &owner.kind,
        &owner.name,
    )
}

/// The identity of a sticky handle, only in its one canonical spelling.
pub(crate) fn sticky_handle(handle: &str) -> Option<StickyId> {
    let (network, id) = StickyId::parse_handle(handle)?;
    (id.handle(&network) == handle).then_some(id)
}

/// One address of an identity that goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Release {
    pub(crate) ip: IpAddr,
    pub(crate) handle: String,
    pub(crate) identity: StickyId,
    pub(crate) why: Gone,
}

impl Release {
    fn what(&self) -> String {
        format!(
            "sticky IP address {} (identity {}, handle {}, {})",
            self.ip, self.identity, self.handle, self.why
        )
    }
}

impl Told for Release {
    /// `Released sticky IP address <ip> (identity <ns>/<sts>-<ord>, handle <h>, <why>)`.
    fn released_line(&self) -> String {
        format!("Released {}", self.what())
    }
    fn would_release_line(&self) -> String {
        format!("Would release {}", self.what())
    }
    fn not_released_line(&self, why: &str) -> String {
        format!("Did not release {}: {why}", self.what())
    }
}

/// What one pass did.
#[derive(Debug, Default)]
pub(crate) struct StickyReport {
    /// Set when the pass did nothing: the datastore is locked.
    pub(crate) locked: bool,
    /// Sticky identities seen (with at least one handle).
    pub(crate) identities: usize,
    /// To release (a dry run releases none).
    pub(crate) confirmed: Vec<Release>,
    pub(crate) released: Vec<Release>,
    pub(crate) already_free: Vec<Release>,
    pub(crate) not_released: Vec<(Release, String)>,
    /// Identities whose confirmation from the API server failed (kept), with why.
    pub(crate) unconfirmed: Vec<(StickyId, String)>,
}

/// The sticky controller's view of Kubernetes (from the watches) and its passes.
#[derive(Debug, Default)]
pub(crate) struct StickyController {
    /// StatefulSets by (namespace, name).
    sets: HashMap<(String, String), SetView>,
    /// Pods standing for an identity, by (namespace, name).
    pods: HashMap<(String, String), StickyId>,
    /// Something that may let an identity go changed since the last pass.
    pub(crate) dirty: bool,
}

fn key_of(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Option<(String, String)> {
    Some((meta.namespace.clone()?, meta.name.clone()?))
}

impl StickyController {
    /// A full listing of the StatefulSets.
    pub(crate) fn sets_listed(&mut self, sets: &[StatefulSet]) {
        self.sets = sets
            .iter()
            .filter_map(|s| Some((key_of(&s.metadata)?, SetView::of(s))))
            .collect();
        self.dirty = true;
    }

    pub(crate) fn set_applied(&mut self, set: &StatefulSet) {
        if let Some(k) = key_of(&set.metadata) {
            let view = SetView::of(set);
            if self.sets.insert(k, view) != Some(view) {
                self.dirty = true;
            }
        }
    }

    pub(crate) fn set_deleted(&mut self, set: &StatefulSet) {
        if let Some(k) = key_of(&set.metadata) {
            self.sets.remove(&k);
            self.dirty = true;
        }
    }

    /// A full listing of the pods.
    pub(crate) fn pods_listed(&mut self, pods: &[Pod]) {
        self.pods = pods
            .iter()
            .filter_map(|p| Some((key_of(&p.metadata)?, pod_identity(p)?)))
            .collect();
        self.dirty = true;
    }

    pub(crate) fn pod_applied(&mut self, pod: &Pod) {
        let Some(k) = key_of(&pod.metadata) else {
            return;
        };
        match pod_identity(pod) {
            Some(id) => {
                self.pods.insert(k, id);
            }
            // No longer (or never) a replica: its identity may be free now.
            None => self.dirty |= self.pods.remove(&k).is_some(),
        }
    }

    pub(crate) fn pod_deleted(&mut self, pod: &Pod) {
        if let Some(k) = key_of(&pod.metadata) {
            self.dirty |= self.pods.remove(&k).is_some();
        }
    }

    /// Whether a pod of `id` exists, as the watch sees it.
    fn pod_exists(&self, id: &StickyId) -> bool {
        let k = (
            id.namespace.clone(),
            format!("{}-{}", id.statefulset, id.ordinal),
        );
        self.pods.get(&k) == Some(id)
    }

    /// One pass: every sticky handle whose identity is gone in the watched view is confirmed
    /// with `confirm` (the StatefulSet and whether a pod of the identity exists, read live; an
    /// error keeps the addresses) and its addresses are released (unless `dry_run`), each
    /// guarded by handle and sequence number.
    pub(crate) fn pass(
        &mut self,
        client: &Client,
        dry_run: bool,
        confirm: &mut dyn FnMut(&StickyId) -> Confirmed,
    ) -> Result<StickyReport, IpamError> {
        let mut report = StickyReport::default();
        if !datastore_ready(client)? {
            report.locked = true;
            return Ok(report);
        }
        let ipam = Ipam::new(client.clone());
        let mut identities: HashMap<StickyId, Option<Gone>> = HashMap::new();
        let mut wanted: Vec<(Cidr, ReleaseOptions)> = Vec::new();
        // Each namespace's endpoints, read when one of its identities is gone.
        let mut endpoints: HashMap<String, Vec<WorkloadEndpoint>> = HashMap::new();
        for h in ipam.list_handles()? {
            let Some(id) = sticky_handle(&h.id) else {
                continue;
            };
            if !identities.contains_key(&id) {
                let set = self
                    .sets
                    .get(&(id.namespace.clone(), id.statefulset.clone()));
                let gone = match verdict(&id, set, self.pod_exists(&id)) {
                    None => None,
                    Some(_) => match confirm(&id) {
                        Ok((set, pod)) => verdict(&id, set.as_ref(), pod),
                        Err(e) => {
                            report.unconfirmed.push((id.clone(), e));
                            None
                        }
                    },
                };
                identities.insert(id.clone(), gone);
            }
            let Some(why) = identities[&id] else {
                continue;
            };
            for block in h.handle.block.keys() {
                let Ok(cidr) = Cidr::parse(block) else {
                    continue;
                };
                let Some(stored) = ipam.read_block(&cidr.network())? else {
                    continue;
                };
                let b = stored.value;
                for ordinal in 0..b.size() {
                    let Some(a) = b.attribute_of(ordinal) else {
                        continue;
                    };
                    let named = a
                        .secondary
                        .as_ref()
                        .and_then(|s| s.get(attr::STICKY))
                        .is_none_or(|s| *s == id.to_string());
                    if a.handle() != Some(h.id.as_str()) || !named {
                        continue;
                    }
                    let ip = b.ip_of(ordinal);
                    // An endpoint still lists it (a pod orphaned from its StatefulSet, say by
                    // `kubectl delete --cascade=orphan`, or a node not yet cleaned up): kept,
                    // so that no second pod is ever given an address in use.
                    let listed = match endpoints.get(&id.namespace) {
                        Some(l) => l,
                        None => {
                            let l = client.list::<WorkloadEndpoint>(Some(&id.namespace))?.items;
                            endpoints.entry(id.namespace.clone()).or_insert(l)
                        }
                    };
                    if let Some(w) = listed.iter().find(|w| {
                        w.spec
                            .ip_networks
                            .iter()
                            .any(|n| Cidr::parse(n).is_ok_and(|c| c.addr() == ip))
                    }) {
                        report.unconfirmed.push((
                            id.clone(),
                            format!(
                                "{ip} is still listed by WorkloadEndpoint {}/{} (pod {})",
                                w.metadata.namespace, w.metadata.name, w.spec.pod
                            ),
                        ));
                        continue;
                    }
                    report.confirmed.push(Release {
                        ip,
                        handle: h.id.clone(),
                        identity: id.clone(),
                        why,
                    });
                    let o = ReleaseOptions {
                        address: ip,
                        handle: Some(h.id.clone()),
                        sequence_number: Some(b.sequence_number_of(ordinal)),
                    };
                    wanted.push((b.cidr.network(), o));
                }
            }
        }
        report.identities = identities.len();
        self.dirty = false;
        if dry_run {
            return Ok(report);
        }
        let outcomes = release_guarded(&ipam, &wanted);
        for (r, outcome) in report.confirmed.clone().into_iter().zip(outcomes) {
            match outcome {
                Released::Freed => report.released.push(r),
                Released::AlreadyFree => report.already_free.push(r),
                Released::Failed(why) => report.not_released.push((r, why)),
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    fn id(ordinal: u32) -> StickyId {
        StickyId::from_pod("db", &format!("web-{ordinal}"), "StatefulSet", "web").unwrap()
    }

    fn set(replicas: i64, release: bool) -> SetView {
        SetView {
            replicas,
            start: 0,
            release_on_scale_down: release,
        }
    }

    #[test]
    fn an_identity_goes_with_its_statefulset_or_on_scale_down_when_asked() {
        assert_eq!(verdict(&id(2), None, false), Some(Gone::Deleted));
        assert_eq!(
            verdict(&id(2), None, true),
            None,
            "never while its pod exists"
        );
        assert_eq!(
            verdict(&id(2), Some(&set(3, true)), false),
            None,
            "a replica"
        );
        assert_eq!(
            verdict(&id(2), Some(&set(2, true)), false),
            Some(Gone::ScaledDown(2))
        );
        assert_eq!(verdict(&id(2), Some(&set(2, true)), true), None);
        assert_eq!(
            verdict(&id(2), Some(&set(0, false)), false),
            None,
            "without releaseOnScaleDown"
        );
        let shifted = SetView {
            replicas: 2,
            start: 5,
            release_on_scale_down: true,
        };
        assert_eq!(verdict(&id(6), Some(&shifted), false), None);
        assert_eq!(
            verdict(&id(2), Some(&shifted), false),
            Some(Gone::ScaledDown(2))
        );
        assert_eq!(
            Gone::ScaledDown(2).to_string(),
            "StatefulSet scaled down to 2 replicas, cni.projectcalico.org/releaseOnScaleDown"
        );
    }

    fn pod(name: &str, kind: &str, owner: &str, api_version: &str, controller: bool) -> Pod {
        let mut p = Pod::default();
        p.metadata.namespace = Some("db".into());
        p.metadata.name = Some(name.into());
        p.metadata.owner_references = Some(vec![OwnerReference {
            api_version: api_version.into(),
            kind: kind.into(),
            name: owner.into(),
            uid: "u".into(),
            controller: Some(controller),
            ..OwnerReference::default()
        }]);
        p
    }

    #[test]
    fn only_a_replica_of_the_statefulset_stands_for_its_identity() {
        assert_eq!(
            pod_identity(&pod("web-2", "StatefulSet", "web", "apps/v1", true)),
            Some(id(2))
        );
        for p in [
            pod("web-2", "ReplicaSet", "web", "apps/v1", true),
            pod("web-2", "StatefulSet", "web", "apps/v1", false),
            pod("web-2", "StatefulSet", "web", "example.com/v1", true),
            pod("web-2", "StatefulSet", "other", "apps/v1", true),
        ] {
            assert_eq!(pod_identity(&p), None, "{p:?}");
        }
        let mut bare = pod("web-2", "StatefulSet", "web", "apps/v1", true);
        bare.metadata.owner_references = None;
        assert_eq!(pod_identity(&bare), None);

        let mut c = StickyController::default();
        c.pods_listed(&[pod("web-2", "StatefulSet", "web", "apps/v1", true)]);
        assert!(c.pod_exists(&id(2)) && !c.pod_exists(&id(1)));
        // The same name, now owned by something else: no longer the identity's.
        c.dirty = false;
        c.pod_applied(&pod("web-2", "ReplicaSet", "web", "apps/v1", true));
        assert!(!c.pod_exists(&id(2)) && c.dirty);
    }

    #[test]
    fn only_canonical_sticky_handles_count() {
        assert_eq!(sticky_handle("net.sticky.db.web-2"), Some(id(2)));
        assert_eq!(sticky_handle("net.sticky.db.web-02"), None);
        assert_eq!(sticky_handle("net.0123456789ab"), None);
    }
}
