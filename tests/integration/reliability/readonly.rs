//! A store its reader may not write: calico-node (root) keeps the embedded store, and an admin
//! without write access to the file or its directory runs calicoctl against it. Reads work and
//! show what the writer wrote, with the writer gone (the file read as immutable) and with the
//! writer's connection open (its WAL read through its index); writes fail with a message
//! naming the file, and leave it as it was.
//!
//! As root the reader is uid/gid 65534 (`setpriv`, util-linux); otherwise the file and its
//! directory are made read-only for the test's own user.

use super::{calicoctl, figure, text};
use calico::datastore::Store;
use calico::datastore::api::Client;
use calico::datastore::embedded::EmbeddedStore;
use calico::ipam::{AutoAssignRequest, Ipam};
use calico::model::{IpPool, Node};
use calico::testing::TestDir;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

fn is_root() -> bool {
    crate::netns::effective_uid() == Some(0)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// Makes the directory and file read-only, and back.
fn restrict(dir: &Path, db: &Path, read_only: bool) {
    chmod(db, if read_only { 0o444 } else { 0o644 });
    chmod(dir, if read_only { 0o555 } else { 0o755 });
}

/// calicoctl as the owner (`as_reader` false) or as the read-only reader.
fn ctl(db: &Path, as_reader: bool, args: &[&str]) -> Output {
    let mut c = if as_reader && is_root() {
        let mut c = super::clean(Command::new("setpriv"));
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_calicoctl"));
        c
    } else {
        calicoctl()
    };
    c.env("DATASTORE_TYPE", "embedded")
        .env("CALICO_DATASTORE_PATH", db)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run calicoctl {args:?}: {e}"))
}

fn ok(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: {}", text(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn readonly_store_serves_reads_to_a_user_who_may_not_write_it() {
    let dir = TestDir::new("calico-readonly");
    // The store's own directory, so that it can be made read-only without touching the test
    // directory's clean-up.
    let home = dir.path().join("store");
    std::fs::create_dir(&home).unwrap();
    chmod(dir.path(), 0o755);
    let db = home.join("datastore.db");
    {
        let store: Store = Arc::new(EmbeddedStore::open(&db).unwrap());
        let client = Client::new(store.clone());
        calico::cli::ops::ensure_initialized(&client);
        client
            .create(IpPool::new("ro-pool", "10.77.0.0/24"))
            .unwrap();
        client.create(Node::new("node-ro")).unwrap();
        let ipam = Ipam::new(client);
        for i in 0..3 {
            ipam.auto_assign(&AutoAssignRequest {
                num4: 1,
                handle_id: Some(format!("net.ro-{i}")),
                hostname: "node-ro".into(),
                ..Default::default()
            })
            .unwrap();
        }
    } // the writer closes the file: no WAL is left beside it
    let reads: &[&[&str]] = &[
        &["get", "ippool", "-o", "wide"],
        &["get", "nodes"],
        &["ipam", "show", "--show-blocks"],
        &["ipam", "check"],
    ];
    let expected: Vec<String> = reads
        .iter()
        .map(|args| ok(&ctl(&db, false, args), &format!("owner {args:?}")))
        .collect();
    assert!(
        expected[2].contains("| Block    | 10.77.0."),
        "{}",
        expected[2]
    );

    restrict(&home, &db, true);
    let bytes = std::fs::read(&db).unwrap();
    for (args, want) in reads.iter().zip(&expected) {
        let got = ok(&ctl(&db, true, args), &format!("reader {args:?}"));
        assert_eq!(&got, want, "reader {args:?}");
    }
    let pool = home.join("../pool.yaml");
    std::fs::write(
        &pool,
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: other}\nspec: {cidr: 10.78.0.0/24}\n",
    )
    .unwrap();
    chmod(&pool, 0o644);
    let o = ctl(&db, true, &["create", "-f", pool.to_str().unwrap()]);
    let t = text(&o);
    assert!(!o.status.success(), "a write by the reader succeeded: {t}");
    assert!(
        t.contains("read-only for this user") && t.contains(&db.display().to_string()),
        "{t}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "the file was changed");
    let entries: Vec<_> = std::fs::read_dir(&home).unwrap().collect();
    assert_eq!(entries.len(), 1, "files left beside the store: {entries:?}");

    // A writer with the file open: its changes sit in its WAL, and the reader sees them.
    restrict(&home, &db, false);
    let writer = EmbeddedStore::open(&db).unwrap();
    let client = Client::new(Arc::new(writer) as Store);
    client
        .create(IpPool::new("live-pool", "10.79.0.0/24"))
        .unwrap();
    restrict(&home, &db, true);
    let got = ok(
        &ctl(&db, true, &["get", "ippool"]),
        "reader with a writer open",
    );
    assert!(
        got.contains("live-pool") && got.contains("ro-pool"),
        "{got}"
    );
    drop(client);
    restrict(&home, &db, false);
    figure(&format!(
        "readonly: {} reads as a user without write access match the owner's output, with and \
         without a writer open; a write is refused and leaves the file as it was (reader: {})",
        reads.len() + 1,
        if is_root() {
            "uid 65534"
        } else {
            "own uid, chmod 444/555"
        }
    ));
}
