//! Where the datastore is (`../shared/design/contract.md`, "Choosing the datastore"), as
//! calicoctl decides it: a command-line flag (for `calico-ipam`, a field of the CNI network
//! configuration) first; then the config file, when one is given with `-c` or the default file
//! exists, and the environment is then not read at all (so `-c staging.cfg` can never reach the
//! cluster the shell's variables name); else the environment; else the embedded default.
//!
//! Environment variables are looked up as `CALICO_<NAME>` first, then `<NAME>`, as calicoctl
//! does: `DATASTORE_TYPE`, `ETCD_ENDPOINTS`, `ETCD_USERNAME`, `ETCD_PASSWORD`, `ETCD_KEY_FILE`,
//! `ETCD_CERT_FILE`, `ETCD_CA_CERT_FILE`, and `CALICO_DATASTORE_PATH` for the embedded store.
//! The config file is a `CalicoAPIConfig` document (YAML or JSON, strict).

use crate::datastore::DatastoreConfig;
use crate::datastore::etcd::EtcdConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// calicoctl's default config file.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/calico/calicoctl.cfg";

/// Values given on the command line (or by a CNI network configuration), which win over
/// everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `etcdv3` or `embedded`.
    pub datastore_type: Option<String>,
    /// Comma-separated etcd URLs.
    pub etcd_endpoints: Option<String>,
    /// etcd user.
    pub etcd_username: Option<String>,
    /// etcd password.
    pub etcd_password: Option<String>,
    /// etcd client key.
    pub etcd_key_file: Option<String>,
    /// etcd client certificate.
    pub etcd_cert_file: Option<String>,
    /// etcd CA bundle.
    pub etcd_ca_cert_file: Option<String>,
    /// The embedded store's file.
    pub datastore_path: Option<String>,
    /// Per-request timeout for etcd.
    pub timeout: Option<Duration>,
    /// A one-shot command (calicoctl, calico-ipam), not an agent: see
    /// [`EtcdConfig::fail_fast`].
    pub fail_fast: bool,
}

/// Why the configuration could not be resolved. Messages are calicoctl's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `-c` names a file that cannot be read (not the default path).
    #[error("Error reading config file: {0}")]
    Unreadable(String),
    /// The file is not valid YAML/JSON, or has unknown keys.
    #[error("syntax error in {file}: failed to parse config as YAML/JSON: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// Wrong apiVersion or kind.
    #[error("syntax error in {file}: invalid config file: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A datastore type we do not know.
    #[error("unknown datastore type: {0}")]
    UnknownType(String),
    /// `kubernetes`: Calico's Kubernetes API datastore (KDD), which this product lacks.
    #[error(
        "datastore type kubernetes (Calico's Kubernetes API datastore) is not supported: use etcdv3 or embedded"
    )]
    Kubernetes,
    /// etcd chosen without endpoints.
    #[error("no etcd endpoints specified")]
    NoEndpoints,
    /// A setting this build does not support.
    #[error("{0}")]
    Unsupported(String),
    /// No home directory to put the default store in.
    #[error(
        "cannot find a place for the embedded datastore: set CALICO_DATASTORE_PATH, XDG_DATA_HOME or HOME"
    )]
    NoHome,
}

/// The `CalicoAPIConfig` file format.
#[derive(Debug, Deserialize)]
// Unknown fields are found by `model::decode` as it decodes (Calico's strict reading).
struct ConfigFile {
    #[serde(default, rename = "apiVersion")]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    #[serde(default)]
    spec: ConfigFileSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFileSpec {
    #[serde(default)]
    datastore_type: String,
    #[serde(default)]
    etcd_endpoints: String,
    #[serde(default)]
    etcd_discovery_srv: String,
    #[serde(default)]
    etcd_username: String,
    #[serde(default)]
    etcd_password: String,
    #[serde(default)]
    etcd_key_file: String,
    #[serde(default)]
    etcd_cert_file: String,
    #[serde(default, rename = "etcdCACertFile")]
    etcd_ca_cert_file: String,
    #[serde(default)]
    etcd_key: String,
    #[serde(default)]
    etcd_cert: String,
    #[serde(default, rename = "etcdCACert")]
    etcd_ca_cert: String,
    #[serde(default)]
    datastore_path: String,
    #[serde(default)]
    kubeconfig: String,
    #[serde(default, rename = "k8sAPIEndpoint")]
    k8s_api_endpoint: String,
}

/// Reads an environment variable as calicoctl does: `CALICO_<name>` first, then `<name>`.
/// Empty values count as unset.
pub fn env(name: &str) -> Option<String> {
    env_in(name, &|k| std::env::var(k).ok())
}

/// [`env`] over the variables `vars` gives.
fn env_in(name: &str, vars: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let prefixed = if name.starts_with("CALICO_") {
        None
    } else {
        vars(&format!("CALICO_{name}"))
    };
    prefixed.or_else(|| vars(name)).filter(|v| !v.is_empty())
}

/// A decoding error's message without the offending value: serde quotes it ("invalid type:
/// integer `123`, expected a string"), and the value may be a password given with the wrong
/// type. The kind stays ("invalid type: integer, expected a string").
pub(crate) fn redact_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        let Some(start) = message.find(prefix) else {
            continue;
        };
        let rest = &message[start + prefix.len()..];
        let Some(end) = rest.find(", expected") else {
            continue;
        };
        let unexpected = &rest[..end];
        let Some(quote) = unexpected.find(['`', '"']) else {
            continue;
        };
        return format!(
            "{}{prefix}{}{}",
            &message[..start],
            unexpected[..quote].trim_end(),
            &rest[end..]
        );
    }
    message.to_string()
}

fn read_file(path: &Path, explicit: bool) -> Result<Option<ConfigFileSpec>, ConfigError> {
    let file = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(_) if !explicit => return Ok(None),
        Err(_) => return Err(ConfigError::Unreadable(file)),
    };
    let value: serde_json::Value =
        serde_yaml::from_str(&text).map_err(|e| ConfigError::Syntax {
            file: file.clone(),
            message: crate::model::yaml_error(&e),
        })?;
    // As calicoctl reads it: its YAML conversion, strict, no values in messages (passwords).
    let parsed: ConfigFile = crate::model::decode_document(value, "CalicoAPIConfig", false)
        .map_err(|e| ConfigError::Syntax {
            file: file.clone(),
            message: e.to_string(),
        })?;
    if parsed.api_version != crate::model::API_VERSION {
        return Err(ConfigError::Invalid {
            file,
            message: format!("unknown APIVersion '{}'", parsed.api_version),
        });
    }
    if parsed.kind != "CalicoAPIConfig" {
        return Err(ConfigError::Invalid {
            file,
            message: format!("expected kind 'CalicoAPIConfig', got '{}'", parsed.kind),
        });
    }
    let _ = parsed.metadata;
    Ok(Some(parsed.spec))
}

/// The embedded store's default file: `$XDG_DATA_HOME/calico/datastore.db`, else
/// `~/.local/share/calico/datastore.db`.
pub(crate) fn default_datastore_path() -> Result<PathBuf, ConfigError> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("calico").join("datastore.db"));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .ok_or(ConfigError::NoHome)?;
    Ok(PathBuf::from(home).join(".local/share/calico/datastore.db"))
}

/// Resolves the datastore from the overrides (flags), the config file (`config_file`, given
/// with `-c`; else [`DEFAULT_CONFIG_FILE`] when it exists), the environment (only when there is
/// no config file) and the embedded default.
pub fn resolve(
    overrides: &Overrides,
    config_file: Option<&Path>,
) -> Result<DatastoreConfig, ConfigError> {
    resolve_from(
        overrides,
        config_file,
        Path::new(DEFAULT_CONFIG_FILE),
        &|k| std::env::var(k).ok(),
    )
}

/// [`resolve`] with the default config file and the environment's variables given (tests).
fn resolve_from(
    overrides: &Overrides,
    config_file: Option<&Path>,
    default_file: &Path,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<DatastoreConfig, ConfigError> {
    // A `-c` naming the default file is not an error when that file is missing (calicoctl).
    let file = match config_file {
        Some(p) => read_file(p, p != default_file)?,
        None => read_file(default_file, false)?,
    };
    // Where a setting no flag gives comes from: the file when there is one, else the
    // environment; never both.
    let use_env = file.is_none();
    let file = file.unwrap_or_default();
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let pick = |flag: &Option<String>, env_name: &str, from_file: &str| {
        flag.clone().filter(|v| !v.is_empty()).or_else(|| {
            if use_env {
                env_in(env_name, vars)
            } else {
                nonempty(from_file)
            }
        })
    };
    let endpoints = pick(
        &overrides.etcd_endpoints,
        "ETCD_ENDPOINTS",
        &file.etcd_endpoints,
    );
    let kind = pick(
        &overrides.datastore_type,
        "DATASTORE_TYPE",
        &file.datastore_type,
    );
    let kind = match kind {
        Some(k) => k,
        None if endpoints.is_some() => "etcdv3".to_string(),
        None => "embedded".to_string(),
    };
    let _ = (&file.kubeconfig, &file.k8s_api_endpoint);
    match kind.as_str() {
        "etcdv3" => {
            if !file.etcd_discovery_srv.is_empty() {
                return Err(ConfigError::Unsupported(
                    "etcdDiscoverySrv is not supported: list the endpoints in etcdEndpoints".into(),
                ));
            }
            let inline = [&file.etcd_key, &file.etcd_cert, &file.etcd_ca_cert];
            if inline.iter().any(|v| !v.is_empty()) {
                let files = [
                    &file.etcd_key_file,
                    &file.etcd_cert_file,
                    &file.etcd_ca_cert_file,
                ];
                return Err(ConfigError::Unsupported(
                    if files.iter().any(|v| !v.is_empty()) {
                        "Cannot mix inline certificate-key and certificate / key files".into()
                    } else {
                        "inline certificates (etcdKey, etcdCert, etcdCACert) are not supported: use etcdKeyFile, etcdCertFile and etcdCACertFile".into()
                    },
                ));
            }
            let endpoints: Vec<String> = endpoints
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if endpoints.is_empty() {
                return Err(ConfigError::NoEndpoints);
            }
            let path = |flag: &Option<String>, env_name: &str, from_file: &str| {
                pick(flag, env_name, from_file).map(PathBuf::from)
            };
            Ok(DatastoreConfig::Etcd(EtcdConfig {
                endpoints,
                username: pick(
                    &overrides.etcd_username,
                    "ETCD_USERNAME",
                    &file.etcd_username,
                ),
                password: pick(
                    &overrides.etcd_password,
                    "ETCD_PASSWORD",
                    &file.etcd_password,
                ),
                key_file: path(
                    &overrides.etcd_key_file,
                    "ETCD_KEY_FILE",
                    &file.etcd_key_file,
                ),
                cert_file: path(
                    &overrides.etcd_cert_file,
                    "ETCD_CERT_FILE",
                    &file.etcd_cert_file,
                ),
                ca_cert_file: path(
                    &overrides.etcd_ca_cert_file,
                    "ETCD_CA_CERT_FILE",
                    &file.etcd_ca_cert_file,
                ),
                timeout: overrides.timeout.unwrap_or(Duration::from_secs(10)),
                connect_timeout: overrides
                    .timeout
                    .map_or(Duration::from_secs(5), |t| t.min(Duration::from_secs(5))),
                fail_fast: overrides.fail_fast,
            }))
        }
        "embedded" => Ok(
            match pick(
                &overrides.datastore_path,
                "CALICO_DATASTORE_PATH",
                &file.datastore_path,
            ) {
                Some(p) => DatastoreConfig::Embedded {
                    path: PathBuf::from(p),
                    explicit: true,
                },
                None => DatastoreConfig::Embedded {
                    path: default_datastore_path()?,
                    explicit: false,
                },
            },
        ),
        "memory" => Ok(DatastoreConfig::Memory),
        "kubernetes" => Err(ConfigError::Kubernetes),
        other => Err(ConfigError::UnknownType(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_errors_do_not_quote_values() {
        for (from, to) in [
            (
                "invalid type: integer `987654321`, expected a string at line 1 column 5",
                "invalid type: integer, expected a string at line 1 column 5",
            ),
            (
                "spec: invalid type: string \"s3cret\", expected a sequence",
                "spec: invalid type: string, expected a sequence",
            ),
            (
                "invalid value: floating point `1.5`, expected u32",
                "invalid value: floating point, expected u32",
            ),
            (
                "invalid type: sequence, expected a string",
                "invalid type: sequence, expected a string",
            ),
            (
                "unknown field `bogus`, expected one of `a`",
                "unknown field `bogus`, expected one of `a`",
            ),
        ] {
            assert_eq!(redact_values(from), to);
        }
    }

    /// An environment of the given variables only.
    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    const PRODUCTION: &[(&str, &str)] = &[
        ("DATASTORE_TYPE", "etcdv3"),
        ("ETCD_ENDPOINTS", "http://127.0.0.1:1"),
        ("ETCD_USERNAME", "prod"),
        ("CALICO_DATASTORE_PATH", "/env/datastore.db"),
    ];

    fn embedded(path: &str, explicit: bool) -> DatastoreConfig {
        DatastoreConfig::Embedded {
            path: path.into(),
            explicit,
        }
    }

    fn write_cfg(dir: &Path, name: &str, spec: &str) -> PathBuf {
        let f = dir.join(name);
        std::fs::write(
            &f,
            format!("apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n{spec}"),
        )
        .unwrap();
        f
    }

    #[test]
    fn precedence_flags_then_file_then_environment_then_default() {
        let dir = tempfile::tempdir().unwrap();
        let staging = write_cfg(
            dir.path(),
            "staging.cfg",
            "  datastoreType: embedded\n  datastorePath: /staging/datastore.db\n",
        );
        let no_default = dir.path().join("no-default.cfg");
        let none = Overrides::default();
        let env = env_of(PRODUCTION);
        // The file given with -c wins over the environment.
        assert_eq!(
            resolve_from(&none, Some(&staging), &no_default, &env).unwrap(),
            embedded("/staging/datastore.db", true)
        );
        // So does the default file when it exists, and no -c is given.
        assert_eq!(
            resolve_from(&none, None, &staging, &env).unwrap(),
            embedded("/staging/datastore.db", true)
        );
        // A flag wins over the file.
        let flag = Overrides {
            datastore_path: Some("/flag/datastore.db".into()),
            ..Overrides::default()
        };
        assert_eq!(
            resolve_from(&flag, Some(&staging), &no_default, &env).unwrap(),
            embedded("/flag/datastore.db", true)
        );
        let flag_type = Overrides {
            datastore_type: Some("etcdv3".into()),
            etcd_endpoints: Some("http://10.0.0.9:2379".into()),
            ..Overrides::default()
        };
        match resolve_from(&flag_type, Some(&staging), &no_default, &env).unwrap() {
            DatastoreConfig::Etcd(c) => {
                assert_eq!(c.endpoints, ["http://10.0.0.9:2379"]);
                // The environment is not read while there is a file: no production user.
                assert_eq!(c.username, None);
            }
            other => panic!("{other:?}"),
        }
        // With a file, the environment is not read at all: what the file leaves unset takes
        // its default, not the variable.
        let bare = write_cfg(dir.path(), "bare.cfg", "  datastoreType: embedded\n");
        assert_eq!(
            resolve_from(&none, Some(&bare), &no_default, &env).unwrap(),
            embedded(default_datastore_path().unwrap().to_str().unwrap(), false)
        );
        let etcd_file = write_cfg(
            dir.path(),
            "etcd.cfg",
            "  etcdEndpoints: http://10.0.0.1:2379\n",
        );
        match resolve_from(&none, Some(&etcd_file), &no_default, &env).unwrap() {
            DatastoreConfig::Etcd(c) => {
                assert_eq!(c.endpoints, ["http://10.0.0.1:2379"]);
                assert_eq!(c.username, None);
            }
            other => panic!("{other:?}"),
        }
        // Without a file (none given, no default file): the environment.
        match resolve_from(&none, None, &no_default, &env).unwrap() {
            DatastoreConfig::Etcd(c) => {
                assert_eq!(c.endpoints, ["http://127.0.0.1:1"]);
                assert_eq!(c.username.as_deref(), Some("prod"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            resolve_from(
                &none,
                None,
                &no_default,
                &env_of(&[("CALICO_DATASTORE_PATH", "/env/datastore.db")])
            )
            .unwrap(),
            embedded("/env/datastore.db", true)
        );
        // A flag still wins over the environment.
        assert_eq!(
            resolve_from(
                &Overrides {
                    datastore_type: Some("embedded".into()),
                    ..flag.clone()
                },
                None,
                &no_default,
                &env
            )
            .unwrap(),
            embedded("/flag/datastore.db", true)
        );
        // Nothing at all: the embedded default, whose directories a writer may create.
        assert_eq!(
            resolve_from(&none, None, &no_default, &env_of(&[])).unwrap(),
            embedded(default_datastore_path().unwrap().to_str().unwrap(), false)
        );
        // -c naming the default path, missing: the environment, as calicoctl.
        assert!(matches!(
            resolve_from(&none, Some(&no_default), &no_default, &env).unwrap(),
            DatastoreConfig::Etcd(_)
        ));
    }

    #[test]
    fn a_given_file_that_cannot_be_read_or_parsed_is_an_error_whatever_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let no_default = dir.path().join("no-default.cfg");
        let env = env_of(PRODUCTION);
        let none = Overrides::default();
        let missing = dir.path().join("missing.cfg");
        assert_eq!(
            resolve_from(&none, Some(&missing), &no_default, &env),
            Err(ConfigError::Unreadable(missing.display().to_string()))
        );
        // A directory cannot be read either.
        assert_eq!(
            resolve_from(&none, Some(dir.path()), &no_default, &env),
            Err(ConfigError::Unreadable(dir.path().display().to_string()))
        );
        let broken = dir.path().join("broken.cfg");
        std::fs::write(&broken, "apiVersion: [\n").unwrap();
        assert!(matches!(
            resolve_from(&none, Some(&broken), &no_default, &env),
            Err(ConfigError::Syntax { .. })
        ));
        // A broken default file is an error too, not a fall-back to the environment.
        assert!(matches!(
            resolve_from(&none, None, &broken, &env),
            Err(ConfigError::Syntax { .. })
        ));
    }

    #[test]
    fn kubernetes_is_refused_naming_what_is_supported() {
        let dir = tempfile::tempdir().unwrap();
        let no_default = dir.path().join("no-default.cfg");
        let expected = "datastore type kubernetes (Calico's Kubernetes API datastore) is not \
                        supported: use etcdv3 or embedded";
        let file = write_cfg(dir.path(), "kdd.cfg", "  datastoreType: kubernetes\n");
        let flag = Overrides {
            datastore_type: Some("kubernetes".into()),
            ..Overrides::default()
        };
        for result in [
            resolve_from(
                &Overrides::default(),
                None,
                &no_default,
                &env_of(&[("DATASTORE_TYPE", "kubernetes")]),
            ),
            resolve_from(
                &Overrides::default(),
                None,
                &no_default,
                &env_of(&[("CALICO_DATASTORE_TYPE", "kubernetes")]),
            ),
            resolve_from(
                &Overrides::default(),
                Some(&file),
                &no_default,
                &env_of(&[]),
            ),
            resolve_from(&flag, None, &no_default, &env_of(&[])),
        ] {
            assert_eq!(result.unwrap_err().to_string(), expected);
        }
        assert_eq!(
            resolve_from(
                &Overrides {
                    datastore_type: Some("bogus".into()),
                    ..Overrides::default()
                },
                None,
                &no_default,
                &env_of(&[])
            )
            .unwrap_err()
            .to_string(),
            "unknown datastore type: bogus"
        );
    }

    #[test]
    fn file_and_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.cfg");
        std::fs::write(
            &f,
            "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: http://10.0.0.1:2379,http://10.0.0.2:2379\n",
        )
        .unwrap();
        match resolve(&Overrides::default(), Some(&f)).unwrap() {
            DatastoreConfig::Etcd(c) => assert_eq!(c.endpoints.len(), 2),
            other => panic!("{other:?}"),
        }
        let o = Overrides {
            datastore_type: Some("embedded".into()),
            datastore_path: Some("/tmp/x.db".into()),
            ..Overrides::default()
        };
        assert_eq!(
            resolve(&o, Some(&f)).unwrap(),
            DatastoreConfig::Embedded {
                path: "/tmp/x.db".into(),
                explicit: true,
            }
        );
        std::fs::write(&f, "apiVersion: v1\nkind: CalicoAPIConfig\n").unwrap();
        assert_eq!(
            resolve(&Overrides::default(), Some(&f))
                .unwrap_err()
                .to_string(),
            format!(
                "syntax error in {}: invalid config file: unknown APIVersion 'v1'",
                f.display()
            )
        );
        std::fs::write(
            &f,
            "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n  bogus: 1\n",
        )
        .unwrap();
        assert!(
            resolve(&Overrides::default(), Some(&f))
                .unwrap_err()
                .to_string()
                .ends_with(
                    "error parsing document: field in document is not recognized or is in the \
                     wrong location: bogus"
                )
        );
        assert_eq!(
            resolve(&Overrides::default(), Some(&dir.path().join("missing")))
                .unwrap_err()
                .to_string(),
            format!(
                "Error reading config file: {}",
                dir.path().join("missing").display()
            )
        );
    }
}
