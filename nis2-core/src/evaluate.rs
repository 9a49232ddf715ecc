//! `evaluate`: observations in, findings out — the judgements of the catalog.

use crate::assessment::{Finding, Status};
use crate::catalog::CheckId;
use crate::evidence::Evidence;
use crate::observations::{
    CertificateObservations, DnsObservations, EmailObservations, HttpExchange, HttpObservations,
    KeyAlgorithm, Observations, PathProbe, PortObservations, Probe, RevocationSource,
    RevocationStatus, TlsObservations, TlsVersion,
};
use crate::parse::{dmarc, headers, mta_sts, security_txt, spf};
use crate::suites;
use crate::text::cat;
use crate::{Error, Timestamp};

/// Path of the Git HEAD probe.
pub const GIT_HEAD_PATH: &str = "/.git/HEAD";
/// Path of the dotenv probe.
pub const DOTENV_PATH: &str = "/.env";
/// Path of security.txt (RFC 9116 §3).
pub const SECURITY_TXT_PATH: &str = "/.well-known/security.txt";
/// Legacy location of security.txt, accepted as a fallback.
pub const SECURITY_TXT_LEGACY_PATH: &str = "/security.txt";

/// Remote administration ports: Telnet, RDP, VNC, WinRM.
pub const REMOTE_ADMIN_PORTS: &[u16] = &[23, 3389, 5900, 5985, 5986];
/// File-sharing ports at the critical tier: NetBIOS, SMB.
pub const FILE_SHARE_CRITICAL_PORTS: &[u16] = &[139, 445];
/// File-sharing ports at the medium tier: FTP.
pub const FILE_SHARE_MEDIUM_PORTS: &[u16] = &[21];
/// Database and cache ports.
pub const DATABASE_PORTS: &[u16] = &[1433, 3306, 5432, 6379, 9200, 11211, 27017];
/// Every port the exposure checks look at, ascending.
pub const RISKY_PORTS: &[u16] = &[
    21, 23, 139, 445, 1433, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 9200, 11211, 27017,
];

/// Days before expiry at which `cert.expires_soon` fails at the high tier.
pub const EXPIRY_HIGH_DAYS: i64 = 7;
/// Days before expiry at which it fails at the medium tier.
pub const EXPIRY_MEDIUM_DAYS: i64 = 30;

struct Out {
    findings: Vec<Finding>,
}

impl Out {
    #[inline(always)]
    fn push(&mut self, id: CheckId, status: Status, tier: usize, evidence: impl Into<Evidence>) {
        let row = id.check();
        let t = row.tiers[tier.min(row.tiers.len() - 1)];
        let failed = status == Status::Fail;
        self.findings.push(Finding {
            check_id: id,
            status,
            severity: t.severity,
            penalty: if failed { t.penalty } else { 0 },
            bonus: if failed { 0 } else { row.bonus },
            cap: if failed { t.cap } else { None },
            evidence: evidence.into(),
        });
    }

    #[inline(always)]
    fn pass(&mut self, id: CheckId, evidence: impl Into<Evidence>) {
        self.push(id, Status::Pass, 0, evidence);
    }

    #[inline(always)]
    fn fail(&mut self, id: CheckId, evidence: impl Into<Evidence>) {
        self.push(id, Status::Fail, 0, evidence);
    }

    #[inline(always)]
    fn fail_tier(&mut self, id: CheckId, tier: usize, evidence: impl Into<Evidence>) {
        self.push(id, Status::Fail, tier, evidence);
    }

    #[inline(always)]
    fn check_with(&mut self, id: CheckId, failed: bool, evidence: impl Into<Evidence>) {
        let status = if failed { Status::Fail } else { Status::Pass };
        self.push(id, status, 0, evidence);
    }

    #[inline(always)]
    fn check(&mut self, id: CheckId, failed: bool, fail_ev: &'static str, pass_ev: &'static str) {
        if failed {
            self.fail(id, fail_ev)
        } else {
            self.pass(id, pass_ev)
        }
    }
}

/// Judges observations against the catalog at time `now`.
///
/// Returns one finding per deduction check whose facts were gathered (pass
/// or fail) and one per bonus earned; checks without facts are left out and
/// count as not assessed. Observations that fail [`Observations::validate`]
/// give [`Error::InvalidObservations`].
///
/// ```
/// use nis2_core::{evaluate, observations::*, CheckId, Timestamp};
/// let mut obs = Observations::new("example.com");
/// obs.ports = Some(PortObservations { address: "192.0.2.1".into(), scanned: vec![3389], open: vec![3389] });
/// let findings = evaluate(&obs, Timestamp::parse("2026-01-01T00:00:00Z")?)?;
/// assert!(findings.iter().any(|f| f.check_id == CheckId::ExposureRemoteAdmin && f.failed()));
/// # Ok::<(), nis2_core::Error>(())
/// ```
pub fn evaluate(obs: &Observations, now: Timestamp) -> Result<Vec<Finding>, Error> {
    obs.validate()?;
    let mut out = Out {
        findings: Vec::with_capacity(48),
    };
    if let Some(tls) = &obs.tls {
        tls_checks(&mut out, tls, &obs.domain, now);
    }
    if let Some(http) = &obs.http {
        http_checks(&mut out, http, now);
    }
    if let Some(email) = &obs.email {
        email_checks(&mut out, email, &obs.domain);
    }
    if let Some(dns) = &obs.dns {
        dns_checks(&mut out, dns, obs.email.as_ref());
    }
    if let Some(ports) = &obs.ports {
        port_checks(&mut out, ports);
    }
    Ok(out.findings)
}

// ---------------------------------------------------------------- TLS

fn tls_checks(out: &mut Out, tls: &TlsObservations, domain: &str, now: Timestamp) {
    if !tls.reachable {
        let ev = if tls.address.is_empty() {
            Evidence::from_static("no TLS handshake completed on the HTTPS port")
        } else {
            cat!("no TLS handshake completed at ", &tls.address)
        };
        out.fail(CheckId::HttpsUnavailable, ev);
        return;
    }
    out.pass(
        CheckId::HttpsUnavailable,
        "TLS service answers on the HTTPS port",
    );

    let p = &tls.protocols;
    let (ssl2, ssl3) = (p.ssl2, p.ssl3);
    if ssl2 != Probe::Unknown || ssl3 != Probe::Unknown {
        let ev = match (ssl2.accepted(), ssl3.accepted()) {
            (true, true) => "SSLv2 and SSLv3 accepted",
            (true, false) => "SSLv2 accepted",
            (false, true) => "SSLv3 accepted",
            (false, false) => "SSLv3 refused",
        };
        out.check(
            CheckId::TlsSsl3Enabled,
            ssl2.accepted() || ssl3.accepted(),
            ev,
            ev,
        );
    }
    for (id, v) in [
        (CheckId::TlsTls10Enabled, TlsVersion::Tls10),
        (CheckId::TlsTls11Enabled, TlsVersion::Tls11),
    ] {
        match p.get(v) {
            Probe::Accepted => out.fail(id, version_evidence(v, true)),
            Probe::Refused => out.pass(id, version_evidence(v, false)),
            Probe::Unknown => {}
        }
    }
    match p.tls1_3 {
        Probe::Accepted => out.pass(CheckId::TlsNoTls13, "TLSv1.3 accepted"),
        Probe::Refused => out.fail(CheckId::TlsNoTls13, "TLSv1.3 refused"),
        Probe::Unknown => {}
    }

    // An empty suite list means suites were not probed (an accepted version
    // always records the suite it chose).
    if !tls.accepted_suites.is_empty() {
        let mut weak = None;
        let mut no_fs = None;
        for s in &tls.accepted_suites {
            let Some(class) = suites::classify_accepted(s.id, &s.name) else {
                continue;
            };
            if weak.is_none() && class.weakness.is_some() {
                weak = Some(s);
            }
            if no_fs.is_none() && !class.forward_secrecy && s.version <= TlsVersion::Tls12 {
                no_fs = Some(s);
            }
        }
        match weak {
            Some(s) => out.fail(
                CheckId::TlsWeakCipher,
                cat!(&s.name, " accepted on ", s.version.as_str()),
            ),
            None => out.pass(
                CheckId::TlsWeakCipher,
                "no RC4, DES, 3DES, NULL, EXPORT or anonymous suite accepted",
            ),
        }
        match no_fs {
            Some(s) => out.fail(
                CheckId::TlsNoForwardSecrecy,
                cat!(
                    &s.name,
                    " (no ephemeral key exchange) accepted on ",
                    s.version.as_str()
                ),
            ),
            None => out.pass(
                CheckId::TlsNoForwardSecrecy,
                "every accepted suite uses ephemeral (EC)DHE",
            ),
        }
    }

    let old_refused = [
        TlsVersion::Ssl2,
        TlsVersion::Ssl3,
        TlsVersion::Tls10,
        TlsVersion::Tls11,
    ]
    .iter()
    .all(|v| p.get(*v) == Probe::Refused);
    if p.tls1_3.accepted() && old_refused {
        out.pass(
            CheckId::BonusModernTls,
            "TLSv1.3 accepted; SSLv2, SSLv3, TLSv1.0 and TLSv1.1 refused",
        );
    }
    if p.tls1_3.accepted() && tls.hybrid_pq_kex == Some(true) {
        // `negotiated_group` is what the classical TLS 1.3 handshake chose, so
        // it does not name the hybrid group; the probe offers X25519MLKEM768.
        out.pass(
            CheckId::BonusPqKex,
            "hybrid post-quantum group X25519MLKEM768 accepted on TLS 1.3",
        );
    }

    if let Some(cert) = &tls.certificate {
        cert_checks(out, cert, domain, now);
    }
}

/// `open TCP port(s) N` for each of [`RISKY_PORTS`], in its order.
const OPEN_PORT_EVIDENCE: [&str; 15] = [
    "open TCP port(s) 21",
    "open TCP port(s) 23",
    "open TCP port(s) 139",
    "open TCP port(s) 445",
    "open TCP port(s) 1433",
    "open TCP port(s) 3306",
    "open TCP port(s) 3389",
    "open TCP port(s) 5432",
    "open TCP port(s) 5900",
    "open TCP port(s) 5985",
    "open TCP port(s) 5986",
    "open TCP port(s) 6379",
    "open TCP port(s) 9200",
    "open TCP port(s) 11211",
    "open TCP port(s) 27017",
];

/// `max-age=N`; the values sites commonly send are spelled out.
fn hsts_evidence(max_age: u64) -> Evidence {
    match max_age {
        300 => "max-age=300".into(),
        3600 => "max-age=3600".into(),
        86_400 => "max-age=86400".into(),
        604_800 => "max-age=604800".into(),
        2_592_000 => "max-age=2592000".into(),
        15_552_000 => "max-age=15552000".into(),
        15_768_000 => "max-age=15768000".into(),
        31_536_000 => "max-age=31536000".into(),
        63_072_000 => "max-age=63072000".into(),
        n => cat!("max-age=", n.min(i64::MAX as u64) as i64),
    }
}

/// `2 name server(s) answering, 2 mail exchanger(s)`; the usual counts are
/// spelled out.
fn continuity_evidence(ns: usize, mx: Option<usize>) -> Evidence {
    let known = match (ns, mx) {
        (1, None) => "1 name server(s) answering",
        (2, None) => "2 name server(s) answering",
        (3, None) => "3 name server(s) answering",
        (4, None) => "4 name server(s) answering",
        (1, Some(1)) => "1 name server(s) answering, 1 mail exchanger(s)",
        (1, Some(2)) => "1 name server(s) answering, 2 mail exchanger(s)",
        (2, Some(0)) => "2 name server(s) answering, 0 mail exchanger(s)",
        (2, Some(1)) => "2 name server(s) answering, 1 mail exchanger(s)",
        (2, Some(2)) => "2 name server(s) answering, 2 mail exchanger(s)",
        (2, Some(3)) => "2 name server(s) answering, 3 mail exchanger(s)",
        (3, Some(2)) => "3 name server(s) answering, 2 mail exchanger(s)",
        (4, Some(2)) => "4 name server(s) answering, 2 mail exchanger(s)",
        (ns, Some(mx)) => {
            return cat!(ns, " name server(s) answering, ", mx, " mail exchanger(s)");
        }
        (ns, None) => return cat!(ns, " name server(s) answering"),
    };
    known.into()
}

/// `SPF ends in ?all` and friends.
fn spf_ends_in(q: spf::Qualifier) -> &'static str {
    match q {
        spf::Qualifier::Pass => "SPF ends in +all",
        spf::Qualifier::Fail => "SPF ends in -all",
        spf::Qualifier::SoftFail => "SPF ends in ~all",
        spf::Qualifier::Neutral => "SPF ends in ?all",
    }
}

/// `RSA 2048 bits`: the usual sizes are spelled out so that they cost no
/// allocation; any other is formatted.
fn key_evidence(algorithm: KeyAlgorithm, name: &'static str, bits: u32) -> Evidence {
    let known = match (algorithm, bits) {
        (KeyAlgorithm::Rsa, 1024) => "RSA 1024 bits",
        (KeyAlgorithm::Rsa, 2048) => "RSA 2048 bits",
        (KeyAlgorithm::Rsa, 3072) => "RSA 3072 bits",
        (KeyAlgorithm::Rsa, 4096) => "RSA 4096 bits",
        (KeyAlgorithm::Ec, 256) => "ECDSA 256 bits",
        (KeyAlgorithm::Ec, 384) => "ECDSA 384 bits",
        (KeyAlgorithm::Ec, 521) => "ECDSA 521 bits",
        (KeyAlgorithm::Ed25519, 256) => "Ed25519 256 bits",
        _ => return cat!(name, " ", bits, " bits"),
    };
    known.into()
}

fn version_evidence(v: TlsVersion, accepted: bool) -> &'static str {
    match (v, accepted) {
        (TlsVersion::Tls10, true) => "TLSv1.0 accepted",
        (TlsVersion::Tls10, false) => "TLSv1.0 refused",
        (TlsVersion::Tls11, true) => "TLSv1.1 accepted",
        _ => "TLSv1.1 refused",
    }
}

fn cert_checks(out: &mut Out, cert: &CertificateObservations, domain: &str, now: Timestamp) {
    // `validate` guarantees a leaf.
    let Some(leaf) = cert.chain.first() else {
        return;
    };
    let expired = now > leaf.not_after;
    let not_yet = now < leaf.not_before;
    if expired {
        out.fail(
            CheckId::CertExpired,
            cat!("leaf expired at ", leaf.not_after),
        );
    } else if not_yet {
        out.fail(
            CheckId::CertExpired,
            cat!("leaf not valid before ", leaf.not_before),
        );
    } else {
        out.pass(CheckId::CertExpired, "leaf within its validity period");
    }

    if let Some(r) = &cert.revocation {
        let revoked = r.status == RevocationStatus::Revoked;
        let ev = match (r.source, revoked) {
            (RevocationSource::Stapled, true) => "stapled OCSP response says the leaf is revoked",
            (RevocationSource::Responder, true) => "OCSP responder says the leaf is revoked",
            (RevocationSource::Stapled, false) => {
                "stapled OCSP response does not report the leaf revoked"
            }
            (RevocationSource::Responder, false) => {
                "OCSP responder does not report the leaf revoked"
            }
        };
        out.check(CheckId::CertRevoked, revoked, ev, ev);
    }

    if cert.trusted {
        out.pass(CheckId::CertUntrusted, "chain verifies to a trusted root");
    } else {
        let ev = match (&cert.verify_error, leaf.self_signed) {
            (_, true) => Evidence::from_static("self-signed certificate"),
            (Some(e), _) => cat!("chain does not verify: ", e),
            (None, _) => Evidence::from_static("chain does not verify to a trusted root"),
        };
        out.fail(CheckId::CertUntrusted, ev);
    }

    if leaf.sans.iter().any(|san| hostname_matches(san, domain)) {
        out.pass(
            CheckId::CertHostnameMismatch,
            "a subjectAltName matches the domain",
        );
    } else if leaf.sans.is_empty() {
        out.fail(
            CheckId::CertHostnameMismatch,
            "certificate has no DNS subjectAltName",
        );
    } else {
        let mut ev = String::from("certificate is for ");
        for (i, san) in leaf.sans.iter().take(3).enumerate() {
            if i > 0 {
                ev.push_str(", ");
            }
            ev.push_str(san);
        }
        ev.push_str(", not ");
        ev.push_str(domain);
        out.fail(CheckId::CertHostnameMismatch, ev);
    }

    if !expired && !not_yet {
        let days_left = now.days_until(leaf.not_after);
        if days_left <= EXPIRY_HIGH_DAYS {
            out.fail_tier(
                CheckId::CertExpiresSoon,
                0,
                cat!("expires in ", days_left, " days (", leaf.not_after, ")"),
            );
        } else if days_left <= EXPIRY_MEDIUM_DAYS {
            out.fail_tier(
                CheckId::CertExpiresSoon,
                1,
                cat!("expires in ", days_left, " days (", leaf.not_after, ")"),
            );
        } else {
            out.pass(
                CheckId::CertExpiresSoon,
                "more than 30 days of validity left",
            );
        }
    }

    let k = &leaf.key;
    let weak = match k.algorithm {
        KeyAlgorithm::Rsa | KeyAlgorithm::Dsa => k.bits < 2048,
        KeyAlgorithm::Ec => k.bits < 256,
        KeyAlgorithm::Ed25519 | KeyAlgorithm::Ed448 | KeyAlgorithm::Other => false,
    };
    let alg = match k.algorithm {
        KeyAlgorithm::Rsa => "RSA",
        KeyAlgorithm::Ec => "ECDSA",
        KeyAlgorithm::Ed25519 => "Ed25519",
        KeyAlgorithm::Ed448 => "Ed448",
        KeyAlgorithm::Dsa => "DSA",
        KeyAlgorithm::Other => "other",
    };
    out.check_with(
        CheckId::CertWeakKey,
        weak,
        key_evidence(k.algorithm, alg, k.bits),
    );

    // A self-signed root in the served chain is trusted by identity, not by
    // its own signature, so only the leaf and intermediates count.
    let weak_sig = cert
        .chain
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 0 || !c.self_signed)
        .find(|(_, c)| weak_signature(&c.signature_algorithm));
    match weak_sig {
        Some((i, c)) => out.fail(
            CheckId::CertSha1Signature,
            cat!(
                if i == 0 { "leaf" } else { "intermediate" },
                " signed with ",
                &c.signature_algorithm
            ),
        ),
        None => out.pass(
            CheckId::CertSha1Signature,
            "leaf and intermediates signed with SHA-2 or better",
        ),
    }
}

/// RFC 6125 matching of a DNS subjectAltName against a host name: case-
/// insensitive, a trailing dot ignored, a wildcard only as the whole
/// left-most label and matching exactly one label.
pub fn hostname_matches(san: &str, host: &str) -> bool {
    let san = trim_trailing_dots(san);
    let host = trim_trailing_dots(host);
    if let Some(suffix) = san.strip_prefix("*.") {
        match crate::parse::split_once_byte(host, b'.') {
            Some((first, rest)) => {
                !first.is_empty() && suffix.contains('.') && crate::parse::eq_ci(rest, suffix)
            }
            None => false,
        }
    } else {
        crate::parse::eq_ci(san, host)
    }
}

/// Signature algorithms certificates are commonly signed with that are
/// not weak: named here so that they need no scan.
const STRONG_SIGNATURES: [&str; 8] = [
    "sha256WithRSAEncryption",
    "sha384WithRSAEncryption",
    "sha512WithRSAEncryption",
    "ecdsa-with-SHA256",
    "ecdsa-with-SHA384",
    "ecdsa-with-SHA512",
    "RSASSA-PSS",
    "ED25519",
];

/// `s` without its trailing dots (like `trim_end_matches('.')`).
fn trim_trailing_dots(s: &str) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && b[end - 1] == b'.' {
        end -= 1;
    }
    // `.` is ASCII, so `end` is a character boundary.
    &s[..end]
}

fn weak_signature(alg: &str) -> bool {
    let a = crate::parse::trim(alg);
    if STRONG_SIGNATURES.contains(&a) {
        return false;
    }
    weak_signature_scan(a)
}

fn weak_signature_scan(a: &str) -> bool {
    // One pass: does "sha1", "sha-1", "md5" or "md2" occur, in any case?
    let b = a.as_bytes();
    let at = |i: usize, pat: &[u8]| {
        b.get(i..i + pat.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(pat))
    };
    let named = (0..b.len()).any(|i| match b[i].to_ascii_lowercase() {
        b's' => at(i, b"sha1") || at(i, b"sha-1"),
        b'm' => at(i, b"md5") || at(i, b"md2"),
        _ => false,
    });
    // OIDs: sha1WithRSA, md5WithRSA, md2WithRSA, ecdsa-with-SHA1, dsa-with-sha1.
    named
        || matches!(
            a,
            "1.2.840.113549.1.1.5"
                | "1.2.840.113549.1.1.4"
                | "1.2.840.113549.1.1.2"
                | "1.2.840.10045.4.1"
                | "1.2.840.10040.4.3"
        )
}

// ---------------------------------------------------------------- HTTP

fn header<'a>(
    hop: &'a crate::observations::HttpHop,
    name: &'static str,
) -> impl Iterator<Item = &'a str> + use<'a> {
    hop.headers
        .iter()
        .filter(move |h| crate::parse::eq_ci(&h.0, name))
        .map(|h| h.1.as_str())
}

fn first_header<'a>(hop: &'a crate::observations::HttpHop, name: &str) -> Option<&'a str> {
    hop.headers
        .iter()
        .find(|h| crate::parse::eq_ci(&h.0, name))
        .map(|h| h.1.as_str())
}

fn redirects_to_https(x: &HttpExchange) -> bool {
    x.hops.iter().any(|h| {
        (300..400).contains(&h.status)
            && first_header(h, "location").is_some_and(|l| {
                l.trim_ascii_start()
                    .get(..8)
                    .is_some_and(|s| crate::parse::eq_ci(s, "https://"))
            })
    }) || x.hops.last().is_some_and(|h| {
        h.url
            .get(..8)
            .is_some_and(|s| crate::parse::eq_ci(s, "https://"))
    })
}

fn http_checks(out: &mut Out, http: &HttpObservations, now: Timestamp) {
    match &http.plain {
        Some(x) if !x.hops.is_empty() => {
            if redirects_to_https(x) {
                out.pass(
                    CheckId::HttpNoHttpsRedirect,
                    "plain HTTP redirects to HTTPS",
                );
            } else {
                let status = x.hops.last().map_or(0, |h| h.status);
                let ev: Evidence = match status {
                    200 => "plain HTTP answered 200 without redirecting to HTTPS".into(),
                    _ => cat!(
                        "plain HTTP answered ",
                        status,
                        " without redirecting to HTTPS"
                    ),
                };
                out.fail(CheckId::HttpNoHttpsRedirect, ev);
            }
        }
        _ => out.pass(
            CheckId::HttpNoHttpsRedirect,
            "nothing served over plain HTTP",
        ),
    }

    // Hop by hop, the Server values first, then X-Powered-By, then
    // X-AspNet-Version: the first that names a version.
    let mut disclosed = None;
    'hops: for h in http
        .plain
        .iter()
        .chain(http.https.iter())
        .flat_map(|x| &x.hops)
    {
        for name in ["server", "x-powered-by", "x-aspnet-version"] {
            for v in header(h, name) {
                let found = headers::disclosed_version(v)
                    .or_else(|| v.bytes().next().filter(u8::is_ascii_digit).map(|_| v));
                if found.is_some() {
                    disclosed = found;
                    break 'hops;
                }
            }
        }
    }

    if let Some(final_hop) = http.https.as_ref().and_then(HttpExchange::last) {
        // One pass over the final response's headers: the first of each that
        // matters, and what the Content-Security-Policy headers say.
        let (mut hsts, mut xfo, mut xcto, mut referrer) = (None, None, None, None);
        let (mut csp, mut frame_ancestors) = (false, false);
        for crate::observations::Header(name, value) in &final_hop.headers {
            let slot = match name.len() {
                25 if crate::parse::eq_ci(name, "strict-transport-security") => &mut hsts,
                23 if crate::parse::eq_ci(name, "content-security-policy") => {
                    if !crate::parse::trim(value).is_empty() {
                        csp = true;
                        frame_ancestors |= headers::csp_has_frame_ancestors(value);
                    }
                    continue;
                }
                15 if crate::parse::eq_ci(name, "x-frame-options") => &mut xfo,
                22 if crate::parse::eq_ci(name, "x-content-type-options") => &mut xcto,
                15 if crate::parse::eq_ci(name, "referrer-policy") => &mut referrer,
                _ => continue,
            };
            slot.get_or_insert(value.as_str());
        }
        match hsts.map(headers::parse_hsts) {
            None => out.fail(
                CheckId::HttpHstsMissing,
                "no Strict-Transport-Security header",
            ),
            Some(Err(e)) => out.fail(
                CheckId::HttpHstsMissing,
                cat!("Strict-Transport-Security ignored by browsers: ", &e.reason),
            ),
            Some(Ok(h)) if h.max_age == 0 => out.fail(
                CheckId::HttpHstsMissing,
                "Strict-Transport-Security max-age=0 disables HSTS",
            ),
            Some(Ok(h)) => {
                out.pass(
                    CheckId::HttpHstsMissing,
                    "Strict-Transport-Security present",
                );
                let ev = hsts_evidence(h.max_age);
                out.check_with(
                    CheckId::HttpHstsWeak,
                    h.max_age < headers::HSTS_MIN_MAX_AGE,
                    ev,
                );
                if h.include_subdomains && h.preload && h.max_age >= headers::HSTS_MIN_MAX_AGE {
                    out.pass(
                        CheckId::BonusHstsPreload,
                        "max-age of a year or more, includeSubDomains and preload",
                    );
                }
            }
        }
        out.check(
            CheckId::HttpCspMissing,
            !csp,
            "no Content-Security-Policy header",
            "Content-Security-Policy present",
        );
        let xfo = xfo.is_some_and(headers::xfo_protects);
        let fa = frame_ancestors;
        let ev = match (xfo, fa) {
            (true, _) => "X-Frame-Options set",
            (false, true) => "CSP frame-ancestors set",
            (false, false) => "neither X-Frame-Options nor CSP frame-ancestors",
        };
        out.check(CheckId::HttpFrameProtectionMissing, !(xfo || fa), ev, ev);
        let nosniff = xcto.is_some_and(headers::xcto_is_nosniff);
        out.check(
            CheckId::HttpXctoMissing,
            !nosniff,
            "no X-Content-Type-Options: nosniff",
            "X-Content-Type-Options: nosniff",
        );
        let rp = referrer.is_some_and(headers::referrer_policy_valid);
        out.check(
            CheckId::HttpReferrerPolicyMissing,
            !rp,
            "no valid Referrer-Policy header",
            "Referrer-Policy set",
        );

        let mut insecure = None;
        'cookies: for h in http.https.iter().flat_map(|x| &x.hops) {
            for v in header(h, "set-cookie") {
                if let Ok(c) = headers::parse_set_cookie(v)
                    && !(c.secure && c.http_only)
                {
                    insecure = Some(c);
                    break 'cookies;
                }
            }
        }
        match insecure {
            Some(c) => {
                let missing = match (c.secure, c.http_only) {
                    (false, false) => "Secure and HttpOnly",
                    (false, true) => "Secure",
                    _ => "HttpOnly",
                };
                out.fail(
                    CheckId::HttpCookieInsecure,
                    cat!("cookie `", c.name, "` lacks ", missing),
                );
            }
            None => out.pass(
                CheckId::HttpCookieInsecure,
                "every cookie set over HTTPS has Secure and HttpOnly",
            ),
        }
    }

    let any_response = http
        .plain
        .iter()
        .chain(http.https.iter())
        .any(|x| !x.hops.is_empty());
    if any_response {
        match disclosed {
            Some(v) => out.fail(
                CheckId::HttpVersionDisclosure,
                cat!("headers reveal `", v, "`"),
            ),
            None => out.pass(
                CheckId::HttpVersionDisclosure,
                "no product version in Server or X-Powered-By",
            ),
        }
    }

    let probe = |path: &str| http.paths.iter().find(|p| p.path == path);
    let baseline = http.not_found_baseline.as_ref();
    let git = probe(GIT_HEAD_PATH);
    let env = probe(DOTENV_PATH);
    if git.is_some() || env.is_some() {
        let git_hit = git.filter(|p| !same_as_baseline(p, baseline) && is_git_head(p));
        let env_hit = env.filter(|p| !same_as_baseline(p, baseline) && is_dotenv(p));
        match (git_hit, env_hit) {
            (Some(_), Some(_)) => out.fail(
                CheckId::HttpSensitivePathExposed,
                "/.git/HEAD and /.env served with real content",
            ),
            (Some(_), None) => out.fail(
                CheckId::HttpSensitivePathExposed,
                "/.git/HEAD served with real content",
            ),
            (None, Some(_)) => out.fail(
                CheckId::HttpSensitivePathExposed,
                "/.env served with real content",
            ),
            (None, None) => out.pass(
                CheckId::HttpSensitivePathExposed,
                "/.git/HEAD and /.env not exposed",
            ),
        }
    }

    let sec = probe(SECURITY_TXT_PATH);
    let legacy = probe(SECURITY_TXT_LEGACY_PATH);
    if sec.is_some() || legacy.is_some() {
        let parsed = [sec, legacy]
            .into_iter()
            .flatten()
            .filter(|p| p.status == 200)
            .map(|p| security_txt::first_contact(&p.body));
        let mut reason: Option<Evidence> = None;
        let mut valid = None;
        for r in parsed {
            match r {
                Ok((contact, expires)) if expires > now => {
                    valid = Some(contact);
                    break;
                }
                Ok((_, expires)) => reason = Some(cat!("security.txt expired at ", expires)),
                Err(e) => reason = reason.or_else(|| Some(e.to_string().into())),
            }
        }
        match valid {
            Some(contact) => {
                out.pass(CheckId::VulnSecurityTxtMissing, "valid security.txt");
                out.pass(
                    CheckId::BonusSecurityTxt,
                    cat!("security contact: ", contact),
                );
            }
            None => out.fail(
                CheckId::VulnSecurityTxtMissing,
                reason.unwrap_or(Evidence::from_static("no security.txt served")),
            ),
        }
    }
}

fn same_as_baseline(p: &PathProbe, baseline: Option<&PathProbe>) -> bool {
    baseline.is_some_and(|b| b.status == p.status && !b.body.is_empty() && b.body == p.body)
}

fn is_git_head(p: &PathProbe) -> bool {
    if p.status != 200 {
        return false;
    }
    let b = crate::parse::trim(&p.body);
    b.starts_with("ref: refs/")
        || ((b.len() == 40 || b.len() == 64) && b.bytes().all(|c| c.is_ascii_hexdigit()))
}

fn is_dotenv(p: &PathProbe) -> bool {
    if p.status != 200 || p.body.trim_ascii_start().starts_with('<') {
        return false;
    }
    if p.content_type
        .as_deref()
        .is_some_and(|c| crate::parse::contains_ci(c, "html"))
    {
        return false;
    }
    crate::parse::lines(&p.body).any(|l| {
        let l = l.trim_ascii_start();
        let l = l.strip_prefix("export ").unwrap_or(l);
        match crate::parse::split_once_byte(l, b'=') {
            Some((k, _)) => {
                !k.is_empty()
                    && k.bytes()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
                    && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
            }
            None => false,
        }
    })
}

// ---------------------------------------------------------------- e-mail

fn email_checks(out: &mut Out, e: &EmailObservations, domain: &str) {
    let receives_mail =
        e.mx.iter()
            .any(|m| !m.exchange.trim_end_matches('.').is_empty());
    let spf = &e.spf;
    if spf.records.is_empty() {
        if receives_mail {
            out.fail(CheckId::EmailSpfMissing, "no v=spf1 TXT record");
        } else {
            out.pass(
                CheckId::EmailSpfMissing,
                "domain has no MX; SPF not required",
            );
        }
    } else {
        out.pass(CheckId::EmailSpfMissing, "SPF record published");
        let parsed = match spf.records.as_slice() {
            [one] => Some(spf::verdict(one)),
            _ => None,
        };
        let invalid: Option<Evidence> = if spf.records.len() > 1 {
            Some(cat!(
                spf.records.len(),
                " SPF records (must be exactly one)"
            ))
        } else if let Some(Err(err)) = &parsed {
            Some(err.to_string().into())
        } else if let Some(n) = spf.dns_lookups.filter(|n| *n > 10) {
            Some(cat!(n, " DNS lookups needed (limit 10)"))
        } else if let Some(n) = spf.void_lookups.filter(|n| *n > 2) {
            Some(cat!(n, " void DNS lookups (limit 2)"))
        } else {
            spf.errors
                .first()
                .map(|err| cat!("SPF evaluation fails: ", err))
        };
        match invalid {
            Some(ev) => out.fail(CheckId::EmailSpfInvalid, ev),
            None => out.pass(
                CheckId::EmailSpfInvalid,
                "one valid SPF record within the lookup limits",
            ),
        }
        if let Some(Ok(rec)) = parsed {
            let ev = match rec.all {
                Some(q) => spf_ends_in(q),
                None if rec.is_permissive() => "SPF has neither `all` nor `redirect`",
                None => "SPF delegates with redirect=",
            };
            out.check(CheckId::EmailSpfPermissive, rec.is_permissive(), ev, ev);
        }
    }

    let d = &e.dmarc;
    // Found at the organisational domain (the scanner's fallback for a
    // subdomain without its own record): the subdomain policy is the one in force.
    let inherited = d
        .name
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("_dmarc."))
        && !crate::parse::eq_ci(trim_trailing_dots(&d.name[7..]), trim_trailing_dots(domain));
    let parsed = match d.records.as_slice() {
        [] => Err(Evidence::from_static("no DMARC record")),
        [one] => dmarc::policy_and_pct(one, inherited).map_err(|e| Evidence::from(e.to_string())),
        more => Err(cat!(more.len(), " DMARC records (must be exactly one)")),
    };
    match parsed {
        Err(ev) => out.fail(CheckId::EmailDmarcMissing, ev),
        Ok((policy, pct)) => {
            out.pass(CheckId::EmailDmarcMissing, "DMARC record published");
            let ev: Evidence = match (inherited, policy, pct) {
                (false, dmarc::Policy::None, 100) => "p=none pct=100".into(),
                (false, dmarc::Policy::Quarantine, 100) => "p=quarantine pct=100".into(),
                (false, dmarc::Policy::Reject, 100) => "p=reject pct=100".into(),
                (false, p, pct) => cat!("p=", p.as_str(), " pct=", pct),
                (true, p, pct) => cat!(
                    "subdomain policy ",
                    p.as_str(),
                    " pct=",
                    pct,
                    " of ",
                    d.name.as_str()
                ),
            };
            out.check_with(CheckId::EmailDmarcWeak, !dmarc::enforces(policy, pct), ev);
            if policy == dmarc::Policy::Reject && pct == 100 {
                let ev = if inherited {
                    "DMARC subdomain policy reject at pct=100"
                } else {
                    "DMARC p=reject at pct=100"
                };
                out.pass(CheckId::BonusDmarcReject, ev);
            }
        }
    }

    if let Some(k) = e.dkim.iter().find(|k| dkim_has_key(&k.record)) {
        out.pass(
            CheckId::BonusDkimFound,
            cat!("DKIM key at selector `", &k.selector, "`"),
        );
    }

    // MTA-STS and TLS-RPT protect mail delivered *to* the domain.
    if receives_mail {
        let record_ok =
            e.mta_sts.records.len() == 1 && mta_sts::record_valid(&e.mta_sts.records[0]);
        let policy = e
            .mta_sts
            .policy
            .as_ref()
            .filter(|p| p.status == 200)
            .map(|p| mta_sts::policy_mode(&p.body));
        match (record_ok, policy) {
            (false, _) if e.mta_sts.records.is_empty() => {
                out.fail(CheckId::EmailMtaStsMissing, "no _mta-sts TXT record")
            }
            (false, _) => out.fail(
                CheckId::EmailMtaStsMissing,
                "_mta-sts TXT record invalid or duplicated",
            ),
            (true, None) => {
                let why = e
                    .mta_sts
                    .policy
                    .as_ref()
                    .and_then(|p| p.error.clone())
                    .unwrap_or_else(|| "policy file not served".to_owned());
                out.fail(
                    CheckId::EmailMtaStsMissing,
                    cat!("MTA-STS policy unavailable: ", &why),
                );
            }
            (true, Some(Err(err))) => out.fail(CheckId::EmailMtaStsMissing, err.to_string()),
            (true, Some(Ok(mode))) => match mode {
                mta_sts::Mode::None => {
                    out.fail(CheckId::EmailMtaStsMissing, "MTA-STS policy mode is none")
                }
                mta_sts::Mode::Testing => out.pass(
                    CheckId::EmailMtaStsMissing,
                    "MTA-STS policy in testing mode",
                ),
                mta_sts::Mode::Enforce => {
                    out.pass(
                        CheckId::EmailMtaStsMissing,
                        "MTA-STS policy in enforce mode",
                    );
                    out.pass(CheckId::BonusMtaStsEnforce, "MTA-STS mode: enforce");
                }
            },
        }
        let rpt = e.tls_rpt.iter().any(|r| {
            r.trim_ascii_start().starts_with("v=TLSRPTv1")
                && crate::parse::split_at_byte(r, b';')
                    .any(|f| crate::parse::trim(f).starts_with("rua="))
        });
        out.check(
            CheckId::EmailTlsrptMissing,
            !rpt,
            "no valid _smtp._tls TLS-RPT record",
            "TLS-RPT record published",
        );
    }
}

fn dkim_has_key(record: &str) -> bool {
    crate::parse::split_at_byte(record, b';').any(|t| {
        match crate::parse::split_once_byte(t, b'=') {
            Some((k, v)) => crate::parse::trim(k) == "p" && !crate::parse::trim(v).is_empty(),
            None => false,
        }
    })
}

// ---------------------------------------------------------------- DNS

fn dns_checks(out: &mut Out, dns: &DnsObservations, email: Option<&EmailObservations>) {
    // Indicator for Art. 21(2)(c): redundant name servers and mail exchangers.
    let ns = dns.ns_answering.map_or(dns.ns.len(), |n| n as usize);
    let mx = email.map(|e| {
        e.mx.iter()
            .filter(|m| !m.exchange.trim_end_matches('.').is_empty())
            .count()
    });
    let ev = continuity_evidence(ns, mx);
    out.check_with(
        CheckId::IndicatorContinuity,
        ns < 2 || mx.is_some_and(|m| m == 1),
        ev,
    );

    let s = &dns.dnssec;
    let signed =
        s.ds && s.dnskey && s.validated != Some(false) && (s.validated == Some(true) || s.rrsig);
    if signed {
        out.pass(
            CheckId::DnsDnssecMissing,
            "zone signed (DS, DNSKEY) and validated",
        );
        out.pass(CheckId::BonusDnssecSigned, "DNSSEC chain validated");
    } else {
        let ev = if s.validated == Some(false) {
            "DNSSEC validation failed"
        } else if !s.ds {
            "no DS record at the parent"
        } else {
            "no DNSKEY at the zone apex"
        };
        out.fail(CheckId::DnsDnssecMissing, ev);
    }
    match dns.caa.first() {
        Some(r) => {
            out.pass(CheckId::DnsCaaMissing, cat!("CAA at ", &r.name));
            out.pass(
                CheckId::BonusCaaPresent,
                cat!(dns.caa.len(), " CAA record(s) at ", &r.name),
            );
        }
        None => out.fail(
            CheckId::DnsCaaMissing,
            "no CAA record at the domain or its parents",
        ),
    }
}

// ---------------------------------------------------------------- ports

/// The bit of `port` among [`RISKY_PORTS`] (bit i is `RISKY_PORTS[i]`);
/// 0 for any other port.
const fn risky_bit(port: u16) -> u32 {
    let mut i = 0;
    while i < RISKY_PORTS.len() {
        if RISKY_PORTS[i] == port {
            return 1 << i;
        }
        i += 1;
    }
    0
}

/// The bits of a set of risky ports.
const fn risky_mask(ports: &[u16]) -> u32 {
    let mut m = 0;
    let mut i = 0;
    while i < ports.len() {
        m |= risky_bit(ports[i]);
        i += 1;
    }
    m
}

const REMOTE_ADMIN_MASK: u32 = risky_mask(REMOTE_ADMIN_PORTS);
const FILE_SHARE_CRITICAL_MASK: u32 = risky_mask(FILE_SHARE_CRITICAL_PORTS);
const FILE_SHARE_MEDIUM_MASK: u32 = risky_mask(FILE_SHARE_MEDIUM_PORTS);
const DATABASE_MASK: u32 = risky_mask(DATABASE_PORTS);

fn port_checks(out: &mut Out, p: &PortObservations) {
    // Sets of risky ports as bits, so that each group is judged with a few
    // mask operations. A scan of exactly the risky ports (the usual case)
    // needs no look-up at all.
    let bits = |ports: &[u16]| {
        ports.iter().fold(0u32, |m, port| {
            m | RISKY_PORTS.binary_search(port).map_or(0, |i| 1u32 << i)
        })
    };
    let scanned = if p.scanned == RISKY_PORTS {
        risky_mask(RISKY_PORTS)
    } else {
        bits(&p.scanned)
    };
    let open = bits(&p.open);
    let group = |out: &mut Out, id: CheckId, crit: (&[u16], u32), medium: (&[u16], u32)| {
        if scanned & (crit.1 | medium.1) == 0 {
            return;
        }
        let list = |(ports, mask): (&[u16], u32)| -> Evidence {
            let open_here = open & mask;
            // One open port (the usual case) is spelled out in a table.
            if open_here.count_ones() == 1 {
                return OPEN_PORT_EVIDENCE[open_here.trailing_zeros() as usize].into();
            }
            let mut s = String::with_capacity(40);
            s.push_str("open TCP port(s) ");
            let mut first = true;
            for port in ports.iter().filter(|port| open & risky_bit(**port) != 0) {
                if !first {
                    s.push_str(", ");
                }
                first = false;
                crate::text::push_int(&mut s, i64::from(*port));
            }
            s.into()
        };
        if open & crit.1 != 0 {
            out.fail_tier(id, 0, list(crit));
        } else if open & medium.1 != 0 {
            out.fail_tier(id, 1, list(medium));
        } else {
            out.pass(id, "ports closed or filtered");
        }
    };
    group(
        out,
        CheckId::ExposureRemoteAdmin,
        (REMOTE_ADMIN_PORTS, REMOTE_ADMIN_MASK),
        (&[], 0),
    );
    group(
        out,
        CheckId::ExposureFileShare,
        (FILE_SHARE_CRITICAL_PORTS, FILE_SHARE_CRITICAL_MASK),
        (FILE_SHARE_MEDIUM_PORTS, FILE_SHARE_MEDIUM_MASK),
    );
    group(
        out,
        CheckId::ExposureDatabase,
        (DATABASE_PORTS, DATABASE_MASK),
        (&[], 0),
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The spelled-out evidence says exactly what formatting would.
    #[test]
    fn static_evidence_equals_the_formatted_text() {
        for (i, port) in RISKY_PORTS.iter().enumerate() {
            assert_eq!(OPEN_PORT_EVIDENCE[i], format!("open TCP port(s) {port}"));
        }
        for n in [0, 1, 299, 300, 3600, 86_400, 604_800, 2_592_000, 15_552_000]
            .into_iter()
            .chain([15_768_000, 31_536_000, 63_072_000, u64::MAX])
        {
            let shown = n.min(i64::MAX as u64);
            assert_eq!(hsts_evidence(n), format!("max-age={shown}"));
        }
        for ns in 0..6 {
            assert_eq!(
                continuity_evidence(ns, None),
                format!("{ns} name server(s) answering")
            );
            for mx in 0..6 {
                assert_eq!(
                    continuity_evidence(ns, Some(mx)),
                    format!("{ns} name server(s) answering, {mx} mail exchanger(s)")
                );
            }
        }
        for (alg, name) in [
            (KeyAlgorithm::Rsa, "RSA"),
            (KeyAlgorithm::Ec, "ECDSA"),
            (KeyAlgorithm::Ed25519, "Ed25519"),
            (KeyAlgorithm::Ed448, "Ed448"),
            (KeyAlgorithm::Dsa, "DSA"),
            (KeyAlgorithm::Other, "other"),
        ] {
            for bits in [1, 224, 256, 384, 456, 521, 1024, 2048, 3072, 4096, 8192] {
                assert_eq!(key_evidence(alg, name, bits), format!("{name} {bits} bits"));
            }
        }
        for q in [
            spf::Qualifier::Pass,
            spf::Qualifier::Fail,
            spf::Qualifier::SoftFail,
            spf::Qualifier::Neutral,
        ] {
            assert_eq!(spf_ends_in(q), format!("SPF ends in {}all", q.as_char()));
        }
    }

    #[test]
    fn strong_signature_shortcut_agrees_with_the_scan() {
        for a in STRONG_SIGNATURES {
            assert!(!weak_signature_scan(a), "{a}");
            assert!(!weak_signature(a));
        }
        for a in [
            "sha1WithRSAEncryption",
            "md5WithRSAEncryption",
            " SHA-1 ",
            "1.2.840.10045.4.1",
        ] {
            assert!(weak_signature(a), "{a}");
        }
        for (s, t) in [
            ("a.b..", "a.b"),
            ("...", ""),
            ("a", "a"),
            ("", ""),
            ("é.", "é"),
        ] {
            assert_eq!(trim_trailing_dots(s), s.trim_end_matches('.'));
            assert_eq!(trim_trailing_dots(s), t);
        }
    }

    /// The port groups are bits of `RISKY_PORTS`: it must be sorted (it is
    /// binary-searched), hold every group's ports and nothing else, and fit
    /// in the 32-bit masks.
    #[test]
    fn risky_ports_are_the_sorted_union_of_the_groups() {
        assert!(RISKY_PORTS.windows(2).all(|w| w[0] < w[1]));
        assert!(RISKY_PORTS.len() <= 32);
        let mut union: Vec<u16> = [
            REMOTE_ADMIN_PORTS,
            FILE_SHARE_CRITICAL_PORTS,
            FILE_SHARE_MEDIUM_PORTS,
            DATABASE_PORTS,
        ]
        .concat();
        union.sort_unstable();
        assert_eq!(union, RISKY_PORTS);
        for (i, port) in RISKY_PORTS.iter().enumerate() {
            assert_eq!(risky_bit(*port), 1 << i);
        }
        assert_eq!(risky_bit(8080), 0);
        assert_eq!(
            REMOTE_ADMIN_MASK | FILE_SHARE_CRITICAL_MASK | FILE_SHARE_MEDIUM_MASK | DATABASE_MASK,
            (1 << RISKY_PORTS.len()) - 1
        );
    }
}
