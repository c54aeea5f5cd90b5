//! Recursive-descent parser from tokens to [`Expr`].
//!
//! Grammar, lowest precedence first (mirrors libcalico-go `parser.go`:
//! `parseOrExpression → parseAndExpression → parseOperation`):
//!
//! ```text
//! selector  := ε | or_expr EOF
//! or_expr   := and_expr ( "||" and_expr )*
//! and_expr  := unary ( "&&" unary )*
//! unary     := "!"* primary
//! primary   := all() | global() | has(label) | "(" or_expr ")"
//!            | label ( "==" | "!=" | contains | starts with | ends with ) string
//!            | label ( in | not in ) "{" [ string ( "," string )* [","] ] "}"
//! ```
//!
//! Errors are checked in upstream's order so that each bad input gets the message
//! Calico gives for it.

use std::collections::BTreeSet;

use super::SelectorError;
use super::ast::{Comparison, Expr};
use super::lexer::{Token, tokenize};

/// Deepest parenthesis nesting accepted. Upstream has no limit (Go stacks grow); ours
/// keeps the recursive parser, evaluation, rendering and drop off the end of a thread's
/// stack. Real selectors nest a handful of levels.
pub(crate) const MAX_NESTING: usize = 128;

/// Parses a whole selector. Blank input is `all()`.
pub(crate) fn parse_expr(input: &str) -> Result<Expr, SelectorError> {
    let tokens = tokenize(input)?;
    if tokens[0] == Token::Eof {
        return Ok(Expr::All);
    }
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or_expr()?;
    let rest = &tokens[parser.pos..];
    if rest.len() != 1 {
        let rendered: Vec<String> = rest.iter().map(Token::to_string).collect();
        return Err(SelectorError::TrailingContent {
            rest: format!("[{}]", rendered.join(" ")),
        });
    }
    Ok(expr)
}

struct Parser<'t, 'a> {
    /// Always ends with `Token::Eof`, which is never consumed.
    tokens: &'t [Token<'a>],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'_, 'a> {
    /// The token `offset` places ahead; `Eof` past the end.
    fn peek(&self, offset: usize) -> Token<'a> {
        self.tokens
            .get(self.pos + offset)
            .copied()
            .unwrap_or(Token::Eof)
    }

    fn or_expr(&mut self) -> Result<Expr, SelectorError> {
        let mut operands = vec![self.and_expr()?];
        while self.peek(0) == Token::Or {
            self.pos += 1;
            operands.push(self.and_expr()?);
        }
        Ok(collapse(operands, Expr::Or))
    }

    fn and_expr(&mut self) -> Result<Expr, SelectorError> {
        let mut operands = vec![self.unary()?];
        while self.peek(0) == Token::And {
            self.pos += 1;
            operands.push(self.unary()?);
        }
        Ok(collapse(operands, Expr::And))
    }

    fn unary(&mut self) -> Result<Expr, SelectorError> {
        let mut negated = false;
        while self.peek(0) == Token::Not {
            negated = !negated;
            self.pos += 1;
        }
        let expr = self.primary()?;
        Ok(if negated {
            Expr::Not(Box::new(expr))
        } else {
            expr
        })
    }

    fn primary(&mut self) -> Result<Expr, SelectorError> {
        let token = self.peek(0);
        match token {
            Token::Has(label) => {
                self.pos += 1;
                Ok(Expr::Has(label.to_string()))
            }
            Token::All => {
                self.pos += 1;
                Ok(Expr::All)
            }
            Token::Global => {
                self.pos += 1;
                Ok(Expr::Global)
            }
            Token::Label(label) => self.comparison(label),
            Token::LParen => {
                if self.depth == MAX_NESTING {
                    return Err(SelectorError::TooDeep { limit: MAX_NESTING });
                }
                self.pos += 1;
                self.depth += 1;
                let inner = self.or_expr()?;
                self.depth -= 1;
                if self.peek(0) != Token::RParen {
                    return Err(SelectorError::ExpectedRParen);
                }
                self.pos += 1;
                Ok(inner)
            }
            other => Err(SelectorError::UnexpectedToken {
                found: other.to_string(),
            }),
        }
    }

    /// `label <op> <operand>`, with `pos` on the label.
    fn comparison(&mut self, label: &str) -> Result<Expr, SelectorError> {
        // Upstream wants a label, an operator and one more token before looking at
        // either, so a label at the very end is "unexpected end", whatever precedes it.
        if self.tokens.len() - self.pos < 3 {
            return Err(SelectorError::UnexpectedEnd);
        }
        let operator = self.peek(1);
        let op = match operator {
            Token::Eq | Token::Ne | Token::Contains | Token::StartsWith | Token::EndsWith => {
                let Token::Str(value) = self.peek(2) else {
                    return Err(SelectorError::ExpectedString);
                };
                self.pos += 3;
                let value = value.to_string();
                match operator {
                    Token::Eq => Comparison::Eq(value),
                    Token::Ne => Comparison::Ne(value),
                    Token::Contains => Comparison::Contains(value),
                    Token::StartsWith => Comparison::StartsWith(value),
                    _ => Comparison::EndsWith(value),
                }
            }
            Token::In | Token::NotIn => {
                if self.peek(2) != Token::LBrace {
                    return Err(SelectorError::ExpectedSetLiteral);
                }
                self.pos += 3;
                let set = self.set_body()?;
                if operator == Token::In {
                    Comparison::In(set)
                } else {
                    Comparison::NotIn(set)
                }
            }
            other => {
                return Err(SelectorError::ExpectedEqOrNe {
                    found: other.to_string(),
                });
            }
        };
        Ok(Expr::Compare {
            label: label.to_string(),
            op,
        })
    }

    /// The members of a set literal and its closing brace, with `pos` after the `{`.
    /// Empty sets and a trailing comma are fine.
    fn set_body(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let mut set = BTreeSet::new();
        while let Token::Str(value) = self.peek(0) {
            set.insert(value.to_string());
            self.pos += 1;
            if self.peek(0) != Token::Comma {
                break;
            }
            self.pos += 1;
        }
        if self.peek(0) != Token::RBrace {
            return Err(SelectorError::ExpectedRBrace);
        }
        self.pos += 1;
        Ok(set)
    }
}

/// One operand stands for itself; two or more make a group.
fn collapse(mut operands: Vec<Expr>, group: fn(Vec<Expr>) -> Expr) -> Expr {
    if operands.len() == 1 {
        operands.remove(0)
    } else {
        group(operands)
    }
}
