//! Network namespaces for tests, cleaned up on drop (also when a test panics).
//!
//! Every namespace is named `calico-t-<test>-<pid>-<n>-<role>`, so parallel tests and
//! concurrent runs never collide, and namespaces left behind by a killed run (whose pid is
//! gone) are removed the next time a namespace is made. All commands address a namespace
//! explicitly (`ip -n <ns>` / `ip netns exec <ns>`), and veth pairs are created directly
//! inside their namespaces: nothing here ever touches the machine's own (root) network
//! namespace, its interfaces, routes, sysctls or nftables rules.
//!
//! Tests that need this must run as root with iproute2's `ip netns`; otherwise
//! [`require_root`] fails the test with the reason. They never skip silently.
#![allow(dead_code)] // shared with benches/node.rs, which uses a part of it

use std::process::{Command, Output, Stdio};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

const PREFIX: &str = "calico-t-";

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SWEEP: Once = Once::new();

/// This process's effective uid, from `/proc/self/status`.
pub(crate) fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Fails the calling test unless it runs as root and `ip netns` works.
pub(crate) fn require_root(test: &str) {
    match effective_uid() {
        Some(0) => {}
        Some(uid) => panic!(
            "{test}: needs root to create network namespaces (running as uid {uid}); \
             run the tests as root (CI does)"
        ),
        None => panic!("{test}: cannot read the effective uid from /proc/self/status"),
    }
    match Command::new("ip").args(["netns", "list"]).output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "{test}: `ip netns list` failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!("{test}: cannot run `ip` (install iproute2): {e}"),
    }
}

/// Runs a command, returning its output (never panics).
pub(crate) fn output(argv: &[&str]) -> Output {
    Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", argv.join(" ")))
}

/// Runs a command; panics with its stderr when it fails; returns its stdout.
pub(crate) fn run(argv: &[&str]) -> String {
    let o = output(argv);
    assert!(
        o.status.success(),
        "`{}` failed ({}): {}{}",
        argv.join(" "),
        o.status,
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Removes namespaces of earlier runs whose process is gone.
fn sweep_stale() {
    let Ok(list) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&list.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        // <test>-<pid>-<n>-<role>: the pid is the third field from the end.
        let fields: Vec<&str> = rest.rsplitn(4, '-').collect();
        let Some(pid) = fields.get(2).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = output(&["ip", "netns", "del", name]);
        }
    }
}

/// A named network namespace, deleted (with every interface in it) on drop.
pub(crate) struct Netns {
    name: String,
}

impl Netns {
    /// Creates `calico-t-<test>-<pid>-<n>-<role>` with its loopback up.
    pub(crate) fn new(test: &str, role: &str) -> Netns {
        SWEEP.call_once(sweep_stale);
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        };
        let name = format!(
            "{PREFIX}{}-{}-{}-{}",
            clean(test),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            clean(role)
        );
        run(&["ip", "netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// The namespace's name (for `ip netns exec`, `--netns`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    fn exec_argv<'a>(&'a self, argv: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["ip", "netns", "exec", self.name.as_str()];
        v.extend_from_slice(argv);
        v
    }

    /// Runs a command inside the namespace; returns its output whatever the status.
    pub(crate) fn output(&self, argv: &[&str]) -> Output {
        output(&self.exec_argv(argv))
    }

    /// Runs a command inside the namespace; panics when it fails; returns stdout.
    pub(crate) fn run(&self, argv: &[&str]) -> String {
        run(&self.exec_argv(argv))
    }

    /// `ip -n <ns> <args>`; panics when it fails.
    pub(crate) fn ip(&self, args: &[&str]) -> String {
        let mut v = vec!["ip", "-n", self.name.as_str()];
        v.extend_from_slice(args);
        run(&v)
    }

    /// Adds an address (`10.0.0.1/24`) to an interface.
    pub(crate) fn addr(&self, dev: &str, cidr: &str) {
        self.ip(&["addr", "add", cidr, "dev", dev]);
    }

    /// Adds a route: `route(&["default", "via", "10.0.0.1"])`.
    pub(crate) fn route(&self, spec: &[&str]) {
        let mut v = vec!["route", "add"];
        v.extend_from_slice(spec);
        self.ip(&v);
    }

    /// Sets a sysctl inside the namespace (`net.ipv4.ip_forward`, `1`).
    pub(crate) fn sysctl(&self, key: &str, value: &str) {
        self.run(&["sysctl", "-q", "-w", &format!("{key}={value}")]);
        let now = self.run(&["sysctl", "-n", key]);
        assert_eq!(now.trim(), value, "sysctl {key} in {}", self.name);
    }

    /// True when `ping -c 1 -W 2 <addr>` from this namespace gets an answer.
    pub(crate) fn ping(&self, addr: &str) -> bool {
        self.output(&["ping", "-n", "-q", "-c", "1", "-W", "2", addr])
            .status
            .success()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let o = output(&["ip", "netns", "del", &self.name]);
        if !o.status.success() {
            eprintln!(
                "warning: could not delete network namespace {}: {}",
                self.name,
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
    }
}

/// Connects two namespaces with a veth pair (`a_if` in `a`, `b_if` in `b`), both ends up.
/// The pair is created inside `a` and its peer placed straight into `b`.
pub(crate) fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    a.ip(&[
        "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", &b.name,
    ]);
    a.ip(&["link", "set", a_if, "up"]);
    b.ip(&["link", "set", b_if, "up"]);
}

#[test]
fn netns_harness_isolates_and_cleans_up() {
    require_root("netns harness");
    let name;
    {
        let a = Netns::new("harness", "a");
        let b = Netns::new("harness", "b");
        name = a.name().to_string();
        veth(&a, "eth0", &b, "eth0");
        a.addr("eth0", "198.51.100.1/24");
        b.addr("eth0", "198.51.100.2/24");
        a.sysctl("net.ipv4.ip_forward", "1");
        assert!(a.ping("198.51.100.2"), "veth pair does not carry traffic");
        // The namespaces' addresses exist only inside them.
        assert!(!run(&["ip", "-o", "addr"]).contains("198.51.100."));
        assert!(run(&["ip", "netns", "list"]).contains(&name));
    }
    assert!(
        !run(&["ip", "netns", "list"]).contains(&name),
        "namespace {name} left behind"
    );
    // Cleaned up on panic, too.
    let leaked = std::panic::catch_unwind(|| {
        let n = Netns::new("harness", "panics");
        let name = n.name().to_string();
        std::panic::panic_any(name);
    })
    .unwrap_err();
    let name = leaked.downcast_ref::<String>().unwrap();
    assert!(!run(&["ip", "netns", "list"]).contains(name.as_str()));
}
