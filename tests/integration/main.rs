//! The integration test binary: golden CLI cases, generated files, layering, and the tests
//! that need real processes (etcd, CNI, network namespaces).

mod bgp_interop;

mod cni_kube;
mod cni_ptp;
mod cni_sticky;
mod datastore_choice;
mod diags;
mod generated;
mod golden;
mod interop_felix;
mod kube_api;
mod kube_controllers;
mod nat;
mod netns;
mod pipes;
mod policy_interop;
mod reliability;
mod sticky_controllers;
mod stress;
mod walkthrough;
