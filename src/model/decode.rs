//! Decoding a user's document into a typed resource the way calicoctl v3.31 does.
//!
//! calicoctl converts YAML to JSON knowing the target type: a number or boolean written where
//! the resource has a string (a label `rack: 1`, a name `5`) becomes that string. What is left
//! is decoded strictly: unknown fields are collected and reported together, and a value of
//! the wrong type names the Go field and type it missed (`cannot parse string 'True' into
//! field IPPoolSpec.disabled of type bool`). An explicit `null` is the field's zero value.
//!
//! The model's structs accept fields they do not have (as Go's decoder does, for values other
//! Calico versions stored); `serde_ignored` reports them as one decoding passes them, so a
//! user's document with any number of unknown fields is decoded once, plus once per repaired
//! value.

use super::gotypes::GoNames;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};

/// At most this many repairs (scalars made strings, wrong values set aside) per document.
const MAX_REPAIRS: usize = 4096;

/// Why a document could not be turned into a resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Missing or unknown `kind`/`apiVersion`.
    #[error("unknown resource type ({kind}) and/or version ({api_version})")]
    UnknownType {
        /// The document's kind.
        kind: String,
        /// The document's apiVersion.
        api_version: String,
    },
    /// Fields the kind does not have.
    #[error("{}", unknown_fields_message(.0))]
    UnknownFields(Vec<String>),
    /// Anything else serde reported (wrong types and the like).
    #[error("{0}")]
    Other(String),
}

fn unknown_fields_message(fields: &[String]) -> String {
    match fields {
        [one] => format!(
            "{PARSE_ERROR}field in document is not recognized or is in the wrong location: {one}"
        ),
        many => {
            let shown: Vec<&str> = many.iter().take(4).map(String::as_str).collect();
            let mut s = format!(
                "{PARSE_ERROR}fields in document are not recognized or are in the wrong location: {}",
                shown.join(", ")
            );
            if many.len() > 4 {
                s.push_str(&format!(" (+ {} more)", many.len() - 4));
            }
            s
        }
    }
}

/// [`decode_as`] for a document type with no Go names of its own (`CalicoAPIConfig`).
pub(crate) fn decode_document<T: DeserializeOwned>(
    value: Value,
    kind: &'static str,
    show_values: bool,
) -> Result<T, DecodeError> {
    decode_as(value, GoNames::plain(kind), show_values)
}

/// Decodes a document calicoctl reads through its YAML conversion. Unknown fields win over a
/// wrong type: all of them are reported (the decoder goes on past a wrong value to find
/// them); else the first wrong value. `names` gives the Go names of the messages (`<kind>Spec`
/// for `spec`), and without `show_values` a wrong value is described by its type alone
/// (`cannot parse array into field ...`), for documents that may hold secrets.
pub(crate) fn decode_as<T: DeserializeOwned>(
    mut value: Value,
    names: GoNames,
    show_values: bool,
) -> Result<T, DecodeError> {
    drop_nulls(&mut value, false);
    let mut unknown = Vec::new();
    let mut wrong_type = None;
    for _ in 0..MAX_REPAIRS {
        unknown.clear();
        let mut ignored = |path: serde_ignored::Path| unknown.push(ignored_key(&path));
        let decoder = serde_ignored::Deserializer::new(value.clone(), &mut ignored);
        let err = match serde_path_to_error::deserialize::<_, T>(decoder) {
            Ok(resource) if unknown.is_empty() && wrong_type.is_none() => return Ok(resource),
            Ok(_) => break,
            Err(err) => err,
        };
        let segments: Vec<&Segment> = err.path().iter().collect();
        let message = err.inner().to_string();
        if message.ends_with("expected a string") && stringify_at(&mut value, &segments) {
            continue;
        }
        if message.starts_with("invalid type: floating point") && integral_at(&mut value, &segments)
        {
            continue;
        }
        // A value's own decoder (a Go type's `UnmarshalJSON`: numorstring's ports,
        // `metav1.Duration`) reported its message; else the JSON decoder's type error.
        let own = message.split_once(OWN_ERROR).map(|(_, m)| m.to_string());
        wrong_type.get_or_insert_with(|| {
            let inner =
                own.unwrap_or_else(|| type_error(names, &value, err.path(), &message, show_values));
            format!("{PARSE_ERROR}{inner}")
        });
        // Go on looking for unknown fields without the wrong value: a list item or a label
        // value takes its whole list or map along (its siblings would fail the same way).
        let mut end = segments.len();
        let in_string_map = end >= 2 && is_string_map(segments[end - 2]);
        if matches!(segments.last(), Some(Segment::Seq { .. })) || in_string_map {
            end -= 1;
        }
        if !remove_at(&mut value, &segments[..end]) {
            break;
        }
    }
    Err(match wrong_type {
        Some(message) if unknown.is_empty() => DecodeError::Other(message),
        None if unknown.is_empty() => DecodeError::Other(format!(
            "error parsing document: more than {MAX_REPAIRS} values of the wrong type or in \
             the wrong place"
        )),
        _ => DecodeError::UnknownFields(unknown),
    })
}

/// The key of an ignored field (`bogus` of `spec.bogus`).
fn ignored_key(path: &serde_ignored::Path) -> String {
    match path {
        serde_ignored::Path::Map { key, .. } => key.clone(),
        other => other.to_string(),
    }
}

/// Decodes a value another program stored (a Calico of another version): fields this build
/// does not model are ignored, as Go's decoder ignores them; anything else wrong is an error.
pub(crate) fn decode_stored<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let first = match serde_json::from_slice::<T>(bytes) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    // A wrong value past a field we do not model is reported without serde_json's position
    // (`at line 1 column 95`), as it always has been.
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Err(first.to_string());
    };
    let mut passed_unknown = false;
    let mut ignored = |_: serde_ignored::Path| passed_unknown = true;
    let decoder = serde_ignored::Deserializer::new(&value, &mut ignored);
    match T::deserialize(decoder) {
        Err(err) if passed_unknown => Err(err.to_string()),
        _ => Err(first.to_string()),
    }
}

/// The maps of strings in Calico's resources: `metadata.labels` and `metadata.annotations`.
fn is_string_key(key: &str) -> bool {
    matches!(key, "labels" | "annotations")
}

fn is_string_map(segment: &Segment) -> bool {
    matches!(segment, Segment::Map { key } if is_string_key(key))
}

fn value_at_mut<'a>(value: &'a mut Value, segments: &[&Segment]) -> Option<&'a mut Value> {
    segments.iter().try_fold(value, |v, segment| match segment {
        Segment::Map { key } => v.as_object_mut()?.get_mut(key.as_str()),
        Segment::Seq { index } => v.as_array_mut()?.get_mut(*index),
        _ => None,
    })
}

fn value_at<'a>(value: &'a Value, path: &Path) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, segment| match segment {
        Segment::Map { key } => v.as_object()?.get(key.as_str()),
        Segment::Seq { index } => v.as_array()?.get(*index),
        _ => None,
    })
}

/// Removes the key or the sequence item the path ends in.
fn remove_at(value: &mut Value, segments: &[&Segment]) -> bool {
    let Some((last, parent)) = segments.split_last() else {
        return false;
    };
    match (last, value_at_mut(value, parent)) {
        (Segment::Map { key }, Some(Value::Object(map))) => {
            map.shift_remove(key.as_str()).is_some()
        }
        (Segment::Seq { index }, Some(Value::Array(items))) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

/// Replaces a number or boolean with the string calicoctl's YAML conversion makes of it. Its
/// siblings of one type (the other items of a list, the other values of labels or
/// annotations) are converted with it, so a long list costs one more decoding, not one per item.
fn stringify_at(value: &mut Value, segments: &[&Segment]) -> bool {
    let Some((last, parent)) = segments.split_last() else {
        return false;
    };
    let string_map = parent.last().is_some_and(|s| is_string_map(s));
    let Some(container) = value_at_mut(value, parent) else {
        return false;
    };
    match (last, container) {
        (Segment::Seq { .. }, Value::Array(items)) => {
            let mut changed = false;
            for item in items {
                changed |= stringify(item);
            }
            changed
        }
        (Segment::Map { .. }, Value::Object(map)) if string_map => {
            let mut changed = false;
            for item in map.values_mut() {
                changed |= stringify(item);
            }
            changed
        }
        (Segment::Map { key }, Value::Object(map)) => {
            map.get_mut(key.as_str()).is_some_and(stringify)
        }
        _ => false,
    }
}

/// A float where an integer belongs: calicoctl's JSON step writes `26.0` as `26`, which an
/// integer field takes; a float with a fraction or an exponent stays a wrong value.
fn integral_at(value: &mut Value, segments: &[&Segment]) -> bool {
    let Some(v) = value_at_mut(value, segments) else {
        return false;
    };
    let Some(f) = v.as_f64().filter(|_| v.is_f64()) else {
        return false;
    };
    let text = crate::go::json::format_float(f);
    let integer = text
        .parse::<i64>()
        .map(Value::from)
        .or_else(|_| text.parse::<u64>().map(Value::from));
    match integer {
        Ok(i) => {
            *v = i;
            true
        }
        Err(_) => false,
    }
}

fn stringify(v: &mut Value) -> bool {
    let text = match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => {
            crate::go::strconv::format_g(n.as_f64().unwrap_or_default(), None)
        }
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    *v = Value::String(text);
    true
}

/// Marks the error of a Go type's own `UnmarshalJSON` (`metav1.Duration`, `numorstring.Port`):
/// a custom serde error holding it is reported as the text after it, as Go's JSON decoder
/// returns such an error unchanged (`time: invalid duration "x"`).
pub(crate) const OWN_ERROR: &str = "\u{0}own:";

/// How calicoctl v3.31's YAML reader (projectcalico/go-yaml-wrapper) prefixes every error of
/// a document, from its YAML syntax to its JSON decoding: `error parsing document: cannot
/// parse string 'True' into field IPPoolSpec.disabled of type bool`.
pub(crate) const PARSE_ERROR: &str = "error parsing document: ";

/// `cannot parse string 'True' into field IPPoolSpec.disabled of type bool`.
fn type_error(
    names: GoNames,
    document: &Value,
    path: &Path,
    message: &str,
    show_values: bool,
) -> String {
    let Some(value) = value_at(document, path) else {
        return message.to_string();
    };
    // The Go field path: struct fields only (no indices, no map keys).
    let mut fields: Vec<&str> = Vec::new();
    let mut in_map = false;
    for segment in path.iter() {
        match segment {
            Segment::Map { key } if !in_map => {
                fields.push(key.as_str());
                in_map = is_string_map(segment);
            }
            _ => {}
        }
    }
    let Some((field, parents)) = fields.split_last() else {
        return message.to_string();
    };
    let parent = parents.join(".");
    let whole = fields.join(".");
    let structure = go_struct(names, &parent, field);
    let go_type = go_type(names, &whole, message);
    let json_kind = crate::go::json::kind_name(value);
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => {
            crate::go::json::format_float(n.as_f64().unwrap_or_default())
        }
        other => other.to_string(),
    };
    if !show_values {
        return format!(
            "cannot parse {json_kind} into field {structure}.{field} of type {go_type}"
        );
    }
    format!("cannot parse {json_kind} '{text}' into field {structure}.{field} of type {go_type}")
}

/// The Go struct that holds the field `field` found under `parent` (dotted JSON names).
fn go_struct(names: GoNames, parent: &str, field: &str) -> String {
    let kind = names.kind;
    let named = match parent {
        "" if matches!(field, "kind" | "apiVersion") => "TypeMeta",
        "" => return kind.to_string(),
        "metadata" => "ObjectMeta",
        "spec" => return format!("{kind}Spec"),
        "status" => return format!("{kind}Status"),
        other => match names.structs.iter().find(|(path, _)| *path == other) {
            Some((_, name)) => name,
            None => other.rsplit('.').next().unwrap_or(other),
        },
    };
    named.to_string()
}

/// The Go type of the field at `path`, where it is not what serde's expectation suggests.
fn go_type(names: GoNames, path: &str, message: &str) -> String {
    let kind = names.kind;
    let special = match (kind, path) {
        (_, "metadata") => Some("v1.ObjectMeta"),
        (_, "metadata.uid") => Some("types.UID"),
        (_, "metadata.generation" | "metadata.deletionGracePeriodSeconds") => Some("int64"),
        (_, "metadata.creationTimestamp" | "metadata.deletionTimestamp") => Some("v1.Time"),
        (_, "metadata.ownerReferences") => Some("[]v1.OwnerReference"),
        (_, "metadata.managedFields") => Some("[]v1.ManagedFieldsEntry"),
        ("CalicoAPIConfig", "spec") => Some("apiconfig.CalicoAPIConfigSpec"),
        (_, "spec") => return format!("v3.{kind}Spec"),
        (_, "status") => return format!("v3.{kind}Status"),
        _ => names
            .fields
            .iter()
            .find(|f| f.path == path)
            .map(|f| match f.item {
                Some(item) if !message.ends_with("a sequence") => item,
                _ => f.ty,
            }),
    };
    if let Some(t) = special {
        return t.to_string();
    }
    go_type_expected(message)
}

/// The Go type serde's `..., expected a boolean` (and the like) asks for.
pub(crate) fn go_type_expected(message: &str) -> String {
    let expected = message.rsplit("expected ").next().unwrap_or_default();
    match expected {
        "a boolean" => "bool",
        "a string" => "string",
        "a sequence" => "[]string",
        "a map" => "map[string]string",
        e if e.starts_with('i') || e.starts_with('u') => "int",
        e => e,
    }
    .to_string()
}

/// A YAML syntax error as calicoctl's YAML-to-JSON conversion reports it (go-yaml v2):
/// `error parsing document: yaml: line 4: did not find expected key` (go-yaml-wrapper).
pub(crate) fn yaml_error(err: &serde_yaml::Error) -> String {
    let message = libyaml_error(err).unwrap_or_else(|| format!("yaml: {err}"));
    format!("error parsing document: {message}")
}

/// go-yaml v2's message (`yaml: line 4: did not find expected key`) for an error of libyaml's
/// reader, scanner or parser; `None` for serde_norway's own errors.
///
/// Read from serde_norway's public API: `location()` is the problem's mark (lines from 1), and
/// `Display` is `PROBLEM[ at line L column C | at position N][, CONTEXT[ at line L column C]]`,
/// the context's mark shown when it differs from the problem's. The stage that refused the
/// text, which decides the line go-yaml reports, is the one whose words the problem is
/// ([`LIBYAML_PROBLEMS`]); a problem in none of them is serde_norway's own.
pub(crate) fn libyaml_error(err: &serde_yaml::Error) -> Option<String> {
    let text = err.to_string();
    let (stage, problem) = LIBYAML_PROBLEMS
        .iter()
        .flat_map(|(stage, problems)| problems.iter().map(move |p| (*stage, *p)))
        .find(|(_, problem)| {
            text.strip_prefix(problem).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(" at ") || rest.starts_with(", ")
            })
        })?;
    let line0 = |line: usize| u64::try_from(line.saturating_sub(1)).unwrap_or(u64::MAX);
    let problem_line = err.location().map_or(0, |at| line0(at.line()));
    let context_line = text[problem.len()..]
        .split_once(", ")
        .and_then(|(_, context)| context.rsplit_once(" at line "))
        .and_then(|(_, at)| at.split(' ').next()?.parse::<usize>().ok())
        .map_or(0, line0);
    Some(go_yaml_error(
        stage == LibyamlStage::Scanner,
        Some(problem),
        problem_line,
        context_line,
    ))
}

/// The part of libyaml (and of go-yaml v2, its port, which has the same parts and words) that
/// refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LibyamlStage {
    /// Decoding the bytes: bad UTF-8, control characters.
    Reader,
    /// Cutting the text into tokens; go-yaml reports its problems one line further on.
    Scanner,
    /// Putting the tokens together into documents.
    Parser,
}

/// Every problem libyaml reports, by the stage that reports it: the words of
/// unsafe-libyaml-norway 0.2.15, which serde_norway 0.9.42 uses (both pinned: Cargo.toml,
/// Cargo.lock).
const LIBYAML_PROBLEMS: &[(LibyamlStage, &[&str])] = &[
    (
        LibyamlStage::Reader,
        &[
            "control characters are not allowed",
            "expected low surrogate area",
            "incomplete UTF-16 character",
            "incomplete UTF-16 surrogate pair",
            "incomplete UTF-8 octet sequence",
            "input error",
            "input is too long",
            "invalid Unicode character",
            "invalid leading UTF-8 octet",
            "invalid length of a UTF-8 sequence",
            "invalid trailing UTF-8 octet",
            "unexpected low surrogate area",
        ],
    ),
    (
        LibyamlStage::Scanner,
        &[
            "block sequence entries are not allowed in this context",
            "could not find expected ':'",
            "could not find expected directive name",
            "did not find URI escaped octet",
            "did not find expected '!'",
            "did not find expected alphabetic or numeric character",
            "did not find expected comment or line break",
            "did not find expected digit or '.' character",
            "did not find expected hexadecimal number",
            "did not find expected tag URI",
            "did not find expected version number",
            "did not find expected whitespace or line break",
            "did not find expected whitespace",
            "did not find the expected '>'",
            "found a tab character that violates indentation",
            "found a tab character where an indentation space is expected",
            "found an incorrect leading UTF-8 octet",
            "found an incorrect trailing UTF-8 octet",
            "found an indentation indicator equal to 0",
            "found character that cannot start any token",
            "found extremely long version number",
            "found invalid Unicode character escape code",
            "found unexpected ':'",
            "found unexpected document indicator",
            "found unexpected end of stream",
            "found unexpected non-alphabetical character",
            "found unknown directive name",
            "found unknown escape character",
            "mapping keys are not allowed in this context",
            "mapping values are not allowed in this context",
        ],
    ),
    (
        LibyamlStage::Parser,
        &[
            "did not find expected ',' or ']'",
            "did not find expected ',' or '}'",
            "did not find expected '-' indicator",
            "did not find expected <document start>",
            "did not find expected <stream-start>",
            "did not find expected key",
            "did not find expected node content",
            "found duplicate %TAG directive",
            "found duplicate %YAML directive",
            "found incompatible YAML document",
            "found undefined tag handle",
        ],
    ),
];

/// go-yaml v2's message for a libyaml error (lines counted from 0 as libyaml counts them):
/// the problem's line (plus one for the scanner's errors), else the context's, and no line
/// when both are 0; the column and the context text are not shown.
pub(crate) fn go_yaml_error(
    scanner: bool,
    problem: Option<&str>,
    problem_line: u64,
    context_line: u64,
) -> String {
    let problem = problem
        .filter(|p| !p.is_empty())
        .unwrap_or("unknown problem parsing YAML content");
    let line = match (problem_line, context_line) {
        (0, 0) => None,
        (0, context) => Some(context),
        (problem, _) if scanner => Some(problem + 1),
        (problem, _) => Some(problem),
    };
    match line {
        Some(line) => format!("yaml: line {line}: {problem}"),
        None => format!("yaml: {problem}"),
    }
}

/// Gives an explicit `null` Go's meaning: a field set to `null` keeps its zero value (as if
/// absent), and a `null` label or annotation value is the empty string.
fn drop_nulls(v: &mut Value, string_map: bool) {
    match v {
        Value::Object(map) => {
            if string_map {
                for value in map.values_mut().filter(|v| v.is_null()) {
                    *value = Value::String(String::new());
                }
            } else {
                map.retain(|_, value| !value.is_null());
            }
            for (key, value) in map.iter_mut() {
                drop_nulls(value, is_string_key(key));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| drop_nulls(i, false)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IpPool, Node, Resource, WorkloadEndpoint};
    use serde_json::json;

    fn decode<K: Resource>(value: Value) -> Result<K, DecodeError> {
        decode_as(value, K::go_names(), true)
    }

    fn pool(spec: Value) -> Value {
        json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
               "metadata": {"name": "p"}, "spec": spec})
    }

    fn err<K: Resource>(doc: Value) -> String {
        decode::<K>(doc).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn type_errors_name_the_go_field_and_type() {
        let cases = [
            (
                json!({"cidr": "10.0.0.0/24", "disabled": "True"}),
                "error parsing document: cannot parse string 'True' into field IPPoolSpec.disabled of type bool",
            ),
            (
                json!({"blockSize": "26"}),
                "error parsing document: cannot parse string '26' into field IPPoolSpec.blockSize of type int",
            ),
            (
                json!({"blockSize": 26.5}),
                "error parsing document: cannot parse number '26.5' into field IPPoolSpec.blockSize of type int",
            ),
            (
                json!({"cidr": [1, 2]}),
                "error parsing document: cannot parse array '[1,2]' into field IPPoolSpec.cidr of type string",
            ),
            (
                json!({"allowedUses": "Workload"}),
                "error parsing document: cannot parse string 'Workload' into field IPPoolSpec.allowedUses of type \
                 []v3.IPPoolAllowedUse",
            ),
            (
                json!({"allowedUses": [["Workload"]]}),
                "error parsing document: cannot parse array '[\"Workload\"]' into field IPPoolSpec.allowedUses of type \
                 v3.IPPoolAllowedUse",
            ),
            (
                json!({"ipipMode": {"a": 1}}),
                "error parsing document: cannot parse object '{\"a\":1}' into field IPPoolSpec.ipipMode of type \
                 v3.IPIPMode",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(err::<IpPool>(pool(spec)), want);
        }
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                         "metadata": {"name": "p", "labels": "rack"}});
        assert_eq!(
            err::<IpPool>(doc),
            "error parsing document: cannot parse string 'rack' into field ObjectMeta.labels of type map[string]string"
        );
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "spec": "x"});
        assert_eq!(
            err::<IpPool>(doc),
            "error parsing document: cannot parse string 'x' into field IPPool.spec of type v3.IPPoolSpec"
        );
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "Node",
                         "metadata": {"name": "n"}, "spec": {"bgp": {"ipv4Address": ["x"]}}});
        assert_eq!(
            err::<Node>(doc),
            "error parsing document: cannot parse array '[\"x\"]' into field NodeBGPSpec.ipv4Address of type string"
        );
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "WorkloadEndpoint",
                         "metadata": {"name": "w"},
                         "spec": {"ipNATs": [{"internalIP": "10.0.0.1", "externalIP": {}}]}});
        assert_eq!(
            err::<WorkloadEndpoint>(doc),
            "error parsing document: cannot parse object '{}' into field IPNAT.externalIP of type string"
        );
    }

    #[test]
    fn scalars_where_strings_belong_become_strings() {
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "Node",
            "metadata": {"name": 5, "labels": {"rack": 1, "edge": true, "ratio": 0.5,
                                               "big": 1e7, "tiny": 0.00001}},
            "spec": {"orchRefs": [{"nodeName": 7, "orchestrator": "k8s"}]}});
        let node = decode::<Node>(doc).unwrap();
        assert_eq!(node.metadata.name, "5");
        let labels: Vec<(&str, &str)> = node
            .metadata
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                ("big", "1e+07"),
                ("edge", "true"),
                ("rack", "1"),
                ("ratio", "0.5"),
                ("tiny", "1e-05")
            ]
        );
        assert_eq!(node.spec.orch_refs[0].node_name, "7");
        // Thousands of numeric labels or list items: converted together, not one by one.
        let labels: serde_json::Map<String, Value> =
            (0..10_000).map(|i| (format!("l{i}"), json!(i))).collect();
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "IPReservation",
            "metadata": {"name": "r", "labels": labels},
            "spec": {"reservedCIDRs": (0..10_000).collect::<Vec<u32>>()}});
        let r = decode::<crate::model::IpReservation>(doc).unwrap();
        assert_eq!(r.metadata.labels["l9999"], "9999");
        assert_eq!(r.spec.reserved_cidrs[9_999], "9999");
        // A number where a bool or a number belongs is left alone.
        let p = decode::<IpPool>(pool(json!({"cidr": "10.0.0.0/24", "blockSize": 28}))).unwrap();
        assert_eq!(p.spec.block_size, 28);
    }

    #[test]
    fn unknown_fields_are_all_reported_even_after_a_repair() {
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
            "metadata": {"name": 5, "bogus": 1},
            "spec": {"cidr": "10.0.0.0/24", "disabled": "yes", "name": "x"}});
        // `spec.name` is unknown (metadata.name must survive its removal), and found past the
        // wrong `disabled`.
        assert_eq!(
            err::<IpPool>(doc),
            "error parsing document: fields in document are not recognized or are in the \
             wrong location: bogus, name"
        );
    }

    /// One case per class `yaml_error` tells apart: each libyaml stage with and without a
    /// line, and serde_norway's own errors. A failure here after an upgrade of serde_norway
    /// (pinned in Cargo.toml) names the class whose form changed.
    #[test]
    fn thousands_of_unknown_fields_are_found_in_one_decoding() {
        let bogus: serde_json::Map<String, Value> = (0..10_000)
            .map(|i| (format!("bogus{i}"), json!(i)))
            .collect();
        let mut spec = json!({"cidr": "10.0.0.0/24"});
        spec.as_object_mut().unwrap().extend(bogus);
        let t = std::time::Instant::now();
        assert_eq!(
            err::<IpPool>(pool(spec)),
            "error parsing document: fields in document are not recognized or are in the \
             wrong location: bogus0, bogus1, bogus2, bogus3 (+ 9996 more)"
        );
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn stored_values_keep_what_we_model_and_skip_the_rest() {
        let p: IpPool = decode_stored(
            br#"{"kind":"IPPool","metadata":{"name":"p","future":1},"spec":{"cidr":"10.0.0.0/24","x":[1]}}"#,
        )
        .unwrap();
        assert_eq!(
            (p.metadata.name.as_str(), p.spec.cidr.as_str()),
            ("p", "10.0.0.0/24")
        );
        // A wrong value is an error; past a field we do not model, without a position.
        let wrong = decode_stored::<IpPool>(br#"{"spec":{"x":1,"disabled":"yes"}}"#).unwrap_err();
        assert_eq!(wrong, "invalid type: string \"yes\", expected a boolean");
        let wrong = decode_stored::<IpPool>(br#"{"spec":{"disabled":"yes"}}"#).unwrap_err();
        assert!(wrong.ends_with("at line 1 column 25"), "{wrong}");
    }

    #[test]
    fn yaml_errors_read_as_go_yaml_v2_reports_them() {
        let cases = [
            // A parser error: the problem's line counted from 0 (libyaml: line 5).
            (
                "kind: IPPool\nmetadata:\n  name: p\n spec:\n  cidr: x\n",
                "yaml: line 3: did not find expected key",
            ),
            (
                "a: 1\nb: {c: 2\n",
                "yaml: line 2: did not find expected ',' or '}'",
            ),
            // A scanner error: counted from 1.
            (
                "a:\n\tb: 1\n",
                "yaml: line 2: found character that cannot start any token",
            ),
            ("a: 'open\n", "yaml: line 2: found unexpected end of stream"),
            // On the first line there is no line at all.
            (
                "a: b: c\n",
                "yaml: mapping values are not allowed in this context",
            ),
            // A reader error: it has no mark, so no line, wherever it is.
            (
                "a: \"x\u{1}\"\n",
                "yaml: control characters are not allowed",
            ),
            (
                "a: 1\nb: 2\nc: \"x\u{7f}\"\n",
                "yaml: control characters are not allowed",
            ),
            // A parser error whose context is on another line (shown by serde_norway): the
            // problem's line still decides.
            (
                "a:\n  - 1\n  - 2\n b: 3\n",
                "yaml: line 3: did not find expected key",
            ),
            // A parser error on the second line (line 1 counted from 0).
            (
                "- a\nb: c\n",
                "yaml: line 1: did not find expected '-' indicator",
            ),
            // serde_norway's own errors (libyaml accepted the text): its words, as they are.
            ("a: *nope\n", "yaml: unknown anchor at line 1 column 4"),
        ];
        for (text, want) in cases {
            let err = serde_yaml::from_str::<Value>(text).unwrap_err();
            assert_eq!(
                yaml_error(&err),
                format!("error parsing document: {want}"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn go_yaml_takes_the_context_line_when_the_problem_has_none() {
        // libyaml never marks a problem on the first line after its context, so this class is
        // only reachable here.
        assert_eq!(go_yaml_error(false, Some("p"), 0, 3), "yaml: line 3: p");
        assert_eq!(go_yaml_error(true, Some("p"), 0, 3), "yaml: line 3: p");
        assert_eq!(go_yaml_error(true, Some("p"), 2, 3), "yaml: line 3: p");
        assert_eq!(go_yaml_error(false, Some("p"), 2, 3), "yaml: line 2: p");
        // No words at all: go-yaml's own.
        assert_eq!(
            go_yaml_error(false, Some(""), 0, 0),
            "yaml: unknown problem parsing YAML content"
        );
    }

    #[test]
    fn a_wrong_list_item_takes_its_list_along_in_the_hunt_for_unknown_fields() {
        let items: Vec<Value> = (0..10_000).map(|i| json!([i])).collect();
        let doc = pool(json!({"cidr": "10.0.0.0/24", "allowedUses": items, "bogus": 1}));
        assert_eq!(
            err::<IpPool>(doc),
            "error parsing document: field in document is not recognized or is in the wrong \
             location: bogus"
        );
    }
}
