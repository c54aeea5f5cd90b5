//! Sticky StatefulSet addresses in `calico-ipam` (issue 25 items 1, 2 and 5), end to end: the
//! real binaries, a real etcd, and the stand-in API server carrying the pods and their
//! controller references.

use std::collections::BTreeSet;
use std::process::Output;

use calico::datastore::KvStore;
use calico::testing::kube_api::KubeApiServer;
use calico::testing::{SharedEtcd, TestDir, shared_etcd};
use serde_json::{Value, json};

use crate::cni_kube::{addresses, cni_error, run};
use crate::kube_api::namespace;
use crate::reliability::{calico_ipam, calicoctl, text};

const NETWORK: &str = "k8s-pod-network";

/// Dual-stack pools.
const DUAL: &str = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: v4\nspec:\n  cidr: 10.70.0.0/16\n---\n\
apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: v6\nspec:\n  cidr: fd00:70::/112\n";

pub(crate) struct Sticky {
    etcd: SharedEtcd,
    pub(crate) api: KubeApiServer,
    dir: TestDir,
}

impl Sticky {
    /// etcd with `pools` (calicoctl YAML) and Calico Nodes `node-1` to `node-3`; the API with
    /// namespace `default`.
    pub(crate) fn new(pools: &str) -> Sticky {
        let etcd = shared_etcd();
        let api = KubeApiServer::start();
        let dir = TestDir::new("cni-sticky");
        api.write_kubeconfig(&dir.path().join("kubeconfig"));
        api.apply(namespace("default", json!({}), json!({})));
        let c = Sticky { etcd, api, dir };
        let nodes: String = (1..=3)
            .map(|i| format!("apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node-{i}\n---\n"))
            .collect();
        let out = c.calicoctl(&["create", "-f", "-"], &format!("{nodes}{pools}"));
        assert!(out.status.success(), "{}", text(&out));
        c
    }

    pub(crate) fn calicoctl(&self, args: &[&str], stdin: &str) -> Output {
        let mut cmd = calicoctl();
        cmd.args(args)
            .env("DATASTORE_TYPE", "etcdv3")
            .env("ETCD_ENDPOINTS", self.etcd.endpoint());
        run(cmd, stdin.as_bytes())
    }

    /// The network configuration of `node` (IPv4, and IPv6 if `v6`).
    fn netconf(&self, node: &str, v6: bool) -> Value {
        json!({
            "cniVersion": "1.0.0",
            "name": NETWORK,
            "type": "calico",
            "datastore_type": "etcdv3",
            "etcd_endpoints": self.etcd.endpoint(),
            "nodename": node,
            "ipam_lock_file": self.dir.path().join(format!("ipam-{node}.lock")),
            "kubernetes": {"kubeconfig": self.dir.path().join("kubeconfig")},
            "ipam": {"type": "calico-ipam", "assign_ipv6": if v6 { "true" } else { "false" }},
        })
    }

    /// Puts pod `<sts>-<ordinal>` of StatefulSet `sts` (sticky) on `node` in the API.
    pub(crate) fn replica(&self, sts: &str, ordinal: u32, node: &str, annotations: Value) {
        let mut annotations = annotations;
        annotations["cni.projectcalico.org/sticky"] = json!("true");
        self.pod(
            &format!("{sts}-{ordinal}"),
            node,
            annotations,
            json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": sts,
                    "uid": format!("uid-{sts}"), "controller": true}]),
        );
    }

    /// Puts pod `name` on `node` in the API, with these owner references.
    fn pod(&self, name: &str, node: &str, annotations: Value, owners: Value) {
        self.api.apply(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": annotations,
                         "labels": {"app": "web"}, "ownerReferences": owners},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Running"},
        }));
    }

    /// calico-ipam `command` for pod `pod` in container `container` on `node`.
    pub(crate) fn cni(
        &self,
        command: &str,
        pod: &str,
        container: &str,
        node: &str,
        v6: bool,
    ) -> Output {
        let mut cmd = calico_ipam();
        cmd.env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", container)
            .env("CNI_NETNS", format!("/var/run/netns/{container}"))
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", "/opt/cni/bin")
            .env(
                "CNI_ARGS",
                format!("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod}"),
            );
        run(cmd, self.netconf(node, v6).to_string().as_bytes())
    }

    fn add(&self, pod: &str, container: &str, node: &str, v6: bool) -> Vec<String> {
        addresses(&self.cni("ADD", pod, container, node, v6))
    }

    fn del(&self, pod: &str, container: &str, node: &str) {
        let out = self.cni("DEL", pod, container, node, false);
        assert!(out.status.success(), "DEL: {}", text(&out));
    }

    pub(crate) fn keys(&self) -> Vec<String> {
        crate::cni_kube::keys(&self.etcd)
    }

    /// The stored handles and how many addresses each counts.
    fn handles(&self) -> Vec<(String, i64)> {
        let prefix = "/calico/ipam/v2/handle/";
        self.etcd
            .store()
            .list(prefix)
            .unwrap()
            .kvs
            .into_iter()
            .map(|kv| {
                let v: Value = serde_json::from_slice(&kv.value).unwrap();
                let n = v["block"]
                    .as_object()
                    .map_or(0, |b| b.values().filter_map(Value::as_i64).sum());
                (kv.key[prefix.len()..].to_string(), n)
            })
            .collect()
    }

    /// Every endpoint in namespace `default`: (node, pod, addresses).
    pub(crate) fn endpoints(&self) -> Vec<(String, String, Vec<String>)> {
        let out = self.calicoctl(
            &["get", "workloadendpoints", "-n", "default", "-o", "json"],
            "",
        );
        assert!(out.status.success(), "{}", text(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                let s = &w["spec"];
                let ips = s["ipNetworks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().split('/').next().unwrap().to_string())
                    .collect();
                (
                    s["node"].as_str().unwrap().to_string(),
                    s["pod"].as_str().unwrap().to_string(),
                    ips,
                )
            })
            .collect()
    }

    /// `calicoctl ipam show --ip=<ip>`'s text.
    fn show(&self, ip: &str) -> String {
        let out = self.calicoctl(&["ipam", "show", &format!("--ip={ip}")], "");
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A replica recreated on another node (new container, other CNI node) gets its IPv4 and IPv6
/// addresses back; DEL released nothing of them; a node that died without a DEL leaves an
/// endpoint that the next ADD removes in its transaction; the dead sandbox's late DEL changes
/// nothing; `ipam show --ip` names the identity and the node the address is on now.
#[test]
fn a_replica_recreated_on_another_node_keeps_its_addresses() {
    let c = Sticky::new(DUAL);
    c.replica("web", 0, "node-1", json!({}));
    let first = c.add("web-0", "c1", "node-1", true);
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first[0].starts_with("10.70.") && first[1].starts_with("fd00:70::"));
    assert_eq!(
        c.handles(),
        [(format!("{NETWORK}.sticky.default.web-0"), 2)],
        "held under the identity's handle, not the container's"
    );
    let shown = c.show(&first[0]);
    assert!(shown.contains("  sticky: default/web-0\n"), "{shown}");
    assert!(shown.contains("  node: node-1\n"), "{shown}");
    assert!(
        shown.ends_with("Sticky identity: default/web-0 (kept across its pods)\n"),
        "{shown}"
    );

    c.del("web-0", "c1", "node-1");
    assert!(c.endpoints().is_empty(), "DEL removes the endpoint");
    assert_eq!(c.handles().len(), 1, "DEL releases nothing of the identity");

    c.replica("web", 0, "node-2", json!({}));
    assert_eq!(c.add("web-0", "c2", "node-2", true), first);
    assert!(c.show(&first[1]).contains("  node: node-2\n"));
    assert_eq!(
        c.endpoints(),
        [("node-2".into(), "web-0".into(), first.clone())]
    );

    // node-2 dies: no DEL; the StatefulSet controller recreates the pod on node-3.
    c.replica("web", 0, "node-3", json!({}));
    assert_eq!(c.add("web-0", "c3", "node-3", true), first);
    assert_eq!(
        c.endpoints(),
        [("node-3".into(), "web-0".into(), first.clone())],
        "the dead node's endpoint went with the new one's write"
    );
    // node-2 comes back and tears its old sandbox down.
    c.del("web-0", "c2", "node-2");
    // A retried ADD of the live sandbox gets the same again.
    assert_eq!(c.add("web-0", "c3", "node-3", true), first);
    assert_eq!(
        c.endpoints(),
        [("node-3".into(), "web-0".into(), first.clone())]
    );
    assert_eq!(
        c.handles(),
        [(format!("{NETWORK}.sticky.default.web-0"), 2)]
    );
    let json_out = c.calicoctl(
        &["ipam", "show", &format!("--ip={}", first[0]), "-o", "json"],
        "",
    );
    let v: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(v["sticky"], "default/web-0", "{v}");

    // CHECK of the live sandbox finds the identity's addresses (it reads no pod).
    let out = c.cni("CHECK", "web-0", "c3", "node-3", true);
    assert!(out.status.success(), "CHECK: {}", text(&out));
}

/// A pod named like a replica but not one (no owner, a ReplicaSet's, another StatefulSet's,
/// or no `sticky` annotation) is an ordinary pod: it never gets the identity's addresses,
/// and `ipAddrsByOrdinal` on it is an error that writes nothing.
#[test]
fn a_pod_named_like_a_replica_never_gets_its_addresses() {
    let c = Sticky::new(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: v4\nspec:\n  cidr: 10.71.0.0/24\n  blockSize: 29\n",
    );
    c.replica("web", 0, "node-1", json!({}));
    let held = c.add("web-0", "s1", "node-1", false);
    c.del("web-0", "s1", "node-1");
    let impostors = [
        ("bare", json!([])),
        (
            "replicaset",
            json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u1", "controller": true}]),
        ),
        (
            "other statefulset",
            json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "we", "uid": "u2", "controller": true}]),
        ),
        (
            "not the controller",
            json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u3"}]),
        ),
    ];
    for (i, (what, owners)) in impostors.into_iter().enumerate() {
        let annotations = json!({"cni.projectcalico.org/sticky": "true"});
        c.pod("web-0", "node-1", annotations, owners);
        let container = format!("i{i}");
        let got = c.add("web-0", &container, "node-1", false);
        assert_ne!(got, held, "{what} got the replica's address");
        assert!(
            c.handles()
                .iter()
                .any(|(h, _)| *h == format!("{NETWORK}.{container}")),
            "{what}: an ordinary handle"
        );
        c.del("web-0", &container, "node-1");
    }
    // The right owner without the annotation: ordinary too.
    c.pod(
        "web-0",
        "node-1",
        json!({}),
        json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "uid-web", "controller": true}]),
    );
    assert_ne!(c.add("web-0", "plain", "node-1", false), held);
    c.del("web-0", "plain", "node-1");

    // ipAddrsByOrdinal on an ordinary pod: refused, nothing written.
    c.pod(
        "web-0",
        "node-1",
        json!({"cni.projectcalico.org/ipAddrsByOrdinal": "[\"10.71.0.5\"]"}),
        json!([]),
    );
    let before = c.keys();
    let e = cni_error(&c.cni("ADD", "web-0", "bo", "node-1", false));
    assert_eq!(e["code"], 7, "{e}");
    assert!(
        e["msg"]
            .as_str()
            .unwrap()
            .contains("applies only to a sticky pod"),
        "{e}"
    );
    assert_eq!(c.keys(), before, "nothing written");

    // The identity still holds its address, and gets it back.
    assert_eq!(
        c.handles(),
        [(format!("{NETWORK}.sticky.default.web-0"), 1)]
    );
    c.replica("web", 0, "node-2", json!({}));
    assert_eq!(c.add("web-0", "s2", "node-2", false), held);
}

/// `ipAddrsByOrdinal`: ordinal i gets entry i (an address, or one per family); a list too
/// short, an address outside every pool, or one another identity holds: a CNI error, nothing
/// written. A recreated replica gets its listed address again.
#[test]
fn addresses_by_ordinal() {
    let c = Sticky::new(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: v4\nspec:\n  cidr: 10.72.0.0/24\n---\n\
         apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: v6\nspec:\n  cidr: fd00:72::/120\n",
    );
    let list = json!({"cni.projectcalico.org/ipAddrsByOrdinal":
        r#"["10.72.0.10", ["10.72.0.11", "fd00:72::11"], "10.72.0.12"]"#});
    for ordinal in [0, 1, 2, 3] {
        c.replica("db", ordinal, "node-1", list.clone());
    }
    assert_eq!(c.add("db-0", "d0", "node-1", true), ["10.72.0.10"]);
    assert_eq!(c.add("db-2", "d2", "node-1", true), ["10.72.0.12"]);
    assert_eq!(
        c.add("db-1", "d1", "node-1", true),
        ["10.72.0.11", "fd00:72::11"]
    );
    let result: Value =
        serde_json::from_slice(&c.cni("ADD", "db-1", "d1", "node-1", true).stdout).unwrap();
    assert_eq!(
        result["ips"][0]["address"], "10.72.0.11/32",
        "a listed address is returned as a host address, as for ipAddrs: {result}"
    );

    let refused = |pod: &str, code: u64, msg: &str| {
        let before = c.keys();
        let e = cni_error(&c.cni("ADD", pod, &format!("x-{pod}"), "node-1", true));
        assert_eq!(e["code"], code, "{e}");
        assert!(e["msg"].as_str().unwrap().contains(msg), "{e}");
        assert_eq!(c.keys(), before, "nothing written: {e}");
    };
    refused(
        "db-3",
        7,
        "annotation \"cni.projectcalico.org/ipAddrsByOrdinal\" has 3 entries: none for ordinal 3 (default/db-3)",
    );
    c.replica(
        "out",
        0,
        "node-1",
        json!({"cni.projectcalico.org/ipAddrsByOrdinal": r#"["10.99.0.1"]"#}),
    );
    refused("out-0", 100, "10.99.0.1 (ordinal 0 of");
    refused("out-0", 100, "is not in a configured pool");
    c.replica(
        "thief",
        0,
        "node-1",
        json!({"cni.projectcalico.org/ipAddrsByOrdinal": r#"[["10.72.0.20", "fd00:72::11"]]"#}),
    );
    refused(
        "thief-0",
        100,
        "fd00:72::11 (ordinal 0 of \"cni.projectcalico.org/ipAddrsByOrdinal\", default/thief-0) \
         is already held by sticky identity default/db-1 (handle k8s-pod-network.sticky.default.db-1)",
    );
    c.replica(
        "bad",
        0,
        "node-1",
        json!({"cni.projectcalico.org/ipAddrsByOrdinal": r#"[["10.72.0.30", "10.72.0.31"]]"#}),
    );
    refused(
        "bad-0",
        7,
        "cannot have more than one IPv4 address for \"cni.projectcalico.org/ipAddrsByOrdinal\" annotation",
    );

    // Recreated elsewhere: the listed address again.
    c.del("db-0", "d0", "node-1");
    c.replica("db", 0, "node-2", list.clone());
    assert_eq!(c.add("db-0", "d0b", "node-2", true), ["10.72.0.10"]);
}

/// Twenty replicas allocated at once, their pods deleted, then all recreated at once on two
/// other nodes: each gets its own addresses back, no address twice, none lost; two ADDs of
/// one new identity racing end with one set of addresses and one endpoint.
#[test]
fn concurrent_recreation_of_twenty_replicas() {
    const N: u32 = 20;
    let c = Sticky::new(DUAL);
    for i in 0..N {
        c.replica("web", i, "node-1", json!({}));
    }
    let parallel = |container: &str, node_of: &dyn Fn(u32) -> String| -> Vec<Vec<String>> {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let c = &c;
                    let node = node_of(i);
                    let container = format!("{container}-{i}");
                    s.spawn(move || c.add(&format!("web-{i}"), &container, &node, true))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    };
    let first = parallel("a", &|_| "node-1".to_string());
    let distinct: BTreeSet<&String> = first.iter().flatten().collect();
    assert_eq!(distinct.len(), 2 * N as usize, "no duplicate: {first:?}");
    for i in 0..N {
        c.del(&format!("web-{i}"), &format!("a-{i}"), "node-1");
    }
    assert!(c.endpoints().is_empty());
    for i in 0..N {
        c.replica("web", i, &format!("node-{}", 2 + i % 2), json!({}));
    }
    let again = parallel("b", &|i| format!("node-{}", 2 + i % 2));
    assert_eq!(again, first, "every replica got its own addresses back");
    let handles = c.handles();
    assert_eq!(handles.len(), N as usize, "{handles:?}");
    assert!(
        handles.iter().all(|(_, n)| *n == 2),
        "none lost: {handles:?}"
    );
    let endpoints = c.endpoints();
    assert_eq!(endpoints.len(), N as usize);
    for (node, pod, ips) in endpoints {
        let i: u32 = pod["web-".len()..].parse().unwrap();
        assert_eq!(node, format!("node-{}", 2 + i % 2));
        assert_eq!(ips, first[i as usize]);
    }

    // One identity, two first ADDs at once (a pod and a stale retry on two nodes).
    c.replica("race", 0, "node-1", json!({}));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| c.add("race-0", "r1", "node-1", true));
        let b = s.spawn(|| c.add("race-0", "r2", "node-2", true));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a, b, "both got the identity's one set");
    let race: Vec<_> = c
        .handles()
        .into_iter()
        .filter(|(h, _)| h.contains("race-0"))
        .collect();
    assert_eq!(race, [(format!("{NETWORK}.sticky.default.race-0"), 2)]);
    let holders: Vec<_> = c
        .endpoints()
        .into_iter()
        .filter(|(_, pod, _)| pod == "race-0")
        .collect();
    assert_eq!(holders.len(), 1, "one endpoint holds them: {holders:?}");
}

/// `ipam check` reports each sticky allocation with its identity and whether an endpoint
/// holds it; one held between pods is not a leak (nor released by `--from-report`); a
/// floating IP that two endpoints hold is a problem, in text and JSON.
#[test]
fn ipam_check_reports_sticky_ips_and_doubly_held_floating_ips() {
    let c = Sticky::new(DUAL);
    c.replica("web", 0, "node-1", json!({}));
    c.replica("web", 1, "node-1", json!({}));
    let web0 = c.add("web-0", "w0", "node-1", true);
    let web1 = c.add("web-1", "w1", "node-1", true);
    c.del("web-1", "w1", "node-1");
    let check = |args: &[&str]| {
        let mut all = vec!["ipam", "check"];
        all.extend_from_slice(args);
        let out = c.calicoctl(&all, "");
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let v: Value = serde_json::from_str(&check(&["-o", "json"])).unwrap();
    assert_eq!(v["problems"], 0, "a parked sticky address is no leak: {v}");
    assert_eq!(v["leakedIPs"], json!([]));
    let sticky = v["stickyIPs"].as_array().unwrap();
    assert_eq!(sticky.len(), 4, "{v}");
    for (ips, identity, held) in [
        (&web0, "default/web-0", true),
        (&web1, "default/web-1", false),
    ] {
        for ip in ips {
            let a = sticky.iter().find(|a| a["ip"] == ip.as_str()).unwrap();
            assert_eq!(a["identity"], identity, "{a}");
            assert_eq!(a["heldByEndpoint"], held, "{a}");
            assert_eq!(a["node"], "node-1", "{a}");
        }
    }
    let web0_owner = "Workload(default/node--1-k8s-web--0-eth0)";
    assert_eq!(sticky[0]["owners"], json!([web0_owner]), "{v}");
    let text_report = check(&["--show-all-ips"]);
    assert!(
        text_report.contains(&format!(
            "  {} held for sticky identity default/web-1; not in use, kept for its next pod\n",
            web1[0]
        )),
        "{text_report}"
    );
    assert!(
        text_report.contains(
            "Found 4 IPs held for sticky StatefulSet identities (2 not in use, kept for the identity's next pod).\n"
        ),
        "{text_report}"
    );
    assert!(text_report.ends_with("Check complete; found 0 problems.\n"));
    // The report marks the parked addresses in use: `ipam release --from-report` keeps them.
    let report = c.dir.path().join("report.json");
    check(&["-o", report.to_str().unwrap()]);
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let parked = &r["allocations"][web1[0].as_str()][0];
    assert_eq!(parked["inUse"], true, "{parked}");
    assert_eq!(
        parked["owners"],
        json!(["Sticky(default/web-1)"]),
        "{parked}"
    );

    // Two endpoints holding one floating IP.
    let wep = |pod: &str, ip: &str| {
        format!(
            "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n  name: node--1-k8s-{pod}-eth0\n  namespace: default\n\
             spec:\n  node: node-1\n  orchestrator: k8s\n  pod: {pod}\n  endpoint: eth0\n  interfaceName: cali{pod}\n  \
             ipNetworks: [{ip}/32]\n  ipNATs:\n  - internalIP: {ip}\n    externalIP: 10.70.200.1\n---\n"
        )
    };
    let out = c.calicoctl(
        &["create", "-f", "-"],
        &[wep("f1", "10.70.100.1"), wep("f2", "10.70.100.2")].concat(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let v: Value = serde_json::from_str(&check(&["-o", "json"])).unwrap();
    assert_eq!(
        v["floatingIPsWithMultipleHolders"],
        json!([{"ip": "10.70.200.1", "owners": [
            "Workload(default/node--1-k8s-f1-eth0)", "Workload(default/node--1-k8s-f2-eth0)"]}]),
        "{v}"
    );
    let text_report = check(&[]);
    assert!(
        text_report.contains(
            "  floating IP 10.70.200.1 is held by Workload(default/node--1-k8s-f1-eth0), \
             Workload(default/node--1-k8s-f2-eth0).\nFound 1 floating IPs held by more than one workload.\n"
        ),
        "{text_report}"
    );
}

/// With Debian's real `ptp` plugin in network namespaces (as root): a replica's pod wired on
/// node-a, deleted, and recreated on node-b answers `ping` on its old address there.
///
/// `ptp` runs inside each node's namespace and executes `calico-ipam` from `CNI_PATH`; a
/// wrapper there runs it in the test's own network namespace, where etcd and the API server
/// listen on loopback (on a real node the runtime, `ptp` and `calico-ipam` all run in the
/// host's). Nothing else touches the test's namespace.
#[test]
fn a_recreated_replica_answers_ping_on_its_old_address_under_ptp() {
    use crate::netns::{Netns, require_root};
    const PTP: &str = "/usr/lib/cni/ptp";
    require_root("a_recreated_replica_answers_ping_on_its_old_address_under_ptp");
    assert!(
        std::path::Path::new(PTP).exists(),
        "{PTP} is missing: install Debian's containernetworking-plugins (scripts/install-deps.sh does)"
    );
    let c = Sticky::new(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: v4\nspec:\n  cidr: 192.168.50.0/24\n",
    );
    let bin = c.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("calico-ipam");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec nsenter --net=/proc/{}/ns/net {} \"$@\"\n",
            std::process::id(),
            env!("CARGO_BIN_EXE_calico-ipam")
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let ptp = |command: &str, node: &str, node_ns: &Netns, container: &str, pod_ns: &Netns| {
        let mut conf = c.netconf(node, false);
        conf["type"] = json!("ptp");
        let mut cmd = std::process::Command::new("ip");
        cmd.args(["netns", "exec", node_ns.name(), PTP])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", container)
            .env("CNI_NETNS", format!("/var/run/netns/{}", pod_ns.name()))
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", format!("{}:/usr/lib/cni", bin.display()))
            .env(
                "CNI_ARGS",
                "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=db-0",
            );
        let out = run(cmd, conf.to_string().as_bytes());
        assert!(
            out.status.success(),
            "ptp {command} on {node}: {}",
            text(&out)
        );
        out
    };
    let t = "sticky_ptp";
    let node_a = Netns::new(t, "node-a");
    let node_b = Netns::new(t, "node-b");
    let first_pod = Netns::new(t, "pod-1");
    let second_pod = Netns::new(t, "pod-2");

    c.replica("db", 0, "node-1", json!({}));
    let ip = addresses(&ptp("ADD", "node-1", &node_a, "p1", &first_pod))[0].clone();
    assert!(ip.starts_with("192.168.50."), "{ip}");
    assert!(node_a.ping(&ip), "node-a cannot reach its pod at {ip}");
    ptp("DEL", "node-1", &node_a, "p1", &first_pod);
    assert!(!node_a.ping(&ip), "the deleted pod still answers");

    c.replica("db", 0, "node-2", json!({}));
    let again = addresses(&ptp("ADD", "node-2", &node_b, "p2", &second_pod));
    assert_eq!(
        again,
        std::slice::from_ref(&ip),
        "the recreated pod got its old address"
    );
    assert!(
        second_pod
            .run(&["ip", "-4", "addr", "show", "eth0"])
            .contains(&format!("{ip}/")),
        "the new pod carries {ip}"
    );
    assert!(
        node_b.ping(&ip),
        "the recreated pod does not answer ping on {ip} on node-b"
    );
    ptp("DEL", "node-2", &node_b, "p2", &second_pod);
}
