//! The template's errors: Go's `template: get:LINE: ...` messages, and the execution
//! error still waiting for the position of the node that raised it.

use std::fmt;

/// The name calicoctl gives the template; it appears in error messages.
pub(super) const NAME: &str = "get";

/// A template that failed to parse or to execute. The message follows Go's:
/// `template: get:1: function "foo" not defined`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

pub(super) fn parse_error(line: usize, message: impl fmt::Display) -> TemplateError {
    TemplateError(format!("template: {NAME}:{line}: {message}"))
}

/// An execution error: a message still to be located, or one already located (raised by
/// a nested pipeline), optionally pointing at a particular operand.
pub(super) struct ExecError {
    pub(super) message: String,
    /// The node's text and byte offset.
    pub(super) at: Option<(String, usize)>,
    pub(super) located: bool,
}

impl ExecError {
    pub(super) fn at(mut self, operand: &dyn fmt::Display, pos: usize) -> Self {
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

pub(super) type ExecResult<T> = Result<T, ExecError>;
