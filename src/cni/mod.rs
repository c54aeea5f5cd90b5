//! `calico-ipam`: the CNI IPAM plugin.
//!
//! ADD assigns addresses (an address asked for with `IP=` in `CNI_ARGS`, as Calico's own
//! plugin does for a pod's `ipAddrs`; a fixed `ipAddrs` address, pools named by annotation or
//! configuration, or the pools whose `nodeSelector` matches this node), records the pod's
//! WorkloadEndpoint (with `ipNATs` for floating IPs) and prints a CNI result. DEL releases by
//! handle (`<network>.<container ID>`, then the pre-v3 `<namespace>.<pod>`) and removes the
//! endpoint; it succeeds for anything unknown. CHECK verifies the allocation still belongs to
//! the container.
//!
//! The endpoint is written in the transactions that assign the addresses and removed in the
//! one that releases them ([`Rider`]s), so a plugin stopped at any point leaves an endpoint
//! that lists exactly what the pod holds, and each ADD and DEL saves a transaction.
//!
//! Result shape: for Calico's own `calico` plugin, what Calico's calico-ipam returns: an
//! automatically assigned address with its block's prefix length (`10.0.0.5/26`), an address
//! asked for by name (`IP=`, `ipAddrs`) as a bare `/32` (`/128`); that plugin narrows both. For
//! any other delegating plugin (the reference `ptp`, `bridge`), a result that plugin can wire:
//! the address with its pool's prefix length, a gateway inside that prefix (this node's own
//! gateway address in the pool, allocated once from IPAM and owned by a WorkloadEndpoint of
//! its own in `kube-system`, so that Calico's `ipam check` sees it in use),
//! and the configured routes (a default route via the gateway when none are configured). Such
//! a pod cannot use its pool's first and last addresses (network and broadcast), so under a
//! delegating plugin they are not handed out.

pub mod types;

use crate::config::{self, Overrides};
use crate::datastore::api::Stored;
use crate::datastore::api::{Client, ClientError};
use crate::datastore::{DatastoreConfig, KeyValue, Read as DsRead};
use crate::ipam::{
    AssignIpRequest, AutoAssignRequest, GATEWAY_ADDRESS_TYPE, IntendedUse, Ipam, IpamError,
    ReleaseOptions, Rider, RiderWrite,
};
use crate::model::cidr::{ip_to_u128, u128_to_ip};
use crate::model::workloadendpoint::{IpNat, k8s_endpoint_name};
use crate::model::{Cidr, IpPool, ObjectMeta, Resource, WorkloadEndpoint};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::process::ExitCode;
use types::{CniError, IpamResult, NetConf, ResultIp, Route, SUPPORTED_VERSIONS, codes};

/// Pod annotation: fixed addresses.
pub const ANN_IP_ADDRS: &str = "cni.projectcalico.org/ipAddrs";
/// Pod annotation: fixed addresses without IPAM.
pub const ANN_IP_ADDRS_NO_IPAM: &str = "cni.projectcalico.org/ipAddrsNoIpam";
/// Pod or namespace annotation: IPv4 pools.
pub const ANN_IPV4_POOLS: &str = "cni.projectcalico.org/ipv4pools";
/// Pod or namespace annotation: IPv6 pools.
pub const ANN_IPV6_POOLS: &str = "cni.projectcalico.org/ipv6pools";
/// Pod annotation: floating IPs.
pub const ANN_FLOATING_IPS: &str = "cni.projectcalico.org/floatingIPs";

/// The CNI environment of one invocation.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// `ADD`, `DEL`, `CHECK`, `VERSION`, `STATUS`, `GC`.
    pub command: String,
    /// `CNI_CONTAINERID`.
    pub container_id: String,
    /// `CNI_NETNS`.
    pub netns: String,
    /// `CNI_IFNAME`.
    pub ifname: String,
    /// `CNI_ARGS`, as given (parsed by [`types::load_cni_args`] when the plugin opens).
    pub args: String,
    /// `CNI_PATH` (not used, but required for ADD, CHECK, DEL, STATUS and GC).
    pub path: String,
    /// The network configuration (stdin).
    pub stdin: Vec<u8>,
}

impl Invocation {
    /// Reads the process environment and stdin.
    pub fn from_env() -> Invocation {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        let mut stdin = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut stdin);
        Invocation {
            command: var("CNI_COMMAND"),
            container_id: var("CNI_CONTAINERID"),
            netns: var("CNI_NETNS"),
            ifname: var("CNI_IFNAME"),
            args: var("CNI_ARGS"),
            path: var("CNI_PATH"),
            stdin,
        }
    }
}

/// Runs the plugin: reads the environment, writes the result or error on stdout.
pub fn main() -> ExitCode {
    let inv = Invocation::from_env();
    let mut out = crate::cli::stdio::Stdout;
    match run(&inv) {
        Ok(Some(v)) => {
            let _ = writeln!(out, "{v}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(out, "{}", serde_json::to_string(&e).unwrap_or_default());
            ExitCode::from(1)
        }
    }
}

/// libcni's first look at the configuration, before the plugin runs: the whole document must
/// be JSON (Go's scanner messages, worked out only for a document that fails) and `cniVersion`
/// a string; a missing version is `0.1.0`. Returns the document, parsed once, and the version.
fn config_version(stdin: &[u8]) -> Result<(serde_json::Value, String), CniError> {
    let fail = |why: String| {
        CniError::new(
            codes::DECODE_FAILURE,
            format!("decoding version from network config: {why}"),
        )
    };
    let value: serde_json::Value = serde_json::from_slice(stdin)
        .map_err(|e| fail(crate::go::json::syntax_error(stdin).unwrap_or_else(|| e.to_string())))?;
    let version = match &value {
        serde_json::Value::Null => None,
        serde_json::Value::Object(map) => match map.get("cniVersion") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(v)) => Some(v.clone()),
            Some(other) => {
                return Err(fail(format!(
                    "json: cannot unmarshal {} into Go struct field .cniVersion of type string",
                    crate::go::json::kind_name(other)
                )));
            }
        },
        other => {
            return Err(fail(format!(
                "json: cannot unmarshal {} into Go value of type struct {{ CNIVersion string \
                 \"json:\\\"cniVersion\\\"\" }}",
                crate::go::json::kind_name(other)
            )));
        }
    };
    let version = version
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "0.1.0".to_string());
    Ok((value, version))
}

/// The configuration (`value`, of version `version`, from [`config_version`]) decoded as
/// Calico's plugin decodes it, once its version is one we speak.
fn parse_conf(value: serde_json::Value, version: String) -> Result<NetConf, CniError> {
    if !SUPPORTED_VERSIONS.contains(&version.as_str()) {
        return Err(CniError::new(
            codes::INCOMPATIBLE_VERSION,
            format!(
                "incompatible CNI versions; config is \"{version}\", plugin supports [\"{}\"]",
                SUPPORTED_VERSIONS.join("\" \"")
            ),
        ));
    }
    // As Calico's plugin: a configuration it cannot load is `failed to load netconf: <Go's
    // decoding error>`, a plain error that libcni's skeleton gives code 999. The version is
    // known by now: the error answers in it.
    let load_failure = |why: String| {
        let mut err = CniError::new(codes::INTERNAL, format!("failed to load netconf: {why}"));
        err.cni_version = version.clone();
        err
    };
    let mut conf: NetConf = serde_path_to_error::deserialize(&value)
        .map_err(|e| load_failure(netconf_type_error(&value, &e)))?;
    // Routes are decoded as CNI's `types.Route` (`host-local`'s), whose decoding refuses a
    // bad `dst` or `gw`: before anything is assigned, for every command.
    for route in &mut conf.ipam.routes {
        route.validate().map_err(load_failure)?;
        if route.gw.as_deref() == Some("") {
            route.gw = None;
        }
    }
    Ok(conf)
}

/// Calico's plugin decodes its configuration with Go's `json.Unmarshal`, whose type errors
/// name the field and never the value: `json: cannot unmarshal string into Go struct field
/// NetConf.mtu of type int` (`.ipam.assign_ipv4` for the anonymous `ipam` struct).
fn netconf_type_error(
    conf: &serde_json::Value,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> String {
    use serde_path_to_error::Segment;
    let message = e.inner().to_string();
    let message = message.as_str();
    if !message.starts_with("invalid type: ") && !message.starts_with("invalid value: ") {
        return config::redact_values(message);
    }
    let mut fields: Vec<&str> = Vec::new();
    let mut found = Some(conf);
    for segment in e.path().iter() {
        found = found.and_then(|v| match segment {
            Segment::Map { key } => v.get(key.as_str()),
            Segment::Seq { index } => v.get(*index),
            _ => None,
        });
        if let Segment::Map { key } = segment {
            if matches!(
                fields.last().copied(),
                Some("annotations" | "namespace_annotations" | "namespace_labels")
            ) {
                break;
            }
            fields.push(key);
        }
    }
    let parent = fields.len().saturating_sub(1);
    let structure = match fields[..parent] {
        [] => "NetConf",
        ["ipam"] => "",
        ["ipam", "routes"] => "Route",
        ["feature_control"] => "FeatureControl",
        ["args"] => "Args",
        ["args", "k8s"] => "K8sArgs",
        _ => "",
    };
    let go_type = match fields.as_slice() {
        ["ipam"] => "struct { Name string; Type string; ... }".to_string(),
        ["ipam", "routes"] if message.ends_with("a sequence") => "[]types.Route".to_string(),
        ["ipam", "routes"] => "types.Route".to_string(),
        ["feature_control"] => "types.FeatureControl".to_string(),
        ["args"] => "types.Args".to_string(),
        ["args", "k8s"] => "types.K8sArgs".to_string(),
        _ => crate::model::go_type_expected(message),
    };
    format!(
        "json: cannot unmarshal {} into Go struct field {structure}.{} of type {go_type}",
        found.map_or("value", crate::go::json::kind_name),
        fields.join(".")
    )
}

/// The CNI environment variables libcni's skeleton (`skel`, which Calico's plugins use)
/// requires, in its order, with the commands each is required for (`CNI_COMMAND`: all).
const REQUIRED_ENV: &[(&str, &[&str])] = &[
    ("CNI_COMMAND", &[]),
    ("CNI_CONTAINERID", &["ADD", "CHECK", "DEL"]),
    ("CNI_NETNS", &["ADD", "CHECK"]),
    ("CNI_IFNAME", &["ADD", "CHECK", "DEL"]),
    ("CNI_PATH", &["ADD", "CHECK", "DEL", "GC", "STATUS"]),
];

/// skel's first check, before stdin is read: `required env variables [A,B] missing`.
fn missing_env(inv: &Invocation) -> Option<String> {
    let missing: Vec<&str> = REQUIRED_ENV
        .iter()
        .filter(|(name, commands)| {
            let value = match *name {
                "CNI_COMMAND" => &inv.command,
                "CNI_CONTAINERID" => &inv.container_id,
                "CNI_NETNS" => &inv.netns,
                "CNI_IFNAME" => &inv.ifname,
                _ => &inv.path,
            };
            value.is_empty() && (*name == "CNI_COMMAND" || commands.contains(&inv.command.as_str()))
        })
        .map(|(name, _)| *name)
        .collect();
    (!missing.is_empty()).then(|| format!("required env variables [{}] missing", missing.join(",")))
}

/// The configuration's `cniVersion` when it is one we speak, else the newest: what VERSION
/// answers in, and errors found before the configuration is decoded.
fn answering_version(stdin: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(stdin)
        .ok()
        .and_then(|v| {
            v.get("cniVersion")
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .filter(|v| SUPPORTED_VERSIONS.contains(&v.as_str()))
        .unwrap_or_else(|| SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.len() - 1].to_string())
}

/// libcni's `version.ParseVersion`: up to three dot-separated integers, missing parts 0.
fn parse_cni_version(version: &str) -> Result<[i64; 3], String> {
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() >= 4 {
        return Err(format!(
            "invalid version {}: too many parts",
            types::go_quote(version)
        ));
    }
    let mut out = [0; 3];
    for (i, (part, name)) in parts.iter().zip(["major", "minor", "micro"]).enumerate() {
        out[i] = crate::go::strconv::atoi(part).map_err(|e| {
            format!(
                "failed to convert {name} version part {}: {e}",
                types::go_quote(part)
            )
        })?;
    }
    Ok(out)
}

/// skel's floor for commands newer than CNI 0.3 (CHECK from 0.4.0, STATUS and GC from
/// 1.1.0), checked before the configuration's version is matched against ours:
/// `config version does not allow <command>` (code 1), or a version that does not parse
/// (code 6).
fn check_command_floor(command: &str, version: &str) -> Result<(), CniError> {
    let floor = match command {
        "CHECK" => [0, 4, 0],
        "STATUS" | "GC" => [1, 1, 0],
        _ => return Ok(()),
    };
    let parsed = parse_cni_version(version).map_err(|e| CniError::new(codes::DECODE_FAILURE, e))?;
    if parsed < floor {
        return Err(CniError::new(
            codes::INCOMPATIBLE_VERSION,
            format!("config version does not allow {command}"),
        ));
    }
    Ok(())
}

/// Runs one invocation; `Ok(Some(json))` is printed on stdout. The checks before the
/// command runs are skel's, in its order: environment, then (VERSION aside) the command,
/// the configuration's version (and the command's floor), then the configuration.
pub fn run(inv: &Invocation) -> Result<Option<serde_json::Value>, CniError> {
    if let Some(msg) = missing_env(inv) {
        let mut e = CniError::new(codes::INVALID_ENV, msg);
        e.cni_version = answering_version(&inv.stdin);
        return Err(e);
    }
    match inv.command.as_str() {
        "VERSION" => {
            return Ok(Some(serde_json::json!({
                "cniVersion": answering_version(&inv.stdin),
                "supportedVersions": SUPPORTED_VERSIONS,
            })));
        }
        "ADD" | "DEL" | "CHECK" | "STATUS" | "GC" => {}
        other => {
            let mut e = CniError::new(codes::INVALID_ENV, format!("unknown CNI_COMMAND: {other}"));
            e.cni_version = answering_version(&inv.stdin);
            return Err(e);
        }
    }
    let (value, version) = config_version(&inv.stdin)?;
    check_command_floor(&inv.command, &version).map_err(|mut e| {
        e.cni_version = answering_version(&inv.stdin);
        e
    })?;
    let conf = parse_conf(value, version)?;
    let version = conf.cni_version.clone();
    let with_version = |mut e: CniError| {
        e.cni_version = version.clone();
        e
    };
    let result = match inv.command.as_str() {
        "ADD" => Plugin::open(&conf, inv).and_then(|p| p.add()).map(Some),
        // A store whose directory does not exist holds nothing to release: DEL succeeds (a
        // runtime retries a failed DEL for ever), and nothing is created.
        "DEL" if datastore_config(&conf).is_ok_and(|c| c.missing_directory().is_some()) => Ok(None),
        "DEL" => Plugin::open(&conf, inv)
            .and_then(|p| p.del())
            .map(|()| None),
        "CHECK" => Plugin::open(&conf, inv)
            .and_then(|p| p.check())
            .map(|()| None),
        "STATUS" => Plugin::open(&conf, inv)
            .and_then(|p| {
                p.client.store().revision().map_err(|e| {
                    CniError::new(50, "the datastore is not available").with_details(e.to_string())
                })
            })
            .map(|_| None),
        _ => Ok(None),
    };
    result.map_err(with_version)
}

fn node_name(conf: &NetConf) -> String {
    if let Some(n) = conf.nodename.as_ref().filter(|n| !n.is_empty()) {
        return n.clone();
    }
    let file = conf
        .nodename_file
        .clone()
        .unwrap_or_else(|| "/var/lib/calico/nodename".to_string());
    if let Ok(n) = std::fs::read_to_string(&file)
        && !n.trim().is_empty()
    {
        return n.trim().to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_lowercase())
        .unwrap_or_default()
}

/// A host-wide lock serialising this plugin's IPAM work (as Calico's `ipam.lock`); best effort:
/// correctness comes from the datastore's compare-and-swap, the lock only avoids retries.
struct HostLock(Option<std::fs::File>);

impl HostLock {
    fn acquire(path: &str) -> HostLock {
        if let Some(dir) = std::path::Path::new(path).parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ok();
        if let Some(f) = &file {
            let _ = f.lock();
        }
        HostLock(file)
    }
}

impl Drop for HostLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

struct Plugin<'a> {
    conf: &'a NetConf,
    inv: &'a Invocation,
    client: Client,
    ipam: Ipam,
    node: String,
    handle: String,
    namespace: String,
    pod: String,
    /// `CNI_ARGS`, parsed.
    args: BTreeMap<String, String>,
}

/// An IPAM failure: CNI's "try again later" (11) when it is transient (the datastore could
/// not be reached or answered too late, or too many concurrent requests kept conflicting),
/// else the plugin's own code 100.
fn ipam_err(e: IpamError) -> CniError {
    CniError::new(ipam_code(&e), e.to_string())
}

/// The CNI code of an IPAM failure (see [`ipam_err`]).
fn ipam_code(e: &IpamError) -> u32 {
    match e {
        IpamError::Datastore(d) | IpamError::Client(ClientError::Datastore(d)) if transient(d) => {
            codes::TRY_AGAIN
        }
        IpamError::MaxRetries => codes::TRY_AGAIN,
        _ => codes::IPAM_FAILURE,
    }
}

/// A failure of the plugin's own reads and writes: "try again later" (11) when the datastore
/// could not be reached, else an I/O failure (5).
fn client_err(e: ClientError) -> CniError {
    let code = match &e {
        ClientError::Datastore(d) if transient(d) => codes::TRY_AGAIN,
        _ => codes::IO_FAILURE,
    };
    CniError::new(code, e.to_string())
}

/// True for a datastore failure that may pass: etcd unreachable, timing out or refusing
/// (its client reports all of these as [`DatastoreError::Etcd`]). The embedded store's
/// failures (a missing directory, a read-only file) do not pass by waiting.
fn transient(e: &crate::datastore::DatastoreError) -> bool {
    matches!(e, crate::datastore::DatastoreError::Etcd { .. })
}

/// Calico's plugin's answer while the datastore is locked (`calicoctl datastore migrate
/// lock`: ClusterInformation `default` says `datastoreReady: false`). Calico returns it as a
/// plain error, which libcni's skeleton gives code 999; so do we.
pub const NOT_READY: &str = "Calico is currently not ready to process requests";

/// The key of ClusterInformation `default`, whose `datastoreReady` the plugin obeys.
fn cluster_info_key() -> String {
    crate::model::ClusterInformation::key(None, "default")
}

/// The revision of ClusterInformation `default` as read (0: absent), once it says the
/// datastore is ready: absent (a store no `calico-node` has initialised) or without the flag
/// counts as ready; `datastoreReady: false` fails with [`NOT_READY`]. Every transaction of an
/// ADD or DEL that assigns or releases requires the key to be still at this revision, so a
/// lock taken after the read stops the change (the retry reads the lock and fails).
fn readiness(kv: Option<&KeyValue>) -> Result<i64, CniError> {
    let Some(kv) = kv else { return Ok(0) };
    let info: crate::model::ClusterInformation = Client::from_kv(kv).map_err(|e| {
        CniError::new(
            codes::INTERNAL,
            format!("error getting ClusterInformation: {e}"),
        )
    })?;
    if info.spec.datastore_ready == Some(false) {
        return Err(CniError::new(codes::INTERNAL, NOT_READY));
    }
    Ok(kv.mod_revision)
}

/// [`readiness`] read on its own (after a failed compare).
fn reread_readiness(client: &Client) -> Result<i64, CniError> {
    let kv = client
        .store()
        .get(&cluster_info_key())
        .map_err(|e| client_err(e.into()))?;
    readiness(kv.as_ref())
}

/// Refuses floating IPs of a family the pod has (or will have) no address of.
/// The first and last addresses of each pool of four addresses or more: a pod given its
/// address with the pool's prefix (a delegating plugin's result) cannot use them (its
/// network and broadcast address), so they are not handed out there, as `host-local` leaves
/// a range's ends alone.
fn pool_ends(pools: &[IpPool]) -> Vec<(Cidr, &IpPool)> {
    pools
        .iter()
        .filter_map(|p| p.cidr().map(|c| (c, p)))
        .filter(|(c, _)| c.prefix() + 2 <= c.bits())
        .flat_map(|(c, p)| {
            let end = |v| (Cidr::host(u128_to_ip(v, c.version())), p);
            [end(c.first()), end(c.last())]
        })
        .collect()
}

/// Refuses, for a delegating plugin, an address that is its pool's first or last.
fn check_not_pool_end(ip: IpAddr, pools: &[IpPool], plugin: &str) -> Result<(), CniError> {
    match pool_ends(pools).into_iter().find(|(c, _)| c.addr() == ip) {
        None => Ok(()),
        Some((_, pool)) => {
            let cidr = pool.cidr().expect("pool_ends keeps pools with a CIDR");
            let what = match (ip.is_ipv4(), ip_to_u128(ip) == cidr.first()) {
                (true, true) => "network address",
                (true, false) => "broadcast address",
                (false, true) => "subnet-router anycast address",
                (false, false) => "last address",
            };
            Err(CniError::new(
                codes::IPAM_FAILURE,
                format!(
                    "{ip} is the {what} of IP pool {} ({cidr}): a pod that {plugin} gives the pool's prefix cannot use it",
                    pool.metadata.name
                ),
            ))
        }
    }
}

fn check_floating_families(floating: &[IpAddr], has4: bool, has6: bool) -> Result<(), CniError> {
    match floating
        .iter()
        .find(|f| !if f.is_ipv4() { has4 } else { has6 })
    {
        Some(f) => Err(CniError::new(
            codes::INVALID_CONFIG,
            format!("floating IP {f} has no pod address of the same IP version"),
        )),
        None => Ok(()),
    }
}

/// The NAT of each floating IP to the pod's first address of the same family (none for a
/// family it has no address of yet).
fn floating_nats(on_endpoint: &[Cidr], floating: &[IpAddr]) -> Vec<IpNat> {
    floating
        .iter()
        .filter_map(|f| {
            let internal = on_endpoint.iter().find(|a| a.is_ipv4() == f.is_ipv4())?;
            Some(IpNat {
                internal_ip: internal.addr().to_string(),
                external_ip: f.to_string(),
            })
        })
        .collect()
}

/// `wep` as an update of `old`, the endpoint stored under its name (a retried ADD, a
/// restarted pod, or this ADD's own earlier transaction): it keeps the stored identity and
/// compares the stored revision.
fn replacing(mut wep: WorkloadEndpoint, old: &WorkloadEndpoint) -> WorkloadEndpoint {
    wep.metadata.resource_version = old.metadata.resource_version.clone();
    wep.metadata.uid = old.metadata.uid.clone();
    wep.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
    wep
}

/// Records the pod's endpoint in every transaction that assigns it addresses, listing what
/// the pod holds once that transaction commits: the endpoint and the addresses exist
/// together or not at all, whenever the plugin stops.
struct EndpointRider<'p, 'a> {
    plugin: &'p Plugin<'a>,
    floating: &'p [IpAddr],
    /// Addresses the endpoint lists before those the request assigns.
    held: Vec<Cidr>,
    /// List the addresses in order (`IP=` requests, one address at a time).
    sorted: bool,
    /// The endpoint as stored (`None`: absent), read with the ADD's first read
    /// ([`Plugin::pools_and_held`]) and again after a failed compare.
    stored: Option<WorkloadEndpoint>,
    reread: bool,
    /// The endpoint the last transaction would store.
    pending: Option<WorkloadEndpoint>,
    /// The revision of the last transaction that wrote the endpoint.
    written: Option<i64>,
    /// The plugin's own error that stopped the assignment (with its CNI code).
    failure: Option<CniError>,
    /// The revision of ClusterInformation `default` read ready ([`readiness`]).
    ready: i64,
}

impl<'p, 'a> EndpointRider<'p, 'a> {
    /// A rider for an endpoint last read as `stored` (it reads it again after a failed
    /// compare).
    fn new(
        plugin: &'p Plugin<'a>,
        floating: &'p [IpAddr],
        held: Vec<Cidr>,
        stored: Option<WorkloadEndpoint>,
        ready: i64,
    ) -> Self {
        EndpointRider {
            plugin,
            floating,
            held,
            sorted: false,
            stored,
            reread: false,
            pending: None,
            written: None,
            failure: None,
            ready,
        }
    }

    fn endpoint_for(&mut self, assigned: &[Cidr]) -> Result<RiderWrite, ClientError> {
        let p = self.plugin;
        let mut on_endpoint: Vec<Cidr> = self.held.iter().chain(assigned).copied().collect();
        if self.sorted {
            on_endpoint.sort();
        }
        let wep = p.endpoint(&on_endpoint, floating_nats(&on_endpoint, self.floating));
        let namespace = Some(p.namespace.as_str());
        if std::mem::take(&mut self.reread) {
            self.stored = p
                .client
                .get_opt::<WorkloadEndpoint>(namespace, &wep.metadata.name)?;
        }
        let (mut wep, revision) = match &self.stored {
            None => (p.client.prepare_create(wep)?, 0),
            Some(old) => (
                p.client.prepare_update_of(replacing(wep, old), old)?,
                old.metadata.resource_version.parse().unwrap_or(0),
            ),
        };
        wep.metadata.resource_version.clear();
        let write = RiderWrite {
            key: WorkloadEndpoint::key(namespace, &wep.metadata.name),
            revision,
            value: Some(wep.encode()),
        };
        self.pending = Some(wep);
        Ok(write)
    }
}

impl Rider for EndpointRider<'_, '_> {
    fn writes(&mut self, assigned: &[Cidr]) -> crate::ipam::Result<Vec<RiderWrite>> {
        if self.reread {
            // A failed compare may have been the lock's: read it again.
            self.ready =
                reread_readiness(&self.plugin.client).map_err(|e| stop(&mut self.failure, e))?;
        }
        match self.endpoint_for(assigned) {
            Ok(write) => Ok(vec![write]),
            Err(e) => Err(abort(&mut self.failure, e)),
        }
    }

    fn requires(&self) -> Vec<(String, i64)> {
        vec![(cluster_info_key(), self.ready)]
    }

    fn committed(&mut self, revision: i64) {
        self.written = Some(revision);
        self.stored = self.pending.take().map(|mut w| {
            w.metadata.resource_version = revision.to_string();
            w
        });
    }

    fn conflicted(&mut self) {
        self.reread = true;
    }
}

/// A rider's datastore error: kept as the plugin's own error (its CNI code) in `failure`;
/// IPAM stops with it.
fn abort(failure: &mut Option<CniError>, e: ClientError) -> IpamError {
    stop(failure, client_err(e))
}

/// A rider's own error (with its CNI code) kept in `failure`; IPAM stops with it.
fn stop(failure: &mut Option<CniError>, e: CniError) -> IpamError {
    let message = e.msg.clone();
    *failure = Some(e);
    IpamError::Aborted(message)
}

/// Namespace of the endpoints that own nodes' gateway addresses (delegated mode).
pub const GATEWAY_NAMESPACE: &str = "kube-system";

/// The handle of an assignment request.
fn req_handle(req: &AutoAssignRequest) -> String {
    req.handle_id.clone().unwrap_or_default()
}

/// Writes a node's gateway endpoint ([`Plugin::gateway_endpoint`]) in the transaction that
/// allocates the gateway address, so the address is never without its owner.
struct GatewayRider<'p, 'a> {
    plugin: &'p Plugin<'a>,
    handle: &'p str,
    failure: Option<CniError>,
    /// The revision of ClusterInformation `default`, read ready with each attempt.
    ready: i64,
}

impl Rider for GatewayRider<'_, '_> {
    fn writes(&mut self, assigned: &[Cidr]) -> crate::ipam::Result<Vec<RiderWrite>> {
        let p = self.plugin;
        // A first gateway is rare (once per node and pool): the lock is read with it.
        self.ready = reread_readiness(&p.client).map_err(|e| stop(&mut self.failure, e))?;
        let wep = p.gateway_endpoint(self.handle, assigned.first().map(Cidr::addr));
        let namespace = Some(GATEWAY_NAMESPACE);
        let key = WorkloadEndpoint::key(namespace, &wep.metadata.name);
        // Read each time: it is absent unless an earlier attempt (or another ADD) wrote it.
        let stored = p
            .client
            .get_opt::<WorkloadEndpoint>(namespace, &wep.metadata.name)
            .map_err(|e| abort(&mut self.failure, e))?;
        let (mut wep, revision) = match &stored {
            None => (
                p.client
                    .prepare_create(wep)
                    .map_err(|e| abort(&mut self.failure, e))?,
                0,
            ),
            Some(old) => (
                p.client
                    .prepare_update_of(replacing(wep, old), old)
                    .map_err(|e| abort(&mut self.failure, e))?,
                old.metadata.resource_version.parse().unwrap_or(0),
            ),
        };
        wep.metadata.resource_version.clear();
        Ok(vec![RiderWrite {
            key,
            revision,
            value: Some(wep.encode()),
        }])
    }

    fn requires(&self) -> Vec<(String, i64)> {
        vec![(cluster_info_key(), self.ready)]
    }

    fn committed(&mut self, _revision: i64) {}

    fn conflicted(&mut self) {}
}

/// Removes the pod's endpoint, if it is still this container's, in the transaction that
/// releases the container's addresses.
struct EndpointRemover<'p, 'a> {
    plugin: &'p Plugin<'a>,
    /// The container whose endpoint it is (this DEL's; for an ADD re-creating a pod's sandbox,
    /// the previous sandbox's).
    container_id: &'p str,
    /// Read the pre-v3 handle too (DEL).
    with_legacy: bool,
    /// The revision of the endpoint to remove (`None`: absent, or another container's), read
    /// with the handle ([`Rider::reads`]) and again after a failed compare.
    revision: Option<i64>,
    /// The pre-v3 handle `<namespace>.<pod>` exists (read with the handle, too).
    legacy: bool,
    reread: bool,
    /// The last writes asked for included the removal.
    pending: bool,
    /// The endpoint was removed with the addresses.
    removed: bool,
    failure: Option<CniError>,
    /// The revision of ClusterInformation `default` read ready ([`readiness`]), read with
    /// the handle.
    ready: i64,
}

impl<'p, 'a> EndpointRemover<'p, 'a> {
    /// A remover of `container_id`'s endpoint, reading the pre-v3 handle too if `with_legacy`.
    fn new(plugin: &'p Plugin<'a>, container_id: &'p str, with_legacy: bool) -> Self {
        EndpointRemover {
            plugin,
            container_id,
            with_legacy,
            revision: None,
            legacy: false,
            reread: false,
            pending: false,
            removed: false,
            failure: None,
            ready: 0,
        }
    }

    /// Sets the endpoint to remove from what was read: it is removed only while it belongs to
    /// this container (a pod restarted under a new container ID keeps the endpoint its new ADD
    /// took over).
    fn set_endpoint(&mut self, endpoint: Option<WorkloadEndpoint>) {
        let id = self.container_id;
        self.revision = endpoint
            .filter(|w| w.spec.container_id == *id || w.spec.container_id.is_empty())
            .map(|w| w.metadata.resource_version.parse().unwrap_or(0));
    }

    /// The pre-v3 handle of the pod (none without a pod name, or when not asked for).
    fn legacy_handle(&self) -> Option<String> {
        let p = self.plugin;
        (self.with_legacy && !p.pod.is_empty()).then(|| format!("{}.{}", p.namespace, p.pod))
    }
}

impl Rider for EndpointRemover<'_, '_> {
    fn reads(&self) -> Vec<String> {
        let p = self.plugin;
        std::iter::once(WorkloadEndpoint::key(
            Some(&p.namespace),
            &p.endpoint_name(),
        ))
        .chain(std::iter::once(cluster_info_key()))
        .chain(
            self.legacy_handle()
                .map(|h| crate::datastore::keys::handle(&h)),
        )
        .collect()
    }

    fn read(&mut self, answers: Vec<Option<KeyValue>>) -> crate::ipam::Result<()> {
        let mut answers = answers.into_iter();
        let endpoint = answers.next().flatten();
        let info = answers.next().flatten();
        self.ready = readiness(info.as_ref()).map_err(|e| stop(&mut self.failure, e))?;
        let endpoint = match endpoint {
            Some(kv) => Some(Client::from_kv(&kv).map_err(|e| abort(&mut self.failure, e))?),
            None => None,
        };
        self.set_endpoint(endpoint);
        self.legacy = answers.next().flatten().is_some();
        self.reread = false;
        Ok(())
    }

    fn writes(&mut self, _assigned: &[Cidr]) -> crate::ipam::Result<Vec<RiderWrite>> {
        if std::mem::take(&mut self.reread) {
            let p = self.plugin;
            let endpoint = p
                .client
                .get_opt::<WorkloadEndpoint>(Some(&p.namespace), &p.endpoint_name())
                .map_err(|e| abort(&mut self.failure, e))?;
            self.set_endpoint(endpoint);
            self.ready = reread_readiness(&p.client).map_err(|e| stop(&mut self.failure, e))?;
        }
        let p = self.plugin;
        self.pending = self.revision.is_some();
        Ok(self
            .revision
            .map(|revision| RiderWrite {
                key: WorkloadEndpoint::key(Some(&p.namespace), &p.endpoint_name()),
                revision,
                value: None,
            })
            .into_iter()
            .collect())
    }

    fn requires(&self) -> Vec<(String, i64)> {
        vec![(cluster_info_key(), self.ready)]
    }

    fn committed(&mut self, _revision: i64) {
        self.removed = self.pending;
    }

    fn conflicted(&mut self) {
        self.reread = true;
    }
}

/// A JSON-list annotation's value, decoded as Go's `json.Unmarshal` into a `[]string`, failing
/// with Calico's words for that annotation: `ipAddrs` and `ipAddrsNoIpam` `failed to parse IPs
/// <v> for annotation "<a>": failed to parse '<v>' as JSON: <Go's error>`, `floatingIPs`
/// `failed to parse '<v>' as JSON: <Go's error>`, `ipv4pools` and `ipv6pools` Go's error alone
/// (Calico returns it unwrapped; the annotation is named in the details).
fn parse_json_list(annotation: &str, value: &str) -> Result<Vec<String>, CniError> {
    crate::go::json::string_list(value).map_err(|e| {
        let as_json = format!("failed to parse '{value}' as JSON: {e}");
        match annotation {
            ANN_IP_ADDRS | ANN_IP_ADDRS_NO_IPAM => CniError::new(
                codes::INVALID_CONFIG,
                format!("failed to parse IPs {value} for annotation \"{annotation}\": {as_json}"),
            ),
            ANN_FLOATING_IPS => CniError::new(codes::INVALID_CONFIG, as_json),
            _ => CniError::new(codes::INVALID_CONFIG, e)
                .with_details(format!("annotation {annotation}")),
        }
    })
}

/// What an ADD reads first, in one round trip ([`Plugin::pools_and_held`]).
struct PodState {
    /// Every pool.
    pools: Vec<IpPool>,
    /// The addresses this container's handle holds.
    held: Vec<IpAddr>,
    /// The pod's endpoint as stored (another container's, after a sandbox re-creation).
    endpoint: Option<WorkloadEndpoint>,
    /// The revision of ClusterInformation `default`, read ready ([`readiness`]).
    ready: i64,
}

/// The datastore the network configuration names: its fields are this program's flags
/// (`config::resolve`).
fn datastore_config(conf: &NetConf) -> Result<DatastoreConfig, CniError> {
    let overrides = Overrides {
        datastore_type: conf.datastore_type.clone(),
        etcd_endpoints: conf.etcd_endpoints.clone(),
        etcd_username: conf.etcd_username.clone(),
        etcd_password: conf.etcd_password.clone(),
        etcd_key_file: conf.etcd_key_file.clone(),
        etcd_cert_file: conf.etcd_cert_file.clone(),
        etcd_ca_cert_file: conf.etcd_ca_cert_file.clone(),
        datastore_path: conf.datastore_path.clone(),
        timeout: None,
        fail_fast: true,
    };
    config::resolve(&overrides, None)
        .map_err(|e| CniError::new(codes::INVALID_CONFIG, e.to_string()))
}

impl<'a> Plugin<'a> {
    fn open(conf: &'a NetConf, inv: &'a Invocation) -> Result<Plugin<'a>, CniError> {
        let cfg = datastore_config(conf)?;
        // A mistyped store path is the configuration's fault, not a datastore to retry.
        if let Some(e) = cfg.missing_directory() {
            return Err(CniError::new(codes::INVALID_CONFIG, e.to_string()));
        }
        let store = crate::datastore::open(&cfg)
            .map_err(|e| CniError::new(codes::TRY_AGAIN, e.to_string()))?;
        let client = Client::new(store);
        // As Calico's plugin, after the client is made.
        let args =
            types::load_cni_args(&inv.args).map_err(|e| CniError::new(codes::INTERNAL, e))?;
        let namespace = args
            .get("K8S_POD_NAMESPACE")
            .cloned()
            .unwrap_or_else(|| "default".to_string());
        let pod = args.get("K8S_POD_NAME").cloned().unwrap_or_default();
        Ok(Plugin {
            conf,
            inv,
            ipam: Ipam::new(client.clone()),
            client,
            node: node_name(conf),
            handle: format!("{}.{}", conf.name, inv.container_id),
            namespace,
            pod,
            args,
        })
    }

    /// Every pool, the addresses this container's handle holds and the pod's endpoint as
    /// stored, read in one round trip (the blocks of a handle that exists in a second).
    fn pools_and_held(&self) -> Result<PodState, CniError> {
        let reads = [
            DsRead::Key(crate::datastore::keys::handle(&self.handle)),
            DsRead::Prefix(IpPool::list_prefix(None)),
            DsRead::Key(WorkloadEndpoint::key(
                Some(&self.namespace),
                &self.endpoint_name(),
            )),
            DsRead::Key(cluster_info_key()),
        ];
        let store_err = |e: crate::datastore::DatastoreError| client_err(e.into());
        let mut results = self
            .client
            .store()
            .read_many(&reads)
            .map_err(store_err)?
            .results
            .into_iter();
        let handle_exists = !results.next().unwrap_or_default().is_empty();
        let pools = results
            .next()
            .unwrap_or_default()
            .iter()
            .map(Client::from_kv::<IpPool>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(client_err)?;
        let endpoint = match results.next().unwrap_or_default().first() {
            Some(kv) => Some(Client::from_kv::<WorkloadEndpoint>(kv).map_err(client_err)?),
            None => None,
        };
        let ready = readiness(results.next().unwrap_or_default().first())?;
        let held = if handle_exists {
            self.held_by(&self.handle)?
        } else {
            Vec::new()
        };
        Ok(PodState {
            pools,
            held,
            endpoint,
            ready,
        })
    }

    /// The addresses a handle holds (none for an unknown handle).
    fn held_by(&self, handle: &str) -> Result<Vec<IpAddr>, CniError> {
        match self.ipam.ips_by_handle(handle) {
            Ok(ips) => Ok(ips),
            Err(IpamError::HandleNotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(ipam_err(e)),
        }
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.conf.args.k8s.annotations.get(key).map(String::as_str)
    }

    /// Pod annotation, then namespace annotation, then the configuration.
    fn pools_for(&self, key: &str, configured: &[String]) -> Result<Vec<String>, CniError> {
        if let Some(v) = self.annotation(key) {
            return parse_json_list(key, v);
        }
        if let Some(v) = self.conf.args.k8s.namespace_annotations.get(key) {
            return parse_json_list(key, v);
        }
        Ok(configured.to_vec())
    }

    /// Resolves pool names or CIDRs to pool CIDRs of the given family.
    fn resolve_pools(
        &self,
        names: &[String],
        version: u8,
        pools: &[IpPool],
    ) -> Result<Vec<Cidr>, CniError> {
        let mut out = Vec::new();
        for p in names {
            let cidr = match Cidr::parse(p) {
                Ok(c) => c,
                Err(_) => match pools
                    .iter()
                    .find(|pool| pool.metadata.name == *p)
                    .and_then(IpPool::cidr)
                {
                    Some(c) => c,
                    None => {
                        return Err(CniError::new(
                            codes::IPAM_FAILURE,
                            format!(
                                "error parsing pool \"{p}\": resource does not exist: IPPool({p}) with error: <nil>"
                            ),
                        ));
                    }
                },
            };
            if cidr.version() != version {
                return Err(CniError::new(
                    codes::IPAM_FAILURE,
                    format!("\"{}\" isn't a IPv{version} address", cidr.addr()),
                ));
            }
            out.push(cidr);
        }
        Ok(out)
    }

    fn attrs(&self) -> BTreeMap<String, String> {
        let mut a = BTreeMap::new();
        a.insert("node".to_string(), self.node.clone());
        if !self.pod.is_empty() {
            a.insert("namespace".to_string(), self.namespace.clone());
            a.insert("pod".to_string(), self.pod.clone());
        }
        a.insert(
            "timestamp".to_string(),
            crate::go::time::go_utc_string(crate::go::time::now()),
        );
        a
    }

    fn delegated(&self) -> bool {
        self.conf.type_ != "calico"
    }

    /// Addresses automatic assignment leaves alone: under a delegating plugin, the pools'
    /// first and last addresses ([`pool_ends`]).
    fn excluded(&self, pools: &[IpPool]) -> Vec<Cidr> {
        if !self.delegated() {
            return Vec::new();
        }
        pool_ends(pools).into_iter().map(|(c, _)| c).collect()
    }

    /// Refuses a fixed address a delegating plugin's pod cannot use ([`pool_ends`]).
    fn check_fixed(&self, ips: &[IpAddr], pools: &[IpPool]) -> Result<(), CniError> {
        if self.delegated() {
            for ip in ips {
                check_not_pool_end(*ip, pools, &self.conf.type_)?;
            }
        }
        Ok(())
    }

    fn endpoint_name(&self) -> String {
        let iface = if self.inv.ifname.is_empty() {
            "eth0"
        } else {
            &self.inv.ifname
        };
        if self.pod.is_empty() {
            format!(
                "{}-cni-{}-{}",
                self.node.replace('-', "--"),
                self.inv.container_id.replace('-', "--"),
                iface.replace('-', "--")
            )
        } else {
            k8s_endpoint_name(&self.node, &self.pod, iface)
        }
    }

    fn add(&self) -> Result<serde_json::Value, CniError> {
        let _lock = HostLock::acquire(
            self.conf
                .ipam_lock_file
                .as_deref()
                .unwrap_or("/var/run/calico/ipam.lock"),
        );
        // `IP=<addr>` in CNI_ARGS is how Calico's own `calico` plugin asks for one specific
        // address (once per address of the pod's `ipAddrs` annotation, all under one handle).
        // An empty `IP=` asks for nothing in particular.
        if let Some(ip) = self.args.get("IP").filter(|ip| !ip.is_empty()) {
            return self.add_requested_ip(ip);
        }
        // A runtime retrying ADD for the same container gets the addresses it already holds,
        // never a second set.
        let PodState {
            pools,
            held,
            endpoint,
            ready,
        } = self.pools_and_held()?;
        if !held.is_empty() {
            let assigned: Vec<Cidr> = held.into_iter().map(Cidr::host).collect();
            let floating = self.floating_ips(&pools)?;
            return self.finish_add(&assigned, &assigned, &floating, &pools, None);
        }
        let ip_addrs = self.annotation(ANN_IP_ADDRS);
        let no_ipam = self.annotation(ANN_IP_ADDRS_NO_IPAM);
        if ip_addrs.is_some() && no_ipam.is_some() {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                "can't have both annotations: 'ipAddrs' and 'ipAddrsNoIpam' in use at the same time",
            ));
        }
        // Floating IPs are checked before anything is assigned, so a bad one leaves nothing.
        let floating_ips = self.floating_ips(&pools)?;

        // IPAM records the endpoint with the addresses (not for ipAddrsNoIpam: no IPAM).
        let mut rider = EndpointRider::new(self, &floating_ips, Vec::new(), endpoint, ready);
        let assigned = if let Some(list) = ip_addrs.or(no_ipam) {
            let annotation = if ip_addrs.is_some() {
                ANN_IP_ADDRS
            } else {
                ANN_IP_ADDRS_NO_IPAM
            };
            if no_ipam.is_some() && !self.conf.feature_control.ip_addrs_no_ipam {
                return Err(CniError::new(
                    codes::INVALID_CONFIG,
                    "requested feature is not enabled: ip_addrs_no_ipam",
                ));
            }
            let ips = self.parse_ip_addrs(annotation, list)?;
            self.check_fixed(&ips, &pools)?;
            if ip_addrs.is_some() {
                self.release_previous_sandbox(&mut rider)?;
                self.assign_fixed(&ips, &mut rider)
            } else {
                Ok(ips.into_iter().map(Cidr::host).collect())
            }
        } else {
            self.assign_auto(&pools, &mut rider)
        };
        let written = rider.written;
        let result = assigned.and_then(|assigned| {
            self.finish_add(&assigned, &assigned, &floating_ips, &pools, written)
        });
        if result.is_err() {
            // Nothing is kept from a failed ADD: the endpoint first (as DEL does), then the
            // addresses (ipAddrsNoIpam recorded nothing in IPAM).
            self.undo_endpoint(written);
            if no_ipam.is_none() {
                let _ = self.ipam.release_by_handle(&self.handle);
            }
        }
        result
    }

    /// A new sandbox for a pod with fixed addresses (`ipAddrs`): as Calico's plugin does when
    /// the pod's endpoint already exists, the previous sandbox's addresses are released
    /// before the fixed ones are assigned again (else the new sandbox could never get them).
    ///
    /// What is released is what the previous sandbox's handle (`<network>.<its container>`)
    /// holds, which is what its endpoint's `ipNetworks` list (our ADDs write both in one
    /// transaction); Calico releases the listed addresses whoever holds them, which could free
    /// an address that has since gone to another pod. The endpoint goes in the same
    /// transaction, unless it changed since it was read.
    ///
    /// Atomicity: the release (addresses and old endpoint) is one transaction, and each fixed
    /// address is then assigned with the new endpoint in one transaction, as for any ADD; the
    /// two are not one. Stopped in between, the pod holds nothing and has no endpoint (no
    /// leak, nothing dangling); and should the assignment then fail (another pod took the
    /// address in between), the previous sandbox's addresses are not given back. The old
    /// sandbox's later DEL finds its handle gone and the endpoint another container's, and
    /// changes nothing.
    fn release_previous_sandbox(&self, rider: &mut EndpointRider<'_, '_>) -> Result<(), CniError> {
        let Some(old) = rider.stored.as_ref() else {
            return Ok(());
        };
        let previous = old.spec.container_id.clone();
        if previous.is_empty() || previous == self.inv.container_id {
            // No other sandbox to release for (this container's handle holds nothing).
            return Ok(());
        }
        let mut remover = EndpointRemover::new(self, &previous, false);
        match self.ipam.release_by_handle_with(
            &format!("{}.{previous}", self.conf.name),
            Some(&mut remover),
        ) {
            Ok(()) | Err(IpamError::HandleNotFound(_)) => {}
            Err(e) => {
                return Err(remover.failure.take().unwrap_or_else(|| {
                    CniError::new(ipam_code(&e), format!("failed to release ipAddrs: {e}"))
                }));
            }
        }
        if remover.removed {
            rider.stored = None;
        }
        // Should the endpoint have changed meanwhile, the assignment's compare finds out and
        // reads it again.
        Ok(())
    }

    /// Deletes the endpoint this ADD wrote at `written`, unless it changed since.
    fn undo_endpoint(&self, written: Option<i64>) {
        if let Some(revision) = written {
            let _ = self.client.delete::<WorkloadEndpoint>(
                Some(&self.namespace),
                &self.endpoint_name(),
                Some(&revision.to_string()),
            );
        }
    }

    /// ADD with `IP=<addr>`: assigns exactly that address to the handle (Calico's `AssignIP`:
    /// it must lie in a pool and be free; reservations do not apply) and returns it alone, as
    /// Calico's IPAM plugin does, with the assignment's own error text (the `calico` plugin
    /// that asked adds its `error getting IP from IPAM:`). A retried ADD for an address the
    /// handle already holds returns it again. The endpoint lists every address the handle
    /// holds, so the pod's IPv4 and IPv6 requests end with one endpoint carrying both.
    fn add_requested_ip(&self, requested: &str) -> Result<serde_json::Value, CniError> {
        let ip: IpAddr = requested.parse().map_err(|_| {
            CniError::new(
                codes::INVALID_CONFIG,
                format!("invalid IP format: {requested}"),
            )
        })?;
        let PodState {
            pools,
            mut held,
            endpoint,
            ready,
        } = self.pools_and_held()?;
        let floating_ips = self.floating_ips(&pools)?;
        let newly_assigned = !held.contains(&ip);
        let mut written = None;
        if newly_assigned {
            self.check_fixed(&[ip], &pools)?;
            let with = |v4| v4 == ip.is_ipv4() || held.iter().any(|h| h.is_ipv4() == v4);
            check_floating_families(&floating_ips, with(true), with(false))?;
            let req = AssignIpRequest {
                ip,
                handle_id: Some(self.handle.clone()),
                attrs: self.attrs(),
                hostname: self.node.clone(),
            };
            // The endpoint goes with the address, unless a delegating plugin's result (its
            // gateway) may still fail: then undoing would have to put the old endpoint back.
            let mut rider = EndpointRider::new(
                self,
                &floating_ips,
                held.iter().map(|h| Cidr::host(*h)).collect(),
                endpoint,
                ready,
            );
            rider.sorted = true;
            let with_rider = (!self.delegated()).then_some(&mut rider as &mut dyn Rider);
            if let Err(e) = self.ipam.assign_ip_with(&req, with_rider) {
                return Err(rider.failure.take().unwrap_or_else(|| ipam_err(e)));
            }
            written = rider.written;
            held.push(ip);
        }
        held.sort();
        let on_endpoint: Vec<Cidr> = held.into_iter().map(Cidr::host).collect();
        let result = self.finish_add(
            &[Cidr::host(ip)],
            &on_endpoint,
            &floating_ips,
            &pools,
            written,
        );
        // Only this request's address goes back; another request's stays with the handle.
        if result.is_err() && newly_assigned {
            let _ = self.ipam.release_ips(&[ReleaseOptions {
                handle: Some(self.handle.clone()),
                ..ReleaseOptions::ip(ip)
            }]);
        }
        result
    }

    /// The pod's floating IPs: allowed only with `feature_control.floating_ips`, each inside
    /// a configured pool.
    fn floating_ips(&self, pools: &[IpPool]) -> Result<Vec<IpAddr>, CniError> {
        let Some(v) = self.annotation(ANN_FLOATING_IPS) else {
            return Ok(Vec::new());
        };
        if !self.conf.feature_control.floating_ips {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                "requested feature is not enabled: floating_ips",
            ));
        }
        let mut out = Vec::new();
        for f in parse_json_list(ANN_FLOATING_IPS, v)? {
            let ip: IpAddr = f.parse().map_err(|_| {
                CniError::new(codes::INVALID_CONFIG, format!("invalid IP format: {f}"))
            })?;
            if !pools
                .iter()
                .filter_map(IpPool::cidr)
                .any(|c| c.contains_ip(ip))
            {
                return Err(CniError::new(
                    codes::INVALID_CONFIG,
                    format!("floating IP {ip} is not within a configured IP pool"),
                ));
            }
            out.push(ip);
        }
        Ok(out)
    }

    fn parse_ip_addrs(&self, annotation: &str, value: &str) -> Result<Vec<IpAddr>, CniError> {
        let list = parse_json_list(annotation, value)?;
        if list.is_empty() {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!("annotation \"{annotation}\" specified but empty"),
            ));
        }
        let mut ips = Vec::new();
        let (mut v4, mut v6) = (0, 0);
        for s in &list {
            let ip: IpAddr = s.parse().map_err(|_| {
                CniError::new(codes::INVALID_CONFIG, format!("invalid IP format: {s}"))
            })?;
            if ip.is_ipv4() {
                v4 += 1;
            } else {
                v6 += 1;
            }
            ips.push(ip);
        }
        if v4 > 1 {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!("cannot have more than one IPv4 address for \"{annotation}\" annotation"),
            ));
        }
        if v6 > 1 {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!("cannot have more than one IPv6 address for \"{annotation}\" annotation"),
            ));
        }
        Ok(ips)
    }

    /// Assigns the `ipAddrs` addresses, each with the endpoint as it stands after it.
    fn assign_fixed(
        &self,
        ips: &[IpAddr],
        rider: &mut EndpointRider<'_, '_>,
    ) -> Result<Vec<Cidr>, CniError> {
        check_floating_families(
            rider.floating,
            ips.iter().any(IpAddr::is_ipv4),
            ips.iter().any(IpAddr::is_ipv6),
        )?;
        let mut out = Vec::new();
        for ip in ips {
            let req = AssignIpRequest {
                ip: *ip,
                handle_id: Some(self.handle.clone()),
                attrs: self.attrs(),
                hostname: self.node.clone(),
            };
            rider.held.clone_from(&out);
            match self.ipam.assign_ip_with(&req, Some(rider)) {
                Ok(a) => out.push(a.ip),
                Err(e) => {
                    return Err(rider.failure.take().unwrap_or_else(|| {
                        CniError::new(ipam_code(&e), format!("error getting IP from IPAM: {e}"))
                    }));
                }
            }
        }
        Ok(out)
    }

    /// Assigns from the pools that apply, with the endpoint in every transaction.
    fn assign_auto(
        &self,
        pools: &[IpPool],
        rider: &mut EndpointRider<'_, '_>,
    ) -> Result<Vec<Cidr>, CniError> {
        let ipam = &self.conf.ipam;
        let v4_names = self.pools_for(ANN_IPV4_POOLS, &ipam.ipv4_pools)?;
        let v6_names = self.pools_for(ANN_IPV6_POOLS, &ipam.ipv6_pools)?;
        let req = AutoAssignRequest {
            num4: usize::from(types::knob(&ipam.assign_ipv4, true)),
            num6: usize::from(types::knob(&ipam.assign_ipv6, false)),
            handle_id: Some(self.handle.clone()),
            attrs: self.attrs(),
            hostname: self.node.clone(),
            ipv4_pools: self.resolve_pools(&v4_names, 4, pools)?,
            ipv6_pools: self.resolve_pools(&v6_names, 6, pools)?,
            namespace_labels: self.conf.args.k8s.namespace_labels.clone(),
            intended_use: IntendedUse::Workload,
            max_blocks_per_host: 0,
            excluded: self.excluded(pools),
        };
        check_floating_families(rider.floating, req.num4 > 0, req.num6 > 0)?;
        let result = self
            .ipam
            .auto_assign_with(&req, Some(rider))
            .map_err(|e| rider.failure.take().unwrap_or_else(|| ipam_err(e)))?;
        for (fam, v) in [(&result.ipv4, 4), (&result.ipv6, 6)] {
            if let Some(a) = fam
                && let Some(msg) = a.partial_fulfillment_error()
            {
                // The caller takes back the endpoint, then the addresses (the handle is
                // this request's alone: a retried ADD returned earlier).
                return Err(CniError::new(
                    codes::IPAM_FAILURE,
                    format!("failed to request IPv{v} addresses: {msg}"),
                ));
            }
        }
        Ok(result.ips())
    }

    /// This node's gateway address in `pool` (delegated mode), allocated on first use.
    fn gateway_for(&self, pool: &IpPool) -> Result<IpAddr, CniError> {
        let handle = format!("cni-gateway-addr-{}-{}", pool.metadata.name, self.node);
        let cidr = pool
            .cidr()
            .ok_or_else(|| CniError::new(codes::IPAM_FAILURE, "pool without a valid CIDR"))?;
        let existing = self.held_by(&handle)?;
        if let Some(ip) = existing.into_iter().find(|ip| cidr.contains_ip(*ip)) {
            // A gateway allocated before gateways had their endpoint gets it now.
            self.ensure_gateway_endpoint(&handle, ip)?;
            return Ok(ip);
        }
        let mut attrs = BTreeMap::new();
        attrs.insert("node".to_string(), self.node.clone());
        attrs.insert("type".to_string(), GATEWAY_ADDRESS_TYPE.to_string());
        let req = AutoAssignRequest {
            num4: usize::from(cidr.is_ipv4()),
            num6: usize::from(!cidr.is_ipv4()),
            handle_id: Some(handle),
            attrs,
            hostname: self.node.clone(),
            ipv4_pools: if cidr.is_ipv4() { vec![cidr] } else { vec![] },
            ipv6_pools: if cidr.is_ipv4() { vec![] } else { vec![cidr] },
            intended_use: IntendedUse::Workload,
            excluded: self.excluded(std::slice::from_ref(pool)),
            ..AutoAssignRequest::default()
        };
        let mut rider = GatewayRider {
            plugin: self,
            handle: &req_handle(&req),
            failure: None,
            ready: 0,
        };
        let r = self
            .ipam
            .auto_assign_with(&req, Some(&mut rider))
            .map_err(|e| rider.failure.take().unwrap_or_else(|| ipam_err(e)))?;
        r.ips().first().map(Cidr::addr).ok_or_else(|| {
            CniError::new(
                codes::IPAM_FAILURE,
                format!(
                    "could not allocate a gateway address for node {} in pool {}",
                    self.node, pool.metadata.name
                ),
            )
        })
    }

    /// The WorkloadEndpoint that owns a node's gateway address `ip` (handle `handle`) in
    /// Calico's terms: Calico's `ipam check` counts an address as in use only when an endpoint
    /// lists it or a Node field holds it, so without it Calico's check would call the gateway
    /// leaked and its `release --from-report` would free it. Orchestrator `cni`, the handle as
    /// its container ID (so `delete node` releases the address with the endpoint), interface
    /// `gateway`, in namespace `kube-system`.
    fn gateway_endpoint(&self, handle: &str, ip: Option<IpAddr>) -> WorkloadEndpoint {
        let mut wep = WorkloadEndpoint {
            metadata: ObjectMeta {
                name: format!(
                    "{}-cni-{}-gateway",
                    self.node.replace('-', "--"),
                    handle.replace('-', "--")
                ),
                namespace: GATEWAY_NAMESPACE.into(),
                ..ObjectMeta::default()
            },
            ..WorkloadEndpoint::default()
        };
        wep.set_type_meta();
        wep.spec.orchestrator = "cni".into();
        wep.spec.node = self.node.clone();
        wep.spec.container_id = handle.to_string();
        wep.spec.endpoint = "gateway".into();
        wep.spec.ip_networks = ip
            .map(|ip| Cidr::host(ip).to_string())
            .into_iter()
            .collect();
        wep
    }

    /// Creates the gateway's endpoint ([`Plugin::gateway_endpoint`]) if it is missing.
    fn ensure_gateway_endpoint(&self, handle: &str, ip: IpAddr) -> Result<(), CniError> {
        let wep = self.gateway_endpoint(handle, Some(ip));
        let name = wep.metadata.name.clone();
        if self
            .client
            .get_opt::<WorkloadEndpoint>(Some(GATEWAY_NAMESPACE), &name)
            .map_err(client_err)?
            .is_some()
        {
            return Ok(());
        }
        match self.client.create(wep) {
            Ok(_) | Err(ClientError::AlreadyExists(_)) => Ok(()),
            Err(e) => Err(client_err(e)),
        }
    }

    /// An address as Calico's calico-ipam gives it to Calico's own `calico` plugin: one it
    /// chose itself (automatic assignment) with its block's prefix length (`10.0.0.5/26`), as
    /// libcalico-go's AutoAssign returns it; one asked for by name (`IP=`, `ipAddrs`,
    /// `ipAddrsNoIpam`) as a host address (`/32`, `/128`), as Calico's plugin builds it. The
    /// `calico` plugin narrows either to a host address on the pod's interface.
    fn calico_address(&self, a: &Cidr, pools: &[IpPool]) -> Cidr {
        let named = self.args.get("IP").is_some_and(|ip| !ip.is_empty())
            || self.annotation(ANN_IP_ADDRS).is_some()
            || self.annotation(ANN_IP_ADDRS_NO_IPAM).is_some();
        if named {
            return Cidr::host(a.addr());
        }
        if a.prefix() < a.bits() {
            // Assigned just now: it carries its block's prefix.
            return *a;
        }
        // Held already (a retried ADD): the block size of the pool it lies in.
        pools
            .iter()
            .filter(|p| p.cidr().is_some_and(|c| c.contains_ip(a.addr())))
            .max_by_key(|p| p.cidr().map(|c| c.prefix()))
            .and_then(|p| Cidr::new(a.addr(), p.block_size()).ok())
            .unwrap_or_else(|| Cidr::host(a.addr()))
    }

    /// Builds the result for `assigned` and, unless the assignment wrote it (at revision
    /// `written`), records the endpoint with `on_endpoint` (the same addresses, except for
    /// one of several `IP=` requests).
    fn finish_add(
        &self,
        assigned: &[Cidr],
        on_endpoint: &[Cidr],
        floating: &[IpAddr],
        pools: &[IpPool],
        written: Option<i64>,
    ) -> Result<serde_json::Value, CniError> {
        if assigned.is_empty() {
            return Err(CniError::new(
                codes::IPAM_FAILURE,
                "IPAM plugin returned missing IP config",
            ));
        }
        if written.is_none() {
            let has = |v4| on_endpoint.iter().any(|a| a.is_ipv4() == v4);
            check_floating_families(floating, has(true), has(false))?;
        }
        let mut result = IpamResult::default();
        for a in assigned {
            let version = a.version();
            if self.delegated() {
                let pool = pools
                    .iter()
                    .filter(|p| p.cidr().is_some_and(|c| c.contains_ip(a.addr())))
                    .max_by_key(|p| p.cidr().map(|c| c.prefix()))
                    .ok_or_else(|| {
                        CniError::new(
                            codes::IPAM_FAILURE,
                            format!("{} is not in any IP pool", a.addr()),
                        )
                    })?;
                let gw = self.gateway_for(pool)?;
                let prefix = pool.cidr().map_or(a.prefix(), |c| c.prefix());
                result.ips.push(ResultIp {
                    address: format!("{}/{prefix}", a.addr()),
                    gateway: Some(gw.to_string()),
                    version,
                });
            } else {
                result.ips.push(ResultIp {
                    address: self.calico_address(a, pools).to_string(),
                    gateway: None,
                    version,
                });
            }
        }
        result.routes = self.conf.ipam.routes.clone();
        if result.routes.is_empty() && self.delegated() {
            for ip in &result.ips {
                let dst = if ip.version == 4 { "0.0.0.0/0" } else { "::/0" };
                if !result.routes.iter().any(|r| r.dst == dst) {
                    result.routes.push(Route {
                        dst: dst.to_string(),
                        gw: None,
                    });
                }
            }
        }
        if written.is_none() {
            self.write_endpoint(on_endpoint, floating_nats(on_endpoint, floating))?;
        }
        Ok(result.to_json(&self.conf.cni_version))
    }

    /// The pod's WorkloadEndpoint for `assigned`, as a create would store it.
    fn endpoint(&self, assigned: &[Cidr], nats: Vec<IpNat>) -> WorkloadEndpoint {
        let mut wep = WorkloadEndpoint {
            metadata: ObjectMeta {
                name: self.endpoint_name(),
                namespace: self.namespace.clone(),
                // The client adds Calico's namespace and orchestrator labels.
                ..ObjectMeta::default()
            },
            ..WorkloadEndpoint::default()
        };
        wep.set_type_meta();
        let spec = &mut wep.spec;
        spec.orchestrator = if self.pod.is_empty() {
            "cni".into()
        } else {
            "k8s".into()
        };
        spec.node = self.node.clone();
        spec.container_id = self.inv.container_id.clone();
        spec.pod = self.pod.clone();
        spec.endpoint = if self.inv.ifname.is_empty() {
            "eth0".into()
        } else {
            self.inv.ifname.clone()
        };
        spec.ip_networks = assigned
            .iter()
            .map(|a| Cidr::host(a.addr()).to_string())
            .collect();
        spec.ip_nats = nats;
        spec.profiles = vec![format!("kns.{}", self.namespace)];
        wep
    }

    /// Records the pod's endpoint in a transaction of its own.
    fn write_endpoint(&self, assigned: &[Cidr], nats: Vec<IpNat>) -> Result<(), CniError> {
        let wep = self.endpoint(assigned, nats);
        let name = wep.metadata.name.clone();
        for attempt in 0..5 {
            // A new pod's endpoint does not exist yet: the first attempt creates it without
            // reading first (a create is conditional on the key being absent); should it
            // exist (a retried ADD, a restarted container), the next attempt reads and updates.
            let existing = if attempt == 0 {
                None
            } else {
                self.client
                    .get_opt::<WorkloadEndpoint>(Some(&self.namespace), &name)
                    .map_err(client_err)?
            };
            let r = match existing {
                None => self.client.create(wep.clone()).map(|_| ()),
                Some(old) => self.client.update(replacing(wep.clone(), &old)).map(|_| ()),
            };
            match r {
                Ok(()) => return Ok(()),
                Err(ClientError::Conflict(_) | ClientError::AlreadyExists(_)) if attempt < 4 => {
                    continue;
                }
                Err(e) => return Err(client_err(e)),
            }
        }
        Ok(())
    }

    fn del(&self) -> Result<(), CniError> {
        let _lock = HostLock::acquire(
            self.conf
                .ipam_lock_file
                .as_deref()
                .unwrap_or("/var/run/calico/ipam.lock"),
        );
        // The endpoint goes in the transaction that releases the addresses: a DEL cut short
        // leaves both or neither, never an endpoint (and its floating-IP NAT) pointing at an
        // address IPAM may hand to another pod, nor an address nothing uses.
        // One round trip reads the handle, the endpoint and the pre-v3 handle.
        let mut remover = EndpointRemover::new(self, &self.inv.container_id, true);
        match self
            .ipam
            .release_by_handle_with(&self.handle, Some(&mut remover))
        {
            Ok(()) | Err(IpamError::HandleNotFound(_)) => {}
            Err(e) => return Err(remover.failure.take().unwrap_or_else(|| ipam_err(e))),
        }
        if !remover.removed {
            // Nothing released with it (no addresses under the handle: ipAddrsNoIpam, or
            // released already): the endpoint goes on its own.
            if let Some(revision) = remover.revision {
                match self.client.delete::<WorkloadEndpoint>(
                    Some(&self.namespace),
                    &self.endpoint_name(),
                    Some(&revision.to_string()),
                ) {
                    Ok(_) | Err(ClientError::NotFound(_)) => {}
                    Err(e) => return Err(client_err(e)),
                }
            }
        }
        // Calico before v3 keyed a pod's addresses by its workload ID, `<namespace>.<pod>`;
        // DEL releases that handle too, so that such allocations do not outlive the pod.
        if let Some(legacy) = remover.legacy_handle().filter(|_| remover.legacy) {
            match self.ipam.release_by_handle(&legacy) {
                Ok(()) | Err(IpamError::HandleNotFound(_)) => {}
                Err(e) => return Err(ipam_err(e)),
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), CniError> {
        let held = self.held_by(&self.handle)?;
        let no_ipam = self.annotation(ANN_IP_ADDRS_NO_IPAM).is_some();
        if held.is_empty() && !no_ipam {
            return Err(CniError::new(
                codes::IPAM_FAILURE,
                format!(
                    "no IP addresses are allocated to container {}",
                    self.inv.container_id
                ),
            ));
        }
        if let Some(prev) = &self.conf.prev_result {
            for ip in prev
                .get("ips")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                let Some(addr) = ip.get("address").and_then(|a| a.as_str()) else {
                    continue;
                };
                let Ok(c) = Cidr::parse(addr) else { continue };
                if !no_ipam && !held.contains(&c.addr()) {
                    return Err(CniError::new(
                        codes::IPAM_FAILURE,
                        format!(
                            "IP address {} is no longer allocated to container {}",
                            c.addr(),
                            self.inv.container_id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(stdin: &str) -> Result<NetConf, CniError> {
        let (value, version) = config_version(stdin.as_bytes())?;
        parse_conf(value, version)
    }

    fn conf_error(stdin: &str) -> CniError {
        conf(stdin).unwrap_err()
    }

    /// An ADD invocation of container `id` for pod `pod` with configuration `stdin`.
    fn add_inv(command: &str, id: &str, pod: &str, stdin: String) -> Invocation {
        Invocation {
            command: command.into(),
            container_id: id.into(),
            netns: format!("/var/run/netns/{id}"),
            ifname: "eth0".into(),
            args: format!("K8S_POD_NAMESPACE=default;K8S_POD_NAME={pod}"),
            path: "/opt/cni/bin".into(),
            stdin: stdin.into_bytes(),
        }
    }

    #[test]
    fn an_unreachable_datastore_is_try_again_later() {
        // Nothing listens on port 1: etcd is unreachable, a transient condition (CNI's 11).
        let stdin = r#"{"cniVersion":"1.0.0","name":"n","type":"calico","nodename":"node-a",
            "datastore_type":"etcdv3","etcd_endpoints":"http://127.0.0.1:1",
            "ipam":{"type":"calico-ipam"}}"#;
        for command in ["ADD", "DEL", "CHECK"] {
            let e = run(&add_inv(command, "c1", "p-0", stdin.to_string())).unwrap_err();
            assert_eq!(e.code, codes::TRY_AGAIN, "{command}: {e:?}");
            assert!(e.msg.contains("127.0.0.1:1"), "{command}: {e:?}");
        }
    }

    /// A lock taken after the ADD read ClusterInformation (ready) and before its assignment
    /// commits stops the assignment: nothing is written, and the answer is Calico's.
    #[test]
    fn a_lock_landing_after_the_read_stops_the_assignment() {
        let dir = crate::testing::TestDir::new("cni-lock-race");
        let db = dir.path().join("datastore.db").display().to_string();
        let stdin = format!(
            r#"{{"cniVersion":"1.0.0","name":"n","type":"calico","nodename":"node-a",
                "datastore_type":"embedded","datastore_path":"{db}",
                "ipam_lock_file":"{}","ipam":{{"type":"calico-ipam"}}}}"#,
            dir.path().join("ipam.lock").display()
        );
        let inv = add_inv("ADD", "c1", "race-0", stdin.clone());
        let (value, version) = config_version(&inv.stdin).unwrap();
        let conf = parse_conf(value, version).unwrap();
        let plugin = Plugin::open(&conf, &inv).unwrap();
        let mut node = crate::model::Node::default();
        node.metadata.name = "node-a".into();
        plugin.client.create(node).unwrap();
        plugin
            .client
            .create(IpPool::new("pool", "10.9.0.0/24"))
            .unwrap();
        let mut info = crate::model::ClusterInformation::default();
        info.metadata.name = "default".into();
        info.spec.datastore_ready = Some(true);
        plugin.client.create(info).unwrap();

        let state = plugin.pools_and_held().unwrap();
        assert!(state.ready > 0);
        // The lock lands now.
        let mut info: crate::model::ClusterInformation =
            plugin.client.get(None, "default").unwrap();
        info.spec.datastore_ready = Some(false);
        plugin.client.update(info).unwrap();

        let mut rider = EndpointRider::new(&plugin, &[], Vec::new(), state.endpoint, state.ready);
        let e = plugin.assign_auto(&state.pools, &mut rider).unwrap_err();
        assert_eq!((e.code, e.msg.as_str()), (codes::INTERNAL, NOT_READY));
        assert!(rider.written.is_none());
        assert!(plugin.held_by(&plugin.handle).unwrap().is_empty());
        assert!(
            plugin
                .client
                .get_opt::<WorkloadEndpoint>(Some("default"), &plugin.endpoint_name())
                .unwrap()
                .is_none()
        );
        // Once unlocked the ADD goes through; locked again, its DEL releases nothing.
        let mut info: crate::model::ClusterInformation =
            plugin.client.get(None, "default").unwrap();
        info.spec.datastore_ready = Some(true);
        plugin.client.update(info).unwrap();
        let added = run(&inv).unwrap().unwrap();
        assert!(
            added["ips"][0]["address"]
                .as_str()
                .unwrap()
                .ends_with("/26"),
            "{added}"
        );
        let mut info: crate::model::ClusterInformation =
            plugin.client.get(None, "default").unwrap();
        info.spec.datastore_ready = Some(false);
        plugin.client.update(info).unwrap();
        let e = run(&add_inv("DEL", "c1", "race-0", stdin)).unwrap_err();
        assert_eq!((e.code, e.msg.as_str()), (codes::INTERNAL, NOT_READY));
        assert_eq!(plugin.held_by(&plugin.handle).unwrap().len(), 1);
    }

    #[test]
    fn environment_and_version_floors_as_skel_checks_them() {
        let inv = |command: &str, vars: &[&str], version: &str| Invocation {
            command: command.into(),
            container_id: if vars.contains(&"id") { "c1" } else { "" }.into(),
            netns: if vars.contains(&"netns") { "/n" } else { "" }.into(),
            ifname: if vars.contains(&"if") { "eth0" } else { "" }.into(),
            path: if vars.contains(&"path") {
                "/opt/cni/bin"
            } else {
                ""
            }
            .into(),
            stdin: format!(r#"{{"cniVersion":"{version}","name":"n"}}"#).into_bytes(),
            ..Invocation::default()
        };
        let error = |i: &Invocation| {
            let e = run(i).unwrap_err();
            (e.code, e.msg)
        };
        let missing = |m: &str| {
            (
                codes::INVALID_ENV,
                format!("required env variables [{m}] missing"),
            )
        };
        assert_eq!(error(&inv("", &[], "1.0.0")), missing("CNI_COMMAND"));
        assert_eq!(
            error(&inv("ADD", &[], "1.0.0")),
            missing("CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH")
        );
        assert_eq!(
            error(&inv("DEL", &["id"], "1.0.0")),
            missing("CNI_IFNAME,CNI_PATH")
        );
        assert_eq!(
            error(&inv("CHECK", &["id", "if", "path"], "1.0.0")),
            missing("CNI_NETNS")
        );
        assert_eq!(error(&inv("STATUS", &[], "1.1.0")), missing("CNI_PATH"));
        assert_eq!(error(&inv("GC", &[], "1.1.0")), missing("CNI_PATH"));
        // The environment comes first, before stdin is looked at.
        let mut bad = inv("DEL", &[], "1.0.0");
        bad.stdin = b"{".to_vec();
        assert_eq!(error(&bad), missing("CNI_CONTAINERID,CNI_IFNAME,CNI_PATH"));
        assert_eq!(
            error(&inv("FOO", &[], "1.0.0")),
            (codes::INVALID_ENV, "unknown CNI_COMMAND: FOO".to_string())
        );
        let all = ["id", "netns", "if", "path"];
        let floor = |c: &str| {
            (
                codes::INCOMPATIBLE_VERSION,
                format!("config version does not allow {c}"),
            )
        };
        assert_eq!(error(&inv("CHECK", &all, "0.3.1")), floor("CHECK"));
        // The floor comes before the version is matched against ours.
        assert_eq!(error(&inv("CHECK", &all, "0.2.0")), floor("CHECK"));
        assert_eq!(error(&inv("STATUS", &all, "1.0.0")), floor("STATUS"));
        assert_eq!(error(&inv("GC", &all, "0.4.0")), floor("GC"));
        assert!(run(&inv("GC", &["path"], "1.1.0")).unwrap().is_none());
        assert_eq!(
            error(&inv("GC", &["path"], "1.x")),
            (
                codes::DECODE_FAILURE,
                "failed to convert minor version part \"x\": strconv.Atoi: parsing \"x\": \
                 invalid syntax"
                    .to_string()
            )
        );
    }

    #[test]
    fn list_annotations_fail_in_calicos_words() {
        let msg =
            |annotation: &str, value: &str| parse_json_list(annotation, value).unwrap_err().msg;
        assert_eq!(
            msg(ANN_IP_ADDRS, "10.20.0.8"),
            "failed to parse IPs 10.20.0.8 for annotation \"cni.projectcalico.org/ipAddrs\": \
             failed to parse '10.20.0.8' as JSON: invalid character '.' after top-level value"
        );
        assert_eq!(
            msg(ANN_IP_ADDRS_NO_IPAM, r#""10.20.0.8""#),
            "failed to parse IPs \"10.20.0.8\" for annotation \
             \"cni.projectcalico.org/ipAddrsNoIpam\": failed to parse '\"10.20.0.8\"' as JSON: \
             json: cannot unmarshal string into Go value of type []string"
        );
        assert_eq!(
            msg(ANN_FLOATING_IPS, "[1]"),
            "failed to parse '[1]' as JSON: json: cannot unmarshal number into Go value of type string"
        );
        assert_eq!(
            msg(ANN_IPV4_POOLS, "[\"a\""),
            "unexpected end of JSON input"
        );
        assert_eq!(
            parse_json_list(ANN_IPV6_POOLS, "null").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            parse_json_list(ANN_IP_ADDRS, r#"["10.0.0.1",null]"#).unwrap(),
            vec!["10.0.0.1".to_string(), String::new()]
        );
    }

    #[test]
    fn configuration_errors_in_libcni_and_calico_words() {
        for (stdin, code, msg) in [
            (
                r#"{"cniVersion":"1.0.0""#,
                codes::DECODE_FAILURE,
                "decoding version from network config: unexpected end of JSON input",
            ),
            (
                r#"[{"cniVersion":"1.0.0"}]"#,
                codes::DECODE_FAILURE,
                "decoding version from network config: json: cannot unmarshal array into Go \
                 value of type struct { CNIVersion string \"json:\\\"cniVersion\\\"\" }",
            ),
            (
                r#"{"name":"n"}"#,
                codes::INCOMPATIBLE_VERSION,
                "incompatible CNI versions; config is \"0.1.0\", plugin supports [\"0.3.0\" \
                 \"0.3.1\" \"0.4.0\" \"1.0.0\" \"1.1.0\"]",
            ),
            (
                r#"{"cniVersion":"1.0.0","etcd_password":["s3cret"]}"#,
                codes::INTERNAL,
                "failed to load netconf: json: cannot unmarshal array into Go struct field \
                 NetConf.etcd_password of type string",
            ),
            (
                r#"{"cniVersion":"1.0.0","ipam":{"routes":[{"dst":"0.0.0.0/0","gw":7}]}}"#,
                codes::INTERNAL,
                "failed to load netconf: json: cannot unmarshal number into Go struct field \
                 Route.ipam.routes.gw of type string",
            ),
            // Routes as host-local decodes them (Go's net.ParseCIDR and net.ParseIP).
            (
                r#"{"cniVersion":"1.0.0","ipam":{"routes":[{"dst":"garbage","gw":"nope"}]}}"#,
                codes::INTERNAL,
                "failed to load netconf: invalid CIDR address: garbage",
            ),
            (
                r#"{"cniVersion":"1.0.0","ipam":{"routes":[{"dst":"10.0.0.0/33"}]}}"#,
                codes::INTERNAL,
                "failed to load netconf: invalid CIDR address: 10.0.0.0/33",
            ),
            (
                r#"{"cniVersion":"1.0.0","ipam":{"routes":[{"dst":"10.0.0.0/8","gw":"10.0.0.300"}]}}"#,
                codes::INTERNAL,
                "failed to load netconf: invalid IP address: 10.0.0.300",
            ),
        ] {
            let e = conf_error(stdin);
            assert_eq!((e.code, e.msg.as_str()), (code, msg), "{stdin}");
        }
        // Good routes load; an empty gw is none, as Go's net.IP decodes it.
        let routes = conf(
            r#"{"cniVersion":"1.0.0","ipam":{"routes":[{"dst":"10.0.0.0/8","gw":""},
                {"dst":"fd00::/64","gw":"fd00::1"}]}}"#,
        )
        .unwrap()
        .ipam
        .routes;
        assert_eq!(routes[0].gw, None);
        assert_eq!(routes[1].gw.as_deref(), Some("fd00::1"));
    }
}
