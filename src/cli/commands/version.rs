//! `calicoctl version`.

use crate::cli::{CmdError, CmdResult, Ctx, GIT_COMMIT, VERSION};
use crate::model::ClusterInformation;
use clap::Args;
use std::io::Write;

/// Display the version of this binary.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # Print the client's and the cluster's versions.\n  calicoctl version\n\n  # Print only the client's version.\n  calicoctl version --client"
)]
pub struct VersionArgs {
    /// Poll for changes to the cluster information at a frequency specified using Go
    /// duration format (e.g. 1m, 10s). Polling stops when interrupted.
    #[arg(long, value_name = "POLL")]
    pub poll: Option<String>,
    /// Display only the client version.
    #[arg(long)]
    pub client: bool,
}

/// Parses a Go duration such as `10s`, `1m30s`, `500ms`.
pub(crate) fn parse_go_duration(s: &str) -> Option<std::time::Duration> {
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * factor;
        rest = &rest[u..];
    }
    Some(std::time::Duration::from_secs_f64(total))
}

fn cluster_lines(ctx: &Ctx) -> Result<Option<(String, String)>, String> {
    let client = match ctx.client() {
        Ok(c) => c,
        // A named store that is not there is an error, as an etcd that cannot be reached is.
        Err(_) if let Some(e) = ctx.missing_store() => {
            return Err(format!("unable to retrieve Cluster Version or Type: {e}"));
        }
        Err(_) => return Ok(None),
    };
    let info: ClusterInformation = client
        .get(None, "default")
        .map_err(|e| format!("unable to retrieve Cluster Version or Type: {e}"))?;
    let v = if info.spec.calico_version.is_empty() {
        "unknown".to_string()
    } else {
        info.spec.calico_version
    };
    let t = if info.spec.cluster_type.is_empty() {
        "unknown".to_string()
    } else {
        info.spec.cluster_type
    };
    Ok(Some((v, t)))
}

/// Runs `version`.
pub fn run(ctx: &Ctx, args: &VersionArgs, out: &mut dyn Write) -> CmdResult {
    let poll = match &args.poll {
        Some(p) => Some(parse_go_duration(p).ok_or_else(|| {
            CmdError::new(format!(
                "invalid poll duration specified: time: invalid duration \"{p}\""
            ))
        })?),
        None => None,
    };
    writeln!(out, "{:<19}{VERSION}", "Client Version:")?;
    writeln!(out, "{:<19}{GIT_COMMIT}", "Git commit:")?;
    if args.client {
        return Ok(());
    }
    let mut last = None;
    loop {
        match cluster_lines(ctx) {
            Ok(None) => {
                writeln!(out, "Unable to detect installed Calico version")?;
                return Ok(());
            }
            Ok(Some(lines)) => {
                if last.as_ref() != Some(&lines) {
                    writeln!(out, "{:<19}{}", "Cluster Version:", lines.0)?;
                    writeln!(out, "{:<19}{}", "Cluster Type:", lines.1)?;
                    out.flush()?;
                    last = Some(lines);
                }
            }
            Err(e) if poll.is_some() => crate::cli::stdio::err(&format!("{e}\n")),
            Err(e) => return Err(CmdError::new(e)),
        }
        match poll {
            Some(d) => std::thread::sleep(d),
            None => return Ok(()),
        }
    }
}
