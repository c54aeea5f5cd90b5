//! Interop with Calico v3.31's etcd data for the policy kinds: values as Calico writes them
//! read back through `calicoctl get`, and what we write is what Calico writes.

use calico::datastore::{KvStore, Txn};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn calicoctl(dir: &Path, endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calicoctl"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", endpoint)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The lines but the one that depends on etcd's revision.
fn without_revision(s: &str) -> Vec<&str> {
    s.lines()
        .filter(|l| !l.trim_start().starts_with("resourceVersion:"))
        .collect()
}

const PREFIX: &str = "/calico/resources/v3/projectcalico.org/";
const META: &str =
    r#""uid":"5b8f2f2e-1111-4c3b-9d55-0123456789ab","creationTimestamp":"2025-10-01T12:00:00Z""#;

/// Calico's `value` (written with [`META`]) with the uid and creation time of `stored`, the
/// value our create wrote for the same object.
fn with_new_identity(value: &str, stored: &[u8]) -> String {
    let ours: serde_json::Value = serde_json::from_slice(stored).unwrap();
    value
        .replace(
            "5b8f2f2e-1111-4c3b-9d55-0123456789ab",
            ours["metadata"]["uid"].as_str().unwrap(),
        )
        .replace(
            "2025-10-01T12:00:00Z",
            ours["metadata"]["creationTimestamp"].as_str().unwrap(),
        )
}

#[test]
fn calico_written_policies_and_tiers_read_back_and_ours_match_calicos() {
    let etcd = calico::testing::EtcdServer::start();
    let store = etcd.store();
    let calico_values = [
        (
            "tiers/default".to_string(),
            format!(
                r#"{{"kind":"Tier","apiVersion":"projectcalico.org/v3","metadata":{{"name":"default",{META}}},"spec":{{"order":1000000,"defaultAction":"Deny"}}}}"#
            ),
        ),
        (
            "globalnetworkpolicies/default.allow-dns".to_string(),
            format!(
                r#"{{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{{"name":"default.allow-dns",{META},"annotations":{{"projectcalico.org/metadata":"{{\"name\":\"allow-dns\"}}"}}}},"spec":{{"order":100,"egress":[{{"action":"Allow","protocol":"UDP","source":{{}},"destination":{{"ports":[53,"8000:8080"]}}}}],"selector":"all()","types":["Egress"]}}}}"#
            ),
        ),
        (
            // As Calico before v3.30 wrote it: no annotation, the tier prefix in the name.
            "networkpolicies/prod/default.web".to_string(),
            format!(
                r#"{{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{{"name":"default.web","namespace":"prod",{META}}},"spec":{{"tier":"default","ingress":[{{"action":"Allow","protocol":"ICMP","icmp":{{"type":8}},"source":{{}},"destination":{{}}}}],"selector":"app == 'web'","types":["Ingress"]}}}}"#
            ),
        ),
        (
            "stagedglobalnetworkpolicies/default.trial".to_string(),
            format!(
                r#"{{"kind":"StagedGlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{{"name":"default.trial",{META},"annotations":{{"projectcalico.org/metadata":"{{\"name\":\"trial\"}}"}}}},"spec":{{"stagedAction":"Set","selector":"all()","types":["Ingress"]}}}}"#
            ),
        ),
    ];
    for (key, value) in &calico_values {
        store
            .txn(Txn::new().put(format!("{PREFIX}{key}"), value.clone().into_bytes()))
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let ep = etcd.endpoint();
    let gnp = stdout(&calicoctl(
        dir.path(),
        &ep,
        &["get", "gnp", "allow-dns", "-o", "yaml"],
    ));
    assert_eq!(
        without_revision(&gnp),
        [
            "apiVersion: projectcalico.org/v3",
            "kind: GlobalNetworkPolicy",
            "metadata:",
            "  creationTimestamp: \"2025-10-01T12:00:00Z\"",
            "  labels:",
            "    projectcalico.org/tier: default",
            "  name: allow-dns",
            "  uid: 5b8f2f2e-1111-4c3b-9d55-0123456789ab",
            "spec:",
            "  egress:",
            "  - action: Allow",
            "    destination:",
            "      ports:",
            "      - 53",
            "      - 8000:8080",
            "    protocol: UDP",
            "    source: {}",
            "  order: 100",
            "  selector: all()",
            "  tier: default",
            "  types:",
            "  - Egress",
        ]
    );
    let np = stdout(&calicoctl(
        dir.path(),
        &ep,
        &["get", "np", "web", "-n", "prod", "-o", "yaml"],
    ));
    assert_eq!(
        without_revision(&np),
        [
            "apiVersion: projectcalico.org/v3",
            "kind: NetworkPolicy",
            "metadata:",
            "  creationTimestamp: \"2025-10-01T12:00:00Z\"",
            "  labels:",
            "    projectcalico.org/tier: default",
            "  name: web",
            "  namespace: prod",
            "  uid: 5b8f2f2e-1111-4c3b-9d55-0123456789ab",
            "spec:",
            "  ingress:",
            "  - action: Allow",
            "    destination: {}",
            "    icmp:",
            "      type: 8",
            "    protocol: ICMP",
            "    source: {}",
            "  selector: app == 'web'",
            "  tier: default",
            "  types:",
            "  - Ingress",
        ]
    );
    let staged = stdout(&calicoctl(dir.path(), &ep, &["get", "sgnp", "-o", "wide"]));
    assert_eq!(
        staged,
        "NAME    TIER      ORDER   SELECTOR   \ntrial   default   <nil>   all()      \n\n"
    );
    let tiers = stdout(&calicoctl(dir.path(), &ep, &["get", "tiers"]));
    assert_eq!(tiers, "NAME      ORDER   \ndefault   1e+06   \n\n");

    // What we write is what Calico writes: delete the policy and create it from YAML.
    stdout(&calicoctl(dir.path(), &ep, &["delete", "gnp", "allow-dns"]));
    std::fs::write(
        dir.path().join("gnp.yaml"),
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: allow-dns\nspec:\n  order: 100\n  selector: all()\n  egress:\n  - action: Allow\n    protocol: UDP\n    destination:\n      ports: [53, \"8000:8080\"]\n",
    )
    .unwrap();
    stdout(&calicoctl(dir.path(), &ep, &["create", "-f", "gnp.yaml"]));
    let key = format!("{PREFIX}{}", calico_values[1].0);
    let kv = store
        .get(&key)
        .unwrap()
        .expect("stored under the tiered name");
    // Byte for byte, in Go's field order, but for the new uid and creation time.
    assert_eq!(
        String::from_utf8(kv.value.clone()).unwrap(),
        with_new_identity(&calico_values[1].1, &kv.value)
    );
}

#[test]
fn calico_written_profile_reads_back_and_the_built_in_profile_is_listed() {
    let etcd = calico::testing::EtcdServer::start();
    let value = format!(
        r#"{{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{{"name":"kns.prod",{META},"labels":{{"team":"net"}}}},"spec":{{"ingress":[{{"action":"Allow","source":{{"selector":"role == 'lb'"}},"destination":{{}}}}],"egress":[{{"action":"Allow","source":{{}},"destination":{{}}}}],"labelsToApply":{{"pcns.projectcalico.org/name":"prod"}}}}}}"#
    );
    etcd.store()
        .txn(Txn::new().put(format!("{PREFIX}profiles/kns.prod"), value.into_bytes()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ep = etcd.endpoint();
    let yaml = stdout(&calicoctl(
        dir.path(),
        &ep,
        &["get", "profile", "kns.prod", "-o", "yaml"],
    ));
    assert_eq!(
        without_revision(&yaml),
        [
            "apiVersion: projectcalico.org/v3",
            "kind: Profile",
            "metadata:",
            "  creationTimestamp: \"2025-10-01T12:00:00Z\"",
            "  labels:",
            "    team: net",
            "  name: kns.prod",
            "  uid: 5b8f2f2e-1111-4c3b-9d55-0123456789ab",
            "spec:",
            "  egress:",
            "  - action: Allow",
            "    destination: {}",
            "    source: {}",
            "  ingress:",
            "  - action: Allow",
            "    destination: {}",
            "    source:",
            "      selector: role == 'lb'",
            "  labelsToApply:",
            "    pcns.projectcalico.org/name: prod",
        ]
    );
    let wide = stdout(&calicoctl(dir.path(), &ep, &["get", "pros", "-o", "wide"]));
    assert_eq!(
        wide,
        "NAME                          LABELS                             \nkns.prod                      pcns.projectcalico.org/name=prod   \nprojectcalico-default-allow                                      \n\n"
    );
}

#[test]
fn calico_written_host_endpoint_reads_back() {
    let etcd = calico::testing::EtcdServer::start();
    let value = format!(
        r#"{{"kind":"HostEndpoint","apiVersion":"projectcalico.org/v3","metadata":{{"name":"node1-eth0",{META}}},"spec":{{"node":"node1","interfaceName":"eth0","expectedIPs":["192.0.2.10"],"profiles":["projectcalico-default-allow"],"ports":[{{"name":"https","protocol":"TCP","port":443}}]}}}}"#
    );
    etcd.store()
        .txn(Txn::new().put(
            format!("{PREFIX}hostendpoints/node1-eth0"),
            value.into_bytes(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ep = etcd.endpoint();
    let yaml = stdout(&calicoctl(
        dir.path(),
        &ep,
        &["get", "hep", "node1-eth0", "-o", "yaml"],
    ));
    assert_eq!(
        without_revision(&yaml),
        [
            "apiVersion: projectcalico.org/v3",
            "kind: HostEndpoint",
            "metadata:",
            "  creationTimestamp: \"2025-10-01T12:00:00Z\"",
            "  name: node1-eth0",
            "  uid: 5b8f2f2e-1111-4c3b-9d55-0123456789ab",
            "spec:",
            "  expectedIPs:",
            "  - 192.0.2.10",
            "  interfaceName: eth0",
            "  node: node1",
            "  ports:",
            "  - name: https",
            "    port: 443",
            "    protocol: TCP",
            "  profiles:",
            "  - projectcalico-default-allow",
        ]
    );
    let wide = stdout(&calicoctl(dir.path(), &ep, &["get", "heps", "-o", "wide"]));
    assert_eq!(
        wide,
        "NAME         NODE    INTERFACE   IPS          PROFILES                      \nnode1-eth0   node1   eth0        192.0.2.10   projectcalico-default-allow   \n\n"
    );
}

#[test]
fn calico_written_staged_kubernetes_policy_reads_back_and_ours_matches_calicos() {
    let etcd = calico::testing::EtcdServer::start();
    let store = etcd.store();
    let key = format!("{PREFIX}stagedkubernetesnetworkpolicies/prod/allow-web");
    // As Calico v3.31 writes it: `podSelector` always (a struct), `ipBlock.cidr` always,
    // `port` a number or a string as written.
    let value = format!(
        r#"{{"kind":"StagedKubernetesNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{{"name":"allow-web","namespace":"prod",{META}}},"spec":{{"stagedAction":"Set","podSelector":{{"matchLabels":{{"app":"web"}}}},"ingress":[{{"ports":[{{"protocol":"TCP","port":80}},{{"port":"http"}}],"from":[{{"namespaceSelector":{{}}}},{{"ipBlock":{{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}}}]}}],"egress":[{{"ports":[{{"protocol":"UDP","port":53,"endPort":54}}]}}],"policyTypes":["Ingress","Egress"]}}}}"#
    );
    store
        .txn(Txn::new().put(key.clone(), value.clone().into_bytes()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ep = etcd.endpoint();
    let yaml = stdout(&calicoctl(
        dir.path(),
        &ep,
        &["get", "sknp", "allow-web", "-n", "prod", "-o", "yaml"],
    ));
    assert_eq!(
        without_revision(&yaml),
        [
            "apiVersion: projectcalico.org/v3",
            "kind: StagedKubernetesNetworkPolicy",
            "metadata:",
            "  creationTimestamp: \"2025-10-01T12:00:00Z\"",
            "  name: allow-web",
            "  namespace: prod",
            "  uid: 5b8f2f2e-1111-4c3b-9d55-0123456789ab",
            "spec:",
            "  egress:",
            "  - ports:",
            "    - endPort: 54",
            "      port: 53",
            "      protocol: UDP",
            "  ingress:",
            "  - from:",
            "    - namespaceSelector: {}",
            "    - ipBlock:",
            "        cidr: 10.0.0.0/8",
            "        except:",
            "        - 10.1.0.0/16",
            "    ports:",
            "    - port: 80",
            "      protocol: TCP",
            "    - port: http",
            "  podSelector:",
            "    matchLabels:",
            "      app: web",
            "  policyTypes:",
            "  - Ingress",
            "  - Egress",
            "  stagedAction: Set",
        ]
    );
    let table = stdout(&calicoctl(dir.path(), &ep, &["get", "sknp", "-A"]));
    assert_eq!(
        table,
        "NAMESPACE   NAME        \nprod        allow-web   \n\n"
    );

    // What we write is what Calico writes: delete it and create it from YAML.
    stdout(&calicoctl(
        dir.path(),
        &ep,
        &["delete", "sknp", "allow-web", "-n", "prod"],
    ));
    assert!(store.get(&key).unwrap().is_none());
    std::fs::write(
        dir.path().join("sknp.yaml"),
        "apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata:\n  name: allow-web\n  namespace: prod\nspec:\n  policyTypes: [Ingress, Egress]\n  stagedAction: Set\n  egress:\n  - ports:\n    - {endPort: 54, port: 53, protocol: UDP}\n  ingress:\n  - ports:\n    - {protocol: TCP, port: 80}\n    - port: http\n    from:\n    - namespaceSelector: {}\n    - ipBlock: {except: [10.1.0.0/16], cidr: 10.0.0.0/8}\n  podSelector:\n    matchLabels: {app: web}\n",
    )
    .unwrap();
    stdout(&calicoctl(dir.path(), &ep, &["create", "-f", "sknp.yaml"]));
    let kv = store.get(&key).unwrap().expect("stored under its name");
    assert_eq!(
        String::from_utf8(kv.value.clone()).unwrap(),
        with_new_identity(&value, &kv.value)
    );
}
