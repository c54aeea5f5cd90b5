//! `calicoctl patch`: a merge patch onto the stored object.

use crate::cli::{CmdError, CmdResult, Ctx, ops};
use crate::model::kinds::{self, AnyResource};
use clap::Args;
use serde_json::Value;
use std::io::Write;

/// Patch a preexisting resource in place.
#[derive(Debug, Args)]
#[command(
    after_help = super::with_kinds("Examples:\n  # Turn on outgoing NAT for the IP pool pool-a.\n  calicoctl patch ippool pool-a -p '{\"spec\":{\"natOutgoing\":true}}'\n\n  # Disable the IP pool pool-a.\n  calicoctl patch ippool pool-a --patch '{\"spec\":{\"disabled\":true}}'")
)]
pub struct PatchArgs {
    /// The kind of resource to patch.
    #[arg(value_name = "KIND")]
    pub kind: String,
    /// The name of the resource to patch.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Spec to use to patch the resource: a JSON object, merged into the resource.
    #[arg(short = 'p', long = "patch", value_name = "PATCH", required = true)]
    pub patch: String,
    /// Format of patch type: strategic (default), json, merge. All behave as a merge patch.
    #[arg(
        short = 't',
        long = "type",
        value_name = "TYPE",
        default_value = "strategic"
    )]
    pub(crate) patch_type: String,
    /// Namespace of the resource. Only applicable to NetworkPolicy, NetworkSet, and
    /// WorkloadEndpoint. Uses the default namespace if not specified.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespace: Option<String>,
    /// Validate the patched resource and report, but write nothing (extension).
    #[arg(long)]
    pub dry_run: bool,
}

/// RFC 7386 merge: objects merge key by key, `null` removes, everything else replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.shift_remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// apimachinery's `mergepatch.ErrBadJSONDoc`, the one error for a patch that does not decode.
const BAD_JSON_DOC: &str = "invalid JSON document";

/// Decodes a patch as Go's `json.Unmarshal` into a `map[string]interface{}` does: one JSON
/// object (surrounding whitespace allowed), or `null`, which leaves the map empty. Anything
/// else (YAML, arrays, scalars, trailing text, the empty string) is `invalid JSON document`.
pub(crate) fn decode_patch(text: &str) -> Result<Value, &'static str> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(Value::Object(Default::default())),
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(BAD_JSON_DOC),
    }
}

/// Runs `patch`.
pub fn run(ctx: &Ctx, args: &PatchArgs, out: &mut dyn Write) -> CmdResult {
    let hit = |e: String| CmdError::new(format!("hit error: {e}"));
    let info = kinds::lookup(&args.kind)
        .ok_or_else(|| hit(format!("resource type '{}' is not supported", args.kind)))?;
    let client = ctx.client()?;
    ctx.check_version().map_err(CmdError::new)?;
    if info.read_only {
        return Err(hit(ops::readonly_error(info, "apply").unwrap_or_default()));
    }
    let ns = info.namespaced.then(|| {
        args.namespace
            .clone()
            .unwrap_or_else(|| "default".to_string())
    });
    let current =
        ops::get(client, info, ns.as_deref(), &args.name).map_err(|e| hit(e.to_string()))?;
    // As in calicoctl, the stored resource is read before the patch is decoded.
    let patch = decode_patch(&args.patch)
        .map_err(|e| hit(format!("performing strategic merge patch: {e}")))?;
    let mut value = current.to_value();
    merge_patch(&mut value, &patch);
    let patched = AnyResource::from_value(value)
        .map_err(|e| hit(format!("creating resource from patched data: {e}")))?;
    ops::update(client, patched, args.dry_run)
        .map_err(|e| hit(format!("updating existing resource: {e}")))?;
    let suffix = if args.dry_run {
        " (dry run: nothing was written)"
    } else {
        ""
    };
    writeln!(
        out,
        "Successfully patched 1 '{}' resource{suffix}",
        info.kind
    )?;
    Ok(())
}
