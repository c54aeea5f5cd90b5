//! Reading resources from `-f FILE|DIR|-`: multi-document YAML or JSON, sequences and
//! `<Kind>List` objects, read as calicoctl reads them (go-yaml v2's YAML 1.1 scalars, see
//! `crate::model::goyaml`) and strictly decoded.

use crate::go::errno::io_reason;
use crate::model::kinds::AnyResource;
use std::io::Read;
use std::path::Path;

/// Why loading failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// A document does not parse or decode; printed as `failed to execute command: <msg>`.
    Parse(String),
    /// A file or directory holds no resources; printed as is.
    Empty(String),
}

impl LoadError {
    /// calicoctl's rendering of the error.
    pub fn message(&self) -> String {
        match self {
            LoadError::Parse(m) => format!("failed to execute command: {m}"),
            LoadError::Empty(m) => m.clone(),
        }
    }
}

/// Loads every resource named by `filename` (`-` for stdin, a file, or a directory).
pub fn load(
    filename: &str,
    recursive: bool,
    skip_empty: bool,
) -> Result<Vec<AnyResource>, LoadError> {
    if filename == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| LoadError::Parse(format!("error reading stdin: {e}")))?;
        let res = parse_text(&text)?;
        if res.is_empty() && !skip_empty {
            return Err(LoadError::Empty(
                "no resources specified in file -".to_string(),
            ));
        }
        return Ok(res);
    }
    let path = Path::new(filename);
    let meta = std::fs::metadata(path)
        .map_err(|e| LoadError::Parse(format!("open {filename}: {}", io_reason(&e))))?;
    if meta.is_dir() {
        let mut files = Vec::new();
        collect_dir(path, recursive, &mut files)
            .map_err(|e| LoadError::Parse(format!("open {filename}: {}", io_reason(&e))))?;
        let mut all = Vec::new();
        for f in files {
            let text = read_file(&f)?;
            // calicoctl reports a bad document of a directory without naming its file; with
            // dozens of manifests that leaves the user searching, so we name it.
            let res = parse_text(&text).map_err(|e| match e {
                LoadError::Parse(m) => LoadError::Parse(format!("{}: {m}", f.display())),
                other => other,
            })?;
            if res.is_empty() && !skip_empty {
                return Err(LoadError::Empty(format!(
                    "no resources specified in file {}",
                    f.display()
                )));
            }
            all.extend(res);
        }
        if all.is_empty() && !skip_empty {
            return Err(LoadError::Empty(format!(
                "no resources specified in directory {filename}"
            )));
        }
        return Ok(all);
    }
    let text = read_file(path)?;
    let res = parse_text(&text)?;
    if res.is_empty() && !skip_empty {
        return Err(LoadError::Empty(format!(
            "no resources specified in file {filename}"
        )));
    }
    Ok(res)
}

fn read_file(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path)
        .map_err(|e| LoadError::Parse(format!("open {}: {}", path.display(), io_reason(&e))))?;
    String::from_utf8(bytes).map_err(|_| {
        LoadError::Parse(format!(
            "{}: the file is not valid UTF-8 text",
            path.display()
        ))
    })
}

fn collect_dir(
    dir: &Path,
    recursive: bool,
    out: &mut Vec<std::path::PathBuf>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            if recursive {
                collect_dir(&p, recursive, out)?;
            }
            continue;
        }
        let ext = p
            .extension()
            .and_then(|x| x.to_str())
            .map(|x| x.to_ascii_lowercase())
            .unwrap_or_default();
        if matches!(ext.as_str(), "yaml" | "yml" | "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Splits a text into YAML documents at lines starting with `---` (the rest of such a line is
/// discarded, as calicoctl does).
pub(crate) fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
        }
    }
    docs
}

/// Parses every document of a text into resources.
pub fn parse_text(text: &str) -> Result<Vec<AnyResource>, LoadError> {
    // A UTF-8 byte-order mark (as some Windows editors write) is not content: go-yaml skips
    // it when it detects the encoding.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for doc in split_documents(text) {
        if doc.trim().is_empty() {
            continue;
        }
        check_nesting(&doc)?;
        let value = crate::model::goyaml::parse(&doc).map_err(LoadError::Parse)?;
        push_value(value, &mut out)?;
    }
    Ok(out)
}

/// Flow collections (`{`, `[`) nested deeper than this are refused before the YAML parser
/// sees them. The parser would refuse them anyway (its recursion limit is 128), but only after
/// work that grows with the square of the nesting: a 600 kB file of `{"a":{"a":...` kept
/// calicoctl busy for over a minute.
const MAX_FLOW_NESTING: usize = 1000;

/// A linear scan of a document's flow nesting (brackets inside quotes and comments do not
/// count). Brackets in plain scalars may be over-counted, hence a limit far above what the
/// parser accepts.
fn check_nesting(doc: &str) -> Result<(), LoadError> {
    let mut depth = 0usize;
    let mut chars = doc.chars().peekable();
    let mut line = 1usize;
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        '\n' => line += 1,
                        _ => {}
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    match c {
                        '\'' => break,
                        '\n' => line += 1,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                depth += 1;
                if depth > MAX_FLOW_NESTING {
                    return Err(LoadError::Parse(format!(
                        "error parsing document: yaml: line {line}: collections nested \
                         more than {MAX_FLOW_NESTING} deep"
                    )));
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn push_value(value: serde_json::Value, out: &mut Vec<AnyResource>) -> Result<(), LoadError> {
    match value {
        serde_json::Value::Null => Ok(()),
        serde_json::Value::Array(items) => {
            for item in items {
                push_value(item, out)?;
            }
            Ok(())
        }
        serde_json::Value::Object(ref map)
            if map
                .get("kind")
                .and_then(|k| k.as_str())
                .is_some_and(|k| k.ends_with("List"))
                && map.contains_key("items") =>
        {
            let items = map.get("items").cloned().unwrap_or_default();
            match items {
                serde_json::Value::Array(items) => {
                    for item in items {
                        push_value(item, out)?;
                    }
                    Ok(())
                }
                serde_json::Value::Null => Ok(()),
                _ => Err(LoadError::Parse(
                    "items in a List must be a sequence".to_string(),
                )),
            }
        }
        serde_json::Value::Object(_) => {
            out.push(AnyResource::from_value(value).map_err(|e| LoadError::Parse(e.to_string()))?);
            Ok(())
        }
        other => Err(LoadError::Parse(format!(
            "error parsing document: expected a resource object, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_sequences_and_lists() {
        let text = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: a\nspec:\n  cidr: 10.0.0.0/24\n--- # comment\n- apiVersion: projectcalico.org/v3\n  kind: Node\n  metadata:\n    name: n1\n---\n{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"IPPoolList\", \"items\": [{\"apiVersion\": \"projectcalico.org/v3\", \"kind\": \"IPPool\", \"metadata\": {\"name\": \"b\"}, \"spec\": {\"cidr\": \"10.1.0.0/24\"}}]}\n---\n";
        let res = parse_text(text).unwrap();
        let names: Vec<_> = res.iter().map(|r| r.id().to_string()).collect();
        assert_eq!(names, ["IPPool(a)", "Node(n1)", "IPPool(b)"]);
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let deep = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        let t = std::time::Instant::now();
        let err = parse_text(&deep).unwrap_err().message();
        assert!(
            t.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            t.elapsed()
        );
        assert!(err.contains("nested more than 1000 deep"), "{err}");
        // Brackets in quoted strings and comments do not count.
        let quoted = format!(
            "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: n\n  annotations:\n    a: \"{}\"\n    b: '{}' # {}\n",
            "{".repeat(2000),
            "[".repeat(2000),
            "{".repeat(2000)
        );
        assert_eq!(parse_text(&quoted).unwrap().len(), 1);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse_text("kind: [unclosed\n"),
            Err(LoadError::Parse(_))
        ));
        assert_eq!(
            parse_text("apiVersion: projectcalico.org/v3\nkind: Bogus\n").unwrap_err(),
            LoadError::Parse(
                "unknown resource type (Bogus) and/or version (projectcalico.org/v3)".into()
            )
        );
    }
}
