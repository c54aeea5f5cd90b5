//! What a rewrite keeps of a stored value: the fields this build does not model.
//!
//! A value another Calico version wrote may hold fields this build does not know (calico-node's
//! `spec.interfaces` on a Node, a newer release's additions). Decoding ignores them, as Calico
//! does; a rewrite of the object (`label`, `patch`, `apply`, the agent's own updates) would
//! then drop them. Instead, the object remembers the bytes it was read from
//! ([`ObjectMeta::read_from`](crate::model::ObjectMeta)), and its encoding puts back what those
//! bytes hold beyond what this build reads from them: the keys its decode-and-encode round
//! trip loses, at any depth of nested objects, after the object's own keys. Arrays are taken
//! whole from the new value (their items have no identity to merge by).

use crate::model::meta::ReadFrom;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// `new`, the encoding of an object that remembers where it was read from, with what that
/// value holds and `K` does not model.
pub(crate) fn keeping_unmodelled<K>(read_from: &ReadFrom, new: Vec<u8>) -> Vec<u8>
where
    K: Serialize + DeserializeOwned,
{
    match read_from.bytes() {
        Some(old) => unmodelled_fields::<K>(old, new),
        None => new,
    }
}

/// `new` (the encoding of an object read from `old`) with what `old` holds that a value of
/// type `K` does not model. `new` unchanged when there is nothing to keep, or when `old` is
/// not a value `K` decodes (then there is nothing this build could have read from it).
fn unmodelled_fields<K>(old: &[u8], new: Vec<u8>) -> Vec<u8>
where
    K: Serialize + DeserializeOwned,
{
    let Ok(old_value) = serde_json::from_slice::<Value>(old) else {
        return new;
    };
    let Ok(read) = crate::model::decode::decode_stored::<K>(old) else {
        return new;
    };
    let Ok(round_trip) = serde_json::to_value(&read) else {
        return new;
    };
    let Some(unknown) = lost(&old_value, &round_trip) else {
        return new;
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&new) else {
        return new;
    };
    merge(&mut value, unknown);
    crate::go::json::to_vec(&value)
}

/// What `old` holds that `round_trip` (`old` decoded and encoded again) lost: its keys that
/// are missing there, and, under a key both have as objects, what was lost inside.
fn lost(old: &Value, round_trip: &Value) -> Option<Value> {
    let (Value::Object(old), Value::Object(kept)) = (old, round_trip) else {
        return None;
    };
    let mut out = Map::new();
    for (key, value) in old {
        match kept.get(key) {
            None => {
                out.insert(key.clone(), value.clone());
            }
            Some(kept) => {
                if let Some(inner) = lost(value, kept) {
                    out.insert(key.clone(), inner);
                }
            }
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Adds `unknown`'s keys to `value` where `value` lacks them, after its own keys; merges into
/// objects both have. A key `value` has with something other than an object is left as is.
fn merge(value: &mut Value, unknown: Value) {
    let (Value::Object(map), Value::Object(unknown)) = (value, unknown) else {
        return;
    };
    for (key, extra) in unknown {
        match map.get_mut(&key) {
            None => {
                map.insert(key, extra);
            }
            Some(existing) => merge(existing, extra),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IpPool, Node};
    use serde_json::json;

    fn keep<K: Serialize + DeserializeOwned>(old: Value, new: Value) -> Value {
        let out = unmodelled_fields::<K>(
            &serde_json::to_vec(&old).unwrap(),
            serde_json::to_vec(&new).unwrap(),
        );
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn fields_we_do_not_model_survive_a_rewrite_at_any_depth() {
        let old = json!({
            "kind": "Node", "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": "n", "labels": {"a": "1"}, "future": true},
            "spec": {"bgp": {"ipv4Address": "10.0.0.1/24", "newer": "x"},
                     "interfaces": [{"name": "eth0", "addresses": ["10.0.0.1"]}]},
            "status": {"podCIDRs": ["10.1.0.0/24"], "later": 1}
        });
        // The rewrite changed a label and removed the BGP address.
        let new = json!({
            "kind": "Node", "apiVersion": "projectcalico.org/v3",
            "metadata": {"name": "n", "labels": {"b": "2"}},
            "spec": {"bgp": {}},
            "status": {}
        });
        let out = keep::<Node>(old, new);
        assert_eq!(
            out,
            json!({
                "kind": "Node", "apiVersion": "projectcalico.org/v3",
                "metadata": {"name": "n", "labels": {"b": "2"}, "future": true},
                "spec": {"bgp": {"newer": "x"},
                         "interfaces": [{"name": "eth0", "addresses": ["10.0.0.1"]}]},
                "status": {"later": 1}
            })
        );
        // Known fields the rewrite removed (the BGP address, the pod CIDRs) stay removed; the
        // new value's keys come first.
        let keys: Vec<&String> = out["metadata"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "labels", "future"]);
    }

    #[test]
    fn nothing_unknown_leaves_the_encoding_as_it_is() {
        let old = br#"{"kind":"IPPool","metadata":{"name":"p"},"spec":{"cidr":"10.0.0.0/24"}}"#;
        let new = br#"{"kind":"IPPool","metadata":{"name":"p"},"spec":{"cidr":"10.0.0.0/16"}}"#;
        assert_eq!(unmodelled_fields::<IpPool>(old, new.to_vec()), new);
        // A value this build cannot read leaves nothing to keep.
        let garbage = br#"{"spec":{"disabled":"yes"}}"#;
        assert_eq!(unmodelled_fields::<IpPool>(garbage, new.to_vec()), new);
    }
}
