//! The agent's loop: start-up, then keep the node's floating-IP NAT in step with its
//! WorkloadEndpoints until asked to stop.
//!
//! The endpoints come from the node's [`View`]: one paged listing, then the store's change
//! feed, so that a change anywhere in the cluster costs the agent that change's size. The
//! rules are rendered again only when this node's endpoints or the FelixConfigurations
//! changed; the tunnel addresses' inputs (pools, the Node) are read again only when one of
//! them changed.

use super::floating::FloatingIps;
use super::nat::{self, Ruleset};
use super::startup::{self, DefaultPools, Registration};
use super::tunnel::TunnelAddressAllocator;
use super::view::{Followed, Touched, View};
use super::{NodeError, log};
use crate::datastore::Read;
use crate::datastore::api::{Client, ClientError, Stored};
use crate::model::{IpPool, Node, WorkloadEndpoint};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Everything the agent needs to know, resolved from flags and environment.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The Calico node name this agent acts for.
    pub nodename: String,
    /// Labels to set on the Node (others are kept).
    pub labels: BTreeMap<String, String>,
    /// Default pools to create when a family has none.
    pub(crate) default_pools: DefaultPools,
    /// `ClusterInformation.spec.clusterType` tags to record (`CLUSTER_TYPE`).
    pub(crate) cluster_type: String,
    /// The version recorded in ClusterInformation.
    pub(crate) calico_version: String,
    /// Apply the NAT inside this named network namespace instead of the agent's own.
    pub netns: Option<String>,
    /// Print the NAT script instead of applying it, and write nothing to the datastore.
    pub dry_run: bool,
    /// Longest wait for a datastore change before looking again anyway.
    pub poll_interval: Duration,
    /// Re-apply the NAT (and re-run the tunnel addresses) this often even when nothing
    /// changed, repairing tables someone else removed.
    pub resync_interval: Duration,
    /// Longest pause between retries after an error.
    pub(crate) max_backoff: Duration,
    /// The Kubernetes Node this node is (`CALICO_K8S_NODE_REF`), recorded in `orchRefs`.
    pub(crate) k8s_node_ref: Option<String>,
}

impl AgentConfig {
    /// A configuration with the defaults and no default pools (tests, benchmarks).
    pub fn new(nodename: &str) -> AgentConfig {
        AgentConfig {
            nodename: nodename.to_string(),
            labels: BTreeMap::new(),
            default_pools: DefaultPools::default(),
            cluster_type: String::new(),
            calico_version: super::VERSION.to_string(),
            netns: None,
            dry_run: false,
            poll_interval: Duration::from_secs(5),
            resync_interval: Duration::from_secs(90),
            max_backoff: Duration::from_secs(30),
            k8s_node_ref: None,
        }
    }
}

/// What one [`Agent::reconcile`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileOutcome {
    /// The store revision the endpoints were read at.
    pub revision: i64,
    /// Local endpoints seen.
    pub endpoints: usize,
    /// True when the rules differ from the last ones applied (or printed).
    pub changed: bool,
    /// True when `nft` was run.
    pub applied: bool,
}

/// Reads this node's endpoints, renders their NAT and applies it (inside `netns` when given),
/// unconditionally. The one-shot form of the agent's loop, for tools and tests. As in the
/// loop, floating IPs are programmed only when FelixConfiguration `floatingIPs` is `Enabled`
/// (else the table is applied empty, and the log says why).
pub fn reconcile_nat(
    client: &Client,
    nodename: &str,
    netns: Option<&str>,
) -> Result<Ruleset, NodeError> {
    let mut view = View::new(nodename);
    view.load(client.store().as_ref())?;
    let floating = FloatingIps::read(client, nodename)?;
    let (rules, waiting) = render_if_enabled(&view.endpoints(), nodename, &floating);
    if waiting > 0 {
        log("WARN", &floating.why_not(waiting));
    }
    nat::apply(&rules.to_nft_script(), netns)?;
    Ok(rules)
}

/// The node's rules when floating IPs are enabled; otherwise the empty rules and the number
/// of floating IPs left unprogrammed.
fn render_if_enabled(
    weps: &[WorkloadEndpoint],
    nodename: &str,
    floating: &FloatingIps,
) -> (Ruleset, usize) {
    let rules = nat::render(weps, nodename);
    if floating.enabled() {
        (rules, 0)
    } else {
        (nat::render(&[], nodename), rules.dnat.len())
    }
}

/// Exponential back-off: 0.5 s doubling up to a cap.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);

    /// Starts at 0.5 s, never waits longer than `max`.
    pub(crate) fn new(max: Duration) -> Backoff {
        Backoff {
            next: Self::FIRST.min(max),
            max,
        }
    }

    /// The pause before the next retry; each call doubles the following one.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    /// After a success: start again from 0.5 s.
    pub(crate) fn reset(&mut self) {
        self.next = Self::FIRST.min(self.max);
    }
}

/// Sleeps for `d`, waking early when `stop` is set. Returns true when stopped.
pub(crate) fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) -> bool {
    let deadline = Instant::now() + d;
    loop {
        if stop.load(Ordering::Relaxed) {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

/// The calico-node agent for one node.
pub struct Agent {
    client: Client,
    config: AgentConfig,
    tunnels: Box<dyn TunnelAddressAllocator>,
    out: Box<dyn Write + Send>,
    /// The rules last applied (or printed, in a dry run).
    current: Option<Ruleset>,
    last_apply: Option<Instant>,
    last_tunnels: Option<Instant>,
    /// What the tunnel addresses were last brought up to date against: every pool's and the
    /// Node's key with its revision.
    tunnel_inputs: Option<Vec<(String, i64)>>,
    tunnel_notice_logged: bool,
    /// The unreadable endpoints reported so far (each once while it stays unreadable).
    bad_endpoints: BTreeSet<String>,
    /// The `floatingIPs` setting last reported as keeping floating IPs unprogrammed (reported
    /// once while it stays so).
    floating_reported: Option<FloatingIps>,
    /// This node's endpoints, kept by the change feed.
    view: View,
    /// The `floatingIPs` in force, read again when a FelixConfiguration changes.
    floating: Option<FloatingIps>,
    /// A pool or the Node changed since the tunnel addresses' inputs were last compared.
    tunnel_inputs_touched: bool,
}

impl Agent {
    /// An agent writing its dry-run output to `out`.
    pub fn new(
        client: Client,
        config: AgentConfig,
        tunnels: Box<dyn TunnelAddressAllocator>,
        out: Box<dyn Write + Send>,
    ) -> Agent {
        Agent {
            client,
            tunnels,
            out,
            current: None,
            last_apply: None,
            last_tunnels: None,
            tunnel_inputs: None,
            tunnel_notice_logged: false,
            bad_endpoints: BTreeSet::new(),
            floating_reported: None,
            view: View::new(&config.nodename),
            floating: None,
            tunnel_inputs_touched: false,
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    /// The rules last applied (or printed).
    pub fn current(&self) -> Option<&Ruleset> {
        self.current.as_ref()
    }

    /// Start-up: register the Node, create default pools, initialise ClusterInformation and
    /// bring the tunnel addresses up to date. A dry run writes nothing and skips all of it.
    pub fn startup(&mut self) -> Result<(), NodeError> {
        let c = &self.config;
        if c.dry_run {
            log(
                "INFO",
                &format!(
                    "dry run: node {} not registered, nothing written",
                    c.nodename
                ),
            );
            return Ok(());
        }
        let (_, reg) = startup::register_node(
            &self.client,
            &c.nodename,
            &c.labels,
            c.k8s_node_ref.as_deref(),
        )?;
        let verb = match reg {
            Registration::Created => "registered",
            Registration::Updated => "updated labels of",
            Registration::Unchanged => "found",
        };
        log("INFO", &format!("{verb} node {}", c.nodename));
        for p in startup::ensure_default_pools(&self.client, &c.default_pools)? {
            log(
                "INFO",
                &format!(
                    "created default pool {} ({}, NAT outgoing {}, IPIP {}, VXLAN {})",
                    p.metadata.name,
                    p.spec.cidr,
                    p.spec.nat_outgoing,
                    p.spec.ipip_mode,
                    p.spec.vxlan_mode
                ),
            );
        }
        startup::ensure_cluster_information(&self.client, &c.calico_version, &c.cluster_type)?;
        self.sync_tunnels()?;
        Ok(())
    }

    /// The keys and revisions of every pool and of this node's Node: what the tunnel
    /// addresses depend on (one round trip).
    fn read_tunnel_inputs(&self) -> Result<Vec<(String, i64)>, NodeError> {
        let reads = [
            Read::Prefix(IpPool::list_prefix(None)),
            Read::Key(Node::key(None, &self.config.nodename)),
        ];
        let answers = self
            .client
            .store()
            .read_many(&reads)
            .map_err(|e| NodeError::from(ClientError::from(e)))?;
        Ok(answers
            .results
            .into_iter()
            .flatten()
            .map(|kv| (kv.key, kv.mod_revision))
            .collect())
    }

    /// Runs the tunnel-address seam once.
    fn sync_tunnels(&mut self) -> Result<(), NodeError> {
        if self.config.dry_run {
            return Ok(());
        }
        let report = self
            .tunnels
            .reconcile(&self.client, &self.config.nodename)?;
        self.last_tunnels = Some(Instant::now());
        // Read after the pass, which may have written the Node itself.
        self.tunnel_inputs = self.read_tunnel_inputs().ok();
        for change in &report.changes {
            log("INFO", &format!("tunnel address: {change}"));
        }
        if let Some(why) = report.skipped
            && !self.tunnel_notice_logged
        {
            log("INFO", &why);
            self.tunnel_notice_logged = true;
        }
        Ok(())
    }

    /// One pass: bring the node's endpoints up to date (the first pass lists them; later
    /// ones apply the changes the feed has already delivered, without waiting), render, and
    /// apply (or print, in a dry run) when the rules differ from the last ones, or when
    /// `force` is set.
    pub fn reconcile(&mut self, force: bool) -> Result<ReconcileOutcome, NodeError> {
        self.catch_up(Duration::ZERO)?;
        self.render(force)
    }

    /// One pass of the loop: waits up to `wait` for changes, and renders only when they may
    /// change the rules (or `force` is set, or nothing was rendered yet).
    fn pass(&mut self, force: bool, wait: Duration) -> Result<ReconcileOutcome, NodeError> {
        let touched = self.catch_up(wait)?;
        if touched.rules() || force || self.current.is_none() {
            return self.render(force);
        }
        Ok(ReconcileOutcome {
            revision: self.view.revision(),
            endpoints: self.view.len(),
            changed: false,
            applied: false,
        })
    }

    /// Applies what the change feed has (waiting up to `timeout` for it), and re-reads
    /// `floatingIPs` when a FelixConfiguration changed.
    fn catch_up(&mut self, timeout: Duration) -> Result<Touched, NodeError> {
        let touched = match self.view.follow(self.client.store().as_ref(), timeout)? {
            Followed::Changes(touched) => touched,
            Followed::Relisted {
                from,
                compacted,
                revision,
            } => {
                log(
                    "WARN",
                    &format!(
                        "the datastore no longer has the changes after revision {from} \
                         (compacted up to {compacted}): listed this node's endpoints again at \
                         revision {revision}"
                    ),
                );
                Touched::ALL
            }
        };
        self.tunnel_inputs_touched |= touched.tunnel_inputs;
        if touched.felix {
            self.floating = None;
        }
        if self.floating.is_none() {
            self.floating = Some(FloatingIps::read(&self.client, &self.config.nodename)?);
        }
        Ok(touched)
    }

    /// Renders the view's endpoints, and applies (or prints) the rules when they differ from
    /// the last ones, or when `force` is set.
    fn render(&mut self, force: bool) -> Result<ReconcileOutcome, NodeError> {
        let nodename = self.config.nodename.clone();
        // Each unreadable endpoint is reported once, not on every pass while it stays.
        let bad: BTreeSet<String> = self.view.bad().cloned().collect();
        for b in bad.difference(&self.bad_endpoints) {
            log("WARN", &format!("skipping endpoint: {b}"));
        }
        self.bad_endpoints = bad;
        let floating = match &self.floating {
            Some(f) => f.clone(),
            None => FloatingIps::read(&self.client, &nodename)?,
        };
        let weps = self.view.endpoints();
        let (rules, waiting) = render_if_enabled(&weps, &nodename, &floating);
        self.report_floating(&floating, waiting);
        let changed = self.current.as_ref().is_none_or(|c| !c.same_rules(&rules));
        let mut applied = false;
        if changed || force {
            for s in &rules.skipped {
                log("WARN", &s.to_string());
            }
            let script = rules.to_nft_script();
            if self.config.dry_run {
                if changed {
                    print_script(&mut self.out, &script)?;
                }
            } else {
                let started = Instant::now();
                nat::apply(&script, self.config.netns.as_deref())?;
                applied = true;
                self.last_apply = Some(Instant::now());
                if changed {
                    log(
                        "INFO",
                        &format!(
                            "applied floating-IP NAT: {} DNAT, {} SNAT rules in {} ms",
                            rules.dnat.len(),
                            rules.snat.len(),
                            started.elapsed().as_millis()
                        ),
                    );
                }
            }
            self.current = Some(rules);
        }
        Ok(ReconcileOutcome {
            revision: self.view.revision(),
            endpoints: weps.len(),
            changed,
            applied,
        })
    }

    /// Says once, while it stays so, that floating IPs wait for `floatingIPs: Enabled`, and
    /// once when they are enabled after that.
    fn report_floating(&mut self, floating: &FloatingIps, waiting: usize) {
        if floating.enabled() {
            if self.floating_reported.take().is_some() {
                log(
                    "INFO",
                    &format!(
                        "floating IPs enabled by FelixConfiguration {}",
                        floating.source()
                    ),
                );
            }
        } else if waiting > 0 && self.floating_reported.as_ref() != Some(floating) {
            log("WARN", &floating.why_not(waiting));
            self.floating_reported = Some(floating.clone());
        }
    }

    fn resync_due(&self) -> bool {
        self.last_apply
            .is_none_or(|t| t.elapsed() >= self.config.resync_interval)
    }

    /// True when the tunnel addresses are due: their own resync interval has passed, or a
    /// pool or this node's Node changed since they were last brought up to date (Calico's
    /// allocateip follows every pool and Node update). The inputs are read only after the
    /// change feed reported a change to one of them.
    fn tunnels_due(&mut self) -> bool {
        if self.config.dry_run || self.current.is_none() {
            return false;
        }
        if self
            .last_tunnels
            .is_none_or(|t| t.elapsed() >= self.config.resync_interval)
        {
            return true;
        }
        if !std::mem::take(&mut self.tunnel_inputs_touched) {
            return false;
        }
        match self.read_tunnel_inputs() {
            Ok(inputs) => self.tunnel_inputs.as_ref() != Some(&inputs),
            Err(_) => {
                self.tunnel_inputs_touched = true;
                false
            }
        }
    }

    /// Start-up, then reconcile until `stop` is set. Errors are logged and retried with
    /// exponential back-off. Returns when stopped.
    pub fn run(&mut self, stop: &AtomicBool) {
        let mut backoff = Backoff::new(self.config.max_backoff);
        while let Err(e) = self.startup() {
            let d = backoff.next_delay();
            log(
                "ERROR",
                &format!("start-up failed: {e}; retrying in {} ms", d.as_millis()),
            );
            if sleep_unless_stopped(d, stop) {
                return;
            }
        }
        backoff.reset();
        while !stop.load(Ordering::Relaxed) {
            let resync = self.resync_due();
            if self.tunnels_due()
                && let Err(e) = self.sync_tunnels()
            {
                log("ERROR", &format!("tunnel addresses: {e}"));
            }
            // Short waits keep SIGTERM handling prompt.
            let wait = self.config.poll_interval.min(Duration::from_secs(1));
            match self.pass(resync && !self.config.dry_run, wait) {
                Ok(_) => backoff.reset(),
                Err(e) => {
                    let d = backoff.next_delay();
                    log(
                        "ERROR",
                        &format!("reconcile failed: {e}; retrying in {} ms", d.as_millis()),
                    );
                    if sleep_unless_stopped(d, stop) {
                        break;
                    }
                }
            }
        }
        log("INFO", "stopping");
    }
}

/// The agent's own output: the NAT script of a dry run, on its output stream.
fn print_script(out: &mut (dyn Write + Send), script: &str) -> Result<(), NodeError> {
    out.write_all(script.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| NodeError::Io {
            path: "<stdout>".into(),
            source: e,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datastore::memory::MemoryStore;
    use crate::model::workloadendpoint::IpNat;
    use crate::node::tunnel::NoIpam;
    use std::sync::{Arc, Mutex};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn wep(name: &str, node: &str, internal: &str, external: &str) -> WorkloadEndpoint {
        let mut w = WorkloadEndpoint::default();
        w.metadata.namespace = "default".into();
        w.metadata.name = crate::model::workloadendpoint::k8s_endpoint_name(node, name, "eth0");
        w.spec.orchestrator = "k8s".into();
        w.spec.pod = name.into();
        w.spec.endpoint = "eth0".into();
        w.spec.node = node.into();
        w.spec.ip_networks = vec![format!("{internal}/32")];
        w.spec.ip_nats = vec![IpNat {
            internal_ip: internal.into(),
            external_ip: external.into(),
        }];
        w
    }

    /// What a cluster using floating IPs applies (Felix's default is `Disabled`).
    fn enable_floating_ips(client: &Client) {
        client
            .create(crate::model::FelixConfiguration::with_floating_ips(
                "default", "Enabled",
            ))
            .unwrap();
    }

    fn dry_agent(client: &Client) -> (Agent, Shared) {
        let out = Shared::default();
        let mut cfg = AgentConfig::new("node-a");
        cfg.dry_run = true;
        cfg.poll_interval = Duration::from_millis(200);
        let agent = Agent::new(client.clone(), cfg, Box::new(NoIpam), Box::new(out.clone()));
        (agent, out)
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(3));
        let ms: Vec<u128> = (0..5).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 3000, 3000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(500));
    }

    #[test]
    fn dry_run_prints_only_when_the_rules_change_and_writes_nothing() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        enable_floating_ips(&client);
        let (mut agent, out) = dry_agent(&client);
        agent.startup().unwrap();
        assert!(
            client
                .list::<crate::model::Node>(None)
                .unwrap()
                .items
                .is_empty()
        );
        let first = agent.reconcile(false).unwrap();
        assert!(first.changed && !first.applied);
        assert_eq!(out.text(), nat::render(&[], "node-a").to_nft_script());
        // No change: nothing printed.
        assert!(!agent.reconcile(false).unwrap().changed);
        // A floating IP for this node: printed again, with the rule.
        client
            .create(wep("a", "node-a", "10.65.0.5", "10.0.0.1"))
            .unwrap();
        let o = agent.reconcile(false).unwrap();
        assert!(o.changed && !o.applied);
        assert!(
            out.text()
                .contains("ip daddr 10.0.0.1 dnat ip to 10.65.0.5")
        );
        // Another node's endpoint changes nothing here.
        let len = out.text().len();
        client
            .create(wep("b", "node-b", "10.65.0.6", "10.0.0.2"))
            .unwrap();
        assert!(!agent.reconcile(false).unwrap().changed);
        assert_eq!(out.text().len(), len);
    }

    #[test]
    fn run_follows_changes_and_stops_when_asked() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        enable_floating_ips(&client);
        let (mut agent, out) = dry_agent(&client);
        let stop = Arc::new(AtomicBool::new(false));
        let handle = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                agent.run(&stop);
                agent
            })
        };
        let wait_for = |needle: &str| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !out.text().contains(needle) {
                assert!(
                    Instant::now() < deadline,
                    "never saw {needle:?} in:\n{}",
                    out.text()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        wait_for("chain fip-dnat");
        client
            .create(wep("a", "node-a", "10.65.0.5", "10.0.0.1"))
            .unwrap();
        wait_for("ip daddr 10.0.0.1 dnat ip to 10.65.0.5");
        let started = Instant::now();
        stop.store(true, Ordering::Relaxed);
        let agent = handle.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "slow stop");
        assert_eq!(agent.current().unwrap().dnat.len(), 1);
    }

    #[test]
    fn floating_ips_wait_for_felix_configuration_enabled() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        let (mut agent, out) = dry_agent(&client);
        client
            .create(wep("a", "node-a", "10.65.0.5", "10.0.0.1"))
            .unwrap();
        // No FelixConfiguration: Felix's default, Disabled. The table is empty.
        let o = agent.reconcile(false).unwrap();
        assert!(o.changed && o.endpoints == 1);
        assert!(agent.current().unwrap().dnat.is_empty());
        assert_eq!(out.text(), nat::render(&[], "node-a").to_nft_script());
        assert_eq!(
            agent.floating_reported,
            Some(FloatingIps::read(&client, "node-a").unwrap())
        );
        // Explicitly Disabled: still nothing.
        client
            .create(crate::model::FelixConfiguration::with_floating_ips(
                "default", "Disabled",
            ))
            .unwrap();
        assert!(!agent.reconcile(false).unwrap().changed);
        // Enabled: programmed on the next pass.
        let mut cfg: crate::model::FelixConfiguration = client.get(None, "default").unwrap();
        cfg.spec.floating_ips = Some("Enabled".into());
        client.update(cfg).unwrap();
        assert!(agent.reconcile(false).unwrap().changed);
        assert_eq!(agent.current().unwrap().dnat.len(), 1);
        assert!(agent.floating_reported.is_none());
        assert!(
            out.text()
                .contains("ip daddr 10.0.0.1 dnat ip to 10.65.0.5")
        );
        // This node's own object says Disabled: it wins over default, the rule goes.
        client
            .create(crate::model::FelixConfiguration::with_floating_ips(
                "node.node-a",
                "Disabled",
            ))
            .unwrap();
        assert!(agent.reconcile(false).unwrap().changed);
        assert!(agent.current().unwrap().dnat.is_empty());
    }

    /// Counts its passes.
    struct CountingTunnels(Arc<std::sync::atomic::AtomicUsize>);

    impl TunnelAddressAllocator for CountingTunnels {
        fn reconcile(
            &self,
            _client: &Client,
            _nodename: &str,
        ) -> Result<crate::node::tunnel::TunnelReport, crate::node::tunnel::TunnelError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(crate::node::tunnel::TunnelReport {
                changes: Vec::new(),
                skipped: None,
            })
        }
    }

    #[test]
    fn tunnels_follow_pool_and_node_changes_not_endpoint_churn() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        let mut cfg = AgentConfig::new("node-a");
        cfg.resync_interval = Duration::from_secs(3600);
        let passes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut agent = Agent::new(
            client.clone(),
            cfg,
            Box::new(CountingTunnels(passes.clone())),
            Box::new(Shared::default()),
        );
        agent.startup().unwrap();
        assert_eq!(passes.load(Ordering::SeqCst), 1);
        // As after the first NAT pass of `run`: the view listed.
        agent.catch_up(Duration::ZERO).unwrap();
        agent.current = Some(nat::render(&[], "node-a"));
        assert!(!agent.tunnels_due());
        // Endpoints come and go: nothing for the tunnels (their inputs are not even read).
        client
            .create(wep("a", "node-a", "10.65.0.5", "10.0.0.1"))
            .unwrap();
        agent.catch_up(Duration::ZERO).unwrap();
        assert!(!agent.tunnel_inputs_touched);
        assert!(!agent.tunnels_due());
        // A pool appears, changes, goes; the Node changes: each time the tunnels are due.
        let pool = client.create(IpPool::new("p", "10.65.0.0/16")).unwrap();
        agent.catch_up(Duration::ZERO).unwrap();
        let mut changes: Vec<Box<dyn Fn()>> = Vec::new();
        let c = client.clone();
        changes.push(Box::new(move || {
            let mut p: IpPool = c.get(None, "p").unwrap();
            p.spec.vxlan_mode = "Always".into();
            c.update(p).unwrap();
        }));
        let c = client.clone();
        changes.push(Box::new(move || {
            let mut n: Node = c.get(None, "node-a").unwrap();
            n.metadata.labels.insert("rack".into(), "1".into());
            c.update(n).unwrap();
        }));
        let c = client.clone();
        let name = pool.metadata.name.clone();
        changes.push(Box::new(move || {
            c.delete::<IpPool>(None, &name, None).unwrap();
        }));
        assert!(agent.tunnels_due());
        agent.sync_tunnels().unwrap();
        assert!(!agent.tunnels_due());
        for change in changes {
            change();
            agent.catch_up(Duration::ZERO).unwrap();
            assert!(agent.tunnels_due());
            agent.sync_tunnels().unwrap();
            assert!(!agent.tunnels_due());
        }
        assert_eq!(passes.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn startup_registers_and_initialises() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        let mut cfg = AgentConfig::new("node-a");
        cfg.labels = startup::parse_labels("rack=0").unwrap();
        cfg.default_pools = DefaultPools::from_lookup(|_| None).unwrap();
        let mut agent = Agent::new(
            client.clone(),
            cfg,
            Box::new(NoIpam),
            Box::new(Shared::default()),
        );
        agent.startup().unwrap();
        let node: crate::model::Node = client.get(None, "node-a").unwrap();
        assert_eq!(node.metadata.labels["rack"], "0");
        let pool: crate::model::IpPool = client.get(None, "default-ipv4-ippool").unwrap();
        assert_eq!(pool.spec.cidr, "192.168.0.0/16");
        let info: crate::model::ClusterInformation = client.get(None, "default").unwrap();
        assert_eq!(info.spec.calico_version, "v3.31.0");
    }

    #[test]
    fn nft_failure_is_reported_and_not_remembered() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        let mut cfg = AgentConfig::new("node-a");
        cfg.netns = Some("calico-test-no-such-netns".into());
        let mut agent = Agent::new(client, cfg, Box::new(NoIpam), Box::new(Shared::default()));
        let e = agent.reconcile(false).unwrap_err().to_string();
        assert!(
            e.contains("ip netns exec calico-test-no-such-netns nft -f -"),
            "{e}"
        );
        assert!(agent.current().is_none(), "a failed apply must be retried");
    }
}
