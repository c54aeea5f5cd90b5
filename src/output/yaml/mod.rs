//! `-o yaml` and `-o json` exactly as calicoctl v3.31 prints them.
//!
//! calicoctl marshals a resource to JSON and converts that to YAML with
//! projectcalico/go-yaml-wrapper (a ghodss/yaml fork): the JSON is decoded by go-yaml v2
//! into plain maps, slices and scalars, and encoded again by go-yaml v2. So the YAML is
//! go-yaml v2's encoder applied to the JSON value, and that is what [`to_yaml`] emulates:
//! - mapping keys in go-yaml's order (runes compared one by one, other characters before
//!   letters, runs of digits compared as numbers);
//! - block style with two-space indentation, sequences at their parent key's indentation,
//!   `{}` / `[]` for empty collections;
//! - strings double-quoted when a plain scalar would read back as something else under
//!   YAML 1.1 rules (`"1234"`, `"true"`, `"yes"`, `"2025-01-02T03:04:05Z"`, `"1:30"`),
//!   single-quoted when they cannot be plain (`'!all()'`), double-quoted with escapes when
//!   they hold characters YAML cannot print, literal blocks (`|-`) when they hold newlines,
//!   and long scalars folded at 80 columns;
//! - numbers as go-yaml prints what it decoded: integers as integers, other numbers as the
//!   shortest Go `%g` form (`1e+21`, `0.5`).
//!
//! The files below follow go-yaml v2's sources: `emitter` its libyaml-derived state machine
//! (`emitterc.go`) for the events this data can produce, `scalar` its scalar analysis, `keys`
//! its key order (`sorter.go`); the style choices of `encode.go` are here. Which plain
//! scalars read back as strings is go-yaml's resolver, in [`crate::go::yaml`].

use crate::go::json as gojson;
use crate::go::strconv::format_g;
use crate::go::yaml::{Plain, resolve_plain};
use emitter::{Emitter, Style};
use serde_json::{Number, Value};

mod emitter;
mod keys;
mod scalar;

/// `-o yaml`: the YAML document calicoctl prints for `value`, ending in a newline.
///
/// ```
/// let v = serde_json::json!({"spec": {"cidr": "10.0.0.0/16", "blockSize": 26},
///                            "metadata": {"resourceVersion": "1234"}});
/// assert_eq!(
///     calico::output::to_yaml(&v),
///     "metadata:\n  resourceVersion: \"1234\"\nspec:\n  blockSize: 26\n  cidr: 10.0.0.0/16\n"
/// );
/// ```
pub fn to_yaml(value: &Value) -> String {
    let mut emitter = Emitter::new();
    emitter.node(value, false, false);
    // Document end: go-yaml moves to a fresh line; the implicit end writes nothing else.
    emitter.write_indent();
    emitter.out
}

/// `-o json`: Go's `json.MarshalIndent(value, "", "  ")` plus the newline calicoctl adds.
pub fn to_json(value: &Value) -> String {
    let mut out = gojson::to_string_indent(value);
    out.push('\n');
    out
}

/// The style go-yaml's encoder asks for a string (`encode.go` `stringv`).
fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if matches!(resolve_plain(s), Plain::Str) && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// How go-yaml prints a JSON number after decoding it: Go's JSON encoder writes integral
/// values below 1e21 without a fraction, which go-yaml reads back as an integer when it fits
/// 64 bits; everything else is a float, printed with `strconv.FormatFloat(f, 'g', -1, 64)`.
fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        // 2^63 and 2^64 are exact in f64, so these bounds are the integer ranges.
        let two_63 = 2f64.powi(63);
        if (-two_63..two_63).contains(&f) {
            return (f as i64).to_string();
        }
        if (0.0..2f64.powi(64)).contains(&f) {
            return (f as u64).to_string();
        }
    }
    format_g(f, None)
}

/// go-yaml quotes YAML 1.1 base-60 floats (`1:30`, `-1:20:30.5`) for other parsers' sake:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !matches!(b.get(i), Some(b'0'..=b'9')) || !s.contains(':') {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::keys::sorted_keys;
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::FileFailurePersistence;
    use serde_json::json;

    fn ippool(name: &str, cidr: &str, rv: &str) -> Value {
        json!({
            "kind": "IPPool",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {
                "name": name,
                "uid": "7c2e3c5a-0b8e-4a55-9a1e-1a2b3c4d5e6f",
                "resourceVersion": rv,
                "creationTimestamp": "2025-01-02T03:04:05Z"
            },
            "spec": {
                "cidr": cidr,
                "vxlanMode": "Never",
                "ipipMode": "Never",
                "natOutgoing": true,
                "blockSize": 26,
                "nodeSelector": "all()",
                "allowedUses": ["Workload", "Tunnel"],
                "assignmentMode": "Automatic"
            }
        })
    }

    #[test]
    fn ippool_list_matches_calicoctl() {
        let list = json!({
            "kind": "IPPoolList",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {"resourceVersion": "1234"},
            "items": [
                ippool("default-ipv4-ippool", "10.0.0.0/16", "1230"),
                ippool("v6", "fd00:10::/64", "1231"),
            ]
        });
        let expected = "\
apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    creationTimestamp: \"2025-01-02T03:04:05Z\"
    name: default-ipv4-ippool
    resourceVersion: \"1230\"
    uid: 7c2e3c5a-0b8e-4a55-9a1e-1a2b3c4d5e6f
  spec:
    allowedUses:
    - Workload
    - Tunnel
    assignmentMode: Automatic
    blockSize: 26
    cidr: 10.0.0.0/16
    ipipMode: Never
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Never
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    creationTimestamp: \"2025-01-02T03:04:05Z\"
    name: v6
    resourceVersion: \"1231\"
    uid: 7c2e3c5a-0b8e-4a55-9a1e-1a2b3c4d5e6f
  spec:
    allowedUses:
    - Workload
    - Tunnel
    assignmentMode: Automatic
    blockSize: 26
    cidr: fd00:10::/64
    ipipMode: Never
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Never
kind: IPPoolList
metadata:
  resourceVersion: \"1234\"
";
        assert_eq!(to_yaml(&list), expected);
    }

    #[test]
    fn empty_list_and_empty_collections() {
        let list = json!({
            "kind": "IPPoolList",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {"resourceVersion": "77"},
            "items": []
        });
        assert_eq!(
            to_yaml(&list),
            "apiVersion: projectcalico.org/v3\nitems: []\nkind: IPPoolList\nmetadata:\n  resourceVersion: \"77\"\n"
        );
        assert_eq!(
            to_yaml(&json!({"a": {}, "b": [[], {}]})),
            "a: {}\nb:\n- []\n- {}\n"
        );
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
    }

    #[test]
    fn top_level_scalars_and_sequences() {
        assert_eq!(to_yaml(&Value::Null), "null\n");
        assert_eq!(to_yaml(&json!("x")), "x\n");
        assert_eq!(to_yaml(&json!(true)), "true\n");
        assert_eq!(
            to_yaml(&json!([{"b": 1, "a": [1, [2, 3]]}, "s"])),
            "- a:\n  - 1\n  - - 2\n    - 3\n  b: 1\n- s\n"
        );
        assert_eq!(
            to_yaml(&json!({"creationTimestamp": null, "n": [null]})),
            "creationTimestamp: null\n\"n\":\n- null\n"
        );
    }

    #[test]
    fn calico_scalars_from_the_reference() {
        let v = json!({
            "resourceVersion": "1234",
            "creationTimestamp": "2025-01-02T03:04:05Z",
            "nodeSelector": "all()",
            "negated": "!all()",
            "rack": "rack == \"0\"",
            "cidr": "10.0.0.0/16",
            "blockSize": 26,
            "and": "a && b",
        });
        assert_eq!(
            to_yaml(&v),
            "and: a && b\nblockSize: 26\ncidr: 10.0.0.0/16\ncreationTimestamp: \"2025-01-02T03:04:05Z\"\n\
             negated: '!all()'\nnodeSelector: all()\nrack: rack == \"0\"\nresourceVersion: \"1234\"\n"
        );
    }

    fn scalar(s: &str) -> String {
        let out = to_yaml(&json!(s));
        out.strip_suffix('\n').unwrap_or(&out).to_string()
    }

    #[test]
    fn strings_that_resolve_to_other_types_are_double_quoted() {
        for s in [
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "true",
            "True",
            "TRUE",
            "false",
            "y",
            "Y",
            "yes",
            "Yes",
            "n",
            "NO",
            "on",
            "On",
            "off",
            "OFF",
            "0",
            "-1",
            "+7",
            "1234",
            "0x1F",
            "0X1f",
            "0o17",
            "0755",
            "08",
            "0b101",
            "-0b11",
            "1_000",
            "1e3",
            "1.5",
            "-2.5e-3",
            ".5",
            ".5_0",
            "1.",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "99999999999999999999",
            "18446744073709551615",
            "1e-400",
            "12:30",
            "1:2:3",
            "-1:20:30.5",
            "190:20:30",
            "2025-01-02",
            "2025-1-2",
            "2025-01-02T03:04:05Z",
            "2025-01-02t03:04:05.123456789+05:30",
            "2025-01-02 03:04:05",
            "2025-01-02   3:4:5,5",
            "2024-02-29",
            "2025-01-02T03:04:05-24:60",
            "1__0_",
            "1_",
        ] {
            assert_eq!(scalar(s), format!("\"{s}\""), "{s:?}");
        }
    }

    #[test]
    fn strings_that_stay_plain() {
        for s in [
            "all()",
            "nULL",
            "yES",
            "tru",
            "ok",
            "<<",
            ".",
            "+",
            "-a",
            ":a",
            "?a",
            "a:b",
            "a#b",
            "fd00::/64",
            "12:60",
            "1:2:99",
            "1e400",
            "0x",
            "0b",
            "0b2",
            "1.2.3",
            "2025-02-30",
            "2025-13-01",
            "2025-01-02T24:00:00Z",
            "2025-01-02T03:04:05",
            "2025-01-02T03:04:05+5:30",
            "2023-02-29",
            "2025-01-02x",
            "a b  c",
            "é",
            "a'b",
            "a\"b",
            "._5",
        ] {
            assert_eq!(scalar(s), s, "{s:?}");
        }
    }

    #[test]
    fn indicators_force_single_quotes() {
        let cases = [
            ("!all()", "'!all()'"),
            ("-", "'-'"),
            ("- a", "'- a'"),
            ("?", "'?'"),
            (":", "':'"),
            ("a: b", "'a: b'"),
            ("a:", "'a:'"),
            ("a #b", "'a #b'"),
            ("#x", "'#x'"),
            ("&a", "'&a'"),
            ("*a", "'*a'"),
            ("|", "'|'"),
            (">", "'>'"),
            ("%x", "'%x'"),
            ("@x", "'@x'"),
            ("`x", "'`x'"),
            ("[a]", "'[a]'"),
            ("{a}", "'{a}'"),
            (",", "','"),
            ("'q'", "'''q'''"),
            ("\"q\"", "'\"q\"'"),
            ("---", "'---'"),
            ("...x", "'...x'"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
        ];
        for (s, want) in cases {
            assert_eq!(scalar(s), want, "{s:?}");
        }
    }

    #[test]
    fn unprintable_characters_force_double_quotes_with_escapes() {
        let cases = [
            ("a\tb", "\"a\\tb\""),
            ("bell\u{7}", "\"bell\\a\""),
            ("nul\0", "\"nul\\0\""),
            ("\u{1}", "\"\\x01\""),
            ("del\u{7f}", "\"del\\x7F\""),
            ("c1\u{85}", "\"c1\\N\""),
            ("\u{9b}", "\"\\x9B\""),
            ("a\rb", "\"a\\rb\""),
            // LINE SEPARATOR is a printable line break: single quotes, and go-yaml pads the
            // "next line" without writing a newline of its own.
            ("ls\u{2028}x", "'ls\u{2028}  x'"),
            ("smile 😀", "\"smile \\U0001F600\""),
            ("\u{feff}ab", "\"\\uFEFF\\x61\\x62\""),
            ("\u{fffe}", "\"\\uFFFE\""),
            ("back\\slash\t\"", "\"back\\\\slash\\t\\\"\""),
            ("nbsp\u{a0}é", "nbsp\u{a0}é"),
        ];
        for (s, want) in cases {
            assert_eq!(scalar(s), want, "{s:?}");
        }
    }

    #[test]
    fn newlines_use_literal_blocks() {
        assert_eq!(to_yaml(&json!({"k": "a\nb"})), "k: |-\n  a\n  b\n");
        assert_eq!(to_yaml(&json!({"k": "a\nb\n"})), "k: |\n  a\n  b\n");
        assert_eq!(
            to_yaml(&json!({"k": "a\n\n", "z": 1})),
            "k: |+\n  a\n\nz: 1\n"
        );
        assert_eq!(to_yaml(&json!({"k": "\n"})), "k: |2+\n\n");
        assert_eq!(to_yaml(&json!({"k": " a\nb"})), "k: |2-\n   a\n  b\n");
        assert_eq!(to_yaml(&json!({"k": "a\n\nb"})), "k: |-\n  a\n\n  b\n");
        assert_eq!(to_yaml(&json!(["x\ny"])), "- |-\n  x\n  y\n");
        assert_eq!(to_yaml(&json!("top\nlevel")), "|-\n  top\n  level\n");
        // Trailing spaces before a newline, or tabs, rule the block style out.
        assert_eq!(to_yaml(&json!({"k": "a \nb"})), "k: \"a \\nb\"\n");
        assert_eq!(to_yaml(&json!({"k": "a\tb\nc"})), "k: \"a\\tb\\nc\"\n");
        // Lines starting with spaces are fine in a block; a space before a newline is not.
        assert_eq!(to_yaml(&json!({"k": "a\n  b"})), "k: |-\n  a\n    b\n");
        assert_eq!(to_yaml(&json!({"k": "a\n \nb"})), "k: \"a\\n \\nb\"\n");
    }

    #[test]
    fn long_scalars_fold_at_eighty_columns() {
        let words: Vec<String> = (0..30).map(|i| format!("word{i:02}")).collect();
        let text = words.join(" ");
        let out = to_yaml(&json!({"description": text}));
        let expected = "description: word00 word01 word02 word03 word04 word05 word06 word07 word08 word09\n  word10 word11 word12 word13 word14 word15 word16 word17 word18 word19 word20 word21\n  word22 word23 word24 word25 word26 word27 word28 word29\n";
        assert_eq!(out, expected);
        // Quoted scalars fold too; a double-quoted one escapes a following space.
        let quoted = format!("!{text}");
        assert_eq!(
            to_yaml(&json!({"d": quoted})),
            "d: '!word00 word01 word02 word03 word04 word05 word06 word07 word08 word09 word10\n  word11 word12 word13 word14 word15 word16 word17 word18 word19 word20 word21 word22\n  word23 word24 word25 word26 word27 word28 word29'\n"
        );
        let double = format!("{}\t{}  {}", "a".repeat(79), "b", "c");
        assert_eq!(
            to_yaml(&json!({"d": double})),
            format!("d: \"{}\\tb\n  \\ c\"\n", "a".repeat(79))
        );
        // Keys never fold, and a long word is never broken.
        let long_word = "x".repeat(100);
        assert_eq!(
            to_yaml(&json!({"k": format!("{long_word} {long_word}")})),
            format!("k: {long_word}\n  {long_word}\n")
        );
    }

    #[test]
    fn long_and_multiline_keys_are_complex() {
        let key = "k".repeat(129);
        assert_eq!(
            to_yaml(&json!({ key.clone(): [1] })),
            format!("? {key}\n: - 1\n")
        );
        assert_eq!(to_yaml(&json!({"a\nb": 1})), "? |-\n  a\n  b\n: 1\n");
        let key128 = "k".repeat(128);
        assert_eq!(
            to_yaml(&json!({ key128.clone(): 1 })),
            format!("{key128}: 1\n")
        );
        assert_eq!(
            to_yaml(&json!({"": 1, "y": 2, "a b": 3})),
            "\"\": 1\na b: 3\n\"y\": 2\n"
        );
    }

    #[test]
    fn keys_sort_like_go_yaml() {
        let v = json!({
            "b": 1, "a": 1, "B": 1, "a10": 1, "a9": 1, "a09": 1, "_x": 1, "1": 1, "10": 1,
            "2": 1, "a-b": 1, "ab": 1, "é": 1, "": 1, "a0": 1, "a00": 1, "z": 1,
        });
        let keys: Vec<&String> = sorted_keys(v.as_object().unwrap());
        assert_eq!(
            keys,
            vec![
                "", "_x", "1", "2", "10", "B", "a", "a-b", "a0", "a00", "a9", "a09", "a10", "ab",
                "b", "z", "é"
            ]
        );
    }

    #[test]
    fn numbers_print_as_go_yaml_decodes_them() {
        let v = json!([
            0,
            -5,
            26,
            9223372036854775807i64,
            18446744073709551615u64,
            1.5,
            3.0,
            -0.0,
            1e20,
            1e21,
            0.000001,
            1e-7,
            123456789.0,
            1234567.5,
            2.5e-5
        ]);
        assert_eq!(
            to_yaml(&v),
            "- 0\n- -5\n- 26\n- 9223372036854775807\n- 18446744073709551615\n- 1.5\n- 3\n- 0\n\
             - 1e+20\n- 1e+21\n- 1e-06\n- 1e-07\n- 123456789\n- 1.2345675e+06\n- 2.5e-05\n"
        );
    }

    #[test]
    fn json_output_appends_newline_and_escapes_like_go() {
        let v = json!({"kind": "IPPool", "spec": {"nodeSelector": "a && b"}, "items": []});
        assert_eq!(
            to_json(&v),
            "{\n  \"kind\": \"IPPool\",\n  \"spec\": {\n    \"nodeSelector\": \"a \\u0026\\u0026 b\"\n  },\n  \"items\": []\n}\n"
        );
        assert_eq!(to_json(&Value::Null), "null\n");
    }

    // -----------------------------------------------------------------------------------------
    // Round trip: whatever we print, a YAML parser reads back as the same JSON value.
    // -----------------------------------------------------------------------------------------

    /// Pieces that stress quoting: indicators, quotes, spaces, digits, YAML 1.1 words,
    /// newlines, tabs and non-ASCII. (No free-standing `e`: `1e400` is a string to go-yaml
    /// but an overflowing float to YAML 1.2 parsers, a disagreement we reproduce on purpose.)
    fn tricky_string() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            ":",
            "#",
            "'",
            "\"",
            "-",
            " ",
            "  ",
            "0",
            "1",
            "9",
            ".",
            "_",
            "true",
            "no",
            "yes",
            "null",
            "~",
            "\n",
            "\t",
            "\r",
            "a",
            "Z",
            "x",
            "!",
            "&",
            "*",
            "?",
            "|",
            ">",
            "%",
            "@",
            "`",
            "[",
            "]",
            "{",
            "}",
            ",",
            "\\",
            "é",
            "\u{2028}",
            "\u{85}",
            "😀",
            "\u{feff}",
            "2025-01-02",
            "T03:04:05Z",
            "0x",
            "0o",
            "0b",
            "+",
            "...",
            "---",
            "word ",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6)
                .prop_filter("fractional", |f| f.fract() != 0.0)
                .prop_map(Value::from),
            tricky_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((tricky_string(), inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: Some(Box::new(
                FileFailurePersistence::SourceParallel("testdata/proptest-regressions"),
            )),
            ..ProptestConfig::default()
        })]

        #[test]
        fn yaml_round_trips(value in json_value()) {
            let yaml = to_yaml(&value);
            let parsed: Value = serde_yaml::from_str(&yaml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert_eq!(parsed, value, "yaml:\n{}", yaml);
        }

        #[test]
        fn long_strings_round_trip(words in prop::collection::vec(tricky_string(), 10..40)) {
            let value = json!({"k": words.join(" "), "l": [words.join("  ")]});
            let yaml = to_yaml(&value);
            let parsed: Value = serde_yaml::from_str(&yaml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert_eq!(parsed, value, "yaml:\n{}", yaml);
        }
    }
}
