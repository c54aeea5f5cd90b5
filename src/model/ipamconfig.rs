//! IPAMConfiguration: cluster-wide IPAM settings (strict affinity, block cap).
//!
//! The IPAM library's source of truth in etcd is the key `/calico/ipam/v2/config` (snake and
//! camel case mixed: `strict_affinity`, `auto_allocate_blocks`, `maxBlocksPerHost`). The v3
//! resource `IPAMConfiguration` named `default` is a view of that same key, so `calicoctl get
//! ipamconfig`, `apply` and `ipam configure` all act on the settings IPAM really uses.

use super::gotypes::{self, BOOL, Basic, GoType, INT32, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` IPAMConfiguration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpamConfiguration {
    /// Always `IPAMConfiguration`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name (must be `default`), revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The settings.
    #[serde(default)]
    pub spec: IpamConfigurationSpec,
}

/// The spec of [`IpamConfiguration`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpamConfigurationSpec {
    /// Only assign from blocks affine to the node; never borrow.
    #[serde(default)]
    pub strict_affinity: bool,
    /// Maximum blocks per node (0: the default of 20).
    #[serde(default, skip_serializing_if = "super::meta::is_zero")]
    pub max_blocks_per_host: i64,
    /// Claim new blocks automatically.
    #[serde(default = "yes")]
    pub auto_allocate_blocks: bool,
    /// KubeVirt address persistence (`Enabled`/`Disabled`), read tolerantly. Go spells it
    /// `kubeVirtVMAddressPersistence` (not camelCase's `...Vm...`).
    #[serde(
        default,
        rename = "kubeVirtVMAddressPersistence",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) kube_virt_vm_address_persistence: Option<String>,
    /// Seconds a released address rests before reuse (read tolerantly).
    #[serde(default, skip_serializing_if = "super::meta::is_zero")]
    pub(crate) ip_cooldown_seconds: i64,
}

impl Default for IpamConfigurationSpec {
    fn default() -> Self {
        IpamConfigurationSpec {
            strict_affinity: false,
            max_blocks_per_host: 0,
            auto_allocate_blocks: true,
            kube_virt_vm_address_persistence: None,
            ip_cooldown_seconds: 0,
        }
    }
}

fn yes() -> bool {
    true
}

/// The value stored at `/calico/ipam/v2/config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpamConfigKey {
    /// Strict affinity.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict_affinity: bool,
    /// Claim new blocks automatically.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_allocate_blocks: bool,
    /// Block cap per node (0: default).
    #[serde(
        default,
        rename = "maxBlocksPerHost",
        skip_serializing_if = "super::meta::is_zero"
    )]
    pub max_blocks_per_host: i64,
    /// Read tolerantly (HEAD).
    #[serde(
        default,
        rename = "kubeVirtVMAddressPersistence",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) kube_virt_vm_address_persistence: Option<String>,
    /// Read tolerantly (HEAD).
    #[serde(
        default,
        rename = "ipCooldownSeconds",
        skip_serializing_if = "super::meta::is_zero"
    )]
    pub(crate) ip_cooldown_seconds: i64,
}

impl From<&IpamConfigKey> for IpamConfigurationSpec {
    fn from(k: &IpamConfigKey) -> Self {
        IpamConfigurationSpec {
            strict_affinity: k.strict_affinity,
            max_blocks_per_host: k.max_blocks_per_host,
            auto_allocate_blocks: k.auto_allocate_blocks,
            kube_virt_vm_address_persistence: k.kube_virt_vm_address_persistence.clone(),
            ip_cooldown_seconds: k.ip_cooldown_seconds,
        }
    }
}

impl From<&IpamConfigurationSpec> for IpamConfigKey {
    fn from(s: &IpamConfigurationSpec) -> Self {
        IpamConfigKey {
            strict_affinity: s.strict_affinity,
            auto_allocate_blocks: s.auto_allocate_blocks,
            max_blocks_per_host: s.max_blocks_per_host,
            kube_virt_vm_address_persistence: s.kube_virt_vm_address_persistence.clone(),
            ip_cooldown_seconds: s.ip_cooldown_seconds,
        }
    }
}

impl IpamConfigurationSpec {
    /// Calico's `SetIPAMConfig` rules.
    pub(crate) fn check_settable(&self) -> Result<(), String> {
        if !self.strict_affinity && !self.auto_allocate_blocks {
            return Err(
                "Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time".into(),
            );
        }
        if self.max_blocks_per_host > 0 && !self.strict_affinity {
            return Err("MaxBlocksPerHost requires StrictAffinity to be enabled".into());
        }
        Ok(())
    }
}

impl IpamConfiguration {
    /// What a write of it must satisfy beyond [`Resource::validate`]: Calico's
    /// `SetIPAMConfig` rules, and no labels or annotations, which the key it is stored at
    /// (`/calico/ipam/v2/config`, settings only) cannot keep; a write that carries them is
    /// refused rather than reported done.
    pub(crate) fn check_storable(&self) -> Result<(), ValidationError> {
        let meta = &self.metadata;
        let mut unkept = Vec::new();
        for (field, empty) in [
            ("Metadata.Labels", meta.labels.is_empty()),
            ("Metadata.Annotations", meta.annotations.is_empty()),
        ] {
            if !empty {
                unkept.push(ErroredField::without_value(
                    field,
                    "IPAMConfiguration is stored at /calico/ipam/v2/config, which keeps no labels or annotations",
                ));
            }
        }
        ValidationError::check(unkept)?;
        self.spec.check_settable().map_err(|reason| {
            ValidationError::one(ErroredField::without_value(
                "IPAMConfiguration.Spec",
                reason,
            ))
        })
    }
}

impl Resource for IpamConfiguration {
    const KIND: &'static str = "IPAMConfiguration";
    const PLURAL: &'static str = "ipamconfigurations";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "ipamconfiguration",
        "ipamconfigurations",
        "ipamconfig",
        "ipamconfigs",
    ];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "STRICTAFFINITY", "AUTOALLOCATEBLOCKS"],
        wide: &[
            "NAME",
            "STRICTAFFINITY",
            "AUTOALLOCATEBLOCKS",
            "MAXBLOCKSPERHOST",
        ],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new("spec.maxBlocksPerHost", "int32"),
        GoField::new(
            "spec.kubeVirtVMAddressPersistence",
            "v3.VMAddressPersistence",
        ),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        let spec = &self.spec;
        Some(match heading {
            "STRICTAFFINITY" => spec.strict_affinity.to_string(),
            "AUTOALLOCATEBLOCKS" => spec.auto_allocate_blocks.to_string(),
            "MAXBLOCKSPERHOST" => spec.max_blocks_per_host.to_string(),
            _ => return None,
        })
    }

    fn validate_standalone(&self) -> Result<(), ValidationError> {
        self.check_storable()?;
        self.validate()
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        if self.metadata.name != "default" {
            errs.push(ErroredField::new(
                "Metadata.Name",
                &self.metadata.name,
                "Cannot create a IPAMConfiguration resource with a name other than \"default\"",
            ));
        }
        if self.spec.max_blocks_per_host < 0 {
            errs.push(ErroredField::new(
                "Spec.MaxBlocksPerHost",
                self.spec.max_blocks_per_host,
                "must be greater than or equal to 0",
            ));
        }
        ValidationError::check(errs)
    }
}

// IPAMConfiguration (ipamconfig.go). AutoAllocateBlocks, KubeVirtVMAddressPersistence and
// IPCooldownSeconds are the fields our model reads beyond StrictAffinity/MaxBlocksPerHost.
gotypes::go_kind!(
    "v3.IPAMConfiguration",
    "v3.IPAMConfigurationList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.IPAMConfigurationSpec",
            fields: &[
                f("StrictAffinity", "strictAffinity", &BOOL),
                f("MaxBlocksPerHost", "maxBlocksPerHost", &INT32),
                f("AutoAllocateBlocks", "autoAllocateBlocks", &BOOL),
                f(
                    "KubeVirtVMAddressPersistence",
                    "kubeVirtVMAddressPersistence",
                    &GoType::Ptr(&GoType::Scalar("v3.VMAddressPersistence", Basic::String)),
                ),
                f("IPCooldownSeconds", "ipCooldownSeconds", &INT32),
            ],
        })
    )
);
