//! `completions/` and `man/` are generated from the clap definitions and checked in; this test
//! fails when they are stale. `GOLDEN=overwrite cargo test --test integration generated`
//! rewrites them.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(expected: Vec<(PathBuf, Vec<u8>)>, dir: &Path, stale: &mut Vec<String>) {
    let overwrite = std::env::var("GOLDEN").as_deref() == Ok("overwrite");
    std::fs::create_dir_all(dir).unwrap();
    let names: Vec<_> = expected.iter().map(|(p, _)| p.clone()).collect();
    for (path, bytes) in expected {
        let current = std::fs::read(&path).unwrap_or_default();
        if current != bytes {
            if overwrite {
                std::fs::write(&path, &bytes).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if !names.contains(&p) {
            if overwrite {
                std::fs::remove_file(&p).unwrap();
            } else {
                stale.push(format!("{} (no longer generated)", p.display()));
            }
        }
    }
}

fn man_pages(cmd: clap::Command, prefix: &str, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let name = if prefix.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
    // A flag kept out of `-h` (`hide_short_help`, the datastore flags) is still described in
    // the man page: clap_mangen prints only the long help of such an argument.
    let cmd = cmd.name(leaked).mut_args(|a| match a.get_help().cloned() {
        Some(help) if a.is_hide_short_help_set() && a.get_long_help().is_none() => {
            a.long_help(help)
        }
        _ => a,
    });
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf).unwrap();
    out.push((dir.join(format!("{name}.1")), buf));
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        man_pages(sub.clone(), &name, dir, out);
    }
}

#[test]
fn completions_and_man_pages_are_current() {
    let mut stale = Vec::new();
    let comp_dir = root().join("completions");
    let mut comps = Vec::new();
    for (shell, file) in [
        (
            calico::cli::commands::completion::Shell::Bash,
            "calicoctl.bash",
        ),
        (calico::cli::commands::completion::Shell::Zsh, "_calicoctl"),
        (
            calico::cli::commands::completion::Shell::Fish,
            "calicoctl.fish",
        ),
        (
            calico::cli::commands::completion::Shell::Powershell,
            "_calicoctl.ps1",
        ),
    ] {
        let mut buf = Vec::new();
        calico::cli::commands::completion::generate(shell, &mut buf);
        comps.push((comp_dir.join(file), buf));
    }
    check(comps, &comp_dir, &mut stale);
    let man_dir = root().join("man");
    let mut pages = Vec::new();
    let mut cmd = calico::cli::command();
    cmd.build();
    man_pages(cmd, "", &man_dir, &mut pages);
    let mut node = calico::node::command();
    node.build();
    man_pages(node, "", &man_dir, &mut pages);
    let mut controllers = calico::controllers::command();
    controllers.build();
    man_pages(controllers, "", &man_dir, &mut pages);
    check(pages, &man_dir, &mut stale);
    assert!(
        stale.is_empty(),
        "generated files are stale; run `GOLDEN=overwrite cargo test --test integration generated` and commit:\n{}",
        stale.join("\n")
    );
}

/// clap's own consistency checks (conflicting flags, bad defaults, duplicate names), which
/// clap runs only under debug assertions and only for the subcommand a user invokes: here for
/// every command at once.
/// The programs' `--help` shows their flags and the environment they read.
#[test]
fn kube_controllers_help_names_its_flags() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_calico-kube-controllers"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--once",
        "--dry-run",
        "--leak-grace-period <DURATION>",
        "--kubeconfig <FILE>",
        "--etcd-endpoints <URLS>",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn calicoctl_command_passes_clap_debug_asserts() {
    calico::cli::command().debug_assert();
}
