//! Calico's label-selector language: the expressions in `IPPool.spec.nodeSelector`,
//! `namespaceSelector` and friends, such as `rack == "0" && !has(edge)`.
//!
//! [`parse`] accepts what libcalico-go's `selector.Parse` (v3.31) accepts and rejects the
//! rest with the same message (one exception: parentheses nested more than 128 deep are
//! refused with [`SelectorError::TooDeep`], where Go has no limit); [`Selector::matches`] evaluates like
//! `Selector.Evaluate`; `Display` gives Calico's canonical form (`Selector.String()`),
//! and parsing that form again gives an equal [`Selector`].
//!
//! The module is split as upstream's is: `lexer` (tokens), `parser` (recursive descent)
//! and `ast` ([`Expr`]: evaluation and rendering). It depends on nothing else in the
//! crate.

mod ast;
mod lexer;
mod parser;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

pub use ast::{Comparison, Expr};

/// A parsed selector.
///
/// ```
/// use std::collections::BTreeMap;
/// use calico::selector::parse;
///
/// let sel = parse("rack in {'0', '1'} && kubernetes.io/os == 'linux'").unwrap();
/// assert_eq!(sel.to_string(), r#"(rack in {"0", "1"} && kubernetes.io/os == "linux")"#);
///
/// let labels = BTreeMap::from([
///     ("rack".to_string(), "1".to_string()),
///     ("kubernetes.io/os".to_string(), "linux".to_string()),
/// ]);
/// assert!(sel.matches(&labels));
/// assert!(!sel.matches_fn(|_| None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    root: Expr,
}

/// A selector that does not parse. `Display` gives Calico's message for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectorError {
    /// A quote with no matching quote after it.
    #[error("unterminated string")]
    UnterminatedString,
    /// A single `=`.
    #[error("expected ==")]
    ExpectedDoubleEquals,
    /// A single `&`.
    #[error("expected &&")]
    ExpectedAndAnd,
    /// A single `|`.
    #[error("expected ||")]
    ExpectedOrOr,
    /// A label followed by something that is neither punctuation nor an operator word.
    #[error("expected operator after label \"{label}\"")]
    ExpectedOperator {
        /// The label before the bad text.
        label: String,
    },
    /// `has(`, `all(` or `global(` without its `)`.
    #[error("no closing ')' after {function}(")]
    NoClosingParen {
        /// `has`, `all` or `global`.
        function: &'static str,
    },
    /// A character that cannot start any token (including a newline), or `has()`
    /// without a label.
    #[error("expected identifier")]
    ExpectedIdentifier,
    /// A label longer than 512 characters.
    #[error("label too long: {label}")]
    LabelTooLong {
        /// The whole label.
        label: String,
    },
    /// A label at the end of the input.
    #[error("unexpected end of string looking for op")]
    UnexpectedEnd,
    /// A parenthesised expression without its `)`.
    #[error("expected )")]
    ExpectedRParen,
    /// A set literal that does not end with `}` after its strings.
    #[error("expected }}")]
    ExpectedRBrace,
    /// A comparison operator not followed by a string.
    #[error("expected string")]
    ExpectedString,
    /// `in` or `not in` not followed by `{`.
    #[error("expected set literal")]
    ExpectedSetLiteral,
    /// A label followed by punctuation that is not an operator.
    #[error("expected == or != not: {found}")]
    ExpectedEqOrNe {
        /// The token found, as Calico prints it (`TokLParen()`).
        found: String,
    },
    /// A token that cannot start an expression.
    #[error("unexpected token: {found}")]
    UnexpectedToken {
        /// The token found, as Calico prints it (`TokRParen()`).
        found: String,
    },
    /// A complete expression followed by more tokens.
    #[error("unexpected content at end of selector {rest}")]
    TrailingContent {
        /// The remaining tokens as Calico prints them: `[TokRParen() TokEOF()]`.
        rest: String,
    },
    /// Parentheses nested deeper than this implementation supports. Calico has no such
    /// limit; ours keeps parsing, matching and rendering off the end of the stack.
    #[error("selector nests parentheses more than {limit} deep")]
    TooDeep {
        /// The deepest nesting accepted.
        limit: usize,
    },
}

/// Parses a selector. Empty or blank (spaces and TABs) input gives `all()`.
///
/// ```
/// use calico::selector::parse;
///
/// assert!(parse("").unwrap().is_all());
/// assert_eq!(
///     parse("foo bar").unwrap_err().to_string(),
///     r#"expected operator after label "foo""#
/// );
/// ```
pub fn parse(s: &str) -> Result<Selector, SelectorError> {
    parser::parse_expr(s).map(|root| Selector { root })
}

/// Calico's `selector.Normalise`: trims surrounding whitespace (any Unicode whitespace,
/// newlines included) and returns the canonical form, or the trimmed input unchanged when
/// it does not parse. `""` becomes `all()`.
pub fn normalise(s: &str) -> String {
    let trimmed = s.trim();
    match parse(trimmed) {
        Ok(selector) => selector.to_string(),
        Err(_) => trimmed.to_string(),
    }
}

impl Selector {
    /// The selector that matches everything: `all()`.
    pub fn all() -> Selector {
        Selector { root: Expr::All }
    }

    /// True when the selector parsed to plain `all()`: empty, `all()`, `(all())` or
    /// `!!all()`. Selectors that merely always match, such as `global()` or
    /// `all() || has(a)`, are not `all()`.
    pub fn is_all(&self) -> bool {
        self.root == Expr::All
    }

    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.root
    }

    /// True when the labels satisfy the selector.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_fn(|key| labels.get(key).map(String::as_str))
    }

    /// True when the labels that `get` looks up satisfy the selector; `get` returns a
    /// label's value, or `None` when the label is absent. Lets callers match labels kept
    /// in any shape (a Node's, a namespace's) without building a map.
    ///
    /// The values may borrow from anything that outlives the call (`'v`), which is what
    /// makes `|k| map.get(k).map(String::as_str)` acceptable.
    pub fn matches_fn<'v>(&self, get: impl Fn(&str) -> Option<&'v str>) -> bool {
        self.root.eval(&get)
    }
}

impl Default for Selector {
    /// `all()`, as an empty selector means.
    fn default() -> Selector {
        Selector::all()
    }
}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Selector, SelectorError> {
        parse(s)
    }
}

impl fmt::Display for Selector {
    /// Calico's canonical form: `all()`, `has(k)`, `k == "v"` (single quotes only when
    /// the value contains `"`), `k in {"a", "b"}` (sorted, no duplicates), `!e`, and
    /// every `&&`/`||` group in parentheses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.root, f)
    }
}
