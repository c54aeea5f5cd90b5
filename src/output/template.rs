//! Stub.
/// Stub.
#[derive(Debug)]
pub struct TemplateError(pub String);
impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
/// Stub.
pub fn render(t: &str, _v: &serde_json::Value) -> Result<String, TemplateError> {
    Ok(t.to_string())
}
