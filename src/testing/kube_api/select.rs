//! Label and field selectors as the API server reads them from `labelSelector` and
//! `fieldSelector`, and JSON merge patches (RFC 7386).

use serde_json::{Map, Value};

/// One requirement of a label selector.
#[derive(Debug, PartialEq)]
enum LabelReq {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed `labelSelector`: all requirements must hold.
#[derive(Debug, Default, PartialEq)]
pub(super) struct LabelSelector(Vec<LabelReq>);

/// Splits on the commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn set_values(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_string()).collect())
}

impl LabelSelector {
    pub(super) fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let req = if let Some((k, v)) = part.split_once("!=") {
                LabelReq::NotEquals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once("==") {
                LabelReq::Equals(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once('=') {
                LabelReq::Equals(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                let vals = set_values(rest).ok_or_else(|| format!("invalid selector: {s}"))?;
                LabelReq::NotIn(k.trim().into(), vals)
            } else if let Some((k, rest)) = part.split_once(" in ") {
                let vals = set_values(rest).ok_or_else(|| format!("invalid selector: {s}"))?;
                LabelReq::In(k.trim().into(), vals)
            } else if let Some(k) = part.strip_prefix('!') {
                LabelReq::NotExists(k.trim().into())
            } else if part.contains([' ', '(', ')', '<', '>']) {
                return Err(format!("unable to parse requirement: {part}"));
            } else {
                LabelReq::Exists(part.into())
            };
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    pub(super) fn matches(&self, object: &Value) -> bool {
        let labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object);
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|req| match req {
            LabelReq::Equals(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEquals(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
        })
    }
}

/// A parsed `fieldSelector` over the fields the API server supports for the kind.
#[derive(Debug, Default, PartialEq)]
pub(super) struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// `supported` are the field labels besides `metadata.name` and `metadata.namespace`.
    pub(super) fn parse(s: &str, supported: &[&str]) -> Result<FieldSelector, String> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let (field, equal, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            if !["metadata.name", "metadata.namespace"].contains(&field)
                && !supported.contains(&field)
            {
                return Err(format!("field label not supported: {field}"));
            }
            reqs.push((field.to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector(reqs))
    }

    pub(super) fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let pointer = format!("/{}", field.replace('.', "/"));
            let got = object
                .pointer(&pointer)
                .and_then(Value::as_str)
                .unwrap_or("");
            (got == value) == *equal
        })
    }
}

/// Applies a JSON merge patch (RFC 7386) to `target`.
pub(super) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        unreachable!()
    };
    for (k, v) in patch {
        if v.is_null() {
            target.remove(k);
        } else {
            merge_patch(target.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors_match_as_the_api_server_does() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        let yes = [
            "app=web",
            "app==web",
            "app",
            "!db",
            "tier in (front, back)",
            "app notin (db)",
            "app=web,tier!=back",
            "",
        ];
        for s in yes {
            assert!(LabelSelector::parse(s).unwrap().matches(&pod), "{s}");
        }
        for s in ["app=db", "!app", "tier in (back)", "x", "app=web,tier=back"] {
            assert!(!LabelSelector::parse(s).unwrap().matches(&pod), "{s}");
        }
        assert!(LabelSelector::parse("app (x)").is_err());
    }

    #[test]
    fn field_selectors_know_their_fields() {
        let pod = json!({"metadata": {"name": "web-0"}, "spec": {"nodeName": "node-1"}});
        let sel = FieldSelector::parse("spec.nodeName=node-1", &["spec.nodeName"]).unwrap();
        assert!(sel.matches(&pod));
        let sel = FieldSelector::parse("metadata.name!=web-0", &[]).unwrap();
        assert!(!sel.matches(&pod));
        assert_eq!(
            FieldSelector::parse("spec.foo=1", &["spec.nodeName"]).unwrap_err(),
            "field label not supported: spec.foo"
        );
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}, "n": [1]}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}, "n": [1]}));
    }
}
