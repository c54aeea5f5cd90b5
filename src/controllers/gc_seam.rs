//! Where the program meets the IPAM garbage collector (`gc.rs`, written on its own branch):
//! what exists in Kubernetes now, and one collection pass. Until the collector is merged the
//! pass finds nothing and says so once.

use crate::datastore::Store;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Who exists in Kubernetes now (read by the collector once it is merged).
#[allow(dead_code)]
pub(crate) struct Live<'a> {
    /// The pods, as (namespace, name).
    pub(crate) pods: &'a HashSet<(String, String)>,
    /// The Kubernetes Nodes.
    pub(crate) nodes: Vec<&'a str>,
    /// Whether both listings are current.
    pub(crate) synced: bool,
}

/// The garbage collector, run a pass at a time.
pub(crate) struct Collector {
    #[allow(dead_code)]
    grace: Duration,
    said: bool,
}

impl Collector {
    pub(crate) fn new(grace: Duration) -> Collector {
        Collector { grace, said: false }
    }

    /// One pass: the log lines it produced, as (level, line).
    pub(crate) fn pass(
        &mut self,
        _store: &Store,
        _live: &Live<'_>,
        _now: Instant,
        _dry_run: bool,
    ) -> Result<Vec<(&'static str, String)>, String> {
        if std::mem::replace(&mut self.said, true) {
            return Ok(Vec::new());
        }
        Ok(vec![(
            "WARN",
            "IPAM garbage collection is not in this build yet".to_string(),
        )])
    }
}
