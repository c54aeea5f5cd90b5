//! Rendering (temporary stubs until the renderers land).
pub mod jsonpath;
pub mod table;
pub mod template;
pub mod yaml;
