//! calico-node: the per-node agent.
fn main() -> std::process::ExitCode {
    calico::node::main()
}
