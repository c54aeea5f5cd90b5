//! The embedded store's file: its schema (the tables, our mark and version in the SQLite
//! header), the conversion of files laid out by earlier versions, and the checks that a file
//! is whole and ours (`integrity_check`, a file cut short). The layout itself is described in
//! the parent module's comment.

use super::{EmbeddedStore, INLINE_MAX, side_file};
use crate::datastore::{KvStore, Result};
use rusqlite::TransactionBehavior;
use std::path::Path;

/// Our mark in the SQLite header (`PRAGMA application_id`): "CALI".
pub(super) const APPLICATION_ID: i32 = 0x4341_4c49;

/// The schema this code writes and reads: 3 split large values out of the key table; 4 added
/// the index on `mod_revision` (see [`MOD_REVISION_INDEX`]); 5 the change log (see
/// [`CHANGE_LOG`]).
const SCHEMA_VERSION: i32 = 5;

/// [`CHANGE_LOG`]'s SQL, as a literal for `concat!`.
macro_rules! change_log {
    () => {
        "CREATE TABLE changes (
            revision INTEGER NOT NULL,
            key BLOB NOT NULL,
            PRIMARY KEY (revision, key)
        ) WITHOUT ROWID;"
    };
}

/// The change log (version 5): which keys each revision wrote or deleted, for
/// [`crate::datastore::KvStore::changes`]; `meta.compacted` is the revision up to which it
/// has been pruned (a file converted from an older version has no history before the
/// conversion).
const CHANGE_LOG: &str = change_log!();

/// An index of the key table by `mod_revision`, so that a comparison over a whole key range
/// ("no key under the IP pools' prefix written since revision R", what every IPPool create
/// commits with) reads only the rows written since R instead of every row of the range.
const MOD_REVISION_INDEX: &str = "CREATE INDEX kv_mod_revision ON kv (mod_revision);";

/// The key and value tables, the key table named `$kv` (one definition for new files and
/// conversions).
macro_rules! kv_tables {
    ($kv:literal) => {
        concat!(
            "CREATE TABLE ",
            $kv,
            " (
                key BLOB PRIMARY KEY,
                create_revision INTEGER NOT NULL,
                mod_revision INTEGER NOT NULL,
                version INTEGER NOT NULL,
                value_id INTEGER,
                value BLOB,
                CHECK ((value_id IS NULL) != (value IS NULL))
            ) WITHOUT ROWID;
            CREATE TABLE kv_value (
                id INTEGER PRIMARY KEY,
                value BLOB NOT NULL
            );"
        )
    };
}

const SCHEMA: &str = concat!(
    "CREATE TABLE meta (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        revision INTEGER NOT NULL,
        compacted INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO meta (id, revision) VALUES (0, 1);
    ",
    kv_tables!("kv"),
    "CREATE INDEX kv_mod_revision ON kv (mod_revision);",
    change_log!()
);

/// Converts a version-1 or version-2 file (one `kv` table of keys, values and revisions) to
/// version 3: values over [`INLINE_MAX`] move to `kv_value`, numbered in key order.
fn migrate_to_3_sql() -> String {
    let big = format!("length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)) > {INLINE_MAX}");
    format!(
        "{tables}
        INSERT INTO kv_value (id, value)
            SELECT row_number() OVER (ORDER BY key), value FROM kv WHERE {big} ORDER BY key;
        INSERT INTO kv_v3 (key, create_revision, mod_revision, version, value_id, value)
            SELECT key, create_revision, mod_revision, version,
                   row_number() OVER (ORDER BY key), NULL
            FROM kv WHERE {big} ORDER BY key;
        INSERT INTO kv_v3 (key, create_revision, mod_revision, version, value_id, value)
            SELECT key, create_revision, mod_revision, version, NULL, CAST(value AS BLOB)
            FROM kv WHERE NOT ({big}) ORDER BY key;
        DROP TABLE kv;
        ALTER TABLE kv_v3 RENAME TO kv;",
        tables = kv_tables!("kv_v3"),
    )
}

/// Why the file at `path` is shorter than its own header says, if it is: SQLite reads the
/// missing end of a cut file as zeros, so a file cut inside its last page would otherwise
/// open as a store with rows missing, and accept writes. The header's page count is only
/// trusted when SQLite marks it valid (its change counter matches), and not while a WAL or
/// rollback journal with content exists (a write in progress, or one a crash cut short that
/// SQLite finishes or undoes from it).
pub(super) fn truncation(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut header = [0u8; 100];
    file.read_exact(&mut header).ok()?;
    if &header[..16] != b"SQLite format 3\0" {
        return None;
    }
    // A WAL, or a rollback journal (when WAL is refused), means a writer may be at work or
    // SQLite has a write to finish: the header need not match the file's length then.
    for suffix in ["-wal", "-journal"] {
        if std::fs::metadata(side_file(path, suffix)).is_ok_and(|m| m.len() > 0) {
            return None;
        }
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    if pages == 0 || be32(24) != be32(92) {
        return None;
    }
    let expected = pages * page_size;
    (len < expected).then(|| {
        format!("it is {len} bytes long, but its header says {pages} pages of {page_size} bytes: it was cut short")
    })
}

impl EmbeddedStore {
    /// Runs SQLite's `PRAGMA integrity_check` over the whole file, then checks that every key
    /// has its own value and every value its key: `"ok"` when all is sound, else the list of
    /// problems, one per line.
    pub fn integrity_check(&self) -> Result<String> {
        self.with_retry("integrity check", |conn| {
            let tx = conn.transaction()?;
            let mut lines = tx
                .prepare("PRAGMA integrity_check")?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if lines == ["ok"] {
                lines.clear();
                for (sql, what) in [
                    (
                        "SELECT count(*) FROM kv \
                         WHERE value_id IS NOT NULL AND value_id NOT IN (SELECT id FROM kv_value)",
                        "key(s) without a value",
                    ),
                    (
                        "SELECT count(*) FROM kv_value WHERE id NOT IN \
                         (SELECT value_id FROM kv WHERE value_id IS NOT NULL)",
                        "value(s) without a key",
                    ),
                    (
                        "SELECT count(value_id) - count(DISTINCT value_id) FROM kv",
                        "key(s) sharing another key's value",
                    ),
                ] {
                    let n: i64 = tx.query_row(sql, [], |r| r.get(0))?;
                    if n > 0 {
                        lines.push(format!("{n} {what}"));
                    }
                }
                if lines.is_empty() {
                    lines.push("ok".to_string());
                }
            }
            tx.commit()?;
            Ok(lines.join("\n"))
        })
    }

    /// Brings an older file to [`SCHEMA_VERSION`], in one write transaction (another process
    /// may have done it first: the version is read again under the write lock).
    fn migrate(&self) -> Result<()> {
        if !self.writable {
            return Err(self.read_only_error(
                "was written by an older version of this program and cannot be converted",
            ));
        }
        self.with_retry("cannot convert the store to the current schema", |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version == 1 || version == 2 {
                tx.execute_batch(&migrate_to_3_sql())?;
            }
            if (1..=3).contains(&version) {
                tx.execute_batch(MOD_REVISION_INDEX)?;
            }
            if (1..=4).contains(&version) {
                tx.execute_batch(CHANGE_LOG)?;
                tx.execute_batch(
                    "ALTER TABLE meta ADD COLUMN compacted INTEGER NOT NULL DEFAULT 0;
                     UPDATE meta SET compacted = revision;",
                )?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            tx.commit()
        })
    }

    /// Creates the tables in a new file, or checks that an existing file is ours.
    pub(super) fn init_schema(&self) -> Result<()> {
        enum Found {
            Ours,
            Empty,
            Foreign(i32),
            Newer(i32),
            Older,
        }
        // What an existing file's header says it is.
        let existing = |application_id: i32, version: i32| {
            if application_id != APPLICATION_ID {
                Found::Foreign(application_id)
            } else if version > SCHEMA_VERSION {
                Found::Newer(version)
            } else if version < SCHEMA_VERSION {
                Found::Older
            } else {
                Found::Ours
            }
        };
        let found = self.with_retry("cannot open", |conn| {
            // An existing store is checked with a plain read, which does not wait for another
            // process's write (WAL); only a new file needs the write lock to create the tables.
            let tx = conn.transaction()?;
            let objects: i64 =
                tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            if objects > 0 {
                let application_id: i32 =
                    tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
                let version: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                tx.commit()?;
                return Ok(existing(application_id, version));
            }
            drop(tx);
            if !self.writable {
                return Ok(Found::Empty);
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let objects: i64 =
                tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            let application_id: i32 = tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
            let version: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let found = if objects == 0 {
                tx.execute_batch(SCHEMA)?;
                tx.pragma_update(None, "application_id", APPLICATION_ID)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
                Found::Ours
            } else {
                existing(application_id, version)
            };
            tx.commit()?;
            Ok(found)
        })?;
        match found {
            Found::Ours => {}
            Found::Empty => {
                return Err(self.read_only_error("is empty and cannot be made a datastore"));
            }
            Found::Older => self.migrate()?,
            Found::Foreign(id) => {
                return Err(self.err(format!(
                    "is a SQLite database but not a Calico datastore (application_id {id:#x}, \
                     expected {APPLICATION_ID:#x})"
                )));
            }
            Found::Newer(version) => {
                return Err(self.err(format!(
                    "was written by a newer version of this program (schema {version}; this \
                     one reads schema {SCHEMA_VERSION})"
                )));
            }
        }
        // Reading the revision touches the tables: a file cut short usually fails here.
        self.revision().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::super::connect_read_only;
    use super::super::tests::{open_error, temp_store};
    use super::*;
    use crate::datastore::{Compare, Txn};
    use rusqlite::Connection;
    use std::sync::Mutex;

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("datastore.db");
        std::fs::write(&path, "this is a text file, not a database\n".repeat(200)).unwrap();
        let text = open_error(&path);
        assert!(text.contains("not a SQLite database"), "{text}");
    }

    #[test]
    fn a_truncated_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("datastore.db");
        {
            let store = EmbeddedStore::open(&path).unwrap();
            for i in 0..200 {
                let key = format!("/calico/ipam/v2/handle/h{i:04}");
                store.txn(Txn::new().put(key, vec![b'x'; 2000])).unwrap();
            }
        } // closing the last connection checkpoints the WAL into the file
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(
            len > 100_000,
            "expected the data in the main file, got {len} bytes"
        );

        // Cut to a few bytes: the header itself is gone.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..50]).unwrap();
        let text = open_error(&path);
        assert!(
            text.contains("not a SQLite database") || text.contains("damaged"),
            "{text}"
        );

        // Cut inside the last page: SQLite alone would read the missing end as zeros.
        std::fs::write(&path, &bytes[..bytes.len() - 1000]).unwrap();
        let text = open_error(&path);
        assert!(
            text.contains("damaged") && text.contains("cut short"),
            "{text}"
        );
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(open_error(&path).contains("cut short"));

        // Cut in the middle: the header is fine, the pages are not all there.
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let failure = match EmbeddedStore::open(&path) {
            Err(e) => e,
            Ok(store) => match store.list("/calico/") {
                Err(e) => e,
                Ok(list) => panic!("read {} keys from a truncated file", list.kvs.len()),
            },
        };
        let text = failure.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("damaged"), "{text}");
    }

    #[test]
    fn a_foreign_sqlite_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let text = open_error(&path);
        assert!(text.contains("not a Calico datastore"), "{text}");
    }

    /// Writes a file as schema `version` (1 or 2) wrote it: one `kv` table of keys, values and
    /// revisions (with a rowid in version 1), revision 7, two keys: `/a` with a small value
    /// (`1`), `/b` with a big one ([`BIG`] bytes of `2`).
    fn old_store(path: &Path, version: i32) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 0), revision INTEGER NOT NULL);
             INSERT INTO meta (id, revision) VALUES (0, 7);
             CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB NOT NULL,
                 create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL,
                 version INTEGER NOT NULL){};
             INSERT INTO kv VALUES (CAST('/b' AS BLOB), CAST(replace(hex(zeroblob({BIG})), '00', '2') AS BLOB), 3, 6, 2);
             INSERT INTO kv VALUES (CAST('/a' AS BLOB), CAST('1' AS BLOB), 2, 2, 1);",
            if version == 1 { "" } else { " WITHOUT ROWID" }
        ))
        .unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
    }

    fn has_mod_revision_index(conn: &Connection) -> bool {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'kv_mod_revision'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    }

    #[test]
    fn a_version_3_store_gains_the_mod_revision_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        let store = EmbeddedStore::open(&path).unwrap();
        store.txn(Txn::new().put("/p/a", b"1".to_vec())).unwrap();
        drop(store);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "DROP INDEX kv_mod_revision; {AS_VERSION_4} PRAGMA user_version = 3;"
        ))
        .unwrap();
        drop(conn);
        let store = EmbeddedStore::open(&path).unwrap();
        let held = Txn {
            compares: vec![Compare::PrefixUnchangedSince {
                prefix: "/p/".into(),
                revision: 2,
            }],
            ops: vec![],
        };
        assert!(store.txn(held).unwrap().succeeded);
        let conn = Connection::open(&path).unwrap();
        assert!(has_mod_revision_index(&conn));
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    /// Turns a current file back into a version-4 one: no change log.
    const AS_VERSION_4: &str =
        "DROP TABLE changes; ALTER TABLE meta DROP COLUMN compacted; PRAGMA user_version = 4;";

    #[test]
    fn a_version_4_store_gains_the_change_log_with_history_from_its_conversion() {
        use crate::datastore::Changes;
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v4.db");
        let store = EmbeddedStore::open(&path).unwrap();
        let first = store.txn(Txn::new().put("/p/a", b"1".to_vec())).unwrap();
        let converted_at = store.txn(Txn::new().put("/p/b", b"1".to_vec())).unwrap();
        drop(store);
        Connection::open(&path)
            .unwrap()
            .execute_batch(AS_VERSION_4)
            .unwrap();
        let store = EmbeddedStore::open(&path).unwrap();
        let changes = |after| store.changes("/p/", after, Duration::ZERO).unwrap();
        // No history from before the conversion: a follower from then lists again.
        assert_eq!(
            changes(first.revision),
            Changes::Compacted {
                revision: converted_at.revision
            }
        );
        assert_eq!(
            changes(converted_at.revision),
            Changes::Events {
                events: vec![],
                revision: converted_at.revision
            }
        );
        let next = store.txn(Txn::new().put("/p/a", b"2".to_vec())).unwrap();
        match changes(converted_at.revision) {
            Changes::Events { events, revision } => {
                assert_eq!(revision, next.revision);
                assert_eq!(events.len(), 1);
                assert_eq!(events[0].value.as_deref(), Some(&b"2"[..]));
            }
            other => panic!("{other:?}"),
        }
        let version: i32 = Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }

    /// A value too big to be kept in its key's row.
    const BIG: usize = 2 * INLINE_MAX;

    /// How many values `kv_value` holds.
    fn big_values(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM kv_value", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn version_1_and_2_stores_are_converted_with_their_data_and_revisions() {
        for old in [1, 2] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("v{old}.db"));
            old_store(&path, old);
            let store = EmbeddedStore::open(&path).unwrap();
            assert_eq!(store.revision().unwrap(), 7);
            let list = store.list("/").unwrap();
            let got: Vec<(&str, &[u8], i64, i64, i64)> = list
                .kvs
                .iter()
                .map(|kv| {
                    (
                        kv.key.as_str(),
                        kv.value.as_slice(),
                        kv.create_revision,
                        kv.mod_revision,
                        kv.version,
                    )
                })
                .collect();
            let big = vec![b'2'; BIG];
            assert_eq!(
                got,
                vec![("/a", &b"1"[..], 2, 2, 1), ("/b", &big[..], 3, 6, 2)],
                "from version {old}"
            );
            assert_eq!(big_values(&path), 1, "only /b's value is kept apart");
            // The converted keys take writes as any other: an update keeps the creation
            // revision and counts the version on; a value that shrinks moves into its row, one
            // that grows out of it, and a delete removes a value kept apart too.
            let r = store
                .txn(
                    Txn::new()
                        .require_revision("/b", 6)
                        .put("/b", b"22".to_vec())
                        .put("/a", vec![b'1'; BIG])
                        .put("/c", vec![b'3'; BIG]),
                )
                .unwrap();
            assert!(r.succeeded);
            assert_eq!(r.revision, 8);
            let b = store.get("/b").unwrap().unwrap();
            assert_eq!(
                (
                    b.value.as_slice(),
                    b.create_revision,
                    b.mod_revision,
                    b.version
                ),
                (&b"22"[..], 3, 8, 3)
            );
            let a = store.get("/a").unwrap().unwrap();
            assert_eq!(
                (a.value, a.create_revision, a.version),
                (vec![b'1'; BIG], 2, 2)
            );
            assert_eq!(big_values(&path), 2, "/a and /c");
            let r = store
                .txn(Txn::new().delete("/a").put("/c", vec![b'4'; BIG + 1]))
                .unwrap();
            assert_eq!(r.revision, 9);
            assert_eq!(store.get("/a").unwrap(), None);
            assert_eq!(store.get("/c").unwrap().unwrap().value, vec![b'4'; BIG + 1]);
            assert_eq!(big_values(&path), 1, "the deleted key's value went with it");
            assert_eq!(store.integrity_check().unwrap(), "ok");
            drop(store);
            let conn = Connection::open(&path).unwrap();
            let version: i32 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, SCHEMA_VERSION);
            let sql: String = conn
                .query_row("SELECT sql FROM sqlite_master WHERE name = 'kv'", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert!(
                sql.contains("WITHOUT ROWID") && sql.contains("value_id"),
                "{sql}"
            );
            assert!(
                has_mod_revision_index(&conn),
                "the conversion adds the index"
            );
            drop(conn);
            // Opening again is a no-op.
            let again = EmbeddedStore::open(&path).unwrap();
            assert_eq!(again.list("/").unwrap().kvs.len(), 2);
            assert_eq!(again.integrity_check().unwrap(), "ok");
        }
    }

    #[test]
    fn a_read_only_user_is_told_an_old_store_needs_a_writer_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        old_store(&path, 2);
        let conn = connect_read_only(&path).unwrap();
        let store = EmbeddedStore {
            path: path.clone(),
            writable: false,
            conn: Mutex::new(conn),
        };
        let text = store.init_schema().unwrap_err().to_string();
        assert!(
            text.contains("older version") && text.contains("cannot be converted"),
            "{text}"
        );
    }

    #[test]
    fn the_integrity_check_finds_keys_and_values_that_lost_each_other() {
        let (_dir, store) = temp_store();
        for k in ["/a", "/b", "/c"] {
            store.txn(Txn::new().put(k, vec![b'v'; BIG])).unwrap();
        }
        store.txn(Txn::new().put("/d", b"v".to_vec())).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");
        {
            let conn = store.lock();
            conn.conn
                .execute_batch(
                    "UPDATE kv SET value_id = (SELECT value_id FROM kv WHERE key = CAST('/a' AS BLOB))
                         WHERE key = CAST('/b' AS BLOB);
                     INSERT INTO kv_value (value) VALUES (x'00');",
                )
                .unwrap();
        }
        let text = store.integrity_check().unwrap();
        assert_eq!(
            text, "2 value(s) without a key\n1 key(s) sharing another key's value",
            "{text}"
        );
    }
}
