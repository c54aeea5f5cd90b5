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
//! one that releases them ([`Rider`](crate::ipam::Rider)s), so a plugin stopped at any point leaves an endpoint
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
//!
//! Where things are: `protocol` (the environment, versions and configuration libcni checks),
//! `plugin` (the plugin opened for a command, its error codes, the datastore lock),
//! `annotations` (what the pod asks for), `add` (ADD: pool choice in `assign_auto`),
//! `del`, `check`, `endpoint` (the pod's WorkloadEndpoint) and `gateway` (a node's
//! gateway address under a delegating plugin).

mod add;
mod annotations;
mod check;
mod del;
mod endpoint;
mod gateway;
mod kube;
mod plugin;
mod protocol;
mod sticky;
pub mod types;

pub use plugin::NOT_READY;
pub use protocol::Invocation;

use plugin::{Plugin, datastore_config};
use protocol::{answering_version, check_command_floor, config_version, missing_env, parse_conf};
use std::io::Write;
use std::process::ExitCode;
use types::{CniError, SUPPORTED_VERSIONS, codes};

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
        "ADD" => Plugin::open(&conf, inv)
            .and_then(Plugin::read_pod)
            .and_then(|p| p.add())
            .map(Some),
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

#[cfg(test)]
mod tests {
    use super::endpoint::EndpointRider;
    use super::*;
    use crate::model::{IpPool, WorkloadEndpoint};

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
}
