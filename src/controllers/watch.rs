//! List and watch, as Kubernetes informers do it: one LIST, then a WATCH from the list's
//! resourceVersion, resumed from the last version seen when the server ends it; a `410 Gone`
//! (the version was compacted away), on the watch request or as an event in it, means one new
//! LIST, whose result replaces what was known.

use crate::k8s::KubeError;
use futures::stream::{BoxStream, StreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Node as KubeNode, Pod};
use kube::Resource;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::time::Duration;

/// Seconds a watch request asks the server to keep it open (the server may end it sooner).
const WATCH_SECONDS: u32 = 290;

/// What changed.
#[derive(Debug)]
pub(crate) enum Change<K> {
    /// A full listing: everything that exists now (the first one, and after a 410).
    Listed(Vec<K>),
    /// An object was added or changed.
    Applied(K),
    /// An object was deleted (its last state).
    Deleted(K),
}

/// One resource's list and watch.
pub(crate) struct Reflector<K: 'static> {
    api: Api<K>,
    version: Option<String>,
    stream: Option<BoxStream<'static, Result<WatchEvent<K>, kube::Error>>>,
    /// How many times a 410 Gone made it list again.
    pub(crate) relists: u64,
}

impl<K> Reflector<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    pub(crate) fn new(api: Api<K>) -> Reflector<K> {
        Reflector {
            api,
            version: None,
            stream: None,
            relists: 0,
        }
    }

    /// Lists when no listing is current, and opens the watch when none is open. Not to be
    /// cancelled half-way (a listing in flight would be lost); [`Reflector::next`] is.
    pub(crate) async fn prepare(&mut self) -> Result<Option<Change<K>>, KubeError> {
        let Some(version) = self.version.clone() else {
            let list = self
                .api
                .list(&ListParams::default())
                .await
                .map_err(KubeError::from_kube)?;
            self.version = list.metadata.resource_version.clone();
            self.stream = None;
            return Ok(Some(Change::Listed(list.items)));
        };
        if self.stream.is_none() {
            let params = WatchParams::default().timeout(WATCH_SECONDS);
            match self.api.watch(&params, &version).await {
                Ok(s) => self.stream = Some(s.boxed()),
                Err(e) => return Err(self.gone(KubeError::from_kube(e))),
            }
        }
        Ok(None)
    }

    /// The next event of the open watch (after [`Reflector::prepare`]); `None` when there is
    /// nothing to report (a bookmark, the server ended the watch, a 410 that calls for a new
    /// listing). Cancel-safe.
    pub(crate) async fn next(&mut self) -> Result<Option<Change<K>>, KubeError> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        let event = match stream.next().await {
            None => {
                self.stream = None;
                return Ok(None);
            }
            Some(Err(e)) => {
                self.stream = None;
                return Err(self.gone(KubeError::from_kube(e)));
            }
            Some(Ok(event)) => event,
        };
        let (change, version) = match event {
            WatchEvent::Added(o) | WatchEvent::Modified(o) => {
                let v = o.meta().resource_version.clone();
                (Some(Change::Applied(o)), v)
            }
            WatchEvent::Deleted(o) => {
                let v = o.meta().resource_version.clone();
                (Some(Change::Deleted(o)), v)
            }
            WatchEvent::Bookmark(b) => (None, Some(b.metadata.resource_version)),
            WatchEvent::Error(status) => {
                self.stream = None;
                let e = KubeError::Api {
                    code: status.code,
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                };
                return Err(self.gone(e));
            }
        };
        if version.is_some() {
            self.version = version;
        }
        Ok(change)
    }

    /// A 410 Gone forgets the version, so the next [`Reflector::prepare`] lists again; it is
    /// reported as nothing. Other errors are returned.
    fn gone(&mut self, e: KubeError) -> KubeError {
        if e.is_gone() {
            self.version = None;
            self.stream = None;
            self.relists += 1;
        }
        e
    }

    /// Whether a listing has been had (and not invalidated by a 410 since).
    pub(crate) fn synced(&self) -> bool {
        self.version.is_some()
    }
}

/// The controllers' three watches: Kubernetes Nodes, Pods and StatefulSets.
pub(crate) struct Reflectors {
    pub(crate) nodes: Reflector<KubeNode>,
    pub(crate) pods: Reflector<Pod>,
    pub(crate) sets: Reflector<StatefulSet>,
}

/// A change of one of the watched resources.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one event at a time, moved straight into its controller, never stored"
)]
pub(crate) enum Event {
    Node(Change<KubeNode>),
    Pod(Change<Pod>),
    Set(Change<StatefulSet>),
}

impl Reflectors {
    /// Every Node, Pod and StatefulSet of the cluster.
    pub(crate) fn new(client: &kube::Client) -> Reflectors {
        Reflectors {
            nodes: Reflector::new(Api::all(client.clone())),
            pods: Reflector::new(Api::all(client.clone())),
            sets: Reflector::new(Api::all(client.clone())),
        }
    }

    /// Whether all three have been listed (and not invalidated by a 410 since).
    pub(crate) fn synced(&self) -> bool {
        self.nodes.synced() && self.pods.synced() && self.sets.synced()
    }

    /// How many times a 410 Gone made one of them list again.
    pub(crate) fn relists(&self) -> u64 {
        self.nodes.relists + self.pods.relists + self.sets.relists
    }

    /// Waits up to `wait` for the next change of any of them (listing or opening watches
    /// first when needed). Errors are tagged with which resource failed.
    pub(crate) async fn next(
        &mut self,
        wait: Duration,
    ) -> Result<Option<Event>, (&'static str, KubeError)> {
        if let Some(c) = self.nodes.prepare().await.map_err(|e| ("nodes", e))? {
            return Ok(Some(Event::Node(c)));
        }
        if let Some(c) = self.pods.prepare().await.map_err(|e| ("pods", e))? {
            return Ok(Some(Event::Pod(c)));
        }
        if let Some(c) = self.sets.prepare().await.map_err(|e| ("statefulsets", e))? {
            return Ok(Some(Event::Set(c)));
        }
        tokio::select! {
            r = self.nodes.next() => r.map(|c| c.map(Event::Node)).map_err(|e| ("nodes", e)),
            r = self.pods.next() => r.map(|c| c.map(Event::Pod)).map_err(|e| ("pods", e)),
            r = self.sets.next() => r.map(|c| c.map(Event::Set)).map_err(|e| ("statefulsets", e)),
            () = tokio::time::sleep(wait) => Ok(None),
        }
    }
}
