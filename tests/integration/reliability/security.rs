//! Security: etcd with TLS client certificates (made here with openssl) and with
//! username/password authentication both work for calicoctl, calico-ipam and calico-node; a
//! wrong certificate, CA or password gives a clear error; and no secret (password, private
//! key) ever appears in any output, error or log of any of these runs.

use super::{calico_ipam, calico_node, calicoctl, figure, text};
use calico::testing::{EtcdOptions, EtcdServer, TestDir, TestPki};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every output of a test, to be searched for secrets at the end.
#[derive(Default)]
struct Transcript {
    runs: Vec<(String, String)>,
}

impl Transcript {
    fn run(&mut self, label: &str, mut c: Command, stdin: &[u8]) -> (Output, Duration) {
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let t = Instant::now();
        let mut child = c.spawn().expect("spawn");
        let _ = child.stdin.take().unwrap().write_all(stdin);
        let o = child.wait_with_output().expect("wait");
        self.runs.push((label.to_string(), text(&o)));
        (o, t.elapsed())
    }

    fn ok(&mut self, label: &str, c: Command, stdin: &[u8]) -> String {
        let (o, _) = self.run(label, c, stdin);
        assert!(o.status.success(), "{label} failed: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs a command that must fail within `limit`, with a message containing every one of
    /// `needles` (case-insensitive).
    fn fails(&mut self, label: &str, c: Command, stdin: &[u8], needles: &[&str], limit: Duration) {
        let (o, took) = self.run(label, c, stdin);
        let t = text(&o);
        assert!(!o.status.success(), "{label} succeeded: {t}");
        assert!(took <= limit, "{label} took {took:?}: {t}");
        if std::env::var_os("CALICO_SHOW_ERRORS").is_some() {
            figure(&format!("error for {label}: {}", t.trim()));
        }
        let lower = t.to_lowercase();
        for n in needles {
            assert!(
                lower.contains(&n.to_lowercase()),
                "{label}: no {n:?} in: {t}"
            );
        }
    }

    /// No secret in anything printed.
    fn assert_clean(&self, secrets: &[&str]) {
        for (label, out) in &self.runs {
            for s in secrets {
                assert!(!out.contains(s), "{label} printed a secret ({s:?}): {out}");
            }
        }
    }
}

/// The base64 lines of a PEM private key: none of them may ever be printed.
fn key_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_string)
        .collect()
}

fn resources(dir: &Path) -> String {
    let f = dir.join("setup.yaml");
    std::fs::write(
        &f,
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: sec-pool\nspec:\n  cidr: 10.95.0.0/24\n  blockSize: 28\n---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: node-sec\n",
    )
    .unwrap();
    f.display().to_string()
}

fn netconf(fields: serde_json::Value, dir: &Path) -> Vec<u8> {
    let mut v = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": "sec-net",
        "type": "calico",
        "nodename": "node-sec",
        "datastore_type": "etcdv3",
        "ipam_lock_file": dir.join("ipam.lock"),
        "ipam": {"type": "calico-ipam"},
    });
    for (k, val) in fields.as_object().unwrap() {
        v[k] = val.clone();
    }
    serde_json::to_vec(&v).unwrap()
}

fn cni(command: &str, container: &str) -> Command {
    let mut c = calico_ipam();
    c.env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", container)
        .env("CNI_IFNAME", "eth0")
        .env("CNI_NETNS", "/var/run/netns/none")
        .env("CNI_PATH", "/opt/cni/bin")
        .env(
            "CNI_ARGS",
            format!("K8S_POD_NAMESPACE=sec;K8S_POD_NAME=pod-{container}"),
        );
    c
}

const LIMIT: Duration = Duration::from_secs(8);

#[test]
fn security_tls_client_certificates() {
    let pki = TestPki::generate();
    let etcd = EtcdServer::start_with(&EtcdOptions::tls(&pki));
    let endpoint = etcd.endpoint();
    assert!(endpoint.starts_with("https://"), "{endpoint}");
    let dir = TestDir::new("calico-tls");
    let setup = resources(dir.path());
    let p = |p: &Path| p.display().to_string();
    let (ca, cert, key) = (p(&pki.ca_cert), p(&pki.client_cert), p(&pki.client_key));
    let (rogue_ca, rogue_cert, rogue_key) = (
        p(&pki.rogue_ca_cert),
        p(&pki.rogue_client_cert),
        p(&pki.rogue_client_key),
    );
    let ctl = |ca: Option<&str>, cert: Option<&str>, key: Option<&str>, args: &[&str]| {
        let mut c = calicoctl();
        c.env("DATASTORE_TYPE", "etcdv3")
            .env("ETCD_ENDPOINTS", &endpoint)
            .args(["--datastore-timeout", "5"])
            .args(args);
        for (var, v) in [
            ("ETCD_CA_CERT_FILE", ca),
            ("ETCD_CERT_FILE", cert),
            ("ETCD_KEY_FILE", key),
        ] {
            if let Some(v) = v {
                c.env(var, v);
            }
        }
        c
    };
    let good = |args: &[&str]| ctl(Some(&ca), Some(&cert), Some(&key), args);
    let mut t = Transcript::default();

    // The right CA and client certificate: everything works.
    let out = t.ok("create", good(&["create", "-f", &setup]), b"");
    assert!(out.contains("Successfully created 2 resource(s)"), "{out}");
    let out = t.ok("get", good(&["get", "ippools", "-o", "wide"]), b"");
    assert!(out.contains("sec-pool"), "{out}");
    let conf = netconf(
        serde_json::json!({
            "etcd_endpoints": endpoint,
            "etcd_ca_cert_file": ca,
            "etcd_cert_file": cert,
            "etcd_key_file": key,
        }),
        dir.path(),
    );
    let out = t.ok("calico-ipam ADD", cni("ADD", "tls1"), &conf);
    assert!(out.contains("10.95.0."), "{out}");
    let out = t.ok("ipam show", good(&["ipam", "show"]), b"");
    assert!(out.contains("10.95.0.0/24"), "{out}");
    t.ok("ipam check", good(&["ipam", "check"]), b"");
    t.ok("calico-ipam DEL", cni("DEL", "tls1"), &conf);
    // The same through a config file.
    let cfg = dir.path().join("calicoctl.cfg");
    std::fs::write(
        &cfg,
        format!(
            "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: {endpoint}\n  etcdCACertFile: {ca}\n  etcdCertFile: {cert}\n  etcdKeyFile: {key}\n"
        ),
    )
    .unwrap();
    let mut c = calicoctl();
    c.args(["-c", cfg.to_str().unwrap(), "get", "nodes"]);
    let out = t.ok("get -c", c, b"");
    assert!(out.contains("node-sec"), "{out}");
    let mut node = calico_node();
    node.env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", &endpoint)
        .env("ETCD_CA_CERT_FILE", &ca)
        .env("ETCD_CERT_FILE", &cert)
        .env("ETCD_KEY_FILE", &key)
        .args(["--nodename", "node-sec", "--once", "--dry-run"]);
    t.ok("calico-node", node, b"");

    // Wrong CA: the server's certificate is not trusted.
    t.fails(
        "wrong CA",
        ctl(
            Some(&rogue_ca),
            Some(&cert),
            Some(&key),
            &["get", "ippools"],
        ),
        b"",
        &[&endpoint, "certificate"],
        LIMIT,
    );
    // A client certificate from another CA: the server refuses it.
    t.fails(
        "wrong client certificate",
        ctl(
            Some(&ca),
            Some(&rogue_cert),
            Some(&rogue_key),
            &["get", "ippools"],
        ),
        b"",
        &[&endpoint, "certificate"],
        LIMIT,
    );
    // No client certificate: the server requires one.
    t.fails(
        "no client certificate",
        ctl(Some(&ca), None, None, &["get", "ippools"]),
        b"",
        &[&endpoint, "certificate"],
        LIMIT,
    );
    // A certificate with another certificate's key.
    t.fails(
        "mismatched key",
        ctl(
            Some(&ca),
            Some(&cert),
            Some(&rogue_key),
            &["get", "ippools"],
        ),
        b"",
        &[&endpoint],
        LIMIT,
    );
    // A key file that is not a key (it holds a certificate): named, not printed.
    t.fails(
        "key file holds a certificate",
        ctl(Some(&ca), Some(&cert), Some(&ca), &["get", "ippools"]),
        b"",
        &[&endpoint],
        LIMIT,
    );
    // Plain http to a TLS server.
    let plain = endpoint.replace("https://", "http://");
    let mut c = calicoctl();
    c.env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", &plain)
        .args(["--datastore-timeout", "3", "get", "ippools"]);
    t.fails("plain http", c, b"", &[&plain], LIMIT);
    // The CNI plugin with the wrong CA: a CNI error object.
    let bad_conf = netconf(
        serde_json::json!({
            "etcd_endpoints": endpoint,
            "etcd_ca_cert_file": rogue_ca,
            "etcd_cert_file": cert,
            "etcd_key_file": key,
        }),
        dir.path(),
    );
    t.fails(
        "calico-ipam wrong CA",
        cni("ADD", "tls2"),
        &bad_conf,
        &["\"code\"", "certificate"],
        Duration::from_secs(12),
    );

    let mut secrets = key_lines(&pki.client_key);
    secrets.extend(key_lines(&pki.rogue_client_key));
    secrets.extend(key_lines(&pki.server_key));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    t.assert_clean(&secrets);
    t.assert_clean(&["PRIVATE KEY"]);
    figure(&format!(
        "tls: etcd with --client-cert-auth: {} runs of calicoctl, calico-ipam and calico-node \
         (good certificates work; wrong CA, foreign client certificate, no certificate, \
         mismatched key, bad key file and plain http fail clearly); no private key line in any \
         output",
        t.runs.len()
    ));
}

#[test]
fn security_username_and_password() {
    const ROOT_PW: &str = "R00t-pw-7c1e0a";
    const PW: &str = "Calico-s3cret-4b9d";
    const WRONG: &str = "Wr0ng-guess-55aa";
    let etcd = EtcdServer::start();
    etcd.enable_auth(ROOT_PW);
    etcd.add_user(ROOT_PW, "calico", PW, "/calico/");
    let endpoint = etcd.endpoint();
    let dir = TestDir::new("calico-auth");
    let setup = resources(dir.path());
    let ctl = |user: Option<&str>, pw: Option<&str>, args: &[&str]| {
        let mut c = calicoctl();
        c.env("DATASTORE_TYPE", "etcdv3")
            .env("ETCD_ENDPOINTS", &endpoint)
            .args(["--datastore-timeout", "5"])
            .args(args);
        if let Some(u) = user {
            c.env("ETCD_USERNAME", u);
        }
        if let Some(p) = pw {
            c.env("ETCD_PASSWORD", p);
        }
        c
    };
    let mut t = Transcript::default();

    let out = t.ok(
        "create",
        ctl(Some("calico"), Some(PW), &["create", "-f", &setup]),
        b"",
    );
    assert!(out.contains("Successfully created 2 resource(s)"), "{out}");
    let out = t.ok(
        "get",
        ctl(
            Some("calico"),
            Some(PW),
            &["-l", "debug", "get", "ippools", "-o", "yaml"],
        ),
        b"",
    );
    assert!(out.contains("sec-pool"), "{out}");
    let conf = netconf(
        serde_json::json!({"etcd_endpoints": endpoint, "etcd_username": "calico", "etcd_password": PW}),
        dir.path(),
    );
    let out = t.ok("calico-ipam ADD", cni("ADD", "auth1"), &conf);
    assert!(out.contains("10.95.0."), "{out}");
    t.ok(
        "ipam check",
        ctl(Some("calico"), Some(PW), &["ipam", "check"]),
        b"",
    );
    t.ok("calico-ipam DEL", cni("DEL", "auth1"), &conf);
    // The root user works too, through a config file.
    let cfg = dir.path().join("calicoctl.cfg");
    std::fs::write(
        &cfg,
        format!(
            "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: {endpoint}\n  etcdUsername: root\n  etcdPassword: {ROOT_PW}\n"
        ),
    )
    .unwrap();
    let mut c = calicoctl();
    c.args(["-c", cfg.to_str().unwrap(), "get", "nodes"]);
    let out = t.ok("get -c", c, b"");
    assert!(out.contains("node-sec"), "{out}");
    let mut node = calico_node();
    node.env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", &endpoint)
        .env("ETCD_USERNAME", "calico")
        .env("ETCD_PASSWORD", PW)
        .args(["--nodename", "node-sec", "--once", "--dry-run"]);
    t.ok("calico-node", node, b"");

    // Wrong password, unknown user, no credentials: clear errors.
    t.fails(
        "wrong password",
        ctl(Some("calico"), Some(WRONG), &["get", "ippools"]),
        b"",
        &[&endpoint, "authentication failed"],
        LIMIT,
    );
    t.fails(
        "unknown user",
        ctl(Some("mallory"), Some(WRONG), &["get", "ippools"]),
        b"",
        &[&endpoint, "authentication failed"],
        LIMIT,
    );
    t.fails(
        "no credentials",
        ctl(None, None, &["get", "ippools"]),
        b"",
        &[&endpoint, "user name is empty"],
        LIMIT,
    );
    t.fails(
        "password without user",
        ctl(None, Some(WRONG), &["get", "ippools"]),
        b"",
        &["password is set without a username"],
        LIMIT,
    );
    let mut node = calico_node();
    node.env("DATASTORE_TYPE", "etcdv3")
        .env("ETCD_ENDPOINTS", &endpoint)
        .env("ETCD_USERNAME", "calico")
        .env("ETCD_PASSWORD", WRONG)
        .args(["--nodename", "node-sec", "--once", "--dry-run"]);
    t.fails(
        "calico-node wrong password",
        node,
        b"",
        &["authentication failed"],
        LIMIT,
    );
    let bad = netconf(
        serde_json::json!({"etcd_endpoints": endpoint, "etcd_username": "calico", "etcd_password": WRONG}),
        dir.path(),
    );
    t.fails(
        "calico-ipam wrong password",
        cni("ADD", "auth2"),
        &bad,
        &["\"code\"", "authentication failed"],
        Duration::from_secs(12),
    );
    // A password of the wrong type in the network configuration or the config file: the
    // decoding error must not quote it.
    let mut typed: serde_json::Value = serde_json::from_slice(&bad).unwrap();
    typed["etcd_password"] = serde_json::json!(987_654_321_123u64);
    t.fails(
        "calico-ipam password as a number",
        cni("ADD", "auth3"),
        &serde_json::to_vec(&typed).unwrap(),
        &["\"code\"", "netconf"],
        LIMIT,
    );
    typed["etcd_password"] = serde_json::json!([WRONG]);
    t.fails(
        "calico-ipam password as a list",
        cni("ADD", "auth3"),
        &serde_json::to_vec(&typed).unwrap(),
        &["\"code\"", "netconf"],
        LIMIT,
    );
    // calicoctl's YAML conversion makes a number where a string belongs that string: it is
    // the password (a wrong one here). A list is refused. Neither is printed.
    for (label, password, needle) in [
        (
            "config file password as a number",
            "987654321123".to_string(),
            "authentication failed",
        ),
        (
            "config file password as a list",
            format!("[{WRONG}]"),
            "cannot parse array into field CalicoAPIConfigSpec.etcdPassword of type string",
        ),
    ] {
        std::fs::write(
            &cfg,
            format!(
                "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: {endpoint}\n  etcdUsername: root\n  etcdPassword: {password}\n"
            ),
        )
        .unwrap();
        let mut c = calicoctl();
        c.args(["-c", cfg.to_str().unwrap(), "get", "nodes"]);
        t.fails(label, c, b"", &[needle], LIMIT);
    }

    t.assert_clean(&[PW, ROOT_PW, WRONG, "987654321123"]);
    figure(&format!(
        "auth: etcd with authentication (root and a role limited to /calico/): {} runs of \
         calicoctl, calico-ipam and calico-node (right credentials work; wrong password, unknown \
         user, no credentials and badly typed passwords fail clearly); no password in any output",
        t.runs.len()
    ));
}
