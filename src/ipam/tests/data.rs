//! Stored shapes, byte for byte (reference §3).

use super::*;
use crate::ipam::block::BlockRelease;

const T: u64 = 1_787_392_800_123_456_789;

fn pod_attrs(pod: &str, ts: &str) -> BTreeMap<String, String> {
    [
        ("namespace", "default"),
        ("node", "node-1"),
        ("pod", pod),
        ("timestamp", ts),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn handle(c: char) -> String {
    format!("k8s-pod-network.{}", c.to_string().repeat(64))
}

fn nulls(n: usize) -> String {
    vec!["null"; n].join(",")
}

fn range(a: usize, b: usize) -> String {
    (a..=b).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

fn attr_json(h: char, pod: &str, ts: &str) -> String {
    format!(
        r#"{{"handle_id":"{}","secondary":{{"namespace":"default","node":"node-1","pod":"{pod}","timestamp":"{ts}"}}}}"#,
        handle(h)
    )
}

const TS: [&str; 3] = [
    "2026-08-22 10:00:01.000000001 +0000 UTC",
    "2026-08-22 10:00:02.000000002 +0000 UTC",
    "2026-08-22 10:00:03.000000003 +0000 UTC",
];

/// The block of reference §3.6 after three pods, in v3.31's shape, for creation time `t`.
pub(crate) fn worked_example_json(t: u64) -> String {
    format!(
        r#"{{"cidr":"10.65.12.64/26","affinity":"host:node-1","allocations":[0,1,2,{}],"unallocated":[{}],"attributes":[{},{},{}],"sequenceNumber":{},"sequenceNumberForAllocation":{{"0":{},"1":{},"2":{}}},"deleted":false}}"#,
        nulls(61),
        range(3, 63),
        attr_json('a', "web-0", TS[0]),
        attr_json('b', "web-1", TS[1]),
        attr_json('c', "web-2", TS[2]),
        t + 3,
        t,
        t + 1,
        t + 2
    )
}

#[test]
fn new_block_shape() {
    let b = AllocationBlock::new(c("10.65.12.64/26"), Some("host:node-1".into()), T);
    assert_eq!(
        String::from_utf8(b.to_json()).unwrap(),
        format!(
            r#"{{"cidr":"10.65.12.64/26","affinity":"host:node-1","allocations":[{}],"unallocated":[{}],"attributes":null,"sequenceNumber":{T},"sequenceNumberForAllocation":{{}},"deleted":false}}"#,
            nulls(64),
            range(0, 63)
        )
    );
    let unowned = AllocationBlock::new(c("fd00:10:244::/122"), None, T);
    let s = String::from_utf8(unowned.to_json()).unwrap();
    assert!(
        s.starts_with(r#"{"cidr":"fd00:10:244::/122","affinity":null,"#),
        "{s}"
    );
}

#[test]
fn worked_example_bytes() {
    let mut b = AllocationBlock::new(c("10.65.12.64/26"), Some("host:node-1".into()), T);
    for (i, (h, pod)) in [('a', "web-0"), ('b', "web-1"), ('c', "web-2")]
        .into_iter()
        .enumerate()
    {
        let got = b.auto_assign(
            1,
            Some(&handle(h)),
            Some(&pod_attrs(pod, TS[i])),
            &Reservations::none(),
        );
        assert_eq!(got, vec![i]);
        b.bump(); // the write
    }
    assert_eq!(
        String::from_utf8(b.to_json()).unwrap(),
        worked_example_json(T)
    );
    assert!(b.check().is_empty());

    // web-1 deleted (ReleaseByHandle): ordinal 1 to the back, attributes compacted, v3.31
    // leaves the stale sequence entry.
    assert_eq!(b.release_by_handle(&handle('b')), 1);
    b.bump();
    let expected = format!(
        r#"{{"cidr":"10.65.12.64/26","affinity":"host:node-1","allocations":[0,null,1,{}],"unallocated":[{},1],"attributes":[{},{}],"sequenceNumber":{},"sequenceNumberForAllocation":{{"0":{},"1":{},"2":{}}},"deleted":false}}"#,
        nulls(61),
        range(3, 63),
        attr_json('a', "web-0", TS[0]),
        attr_json('c', "web-2", TS[2]),
        T + 4,
        T,
        T + 1,
        T + 2
    );
    assert_eq!(String::from_utf8(b.to_json()).unwrap(), expected);
    assert!(b.check().is_empty());

    // Round trip is exact.
    let again = AllocationBlock::from_json(expected.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(again.to_json()).unwrap(), expected);
}

#[test]
fn release_by_address_clears_sequence_and_empty_attributes_become_an_array() {
    let mut b = AllocationBlock::new(c("10.0.0.0/30"), Some("host:n".into()), 7);
    b.auto_assign(2, Some("h"), None, &Reservations::none());
    b.bump();
    let out = b
        .release(&[
            BlockRelease {
                address: ip("10.0.0.1"),
                handle: None,
                sequence_number: Some(7),
            },
            BlockRelease {
                address: ip("10.0.0.0"),
                handle: Some("h"),
                sequence_number: None,
            },
            BlockRelease {
                address: ip("10.0.0.3"),
                handle: None,
                sequence_number: None,
            },
        ])
        .unwrap();
    assert_eq!(out.released, 2);
    assert_eq!(out.unallocated, vec![ip("10.0.0.3")]);
    assert_eq!(out.by_handle.get("h"), Some(&2));
    b.bump();
    assert_eq!(
        String::from_utf8(b.to_json()).unwrap(),
        r#"{"cidr":"10.0.0.0/30","affinity":"host:n","allocations":[null,null,null,null],"unallocated":[2,3,1,0],"attributes":[],"sequenceNumber":9,"sequenceNumberForAllocation":{},"deleted":false}"#
    );
}

#[test]
fn sequence_keys_sort_as_go_strings_and_stay_u64() {
    let mut b = AllocationBlock::new(c("10.0.0.0/28"), None, u64::MAX - 100);
    for _ in 0..12 {
        b.auto_assign(1, None, None, &Reservations::none());
        b.bump();
    }
    let s = String::from_utf8(b.to_json()).unwrap();
    let seq = &s[s.find("sequenceNumberForAllocation").unwrap()..];
    assert!(seq.starts_with(&format!(
        r#"sequenceNumberForAllocation":{{"0":{},"1":{},"10":{},"11":{},"2":"#,
        u64::MAX - 100,
        u64::MAX - 99,
        u64::MAX - 90,
        u64::MAX - 89
    )));
    // No handle, no attributes: both emitted as null.
    assert!(
        s.contains(r#""attributes":[{"handle_id":null,"secondary":null}]"#),
        "{s}"
    );
    let back = AllocationBlock::from_json(s.as_bytes()).unwrap();
    assert_eq!(back.sequence_number, u64::MAX - 88);
}

#[test]
fn newer_and_older_fields_are_read_tolerantly() {
    // A v3.32+/HEAD block: claim time, cooldown and alternate owner on attributes, plus the
    // removed strictAffinity flag and the legacy hostAffinity and an unknown future field.
    let head = r#"{"cidr":"10.0.0.0/30","affinity":"host:n","affinity_claim_time":"2026-08-22T10:00:00Z","strictAffinity":false,"allocations":[0,1,null,null],"unallocated":[2,3],"attributes":[{"handle_id":"h","secondary":{"node":"n"},"alternateOwnerAttrs":{"pod":"p2"}},{"releasedAt":"2026-08-22T10:00:05Z"}],"sequenceNumber":18446744073709551000,"sequenceNumberForAllocation":{"0":5},"deleted":false,"hostAffinity":"n","futureField":{"x":[1,2]}}"#;
    let b = AllocationBlock::from_json(head.as_bytes()).unwrap();
    assert_eq!(b.sequence_number, 18_446_744_073_709_551_000);
    assert_eq!(
        b.affinity_claim_time.as_deref(),
        Some("2026-08-22T10:00:00Z")
    );
    assert!(b.attribute_of(1).unwrap().is_cooling_down());
    assert_eq!(b.attribute_of(1).unwrap().handle_id, None);
    assert_eq!(
        String::from_utf8(b.to_json()).unwrap(),
        r#"{"cidr":"10.0.0.0/30","affinity":"host:n","affinity_claim_time":"2026-08-22T10:00:00Z","allocations":[0,1,null,null],"unallocated":[2,3],"attributes":[{"handle_id":"h","secondary":{"node":"n"},"alternateOwnerAttrs":{"pod":"p2"}},{"handle_id":null,"secondary":null,"releasedAt":"2026-08-22T10:00:05Z"}],"sequenceNumber":18446744073709551000,"sequenceNumberForAllocation":{"0":5},"deleted":false,"hostAffinity":"n","futureField":{"x":[1,2]}}"#
    );
    // A pre-v3.23 block: no sequence fields at all.
    let old = r#"{"cidr":"10.0.0.0/31","affinity":"host:n","allocations":[null,null],"unallocated":[0,1],"attributes":[],"deleted":false}"#;
    let mut b = AllocationBlock::from_json(old.as_bytes()).unwrap();
    assert_eq!(b.sequence_number, 0);
    assert_eq!(b.sequence_number_of(0), 0);
    b.auto_assign(1, Some("h"), None, &Reservations::none());
    b.bump();
    assert_eq!(
        String::from_utf8(b.to_json()).unwrap(),
        r#"{"cidr":"10.0.0.0/31","affinity":"host:n","allocations":[0,null],"unallocated":[1],"attributes":[{"handle_id":"h","secondary":null}],"sequenceNumber":1,"sequenceNumberForAllocation":{"0":0},"deleted":false}"#
    );
    assert!(AllocationBlock::from_json(br#"{"cidr":"10.0.0.0/31","allocations":[null]}"#).is_err());
}

#[test]
fn attributes_are_shared_and_sanitised() {
    let mut b = AllocationBlock::new(c("10.0.0.0/29"), None, 1);
    let a = pod_attrs("p", "t");
    b.auto_assign(1, Some("h"), Some(&a), &Reservations::none());
    b.auto_assign(1, Some("h"), Some(&a), &Reservations::none());
    b.auto_assign(1, Some("h"), None, &Reservations::none());
    assert_eq!(b.attributes.as_ref().unwrap().len(), 2);
    assert_eq!(b.allocations[..3], [Some(0), Some(0), Some(1)]);
    // A handle written with a trailing "\r..." by an old migration bug.
    b.auto_assign(1, Some("bad\r\nx"), None, &Reservations::none());
    assert_eq!(b.ips_by_handle("bad"), vec![ip("10.0.0.3")]);
    assert_eq!(b.release_by_handle("bad"), 1);
    assert!(b.check().is_empty());
}

#[test]
fn check_reports_calico_messages() {
    let mut b = AllocationBlock::new(c("10.0.0.0/30"), None, 1);
    b.allocations[0] = Some(3);
    b.unallocated = vec![0, 1, 1, 9];
    b.attributes = Some(vec![AllocationAttribute::default()]);
    assert_eq!(
        b.check(),
        vec![
            "allocation 0 indexes a nonexistent attribute 3",
            "attribute index 0 exists but is not indexed by an allocation",
            "ordinal 0 is allocated but appears in Unallocated",
            "ordinal 1 appears more than once in Unallocated array",
            "ordinal 9 appears in the Unallocated array but is out of the block",
            "expected 4 addresses in this block, but Unallocated (4) + Allocated (1) = 5",
        ]
    );
}
