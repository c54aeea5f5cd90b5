//! The stand-in Kubernetes API server (`calico::testing::kube_api`) proven against real
//! clients: Debian's `kubectl` (Go's client-go) and kube-rs through `calico::k8s`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use calico::k8s::{Kube, KubeError, KubeSource};
use calico::testing::TestDir;
use calico::testing::kube_api::KubeApiServer;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use serde_json::{Value, json};

const KUBECTL: &str = "/usr/bin/kubectl";

pub(crate) fn pod(namespace: &str, name: &str, node: &str, annotations: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations,
                     "labels": {"app": "web"}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
        "status": {"phase": "Running"},
    })
}

pub(crate) fn namespace(name: &str, labels: Value, annotations: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "status": {"phase": "Active"},
    })
}

fn node(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.1.0.1"}]},
    })
}

/// A stand-in server, its kubeconfig, and a home directory for kubectl's cache.
struct Fixture {
    server: KubeApiServer,
    dir: TestDir,
}

impl Fixture {
    fn new() -> Fixture {
        assert!(
            Path::new(KUBECTL).is_file(),
            "{KUBECTL} not found: the stand-in API server's realism tests run the real kubectl. \
             Install it with `apt-get install kubernetes-client`."
        );
        let server = KubeApiServer::start();
        let dir = TestDir::new("kube-api");
        server.write_kubeconfig(&dir.path().join("kubeconfig"));
        Fixture { server, dir }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(KUBECTL);
        cmd.args(args)
            .env_clear()
            .env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.dir.path());
        cmd
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        let out = self.kubectl_command(args).output().expect("run kubectl");
        assert!(
            out.status.success(),
            "kubectl {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn kube(&self) -> Kube {
        Kube::connect(
            &KubeSource::Kubeconfig(self.kubeconfig()),
            Duration::from_secs(5),
        )
        .expect("connect")
    }
}

#[test]
fn kubectl_gets_lists_and_labels_through_the_stand_in() {
    let f = Fixture::new();
    f.server.apply(namespace("ns", json!({}), json!({})));
    f.server.apply(pod("ns", "web-0", "node-1", json!({})));
    f.server.apply(pod("ns", "web-1", "node-1", json!({})));
    f.server.apply(pod("other", "db-0", "node-2", json!({})));
    f.server.apply(node("node-1"));
    f.server.apply(node("node-2"));

    let out = f.kubectl(&["get", "pods", "-n", "ns"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["web-0", "web-1"], "{text}");
    assert!(text.starts_with("NAME"), "{text}");

    let out = f.kubectl(&["get", "nodes", "-o", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).expect("kubectl's JSON");
    assert_eq!(list["kind"], "List");
    let nodes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["node-1", "node-2"]);
    assert_eq!(list["items"][0]["kind"], "Node");

    let rv_before = f.server.resource_version();
    let out = f.kubectl(&["label", "nodes", "node-1", "rack=0"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "node/node-1 labeled"
    );
    let labelled = f.server.get("Node", None, "node-1").unwrap();
    assert_eq!(labelled["metadata"]["labels"]["rack"], "0");
    assert_eq!(
        labelled["metadata"]["labels"]["kubernetes.io/hostname"],
        "node-1"
    );
    assert!(f.server.resource_version() > rv_before);
    assert!(
        f.server
            .requests()
            .iter()
            .any(|r| r.starts_with("PATCH /api/v1/nodes/node-1")),
        "{:?}",
        f.server.requests()
    );
    f.kubectl(&["annotate", "pods", "-n", "ns", "web-0", "note=x"]);
    assert_eq!(
        f.server.get("Pod", Some("ns"), "web-0").unwrap()["metadata"]["annotations"]["note"],
        "x"
    );
    f.kubectl(&["label", "nodes", "node-1", "rack-"]);
    let unlabelled = f.server.get("Node", None, "node-1").unwrap();
    assert!(unlabelled["metadata"]["labels"].get("rack").is_none());

    let out = f
        .kubectl_command(&["get", "pod", "-n", "ns", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error from server (NotFound): pods \"nope\" not found"
    );
}

#[test]
fn kubectl_with_a_wrong_token_is_refused() {
    let f = Fixture::new();
    let bad = f.dir.path().join("bad-kubeconfig");
    f.server.write_kubeconfig_with_token(&bad, "wrong");
    let out = f
        .kubectl_command(&["get", "nodes"])
        .env("KUBECONFIG", &bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    // What kubectl says to a real API server that refuses its token (its discovery fails
    // first, with client-go's words for a 401).
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.lines().last(),
        Some(
            "error: You must be logged in to the server (the server has asked for the client to \
             provide credentials)"
        ),
        "{err}"
    );
    assert!(
        f.server
            .requests()
            .iter()
            .all(|r| !r.starts_with("GET /api/v1/nodes"))
    );
}

#[test]
fn kubectl_watch_sees_added_modified_and_deleted() {
    let f = Fixture::new();
    f.server.apply(pod("ns", "web-0", "node-1", json!({})));
    let mut child = f
        .kubectl_command(&[
            "get",
            "pods",
            "-n",
            "ns",
            "-w",
            "--output-watch-events",
            "-o",
            "jsonpath={.type} {.object.metadata.name} {.object.metadata.labels.v}{\"\\n\"}",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("kubectl printed a watch event")
    };
    assert_eq!(next().trim(), "ADDED web-0");
    // The watch is open once kubectl has asked for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !f.server.requests().iter().any(|r| r.contains("watch=")) {
        assert!(
            std::time::Instant::now() < deadline,
            "kubectl never watched"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut changed = pod("ns", "web-0", "node-1", json!({}));
    changed["metadata"]["labels"]["v"] = json!("2");
    f.server.apply(changed);
    assert_eq!(next().trim(), "MODIFIED web-0 2");
    f.server.apply(pod("ns", "web-1", "node-1", json!({})));
    assert_eq!(next().trim(), "ADDED web-1");
    assert!(f.server.delete("Pod", Some("ns"), "web-0"));
    assert_eq!(next().trim(), "DELETED web-0 2");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn kube_rs_gets_objects_and_reads_404_401_and_410() {
    use futures::StreamExt;
    use kube::api::{Api, WatchEvent, WatchParams};

    let f = Fixture::new();
    f.server
        .apply(namespace("ns", json!({"team": "a"}), json!({})));
    f.server
        .apply(pod("ns", "web-0", "node-1", json!({"k": "v"})));
    let kube = f.kube();

    let got: Pod = kube
        .get_namespaced("ns", "web-0")
        .unwrap()
        .expect("the pod");
    assert_eq!(got.metadata.name.as_deref(), Some("web-0"));
    assert_eq!(
        got.metadata.annotations.unwrap()["k"],
        "v",
        "annotations survive"
    );
    assert!(got.metadata.uid.is_some() && got.metadata.creation_timestamp.is_some());
    let ns: Namespace = kube.get_cluster("ns").unwrap().unwrap();
    assert_eq!(ns.metadata.labels.unwrap()["team"], "a");
    assert!(kube.get_cluster::<Node>("node-9").unwrap().is_none());

    let api: Api<Pod> = Api::namespaced(kube.client(), "ns");
    match kube.block_on(api.get("missing")).unwrap_err() {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 404);
            assert_eq!(status.reason, "NotFound");
            assert_eq!(status.message, "pods \"missing\" not found");
            let details = status.details.expect("details");
            assert_eq!(
                (details.name.as_str(), details.kind.as_str()),
                ("missing", "pods")
            );
        }
        other => panic!("expected a 404 Status, got {other:?}"),
    }

    let bad = f.dir.path().join("bad-kubeconfig");
    f.server.write_kubeconfig_with_token(&bad, "wrong");
    let refused = Kube::connect(&KubeSource::Kubeconfig(bad), Duration::from_secs(5)).unwrap();
    let e = refused.get_namespaced::<Pod>("ns", "web-0").unwrap_err();
    assert!(matches!(e, KubeError::Api { code: 401, .. }), "{e:?}");

    // A watch from before a compaction ends with a 410 Expired ERROR event.
    let old = f.server.resource_version();
    f.server.apply(pod("ns", "web-1", "node-1", json!({})));
    f.server.compact();
    let events = kube.block_on(async {
        let stream = api
            .watch(&WatchParams::default().timeout(5), &old.to_string())
            .await?;
        Ok::<_, kube::Error>(stream.collect::<Vec<_>>().await)
    });
    let events = events.unwrap();
    match events.first() {
        Some(Ok(WatchEvent::Error(status))) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
        }
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }
    // A watch from now sees a change.
    let now = f.server.resource_version();
    let events = kube.block_on(async {
        let stream = api
            .watch(&WatchParams::default().timeout(2), &now.to_string())
            .await?;
        f.server.delete("Pod", Some("ns"), "web-1");
        Ok::<_, kube::Error>(stream.collect::<Vec<_>>().await)
    });
    let events = events.unwrap();
    assert!(
        matches!(events.first(), Some(Ok(WatchEvent::Deleted(p))) if p.metadata.name.as_deref() == Some("web-1")),
        "{events:?}"
    );
}

#[test]
fn lists_page_and_select_and_refusing_gives_503() {
    use kube::api::{Api, ListParams};

    let f = Fixture::new();
    for i in 0..5 {
        let node = if i % 2 == 0 { "node-1" } else { "node-2" };
        f.server
            .apply(pod("ns", &format!("web-{i}"), node, json!({})));
    }
    let kube = f.kube();
    let api: Api<Pod> = Api::namespaced(kube.client(), "ns");
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    loop {
        let page = kube.block_on(api.list(&params)).unwrap();
        assert!(page.items.len() <= 2);
        names.extend(page.items.iter().map(|p| p.metadata.name.clone().unwrap()));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(names, ["web-0", "web-1", "web-2", "web-3", "web-4"]);
    let on_1 = kube
        .block_on(api.list(&ListParams::default().fields("spec.nodeName=node-1")))
        .unwrap();
    assert_eq!(on_1.items.len(), 3);
    let none = kube
        .block_on(api.list(&ListParams::default().labels("app=db")))
        .unwrap();
    assert!(none.items.is_empty());

    // kube-rs retries a 503 (15 times, backing off up to 1000 s) unless told not to; a CNI ADD
    // is told not to.
    let once = Kube::connect_fail_fast(
        &KubeSource::Kubeconfig(f.kubeconfig()),
        Duration::from_secs(5),
    )
    .unwrap();
    f.server.set_refusing(true);
    let e = once.get_namespaced::<Pod>("ns", "web-0").unwrap_err();
    assert!(matches!(e, KubeError::Api { code: 503, .. }), "{e:?}");
    f.server.set_refusing(false);
    assert!(kube.get_namespaced::<Pod>("ns", "web-0").unwrap().is_some());

    let url = f.server.url();
    drop(f);
    let port = url.rsplit(':').next().unwrap();
    assert!(
        std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err(),
        "the port is free after drop"
    );
}
