//! Property test: random sequences of transactions and reads give the same answers on the
//! memory store and the embedded (SQLite) store.
//!
//! The conformance suite pins chosen cases; this one lets proptest look for the sequences
//! nobody thought of (a delete of an absent key next to a put, a compare on a key deleted and
//! re-created, a prefix that is another key's whole name). Both stores start empty and get
//! the same calls; every answer (transaction outcome and revision, gets, lists, keys-only
//! lists, batched reads, the store revision) must be equal, and so must the final contents.

use super::embedded::EmbeddedStore;
use super::memory::MemoryStore;
use super::{Compare, KvStore, Op, Read, Txn};
use proptest::prelude::*;

/// A small key space, so that sequences hit the same keys often. `/a` is a prefix of `/ab`,
/// and `/a/` of the nested keys: the prefix boundaries the backends must agree on.
const KEYS: &[&str] = &["/a", "/ab", "/a/1", "/a/2", "/b/1", "/b/\u{e9}"];
const PREFIXES: &[&str] = &["", "/", "/a", "/a/", "/b/", "/c"];

/// How a comparison's expected revision is chosen: the key's current `mod_revision` (so that
/// transactions succeed often), 0 (absent), or the current one off by a little.
#[derive(Debug, Clone)]
enum Expect {
    Current,
    Absent,
    Off(i64),
}

#[derive(Debug, Clone)]
enum Step {
    Txn {
        compares: Vec<(usize, Expect)>,
        ops: Vec<(usize, Option<Vec<u8>>)>,
    },
    Get(usize),
    List(usize),
    ListKeys(usize),
    ReadMany(Vec<(bool, usize)>),
}

fn expect() -> impl Strategy<Value = Expect> {
    prop_oneof![
        3 => Just(Expect::Current),
        1 => Just(Expect::Absent),
        1 => (-2i64..=2).prop_map(Expect::Off),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let key = 0..KEYS.len();
    let prefix = 0..PREFIXES.len();
    let value = prop::option::of(prop::collection::vec(any::<u8>(), 0..6));
    prop_oneof![
        6 => (
            prop::collection::vec((key.clone(), expect()), 0..3),
            prop::collection::vec((key.clone(), value), 0..4),
        )
            .prop_map(|(compares, ops)| Step::Txn { compares, ops }),
        1 => key.clone().prop_map(Step::Get),
        1 => prefix.clone().prop_map(Step::List),
        1 => prefix.clone().prop_map(Step::ListKeys),
        1 => prop::collection::vec((any::<bool>(), 0..KEYS.len().max(PREFIXES.len())), 1..4)
            .prop_map(Step::ReadMany),
    ]
}

/// The transaction a step describes, with `Current` resolved against `store`.
fn build_txn(
    store: &dyn KvStore,
    compares: &[(usize, Expect)],
    ops: &[(usize, Option<Vec<u8>>)],
) -> Txn {
    let mut txn = Txn::new();
    for (k, e) in compares {
        let key = KEYS[*k];
        let current = store
            .get(key)
            .unwrap()
            .map(|kv| kv.mod_revision)
            .unwrap_or(0);
        let revision = match e {
            Expect::Current => current,
            Expect::Absent => 0,
            Expect::Off(d) => (current + d).max(0),
        };
        txn.compares.push(Compare::ModRevision {
            key: key.to_string(),
            revision,
        });
    }
    for (k, v) in ops {
        let key = KEYS[*k].to_string();
        txn.ops.push(match v {
            Some(value) => Op::Put {
                key,
                value: value.clone(),
            },
            None => Op::Delete { key },
        });
    }
    txn
}

/// One step's answer, in a form both stores' answers can be compared by.
fn answer(store: &dyn KvStore, step: &Step, txn: Option<&Txn>) -> String {
    match step {
        Step::Txn { .. } => format!("{:?}", store.txn(txn.unwrap().clone())),
        Step::Get(k) => format!("{:?}", store.get(KEYS[*k])),
        Step::List(p) => format!("{:?}", store.list(PREFIXES[*p])),
        Step::ListKeys(p) => format!("{:?}", store.list_keys(PREFIXES[*p])),
        Step::ReadMany(reads) => {
            let reads: Vec<Read> = reads
                .iter()
                .map(|(is_key, i)| {
                    if *is_key {
                        Read::Key(KEYS[i % KEYS.len()].to_string())
                    } else {
                        Read::Prefix(PREFIXES[i % PREFIXES.len()].to_string())
                    }
                })
                .collect();
            format!("{:?}", store.read_many(&reads))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn memory_and_embedded_stores_answer_alike(steps in prop::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let embedded = EmbeddedStore::open(&dir.path().join("datastore.db")).unwrap();
        let memory = MemoryStore::new();
        for (i, step) in steps.iter().enumerate() {
            // Built once, from the memory store's view: the same transaction goes to both (if
            // the stores had drifted, an earlier answer would already have differed).
            let txn = match step {
                Step::Txn { compares, ops } => Some(build_txn(&memory, compares, ops)),
                _ => None,
            };
            let m = answer(&memory, step, txn.as_ref());
            let e = answer(&embedded, step, txn.as_ref());
            prop_assert_eq!(&m, &e, "step {} ({:?}, txn {:?})", i, step, txn);
            prop_assert_eq!(memory.revision().unwrap(), embedded.revision().unwrap());
        }
        prop_assert_eq!(memory.list("").unwrap(), embedded.list("").unwrap());
    }
}
