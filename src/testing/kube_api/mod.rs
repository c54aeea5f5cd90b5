//! A stand-in Kubernetes API server for tests: no kube-apiserver can be installed on the test
//! machines, so this one speaks its wire format for the few kinds the product reads.
//!
//! [`KubeApiServer::start`] serves HTTPS on a free `127.0.0.1` port with a CA and server
//! certificate made by `openssl` ([`TestPki`]), and accepts one bearer token. It holds core/v1
//! Pods, Namespaces and Nodes and apps/v1 StatefulSets as JSON, and answers as kube-apiserver
//! does (k8s.io/apimachinery's shapes):
//! - discovery: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/apps`, `/apis/apps/v1` (legacy
//!   discovery; the aggregated form is not offered, so clients fall back as they do with older
//!   servers);
//! - GET one object; LIST (`PodList` ..., `metadata.resourceVersion`, `limit` and `continue`
//!   paging, `labelSelector`, `fieldSelector` on `metadata.name`, `metadata.namespace` and, for
//!   Pods, `spec.nodeName` and `status.phase`); list items carry no `kind`/`apiVersion`, as the
//!   real server's do;
//! - WATCH (`watch=1`, `resourceVersion`, `timeoutSeconds`, `allowWatchBookmarks`): a chunked
//!   stream of `{"type":..,"object":..}` lines, ADDED/MODIFIED/DELETED, a BOOKMARK before a
//!   watch ends at its timeout, and an ERROR event carrying a 410 `Expired` Status when the
//!   resourceVersion is older than the last [`KubeApiServer::compact`]; without a
//!   resourceVersion (or with `0`) the current objects come first as ADDED events;
//! - POST (create, 409 `AlreadyExists`), PUT (replace, 409 `Conflict` on a stale
//!   resourceVersion), PATCH with `application/merge-patch+json` or
//!   `application/strategic-merge-patch+json` (both applied as a merge patch, which is what
//!   strategic merge does to the maps `kubectl label`/`annotate` change), DELETE;
//! - Status bodies for 401 (wrong or missing token), 404 (`pods "web-0" not found`, reason
//!   `NotFound`, details), 409, 410, 415 and 503 (while [`KubeApiServer::set_refusing`]).
//!
//! Simplifications, on purpose: paging reads the current objects after the continue key, not a
//! snapshot; a watch with a label selector does not turn "stopped matching" into DELETED; no
//! admission, defaulting, graceful deletion or field managers.
//!
//! Every request is logged (`"GET /api/v1/namespaces/ns/pods/p"`, the query after `?` when
//! there is one) for tests to assert which calls were made, or that none was.

mod http;
mod select;

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

use self::http::Request;
use self::select::{FieldSelector, LabelSelector, merge_patch};
use super::TestPki;

/// A kind the stand-in serves.
#[derive(Debug)]
struct KindInfo {
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    /// `""` for the core group.
    group: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    /// Field selector labels besides `metadata.name` and `metadata.namespace`.
    fields: &'static [&'static str],
}

const KINDS: &[KindInfo] = &[
    KindInfo {
        kind: "Pod",
        plural: "pods",
        singular: "pod",
        group: "",
        namespaced: true,
        short_names: &["po"],
        fields: &["spec.nodeName", "status.phase", "spec.serviceAccountName"],
    },
    KindInfo {
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        group: "",
        namespaced: false,
        short_names: &["ns"],
        fields: &["status.phase"],
    },
    KindInfo {
        kind: "Node",
        plural: "nodes",
        singular: "node",
        group: "",
        namespaced: false,
        short_names: &["no"],
        fields: &["spec.unschedulable"],
    },
    KindInfo {
        kind: "StatefulSet",
        plural: "statefulsets",
        singular: "statefulset",
        group: "apps",
        namespaced: true,
        short_names: &["sts"],
        fields: &[],
    },
];

impl KindInfo {
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            "v1".to_string()
        } else {
            format!("{}/v1", self.group)
        }
    }

    /// The resource as messages name it: `pods`, `statefulsets.apps`.
    fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    fn index(&self) -> usize {
        KINDS
            .iter()
            .position(|k| std::ptr::eq(k, self))
            .expect("a kind of KINDS")
    }

    fn discovery(&self) -> Value {
        json!({
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            "shortNames": self.short_names,
        })
    }
}

/// The kind named by its `kind`, plural or singular.
fn kind_info(name: &str) -> &'static KindInfo {
    KINDS
        .iter()
        .find(|k| k.kind == name || k.plural == name || k.singular == name)
        .unwrap_or_else(|| {
            panic!("the stand-in API server has no kind {name:?} (it serves Pod, Namespace, Node, StatefulSet)")
        })
}

type Key = (usize, String, String);

#[derive(Debug)]
struct Event {
    rv: u64,
    kind: usize,
    namespace: String,
    event_type: &'static str,
    object: Value,
}

#[derive(Debug, Default)]
struct State {
    rv: u64,
    objects: BTreeMap<Key, Value>,
    /// Every change after `compacted`, oldest first.
    events: Vec<Event>,
    compacted: u64,
    refusing: bool,
    stopping: bool,
    requests: Vec<String>,
    /// Open connections by number, shut down when the server stops.
    connections: BTreeMap<u64, TcpStream>,
    connections_made: u64,
}

impl State {
    /// Creates or replaces an object, keeping its uid and creation time; returns its new RV.
    fn put(&mut self, info: &KindInfo, namespace: &str, name: &str, mut object: Value) -> u64 {
        self.rv += 1;
        let rv = self.rv;
        let key = (info.index(), namespace.to_string(), name.to_string());
        let old = self.objects.get(&key);
        let old_meta = |field: &str| old.and_then(|o| o["metadata"].get(field)).cloned();
        if !object["metadata"].is_object() {
            object["metadata"] = json!({});
        }
        object["apiVersion"] = json!(info.api_version());
        object["kind"] = json!(info.kind);
        let meta = &mut object["metadata"];
        meta["name"] = json!(name);
        if info.namespaced {
            meta["namespace"] = json!(namespace);
        }
        let uid = old_meta("uid")
            .or_else(|| meta.get("uid").filter(|u| u.is_string()).cloned())
            .unwrap_or_else(|| json!(uuid::Uuid::new_v4().to_string()));
        meta["uid"] = uid;
        let created = old_meta("creationTimestamp")
            .or_else(|| {
                meta.get("creationTimestamp")
                    .filter(|t| t.is_string())
                    .cloned()
            })
            .unwrap_or_else(|| json!(crate::go::time::rfc3339(std::time::SystemTime::now())));
        meta["creationTimestamp"] = created;
        meta["resourceVersion"] = json!(rv.to_string());
        let event_type = if old.is_some() { "MODIFIED" } else { "ADDED" };
        self.events.push(Event {
            rv,
            kind: info.index(),
            namespace: namespace.to_string(),
            event_type,
            object: object.clone(),
        });
        self.objects.insert(key, object);
        rv
    }

    fn remove(&mut self, info: &KindInfo, namespace: &str, name: &str) -> Option<Value> {
        let key = (info.index(), namespace.to_string(), name.to_string());
        let mut object = self.objects.remove(&key)?;
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.events.push(Event {
            rv: self.rv,
            kind: info.index(),
            namespace: namespace.to_string(),
            event_type: "DELETED",
            object: object.clone(),
        });
        Some(object)
    }
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    token: String,
    port: u16,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The stand-in API server; stops, closes its connections and frees its port on drop.
#[derive(Debug)]
pub struct KubeApiServer {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    pki: TestPki,
}

impl KubeApiServer {
    /// Starts serving HTTPS on a free `127.0.0.1` port with a fresh CA and a fresh token.
    pub fn start() -> KubeApiServer {
        let pki = TestPki::generate();
        let certs = CertificateDer::pem_file_iter(&pki.server_cert)
            .and_then(|c| c.collect::<Result<Vec<_>, _>>())
            .expect("read the server certificate");
        let key = PrivateKeyDer::from_pem_file(&pki.server_key).expect("read the server key");
        let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("the server certificate and key");
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tls = Arc::new(tls);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            token: format!("stand-in-{}", uuid::Uuid::new_v4().simple()),
            port,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let Ok(clone) = stream.try_clone() else {
                        continue;
                    };
                    let id = {
                        let mut state = shared.lock();
                        state.connections_made += 1;
                        let id = state.connections_made;
                        state.connections.insert(id, clone);
                        id
                    };
                    let close = CloseOnDrop {
                        shared: shared.clone(),
                        id,
                    };
                    let tls = tls.clone();
                    std::thread::spawn(move || serve_connection(close, stream, tls));
                }
            })
        };
        KubeApiServer {
            shared,
            stop,
            acceptor: Some(acceptor),
            pki,
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.shared.port)
    }

    /// The bearer token the server accepts; any other gets a 401 Status.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The CA certificate (PEM file) that signed the server's certificate.
    pub fn ca_cert(&self) -> &Path {
        &self.pki.ca_cert
    }

    /// Writes a kubeconfig for this server with its token.
    pub fn write_kubeconfig(&self, path: &Path) {
        self.write_kubeconfig_with_token(path, &self.shared.token.clone());
    }

    /// Writes a kubeconfig for this server with `token` (for 401 tests).
    pub fn write_kubeconfig_with_token(&self, path: &Path, token: &str) {
        let ca = std::fs::read(&self.pki.ca_cert).expect("read the CA certificate");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: stand-in\n  cluster:\n    \
             server: {}\n    certificate-authority-data: {}\nusers:\n- name: stand-in\n  \
             user:\n    token: {token}\ncontexts:\n- name: stand-in\n  context:\n    \
             cluster: stand-in\n    user: stand-in\ncurrent-context: stand-in\n",
            self.url(),
            http::base64(&ca),
        );
        std::fs::write(path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Creates or replaces an object by apiVersion, kind, namespace and name; sets its uid
    /// (new objects), resourceVersion and creationTimestamp; emits ADDED or MODIFIED; returns
    /// its resourceVersion. Panics on an object the server cannot hold.
    pub fn apply(&self, object: Value) -> u64 {
        let kind = object["kind"].as_str().expect("the object has a kind");
        let info = kind_info(kind);
        assert_eq!(
            object["apiVersion"].as_str(),
            Some(info.api_version().as_str()),
            "apiVersion of {kind}"
        );
        let name = object["metadata"]["name"]
            .as_str()
            .expect("the object has metadata.name")
            .to_string();
        let namespace = if info.namespaced {
            object["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let rv = self.shared.lock().put(info, &namespace, &name, object);
        self.shared.changed.notify_all();
        rv
    }

    /// Deletes an object (by kind, plural or singular name); emits DELETED. False when there
    /// was none.
    pub fn delete(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        let info = kind_info(kind);
        let gone = self
            .shared
            .lock()
            .remove(info, namespace.unwrap_or(""), name)
            .is_some();
        self.shared.changed.notify_all();
        gone
    }

    /// The stored object, as a GET returns it.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let info = kind_info(kind);
        let key = (
            info.index(),
            namespace.unwrap_or("").to_string(),
            name.to_string(),
        );
        self.shared.lock().objects.get(&key).cloned()
    }

    /// The current resourceVersion (that of the last change).
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().rv
    }

    /// Forgets the event history: a watch from an older resourceVersion, or a continue token
    /// from before now, gets 410 Expired. Watches already past it go on.
    pub fn compact(&self) {
        let mut state = self.shared.lock();
        state.compacted = state.rv;
        state.events.clear();
    }

    /// While on, every request gets a 503 Status and open watches end.
    pub fn set_refusing(&self, on: bool) {
        self.shared.lock().refusing = on;
        self.shared.changed.notify_all();
    }

    /// Every request received, in order: `"GET /api/v1/namespaces/ns/pods/p"`, with `?` and
    /// the raw query when there is one.
    pub fn requests(&self) -> Vec<String> {
        self.shared.lock().requests.clone()
    }
}

impl Drop for KubeApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        {
            let mut state = self.shared.lock();
            state.stopping = true;
            for c in std::mem::take(&mut state.connections).into_values() {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
        self.shared.changed.notify_all();
        // Wakes the acceptor, which then sees the stop flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.shared.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Shuts its socket down when dropped, also when the handler panicked: the server keeps a
/// clone of every socket (to close them on stop), so a dropped stream alone would leave the
/// client waiting for ever.
struct CloseOnDrop {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        if let Some(s) = self.shared.lock().connections.remove(&self.id) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn serve_connection(close: CloseOnDrop, stream: TcpStream, tls: Arc<rustls::ServerConfig>) {
    let shared = &*close.shared;
    let Ok(conn) = rustls::ServerConnection::new(tls) else {
        return;
    };
    let mut reader = BufReader::new(rustls::StreamOwned::new(conn, stream));
    while let Ok(Some(request)) = http::read_request(&mut reader) {
        match handle(shared, &request, reader.get_mut()) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
    }
}

/// An answer: status code and JSON body.
type Answer = (u16, Value);

fn status(code: u16, reason: &str, message: String, details: Option<Value>) -> Answer {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    });
    if let Some(details) = details {
        body["details"] = details;
    }
    body["code"] = json!(code);
    (code, body)
}

fn details(info: &KindInfo, name: &str) -> Value {
    let mut d = json!({"name": name});
    if !info.group.is_empty() {
        d["group"] = json!(info.group);
    }
    d["kind"] = json!(info.plural);
    d
}

fn not_found(info: &KindInfo, name: &str) -> Answer {
    status(
        404,
        "NotFound",
        format!("{} \"{name}\" not found", info.qualified()),
        Some(details(info, name)),
    )
}

fn bad_request(message: String) -> Answer {
    status(400, "BadRequest", message, None)
}

fn expired(message: String) -> Answer {
    status(410, "Expired", message, None)
}

/// Handles one request; `Ok(false)` closes the connection.
fn handle(shared: &Shared, req: &Request, w: &mut impl Write) -> std::io::Result<bool> {
    let refusing = {
        let mut state = shared.lock();
        state.requests.push(req.log_line());
        state.refusing
    };
    let answer = if refusing {
        status(
            503,
            "ServiceUnavailable",
            "the server is currently unable to handle the request".into(),
            None,
        )
    } else if req.header("authorization") != Some(&format!("Bearer {}", shared.token)) {
        status(401, "Unauthorized", "Unauthorized".into(), None)
    } else if let Some(discovery) = discovery(shared, &req.path) {
        (200, discovery)
    } else {
        match route(&req.path) {
            Some(target) if req.method == "GET" && target.name.is_none() && req.flag("watch") => {
                return watch(shared, req, &target, w).map(|()| false);
            }
            Some(target) => resource(shared, req, &target),
            None => {
                let body = b"404 page not found\n";
                http::write_response(w, 404, "text/plain; charset=utf-8", body)?;
                return Ok(true);
            }
        }
    };
    let body = serde_json::to_vec(&answer.1).expect("JSON");
    http::write_response(w, answer.0, "application/json", &body)?;
    Ok(true)
}

fn discovery(shared: &Shared, path: &str) -> Option<Value> {
    let group_versions = |group: &str| {
        json!({
            "name": group,
            "versions": [{"groupVersion": format!("{group}/v1"), "version": "v1"}],
            "preferredVersion": {"groupVersion": format!("{group}/v1"), "version": "v1"},
        })
    };
    let resources = |group: &str, group_version: &str| {
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": KINDS.iter().filter(|k| k.group == group).map(KindInfo::discovery).collect::<Vec<_>>(),
        })
    };
    Some(match path.trim_end_matches('/') {
        "/version" => json!({
            "major": "1",
            "minor": "33",
            "gitVersion": "v1.33.0",
            "gitCommit": "60a317eadfcb839692a68eab88b2096f4d708f4f",
            "gitTreeState": "clean",
            "buildDate": "2025-04-23T13:07:07Z",
            "goVersion": "go1.24.2",
            "compiler": "gc",
            "platform": "linux/amd64",
        }),
        "/api" => json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{}", shared.port)}
            ],
        }),
        "/apis" => json!({
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [group_versions("apps")],
        }),
        "/apis/apps" => {
            let mut g = group_versions("apps");
            g["kind"] = json!("APIGroup");
            g["apiVersion"] = json!("v1");
            g
        }
        "/api/v1" => resources("", "v1"),
        "/apis/apps/v1" => resources("apps", "apps/v1"),
        _ => return None,
    })
}

/// What a resource path names.
#[derive(Debug)]
struct Target {
    info: &'static KindInfo,
    /// The namespace in the path (namespaced kinds), else none (all namespaces).
    namespace: Option<String>,
    name: Option<String>,
}

fn route(path: &str) -> Option<Target> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match segments.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", group, "v1", rest @ ..] => (*group, rest),
        _ => return None,
    };
    let kind = |plural: &str| {
        KINDS
            .iter()
            .find(|k| k.group == group && k.plural == plural)
    };
    let (info, namespace, name) = match rest {
        [plural] => (kind(plural)?, None, None),
        [plural, name] => (kind(plural).filter(|k| !k.namespaced)?, None, Some(name)),
        ["namespaces", ns, plural] => (kind(plural).filter(|k| k.namespaced)?, Some(ns), None),
        ["namespaces", ns, plural, name] => {
            (kind(plural).filter(|k| k.namespaced)?, Some(ns), Some(name))
        }
        _ => return None,
    };
    Some(Target {
        info,
        namespace: namespace.map(|s| s.to_string()),
        name: name.map(|s| s.to_string()),
    })
}

/// A list's or watch's filters.
struct Filter {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn from_request(req: &Request, info: &KindInfo) -> Result<Filter, Answer> {
        let labels =
            LabelSelector::parse(req.param("labelSelector").unwrap_or("")).map_err(bad_request)?;
        let fields = FieldSelector::parse(req.param("fieldSelector").unwrap_or(""), info.fields)
            .map_err(bad_request)?;
        Ok(Filter { labels, fields })
    }

    fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }
}

/// The object as a list item: without `kind` and `apiVersion`, as kube-apiserver sends it.
fn list_item(object: &Value) -> Value {
    let mut item = object.clone();
    if let Some(map) = item.as_object_mut() {
        map.remove("kind");
        map.remove("apiVersion");
    }
    item
}

fn resource(shared: &Shared, req: &Request, target: &Target) -> Answer {
    let info = target.info;
    let namespace = target.namespace.clone().unwrap_or_default();
    let body = || -> Result<Value, Answer> {
        serde_json::from_slice(&req.body).map_err(|e| {
            bad_request(format!(
                "the body of the request could not be decoded as JSON: {e}"
            ))
        })
    };
    let mut state = shared.lock();
    let answer = match (req.method.as_str(), &target.name) {
        ("GET", None) => list(&state, req, target),
        ("GET", Some(name)) => {
            let key = (info.index(), namespace, name.clone());
            match state.objects.get(&key) {
                Some(object) => (200, object.clone()),
                None => not_found(info, name),
            }
        }
        ("POST", None) => {
            if info.namespaced && target.namespace.is_none() {
                return status(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource".into(),
                    None,
                );
            }
            let object = match body() {
                Ok(o) => o,
                Err(a) => return a,
            };
            let Some(name) = object["metadata"]["name"].as_str().map(str::to_string) else {
                return status(
                    422,
                    "Invalid",
                    format!(
                        "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                        info.kind
                    ),
                    None,
                );
            };
            let key = (info.index(), namespace.clone(), name.clone());
            if state.objects.contains_key(&key) {
                let message = format!("{} \"{name}\" already exists", info.qualified());
                status(409, "AlreadyExists", message, Some(details(info, &name)))
            } else {
                state.put(info, &namespace, &name, object);
                (201, state.objects[&key].clone())
            }
        }
        ("PUT" | "PATCH", Some(name)) => {
            let key = (info.index(), namespace.clone(), name.clone());
            let Some(current) = state.objects.get(&key).cloned() else {
                return not_found(info, name);
            };
            let patch = match body() {
                Ok(o) => o,
                Err(a) => return a,
            };
            let content_type = req.header("content-type").unwrap_or("");
            let mut object = current.clone();
            if req.method == "PUT" {
                object = patch.clone();
            } else if content_type.starts_with("application/merge-patch+json")
                || content_type.starts_with("application/strategic-merge-patch+json")
            {
                merge_patch(&mut object, &patch);
            } else {
                return status(
                    415,
                    "UnsupportedMediaType",
                    format!(
                        "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got {content_type:?})"
                    ),
                    None,
                );
            }
            let wanted_rv = patch["metadata"]["resourceVersion"].as_str();
            if wanted_rv
                .is_some_and(|rv| Some(rv) != current["metadata"]["resourceVersion"].as_str())
            {
                let message = format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                    info.qualified()
                );
                status(409, "Conflict", message, Some(details(info, name)))
            } else {
                state.put(info, &namespace, name, object);
                (200, state.objects[&key].clone())
            }
        }
        ("DELETE", Some(name)) => match state.remove(info, &namespace, name) {
            Some(object) => (200, object),
            None => not_found(info, name),
        },
        _ => status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".into(),
            None,
        ),
    };
    drop(state);
    shared.changed.notify_all();
    answer
}

fn list(state: &State, req: &Request, target: &Target) -> Answer {
    let info = target.info;
    let filter = match Filter::from_request(req, info) {
        Ok(f) => f,
        Err(a) => return a,
    };
    let mut list_rv = state.rv;
    let mut after: Option<(String, String)> = None;
    if let Some(token) = req.param("continue").filter(|t| !t.is_empty()) {
        let mut parts = token.splitn(3, ':');
        let (Some(rv), Some(ns), Some(name)) = (
            parts.next().and_then(|r| r.parse::<u64>().ok()),
            parts.next(),
            parts.next(),
        ) else {
            return bad_request(format!("invalid continue token: {token:?}"));
        };
        if rv < state.compacted {
            return expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".into());
        }
        list_rv = rv;
        after = Some((ns.to_string(), name.to_string()));
    }
    let limit = req
        .param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|&l| l > 0);
    let mut items = Vec::new();
    let mut remaining = 0u64;
    let mut last: Option<(String, String)> = None;
    for ((kind, ns, name), object) in &state.objects {
        if *kind != info.index()
            || target.namespace.as_ref().is_some_and(|want| want != ns)
            || after
                .as_ref()
                .is_some_and(|(a_ns, a_name)| (ns, name) <= (a_ns, a_name))
            || !filter.matches(object)
        {
            continue;
        }
        if limit.is_some_and(|l| items.len() >= l) {
            remaining += 1;
            continue;
        }
        items.push(list_item(object));
        last = Some((ns.clone(), name.clone()));
    }
    let mut metadata = json!({"resourceVersion": list_rv.to_string()});
    if remaining > 0
        && let Some((ns, name)) = last
    {
        metadata["continue"] = json!(format!("{list_rv}:{ns}:{name}"));
        metadata["remainingItemCount"] = json!(remaining);
    }
    (
        200,
        json!({
            "kind": format!("{}List", info.kind),
            "apiVersion": info.api_version(),
            "metadata": metadata,
            "items": items,
        }),
    )
}

fn watch_line(event_type: &str, object: &Value) -> Vec<u8> {
    let mut line =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).expect("JSON");
    line.push(b'\n');
    line
}

fn watch(
    shared: &Shared,
    req: &Request,
    target: &Target,
    w: &mut impl Write,
) -> std::io::Result<()> {
    let info = target.info;
    let filter = match Filter::from_request(req, info) {
        Ok(f) => f,
        Err((code, body)) => {
            let body = serde_json::to_vec(&body).expect("JSON");
            return http::write_response(w, code, "application/json", &body);
        }
    };
    let deadline = req
        .param("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(|t| Instant::now() + Duration::from_secs(t));
    let bookmarks = req.flag("allowWatchBookmarks");
    http::start_chunked(w)?;
    let mut state = shared.lock();
    let mut cursor = match req
        .param("resourceVersion")
        .filter(|rv| !rv.is_empty() && *rv != "0")
    {
        Some(rv) => match rv.parse::<u64>() {
            Ok(rv) => rv,
            Err(_) => {
                drop(state);
                let (_, body) = bad_request(format!("invalid resource version: {rv:?}"));
                http::write_chunk(w, &watch_line("ERROR", &body))?;
                return http::end_chunked(w);
            }
        },
        None => {
            // The current state first, as synthetic ADDED events.
            let mut lines = Vec::new();
            for ((kind, ns, _), object) in &state.objects {
                if *kind == info.index()
                    && target.namespace.as_ref().is_none_or(|want| want == ns)
                    && filter.matches(object)
                {
                    lines.extend(watch_line("ADDED", object));
                }
            }
            let rv = state.rv;
            drop(state);
            if !lines.is_empty() {
                http::write_chunk(w, &lines)?;
            }
            state = shared.lock();
            rv
        }
    };
    loop {
        if cursor < state.compacted {
            let (_, body) = expired(format!(
                "too old resource version: {cursor} ({})",
                state.compacted
            ));
            drop(state);
            http::write_chunk(w, &watch_line("ERROR", &body))?;
            return http::end_chunked(w);
        }
        let mut lines = Vec::new();
        for e in state.events.iter().filter(|e| e.rv > cursor) {
            if e.kind == info.index()
                && target
                    .namespace
                    .as_ref()
                    .is_none_or(|ns| *ns == e.namespace)
                && filter.matches(&e.object)
            {
                lines.extend(watch_line(e.event_type, &e.object));
            }
        }
        cursor = cursor.max(state.rv);
        let ended = state.stopping || state.refusing;
        let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
        if !lines.is_empty() {
            drop(state);
            http::write_chunk(w, &lines)?;
            state = shared.lock();
            continue;
        }
        if ended {
            drop(state);
            return http::end_chunked(w);
        }
        if timed_out {
            drop(state);
            if bookmarks {
                let bookmark = json!({
                    "kind": info.kind,
                    "apiVersion": info.api_version(),
                    "metadata": {"resourceVersion": cursor.to_string()},
                });
                http::write_chunk(w, &watch_line("BOOKMARK", &bookmark))?;
            }
            return http::end_chunked(w);
        }
        let wait = deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        state = shared
            .changed
            .wait_timeout(state, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}
