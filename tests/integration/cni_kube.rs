//! `calico-ipam` reading the pod and its namespace from the Kubernetes API (issue 23 item 1),
//! end to end: the real binary, a real etcd, and the stand-in API server.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use calico::datastore::KvStore;
use calico::testing::kube_api::KubeApiServer;
use calico::testing::{SharedEtcd, TestDir, shared_etcd};
use serde_json::{Value, json};

use crate::kube_api::{namespace, pod};
use crate::reliability::{calico_ipam, calicoctl, text};

const NODE: &str = "node-1";

struct Cluster {
    etcd: SharedEtcd,
    api: KubeApiServer,
    dir: TestDir,
}

impl Cluster {
    /// etcd with `pools` (calicoctl YAML documents) and this node; the API with namespace
    /// `default`.
    fn new(pools: &str) -> Cluster {
        let etcd = shared_etcd();
        let api = KubeApiServer::start();
        let dir = TestDir::new("cni-kube");
        api.write_kubeconfig(&dir.path().join("kubeconfig"));
        api.apply(namespace("default", json!({}), json!({})));
        let c = Cluster { etcd, api, dir };
        let node = format!(
            "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: {NODE}\n---\n{pools}"
        );
        let out = c.calicoctl(&["create", "-f", "-"], &node);
        assert!(out.status.success(), "{}", text(&out));
        c
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    fn calicoctl(&self, args: &[&str], stdin: &str) -> Output {
        let mut cmd = calicoctl();
        cmd.args(args)
            .env("DATASTORE_TYPE", "etcdv3")
            .env("ETCD_ENDPOINTS", self.etcd.endpoint());
        run(cmd, stdin.as_bytes())
    }

    fn netconf(&self, kubeconfig: Option<&PathBuf>, args_k8s: Value) -> Value {
        let mut conf = json!({
            "cniVersion": "1.0.0",
            "name": "k8s-pod-network",
            "type": "calico",
            "datastore_type": "etcdv3",
            "etcd_endpoints": self.etcd.endpoint(),
            "nodename": NODE,
            "ipam_lock_file": self.dir.path().join("ipam.lock"),
            "feature_control": {"floating_ips": true},
            "ipam": {"type": "calico-ipam"},
            "args": {"k8s": args_k8s},
        });
        if let Some(path) = kubeconfig {
            conf["kubernetes"] = json!({"kubeconfig": path});
        }
        conf
    }

    /// Runs calico-ipam `command` for the pod (container `ctr-<pod>`).
    fn cni(
        &self,
        command: &str,
        ns: &str,
        pod: &str,
        conf: &Value,
        env: &[(&str, &str)],
    ) -> Output {
        let mut cmd = calico_ipam();
        cmd.env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", format!("ctr-{pod}"))
            .env("CNI_NETNS", format!("/var/run/netns/{pod}"))
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", "/opt/cni/bin")
            .env(
                "CNI_ARGS",
                format!("IgnoreUnknown=1;K8S_POD_NAMESPACE={ns};K8S_POD_NAME={pod}"),
            )
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST");
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(cmd, conf.to_string().as_bytes())
    }

    /// An ADD with the kubeconfig in the configuration; the pod's addresses.
    fn add(&self, ns: &str, pod: &str) -> Vec<String> {
        let conf = self.netconf(Some(&self.kubeconfig()), json!({}));
        let out = self.cni("ADD", ns, pod, &conf, &[]);
        addresses(&out)
    }

    fn keys(&self) -> Vec<String> {
        keys(&self.etcd)
    }

    fn endpoint_json(&self, ns: &str) -> Value {
        let out = self.calicoctl(&["get", "workloadendpoints", "-n", ns, "-o", "json"], "");
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Every key `etcd` holds.
pub(crate) fn keys(etcd: &SharedEtcd) -> Vec<String> {
    etcd.store()
        .list_keys("")
        .unwrap()
        .kvs
        .into_iter()
        .map(|kv| kv.key)
        .collect()
}

/// Runs `cmd` with `stdin` written to it; its output.
pub(crate) fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the program");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// The addresses (without prefix length) of a successful ADD's result.
pub(crate) fn addresses(out: &Output) -> Vec<String> {
    assert!(out.status.success(), "ADD failed: {}", text(out));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    result["ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ip| {
            let a = ip["address"].as_str().unwrap();
            a.split('/').next().unwrap().to_string()
        })
        .collect()
}

/// The CNI error object of a failed call.
pub(crate) fn cni_error(out: &Output) -> Value {
    assert!(!out.status.success(), "expected a failure: {}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

fn in_cidr(ip: &str, prefix: &str) -> bool {
    ip.starts_with(prefix)
}

const SEED_003_POOLS: &str = "apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: default-ipv4-ippool
spec:
  cidr: 192.168.0.0/16
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: my.ippool-1
spec:
  cidr: 172.23.19.0/30
  blockSize: 30
  ipipMode: CrossSubnet
  natOutgoing: true
  nodeSelector: all()
  allowedUses: [Workload, Tunnel]
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: my.ippool-2
spec:
  cidr: 172.23.19.4/30
  blockSize: 30
  ipipMode: CrossSubnet
  natOutgoing: true
  nodeSelector: all()
  allowedUses: [Workload, Tunnel]
";

/// Seed 003: a fixed address (`ipAddrs`) and pool restriction (`ipv4pools`) given as pod
/// annotations that only the API carries.
#[test]
fn seed_003_by_pod_annotations_read_from_the_api() {
    let c = Cluster::new(SEED_003_POOLS);
    c.api.apply(pod(
        "default",
        "staticippod",
        NODE,
        json!({"cni.projectcalico.org/ipAddrs": "[\"192.168.0.1\"]"}),
    ));
    assert_eq!(c.add("default", "staticippod"), ["192.168.0.1"]);
    let requests = c.api.requests();
    assert_eq!(
        requests,
        [
            "GET /api/v1/namespaces/default",
            "GET /api/v1/namespaces/default/pods/staticippod"
        ],
        "the namespace, then the pod, as Calico's plugin reads them"
    );

    let mut seen = Vec::new();
    for i in 0..6 {
        let name = format!("redis-cluster-{i}");
        c.api.apply(pod(
            "default",
            &name,
            NODE,
            json!({"cni.projectcalico.org/ipv4pools": "[\"my.ippool-1\", \"my.ippool-2\"]"}),
        ));
        let ips = c.add("default", &name);
        assert_eq!(ips.len(), 1);
        assert!(in_cidr(&ips[0], "172.23.19."), "{name} got {ips:?}");
        seen.push(ips[0].clone());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "six distinct addresses: {seen:?}");
    let calls = c.api.requests().len();
    // Without a kubeconfig, args.k8s still names the pools, and the API is not asked.
    let conf = c.netconf(
        None,
        json!({"annotations": {"cni.projectcalico.org/ipv4pools": "[\"default-ipv4-ippool\"]"}}),
    );
    let ips = addresses(&c.cni("ADD", "default", "plain", &conf, &[]));
    assert!(in_cidr(&ips[0], "192.168."), "{ips:?}");
    assert_eq!(c.api.requests().len(), calls);
}

/// Seed 000: a floating IP from the pod's annotation in the API reaches the endpoint's
/// `ipNATs`; KUBECONFIG in the plugin's environment stands in for `kubernetes.kubeconfig`.
#[test]
fn seed_000_floating_ip_from_the_api_with_kubeconfig_from_the_environment() {
    let c = Cluster::new(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n---\n\
         apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: floating\nspec:\n  cidr: 10.0.0.0/24\n  nodeSelector: '!all()'\n",
    );
    c.api.apply(pod(
        "default",
        "fip",
        NODE,
        json!({"cni.projectcalico.org/floatingIPs": "[\"10.0.0.1\"]"}),
    ));
    let conf = c.netconf(None, json!({}));
    let kubeconfig = c.kubeconfig().display().to_string();
    let out = c.cni(
        "ADD",
        "default",
        "fip",
        &conf,
        &[("KUBECONFIG", &kubeconfig)],
    );
    let ips = addresses(&out);
    assert!(in_cidr(&ips[0], "10.244."), "{ips:?}");
    let weps = c.endpoint_json("default");
    let nats = &weps["items"][0]["spec"]["ipNATs"];
    assert_eq!(
        nats,
        &json!([{"internalIP": ips[0], "externalIP": "10.0.0.1"}]),
        "{weps}"
    );
}

/// The namespace's annotations (pools) and labels (IPPool namespaceSelector) come from the
/// API; the pod's annotation wins over the namespace's; `args.k8s` is not read then.
#[test]
fn namespace_annotations_and_labels_from_the_api() {
    let pool = |name: &str, cidr: &str, selector: &str| {
        format!(
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: {name}\nspec:\n  \
             cidr: {cidr}\n  allowedUses: [Workload]\n  namespaceSelector: {selector}\n---\n"
        )
    };
    let pools = [
        pool("pool-a", "10.61.0.0/24", "team == 'a'"),
        pool("pool-b", "10.62.0.0/24", "team == 'b'"),
        pool("named", "10.63.0.0/24", "'!all()'"),
    ]
    .concat();
    let c = Cluster::new(&pools);
    c.api
        .apply(namespace("team-b", json!({"team": "b"}), json!({})));
    c.api.apply(namespace(
        "team-a",
        json!({"team": "a"}),
        json!({"cni.projectcalico.org/ipv4pools": "[\"named\"]"}),
    ));
    c.api.apply(pod("team-b", "p1", NODE, json!({})));
    c.api.apply(pod("team-a", "p2", NODE, json!({})));
    c.api.apply(pod(
        "team-a",
        "p3",
        NODE,
        json!({"cni.projectcalico.org/ipv4pools": "[\"pool-b\"]"}),
    ));
    // The configuration's args.k8s says team a: the API (team b) wins.
    let conf = c.netconf(
        Some(&c.kubeconfig()),
        json!({"namespace_labels": {"team": "a"}}),
    );
    let ips = addresses(&c.cni("ADD", "team-b", "p1", &conf, &[]));
    assert!(in_cidr(&ips[0], "10.62.0."), "labels from the API: {ips:?}");
    let ips = c.add("team-a", "p2");
    assert!(
        in_cidr(&ips[0], "10.63.0."),
        "namespace annotation: {ips:?}"
    );
    let ips = c.add("team-a", "p3");
    assert!(in_cidr(&ips[0], "10.62.0."), "pod over namespace: {ips:?}");
}

/// An API that refuses (401, 503), does not know the pod, or is not there fails the ADD with
/// code 11 and nothing is written; a kubeconfig that cannot be read is code 7.
#[test]
fn api_failures_fail_the_add_with_code_11_and_write_nothing() {
    let c = Cluster::new(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n",
    );
    c.api.apply(pod("default", "web-0", NODE, json!({})));
    let before = c.keys();
    let check = |out: &Output, code: u64, msg: &str| {
        let e = cni_error(out);
        assert_eq!(e["code"], code, "{e}");
        assert!(e["msg"].as_str().unwrap().contains(msg), "{e}");
        assert_eq!(c.keys(), before, "nothing written: {e}");
    };

    let bad = c.dir.path().join("bad-kubeconfig");
    c.api.write_kubeconfig_with_token(&bad, "wrong");
    let conf = c.netconf(Some(&bad), json!({}));
    check(
        &c.cni("ADD", "default", "web-0", &conf, &[]),
        11,
        "Unauthorized",
    );

    let conf = c.netconf(Some(&c.kubeconfig()), json!({}));
    check(
        &c.cni("ADD", "default", "web-9", &conf, &[]),
        11,
        "pods \"web-9\" not found",
    );

    c.api.set_refusing(true);
    check(&c.cni("ADD", "default", "web-0", &conf, &[]), 11, "");
    c.api.set_refusing(false);

    let missing = c.netconf(Some(&c.dir.path().join("nope")), json!({}));
    check(&c.cni("ADD", "default", "web-0", &missing, &[]), 7, "nope");

    // Working again, then the API goes away.
    assert_eq!(
        addresses(&c.cni("ADD", "default", "web-0", &conf, &[])).len(),
        1
    );
    let after_add = c.keys();
    let Cluster { etcd, api, dir } = c;
    drop(api);
    let c2 = |out: &Output| {
        let e = cni_error(out);
        assert_eq!(e["code"], 11, "{e}");
    };
    let gone = Cluster {
        etcd,
        api: KubeApiServer::start(),
        dir,
    };
    c2(&gone.cni("ADD", "default", "web-1", &conf, &[]));
    assert_eq!(
        gone.keys(),
        after_add,
        "nothing written while the API is down"
    );
}

/// A DEL never calls the API: not while it refuses, not when it is gone.
#[test]
fn del_never_calls_the_api() {
    let c = Cluster::new(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\nspec:\n  cidr: 10.244.0.0/16\n",
    );
    c.api.apply(pod("default", "web-0", NODE, json!({})));
    c.api.apply(pod("default", "web-1", NODE, json!({})));
    c.add("default", "web-0");
    c.add("default", "web-1");
    let calls = c.api.requests().len();
    c.api.set_refusing(true);
    let conf = c.netconf(Some(&c.kubeconfig()), json!({}));
    let out = c.cni("DEL", "default", "web-0", &conf, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(c.api.requests().len(), calls, "{:?}", c.api.requests());
    let Cluster { etcd, api, dir } = c;
    drop(api);
    let c = Cluster {
        etcd,
        api: KubeApiServer::start(),
        dir,
    };
    // The old kubeconfig names a port nothing listens on now.
    let out = c.cni("DEL", "default", "web-1", &conf, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let left: Vec<String> = c
        .keys()
        .into_iter()
        .filter(|k| k.contains("/ipam/v2/handle/") || k.contains("workloadendpoints"))
        .collect();
    assert!(left.is_empty(), "everything released: {left:?}");
    assert!(c.api.requests().is_empty());
}
