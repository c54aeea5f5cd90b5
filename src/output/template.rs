//! Go `text/template` for `-o go-template=` and `-o go-template-file=`.
//!
//! calicoctl executes the user's template (named `get`) over Go values: a
//! `[]runtime.Object` holding `*v3.IPPoolList`, `*v3.IPPool`, ... We execute it over the
//! same data as JSON, each value carrying its Go type from `model::gotypes`, so that:
//! - a field is the Go struct's field, matched exactly (`.Spec.CIDR`, not `.Spec.cidr`);
//!   embedded `TypeMeta`/`ObjectMeta`/`ListMeta` fields are promoted (`.Name`, `.Kind`);
//! - a field the struct lacks fails as Go fails: `can't evaluate field Bogus in type
//!   v3.IPPoolSpec`, `nil pointer evaluating *v3.NodeBGPSpec.IPv4Address`; errors carry
//!   Go's `get:LINE:COL` position;
//! - a missing map key (labels, annotations) is "no value" and prints `<no value>`;
//! - a field JSON omits as empty has Go's zero value (`false`, `0`, ``, `map[]`, `[]`,
//!   `<nil>` for a nil pointer); timestamps print as Go's `Time.String()` in UTC.
//!
//! Supported: text and actions with `{{-`/`-}}` trimming and `{{/* comments */}}`; `.`,
//! field chains, `$`, variables (`:=`, `=`, `range $i, $e :=`); `if`/`else if`/`else`,
//! `range`/`else` with `break`/`continue`, `with`/`else with`; pipelines and parenthesised
//! pipelines; the builtins `and or not len index slice print printf println eq ne lt le gt
//! ge html js urlquery`; and calicoctl's `join`, `joinAndTruncate` and `config`.
//! Not supported: `define`, `template`, `block`, `call`, and methods (`.GetName`). A pointer
//! inside a printed struct prints as `&` and its target where Go prints an address.

use crate::go::fmt::{self as gofmt, Arg as FmtArg};
use crate::go::strconv::{
    parse_float as go_parse_float, parse_int as go_parse_int, parse_uint as go_parse_uint,
    underscores_ok,
};
use crate::model::gotypes::{self, Basic as GoBasic, GoType};
use serde_json::{Map, Value};
use std::fmt;

/// The name calicoctl gives the template; it appears in error messages.
const NAME: &str = "get";

/// A template that failed to parse or to execute. The message follows Go's:
/// `template: get:1: function "foo" not defined`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

/// calicoctl's `config` template function: given a setting name (`asnumber`), its value.
pub type ConfigLookup<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Parses `template` and executes it over `data`.
///
/// ```
/// let data = serde_json::json!([{"kind": "IPPoolList", "items": [
///     {"metadata": {"name": "a"}, "spec": {"cidr": "10.0.0.0/16"}},
///     {"metadata": {"name": "b"}, "spec": {"cidr": "10.1.0.0/16"}}]}]);
/// let out = calico::output::template::render(
///     "{{range .}}{{range .Items}}{{.ObjectMeta.Name}}={{.Spec.CIDR}},{{end}}{{end}}", &data);
/// assert_eq!(out.unwrap(), "a=10.0.0.0/16,b=10.1.0.0/16,");
/// ```
pub fn render(template: &str, data: &Value) -> Result<String, TemplateError> {
    Template::parse(template)?.execute(data)
}

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    root: Vec<Node>,
    /// The template's text, for the line and column of execution errors.
    text: String,
    /// Go's `missingkey=error`: a missing map key fails instead of printing `<no value>`.
    missing_key_error: bool,
}

impl Template {
    /// Parses `text`; errors carry the line number.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let items = Lexer::new(text).lex()?;
        let mut parser = Parser {
            items,
            pos: 0,
            vars: vec!["$".to_string()],
            range_depth: 0,
        };
        let (root, end) = parser.list()?;
        match end {
            ListEnd::Eof => Ok(Template {
                root,
                text: text.to_string(),
                missing_key_error: false,
            }),
            ListEnd::End(line) => Err(parse_error(line, "unexpected {{end}}")),
            ListEnd::Else(line) => Err(parse_error(line, "unexpected {{else}}")),
        }
    }

    /// Go's `Option("missingkey=error")`: a missing map key (a label, an annotation) fails
    /// with `map has no entry for key "x"` instead of printing `<no value>`.
    pub fn missing_key_error(mut self, yes: bool) -> Self {
        self.missing_key_error = yes;
        self
    }

    /// Executes the template over `data`; the `config` function then fails.
    pub fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        self.execute_with_config(data, None)
    }

    /// Executes the template over `data`, answering `config "<name>"` with `config`.
    pub fn execute_with_config(
        &self,
        data: &Value,
        config: Option<ConfigLookup<'_>>,
    ) -> Result<String, TemplateError> {
        // calicoctl's data is `[]runtime.Object`; anything else is plain data.
        let root = match data {
            Value::Array(_) => Val::Typed(data.clone(), &gotypes::RUNTIME_OBJECTS),
            _ => Val::Data(data.clone()),
        };
        let mut state = State {
            out: String::new(),
            vars: vec![("$".to_string(), root.clone())],
            config,
            text: &self.text,
            missing_key_error: self.missing_key_error,
        };
        state.walk(&root, &self.root)?;
        Ok(state.out)
    }
}

fn parse_error(line: usize, message: impl fmt::Display) -> TemplateError {
    TemplateError(format!("template: {NAME}:{line}: {message}"))
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
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
struct Item {
    kind: Kind,
    val: String,
    line: usize,
    /// Byte offset of the item in the template text.
    pos: usize,
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

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    items: Vec<Item>,
    paren_depth: usize,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
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

    fn lex(mut self) -> Result<Vec<Item>, TemplateError> {
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

// ---------------------------------------------------------------------------------------------
// Parse tree
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Node {
    Text(String),
    Action(Pipeline),
    If(Branch),
    Range(Branch),
    With(Branch),
    Break,
    Continue,
}

#[derive(Debug)]
struct Branch {
    pipe: Pipeline,
    list: Vec<Node>,
    else_list: Option<Vec<Node>>,
}

#[derive(Debug)]
struct Pipeline {
    /// Byte offset of the pipeline's first token.
    pos: usize,
    is_assign: bool,
    decl: Vec<String>,
    cmds: Vec<Command>,
}

#[derive(Debug)]
struct Command {
    args: Vec<Operand>,
    /// Byte offset of each argument, as Go positions its nodes (a chain `(x).A` at `.A`).
    pos: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
enum Number {
    Int(i64),
    /// Fits `uint64` but not `int`.
    Uint,
    Float(f64),
}

#[derive(Debug)]
enum Operand {
    Dot,
    Nil,
    Bool(bool),
    Number(Number, String),
    Str(String),
    /// `.A.B`
    Field(Vec<String>),
    /// `$x.A.B`
    Variable(String, Vec<String>),
    /// A function name.
    Identifier(String),
    /// `(pipeline)`
    Pipe(Box<Pipeline>),
    /// `(pipeline).A.B` or `fn.A`
    Chain(Box<Operand>, Vec<String>),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = |f: &mut fmt::Formatter<'_>, names: &[String]| {
            names.iter().try_for_each(|n| write!(f, ".{n}"))
        };
        match self {
            Operand::Dot => f.write_str("."),
            Operand::Nil => f.write_str("nil"),
            Operand::Bool(b) => write!(f, "{b}"),
            Operand::Number(_, text) => f.write_str(text),
            Operand::Str(s) => f.write_str(&gofmt::quote(s, false)),
            Operand::Field(names) => fields(f, names),
            Operand::Variable(name, names) => {
                f.write_str(name)?;
                fields(f, names)
            }
            Operand::Identifier(name) => f.write_str(name),
            Operand::Pipe(pipe) => write!(f, "({pipe})"),
            Operand::Chain(node, names) => {
                write!(f, "{node}")?;
                fields(f, names)
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{arg}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            write!(
                f,
                "{} {} ",
                self.decl.join(", "),
                if self.is_assign { "=" } else { ":=" }
            )?;
        }
        for (i, cmd) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{cmd}")?;
        }
        Ok(())
    }
}

/// The functions a template may call.
const FUNCTIONS: &[&str] = &[
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "html",
    "js",
    "urlquery",
    "join",
    "joinAndTruncate",
    "config",
];

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

enum ListEnd {
    Eof,
    End(usize),
    Else(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Control {
    If,
    Range,
    With,
}

impl Control {
    fn name(self) -> &'static str {
        match self {
            Control::If => "if",
            Control::Range => "range",
            Control::With => "with",
        }
    }
}

struct Parser {
    items: Vec<Item>,
    pos: usize,
    /// Variables in scope, innermost last.
    vars: Vec<String>,
    range_depth: usize,
}

impl Parser {
    fn next(&mut self) -> Item {
        let item = self.items[self.pos.min(self.items.len() - 1)].clone();
        self.pos += 1;
        item
    }

    fn backup(&mut self) {
        self.pos -= 1;
    }

    fn peek(&self) -> &Item {
        &self.items[self.pos.min(self.items.len() - 1)]
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let item = self.next();
            if item.kind != Kind::Space {
                return item;
            }
        }
    }

    fn peek_non_space(&mut self) -> &Item {
        self.next_non_space();
        self.backup();
        self.peek()
    }

    fn unexpected(&self, item: &Item, context: &str) -> TemplateError {
        parse_error(item.line, format!("unexpected {item} in {context}"))
    }

    fn expect_right_delim(&mut self, context: &str) -> Result<Item, TemplateError> {
        let item = self.next_non_space();
        if item.kind != Kind::RightDelim {
            return Err(self.unexpected(&item, context));
        }
        Ok(item)
    }

    /// Nodes up to `{{end}}`, `{{else}}` or the end of the input.
    fn list(&mut self) -> Result<(Vec<Node>, ListEnd), TemplateError> {
        let mut nodes = Vec::new();
        loop {
            let item = self.next();
            match item.kind {
                Kind::Text => nodes.push(Node::Text(item.val)),
                Kind::Eof => return Ok((nodes, ListEnd::Eof)),
                Kind::LeftDelim => {
                    let token = self.next_non_space();
                    if token.kind != Kind::Keyword {
                        self.backup();
                        let pipe = self.pipeline("command", Kind::RightDelim)?;
                        nodes.push(Node::Action(pipe));
                        continue;
                    }
                    match token.val.as_str() {
                        "end" => {
                            self.expect_right_delim("end")?;
                            return Ok((nodes, ListEnd::End(token.line)));
                        }
                        "else" => return Ok((nodes, ListEnd::Else(token.line))),
                        "if" => nodes.push(self.control(Control::If)?),
                        "range" => nodes.push(self.control(Control::Range)?),
                        "with" => nodes.push(self.control(Control::With)?),
                        word @ ("break" | "continue") => {
                            if self.range_depth == 0 {
                                return Err(parse_error(
                                    token.line,
                                    format!("{{{{{word}}}}} outside {{{{range}}}}"),
                                ));
                            }
                            self.expect_right_delim(word)?;
                            nodes.push(if word == "break" {
                                Node::Break
                            } else {
                                Node::Continue
                            });
                        }
                        word => {
                            return Err(parse_error(
                                token.line,
                                format!("{{{{{word}}}}} is not supported"),
                            ));
                        }
                    }
                }
                _ => return Err(self.unexpected(&item, "input")),
            }
        }
    }

    /// `if`, `range` or `with`, after its keyword.
    fn control(&mut self, control: Control) -> Result<Node, TemplateError> {
        let saved_vars = self.vars.len();
        let pipe = self.pipeline(control.name(), Kind::RightDelim)?;
        if control == Control::Range {
            self.range_depth += 1;
        }
        let listed = self.list();
        if control == Control::Range {
            self.range_depth -= 1;
        }
        let (list, end) = listed?;
        let else_list = match end {
            ListEnd::End(_) => None,
            ListEnd::Eof => {
                let line = self.peek().line;
                return Err(parse_error(line, "unexpected EOF"));
            }
            ListEnd::Else(line) => {
                let next = self.peek_non_space().clone();
                let chained = match (control, next.kind, next.val.as_str()) {
                    (Control::If, Kind::Keyword, "if") => Some(Control::If),
                    (Control::With, Kind::Keyword, "with") => Some(Control::With),
                    _ => None,
                };
                if let Some(chained) = chained {
                    // `{{else if x}}…{{end}}` is `{{else}}{{if x}}…{{end}}{{end}}`.
                    self.next_non_space();
                    Some(vec![self.control(chained)?])
                } else {
                    self.expect_right_delim("else")?;
                    match self.list()? {
                        (else_list, ListEnd::End(_)) => Some(else_list),
                        (_, ListEnd::Else(_)) => {
                            return Err(parse_error(line, "expected end; found {{else}}"));
                        }
                        (_, ListEnd::Eof) => {
                            let line = self.peek().line;
                            return Err(parse_error(line, "unexpected EOF"));
                        }
                    }
                }
            }
        };
        self.vars.truncate(saved_vars);
        let branch = Branch {
            pipe,
            list,
            else_list,
        };
        Ok(match control {
            Control::If => Node::If(branch),
            Control::Range => Node::Range(branch),
            Control::With => Node::With(branch),
        })
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> Result<Pipeline, TemplateError> {
        let first = self.peek_non_space();
        let (line, first_pos) = (first.line, first.pos);
        let mut pipe = Pipeline {
            pos: first_pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations: `$x :=`, `$x =`, and in range `$i, $e :=`.
        let start = self.pos;
        while self.peek_non_space().kind == Kind::Variable {
            let variable = self.next_non_space();
            let after = self.peek_non_space().clone();
            match after.kind {
                Kind::Declare | Kind::Assign => {
                    self.next_non_space();
                    pipe.is_assign = after.kind == Kind::Assign;
                    pipe.decl.push(variable.val.clone());
                    self.vars.push(variable.val);
                    break;
                }
                Kind::Comma if context == "range" && pipe.decl.is_empty() => {
                    self.next_non_space();
                    pipe.decl.push(variable.val.clone());
                    self.vars.push(variable.val);
                    if self.peek_non_space().kind != Kind::Variable {
                        return Err(parse_error(line, "range can only initialize variables"));
                    }
                }
                Kind::Comma => {
                    return Err(parse_error(
                        line,
                        format!("too many declarations in {context}"),
                    ));
                }
                _ => {
                    if pipe.decl.is_empty() {
                        // Not a declaration: the variable is an operand.
                        self.pos = start;
                        break;
                    }
                    return Err(self.unexpected(&after, context));
                }
            }
        }
        loop {
            let token = self.next_non_space();
            if token.kind == end {
                break;
            }
            match token.kind {
                Kind::Bool
                | Kind::Char
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
        if pipe.cmds.is_empty() {
            return Err(parse_error(line, format!("missing value for {context}")));
        }
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                cmd.args[0],
                Operand::Bool(_)
                    | Operand::Dot
                    | Operand::Nil
                    | Operand::Number(..)
                    | Operand::Str(_)
            ) {
                return Err(parse_error(
                    line,
                    format!("non executable command in pipeline stage {}", i + 1),
                ));
            }
        }
        Ok(pipe)
    }

    fn command(&mut self) -> Result<Command, TemplateError> {
        let mut args = Vec::new();
        let mut pos = Vec::new();
        loop {
            let start = self.peek_non_space().pos;
            if let Some((operand, at)) = self.operand(start)? {
                args.push(operand);
                pos.push(at);
            }
            let token = self.next();
            match token.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if args.is_empty() {
            let line = self.peek().line;
            return Err(parse_error(line, "empty command"));
        }
        Ok(Command { args, pos })
    }

    /// An operand and its position: `start`, or for a chain `(x).A` the position of `.A`.
    fn operand(&mut self, start: usize) -> Result<Option<(Operand, usize)>, TemplateError> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some((term, start)));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            fields.push(self.next().val[1..].to_string());
        }
        Ok(Some(match term {
            Operand::Field(mut names) => {
                names.extend(fields);
                (Operand::Field(names), start)
            }
            Operand::Variable(name, mut names) => {
                names.extend(fields);
                (Operand::Variable(name, names), start)
            }
            Operand::Bool(_)
            | Operand::Str(_)
            | Operand::Number(..)
            | Operand::Nil
            | Operand::Dot => {
                let line = self.peek().line;
                let text = gofmt::quote(&term.to_string(), false);
                return Err(parse_error(line, format!("unexpected . after term {text}")));
            }
            other => (Operand::Chain(Box::new(other), fields), chain_pos),
        }))
    }

    fn term(&mut self) -> Result<Option<Operand>, TemplateError> {
        let token = self.next_non_space();
        let operand = match token.kind {
            Kind::Identifier => {
                if !FUNCTIONS.contains(&token.val.as_str()) {
                    return Err(parse_error(
                        token.line,
                        format!("function \"{}\" not defined", token.val),
                    ));
                }
                Operand::Identifier(token.val)
            }
            Kind::Dot => Operand::Dot,
            Kind::Nil => Operand::Nil,
            Kind::Variable => {
                if !self.vars.contains(&token.val) {
                    return Err(parse_error(
                        token.line,
                        format!("undefined variable \"{}\"", token.val),
                    ));
                }
                Operand::Variable(token.val, Vec::new())
            }
            Kind::Field => Operand::Field(vec![token.val[1..].to_string()]),
            Kind::Bool => Operand::Bool(token.val == "true"),
            Kind::Char => {
                let c = unquote_char(&token.val).map_err(|e| parse_error(token.line, e))?;
                Operand::Number(Number::Int(i64::from(u32::from(c))), token.val)
            }
            Kind::Number => {
                let number = parse_number(&token.val).ok_or_else(|| {
                    parse_error(
                        token.line,
                        format!("illegal number syntax: \"{}\"", token.val),
                    )
                })?;
                Operand::Number(number, token.val)
            }
            Kind::LeftParen => Operand::Pipe(Box::new(
                self.pipeline("parenthesized pipeline", Kind::RightParen)?,
            )),
            Kind::String | Kind::RawString => {
                Operand::Str(unquote(&token.val).map_err(|e| parse_error(token.line, e))?)
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(operand))
    }
}

/// A Go number literal: an integer when it reads as one, else a float.
fn parse_number(text: &str) -> Option<Number> {
    if text.ends_with('i') {
        return None;
    }
    if text.contains('_') && !underscores_ok(text) {
        return None;
    }
    let plain = text.replace('_', "");
    if let Some(i) = go_parse_int(&plain, 0) {
        return Some(Number::Int(i));
    }
    if go_parse_uint(plain.trim_start_matches('+'), 0).is_some() {
        return Some(Number::Uint);
    }
    go_parse_float(text).map(Number::Float)
}

/// Go's `strconv.Unquote` for `"…"` and `` `…` `` literals.
fn unquote(literal: &str) -> Result<String, String> {
    if let Some(raw) = literal.strip_prefix('`') {
        return Ok(raw.trim_end_matches('`').replace('\r', ""));
    }
    let inner = &literal[1..literal.len() - 1];
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let escape = chars.next().ok_or("invalid syntax")?;
        match escape {
            'a' => bytes.push(7),
            'b' => bytes.push(8),
            'f' => bytes.push(12),
            'n' => bytes.push(b'\n'),
            'r' => bytes.push(b'\r'),
            't' => bytes.push(b'\t'),
            'v' => bytes.push(11),
            '\\' => bytes.push(b'\\'),
            '"' => bytes.push(b'"'),
            'x' | 'u' | 'U' => {
                let n = match escape {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(n).collect();
                let value = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == n)
                    .ok_or("invalid syntax")?;
                if escape == 'x' {
                    bytes.push(value as u8);
                } else {
                    let c = char::from_u32(value).ok_or("invalid syntax")?;
                    let mut buf = [0; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let value = u32::from_str_radix(&format!("{escape}{rest}"), 8)
                    .ok()
                    .filter(|v| rest.len() == 2 && *v <= 255)
                    .ok_or("invalid syntax")?;
                bytes.push(value as u8);
            }
            _ => return Err("invalid syntax".to_string()),
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn unquote_char(literal: &str) -> Result<char, String> {
    let inner = &literal[1..literal.len() - 1];
    let malformed = || format!("malformed character constant: {literal}");
    if inner == "\"" {
        return Ok('"');
    }
    if inner == "\\'" {
        return Ok('\'');
    }
    let text = unquote(&format!("\"{inner}\"")).map_err(|_| malformed())?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(malformed()),
    }
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/// A value during execution: Go's invalid "no value" (a missing map key), untyped JSON data
/// (literals, function results), or a Go value of a known type (see `model::gotypes`).
#[derive(Debug, Clone)]
enum Val {
    Missing,
    Data(Value),
    /// Its JSON (`null` for a nil pointer, map or slice, or for a field JSON omitted as
    /// empty, which then has its type's zero value) and its Go type.
    Typed(Value, &'static GoType),
}

impl Val {
    fn fmt_arg(&self) -> FmtArg<'_> {
        match self {
            Val::Missing => FmtArg::Nil,
            Val::Data(v) | Val::Typed(v, _) => FmtArg::of(v),
        }
    }

    /// The value as untyped data, zero values filled in, for the builtin functions.
    fn plain(self) -> Val {
        match self {
            Val::Typed(v, ty) => Val::Data(plain_value(v, ty)),
            other => other,
        }
    }

    /// The value as `print`/`printf` see it: structs as Go prints them.
    fn for_fmt(self) -> Val {
        match self {
            Val::Typed(v, ty) if is_structish(ty) => Val::Data(Value::String(go_print_top(&v, ty))),
            other => other.plain(),
        }
    }

    fn type_name(&self) -> &'static str {
        self.fmt_arg().type_name()
    }

    /// Go's `isTrue`: empty values, zero and false are false.
    fn truth(&self) -> bool {
        match self {
            Val::Typed(v, ty) => match ty {
                GoType::Ptr(_) | GoType::Interface(_) => !v.is_null(),
                GoType::Struct(_) => true,
                _ => Val::Data(plain_value(v.clone(), ty)).truth(),
            },
            Val::Missing | Val::Data(Value::Null) => false,
            Val::Data(Value::Bool(b)) => *b,
            Val::Data(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Val::Data(Value::String(s)) => !s.is_empty(),
            Val::Data(Value::Array(a)) => !a.is_empty(),
            Val::Data(Value::Object(m)) => !m.is_empty(),
        }
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'a> {
    out: String,
    vars: Vec<(String, Val)>,
    config: Option<ConfigLookup<'a>>,
    text: &'a str,
    missing_key_error: bool,
}

/// An execution error: a message still to be located, or one already located (raised by
/// a nested pipeline), optionally pointing at a particular operand.
struct ExecError {
    message: String,
    /// The node's text and byte offset.
    at: Option<(String, usize)>,
    located: bool,
}

impl ExecError {
    fn at(mut self, operand: &dyn fmt::Display, pos: usize) -> Self {
        self.at.get_or_insert_with(|| (operand.to_string(), pos));
        self
    }
}

impl<T: Into<String>> From<T> for ExecError {
    fn from(message: T) -> Self {
        ExecError {
            message: message.into(),
            at: None,
            located: false,
        }
    }
}

impl From<TemplateError> for ExecError {
    fn from(error: TemplateError) -> Self {
        ExecError {
            message: error.0,
            at: None,
            located: true,
        }
    }
}

type ExecResult<T> = Result<T, ExecError>;

impl State<'_> {
    /// Go's message: `template: get:LINE:COL: executing "get" at <NODE>: MESSAGE`, with the
    /// node's text cut to 20 characters and COL its byte offset in its line.
    fn fail(text: &str, pos: usize, at: &dyn fmt::Display, error: ExecError) -> TemplateError {
        if error.located {
            return TemplateError(error.message);
        }
        let (context, pos) = error.at.unwrap_or_else(|| (at.to_string(), pos));
        let before = &text[..pos.min(text.len())];
        let line = 1 + before.matches('\n').count();
        let column = before.rfind('\n').map_or(pos, |nl| pos - nl - 1);
        let context = if context.chars().count() > 20 {
            format!("{}...", context.chars().take(20).collect::<String>())
        } else {
            context
        };
        TemplateError(format!(
            "template: {NAME}:{line}:{column}: executing \"{NAME}\" at <{context}>: {}",
            error.message
        ))
    }

    fn walk(&mut self, dot: &Val, nodes: &[Node]) -> Result<Flow, TemplateError> {
        for node in nodes {
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Action(pipe) => {
                    let value = self.pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        self.print(&value);
                    }
                }
                Node::If(branch) | Node::With(branch) => {
                    let mark = self.vars.len();
                    let value = self.pipeline(dot, &branch.pipe)?;
                    let flow = if value.truth() {
                        let inner = if matches!(node, Node::With(_)) {
                            &value
                        } else {
                            dot
                        };
                        self.walk(inner, &branch.list)?
                    } else if let Some(else_list) = &branch.else_list {
                        self.walk(dot, else_list)?
                    } else {
                        Flow::Normal
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(branch) => {
                    let mark = self.vars.len();
                    let result = self.range(dot, branch);
                    self.vars.truncate(mark);
                    result?;
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn print(&mut self, value: &Val) {
        match value {
            Val::Missing | Val::Data(Value::Null) => self.out.push_str("<no value>"),
            Val::Data(v) => self.out.push_str(&gofmt::sprint_value(v)),
            Val::Typed(v, ty) => self.out.push_str(&go_print_top(v, ty)),
        }
    }

    fn range(&mut self, dot: &Val, branch: &Branch) -> Result<(), TemplateError> {
        let value = self.pipeline(dot, &branch.pipe)?;
        let pipe = &branch.pipe;
        let data = |v: Value| Val::Data(v);
        let text = self.text;
        let cannot_iterate = |shown: String| {
            Self::fail(
                text,
                pipe.pos,
                pipe,
                ExecError::from(format!("range can't iterate over {shown}")),
            )
        };
        let entries: Vec<(Val, Val)> = match &value {
            Val::Typed(v, ty) => match typed_entries(v, ty) {
                Some(entries) => entries,
                None => return Err(cannot_iterate(go_print_top(v, ty))),
            },
            Val::Data(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (data(Value::from(i)), data(item.clone())))
                .collect(),
            Val::Data(Value::Object(map)) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                keys.into_iter()
                    .map(|k| {
                        (
                            data(Value::String(k.clone())),
                            data(map[k.as_str()].clone()),
                        )
                    })
                    .collect()
            }
            Val::Data(Value::Number(n)) if n.is_i64() || n.is_u64() => {
                let count = n.as_i64().unwrap_or(i64::MAX).max(0);
                (0..count)
                    .map(|i| (data(Value::from(i)), data(Value::from(i))))
                    .collect()
            }
            Val::Missing | Val::Data(Value::Null) => Vec::new(),
            Val::Data(other) => return Err(cannot_iterate(gofmt::sprint_value(other))),
        };
        if entries.is_empty() {
            if let Some(else_list) = &branch.else_list {
                self.walk(dot, else_list)?;
            }
            return Ok(());
        }
        let mark = self.vars.len();
        for (index, element) in entries {
            match pipe.decl.len() {
                0 => {}
                1 => self.set_var(pipe, &pipe.decl[0], element.clone())?,
                _ => {
                    self.set_var(pipe, &pipe.decl[0], index)?;
                    self.set_var(pipe, &pipe.decl[1], element.clone())?;
                }
            }
            let flow = self.walk(&element, &branch.list);
            self.vars.truncate(mark);
            if matches!(flow?, Flow::Break) {
                break;
            }
        }
        Ok(())
    }

    fn set_var(&mut self, pipe: &Pipeline, name: &str, value: Val) -> Result<(), TemplateError> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(Self::fail(
                self.text,
                pipe.pos,
                pipe,
                ExecError::from(format!("undefined variable: {name}")),
            )),
        }
    }

    fn pipeline(&mut self, dot: &Val, pipe: &Pipeline) -> Result<Val, TemplateError> {
        let mut value: Option<Val> = None;
        for cmd in &pipe.cmds {
            let result = self
                .command(dot, cmd, value.take())
                .map_err(|e| Self::fail(self.text, cmd.pos[0], cmd, e))?;
            value = Some(result);
        }
        let value = value.unwrap_or(Val::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(pipe, name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn command(&mut self, dot: &Val, cmd: &Command, last: Option<Val>) -> ExecResult<Val> {
        let first = &cmd.args[0];
        if let Operand::Identifier(name) = first {
            // Function errors are reported at the whole command, as Go does.
            return self.call(dot, name, &cmd.args[1..], &cmd.pos[1..], last);
        }
        self.operand_command(dot, cmd, last)
            .map_err(|e| e.at(first, cmd.pos[0]))
    }

    /// A command whose first word is not a function: a value, or a field chain.
    fn operand_command(&mut self, dot: &Val, cmd: &Command, last: Option<Val>) -> ExecResult<Val> {
        let first = &cmd.args[0];
        let has_args = cmd.args.len() > 1 || last.is_some();
        match first {
            Operand::Identifier(name) => self.call(dot, name, &cmd.args[1..], &cmd.pos[1..], last),
            Operand::Field(names) => self.field_chain(dot.clone(), names, has_args),
            Operand::Variable(name, names) => {
                let value = self.variable(name)?;
                if names.is_empty() {
                    not_a_function(first, has_args)?;
                    return Ok(value);
                }
                self.field_chain(value, names, has_args)
            }
            Operand::Chain(node, names) => {
                if matches!(**node, Operand::Nil) {
                    return Err(format!("indirection through explicit nil in {first}").into());
                }
                let value = self.arg(dot, node, cmd.pos[0])?;
                self.field_chain(value, names, has_args)
            }
            Operand::Pipe(pipe) => {
                not_a_function(first, has_args)?;
                Ok(self.pipeline(dot, pipe)?)
            }
            Operand::Nil => Err("nil is not a command".into()),
            _ => {
                not_a_function(first, has_args)?;
                self.arg(dot, first, cmd.pos[0])
            }
        }
    }

    fn variable(&self, name: &str) -> ExecResult<Val> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ExecError::from(format!("undefined variable: {name}")))
    }

    /// Evaluates an operand used as a function argument.
    fn arg(&mut self, dot: &Val, operand: &Operand, pos: usize) -> ExecResult<Val> {
        Ok(match operand {
            Operand::Dot => dot.clone(),
            Operand::Nil => Val::Data(Value::Null),
            Operand::Bool(b) => Val::Data(Value::Bool(*b)),
            Operand::Number(n, text) => match n {
                Number::Int(i) => Val::Data(Value::from(*i)),
                // Go's idealConstant: a float literal needs a point or an exponent; an
                // integer too large for any integer type is then no value at all.
                Number::Float(f) if text.contains(['.', 'e', 'E', 'p', 'P']) => {
                    Val::Data(Value::from(*f))
                }
                Number::Float(_) => Val::Missing,
                Number::Uint => {
                    return Err(ExecError::from(format!("{text} overflows int")).at(operand, pos));
                }
            },
            Operand::Str(s) => Val::Data(Value::String(s.clone())),
            Operand::Field(names) => self.field_chain(dot.clone(), names, false)?,
            Operand::Variable(name, names) => {
                let value = self.variable(name)?;
                self.field_chain(value, names, false)?
            }
            Operand::Identifier(name) => self.call(dot, name, &[], &[], None)?,
            Operand::Pipe(pipe) => self.pipeline(dot, pipe)?,
            Operand::Chain(node, names) => {
                let value = self.arg(dot, node, pos)?;
                self.field_chain(value, names, false)?
            }
        })
    }

    fn field_chain(&self, mut receiver: Val, names: &[String], has_args: bool) -> ExecResult<Val> {
        for (i, name) in names.iter().enumerate() {
            let last_has_args = has_args && i == names.len() - 1;
            if let Val::Typed(value, ty) = &receiver {
                receiver = typed_field(value, ty, name, last_has_args)?;
            } else {
                if last_has_args {
                    return Err(format!("{name} is not a method but has arguments").into());
                }
                receiver = field(&receiver, name)?;
            }
            if self.missing_key_error && matches!(receiver, Val::Missing) {
                return Err(
                    format!("map has no entry for key {}", gofmt::quote(name, false)).into(),
                );
            }
        }
        Ok(receiver)
    }

    fn call(
        &mut self,
        dot: &Val,
        name: &str,
        operands: &[Operand],
        positions: &[usize],
        last: Option<Val>,
    ) -> ExecResult<Val> {
        let count = operands.len() + usize::from(last.is_some());
        let (min, max) = arity(name);
        if count < min || max.is_some_and(|max| count > max) {
            let want = match max {
                Some(max) if max == min => format!("want {min}"),
                _ => format!("want at least {min}"),
            };
            return Err(format!("wrong number of args for {name}: {want} got {count}").into());
        }
        // `and` and `or` evaluate their operands lazily.
        if name == "and" || name == "or" {
            let stop_on = name == "or";
            let mut value = Val::Missing;
            for (operand, &pos) in operands.iter().zip(positions) {
                value = self
                    .arg(dot, operand, pos)
                    .map_err(|e| e.at(operand, pos))?;
                if value.truth() == stop_on {
                    return Ok(value);
                }
            }
            return Ok(last.unwrap_or(value));
        }
        let mut args = Vec::with_capacity(count);
        for (operand, &pos) in operands.iter().zip(positions) {
            args.push(
                self.arg(dot, operand, pos)
                    .map_err(|e| e.at(operand, pos))?,
            );
        }
        args.extend(last);
        // Type errors point at the operand, as Go's do.
        let located = |i: usize, error: ExecError| match (operands.get(i), positions.get(i)) {
            (Some(operand), Some(&pos)) => error.at(operand, pos),
            _ => error,
        };
        // Typed values keep their type through `index`, `not` and printing; the other
        // builtins see plain data with Go's zero values filled in.
        match name {
            "not" => return Ok(bool_val(!args[0].truth())),
            "index" if matches!(args[0], Val::Typed(..)) => {
                return typed_index(&args[0], &args[1..])
                    .map_err(|e| ExecError::from(format!("error calling index: {e}")));
            }
            _ => {}
        }
        let args: Vec<Val> = if matches!(name, "print" | "printf" | "println") {
            args.into_iter().map(Val::for_fmt).collect()
        } else {
            args.into_iter().map(Val::plain).collect()
        };
        let result = match name {
            "len" => builtin_len(&args[0]),
            "index" => builtin_index(&args[0], &args[1..]),
            "slice" => builtin_slice(&args[0], &args[1..]),
            "print" => Ok(string_val(gofmt::sprint(&fmt_args(&args)))),
            "println" => Ok(string_val(gofmt::sprintln(&fmt_args(&args)))),
            "printf" => {
                let format = expect_string(&args[0]).map_err(|e| located(0, e))?;
                return Ok(string_val(gofmt::sprintf(format, &fmt_args(&args[1..]))));
            }
            "eq" => compare_eq(&args[0], &args[1..]).map(bool_val),
            "ne" => compare_eq(&args[0], &args[1..2]).map(|b| bool_val(!b)),
            "lt" => compare_lt(&args[0], &args[1]).map(bool_val),
            "le" => compare_le(&args[0], &args[1]).map(bool_val),
            "gt" => compare_le(&args[0], &args[1]).map(|b| bool_val(!b)),
            "ge" => compare_lt(&args[0], &args[1]).map(|b| bool_val(!b)),
            "html" => Ok(string_val(html_escape(&evaluated_string(&args)))),
            "js" => Ok(string_val(js_escape(&evaluated_string(&args)))),
            "urlquery" => Ok(string_val(query_escape(&evaluated_string(&args)))),
            "join" => {
                let separator = expect_string(&args[1]).map_err(|e| located(1, e))?;
                join_and_truncate(&args[0], separator, 0)
            }
            "joinAndTruncate" => {
                let separator = expect_string(&args[1]).map_err(|e| located(1, e))?;
                let max_len = expect_int(&args[2]).map_err(|e| located(2, e))?;
                join_and_truncate(&args[0], separator, max_len)
            }
            "config" => {
                let setting = expect_string(&args[0]).map_err(|e| located(0, e))?;
                match (setting.to_lowercase().as_str(), self.config) {
                    ("asnumber", Some(lookup)) => lookup(setting).map(string_val),
                    ("asnumber", None) => Err("no datastore to read the configuration from".into()),
                    _ => Err("unhandled config type".into()),
                }
            }
            _ => Err(format!("function \"{name}\" not defined")),
        };
        result.map_err(|e| ExecError::from(format!("error calling {name}: {e}")))
    }
}

fn not_a_function(operand: &Operand, has_args: bool) -> ExecResult<()> {
    if has_args {
        return Err(format!("can't give argument to non-function {operand}").into());
    }
    Ok(())
}

/// Minimum and maximum operand counts of each function.
fn arity(name: &str) -> (usize, Option<usize>) {
    match name {
        "and" | "or" | "index" | "slice" | "printf" | "eq" => (1, None),
        "not" | "len" | "config" => (1, Some(1)),
        "ne" | "lt" | "le" | "gt" | "ge" | "join" => (2, Some(2)),
        "joinAndTruncate" => (3, Some(3)),
        _ => (0, None),
    }
}

fn string_val(s: String) -> Val {
    Val::Data(Value::String(s))
}

fn bool_val(b: bool) -> Val {
    Val::Data(Value::Bool(b))
}

fn fmt_args(args: &[Val]) -> Vec<FmtArg<'_>> {
    args.iter().map(Val::fmt_arg).collect()
}

fn expect_string(value: &Val) -> ExecResult<&str> {
    match value {
        Val::Data(Value::String(s)) => Ok(s),
        Val::Missing => Err("invalid value; expected string".into()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )
        .into()),
    }
}

fn expect_int(value: &Val) -> ExecResult<i64> {
    match value {
        Val::Data(Value::Number(n)) if n.is_i64() => Ok(n.as_i64().unwrap_or(0)),
        Val::Missing => Err("invalid value; expected int".into()),
        other => Err(format!(
            "wrong type for value; expected int; got {}",
            other.type_name()
        )
        .into()),
    }
}

/// A field of untyped data: a JSON object is a Go `map[string]interface {}`, so the name is
/// a key, matched exactly, and a missing key is no value.
fn field(receiver: &Val, name: &str) -> ExecResult<Val> {
    match receiver {
        Val::Missing | Val::Data(Value::Null) => Ok(Val::Missing),
        Val::Data(Value::Object(map)) => Ok(map.get(name).cloned().map_or(Val::Missing, Val::Data)),
        Val::Typed(value, ty) => typed_field(value, ty, name, false),
        other => Err(format!("can't evaluate field {name} in type {}", other.type_name()).into()),
    }
}

/// The Go type of an object in calicoctl's data, from its `kind`.
fn dynamic_type(value: &Value) -> Option<&'static GoType> {
    value
        .get("kind")
        .and_then(Value::as_str)
        .and_then(crate::model::kinds::go_type)
}

/// The JSON of one struct field: an inlined embedded struct shares its parent's object.
fn field_json(value: &Value, field: &gotypes::Field) -> Value {
    if field.json.is_empty() {
        return value.clone();
    }
    value.get(field.json).cloned().unwrap_or(Value::Null)
}

/// Go's `evalField` over a typed value: pointers and interfaces are followed, a struct
/// field is found by its exact Go name (promoted through embedded structs), a map key is
/// looked up, and anything else fails as Go fails.
fn typed_field(value: &Value, ty: &'static GoType, name: &str, has_args: bool) -> ExecResult<Val> {
    let typ = ty.name();
    let mut current = ty;
    let mut is_nil = false;
    loop {
        match current {
            GoType::Interface(_) if value.is_null() => {
                return Err(format!("nil pointer evaluating {typ}.{name}").into());
            }
            GoType::Interface(_) => match dynamic_type(value) {
                Some(dynamic) => current = dynamic,
                // A kind not described in `model::gotypes`: plain data.
                None => return field(&Val::Data(value.clone()), name),
            },
            GoType::Ptr(_) if value.is_null() => {
                is_nil = true;
                break;
            }
            GoType::Ptr(inner) => current = inner,
            _ => break,
        }
    }
    match current {
        GoType::Struct(st) => {
            if let Some(path) = st.field_path(name) {
                if has_args {
                    return Err(
                        format!("{name} has arguments but cannot be invoked as function").into(),
                    );
                }
                let mut v = value.clone();
                let mut t = current;
                for f in path {
                    v = field_json(&v, f);
                    t = f.ty;
                }
                return Ok(Val::Typed(v, t));
            }
        }
        GoType::Map(elem) => {
            if has_args {
                return Err(format!("{name} is not a method but has arguments").into());
            }
            return Ok(value
                .get(name)
                .map_or(Val::Missing, |v| Val::Typed(v.clone(), elem)));
        }
        GoType::Ptr(inner) if is_nil => {
            let has_field = match inner {
                GoType::Struct(st) => st.field_path(name).is_some(),
                _ => true,
            };
            if has_field {
                return Err(format!("nil pointer evaluating {typ}.{name}").into());
            }
        }
        _ => {}
    }
    Err(format!("can't evaluate field {name} in type {typ}").into())
}

/// Follows pointers and interfaces to the value's concrete type; `None` at a nil.
fn indirect(value: &Value, ty: &'static GoType) -> Option<&'static GoType> {
    let mut current = ty;
    loop {
        match current {
            GoType::Ptr(_) | GoType::Interface(_) if value.is_null() => return None,
            GoType::Ptr(inner) => current = inner,
            GoType::Interface(_) => current = dynamic_type(value)?,
            _ => return Some(current),
        }
    }
}

/// What `range` visits in a typed value; `None` when it cannot iterate.
fn typed_entries(value: &Value, ty: &'static GoType) -> Option<Vec<(Val, Val)>> {
    let current = indirect(value, ty)?;
    Some(match current {
        GoType::Slice(elem) => value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (Val::Data(Value::from(i)), Val::Typed(item.clone(), elem)))
                    .collect()
            })
            .unwrap_or_default(),
        GoType::Map(elem) => value
            .as_object()
            .map(|map| {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                keys.into_iter()
                    .map(|k| {
                        (
                            Val::Data(Value::String(k.clone())),
                            Val::Typed(map[k.as_str()].clone(), elem),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        GoType::Scalar(_, GoBasic::Int | GoBasic::Uint) => {
            let count = value.as_i64().unwrap_or(0).max(0);
            (0..count)
                .map(|i| (Val::Data(Value::from(i)), Val::Data(Value::from(i))))
                .collect()
        }
        _ => return None,
    })
}

/// Go's `index` over a typed value: slice elements and map values keep their type, and a
/// missing map key gives the element type's zero value.
fn typed_index(item: &Val, indexes: &[Val]) -> Result<Val, String> {
    let mut item = item.clone();
    for index in indexes {
        let Val::Typed(value, ty) = &item else {
            return builtin_index(&item.plain(), std::slice::from_ref(index));
        };
        let Some(current) = indirect(value, ty) else {
            return Err("index of nil pointer".into());
        };
        item = match current {
            GoType::Slice(elem) => {
                let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let x = index_arg(&index.clone().plain(), items.len(), false)?;
                Val::Typed(items[x].clone(), elem)
            }
            GoType::Map(elem) => match index.clone().plain() {
                Val::Data(Value::String(key)) => Val::Typed(
                    value.get(key.as_str()).cloned().unwrap_or(Value::Null),
                    elem,
                ),
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            GoType::Scalar(_, GoBasic::String) => {
                return builtin_index(&item.plain(), std::slice::from_ref(index));
            }
            other => return Err(format!("can't index item of type {}", other.name())),
        };
    }
    Ok(item)
}

/// A typed value as plain data with Go's zero value for JSON's absent or null.
fn plain_value(value: Value, ty: &GoType) -> Value {
    match ty {
        GoType::Scalar(_, basic) => match (basic, value) {
            (GoBasic::Time, v) => Value::String(go_time(&v)),
            (GoBasic::String | GoBasic::Stringer, Value::Null) => Value::String(String::new()),
            (GoBasic::Bool, Value::Null) => Value::Bool(false),
            (GoBasic::Int | GoBasic::Uint, Value::Null) => Value::from(0),
            (_, v) => v,
        },
        GoType::Struct(st) if st.name == "v1.Time" => Value::String(go_time(&value)),
        GoType::Map(_) if value.is_null() => Value::Object(Map::new()),
        GoType::Slice(_) if value.is_null() => Value::Array(Vec::new()),
        _ => value,
    }
}

/// Whether a type prints as a Go struct (through pointers): not plain data.
fn is_structish(ty: &GoType) -> bool {
    match ty {
        GoType::Struct(st) => st.name != "v1.Time",
        GoType::Ptr(inner) => is_structish(inner),
        GoType::Interface(_) => true,
        _ => false,
    }
}

/// `metav1.Time` printed by Go's `Time.String()` (calicoctl's clock in UTC):
/// `2025-01-02 03:04:05 +0000 UTC`; the zero time for a missing timestamp.
fn go_time(value: &Value) -> String {
    let Some(text) = value.as_str() else {
        return "0001-01-01 00:00:00 +0000 UTC".to_string();
    };
    match text.strip_suffix('Z') {
        Some(t) if t.len() >= 19 && t.as_bytes()[10] == b'T' => {
            format!("{} {} +0000 UTC", &t[..10], &t[11..])
        }
        _ => text.to_string(),
    }
}

/// Go's template printing of a typed value (`printableValue`, then `fmt.Print`): pointers
/// are followed, a nil one prints `<nil>`.
fn go_print_top(value: &Value, ty: &'static GoType) -> String {
    match ty {
        GoType::Ptr(_) if value.is_null() => "<nil>".to_string(),
        GoType::Ptr(inner) => go_print_top(value, inner),
        _ => go_fmt(value, ty),
    }
}

/// `fmt`'s `%v` of a typed value: structs as `{field field ...}` in field order, maps as
/// `map[key:value ...]` sorted by key, slices as `[a b]`, nil pointers as `<nil>`. A
/// pointer inside a struct prints as `&` and its target (Go prints a memory address).
fn go_fmt(value: &Value, ty: &'static GoType) -> String {
    match ty {
        GoType::Scalar(..) => match plain_value(value.clone(), ty) {
            Value::String(s) => s,
            other => gofmt::sprint_value(&other),
        },
        GoType::Struct(st) if st.name == "v1.Time" => go_time(value),
        GoType::Struct(st) => {
            let fields: Vec<String> = st
                .fields
                .iter()
                .map(|f| go_fmt(&field_json(value, f), f.ty))
                .collect();
            format!("{{{}}}", fields.join(" "))
        }
        GoType::Ptr(_) | GoType::Interface(_) if value.is_null() => "<nil>".to_string(),
        GoType::Ptr(inner) => format!("&{}", go_fmt(value, inner)),
        GoType::Interface(_) => match dynamic_type(value) {
            Some(dynamic) => go_fmt(value, dynamic),
            None => gofmt::sprint_value(value),
        },
        GoType::Slice(elem) => {
            let items: Vec<String> = value
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|item| go_fmt(item, elem))
                .collect();
            format!("[{}]", items.join(" "))
        }
        GoType::Map(elem) => {
            let mut entries: Vec<(&String, &Value)> = value
                .as_object()
                .map(|m| m.iter().collect())
                .unwrap_or_default();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_fmt(v, elem)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
    }
}

fn builtin_len(value: &Val) -> Result<Val, String> {
    let n = match value {
        Val::Missing | Val::Data(Value::Null) => return Err("len of untyped nil".into()),
        Val::Data(Value::String(s)) => s.len(),
        Val::Data(Value::Array(a)) => a.len(),
        Val::Data(Value::Object(m)) => m.len(),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Val::Data(Value::from(n)))
}

/// An index operand as an `int`.
fn index_arg(index: &Val, len: usize, allow_len: bool) -> Result<usize, String> {
    let i = match index {
        Val::Data(Value::Number(n)) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
        Val::Missing | Val::Data(Value::Null) => {
            return Err("cannot index slice/array with nil".into());
        }
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    let limit = if allow_len {
        len
    } else {
        len.saturating_sub(1)
    };
    match usize::try_from(i) {
        Ok(u) if u <= limit && (allow_len || len > 0) => Ok(u),
        _ => Err(format!("index out of range: {i}")),
    }
}

fn builtin_index(item: &Val, indexes: &[Val]) -> Result<Val, String> {
    let mut item = match item {
        Val::Missing | Val::Data(Value::Null) => return Err("index of untyped nil".into()),
        Val::Data(v) | Val::Typed(v, _) => v.clone(),
    };
    for index in indexes {
        item = match &item {
            Value::Array(items) => items[index_arg(index, items.len(), false)?].clone(),
            Value::String(s) => Value::from(s.as_bytes()[index_arg(index, s.len(), false)?]),
            Value::Object(map) => match index {
                Val::Data(Value::String(key)) => match map.get(key) {
                    Some(v) => v.clone(),
                    None => return Ok(Val::Missing),
                },
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            Value::Null => return Err("index of nil pointer".into()),
            other => {
                return Err(format!(
                    "can't index item of type {}",
                    FmtArg::of(other).type_name()
                ));
            }
        };
    }
    Ok(Val::Data(item))
}

fn builtin_slice(item: &Val, indexes: &[Val]) -> Result<Val, String> {
    let value = match item {
        Val::Missing | Val::Data(Value::Null) => return Err("slice of untyped nil".into()),
        Val::Data(v) | Val::Typed(v, _) => v,
    };
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    // `slice x i j k` is x[i:j:k]: each index within the length, and in order.
    let bounds = |len: usize| -> Result<(usize, usize), String> {
        let mut idx = [0, len, len];
        for (i, index) in indexes.iter().enumerate() {
            idx[i] = index_arg(index, len, true)?;
        }
        if idx[0] > idx[1] {
            return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
        }
        if indexes.len() == 3 && idx[1] > idx[2] {
            return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
        }
        Ok((idx[0], idx[1]))
    };
    let sliced = match value {
        Value::Array(a) => {
            let (start, end) = bounds(a.len())?;
            Value::Array(a[start..end].to_vec())
        }
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            let (start, end) = bounds(s.len())?;
            Value::String(String::from_utf8_lossy(&s.as_bytes()[start..end]).into_owned())
        }
        other => {
            return Err(format!(
                "can't slice item of type {}",
                FmtArg::of(other).type_name()
            ));
        }
    };
    Ok(Val::Data(sliced))
}

/// The basic kind of a comparison operand (Go's `basicKind`).
#[derive(Clone, Copy, PartialEq)]
enum Basic {
    Invalid,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str,
    Other,
}

fn basic(value: &Val) -> Basic {
    match value {
        Val::Typed(..) => basic(&value.clone().plain()),
        Val::Missing | Val::Data(Value::Null) => Basic::Invalid,
        Val::Data(Value::Bool(b)) => Basic::Bool(*b),
        Val::Data(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Basic::Int(i),
            (None, Some(u)) => Basic::Uint(u),
            _ => Basic::Float(n.as_f64().unwrap_or(0.0)),
        },
        Val::Data(Value::String(_)) => Basic::Str,
        Val::Data(_) => Basic::Other,
    }
}

fn same_kind(a: Basic, b: Basic) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

fn as_str(value: &Val) -> &str {
    match value {
        Val::Data(Value::String(s)) => s,
        _ => "",
    }
}

/// Go's `eq arg1 arg2...`: whether `arg1` equals any of the others.
fn compare_eq(arg1: &Val, others: &[Val]) -> Result<bool, String> {
    if others.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic(arg1);
    for arg in others {
        let k2 = basic(arg);
        let truth = if !same_kind(k1, k2) {
            match (k1, k2) {
                (Basic::Int(i), Basic::Uint(u)) | (Basic::Uint(u), Basic::Int(i)) => {
                    u64::try_from(i).is_ok_and(|i| i == u)
                }
                (Basic::Invalid, _) | (_, Basic::Invalid) => false,
                _ => return Err("incompatible types for comparison".into()),
            }
        } else {
            match (k1, k2) {
                (Basic::Bool(a), Basic::Bool(b)) => a == b,
                (Basic::Int(a), Basic::Int(b)) => a == b,
                (Basic::Uint(a), Basic::Uint(b)) => a == b,
                (Basic::Float(a), Basic::Float(b)) => a == b,
                (Basic::Str, Basic::Str) => as_str(arg1) == as_str(arg),
                (Basic::Invalid, Basic::Invalid) => true,
                _ => {
                    return Err(format!(
                        "non-comparable type {}: {}",
                        arg1.type_name(),
                        gofmt::sprint(&[arg1.fmt_arg()])
                    ));
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt`.
fn compare_lt(arg1: &Val, arg2: &Val) -> Result<bool, String> {
    let (k1, k2) = (basic(arg1), basic(arg2));
    let invalid_type = |k: Basic| matches!(k, Basic::Invalid | Basic::Other | Basic::Bool(_));
    if invalid_type(k1) || invalid_type(k2) {
        return Err("invalid type for comparison".into());
    }
    Ok(match (k1, k2) {
        (Basic::Int(a), Basic::Int(b)) => a < b,
        (Basic::Uint(a), Basic::Uint(b)) => a < b,
        (Basic::Float(a), Basic::Float(b)) => a < b,
        (Basic::Str, Basic::Str) => as_str(arg1) < as_str(arg2),
        (Basic::Int(i), Basic::Uint(u)) => i < 0 || (i as u64) < u,
        (Basic::Uint(u), Basic::Int(i)) => i >= 0 && u < i as u64,
        _ => return Err("incompatible types for comparison".into()),
    })
}

fn compare_le(arg1: &Val, arg2: &Val) -> Result<bool, String> {
    if compare_lt(arg1, arg2)? {
        return Ok(true);
    }
    compare_eq(arg1, std::slice::from_ref(arg2))
}

/// `fmt.Sprint(args...)`, except that a single string is used as it is.
fn evaluated_string(args: &[Val]) -> String {
    if let [Val::Data(Value::String(s))] = args {
        return s.clone();
    }
    gofmt::sprint(&fmt_args(args))
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{fffd}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// calicoctl's `joinAndTruncate` (and `join`, with no limit): the items of a slice, the
/// sorted `key=value` pairs of a map, or the value itself, printed with `%v` and joined;
/// when longer than `max_len` (> 0) the result is cut to `max_len - 3` bytes plus `...`
/// ([`crate::go::join_and_truncate`]).
fn join_and_truncate(items: &Val, separator: &str, max_len: i64) -> Result<Val, String> {
    let owned: Vec<Value>;
    let plain;
    let items = match items {
        Val::Typed(..) => {
            plain = items.clone().plain();
            &plain
        }
        other => other,
    };
    let items: &[Value] = match items {
        Val::Missing | Val::Data(Value::Null) => return Ok(string_val(String::new())),
        Val::Data(Value::Array(items)) => items,
        Val::Data(Value::Object(map)) => {
            let mut pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", gofmt::sprint_value(v)))
                .collect();
            pairs.sort();
            owned = pairs.into_iter().map(Value::String).collect();
            &owned
        }
        Val::Data(other) | Val::Typed(other, _) => std::slice::from_ref(other),
    };
    crate::go::join_and_truncate(items.iter().map(gofmt::sprint_value), separator, max_len)
        .map(string_val)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pool(name: &str, cidr: &str, disabled: bool) -> Value {
        json!({
            "kind": "IPPool",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": name, "resourceVersion": "12", "labels": {"zone": "a", "rack": "1"}},
            "spec": {"cidr": cidr, "blockSize": 26, "nodeSelector": "all()", "disabled": disabled,
                     "allowedUses": ["Workload", "Tunnel"]}
        })
    }

    fn data() -> Value {
        json!([{
            "kind": "IPPoolList",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {"resourceVersion": "99"},
            "items": [pool("p1", "10.0.0.0/16", false), pool("p2", "fd00::/64", true)]
        }])
    }

    fn ok(template: &str) -> String {
        render(template, &data()).unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    fn err(template: &str) -> String {
        render(template, &data()).expect_err(template).0
    }

    #[test]
    fn calicoctl_list_in_a_slice() {
        assert_eq!(
            ok("{{range .}}{{range .Items}}{{.ObjectMeta.Name}},{{end}}{{end}}"),
            "p1,p2,"
        );
        assert_eq!(
            ok(
                "{{range .}}{{.ListMeta.ResourceVersion}} {{.Kind}} {{.APIVersion}} {{.TypeMeta.Kind}}{{end}}"
            ),
            "99 IPPoolList projectcalico.org/v3 IPPoolList"
        );
    }

    #[test]
    fn fields_are_the_go_structs_fields() {
        // Exact Go names; ObjectMeta's fields are promoted; labels are a map.
        assert_eq!(
            ok(
                "{{range (index . 0).Items}}{{.Name}} {{.Spec.CIDR}} {{.Spec.BlockSize}} {{.ResourceVersion}} {{.Labels.zone}}\n{{end}}"
            ),
            "p1 10.0.0.0/16 26 12 a\np2 fd00::/64 26 12 a\n"
        );
        assert_eq!(ok("{{(index . 0).ListMeta.ResourceVersion}}"), "99");
        // A missing map key (or a key of a nil map) is no value, as Go prints it.
        assert_eq!(
            ok(
                "{{range (index . 0).Items}}{{.Labels.nope}} {{.Labels.nope.deeper}} {{.Annotations.x}};{{end}}"
            ),
            "<no value> <no value> <no value>;<no value> <no value> <no value>;"
        );
        // `index` of a map gives the element's zero value for a missing key.
        assert_eq!(
            ok("[{{index (index (index . 0).Items 0).Labels \"nope\"}}]"),
            "[]"
        );
        assert_eq!(
            ok(
                "{{range (index . 0).Items}}{{if eq .Spec.CIDR \"fd00::/64\"}}{{.Name}}{{end}}{{end}}"
            ),
            "p2"
        );
    }

    #[test]
    fn fields_json_omits_have_go_zero_values() {
        assert_eq!(
            ok(
                "{{range (index . 0).Items}}{{.Spec.NATOutgoing}} {{.Spec.Disabled}} [{{.Spec.VXLANMode}}] {{.Spec.AssignmentMode}} {{.Spec.IPIP}} {{.Annotations}} {{.Finalizers}} {{.Generation}} {{.CreationTimestamp}}\n{{end}}"
            ),
            "false false [] <nil> <nil> map[] [] 0 0001-01-01 00:00:00 +0000 UTC\n\
             false true [] <nil> <nil> map[] [] 0 0001-01-01 00:00:00 +0000 UTC\n"
        );
        // Structs are always true, nil pointers false.
        assert_eq!(
            ok(
                "{{with index (index . 0).Items 0}}{{if .Spec}}s{{end}}{{if .Spec.IPIP}}i{{else}}-{{end}}{{end}}"
            ),
            "s-"
        );
        // A whole struct prints as Go's %v does.
        assert_eq!(ok("{{(index . 0).ListMeta}}"), "{ 99  <nil>}");
        assert_eq!(
            ok(
                "{{printf \"%s/%d %v\" (index (index . 0).Items 0).Spec.CIDR (index (index . 0).Items 0).Spec.BlockSize (index . 0).ListMeta}}"
            ),
            "10.0.0.0/16/26 { 99  <nil>}"
        );
        let node = json!([{"kind": "Node", "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": "n1", "creationTimestamp": "2025-01-02T03:04:05Z"},
            "spec": {"orchRefs": [{"orchestrator": "k8s", "nodeName": "n1"}]}}]);
        assert_eq!(
            render(
                "{{range .}}{{.CreationTimestamp}} {{.Spec.BGP}} {{range .Spec.OrchRefs}}{{.Orchestrator}}:{{.NodeName}}{{end}} {{.Status.PodCIDRs}}{{end}}",
                &node
            )
            .unwrap(),
            "2025-01-02 03:04:05 +0000 UTC <nil> k8s:n1 []"
        );
        assert_eq!(
            render("{{range .}}{{.Spec.BGP.IPv4Address}}{{end}}", &node)
                .unwrap_err()
                .0,
            "template: get:1:13: executing \"get\" at <.Spec.BGP.IPv4Addres...>: nil pointer evaluating *v3.NodeBGPSpec.IPv4Address"
        );
        assert_eq!(
            render("{{range .}}{{.Spec.BGP.Bogus}}{{end}}", &node)
                .unwrap_err()
                .0,
            "template: get:1:13: executing \"get\" at <.Spec.BGP.Bogus>: can't evaluate field Bogus in type *v3.NodeBGPSpec"
        );
    }

    #[test]
    fn missing_map_keys_fail_with_missingkey_error() {
        let t =
            Template::parse("{{range (index . 0).Items}}{{.Labels.zone}}{{.Labels.nope}}{{end}}")
                .unwrap();
        assert_eq!(t.execute(&data()).unwrap(), "a<no value>a<no value>");
        let t = t.missing_key_error(true);
        assert_eq!(
            t.execute(&data()).unwrap_err().0,
            "template: get:1:45: executing \"get\" at <.Labels.nope>: map has no entry for key \"nope\""
        );
    }

    #[test]
    fn a_field_the_go_struct_lacks_fails_as_go_fails() {
        assert_eq!(
            err("{{range .}}{{.Bogus}}{{end}}"),
            "template: get:1:13: executing \"get\" at <.Bogus>: can't evaluate field Bogus in type runtime.Object"
        );
        assert_eq!(
            err("{{range .}}{{range .Items}}{{.Spec.cidr}}{{end}}{{end}}"),
            "template: get:1:29: executing \"get\" at <.Spec.cidr>: can't evaluate field cidr in type v3.IPPoolSpec"
        );
        assert_eq!(
            err("{{range .}}{{range .Items}}\n  {{.Metadata.Name}}{{end}}{{end}}"),
            "template: get:2:4: executing \"get\" at <.Metadata.Name>: can't evaluate field Metadata in type v3.IPPool"
        );
        assert_eq!(
            err("{{.Bogus}}"),
            "template: get:1:2: executing \"get\" at <.Bogus>: can't evaluate field Bogus in type []runtime.Object"
        );
        assert_eq!(
            err("{{range .}}{{.Items.Name}}{{end}}"),
            "template: get:1:13: executing \"get\" at <.Items.Name>: can't evaluate field Name in type []v3.IPPool"
        );
        assert_eq!(
            err("{{range .}}{{.Kind 1}}{{end}}"),
            "template: get:1:13: executing \"get\" at <.Kind>: Kind has arguments but cannot be invoked as function"
        );
    }

    #[test]
    fn printing_values_like_go() {
        let v = json!({"s": "x", "n": 5, "f": 1.5, "big": 1e6, "b": true, "nil": null,
                       "list": ["a", 1, null], "map": {"b": 2, "a": [1]}});
        let out = render(
            "{{.s}} {{.n}} {{.f}} {{.big}} {{.b}} {{.nil}} {{.list}} {{.map}}",
            &v,
        )
        .unwrap();
        assert_eq!(
            out,
            "x 5 1.5 1e+06 true <no value> [a 1 <nil>] map[a:[1] b:2]"
        );
        assert_eq!(render("{{.}}", &json!(["a", "b"])).unwrap(), "[a b]");
        assert_eq!(
            render(
                "{{3}} {{1.5}} {{'a'}} {{0x10}} {{1e3}} {{\"q\"}} {{`raw`}}",
                &Value::Null
            )
            .unwrap(),
            "3 1.5 97 16 1000 q raw"
        );
    }

    #[test]
    fn trim_markers_and_comments() {
        let v = json!({"a": "A"});
        assert_eq!(render("x  \n {{- .a -}} \n  y", &v).unwrap(), "xAy");
        assert_eq!(render("x {{- /* note */ -}} y", &v).unwrap(), "xy");
        assert_eq!(render("x {{/* note */}} y", &v).unwrap(), "x  y");
        assert_eq!(render("{{-3}}", &v).unwrap(), "-3");
        assert_eq!(render("{{ .a }}\n{{- \"\\n\" -}}\nz", &v).unwrap(), "A\nz");
    }

    #[test]
    fn variables_and_range_forms() {
        assert_eq!(
            ok("{{range $i, $p := (index . 0).Items}}{{$i}}:{{$p.ObjectMeta.Name}} {{end}}"),
            "0:p1 1:p2 "
        );
        assert_eq!(
            ok("{{$l := index . 0}}{{range $l.Items}}{{$l.Kind}}/{{.Name}} {{end}}"),
            "IPPoolList/p1 IPPoolList/p2 "
        );
        assert_eq!(
            ok("{{$x := 1}}{{range (index . 0).Items}}{{$x = 2}}{{end}}{{$x}}"),
            "2"
        );
        assert_eq!(
            ok("{{range $k, $v := (index (index . 0).Items 0).Labels}}{{$k}}={{$v}};{{end}}"),
            "rack=1;zone=a;"
        );
        assert_eq!(
            ok("{{range (index (index . 0).Items 0).Labels.nothing}}x{{else}}empty{{end}}"),
            "empty"
        );
        assert_eq!(ok("{{range 3}}{{.}}{{end}}"), "012");
        assert_eq!(ok("{{range $}}{{len .Items}}{{end}}"), "2");
        assert_eq!(
            err("{{$.}}"),
            "template: get:1: unexpected \".\" in operand"
        );
        assert_eq!(
            ok(
                "{{range (index . 0).Items}}{{if .Spec.Disabled}}{{continue}}{{end}}{{.Name}}{{end}}|{{range (index . 0).Items}}{{.Name}}{{break}}{{end}}"
            ),
            "p1|p1"
        );
    }

    #[test]
    fn conditionals() {
        assert_eq!(
            ok(
                "{{range (index . 0).Items}}{{if .Spec.Disabled}}off{{else if eq .Name \"p1\"}}first{{else}}other{{end}} {{end}}"
            ),
            "first off "
        );
        assert_eq!(
            ok("{{with (index . 0).ListMeta}}{{.ResourceVersion}}{{end}}"),
            "99"
        );
        assert_eq!(
            ok("{{with (index (index . 0).Items 0).Labels.nope}}yes{{else with 5}}{{.}}{{end}}"),
            "5"
        );
        assert_eq!(
            ok("{{if and 1 0 (index . 9)}}y{{else}}n{{end}}{{or 0 \"\" \"z\"}}{{not 0}}"),
            "nztrue"
        );
        assert_eq!(
            ok("{{if .}}nonempty{{end}}{{if (index . 0).Items}}items{{end}}"),
            "nonemptyitems"
        );
    }

    #[test]
    fn builtin_functions() {
        let v = json!({"l": ["a", "b", "c"], "m": {"k": "v"}, "s": "héllo", "n": 26, "u": 18446744073709551615u64});
        let r = |t: &str| render(t, &v).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(r("{{len .l}} {{len .m}} {{len .s}}"), "3 1 6");
        assert_eq!(
            r("{{index .l 1}} {{index .m \"k\"}} {{index .m \"x\"}} {{index .s 0}}"),
            "b v <no value> 104"
        );
        assert_eq!(
            r("{{slice .l 1}} {{slice .l 1 2}} {{slice .l 0 1 2}} {{slice .s 0 1}}"),
            "[b c] [b] [a] h"
        );
        assert_eq!(
            render("{{slice .l 2 1}}", &v).unwrap_err().0,
            "template: get:1:2: executing \"get\" at <slice .l 2 1>: error calling slice: invalid slice index: 2 > 1"
        );
        assert_eq!(
            r("{{with $n := .n}}{{$n}}{{end}}{{if $x := .s}}{{$x}}{{end}}"),
            "26héllo"
        );
        assert_eq!(
            r("{{printf \"%s-%03d %v %q\" .s .n .l .m.k}}"),
            "héllo-026 [a b c] \"v\""
        );
        assert_eq!(
            r("{{.n | printf \"%d%%\"}} {{print 1 2 \"a\" 3}} {{println \"x\" 1}}"),
            "26% 1 2a3 x 1\n"
        );
        assert_eq!(
            r(
                "{{eq .n 26}} {{eq .s \"a\" \"héllo\"}} {{ne .n 3}} {{lt .n 30}} {{le .n 26}} {{gt .s \"a\"}} {{ge .n 27}}"
            ),
            "true true true true true true false"
        );
        assert_eq!(
            r("{{eq .u .n}} {{lt .n .u}} {{gt .u .n}}"),
            "false true true"
        );
        assert_eq!(
            r("{{eq .missing 1}} {{eq .missing .missing}}"),
            "false true"
        );
        assert_eq!(
            r("{{html \"<a href='x'>&\"}} {{urlquery \"a b&c\"}} {{js \"it's <b>\"}}"),
            "&lt;a href=&#39;x&#39;&gt;&amp; a+b%26c it\\'s \\u003Cb\\u003E"
        );
    }

    #[test]
    fn calicoctl_join_functions() {
        let v = json!({
            "cidrs": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
            "labels": {"z": 1, "a": "b"},
            "one": "x",
            "long": (0..10).map(|i| format!("10.{i}.0.0/16")).collect::<Vec<_>>(),
        });
        let r = |t: &str| render(t, &v).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(
            r("{{join .cidrs \",\"}}"),
            "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
        );
        assert_eq!(
            r("{{join .labels \",\"}}|{{join .one \",\"}}|{{join .missing \",\"}}"),
            "a=b,z=1|x|"
        );
        let joined = (0..10)
            .map(|i| format!("10.{i}.0.0/16"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(joined.len(), 119);
        assert_eq!(
            r("{{joinAndTruncate .long \",\" 80}}"),
            format!("{}...", &joined[..77])
        );
        assert_eq!(
            r("{{joinAndTruncate .cidrs \",\" 80}}"),
            "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
        );
        assert_eq!(
            r("{{joinAndTruncate .cidrs \",\" 0}}"),
            "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
        );
    }

    #[test]
    fn config_function() {
        let t = Template::parse("ASN {{config \"asnumber\"}}").unwrap();
        let lookup = |name: &str| -> Result<String, String> {
            assert_eq!(name, "asnumber");
            Ok("64512".to_string())
        };
        assert_eq!(
            t.execute_with_config(&Value::Null, Some(&lookup)).unwrap(),
            "ASN 64512"
        );
        assert_eq!(
            render("{{config \"other\"}}", &Value::Null).unwrap_err().0,
            "template: get:1:2: executing \"get\" at <config \"other\">: error calling config: unhandled config type"
        );
    }

    #[test]
    fn parse_errors_have_positions() {
        assert_eq!(
            err("a\n{{foo .}}"),
            "template: get:2: function \"foo\" not defined"
        );
        assert_eq!(err("{{.Name"), "template: get:1: unclosed action");
        assert_eq!(err("{{if .}}x"), "template: get:1: unexpected EOF");
        assert_eq!(err("{{end}}"), "template: get:1: unexpected {{end}}");
        assert_eq!(err("{{$x}}"), "template: get:1: undefined variable \"$x\"");
        assert_eq!(
            err("{{if}}{{end}}"),
            "template: get:1: missing value for if"
        );
        assert_eq!(
            err("{{break}}"),
            "template: get:1: {{break}} outside {{range}}"
        );
        assert_eq!(
            err("{{.A | 3}}"),
            "template: get:1: non executable command in pipeline stage 2"
        );
        assert_eq!(
            err("{{template \"x\"}}"),
            "template: get:1: {{template}} is not supported"
        );
        assert_eq!(err("{{/* open"), "template: get:1: unclosed comment");
        assert_eq!(
            err("{{\"abc}}"),
            "template: get:1: unterminated quoted string"
        );
        assert_eq!(err("{{3x}}"), "template: get:1: bad number syntax: \"3x\"");
        assert_eq!(err("{{(.A}}"), "template: get:1: unclosed left paren");
        assert_eq!(err("{{.A)}}"), "template: get:1: unexpected right paren");
        assert_eq!(
            err("{{.A.}}"),
            "template: get:1: unexpected \".\" in operand"
        );
        assert_eq!(
            err("{{\"a\".B}}"),
            "template: get:1: unexpected . after term \"\\\"a\\\"\""
        );
    }

    #[test]
    fn execution_errors() {
        assert_eq!(
            err("{{printf \"%s\" (index . 0).Kind.Length}}"),
            "template: get:1:25: executing \"get\" at <(index . 0).Kind.Len...>: can't evaluate field Length in type string"
        );
        assert_eq!(
            err("{{len 3}}"),
            "template: get:1:2: executing \"get\" at <len 3>: error calling len: len of type int"
        );
        assert_eq!(
            err("{{index (index . 0).Items 5}}"),
            "template: get:1:2: executing \"get\" at <index (index . 0).It...>: error calling index: index out of range: 5"
        );
        assert_eq!(
            err("{{printf 3}}"),
            "template: get:1:9: executing \"get\" at <3>: wrong type for value; expected string; got int"
        );
        assert_eq!(
            err("{{join . 1}}"),
            "template: get:1:9: executing \"get\" at <1>: wrong type for value; expected string; got int"
        );
        assert_eq!(
            err("{{if 1}}\n{{len (len 1)}}{{end}}"),
            "template: get:2:7: executing \"get\" at <len 1>: error calling len: len of type int"
        );
        assert_eq!(
            err("{{eq 1 \"a\"}}"),
            "template: get:1:2: executing \"get\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison"
        );
        assert_eq!(
            err("{{lt true false}}"),
            "template: get:1:2: executing \"get\" at <lt true false>: error calling lt: invalid type for comparison"
        );
        assert_eq!(
            err("{{len}}"),
            "template: get:1:2: executing \"get\" at <len>: wrong number of args for len: want 1 got 0"
        );
        assert_eq!(
            err("{{. 1}}"),
            "template: get:1:2: executing \"get\" at <.>: can't give argument to non-function ."
        );
        assert_eq!(
            err("{{range \"s\"}}{{end}}"),
            "template: get:1:8: executing \"get\" at <\"s\">: range can't iterate over s"
        );
        assert_eq!(
            err("{{18446744073709551615}}"),
            "template: get:1:2: executing \"get\" at <18446744073709551615>: 18446744073709551615 overflows int"
        );
        assert_eq!(
            render("{{99999999999999999999}}", &Value::Null).unwrap(),
            "<no value>"
        );
    }

    #[test]
    fn unquoting_go_literals() {
        assert_eq!(
            unquote(r#""a\tb\x41\u00e9\U0001F600\101\"""#).unwrap(),
            "a\tbAé😀A\""
        );
        assert_eq!(unquote("`a\\n\r`").unwrap(), "a\\n");
        assert!(unquote(r#""\q""#).is_err());
        assert_eq!(unquote_char(r"'\n'").unwrap(), '\n');
        assert_eq!(unquote_char("'\\''").unwrap(), '\'');
    }
}
