//! `calico-node`: the per-node agent.
//!
//! At start it registers its Node (labels merged), creates the default IP pools when a family
//! has none, initialises ClusterInformation `default` and brings its tunnel addresses up to
//! date (through the [`tunnel`] seam, which the IPAM engine fills). Then it keeps the node's
//! floating-IP NAT ([`nat`]) in step with the WorkloadEndpoints scheduled on it: it lists them
//! once, then follows the datastore's change feed, keeping only its own endpoints (`view`);
//! when they change it renders one nftables table and applies it atomically with `nft -f -`
//! if it changed. Datastore or `nft` errors are logged and retried with
//! exponential back-off; SIGTERM and SIGINT stop it cleanly (the NAT stays in place, as
//! Felix's does, so restarting the agent does not interrupt traffic).
//!
//! Log lines go to stderr (`<time> <LEVEL> <message>`); stdout carries only `--dry-run`
//! output (the `nft` script that would be applied).
//!
//! Settings, beyond the datastore ones shared with calicoctl:
//! - the node name: `--nodename`, else `NODENAME`, else the first line of `--nodename-file`
//!   (`/var/lib/calico/nodename`), else the host name;
//! - labels: `--labels k=v,...`, else `CALICO_NODE_LABELS` (same syntax);
//! - default pools: `NO_DEFAULT_POOLS`, `CALICO_IPV4POOL_*`, `CALICO_IPV6POOL_*` (see
//!   [`startup::DefaultPools`]); ClusterInformation type tags: `CLUSTER_TYPE`.

pub mod agent;
#[cfg(any(test, feature = "testing"))]
pub mod bench;
mod floating;
pub mod nat;
pub mod startup;
pub mod tunnel;
mod view;

use crate::config;
use crate::datastore::DatastoreError;
use crate::datastore::api::{Client, ClientError};
use clap::{CommandFactory, Parser};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// The version recorded in ClusterInformation and printed by `--version`.
pub const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// Why the agent could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// A bad setting (flag or environment); fatal at start.
    #[error("{0}")]
    Config(String),
    /// The datastore configuration could not be resolved.
    #[error(transparent)]
    DatastoreConfig(#[from] config::ConfigError),
    /// The datastore failed.
    #[error(transparent)]
    Datastore(#[from] DatastoreError),
    /// Reading or writing a resource failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A start-up step failed (message names the step).
    #[error("{0}")]
    Startup(String),
    /// Applying the NAT failed.
    #[error(transparent)]
    Nat(#[from] nat::NatError),
    /// The tunnel-address seam failed.
    #[error("tunnel addresses: {0}")]
    Tunnel(#[from] tunnel::TunnelError),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Writes one log line to stderr: `<RFC 3339 time> <LEVEL> <message>`.
pub fn log(level: &str, message: &str) {
    crate::cli::stdio::err(&format!(
        "{} {level:<5} {message}\n",
        crate::go::time::rfc3339(crate::go::time::now())
    ));
}

/// Parses `500ms`, `5s`, `2m` or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration '{s}': expected e.g. 500ms, 5s or 2m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("invalid duration '{s}': unit must be ms, s or m")),
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("invalid duration '{s}': must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// calico-node: registers this node and keeps its floating-IP NAT in step with the datastore.
#[derive(Debug, Parser)]
#[command(name = "calico-node", version = VERSION)]
pub struct NodeArgs {
    /// Where the datastore is: the same flags (and the same rules) as calicoctl's.
    #[command(flatten)]
    pub datastore: crate::cli::DatastoreArgs,

    /// This node's name (else the nodename file, else the host name).
    #[arg(long, env = "NODENAME", value_name = "NAME")]
    pub nodename: Option<String>,
    /// Where the node name is read from when not given, and written to with
    /// --write-nodename-file.
    #[arg(long, value_name = "FILE", default_value = startup::DEFAULT_NODENAME_FILE)]
    pub nodename_file: PathBuf,
    /// Write the node name to --nodename-file (for the CNI plugin).
    #[arg(long)]
    pub(crate) write_nodename_file: bool,
    /// Labels to set on this node's Node, as k=v,k2=v2 (other labels are kept).
    #[arg(long, env = "CALICO_NODE_LABELS", value_name = "LABELS")]
    pub labels: Option<String>,

    /// The Kubernetes Node this node is, recorded in the Node's orchRefs (what makes it a
    /// Kubernetes node for calico-kube-controllers).
    #[arg(long, env = "CALICO_K8S_NODE_REF", value_name = "NAME")]
    pub k8s_node_ref: Option<String>,

    /// Register and reconcile once, then exit (status 1 on any error).
    #[arg(long)]
    pub once: bool,
    /// Print the nftables script that would be applied; apply nothing and write nothing to
    /// the datastore.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the NAT inside this named network namespace (`ip netns exec`).
    #[arg(long, value_name = "NAME")]
    pub netns: Option<String>,
    /// Longest wait for a datastore change before looking again (e.g. 500ms, 5s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Re-apply the NAT and re-check the tunnel addresses this often even when nothing changed
    /// (repairs a removed table; pool and Node changes are followed at once).
    #[arg(long, value_name = "DURATION", default_value = "90s", value_parser = parse_duration)]
    pub resync_interval: Duration,
}

impl NodeArgs {
    /// The agent's configuration from these flags and the environment.
    pub(crate) fn agent_config(&self) -> Result<agent::AgentConfig, NodeError> {
        let nodename = startup::determine_nodename(self.nodename.as_deref(), &self.nodename_file)?;
        let mut cfg = agent::AgentConfig::new(&nodename);
        cfg.labels = startup::parse_labels(self.labels.as_deref().unwrap_or(""))?;
        cfg.default_pools = startup::DefaultPools::from_env()?;
        cfg.cluster_type = std::env::var("CLUSTER_TYPE").unwrap_or_default();
        cfg.netns = self.netns.clone();
        cfg.k8s_node_ref = self.k8s_node_ref.clone().filter(|r| !r.is_empty());
        cfg.dry_run = self.dry_run;
        cfg.poll_interval = self.poll_interval;
        cfg.resync_interval = self.resync_interval;
        Ok(cfg)
    }
}

/// The clap command (help, completions, man page).
pub fn command() -> clap::Command {
    NodeArgs::command()
}

/// Runs calico-node with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    program_main::<NodeArgs, _>(run)
}

/// A long-running program's `main`: parses the arguments (help and version on stdout with
/// status 0, usage errors with status 1), runs, and logs a fatal error with status 1.
pub(crate) fn program_main<A: Parser, E: std::fmt::Display>(
    run: impl FnOnce(&A) -> Result<(), E>,
) -> ExitCode {
    let args = match A::try_parse() {
        Ok(a) => a,
        Err(e) => {
            crate::cli::stdio::print_clap(&e);
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log("ERROR", &e.to_string());
            ExitCode::from(1)
        }
    }
}

/// Runs the agent for parsed arguments.
pub fn run(args: &NodeArgs) -> Result<(), NodeError> {
    let cfg = args.agent_config()?;
    let ds = config::resolve(
        &args.datastore.overrides(false),
        args.datastore.config.as_deref(),
    )?;
    // A mistyped store path is fatal at once, not waited for like an unreachable etcd.
    if let Some(e) = ds.missing_directory() {
        return Err(e.into());
    }
    // signal-hook sets the flag from the handler (async-signal-safe); the loop polls it at
    // least every 100 ms, so no thread or self-pipe is needed.
    let stop = Arc::new(AtomicBool::new(false));
    if !args.once {
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(sig, stop.clone()).map_err(|e| NodeError::Io {
                path: "signal handler".into(),
                source: e,
            })?;
        }
    }
    let store = if args.once {
        crate::datastore::open(&ds)?
    } else {
        match open_with_retry(&ds, cfg.max_backoff, &stop) {
            Some(store) => store,
            None => {
                log("INFO", "stopping");
                return Ok(());
            }
        }
    };
    log(
        "INFO",
        &format!(
            "calico-node {VERSION} starting: node {}, datastore {}{}",
            cfg.nodename,
            store.describe(),
            cfg.netns
                .as_deref()
                .map(|n| format!(", netns {n}"))
                .unwrap_or_default()
        ),
    );
    if args.write_nodename_file && !cfg.dry_run {
        startup::write_nodename_file(&args.nodename_file, &cfg.nodename)?;
    }
    let tunnels: Box<dyn tunnel::TunnelAddressAllocator> = Box::new(tunnel::IpamTunnels);
    let mut agent = agent::Agent::new(
        Client::new(store),
        cfg,
        tunnels,
        Box::new(crate::cli::stdio::Stdout),
    );
    if args.once {
        agent.startup()?;
        let outcome = agent.reconcile(true)?;
        log(
            "INFO",
            &format!(
                "reconciled {} local endpoint(s) at revision {}",
                outcome.endpoints, outcome.revision
            ),
        );
        return Ok(());
    }
    agent.run(&stop);
    Ok(())
}

/// Opens the datastore, retrying with back-off while it cannot be reached: connecting to etcd
/// with a username authenticates at once, so an etcd that is down when the agent starts would
/// otherwise end the agent instead of being waited for. `None` when stopped first.
pub(crate) fn open_with_retry(
    ds: &crate::datastore::DatastoreConfig,
    max_backoff: Duration,
    stop: &AtomicBool,
) -> Option<crate::datastore::Store> {
    use std::sync::atomic::Ordering;
    let mut backoff = agent::Backoff::new(max_backoff);
    loop {
        match crate::datastore::open(ds) {
            Ok(store) => return Some(store),
            Err(e) => {
                let d = backoff.next_delay();
                log(
                    "ERROR",
                    &format!(
                        "cannot connect to the datastore: {e}; retrying in {} ms",
                        d.as_millis()
                    ),
                );
                let deadline = std::time::Instant::now() + d;
                while std::time::Instant::now() < deadline {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    std::thread::sleep(Duration::from_millis(100).min(d));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("x").is_err());
    }

    #[test]
    fn command_is_consistent() {
        command().debug_assert();
        let a = NodeArgs::try_parse_from([
            "calico-node",
            "--nodename",
            "node-a",
            "--labels",
            "rack=0",
            "--once",
            "--dry-run",
            "--netns",
            "ns1",
            "--poll-interval",
            "250ms",
        ])
        .unwrap();
        assert_eq!(a.nodename.as_deref(), Some("node-a"));
        assert!(a.once && a.dry_run);
        assert_eq!(a.poll_interval, Duration::from_millis(250));
    }
}
