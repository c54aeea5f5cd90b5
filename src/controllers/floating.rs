//! Floating IPs follow the pod's annotation (issue 25, calico#5198): a change of a running
//! pod's `cni.projectcalico.org/floatingIPs` is applied to the `spec.ipNATs` of its
//! WorkloadEndpoint(s) (found by namespace and `spec.pod`), each floating IP mapped to the
//! endpoint's address of the same family, as the CNI plugin does at ADD (the same parser and
//! mapping, [`crate::k8s::floating`]).
//!
//! A floating IP is held by one pod at a time:
//! - one that another pod's endpoint holds, and that pod does not let go in the same pass, is
//!   refused (a warning, once per change) and applied in a later pass when the holder lets go
//!   (its annotation drops it, or its endpoint goes);
//! - endpoints whose changes hand a floating IP from one to another are written in ONE
//!   transaction, each compared on the mod revision read, so no reader ever sees two endpoints
//!   holding it (nor, for a move, none); a conflict writes nothing and the pods are tried again
//!   at the next pass.
//!
//! Which pods are looked at: those whose annotation changed (added, changed, removed) since the
//! last pass, the refused ones, and, after a full listing, every pod carrying the annotation.
//! A live pod without the annotation whose endpoint holds a floating IP that a pod looked at
//! asks for lets go of it (its annotation was removed, perhaps while no controller ran: a
//! restarted controller, or `--once`, still completes the move); otherwise a pod never seen
//! with the annotation is left alone (its endpoint's `ipNATs` may come from the plugin's
//! `args.k8s` stand-in). An invalid annotation (not JSON, not an address, outside
//! every IPPool) changes nothing and is reported. calico-node re-programs the NAT when an
//! endpoint's `ipNATs` change.

use super::guarded::datastore_ready;
use crate::datastore::api::{Client, ClientError, Stored};
use crate::datastore::{DatastoreError, Txn};
use crate::k8s::floating::{ANN_FLOATING_IPS, floating_nats, parse_floating_ips};
use crate::model::workloadendpoint::IpNat;
use crate::model::{Cidr, IpPool, Resource, WorkloadEndpoint};
use k8s_openapi::api::core::v1::Pod;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

/// A pod: (namespace, name).
pub(crate) type PodKey = (String, String);

fn pod_key(p: &Pod) -> Option<PodKey> {
    Some((p.metadata.namespace.clone()?, p.metadata.name.clone()?))
}

fn annotation(p: &Pod) -> Option<String> {
    p.metadata
        .annotations
        .as_ref()?
        .get(ANN_FLOATING_IPS)
        .cloned()
}

fn show(p: &PodKey) -> String {
    format!("{}/{}", p.0, p.1)
}

/// Why a pass failed before writing anything.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FloatingError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Datastore(#[from] DatastoreError),
    #[error(transparent)]
    Ipam(#[from] crate::ipam::IpamError),
}

/// What one pass did, as log lines.
#[derive(Debug, Default)]
pub(crate) struct FloatingReport {
    /// Nothing done: the datastore is locked.
    pub(crate) locked: bool,
    /// `(level, line)` in order.
    pub(crate) lines: Vec<(&'static str, String)>,
    /// Endpoints written (or, in a dry run, that would be).
    pub(crate) written: usize,
}

impl FloatingReport {
    fn say(&mut self, level: &'static str, line: String) {
        self.lines.push((level, line));
    }
}

/// One endpoint's new `ipNATs`.
struct Change {
    wep: WorkloadEndpoint,
    pod: PodKey,
    nats: Vec<IpNat>,
}

/// The floating-IP controller's view of the pods' annotations and its passes.
#[derive(Debug, Default)]
pub(crate) struct FloatingController {
    /// The annotation of each pod that carries it.
    annotations: HashMap<PodKey, String>,
    /// Pods whose annotation changed since the last pass.
    dirty: BTreeSet<PodKey>,
    /// Pods refused floating IPs that another pod's endpoint holds: the refused addresses.
    refused: BTreeMap<PodKey, BTreeSet<IpAddr>>,
    /// Pods whose annotation could not be applied, with the error already reported.
    invalid: HashMap<PodKey, String>,
    /// Every annotated pod is to be looked at (after a listing).
    full: bool,
}

impl FloatingController {
    /// A full listing of the pods.
    pub(crate) fn pods_listed(&mut self, pods: &[Pod]) {
        let now: HashMap<PodKey, String> = pods
            .iter()
            .filter_map(|p| Some((pod_key(p)?, annotation(p)?)))
            .collect();
        // Annotations removed while not watched.
        for k in self.annotations.keys() {
            if !now.contains_key(k) {
                self.dirty.insert(k.clone());
            }
        }
        self.annotations = now;
        self.full = true;
    }

    pub(crate) fn pod_applied(&mut self, pod: &Pod) {
        let Some(k) = pod_key(pod) else {
            return;
        };
        let now = annotation(pod);
        if self.annotations.get(&k) == now.as_ref() {
            return;
        }
        self.dirty.insert(k.clone());
        match now {
            Some(v) => self.annotations.insert(k, v),
            None => self.annotations.remove(&k),
        };
    }

    pub(crate) fn pod_deleted(&mut self, pod: &Pod) {
        if let Some(k) = pod_key(pod) {
            self.annotations.remove(&k);
            self.dirty.remove(&k);
            self.refused.remove(&k);
            self.invalid.remove(&k);
        }
    }

    /// Whether a pass has work beyond retrying refused pods.
    pub(crate) fn due(&self) -> bool {
        self.full || !self.dirty.is_empty()
    }

    /// Whether some pod waits for a floating IP another holds.
    pub(crate) fn waiting(&self) -> bool {
        !self.refused.is_empty()
    }

    /// One pass over the pods that changed, the refused ones and (after a listing) every
    /// annotated one; `live` are the pods that exist (an endpoint of a pod that is gone is
    /// left to CNI DEL). Writes nothing when `dry_run`.
    pub(crate) fn pass(
        &mut self,
        client: &Client,
        live: &HashSet<PodKey>,
        dry_run: bool,
    ) -> Result<FloatingReport, FloatingError> {
        let mut report = FloatingReport::default();
        if !datastore_ready(client)? {
            report.locked = true;
            return Ok(report);
        }
        let mut targets: BTreeSet<PodKey> = self.dirty.clone();
        targets.extend(self.refused.keys().cloned());
        if self.full {
            targets.extend(self.annotations.keys().cloned());
        }
        if targets.is_empty() {
            return Ok(report);
        }
        let pools = client.list::<IpPool>(None)?.items;
        let weps = client.list::<WorkloadEndpoint>(None)?.items;
        // Read: what fails from here on puts its pods back.
        self.full = false;
        self.dirty.clear();

        // What each pod looked at wants.
        let mut desired: BTreeMap<PodKey, Vec<IpAddr>> = BTreeMap::new();
        for t in &targets {
            if !live.contains(t) {
                self.refused.remove(t);
                continue;
            }
            let want = match self.annotations.get(t) {
                None => Vec::new(),
                Some(v) => match parse_floating_ips(v, &pools) {
                    Ok(l) => l,
                    Err(e) => {
                        if self.invalid.get(t) != Some(&e) {
                            report.say(
                                "WARN",
                                format!("{ANN_FLOATING_IPS} of pod {} not applied: {e}", show(t)),
                            );
                            self.invalid.insert(t.clone(), e);
                        }
                        self.refused.remove(t);
                        continue;
                    }
                },
            };
            self.invalid.remove(t);
            desired.insert(t.clone(), want);
        }

        // Who holds each floating IP now.
        let mut holders: HashMap<IpAddr, Vec<(PodKey, String)>> = HashMap::new();
        for w in &weps {
            let owner = (w.metadata.namespace.clone(), w.spec.pod.clone());
            for n in &w.spec.ip_nats {
                if let Ok(ip) = n.external_ip.parse::<IpAddr>() {
                    let wep = format!("{}/{}", w.metadata.namespace, w.metadata.name);
                    holders.entry(ip).or_default().push((owner.clone(), wep));
                }
            }
        }
        // A live pod without the annotation whose endpoint holds a floating IP a pod asks for
        // has had its annotation removed (perhaps while no controller watched): it lets go,
        // in the same transaction as the pod that takes it. Uncontested, such an endpoint is
        // left alone (its `ipNATs` may come from the plugin's `args.k8s`).
        let wanted: BTreeSet<IpAddr> = desired.values().flatten().copied().collect();
        for ip in &wanted {
            for (h, _) in holders.get(ip).into_iter().flatten() {
                if live.contains(h) && !self.annotations.contains_key(h) {
                    desired.entry(h.clone()).or_default();
                }
            }
        }
        let lets_go = |holder: &PodKey, ip: &IpAddr| {
            desired.get(holder).is_some_and(|want| !want.contains(ip))
        };

        let mut claimed: HashMap<IpAddr, PodKey> = HashMap::new();
        let mut changes: Vec<Change> = Vec::new();
        for (pod, want) in &desired {
            let mut allowed = Vec::new();
            let mut refused = BTreeSet::new();
            for f in want {
                let held = holders
                    .get(f)
                    .into_iter()
                    .flatten()
                    .find(|(h, _)| h != pod && !lets_go(h, f))
                    .map(|(h, wep)| format!("WorkloadEndpoint {wep} of pod {}", show(h)));
                let taken = claimed
                    .get(f)
                    .filter(|c| *c != pod)
                    .map(|c| format!("pod {}, which asks for it too", show(c)));
                if let Some(by) = held.or(taken) {
                    if !self.refused.get(pod).is_some_and(|r| r.contains(f)) {
                        report.say(
                            "WARN",
                            format!(
                                "Floating IP {f} of pod {} refused: held by {by}; applied when it lets go",
                                show(pod)
                            ),
                        );
                    }
                    refused.insert(*f);
                    continue;
                }
                claimed.insert(*f, pod.clone());
                allowed.push(*f);
            }
            if refused.is_empty() {
                self.refused.remove(pod);
            } else {
                self.refused.insert(pod.clone(), refused);
            }
            let mine: Vec<&WorkloadEndpoint> = weps
                .iter()
                .filter(|w| w.metadata.namespace == pod.0 && w.spec.pod == pod.1)
                .collect();
            for w in mine {
                let nets: Vec<Cidr> = w
                    .spec
                    .ip_networks
                    .iter()
                    .filter_map(|n| Cidr::parse(n).ok())
                    .collect();
                let nats = floating_nats(&nets, &allowed);
                if nats.len() < allowed.len() {
                    for f in allowed
                        .iter()
                        .filter(|f| !nets.iter().any(|n| n.is_ipv4() == f.is_ipv4()))
                    {
                        report.say(
                            "WARN",
                            format!(
                                "Floating IP {f} of pod {} not applied: WorkloadEndpoint {}/{} has no address of the same IP version",
                                show(pod),
                                w.metadata.namespace,
                                w.metadata.name
                            ),
                        );
                    }
                }
                if nats != w.spec.ip_nats {
                    changes.push(Change {
                        wep: w.clone(),
                        pod: pod.clone(),
                        nats,
                    });
                }
            }
        }

        for group in groups(&changes) {
            if let Err(e) = self.write(client, &changes, &group, dry_run, &mut report) {
                self.dirty.extend(changes.iter().map(|c| c.pod.clone()));
                return Err(e);
            }
        }
        Ok(report)
    }

    /// Writes one group of changes in one transaction (or, in a dry run, says what it would).
    fn write(
        &mut self,
        client: &Client,
        changes: &[Change],
        group: &[usize],
        dry_run: bool,
        report: &mut FloatingReport,
    ) -> Result<(), FloatingError> {
        let mut txn = Txn::new();
        for &i in group {
            let c = &changes[i];
            let mut wep = c.wep.clone();
            wep.spec.ip_nats = c.nats.clone();
            let mut wep = client.prepare_update_of(wep, &c.wep)?;
            let key = WorkloadEndpoint::key(Some(&c.wep.metadata.namespace), &c.wep.metadata.name);
            let revision: i64 = std::mem::take(&mut wep.metadata_mut().resource_version)
                .parse()
                .map_err(|_| ClientError::Conflict(c.wep.id()))?;
            txn = txn.require_revision(&key, revision).put(&key, wep.encode());
        }
        let verb = if dry_run { "Would set" } else { "Set" };
        if !dry_run && !client.store().txn(txn)?.succeeded {
            report.say(
                "INFO",
                format!(
                    "WorkloadEndpoints of pod(s) {} changed while being updated; trying again",
                    group
                        .iter()
                        .map(|&i| show(&changes[i].pod))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            self.dirty
                .extend(group.iter().map(|&i| changes[i].pod.clone()));
            return Ok(());
        }
        for &i in group {
            let c = &changes[i];
            let nats = if c.nats.is_empty() {
                "none".to_string()
            } else {
                c.nats
                    .iter()
                    .map(|n| format!("{} -> {}", n.external_ip, n.internal_ip))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            report.say(
                "INFO",
                format!(
                    "{verb} ipNATs of WorkloadEndpoint {}/{} (pod {}): {nats}",
                    c.wep.metadata.namespace,
                    c.wep.metadata.name,
                    show(&c.pod)
                ),
            );
            report.written += 1;
        }
        for (ip, from, to) in moves(changes, group) {
            report.say(
                "INFO",
                format!(
                    "{} floating IP {ip} from pod {} to pod {} in one transaction",
                    if dry_run { "Would move" } else { "Moved" },
                    show(from),
                    show(to)
                ),
            );
        }
        Ok(())
    }
}

fn externals(nats: &[IpNat]) -> BTreeSet<&str> {
    nats.iter().map(|n| n.external_ip.as_str()).collect()
}

/// The floating IPs a change takes away and adds.
fn delta(c: &Change) -> (Vec<&str>, Vec<&str>) {
    let (old, new) = (externals(&c.wep.spec.ip_nats), externals(&c.nats));
    (
        old.difference(&new).copied().collect(),
        new.difference(&old).copied().collect(),
    )
}

/// The changes in groups that must be written together: those handing a floating IP from one
/// endpoint to another.
fn groups(changes: &[Change]) -> Vec<Vec<usize>> {
    let mut group: Vec<usize> = (0..changes.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        let (gone, added) = delta(c);
        for ip in gone.into_iter().chain(added) {
            let j = *first.entry(ip).or_insert(i);
            let (a, b) = (root(&mut group, i), root(&mut group, j));
            group[a] = b;
        }
    }
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..changes.len() {
        let r = root(&mut group, i);
        out.entry(r).or_default().push(i);
    }
    out.into_values().collect()
}

/// The floating IPs a group hands from one pod to another.
fn moves<'a>(changes: &'a [Change], group: &[usize]) -> Vec<(&'a str, &'a PodKey, &'a PodKey)> {
    let mut out = Vec::new();
    for &i in group {
        for ip in delta(&changes[i]).0 {
            for &j in group {
                if delta(&changes[j]).1.contains(&ip) {
                    out.push((ip, &changes[i].pod, &changes[j].pod));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(pod: &str, old: &[&str], new: &[&str]) -> Change {
        let nat = |e: &&str| IpNat {
            internal_ip: "10.0.0.1".into(),
            external_ip: e.to_string(),
        };
        let mut wep = WorkloadEndpoint::default();
        wep.spec.ip_nats = old.iter().map(nat).collect();
        Change {
            wep,
            pod: ("ns".into(), pod.into()),
            nats: new.iter().map(nat).collect(),
        }
    }

    #[test]
    fn a_floating_ip_handed_over_ties_both_endpoints_into_one_write() {
        let changes = [
            change("a", &["10.9.0.1"], &[]),
            change("c", &[], &["10.9.0.7"]),
            change("b", &[], &["10.9.0.1"]),
            change("d", &["10.9.0.8"], &[]),
        ];
        assert_eq!(groups(&changes), vec![vec![0, 2], vec![1], vec![3]]);
        let m = moves(&changes, &[0, 2]);
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].0, m[0].1.1.as_str(), m[0].2.1.as_str()),
            ("10.9.0.1", "a", "b")
        );
    }

    fn pod(name: &str, value: Option<&str>) -> Pod {
        let mut p = Pod::default();
        p.metadata.namespace = Some("ns".into());
        p.metadata.name = Some(name.into());
        if let Some(v) = value {
            p.metadata.annotations = Some([(ANN_FLOATING_IPS.to_string(), v.to_string())].into());
        }
        p
    }

    #[test]
    fn only_annotation_changes_make_work() {
        let mut c = FloatingController::default();
        c.pods_listed(&[pod("a", Some("[]")), pod("b", None)]);
        assert!(c.due() && c.dirty.is_empty());
        c.full = false;
        c.pod_applied(&pod("b", None));
        c.pod_applied(&pod("a", Some("[]")));
        assert!(!c.due(), "nothing changed");
        c.pod_applied(&pod("a", None));
        assert!(c.dirty.contains(&("ns".into(), "a".into())), "removed");
        c.dirty.clear();
        c.pod_applied(&pod("b", Some(r#"["10.9.0.1"]"#)));
        assert!(c.dirty.contains(&("ns".into(), "b".into())), "added");
        // A relisting that no longer shows b's annotation: b is looked at.
        c.dirty.clear();
        c.pods_listed(&[pod("b", None)]);
        assert!(c.dirty.contains(&("ns".into(), "b".into())));
    }
}
