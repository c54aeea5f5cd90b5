//! Host block affinities: `/calico/ipam/v2/host/<host>/ipv4/block/<cidr>` =
//! `{"state":"confirmed","deleted":false}`.
//!
//! Calico's protocol moves an affinity through `pending` → `confirmed` → `pendingDeletion`
//! with single-key writes. Our writes are atomic over the affinity and the block, so we only
//! ever write `confirmed` (or delete the key); we read every state, including the empty value
//! of very old data (state `""`, treated as confirmed).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// `confirmed`: the host owns the block.
pub(crate) const STATE_CONFIRMED: &str = "confirmed";
/// `pendingDeletion`: a release is in progress.
pub(crate) const STATE_PENDING_DELETION: &str = "pendingDeletion";

/// The value of a host affinity key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockAffinity {
    /// `pending`, `confirmed`, `pendingDeletion` or `""` (old data, = confirmed).
    #[serde(default)]
    pub state: String,
    /// Kubernetes soft-delete marker; always false in etcd (a string in the KDD form).
    #[serde(default, deserialize_with = "bool_or_string")]
    pub deleted: bool,
    /// Unknown fields, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => s == "true",
        _ => false,
    })
}

impl BlockAffinity {
    /// `{"state":"confirmed","deleted":false}`.
    pub fn confirmed() -> BlockAffinity {
        BlockAffinity {
            state: STATE_CONFIRMED.to_string(),
            deleted: false,
            extra: Map::new(),
        }
    }

    /// True for `confirmed` and the legacy empty state.
    pub(crate) fn is_confirmed(&self) -> bool {
        self.state == STATE_CONFIRMED || self.state.is_empty()
    }

    /// Decodes a stored value; an empty value is the legacy `{}`.
    pub fn from_json(bytes: &[u8]) -> Result<BlockAffinity, serde_json::Error> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(BlockAffinity {
                state: String::new(),
                deleted: false,
                extra: Map::new(),
            });
        }
        serde_json::from_slice(bytes)
    }

    /// Encodes as Calico does.
    pub fn to_json(&self) -> Vec<u8> {
        crate::go::json::to_vec(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            BlockAffinity::confirmed().to_json(),
            br#"{"state":"confirmed","deleted":false}"#
        );
        let old = BlockAffinity::from_json(b"").unwrap();
        assert!(old.is_confirmed());
        let kdd = BlockAffinity::from_json(br#"{"state":"pending","deleted":"false"}"#).unwrap();
        assert!(!kdd.is_confirmed());
        assert!(!kdd.deleted);
    }
}
