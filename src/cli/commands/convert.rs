//! `calicoctl convert`: Calico v1 manifests (`apiVersion: v1`) to `projectcalico.org/v3`.
//! No datastore access.

use crate::cli::resources::split_documents;
use crate::cli::{CmdError, CmdResult};
use crate::model::ippool::{USE_TUNNEL, USE_WORKLOAD};
use crate::model::kinds::AnyResource;
use crate::model::node::NodeBgpSpec;
use crate::model::{IpPool, Node};
use clap::Args;
use serde_json::Value;
use std::io::{Read, Write};

/// Convert config files between different API versions.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # Convert a v1 policy file to v3 YAML.\n  calicoctl convert -f ./policy.yaml -o yaml\n\n  # Convert v1 resources from JSON on stdin.\n  cat policy.json | calicoctl convert -f -"
)]
pub struct ConvertArgs {
    /// Filename to use to create the resource. If set to "-" loads from stdin.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILENAME",
        required = true
    )]
    pub filename: String,
    /// Output format. One of: yaml or json.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUTPUT",
        default_value = "yaml"
    )]
    pub output: String,
    /// Do not validate the converted manifest.
    #[arg(long)]
    pub(crate) ignore_validation: bool,
}

fn v1_ippool(v: &Value) -> Result<AnyResource, String> {
    let cidr = v
        .pointer("/metadata/cidr")
        .and_then(Value::as_str)
        .ok_or("ipPool metadata.cidr is required")?;
    let name = cidr.replace(['.', ':', '/'], "-");
    let mut p = IpPool::new(&name, cidr);
    let spec = v.get("spec").cloned().unwrap_or_default();
    let ipip_enabled = spec
        .pointer("/ipip/enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    p.spec.ipip_mode = if !ipip_enabled {
        "Never".into()
    } else if spec.pointer("/ipip/mode").and_then(Value::as_str) == Some("cross-subnet") {
        "CrossSubnet".into()
    } else {
        "Always".into()
    };
    p.spec.vxlan_mode = "Never".into();
    p.spec.nat_outgoing = spec
        .get("nat-outgoing")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    p.spec.disabled = spec
        .get("disabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    p.spec.node_selector = "all()".into();
    p.spec.allowed_uses = vec![USE_WORKLOAD.into(), USE_TUNNEL.into()];
    p.spec.assignment_mode = Some("Automatic".into());
    p.spec.block_size = p.block_size().into();
    Ok(p.into())
}

fn v1_node(v: &Value) -> Result<AnyResource, String> {
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or("node metadata.name is required")?;
    let mut n = Node::new(&name.to_ascii_lowercase());
    if let Some(bgp) = v.pointer("/spec/bgp") {
        let s = |k: &str| {
            bgp.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let spec = NodeBgpSpec {
            as_number: bgp.get("asNumber").cloned().filter(|a| !a.is_null()),
            ipv4_address: s("ipv4Address"),
            ipv6_address: s("ipv6Address"),
            ..NodeBgpSpec::default()
        };
        if !spec.is_empty() {
            n.spec.bgp = Some(spec);
        }
    }
    if let Some(labels) = v.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, val) in labels {
            n.metadata
                .labels
                .insert(k.clone(), val.as_str().unwrap_or_default().to_string());
        }
    }
    Ok(n.into())
}

fn convert_one(v: &Value) -> Result<AnyResource, String> {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    let api = v
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if api != "v1" {
        return Err(format!(
            "unknown resource type ({kind}) and/or version ({api})"
        ));
    }
    match kind.to_ascii_lowercase().as_str() {
        "ippool" => v1_ippool(v),
        "node" => v1_node(v),
        _ => Err(format!(
            "conversion for the resource type '{kind}' is not supported"
        )),
    }
}

/// Runs `convert`.
pub fn run(args: &ConvertArgs, out: &mut dyn Write) -> CmdResult {
    let json = match args.output.as_str() {
        "yaml" | "yml" => false,
        "json" => true,
        other => {
            return Err(CmdError::new(format!(
                "unrecognized output format '{other}'"
            )));
        }
    };
    let text = if args.filename == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(&args.filename).map_err(|e| {
            CmdError::new(format!(
                "failed to create resources from file: open {}: {}",
                args.filename,
                crate::go::errno::io_reason(&e)
            ))
        })?
    };
    let mut converted = Vec::new();
    for doc in split_documents(&text) {
        if doc.trim().is_empty() {
            continue;
        }
        let v: Value = serde_yaml::from_str(&doc).map_err(|e| {
            CmdError::new(format!(
                "failed to create resources from file: {}",
                crate::model::yaml_error(&e)
            ))
        })?;
        let items = match &v {
            Value::Object(m) if m.get("kind").and_then(Value::as_str) == Some("List") => m
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            Value::Array(a) => a.clone(),
            Value::Null => vec![],
            _ => vec![v],
        };
        for item in items {
            converted.push(convert_one(&item).map_err(CmdError::new)?);
        }
    }
    if !args.ignore_validation {
        for r in &converted {
            if let Err(e) = r.validate_standalone() {
                return Err(CmdError::new(format!(
                    "converted manifest resource(s) failed validation: {e}Re-run the command with '--ignore-validation' flag to see the converted output"
                )));
            }
        }
    }
    let values: Vec<Value> = converted
        .iter_mut()
        .map(|r| {
            r.set_type_meta();
            r.to_value()
        })
        .collect();
    let value = match values.len() {
        1 => values.into_iter().next().unwrap_or_default(),
        _ => {
            serde_json::json!({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": values})
        }
    };
    let text = if json {
        crate::output::yaml::to_json(&value)
    } else {
        crate::output::yaml::to_yaml(&value)
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
