//! Benchmark seam: garbage-collection passes over a store (`benches/gc.rs`), with the
//! collector's inputs given as plain names.

use super::gc::{LeakCollector, LiveSet};
use crate::datastore::api::Client;
use crate::ipam::IpamError;
use std::time::{Duration, Instant};

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassFigures {
    /// Allocations read.
    pub allocations: u64,
    /// Candidates and confirmed leaks.
    pub candidates: usize,
    /// Addresses released.
    pub released: usize,
    /// Confirmed leaks not released (conflicts, errors) or held by their handle.
    pub kept: usize,
}

/// A garbage collector with a fixed view of Kubernetes, passes timed from its creation.
pub struct BenchCollector {
    collector: LeakCollector,
    live: LiveSet,
    start: Instant,
}

impl BenchCollector {
    /// A collector with grace period `grace`, seeing `pods` (namespace, name) and `nodes`.
    pub fn new(
        grace: Duration,
        pods: impl IntoIterator<Item = (String, String)>,
        nodes: impl IntoIterator<Item = String>,
    ) -> BenchCollector {
        BenchCollector {
            collector: LeakCollector::new(grace),
            live: LiveSet {
                pods: pods.into_iter().collect(),
                nodes: nodes.into_iter().collect(),
                synced: true,
            },
            start: Instant::now(),
        }
    }

    /// One pass, as if made `after` the collector's creation.
    pub fn pass(
        &mut self,
        client: &Client,
        after: Duration,
        dry_run: bool,
    ) -> Result<PassFigures, IpamError> {
        let r = self
            .collector
            .pass(client, &self.live, self.start + after, dry_run)?;
        Ok(PassFigures {
            allocations: r.allocations,
            candidates: r.candidates.len(),
            released: r.released.len(),
            kept: r.not_released.len() + r.held.len(),
        })
    }
}
