//! Rendering: calicoctl's tables, Go-compatible YAML and JSON, templates.
