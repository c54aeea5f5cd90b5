//! The pages of an etcd scan: which range each request asks for, and how many keys.
//!
//! etcd 3.4 walks its whole index from a range request's start to its end, whatever the
//! request's limit: paging a range of N keys with open-ended requests of L keys each walks
//! about N²/2L index entries. With 1,000,000 WorkloadEndpoints in 16 MiB pages that was 9 of
//! the 13 s of CPU etcd spent answering the scan. So every request after the first is bounded
//! by an end key guessed from the keys seen so far (the range beyond is assumed as dense as
//! the last page), and each key is walked about once.
//!
//! A bad guess costs a request, never a key: a page that comes back full goes on after its
//! last key, one that comes back short goes on from its end, and no guess reaches past the
//! scan's end. The pages of one scan cover its range exactly once, in key order.

/// The keys the first page asks for, before value sizes are known.
const FIRST_PAGE_KEYS: usize = 1000;

/// The size a page aims at: later pages ask for as many keys as fit, by the average size of
/// the keys seen so far.
pub(crate) const PAGE_BYTES: usize = 16 * 1024 * 1024;

/// The most keys a page asks for, however small they are.
const PAGE_MAX_KEYS: usize = 100_000;

/// How many bytes of a key, from where two keys first differ, are read as a number to
/// measure the distance between them.
const WINDOW: usize = 16;

/// The state of one scan: the next request's range and limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pager {
    /// The next request's first key.
    pub start: Vec<u8>,
    /// The next request's end (exclusive); `None` for "every key from `start` on".
    pub end: Option<Vec<u8>>,
    /// The next request's limit.
    pub limit: usize,
    scan_end: Option<Vec<u8>>,
    page_bytes: usize,
}

/// What a request answered, as [`Pager::advance`] needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page<'a> {
    /// The first and last keys returned (`None` when none were).
    pub(crate) first_last: Option<(&'a [u8], &'a [u8])>,
    /// How many keys were returned.
    pub count: usize,
    /// Their keys' and values' bytes.
    pub bytes: usize,
    /// etcd's `count`: how many keys the whole range held.
    pub(crate) in_range: usize,
    /// etcd's `more`: the range held keys past the last one returned.
    pub more: bool,
}

impl Pager {
    /// A scan of the keys from `start` up to `end` (exclusive; `None`: every key from
    /// `start` on), in pages of about [`PAGE_BYTES`].
    pub(super) fn new(start: &[u8], end: Option<Vec<u8>>) -> Pager {
        Pager::with_page_bytes(start, end, PAGE_BYTES)
    }

    /// As [`Pager::new`], with pages of about `page_bytes`.
    pub(crate) fn with_page_bytes(start: &[u8], end: Option<Vec<u8>>, page_bytes: usize) -> Pager {
        Pager {
            start: start.to_vec(),
            end: end.clone(),
            limit: FIRST_PAGE_KEYS,
            scan_end: end,
            page_bytes,
        }
    }

    /// Takes the answer to the request [`start`](Pager::start)..[`end`](Pager::end) and sets
    /// up the next one; false when the scan is complete.
    pub(super) fn advance(&mut self, page: Page<'_>) -> bool {
        if let Some(per_key) = page.bytes.checked_div(page.count) {
            self.limit = (self.page_bytes / per_key.max(1)).clamp(1, PAGE_MAX_KEYS);
        }
        // Aim a quarter past the limit, so that a page usually comes back full.
        let want = (self.limit as u64).saturating_mul(5) / 4;
        match (page.more, page.first_last) {
            (true, Some((first, last))) => {
                // The page is full: the rest of the range starts after its last key.
                let gaps = (page.count as u64).saturating_sub(1).max(1);
                let next = match &self.end {
                    // etcd said how many keys are left before the range's end.
                    Some(end) => {
                        let left = page.in_range.saturating_sub(page.count) as u64;
                        if left <= want {
                            Some(end.clone())
                        } else {
                            // As dense as this page, or a share of what is left of the range
                            // read as numbers, whichever is nearer (neither holds for keys
                            // in clusters, and a guess too near costs less than one too far).
                            let dense = self.beyond(first, last, gaps.saturating_add(want), gaps);
                            let share = key_at(last, end, want, left)
                                .filter(|k| k.as_slice() > last && k < end);
                            [dense, share, Some(end.clone())]
                                .into_iter()
                                .flatten()
                                .min()
                        }
                    }
                    // Every key from `start` on: as dense as this page.
                    None => self.beyond(first, last, gaps.saturating_add(want), gaps),
                };
                self.start = last.to_vec();
                self.start.push(0);
                self.end = next;
                true
            }
            _ => match self.end.take() {
                // [start, end) is done: go on from `end`, unless that was the scan's end. Take
                // the next range as dense as this one; after an empty one, look twice as far.
                Some(end) if Some(&end) != self.scan_end.as_ref() => {
                    let next = match page.count as u64 {
                        0 => self.beyond(&self.start, &end, 3, 1),
                        n => self.beyond(&self.start, &end, n.saturating_add(want), n),
                    };
                    self.start = end;
                    self.end = next;
                    true
                }
                _ => false,
            },
        }
    }

    /// [`key_at`] `a`, `b`, `num`, `den` (`num` > `den`), when it lies past `b` and before the
    /// scan's end; the scan's end otherwise.
    fn beyond(&self, a: &[u8], b: &[u8], num: u64, den: u64) -> Option<Vec<u8>> {
        let end = self.scan_end.as_deref();
        key_at(a, b, num, den)
            .filter(|k| k.as_slice() > b && end.is_none_or(|e| k.as_slice() < e))
            .or_else(|| end.map(<[u8]>::to_vec))
    }
}

/// The key `a + (b - a) × num / den`, reading keys as numbers: the bytes `a` and `b` share,
/// then the [`WINDOW`] bytes from where they first differ, as one big-endian number (the
/// sum carries into the shared bytes as needed). `None` when the sum does not fit (past every
/// key of that length). Trailing zero bytes are dropped, so the key is the smallest one of
/// its value.
fn key_at(a: &[u8], b: &[u8], num: u64, den: u64) -> Option<Vec<u8>> {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let window = |k: &[u8]| {
        let mut w = [0u8; WINDOW];
        let tail = k.get(common..).unwrap_or_default();
        let n = tail.len().min(WINDOW);
        w[..n].copy_from_slice(&tail[..n]);
        u128::from_be_bytes(w)
    };
    let (pa, pb) = (window(a), window(b));
    let span = pb.saturating_sub(pa).max(1);
    // span × num / den as three 64-bit limbs, most significant first: (span / den) × num
    // + (span % den) × num / den.
    let den = den.max(1);
    let (q, r) = (span / u128::from(den), span % u128::from(den));
    let low = (q & u128::from(u64::MAX)) * u128::from(num);
    let high = (q >> 64) * u128::from(num) + (low >> 64);
    let rest = r * u128::from(num) / u128::from(den);
    let mut limbs = [(high >> 64) as u64, high as u64, low as u64];
    let add = [0, (rest >> 64) as u64, rest as u64];
    let mut carry = false;
    for i in (0..3).rev() {
        let (s1, c1) = limbs[i].overflowing_add(add[i]);
        let (s2, c2) = s1.overflowing_add(u64::from(carry));
        limbs[i] = s2;
        carry = c1 || c2;
    }
    let mut distance = [0u8; 24];
    for (i, limb) in limbs.iter().enumerate() {
        distance[i * 8..i * 8 + 8].copy_from_slice(&limb.to_be_bytes());
    }
    let mut key = a[..common].to_vec();
    key.extend_from_slice(&pa.to_be_bytes());
    let mut carry = 0u16;
    let mut digits = distance.iter().rev();
    for byte in key.iter_mut().rev() {
        let sum = u16::from(*byte) + u16::from(*digits.next().unwrap_or(&0)) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    if carry != 0 || !digits.all(|&d| d == 0) {
        return None;
    }
    let used = key.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    key.truncate(used);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use std::ops::Bound;

    /// Runs a scan over `keys` as etcd 3.4 answers it; returns the keys delivered, the
    /// requests made and the index entries etcd walked (every key in each request's range).
    fn run(
        keys: &BTreeSet<Vec<u8>>,
        start: &[u8],
        end: Option<Vec<u8>>,
        page_bytes: usize,
    ) -> (Vec<Vec<u8>>, usize, usize) {
        let mut pager = Pager::with_page_bytes(start, end, page_bytes);
        let (mut seen, mut requests, mut walked) = (Vec::new(), 0, 0);
        loop {
            requests += 1;
            assert!(requests < 1_000_000, "the scan does not end");
            let upper = match &pager.end {
                Some(e) => Bound::Excluded(e.clone()),
                None => Bound::Unbounded,
            };
            if let Some(e) = &pager.end {
                assert!(e > &pager.start, "a request's range is never empty");
            }
            let range: Vec<&Vec<u8>> = keys
                .range((Bound::Included(pager.start.clone()), upper))
                .collect();
            walked += range.len();
            let got = &range[..range.len().min(pager.limit)];
            let bytes = got.iter().map(|k| k.len() + 100).sum();
            let page = Page {
                first_last: got
                    .first()
                    .map(|f| (f.as_slice(), got[got.len() - 1].as_slice())),
                count: got.len(),
                in_range: range.len(),
                bytes,
                more: range.len() > got.len(),
            };
            seen.extend(got.iter().map(|k| k.to_vec()));
            if !pager.advance(page) {
                return (seen, requests, walked);
            }
        }
    }

    fn prefix_end(p: &[u8]) -> Option<Vec<u8>> {
        crate::datastore::prefix_end(p)
    }

    /// Calico-like WorkloadEndpoint keys: namespaces of very different sizes, pods spread
    /// over nodes.
    fn endpoint_keys(n: usize) -> BTreeSet<Vec<u8>> {
        (0..n)
            .map(|i| {
                let ns = match i % 10 {
                    0..=5 => "default".to_string(),
                    6 | 7 => format!("team-{:02}", i % 37),
                    _ => format!("ns-{:03}", i % 3),
                };
                format!(
                    "/calico/resources/v3/projectcalico.org/workloadendpoints/{ns}/\
                     node-{:06}--rack-{}--example--com-k8s-pod-{i:07}-x2k4q-eth0",
                    i / 64,
                    i % 17
                )
                .into_bytes()
            })
            .collect()
    }

    #[test]
    fn endpoint_keys_are_walked_a_few_times_not_once_a_page() {
        let keys = endpoint_keys(200_000);
        let prefix = b"/calico/resources/v3/projectcalico.org/workloadendpoints/";
        // Pages of about 2,000 keys (230 bytes each), so that the scan takes ~100 pages.
        let (seen, requests, walked) = run(&keys, prefix, prefix_end(prefix), 2_000 * 230);
        assert_eq!(seen, keys.iter().cloned().collect::<Vec<_>>());
        // Open-ended pages would walk ~100 × 100,000 = 10,000,000 entries (50 per key). The
        // first page walks them all once; guesses across gaps in the key space (between
        // namespaces, between '9' and 'a') cost the rest.
        assert!(
            walked < 4 * keys.len(),
            "walked {walked} index entries for {} keys in {requests} requests",
            keys.len()
        );
        assert!(requests < 1_000, "{requests} requests");
    }

    #[test]
    fn uniform_handle_ids_are_walked_a_few_times_not_once_a_page() {
        let keys: BTreeSet<Vec<u8>> = (0u64..100_000)
            .map(|i| {
                let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                format!("/calico/ipam/v2/handle/k8s-pod-network.{h:016x}{i:048x}").into_bytes()
            })
            .collect();
        let prefix = b"/calico/ipam/v2/handle/";
        let (seen, requests, walked) = run(&keys, prefix, prefix_end(prefix), 1_000 * 160);
        assert_eq!(seen.len(), keys.len());
        // Open-ended: ~127 pages × 50,000 = 64 entries per key.
        assert!(
            walked < 4 * keys.len(),
            "walked {walked} in {requests} requests"
        );
    }

    #[test]
    fn keys_are_read_as_numbers() {
        assert_eq!(key_at(b"/p/a", b"/p/b", 1, 1).unwrap(), b"/p/b");
        assert_eq!(key_at(b"/p/a", b"/p/c", 1, 2).unwrap(), b"/p/b");
        assert_eq!(key_at(b"/p/a", b"/p/c", 3, 2).unwrap(), b"/p/d");
        // A key that is a prefix of the other reads as if padded with zeros.
        assert_eq!(key_at(b"/p/", b"/p/\x10", 3, 1).unwrap(), b"/p/\x30");
        // The sum carries into the shared bytes.
        assert_eq!(key_at(b"/p/a\xf0", b"/p/a\xff", 2, 1).unwrap(), b"/p/b\x0e");
        // Past every key of that length.
        assert_eq!(key_at(b"\xff", b"\xff\xff", 4, 1), None);
        // Keys differing beyond the window: the window's first bytes count.
        let long_a = [b"/p/x".as_slice(), &[7; 40]].concat();
        let long_b = [b"/p/y".as_slice(), &[7; 40]].concat();
        let k = key_at(&long_a, &long_b, 2, 1).unwrap();
        assert!(k.starts_with(b"/p/z"), "{k:?}");
    }

    #[test]
    fn guesses_stay_past_the_last_key_and_before_the_end() {
        let pager = Pager::new(b"/p/", prefix_end(b"/p/"));
        let end = prefix_end(b"/p/").unwrap();
        for (a, b) in [
            (&b"/p/a"[..], &b"/p/b"[..]),
            (b"/p/a", b"/p/a\0"),
            (b"/p/\xff\xff", b"/p/\xff\xff\xff"),
            (b"/p/", b"/p/\xff"),
            (b"/p/x", &[b"/p/x".as_slice(), &[0xff; 20]].concat()),
        ] {
            for (num, den) in [(2, 1), (3, 1), (8, 7), (100_001, 100_000), (u64::MAX, 1)] {
                let g = pager.beyond(a, b, num, den).unwrap();
                assert!(g.as_slice() > b, "{a:?} {b:?}: {g:?}");
                assert!(g <= end, "{a:?} {b:?}: {g:?}");
            }
        }
        let open = Pager::new(b"\xff", None);
        assert_eq!(open.beyond(b"\xff\xfe", b"\xff\xff", 10, 1), None);
    }

    proptest! {
        #[test]
        fn pages_cover_every_key_once_in_order(
            keys in proptest::collection::btree_set(
                proptest::collection::vec(prop_oneof![Just(0u8), Just(b'a'), Just(0xffu8), any::<u8>()], 0..6),
                0..400,
            ),
            page_keys in 1usize..50,
        ) {
            let keys: BTreeSet<Vec<u8>> = keys.into_iter().map(|k| [b"/p/".as_slice(), &k].concat()).chain([b"/p".to_vec(), b"/p0".to_vec(), b"/o".to_vec()]).collect();
            let prefix = b"/p/";
            let (seen, _, _) = run(&keys, prefix, prefix_end(prefix), page_keys * 110);
            let expected: Vec<Vec<u8>> = keys.iter().filter(|k| k.starts_with(prefix)).cloned().collect();
            prop_assert_eq!(seen, expected);
        }
    }
}
