//! The `cni.projectcalico.org/floatingIPs` pod annotation, read by the CNI plugin at ADD and by
//! `calico-kube-controllers` when it changes later: a JSON list of addresses, each inside an
//! IPPool, each mapped to the pod's address of the same family (an endpoint's `ipNATs`).

use crate::model::workloadendpoint::IpNat;
use crate::model::{Cidr, IpPool};
use std::net::IpAddr;

/// Pod annotation: floating IPs.
pub(crate) const ANN_FLOATING_IPS: &str = "cni.projectcalico.org/floatingIPs";

/// The annotation's floating IPs, in order, each inside one of `pools`; otherwise Calico's
/// words: `failed to parse '<v>' as JSON: <Go's error>`, `invalid IP format: <entry>`, `floating
/// IP <ip> is not within a configured IP pool`.
pub(crate) fn parse_floating_ips(value: &str, pools: &[IpPool]) -> Result<Vec<IpAddr>, String> {
    let list = crate::go::json::string_list(value)
        .map_err(|e| format!("failed to parse '{value}' as JSON: {e}"))?;
    let mut out = Vec::with_capacity(list.len());
    for f in list {
        let ip: IpAddr = f.parse().map_err(|_| format!("invalid IP format: {f}"))?;
        if !pools
            .iter()
            .filter_map(IpPool::cidr)
            .any(|c| c.contains_ip(ip))
        {
            return Err(format!(
                "floating IP {ip} is not within a configured IP pool"
            ));
        }
        out.push(ip);
    }
    Ok(out)
}

/// The NAT of each floating IP to the pod's first address of the same family (none for a
/// family it has no address of yet).
pub(crate) fn floating_nats(on_endpoint: &[Cidr], floating: &[IpAddr]) -> Vec<IpNat> {
    floating
        .iter()
        .filter_map(|f| {
            let internal = on_endpoint.iter().find(|a| a.is_ipv4() == f.is_ipv4())?;
            Some(IpNat {
                internal_ip: internal.addr().to_string(),
                external_ip: f.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annotation_parses_in_calicos_words() {
        let pools = [IpPool::new("p", "10.1.0.0/16")];
        assert_eq!(
            parse_floating_ips("[1]", &pools).unwrap_err(),
            "failed to parse '[1]' as JSON: json: cannot unmarshal number into Go value of type string"
        );
        assert_eq!(
            parse_floating_ips(r#"["nope"]"#, &pools).unwrap_err(),
            "invalid IP format: nope"
        );
        assert_eq!(
            parse_floating_ips(r#"["10.2.0.1"]"#, &pools).unwrap_err(),
            "floating IP 10.2.0.1 is not within a configured IP pool"
        );
        let ips = parse_floating_ips(r#"["10.1.0.9","10.1.0.8"]"#, &pools).unwrap();
        assert_eq!(
            ips,
            [
                "10.1.0.9".parse::<IpAddr>().unwrap(),
                "10.1.0.8".parse().unwrap()
            ]
        );
        assert!(parse_floating_ips("null", &pools).unwrap().is_empty());
    }

    #[test]
    fn each_floating_ip_maps_to_the_pod_address_of_its_family() {
        let on = [
            Cidr::parse("10.0.0.5/32").unwrap(),
            Cidr::parse("fd00::5/128").unwrap(),
        ];
        let nats = floating_nats(
            &on,
            &["10.1.0.9".parse().unwrap(), "fd01::9".parse().unwrap()],
        );
        assert_eq!(nats[0].internal_ip, "10.0.0.5");
        assert_eq!(nats[1].internal_ip, "fd00::5");
        assert_eq!(nats[1].external_ip, "fd01::9");
        assert!(floating_nats(&on[..1], &["fd01::9".parse().unwrap()]).is_empty());
    }
}
