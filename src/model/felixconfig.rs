//! FelixConfiguration: Felix's settings, cluster-wide (`default`) or per node
//! (`node.<nodename>`).
//!
//! Every field of Calico v3.31's `FelixConfigurationSpec` is modelled (in Go's field order, with
//! its JSON name and omitempty rule) so that it is validated, stored and shown as calicoctl does.
//! This product acts on one of them, `floatingIPs` (calico-node programs floating-IP NAT only
//! when it is `Enabled`); the others are kept for the Calico components that read them.

use super::decode::OWN_ERROR;
use super::gotypes::{
    self, Basic, GoType, INT, PTR_BOOL, STRING, STRING_MAP, STRINGS, StructType, f,
};
use super::validation::{ErroredField, ValidationError};
use super::{Cidr, GoField, ObjectMeta, Resource, resource_basics};
use crate::go::duration::{format_duration, parse_duration};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// `projectcalico.org/v3` FelixConfiguration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FelixConfiguration {
    /// Always `FelixConfiguration`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name (`default` or `node.<nodename>`), labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The settings (boxed: the spec is large).
    #[serde(default)]
    pub spec: Box<FelixConfigurationSpec>,
}

/// The spec of a [`FelixConfiguration`]: Calico v3.31's fields in Go's order. `bpfLogLevel`
/// has no omitempty in Go, so it is always written (`""` when unset).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FelixConfigurationSpec {
    #[serde(
        default,
        rename = "useInternalDataplaneDriver",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) use_internal_dataplane_driver: Option<bool>,
    #[serde(
        default,
        rename = "dataplaneDriver",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) dataplane_driver: String,
    #[serde(
        default,
        rename = "dataplaneWatchdogTimeout",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) dataplane_watchdog_timeout: Option<Duration>,
    #[serde(
        default,
        rename = "ipv6Support",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) ipv6_support: Option<bool>,
    #[serde(
        default,
        rename = "routeRefreshInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) route_refresh_interval: Option<Duration>,
    #[serde(
        default,
        rename = "interfaceRefreshInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) interface_refresh_interval: Option<Duration>,
    #[serde(
        default,
        rename = "iptablesRefreshInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) iptables_refresh_interval: Option<Duration>,
    #[serde(
        default,
        rename = "iptablesPostWriteCheckInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) iptables_post_write_check_interval: Option<Duration>,
    #[serde(
        default,
        rename = "iptablesLockFilePath",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) iptables_lock_file_path: String,
    #[serde(
        default,
        rename = "iptablesLockTimeout",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) iptables_lock_timeout: Option<Duration>,
    #[serde(
        default,
        rename = "iptablesLockProbeInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) iptables_lock_probe_interval: Option<Duration>,
    #[serde(
        default,
        rename = "featureDetectOverride",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) feature_detect_override: String,
    #[serde(
        default,
        rename = "featureGates",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) feature_gates: String,
    #[serde(
        default,
        rename = "ipsetsRefreshInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) ipsets_refresh_interval: Option<Duration>,
    #[serde(
        default,
        rename = "maxIpsetSize",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) max_ipset_size: Option<i64>,
    #[serde(
        default,
        rename = "iptablesBackend",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) iptables_backend: Option<String>,
    #[serde(
        default,
        rename = "xdpRefreshInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) xdp_refresh_interval: Option<Duration>,
    #[serde(
        default,
        rename = "netlinkTimeout",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) netlink_timeout: Option<Duration>,
    #[serde(
        default,
        rename = "metadataAddr",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) metadata_addr: String,
    #[serde(
        default,
        rename = "metadataPort",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) metadata_port: Option<i64>,
    #[serde(
        default,
        rename = "openstackRegion",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) openstack_region: String,
    #[serde(
        default,
        rename = "interfacePrefix",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) interface_prefix: String,
    #[serde(
        default,
        rename = "interfaceExclude",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) interface_exclude: String,
    #[serde(
        default,
        rename = "chainInsertMode",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) chain_insert_mode: String,
    #[serde(
        default,
        rename = "defaultEndpointToHostAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) default_endpoint_to_host_action: String,
    #[serde(
        default,
        rename = "iptablesFilterAllowAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) iptables_filter_allow_action: String,
    #[serde(
        default,
        rename = "iptablesMangleAllowAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) iptables_mangle_allow_action: String,
    #[serde(
        default,
        rename = "iptablesFilterDenyAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) iptables_filter_deny_action: String,
    #[serde(
        default,
        rename = "logPrefix",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) log_prefix: String,
    #[serde(
        default,
        rename = "logActionRateLimit",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) log_action_rate_limit: Option<String>,
    #[serde(
        default,
        rename = "logActionRateLimitBurst",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) log_action_rate_limit_burst: Option<i64>,
    #[serde(
        default,
        rename = "logFilePath",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) log_file_path: String,
    #[serde(
        default,
        rename = "logSeverityFile",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) log_severity_file: String,
    #[serde(
        default,
        rename = "logSeverityScreen",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) log_severity_screen: String,
    #[serde(
        default,
        rename = "logSeveritySys",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) log_severity_sys: String,
    #[serde(
        default,
        rename = "logDebugFilenameRegex",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) log_debug_filename_regex: String,
    #[serde(
        default,
        rename = "ipipEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) ipip_enabled: Option<bool>,
    #[serde(default, rename = "ipipMTU", skip_serializing_if = "Option::is_none")]
    pub(crate) ipip_mtu: Option<i64>,
    #[serde(
        default,
        rename = "vxlanEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) vxlan_enabled: Option<bool>,
    #[serde(default, rename = "vxlanMTU", skip_serializing_if = "Option::is_none")]
    pub(crate) vxlan_mtu: Option<i64>,
    #[serde(
        default,
        rename = "vxlanMTUV6",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) vxlan_mtu_v6: Option<i64>,
    #[serde(default, rename = "vxlanPort", skip_serializing_if = "Option::is_none")]
    pub(crate) vxlan_port: Option<i64>,
    #[serde(default, rename = "vxlanVNI", skip_serializing_if = "Option::is_none")]
    pub(crate) vxlan_vni: Option<i64>,
    #[serde(
        default,
        rename = "allowVXLANPacketsFromWorkloads",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) allow_vxlan_packets_from_workloads: Option<bool>,
    #[serde(
        default,
        rename = "allowIPIPPacketsFromWorkloads",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) allow_ipip_packets_from_workloads: Option<bool>,
    #[serde(
        default,
        rename = "reportingInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) reporting_interval: Option<Duration>,
    #[serde(
        default,
        rename = "reportingTTL",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) reporting_ttl: Option<Duration>,
    #[serde(
        default,
        rename = "endpointReportingEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) endpoint_reporting_enabled: Option<bool>,
    #[serde(
        default,
        rename = "endpointReportingDelay",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) endpoint_reporting_delay: Option<Duration>,
    #[serde(
        default,
        rename = "endpointStatusPathPrefix",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) endpoint_status_path_prefix: String,
    #[serde(
        default,
        rename = "iptablesMarkMask",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) iptables_mark_mask: Option<u32>,
    #[serde(
        default,
        rename = "disableConntrackInvalidCheck",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) disable_conntrack_invalid_check: Option<bool>,
    #[serde(
        default,
        rename = "healthEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) health_enabled: Option<bool>,
    #[serde(
        default,
        rename = "healthHost",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) health_host: Option<String>,
    #[serde(
        default,
        rename = "healthPort",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) health_port: Option<i64>,
    #[serde(
        default,
        rename = "healthTimeoutOverrides",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) health_timeout_overrides: Vec<HealthTimeoutOverride>,
    #[serde(
        default,
        rename = "prometheusMetricsEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) prometheus_metrics_enabled: Option<bool>,
    #[serde(
        default,
        rename = "prometheusMetricsHost",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) prometheus_metrics_host: String,
    #[serde(
        default,
        rename = "prometheusMetricsPort",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) prometheus_metrics_port: Option<i64>,
    #[serde(
        default,
        rename = "prometheusGoMetricsEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) prometheus_go_metrics_enabled: Option<bool>,
    #[serde(
        default,
        rename = "prometheusProcessMetricsEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) prometheus_process_metrics_enabled: Option<bool>,
    #[serde(
        default,
        rename = "prometheusWireGuardMetricsEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) prometheus_wire_guard_metrics_enabled: Option<bool>,
    #[serde(
        default,
        rename = "failsafeInboundHostPorts",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) failsafe_inbound_host_ports: Option<Vec<ProtoPort>>,
    #[serde(
        default,
        rename = "failsafeOutboundHostPorts",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) failsafe_outbound_host_ports: Option<Vec<ProtoPort>>,
    #[serde(
        default,
        rename = "kubeNodePortRanges",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) kube_node_port_ranges: Option<Vec<Port>>,
    #[serde(
        default,
        rename = "policySyncPathPrefix",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) policy_sync_path_prefix: String,
    #[serde(
        default,
        rename = "usageReportingEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) usage_reporting_enabled: Option<bool>,
    #[serde(
        default,
        rename = "usageReportingInitialDelay",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) usage_reporting_initial_delay: Option<Duration>,
    #[serde(
        default,
        rename = "usageReportingInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) usage_reporting_interval: Option<Duration>,
    #[serde(
        default,
        rename = "natPortRange",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) nat_port_range: Option<Port>,
    #[serde(
        default,
        rename = "natOutgoingAddress",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) nat_outgoing_address: String,
    #[serde(
        default,
        rename = "natOutgoingExclusions",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) nat_outgoing_exclusions: Option<String>,
    #[serde(
        default,
        rename = "deviceRouteSourceAddress",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) device_route_source_address: String,
    #[serde(
        default,
        rename = "deviceRouteSourceAddressIPv6",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) device_route_source_address_ipv6: String,
    #[serde(
        default,
        rename = "deviceRouteProtocol",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) device_route_protocol: Option<i64>,
    #[serde(
        default,
        rename = "removeExternalRoutes",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) remove_external_routes: Option<bool>,
    #[serde(
        default,
        rename = "programClusterRoutes",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) program_cluster_routes: Option<String>,
    #[serde(
        default,
        rename = "ipForwarding",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) ip_forwarding: String,
    #[serde(
        default,
        rename = "externalNodesList",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) external_nodes_list: Option<Vec<String>>,
    #[serde(
        default,
        rename = "debugMemoryProfilePath",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) debug_memory_profile_path: String,
    #[serde(
        default,
        rename = "debugDisableLogDropping",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) debug_disable_log_dropping: Option<bool>,
    #[serde(
        default,
        rename = "debugSimulateCalcGraphHangAfter",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) debug_simulate_calc_graph_hang_after: Option<Duration>,
    #[serde(
        default,
        rename = "debugSimulateDataplaneHangAfter",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) debug_simulate_dataplane_hang_after: Option<Duration>,
    #[serde(
        default,
        rename = "debugSimulateDataplaneApplyDelay",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) debug_simulate_dataplane_apply_delay: Option<Duration>,
    #[serde(default, rename = "debugHost", skip_serializing_if = "Option::is_none")]
    pub(crate) debug_host: Option<String>,
    #[serde(default, rename = "debugPort", skip_serializing_if = "Option::is_none")]
    pub(crate) debug_port: Option<i64>,
    #[serde(
        default,
        rename = "iptablesNATOutgoingInterfaceFilter",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) iptables_nat_outgoing_interface_filter: String,
    #[serde(
        default,
        rename = "sidecarAccelerationEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) sidecar_acceleration_enabled: Option<bool>,
    #[serde(
        default,
        rename = "xdpEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) xdp_enabled: Option<bool>,
    #[serde(
        default,
        rename = "genericXDPEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) generic_xdp_enabled: Option<bool>,
    #[serde(
        default,
        rename = "nftablesMode",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) nftables_mode: Option<String>,
    #[serde(
        default,
        rename = "nftablesRefreshInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) nftables_refresh_interval: Option<Duration>,
    #[serde(
        default,
        rename = "nftablesFilterAllowAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) nftables_filter_allow_action: String,
    #[serde(
        default,
        rename = "nftablesMangleAllowAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) nftables_mangle_allow_action: String,
    #[serde(
        default,
        rename = "nftablesFilterDenyAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) nftables_filter_deny_action: String,
    #[serde(
        default,
        rename = "nftablesMarkMask",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) nftables_mark_mask: Option<u32>,
    #[serde(
        default,
        rename = "bpfEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_enabled: Option<bool>,
    #[serde(
        default,
        rename = "bpfDisableUnprivileged",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_disable_unprivileged: Option<bool>,
    #[serde(
        default,
        rename = "bpfJITHardening",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_jit_hardening: Option<String>,
    #[serde(default, rename = "bpfLogLevel")]
    pub(crate) bpf_log_level: String,
    #[serde(
        default,
        rename = "bpfConntrackLogLevel",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_conntrack_log_level: String,
    #[serde(
        default,
        rename = "bpfConntrackMode",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_conntrack_mode: Option<String>,
    #[serde(
        default,
        rename = "bpfConntrackTimeouts",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_conntrack_timeouts: Option<BpfConntrackTimeouts>,
    #[serde(
        default,
        rename = "bpfLogFilters",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_log_filters: Option<BTreeMap<String, String>>,
    #[serde(
        default,
        rename = "bpfCTLBLogFilter",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_ctlb_log_filter: String,
    #[serde(
        default,
        rename = "bpfDataIfacePattern",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_data_iface_pattern: String,
    #[serde(
        default,
        rename = "bpfL3IfacePattern",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_l3_iface_pattern: String,
    #[serde(
        default,
        rename = "bpfConnectTimeLoadBalancingEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_connect_time_load_balancing_enabled: Option<bool>,
    #[serde(
        default,
        rename = "bpfConnectTimeLoadBalancing",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_connect_time_load_balancing: Option<String>,
    #[serde(
        default,
        rename = "bpfHostNetworkedNATWithoutCTLB",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_host_networked_nat_without_ctlb: Option<String>,
    #[serde(
        default,
        rename = "bpfExternalServiceMode",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_external_service_mode: String,
    #[serde(
        default,
        rename = "bpfDSROptoutCIDRs",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_dsr_optout_cidrs: Option<Vec<String>>,
    #[serde(
        default,
        rename = "bpfExtToServiceConnmark",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_ext_to_service_connmark: Option<i64>,
    #[serde(
        default,
        rename = "bpfKubeProxyIptablesCleanupEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_kube_proxy_iptables_cleanup_enabled: Option<bool>,
    #[serde(
        default,
        rename = "bpfKubeProxyMinSyncPeriod",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_kube_proxy_min_sync_period: Option<Duration>,
    #[serde(
        default,
        rename = "bpfKubeProxyHealthzPort",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_kube_proxy_healthz_port: Option<i64>,
    #[serde(
        default,
        rename = "bpfKubeProxyEndpointSlicesEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_kube_proxy_endpoint_slices_enabled: Option<bool>,
    #[serde(
        default,
        rename = "bpfPSNATPorts",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_psnat_ports: Option<Port>,
    #[serde(
        default,
        rename = "bpfMapSizeNATFrontend",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_nat_frontend: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizeNATBackend",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_nat_backend: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizeNATAffinity",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_nat_affinity: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizeRoute",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_route: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizeConntrack",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_conntrack: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizePerCpuConntrack",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_per_cpu_conntrack: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizeConntrackScaling",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_map_size_conntrack_scaling: String,
    #[serde(
        default,
        rename = "bpfMapSizeConntrackCleanupQueue",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_conntrack_cleanup_queue: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizeIPSets",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_ip_sets: Option<i64>,
    #[serde(
        default,
        rename = "bpfMapSizeIfState",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_map_size_if_state: Option<i64>,
    #[serde(
        default,
        rename = "bpfHostConntrackBypass",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_host_conntrack_bypass: Option<bool>,
    #[serde(
        default,
        rename = "bpfEnforceRPF",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_enforce_rpf: String,
    #[serde(
        default,
        rename = "bpfPolicyDebugEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_policy_debug_enabled: Option<bool>,
    #[serde(
        default,
        rename = "bpfForceTrackPacketsFromIfaces",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_force_track_packets_from_ifaces: Option<Vec<String>>,
    #[serde(
        default,
        rename = "bpfDisableGROForIfaces",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_disable_gro_for_ifaces: String,
    #[serde(
        default,
        rename = "bpfExcludeCIDRsFromNAT",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_exclude_cidrs_from_nat: Option<Vec<String>>,
    #[serde(
        default,
        rename = "bpfExportBufferSizeMB",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_export_buffer_size_mb: Option<i64>,
    #[serde(
        default,
        rename = "cgroupV2Path",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) cgroup_v2_path: String,
    #[serde(
        default,
        rename = "flowLogsPolicyEvaluationMode",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) flow_logs_policy_evaluation_mode: Option<String>,
    #[serde(
        default,
        rename = "bpfRedirectToPeer",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_redirect_to_peer: String,
    #[serde(
        default,
        rename = "bpfAttachType",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) bpf_attach_type: Option<String>,
    #[serde(
        default,
        rename = "flowLogsFlushInterval",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) flow_logs_flush_interval: Option<Duration>,
    #[serde(
        default,
        rename = "flowLogsCollectorDebugTrace",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) flow_logs_collector_debug_trace: Option<bool>,
    #[serde(
        default,
        rename = "flowLogsGoldmaneServer",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) flow_logs_goldmane_server: Option<String>,
    #[serde(
        default,
        rename = "flowLogsLocalReporter",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) flow_logs_local_reporter: Option<String>,
    #[serde(
        default,
        rename = "bpfProfiling",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) bpf_profiling: String,
    #[serde(
        default,
        rename = "routeSource",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) route_source: String,
    #[serde(
        default,
        rename = "routeTableRanges",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) route_table_ranges: Option<Vec<RouteTableIdRange>>,
    #[serde(
        default,
        rename = "routeTableRange",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) route_table_range: Option<RouteTableRange>,
    #[serde(
        default,
        rename = "routeSyncDisabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) route_sync_disabled: Option<bool>,
    #[serde(
        default,
        rename = "wireguardEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_enabled: Option<bool>,
    #[serde(
        default,
        rename = "wireguardEnabledV6",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_enabled_v6: Option<bool>,
    #[serde(
        default,
        rename = "wireguardThreadingEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_threading_enabled: Option<bool>,
    #[serde(
        default,
        rename = "wireguardListeningPort",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_listening_port: Option<i64>,
    #[serde(
        default,
        rename = "wireguardListeningPortV6",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_listening_port_v6: Option<i64>,
    #[serde(
        default,
        rename = "wireguardRoutingRulePriority",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_routing_rule_priority: Option<i64>,
    #[serde(
        default,
        rename = "wireguardInterfaceName",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) wireguard_interface_name: String,
    #[serde(
        default,
        rename = "wireguardInterfaceNameV6",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) wireguard_interface_name_v6: String,
    #[serde(
        default,
        rename = "wireguardMTU",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_mtu: Option<i64>,
    #[serde(
        default,
        rename = "wireguardMTUV6",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_mtu_v6: Option<i64>,
    #[serde(
        default,
        rename = "wireguardHostEncryptionEnabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_host_encryption_enabled: Option<bool>,
    #[serde(
        default,
        rename = "wireguardKeepAlive",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) wireguard_keep_alive: Option<Duration>,
    #[serde(
        default,
        rename = "awsSrcDstCheck",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) aws_src_dst_check: Option<String>,
    #[serde(
        default,
        rename = "serviceLoopPrevention",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) service_loop_prevention: String,
    #[serde(
        default,
        rename = "workloadSourceSpoofing",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) workload_source_spoofing: String,
    #[serde(
        default,
        rename = "mtuIfacePattern",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) mtu_iface_pattern: String,
    #[serde(
        default,
        rename = "floatingIPs",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) floating_ips: Option<String>,
    #[serde(
        default,
        rename = "windowsManageFirewallRules",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) windows_manage_firewall_rules: Option<String>,
    #[serde(
        default,
        rename = "goGCThreshold",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) go_gc_threshold: Option<i64>,
    #[serde(
        default,
        rename = "goMemoryLimitMB",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) go_memory_limit_mb: Option<i64>,
    #[serde(
        default,
        rename = "goMaxProcs",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) go_max_procs: Option<i64>,
    #[serde(
        default,
        rename = "requireMTUFile",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) require_mtu_file: Option<bool>,
}

/// A `metav1.Duration`: nanoseconds, written as Go's `Duration.String()` (`90s` is `1m30s`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Duration(pub(crate) i64);

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(Duration)
            .map_err(|e| serde::de::Error::custom(format!("{OWN_ERROR}{e}")))
    }
}

/// A `numorstring.Port`: a number, a `min:max` range or a port name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Port {
    pub(crate) min: u16,
    pub(crate) max: u16,
    pub(crate) name: String,
}

impl Port {
    /// `numorstring.PortFromString`, with its messages ([`super::numorstring::Port::parse`]).
    fn from_text(s: &str) -> Result<Port, String> {
        super::numorstring::Port::parse(s).map(|p| Port {
            min: p.min,
            max: p.max,
            name: p.name,
        })
    }

    fn single(n: u16) -> Port {
        Port {
            min: n,
            max: n,
            name: String::new(),
        }
    }

    /// The struct validator's findings (Calico's `validatePort`): field `Port`.
    fn problems(&self, errs: &mut Vec<ErroredField>) {
        const RANGE: &str = "port range invalid, port number must be between 1 and 65535";
        if self.min > self.max {
            errs.push(ErroredField::new("Port", self.max, "port range invalid"));
        }
        if !self.name.is_empty() {
            if self.min != 0 || self.max != 0 {
                errs.push(ErroredField::new(
                    "Port",
                    &self.name,
                    "named port invalid, if name is specified, min and max should be 0",
                ));
            }
        } else if self.min < 1 {
            errs.push(ErroredField::new("Port", self.min, RANGE));
        } else if self.max < 1 {
            errs.push(ErroredField::new("Port", self.max, RANGE));
        }
    }
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.name.is_empty() {
            f.write_str(&self.name)
        } else if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}:{}", self.min, self.max)
        }
    }
}

impl Serialize for Port {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.name.is_empty() && self.min == self.max {
            s.serialize_u16(self.min)
        } else {
            s.serialize_str(&self.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u16),
            Text(String),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Number(n)) => Ok(Port::single(n)),
            Ok(Raw::Text(s)) => {
                Port::from_text(&s).map_err(|e| serde::de::Error::custom(format!("{OWN_ERROR}{e}")))
            }
            Err(_) => Err(serde::de::Error::custom(
                "invalid type: expected a port number or a string",
            )),
        }
    }
}

/// A protocol and port Felix always lets through (`failsafeInboundHostPorts`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProtoPort {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) protocol: String,
    #[serde(default)]
    pub(crate) port: u16,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) net: String,
}

/// A health-check timeout set for one of Felix's components.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct HealthTimeoutOverride {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) timeout: Duration,
}

/// `routeTableRange` (deprecated in favour of `routeTableRanges`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RouteTableRange {
    #[serde(default)]
    pub(crate) min: i64,
    #[serde(default)]
    pub(crate) max: i64,
}

/// One item of `routeTableRanges`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RouteTableIdRange {
    #[serde(default)]
    pub(crate) min: i64,
    #[serde(default)]
    pub(crate) max: i64,
}

/// `bpfConntrackTimeouts`: each a duration or `Auto`, kept as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BpfConntrackTimeouts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) creation_grace_period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tcp_syn_sent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tcp_established: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tcp_fins_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tcp_reset_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) udp_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) generic_timeout: Option<String>,
    #[serde(
        default,
        rename = "icmpTimeout",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) icmp_timeout: Option<String>,
}

impl FelixConfiguration {
    /// Calico's client defaults, filled on every create and update (`setDefaults`):
    /// `floatingIPs: Disabled`, `bpfConnectTimeLoadBalancing: TCP` and
    /// `bpfHostNetworkedNATWithoutCTLB: Enabled`, unless the deprecated
    /// `bpfConnectTimeLoadBalancingEnabled` is set, which decides both of the latter.
    pub(crate) fn set_client_defaults(&mut self) {
        let spec = &mut self.spec;
        spec.floating_ips.get_or_insert_with(|| "Disabled".into());
        spec.bpf_connect_time_load_balancing
            .get_or_insert_with(|| "TCP".into());
        spec.bpf_host_networked_nat_without_ctlb
            .get_or_insert_with(|| "Enabled".into());
        if let Some(enabled) = spec.bpf_connect_time_load_balancing_enabled {
            spec.bpf_host_networked_nat_without_ctlb = Some("Disabled".into());
            spec.bpf_connect_time_load_balancing =
                Some(if enabled { "Enabled" } else { "Disabled" }.into());
        }
    }

    /// A FelixConfiguration named `name` that sets only `floatingIPs` (`Enabled` or
    /// `Disabled`).
    pub fn with_floating_ips(name: &str, value: &str) -> FelixConfiguration {
        let mut f = FelixConfiguration {
            metadata: ObjectMeta {
                name: name.to_string(),
                ..ObjectMeta::default()
            },
            ..FelixConfiguration::default()
        };
        f.spec.floating_ips = Some(value.to_string());
        f.set_type_meta();
        f
    }

    /// The `floatingIPs` setting, if this object sets it.
    pub fn floating_ips(&self) -> Option<&str> {
        self.spec.floating_ips.as_deref()
    }
}

impl Resource for FelixConfiguration {
    const KIND: &'static str = "FelixConfiguration";
    const PLURAL: &'static str = "felixconfigurations";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "felixconfiguration",
        "felixconfigurations",
        "felixconfig",
        "felixconfigs",
    ];
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("spec.bpfConntrackTimeouts", "BPFConntrackTimeouts"),
        ("spec.routeTableRange", "RouteTableRange"),
        ("spec.routeTableRanges", "RouteTableIDRange"),
        ("spec.healthTimeoutOverrides", "HealthTimeoutOverride"),
        ("spec.failsafeInboundHostPorts", "ProtoPort"),
        ("spec.failsafeOutboundHostPorts", "ProtoPort"),
    ];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new("spec.iptablesMarkMask", "uint32"),
        GoField::list(
            "spec.failsafeInboundHostPorts",
            "[]v3.ProtoPort",
            "v3.ProtoPort",
        ),
        GoField::list(
            "spec.failsafeOutboundHostPorts",
            "[]v3.ProtoPort",
            "v3.ProtoPort",
        ),
        GoField::new("spec.nftablesMarkMask", "uint32"),
        GoField::new("spec.natPortRange", "numorstring.Port"),
        GoField::new("spec.bpfPSNATPorts", "numorstring.Port"),
        GoField::list(
            "spec.kubeNodePortRanges",
            "[]numorstring.Port",
            "numorstring.Port",
        ),
        GoField::new("spec.failsafeInboundHostPorts.port", "uint16"),
        GoField::new("spec.failsafeOutboundHostPorts.port", "uint16"),
    ];

    fn validate_standalone(&self) -> Result<(), ValidationError> {
        let mut defaulted = self.clone();
        defaulted.set_client_defaults();
        defaulted.validate()
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        self.spec.field_problems(&mut errs);
        self.spec.struct_problems(&mut errs);
        ValidationError::check(errs)
    }
}

/// Go's `regexp.Compile` accepts it (RE2 syntax).
fn compiles(re: &str) -> bool {
    regex_syntax::Parser::new().parse(re).is_ok()
}

/// Linux interface names (Calico's `interface` tag): `*` or up to 15 of `[a-zA-Z0-9_.-]`.
fn interface_ok(s: &str) -> bool {
    s == "*" || iface_chars(s, b"_.-")
}

/// Interface filters (`ifaceFilter`): up to 15 of `[a-zA-Z0-9:._+-]`.
fn iface_filter_ok(s: &str) -> bool {
    iface_chars(s, b":._+-")
}

fn iface_chars(s: &str, extra: &[u8]) -> bool {
    (1..=15).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// `keyValueList`: comma-separated `key=value` items (keys of word characters).
fn key_value_list_ok(s: &str) -> bool {
    s.trim().is_empty()
        || s.split(',').filter(|i| !i.is_empty()).all(|item| {
            item.trim_start().split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        })
}

/// A bound on an integer field: the tag (`gte`) and the test it names.
type IntRule = (&'static str, fn(i64) -> bool);

/// A rule of the generic validator on one field: the field's Go name, its value as Calico
/// prints it, and the tag that failed.
struct Check<'a> {
    errs: &'a mut Vec<ErroredField>,
}

impl Check<'_> {
    /// A string field with `omitempty,<tag>`: checked when set.
    fn string(&mut self, field: &str, value: &str, tag: &str, ok: impl Fn(&str) -> bool) {
        if !value.is_empty() && !ok(value) {
            self.errs.push(ErroredField::tag(field, value, tag));
        }
    }

    /// A pointer to a string type with `omitempty,oneof=...`.
    fn one_of(&mut self, field: &str, value: &Option<String>, allowed: &[&str]) {
        if let Some(v) = value
            && !allowed.contains(&v.as_str())
        {
            self.errs.push(ErroredField::tag(field, v, "oneof"));
        }
    }

    /// A string with `omitempty,oneof=...`.
    fn one_of_str(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !value.is_empty() && !allowed.contains(&value) {
            self.errs.push(ErroredField::tag(field, value, "oneof"));
        }
    }

    /// A pointer to an int with bounds: `(tag, passes)` pairs in the tag's order.
    fn int(&mut self, field: &str, value: Option<i64>, rules: &[IntRule]) {
        if let Some(v) = value
            && let Some((tag, _)) = rules.iter().find(|(_, ok)| !ok(v))
        {
            self.errs.push(ErroredField::tag(field, v, tag));
        }
    }

    /// A pointer to a list of strings with `omitempty,<tag>` over every item.
    fn list(&mut self, field: &str, value: &Option<Vec<String>>, tag: &str, ok: fn(&str) -> bool) {
        if let Some(items) = value
            && !items.iter().all(|i| ok(i))
        {
            self.errs.push(ErroredField::tag(
                field,
                format!("[{}]", items.join(" ")),
                tag,
            ));
        }
    }
}

impl FelixConfigurationSpec {
    /// The field tags, in Go's field order.
    fn field_problems(&self, errs: &mut Vec<ErroredField>) {
        const ACCEPT_RETURN: fn(&str) -> bool = |s| matches!(s, "Accept" | "Return");
        const DROP_REJECT: fn(&str) -> bool = |s| matches!(s, "Drop" | "Reject");
        const LOG_LEVEL: fn(&str) -> bool = |s| {
            matches!(
                s,
                "Trace" | "Debug" | "Info" | "Warning" | "Error" | "Fatal"
            )
        };
        let mut c = Check { errs };
        c.string(
            "FeatureDetectOverride",
            &self.feature_detect_override,
            "keyValueList",
            key_value_list_ok,
        );
        c.string(
            "FeatureGates",
            &self.feature_gates,
            "keyValueList",
            key_value_list_ok,
        );
        if let Some(b) = &self.iptables_backend
            && !matches!(b.as_str(), "" | "Legacy" | "NFT" | "Auto")
        {
            c.errs
                .push(ErroredField::tag("IptablesBackend", b, "iptablesBackend"));
        }
        c.string(
            "DefaultEndpointToHostAction",
            &self.default_endpoint_to_host_action,
            "dropAcceptReturn",
            |s| matches!(s, "Drop" | "Accept" | "Return"),
        );
        c.string(
            "IptablesFilterAllowAction",
            &self.iptables_filter_allow_action,
            "acceptReturn",
            ACCEPT_RETURN,
        );
        c.string(
            "IptablesMangleAllowAction",
            &self.iptables_mangle_allow_action,
            "acceptReturn",
            ACCEPT_RETURN,
        );
        c.string(
            "IptablesFilterDenyAction",
            &self.iptables_filter_deny_action,
            "dropReject",
            DROP_REJECT,
        );
        c.string(
            "LogSeverityFile",
            &self.log_severity_file,
            "logLevel",
            LOG_LEVEL,
        );
        c.string(
            "LogSeverityScreen",
            &self.log_severity_screen,
            "logLevel",
            LOG_LEVEL,
        );
        c.string(
            "LogSeveritySys",
            &self.log_severity_sys,
            "logLevel",
            LOG_LEVEL,
        );
        c.string(
            "LogDebugFilenameRegex",
            &self.log_debug_filename_regex,
            "regexp",
            compiles,
        );
        for o in &self.health_timeout_overrides {
            // Go's `%v`: metav1.Duration prints through its promoted String().
            let value = format!("{{{} {}}}", o.name, format_duration(o.timeout.0));
            let name_ok = !o.name.is_empty()
                && o.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b'-'));
            if !name_ok {
                c.errs.push(ErroredField::new(
                    "HealthTimeoutOverride.Name",
                    &value,
                    "name should match regex ^[a-zA-Z0-9_ -]+$",
                ));
            }
            if o.timeout.0 < 0 {
                c.errs.push(ErroredField::new(
                    "HealthTimeoutOverride.Timeout",
                    &value,
                    "Timeout should not be negative",
                ));
            }
        }
        c.string(
            "PrometheusMetricsHost",
            &self.prometheus_metrics_host,
            "prometheusHost",
            |s| {
                (1..=64).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b":._+-".contains(&b))
            },
        );
        for p in self.kube_node_port_ranges.iter().flatten() {
            p.problems(c.errs);
        }
        if let Some(p) = &self.nat_port_range {
            p.problems(c.errs);
        }
        c.one_of(
            "NATOutgoingExclusions",
            &self.nat_outgoing_exclusions,
            &["IPPoolsOnly", "IPPoolsAndHostIPs"],
        );
        c.int(
            "DebugPort",
            self.debug_port,
            &[("gte", |v| v >= 0), ("lte", |v| v <= 65535)],
        );
        c.string(
            "IptablesNATOutgoingInterfaceFilter",
            &self.iptables_nat_outgoing_interface_filter,
            "ifaceFilter",
            iface_filter_ok,
        );
        c.string(
            "NftablesFilterAllowAction",
            &self.nftables_filter_allow_action,
            "acceptReturn",
            ACCEPT_RETURN,
        );
        c.string(
            "NftablesMangleAllowAction",
            &self.nftables_mangle_allow_action,
            "acceptReturn",
            ACCEPT_RETURN,
        );
        c.string(
            "NftablesFilterDenyAction",
            &self.nftables_filter_deny_action,
            "dropReject",
            DROP_REJECT,
        );
        c.one_of(
            "BPFJITHardening",
            &self.bpf_jit_hardening,
            &["Auto", "Strict"],
        );
        c.string("BPFLogLevel", &self.bpf_log_level, "bpfLogLevel", |s| {
            matches!(s, "Debug" | "Info" | "Off")
        });
        c.one_of_str(
            "BPFConntrackLogLevel",
            &self.bpf_conntrack_log_level,
            &["Off", "Debug"],
        );
        c.one_of(
            "BPFConntrackCleanupMode",
            &self.bpf_conntrack_mode,
            &["Auto", "Userspace", "BPFProgram"],
        );
        if let Some(filters) = &self.bpf_log_filters
            && !filters.keys().all(|k| k != "*" && interface_ok(k))
        {
            let shown: Vec<String> = filters.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            c.errs.push(ErroredField::tag(
                "BPFLogFilters",
                format!("map[{}]", shown.join(" ")),
                "bpfLogFilters",
            ));
        }
        c.string(
            "BPFDataIfacePattern",
            &self.bpf_data_iface_pattern,
            "regexp",
            compiles,
        );
        c.string(
            "BPFL3IfacePattern",
            &self.bpf_l3_iface_pattern,
            "regexp",
            compiles,
        );
        c.one_of(
            "BPFConnectTimeLoadBalancing",
            &self.bpf_connect_time_load_balancing,
            &["TCP", "Enabled", "Disabled"],
        );
        c.one_of(
            "BPFHostNetworkedNATWithoutCTLB",
            &self.bpf_host_networked_nat_without_ctlb,
            &["Enabled", "Disabled"],
        );
        c.string(
            "BPFExternalServiceMode",
            &self.bpf_external_service_mode,
            "bpfServiceMode",
            |s| matches!(s, "Tunnel" | "DSR"),
        );
        c.list(
            "BPFDSROptoutCIDRs",
            &self.bpf_dsr_optout_cidrs,
            "cidrs",
            |s| Cidr::parse_ip_or_cidr(s).is_ok(),
        );
        c.int(
            "BPFExtToServiceConnmark",
            self.bpf_ext_to_service_connmark,
            &[("gte", |v| v >= 0), ("lte", |v| v <= 4_294_967_295)],
        );
        c.int(
            "BPFKubeProxyHealthzPort",
            self.bpf_kube_proxy_healthz_port,
            &[("gte", |v| v >= 1), ("lte", |v| v <= 65535)],
        );
        if let Some(p) = &self.bpf_psnat_ports {
            p.problems(c.errs);
        }
        c.int(
            "BPFMapSizeConntrackCleanupQueue",
            self.bpf_map_size_conntrack_cleanup_queue,
            &[("gte", |v| v >= 1)],
        );
        c.list(
            "BPFForceTrackPacketsFromIfaces",
            &self.bpf_force_track_packets_from_ifaces,
            "ifaceFilterSlice",
            iface_filter_ok,
        );
        c.string(
            "BPFDisableGROForIfaces",
            &self.bpf_disable_gro_for_ifaces,
            "regexp",
            compiles,
        );
        c.list(
            "BPFExcludeCIDRsFromNAT",
            &self.bpf_exclude_cidrs_from_nat,
            "cidrs",
            |s| Cidr::parse_ip_or_cidr(s).is_ok(),
        );
        c.one_of("BPFAttachType", &self.bpf_attach_type, &["TC", "TCX"]);
        c.string("RouteSource", &self.route_source, "routeSource", compiles);
        for r in self.route_table_ranges.iter().flatten() {
            let value = format!("{{{} {}}}", r.min, r.max);
            for (bad, reason) in [
                (r.min > r.max, "min value cannot be greater than max value"),
                (r.min <= 0, "cannot target indices < 1"),
                (r.max > 0xffff_ffff, "max index too high"),
            ] {
                if bad {
                    c.errs
                        .push(ErroredField::new("RouteTableRange", &value, reason));
                }
            }
        }
        if let Some(r) = &self.route_table_range
            && !(r.min >= 1 && r.max >= r.min && r.max <= 250)
        {
            c.errs.push(ErroredField::new(
                "RouteTableRange",
                format!("{{{} {}}}", r.min, r.max),
                "must be a range of route table indices within 1..250",
            ));
        }
        const PORT: &[IntRule] = &[("gt", |v| v > 0), ("lte", |v| v <= 65535)];
        c.int(
            "WireguardListeningPort",
            self.wireguard_listening_port,
            PORT,
        );
        c.int(
            "WireguardListeningPortV6",
            self.wireguard_listening_port_v6,
            PORT,
        );
        c.int(
            "WireguardRoutingRulePriority",
            self.wireguard_routing_rule_priority,
            &[("gt", |v| v > 0), ("lt", |v| v < 32766)],
        );
        c.string(
            "WireguardInterfaceName",
            &self.wireguard_interface_name,
            "interface",
            interface_ok,
        );
        c.string(
            "WireguardInterfaceNameV6",
            &self.wireguard_interface_name_v6,
            "interface",
            interface_ok,
        );
        c.one_of(
            "AWSSrcDstCheck",
            &self.aws_src_dst_check,
            &["DoNothing", "Enable", "Disable"],
        );
        c.one_of_str(
            "ServiceLoopPrevention",
            &self.service_loop_prevention,
            &["Drop", "Reject", "Disabled"],
        );
        c.one_of_str(
            "WorkloadSourceSpoofing",
            &self.workload_source_spoofing,
            &["Disabled", "Any"],
        );
        c.string(
            "MTUIfacePattern",
            &self.mtu_iface_pattern,
            "regexp",
            compiles,
        );
        c.one_of(
            "WindowsManageFirewallRules",
            &self.windows_manage_firewall_rules,
            &["Enabled", "Disabled"],
        );
        const MINUS_ONE: &[IntRule] = &[("gte", |v| v >= -1)];
        c.int("GoGCThreshold", self.go_gc_threshold, MINUS_ONE);
        c.int("GoMemoryLimitMB", self.go_memory_limit_mb, MINUS_ONE);
        c.int("GoMaxProcs", self.go_max_procs, MINUS_ONE);
    }

    /// The spec's struct-level rules (Calico's `validateFelixConfigSpec`), after the fields.
    fn struct_problems(&self, errs: &mut Vec<ErroredField>) {
        if let Some(ranges) = &self.kube_node_port_ranges {
            // Go prints the list with `%v` of numorstring.Port structs.
            let shown = || {
                let items: Vec<String> = ranges
                    .iter()
                    .map(|p| format!("{{{} {} {}}}", p.min, p.max, p.name))
                    .collect();
                format!("[{}]", items.join(" "))
            };
            if ranges.len() > 7 {
                errs.push(ErroredField::new(
                    "KubeNodePortRanges",
                    shown(),
                    "node port ranges list is too long (max 7)",
                ));
            }
            for p in ranges {
                if !p.name.is_empty() {
                    errs.push(ErroredField::new(
                        "KubeNodePortRanges",
                        shown(),
                        "node port ranges should not contain named ports",
                    ));
                }
            }
        }
        for cidr in self.external_nodes_list.iter().flatten() {
            match Cidr::parse_ip_or_cidr(cidr) {
                Err(_) => errs.push(ErroredField::new(
                    "ExternalNodesCIDRList",
                    cidr,
                    "has invalid CIDR(s)",
                )),
                Ok(c) if !c.is_ipv4() => errs.push(ErroredField::new(
                    "ExternalNodesCIDRList",
                    cidr,
                    "has invalid IPv6 CIDR",
                )),
                Ok(_) => {}
            }
        }
        let region = &self.openstack_region;
        if region.len() > 63 - "openstack-region-".len() {
            errs.push(ErroredField::new("OpenstackRegion", region, "is too long"));
        } else if !region.is_empty() && super::validation::namespace_problem(region).is_some() {
            errs.push(ErroredField::new(
                "OpenstackRegion",
                region,
                "must be a valid DNS label",
            ));
        }
        for (field, value, version, reason) in [
            (
                "NATOutgoingAddress",
                &self.nat_outgoing_address,
                4,
                "is not a valid IPv4 address",
            ),
            (
                "DeviceRouteSourceAddress",
                &self.device_route_source_address,
                4,
                "is not a valid IPv4 address",
            ),
            (
                "DeviceRouteSourceAddressIPv6",
                &self.device_route_source_address_ipv6,
                6,
                "is not a valid IPv6 address",
            ),
        ] {
            if !value.is_empty()
                && super::cidr::parse_ip(value).map(super::cidr::ip_version) != Some(version)
            {
                errs.push(ErroredField::new(field, value, reason));
            }
        }
        if let (Some(r), Some(_)) = (&self.route_table_range, &self.route_table_ranges) {
            errs.push(ErroredField::new(
                "RouteTableRange",
                format!("{{{} {}}}", r.min, r.max),
                "cannot be set when `RouteTableRanges` is also set",
            ));
        }
        if let Some(ranges) = &self.route_table_ranges {
            let tables: i64 = ranges.iter().map(|r| r.max - r.min + 1).sum();
            if tables > 0xffff {
                let items: Vec<String> = ranges
                    .iter()
                    .map(|r| format!("{{{} {}}}", r.min, r.max))
                    .collect();
                errs.push(ErroredField::new(
                    "RouteTableRanges",
                    format!("[{}]", items.join(" ")),
                    "targets too many tables",
                ));
            }
        }
    }
}

// Go types of the spec's fields, for templates.
static PTR_STRING: GoType = GoType::Ptr(&STRING);
static PTR_INT: GoType = GoType::Ptr(&INT);
static PTR_UINT32: GoType = GoType::Ptr(&GoType::Scalar("uint32", Basic::Uint));
static PTR_STRINGS: GoType = GoType::Ptr(&STRINGS);
static PTR_STRING_MAP: GoType = GoType::Ptr(&STRING_MAP);
/// `metav1.Duration`, shown by its text.
pub(crate) static DURATION: GoType = GoType::Scalar("v1.Duration", Basic::Stringer);
pub(crate) static PTR_DURATION: GoType = GoType::Ptr(&DURATION);
static PORT: GoType = GoType::Scalar("numorstring.Port", Basic::Stringer);
static PTR_PORT: GoType = GoType::Ptr(&PORT);
static PTR_PORTS: GoType = GoType::Ptr(&GoType::Slice(&PORT));
static PTR_PROTO_PORTS: GoType = GoType::Ptr(&GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.ProtoPort",
    fields: &[
        f("Protocol", "protocol", &STRING),
        f("Port", "port", &gotypes::UINT16),
        f("Net", "net", &STRING),
    ],
})));
static HEALTH_TIMEOUT_OVERRIDES: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.HealthTimeoutOverride",
    fields: &[
        f("Name", "name", &STRING),
        f("Timeout", "timeout", &DURATION),
    ],
}));
static ROUTE_TABLE_RANGE_FIELDS: &[gotypes::Field] =
    &[f("Min", "min", &INT), f("Max", "max", &INT)];
static PTR_ROUTE_TABLE_RANGE: GoType = GoType::Ptr(&GoType::Struct(&StructType {
    name: "v3.RouteTableRange",
    fields: ROUTE_TABLE_RANGE_FIELDS,
}));
static PTR_ROUTE_TABLE_RANGES: GoType = GoType::Ptr(&GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.RouteTableIDRange",
    fields: ROUTE_TABLE_RANGE_FIELDS,
})));
static CONNTRACK_TIMEOUT: GoType =
    GoType::Ptr(&GoType::Scalar("v3.BPFConntrackTimeout", Basic::String));
static PTR_CONNTRACK_TIMEOUTS: GoType = GoType::Ptr(&GoType::Struct(&StructType {
    name: "v3.BPFConntrackTimeouts",
    fields: &[
        f(
            "CreationGracePeriod",
            "creationGracePeriod",
            &CONNTRACK_TIMEOUT,
        ),
        f("TCPSynSent", "tcpSynSent", &CONNTRACK_TIMEOUT),
        f("TCPEstablished", "tcpEstablished", &CONNTRACK_TIMEOUT),
        f("TCPFinsSeen", "tcpFinsSeen", &CONNTRACK_TIMEOUT),
        f("TCPResetSeen", "tcpResetSeen", &CONNTRACK_TIMEOUT),
        f("UDPTimeout", "udpTimeout", &CONNTRACK_TIMEOUT),
        f("GenericTimeout", "genericTimeout", &CONNTRACK_TIMEOUT),
        f("ICMPTimeout", "icmpTimeout", &CONNTRACK_TIMEOUT),
    ],
}));
static PTR_AWS_SRC_DST_CHECK_OPTION: GoType =
    GoType::Ptr(&GoType::Scalar("v3.AWSSrcDstCheckOption", Basic::String));
static PTR_BPF_ATTACH_OPTION: GoType =
    GoType::Ptr(&GoType::Scalar("v3.BPFAttachOption", Basic::String));
static PTR_BPF_JIT_HARDENING_TYPE: GoType =
    GoType::Ptr(&GoType::Scalar("v3.BPFJITHardeningType", Basic::String));
static PTR_BPF_CONNECT_TIME_LB_TYPE: GoType =
    GoType::Ptr(&GoType::Scalar("v3.BPFConnectTimeLBType", Basic::String));
static PTR_BPF_CONNTRACK_MODE: GoType =
    GoType::Ptr(&GoType::Scalar("v3.BPFConntrackMode", Basic::String));
static PTR_BPF_HOST_NETWORKED_NAT_TYPE: GoType =
    GoType::Ptr(&GoType::Scalar("v3.BPFHostNetworkedNATType", Basic::String));
static PTR_FLOATING_IP_TYPE: GoType =
    GoType::Ptr(&GoType::Scalar("v3.FloatingIPType", Basic::String));
static PTR_FLOW_LOGS_POLICY_EVALUATION_MODE_TYPE: GoType = GoType::Ptr(&GoType::Scalar(
    "v3.FlowLogsPolicyEvaluationModeType",
    Basic::String,
));
static PTR_IPTABLES_BACKEND: GoType =
    GoType::Ptr(&GoType::Scalar("v3.IptablesBackend", Basic::String));
static PTR_NAT_OUTGOING_EXCLUSIONS_TYPE: GoType = GoType::Ptr(&GoType::Scalar(
    "v3.NATOutgoingExclusionsType",
    Basic::String,
));
static PTR_NF_TABLES_MODE: GoType = GoType::Ptr(&GoType::Scalar("v3.NFTablesMode", Basic::String));
static PTR_WINDOWS_MANAGE_FIREWALL_RULES_MODE: GoType = GoType::Ptr(&GoType::Scalar(
    "v3.WindowsManageFirewallRulesMode",
    Basic::String,
));

// FelixConfiguration (felixconfig.go).
gotypes::go_kind!(
    "v3.FelixConfiguration",
    "v3.FelixConfigurationList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.FelixConfigurationSpec",
            fields: &[
                f(
                    "UseInternalDataplaneDriver",
                    "useInternalDataplaneDriver",
                    &PTR_BOOL
                ),
                f("DataplaneDriver", "dataplaneDriver", &STRING),
                f(
                    "DataplaneWatchdogTimeout",
                    "dataplaneWatchdogTimeout",
                    &PTR_DURATION
                ),
                f("IPv6Support", "ipv6Support", &PTR_BOOL),
                f(
                    "RouteRefreshInterval",
                    "routeRefreshInterval",
                    &PTR_DURATION
                ),
                f(
                    "InterfaceRefreshInterval",
                    "interfaceRefreshInterval",
                    &PTR_DURATION
                ),
                f(
                    "IptablesRefreshInterval",
                    "iptablesRefreshInterval",
                    &PTR_DURATION
                ),
                f(
                    "IptablesPostWriteCheckInterval",
                    "iptablesPostWriteCheckInterval",
                    &PTR_DURATION
                ),
                f("IptablesLockFilePath", "iptablesLockFilePath", &STRING),
                f("IptablesLockTimeout", "iptablesLockTimeout", &PTR_DURATION),
                f(
                    "IptablesLockProbeInterval",
                    "iptablesLockProbeInterval",
                    &PTR_DURATION
                ),
                f("FeatureDetectOverride", "featureDetectOverride", &STRING),
                f("FeatureGates", "featureGates", &STRING),
                f(
                    "IpsetsRefreshInterval",
                    "ipsetsRefreshInterval",
                    &PTR_DURATION
                ),
                f("MaxIpsetSize", "maxIpsetSize", &PTR_INT),
                f("IptablesBackend", "iptablesBackend", &PTR_IPTABLES_BACKEND),
                f("XDPRefreshInterval", "xdpRefreshInterval", &PTR_DURATION),
                f("NetlinkTimeout", "netlinkTimeout", &PTR_DURATION),
                f("MetadataAddr", "metadataAddr", &STRING),
                f("MetadataPort", "metadataPort", &PTR_INT),
                f("OpenstackRegion", "openstackRegion", &STRING),
                f("InterfacePrefix", "interfacePrefix", &STRING),
                f("InterfaceExclude", "interfaceExclude", &STRING),
                f("ChainInsertMode", "chainInsertMode", &STRING),
                f(
                    "DefaultEndpointToHostAction",
                    "defaultEndpointToHostAction",
                    &STRING
                ),
                f(
                    "IptablesFilterAllowAction",
                    "iptablesFilterAllowAction",
                    &STRING
                ),
                f(
                    "IptablesMangleAllowAction",
                    "iptablesMangleAllowAction",
                    &STRING
                ),
                f(
                    "IptablesFilterDenyAction",
                    "iptablesFilterDenyAction",
                    &STRING
                ),
                f("LogPrefix", "logPrefix", &STRING),
                f("LogActionRateLimit", "logActionRateLimit", &PTR_STRING),
                f(
                    "LogActionRateLimitBurst",
                    "logActionRateLimitBurst",
                    &PTR_INT
                ),
                f("LogFilePath", "logFilePath", &STRING),
                f("LogSeverityFile", "logSeverityFile", &STRING),
                f("LogSeverityScreen", "logSeverityScreen", &STRING),
                f("LogSeveritySys", "logSeveritySys", &STRING),
                f("LogDebugFilenameRegex", "logDebugFilenameRegex", &STRING),
                f("IPIPEnabled", "ipipEnabled", &PTR_BOOL),
                f("IPIPMTU", "ipipMTU", &PTR_INT),
                f("VXLANEnabled", "vxlanEnabled", &PTR_BOOL),
                f("VXLANMTU", "vxlanMTU", &PTR_INT),
                f("VXLANMTUV6", "vxlanMTUV6", &PTR_INT),
                f("VXLANPort", "vxlanPort", &PTR_INT),
                f("VXLANVNI", "vxlanVNI", &PTR_INT),
                f(
                    "AllowVXLANPacketsFromWorkloads",
                    "allowVXLANPacketsFromWorkloads",
                    &PTR_BOOL
                ),
                f(
                    "AllowIPIPPacketsFromWorkloads",
                    "allowIPIPPacketsFromWorkloads",
                    &PTR_BOOL
                ),
                f("ReportingInterval", "reportingInterval", &PTR_DURATION),
                f("ReportingTTL", "reportingTTL", &PTR_DURATION),
                f(
                    "EndpointReportingEnabled",
                    "endpointReportingEnabled",
                    &PTR_BOOL
                ),
                f(
                    "EndpointReportingDelay",
                    "endpointReportingDelay",
                    &PTR_DURATION
                ),
                f(
                    "EndpointStatusPathPrefix",
                    "endpointStatusPathPrefix",
                    &STRING
                ),
                f("IptablesMarkMask", "iptablesMarkMask", &PTR_UINT32),
                f(
                    "DisableConntrackInvalidCheck",
                    "disableConntrackInvalidCheck",
                    &PTR_BOOL
                ),
                f("HealthEnabled", "healthEnabled", &PTR_BOOL),
                f("HealthHost", "healthHost", &PTR_STRING),
                f("HealthPort", "healthPort", &PTR_INT),
                f(
                    "HealthTimeoutOverrides",
                    "healthTimeoutOverrides",
                    &HEALTH_TIMEOUT_OVERRIDES
                ),
                f(
                    "PrometheusMetricsEnabled",
                    "prometheusMetricsEnabled",
                    &PTR_BOOL
                ),
                f("PrometheusMetricsHost", "prometheusMetricsHost", &STRING),
                f("PrometheusMetricsPort", "prometheusMetricsPort", &PTR_INT),
                f(
                    "PrometheusGoMetricsEnabled",
                    "prometheusGoMetricsEnabled",
                    &PTR_BOOL
                ),
                f(
                    "PrometheusProcessMetricsEnabled",
                    "prometheusProcessMetricsEnabled",
                    &PTR_BOOL
                ),
                f(
                    "PrometheusWireGuardMetricsEnabled",
                    "prometheusWireGuardMetricsEnabled",
                    &PTR_BOOL
                ),
                f(
                    "FailsafeInboundHostPorts",
                    "failsafeInboundHostPorts",
                    &PTR_PROTO_PORTS
                ),
                f(
                    "FailsafeOutboundHostPorts",
                    "failsafeOutboundHostPorts",
                    &PTR_PROTO_PORTS
                ),
                f("KubeNodePortRanges", "kubeNodePortRanges", &PTR_PORTS),
                f("PolicySyncPathPrefix", "policySyncPathPrefix", &STRING),
                f("UsageReportingEnabled", "usageReportingEnabled", &PTR_BOOL),
                f(
                    "UsageReportingInitialDelay",
                    "usageReportingInitialDelay",
                    &PTR_DURATION
                ),
                f(
                    "UsageReportingInterval",
                    "usageReportingInterval",
                    &PTR_DURATION
                ),
                f("NATPortRange", "natPortRange", &PTR_PORT),
                f("NATOutgoingAddress", "natOutgoingAddress", &STRING),
                f(
                    "NATOutgoingExclusions",
                    "natOutgoingExclusions",
                    &PTR_NAT_OUTGOING_EXCLUSIONS_TYPE
                ),
                f(
                    "DeviceRouteSourceAddress",
                    "deviceRouteSourceAddress",
                    &STRING
                ),
                f(
                    "DeviceRouteSourceAddressIPv6",
                    "deviceRouteSourceAddressIPv6",
                    &STRING
                ),
                f("DeviceRouteProtocol", "deviceRouteProtocol", &PTR_INT),
                f("RemoveExternalRoutes", "removeExternalRoutes", &PTR_BOOL),
                f("ProgramClusterRoutes", "programClusterRoutes", &PTR_STRING),
                f("IPForwarding", "ipForwarding", &STRING),
                f("ExternalNodesCIDRList", "externalNodesList", &PTR_STRINGS),
                f("DebugMemoryProfilePath", "debugMemoryProfilePath", &STRING),
                f(
                    "DebugDisableLogDropping",
                    "debugDisableLogDropping",
                    &PTR_BOOL
                ),
                f(
                    "DebugSimulateCalcGraphHangAfter",
                    "debugSimulateCalcGraphHangAfter",
                    &PTR_DURATION
                ),
                f(
                    "DebugSimulateDataplaneHangAfter",
                    "debugSimulateDataplaneHangAfter",
                    &PTR_DURATION
                ),
                f(
                    "DebugSimulateDataplaneApplyDelay",
                    "debugSimulateDataplaneApplyDelay",
                    &PTR_DURATION
                ),
                f("DebugHost", "debugHost", &PTR_STRING),
                f("DebugPort", "debugPort", &PTR_INT),
                f(
                    "IptablesNATOutgoingInterfaceFilter",
                    "iptablesNATOutgoingInterfaceFilter",
                    &STRING
                ),
                f(
                    "SidecarAccelerationEnabled",
                    "sidecarAccelerationEnabled",
                    &PTR_BOOL
                ),
                f("XDPEnabled", "xdpEnabled", &PTR_BOOL),
                f("GenericXDPEnabled", "genericXDPEnabled", &PTR_BOOL),
                f("NFTablesMode", "nftablesMode", &PTR_NF_TABLES_MODE),
                f(
                    "NftablesRefreshInterval",
                    "nftablesRefreshInterval",
                    &PTR_DURATION
                ),
                f(
                    "NftablesFilterAllowAction",
                    "nftablesFilterAllowAction",
                    &STRING
                ),
                f(
                    "NftablesMangleAllowAction",
                    "nftablesMangleAllowAction",
                    &STRING
                ),
                f(
                    "NftablesFilterDenyAction",
                    "nftablesFilterDenyAction",
                    &STRING
                ),
                f("NftablesMarkMask", "nftablesMarkMask", &PTR_UINT32),
                f("BPFEnabled", "bpfEnabled", &PTR_BOOL),
                f(
                    "BPFDisableUnprivileged",
                    "bpfDisableUnprivileged",
                    &PTR_BOOL
                ),
                f(
                    "BPFJITHardening",
                    "bpfJITHardening",
                    &PTR_BPF_JIT_HARDENING_TYPE
                ),
                f("BPFLogLevel", "bpfLogLevel", &STRING),
                f("BPFConntrackLogLevel", "bpfConntrackLogLevel", &STRING),
                f(
                    "BPFConntrackCleanupMode",
                    "bpfConntrackMode",
                    &PTR_BPF_CONNTRACK_MODE
                ),
                f(
                    "BPFConntrackTimeouts",
                    "bpfConntrackTimeouts",
                    &PTR_CONNTRACK_TIMEOUTS
                ),
                f("BPFLogFilters", "bpfLogFilters", &PTR_STRING_MAP),
                f("BPFCTLBLogFilter", "bpfCTLBLogFilter", &STRING),
                f("BPFDataIfacePattern", "bpfDataIfacePattern", &STRING),
                f("BPFL3IfacePattern", "bpfL3IfacePattern", &STRING),
                f(
                    "BPFConnectTimeLoadBalancingEnabled",
                    "bpfConnectTimeLoadBalancingEnabled",
                    &PTR_BOOL
                ),
                f(
                    "BPFConnectTimeLoadBalancing",
                    "bpfConnectTimeLoadBalancing",
                    &PTR_BPF_CONNECT_TIME_LB_TYPE
                ),
                f(
                    "BPFHostNetworkedNATWithoutCTLB",
                    "bpfHostNetworkedNATWithoutCTLB",
                    &PTR_BPF_HOST_NETWORKED_NAT_TYPE
                ),
                f("BPFExternalServiceMode", "bpfExternalServiceMode", &STRING),
                f("BPFDSROptoutCIDRs", "bpfDSROptoutCIDRs", &PTR_STRINGS),
                f(
                    "BPFExtToServiceConnmark",
                    "bpfExtToServiceConnmark",
                    &PTR_INT
                ),
                f(
                    "BPFKubeProxyIptablesCleanupEnabled",
                    "bpfKubeProxyIptablesCleanupEnabled",
                    &PTR_BOOL
                ),
                f(
                    "BPFKubeProxyMinSyncPeriod",
                    "bpfKubeProxyMinSyncPeriod",
                    &PTR_DURATION
                ),
                f(
                    "BPFKubeProxyHealthzPort",
                    "bpfKubeProxyHealthzPort",
                    &PTR_INT
                ),
                f(
                    "BPFKubeProxyEndpointSlicesEnabled",
                    "bpfKubeProxyEndpointSlicesEnabled",
                    &PTR_BOOL
                ),
                f("BPFPSNATPorts", "bpfPSNATPorts", &PTR_PORT),
                f("BPFMapSizeNATFrontend", "bpfMapSizeNATFrontend", &PTR_INT),
                f("BPFMapSizeNATBackend", "bpfMapSizeNATBackend", &PTR_INT),
                f("BPFMapSizeNATAffinity", "bpfMapSizeNATAffinity", &PTR_INT),
                f("BPFMapSizeRoute", "bpfMapSizeRoute", &PTR_INT),
                f("BPFMapSizeConntrack", "bpfMapSizeConntrack", &PTR_INT),
                f(
                    "BPFMapSizePerCPUConntrack",
                    "bpfMapSizePerCpuConntrack",
                    &PTR_INT
                ),
                f(
                    "BPFMapSizeConntrackScaling",
                    "bpfMapSizeConntrackScaling",
                    &STRING
                ),
                f(
                    "BPFMapSizeConntrackCleanupQueue",
                    "bpfMapSizeConntrackCleanupQueue",
                    &PTR_INT
                ),
                f("BPFMapSizeIPSets", "bpfMapSizeIPSets", &PTR_INT),
                f("BPFMapSizeIfState", "bpfMapSizeIfState", &PTR_INT),
                f(
                    "BPFHostConntrackBypass",
                    "bpfHostConntrackBypass",
                    &PTR_BOOL
                ),
                f("BPFEnforceRPF", "bpfEnforceRPF", &STRING),
                f("BPFPolicyDebugEnabled", "bpfPolicyDebugEnabled", &PTR_BOOL),
                f(
                    "BPFForceTrackPacketsFromIfaces",
                    "bpfForceTrackPacketsFromIfaces",
                    &PTR_STRINGS
                ),
                f("BPFDisableGROForIfaces", "bpfDisableGROForIfaces", &STRING),
                f(
                    "BPFExcludeCIDRsFromNAT",
                    "bpfExcludeCIDRsFromNAT",
                    &PTR_STRINGS
                ),
                f("BPFExportBufferSizeMB", "bpfExportBufferSizeMB", &PTR_INT),
                f("CgroupV2Path", "cgroupV2Path", &STRING),
                f(
                    "FlowLogsPolicyEvaluationMode",
                    "flowLogsPolicyEvaluationMode",
                    &PTR_FLOW_LOGS_POLICY_EVALUATION_MODE_TYPE
                ),
                f("BPFRedirectToPeer", "bpfRedirectToPeer", &STRING),
                f("BPFAttachType", "bpfAttachType", &PTR_BPF_ATTACH_OPTION),
                f(
                    "FlowLogsFlushInterval",
                    "flowLogsFlushInterval",
                    &PTR_DURATION
                ),
                f(
                    "FlowLogsCollectorDebugTrace",
                    "flowLogsCollectorDebugTrace",
                    &PTR_BOOL
                ),
                f(
                    "FlowLogsGoldmaneServer",
                    "flowLogsGoldmaneServer",
                    &PTR_STRING
                ),
                f(
                    "FlowLogsLocalReporter",
                    "flowLogsLocalReporter",
                    &PTR_STRING
                ),
                f("BPFProfiling", "bpfProfiling", &STRING),
                f("RouteSource", "routeSource", &STRING),
                f(
                    "RouteTableRanges",
                    "routeTableRanges",
                    &PTR_ROUTE_TABLE_RANGES
                ),
                f("RouteTableRange", "routeTableRange", &PTR_ROUTE_TABLE_RANGE),
                f("RouteSyncDisabled", "routeSyncDisabled", &PTR_BOOL),
                f("WireguardEnabled", "wireguardEnabled", &PTR_BOOL),
                f("WireguardEnabledV6", "wireguardEnabledV6", &PTR_BOOL),
                f(
                    "WireguardThreadingEnabled",
                    "wireguardThreadingEnabled",
                    &PTR_BOOL
                ),
                f("WireguardListeningPort", "wireguardListeningPort", &PTR_INT),
                f(
                    "WireguardListeningPortV6",
                    "wireguardListeningPortV6",
                    &PTR_INT
                ),
                f(
                    "WireguardRoutingRulePriority",
                    "wireguardRoutingRulePriority",
                    &PTR_INT
                ),
                f("WireguardInterfaceName", "wireguardInterfaceName", &STRING),
                f(
                    "WireguardInterfaceNameV6",
                    "wireguardInterfaceNameV6",
                    &STRING
                ),
                f("WireguardMTU", "wireguardMTU", &PTR_INT),
                f("WireguardMTUV6", "wireguardMTUV6", &PTR_INT),
                f(
                    "WireguardHostEncryptionEnabled",
                    "wireguardHostEncryptionEnabled",
                    &PTR_BOOL
                ),
                f(
                    "WireguardPersistentKeepAlive",
                    "wireguardKeepAlive",
                    &PTR_DURATION
                ),
                f(
                    "AWSSrcDstCheck",
                    "awsSrcDstCheck",
                    &PTR_AWS_SRC_DST_CHECK_OPTION
                ),
                f("ServiceLoopPrevention", "serviceLoopPrevention", &STRING),
                f("WorkloadSourceSpoofing", "workloadSourceSpoofing", &STRING),
                f("MTUIfacePattern", "mtuIfacePattern", &STRING),
                f("FloatingIPs", "floatingIPs", &PTR_FLOATING_IP_TYPE),
                f(
                    "WindowsManageFirewallRules",
                    "windowsManageFirewallRules",
                    &PTR_WINDOWS_MANAGE_FIREWALL_RULES_MODE
                ),
                f("GoGCThreshold", "goGCThreshold", &PTR_INT),
                f("GoMemoryLimitMB", "goMemoryLimitMB", &PTR_INT),
                f("GoMaxProcs", "goMaxProcs", &PTR_INT),
                f("RequireMTUFile", "requireMTUFile", &PTR_BOOL),
            ],
        })
    )
);
