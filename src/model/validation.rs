//! Calico's validation errors and the checks shared by every kind.

use super::{ObjectMeta, Resource};

/// One failing field: `IPPool.Spec.CIDR = '10.0.0.0/8' (reason)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErroredField {
    /// The field as Calico names it (`IPPool.Spec.CIDR`, `Metadata.Name`, `NodeSelector`).
    pub name: String,
    /// The offending value; `None` prints no `= '...'` part.
    pub value: Option<String>,
    /// Why; empty prints no `(...)` part.
    pub reason: String,
}

impl ErroredField {
    /// A field error with a value.
    pub fn new(
        name: &str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> ErroredField {
        ErroredField {
            name: name.to_string(),
            value: Some(value.to_string()),
            reason: reason.into(),
        }
    }

    /// A field error without a value.
    pub(crate) fn without_value(name: &str, reason: impl Into<String>) -> ErroredField {
        ErroredField {
            name: name.to_string(),
            value: None,
            reason: reason.into(),
        }
    }

    /// The generic validator's wording when a tag has no custom reason (note the trailing
    /// space before the closing parenthesis, as Calico prints it).
    pub fn tag(name: &str, value: impl std::fmt::Display, tag: &str) -> ErroredField {
        ErroredField::new(
            name,
            value,
            format!("Reason: failed to validate Field: {name} because of Tag: {tag} "),
        )
    }
}

impl std::fmt::Display for ErroredField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if let Some(v) = &self.value {
            write!(f, " = '{v}'")?;
        }
        if !self.reason.is_empty() {
            write!(f, " ({})", self.reason)?;
        }
        Ok(())
    }
}

/// Calico's `ErrorValidation`: one or more failing fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The failing fields, in the order they were found.
    pub fields: Vec<ErroredField>,
}

impl ValidationError {
    /// An error with one field.
    pub fn one(field: ErroredField) -> ValidationError {
        ValidationError {
            fields: vec![field],
        }
    }

    /// `Ok` when `fields` is empty.
    pub fn check(fields: Vec<ErroredField>) -> Result<(), ValidationError> {
        if fields.is_empty() {
            Ok(())
        } else {
            Err(ValidationError { fields })
        }
    }
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.fields.as_slice() {
            [] => f.write_str("unknown validation error"),
            [one] => write!(f, "error with field {one}"),
            many => {
                f.write_str("error with the following fields:\n")?;
                for field in many {
                    writeln!(f, "-  {field}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ValidationError {}

/// The DNS-1123 subdomain regex, as Calico quotes it in its message.
pub(crate) const NAME_REGEX: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

/// True when `name` matches Calico's `nameRegex` (a DNS-1123 subdomain, any length): the
/// validator's `name` tag.
pub(crate) fn matches_name_regex(name: &str) -> bool {
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && !b[0].is_ascii_uppercase()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && !b[b.len() - 1].is_ascii_uppercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
    };
    name.split('.').all(label_ok)
}

/// Why `name` is not a valid resource name (DNS-1123 subdomain), if it is not.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    if name.len() > 253 {
        return Some(format!("name is too long by {} bytes", name.len() - 253));
    }
    if matches_name_regex(name) {
        None
    } else {
        Some(format!(
            "name must consist of lower case alphanumeric characters, '-' or '.' (regex: {NAME_REGEX})"
        ))
    }
}

/// Why `name` is not a valid namespace (DNS-1123 label), if it is not.
pub(crate) fn namespace_problem(ns: &str) -> Option<String> {
    if ns.len() > 63 || ns.contains('.') || name_problem(ns).is_some() {
        Some(
            "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex: [a-z0-9]([-a-z0-9]*[a-z0-9])?)".to_string(),
        )
    } else {
        None
    }
}

/// Why a label key is invalid (Kubernetes qualified-name rules), if it is.
pub(crate) fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && (p.is_empty() || name_problem(p).is_some())
    {
        return Some(format!("invalid label key prefix: {key}"));
    }
    if !qualified_name_ok(name) {
        return Some(format!("invalid label key: {key}"));
    }
    None
}

/// Why a label value is invalid, if it is.
pub(crate) fn label_value_problem(value: &str) -> Option<String> {
    if value.is_empty() || qualified_name_ok(value) {
        None
    } else {
        Some(format!("invalid label value: {value}"))
    }
}

fn qualified_name_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// The metadata checks every kind shares: name, namespace, labels.
pub(crate) fn validate_metadata<K: Resource>(meta: &ObjectMeta) -> Result<(), ValidationError> {
    let mut fields = Vec::new();
    if let Some(reason) = name_problem(&meta.name)
        && !meta.name.is_empty()
    {
        fields.push(ErroredField::new("Metadata.Name", &meta.name, reason));
    }
    if K::NAMESPACED
        && !meta.namespace.is_empty()
        && let Some(reason) = namespace_problem(&meta.namespace)
    {
        fields.push(ErroredField::new(
            "Metadata.Namespace",
            &meta.namespace,
            reason,
        ));
    }
    for (k, v) in &meta.labels {
        if let Some(reason) = label_key_problem(k).or_else(|| label_value_problem(v)) {
            fields.push(ErroredField::new(
                "Metadata.Labels",
                format!("{k}={v}"),
                reason,
            ));
        }
    }
    ValidationError::check(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let one = ValidationError::one(ErroredField::new(
            "IPPool.Spec.CIDR",
            "x",
            "IPPool CIDR must be a valid subnet",
        ));
        assert_eq!(
            one.to_string(),
            "error with field IPPool.Spec.CIDR = 'x' (IPPool CIDR must be a valid subnet)"
        );
        let two = ValidationError {
            fields: vec![
                ErroredField::without_value("A", "r1"),
                ErroredField::tag("NodeSelector", "foo ==", "selector"),
            ],
        };
        assert_eq!(
            two.to_string(),
            "error with the following fields:\n-  A (r1)\n-  NodeSelector = 'foo ==' (Reason: failed to validate Field: NodeSelector because of Tag: selector )\n"
        );
    }

    #[test]
    fn names() {
        assert!(name_problem("rack-0-ippool").is_none());
        assert!(name_problem("my.ippool-1").is_none());
        assert!(name_problem("Bad_Name").is_some());
        assert!(name_problem("-a").is_some());
        assert!(name_problem("a..b").is_some());
        assert_eq!(
            name_problem(&"a".repeat(255)).unwrap(),
            "name is too long by 2 bytes"
        );
        assert!(label_key_problem("topology.kubernetes.io/zone").is_none());
        assert!(label_key_problem("bad key").is_some());
        assert!(label_value_problem("").is_none());
    }
}
