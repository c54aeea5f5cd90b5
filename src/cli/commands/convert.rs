//! `calicoctl convert`: Calico v1 manifests (`apiVersion: v1`) to `projectcalico.org/v3`.
//! No datastore access.

use crate::cli::resources::split_documents;
use crate::cli::{CmdError, CmdResult};
use crate::model::kinds::AnyResource;
use crate::model::validation::ValidationError;
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

mod names;
mod to_v3;
mod v1;

/// One document of the file, as calicoctl's loader takes it: a v1 resource, or a Kubernetes
/// NetworkPolicy or List of them.
enum Loaded {
    V1(Box<v1::V1>),
    /// A Kubernetes NetworkPolicy, or an item of a List: its kind and apiVersion.
    K8s(String, String),
}

/// calicoctl's `createResourcesFromBytes`: a resource, or a sequence of them.
fn load_document(v: Value, out: &mut Vec<Loaded>) -> Result<(), String> {
    let items = match v {
        // A document of comments reads as JSON `null`, a resource of no type.
        Value::Null => vec![Value::Null],
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut loaded = Vec::new();
    for item in &items {
        let field = |k: &str| match item.get(k) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let (kind, api_version) = (field("kind"), field("apiVersion"));
        if !item.is_object() || !v1::known_type(&kind, &api_version) {
            return Err(format!(
                "unknown resource type ({kind}) and/or version ({api_version})"
            ));
        }
        if api_version == "v1" && kind != "List" {
            loaded.push(Loaded::V1(Box::new(v1::load(&kind, item)?)));
        } else {
            for (kind, api_version) in v1::load_k8s(&kind, item)? {
                loaded.push(Loaded::K8s(kind, api_version));
            }
        }
    }
    out.extend(loaded);
    Ok(())
}

/// Converts and (unless told not to) validates one loaded resource.
fn convert_one(res: Loaded, validate: bool) -> Result<AnyResource, String> {
    let converted = match res {
        Loaded::V1(r) => {
            to_v3::convert(*r).map_err(|e| format!("failed to convert resource: {e}"))?
        }
        // calicoctl converts Kubernetes NetworkPolicies; this one does not (yet).
        Loaded::K8s(kind, api_version)
            if api_version.eq_ignore_ascii_case("networking.k8s.io/v1") =>
        {
            return Err(format!(
                "failed to convert resource: conversion of the Kubernetes resource type '{kind}' is not supported"
            ));
        }
        // An item of a List that is not a Kubernetes policy goes to calicoctl's v1 converters,
        // which do not take the Kubernetes type it was read as.
        Loaded::K8s(kind, _) => {
            return Err(format!(
                "failed to convert resource: conversion for the resource type '{kind}' is not supported"
            ));
        }
    };
    if validate
        && let Err(e) = converted
            .validate_standalone()
            .and_then(|()| ValidationError::check(to_v3::workload_port_problems(&converted)))
    {
        return Err(format!(
            "converted manifest resource(s) failed validation: {e}Re-run the command with '--ignore-validation' flag to see the converted output"
        ));
    }
    Ok(converted)
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut loaded = Vec::new();
    for doc in split_documents(text) {
        if doc.trim().is_empty() {
            continue;
        }
        crate::model::goyaml::parse(&doc)
            .and_then(|v| load_document(v, &mut loaded))
            .map_err(|e| CmdError::new(format!("failed to create resources from file: {e}")))?;
    }
    let mut converted = Vec::new();
    for res in loaded {
        converted.push(convert_one(res, !args.ignore_validation).map_err(CmdError::new)?);
    }
    let values: Vec<Value> = converted
        .iter_mut()
        .map(|r| {
            r.set_type_meta();
            r.to_value()
        })
        .collect();
    let value = match values.len() {
        // Nothing converted: Go's nil slice of results.
        0 => Value::Null,
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
