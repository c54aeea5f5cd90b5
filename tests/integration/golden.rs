//! Golden CLI cases: `testdata/cmd/<case>/script` run against a fresh datastore.
//!
//! A script is a sequence of commands, each followed by its expected output:
//!
//! ```text
//! # a comment
//! $ calicoctl create -f pool.yaml
//! | Successfully created 1 'IPPool' resource(s)
//! $ calicoctl get ippool missing
//! ! resource does not exist: IPPool(missing) with error: <nil>
//! ? 1
//! ```
//!
//! `| ` lines are stdout, `! ` lines stderr (each exactly, trailing spaces included; a bare
//! `|` or `!` is an empty line), `? N` the exit status (0 when absent). `[..]` in an expected
//! line matches any text within that line. `$ cmd < file` feeds a file on stdin, and leading
//! `NAME=value` words set environment variables for that one command
//! (`$ CNI_COMMAND=ADD calico-ipam < net.json`). Other files in the case directory are copied
//! next to the datastore and are visible to the commands.
//!
//! `GOLDEN=overwrite cargo test --test integration golden` rewrites the expectations from the
//! actual output (review the diff before committing).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Gives a case an empty datastore; returns extra environment for its commands and a guard
/// that keeps the datastore alive for the case (e.g. a running etcd).
pub(crate) type Reset = Box<dyn Fn(&Path) -> (Vec<(String, String)>, Box<dyn std::any::Any>)>;

/// One backend to run the cases against: extra environment for every command.
pub(crate) struct Backend {
    pub name: &'static str,
    pub env: Vec<(String, String)>,
    /// Called before each case to give it an empty datastore.
    pub reset: Reset,
}

struct Step {
    command: String,
    stdout: Vec<String>,
    stderr: Vec<String>,
    status: i32,
    /// Comment lines that preceded the command (kept on overwrite).
    preamble: Vec<String>,
}

fn parse_script(text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut preamble = Vec::new();
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: cmd.to_string(),
                stdout: vec![],
                stderr: vec![],
                status: 0,
                preamble: std::mem::take(&mut preamble),
            });
            continue;
        }
        let Some(step) = steps.last_mut() else {
            preamble.push(line.to_string());
            continue;
        };
        if line == "|" {
            step.stdout.push(String::new());
        } else if let Some(l) = line.strip_prefix("| ") {
            step.stdout.push(l.to_string());
        } else if line == "!" {
            step.stderr.push(String::new());
        } else if let Some(l) = line.strip_prefix("! ") {
            step.stderr.push(l.to_string());
        } else if let Some(s) = line.strip_prefix("? ") {
            step.status = s.trim().parse().expect("exit status in golden script");
        } else {
            preamble.push(line.to_string());
        }
    }
    // Trailing comments belong to no step; keep them on the last one's preamble is wrong, so
    // they are simply dropped by overwrite (scripts end with a step).
    steps
}

/// Splits a command line into words: whitespace-separated, with '...' and "..." quoting.
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    cur.push(q);
                }
            }
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

pub(crate) fn line_matches(expected: &str, actual: &str) -> bool {
    if !expected.contains("[..]") {
        return expected == actual;
    }
    let parts: Vec<&str> = expected.split("[..]").collect();
    let mut rest = actual;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

pub(crate) fn lines_match(expected: &[String], actual: &[String]) -> bool {
    expected.len() == actual.len() && expected.iter().zip(actual).all(|(e, a)| line_matches(e, a))
}

/// The output's lines, byte for byte: a byte that is not UTF-8 is written `\xNN`, so it
/// matches only an expectation that spells it so (a lossy conversion would let any invalid
/// byte match U+FFFD).
fn to_lines(bytes: &[u8]) -> Vec<String> {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for b in chunk.invalid() {
            text.push_str(&format!("\\x{b:02x}"));
        }
    }
    if text.is_empty() {
        return vec![];
    }
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    if text.ends_with('\n') {
        lines.pop();
    } else if let Some(last) = lines.last_mut() {
        // A missing final newline is made visible.
        last.push('⏎');
    }
    lines
}

fn bin(name: &str) -> Option<PathBuf> {
    match name {
        "calicoctl" => Some(PathBuf::from(env!("CARGO_BIN_EXE_calicoctl"))),
        "calico-ipam" => Some(PathBuf::from(env!("CARGO_BIN_EXE_calico-ipam"))),
        "calico-node" => Some(PathBuf::from(env!("CARGO_BIN_EXE_calico-node"))),
        // Debian's kubectl, for the walkthrough's Kubernetes section (its stand-in API server).
        "kubectl" => Some(PathBuf::from("/usr/bin/kubectl")),
        "calico-kube-controllers" => {
            Some(PathBuf::from(env!("CARGO_BIN_EXE_calico-kube-controllers")))
        }
        _ => None,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&e.path(), &dest);
        } else if e.file_name() != "script" {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Runs one script command line in `dir` with `env` (plus the command's own `NAME=value`
/// prefixes and `< file` stdin); returns stdout lines, stderr lines and the exit status.
pub(crate) fn run_command(
    context: &str,
    command: &str,
    dir: &Path,
    env: &[(String, String)],
) -> (Vec<String>, Vec<String>, i32) {
    let (cmdline, stdin_file) = match command.split_once(" < ") {
        Some((c, f)) => (c.to_string(), Some(f.trim().to_string())),
        None => (command.to_string(), None),
    };
    let mut words = split_words(&cmdline);
    // Leading `NAME=value` words set environment variables for this command.
    let mut step_env = Vec::new();
    while let Some((k, v)) = words.first().and_then(|w| w.split_once('=')) {
        let is_name = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !is_name {
            break;
        }
        step_env.push((k.to_string(), v.to_string()));
        words.remove(0);
    }
    let program =
        bin(&words[0]).unwrap_or_else(|| panic!("{context}: unknown program {}", words[0]));
    let mut cmd = Command::new(program);
    cmd.args(&words[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("CALICO_TEST_NOW", "1787392800")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env.iter().chain(step_env.iter()) {
        cmd.env(k, v);
    }
    match &stdin_file {
        Some(f) => {
            cmd.stdin(std::fs::File::open(dir.join(f)).unwrap());
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    let out = cmd.output().unwrap();
    (
        to_lines(&out.stdout),
        to_lines(&out.stderr),
        out.status.code().unwrap_or(-1),
    )
}

/// The directory of the golden cases.
fn cases_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cmd")
}

/// Every case directory under `testdata/cmd` (those with a `script`), sorted.
fn case_names() -> Vec<String> {
    let root = cases_root();
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("testdata/cmd exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("script").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// Runs the case `testdata/cmd/<name>` against `backend`; returns its failure, if any.
pub(crate) fn run_case(backend: &Backend, name: &str) -> Option<String> {
    let overwrite = std::env::var("GOLDEN").as_deref() == Ok("overwrite");
    let case = cases_root().join(name);
    let script_path = case.join("script");
    let text = std::fs::read_to_string(&script_path)
        .unwrap_or_else(|e| panic!("{}: {e}", script_path.display()));
    let mut steps = parse_script(&text);
    let sandbox = tempfile::tempdir().unwrap();
    copy_dir(&case, sandbox.path());
    let (case_env, _guard) = (backend.reset)(sandbox.path());
    let mut changed = false;
    let mut failure = None;
    for step in &mut steps {
        let env: Vec<(String, String)> =
            backend.env.iter().chain(case_env.iter()).cloned().collect();
        let (stdout, stderr, status) = run_command(name, &step.command, sandbox.path(), &env);
        let ok = lines_match(&step.stdout, &stdout)
            && lines_match(&step.stderr, &stderr)
            && status == step.status;
        if !ok {
            if overwrite {
                step.stdout = stdout;
                step.stderr = stderr;
                step.status = status;
                changed = true;
            } else {
                failure = Some(format!(
                    "[{}] {name}: `{}`\n--- expected stdout\n{}\n--- actual stdout\n{}\n--- expected stderr\n{}\n--- actual stderr\n{}\n--- status expected {} actual {}",
                    backend.name,
                    step.command,
                    step.stdout.join("\n"),
                    stdout.join("\n"),
                    step.stderr.join("\n"),
                    stderr.join("\n"),
                    step.status,
                    status
                ));
                break;
            }
        }
    }
    if changed {
        std::fs::write(&script_path, render_script(&steps)).unwrap();
    }
    failure
}

/// A script's text from its steps (for `GOLDEN=overwrite`).
fn render_script(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        for p in &step.preamble {
            out.push_str(p);
            out.push('\n');
        }
        out.push_str(&format!("$ {}\n", step.command));
        for l in &step.stdout {
            out.push_str(&if l.is_empty() {
                "|\n".to_string()
            } else {
                format!("| {l}\n")
            });
        }
        for l in &step.stderr {
            out.push_str(&if l.is_empty() {
                "!\n".to_string()
            } else {
                format!("! {l}\n")
            });
        }
        if step.status != 0 {
            out.push_str(&format!("? {}\n", step.status));
        }
    }
    out
}

fn assert_clean(failure: Option<String>) {
    if let Some(f) = failure {
        panic!("golden failure:\n\n{f}");
    }
}

fn embedded() -> Backend {
    Backend {
        name: "embedded",
        env: vec![("DATASTORE_TYPE".into(), "embedded".into())],
        reset: Box::new(|dir| {
            let env = vec![(
                "CALICO_DATASTORE_PATH".to_string(),
                dir.join("datastore.db").display().to_string(),
            )];
            (env, Box::new(()))
        }),
    }
}

/// A fresh real etcd per case, so revisions match the embedded store's and one set of
/// expectations serves both.
fn etcd() -> Backend {
    Backend {
        name: "etcd",
        env: vec![("DATASTORE_TYPE".into(), "etcdv3".into())],
        reset: Box::new(|_dir| {
            let etcd = calico::testing::EtcdServer::start();
            let env = vec![("ETCD_ENDPOINTS".to_string(), etcd.endpoint())];
            (env, Box::new(etcd))
        }),
    }
}

/// One test per (backend, case), so one failing case hides no other. `GOLDEN=overwrite`
/// rewrites the expectations from the embedded run only. Adding a case directory means
/// adding its name here; [`every_case_is_listed`] fails until it is.
macro_rules! golden_cases {
    ($($case:ident => $dir:literal,)*) => {
        const LISTED: &[&str] = &[$($dir),*];
        mod embedded {
            $(
                #[test]
                fn $case() {
                    super::assert_clean(super::run_case(&super::embedded(), $dir));
                }
            )*
        }
        mod etcd {
            $(
                #[test]
                fn $case() {
                    if std::env::var("GOLDEN").as_deref() == Ok("overwrite") {
                        return;
                    }
                    super::assert_clean(super::run_case(&super::etcd(), $dir));
                }
            )*
        }
    };
}

golden_cases! {
    apply_replace => "apply-replace",
    bgpconfig => "bgpconfig",
    bgpfilter => "bgpfilter",
    bgppeer => "bgppeer",
    cni => "cni",
    config_errors => "config-errors",
    convert_bgppeer => "convert-bgppeer",
    convert_hostendpoint => "convert-hostendpoint",
    convert_multi => "convert-multi",
    convert_policy => "convert-policy",
    convert_profile => "convert-profile",
    convert_workloadendpoint => "convert-workloadendpoint",
    create_dir => "create-dir",
    create_errors => "create-errors",
    datastore_choice => "datastore-choice",
    delete => "delete",
    delete_node => "delete-node",
    felixconfig => "felixconfig",
    dry_run => "dry-run",
    get_formats => "get-formats",
    get_ippool_wide => "get-ippool-wide",
    hostendpoints => "hostendpoints",
    ipam => "ipam",
    ipam_check => "ipam-check",
    ipam_check_orphan => "ipam-check-orphan",
    ipam_ip => "ipam-ip",
    ipamconfig => "ipamconfig",
    kinds => "kinds",
    kubecontrollersconfig => "kubecontrollersconfig",
    label => "label",
    namespace_errors => "namespace-errors",
    namespaced => "namespaced",
    networksets => "networksets",
    nodestatus => "nodestatus",
    node_cluster => "node-cluster",
    patch => "patch",
    patch_errors => "patch-errors",
    policies => "policies",
    profiles => "profiles",
    reservations => "reservations",
    resource_version => "resource-version",
    staged => "staged",
    staged_k8s => "staged-k8s",
    tiers => "tiers",
    version_convert => "version-convert",
    yaml_types => "yaml-types",
}

#[test]
fn every_case_is_listed() {
    let names = case_names();
    assert!(
        !names.is_empty(),
        "no golden cases found under {}",
        cases_root().display()
    );
    let unlisted: Vec<&String> = names
        .iter()
        .filter(|n| !LISTED.contains(&n.as_str()))
        .collect();
    let missing: Vec<&&str> = LISTED
        .iter()
        .filter(|n| !names.iter().any(|m| m == **n))
        .collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "golden cases not listed in tests/integration/golden.rs: {unlisted:?}; listed but \
         missing under testdata/cmd: {missing:?}"
    );
}

#[test]
fn output_is_compared_byte_for_byte() {
    // A byte that is not UTF-8 shows as itself, not as U+FFFD that any bad byte would match.
    assert_eq!(to_lines(b"a\xffb\nc"), ["a\\xffb", "c⏎"]);
    assert!(!lines_match(
        &["a\u{fffd}b".to_string()],
        &to_lines(b"a\xffb\n")
    ));
    assert!(!lines_match(
        &["a\\xfeb".to_string()],
        &to_lines(b"a\xffb\n")
    ));
    // Trailing spaces count.
    assert!(!lines_match(&["a".to_string()], &to_lines(b"a \n")));
}
