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

/// A command's `--help` epilogue: its examples, then the kinds it takes, from the registry.
fn with_kinds(examples: &str) -> String {
    let kinds: Vec<String> = crate::model::kinds::KINDS
        .iter()
        .map(|k| format!("    - {}", k.kind.to_ascii_lowercase()))
        .collect();
    format!(
        "{examples}\n\nValid resource types are:\n{}",
        kinds.join("\n")
    )
}
