//! The lexer: template text into items (text, delimiters, fields, keywords, literals),
//! with `{{-`/`-}}` trimming and comments, as Go's `text/template/parse` lexes.

use super::error::{TemplateError, parse_error};
use crate::go::fmt as gofmt;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Field,
    Variable,
    Identifier,
    Keyword,
    Dot,
    String,
    RawString,
    Char,
    Number,
    Bool,
    Nil,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
    OtherChar,
    Eof,
}

#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) kind: Kind,
    pub(super) val: String,
    pub(super) line: usize,
    /// Byte offset of the item in the template text.
    pub(super) pos: usize,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Eof => f.write_str("EOF"),
            Kind::Keyword => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let short: String = self.val.chars().take(10).collect();
                write!(f, "{}...", gofmt::quote(&short, false))
            }
            _ => f.write_str(&gofmt::quote(&self.val, false)),
        }
    }
}

const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "if", "range", "template", "with",
];

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

pub(super) struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    items: Vec<Item>,
    paren_depth: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(input: &'a str) -> Self {
        Lexer {
            input,
            pos: 0,
            items: Vec::new(),
            paren_depth: 0,
        }
    }

    fn line_at(&self, pos: usize) -> usize {
        1 + self.input[..pos].bytes().filter(|&b| b == b'\n').count()
    }

    fn emit(&mut self, kind: Kind, start: usize) {
        self.items.push(Item {
            kind,
            val: self.input[start..self.pos].to_string(),
            line: self.line_at(start),
            pos: start,
        });
    }

    fn error(&self, message: impl fmt::Display) -> TemplateError {
        parse_error(self.line_at(self.pos), message)
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    pub(super) fn lex(mut self) -> Result<Vec<Item>, TemplateError> {
        loop {
            let Some(offset) = self.rest().find("{{") else {
                if self.pos < self.input.len() {
                    let start = self.pos;
                    self.pos = self.input.len();
                    self.emit(Kind::Text, start);
                }
                break;
            };
            let delim = self.pos + offset;
            let after = delim + 2;
            let trim = has_left_trim_marker(&self.input[after..]);
            let text = &self.input[self.pos..delim];
            let text = if trim {
                text.trim_end_matches(is_space)
            } else {
                text
            };
            if !text.is_empty() {
                self.items.push(Item {
                    kind: Kind::Text,
                    val: text.to_string(),
                    line: self.line_at(self.pos),
                    pos: self.pos,
                });
            }
            let marker = if trim { 2 } else { 0 };
            if self.input[after + marker..].starts_with("/*") {
                self.pos = after + marker;
                self.lex_comment()?;
                continue;
            }
            self.pos = after;
            self.emit(Kind::LeftDelim, delim);
            self.pos += marker;
            self.lex_inside_action()?;
        }
        self.items.push(Item {
            kind: Kind::Eof,
            val: String::new(),
            line: self.line_at(self.pos),
            pos: self.pos,
        });
        Ok(self.items)
    }

    /// Whether a right delimiter starts here, and whether it carries a trim marker.
    fn at_right_delim(&self) -> Option<bool> {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[2..].starts_with("}}") {
            Some(true)
        } else if rest.starts_with("}}") {
            Some(false)
        } else {
            None
        }
    }

    fn skip_right_delim(&mut self, trim: bool) {
        self.pos += if trim { 4 } else { 2 };
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
        }
    }

    fn lex_comment(&mut self) -> Result<(), TemplateError> {
        let Some(end) = self.rest()[2..].find("*/") else {
            return Err(self.error("unclosed comment"));
        };
        self.pos += 2 + end + 2;
        let Some(trim) = self.at_right_delim() else {
            return Err(self.error("comment ends before closing delimiter"));
        };
        self.skip_right_delim(trim);
        Ok(())
    }

    fn lex_inside_action(&mut self) -> Result<(), TemplateError> {
        loop {
            if let Some(trim) = self.at_right_delim() {
                if self.paren_depth > 0 {
                    return Err(self.error("unclosed left paren"));
                }
                let start = self.pos + if trim { 2 } else { 0 };
                self.pos = start + 2;
                self.emit(Kind::RightDelim, start);
                if trim {
                    let rest = self.rest();
                    self.pos += rest.len() - rest.trim_start_matches(is_space).len();
                }
                return Ok(());
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                return Err(self.error("unclosed action"));
            };
            let next = self.rest()[c.len_utf8()..].chars().next();
            match c {
                c if is_space(c) => self.lex_space(),
                '=' => {
                    self.pos += 1;
                    self.emit(Kind::Assign, start);
                }
                ':' => {
                    if next != Some('=') {
                        return Err(self.error("expected :="));
                    }
                    self.pos += 2;
                    self.emit(Kind::Declare, start);
                }
                '|' => {
                    self.pos += 1;
                    self.emit(Kind::Pipe, start);
                }
                '"' => self.lex_quote('"', Kind::String, "unterminated quoted string")?,
                '\'' => self.lex_quote('\'', Kind::Char, "unterminated character constant")?,
                '`' => {
                    let Some(end) = self.rest()[1..].find('`') else {
                        return Err(self.error("unterminated raw quoted string"));
                    };
                    self.pos += end + 2;
                    self.emit(Kind::RawString, start);
                }
                '$' => {
                    self.pos += 1;
                    self.lex_name(Kind::Variable, Kind::Variable, start)?;
                }
                '.' if !next.is_some_and(|n| n.is_ascii_digit()) => {
                    self.pos += 1;
                    self.lex_name(Kind::Field, Kind::Dot, start)?;
                }
                '.' | '+' | '-' | '0'..='9' => self.lex_number()?,
                c if is_alphanumeric(c) => {
                    self.lex_name(Kind::Identifier, Kind::Identifier, start)?;
                    let kind = match &self.input[start..self.pos] {
                        word if KEYWORDS.contains(&word) => Kind::Keyword,
                        "true" | "false" => Kind::Bool,
                        "nil" => Kind::Nil,
                        _ => Kind::Identifier,
                    };
                    self.items.last_mut().expect("just emitted").kind = kind;
                }
                '(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.emit(Kind::LeftParen, start);
                }
                ')' => {
                    if self.paren_depth == 0 {
                        return Err(self.error("unexpected right paren"));
                    }
                    self.pos += 1;
                    self.paren_depth -= 1;
                    self.emit(Kind::RightParen, start);
                }
                ',' => {
                    self.pos += 1;
                    self.emit(Kind::Comma, start);
                }
                c if c.is_ascii_graphic() => {
                    self.pos += 1;
                    self.emit(Kind::OtherChar, start);
                }
                c => {
                    return Err(self.error(format!(
                        "unrecognized character in action: U+{:04X}",
                        c as u32
                    )));
                }
            }
        }
    }

    /// A run of spaces; the last one is left alone when it starts a ` -}}` delimiter.
    fn lex_space(&mut self) {
        let start = self.pos;
        let rest = self.rest();
        let len = rest.len() - rest.trim_start_matches(is_space).len();
        self.pos += len;
        if self.input[self.pos..].starts_with("-}}") {
            // Space characters are all one byte.
            self.pos -= 1;
            if self.pos == start {
                return;
            }
        }
        self.emit(Kind::Space, start);
    }

    fn lex_quote(
        &mut self,
        quote: char,
        kind: Kind,
        unterminated: &str,
    ) -> Result<(), TemplateError> {
        let start = self.pos;
        let mut chars = self.rest().char_indices().skip(1);
        loop {
            match chars.next() {
                None | Some((_, '\n')) => return Err(self.error(unterminated)),
                Some((_, '\\')) => match chars.next() {
                    None | Some((_, '\n')) => return Err(self.error(unterminated)),
                    Some(_) => {}
                },
                Some((i, c)) if c == quote => {
                    self.pos += i + 1;
                    break;
                }
                Some(_) => {}
            }
        }
        self.emit(kind, start);
        Ok(())
    }

    /// `.name`, `$name` or an identifier; `bare` is emitted when nothing follows `.`/`$`.
    fn lex_name(&mut self, kind: Kind, bare: Kind, start: usize) -> Result<(), TemplateError> {
        let name_start = self.pos;
        while let Some(c) = self.peek().filter(|&c| is_alphanumeric(c)) {
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return Err(self.error(format!("bad character U+{:04X} '{c}'", c as u32)));
        }
        self.emit(if self.pos == name_start { bare } else { kind }, start);
        Ok(())
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with("}}"),
        }
    }

    fn lex_number(&mut self) -> Result<(), TemplateError> {
        let start = self.pos;
        let b = self.input.as_bytes();
        let mut i = self.pos;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        if b.get(i) == Some(&b'0') {
            i += 1;
            match b.get(i).map(u8::to_ascii_lowercase) {
                Some(b'x') => {
                    i += 1;
                    digits = b"0123456789abcdefABCDEF_";
                }
                Some(b'o') => {
                    i += 1;
                    digits = b"01234567_";
                }
                Some(b'b') => {
                    i += 1;
                    digits = b"01_";
                }
                _ => {}
            }
        }
        let run = |i: &mut usize, set: &[u8]| {
            while b.get(*i).is_some_and(|c| set.contains(c)) {
                *i += 1;
            }
        };
        run(&mut i, digits);
        if b.get(i) == Some(&b'.') {
            i += 1;
            run(&mut i, digits);
        }
        let exponent: &[u8] = if digits.len() == 11 {
            b"eE"
        } else if digits.len() == 23 {
            b"pP"
        } else {
            b""
        };
        if b.get(i).is_some_and(|c| exponent.contains(c)) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            run(&mut i, b"0123456789_");
        }
        if b.get(i) == Some(&b'i') {
            i += 1;
        }
        self.pos = i;
        if self.peek().is_some_and(is_alphanumeric) {
            self.pos += self.peek().map_or(0, char::len_utf8);
            return Err(self.error(format!(
                "bad number syntax: \"{}\"",
                &self.input[start..self.pos]
            )));
        }
        self.emit(Kind::Number, start);
        Ok(())
    }
}

fn has_left_trim_marker(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next() == Some('-') && chars.next().is_some_and(is_space)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && matches!(b[0], b' ' | b'\t' | b'\r' | b'\n') && b[1] == b'-'
}
