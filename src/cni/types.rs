//! The CNI protocol: network configuration, environment, results and error objects
//! (CNI specification 0.3.0 to 1.1.0).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every CNI version this plugin speaks.
pub(crate) const SUPPORTED_VERSIONS: &[&str] = &["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/// CNI error codes (spec "Error" section).
pub mod codes {
    /// Incompatible CNI version.
    pub(crate) const INCOMPATIBLE_VERSION: u32 = 1;
    /// Invalid necessary environment variables.
    pub(crate) const INVALID_ENV: u32 = 4;
    /// I/O failure.
    pub(crate) const IO_FAILURE: u32 = 5;
    /// Failed to decode content.
    pub(crate) const DECODE_FAILURE: u32 = 6;
    /// Invalid network config.
    pub(crate) const INVALID_CONFIG: u32 = 7;
    /// Try again later.
    pub(crate) const TRY_AGAIN: u32 = 11;
    /// Plugin-specific: the IPAM operation failed.
    pub(crate) const IPAM_FAILURE: u32 = 100;
    /// What libcni's skeleton gives an error that carries no code of its own.
    pub(crate) const INTERNAL: u32 = 999;
}

/// A CNI error object, printed on stdout with a non-zero exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CniError {
    /// The configuration's version (or the newest we speak).
    #[serde(rename = "cniVersion")]
    pub(crate) cni_version: String,
    /// The error code.
    pub code: u32,
    /// A short message (Calico's words where Calico has them).
    pub msg: String,
    /// More detail, if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub details: String,
}

impl CniError {
    /// An error with a code and message.
    pub fn new(code: u32, msg: impl Into<String>) -> CniError {
        CniError {
            cni_version: SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.len() - 1].to_string(),
            code,
            msg: msg.into(),
            details: String::new(),
        }
    }

    /// The same error with details.
    pub(crate) fn with_details(mut self, details: impl Into<String>) -> CniError {
        self.details = details.into();
        self
    }
}

/// `feature_control` in the network configuration.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeatureControl {
    /// Allow the `cni.projectcalico.org/floatingIPs` annotation.
    #[serde(default)]
    pub floating_ips: bool,
    /// Allow the `cni.projectcalico.org/ipAddrsNoIpam` annotation.
    #[serde(default)]
    pub ip_addrs_no_ipam: bool,
}

/// A route as `host-local` takes it: `{dst, gw}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Destination CIDR.
    pub dst: String,
    /// Gateway; the result's gateway when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gw: Option<String>,
}

impl Route {
    /// Checks the route as the reference `host-local` IPAM does when it decodes its
    /// configuration (CNI's `types.Route`: `dst` through Go's `net.ParseCIDR`, `gw` through
    /// `net.ParseIP`, an empty `gw` being none), with Go's messages:
    /// `invalid CIDR address: <dst>`, `invalid IP address: <gw>`. `dst` is checked first.
    pub fn validate(&self) -> Result<(), String> {
        crate::model::Cidr::parse(&self.dst)
            .map_err(|_| format!("invalid CIDR address: {}", self.dst))?;
        match self.gw.as_deref() {
            Some(gw) if !gw.is_empty() && crate::model::cidr::parse_ip(gw).is_none() => {
                Err(format!("invalid IP address: {gw}"))
            }
            _ => Ok(()),
        }
    }
}

/// The `ipam` section.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IpamSection {
    /// `calico-ipam`. Read only so that a value that is not a string is refused, as Go's
    /// decoder refuses it; the runtime chose this plugin by it already.
    #[serde(default, rename = "type")]
    #[expect(dead_code, reason = "decoded for its type check only")]
    type_: String,
    /// `"true"` (default) or `"false"`; a JSON bool is accepted too.
    #[serde(default)]
    pub assign_ipv4: Option<Value>,
    /// `"false"` (default) or `"true"`.
    #[serde(default)]
    pub assign_ipv6: Option<Value>,
    /// Pools (names or CIDRs) to use for IPv4 instead of node selectors.
    #[serde(default)]
    pub ipv4_pools: Vec<String>,
    /// Pools for IPv6.
    #[serde(default)]
    pub ipv6_pools: Vec<String>,
    /// Routes returned in the result (checked by [`Route::validate`] when the configuration
    /// is loaded).
    #[serde(default)]
    pub routes: Vec<Route>,
}

/// `args.k8s` in the network configuration: annotations passed by the runtime or a test.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct K8sArgs {
    /// The pod's annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The namespace's annotations.
    #[serde(default)]
    pub namespace_annotations: BTreeMap<String, String>,
    /// The namespace's labels (for pools' namespaceSelector).
    #[serde(default)]
    pub namespace_labels: BTreeMap<String, String>,
}

/// `kubernetes` in the network configuration (Calico's field).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KubernetesSection {
    /// The kubeconfig the plugin reads the pod and its namespace with.
    #[serde(default)]
    pub kubeconfig: Option<String>,
}

/// `args` in the network configuration.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Args {
    /// Kubernetes data.
    #[serde(default)]
    pub k8s: K8sArgs,
}

/// The network configuration fields we read (others are ignored, as CNI plugins must).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetConf {
    /// CNI version of the configuration.
    #[serde(default, rename = "cniVersion")]
    pub(crate) cni_version: String,
    /// Network name (the handle prefix).
    #[serde(default)]
    pub name: String,
    /// The main plugin (`calico`, `ptp`, `bridge`, ...).
    #[serde(default, rename = "type")]
    pub(crate) type_: String,
    /// `etcdv3` or `embedded`.
    #[serde(default)]
    pub datastore_type: Option<String>,
    /// Comma-separated etcd URLs.
    #[serde(default)]
    pub etcd_endpoints: Option<String>,
    /// etcd user.
    #[serde(default)]
    pub etcd_username: Option<String>,
    /// etcd password.
    #[serde(default)]
    pub etcd_password: Option<String>,
    /// etcd client key.
    #[serde(default)]
    pub etcd_key_file: Option<String>,
    /// etcd client certificate.
    #[serde(default)]
    pub etcd_cert_file: Option<String>,
    /// etcd CA bundle.
    #[serde(default)]
    pub etcd_ca_cert_file: Option<String>,
    /// The embedded store's file.
    #[serde(default)]
    pub datastore_path: Option<String>,
    /// The Calico node name.
    #[serde(default)]
    pub nodename: Option<String>,
    /// Where the node name is written by calico-node.
    #[serde(default)]
    pub nodename_file: Option<String>,
    /// The host-wide IPAM lock file.
    #[serde(default)]
    pub ipam_lock_file: Option<String>,
    /// Feature switches.
    #[serde(default)]
    pub feature_control: FeatureControl,
    /// The IPAM section.
    #[serde(default)]
    pub ipam: IpamSection,
    /// Runtime arguments (annotations).
    #[serde(default)]
    pub args: Args,
    /// Kubernetes access (`kubernetes.kubeconfig`).
    #[serde(default)]
    pub kubernetes: KubernetesSection,
    /// The previous result (CHECK, and DEL in 0.4.0+).
    #[serde(default, rename = "prevResult")]
    pub(crate) prev_result: Option<Value>,
}

/// One address in a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResultIp {
    /// Address with prefix length.
    pub address: String,
    /// Gateway, if any.
    pub gateway: Option<String>,
    /// 4 or 6.
    pub version: u8,
}

/// An IPAM result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IpamResult {
    /// The addresses.
    pub ips: Vec<ResultIp>,
    /// The routes.
    pub routes: Vec<Route>,
}

impl IpamResult {
    /// The result as JSON for the given CNI version (0.3.x/0.4.0 carry `version` per IP).
    pub(crate) fn to_json(&self, cni_version: &str) -> Value {
        let old = cni_version.starts_with("0.");
        let ips: Vec<Value> = self
            .ips
            .iter()
            .map(|ip| {
                let mut m = serde_json::Map::new();
                if old {
                    m.insert("version".into(), Value::String(ip.version.to_string()));
                }
                m.insert("address".into(), Value::String(ip.address.clone()));
                if let Some(gw) = &ip.gateway {
                    m.insert("gateway".into(), Value::String(gw.clone()));
                }
                Value::Object(m)
            })
            .collect();
        let mut out = serde_json::Map::new();
        out.insert("cniVersion".into(), Value::String(cni_version.to_string()));
        out.insert("ips".into(), Value::Array(ips));
        if !self.routes.is_empty() {
            out.insert(
                "routes".into(),
                serde_json::to_value(&self.routes).unwrap_or_default(),
            );
        }
        out.insert("dns".into(), Value::Object(Default::default()));
        Value::Object(out)
    }
}

/// The `CNI_ARGS` keys calico-ipam reads (Calico's `K8sArgs` with libcni's `CommonArgs`).
pub const KNOWN_CNI_ARGS: &[&str] = &[
    "IgnoreUnknown",
    "IP",
    "K8S_POD_NAME",
    "K8S_POD_NAMESPACE",
    "K8S_POD_INFRA_CONTAINER_ID",
    "K8S_POD_UID",
];

/// Parses `CNI_ARGS` (`K=V;K2=V2`) as libcni's `LoadArgs` does for calico-ipam: every pair
/// needs exactly one `=` (`ARGS: invalid pair "x"`); `IgnoreUnknown` is a boolean (`1`,
/// `true`, `0`, `false`, any case) and `IP` an address or empty; keys other than
/// [`KNOWN_CNI_ARGS`] are refused unless `IgnoreUnknown` is true
/// (`ARGS: unknown args ["FOO=bar"]`). Keys are case-sensitive; the last of a repeated key wins.
pub fn load_cni_args(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut args = BTreeMap::new();
    if s.is_empty() {
        return Ok(args);
    }
    let mut unknown = Vec::new();
    let mut ignore_unknown = false;
    for pair in s.split(';') {
        let mut parts = pair.split('=');
        let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("ARGS: invalid pair {}", go_quote(pair)));
        };
        if !KNOWN_CNI_ARGS.contains(&key) {
            unknown.push(go_quote(pair));
            continue;
        }
        let bad = |why: String| {
            format!(
                "ARGS: error parsing value of pair {}: {why}",
                go_quote(pair)
            )
        };
        match key {
            "IgnoreUnknown" => {
                ignore_unknown = match value.to_lowercase().as_str() {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    other => {
                        return Err(bad(format!(
                            "boolean unmarshal error: invalid input {other}"
                        )));
                    }
                }
            }
            "IP" if !value.is_empty() && value.parse::<std::net::IpAddr>().is_err() => {
                return Err(bad(format!("invalid IP address: {value}")));
            }
            _ => {}
        }
        args.insert(key.to_string(), value.to_string());
    }
    if !unknown.is_empty() && !ignore_unknown {
        return Err(format!("ARGS: unknown args [{}]", unknown.join(" ")));
    }
    Ok(args)
}

/// Go's `%q` of a string of printable text: double quotes, `"` and `\` escaped.
pub(crate) fn go_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Reads a `"true"`/`"false"` knob that may also be a JSON bool.
pub fn knob(v: &Option<Value>, default: bool) -> bool {
    match v {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(_) => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_by_version() {
        let r = IpamResult {
            ips: vec![ResultIp {
                address: "10.65.0.5/32".into(),
                gateway: None,
                version: 4,
            }],
            routes: vec![],
        };
        assert_eq!(
            r.to_json("0.3.1").to_string(),
            r#"{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.65.0.5/32"}],"dns":{}}"#
        );
        assert_eq!(
            r.to_json("1.0.0").to_string(),
            r#"{"cniVersion":"1.0.0","ips":[{"address":"10.65.0.5/32"}],"dns":{}}"#
        );
    }

    #[test]
    fn cni_args_as_libcni_loads_them() {
        let args = load_cni_args(
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web-0;K8S_POD_UID=u;X=y",
        )
        .unwrap();
        assert_eq!(args.get("K8S_POD_NAME").map(String::as_str), Some("web-0"));
        assert!(!args.contains_key("X"));
        assert_eq!(load_cni_args("").unwrap().len(), 0);
        assert_eq!(load_cni_args("IP=").unwrap()["IP"], "");
        assert!(load_cni_args("IgnoreUnknown=TRUE;FOO=1").is_ok());
        for (args, want) in [
            ("K8S_POD_NAME", r#"ARGS: invalid pair "K8S_POD_NAME""#),
            (
                "K8S_POD_NAME=a=b",
                r#"ARGS: invalid pair "K8S_POD_NAME=a=b""#,
            ),
            ("K8S_POD_NAME=a;", r#"ARGS: invalid pair """#),
            (
                "FOO=bar;K8S_POD_NAME=a;x=1",
                r#"ARGS: unknown args ["FOO=bar" "x=1"]"#,
            ),
            (
                "IgnoreUnknown=0;FOO=bar",
                r#"ARGS: unknown args ["FOO=bar"]"#,
            ),
            (
                "IgnoreUnknown=Yes",
                r#"ARGS: error parsing value of pair "IgnoreUnknown=Yes": boolean unmarshal error: invalid input yes"#,
            ),
            (
                "IP=10.0.0.300",
                r#"ARGS: error parsing value of pair "IP=10.0.0.300": invalid IP address: 10.0.0.300"#,
            ),
            // Keys are Go field names: case matters.
            ("ip=10.0.0.1", r#"ARGS: unknown args ["ip=10.0.0.1"]"#),
        ] {
            assert_eq!(load_cni_args(args).unwrap_err(), want, "{args}");
        }
    }
}
