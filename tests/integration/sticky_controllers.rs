//! `calico-kube-controllers` and issue 25, end to end: the real binaries against the stand-in
//! Kubernetes API server (changes made with the real `kubectl` where an admin would) and a real
//! etcd.
//!
//! - sticky StatefulSet addresses (created through the library with the shared design's handle
//!   `<network>.sticky.<ns>.<sts>-<ord>` and attributes, as the plugin's sticky ADD will): a
//!   StatefulSet gone releases them, unless a pod of the identity exists; scale-down releases
//!   them only with `releaseOnScaleDown`; a StatefulSet deleted and recreated (new UID) before
//!   the controller runs keeps them; a pod of another owner with the replica's name neither
//!   keeps the identity alive nor loses its own address; `--once --dry-run` and `--once`;
//! - floating IPs: a pod's `floatingIPs` annotation reaches its endpoint; one held by another
//!   pod is refused with a log line and applied when the holder lets go, in one transaction
//!   over both endpoints, while an observer reading both endpoints at one revision never sees
//!   two holders (nor, once the hand-over is queued, none).

use super::kube_controllers::{Env, wait_until};
use crate::reliability::{calico_kube_controllers, text};
use calico::datastore::api::Client;
use calico::ipam::{AutoAssignRequest, Ipam};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const NET: &str = "k8s-pod-network";

/// Pods get addresses from here; floating IPs come from a disabled pool.
const POOLS: &str = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pods\n\
spec:\n  cidr: 10.77.0.0/24\n  blockSize: 28\n---\napiVersion: projectcalico.org/v3\nkind: IPPool\n\
metadata:\n  name: floating\nspec:\n  cidr: 10.88.0.0/24\n  disabled: true\n";

fn setup(etcd: bool) -> Env {
    let env = Env::new(etcd);
    env.kube_node("node-1");
    env.register("node-1");
    env.calicoctl_apply(POOLS);
    env
}

/// Assigns identity `default/<sts>-<ord>` one address through the library, as the plugin's
/// sticky ADD does.
fn sticky_assign(env: &Env, sts: &str, ord: u32) -> String {
    let ipam = Ipam::new(Client::new(env.store.open()));
    let pod = format!("{sts}-{ord}");
    let id = format!("default/{pod}");
    let attrs = [
        ("namespace", "default"),
        ("node", "node-1"),
        ("pod", pod.as_str()),
        ("timestamp", "2026-12-07 16:00:00.000000000 +0000 UTC"),
        ("sticky", id.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let got = ipam
        .auto_assign(&AutoAssignRequest {
            num4: 1,
            handle_id: Some(format!("{NET}.sticky.default.{pod}")),
            hostname: "node-1".into(),
            attrs,
            ..AutoAssignRequest::default()
        })
        .unwrap();
    got.ipv4.unwrap().ips[0].addr().to_string()
}

fn statefulset(env: &Env, name: &str, replicas: u32, release_on_scale_down: bool) {
    let mut annotations = json!({"cni.projectcalico.org/sticky": "true"});
    if release_on_scale_down {
        annotations["cni.projectcalico.org/releaseOnScaleDown"] = json!("true");
    }
    env.api.apply(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": {"containers": [{"name": "c", "image": "x"}]}
            }
        }
    }));
}

/// A pod named `name` whose controller is `kind`/`owner` (none: a bare pod).
fn pod(env: &Env, name: &str, owner: Option<(&str, &str, &str)>) {
    let mut p = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default",
                     "annotations": {"cni.projectcalico.org/sticky": "true"}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "x"}]}
    });
    if let Some((api_version, kind, owner)) = owner {
        // The stand-in serves no ReplicaSets: another owner gets a made-up UID.
        let uid = match kind {
            "StatefulSet" => env.api.get(kind, Some("default"), owner).unwrap()["metadata"]["uid"]
                .as_str()
                .unwrap()
                .to_string(),
            _ => format!("{kind}-{owner}-uid"),
        };
        p["metadata"]["ownerReferences"] = json!([{
            "apiVersion": api_version, "kind": kind, "name": owner, "uid": uid,
            "controller": true, "blockOwnerDeletion": true
        }]);
    }
    env.api.apply(p);
}

fn replica(env: &Env, name: &str, sts: &str) {
    pod(env, name, Some(("apps/v1", "StatefulSet", sts)));
}

fn in_use(env: &Env, ip: &str) -> bool {
    env.calicoctl(&["ipam", "show", "--ip", ip])
        .contains("is in use")
}

/// Sticky release, end to end.
fn sticky_release(etcd: bool) {
    let env = setup(etcd);
    // web: 3 replicas, releaseOnScaleDown; db: 2 replicas, without; old: deleted before the
    // controller ran, its name now on a ReplicaSet's pod; re: deleted and recreated (a new
    // UID) before the controller ran.
    statefulset(&env, "web", 3, true);
    statefulset(&env, "db", 2, false);
    statefulset(&env, "re", 1, false);
    let web: Vec<String> = (0..3).map(|o| sticky_assign(&env, "web", o)).collect();
    let db: Vec<String> = (0..2).map(|o| sticky_assign(&env, "db", o)).collect();
    let old = sticky_assign(&env, "old", 0);
    let re = sticky_assign(&env, "re", 0);
    for o in 0..3 {
        replica(&env, &format!("web-{o}"), "web");
    }
    let uid = |n: &str| {
        env.api.get("StatefulSet", Some("default"), n).unwrap()["metadata"]["uid"].clone()
    };
    let first_uid = uid("re");
    assert!(env.api.delete("StatefulSet", Some("default"), "re"));
    statefulset(&env, "re", 1, false);
    assert_ne!(uid("re"), first_uid, "recreated with a new UID");
    // A pod of another owner named like old's replica, with an ordinary address of its own.
    pod(&env, "old-0", Some(("apps/v1", "ReplicaSet", "old")));
    let impostor = env.cni_add("node-1", "old-0");
    for ip in web.iter().chain(&db).chain([&old, &re, &impostor]) {
        assert!(in_use(&env, ip), "{ip}");
    }

    let ctl = env.start(&[]);
    ctl.wait_log(
        &format!("Released sticky IP address {old} (identity default/old-0, handle {NET}.sticky.default.old-0, StatefulSet deleted)"),
        Duration::from_secs(20),
    );
    assert!(!in_use(&env, &old));
    assert!(
        in_use(&env, &impostor),
        "the other owner's pod keeps its own address"
    );
    assert!(
        in_use(&env, &re),
        "recreated under the same name: kept\n{}",
        ctl.log()
    );
    for ip in web.iter().chain(&db) {
        assert!(in_use(&env, ip), "{ip}\n{}", ctl.log());
    }

    // Scale-down: db (without releaseOnScaleDown) to 0, then web to 1 while web-2's pod still
    // runs and web-1's is gone: only web-1 goes, then web-2 once its pod is gone.
    env.kubectl(&[
        "patch",
        "statefulset",
        "db",
        "-p",
        r#"{"spec":{"replicas":0}}"#,
    ]);
    assert!(env.api.delete("Pod", Some("default"), "web-1"));
    env.kubectl(&[
        "patch",
        "statefulset",
        "web",
        "-p",
        r#"{"spec":{"replicas":1}}"#,
    ]);
    ctl.wait_log(
        &format!("Released sticky IP address {} (identity default/web-1, handle {NET}.sticky.default.web-1, StatefulSet scaled down to 1 replicas, cni.projectcalico.org/releaseOnScaleDown)", web[1]),
        Duration::from_secs(20),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(in_use(&env, &web[2]), "web-2's pod exists\n{}", ctl.log());
    assert!(in_use(&env, &web[0]), "web-0 is a replica\n{}", ctl.log());
    for ip in &db {
        assert!(
            in_use(&env, ip),
            "db without releaseOnScaleDown keeps {ip}\n{}",
            ctl.log()
        );
    }
    env.kubectl(&["delete", "pod", "web-2"]);
    ctl.wait_log(
        &format!(
            "Released sticky IP address {} (identity default/web-2",
            web[2]
        ),
        Duration::from_secs(20),
    );

    // web deleted while web-0's pod runs: kept until that pod is gone.
    env.kubectl(&["delete", "statefulset", "web"]);
    std::thread::sleep(Duration::from_secs(3));
    assert!(in_use(&env, &web[0]), "web-0's pod exists\n{}", ctl.log());
    env.kubectl(&["delete", "pod", "web-0"]);
    ctl.wait_log(
        &format!("Released sticky IP address {} (identity default/web-0, handle {NET}.sticky.default.web-0, StatefulSet deleted)", web[0]),
        Duration::from_secs(20),
    );
    assert!(in_use(&env, &re) && db.iter().all(|ip| in_use(&env, ip)));
    let mut ctl = ctl;
    ctl.stop();

    // --once --dry-run says what it would release and writes nothing; --once releases.
    env.kubectl(&["delete", "statefulset", "db"]);
    let once = |extra: &[&str]| {
        let mut c = calico_kube_controllers();
        env.store.env(&mut c);
        let out = c
            .env("KUBECONFIG", &env.kubeconfig)
            .arg("--once")
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };
    let out = once(&["--dry-run"]);
    for ip in &db {
        assert!(
            out.contains(&format!("Would release sticky IP address {ip} ")),
            "{out}"
        );
        assert!(in_use(&env, ip));
    }
    let out = once(&[]);
    for ip in &db {
        assert!(
            out.contains(&format!("Released sticky IP address {ip} ")),
            "{out}"
        );
        assert!(!in_use(&env, ip));
    }
    assert!(in_use(&env, &re), "{out}");
    assert!(!out.contains(&format!("address {re} ")), "{out}");
}

#[test]
fn sticky_addresses_released_when_the_identity_is_gone_on_etcd() {
    sticky_release(true);
}

#[test]
fn sticky_addresses_released_when_the_identity_is_gone_on_the_embedded_store() {
    sticky_release(false);
}

/// The floating IPs in pod `pod`'s endpoint(s), read from `kvs`.
fn held_by(kvs: &[calico::datastore::KeyValue], pod: &str) -> BTreeSet<String> {
    kvs.iter()
        .filter_map(|kv| serde_json::from_slice::<Value>(&kv.value).ok())
        .filter(|w| w["spec"]["pod"] == pod)
        .flat_map(|w| {
            w["spec"]["ipNATs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|n| {
                    format!(
                        "{}>{}",
                        n["externalIP"].as_str().unwrap(),
                        n["internalIP"].as_str().unwrap()
                    )
                })
        })
        .collect()
}

const WEPS: &str = "/calico/resources/v3/projectcalico.org/workloadendpoints/default/";
const FIP: &str = "10.88.0.200";

/// A floating IP moved from pod A to pod B.
fn floating_ip_moves(etcd: bool) {
    let env = setup(etcd);
    for p in ["pod-a", "pod-b"] {
        pod(&env, p, None);
    }
    let a = env.cni_add("node-1", "pod-a");
    let b = env.cni_add("node-1", "pod-b");
    let store = env.store.open();
    let snapshot = || store.list(WEPS).unwrap().kvs;
    assert!(held_by(&snapshot(), "pod-a").is_empty());

    let ctl = env.start(&[]);
    ctl.wait_log("is now the active instance", Duration::from_secs(20));
    let annotate = |p: &str, v: &str| {
        env.kubectl(&[
            "annotate",
            "--overwrite",
            "pod",
            p,
            &format!("cni.projectcalico.org/floatingIPs={v}"),
        ]);
    };
    annotate("pod-a", &format!(r#"["{FIP}"]"#));
    wait_until(
        "pod-a's endpoint holds the floating IP",
        Duration::from_secs(20),
        || held_by(&snapshot(), "pod-a") == BTreeSet::from([format!("{FIP}>{a}")]),
    );

    // An observer reads both endpoints at one revision (one range read), continuously.
    let stop = Arc::new(AtomicBool::new(false));
    let observer = {
        let stop = stop.clone();
        let store = env.store.open();
        std::thread::spawn(move || {
            let mut seen: Vec<(bool, bool)> = Vec::new();
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let kvs = store.list(WEPS).unwrap().kvs;
                let holds = |p| {
                    held_by(&kvs, p)
                        .iter()
                        .any(|n| n.starts_with(&format!("{FIP}>")))
                };
                let state = (holds("pod-a"), holds("pod-b"));
                reads += 1;
                if seen.last() != Some(&state) {
                    seen.push(state);
                }
            }
            (seen, reads)
        })
    };

    // B asks for it first: refused, A still holds it.
    annotate("pod-b", &format!(r#"["{FIP}"]"#));
    ctl.wait_log(
        &format!(
            "Floating IP {FIP} of pod default/pod-b refused: held by WorkloadEndpoint default/"
        ),
        Duration::from_secs(20),
    );
    assert!(
        ctl.log()
            .contains("of pod default/pod-a; applied when it lets go"),
        "{}",
        ctl.log()
    );
    assert!(held_by(&snapshot(), "pod-b").is_empty());
    // A lets go: B gets it in the same transaction.
    annotate("pod-a", "[]");
    ctl.wait_log(
        &format!(
            "Moved floating IP {FIP} from pod default/pod-a to pod default/pod-b in one transaction"
        ),
        Duration::from_secs(20),
    );
    wait_until("pod-b's endpoint holds it", Duration::from_secs(5), || {
        held_by(&snapshot(), "pod-b") == BTreeSet::from([format!("{FIP}>{b}")])
    });
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let (seen, reads) = observer.join().unwrap();
    println!("observer: {reads} reads, states {seen:?}");
    assert!(reads > 10, "the observer read {reads} times");
    assert_eq!(
        seen,
        vec![(true, false), (false, true)],
        "never two holders, never none: one transaction\n{}",
        ctl.log()
    );
    assert!(held_by(&snapshot(), "pod-a").is_empty());

    // Back to A by one annotation each way, the other order: A's request is refused while B
    // holds it... here B lets go first, so A gets it with no refusal.
    annotate("pod-b", "[]");
    annotate("pod-a", &format!(r#"["{FIP}"]"#));
    wait_until("pod-a holds it again", Duration::from_secs(20), || {
        let kvs = snapshot();
        held_by(&kvs, "pod-a").len() == 1 && held_by(&kvs, "pod-b").is_empty()
    });
    // An address outside every pool is refused with Calico's words.
    annotate("pod-b", r#"["10.99.0.1"]"#);
    ctl.wait_log(
        "cni.projectcalico.org/floatingIPs of pod default/pod-b not applied: floating IP 10.99.0.1 is not within a configured IP pool",
        Duration::from_secs(20),
    );

    // Moved while no controller runs: A's annotation removed (not emptied), B's added. A
    // controller started afterwards (here `--once`) never saw A with the annotation, yet
    // completes the move: A lets go of what B asks for.
    let mut ctl = ctl;
    ctl.stop();
    env.kubectl(&[
        "annotate",
        "pod",
        "pod-a",
        "cni.projectcalico.org/floatingIPs-",
    ]);
    annotate("pod-b", &format!(r#"["{FIP}"]"#));
    let mut c = calico_kube_controllers();
    env.store.env(&mut c);
    let out = c
        .env("KUBECONFIG", &env.kubeconfig)
        .arg("--once")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let kvs = snapshot();
    assert!(held_by(&kvs, "pod-a").is_empty(), "{}", text(&out));
    assert_eq!(
        held_by(&kvs, "pod-b"),
        BTreeSet::from([format!("{FIP}>{b}")]),
        "{}",
        text(&out)
    );
}

#[test]
fn a_floating_ip_moves_between_pods_in_one_transaction_on_etcd() {
    floating_ip_moves(true);
}

#[test]
fn a_floating_ip_moves_between_pods_in_one_transaction_on_the_embedded_store() {
    floating_ip_moves(false);
}

/// A pod orphaned from its StatefulSet (`kubectl delete statefulset --cascade=orphan` strips
/// its ownerReference) is no replica, yet its endpoint still lists the identity's address:
/// the address is kept, with a warning, until the endpoint goes.
#[test]
fn an_address_an_endpoint_still_lists_is_never_released() {
    let env = setup(true);
    let ip = sticky_assign(&env, "orphan", 0);
    pod(&env, "orphan-0", None);
    env.calicoctl_apply(&format!(
        "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n  name: node--1-k8s-orphan--0-eth0\n  namespace: default\nspec:\n  node: node-1\n  orchestrator: k8s\n  endpoint: eth0\n  pod: orphan-0\n  interfaceName: cali0123456789a\n  ipNetworks:\n  - {ip}/32\n"
    ));
    let once = || {
        let mut c = calico_kube_controllers();
        env.store.env(&mut c);
        let out = c
            .env("KUBECONFIG", &env.kubeconfig)
            .arg("--once")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        text(&out)
    };
    let out = once();
    assert!(in_use(&env, &ip), "{out}");
    assert!(
        out.contains(&format!(
            "Cannot confirm that sticky identity default/orphan-0 is gone, keeping its addresses: {ip} is still listed by WorkloadEndpoint default/node--1-k8s-orphan--0-eth0 (pod orphan-0)"
        )),
        "{out}"
    );
    // The endpoint goes (the pod's DEL): released.
    env.calicoctl(&[
        "delete",
        "workloadendpoint",
        "node--1-k8s-orphan--0-eth0",
        "-n",
        "default",
    ]);
    let out = once();
    assert!(!in_use(&env, &ip), "{out}");
    assert!(
        out.contains(&format!("Released sticky IP address {ip} ")),
        "{out}"
    );
}
