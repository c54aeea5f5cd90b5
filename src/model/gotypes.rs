//! The Go types behind each kind, as data: what calicoctl's go-template output sees.
//!
//! calicoctl executes a user's `-o go-template=` over Go values (`[]runtime.Object` holding
//! `*v3.IPPoolList`, `*v3.IPPool`, ...), so a template can only name fields the Go structs
//! have, spelled as Go spells them, and a field that JSON omits because it is empty still
//! has Go's zero value. This module describes those structs (Calico v3.31's
//! `projectcalico.org/v3` types, libcalico-go's `Node` and `WorkloadEndpoint`, and the
//! Kubernetes `metav1` metadata): each struct's Go name, and per field its Go name, JSON key
//! and Go type. Only names and types are recorded here; the evaluator lives in
//! `output::template`.

/// A Go type as `reflect` shows it.
#[derive(Debug)]
pub enum GoType {
    /// A struct type.
    Struct(&'static StructType),
    /// `*T`.
    Ptr(&'static GoType),
    /// `[]T`.
    Slice(&'static GoType),
    /// `map[string]T`.
    Map(&'static GoType),
    /// A basic type, possibly named (`v3.VXLANMode` is a `string`).
    Scalar(&'static str, Basic),
    /// An interface type (`runtime.Object`): the dynamic type comes from the value's `kind`.
    Interface(&'static str),
}

/// The underlying kind of a scalar type, which decides its zero value and printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basic {
    String,
    Bool,
    Int,
    Uint,
    /// `metav1.Time` / `time.Time`: printed as Go's `Time.String()`.
    Time,
    /// A type with its own `String()` (numorstring's `Protocol`): printed as its JSON text.
    Stringer,
}

/// A Go struct type.
#[derive(Debug)]
pub struct StructType {
    /// The name `reflect` prints: `v3.IPPoolSpec`.
    pub name: &'static str,
    pub fields: &'static [Field],
}

/// One field of a struct.
#[derive(Debug)]
pub struct Field {
    /// The Go field name (exported): `CIDR`.
    pub name: &'static str,
    /// The JSON key; empty for an inlined embedded struct (`metav1.TypeMeta`).
    pub json: &'static str,
    /// An embedded field, whose own fields are promoted.
    pub embedded: bool,
    pub ty: &'static GoType,
}

const fn f(name: &'static str, json: &'static str, ty: &'static GoType) -> Field {
    Field {
        name,
        json,
        embedded: false,
        ty,
    }
}

const fn embed(name: &'static str, json: &'static str, ty: &'static GoType) -> Field {
    Field {
        name,
        json,
        embedded: true,
        ty,
    }
}

impl GoType {
    /// The type's name as Go's `reflect.Type.String()` gives it: `*v3.IPPoolList`.
    pub fn name(&self) -> String {
        match self {
            GoType::Struct(s) => s.name.to_string(),
            GoType::Ptr(t) => format!("*{}", t.name()),
            GoType::Slice(t) => format!("[]{}", t.name()),
            GoType::Map(t) => format!("map[string]{}", t.name()),
            GoType::Scalar(name, _) | GoType::Interface(name) => name.to_string(),
        }
    }
}

impl StructType {
    /// Go's `FieldByName`: a field of this struct, else one promoted from an embedded
    /// struct (breadth first). The path runs from the outer field to the one found.
    pub fn field_path(&self, name: &str) -> Option<Vec<&'static Field>> {
        if let Some(field) = self.fields.iter().find(|f| f.name == name) {
            return Some(vec![field]);
        }
        for outer in self.fields.iter().filter(|f| f.embedded) {
            let inner = match outer.ty {
                GoType::Struct(s) => s,
                GoType::Ptr(GoType::Struct(s)) => s,
                _ => continue,
            };
            if let Some(mut path) = inner.field_path(name) {
                path.insert(0, outer);
                return Some(path);
            }
        }
        None
    }
}

// Scalars.
pub static STRING: GoType = GoType::Scalar("string", Basic::String);
pub static BOOL: GoType = GoType::Scalar("bool", Basic::Bool);
static INT: GoType = GoType::Scalar("int", Basic::Int);
static INT32: GoType = GoType::Scalar("int32", Basic::Int);
static INT64: GoType = GoType::Scalar("int64", Basic::Int);
static UINT16: GoType = GoType::Scalar("uint16", Basic::Uint);
static STRINGS: GoType = GoType::Slice(&STRING);
static STRING_MAP: GoType = GoType::Map(&STRING);
static PTR_BOOL: GoType = GoType::Ptr(&BOOL);
static PTR_INT64: GoType = GoType::Ptr(&INT64);

// k8s.io/apimachinery metav1 and types.
static UID: GoType = GoType::Scalar("types.UID", Basic::String);
static TIME: GoType = GoType::Struct(&TIME_STRUCT);
static TIME_STRUCT: StructType = StructType {
    name: "v1.Time",
    fields: &[embed("Time", "", &GO_TIME)],
};
static GO_TIME: GoType = GoType::Scalar("time.Time", Basic::Time);
static PTR_TIME: GoType = GoType::Ptr(&TIME);

static TYPE_META: GoType = GoType::Struct(&TYPE_META_STRUCT);
static TYPE_META_STRUCT: StructType = StructType {
    name: "v1.TypeMeta",
    fields: &[
        f("Kind", "kind", &STRING),
        f("APIVersion", "apiVersion", &STRING),
    ],
};

static OWNER_REFERENCE: GoType = GoType::Struct(&StructType {
    name: "v1.OwnerReference",
    fields: &[
        f("APIVersion", "apiVersion", &STRING),
        f("Kind", "kind", &STRING),
        f("Name", "name", &STRING),
        f("UID", "uid", &UID),
        f("Controller", "controller", &PTR_BOOL),
        f("BlockOwnerDeletion", "blockOwnerDeletion", &PTR_BOOL),
    ],
});
static FIELDS_V1: GoType = GoType::Ptr(&GoType::Struct(&StructType {
    name: "v1.FieldsV1",
    fields: &[],
}));
static MANAGED_FIELDS_ENTRY: GoType = GoType::Struct(&StructType {
    name: "v1.ManagedFieldsEntry",
    fields: &[
        f("Manager", "manager", &STRING),
        f(
            "Operation",
            "operation",
            &GoType::Scalar("v1.ManagedFieldsOperationType", Basic::String),
        ),
        f("APIVersion", "apiVersion", &STRING),
        f("Time", "time", &PTR_TIME),
        f("FieldsType", "fieldsType", &STRING),
        f("FieldsV1", "fieldsV1", &FIELDS_V1),
        f("Subresource", "subresource", &STRING),
    ],
});

/// `metav1.ObjectMeta`.
pub static OBJECT_META: GoType = GoType::Struct(&OBJECT_META_STRUCT);
static OBJECT_META_STRUCT: StructType = StructType {
    name: "v1.ObjectMeta",
    fields: &[
        f("Name", "name", &STRING),
        f("GenerateName", "generateName", &STRING),
        f("Namespace", "namespace", &STRING),
        f("SelfLink", "selfLink", &STRING),
        f("UID", "uid", &UID),
        f("ResourceVersion", "resourceVersion", &STRING),
        f("Generation", "generation", &INT64),
        f("CreationTimestamp", "creationTimestamp", &TIME),
        f("DeletionTimestamp", "deletionTimestamp", &PTR_TIME),
        f(
            "DeletionGracePeriodSeconds",
            "deletionGracePeriodSeconds",
            &PTR_INT64,
        ),
        f("Labels", "labels", &STRING_MAP),
        f("Annotations", "annotations", &STRING_MAP),
        f(
            "OwnerReferences",
            "ownerReferences",
            &GoType::Slice(&OWNER_REFERENCE),
        ),
        f("Finalizers", "finalizers", &STRINGS),
        f(
            "ManagedFields",
            "managedFields",
            &GoType::Slice(&MANAGED_FIELDS_ENTRY),
        ),
    ],
};

/// `metav1.ListMeta`.
pub static LIST_META: GoType = GoType::Struct(&StructType {
    name: "v1.ListMeta",
    fields: &[
        f("SelfLink", "selfLink", &STRING),
        f("ResourceVersion", "resourceVersion", &STRING),
        f("Continue", "continue", &STRING),
        f("RemainingItemCount", "remainingItemCount", &PTR_INT64),
    ],
});

/// The fields every resource starts with: `TypeMeta` inlined, `ObjectMeta` as `metadata`.
macro_rules! resource {
    ($name:literal, $($field:expr),* $(,)?) => {
        GoType::Struct(&StructType {
            name: $name,
            fields: &[
                embed("TypeMeta", "", &TYPE_META),
                embed("ObjectMeta", "metadata", &OBJECT_META),
                $($field),*
            ],
        })
    };
}

/// A kind's list type: `TypeMeta`, `ListMeta` as `metadata`, and `Items`.
macro_rules! list {
    ($name:literal, $item:expr) => {
        GoType::Ptr(&GoType::Struct(&StructType {
            name: $name,
            fields: &[
                embed("TypeMeta", "", &TYPE_META),
                embed("ListMeta", "metadata", &LIST_META),
                f("Items", "items", &GoType::Slice($item)),
            ],
        }))
    };
}

// IPPool (api/pkg/apis/projectcalico/v3/ippool.go).
static IPPOOL: GoType = resource!(
    "v3.IPPool",
    f("Spec", "spec", &GoType::Struct(&IPPOOL_SPEC))
);
static IPPOOL_SPEC: StructType = StructType {
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

// IPReservation (ipreservation.go).
static IPRESERVATION: GoType = resource!(
    "v3.IPReservation",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.IPReservationSpec",
            fields: &[f("ReservedCIDRs", "reservedCIDRs", &STRINGS)],
        })
    )
);

// ClusterInformation (clusterinfo.go).
static CLUSTER_INFORMATION: GoType = resource!(
    "v3.ClusterInformation",
    f(
        "Spec",
        "spec",
        &GoType::Struct(&StructType {
            name: "v3.ClusterInformationSpec",
            fields: &[
                f("ClusterGUID", "clusterGUID", &STRING),
                f("ClusterType", "clusterType", &STRING),
                f("CalicoVersion", "calicoVersion", &STRING),
                f("DatastoreReady", "datastoreReady", &PTR_BOOL),
                f("Variant", "variant", &STRING),
            ],
        })
    )
);

// IPAMConfiguration (ipamconfig.go). AutoAllocateBlocks, KubeVirtVMAddressPersistence and
// IPCooldownSeconds are the fields our model reads beyond StrictAffinity/MaxBlocksPerHost.
static IPAM_CONFIGURATION: GoType = resource!(
    "v3.IPAMConfiguration",
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

// Node (libcalico-go/lib/apis/v3/node.go).
static NODE: GoType = resource!(
    "v3.Node",
    f("Spec", "spec", &GoType::Struct(&NODE_SPEC)),
    f(
        "Status",
        "status",
        &GoType::Struct(&StructType {
            name: "v3.NodeStatus",
            fields: &[
                f("WireguardPublicKey", "wireguardPublicKey", &STRING),
                f("WireguardPublicKeyV6", "wireguardPublicKeyV6", &STRING),
                f("PodCIDRs", "podCIDRs", &STRINGS),
            ],
        })
    ),
);
static NODE_SPEC: StructType = StructType {
    name: "v3.NodeSpec",
    fields: &[
        f(
            "BGP",
            "bgp",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.NodeBGPSpec",
                fields: &[
                    f(
                        "ASNumber",
                        "asNumber",
                        &GoType::Ptr(&GoType::Scalar("numorstring.ASNumber", Basic::Uint)),
                    ),
                    f("IPv4Address", "ipv4Address", &STRING),
                    f("IPv6Address", "ipv6Address", &STRING),
                    f("IPv4IPIPTunnelAddr", "ipv4IPIPTunnelAddr", &STRING),
                    f(
                        "RouteReflectorClusterID",
                        "routeReflectorClusterID",
                        &STRING,
                    ),
                ],
            })),
        ),
        f("IPv4VXLANTunnelAddr", "ipv4VXLANTunnelAddr", &STRING),
        f("VXLANTunnelMACAddr", "vxlanTunnelMACAddr", &STRING),
        f("IPv6VXLANTunnelAddr", "ipv6VXLANTunnelAddr", &STRING),
        f("VXLANTunnelMACAddrV6", "vxlanTunnelMACAddrV6", &STRING),
        f(
            "OrchRefs",
            "orchRefs",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.OrchRef",
                fields: &[
                    f("NodeName", "nodeName", &STRING),
                    f("Orchestrator", "orchestrator", &STRING),
                ],
            })),
        ),
        f(
            "Wireguard",
            "wireguard",
            &GoType::Ptr(&GoType::Struct(&StructType {
                name: "v3.NodeWireguardSpec",
                fields: &[
                    f("InterfaceIPv4Address", "interfaceIPv4Address", &STRING),
                    f("InterfaceIPv6Address", "interfaceIPv6Address", &STRING),
                ],
            })),
        ),
        f(
            "Addresses",
            "addresses",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.NodeAddress",
                fields: &[f("Address", "address", &STRING), f("Type", "type", &STRING)],
            })),
        ),
        f(
            "Interfaces",
            "interfaces",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.NodeInterface",
                fields: &[
                    f("Name", "name", &STRING),
                    f("Addresses", "addresses", &STRINGS),
                ],
            })),
        ),
    ],
};

// WorkloadEndpoint (libcalico-go/lib/apis/v3/workloadendpoint.go).
static WORKLOAD_ENDPOINT: GoType = resource!(
    "v3.WorkloadEndpoint",
    f("Spec", "spec", &GoType::Struct(&WORKLOAD_ENDPOINT_SPEC))
);
static WORKLOAD_ENDPOINT_SPEC: StructType = StructType {
    name: "v3.WorkloadEndpointSpec",
    fields: &[
        f("Orchestrator", "orchestrator", &STRING),
        f("Workload", "workload", &STRING),
        f("Node", "node", &STRING),
        f("ContainerID", "containerID", &STRING),
        f("Pod", "pod", &STRING),
        f("Endpoint", "endpoint", &STRING),
        f("ServiceAccountName", "serviceAccountName", &STRING),
        f("IPNetworks", "ipNetworks", &STRINGS),
        f(
            "IPNATs",
            "ipNATs",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.IPNAT",
                fields: &[
                    f("InternalIP", "internalIP", &STRING),
                    f("ExternalIP", "externalIP", &STRING),
                    f("Source", "source", &STRING),
                ],
            })),
        ),
        f("IPv4Gateway", "ipv4Gateway", &STRING),
        f("IPv6Gateway", "ipv6Gateway", &STRING),
        f("Profiles", "profiles", &STRINGS),
        f("InterfaceName", "interfaceName", &STRING),
        f("MAC", "mac", &STRING),
        f(
            "Ports",
            "ports",
            &GoType::Slice(&GoType::Struct(&StructType {
                name: "v3.WorkloadEndpointPort",
                fields: &[
                    f("Name", "name", &STRING),
                    f(
                        "Protocol",
                        "protocol",
                        &GoType::Scalar("numorstring.Protocol", Basic::Stringer),
                    ),
                    f("Port", "port", &UINT16),
                    f("HostPort", "hostPort", &UINT16),
                    f("HostIP", "hostIP", &STRING),
                ],
            })),
        ),
        f(
            "AllowSpoofedSourcePrefixes",
            "allowSpoofedSourcePrefixes",
            &STRINGS,
        ),
    ],
};

static PTR_IPPOOL: GoType = GoType::Ptr(&IPPOOL);
static PTR_IPRESERVATION: GoType = GoType::Ptr(&IPRESERVATION);
static PTR_CLUSTER_INFORMATION: GoType = GoType::Ptr(&CLUSTER_INFORMATION);
static PTR_IPAM_CONFIGURATION: GoType = GoType::Ptr(&IPAM_CONFIGURATION);
static PTR_NODE: GoType = GoType::Ptr(&NODE);
static PTR_WORKLOAD_ENDPOINT: GoType = GoType::Ptr(&WORKLOAD_ENDPOINT);
static IPPOOL_LIST: GoType = list!("v3.IPPoolList", &IPPOOL);
static IPRESERVATION_LIST: GoType = list!("v3.IPReservationList", &IPRESERVATION);
static CLUSTER_INFORMATION_LIST: GoType = list!("v3.ClusterInformationList", &CLUSTER_INFORMATION);
static IPAM_CONFIGURATION_LIST: GoType = list!("v3.IPAMConfigurationList", &IPAM_CONFIGURATION);
static NODE_LIST: GoType = list!("v3.NodeList", &NODE);
static WORKLOAD_ENDPOINT_LIST: GoType = list!("v3.WorkloadEndpointList", &WORKLOAD_ENDPOINT);

/// The element type of calicoctl's template data.
pub static RUNTIME_OBJECT: GoType = GoType::Interface("runtime.Object");
/// calicoctl's template data: `[]runtime.Object`.
pub static RUNTIME_OBJECTS: GoType = GoType::Slice(&RUNTIME_OBJECT);

/// The Go type calicoctl prints for an object of `kind` (`IPPool` → `*v3.IPPool`,
/// `IPPoolList` → `*v3.IPPoolList`); `None` for a kind not described here.
pub fn object_type(kind: &str) -> Option<&'static GoType> {
    Some(match kind {
        "IPPool" => &PTR_IPPOOL,
        "IPPoolList" => &IPPOOL_LIST,
        "IPReservation" => &PTR_IPRESERVATION,
        "IPReservationList" => &IPRESERVATION_LIST,
        "ClusterInformation" => &PTR_CLUSTER_INFORMATION,
        "ClusterInformationList" => &CLUSTER_INFORMATION_LIST,
        "IPAMConfiguration" => &PTR_IPAM_CONFIGURATION,
        "IPAMConfigurationList" => &IPAM_CONFIGURATION_LIST,
        "Node" => &PTR_NODE,
        "NodeList" => &NODE_LIST,
        "WorkloadEndpoint" => &PTR_WORKLOAD_ENDPOINT,
        "WorkloadEndpointList" => &WORKLOAD_ENDPOINT_LIST,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_as_reflect_prints_them() {
        assert_eq!(object_type("IPPoolList").unwrap().name(), "*v3.IPPoolList");
        assert_eq!(object_type("Node").unwrap().name(), "*v3.Node");
        assert_eq!(RUNTIME_OBJECTS.name(), "[]runtime.Object");
        assert!(object_type("BGPPeer").is_none());
    }

    #[test]
    fn promoted_fields_are_found_through_embedded_structs() {
        let GoType::Ptr(GoType::Struct(pool)) = object_type("IPPool").unwrap() else {
            panic!("IPPool is a pointer to a struct");
        };
        let path: Vec<&str> = pool
            .field_path("Name")
            .unwrap()
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(path, ["ObjectMeta", "Name"]);
        let path: Vec<&str> = pool
            .field_path("Kind")
            .unwrap()
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(path, ["TypeMeta", "Kind"]);
        // Exact names only, as Go's FieldByName.
        assert!(pool.field_path("name").is_none());
        assert!(pool.field_path("Metadata").is_none());
    }
}
