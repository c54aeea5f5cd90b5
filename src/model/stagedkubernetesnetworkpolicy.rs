//! StagedKubernetesNetworkPolicy: a Kubernetes NetworkPolicy staged for review (Set, Delete,
//! Learn, Ignore), not enforced. Its spec is the `networking.k8s.io/v1` NetworkPolicy spec with
//! `stagedAction` in front; Calico validates it by converting it to the Calico NetworkPolicy it
//! would enforce (`knp.default.<name>`).

use super::gotypes::{self, Basic, GoType, INT32, STRING, STRING_MAP, STRINGS, StructType, f};
use super::numorstring::Port;
use super::rule::{GLOBAL_ONLY_IN_ENTITY_RULE, go_list};
use super::validation::{ErroredField, ValidationError};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;

/// `projectcalico.org/v3` StagedKubernetesNetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StagedKubernetesNetworkPolicy {
    /// Always `StagedKubernetesNetworkPolicy`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, namespace, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The staged Kubernetes policy.
    #[serde(default)]
    pub spec: StagedKubernetesNetworkPolicySpec,
}

/// The spec, in Calico v3.31's field order (`stagedAction`, then `networkingv1.NetworkPolicySpec`'s).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StagedKubernetesNetworkPolicySpec {
    /// `Set` (default), `Delete`, `Learn` or `Ignore`.
    #[serde(
        default,
        rename = "stagedAction",
        skip_serializing_if = "String::is_empty"
    )]
    pub(crate) staged_action: String,
    /// The pods of the namespace the policy applies to. A struct, so Go always writes it.
    #[serde(default, rename = "podSelector")]
    pub(crate) pod_selector: LabelSelector,
    /// Inbound rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ingress: Vec<IngressRule>,
    /// Outbound rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) egress: Vec<EgressRule>,
    /// `Ingress` and/or `Egress`.
    #[serde(default, rename = "policyTypes", skip_serializing_if = "Vec::is_empty")]
    pub(crate) policy_types: Vec<String>,
}

/// `metav1.LabelSelector`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct LabelSelector {
    /// Labels that must all match.
    #[serde(
        default,
        rename = "matchLabels",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub(crate) match_labels: BTreeMap<String, String>,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist` tests, all of which must match.
    #[serde(
        default,
        rename = "matchExpressions",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) match_expressions: Vec<LabelSelectorRequirement>,
}

/// `metav1.LabelSelectorRequirement`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct LabelSelectorRequirement {
    /// The label.
    #[serde(default)]
    pub(crate) key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    #[serde(default)]
    pub(crate) operator: String,
    /// The values of `In` and `NotIn`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) values: Vec<String>,
}

/// `networkingv1.NetworkPolicyIngressRule`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct IngressRule {
    /// Destination ports; none means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ports: Vec<PolicyPort>,
    /// Sources; none means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) from: Vec<Peer>,
}

/// `networkingv1.NetworkPolicyEgressRule`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EgressRule {
    /// Destination ports; none means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ports: Vec<PolicyPort>,
    /// Destinations; none means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) to: Vec<Peer>,
}

/// `networkingv1.NetworkPolicyPort`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PolicyPort {
    /// `TCP` (the default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) protocol: Option<String>,
    /// A number or a named port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) port: Option<IntOrString>,
    /// The last port of a range starting at `port`.
    #[serde(default, rename = "endPort", skip_serializing_if = "Option::is_none")]
    pub(crate) end_port: Option<i32>,
}

/// `networkingv1.NetworkPolicyPeer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Peer {
    /// Pods (of the policy's namespace, or of the namespaces selected).
    #[serde(
        default,
        rename = "podSelector",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) pod_selector: Option<LabelSelector>,
    /// Namespaces.
    #[serde(
        default,
        rename = "namespaceSelector",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) namespace_selector: Option<LabelSelector>,
    /// A CIDR and its exceptions.
    #[serde(default, rename = "ipBlock", skip_serializing_if = "Option::is_none")]
    pub(crate) ip_block: Option<IpBlock>,
}

/// `networkingv1.IPBlock`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct IpBlock {
    /// The CIDR (always written).
    #[serde(default)]
    pub(crate) cidr: String,
    /// CIDRs inside it that are excluded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) except: Vec<String>,
}

/// `intstr.IntOrString`: a JSON number or a JSON string, kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IntOrString {
    /// A number.
    Int(i32),
    /// A string (a named port, or digits written as a string).
    Str(String),
}

impl IntOrString {
    /// Go's `String()`: the number in decimal, or the string.
    fn text(&self) -> String {
        match self {
            IntOrString::Int(n) => n.to_string(),
            IntOrString::Str(s) => s.clone(),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrString::Int(n) => s.serialize_i32(*n),
            IntOrString::Str(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IntOrString, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // A JSON string or an int32 (Go's message names the int32 it tried).
                f.write_str("int32")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_type(Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i32::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::invalid_type(Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(IntOrString::Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl LabelSelector {
    /// The generated `(*LabelSelector).String()` of Kubernetes' `metav1`, which calicoctl's
    /// PODSELECTOR column template (`{{.Spec.PodSelector}}`) prints.
    pub(crate) fn go_string(&self) -> String {
        let mut s = String::from("&LabelSelector{MatchLabels:map[string]string{");
        for (k, v) in &self.match_labels {
            s.push_str(&format!("{k}: {v},"));
        }
        s.push_str("},MatchExpressions:[]LabelSelectorRequirement{");
        for e in &self.match_expressions {
            s.push_str(&format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:{},}},",
                e.key,
                e.operator,
                go_list(&e.values)
            ));
        }
        s.push_str("},}");
        s
    }

    /// Calico's `k8sSelectorToCalico`: the Calico selector a Kubernetes one converts to; a
    /// pod selector is limited to Kubernetes endpoints.
    fn calico_selector(&self, pods: bool) -> String {
        let mut terms = Vec::new();
        if pods {
            terms.push("projectcalico.org/orchestrator == 'k8s'".to_string());
        }
        for (k, v) in &self.match_labels {
            terms.push(format!("{k} == '{v}'"));
        }
        for e in &self.match_expressions {
            let values = e.values.join("', '");
            match e.operator.as_str() {
                "In" => terms.push(format!("{} in {{ '{values}' }}", e.key)),
                "NotIn" => terms.push(format!("{} not in {{ '{values}' }}", e.key)),
                "Exists" => terms.push(format!("has({})", e.key)),
                "DoesNotExist" => terms.push(format!("! has({})", e.key)),
                _ => {}
            }
        }
        terms.join(" && ")
    }
}

/// `fmt.Sprintf("%v", ptr)` of an optional label selector inside a generated `String()`
/// (`&v1.LabelSelector{...}` or `nil`).
fn selector_field(s: Option<&LabelSelector>) -> String {
    s.map_or("nil".to_string(), |s| {
        s.go_string()
            .replacen("LabelSelector", "v1.LabelSelector", 1)
    })
}

impl PolicyPort {
    /// The generated `String()` without its leading `&`, as a rule's `String()` lists it.
    fn go_string(&self) -> String {
        format!(
            "NetworkPolicyPort{{Protocol:{},Port:{},EndPort:{},}}",
            self.protocol
                .as_ref()
                .map_or("nil".to_string(), |p| format!("*{p}")),
            self.port
                .as_ref()
                .map_or("<nil>".to_string(), IntOrString::text),
            self.end_port.map_or("nil".to_string(), |n| format!("*{n}")),
        )
    }

    /// Calico's `k8sPortToCalico`: the port text (`port`, or `port:endPort`) and why Calico's
    /// `PortFromString` refuses it, if it does.
    fn conversion_problem(&self) -> Option<String> {
        let port = self.port.as_ref()?;
        let mut text = port.text();
        if let Some(end) = self.end_port {
            text = format!("{text}:{end}");
        }
        Port::parse(&text)
            .err()
            .map(|e| format!("invalid port {text}: {e}"))
    }
}

impl Peer {
    /// The generated `String()` without its leading `&`.
    fn go_string(&self) -> String {
        let ip_block = self.ip_block.as_ref().map_or("nil".to_string(), |b| {
            format!("&IPBlock{{CIDR:{},Except:{},}}", b.cidr, go_list(&b.except))
        });
        format!(
            "NetworkPolicyPeer{{PodSelector:{},NamespaceSelector:{},IPBlock:{},}}",
            selector_field(self.pod_selector.as_ref()),
            selector_field(self.namespace_selector.as_ref()),
            ip_block
        )
    }
}

/// The generated `String()` of an ingress or egress rule (`peers` is `From` or `To`).
fn rule_go_string(kind: &str, ports: &[PolicyPort], peers_name: &str, peers: &[Peer]) -> String {
    let mut s = format!("&NetworkPolicy{kind}Rule{{Ports:[]NetworkPolicyPort{{");
    for p in ports {
        s.push_str(&p.go_string());
        s.push(',');
    }
    s.push_str(&format!("}},{peers_name}:[]NetworkPolicyPeer{{"));
    for p in peers {
        s.push_str(&p.go_string());
        s.push(',');
    }
    s.push_str("},}");
    s
}

/// Calico's `k8sRuleToCalico` failures: the first port of the rule that does not convert.
fn rule_problem(ports: &[PolicyPort]) -> Option<String> {
    ports
        .iter()
        .find_map(PolicyPort::conversion_problem)
        .map(|e| format!("k8s rule couldn't be converted: failed to parse k8s port: {e}"))
}

impl StagedKubernetesNetworkPolicy {
    /// Calico's `K8sNetworkPolicyToCalico` errors (`ErrorPolicyConversion`): the rules that
    /// do not convert, ingress first.
    fn conversion_error(&self) -> Option<String> {
        let s = &self.spec;
        let ingress = s.ingress.iter().filter_map(|r| {
            rule_problem(&r.ports)
                .map(|why| (rule_go_string("Ingress", &r.ports, "From", &r.from), why))
        });
        let egress = s.egress.iter().filter_map(|r| {
            rule_problem(&r.ports).map(|why| (rule_go_string("Egress", &r.ports, "To", &r.to), why))
        });
        let bad: Vec<String> = ingress
            .chain(egress)
            .map(|(rule, why)| format!("{rule} ({why})"))
            .collect();
        let name = &self.metadata.name;
        match bad.as_slice() {
            [] => None,
            [one] => Some(format!("policy: {name}: error with rule {one}")),
            many => {
                let mut text = format!("policy: {name}: error with the following rules:\n");
                for rule in many {
                    text.push_str(&format!("-  {rule}\n"));
                }
                Some(text)
            }
        }
    }
}

impl Resource for StagedKubernetesNetworkPolicy {
    const KIND: &'static str = "StagedKubernetesNetworkPolicy";
    const PLURAL: &'static str = "stagedkubernetesnetworkpolicies";
    const NAMESPACED: bool = true;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "stagedkubernetesnetworkpolicy",
        "stagedkubernetesnetworkpolicies",
        "stagedkubernetespolicy",
        "sknp",
        "stagedkubernetespolicies",
        "skpol",
        "skpols",
    ];
    const COLUMNS: Columns = Columns {
        ps: &["NAME"],
        wide: &["NAME", "PODSELECTOR"],
        extra: &["NAMESPACE"],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("spec.podSelector", "LabelSelector"),
        (
            "spec.podSelector.matchExpressions",
            "LabelSelectorRequirement",
        ),
        ("spec.ingress", "NetworkPolicyIngressRule"),
        ("spec.egress", "NetworkPolicyEgressRule"),
        ("spec.ingress.ports", "NetworkPolicyPort"),
        ("spec.egress.ports", "NetworkPolicyPort"),
        ("spec.ingress.from", "NetworkPolicyPeer"),
        ("spec.egress.to", "NetworkPolicyPeer"),
        ("spec.ingress.from.ipBlock", "IPBlock"),
        ("spec.egress.to.ipBlock", "IPBlock"),
    ];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::new("spec.stagedAction", "v3.StagedAction"),
        GoField::list("spec.policyTypes", "[]v1.PolicyType", "v1.PolicyType"),
        GoField::new("spec.ingress.ports.protocol", "v1.Protocol"),
        GoField::new("spec.egress.ports.protocol", "v1.Protocol"),
        GoField::new("spec.ingress.ports.port", "int32"),
        GoField::new("spec.egress.ports.port", "int32"),
        GoField::new("spec.ingress.ports.endPort", "int32"),
        GoField::new("spec.egress.ports.endPort", "int32"),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        (heading == "PODSELECTOR").then(|| self.spec.pod_selector.go_string())
    }

    fn validate(&self) -> Result<(), ValidationError> {
        // Field checks: the metadata, then the spec's one tag.
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let s = &self.spec;
        if !matches!(
            s.staged_action.as_str(),
            "" | "Set" | "Delete" | "Learn" | "Ignore"
        ) {
            errs.push(ErroredField::tag(
                "StagedAction",
                &s.staged_action,
                "stagedAction",
            ));
        }
        // The kind's struct-level checks.
        let name = &self.metadata.name;
        if name.len() > 253 {
            errs.push(ErroredField::new(
                "Metadata.Name",
                name,
                format!("name is too long by {} bytes", name.len() - 253),
            ));
        }
        let spec_json = || crate::go::json::to_string(s);
        if s.staged_action == "Delete" {
            let only_action = StagedKubernetesNetworkPolicySpec {
                staged_action: "Delete".into(),
                ..Default::default()
            };
            if *s != only_action {
                errs.push(ErroredField::new(
                    "StagedKubernetesNetworkPolicySpec",
                    spec_json(),
                    "Spec fields should all be zero-value if stagedAction is Delete",
                ));
            }
        } else {
            if let Some(e) = self.conversion_error() {
                errs.push(ErroredField::new(
                    "PolicySpec",
                    spec_json(),
                    format!("conversion to stagednetworkpolicy failed {e}"),
                ));
            }
            // The checks of the NetworkPolicy it converts to that its values can reach.
            let selector = s.pod_selector.calico_selector(true);
            if selector.contains("global()") {
                errs.push(ErroredField::new(
                    "NetworkPolicySpec.Selector",
                    selector,
                    GLOBAL_ONLY_IN_ENTITY_RULE,
                ));
            }
        }
        ValidationError::check(errs)
    }
}

// StagedKubernetesNetworkPolicy (stagedkubernetesnetworkpolicy.go) and the Kubernetes types
// of its spec (k8s.io/api networking/v1, k8s.io/apimachinery meta/v1).
static LABEL_SELECTOR_STRUCT: StructType = StructType {
    name: "v1.LabelSelector",
    fields: &[
        f("MatchLabels", "matchLabels", &STRING_MAP),
        f(
            "MatchExpressions",
            "matchExpressions",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v1.LabelSelectorRequirement",
                fields: &[
                    f("Key", "key", &STRING),
                    f(
                        "Operator",
                        "operator",
                        &GoType::Scalar("v1.LabelSelectorOperator", Basic::String),
                    ),
                    f("Values", "values", &STRINGS),
                ],
            })),
        ),
    ],
};
static LABEL_SELECTOR: GoType = GoType::Struct(&LABEL_SELECTOR_STRUCT);
static PTR_LABEL_SELECTOR: GoType = GoType::Ptr(&LABEL_SELECTOR);
static PORTS: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v1.NetworkPolicyPort",
    fields: &[
        f(
            "Protocol",
            "protocol",
            &GoType::Ptr(&GoType::Scalar("v1.Protocol", Basic::String)),
        ),
        f(
            "Port",
            "port",
            &GoType::Ptr(&GoType::Scalar("intstr.IntOrString", Basic::Stringer)),
        ),
        f("EndPort", "endPort", &GoType::Ptr(&INT32)),
    ],
}));
static PEERS: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v1.NetworkPolicyPeer",
    fields: &[
        f("PodSelector", "podSelector", &PTR_LABEL_SELECTOR),
        f(
            "NamespaceSelector",
            "namespaceSelector",
            &PTR_LABEL_SELECTOR,
        ),
        f(
            "IPBlock",
            "ipBlock",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v1.IPBlock",
                fields: &[f("CIDR", "cidr", &STRING), f("Except", "except", &STRINGS)],
            })),
        ),
    ],
}));
gotypes::go_kind!(
    "v3.StagedKubernetesNetworkPolicy",
    "v3.StagedKubernetesNetworkPolicyList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.StagedKubernetesNetworkPolicySpec",
            fields: &[
                f(
                    "StagedAction",
                    "stagedAction",
                    &GoType::Scalar("v3.StagedAction", Basic::String),
                ),
                f("PodSelector", "podSelector", &LABEL_SELECTOR),
                f(
                    "Ingress",
                    "ingress",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v1.NetworkPolicyIngressRule",
                        fields: &[f("Ports", "ports", &PORTS), f("From", "from", &PEERS)],
                    })),
                ),
                f(
                    "Egress",
                    "egress",
                    &GoType::Slice(&GoType::Struct(&StructType {
                        name: "v1.NetworkPolicyEgressRule",
                        fields: &[f("Ports", "ports", &PORTS), f("To", "to", &PEERS)],
                    })),
                ),
                f(
                    "PolicyTypes",
                    "policyTypes",
                    &GoType::Slice(&GoType::Scalar("v1.PolicyType", Basic::String)),
                ),
            ],
        })
    )
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::AnyResource;
    use serde_json::json;

    fn decode(spec: serde_json::Value) -> StagedKubernetesNetworkPolicy {
        let doc = json!({"apiVersion": "projectcalico.org/v3",
            "kind": "StagedKubernetesNetworkPolicy",
            "metadata": {"name": "web", "namespace": "prod"}, "spec": spec});
        match AnyResource::from_value(doc).unwrap() {
            AnyResource::StagedKubernetesNetworkPolicy(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_as_go_writes_it() {
        let p = decode(
            json!({"ingress": [{"ports": [{"port": 80}, {"protocol": "UDP", "port": "dns", "endPort": 60}],
            "from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}, {"podSelector": {}}]}]}),
        );
        assert_eq!(
            crate::go::json::to_string(&p.spec),
            r#"{"podSelector":{},"ingress":[{"ports":[{"port":80},{"protocol":"UDP","port":"dns","endPort":60}],"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}},{"podSelector":{}}]}]}"#
        );
    }

    #[test]
    fn pod_selector_column_is_the_generated_string() {
        let p = decode(json!({"podSelector": {"matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]}}));
        assert_eq!(
            p.cell("PODSELECTOR").unwrap(),
            "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,Values:[web api],},},}"
        );
        assert_eq!(
            StagedKubernetesNetworkPolicy::default()
                .cell("PODSELECTOR")
                .unwrap(),
            "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}"
        );
        assert_eq!(
            p.spec.pod_selector.calico_selector(true),
            "projectcalico.org/orchestrator == 'k8s' && a == '1' && b == '2' && tier in { 'web', 'api' }"
        );
    }

    #[test]
    fn validation_in_calicos_words() {
        assert!(decode(json!({"stagedAction": "Learn", "ingress": [{"ports": [{"port": 80, "endPort": 90}]}]})).validate().is_ok());
        let bad_port = decode(
            json!({"egress": [{"ports": [{"port": "http", "endPort": 90}],
            "to": [{"namespaceSelector": {"matchLabels": {"a": "b"}}, "ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}),
        );
        assert_eq!(
            bad_port.validate().unwrap_err().to_string(),
            "error with field PolicySpec = '{\"podSelector\":{},\"egress\":[{\"ports\":[{\"port\":\"http\",\"endPort\":90}],\"to\":[{\"namespaceSelector\":{\"matchLabels\":{\"a\":\"b\"}},\"ipBlock\":{\"cidr\":\"10.0.0.0/8\",\"except\":[\"10.1.0.0/16\"]}}]}]}' (conversion to stagednetworkpolicy failed policy: web: error with rule &NetworkPolicyEgressRule{Ports:[]NetworkPolicyPort{NetworkPolicyPort{Protocol:nil,Port:http,EndPort:*90,},},To:[]NetworkPolicyPeer{NetworkPolicyPeer{PodSelector:nil,NamespaceSelector:&v1.LabelSelector{MatchLabels:map[string]string{a: b,},MatchExpressions:[]LabelSelectorRequirement{},},IPBlock:&IPBlock{CIDR:10.0.0.0/8,Except:[10.1.0.0/16],},},},} (k8s rule couldn't be converted: failed to parse k8s port: invalid port http:90: invalid name for named port (http:90)))"
        );
        let delete = decode(json!({"stagedAction": "Delete", "policyTypes": ["Ingress"]}));
        assert_eq!(
            delete.validate().unwrap_err().to_string(),
            "error with field StagedKubernetesNetworkPolicySpec = '{\"stagedAction\":\"Delete\",\"podSelector\":{},\"policyTypes\":[\"Ingress\"]}' (Spec fields should all be zero-value if stagedAction is Delete)"
        );
        assert!(decode(json!({"stagedAction": "Delete"})).validate().is_ok());
        let action = decode(json!({"stagedAction": "Maybe"}));
        assert_eq!(
            action.validate().unwrap_err().to_string(),
            "error with field StagedAction = 'Maybe' (Reason: failed to validate Field: StagedAction because of Tag: stagedAction )"
        );
    }
}
