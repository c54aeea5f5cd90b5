//! `calicoctl completion`: shell completion scripts (extension).

use crate::cli::CmdResult;
use clap::{Args, ValueEnum};
use std::io::Write;

/// The shells we generate completions for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// GNU Bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
    /// PowerShell.
    Powershell,
}

/// Generate a shell completion script.
///
/// Load it in the current shell with, for example, `source <(calicoctl completion bash)`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  # Load completion into the current bash shell.\n  source <(calicoctl completion bash)\n\n  # Install completion for zsh.\n  calicoctl completion zsh > \"${fpath[1]}/_calicoctl\""
)]
pub struct CompletionArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `shell` to `out`.
pub fn generate(shell: Shell, out: &mut dyn Write) {
    let mut cmd = crate::cli::command();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "calicoctl", out);
}

/// Runs `completion`.
pub fn run(args: &CompletionArgs, out: &mut dyn Write) -> CmdResult {
    // clap_complete panics when its writer fails; it writes to memory, and we write that.
    let mut script = Vec::new();
    generate(args.shell, &mut script);
    out.write_all(&script)?;
    Ok(())
}
