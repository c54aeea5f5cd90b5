//! The selector syntax tree: evaluation and Calico's canonical rendering.
//!
//! Invariants of every tree the parser builds (the canonical form relies on them):
//! - `And` and `Or` have at least two operands (a single term is not wrapped);
//! - `Not` never directly wraps another `Not` (an even run of `!` cancels out);
//! - no string value contains both `"` and `'` (the lexer cannot produce one);
//! - set members are sorted and de-duplicated (a [`BTreeSet`] keeps them so).
//!
//! Nesting written with parentheses is kept: `(a && b) && c` is an `And` inside an
//! `And`, and renders as `((a == "1" && b == "2") && c == "3")`.

use std::collections::BTreeSet;
use std::fmt;

/// A parsed selector expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `all()`: always true.
    All,
    /// `global()`: always true when evaluated against labels (only policy
    /// namespace selectors give it a meaning of its own).
    Global,
    /// `has(label)`: the label is present, whatever its value.
    Has(String),
    /// A comparison of one label's value with a string or a set.
    Compare {
        /// The label whose value is compared.
        label: String,
        /// The comparison and its operand.
        op: Comparison,
    },
    /// `!expr`.
    Not(Box<Expr>),
    /// `(a && b && …)`, at least two operands.
    And(Vec<Expr>),
    /// `(a || b || …)`, at least two operands.
    Or(Vec<Expr>),
}

/// The comparisons a label can take part in, with their operands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `label == "v"`: present and equal.
    Eq(String),
    /// `label != "v"`: absent, or present with another value.
    Ne(String),
    /// `label contains "s"`: present and the value contains `s` (bytes, case-sensitive).
    Contains(String),
    /// `label starts with "p"`: present and the value starts with `p`.
    StartsWith(String),
    /// `label ends with "s"`: present and the value ends with `s`.
    EndsWith(String),
    /// `label in {"a", "b"}`: present and the value is one of the set.
    In(BTreeSet<String>),
    /// `label not in {"a", "b"}`: absent, or present with a value outside the set.
    NotIn(BTreeSet<String>),
}

impl Comparison {
    /// Applies the comparison to the label's value (`None` when the label is absent).
    fn holds(&self, value: Option<&str>) -> bool {
        match (self, value) {
            (Comparison::Ne(_) | Comparison::NotIn(_), None) => true,
            (_, None) => false,
            (Comparison::Eq(v), Some(actual)) => actual == v,
            (Comparison::Ne(v), Some(actual)) => actual != v,
            (Comparison::Contains(v), Some(actual)) => actual.contains(v.as_str()),
            (Comparison::StartsWith(v), Some(actual)) => actual.starts_with(v.as_str()),
            (Comparison::EndsWith(v), Some(actual)) => actual.ends_with(v.as_str()),
            (Comparison::In(set), Some(actual)) => set.contains(actual),
            (Comparison::NotIn(set), Some(actual)) => !set.contains(actual),
        }
    }
}

impl Expr {
    /// Evaluates the expression, looking labels up with `get` (`None` = absent).
    /// `&&` and `||` short-circuit, left to right.
    pub(crate) fn eval<'v, F>(&self, get: &F) -> bool
    where
        F: Fn(&str) -> Option<&'v str>,
    {
        match self {
            Expr::All | Expr::Global => true,
            Expr::Has(label) => get(label).is_some(),
            Expr::Compare { label, op } => op.holds(get(label)),
            Expr::Not(inner) => !inner.eval(get),
            Expr::And(operands) => operands.iter().all(|e| e.eval(get)),
            Expr::Or(operands) => operands.iter().any(|e| e.eval(get)),
        }
    }
}

/// Writes a string literal in Calico's quoting: double quotes, unless the value itself
/// contains a double quote.
fn write_quoted(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    let quote = if value.contains('"') { '\'' } else { '"' };
    write!(f, "{quote}{value}{quote}")
}

fn write_set(f: &mut fmt::Formatter<'_>, set: &BTreeSet<String>) -> fmt::Result {
    f.write_str("{")?;
    for (i, value) in set.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_quoted(f, value)?;
    }
    f.write_str("}")
}

fn write_group(f: &mut fmt::Formatter<'_>, operands: &[Expr], separator: &str) -> fmt::Result {
    f.write_str("(")?;
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write!(f, "{operand}")?;
    }
    f.write_str(")")
}

impl fmt::Display for Expr {
    /// Calico's canonical form (libcalico-go's `Selector.String()`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::All => f.write_str("all()"),
            Expr::Global => f.write_str("global()"),
            Expr::Has(label) => write!(f, "has({label})"),
            Expr::Compare { label, op } => {
                f.write_str(label)?;
                match op {
                    Comparison::Eq(v) => {
                        f.write_str(" == ")?;
                        write_quoted(f, v)
                    }
                    Comparison::Ne(v) => {
                        f.write_str(" != ")?;
                        write_quoted(f, v)
                    }
                    Comparison::Contains(v) => {
                        f.write_str(" contains ")?;
                        write_quoted(f, v)
                    }
                    Comparison::StartsWith(v) => {
                        f.write_str(" starts with ")?;
                        write_quoted(f, v)
                    }
                    Comparison::EndsWith(v) => {
                        f.write_str(" ends with ")?;
                        write_quoted(f, v)
                    }
                    Comparison::In(set) => {
                        f.write_str(" in ")?;
                        write_set(f, set)
                    }
                    Comparison::NotIn(set) => {
                        f.write_str(" not in ")?;
                        write_set(f, set)
                    }
                }
            }
            Expr::Not(inner) => write!(f, "!{inner}"),
            Expr::And(operands) => write_group(f, operands, " && "),
            Expr::Or(operands) => write_group(f, operands, " || "),
        }
    }
}
