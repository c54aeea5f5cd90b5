//! `/calico/ipam/v2/config`: strict affinity, automatic block allocation, the block cap.

use super::plan::{MAX_RETRIES, Plan, Retry};
use super::{Ipam, IpamError, Result, Stored};
use crate::datastore::{KeyValue, keys};

/// The IPAM configuration as stored (`strict_affinity`, `auto_allocate_blocks`,
/// `maxBlocksPerHost`, and the HEAD-only fields read tolerantly).
pub use crate::model::ipamconfig::IpamConfigKey as IpamConfig;

/// The block cap when neither the configuration nor the request sets one.
pub(crate) const DEFAULT_MAX_BLOCKS_PER_HOST: usize = 20;

/// What Calico v3.31 writes when the key is missing: `{"auto_allocate_blocks":true}`.
pub(crate) fn initial_config() -> IpamConfig {
    IpamConfig {
        auto_allocate_blocks: true,
        ..IpamConfig::default()
    }
}

/// The effective per-host block cap: the stricter of the configured and the requested cap,
/// treating 0 as unset; 20 when both are unset.
pub(crate) fn block_cap(config: &IpamConfig, requested: usize) -> usize {
    let configured = usize::try_from(config.max_blocks_per_host.max(0)).unwrap_or(usize::MAX);
    let cap = match (configured, requested) {
        (0, r) => r,
        (c, 0) => c,
        (c, r) => c.min(r),
    };
    if cap == 0 {
        DEFAULT_MAX_BLOCKS_PER_HOST
    } else {
        cap
    }
}

/// Calico's `SetIPAMConfig` rules.
pub(crate) fn check_settable(config: &IpamConfig) -> Result<()> {
    if !config.strict_affinity && !config.auto_allocate_blocks {
        return Err(IpamError::StrictAffinityAndAutoAllocateOff);
    }
    if config.max_blocks_per_host > 0 && !config.strict_affinity {
        return Err(IpamError::MaxBlocksNeedStrictAffinity);
    }
    Ok(())
}

fn decode(bytes: &[u8]) -> Result<IpamConfig> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(IpamConfig::default());
    }
    serde_json::from_slice(bytes).map_err(|e| super::decode_err(keys::IPAM_CONFIG, e))
}

/// The configuration key as read.
pub(crate) fn stored_config(kv: &KeyValue) -> Result<Stored<IpamConfig>> {
    Ok(Stored {
        value: decode(&kv.value)?,
        revision: kv.mod_revision,
    })
}

impl Ipam {
    /// The IPAM configuration. Like Calico v3.31, creates the key with
    /// `{"auto_allocate_blocks":true}` when it is missing (only if still absent).
    pub fn get_config(&self) -> Result<IpamConfig> {
        Ok(self.read_config()?.value)
    }

    pub(crate) fn read_config(&self) -> Result<Stored<IpamConfig>> {
        for _ in 0..MAX_RETRIES {
            if let Some(kv) = self.store().get(keys::IPAM_CONFIG)? {
                return stored_config(&kv);
            }
            let value = initial_config();
            let mut plan = Plan::new();
            plan.require(keys::IPAM_CONFIG, 0);
            plan.put(
                keys::IPAM_CONFIG.to_string(),
                crate::go::json::to_vec(&value),
            );
            if let Some(revision) = plan.commit(self.store())? {
                return Ok(Stored { value, revision });
            }
        }
        Err(IpamError::MaxRetries)
    }

    /// Replaces the IPAM configuration, with Calico's rules (`Cannot disable 'StrictAffinity'
    /// and 'AutoAllocateBlocks' at the same time`, `MaxBlocksPerHost requires StrictAffinity to
    /// be enabled`). No write when nothing changes.
    pub fn set_config(&self, config: &IpamConfig) -> Result<()> {
        check_settable(config)?;
        let mut retry = Retry::new();
        loop {
            let current = self.store().get(keys::IPAM_CONFIG)?;
            let revision = match &current {
                Some(kv) => {
                    if decode(&kv.value)? == *config {
                        return Ok(());
                    }
                    kv.mod_revision
                }
                None => 0,
            };
            let mut plan = Plan::new();
            plan.require(keys::IPAM_CONFIG, revision);
            plan.put(
                keys::IPAM_CONFIG.to_string(),
                crate::go::json::to_vec(config),
            );
            if plan.commit(self.store())?.is_some() {
                return Ok(());
            }
            retry.conflict()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max: i64) -> IpamConfig {
        IpamConfig {
            max_blocks_per_host: max,
            ..initial_config()
        }
    }

    #[test]
    fn block_cap_treats_zero_and_negative_as_unset() {
        assert_eq!(block_cap(&cfg(0), 0), DEFAULT_MAX_BLOCKS_PER_HOST);
        assert_eq!(block_cap(&cfg(-1), 0), DEFAULT_MAX_BLOCKS_PER_HOST);
        assert_eq!(block_cap(&cfg(-1), 3), 3);
        assert_eq!(block_cap(&cfg(4), 0), 4);
        assert_eq!(block_cap(&cfg(4), 2), 2);
        assert_eq!(block_cap(&cfg(2), 4), 2);
    }

    #[test]
    fn negative_cap_needs_no_strict_affinity() {
        assert!(check_settable(&cfg(-1)).is_ok());
        assert!(matches!(
            check_settable(&cfg(1)),
            Err(IpamError::MaxBlocksNeedStrictAffinity)
        ));
    }
}
