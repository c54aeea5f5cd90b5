//! Affinity operations, pool deletion, configuration.

use super::*;
use crate::datastore::keys;

store_tests!(memory, mem();
    claim_affinity_rules,
    release_affinity_rules,
    release_host_affinities_both_families,
    remove_ipam_host_keeps_addresses,
    delete_pool_releases_affinities,
    config_rules_and_shape,
);

fn claim_affinity_rules(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("a", &[]);
    assert_eq!(
        fx.ipam
            .claim_affinity(c("10.9.0.0/26"), "a")
            .unwrap_err()
            .to_string(),
        "The requested CIDR (10.9.0.0/26) is not within any configured pools."
    );
    assert_eq!(
        fx.ipam
            .claim_affinity(c("10.0.0.0/27"), "a")
            .unwrap_err()
            .to_string(),
        "The requested CIDR (10.0.0.0/27) is smaller than the minimum."
    );
    let (claimed, failed) = fx.ipam.claim_affinity(c("10.0.0.0/25"), "a").unwrap();
    assert_eq!(claimed, vec![c("10.0.0.0/26"), c("10.0.0.64/26")]);
    assert!(failed.is_empty());
    // A claimed block is empty and carries no bump: sequence number = creation time.
    let b = fx.block("10.0.0.0/26").unwrap();
    assert_eq!(b.attributes, None);
    // Claiming again is idempotent; another host fails.
    let (claimed, _) = fx.ipam.claim_affinity(c("10.0.0.0/26"), "a").unwrap();
    assert_eq!(claimed, vec![c("10.0.0.0/26")]);
    let (claimed, failed) = fx.ipam.claim_affinity(c("10.0.0.0/24"), "b").unwrap();
    assert_eq!(claimed, vec![c("10.0.0.128/26"), c("10.0.0.192/26")]);
    assert_eq!(failed, vec![c("10.0.0.0/26"), c("10.0.0.64/26")]);
    fx.check_invariants();
    // a's claimed blocks are used first, in key order.
    assert_eq!(fx.assign4("a", "h", 1)[0], c("10.0.0.0/26"));
}

fn release_affinity_rules(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("a", &[]);
    let ips = fx.assign4("a", "h", 1);
    let block = ips[0].network();
    assert_eq!(
        fx.ipam
            .release_block_affinity("a", &block, true)
            .unwrap_err()
            .to_string(),
        format!("block '{block}' is not empty")
    );
    assert_eq!(
        fx.ipam
            .release_block_affinity("", &block, true)
            .unwrap_err()
            .to_string(),
        "Hostname must be specified to release block affinity"
    );
    assert!(matches!(
        fx.ipam.release_block_affinity("b", &block, false),
        Err(IpamError::ClaimConflict(..))
    ));
    // Non-empty: the block stays, unowned; the affinity key goes.
    fx.ipam.release_affinity(block, "a", false).unwrap();
    let b = fx.block(&block.to_string()).unwrap();
    assert_eq!(b.affinity, None);
    assert_eq!(b.allocated_count(), 1);
    assert!(fx.raw(&keys::host_affinity("a", &block)).is_none());
    fx.check_invariants();
    // Empty affine block: deleted with its affinity.
    fx.ipam.claim_affinity(c("10.0.0.128/26"), "a").unwrap();
    fx.ipam
        .release_affinity(c("10.0.0.128/26"), "a", true)
        .unwrap();
    assert!(fx.block("10.0.0.128/26").is_none());
    // Missing block: a dangling affinity is cleaned up.
    assert!(matches!(
        fx.ipam
            .release_block_affinity("a", &c("10.0.0.192/26"), false),
        Err(IpamError::BlockNotFound(_))
    ));
    fx.check_invariants();
}

fn release_host_affinities_both_families(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.pool("v6", "fd00::/120");
    fx.node("a", &[]);
    fx.node("b", &[]);
    let mut req = Fx::req("a", "h", 1);
    req.num6 = 1;
    fx.ipam.auto_assign(&req).unwrap();
    fx.ipam.claim_affinity(c("10.0.0.128/26"), "a").unwrap();
    fx.assign4("b", "hb", 1);
    // require_empty: the empty one goes, the others stay and the error is reported.
    assert!(matches!(
        fx.ipam.release_host_affinities("a", true),
        Err(IpamError::BlockNotEmpty(_))
    ));
    assert!(fx.block("10.0.0.128/26").is_none());
    fx.ipam.release_host_affinities("a", false).unwrap();
    let affs = fx.ipam.list_affinities().unwrap();
    assert_eq!(affs.len(), 1);
    assert_eq!(affs[0].host, "b");
    assert_eq!(fx.allocations().len(), 3, "addresses are kept");
    fx.check_invariants();
}

fn remove_ipam_host_keeps_addresses(store: Store) {
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/24");
    fx.node("a", &[]);
    let ips = fx.assign4("a", "h", 1);
    fx.ipam
        .claim_affinity(c("10.0.0.192/26"), "a")
        .unwrap_or_default();
    store
        .txn(crate::datastore::Txn::new().put(keys::ipam_host("a"), b"{}".to_vec()))
        .unwrap();
    fx.ipam.remove_ipam_host("a").unwrap();
    assert!(fx.raw(&keys::ipam_host("a")).is_none());
    assert!(fx.ipam.list_affinities().unwrap().is_empty());
    assert_eq!(fx.allocations().len(), 1);
    assert_eq!(
        fx.ipam.list_blocks().unwrap().len(),
        1,
        "empty block deleted"
    );
    assert_eq!(
        fx.block(&ips[0].network().to_string()).unwrap().affinity,
        None
    );
    fx.check_invariants();
    fx.ipam.remove_ipam_host("a").unwrap();
}

fn delete_pool_releases_affinities(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.pool("q", "10.1.0.0/24");
    fx.node("a", &[]);
    fx.node("b", &[]);
    let mut ra = Fx::req("a", "ha", 1);
    ra.ipv4_pools = vec![c("10.0.0.0/24")];
    let a = fx.ipam.auto_assign(&ra).unwrap().ips();
    let mut rb = Fx::req("b", "hb", 1);
    rb.ipv4_pools = vec![c("10.0.0.0/24")];
    let b = fx.ipam.auto_assign(&rb).unwrap().ips();
    fx.ipam.release_by_handle("hb").unwrap();
    let mut rq = Fx::req("a", "hq", 1);
    rq.ipv4_pools = vec![c("10.1.0.0/24")];
    fx.ipam.auto_assign(&rq).unwrap();

    let deleted = fx.ipam.delete_pool("p").unwrap();
    assert!(deleted.spec.disabled);
    assert!(
        fx.ipam
            .client()
            .get_opt::<IpPool>(None, "p")
            .unwrap()
            .is_none()
    );
    // a's block keeps its address but has no owner; b's empty block is gone.
    let blk = fx.block(&a[0].network().to_string()).unwrap();
    assert_eq!(blk.affinity, None);
    assert_eq!(blk.allocated_count(), 1);
    assert!(fx.block(&b[0].network().to_string()).is_none());
    let affs = fx.ipam.list_affinities().unwrap();
    assert_eq!(affs.len(), 1);
    assert!(c("10.1.0.0/24").contains(&affs[0].cidr));
    // The remaining address can still be released; its block then goes.
    fx.ipam.release_by_handle("ha").unwrap();
    assert!(fx.block(&a[0].network().to_string()).is_none());
    fx.check_invariants();
    assert!(fx.ipam.delete_pool("p").unwrap_err().is_not_found());
}

fn config_rules_and_shape(store: Store) {
    let fx = Fx::new(store);
    let cfg = fx.ipam.get_config().unwrap();
    assert!(cfg.auto_allocate_blocks && !cfg.strict_affinity);
    assert_eq!(
        fx.raw(keys::IPAM_CONFIG).unwrap(),
        r#"{"auto_allocate_blocks":true}"#
    );
    let both_off = IpamConfig::default();
    assert_eq!(
        fx.ipam.set_config(&both_off).unwrap_err().to_string(),
        "Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time"
    );
    let cap_without_strict = IpamConfig {
        auto_allocate_blocks: true,
        max_blocks_per_host: 4,
        ..IpamConfig::default()
    };
    assert_eq!(
        fx.ipam
            .set_config(&cap_without_strict)
            .unwrap_err()
            .to_string(),
        "MaxBlocksPerHost requires StrictAffinity to be enabled"
    );
    fx.set_config(true, true, 4);
    assert_eq!(
        fx.raw(keys::IPAM_CONFIG).unwrap(),
        r#"{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":4}"#
    );
    // Unchanged: no write.
    let rev = fx
        .store()
        .get(keys::IPAM_CONFIG)
        .unwrap()
        .unwrap()
        .mod_revision;
    fx.set_config(true, true, 4);
    assert_eq!(
        fx.store()
            .get(keys::IPAM_CONFIG)
            .unwrap()
            .unwrap()
            .mod_revision,
        rev
    );
    // A config written by another tool without auto_allocate_blocks reads it as false.
    fx.store()
        .txn(
            crate::datastore::Txn::new()
                .put(keys::IPAM_CONFIG, br#"{"strict_affinity":true}"#.to_vec()),
        )
        .unwrap();
    let cfg = fx.ipam.get_config().unwrap();
    assert!(cfg.strict_affinity && !cfg.auto_allocate_blocks);
}
