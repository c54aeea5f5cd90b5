//! The evaluator: walks the parse tree over the data, evaluating pipelines, fields,
//! variables and function calls, and locates errors as Go does (`get:LINE:COL`).

use super::ast::{Branch, Command, Node, Number, Operand, Pipeline};
use super::error::{ExecError, ExecResult, NAME, TemplateError};
use super::funcs::{
    arity, builtin_index, builtin_len, builtin_slice, compare_eq, compare_le, compare_lt,
    evaluated_string, html_escape, join_and_truncate, js_escape, query_escape, typed_index,
};
use super::value::{
    Val, bool_val, expect_int, expect_string, field, fmt_args, go_print_top, string_val,
    typed_entries, typed_field,
};
use crate::go::fmt as gofmt;
use crate::model::gotypes;
use serde_json::Value;
use std::fmt;

/// Executes a parsed template over `data`; `text` is the template's, to locate errors.
pub(super) fn execute(
    root: &[Node],
    text: &str,
    missing_key_error: bool,
    data: &Value,
    config: Option<ConfigLookup<'_>>,
) -> Result<String, TemplateError> {
    // calicoctl's data is `[]runtime.Object`; anything else is plain data.
    let dot = match data {
        Value::Array(_) => Val::Typed(data.clone(), &gotypes::RUNTIME_OBJECTS),
        _ => Val::Data(data.clone()),
    };
    let mut state = State {
        out: String::new(),
        vars: vec![("$".to_string(), dot.clone())],
        config,
        text,
        missing_key_error,
    };
    state.walk(&dot, root)?;
    Ok(state.out)
}

/// calicoctl's `config` template function: given a setting name (`asnumber`), its value.
pub(crate) type ConfigLookup<'a> = &'a dyn Fn(&str) -> Result<String, String>;

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
