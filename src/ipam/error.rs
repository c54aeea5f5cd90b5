//! IPAM errors, worded as Calico's IPAM library words them.

use super::block::ReleaseGuardError;
use crate::datastore::DatastoreError;
use crate::datastore::api::ClientError;
use crate::model::Cidr;
use std::net::IpAddr;

/// Everything IPAM can fail with. `Display` is Calico's message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpamError {
    /// No enabled pool of the requested family exists at all.
    #[error("cannot find a qualified ippool")]
    NoQualifiedPool,
    /// Pools select the node, but none allows the intended use.
    #[error("cannot find a qualified ippool, no pools match the required use ({0})")]
    NoPoolForUse(super::IntendedUse),
    /// Enabled pools exist but none selects the node (and namespace).
    #[error("no configured Calico pools for node {0}")]
    NoPoolsForNode(String),
    /// A requested pool is not an enabled pool's exact CIDR.
    #[error("the given pool ({0}) does not exist, or is not enabled")]
    PoolNotEnabled(Cidr),
    /// The IPv4 pool list holds an IPv6 CIDR.
    #[error("provided IPv4 IPPools list contains one or more IPv6 IPPools")]
    Ipv6PoolInIpv4List,
    /// The IPv6 pool list holds an IPv4 CIDR.
    #[error("provided IPv6 IPPools list contains one or more IPv4 IPPools")]
    Ipv4PoolInIpv6List,
    /// The host owns as many blocks as it may and needs another (no borrowing is tried).
    #[error("cannot allocate new block due to per host block limit")]
    BlockLimit,
    /// `auto_allocate_blocks` is off and the host's blocks are full.
    #[error("failed to find or claim a block")]
    NoBlockClaimed,
    /// Compare-and-swap kept failing.
    #[error("Max retries hit - excessive concurrent IPAM requests")]
    MaxRetries,
    /// `assign_ip`: the address lies in no enabled pool (Calico's text ends with a newline).
    #[error("The provided IP address is not in a configured pool\n")]
    NotInPool(IpAddr),
    /// `assign_ip`: the address is taken.
    #[error("resource already exists: {0} with error: Address already assigned in block")]
    AlreadyAssigned(IpAddr),
    /// `assign_ip` with strict affinity: the block belongs to another host.
    #[error("Block host affinity does not match")]
    HostAffinityMismatch,
    /// Assigning from a block owned by another host under strict affinity.
    #[error("Block affinity ({affinity}) does not match provided ({host}:host)")]
    BlockAffinityMismatch {
        /// The block's affinity.
        affinity: String,
        /// The requesting host.
        host: String,
    },
    /// Assigning from an unowned block under strict affinity.
    #[error("Attempt to assign from block {0} with no affinity")]
    NoBlockAffinity(Cidr),
    /// A release guard failed; `source` says which (sequence number or handle).
    #[error("update conflict: {ip}")]
    ReleaseConflict {
        /// The address whose guard failed.
        ip: IpAddr,
        /// The failed guard.
        #[source]
        reason: ReleaseGuardError,
    },
    /// `release_by_handle` / `ips_by_handle` of an unknown handle (CNI DEL treats it as done).
    #[error("resource does not exist: IPAMHandleKey(id={0}) with error: <nil>")]
    HandleNotFound(String),
    /// The address is not allocated.
    #[error("resource does not exist: {0} with error: IP is unassigned")]
    NotAssigned(IpAddr),
    /// `claim_affinity` / `release_affinity` of a CIDR outside every enabled pool.
    #[error("The requested CIDR ({0}) is not within any configured pools.")]
    CidrNotInPool(Cidr),
    /// `claim_affinity` / `release_affinity` of a CIDR smaller than a block.
    #[error("The requested CIDR ({0}) is smaller than the minimum.")]
    CidrTooSmall(Cidr),
    /// Releasing the affinity of a block that still holds addresses, with `require_empty`.
    #[error("block '{0}' is not empty")]
    BlockNotEmpty(Cidr),
    /// The block belongs to someone else.
    #[error("{0} already claimed by {1}")]
    ClaimConflict(Cidr, String),
    /// The block does not exist.
    #[error("resource does not exist: BlockKey(cidr={0}) with error: <nil>")]
    BlockNotFound(Cidr),
    /// An empty host name.
    #[error("Hostname must be specified to release block affinity")]
    HostnameRequired,
    /// `set_config` with both switches off.
    #[error("Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time")]
    StrictAffinityAndAutoAllocateOff,
    /// `set_config` with a block cap but no strict affinity.
    #[error("MaxBlocksPerHost requires StrictAffinity to be enabled")]
    MaxBlocksNeedStrictAffinity,
    /// A pool's selector does not parse.
    #[error("failed to parse selector of IPPool {pool}: {message}")]
    Selector {
        /// The pool.
        pool: String,
        /// The parser's message.
        message: String,
    },
    /// A stored IPAM value is not what Calico writes.
    #[error("failed to decode the value of {key}: {message}")]
    Decode {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Typed resource access failed (e.g. `resource does not exist: Node(n1) with error: <nil>`).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The datastore failed.
    #[error(transparent)]
    Datastore(#[from] DatastoreError),
    /// A split too big for one transaction stopped part-way: the children created so far
    /// stay beside the (disabled) parent, as when Calico's one-at-a-time split stops.
    #[error(
        "{error} (after creating {created} of the {total} pools; the rest were not created and {parent} was not deleted)"
    )]
    SplitCutShort {
        /// What stopped it.
        error: Box<IpamError>,
        /// Children created.
        created: usize,
        /// Children planned.
        total: usize,
        /// The pool being split.
        parent: String,
    },
    /// Internal: a transaction that carried an earlier family's uncommitted addresses
    /// failed a compare; the request is undone and run again (never returned to callers).
    #[doc(hidden)]
    #[error("conflict on a transaction carrying another family's addresses; retrying")]
    Restart,
    /// Something of the caller's that an operation calls back failed, which stopped the
    /// operation: handling what a long read produced (writing `ipam check`'s report as it is
    /// read), or a [`Rider`](super::Rider)'s writes.
    #[error("{0}")]
    Aborted(String),
}

impl IpamError {
    /// True for "this does not exist" answers (unknown handle, missing block, unassigned IP),
    /// which idempotent callers (CNI DEL) treat as success.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            IpamError::HandleNotFound(_) | IpamError::NotAssigned(_) | IpamError::BlockNotFound(_)
        ) || matches!(self, IpamError::Client(ClientError::NotFound(_)))
    }
}
