//! Each lab target yields exactly the expected TLS and certificate
//! observations and, through `nis2_core::evaluate`, the expected findings;
//! each misbehaving server ends within its timeout.
#![cfg(feature = "lab")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use std::time::{Duration, Instant};

use nis2_core::observations::{
    AcceptedSuite, KeyAlgorithm, Probe, ProtocolSupport, Revocation, RevocationSource,
    RevocationStatus, TlsVersion,
};
use nis2_core::{CheckId, Finding, Observations, Timestamp, evaluate};
use nis2_scanner::lab::{Lab, TargetKind};
use nis2_scanner::{BatchTarget, ScanOptions, TlsScanner};

use Probe::{Accepted, Refused, Unknown};

async fn lab(kinds: &[TargetKind]) -> Lab {
    Lab::builder()
        .targets(kinds)
        .start()
        .await
        .expect("lab starts")
}

async fn scan(lab: &Lab, kind: TargetKind) -> Observations {
    scan_with(lab, kind, lab.scan_options()).await
}

async fn scan_with(lab: &Lab, kind: TargetKind, options: ScanOptions) -> Observations {
    let t = lab.target(kind).expect("target started");
    let scanner = TlsScanner::new(options).unwrap();
    let obs = scanner.scan_port(&t.name, t.addr.port()).await.unwrap();
    assert_eq!(obs.domain, t.name);
    assert!(obs.scanned_at.is_some());
    let tls = obs.tls.as_ref().unwrap();
    assert_eq!(tls.address, t.addr.to_string());
    obs
}

fn protocols(
    ssl2: Probe,
    ssl3: Probe,
    t10: Probe,
    t11: Probe,
    t12: Probe,
    t13: Probe,
) -> ProtocolSupport {
    ProtocolSupport {
        ssl2,
        ssl3,
        tls1_0: t10,
        tls1_1: t11,
        tls1_2: t12,
        tls1_3: t13,
    }
}

fn suites(list: &[(TlsVersion, u16, &str)]) -> Vec<AcceptedSuite> {
    list.iter()
        .map(|(v, id, name)| AcceptedSuite {
            version: *v,
            id: *id,
            name: (*name).to_owned(),
        })
        .collect()
}

/// Whether the system openssl is 3.5 or newer (ML-KEM hybrids by default).
fn openssl_has_mlkem() -> bool {
    let out = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(1).unwrap_or("0");
    let mut parts = version.split('.').map(|p| {
        p.trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse::<u32>()
            .unwrap_or(0)
    });
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (3, 5)
}

fn now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Timestamp::from_unix(secs as i64).unwrap()
}

fn findings(obs: &Observations) -> Vec<Finding> {
    evaluate(obs, now()).expect("observations are valid")
}

/// The failing checks, sorted by id.
fn failing(obs: &Observations) -> Vec<CheckId> {
    let mut f: Vec<CheckId> = findings(obs)
        .into_iter()
        .filter(|f| f.failed())
        .map(|f| f.check_id)
        .collect();
    f.sort_by_key(|c| c.as_str());
    f
}

fn sorted(mut ids: Vec<CheckId>) -> Vec<CheckId> {
    ids.sort_by_key(|c| c.as_str());
    ids
}

fn passes(obs: &Observations, id: CheckId) -> bool {
    findings(obs)
        .iter()
        .any(|f| f.check_id == id && !f.failed())
}

const MODERN: [(TlsVersion, u16, &str); 2] = [
    (
        TlsVersion::Tls12,
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    (TlsVersion::Tls13, 0x1301, "TLS_AES_128_GCM_SHA256"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_target() {
    let lab = lab(&[TargetKind::Good]).await;
    let obs = scan(&lab, TargetKind::Good).await;
    let tls = obs.tls.as_ref().unwrap();
    assert!(obs.errors.is_empty(), "{:?}", obs.errors);
    assert!(tls.reachable);
    assert_eq!(
        tls.protocols,
        protocols(Refused, Refused, Refused, Refused, Accepted, Accepted)
    );
    assert_eq!(tls.accepted_suites, suites(&MODERN));
    assert_eq!(tls.negotiated_group.as_deref(), Some("X25519"));
    assert_eq!(tls.hybrid_pq_kex, Some(true));

    let cert = tls.certificate.as_ref().unwrap();
    assert!(cert.trusted, "{:?}", cert.verify_error);
    assert_eq!(cert.verify_error, None);
    // A real OCSP response made by `openssl ocsp`, stapled by rustls.
    assert!(cert.ocsp_stapled);
    assert_eq!(
        cert.revocation,
        Some(Revocation {
            status: RevocationStatus::Good,
            source: RevocationSource::Stapled
        })
    );
    assert_eq!(cert.chain.len(), 2);
    let (leaf, inter) = (&cert.chain[0], &cert.chain[1]);
    assert_eq!(leaf.subject, "O=nis2 lab, CN=good.lab.nis2.test");
    assert_eq!(leaf.issuer, "O=nis2 lab, CN=nis2 lab intermediate CA");
    assert_eq!(leaf.sans, vec!["good.lab.nis2.test".to_owned()]);
    assert_eq!(leaf.key.algorithm, KeyAlgorithm::Ec);
    assert_eq!(
        (leaf.key.bits, leaf.key.curve.as_deref()),
        (256, Some("P-256"))
    );
    assert_eq!(leaf.signature_algorithm, "ecdsa-with-SHA384");
    assert!(!leaf.self_signed);
    assert!(leaf.ocsp_urls.is_empty());
    assert_eq!(leaf.sct_count, 0);
    assert_eq!(leaf.sha256.len(), 64);
    assert!(!leaf.serial.is_empty());
    assert!(leaf.not_before < now() && now() < leaf.not_after);
    assert_eq!(inter.subject, "O=nis2 lab, CN=nis2 lab intermediate CA");
    assert_eq!(
        (inter.key.bits, inter.key.curve.as_deref()),
        (384, Some("P-384"))
    );
    assert_eq!(inter.signature_algorithm, "sha256WithRSAEncryption");

    assert_eq!(failing(&obs), vec![]);
    let json = serde_json::to_string(&obs).unwrap();
    assert_eq!(serde_json::from_str::<Observations>(&json).unwrap(), obs);
    for id in [
        CheckId::HttpsUnavailable,
        CheckId::TlsSsl3Enabled,
        CheckId::TlsTls10Enabled,
        CheckId::TlsTls11Enabled,
        CheckId::TlsNoTls13,
        CheckId::TlsWeakCipher,
        CheckId::TlsNoForwardSecrecy,
        CheckId::CertExpired,
        CheckId::CertUntrusted,
        CheckId::CertHostnameMismatch,
        CheckId::CertWeakKey,
        CheckId::CertSha1Signature,
        CheckId::CertExpiresSoon,
        CheckId::CertRevoked,
        CheckId::BonusModernTls,
        CheckId::BonusPqKex,
    ] {
        assert!(passes(&obs, id), "{id:?} should pass");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_targets() {
    let kinds = [
        TargetKind::Expired,
        TargetKind::SelfSigned,
        TargetKind::WrongHost,
        TargetKind::Sha1,
    ];
    let lab = lab(&kinds).await;
    let modern = protocols(Refused, Refused, Refused, Refused, Accepted, Accepted);

    let expired = scan(&lab, TargetKind::Expired).await;
    let tls = expired.tls.as_ref().unwrap();
    assert!(expired.errors.is_empty(), "{:?}", expired.errors);
    assert_eq!(tls.protocols, modern);
    assert_eq!(tls.accepted_suites, suites(&MODERN));
    let cert = tls.certificate.as_ref().unwrap();
    assert!(cert.chain[0].not_after < now());
    // The chain itself is sound: expiry is its own fact, not distrust.
    assert!(cert.trusted, "{:?}", cert.verify_error);
    assert_eq!(failing(&expired), vec![CheckId::CertExpired]);

    let selfsigned = scan(&lab, TargetKind::SelfSigned).await;
    let cert = selfsigned
        .tls
        .as_ref()
        .unwrap()
        .certificate
        .as_ref()
        .unwrap();
    assert_eq!(cert.chain.len(), 1);
    assert!(cert.chain[0].self_signed);
    assert_eq!(cert.chain[0].subject, cert.chain[0].issuer);
    assert!(!cert.trusted);
    assert_eq!(
        cert.verify_error.as_deref(),
        Some("invalid peer certificate: UnknownIssuer")
    );
    assert_eq!(failing(&selfsigned), vec![CheckId::CertUntrusted]);

    let wrong = scan(&lab, TargetKind::WrongHost).await;
    let cert = wrong.tls.as_ref().unwrap().certificate.as_ref().unwrap();
    assert_eq!(cert.chain[0].sans, vec!["unrelated.example.net".to_owned()]);
    assert!(cert.trusted);
    assert_eq!(failing(&wrong), vec![CheckId::CertHostnameMismatch]);

    let sha1 = scan(&lab, TargetKind::Sha1).await;
    let tls = sha1.tls.as_ref().unwrap();
    assert_eq!(tls.protocols, modern);
    assert_eq!(
        tls.accepted_suites,
        suites(&[
            (
                TlsVersion::Tls12,
                0xc02f,
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ),
            (TlsVersion::Tls13, 0x1301, "TLS_AES_128_GCM_SHA256"),
        ])
    );
    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(cert.chain[0].signature_algorithm, "sha1WithRSAEncryption");
    assert_eq!(
        (cert.chain[0].key.algorithm, cert.chain[0].key.bits),
        (KeyAlgorithm::Rsa, 2048)
    );
    assert!(!cert.trusted);
    assert_eq!(
        cert.verify_error.as_deref(),
        Some(
            "invalid peer certificate: unsupported signature algorithm (chain signed with sha1WithRSAEncryption)"
        )
    );
    assert_eq!(
        failing(&sha1),
        sorted(vec![CheckId::CertSha1Signature, CheckId::CertUntrusted])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa1024_target_served_by_openssl() {
    let lab = lab(&[TargetKind::Rsa1024]).await;
    let obs = scan(&lab, TargetKind::Rsa1024).await;
    let tls = obs.tls.as_ref().unwrap();
    assert!(obs.errors.is_empty(), "{:?}", obs.errors);
    assert_eq!(
        tls.protocols,
        protocols(Refused, Refused, Refused, Refused, Accepted, Accepted)
    );
    assert_eq!(
        tls.accepted_suites,
        suites(&[
            (
                TlsVersion::Tls12,
                0xc02f,
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ),
            (TlsVersion::Tls13, 0x1301, "TLS_AES_128_GCM_SHA256"),
        ])
    );
    // OpenSSL offers X25519MLKEM768 from 3.5 on; older ones refuse it.
    assert_eq!(tls.hybrid_pq_kex, Some(openssl_has_mlkem()));
    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(
        (cert.chain[0].key.algorithm, cert.chain[0].key.bits),
        (KeyAlgorithm::Rsa, 1024)
    );
    assert_eq!(cert.chain[0].signature_algorithm, "sha256WithRSAEncryption");
    assert!(cert.trusted, "{:?}", cert.verify_error);
    assert_eq!(failing(&obs), vec![CheckId::CertWeakKey]);
    let bonus = findings(&obs)
        .iter()
        .any(|f| f.check_id == CheckId::BonusPqKex);
    assert_eq!(bonus, openssl_has_mlkem());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_target_served_by_openssl() {
    let lab = lab(&[TargetKind::Legacy]).await;
    let obs = scan(&lab, TargetKind::Legacy).await;
    let tls = obs.tls.as_ref().unwrap();
    assert_eq!(
        tls.protocols,
        protocols(Refused, Refused, Accepted, Accepted, Refused, Refused)
    );
    let mut expected = Vec::new();
    for v in [TlsVersion::Tls10, TlsVersion::Tls11] {
        expected.push((v, 0x0002, "TLS_RSA_WITH_NULL_SHA"));
        expected.push((v, 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"));
        expected.push((v, 0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"));
        expected.push((v, 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
    }
    assert_eq!(tls.accepted_suites, suites(&expected));
    // No TLS 1.3: the group comes from the TLS 1.1 ServerKeyExchange of the
    // ECDHE suite the version probe got (forward-secret suites offered first).
    assert_eq!(tls.negotiated_group.as_deref(), Some("X25519"));
    assert_eq!(tls.hybrid_pq_kex, None);
    // rustls cannot speak TLS 1.1; the chain comes from the TLS 1.1 hello.
    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(cert.chain[0].sans, vec!["legacy.lab.nis2.test".to_owned()]);
    assert!(cert.trusted, "{:?}", cert.verify_error);
    assert_eq!(obs.errors.len(), 1, "{:?}", obs.errors);
    assert!(
        obs.errors[0].message.contains("certificate handshake"),
        "{:?}",
        obs.errors
    );
    assert_eq!(
        failing(&obs),
        sorted(vec![
            CheckId::TlsTls10Enabled,
            CheckId::TlsTls11Enabled,
            CheckId::TlsWeakCipher,
            CheckId::TlsNoForwardSecrecy,
            CheckId::TlsNoTls13,
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ancient_target_with_sslv2_sslv3_rc4_3des_export() {
    let lab = lab(&[TargetKind::Ancient]).await;
    let obs = scan(&lab, TargetKind::Ancient).await;
    let tls = obs.tls.as_ref().unwrap();
    assert_eq!(
        tls.protocols,
        protocols(Accepted, Accepted, Accepted, Refused, Refused, Refused)
    );
    let mut expected = Vec::new();
    for v in [TlsVersion::Ssl3, TlsVersion::Tls10] {
        expected.push((v, 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"));
        expected.push((v, 0x0005, "TLS_RSA_WITH_RC4_128_SHA"));
        expected.push((v, 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
        expected.push((v, 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"));
    }
    assert_eq!(tls.accepted_suites, suites(&expected));
    // Static RSA only: no key-exchange group at all.
    assert_eq!(tls.negotiated_group, None);
    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(cert.chain[0].sans, vec!["ancient.lab.nis2.test".to_owned()]);
    assert!(cert.trusted);
    assert_eq!(
        failing(&obs),
        sorted(vec![
            CheckId::TlsSsl3Enabled,
            CheckId::TlsTls10Enabled,
            CheckId::TlsWeakCipher,
            CheckId::TlsNoForwardSecrecy,
            CheckId::TlsNoTls13,
        ])
    );
}

/// Every misbehaving server ends within its timeouts (with slack), yields
/// an unreachable TLS service with the failure in the errors, and fails
/// `https.unavailable`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_servers_end_within_their_timeouts() {
    let kinds = [
        TargetKind::Silent,
        TargetKind::SlowLoris,
        TargetKind::Garbage,
        TargetKind::Reset,
    ];
    let lab = lab(&kinds).await;
    let (connect, handshake) = (Duration::from_millis(500), Duration::from_millis(1500));
    let options = lab.scan_options().timeouts(connect, handshake);
    for (kind, words) in [
        (
            TargetKind::Silent,
            "timed out waiting for the server's answer",
        ),
        (
            TargetKind::SlowLoris,
            "timed out waiting for the server's answer",
        ),
        (
            TargetKind::Garbage,
            "not a TLS answer: bytes 53 53 48 2d 32 are no TLS record header",
        ),
        (TargetKind::Reset, "connection reset"),
    ] {
        let start = Instant::now();
        let obs = scan_with(&lab, kind, options.clone()).await;
        let took = start.elapsed();
        assert!(
            took < connect + handshake + Duration::from_secs(2),
            "{kind:?} took {took:?}"
        );
        let tls = obs.tls.as_ref().unwrap();
        assert!(!tls.reachable, "{kind:?}");
        assert!(!tls.protocols.any_accepted());
        assert!(tls.certificate.is_none());
        assert!(
            obs.errors.iter().any(|e| e.message.contains(words)),
            "{kind:?}: {:?}",
            obs.errors
        );
        assert!(
            obs.errors
                .iter()
                .any(|e| e.message.starts_with("certificate handshake")),
            "{kind:?}: {:?}",
            obs.errors
        );
        if kind != TargetKind::Reset {
            // No answer at all: the old versions were never tried.
            assert_eq!(
                tls.protocols,
                protocols(Unknown, Unknown, Unknown, Unknown, Unknown, Unknown),
                "{kind:?}"
            );
        }
        assert_eq!(failing(&obs), vec![CheckId::HttpsUnavailable], "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_scan_is_cut_at_its_deadline() {
    let lab = lab(&[TargetKind::Silent]).await;
    let options = lab
        .scan_options()
        .timeouts(Duration::from_secs(5), Duration::from_secs(10))
        .scan_timeout(Duration::from_millis(700));
    let start = Instant::now();
    let obs = scan_with(&lab, TargetKind::Silent, options).await;
    assert!(start.elapsed() < Duration::from_millis(700) + Duration::from_secs(2));
    assert!(
        obs.errors
            .iter()
            .any(|e| e.message == "analysis stopped at its 700 ms deadline"),
        "{:?}",
        obs.errors
    );
    assert!(!obs.tls.unwrap().reachable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_reported() {
    let lab = lab(&[TargetKind::Good]).await;
    let scanner = TlsScanner::new(lab.scan_options()).unwrap();
    // The good target's name on a port where nothing listens.
    let free = std::net::TcpListener::bind("127.0.0.10:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let obs = scanner.scan_port("good.lab.nis2.test", port).await.unwrap();
    assert!(!obs.tls.as_ref().unwrap().reachable);
    assert!(
        obs.errors
            .iter()
            .any(|e| e.message.contains("cannot connect")),
        "{:?}",
        obs.errors
    );
    assert_eq!(failing(&obs), vec![CheckId::HttpsUnavailable]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_targets_never_reach_the_network() {
    let lab = lab(&[TargetKind::Good]).await;
    let strict = lab
        .scan_options()
        .policy(nis2_scanner::PolicyOptions::default());
    let scanner = TlsScanner::new(strict).unwrap();
    let port = lab.target(TargetKind::Good).unwrap().addr.port();
    match scanner.scan_port("good.lab.nis2.test", port).await {
        Err(nis2_scanner::Error::TargetRefused { reason, .. }) => {
            assert!(
                reason.contains("127.0.0.10 is a loopback address"),
                "{reason}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Through the Scanner port the refusal maps to ScanError::TargetRefused.
    let port_err = nis2_core::Scanner::scan(&scanner, "loopback.lab.nis2.test")
        .await
        .unwrap_err();
    assert!(
        matches!(port_err, nis2_core::ScanError::TargetRefused { .. }),
        "{port_err:?}"
    );
    let invalid = nis2_core::Scanner::scan(&scanner, "https://good.lab.nis2.test/")
        .await
        .unwrap_err();
    assert!(
        matches!(invalid, nis2_core::ScanError::InvalidTarget { .. }),
        "{invalid:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_streams_every_result() {
    let kinds = [TargetKind::Good, TargetKind::Expired, TargetKind::Garbage];
    let lab = lab(&kinds).await;
    let scanner = TlsScanner::new(
        lab.scan_options()
            .batch_concurrency(3)
            .per_host_connections(2),
    )
    .unwrap();
    let mut targets: Vec<BatchTarget> = Vec::new();
    for round in 0..4 {
        for kind in kinds {
            let t = lab.target(kind).unwrap();
            targets.push(BatchTarget::with_port(&t.name, t.addr.port()));
        }
        let _ = round;
    }
    targets.push(BatchTarget::new("10.0.0.1"));
    let total = targets.len();
    let mut rx = scanner.batch(targets.clone());
    let mut seen = vec![false; total];
    while let Some(r) = rx.recv().await {
        assert!(!seen[r.index], "index {} twice", r.index);
        seen[r.index] = true;
        assert_eq!(r.domain, targets[r.index].domain);
        if r.domain == "10.0.0.1" {
            assert!(r.result.is_err());
            continue;
        }
        let obs = r.result.unwrap();
        let tls = obs.tls.unwrap();
        let kind = kinds[r.index % 3];
        assert_eq!(tls.reachable, kind != TargetKind::Garbage, "{kind:?}");
    }
    assert!(seen.iter().all(|s| *s));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_target_staples_a_revoked_status() {
    let lab = lab(&[TargetKind::Revoked]).await;
    let obs = scan(&lab, TargetKind::Revoked).await;
    assert!(obs.errors.is_empty(), "{:?}", obs.errors);
    let cert = obs.tls.as_ref().unwrap().certificate.as_ref().unwrap();
    assert!(cert.trusted);
    assert!(cert.ocsp_stapled);
    assert_eq!(
        cert.revocation,
        Some(Revocation {
            status: RevocationStatus::Revoked,
            source: RevocationSource::Stapled
        })
    );
    assert_eq!(failing(&obs), vec![CheckId::CertRevoked]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_address_is_tried_when_the_first_refuses_connections() {
    let good = TargetKind::Good.ip();
    let lab = Lab::builder()
        .targets(&[TargetKind::Good])
        .dns(|d| {
            d.a("dual.lab.nis2.test", "127.0.0.99".parse().unwrap())
                .a("dual.lab.nis2.test", good.to_string().parse().unwrap())
        })
        .start()
        .await
        .unwrap();
    let port = lab.target(TargetKind::Good).unwrap().addr.port();
    let scanner = TlsScanner::new(lab.scan_options()).unwrap();
    let resolved = scanner
        .policy()
        .resolve("dual.lab.nis2.test")
        .await
        .unwrap();
    assert_eq!(resolved.addrs.len(), 2);
    let obs = scanner.scan_resolved(&resolved, port).await;
    let tls = obs.tls.as_ref().unwrap();
    assert!(tls.reachable);
    assert_eq!(
        tls.address,
        std::net::SocketAddr::new(good, port).to_string()
    );
    // The lab DNS answers in insertion order, so the refusing address comes first.
    assert_eq!(resolved.addrs[0].to_string(), "127.0.0.99");
    {
        // The refused first address left its trace.
        assert!(!obs.errors.is_empty());
        assert!(
            obs.errors.iter().all(
                |e| e.target.starts_with("127.0.0.99:") && e.message.contains("cannot connect")
            ),
            "{:?}",
            obs.errors
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_by_the_ocsp_responder_named_in_the_certificate() {
    let lab = lab(&[TargetKind::RevokedOcsp]).await;
    let obs = scan(&lab, TargetKind::RevokedOcsp).await;
    assert!(obs.errors.is_empty(), "{:?}", obs.errors);
    let cert = obs.tls.as_ref().unwrap().certificate.as_ref().unwrap();
    assert!(cert.trusted, "{:?}", cert.verify_error);
    assert!(!cert.ocsp_stapled);
    let url = &cert.chain[0].ocsp_urls;
    assert_eq!(url.len(), 1);
    assert!(
        url[0].starts_with("http://ocsp.lab.nis2.test:") && url[0].ends_with('/'),
        "{url:?}"
    );
    assert_eq!(
        cert.revocation,
        Some(Revocation {
            status: RevocationStatus::Revoked,
            source: RevocationSource::Responder
        })
    );
    assert_eq!(failing(&obs), vec![CheckId::CertRevoked]);

    // Not asked when turned off: nothing is known, nothing fails.
    let off = scan_with(
        &lab,
        TargetKind::RevokedOcsp,
        lab.scan_options().ocsp_responder(false),
    )
    .await;
    let cert = off.tls.as_ref().unwrap().certificate.as_ref().unwrap();
    assert_eq!(cert.revocation, None);
    assert_eq!(failing(&off), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ocsp_responder_on_a_blocked_address_is_not_asked() {
    // The responder's name also resolves to a reserved address: refused as a whole.
    let lab = Lab::builder()
        .targets(&[TargetKind::RevokedOcsp])
        .dns(|d| d.a("ocsp.lab.nis2.test", "240.0.0.1".parse().unwrap()))
        .start()
        .await
        .unwrap();
    let obs = scan(&lab, TargetKind::RevokedOcsp).await;
    let cert = obs.tls.as_ref().unwrap().certificate.as_ref().unwrap();
    assert_eq!(cert.revocation, None);
    assert_eq!(obs.errors.len(), 1, "{:?}", obs.errors);
    let msg = &obs.errors[0].message;
    assert!(
        msg.starts_with("OCSP responder http://ocsp.lab.nis2.test:"),
        "{msg}"
    );
    assert!(msg.contains("240.0.0.1 is a reserved address"), "{msg}");
    assert_eq!(failing(&obs), vec![]);
}

/// Per-host politeness: however many targets of a batch share an address,
/// at most `per_host_connections` connections to it are open at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_keeps_to_its_per_host_connection_limit() {
    use std::sync::Arc;
    use tokio::io::AsyncReadExt;

    let ip: std::net::IpAddr = "127.0.0.77".parse().unwrap();
    let lab = Lab::builder()
        .targets(&[])
        .dns(|d| {
            d.a("polite1.lab.nis2.test", "127.0.0.77".parse().unwrap())
                .a("polite2.lab.nis2.test", "127.0.0.77".parse().unwrap())
        })
        .start()
        .await
        .unwrap();
    // A silent server that records when each connection opened and when the
    // client closed it (the scanner holds each one for its 300 ms handshake
    // timeout, since nothing is ever answered).
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    /// When a connection was accepted and when the server saw it closed.
    type Span = (Instant, Option<Instant>);
    let spans: Arc<std::sync::Mutex<Vec<Span>>> = Arc::default();
    let recorded = spans.clone();
    let server = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let i = {
                let mut spans = recorded.lock().unwrap();
                spans.push((Instant::now(), None));
                spans.len() - 1
            };
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
                recorded.lock().unwrap()[i].1 = Some(Instant::now());
            });
        }
    });
    let scanner = TlsScanner::new(
        lab.scan_options()
            .timeouts(Duration::from_millis(500), Duration::from_millis(300))
            .batch_concurrency(6)
            .probe_concurrency(4)
            .per_host_connections(2),
    )
    .unwrap();
    let targets: Vec<BatchTarget> = (0..6)
        .map(|i| BatchTarget::with_port(format!("polite{}.lab.nis2.test", i % 2 + 1), port))
        .collect();
    let mut rx = scanner.batch(targets);
    let mut done = 0;
    while let Some(r) = rx.recv().await {
        assert!(!r.result.unwrap().tls.unwrap().reachable);
        done += 1;
    }
    server.abort();
    assert_eq!(done, 6);
    // Six targets × (TLS 1.3 probe, TLS 1.2 probe, rustls handshake).
    let spans = spans.lock().unwrap().clone();
    assert_eq!(spans.len(), 18);
    // Connections open at each opening. The server sees a close a moment
    // after the client's next connection may already be accepted (two
    // tasks), so a connection counts as open until 100 ms before the server
    // saw it close: a third connection really at once would overlap the
    // others for most of the 300 ms they are each held.
    let slack = Duration::from_millis(100);
    let peak = spans
        .iter()
        .map(|(at, _)| {
            spans
                .iter()
                .filter(|(a, e)| {
                    a <= at && e.is_none_or(|e| e.checked_sub(slack).is_none_or(|e| e > *at))
                })
                .count()
        })
        .max()
        .unwrap();
    assert!(
        (1..=2).contains(&peak),
        "{peak} connections at once: {spans:?}"
    );
}
