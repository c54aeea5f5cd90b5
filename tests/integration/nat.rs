//! calico-node's floating-IP NAT, end to end: real network namespaces, real nftables, a pod
//! wired by hand the way the `ptp` plugin wires one, and pings over it.
//!
//! ```text
//!   client ns                 node ns                              pod ns
//!   eth0 192.0.2.2/24 ---- to-client 192.0.2.1/24
//!   default via 192.0.2.1     cali-pod 10.65.0.1/32 ------------- eth0 10.65.0.5/32
//!                             10.65.0.5/32 dev cali-pod            default via 10.65.0.1
//!                             default via 192.0.2.254 (absent)
//!                             ip_forward=1, NAT table applied here
//! ```
//!
//! The floating IP 10.0.0.1 is routed nowhere: only the DNAT makes it answer.

use crate::netns::{Netns, require_root, veth};
use calico::datastore::api::Client;
use calico::datastore::memory::MemoryStore;
use calico::model::workloadendpoint::IpNat;
use calico::model::{FelixConfiguration, WorkloadEndpoint};
use calico::node::agent::reconcile_nat;
use calico::node::nat;
use std::process::Command;
use std::sync::Arc;

const POD_IP: &str = "10.65.0.5";
const FLOATING_IP: &str = "10.0.0.1";

struct Topology {
    client: Netns,
    node: Netns,
    pod: Netns,
}

fn topology(test: &str) -> Topology {
    require_root(test);
    let t = Topology {
        client: Netns::new(test, "client"),
        node: Netns::new(test, "node"),
        pod: Netns::new(test, "pod"),
    };
    veth(&t.client, "eth0", &t.node, "to-client");
    t.client.addr("eth0", "192.0.2.2/24");
    t.node.addr("to-client", "192.0.2.1/24");
    t.client.route(&["default", "via", "192.0.2.1"]);
    // The pod, as ptp wires it: a /32 on eth0, a link route to the gateway, default via it;
    // on the node the gateway address on the host end and a /32 route to the pod.
    veth(&t.pod, "eth0", &t.node, "cali-pod");
    t.pod.addr("eth0", &format!("{POD_IP}/32"));
    t.pod.route(&["10.65.0.1", "dev", "eth0", "scope", "link"]);
    t.pod.route(&["default", "via", "10.65.0.1", "dev", "eth0"]);
    t.node.addr("cali-pod", "10.65.0.1/32");
    t.node
        .route(&[&format!("{POD_IP}/32"), "dev", "cali-pod", "scope", "link"]);
    t.node.sysctl("net.ipv4.ip_forward", "1");
    // A node has a default route (here to an absent upstream router). Locally sent packets
    // need one: the kernel routes them before the OUTPUT hook's DNAT, then routes again.
    t.node.route(&["default", "via", "192.0.2.254"]);
    // The wiring itself works: the client reaches the pod's own address.
    assert!(
        t.client.ping(POD_IP),
        "test wiring broken: client cannot reach the pod"
    );
    t
}

fn endpoint(node: &str) -> WorkloadEndpoint {
    let mut w = WorkloadEndpoint::default();
    w.metadata.namespace = "default".into();
    w.metadata.name = calico::model::workloadendpoint::k8s_endpoint_name(node, "web", "eth0");
    w.spec.orchestrator = "k8s".into();
    w.spec.node = node.into();
    w.spec.pod = "web".into();
    w.spec.endpoint = "eth0".into();
    w.spec.interface_name = "cali-pod".into();
    w.spec.ip_networks = vec![format!("{POD_IP}/32")];
    w.spec.ip_nats = vec![IpNat {
        internal_ip: POD_IP.into(),
        external_ip: FLOATING_IP.into(),
    }];
    w
}

#[test]
fn floating_ip_answers_only_while_its_rule_is_applied() {
    let t = topology("nat_e2e");
    let ns = Some(t.node.name());
    assert!(
        !t.client.ping(FLOATING_IP),
        "the floating IP answers before any NAT was applied"
    );
    assert_eq!(nat::list_table(ns).unwrap(), None);

    let client = Client::new(Arc::new(MemoryStore::new()));
    let wep = client.create(endpoint("node-a")).unwrap();
    // Without FelixConfiguration floatingIPs: Enabled (Felix's default is Disabled) the
    // floating IP is not programmed: the table is there, empty, and the address is dead.
    let rules = reconcile_nat(&client, "node-a", ns).unwrap();
    assert!(rules.is_empty());
    let table = nat::list_table(ns).unwrap().expect("table applied");
    assert!(!table.contains(FLOATING_IP), "{table}");
    assert!(
        !t.client.ping(FLOATING_IP),
        "answered with floatingIPs unset"
    );
    client
        .create(FelixConfiguration::with_floating_ips("default", "Enabled"))
        .unwrap();
    // Another node's floating IP must not appear here.
    let mut other = endpoint("node-b");
    other.metadata.name = "node--b-k8s-db-eth0".into();
    other.spec.pod = "db".into();
    other.spec.ip_networks = vec!["10.65.1.9/32".into()];
    other.spec.ip_nats = vec![IpNat {
        internal_ip: "10.65.1.9".into(),
        external_ip: "10.0.0.2".into(),
    }];
    client.create(other).unwrap();

    let rules = reconcile_nat(&client, "node-a", ns).unwrap();
    assert_eq!(rules.dnat.len(), 1);
    let table = nat::list_table(ns).unwrap().expect("table applied");
    assert!(
        table.contains("ip daddr 10.0.0.1 dnat ip to 10.65.0.5"),
        "{table}"
    );
    assert!(
        table.contains("ip saddr 10.65.0.5 ip daddr 10.65.0.5 snat ip to 10.0.0.1"),
        "{table}"
    );
    assert!(!table.contains("10.0.0.2"), "{table}");

    // ICMP from outside, through PREROUTING.
    assert!(
        t.client.ping(FLOATING_IP),
        "client cannot ping the floating IP:\n{table}"
    );
    // From the node itself, through OUTPUT.
    assert!(t.node.ping(FLOATING_IP), "node cannot ping the floating IP");
    // The pod to its own floating IP: the hair-pin SNAT.
    assert!(
        t.pod.ping(FLOATING_IP),
        "pod cannot reach its own floating IP"
    );

    // Without the SNAT the hair-pin fails (the pod would get a packet from itself), while
    // outside clients still get through: the SNAT rule is what makes the pod's ping work.
    let mut no_snat = rules.clone();
    no_snat.snat.clear();
    nat::apply(&no_snat.to_nft_script(), ns).unwrap();
    assert!(!t.pod.ping(FLOATING_IP), "hair-pin works without the SNAT?");
    assert!(t.client.ping(FLOATING_IP));

    // Re-applying is idempotent: still exactly one rule.
    reconcile_nat(&client, "node-a", ns).unwrap();
    let table = nat::list_table(ns).unwrap().unwrap();
    assert_eq!(table.matches("dnat ip to").count(), 1, "{table}");

    // The endpoint goes away: the rule goes, the floating IP stops answering.
    client
        .delete::<WorkloadEndpoint>(Some("default"), &wep.metadata.name, None)
        .unwrap();
    let rules = reconcile_nat(&client, "node-a", ns).unwrap();
    assert!(rules.is_empty());
    let table = nat::list_table(ns)
        .unwrap()
        .expect("the table stays, empty");
    assert!(!table.contains("dnat ip to"), "{table}");
    assert!(!table.contains(FLOATING_IP), "{table}");
    assert!(
        !t.client.ping(FLOATING_IP),
        "the floating IP still answers after its endpoint was deleted"
    );
}

#[test]
fn nat_apply_replaces_the_table_atomically_and_rejects_bad_scripts() {
    require_root("nat apply");
    let ns = Netns::new("nat_apply", "node");
    let weps = calico::node::bench::synthetic_endpoints("n", 3);
    let first = nat::render(&weps, "n");
    nat::apply(&first.to_nft_script(), Some(ns.name())).unwrap();
    let table = nat::list_table(Some(ns.name())).unwrap().unwrap();
    assert_eq!(table.matches("dnat ip to").count(), 3, "{table}");
    // A broken script changes nothing: the transaction is all or nothing.
    let broken = format!(
        "{}\nthis is not nft\n",
        nat::render(&weps[..1], "n").to_nft_script()
    );
    let err = nat::apply(&broken, Some(ns.name()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("nft -f -` failed"), "{err}");
    let after = nat::list_table(Some(ns.name())).unwrap().unwrap();
    assert_eq!(after, table);
    // A smaller set replaces the larger one.
    nat::apply(
        &nat::render(&weps[..1], "n").to_nft_script(),
        Some(ns.name()),
    )
    .unwrap();
    let table = nat::list_table(Some(ns.name())).unwrap().unwrap();
    assert_eq!(table.matches("dnat ip to").count(), 1, "{table}");
    // IPv6 rules load too.
    let mut v6 = WorkloadEndpoint::default();
    v6.spec.node = "n".into();
    v6.spec.ip_networks = vec!["fd00:65::5/128".into()];
    v6.spec.ip_nats = vec![IpNat {
        internal_ip: "fd00:65::5".into(),
        external_ip: "fd00:10::1".into(),
    }];
    nat::apply(&nat::render(&[v6], "n").to_nft_script(), Some(ns.name())).unwrap();
    let table = nat::list_table(Some(ns.name())).unwrap().unwrap();
    assert!(
        table.contains("ip6 daddr fd00:10::1 dnat ip6 to fd00:65::5"),
        "{table}"
    );
    // Removal.
    nat::apply(&nat::delete_script(), Some(ns.name())).unwrap();
    assert_eq!(nat::list_table(Some(ns.name())).unwrap(), None);
}

fn calico_node() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_calico-node"));
    for var in [
        "NODENAME",
        "CALICO_NODE_LABELS",
        "DATASTORE_TYPE",
        "CALICO_DATASTORE_TYPE",
    ] {
        c.env_remove(var);
    }
    c
}

#[test]
fn nat_dry_run_prints_the_script_and_applies_nothing() {
    let out = calico_node()
        .args([
            "--datastore-type",
            "memory",
            "--nodename",
            "node-a",
            "--once",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        nat::render(&[], "node-a").to_nft_script(),
        "stdout must be exactly the script"
    );
    assert!(
        stderr.contains("dry run: node node-a not registered"),
        "{stderr}"
    );
}

#[test]
fn nat_once_applies_in_the_given_namespace() {
    require_root("calico-node --once --netns");
    let ns = Netns::new("nat_once", "node");
    let out = calico_node()
        .args([
            "--datastore-type",
            "memory",
            "--nodename",
            "node-a",
            "--labels",
            "rack=0",
            "--once",
            "--netns",
            ns.name(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("registered node node-a"), "{stderr}");
    assert!(
        stderr.contains("created default pool default-ipv4-ippool"),
        "{stderr}"
    );
    let table = nat::list_table(Some(ns.name()))
        .unwrap()
        .expect("table applied");
    assert!(table.contains("chain fip-dnat"), "{table}");

    // A namespace that does not exist: a clear error, exit 1.
    let out = calico_node()
        .args([
            "--datastore-type",
            "memory",
            "--nodename",
            "node-a",
            "--once",
        ])
        .args(["--netns", "calico-t-no-such-namespace"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`ip netns exec calico-t-no-such-namespace nft -f -` failed"),
        "{stderr}"
    );
}

#[test]
fn nat_agent_loop_stops_cleanly_on_sigterm() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let mut child = calico_node()
        .args([
            "--datastore-type",
            "memory",
            "--nodename",
            "node-a",
            "--dry-run",
        ])
        .args(["--poll-interval", "10s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first pass printed its script, i.e. the agent is in its wait.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).ends_with("}\n") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "calico-node exited early");
        seen.extend_from_slice(&buf[..n]);
    }
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "calico-node ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(sent.elapsed() < Duration::from_secs(2), "slow stop");
    assert!(stderr.contains("stopping"), "{stderr}");
}

#[test]
fn nat_agent_loop_follows_endpoints_and_repairs_a_removed_table() {
    use calico::node::agent::{Agent, AgentConfig};
    use calico::node::tunnel::NoIpam;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    require_root("calico-node agent loop");
    let ns = Netns::new("nat_loop", "node");
    let client = Client::new(Arc::new(MemoryStore::new()));
    client.create(endpoint("node-a")).unwrap();
    client
        .create(FelixConfiguration::with_floating_ips("default", "Enabled"))
        .unwrap();
    let mut cfg = AgentConfig::new("node-a");
    cfg.netns = Some(ns.name().to_string());
    cfg.poll_interval = Duration::from_millis(100);
    cfg.resync_interval = Duration::from_millis(500);
    let mut agent = Agent::new(
        client.clone(),
        cfg,
        Box::new(NoIpam),
        Box::new(std::io::sink()),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let handle = {
        let stop = stop.clone();
        std::thread::spawn(move || agent.run(&stop))
    };
    let name = ns.name().to_string();
    let wait_for = |what: &str, pred: &dyn Fn(Option<String>) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let table = nat::list_table(Some(&name)).unwrap();
            if pred(table.clone()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {table:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let has = |needle: &'static str| move |t: Option<String>| t.is_some_and(|t| t.contains(needle));
    wait_for(
        "the first rule",
        &has("ip daddr 10.0.0.1 dnat ip to 10.65.0.5"),
    );
    // A new endpoint is picked up from the datastore.
    let mut second = endpoint("node-a");
    second.metadata.name = "node--a-k8s-api-eth0".into();
    second.spec.pod = "api".into();
    second.spec.ip_networks = vec!["10.65.0.6/32".into()];
    second.spec.ip_nats = vec![IpNat {
        internal_ip: "10.65.0.6".into(),
        external_ip: "10.0.0.9".into(),
    }];
    client.create(second).unwrap();
    wait_for(
        "the second rule",
        &has("ip daddr 10.0.0.9 dnat ip to 10.65.0.6"),
    );
    // Someone removes the table: the periodic resync puts it back.
    nat::apply(&nat::delete_script(), Some(&name)).unwrap();
    assert_eq!(nat::list_table(Some(&name)).unwrap(), None);
    wait_for(
        "the table to be restored",
        &has("ip daddr 10.0.0.9 dnat ip to 10.65.0.6"),
    );
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
}
