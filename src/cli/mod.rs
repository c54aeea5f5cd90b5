//! `calicoctl`: argument parsing, dispatch, exit codes.
//!
//! Output follows calicoctl v3.31 byte for byte: results on stdout, errors on stderr followed
//! by a newline, exit status 1 on any failure. A few calicoctl paths print their error on stdout
//! (client creation, bad IPs for `ipam show/release --ip`, an unreadable `-c` file); those
//! build a [`CmdError`] with `stdout: true`. Usage errors also exit 1, as calicoctl's do.

pub mod commands;
pub mod ops;
pub mod printer;
pub mod resources;
pub(crate) mod stdio;

use crate::config::{self, Overrides};
use crate::datastore::api::Client;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::cell::OnceCell;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The version this calicoctl reports and compares against the cluster's.
pub const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// The git commit of the build, when known.
pub(crate) const GIT_COMMIT: &str = match option_env!("CALICO_GIT_COMMIT") {
    Some(c) => c,
    None => "unknown",
};

/// The calicoctl command line tool is used to manage Calico network and security policy, to
/// view and manage endpoint configuration, and to manage a Calico node instance.
#[derive(Debug, Parser)]
#[command(
    name = "calicoctl",
    disable_version_flag = true,
    after_help = "See 'calicoctl <command> --help' to read about a specific subcommand.",
    after_long_help = "See 'calicoctl <command> --help' to read about a specific subcommand.\n\n\
Choosing the datastore: command-line flags (--datastore-type, --etcd-endpoints, \
--etcd-username, --etcd-key-file, --etcd-cert-file, --etcd-ca-cert-file, --datastore-path) come \
first; then the config file, when one is given with -c/--config or /etc/calico/calicoctl.cfg \
exists (a CalicoAPIConfig document; the environment is then not read); else the environment \
(DATASTORE_TYPE, ETCD_ENDPOINTS, ETCD_USERNAME, ETCD_PASSWORD, ETCD_KEY_FILE, ETCD_CERT_FILE, \
ETCD_CA_CERT_FILE, CALICO_DATASTORE_PATH, each also with a CALICO_ prefix); else the embedded \
store at $XDG_DATA_HOME/calico/datastore.db (or ~/.local/share/calico/datastore.db). \
DATASTORE_TYPE is etcdv3 or embedded."
)]
pub struct Cli {
    /// Set the log level (one of panic, fatal, error, warn, info, debug).
    #[arg(
        short = 'l',
        long = "log-level",
        default_value = "panic",
        value_name = "LEVEL"
    )]
    pub(crate) log_level: String,

    /// The name of the kubeconfig context to use (accepted for compatibility; unused).
    #[arg(long, value_name = "CONTEXT", global = true)]
    pub context: Option<String>,

    /// Allow client and cluster versions mismatch.
    #[arg(long, global = true)]
    pub(crate) allow_version_mismatch: bool,

    /// Print where to find version information.
    #[arg(long = "version", hide = true)]
    pub(crate) version_flag: bool,

    #[command(flatten)]
    pub datastore: DatastoreArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the datastore is. A flag wins over the config file (`-c`, or the default file when it
/// exists), which keeps the environment from being read at all; else the environment; else the
/// default (the embedded store).
#[derive(Debug, Clone, Args)]
pub struct DatastoreArgs {
    /// Path to the file containing connection configuration in YAML or JSON format.
    #[arg(short = 'c', long = "config", global = true, value_name = "CONFIG")]
    pub config: Option<PathBuf>,
    /// Datastore type: etcdv3 or embedded [env: DATASTORE_TYPE].
    #[arg(long, global = true, value_name = "TYPE", hide_short_help = true)]
    pub datastore_type: Option<String>,
    /// Comma-separated etcd endpoints [env: ETCD_ENDPOINTS].
    #[arg(long, global = true, value_name = "URLS", hide_short_help = true)]
    pub etcd_endpoints: Option<String>,
    /// etcd user name [env: ETCD_USERNAME].
    #[arg(long, global = true, value_name = "USER", hide_short_help = true)]
    pub etcd_username: Option<String>,
    /// etcd client key file [env: ETCD_KEY_FILE].
    #[arg(long, global = true, value_name = "FILE", hide_short_help = true)]
    pub etcd_key_file: Option<String>,
    /// etcd client certificate file [env: ETCD_CERT_FILE].
    #[arg(long, global = true, value_name = "FILE", hide_short_help = true)]
    pub etcd_cert_file: Option<String>,
    /// etcd CA certificate file [env: ETCD_CA_CERT_FILE].
    #[arg(long, global = true, value_name = "FILE", hide_short_help = true)]
    pub etcd_ca_cert_file: Option<String>,
    /// The embedded datastore's file [env: CALICO_DATASTORE_PATH].
    #[arg(long, global = true, value_name = "FILE", hide_short_help = true)]
    pub datastore_path: Option<String>,
    /// Timeout for each datastore request, in seconds.
    #[arg(long, global = true, value_name = "SECONDS", hide_short_help = true)]
    pub(crate) datastore_timeout: Option<u64>,
}

impl DatastoreArgs {
    /// The flags as configuration overrides (`fail_fast`: give up on an unreachable etcd at
    /// once, as a command does, rather than wait as a long-running program does).
    pub(crate) fn overrides(&self, fail_fast: bool) -> Overrides {
        Overrides {
            datastore_type: self.datastore_type.clone(),
            etcd_endpoints: self.etcd_endpoints.clone(),
            etcd_username: self.etcd_username.clone(),
            etcd_password: None,
            etcd_key_file: self.etcd_key_file.clone(),
            etcd_cert_file: self.etcd_cert_file.clone(),
            etcd_ca_cert_file: self.etcd_ca_cert_file.clone(),
            datastore_path: self.datastore_path.clone(),
            timeout: self.datastore_timeout.map(std::time::Duration::from_secs),
            fail_fast,
        }
    }
}

/// calicoctl's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a resource by file, directory or stdin.
    Create(commands::create::CreateArgs),
    /// Replace a resource by file, directory or stdin.
    Replace(commands::create::ReplaceArgs),
    /// Apply a resource by file, directory or stdin. This creates a resource if it does not
    /// exist, and replaces a resource if it does exists.
    Apply(commands::create::ApplyArgs),
    /// Patch a preexisting resource in place.
    Patch(commands::patch::PatchArgs),
    /// Delete a resource identified by file, directory, stdin or resource type and name.
    Delete(commands::delete::DeleteArgs),
    /// Get a resource identified by file, directory, stdin or resource type and name.
    Get(commands::get::GetArgs),
    /// Add or update labels of resources.
    Label(commands::label::LabelArgs),
    /// Validate a resource by file, directory or stdin without applying it.
    Validate(commands::create::ValidateArgs),
    /// Convert config files between different API versions.
    Convert(commands::convert::ConvertArgs),
    /// IP address management.
    #[command(
        subcommand,
        after_help = "Examples:\n  # Show how much of each IP pool is in use.\n  calicoctl ipam show\n\n  # Check IPAM's consistency.\n  calicoctl ipam check"
    )]
    Ipam(commands::ipam::IpamCommand),
    /// Display the version of this binary.
    Version(commands::version::VersionArgs),
    /// Calico datastore management.
    #[command(
        subcommand,
        after_help = "Examples:\n  # Stop CNI ADD and DEL from writing while IPAM is repaired.\n  calicoctl datastore migrate lock"
    )]
    Datastore(commands::datastore::DatastoreCommand),
    /// Generate a shell completion script.
    Completion(commands::completion::CompletionArgs),
    /// Calico node management.
    #[command(subcommand)]
    Node(commands::node::NodeCommand),
    /// Access cluster information.
    #[command(subcommand)]
    Cluster(commands::node::ClusterCommand),
}

/// A failed command: the message calicoctl prints, where, and the exit status.
#[derive(Debug)]
pub struct CmdError {
    /// The text (a newline is added when printed).
    pub message: String,
    /// Print on stdout instead of stderr (calicoctl does this on a few paths).
    pub stdout: bool,
    /// Exit status.
    pub code: u8,
}

impl CmdError {
    /// An error printed on stderr, exit 1.
    pub fn new(message: impl Into<String>) -> CmdError {
        CmdError {
            message: message.into(),
            stdout: false,
            code: 1,
        }
    }

    /// An error printed on stdout, exit 1.
    pub(crate) fn on_stdout(message: impl Into<String>) -> CmdError {
        CmdError {
            message: message.into(),
            stdout: true,
            code: 1,
        }
    }

    /// Nothing more to print, exit with `code` (output already written).
    pub fn silent(code: u8) -> CmdError {
        CmdError {
            message: String::new(),
            stdout: false,
            code,
        }
    }
}

impl From<std::io::Error> for CmdError {
    fn from(e: std::io::Error) -> CmdError {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CmdError::silent(0)
        } else {
            CmdError::new(format!("failed to write output: {e}"))
        }
    }
}

impl From<String> for CmdError {
    fn from(message: String) -> CmdError {
        CmdError::new(message)
    }
}

/// The result of a command.
pub(crate) type CmdResult = Result<(), CmdError>;

/// What every command can reach: the datastore (opened on first use) and global flags.
pub struct Ctx {
    overrides: Overrides,
    config_file: Option<PathBuf>,
    /// `--allow-version-mismatch`.
    pub(crate) allow_version_mismatch: bool,
    client: OnceCell<Client>,
}

impl Ctx {
    /// A context from the global flags.
    pub fn new(args: &DatastoreArgs, allow_version_mismatch: bool) -> Ctx {
        Ctx {
            overrides: args.overrides(true),
            config_file: args.config.clone(),
            allow_version_mismatch,
            client: OnceCell::new(),
        }
    }

    /// The datastore client, opened on first use. Failure is calicoctl's
    /// `Failed to create Calico API client: <err>` (on stdout).
    pub fn client(&self) -> Result<&Client, CmdError> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let cfg =
            config::resolve(&self.overrides, self.config_file.as_deref()).map_err(|e| match e {
                config::ConfigError::Unreadable(_) => CmdError::on_stdout(e.to_string()),
                other => {
                    CmdError::on_stdout(format!("Failed to create Calico API client: {other}"))
                }
            })?;
        let store = crate::datastore::open(&cfg)
            .map_err(|e| CmdError::on_stdout(format!("Failed to create Calico API client: {e}")))?;
        Ok(self.client.get_or_init(|| Client::new(store)))
    }

    /// The error of an embedded store named explicitly whose directory does not exist.
    pub(crate) fn missing_store(&self) -> Option<String> {
        config::resolve(&self.overrides, self.config_file.as_deref())
            .ok()?
            .missing_directory()
            .map(|e| e.to_string())
    }

    /// calicoctl's client/cluster version check (skipped with `--allow-version-mismatch`, or
    /// when the cluster has no version recorded). Returns calicoctl's message on mismatch.
    pub(crate) fn check_version(&self) -> Result<(), String> {
        if self.allow_version_mismatch {
            return Ok(());
        }
        let Ok(client) = self.client() else {
            return Ok(());
        };
        let info = match client.get_opt::<crate::model::ClusterInformation>(None, "default") {
            Ok(Some(i)) => i,
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(format!(
                    "unable to get Cluster Information to verify version mismatch: {e}\nUse --allow-version-mismatch to override"
                ));
            }
        };
        if info.spec.calico_version.is_empty() {
            return Ok(());
        }
        let strip = |v: &str| {
            let v = v.strip_prefix('v').unwrap_or(v);
            v.split('-').next().unwrap_or(v).to_string()
        };
        let (client_v, cluster_v) = (strip(VERSION), strip(&info.spec.calico_version));
        if client_v != cluster_v {
            return Err(format!(
                "version mismatch.\nClient Version:   {VERSION}\nCluster Version:  {cluster_v}\nUse --allow-version-mismatch to override"
            ));
        }
        Ok(())
    }
}

/// The clap command tree (used for help, completions and man pages).
pub fn command() -> clap::Command {
    Cli::command()
}

/// calicoctl v3.31's top-level help (docopt), printed for `calicoctl -h`/`--help` and after
/// `unknown command`.
pub(crate) const TOP_LEVEL_DOC: &str = "Usage:
  calicoctl [options] <command> [<args>...]

    create       Create a resource by file, directory or stdin.
    replace      Replace a resource by file, directory or stdin.
    apply        Apply a resource by file, directory or stdin.  This creates a resource
                 if it does not exist, and replaces a resource if it does exists.
    patch        Patch a preexisting resource in place.
    delete       Delete a resource identified by file, directory, stdin or resource type and
                 name.
    get          Get a resource identified by file, directory, stdin or resource type and
                 name.
    label        Add or update labels of resources.
    validate     Validate a resource by file, directory or stdin without applying it.
    convert      Convert config files between different API versions.
    ipam         IP address management.
    node         Calico node management.
    version      Display the version of this binary.
    datastore    Calico datastore management.
    cluster      Access cluster information.
    completion   Generate a shell completion script.

Options:
  -h --help                    Show this screen.
  -l --log-level=<level>       Set the log level (one of panic, fatal, error,
                               warn, info, debug) [default: panic]
     --context=<context>       The name of the kubeconfig context to use.
     --allow-version-mismatch  Allow client and cluster versions mismatch.

Description:
  The calicoctl command line tool is used to manage Calico network and security
  policy, to view and manage endpoint configuration, and to manage a Calico
  node instance.

  See 'calicoctl <command> --help' to read about a specific subcommand.
";

/// The first argument that is not a global option (the command name), if any.
fn command_word(args: &[String]) -> Option<&str> {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "-l" || a == "--log-level" || a == "--context" || a == "-c" || a == "--config" {
            i += 2;
            continue;
        }
        if a.starts_with('-') {
            i += 1;
            continue;
        }
        return Some(a);
    }
    None
}

fn valid_log_level(l: &str) -> bool {
    matches!(
        l,
        "panic" | "fatal" | "error" | "warn" | "warning" | "info" | "debug" | "trace"
    )
}

/// Runs calicoctl with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 2 && (args[1] == "-h" || args[1] == "--help") {
        stdio::out(TOP_LEVEL_DOC);
        return ExitCode::SUCCESS;
    }
    let matches = match command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            if e.kind() == ErrorKind::InvalidSubcommand
                && let Some(word) = command_word(&args)
                && command().find_subcommand(word).is_none()
            {
                stdio::err(&format!("unknown command: {word:?}\n{TOP_LEVEL_DOC}"));
                return ExitCode::from(1);
            }
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 1,
                _ => 1,
            };
            stdio::print_clap(&e);
            return ExitCode::from(code);
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            stdio::print_clap(&e);
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::LineWriter::new(stdio::Stdout);
    let result = run(cli, &mut out);
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.message.is_empty() {
                if e.stdout {
                    let _ = writeln!(out, "{}", e.message);
                    let _ = out.flush();
                } else {
                    stdio::err(&format!("{}\n", e.message));
                }
            }
            ExitCode::from(e.code)
        }
    }
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> CmdResult {
    if cli.version_flag {
        writeln!(out, "Run 'calicoctl version' to see version information.")?;
        return Ok(());
    }
    if !valid_log_level(&cli.log_level) {
        return Err(CmdError::on_stdout(format!(
            "Unknown log level: {}, expected one of: \npanic, fatal, error, warn, info, debug.",
            cli.log_level
        )));
    }
    let Some(command) = cli.command else {
        stdio::err("Usage:\n  calicoctl [options] <command> [<args>...]\n");
        return Err(CmdError::on_stdout(
            "Invalid option: ''. Use flag '--help' to read about a specific subcommand.",
        ));
    };
    let ctx = Ctx::new(&cli.datastore, cli.allow_version_mismatch);
    dispatch(&ctx, command, out)
}

/// Runs one parsed command with `ctx`, writing results to `out`.
pub fn dispatch(ctx: &Ctx, command: Command, out: &mut dyn Write) -> CmdResult {
    match command {
        Command::Create(a) => commands::create::run_create(ctx, &a, out),
        Command::Replace(a) => commands::create::run_replace(ctx, &a, out),
        Command::Apply(a) => commands::create::run_apply(ctx, &a, out),
        Command::Validate(a) => commands::create::run_validate(ctx, &a, out),
        Command::Patch(a) => commands::patch::run(ctx, &a, out),
        Command::Delete(a) => commands::delete::run(ctx, &a, out),
        Command::Get(a) => commands::get::run(ctx, &a, out),
        Command::Label(a) => commands::label::run(ctx, &a, out),
        Command::Convert(a) => commands::convert::run(&a, out),
        Command::Ipam(c) => commands::ipam::run(ctx, &c, out),
        Command::Version(a) => commands::version::run(ctx, &a, out),
        Command::Datastore(c) => commands::datastore::run(ctx, &c, out),
        Command::Completion(a) => commands::completion::run(&a, out),
        Command::Node(c) => commands::node::run_node(ctx, &c, out),
        Command::Cluster(c) => commands::node::run_cluster(ctx, &c, out),
    }
}
