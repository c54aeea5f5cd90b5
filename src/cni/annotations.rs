//! What the pod's and namespace's annotations ask for: fixed addresses (`ipAddrs`,
//! `ipAddrsNoIpam`), pools (`ipv4pools`, `ipv6pools`) and floating IPs (`floatingIPs`).

use super::plugin::Plugin;
use super::types::{CniError, codes};
use crate::model::{Cidr, IpPool};
use std::net::IpAddr;

use crate::k8s::floating::ANN_FLOATING_IPS;
pub(super) use crate::k8s::floating::floating_nats;

/// Pod annotation: fixed addresses.
pub(crate) const ANN_IP_ADDRS: &str = "cni.projectcalico.org/ipAddrs";

/// Pod annotation: fixed addresses without IPAM.
pub(crate) const ANN_IP_ADDRS_NO_IPAM: &str = "cni.projectcalico.org/ipAddrsNoIpam";

/// Pod or namespace annotation: IPv4 pools.
pub(crate) const ANN_IPV4_POOLS: &str = "cni.projectcalico.org/ipv4pools";

/// Pod or namespace annotation: IPv6 pools.
pub(crate) const ANN_IPV6_POOLS: &str = "cni.projectcalico.org/ipv6pools";

/// Pod annotation (from a StatefulSet's pod template): the pod keeps its addresses for its
/// sticky identity (issue 25, [`crate::ipam::sticky`]).
pub(crate) const ANN_STICKY: &str = "cni.projectcalico.org/sticky";

/// Pod annotation of a sticky pod: the addresses of each ordinal, in ordinal order.
pub(crate) const ANN_IP_ADDRS_BY_ORDINAL: &str = "cni.projectcalico.org/ipAddrsByOrdinal";

/// A JSON-list annotation's value, decoded as Go's `json.Unmarshal` into a `[]string`, failing
/// with Calico's words for that annotation: `ipAddrs` and `ipAddrsNoIpam` `failed to parse IPs
/// <v> for annotation "<a>": failed to parse '<v>' as JSON: <Go's error>`, `ipv4pools` and
/// `ipv6pools` Go's error alone
/// (Calico returns it unwrapped; the annotation is named in the details).
fn parse_json_list(annotation: &str, value: &str) -> Result<Vec<String>, CniError> {
    crate::go::json::string_list(value).map_err(|e| {
        let as_json = format!("failed to parse '{value}' as JSON: {e}");
        match annotation {
            ANN_IP_ADDRS | ANN_IP_ADDRS_NO_IPAM => CniError::new(
                codes::INVALID_CONFIG,
                format!("failed to parse IPs {value} for annotation \"{annotation}\": {as_json}"),
            ),
            _ => CniError::new(codes::INVALID_CONFIG, e)
                .with_details(format!("annotation {annotation}")),
        }
    })
}

/// Refuses floating IPs of a family the pod has (or will have) no address of.
pub(super) fn check_floating_families(
    floating: &[IpAddr],
    has4: bool,
    has6: bool,
) -> Result<(), CniError> {
    match floating
        .iter()
        .find(|f| !if f.is_ipv4() { has4 } else { has6 })
    {
        Some(f) => Err(CniError::new(
            codes::INVALID_CONFIG,
            format!("floating IP {f} has no pod address of the same IP version"),
        )),
        None => Ok(()),
    }
}

impl<'a> Plugin<'a> {
    pub(super) fn annotation(&self, key: &str) -> Option<&str> {
        self.k8s.annotations.get(key).map(String::as_str)
    }

    /// Pod annotation, then namespace annotation, then the configuration.
    pub(super) fn pools_for(
        &self,
        key: &str,
        configured: &[String],
    ) -> Result<Vec<String>, CniError> {
        if let Some(v) = self.annotation(key) {
            return parse_json_list(key, v);
        }
        if let Some(v) = self.k8s.namespace_annotations.get(key) {
            return parse_json_list(key, v);
        }
        Ok(configured.to_vec())
    }

    /// Resolves pool names or CIDRs to pool CIDRs of the given family.
    pub(super) fn resolve_pools(
        &self,
        names: &[String],
        version: u8,
        pools: &[IpPool],
    ) -> Result<Vec<Cidr>, CniError> {
        let mut out = Vec::new();
        for p in names {
            let cidr = match Cidr::parse(p) {
                Ok(c) => c,
                Err(_) => match pools
                    .iter()
                    .find(|pool| pool.metadata.name == *p)
                    .and_then(IpPool::cidr)
                {
                    Some(c) => c,
                    None => {
                        return Err(CniError::new(
                            codes::IPAM_FAILURE,
                            format!(
                                "error parsing pool \"{p}\": resource does not exist: IPPool({p}) with error: <nil>"
                            ),
                        ));
                    }
                },
            };
            if cidr.version() != version {
                return Err(CniError::new(
                    codes::IPAM_FAILURE,
                    format!("\"{}\" isn't a IPv{version} address", cidr.addr()),
                ));
            }
            out.push(cidr);
        }
        Ok(out)
    }

    /// The pod's floating IPs: allowed only with `feature_control.floating_ips`, each inside
    /// a configured pool.
    pub(super) fn floating_ips(&self, pools: &[IpPool]) -> Result<Vec<IpAddr>, CniError> {
        let Some(v) = self.annotation(ANN_FLOATING_IPS) else {
            return Ok(Vec::new());
        };
        if !self.conf.feature_control.floating_ips {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                "requested feature is not enabled: floating_ips",
            ));
        }
        crate::k8s::floating::parse_floating_ips(v, pools)
            .map_err(|e| CniError::new(codes::INVALID_CONFIG, e))
    }

    pub(super) fn parse_ip_addrs(
        &self,
        annotation: &str,
        value: &str,
    ) -> Result<Vec<IpAddr>, CniError> {
        let list = parse_json_list(annotation, value)?;
        if list.is_empty() {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!("annotation \"{annotation}\" specified but empty"),
            ));
        }
        let mut ips = Vec::new();
        let (mut v4, mut v6) = (0, 0);
        for s in &list {
            let ip: IpAddr = s.parse().map_err(|_| {
                CniError::new(codes::INVALID_CONFIG, format!("invalid IP format: {s}"))
            })?;
            if ip.is_ipv4() {
                v4 += 1;
            } else {
                v6 += 1;
            }
            ips.push(ip);
        }
        if v4 > 1 {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!("cannot have more than one IPv4 address for \"{annotation}\" annotation"),
            ));
        }
        if v6 > 1 {
            return Err(CniError::new(
                codes::INVALID_CONFIG,
                format!("cannot have more than one IPv6 address for \"{annotation}\" annotation"),
            ));
        }
        Ok(ips)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_annotations_fail_in_calicos_words() {
        let msg =
            |annotation: &str, value: &str| parse_json_list(annotation, value).unwrap_err().msg;
        assert_eq!(
            msg(ANN_IP_ADDRS, "10.20.0.8"),
            "failed to parse IPs 10.20.0.8 for annotation \"cni.projectcalico.org/ipAddrs\": \
             failed to parse '10.20.0.8' as JSON: invalid character '.' after top-level value"
        );
        assert_eq!(
            msg(ANN_IP_ADDRS_NO_IPAM, r#""10.20.0.8""#),
            "failed to parse IPs \"10.20.0.8\" for annotation \
             \"cni.projectcalico.org/ipAddrsNoIpam\": failed to parse '\"10.20.0.8\"' as JSON: \
             json: cannot unmarshal string into Go value of type []string"
        );
        assert_eq!(
            msg(ANN_IPV4_POOLS, "[\"a\""),
            "unexpected end of JSON input"
        );
        assert_eq!(
            parse_json_list(ANN_IPV6_POOLS, "null").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            parse_json_list(ANN_IP_ADDRS, r#"["10.0.0.1",null]"#).unwrap(),
            vec!["10.0.0.1".to_string(), String::new()]
        );
    }
}
