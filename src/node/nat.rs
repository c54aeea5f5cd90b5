//! Floating-IP NAT for one node, rendered as one nftables table and applied atomically.
//!
//! Felix turns the `ipNATs` of the node's local WorkloadEndpoints into 1:1 NAT: a DNAT
//! "destination == external → internal" for every floating IP, reached from PREROUTING (traffic
//! arriving at the node) and from OUTPUT (traffic the node itself sends), and an SNAT
//! "source == internal and destination == internal → external" in POSTROUTING for the hair-pin
//! case, where a pod talks to its own floating IP (without it the pod would receive a packet
//! from itself and drop it). The rules match addresses only, so every protocol is translated:
//! ICMP as well as TCP, UDP and SCTP.
//!
//! Conflicts are settled as Felix settles them (`floating_ip_mgr.go`), comparing addresses as
//! strings (their canonical text): when two endpoints claim the same external IP, the
//! lexically smaller internal IP wins; when one internal IP has several external IPs, its SNAT
//! uses the lexically smallest. Only winning DNATs produce SNATs. Rules come out sorted (IPv4
//! before IPv6, then by the address text), so equal inputs render equal bytes.
//!
//! # The table
//!
//! Everything lives in one `inet` table, `calico-fip`:
//!
//! ```text
//! table inet calico-fip {
//!     chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump fip-dnat }
//!     chain output { type nat hook output priority -100; policy accept; jump fip-dnat }
//!     chain postrouting { type nat hook postrouting priority srcnat; policy accept; jump fip-snat }
//!     chain fip-dnat { ip daddr 10.0.0.1 dnat ip to 10.65.0.5 }
//!     chain fip-snat { ip saddr 10.65.0.5 ip daddr 10.65.0.5 snat ip to 10.0.0.1 }
//! }
//! ```
//!
//! One `inet` table rather than an `ip`/`ip6` pair: IPv4 and IPv6 rules share their chains,
//! the script creates and deletes one object, and nothing can leave one family's table behind
//! when the other's was replaced. NAT in `inet` tables needs Linux 5.2 or later (Debian 12
//! ships 6.1). The rule lists are plain per-address rules, as Felix's chains are, rather than
//! an nftables map: a reader (or `nft list`) sees exactly which floating IP goes where.
//!
//! # Applying
//!
//! [`Ruleset::to_nft_script`] gives a script that declares the table (a no-op if it exists),
//! deletes it and defines it again. `nft -f` runs a script as one transaction, so the switch
//! from the old rules to the new is atomic and works whether or not the table existed.
//! [`apply`] feeds the script to one `nft -f -`, optionally inside a named network namespace.

use crate::model::cidr::parse_ip;
use crate::model::{Cidr, WorkloadEndpoint};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};

/// The nftables family of the table.
pub(crate) const TABLE_FAMILY: &str = "inet";
/// The table's name.
pub(crate) const TABLE_NAME: &str = "calico-fip";
/// The chain holding one DNAT rule per floating IP.
pub(crate) const DNAT_CHAIN: &str = "fip-dnat";
/// The chain holding one hair-pin SNAT rule per internal IP.
pub(crate) const SNAT_CHAIN: &str = "fip-snat";

/// One 1:1 translation between a floating (external) and a workload (internal) address of the
/// same family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NatRule {
    /// The floating IP.
    pub external: IpAddr,
    /// The workload's own IP.
    pub internal: IpAddr,
}

/// An `ipNATs` entry that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedNat {
    /// The endpoint, `namespace/name`.
    pub endpoint: String,
    /// The internal IP as written.
    pub internal_ip: String,
    /// The external IP as written.
    pub external_ip: String,
    /// Why it was left out.
    pub reason: &'static str,
}

impl std::fmt::Display for SkippedNat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: ipNAT {} -> {} ignored: {}",
            self.endpoint, self.external_ip, self.internal_ip, self.reason
        )
    }
}

/// The NAT one node needs: DNATs sorted by external IP, SNATs sorted by internal IP (IPv4
/// first in both), and the entries that could not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// One per floating IP (after conflict resolution).
    pub dnat: Vec<NatRule>,
    /// One per internal IP that has a floating IP (hair-pin).
    pub snat: Vec<NatRule>,
    /// Entries ignored because an address does not parse or the families differ.
    pub skipped: Vec<SkippedNat>,
}

/// The sort key Felix effectively uses: family, then the canonical text.
fn key(ip: &IpAddr) -> (u8, String) {
    (if ip.is_ipv4() { 4 } else { 6 }, ip.to_string())
}

/// Renders the NAT for `node` from WorkloadEndpoints: only endpoints whose `spec.node` is
/// `node` count; the others are ignored, so the whole cluster's list may be passed.
///
/// ```
/// use calico::model::WorkloadEndpoint;
/// use calico::model::workloadendpoint::IpNat;
/// let mut wep = WorkloadEndpoint::default();
/// wep.metadata.namespace = "default".into();
/// wep.metadata.name = "node--a-k8s-web-eth0".into();
/// wep.spec.node = "node-a".into();
/// wep.spec.ip_networks = vec!["10.65.0.5/32".into()];
/// wep.spec.ip_nats = vec![IpNat { internal_ip: "10.65.0.5".into(), external_ip: "10.0.0.1".into() }];
/// let rules = calico::node::nat::render(&[wep], "node-a");
/// assert_eq!(rules.dnat.len(), 1);
/// assert!(rules.to_nft_script().contains("ip daddr 10.0.0.1 dnat ip to 10.65.0.5"));
/// ```
pub fn render(endpoints: &[WorkloadEndpoint], node: &str) -> Ruleset {
    let mut skipped = Vec::new();
    // external -> internal, keyed by the sort key so the map iterates in output order.
    let mut dnats: BTreeMap<(u8, String), NatRule> = BTreeMap::new();
    for wep in endpoints.iter().filter(|w| w.spec.node == node) {
        let networks: Vec<Cidr> = wep
            .spec
            .ip_networks
            .iter()
            .filter_map(|n| Cidr::parse_ip_or_cidr(n).ok())
            .collect();
        for nat in &wep.spec.ip_nats {
            let skip = |reason| SkippedNat {
                endpoint: format!("{}/{}", wep.metadata.namespace, wep.metadata.name),
                internal_ip: nat.internal_ip.clone(),
                external_ip: nat.external_ip.clone(),
                reason,
            };
            let (internal, external) =
                match (parse_ip(&nat.internal_ip), parse_ip(&nat.external_ip)) {
                    (Some(i), Some(_)) if !networks.iter().any(|n| n.contains_ip(i)) => {
                        // Calico's validator refuses it; another writer's value is not
                        // programmed (it would DNAT to an address the pod does not hold).
                        skipped.push(skip("NAT is not in the endpoint networks"));
                        continue;
                    }
                    (Some(i), Some(e)) if i.is_ipv4() == e.is_ipv4() => (i, e),
                    (Some(_), Some(_)) => {
                        skipped.push(skip("mismatched IP versions"));
                        continue;
                    }
                    _ => {
                        skipped.push(skip("invalid IP address"));
                        continue;
                    }
                };
            let rule = NatRule { external, internal };
            dnats
                .entry(key(&external))
                .and_modify(|cur| {
                    if internal.to_string() < cur.internal.to_string() {
                        *cur = rule.clone();
                    }
                })
                .or_insert(rule);
        }
    }
    // internal -> the smallest external among the winning DNATs.
    let mut snats: BTreeMap<(u8, String), NatRule> = BTreeMap::new();
    for rule in dnats.values() {
        snats
            .entry(key(&rule.internal))
            .and_modify(|cur| {
                if rule.external.to_string() < cur.external.to_string() {
                    *cur = rule.clone();
                }
            })
            .or_insert_with(|| rule.clone());
    }
    Ruleset {
        dnat: dnats.into_values().collect(),
        snat: snats.into_values().collect(),
        skipped,
    }
}

fn family(ip: &IpAddr) -> &'static str {
    if ip.is_ipv4() { "ip" } else { "ip6" }
}

impl Ruleset {
    /// True when there is no rule at all.
    pub fn is_empty(&self) -> bool {
        self.dnat.is_empty() && self.snat.is_empty()
    }

    /// True when `other` would program the same rules (the skipped entries do not count).
    pub(crate) fn same_rules(&self, other: &Ruleset) -> bool {
        self.dnat == other.dnat && self.snat == other.snat
    }

    /// The `nft -f` script that replaces the table with exactly these rules, atomically,
    /// whether or not the table exists.
    pub fn to_nft_script(&self) -> String {
        let mut s = String::with_capacity(256 + 64 * (self.dnat.len() + self.snat.len()));
        let table = format!("{TABLE_FAMILY} {TABLE_NAME}");
        // Declaring an existing table is a no-op, so the delete below always has a target.
        let _ = writeln!(s, "table {table} {{}}");
        let _ = writeln!(s, "delete table {table}");
        let _ = writeln!(s, "table {table} {{");
        let _ = writeln!(s, "\tchain prerouting {{");
        let _ = writeln!(
            s,
            "\t\ttype nat hook prerouting priority dstnat; policy accept;"
        );
        let _ = writeln!(s, "\t\tjump {DNAT_CHAIN}");
        let _ = writeln!(s, "\t}}");
        let _ = writeln!(s, "\tchain output {{");
        let _ = writeln!(s, "\t\ttype nat hook output priority -100; policy accept;");
        let _ = writeln!(s, "\t\tjump {DNAT_CHAIN}");
        let _ = writeln!(s, "\t}}");
        let _ = writeln!(s, "\tchain postrouting {{");
        let _ = writeln!(
            s,
            "\t\ttype nat hook postrouting priority srcnat; policy accept;"
        );
        let _ = writeln!(s, "\t\tjump {SNAT_CHAIN}");
        let _ = writeln!(s, "\t}}");
        let _ = writeln!(s, "\tchain {DNAT_CHAIN} {{");
        for r in &self.dnat {
            let f = family(&r.external);
            let _ = writeln!(s, "\t\t{f} daddr {} dnat {f} to {}", r.external, r.internal);
        }
        let _ = writeln!(s, "\t}}");
        let _ = writeln!(s, "\tchain {SNAT_CHAIN} {{");
        for r in &self.snat {
            let f = family(&r.internal);
            let _ = writeln!(
                s,
                "\t\t{f} saddr {i} {f} daddr {i} snat {f} to {e}",
                i = r.internal,
                e = r.external
            );
        }
        let _ = writeln!(s, "\t}}");
        let _ = writeln!(s, "}}");
        s
    }
}

/// The script that removes the table if it exists (used by tests and clean-up tools).
pub fn delete_script() -> String {
    format!("table {TABLE_FAMILY} {TABLE_NAME} {{}}\ndelete table {TABLE_FAMILY} {TABLE_NAME}\n")
}

/// Why the NAT could not be applied or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NatError {
    /// The program could not be started (not installed, not on `PATH`, no permission).
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The program ran and failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// How it exited.
        status: std::process::ExitStatus,
        /// What it printed on stderr, trimmed.
        stderr: String,
    },
}

/// `nft <args>`, or `ip netns exec <ns> nft <args>` when a namespace is given.
fn nft_command(args: &[&str], netns: Option<&str>) -> (Command, String) {
    let mut argv: Vec<&str> = Vec::new();
    if let Some(ns) = netns {
        argv.extend(["ip", "netns", "exec", ns]);
    }
    argv.push("nft");
    argv.extend(args);
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]);
    (cmd, argv.join(" "))
}

fn run(
    mut cmd: Command,
    line: String,
    stdin: Option<&str>,
) -> Result<std::process::Output, NatError> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|source| NatError::Spawn {
        command: line.clone(),
        source,
    })?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // A write error (nft exited early) shows up as nft's own failure below.
        let _ = pipe.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().map_err(|source| NatError::Spawn {
        command: line.clone(),
        source,
    })?;
    if !out.status.success() {
        return Err(NatError::Failed {
            command: line,
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out)
}

/// Runs `script` with one `nft -f -` (inside network namespace `netns` when given, through
/// `ip netns exec`): one nftables transaction, all or nothing.
pub fn apply(script: &str, netns: Option<&str>) -> Result<(), NatError> {
    let (cmd, line) = nft_command(&["-f", "-"], netns);
    run(cmd, line, Some(script)).map(|_| ())
}

/// The table as `nft list table` prints it, or `None` when it does not exist.
pub fn list_table(netns: Option<&str>) -> Result<Option<String>, NatError> {
    let (cmd, line) = nft_command(&["list", "tables"], netns);
    let tables = run(cmd, line, None)?;
    let wanted = format!("table {TABLE_FAMILY} {TABLE_NAME}");
    if !String::from_utf8_lossy(&tables.stdout)
        .lines()
        .any(|l| l.trim() == wanted)
    {
        return Ok(None);
    }
    let (cmd, line) = nft_command(&["list", "table", TABLE_FAMILY, TABLE_NAME], netns);
    let out = run(cmd, line, None)?;
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workloadendpoint::IpNat;

    fn wep(ns: &str, name: &str, node: &str, nats: &[(&str, &str)]) -> WorkloadEndpoint {
        let mut w = WorkloadEndpoint::default();
        w.metadata.namespace = ns.into();
        w.metadata.name = name.into();
        w.spec.node = node.into();
        // The endpoint holds each internal address that reads.
        w.spec.ip_networks = nats
            .iter()
            .filter_map(|(i, _)| Some(Cidr::host(parse_ip(i)?).to_string()))
            .collect();
        w.spec.ip_nats = nats
            .iter()
            .map(|(i, e)| IpNat {
                internal_ip: i.to_string(),
                external_ip: e.to_string(),
            })
            .collect();
        w
    }

    fn pairs(rules: &[NatRule]) -> Vec<(String, String)> {
        rules
            .iter()
            .map(|r| (r.external.to_string(), r.internal.to_string()))
            .collect()
    }

    #[test]
    fn empty_set_renders_an_empty_table() {
        let r = render(&[], "node-a");
        assert!(r.is_empty());
        assert_eq!(
            r.to_nft_script(),
            "table inet calico-fip {}\n\
             delete table inet calico-fip\n\
             table inet calico-fip {\n\
             \tchain prerouting {\n\
             \t\ttype nat hook prerouting priority dstnat; policy accept;\n\
             \t\tjump fip-dnat\n\
             \t}\n\
             \tchain output {\n\
             \t\ttype nat hook output priority -100; policy accept;\n\
             \t\tjump fip-dnat\n\
             \t}\n\
             \tchain postrouting {\n\
             \t\ttype nat hook postrouting priority srcnat; policy accept;\n\
             \t\tjump fip-snat\n\
             \t}\n\
             \tchain fip-dnat {\n\
             \t}\n\
             \tchain fip-snat {\n\
             \t}\n\
             }\n"
        );
    }

    #[test]
    fn one_floating_ip() {
        let r = render(
            &[wep("default", "w", "node-a", &[("10.65.0.5", "10.0.0.1")])],
            "node-a",
        );
        let script = r.to_nft_script();
        assert!(
            script
                .contains("\tchain fip-dnat {\n\t\tip daddr 10.0.0.1 dnat ip to 10.65.0.5\n\t}\n")
        );
        assert!(script.contains(
            "\tchain fip-snat {\n\t\tip saddr 10.65.0.5 ip daddr 10.65.0.5 snat ip to 10.0.0.1\n\t}\n"
        ));
    }

    #[test]
    fn other_nodes_are_ignored() {
        let r = render(
            &[
                wep("default", "a", "node-b", &[("10.65.0.5", "10.0.0.1")]),
                wep("default", "b", "", &[("10.65.0.6", "10.0.0.2")]),
            ],
            "node-a",
        );
        assert!(r.is_empty());
    }

    #[test]
    fn same_external_ip_goes_to_the_lexically_smaller_internal_ip() {
        // "10.65.0.10" < "10.65.0.9" as text although 10 > 9 as a number: Felix compares text.
        let weps = [
            wep("ns1", "a", "n", &[("10.65.0.9", "10.0.0.1")]),
            wep("ns2", "b", "n", &[("10.65.0.10", "10.0.0.1")]),
        ];
        let r = render(&weps, "n");
        assert_eq!(pairs(&r.dnat), [("10.0.0.1".into(), "10.65.0.10".into())]);
        // Only the winner gets a hair-pin SNAT.
        assert_eq!(pairs(&r.snat), [("10.0.0.1".into(), "10.65.0.10".into())]);
        // The order of the input does not matter.
        let mut reversed = weps.to_vec();
        reversed.reverse();
        assert_eq!(render(&reversed, "n"), r);
    }

    #[test]
    fn several_external_ips_snat_to_the_lexically_smallest() {
        let r = render(
            &[wep(
                "ns",
                "a",
                "n",
                &[
                    ("10.65.0.5", "10.0.0.9"),
                    ("10.65.0.5", "10.0.0.10"),
                    ("10.65.0.5", "10.0.0.2"),
                ],
            )],
            "n",
        );
        // Every floating IP is DNATed, sorted as text.
        assert_eq!(
            pairs(&r.dnat),
            [
                ("10.0.0.10".into(), "10.65.0.5".into()),
                ("10.0.0.2".into(), "10.65.0.5".into()),
                ("10.0.0.9".into(), "10.65.0.5".into()),
            ]
        );
        assert_eq!(pairs(&r.snat), [("10.0.0.10".into(), "10.65.0.5".into())]);
    }

    #[test]
    fn sorted_output_is_deterministic() {
        let weps = [
            wep("ns", "c", "n", &[("10.65.0.3", "10.0.0.3")]),
            wep(
                "ns",
                "a",
                "n",
                &[("fd00::1", "fd10::1"), ("10.65.0.1", "10.0.0.1")],
            ),
            wep("ns", "b", "n", &[("10.65.0.2", "10.0.0.2")]),
        ];
        let r = render(&weps, "n");
        assert_eq!(
            pairs(&r.dnat),
            [
                ("10.0.0.1".into(), "10.65.0.1".into()),
                ("10.0.0.2".into(), "10.65.0.2".into()),
                ("10.0.0.3".into(), "10.65.0.3".into()),
                ("fd10::1".into(), "fd00::1".into()),
            ]
        );
        let mut shuffled = weps.to_vec();
        shuffled.swap(0, 2);
        assert_eq!(render(&shuffled, "n").to_nft_script(), r.to_nft_script());
    }

    #[test]
    fn ipv6_rules_use_the_ip6_family_and_canonical_text() {
        let r = render(&[wep("ns", "a", "n", &[("fd00:0:0::5", "FD10:0::1")])], "n");
        let script = r.to_nft_script();
        assert!(script.contains("\t\tip6 daddr fd10::1 dnat ip6 to fd00::5\n"));
        assert!(script.contains("\t\tip6 saddr fd00::5 ip6 daddr fd00::5 snat ip6 to fd10::1\n"));
        assert!(!script.contains("ip daddr"));
    }

    #[test]
    fn bad_entries_are_skipped_and_reported() {
        let r = render(
            &[wep(
                "ns",
                "a",
                "n",
                &[
                    ("10.65.0.5", "fd10::1"),
                    ("bogus", "10.0.0.1"),
                    ("10.65.0.5", "10.0.0.2"),
                ],
            )],
            "n",
        );
        assert_eq!(pairs(&r.dnat), [("10.0.0.2".into(), "10.65.0.5".into())]);
        let reasons: Vec<String> = r.skipped.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            reasons,
            [
                "ns/a: ipNAT fd10::1 -> 10.65.0.5 ignored: mismatched IP versions",
                "ns/a: ipNAT 10.0.0.1 -> bogus ignored: invalid IP address",
            ]
        );
        // An internal address the endpoint does not hold: never a DNAT to it.
        let mut w = wep("ns", "b", "n", &[("10.65.0.6", "10.0.0.3")]);
        w.spec.ip_nats.push(IpNat {
            internal_ip: "8.8.8.8".into(),
            external_ip: "10.0.0.4".into(),
        });
        let r = render(&[w], "n");
        assert_eq!(pairs(&r.dnat), [("10.0.0.3".into(), "10.65.0.6".into())]);
        let reasons: Vec<String> = r.skipped.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            reasons,
            ["ns/b: ipNAT 10.0.0.4 -> 8.8.8.8 ignored: NAT is not in the endpoint networks"]
        );
    }

    #[test]
    fn same_rules_ignores_skipped_entries() {
        let a = render(&[wep("ns", "a", "n", &[("10.65.0.5", "10.0.0.1")])], "n");
        let mut b = a.clone();
        b.skipped.push(SkippedNat {
            endpoint: "x/y".into(),
            internal_ip: "a".into(),
            external_ip: "b".into(),
            reason: "invalid IP address",
        });
        assert!(a.same_rules(&b));
        assert!(!a.same_rules(&Ruleset::default()));
    }

    #[test]
    fn a_failing_nft_run_names_the_command() {
        // A namespace that does not exist makes `ip netns exec` fail, with its message kept.
        let err = apply(&delete_script(), Some("calico-test-no-such-netns")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("`ip netns exec calico-test-no-such-netns nft -f -`"),
            "{msg}"
        );
    }
}
