//! The controllers' settings: KubeControllersConfiguration `default` (created with Calico's
//! defaults when absent, as Calico's kube-controllers does at start-up), with the flags'
//! overrides, and the running configuration written back to its `status`.

use crate::datastore::api::{Client, ClientError};
use crate::model::KubeControllersConfiguration;
use crate::model::felixconfig::Duration as GoDuration;
use crate::model::kubecontrollersconfig::{
    AutoHostEndpointConfig, LoadBalancerControllerConfig, NodeControllerConfig, ReconcilerConfig,
};
use std::time::Duration;

/// Calico's default leak grace period (15m).
pub(crate) const DEFAULT_LEAK_GRACE: Duration = Duration::from_secs(15 * 60);
const NAME: &str = "default";

/// What the node controller runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The node controller runs (its section exists in the configuration).
    pub(crate) node_controller: bool,
    /// Kubernetes Node labels are copied onto Calico Nodes (`syncLabels`).
    pub(crate) sync_labels: bool,
    /// How long an allocation without a pod lives before it is released.
    pub(crate) leak_grace: Duration,
    /// The Prometheus port (`prometheusMetricsPort`; 0: none).
    pub(crate) metrics_port: u16,
}

/// Calico's `NewDefaultKubeControllersConfig`, with the client's defaults filled in.
pub(crate) fn calico_default() -> KubeControllersConfiguration {
    let minutes = |m: i64| Some(GoDuration(m * 60 * 1_000_000_000));
    let mut kcc = KubeControllersConfiguration::default();
    kcc.metadata.name = NAME.into();
    let spec = &mut kcc.spec;
    spec.log_severity_screen = "Info".into();
    spec.health_checks = "Enabled".into();
    spec.etcd_v3_compaction_period = minutes(10);
    let reconciler = || {
        Some(ReconcilerConfig {
            reconciler_period: minutes(5),
        })
    };
    spec.controllers.node = Some(NodeControllerConfig {
        reconciler_period: minutes(5),
        sync_labels: "Enabled".into(),
        host_endpoint: Some(AutoHostEndpointConfig {
            auto_create: "Disabled".into(),
            create_default_host_endpoint: "Enabled".into(),
            templates: Vec::new(),
        }),
        leak_grace_period: minutes(15),
    });
    spec.controllers.policy = reconciler();
    spec.controllers.workload_endpoint = reconciler();
    spec.controllers.service_account = reconciler();
    spec.controllers.namespace = reconciler();
    spec.controllers.load_balancer = Some(LoadBalancerControllerConfig {
        assign_ips: "AllServices".into(),
    });
    kcc.fill_defaults()
        .expect("Calico's default configuration is valid");
    kcc
}

/// The settings a configuration gives, with `grace_override` (`--leak-grace-period`) winning
/// over its `leakGracePeriod` (unset: 15m).
pub(crate) fn settings(
    kcc: &KubeControllersConfiguration,
    grace_override: Option<Duration>,
) -> Settings {
    let node = kcc.spec.controllers.node.as_ref();
    let configured = node
        .and_then(|n| n.leak_grace_period)
        .map(|d| Duration::from_nanos(d.0.max(0) as u64));
    Settings {
        node_controller: node.is_some(),
        sync_labels: node.is_some_and(|n| n.sync_labels != "Disabled"),
        leak_grace: grace_override.or(configured).unwrap_or(DEFAULT_LEAK_GRACE),
        metrics_port: kcc
            .spec
            .prometheus_metrics_port
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(9094),
    }
}

/// Reads configuration `default`; when it is absent, creates it with Calico's defaults (only
/// read, never written, when `dry_run`). Returns it and whether it was created.
pub(crate) fn load(
    client: &Client,
    dry_run: bool,
) -> Result<(KubeControllersConfiguration, bool), ClientError> {
    for _ in 0..3 {
        if let Some(kcc) = client.get_opt::<KubeControllersConfiguration>(None, NAME)? {
            return Ok((kcc, false));
        }
        if dry_run {
            return Ok((calico_default(), false));
        }
        match client.create(calico_default()) {
            Ok(kcc) => return Ok((kcc, true)),
            Err(ClientError::AlreadyExists(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    client
        .get::<KubeControllersConfiguration>(None, NAME)
        .map(|k| (k, false))
}

/// Writes `status.runningConfig` as Calico does (the spec as run, without the metrics and
/// profiling ports and the node controller's ignored `reconcilerPeriod`; the leak grace
/// period as in force), when it differs from what is stored. Conflicts are left for the next
/// start: the status is informative.
pub(crate) fn record_running_config(
    client: &Client,
    mut kcc: KubeControllersConfiguration,
    settings: &Settings,
) -> Result<(), ClientError> {
    let mut running = kcc.spec.clone();
    running.prometheus_metrics_port = None;
    running.debug_profile_port = None;
    if let Some(node) = &mut running.controllers.node {
        node.reconciler_period = None;
        node.leak_grace_period = Some(GoDuration(settings.leak_grace.as_nanos() as i64));
    }
    if kcc.status.running_config == running {
        return Ok(());
    }
    kcc.status.running_config = running;
    match client.update(kcc) {
        Ok(_) | Err(ClientError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datastore::memory::MemoryStore;
    use std::sync::Arc;

    #[test]
    fn absent_configuration_is_created_with_calicos_defaults() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        let (_, created) = load(&client, true).unwrap();
        assert!(!created);
        assert!(
            client
                .get_opt::<KubeControllersConfiguration>(None, "default")
                .unwrap()
                .is_none(),
            "a dry run writes nothing"
        );
        let (kcc, created) = load(&client, false).unwrap();
        assert!(created);
        let json = serde_json::to_value(&kcc.spec).unwrap();
        assert_eq!(json["controllers"]["node"]["leakGracePeriod"], "15m0s");
        assert_eq!(json["controllers"]["node"]["syncLabels"], "Enabled");
        assert_eq!(json["etcdV3CompactionPeriod"], "10m0s");
        assert_eq!(json["prometheusMetricsPort"], 9094);
        assert_eq!(
            json["controllers"]["loadBalancer"]["assignIPs"],
            "AllServices"
        );
        let (again, created) = load(&client, false).unwrap();
        assert!(!created && again.spec == kcc.spec);
    }

    #[test]
    fn the_flag_wins_over_the_configured_grace() {
        let mut kcc = calico_default();
        assert_eq!(settings(&kcc, None).leak_grace, DEFAULT_LEAK_GRACE);
        kcc.spec
            .controllers
            .node
            .as_mut()
            .unwrap()
            .leak_grace_period = Some(GoDuration(2_000_000_000));
        assert_eq!(settings(&kcc, None).leak_grace, Duration::from_secs(2));
        let s = settings(&kcc, Some(Duration::from_millis(300)));
        assert_eq!(s.leak_grace, Duration::from_millis(300));
        assert!(s.node_controller && s.sync_labels);
        kcc.spec.controllers.node = None;
        assert!(!settings(&kcc, None).node_controller);
    }
}
