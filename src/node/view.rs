//! This node's view of the datastore: its own WorkloadEndpoints (key -> endpoint), fed by one
//! paged listing and then the store's change feed ([`KvStore::changes`]) over every v3
//! resource. Another node's endpoint costs one shallow decode of its `spec.node` and is
//! dropped; only this node's endpoints are kept. Changes to what the rules and the tunnel
//! addresses depend on (IPPools, this node's Node, FelixConfigurations) are reported, so
//! that the agent re-reads those (small) objects only then.

use crate::datastore::api::Stored;
use crate::datastore::{Change, Changes, DatastoreError, KeyValue, KvStore, keys};
use crate::model::{FelixConfiguration, IpPool, Node, WorkloadEndpoint};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::Duration;

/// What a batch of changes touched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Touched {
    /// This node's endpoints (one came, went or changed), or an unreadable endpoint.
    pub(crate) endpoints: bool,
    /// An IPPool, or this node's Node: the tunnel addresses' inputs.
    pub(crate) tunnel_inputs: bool,
    /// A FelixConfiguration (`floatingIPs`).
    pub(crate) felix: bool,
}

impl Touched {
    /// Everything: after a (re-)listing.
    pub(crate) const ALL: Touched = Touched {
        endpoints: true,
        tunnel_inputs: true,
        felix: true,
    };

    fn add(&mut self, other: Touched) {
        self.endpoints |= other.endpoints;
        self.tunnel_inputs |= other.tunnel_inputs;
        self.felix |= other.felix;
    }

    /// Whether the NAT rules may differ.
    pub(crate) fn rules(&self) -> bool {
        self.endpoints || self.felix
    }
}

/// How one call of [`View::follow`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Followed {
    /// Changes applied (possibly none).
    Changes(Touched),
    /// The feed fell behind a compaction: the endpoints were listed again at `revision`.
    Relisted {
        /// Where the feed had got to.
        from: i64,
        /// The oldest revision the store still had history after.
        compacted: i64,
        /// The revision of the new listing.
        revision: i64,
    },
}

/// Just `spec.node` of a WorkloadEndpoint: what tells whose it is, at the cost of a shallow
/// parse.
#[derive(serde::Deserialize)]
struct NodeOnly {
    #[serde(default)]
    spec: NodeOnlySpec,
}

#[derive(serde::Deserialize, Default)]
struct NodeOnlySpec {
    #[serde(default)]
    node: String,
}

/// This node's endpoints and where the feed has got to.
#[derive(Debug)]
pub(crate) struct View {
    nodename: String,
    node_key: String,
    endpoints_prefix: String,
    pools_prefix: String,
    felix_prefix: String,
    endpoints: BTreeMap<String, WorkloadEndpoint>,
    /// Stored endpoints that cannot be decoded, by key, with the message.
    bad: BTreeMap<String, String>,
    /// Every change up to this revision is applied; 0 before the first listing.
    revision: i64,
}

impl View {
    /// An empty view for `nodename`, not yet listed.
    pub(crate) fn new(nodename: &str) -> View {
        View {
            nodename: nodename.to_string(),
            node_key: Node::key(None, nodename),
            endpoints_prefix: WorkloadEndpoint::list_prefix(None),
            pools_prefix: IpPool::list_prefix(None),
            felix_prefix: FelixConfiguration::list_prefix(None),
            endpoints: BTreeMap::new(),
            bad: BTreeMap::new(),
            revision: 0,
        }
    }

    /// Whether the endpoints have been listed.
    pub(crate) fn loaded(&self) -> bool {
        self.revision > 0
    }

    /// The revision the view is up to date at.
    pub(crate) fn revision(&self) -> i64 {
        self.revision
    }

    /// This node's endpoints, in key order.
    pub(crate) fn endpoints(&self) -> Vec<WorkloadEndpoint> {
        self.endpoints.values().cloned().collect()
    }

    /// How many endpoints this node has.
    pub(crate) fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// The messages of the stored endpoints that cannot be decoded.
    pub(crate) fn bad(&self) -> impl Iterator<Item = &String> {
        self.bad.values()
    }

    /// Lists every endpoint (a paged scan) and keeps this node's; the revision of the listing.
    pub(crate) fn load(&mut self, store: &dyn KvStore) -> Result<i64, DatastoreError> {
        let mut endpoints = BTreeMap::new();
        let mut bad = BTreeMap::new();
        let revision = store.scan(&self.endpoints_prefix, &mut |kv| {
            match self.decode_if_ours(&kv) {
                Ok(Some(w)) => {
                    endpoints.insert(kv.key, w);
                }
                Ok(None) => {}
                Err(message) => {
                    bad.insert(kv.key, message);
                }
            }
            ControlFlow::Continue(())
        })?;
        self.endpoints = endpoints;
        self.bad = bad;
        self.revision = revision;
        Ok(revision)
    }

    /// Waits up to `timeout` for changes and applies them; lists again when the feed fell
    /// behind a compaction. Lists first when the view was never listed.
    pub(crate) fn follow(
        &mut self,
        store: &dyn KvStore,
        timeout: Duration,
    ) -> Result<Followed, DatastoreError> {
        if !self.loaded() {
            self.load(store)?;
            return Ok(Followed::Changes(Touched::ALL));
        }
        match store.changes(keys::RESOURCES_PREFIX, self.revision, timeout)? {
            Changes::Events { events, revision } => {
                let mut touched = Touched::default();
                for change in events {
                    touched.add(self.apply(change));
                }
                self.revision = self.revision.max(revision);
                Ok(Followed::Changes(touched))
            }
            Changes::Compacted { revision } => {
                let from = self.revision;
                let listed = self.load(store)?;
                Ok(Followed::Relisted {
                    from,
                    compacted: revision,
                    revision: listed,
                })
            }
        }
    }

    /// Applies one change.
    fn apply(&mut self, change: Change) -> Touched {
        let key = change.key;
        if key.starts_with(&self.endpoints_prefix) {
            let was_bad = self.bad.remove(&key).is_some();
            let ours = match change.value {
                None => None,
                Some(value) => {
                    let kv = KeyValue {
                        key: key.clone(),
                        value,
                        create_revision: 0,
                        mod_revision: change.mod_revision,
                        version: 0,
                    };
                    match self.decode_if_ours(&kv) {
                        Ok(w) => w,
                        Err(message) => {
                            self.bad.insert(key.clone(), message);
                            None
                        }
                    }
                }
            };
            let ours_changed = match ours {
                Some(w) => {
                    self.endpoints.insert(key.clone(), w);
                    true
                }
                None => self.endpoints.remove(&key).is_some(),
            };
            return Touched {
                endpoints: ours_changed || was_bad || self.bad.contains_key(&key),
                ..Touched::default()
            };
        }
        Touched {
            endpoints: false,
            tunnel_inputs: key == self.node_key || key.starts_with(&self.pools_prefix),
            felix: key.starts_with(&self.felix_prefix),
        }
    }

    /// The endpoint when it is this node's, `None` when another node's; the message when the
    /// value cannot be decoded.
    fn decode_if_ours(&self, kv: &KeyValue) -> Result<Option<WorkloadEndpoint>, String> {
        match serde_json::from_slice::<NodeOnly>(&kv.value) {
            Ok(n) if n.spec.node != self.nodename => Ok(None),
            // Ours, or not readable shallowly: the full decode decides, and words the error.
            _ => match WorkloadEndpoint::decode(kv) {
                Ok(w) if w.spec.node == self.nodename => Ok(Some(w)),
                Ok(_) => Ok(None),
                Err(e) => Err(e.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datastore::Txn;
    use crate::datastore::api::Client;
    use crate::datastore::memory::MemoryStore;
    use std::sync::Arc;

    fn wep(pod: &str, node: &str) -> WorkloadEndpoint {
        let mut w = crate::node::bench::synthetic_endpoints(node, 1).remove(0);
        w.metadata.name = crate::model::workloadendpoint::k8s_endpoint_name(node, pod, "eth0");
        w.spec.pod = pod.into();
        w
    }

    fn keys(view: &View) -> Vec<String> {
        view.endpoints.keys().cloned().collect()
    }

    #[test]
    fn keeps_only_this_node_s_endpoints_from_the_listing_and_the_feed() {
        let store = Arc::new(MemoryStore::new());
        let client = Client::new(store.clone());
        let a1 = client.create(wep("a1", "node-a")).unwrap();
        client.create(wep("b1", "node-b")).unwrap();
        let broken = format!("{}default/broken", WorkloadEndpoint::list_prefix(None));
        store
            .txn(Txn::new().put(broken.clone(), b"{not json".to_vec()))
            .unwrap();
        let mut view = View::new("node-a");
        assert_eq!(
            view.follow(store.as_ref(), Duration::ZERO).unwrap(),
            Followed::Changes(Touched::ALL),
            "the first call lists"
        );
        assert_eq!(view.revision(), store.revision().unwrap());
        assert_eq!(
            keys(&view),
            [WorkloadEndpoint::key(Some("bench"), &a1.metadata.name)]
        );
        let bad: Vec<&String> = view.bad().collect();
        assert!(bad.len() == 1 && bad[0].contains("broken"), "{bad:?}");

        // Another node's endpoints come and go: nothing touched, nothing kept.
        let b2 = client.create(wep("b2", "node-b")).unwrap();
        client
            .delete::<WorkloadEndpoint>(Some("bench"), &b2.metadata.name, None)
            .unwrap();
        assert_eq!(
            view.follow(store.as_ref(), Duration::ZERO).unwrap(),
            Followed::Changes(Touched::default())
        );
        assert_eq!(view.len(), 1);
        assert_eq!(view.revision(), store.revision().unwrap());

        // This node's: a new one, a change, a deletion, a repaired value.
        let a2 = client.create(wep("a2", "node-a")).unwrap();
        let touched = |view: &mut View| match view.follow(store.as_ref(), Duration::ZERO) {
            Ok(Followed::Changes(t)) => t,
            other => panic!("{other:?}"),
        };
        assert!(touched(&mut view).endpoints);
        assert_eq!(view.len(), 2);
        let mut changed = a1.clone();
        changed.spec.ip_nats.clear();
        client.update(changed).unwrap();
        assert!(touched(&mut view).endpoints);
        assert!(view.endpoints().iter().any(|w| w.spec.ip_nats.is_empty()));
        client
            .delete::<WorkloadEndpoint>(Some("bench"), &a2.metadata.name, None)
            .unwrap();
        assert!(touched(&mut view).endpoints);
        assert_eq!(view.len(), 1);
        store.txn(Txn::new().delete(broken)).unwrap();
        assert!(touched(&mut view).endpoints, "an unreadable endpoint went");
        assert_eq!(view.bad().count(), 0);
        // An endpoint that moves to another node leaves the view (written as another writer
        // may write it: the client refuses to move a Kubernetes endpoint).
        let mut moved: WorkloadEndpoint = client.get(Some("bench"), &a1.metadata.name).unwrap();
        moved.spec.node = "node-b".into();
        let key = WorkloadEndpoint::key(Some("bench"), &moved.metadata.name);
        store.txn(Txn::new().put(key, moved.encode())).unwrap();
        assert!(touched(&mut view).endpoints);
        assert_eq!(view.len(), 0);

        // What the rules and tunnels depend on is reported, not kept.
        client.create(IpPool::new("p", "10.65.0.0/16")).unwrap();
        assert!(touched(&mut view).tunnel_inputs);
        client.create(Node::new("node-b")).unwrap();
        assert_eq!(touched(&mut view), Touched::default(), "another Node");
        client.create(Node::new("node-a")).unwrap();
        assert!(touched(&mut view).tunnel_inputs);
        client
            .create(FelixConfiguration::with_floating_ips("default", "Enabled"))
            .unwrap();
        assert!(touched(&mut view).felix);
    }

    #[test]
    fn a_feed_behind_a_compaction_lists_again() {
        let store = Arc::new(MemoryStore::new());
        let client = Client::new(store.clone());
        client.create(wep("a1", "node-a")).unwrap();
        let mut view = View::new("node-a");
        let listed = view.load(store.as_ref()).unwrap();
        client.create(wep("a2", "node-a")).unwrap();
        client.create(wep("b1", "node-b")).unwrap();
        let now = store.revision().unwrap();
        store.compact(now);
        assert_eq!(
            view.follow(store.as_ref(), Duration::ZERO).unwrap(),
            Followed::Relisted {
                from: listed,
                compacted: now,
                revision: now
            }
        );
        assert_eq!(view.len(), 2);
        // And follows on from the new listing.
        client.create(wep("a3", "node-a")).unwrap();
        assert!(matches!(
            view.follow(store.as_ref(), Duration::ZERO).unwrap(),
            Followed::Changes(t) if t.endpoints
        ));
        assert_eq!(view.len(), 3);
    }
}
