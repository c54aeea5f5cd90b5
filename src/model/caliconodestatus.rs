//! CalicoNodeStatus: asks calico-node on one node to report its agent, BGP and route status
//! into the object's `status`, every `updatePeriodSeconds`.
//!
//! Released calicoctl v3.31 has no resource manager for this kind (`calicoctl get
//! caliconodestatus` says the type is not supported); Calico's master branch added one
//! (`resourcemgr/nodestatus.go`), whose names and columns this follows. The types are
//! projectcalico/api v3.31's (`nodestatus.go`), whose stored JSON always carries `status`.

use super::gotypes::{self, Basic, GoType, INT, STRING, StructType, f};
use super::validation::{ErroredField, ValidationError, matches_name_regex};
use super::{Columns, GoField, ObjectMeta, Resource, resource_basics};
use serde::{Deserialize, Serialize};

/// `projectcalico.org/v3` CalicoNodeStatus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalicoNodeStatus {
    /// Always `CalicoNodeStatus`.
    #[serde(default)]
    pub kind: String,
    /// Always `projectcalico.org/v3`.
    #[serde(default, rename = "apiVersion")]
    pub api_version: String,
    /// Name, labels, revision.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// What to report, for which node, how often.
    #[serde(default)]
    pub spec: CalicoNodeStatusSpec,
    /// What calico-node reported (a struct, so Go always writes it); kept as stored.
    #[serde(default)]
    pub status: CalicoNodeStatusStatus,
}

/// The spec of a [`CalicoNodeStatus`], in Go's field order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalicoNodeStatusSpec {
    /// The node whose calico-node reports.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) node: String,
    /// `Agent`, `BGP`, `Routes`. `None` is Go's nil slice (refused as missing); an empty list
    /// written as `[]` is not nil, and passes Calico's `required`.
    #[serde(default, skip_serializing_if = "no_classes")]
    pub(crate) classes: Option<Vec<String>>,
    /// Seconds between updates, 0 to stop them; at most 86400.
    #[serde(
        default,
        rename = "updatePeriodSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) update_period_seconds: Option<u32>,
}

fn no_classes(c: &Option<Vec<String>>) -> bool {
    c.as_ref().is_none_or(Vec::is_empty)
}

/// `CalicoNodeStatusStatus`: every struct field is always written (Go's `omitempty` does not
/// apply to structs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalicoNodeStatusStatus {
    /// RFC 3339; `null` when calico-node has not reported.
    #[serde(default, rename = "lastUpdated")]
    pub(crate) last_updated: Option<String>,
    /// The BGP daemons.
    #[serde(default)]
    pub(crate) agent: AgentStatus,
    /// BGP sessions.
    #[serde(default)]
    pub(crate) bgp: BgpStatus,
    /// Routes known to the BGP daemon.
    #[serde(default)]
    pub(crate) routes: RouteStatus,
}

/// `CalicoNodeAgentStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AgentStatus {
    #[serde(default, rename = "birdV4")]
    bird_v4: DaemonStatus,
    #[serde(default, rename = "birdV6")]
    bird_v6: DaemonStatus,
}

/// `BGPDaemonStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct DaemonStatus {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    version: String,
    #[serde(default, rename = "routerID", skip_serializing_if = "String::is_empty")]
    router_id: String,
    #[serde(
        default,
        rename = "lastBootTime",
        skip_serializing_if = "String::is_empty"
    )]
    last_boot_time: String,
    #[serde(
        default,
        rename = "lastReconfigurationTime",
        skip_serializing_if = "String::is_empty"
    )]
    last_reconfiguration_time: String,
}

/// `CalicoNodeBGPStatus`: the counts are always written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BgpStatus {
    #[serde(default, rename = "numberEstablishedV4")]
    number_established_v4: i64,
    #[serde(default, rename = "numberNotEstablishedV4")]
    number_not_established_v4: i64,
    #[serde(default, rename = "numberEstablishedV6")]
    number_established_v6: i64,
    #[serde(default, rename = "numberNotEstablishedV6")]
    number_not_established_v6: i64,
    #[serde(default, rename = "peersV4", skip_serializing_if = "Vec::is_empty")]
    peers_v4: Vec<PeerStatus>,
    #[serde(default, rename = "peersV6", skip_serializing_if = "Vec::is_empty")]
    peers_v6: Vec<PeerStatus>,
}

/// `CalicoNodePeer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PeerStatus {
    #[serde(default, rename = "peerIP", skip_serializing_if = "String::is_empty")]
    peer_ip: String,
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    peer_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    since: String,
}

/// `CalicoNodeBGPRouteStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RouteStatus {
    #[serde(default, rename = "routesV4", skip_serializing_if = "Vec::is_empty")]
    routes_v4: Vec<Route>,
    #[serde(default, rename = "routesV6", skip_serializing_if = "Vec::is_empty")]
    routes_v6: Vec<Route>,
}

/// `CalicoNodeRoute`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Route {
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    route_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    destination: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    gateway: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    interface: String,
    #[serde(default, rename = "learnedFrom")]
    learned_from: LearnedFrom,
}

/// `CalicoNodeRouteLearnedFrom`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct LearnedFrom {
    #[serde(
        default,
        rename = "sourceType",
        skip_serializing_if = "String::is_empty"
    )]
    source_type: String,
    #[serde(default, rename = "peerIP", skip_serializing_if = "String::is_empty")]
    peer_ip: String,
}

impl Resource for CalicoNodeStatus {
    const KIND: &'static str = "CalicoNodeStatus";
    const PLURAL: &'static str = "caliconodestatuses";
    const NAMESPACED: bool = false;
    resource_basics!();
    const ALIASES: &'static [&'static str] = &[
        "caliconodestatus",
        "caliconodestatuses",
        "nodestatus",
        "nodestatuses",
    ];
    const COLUMNS: Columns = Columns {
        ps: &["NAME", "NODE"],
        wide: &["NAME", "NODE", "CLASSES"],
        extra: &[],
    };
    const GO_TYPE: &'static GoType = &GO_OBJECT;
    const GO_LIST_TYPE: &'static GoType = &GO_LIST;
    const GO_STRUCTS: &'static [(&'static str, &'static str)] = &[
        ("status.agent", "CalicoNodeAgentStatus"),
        ("status.agent.birdV4", "BGPDaemonStatus"),
        ("status.agent.birdV6", "BGPDaemonStatus"),
        ("status.bgp", "CalicoNodeBGPStatus"),
        ("status.bgp.peersV4", "CalicoNodePeer"),
        ("status.bgp.peersV6", "CalicoNodePeer"),
        ("status.routes", "CalicoNodeBGPRouteStatus"),
        ("status.routes.routesV4", "CalicoNodeRoute"),
        ("status.routes.routesV6", "CalicoNodeRoute"),
    ];
    const GO_FIELDS: &'static [GoField] = &[
        GoField::list(
            "spec.classes",
            "[]v3.NodeStatusClassType",
            "v3.NodeStatusClassType",
        ),
        GoField::new("spec.updatePeriodSeconds", "uint32"),
        GoField::new("status.lastUpdated", "v1.Time"),
    ];

    fn cell(&self, heading: &str) -> Option<String> {
        let s = &self.spec;
        Some(match heading {
            "NODE" => s.node.clone(),
            "CLASSES" => s.classes.as_deref().unwrap_or_default().join(","),
            _ => return None,
        })
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let mut errs = match super::validation::validate_metadata::<Self>(&self.metadata) {
            Ok(()) => Vec::new(),
            Err(e) => e.fields,
        };
        let s = &self.spec;
        if s.node.is_empty() {
            errs.push(ErroredField::tag("Node", "", "required"));
        } else if !matches_name_regex(&s.node) {
            errs.push(ErroredField::tag("Node", &s.node, "name"));
        }
        match &s.classes {
            None => errs.push(ErroredField::tag("Classes", "[]", "required")),
            Some(classes) => {
                let mut seen = std::collections::HashSet::new();
                if !classes.iter().all(|c| seen.insert(c)) {
                    errs.push(ErroredField::tag(
                        "Classes",
                        super::rule::go_list(classes),
                        "unique",
                    ));
                }
            }
        }
        match s.update_period_seconds {
            None => errs.push(ErroredField::tag(
                "UpdatePeriodSeconds",
                "<nil>",
                "required",
            )),
            Some(n) if n > 86400 => errs.push(ErroredField::tag("UpdatePeriodSeconds", n, "lte")),
            Some(_) => {}
        }
        ValidationError::check(errs)
    }
}

// CalicoNodeStatus (nodestatus.go).
static TIME: GoType = GoType::Struct(&StructType {
    name: "v1.Time",
    fields: &[gotypes::embed(
        "Time",
        "",
        &GoType::Scalar("time.Time", Basic::Time),
    )],
});
static DAEMON: GoType = GoType::Struct(&StructType {
    name: "v3.BGPDaemonStatus",
    fields: &[
        f(
            "State",
            "state",
            &GoType::Scalar("v3.BGPDaemonState", Basic::String),
        ),
        f("Version", "version", &STRING),
        f("RouterID", "routerID", &STRING),
        f("LastBootTime", "lastBootTime", &STRING),
        f(
            "LastReconfigurationTime",
            "lastReconfigurationTime",
            &STRING,
        ),
    ],
});
static PEERS: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.CalicoNodePeer",
    fields: &[
        f("PeerIP", "peerIP", &STRING),
        f(
            "Type",
            "type",
            &GoType::Scalar("v3.BGPPeerType", Basic::String),
        ),
        f(
            "State",
            "state",
            &GoType::Scalar("v3.BGPSessionState", Basic::String),
        ),
        f("Since", "since", &STRING),
    ],
}));
static ROUTES: GoType = GoType::Slice(&GoType::Struct(&StructType {
    name: "v3.CalicoNodeRoute",
    fields: &[
        f(
            "Type",
            "type",
            &GoType::Scalar("v3.CalicoNodeRouteType", Basic::String),
        ),
        f("Destination", "destination", &STRING),
        f("Gateway", "gateway", &STRING),
        f("Interface", "interface", &STRING),
        f(
            "LearnedFrom",
            "learnedFrom",
            &GoType::Struct(&StructType {
                name: "v3.CalicoNodeRouteLearnedFrom",
                fields: &[
                    f(
                        "SourceType",
                        "sourceType",
                        &GoType::Scalar("v3.CalicoNodeRouteSourceType", Basic::String),
                    ),
                    f("PeerIP", "peerIP", &STRING),
                ],
            }),
        ),
    ],
}));
gotypes::go_kind!(
    "v3.CalicoNodeStatus",
    "v3.CalicoNodeStatusList",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.CalicoNodeStatusSpec",
            fields: &[
                f("Node", "node", &STRING),
                f(
                    "Classes",
                    "classes",
                    &GoType::Slice(&GoType::Scalar("v3.NodeStatusClassType", Basic::String)),
                ),
                f(
                    "UpdatePeriodSeconds",
                    "updatePeriodSeconds",
                    &GoType::Ptr(&GoType::Scalar("uint32", Basic::Uint)),
                ),
            ],
        })
    ),
    f(
        "Status",
        "status",
        &GoType::Struct(&StructType {
            name: "v3.CalicoNodeStatusStatus",
            fields: &[
                f("LastUpdated", "lastUpdated", &TIME),
                f(
                    "Agent",
                    "agent",
                    &GoType::Struct(&StructType {
                        name: "v3.CalicoNodeAgentStatus",
                        fields: &[
                            f("BIRDV4", "birdV4", &DAEMON),
                            f("BIRDV6", "birdV6", &DAEMON)
                        ],
                    }),
                ),
                f(
                    "BGP",
                    "bgp",
                    &GoType::Struct(&StructType {
                        name: "v3.CalicoNodeBGPStatus",
                        fields: &[
                            f("NumberEstablishedV4", "numberEstablishedV4", &INT),
                            f("NumberNotEstablishedV4", "numberNotEstablishedV4", &INT),
                            f("NumberEstablishedV6", "numberEstablishedV6", &INT),
                            f("NumberNotEstablishedV6", "numberNotEstablishedV6", &INT),
                            f("PeersV4", "peersV4", &PEERS),
                            f("PeersV6", "peersV6", &PEERS),
                        ],
                    }),
                ),
                f(
                    "Routes",
                    "routes",
                    &GoType::Struct(&StructType {
                        name: "v3.CalicoNodeBGPRouteStatus",
                        fields: &[
                            f("RoutesV4", "routesV4", &ROUTES),
                            f("RoutesV6", "routesV6", &ROUTES),
                        ],
                    }),
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

    fn decode(spec: serde_json::Value) -> CalicoNodeStatus {
        let doc = json!({"apiVersion": "projectcalico.org/v3", "kind": "CalicoNodeStatus",
            "metadata": {"name": "node-1-status"}, "spec": spec});
        match AnyResource::from_value(doc).unwrap() {
            AnyResource::CalicoNodeStatus(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn status_is_always_written_as_go_writes_it() {
        let s = decode(
            json!({"node": "node-1", "classes": ["Agent", "BGP"], "updatePeriodSeconds": 0}),
        );
        assert!(s.validate().is_ok());
        assert_eq!(s.cell("CLASSES").unwrap(), "Agent,BGP");
        assert_eq!(
            crate::go::json::to_string(&s),
            r#"{"kind":"CalicoNodeStatus","apiVersion":"projectcalico.org/v3","metadata":{"name":"node-1-status","creationTimestamp":null},"spec":{"node":"node-1","classes":["Agent","BGP"],"updatePeriodSeconds":0},"status":{"lastUpdated":null,"agent":{"birdV4":{},"birdV6":{}},"bgp":{"numberEstablishedV4":0,"numberNotEstablishedV4":0,"numberEstablishedV6":0,"numberNotEstablishedV6":0},"routes":{}}}"#
        );
    }

    #[test]
    fn validation_in_calicos_words() {
        assert_eq!(
            decode(json!({})).validate().unwrap_err().to_string(),
            "error with the following fields:\n-  Node = '' (Reason: failed to validate Field: Node because of Tag: required )\n-  Classes = '[]' (Reason: failed to validate Field: Classes because of Tag: required )\n-  UpdatePeriodSeconds = '<nil>' (Reason: failed to validate Field: UpdatePeriodSeconds because of Tag: required )\n"
        );
        let bad = decode(
            json!({"node": "Node_1", "classes": ["BGP", "BGP"], "updatePeriodSeconds": 86401}),
        );
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "error with the following fields:\n-  Node = 'Node_1' (Reason: failed to validate Field: Node because of Tag: name )\n-  Classes = '[BGP BGP]' (Reason: failed to validate Field: Classes because of Tag: unique )\n-  UpdatePeriodSeconds = '86401' (Reason: failed to validate Field: UpdatePeriodSeconds because of Tag: lte )\n"
        );
        // An empty list is not Go's nil: `required` passes.
        assert!(
            decode(json!({"node": "n", "classes": [], "updatePeriodSeconds": 86400}))
                .validate()
                .is_ok()
        );
    }
}
