//! Tables and numbers as calicoctl prints them.
//!
//! Two table styles reach the terminal:
//! - `get -o ps|wide|custom-columns` writes tab-terminated cells through Go's
//!   `text/tabwriter` (minwidth 5, tabwidth 1, padding 3, pad char space, no flags).
//!   [`tabwriter`] reproduces that writer: cells are grouped into *column blocks* (runs of
//!   consecutive lines that all have a tab-terminated cell in that column), each block is as
//!   wide as its widest cell plus the padding, and every terminated cell is left-aligned and
//!   right-padded to that width, so lines end in spaces.
//! - `ipam show` uses olekukonko/tablewriter v0.0.5 with its defaults: `+---+` borders,
//!   centred headers, numbers right-aligned, long cells wrapped with minimal raggedness.
//!   [`ascii_table`] reproduces it.
//!
//! The number formats of `ipam show` are Go's `%.5g` and `%.f`, in [`crate::go::fmt`].
//! Everything here is a pure function from strings to a string.

use unicode_width::UnicodeWidthChar;

// ---------------------------------------------------------------------------------------------
// Go text/tabwriter
// ---------------------------------------------------------------------------------------------

/// The settings calicoctl passes to `tabwriter.NewWriter(os.Stdout, 5, 1, 3, ' ', 0)`.
const TAB_MINWIDTH: usize = 5;
const TAB_PADDING: usize = 3;

/// One cell of a tabwriter line: its text and its width in runes.
struct TabCell<'a> {
    text: &'a str,
    width: usize,
}

/// One line of tabwriter input. Every cell but the last was terminated by a tab (or vertical
/// tab); the last cell holds the text before the line end and belongs to no column.
struct TabLine<'a> {
    cells: Vec<TabCell<'a>>,
    /// Whether the line was ended by `\n` or `\f` (only the final line of the input is not).
    terminated: bool,
}

impl TabLine<'_> {
    /// Whether the line has a tab-terminated cell in `column`.
    fn has_column(&self, column: usize) -> bool {
        column + 1 < self.cells.len()
    }
}

/// Renders rows the way calicoctl's table printer does: each cell followed by a tab, each row
/// followed by a newline, all of it through Go's `text/tabwriter` with minwidth 5, padding 3.
///
/// `rows[0]` is the header. Every cell, including the last of a row, is left-aligned and
/// padded with spaces to its column width, so each line ends in at least three spaces. Column
/// widths are computed per column block, exactly as Go does, so rows with differing cell counts
/// are laid out as calicoctl lays them out. The caller prints the blank line that follows the
/// table.
///
/// ```
/// let rows = vec![vec!["NAME".to_string(), "CIDR".to_string(), "SELECTOR".to_string()]];
/// assert_eq!(calico::output::tabwriter(&rows), "NAME   CIDR   SELECTOR   \n");
/// ```
pub fn tabwriter(rows: &[Vec<String>]) -> String {
    let mut text = String::new();
    for row in rows {
        for cell in row {
            text.push_str(cell);
            text.push('\t');
        }
        text.push('\n');
    }
    tabwriter_text(&text)
}

/// Formats raw tabwriter input (tab-terminated cells, `\n` or `\f` line ends).
///
/// This is the whole writer: `\t` and `\v` end a cell, `\n` ends a line, `\f` ends a line
/// and flushes (no column block spans it), and text after the last line end is written
/// unpadded without a newline, as `Flush` would.
fn tabwriter_text(text: &str) -> String {
    let mut segments: Vec<Vec<TabLine<'_>>> = vec![Vec::new()];
    let mut cells = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if !matches!(c, '\t' | '\u{b}' | '\n' | '\u{c}') {
            continue;
        }
        let cell = &text[start..i];
        cells.push(TabCell {
            text: cell,
            width: cell.chars().count(),
        });
        start = i + c.len_utf8();
        if matches!(c, '\n' | '\u{c}') {
            let segment = segments.last_mut().expect("there is always a segment");
            segment.push(TabLine {
                cells: std::mem::take(&mut cells),
                terminated: true,
            });
            if c == '\u{c}' {
                segments.push(Vec::new());
            }
        }
    }
    if start < text.len() {
        let cell = &text[start..];
        cells.push(TabCell {
            text: cell,
            width: cell.chars().count(),
        });
    }
    if !cells.is_empty() {
        segments
            .last_mut()
            .expect("there is always a segment")
            .push(TabLine {
                cells,
                terminated: false,
            });
    }

    let mut out = String::with_capacity(text.len() * 2);
    for segment in &segments {
        format_column_blocks(segment, &mut Vec::new(), &mut out);
    }
    out
}

/// Lays out `lines`, all of which have cells in the columns whose widths are in `widths`.
///
/// Mirrors Go tabwriter's `format`: lines without a cell in the next column are written with
/// the widths known so far; each maximal run of lines that do have one forms a column block
/// whose width is the widest cell plus padding (at least the minimum width), and the run is
/// laid out recursively with that width pushed.
fn format_column_blocks(lines: &[TabLine<'_>], widths: &mut Vec<usize>, out: &mut String) {
    let column = widths.len();
    let mut unwritten = 0;
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].has_column(column) {
            i += 1;
            continue;
        }
        write_tab_lines(&lines[unwritten..i], widths, out);
        let block_start = i;
        let mut width = TAB_MINWIDTH;
        while i < lines.len() && lines[i].has_column(column) {
            width = width.max(lines[i].cells[column].width + TAB_PADDING);
            i += 1;
        }
        widths.push(width);
        format_column_blocks(&lines[block_start..i], widths, out);
        widths.pop();
        unwritten = i;
    }
    write_tab_lines(&lines[unwritten..], widths, out);
}

fn write_tab_lines(lines: &[TabLine<'_>], widths: &[usize], out: &mut String) {
    for line in lines {
        for (j, cell) in line.cells.iter().enumerate() {
            out.push_str(cell.text);
            if let Some(&width) = widths.get(j) {
                pad(out, width.saturating_sub(cell.width));
            }
        }
        if line.terminated {
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

// ---------------------------------------------------------------------------------------------
// olekukonko/tablewriter v0.0.5
// ---------------------------------------------------------------------------------------------

/// tablewriter's `MAX_ROW_WIDTH`: cells wider than this are word-wrapped.
const WRAP_WIDTH: usize = 30;
/// tablewriter's `defaultPenalty` for a line longer than the limit.
const WRAP_PENALTY: i64 = 100_000;

/// Renders a table as olekukonko/tablewriter v0.0.5 does with its defaults (calicoctl's
/// `ipam show`).
///
/// Layout: border, header row(s), border, data rows, border (an empty table is border,
/// header, border, border). Borders are `+` and `-`; cells are separated by `|` with one
/// space either side. A column is as wide as its widest line (header included). Headers are
/// centred (odd gaps put the extra space on the right) and upper-cased with `_` shown as a
/// space. A data cell is right-aligned when it is a plain number
/// (`^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$` after trimming), left-aligned otherwise. A
/// cell wider than 30 columns is re-flowed onto several lines, breaking between words so as
/// to minimise raggedness; the other cells of that row get blank continuation lines.
///
/// ```
/// let out = calico::output::ascii_table(&["NAME", "SIZE"], &[vec!["a".into(), "64".into()]]);
/// assert_eq!(out, "+------+------+\n| NAME | SIZE |\n+------+------+\n| a    |   64 |\n+------+------+\n");
/// ```
pub fn ascii_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = AsciiTable::default();
    let header_lines: Vec<Vec<String>> = header
        .iter()
        .enumerate()
        .map(|(column, cell)| table.parse_dimension(cell, column, None))
        .collect();
    let row_lines: Vec<Vec<Vec<String>>> = rows
        .iter()
        .enumerate()
        .map(|(row, cells)| {
            cells
                .iter()
                .enumerate()
                .map(|(column, cell)| table.parse_dimension(cell, column, Some(row)))
                .collect()
        })
        .collect();

    let mut out = String::new();
    table.border(&mut out);
    if !header_lines.is_empty() {
        let height = table.header_height;
        for line in 0..height {
            out.push('|');
            for (column, &width) in table.widths.iter().enumerate() {
                let text = header_lines
                    .get(column)
                    .and_then(|lines| lines.get(line))
                    .map_or(String::new(), |text| title(text));
                out.push(' ');
                out.push_str(&pad_center(&text, width));
                out.push_str(" |");
            }
            out.push('\n');
        }
        table.border(&mut out);
    }
    for (row, columns) in row_lines.iter().enumerate() {
        let height = table.row_heights.get(row).copied().unwrap_or(0);
        for line in 0..height {
            for (column, lines) in columns.iter().enumerate() {
                // Cells with fewer lines than the row are continued with two spaces.
                let text = lines.get(line).map_or("  ", String::as_str);
                let width = table.widths[column];
                out.push_str("| ");
                if is_decimal(text.trim()) {
                    out.push_str(&pad_left(text, width));
                } else {
                    out.push_str(&pad_right(text, width));
                }
                out.push(' ');
            }
            out.push_str("|\n");
        }
    }
    table.border(&mut out);
    out
}

/// Column widths and row heights, gathered as cells are added (tablewriter's `cs` and `rs`).
#[derive(Default)]
struct AsciiTable {
    widths: Vec<usize>,
    header_height: usize,
    row_heights: Vec<usize>,
}

impl AsciiTable {
    /// Splits a cell into the lines it will print as and records its width and height
    /// (tablewriter's `parseDimension` with auto-wrap and reflow on).
    fn parse_dimension(&mut self, text: &str, column: usize, row: Option<usize>) -> Vec<String> {
        let raw: Vec<&str> = text.split('\n').collect();
        let mut max_width = raw
            .iter()
            .map(|line| display_width(line))
            .max()
            .unwrap_or(0);
        max_width = max_width.min(WRAP_WIDTH);
        let lines = wrap_string(&raw.join(" "), max_width);
        let wrapped_width = lines.iter().map(|line| display_width(line)).max();
        let width = max_width.max(wrapped_width.unwrap_or(0));

        if self.widths.len() <= column {
            self.widths.resize(column + 1, 0);
        }
        self.widths[column] = self.widths[column].max(width);
        let height = match row {
            None => &mut self.header_height,
            Some(row) => {
                if self.row_heights.len() <= row {
                    self.row_heights.resize(row + 1, 0);
                }
                &mut self.row_heights[row]
            }
        };
        *height = (*height).max(lines.len());
        lines
    }

    fn border(&self, out: &mut String) {
        out.push('+');
        for &width in &self.widths {
            out.extend(std::iter::repeat_n('-', width + 2));
            out.push('+');
        }
        out.push('\n');
    }
}

/// tablewriter's `WrapString`: splits on whitespace and breaks the words into lines of at
/// most `limit` columns (raised to the longest word) with minimal raggedness.
fn wrap_string(text: &str, limit: usize) -> Vec<String> {
    if text == " " {
        return vec![" ".to_string()];
    }
    let words: Vec<&str> = text
        .split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return vec![String::new()];
    }
    let limit = words.iter().map(|w| rune_width(w)).fold(limit, usize::max);
    wrap_words(&words, limit)
        .into_iter()
        .map(|line| line.join(" "))
        .collect()
}

/// The minimal-raggedness line breaking of tablewriter's `WrapWords` (one space between
/// words): the cost of a line is the square of its shortfall from `limit`, plus a penalty
/// when it overflows; the last line is free. Ties keep the earliest break.
fn wrap_words<'a>(words: &[&'a str], limit: usize) -> Vec<Vec<&'a str>> {
    let n = words.len();
    let lengths: Vec<i64> = words.iter().map(|w| rune_width(w) as i64).collect();
    let limit = limit as i64;
    let mut next_break = vec![n; n];
    let mut cost = vec![i64::from(i32::MAX); n];
    let mut remainder = lengths[n - 1];
    for i in (0..n).rev() {
        if i < n - 1 {
            remainder += 1 + lengths[i];
        }
        if remainder <= limit {
            cost[i] = 0;
            next_break[i] = n;
            continue;
        }
        let mut phrase = lengths[i];
        for j in i + 1..n {
            if j > i + 1 {
                phrase += 1 + lengths[j - 1];
            }
            let shortfall = limit - phrase;
            let mut c = shortfall * shortfall + cost[j];
            if phrase > limit {
                c += WRAP_PENALTY;
            }
            if c < cost[i] {
                cost[i] = c;
                next_break[i] = j;
            }
        }
    }
    let mut lines = Vec::new();
    let mut i = 0;
    while i < n {
        lines.push(words[i..next_break[i]].to_vec());
        i = next_break[i];
    }
    lines
}

/// tablewriter's `Title`: `_` becomes a space, a `.` not between digits/spaces becomes a
/// space, surrounding whitespace is trimmed (keeping one space if that empties a non-empty
/// header) and letters are upper-cased rune by rune.
fn title(name: &str) -> String {
    let mut runes: Vec<char> = name.chars().collect();
    let is_num_or_space = |c: char| c.is_ascii_digit() || c == ' ';
    for i in 0..runes.len() {
        match runes[i] {
            '_' => runes[i] = ' ',
            '.' => {
                let before = i > 0 && !is_num_or_space(runes[i - 1]);
                let after = i + 1 < runes.len() && !is_num_or_space(runes[i + 1]);
                if before || after {
                    runes[i] = ' ';
                }
            }
            _ => {}
        }
    }
    let text: String = runes.into_iter().collect();
    let trimmed = text.trim();
    let trimmed = if trimmed.is_empty() && !name.is_empty() {
        " "
    } else {
        trimmed
    };
    trimmed.chars().map(simple_upper).collect()
}

/// Go's `unicode.ToUpper`: a one-to-one mapping (`ß` stays `ß`).
fn simple_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// tablewriter's numeric test: `^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$` (ASCII digits).
fn is_decimal(text: &str) -> bool {
    let s = text.strip_prefix('-').unwrap_or(text);
    let (int_part, fraction) = match s.split_once('.') {
        Some((int_part, fraction)) => (int_part, Some(fraction)),
        None => (s, None),
    };
    if let Some(fraction) = fraction
        && (fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if int_part.is_empty() {
        return false;
    }
    if int_part.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let mut groups = int_part.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

fn pad_center(text: &str, width: usize) -> String {
    let gap = width.saturating_sub(display_width(text));
    let left = gap / 2;
    let mut out = String::with_capacity(text.len() + gap);
    pad(&mut out, left);
    out.push_str(text);
    pad(&mut out, gap - left);
    out
}

fn pad_left(text: &str, width: usize) -> String {
    let mut out = String::new();
    pad(&mut out, width.saturating_sub(display_width(text)));
    out.push_str(text);
    out
}

fn pad_right(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    pad(&mut out, width.saturating_sub(display_width(text)));
    out
}

/// tablewriter's `DisplayWidth`: the terminal width after removing ANSI colour sequences
/// (`ESC [ n;n m` or `... K`).
fn display_width(text: &str) -> usize {
    if !text.contains('\u{1b}') {
        return rune_width(text);
    }
    let mut stripped = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('\u{1b}') {
        stripped.push_str(&rest[..pos]);
        match ansi_sequence_len(&rest[pos..]) {
            Some(len) => rest = &rest[pos + len..],
            None => {
                stripped.push('\u{1b}');
                rest = &rest[pos + 1..];
            }
        }
    }
    stripped.push_str(rest);
    rune_width(&stripped)
}

/// Length of `\x1b\[(?:[0-9]{1,3}(?:;[0-9]{1,3})*)?[m|K]` at the start of `s`, if present.
fn ansi_sequence_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if !s.starts_with("\u{1b}[") {
        return None;
    }
    let digits_at = |mut i: usize| {
        let start = i;
        while i < bytes.len() && i - start < 3 && bytes[i].is_ascii_digit() {
            i += 1;
        }
        (i > start).then_some(i)
    };
    let mut i = 2;
    if let Some(mut end) = digits_at(i) {
        while end < bytes.len() && bytes[end] == b';' {
            match digits_at(end + 1) {
                Some(next) => end = next,
                None => break,
            }
        }
        i = end;
    }
    matches!(bytes.get(i), Some(b'm' | b'|' | b'K')).then_some(i + 1)
}

/// go-runewidth's `StringWidth` (East Asian ambiguous characters narrow): the sum of the
/// characters' widths, from the Unicode tables (`unicode-width`): controls and combining
/// characters take no columns, East Asian wide and fullwidth characters and emoji take two.
fn rune_width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[&str]]) -> Vec<Vec<String>> {
        data.iter()
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn tabwriter_empty_list_is_just_the_header() {
        let out = tabwriter(&rows(&[&["NAME", "CIDR", "SELECTOR"]]));
        assert_eq!(out, "NAME   CIDR   SELECTOR   \n");
    }

    #[test]
    fn tabwriter_pads_every_cell_to_its_column() {
        let out = tabwriter(&rows(&[
            &["NAME", "CIDR", "SELECTOR"],
            &["default-ipv4-ippool", "192.168.0.0/16", "all()"],
            &["p2", "fd00::/64", "rack == \"0\""],
        ]));
        assert_eq!(
            out,
            "NAME                  CIDR             SELECTOR      \n\
             default-ipv4-ippool   192.168.0.0/16   all()         \n\
             p2                    fd00::/64        rack == \"0\"   \n"
        );
    }

    #[test]
    fn tabwriter_wide_ippool_table() {
        let out = tabwriter(&rows(&[
            &[
                "NAME",
                "CIDR",
                "NAT",
                "IPIPMODE",
                "VXLANMODE",
                "DISABLED",
                "DISABLEBGPEXPORT",
                "SELECTOR",
                "ASSIGNMENTMODE",
            ],
            &[
                "pool1",
                "10.0.0.0/16",
                "true",
                "Never",
                "Always",
                "false",
                "false",
                "all()",
                "Automatic",
            ],
        ]));
        assert_eq!(
            out,
            "NAME    CIDR          NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR   ASSIGNMENTMODE   \n\
             pool1   10.0.0.0/16   true   Never      Always      false      false              all()      Automatic        \n"
        );
    }

    #[test]
    fn tabwriter_minimum_width_is_five_and_cells_count_runes() {
        let out = tabwriter(&rows(&[&["A", "B"], &["é", "xy"]]));
        assert_eq!(out, "A    B    \né    xy   \n");
        let out = tabwriter(&rows(&[&["NAME"], &["名前名前"]]));
        assert_eq!(out, "NAME   \n名前名前   \n");
    }

    #[test]
    fn tabwriter_column_blocks_end_at_shorter_lines() {
        // Every row cell is tab-terminated, so "a" still has column 0 (width 13) but no
        // column 1: the two "X"/"y" cells are separate blocks.
        let out = tabwriter(&rows(&[&["LONGHEADER", "X"], &["a"], &["b", "yyyyyy"]]));
        assert_eq!(
            out,
            "LONGHEADER   X    \na            \nb            yyyyyy   \n"
        );
        // A line without any tab ends the block of column 0 as well.
        let out = tabwriter_text("LONGHEADER\tX\t\nplain\nb\ty\t\n");
        assert_eq!(out, "LONGHEADER   X    \nplain\nb    y    \n");
        // A line with more cells extends a column only for the lines that have it.
        let out = tabwriter(&rows(&[&["A", "B"], &["a", "b", "cccccccc"], &["x"]]));
        assert_eq!(out, "A    B    \na    b    cccccccc   \nx    \n");
    }

    #[test]
    fn tabwriter_cells_with_tabs_or_newlines_split_as_in_go() {
        // calicoctl writes cell text straight into the tabwriter, so an embedded newline
        // ends the line and an embedded tab ends the cell.
        let out = tabwriter(&rows(&[&["NAME", "DESC"], &["x", "l1\nl2"]]));
        assert_eq!(out, "NAME   DESC   \nx      l1\nl2     \n");
        let out = tabwriter(&rows(&[&["NAME", "DESC"], &["x\ty", "z"]]));
        assert_eq!(out, "NAME   DESC   \nx      y      z    \n");
    }

    #[test]
    fn tabwriter_text_handles_form_feed_and_unterminated_text() {
        assert_eq!(
            tabwriter_text("aaaaaaa\tb\n\u{c}c\td\n"),
            "aaaaaaa   b\n\nc    d\n"
        );
        assert_eq!(tabwriter_text("a\tb\ntrailing"), "a    b\ntrailing");
        assert_eq!(tabwriter_text("a\u{b}b\n"), "a    b\n");
    }

    #[test]
    fn tabwriter_separate_tables_have_their_own_widths() {
        let first = tabwriter(&rows(&[
            &["NAME", "CIDR"],
            &["a-very-long-name", "10.0.0.0/8"],
        ]));
        let second = tabwriter(&rows(&[&["NAME", "CIDR"], &["b", "10.1.0.0/16"]]));
        assert_eq!(
            first,
            "NAME               CIDR         \na-very-long-name   10.0.0.0/8   \n"
        );
        assert_eq!(second, "NAME   CIDR          \nb      10.1.0.0/16   \n");
    }

    #[test]
    fn ascii_table_ipam_show() {
        let out = ascii_table(
            &["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"],
            &rows(&[
                &["IP Pool", "10.65.0.0/16", "65536", "5 (0%)", "65531 (100%)"],
                &["Block", "10.65.79.0/26", "64", "5 (8%)", "59 (92%)"],
                &[
                    "IP Pool",
                    "fd5f:abcd::/48",
                    "1.2089e+24",
                    "0 (0%)",
                    "1.2089e+24 (100%)",
                ],
            ]),
        );
        assert_eq!(
            out,
            "+----------+----------------+------------+------------+-------------------+\n\
             | GROUPING |      CIDR      | IPS TOTAL  | IPS IN USE |     IPS FREE      |\n\
             +----------+----------------+------------+------------+-------------------+\n\
             | IP Pool  | 10.65.0.0/16   |      65536 | 5 (0%)     | 65531 (100%)      |\n\
             | Block    | 10.65.79.0/26  |         64 | 5 (8%)     | 59 (92%)          |\n\
             | IP Pool  | fd5f:abcd::/48 | 1.2089e+24 | 0 (0%)     | 1.2089e+24 (100%) |\n\
             +----------+----------------+------------+------------+-------------------+\n"
        );
    }

    #[test]
    fn ascii_table_without_rows() {
        let out = ascii_table(&["PROPERTY", "VALUE"], &[]);
        assert_eq!(
            out,
            "+----------+-------+\n\
             | PROPERTY | VALUE |\n\
             +----------+-------+\n\
             +----------+-------+\n"
        );
    }

    #[test]
    fn ascii_table_show_configuration_and_header_title() {
        let out = ascii_table(
            &["PROPERTY", "VALUE", "a_b"],
            &rows(&[
                &["StrictAffinity", "false", "-1,234.5"],
                &["MaxBlocksPerHost", "0", "1,23"],
            ]),
        );
        assert_eq!(
            out,
            "+------------------+-------+----------+\n\
             |     PROPERTY     | VALUE |   A B    |\n\
             +------------------+-------+----------+\n\
             | StrictAffinity   | false | -1,234.5 |\n\
             | MaxBlocksPerHost |     0 | 1,23     |\n\
             +------------------+-------+----------+\n"
        );
    }

    #[test]
    fn ascii_table_wraps_long_cells_with_minimal_raggedness() {
        let long = "bb ffffff a a a iiiiiiiii a ggggggg dddd ggggggg a iiiiiiiii dddd hhhhhhhh";
        let out = ascii_table(
            &["K", "DESCRIPTION"],
            &rows(&[&["x", long], &["12", "short"]]),
        );
        // Greedy filling would end the first line with "a"; the balanced split moves it down.
        // The column keeps the 30-column wrap width.
        assert_eq!(
            out,
            "+----+--------------------------------+\n\
             | K  |          DESCRIPTION           |\n\
             +----+--------------------------------+\n\
             | x  | bb ffffff a a a iiiiiiiii      |\n\
             |    | a ggggggg dddd ggggggg a       |\n\
             |    | iiiiiiiii dddd hhhhhhhh        |\n\
             | 12 | short                          |\n\
             +----+--------------------------------+\n"
        );
    }

    #[test]
    fn ascii_table_wrap_keeps_long_words_whole_and_reflows_lines() {
        let word = "a".repeat(35);
        // Lines of a cell are joined and re-wrapped: "x\ny  z" becomes "x y" / "z".
        let out = ascii_table(&["V"], &rows(&[&[&format!("{word} b")], &["x\ny  z"]]));
        let border = format!("+{}+\n", "-".repeat(37));
        let expected = format!(
            "{border}|{}V{}|\n{border}| {word} |\n| b{} |\n| x y{} |\n| z{} |\n{border}",
            " ".repeat(18),
            " ".repeat(18),
            " ".repeat(34),
            " ".repeat(32),
            " ".repeat(34),
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn decimal_detection_matches_tablewriter() {
        for yes in ["0", "64", "-5", "65536", "1,234", "12,345,678.90", "3.5"] {
            assert!(is_decimal(yes), "{yes}");
        }
        for no in [
            "",
            "-",
            "1.",
            ".5",
            "1,23",
            "1234,567",
            "1.2089e+24",
            "5 (0%)",
            "false",
            "+1",
        ] {
            assert!(!is_decimal(no), "{no}");
        }
    }

    #[test]
    fn display_width_ignores_colour_codes() {
        assert_eq!(display_width("\u{1b}[1;31mred\u{1b}[0m"), 3);
        assert_eq!(display_width("\u{1b}[K"), 0);
        assert_eq!(display_width("\u{1b}x"), 1);
    }

    #[test]
    fn widths_follow_the_unicode_tables() {
        assert_eq!(rune_width("10.0.0.0/26"), 11);
        // East Asian wide characters and emoji take two columns, ambiguous ones one.
        assert_eq!(rune_width("节点-1"), 6);
        assert_eq!(rune_width("ｎｏｄｅ"), 8);
        assert_eq!(rune_width("⌚😀"), 4);
        assert_eq!(rune_width("±§"), 2);
        // Controls and combining marks take none.
        assert_eq!(rune_width("e\u{301}\u{5b0}\u{200b}\t\u{7f}"), 1);
    }
}
