//! The node controller: Calico Nodes follow their Kubernetes Nodes.
//!
//! - Labels (Calico's `syncNodeLabels`): every Kubernetes label is copied onto the Calico
//!   Node (overwriting a Calico label of the same key); a key copied before (listed in the
//!   annotation `projectcalico.org/kube-labels`) that Kubernetes no longer has is removed;
//!   labels set only on the Calico Node are kept. The annotation is then the JSON of the
//!   Kubernetes labels (Go's `json.Marshal`: sorted keys).
//! - Deletion: a Calico Node that stands for a Kubernetes Node (an `orchRefs` entry with
//!   orchestrator `k8s`) whose Kubernetes Node is gone (confirmed by a GET answering 404) is
//!   deleted with its endpoints, addresses and affinities by [`Ipam::delete_node`], the code
//!   `calicoctl delete node` runs.
//!
//! Calico Nodes without a `k8s` reference are not Kubernetes nodes and are left alone, as
//! Calico's controller does.

use super::Log;
use crate::datastore::api::{Client, ClientError};
use crate::datastore::keys;
use crate::ipam::{Ipam, IpamError};
use crate::model::{Node, Resource};
use std::collections::{BTreeMap, HashMap};

/// The annotation that lists the labels copied from Kubernetes.
pub(crate) const KUBE_LABELS: &str = "projectcalico.org/kube-labels";

/// How many times a label update is retried after a conflict.
const CONFLICT_RETRIES: usize = 5;

/// The Kubernetes Node name a Calico Node stands for, if it is a Kubernetes node.
pub(crate) fn kubernetes_name(node: &Node) -> Option<&str> {
    node.spec
        .orch_refs
        .iter()
        .find(|r| r.orchestrator == "k8s")
        .map(|r| {
            if r.node_name.is_empty() {
                node.metadata.name.as_str()
            } else {
                r.node_name.as_str()
            }
        })
}

/// `node` with its labels following `kube` (see the module doc); `None` when nothing changes.
/// The annotation is written whenever it is not current, so a label Kubernetes drops later is
/// known to have come from there (Calico writes it only along with a label change).
pub(crate) fn follow_labels(node: &Node, kube: &BTreeMap<String, String>) -> Option<Node> {
    let copied: BTreeMap<String, String> = node
        .metadata
        .annotations
        .get(KUBE_LABELS)
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default();
    let mut labels = node.metadata.labels.clone();
    for key in copied.keys() {
        if !kube.contains_key(key) {
            labels.remove(key);
        }
    }
    labels.extend(kube.iter().map(|(k, v)| (k.clone(), v.clone())));
    let annotation = crate::go::json::to_string(kube);
    if labels == node.metadata.labels
        && node.metadata.annotations.get(KUBE_LABELS) == Some(&annotation)
    {
        return None;
    }
    let mut updated = node.clone();
    updated.metadata.labels = labels;
    updated
        .metadata
        .annotations
        .insert(KUBE_LABELS.to_string(), annotation);
    Some(updated)
}

/// What the controller knows and does.
pub(crate) struct NodeController {
    client: Client,
    /// The Kubernetes Nodes that exist, with their labels.
    kube: HashMap<String, BTreeMap<String, String>>,
    /// Whether `kube` holds a full listing.
    synced: bool,
    /// Calico Node name -> (Kubernetes name, revision last looked at).
    calico: HashMap<String, (Option<String>, i64)>,
    sync_labels: bool,
    dry_run: bool,
}

impl NodeController {
    pub(crate) fn new(client: Client, sync_labels: bool, dry_run: bool) -> NodeController {
        NodeController {
            client,
            kube: HashMap::new(),
            synced: false,
            calico: HashMap::new(),
            sync_labels,
            dry_run,
        }
    }

    /// The Kubernetes Nodes known to exist.
    pub(crate) fn kube_nodes(&self) -> impl Iterator<Item = &str> {
        self.kube.keys().map(String::as_str)
    }

    /// Replaces what is known with a full listing, and brings every Calico Node up to date
    /// (labels; deletion of those whose Kubernetes Node is gone).
    pub(crate) fn listed(
        &mut self,
        nodes: Vec<k8s_openapi::api::core::v1::Node>,
        confirm_gone: &mut dyn FnMut(&str) -> bool,
        log: Log,
    ) -> Result<(), IpamError> {
        self.kube = nodes
            .into_iter()
            .filter_map(|n| Some((n.metadata.name?, n.metadata.labels.unwrap_or_default())))
            .collect();
        self.synced = true;
        self.calico.clear();
        self.refresh(confirm_gone, log)
    }

    /// A Kubernetes Node was added or changed.
    pub(crate) fn applied(
        &mut self,
        node: k8s_openapi::api::core::v1::Node,
        log: Log,
    ) -> Result<(), IpamError> {
        let Some(name) = node.metadata.name else {
            return Ok(());
        };
        let labels = node.metadata.labels.unwrap_or_default();
        let changed = self.kube.get(&name) != Some(&labels);
        self.kube.insert(name.clone(), labels);
        if changed {
            for calico in self.calico_names_for(&name) {
                self.sync_one(&calico, log)?;
            }
        }
        Ok(())
    }

    /// A Kubernetes Node was deleted.
    pub(crate) fn deleted(
        &mut self,
        node: k8s_openapi::api::core::v1::Node,
        confirm_gone: &mut dyn FnMut(&str) -> bool,
        log: Log,
    ) -> Result<(), IpamError> {
        let Some(name) = node.metadata.name else {
            return Ok(());
        };
        self.kube.remove(&name);
        for calico in self.calico_names_for(&name) {
            self.delete_if_gone(&calico, &name, confirm_gone, log)?;
        }
        Ok(())
    }

    fn calico_names_for(&self, kube_name: &str) -> Vec<String> {
        self.calico
            .iter()
            .filter(|(_, (k, _))| k.as_deref() == Some(kube_name))
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Looks at the Calico Nodes that are new or changed since last looked at (one keys-only
    /// read of the Node prefix), and brings them up to date.
    pub(crate) fn refresh(
        &mut self,
        confirm_gone: &mut dyn FnMut(&str) -> bool,
        log: Log,
    ) -> Result<(), IpamError> {
        if !self.synced {
            return Ok(());
        }
        let prefix = keys::resource_prefix(Node::PLURAL, None);
        let listing = self.client.store().list_keys(&prefix)?;
        let mut present = std::collections::HashSet::new();
        for kv in listing.kvs {
            let Some(name) = kv.key.strip_prefix(&prefix).map(str::to_string) else {
                continue;
            };
            present.insert(name.clone());
            if self.calico.get(&name).map(|(_, rev)| *rev) == Some(kv.mod_revision) {
                continue;
            }
            let Some(node) = self.client.get_opt::<Node>(None, &name)? else {
                continue;
            };
            let kube_name = kubernetes_name(&node).map(str::to_string);
            self.calico
                .insert(name.clone(), (kube_name.clone(), kv.mod_revision));
            let Some(kube_name) = kube_name else {
                continue;
            };
            if self.kube.contains_key(&kube_name) {
                self.sync_node(node, &kube_name, log)?;
            } else {
                self.delete_if_gone(&name, &kube_name, confirm_gone, log)?;
            }
        }
        self.calico.retain(|name, _| present.contains(name));
        Ok(())
    }

    /// Brings Calico Node `name` up to date with its Kubernetes Node's labels.
    fn sync_one(&mut self, name: &str, log: Log) -> Result<(), IpamError> {
        let Some(node) = self.client.get_opt::<Node>(None, name)? else {
            self.calico.remove(name);
            return Ok(());
        };
        let Some(kube_name) = kubernetes_name(&node).map(str::to_string) else {
            return Ok(());
        };
        self.sync_node(node, &kube_name, log)
    }

    fn sync_node(&mut self, mut node: Node, kube_name: &str, log: Log) -> Result<(), IpamError> {
        if !self.sync_labels {
            return Ok(());
        }
        for _ in 0..CONFLICT_RETRIES {
            let Some(kube) = self.kube.get(kube_name) else {
                return Ok(());
            };
            let Some(updated) = follow_labels(&node, kube) else {
                return Ok(());
            };
            let name = node.metadata.name.clone();
            if self.dry_run {
                log(
                    "INFO",
                    &format!(
                        "dry run: would set the labels of Calico Node {name} to {}",
                        crate::go::json::to_string(&updated.metadata.labels)
                    ),
                );
                return Ok(());
            }
            match self.client.update(updated) {
                Ok(n) => {
                    log(
                        "INFO",
                        &format!(
                            "Updated the labels of Calico Node {name} from Kubernetes Node {kube_name}: {}",
                            crate::go::json::to_string(&n.metadata.labels)
                        ),
                    );
                    let rev = n.metadata.resource_version.parse().unwrap_or(0);
                    self.calico.insert(name, (Some(kube_name.to_string()), rev));
                    return Ok(());
                }
                Err(ClientError::Conflict(_)) => {
                    log("INFO", "Failed to update node, retrying");
                    match self.client.get_opt::<Node>(None, &name)? {
                        Some(n) => node = n,
                        None => return Ok(()),
                    }
                }
                Err(ClientError::NotFound(_)) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Deletes Calico Node `name` (of Kubernetes Node `kube_name`) with what belongs to it,
    /// when the API server confirms the Kubernetes Node is gone.
    fn delete_if_gone(
        &mut self,
        name: &str,
        kube_name: &str,
        confirm_gone: &mut dyn FnMut(&str) -> bool,
        log: Log,
    ) -> Result<(), IpamError> {
        if !confirm_gone(kube_name) {
            return Ok(());
        }
        if self.dry_run {
            log(
                "INFO",
                &format!(
                    "dry run: would delete Calico Node {name}: Kubernetes Node {kube_name} is gone"
                ),
            );
            return Ok(());
        }
        match Ipam::new(self.client.clone()).delete_node(name, None) {
            Ok(_) => log(
                "INFO",
                &format!(
                    "Deleted Calico Node {name} with its endpoints, addresses and affinities: Kubernetes Node {kube_name} is gone"
                ),
            ),
            Err(IpamError::Client(ClientError::NotFound(_))) => {}
            Err(e) => return Err(e),
        }
        self.calico.remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn labels_follow_kubernetes_and_calico_only_ones_stay() {
        let mut node = Node::new("node-1");
        node.metadata.labels = labels(&[("team", "blue"), ("rack", "9")]);
        // First sync: Kubernetes wins on a shared key; the Calico-only label stays.
        let n = follow_labels(&node, &labels(&[("rack", "0")])).unwrap();
        assert_eq!(
            n.metadata.labels,
            labels(&[("rack", "0"), ("team", "blue")])
        );
        assert_eq!(n.metadata.annotations[KUBE_LABELS], r#"{"rack":"0"}"#);
        assert!(follow_labels(&n, &labels(&[("rack", "0")])).is_none());
        // Removed in Kubernetes: removed here; the Calico-only one is kept.
        let n = follow_labels(&n, &labels(&[])).unwrap();
        assert_eq!(n.metadata.labels, labels(&[("team", "blue")]));
        assert_eq!(n.metadata.annotations[KUBE_LABELS], "{}");
    }

    #[test]
    fn only_kubernetes_nodes_have_a_kubernetes_name() {
        let node: Node = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "calico-1"},
            "spec": {"orchRefs": [{"orchestrator": "k8s", "nodeName": "kube-1"}]}
        }))
        .unwrap();
        assert_eq!(kubernetes_name(&node), Some("kube-1"));
        assert_eq!(kubernetes_name(&Node::new("plain")), None);
    }
}
