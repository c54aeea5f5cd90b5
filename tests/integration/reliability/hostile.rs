//! Hostile input: generated inputs at volume (proptest, `CALICO_FUZZ_CASES` per target) for
//! resource documents (YAML and JSON), selectors, CIDRs, CNI network configurations and
//! `ipam check` reports (through `ipam release --from-report`, in process, against a real
//! embedded store): no panic, and every bad input is a clear error. Inputs are structured
//! mutations of valid documents (values replaced by hostile ones, keys dropped or added,
//! text cut, duplicated, spliced) plus arbitrary text; proptest shrinks any failure to a
//! minimal input.
//!
//! And oversized input through the real binaries: a `List` of 10,000 pools, 20 MB files,
//! values beyond etcd's request limit, deep nesting, an alias bomb, a report releasing
//! hundreds of addresses: each is handled (created, split into transactions etcd accepts,
//! or refused with a clear message), never a crash.

use super::{audit, calico_ipam, calicoctl, figure, knob, text};
use calico::datastore::api::Client;
use calico::datastore::embedded::EmbeddedStore;
use calico::datastore::{KvStore, Store};
use calico::ipam::{AutoAssignRequest, Ipam};
use calico::model::{Cidr, IpPool, Node};
use calico::testing::{EtcdServer, TestDir};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn cases() -> u32 {
    knob("CALICO_FUZZ_CASES", 3000) as u32
}

/// Runs `check` on `cases()` generated inputs; a panic or a failed assertion fails the test
/// with proptest's minimal input. `check` names how far the input got; the figures count
/// executions and outcomes (so a target that only ever exercises its parser shows it).
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value) -> &'static str)
where
    S::Value: std::fmt::Debug,
{
    let executions = AtomicU64::new(0);
    let outcomes = std::sync::Mutex::new(std::collections::BTreeMap::<&str, u64>::new());
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    });
    let result = runner.run(&strategy, |value| {
        executions.fetch_add(1, Ordering::Relaxed);
        let outcome = check(value);
        *outcomes.lock().unwrap().entry(outcome).or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("fuzz target {name} failed: {e}");
    }
    let outcomes: Vec<String> = outcomes
        .into_inner()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    figure(&format!(
        "fuzz {name}: {} executions in {:.1}s ({}), no panic, every rejection a non-empty error",
        executions.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
        outcomes.join(", ")
    ));
}

/// Values that break naive code.
fn hostile_value(n: u64) -> Value {
    let deep = (0..40).fold(json!("x"), |v, _| json!([v]));
    match n % 32 {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(u64::MAX),
        5 => json!(i64::MIN),
        6 => json!(1e308),
        7 => json!(-0.5),
        8 => json!(""),
        9 => json!(" "),
        10 => json!("x".repeat(10_000)),
        11 => json!("\u{0}\u{1}\u{7f}"),
        12 => json!("../../../../etc/passwd"),
        13 => json!("10.0.0.0/8"),
        14 => json!("::/0"),
        15 => json!("1.2.3.4/33"),
        16 => json!("256.1.1.1"),
        17 => json!("all()"),
        18 => json!("has("),
        19 => json!("\u{202e}\u{1f4a5}é"),
        20 => deep,
        21 => json!({"": ""}),
        22 => json!({"kind": "IPPoolList", "items": 5}),
        23 => json!([1, "a", null, {"b": []}]),
        24 => json!({}),
        25 => json!([]),
        26 => json!("-1"),
        27 => json!("99999999999999999999999999"),
        28 => json!("a".repeat(64)),
        29 => json!("k8s-pod-network.\r\nInjected"),
        30 => json!("fe80::1%eth0/64"),
        _ => json!("0x0A000001"),
    }
}

/// Every path (object keys and array indices) in `v`.
fn paths(v: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(PathStep::Key(k.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(PathStep::Index(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match step {
            PathStep::Key(k) => cur.get_mut(k.as_str())?,
            PathStep::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

/// Applies value-level mutations chosen by `choices` to `v`.
fn mutate_value(mut v: Value, choices: &[u64]) -> Value {
    for pair in choices.chunks(2) {
        let (what, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        let path = all[(arg as usize) % all.len()].clone();
        let Some(node) = at(&mut v, &path) else {
            continue;
        };
        match what % 6 {
            // Replace a value.
            0 | 1 => *node = hostile_value(arg >> 8),
            // Drop a key.
            2 => {
                if let Value::Object(m) = node
                    && let Some(k) = m.keys().nth((arg >> 8) as usize % m.len().max(1)).cloned()
                {
                    m.remove(&k);
                }
            }
            // Add a key.
            3 => {
                if let Value::Object(m) = node {
                    let keys = [
                        "bogus",
                        "kind",
                        "metadata",
                        "spec",
                        "items",
                        "apiVersion",
                        "",
                    ];
                    m.insert(
                        keys[(arg >> 8) as usize % keys.len()].to_string(),
                        hostile_value(arg >> 16),
                    );
                }
            }
            // Wrap in a list, or repeat.
            4 => *node = json!([node.clone(), node.clone()]),
            _ => {
                *node = json!({"apiVersion": "projectcalico.org/v3", "kind": "List", "items": [node.clone()]})
            }
        }
    }
    v
}

/// Applies text-level mutations chosen by `choices`.
fn mutate_text(mut s: String, choices: &[u64]) -> String {
    const TOKENS: &[&str] = &[
        "\0",
        "{",
        "}",
        "[",
        "]",
        ":",
        "- ",
        "\"",
        "'",
        "\n",
        "  ",
        "\t",
        "&a ",
        "*a",
        "!!binary ",
        "%YAML 1.1\n",
        "#",
        "é",
        "\u{202e}",
        "---\n",
        "...\n",
        "? ",
        "|\n",
        ">\n",
        "~",
        "1e999",
        "<<: *a\n",
        "\\u0000",
        "\r\n",
    ];
    for pair in choices.chunks(2) {
        let (what, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let bytes = s.as_bytes();
        let mut pos = (arg as usize) % (bytes.len() + 1);
        while !s.is_char_boundary(pos) {
            pos -= 1;
        }
        let mut end = pos + ((arg >> 20) as usize % 40);
        end = end.min(s.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        match what % 5 {
            0 => s.insert_str(pos, TOKENS[(arg >> 8) as usize % TOKENS.len()]),
            1 => s.replace_range(pos..end, ""),
            2 => {
                let piece = s[pos..end].to_string();
                s.insert_str(end, &piece);
            }
            3 => s.truncate(pos),
            _ => {
                let c = char::from_u32(((arg >> 8) % 0x3000) as u32).unwrap_or('?');
                s.insert(pos, c);
            }
        }
    }
    s
}

fn seed_resources() -> Vec<Value> {
    vec![
        json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "pool-a", "labels": {"a": "b"}},
               "spec": {"cidr": "10.0.0.0/16", "blockSize": 26, "ipipMode": "Always", "natOutgoing": true,
                        "nodeSelector": "rack == 'r1' && !has(gpu)", "allowedUses": ["Workload", "Tunnel"]}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": {"name": "node-1", "labels": {"rack": "r1"}},
               "spec": {"bgp": {"ipv4Address": "192.168.1.1/24", "ipv4IPIPTunnelAddr": "10.0.0.1"},
                        "ipv4VXLANTunnelAddr": "10.0.0.2", "orchRefs": [{"nodeName": "n1", "orchestrator": "k8s"}]}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "WorkloadEndpoint",
               "metadata": {"name": "node--1-k8s-pod-eth0", "namespace": "default", "annotations": {"x": "y"}},
               "spec": {"orchestrator": "k8s", "node": "node-1", "containerID": "abc", "pod": "pod", "endpoint": "eth0",
                        "ipNetworks": ["10.0.0.5/32"], "ipNATs": [{"internalIP": "10.0.0.5", "externalIP": "172.16.0.1"}],
                        "profiles": ["kns.default"], "interfaceName": "cali123", "mac": "ee:ee:ee:ee:ee:ee"}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "IPReservation", "metadata": {"name": "r"},
               "spec": {"reservedCIDRs": ["10.0.0.0/30", "10.0.1.1"]}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "IPAMConfiguration", "metadata": {"name": "default"},
               "spec": {"strictAffinity": false, "maxBlocksPerHost": 4}}),
        json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPoolList", "items": [
               {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "b"}, "spec": {"cidr": "fd00::/64", "blockSize": 122}}]}),
    ]
}

/// A rendering: JSON, pretty JSON or YAML.
fn render(v: &Value, how: u64) -> String {
    match how % 3 {
        0 => serde_json::to_string(v).unwrap(),
        1 => serde_json::to_string_pretty(v).unwrap(),
        _ => serde_yaml::to_string(v).unwrap_or_else(|_| serde_json::to_string(v).unwrap()),
    }
}

/// Choices for value-level mutations: up to four.
fn choices() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(any::<u64>(), 0..8)
}

/// Choices for text-level mutations: none most of the time (so that most inputs still parse
/// and reach the code behind the parser), else one or two.
fn text_choices() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::vec(any::<u64>(), 1..4),
    ]
}

#[test]
fn hostile_fuzz_resource_documents() {
    let seeds = seed_resources();
    let strategy = prop_oneof![
        4 => (0..seeds.len(), choices(), text_choices(), any::<u64>())
            .prop_map(move |(i, v, t, how)| {
                let doc = render(&mutate_value(seed_resources()[i].clone(), &v), how);
                mutate_text(doc, &t)
            }),
        1 => any::<String>(),
        1 => prop::collection::vec(any::<u8>(), 0..512)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    drop(seeds);
    fuzz(
        "resources (YAML/JSON through parse_text and validation)",
        strategy,
        |text| {
            match calico::cli::resources::parse_text(&text) {
                Ok(resources) => {
                    let mut outcome = if resources.is_empty() {
                        "empty"
                    } else {
                        "valid"
                    };
                    for r in resources {
                        if let Err(e) = r.validate() {
                            assert!(!e.to_string().is_empty(), "empty validation error");
                            outcome = "invalid";
                        }
                        // What parses also renders.
                        let _ = r.to_value();
                    }
                    outcome
                }
                Err(e) => {
                    assert!(!e.message().trim().is_empty(), "empty load error");
                    "unparsable"
                }
            }
        },
    );
}

fn selector_tokens() -> impl Strategy<Value = String> {
    const VOCAB: &[&str] = &[
        "a",
        "b.c/d-e_f",
        "x",
        "==",
        "!=",
        "in",
        "not in",
        "has(",
        ")",
        "(",
        "!",
        "&&",
        "||",
        "{",
        "}",
        ",",
        "'v'",
        "\"w\"",
        "all()",
        "global()",
        "contains",
        "starts with",
        "ends with",
        "\\",
        "'",
        "\"",
        " ",
        "\n",
        "é",
        "a==",
        "==b",
        "has(a)",
        "'a'",
        "k == 'v'",
        "!!",
        "{'a', 'b'}",
        "\u{0}",
        "projectcalico.org/namespace",
    ];
    prop::collection::vec(0..VOCAB.len(), 0..24)
        .prop_map(|ix| ix.iter().map(|&i| VOCAB[i]).collect::<Vec<_>>().join(" "))
}

/// Selectors from Calico's grammar (labels, operators, sets, functions, nesting), some then
/// cut or spliced.
fn selector_grammar() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("a".to_string()),
        Just("x".to_string()),
        Just("projectcalico.org/namespace".to_string()),
        "[a-z][a-z0-9./_-]{0,12}",
    ];
    let value = prop_oneof![
        Just("v".to_string()),
        Just("".to_string()),
        Just("it's".to_string()),
        Just("say \"hi\"".to_string()),
        "[ -~]{0,8}",
    ];
    let quote = |v: &str| {
        if v.contains('\'') {
            format!("\"{}\"", v.replace('"', ""))
        } else {
            format!("'{v}'")
        }
    };
    let leaf = (
        key,
        value.clone(),
        prop::collection::vec(value, 0..3),
        0..12u8,
    )
        .prop_map(move |(k, v, set, op)| {
            let set = set.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
            match op {
                0 => format!("{k} == {}", quote(&v)),
                1 => format!("{k} != {}", quote(&v)),
                2 => format!("has({k})"),
                3 => format!("!has({k})"),
                4 => format!("{k} in {{{set}}}"),
                5 => format!("{k} not in {{{set}}}"),
                6 => "all()".to_string(),
                7 => "global()".to_string(),
                8 => format!("{k} contains {}", quote(&v)),
                9 => format!("{k} starts with {}", quote(&v)),
                10 => format!("{k} ends with {}", quote(&v)),
                _ => format!("!{k} == {}", quote(&v)),
            }
        });
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} || {b}")),
            inner.clone().prop_map(|a| format!("!({a})")),
            inner.prop_map(|a| format!("( {a} )")),
        ]
    })
}

#[test]
fn hostile_fuzz_selectors() {
    let strategy = prop_oneof![
        4 => (selector_grammar(), text_choices()).prop_map(|(s, t)| mutate_text(s, &t)),
        2 => selector_tokens(),
        1 => any::<String>(),
        1 => "[ -~]{0,60}",
    ];
    let label_maps = prop::collection::vec(
        prop::collection::btree_map(
            prop::sample::select(vec!["a", "x", "p", "h", "projectcalico.org/namespace"]),
            prop::sample::select(vec!["v", "", "it's", "say \"hi\"", "*", "w"]),
            0..4,
        ),
        1..4,
    );
    fuzz(
        "selectors (parse, canonical form, match)",
        (strategy, label_maps),
        |(s, maps)| match calico::selector::parse(&s) {
            Ok(sel) => {
                // The canonical form parses back to an equivalent selector. (Not always the
                // same tree: `!(!a)` prints as `!!a`, which the parser folds to `a`, as
                // Calico's does.)
                let canonical = sel.to_string();
                let again = calico::selector::parse(&canonical)
                    .unwrap_or_else(|e| panic!("{s:?} → {canonical:?} does not parse: {e}"));
                for m in &maps {
                    let labels: std::collections::BTreeMap<String, String> = m
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    assert_eq!(
                        sel.matches(&labels),
                        again.matches(&labels),
                        "{s:?} and its canonical form {canonical:?} disagree on {labels:?}"
                    );
                }
                let _ = calico::selector::normalise(&s);
                "valid"
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                "refused"
            }
        },
    );
}

fn cidr_tokens() -> impl Strategy<Value = String> {
    const VOCAB: &[&str] = &[
        "0",
        "1",
        "9",
        "10",
        "255",
        "256",
        "65535",
        ".",
        ":",
        "::",
        "/",
        "ffff",
        "%eth0",
        "-",
        "+",
        " ",
        "0x",
        "1.2.3.4",
        "/32",
        "/33",
        "/0",
        "/128",
        "/129",
        "/-1",
        "/ 8",
        "\u{663}",
        "::ffff:",
        "1:2:3:4:5:6:7:8",
        "08",
        "/008",
    ];
    prop::collection::vec(0..VOCAB.len(), 0..10)
        .prop_map(|ix| ix.iter().map(|&i| VOCAB[i]).collect::<String>())
}

/// Addresses and prefixes, mostly well-formed, with out-of-range parts, leading zeros and
/// compressed IPv6 forms mixed in.
fn cidr_shapes() -> impl Strategy<Value = String> {
    let octet = prop_oneof![8 => 0..256u32, 1 => 256..1000u32];
    let v4 = (
        prop::array::uniform4(octet),
        0..40u32,
        any::<bool>(),
        0..4u8,
    )
        .prop_map(|(o, p, with_prefix, style)| {
            let addr = match style {
                0 => format!("0{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
                _ => format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
            };
            if with_prefix {
                format!("{addr}/{p}")
            } else {
                addr
            }
        });
    let v6 = (
        prop::collection::vec(any::<u16>(), 0..9),
        0..10usize,
        0..140u32,
        any::<bool>(),
    )
        .prop_map(|(groups, gap, p, with_prefix)| {
            let hex: Vec<String> = groups.iter().map(|g| format!("{g:x}")).collect();
            let gap = gap.min(hex.len());
            let addr = if hex.len() < 8 {
                format!("{}::{}", hex[..gap].join(":"), hex[gap..].join(":"))
            } else {
                hex.join(":")
            };
            if with_prefix {
                format!("{addr}/{p}")
            } else {
                addr
            }
        });
    prop_oneof![v4, v6]
}

#[test]
fn hostile_fuzz_cidrs() {
    let strategy = prop_oneof![
        4 => (cidr_shapes(), text_choices()).prop_map(|(s, t)| mutate_text(s, &t)),
        2 => cidr_tokens(),
        1 => any::<String>(),
    ];
    fuzz(
        "CIDRs (Cidr::parse, parse_ip_or_cidr, key form)",
        strategy,
        |s| {
            let mut outcome = "refused";
            for parsed in [
                Cidr::parse(&s),
                Cidr::parse_ip_or_cidr(&s),
                Cidr::from_key_form(&s),
            ] {
                match parsed {
                    Ok(c) => {
                        outcome = "valid";
                        let again = Cidr::parse(&c.to_string())
                            .unwrap_or_else(|e| panic!("{s:?} → {c} does not parse: {e}"));
                        assert_eq!(again, c);
                        assert_eq!(Cidr::from_key_form(&c.to_key_form()).ok(), Some(c));
                        let n = c.network();
                        assert!(n.contains(&c) && n.contains_ip(c.addr()));
                        let _ = (n.size(), n.first(), n.last(), n.size_f64());
                        let bits = c.bits();
                        for p in [c.prefix(), c.prefix().saturating_add(1).min(bits), bits] {
                            if p >= c.prefix() && p - c.prefix() < 64 {
                                let k = n.subnet_count(p);
                                let last = n.subnet(p, k - 1);
                                assert!(n.contains(&last));
                            }
                        }
                    }
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
            }
            outcome
        },
    );
}

fn seed_netconf() -> Value {
    json!({
        "cniVersion": "1.0.0",
        "name": "k8s-pod-network",
        "type": "calico",
        "nodename": "node-1",
        "datastore_type": "memory",
        "feature_control": {"floating_ips": true, "ip_addrs_no_ipam": true},
        "ipam": {"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "false",
                 "ipv4_pools": ["10.0.0.0/16", "default-ipv4-ippool"], "ipv6_pools": [],
                 "routes": [{"dst": "0.0.0.0/0"}]},
        "args": {"k8s": {"annotations": {"cni.projectcalico.org/ipAddrs": "[\"10.0.0.5\"]",
                                          "cni.projectcalico.org/floatingIPs": "[\"172.16.0.1\"]",
                                          "cni.projectcalico.org/ipv4pools": "[\"p1\"]"},
                         "namespace_annotations": {"cni.projectcalico.org/ipv6pools": "[\"fd00::/64\"]"},
                         "namespace_labels": {"a": "b"}}},
        "prevResult": {"cniVersion": "1.0.0", "ips": [{"address": "10.0.0.5/32"}]}
    })
}

#[test]
fn hostile_fuzz_cni_netconf() {
    let dir = TestDir::new("calico-fuzz-cni");
    let lock = dir.path().join("ipam.lock").display().to_string();
    const COMMANDS: &[&str] = &[
        "ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC", "", "add", "BOGUS",
    ];
    let strategy = (
        prop_oneof![
            4 => (choices(), text_choices(), any::<u64>()).prop_map(|(v, t, how)| {
                mutate_text(render(&mutate_value(seed_netconf(), &v), how % 2), &t)
            }),
            1 => any::<String>(),
        ],
        0..COMMANDS.len(),
        prop_oneof![Just(String::new()), "[a-z0-9-]{1,20}", any::<String>()],
        prop_oneof![
            Just(String::new()),
            "[A-Z_]{1,10}=[a-z0-9;=]{0,20}",
            any::<String>()
        ],
    );
    fuzz(
        "CNI network configurations (calico-ipam, memory store)",
        strategy,
        |(conf, cmd, container, args)| {
            // Whatever the mutation did, the plugin only ever gets a throw-away memory store and
            // a lock file in the test's directory: nothing outside it is touched.
            let stdin = match serde_json::from_str::<Value>(&conf) {
                Ok(Value::Object(mut m)) => {
                    m.insert("datastore_type".into(), json!("memory"));
                    m.insert("ipam_lock_file".into(), json!(lock));
                    for k in ["datastore_path", "etcd_endpoints", "nodename_file"] {
                        m.remove(k);
                    }
                    serde_json::to_vec(&m).unwrap()
                }
                _ => conf.into_bytes(),
            };
            let inv = calico::cni::Invocation {
                command: COMMANDS[cmd].to_string(),
                container_id: container,
                netns: "/var/run/netns/x".into(),
                ifname: "eth0".into(),
                args: args.clone(),
                path: "/opt/cni/bin".into(),
                stdin,
            };
            match calico::cni::run(&inv) {
                Ok(Some(v)) => {
                    let _ = serde_json::to_string(&v).unwrap();
                    "result"
                }
                Ok(None) => "success",
                Err(e) => {
                    assert!(
                        e.code > 0 && !e.msg.trim().is_empty(),
                        "unclear CNI error {e:?}"
                    );
                    let _ = serde_json::to_string(&e).unwrap();
                    match e.code {
                        1 => "error 1 (version)",
                        4 => "error 4 (environment)",
                        6 => "error 6 (decode)",
                        7 => "error 7 (config)",
                        100 => "error 100 (IPAM)",
                        _ => "other error",
                    }
                }
            }
        },
    );
}

/// An embedded store with a pool, nodes, endpoints in use and leaked addresses.
fn report_fixture(dir: &TestDir, leaked: usize, used: usize) -> (std::path::PathBuf, Store) {
    let db = dir.path().join("datastore.db");
    let store: Store = Arc::new(EmbeddedStore::open(&db).unwrap());
    let client = Client::new(store.clone());
    calico::cli::ops::ensure_initialized(&client);
    let mut pool = IpPool::new("fuzz-pool", "10.99.0.0/20");
    pool.spec.block_size = 26;
    client.create(pool).unwrap();
    client.create(Node::new("node-f")).unwrap();
    let ipam = Ipam::new(client.clone());
    for i in 0..leaked + used {
        let got = ipam
            .auto_assign(&AutoAssignRequest {
                num4: 1,
                handle_id: Some(format!("net.c{i}")),
                hostname: "node-f".into(),
                attrs: [("node".to_string(), "node-f".to_string())].into(),
                ..Default::default()
            })
            .unwrap();
        if i >= leaked {
            let ip = got.ipv4.unwrap().ips[0].addr();
            let mut w = calico::model::WorkloadEndpoint::default();
            w.metadata.name = format!("node--f-cni-c{i}-eth0");
            w.metadata.namespace = "default".into();
            w.spec.node = "node-f".into();
            w.spec.orchestrator = "cni".into();
            w.spec.endpoint = "eth0".into();
            w.spec.container_id = format!("c{i}");
            w.spec.ip_networks = vec![format!("{ip}/32")];
            client.create(w).unwrap();
        }
    }
    (db, store)
}

#[test]
fn hostile_fuzz_ipam_check_reports() {
    use clap::Parser;
    let dir = TestDir::new("calico-fuzz-report");
    let (db, store) = report_fixture(&dir, 20, 20);
    let ipam = Ipam::new(Client::new(store.clone()));
    let seed = ipam.check(calico::cli::VERSION, &[]).unwrap().report;
    assert_eq!(
        seed.allocations.values().filter(|a| !a[0].in_use).count(),
        20
    );
    let in_use_before: Vec<std::net::IpAddr> = seed
        .allocations
        .iter()
        .filter(|(_, a)| a[0].in_use)
        .map(|(ip, _)| ip.parse().unwrap())
        .collect();
    let seed = serde_json::to_value(&seed).unwrap();
    let report = dir.path().join("report.json");
    let guid = seed["clusterGUID"].clone();
    let revision = seed["clusterInformationRevision"].clone();
    let strategy = prop_oneof![
        5 => (choices(), text_choices(), any::<u64>(), any::<bool>()).prop_map(move |(v, t, how, keep)| {
            let mut m = mutate_value(seed.clone(), &v);
            // Mostly keep the cluster's identity, so the release goes past the first checks.
            if keep && let Value::Object(o) = &mut m {
                o.insert("clusterGUID".into(), guid.clone());
                o.insert("clusterInformationRevision".into(), revision.clone());
            }
            mutate_text(render(&m, how % 2), &t)
        }),
        1 => any::<String>(),
    ];
    let db_arg = db.display().to_string();
    fuzz(
        "ipam check reports (ipam release --from-report, embedded store)",
        strategy,
        |text| {
            std::fs::write(&report, &text).unwrap();
            let cli = calico::cli::Cli::try_parse_from([
                "calicoctl",
                "--datastore-type",
                "embedded",
                "--datastore-path",
                &db_arg,
                "ipam",
                "release",
                "--from-report",
                report.to_str().unwrap(),
                "--force",
            ])
            .unwrap();
            let mut out = Vec::new();
            match calico::cli::run(cli, &mut out) {
                Ok(()) if String::from_utf8_lossy(&out).contains("Released") => "released",
                Ok(()) => "nothing to release",
                Err(e) => {
                    assert!(!e.message.trim().is_empty(), "an empty error");
                    if e.message.starts_with("failed to parse report") {
                        "unparsable"
                    } else {
                        "refused"
                    }
                }
            }
        },
    );
    // Whatever the reports said, IPAM is sound and no address in use was released.
    let a = audit(store.as_ref());
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    for ip in in_use_before {
        assert!(
            a.allocated.contains_key(&ip),
            "{ip} was in use and got released"
        );
    }
    assert_eq!(
        EmbeddedStore::open(&db).unwrap().integrity_check().unwrap(),
        "ok"
    );
}

// ---- Oversized input through the real binaries ----

fn run(mut c: Command, stdin: &[u8]) -> (Output, Duration) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let o = child.wait_with_output().unwrap();
    let _ = writer.join();
    (o, t.elapsed())
}

/// Fails unless the process exited by itself (no signal: no crash, no stack overflow).
fn no_crash(what: &str, o: &Output) {
    assert!(
        o.status.signal().is_none() && o.status.code().is_some_and(|c| c < 100),
        "{what} crashed: {:?}: {}",
        o.status,
        text(o).chars().take(2000).collect::<String>()
    );
}

struct Ctl {
    env: Vec<(String, String)>,
}

impl Ctl {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = calicoctl();
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.args(args);
        c
    }
}

fn pools_list(n: usize) -> String {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                   "metadata": {"name": format!("pool-{i:05}")},
                   "spec": {"cidr": format!("10.{}.{}.0/24", i / 256, i % 256)}})
        })
        .collect();
    serde_json::to_string(
        &json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPoolList", "items": items}),
    )
    .unwrap()
}

fn big_list(ctl: &Ctl, dir: &TestDir, n: usize) -> Duration {
    let f = dir.path().join(format!("pools-{n}.json"));
    std::fs::write(&f, pools_list(n)).unwrap();
    let (o, took) = run(ctl.cmd(&["create", "-f", f.to_str().unwrap()]), b"");
    no_crash("create of a big List", &o);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("Successfully created {n} 'IPPool' resource(s)\n")
    );
    let (o, _) = run(ctl.cmd(&["get", "ippools"]), b"");
    let listed = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with("pool-"))
        .count();
    assert_eq!(listed, n);
    took
}

/// Pod `pod`'s endpoint on node-1, with an annotation of `bytes` bytes.
fn wep_with_annotation(pod: &str, bytes: usize) -> String {
    format!(
        "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n  name: node--1-k8s-{pod}-eth0\n  namespace: default\n  annotations:\n    big: {}\nspec:\n  orchestrator: k8s\n  node: node-1\n  pod: {pod}\n  endpoint: eth0\n  containerID: abc\n",
        "x".repeat(bytes)
    )
}

/// Values beyond etcd's request limit, and big or deep files: refused clearly, nothing
/// half-written.
fn oversized(ctl: &Ctl, dir: &TestDir, store: &dyn KvStore, label: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let revision = store.revision().unwrap();
    // A WorkloadEndpoint of 2 MB: above etcd's 1.5 MiB request limit.
    let f = dir.path().join("wep-2mb.yaml");
    std::fs::write(&f, wep_with_annotation("pod", 2 << 20)).unwrap();
    let (o, took) = run(ctl.cmd(&["create", "-f", f.to_str().unwrap()]), b"");
    no_crash("2 MB WorkloadEndpoint", &o);
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("transaction too large"),
        "{label}: {t}"
    );
    assert!(t.contains("1.5 MiB"), "{label}: {t}");
    assert_eq!(
        store.revision().unwrap(),
        revision,
        "{label}: something was written"
    );
    notes.push(format!("2 MB WorkloadEndpoint refused in {took:.2?}"));
    // One of 1 MB (under the limit) is fine.
    let f1 = dir.path().join("wep-1mb.yaml");
    std::fs::write(&f1, wep_with_annotation("pod2", 1 << 20)).unwrap();
    let (o, _) = run(ctl.cmd(&["create", "-f", f1.to_str().unwrap()]), b"");
    assert!(o.status.success(), "{label}: {}", text(&o));
    // A 20 MB file holding one such resource: refused the same way.
    let f20 = dir.path().join("wep-20mb.yaml");
    std::fs::write(&f20, wep_with_annotation("pod3", 20 << 20)).unwrap();
    let revision = store.revision().unwrap();
    let (o, took) = run(ctl.cmd(&["apply", "-f", f20.to_str().unwrap()]), b"");
    no_crash("20 MB file", &o);
    assert!(
        !o.status.success() && text(&o).contains("transaction too large"),
        "{label}: {}",
        text(&o).chars().take(500).collect::<String>()
    );
    assert_eq!(store.revision().unwrap(), revision);
    notes.push(format!("20 MB resource file refused in {took:.2?}"));
    // 20 MB of binary garbage.
    let garbage: Vec<u8> = (0..20u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let fg = dir.path().join("garbage.yaml");
    std::fs::write(&fg, &garbage).unwrap();
    let (o, took) = run(ctl.cmd(&["create", "-f", fg.to_str().unwrap()]), b"");
    no_crash("20 MB of garbage", &o);
    assert!(
        !o.status.success() && text(&o).contains("not valid UTF-8"),
        "{}",
        text(&o)
    );
    notes.push(format!("20 MB of binary garbage refused in {took:.2?}"));
    // Deep nesting (YAML flow and JSON), and an alias bomb.
    for (name, body) in [
        ("deep-yaml", "[".repeat(200_000)),
        (
            "deep-json",
            format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)),
        ),
        ("alias-bomb", {
            let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..12 {
                let p = i - 1;
                s.push_str(&format!(
                        "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
                    ));
            }
            s
        }),
    ] {
        let f = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&f, body).unwrap();
        let (o, took) = run(ctl.cmd(&["create", "-f", f.to_str().unwrap()]), b"");
        no_crash(name, &o);
        assert!(!o.status.success(), "{name}: {}", text(&o));
        assert!(took < Duration::from_secs(20), "{name}: {took:?}");
        notes.push(format!("{name} refused in {took:.2?}"));
    }
    // A pool whose node selector nests 100,000 parentheses.
    let sel = format!("{}a == 'b'{}", "(".repeat(100_000), ")".repeat(100_000));
    let f = dir.path().join("deep-selector.yaml");
    std::fs::write(
        &f,
        format!(
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: deep\nspec:\n  cidr: 10.200.0.0/16\n  nodeSelector: \"{sel}\"\n"
        ),
    )
    .unwrap();
    let (o, took) = run(ctl.cmd(&["create", "-f", f.to_str().unwrap()]), b"");
    no_crash("deeply nested selector", &o);
    notes.push(format!(
        "selector nested 100,000 deep: {} in {took:.2?}",
        if o.status.success() {
            "accepted"
        } else {
            "refused"
        }
    ));
    notes
}

#[test]
fn hostile_oversized_inputs_embedded() {
    let dir = TestDir::new("calico-big");
    let db = dir.path().join("datastore.db");
    let ctl = Ctl {
        env: vec![
            ("DATASTORE_TYPE".into(), "embedded".into()),
            ("CALICO_DATASTORE_PATH".into(), db.display().to_string()),
        ],
    };
    let n = knob("CALICO_BIG_POOLS", 10_000) as usize;
    let took = big_list(&ctl, &dir, n);
    let store = EmbeddedStore::open(&db).unwrap();
    let notes = oversized(&ctl, &dir, &store, "embedded");
    assert_eq!(store.integrity_check().unwrap(), "ok");
    figure(&format!(
        "big inputs (embedded): List of {n} pools created in {took:.2?}; {}",
        notes.join("; ")
    ));
}

#[test]
fn hostile_oversized_inputs_etcd() {
    let etcd = EtcdServer::start();
    let dir = TestDir::new("calico-big-etcd");
    let ctl = Ctl {
        env: vec![
            ("DATASTORE_TYPE".into(), "etcdv3".into()),
            ("ETCD_ENDPOINTS".into(), etcd.endpoint()),
        ],
    };
    let n = knob("CALICO_BIG_POOLS_ETCD", 2_000) as usize;
    let took = big_list(&ctl, &dir, n);
    let store = etcd.store();
    let notes = oversized(&ctl, &dir, &store, "etcd");
    figure(&format!(
        "big inputs (etcd): List of {n} pools created in {took:.2?}; {}",
        notes.join("; ")
    ));
}

#[test]
fn hostile_oversized_cni_input_and_big_release() {
    let dir = TestDir::new("calico-big-cni");
    // 20 MB and deeply nested network configurations.
    for (name, body) in [
        ("20 MB", {
            let mut v = seed_netconf();
            v["pad"] = json!("x".repeat(20 << 20));
            serde_json::to_vec(&v).unwrap()
        }),
        (
            "deep",
            format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes(),
        ),
    ] {
        let mut c = calico_ipam();
        c.env("CNI_COMMAND", "ADD")
            .env("CNI_CONTAINERID", "big")
            .env("CNI_NETNS", "/var/run/netns/big")
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", "/opt/cni/bin");
        let (o, took) = run(c, &body);
        no_crash(name, &o);
        assert!(!o.status.success(), "{name}");
        let v: Value = serde_json::from_slice(&o.stdout).expect("a CNI error object");
        assert!(v["code"].as_u64().is_some_and(|c| c > 0), "{v}");
        assert!(took < Duration::from_secs(10), "{name}: {took:?}");
    }
    // A report with 600 leaked addresses across many blocks: released in transactions etcd
    // would accept (at most 128 operations each), all of them, nothing else.
    let (db, store) = report_fixture(&dir, 600, 10);
    let ctl = Ctl {
        env: vec![
            ("DATASTORE_TYPE".into(), "embedded".into()),
            ("CALICO_DATASTORE_PATH".into(), db.display().to_string()),
        ],
    };
    let report = dir.path().join("report.json");
    let (o, _) = run(
        ctl.cmd(&["ipam", "check", "-o", report.to_str().unwrap()]),
        b"",
    );
    assert!(
        text(&o).contains("Found 600 IPs that are allocated in IPAM but not actually in use."),
        "{}",
        text(&o)
    );
    let (o, took) = run(
        ctl.cmd(&[
            "ipam",
            "release",
            "--from-report",
            report.to_str().unwrap(),
            "--force",
        ]),
        b"",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Released 600 IPs successfully"),
        "{}",
        text(&o)
    );
    let a = audit(store.as_ref());
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    assert_eq!(a.allocated.len(), 10);
    figure(&format!(
        "big inputs (CNI): 20 MB and 200,000-deep network configurations refused with CNI errors; \
         a report of 600 leaked addresses released in {took:.2?}, exactly those"
    ));
}
