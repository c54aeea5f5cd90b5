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
//!
//! Each kind describes its own structs in its file with `go_kind!`, and its registration
//! ([`crate::model::Resource::GO_TYPE`]) points at them; this module holds the building
//! blocks they share, and [`GoNames`], the Go names a kind lends the decoder's messages.

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

pub(crate) const fn f(name: &'static str, json: &'static str, ty: &'static GoType) -> Field {
    Field {
        name,
        json,
        embedded: false,
        ty,
    }
}

pub(crate) const fn embed(name: &'static str, json: &'static str, ty: &'static GoType) -> Field {
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
    pub(crate) fn field_path(&self, name: &str) -> Option<Vec<&'static Field>> {
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
pub(crate) static STRING: GoType = GoType::Scalar("string", Basic::String);
pub(crate) static BOOL: GoType = GoType::Scalar("bool", Basic::Bool);
pub(crate) static INT: GoType = GoType::Scalar("int", Basic::Int);
pub(crate) static INT32: GoType = GoType::Scalar("int32", Basic::Int);
pub(crate) static INT64: GoType = GoType::Scalar("int64", Basic::Int);
pub(crate) static UINT16: GoType = GoType::Scalar("uint16", Basic::Uint);
pub(crate) static STRINGS: GoType = GoType::Slice(&STRING);
pub(crate) static STRING_MAP: GoType = GoType::Map(&STRING);
pub(crate) static PTR_BOOL: GoType = GoType::Ptr(&BOOL);
pub(crate) static PTR_INT64: GoType = GoType::Ptr(&INT64);

// k8s.io/apimachinery metav1 and types.
static UID: GoType = GoType::Scalar("types.UID", Basic::String);
static TIME: GoType = GoType::Struct(&TIME_STRUCT);
static TIME_STRUCT: StructType = StructType {
    name: "v1.Time",
    fields: &[embed("Time", "", &GO_TIME)],
};
static GO_TIME: GoType = GoType::Scalar("time.Time", Basic::Time);
static PTR_TIME: GoType = GoType::Ptr(&TIME);

pub(crate) static TYPE_META: GoType = GoType::Struct(&TYPE_META_STRUCT);
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
pub(crate) static OBJECT_META: GoType = GoType::Struct(&OBJECT_META_STRUCT);
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
pub(crate) static LIST_META: GoType = GoType::Struct(&StructType {
    name: "v1.ListMeta",
    fields: &[
        f("SelfLink", "selfLink", &STRING),
        f("ResourceVersion", "resourceVersion", &STRING),
        f("Continue", "continue", &STRING),
        f("RemainingItemCount", "remainingItemCount", &PTR_INT64),
    ],
});

/// The fields every resource starts with: `TypeMeta` inlined, `ObjectMeta` as `metadata`.
macro_rules! go_resource {
    ($name:literal, $($field:expr),* $(,)?) => {
        $crate::model::gotypes::GoType::Struct(&$crate::model::gotypes::StructType {
            name: $name,
            fields: &[
                $crate::model::gotypes::embed("TypeMeta", "", &$crate::model::gotypes::TYPE_META),
                $crate::model::gotypes::embed(
                    "ObjectMeta",
                    "metadata",
                    &$crate::model::gotypes::OBJECT_META,
                ),
                $($field),*
            ],
        })
    };
}
pub(crate) use go_resource;

/// A kind's list type: `TypeMeta`, `ListMeta` as `metadata`, and `Items`.
macro_rules! go_list {
    ($name:literal, $item:expr) => {
        $crate::model::gotypes::GoType::Ptr(&$crate::model::gotypes::GoType::Struct(
            &$crate::model::gotypes::StructType {
                name: $name,
                fields: &[
                    $crate::model::gotypes::embed(
                        "TypeMeta",
                        "",
                        &$crate::model::gotypes::TYPE_META,
                    ),
                    $crate::model::gotypes::embed(
                        "ListMeta",
                        "metadata",
                        &$crate::model::gotypes::LIST_META,
                    ),
                    $crate::model::gotypes::f(
                        "Items",
                        "items",
                        &$crate::model::gotypes::GoType::Slice($item),
                    ),
                ],
            },
        ))
    };
}
pub(crate) use go_list;

/// A kind's Go types, in its own file: `go_kind!("v3.IPPool", "v3.IPPoolList", fields...)`
/// defines `GO_OBJECT` (`*v3.IPPool`, what calicoctl's template data holds for one object) and
/// `GO_LIST` (`*v3.IPPoolList`), for the kind's [`crate::model::Resource::GO_TYPE`] and
/// [`crate::model::Resource::GO_LIST_TYPE`]. The fields are the ones after `TypeMeta` and
/// `ObjectMeta`.
macro_rules! go_kind {
    ($name:literal, $list:literal, $($field:expr),* $(,)?) => {
        static GO_STRUCT: $crate::model::gotypes::GoType =
            $crate::model::gotypes::go_resource!($name, $($field),*);
        static GO_OBJECT: $crate::model::gotypes::GoType =
            $crate::model::gotypes::GoType::Ptr(&GO_STRUCT);
        static GO_LIST: $crate::model::gotypes::GoType =
            $crate::model::gotypes::go_list!($list, &GO_STRUCT);
    };
}
pub(crate) use go_kind;

/// The element type of calicoctl's template data.
pub(crate) static RUNTIME_OBJECT: GoType = GoType::Interface("runtime.Object");
/// calicoctl's template data: `[]runtime.Object`.
pub(crate) static RUNTIME_OBJECTS: GoType = GoType::Slice(&RUNTIME_OBJECT);

/// The Go names a kind lends the decoder, so that a value of the wrong type is reported as
/// calicoctl reports it (`cannot parse ... into field NodeBGPSpec.ipv4Address of type
/// string`). Only what cannot be told from serde's own expectation is recorded.
#[derive(Debug, Clone, Copy)]
pub struct GoNames {
    /// The kind (`IPPool`): its structs are `IPPool`, `IPPoolSpec`, `IPPoolStatus`.
    pub kind: &'static str,
    /// The Go struct of a nested JSON object, by its dotted JSON path (`spec.bgp` →
    /// `NodeBGPSpec`); other objects are named by their key.
    pub structs: &'static [(&'static str, &'static str)],
    /// The Go type of a field, by its dotted JSON path (struct fields only: list indices and
    /// map keys are not part of it).
    pub fields: &'static [GoField],
}

impl GoNames {
    /// A document type with no nested names of its own.
    pub const fn plain(kind: &'static str) -> GoNames {
        GoNames {
            kind,
            structs: &[],
            fields: &[],
        }
    }
}

/// The Go type of one field, for the decoder's messages.
#[derive(Debug, Clone, Copy)]
pub struct GoField {
    /// The dotted JSON path: `spec.allowedUses`.
    pub path: &'static str,
    /// The field's type: `[]v3.IPPoolAllowedUse`.
    pub ty: &'static str,
    /// For a list, its item's type (`v3.IPPoolAllowedUse`), named when a value inside the list
    /// is wrong; `None` names `ty` then too.
    pub item: Option<&'static str>,
}

impl GoField {
    /// A field named by its type whatever is wrong inside it.
    pub const fn new(path: &'static str, ty: &'static str) -> GoField {
        GoField {
            path,
            ty,
            item: None,
        }
    }

    /// A list whose wrong items are named by the item's type.
    pub const fn list(path: &'static str, ty: &'static str, item: &'static str) -> GoField {
        GoField {
            path,
            ty,
            item: Some(item),
        }
    }
}
