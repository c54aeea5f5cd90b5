//! `calicoctl node status|checksystem|diags|run` and `calicoctl cluster diags`.
//!
//! calicoctl's node commands look at this host's `calico/node` container; here they look at
//! this host's `calico-node` agent: whether it runs (for this node name), its Node in the
//! datastore, its NAT table (`inet calico-fip`), and what the agent needs from the kernel.
//! The agent runs no BGP and no container, so BGP status and `node run` say so plainly.
//! The diags commands write a `.tar.gz` bundle (a directory when `tar` cannot be run).

use crate::cli::{CmdError, CmdResult, Ctx};
use crate::node::{nat, startup};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Calico node management.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Node specific commands for calicoctl. These commands must be run directly on the compute host running the Calico node instance (calico-node)."
)]
pub enum NodeCommand {
    /// Run the Calico node container image (not applicable: start calico-node instead).
    Run(RunArgs),
    /// View the current status of a Calico node.
    Status(StatusArgs),
    /// Gather a diagnostics bundle for a Calico node.
    Diags(NodeDiagsArgs),
    /// Verify the compute host is able to run a Calico node instance.
    #[command(
        after_help = "Examples:\n  # Check this host's kernel features and nftables for calico-node.\n  calicoctl node checksystem"
    )]
    Checksystem,
}

/// Access cluster information.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Collect snapshot of diagnostic info related to Calico at the cluster-level.
    Diags(ClusterDiagsArgs),
}

/// `calicoctl node run` starts calico/node as a container; this product has none.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// calicoctl's options for `node run` (not used).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

/// Check the status of this host's calico-node: whether it runs, its Node in the datastore
/// and its NAT table. calico-node runs no BGP, so there are no BGP peers to show.
///
/// Examples:
///   calicoctl node status
///   NODENAME=node-1 calicoctl node status
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// This node's name (else /var/lib/calico/nodename, else the host name, as calico-node
    /// decides it).
    #[arg(long, env = "NODENAME", value_name = "NAME")]
    pub nodename: Option<String>,
}

/// Collect this host's diagnostics (node status, system check, its Node and endpoints, the
/// NAT table, addresses and routes) into a .tar.gz bundle for a bug report.
///
/// Examples:
///   calicoctl node diags
///   calicoctl node diags --output /tmp/diags.tar.gz
#[derive(Debug, Args)]
pub struct NodeDiagsArgs {
    /// This node's name (else /var/lib/calico/nodename, else the host name).
    #[arg(long, env = "NODENAME", value_name = "NAME")]
    pub nodename: Option<String>,
    /// Where to write the bundle (default: calico-node-diags-<time>.tar.gz here).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Collect the datastore's resources and IPAM state (ipam show, the blocks, the IPAM
/// configuration and an ipam check report) into a .tar.gz bundle for a bug report.
///
/// Examples:
///   calicoctl cluster diags
///   calicoctl cluster diags --output /tmp/cluster.tar.gz
#[derive(Debug, Args)]
pub struct ClusterDiagsArgs {
    /// Where to write the bundle (default: calico-cluster-diags-<time>.tar.gz here).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

const BGP_LINE: &str =
    "BGP:        not run by this product (calico-node programs no routes and has no BGP peers)";

/// Runs `node ...`.
pub(crate) fn run_node(ctx: &Ctx, cmd: &NodeCommand, out: &mut dyn Write) -> CmdResult {
    match cmd {
        NodeCommand::Run(_) => Err(CmdError::new(
            "calicoctl node run is not supported: this product has no calico/node container; run the calico-node agent on the host instead (see calico-node --help)",
        )),
        NodeCommand::Status(a) => status(ctx, a.nodename.as_deref(), out),
        NodeCommand::Checksystem => checksystem(out),
        NodeCommand::Diags(a) => node_diags(ctx, a, out),
    }
}

/// Runs `cluster ...`.
pub(crate) fn run_cluster(ctx: &Ctx, cmd: &ClusterCommand, out: &mut dyn Write) -> CmdResult {
    match cmd {
        ClusterCommand::Diags(a) => cluster_diags(ctx, a, out),
    }
}

fn nodename(flag: Option<&str>) -> Result<String, CmdError> {
    startup::determine_nodename(flag, Path::new(startup::DEFAULT_NODENAME_FILE))
        .map_err(|e| CmdError::new(e.to_string()))
}

/// The node name a running calico-node process serves, decided as the agent decides it:
/// `--nodename`, else `NODENAME`, else its nodename file, else the host name.
fn process_nodename(pid: &str) -> Option<String> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let flag = |name: &str| {
        args.iter().enumerate().find_map(|(i, a)| {
            a.strip_prefix(&format!("{name}="))
                .map(str::to_string)
                .or_else(|| (a == name).then(|| args.get(i + 1).cloned()).flatten())
        })
    };
    let env_name = std::fs::read(format!("/proc/{pid}/environ"))
        .ok()
        .and_then(|env| {
            env.split(|b| *b == 0)
                .filter_map(|kv| {
                    String::from_utf8_lossy(kv)
                        .strip_prefix("NODENAME=")
                        .map(str::to_string)
                })
                .next()
        });
    let given = flag("--nodename").or(env_name);
    let file = flag("--nodename-file").unwrap_or_else(|| startup::DEFAULT_NODENAME_FILE.into());
    startup::determine_nodename(given.as_deref(), Path::new(&file)).ok()
}

/// The pid of a calico-node process serving `node`, if one runs on this host.
fn running_agent(node: &str) -> Option<String> {
    let dir = std::fs::read_dir("/proc").ok()?;
    dir.filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "calico-node")
                && process_nodename(pid).as_deref() == Some(node)
        })
}

fn nat_line() -> String {
    match nat::list_table(None) {
        Ok(Some(table)) => {
            let rules = table.lines().filter(|l| l.contains(" dnat ")).count();
            format!(
                "NAT table:  {} {}, {rules} floating IP rule(s)",
                nat::TABLE_FAMILY,
                nat::TABLE_NAME
            )
        }
        Ok(None) => format!(
            "NAT table:  none ({} {} does not exist: no floating IPs applied here)",
            nat::TABLE_FAMILY,
            nat::TABLE_NAME
        ),
        Err(e) => format!("NAT table:  cannot be read: {e}"),
    }
}

fn status(ctx: &Ctx, flag: Option<&str>, out: &mut dyn Write) -> CmdResult {
    let name = nodename(flag)?;
    let running = running_agent(&name);
    match &running {
        Some(_) => writeln!(out, "Calico process is running.")?,
        None => writeln!(out, "Calico process is not running.")?,
    }
    writeln!(out)?;
    let registered = match ctx.client() {
        Ok(client) => match client.get_opt::<crate::model::Node>(None, &name) {
            Ok(Some(_)) => "registered in the datastore".to_string(),
            Ok(None) => "not registered in the datastore".to_string(),
            Err(e) => format!("cannot be read: {e}"),
        },
        Err(e) => format!("cannot be read: {}", e.message),
    };
    writeln!(out, "Node:       {name} ({registered})")?;
    if let Some(pid) = &running {
        writeln!(out, "Agent:      calico-node, pid {pid}")?;
    }
    writeln!(out, "{}", nat_line())?;
    writeln!(out, "{BGP_LINE}")?;
    if running.is_none() {
        return Err(CmdError::silent(1));
    }
    Ok(())
}

/// One checksystem line: what was checked and the verdict.
fn check_line(out: &mut dyn Write, what: &str, ok: bool, note: &str) -> std::io::Result<()> {
    let verdict = if ok { "OK" } else { "FAIL" };
    let note = if note.is_empty() {
        String::new()
    } else {
        format!(" ({note})")
    };
    writeln!(out, "\t\t{what:<24}{verdict}{note}")
}

/// `major.minor` of a kernel release such as `6.1.0-18-amd64`.
pub(crate) fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Whether a kernel module is loaded, built in, or installed for the running kernel.
fn module_state(release: &str, module: &str) -> Option<&'static str> {
    if Path::new(&format!("/sys/module/{module}")).exists() {
        return Some("loaded");
    }
    let listed = |file: &str| {
        std::fs::read_to_string(format!("/lib/modules/{release}/{file}")).is_ok_and(|text| {
            text.lines().any(|l| {
                let path = l.split(':').next().unwrap_or("");
                let base = path.rsplit('/').next().unwrap_or("");
                base.split('.').next() == Some(module)
            })
        })
    };
    if listed("modules.builtin") {
        return Some("built in");
    }
    if listed("modules.dep") {
        return Some("loadable");
    }
    None
}

/// The kernel features calico-node's NAT needs: nftables with NAT in the `inet` family
/// (Linux 5.2 and later).
const MODULES: &[&str] = &["nf_tables", "nf_nat", "nft_chain_nat", "nf_conntrack"];

fn checksystem(out: &mut dyn Write) -> CmdResult {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut ok_all = true;
    writeln!(out, "Checking kernel version...")?;
    let kernel_ok = kernel_version(&release).is_some_and(|v| v >= (5, 2));
    ok_all &= kernel_ok;
    check_line(
        out,
        &release,
        kernel_ok,
        if kernel_ok {
            ""
        } else {
            "5.2 or later is needed for inet NAT"
        },
    )?;
    writeln!(out, "Checking nftables...")?;
    let nft = Command::new("nft").arg("--version").output();
    let (nft_ok, note) = match nft {
        Ok(o) if o.status.success() => {
            (true, String::from_utf8_lossy(&o.stdout).trim().to_string())
        }
        Ok(o) => (false, String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => (false, format!("cannot run nft: {e}")),
    };
    ok_all &= nft_ok;
    check_line(out, "nft", nft_ok, &note)?;
    writeln!(out, "Checking kernel modules...")?;
    for module in MODULES {
        let state = module_state(&release, module);
        ok_all &= state.is_some();
        check_line(out, module, state.is_some(), state.unwrap_or("not found"))?;
    }
    if ok_all {
        writeln!(
            out,
            "System meets minimum system requirements to run Calico!"
        )?;
        Ok(())
    } else {
        writeln!(
            out,
            "System doesn't meet one or more minimum systems requirements to run Calico"
        )?;
        Err(CmdError::silent(1))
    }
}

/// Runs a calicoctl command line (words after `calicoctl`) with this context; its output, or
/// its error as text.
fn capture(ctx: &Ctx, words: &[&str]) -> Vec<u8> {
    let mut argv = vec!["calicoctl"];
    argv.extend_from_slice(words);
    let mut buf = Vec::new();
    let parsed = <crate::cli::Cli as clap::Parser>::try_parse_from(&argv);
    match parsed {
        Ok(cli) => match cli.command {
            Some(cmd) => {
                if let Err(e) = crate::cli::dispatch(ctx, cmd, &mut buf)
                    && !e.message.is_empty()
                {
                    buf.extend_from_slice(format!("error: {}\n", e.message).as_bytes());
                }
            }
            None => buf.extend_from_slice(b"error: no command\n"),
        },
        Err(e) => buf.extend_from_slice(e.to_string().as_bytes()),
    }
    buf
}

/// The output of an external program, or why it could not run.
fn program_output(program: &str, args: &[&str]) -> Vec<u8> {
    match Command::new(program).args(args).output() {
        Ok(o) => {
            let mut v = o.stdout;
            v.extend_from_slice(&o.stderr);
            v
        }
        Err(e) => format!("cannot run {program}: {e}\n").into_bytes(),
    }
}

/// A bundle being collected in a temporary directory.
struct Bundle {
    tmp: tempdir::TempDir,
    name: String,
}

mod tempdir {
    /// A directory removed when dropped.
    pub(super) struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Bundle {
    fn new(name: String) -> Result<Bundle, CmdError> {
        let base = std::env::temp_dir().join(format!(
            "calicoctl-diags-{}-{}",
            std::process::id(),
            crate::go::time::unix_nanos(std::time::SystemTime::now())
        ));
        std::fs::create_dir_all(base.join(&name))
            .map_err(|e| CmdError::new(format!("failed to create {}: {e}", base.display())))?;
        Ok(Bundle {
            tmp: tempdir::TempDir(base),
            name,
        })
    }

    fn add(&self, file: &str, bytes: &[u8]) -> Result<(), CmdError> {
        let path = self.tmp.0.join(&self.name).join(file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| CmdError::new(format!("failed to create {}: {e}", dir.display())))?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| CmdError::new(format!("failed to write {}: {e}", path.display())))
    }

    /// Packs the bundle into `output` (`tar -czf`); when tar cannot run, the directory is
    /// moved there instead. Returns where it went.
    fn finish(self, output: &Path) -> Result<PathBuf, CmdError> {
        let packed = Command::new("tar")
            .arg("-czf")
            .arg(output)
            .arg("-C")
            .arg(&self.tmp.0)
            .arg(&self.name)
            .output();
        match packed {
            Ok(o) if o.status.success() => Ok(output.to_path_buf()),
            _ => {
                let dir = output.with_extension("").with_extension("");
                let _ = std::fs::remove_file(output);
                std::fs::rename(self.tmp.0.join(&self.name), &dir).map_err(|e| {
                    CmdError::new(format!(
                        "failed to write the bundle to {}: {e}",
                        dir.display()
                    ))
                })?;
                Ok(dir)
            }
        }
    }
}

fn stamp() -> String {
    let t = crate::go::time::rfc3339(crate::go::time::now());
    // 2026-08-22T10:00:00Z → 20260822_100000
    let digits: String = t.chars().filter(char::is_ascii_digit).take(14).collect();
    format!(
        "{}_{}",
        &digits[..8.min(digits.len())],
        &digits[8.min(digits.len())..]
    )
}

fn node_diags(ctx: &Ctx, args: &NodeDiagsArgs, out: &mut dyn Write) -> CmdResult {
    let name = nodename(args.nodename.as_deref())?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("calico-node-diags-{}.tar.gz", stamp())));
    writeln!(out, "Collecting diagnostics")?;
    let bundle = Bundle::new("calico-node-diags".into())?;
    let mut status_text = Vec::new();
    let _ = status(ctx, Some(&name), &mut status_text);
    bundle.add("node-status.txt", &status_text)?;
    let mut check_text = Vec::new();
    let _ = checksystem(&mut check_text);
    bundle.add("checksystem.txt", &check_text)?;
    bundle.add("nodename.txt", format!("{name}\n").as_bytes())?;
    bundle.add(
        "node.yaml",
        &capture(ctx, &["get", "node", &name, "-o", "yaml"]),
    )?;
    bundle.add(
        "workloadendpoints.yaml",
        &capture(ctx, &["get", "workloadendpoints", "-A", "-o", "yaml"]),
    )?;
    let table = match nat::list_table(None) {
        Ok(Some(t)) => t,
        Ok(None) => format!(
            "table {} {} does not exist\n",
            nat::TABLE_FAMILY,
            nat::TABLE_NAME
        ),
        Err(e) => format!("cannot be read: {e}\n"),
    };
    bundle.add("nat-table.txt", table.as_bytes())?;
    bundle.add("ip-addr.txt", &program_output("ip", &["-d", "addr"]))?;
    bundle.add("ip-route.txt", &program_output("ip", &["route"]))?;
    bundle.add("ip6-route.txt", &program_output("ip", &["-6", "route"]))?;
    bundle.add("version.txt", &capture(ctx, &["version"]))?;
    let path = bundle.finish(&output)?;
    writeln!(out, "Diags saved to {}", path.display())?;
    Ok(())
}

fn cluster_diags(ctx: &Ctx, args: &ClusterDiagsArgs, out: &mut dyn Write) -> CmdResult {
    // Fail early and plainly when the datastore cannot be reached.
    ctx.client()?
        .get_opt::<crate::model::ClusterInformation>(None, "default")
        .map_err(|e| CmdError::new(format!("failed to read the datastore: {e}")))?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("calico-cluster-diags-{}.tar.gz", stamp())));
    writeln!(out, "==== Begin collecting diagnostics. ====")?;
    let bundle = Bundle::new("calico-cluster-diags".into())?;
    bundle.add("version.txt", &capture(ctx, &["version"]))?;
    writeln!(out, "Collecting resources...")?;
    for kind in crate::model::kinds::KINDS {
        let mut words = vec!["get", kind.plural, "-o", "yaml"];
        if kind.namespaced {
            words.push("-A");
        }
        bundle.add(
            &format!("resources/{}.yaml", kind.plural),
            &capture(ctx, &words),
        )?;
    }
    writeln!(out, "Collecting IPAM state...")?;
    bundle.add("ipam/show.txt", &capture(ctx, &["ipam", "show"]))?;
    bundle.add(
        "ipam/show-blocks.txt",
        &capture(ctx, &["ipam", "show", "--show-blocks"]),
    )?;
    bundle.add(
        "ipam/show-borrowed.txt",
        &capture(ctx, &["ipam", "show", "--show-borrowed"]),
    )?;
    bundle.add(
        "ipam/show-configuration.txt",
        &capture(ctx, &["ipam", "show", "--show-configuration"]),
    )?;
    let report = bundle
        .tmp
        .0
        .join("calico-cluster-diags/ipam/check-report.json");
    let report = report.to_string_lossy().into_owned();
    bundle.add(
        "ipam/check.txt",
        &capture(ctx, &["ipam", "check", "--show-all-ips", "-o", &report]),
    )?;
    let path = bundle.finish(&output)?;
    writeln!(out, "Diagnostic bundle available at {}", path.display())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions() {
        assert_eq!(kernel_version("6.1.0-18-amd64"), Some((6, 1)));
        assert_eq!(kernel_version("5.2"), Some((5, 2)));
        assert_eq!(kernel_version("4.19.0"), Some((4, 19)));
        assert!(kernel_version("4.19.0").unwrap() < (5, 2));
        assert_eq!(kernel_version("garbage"), None);
    }
}
