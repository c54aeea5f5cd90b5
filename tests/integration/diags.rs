//! `calicoctl cluster diags`, `node diags` and `node checksystem` (issue 20 item 6): real
//! bundles from a real store, unpacked with `tar`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn calicoctl(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_calicoctl"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const DOCS: &str = "apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: diags-pool
spec:
  cidr: 10.77.0.0/16
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: diags-node
spec: {}
";

fn unpack(dir: &Path, bundle: &str) -> std::path::PathBuf {
    let out = dir.join("unpacked");
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new("tar")
        .args(["-xzf", bundle, "-C"])
        .arg(&out)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "tar -xzf {bundle}");
    out
}

fn bundles_hold_the_state(env: Vec<(&str, String)>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docs.yaml"), DOCS).unwrap();
    let created = calicoctl(dir.path(), &["create", "-f", "docs.yaml"], &env);
    assert!(created.status.success(), "{created:?}");

    let out = calicoctl(
        dir.path(),
        &["cluster", "diags", "-o", "cluster.tar.gz"],
        &env,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.ends_with("Diagnostic bundle available at cluster.tar.gz\n"),
        "{stdout}"
    );
    let root = unpack(dir.path(), "cluster.tar.gz").join("calico-cluster-diags");
    let pools = std::fs::read_to_string(root.join("resources/ippools.yaml")).unwrap();
    assert!(
        pools.contains("name: diags-pool") && pools.contains("cidr: 10.77.0.0/16"),
        "{pools}"
    );
    let nodes = std::fs::read_to_string(root.join("resources/nodes.yaml")).unwrap();
    assert!(nodes.contains("name: diags-node"), "{nodes}");
    let show = std::fs::read_to_string(root.join("ipam/show.txt")).unwrap();
    assert!(show.contains("10.77.0.0/16"), "{show}");
    let config = std::fs::read_to_string(root.join("ipam/show-configuration.txt")).unwrap();
    assert!(config.contains("StrictAffinity"), "{config}");
    let report = std::fs::read_to_string(root.join("ipam/check-report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(report.get("allocations").is_some(), "{report}");
    let version = std::fs::read_to_string(root.join("version.txt")).unwrap();
    assert!(version.starts_with("Client Version:"), "{version}");

    let mut node_env = env.clone();
    node_env.push(("NODENAME", "diags-node".to_string()));
    let out = calicoctl(
        dir.path(),
        &["node", "diags", "-o", "node.tar.gz"],
        &node_env,
    );
    assert!(out.status.success(), "{out:?}");
    let root = unpack(dir.path(), "node.tar.gz").join("calico-node-diags");
    let status = std::fs::read_to_string(root.join("node-status.txt")).unwrap();
    assert!(
        status.contains("Node:       diags-node (registered in the datastore)"),
        "{status}"
    );
    let node = std::fs::read_to_string(root.join("node.yaml")).unwrap();
    assert!(node.contains("name: diags-node"), "{node}");
    for file in [
        "checksystem.txt",
        "nat-table.txt",
        "ip-route.txt",
        "workloadendpoints.yaml",
    ] {
        assert!(
            root.join(file).is_file(),
            "{file} missing from the node bundle"
        );
    }
}

#[test]
fn diags_bundles_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    bundles_hold_the_state(vec![
        ("DATASTORE_TYPE", "embedded".into()),
        (
            "CALICO_DATASTORE_PATH",
            dir.path().join("ds.db").display().to_string(),
        ),
    ]);
}

#[test]
fn diags_bundles_on_etcd() {
    let etcd = calico::testing::EtcdServer::start();
    bundles_hold_the_state(vec![
        ("DATASTORE_TYPE", "etcdv3".into()),
        ("ETCD_ENDPOINTS", etcd.endpoint()),
    ]);
}

#[test]
fn cluster_diags_on_an_unreachable_store_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = calicoctl(
        dir.path(),
        &["cluster", "diags", "-o", "cluster.tar.gz"],
        &[
            ("DATASTORE_TYPE", "etcdv3".into()),
            ("ETCD_ENDPOINTS", "http://127.0.0.1:1".into()),
            ("CALICO_DATASTORE_TIMEOUT", "2".into()),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(!dir.path().join("cluster.tar.gz").exists());
}

#[test]
fn checksystem_reports_each_check_and_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = calicoctl(dir.path(), &["node", "checksystem"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "Checking kernel version...",
        "Checking nftables...",
        "Checking kernel modules...",
    ] {
        assert!(stdout.contains(heading), "{stdout}");
    }
    for module in ["nf_tables", "nf_nat", "nft_chain_nat", "nf_conntrack"] {
        assert!(stdout.contains(&format!("\t\t{module}")), "{stdout}");
    }
    let ok = stdout.ends_with("System meets minimum system requirements to run Calico!\n");
    let fail = stdout
        .ends_with("System doesn't meet one or more minimum systems requirements to run Calico\n");
    assert!(ok || fail, "{stdout}");
    assert_eq!(out.status.success(), ok, "{out:?}");
    assert_eq!(stdout.contains("FAIL"), fail, "{stdout}");
}
