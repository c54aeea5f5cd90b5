//! IPPool: a range of addresses IPAM hands out, and for which nodes.

use super::gotypes::{self, BOOL, Basic, GoType, INT, STRING, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Cidr, Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` IPPool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpPool {
    /// Always `IPPool`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The pool's settings.
    #[serde(default)]
    pub spec: IpPoolSpec,
}

/// The spec of an [`IpPool`], in Calico v3.31's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpPoolSpec {
    /// The pool's network, strictly masked.
    #[serde(default)]
    pub cidr: String,
    /// `Never`, `Always` or `CrossSubnet`.
    #[serde(
        default,
        rename = "vxlanMode",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) vxlan_mode: String,
    /// `Never`, `Always` or `CrossSubnet`.
    #[serde(default, rename = "ipipMode", skip_serializing_if = "String::is_empty")]
    pub(crate) ipip_mode: String,
    /// Masquerade traffic leaving the pool.
    #[serde(
        default,
        rename = "natOutgoing",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub(crate) nat_outgoing: bool,
    /// No new addresses are assigned from a disabled pool.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// Do not export the pool's routes over BGP.
    #[serde(
        default,
        rename = "disableBGPExport",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub(crate) disable_bgp_export: bool,
    /// Prefix length of the pool's allocation blocks.
    #[serde(
        default,
        rename = "blockSize",
        skip_serializing_if = "super::meta::is_zero"
    )]
    pub block_size: i64,
    /// Which nodes assign from this pool automatically.
    #[serde(
        default,
        rename = "nodeSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) node_selector: String,
    /// Which namespaces' pods assign from this pool automatically.
    #[serde(
        default,
        rename = "namespaceSelector",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) namespace_selector: String,
    /// Deprecated v1 field; must not be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ipip: Option<serde_json::Value>,
    /// Deprecated v1 field; must be false.
    #[serde(
        default,
        rename = "nat-outgoing",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub(crate) nat_outgoing_v1: bool,
    /// `Workload`, `Tunnel`, `LoadBalancer`.
    #[serde(default, rename = "allowedUses", skip_serializing_if = "Vec::is_empty")]
    pub(crate) allowed_uses: Vec<String>,
    /// `Automatic` or `Manual`.
    #[serde(
        default,
        rename = "assignmentMode",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) assignment_mode: Option<String>,
}

/// The uses a pool may allow.
pub(crate) const USE_WORKLOAD: &str = "Workload";
/// Tunnel addresses (IPIP, VXLAN, WireGuard).
pub(crate) const USE_TUNNEL: &str = "Tunnel";
/// Service load-balancer addresses.
pub(crate) const USE_LOAD_BALANCER: &str = "LoadBalancer";

const MODES: [&str; 3] = ["Always", "CrossSubnet", "Never"];

impl IpPool {
    /// A pool with the given name and CIDR and nothing else set.
    pub fn new(name: &str, cidr: &str) -> IpPool {
        let mut p = IpPool {
            metadata: ObjectMeta {
                name: name.to_string(),
                ..ObjectMeta::default()
            },
            spec: IpPoolSpec {
                cidr: cidr.to_string(),
                ..IpPoolSpec::default()
            },
            ..IpPool::default()
        };
        p.set_type_meta();
        p
    }

    /// The pool's network, if its CIDR parses.
    pub fn cidr(&self) -> Option<Cidr> {
        Cidr::parse(&self.spec.cidr).ok().map(|c| c.network())
    }

    /// The effective block size (defaulted by family).
    pub fn block_size(&self) -> u8 {
        match (self.spec.block_size, self.cidr()) {
            (0, Some(c)) if !c.is_ipv4() => 122,
            (0, _) => 26,
            (n, _) => n.clamp(0, 128) as u8,
        }
    }

    /// `Automatic` unless set to `Manual`.
    pub(crate) fn is_manual(&self) -> bool {
        self.spec.assignment_mode.as_deref() == Some("Manual")
    }

    /// True when the pool allows the given use (an empty list allows Workload and Tunnel).
    pub fn allows(&self, use_: &str) -> bool {
        if self.spec.allowed_uses.is_empty() {
            use_ == USE_WORKLOAD || use_ == USE_TUNNEL
        } else {
            self.spec.allowed_uses.iter().any(|u| u == use_)
        }
    }

    /// True when IPIP is on (`Always` or `CrossSubnet`).
    pub(crate) fn ipip_enabled(&self) -> bool {
        !matches!(self.spec.ipip_mode.as_str(), "" | "Never")
    }

    /// True when VXLAN is on (`Always` or `CrossSubnet`).
    pub(crate) fn vxlan_enabled(&self) -> bool {
        !matches!(self.spec.vxlan_mode.as_str(), "" | "Never")
    }

    /// Calico's `validateAndSetDefaults` for create (`old == None`) and update: normalises the
    /// CIDR, fills defaults and checks the pool against `others` (every stored pool) and
    /// `blocks` (every stored allocation block). Messages are Calico v3.31's.
    pub(crate) fn validate_and_default(
        &mut self,
        old: Option<&IpPool>,
        others: &[IpPool],
        blocks: &[Cidr],
    ) -> Result<(), ValidationError> {
        const CIDR_FIELD: &str = "IPPool.Spec.CIDR";
        let spec = &mut self.spec;
        if spec.cidr.is_empty() {
            return Err(ValidationError::one(ErroredField::without_value(
                CIDR_FIELD,
                "IPPool CIDR must be specified",
            )));
        }
        let parsed = Cidr::parse(&spec.cidr).map_err(|_| {
            ValidationError::one(ErroredField::new(
                CIDR_FIELD,
                &spec.cidr,
                "IPPool CIDR must be a valid subnet",
            ))
        })?;
        let cidr = parsed.network();
        spec.cidr = cidr.to_string();
        let mut errs = Vec::new();

        if spec.node_selector.is_empty() {
            spec.node_selector = "all()".to_string();
        }
        if let Some(old) = old
            && old.spec.cidr != spec.cidr
        {
            errs.push(ErroredField::new(
                CIDR_FIELD,
                &spec.cidr,
                "IPPool CIDR cannot be modified",
            ));
        }
        if spec.block_size == 0 {
            spec.block_size = if cidr.is_ipv4() { 26 } else { 122 };
        }
        if spec.allowed_uses.is_empty() {
            spec.allowed_uses = vec![USE_WORKLOAD.to_string(), USE_TUNNEL.to_string()];
        }
        if spec.assignment_mode.is_none() {
            spec.assignment_mode = Some("Automatic".to_string());
        }
        if let Some(old) = old
            && old.spec.allowed_uses.iter().any(|u| u == USE_LOAD_BALANCER)
            && spec
                .allowed_uses
                .iter()
                .any(|u| u == USE_WORKLOAD || u == USE_TUNNEL)
        {
            return Err(ValidationError::one(ErroredField::new(
                "IPPool.Spec.AllowedUses",
                format!("[{}]", spec.allowed_uses.join(" ")),
                "IPPool allowed use cannot be changed from LoadBalacer to Workload or Tunnel",
            )));
        }
        if let Some(old) = old {
            let old_size = if old.spec.block_size == 0 {
                i64::from(old.block_size())
            } else {
                old.spec.block_size
            };
            if old_size != spec.block_size {
                errs.push(ErroredField::new(
                    "IPPool.Spec.BlockSize",
                    spec.block_size,
                    "IPPool BlockSize cannot be modified",
                ));
            }
        }
        if cidr.is_ipv4() && !(20..=32).contains(&spec.block_size) {
            errs.push(ErroredField::new(
                "IPPool.Spec.BlockSize",
                spec.block_size,
                "IPv4 block size must be between 20 and 32",
            ));
        } else if !cidr.is_ipv4() && !(116..=128).contains(&spec.block_size) {
            errs.push(ErroredField::new(
                "IPPool.Spec.BlockSize",
                spec.block_size,
                "IPv6 block size must be between 116 and 128",
            ));
        }
        if !spec.disabled && i64::from(cidr.prefix()) > spec.block_size {
            errs.push(ErroredField::new(
                CIDR_FIELD,
                cidr,
                "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.",
            ));
        }
        if old.is_none() {
            for other in others {
                if other.metadata.name == self.metadata.name {
                    continue;
                }
                if let Some(oc) = Cidr::parse(&other.spec.cidr).ok().map(|c| c.network())
                    && oc.overlaps(&cidr)
                {
                    errs.push(ErroredField::new(
                        CIDR_FIELD,
                        cidr,
                        format!(
                            "IPPool({}) CIDR overlaps with IPPool({}) CIDR {}",
                            self.metadata.name, other.metadata.name, other.spec.cidr
                        ),
                    ));
                }
            }
        }
        let spec = &mut self.spec;
        if spec.ipip_mode.is_empty() {
            spec.ipip_mode = "Never".to_string();
        }
        if spec.vxlan_mode.is_empty() {
            spec.vxlan_mode = "Never".to_string();
        }
        if spec.ipip_mode != "Never" && spec.vxlan_mode != "Never" {
            errs.push(ErroredField::new(
                "IPPool.Spec.VXLANMode",
                &spec.vxlan_mode,
                "Cannot enable both VXLAN and IPIP on the same IPPool",
            ));
        }
        if !cidr.is_ipv4() && spec.ipip_mode != "Never" {
            errs.push(ErroredField::new(
                "IPPool.Spec.IPIPMode",
                &spec.ipip_mode,
                "IPIP is not supported on an IPv6 IP pool",
            ));
        }
        if !parsed.is_masked() {
            errs.push(ErroredField::new(
                CIDR_FIELD,
                cidr,
                "IPPool CIDR is not strictly masked",
            ));
        }
        let link_local_v4 = Cidr::parse("169.254.0.0/16").expect("constant");
        let link_local_v6 = Cidr::parse("fe80::/10").expect("constant");
        if cidr.overlaps(&link_local_v4) {
            errs.push(ErroredField::new(
                CIDR_FIELD,
                cidr,
                "IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16",
            ));
        }
        if cidr.overlaps(&link_local_v6) {
            errs.push(ErroredField::new(
                CIDR_FIELD,
                cidr,
                "IPPool CIDR overlaps with IPv6 Link Local range fe80::/10",
            ));
        }
        if old.is_none()
            && blocks
                .iter()
                .any(|b| b.overlaps(&cidr) && i64::from(b.prefix()) != spec.block_size)
        {
            errs.push(ErroredField::new(
                "IPPool.Spec.BlockSize",
                spec.block_size,
                "IPPool blocksSize conflicts with existing allocations that use a different blockSize",
            ));
        }
        ValidationError::check(errs)
    }
}

impl Resource for IpPool {
    const KIND: &'static str = "IPPool";
    const PLURAL: &'static str = "ippools";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &["ippool", "ippools", "ipp", "ipps", "pool", "pools"];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "CIDR", "SELECTOR"],
        wide: &[
            "NAME",
            "CIDR",
            "NAT",
            "IPIPMODE",
            "VXLANMODE",
            "DISABLED",
            "DISABLEBGPEXPORT",
            "SELECTOR",
            "ASSIGNMENTMODE",
        ],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new("spec.ipipMode", "v3.IPIPMode"),
        GoField::new("spec.vxlanMode", "v3.VXLANMode"),
        GoField::new("spec.assignmentMode", "v3.AssignmentMode"),
        GoField::list(
            "spec.allowedUses",
            "[]v3.IPPoolAllowedUse",
            "v3.IPPoolAllowedUse",
        ),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        let spec = &self.spec;
        let mode = |m: &str| if m.is_empty() { "Never" } else { m }.to_string();
        Some(match heading {
            "CIDR" => spec.cidr.clone(),
            "NAT" => spec.nat_outgoing.to_string(),
            "IPIPMODE" => mode(&spec.ipip_mode),
            "VXLANMODE" => mode(&spec.vxlan_mode),
            "DISABLED" => spec.disabled.to_string(),
            "DISABLEBGPEXPORT" => spec.disable_bgp_export.to_string(),
            "SELECTOR" => spec.node_selector.clone(),
            "ASSIGNMENTMODE" => spec
                .assignment_mode
                .clone()
                .unwrap_or_else(|| "<nil>".into()),
            _ => return None,
        })
    }

    fn validate_standalone(&self) -> Result<(), ValidationError> {
        let mut p = self.clone();
        p.validate_and_default(None, &[], &[])?;
        p.validate()
    }

    fn default_on_read(&mut self) {
        if self.spec.block_size == 0 {
            self.spec.block_size = i64::from(self.block_size());
        }
        if self.spec.node_selector.is_empty() {
            self.spec.node_selector = "all()".to_string();
        }
        if self.spec.allowed_uses.is_empty() {
            self.spec.allowed_uses = vec![USE_WORKLOAD.to_string(), USE_TUNNEL.to_string()];
        }
        if self.spec.assignment_mode.is_none() {
            self.spec.assignment_mode = Some("Automatic".to_string());
        }
        if self.spec.ipip_mode.is_empty() {
            self.spec.ipip_mode = "Never".to_string();
        }
        if self.spec.vxlan_mode.is_empty() {
            self.spec.vxlan_mode = "Never".to_string();
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let spec = &self.spec;
        if !spec.vxlan_mode.is_empty() && !MODES.contains(&spec.vxlan_mode.as_str()) {
            errs.push(ErroredField::tag(
                "VXLANMode",
                &spec.vxlan_mode,
                "vxlanMode",
            ));
        }
        if !spec.ipip_mode.is_empty() && !MODES.contains(&spec.ipip_mode.as_str()) {
            errs.push(ErroredField::tag("IPIPMode", &spec.ipip_mode, "ipIpMode"));
        }
        if !spec.node_selector.is_empty() && crate::selector::parse(&spec.node_selector).is_err() {
            errs.push(ErroredField::tag(
                "NodeSelector",
                &spec.node_selector,
                "selector",
            ));
        }
        if !spec.namespace_selector.is_empty()
            && crate::selector::parse(&spec.namespace_selector).is_err()
        {
            errs.push(ErroredField::tag(
                "NamespaceSelector",
                &spec.namespace_selector,
                "selector",
            ));
        }
        if spec.ipip.is_some() {
            errs.push(ErroredField::tag(
                "IPIP",
                spec.ipip
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                "mustBeNil",
            ));
        }
        if spec.nat_outgoing_v1 {
            errs.push(ErroredField::tag("NATOutgoingV1", "true", "mustBeFalse"));
        }
        if let Some(mode) = &spec.assignment_mode
            && mode != "Automatic"
            && mode != "Manual"
        {
            errs.push(ErroredField::tag("AssignmentMode", mode, "assignmentMode"));
        }
        // Struct-level checks (Calico names these fields `IPpool.*`).
        for u in &spec.allowed_uses {
            if ![USE_WORKLOAD, USE_TUNNEL, USE_LOAD_BALANCER].contains(&u.as_str()) {
                errs.push(ErroredField::new(
                    "IPpool.AllowedUses",
                    u,
                    format!("unknown use: {u}"),
                ));
            }
        }
        let lb = spec.allowed_uses.iter().any(|u| u == USE_LOAD_BALANCER);
        if lb {
            for u in spec.allowed_uses.iter().filter(|u| *u != USE_LOAD_BALANCER) {
                errs.push(ErroredField::new(
                    "IPpool.AllowedUses",
                    u,
                    format!("LoadBalancer cannot be used at the same time as: {u}"),
                ));
            }
            if spec.disable_bgp_export {
                errs.push(ErroredField::new(
                    "IPpool.DisableBGPExport",
                    "true",
                    "IP Pool with AllowedUse LoadBalancer must have DisableBGPExport set to true",
                ));
            }
            if spec.node_selector != "all()" && !spec.node_selector.is_empty() {
                errs.push(ErroredField::new(
                    "IPpool.NodeSelector",
                    &spec.node_selector,
                    "IP Pool with AllowedUse LoadBalancer must have node selector set to all()",
                ));
            }
            if self.ipip_enabled() || self.vxlan_enabled() {
                errs.push(ErroredField::new(
                    "IPpool.IPIPMode",
                    &spec.ipip_mode,
                    "Neither IPIPMode nor VXLANMode can be enabled on AllowedUses LoadBalancer IP pool",
                ));
            }
        }
        if spec.allowed_uses.iter().any(|u| u == USE_TUNNEL) && !spec.namespace_selector.is_empty()
        {
            errs.push(ErroredField::new(
                "IPpool.NamespaceSelector",
                &spec.namespace_selector,
                "IP Pool with AllowedUse Tunnel cannot have namespaceSelector specified - tunnel IPs are not namespaced resources",
            ));
        }
        for (field, sel) in [
            ("IPpool.NodeSelector", &spec.node_selector),
            ("IPpool.NamespaceSelector", &spec.namespace_selector),
        ] {
            if sel.contains("global(") {
                let which = if field.ends_with("NodeSelector") {
                    "nodeSelector"
                } else {
                    "namespaceSelector"
                };
                errs.push(ErroredField::new(
                    field,
                    sel,
                    format!(
                        "global() selector is not valid for IPPool {which} - use all() instead"
                    ),
                ));
            }
        }
        ValidationError::check(errs)
    }
}

// IPPool (api/pkg/apis/projectcalico/v3/ippool.go).
gotypes::go_kind!(
    "v3.IPPool",
    "v3.IPPoolList",
    f("Spec", "spec", &GoType::Struct(&GO_SPEC))
);
static GO_SPEC: StructType = StructType {
    name: "v3.IPPoolSpec",
    fields: &[
        f("CIDR", "cidr", &STRING),
        f(
            "VXLANMode",
            "vxlanMode",
            &GoType::Scalar("v3.VXLANMode", Basic::String),
        ),
        f(
            "IPIPMode",
            "ipipMode",
            &GoType::Scalar("v3.IPIPMode", Basic::String),
        ),
        f("NATOutgoing", "natOutgoing", &BOOL),
        f("Disabled", "disabled", &BOOL),
        f("DisableBGPExport", "disableBGPExport", &BOOL),
        f("BlockSize", "blockSize", &INT),
        f("NodeSelector", "nodeSelector", &STRING),
        f("NamespaceSelector", "namespaceSelector", &STRING),
        f(
            "IPIP",
            "ipip",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.IPIPConfiguration",
                fields: &[
                    f("Enabled", "enabled", &BOOL),
                    f(
                        "Mode",
                        "mode",
                        &GoType::Scalar("v3.EncapMode", Basic::String),
                    ),
                ],
            })),
        ),
        f("NATOutgoingV1", "nat-outgoing", &BOOL),
        f(
            "AllowedUses",
            "allowedUses",
            &GoType::Slice(&GoType::Scalar("v3.IPPoolAllowedUse", Basic::String)),
        ),
        f(
            "AssignmentMode",
            "assignmentMode",
            &GoType::Ptr(&GoType::Scalar("v3.AssignmentMode", Basic::String)),
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(name: &str, cidr: &str) -> IpPool {
        IpPool::new(name, cidr)
    }

    #[test]
    fn defaults_and_normalisation() {
        let mut p = pool("p", "10.0.0.0/16");
        p.validate_and_default(None, &[], &[]).unwrap();
        assert_eq!(p.spec.block_size, 26);
        assert_eq!(p.spec.node_selector, "all()");
        assert_eq!(p.spec.allowed_uses, ["Workload", "Tunnel"]);
        assert_eq!(p.spec.ipip_mode, "Never");
        assert_eq!(
            crate::go::json::to_string(&p.spec),
            r#"{"cidr":"10.0.0.0/16","vxlanMode":"Never","ipipMode":"Never","blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}"#
        );
        let mut v6 = pool("v6", "fd00::/64");
        v6.validate_and_default(None, &[], &[]).unwrap();
        assert_eq!(v6.spec.block_size, 122);
    }

    #[test]
    fn calico_messages() {
        let mut p = pool("p", "10.0.1.5/24");
        assert_eq!(
            p.validate_and_default(None, &[], &[])
                .unwrap_err()
                .to_string(),
            "error with field IPPool.Spec.CIDR = '10.0.1.0/24' (IPPool CIDR is not strictly masked)"
        );
        let mut p = pool("p", "10.0.0.0/30");
        assert_eq!(
            p.validate_and_default(None, &[], &[])
                .unwrap_err()
                .to_string(),
            "error with field IPPool.Spec.CIDR = '10.0.0.0/30' (IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.)"
        );
        let mut p = pool("b", "10.0.0.0/24");
        let mut a = pool("a", "10.0.0.0/16");
        a.validate_and_default(None, &[], &[]).unwrap();
        assert_eq!(
            p.validate_and_default(None, &[a], &[])
                .unwrap_err()
                .to_string(),
            "error with field IPPool.Spec.CIDR = '10.0.0.0/24' (IPPool(b) CIDR overlaps with IPPool(a) CIDR 10.0.0.0/16)"
        );
        let mut p = pool("p", "nonsense");
        assert_eq!(
            p.validate_and_default(None, &[], &[])
                .unwrap_err()
                .to_string(),
            "error with field IPPool.Spec.CIDR = 'nonsense' (IPPool CIDR must be a valid subnet)"
        );
        let mut p = pool("p", "10.0.0.0/16");
        p.spec.ipip_mode = "Always".into();
        p.spec.vxlan_mode = "Always".into();
        assert_eq!(
            p.validate_and_default(None, &[], &[])
                .unwrap_err()
                .to_string(),
            "error with field IPPool.Spec.VXLANMode = 'Always' (Cannot enable both VXLAN and IPIP on the same IPPool)"
        );
        let mut p = pool("p", "169.254.0.0/16");
        p.spec.block_size = 33;
        assert_eq!(
            p.validate_and_default(None, &[], &[])
                .unwrap_err()
                .to_string(),
            "error with the following fields:\n-  IPPool.Spec.BlockSize = '33' (IPv4 block size must be between 20 and 32)\n-  IPPool.Spec.CIDR = '169.254.0.0/16' (IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16)\n"
        );
    }
}
