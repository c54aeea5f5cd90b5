//! Calico's label-selector language (stub: the real parser replaces this file).

use std::collections::BTreeMap;

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

/// A selector that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

/// Parses a selector.
pub fn parse(s: &str) -> Result<Selector, SelectorError> {
    Ok(Selector(s.to_string()))
}

impl Selector {
    /// True when the labels satisfy the selector.
    pub fn matches(&self, _labels: &BTreeMap<String, String>) -> bool {
        true
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
