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
//! - [`KvStore::wait_for_change`] is a watch on the prefix from `after + 1`.
//!
//! Every request has a deadline (the configured timeout, 10 s by default) on top of the
//! connect timeout (5 s by default), so an unreachable cluster fails with "context deadline
//! exceeded" or "connection refused" instead of hanging. The password never appears in an
//! error or a `Debug` output.

use super::pager::{Page, Pager};
use super::{
    DatastoreError, KeyValue, KvStore, ListResponse, MAX_TXN_OPS, Op, Read, ReadManyResponse,
    Result, Txn, TxnResponse, check_key, keys,
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
    pub fn request_timeout(&self) -> Duration {
        if self.timeout.is_zero() {
            DEFAULT_REQUEST_TIMEOUT
        } else {
            self.timeout
        }
    }

    /// The connect timeout in force (the default when none is set).
    pub fn effective_connect_timeout(&self) -> Duration {
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
    /// Set (used by fail-fast stores only) to the error of a request that went unanswered for
    /// the whole timeout, or that every endpoint refused.
    gave_up: std::sync::Mutex<Option<String>>,
    request_timeout: Duration,
    kv: KvClient,
    watch: WatchClient,
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
        let fail = |message: String| DatastoreError::Etcd {
            endpoints: endpoints.clone(),
            message,
        };
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
            .map_err(|_| fail(DEADLINE_EXCEEDED.to_string()))
        };
        // With authentication, connecting makes a request (for the token): like any request,
        // it is tried on another endpoint when one refuses the connection.
        let mut refused = 0;
        let first = loop {
            match connect(options.clone())? {
                Err(e)
                    if config.endpoints.len() > 1
                        && describe_client_error(&e) == CONNECTION_REFUSED
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
            Err(e) if describe_client_error(&e).contains(AUTH_NOT_ENABLED) => {
                connect(connect_options(config, false).map_err(fail)?)?
                    .map_err(|e| explain_tls(from_client_error(&endpoints, &e), config))?
            }
            Err(e) => return Err(explain_tls(from_client_error(&endpoints, &e), config)),
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
            _client: client,
            endpoint_count: config.endpoints.len(),
            fail_fast: config.fail_fast,
            gave_up: std::sync::Mutex::new(None),
            endpoints,
            runtime,
        })
    }

    fn err(&self, message: impl Into<String>) -> DatastoreError {
        DatastoreError::Etcd {
            endpoints: self.endpoints.clone(),
            message: message.into(),
        }
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
            && let Some(message) = self
                .gave_up
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        {
            return Err(self.err(message));
        }
        let timeout = self.request_timeout;
        let refused_budget = if self.endpoint_count > 1 {
            REFUSED_ATTEMPTS * self.endpoint_count
        } else {
            0
        };
        let last_retried = std::sync::Mutex::new(None::<String>);
        let retried = &last_retried;
        let work = async move {
            let mut pause = Duration::from_millis(10);
            let mut refused = 0;
            loop {
                let error = match make().await {
                    Ok(v) => return Ok(v),
                    Err(e) => e,
                };
                let message = describe_client_error(&error);
                if message == CONNECTION_REFUSED {
                    // The balancer picks another endpoint at random: no need to wait long.
                    refused += 1;
                    if refused > refused_budget {
                        return Err(error);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
                if !(message.contains(NO_LEADER) || (read_only && is_unavailable(&error))) {
                    return Err(error);
                }
                *retried.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
        };
        let result = match block_on(&self.runtime, async move {
            tokio::time::timeout(timeout, work).await
        }) {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => from_client_error(&self.endpoints, &e),
            Err(_) => self.err(
                match last_retried.into_inner().unwrap_or_else(|p| p.into_inner()) {
                    Some(last) => format!("{DEADLINE_EXCEEDED} (last error: {last})"),
                    None => DEADLINE_EXCEEDED.to_string(),
                },
            ),
        };
        let result = match (&self.tls, result) {
            (Some(config), result) => explain_tls(result, config),
            // A TLS server hangs up on plain http: say so rather than only "broken pipe".
            (None, DatastoreError::Etcd { endpoints, message })
                if message.contains("broken pipe") || message.contains("connection reset") =>
            {
                DatastoreError::Etcd {
                    message: format!(
                        "{message} (if etcd serves TLS, its endpoints must be https:// URLs)"
                    ),
                    endpoints,
                }
            }
            (None, result) => result,
        };
        // Unanswered for the whole timeout (whether our deadline or the client's fired), or
        // refused by every endpoint: later requests of a one-shot command would fare no better.
        if let DatastoreError::Etcd { message, .. } = &result
            && (message.starts_with(DEADLINE_EXCEEDED) || message == CONNECTION_REFUSED)
        {
            *self.gave_up.lock().unwrap_or_else(|p| p.into_inner()) = Some(message.clone());
        }
        Err(result)
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

    /// The pages of [`KvStore::scan`], each handed to `deliver` with the scan's revision (an
    /// empty scan delivers one empty page); `deliver` returns false to stop the scan.
    fn scan_pages(
        &self,
        prefix: &str,
        deliver: &mut dyn FnMut(i64, Vec<KeyValue>) -> bool,
    ) -> Result<()> {
        // Pages all read at the revision of the first, so the scan is one consistent
        // snapshot, over ranges the pager bounds (see `pager`).
        let mut pager = Pager::new(prefix.as_bytes(), super::prefix_end(prefix.as_bytes()));
        let mut revision = 0;
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

const DEADLINE_EXCEEDED: &str = "context deadline exceeded";
const CONNECTION_REFUSED: &str = "connection refused";
/// etcd (or something in between) closed the connection before answering.
const CONNECTION_CLOSED: &str = "the connection was closed before etcd answered";
/// How the client's own TLS files failed.
const TLS_SETUP: &str = "cannot set up TLS";
/// etcd's answer from a member that has no leader (`--require-leader` requests).
const NO_LEADER: &str = "no leader";
/// True for failures of the connection or the member rather than of the request: a connection
/// that broke (broken pipe, reset, aborted, cut short), or, without an I/O cause, gRPC's
/// "unavailable" (a member without a leader or whose leader changed). Not a TLS failure (an
/// untrusted certificate, say): sending again would fail the same way.
fn is_unavailable(error: &etcd_client::Error) -> bool {
    use std::io::ErrorKind as K;
    const UNAVAILABLE: i32 = 14;
    let status = match error {
        etcd_client::Error::GRpcStatus(status) => status,
        _ => return false,
    };
    match io_error(status).map(std::io::Error::kind) {
        Some(K::BrokenPipe | K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof) => true,
        Some(K::NotConnected) => true,
        Some(_) => false,
        None => status.code() as i32 == UNAVAILABLE || status.message().contains("leader changed"),
    }
}

/// How many refused attempts per configured endpoint one request may make.
const REFUSED_ATTEMPTS: usize = 3;
const AUTH_NOT_ENABLED: &str = "authentication is not enabled";

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

/// Turns an etcd-client error into our error with a readable message: etcd's own words for
/// what the server refused, and "connection refused" or "context deadline exceeded" for what
/// never reached it. Requests etcd refuses as too large or invalid keep those kinds.
fn from_client_error(endpoints: &str, error: &etcd_client::Error) -> DatastoreError {
    let message = describe_client_error(error);
    if message.contains("request is too large") || message.contains("too many operations") {
        return DatastoreError::TooLarge(message);
    }
    if message.contains("duplicate key given in txn request") || message == KEY_NOT_PROVIDED {
        return DatastoreError::Invalid(message);
    }
    DatastoreError::Etcd {
        endpoints: endpoints.to_string(),
        message,
    }
}

const KEY_NOT_PROVIDED: &str = "etcdserver: key is not provided";

fn describe_client_error(error: &etcd_client::Error) -> String {
    use etcd_client::Error as E;
    // gRPC status codes (tonic's `Code` discriminants, which are the wire values).
    const CANCELLED: i32 = 1;
    const DEADLINE: i32 = 4;
    match error {
        E::GRpcStatus(status) => {
            if let Some(cause) = io_cause(status) {
                return cause;
            }
            if status.code() as i32 == CANCELLED
                && format!("{status:?}").contains("connection closed")
            {
                return CONNECTION_CLOSED.to_string();
            }
            let code = status.code();
            match code as i32 {
                DEADLINE => DEADLINE_EXCEEDED.to_string(),
                CANCELLED if status.message().contains("Timeout") => DEADLINE_EXCEEDED.to_string(),
                _ if !status.message().is_empty() => status.message().to_string(),
                _ => code.description().to_string(),
            }
        }
        E::TransportError(e) => io_cause(e).unwrap_or_else(|| describe_transport(error)),
        E::InvalidUri(e) => format!("invalid endpoint URL: {e}"),
        E::InvalidArgs(message) => message.clone(),
        E::IoError(e) => e.to_string(),
        E::WatchError(message) => format!("watch failed: {message}"),
        other => other.to_string(),
    }
}

/// The I/O error at the bottom of a transport failure, worded like Go's net package.
fn io_cause(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    io_error(error).map(|io| match io.kind() {
        std::io::ErrorKind::ConnectionRefused => CONNECTION_REFUSED.to_string(),
        std::io::ErrorKind::TimedOut => DEADLINE_EXCEEDED.to_string(),
        _ => io.to_string(),
    })
}

/// The I/O error at the bottom of a transport failure, if any.
fn io_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = e.source();
    }
    None
}

fn tls_configured(config: &EtcdConfig) -> bool {
    config.ca_cert_file.is_some() || config.cert_file.is_some() || config.key_file.is_some()
}

/// Adds the files involved to a TLS failure: which key and certificate did not fit, or, when
/// etcd hung up on a TLS client (what etcd does to a client certificate it does not accept),
/// which certificate it was given.
fn explain_tls(error: DatastoreError, config: &EtcdConfig) -> DatastoreError {
    let DatastoreError::Etcd { endpoints, message } = error else {
        return error;
    };
    if !tls_configured(config) {
        return DatastoreError::Etcd { endpoints, message };
    }
    let show = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or_else(|| "none".to_string(), |p| p.display().to_string())
    };
    let files = format!(
        "client certificate {}, client key {}, CA {}",
        show(&config.cert_file),
        show(&config.key_file),
        show(&config.ca_cert_file)
    );
    let refused = if config.cert_file.is_some() {
        "it does not accept the client certificate"
    } else {
        "it requires a client certificate and none is configured"
    };
    let message = if message.starts_with(TLS_SETUP) {
        format!("{message} ({files})")
    } else if message == CONNECTION_CLOSED {
        format!("{message}; etcd does this when {refused} ({files})")
    } else if message.contains("received fatal alert") {
        format!("{message}: etcd refused the connection: {refused} ({files})")
    } else if message.contains("invalid peer certificate") {
        let ca = if config.ca_cert_file.is_some() {
            "the configured CA"
        } else {
            "a CA this host trusts (no CA certificate file is configured)"
        };
        format!("{message}: etcd's certificate is not signed by {ca} ({files})")
    } else {
        message
    };
    DatastoreError::Etcd { endpoints, message }
}

/// Words for a transport error that tonic only describes as "transport error": a client
/// certificate and key that do not fit together, or files that hold no key or certificate.
/// The details are in tonic's `Debug` output only (they never hold key material).
fn describe_transport(error: &etcd_client::Error) -> String {
    let debug = format!("{error:?}");
    for (needle, words) in [
        (
            "KeyMismatch",
            "the client key does not belong to the client certificate",
        ),
        (
            "PrivateKeyParseError",
            "the client key file holds no usable PEM private key",
        ),
        (
            "NoPrivateKey",
            "the client key file holds no usable PEM private key",
        ),
        (
            "CertificateParseError",
            "a certificate file holds no usable PEM certificate",
        ),
        (
            "InvalidCertificate",
            "a certificate file holds no usable PEM certificate",
        ),
    ] {
        if debug.contains(needle) {
            return format!("{TLS_SETUP}: {words}");
        }
    }
    format!("transport error: {error}")
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
        // A helper thread fetches the pages, one ahead of the caller, which visits them: etcd
        // prepares the next page while the caller decodes this one. A visitor that stops the
        // scan drops the receiver, and the helper stops after the page it is fetching.
        let (pages, received) = std::sync::mpsc::sync_channel::<Result<(i64, Vec<KeyValue>)>>(1);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let fetched = self.scan_pages(prefix, &mut |revision, page| {
                    pages.send(Ok((revision, page))).is_ok()
                });
                if let Err(e) = fetched {
                    let _ = pages.send(Err(e));
                }
            });
            let mut revision = 0;
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
            let request = etcd_client::Txn::new().and_then(ops);
            let response = self.run(true, || {
                let (mut kv, request) = (self.kv.clone(), request.clone());
                async move { kv.txn(request).await }
            })?;
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
            Ok(Err(e)) => Err(from_client_error(&self.endpoints, &e)),
        }
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

    #[test]
    fn unreachable_endpoint_fails_fast_with_a_readable_message() {
        // A port nobody listens on: bind, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = EtcdConfig {
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
            ..EtcdConfig::new([format!("http://127.0.0.1:{port}")])
        };
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
