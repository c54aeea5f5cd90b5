//! calico-kube-controllers: the cluster-wide controllers.
fn main() -> std::process::ExitCode {
    calico::controllers::main()
}
