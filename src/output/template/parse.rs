//! The parser: lexed items into the parse tree, with Go's parse errors; Go literals
//! (numbers, quoted strings and characters) are read here.

use super::ast::{Branch, Command, Node, Number, Operand, Pipeline};
use super::error::{TemplateError, parse_error};
use super::funcs::FUNCTIONS;
use super::lex::{Item, Kind, Lexer};
use crate::go::fmt as gofmt;
use crate::go::strconv::{
    parse_float as go_parse_float, parse_int as go_parse_int, parse_uint as go_parse_uint,
    underscores_ok,
};

/// Parses a template's text into its tree; errors carry the line number.
pub(super) fn parse(text: &str) -> Result<Vec<Node>, TemplateError> {
    let items = Lexer::new(text).lex()?;
    let mut parser = Parser {
        items,
        pos: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
    };
    let (root, end) = parser.list()?;
    match end {
        ListEnd::Eof => Ok(root),
        ListEnd::End(line) => Err(parse_error(line, "unexpected {{end}}")),
        ListEnd::Else(line) => Err(parse_error(line, "unexpected {{else}}")),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
