//! The CNI protocol around the plugin: the invocation's environment, the checks libcni's
//! skeleton makes before a command runs (variables, versions), and the network configuration.

use super::types::{self, CniError, NetConf, SUPPORTED_VERSIONS, codes};
use crate::config;
use std::io::Read;

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
    pub(crate) fn from_env() -> Invocation {
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

/// libcni's first look at the configuration, before the plugin runs: the whole document must
/// be JSON (Go's scanner messages, worked out only for a document that fails) and `cniVersion`
/// a string; a missing version is `0.1.0`. Returns the document, parsed once, and the version.
pub(super) fn config_version(stdin: &[u8]) -> Result<(serde_json::Value, String), CniError> {
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
pub(super) fn parse_conf(value: serde_json::Value, version: String) -> Result<NetConf, CniError> {
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
pub(super) fn missing_env(inv: &Invocation) -> Option<String> {
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
pub(super) fn answering_version(stdin: &[u8]) -> String {
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
pub(super) fn check_command_floor(command: &str, version: &str) -> Result<(), CniError> {
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
            // The plugin's own type is decoded too, only to be refused when not a string.
            (
                r#"{"cniVersion":"1.0.0","ipam":{"type":7}}"#,
                codes::INTERNAL,
                "failed to load netconf: json: cannot unmarshal number into Go struct field \
                 .ipam.type of type string",
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
