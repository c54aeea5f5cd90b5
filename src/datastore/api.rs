//! Typed access to v3 resources: get, list, create, update, delete.
