//! Stub.
/// Stub tabwriter.
pub fn tabwriter(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut widths = vec![5usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count() + 3);
        }
    }
    let mut s = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            s.push_str(&format!("{:w$}", c, w = widths[i]));
        }
        s.push('\n');
    }
    s
}
/// Stub.
pub fn ascii_table(header: &[&str], rows: &[Vec<String>]) -> String {
    format!("{header:?}{rows:?}")
}
/// Stub.
pub fn go_g5(x: f64) -> String {
    format!("{x}")
}
/// Stub.
pub fn go_percent(x: f64) -> String {
    format!("{x:.0}")
}
