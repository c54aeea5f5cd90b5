//! `calicoctl datastore migrate lock|unlock`: the lock calicoctl's `ipam split` and
//! `ipam release --from-report` rely on (ClusterInformation `datastoreReady: false`).

use crate::cli::{CmdError, CmdResult, Ctx, ops};
use crate::model::ClusterInformation;
use clap::Subcommand;
use std::io::Write;

/// Calico datastore management.
#[derive(Debug, Subcommand)]
pub enum DatastoreCommand {
    /// Migrate the contents of an etcdv3 datastore to a Kubernetes datastore.
    #[command(subcommand)]
    Migrate(MigrateCommand),
}

/// Datastore migration commands.
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Lock the datastore to prevent changes from occurring.
    #[command(
        after_help = "Examples:\n  # Lock the datastore before ipam split or ipam release --from-report.\n  calicoctl datastore migrate lock"
    )]
    Lock,
    /// Unlock the datastore to allow changes once the migration is completed.
    #[command(
        after_help = "Examples:\n  # Let CNI ADD and DEL write again.\n  calicoctl datastore migrate unlock"
    )]
    Unlock,
}

fn set_ready(ctx: &Ctx, ready: bool) -> Result<(), String> {
    let client = ctx.client().map_err(|e| e.message)?;
    ops::ensure_initialized(client);
    for _ in 0..5 {
        let mut info: ClusterInformation =
            client.get(None, "default").map_err(|e| e.to_string())?;
        info.spec.datastore_ready = Some(ready);
        match client.update(info) {
            Ok(_) => return Ok(()),
            Err(crate::datastore::api::ClientError::Conflict(_)) => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("update conflict: ClusterInformation(default)".to_string())
}

/// Runs `datastore ...`.
pub fn run(ctx: &Ctx, cmd: &DatastoreCommand, out: &mut dyn Write) -> CmdResult {
    ctx.check_version().map_err(CmdError::new)?;
    match cmd {
        DatastoreCommand::Migrate(MigrateCommand::Lock) => {
            set_ready(ctx, false).map_err(|e| {
                CmdError::new(format!("Error while attempting to lock the datastore: {e}"))
            })?;
            writeln!(out, "Datastore locked.")?;
        }
        DatastoreCommand::Migrate(MigrateCommand::Unlock) => {
            set_ready(ctx, true).map_err(|e| {
                CmdError::new(format!(
                    "Error while attempting to unlock the datastore: {e}"
                ))
            })?;
            writeln!(out, "Datastore unlocked.")?;
        }
    }
    Ok(())
}
