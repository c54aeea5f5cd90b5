//! The key/value store under everything: revisions and compare-and-swap transactions.
//!
//! Three backends implement [`KvStore`] with etcd's semantics:
//! - [`etcd`]: a real etcd v3 cluster through etcd-client (Calico's own datastore);
//! - [`embedded`]: a SQLite file, the default when nothing is configured, safe for many
//!   processes on one host;
//! - [`memory`]: a map in memory, for unit tests.
//!
//! Semantics shared by all three (and checked by one conformance suite):
//! - one global revision, bumped by 1 by every successful write transaction;
//! - every key carries `create_revision`, `mod_revision` (the revision of its last write) and
//!   `version` (number of writes since creation);
//! - a [`Txn`] applies all of its operations atomically if all of its comparisons hold, and
//!   nothing otherwise. Comparing a `mod_revision` against 0 means "the key does not exist";
//! - a transaction that changes nothing (no operations, or only deletes of absent keys) leaves
//!   the revision where it was, as etcd's MVCC store does;
//! - every backend refuses what etcd refuses with its default limits, before touching
//!   anything: more than [`MAX_TXN_OPS`] comparisons or operations, more than
//!   [`MAX_TXN_BYTES`], an empty key, or one key written twice (see [`Txn::validate`]). So code
//!   tested against the embedded or memory store cannot build a transaction etcd would reject.
//!
//! Change feed: [`KvStore::changes`] follows the keys under a prefix from a revision (a
//! [`scan`](KvStore::scan)'s, say): each [`Change`] is a key, its new value or its deletion,
//! and the revision of the write. When the history from that revision is gone (etcd
//! compacted it, the embedded store pruned its change log), the answer is
//! [`Changes::Compacted`]: the caller lists again and follows from the listing's revision.
//!
//! The API is synchronous. The etcd backend runs its own single-threaded tokio runtime, so
//! async stays inside the one module that needs it.

pub mod api;
pub mod deferred;
pub mod embedded;
pub mod etcd;
mod keep;
pub mod keys;
pub mod memory;
mod pager;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

/// One key with its value and revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The full key, e.g. `/calico/resources/v3/projectcalico.org/ippools/default`.
    pub key: String,
    /// The stored bytes (JSON for everything Calico writes).
    pub value: Vec<u8>,
    /// Revision of the transaction that created the key.
    pub create_revision: i64,
    /// Revision of the transaction that last wrote the key.
    pub mod_revision: i64,
    /// Number of writes since the key was created (1 after creation).
    pub version: i64,
}

/// A condition of a [`Txn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compare {
    /// The key's `mod_revision` equals `revision`; 0 means the key must not exist.
    ModRevision {
        /// The key to check.
        key: String,
        /// The expected revision.
        revision: i64,
    },
    /// No key starting with `prefix` was written (created or changed) after `revision`: every
    /// such key has `mod_revision <= revision`; holds when there is none. A key deleted since
    /// is not seen. etcd: `MOD < revision + 1` over the prefix's range (etcd compares each key
    /// of a range, and an empty range as a key with revisions 0).
    PrefixUnchangedSince {
        /// The prefix (not empty).
        prefix: String,
        /// The revision the caller read the prefix at.
        revision: i64,
    },
    /// No key starting with `prefix` was created after `revision`: every such key has
    /// `create_revision <= revision`; rewriting a key that existed then does not break it.
    /// etcd: `CREATE < revision + 1` over the prefix's range.
    PrefixNoneCreatedSince {
        /// The prefix (not empty).
        prefix: String,
        /// The revision the caller read the prefix at.
        revision: i64,
    },
}

impl Compare {
    /// The key, or the prefix, the comparison reads.
    pub fn key(&self) -> &str {
        match self {
            Compare::ModRevision { key, .. } => key,
            Compare::PrefixUnchangedSince { prefix, .. }
            | Compare::PrefixNoneCreatedSince { prefix, .. } => prefix,
        }
    }

    /// Whether the comparison holds over `kvs`: the key's entry (at most one) for
    /// [`Compare::ModRevision`], every key under the prefix for the others.
    pub(crate) fn holds<'a>(&self, kvs: impl IntoIterator<Item = &'a KeyValue>) -> bool {
        let mut kvs = kvs.into_iter();
        match self {
            Compare::ModRevision { revision, .. } => {
                kvs.next().map_or(0, |kv| kv.mod_revision) == *revision
            }
            Compare::PrefixUnchangedSince { revision, .. } => {
                kvs.all(|kv| kv.mod_revision <= *revision)
            }
            Compare::PrefixNoneCreatedSince { revision, .. } => {
                kvs.all(|kv| kv.create_revision <= *revision)
            }
        }
    }
}

/// A write inside a [`Txn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create or overwrite the key.
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: Vec<u8>,
    },
    /// Remove the key (no error if absent).
    Delete {
        /// The key.
        key: String,
    },
}

impl Op {
    /// The key this operation writes.
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Delete { key } => key,
        }
    }
}

/// The most comparisons, and separately the most operations, one transaction may carry: etcd's
/// default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;

/// The largest transaction accepted, in bytes of keys and values plus a small allowance per
/// item (see [`Txn::size`]): 1.4 MiB, under etcd's default `--max-request-bytes` of 1.5 MiB so
/// that gRPC framing never pushes an accepted transaction over etcd's limit.
pub const MAX_TXN_BYTES: usize = 1024 * 1024 * 14 / 10;

/// Bytes counted for each comparison or operation on top of its key and value: the protobuf
/// tags, lengths and revision of one entry, rounded up.
const TXN_ITEM_OVERHEAD: usize = 16;

/// An atomic compare-and-swap transaction over at most [`MAX_TXN_OPS`] keys.
///
/// A key may be written by at most one operation of a transaction: two puts of one key, or a
/// put and a delete of it, are refused with [`DatastoreError::Invalid`] ("duplicate key given
/// in txn request", etcd's words), whether or not the comparisons hold. Deleting one key twice
/// is allowed, as etcd allows it. Comparisons may name any key any number of times.
///
/// ```
/// use calico::datastore::{memory::MemoryStore, KvStore, Txn};
/// let store = MemoryStore::new();
/// // Create only if absent.
/// let r = store.txn(Txn::new().require_absent("/a").put("/a", b"1".to_vec())).unwrap();
/// assert!(r.succeeded);
/// let again = store.txn(Txn::new().require_absent("/a").put("/a", b"2".to_vec())).unwrap();
/// assert!(!again.succeeded);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Txn {
    /// All must hold for the operations to run.
    pub compares: Vec<Compare>,
    /// Applied in order, atomically, when every comparison holds.
    pub ops: Vec<Op>,
}

impl Txn {
    /// An empty transaction.
    pub fn new() -> Txn {
        Txn::default()
    }

    /// Requires `key` to have the given `mod_revision` (0: absent).
    pub fn require_revision(mut self, key: impl Into<String>, revision: i64) -> Txn {
        self.compares.push(Compare::ModRevision {
            key: key.into(),
            revision,
        });
        self
    }

    /// Requires `key` not to exist.
    pub fn require_absent(self, key: impl Into<String>) -> Txn {
        self.require_revision(key, 0)
    }

    /// Requires that no key under `prefix` was created or changed after `revision`
    /// ([`Compare::PrefixUnchangedSince`]).
    pub fn require_unchanged_since(mut self, prefix: impl Into<String>, revision: i64) -> Txn {
        self.compares.push(Compare::PrefixUnchangedSince {
            prefix: prefix.into(),
            revision,
        });
        self
    }

    /// Requires that no key under `prefix` was created after `revision`
    /// ([`Compare::PrefixNoneCreatedSince`]).
    pub fn require_none_created_since(mut self, prefix: impl Into<String>, revision: i64) -> Txn {
        self.compares.push(Compare::PrefixNoneCreatedSince {
            prefix: prefix.into(),
            revision,
        });
        self
    }

    /// Adds a put.
    pub fn put(mut self, key: impl Into<String>, value: Vec<u8>) -> Txn {
        self.ops.push(Op::Put {
            key: key.into(),
            value,
        });
        self
    }

    /// Adds a delete.
    pub fn delete(mut self, key: impl Into<String>) -> Txn {
        self.ops.push(Op::Delete { key: key.into() });
        self
    }

    /// Appends another transaction's comparisons and operations.
    pub fn merge(mut self, other: Txn) -> Txn {
        self.compares.extend(other.compares);
        self.ops.extend(other.ops);
        self
    }

    /// The transaction's size as measured against [`MAX_TXN_BYTES`]: every key and value, plus
    /// a fixed allowance per comparison and operation.
    pub fn size(&self) -> usize {
        let compares: usize = self
            .compares
            .iter()
            .map(|c| c.key().len() + TXN_ITEM_OVERHEAD)
            .sum();
        let ops: usize = self
            .ops
            .iter()
            .map(|op| match op {
                Op::Put { key, value } => key.len() + value.len() + TXN_ITEM_OVERHEAD,
                Op::Delete { key } => key.len() + TXN_ITEM_OVERHEAD,
            })
            .sum();
        compares + ops
    }

    /// Checks what etcd checks before it runs a transaction: the limits on comparisons,
    /// operations and bytes ([`DatastoreError::TooLarge`]), empty keys and keys written twice
    /// ([`DatastoreError::Invalid`]). Every backend calls this first, so they all refuse the
    /// same transactions.
    pub fn validate(&self) -> Result<()> {
        if self.compares.len() > MAX_TXN_OPS {
            return Err(DatastoreError::TooLarge(format!(
                "{} comparisons; etcd accepts at most {MAX_TXN_OPS} per transaction \
                 (its default --max-txn-ops)",
                self.compares.len()
            )));
        }
        if self.ops.len() > MAX_TXN_OPS {
            return Err(DatastoreError::TooLarge(format!(
                "{} operations; etcd accepts at most {MAX_TXN_OPS} per transaction \
                 (its default --max-txn-ops)",
                self.ops.len()
            )));
        }
        let size = self.size();
        if size > MAX_TXN_BYTES {
            return Err(DatastoreError::TooLarge(format!(
                "{size} bytes; the limit is {MAX_TXN_BYTES} bytes (1.4 MiB), under etcd's \
                 default --max-request-bytes of 1.5 MiB"
            )));
        }
        for c in &self.compares {
            check_key(c.key())?;
        }
        let mut puts = std::collections::BTreeSet::new();
        let mut deletes = std::collections::BTreeSet::new();
        for op in &self.ops {
            check_key(op.key())?;
            let duplicate = match op {
                Op::Put { key, .. } => !puts.insert(key.as_str()) || deletes.contains(key.as_str()),
                Op::Delete { key } => {
                    deletes.insert(key.as_str());
                    puts.contains(key.as_str())
                }
            };
            if duplicate {
                return Err(DatastoreError::Invalid(format!(
                    "duplicate key given in txn request: {}",
                    op.key()
                )));
            }
        }
        Ok(())
    }
}

/// Refuses the empty key, as etcd does ("key is not provided").
pub(crate) fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(DatastoreError::Invalid("key is not provided".to_string()));
    }
    Ok(())
}

/// Refuses a batch with an empty key, as etcd would.
pub(crate) fn check_reads(reads: &[Read]) -> Result<()> {
    for read in reads {
        if let Read::Key(key) = read {
            check_key(key)?;
        }
    }
    Ok(())
}

/// The first key after every key that starts with `prefix` (the end of a prefix range), or
/// `None` when no such key exists (an empty prefix, or one of only 0xFF bytes).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b < 0xFF)?;
    let mut end = prefix[..=last].to_vec();
    end[last] += 1;
    Some(end)
}

/// The outcome of a [`Txn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnResponse {
    /// True when every comparison held and the operations were applied.
    pub succeeded: bool,
    /// The store's revision after the transaction (the new revision when it wrote).
    pub revision: i64,
}

/// The keys under a prefix, in byte order of their keys, with the revision they were read at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListResponse {
    /// The keys found, sorted by key bytes (etcd's order).
    pub kvs: Vec<KeyValue>,
    /// The store revision the listing reflects.
    pub revision: i64,
}

/// One read of a batch ([`KvStore::read_many`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// One key: its value, if present.
    Key(String),
    /// Every key starting with a prefix, in key order (for small sets: pools, a host's
    /// affinities; big ones are scanned).
    Prefix(String),
}

/// The answers of [`KvStore::read_many`]: one list per read, in the order asked (a
/// [`Read::Key`] gives zero or one entry), with the revision they were all read at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadManyResponse {
    /// One answer per read.
    pub results: Vec<Vec<KeyValue>>,
    /// The store revision the answers reflect.
    pub revision: i64,
}

/// One change of a key under a followed prefix ([`KvStore::changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The key.
    pub key: String,
    /// The value written, or `None`: the key was deleted.
    pub value: Option<Vec<u8>>,
    /// The revision of the write (of the deletion, for a deleted key).
    pub mod_revision: i64,
}

/// What [`KvStore::changes`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// The changes after the revision asked for, in revision order; none when the wait timed
    /// out. Every change under the prefix up to `revision` has been delivered: ask from
    /// `revision` next.
    Events {
        /// The changes.
        events: Vec<Change>,
        /// The revision to follow from next.
        revision: i64,
    },
    /// The history after the revision asked for is gone: list the prefix again and follow
    /// from the listing's revision.
    Compacted {
        /// The oldest revision the store still has the history after: follow from it or
        /// later (0 when unknown).
        revision: i64,
    },
}

/// One key range of a [`Snapshot::scan_ranges`] call, with its visitor.
pub struct ScanRange<'a> {
    /// The first key of the range (inclusive).
    pub start: Vec<u8>,
    /// The end of the range (exclusive); `None`: every key from `start` on.
    pub end: Option<Vec<u8>>,
    /// Called with each key of the range, in key order, possibly on another thread; returns
    /// [`ControlFlow::Break`] to stop reading this range (the others go on). It must not call
    /// into the store.
    pub visit: &'a mut (dyn FnMut(KeyValue) -> ControlFlow<()> + Send),
}

impl<'a> ScanRange<'a> {
    /// Every key starting with `prefix`.
    pub fn prefix(
        prefix: &str,
        visit: &'a mut (dyn FnMut(KeyValue) -> ControlFlow<()> + Send),
    ) -> ScanRange<'a> {
        ScanRange {
            start: prefix.as_bytes().to_vec(),
            end: prefix_end(prefix.as_bytes()),
            visit,
        }
    }

    /// Whether `key` lies in the range.
    fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|e| key < e)
    }
}

/// The store as of one revision, for reads that must agree with each other (see
/// [`KvStore::read_at_one_revision`]).
pub trait Snapshot {
    /// The revision every read of this snapshot is at.
    fn revision(&self) -> i64;

    /// Visits the keys of each range, all as of [`revision`](Snapshot::revision). The ranges
    /// may be read concurrently (etcd: each on its own thread, in pages pinned to the
    /// revision); each visitor sees its range's keys in key order. The first failure is
    /// returned once every range has stopped.
    fn scan_ranges(&self, ranges: &mut [ScanRange<'_>]) -> Result<()>;

    /// Visits every key starting with `prefix`, in key order, as of
    /// [`revision`](Snapshot::revision), on this thread (as [`KvStore::scan`]).
    fn scan(&self, prefix: &str, visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>) -> Result<()>;

    /// Keys that cut the range `start..end` into up to `parts` ranges of about as many keys
    /// each, in ascending order (fewer, or none, when the range is small or the backend reads
    /// one range at a time anyway, as the embedded store does). What a caller reading one
    /// large range on several threads splits it at.
    fn split_points(&self, start: &[u8], end: &[u8], parts: usize) -> Result<Vec<Vec<u8>>> {
        let _ = (start, end, parts);
        Ok(Vec::new())
    }
}

/// The [`Snapshot`] of a store that cannot pin its reads to a revision: each range is a
/// [`KvStore::scan`] of its own (wrappers that count or intercept reads see them). Not one
/// snapshot.
struct Unpinned<'a, S: ?Sized> {
    store: &'a S,
    revision: i64,
}

impl<S: KvStore + ?Sized> Snapshot for Unpinned<'_, S> {
    fn revision(&self) -> i64 {
        self.revision
    }

    fn scan(&self, prefix: &str, visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>) -> Result<()> {
        self.store.scan(prefix, visit).map(drop)
    }

    fn scan_ranges(&self, ranges: &mut [ScanRange<'_>]) -> Result<()> {
        for range in ranges {
            // The longest prefix every key of the range starts with.
            let end = range.end.clone().unwrap_or_default();
            let common = range
                .start
                .iter()
                .zip(&end)
                .take_while(|(a, b)| a == b)
                .count();
            let prefix = String::from_utf8_lossy(&range.start[..common]).into_owned();
            let prefix = if prefix.len() == common {
                prefix
            } else {
                String::new()
            };
            self.store.scan(&prefix, &mut |kv| {
                if kv.key.as_bytes() < range.start.as_slice() {
                    ControlFlow::Continue(())
                } else if range.contains(kv.key.as_bytes()) {
                    (range.visit)(kv)
                } else {
                    ControlFlow::Break(())
                }
            })?;
        }
        Ok(())
    }
}

/// The [`Snapshot`] of keys copied out of a store in one atomic step (the memory store).
pub(crate) struct Copied {
    pub(crate) kvs: Vec<KeyValue>,
    pub(crate) revision: i64,
}

impl Snapshot for Copied {
    fn revision(&self) -> i64 {
        self.revision
    }

    fn scan(&self, prefix: &str, visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>) -> Result<()> {
        let from = self.kvs.partition_point(|kv| kv.key.as_str() < prefix);
        for kv in &self.kvs[from..] {
            if !kv.key.starts_with(prefix) || visit(kv.clone()).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn scan_ranges(&self, ranges: &mut [ScanRange<'_>]) -> Result<()> {
        for range in ranges {
            let from = self
                .kvs
                .partition_point(|kv| kv.key.as_bytes() < range.start.as_slice());
            for kv in &self.kvs[from..] {
                if !range.contains(kv.key.as_bytes()) || (range.visit)(kv.clone()).is_break() {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Errors of the key/value layer. Messages name the datastore and where it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatastoreError {
    /// etcd could not be reached, timed out, or refused the request.
    #[error("etcd ({endpoints}): {message}")]
    Etcd {
        /// The configured endpoints, comma-separated.
        endpoints: String,
        /// What kind of failure it was (classified once, from the gRPC status and the I/O
        /// error under it): what retries and fail-fast decide on.
        kind: etcd::EtcdErrorKind,
        /// What went wrong, in the words users see.
        message: String,
        /// The etcd client's error, when the failure came from one.
        #[source]
        source: Option<Arc<etcd_client::Error>>,
    },
    /// The embedded store could not be opened, read or written.
    #[error("embedded datastore ({path}): {message}")]
    Embedded {
        /// The store's file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A transaction is larger than etcd accepts (see [`MAX_TXN_OPS`], [`MAX_TXN_BYTES`]).
    #[error("transaction too large: {0}")]
    TooLarge(String),
    /// A request etcd would refuse: an empty key, or a key written twice in one transaction.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The configuration does not describe a usable datastore.
    #[error("{0}")]
    Config(String),
}

/// The result type of the key/value layer.
pub type Result<T, E = DatastoreError> = std::result::Result<T, E>;

/// A key/value store with etcd's revision and transaction semantics.
pub trait KvStore: Send + Sync {
    /// A short description for messages: `etcdv3 (http://127.0.0.1:2379)`.
    fn describe(&self) -> String;

    /// The key's current value, if present.
    fn get(&self, key: &str) -> Result<Option<KeyValue>>;

    /// Every key starting with `prefix`, in key order.
    fn list(&self, prefix: &str) -> Result<ListResponse>;

    /// [`list`](KvStore::list) without the values (each value empty), as etcd's keys-only
    /// range: what a caller that only needs to know which keys exist pays for. The default
    /// lists the values and drops them.
    fn list_keys(&self, prefix: &str) -> Result<ListResponse> {
        let mut resp = self.list(prefix)?;
        for kv in &mut resp.kvs {
            kv.value = Vec::new();
        }
        Ok(resp)
    }

    /// How many keys start with each of `prefixes`, all in one request where the store can
    /// (etcd: count-only ranges, which walk its index and read no value). The default lists
    /// the keys.
    fn count_keys(&self, prefixes: &[String]) -> Result<Vec<usize>> {
        prefixes
            .iter()
            .map(|p| self.list_keys(p).map(|r| r.kvs.len()))
            .collect()
    }

    /// Visits every key starting with `prefix`, in key order, all as of one revision (which
    /// it returns), without holding the whole listing in memory: etcd is read in pages pinned
    /// to the revision of the first, the embedded store in one read transaction. `visit`
    /// returns [`ControlFlow::Break`] to stop early. It must not call into this store (the
    /// embedded store holds its connection for the whole scan).
    ///
    /// The default lists everything at once.
    fn scan(
        &self,
        prefix: &str,
        visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
    ) -> Result<i64> {
        let resp = self.list(prefix)?;
        for kv in resp.kvs {
            if visit(kv).is_break() {
                break;
            }
        }
        Ok(resp.revision)
    }

    /// Several independent reads in one request, all as of one revision: one etcd
    /// transaction of range requests (per [`MAX_TXN_OPS`] reads, pinned to the first one's
    /// revision), one read transaction of the embedded store. What a request that needs five
    /// unrelated keys pays once instead of five times.
    ///
    /// The default reads one by one through [`get`](KvStore::get) and
    /// [`list`](KvStore::list) (so wrappers that count or intercept those see every read); it
    /// is not one snapshot, and reports the revision of the last read.
    fn read_many(&self, reads: &[Read]) -> Result<ReadManyResponse> {
        let mut out = ReadManyResponse {
            results: Vec::with_capacity(reads.len()),
            revision: 0,
        };
        for read in reads {
            match read {
                Read::Key(key) => out.results.push(self.get(key)?.into_iter().collect()),
                Read::Prefix(prefix) => {
                    let resp = self.list(prefix)?;
                    out.revision = resp.revision;
                    out.results.push(resp.kvs);
                }
            }
        }
        if out.revision == 0 {
            out.revision = self.revision()?;
        }
        Ok(out)
    }

    /// Runs `read` with a view of the whole store at one revision (which it returns), so that
    /// several ranges read through it agree with each other: etcd pins every request to one
    /// revision and reads ranges concurrently; the embedded store reads in one read
    /// transaction; the memory store copies itself. `read` must not call into the store other
    /// than through the snapshot.
    ///
    /// The default is not one snapshot: each range is a [`scan`](KvStore::scan) of its own.
    fn read_at_one_revision(
        &self,
        read: &mut dyn FnMut(&dyn Snapshot) -> Result<()>,
    ) -> Result<i64> {
        let revision = self.revision()?;
        read(&Unpinned {
            store: self,
            revision,
        })?;
        Ok(revision)
    }

    /// Applies a transaction atomically.
    fn txn(&self, txn: Txn) -> Result<TxnResponse>;

    /// The store's current revision.
    fn revision(&self) -> Result<i64>;

    /// Blocks until a key under `prefix` changes after revision `after`, or `timeout` passes.
    /// Returns the store's revision when it returned.
    ///
    /// It may return early, when a key outside `prefix` changed (the default and the embedded
    /// store watch the global revision); callers re-read and wait again. The default polls the
    /// revision; etcd uses a watch.
    fn wait_for_change(&self, prefix: &str, after: i64, timeout: Duration) -> Result<i64> {
        let _ = prefix;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let rev = self.revision()?;
            if rev > after || std::time::Instant::now() >= deadline {
                return Ok(rev);
            }
            std::thread::sleep(Duration::from_millis(100).min(timeout));
        }
    }

    /// The changes under `prefix` after revision `after`, waiting up to `timeout` for the
    /// first one (a zero timeout does not wait; etcd then answers with what its watch has
    /// already sent, which may be nothing yet).
    ///
    /// Each key changed after `after` appears; its last [`Change`] is its state as of the
    /// returned revision, so applying the events in order to a listing taken at `after` gives
    /// the listing at that revision. Intermediate states of a key written several times may be
    /// left out (the embedded store keeps which keys changed, not their old values).
    /// [`Changes::Compacted`] when the store no longer has the history from `after`.
    ///
    /// etcd keeps one watch stream open per followed prefix and goes on reading it while the
    /// caller asks from where the last answer ended; the embedded store reads its change log
    /// (a bounded window of revisions); the memory store keeps the last events. The default,
    /// for stores that keep no history, waits with [`wait_for_change`](KvStore::wait_for_change)
    /// and answers [`Changes::Compacted`] whenever the store changed: the caller re-lists.
    fn changes(&self, prefix: &str, after: i64, timeout: Duration) -> Result<Changes> {
        let revision = self.wait_for_change(prefix, after, timeout)?;
        Ok(if revision > after {
            Changes::Compacted { revision: 0 }
        } else {
            Changes::Events {
                events: Vec::new(),
                revision: after,
            }
        })
    }
}

/// A shared handle on a store.
pub type Store = Arc<dyn KvStore>;

/// Where the datastore lives: the resolved configuration of every program.
#[derive(Clone, PartialEq, Eq)]
pub enum DatastoreConfig {
    /// An etcd v3 cluster.
    Etcd(etcd::EtcdConfig),
    /// The SQLite file at this path.
    Embedded {
        /// The store's file.
        path: std::path::PathBuf,
        /// Named by a flag, a variable or a config file: its directory must exist. False for
        /// the default path, whose directories a command that writes creates.
        explicit: bool,
    },
    /// A fresh in-memory store (tests).
    Memory,
}

impl std::fmt::Debug for DatastoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatastoreConfig::Etcd(c) => write!(f, "etcdv3 ({})", c.endpoints.join(",")),
            DatastoreConfig::Embedded { path, .. } => write!(f, "embedded ({})", path.display()),
            DatastoreConfig::Memory => write!(f, "memory"),
        }
    }
}

impl DatastoreConfig {
    /// Whether this is an embedded store named explicitly whose directory does not exist (see
    /// [`deferred::check_directory`]): every program refuses it, and `calico-ipam`'s DEL finds
    /// nothing to release in it.
    pub(crate) fn missing_directory(&self) -> Option<DatastoreError> {
        match self {
            DatastoreConfig::Embedded {
                path,
                explicit: true,
            } => deferred::check_directory(path).err(),
            _ => None,
        }
    }
}

/// Opens the configured store. An embedded store's file is created by the first write, not
/// here (see [`deferred`]).
pub fn open(config: &DatastoreConfig) -> Result<Store> {
    Ok(match config {
        DatastoreConfig::Etcd(c) => Arc::new(etcd::EtcdStore::connect(c)?),
        DatastoreConfig::Embedded { path, explicit } => {
            Arc::new(deferred::DeferredStore::open(path, *explicit)?)
        }
        DatastoreConfig::Memory => Arc::new(memory::MemoryStore::new()),
    })
}

#[cfg(test)]
pub(crate) mod conformance;
#[cfg(test)]
mod equivalence;
