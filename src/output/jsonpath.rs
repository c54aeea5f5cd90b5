//! Stub.
/// Stub.
#[derive(Debug)]
pub struct JsonPathError(pub String);
impl std::fmt::Display for JsonPathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
/// Stub.
pub fn render(t: &str, _v: &serde_json::Value) -> Result<String, JsonPathError> {
    Ok(t.to_string())
}
