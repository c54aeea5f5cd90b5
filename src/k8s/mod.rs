//! Kubernetes access, the way Kubernetes tools reach the API server: a kubeconfig file (its
//! current context: server, CA data or file, client certificate and key, bearer token or token
//! file), else the in-cluster service account (`KUBERNETES_SERVICE_HOST`,
//! `KUBERNETES_SERVICE_PORT`, `/var/run/secrets/kubernetes.io/serviceaccount/`).
//!
//! The client is kube-rs (`kube` with `k8s-openapi` types). Callers are synchronous programs, so
//! [`Kube`] owns a current-thread runtime and offers blocking calls; a controller that watches
//! runs its own futures with [`Kube::block_on`].

pub(crate) mod floating;

use std::fmt::Debug;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::de::DeserializeOwned;

/// Where the API server's address and credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeSource {
    /// A kubeconfig file; its current context is used.
    Kubeconfig(PathBuf),
    /// The in-cluster service account.
    InCluster,
}

impl KubeSource {
    /// Chooses as Kubernetes tools do: an explicit kubeconfig path, else `KUBECONFIG` (its
    /// first path when it lists several), else the in-cluster service account when
    /// `KUBERNETES_SERVICE_HOST` is set; `None` when nothing says where the API is.
    pub fn resolve(explicit: Option<&Path>) -> Option<KubeSource> {
        if let Some(path) = explicit.filter(|p| !p.as_os_str().is_empty()) {
            return Some(KubeSource::Kubeconfig(path.to_path_buf()));
        }
        if let Some(list) = std::env::var_os("KUBECONFIG")
            && let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty())
        {
            return Some(KubeSource::Kubeconfig(first));
        }
        std::env::var_os("KUBERNETES_SERVICE_HOST")
            .filter(|h| !h.is_empty())
            .map(|_| KubeSource::InCluster)
    }
}

/// Why a Kubernetes call failed, sorted so callers can decide (retry, not found, refused).
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// The kubeconfig or in-cluster configuration cannot be used.
    #[error("invalid Kubernetes client configuration: {0}")]
    Config(String),
    /// The API server could not be reached (connection, TLS, timeout).
    #[error("cannot reach the Kubernetes API server: {0}")]
    Unreachable(String),
    /// The API server answered with a Status failure (401, 403, 404, 410, ...).
    #[error("{message}")]
    Api {
        /// HTTP status code.
        code: u16,
        /// The Status reason (`NotFound`, `Unauthorized`, `Expired`, ...).
        reason: String,
        /// The Status message, as client-go shows it (`pods "web-0" not found`).
        message: String,
    },
    /// The answer could not be decoded.
    #[error("cannot decode the Kubernetes API server's answer: {0}")]
    Decode(String),
}

impl KubeError {
    /// The object does not exist (404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, KubeError::Api { code: 404, .. })
    }

    /// A watch or list asked for a resourceVersion that is too old (410 Gone, `Expired`).
    pub fn is_gone(&self) -> bool {
        matches!(self, KubeError::Api { code: 410, .. })
            || matches!(self, KubeError::Api { reason, .. } if reason == "Expired" || reason == "Gone")
    }

    pub(crate) fn from_kube(e: kube::Error) -> KubeError {
        match e {
            kube::Error::Api(status) => KubeError::Api {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            kube::Error::SerdeError(e) => KubeError::Decode(e.to_string()),
            kube::Error::InferConfig(e) => KubeError::Config(e.to_string()),
            kube::Error::Auth(e) => KubeError::Config(e.to_string()),
            other => KubeError::Unreachable(error_chain(&other)),
        }
    }
}

/// An error and its sources, joined as Go joins wrapped errors (`a: b: c`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// A connected Kubernetes client with its own runtime, for synchronous callers.
pub struct Kube {
    runtime: tokio::runtime::Runtime,
    client: kube::Client,
}

impl Debug for Kube {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kube").finish_non_exhaustive()
    }
}

impl Kube {
    /// Builds a client from `source`. No request is made yet; `timeout` bounds connecting and
    /// each read (a CNI ADD must not hang on a silent API server).
    pub fn connect(source: &KubeSource, timeout: Duration) -> Result<Kube, KubeError> {
        Kube::connect_with(source, timeout, timeout, true)
    }

    /// As [`Kube::connect`], without kube-rs's retries of 429, 503 and 504 answers (up to 15,
    /// backing off to 1000 s): every call gets the server's first answer, as a CNI ADD needs
    /// (it must fail soon with "try again later", not hang the runtime).
    pub fn connect_fail_fast(source: &KubeSource, timeout: Duration) -> Result<Kube, KubeError> {
        Kube::connect_with(source, timeout, timeout, false)
    }

    /// [`Kube::connect`] with separate bounds on connecting and on a silent connection (a
    /// watcher's reads wait as long as the server keeps a watch open), and kube-rs's retries
    /// of 429, 503 and 504 answers on (`retry`) or off.
    pub(crate) fn connect_with(
        source: &KubeSource,
        timeout: Duration,
        read_timeout: Duration,
        retry: bool,
    ) -> Result<Kube, KubeError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| KubeError::Config(format!("cannot start a runtime: {e}")))?;
        let mut config = match source {
            KubeSource::Kubeconfig(path) => {
                let kubeconfig = Kubeconfig::read_from(path).map_err(|e| {
                    KubeError::Config(format!("{}: {}", path.display(), error_chain(&e)))
                })?;
                runtime
                    .block_on(kube::Config::from_custom_kubeconfig(
                        kubeconfig,
                        &KubeConfigOptions::default(),
                    ))
                    .map_err(|e| {
                        KubeError::Config(format!("{}: {}", path.display(), error_chain(&e)))
                    })?
            }
            KubeSource::InCluster => {
                kube::Config::incluster().map_err(|e| KubeError::Config(error_chain(&e)))?
            }
        };
        config.connect_timeout = Some(timeout);
        config.read_timeout = Some(read_timeout);
        config.write_timeout = Some(timeout);
        config.default_retry = retry;
        let client = {
            let _guard = runtime.enter();
            kube::Client::try_from(config).map_err(|e| KubeError::Config(error_chain(&e)))?
        };
        Ok(Kube { runtime, client })
    }

    /// The kube-rs client, for list and watch streams run under [`Kube::block_on`].
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// Runs `future` to completion on this client's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// GETs a namespaced object; `Ok(None)` when it does not exist.
    pub fn get_namespaced<K>(&self, namespace: &str, name: &str) -> Result<Option<K>, KubeError>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Debug,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::namespaced(self.client(), namespace);
        self.block_on(api.get_opt(name))
            .map_err(KubeError::from_kube)
    }

    /// GETs a cluster-scoped object; `Ok(None)` when it does not exist.
    pub fn get_cluster<K>(&self, name: &str) -> Result<Option<K>, KubeError>
    where
        K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope>
            + Clone
            + DeserializeOwned
            + Debug,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::all(self.client());
        self.block_on(api.get_opt(name))
            .map_err(KubeError::from_kube)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_kubeconfig_wins() {
        let got = KubeSource::resolve(Some(Path::new("/etc/cni/net.d/calico-kubeconfig")));
        assert_eq!(
            got,
            Some(KubeSource::Kubeconfig(
                "/etc/cni/net.d/calico-kubeconfig".into()
            ))
        );
    }

    #[test]
    fn a_missing_kubeconfig_file_is_a_config_error_naming_it() {
        let e = Kube::connect(
            &KubeSource::Kubeconfig("/nonexistent/kubeconfig".into()),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(matches!(e, KubeError::Config(_)), "{e:?}");
        assert!(e.to_string().contains("/nonexistent/kubeconfig"), "{e}");
    }

    #[test]
    fn gone_and_not_found_are_recognised() {
        let gone = KubeError::Api {
            code: 410,
            reason: "Expired".into(),
            message: "too old".into(),
        };
        assert!(gone.is_gone() && !gone.is_not_found());
        let missing = KubeError::Api {
            code: 404,
            reason: "NotFound".into(),
            message: "x".into(),
        };
        assert!(missing.is_not_found() && !missing.is_gone());
    }
}
