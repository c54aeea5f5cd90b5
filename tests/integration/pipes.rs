//! Output into a pipe whose reader has gone (`calicoctl get -o json | head -1`): every program
//! stops as a Go program does, killed by SIGPIPE with nothing on stderr, never a panic or a
//! `Broken pipe` message.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

const POOLS: &str = "apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-a
spec:
  cidr: 10.10.0.0/16
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-b
spec:
  cidr: 10.20.0.0/16
";

const V1_POOL: &str = "apiVersion: v1
kind: ipPool
metadata:
  cidr: 10.30.0.0/16
";

fn bin(name: &str) -> &'static str {
    match name {
        "calicoctl" => env!("CARGO_BIN_EXE_calicoctl"),
        "calico-node" => env!("CARGO_BIN_EXE_calico-node"),
        "calico-ipam" => env!("CARGO_BIN_EXE_calico-ipam"),
        other => panic!("unknown program {other}"),
    }
}

fn command(dir: &Path, program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin(program));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("DATASTORE_TYPE", "embedded")
        .env("CALICO_DATASTORE_PATH", dir.join("datastore.db"))
        .stdin(Stdio::null());
    cmd
}

/// Runs `program args` with stdout (or stderr, when `closed_stderr`) a pipe whose read end
/// is closed before the program starts; returns the status and what the other stream got.
fn run_closed(
    dir: &Path,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
    closed_stderr: bool,
) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = command(dir, program, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if closed_stderr {
        cmd.stderr(writer).stdout(Stdio::piped());
    } else {
        cmd.stdout(writer).stderr(Stdio::piped());
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let mut other = String::new();
    if closed_stderr {
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut other)
            .unwrap();
    } else {
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut other)
            .unwrap();
    }
    (child.wait().unwrap(), other)
}

fn assert_quiet_sigpipe(what: &str, status: std::process::ExitStatus, stderr: &str) {
    assert!(
        stderr.is_empty(),
        "{what}: expected nothing on stderr, got {stderr:?} ({status})"
    );
    assert_eq!(
        status.signal(),
        Some(13),
        "{what}: expected death by SIGPIPE as a Go program, got {status}"
    );
}

#[test]
fn every_output_path_stops_quietly_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pools.yaml"), POOLS).unwrap();
    std::fs::write(dir.path().join("v1pool.yaml"), V1_POOL).unwrap();
    let created = command(dir.path(), "calicoctl", &["create", "-f", "pools.yaml"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");

    let cases: &[(&str, &[&str])] = &[
        ("calicoctl", &["completion", "bash"]),
        ("calicoctl", &["completion", "zsh"]),
        ("calicoctl", &["--help"]),
        ("calicoctl", &["get", "--help"]),
        ("calicoctl", &["get", "ippool", "-o", "json"]),
        ("calicoctl", &["get", "ippool", "-o", "yaml"]),
        ("calicoctl", &["get", "ippool"]),
        ("calicoctl", &["get", "ippool", "-o", "wide"]),
        (
            "calicoctl",
            &["get", "ippool", "-o", "jsonpath={.items[*].metadata.name}"],
        ),
        (
            "calicoctl",
            &[
                "get",
                "ippool",
                "-o",
                "go-template={{range .}}{{.Kind}}{{end}}",
            ],
        ),
        ("calicoctl", &["ipam", "show"]),
        ("calicoctl", &["ipam", "show", "--show-blocks"]),
        ("calicoctl", &["ipam", "show", "-o", "json"]),
        ("calicoctl", &["ipam", "check"]),
        ("calicoctl", &["convert", "-f", "v1pool.yaml"]),
        ("calicoctl", &["version", "--client"]),
        ("calicoctl", &["--version"]),
        (
            "calico-node",
            &[
                "--once",
                "--dry-run",
                "--nodename",
                "node-1",
                "--nodename-file",
                "nodename",
            ],
        ),
        ("calico-node", &["--help"]),
    ];
    for (program, args) in cases {
        let what = format!("{program} {}", args.join(" "));
        let (status, stderr) = run_closed(dir.path(), program, args, &[], false);
        // calico-node logs on stderr; only a panic or an error would be noise there.
        if *program == "calico-node" && args[0] == "--once" {
            assert!(
                !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
                "{what}: {stderr}"
            );
            assert_eq!(status.signal(), Some(13), "{what}: {status}");
            continue;
        }
        assert_quiet_sigpipe(&what, status, &stderr);
    }

    // The CNI plugin's result, and its VERSION answer.
    let (status, stderr) = run_closed(
        dir.path(),
        "calico-ipam",
        &[],
        &[("CNI_COMMAND", "VERSION")],
        false,
    );
    assert_quiet_sigpipe("calico-ipam VERSION", status, &stderr);
}

#[test]
fn errors_into_a_closed_stderr_stop_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for (program, args) in [
        ("calicoctl", &["get", "nosuchkind"][..]),
        ("calicoctl", &["nosuchcommand"][..]),
        ("calicoctl", &["get", "--bogus-flag"][..]),
        ("calico-node", &["--bogus-flag"][..]),
    ] {
        let what = format!("{program} {}", args.join(" "));
        let (status, stdout) = run_closed(dir.path(), program, args, &[], true);
        assert!(stdout.is_empty(), "{what}: {stdout:?}");
        assert_eq!(status.signal(), Some(13), "{what}: {status}");
    }
}

/// The issue's own pipeline: the reader takes one line and goes away while the writer is
/// still writing (the completion script is larger than a pipe's buffer).
#[test]
fn completion_into_head_is_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(dir.path(), "calicoctl", &["completion", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    let n = stdout.read(&mut first).unwrap();
    assert!(n > 0);
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_quiet_sigpipe("calicoctl completion bash | head -c 64", status, &stderr);
    let _ = std::io::stdout().flush();
}
