//! The embedded backend: one SQLite file with etcd's revision semantics.
//!
//! Schema (version 5, recorded in `PRAGMA user_version`; the file is marked as ours with
//! `PRAGMA application_id`):
//! - `meta(id = 0, revision)`: the global revision, 1 in a fresh store as in a fresh etcd;
//! - `kv(key BLOB PRIMARY KEY, create_revision, mod_revision, version, value_id, value)`, a
//!   `WITHOUT ROWID` table: rows are kept in key order, so a prefix listing reads the table's
//!   pages in order. A small value (key and value at most `INLINE_MAX` (900) bytes together) is
//!   kept in the row (`value`); a bigger one in `kv_value`, named by `value_id`; one of the
//!   two is set;
//! - `kv_value(id INTEGER PRIMARY KEY, value BLOB)`: the big values (IPAM blocks, mostly);
//! - the index `kv_mod_revision` of `kv` by `mod_revision` (version 4): a comparison over a key
//!   range (IPPool creates compare the whole pool set) reads only the rows written since;
//! - `changes(revision, key)`, a `WITHOUT ROWID` table in revision order (version 5): the keys
//!   each revision wrote or deleted, written in the same transaction as the write, for
//!   [`KvStore::changes`]. It keeps the last [`CHANGE_LOG_REVISIONS`] revisions (pruned every
//!   [`PRUNE_EVERY`]); `meta.compacted` is the revision up to which it was pruned. A reader
//!   gets each changed key once, with its value as of the read (the log keeps no old values).
//!
//! Why big values live apart: a `WITHOUT ROWID` table's B-tree is searched by comparing whole
//! rows, and SQLite reads every overflow page of a row it compares with, so a row that does not
//! fit in its page slows every lookup that passes it. Version 2 kept all values in `kv`: with
//! 2,000 full 16 KB blocks in the store an assignment made 215 read calls instead of 37, and
//! each write's lookups slowed as blocks were added. Now rows stay small enough to fit
//! (SQLite keeps up to 1,001 bytes of an index row in a 4 KiB page) and big values are found
//! by rowid, an integer comparison. Small values stay in the rows so that listing the million
//! handles of a big cluster still reads one table in order. Version 1 was one `kv` table of
//! keys, values and revisions with a rowid, version 2 the same table `WITHOUT ROWID`; either is
//! converted when a writer first opens it (the big values numbered in key order), and a
//! version-3 file gains the index.
//! The schema's SQL, those conversions and the checks that a file is whole and ours live in
//! `schema`; this module keeps the connection, its locking and the reads and writes.
//!
//! Keys are stored as BLOBs, which SQLite compares with `memcmp`: byte order, etcd's order. A
//! prefix listing is the range scan `prefix <= key < successor(prefix)`.
//!
//! Many processes may use one file at once. The journal is WAL, so readers never wait for the
//! writer. Every transaction starts with `BEGIN IMMEDIATE`, which takes the single write lock
//! before the comparisons are read: no other writer can change a compared key between the check
//! and the write. A writer that finds the lock taken keeps trying for up to [`BUSY_TIMEOUT`]
//! (our busy handler, with sleeps of at most half a millisecond) and the whole transaction is
//! then retried a few times before giving up.
//!
//! Durability: `synchronous=FULL`. In WAL mode `NORMAL` already survives a crash of any process
//! (the WAL is in the OS page cache), but an OS crash or power cut can lose the last commits.
//! An allocation we acknowledged and then forgot would be handed out twice, so every commit
//! syncs the WAL before returning, as etcd syncs its own WAL before answering. Measured here,
//! a sync costs about 0.2 ms, well below anything IPAM does per allocation.
//!
//! Read-only access: a user who may read the file but not write it (a store kept by root,
//! readable by all, as on most hosts) can still run `get`, `ipam show` and `ipam check`. The
//! file is opened read-only; SQLite then reads a live WAL through the writers' shared-memory
//! index (`-shm`). When no writer has the file open there is no WAL and no index, and a
//! reader without write access to the directory cannot create one: the file is then read as
//! *immutable*, and every read checks that the file was neither changed nor opened by a writer
//! meanwhile (its length, modification time and the absence of a WAL). A read that finds it
//! was is done again on a fresh connection, or, for a listing already handed out in part,
//! fails with a message saying so. Writes fail at once with a message naming the file.

use super::{
    Change, Changes, DatastoreError, KeyValue, KvStore, ListResponse, Op, Read, ReadManyResponse,
    Result, Txn, TxnResponse, check_key, prefix_end,
};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

mod schema;

use schema::truncation;

/// How long a writer waits for another process's write lock before SQLite reports it busy.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times a transaction that found the store busy is tried again.
const BUSY_RETRIES: u32 = 3;

/// A range comparison against a revision at most this far behind the store's looks through
/// the rows written since (the index on `mod_revision`); one further behind walks the range.
const RECENT_REVISIONS: i64 = 256;

/// How often [`KvStore::wait_for_change`] looks at the revision.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// How many revisions of history the change log keeps (a follower further behind re-lists).
const CHANGE_LOG_REVISIONS: i64 = 10_000;

/// The change log is pruned when the revision is a multiple of this (so it holds between
/// [`CHANGE_LOG_REVISIONS`] and that plus this many revisions).
const PRUNE_EVERY: i64 = 1_000;

/// A value is kept in its key's row when key and value together are at most this many bytes
/// (the row then fits in its B-tree page; see the module's comment).
const INLINE_MAX: usize = 900;

/// A store in one SQLite file, with one connection guarded by a mutex. Open one per process
/// (or several: each is its own connection, and SQLite's locks keep them consistent).
pub struct EmbeddedStore {
    path: PathBuf,
    /// False when this process may only read the file (see the module's comment).
    writable: bool,
    conn: Mutex<Conn>,
}

/// The connection, and for a read-only connection that reads the file as immutable, what the
/// file looked like when it was opened.
struct Conn {
    conn: Connection,
    immutable: Option<FileStamp>,
}

/// What tells an immutable reader that a writer has been at the file: the main file changes
/// only when a WAL is checkpointed into it, and a writer's connection keeps a WAL beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    wal: bool,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            wal: std::fs::symlink_metadata(side_file(path, "-wal")).is_ok(),
        })
    }
}

/// `path` with `suffix` appended (SQLite's `-wal`, `-shm` and `-journal` files).
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut side = path.as_os_str().to_owned();
    side.push(suffix);
    PathBuf::from(side)
}

/// Whether this process may write the existing file at `path`: it is opened for writing
/// (without changing it) to find out, as SQLite would.
fn may_write(path: &Path) -> bool {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    }
}

/// Opens `path` for reading only; `immutable`: without SQLite's locks or WAL index, for a
/// file no writer has open (see the module's comment).
fn open_read_only(path: &Path, immutable: bool) -> rusqlite::Result<Conn> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for c in absolute.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str(if immutable {
        "?immutable=1"
    } else {
        "?mode=ro"
    });
    let stamp = if immutable { FileStamp::of(path) } else { None };
    let mut conn = Connection::open_with_flags(uri, flags)?;
    conn.busy_handler(Some(busy_handler()))?;
    Ok(Conn {
        conn,
        immutable: stamp,
    })
}

/// A read-only connection that can read the file now: through the WAL index when a writer
/// keeps one, else as immutable.
fn connect_read_only(path: &Path) -> rusqlite::Result<Conn> {
    let conn = open_read_only(path, false)?;
    match read_revision(&conn.conn) {
        Ok(_) => Ok(conn),
        // No index to read through, and no right to create one; no writer has the file open.
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
            ) && !side_file(path, "-wal").exists() =>
        {
            open_read_only(path, true)
        }
        // Anything else (not a database, damaged, another schema) is for the caller to judge.
        Err(_) => Ok(conn),
    }
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens the store at `path`, creating the file and its parent directories if needed.
    ///
    /// Fails with [`DatastoreError::Embedded`] naming the path when the file cannot be created,
    /// is not a SQLite database, is damaged, or is a SQLite database that is not a Calico store.
    pub fn open(path: &Path) -> Result<EmbeddedStore> {
        let fail = |message: String| DatastoreError::Embedded {
            path: path.display().to_string(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                fail(format!(
                    "cannot create the directory {}: {}",
                    parent.display(),
                    crate::go::errno::io_reason(&e)
                ))
            })?;
        }
        if path.is_dir() {
            return Err(fail("is a directory, not a datastore file".to_string()));
        }
        if let Some(problem) = truncation(path) {
            return Err(fail(format!(
                "cannot open: the file is damaged ({problem}); restore it from a backup, or \
                 inspect it with `sqlite3 FILE 'PRAGMA integrity_check'`"
            )));
        }
        if path.is_file() && !may_write(path) {
            return Self::open_read_only(path);
        }
        let conn = Connection::open(path).map_err(|e| fail(describe("cannot open", &e)))?;
        let store = EmbeddedStore {
            path: path.to_path_buf(),
            writable: true,
            conn: Mutex::new(Conn {
                conn,
                immutable: None,
            }),
        };
        store.with_retry("cannot open", |conn| {
            conn.busy_handler(Some(busy_handler()))?;
            // Reading the journal mode is the first statement to read the file's header, so a
            // file that is not a database fails here. WAL may be refused (some network file
            // systems lack shared memory); SQLite then keeps its rollback journal, which is
            // slower under concurrency but just as correct.
            let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            Ok(())
        })?;
        store.init_schema()?;
        Ok(store)
    }

    /// Opens the existing store at `path` for reading only.
    fn open_read_only(path: &Path) -> Result<EmbeddedStore> {
        let conn = connect_read_only(path).map_err(|e| DatastoreError::Embedded {
            path: path.display().to_string(),
            message: describe("cannot open", &e),
        })?;
        let store = EmbeddedStore {
            path: path.to_path_buf(),
            writable: false,
            conn: Mutex::new(conn),
        };
        store.init_schema()?;
        Ok(store)
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this process may write the file (else it was opened for reading only).
    #[cfg(test)]
    pub(crate) fn writable(&self) -> bool {
        self.writable
    }

    /// Drops the change log's history of `revision` and before (what pruning does).
    #[cfg(test)]
    pub(crate) fn compact(&self, revision: i64) -> Result<()> {
        self.with_retry("compact", |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            compact_log(&tx, revision)?;
            tx.commit()
        })
    }

    /// The error of a write through a read-only store.
    fn read_only_error(&self, what: &str) -> DatastoreError {
        self.err(format!(
            "{what}: the file is read-only for this user (it was opened for reading only; \
             writing needs write access to the file and its directory)"
        ))
    }

    fn err(&self, message: impl Into<String>) -> DatastoreError {
        DatastoreError::Embedded {
            path: self.path.display().to_string(),
            message: message.into(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Conn> {
        // A panic while holding the lock leaves no half-done SQL transaction behind (rusqlite
        // rolls back on drop), so the connection is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the connection, trying again when SQLite reported the store busy without
    /// waiting out [`BUSY_TIMEOUT`] (it declines to wait in some cases, e.g. while another
    /// connection recovers the WAL). A lock held by another process for longer than the busy
    /// timeout is an error after that timeout, not after several.
    fn with_retry<T>(
        &self,
        what: &str,
        f: impl FnMut(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        self.with_retry_if(what, &|| true, f)
    }

    /// [`with_retry`](Self::with_retry) for a read that may not be repeatable: an immutable
    /// reader that finds a writer was at the file during `f` runs `f` again on a fresh
    /// connection only while `repeatable()` says so, and fails otherwise.
    fn with_retry_if<T>(
        &self,
        what: &str,
        repeatable: &dyn Fn() -> bool,
        mut f: impl FnMut(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut conn = self.lock();
        let mut attempt = 0;
        let mut reconnects = 0;
        let mut torn = false;
        let started = std::time::Instant::now();
        loop {
            // The file as this connection first saw it, or a fresh connection.
            if conn.immutable.is_some() && (torn || conn.immutable != FileStamp::of(&self.path)) {
                *conn = connect_read_only(&self.path).map_err(|e| self.err(describe(what, &e)))?;
            }
            let before = conn.immutable.clone();
            match f(&mut conn.conn) {
                Ok(v) if before.is_none() || before == FileStamp::of(&self.path) => return Ok(v),
                // A writer was at the file while it was read as immutable: what was read may
                // mix two states of it.
                Ok(_) if repeatable() && reconnects < BUSY_RETRIES => {
                    reconnects += 1;
                    torn = true;
                }
                Ok(_) => {
                    return Err(self.err(format!(
                        "{what}: the datastore was changed by another process while it was \
                         being read (read-only); run the command again"
                    )));
                }
                // Not once the busy handler has waited the whole busy timeout already: the
                // total wait stays within BUSY_TIMEOUT (plus one last try), as the message says.
                Err(e)
                    if is_busy(&e)
                        && attempt < BUSY_RETRIES
                        && started.elapsed() < BUSY_TIMEOUT =>
                {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(10 * u64::from(attempt)));
                }
                Err(e) => return Err(self.err(describe(what, &e))),
            }
        }
    }
}

/// SQLite's busy handler: keeps trying for [`BUSY_TIMEOUT`] with short, jittered sleeps.
///
/// A write holds the lock for a fraction of a millisecond (mostly the WAL sync). SQLite's own
/// `busy_timeout` handler backs off to sleeps of 100 ms, during which other writers take the
/// lock again and again: with 8 writers on one file, single transactions waited 2 to 3.5 s and
/// throughput fell to a few hundred per second on a loaded machine. Sleeps growing from 50 µs
/// to at most 250 µs, plus up to as much jitter, keep every waiter in the race: 3 to 4 times
/// the throughput and a worst case under 1 s in the same runs (`benches/datastore.rs`).
fn busy_handler() -> impl FnMut(i32) -> bool + Send + 'static {
    const FIRST_SLEEP_MICROS: u64 = 50;
    const MAX_SLEEP_MICROS: u64 = 250;
    let mut started = std::time::Instant::now();
    move |count| {
        if count == 0 {
            started = std::time::Instant::now();
        }
        let waited = started.elapsed();
        if waited >= BUSY_TIMEOUT {
            return false;
        }
        let doublings = u32::try_from(count).unwrap_or(u32::MAX).min(3);
        let base = (FIRST_SLEEP_MICROS << doublings).min(MAX_SLEEP_MICROS);
        // Cheap jitter from the clock and the process id, so that waiters that started
        // together do not wake together.
        let jitter =
            (u64::from(waited.subsec_micros()) + u64::from(std::process::id()) * 7919) % base;
        std::thread::sleep(Duration::from_micros(base + jitter));
        true
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// A readable message for a SQLite error.
fn describe(what: &str, e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => {
            format!("{what}: the file is not a SQLite database (or its header is damaged)")
        }
        Some(ErrorCode::DatabaseCorrupt) => format!(
            "{what}: the file is damaged ({e}); restore it from a backup, or inspect it with \
             `sqlite3 FILE 'PRAGMA integrity_check'`"
        ),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => format!(
            "{what}: another process kept the datastore locked for more than {}s",
            BUSY_TIMEOUT.as_secs()
        ),
        Some(ErrorCode::ReadOnly) => format!("{what}: the file is read-only ({e})"),
        Some(ErrorCode::CannotOpen) => format!("{what}: cannot open the file ({e})"),
        _ => format!("{what}: {e}"),
    }
}

/// Records in the change log that revision `revision` wrote or deleted `key`.
fn log_change(conn: &Connection, revision: i64, key: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO changes (revision, key) VALUES (?1, ?2)")?
        .execute(params![revision, key.as_bytes()])?;
    Ok(())
}

/// Drops the change log's history of `revision` and before.
fn compact_log(conn: &Connection, revision: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM changes WHERE revision <= ?1")?
        .execute(params![revision])?;
    conn.prepare_cached("UPDATE meta SET compacted = max(compacted, ?1) WHERE id = 0")?
        .execute(params![revision])?;
    Ok(())
}

/// The keys under `prefix` (up to `end`) changed after `after`, each once with its state now,
/// in the order of their last change; in one read transaction.
fn read_changes(
    conn: &mut Connection,
    prefix: &str,
    end: Option<&[u8]>,
    after: i64,
) -> rusqlite::Result<Changes> {
    let tx = conn.transaction()?;
    let (revision, compacted): (i64, i64) = tx
        .prepare_cached("SELECT revision, compacted FROM meta WHERE id = 0")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if after < compacted {
        return Ok(Changes::Compacted {
            revision: compacted,
        });
    }
    let range = if end.is_some() {
        "key >= ?2 AND key < ?3"
    } else {
        "key >= ?2"
    };
    let sql = format!(
        "SELECT c.key, c.rev, k.key IS NOT NULL, coalesce(k.value, v.value), k.mod_revision \
         FROM (SELECT key, max(revision) AS rev FROM changes \
         WHERE revision > ?1 AND {range} GROUP BY key) AS c \
         LEFT JOIN kv AS k ON k.key = c.key LEFT JOIN kv_value AS v ON v.id = k.value_id \
         ORDER BY c.rev, c.key"
    );
    let mut events = Vec::new();
    {
        let mut stmt = tx.prepare_cached(&sql)?;
        stmt.raw_bind_parameter(1, after)?;
        stmt.raw_bind_parameter(2, prefix.as_bytes())?;
        if let Some(e) = end {
            stmt.raw_bind_parameter(3, e)?;
        }
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            let key: Vec<u8> = row.get(0)?;
            let key = String::from_utf8(key).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Blob,
                    Box::new(e),
                )
            })?;
            let exists: bool = row.get(2)?;
            events.push(if exists {
                Change {
                    key,
                    value: Some(row.get(3)?),
                    mod_revision: row.get(4)?,
                }
            } else {
                Change {
                    key,
                    value: None,
                    mod_revision: row.get(1)?,
                }
            });
        }
    }
    tx.commit()?;
    Ok(Changes::Events { events, revision })
}

fn read_revision(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT revision FROM meta WHERE id = 0")?
        .query_row([], |r| r.get(0))
}

/// A stored row as a [`KeyValue`]; keys always come from a Rust `String`, so they are UTF-8.
fn row_to_kv(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyValue> {
    let key: Vec<u8> = row.get(0)?;
    let key = String::from_utf8(key).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e))
    })?;
    Ok(KeyValue {
        key,
        value: row.get(1)?,
        create_revision: row.get(2)?,
        mod_revision: row.get(3)?,
        version: row.get(4)?,
    })
}

/// The start of a read of whole rows (`k.key`, value, revisions, version; the `WHERE` clause
/// follows): a row's own value or, through a `LEFT JOIN` (which keeps `kv` as the outer loop:
/// keys are found, or ranged over in order, first), its big value by rowid.
macro_rules! select_rows {
    () => {
        "SELECT k.key, coalesce(k.value, v.value), k.create_revision, k.mod_revision, k.version \
         FROM kv AS k LEFT JOIN kv_value AS v ON v.id = k.value_id "
    };
}

fn get_row(conn: &Connection, key: &str) -> rusqlite::Result<Option<KeyValue>> {
    conn.prepare_cached(concat!(select_rows!(), "WHERE k.key = ?1"))?
        .query_row(params![key.as_bytes()], row_to_kv)
        .optional()
}

/// Whether `key` exists, and if so the row id of its value in `kv_value` (`None` when the
/// value is kept in the key's row).
fn value_id(conn: &Connection, key: &str) -> rusqlite::Result<Option<Option<i64>>> {
    conn.prepare_cached("SELECT value_id FROM kv WHERE key = ?1")?
        .query_row(params![key.as_bytes()], |r| r.get(0))
        .optional()
}

/// What a range read returns of each row.
#[derive(Clone, Copy)]
enum Columns {
    All,
    /// Empty values, as etcd's keys-only ranges.
    KeysOnly,
}

fn visit_prefix(
    conn: &Connection,
    prefix: &str,
    end: Option<&[u8]>,
    visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
) -> std::result::Result<(), (rusqlite::Error, bool)> {
    visit_rows(conn, Columns::All, prefix.as_bytes(), end, visit)
}

/// Whether one comparison of a transaction holds, read inside the write transaction.
fn compare_holds(conn: &Connection, compare: &super::Compare) -> rusqlite::Result<bool> {
    use super::Compare;
    let (prefix, revision, column) = match compare {
        Compare::ModRevision { key, revision } => {
            let actual: i64 = conn
                .prepare_cached("SELECT mod_revision FROM kv WHERE key = ?1")?
                .query_row(params![key.as_bytes()], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            return Ok(actual == *revision);
        }
        Compare::PrefixUnchangedSince { prefix, revision } => (prefix, revision, "mod_revision"),
        Compare::PrefixNoneCreatedSince { prefix, revision } => {
            (prefix, revision, "create_revision")
        }
    };
    // Holds when no key of the range is newer than `revision`. A key created after it was also
    // written after it, so the rows to look at are those of the range written since
    // `revision`. Two ways to find them: through the index on `mod_revision` (cost: the rows
    // written since, at most a few per revision) or along the range (cost: the range's keys).
    // A caller that read recently (an IPPool create: the pool set as of its read) takes the
    // first; one that compares a small range against an old revision (a batch of creates, the
    // blocks near each pool as of the batch's first read) the second.
    let current: i64 = conn
        .prepare_cached("SELECT revision FROM meta WHERE id = 0")?
        .query_row([], |r| r.get(0))?;
    let end = prefix_end(prefix.as_bytes());
    let range = if end.is_some() {
        "key >= ?1 AND key < ?3"
    } else {
        "key >= ?1"
    };
    // (`+column` keeps SQLite from using the index for that term, leaving it the key range.)
    let sql = if current - revision <= RECENT_REVISIONS {
        format!(
            "SELECT EXISTS (SELECT 1 FROM kv INDEXED BY kv_mod_revision \
             WHERE mod_revision > ?2 AND {column} > ?2 AND {range})"
        )
    } else {
        format!(
            "SELECT EXISTS (SELECT 1 FROM kv \
             WHERE {range} AND +mod_revision > ?2 AND +{column} > ?2)"
        )
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.raw_bind_parameter(1, prefix.as_bytes())?;
    stmt.raw_bind_parameter(2, *revision)?;
    if let Some(e) = &end {
        stmt.raw_bind_parameter(3, e.as_slice())?;
    }
    let mut rows = stmt.raw_query();
    let newer: bool = match rows.next()? {
        Some(row) => row.get(0)?,
        None => false,
    };
    Ok(!newer)
}

/// Visits the rows from `prefix` up to `end` (exclusive; `None`: to the last key) in key
/// order until `visit` breaks. An error says whether a row had been visited before it.
fn visit_rows(
    conn: &Connection,
    columns: Columns,
    start: &[u8],
    end: Option<&[u8]>,
    visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
) -> std::result::Result<(), (rusqlite::Error, bool)> {
    let sql = match (columns, end.is_some()) {
        (Columns::All, true) => concat!(
            select_rows!(),
            "WHERE k.key >= ?1 AND k.key < ?2 ORDER BY k.key"
        ),
        (Columns::All, false) => concat!(select_rows!(), "WHERE k.key >= ?1 ORDER BY k.key"),
        (Columns::KeysOnly, true) => {
            "SELECT key, x'', create_revision, mod_revision, version FROM kv \
             WHERE key >= ?1 AND key < ?2 ORDER BY key"
        }
        (Columns::KeysOnly, false) => {
            "SELECT key, x'', create_revision, mod_revision, version FROM kv \
             WHERE key >= ?1 ORDER BY key"
        }
    };
    let mut stmt = conn.prepare_cached(sql).map_err(|e| (e, false))?;
    stmt.raw_bind_parameter(1, start).map_err(|e| (e, false))?;
    if let Some(e) = end {
        stmt.raw_bind_parameter(2, e).map_err(|e| (e, false))?;
    }
    let mut rows = stmt.raw_query();
    let mut visited = false;
    loop {
        match rows.next().and_then(|r| r.map(row_to_kv).transpose()) {
            Ok(Some(kv)) => {
                visited = true;
                if visit(kv).is_break() {
                    return Ok(());
                }
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err((e, visited)),
        }
    }
}

/// The embedded store's [`Snapshot`](super::Snapshot): one read transaction, its ranges read
/// one after another.
struct InReadTxn<'a> {
    store: &'a EmbeddedStore,
    conn: &'a Connection,
    revision: i64,
    visited: &'a std::cell::Cell<bool>,
}

impl InReadTxn<'_> {
    fn visit(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
    ) -> Result<()> {
        let visit = &mut |kv| {
            self.visited.set(true);
            visit(kv)
        };
        visit_rows(self.conn, Columns::All, start, end, visit)
            .map_err(|(e, _)| self.store.err(describe("list", &e)))
    }
}

impl super::Snapshot for InReadTxn<'_> {
    fn revision(&self) -> i64 {
        self.revision
    }

    fn scan(&self, prefix: &str, visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>) -> Result<()> {
        let end = prefix_end(prefix.as_bytes());
        self.visit(prefix.as_bytes(), end.as_deref(), visit)
    }

    fn scan_ranges(&self, ranges: &mut [super::ScanRange<'_>]) -> Result<()> {
        for range in ranges {
            self.visit(&range.start, range.end.as_deref(), &mut *range.visit)?;
        }
        Ok(())
    }
}

impl KvStore for EmbeddedStore {
    fn describe(&self) -> String {
        format!("embedded ({})", self.path.display())
    }

    fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        check_key(key)?;
        self.with_retry("read", |conn| get_row(conn, key))
    }

    fn read_many(&self, reads: &[Read]) -> Result<ReadManyResponse> {
        super::check_reads(reads)?;
        self.with_retry("read", |conn| {
            // One read transaction: one snapshot, whatever the number of reads.
            let tx = conn.transaction()?;
            let revision = read_revision(&tx)?;
            let mut results = Vec::with_capacity(reads.len());
            for read in reads {
                results.push(match read {
                    Read::Key(key) => get_row(&tx, key)?.into_iter().collect(),
                    Read::Prefix(prefix) => {
                        let mut kvs = Vec::new();
                        let end = prefix_end(prefix.as_bytes());
                        visit_prefix(&tx, prefix, end.as_deref(), &mut |kv| {
                            kvs.push(kv);
                            ControlFlow::Continue(())
                        })
                        .map_err(|(e, _)| e)?;
                        kvs
                    }
                });
            }
            tx.commit()?;
            Ok(ReadManyResponse { results, revision })
        })
    }

    fn list(&self, prefix: &str) -> Result<ListResponse> {
        let mut kvs = Vec::new();
        let revision = self.scan(prefix, &mut |kv| {
            kvs.push(kv);
            ControlFlow::Continue(())
        })?;
        Ok(ListResponse { kvs, revision })
    }

    fn list_keys(&self, prefix: &str) -> Result<ListResponse> {
        let end = prefix_end(prefix.as_bytes());
        self.with_retry("list", |conn| {
            let tx = conn.transaction()?;
            let revision = read_revision(&tx)?;
            let mut kvs = Vec::new();
            visit_rows(
                &tx,
                Columns::KeysOnly,
                prefix.as_bytes(),
                end.as_deref(),
                &mut |kv| {
                    kvs.push(kv);
                    ControlFlow::Continue(())
                },
            )
            .map_err(|(e, _)| e)?;
            tx.commit()?;
            Ok(ListResponse { kvs, revision })
        })
    }

    fn scan(
        &self,
        prefix: &str,
        visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
    ) -> Result<i64> {
        let end = prefix_end(prefix.as_bytes());
        // A failure after the first row was visited must not be retried (the visitor would see
        // rows twice): it is kept here and returned as it is.
        let mut failed_midway: Option<rusqlite::Error> = None;
        // Nor may a read-only reader's listing that a writer may have torn, once handed out.
        let visited = std::cell::Cell::new(false);
        let visit = &mut |kv| {
            visited.set(true);
            visit(kv)
        };
        let revision = self.with_retry_if("list", &|| !visited.get(), |conn| {
            // One read transaction: every row is from the snapshot the revision was read in.
            let tx = conn.transaction()?;
            let revision = read_revision(&tx)?;
            match visit_prefix(&tx, prefix, end.as_deref(), visit) {
                Ok(()) => {}
                Err((e, true)) => failed_midway = Some(e),
                Err((e, false)) => return Err(e),
            }
            tx.commit()?;
            Ok(revision)
        })?;
        match failed_midway {
            Some(e) => Err(self.err(describe("list", &e))),
            None => Ok(revision),
        }
    }

    fn read_at_one_revision(
        &self,
        read: &mut dyn FnMut(&dyn super::Snapshot) -> Result<()>,
    ) -> Result<i64> {
        // A failure once something was visited is not retried (the visitors would see keys
        // twice): `read`'s own result is kept here and returned as it is.
        let visited = std::cell::Cell::new(false);
        let mut outcome = Ok(());
        let revision = self.with_retry_if("list", &|| !visited.get(), |conn| {
            // One read transaction: every range is read from the same snapshot.
            let tx = conn.transaction()?;
            let revision = read_revision(&tx)?;
            outcome = read(&InReadTxn {
                store: self,
                conn: &tx,
                revision,
                visited: &visited,
            });
            tx.commit()?;
            Ok(revision)
        })?;
        outcome.map(|()| revision)
    }

    fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        txn.validate()?;
        if !self.writable {
            return Err(self.read_only_error("cannot write"));
        }
        self.with_retry("transaction", |conn| {
            // IMMEDIATE: take the write lock now, before reading what we compare.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let revision = read_revision(&tx)?;
            for compare in &txn.compares {
                if !compare_holds(&tx, compare)? {
                    // Dropping `tx` rolls back; nothing was written.
                    return Ok(TxnResponse {
                        succeeded: false,
                        revision,
                    });
                }
            }
            let next = revision + 1;
            let mut changed = false;
            for op in &txn.ops {
                match op {
                    Op::Put { key, value } => {
                        let existing = value_id(&tx, key)?;
                        let inline = key.len() + value.len() <= INLINE_MAX;
                        // Where the new value goes: the row (`inline`) or `kv_value`, reusing
                        // the key's big-value row if it had one.
                        let id = match (existing.flatten(), inline) {
                            (Some(id), true) => {
                                tx.prepare_cached("DELETE FROM kv_value WHERE id = ?1")?
                                    .execute(params![id])?;
                                None
                            }
                            (Some(id), false) => {
                                tx.prepare_cached("UPDATE kv_value SET value = ?2 WHERE id = ?1")?
                                    .execute(params![id, value])?;
                                Some(id)
                            }
                            (None, true) => None,
                            (None, false) => {
                                tx.prepare_cached("INSERT INTO kv_value (value) VALUES (?1)")?
                                    .execute(params![value])?;
                                Some(tx.last_insert_rowid())
                            }
                        };
                        let row_value = inline.then_some(value);
                        let sql = if existing.is_some() {
                            "UPDATE kv SET value_id = ?2, value = ?3, mod_revision = ?4, \
                             version = version + 1 WHERE key = ?1"
                        } else {
                            "INSERT INTO kv (key, create_revision, mod_revision, version, \
                             value_id, value) VALUES (?1, ?4, ?4, 1, ?2, ?3)"
                        };
                        tx.prepare_cached(sql)?.execute(params![
                            key.as_bytes(),
                            id,
                            row_value,
                            next
                        ])?;
                        log_change(&tx, next, key)?;
                        changed = true;
                    }
                    Op::Delete { key } => {
                        // The row goes in one statement that says whether it was there and
                        // where its value was kept.
                        let deleted: Option<Option<i64>> = tx
                            .prepare_cached("DELETE FROM kv WHERE key = ?1 RETURNING value_id")?
                            .query_row(params![key.as_bytes()], |r| r.get(0))
                            .optional()?;
                        if let Some(id) = deleted {
                            if let Some(id) = id {
                                tx.prepare_cached("DELETE FROM kv_value WHERE id = ?1")?
                                    .execute(params![id])?;
                            }
                            log_change(&tx, next, key)?;
                            changed = true;
                        }
                    }
                }
            }
            // Like etcd: only a transaction that changed something takes a new revision.
            let revision = if changed {
                tx.prepare_cached("UPDATE meta SET revision = ?1 WHERE id = 0")?
                    .execute(params![next])?;
                if next % PRUNE_EVERY == 0 && next > CHANGE_LOG_REVISIONS {
                    compact_log(&tx, next - CHANGE_LOG_REVISIONS)?;
                }
                next
            } else {
                revision
            };
            tx.commit()?;
            Ok(TxnResponse {
                succeeded: true,
                revision,
            })
        })
    }

    fn revision(&self) -> Result<i64> {
        self.with_retry("read the revision", |conn| read_revision(conn))
    }

    /// Reads the change log every 20 ms until it has something (see the module's comment).
    fn changes(&self, prefix: &str, after: i64, timeout: Duration) -> Result<Changes> {
        let end = prefix_end(prefix.as_bytes());
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let found = self.with_retry("read the change log", |conn| {
                read_changes(conn, prefix, end.as_deref(), after)
            })?;
            let now = std::time::Instant::now();
            match &found {
                Changes::Events { events, .. } if events.is_empty() && now < deadline => {
                    std::thread::sleep(POLL_INTERVAL.min(deadline - now));
                }
                _ => return Ok(found),
            }
        }
    }

    /// Polls the revision every 20 ms without holding the connection in between. (Reading one
    /// row of a WAL database costs microseconds; `PRAGMA data_version` would save only that
    /// read, and would miss commits made through this same connection.)
    fn wait_for_change(&self, _prefix: &str, after: i64, timeout: Duration) -> Result<i64> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let revision = self.revision()?;
            let now = std::time::Instant::now();
            if revision > after || now >= deadline {
                return Ok(revision);
            }
            std::thread::sleep(POLL_INTERVAL.min(deadline - now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::conformance;
    use super::*;

    pub(super) fn temp_store() -> (tempfile::TempDir, EmbeddedStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("datastore.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_scan_is_one_snapshot() {
        let (dir, store) = temp_store();
        let writer = EmbeddedStore::open(&dir.path().join("datastore.db")).unwrap();
        conformance::scan_is_one_snapshot(&store, &writer);
    }

    #[test]
    fn the_change_log_keeps_a_bounded_window() {
        let (_dir, store) = temp_store();
        let start = store.revision().unwrap();
        // Enough writes to pass a pruning point beyond the window.
        let writes = CHANGE_LOG_REVISIONS + PRUNE_EVERY;
        // (Durability is not what this test is about: no sync per write.)
        store
            .lock()
            .conn
            .pragma_update(None, "synchronous", "OFF")
            .unwrap();
        for chunk in 0..writes / 500 {
            for i in 0..500 {
                store
                    .txn(Txn::new().put(format!("/w/{}", i % 7), chunk.to_le_bytes().to_vec()))
                    .unwrap();
            }
        }
        let now = store.revision().unwrap();
        assert_eq!(now, start + writes);
        let rows: i64 = store
            .lock()
            .conn
            .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
            .unwrap();
        assert!(
            (CHANGE_LOG_REVISIONS..=CHANGE_LOG_REVISIONS + PRUNE_EVERY).contains(&rows),
            "{rows} rows"
        );
        let pruned_to = now / PRUNE_EVERY * PRUNE_EVERY - CHANGE_LOG_REVISIONS;
        assert_eq!(
            store.changes("/w/", start, Duration::ZERO).unwrap(),
            Changes::Compacted {
                revision: pruned_to
            }
        );
        match store.changes("/w/", pruned_to, Duration::ZERO).unwrap() {
            Changes::Events { events, revision } => {
                assert_eq!(revision, now);
                assert_eq!(events.len(), 7, "each key once, with its latest value");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_at_one_revision_agree() {
        let (dir, store) = temp_store();
        let writer = EmbeddedStore::open(&dir.path().join("datastore.db")).unwrap();
        conformance::snapshot_reads_agree(&store, &writer);
    }

    #[test]
    fn prefix_end_increments_the_last_byte_below_0xff() {
        assert_eq!(prefix_end(b"/a/b"), Some(b"/a/c".to_vec()));
        assert_eq!(prefix_end(b"/a\xff\xff"), Some(b"/b".to_vec()));
        assert_eq!(prefix_end(b""), None);
        assert_eq!(prefix_end(b"\xff"), None);
    }

    #[test]
    fn creates_parent_directories_and_keeps_data_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c/datastore.db");
        let store = EmbeddedStore::open(&path).unwrap();
        let r = store
            .txn(Txn::new().require_absent("/k").put("/k", b"v".to_vec()))
            .unwrap();
        assert!(r.succeeded);
        drop(store);
        let again = EmbeddedStore::open(&path).unwrap();
        let kv = again.get("/k").unwrap().unwrap();
        assert_eq!(kv.value, b"v");
        assert_eq!(kv.mod_revision, r.revision);
        assert_eq!(again.revision().unwrap(), r.revision);
        assert_eq!(again.describe(), format!("embedded ({})", path.display()));
    }

    #[test]
    fn uses_wal_and_full_sync() {
        let (_dir, store) = temp_store();
        let conn = &store.lock().conn;
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    pub(super) fn open_error(path: &Path) -> String {
        let err = EmbeddedStore::open(path).unwrap_err();
        assert!(
            matches!(err, DatastoreError::Embedded { ref path, .. } if !path.is_empty()),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&path.display().to_string()),
            "error does not name the path: {text}"
        );
        text
    }

    /// A range comparison against a revision far behind the store's walks the range instead
    /// of the index: both ways give the same answers.
    #[test]
    fn range_comparisons_hold_alike_against_recent_and_old_revisions() {
        use super::super::Compare;
        let (_dir, store) = temp_store();
        let first = store
            .txn(Txn::new().put("/p/a", b"1".to_vec()))
            .unwrap()
            .revision;
        for i in 0..(RECENT_REVISIONS + 10) {
            store
                .txn(Txn::new().put(format!("/q/{i}"), b"x".to_vec()))
                .unwrap();
        }
        let holds = |c: Compare| {
            store
                .txn(Txn {
                    compares: vec![c],
                    ops: vec![],
                })
                .unwrap()
                .succeeded
        };
        let now = store.revision().unwrap();
        for (revision, far) in [(first, true), (now - 1, false)] {
            assert_eq!(now - revision > RECENT_REVISIONS, far);
            let unchanged = |prefix: &str| Compare::PrefixUnchangedSince {
                prefix: prefix.into(),
                revision,
            };
            let none_created = |prefix: &str| Compare::PrefixNoneCreatedSince {
                prefix: prefix.into(),
                revision,
            };
            assert!(
                holds(unchanged("/p/")),
                "nothing under /p/ since {revision}"
            );
            assert!(holds(none_created("/p/")));
            assert!(!holds(unchanged("/q/")), "/q/ was written since {revision}");
            assert!(!holds(none_created("/q/")));
            assert!(holds(unchanged("/r/")), "an empty range holds");
        }
        // Rewriting an old key is a change, not a creation, whichever way the range is read.
        store.txn(Txn::new().put("/p/a", b"2".to_vec())).unwrap();
        for revision in [first, store.revision().unwrap() - 1] {
            assert!(!holds(Compare::PrefixUnchangedSince {
                prefix: "/p/".into(),
                revision,
            }));
            assert!(holds(Compare::PrefixNoneCreatedSince {
                prefix: "/p/".into(),
                revision,
            }));
        }
    }

    /// A store of two keys whose writer has closed it (so no WAL is left).
    fn closed_store() -> (tempfile::TempDir, PathBuf, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("datastore.db");
        let store = EmbeddedStore::open(&path).unwrap();
        store.txn(Txn::new().put("/a/1", b"one".to_vec())).unwrap();
        let r = store.txn(Txn::new().put("/a/2", b"two".to_vec())).unwrap();
        drop(store);
        assert!(
            !side_file(&path, "-wal").exists(),
            "the last close checkpoints"
        );
        (dir, path, r.revision)
    }

    /// A read-only store that reads the file as immutable (what a user without write access
    /// to the directory gets when no writer has the file open).
    fn immutable_reader(path: &Path) -> EmbeddedStore {
        let store = EmbeddedStore {
            path: path.to_path_buf(),
            writable: false,
            conn: Mutex::new(open_read_only(path, true).unwrap()),
        };
        store.init_schema().unwrap();
        assert!(store.lock().immutable.is_some());
        store
    }

    #[test]
    fn a_read_only_store_reads_and_refuses_writes() {
        let (_dir, path, revision) = closed_store();
        let before = std::fs::read(&path).unwrap();
        for reader in [
            EmbeddedStore::open_read_only(&path).unwrap(),
            immutable_reader(&path),
        ] {
            assert!(!reader.writable());
            assert_eq!(reader.get("/a/2").unwrap().unwrap().value, b"two");
            assert_eq!(reader.list("/a/").unwrap().kvs.len(), 2);
            assert_eq!(reader.list_keys("/a/").unwrap().revision, revision);
            let reads = reader
                .read_many(&[Read::Key("/a/1".into()), Read::Prefix("/a/".into())])
                .unwrap();
            assert_eq!((reads.results[1].len(), reads.revision), (2, revision));
            let err = reader
                .txn(Txn::new().put("/a/3", b"three".to_vec()))
                .unwrap_err();
            let text = err.to_string();
            assert!(text.contains("read-only for this user"), "{text}");
            assert!(text.contains(&path.display().to_string()), "{text}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");
        let again = EmbeddedStore::open(&path).unwrap();
        assert_eq!(again.revision().unwrap(), revision);
        assert!(again.get("/a/3").unwrap().is_none());
    }

    #[test]
    fn a_read_only_empty_file_is_refused_without_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("datastore.db");
        std::fs::write(&path, b"").unwrap();
        let err = EmbeddedStore::open_read_only(&path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is empty") && err.contains("read-only"),
            "{err}"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn an_immutable_reader_follows_a_writer_that_arrives() {
        let (_dir, path, _) = closed_store();
        let reader = immutable_reader(&path);
        assert_eq!(reader.get("/a/1").unwrap().unwrap().value, b"one");
        // A writer that stays open keeps its changes in its WAL, which the main file does not
        // show: the reader must notice and read through the WAL index instead.
        let writer = EmbeddedStore::open(&path).unwrap();
        let r = writer.txn(Txn::new().put("/a/1", b"uno".to_vec())).unwrap();
        assert_eq!(reader.get("/a/1").unwrap().unwrap().value, b"uno");
        assert_eq!(reader.revision().unwrap(), r.revision);
        assert!(
            reader.lock().immutable.is_none(),
            "reads through the WAL now"
        );
        // And once the writer has gone (its WAL checkpointed into the file and removed).
        drop(writer);
        assert_eq!(reader.get("/a/1").unwrap().unwrap().value, b"uno");
    }

    #[test]
    fn an_immutable_listing_that_a_writer_tears_fails_instead_of_mixing_states() {
        let (_dir, path, _) = closed_store();
        let reader = immutable_reader(&path);
        let mut writer = None;
        let mut seen = Vec::new();
        let err = reader
            .scan("/a/", &mut |kv| {
                seen.push(kv.key);
                if writer.is_none() {
                    let w = EmbeddedStore::open(&path).unwrap();
                    w.txn(Txn::new().put("/a/0", b"zero".to_vec())).unwrap();
                    writer = Some(w);
                }
                ControlFlow::Continue(())
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("changed by another process"), "{err}");
        assert_eq!(seen.len(), 2, "the rows were handed out once, not again");
        // The next read is of the new state.
        let keys: Vec<String> = reader
            .list("/a/")
            .unwrap()
            .kvs
            .into_iter()
            .map(|kv| kv.key)
            .collect();
        assert_eq!(keys, ["/a/0", "/a/1", "/a/2"]);
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = open_error(dir.path());
        assert!(text.contains("is a directory"), "{text}");
    }

    #[test]
    fn unwritable_location_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"").unwrap();
        // The parent "directory" is a regular file: it cannot be created.
        let text = open_error(&blocker.join("datastore.db"));
        assert!(text.contains("cannot create the directory"), "{text}");
    }

    #[test]
    fn simultaneous_first_opens_of_a_new_file_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/datastore.db");
        let barrier = std::sync::Barrier::new(6);
        let revisions: Vec<i64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|i| {
                    let (path, barrier) = (&path, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        let store = EmbeddedStore::open(path).unwrap();
                        let r = store
                            .txn(Txn::new().put(format!("/open/{i}"), b"x".to_vec()))
                            .unwrap();
                        assert!(r.succeeded);
                        r.revision
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = revisions.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (2..8).collect::<Vec<i64>>(),
            "one schema, one revision each"
        );
        let store = EmbeddedStore::open(&path).unwrap();
        assert_eq!(store.list("/open/").unwrap().kvs.len(), 6);
    }

    #[test]
    fn concurrent_cas_increments_from_threads_lose_nothing() {
        let (dir, _store) = temp_store();
        let path = dir.path().join("datastore.db");
        let stores: Vec<EmbeddedStore> = (0..4)
            .map(|_| EmbeddedStore::open(&path).unwrap())
            .collect();
        let handles: Vec<&dyn KvStore> = stores.iter().map(|s| s as &dyn KvStore).collect();
        conformance::cas_counter(&handles, 50);
    }

    /// Set in child processes of [`concurrent_cas_increments_from_processes_lose_nothing`]: the
    /// store's path, the worker's name and how many increments it makes.
    const WORKER_ENV: &str = "CALICO_TEST_EMBEDDED_CAS_WORKER";

    /// Runs as the parent (spawning this same test in child processes) or, with
    /// [`WORKER_ENV`] set, as one of the children.
    #[test]
    fn concurrent_cas_increments_from_processes_lose_nothing() {
        const PROCESSES: usize = 4;
        const THREADS: usize = 2;
        const EACH: usize = 40;
        if let Ok(spec) = std::env::var(WORKER_ENV) {
            let mut parts = spec.splitn(3, '\n');
            let (path, name, count) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap().parse().unwrap(),
            );
            let store = EmbeddedStore::open(Path::new(path)).unwrap();
            conformance::increment(&store, "/cas/processes", name, count);
            return;
        }

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("datastore.db");
        let store = EmbeddedStore::open(&path).unwrap();
        let start = store.revision().unwrap();
        let exe = std::env::current_exe().unwrap();
        let test_name =
            "datastore::embedded::tests::concurrent_cas_increments_from_processes_lose_nothing";
        let children: Vec<_> = (0..PROCESSES)
            .map(|i| {
                std::process::Command::new(&exe)
                    .args([test_name, "--exact", "--test-threads=1", "--quiet"])
                    .env(
                        WORKER_ENV,
                        format!("{}\nprocess-{i}\n{EACH}", path.display()),
                    )
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // Threads of this process join in while the children run.
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let path = &path;
                s.spawn(move || {
                    let store = EmbeddedStore::open(path).unwrap();
                    conformance::increment(&store, "/cas/processes", &format!("thread-{t}"), EACH);
                });
            }
        });
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "worker failed: {}\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let total = (PROCESSES + THREADS) * EACH;
        conformance::check_counter(&store, "/cas/processes", total);
        assert_eq!(store.revision().unwrap(), start + total as i64);
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }
}
