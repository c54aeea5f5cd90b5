//! The parse tree the parser builds and the evaluator walks, printed back as Go prints
//! nodes in error messages.

use crate::go::fmt as gofmt;
use std::fmt;

#[derive(Debug)]
pub(super) enum Node {
    Text(String),
    Action(Pipeline),
    If(Branch),
    Range(Branch),
    With(Branch),
    Break,
    Continue,
}

#[derive(Debug)]
pub(super) struct Branch {
    pub(super) pipe: Pipeline,
    pub(super) list: Vec<Node>,
    pub(super) else_list: Option<Vec<Node>>,
}

#[derive(Debug)]
pub(super) struct Pipeline {
    /// Byte offset of the pipeline's first token.
    pub(super) pos: usize,
    pub(super) is_assign: bool,
    pub(super) decl: Vec<String>,
    pub(super) cmds: Vec<Command>,
}

#[derive(Debug)]
pub(super) struct Command {
    pub(super) args: Vec<Operand>,
    /// Byte offset of each argument, as Go positions its nodes (a chain `(x).A` at `.A`).
    pub(super) pos: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Number {
    Int(i64),
    /// Fits `uint64` but not `int`.
    Uint,
    Float(f64),
}

#[derive(Debug)]
pub(super) enum Operand {
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
