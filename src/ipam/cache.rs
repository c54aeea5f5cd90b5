//! The agent cache: what a long-lived allocator (a node agent calling `auto_assign` over and
//! over) may remember between requests, so that a steady-state assignment is one transaction
//! instead of two batches of reads and a transaction.
//!
//! Enabled with [`Ipam::with_cache`](super::Ipam::with_cache); off by default (a one-shot
//! process such as the CNI plugin reads everything afresh, as Calico does).
//!
//! What is remembered, and why it is safe:
//! - the IPAM configuration, the pools, the node's labels: every assignment made from the
//!   cache carries a compare on the configuration key, the node key and the key of the pool the
//!   block lies in, next to the compares on the block and the handle. If any of them changed
//!   since it was read (a pool disabled, deleted or given another node selector, the node
//!   relabelled, strict affinity switched on), the transaction fails and nothing is written;
//! - the host's affinities and its blocks: the transaction compares the affinity key and the
//!   block key, so an address is only taken from a block that is still ours and still exactly
//!   as we saw it. A block that changed under us (another process on the node allocated, a
//!   release) is re-read and the take retried; anything else that changed drops the cache and
//!   the request runs the full, uncached algorithm;
//! - IPReservations: a set of keys, which no compare can cover (a new reservation is a new
//!   key). They are re-read at least every `ttl`, so a new reservation is honoured by automatic
//!   assignment at most `ttl` after it was created. Calico has the same kind of window (it
//!   reads reservations, then writes the block, without a compare), only shorter.
//!
//! Everything is re-read after `ttl` anyway, and whenever the cache cannot serve a request
//! (no cached block with room, a conflict it cannot explain) the request falls back to the
//! uncached path, which claims blocks, borrows, fixes affinities up, and refreshes the cache.

use super::StoredAffinity;
use super::block::LazyBlock;
use super::request::RequestCtx;
use crate::model::Cidr;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one agent remembers between requests.
#[derive(Debug)]
pub(crate) struct AgentCache {
    ttl: Duration,
    /// Configuration, pools, reservations and one node's labels, per host.
    ctx: HashMap<String, (Instant, Arc<RequestCtx>)>,
    /// A host's affinities of one family and the blocks read for them.
    hosts: HashMap<(String, u8), HostCache>,
}

/// A host's affinities (in key order) and its blocks as last read or written.
#[derive(Debug)]
pub(crate) struct HostCache {
    at: Instant,
    pub affinities: Vec<StoredAffinity>,
    pub blocks: HashMap<Cidr, LazyBlock>,
}

impl HostCache {
    pub(crate) fn new(affinities: Vec<StoredAffinity>) -> HostCache {
        HostCache {
            at: Instant::now(),
            affinities,
            blocks: HashMap::new(),
        }
    }
}

impl AgentCache {
    pub(crate) fn new(ttl: Duration) -> AgentCache {
        AgentCache {
            ttl,
            ctx: HashMap::new(),
            hosts: HashMap::new(),
        }
    }

    /// The cached context for `host`, if still fresh.
    pub(crate) fn ctx(&self, host: &str) -> Option<Arc<RequestCtx>> {
        self.ctx
            .get(host)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, c)| c.clone())
    }

    pub(crate) fn set_ctx(&mut self, host: &str, ctx: Arc<RequestCtx>) {
        self.ctx.insert(host.to_string(), (Instant::now(), ctx));
    }

    /// The cached affinities and blocks of `host` for one family, if still fresh.
    pub(crate) fn host(&mut self, host: &str, version: u8) -> Option<&mut HostCache> {
        let ttl = self.ttl;
        self.hosts
            .get_mut(&(host.to_string(), version))
            .filter(|h| h.at.elapsed() < ttl)
    }

    pub(crate) fn set_host(&mut self, host: &str, version: u8, cache: HostCache) {
        self.hosts.insert((host.to_string(), version), cache);
    }

    /// Forgets everything about `host` (after a conflict the cache cannot explain, or after
    /// the uncached path changed its affinities).
    pub(crate) fn forget_host(&mut self, host: &str) {
        self.ctx.remove(host);
        self.hosts.retain(|(h, _), _| h != host);
    }

    /// Forgets one block (about to be rewritten by a release through this `Ipam`).
    pub(crate) fn forget_block(&mut self, cidr: &Cidr) {
        for h in self.hosts.values_mut() {
            h.blocks.remove(cidr);
        }
    }
}
