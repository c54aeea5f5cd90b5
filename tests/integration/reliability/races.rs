//! `ipam check` and `ipam release --from-report` while pods come and go: the check takes no
//! lock, so whatever it reads may change while it reads. A report must never lead the release
//! to free an address or delete a handle that a pod still holds.
//!
//! Deterministic: a store wrapper performs an assignment at the worst moment (right after the
//! check has read the blocks), then the real `calicoctl ipam release --from-report` runs on
//! the report.

use super::{audit, calicoctl, figure, text};
use calico::datastore::api::Client;
use calico::datastore::embedded::EmbeddedStore;
use calico::datastore::{KeyValue, KvStore, ListResponse, Result, Store, Txn, TxnResponse, keys};
use calico::ipam::{AutoAssignRequest, Ipam};
use calico::model::{IpPool, Node};
use calico::testing::TestDir;
use std::sync::{Arc, Mutex};

/// Runs `hook` once, right after the first listing of `prefix` returns.
struct HookStore {
    inner: Store,
    prefix: &'static str,
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl KvStore for HookStore {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        self.inner.get(key)
    }
    fn list(&self, prefix: &str) -> Result<ListResponse> {
        let r = self.inner.list(prefix);
        if prefix == self.prefix
            && let Some(hook) = self.hook.lock().unwrap().take()
        {
            hook();
        }
        r
    }
    fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        self.inner.txn(txn)
    }
    fn revision(&self) -> Result<i64> {
        self.inner.revision()
    }
}

fn assign(ipam: &Ipam, handle: &str) -> std::net::IpAddr {
    ipam.auto_assign(&AutoAssignRequest {
        num4: 1,
        handle_id: Some(handle.to_string()),
        hostname: "node-r".into(),
        ..Default::default()
    })
    .unwrap()
    .ipv4
    .unwrap()
    .ips[0]
        .addr()
}

#[test]
fn races_an_assignment_during_ipam_check_is_never_released() {
    let dir = TestDir::new("calico-race");
    let db = dir.path().join("datastore.db");
    let store: Store = Arc::new(EmbeddedStore::open(&db).unwrap());
    let client = Client::new(store.clone());
    calico::cli::ops::ensure_initialized(&client);
    client
        .create(IpPool::new("race-pool", "10.98.0.0/24"))
        .unwrap();
    client.create(Node::new("node-r")).unwrap();
    let ipam = Ipam::new(client.clone());
    // A leaked address, which the release should free.
    let leaked = assign(&ipam, "net.leaked");

    // A pod's ADD lands just after the check read the blocks: its allocation is not in the
    // check's view of the blocks, but its handle may be in its view of the handles.
    let pod_ipam = ipam.clone();
    let hooked = Arc::new(HookStore {
        inner: store.clone(),
        prefix: keys::BLOCKS_PREFIX,
        hook: Mutex::new(Some(Box::new(move || {
            assign(&pod_ipam, "net.pod");
        }))),
    });
    let check = Ipam::from_store(hooked)
        .check(calico::cli::VERSION, &[])
        .unwrap();
    let reported: Vec<&str> = check.leaked_handles.iter().map(|h| h.id.as_str()).collect();
    assert!(
        !reported.contains(&"net.pod"),
        "ipam check reported the handle of an assignment it raced with as leaked: {reported:?}"
    );
    let report = dir.path().join("report.json");
    std::fs::write(&report, serde_json::to_vec(&check.report).unwrap()).unwrap();

    // The real release, on that report.
    let o = calicoctl()
        .env("DATASTORE_TYPE", "embedded")
        .env("CALICO_DATASTORE_PATH", &db)
        .args([
            "ipam",
            "release",
            "--from-report",
            report.to_str().unwrap(),
            "--force",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let a = audit(store.as_ref());
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    assert!(
        !a.allocated.contains_key(&leaked),
        "the leak was not released"
    );
    assert!(
        a.handles.contains_key("net.pod"),
        "the pod's handle was deleted"
    );
    // The pod's DEL frees its address: nothing is lost.
    ipam.release_by_handle("net.pod").unwrap();
    assert!(audit(store.as_ref()).allocated.is_empty());
    figure(
        "races: an assignment landing while ipam check reads is neither reported nor released; \
         the leak next to it is",
    );
}
