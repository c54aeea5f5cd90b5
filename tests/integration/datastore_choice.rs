//! Which datastore the programs open, and what they leave on disk (issue 20 items 2 and 4):
//! commands that only read never create a file or directory; a writer creates the file (and,
//! for the default path only, its directories); a mistyped directory is never created.

use crate::golden::run_command;
use calico::testing::tree;
use std::path::Path;

const POOL: &str = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\nspec:\n  cidr: 10.9.0.0/16\n";
const CNI: &str = "CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/p1 CNI_IFNAME=eth0 \
                   CNI_PATH=/opt/cni/bin CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0";

/// Runs `command` in `dir` (HOME is `dir`, the environment otherwise empty); returns stdout,
/// stderr and the exit status.
fn run(dir: &Path, command: &str) -> (String, String, i32) {
    let (out, err, status) = run_command("datastore_choice", command, dir, &[]);
    (out.join("\n"), err.join("\n"), status)
}

fn ok(dir: &Path, command: &str) {
    let (out, err, status) = run(dir, command);
    assert_eq!(status, 0, "{command}\nstdout: {out}\nstderr: {err}");
}

#[test]
fn reads_create_nothing_writes_create_the_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    std::fs::write(dir.join("pool.yaml"), POOL).unwrap();
    std::fs::write(
        dir.join("net.json"),
        r#"{"cniVersion": "1.0.0", "name": "net", "type": "calico", "nodename": "node-a", "datastore_type": "embedded", "datastore_path": "store/x.db", "ipam": {"type": "calico-ipam"}}"#,
    )
    .unwrap();
    std::fs::create_dir(dir.join("store")).unwrap();
    let before = tree(dir);
    let named = "DATASTORE_TYPE=embedded CALICO_DATASTORE_PATH=store/x.db";
    // Nothing configured: the default path (under HOME), whose directories do not exist.
    for command in [
        "calicoctl version".to_string(),
        "calicoctl get ippool".to_string(),
        "calicoctl ipam show".to_string(),
        "calicoctl ipam check".to_string(),
        "calico-node --once --dry-run --nodename node-a".to_string(),
        format!("{named} calicoctl version"),
        format!("{named} calicoctl get ippool -o yaml"),
        format!("{named} calicoctl get nodes"),
        format!("{named} calicoctl ipam show --show-blocks"),
        format!("{named} calicoctl ipam check"),
        format!("{named} calico-node --once --dry-run --nodename node-a"),
        format!("CNI_COMMAND=DEL {CNI} calico-ipam < net.json"),
        // A mistyped directory: refused, and not created.
        "calicoctl --datastore-path typo/dir/x.db get ippool".to_string(),
        "calicoctl --datastore-path typo/dir/x.db create -f pool.yaml".to_string(),
        "DATASTORE_TYPE=embedded CALICO_DATASTORE_PATH=typo/dir/x.db calico-node --once --nodename node-a".to_string(),
        format!("DATASTORE_TYPE=embedded CALICO_DATASTORE_PATH=typo/dir/x.db CNI_COMMAND=ADD {CNI} calico-ipam < net.json"),
        format!("DATASTORE_TYPE=embedded CALICO_DATASTORE_PATH=typo/dir/x.db CNI_COMMAND=DEL {CNI} calico-ipam < net.json"),
    ] {
        let _ = run(dir, &command);
        assert_eq!(tree(dir), before, "`{command}` left files behind");
    }
    // The reads above succeed (an empty store); the typo'd ones fail, DEL excepted.
    ok(dir, &format!("{named} calicoctl get ippool"));
    ok(
        dir,
        &format!("{named} calico-node --once --dry-run --nodename node-a"),
    );
    ok(
        dir,
        &format!("CNI_COMMAND=DEL {CNI} calico-ipam < net.json"),
    );
    for command in [
        "calicoctl --datastore-path typo/dir/x.db get ippool".to_string(),
        "calicoctl --datastore-path typo/dir/x.db version".to_string(),
        "DATASTORE_TYPE=embedded CALICO_DATASTORE_PATH=typo/dir/x.db calico-node --once --dry-run --nodename node-a".to_string(),
    ] {
        let (out, err, status) = run(dir, &command);
        assert_ne!(status, 0, "{command}");
        assert!(
            format!("{out}{err}").contains("the directory typo/dir does not exist"),
            "{command}: {out}{err}"
        );
    }
    std::fs::write(
        dir.join("typo.json"),
        std::fs::read_to_string(dir.join("net.json"))
            .unwrap()
            .replace("store/x.db", "typo/dir/x.db"),
    )
    .unwrap();
    let (out, err, status) = run(
        dir,
        &format!("CNI_COMMAND=ADD {CNI} calico-ipam < typo.json"),
    );
    assert_eq!(status, 1, "{out}{err}");
    assert!(
        out.contains("\"code\":7") && out.contains("typo/dir does not exist"),
        "{out}"
    );
    ok(
        dir,
        &format!("CNI_COMMAND=DEL {CNI} calico-ipam < typo.json"),
    );
    assert!(!dir.join("typo").exists());

    // A write creates the named file in its existing directory.
    ok(dir, &format!("{named} calicoctl create -f pool.yaml"));
    assert!(dir.join("store/x.db").is_file());
    // With nothing configured, a write creates the default path's directories.
    assert!(!dir.join(".local").exists());
    ok(dir, "calicoctl create -f pool.yaml");
    assert!(dir.join(".local/share/calico/datastore.db").is_file());
    let (out, _, _) = run(dir, "calicoctl get ippool");
    assert!(out.contains("10.9.0.0/16"), "{out}");
}
