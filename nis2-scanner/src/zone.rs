//! The DNS group: name servers (and how many answer), CAA with tree
//! climbing (RFC 8659 §3), DNSSEC facts (DS, DNSKEY, RRSIG present).
//!
//! DNSSEC: DS, DNSKEY and RRSIG presence, and where the zone publishes a
//! DNSKEY, a validating lookup of its SOA against the configured trust
//! anchors ([`crate::ResolverOptions::dnssec_trust_anchors`], the IANA root
//! keys by default): `validated` is `Some(true)` only when the answer is
//! proven secure.

use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::proto::rr::{RData, RecordType};
use nis2_core::observations::{
    CaaRecord, CheckGroup, DnsObservations, DnssecObservations, ObservationError,
};

use crate::dns::{Dns, DnsFail, Validation, server_answers};
use crate::email::futures_join_all;
use crate::policy::TargetPolicy;

/// The names from `domain` up to (not including) its top-level label.
pub(crate) fn climb(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.trim_end_matches('.').split('.').collect();
    (0..labels.len().saturating_sub(1))
        .map(|i| labels[i..].join("."))
        .collect()
}

/// The whole DNS group for `domain`. NS hosts are resolved through the
/// policy and asked on `dns_port` (53 on the internet; the lab's own port there).
pub(crate) async fn observe(
    dns: &Dns,
    policy: &TargetPolicy,
    domain: &str,
    dns_port: u16,
    ns_timeout: Duration,
) -> (DnsObservations, Vec<ObservationError>) {
    let mut errors = Vec::new();
    let err = |target: String, message: String| ObservationError {
        group: CheckGroup::Dns,
        target,
        message,
    };
    let names = climb(domain);

    // The zone: the closest name with NS records.
    let ns_task = async {
        for name in &names {
            match dns.records(name, RecordType::NS).await {
                Ok(data) => {
                    let ns: Vec<String> = data
                        .iter()
                        .filter_map(|d| match d {
                            RData::NS(n) => Some(n.0.to_ascii().trim_end_matches('.').to_owned()),
                            _ => None,
                        })
                        .collect();
                    return Ok((name.clone(), ns));
                }
                Err(f) if f.is_void() => continue,
                Err(f) => return Err(f),
            }
        }
        Err(DnsFail::NoData)
    };
    let caa_task = async {
        for name in &names {
            match dns.records(name, RecordType::CAA).await {
                Ok(data) => {
                    return Ok(data
                        .iter()
                        .filter_map(|d| match d {
                            RData::CAA(c) => Some(CaaRecord {
                                name: name.clone(),
                                value: c.to_string(),
                            }),
                            _ => None,
                        })
                        .collect::<Vec<_>>());
                }
                Err(f) if f.is_void() => continue,
                Err(f) => return Err(f),
            }
        }
        Ok(Vec::new())
    };
    let (ns, caa) = tokio::join!(ns_task, caa_task);
    let mut obs = DnsObservations::default();
    match caa {
        Ok(c) => obs.caa = c,
        Err(f) => errors.push(err(domain.to_owned(), format!("CAA: {}", f.describe()))),
    }
    let zone = match ns {
        Ok((zone, ns)) => {
            obs.ns = ns;
            obs.ns.sort();
            obs.ns.dedup();
            Some(zone)
        }
        Err(f) => {
            errors.push(err(domain.to_owned(), format!("NS: {}", f.describe())));
            None
        }
    };
    if let Some(zone) = zone {
        let checks = obs.ns.iter().map(|host| {
            let zone = zone.clone();
            async move {
                let target = match policy.resolve(host).await {
                    Ok(t) => t,
                    Err(e) => return (host.clone(), Err(e.to_string())),
                };
                for ip in target.addrs.iter().copied().take(4) {
                    if answers(ip, dns_port, &zone, ns_timeout).await {
                        return (host.clone(), Ok(true));
                    }
                }
                (host.clone(), Ok(false))
            }
        });
        let mut answering = 0u32;
        for (host, r) in futures_join_all(checks).await {
            match r {
                Ok(true) => answering += 1,
                Ok(false) => {
                    errors.push(err(host, "name server does not answer for the zone".into()))
                }
                Err(e) => errors.push(err(host, e)),
            }
        }
        obs.ns_answering = Some(answering);

        let (ds, dnskey, rrsig) = tokio::join!(
            dns.records(&zone, RecordType::DS),
            dns.records(&zone, RecordType::DNSKEY),
            dns.records(&zone, RecordType::RRSIG),
        );
        let mut present = |r: Result<Vec<RData>, DnsFail>, what: &str| match r {
            Ok(v) => !v.is_empty(),
            Err(f) if f.is_void() => false,
            Err(f) => {
                errors.push(err(zone.clone(), format!("{what}: {}", f.describe())));
                false
            }
        };
        let (ds, dnskey, mut rrsig) = (
            present(ds, "DS"),
            present(dnskey, "DNSKEY"),
            present(rrsig, "RRSIG"),
        );
        // Nothing to validate in a zone without keys.
        let validated = if dnskey {
            let (v, signed) = dns.validate(&zone).await;
            rrsig |= signed;
            match v {
                Validation::Secure => Some(true),
                Validation::NotSecure(why) | Validation::Failed(why) => {
                    errors.push(err(zone.clone(), format!("DNSSEC validation: {why}")));
                    Some(false)
                }
            }
        } else {
            None
        };
        obs.dnssec = DnssecObservations {
            ds,
            dnskey,
            rrsig,
            validated,
        };
    }
    (obs, errors)
}

async fn answers(ip: IpAddr, port: u16, zone: &str, timeout: Duration) -> bool {
    server_answers(ip, port, zone, timeout).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn climbing() {
        assert_eq!(
            climb("a.b.example.com"),
            vec!["a.b.example.com", "b.example.com", "example.com"]
        );
        assert_eq!(climb("example.com."), vec!["example.com"]);
        assert!(climb("com").is_empty());
    }
}
