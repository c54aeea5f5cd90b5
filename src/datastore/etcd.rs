//! The etcd v3 backend (etcd-client), with Calico's compare-and-swap transactions.
//!
//! Each [`EtcdStore`] owns a private single-threaded tokio runtime and blocks on it, so the
//! [`KvStore`] API stays synchronous and async stays inside this module. Called from a thread
//! that already has a tokio context (async code, or a `spawn_blocking` thread), it blocks on
//! its runtime from a helper thread instead, since tokio forbids nesting `block_on`; async
//! callers should still prefer `spawn_blocking`, as the call blocks their thread.
//!
//! Mapping (mirrors libcalico-go `backend/etcdv3/etcdv3.go`):
//! - a comparison is `Compare::mod_revision(key, Equal, revision)`; etcd compares a missing key
//!   as if its `mod_revision` were 0, so revision 0 means "absent" (checked against a real
//!   etcd by the conformance suite);
//! - a listing is one range request over the prefix, in etcd's key order, at the revision in
//!   the response header;
//! - a scan is a series of range requests pinned to the first one's revision, each bounded by
//!   an end key the pager guesses (`pager`: etcd 3.4 walks a request's whole range whatever
//!   its limit), fetched one page ahead of the visitor on a helper thread;
//! - [`KvStore::wait_for_change`] is a watch on the prefix from `after + 1`;
//! - [`KvStore::changes`] keeps a watch stream open per followed prefix (from `after + 1`),
//!   and reads on from it while the caller asks from where the last answer ended; a caller
//!   that asks from elsewhere gets a new watch. etcd cancels a watch whose start revision was
//!   compacted, with the compaction's revision: [`super::Changes::Compacted`].
//!
//! Every request has a deadline (the configured timeout, 10 s by default) on top of the
//! connect timeout (5 s by default), so an unreachable cluster fails with "context deadline
//! exceeded" or "connection refused" instead of hanging. The password never appears in an
//! error or a `Debug` output. Every failure is classified once (`error`) into an
//! [`EtcdErrorKind`]; retries and fail-fast decide on that kind, never on the message.

mod error;

pub use error::EtcdErrorKind;
use error::{DEADLINE_EXCEEDED, Failure, explain_tls};

use super::pager::{Page, Pager};
use super::{
    Change, Changes, DatastoreError, KeyValue, KvStore, ListResponse, MAX_TXN_OPS, Op, Read,
    ReadManyResponse, Result, Txn, TxnResponse, check_key, keys,
};
use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, GetOptions, Identity, KvClient,
    TlsOptions, TxnOp, WatchClient, WatchOptions,
};
use std::future::Future;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The connect timeout used when [`EtcdConfig::connect_timeout`] is zero.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The request timeout used when [`EtcdConfig::timeout`] is zero.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response accepted: big enough for a listing of every block and handle of a
/// cluster with millions of addresses (tonic's default of 4 MiB is not).
const MAX_RESPONSE_BYTES: usize = 512 * 1024 * 1024;

/// How to reach etcd.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EtcdConfig {
    /// Client URLs, e.g. `http://127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// Username for etcd authentication.
    pub username: Option<String>,
    /// Password for etcd authentication (never printed).
    pub password: Option<String>,
    /// Client private key (PEM).
    pub key_file: Option<PathBuf>,
    /// Client certificate (PEM).
    pub cert_file: Option<PathBuf>,
    /// CA bundle (PEM).
    pub ca_cert_file: Option<PathBuf>,
    /// Per-request timeout; zero means [`DEFAULT_REQUEST_TIMEOUT`].
    pub timeout: Duration,
    /// Timeout to establish a connection; zero means [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// For one-shot commands: once a request went unanswered for the whole timeout (or every
    /// endpoint refused it), every later request of the store fails at once with the same
    /// error, so that a command that makes many requests fails within about one timeout, not
    /// one timeout per request.
    pub fail_fast: bool,
}

impl EtcdConfig {
    /// A configuration for these endpoints, without authentication or TLS, with the default
    /// timeouts.
    pub fn new<S: Into<String>>(endpoints: impl IntoIterator<Item = S>) -> EtcdConfig {
        EtcdConfig {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            ..EtcdConfig::default()
        }
    }

    /// The request timeout in force (the default when none is set).
    pub(crate) fn request_timeout(&self) -> Duration {
        if self.timeout.is_zero() {
            DEFAULT_REQUEST_TIMEOUT
        } else {
            self.timeout
        }
    }

    /// The connect timeout in force (the default when none is set).
    pub(crate) fn effective_connect_timeout(&self) -> Duration {
        if self.connect_timeout.is_zero() {
            DEFAULT_CONNECT_TIMEOUT
        } else {
            self.connect_timeout
        }
    }
}

impl std::fmt::Debug for EtcdConfig {
    /// Shows everything but the password, which appears as `<redacted>` when set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdConfig")
            .field("endpoints", &self.endpoints)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("key_file", &self.key_file)
            .field("cert_file", &self.cert_file)
            .field("ca_cert_file", &self.ca_cert_file)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("fail_fast", &self.fail_fast)
            .finish()
    }
}

/// A connection to an etcd cluster.
///
/// Cheap requests share one HTTP/2 connection per endpoint. Several threads may use one store
/// at once (they take turns driving its runtime); for parallel load, open one store per thread.
pub struct EtcdStore {
    endpoints: String,
    /// How many endpoints are configured (requests refused by one are tried on another).
    endpoint_count: usize,
    /// [`EtcdConfig::fail_fast`].
    fail_fast: bool,
    /// The configuration, when it sets up TLS: to explain TLS failures.
    tls: Option<EtcdConfig>,
    /// Set (used by fail-fast stores only) to the failure of a request that went unanswered
    /// for the whole timeout, or that every endpoint refused.
    gave_up: std::sync::Mutex<Option<Failure>>,
    request_timeout: Duration,
    kv: KvClient,
    watch: WatchClient,
    /// The watch streams of [`KvStore::changes`], by prefix.
    follows: std::sync::Mutex<std::collections::HashMap<String, Follow>>,
    /// Kept for the clients above: it owns the channel that feeds endpoints to the balancer.
    _client: Client,
    // Declared last: dropped after the clients whose background tasks it runs.
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore")
            .field("endpoints", &self.endpoints)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl EtcdStore {
    /// Connects to the configured cluster.
    ///
    /// Without authentication the connection is made on the first request; with a username,
    /// this authenticates at once, so a wrong password fails here. TLS files are read here: a
    /// missing or unreadable file is an error naming it.
    pub fn connect(config: &EtcdConfig) -> Result<EtcdStore> {
        let endpoints = config.endpoints.join(",");
        let fail =
            |message: String| Failure::new(EtcdErrorKind::Config, message).into_error(&endpoints);
        if config.endpoints.is_empty() {
            return Err(fail("no etcd endpoints configured".to_string()));
        }
        let options = connect_options(config, true).map_err(fail)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the I/O runtime: {e}")))?;
        let deadline = config.effective_connect_timeout() + config.request_timeout();
        let connect = |options: ConnectOptions| {
            block_on(&runtime, async {
                tokio::time::timeout(deadline, Client::connect(&config.endpoints, Some(options)))
                    .await
            })
            .map_err(|_| {
                Failure::new(EtcdErrorKind::Timeout, DEADLINE_EXCEEDED).into_error(&endpoints)
            })
        };
        // With authentication, connecting makes a request (for the token): like any request,
        // it is tried on another endpoint when one refuses the connection.
        let mut refused = 0;
        let first = loop {
            match connect(options.clone())? {
                Err(e)
                    if config.endpoints.len() > 1
                        && error::classify(&e).0 == EtcdErrorKind::Refused
                        && refused < REFUSED_ATTEMPTS * config.endpoints.len() =>
                {
                    refused += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => break other,
            }
        };
        let client = match first {
            Ok(client) => client,
            // Go's clientv3 (and so Calico) ignores credentials when the cluster has
            // authentication disabled; do the same rather than refuse to work.
            Err(e) if error::classify(&e).0 == EtcdErrorKind::AuthNotEnabled => {
                connect(connect_options(config, false).map_err(fail)?)?.map_err(|e| {
                    explain_tls(Failure::from_client(e), config).into_error(&endpoints)
                })?
            }
            Err(e) => {
                return Err(explain_tls(Failure::from_client(e), config).into_error(&endpoints));
            }
        };
        Ok(EtcdStore {
            tls: tls_configured(config).then(|| config.clone()),
            request_timeout: config.request_timeout(),
            kv: client
                .kv_client()
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            watch: client
                .watch_client()
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            follows: std::sync::Mutex::new(std::collections::HashMap::new()),
            _client: client,
            endpoint_count: config.endpoints.len(),
            fail_fast: config.fail_fast,
            gave_up: std::sync::Mutex::new(None),
            endpoints,
            runtime,
        })
    }

    fn err(&self, message: impl Into<String>) -> DatastoreError {
        Failure::new(EtcdErrorKind::Other, message).into_error(&self.endpoints)
    }

    /// Runs one request on the runtime with the request deadline. `make` builds the request;
    /// it is sent again, after a short pause, while the failure is one a retry may cure and
    /// that cannot have changed anything:
    /// - the connection was refused, when several endpoints are configured: a dead member, and
    ///   the next attempt is likely balanced onto a live one (at most [`REFUSED_ATTEMPTS`] per
    ///   endpoint, so a cluster that is down altogether still fails fast);
    /// - the member had no leader (an election is under way), until the deadline;
    /// - for a request that only reads (`read_only`), also a connection that broke, a member
    ///   that lost its leader while answering, or any other "unavailable" answer, until the
    ///   deadline.
    ///
    /// Any other error is returned at once: a write that failed otherwise may have been
    /// applied, and is the caller's to judge.
    fn run<T, F, Fut>(&self, read_only: bool, make: F) -> Result<T>
    where
        T: Send,
        F: Fn() -> Fut + Send,
        Fut: Future<Output = std::result::Result<T, etcd_client::Error>> + Send,
    {
        if self.fail_fast
            && let Some(failure) = self
                .gave_up
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        {
            return Err(failure.into_error(&self.endpoints));
        }
        let timeout = self.request_timeout;
        let refused_budget = if self.endpoint_count > 1 {
            REFUSED_ATTEMPTS * self.endpoint_count
        } else {
            0
        };
        let last_retried = std::sync::Mutex::new(None::<Failure>);
        let retried = &last_retried;
        let work = async move {
            let mut pause = Duration::from_millis(10);
            let mut refused = 0;
            loop {
                let failure = match make().await {
                    Ok(v) => return Ok(v),
                    Err(e) => Failure::from_client(e),
                };
                match failure.kind {
                    EtcdErrorKind::Refused => {
                        // The balancer picks another endpoint at random: no need to wait long.
                        refused += 1;
                        if refused > refused_budget {
                            return Err(failure);
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    EtcdErrorKind::NoLeader => {}
                    kind if read_only && kind.read_may_retry() => {}
                    _ => return Err(failure),
                }
                *retried.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
        };
        let (failure, last_retried) = match block_on(&self.runtime, async move {
            tokio::time::timeout(timeout, work).await
        }) {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(failure)) => (failure, None),
            Err(_) => match last_retried.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some(last) => (
                    Failure {
                        kind: EtcdErrorKind::Timeout,
                        message: format!("{DEADLINE_EXCEEDED} (last error: {})", last.message),
                        source: last.source,
                    },
                    Some(last.kind),
                ),
                None => (
                    Failure::new(EtcdErrorKind::Timeout, DEADLINE_EXCEEDED),
                    None,
                ),
            },
        };
        let broke = failure.kind == EtcdErrorKind::Disconnected
            || last_retried == Some(EtcdErrorKind::Disconnected);
        let failure = match &self.tls {
            Some(config) => explain_tls(failure, config),
            // A TLS server hangs up on plain http: say so rather than only "broken pipe".
            None if broke => Failure {
                message: format!(
                    "{} (if etcd serves TLS, its endpoints must be https:// URLs)",
                    failure.message
                ),
                ..failure
            },
            None => failure,
        };
        // Unanswered for the whole timeout (whether our deadline or the client's fired), or
        // refused by every endpoint: later requests of a one-shot command would fare no better.
        if failure.kind.gives_up() {
            *self.gave_up.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure.clone());
        }
        Err(failure.into_error(&self.endpoints))
    }

    fn convert(&self, kv: etcd_client::KeyValue) -> Result<KeyValue> {
        let (create_revision, mod_revision, version) =
            (kv.create_revision(), kv.mod_revision(), kv.version());
        let (key, value) = kv.into_key_value();
        let key = String::from_utf8(key).map_err(|e| {
            self.err(format!(
                "key {:?} is not UTF-8",
                String::from_utf8_lossy(e.as_bytes())
            ))
        })?;
        Ok(KeyValue {
            key,
            value,
            create_revision,
            mod_revision,
            version,
        })
    }

    /// Sends a transaction as it is, without [`Txn::validate`]: lets tests see what etcd itself
    /// says about requests the validation refuses.
    /// One range request (`options` say which), in ascending key order (etcd's default).
    fn range(&self, prefix: &str, options: GetOptions) -> Result<ListResponse> {
        let mut response = self.run(true, || {
            let (mut kv, prefix, options) = (self.kv.clone(), prefix.to_string(), options.clone());
            async move { kv.get(prefix, Some(options)).await }
        })?;
        let revision = header_revision(response.header());
        let kvs = response
            .take_kvs()
            .into_iter()
            .map(|kv| self.convert(kv))
            .collect::<Result<Vec<_>>>()?;
        Ok(ListResponse { kvs, revision })
    }

    /// The pages of a scan of `start..end` (`None`: every key from `start` on) at `revision`
    /// (0: the current one), each handed to `deliver` with the scan's revision (an empty scan
    /// delivers one empty page); `deliver` returns false to stop the scan.
    fn scan_pages(
        &self,
        start: &[u8],
        end: Option<Vec<u8>>,
        mut revision: i64,
        deliver: &mut dyn FnMut(i64, Vec<KeyValue>) -> bool,
    ) -> Result<()> {
        // Pages all read at the revision of the first (or the one given), so the scan is one
        // consistent snapshot, over ranges the pager bounds (see `pager`).
        let mut pager = Pager::new(start, end);
        loop {
            let mut response = self.run(true, || {
                let (mut kv, start) = (self.kv.clone(), pager.start.clone());
                // etcd's "every key from `start` on" is the range end "\0".
                let range_end = pager.end.clone().unwrap_or_else(|| vec![0]);
                let mut options = GetOptions::new()
                    .with_range(range_end)
                    .with_limit(pager.limit as i64);
                if revision > 0 {
                    options = options.with_revision(revision);
                }
                async move { kv.get(start, Some(options)).await }
            })?;
            if revision == 0 {
                revision = header_revision(response.header());
            }
            let (more, in_range) = (response.more(), response.count().max(0) as usize);
            let kvs = response.take_kvs();
            let go_on = pager.advance(Page {
                first_last: kvs.first().zip(kvs.last()).map(|(f, l)| (f.key(), l.key())),
                count: kvs.len(),
                bytes: kvs.iter().map(|kv| kv.key().len() + kv.value().len()).sum(),
                in_range,
                more,
            });
            let page = kvs
                .into_iter()
                .map(|kv| self.convert(kv))
                .collect::<Result<Vec<_>>>()?;
            if !deliver(revision, page) || !go_on {
                return Ok(());
            }
        }
    }

    /// Visits the keys of `start..end` at `revision` (0: the current one), returning the
    /// revision read at. A helper thread fetches the pages, one ahead of the caller, which
    /// visits them: etcd prepares the next page while the caller decodes this one. A visitor
    /// that stops the scan drops the receiver, and the helper stops after the page it is
    /// fetching.
    fn scan_range(
        &self,
        start: &[u8],
        end: Option<Vec<u8>>,
        revision: i64,
        visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
    ) -> Result<i64> {
        let (pages, received) = std::sync::mpsc::sync_channel::<Result<(i64, Vec<KeyValue>)>>(1);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let fetched = self.scan_pages(start, end, revision, &mut |revision, page| {
                    pages.send(Ok((revision, page))).is_ok()
                });
                if let Err(e) = fetched {
                    let _ = pages.send(Err(e));
                }
            });
            let mut revision = revision;
            for page in received {
                let (at, kvs) = page?;
                revision = at;
                for kv in kvs {
                    if visit(kv).is_break() {
                        return Ok(revision);
                    }
                }
            }
            Ok(revision)
        })
    }

    /// One transaction of reads only (retried as reads are, see [`EtcdStore::run`]).
    fn read_txn(&self, ops: Vec<TxnOp>) -> Result<etcd_client::TxnResponse> {
        let request = etcd_client::Txn::new().and_then(ops);
        self.run(true, || {
            let (mut kv, request) = (self.kv.clone(), request.clone());
            async move { kv.txn(request).await }
        })
    }

    /// How many keys each range holds at `revision` (0: the current one), in one request
    /// (etcd's count-only ranges: its index is walked, no value is read).
    fn count_ranges(&self, ranges: &[(Vec<u8>, Vec<u8>)], revision: i64) -> Result<Vec<usize>> {
        let ops: Vec<TxnOp> = ranges
            .iter()
            .map(|(start, end)| {
                let mut options = GetOptions::new().with_range(end.clone()).with_count_only();
                if revision > 0 {
                    options = options.with_revision(revision);
                }
                TxnOp::get(start.clone(), Some(options))
            })
            .collect();
        let response = self.read_txn(ops)?;
        let counts: Vec<usize> = response
            .op_responses()
            .into_iter()
            .filter_map(|op| match op {
                etcd_client::TxnOpResponse::Get(get) => Some(get.count().max(0) as usize),
                _ => None,
            })
            .collect();
        if counts.len() != ranges.len() {
            return Err(self.err(format!(
                "etcd answered {} of {} counts",
                counts.len(),
                ranges.len()
            )));
        }
        Ok(counts)
    }

    /// The first key of `start..end` at `revision` and how many keys the range holds.
    fn first_key(
        &self,
        start: &[u8],
        end: &[u8],
        revision: i64,
    ) -> Result<(Option<Vec<u8>>, usize)> {
        let mut response = self.run(true, || {
            let (mut kv, start) = (self.kv.clone(), start.to_vec());
            let options = GetOptions::new()
                .with_range(end.to_vec())
                .with_keys_only()
                .with_limit(1)
                .with_revision(revision);
            async move { kv.get(start, Some(options)).await }
        })?;
        let count = response.count().max(0) as usize;
        Ok((
            response
                .take_kvs()
                .into_iter()
                .next()
                .map(|kv| kv.key().to_vec()),
            count,
        ))
    }

    fn send_txn(&self, txn: Txn) -> Result<TxnResponse> {
        let compares: Vec<Compare> = txn
            .compares
            .into_iter()
            .map(|c| match c {
                super::Compare::ModRevision { key, revision } => {
                    Compare::mod_revision(key, CompareOp::Equal, revision)
                }
                // etcd compares every key of the range; an empty range compares as a key
                // whose revisions are 0, which is less.
                super::Compare::PrefixUnchangedSince { prefix, revision } => {
                    Compare::mod_revision(prefix, CompareOp::Less, revision + 1).with_prefix()
                }
                super::Compare::PrefixNoneCreatedSince { prefix, revision } => {
                    Compare::create_revision(prefix, CompareOp::Less, revision + 1).with_prefix()
                }
            })
            .collect();
        let ops: Vec<TxnOp> = txn
            .ops
            .into_iter()
            .map(|op| match op {
                Op::Put { key, value } => TxnOp::put(key, value, None),
                Op::Delete { key } => TxnOp::delete(key, None),
            })
            .collect();
        let request = etcd_client::Txn::new().when(compares).and_then(ops);
        let response = self.run(false, || {
            let (mut kv, request) = (self.kv.clone(), request.clone());
            async move { kv.txn(request).await }
        })?;
        Ok(TxnResponse {
            succeeded: response.succeeded(),
            revision: header_revision(response.header()),
        })
    }
}

/// An open watch of [`KvStore::changes`], and how far its changes have been handed out.
struct Follow {
    stream: etcd_client::WatchStream,
    /// Every change under the prefix up to this revision has been handed out.
    delivered: i64,
}

/// What a watch stream said next.
enum Watched {
    /// Changes (never an empty list).
    Events(Vec<etcd_client::Event>),
    /// The start revision was compacted; the oldest revision etcd has.
    Compacted(i64),
    /// etcd cancelled the watch, or closed the stream, for this reason.
    Ended(String),
}

impl Follow {
    /// The next answer of the stream that is not only the confirmation of its creation (or a
    /// progress notice).
    async fn next(&mut self) -> std::result::Result<Watched, etcd_client::Error> {
        loop {
            let Some(response) = self.stream.message().await? else {
                return Ok(Watched::Ended("etcd closed the watch stream".to_string()));
            };
            if response.canceled() {
                return Ok(match response.compact_revision() {
                    0 => Watched::Ended(format!(
                        "etcd cancelled the watch: {}",
                        response.cancel_reason()
                    )),
                    revision => Watched::Compacted(revision),
                });
            }
            if !response.events().is_empty() {
                return Ok(Watched::Events(response.events().to_vec()));
            }
        }
    }
}

impl EtcdStore {
    /// A watch of every key under `prefix` from revision `after + 1`.
    fn open_follow(&self, prefix: &str, after: i64) -> Result<Follow> {
        let options = WatchOptions::new()
            .with_prefix()
            .with_start_revision(after + 1);
        let stream = self.run(true, || {
            let (mut watch, prefix, options) =
                (self.watch.clone(), prefix.to_string(), options.clone());
            async move { watch.watch(prefix, Some(options)).await }
        })?;
        Ok(Follow {
            stream,
            delivered: after,
        })
    }

    fn change(&self, event: etcd_client::Event) -> Result<Change> {
        let deleted = event.event_type() == etcd_client::EventType::Delete;
        let kv = event
            .kv()
            .cloned()
            .ok_or_else(|| self.err("etcd sent a watch event without its key"))?;
        let kv = self.convert(kv)?;
        Ok(Change {
            key: kv.key,
            value: (!deleted).then_some(kv.value),
            mod_revision: kv.mod_revision,
        })
    }
}

/// The etcd [`Snapshot`](super::Snapshot): every request pinned to one revision, each range
/// read on its own thread.
struct Pinned<'a> {
    store: &'a EtcdStore,
    revision: i64,
}

/// Ranges with fewer keys than this are not split (a split costs two walks of etcd's index
/// over the range). Tests split small ones.
const SPLIT_MIN_KEYS: usize = if cfg!(test) { 1_000 } else { 50_000 };

impl super::Snapshot for Pinned<'_> {
    fn revision(&self) -> i64 {
        self.revision
    }

    fn scan(&self, prefix: &str, visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>) -> Result<()> {
        let end = super::prefix_end(prefix.as_bytes());
        self.store
            .scan_range(prefix.as_bytes(), end, self.revision, visit)
            .map(drop)
    }

    fn scan_ranges(&self, ranges: &mut [super::ScanRange<'_>]) -> Result<()> {
        let (store, revision) = (self.store, self.revision);
        let results: Vec<Result<i64>> = std::thread::scope(|scope| {
            let running: Vec<_> = ranges
                .iter_mut()
                .map(|range| {
                    scope.spawn(move || {
                        store.scan_range(
                            &range.start,
                            range.end.clone(),
                            revision,
                            &mut *range.visit,
                        )
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        results.into_iter().try_for_each(|r| r.map(drop))
    }

    /// Finds where the range's keys first differ (all keys of the range share what its first
    /// key and the rest of the range have in common: one count per byte of the first key,
    /// over disjoint ranges), then counts the keys per value of the byte there and cuts
    /// between bytes. Two walks of etcd's index over the range, no value read. Keys that
    /// share a long prefix beyond that byte are not told apart: a cut falls between bytes.
    fn split_points(&self, start: &[u8], end: &[u8], parts: usize) -> Result<Vec<Vec<u8>>> {
        let (store, revision) = (self.store, self.revision);
        let (Some(first), total) = store.first_key(start, end, revision)? else {
            return Ok(Vec::new());
        };
        if parts < 2 || total < SPLIT_MIN_KEYS {
            return Ok(Vec::new());
        }
        // Keys after `first` that share its first `l` bytes but not `l + 1`: the ranges
        // [first[..=l] + 1, first[..l] + 1), disjoint, one per byte of `first` past `start`.
        let past = |p: &[u8]| super::prefix_end(p).unwrap_or_else(|| end.to_vec());
        // Every key of the range shares what `start` and `end` have in common.
        let common = start.iter().zip(end).take_while(|(a, b)| a == b).count();
        let mut ranges = Vec::new();
        for l in common..first.len() {
            let hi = past(&first[..l]).min(end.to_vec());
            let lo = past(&first[..=l]);
            if lo < hi {
                ranges.push((l, lo, hi));
            }
        }
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = ranges
            .iter()
            .map(|(_, lo, hi)| (lo.clone(), hi.clone()))
            .collect();
        let mut counts = Vec::new();
        for chunk in pairs.chunks(MAX_TXN_OPS) {
            counts.extend(store.count_ranges(chunk, revision)?);
        }
        // The shortest prefix of `first` that some other key does not share.
        let Some(at) = ranges
            .iter()
            .zip(&counts)
            .find(|(_, n)| **n > 0)
            .map(|((l, _, _), _)| *l)
        else {
            return Ok(Vec::new());
        };
        // Every key shares first[..at]; count them by their byte at `at`.
        let shared = &first[..at];
        let buckets: Vec<(Vec<u8>, Vec<u8>)> = (0..=255u8)
            .map(|b| {
                let lo = [shared, &[b]].concat();
                let hi = past(&lo).min(end.to_vec());
                (lo, hi)
            })
            .collect();
        let mut per_byte = Vec::new();
        for chunk in buckets.chunks(MAX_TXN_OPS) {
            per_byte.extend(store.count_ranges(chunk, revision)?);
        }
        let all: usize = per_byte.iter().sum();
        let mut cuts = Vec::new();
        let mut seen = 0;
        for ((lo, _), n) in buckets.iter().zip(&per_byte) {
            // Cut before this byte's keys when the next share ends before their middle.
            let target = all * (cuts.len() + 1) / parts;
            if seen > 0 && seen + n / 2 >= target && cuts.len() + 1 < parts {
                cuts.push(lo.clone());
            }
            seen += n;
        }
        Ok(cuts)
    }
}

/// Runs `future` to completion on `runtime`. From a thread that has a tokio context already,
/// where tokio would panic on a nested `block_on`, it runs on a helper thread.
fn block_on<F>(runtime: &tokio::runtime::Runtime, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(future);
    }
    std::thread::scope(|s| {
        s.spawn(move || runtime.block_on(future))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Leases, for the controllers' leader election: a key held by a lease vanishes when its
/// holder stops renewing it (a process that is killed), or at once when it revokes it.
impl EtcdStore {
    /// Grants a lease of `ttl` seconds; its id.
    pub(crate) fn lease_grant(&self, ttl: i64) -> Result<i64> {
        let response = self.run(false, || {
            let mut lease = self._client.lease_client();
            async move { lease.grant(ttl, None).await }
        })?;
        Ok(response.id())
    }

    /// Renews lease `id` once; the seconds it has left (0: it has expired).
    pub(crate) fn lease_keep_alive(&self, id: i64) -> Result<i64> {
        self.run(false, || {
            let mut lease = self._client.lease_client();
            async move {
                let (mut keeper, mut stream) = lease.keep_alive(id).await?;
                keeper.keep_alive().await?;
                Ok(stream.message().await?.map_or(0, |r| r.ttl()))
            }
        })
    }

    /// Revokes lease `id`, deleting the keys it holds.
    pub(crate) fn lease_revoke(&self, id: i64) -> Result<()> {
        self.run(false, || {
            let mut lease = self._client.lease_client();
            async move { lease.revoke(id).await.map(|_| ()) }
        })
    }

    /// Creates `key` with `value`, held by lease `lease`, unless it exists: `Ok(None)` when
    /// created, else `Ok(Some(value))` of the key as it is.
    pub(crate) fn create_with_lease(
        &self,
        key: &str,
        value: &[u8],
        lease: i64,
    ) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        let request = etcd_client::Txn::new()
            .when([Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(
                key,
                value.to_vec(),
                Some(etcd_client::PutOptions::new().with_lease(lease)),
            )])
            .or_else([TxnOp::get(key, None)]);
        let response = self.run(false, || {
            let (mut kv, request) = (self.kv.clone(), request.clone());
            async move { kv.txn(request).await }
        })?;
        if response.succeeded() {
            return Ok(None);
        }
        let current = response.op_responses().into_iter().find_map(|op| match op {
            etcd_client::TxnOpResponse::Get(mut g) => g
                .take_kvs()
                .into_iter()
                .next()
                .map(|kv| kv.value().to_vec()),
            _ => None,
        });
        Ok(Some(current.unwrap_or_default()))
    }
}

#[cfg(test)]
impl EtcdStore {
    /// Drops etcd's history of `revision` and before (etcd's compaction at `revision + 1`,
    /// which keeps the events of that revision on; it must not be past the store's).
    pub(crate) fn compact(&self, revision: i64) -> Result<()> {
        self.run(false, || {
            let mut kv = self.kv.clone();
            async move { kv.compact(revision + 1, None).await.map(|_| ()) }
        })
    }
}

/// How many refused attempts per configured endpoint one request may make.
const REFUSED_ATTEMPTS: usize = 3;

fn header_revision(header: Option<&etcd_client::ResponseHeader>) -> i64 {
    header.map_or(0, |h| h.revision())
}

/// Reads a TLS file, naming it in the error.
fn read_file(what: &str, path: &Path) -> std::result::Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

/// Connect options from the configuration: both timeouts always, TLS when given, and the
/// credentials when given and `with_user`.
fn connect_options(
    config: &EtcdConfig,
    with_user: bool,
) -> std::result::Result<ConnectOptions, String> {
    let mut options = ConnectOptions::new()
        .with_connect_timeout(config.effective_connect_timeout())
        .with_timeout(config.request_timeout())
        // Fail fast with "etcdserver: no leader" on a member cut off from its cluster, rather
        // than waiting out the deadline.
        .with_require_leader(true);
    match (&config.username, &config.password) {
        (Some(user), password) if !user.is_empty() => {
            let password = password.clone().unwrap_or_default();
            options = if with_user {
                options.with_user(user, password)
            } else {
                options
            };
        }
        (_, Some(password)) if !password.is_empty() => {
            return Err("an etcd password is set without a username".to_string());
        }
        _ => {}
    }
    if tls_configured(config) {
        if let Some(plain) = config.endpoints.iter().find(|e| e.starts_with("http://")) {
            return Err(format!(
                "TLS files are configured but the endpoint {plain} is not https://"
            ));
        }
        let mut tls = TlsOptions::new();
        if let Some(ca) = &config.ca_cert_file {
            tls = tls.ca_certificate(Certificate::from_pem(read_file("CA certificate file", ca)?));
        }
        match (&config.cert_file, &config.key_file) {
            (Some(cert), Some(key)) => {
                tls = tls.identity(Identity::from_pem(
                    read_file("client certificate file", cert)?,
                    read_file("client key file", key)?,
                ));
            }
            (Some(cert), None) => {
                return Err(format!(
                    "the client certificate file {} is set without a key file",
                    cert.display()
                ));
            }
            (None, Some(key)) => {
                return Err(format!(
                    "the client key file {} is set without a certificate file",
                    key.display()
                ));
            }
            (None, None) => {}
        }
        options = options.with_tls(tls);
    }
    Ok(options)
}

fn tls_configured(config: &EtcdConfig) -> bool {
    config.ca_cert_file.is_some() || config.cert_file.is_some() || config.key_file.is_some()
}

impl KvStore for EtcdStore {
    fn describe(&self) -> String {
        format!("etcdv3 ({})", self.endpoints)
    }

    fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        check_key(key)?;
        let mut response = self.run(true, || {
            let (mut kv, key) = (self.kv.clone(), key.to_string());
            async move { kv.get(key, None).await }
        })?;
        response
            .take_kvs()
            .into_iter()
            .next()
            .map(|kv| self.convert(kv))
            .transpose()
    }

    fn list(&self, prefix: &str) -> Result<ListResponse> {
        self.range(prefix, GetOptions::new().with_prefix())
    }

    fn list_keys(&self, prefix: &str) -> Result<ListResponse> {
        self.range(prefix, GetOptions::new().with_prefix().with_keys_only())
    }

    fn scan(
        &self,
        prefix: &str,
        visit: &mut dyn FnMut(KeyValue) -> ControlFlow<()>,
    ) -> Result<i64> {
        let end = super::prefix_end(prefix.as_bytes());
        self.scan_range(prefix.as_bytes(), end, 0, visit)
    }

    fn count_keys(&self, prefixes: &[String]) -> Result<Vec<usize>> {
        let ranges: Vec<(Vec<u8>, Vec<u8>)> = prefixes
            .iter()
            .map(|p| {
                let end = super::prefix_end(p.as_bytes()).unwrap_or_else(|| vec![0]);
                (p.as_bytes().to_vec(), end)
            })
            .collect();
        let mut counts = Vec::with_capacity(ranges.len());
        for chunk in ranges.chunks(MAX_TXN_OPS) {
            counts.extend(self.count_ranges(chunk, 0)?);
        }
        Ok(counts)
    }

    fn read_at_one_revision(
        &self,
        read: &mut dyn FnMut(&dyn super::Snapshot) -> Result<()>,
    ) -> Result<i64> {
        let revision = self.revision()?;
        read(&Pinned {
            store: self,
            revision,
        })?;
        Ok(revision)
    }

    fn read_many(&self, reads: &[Read]) -> Result<ReadManyResponse> {
        super::check_reads(reads)?;
        // One transaction of range requests per MAX_TXN_OPS reads (etcd's limit on operations
        // per transaction); the later ones read at the first one's revision.
        let mut out = ReadManyResponse {
            results: Vec::with_capacity(reads.len()),
            revision: 0,
        };
        for chunk in reads.chunks(MAX_TXN_OPS) {
            let revision = out.revision;
            let ops: Vec<TxnOp> = chunk
                .iter()
                .map(|read| {
                    let (key, mut options) = match read {
                        Read::Key(key) => (key, GetOptions::new()),
                        Read::Prefix(prefix) => (prefix, GetOptions::new().with_prefix()),
                    };
                    if revision > 0 {
                        options = options.with_revision(revision);
                    }
                    TxnOp::get(key.as_str(), Some(options))
                })
                .collect();
            let response = self.read_txn(ops)?;
            if out.revision == 0 {
                out.revision = header_revision(response.header());
            }
            for op in response.op_responses() {
                let etcd_client::TxnOpResponse::Get(mut get) = op else {
                    return Err(self.err("etcd answered a read with a write".to_string()));
                };
                out.results.push(
                    get.take_kvs()
                        .into_iter()
                        .map(|kv| self.convert(kv))
                        .collect::<Result<Vec<_>>>()?,
                );
            }
        }
        if out.results.len() != reads.len() {
            return Err(self.err(format!(
                "etcd answered {} of {} reads",
                out.results.len(),
                reads.len()
            )));
        }
        if out.revision == 0 {
            out.revision = self.revision()?;
        }
        Ok(out)
    }

    fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        txn.validate()?;
        self.send_txn(txn)
    }

    fn revision(&self) -> Result<i64> {
        // A linearizable read of one key returns the cluster's current revision in its header.
        // The key is under Calico's root so that a user whose etcd role covers only `/calico/`
        // may read it.
        let response = self.run(true, || {
            let mut kv = self.kv.clone();
            async move {
                kv.get(
                    keys::ROOT_PREFIX,
                    Some(GetOptions::new().with_keys_only().with_limit(1)),
                )
                .await
            }
        })?;
        Ok(header_revision(response.header()))
    }

    fn wait_for_change(&self, prefix: &str, after: i64, timeout: Duration) -> Result<i64> {
        let mut watch = self.watch.clone();
        let options = WatchOptions::new()
            .with_prefix()
            .with_start_revision(after + 1);
        let prefix = prefix.to_string();
        let watched = async move {
            let mut stream = watch.watch(prefix, Some(options)).await?;
            while let Some(response) = stream.message().await? {
                if response.canceled() {
                    // Compacted past `after + 1`, or refused: changes may have been missed;
                    // let the caller re-read.
                    return Ok(None);
                }
                if let Some(latest) = response
                    .events()
                    .iter()
                    .filter_map(|e| e.kv().map(|kv| kv.mod_revision()))
                    .max()
                {
                    return Ok(Some(latest.max(header_revision(response.header()))));
                }
            }
            Ok::<_, etcd_client::Error>(None)
        };
        match block_on(&self.runtime, async move {
            tokio::time::timeout(timeout, watched).await
        }) {
            Ok(Ok(Some(revision))) => Ok(revision),
            Ok(Ok(None)) | Err(_) => self.revision(),
            Ok(Err(e)) => Err(Failure::from_client(e).into_error(&self.endpoints)),
        }
    }

    fn changes(&self, prefix: &str, after: i64, timeout: Duration) -> Result<Changes> {
        let mut follows = self.follows.lock().unwrap_or_else(|p| p.into_inner());
        let mut follow = match follows.remove(prefix) {
            Some(f) if f.delivered == after => f,
            _ => self.open_follow(prefix, after)?,
        };
        // (`Timeout` polls the watch first: what etcd has sent already is read even with a
        // zero timeout.)
        let next = block_on(&self.runtime, async {
            tokio::time::timeout(timeout, follow.next()).await
        });
        let events = match next {
            Err(_) => Vec::new(),
            Ok(Ok(Watched::Events(events))) => events,
            // etcd keeps the events from its compaction revision on: the history after the
            // revision before it.
            Ok(Ok(Watched::Compacted(revision))) => {
                return Ok(Changes::Compacted {
                    revision: revision - 1,
                });
            }
            Ok(Ok(Watched::Ended(why))) => {
                return Err(
                    Failure::new(EtcdErrorKind::Disconnected, why).into_error(&self.endpoints)
                );
            }
            Ok(Err(e)) => return Err(Failure::from_client(e).into_error(&self.endpoints)),
        };
        let events = events
            .into_iter()
            .map(|e| self.change(e))
            .collect::<Result<Vec<_>>>()?;
        if let Some(last) = events.last() {
            follow.delivered = last.mod_revision;
        }
        let revision = follow.delivered;
        follows.insert(prefix.to_string(), follow);
        Ok(Changes::Events { events, revision })
    }
}

#[cfg(test)]
mod tests {
    use super::super::conformance;
    use super::*;
    use crate::testing::EtcdServer;
    use std::time::Instant;

    #[test]
    fn a_scan_is_one_snapshot() {
        let etcd = crate::testing::shared_etcd();
        let store = EtcdStore::connect(&etcd.config()).unwrap();
        let writer = EtcdStore::connect(&etcd.config()).unwrap();
        conformance::scan_is_one_snapshot(&store, &writer);
    }

    #[test]
    fn reads_at_one_revision_agree() {
        let etcd = crate::testing::shared_etcd();
        let store = EtcdStore::connect(&etcd.config()).unwrap();
        let writer = EtcdStore::connect(&etcd.config()).unwrap();
        conformance::snapshot_reads_agree(&store, &writer);
    }

    #[test]
    fn concurrent_cas_increments_lose_nothing() {
        let etcd = EtcdServer::start();
        let stores: Vec<EtcdStore> = (0..4)
            .map(|_| EtcdStore::connect(&etcd.config()).unwrap())
            .collect();
        let handles: Vec<&dyn KvStore> = stores.iter().map(|s| s as &dyn KvStore).collect();
        conformance::cas_counter(&handles, 25);
        // One store shared by several threads works too.
        let shared = &stores[0];
        std::thread::scope(|s| {
            for t in 0..3 {
                s.spawn(move || {
                    conformance::increment(shared, "/cas/shared", &format!("t{t}"), 10)
                });
            }
        });
        conformance::check_counter(shared, "/cas/shared", 30);
    }

    #[test]
    fn etcd_itself_refuses_what_validation_refuses() {
        // Bypass Txn::validate: the server's answers map to the same error kinds, so the
        // backends agree even if etcd's limits were lowered below ours.
        let etcd = EtcdServer::start();
        let store = EtcdStore::connect(&etcd.config()).unwrap();
        let dup = store
            .send_txn(Txn::new().put("/k", b"1".to_vec()).put("/k", b"2".to_vec()))
            .unwrap_err();
        assert!(matches!(dup, DatastoreError::Invalid(_)), "{dup:?}");
        assert!(
            dup.to_string()
                .contains("duplicate key given in txn request"),
            "{dup}"
        );
        let dup = store
            .send_txn(
                Txn::new()
                    .require_revision("/k", 99)
                    .put("/k", b"1".to_vec())
                    .delete("/k"),
            )
            .unwrap_err();
        assert!(matches!(dup, DatastoreError::Invalid(_)), "{dup:?}");
        let many = (0..=128).fold(Txn::new(), |t, i| t.put(format!("/m/{i}"), vec![]));
        let err = store.send_txn(many).unwrap_err();
        assert!(matches!(err, DatastoreError::TooLarge(_)), "{err:?}");
        assert!(err.to_string().contains("too many operations"), "{err}");
        let err = store
            .send_txn(Txn::new().put("/big", vec![b'x'; 1_600_000]))
            .unwrap_err();
        assert!(matches!(err, DatastoreError::TooLarge(_)), "{err:?}");
        assert!(err.to_string().contains("request is too large"), "{err}");
        let err = store
            .send_txn(Txn::new().put("", b"x".to_vec()))
            .unwrap_err();
        assert!(matches!(err, DatastoreError::Invalid(_)), "{err:?}");
        // Nothing of it was written.
        assert_eq!(store.revision().unwrap(), 1);
        // And the size our validation accepts, etcd accepts.
        let at_limit = Txn::new().put("/fits", vec![b'x'; super::super::MAX_TXN_BYTES - 100]);
        at_limit.validate().unwrap();
        assert!(store.send_txn(at_limit).unwrap().succeeded);
    }

    #[test]
    fn watch_ignores_changes_outside_the_prefix() {
        let etcd = EtcdServer::start();
        let store = EtcdStore::connect(&etcd.config()).unwrap();
        let start = store.revision().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                let writer = EtcdStore::connect(&etcd.config()).unwrap();
                std::thread::sleep(Duration::from_millis(100));
                writer
                    .txn(Txn::new().put("/other/a", b"1".to_vec()))
                    .unwrap();
                std::thread::sleep(Duration::from_millis(300));
                writer
                    .txn(Txn::new().put("/watched/a", b"1".to_vec()))
                    .unwrap();
            });
            let t = Instant::now();
            let r = store
                .wait_for_change("/watched/", start, Duration::from_secs(10))
                .unwrap();
            assert_eq!(r, start + 2, "woke for the write under the prefix");
            assert!(
                t.elapsed() >= Duration::from_millis(350),
                "{:?}",
                t.elapsed()
            );
        });
    }

    #[test]
    fn a_wait_may_outlast_the_request_timeout() {
        let etcd = EtcdServer::start();
        let config = EtcdConfig {
            timeout: Duration::from_millis(500),
            ..etcd.config()
        };
        let store = EtcdStore::connect(&config).unwrap();
        let start = store.revision().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(1200));
                etcd.store()
                    .txn(Txn::new().put("/late/a", b"1".to_vec()))
                    .unwrap();
            });
            let r = store
                .wait_for_change("/late/", start, Duration::from_secs(10))
                .unwrap();
            assert_eq!(r, start + 1);
        });
    }

    /// A port nobody listens on (bound, then freed), and a configuration for it.
    fn closed_port(fail_fast: bool) -> (u16, EtcdConfig) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = EtcdConfig {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
            fail_fast,
            ..EtcdConfig::new([format!("http://127.0.0.1:{port}")])
        };
        (port, config)
    }

    #[test]
    fn unreachable_endpoint_fails_fast_with_a_readable_message() {
        let (port, config) = closed_port(false);
        let t = Instant::now();
        let err = EtcdStore::connect(&config)
            .and_then(|s| s.get("/calico/x"))
            .unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("etcd (http://127.0.0.1:{port}): ")),
            "{text}"
        );
        assert!(
            text.ends_with("connection refused") || text.ends_with(DEADLINE_EXCEEDED),
            "{text}"
        );
    }

    /// The kind of an etcd failure, `None` for another error.
    fn kind(err: &DatastoreError) -> Option<EtcdErrorKind> {
        match err {
            DatastoreError::Etcd { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    #[test]
    fn a_closed_port_is_refused_and_a_one_shot_store_then_gives_up_at_once() {
        let (_, config) = closed_port(true);
        let store = EtcdStore::connect(&config).unwrap();
        let err = store.get("/calico/x").unwrap_err();
        assert_eq!(kind(&err), Some(EtcdErrorKind::Refused), "{err}");
        assert!(err.to_string().ends_with(": connection refused"), "{err}");
        // The client's error is kept as the source.
        assert!(std::error::Error::source(&err).is_some(), "{err:?}");
        // Given up: the next request fails the same way without trying.
        let t = Instant::now();
        let again = store.list("/calico/").unwrap_err();
        assert!(
            t.elapsed() < Duration::from_millis(100),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(kind(&again), Some(EtcdErrorKind::Refused));
        assert_eq!(again.to_string(), err.to_string());
    }

    #[test]
    fn a_server_that_never_answers_is_a_timeout() {
        // Connections are accepted by the kernel (the listener's backlog) and never answered.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let config = EtcdConfig {
            timeout: Duration::from_millis(800),
            connect_timeout: Duration::from_millis(500),
            fail_fast: true,
            ..EtcdConfig::new([format!("http://{}", silent.local_addr().unwrap())])
        };
        let t = Instant::now();
        let store = EtcdStore::connect(&config).unwrap();
        let err = store.get("/calico/x").unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert_eq!(kind(&err), Some(EtcdErrorKind::Timeout), "{err}");
        assert!(err.to_string().contains(DEADLINE_EXCEEDED), "{err}");
        let again = store.get("/calico/x").unwrap_err();
        assert_eq!(kind(&again), Some(EtcdErrorKind::Timeout), "{again}");
    }

    #[test]
    fn authentication_and_permission_failures_are_classified() {
        let etcd = EtcdServer::start();
        etcd.enable_auth("rootpw");
        etcd.add_user("rootpw", "calico", "pw", "/calico/");
        let err = EtcdStore::connect(&etcd.config_as("calico", "wrong")).unwrap_err();
        assert_eq!(kind(&err), Some(EtcdErrorKind::Unauthenticated), "{err}");
        assert!(err.to_string().contains("authentication failed"), "{err}");
        let store = EtcdStore::connect(&etcd.config_as("calico", "pw")).unwrap();
        store.get("/calico/x").unwrap();
        let err = store.get("/other/x").unwrap_err();
        assert_eq!(kind(&err), Some(EtcdErrorKind::PermissionDenied), "{err}");
        assert!(err.to_string().contains("permission denied"), "{err}");
        // Credentials for a cluster without authentication: recognised, and ignored.
        let open = EtcdServer::start();
        let options = connect_options(&open.config_as("calico", "pw"), true).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let refused = runtime
            .block_on(Client::connect(open.config().endpoints, Some(options)))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(error::classify(&refused).0, EtcdErrorKind::AuthNotEnabled);
        EtcdStore::connect(&open.config_as("calico", "pw")).unwrap();
    }

    #[test]
    fn a_compacted_revision_is_compacted() {
        let etcd = EtcdServer::start();
        let store = EtcdStore::connect(&etcd.config()).unwrap();
        let first = store.txn(Txn::new().put("/k", b"1".to_vec())).unwrap();
        let last = store.txn(Txn::new().put("/k", b"2".to_vec())).unwrap();
        etcd.etcdctl_ok(None, &["compaction", &last.revision.to_string()]);
        let err = store
            .run(true, || {
                let mut kv = store.kv.clone();
                async move {
                    kv.get("/k", Some(GetOptions::new().with_revision(first.revision)))
                        .await
                }
            })
            .unwrap_err();
        assert_eq!(kind(&err), Some(EtcdErrorKind::Compacted), "{err}");
        assert!(err.to_string().contains("compacted"), "{err}");
    }

    #[test]
    fn tls_failures_are_classified_and_explained() {
        use crate::testing::{EtcdOptions, TestPki};
        let pki = TestPki::generate();
        let etcd = EtcdServer::start_with(&EtcdOptions::tls(&pki));
        let endpoint = etcd.endpoint();
        let tls = |ca: &Path, cert: Option<&Path>, key: Option<&Path>| EtcdConfig {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
            ca_cert_file: Some(ca.to_path_buf()),
            cert_file: cert.map(Path::to_path_buf),
            key_file: key.map(Path::to_path_buf),
            ..EtcdConfig::new([endpoint.clone()])
        };
        let get = |config: &EtcdConfig| {
            EtcdStore::connect(config)
                .and_then(|s| s.get("/x"))
                .unwrap_err()
        };
        // No client certificate: etcd refuses the handshake, with an alert or by hanging up
        // (which one depends on timing).
        let err = get(&tls(&pki.ca_cert, None, None));
        assert!(
            matches!(
                kind(&err),
                Some(EtcdErrorKind::TlsRefused | EtcdErrorKind::Closed)
            ),
            "{err}"
        );
        assert!(err.to_string().contains("none is configured"), "{err}");
        // A server certificate from a CA we do not trust.
        let err = get(&tls(
            &pki.rogue_ca_cert,
            Some(&pki.client_cert),
            Some(&pki.client_key),
        ));
        assert_eq!(kind(&err), Some(EtcdErrorKind::TlsUntrusted), "{err}");
        assert!(
            err.to_string().contains("not signed by the configured CA"),
            "{err}"
        );
        // A key that is not the certificate's: refused before anything is sent.
        let err = get(&tls(
            &pki.ca_cert,
            Some(&pki.client_cert),
            Some(&pki.rogue_client_key),
        ));
        assert_eq!(kind(&err), Some(EtcdErrorKind::TlsSetup), "{err}");
        assert!(err.to_string().contains("does not belong to"), "{err}");
        // Plain http to a TLS server: the connection breaks, and the message says why.
        let plain = EtcdConfig {
            timeout: Duration::from_secs(2),
            ..EtcdConfig::new([endpoint.replace("https://", "http://")])
        };
        let err = get(&plain);
        assert!(
            err.to_string()
                .ends_with("(if etcd serves TLS, its endpoints must be https:// URLs)"),
            "{err}"
        );
    }

    #[test]
    fn the_password_is_never_shown() {
        let config = EtcdConfig {
            username: Some("calico".to_string()),
            password: Some("s3cret-pw".to_string()),
            timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_millis(500),
            ..EtcdConfig::new(["http://127.0.0.1:1"])
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
        assert!(
            debug.contains("<redacted>") && debug.contains("calico"),
            "{debug}"
        );
        let wrapped = format!("{:?}", super::super::DatastoreConfig::Etcd(config.clone()));
        assert!(!wrapped.contains("s3cret-pw"), "{wrapped}");
        // Authenticating against nothing fails; the error does not carry the password either.
        let err = EtcdStore::connect(&config).unwrap_err();
        assert!(!err.to_string().contains("s3cret-pw"), "{err}");
        assert!(!format!("{err:?}").contains("s3cret-pw"), "{err:?}");
    }

    #[test]
    fn credentials_are_ignored_when_etcd_has_auth_disabled() {
        // As Go's clientv3 does: a username configured for a cluster without auth is not an
        // error.
        let etcd = EtcdServer::start();
        let config = EtcdConfig {
            username: Some("calico".to_string()),
            password: Some("pw".to_string()),
            ..etcd.config()
        };
        let store = EtcdStore::connect(&config).unwrap();
        assert!(
            store
                .txn(Txn::new().put("/k", b"v".to_vec()))
                .unwrap()
                .succeeded
        );
    }

    #[test]
    fn missing_tls_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope/ca.pem");
        let config = EtcdConfig {
            ca_cert_file: Some(missing.clone()),
            ..EtcdConfig::new(["https://127.0.0.1:2379"])
        };
        let text = EtcdStore::connect(&config).unwrap_err().to_string();
        assert!(text.contains("CA certificate file"), "{text}");
        assert!(text.contains(&missing.display().to_string()), "{text}");

        let cert = dir.path().join("cert.pem");
        std::fs::write(&cert, "not really a certificate").unwrap();
        let config = EtcdConfig {
            cert_file: Some(cert.clone()),
            ..EtcdConfig::new(["https://127.0.0.1:2379"])
        };
        let text = EtcdStore::connect(&config).unwrap_err().to_string();
        assert!(text.contains("without a key file"), "{text}");
        let config = EtcdConfig {
            cert_file: Some(cert),
            key_file: Some(dir.path().join("key.pem")),
            ..EtcdConfig::new(["https://127.0.0.1:2379"])
        };
        let text = EtcdStore::connect(&config).unwrap_err().to_string();
        assert!(text.contains("client key file"), "{text}");
        assert!(text.contains("key.pem"), "{text}");

        let config = EtcdConfig {
            ca_cert_file: Some(dir.path().join("ca.pem")),
            ..EtcdConfig::new(["http://127.0.0.1:2379"])
        };
        let text = EtcdStore::connect(&config).unwrap_err().to_string();
        assert!(text.contains("is not https://"), "{text}");
    }

    #[test]
    fn no_endpoints_is_an_error() {
        let err = EtcdStore::connect(&EtcdConfig::default()).unwrap_err();
        assert!(err.to_string().contains("no etcd endpoints"), "{err}");
    }

    #[test]
    fn default_timeouts_apply_when_zero() {
        let config = EtcdConfig::new(["http://127.0.0.1:2379"]);
        assert_eq!(config.request_timeout(), DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(config.effective_connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
        let config = EtcdConfig {
            timeout: Duration::from_secs(3),
            ..config
        };
        assert_eq!(config.request_timeout(), Duration::from_secs(3));
    }

    #[test]
    fn works_when_called_from_inside_another_runtime() {
        let etcd = EtcdServer::start();
        let store = std::sync::Arc::new(EtcdStore::connect(&etcd.config()).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Straight from async code, where a nested block_on would panic.
        let written = rt
            .block_on(async { store.txn(Txn::new().put("/x", b"1".to_vec())) })
            .unwrap();
        assert!(written.succeeded);
        // From spawn_blocking, the recommended way.
        let shared = store.clone();
        let kv = rt
            .block_on(async { tokio::task::spawn_blocking(move || shared.get("/x")).await })
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(kv.mod_revision, written.revision);
        // Connecting from async code works too.
        let config = etcd.config();
        let other = rt.block_on(async { EtcdStore::connect(&config) }).unwrap();
        assert_eq!(other.revision().unwrap(), written.revision);
    }
}
