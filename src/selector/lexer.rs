//! Tokenizer for the selector language.
//!
//! The whole input is tokenized before parsing starts (as libcalico-go's
//! `tokenizer.Tokenize` does), so a lexical error anywhere in the string wins over a
//! grammatical error earlier in it. The token stream always ends with [`Token::Eof`].
//!
//! Lexical rules (all byte-oriented; only ASCII is ever significant):
//! - whitespace is space and TAB only; anything else that is not a token is an error;
//! - a label is 1..=512 bytes of `[a-zA-Z0-9_./-]`;
//! - strings are quoted with `"` or `'`, have no escapes and end at the next matching quote;
//! - operator words (`contains`, `starts with`, `ends with`, `not in`, `in`) are only
//!   recognised directly after a label, and then nothing else is allowed there; a
//!   multi-word operator may have any run of blanks, even none, between its words;
//! - `has(`, `all(` and `global(` are recognised anywhere else, before labels.

use std::fmt;

use super::SelectorError;

/// Longest label Calico accepts (`MaxLabelLength` upstream).
pub(crate) const MAX_LABEL_LENGTH: usize = 512;

/// One token. Values borrow from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A label name.
    Label(&'a str),
    /// The contents of a quoted string, without the quotes.
    Str(&'a str),
    LBrace,
    RBrace,
    Comma,
    Eq,
    Ne,
    In,
    Not,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    All,
    /// `has(<label>)`, with the label.
    Has(&'a str),
    LParen,
    RParen,
    And,
    Or,
    Global,
    Eof,
}

impl fmt::Display for Token<'_> {
    /// Renders a token the way Calico's error messages print one: the Go constant name
    /// of its kind followed by its value in parentheses, e.g. `TokLabel(foo)`, `TokEq()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, value) = match *self {
            Token::Label(v) => ("TokLabel", v),
            Token::Str(v) => ("TokStringLiteral", v),
            Token::LBrace => ("TokLBrace", ""),
            Token::RBrace => ("TokRBrace", ""),
            Token::Comma => ("TokComma", ""),
            Token::Eq => ("TokEq", ""),
            Token::Ne => ("TokNe", ""),
            Token::In => ("TokIn", ""),
            Token::Not => ("TokNot", ""),
            Token::NotIn => ("TokNotIn", ""),
            Token::Contains => ("TokContains", ""),
            Token::StartsWith => ("TokStartsWith", ""),
            Token::EndsWith => ("TokEndsWith", ""),
            Token::All => ("TokAll", ""),
            Token::Has(v) => ("TokHas", v),
            Token::LParen => ("TokLParen", ""),
            Token::RParen => ("TokRParen", ""),
            Token::And => ("TokAnd", ""),
            Token::Or => ("TokOr", ""),
            Token::Global => ("TokGlobal", ""),
            Token::Eof => ("TokEOF", ""),
        };
        write!(f, "{kind}({value})")
    }
}

/// True for the bytes a label may contain.
pub(crate) fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

/// Drops leading spaces and TABs (and nothing else: a newline is not whitespace here).
fn skip_blanks(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// True when `rest` cannot continue the word just read: it is empty or starts with a
/// byte that is not a label byte.
fn at_word_boundary(rest: &str) -> bool {
    rest.bytes().next().is_none_or(|b| !is_label_byte(b))
}

/// Splits a label off the front of `s`, checking its length.
fn cut_label(s: &str) -> Result<(&str, &str), SelectorError> {
    let end = s.bytes().position(|b| !is_label_byte(b)).unwrap_or(s.len());
    let (label, rest) = s.split_at(end);
    if label.is_empty() {
        return Err(SelectorError::ExpectedIdentifier);
    }
    if label.len() > MAX_LABEL_LENGTH {
        return Err(SelectorError::LabelTooLong {
            label: label.to_string(),
        });
    }
    Ok((label, rest))
}

/// Matches an operator made of `words` at the front of `s`, allowing blanks (or nothing)
/// between the words, and requiring a word boundary after the last word's trailing
/// blanks. Returns the input after the operator.
fn cut_operator<'a>(s: &'a str, words: &[&str]) -> Option<&'a str> {
    let mut rest = s;
    for word in words {
        rest = rest.strip_prefix(word)?;
        // Upstream skips blanks after every word of a multi-word operator (the last one
        // included) but not after a single-word one; only the boundary test can tell.
        if words.len() > 1 {
            rest = skip_blanks(rest);
        }
    }
    at_word_boundary(rest).then_some(rest)
}

/// Reads the body of `keyword(` … `)` for `all(` and `global(`: only blanks may sit
/// between the parentheses.
fn cut_empty_call<'a>(rest: &'a str, keyword: &'static str) -> Result<&'a str, SelectorError> {
    skip_blanks(rest)
        .strip_prefix(')')
        .ok_or(SelectorError::NoClosingParen { function: keyword })
}

/// Splits `input` into tokens, ending with [`Token::Eof`].
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token<'_>>, SelectorError> {
    let mut tokens = Vec::new();
    let mut rest = input;
    loop {
        rest = skip_blanks(rest);
        let Some(&first) = rest.as_bytes().first() else {
            tokens.push(Token::Eof);
            return Ok(tokens);
        };
        // Right after a label only punctuation or an operator word may follow.
        let last_label = match tokens.last() {
            Some(Token::Label(label)) => Some(*label),
            _ => None,
        };
        let (token, remainder) = match first {
            b'(' => (Token::LParen, &rest[1..]),
            b')' => (Token::RParen, &rest[1..]),
            b'{' => (Token::LBrace, &rest[1..]),
            b'}' => (Token::RBrace, &rest[1..]),
            b',' => (Token::Comma, &rest[1..]),
            b'"' | b'\'' => {
                let body = &rest[1..];
                let end = body
                    .bytes()
                    .position(|b| b == first)
                    .ok_or(SelectorError::UnterminatedString)?;
                (Token::Str(&body[..end]), &body[end + 1..])
            }
            b'=' => match rest.strip_prefix("==") {
                Some(r) => (Token::Eq, r),
                None => return Err(SelectorError::ExpectedDoubleEquals),
            },
            b'!' => match rest.strip_prefix("!=") {
                Some(r) => (Token::Ne, r),
                None => (Token::Not, &rest[1..]),
            },
            b'&' => match rest.strip_prefix("&&") {
                Some(r) => (Token::And, r),
                None => return Err(SelectorError::ExpectedAndAnd),
            },
            b'|' => match rest.strip_prefix("||") {
                Some(r) => (Token::Or, r),
                None => return Err(SelectorError::ExpectedOrOr),
            },
            _ => match last_label {
                Some(label) => {
                    lex_operator(rest).ok_or_else(|| SelectorError::ExpectedOperator {
                        label: label.to_string(),
                    })?
                }
                None => lex_word(rest)?,
            },
        };
        tokens.push(token);
        rest = remainder;
    }
}

/// The operator words that may follow a label, tried in upstream's order (`not in`
/// before `in`).
fn lex_operator(rest: &str) -> Option<(Token<'static>, &str)> {
    const OPERATORS: [(&[&str], Token<'static>); 5] = [
        (&["contains"], Token::Contains),
        (&["starts", "with"], Token::StartsWith),
        (&["ends", "with"], Token::EndsWith),
        (&["not", "in"], Token::NotIn),
        (&["in"], Token::In),
    ];
    OPERATORS
        .iter()
        .find_map(|(words, token)| cut_operator(rest, words).map(|r| (*token, r)))
}

/// A keyword call (`has(…)`, `all()`, `global()`) or a label, anywhere an operator is
/// not expected.
fn lex_word(rest: &str) -> Result<(Token<'_>, &str), SelectorError> {
    if let Some(r) = rest.strip_prefix("has(") {
        let (label, r) = cut_label(skip_blanks(r))?;
        let r = skip_blanks(r)
            .strip_prefix(')')
            .ok_or(SelectorError::NoClosingParen { function: "has" })?;
        return Ok((Token::Has(label), r));
    }
    if let Some(r) = rest.strip_prefix("all(") {
        return Ok((Token::All, cut_empty_call(r, "all")?));
    }
    if let Some(r) = rest.strip_prefix("global(") {
        return Ok((Token::Global, cut_empty_call(r, "global")?));
    }
    let (label, r) = cut_label(rest)?;
    Ok((Token::Label(label), r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> String {
        tokenize(s)
            .map(|t| t.iter().map(Token::to_string).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn operators_after_labels() {
        assert_eq!(
            kinds(r#"a notin"x"&&!has(b)||c in{}"#),
            "TokLabel(a) TokNotIn() TokStringLiteral(x) TokAnd() TokNot() TokHas(b) TokOr() \
             TokLabel(c) TokIn() TokLBrace() TokRBrace() TokEOF()"
        );
        assert_eq!(
            kinds("contains contains 'contains'"),
            "TokLabel(contains) TokContains() TokStringLiteral(contains) TokEOF()"
        );
        assert_eq!(
            kinds("x starts\t \twith\"v\""),
            "TokLabel(x) TokStartsWith() TokStringLiteral(v) TokEOF()"
        );
        assert_eq!(
            kinds("x endswith 'v'"),
            "TokLabel(x) TokEndsWith() TokStringLiteral(v) TokEOF()"
        );
    }

    #[test]
    fn single_word_operator_needs_boundary_directly_after_it() {
        // `in` followed by a blank then a label is a boundary: lexes (the parser rejects it).
        assert_eq!(kinds("b in c"), "TokLabel(b) TokIn() TokLabel(c) TokEOF()");
        assert_eq!(
            kinds("b inc"),
            r#"error: expected operator after label "b""#
        );
        // Multi-word operators skip blanks after the last word before the boundary test.
        assert_eq!(
            kinds("b not in c"),
            r#"error: expected operator after label "b""#
        );
        assert_eq!(
            kinds("b starts with c"),
            r#"error: expected operator after label "b""#
        );
    }

    #[test]
    fn keywords_need_their_parenthesis() {
        assert_eq!(
            kinds("has (a)"),
            "TokLabel(has) TokLParen() TokLabel(a) TokRParen() TokEOF()"
        );
        assert_eq!(kinds("all"), "TokLabel(all) TokEOF()");
        assert_eq!(kinds("has(\ta\t)"), "TokHas(a) TokEOF()");
        assert_eq!(kinds("global( )"), "TokGlobal() TokEOF()");
    }

    #[test]
    fn strings_have_no_escapes() {
        assert_eq!(kinds(r#"'a"b'"#), r#"TokStringLiteral(a"b) TokEOF()"#);
        // The backslash is content; the string ends at the next quote, the last quote
        // then opens a string that never ends.
        assert_eq!(kinds(r#""a\"b""#), "error: unterminated string");
        assert_eq!(
            kinds(r#""a\" b"#),
            r#"TokStringLiteral(a\) TokLabel(b) TokEOF()"#
        );
        assert_eq!(
            kinds("'line\nbreak'"),
            "TokStringLiteral(line\nbreak) TokEOF()"
        );
    }

    #[test]
    fn newline_is_not_whitespace() {
        assert_eq!(kinds("\nall()"), "error: expected identifier");
        assert_eq!(
            kinds("a\n== 'b'"),
            r#"error: expected operator after label "a""#
        );
    }

    #[test]
    fn label_length_limit() {
        let ok = "x".repeat(MAX_LABEL_LENGTH);
        assert_eq!(
            kinds(&format!("has({ok})")),
            format!("TokHas({ok}) TokEOF()")
        );
        let long = "x".repeat(MAX_LABEL_LENGTH + 1);
        assert_eq!(
            kinds(&format!("has({long})")),
            format!("error: label too long: {long}")
        );
    }
}
