//! BGPFilter: import and export rules for the routes of the BGP peers that name it.

use super::gotypes::{self, Basic, GoType, INT32, STRING, StructType, f};
use super::validation::{ErroredField, ValidationError};
use super::{Cidr, Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` BGPFilter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpFilter {
    /// Always `BGPFilter`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The rules.
    #[serde(default)]
    pub spec: BgpFilterSpec,
}

/// The spec of a [`BgpFilter`], in Calico v3.31's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BgpFilterSpec {
    /// IPv4 export rules, in order.
    #[serde(default, rename = "exportV4", skip_serializing_if = "Vec::is_empty")]
    pub(crate) export_v4: Vec<BgpFilterRule>,
    /// IPv4 import rules.
    #[serde(default, rename = "importV4", skip_serializing_if = "Vec::is_empty")]
    pub(crate) import_v4: Vec<BgpFilterRule>,
    /// IPv6 export rules.
    #[serde(default, rename = "exportV6", skip_serializing_if = "Vec::is_empty")]
    pub(crate) export_v6: Vec<BgpFilterRule>,
    /// IPv6 import rules.
    #[serde(default, rename = "importV6", skip_serializing_if = "Vec::is_empty")]
    pub(crate) import_v6: Vec<BgpFilterRule>,
}

/// One rule (`BGPFilterRuleV4` and `BGPFilterRuleV6` have the same fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BgpFilterRule {
    /// The network to match, of the list's family.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) cidr: String,
    /// Prefix lengths to match, within `cidr`.
    #[serde(
        default,
        rename = "prefixLength",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) prefix_length: Option<PrefixLength>,
    /// `RemotePeers`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) source: String,
    /// An interface name, `*` wildcards allowed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) interface: String,
    /// `Equal`, `NotEqual`, `In`, `NotIn`.
    #[serde(
        default,
        rename = "matchOperator",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) match_operator: String,
    /// `Accept` or `Reject` (always written, as Go has no `omitempty` on it).
    #[serde(default)]
    pub(crate) action: String,
}

/// `BGPFilterPrefixLengthV4` / `V6`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PrefixLength {
    /// The shortest prefix matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<i32>,
    /// The longest prefix matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<i32>,
}

/// An address family's rule lists: their family and their prefix-length tag.
#[derive(Clone, Copy)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn bits(self) -> i32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

/// `^[a-zA-Z0-9_.*-]{1,15}$`: an interface name with `*` wildcards (the validator's
/// `bgpFilterInterface`, and `ignoredInterface` but for a lone `*`).
pub(crate) fn interface_pattern(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.*-".contains(&b))
}

/// Calico's checks of one rule: its fields in Go's order, then the rule's struct-level rules.
fn rule_errors(rule: &BgpFilterRule, family: Family, errs: &mut Vec<ErroredField>) {
    let (net_tag, len_tag, version) = match family {
        Family::V4 => ("netv4", "bgpFilterPrefixLengthV4", 4),
        Family::V6 => ("netv6", "bgpFilterPrefixLengthV6", 6),
    };
    if !rule.cidr.is_empty()
        && !Cidr::parse_ip_or_cidr(&rule.cidr)
            .is_ok_and(|c| c.is_masked() && super::cidr::ip_version(c.addr()) == version)
    {
        errs.push(ErroredField::tag("CIDR", &rule.cidr, net_tag));
    }
    if let Some(pl) = &rule.prefix_length {
        for (field, value) in [("Min", pl.min), ("Max", pl.max)] {
            if let Some(n) = value
                && !(0..=family.bits()).contains(&n)
            {
                errs.push(ErroredField::tag(field, n, len_tag));
            }
        }
    }
    if !rule.source.is_empty() && rule.source != "RemotePeers" {
        errs.push(ErroredField::tag("Source", &rule.source, "oneof"));
    }
    let iface = &rule.interface;
    if !iface.is_empty() && !interface_pattern(iface) {
        errs.push(ErroredField::tag("Interface", iface, "bgpFilterInterface"));
    }
    let op = &rule.match_operator;
    if !op.is_empty() && !matches!(op.as_str(), "Equal" | "NotEqual" | "In" | "NotIn") {
        errs.push(ErroredField::tag("MatchOperator", op, "matchOperator"));
    }
    if rule.action.is_empty() {
        errs.push(ErroredField::tag("Action", "", "required"));
    } else if !matches!(rule.action.as_str(), "Accept" | "Reject") {
        errs.push(ErroredField::tag("Action", &rule.action, "filterAction"));
    }

    if !rule.cidr.is_empty() && op.is_empty() {
        errs.push(ErroredField::new(
            "CIDR",
            &rule.cidr,
            "MatchOperator cannot be empty when CIDR is not",
        ));
    }
    if rule.cidr.is_empty() && !op.is_empty() {
        errs.push(ErroredField::new(
            "MatchOperator",
            op,
            "CIDR cannot be empty when MatchOperator is not",
        ));
    }
    if rule.cidr.is_empty() && rule.prefix_length.is_some() {
        // Calico prints the prefix length struct, pointer addresses and all; left out.
        errs.push(ErroredField::without_value(
            "PrefixLength",
            "CIDR cannot be empty when PrefixLength is not",
        ));
    }
}

impl Resource for BgpFilter {
    const KIND: &'static str = "BGPFilter";
    const PLURAL: &'static str = "bgpfilters";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] =
        &["bgpfilter", "bgpfilters", "bgpf", "bgpfs", "bf", "bfs"];
    const COLUMNS: Columns = Columns {
        ps: &[
            "NAME",
            "NUMEXPORTV4",
            "NUMIMPORTV4",
            "NUMEXPORTV6",
            "NUMIMPORTV6",
        ],
        wide: &[
            "NAME",
            "NUMEXPORTV4",
            "NUMIMPORTV4",
            "NUMEXPORTV6",
            "NUMIMPORTV6",
        ],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("spec.exportV4", "BGPFilterRuleV4"),
        ("spec.importV4", "BGPFilterRuleV4"),
        ("spec.exportV6", "BGPFilterRuleV6"),
        ("spec.importV6", "BGPFilterRuleV6"),
        ("spec.exportV4.prefixLength", "BGPFilterPrefixLengthV4"),
        ("spec.importV4.prefixLength", "BGPFilterPrefixLengthV4"),
        ("spec.exportV6.prefixLength", "BGPFilterPrefixLengthV6"),
        ("spec.importV6.prefixLength", "BGPFilterPrefixLengthV6"),
    ];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new("spec.exportV4.source", "v3.BGPFilterMatchSource"),
        GoField::new("spec.importV4.source", "v3.BGPFilterMatchSource"),
        GoField::new("spec.exportV6.source", "v3.BGPFilterMatchSource"),
        GoField::new("spec.importV6.source", "v3.BGPFilterMatchSource"),
        GoField::new("spec.exportV4.matchOperator", "v3.BGPFilterMatchOperator"),
        GoField::new("spec.importV4.matchOperator", "v3.BGPFilterMatchOperator"),
        GoField::new("spec.exportV6.matchOperator", "v3.BGPFilterMatchOperator"),
        GoField::new("spec.importV6.matchOperator", "v3.BGPFilterMatchOperator"),
        GoField::new("spec.exportV4.action", "v3.BGPFilterAction"),
        GoField::new("spec.importV4.action", "v3.BGPFilterAction"),
        GoField::new("spec.exportV6.action", "v3.BGPFilterAction"),
        GoField::new("spec.importV6.action", "v3.BGPFilterAction"),
        GoField::new("spec.exportV4.prefixLength.min", "int32"),
        GoField::new("spec.exportV4.prefixLength.max", "int32"),
        GoField::new("spec.importV4.prefixLength.min", "int32"),
        GoField::new("spec.importV4.prefixLength.max", "int32"),
        GoField::new("spec.exportV6.prefixLength.min", "int32"),
        GoField::new("spec.exportV6.prefixLength.max", "int32"),
        GoField::new("spec.importV6.prefixLength.min", "int32"),
        GoField::new("spec.importV6.prefixLength.max", "int32"),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        let spec = &self.spec;
        let rules = match heading {
            "NUMEXPORTV4" => &spec.export_v4,
            "NUMIMPORTV4" => &spec.import_v4,
            "NUMEXPORTV6" => &spec.export_v6,
            "NUMIMPORTV6" => &spec.import_v6,
            _ => return None,
        };
        Some(rules.len().to_string())
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let spec = &self.spec;
        for (rules, family) in [
            (&spec.export_v4, Family::V4),
            (&spec.import_v4, Family::V4),
            (&spec.export_v6, Family::V6),
            (&spec.import_v6, Family::V6),
        ] {
            for rule in rules {
                rule_errors(rule, family, &mut errs);
            }
        }
        ValidationError::check(errs)
    }
}

static PREFIX_LENGTH_FIELDS: &[gotypes::Field] = &[
    f("Min", "min", &GoType::Ptr(&INT32)),
    f("Max", "max", &GoType::Ptr(&INT32)),
];

/// The fields of `BGPFilterRuleV4` and `BGPFilterRuleV6`, whose prefix length types differ.
macro_rules! rule_fields {
    ($prefix:literal) => {
        &[
            f("CIDR", "cidr", &STRING),
            f(
                "PrefixLength",
                "prefixLength",
                &GoType::Ptr(&GoType::Struct(&StructType {
                    name: $prefix,
                    fields: PREFIX_LENGTH_FIELDS,
                })),
            ),
            f(
                "Source",
                "source",
                &GoType::Scalar("v3.BGPFilterMatchSource", Basic::String),
            ),
            f("Interface", "interface", &STRING),
            f(
                "MatchOperator",
                "matchOperator",
                &GoType::Scalar("v3.BGPFilterMatchOperator", Basic::String),
            ),
            f(
                "Action",
                "action",
                &GoType::Scalar("v3.BGPFilterAction", Basic::String),
            ),
        ]
    };
}

static RULES_V4: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.BGPFilterRuleV4",
    fields: rule_fields!("v3.BGPFilterPrefixLengthV4"),
}));
static RULES_V6: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.BGPFilterRuleV6",
    fields: rule_fields!("v3.BGPFilterPrefixLengthV6"),
}));

// BGPFilter (api/pkg/apis/projectcalico/v3/bgpfilter.go).
gotypes::go_kind!(
    "v3.BGPFilter",
    "v3.BGPFilterList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.BGPFilterSpec",
            fields: &[
                f("ExportV4", "exportV4", &RULES_V4),
                f("ImportV4", "importV4", &RULES_V4),
                f("ExportV6", "exportV6", &RULES_V6),
                f("ImportV6", "importV6", &RULES_V6),
            ],
        })
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_as_calico_checks_them() {
        let filter: BgpFilter = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "f"},
            "spec": {
                "exportV4": [{"cidr": "fd00::/64", "matchOperator": "In", "action": "Accept"}],
                "importV6": [
                    {"cidr": "fd00::/64", "prefixLength": {"min": 64, "max": 129}, "matchOperator": "In", "action": "Reject"},
                    {"prefixLength": {"max": 128}, "action": "Drop"},
                ],
            },
        }))
        .unwrap();
        assert_eq!(
            filter.validate().unwrap_err().to_string(),
            "error with the following fields:\n\
             -  CIDR = 'fd00::/64' (Reason: failed to validate Field: CIDR because of Tag: netv4 )\n\
             -  Max = '129' (Reason: failed to validate Field: Max because of Tag: bgpFilterPrefixLengthV6 )\n\
             -  Action = 'Drop' (Reason: failed to validate Field: Action because of Tag: filterAction )\n\
             -  PrefixLength (CIDR cannot be empty when PrefixLength is not)\n"
        );
        assert_eq!(filter.cell("NUMIMPORTV6").as_deref(), Some("2"));
        assert_eq!(filter.cell("NUMEXPORTV6").as_deref(), Some("0"));
    }
}
