//! What one assignment request reads once, in one round trip ([`RequestCtx`]): shared by
//! the assignment and the agent cache that remembers it between requests.

use super::rider::Rider;
use super::{
    Ipam, IpamConfig, PoolEntry, Reservations, Result, StoredAffinity, affinities_from,
    pool_entries_from, reservations_from,
};
use crate::datastore::api::{Client, Stored as _};
use crate::datastore::{Read, keys};
use crate::model::{IpPool, IpReservation, Node, Resource};
use std::collections::BTreeMap;

/// What one request reads once: configuration, pools, reservations, the node's labels (with
/// the revisions of the configuration and node keys, for the agent cache's compares).
#[derive(Debug)]
pub(crate) struct RequestCtx {
    pub config: IpamConfig,
    pub(crate) config_revision: i64,
    pub pools: Vec<PoolEntry>,
    pub reservations: Reservations,
    pub(crate) node_labels: BTreeMap<String, String>,
    pub(crate) node_revision: i64,
}

impl Ipam {
    /// Reads what an assignment needs, in one round trip: configuration (created if missing),
    /// pools, reservations, the node (which must exist), and the host's affinities of each
    /// family in `families` (returned in that order); and a rider's keys, handed to it.
    pub(crate) fn read_request(
        &self,
        host: &str,
        families: &[u8],
        rider: Option<&mut dyn Rider>,
    ) -> Result<(RequestCtx, Vec<Vec<StoredAffinity>>)> {
        let mut reads = vec![
            Read::Key(keys::resource(Node::PLURAL, None, host)),
            Read::Key(keys::IPAM_CONFIG.to_string()),
            Read::Prefix(IpPool::list_prefix(None)),
            Read::Prefix(IpReservation::list_prefix(None)),
        ];
        reads.extend(
            families
                .iter()
                .map(|v| Read::Prefix(keys::host_affinities_prefix(host, *v))),
        );
        let mut results = super::rider::read_with(self.store(), reads, rider)?.into_iter();
        let mut next = || results.next().unwrap_or_default();
        let node: Node = match next().first() {
            Some(kv) => Client::from_kv(kv)?,
            // Absent: the client's own read gives its error (or the node, created since).
            None => self.client().get(None, host)?,
        };
        let config = match next().first() {
            Some(kv) => super::config::stored_config(kv)?,
            None => self.read_config()?,
        };
        let pools = pool_entries_from(&next())?;
        let reservations = reservations_from(&next())?;
        let affinities = families
            .iter()
            .map(|_| affinities_from(next()))
            .collect::<Result<Vec<_>>>()?;
        Ok((
            RequestCtx {
                config: config.value,
                config_revision: config.revision,
                pools,
                reservations,
                node_revision: node.metadata.resource_version.parse().unwrap_or(0),
                node_labels: node.metadata.labels,
            },
            affinities,
        ))
    }
}
