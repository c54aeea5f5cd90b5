//! Tests for the selector language: the vector table in `testdata/selectors/vectors.json`,
//! the public API, and property tests (round trip through the canonical form, matching
//! against an independent evaluator, alternative spellings, no panics on any input).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde::Deserialize;

use super::parser::MAX_NESTING;
use super::*;

// ---------------------------------------------------------------------------------------
// Vector table
// ---------------------------------------------------------------------------------------

const VECTORS: &str = include_str!("../../testdata/selectors/vectors.json");

#[derive(Deserialize)]
struct Vectors {
    matches: Vec<MatchVector>,
    errors: Vec<ErrorVector>,
    canonical: Vec<CanonicalVector>,
}

#[derive(Deserialize)]
struct MatchVector {
    selector: String,
    #[serde(rename = "match")]
    matching: Vec<BTreeMap<String, String>>,
    no_match: Vec<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct ErrorVector {
    selector: String,
    error: String,
}

#[derive(Deserialize)]
struct CanonicalVector {
    selector: String,
    canonical: String,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).expect("vectors.json is valid")
}

/// Expands `{{c*N}}` into `c` repeated `N` times.
fn expand(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed {{") + start;
        let (c, n) = rest[start + 2..end].split_once('*').expect("{{c*N}}");
        let n: usize = n.parse().expect("repeat count");
        out.push_str(&c.repeat(n));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn expand_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels.iter().map(|(k, v)| (expand(k), expand(v))).collect()
}

#[test]
fn vector_table_is_substantial() {
    let v = vectors();
    let match_cases: usize = v
        .matches
        .iter()
        .map(|m| m.matching.len() + m.no_match.len())
        .sum();
    assert!(v.matches.len() >= 60, "{} match selectors", v.matches.len());
    assert!(match_cases >= 150, "{match_cases} match cases");
    assert!(v.errors.len() >= 60, "{} error vectors", v.errors.len());
    assert!(
        v.canonical.len() >= 30,
        "{} canonical vectors",
        v.canonical.len()
    );
}

#[test]
fn vectors_match() {
    let mut failures = Vec::new();
    for vector in vectors().matches {
        let text = expand(&vector.selector);
        let selector = match parse(&text) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{:?}: unexpected error {e}", vector.selector));
                continue;
            }
        };
        // The canonical form must select the same label sets.
        let reparsed = parse(&selector.to_string()).expect("canonical form parses");
        for (labels, expected) in vector
            .matching
            .iter()
            .map(|l| (l, true))
            .chain(vector.no_match.iter().map(|l| (l, false)))
        {
            let labels = expand_labels(labels);
            for (which, sel) in [("parsed", &selector), ("canonical", &reparsed)] {
                if sel.matches(&labels) != expected {
                    failures.push(format!(
                        "{:?} ({which}) on {labels:?}: expected {expected}",
                        vector.selector
                    ));
                }
            }
            if selector.matches_fn(|k| labels.get(k).map(String::as_str)) != expected {
                failures.push(format!("{:?} matches_fn on {labels:?}", vector.selector));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn vectors_errors() {
    let mut failures = Vec::new();
    for vector in vectors().errors {
        let text = expand(&vector.selector);
        let expected = expand(&vector.error);
        match parse(&text) {
            Ok(s) => failures.push(format!("{:?}: parsed as {s}", vector.selector)),
            Err(e) if e.to_string() != expected => failures.push(format!(
                "{:?}: got {:?}, want {expected:?}",
                vector.selector,
                e.to_string()
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn vectors_canonical() {
    let mut failures = Vec::new();
    for vector in vectors().canonical {
        let selector = match parse(&expand(&vector.selector)) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{:?}: unexpected error {e}", vector.selector));
                continue;
            }
        };
        let canonical = selector.to_string();
        if canonical != expand(&vector.canonical) {
            failures.push(format!(
                "{:?}: rendered {canonical:?}, want {:?}",
                vector.selector, vector.canonical
            ));
        }
        match parse(&canonical) {
            Ok(again) if again == selector => {}
            other => failures.push(format!("{canonical:?} re-parsed as {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------

#[test]
fn all_and_default() {
    assert!(Selector::all().is_all());
    assert_eq!(Selector::default(), Selector::all());
    assert_eq!(Selector::all().to_string(), "all()");
    for text in ["", " \t", "all()", "(all())", "!!all()"] {
        assert!(parse(text).unwrap().is_all(), "{text:?}");
        assert_eq!(parse(text).unwrap(), Selector::all());
    }
    for text in ["global()", "!all()", "all() || has(a)", "a != 'b'"] {
        assert!(!parse(text).unwrap().is_all(), "{text:?}");
    }
    assert!(Selector::all().matches(&BTreeMap::new()));
    assert!(Selector::all().matches_fn(|_| None));
}

#[test]
fn from_str_and_expr() {
    let sel: Selector = "rack == '0'".parse().unwrap();
    assert_eq!(
        sel.expr(),
        &Expr::Compare {
            label: "rack".into(),
            op: Comparison::Eq("0".into()),
        }
    );
    let err = "rack ==".parse::<Selector>().unwrap_err();
    assert_eq!(err, SelectorError::ExpectedString);
}

#[test]
fn matches_fn_borrows_from_elsewhere() {
    struct Node {
        labels: Vec<(String, String)>,
    }
    let node = Node {
        labels: vec![
            ("kubernetes.io/hostname".into(), "n1".into()),
            ("rack".into(), "2".into()),
        ],
    };
    let lookup = |key: &str| {
        node.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert!(
        parse("rack in {'1', '2'} && kubernetes.io/hostname starts with 'n'")
            .unwrap()
            .matches_fn(lookup)
    );
    assert!(!parse("has(zone)").unwrap().matches_fn(lookup));
    assert!(parse("zone != 'a'").unwrap().matches_fn(lookup));
}

#[test]
fn normalise_trims_any_whitespace_and_keeps_bad_input() {
    assert_eq!(normalise(""), "all()");
    assert_eq!(normalise(" \n a=='b' \r\n"), r#"a == "b""#);
    assert_eq!(normalise("\tfoo bar \n"), "foo bar");
    assert_eq!(normalise("has(a)&&has(b)"), "(has(a) && has(b))");
}

#[test]
fn nesting_limit() {
    let nested = |n: usize| format!("{}has(a){}", "(".repeat(n), ")".repeat(n));
    assert_eq!(parse(&nested(MAX_NESTING)).unwrap().to_string(), "has(a)");
    assert_eq!(
        parse(&nested(MAX_NESTING + 1)).unwrap_err(),
        SelectorError::TooDeep { limit: MAX_NESTING }
    );
    // Far past the limit: an error, not a stack overflow.
    assert!(parse(&"(".repeat(1_000_000)).is_err());
}

/// The deepest tree the parser accepts is parsed, rendered, evaluated and dropped on a
/// thread with a quarter of the default test-thread stack.
#[test]
fn deepest_tree_fits_a_small_stack() {
    let mut text = String::from("has(z)");
    for i in 0..MAX_NESTING {
        let op = if i % 2 == 0 { "&&" } else { "||" };
        text = format!("!(has(a{i}) {op} {text})");
    }
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let sel = parse(&text).expect("parses");
            let again = parse(&sel.to_string()).expect("canonical form parses");
            assert_eq!(sel, again);
            let labels = BTreeMap::from([("z".to_string(), String::new())]);
            sel.matches(&labels)
        })
        .expect("spawn");
    handle.join().expect("no stack overflow");
}

#[test]
fn long_flat_inputs() {
    let many_nots = format!("{}all()", "!".repeat(100_001));
    assert_eq!(parse(&many_nots).unwrap().to_string(), "!all()");
    let chain = vec!["has(a)"; 20_000].join(" && ");
    let sel = parse(&chain).unwrap();
    assert!(sel.matches(&BTreeMap::from([("a".to_string(), String::new())])));
    assert_eq!(parse(&sel.to_string()).unwrap(), sel);
}

// ---------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------

const LABEL_POOL: &[&str] = &[
    "a",
    "b",
    "c",
    "in",
    "not",
    "has",
    "all",
    "global",
    "contains",
    "starts",
    "with",
    "kubernetes.io/hostname",
];

const VALUE_POOL: &[&str] = &["", "1", "2", "x", "node-1", "'", "\""];

fn arb_label() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(LABEL_POOL).prop_map(String::from),
        1 => "[a-zA-Z0-9_./-]{1,12}",
    ]
}

/// A value the lexer could have produced: never both kinds of quote.
fn arb_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(VALUE_POOL).prop_map(String::from),
        1 => "[ -~\t\né]{0,8}".prop_map(|s| {
            if s.contains('"') && s.contains('\'') {
                s.replace('\'', "")
            } else {
                s
            }
        }),
    ]
}

fn arb_comparison() -> impl Strategy<Value = Comparison> {
    let set = || prop::collection::btree_set(arb_value(), 0..4);
    prop_oneof![
        arb_value().prop_map(Comparison::Eq),
        arb_value().prop_map(Comparison::Ne),
        arb_value().prop_map(Comparison::Contains),
        arb_value().prop_map(Comparison::StartsWith),
        arb_value().prop_map(Comparison::EndsWith),
        set().prop_map(Comparison::In),
        set().prop_map(Comparison::NotIn),
    ]
}

/// `!` of an expression in normal form: a double negation cancels, as the parser does.
fn negate(e: Expr) -> Expr {
    match e {
        Expr::Not(inner) => *inner,
        other => Expr::Not(Box::new(other)),
    }
}

/// Random trees in the parser's normal form (see the invariants in `ast.rs`).
fn arb_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        Just(Expr::All),
        Just(Expr::Global),
        arb_label().prop_map(Expr::Has),
        (arb_label(), arb_comparison()).prop_map(|(label, op)| Expr::Compare { label, op }),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(negate),
            prop::collection::vec(inner.clone(), 2..5).prop_map(Expr::And),
            prop::collection::vec(inner, 2..5).prop_map(Expr::Or),
        ]
    })
}

fn arb_labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(
        prop::sample::select(LABEL_POOL).prop_map(String::from),
        prop::sample::select(VALUE_POOL).prop_map(String::from),
        0..6,
    )
}

/// Matching written independently of `Expr::eval`, straight from the semantics table.
fn reference_matches(e: &Expr, labels: &BTreeMap<String, String>) -> bool {
    match e {
        Expr::All | Expr::Global => true,
        Expr::Has(label) => labels.contains_key(label),
        Expr::Compare { label, op } => {
            let value = labels.get(label);
            let present_and = |f: &dyn Fn(&String) -> bool| value.is_some_and(f);
            match op {
                Comparison::Eq(v) => present_and(&|x| x == v),
                Comparison::Ne(v) => !present_and(&|x| x == v),
                Comparison::Contains(v) => present_and(&|x| x.contains(v.as_str())),
                Comparison::StartsWith(v) => present_and(&|x| x.starts_with(v.as_str())),
                Comparison::EndsWith(v) => present_and(&|x| x.ends_with(v.as_str())),
                Comparison::In(set) => present_and(&|x| set.contains(x)),
                Comparison::NotIn(set) => !present_and(&|x| set.contains(x)),
            }
        }
        Expr::Not(inner) => !reference_matches(inner, labels),
        Expr::And(operands) => operands.iter().all(|o| reference_matches(o, labels)),
        Expr::Or(operands) => operands.iter().any(|o| reference_matches(o, labels)),
    }
}

/// Renders `e` in a random spelling the grammar accepts: random blanks (spaces/TABs),
/// either quote where possible, `startswith`/`starts  with`, `notin`, duplicated set
/// members and trailing commas, redundant parentheses and `!!`, and no parentheses
/// where precedence makes them unnecessary.
struct Noisy<'c> {
    choices: &'c [u8],
    next: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Top,
    OrOperand,
    AndOperand,
    NotOperand,
}

impl Noisy<'_> {
    fn pick(&mut self, n: usize) -> usize {
        if self.choices.is_empty() {
            return 0;
        }
        let c = self.choices[self.next % self.choices.len()];
        self.next += 1;
        usize::from(c) % n
    }

    fn blanks(&mut self) -> &'static str {
        ["", " ", "\t", "  ", " \t "][self.pick(5)]
    }

    /// Blanks that separate two words: never empty.
    fn separator(&mut self) -> &'static str {
        [" ", "\t", "  ", " \t "][self.pick(4)]
    }

    fn quoted(&mut self, v: &str) -> String {
        let single_ok = !v.contains('\'');
        let double_ok = !v.contains('"');
        if single_ok && (!double_ok || self.pick(2) == 0) {
            format!("'{v}'")
        } else {
            format!("\"{v}\"")
        }
    }

    fn render(&mut self, e: &Expr, ctx: Context) -> String {
        let body = self.render_bare(e, ctx);
        let mut out = body;
        if self.pick(4) == 0 {
            out = format!("!!{}{out}", self.blanks());
        }
        if self.pick(5) == 0 {
            out = format!("({}{out}{})", self.blanks(), self.blanks());
        }
        out
    }

    fn render_bare(&mut self, e: &Expr, ctx: Context) -> String {
        match e {
            Expr::All => format!("all({})", self.blanks()),
            Expr::Global => format!("global({})", self.blanks()),
            Expr::Has(l) => format!("has({}{l}{})", self.blanks(), self.blanks()),
            Expr::Compare { label, op } => {
                let (word, operand) = match op {
                    Comparison::Eq(v) => ("==".to_string(), self.quoted(v)),
                    Comparison::Ne(v) => ("!=".to_string(), self.quoted(v)),
                    Comparison::Contains(v) => ("contains".to_string(), self.quoted(v)),
                    Comparison::StartsWith(v) => {
                        (format!("starts{}with", self.blanks()), self.quoted(v))
                    }
                    Comparison::EndsWith(v) => {
                        (format!("ends{}with", self.blanks()), self.quoted(v))
                    }
                    Comparison::In(set) => ("in".to_string(), self.set(set)),
                    Comparison::NotIn(set) => (format!("not{}in", self.blanks()), self.set(set)),
                };
                let before = if word.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    self.separator()
                } else {
                    self.blanks()
                };
                format!("{label}{before}{word}{}{operand}", self.blanks())
            }
            Expr::Not(inner) => format!(
                "!{}{}",
                self.blanks(),
                self.render(inner, Context::NotOperand)
            ),
            Expr::And(operands) | Expr::Or(operands) => {
                let is_and = matches!(e, Expr::And(_));
                let (joiner, child_ctx) = if is_and {
                    ("&&", Context::AndOperand)
                } else {
                    ("||", Context::OrOperand)
                };
                let parts: Vec<String> =
                    operands.iter().map(|o| self.render(o, child_ctx)).collect();
                let mut joined = String::new();
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        joined.push_str(self.blanks());
                        joined.push_str(joiner);
                        joined.push_str(self.blanks());
                    }
                    joined.push_str(part);
                }
                let parens_optional = ctx == Context::Top || (is_and && ctx == Context::OrOperand);
                if parens_optional && self.pick(2) == 0 {
                    joined
                } else {
                    format!("({}{joined}{})", self.blanks(), self.blanks())
                }
            }
        }
    }

    fn set(&mut self, set: &BTreeSet<String>) -> String {
        let mut members: Vec<String> = set.iter().map(|v| self.quoted(v)).collect();
        if let Some(first) = set.iter().next()
            && self.pick(3) == 0
        {
            let dup = self.quoted(first);
            members.push(dup);
        }
        let mut out = format!("{{{}", self.blanks());
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                out.push_str(self.blanks());
                out.push(',');
                out.push_str(self.blanks());
            }
            out.push_str(m);
        }
        if !members.is_empty() && self.pick(3) == 0 {
            out.push(',');
        }
        out.push_str(self.blanks());
        out.push('}');
        out
    }
}

/// Fragments that exercise every lexer and parser path when glued together at random.
const SOUP: &[&str] = &[
    "a",
    "b",
    "kubernetes.io/hostname",
    " ",
    "\t",
    "\n",
    "(",
    ")",
    "{",
    "}",
    ",",
    "==",
    "=",
    "!",
    "!=",
    "&&",
    "&",
    "||",
    "|",
    "'",
    "\"",
    "'x'",
    "\"y\"",
    "in",
    "not",
    "contains",
    "starts",
    "with",
    "ends",
    "has(",
    "all(",
    "global(",
    "all()",
    "é",
    "%",
];

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "testdata/proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn canonical_form_round_trips(ast in arb_expr()) {
        let text = ast.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(parsed.expr(), &ast, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn matching_agrees(ast in arb_expr(), labels in arb_labels()) {
        let parsed = parse(&ast.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = reference_matches(&ast, &labels);
        prop_assert_eq!(parsed.matches(&labels), expected);
        prop_assert_eq!(parsed.matches_fn(|k| labels.get(k).map(String::as_str)), expected);
        let original = Selector { root: ast };
        prop_assert_eq!(original.matches(&labels), expected);
    }

    #[test]
    fn negation_inverts(ast in arb_expr(), labels in arb_labels()) {
        let text = format!("!({ast})");
        let negated = parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(negated.matches(&labels), !reference_matches(&ast, &labels));
    }

    #[test]
    fn other_spellings_parse_to_the_same_tree(
        ast in arb_expr(),
        choices in prop::collection::vec(any::<u8>(), 1..64),
    ) {
        let mut noisy = Noisy { choices: &choices, next: 0 };
        let text = format!("{}{}{}", noisy.blanks(), noisy.render(&ast, Context::Top), noisy.blanks());
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        // Redundant `!!` and parentheses vanish; nothing else may change.
        prop_assert_eq!(parsed.expr(), &ast, "{:?}", text);
    }

    #[test]
    fn any_string_parses_or_errs(text in ".*") {
        check_total(&text)?;
    }

    #[test]
    fn byte_soup_parses_or_errs(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_total(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn token_soup_parses_or_errs(parts in prop::collection::vec(prop::sample::select(SOUP), 0..24)) {
        check_total(&parts.concat())?;
    }
}

/// Whatever the input: no panic; an error has a message; a success renders to a
/// canonical form that parses back to the same selector and renders identically.
fn check_total(text: &str) -> Result<(), TestCaseError> {
    match parse(text) {
        Err(e) => prop_assert!(!e.to_string().is_empty()),
        Ok(sel) => {
            let canonical = sel.to_string();
            let again = parse(&canonical)
                .map_err(|e| TestCaseError::fail(format!("{text:?} -> {canonical:?}: {e}")))?;
            prop_assert_eq!(&again, &sel);
            prop_assert_eq!(again.to_string(), canonical);
        }
    }
    Ok(())
}
