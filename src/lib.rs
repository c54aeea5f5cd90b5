//! A Rust re-implementation of Calico's IP address management.
//!
//! One library, three thin programs (`calicoctl`, `calico-node`, `calico-ipam`). Layers, each
//! using only the ones above it in this list:
//! - [`go`]: what Calico's output owes to Go (`strconv`, `fmt`, `encoding/json`, `time`,
//!   errno texts, go-yaml's scalar resolution), using nothing else in the crate;
//! - [`model`]: the `projectcalico.org/v3` kinds, their JSON shape, defaults and validation;
//! - [`selector`]: Calico's label-selector language;
//! - [`datastore`]: keys with revisions and compare-and-swap transactions (etcd, embedded
//!   SQLite, memory), and typed resource access on top;
//! - [`ipam`]: blocks, affinities, handles, assignment, release, check, split;
//! - [`k8s`]: Kubernetes access (kubeconfig, in-cluster), for the plugin and the controllers;
//! - the edges: [`cli`] (calicoctl), [`cni`] (calico-ipam), [`node`] (calico-node),
//!   [`controllers`] (calico-kube-controllers: the IPAM garbage collector so far), with
//!   [`output`] and [`config`] shared between them.
//!
//! The library reports; it does not print. Only the edges write to stdout or exit.

#![forbid(unsafe_code)]

pub mod cli;
pub mod cni;
pub mod config;
pub mod controllers;
pub mod datastore;
pub mod go;
pub mod ipam;
pub mod k8s;
pub mod model;
pub mod node;
pub mod output;
pub mod selector;
/// Test and benchmark fixtures (real etcd, TLS material, node fixtures); compiled only for
/// tests and benches (`--features testing`, which the crate's own dev-dependency turns on).
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
