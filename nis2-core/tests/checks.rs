//! One passing and one failing case for every check of the catalog.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use nis2_core::observations::*;
use nis2_core::samples::flawless_vendor;
use nis2_core::{CheckId, Finding, Grade, Severity, Status, Timestamp, evaluate};

fn now() -> Timestamp {
    Timestamp::parse("2026-06-27T10:00:00Z").unwrap()
}

const D: &str = "vendor.example";

fn good() -> Observations {
    flawless_vendor(D, now())
}

fn find(fs: &[Finding], id: CheckId) -> Option<&Finding> {
    fs.iter().find(|f| f.check_id == id)
}

/// Evaluates `obs` and returns the finding for `id`, which must be present.
fn judge(obs: &Observations, id: CheckId) -> Finding {
    let fs = evaluate(obs, now()).unwrap();
    find(&fs, id)
        .unwrap_or_else(|| panic!("{id} not assessed"))
        .clone()
}

fn assert_fails(obs: &Observations, id: CheckId, sev: Severity, penalty: u8) -> Finding {
    let f = judge(obs, id);
    assert_eq!(f.status, Status::Fail, "{id} should fail: {}", f.evidence);
    assert_eq!((f.severity, f.penalty), (sev, penalty), "{id}");
    assert_eq!(f.bonus, 0);
    assert!(!f.evidence.is_empty());
    f
}

fn assert_passes(obs: &Observations, id: CheckId) {
    let f = judge(obs, id);
    assert_eq!(f.status, Status::Pass, "{id} should pass: {}", f.evidence);
    assert_eq!(f.penalty, 0);
}

fn tls(o: &mut Observations) -> &mut TlsObservations {
    o.tls.as_mut().unwrap()
}
fn leaf(o: &mut Observations) -> &mut CertificateInfo {
    &mut tls(o).certificate.as_mut().unwrap().chain[0]
}
fn https_headers(o: &mut Observations) -> &mut Vec<Header> {
    &mut o.http.as_mut().unwrap().https.as_mut().unwrap().hops[0].headers
}
fn drop_header(o: &mut Observations, name: &str) {
    https_headers(o).retain(|h| !h.0.eq_ignore_ascii_case(name));
}
fn set_header(o: &mut Observations, name: &str, value: &str) {
    drop_header(o, name);
    https_headers(o).push(Header(name.into(), value.into()));
}
fn email(o: &mut Observations) -> &mut EmailObservations {
    o.email.as_mut().unwrap()
}
fn path(o: &mut Observations, p: &str, status: u16, ctype: &str, body: &str) {
    let http = o.http.as_mut().unwrap();
    http.paths.retain(|x| x.path != p);
    http.paths.push(PathProbe {
        path: p.into(),
        status,
        content_type: Some(ctype.into()),
        body: body.into(),
    });
}

/// The check table of `CATALOG.md` (method `nis2-score/1`), verbatim: id,
/// when it fails, severity, penalty, cap, Art. 21(2) points, annex.
const CATALOG_MD: &str = r#"
| `https.unavailable` | no TLS service on the HTTPS port | critical | 40 | F | h, e | 9.1.2(b), 6.7.2(i) |
| `cert.expired` | leaf not valid now (expired or not yet valid) | critical | 40 | F | h | 9.1.2(c) |
| `cert.revoked` | the leaf is revoked: a stapled OCSP response says so, or the OCSP responder named in the certificate does (asked only at a policy-checked address) | critical | 40 | F | h | 9.1.2(c) |
| `cert.untrusted` | chain does not verify to a trusted root (incl. self-signed) | critical | 30 | D | h | 9.1.2(c) |
| `cert.hostname_mismatch` | no SAN matches the domain | critical | 30 | D | h | 9.1.2(c) |
| `cert.expires_soon` | ≤ 7 days left (high, 20) / ≤ 30 days left (medium, 8) | high/medium | 20/8 | — | h | 9.1.2(c)(v) |
| `cert.weak_key` | RSA < 2048 bits, ECDSA < 256 bits | high | 20 | C | h | 9.1.2(b) |
| `cert.sha1_signature` | leaf or intermediate signed with SHA-1 or MD5 | high | 15 | C | h | 9.1.2(b) |
| `tls.ssl3_enabled` | SSLv3 (or SSLv2) accepted | critical | 30 | D | h | 9.1.2(b) |
| `tls.tls10_enabled` | TLS 1.0 accepted | high | 15 | C | h | 9.1.2(b) |
| `tls.tls11_enabled` | TLS 1.1 accepted | high | 10 | C | h | 9.1.2(b) |
| `tls.weak_cipher` | RC4, DES, 3DES, NULL, EXPORT or anonymous suites accepted | high | 15 | C | h | 9.1.2(b) |
| `tls.no_forward_secrecy` | a non-(EC)DHE key exchange is accepted on TLS ≤ 1.2 | medium | 6 | — | h | 9.1.2(b) |
| `tls.no_tls13` | TLS 1.3 not offered | low | 3 | — | h | 9.1.2(b) |
| `http.no_https_redirect` | plain HTTP answers without redirecting to HTTPS | medium | 8 | — | h, e | 6.7.2(i) |
| `http.hsts_missing` | no Strict-Transport-Security on HTTPS | medium | 8 | — | h, e | 6.7.2(i) |
| `http.hsts_weak` | HSTS max-age < 31536000 | low | 3 | — | h | 6.7.2(i) |
| `http.csp_missing` | no Content-Security-Policy | low | 5 | — | e, g | 6.2 |
| `http.frame_protection_missing` | no X-Frame-Options and no CSP frame-ancestors | low | 3 | — | e | 6.2 |
| `http.xcto_missing` | no `X-Content-Type-Options: nosniff` | low | 3 | — | e | 6.2 |
| `http.referrer_policy_missing` | no Referrer-Policy | low | 2 | — | e | 6.2 |
| `http.cookie_insecure` | a cookie set over HTTPS lacks Secure or HttpOnly | low | 4 | — | e, i | 6.2, 11.6 |
| `http.version_disclosure` | Server / X-Powered-By reveal a product version | low | 3 | — | e, g | 6.6.1, 6.3 |
| `http.sensitive_path_exposed` | `/.git/HEAD`, `/.env` reachable with real content | critical | 30 | D | e, h | 6.3 |
| `vuln.security_txt_missing` | no valid `/.well-known/security.txt` (RFC 9116), or its Expires is past | low | 3 | — | e, b | 6.10.2(e) |
| `email.spf_missing` | no SPF record for a domain that has MX | high | 12 | — | e, j | 6.7.2(k) |
| `email.spf_permissive` | SPF ends in `+all` or `?all`, or has no `all`/`redirect` | high | 12 | — | e, j | 6.7.2(k) |
| `email.spf_invalid` | several SPF records, syntax error, or more than 10 DNS lookups | medium | 8 | — | e, j | 6.7.2(k) |
| `email.dmarc_missing` | no DMARC record at `_dmarc.` | high | 12 | — | e, j | 6.7.2(k) |
| `email.dmarc_weak` | `p=none`, or `pct` < 100 | medium | 6 | — | e, j | 6.7.2(k) |
| `email.mta_sts_missing` | no MTA-STS record and policy in enforce/testing mode | low | 2 | — | e, h | 6.7.2(k) |
| `email.tlsrpt_missing` | no `_smtp._tls` TLS-RPT record | low | 1 | — | e | 6.7.2(k) |
| `dns.dnssec_missing` | zone not signed (no DS/DNSKEY, or not validated) | low | 4 | — | e, h | 6.7.2(l) |
| `dns.caa_missing` | no CAA record at the domain or its parents | low | 2 | — | h, d | 9.1.2(c) |
| `exposure.remote_admin` | RDP 3389, VNC 5900, Telnet 23, WinRM 5985/5986 open | critical | 25 | D | e, i | 6.7.2(c),(d),(f) |
| `exposure.file_share` | SMB 445, NetBIOS 139, FTP 21 open | critical/medium | 25/8 | D/— | e, i | 6.7.2(f) |
| `exposure.database` | MySQL 3306, PostgreSQL 5432, MSSQL 1433, Redis 6379, MongoDB 27017, Elasticsearch 9200, Memcached 11211 open | critical | 25 | D | e, i | 6.7.2(c),(f) |
"#;

fn severity_named(s: &str) -> Severity {
    match s {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        other => panic!("severity {other}"),
    }
}

#[test]
fn catalog_rows_match_catalog_md() {
    let mut seen = Vec::new();
    for line in CATALOG_MD.lines().filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 7, "{line}");
        let id: CheckId = cells[0].trim_matches('`').parse().unwrap();
        seen.push(id);
        let row = id.check();
        // Severities and penalties: one or two tiers, `high/medium`, `20/8`.
        let sevs: Vec<Severity> = cells[2].split('/').map(severity_named).collect();
        let pens: Vec<u8> = cells[3].split('/').map(|p| p.parse().unwrap()).collect();
        let caps: Vec<Option<Grade>> = cells[4]
            .split('/')
            .map(|c| match c {
                "—" => None,
                g => Some(g.parse().unwrap()),
            })
            .collect();
        assert_eq!(row.tiers.len(), sevs.len(), "{id} tiers");
        for (i, t) in row.tiers.iter().enumerate() {
            assert_eq!(t.severity, sevs[i], "{id} severity");
            assert_eq!(t.penalty, pens[i], "{id} penalty");
            // A single cap cell applies to every tier (`—` for two tiers).
            assert_eq!(t.cap, caps[i.min(caps.len() - 1)], "{id} cap");
        }
        let arts: Vec<char> = row.articles.iter().map(|a| a.letter()).collect();
        let md_arts: Vec<char> = cells[5]
            .split(", ")
            .map(|a| a.chars().next().unwrap())
            .collect();
        assert_eq!(arts, md_arts, "{id} Art. 21(2) points, primary first");
        assert_eq!(row.annex, cells[6], "{id} annex");
        assert_eq!(row.bonus, 0, "{id}");
    }
    // Every deduction row of the catalog is in CATALOG.md, and only those.
    let deductions: Vec<CheckId> = CheckId::ALL
        .iter()
        .copied()
        .filter(|id| !id.is_bonus() && !id.is_indicator())
        .collect();
    assert_eq!(seen, deductions);
}

#[test]
fn bonus_rows_match_catalog_md() {
    // "TLS 1.3 only and no TLS ≤ 1.1 (+2), HSTS with preload and
    // includeSubDomains (+2), DMARC p=reject (+2), DNSSEC signed (+2),
    // MTA-STS enforce (+1), CAA present (+1), valid security.txt (+1), DKIM
    // key found at a common selector (+1), TLS 1.3 hybrid post-quantum key
    // exchange (+1)"; total at most 10.
    let expected = [
        (CheckId::BonusModernTls, 2),
        (CheckId::BonusHstsPreload, 2),
        (CheckId::BonusDmarcReject, 2),
        (CheckId::BonusDnssecSigned, 2),
        (CheckId::BonusMtaStsEnforce, 1),
        (CheckId::BonusCaaPresent, 1),
        (CheckId::BonusSecurityTxt, 1),
        (CheckId::BonusDkimFound, 1),
        (CheckId::BonusPqKex, 1),
    ];
    let bonuses: Vec<(CheckId, u8)> = CheckId::ALL
        .iter()
        .filter(|id| id.is_bonus())
        .map(|id| (*id, id.check().bonus))
        .collect();
    assert_eq!(bonuses, expected);
    assert_eq!(nis2_core::catalog::BONUS_CAP, 10);
    for (id, _) in expected {
        assert!(
            id.check().positive.is_some(),
            "{id} is told as a positive finding"
        );
        assert!(
            id.check()
                .tiers
                .iter()
                .all(|t| t.penalty == 0 && t.cap.is_none())
        );
    }
}

#[test]
fn flawless_vendor_passes_every_deduction_check_and_earns_every_bonus() {
    let fs = evaluate(&good(), now()).unwrap();
    for id in CheckId::ALL {
        let f = find(&fs, *id).unwrap_or_else(|| panic!("{id} missing from flawless vendor"));
        assert_eq!(f.status, Status::Pass, "{id}: {}", f.evidence);
    }
    assert_eq!(fs.len(), CheckId::ALL.len());
}

#[test]
fn https_unavailable() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpsUnavailable);
    let t = tls(&mut o);
    t.reachable = false;
    t.certificate = None;
    assert_fails(&o, CheckId::HttpsUnavailable, Severity::Critical, 40);
    // Nothing else about TLS can be judged then.
    let fs = evaluate(&o, now()).unwrap();
    assert!(find(&fs, CheckId::TlsNoTls13).is_none());
    assert!(find(&fs, CheckId::CertExpired).is_none());
}

#[test]
fn cert_expired_and_not_yet_valid() {
    let mut o = good();
    assert_passes(&o, CheckId::CertExpired);
    leaf(&mut o).not_after = now().plus_days(-1);
    let f = assert_fails(&o, CheckId::CertExpired, Severity::Critical, 40);
    assert_eq!(f.cap, Some(Grade::F));
    // An expired certificate is not also "expiring soon".
    assert!(find(&evaluate(&o, now()).unwrap(), CheckId::CertExpiresSoon).is_none());
    let mut o = good();
    leaf(&mut o).not_before = now().plus_days(2);
    assert_fails(&o, CheckId::CertExpired, Severity::Critical, 40);
}

#[test]
fn cert_revoked() {
    let mut o = good();
    assert_passes(&o, CheckId::CertRevoked);
    tls(&mut o).certificate.as_mut().unwrap().revocation = Some(Revocation {
        status: RevocationStatus::Revoked,
        source: RevocationSource::Responder,
    });
    assert_fails(&o, CheckId::CertRevoked, Severity::Critical, 40);
    tls(&mut o).certificate.as_mut().unwrap().revocation = None;
    assert!(
        find(&evaluate(&o, now()).unwrap(), CheckId::CertRevoked).is_none(),
        "unknown revocation is not assessed"
    );
}

#[test]
fn cert_untrusted() {
    let mut o = good();
    assert_passes(&o, CheckId::CertUntrusted);
    let c = tls(&mut o).certificate.as_mut().unwrap();
    c.trusted = false;
    c.verify_error = Some("UnknownIssuer".into());
    let f = assert_fails(&o, CheckId::CertUntrusted, Severity::Critical, 30);
    assert!(f.evidence.contains("UnknownIssuer"));
    assert_eq!(f.cap, Some(Grade::D));
    leaf(&mut o).self_signed = true;
    assert!(
        judge(&o, CheckId::CertUntrusted)
            .evidence
            .contains("self-signed")
    );
}

#[test]
fn cert_hostname_mismatch() {
    let mut o = good();
    assert_passes(&o, CheckId::CertHostnameMismatch);
    leaf(&mut o).sans = vec!["other.example".into()];
    assert_fails(&o, CheckId::CertHostnameMismatch, Severity::Critical, 30);
    leaf(&mut o).sans = vec!["*.example".into()];
    assert_fails(&o, CheckId::CertHostnameMismatch, Severity::Critical, 30);
    leaf(&mut o).sans = vec!["*.vendor.example".into()];
    assert_fails(&o, CheckId::CertHostnameMismatch, Severity::Critical, 30);
    leaf(&mut o).sans = vec![];
    assert_fails(&o, CheckId::CertHostnameMismatch, Severity::Critical, 30);
    leaf(&mut o).sans = vec!["VENDOR.example.".into()];
    assert_passes(&o, CheckId::CertHostnameMismatch);
}

#[test]
fn wildcards_match_one_label() {
    use nis2_core::hostname_matches as m;
    assert!(m("*.example.com", "www.example.com"));
    assert!(!m("*.example.com", "a.b.example.com"));
    assert!(!m("*.example.com", "example.com"));
    assert!(!m("*.com", "example.com"));
    assert!(!m("w*.example.com", "www.example.com"));
}

#[test]
fn cert_expires_soon_two_tiers() {
    let mut o = good();
    assert_passes(&o, CheckId::CertExpiresSoon);
    leaf(&mut o).not_after = now().plus_days(31);
    assert_passes(&o, CheckId::CertExpiresSoon);
    leaf(&mut o).not_after = now().plus_days(30);
    assert_fails(&o, CheckId::CertExpiresSoon, Severity::Medium, 8);
    leaf(&mut o).not_after = now().plus_days(8);
    assert_fails(&o, CheckId::CertExpiresSoon, Severity::Medium, 8);
    leaf(&mut o).not_after = now().plus_days(7);
    assert_fails(&o, CheckId::CertExpiresSoon, Severity::High, 20);
    leaf(&mut o).not_after = now();
    assert_fails(&o, CheckId::CertExpiresSoon, Severity::High, 20);
}

#[test]
fn cert_weak_key() {
    let mut o = good();
    assert_passes(&o, CheckId::CertWeakKey);
    leaf(&mut o).key = PublicKeyInfo {
        algorithm: KeyAlgorithm::Rsa,
        bits: 1024,
        curve: None,
    };
    let f = assert_fails(&o, CheckId::CertWeakKey, Severity::High, 20);
    assert_eq!(f.cap, Some(Grade::C));
    leaf(&mut o).key.bits = 2048;
    assert_passes(&o, CheckId::CertWeakKey);
    leaf(&mut o).key = PublicKeyInfo {
        algorithm: KeyAlgorithm::Ec,
        bits: 224,
        curve: Some("P-224".into()),
    };
    assert_fails(&o, CheckId::CertWeakKey, Severity::High, 20);
    leaf(&mut o).key = PublicKeyInfo {
        algorithm: KeyAlgorithm::Ed25519,
        bits: 256,
        curve: None,
    };
    assert_passes(&o, CheckId::CertWeakKey);
}

#[test]
fn cert_sha1_signature() {
    let mut o = good();
    assert_passes(&o, CheckId::CertSha1Signature);
    leaf(&mut o).signature_algorithm = "sha1WithRSAEncryption".into();
    assert_fails(&o, CheckId::CertSha1Signature, Severity::High, 15);
    let mut o = good();
    tls(&mut o).certificate.as_mut().unwrap().chain[1].signature_algorithm =
        "md5WithRSAEncryption".into();
    assert!(
        assert_fails(&o, CheckId::CertSha1Signature, Severity::High, 15)
            .evidence
            .contains("intermediate")
    );
    // A self-signed root's own SHA-1 signature does not count.
    let c = &mut tls(&mut o).certificate.as_mut().unwrap().chain[1];
    c.self_signed = true;
    assert_passes(&o, CheckId::CertSha1Signature);
    leaf(&mut o).signature_algorithm = "1.2.840.113549.1.1.5".into();
    assert_fails(&o, CheckId::CertSha1Signature, Severity::High, 15);
}

#[test]
fn ssl3_and_ssl2() {
    let mut o = good();
    assert_passes(&o, CheckId::TlsSsl3Enabled);
    tls(&mut o).protocols.ssl3 = Probe::Accepted;
    assert_fails(&o, CheckId::TlsSsl3Enabled, Severity::Critical, 30);
    tls(&mut o).protocols.ssl3 = Probe::Refused;
    tls(&mut o).protocols.ssl2 = Probe::Accepted;
    assert_fails(&o, CheckId::TlsSsl3Enabled, Severity::Critical, 30);
    tls(&mut o).protocols.ssl2 = Probe::Unknown;
    tls(&mut o).protocols.ssl3 = Probe::Unknown;
    assert!(find(&evaluate(&o, now()).unwrap(), CheckId::TlsSsl3Enabled).is_none());
}

#[test]
fn tls10_tls11_tls13() {
    let mut o = good();
    assert_passes(&o, CheckId::TlsTls10Enabled);
    assert_passes(&o, CheckId::TlsTls11Enabled);
    assert_passes(&o, CheckId::TlsNoTls13);
    tls(&mut o).protocols.tls1_0 = Probe::Accepted;
    assert_fails(&o, CheckId::TlsTls10Enabled, Severity::High, 15);
    tls(&mut o).protocols.tls1_1 = Probe::Accepted;
    assert_fails(&o, CheckId::TlsTls11Enabled, Severity::High, 10);
    tls(&mut o).protocols.tls1_3 = Probe::Refused;
    assert_fails(&o, CheckId::TlsNoTls13, Severity::Low, 3);
}

#[test]
fn weak_ciphers_each_class() {
    for name in [
        "TLS_RSA_WITH_RC4_128_SHA",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_RSA_WITH_DES_CBC_SHA",
        "TLS_RSA_WITH_NULL_SHA",
        "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        "TLS_DH_anon_WITH_AES_128_CBC_SHA",
    ] {
        let mut o = good();
        assert_passes(&o, CheckId::TlsWeakCipher);
        tls(&mut o).accepted_suites.push(AcceptedSuite {
            version: TlsVersion::Tls12,
            id: 0,
            name: name.into(),
        });
        let f = assert_fails(&o, CheckId::TlsWeakCipher, Severity::High, 15);
        assert!(f.evidence.contains(name));
    }
}

#[test]
fn forward_secrecy() {
    let mut o = good();
    assert_passes(&o, CheckId::TlsNoForwardSecrecy);
    tls(&mut o).accepted_suites.push(AcceptedSuite {
        version: TlsVersion::Tls12,
        id: 0x009c,
        name: "TLS_RSA_WITH_AES_128_GCM_SHA256".into(),
    });
    assert_fails(&o, CheckId::TlsNoForwardSecrecy, Severity::Medium, 6);
    // Suites not probed: not assessed.
    tls(&mut o).accepted_suites.clear();
    let fs = evaluate(&o, now()).unwrap();
    assert!(
        find(&fs, CheckId::TlsNoForwardSecrecy).is_none()
            && find(&fs, CheckId::TlsWeakCipher).is_none()
    );
}

#[test]
fn https_redirect() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpNoHttpsRedirect);
    o.http.as_mut().unwrap().plain = Some(HttpExchange {
        hops: vec![HttpHop {
            url: "http://vendor.example/".into(),
            status: 200,
            headers: vec![],
        }],
        error: None,
    });
    assert_fails(&o, CheckId::HttpNoHttpsRedirect, Severity::Medium, 8);
    // A redirect to another plain-HTTP page is no redirect to HTTPS.
    o.http.as_mut().unwrap().plain = Some(HttpExchange {
        hops: vec![
            HttpHop {
                url: "http://vendor.example/".into(),
                status: 302,
                headers: vec![Header(
                    "Location".into(),
                    "http://vendor.example/home".into(),
                )],
            },
            HttpHop {
                url: "http://vendor.example/home".into(),
                status: 200,
                headers: vec![],
            },
        ],
        error: None,
    });
    assert_fails(&o, CheckId::HttpNoHttpsRedirect, Severity::Medium, 8);
    // Nothing on port 80 serves nothing in clear.
    o.http.as_mut().unwrap().plain = None;
    assert_passes(&o, CheckId::HttpNoHttpsRedirect);
}

#[test]
fn hsts_missing_weak_and_preload() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpHstsMissing);
    assert_passes(&o, CheckId::HttpHstsWeak);
    set_header(&mut o, "Strict-Transport-Security", "max-age=300");
    assert_fails(&o, CheckId::HttpHstsWeak, Severity::Low, 3);
    assert!(find(&evaluate(&o, now()).unwrap(), CheckId::BonusHstsPreload).is_none());
    set_header(&mut o, "Strict-Transport-Security", "max-age=0");
    assert_fails(&o, CheckId::HttpHstsMissing, Severity::Medium, 8);
    set_header(&mut o, "Strict-Transport-Security", "includeSubDomains");
    assert_fails(&o, CheckId::HttpHstsMissing, Severity::Medium, 8);
    drop_header(&mut o, "Strict-Transport-Security");
    assert_fails(&o, CheckId::HttpHstsMissing, Severity::Medium, 8);
    assert!(find(&evaluate(&o, now()).unwrap(), CheckId::HttpHstsWeak).is_none());
}

#[test]
fn csp_and_frame_protection() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpCspMissing);
    assert_passes(&o, CheckId::HttpFrameProtectionMissing);
    drop_header(&mut o, "X-Frame-Options");
    assert_passes(&o, CheckId::HttpFrameProtectionMissing); // CSP frame-ancestors still there
    drop_header(&mut o, "Content-Security-Policy");
    assert_fails(&o, CheckId::HttpCspMissing, Severity::Low, 5);
    assert_fails(&o, CheckId::HttpFrameProtectionMissing, Severity::Low, 3);
    set_header(&mut o, "X-Frame-Options", "SAMEORIGIN");
    assert_passes(&o, CheckId::HttpFrameProtectionMissing);
    set_header(&mut o, "Content-Security-Policy", "  ");
    assert_fails(&o, CheckId::HttpCspMissing, Severity::Low, 5);
}

#[test]
fn xcto_and_referrer_policy() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpXctoMissing);
    assert_passes(&o, CheckId::HttpReferrerPolicyMissing);
    set_header(&mut o, "X-Content-Type-Options", "sniff");
    assert_fails(&o, CheckId::HttpXctoMissing, Severity::Low, 3);
    drop_header(&mut o, "Referrer-Policy");
    assert_fails(&o, CheckId::HttpReferrerPolicyMissing, Severity::Low, 2);
}

#[test]
fn cookies() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpCookieInsecure);
    https_headers(&mut o).push(Header("set-cookie".into(), "tracking=1; Secure".into()));
    let f = assert_fails(&o, CheckId::HttpCookieInsecure, Severity::Low, 4);
    assert!(f.evidence.contains("tracking") && f.evidence.contains("HttpOnly"));
}

#[test]
fn version_disclosure() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpVersionDisclosure);
    set_header(&mut o, "X-Powered-By", "PHP/8.1.2");
    let f = assert_fails(&o, CheckId::HttpVersionDisclosure, Severity::Low, 3);
    assert!(f.evidence.contains("PHP/8.1.2"));
    let mut o = good();
    set_header(&mut o, "X-AspNet-Version", "4.0.30319");
    assert_fails(&o, CheckId::HttpVersionDisclosure, Severity::Low, 3);
}

#[test]
fn sensitive_paths_need_real_content() {
    let mut o = good();
    assert_passes(&o, CheckId::HttpSensitivePathExposed);
    path(
        &mut o,
        "/.git/HEAD",
        200,
        "text/plain",
        "ref: refs/heads/main\n",
    );
    let f = assert_fails(
        &o,
        CheckId::HttpSensitivePathExposed,
        Severity::Critical,
        30,
    );
    assert_eq!(f.cap, Some(Grade::D));
    let mut o = good();
    path(
        &mut o,
        "/.env",
        200,
        "application/octet-stream",
        "# prod\nDB_PASSWORD=hunter2\nexport API_KEY=x\n",
    );
    assert_fails(
        &o,
        CheckId::HttpSensitivePathExposed,
        Severity::Critical,
        30,
    );
    // A soft-404 site that answers 200 with its home page exposes nothing.
    let mut o = good();
    let page = "<!doctype html><html><body>Welcome</body></html>";
    path(&mut o, "/.git/HEAD", 200, "text/html", page);
    path(&mut o, "/.env", 200, "text/html", page);
    o.http.as_mut().unwrap().not_found_baseline = Some(PathProbe {
        path: "/nis2-x".into(),
        status: 200,
        content_type: Some("text/html".into()),
        body: page.into(),
    });
    assert_passes(&o, CheckId::HttpSensitivePathExposed);
    // Same body as the soft-404 baseline, even if it looks like a key=value file.
    let mut o = good();
    path(&mut o, "/.env", 200, "text/plain", "A=B");
    o.http.as_mut().unwrap().not_found_baseline = Some(PathProbe {
        path: "/nis2-x".into(),
        status: 200,
        content_type: None,
        body: "A=B".into(),
    });
    assert_passes(&o, CheckId::HttpSensitivePathExposed);
}

#[test]
fn security_txt() {
    let mut o = good();
    assert_passes(&o, CheckId::VulnSecurityTxtMissing);
    let body = "Contact: mailto:s@vendor.example\nExpires: 2026-01-01T00:00:00Z\n";
    path(&mut o, "/.well-known/security.txt", 200, "text/plain", body);
    let f = assert_fails(&o, CheckId::VulnSecurityTxtMissing, Severity::Low, 3);
    assert!(f.evidence.contains("expired"), "{}", f.evidence);
    path(
        &mut o,
        "/.well-known/security.txt",
        200,
        "text/html",
        "<html>hi</html>",
    );
    assert_fails(&o, CheckId::VulnSecurityTxtMissing, Severity::Low, 3);
    path(&mut o, "/.well-known/security.txt", 404, "text/plain", "");
    assert_fails(&o, CheckId::VulnSecurityTxtMissing, Severity::Low, 3);
    // The legacy location is accepted.
    path(
        &mut o,
        "/security.txt",
        200,
        "text/plain",
        "Contact: mailto:s@vendor.example\nExpires: 2027-06-01T00:00:00Z\n",
    );
    assert_passes(&o, CheckId::VulnSecurityTxtMissing);
}

#[test]
fn spf_missing_only_matters_with_mx() {
    let mut o = good();
    assert_passes(&o, CheckId::EmailSpfMissing);
    email(&mut o).spf.records.clear();
    assert_fails(&o, CheckId::EmailSpfMissing, Severity::High, 12);
    email(&mut o).mx = vec![MxRecord {
        preference: 0,
        exchange: ".".into(),
    }];
    assert_passes(&o, CheckId::EmailSpfMissing);
}

#[test]
fn spf_permissive() {
    for (rec, fails) in [
        ("v=spf1 mx -all", false),
        ("v=spf1 mx ~all", false),
        ("v=spf1 redirect=_spf.vendor.example", false),
        ("v=spf1 +all", true),
        ("v=spf1 mx ?all", true),
        ("v=spf1 mx all", true),
        ("v=spf1 mx", true),
    ] {
        let mut o = good();
        email(&mut o).spf.records = vec![rec.into()];
        if fails {
            assert_fails(&o, CheckId::EmailSpfPermissive, Severity::High, 12);
        } else {
            assert_passes(&o, CheckId::EmailSpfPermissive);
        }
    }
}

#[test]
fn spf_invalid() {
    let mut o = good();
    assert_passes(&o, CheckId::EmailSpfInvalid);
    email(&mut o).spf.records.push("v=spf1 -all".into());
    assert_fails(&o, CheckId::EmailSpfInvalid, Severity::Medium, 8);
    let mut o = good();
    email(&mut o).spf.records = vec!["v=spf1 mx foo:bar -all".into()];
    assert_fails(&o, CheckId::EmailSpfInvalid, Severity::Medium, 8);
    let mut o = good();
    email(&mut o).spf.dns_lookups = Some(11);
    assert!(
        assert_fails(&o, CheckId::EmailSpfInvalid, Severity::Medium, 8)
            .evidence
            .contains("11")
    );
    let mut o = good();
    email(&mut o).spf.void_lookups = Some(3);
    assert_fails(&o, CheckId::EmailSpfInvalid, Severity::Medium, 8);
    let mut o = good();
    email(&mut o).spf.errors = vec!["include loop at a.example".into()];
    assert_fails(&o, CheckId::EmailSpfInvalid, Severity::Medium, 8);
}

#[test]
fn dmarc_missing_and_weak() {
    let mut o = good();
    assert_passes(&o, CheckId::EmailDmarcMissing);
    assert_passes(&o, CheckId::EmailDmarcWeak);
    email(&mut o).dmarc.records = vec!["v=DMARC1; p=quarantine".into()];
    assert_passes(&o, CheckId::EmailDmarcWeak);
    assert!(find(&evaluate(&o, now()).unwrap(), CheckId::BonusDmarcReject).is_none());
    email(&mut o).dmarc.records = vec!["v=DMARC1; p=none".into()];
    assert_fails(&o, CheckId::EmailDmarcWeak, Severity::Medium, 6);
    email(&mut o).dmarc.records = vec!["v=DMARC1; p=reject; pct=50".into()];
    assert_fails(&o, CheckId::EmailDmarcWeak, Severity::Medium, 6);
    email(&mut o).dmarc.records = vec![];
    assert_fails(&o, CheckId::EmailDmarcMissing, Severity::High, 12);
    email(&mut o).dmarc.records = vec!["v=DMARC1; p=reject".into(), "v=DMARC1; p=none".into()];
    assert_fails(&o, CheckId::EmailDmarcMissing, Severity::High, 12);
    email(&mut o).dmarc.records = vec!["v=DMARC1; p=bogus".into()];
    assert_fails(&o, CheckId::EmailDmarcMissing, Severity::High, 12);
}

/// A subdomain without its own record is governed by the organisational
/// domain's `sp=` (RFC 7489 §6.6.3), defaulting to its `p=`.
#[test]
fn dmarc_of_the_organisational_domain_applies_its_subdomain_policy() {
    let mut o = good();
    o.domain = "mail.example.com".into();
    let set = |o: &mut Observations, name: &str, record: &str| {
        email(o).dmarc.name = name.into();
        email(o).dmarc.records = vec![record.into()];
    };
    // Found at the organisational domain: sp=none is what protects the subdomain.
    set(&mut o, "_dmarc.example.com", "v=DMARC1; p=reject; sp=none");
    let f = assert_fails(&o, CheckId::EmailDmarcWeak, Severity::Medium, 6);
    assert_eq!(
        f.evidence,
        "subdomain policy none pct=100 of _dmarc.example.com"
    );
    assert!(find(&evaluate(&o, now()).unwrap(), CheckId::BonusDmarcReject).is_none());
    // The other way round: a lax p= with a strict sp= protects the subdomain.
    set(&mut o, "_dmarc.example.com", "v=DMARC1; p=none; sp=reject");
    assert_passes(&o, CheckId::EmailDmarcWeak);
    let fs = evaluate(&o, now()).unwrap();
    let bonus = find(&fs, CheckId::BonusDmarcReject).unwrap();
    assert_eq!(bonus.evidence, "DMARC subdomain policy reject at pct=100");
    // No sp=: the organisational domain's p= applies.
    set(&mut o, "_dmarc.example.com", "v=DMARC1; p=quarantine");
    assert_passes(&o, CheckId::EmailDmarcWeak);
    set(&mut o, "_dmarc.example.com", "v=DMARC1; p=none");
    assert_fails(&o, CheckId::EmailDmarcWeak, Severity::Medium, 6);
    // The domain's own record (any case, trailing dot): p= applies, sp= is for its subdomains.
    for name in ["_dmarc.mail.example.com", "_DMARC.Mail.Example.com."] {
        set(&mut o, name, "v=DMARC1; p=reject; sp=none");
        assert_passes(&o, CheckId::EmailDmarcWeak);
        let fs = evaluate(&o, now()).unwrap();
        let f = find(&fs, CheckId::EmailDmarcWeak).unwrap();
        assert_eq!(f.evidence, "p=reject pct=100", "{name}");
    }
}

#[test]
fn mta_sts() {
    let mut o = good();
    assert_passes(&o, CheckId::EmailMtaStsMissing);
    let p = email(&mut o).mta_sts.policy.as_mut().unwrap();
    p.body = p.body.replace("enforce", "testing");
    assert_passes(&o, CheckId::EmailMtaStsMissing);
    assert!(find(&evaluate(&o, now()).unwrap(), CheckId::BonusMtaStsEnforce).is_none());
    let p = email(&mut o).mta_sts.policy.as_mut().unwrap();
    p.body = "version: STSv1\nmode: none\nmax_age: 86400\n".into();
    assert_fails(&o, CheckId::EmailMtaStsMissing, Severity::Low, 2);
    let p = email(&mut o).mta_sts.policy.as_mut().unwrap();
    p.status = 0;
    p.error = Some("redirect to 10.0.0.1 refused: private address".into());
    assert!(
        assert_fails(&o, CheckId::EmailMtaStsMissing, Severity::Low, 2)
            .evidence
            .contains("10.0.0.1")
    );
    email(&mut o).mta_sts = MtaStsObservations::default();
    assert_fails(&o, CheckId::EmailMtaStsMissing, Severity::Low, 2);
}

#[test]
fn tls_rpt() {
    let mut o = good();
    assert_passes(&o, CheckId::EmailTlsrptMissing);
    email(&mut o).tls_rpt = vec!["v=TLSRPTv1;".into()];
    assert_fails(&o, CheckId::EmailTlsrptMissing, Severity::Low, 1);
    // No mail received: neither MTA-STS nor TLS-RPT is assessed.
    email(&mut o).mx.clear();
    let fs = evaluate(&o, now()).unwrap();
    assert!(
        find(&fs, CheckId::EmailTlsrptMissing).is_none()
            && find(&fs, CheckId::EmailMtaStsMissing).is_none()
    );
}

#[test]
fn dnssec_and_caa() {
    let mut o = good();
    assert_passes(&o, CheckId::DnsDnssecMissing);
    assert_passes(&o, CheckId::DnsCaaMissing);
    o.dns.as_mut().unwrap().dnssec.validated = Some(false);
    assert_fails(&o, CheckId::DnsDnssecMissing, Severity::Low, 4);
    o.dns.as_mut().unwrap().dnssec = DnssecObservations::default();
    assert_fails(&o, CheckId::DnsDnssecMissing, Severity::Low, 4);
    o.dns.as_mut().unwrap().caa.clear();
    assert_fails(&o, CheckId::DnsCaaMissing, Severity::Low, 2);
}

#[test]
fn exposure_checks() {
    for (port, id, sev, pen) in [
        (3389, CheckId::ExposureRemoteAdmin, Severity::Critical, 25),
        (23, CheckId::ExposureRemoteAdmin, Severity::Critical, 25),
        (5985, CheckId::ExposureRemoteAdmin, Severity::Critical, 25),
        (445, CheckId::ExposureFileShare, Severity::Critical, 25),
        (139, CheckId::ExposureFileShare, Severity::Critical, 25),
        (21, CheckId::ExposureFileShare, Severity::Medium, 8),
        (6379, CheckId::ExposureDatabase, Severity::Critical, 25),
        (5432, CheckId::ExposureDatabase, Severity::Critical, 25),
    ] {
        let mut o = good();
        assert_passes(&o, id);
        o.ports.as_mut().unwrap().open = vec![port];
        let f = assert_fails(&o, id, sev, pen);
        assert!(f.evidence.contains(&port.to_string()));
    }
    let mut o = good();
    o.ports.as_mut().unwrap().open = vec![21, 445];
    assert_fails(&o, CheckId::ExposureFileShare, Severity::Critical, 25);
    // Ports not scanned are not assessed.
    let mut o = good();
    o.ports = Some(PortObservations {
        address: "x".into(),
        scanned: vec![3389],
        open: vec![],
    });
    let fs = evaluate(&o, now()).unwrap();
    assert!(find(&fs, CheckId::ExposureRemoteAdmin).is_some());
    assert!(find(&fs, CheckId::ExposureDatabase).is_none());
}

#[test]
fn continuity_indicator() {
    let mut o = good();
    assert_passes(&o, CheckId::IndicatorContinuity);
    email(&mut o).mx.truncate(1);
    let f = assert_fails(&o, CheckId::IndicatorContinuity, Severity::Info, 0);
    assert_eq!(f.cap, None);
    let mut o = good();
    o.dns.as_mut().unwrap().ns_answering = Some(1);
    assert_fails(&o, CheckId::IndicatorContinuity, Severity::Info, 0);
}

#[test]
fn bonuses_are_earned_individually() {
    let mut o = good();
    let fs = evaluate(&o, now()).unwrap();
    assert!(find(&fs, CheckId::BonusPqKex).is_some());
    tls(&mut o).hybrid_pq_kex = Some(false);
    tls(&mut o).protocols.tls1_1 = Probe::Unknown;
    email(&mut o).dkim[0].record = "v=DKIM1; p=".into(); // revoked key
    let fs = evaluate(&o, now()).unwrap();
    assert!(find(&fs, CheckId::BonusPqKex).is_none());
    assert!(
        find(&fs, CheckId::BonusModernTls).is_none(),
        "an unprobed old version does not prove it is off"
    );
    assert!(find(&fs, CheckId::BonusDkimFound).is_none());
    for f in fs.iter().filter(|f| f.check_id.is_bonus()) {
        assert_eq!(f.status, Status::Pass);
        assert!(f.bonus > 0);
    }
}

#[test]
fn groups_not_run_are_not_assessed() {
    let o = Observations::new(D);
    assert!(evaluate(&o, now()).unwrap().is_empty());
}

#[test]
fn invalid_observations_are_clear_errors() {
    let mut o = good();
    leaf(&mut o).key.bits = 0;
    let e = evaluate(&o, now()).unwrap_err().to_string();
    assert!(e.contains("key.bits") && e.contains("above zero"), "{e}");
    let mut o = good();
    leaf(&mut o).not_before = now().plus_days(400);
    assert!(
        evaluate(&o, now())
            .unwrap_err()
            .to_string()
            .contains("not_before")
    );
    let mut o = good();
    tls(&mut o).certificate.as_mut().unwrap().chain.clear();
    assert!(evaluate(&o, now()).is_err());
    let mut o = good();
    o.ports.as_mut().unwrap().open = vec![8080];
    assert!(
        evaluate(&o, now())
            .unwrap_err()
            .to_string()
            .contains("not among the scanned")
    );
    let mut o = good();
    o.http.as_mut().unwrap().https.as_mut().unwrap().hops[0].status = 42;
    assert!(evaluate(&o, now()).is_err());
    assert!(evaluate(&Observations::new(""), now()).is_err());
    assert!(evaluate(&Observations::new("a".repeat(300)), now()).is_err());

    // JSON that no scan can produce fails to deserialize with a clear message.
    let mut v = serde_json::to_value(good()).unwrap();
    v["tls"]["certificate"]["chain"][0]["key"]["bits"] = serde_json::json!(-2048);
    let e = serde_json::from_value::<Observations>(v)
        .unwrap_err()
        .to_string();
    assert!(e.contains("-2048"), "{e}");
    let mut v = serde_json::to_value(good()).unwrap();
    v["tls"]["certificate"]["chain"][0]["not_after"] = serde_json::json!("2026-02-30T00:00:00Z");
    let e = serde_json::from_value::<Observations>(v)
        .unwrap_err()
        .to_string();
    assert!(e.contains("timestamp"), "{e}");
    let mut v = serde_json::to_value(good()).unwrap();
    v["tls"]["surprise"] = serde_json::json!(1);
    assert!(
        serde_json::from_value::<Observations>(v)
            .unwrap_err()
            .to_string()
            .contains("surprise")
    );
}

/// Each bonus: earned by the flawless vendor, and not earned once the one
/// fact it rests on is taken away.
#[test]
fn every_bonus_earned_and_not_earned() {
    type Damage = fn(&mut Observations);
    let cases: [(CheckId, Damage); 11] = [
        (CheckId::BonusModernTls, |o| {
            tls(o).protocols.tls1_1 = Probe::Accepted
        }),
        (CheckId::BonusModernTls, |o| {
            tls(o).protocols.tls1_3 = Probe::Refused
        }),
        (CheckId::BonusPqKex, |o| tls(o).hybrid_pq_kex = Some(false)),
        (CheckId::BonusPqKex, |o| {
            tls(o).protocols.tls1_3 = Probe::Refused
        }),
        (CheckId::BonusHstsPreload, |o| {
            set_header(
                o,
                "Strict-Transport-Security",
                "max-age=63072000; includeSubDomains",
            )
        }),
        (CheckId::BonusDmarcReject, |o| {
            email(o).dmarc.records = vec!["v=DMARC1; p=quarantine".into()]
        }),
        (CheckId::BonusDnssecSigned, |o| {
            o.dns.as_mut().unwrap().dnssec.validated = Some(false)
        }),
        (CheckId::BonusMtaStsEnforce, |o| {
            let p = email(o).mta_sts.policy.as_mut().unwrap();
            p.body = p.body.replace("enforce", "testing");
        }),
        (CheckId::BonusCaaPresent, |o| {
            o.dns.as_mut().unwrap().caa.clear()
        }),
        (CheckId::BonusSecurityTxt, |o| {
            path(o, "/.well-known/security.txt", 404, "text/html", "")
        }),
        (CheckId::BonusDkimFound, |o| email(o).dkim.clear()),
    ];
    for (id, damage) in cases {
        let o = good();
        let earned = judge(&o, id);
        assert_eq!((earned.status, earned.penalty), (Status::Pass, 0), "{id}");
        assert_eq!(earned.bonus, id.check().bonus);
        let mut o = good();
        damage(&mut o);
        let fs = evaluate(&o, now()).unwrap();
        assert!(find(&fs, id).is_none(), "{id} still earned");
    }
    // DKIM cannot be proven absent: no key found deducts nothing.
    let mut o = good();
    email(&mut o).dkim.clear();
    let fs = evaluate(&o, now()).unwrap();
    assert!(fs.iter().all(|f| !f.failed()));
    let a = nis2_core::assess(fs, &nis2_core::History::first_scan(now()));
    assert_eq!(a.score, 100);
}

/// A timestamp that parses but cannot be held in UTC (the last hours of
/// year 9999 at a negative offset) is an error, not a panic.
#[test]
fn timestamps_out_of_range_in_utc_are_errors() {
    let mut v = serde_json::to_value(good()).unwrap();
    v["tls"]["certificate"]["chain"][0]["not_after"] =
        serde_json::json!("9999-12-31T23:59:59-01:00");
    let e = serde_json::from_value::<Observations>(v)
        .unwrap_err()
        .to_string();
    assert!(e.contains("timestamp") && e.contains("range"), "{e}");
    // Far but representable dates are fine, and judged.
    let mut o = good();
    leaf(&mut o).not_after = Timestamp::parse("9999-12-31T23:59:59Z").unwrap();
    assert_passes(&o, CheckId::CertExpired);
    leaf(&mut o).not_before = Timestamp::parse("0000-01-01T00:00:00Z").unwrap();
    assert_passes(&o, CheckId::CertExpiresSoon);
}
