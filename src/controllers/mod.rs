//! `calico-kube-controllers`: the controllers of the fourth program.

#[cfg(any(test, feature = "testing"))]
pub mod bench;
pub(crate) mod gc;
