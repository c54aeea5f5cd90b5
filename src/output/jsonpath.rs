//! kubectl-style JSONPath (`-o jsonpath=`), an extension beyond calicoctl.
//!
//! The template language is kubectl's (client-go `util/jsonpath`): text outside braces is
//! printed as it is; each `{…}` is an expression over the data:
//! - `.field` or `['field']` (a `\` escapes a terminator in a field name), `.*` all values,
//!   `[n]` (negative counts from the end), `[a:b]`, `[a:b:step]`, `[*]`, unions `[0,2]` and
//!   `['a','b']`, `..field` recursive descent, `@` / `$` (the current object; a no-op),
//!   filters `[?(@.spec.disabled==true)]` with `== != < > <= >=` or bare existence
//!   `[?(@.spec.natOutgoing)]`, literals `"text"` / `'text'` (Go escapes), numbers, `true`;
//! - `{range <expr>}…{end}` repeats its body with each result as the current object.
//!
//! Output follows kubectl: the results of one expression are separated by a space; strings
//! print raw, numbers and booleans as Go prints them, `null` as `null`, and maps and arrays
//! as compact JSON (keys sorted, Go escapes). Missing keys yield no result (kubectl's
//! default `--allow-missing-template-keys=true`); with [`render_strict`] a field that no
//! input has fails with kubectl's `<field> is not found`.

use crate::go::json as gojson;
use crate::go::strconv::format_g;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A JSONPath template that failed to parse or to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonPathError(pub String);

/// Evaluates the kubectl-style JSONPath template `expr` over `data`.
///
/// ```
/// let data = serde_json::json!({"items": [
///     {"metadata": {"name": "a"}, "spec": {"cidr": "10.0.0.0/16"}},
///     {"metadata": {"name": "b"}, "spec": {"cidr": "10.1.0.0/16"}}]});
/// let out = calico::output::jsonpath::render("{.items[*].metadata.name}", &data).unwrap();
/// assert_eq!(out, "a b");
/// ```
pub fn render(expr: &str, data: &Value) -> Result<String, JsonPathError> {
    render_with(expr, data, true)
}

/// As [`render`], but a field missing from every input fails (kubectl's
/// `--allow-missing-template-keys=false`): `bogus is not found`.
pub fn render_strict(expr: &str, data: &Value) -> Result<String, JsonPathError> {
    render_with(expr, data, false)
}

fn render_with(expr: &str, data: &Value, allow_missing: bool) -> Result<String, JsonPathError> {
    let top = Parser::new(expr).parse_template()?;
    let blocks = build_blocks(&mut top.into_iter().peekable(), false)?;
    let mut out = String::new();
    execute(&blocks, data, &mut out, !allow_missing)?;
    Ok(out)
}

/// kubectl's message for a failed template (`--allow-missing-template-keys=false`), with
/// the object it gave the engine.
pub(crate) fn kubectl_error(expr: &str, error: &JsonPathError, data: &Value) -> String {
    let quote = |s: &str| crate::go::strconv::quote(s, false);
    format!(
        "error executing jsonpath {}: Error executing template: {error}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{expr}\n\tobject given to jsonpath engine was:\n\t\t{}\n\n",
        quote(expr),
        go_sharp_v(data)
    )
}

/// Go's `%#v` of decoded JSON (`map[string]interface {}{"a":"b"}`), as kubectl shows the
/// object it gave the JSONPath engine when a template fails.
pub(crate) fn go_sharp_v(value: &Value) -> String {
    match value {
        Value::Null => "interface {}(nil)".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            _ => format_g(n.as_f64().unwrap_or(0.0), None),
        },
        Value::String(s) => crate::go::strconv::quote(s, false),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_sharp_v).collect();
            format!("[]interface {{}}{{{}}}", items.join(", "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", crate::go::strconv::quote(k, false), go_sharp_v(v)))
                .collect();
            format!("map[string]interface {{}}{{{}}}", entries.join(", "))
        }
    }
}

fn error(message: impl Into<String>) -> JsonPathError {
    JsonPathError(message.into())
}

// ---------------------------------------------------------------------------------------------
// Parse tree
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default)]
struct Param {
    known: bool,
    value: i64,
    derived: bool,
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Field(String),
    Wildcard,
    Array([Param; 3]),
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Recursive,
    Union(Vec<Vec<Node>>),
    Identifier(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// A top-level piece of the template: literal text or one `{…}` action.
#[derive(Debug)]
enum Top {
    Text(String),
    Action(Vec<Node>),
}

// ---------------------------------------------------------------------------------------------
// Parser (kubectl's grammar)
// ---------------------------------------------------------------------------------------------

struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

fn is_terminator(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser { input, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn parse_template(&mut self) -> Result<Vec<Top>, JsonPathError> {
        let mut top = Vec::new();
        loop {
            match self.rest().find('{') {
                None => {
                    if !self.rest().is_empty() {
                        top.push(Top::Text(self.rest().to_string()));
                    }
                    return Ok(top);
                }
                Some(offset) => {
                    if offset > 0 {
                        top.push(Top::Text(self.rest()[..offset].to_string()));
                    }
                    self.pos += offset + 1;
                    top.push(Top::Action(self.parse_action()?));
                }
            }
        }
    }

    /// The nodes of one action, up to and including its `}`.
    fn parse_action(&mut self) -> Result<Vec<Node>, JsonPathError> {
        let mut nodes = Vec::new();
        loop {
            let rest = self.rest();
            if rest.starts_with('}') {
                self.pos += 1;
                return Ok(nodes);
            }
            if rest.starts_with("[?(") {
                self.pos += 3;
                nodes.push(self.parse_filter()?);
                continue;
            }
            if rest.starts_with("..") {
                if matches!(nodes.last(), Some(Node::Recursive)) {
                    return Err(error("invalid multiple recursive descent"));
                }
                self.pos += 2;
                nodes.push(Node::Recursive);
                if self.peek().is_some_and(is_alphanumeric) {
                    nodes.push(self.parse_field());
                }
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return Err(error("unclosed action")),
                Some(' ' | '@' | '$') => {}
                Some('[') => self.parse_array(&mut nodes)?,
                Some(q @ ('"' | '\'')) => nodes.push(Node::Text(self.parse_quote(q)?)),
                Some('.') => nodes.push(self.parse_field()),
                Some(c @ ('+' | '-')) => nodes.push(self.parse_number(c)?),
                Some(c) if c.is_numeric() => nodes.push(self.parse_number(c)?),
                Some(c) if is_alphanumeric(c) => {
                    let start = self.pos - c.len_utf8();
                    while !is_terminator(self.peek()) {
                        self.next();
                    }
                    let word = &self.input[start..self.pos];
                    nodes.push(match word {
                        "true" => Node::Bool(true),
                        "false" => Node::Bool(false),
                        _ => Node::Identifier(word.to_string()),
                    });
                }
                Some(c) => {
                    return Err(error(format!(
                        "unrecognized character in action: U+{:04X} '{c}'",
                        c as u32
                    )));
                }
            }
        }
    }

    /// A field name up to the next unescaped terminator; `*` is the wildcard.
    fn parse_field(&mut self) -> Node {
        let start = self.pos;
        loop {
            match self.peek() {
                Some('\\') => {
                    self.next();
                    self.next();
                }
                c if is_terminator(c) => break,
                _ => {
                    self.next();
                }
            }
        }
        let name = &self.input[start..self.pos];
        if name == "*" {
            Node::Wildcard
        } else {
            Node::Field(name.replace('\\', ""))
        }
    }

    fn parse_number(&mut self, first: char) -> Result<Node, JsonPathError> {
        let start = self.pos - first.len_utf8();
        while self.peek().is_some_and(|c| c == '.' || c.is_numeric()) {
            self.next();
        }
        let text = &self.input[start..self.pos];
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Node::Int(i));
        }
        match text.parse::<f64>() {
            Ok(f) if text.bytes().any(|b| b.is_ascii_digit()) => Ok(Node::Float(f)),
            _ => Err(error(format!("cannot parse number {text}"))),
        }
    }

    fn parse_quote(&mut self, quote: char) -> Result<String, JsonPathError> {
        let start = self.pos - 1;
        loop {
            match self.next() {
                None | Some('\n') => return Err(error("unterminated quoted string")),
                Some(c) if c == quote && self.input.as_bytes()[self.pos - 2] != b'\\' => break,
                Some(_) => {}
            }
        }
        let literal = &self.input[start..self.pos];
        unquote_extend(literal).map_err(|e| error(format!("unquote string {literal} error {e}")))
    }

    fn parse_array(&mut self, nodes: &mut Vec<Node>) -> Result<(), JsonPathError> {
        let start = self.pos;
        loop {
            match self.next() {
                None | Some('\n') => return Err(error("unterminated array")),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let mut text = &self.input[start..self.pos - 1];
        if text == "*" {
            text = ":";
        }
        // Union: each part is parsed as its own `[part]`.
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > 1 {
            let mut union = Vec::new();
            for part in parts {
                union.push(parse_single_action(&format!(
                    "[{}]",
                    part.trim_matches(' ')
                ))?);
            }
            nodes.push(Node::Union(union));
            return Ok(());
        }
        // Dictionary key: `['name']`.
        if let Some(key) = text
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .filter(|k| !k.contains('\'') && text.len() >= 2)
        {
            nodes.extend(parse_single_action(&format!(".{key}"))?);
            return Ok(());
        }
        nodes.push(Node::Array(parse_slice(text)?));
        Ok(())
    }

    /// `[?(left op right)]` or `[?(expr)]`, after the `[?(`.
    fn parse_filter(&mut self) -> Result<Node, JsonPathError> {
        let start = self.pos;
        let mut begin = false;
        let mut end = false;
        let mut pair = '"';
        loop {
            match self.next() {
                None | Some('\n') => return Err(error("unterminated filter")),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if self.input.as_bytes()[self.pos - 2] != b'\\' && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return Err(error("unclosed array expect ]"));
        }
        let text = &self.input[start..self.pos - 2];
        // `^([^!<>=]+)([!<>=]+)(.+?)$`
        let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
        let op_start = text.find(is_op).filter(|&i| i > 0);
        let split = op_start.and_then(|i| {
            let op_len = text[i..].find(|c| !is_op(c))?;
            let right = &text[i + op_len..];
            (!right.is_empty()).then(|| (&text[..i], &text[i..i + op_len], right))
        });
        match split {
            None => Ok(Node::Filter {
                left: parse_single_action(text)?,
                right: Vec::new(),
                op: "exists".to_string(),
            }),
            Some((left, op, right)) => Ok(Node::Filter {
                left: parse_single_action(left)?,
                right: parse_single_action(right)?,
                op: op.to_string(),
            }),
        }
    }
}

/// Parses `text` as the inside of one action (kubectl's `parseAction`).
fn parse_single_action(text: &str) -> Result<Vec<Node>, JsonPathError> {
    let mut parser = Parser::new(text);
    let nodes = parser.parse_action_text()?;
    Ok(nodes)
}

impl Parser<'_> {
    fn parse_action_text(&mut self) -> Result<Vec<Node>, JsonPathError> {
        let wrapped = format!("{}}}", self.input);
        let mut inner = Parser::new(&wrapped);
        let nodes = inner.parse_action()?;
        if inner.pos != wrapped.len() {
            return Err(error(format!("invalid expression {}", self.input)));
        }
        Ok(nodes)
    }
}

/// `^(-?\d*)(:-?\d*)?(:-?\d*)?$` into start, end and step.
fn parse_slice(text: &str) -> Result<[Param; 3], JsonPathError> {
    let invalid = || error(format!("invalid array index {text}"));
    let groups: Vec<&str> = text.split(':').collect();
    if groups.len() > 3 {
        return Err(invalid());
    }
    let valid_group = |g: &str| {
        let digits = g.strip_prefix('-').unwrap_or(g);
        digits.bytes().all(|b| b.is_ascii_digit())
    };
    if !groups.iter().all(|g| valid_group(g)) {
        return Err(invalid());
    }
    let mut params = [Param::default(); 3];
    for i in 0..3 {
        match groups.get(i) {
            Some(g) if !g.is_empty() => {
                params[i].known = true;
                params[i].value = g
                    .parse()
                    .map_err(|_| error(format!("array index {g} is not a number")))?;
            }
            Some(_) if i > 0 => params[i].known = false,
            _ if i == 1 => {
                params[1] = Param {
                    known: true,
                    value: params[0].value + 1,
                    derived: true,
                };
            }
            _ => {}
        }
    }
    Ok(params)
}

/// kubectl's `UnquoteExtend`: Go's unquoting for `"…"` and `'…'` strings.
fn unquote_extend(literal: &str) -> Result<String, String> {
    let quote = literal.chars().next().ok_or("invalid syntax")?;
    let inner = &literal[1..literal.len() - 1];
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err("invalid syntax".into());
        }
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next().ok_or("invalid syntax")? {
            'a' => out.push(7),
            'b' => out.push(8),
            'f' => out.push(12),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'v' => out.push(11),
            '\\' => out.push(b'\\'),
            q if q == quote => out.push(q as u8),
            e @ ('x' | 'u' | 'U') => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(n).collect();
                let value = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == n)
                    .ok_or("invalid syntax")?;
                if e == 'x' {
                    out.push(value as u8);
                } else {
                    let c = char::from_u32(value).ok_or("invalid syntax")?;
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            d @ '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let value = u32::from_str_radix(&format!("{d}{rest}"), 8)
                    .ok()
                    .filter(|v| rest.len() == 2 && *v <= 255)
                    .ok_or("invalid syntax")?;
                out.push(value as u8);
            }
            _ => return Err("invalid syntax".into()),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

// ---------------------------------------------------------------------------------------------
// Blocks: `{range …}…{end}` structure
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Block {
    Text(String),
    Expr(Vec<Node>),
    Range(Vec<Node>, Vec<Block>),
}

fn build_blocks(
    tops: &mut std::iter::Peekable<std::vec::IntoIter<Top>>,
    in_range: bool,
) -> Result<Vec<Block>, JsonPathError> {
    let mut blocks = Vec::new();
    while let Some(top) = tops.next() {
        match top {
            Top::Text(text) => blocks.push(Block::Text(text)),
            Top::Action(nodes) => match nodes.first() {
                Some(Node::Identifier(word)) if word == "end" => {
                    if nodes.len() > 1 {
                        return Err(error("unexpected expression after end"));
                    }
                    if !in_range {
                        return Err(error("not in range, nothing to end"));
                    }
                    return Ok(blocks);
                }
                Some(Node::Identifier(word)) if word == "range" => {
                    let expr = nodes[1..].to_vec();
                    let body = build_blocks(tops, true)?;
                    blocks.push(Block::Range(expr, body));
                }
                _ => blocks.push(Block::Expr(nodes)),
            },
        }
    }
    Ok(blocks)
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

type Values<'a> = Vec<Cow<'a, Value>>;

fn execute(
    blocks: &[Block],
    current: &Value,
    out: &mut String,
    strict: bool,
) -> Result<(), JsonPathError> {
    for block in blocks {
        match block {
            Block::Text(text) => out.push_str(text),
            Block::Expr(nodes) => {
                let results = eval_list(vec![Cow::Borrowed(current)], nodes, strict)?;
                print_results(&results, out);
            }
            Block::Range(nodes, body) => {
                for value in eval_list(vec![Cow::Borrowed(current)], nodes, strict)? {
                    execute(body, &value, out, strict)?;
                }
            }
        }
    }
    Ok(())
}

fn print_results(results: &[Cow<'_, Value>], out: &mut String) {
    for (i, value) in results.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match value.as_ref() {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => out.push_str(&i.to_string()),
                (None, Some(u)) => out.push_str(&u.to_string()),
                _ => out.push_str(&format_g(n.as_f64().unwrap_or(0.0), None)),
            },
            Value::String(s) => out.push_str(s),
            // Go's json.Marshal of decoded JSON: map keys sorted.
            other => out.push_str(&gojson::to_string(&sorted(other))),
        }
    }
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Go type names for error messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn eval_list<'a>(
    mut values: Values<'a>,
    nodes: &[Node],
    strict: bool,
) -> Result<Values<'a>, JsonPathError> {
    for node in nodes {
        values = eval_node(values, node, strict)?;
    }
    Ok(values)
}

/// Borrows a child of a value that may itself be owned.
fn child<'a>(
    parent: &Cow<'a, Value>,
    get: impl Fn(&Value) -> Option<&Value>,
) -> Option<Cow<'a, Value>> {
    match parent {
        Cow::Borrowed(v) => get(v).map(Cow::Borrowed),
        Cow::Owned(v) => get(v).map(|c| Cow::Owned(c.clone())),
    }
}

/// The children of a container, in order (strings count as containers of their bytes).
fn children<'a>(value: &Cow<'a, Value>) -> Values<'a> {
    let count = match value.as_ref() {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        Value::String(s) => s.len(),
        _ => 0,
    };
    (0..count)
        .filter_map(|i| match value.as_ref() {
            Value::String(s) => Some(Cow::Owned(Value::from(s.as_bytes()[i]))),
            Value::Object(_) => child(value, |v| v.as_object().and_then(|m| m.values().nth(i))),
            _ => child(value, |v| v.get(i)),
        })
        .collect()
}

fn eval_node<'a>(
    input: Values<'a>,
    node: &Node,
    strict: bool,
) -> Result<Values<'a>, JsonPathError> {
    Ok(match node {
        Node::Text(text) => vec![Cow::Owned(Value::String(text.clone()))],
        Node::Int(i) => input.iter().map(|_| Cow::Owned(Value::from(*i))).collect(),
        Node::Float(f) => input.iter().map(|_| Cow::Owned(Value::from(*f))).collect(),
        Node::Bool(b) => input.iter().map(|_| Cow::Owned(Value::Bool(*b))).collect(),
        Node::Identifier(word) => return Err(error(format!("unrecognized identifier {word}"))),
        Node::Field(name) if name.is_empty() => input,
        Node::Field(name) => {
            let found: Values<'a> = input
                .iter()
                .filter_map(|v| child(v, |v| v.as_object().and_then(|m| m.get(name.as_str()))))
                .collect();
            // kubectl: no input gives no output; a field no input has is "not found".
            if strict && found.is_empty() && !input.is_empty() {
                return Err(error(format!("{name} is not found")));
            }
            found
        }
        Node::Wildcard => input.iter().flat_map(children).collect(),
        Node::Recursive => {
            let mut out = Vec::new();
            for value in input {
                collect_recursive(value, &mut out);
            }
            out
        }
        Node::Union(lists) => {
            let mut out = Vec::new();
            for list in lists {
                out.extend(eval_list(input.clone(), list, strict)?);
            }
            out
        }
        Node::Array(params) => eval_array(input, params)?,
        Node::Filter { left, right, op } => eval_filter(input, left, right, op, strict)?,
    })
}

/// A container and, depth first, every container below it. A non-empty string counts (its
/// bytes are its children, as in kubectl), but nothing below it can.
fn collect_recursive<'a>(value: Cow<'a, Value>, out: &mut Values<'a>) {
    if let Value::String(s) = value.as_ref() {
        if !s.is_empty() {
            out.push(value);
        }
        return;
    }
    let kids = children(&value);
    if kids.is_empty() {
        return;
    }
    out.push(value);
    for kid in kids {
        collect_recursive(kid, out);
    }
}

fn eval_array<'a>(input: Values<'a>, params: &[Param; 3]) -> Result<Values<'a>, JsonPathError> {
    let mut result = Vec::new();
    for value in &input {
        let items = match value.as_ref() {
            Value::Null => continue,
            Value::Array(items) => items,
            other => return Err(error(format!("{} is not array or slice", type_name(other)))),
        };
        let len = items.len() as i64;
        let mut start = if params[0].known { params[0].value } else { 0 };
        if start < 0 {
            start += len;
        }
        let mut end = if params[1].known {
            params[1].value
        } else {
            len
        };
        if end < 0 || (end == 0 && params[1].derived) {
            end += len;
        }
        if start == end {
            // kubectl returns what it has collected so far.
            return Ok(result);
        }
        if start >= len || start < 0 {
            return Err(error(format!(
                "array index out of bounds: index {start}, length {len}"
            )));
        }
        if end > len || end < 0 {
            return Err(error(format!(
                "array index out of bounds: index {}, length {len}",
                end - 1
            )));
        }
        if start > end {
            return Err(error(format!(
                "starting index {start} is greater than ending index {end}"
            )));
        }
        let step = if params[2].known {
            if params[2].value <= 0 {
                return Err(error("step must be > 0"));
            }
            params[2].value as usize
        } else {
            1
        };
        for i in (start as usize..end as usize).step_by(step) {
            if let Some(item) = child(value, |v| v.get(i)) {
                result.push(item);
            }
        }
    }
    Ok(result)
}

fn eval_filter<'a>(
    input: Values<'a>,
    left: &[Node],
    right: &[Node],
    op: &str,
    strict: bool,
) -> Result<Values<'a>, JsonPathError> {
    let mut results = Vec::new();
    for value in &input {
        let Value::Array(items) = value.as_ref() else {
            return Err(error(format!(
                "{} is not array or slice and cannot be filtered",
                crate::go::fmt::sprint_value(value)
            )));
        };
        for i in 0..items.len() {
            let Some(item) = child(value, |v| v.get(i)) else {
                continue;
            };
            let lefts = eval_list(vec![item.clone()], left, strict);
            if op == "exists" {
                if lefts.is_ok_and(|l| !l.is_empty()) {
                    results.push(item);
                }
                continue;
            }
            let lefts = lefts?;
            if lefts.len() != 1 {
                if lefts.is_empty() {
                    continue;
                }
                return Err(error("can only compare one element at a time"));
            }
            let rights = eval_list(vec![item.clone()], right, strict)?;
            if rights.len() != 1 {
                if rights.is_empty() {
                    continue;
                }
                return Err(error("can only compare one element at a time"));
            }
            if compare(&lefts[0], &rights[0], op)? {
                results.push(item);
            }
        }
    }
    Ok(results)
}

#[derive(PartialEq, PartialOrd)]
enum Scalar<'v> {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'v str),
}

fn scalar(value: &Value) -> Result<Scalar<'_>, JsonPathError> {
    Ok(match value {
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Scalar::Int(i128::from(i)),
            (None, Some(u)) => Scalar::Int(i128::from(u)),
            _ => Scalar::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Scalar::Str(s),
        _ => return Err(error("invalid type for comparison")),
    })
}

/// The filter comparisons, with Go template semantics: both sides must be of one kind
/// (integers of either sign compare with each other), booleans only compare for equality.
fn compare(left: &Value, right: &Value, op: &str) -> Result<bool, JsonPathError> {
    let (a, b) = (scalar(left)?, scalar(right)?);
    if std::mem::discriminant(&a) != std::mem::discriminant(&b) {
        return Err(error("incompatible types for comparison"));
    }
    let ordered = || {
        if matches!(a, Scalar::Bool(_)) {
            Err(error("invalid type for comparison"))
        } else {
            Ok(())
        }
    };
    Ok(match op {
        "==" => a == b,
        "!=" => a != b,
        "<" => {
            ordered()?;
            a < b
        }
        ">" => {
            ordered()?;
            a > b
        }
        "<=" => {
            ordered()?;
            a <= b
        }
        ">=" => {
            ordered()?;
            a >= b
        }
        other => return Err(error(format!("unrecognized filter operator {other}"))),
    })
}

#[cfg(test)]
mod strict_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_keys_print_nothing_by_default_and_fail_when_strict() {
        let data = json!({"kind": "IPPool", "metadata": {"name": "a", "labels": {"x": "1"}},
                          "spec": {"cidr": "10.0.0.0/16"}, "items": []});
        assert_eq!(render("{.bogus}", &data).unwrap(), "");
        assert_eq!(render("[{.metadata.bogus.deeper}]", &data).unwrap(), "[]");
        assert_eq!(
            render_strict("{.metadata.bogus}", &data).unwrap_err().0,
            "bogus is not found"
        );
        assert_eq!(
            render_strict("{.bogus.deeper}", &data).unwrap_err().0,
            "bogus is not found"
        );
        // Present keys, and fields of nothing (an empty list), are no error.
        assert_eq!(
            render_strict("{.metadata.name} {.items[*].metadata.name}", &data).unwrap(),
            "a "
        );
        assert_eq!(
            go_sharp_v(&json!({"b": [1, "x", null], "a": {"t": true}})),
            "map[string]interface {}{\"a\":map[string]interface {}{\"t\":true}, \"b\":[]interface {}{1, \"x\", interface {}(nil)}}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data() -> Value {
        json!({
            "kind": "IPPoolList",
            "metadata": {"resourceVersion": "99"},
            "items": [
                {"metadata": {"name": "default-ipv4", "labels": {"zone": "a", "kubernetes.io/os": "linux"}},
                 "spec": {"cidr": "10.0.0.0/16", "blockSize": 26, "natOutgoing": true,
                          "allowedUses": ["Workload", "Tunnel"]}},
                {"metadata": {"name": "v6"},
                 "spec": {"cidr": "fd00::/64", "blockSize": 122, "disabled": true, "weight": 0.5}},
                {"metadata": {"name": "third"},
                 "spec": {"cidr": "10.2.0.0/16", "blockSize": 28, "disabled": false}}
            ]
        })
    }

    fn ok(expr: &str) -> String {
        render(expr, &data()).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    fn err(expr: &str) -> String {
        render(expr, &data()).expect_err(expr).0
    }

    #[test]
    fn fields_wildcards_and_indexes() {
        assert_eq!(ok("{.items[*].metadata.name}"), "default-ipv4 v6 third");
        assert_eq!(ok("{.items[0].spec.cidr}"), "10.0.0.0/16");
        assert_eq!(ok("{.items[-1].metadata.name}"), "third");
        assert_eq!(ok("{.items[0:2].metadata.name}"), "default-ipv4 v6");
        assert_eq!(ok("{.items[1:].metadata.name}"), "v6 third");
        assert_eq!(ok("{.items[::2].metadata.name}"), "default-ipv4 third");
        assert_eq!(ok("{.items[0,2].metadata.name}"), "default-ipv4 third");
        assert_eq!(ok("{.items[0]['metadata']['name']}"), "default-ipv4");
        assert_eq!(
            ok("{.items[0].metadata['name','labels']}"),
            "default-ipv4 {\"kubernetes.io/os\":\"linux\",\"zone\":\"a\"}"
        );
        assert_eq!(
            ok("{.items[0].metadata.labels.kubernetes\\.io/os}"),
            "linux"
        );
        assert_eq!(ok("{$.kind} {@.metadata.resourceVersion}"), "IPPoolList 99");
        assert_eq!(ok("{.metadata.*}"), "99");
        assert_eq!(ok("{.items[0].spec.allowedUses[*]}"), "Workload Tunnel");
    }

    #[test]
    fn output_formats_follow_kubectl() {
        assert_eq!(
            ok("{.items[0].spec.allowedUses}"),
            "[\"Workload\",\"Tunnel\"]"
        );
        assert_eq!(
            ok("{.items[1].spec}"),
            "{\"blockSize\":122,\"cidr\":\"fd00::/64\",\"disabled\":true,\"weight\":0.5}"
        );
        assert_eq!(ok("{.items[*].spec.blockSize}"), "26 122 28");
        assert_eq!(
            ok("{.items[1].spec.weight} {.items[0].spec.natOutgoing}"),
            "0.5 true"
        );
        assert_eq!(
            render("{.a} {.b}", &json!({"a": null, "b": "x<y"})).unwrap(),
            "null x<y"
        );
        assert_eq!(
            render("{.a}", &json!({"a": {"s": "a&b"}})).unwrap(),
            "{\"s\":\"a\\u0026b\"}"
        );
        assert_eq!(render("{.big}", &json!({"big": 1e21})).unwrap(), "1e+21");
        assert_eq!(ok("{.missing} {.items[*].spec.disabled}"), " true false");
        assert_eq!(ok("plain text"), "plain text");
    }

    #[test]
    fn range_and_literals() {
        assert_eq!(
            ok("{range .items[*]}{.metadata.name}{\"\\t\"}{.spec.cidr}{\"\\n\"}{end}"),
            "default-ipv4\t10.0.0.0/16\nv6\tfd00::/64\nthird\t10.2.0.0/16\n"
        );
        assert_eq!(
            ok("{range .items[*]}name={.metadata.name};{end}done"),
            "name=default-ipv4;name=v6;name=third;done"
        );
        assert_eq!(
            ok("{range .items[*]}[{range .spec.allowedUses[*]}{@},{end}]{end}"),
            "[Workload,Tunnel,][][]"
        );
        assert_eq!(ok("{range .nothing[*]}x{end}"), "");
        assert_eq!(
            ok("{'single \\'quoted\\''} {\"\\u00e9\\x41\"} {1} {2.5} {true}"),
            "single 'quoted' éA 1 2.5 true"
        );
    }

    #[test]
    fn filters() {
        assert_eq!(ok("{.items[?(@.spec.disabled==true)].metadata.name}"), "v6");
        assert_eq!(
            ok("{.items[?(@.spec.disabled == false)].metadata.name}"),
            "third"
        );
        assert_eq!(
            ok("{.items[?(@.spec.blockSize>26)].metadata.name}"),
            "v6 third"
        );
        assert_eq!(
            ok("{.items[?(@.spec.blockSize<=26)].metadata.name}"),
            "default-ipv4"
        );
        assert_eq!(
            ok("{.items[?(@.metadata.name!=\"v6\")].spec.cidr}"),
            "10.0.0.0/16 10.2.0.0/16"
        );
        assert_eq!(
            ok("{.items[?(@.metadata.name=='third')].spec.blockSize}"),
            "28"
        );
        assert_eq!(
            ok("{.items[?(@.spec.natOutgoing)].metadata.name}"),
            "default-ipv4"
        );
        assert_eq!(
            ok("{.items[?(@.metadata.labels.zone==\"a\")].metadata.name}"),
            "default-ipv4"
        );
    }

    #[test]
    fn recursive_descent() {
        assert_eq!(ok("{..cidr}"), "10.0.0.0/16 fd00::/64 10.2.0.0/16");
        assert_eq!(ok("{.items[0]..zone}"), "a");
        assert_eq!(
            render(
                "{..name}",
                &json!({"name": "top", "a": [{"name": "x"}, {"b": {"name": "y"}}]})
            )
            .unwrap(),
            "top x y"
        );
    }

    #[test]
    fn errors_like_kubectl() {
        assert_eq!(
            err("{.items[5]}"),
            "array index out of bounds: index 5, length 3"
        );
        assert_eq!(
            err("{.items[0:9]}"),
            "array index out of bounds: index 8, length 3"
        );
        assert_eq!(
            err("{.items[2:1]}"),
            "starting index 2 is greater than ending index 1"
        );
        assert_eq!(err("{.items[::0]}"), "step must be > 0");
        assert_eq!(
            err("{.metadata[0]}"),
            "map[string]interface {} is not array or slice"
        );
        assert_eq!(err("{.items[x]}"), "invalid array index x");
        assert_eq!(err("{.items"), "unclosed action");
        assert_eq!(err("{end}"), "not in range, nothing to end");
        assert_eq!(err("{!a}"), "unrecognized character in action: U+0021 '!'");
        // Field names run to the next terminator, as in kubectl.
        assert_eq!(ok("{.a!b}"), "");
        assert_eq!(err("{foo}"), "unrecognized identifier foo");
        assert_eq!(err("{\"open}"), "unterminated quoted string");
        assert_eq!(
            err("{.items[?(@.spec.blockSize==\"26\")]}"),
            "incompatible types for comparison"
        );
        assert_eq!(
            err("{.items[?(@.spec.natOutgoing>true)]}"),
            "invalid type for comparison"
        );
        assert_eq!(err("{....a}"), "invalid multiple recursive descent");
    }
}
