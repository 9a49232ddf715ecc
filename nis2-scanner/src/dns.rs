//! DNS queries of the DNS and e-mail groups: a resolver built from
//! [`ResolverOptions`], typed answers that tell "no such data" apart from a
//! failure, and a direct query to a name server (is it answering?).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::dnssec::TrustAnchors;
use hickory_resolver::proto::rr::{RData, RecordType};
use tokio::net::UdpSocket;

use crate::error::Error;
use crate::policy::ResolverOptions;

/// Why a query gave no records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DnsFail {
    /// The name exists but has no records of that type (NOERROR, empty answer).
    NoData,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The query failed (timeout, SERVFAIL, refused, garbage).
    Failed(String),
}

impl DnsFail {
    /// A "void lookup" in the sense of RFC 7208 §4.6.4: no data or no name.
    pub(crate) fn is_void(&self) -> bool {
        matches!(self, DnsFail::NoData | DnsFail::NxDomain)
    }

    /// Words for an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            DnsFail::NoData => "no records".into(),
            DnsFail::NxDomain => "no such name (NXDOMAIN)".into(),
            DnsFail::Failed(e) => e.clone(),
        }
    }
}

/// A resolver for record lookups, bounded in time, and a validating one
/// for the DNSSEC check.
#[derive(Clone)]
pub(crate) struct Dns {
    resolver: TokioResolver,
    validating: TokioResolver,
    timeout: Duration,
}

/// What the validating lookup of a zone's SOA said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Validation {
    /// Every answer record is proven secure from a trust anchor.
    Secure,
    /// Answered, but not proven (insecure, bogus or indeterminate), with why.
    NotSecure(String),
    /// The lookup failed (a validation failure is one), with why.
    Failed(String),
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns").finish_non_exhaustive()
    }
}

impl Dns {
    /// A resolver asking `options.nameservers` (the system's when empty).
    pub(crate) fn new(options: &ResolverOptions) -> Result<Self, Error> {
        let anchors = if options.dnssec_trust_anchors.trim().is_empty() {
            TrustAnchors::default()
        } else {
            TrustAnchors::from_str(&options.dnssec_trust_anchors).map_err(|e| Error::Config {
                reason: format!("unusable DNSSEC trust anchors: {e}"),
            })?
        };
        let resolver = Self::build(options, None)?;
        let validating = Self::build(options, Some(Arc::new(anchors)))?;
        let attempts = u32::try_from(options.attempts.max(1)).unwrap_or(4);
        Ok(Self {
            resolver,
            validating,
            timeout: options.timeout.saturating_mul(attempts + 1),
        })
    }

    fn build(
        options: &ResolverOptions,
        anchors: Option<Arc<TrustAnchors>>,
    ) -> Result<TokioResolver, Error> {
        let mut builder = options.builder()?;
        if let Some(a) = anchors {
            builder = builder.with_trust_anchor(a);
        }
        builder.build().map_err(|e| Error::Config {
            reason: format!("cannot build the resolver: {e}"),
        })
    }

    /// Looks up the SOA of `zone` with DNSSEC validation against the trust
    /// anchors, and tells whether the answer is proven secure and whether
    /// it came with RRSIG records (asked with the DO bit, unlike a query of
    /// type RRSIG, which servers may answer with nothing).
    pub(crate) async fn validate(&self, zone: &str) -> (Validation, bool) {
        let fqdn = format!("{}.", zone.trim_end_matches('.'));
        let lookup = tokio::time::timeout(
            self.timeout,
            self.validating.lookup(fqdn.as_str(), RecordType::SOA),
        )
        .await;
        match lookup {
            Err(_) => (
                Validation::Failed(format!("validating SOA query for {zone} timed out")),
                false,
            ),
            Ok(Err(e)) => (
                Validation::Failed(format!("validating SOA query for {zone}: {e}")),
                false,
            ),
            Ok(Ok(l)) => {
                let signed = l
                    .answers()
                    .iter()
                    .any(|r| r.record_type() == RecordType::RRSIG);
                let soa: Vec<_> = l
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == RecordType::SOA)
                    .collect();
                let v = match soa.iter().find(|r| !r.proof.is_secure()) {
                    None if !soa.is_empty() => Validation::Secure,
                    None => Validation::NotSecure(format!("no SOA record for {zone}")),
                    Some(r) => Validation::NotSecure(format!("the SOA of {zone} is {}", r.proof)),
                };
                (v, signed)
            }
        }
    }

    /// Records of type `rtype` at `name` (absolute; a trailing dot is added).
    /// CNAMEs are followed by the resolver; only records of `rtype` are kept.
    pub(crate) async fn records(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> Result<Vec<RData>, DnsFail> {
        let fqdn = if name.ends_with('.') {
            name.to_owned()
        } else {
            format!("{name}.")
        };
        let lookup = tokio::time::timeout(self.timeout, self.resolver.lookup(fqdn.as_str(), rtype))
            .await
            .map_err(|_| DnsFail::Failed(format!("{rtype} query for {name} timed out")))?;
        match lookup {
            Ok(l) => {
                let out: Vec<RData> = l
                    .answers()
                    .iter()
                    .filter(|r| r.record_type() == rtype)
                    .map(|r| r.data.clone())
                    .collect();
                if out.is_empty() {
                    Err(DnsFail::NoData)
                } else {
                    Ok(out)
                }
            }
            Err(e) if e.is_nx_domain() => Err(DnsFail::NxDomain),
            Err(e) if e.is_no_records_found() => Err(DnsFail::NoData),
            Err(e) => Err(DnsFail::Failed(format!("{rtype} query for {name}: {e}"))),
        }
    }

    /// TXT records at `name`, each one's strings joined (RFC 7208 §3.3).
    pub(crate) async fn txt(&self, name: &str) -> Result<Vec<String>, DnsFail> {
        let data = self.records(name, RecordType::TXT).await?;
        Ok(data
            .iter()
            .filter_map(|d| match d {
                RData::TXT(t) => Some(
                    t.txt_data
                        .iter()
                        .map(|s| String::from_utf8_lossy(s))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect())
    }

    /// TXT records at `name`, an empty list when there are none; only
    /// failures are errors.
    pub(crate) async fn txt_or_empty(&self, name: &str) -> Result<Vec<String>, String> {
        match self.txt(name).await {
            Ok(v) => Ok(v),
            Err(f) if f.is_void() => Ok(Vec::new()),
            Err(DnsFail::Failed(e)) => Err(e),
            Err(f) => Err(f.describe()),
        }
    }
}

/// Builds a DNS query for `name` (absolute or not) of type `qtype`, id `id`, no recursion.
pub(crate) fn query_packet(id: u16, name: &str, qtype: u16) -> Option<Vec<u8>> {
    let mut p = Vec::with_capacity(12 + name.len() + 6);
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        p.push(label.len() as u8);
        p.extend_from_slice(label.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    Some(p)
}

/// Whether `reply` answers query `id` with NOERROR.
pub(crate) fn answers_ok(reply: &[u8], id: u16) -> bool {
    reply.len() >= 12
        && reply[0..2] == id.to_be_bytes()
        && reply[2] & 0x80 != 0
        && reply[3] & 0x0f == 0
}

/// A fresh query id (a counter seeded from the clock; the reply must echo it).
fn next_query_id() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (seed ^ n.wrapping_mul(0x9e37)) as u16
}

/// Asks the name server at `ip:port` for the SOA of `zone` over UDP; true
/// when it answers with NOERROR within `timeout` (a lame or silent server
/// does not count as answering).
pub(crate) async fn server_answers(ip: IpAddr, port: u16, zone: &str, timeout: Duration) -> bool {
    const SOA: u16 = 6;
    let id = next_query_id();
    let Some(packet) = query_packet(id, zone, SOA) else {
        return false;
    };
    let bind: SocketAddr = if ip.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let run = async {
        let sock = UdpSocket::bind(bind).await.ok()?;
        sock.connect((ip, port)).await.ok()?;
        sock.send(&packet).await.ok()?;
        let mut buf = vec![0u8; 4096];
        // Skip stray datagrams with other ids until the deadline.
        loop {
            let n = sock.recv(&mut buf).await.ok()?;
            if buf.len() >= n && answers_ok(&buf[..n], id) {
                return Some(true);
            }
            if n >= 12 && buf[0..2] == id.to_be_bytes() {
                return Some(false);
            }
        }
    };
    matches!(tokio::time::timeout(timeout, run).await, Ok(Some(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_packets() {
        let p = query_packet(0x1234, "example.com.", 6).unwrap();
        assert_eq!(&p[..2], &[0x12, 0x34]);
        assert_eq!(&p[12..], b"\x07example\x03com\x00\x00\x06\x00\x01");
        assert!(query_packet(1, "a..b", 1).is_none());
        assert!(query_packet(1, &"x".repeat(64), 1).is_none());
    }

    proptest::proptest! {
        /// Any datagram, any name: no panic; only a NOERROR response with
        /// the right id counts; a built query always carries its id.
        #[test]
        fn hostile_replies_and_names(reply in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
                                     id in proptest::prelude::any::<u16>(),
                                     name in "[ -~]{0,300}") {
            if answers_ok(&reply, id) {
                proptest::prop_assert!(reply.len() >= 12 && reply[0..2] == id.to_be_bytes());
                proptest::prop_assert!(reply[2] & 0x80 != 0 && reply[3] & 0x0f == 0);
            }
            if let Some(p) = query_packet(id, &name, 6) {
                proptest::prop_assert_eq!(&p[..2], &id.to_be_bytes());
                proptest::prop_assert!(p.len() <= 12 + 302 + 4);
            }
        }
    }

    #[test]
    fn reply_checks() {
        let mut r = vec![0x12, 0x34, 0x84, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        assert!(answers_ok(&r, 0x1234));
        assert!(!answers_ok(&r, 0x1235));
        r[3] = 0x05; // REFUSED
        assert!(!answers_ok(&r, 0x1234));
        r[3] = 0;
        r[2] = 0x04; // not a response
        assert!(!answers_ok(&r, 0x1234));
        assert!(!answers_ok(&r[..11], 0x1234));
    }
}
