//! The node side end to end, as root, in network namespaces the test creates: Debian's real
//! `ptp` plugin, run inside a node namespace, delegates to our `calico-ipam`; pods on nodes of
//! different racks get their racks' addresses; a pod with a floating IP answers `ping` to the
//! floating IP from a client namespace through the NAT `calico-node` applied in the node
//! namespace; after DEL and a reconcile the rule is gone.
//!
//! ```text
//!   client ns                    node-a ns (rack 0)                  pod-a ns
//!   eth0 172.31.0.2/24 ------- to-client 172.31.0.1/24
//!   10.0.0.0/24 via .1           veth (ptp) gw 192.168.0.x/32 ------ eth0 192.168.0.y/24
//!                                NAT: 10.0.0.1 -> 192.168.0.y         default via gw
//!                              node-b ns (rack 1)                  pod-b ns
//!                                veth (ptp) ------------------------ eth0 192.168.1.z/24
//! ```
//! Nothing touches the machine's own network namespace.

use crate::netns::{Netns, require_root, veth};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PTP: &str = "/usr/lib/cni/ptp";
const FLOATING_IP: &str = "10.0.0.1";

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_calico-ipam"))
        .parent()
        .unwrap()
        .to_path_buf()
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn db(&self) -> String {
        self.dir.path().join("datastore.db").display().to_string()
    }

    fn calicoctl(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_calicoctl"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CALICO_DATASTORE_PATH", self.db())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "calicoctl {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs `calico-node --once` for a node, applying its NAT inside `ns`.
    fn calico_node_once(&self, node: &str, labels: &str, ns: &Netns) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_calico-node"))
            .args([
                "--once",
                "--nodename",
                node,
                "--labels",
                labels,
                "--netns",
                ns.name(),
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CALICO_DATASTORE_PATH", self.db())
            .env("NO_DEFAULT_POOLS", "true")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "calico-node for {node}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs the real `ptp` plugin inside the node namespace, delegating to our calico-ipam.
    fn ptp(
        &self,
        command: &str,
        node: &str,
        node_ns: &Netns,
        pod: &str,
        pod_ns: &Netns,
        floating: bool,
    ) -> Output {
        let annotations = if floating {
            format!(
                r#""annotations": {{"cni.projectcalico.org/floatingIPs": "[\"{FLOATING_IP}\"]"}}"#
            )
        } else {
            r#""annotations": {}"#.to_string()
        };
        let conf = format!(
            r#"{{"cniVersion": "1.0.0", "name": "k8s-pod-network", "type": "ptp",
                "datastore_type": "embedded", "datastore_path": "{}", "nodename": "{node}",
                "ipam_lock_file": "{}",
                "feature_control": {{"floating_ips": true}},
                "ipam": {{"type": "calico-ipam"}},
                "args": {{"k8s": {{{annotations}}}}}}}"#,
            self.db(),
            self.dir.path().join("ipam.lock").display()
        );
        let cni_path = format!("{}:/usr/lib/cni", bin_dir().display());
        let mut child = Command::new("ip")
            .args(["netns", "exec", node_ns.name(), PTP])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", format!("ctr-{pod}"))
            .env("CNI_NETNS", format!("/var/run/netns/{}", pod_ns.name()))
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", cni_path)
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
        child.wait_with_output().unwrap()
    }
}

fn pod_address(out: &Output) -> String {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ptp result is not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let addr = v["ips"][0]["address"]
        .as_str()
        .unwrap_or_else(|| panic!("no address in {v}"));
    addr.split('/').next().unwrap().to_string()
}

#[test]
fn ptp_delegates_to_calico_ipam_and_floating_ip_answers_ping() {
    require_root("ptp_delegates_to_calico_ipam_and_floating_ip_answers_ping");
    assert!(
        Path::new(PTP).exists(),
        "{PTP} is missing: install Debian's containernetworking-plugins (scripts/install-deps.sh does)"
    );
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let setup = env.dir.path().join("setup.yaml");
    std::fs::write(
        &setup,
        r#"apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: rack-0-ippool
spec:
  cidr: 192.168.0.0/24
  nodeSelector: rack == "0"
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: rack-1-ippool
spec:
  cidr: 192.168.1.0/24
  nodeSelector: rack == "1"
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: floating-ippool
spec:
  cidr: 10.0.0.0/24
  nodeSelector: '!all()'
"#,
    )
    .unwrap();
    env.calicoctl(&["create", "-f", setup.to_str().unwrap()]);

    let t = "ptp_e2e";
    let client = Netns::new(t, "client");
    let node_a = Netns::new(t, "node-a");
    let node_b = Netns::new(t, "node-b");
    let pod_a = Netns::new(t, "pod-a");
    let pod_b = Netns::new(t, "pod-b");
    veth(&client, "eth0", &node_a, "to-client");
    client.addr("eth0", "172.31.0.2/24");
    node_a.addr("to-client", "172.31.0.1/24");
    client.route(&["10.0.0.0/24", "via", "172.31.0.1"]);
    // The node needs some default route so that locally generated packets are routed (and
    // translated) at all; this one leads nowhere.
    node_a.route(&["default", "via", "172.31.0.254"]);

    // Register the nodes with their rack labels (calico-node, before any pod).
    env.calico_node_once("node-a", "rack=0", &node_a);
    env.calico_node_once("node-b", "rack=1", &node_b);

    // Pods on the two racks get their racks' addresses.
    let add_a = env.ptp("ADD", "node-a", &node_a, "pod-a", &pod_a, true);
    assert!(
        add_a.status.success(),
        "ptp ADD pod-a: {}{}",
        String::from_utf8_lossy(&add_a.stdout),
        String::from_utf8_lossy(&add_a.stderr)
    );
    let ip_a = pod_address(&add_a);
    assert!(ip_a.starts_with("192.168.0."), "pod-a on rack 0 got {ip_a}");
    let add_b = env.ptp("ADD", "node-b", &node_b, "pod-b", &pod_b, false);
    assert!(
        add_b.status.success(),
        "ptp ADD pod-b: {}{}",
        String::from_utf8_lossy(&add_b.stdout),
        String::from_utf8_lossy(&add_b.stderr)
    );
    let ip_b = pod_address(&add_b);
    assert!(ip_b.starts_with("192.168.1."), "pod-b on rack 1 got {ip_b}");
    // The pod really has its address, and the node reaches it over ptp's veth.
    assert!(
        pod_a
            .run(&["ip", "-4", "addr", "show", "eth0"])
            .contains(&ip_a)
    );
    assert!(node_a.ping(&ip_a), "node-a cannot reach its pod {ip_a}");

    // The endpoint records the floating IP; until calico-node applies the NAT it is dead.
    let weps =
        String::from_utf8(env.calicoctl(&["get", "wep", "-A", "-o", "wide"]).stdout).unwrap();
    assert!(
        weps.contains(&format!("{{{ip_a} {FLOATING_IP}}}")),
        "{weps}"
    );
    assert!(
        !client.ping(FLOATING_IP),
        "the floating IP answered before any NAT was applied"
    );
    // calico-node programs floating IPs only with FelixConfiguration floatingIPs: Enabled
    // (Felix's default is Disabled), and says so.
    let out = env.calico_node_once("node-a", "rack=0", &node_a);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("floating IPs not programmed: 1 floating IP(s)"),
        "{log}"
    );
    assert!(
        !client.ping(FLOATING_IP),
        "programmed with floatingIPs unset"
    );
    let felix = env.dir.path().join("felix.yaml");
    std::fs::write(
        &felix,
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata:\n  name: default\nspec:\n  floatingIPs: Enabled\n",
    )
    .unwrap();
    env.calicoctl(&["apply", "-f", &felix.display().to_string()]);
    env.calico_node_once("node-a", "rack=0", &node_a);
    assert!(
        client.ping(FLOATING_IP),
        "ping to the floating IP {FLOATING_IP} failed after calico-node applied the NAT"
    );
    let table = node_a.run(&["nft", "list", "table", "inet", "calico-fip"]);
    assert!(
        table.contains(FLOATING_IP) && table.contains(&ip_a),
        "{table}"
    );

    // DEL through ptp, then a reconcile: the rule is gone and the floating IP dead again.
    let del = env.ptp("DEL", "node-a", &node_a, "pod-a", &pod_a, true);
    assert!(
        del.status.success(),
        "ptp DEL: {}{}",
        String::from_utf8_lossy(&del.stdout),
        String::from_utf8_lossy(&del.stderr)
    );
    env.calico_node_once("node-a", "rack=0", &node_a);
    let table = node_a.run(&["nft", "list", "table", "inet", "calico-fip"]);
    assert!(
        !table.contains(FLOATING_IP),
        "the DNAT rule survived DEL:\n{table}"
    );
    assert!(!client.ping(FLOATING_IP));
    let shown = String::from_utf8(env.calicoctl(&["ipam", "show", "--ip", &ip_a]).stdout).unwrap();
    assert_eq!(shown, format!("{ip_a} is not assigned\n"));

    let del_b = env.ptp("DEL", "node-b", &node_b, "pod-b", &pod_b, false);
    assert!(del_b.status.success());
    // Only the nodes' gateway addresses remain allocated, and nothing leaked.
    let check = String::from_utf8(env.calicoctl(&["ipam", "check"]).stdout).unwrap();
    assert!(
        check.contains("Check complete; found 0 problems."),
        "{check}"
    );
    // Each gateway address is owned in Calico's own terms: a WorkloadEndpoint lists it (Calico's
    // `ipam check` knows no other owner for it, and would report it leaked for `release
    // --from-report` to free).
    let report = env.dir.path().join("report.json");
    env.calicoctl(&["ipam", "check", "-o", report.to_str().unwrap()]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let allocations = report["allocations"].as_object().unwrap();
    assert_eq!(allocations.len(), 2, "{report}");
    for (ip, allocs) in allocations {
        let a = &allocs[0];
        assert_eq!(a["type"], "cniGatewayAddress", "{ip}: {a}");
        let owners: Vec<&str> = a["owners"]
            .as_array()
            .unwrap_or_else(|| panic!("{ip} has no owner: {a}"))
            .iter()
            .filter_map(|o| o.as_str())
            .collect();
        assert!(
            owners
                .iter()
                .any(|o| o.starts_with("Workload(kube-system/")),
            "{ip} is owned by no endpoint: {a}"
        );
    }
}
