//! Test support: real etcd servers on loopback, for unit tests, integration tests and
//! benchmarks. Not part of the product's API.
//!
//! [`EtcdServer::start`] runs Debian's `etcd` (package `etcd-server`, 3.4) on free
//! `127.0.0.1` ports with a fresh data directory, waits until it answers a real read, and
//! kills it and removes the directory when dropped. [`EtcdCluster::start`] does the same for a
//! cluster of several members, with [`EtcdCluster::kill_member`] and [`EtcdCluster::leader`]
//! for failover tests.
//!
//! The etcd binary is `/usr/bin/etcd`, or the path in `CALICO_TEST_ETCD`. When it is missing
//! the tests fail (they never skip) with a message saying to install `etcd-server`.
//!
//! Extension points: [`EtcdOptions`] passes extra flags to every member, and
//! [`EtcdOptions::client_scheme`] makes the client URLs `https`. [`TestPki`] makes a CA, server
//! and client certificates with `openssl`, and [`EtcdOptions::tls`] turns them into a server
//! that requires client certificates; [`EtcdServer::enable_auth`] switches on etcd's
//! username/password authentication with `etcdctl`.
//!
//! [`shared_etcd`] lends one server per test binary, emptied for each test that borrows it,
//! to tests that need an empty etcd but not a new one.
//!
//! [`kube_api::KubeApiServer`] is the stand-in Kubernetes API server (HTTPS, bearer token,
//! get/list/watch/patch of Pods, Namespaces, Nodes and StatefulSets).

pub mod kube_api;

use crate::datastore::etcd::{EtcdConfig, EtcdStore};
use crate::datastore::{KvStore, MAX_TXN_OPS, Txn};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The environment variable naming the etcd binary to run instead of [`DEFAULT_ETCD_BIN`].
pub(crate) const ETCD_BIN_ENV: &str = "CALICO_TEST_ETCD";
/// Where Debian's `etcd-server` package installs etcd.
pub const DEFAULT_ETCD_BIN: &str = "/usr/bin/etcd";
/// Set to keep the temporary directories (data and logs) of test servers after they stop.
pub const KEEP_DIRS_ENV: &str = "CALICO_TEST_KEEP_DIRS";

/// How long a server or cluster may take to answer after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a start is tried with fresh ports when etcd exits at once (e.g. a port was
/// taken between choosing it and etcd binding it).
const START_ATTEMPTS: usize = 3;

/// Everything under `dir` (not following symbolic links), as paths relative to it, sorted:
/// what a test compares to show that a command created no file or directory.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                todo.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The etcd binary tests run: `$CALICO_TEST_ETCD`, else `/usr/bin/etcd`. Panics with an
/// installation hint when it does not exist.
pub(crate) fn etcd_binary() -> PathBuf {
    locate_etcd(std::env::var_os(ETCD_BIN_ENV))
}

fn locate_etcd(from_env: Option<std::ffi::OsString>) -> PathBuf {
    let path = from_env
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ETCD_BIN));
    assert!(
        path.is_file(),
        "etcd not found at {}: the etcd tests need a real etcd server. Install it with \
         `apt-get install etcd-server` (or set {ETCD_BIN_ENV} to an etcd binary).",
        path.display()
    );
    path
}

/// A directory under the system's temporary directory, removed (with its contents) on drop.
#[derive(Debug)]
pub struct TestDir {
    path: PathBuf,
}

impl TestDir {
    /// Creates a new, empty, uniquely named directory whose name starts with `prefix`.
    pub fn new(prefix: &str) -> TestDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("{prefix}-{}-{nanos:09}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return TestDir { path },
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create the test directory {}: {e}", path.display()),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::env::var_os(KEEP_DIRS_ENV).is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Options for the etcd processes a test starts.
#[derive(Debug, Clone, Default)]
pub struct EtcdOptions {
    /// Extra command-line flags for every member, e.g. `--auth-token=simple`, or the
    /// `--cert-file`/`--key-file`/`--client-cert-auth` flags of a TLS set-up.
    pub extra_args: Vec<String>,
    /// `https` to serve clients over TLS (the TLS flags go in `extra_args`); `http` when unset.
    pub client_scheme: Option<String>,
    /// The files the harness itself uses to reach a TLS server (readiness checks,
    /// [`EtcdServer::config`]). Without them, a TLS server counts as ready when its port
    /// accepts connections.
    pub client_tls: Option<ClientTls>,
}

/// Client-side TLS files: the CA that signed the server's certificate, and the client's own
/// certificate and key (for servers started with `--client-cert-auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    /// CA bundle trusted for the server's certificate.
    pub ca_cert_file: PathBuf,
    /// Client certificate.
    pub cert_file: Option<PathBuf>,
    /// Client private key.
    pub key_file: Option<PathBuf>,
}

impl EtcdOptions {
    fn scheme(&self) -> &str {
        self.client_scheme.as_deref().unwrap_or("http")
    }

    /// A server that serves clients over TLS with `pki`'s server certificate and accepts only
    /// clients with a certificate signed by `pki`'s CA (`--client-cert-auth`). The harness
    /// reaches it with `pki`'s client certificate.
    pub fn tls(pki: &TestPki) -> EtcdOptions {
        EtcdOptions {
            extra_args: vec![
                format!("--cert-file={}", pki.server_cert.display()),
                format!("--key-file={}", pki.server_key.display()),
                "--client-cert-auth".to_string(),
                format!("--trusted-ca-file={}", pki.ca_cert.display()),
            ],
            client_scheme: Some("https".to_string()),
            client_tls: Some(ClientTls {
                ca_cert_file: pki.ca_cert.clone(),
                cert_file: Some(pki.client_cert.clone()),
                key_file: Some(pki.client_key.clone()),
            }),
        }
    }
}

/// One etcd process of a server or cluster.
#[derive(Debug)]
struct Member {
    name: String,
    client_url: String,
    data_dir: PathBuf,
    log_path: PathBuf,
    /// Flags that do not depend on the run: restarting a member reuses them.
    args: Vec<String>,
    /// What the harness reaches a TLS member with.
    tls: Option<ClientTls>,
    child: Option<Child>,
}

impl Member {
    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", self.log_path.display()));
        let log2 = log
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot reopen {}: {e}", self.log_path.display()));
        let mut command = Command::new(etcd_binary());
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        // etcd reads every ETCD_* variable as a flag; ETCD_CERT_FILE, ETCD_KEY_FILE and friends
        // are also our client's settings, and must not configure the test server.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ETCD") {
                command.env_remove(&name);
            }
        }
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e} (install it with `apt-get install etcd-server`)",
                etcd_binary().display()
            )
        });
        self.child = Some(child);
    }

    /// Kills the process and waits for it; no-op when not running.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `Some(status)` when the process exited by itself.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The last lines of the member's log, for failure messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn config(&self) -> EtcdConfig {
        test_config(vec![self.client_url.clone()], self.tls.as_ref())
    }

    fn etcdctl(&self, user: Option<&str>, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(etcdctl_binary());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ETCD") {
                command.env_remove(&name);
            }
        }
        command
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.client_url))
            .arg("--dial-timeout=5s")
            .arg("--command-timeout=10s");
        if let Some(tls) = &self.tls {
            command.arg(format!("--cacert={}", tls.ca_cert_file.display()));
            if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
                command
                    .arg(format!("--cert={}", cert.display()))
                    .arg(format!("--key={}", key.display()));
            }
        }
        if let Some(user) = user {
            command.arg(format!("--user={user}"));
        }
        command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", etcdctl_binary().display()))
    }

    fn etcdctl_ok(&self, user: Option<&str>, args: &[&str]) -> String {
        let out = self.etcdctl(user, args);
        assert!(
            out.status.success(),
            "etcdctl {} failed ({}): {}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn enable_auth(&self, root_password: &str) {
        self.etcdctl_ok(
            None,
            &[
                "user",
                "add",
                &format!("root:{root_password}"),
                "--interactive=false",
            ],
        );
        self.etcdctl_ok(None, &["auth", "enable"]);
    }
}

fn test_config(endpoints: Vec<String>, tls: Option<&ClientTls>) -> EtcdConfig {
    EtcdConfig {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        ca_cert_file: tls.map(|t| t.ca_cert_file.clone()),
        cert_file: tls.and_then(|t| t.cert_file.clone()),
        key_file: tls.and_then(|t| t.key_file.clone()),
        ..EtcdConfig::new(endpoints)
    }
}

/// Two free ports on 127.0.0.1 per member (client, peer). The listeners are held until all
/// ports are chosen, so they are distinct; another process may still take one before etcd
/// binds it, which the start-up retries cover.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<_> = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local address").port())
        .collect()
}

/// Builds the members of a new cluster of `size` under `dir`.
fn plan_members(dir: &Path, size: usize, options: &EtcdOptions) -> Vec<Member> {
    let ports = free_ports(2 * size);
    let token = dir.file_name().map_or_else(
        || "calico-test".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let members: Vec<(String, String, String)> = (0..size)
        .map(|i| {
            (
                format!("member-{i}"),
                format!("{}://127.0.0.1:{}", options.scheme(), ports[2 * i]),
                format!("http://127.0.0.1:{}", ports[2 * i + 1]),
            )
        })
        .collect();
    let initial_cluster = members
        .iter()
        .map(|(name, _, peer)| format!("{name}={peer}"))
        .collect::<Vec<_>>()
        .join(",");
    members
        .into_iter()
        .map(|(name, client_url, peer_url)| {
            let data_dir = dir.join(&name);
            let log_path = dir.join(format!("{name}.log"));
            let mut args = vec![
                format!("--name={name}"),
                format!("--data-dir={}", data_dir.display()),
                format!("--listen-client-urls={client_url}"),
                format!("--advertise-client-urls={client_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster={initial_cluster}"),
                "--initial-cluster-state=new".to_string(),
                format!("--initial-cluster-token={token}"),
                "--logger=zap".to_string(),
                "--log-outputs=stderr".to_string(),
            ];
            args.extend(options.extra_args.iter().cloned());
            Member {
                name,
                client_url,
                data_dir,
                log_path,
                args,
                tls: options.client_tls.clone(),
                child: None,
            }
        })
        .collect()
}

/// Waits until every running member answers a linearizable read (which needs a leader).
/// `Err` with a description when a member exited or the time ran out.
fn wait_until_ready(members: &mut [Member], options: &EtcdOptions) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    for i in 0..members.len() {
        if !members[i].is_running() {
            continue;
        }
        let addr = members[i]
            .client_url
            .rsplit('/')
            .next()
            .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
            .expect("client URL ends with an address");
        let mut last_error = String::from("no answer yet");
        loop {
            for m in members.iter_mut() {
                if let Some(status) = m.exited() {
                    return Err(format!(
                        "etcd {} exited at start-up ({status}); its log ends with:\n{}",
                        m.name,
                        m.log_tail()
                    ));
                }
            }
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                // A port that accepts is not yet a server that answers: do a real read (over
                // TLS when the options say how; otherwise a TLS port that accepts counts).
                if options.scheme() != "http" && options.client_tls.is_none() {
                    break;
                }
                match EtcdStore::connect(&members[i].config()).and_then(|s| s.get("/")) {
                    Ok(_) => break,
                    // With authentication enabled, a refusal for want of credentials is an
                    // answer: the server is up and has a leader.
                    Err(e) if e.to_string().contains("user name is empty") => break,
                    Err(e) => last_error = e.to_string(),
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "etcd {} did not answer within {START_TIMEOUT:?} (last error: {last_error}); \
                     its log ends with:\n{}",
                    members[i].name,
                    members[i].log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// Starts a cluster of `size` members, retrying with fresh ports when start-up fails.
fn start_members(dir: &TestDir, size: usize, options: &EtcdOptions) -> Vec<Member> {
    let mut failures = Vec::new();
    for attempt in 0..START_ATTEMPTS {
        let sub = dir.path().join(format!("attempt-{attempt}"));
        std::fs::create_dir_all(&sub)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", sub.display()));
        let mut members = plan_members(&sub, size, options);
        for m in &mut members {
            m.spawn();
        }
        match wait_until_ready(&mut members, options) {
            Ok(()) => return members,
            Err(e) => {
                for m in &mut members {
                    m.kill();
                }
                failures.push(e);
            }
        }
    }
    panic!(
        "could not start etcd ({} attempts):\n{}",
        START_ATTEMPTS,
        failures.join("\n---\n")
    );
}

/// The `etcdctl` binary (Debian's `etcd-client`): `/usr/bin/etcdctl`, or `$CALICO_TEST_ETCDCTL`.
/// Panics with an installation hint when it does not exist.
pub(crate) fn etcdctl_binary() -> PathBuf {
    let path = std::env::var_os("CALICO_TEST_ETCDCTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/etcdctl"));
    assert!(
        path.is_file(),
        "etcdctl not found at {}: the etcd authentication tests need it. Install it with \
         `apt-get install etcd-client` (or set CALICO_TEST_ETCDCTL).",
        path.display()
    );
    path
}

/// The `openssl` command-line tool. Panics with an installation hint when it cannot run.
pub(crate) fn openssl_binary() -> PathBuf {
    let candidates = [PathBuf::from("/usr/bin/openssl"), PathBuf::from("openssl")];
    for c in candidates {
        if Command::new(&c)
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return c;
        }
    }
    panic!(
        "openssl not found: the TLS tests make their certificates with it. Install it with \
         `apt-get install openssl`."
    );
}

/// A throw-away public-key infrastructure made with `openssl` in a temporary directory: a CA,
/// a server certificate for `127.0.0.1`/`localhost`, a client certificate, and a second,
/// unrelated ("rogue") CA with a client certificate of its own, for the failure cases. Keys are
/// ECDSA P-256, certificates valid for two days. Removed on drop.
#[derive(Debug)]
pub struct TestPki {
    /// The CA's certificate.
    pub ca_cert: PathBuf,
    /// The server's certificate (SAN `IP:127.0.0.1`, `DNS:localhost`).
    pub(crate) server_cert: PathBuf,
    /// The server's key.
    pub server_key: PathBuf,
    /// A client certificate signed by the CA.
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
    /// Another CA, which signed nothing the server knows.
    pub rogue_ca_cert: PathBuf,
    /// A client certificate signed by the rogue CA.
    pub rogue_client_cert: PathBuf,
    /// Its key.
    pub rogue_client_key: PathBuf,
    dir: TestDir,
}

impl TestPki {
    /// Makes every file; panics with openssl's output when a step fails.
    pub fn generate() -> TestPki {
        let openssl = openssl_binary();
        let dir = TestDir::new("calico-pki");
        let d = dir.path().to_path_buf();
        let run = |args: &[&str]| {
            let out = Command::new(&openssl)
                .args(args)
                .current_dir(&d)
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run openssl: {e}"));
            assert!(
                out.status.success(),
                "openssl {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let make_ca = |name: &str| {
            let mut args = vec!["req", "-x509"];
            args.extend(ec);
            let (key, cert, subj) = (
                format!("{name}.key"),
                format!("{name}.pem"),
                format!("/CN=calico-test-{name}"),
            );
            args.extend(["-keyout", &key, "-out", &cert, "-days", "2", "-subj", &subj]);
            run(&args);
        };
        make_ca("ca");
        make_ca("rogue-ca");
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n\
             basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n",
        )
        .expect("write server.ext");
        std::fs::write(
            d.join("client.ext"),
            "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\n",
        )
        .expect("write client.ext");
        let make_cert = |name: &str, cn: &str, ca: &str, ext: &str| {
            let (key, csr, cert, subj) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
                format!("/CN={cn}"),
            );
            let mut args = vec!["req"];
            args.extend(ec);
            args.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
            run(&args);
            let (ca_cert, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca_cert,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                &cert,
                "-days",
                "2",
                "-extfile",
                ext,
            ]);
        };
        make_cert("server", "127.0.0.1", "ca", "server.ext");
        make_cert("client", "calico-client", "ca", "client.ext");
        make_cert("rogue-client", "calico-client", "rogue-ca", "client.ext");
        TestPki {
            ca_cert: d.join("ca.pem"),
            server_cert: d.join("server.pem"),
            server_key: d.join("server.key"),
            client_cert: d.join("client.pem"),
            client_key: d.join("client.key"),
            rogue_ca_cert: d.join("rogue-ca.pem"),
            rogue_client_cert: d.join("rogue-client.pem"),
            rogue_client_key: d.join("rogue-client.key"),
            dir,
        }
    }

    /// The directory holding every file.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// One etcd server on loopback, killed (and its data removed) on drop.
///
/// ```no_run
/// use calico::datastore::KvStore;
/// use calico::testing::EtcdServer;
/// let etcd = EtcdServer::start();
/// let store = etcd.store();
/// assert_eq!(store.revision().unwrap(), 1);
/// ```
#[derive(Debug)]
pub struct EtcdServer {
    member: Member,
    // Declared after the member: the process is killed before its directory is removed.
    dir: TestDir,
}

impl EtcdServer {
    /// Starts a single-member etcd on free ports and waits until it answers.
    ///
    /// Panics (failing the test) when etcd is not installed or does not come up.
    pub fn start() -> EtcdServer {
        EtcdServer::start_with(&EtcdOptions::default())
    }

    /// Starts a single-member etcd with extra options.
    pub fn start_with(options: &EtcdOptions) -> EtcdServer {
        let dir = TestDir::new("calico-etcd");
        let member = start_members(&dir, 1, options).pop().expect("one member");
        EtcdServer { member, dir }
    }

    /// The client URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.member.client_url.clone()
    }

    /// A configuration reaching this server (short timeouts, fit for tests).
    pub fn config(&self) -> EtcdConfig {
        self.member.config()
    }

    /// A new connection to this server.
    pub fn store(&self) -> EtcdStore {
        EtcdStore::connect(&self.config()).expect("connect to the test etcd")
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.member.data_dir
    }

    /// The directory holding the data directory and the log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.member.child.as_ref().map(Child::id)
    }

    /// Runs `etcdctl` (API v3) against this server with `args`, as `user` (`name:password`)
    /// when given, over TLS with the harness's client files when the server uses TLS.
    pub fn etcdctl(&self, user: Option<&str>, args: &[&str]) -> std::process::Output {
        self.member.etcdctl(user, args)
    }

    /// Like [`EtcdServer::etcdctl`], panicking with etcdctl's output when it fails.
    pub(crate) fn etcdctl_ok(&self, user: Option<&str>, args: &[&str]) -> String {
        self.member.etcdctl_ok(user, args)
    }

    /// Switches on etcd's authentication: creates `root` with `root_password` and enables auth
    /// (etcdctl creates the root role and grants it on the way). From then on every request
    /// needs credentials; the harness's [`EtcdServer::store`] no longer works, use
    /// [`EtcdServer::config_as`].
    pub fn enable_auth(&self, root_password: &str) {
        self.member.enable_auth(root_password);
    }

    /// Adds `user` with `password` and a role of the same name that may read and write every
    /// key under `prefix` (run after [`EtcdServer::enable_auth`], as root).
    pub fn add_user(&self, root_password: &str, user: &str, password: &str, prefix: &str) {
        let root = format!("root:{root_password}");
        self.etcdctl_ok(
            Some(&root),
            &[
                "user",
                "add",
                &format!("{user}:{password}"),
                "--interactive=false",
            ],
        );
        self.etcdctl_ok(Some(&root), &["role", "add", user]);
        self.etcdctl_ok(
            Some(&root),
            &[
                "role",
                "grant-permission",
                user,
                "--prefix=true",
                "readwrite",
                prefix,
            ],
        );
        self.etcdctl_ok(Some(&root), &["user", "grant-role", user, user]);
    }

    /// A configuration reaching this server as `user` with `password`.
    pub fn config_as(&self, user: &str, password: &str) -> EtcdConfig {
        EtcdConfig {
            username: Some(user.to_string()),
            password: Some(password.to_string()),
            ..self.config()
        }
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        self.member.kill();
    }
}

/// A cluster of etcd members on loopback, all killed (and their data removed) on drop.
#[derive(Debug)]
pub struct EtcdCluster {
    members: Vec<Member>,
    options: EtcdOptions,
    dir: TestDir,
}

impl EtcdCluster {
    /// Starts `size` members as one new cluster and waits until each answers a linearizable
    /// read (so a leader has been elected).
    pub fn start(size: usize) -> EtcdCluster {
        EtcdCluster::start_with(size, &EtcdOptions::default())
    }

    /// Starts a cluster with extra options.
    pub fn start_with(size: usize, options: &EtcdOptions) -> EtcdCluster {
        assert!(size > 0, "a cluster needs at least one member");
        let dir = TestDir::new("calico-etcd-cluster");
        let members = start_members(&dir, size, options);
        EtcdCluster {
            members,
            options: options.clone(),
            dir,
        }
    }

    /// How many members the cluster was started with (running or not).
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// Every member's client URL, in member order.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client_url.clone()).collect()
    }

    /// Member `i`'s client URL.
    pub fn endpoint(&self, i: usize) -> String {
        self.members[i].client_url.clone()
    }

    /// A configuration listing every member.
    pub fn config(&self) -> EtcdConfig {
        test_config(self.endpoints(), self.options.client_tls.as_ref())
    }

    /// A configuration reaching member `i` only.
    pub fn member_config(&self, i: usize) -> EtcdConfig {
        self.members[i].config()
    }

    /// Whether member `i` is running.
    #[cfg(test)]
    pub(crate) fn is_running(&self, i: usize) -> bool {
        self.members[i].is_running()
    }

    /// Kills member `i` (SIGKILL) and waits for it to exit.
    pub fn kill_member(&mut self, i: usize) {
        self.members[i].kill();
    }

    /// Starts member `i` again on its old ports and data, after [`EtcdCluster::kill_member`],
    /// and waits until it answers.
    pub fn restart_member(&mut self, i: usize) {
        assert!(!self.members[i].is_running(), "member {i} is running");
        self.members[i].spawn();
        let options = self.options.clone();
        if let Err(e) = wait_until_ready(std::slice::from_mut(&mut self.members[i]), &options) {
            panic!("member {i} did not come back: {e}");
        }
    }

    /// The index of the current leader, asked of the running members; `None` when none of
    /// them knows one (no quorum).
    pub fn leader(&self) -> Option<usize> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let mut ids = vec![None; self.members.len()];
        let mut leader_id = None;
        for (i, m) in self.members.iter().enumerate() {
            if !m.is_running() {
                continue;
            }
            let status = runtime.block_on(async {
                let options = etcd_client::ConnectOptions::new()
                    .with_connect_timeout(Duration::from_secs(1))
                    .with_timeout(Duration::from_secs(2));
                let mut client =
                    etcd_client::Client::connect([m.client_url.as_str()], Some(options)).await?;
                client.status().await
            });
            if let Ok(status) = status {
                ids[i] = status.header().map(|h| h.member_id());
                if status.leader() != 0 {
                    leader_id = Some(status.leader());
                }
            }
        }
        let leader_id = leader_id?;
        ids.iter().position(|id| *id == Some(leader_id))
    }

    /// Waits up to `timeout` for a running member to be leader, and returns its index.
    pub fn wait_for_leader(&self, timeout: Duration) -> Option<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.leader() {
                return Some(i);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The directory holding every member's data directory and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `etcdctl` against member `i`; see [`EtcdServer::etcdctl`].
    pub fn etcdctl(&self, i: usize, user: Option<&str>, args: &[&str]) -> std::process::Output {
        self.members[i].etcdctl(user, args)
    }

    /// Switches on authentication for the whole cluster (through the first running member);
    /// see [`EtcdServer::enable_auth`].
    pub fn enable_auth(&self, root_password: &str) {
        let m = self
            .members
            .iter()
            .find(|m| m.is_running())
            .expect("a running member");
        m.enable_auth(root_password);
    }

    /// A configuration listing every member, as `user` with `password`.
    pub fn config_as(&self, user: &str, password: &str) -> EtcdConfig {
        EtcdConfig {
            username: Some(user.to_string()),
            password: Some(password.to_string()),
            ..self.config()
        }
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for m in &mut self.members {
            m.kill();
        }
    }
}

/// Holds the write lock of an embedded store's SQLite file (an open `BEGIN IMMEDIATE`
/// transaction on a connection of its own) until dropped, as another process in the middle
/// of a long write would. Readers are not blocked (WAL); writers wait, then fail as busy.
pub struct SqliteWriteLock {
    conn: rusqlite::Connection,
}

impl std::fmt::Debug for SqliteWriteLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriteLock").finish_non_exhaustive()
    }
}

impl SqliteWriteLock {
    /// Takes the lock on the store at `path` (which must exist); panics when it cannot.
    pub fn acquire(path: &Path) -> SqliteWriteLock {
        let conn = rusqlite::Connection::open(path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        conn.busy_timeout(Duration::from_secs(10))
            .and_then(|_| conn.execute_batch("BEGIN IMMEDIATE"))
            .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        SqliteWriteLock { conn }
    }
}

impl Drop for SqliteWriteLock {
    fn drop(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}

/// The test binary's one shared etcd server, started by the first [`shared_etcd`] call.
struct SharedServer {
    server: EtcdServer,
    /// Holds the pipe that keeps the server's [`reaper`] waiting: statics are never dropped,
    /// so the server outlives the tests and the reaper stops it when this process exits.
    _reaper: Child,
}

static SHARED_ETCD: OnceLock<Mutex<SharedServer>> = OnceLock::new();

/// A test's turn on the test binary's shared etcd server (see [`shared_etcd`]); derefs to
/// the server. Other callers of [`shared_etcd`] wait until it is dropped.
pub struct SharedEtcd {
    guard: MutexGuard<'static, SharedServer>,
}

impl std::fmt::Debug for SharedEtcd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedEtcd")
            .field("endpoint", &self.guard.server.endpoint())
            .finish()
    }
}

impl std::ops::Deref for SharedEtcd {
    type Target = EtcdServer;

    fn deref(&self) -> &EtcdServer {
        &self.guard.server
    }
}

/// One etcd server per test binary, for tests that need an empty etcd but not a new one:
/// starting a server takes a second or more, emptying one a few milliseconds.
///
/// The first call starts the server. Each call waits until no other test holds it, then
/// deletes every key, so the holder sees an empty keyspace and no other test's writes while
/// it holds the returned [`SharedEtcd`]. Revisions keep counting across holders: a test
/// that needs revision 1 starts its own [`EtcdServer`]. A holder that panicked leaves the
/// server usable. The server is stopped and its directory removed when the test binary
/// exits (by a [`reaper`] process, as statics are never dropped).
pub fn shared_etcd() -> SharedEtcd {
    let shared = SHARED_ETCD.get_or_init(|| {
        let server = EtcdServer::start();
        let pid = server.pid().expect("a server just started runs");
        let keep = std::env::var_os(KEEP_DIRS_ENV).is_some();
        let reaper = reaper(pid, server.dir(), keep);
        Mutex::new(SharedServer {
            server,
            _reaper: reaper,
        })
    });
    let guard = shared.lock().unwrap_or_else(PoisonError::into_inner);
    delete_every_key(&guard.server.store());
    SharedEtcd { guard }
}

/// Deletes every key of `store`, [`MAX_TXN_OPS`] keys per transaction.
fn delete_every_key(store: &dyn KvStore) {
    let keys = store
        .list_keys("")
        .expect("list the shared etcd's keys")
        .kvs;
    for chunk in keys.chunks(MAX_TXN_OPS) {
        let txn = chunk
            .iter()
            .fold(Txn::new(), |txn, kv| txn.delete(kv.key.as_str()));
        let deleted = store.txn(txn).expect("empty the shared etcd");
        assert!(deleted.succeeded);
    }
}

/// Starts `sh` waiting for the end of its standard input, a pipe whose writing end is the
/// returned child's `stdin` (closed on exec in every other child). When the pipe closes (the
/// handle is dropped, or this process exits however it exits), the shell kills `pid` with
/// SIGTERM, waits (at most about ten seconds) until it is gone, and removes `dir` unless told
/// to `keep` it.
fn reaper(pid: u32, dir: &Path, keep: bool) -> Child {
    const SCRIPT: &str = r#"read _
kill "$1" 2>/dev/null
n=0
while kill -0 "$1" 2>/dev/null && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
[ -n "$3" ] || rm -rf "$2""#;
    Command::new("sh")
        .args(["-c", SCRIPT, "calico-test-reaper", &pid.to_string()])
        .arg(dir)
        .arg(if keep { "keep" } else { "" })
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run sh: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_starts_answers_and_cleans_up() {
        let etcd = EtcdServer::start();
        assert!(etcd.endpoint().starts_with("http://127.0.0.1:"));
        let store = etcd.store();
        assert_eq!(store.revision().unwrap(), 1);
        assert!(
            store
                .txn(Txn::new().put("/k", b"v".to_vec()))
                .unwrap()
                .succeeded
        );
        let pid = etcd.pid().unwrap();
        let dir = etcd.dir().to_path_buf();
        assert!(etcd.data_dir().join("member").is_dir());
        drop(etcd);
        assert!(!dir.exists(), "{} left behind", dir.display());
        // The process is gone (reaped: no zombie left in /proc).
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
        // And the port no longer answers.
        let err = EtcdStore::connect(&store_config_of(&store)).and_then(|s| s.get("/k"));
        assert!(err.is_err());
    }

    fn store_config_of(store: &EtcdStore) -> EtcdConfig {
        let endpoint = store
            .describe()
            .trim_start_matches("etcdv3 (")
            .trim_end_matches(')')
            .to_string();
        EtcdConfig {
            timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            ..EtcdConfig::new([endpoint])
        }
    }

    #[test]
    fn two_servers_are_independent() {
        let a = EtcdServer::start();
        let b = EtcdServer::start();
        assert_ne!(a.endpoint(), b.endpoint());
        a.store()
            .txn(Txn::new().put("/only-a", b"1".to_vec()))
            .unwrap();
        assert!(a.store().get("/only-a").unwrap().is_some());
        assert!(b.store().get("/only-a").unwrap().is_none());
    }

    #[test]
    fn the_shared_server_is_empty_for_each_holder() {
        let (endpoint, written) = {
            let etcd = shared_etcd();
            let store = etcd.store();
            let r = store
                .txn(Txn::new().put("/left/behind", b"x".to_vec()))
                .unwrap();
            assert!(r.succeeded);
            (etcd.endpoint(), r.revision)
        };
        let etcd = shared_etcd();
        assert_eq!(etcd.endpoint(), endpoint, "one server per test binary");
        let store = etcd.store();
        assert!(store.list("").unwrap().kvs.is_empty());
        // Emptying it is a write: revisions count on across holders.
        assert!(store.revision().unwrap() > written);
    }

    #[test]
    fn a_panicking_holder_leaves_the_shared_server_usable() {
        let panicked = std::thread::spawn(|| {
            let etcd = shared_etcd();
            etcd.store()
                .txn(Txn::new().put("/from/a/panic", b"x".to_vec()))
                .unwrap();
            panic!("a failing test");
        })
        .join();
        assert!(panicked.is_err());
        let etcd = shared_etcd();
        assert_eq!(etcd.store().get("/from/a/panic").unwrap(), None);
    }

    #[test]
    fn a_reaper_stops_its_process_and_removes_its_directory_when_its_pipe_closes() {
        let dir = TestDir::new("calico-reaper");
        std::fs::write(dir.path().join("data"), b"x").unwrap();
        let mut process = Command::new("sleep").arg("60").spawn().unwrap();
        let mut reaper = reaper(process.id(), dir.path(), false);
        std::thread::sleep(Duration::from_millis(100));
        assert!(process.try_wait().unwrap().is_none(), "killed too early");
        assert!(dir.path().exists());
        drop(reaper.stdin.take());
        let status = process.wait().unwrap();
        assert!(!status.success(), "{status}");
        assert!(reaper.wait().unwrap().success());
        assert!(!dir.path().exists(), "{} left behind", dir.path().display());
    }

    #[test]
    fn a_missing_binary_fails_loudly() {
        let panic = std::panic::catch_unwind(|| locate_etcd(Some("/nonexistent/etcd".into())))
            .expect_err("a missing etcd must fail the test");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("/nonexistent/etcd"), "{message}");
        assert!(message.contains("apt-get install etcd-server"), "{message}");
        // Without the variable, the installed binary is found.
        assert_eq!(locate_etcd(None), PathBuf::from(DEFAULT_ETCD_BIN));
    }

    #[test]
    fn three_member_cluster_survives_losing_its_leader() {
        let mut cluster = EtcdCluster::start(3);
        assert_eq!(cluster.endpoints().len(), 3);
        let store = EtcdStore::connect(&cluster.config()).unwrap();
        assert!(
            store
                .txn(Txn::new().put("/k", b"1".to_vec()))
                .unwrap()
                .succeeded
        );
        let leader = cluster
            .wait_for_leader(Duration::from_secs(10))
            .expect("a leader");
        cluster.kill_member(leader);
        assert!(!cluster.is_running(leader));
        let new_leader = cluster
            .wait_for_leader(Duration::from_secs(20))
            .expect("a new leader after the old one died");
        assert_ne!(new_leader, leader);
        // The survivors still serve reads and writes.
        let survivor = EtcdStore::connect(&cluster.member_config(new_leader)).unwrap();
        assert_eq!(survivor.get("/k").unwrap().unwrap().value, b"1");
        assert!(
            survivor
                .txn(Txn::new().put("/k", b"2".to_vec()))
                .unwrap()
                .succeeded
        );
        cluster.restart_member(leader);
        let back = EtcdStore::connect(&cluster.member_config(leader)).unwrap();
        assert_eq!(back.get("/k").unwrap().unwrap().value, b"2");
    }
}
