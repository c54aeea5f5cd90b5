//! The syntax errors of Go's `json.Unmarshal`, which checks a whole document before it
//! decodes any of it: `unexpected end of JSON input`, `invalid character 'x' looking for
//! beginning of value`, and the rest of its scanner's messages.

/// Go's limit on nested objects and arrays.
const MAX_DEPTH: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nest {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    BeginValue,
    BeginValueOrEmpty,
    BeginString,
    BeginStringOrEmpty,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    Int,
    Zero,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
    /// Inside `true`, `false` or `null`: the literal and how many bytes are still expected.
    Literal(&'static str, usize),
}

/// Go's `quoteChar`: a byte as a quoted Go character.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            let ch = char::from(c);
            let inner = match ch {
                '\x07' => r"\a".to_string(),
                '\x08' => r"\b".to_string(),
                '\x0c' => r"\f".to_string(),
                '\n' => r"\n".to_string(),
                '\r' => r"\r".to_string(),
                '\t' => r"\t".to_string(),
                '\x0b' => r"\v".to_string(),
                '\\' => r"\\".to_string(),
                c if c.is_ascii_control() => format!(r"\x{:02x}", u32::from(c)),
                // Bytes from 0x80 are Latin-1 runes to Go; the unprintable ones are escaped.
                c if (c as u32) < 0xa1 && (c as u32) >= 0x80 || c == '\u{ad}' => {
                    format!(r"\u{:04x}", c as u32)
                }
                c => c.to_string(),
            };
            format!("'{inner}'")
        }
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

struct Scanner {
    state: State,
    nest: Vec<Nest>,
}

impl Scanner {
    fn fail(c: u8, context: &str) -> String {
        format!("invalid character {} {context}", quote_char(c))
    }

    fn push(&mut self, nest: Nest, next: State) -> Result<(), String> {
        if self.nest.len() >= MAX_DEPTH {
            return Err("exceeded max depth".to_string());
        }
        self.nest.push(nest);
        self.state = next;
        Ok(())
    }

    fn pop(&mut self) {
        self.nest.pop();
        self.state = if self.nest.is_empty() {
            State::EndTop
        } else {
            State::EndValue
        };
    }

    fn begin_value(&mut self, c: u8) -> Result<(), String> {
        self.state = match c {
            c if is_space(c) => return Ok(()),
            b'{' => return self.push(Nest::ObjectKey, State::BeginStringOrEmpty),
            b'[' => return self.push(Nest::ArrayValue, State::BeginValueOrEmpty),
            b'"' => State::InString,
            b'-' => State::Neg,
            b'0' => State::Zero,
            b'1'..=b'9' => State::Int,
            b't' => State::Literal("true", 3),
            b'f' => State::Literal("false", 4),
            b'n' => State::Literal("null", 3),
            c => return Err(Self::fail(c, "looking for beginning of value")),
        };
        Ok(())
    }

    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let Some(&nest) = self.nest.last() else {
            self.state = State::EndTop;
            return self.step(c);
        };
        if is_space(c) {
            self.state = State::EndValue;
            return Ok(());
        }
        let last = self.nest.len() - 1;
        match (nest, c) {
            (Nest::ObjectKey, b':') => {
                self.nest[last] = Nest::ObjectValue;
                self.state = State::BeginValue;
            }
            (Nest::ObjectKey, c) => return Err(Self::fail(c, "after object key")),
            (Nest::ObjectValue, b',') => {
                self.nest[last] = Nest::ObjectKey;
                self.state = State::BeginString;
            }
            (Nest::ObjectValue, b'}') => self.pop(),
            (Nest::ObjectValue, c) => return Err(Self::fail(c, "after object key:value pair")),
            (Nest::ArrayValue, b',') => self.state = State::BeginValue,
            (Nest::ArrayValue, b']') => self.pop(),
            (Nest::ArrayValue, c) => return Err(Self::fail(c, "after array element")),
        }
        Ok(())
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        match self.state {
            State::BeginValue => self.begin_value(c),
            State::BeginValueOrEmpty if is_space(c) => Ok(()),
            State::BeginValueOrEmpty if c == b']' => self.end_value(c),
            State::BeginValueOrEmpty => self.begin_value(c),
            State::BeginStringOrEmpty if is_space(c) => Ok(()),
            State::BeginStringOrEmpty if c == b'}' => {
                let last = self.nest.len() - 1;
                self.nest[last] = Nest::ObjectValue;
                self.end_value(c)
            }
            State::BeginStringOrEmpty | State::BeginString => match c {
                c if is_space(c) => Ok(()),
                b'"' => {
                    self.state = State::InString;
                    Ok(())
                }
                c => Err(Self::fail(c, "looking for beginning of object key string")),
            },
            State::EndValue => self.end_value(c),
            State::EndTop if is_space(c) => Ok(()),
            State::EndTop => Err(Self::fail(c, "after top-level value")),
            State::InString => {
                match c {
                    b'"' => self.state = State::EndValue,
                    b'\\' => self.state = State::InStringEsc,
                    c if c < 0x20 => return Err(Self::fail(c, "in string literal")),
                    _ => {}
                }
                Ok(())
            }
            State::InStringEsc => {
                self.state = match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => State::InString,
                    b'u' => State::InStringEscU(4),
                    c => return Err(Self::fail(c, "in string escape code")),
                };
                Ok(())
            }
            State::InStringEscU(left) => {
                if !c.is_ascii_hexdigit() {
                    return Err(Self::fail(c, r"in \u hexadecimal character escape"));
                }
                self.state = if left == 1 {
                    State::InString
                } else {
                    State::InStringEscU(left - 1)
                };
                Ok(())
            }
            State::Neg => {
                self.state = match c {
                    b'0' => State::Zero,
                    b'1'..=b'9' => State::Int,
                    c => return Err(Self::fail(c, "in numeric literal")),
                };
                Ok(())
            }
            State::Int if c.is_ascii_digit() => Ok(()),
            State::Int | State::Zero => match c {
                b'.' => {
                    self.state = State::Dot;
                    Ok(())
                }
                b'e' | b'E' => {
                    self.state = State::Exp;
                    Ok(())
                }
                c => self.end_value(c),
            },
            State::Dot if c.is_ascii_digit() => {
                self.state = State::Frac;
                Ok(())
            }
            State::Dot => Err(Self::fail(c, "after decimal point in numeric literal")),
            State::Frac if c.is_ascii_digit() => Ok(()),
            State::Frac if matches!(c, b'e' | b'E') => {
                self.state = State::Exp;
                Ok(())
            }
            State::Frac => self.end_value(c),
            State::Exp if matches!(c, b'+' | b'-') => {
                self.state = State::ExpSign;
                Ok(())
            }
            State::Exp | State::ExpSign if c.is_ascii_digit() => {
                self.state = State::ExpDigits;
                Ok(())
            }
            State::Exp | State::ExpSign => Err(Self::fail(c, "in exponent of numeric literal")),
            State::ExpDigits if c.is_ascii_digit() => Ok(()),
            State::ExpDigits => self.end_value(c),
            State::Literal(word, left) => {
                let want = word.as_bytes()[word.len() - left];
                if c != want {
                    return Err(Self::fail(
                        c,
                        &format!("in literal {word} (expecting {})", quote_char(want)),
                    ));
                }
                self.state = if left == 1 {
                    State::EndValue
                } else {
                    State::Literal(word, left - 1)
                };
                Ok(())
            }
        }
    }
}

/// The message Go's `json.Unmarshal` gives for `data` when it is not one well-formed JSON
/// value, or `None` when it is.
pub(crate) fn syntax_error(data: &[u8]) -> Option<String> {
    let mut scanner = Scanner {
        state: State::BeginValue,
        nest: Vec::new(),
    };
    for &c in data {
        if let Err(e) = scanner.step(c) {
            return Some(e);
        }
    }
    // At the end Go feeds one space: it ends a number, and anything else unfinished is an
    // unexpected end.
    if let Err(e) = scanner.step(b' ') {
        return Some(e);
    }
    (scanner.state != State::EndTop).then(|| "unexpected end of JSON input".to_string())
}

#[cfg(test)]
mod tests {
    use super::syntax_error;

    #[test]
    fn go_messages() {
        for (input, want) in [
            ("", Some("unexpected end of JSON input")),
            ("   ", Some("unexpected end of JSON input")),
            (r#"{"a":1"#, Some("unexpected end of JSON input")),
            (r#"{"a":"#, Some("unexpected end of JSON input")),
            (
                "garbage",
                Some("invalid character 'g' looking for beginning of value"),
            ),
            (
                "{a:1}",
                Some("invalid character 'a' looking for beginning of object key string"),
            ),
            (r#"{"a" 1}"#, Some("invalid character '1' after object key")),
            (
                r#"{"a":1 "b":2}"#,
                Some("invalid character '\"' after object key:value pair"),
            ),
            ("[1 2]", Some("invalid character '2' after array element")),
            ("{} x", Some("invalid character 'x' after top-level value")),
            ("{}{}", Some("invalid character '{' after top-level value")),
            (
                "[1,]",
                Some("invalid character ']' looking for beginning of value"),
            ),
            // At the end Go feeds a space, so an unfinished literal or number is that space.
            (
                "tru",
                Some("invalid character ' ' in literal true (expecting 'e')"),
            ),
            (
                "1.",
                Some("invalid character ' ' after decimal point in numeric literal"),
            ),
            ("\"open", Some("unexpected end of JSON input")),
            (
                "trux",
                Some("invalid character 'x' in literal true (expecting 'e')"),
            ),
            (
                "nul1",
                Some("invalid character '1' in literal null (expecting 'l')"),
            ),
            ("-x", Some("invalid character 'x' in numeric literal")),
            (
                "1.x",
                Some("invalid character 'x' after decimal point in numeric literal"),
            ),
            (
                "1ex",
                Some("invalid character 'x' in exponent of numeric literal"),
            ),
            ("01", Some("invalid character '1' after top-level value")),
            (
                "\"a\nb\"",
                Some("invalid character '\\n' in string literal"),
            ),
            (
                r#""\x""#,
                Some("invalid character 'x' in string escape code"),
            ),
            (
                r#""\u12g4""#,
                Some(r"invalid character 'g' in \u hexadecimal character escape"),
            ),
            (
                "'a'",
                Some(r"invalid character '\'' looking for beginning of value"),
            ),
            (
                "\x01",
                Some(r"invalid character '\x01' looking for beginning of value"),
            ),
            (
                "\u{e9}",
                Some("invalid character 'Ã' looking for beginning of value"),
            ),
            (
                r#" {"a": [1, -2.5e+3, true, null, "\u00e9\n"], "b": {}} "#,
                None,
            ),
            ("0", None),
            ("[]", None),
        ] {
            assert_eq!(syntax_error(input.as_bytes()).as_deref(), want, "{input:?}");
        }
        // A byte Go reads as an unprintable Latin-1 rune.
        assert_eq!(
            syntax_error(&[0x85]).as_deref(),
            Some(r"invalid character '\u0085' looking for beginning of value")
        );
        let deep = "[".repeat(10_001);
        assert_eq!(
            syntax_error(deep.as_bytes()).as_deref(),
            Some("exceeded max depth")
        );
    }
}
