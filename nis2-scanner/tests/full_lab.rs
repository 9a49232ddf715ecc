//! Full scans of the lab vendors: exact observations, findings, score,
//! grade, risk and NIS2 mapping through nis2-core.
#![cfg(feature = "lab")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use nis2_core::observations::{CheckGroup, Observations};
use nis2_core::{Assessment, CheckId, Grade, History, RiskLevel, Timestamp};
use nis2_scanner::DomainScanner;
use nis2_scanner::lab::{EXPOSED_PORTS, LabVendors, VendorKind};

fn now() -> Timestamp {
    let s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Timestamp::from_unix(s as i64).unwrap()
}

fn judge(obs: &Observations) -> Assessment {
    let t = now();
    let findings = nis2_core::evaluate(obs, t).unwrap();
    nis2_core::assess(findings, &History::first_scan(t))
}

fn failing(a: &Assessment) -> BTreeSet<CheckId> {
    a.failing().map(|f| f.check_id).collect()
}

fn mapping(a: &Assessment) -> String {
    serde_json::to_string(&a.nis2_mapping).unwrap()
}

async fn lab() -> (LabVendors, DomainScanner) {
    let lab = LabVendors::start().await.unwrap();
    let scanner = DomainScanner::new(lab.scanner_options()).unwrap();
    (lab, scanner)
}

async fn scan(scanner: &DomainScanner, kind: VendorKind) -> (Observations, Assessment) {
    let obs = scanner.scan(&kind.domain()).await.unwrap();
    // What a store or the Python module would keep reads back the same.
    let back: Observations = serde_json::from_str(&serde_json::to_string(&obs).unwrap()).unwrap();
    assert_eq!(back, obs);
    let a = judge(&obs);
    (obs, a)
}

const ALL_COMPLIANT_BUT_F: &str = r#"{"article_21_2a":"compliant","article_21_2b":"compliant","article_21_2c":"compliant","article_21_2d":"compliant","article_21_2e":"compliant","article_21_2f":"not_assessed","article_21_2g":"compliant","article_21_2h":"compliant","article_21_2i":"compliant","article_21_2j":"compliant"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_vendor_is_flawless() {
    let (lab, scanner) = lab().await;
    let (obs, a) = scan(&scanner, VendorKind::Good).await;
    let domain = VendorKind::Good.domain();
    assert!(obs.errors.is_empty(), "{:#?}", obs.errors);
    assert_eq!(obs.domain, domain);

    let tls = obs.tls.as_ref().unwrap();
    assert!(tls.reachable);
    assert!(tls.protocols.tls1_3.accepted() && tls.protocols.tls1_2.accepted());
    assert!(!tls.protocols.tls1_1.accepted() && !tls.protocols.tls1_0.accepted());
    let cert = tls.certificate.as_ref().unwrap();
    assert!(cert.trusted, "{:?}", cert.verify_error);
    assert!(cert.ocsp_stapled);
    assert!(cert.chain[0].sans.contains(&domain));

    let http = obs.http.as_ref().unwrap();
    let plain = http.plain.as_ref().unwrap();
    assert_eq!(plain.hops.len(), 2, "{plain:#?}");
    assert_eq!(plain.hops[0].status, 301);
    assert_eq!(
        plain.hops[1].url,
        format!("https://{domain}:{}/", lab.https_port())
    );
    let https = http.https.as_ref().unwrap();
    assert_eq!(https.hops.len(), 1);
    assert_eq!(https.hops[0].status, 200);
    assert!(https.error.is_none());
    let paths: Vec<(&str, u16)> = http
        .paths
        .iter()
        .map(|p| (p.path.as_str(), p.status))
        .collect();
    assert_eq!(
        paths,
        [
            (nis2_core::GIT_HEAD_PATH, 404),
            (nis2_core::DOTENV_PATH, 404),
            (nis2_core::SECURITY_TXT_PATH, 200),
            (nis2_core::SECURITY_TXT_LEGACY_PATH, 404),
        ]
    );
    let baseline = http.not_found_baseline.as_ref().unwrap();
    assert_eq!(baseline.status, 404);
    assert!(baseline.path.starts_with("/nis2-not-found-"));

    let email = obs.email.as_ref().unwrap();
    let mx: Vec<(u16, &str)> = email
        .mx
        .iter()
        .map(|m| (m.preference, m.exchange.as_str()))
        .collect();
    let (mx1, mx2) = (format!("mx1.{domain}"), format!("mx2.{domain}"));
    assert_eq!(mx, [(10, mx1.as_str()), (20, mx2.as_str())]);
    assert_eq!(email.spf.records, ["v=spf1 mx -all"]);
    assert_eq!(email.spf.dns_lookups, Some(1));
    assert_eq!(email.spf.void_lookups, Some(0));
    assert!(email.spf.errors.is_empty());
    assert_eq!(email.dmarc.name, format!("_dmarc.{domain}"));
    assert_eq!(email.dmarc.records.len(), 1);
    assert_eq!(email.dkim.len(), 1);
    assert_eq!(email.dkim[0].selector, "selector1");
    assert_eq!(email.mta_sts.records, ["v=STSv1; id=20260101T000000"]);
    let policy = email.mta_sts.policy.as_ref().unwrap();
    assert_eq!(policy.status, 200);
    assert!(policy.error.is_none());
    assert!(policy.body.contains("mode: enforce"));
    assert_eq!(email.tls_rpt.len(), 1);

    let dns = obs.dns.as_ref().unwrap();
    assert_eq!(dns.ns, [format!("ns.{domain}"), format!("ns2.{domain}")]);
    assert_eq!(dns.ns_answering, Some(2));
    assert_eq!(dns.caa.len(), 1);
    assert_eq!(dns.caa[0].name, domain);
    assert!(dns.caa[0].value.contains("issue"));
    assert!(
        dns.dnssec.ds && dns.dnssec.dnskey && dns.dnssec.rrsig,
        "{:?}",
        dns.dnssec
    );
    assert_eq!(dns.dnssec.validated, Some(true));

    let ports = obs.ports.as_ref().unwrap();
    assert_eq!(ports.scanned, nis2_core::RISKY_PORTS);
    assert!(ports.open.is_empty());

    assert!(failing(&a).is_empty(), "{:#?}", failing(&a));
    assert_eq!(a.score, 100);
    assert_eq!(a.grade, Grade::A);
    assert_eq!(a.risk_level, RiskLevel::Low);
    assert_eq!(mapping(&a), ALL_COMPLIANT_BUT_F);
    for bonus in [
        CheckId::BonusDmarcReject,
        CheckId::BonusMtaStsEnforce,
        CheckId::BonusCaaPresent,
        CheckId::BonusDkimFound,
        CheckId::BonusSecurityTxt,
        CheckId::BonusHstsPreload,
        CheckId::BonusDnssecSigned,
    ] {
        assert!(
            a.findings
                .iter()
                .any(|f| f.check_id == bonus && !f.failed()),
            "missing bonus {bonus:?}"
        );
    }
}

/// A weak vendor: the failing checks, score, grade, risk and mapping.
struct Expect {
    kind: VendorKind,
    fails: &'static [CheckId],
    score: u8,
    grade: Grade,
    risk: RiskLevel,
    mapping: &'static str,
}

async fn expect(scanner: &DomainScanner, e: &Expect) -> Observations {
    let (obs, a) = scan(scanner, e.kind).await;
    let want: BTreeSet<CheckId> = e.fails.iter().copied().collect();
    assert_eq!(failing(&a), want, "{:?}: {:#?}", e.kind, obs);
    assert_eq!(
        (a.score, a.grade, a.risk_level),
        (e.score, e.grade, e.risk),
        "{:?}",
        e.kind
    );
    assert_eq!(mapping(&a), e.mapping, "{:?}", e.kind);
    obs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_mail_vendors() {
    let (_lab, scanner) = lab().await;
    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::WeakMail,
            fails: &[
                CheckId::EmailSpfPermissive,
                CheckId::EmailDmarcWeak,
                CheckId::EmailMtaStsMissing,
                CheckId::EmailTlsrptMissing,
                CheckId::IndicatorContinuity,
                CheckId::DnsDnssecMissing,
                CheckId::DnsCaaMissing,
            ],
            score: 79,
            grade: Grade::C,
            risk: RiskLevel::Medium,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"compliant","article_21_2c":"partial","article_21_2d":"partial","article_21_2e":"non-compliant","article_21_2f":"not_assessed","article_21_2g":"compliant","article_21_2h":"partial","article_21_2i":"compliant","article_21_2j":"non-compliant"}"#,
        },
    )
    .await;
    let email = obs.email.as_ref().unwrap();
    assert_eq!(email.spf.records, ["v=spf1 +all"]);
    assert_eq!(email.dmarc.records, ["v=DMARC1; p=none; pct=50"]);
    assert!(email.mta_sts.records.is_empty() && email.mta_sts.policy.is_none());
    let dns = obs.dns.as_ref().unwrap();
    assert_eq!(dns.ns_answering, Some(1));
    assert!(dns.caa.is_empty());
    assert!(!dns.dnssec.ds && !dns.dnssec.dnskey && !dns.dnssec.rrsig);

    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::SpfLookups,
            fails: &[CheckId::EmailSpfInvalid, CheckId::EmailDmarcMissing],
            score: 90,
            grade: Grade::A,
            risk: RiskLevel::Low,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"compliant","article_21_2c":"compliant","article_21_2d":"compliant","article_21_2e":"non-compliant","article_21_2f":"not_assessed","article_21_2g":"compliant","article_21_2h":"compliant","article_21_2i":"compliant","article_21_2j":"non-compliant"}"#,
        },
    )
    .await;
    let email = obs.email.as_ref().unwrap();
    assert_eq!(email.spf.dns_lookups, Some(11));
    assert_eq!(email.spf.void_lookups, Some(0));
    assert!(email.dmarc.records.is_empty());

    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::SpfDouble,
            fails: &[CheckId::EmailSpfInvalid, CheckId::EmailMtaStsMissing],
            score: 99,
            grade: Grade::A,
            risk: RiskLevel::Low,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"compliant","article_21_2c":"compliant","article_21_2d":"compliant","article_21_2e":"partial","article_21_2f":"not_assessed","article_21_2g":"compliant","article_21_2h":"partial","article_21_2i":"compliant","article_21_2j":"partial"}"#,
        },
    )
    .await;
    let email = obs.email.as_ref().unwrap();
    assert_eq!(email.spf.records.len(), 2);
    // Two records: no chain is walked.
    assert_eq!(email.spf.dns_lookups, None);
    let policy = email.mta_sts.policy.as_ref().unwrap();
    assert_eq!(policy.status, 200);
    assert_eq!(policy.body, "version: STSv1\nmode: enforce\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mta_sts_policy_host_on_a_blocked_address_is_refused() {
    let (_lab, scanner) = lab().await;
    let domain = VendorKind::MtaStsBlocked.domain();
    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::MtaStsBlocked,
            fails: &[CheckId::EmailMtaStsMissing],
            score: 100,
            grade: Grade::A,
            risk: RiskLevel::Low,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"compliant","article_21_2c":"compliant","article_21_2d":"compliant","article_21_2e":"partial","article_21_2f":"not_assessed","article_21_2g":"compliant","article_21_2h":"partial","article_21_2i":"compliant","article_21_2j":"compliant"}"#,
        },
    )
    .await;
    let policy = obs.email.as_ref().unwrap().mta_sts.policy.as_ref().unwrap();
    assert_eq!(policy.status, 0);
    assert!(policy.body.is_empty());
    let err = policy.error.as_deref().unwrap();
    assert!(err.contains(&format!("mta-sts.{domain}")), "{err}");
    assert!(err.contains("240.0.0.1 is a reserved address"), "{err}");
    assert!(
        obs.errors
            .iter()
            .any(|e| e.group == CheckGroup::Email && e.message.contains("240.0.0.1")),
        "{:#?}",
        obs.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_site_vendors() {
    let (lab, scanner) = lab().await;
    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::BareSite,
            fails: &[
                CheckId::HttpNoHttpsRedirect,
                CheckId::HttpHstsMissing,
                CheckId::HttpCspMissing,
                CheckId::HttpFrameProtectionMissing,
                CheckId::HttpXctoMissing,
                CheckId::HttpReferrerPolicyMissing,
                CheckId::HttpCookieInsecure,
                CheckId::HttpVersionDisclosure,
                CheckId::VulnSecurityTxtMissing,
            ],
            score: 71,
            grade: Grade::C,
            risk: RiskLevel::Medium,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"partial","article_21_2c":"compliant","article_21_2d":"partial","article_21_2e":"partial","article_21_2f":"not_assessed","article_21_2g":"partial","article_21_2h":"partial","article_21_2i":"partial","article_21_2j":"compliant"}"#,
        },
    )
    .await;
    let http = obs.http.as_ref().unwrap();
    let plain = http.plain.as_ref().unwrap();
    assert_eq!(plain.hops.len(), 1);
    assert_eq!(plain.hops[0].status, 200);

    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::Exposed,
            fails: &[
                CheckId::HttpSensitivePathExposed,
                CheckId::ExposureRemoteAdmin,
                CheckId::ExposureDatabase,
            ],
            score: 30,
            grade: Grade::F,
            risk: RiskLevel::Critical,
            mapping: r#"{"article_21_2a":"non-compliant","article_21_2b":"compliant","article_21_2c":"compliant","article_21_2d":"non-compliant","article_21_2e":"non-compliant","article_21_2f":"not_assessed","article_21_2g":"non-compliant","article_21_2h":"non-compliant","article_21_2i":"non-compliant","article_21_2j":"compliant"}"#,
        },
    )
    .await;
    let ports = obs.ports.as_ref().unwrap();
    assert_eq!(ports.open, EXPOSED_PORTS);
    assert_eq!(
        ports.address,
        lab.vendor(VendorKind::Exposed).unwrap().ip.to_string()
    );
    let git = obs
        .http
        .as_ref()
        .unwrap()
        .paths
        .iter()
        .find(|p| p.path == "/.git/HEAD")
        .unwrap();
    assert_eq!(
        (git.status, git.body.as_str()),
        (200, "ref: refs/heads/main\n")
    );

    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::Soft404,
            fails: &[CheckId::VulnSecurityTxtMissing],
            score: 100,
            grade: Grade::A,
            risk: RiskLevel::Low,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"partial","article_21_2c":"compliant","article_21_2d":"compliant","article_21_2e":"partial","article_21_2f":"not_assessed","article_21_2g":"compliant","article_21_2h":"compliant","article_21_2i":"compliant","article_21_2j":"compliant"}"#,
        },
    )
    .await;
    let http = obs.http.as_ref().unwrap();
    let baseline = http.not_found_baseline.as_ref().unwrap();
    assert_eq!(baseline.status, 200);
    for p in &http.paths {
        assert_eq!((p.status, &p.body), (200, &baseline.body), "{}", p.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_blocked_addresses_are_refused() {
    let (lab, scanner) = lab().await;
    let domain = VendorKind::RedirectBlocked.domain();
    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::RedirectBlocked,
            fails: &[CheckId::HttpNoHttpsRedirect],
            score: 100,
            grade: Grade::A,
            risk: RiskLevel::Low,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"compliant","article_21_2c":"compliant","article_21_2d":"compliant","article_21_2e":"partial","article_21_2f":"not_assessed","article_21_2g":"partial","article_21_2h":"partial","article_21_2i":"compliant","article_21_2j":"compliant"}"#,
        },
    )
    .await;
    let http = obs.http.as_ref().unwrap();
    // HTTPS: / → hop./step2 → blocked.<domain> (240.0.0.1): two hops, then refused.
    let https = http.https.as_ref().unwrap();
    let urls: Vec<&str> = https.hops.iter().map(|h| h.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            format!("https://{domain}:{}/", lab.https_port()),
            format!("https://hop.{domain}:{}/step2", lab.https_port()),
        ]
    );
    let err = https.error.as_deref().unwrap();
    assert!(
        err.starts_with(&format!(
            "redirect to http://blocked.{domain}:{}/ refused",
            lab.http_port()
        )),
        "{err}"
    );
    assert!(err.contains("240.0.0.1 is a reserved address"), "{err}");
    // Plain HTTP: a redirect to the IP literal 0.0.0.0 is refused without any lookup.
    let plain = http.plain.as_ref().unwrap();
    assert_eq!(plain.hops.len(), 1);
    let err = plain.error.as_deref().unwrap();
    assert!(
        err.starts_with("redirect to http://0.0.0.0/ refused"),
        "{err}"
    );
    assert!(err.contains("unspecified address"), "{err}");
    assert_eq!(
        obs.errors
            .iter()
            .filter(|e| e.group == CheckGroup::Http && e.message.contains("refused"))
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_vendor_shows_each_half_measure() {
    let (_lab, scanner) = lab().await;
    let obs = expect(
        &scanner,
        &Expect {
            kind: VendorKind::Partial,
            fails: &[
                CheckId::HttpHstsWeak,
                CheckId::HttpCspMissing,
                CheckId::HttpXctoMissing,
                CheckId::HttpCookieInsecure,
                CheckId::HttpVersionDisclosure,
                CheckId::VulnSecurityTxtMissing,
                CheckId::EmailSpfInvalid,
            ],
            // 100 - (3 + 5 + 3 + 4 + 3 + 3 + 8) + bonuses (TLS 1.3 only +2,
            // hybrid PQ +1, DNSSEC +2, CAA +1).
            score: 77,
            grade: Grade::C,
            risk: RiskLevel::Medium,
            mapping: r#"{"article_21_2a":"partial","article_21_2b":"partial","article_21_2c":"compliant","article_21_2d":"partial","article_21_2e":"partial","article_21_2f":"not_assessed","article_21_2g":"partial","article_21_2h":"partial","article_21_2i":"partial","article_21_2j":"partial"}"#,
        },
    )
    .await;
    let http = obs.http.as_ref().unwrap();
    let hop = &http.https.as_ref().unwrap().hops[0];
    let header = |name: &str| {
        hop.headers
            .iter()
            .find(|h| h.0.eq_ignore_ascii_case(name))
            .map(|h| h.1.as_str())
    };
    assert_eq!(header("strict-transport-security"), Some("max-age=300"));
    assert_eq!(header("x-frame-options"), Some("SAMEORIGIN"));
    assert_eq!(header("content-security-policy"), None);
    assert_eq!(header("x-content-type-options"), Some("sniff"));
    assert_eq!(header("server"), Some("nginx/1.25.3"));
    assert_eq!(
        header("set-cookie"),
        Some("sid=42; Path=/; Secure; SameSite=Strict")
    );
    let sec = http
        .paths
        .iter()
        .find(|p| p.path == nis2_core::SECURITY_TXT_PATH)
        .unwrap();
    assert_eq!(sec.status, 200);
    assert!(sec.body.contains("Expires: "), "{}", sec.body);
    let email = obs.email.as_ref().unwrap();
    assert_eq!(email.spf.dns_lookups, Some(3));
    assert_eq!(email.spf.void_lookups, Some(3));
    assert_eq!(email.spf.errors.len(), 3, "{:?}", email.spf.errors);
    let policy = email.mta_sts.policy.as_ref().unwrap();
    assert!(policy.body.contains("mode: testing"));
}
