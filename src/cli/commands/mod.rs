//! One file per calicoctl verb.

pub mod completion;
pub mod convert;
pub mod create;
pub mod datastore;
pub mod delete;
pub mod get;
pub mod ipam;
pub mod label;
pub mod node;
pub mod patch;
pub mod version;
