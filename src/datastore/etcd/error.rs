//! What an etcd request's failure is, and what it says: every etcd-client error is classified
//! once, here, into an [`EtcdErrorKind`] and Calico-style words. Retries, fail-fast and the TLS
//! explanations decide on the kind; the error keeps the client's error as its source.
//!
//! The kind comes from the I/O error under the failure when there is one (walking `source()`:
//! a refused, timed-out or broken connection), else from the gRPC status code and, where etcd
//! gives one code several meanings, etcd's own error description (the wire identity of its
//! errors, which Go's `rpctypes` compares too: `InvalidArgument` is a transaction too large, a
//! duplicate key or a failed authentication). Three failures have no public type to recognise
//! them by, since the crates that define them are not ours to name (rustls, hyper and tonic's
//! TLS setup): their own wording is read here, and nowhere else.

use super::{EtcdConfig, tls_configured};
use crate::datastore::DatastoreError;
use std::io::ErrorKind as Io;
use std::path::PathBuf;
use std::sync::Arc;

/// What kind of failure an etcd request met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EtcdErrorKind {
    /// The connection was refused: nothing listens at the endpoint.
    Refused,
    /// The connection broke: a broken pipe, a reset, an abort, a connection cut short.
    Disconnected,
    /// The member could not serve the request (gRPC "unavailable": its leader changed, its
    /// request timed out inside the cluster, ...).
    Unavailable,
    /// The member has no leader: an election is under way, or it is cut off from its cluster.
    NoLeader,
    /// No answer within the deadline.
    Timeout,
    /// The connection was closed before etcd answered: what etcd does to a TLS client whose
    /// certificate it does not accept.
    Closed,
    /// etcd refused the TLS handshake (it sent a fatal alert): it requires a client
    /// certificate, or does not accept the one given.
    TlsRefused,
    /// etcd's certificate could not be verified.
    TlsUntrusted,
    /// The client's own TLS files could not be used (a key that does not fit its certificate,
    /// a file with no key or certificate in it).
    TlsSetup,
    /// Authentication failed: an unknown user, a wrong password, no user name, a bad token.
    Unauthenticated,
    /// The user may not read or write the key.
    PermissionDenied,
    /// Credentials were given to a cluster that has authentication disabled.
    AuthNotEnabled,
    /// The revision asked for has been compacted away.
    Compacted,
    /// The request is larger than etcd accepts: too many operations, or too many bytes.
    TooLarge,
    /// A request etcd refuses as malformed: an empty key, a key written twice in a transaction.
    InvalidRequest,
    /// The configuration cannot work (no endpoints, unreadable TLS files, an endpoint that is
    /// not a URL): nothing was sent.
    Config,
    /// Anything else.
    Other,
}

impl EtcdErrorKind {
    /// Whether later requests of a one-shot command would fare no better: the request went
    /// unanswered for the whole timeout, or every endpoint refused it.
    pub(super) fn gives_up(self) -> bool {
        matches!(self, EtcdErrorKind::Timeout | EtcdErrorKind::Refused)
    }

    /// Whether a request that only reads may be sent again after this failure: the connection
    /// broke, or the member could not serve it. Not a TLS failure: sending again would fail
    /// the same way.
    pub(super) fn read_may_retry(self) -> bool {
        matches!(
            self,
            EtcdErrorKind::Disconnected | EtcdErrorKind::Unavailable
        )
    }
}

pub(super) const DEADLINE_EXCEEDED: &str = "context deadline exceeded";
const CONNECTION_REFUSED: &str = "connection refused";
/// etcd (or something in between) closed the connection before answering.
const CONNECTION_CLOSED: &str = "the connection was closed before etcd answered";
/// How the client's own TLS files failed.
const TLS_SETUP: &str = "cannot set up TLS";

/// etcd's descriptions of its errors (`rpctypes`), where one gRPC code has several meanings.
const NO_LEADER: &str = "etcdserver: no leader";
const AUTH_NOT_ENABLED: &str = "etcdserver: authentication is not enabled";
const AUTH_FAILED: &str = "etcdserver: authentication failed, invalid user ID or password";
const USER_EMPTY: &str = "etcdserver: user name is empty";
const COMPACTED: &str = "etcdserver: mvcc: required revision has been compacted";
const TOO_MANY_OPS: &str = "etcdserver: too many operations in txn request";
const REQUEST_TOO_LARGE: &str = "etcdserver: request is too large";
const DUPLICATE_KEY: &str = "etcdserver: duplicate key given in txn request";
const KEY_NOT_PROVIDED: &str = "etcdserver: key is not provided";

/// gRPC status codes (the wire values, which are tonic's `Code` discriminants).
mod code {
    pub(super) const CANCELLED: i32 = 1;
    pub(super) const INVALID_ARGUMENT: i32 = 3;
    pub(super) const DEADLINE_EXCEEDED: i32 = 4;
    pub(super) const PERMISSION_DENIED: i32 = 7;
    pub(super) const FAILED_PRECONDITION: i32 = 9;
    pub(super) const OUT_OF_RANGE: i32 = 11;
    pub(super) const UNAVAILABLE: i32 = 14;
    pub(super) const UNAUTHENTICATED: i32 = 16;
}

/// A classified failure: its kind, its words, and the client's error it came from. Cheap to
/// clone (a fail-fast store hands the same failure to every later request).
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) kind: EtcdErrorKind,
    pub(super) message: String,
    pub(super) source: Option<Arc<etcd_client::Error>>,
}

impl Failure {
    /// A failure of our own making (no client error under it).
    pub(super) fn new(kind: EtcdErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Classifies a client error, keeping it as the source.
    pub(super) fn from_client(error: etcd_client::Error) -> Failure {
        let (kind, message) = classify(&error);
        Failure {
            kind,
            message,
            source: Some(Arc::new(error)),
        }
    }

    /// The error callers see: what etcd refused as too large or malformed keeps that kind of
    /// [`DatastoreError`]; everything else names the endpoints.
    pub(super) fn into_error(self, endpoints: &str) -> DatastoreError {
        match self.kind {
            EtcdErrorKind::TooLarge => DatastoreError::TooLarge(self.message),
            EtcdErrorKind::InvalidRequest => DatastoreError::Invalid(self.message),
            kind => DatastoreError::Etcd {
                endpoints: endpoints.to_string(),
                kind,
                message: self.message,
                source: self.source,
            },
        }
    }
}

/// The kind of a client error and its words: etcd's own for what the server refused,
/// "connection refused" or "context deadline exceeded" for what never reached it.
pub(super) fn classify(error: &etcd_client::Error) -> (EtcdErrorKind, String) {
    use etcd_client::Error as E;
    match error {
        E::GRpcStatus(status) => {
            if let Some(io) = io_error(status) {
                return from_io(io);
            }
            let code = status.code() as i32;
            if code == code::CANCELLED && closed_before_answer(status) {
                return (EtcdErrorKind::Closed, CONNECTION_CLOSED.to_string());
            }
            let kind = kind_of_status(code, status.message());
            let message = if kind == EtcdErrorKind::Timeout {
                DEADLINE_EXCEEDED.to_string()
            } else if !status.message().is_empty() {
                status.message().to_string()
            } else {
                status.code().description().to_string()
            };
            (kind, message)
        }
        E::TransportError(e) => match io_error(e) {
            Some(io) => from_io(io),
            None => describe_transport(error),
        },
        E::InvalidUri(e) => (EtcdErrorKind::Config, format!("invalid endpoint URL: {e}")),
        E::InvalidArgs(message) => (EtcdErrorKind::Other, message.clone()),
        E::IoError(e) => (EtcdErrorKind::Other, e.to_string()),
        E::WatchError(message) => (EtcdErrorKind::Other, format!("watch failed: {message}")),
        other => (EtcdErrorKind::Other, other.to_string()),
    }
}

/// The kind of a gRPC status with no I/O error under it.
fn kind_of_status(code: i32, message: &str) -> EtcdErrorKind {
    match (code, message) {
        (code::DEADLINE_EXCEEDED, _) => EtcdErrorKind::Timeout,
        // tonic's own deadline ("Timeout expired") cancels the call.
        (code::CANCELLED, m) if m.contains("Timeout") => EtcdErrorKind::Timeout,
        (code::UNAVAILABLE, NO_LEADER) => EtcdErrorKind::NoLeader,
        (code::UNAVAILABLE, _) => EtcdErrorKind::Unavailable,
        (code::UNAUTHENTICATED, _) | (code::INVALID_ARGUMENT, AUTH_FAILED | USER_EMPTY) => {
            EtcdErrorKind::Unauthenticated
        }
        (code::PERMISSION_DENIED, _) => EtcdErrorKind::PermissionDenied,
        (code::INVALID_ARGUMENT, TOO_MANY_OPS | REQUEST_TOO_LARGE) => EtcdErrorKind::TooLarge,
        (code::INVALID_ARGUMENT, DUPLICATE_KEY | KEY_NOT_PROVIDED) => EtcdErrorKind::InvalidRequest,
        (code::FAILED_PRECONDITION, AUTH_NOT_ENABLED) => EtcdErrorKind::AuthNotEnabled,
        (code::OUT_OF_RANGE, COMPACTED) => EtcdErrorKind::Compacted,
        _ => EtcdErrorKind::Other,
    }
}

/// The kind and words of a failure whose cause is an I/O error, worded like Go's net package.
fn from_io(io: &std::io::Error) -> (EtcdErrorKind, String) {
    match io.kind() {
        Io::ConnectionRefused => (EtcdErrorKind::Refused, CONNECTION_REFUSED.to_string()),
        Io::TimedOut => (EtcdErrorKind::Timeout, DEADLINE_EXCEEDED.to_string()),
        kind => {
            let message = io.to_string();
            (kind_of_io(kind, &message), message)
        }
    }
}

/// The kind of an I/O failure other than a refused or timed-out connection. rustls reports a
/// failed handshake as invalid data, in its own words.
fn kind_of_io(kind: Io, message: &str) -> EtcdErrorKind {
    match kind {
        Io::BrokenPipe
        | Io::ConnectionReset
        | Io::ConnectionAborted
        | Io::UnexpectedEof
        | Io::NotConnected => EtcdErrorKind::Disconnected,
        Io::InvalidData if message.contains("received fatal alert") => EtcdErrorKind::TlsRefused,
        Io::InvalidData if message.contains("invalid peer certificate") => {
            EtcdErrorKind::TlsUntrusted
        }
        _ => EtcdErrorKind::Other,
    }
}

/// Whether a cancelled call was cancelled because its connection closed: hyper's cause for
/// it, at the bottom of the status's sources, is "connection closed".
fn closed_before_answer(status: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(status);
    while let Some(e) = current {
        if e.source().is_none() {
            return e.to_string() == "connection closed";
        }
        current = e.source();
    }
    false
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

/// Adds the files involved to a TLS failure: which key and certificate did not fit, or, when
/// etcd hung up on a TLS client (what etcd does to a client certificate it does not accept),
/// which certificate it was given.
pub(super) fn explain_tls(mut failure: Failure, config: &EtcdConfig) -> Failure {
    if !tls_configured(config) {
        return failure;
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
    let message = &failure.message;
    failure.message = match failure.kind {
        EtcdErrorKind::TlsSetup => format!("{message} ({files})"),
        EtcdErrorKind::Closed => format!("{message}; etcd does this when {refused} ({files})"),
        EtcdErrorKind::TlsRefused => {
            format!("{message}: etcd refused the connection: {refused} ({files})")
        }
        EtcdErrorKind::TlsUntrusted => {
            let ca = if config.ca_cert_file.is_some() {
                "the configured CA"
            } else {
                "a CA this host trusts (no CA certificate file is configured)"
            };
            format!("{message}: etcd's certificate is not signed by {ca} ({files})")
        }
        _ => return failure,
    };
    failure
}

/// Words for a transport error that tonic only describes as "transport error": a client
/// certificate and key that do not fit together, or files that hold no key or certificate.
/// tonic's TLS setup error is a private type: its variant's name, in its `Debug` output (which
/// never holds key material), is the only way to tell them apart.
fn describe_transport(error: &etcd_client::Error) -> (EtcdErrorKind, String) {
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
            return (EtcdErrorKind::TlsSetup, format!("{TLS_SETUP}: {words}"));
        }
    }
    (EtcdErrorKind::Other, format!("transport error: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_and_etcd_descriptions_give_the_kind() {
        use EtcdErrorKind as K;
        for (code, message, want) in [
            (code::DEADLINE_EXCEEDED, "", K::Timeout),
            (code::CANCELLED, "Timeout expired", K::Timeout),
            (code::CANCELLED, "operation was canceled", K::Other),
            (code::UNAVAILABLE, NO_LEADER, K::NoLeader),
            (
                code::UNAVAILABLE,
                "etcdserver: leader changed",
                K::Unavailable,
            ),
            (
                code::UNAVAILABLE,
                "etcdserver: request timed out",
                K::Unavailable,
            ),
            (
                code::UNAUTHENTICATED,
                "etcdserver: invalid auth token",
                K::Unauthenticated,
            ),
            (code::INVALID_ARGUMENT, AUTH_FAILED, K::Unauthenticated),
            (code::INVALID_ARGUMENT, USER_EMPTY, K::Unauthenticated),
            (
                code::PERMISSION_DENIED,
                "etcdserver: permission denied",
                K::PermissionDenied,
            ),
            (code::INVALID_ARGUMENT, TOO_MANY_OPS, K::TooLarge),
            (code::INVALID_ARGUMENT, REQUEST_TOO_LARGE, K::TooLarge),
            (code::INVALID_ARGUMENT, DUPLICATE_KEY, K::InvalidRequest),
            (code::INVALID_ARGUMENT, KEY_NOT_PROVIDED, K::InvalidRequest),
            (
                code::INVALID_ARGUMENT,
                "etcdserver: something new",
                K::Other,
            ),
            (
                code::FAILED_PRECONDITION,
                AUTH_NOT_ENABLED,
                K::AuthNotEnabled,
            ),
            (code::OUT_OF_RANGE, COMPACTED, K::Compacted),
            (
                code::OUT_OF_RANGE,
                "etcdserver: mvcc: required revision is a future revision",
                K::Other,
            ),
            // A description is only read under the code etcd gives it.
            (code::UNAVAILABLE, AUTH_NOT_ENABLED, K::Unavailable),
            (2, NO_LEADER, K::Other),
        ] {
            assert_eq!(kind_of_status(code, message), want, "{code} {message:?}");
        }
    }

    #[test]
    fn io_errors_give_the_kind_and_go_words() {
        use EtcdErrorKind as K;
        let io = |kind: Io, text: &str| std::io::Error::new(kind, text.to_string());
        for (error, want, words) in [
            (
                io(Io::ConnectionRefused, "Connection refused (os error 111)"),
                K::Refused,
                CONNECTION_REFUSED,
            ),
            (io(Io::TimedOut, "timed out"), K::Timeout, DEADLINE_EXCEEDED),
            (
                io(Io::BrokenPipe, "stream closed because of a broken pipe"),
                K::Disconnected,
                "stream closed because of a broken pipe",
            ),
            (
                io(
                    Io::ConnectionReset,
                    "Connection reset by peer (os error 104)",
                ),
                K::Disconnected,
                "Connection reset by peer (os error 104)",
            ),
            (io(Io::UnexpectedEof, "eof"), K::Disconnected, "eof"),
            (
                io(Io::InvalidData, "received fatal alert: BadCertificate"),
                K::TlsRefused,
                "received fatal alert: BadCertificate",
            ),
            (
                io(Io::InvalidData, "invalid peer certificate: UnknownIssuer"),
                K::TlsUntrusted,
                "invalid peer certificate: UnknownIssuer",
            ),
            (io(Io::InvalidData, "garbage"), K::Other, "garbage"),
            (io(Io::PermissionDenied, "no"), K::Other, "no"),
        ] {
            assert_eq!(from_io(&error), (want, words.to_string()), "{error}");
        }
        // The I/O error is found under other errors.
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("transport error")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Wrapper(io(Io::NotConnected, "not connected"));
        assert_eq!(
            io_error(&wrapped).map(std::io::Error::kind),
            Some(Io::NotConnected)
        );
        assert_eq!(from_io(io_error(&wrapped).unwrap()).0, K::Disconnected);
    }

    #[test]
    fn what_retries_and_fail_fast_decide_on() {
        use EtcdErrorKind as K;
        let all = [
            K::Refused,
            K::Disconnected,
            K::Unavailable,
            K::NoLeader,
            K::Timeout,
            K::Closed,
            K::TlsRefused,
            K::TlsUntrusted,
            K::TlsSetup,
            K::Unauthenticated,
            K::PermissionDenied,
            K::AuthNotEnabled,
            K::Compacted,
            K::TooLarge,
            K::InvalidRequest,
            K::Config,
            K::Other,
        ];
        let gives_up: Vec<_> = all.iter().filter(|k| k.gives_up()).collect();
        assert_eq!(gives_up, [&K::Refused, &K::Timeout]);
        let reads_retry: Vec<_> = all.iter().filter(|k| k.read_may_retry()).collect();
        assert_eq!(reads_retry, [&K::Disconnected, &K::Unavailable]);
    }

    #[test]
    fn too_large_and_invalid_keep_their_own_error_kinds() {
        let err = Failure::new(EtcdErrorKind::TooLarge, REQUEST_TOO_LARGE).into_error("e");
        assert!(matches!(err, DatastoreError::TooLarge(ref m) if m == REQUEST_TOO_LARGE));
        let err = Failure::new(EtcdErrorKind::InvalidRequest, DUPLICATE_KEY).into_error("e");
        assert!(matches!(err, DatastoreError::Invalid(ref m) if m == DUPLICATE_KEY));
        let err = Failure::new(EtcdErrorKind::Timeout, DEADLINE_EXCEEDED).into_error("http://e");
        assert_eq!(
            err.to_string(),
            "etcd (http://e): context deadline exceeded"
        );
        assert!(matches!(
            err,
            DatastoreError::Etcd {
                kind: EtcdErrorKind::Timeout,
                source: None,
                ..
            }
        ));
    }

    #[test]
    fn tls_failures_name_the_files() {
        let config = EtcdConfig {
            ca_cert_file: Some("/ca.pem".into()),
            ..EtcdConfig::new(["https://e"])
        };
        let explained = |kind, message: &str| explain_tls(Failure::new(kind, message), &config);
        assert_eq!(
            explained(EtcdErrorKind::Closed, CONNECTION_CLOSED).message,
            "the connection was closed before etcd answered; etcd does this when it requires \
             a client certificate and none is configured (client certificate none, client key \
             none, CA /ca.pem)"
        );
        assert_eq!(
            explained(EtcdErrorKind::TlsUntrusted, "invalid peer certificate: X").message,
            "invalid peer certificate: X: etcd's certificate is not signed by the configured CA \
             (client certificate none, client key none, CA /ca.pem)"
        );
        // Other failures, and any failure without TLS, are left alone.
        assert_eq!(
            explained(EtcdErrorKind::Timeout, DEADLINE_EXCEEDED).message,
            DEADLINE_EXCEEDED
        );
        let plain = EtcdConfig::new(["http://e"]);
        let failure = explain_tls(Failure::new(EtcdErrorKind::Closed, "x"), &plain);
        assert_eq!(failure.message, "x");
    }
}
