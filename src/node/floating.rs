//! Whether this node programs floating IPs: FelixConfiguration `floatingIPs`, as Felix reads
//! it. The node's own object (`node.<nodename>`) wins over the cluster's (`default`) when it
//! sets the field; with neither, Felix's default applies, `Disabled`. Only `Enabled` turns the
//! NAT on.

use super::NodeError;
use crate::datastore::api::Client;
use crate::model::FelixConfiguration;

/// The `floatingIPs` in force on a node, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FloatingIps {
    /// The value, when an object sets it.
    value: Option<String>,
    /// The FelixConfiguration it came from (`node.<nodename>` or `default`).
    source: Option<String>,
}

impl FloatingIps {
    /// Reads `node.<nodename>` and `default`.
    pub(crate) fn read(client: &Client, nodename: &str) -> Result<FloatingIps, NodeError> {
        for name in [format!("node.{nodename}"), "default".to_string()] {
            let config: Option<FelixConfiguration> = client.get_opt(None, &name)?;
            if let Some(value) = config.as_ref().and_then(|c| c.floating_ips()) {
                return Ok(FloatingIps {
                    value: Some(value.to_string()),
                    source: Some(name),
                });
            }
        }
        Ok(FloatingIps {
            value: None,
            source: None,
        })
    }

    /// True when floating IPs are programmed.
    pub(crate) fn enabled(&self) -> bool {
        self.value.as_deref() == Some("Enabled")
    }

    /// Why floating IPs are not programmed, and what to apply: one plain sentence for the log.
    pub(crate) fn why_not(&self, waiting: usize) -> String {
        let setting = match (&self.value, &self.source) {
            (Some(v), Some(src)) if v == "Disabled" => {
                format!("FelixConfiguration {src} sets floatingIPs: Disabled")
            }
            (Some(v), Some(src)) => format!(
                "FelixConfiguration {src} sets floatingIPs: {v}, which is neither Enabled nor Disabled"
            ),
            _ => {
                "no FelixConfiguration sets floatingIPs (Calico's default is Disabled)".to_string()
            }
        };
        format!(
            "floating IPs not programmed: {waiting} floating IP(s) of this node's endpoints wait, \
             but {setting}; to program them apply FelixConfiguration default (or \
             node.<nodename>) with spec.floatingIPs: Enabled"
        )
    }

    /// Where `Enabled` came from, for the log.
    pub(crate) fn source(&self) -> &str {
        self.source.as_deref().unwrap_or("default")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datastore::memory::MemoryStore;
    use std::sync::Arc;

    fn felix(name: &str, floating: Option<&str>) -> FelixConfiguration {
        let mut f = FelixConfiguration::default();
        f.metadata.name = name.into();
        f.spec.floating_ips = floating.map(str::to_string);
        f
    }

    #[test]
    fn node_object_overrides_default_and_absent_is_disabled() {
        let client = Client::new(Arc::new(MemoryStore::new()));
        let read = || FloatingIps::read(&client, "node-a").unwrap();
        assert!(!read().enabled());
        assert!(read().why_not(2).contains(
            "2 floating IP(s) of this node's endpoints wait, but no FelixConfiguration sets floatingIPs"
        ));
        client.create(felix("default", Some("Enabled"))).unwrap();
        assert!(read().enabled());
        assert_eq!(read().source(), "default");
        // Calico's client stores floatingIPs: Disabled on every object it creates without
        // one, so a node object turns floating IPs off for its node, as in Felix.
        client.create(felix("node.node-a", None)).unwrap();
        assert!(!read().enabled());
        assert!(
            read()
                .why_not(1)
                .contains("FelixConfiguration node.node-a sets floatingIPs: Disabled"),
        );
        let mut node: FelixConfiguration = client.get(None, "node.node-a").unwrap();
        node.spec.floating_ips = Some("enabled".into());
        client.update(node).unwrap();
        assert!(!read().enabled());
        assert!(
            read()
                .why_not(1)
                .contains("which is neither Enabled nor Disabled")
        );
        // Another node's object is not this node's.
        assert!(FloatingIps::read(&client, "node-b").unwrap().enabled());
    }
}
