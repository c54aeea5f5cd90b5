//! IPAM behaviour tests.
