//! IPAM handles: `/calico/ipam/v2/handle/<id>` = `{"block":{"10.65.12.64/26":1},"deleted":false}`,
//! the number of addresses the handle holds in each block. The ID is only in the key.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The value of a handle key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpamHandle {
    /// Block CIDR (with `/`) → number of addresses held there. Keys sorted as Go sorts them.
    #[serde(default, deserialize_with = "crate::go::json::null_as_default")]
    pub block: BTreeMap<String, i64>,
    /// Kubernetes soft-delete marker; always false in etcd.
    #[serde(default)]
    pub deleted: bool,
    /// Unknown fields, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IpamHandle {
    /// Decodes a stored value.
    pub fn from_json(bytes: &[u8]) -> Result<IpamHandle, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Encodes as Calico does.
    pub fn to_json(&self) -> Vec<u8> {
        crate::go::json::to_vec(self)
    }

    /// Adds `n` addresses in `block`.
    pub fn increment(&mut self, block: &str, n: i64) {
        *self.block.entry(block.to_string()).or_insert(0) += n;
    }

    /// Removes `n` addresses in `block`; the entry goes when it reaches zero (never negative).
    pub(crate) fn decrement(&mut self, block: &str, n: i64) {
        if let Some(c) = self.block.get_mut(block) {
            *c -= n;
            if *c <= 0 {
                self.block.remove(block);
            }
        }
    }

    /// True when the handle holds nothing (Calico then deletes the key).
    pub fn is_empty(&self) -> bool {
        self.block.is_empty()
    }

    /// Total addresses held.
    pub fn total(&self) -> i64 {
        self.block.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_counts() {
        let mut h = IpamHandle::default();
        h.increment("10.65.12.64/26", 1);
        h.increment("10.65.0.0/26", 2);
        assert_eq!(
            h.to_json(),
            br#"{"block":{"10.65.0.0/26":2,"10.65.12.64/26":1},"deleted":false}"#
        );
        h.decrement("10.65.0.0/26", 2);
        h.decrement("10.65.12.64/26", 1);
        assert!(h.is_empty());
        let odd = IpamHandle::from_json(br#"{"block":null,"deleted":false,"x":1}"#).unwrap();
        assert!(odd.is_empty());
        assert_eq!(odd.to_json(), br#"{"block":{},"deleted":false,"x":1}"#);
    }
}
