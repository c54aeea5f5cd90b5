//! BGP kinds against a real etcd, as Calico v3.31 keeps them: a value Calico wrote reads back
//! through `calicoctl get -o yaml` exactly, and what we write is Calico's JSON.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn calicoctl(dir: &Path, etcd: &calico::testing::EtcdServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calicoctl"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", etcd.endpoint())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Puts Calico's `value` at `key`, reads it back with `get <kind> <name> -o yaml` (compared
/// with `yaml`, whose `resourceVersion: REV` is the put's revision); then creates `doc` with
/// calicoctl and compares what lands at `new_key` with `json`, whose `UID` and `TIME` stand
/// for the generated uid and creation time.
fn interop(kind: &str, name: &str, key: &str, value: &str, yaml: &str) -> InteropEtcd {
    let etcd = calico::testing::EtcdServer::start();
    let dir = tempfile::tempdir().unwrap();
    let put = etcd.etcdctl(None, &["put", key, value]);
    assert!(put.status.success(), "{put:?}");
    let got = stdout(&calicoctl(
        dir.path(),
        &etcd,
        &["get", kind, name, "-o", "yaml"],
    ));
    let rev = got
        .lines()
        .find_map(|l| l.strip_prefix("  resourceVersion: "))
        .expect("a resourceVersion")
        .trim_matches('"')
        .to_string();
    assert_eq!(got, yaml.replace("REV", &rev));
    InteropEtcd { etcd, dir }
}

struct InteropEtcd {
    etcd: calico::testing::EtcdServer,
    dir: tempfile::TempDir,
}

impl InteropEtcd {
    /// Creates `doc` and checks the bytes stored at `key` against `json` (`UID`, `TIME`).
    fn writes(&self, doc: &str, key: &str, json: &str) {
        std::fs::write(self.dir.path().join("doc.yaml"), doc).unwrap();
        stdout(&calicoctl(
            self.dir.path(),
            &self.etcd,
            &["create", "-f", "doc.yaml"],
        ));
        let out = self.etcd.etcdctl(None, &["get", key, "--print-value-only"]);
        assert!(out.status.success(), "{out:?}");
        let stored = String::from_utf8(out.stdout).unwrap();
        let stored = stored.trim_end_matches('\n');
        let v: serde_json::Value = serde_json::from_str(stored).unwrap();
        let uid = v["metadata"]["uid"].as_str().unwrap();
        let time = v["metadata"]["creationTimestamp"].as_str().unwrap();
        assert_eq!(stored, json.replace("UID", uid).replace("TIME", time));
    }
}

#[test]
fn bgppeer_as_calico_stores_it() {
    let etcd = interop(
        "bgppeer",
        "tor-1",
        "/calico/resources/v3/projectcalico.org/bgppeers/tor-1",
        r#"{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"tor-1","uid":"5e3c1b7a-1d2e-4f60-9a7b-0c1d2e3f4a5b","creationTimestamp":"2026-03-01T08:00:00Z"},"spec":{"nodeSelector":"rack == \"7\"","peerIP":"[fd00:7::1]:179","asNumber":65007,"keepOriginalNextHop":true,"password":{"secretKeyRef":{"name":"bgp","key":"tor"}},"sourceAddress":"None","maxRestartTime":"2m0s","numAllowedLocalASNumbers":2,"ttlSecurity":1,"reachableBy":"fd00:7::fe","filters":["rack-7"],"reversePeering":"Manual"}}"#,
        "apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  creationTimestamp: \"2026-03-01T08:00:00Z\"
  name: tor-1
  resourceVersion: \"REV\"
  uid: 5e3c1b7a-1d2e-4f60-9a7b-0c1d2e3f4a5b
spec:
  asNumber: 65007
  filters:
  - rack-7
  keepOriginalNextHop: true
  maxRestartTime: 2m0s
  nodeSelector: rack == \"7\"
  numAllowedLocalASNumbers: 2
  password:
    secretKeyRef:
      key: tor
      name: bgp
  peerIP: '[fd00:7::1]:179'
  reachableBy: fd00:7::fe
  reversePeering: Manual
  sourceAddress: None
  ttlSecurity: 1
",
    );
    etcd.writes(
        "apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: tor-2
spec:
  ttlSecurity: 2
  asNumber: \"1.7\"
  peerIP: 10.7.255.1:179
  node: node-7
  localASNumber: 64600
  maxRestartTime: 90s
  nextHopMode: Self
",
        "/calico/resources/v3/projectcalico.org/bgppeers/tor-2",
        r#"{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"tor-2","uid":"UID","creationTimestamp":"TIME"},"spec":{"node":"node-7","peerIP":"10.7.255.1:179","asNumber":65543,"localASNumber":64600,"nextHopMode":"Self","maxRestartTime":"1m30s","ttlSecurity":2}}"#,
    );
}

#[test]
fn bgpconfiguration_as_calico_stores_it() {
    let etcd = interop(
        "bgpconfig",
        "default",
        "/calico/resources/v3/projectcalico.org/bgpconfigurations/default",
        r#"{"kind":"BGPConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default","uid":"0b9f6c1e-7a3d-4c2b-8e5f-1a2b3c4d5e6f","creationTimestamp":"2026-03-01T08:00:00Z"},"spec":{"logSeverityScreen":"Info","nodeToNodeMeshEnabled":true,"asNumber":65000,"serviceClusterIPs":[{"cidr":"10.96.0.0/12"}],"communities":[{"name":"rack","value":"65000:100"}],"prefixAdvertisements":[{"cidr":"10.7.0.0/16","communities":["rack"]}],"listenPort":179,"nodeMeshMaxRestartTime":"2m0s","bindMode":"NodeIP","localWorkloadPeeringIPV4":"169.254.0.179"}}"#,
        "apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  creationTimestamp: \"2026-03-01T08:00:00Z\"
  name: default
  resourceVersion: \"REV\"
  uid: 0b9f6c1e-7a3d-4c2b-8e5f-1a2b3c4d5e6f
spec:
  asNumber: 65000
  bindMode: NodeIP
  communities:
  - name: rack
    value: 65000:100
  listenPort: 179
  localWorkloadPeeringIPV4: 169.254.0.179
  logSeverityScreen: Info
  nodeMeshMaxRestartTime: 2m0s
  nodeToNodeMeshEnabled: true
  prefixAdvertisements:
  - cidr: 10.7.0.0/16
    communities:
    - rack
  serviceClusterIPs:
  - cidr: 10.96.0.0/12
",
    );
    etcd.writes(
        "apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: node.node-1
spec:
  ignoredInterfaces: [docker0]
  listenPort: 1790
  logSeverityScreen: Debug
",
        "/calico/resources/v3/projectcalico.org/bgpconfigurations/node.node-1",
        r#"{"kind":"BGPConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"node.node-1","uid":"UID","creationTimestamp":"TIME"},"spec":{"logSeverityScreen":"Debug","listenPort":1790,"ignoredInterfaces":["docker0"]}}"#,
    );
    // A node without its own AS number shows the global one; `unknown` when the stored
    // `default` cannot be read.
    etcd.writes(
        "apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node-1
spec:
  bgp:
    ipv4Address: 10.0.0.11/24
",
        "/calico/resources/v3/projectcalico.org/nodes/node-1",
        r#"{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"node-1","uid":"UID","creationTimestamp":"TIME"},"spec":{"bgp":{"ipv4Address":"10.0.0.11/24"}},"status":{}}"#,
    );
    let wide = |etcd: &InteropEtcd| {
        stdout(&calicoctl(
            etcd.dir.path(),
            &etcd.etcd,
            &["get", "nodes", "-o", "wide"],
        ))
    };
    assert!(wide(&etcd).contains("node-1   (65000)   10.0.0.11/24"));
    let put = etcd.etcd.etcdctl(
        None,
        &[
            "put",
            "/calico/resources/v3/projectcalico.org/bgpconfigurations/default",
            r#"{"kind":"BGPConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},"spec":{"asNumber":"bogus"}}"#,
        ],
    );
    assert!(put.status.success(), "{put:?}");
    assert!(wide(&etcd).contains("node-1   (unknown)   10.0.0.11/24"));
}

#[test]
fn bgpfilter_as_calico_stores_it() {
    let etcd = interop(
        "bgpfilter",
        "rack-7",
        "/calico/resources/v3/projectcalico.org/bgpfilters/rack-7",
        r#"{"kind":"BGPFilter","apiVersion":"projectcalico.org/v3","metadata":{"name":"rack-7","uid":"7c6d5e4f-3a2b-4c1d-9e8f-0a1b2c3d4e5f","creationTimestamp":"2026-03-01T08:00:00Z"},"spec":{"exportV4":[{"cidr":"10.7.0.0/16","prefixLength":{"min":24,"max":32},"matchOperator":"In","action":"Accept"},{"source":"RemotePeers","action":"Reject"}],"importV6":[{"cidr":"fd00::/8","interface":"eth*","matchOperator":"NotEqual","action":"Accept"}]}}"#,
        "apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata:
  creationTimestamp: \"2026-03-01T08:00:00Z\"
  name: rack-7
  resourceVersion: \"REV\"
  uid: 7c6d5e4f-3a2b-4c1d-9e8f-0a1b2c3d4e5f
spec:
  exportV4:
  - action: Accept
    cidr: 10.7.0.0/16
    matchOperator: In
    prefixLength:
      max: 32
      min: 24
  - action: Reject
    source: RemotePeers
  importV6:
  - action: Accept
    cidr: fd00::/8
    interface: eth*
    matchOperator: NotEqual
",
    );
    etcd.writes(
        "apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata:
  name: tor-out
spec:
  importV4:
  - action: Reject
  exportV6:
  - matchOperator: Equal
    action: Accept
    prefixLength: {max: 64}
    cidr: fd00:7::/48
",
        "/calico/resources/v3/projectcalico.org/bgpfilters/tor-out",
        r#"{"kind":"BGPFilter","apiVersion":"projectcalico.org/v3","metadata":{"name":"tor-out","uid":"UID","creationTimestamp":"TIME"},"spec":{"importV4":[{"action":"Reject"}],"exportV6":[{"cidr":"fd00:7::/48","prefixLength":{"max":64},"matchOperator":"Equal","action":"Accept"}]}}"#,
    );
}

#[test]
fn caliconodestatus_as_calico_stores_it() {
    // As calico-node v3.31 leaves it after reporting: `status` is always written (its
    // structs too), the BGP counts even when zero.
    let etcd = interop(
        "caliconodestatus",
        "node-1-status",
        "/calico/resources/v3/projectcalico.org/caliconodestatuses/node-1-status",
        r#"{"kind":"CalicoNodeStatus","apiVersion":"projectcalico.org/v3","metadata":{"name":"node-1-status","uid":"5e3c1b7a-1d2e-4f60-9a7b-0c1d2e3f4a5b","creationTimestamp":"2026-03-01T08:00:00Z"},"spec":{"node":"node-1","classes":["Agent","BGP","Routes"],"updatePeriodSeconds":10},"status":{"lastUpdated":"2026-03-01T08:05:00Z","agent":{"birdV4":{"state":"Ready","version":"v0.3.3+birdv1.6.8","routerID":"10.0.0.1","lastBootTime":"2026-03-01 08:00:00","lastReconfigurationTime":"2026-03-01 08:00:00"},"birdV6":{}},"bgp":{"numberEstablishedV4":1,"numberNotEstablishedV4":0,"numberEstablishedV6":0,"numberNotEstablishedV6":0,"peersV4":[{"peerIP":"10.0.0.2","type":"NodeMesh","state":"Established","since":"08:00:01"}]},"routes":{"routesV4":[{"type":"FIB","destination":"10.244.1.0/26","gateway":"10.0.0.2","interface":"eth0","learnedFrom":{"sourceType":"NodeMesh","peerIP":"10.0.0.2"}}]}}}"#,
        "apiVersion: projectcalico.org/v3
kind: CalicoNodeStatus
metadata:
  creationTimestamp: \"2026-03-01T08:00:00Z\"
  name: node-1-status
  resourceVersion: \"REV\"
  uid: 5e3c1b7a-1d2e-4f60-9a7b-0c1d2e3f4a5b
spec:
  classes:
  - Agent
  - BGP
  - Routes
  node: node-1
  updatePeriodSeconds: 10
status:
  agent:
    birdV4:
      lastBootTime: \"2026-03-01 08:00:00\"
      lastReconfigurationTime: \"2026-03-01 08:00:00\"
      routerID: 10.0.0.1
      state: Ready
      version: v0.3.3+birdv1.6.8
    birdV6: {}
  bgp:
    numberEstablishedV4: 1
    numberEstablishedV6: 0
    numberNotEstablishedV4: 0
    numberNotEstablishedV6: 0
    peersV4:
    - peerIP: 10.0.0.2
      since: \"08:00:01\"
      state: Established
      type: NodeMesh
  lastUpdated: \"2026-03-01T08:05:00Z\"
  routes:
    routesV4:
    - destination: 10.244.1.0/26
      gateway: 10.0.0.2
      interface: eth0
      learnedFrom:
        peerIP: 10.0.0.2
        sourceType: NodeMesh
      type: FIB
",
    );
    etcd.writes(
        "apiVersion: projectcalico.org/v3
kind: CalicoNodeStatus
metadata:
  name: node-2-status
spec:
  updatePeriodSeconds: 0
  classes: [BGP]
  node: node-2
",
        "/calico/resources/v3/projectcalico.org/caliconodestatuses/node-2-status",
        r#"{"kind":"CalicoNodeStatus","apiVersion":"projectcalico.org/v3","metadata":{"name":"node-2-status","uid":"UID","creationTimestamp":"TIME"},"spec":{"node":"node-2","classes":["BGP"],"updatePeriodSeconds":0},"status":{"lastUpdated":null,"agent":{"birdV4":{},"birdV6":{}},"bgp":{"numberEstablishedV4":0,"numberNotEstablishedV4":0,"numberEstablishedV6":0,"numberNotEstablishedV6":0},"routes":{}}}"#,
    );
}
