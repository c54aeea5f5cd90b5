//! Calico's `numorstring` values of policy rules: a protocol (a name or a number) and a port
//! (a number, a `min:max` range or a named port), with the JSON forms and messages of
//! `github.com/projectcalico/api/pkg/lib/numorstring`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::decode::OWN_ERROR;

/// `numorstring.Protocol`: a number written as one (or as a numeric string) is a number;
/// any other string is kept as written, for validation to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// A protocol number.
    Num(u8),
    /// A protocol name (`TCP`, `UDP`, `ICMP`, `ICMPv6`, `SCTP`, `UDPLite` are valid).
    Name(String),
}

/// The protocol names Calico v3 accepts, case-sensitively.
const PROTOCOL_NAMES: [&str; 6] = ["TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite"];

impl Protocol {
    /// Go's `String()`: the name, or the number in decimal.
    pub(crate) fn text(&self) -> String {
        match self {
            Protocol::Num(n) => n.to_string(),
            Protocol::Name(s) => s.clone(),
        }
    }

    /// Calico's `SupportsPorts`: TCP, UDP and SCTP by name (v1 lower-case names too) or number.
    pub(crate) fn supports_ports(&self) -> bool {
        match self {
            Protocol::Num(n) => matches!(n, 6 | 17 | 132),
            Protocol::Name(s) => {
                matches!(s.as_str(), "TCP" | "UDP" | "tcp" | "udp" | "SCTP" | "sctp")
            }
        }
    }

    /// True for the protocol named `name` exactly (Go compares the struct, so `6` is not
    /// `TCP`).
    pub(crate) fn is_named(&self, name: &str) -> bool {
        matches!(self, Protocol::Name(s) if s == name)
    }

    /// Calico's protocol check: `(field, value, reason)` when invalid.
    pub(crate) fn problem(&self) -> Option<(String, &'static str)> {
        match self {
            Protocol::Num(0) => Some(("0".into(), "protocol number invalid")),
            Protocol::Num(_) => None,
            Protocol::Name(s) if PROTOCOL_NAMES.contains(&s.as_str()) => None,
            Protocol::Name(s) => Some((s.clone(), "protocol name invalid")),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Protocol::Num(n) => s.serialize_u8(*n),
            Protocol::Name(name) => s.serialize_str(name),
        }
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Protocol, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Protocol;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a protocol name or number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Protocol, E> {
                u8::try_from(v).map(Protocol::Num).map_err(|_| {
                    E::custom(format!(
                        "{OWN_ERROR}json: cannot unmarshal number {v} into Go value of type uint8"
                    ))
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Protocol, E> {
                Err(E::custom(format!(
                    "{OWN_ERROR}json: cannot unmarshal number {v} into Go value of type uint8"
                )))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Protocol, E> {
                Ok(match v.parse::<u8>() {
                    Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => Protocol::Num(n),
                    _ => Protocol::Name(v.to_string()),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `numorstring.Port`: a single port, a range or a named port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Port {
    /// The first port of the range.
    pub(crate) min: u16,
    /// The last port of the range.
    pub(crate) max: u16,
    /// A named port (then `min` and `max` are 0).
    pub(crate) name: String,
}

impl Port {
    /// Go's `PortFromString`, with its messages.
    pub(crate) fn parse(s: &str) -> Result<Port, String> {
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if digits(s) {
            return s
                .parse::<u16>()
                .map(|n| Port {
                    min: n,
                    max: n,
                    name: String::new(),
                })
                .map_err(|_| format!("invalid port format ({s})"));
        }
        if let Some((lo, hi)) = s.split_once(':')
            && digits(lo)
            && digits(hi)
        {
            let min = lo
                .parse::<u16>()
                .map_err(|_| format!("invalid minimum port number in range ({s})"))?;
            let max = hi
                .parse::<u16>()
                .map_err(|_| format!("invalid maximum port number in range ({s})"))?;
            if min > max {
                return Err(format!(
                    "minimum port number ({min}) is greater than maximum port number ({max}) in port range"
                ));
            }
            return Ok(Port {
                min,
                max,
                name: String::new(),
            });
        }
        let name_ok = (1..=128).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !name_ok {
            return Err(format!("invalid name for named port ({s})"));
        }
        Ok(Port {
            min: 0,
            max: 0,
            name: s.to_string(),
        })
    }

    /// Go's `String()`: `80`, `80:90` or the name.
    pub(crate) fn text(&self) -> String {
        if !self.name.is_empty() {
            self.name.clone()
        } else if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}:{}", self.min, self.max)
        }
    }

    /// Calico's port checks (`validatePort`, and `portName` on the name): `(field, value,
    /// reason)` of each failure, in Calico's order.
    pub(crate) fn problems(&self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if !self.name.is_empty() && !port_name_ok(&self.name) {
            out.push((
                "PortName",
                self.name.clone(),
                "Reason: failed to validate Field: PortName because of Tag: portName ".to_string(),
            ));
        }
        if self.min > self.max {
            out.push(("Port", self.max.to_string(), "port range invalid".into()));
        }
        const RANGE: &str = "port range invalid, port number must be between 1 and 65535";
        if !self.name.is_empty() {
            if self.min != 0 || self.max != 0 {
                out.push((
                    "Port",
                    self.name.clone(),
                    "named port invalid, if name is specified, min and max should be 0".into(),
                ));
            }
        } else if self.min < 1 {
            out.push(("Port", self.min.to_string(), RANGE.into()));
        } else if self.max < 1 {
            out.push(("Port", self.max.to_string(), RANGE.into()));
        }
        out
    }
}

/// Kubernetes' `IsValidPortName`: at most 15 characters, lower-case letters, digits and
/// single inner hyphens, at least one letter.
pub(crate) fn port_name_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 15
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.iter().any(|c| c.is_ascii_lowercase())
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

impl Serialize for Port {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.name.is_empty() && self.min == self.max {
            s.serialize_u16(self.min)
        } else {
            s.serialize_str(&self.text())
        }
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Port, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Port;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a port number, range or name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                u16::try_from(v)
                    .map(|n| Port {
                        min: n,
                        max: n,
                        name: String::new(),
                    })
                    .map_err(|_| {
                        E::custom(format!(
                            "{OWN_ERROR}json: cannot unmarshal number {v} into Go value of type uint16"
                        ))
                    })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                Err(E::custom(format!(
                    "{OWN_ERROR}json: cannot unmarshal number {v} into Go value of type uint16"
                )))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
                Port::parse(v).map_err(|m| E::custom(format!("{OWN_ERROR}{m}")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse_and_print_as_calico() {
        let p: Port = serde_json::from_str("\"80:90\"").unwrap();
        assert_eq!((p.min, p.max), (80, 90));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"80:90\"");
        let p: Port = serde_json::from_str("443").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "443");
        let p: Port = serde_json::from_str("\"443\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "443");
        let p: Port = serde_json::from_str("\"http\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"http\"");
        assert_eq!(
            Port::parse("1:65536").unwrap_err(),
            "invalid maximum port number in range (1:65536)"
        );
        assert_eq!(
            Port::parse("65535:1").unwrap_err(),
            "minimum port number (65535) is greater than maximum port number (1) in port range"
        );
        assert_eq!(
            Port::parse("99999").unwrap_err(),
            "invalid port format (99999)"
        );
        assert_eq!(
            Port::parse("a b").unwrap_err(),
            "invalid name for named port (a b)"
        );
        assert_eq!(
            Port::parse("0:10").unwrap().problems()[0].2,
            "port range invalid, port number must be between 1 and 65535"
        );
        assert!(Port::parse("Http").unwrap().problems()[0].0 == "PortName");
    }

    #[test]
    fn protocols_keep_what_was_written() {
        let p: Protocol = serde_json::from_str("\"6\"").unwrap();
        assert_eq!(p, Protocol::Num(6));
        assert!(p.supports_ports() && !p.is_named("TCP"));
        let p: Protocol = serde_json::from_str("\"tcp\"").unwrap();
        assert_eq!(p.problem().unwrap().1, "protocol name invalid");
        let p: Protocol = serde_json::from_str("0").unwrap();
        assert_eq!(p.problem().unwrap().1, "protocol number invalid");
        let p: Protocol = serde_json::from_str("\"UDPLite\"").unwrap();
        assert!(p.problem().is_none() && !p.supports_ports());
        assert_eq!(serde_json::to_string(&Protocol::Num(17)).unwrap(), "17");
        assert!(serde_json::from_str::<Protocol>("300").is_err());
    }
}
