//! calico-ipam: the CNI IPAM plugin.
fn main() -> std::process::ExitCode {
    calico::cni::main()
}
