//! The pod and its namespace read from the Kubernetes API for an ADD, as Calico's plugin
//! reads them: when the network configuration names a kubeconfig (`kubernetes.kubeconfig`),
//! or `KUBECONFIG` is set in the plugin's environment (our extension), and the runtime passed
//! a pod (`K8S_POD_NAMESPACE` and `K8S_POD_NAME`). The namespace is read first, then the pod
//! (Calico's order); what they say replaces `args.k8s` of the configuration.
//!
//! A failure is CNI's "try again later" (11), with client-go's words (`pods "web-0" not
//! found`, `Unauthorized`) as the message and what was read from where as details; Calico
//! answers 999 here, our contract asks for 11. A kubeconfig that cannot be used is the
//! configuration's fault (7). Nothing has been written when this runs. DEL never reads the API.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod};

use super::types::{CniError, K8sArgs, codes};
use crate::k8s::{Kube, KubeError, KubeSource};

/// How long connecting to the API server and each read may take: Calico sets none, so a
/// silent server would hang the runtime's ADD; ours fails it with code 11 instead.
const API_TIMEOUT: Duration = Duration::from_secs(10);

/// The pod's controller, from its ownerReference with `controller: true` (for sticky
/// StatefulSet addresses, issue 25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Owner {
    pub(super) api_version: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) uid: String,
}

/// What the API says about the pod.
#[derive(Debug, Default)]
pub(super) struct PodInfo {
    /// Pod annotations, namespace annotations and labels, as `args.k8s` carries them.
    pub(super) k8s: K8sArgs,
    pub(super) owner: Option<Owner>,
}

/// Where the API server is for this plugin: the configuration's kubeconfig, else
/// `KUBECONFIG` (else, as Kubernetes clients do, the in-cluster service account when the
/// plugin runs in a pod).
pub(super) fn source(kubeconfig: Option<&str>) -> Option<KubeSource> {
    KubeSource::resolve(kubeconfig.map(Path::new))
}

/// The pod's controller reference.
pub(super) fn controller_owner(pod: &Pod) -> Option<Owner> {
    pod.metadata
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))
        .map(|o| Owner {
            api_version: o.api_version.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            uid: o.uid.clone(),
        })
}

fn kube_err(e: KubeError, what: &str) -> CniError {
    let code = match e {
        KubeError::Config(_) => codes::INVALID_CONFIG,
        _ => codes::TRY_AGAIN,
    };
    CniError::new(code, e.to_string()).with_details(what.to_string())
}

/// GETs the namespace, then the pod. A namespace that does not exist reads as one without
/// labels or annotations (as Calico's calico-ipam takes it); a pod that does not exist fails.
pub(super) fn read_pod(
    source: &KubeSource,
    namespace: &str,
    pod: &str,
) -> Result<PodInfo, CniError> {
    let place = match source {
        KubeSource::Kubeconfig(path) => format!("kubeconfig {}", path.display()),
        KubeSource::InCluster => "in-cluster configuration".to_string(),
    };
    let kube = Kube::connect_fail_fast(source, API_TIMEOUT).map_err(|e| kube_err(e, &place))?;
    let ns: Option<Namespace> = kube
        .get_cluster(namespace)
        .map_err(|e| kube_err(e, &format!("reading namespace {namespace} ({place})")))?;
    let what = format!("reading pod {namespace}/{pod} ({place})");
    let found: Pod = kube
        .get_namespaced(namespace, pod)
        .map_err(|e| kube_err(e, &what))?
        .ok_or_else(|| {
            CniError::new(codes::TRY_AGAIN, format!("pods \"{pod}\" not found")).with_details(what)
        })?;
    let (namespace_annotations, namespace_labels) = ns
        .map(|n| {
            (
                n.metadata.annotations.unwrap_or_default(),
                n.metadata.labels.unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    Ok(PodInfo {
        owner: controller_owner(&found),
        k8s: K8sArgs {
            annotations: found.metadata.annotations.unwrap_or_default(),
            namespace_annotations,
            namespace_labels,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    #[test]
    fn the_controller_reference_is_the_owner() {
        let mut pod = Pod::default();
        assert_eq!(controller_owner(&pod), None);
        let reference = |name: &str, controller| OwnerReference {
            api_version: "apps/v1".into(),
            kind: "StatefulSet".into(),
            name: name.into(),
            uid: format!("uid-{name}"),
            controller,
            ..Default::default()
        };
        pod.metadata.owner_references = Some(vec![
            reference("not-it", None),
            reference("web", Some(true)),
        ]);
        let owner = controller_owner(&pod).unwrap();
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
            ("StatefulSet", "web", "uid-web")
        );
        assert_eq!(owner.api_version, "apps/v1");
    }
}
