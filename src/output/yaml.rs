//! Stub.
/// Stub.
pub fn to_yaml(v: &serde_json::Value) -> String {
    serde_yaml::to_string(v).unwrap_or_default()
}
/// Stub.
pub fn to_json(v: &serde_json::Value) -> String {
    crate::gojson::to_string_indent(v) + "\n"
}
