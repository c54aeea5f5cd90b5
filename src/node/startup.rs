//! What calico-node does once at start: pick its name, register its Node, create the default
//! IP pools when there are none, and initialise ClusterInformation `default`.
//!
//! Behaviour and messages follow calico-node's `startup.go` and libcalico-go's
//! `EnsureInitialized` (v3.31), minus what needs Kubernetes or address autodetection.

use super::NodeError;
use crate::datastore::api::{Client, ClientError};
use crate::model::{Cidr, ClusterInformation, IpPool, Node};
use std::collections::BTreeMap;
use std::path::Path;

/// Where calico-node keeps the name it registered under.
pub(crate) const DEFAULT_NODENAME_FILE: &str = "/var/lib/calico/nodename";
/// The name of the default IPv4 pool.
pub(crate) const DEFAULT_IPV4_POOL_NAME: &str = "default-ipv4-ippool";
/// The name of the default IPv6 pool.
pub(crate) const DEFAULT_IPV6_POOL_NAME: &str = "default-ipv6-ippool";
/// The CIDR of the default IPv4 pool when `CALICO_IPV4POOL_CIDR` is unset.
pub(crate) const DEFAULT_IPV4_POOL_CIDR: &str = "192.168.0.0/16";

/// How many times a read-modify-write is retried after an update conflict.
const CONFLICT_RETRIES: usize = 5;

/// The node's name: `flag` (already including the `NODENAME` environment variable, which clap
/// reads), else the first line of `nodename_file`, else the host name (lower case), as
/// Calico determines it.
pub(crate) fn determine_nodename(
    flag: Option<&str>,
    nodename_file: &Path,
) -> Result<String, NodeError> {
    if let Some(n) = flag.map(str::trim).filter(|n| !n.is_empty()) {
        return Ok(n.to_string());
    }
    if let Ok(text) = std::fs::read_to_string(nodename_file)
        && let Some(n) = text.lines().next().map(str::trim).filter(|n| !n.is_empty())
    {
        return Ok(n.to_string());
    }
    hostname().map(|h| h.to_lowercase()).ok_or_else(|| {
        NodeError::Config("cannot determine the node name: set --nodename or NODENAME".into())
    })
}

/// The kernel's host name.
fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
}

/// Writes the node name where the CNI plugin looks for it (`/var/lib/calico/nodename`).
pub(crate) fn write_nodename_file(path: &Path, nodename: &str) -> Result<(), NodeError> {
    let io = |e: std::io::Error| NodeError::Io {
        path: path.display().to_string(),
        source: e,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, nodename).map_err(io)
}

/// Parses `k=v,k2=v2` (spaces around items ignored; empty input gives no labels).
pub(crate) fn parse_labels(s: &str) -> Result<BTreeMap<String, String>, NodeError> {
    let mut labels = BTreeMap::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((k, v)) = item.split_once('=') else {
            return Err(NodeError::Config(format!(
                "invalid label '{item}': expected key=value"
            )));
        };
        labels.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(labels)
}

/// What [`register_node`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// The Node did not exist and was created.
    Created,
    /// The Node existed and its labels were changed.
    Updated,
    /// The Node existed with the labels already set.
    Unchanged,
}

/// Creates this node's Node, or merges `labels` into the existing one (the given labels are
/// set; labels not mentioned are kept). With `k8s_node_ref` (`CALICO_K8S_NODE_REF`), the
/// Node's `orchRefs` become that one Kubernetes Node, as Calico's `configureNodeRef` does:
/// what makes it a Kubernetes node for calico-kube-controllers. Retries on update conflicts.
pub fn register_node(
    client: &Client,
    nodename: &str,
    labels: &BTreeMap<String, String>,
    k8s_node_ref: Option<&str>,
) -> Result<(Node, Registration), NodeError> {
    let orch_refs = k8s_node_ref.map(|r| {
        vec![crate::model::node::OrchRef {
            node_name: r.to_string(),
            orchestrator: "k8s".to_string(),
        }]
    });
    let mut last = None;
    for _ in 0..CONFLICT_RETRIES {
        match client.get_opt::<Node>(None, nodename)? {
            None => {
                let mut node = Node::new(nodename);
                node.metadata.labels = labels.clone();
                if let Some(refs) = &orch_refs {
                    node.spec.orch_refs = refs.clone();
                }
                match client.create(node) {
                    Ok(n) => return Ok((n, Registration::Created)),
                    Err(e @ ClientError::AlreadyExists(_)) => last = Some(e),
                    Err(e) => return Err(e.into()),
                }
            }
            Some(mut node) => {
                let before = (node.metadata.labels.clone(), node.spec.orch_refs.clone());
                node.metadata
                    .labels
                    .extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                if let Some(refs) = &orch_refs {
                    node.spec.orch_refs = refs.clone();
                }
                if (&node.metadata.labels, &node.spec.orch_refs) == (&before.0, &before.1) {
                    return Ok((node, Registration::Unchanged));
                }
                match client.update(node) {
                    Ok(n) => return Ok((n, Registration::Updated)),
                    Err(e @ (ClientError::Conflict(_) | ClientError::NotFound(_))) => {
                        last = Some(e)
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Err(last.expect("the loop ran").into())
}

/// The settings of one default pool, from calico-node's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolTemplate {
    /// The pool's name.
    pub name: String,
    /// Its network (host bits cleared).
    pub cidr: Cidr,
    /// Block prefix length.
    pub block_size: u32,
    /// Node selector ("" = all nodes).
    pub(crate) node_selector: String,
    /// `Always`, `CrossSubnet` or `Never`.
    pub(crate) ipip_mode: String,
    /// `Always`, `CrossSubnet` or `Never`.
    pub(crate) vxlan_mode: String,
    /// Masquerade traffic leaving the pool.
    pub(crate) nat_outgoing: bool,
    /// Do not export the pool over BGP.
    pub(crate) disable_bgp_export: bool,
}

impl PoolTemplate {
    /// The IPPool to create.
    pub(crate) fn to_pool(&self) -> IpPool {
        let mut p = IpPool::new(&self.name, &self.cidr.to_string());
        p.spec.block_size = i64::from(self.block_size);
        p.spec.node_selector = self.node_selector.clone();
        p.spec.ipip_mode = self.ipip_mode.clone();
        p.spec.vxlan_mode = self.vxlan_mode.clone();
        p.spec.nat_outgoing = self.nat_outgoing;
        p.spec.disable_bgp_export = self.disable_bgp_export;
        p
    }
}

/// The default pools calico-node creates when a family has no pool at all.
///
/// Environment (as calico-node): `NO_DEFAULT_POOLS=true` disables both;
/// `CALICO_IPV4POOL_CIDR` (default `192.168.0.0/16`, `none` to skip),
/// `CALICO_IPV4POOL_BLOCK_SIZE` (26), `CALICO_IPV4POOL_NODE_SELECTOR` (all nodes),
/// `CALICO_IPV4POOL_IPIP` and `CALICO_IPV4POOL_VXLAN` (`Always`, `CrossSubnet`, `Never`/`off`;
/// default Never), `CALICO_IPV4POOL_NAT_OUTGOING` (true), `CALICO_IPV4POOL_DISABLE_BGP_EXPORT`
/// (false); the same `CALICO_IPV6POOL_*` for IPv6 (no IPIP; NAT outgoing default false). Unlike
/// calico-node, which invents a random ULA /48 when IPv6 is usable, the IPv6 pool is only
/// created when `CALICO_IPV6POOL_CIDR` is set: this agent does no address autodetection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DefaultPools {
    /// The IPv4 pool, unless disabled.
    pub ipv4: Option<PoolTemplate>,
    /// The IPv6 pool, when configured.
    pub(crate) ipv6: Option<PoolTemplate>,
}

fn env_bool(value: Option<String>, default: bool) -> bool {
    match value {
        None => default,
        Some(v) => !matches!(v.to_lowercase().as_str(), "false" | "0" | "no" | "n" | "f"),
    }
}

fn parse_mode(value: Option<String>, var: &str) -> Result<String, NodeError> {
    let v = value.unwrap_or_default();
    Ok(match v.to_lowercase().as_str() {
        "" | "off" | "never" => "Never",
        "crosssubnet" | "cross-subnet" => "CrossSubnet",
        "always" => "Always",
        _ => {
            let what = if var.contains("IPIP") {
                "IPIP"
            } else {
                "VXLAN"
            };
            return Err(NodeError::Config(format!(
                "Unrecognized {what} mode specified in {var} '{v}'"
            )));
        }
    }
    .to_string())
}

impl DefaultPools {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Result<DefaultPools, NodeError> {
        DefaultPools::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get` (an environment lookup), with calico-node's messages
    /// for bad values.
    pub(crate) fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<DefaultPools, NodeError> {
        let var = |k: &str| get(k).filter(|v| !v.is_empty());
        let v4_cidr = var("CALICO_IPV4POOL_CIDR");
        let v6_cidr = var("CALICO_IPV6POOL_CIDR");
        if var("NO_DEFAULT_POOLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            if v4_cidr.is_some() || v6_cidr.is_some() {
                return Err(NodeError::Config("Invalid configuration with NO_DEFAULT_POOLS defined and CALICO_IPV4POOL_CIDR or CALICO_IPV6POOL_CIDR defined.".into()));
            }
            return Ok(DefaultPools::default());
        }
        let family = |v: u8, cidr: Option<String>| -> Result<Option<PoolTemplate>, NodeError> {
            let cidr = match cidr {
                Some(c) if c == "none" => return Ok(None),
                Some(c) => c,
                None if v == 4 => DEFAULT_IPV4_POOL_CIDR.to_string(),
                None => return Ok(None),
            };
            let p = format!("CALICO_IPV{v}POOL_");
            let block_size = match var(&format!("{p}BLOCK_SIZE")) {
                Some(b) => b.parse::<u32>().map_err(|e| {
                    NodeError::Config(format!("Unable to convert blocksize to int: {e}"))
                })?,
                None if v == 4 => 26,
                None => 122,
            };
            let range = if v == 4 { 20..=32 } else { 116..=128 };
            if !range.contains(&block_size) {
                return Err(NodeError::Config(format!(
                    "Invalid blocksize {block_size} for version {v}"
                )));
            }
            let node_selector = var(&format!("{p}NODE_SELECTOR")).unwrap_or_default();
            if let Err(e) = crate::selector::parse(&node_selector) {
                return Err(NodeError::Config(format!(
                    "Invalid node selector '{node_selector}' for version {v}: {e}"
                )));
            }
            let parsed = Cidr::parse(&cidr)
                .ok()
                .filter(|c| c.version() == v)
                .ok_or_else(|| {
                    NodeError::Config(format!("Invalid CIDR specified in {p}CIDR '{cidr}'"))
                })?;
            let ipip_mode = if v == 4 {
                parse_mode(var(&format!("{p}IPIP")), &format!("{p}IPIP"))?
            } else {
                "Never".to_string()
            };
            Ok(Some(PoolTemplate {
                name: if v == 4 {
                    DEFAULT_IPV4_POOL_NAME
                } else {
                    DEFAULT_IPV6_POOL_NAME
                }
                .to_string(),
                cidr: parsed.network(),
                block_size,
                node_selector,
                ipip_mode,
                vxlan_mode: parse_mode(var(&format!("{p}VXLAN")), &format!("{p}VXLAN"))?,
                nat_outgoing: env_bool(var(&format!("{p}NAT_OUTGOING")), v == 4),
                disable_bgp_export: env_bool(var(&format!("{p}DISABLE_BGP_EXPORT")), false),
            }))
        };
        Ok(DefaultPools {
            ipv4: family(4, v4_cidr)?,
            ipv6: family(6, v6_cidr)?,
        })
    }
}

/// Creates each configured default pool whose family has no pool yet; returns the pools
/// created. Another node creating it first is not an error.
pub(crate) fn ensure_default_pools(
    client: &Client,
    defaults: &DefaultPools,
) -> Result<Vec<IpPool>, NodeError> {
    if defaults.ipv4.is_none() && defaults.ipv6.is_none() {
        return Ok(Vec::new());
    }
    let pools = client.list::<IpPool>(None)?.items;
    let present = |v: u8| {
        pools
            .iter()
            .any(|p| p.cidr().is_some_and(|c| c.version() == v))
    };
    let mut created = Vec::new();
    for (v, template) in [(4, &defaults.ipv4), (6, &defaults.ipv6)] {
        let Some(t) = template else { continue };
        if present(v) {
            continue;
        }
        match client.create(t.to_pool()) {
            Ok(p) => created.push(p),
            Err(ClientError::AlreadyExists(_)) => {}
            Err(e) => {
                return Err(NodeError::Startup(format!(
                    "Failed to create default IPv{v} IP pool: {}: {e}",
                    t.cidr
                )));
            }
        }
    }
    Ok(created)
}

/// Ensures ClusterInformation `default` exists and is current, as libcalico-go's
/// `EnsureInitialized` does: created with a random GUID (32 hex digits), `calicoVersion`,
/// `clusterType` and `datastoreReady: true`; when present, the version is updated, a missing
/// GUID or ready flag filled in (an explicit `datastoreReady: false` is kept) and the
/// comma-separated `clusterType` tags extended with any of ours that are missing.
pub(crate) fn ensure_cluster_information(
    client: &Client,
    calico_version: &str,
    cluster_type: &str,
) -> Result<ClusterInformation, NodeError> {
    let guid = || uuid::Uuid::new_v4().simple().to_string();
    let mut last = None;
    for _ in 0..CONFLICT_RETRIES {
        let Some(mut info) = client.get_opt::<ClusterInformation>(None, "default")? else {
            let mut info = ClusterInformation::default();
            info.metadata.name = "default".into();
            info.spec.calico_version = calico_version.to_string();
            info.spec.cluster_type = cluster_type.to_string();
            info.spec.cluster_guid = guid();
            info.spec.datastore_ready = Some(true);
            match client.create(info) {
                Ok(i) => return Ok(i),
                Err(e @ ClientError::AlreadyExists(_)) => {
                    last = Some(e);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let before = info.spec.clone();
        if !calico_version.is_empty() {
            info.spec.calico_version = calico_version.to_string();
        }
        if info.spec.cluster_guid.is_empty() {
            info.spec.cluster_guid = guid();
        }
        if info.spec.datastore_ready.is_none() {
            info.spec.datastore_ready = Some(true);
        }
        if !cluster_type.is_empty() {
            if info.spec.cluster_type.is_empty() {
                info.spec.cluster_type = cluster_type.to_string();
            } else {
                let mut tags: Vec<String> = info
                    .spec
                    .cluster_type
                    .split(',')
                    .map(str::to_string)
                    .collect();
                for t in cluster_type.split(',') {
                    if !tags.iter().any(|e| e == t) {
                        tags.push(t.to_string());
                    }
                }
                info.spec.cluster_type = tags.join(",");
            }
        }
        if info.spec == before {
            return Ok(info);
        }
        match client.update(info) {
            Ok(i) => return Ok(i),
            Err(e @ (ClientError::Conflict(_) | ClientError::NotFound(_))) => last = Some(e),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.expect("the loop ran").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datastore::memory::MemoryStore;
    use std::sync::Arc;

    fn client() -> Client {
        Client::new(Arc::new(MemoryStore::new()))
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn nodename_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nodename");
        assert_eq!(determine_nodename(Some(" flag "), &file).unwrap(), "flag");
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(determine_nodename(None, &file).unwrap(), "from-file");
        assert_eq!(determine_nodename(Some(""), &file).unwrap(), "from-file");
        let host = determine_nodename(None, &dir.path().join("missing")).unwrap();
        assert_eq!(host, hostname().unwrap().to_lowercase());
        write_nodename_file(&dir.path().join("sub/nodename"), "written").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("sub/nodename")).unwrap(),
            "written"
        );
    }

    #[test]
    fn labels_parse() {
        let l = parse_labels("rack=0, zone = a ,,empty=").unwrap();
        assert_eq!(
            l.into_iter().collect::<Vec<_>>(),
            [
                ("empty".to_string(), "".to_string()),
                ("rack".to_string(), "0".to_string()),
                ("zone".to_string(), "a".to_string()),
            ]
        );
        assert!(parse_labels("").unwrap().is_empty());
        assert_eq!(
            parse_labels("rack").unwrap_err().to_string(),
            "invalid label 'rack': expected key=value"
        );
    }

    #[test]
    fn registration_merges_labels() {
        let c = client();
        let labels = parse_labels("rack=0").unwrap();
        let (n, r) = register_node(&c, "node-a", &labels, None).unwrap();
        assert_eq!(r, Registration::Created);
        assert_eq!(n.metadata.labels, labels);
        // Someone else adds a label; ours are set again and theirs kept.
        let mut other = n.clone();
        other.metadata.labels.insert("owner".into(), "ops".into());
        other.metadata.labels.insert("rack".into(), "9".into());
        c.update(other).unwrap();
        let (n, r) = register_node(&c, "node-a", &labels, None).unwrap();
        assert_eq!(r, Registration::Updated);
        assert_eq!(n.metadata.labels["rack"], "0");
        assert_eq!(n.metadata.labels["owner"], "ops");
        let (_, r) = register_node(&c, "node-a", &labels, None).unwrap();
        assert_eq!(r, Registration::Unchanged);
        let stored: Node = c.get(None, "node-a").unwrap();
        assert_eq!(stored.metadata.labels.len(), 2);
        // CALICO_K8S_NODE_REF makes it a Kubernetes node.
        let (n, r) = register_node(&c, "node-a", &labels, Some("kube-a")).unwrap();
        assert_eq!(r, Registration::Updated);
        assert_eq!(n.spec.orch_refs[0].node_name, "kube-a");
        assert_eq!(n.spec.orch_refs[0].orchestrator, "k8s");
        let (_, r) = register_node(&c, "node-a", &labels, Some("kube-a")).unwrap();
        assert_eq!(r, Registration::Unchanged);
    }

    #[test]
    fn default_pool_from_defaults_and_created_once() {
        let d = DefaultPools::from_lookup(env(&[])).unwrap();
        let t = d.ipv4.clone().unwrap();
        assert_eq!(t.cidr.to_string(), "192.168.0.0/16");
        assert_eq!((t.block_size, t.nat_outgoing), (26, true));
        assert_eq!(
            (t.ipip_mode.as_str(), t.vxlan_mode.as_str()),
            ("Never", "Never")
        );
        assert!(d.ipv6.is_none());
        let c = client();
        let created = ensure_default_pools(&c, &d).unwrap();
        assert_eq!(created.len(), 1);
        let p: IpPool = c.get(None, DEFAULT_IPV4_POOL_NAME).unwrap();
        assert_eq!(p.spec.cidr, "192.168.0.0/16");
        assert!(p.spec.nat_outgoing);
        assert_eq!(p.spec.node_selector, "all()");
        // A second start creates nothing.
        assert!(ensure_default_pools(&c, &d).unwrap().is_empty());
    }

    #[test]
    fn default_pool_not_created_when_a_pool_of_the_family_exists() {
        let c = client();
        c.create(IpPool::new("mine", "10.10.0.0/16")).unwrap();
        let d = DefaultPools::from_lookup(env(&[])).unwrap();
        assert!(ensure_default_pools(&c, &d).unwrap().is_empty());
        assert_eq!(c.list::<IpPool>(None).unwrap().items.len(), 1);
    }

    #[test]
    fn default_pool_settings_from_env() {
        let d = DefaultPools::from_lookup(env(&[
            ("CALICO_IPV4POOL_CIDR", "10.65.3.7/16"),
            ("CALICO_IPV4POOL_BLOCK_SIZE", "28"),
            ("CALICO_IPV4POOL_NODE_SELECTOR", "rack == '0'"),
            ("CALICO_IPV4POOL_VXLAN", "cross-subnet"),
            ("CALICO_IPV4POOL_NAT_OUTGOING", "no"),
            ("CALICO_IPV6POOL_CIDR", "fd00:10::/48"),
        ]))
        .unwrap();
        let c = client();
        let created = ensure_default_pools(&c, &d).unwrap();
        let names: Vec<&str> = created.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(names, [DEFAULT_IPV4_POOL_NAME, DEFAULT_IPV6_POOL_NAME]);
        let v4 = &created[0];
        assert_eq!(v4.spec.cidr, "10.65.0.0/16");
        assert_eq!(v4.spec.block_size, 28);
        assert_eq!(v4.spec.vxlan_mode, "CrossSubnet");
        assert_eq!(v4.spec.ipip_mode, "Never");
        assert!(!v4.spec.nat_outgoing);
        assert_eq!(v4.spec.node_selector, "rack == '0'");
        let v6 = &created[1];
        assert_eq!((v6.spec.block_size, v6.spec.nat_outgoing), (122, false));
        // NO_DEFAULT_POOLS disables everything.
        let none = DefaultPools::from_lookup(env(&[("NO_DEFAULT_POOLS", "true")])).unwrap();
        assert_eq!(none, DefaultPools::default());
        let skip4 = DefaultPools::from_lookup(env(&[("CALICO_IPV4POOL_CIDR", "none")])).unwrap();
        assert!(skip4.ipv4.is_none());
    }

    #[test]
    fn bad_pool_settings_are_refused_with_calicos_words() {
        let err = |pairs: &[(&str, &str)]| {
            DefaultPools::from_lookup(env(pairs))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&[
                ("NO_DEFAULT_POOLS", "true"),
                ("CALICO_IPV4POOL_CIDR", "10.0.0.0/8")
            ]),
            "Invalid configuration with NO_DEFAULT_POOLS defined and CALICO_IPV4POOL_CIDR or CALICO_IPV6POOL_CIDR defined."
        );
        assert_eq!(
            err(&[("CALICO_IPV4POOL_CIDR", "fd00::/48")]),
            "Invalid CIDR specified in CALICO_IPV4POOL_CIDR 'fd00::/48'"
        );
        assert_eq!(
            err(&[("CALICO_IPV4POOL_BLOCK_SIZE", "19")]),
            "Invalid blocksize 19 for version 4"
        );
        assert_eq!(
            err(&[("CALICO_IPV4POOL_IPIP", "sometimes")]),
            "Unrecognized IPIP mode specified in CALICO_IPV4POOL_IPIP 'sometimes'"
        );
        assert!(
            err(&[("CALICO_IPV4POOL_NODE_SELECTOR", "rack ==")])
                .starts_with("Invalid node selector 'rack ==' for version 4: ")
        );
        // IPIP together with VXLAN passes the environment checks but not pool validation.
        let d = DefaultPools::from_lookup(env(&[
            ("CALICO_IPV4POOL_IPIP", "Always"),
            ("CALICO_IPV4POOL_VXLAN", "Always"),
        ]))
        .unwrap();
        let e = ensure_default_pools(&client(), &d).unwrap_err().to_string();
        assert!(
            e.starts_with("Failed to create default IPv4 IP pool: 192.168.0.0/16: "),
            "{e}"
        );
    }

    #[test]
    fn cluster_information_created_then_kept_current() {
        let c = client();
        let info = ensure_cluster_information(&c, "v3.31.0", "").unwrap();
        assert_eq!(info.spec.calico_version, "v3.31.0");
        assert_eq!(info.spec.datastore_ready, Some(true));
        assert_eq!(info.spec.cluster_guid.len(), 32);
        assert!(
            info.spec
                .cluster_guid
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        );
        assert_eq!(info.spec.cluster_type, "");
        let guid = info.spec.cluster_guid.clone();
        // Locked datastore stays locked; the version and type tags are brought up to date.
        let mut locked = info.clone();
        locked.spec.datastore_ready = Some(false);
        locked.spec.calico_version = "v3.30.0".into();
        locked.spec.cluster_type = "k8s".into();
        c.update(locked).unwrap();
        let info = ensure_cluster_information(&c, "v3.31.0", "k8s,bgp").unwrap();
        assert_eq!(info.spec.cluster_guid, guid);
        assert_eq!(info.spec.datastore_ready, Some(false));
        assert_eq!(info.spec.calico_version, "v3.31.0");
        assert_eq!(info.spec.cluster_type, "k8s,bgp");
        let rv = info.metadata.resource_version.clone();
        let again = ensure_cluster_information(&c, "v3.31.0", "bgp").unwrap();
        assert_eq!(again.metadata.resource_version, rv, "no write when current");
    }
}
