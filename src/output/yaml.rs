//! `-o yaml` and `-o json` exactly as calicoctl v3.31 prints them.
//!
//! calicoctl marshals a resource to JSON and converts that to YAML with
//! projectcalico/go-yaml-wrapper (a ghodss/yaml fork): the JSON is decoded by go-yaml v2
//! into plain maps, slices and scalars, and encoded again by go-yaml v2. So the YAML is
//! go-yaml v2's encoder applied to the JSON value, and that is what [`to_yaml`] emulates:
//! - mapping keys in go-yaml's order (runes compared one by one, other characters before
//!   letters, runs of digits compared as numbers);
//! - block style with two-space indentation, sequences at their parent key's indentation,
//!   `{}` / `[]` for empty collections;
//! - strings double-quoted when a plain scalar would read back as something else under
//!   YAML 1.1 rules (`"1234"`, `"true"`, `"yes"`, `"2025-01-02T03:04:05Z"`, `"1:30"`),
//!   single-quoted when they cannot be plain (`'!all()'`), double-quoted with escapes when
//!   they hold characters YAML cannot print, literal blocks (`|-`) when they hold newlines,
//!   and long scalars folded at 80 columns;
//! - numbers as go-yaml prints what it decoded: integers as integers, other numbers as the
//!   shortest Go `%g` form (`1e+21`, `0.5`).
//!
//! The emitter below follows the libyaml-derived state machine of go-yaml v2 (`emitterc.go`)
//! for the events this data can produce; column bookkeeping counts characters, as it does.

use crate::go::json as gojson;
use crate::go::strconv::format_g;
use crate::go::yaml::{Plain, resolve_plain};
use serde_json::{Map, Number, Value};

/// `-o yaml`: the YAML document calicoctl prints for `value`, ending in a newline.
///
/// ```
/// let v = serde_json::json!({"spec": {"cidr": "10.0.0.0/16", "blockSize": 26},
///                            "metadata": {"resourceVersion": "1234"}});
/// assert_eq!(
///     calico::output::to_yaml(&v),
///     "metadata:\n  resourceVersion: \"1234\"\nspec:\n  blockSize: 26\n  cidr: 10.0.0.0/16\n"
/// );
/// ```
pub fn to_yaml(value: &Value) -> String {
    let mut emitter = Emitter::new();
    emitter.node(value, false, false);
    // Document end: go-yaml moves to a fresh line; the implicit end writes nothing else.
    emitter.write_indent();
    emitter.out
}

/// `-o json`: Go's `json.MarshalIndent(value, "", "  ")` plus the newline calicoctl adds.
pub fn to_json(value: &Value) -> String {
    let mut out = gojson::to_string_indent(value);
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------------
// Emitter
// ---------------------------------------------------------------------------------------------

const BEST_INDENT: isize = 2;
const BEST_WIDTH: usize = 80;
/// Keys longer than this (in bytes) are written as complex keys (`? key`).
const MAX_SIMPLE_KEY_LEN: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// go-yaml's emitter state, reduced to what block-style output of JSON data needs.
struct Emitter {
    out: String,
    /// Characters written on the current line.
    column: usize,
    indent: isize,
    indents: Vec<isize>,
    /// The last character written was whitespace (or nothing has been written yet).
    whitespace: bool,
    /// Only indentation has been written on the current line.
    indention: bool,
    /// The node being written is a mapping key or value.
    mapping_context: bool,
    /// The node being written is a simple (`key:`) mapping key.
    simple_key_context: bool,
}

impl Emitter {
    fn new() -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            mapping_context: false,
            simple_key_context: false,
        }
    }

    fn node(&mut self, value: &Value, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match value {
            Value::Null => self.scalar("null", Style::Plain),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain),
            Value::Number(n) => self.scalar(&number_text(n), Style::Plain),
            Value::String(s) => self.scalar(s, string_style(s)),
            Value::Array(items) if items.is_empty() => self.empty_flow('[', ']'),
            Value::Array(items) => self.block_sequence(items),
            Value::Object(map) if map.is_empty() => self.empty_flow('{', '}'),
            Value::Object(map) => self.block_mapping(map),
        }
    }

    /// An empty collection: go-yaml switches to flow style for it.
    fn empty_flow(&mut self, open: char, close: char) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value]) {
        // A sequence that is a mapping value on the key's line is not indented further.
        let indentless = self.mapping_context && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator('-', true, false, true);
            self.node(item, false, false);
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, map: &Map<String, Value>) {
        self.increase_indent(false, false);
        for key in sorted_keys(map) {
            self.write_indent();
            let analysis = analyze(key);
            if !analysis.multiline && key.len() <= MAX_SIMPLE_KEY_LEN {
                self.mapping_context = true;
                self.simple_key_context = true;
                self.scalar(key, string_style(key));
                self.write_indicator(':', false, false, false);
            } else {
                self.write_indicator('?', true, false, true);
                self.node(&Value::String(key.clone()), true, false);
                self.write_indent();
                self.write_indicator(':', true, false, true);
            }
            self.node(&map[key.as_str()], true, false);
        }
        self.pop_indent();
    }

    fn scalar(&mut self, value: &str, requested: Style) {
        let analysis = analyze(value);
        let style = self.select_style(value, requested, &analysis);
        let allow_breaks = !self.simple_key_context;
        self.increase_indent(true, false);
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    /// The emitter's fallbacks from the style the encoder asked for.
    fn select_style(&self, value: &str, requested: Style, analysis: &Analysis) -> Style {
        let mut style = requested;
        if self.simple_key_context && analysis.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain
            && (!analysis.block_plain_allowed || (value.is_empty() && self.simple_key_context))
        {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !analysis.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!analysis.block_allowed || self.simple_key_context) {
            style = Style::DoubleQuoted;
        }
        style
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// Copies one character of `value` at byte `*i`.
    fn write(&mut self, value: &str, i: &mut usize) {
        let w = char_len(value.as_bytes()[*i]);
        self.out.push_str(&value[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    /// Copies one line break of `value` at byte `*i`.
    fn write_break(&mut self, value: &str, i: &mut usize) {
        if value.as_bytes()[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(value, i);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: char,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.put(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        let b = value.as_bytes();
        if !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < b.len() {
            if is_space(b, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !is_space(b, i + 1) {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(b, i) {
                if !breaks && b[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &str, allow_breaks: bool) {
        let b = value.as_bytes();
        self.write_indicator('\'', true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < b.len() {
            if is_space(b, i) {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < b.len() - 1
                    && !is_space(b, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(b, i) {
                if !breaks && b[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if b[i] == b'\'' {
                    self.put('\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator('\'', false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &str, allow_breaks: bool) {
        let b = value.as_bytes();
        // go-yaml tests for a byte order mark at the start of the value, not at `i`: a value
        // that starts with one has every character escaped.
        let starts_with_bom = b.starts_with(&[0xEF, 0xBB, 0xBF]);
        self.write_indicator('"', true, false, false);
        let mut spaces = false;
        let mut i = 0;
        while i < b.len() {
            if !is_printable(b, i)
                || starts_with_bom
                || is_break(b, i)
                || b[i] == b'"'
                || b[i] == b'\\'
            {
                let c = value[i..]
                    .chars()
                    .next()
                    .expect("i is on a character boundary");
                i += c.len_utf8();
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let v = c as u32;
                        let (letter, digits) = match v {
                            0..=0xFF => ('x', 2),
                            0x100..=0xFFFF => ('u', 4),
                            _ => ('U', 8),
                        };
                        self.put(letter);
                        for shift in (0..digits).rev() {
                            let digit = (v >> (shift * 4)) & 0xF;
                            self.put(
                                char::from_digit(digit, 16)
                                    .expect("a nibble is a hex digit")
                                    .to_ascii_uppercase(),
                            );
                        }
                    }
                }
                spaces = false;
            } else if is_space(b, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < b.len() - 1 {
                    self.write_indent();
                    if is_space(b, i + 1) {
                        self.put('\\');
                    }
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator('"', false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        let b = value.as_bytes();
        self.write_indicator('|', true, false, false);
        // Indentation indicator when the content starts with a space or a break.
        if is_space(b, 0) || is_break(b, 0) {
            self.write_indicator('2', false, false, false);
        }
        // Chomping: `-` without a final break, `+` with more than one, none with exactly one.
        let last = last_char_start(b, b.len());
        let chomp = match last {
            None => Some('-'),
            Some(last) if !is_break(b, last) => Some('-'),
            Some(0) => Some('+'),
            Some(last) => match last_char_start(b, last) {
                Some(previous) if is_break(b, previous) => Some('+'),
                _ => None,
            },
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < b.len() {
            if is_break(b, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// The style go-yaml's encoder asks for a string (`encode.go` `stringv`).
fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if matches!(resolve_plain(s), Plain::Str) && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// How go-yaml prints a JSON number after decoding it: Go's JSON encoder writes integral
/// values below 1e21 without a fraction, which go-yaml reads back as an integer when it fits
/// 64 bits; everything else is a float, printed with `strconv.FormatFloat(f, 'g', -1, 64)`.
fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        // 2^63 and 2^64 are exact in f64, so these bounds are the integer ranges.
        let two_63 = 2f64.powi(63);
        if (-two_63..two_63).contains(&f) {
            return (f as i64).to_string();
        }
        if (0.0..2f64.powi(64)).contains(&f) {
            return (f as u64).to_string();
        }
    }
    format_g(f, None)
}

// ---------------------------------------------------------------------------------------------
// Scalar analysis (emitterc.go `yaml_emitter_analyze_scalar`)
// ---------------------------------------------------------------------------------------------

/// Which styles can represent a scalar.
#[derive(Debug)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(value: &str) -> Analysis {
    let b = value.as_bytes();
    if b.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut preceded_by_whitespace = true;
    let mut previous_space = false;
    let mut previous_break = false;

    let mut i = 0;
    while i < b.len() {
        let w = char_len(b[i]);
        let followed_by_whitespace = i + w >= b.len() || is_blank(b, i + w);
        if i == 0 {
            match b[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => block_indicators = true,
                b'?' | b':' | b'-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match b[i] {
                b':' if followed_by_whitespace => block_indicators = true,
                b'#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(b, i) {
            special_characters = true;
        }
        if is_space(b, i) {
            if i == 0 {
                leading_space = true;
            }
            if i + w == b.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(b, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == b.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(b, i);
        i += w;
    }

    let mut analysis = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        analysis.block_plain_allowed = false;
    }
    if trailing_space {
        analysis.block_allowed = false;
    }
    if break_space {
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
        analysis.block_allowed = false;
    }
    if line_breaks || block_indicators {
        analysis.block_plain_allowed = false;
    }
    analysis
}

/// UTF-8 sequence length from its first byte.
fn char_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

fn byte_at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn is_space(b: &[u8], i: usize) -> bool {
    byte_at(b, i) == b' '
}

fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(byte_at(b, i), b' ' | b'\t')
}

/// `\r`, `\n`, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
fn is_break(b: &[u8], i: usize) -> bool {
    match byte_at(b, i) {
        b'\r' | b'\n' => true,
        0xC2 => byte_at(b, i + 1) == 0x85,
        0xE2 => byte_at(b, i + 1) == 0x80 && matches!(byte_at(b, i + 2), 0xA8 | 0xA9),
        _ => false,
    }
}

fn is_blankz(b: &[u8], i: usize) -> bool {
    is_blank(b, i) || is_break(b, i) || byte_at(b, i) == 0
}

/// go-yaml's printable set: `\n`, ASCII graphic and space, and the BMP from U+00A0 except
/// surrogates, U+FEFF, U+FFFE and U+FFFF. Characters beyond the BMP are not printable.
fn is_printable(b: &[u8], i: usize) -> bool {
    let c = byte_at(b, i);
    let c1 = byte_at(b, i + 1);
    let c2 = byte_at(b, i + 2);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && c1 >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && c1 < 0xA0)
        || c == 0xEE
        || (c == 0xEF && !(c1 == 0xBB && c2 == 0xBF) && !(c1 == 0xBF && (c2 == 0xBE || c2 == 0xBF)))
}

/// Start of the character that ends before byte `end`.
fn last_char_start(b: &[u8], end: usize) -> Option<usize> {
    let mut i = end.checked_sub(1)?;
    while i > 0 && b[i] & 0xC0 == 0x80 {
        i -= 1;
    }
    Some(i)
}

// ---------------------------------------------------------------------------------------------
// Key order (sorter.go `keyList.Less`)
// ---------------------------------------------------------------------------------------------

fn sorted_keys(map: &Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    // A merge sort of our own: the comparison is not guaranteed to be a total order for odd
    // keys, and std's sorts may panic on such comparators.
    merge_sort(&mut keys, &|a: &&String, b: &&String| key_less(a, b));
    keys
}

fn merge_sort<T: Copy>(items: &mut [T], less: &dyn Fn(&T, &T) -> bool) {
    if items.len() <= 1 {
        return;
    }
    let mid = items.len() / 2;
    merge_sort(&mut items[..mid], less);
    merge_sort(&mut items[mid..], less);
    let mut merged = Vec::with_capacity(items.len());
    let (mut i, mut j) = (0, mid);
    while i < mid && j < items.len() {
        if less(&items[j], &items[i]) {
            merged.push(items[j]);
            j += 1;
        } else {
            merged.push(items[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&items[i..mid]);
    merged.extend_from_slice(&items[j..]);
    items.copy_from_slice(&merged);
}

/// go-yaml v2's key order for strings. At the first differing rune: two letters compare as
/// runes; a non-letter sorts before a letter; otherwise the digit runs starting there are
/// compared as numbers (a zero directly after a non-zero digit run counts as part of it),
/// then by run length, then as runes. A key that is a prefix of the other sorts first.
fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = is_go_letter(ar[i]);
        let bl = is_go_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            for j in (0..i).rev() {
                if !is_go_digit(ar[j]) {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_go_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_go_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Go's `unicode.IsLetter` (category L); Rust's alphabetic property is close enough outside
/// ASCII.
fn is_go_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic()
    }
}

/// Go's `unicode.IsDigit` (category Nd), approximated outside ASCII.
fn is_go_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric()
    }
}

/// go-yaml quotes YAML 1.1 base-60 floats (`1:30`, `-1:20:30.5`) for other parsers' sake:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !matches!(b.get(i), Some(b'0'..=b'9')) || !s.contains(':') {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::FileFailurePersistence;
    use serde_json::json;

    fn ippool(name: &str, cidr: &str, rv: &str) -> Value {
        json!({
            "kind": "IPPool",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {
                "name": name,
                "uid": "7c2e3c5a-0b8e-4a55-9a1e-1a2b3c4d5e6f",
                "resourceVersion": rv,
                "creationTimestamp": "2025-01-02T03:04:05Z"
            },
            "spec": {
                "cidr": cidr,
                "vxlanMode": "Never",
                "ipipMode": "Never",
                "natOutgoing": true,
                "blockSize": 26,
                "nodeSelector": "all()",
                "allowedUses": ["Workload", "Tunnel"],
                "assignmentMode": "Automatic"
            }
        })
    }

    #[test]
    fn ippool_list_matches_calicoctl() {
        let list = json!({
            "kind": "IPPoolList",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {"resourceVersion": "1234"},
            "items": [
                ippool("default-ipv4-ippool", "10.0.0.0/16", "1230"),
                ippool("v6", "fd00:10::/64", "1231"),
            ]
        });
        let expected = "\
apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    creationTimestamp: \"2025-01-02T03:04:05Z\"
    name: default-ipv4-ippool
    resourceVersion: \"1230\"
    uid: 7c2e3c5a-0b8e-4a55-9a1e-1a2b3c4d5e6f
  spec:
    allowedUses:
    - Workload
    - Tunnel
    assignmentMode: Automatic
    blockSize: 26
    cidr: 10.0.0.0/16
    ipipMode: Never
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Never
- apiVersion: projectcalico.org/v3
  kind: IPPool
  metadata:
    creationTimestamp: \"2025-01-02T03:04:05Z\"
    name: v6
    resourceVersion: \"1231\"
    uid: 7c2e3c5a-0b8e-4a55-9a1e-1a2b3c4d5e6f
  spec:
    allowedUses:
    - Workload
    - Tunnel
    assignmentMode: Automatic
    blockSize: 26
    cidr: fd00:10::/64
    ipipMode: Never
    natOutgoing: true
    nodeSelector: all()
    vxlanMode: Never
kind: IPPoolList
metadata:
  resourceVersion: \"1234\"
";
        assert_eq!(to_yaml(&list), expected);
    }

    #[test]
    fn empty_list_and_empty_collections() {
        let list = json!({
            "kind": "IPPoolList",
            "apiVersion": "projectcalico.org/v3",
            "metadata": {"resourceVersion": "77"},
            "items": []
        });
        assert_eq!(
            to_yaml(&list),
            "apiVersion: projectcalico.org/v3\nitems: []\nkind: IPPoolList\nmetadata:\n  resourceVersion: \"77\"\n"
        );
        assert_eq!(
            to_yaml(&json!({"a": {}, "b": [[], {}]})),
            "a: {}\nb:\n- []\n- {}\n"
        );
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
    }

    #[test]
    fn top_level_scalars_and_sequences() {
        assert_eq!(to_yaml(&Value::Null), "null\n");
        assert_eq!(to_yaml(&json!("x")), "x\n");
        assert_eq!(to_yaml(&json!(true)), "true\n");
        assert_eq!(
            to_yaml(&json!([{"b": 1, "a": [1, [2, 3]]}, "s"])),
            "- a:\n  - 1\n  - - 2\n    - 3\n  b: 1\n- s\n"
        );
        assert_eq!(
            to_yaml(&json!({"creationTimestamp": null, "n": [null]})),
            "creationTimestamp: null\n\"n\":\n- null\n"
        );
    }

    #[test]
    fn calico_scalars_from_the_reference() {
        let v = json!({
            "resourceVersion": "1234",
            "creationTimestamp": "2025-01-02T03:04:05Z",
            "nodeSelector": "all()",
            "negated": "!all()",
            "rack": "rack == \"0\"",
            "cidr": "10.0.0.0/16",
            "blockSize": 26,
            "and": "a && b",
        });
        assert_eq!(
            to_yaml(&v),
            "and: a && b\nblockSize: 26\ncidr: 10.0.0.0/16\ncreationTimestamp: \"2025-01-02T03:04:05Z\"\n\
             negated: '!all()'\nnodeSelector: all()\nrack: rack == \"0\"\nresourceVersion: \"1234\"\n"
        );
    }

    fn scalar(s: &str) -> String {
        let out = to_yaml(&json!(s));
        out.strip_suffix('\n').unwrap_or(&out).to_string()
    }

    #[test]
    fn strings_that_resolve_to_other_types_are_double_quoted() {
        for s in [
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "true",
            "True",
            "TRUE",
            "false",
            "y",
            "Y",
            "yes",
            "Yes",
            "n",
            "NO",
            "on",
            "On",
            "off",
            "OFF",
            "0",
            "-1",
            "+7",
            "1234",
            "0x1F",
            "0X1f",
            "0o17",
            "0755",
            "08",
            "0b101",
            "-0b11",
            "1_000",
            "1e3",
            "1.5",
            "-2.5e-3",
            ".5",
            ".5_0",
            "1.",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "99999999999999999999",
            "18446744073709551615",
            "1e-400",
            "12:30",
            "1:2:3",
            "-1:20:30.5",
            "190:20:30",
            "2025-01-02",
            "2025-1-2",
            "2025-01-02T03:04:05Z",
            "2025-01-02t03:04:05.123456789+05:30",
            "2025-01-02 03:04:05",
            "2025-01-02   3:4:5,5",
            "2024-02-29",
            "2025-01-02T03:04:05-24:60",
            "1__0_",
            "1_",
        ] {
            assert_eq!(scalar(s), format!("\"{s}\""), "{s:?}");
        }
    }

    #[test]
    fn strings_that_stay_plain() {
        for s in [
            "all()",
            "nULL",
            "yES",
            "tru",
            "ok",
            "<<",
            ".",
            "+",
            "-a",
            ":a",
            "?a",
            "a:b",
            "a#b",
            "fd00::/64",
            "12:60",
            "1:2:99",
            "1e400",
            "0x",
            "0b",
            "0b2",
            "1.2.3",
            "2025-02-30",
            "2025-13-01",
            "2025-01-02T24:00:00Z",
            "2025-01-02T03:04:05",
            "2025-01-02T03:04:05+5:30",
            "2023-02-29",
            "2025-01-02x",
            "a b  c",
            "é",
            "a'b",
            "a\"b",
            "._5",
        ] {
            assert_eq!(scalar(s), s, "{s:?}");
        }
    }

    #[test]
    fn indicators_force_single_quotes() {
        let cases = [
            ("!all()", "'!all()'"),
            ("-", "'-'"),
            ("- a", "'- a'"),
            ("?", "'?'"),
            (":", "':'"),
            ("a: b", "'a: b'"),
            ("a:", "'a:'"),
            ("a #b", "'a #b'"),
            ("#x", "'#x'"),
            ("&a", "'&a'"),
            ("*a", "'*a'"),
            ("|", "'|'"),
            (">", "'>'"),
            ("%x", "'%x'"),
            ("@x", "'@x'"),
            ("`x", "'`x'"),
            ("[a]", "'[a]'"),
            ("{a}", "'{a}'"),
            (",", "','"),
            ("'q'", "'''q'''"),
            ("\"q\"", "'\"q\"'"),
            ("---", "'---'"),
            ("...x", "'...x'"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
        ];
        for (s, want) in cases {
            assert_eq!(scalar(s), want, "{s:?}");
        }
    }

    #[test]
    fn unprintable_characters_force_double_quotes_with_escapes() {
        let cases = [
            ("a\tb", "\"a\\tb\""),
            ("bell\u{7}", "\"bell\\a\""),
            ("nul\0", "\"nul\\0\""),
            ("\u{1}", "\"\\x01\""),
            ("del\u{7f}", "\"del\\x7F\""),
            ("c1\u{85}", "\"c1\\N\""),
            ("\u{9b}", "\"\\x9B\""),
            ("a\rb", "\"a\\rb\""),
            // LINE SEPARATOR is a printable line break: single quotes, and go-yaml pads the
            // "next line" without writing a newline of its own.
            ("ls\u{2028}x", "'ls\u{2028}  x'"),
            ("smile 😀", "\"smile \\U0001F600\""),
            ("\u{feff}ab", "\"\\uFEFF\\x61\\x62\""),
            ("\u{fffe}", "\"\\uFFFE\""),
            ("back\\slash\t\"", "\"back\\\\slash\\t\\\"\""),
            ("nbsp\u{a0}é", "nbsp\u{a0}é"),
        ];
        for (s, want) in cases {
            assert_eq!(scalar(s), want, "{s:?}");
        }
    }

    #[test]
    fn newlines_use_literal_blocks() {
        assert_eq!(to_yaml(&json!({"k": "a\nb"})), "k: |-\n  a\n  b\n");
        assert_eq!(to_yaml(&json!({"k": "a\nb\n"})), "k: |\n  a\n  b\n");
        assert_eq!(
            to_yaml(&json!({"k": "a\n\n", "z": 1})),
            "k: |+\n  a\n\nz: 1\n"
        );
        assert_eq!(to_yaml(&json!({"k": "\n"})), "k: |2+\n\n");
        assert_eq!(to_yaml(&json!({"k": " a\nb"})), "k: |2-\n   a\n  b\n");
        assert_eq!(to_yaml(&json!({"k": "a\n\nb"})), "k: |-\n  a\n\n  b\n");
        assert_eq!(to_yaml(&json!(["x\ny"])), "- |-\n  x\n  y\n");
        assert_eq!(to_yaml(&json!("top\nlevel")), "|-\n  top\n  level\n");
        // Trailing spaces before a newline, or tabs, rule the block style out.
        assert_eq!(to_yaml(&json!({"k": "a \nb"})), "k: \"a \\nb\"\n");
        assert_eq!(to_yaml(&json!({"k": "a\tb\nc"})), "k: \"a\\tb\\nc\"\n");
        // Lines starting with spaces are fine in a block; a space before a newline is not.
        assert_eq!(to_yaml(&json!({"k": "a\n  b"})), "k: |-\n  a\n    b\n");
        assert_eq!(to_yaml(&json!({"k": "a\n \nb"})), "k: \"a\\n \\nb\"\n");
    }

    #[test]
    fn long_scalars_fold_at_eighty_columns() {
        let words: Vec<String> = (0..30).map(|i| format!("word{i:02}")).collect();
        let text = words.join(" ");
        let out = to_yaml(&json!({"description": text}));
        let expected = "description: word00 word01 word02 word03 word04 word05 word06 word07 word08 word09\n  word10 word11 word12 word13 word14 word15 word16 word17 word18 word19 word20 word21\n  word22 word23 word24 word25 word26 word27 word28 word29\n";
        assert_eq!(out, expected);
        // Quoted scalars fold too; a double-quoted one escapes a following space.
        let quoted = format!("!{text}");
        assert_eq!(
            to_yaml(&json!({"d": quoted})),
            "d: '!word00 word01 word02 word03 word04 word05 word06 word07 word08 word09 word10\n  word11 word12 word13 word14 word15 word16 word17 word18 word19 word20 word21 word22\n  word23 word24 word25 word26 word27 word28 word29'\n"
        );
        let double = format!("{}\t{}  {}", "a".repeat(79), "b", "c");
        assert_eq!(
            to_yaml(&json!({"d": double})),
            format!("d: \"{}\\tb\n  \\ c\"\n", "a".repeat(79))
        );
        // Keys never fold, and a long word is never broken.
        let long_word = "x".repeat(100);
        assert_eq!(
            to_yaml(&json!({"k": format!("{long_word} {long_word}")})),
            format!("k: {long_word}\n  {long_word}\n")
        );
    }

    #[test]
    fn long_and_multiline_keys_are_complex() {
        let key = "k".repeat(129);
        assert_eq!(
            to_yaml(&json!({ key.clone(): [1] })),
            format!("? {key}\n: - 1\n")
        );
        assert_eq!(to_yaml(&json!({"a\nb": 1})), "? |-\n  a\n  b\n: 1\n");
        let key128 = "k".repeat(128);
        assert_eq!(
            to_yaml(&json!({ key128.clone(): 1 })),
            format!("{key128}: 1\n")
        );
        assert_eq!(
            to_yaml(&json!({"": 1, "y": 2, "a b": 3})),
            "\"\": 1\na b: 3\n\"y\": 2\n"
        );
    }

    #[test]
    fn keys_sort_like_go_yaml() {
        let v = json!({
            "b": 1, "a": 1, "B": 1, "a10": 1, "a9": 1, "a09": 1, "_x": 1, "1": 1, "10": 1,
            "2": 1, "a-b": 1, "ab": 1, "é": 1, "": 1, "a0": 1, "a00": 1, "z": 1,
        });
        let keys: Vec<&String> = sorted_keys(v.as_object().unwrap());
        assert_eq!(
            keys,
            vec![
                "", "_x", "1", "2", "10", "B", "a", "a-b", "a0", "a00", "a9", "a09", "a10", "ab",
                "b", "z", "é"
            ]
        );
    }

    #[test]
    fn numbers_print_as_go_yaml_decodes_them() {
        let v = json!([
            0,
            -5,
            26,
            9223372036854775807i64,
            18446744073709551615u64,
            1.5,
            3.0,
            -0.0,
            1e20,
            1e21,
            0.000001,
            1e-7,
            123456789.0,
            1234567.5,
            2.5e-5
        ]);
        assert_eq!(
            to_yaml(&v),
            "- 0\n- -5\n- 26\n- 9223372036854775807\n- 18446744073709551615\n- 1.5\n- 3\n- 0\n\
             - 1e+20\n- 1e+21\n- 1e-06\n- 1e-07\n- 123456789\n- 1.2345675e+06\n- 2.5e-05\n"
        );
    }

    #[test]
    fn json_output_appends_newline_and_escapes_like_go() {
        let v = json!({"kind": "IPPool", "spec": {"nodeSelector": "a && b"}, "items": []});
        assert_eq!(
            to_json(&v),
            "{\n  \"kind\": \"IPPool\",\n  \"spec\": {\n    \"nodeSelector\": \"a \\u0026\\u0026 b\"\n  },\n  \"items\": []\n}\n"
        );
        assert_eq!(to_json(&Value::Null), "null\n");
    }

    // -----------------------------------------------------------------------------------------
    // Round trip: whatever we print, a YAML parser reads back as the same JSON value.
    // -----------------------------------------------------------------------------------------

    /// Pieces that stress quoting: indicators, quotes, spaces, digits, YAML 1.1 words,
    /// newlines, tabs and non-ASCII. (No free-standing `e`: `1e400` is a string to go-yaml
    /// but an overflowing float to YAML 1.2 parsers, a disagreement we reproduce on purpose.)
    fn tricky_string() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            ":",
            "#",
            "'",
            "\"",
            "-",
            " ",
            "  ",
            "0",
            "1",
            "9",
            ".",
            "_",
            "true",
            "no",
            "yes",
            "null",
            "~",
            "\n",
            "\t",
            "\r",
            "a",
            "Z",
            "x",
            "!",
            "&",
            "*",
            "?",
            "|",
            ">",
            "%",
            "@",
            "`",
            "[",
            "]",
            "{",
            "}",
            ",",
            "\\",
            "é",
            "\u{2028}",
            "\u{85}",
            "😀",
            "\u{feff}",
            "2025-01-02",
            "T03:04:05Z",
            "0x",
            "0o",
            "0b",
            "+",
            "...",
            "---",
            "word ",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6)
                .prop_filter("fractional", |f| f.fract() != 0.0)
                .prop_map(Value::from),
            tricky_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((tricky_string(), inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: Some(Box::new(
                FileFailurePersistence::SourceParallel("testdata/proptest-regressions"),
            )),
            ..ProptestConfig::default()
        })]

        #[test]
        fn yaml_round_trips(value in json_value()) {
            let yaml = to_yaml(&value);
            let parsed: Value = serde_yaml::from_str(&yaml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert_eq!(parsed, value, "yaml:\n{}", yaml);
        }

        #[test]
        fn long_strings_round_trip(words in prop::collection::vec(tricky_string(), 10..40)) {
            let value = json!({"k": words.join(" "), "l": [words.join("  ")]});
            let yaml = to_yaml(&value);
            let parsed: Value = serde_yaml::from_str(&yaml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert_eq!(parsed, value, "yaml:\n{}", yaml);
        }
    }
}
