//! `calico-kube-controllers` end to end: the real binaries (`calico-kube-controllers`,
//! `calico-node`, `calicoctl`, `calico-ipam`) against the stand-in Kubernetes API server
//! (driven by the real `/usr/bin/kubectl` where an admin would use it) and a real etcd, or the
//! embedded store.
//!
//! - seed 004 by `kubectl label nodes`: the labels reach the Calico Nodes and `calico-ipam`
//!   picks the rack pool; a label removed in Kubernetes goes; a Calico-only label stays;
//! - a Kubernetes Node deleted: its Calico Node, affinities and addresses go;
//! - a watch that expired (410 Gone) is resumed by listing again;
//! - two instances: one leads, the other waits and takes over when the leader is killed -9;
//! - a pod deleted without a CNI DEL: its address is released after the leak grace period and
//!   not before; the address of a pod that exists stays.

use crate::reliability::{calico_ipam, calico_kube_controllers, calico_node, calicoctl, text};
use calico::testing::kube_api::KubeApiServer;
use calico::testing::{EtcdServer, TestDir};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KUBECTL: &str = "/usr/bin/kubectl";

/// Where the Calico data lives.
pub(crate) enum Store {
    Etcd(Box<EtcdServer>),
    Embedded(PathBuf),
}

impl Store {
    pub(crate) fn env(&self, c: &mut Command) {
        match self {
            Store::Etcd(e) => {
                c.env("DATASTORE_TYPE", "etcdv3")
                    .env("ETCD_ENDPOINTS", e.endpoint());
            }
            Store::Embedded(p) => {
                c.env("DATASTORE_TYPE", "embedded")
                    .env("CALICO_DATASTORE_PATH", p);
            }
        }
    }

    /// The store itself, to look at its keys.
    pub(crate) fn open(&self) -> calico::datastore::Store {
        let cfg = match self {
            Store::Etcd(e) => calico::datastore::DatastoreConfig::Etcd(e.config()),
            Store::Embedded(p) => calico::datastore::DatastoreConfig::Embedded {
                path: p.clone(),
                explicit: true,
            },
        };
        calico::datastore::open(&cfg).unwrap()
    }

    /// The fields of a CNI network configuration that name this store.
    fn netconf_fields(&self) -> String {
        match self {
            Store::Etcd(e) => format!(
                r#""datastore_type": "etcdv3", "etcd_endpoints": "{}""#,
                e.endpoint()
            ),
            Store::Embedded(p) => format!(
                r#""datastore_type": "embedded", "datastore_path": "{}""#,
                p.display()
            ),
        }
    }
}

pub(crate) struct Env {
    dir: TestDir,
    pub(crate) api: KubeApiServer,
    pub(crate) kubeconfig: PathBuf,
    pub(crate) store: Store,
}

pub(crate) fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// A running `calico-kube-controllers`, its stderr in a file; killed on drop.
pub(crate) struct Controllers {
    child: Child,
    log: PathBuf,
}

impl Controllers {
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn wait_log(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "no {needle:?} in the log within {timeout:?}:\n{}",
            self.log()
        );
    }

    /// Stops it as Kubernetes does (SIGTERM): it resigns the leadership and exits.
    pub(crate) fn stop(&mut self) {
        let pid = self.child.id().to_string();
        let out = Command::new("kill").args(["-TERM", &pid]).output().unwrap();
        assert!(out.status.success(), "kill -TERM {pid}: {}", text(&out));
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "stopped by SIGTERM: {status}\n{}",
            self.log()
        );
    }

    pub(crate) fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Controllers {
    fn drop(&mut self) {
        self.kill9();
    }
}

impl Env {
    pub(crate) fn new(etcd: bool) -> Env {
        let dir = TestDir::new("kube-controllers");
        let api = KubeApiServer::start();
        let kubeconfig = dir.path().join("kubeconfig");
        api.write_kubeconfig(&kubeconfig);
        let store = if etcd {
            Store::Etcd(Box::new(EtcdServer::start()))
        } else {
            Store::Embedded(dir.path().join("calico.db"))
        };
        let env = Env {
            dir,
            api,
            kubeconfig,
            store,
        };
        // Calico's defaults, but without the Prometheus endpoint: it listens on every interface
        // (`:9094`, as Calico's does), and tests touch only loopback. (Creating the defaults
        // when the configuration is absent is covered by `controllers::settings`' tests.)
        env.calicoctl_apply(
            "apiVersion: projectcalico.org/v3\nkind: KubeControllersConfiguration\n\
             metadata:\n  name: default\nspec:\n  prometheusMetricsPort: 0\n  controllers:\n\
             \x20   node:\n      syncLabels: Enabled\n      leakGracePeriod: 15m\n",
        );
        env
    }

    pub(crate) fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .expect("run /usr/bin/kubectl (Debian's kubernetes-client)");
        assert!(out.status.success(), "kubectl {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn calicoctl(&self, args: &[&str]) -> String {
        let mut c = calicoctl();
        self.store.env(&mut c);
        let out = c.args(args).output().unwrap();
        assert!(out.status.success(), "calicoctl {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn calicoctl_apply(&self, yaml: &str) {
        let file = self.dir.path().join("apply.yaml");
        std::fs::write(&file, yaml).unwrap();
        self.calicoctl(&["apply", "-f", file.to_str().unwrap()]);
    }

    /// The Calico Node's labels, or `None` when it does not exist.
    fn calico_labels(&self, node: &str) -> Option<Value> {
        let mut c = calicoctl();
        self.store.env(&mut c);
        let out = c
            .args(["get", "node", node, "-o", "json"])
            .output()
            .unwrap();
        if !out.status.success() {
            return None;
        }
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        Some(v["metadata"]["labels"].clone())
    }

    pub(crate) fn kube_node(&self, name: &str) {
        self.api.apply(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}
        }));
    }

    /// `calico-node --once` registering `node` as Kubernetes Node `node`.
    pub(crate) fn register(&self, node: &str) {
        let mut c = calico_node();
        self.store.env(&mut c);
        let out = c
            .env("NO_DEFAULT_POOLS", "true")
            .env("CALICO_K8S_NODE_REF", node)
            .args(["--once", "--nodename", node, "--nodename-file"])
            .arg(self.dir.path().join("nodename"))
            .output()
            .unwrap();
        assert!(out.status.success(), "calico-node {node}: {}", text(&out));
    }

    pub(crate) fn start(&self, extra: &[&str]) -> Controllers {
        let log = self
            .dir
            .path()
            .join(format!("controllers-{}.log", uuid::Uuid::new_v4().simple()));
        let mut c = calico_kube_controllers();
        self.store.env(&mut c);
        let child = c
            .env("KUBECONFIG", &self.kubeconfig)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Controllers { child, log }
    }

    /// `calico-ipam` ADD for pod `pod` on `node`; the address it returned.
    pub(crate) fn cni_add(&self, node: &str, pod: &str) -> String {
        let conf = format!(
            r#"{{"cniVersion": "1.0.0", "name": "k8s-pod-network", "type": "calico-ipam",
                {}, "nodename": "{node}", "ipam_lock_file": "{}",
                "ipam": {{"type": "calico-ipam"}}}}"#,
            self.store.netconf_fields(),
            self.dir.path().join("ipam.lock").display()
        );
        let mut child = calico_ipam()
            .env("CNI_COMMAND", "ADD")
            .env("CNI_CONTAINERID", format!("ctr-{pod}"))
            .env("CNI_NETNS", "/var/run/netns/none")
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", "/usr/lib/cni")
            .env(
                "CNI_ARGS",
                format!("K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod}"),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(conf.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "calico-ipam ADD {pod}: {}",
            text(&out)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let address = v["ips"][0]["address"].as_str().unwrap();
        address.split('/').next().unwrap().to_string()
    }
}

/// A pod deleted in Kubernetes without a CNI DEL leaks its address; the garbage collector
/// releases it once the grace period has passed since it first saw it, and not before, and
/// never touches the address of a pod that exists.
fn leaked_address_collected(etcd: bool) {
    let env = Env::new(etcd);
    env.kube_node("node-1");
    env.register("node-1");
    env.calicoctl_apply(rack_pools());
    // The rack pools select by `rack`; a Calico-only label, which the controller keeps.
    env.calicoctl(&["label", "nodes", "node-1", "rack=0"]);
    for pod in ["web-1", "web-2"] {
        env.api.apply(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": "default"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "x"}]}
        }));
    }
    let leaked = env.cni_add("node-1", "web-1");
    let kept = env.cni_add("node-1", "web-2");
    let in_use = |ip: &str| {
        env.calicoctl(&["ipam", "show", "--ip", ip])
            .contains("is in use")
    };
    assert!(in_use(&leaked) && in_use(&kept));
    assert!(env.api.delete("Pod", Some("default"), "web-1"));

    let grace = Duration::from_secs(4);
    let ctl = env.start(&["--leak-grace-period", "4s"]);
    ctl.wait_log("leak candidates", Duration::from_secs(20));
    let first_seen = Instant::now();
    // Not before the grace period: poll until just short of it.
    while first_seen.elapsed() < grace - Duration::from_millis(500) {
        assert!(
            in_use(&leaked),
            "released {:?} after first sight, before the grace period:\n{}",
            first_seen.elapsed(),
            ctl.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    ctl.wait_log(
        &format!("Released leaked IP address {leaked} "),
        Duration::from_secs(20),
    );
    assert!(!in_use(&leaked), "{}", ctl.log());
    assert!(
        in_use(&kept),
        "the live pod's address stays:\n{}",
        ctl.log()
    );
    assert!(
        !ctl.log().contains(&format!("address {kept} ")),
        "{}",
        ctl.log()
    );
}

#[test]
fn leaked_address_collected_on_etcd() {
    leaked_address_collected(true);
}

#[test]
fn leaked_address_collected_on_the_embedded_store() {
    leaked_address_collected(false);
}

fn rack_pools() -> &'static str {
    include_str!("../../testdata/demo/rack-pools.yaml")
}

/// Seed 004 through `kubectl label nodes`, then a label removed, a Calico-only label kept, a
/// watch expired and a node deleted.
fn labels_follow_kubernetes(etcd: bool) {
    let env = Env::new(etcd);
    env.kube_node("node-1");
    env.kube_node("node-2");
    env.register("node-1");
    env.register("node-2");
    env.calicoctl_apply(rack_pools());
    env.calicoctl(&["label", "nodes", "node-1", "owner=ops"]);
    let ctl = env.start(&[]);
    ctl.wait_log("is now the active instance", Duration::from_secs(20));

    env.kubectl(&["label", "nodes", "node-1", "rack=0"]);
    env.kubectl(&["label", "nodes", "node-2", "rack=1"]);
    wait_until(
        "the rack labels on the Calico Nodes",
        Duration::from_secs(15),
        || {
            env.calico_labels("node-1")
                .is_some_and(|l| l["rack"] == "0")
                && env
                    .calico_labels("node-2")
                    .is_some_and(|l| l["rack"] == "1")
        },
    );
    let l = env.calico_labels("node-1").unwrap();
    assert_eq!(l["owner"], "ops", "the Calico-only label is kept: {l}");
    assert_eq!(l["kubernetes.io/hostname"], "node-1", "{l}");
    // calico-ipam picks each node's rack pool (nodeSelector rack == "0" / "1").
    let a = env.cni_add("node-1", "pod-a");
    let b = env.cni_add("node-2", "pod-b");
    assert!(a.starts_with("192.168.0."), "node-1 (rack 0) got {a}");
    assert!(b.starts_with("192.168.1."), "node-2 (rack 1) got {b}");

    // A label removed in Kubernetes goes; the Calico-only one stays.
    env.kubectl(&["label", "nodes", "node-1", "rack-"]);
    wait_until("rack removed from node-1", Duration::from_secs(15), || {
        env.calico_labels("node-1")
            .is_some_and(|l| l.get("rack").is_none())
    });
    assert_eq!(env.calico_labels("node-1").unwrap()["owner"], "ops");

    // The watch expires while the server refuses (it ends open watches), a change is made and
    // the history compacted: the controller's next watch gets 410 Gone and it lists again.
    env.api.set_refusing(true);
    std::thread::sleep(Duration::from_millis(300));
    env.api.apply(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "node-2", "labels": {"kubernetes.io/hostname": "node-2", "rack": "7"}}
    }));
    env.api.compact();
    env.api.set_refusing(false);
    wait_until(
        "the change made while the watch was gone",
        Duration::from_secs(20),
        || {
            env.calico_labels("node-2")
                .is_some_and(|l| l["rack"] == "7")
        },
    );
    ctl.wait_log("410 Gone", Duration::from_secs(5));

    // A Kubernetes Node deleted takes its Calico Node, affinities and addresses along.
    env.kubectl(&["delete", "node", "node-2"]);
    wait_until(
        "Calico Node node-2 deleted",
        Duration::from_secs(15),
        || env.calico_labels("node-2").is_none(),
    );
    let show = env.calicoctl(&["ipam", "show", "--show-blocks"]);
    let block_row = |prefix: &str| {
        show.lines()
            .any(|l| l.contains("| Block ") && l.contains(prefix))
    };
    assert!(!block_row("192.168.1."), "node-2's block is gone:\n{show}");
    assert!(block_row("192.168.0."), "node-1's block stays:\n{show}");
    let usage = env.calicoctl(&["ipam", "show", "--ip", &b]);
    assert!(
        usage.contains("is not assigned"),
        "node-2's pod address is released: {usage}"
    );
    let usage = env.calicoctl(&["ipam", "show", "--ip", &a]);
    assert!(
        usage.contains("is in use"),
        "node-1's pod keeps its address: {usage}"
    );
    let store = env.store.open();
    assert!(
        store
            .list("/calico/ipam/v2/host/node-2/")
            .unwrap()
            .kvs
            .is_empty(),
        "node-2's affinities are gone"
    );
    let blocks = store.list("/calico/ipam/v2/assignment/").unwrap().kvs;
    assert!(
        blocks
            .iter()
            .all(|kv| !String::from_utf8_lossy(&kv.value).contains("host:node-2")),
        "no block is affine to node-2"
    );
    ctl.wait_log("Deleted Calico Node node-2", Duration::from_secs(1));
    assert!(env.calico_labels("node-1").is_some());
}

#[test]
fn labels_follow_kubernetes_on_etcd() {
    labels_follow_kubernetes(true);
}

#[test]
fn labels_follow_kubernetes_on_the_embedded_store() {
    labels_follow_kubernetes(false);
}

/// Two instances: one leads, the other waits; the leader killed -9, the other takes over.
fn one_active_instance(etcd: bool) {
    let env = Env::new(etcd);
    env.kube_node("node-1");
    env.register("node-1");
    let mut first = env.start(&[]);
    first.wait_log("is now the active instance", Duration::from_secs(20));
    let second = env.start(&[]);
    second.wait_log("Waiting for leadership", Duration::from_secs(20));
    assert!(!second.log().contains("is now the active instance"));
    // --once refuses to run beside an active instance.
    let mut once = calico_kube_controllers();
    env.store.env(&mut once);
    let out = once
        .env("KUBECONFIG", &env.kubeconfig)
        .arg("--once")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("another instance of calico-kube-controllers is active"),
        "{}",
        text(&out)
    );

    let killed = Instant::now();
    first.kill9();
    second.wait_log("is now the active instance", Duration::from_secs(15));
    let took = killed.elapsed();
    println!("takeover after kill -9: {took:?}");
    env.kubectl(&["label", "nodes", "node-1", "rack=1"]);
    wait_until(
        "the new leader syncs labels",
        Duration::from_secs(15),
        || {
            env.calico_labels("node-1")
                .is_some_and(|l| l["rack"] == "1")
        },
    );
}

#[test]
fn a_second_instance_takes_over_on_etcd() {
    one_active_instance(true);
}

#[test]
fn a_second_instance_takes_over_on_the_embedded_store() {
    one_active_instance(false);
}

#[test]
fn without_kubernetes_configuration_it_says_so() {
    let dir = TestDir::new("kube-controllers-noconf");
    let mut c = calico_kube_controllers();
    let out = c
        .env("DATASTORE_TYPE", "embedded")
        .env("CALICO_DATASTORE_PATH", dir.path().join("x.db"))
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .arg("--once")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no Kubernetes configuration"),
        "{}",
        text(&out)
    );
    assert!(
        !Path::new(&dir.path().join("x.db")).exists(),
        "nothing written"
    );
}
