//! calicoctl: the admin CLI.
fn main() -> std::process::ExitCode {
    calico::cli::main()
}
