//! Observations: the raw facts a scan gathers about a vendor's domain.
//!
//! Observations are facts, not judgements ("offers TLS 1.0", "certificate
//! notAfter = 2026-01-02", "DMARC record = `v=DMARC1; p=none`"). Findings are
//! made from them by [`crate::evaluate`]. Keeping the two apart lets a stored
//! scan be re-scored when the method changes, and lets anyone score facts
//! gathered by other tools.
//!
//! Each group is `Option`: `None` means the group was not run (its checks are
//! then `not_assessed`), which is different from "ran and found nothing".
//! The JSON form is stable: fields are only ever added, with defaults, so a
//! document written by an older version still reads.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Everything a scan saw of one domain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observations {
    /// The domain that was scanned (A-label form, no trailing dot).
    pub domain: String,
    /// When the scan started, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<Timestamp>,
    /// TLS service on the HTTPS port: protocols, suites, certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsObservations>,
    /// Plain HTTP and HTTPS responses, and probes of well-known paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpObservations>,
    /// DNS facts: name servers, CAA, DNSSEC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsObservations>,
    /// E-mail facts: MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailObservations>,
    /// TCP ports probed and found open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<PortObservations>,
    /// Errors met while looking (timeouts, refused connections, bad answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ObservationError>,
}

/// A group of checks, as the scanner runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CheckGroup {
    /// TLS protocol and suite probing, certificate.
    Tls,
    /// HTTP and HTTPS responses, headers and paths.
    Http,
    /// DNS: NS, CAA, DNSSEC.
    Dns,
    /// E-mail: MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT.
    Email,
    /// Exposed TCP services.
    Ports,
}

impl CheckGroup {
    /// Every group, in scan order.
    pub const ALL: [CheckGroup; 5] = [Self::Tls, Self::Http, Self::Dns, Self::Email, Self::Ports];

    /// The lowercase name used in JSON and on command lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::Http => "http",
            Self::Dns => "dns",
            Self::Email => "email",
            Self::Ports => "ports",
        }
    }
}

/// An error met while gathering one group's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationError {
    /// The group that met it.
    pub group: CheckGroup,
    /// What was being looked at (an address, a URL, a DNS name).
    pub target: String,
    /// What went wrong, in words.
    pub message: String,
}

// ---------------------------------------------------------------- TLS

/// A TLS protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TlsVersion {
    /// SSL 2.0.
    #[serde(rename = "SSLv2")]
    Ssl2,
    /// SSL 3.0.
    #[serde(rename = "SSLv3")]
    Ssl3,
    /// TLS 1.0.
    #[serde(rename = "TLSv1.0")]
    Tls10,
    /// TLS 1.1.
    #[serde(rename = "TLSv1.1")]
    Tls11,
    /// TLS 1.2.
    #[serde(rename = "TLSv1.2")]
    Tls12,
    /// TLS 1.3.
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    /// Every version, oldest first.
    pub const ALL: [TlsVersion; 6] = [
        Self::Ssl2,
        Self::Ssl3,
        Self::Tls10,
        Self::Tls11,
        Self::Tls12,
        Self::Tls13,
    ];

    /// The usual name, e.g. `TLSv1.2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ssl2 => "SSLv2",
            Self::Ssl3 => "SSLv3",
            Self::Tls10 => "TLSv1.0",
            Self::Tls11 => "TLSv1.1",
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }

    /// The version's wire code (`0x0303` for TLS 1.2); SSLv2 has `0x0002`.
    pub fn wire(self) -> u16 {
        match self {
            Self::Ssl2 => 0x0002,
            Self::Ssl3 => 0x0300,
            Self::Tls10 => 0x0301,
            Self::Tls11 => 0x0302,
            Self::Tls12 => 0x0303,
            Self::Tls13 => 0x0304,
        }
    }
}

/// What a server did with a handshake offering one protocol version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// Not probed (or the probe could not be completed).
    #[default]
    Unknown,
    /// The server completed the hello exchange with this version.
    Accepted,
    /// The server refused it (alert, other version, or closed the connection).
    Refused,
}

impl Probe {
    /// `true` only when the server accepted.
    pub fn accepted(self) -> bool {
        self == Probe::Accepted
    }
}

/// Which protocol versions the server accepts, one probe per version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolSupport {
    /// SSL 2.0.
    pub ssl2: Probe,
    /// SSL 3.0.
    pub ssl3: Probe,
    /// TLS 1.0.
    pub tls1_0: Probe,
    /// TLS 1.1.
    pub tls1_1: Probe,
    /// TLS 1.2.
    pub tls1_2: Probe,
    /// TLS 1.3.
    pub tls1_3: Probe,
}

impl ProtocolSupport {
    /// The probe result for one version.
    pub fn get(&self, v: TlsVersion) -> Probe {
        match v {
            TlsVersion::Ssl2 => self.ssl2,
            TlsVersion::Ssl3 => self.ssl3,
            TlsVersion::Tls10 => self.tls1_0,
            TlsVersion::Tls11 => self.tls1_1,
            TlsVersion::Tls12 => self.tls1_2,
            TlsVersion::Tls13 => self.tls1_3,
        }
    }

    /// Sets the probe result for one version.
    pub fn set(&mut self, v: TlsVersion, p: Probe) {
        match v {
            TlsVersion::Ssl2 => self.ssl2 = p,
            TlsVersion::Ssl3 => self.ssl3 = p,
            TlsVersion::Tls10 => self.tls1_0 = p,
            TlsVersion::Tls11 => self.tls1_1 = p,
            TlsVersion::Tls12 => self.tls1_2 = p,
            TlsVersion::Tls13 => self.tls1_3 = p,
        }
    }

    /// Whether any version at all was accepted.
    pub fn any_accepted(&self) -> bool {
        TlsVersion::ALL.iter().any(|v| self.get(*v).accepted())
    }
}

/// A cipher suite the server chose when offered a set of suites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedSuite {
    /// Protocol version of the handshake.
    pub version: TlsVersion,
    /// IANA code point, e.g. `0x1301`.
    pub id: u16,
    /// IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256` (classified by
    /// [`crate::suites::classify`]). Empty when the code point is unknown.
    #[serde(default)]
    pub name: String,
}

/// Facts about the TLS service on the HTTPS port.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsObservations {
    /// Address probed, `ip:port`.
    #[serde(default)]
    pub address: String,
    /// Whether a TLS service answered at all (any version completed a hello).
    pub reachable: bool,
    /// Protocol versions accepted.
    #[serde(default)]
    pub protocols: ProtocolSupport,
    /// Suites the server chose when offered each class of suites on each version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_suites: Vec<AcceptedSuite>,
    /// Key-exchange group negotiated on TLS 1.3 (IANA name, e.g. `X25519`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negotiated_group: Option<String>,
    /// Whether TLS 1.3 accepted a hybrid post-quantum group (e.g. `X25519MLKEM768`)
    /// when offered one; `None` when not probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hybrid_pq_kex: Option<bool>,
    /// The certificate chain from a full handshake, and what verifying it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateObservations>,
}

/// Public key algorithm of a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA.
    Rsa,
    /// ECDSA over a named curve.
    Ec,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// DSA.
    Dsa,
    /// Anything else.
    Other,
}

/// A certificate's public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyInfo {
    /// The algorithm.
    pub algorithm: KeyAlgorithm,
    /// Size in bits (RSA modulus, curve order); must be above zero.
    pub bits: u32,
    /// Named curve, e.g. `P-256`, for EC keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

/// One certificate of the served chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateInfo {
    /// Subject distinguished name (RFC 4514 string).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names from the subjectAltName extension.
    #[serde(default)]
    pub sans: Vec<String>,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// Public key.
    pub key: PublicKeyInfo,
    /// Signature algorithm name (e.g. `sha256WithRSAEncryption`) or dotted OID.
    pub signature_algorithm: String,
    /// Issuer equals subject and the signature verifies with its own key.
    #[serde(default)]
    pub self_signed: bool,
    /// OCSP responder URLs from the Authority Information Access extension.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ocsp_urls: Vec<String>,
    /// Number of embedded Signed Certificate Timestamps.
    #[serde(default)]
    pub sct_count: u32,
    /// Serial number, hex.
    #[serde(default)]
    pub serial: String,
    /// SHA-256 fingerprint of the DER, lowercase hex.
    #[serde(default)]
    pub sha256: String,
}

/// Revocation status of the leaf certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationStatus {
    /// Not revoked.
    Good,
    /// Revoked.
    Revoked,
    /// The responder does not know the certificate.
    Unknown,
}

/// Where a revocation status came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationSource {
    /// An OCSP response stapled to the handshake.
    Stapled,
    /// The OCSP responder named in the certificate.
    Responder,
}

/// A revocation answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// What the answer said.
    pub status: RevocationStatus,
    /// Where it came from.
    pub source: RevocationSource,
}

/// The certificate chain served on the HTTPS port and its verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateObservations {
    /// Served chain, leaf first. Must not be empty.
    pub chain: Vec<CertificateInfo>,
    /// Whether the chain verified to a trusted root (webpki, root store of the scan).
    pub trusted: bool,
    /// The verifier's reason when not trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_error: Option<String>,
    /// Whether an OCSP response was stapled.
    #[serde(default)]
    pub ocsp_stapled: bool,
    /// Revocation answer, when one was had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<Revocation>,
}

// ---------------------------------------------------------------- HTTP

/// An HTTP header as received (name as sent; compared case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header(pub String, pub String);

/// One request/response in a redirect chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpHop {
    /// URL requested.
    pub url: String,
    /// Status code received.
    pub status: u16,
    /// Response headers.
    #[serde(default)]
    pub headers: Vec<Header>,
}

/// A fetch that follows redirects hop by hop.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpExchange {
    /// Every hop, in order; the last one is the final response.
    #[serde(default)]
    pub hops: Vec<HttpHop>,
    /// Why the chain stopped early (connection refused, timeout, redirect to a
    /// blocked address, too many redirects), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl HttpExchange {
    /// The final response, if any arrived.
    pub fn last(&self) -> Option<&HttpHop> {
        self.hops.last()
    }
}

/// A probe of one path on the HTTPS site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathProbe {
    /// Path requested, e.g. `/.git/HEAD`.
    pub path: String,
    /// Status code (0 when no response arrived).
    pub status: u16,
    /// Content-Type header, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The start of the body (the scanner caps what it reads), as text.
    #[serde(default)]
    pub body: String,
}

/// What plain HTTP and HTTPS showed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpObservations {
    /// `GET http://domain/`, redirects followed. `None` when nothing listens on port 80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plain: Option<HttpExchange>,
    /// `GET https://domain/`, redirects followed. `None` when HTTPS could not be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https: Option<HttpExchange>,
    /// Probes of sensitive and well-known paths (`/.git/HEAD`, `/.env`,
    /// `/.well-known/security.txt`).
    #[serde(default)]
    pub paths: Vec<PathProbe>,
    /// The answer to a random path that cannot exist, so that a site that
    /// answers every path with the same page (a soft 404) is not mistaken
    /// for one that exposes files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_found_baseline: Option<PathProbe>,
}

// ---------------------------------------------------------------- DNS

/// A CAA record and the name it was found at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaaRecord {
    /// Owner name (the domain or one of its parents).
    pub name: String,
    /// Record text, e.g. `0 issue "letsencrypt.org"`.
    pub value: String,
}

/// DNSSEC facts about the zone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnssecObservations {
    /// DS record at the parent.
    pub ds: bool,
    /// DNSKEY at the zone apex.
    pub dnskey: bool,
    /// RRSIG over the answers.
    pub rrsig: bool,
    /// A validating lookup succeeded with the configured trust anchor;
    /// `None` when not attempted.
    pub validated: Option<bool>,
}

/// DNS facts of the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsObservations {
    /// NS names of the zone.
    #[serde(default)]
    pub ns: Vec<String>,
    /// How many of them answered a query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns_answering: Option<u32>,
    /// CAA records at the closest name that has any (RFC 8659 tree climbing).
    #[serde(default)]
    pub caa: Vec<CaaRecord>,
    /// DNSSEC facts.
    #[serde(default)]
    pub dnssec: DnssecObservations,
}

// ---------------------------------------------------------------- e-mail

/// An MX record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MxRecord {
    /// Preference.
    pub preference: u16,
    /// Mail exchanger host (`.` for a null MX, RFC 7505).
    pub exchange: String,
}

/// SPF facts: the records at the domain and what evaluating them cost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpfObservations {
    /// TXT records at the domain that start with `v=spf1`.
    #[serde(default)]
    pub records: Vec<String>,
    /// DNS-querying terms met while following `include` and `redirect`
    /// (RFC 7208 §4.6.4 counts include, a, mx, ptr, exists, redirect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_lookups: Option<u32>,
    /// Lookups that returned no answer or NXDOMAIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_lookups: Option<u32>,
    /// Problems met following the chain (missing included record, loop, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// DMARC facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DmarcObservations {
    /// Name queried where records were found (`_dmarc.<domain>`, or the
    /// organisational domain's when falling back).
    #[serde(default)]
    pub name: String,
    /// TXT records there that start with `v=DMARC1`.
    #[serde(default)]
    pub records: Vec<String>,
}

/// A DKIM key record found at a selector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimKey {
    /// Selector, e.g. `google`.
    pub selector: String,
    /// The TXT record.
    pub record: String,
}

/// The MTA-STS policy file fetch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtaStsPolicyFetch {
    /// URL fetched (`https://mta-sts.<domain>/.well-known/mta-sts.txt`).
    pub url: String,
    /// Status code (0 when no response).
    pub status: u16,
    /// Body (capped).
    #[serde(default)]
    pub body: String,
    /// Why the fetch failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// MTA-STS facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtaStsObservations {
    /// TXT records at `_mta-sts.<domain>` starting with `v=STSv1`.
    #[serde(default)]
    pub records: Vec<String>,
    /// The policy fetch, when one was attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<MtaStsPolicyFetch>,
}

/// E-mail security facts of the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailObservations {
    /// MX records.
    #[serde(default)]
    pub mx: Vec<MxRecord>,
    /// SPF.
    #[serde(default)]
    pub spf: SpfObservations,
    /// DMARC.
    #[serde(default)]
    pub dmarc: DmarcObservations,
    /// DKIM keys found at common selectors (absence proves nothing).
    #[serde(default)]
    pub dkim: Vec<DkimKey>,
    /// MTA-STS.
    #[serde(default)]
    pub mta_sts: MtaStsObservations,
    /// TXT records at `_smtp._tls.<domain>` starting with `v=TLSRPTv1`.
    #[serde(default)]
    pub tls_rpt: Vec<String>,
}

// ---------------------------------------------------------------- ports

/// TCP ports probed and found open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortObservations {
    /// Address probed.
    #[serde(default)]
    pub address: String,
    /// Ports probed.
    #[serde(default)]
    pub scanned: Vec<u16>,
    /// Ports that accepted a TCP connection.
    #[serde(default)]
    pub open: Vec<u16>,
}

impl Observations {
    /// Observations of `domain` with no group run yet.
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            ..Self::default()
        }
    }

    /// Checks the facts for values no real scan can produce (zero-bit keys,
    /// an empty chain, validity ending before it starts, status codes out of
    /// range, an open port that was not scanned). Returns the first problem.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |field: String, reason: &str| {
            Err(crate::Error::InvalidObservations {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.domain.trim().is_empty() {
            return bad("domain".into(), "must not be empty");
        }
        if self.domain.len() > 253 {
            return bad("domain".into(), "longer than 253 characters");
        }
        if let Some(tls) = &self.tls
            && let Some(cert) = &tls.certificate
        {
            {
                if cert.chain.is_empty() {
                    return bad(
                        "tls.certificate.chain".into(),
                        "must hold at least the leaf",
                    );
                }
                for (i, c) in cert.chain.iter().enumerate() {
                    if c.key.bits == 0 {
                        return bad(
                            format!("tls.certificate.chain[{i}].key.bits"),
                            "must be above zero",
                        );
                    }
                    if c.not_after < c.not_before {
                        return bad(
                            format!("tls.certificate.chain[{i}].not_after"),
                            "is earlier than not_before",
                        );
                    }
                }
            }
        }
        if let Some(http) = &self.http {
            let exchanges = http.plain.iter().chain(http.https.iter());
            for hop in exchanges.flat_map(|e| e.hops.iter()) {
                if !(100..=599).contains(&hop.status) {
                    return bad(
                        "http.hops[].status".into(),
                        "must be an HTTP status code 100-599",
                    );
                }
            }
            for p in &http.paths {
                if p.status != 0 && !(100..=599).contains(&p.status) {
                    return bad(
                        format!("http.paths[{}].status", p.path),
                        "must be 0 or 100-599",
                    );
                }
            }
        }
        if let Some(ports) = &self.ports
            && let Some(p) = ports.open.iter().find(|p| !ports.scanned.contains(p))
        {
            return bad(format!("ports.open[{p}]"), "is not among the scanned ports");
        }
        if let Some(dns) = &self.dns
            && let Some(n) = dns.ns_answering
            && n as usize > dns.ns.len()
        {
            return bad(
                "dns.ns_answering".into(),
                "exceeds the number of name servers",
            );
        }
        Ok(())
    }
}
