//! `calico-kube-controllers`: the cluster-wide controllers, one active instance per cluster.
//!
//! At start it opens the datastore (the same settings as the other programs), fills in
//! ClusterInformation `default` (created if absent, `datastoreReady` set when unset, `k8s`
//! added to `clusterType`, as Calico's `EnsureInitialized` does), reads
//! KubeControllersConfiguration `default` (created with Calico's defaults when absent) and
//! connects to Kubernetes (`--kubeconfig`, else `KUBECONFIG`, else the in-cluster service
//! account). Then, once elected ([`leader`]), it lists and watches Kubernetes Nodes, Pods
//! and StatefulSets ([`watch`]):
//! - [`node`]: Calico Nodes carry their Kubernetes Node's labels and go, with their
//!   endpoints, addresses and affinities, when their Kubernetes Node goes;
//! - the IPAM garbage collector ([`gc`]) releases addresses whose pod is gone after the
//!   leak grace period;
//! - [`sticky`]: a StatefulSet replica's sticky addresses are released when its identity is
//!   gone (StatefulSet deleted, or scaled down with `releaseOnScaleDown`), never while a pod
//!   of it exists;
//! - [`floating`]: a pod's `floatingIPs` annotation, changed after it started, reaches its
//!   endpoints' `ipNATs`; a floating IP moves between pods in one transaction.
//!
//! Log lines go to stderr as calico-node writes them. `--once` runs one pass and exits;
//! `--dry-run` writes nothing to the datastore (and takes no part in the election).

#[cfg(any(test, feature = "testing"))]
pub mod bench;
mod floating;
pub(crate) mod gc;
mod guarded;
mod leader;
mod metrics;
mod node;
mod settings;
mod sticky;
mod watch;

use crate::cli::DatastoreArgs;
use crate::config;
use crate::datastore::api::Client;
use crate::ipam::sticky::StickyId;
use crate::k8s::{Kube, KubeError, KubeSource};
use crate::node::agent::{Backoff, sleep_unless_stopped};
use crate::node::log;
use clap::{CommandFactory, Parser};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Node as KubeNode, Pod};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use watch::{Change, Event, Reflectors};

/// The version printed by `--version`.
const VERSION: &str = crate::node::VERSION;

/// How the controllers log: `(level, message)`.
pub(crate) type Log = fn(&str, &str);

/// How long a Kubernetes request may take to connect.
const KUBE_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a Kubernetes connection may stay silent: longer than a watch lasts.
const KUBE_READ_TIMEOUT: Duration = Duration::from_secs(330);
/// How long the loop waits for a Kubernetes event before looking at Calico Nodes again.
const TICK: Duration = Duration::from_secs(1);
/// How often pods refused a floating IP that another holds are tried again (besides after
/// every annotation change).
const FLOATING_RETRY: Duration = Duration::from_secs(10);
/// Longest pause between retries after an error.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why the controllers stopped.
#[derive(Debug, thiserror::Error)]
enum ControllersError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    DatastoreConfig(#[from] config::ConfigError),
    #[error(transparent)]
    Datastore(#[from] crate::datastore::DatastoreError),
    #[error(transparent)]
    Client(#[from] crate::datastore::api::ClientError),
    #[error(transparent)]
    Node(#[from] crate::node::NodeError),
    #[error(transparent)]
    Ipam(#[from] crate::ipam::IpamError),
    #[error(transparent)]
    Leader(#[from] leader::LeaderError),
    #[error(transparent)]
    Floating(#[from] floating::FloatingError),
    #[error("Kubernetes {0}: {1}")]
    Kube(&'static str, KubeError),
}

/// A Go duration (`15m`, `90s`, `1h30m`, `0`), not negative.
fn parse_grace(s: &str) -> Result<Duration, String> {
    let nanos = crate::go::duration::parse_duration(s)?;
    u64::try_from(nanos)
        .map(Duration::from_nanos)
        .map_err(|_| format!("invalid leak grace period {s:?}: must not be negative"))
}

/// calico-kube-controllers: keeps Calico Nodes in step with Kubernetes Nodes, releases the
/// addresses of pods and of sticky StatefulSet replicas that are gone, and applies changed
/// floating IPs.
#[derive(Debug, Parser)]
#[command(name = "calico-kube-controllers", version = VERSION)]
pub struct ControllersArgs {
    #[command(flatten)]
    datastore: DatastoreArgs,

    /// The kubeconfig file to reach Kubernetes with (else KUBECONFIG, else the in-cluster
    /// service account).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,

    /// Run one pass (labels, deleted nodes, garbage collection, sticky StatefulSet addresses,
    /// floating IPs), then exit (status 1 on any error, or when another instance is active).
    #[arg(long)]
    once: bool,
    /// Log what would change; write nothing to the datastore and take no part in the
    /// leader election.
    #[arg(long)]
    dry_run: bool,
    /// How long an address whose pod is gone is kept before it is released (Go duration, e.g.
    /// 15m or 90s); overrides KubeControllersConfiguration
    /// spec.controllers.node.leakGracePeriod (default 15m).
    #[arg(long, value_name = "DURATION", value_parser = parse_grace)]
    leak_grace_period: Option<Duration>,
}

/// The clap command (help, man page).
pub fn command() -> clap::Command {
    ControllersArgs::command()
}

/// Runs calico-kube-controllers with the process's arguments; its exit status.
pub fn main() -> ExitCode {
    crate::node::program_main::<ControllersArgs, _>(run)
}

/// Who this instance is, for the election and the logs: `<host name>/<pid>`.
fn identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    format!("{host}/{}", std::process::id())
}

struct LogWaiting;
impl leader::Observer for LogWaiting {
    fn waiting(&mut self, holder: &str) {
        log(
            "INFO",
            &format!("Waiting for leadership: {holder} is the active instance"),
        );
    }
}

fn run(args: &ControllersArgs) -> Result<(), ControllersError> {
    let ds = config::resolve(
        &args.datastore.overrides(false),
        args.datastore.config.as_deref(),
    )?;
    if let Some(e) = ds.missing_directory() {
        return Err(e.into());
    }
    let source = KubeSource::resolve(args.kubeconfig.as_deref()).ok_or_else(|| {
        ControllersError::Config(
            "no Kubernetes configuration: set KUBECONFIG (or --kubeconfig), or run in a pod with a service account".into(),
        )
    })?;
    let kube = Kube::connect_with(&source, KUBE_CONNECT_TIMEOUT, KUBE_READ_TIMEOUT, false)
        .map_err(|e| ControllersError::Kube("client", e))?;

    let stop = Arc::new(AtomicBool::new(false));
    if !args.once {
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(sig, stop.clone())
                .map_err(|e| ControllersError::Config(format!("signal handler: {e}")))?;
        }
    }
    let store = if args.once {
        crate::datastore::open(&ds)?
    } else {
        match crate::node::open_with_retry(&ds, MAX_BACKOFF, &stop) {
            Some(s) => s,
            None => return Ok(()),
        }
    };
    let me = identity();
    log(
        "INFO",
        &format!(
            "calico-kube-controllers {VERSION} starting ({me}): datastore {}",
            store.describe()
        ),
    );
    let client = Client::new(store);

    let leadership = if args.dry_run {
        None
    } else {
        match leader::campaign(&ds, &me, !args.once, &stop, &mut LogWaiting)? {
            Some(l) => {
                log("INFO", &format!("{me} is now the active instance (leader)"));
                Some(l)
            }
            None => return Ok(()),
        }
    };

    if !args.dry_run {
        crate::node::startup::ensure_cluster_information(&client, "", "k8s")?;
    }
    let (kcc, created) = settings::load(&client, args.dry_run)?;
    if created {
        log(
            "INFO",
            "Created KubeControllersConfiguration default with Calico's defaults",
        );
    }
    let cfg = settings::settings(&kcc, args.leak_grace_period);
    if !args.dry_run {
        settings::record_running_config(&client, kcc, &cfg)?;
    }
    log(
        "INFO",
        &format!(
            "node controller: {}, label sync: {}, leak grace period: {}",
            if cfg.node_controller {
                "enabled"
            } else {
                "disabled"
            },
            if cfg.sync_labels {
                "enabled"
            } else {
                "disabled"
            },
            crate::go::duration::format_duration(cfg.leak_grace.as_nanos() as i64)
        ),
    );

    let mut ctl = Controllers {
        kube: &kube,
        watches: Reflectors::new(&kube.client()),
        node: node::NodeController::new(client.clone(), cfg.sync_labels, args.dry_run),
        live: gc::LiveSet::default(),
        gc: gc::LeakCollector::new(cfg.leak_grace),
        gc_every: gc_interval(cfg.leak_grace),
        next_gc: Instant::now(),
        sticky: sticky::StickyController::default(),
        next_sticky: Instant::now(),
        floating: floating::FloatingController::default(),
        next_floating_retry: Instant::now(),
        client,
        dry_run: args.dry_run,
        metrics: metrics::Metrics::default(),
    };
    if !args.once && cfg.metrics_port != 0 {
        let addr = std::net::SocketAddr::from(([0, 0, 0, 0], cfg.metrics_port));
        match ctl.metrics.serve(addr) {
            Ok(bound) => log("INFO", &format!("Serving Prometheus metrics on {bound}")),
            Err(e) => log(
                "WARN",
                &format!("Cannot serve Prometheus metrics on {addr}: {e}"),
            ),
        }
    }
    if !cfg.node_controller {
        log(
            "INFO",
            "the node controller is disabled in KubeControllersConfiguration default; nothing to do",
        );
        if args.once {
            return Ok(());
        }
        while !sleep_unless_stopped(TICK, &stop) {}
        return Ok(());
    }
    if args.once {
        return ctl.once();
    }
    ctl.run(&stop, leadership.as_ref());
    if let Some(l) = leadership {
        if l.lost() {
            return Err(ControllersError::Config(
                "lost the leadership (the datastore lease expired); stopping".into(),
            ));
        }
        l.resign();
    }
    log("INFO", "stopping");
    Ok(())
}

/// How often the garbage collector looks: half the grace period (as Calico's full scans),
/// at least every second and at most every 5 minutes.
fn gc_interval(grace: Duration) -> Duration {
    if grace.is_zero() {
        return Duration::from_secs(300);
    }
    (grace / 2).clamp(Duration::from_secs(1), Duration::from_secs(300))
}

struct Controllers<'a> {
    kube: &'a Kube,
    watches: Reflectors,
    node: node::NodeController,
    /// What exists in Kubernetes, as the garbage collector reads it: the pods are kept
    /// current by the pod watch, the nodes and `synced` are set before each pass.
    live: gc::LiveSet,
    gc: gc::LeakCollector,
    gc_every: Duration,
    next_gc: Instant,
    sticky: sticky::StickyController,
    /// When the sticky controller looks again even without a change (every `gc_every`).
    next_sticky: Instant,
    floating: floating::FloatingController,
    next_floating_retry: Instant,
    client: Client,
    dry_run: bool,
    metrics: metrics::Metrics,
}

fn pod_key(p: &Pod) -> Option<(String, String)> {
    Some((p.metadata.namespace.clone()?, p.metadata.name.clone()?))
}

impl Controllers<'_> {
    /// Whether the API server says Kubernetes Node `name` does not exist (a GET answering
    /// 404); any other answer keeps the node.
    fn confirm_gone(kube: &Kube, name: &str) -> bool {
        match kube.get_cluster::<KubeNode>(name) {
            Ok(None) => true,
            Ok(Some(_)) => false,
            Err(e) => {
                log(
                    "WARN",
                    &format!("cannot confirm that Kubernetes Node {name} is gone: {e}"),
                );
                false
            }
        }
    }

    /// The live state of sticky identity `id`: its StatefulSet, and whether a pod of it exists
    /// (GETs, so that a release never follows a watch that is behind).
    fn confirm_sticky(kube: &Kube, id: &StickyId) -> sticky::Confirmed {
        let set = kube
            .get_namespaced::<StatefulSet>(&id.namespace, &id.statefulset)
            .map_err(|e| e.to_string())?;
        let pod = kube
            .get_namespaced::<Pod>(&id.namespace, &format!("{}-{}", id.statefulset, id.ordinal))
            .map_err(|e| e.to_string())?;
        let replica = pod.as_ref().and_then(sticky::pod_identity).as_ref() == Some(id);
        Ok((set.as_ref().map(sticky::SetView::of), replica))
    }

    /// Applies one change.
    fn apply(&mut self, change: Event) -> Result<(), ControllersError> {
        let kube = self.kube;
        let mut gone = |n: &str| Self::confirm_gone(kube, n);
        match change {
            Event::Node(Change::Listed(nodes)) => {
                log(
                    "INFO",
                    &format!("listed {} Kubernetes Node(s)", nodes.len()),
                );
                self.node.listed(nodes, &mut gone, log)?
            }
            Event::Node(Change::Applied(n)) => self.node.applied(n, log)?,
            Event::Node(Change::Deleted(n)) => self.node.deleted(n, &mut gone, log)?,
            Event::Pod(Change::Listed(pods)) => {
                self.live.pods = pods.iter().filter_map(pod_key).collect();
                self.sticky.pods_listed(&pods);
                self.floating.pods_listed(&pods);
            }
            Event::Pod(Change::Applied(p)) => {
                self.live.pods.extend(pod_key(&p));
                self.sticky.pod_applied(&p);
                self.floating.pod_applied(&p);
            }
            Event::Pod(Change::Deleted(p)) => {
                if let Some(k) = pod_key(&p) {
                    self.live.pods.remove(&k);
                }
                self.sticky.pod_deleted(&p);
                self.floating.pod_deleted(&p);
                // Its endpoint may have held a floating IP another pod waits for.
                self.next_floating_retry = Instant::now();
            }
            Event::Set(Change::Listed(sets)) => self.sticky.sets_listed(&sets),
            Event::Set(Change::Applied(s)) => self.sticky.set_applied(&s),
            Event::Set(Change::Deleted(s)) => self.sticky.set_deleted(&s),
        }
        Ok(())
    }

    /// One sticky pass ([`sticky::StickyController::pass`]), with a log line for every
    /// release.
    fn release_sticky(&mut self) -> Result<(), ControllersError> {
        let kube = self.kube;
        let report = self.sticky.pass(&self.client, self.dry_run, &mut |id| {
            Self::confirm_sticky(kube, id)
        })?;
        if report.locked {
            log(
                "INFO",
                "datastore is locked, skipping sticky address release",
            );
            return Ok(());
        }
        for (id, why) in &report.unconfirmed {
            log(
                "WARN",
                &format!(
                    "Cannot confirm that sticky identity {id} is gone, keeping its addresses: {why}"
                ),
            );
        }
        guarded::log_releases(
            log,
            self.dry_run,
            &report.confirmed,
            &report.released,
            &report.not_released,
        );
        Ok(())
    }

    /// One floating-IP pass ([`floating::FloatingController::pass`]), logged.
    fn apply_floating(&mut self) -> Result<(), ControllersError> {
        let report = self
            .floating
            .pass(&self.client, &self.live.pods, self.dry_run)?;
        if report.locked {
            log("INFO", "datastore is locked, skipping floating IPs");
        }
        for (level, line) in &report.lines {
            log(level, line);
        }
        Ok(())
    }

    /// One garbage-collection pass ([`gc::LeakCollector::pass`]: nothing while the caches
    /// are not synced or the datastore is locked), with a log line for every release.
    fn collect(&mut self) -> Result<(), ControllersError> {
        self.live.nodes = self.node.kube_nodes().map(str::to_string).collect();
        self.live.synced = self.watches.synced();
        let report = self
            .gc
            .pass(&self.client, &self.live, Instant::now(), self.dry_run)?;
        if let Some(why) = report.paused {
            log("INFO", &why.to_string());
            return Ok(());
        }
        self.metrics.set(report.prometheus_text());
        let waiting = report.candidates.len() - report.confirmed.len().min(report.candidates.len());
        if waiting > 0 {
            log(
                "INFO",
                &format!(
                    "{waiting} IPAM allocations are leak candidates: their pod or node is gone; released after the grace period"
                ),
            );
        }
        guarded::log_releases(
            log,
            self.dry_run,
            &report.confirmed,
            &report.released,
            &report.not_released,
        );
        for block in &report.unreadable_blocks {
            log(
                "WARN",
                &format!("Skipped an unreadable IPAM block: {block}"),
            );
        }
        Ok(())
    }

    /// `--once`: list nodes, pods and StatefulSets, bring Calico Nodes up to date, collect,
    /// release sticky addresses whose identity is gone and apply floating IPs, once each.
    fn once(&mut self) -> Result<(), ControllersError> {
        for _ in 0..3 {
            let change = self
                .kube
                .block_on(self.watches.next(Duration::ZERO))
                .map_err(|(what, e)| ControllersError::Kube(what, e))?;
            if let Some(c) = change {
                self.apply(c)?;
            }
        }
        self.collect()?;
        self.release_sticky()?;
        self.apply_floating()
    }

    /// Runs until `stop` (or the leadership is lost): events as they come, Calico Node
    /// changes every [`TICK`], a garbage-collection pass every `gc_every`. Errors are logged
    /// and retried with back-off.
    fn run(&mut self, stop: &AtomicBool, leadership: Option<&leader::Leader>) {
        let mut backoff = Backoff::new(MAX_BACKOFF);
        let mut last_tick = Instant::now();
        let mut relists = 0;
        while !stop.load(Ordering::Relaxed) {
            if leadership.is_some_and(leader::Leader::lost) {
                log("ERROR", "lost the leadership; stopping");
                return;
            }
            let result = self
                .kube
                .block_on(self.watches.next(TICK))
                .map_err(|(what, e)| ControllersError::Kube(what, e))
                .and_then(|c| c.map_or(Ok(()), |c| self.apply(c)));
            let gone = self.watches.relists();
            if gone != relists {
                relists = gone;
                log(
                    "INFO",
                    "watch expired (410 Gone): listing again and resynchronising",
                );
            }
            let result = result.and_then(|()| {
                let synced = self.watches.synced();
                if last_tick.elapsed() >= TICK {
                    last_tick = Instant::now();
                    let kube = self.kube;
                    self.node
                        .refresh(&mut |n| Self::confirm_gone(kube, n), log)?;
                    // At most once a TICK, however many events come.
                    if synced && (self.sticky.dirty || Instant::now() >= self.next_sticky) {
                        self.next_sticky = Instant::now() + self.gc_every;
                        self.release_sticky()?;
                    }
                    let retry =
                        self.floating.waiting() && Instant::now() >= self.next_floating_retry;
                    if synced && (self.floating.due() || retry) {
                        self.next_floating_retry = Instant::now() + FLOATING_RETRY;
                        self.apply_floating()?;
                    }
                }
                if Instant::now() >= self.next_gc && synced {
                    self.next_gc = Instant::now() + self.gc_every;
                    self.collect()?;
                }
                Ok(())
            });
            match result {
                Ok(()) => backoff.reset(),
                Err(ControllersError::Kube(_, e)) if e.is_gone() => {}
                Err(e) => {
                    let d = backoff.next_delay();
                    log("ERROR", &format!("{e}; retrying in {} ms", d.as_millis()));
                    if sleep_unless_stopped(d, stop) {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_is_consistent() {
        command().debug_assert();
        let a = ControllersArgs::try_parse_from([
            "calico-kube-controllers",
            "--once",
            "--dry-run",
            "--leak-grace-period",
            "1m30s",
        ])
        .unwrap();
        assert!(a.once && a.dry_run);
        assert_eq!(a.leak_grace_period, Some(Duration::from_secs(90)));
        let e = ControllersArgs::try_parse_from([
            "calico-kube-controllers",
            "--leak-grace-period",
            "15",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("missing unit"), "{e}");
        assert!(parse_grace("-1s").is_err());
    }

    #[test]
    fn collection_cadence_follows_the_grace_period() {
        assert_eq!(
            gc_interval(Duration::from_secs(900)),
            Duration::from_secs(300)
        );
        assert_eq!(gc_interval(Duration::from_secs(10)), Duration::from_secs(5));
        assert_eq!(
            gc_interval(Duration::from_millis(100)),
            Duration::from_secs(1)
        );
    }
}
