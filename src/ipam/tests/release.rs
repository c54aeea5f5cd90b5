//! Releasing: guards, handle counting, block deletion, reads.

use super::*;

store_tests!(memory, mem();
    release_ips_guards,
    release_ips_counts_handles_and_deletes_empty_unowned_blocks,
    release_ips_outside_everything,
    release_by_handle_behaviour,
    release_by_handle_many_blocks,
    handle_counting_across_requests,
    assignment_attributes_and_usage,
    over_counting_handle_from_calico_is_cleaned_up,
    release_of_many_handles_in_one_block_is_chunked,
);

fn release_ips_guards(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/26");
    fx.node("n", &[]);
    let r = fx.ipam.auto_assign(&Fx::req("n", "h", 2)).unwrap();
    let v4 = r.ipv4.clone().unwrap();
    let a = v4.ips[0].addr();
    let seq = v4.sequence_numbers[0];
    // Wrong sequence number: whole block refused.
    let err = fx
        .ipam
        .release_ips(&[
            ReleaseOptions::ip(v4.ips[1].addr()),
            ReleaseOptions {
                address: a,
                handle: None,
                sequence_number: Some(seq + 1),
            },
        ])
        .unwrap_err();
    assert_eq!(err.to_string(), format!("update conflict: {a}"));
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert_eq!(
        source,
        format!(
            "the given sequence number ({}) does not match ({seq}) when attempting to release IP",
            seq + 1
        )
    );
    // Wrong handle.
    let err = fx
        .ipam
        .release_ips(&[ReleaseOptions {
            address: a,
            handle: Some("other".into()),
            sequence_number: None,
        }])
        .unwrap_err();
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "the given handle (other) does not match (h) when attempting to release IP"
    );
    assert_eq!(fx.allocations().len(), 2, "nothing released");
    // Matching guards release; a second release reports it as not allocated.
    let opts = v4.release_options(Some("h"));
    assert_eq!(fx.ipam.release_ips(&opts).unwrap(), Vec::<IpAddr>::new());
    assert!(fx.allocations().is_empty());
    // A released-then-reallocated address is protected by its new sequence number.
    let again = fx.assign4("n", "h2", 1);
    assert_eq!(
        fx.ipam
            .release_ips(&[ReleaseOptions::ip(ip("10.0.0.63"))])
            .unwrap(),
        vec![ip("10.0.0.63")]
    );
    let stale = ReleaseOptions {
        address: again[0].addr(),
        handle: None,
        sequence_number: Some(seq),
    };
    assert!(matches!(
        fx.ipam.release_ips(&[stale]),
        Err(IpamError::ReleaseConflict { .. })
    ));
    fx.check_invariants();
}

fn release_ips_counts_handles_and_deletes_empty_unowned_blocks(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("n", &[]);
    let ips = fx.assign4("n", "h", 3);
    let block = ips[0].network();
    fx.ipam
        .release_ips(&[ReleaseOptions::ip(ips[0].addr())])
        .unwrap();
    assert_eq!(
        fx.raw("/calico/ipam/v2/handle/h").unwrap(),
        format!(r#"{{"block":{{"{block}":2}},"deleted":false}}"#)
    );
    // Affine blocks stay when they empty out.
    fx.ipam
        .release_ips(&[
            ReleaseOptions::ip(ips[1].addr()),
            ReleaseOptions::ip(ips[2].addr()),
            ReleaseOptions::ip(ips[2].addr()),
        ])
        .unwrap();
    assert_eq!(fx.raw("/calico/ipam/v2/handle/h"), None);
    let b = fx.block(&block.to_string()).unwrap();
    assert_eq!(b.allocated_count(), 0);
    assert_eq!(b.attributes, Some(vec![]));
    // Unowned blocks are deleted with their last address.
    let more = fx.assign4("n", "h", 2);
    fx.ipam.release_affinity(block, "n", false).unwrap();
    assert_eq!(fx.block(&block.to_string()).unwrap().affinity, None);
    fx.ipam
        .release_ips(&[ReleaseOptions::ip(more[0].addr())])
        .unwrap();
    assert!(fx.block(&block.to_string()).is_some());
    fx.ipam
        .release_ips(&[ReleaseOptions::ip(more[1].addr())])
        .unwrap();
    assert!(fx.block(&block.to_string()).is_none());
    fx.check_invariants();
}

fn release_ips_outside_everything(store: Store) {
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/24");
    fx.node("n", &[]);
    let ips = fx.assign4("n", "h", 1);
    // An address in no pool and no block, and one in a block whose pool is gone.
    let mut client_pool: IpPool = fx.ipam.client().get(None, "p").unwrap();
    client_pool.spec.disabled = true;
    fx.ipam.client().update(client_pool).unwrap();
    fx.ipam.client().delete::<IpPool>(None, "p", None).unwrap();
    let un = fx
        .ipam
        .release_ips(&[
            ReleaseOptions::ip(ip("192.0.2.1")),
            ReleaseOptions::ip(ips[0].addr()),
        ])
        .unwrap();
    assert_eq!(un, vec![ip("192.0.2.1")]);
    assert!(fx.allocations().is_empty());
}

fn release_by_handle_behaviour(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.node("n", &[]);
    let err = fx.ipam.release_by_handle("nope").unwrap_err();
    assert_eq!(
        err.to_string(),
        "resource does not exist: IPAMHandleKey(id=nope) with error: <nil>"
    );
    assert!(err.is_not_found());
    let ips = fx.assign4("n", "k8s-pod-network.x", 2);
    let keep = fx.assign4("n", "other", 1);
    // Handles are sanitised like Calico's (anything after "\r" dropped).
    fx.ipam
        .release_by_handle("k8s-pod-network.x\r\nextra")
        .unwrap();
    assert!(fx.raw("/calico/ipam/v2/handle/k8s-pod-network.x").is_none());
    let alloc = fx.allocations();
    assert_eq!(alloc.len(), 1);
    assert!(alloc.contains_key(&keep[0].addr()));
    let b = fx.block(&ips[0].network().to_string()).unwrap();
    // Freed ordinals go to the back in ascending order.
    assert_eq!(b.unallocated[b.unallocated.len() - 2..], [0, 1]);
    assert!(fx.ipam.release_by_handle("k8s-pod-network.x").is_err());
    fx.check_invariants();
}

fn release_by_handle_many_blocks(store: Store) {
    // One handle spread over more blocks than fit one transaction's batch.
    let fx = Fx::new(store);
    fx.pool_with("p", "10.0.0.0/22", |p| p.spec.block_size = 30);
    fx.node("n", &[]);
    let mut req = Fx::req("n", "big", 4 * 70);
    req.max_blocks_per_host = 200;
    fx.set_config(true, true, 200);
    let got = fx.ipam.auto_assign(&req).unwrap().ips();
    assert_eq!(got.len(), 280);
    assert_eq!(fx.ipam.list_handles().unwrap()[0].handle.block.len(), 70);
    fx.check_invariants();
    fx.ipam.release_by_handle("big").unwrap();
    assert!(fx.allocations().is_empty());
    assert!(fx.ipam.list_handles().unwrap().is_empty());
    // The same through release_ips (chunked per block).
    let got = fx.ipam.auto_assign(&req).unwrap();
    fx.ipam
        .release_ips(&got.release_options(Some("big")))
        .unwrap();
    assert!(fx.allocations().is_empty());
    fx.check_invariants();
}

fn handle_counting_across_requests(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/26");
    fx.pool("q", "10.0.1.0/26");
    fx.node("n", &[]);
    fx.assign4("n", "h", 60);
    fx.assign4("n", "h", 10);
    let h = &fx.ipam.list_handles().unwrap()[0];
    assert_eq!(
        h.handle.block,
        BTreeMap::from([
            ("10.0.0.0/26".to_string(), 64),
            ("10.0.1.0/26".to_string(), 6)
        ])
    );
    fx.ipam
        .assign_ip(&AssignIpRequest {
            ip: ip("10.0.1.63"),
            handle_id: Some("h".into()),
            attrs: BTreeMap::new(),
            hostname: "n".into(),
        })
        .unwrap();
    fx.check_invariants();
    assert_eq!(fx.ipam.ips_by_handle("h").unwrap().len(), 71);
}

fn assignment_attributes_and_usage(store: Store) {
    let fx = Fx::new(store);
    fx.pool("p", "10.0.0.0/24");
    fx.pool_with("v6", "fd00::/120", |p| p.spec.block_size = 122);
    fx.node("n", &[]);
    let mut req = Fx::req("n", "h", 2);
    req.attrs.insert("pod".into(), "web-0".into());
    req.num6 = 1;
    let r = fx.ipam.auto_assign(&req).unwrap();
    let a = fx
        .ipam
        .get_assignment_attributes(r.ipv4.as_ref().unwrap().ips[1].addr())
        .unwrap();
    assert_eq!(a.handle_id.as_deref(), Some("h"));
    assert_eq!(a.attrs["pod"], "web-0");
    assert_eq!(a.block_affinity.as_deref(), Some("host:n"));
    let free = ip("10.0.0.250");
    assert_eq!(
        fx.ipam
            .get_assignment_attributes(free)
            .unwrap_err()
            .to_string(),
        "resource does not exist: 10.0.0.250 with error: IP is unassigned"
    );
    let usage = fx.ipam.pool_usage().unwrap();
    assert_eq!(usage.len(), 2);
    assert_eq!(
        (
            usage[0].name.as_str(),
            usage[0].size,
            usage[0].allocated,
            usage[0].free,
            usage[0].blocks
        ),
        ("p", 256, 2, 254, 1)
    );
    assert_eq!((usage[1].size, usage[1].allocated), (256, 1));
    let blocks = fx.ipam.block_usage().unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].pool.as_deref(), Some("p"));
    assert_eq!(
        (blocks[1].size, blocks[1].allocated, blocks[1].free),
        (64, 1, 63)
    );
    let aff = fx.ipam.list_affinities().unwrap();
    assert_eq!(aff.len(), 2);
    assert!(aff.iter().all(|a| a.host == "n"));
    let v6 = r.ipv6.as_ref().unwrap().ips[0];
    let found = fx.ipam.block_containing(v6.addr()).unwrap().unwrap().value;
    assert_eq!(found.cidr, v6.network());
    assert!(found.is_affine_to("n"));
}

fn over_counting_handle_from_calico_is_cleaned_up(store: Store) {
    // Calico writes the handle before the block; a crash in between leaves it over-counting.
    let fx = Fx::new(store.clone());
    fx.pool("p", "10.0.0.0/24");
    fx.node("n", &[]);
    let ips = fx.assign4("n", "h", 2);
    let block = ips[0].network();
    store
        .txn(
            crate::datastore::Txn::new().put(
                "/calico/ipam/v2/handle/h",
                format!(r#"{{"block":{{"{block}":5,"10.0.0.192/26":1}},"deleted":false}}"#)
                    .into_bytes(),
            ),
        )
        .unwrap();
    fx.ipam.release_by_handle("h").unwrap();
    assert!(fx.raw("/calico/ipam/v2/handle/h").is_none());
    assert!(fx.allocations().is_empty());
    fx.check_invariants();
}

fn release_of_many_handles_in_one_block_is_chunked(store: Store) {
    // 200 handles in one /24 block: one release touches more keys than a transaction may hold.
    let fx = Fx::new(store);
    fx.pool_with("p", "10.0.0.0/24", |p| p.spec.block_size = 24);
    fx.node("n", &[]);
    let mut opts = Vec::new();
    for i in 0..200 {
        let got = fx
            .ipam
            .auto_assign(&Fx::req("n", &format!("h{i}"), 1))
            .unwrap();
        opts.extend(got.release_options(Some(&format!("h{i}"))));
    }
    assert_eq!(fx.ipam.list_handles().unwrap().len(), 200);
    assert_eq!(fx.ipam.release_ips(&opts).unwrap(), Vec::<IpAddr>::new());
    assert!(fx.ipam.list_handles().unwrap().is_empty());
    assert!(fx.allocations().is_empty());
    fx.check_invariants();
}
