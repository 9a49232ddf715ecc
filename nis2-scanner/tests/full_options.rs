//! The full scanner's options and modes against the lab vendors: streamed
//! batches, group selection, group deadlines, refused targets, the DMARC
//! organisational-domain fallback, the `Scanner` port.
#![cfg(feature = "lab")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use nis2_core::ScanError;
use nis2_core::observations::CheckGroup;
use nis2_scanner::lab::{LabVendors, VendorKind};
use nis2_scanner::{DomainScanner, Error};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_domains_stream_with_bounded_concurrency() {
    let lab = LabVendors::start().await.unwrap();
    let scanner = DomainScanner::new(lab.scanner_options().concurrency(3)).unwrap();
    let mut domains: Vec<String> = VendorKind::ALL.iter().map(|k| k.domain()).collect();
    let good = VendorKind::Good.domain();
    domains.push(format!("blocked.{good}"));
    domains.push("not a domain".into());
    domains.push(format!("nx.{good}"));
    let n = domains.len();
    let mut rx = scanner.scan_many(domains.clone());
    let mut seen = BTreeSet::new();
    while let Some(r) = rx.recv().await {
        assert_eq!(r.domain, domains[r.index]);
        assert!(seen.insert(r.index));
        match r.index {
            i if i < VendorKind::ALL.len() => {
                let obs = r.result.unwrap();
                assert!(obs.tls.is_some() && obs.http.is_some() && obs.ports.is_some());
            }
            i if i == n - 3 => assert!(
                matches!(&r.result, Err(Error::TargetRefused { reason, .. }) if reason.contains("240.0.0.1")),
                "{:?}",
                r.result
            ),
            i if i == n - 2 => assert!(
                matches!(r.result, Err(Error::InvalidTarget { .. })),
                "{:?}",
                r.result
            ),
            _ => assert!(
                matches!(r.result, Err(Error::Resolution { .. })),
                "{:?}",
                r.result
            ),
        }
    }
    assert_eq!(seen.len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_chosen_groups_run() {
    let lab = LabVendors::start().await.unwrap();
    let scanner = DomainScanner::new(
        lab.scanner_options()
            .groups([CheckGroup::Dns, CheckGroup::Email]),
    )
    .unwrap();
    let obs = scanner.scan(&VendorKind::Exposed.domain()).await.unwrap();
    assert!(obs.tls.is_none() && obs.http.is_none() && obs.ports.is_none());
    assert!(obs.dns.is_some() && obs.email.is_some());
    // No port was probed, so the exposed ports count for nothing.
    let findings = nis2_core::evaluate(&obs, nis2_core::Timestamp::UNIX_EPOCH).unwrap();
    assert!(findings.iter().all(|f| !f.failed()), "{findings:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dmarc_falls_back_to_the_organisational_domain() {
    let lab = LabVendors::start().await.unwrap();
    let scanner = DomainScanner::new(lab.scanner_options().groups([CheckGroup::Email])).unwrap();
    let good = VendorKind::Good.domain();
    let obs = scanner.scan(&format!("shop.{good}")).await.unwrap();
    let email = obs.email.unwrap();
    assert_eq!(email.dmarc.name, format!("_dmarc.{good}"));
    assert_eq!(
        email.dmarc.records,
        [format!("v=DMARC1; p=reject; rua=mailto:dmarc@{good}")]
    );
    // Nothing else is published at the subdomain.
    assert!(email.mx.is_empty() && email.spf.records.is_empty() && email.dkim.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_http_server_costs_one_group_deadline() {
    let lab = LabVendors::start().await.unwrap();
    let ip = lab.vendor(VendorKind::Good).unwrap().ip;
    // Accepts and reads, never answers.
    let silent = TcpListener::bind((ip, 0)).await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let _task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = silent.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            held.push(s);
        }
    });
    let deadline = Duration::from_millis(800);
    let scanner = DomainScanner::new(
        lab.scanner_options()
            .groups([CheckGroup::Http])
            .http_port(port)
            .https_port(port)
            .request_timeout(Duration::from_secs(30))
            .group_timeout(CheckGroup::Http, deadline),
    )
    .unwrap();
    let start = Instant::now();
    let obs = scanner.scan(&VendorKind::Good.domain()).await.unwrap();
    assert!(start.elapsed() < deadline + Duration::from_secs(3));
    assert!(obs.http.is_none());
    assert_eq!(obs.errors.len(), 1, "{:#?}", obs.errors);
    assert_eq!(obs.errors[0].group, CheckGroup::Http);
    assert_eq!(
        obs.errors[0].message,
        "http group stopped at its 800 ms deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scanner_port_maps_refusals() {
    let lab = LabVendors::start().await.unwrap();
    let scanner = DomainScanner::new(lab.scanner_options()).unwrap();
    let port: &dyn nis2_core::Scanner = &scanner;
    let good = VendorKind::Good.domain();
    let err = port.scan(&format!("blocked.{good}")).await.unwrap_err();
    assert!(matches!(err, ScanError::TargetRefused { .. }), "{err:?}");
    let obs = port.scan(&good).await.unwrap();
    assert_eq!(obs.domain, good);
    assert!(obs.scanned_at.is_some());

    // Without allow_private the lab's loopback vendors are refused outright.
    let strict = DomainScanner::new(lab.scanner_options().allow_private(false)).unwrap();
    let err = strict.scan(&good).await.unwrap_err();
    assert!(
        matches!(&err, Error::TargetRefused { reason, .. } if reason.contains("loopback")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnssec_is_validated_only_against_the_configured_trust_anchors() {
    let lab = LabVendors::start().await.unwrap();
    let good = VendorKind::Good.domain();
    let dns_only = |o: nis2_scanner::ScannerOptions| o.groups([CheckGroup::Dns]);

    // The lab's own anchors: signed and validated.
    let scanner = DomainScanner::new(dns_only(lab.scanner_options())).unwrap();
    let obs = scanner.scan(&good).await.unwrap();
    let s = &obs.dns.as_ref().unwrap().dnssec;
    assert!(s.ds && s.dnskey && s.rrsig, "{s:?}");
    assert_eq!(s.validated, Some(true));
    assert!(obs.errors.is_empty(), "{:#?}", obs.errors);

    // Another key as the only anchor: the same signed zone does not validate.
    let other = nis2_scanner::lab::LabDnsBuilder::new()
        .zone("other.test")
        .sign("other.test")
        .start()
        .await
        .unwrap();
    assert!(
        other.trust_anchors().contains("DNSKEY"),
        "{}",
        other.trust_anchors()
    );
    let mut options = dns_only(lab.scanner_options());
    options.resolver = options
        .resolver
        .clone()
        .dnssec_trust_anchors(other.trust_anchors());
    let scanner = DomainScanner::new(options).unwrap();
    let obs = scanner.scan(&good).await.unwrap();
    let s = &obs.dns.as_ref().unwrap().dnssec;
    assert!(s.ds && s.dnskey, "{s:?}");
    assert_eq!(s.validated, Some(false));
    assert!(
        obs.errors
            .iter()
            .any(|e| e.group == CheckGroup::Dns && e.message.starts_with("DNSSEC validation:")),
        "{:#?}",
        obs.errors
    );
    let findings = nis2_core::evaluate(&obs, nis2_core::Timestamp::UNIX_EPOCH).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.check_id == nis2_core::CheckId::DnsDnssecMissing && f.failed()),
        "{findings:#?}"
    );

    // The weak-mail vendor's zone is unsigned: nothing to validate.
    let scanner = DomainScanner::new(dns_only(lab.scanner_options())).unwrap();
    let obs = scanner.scan(&VendorKind::WeakMail.domain()).await.unwrap();
    let s = &obs.dns.as_ref().unwrap().dnssec;
    assert!(!s.ds && !s.dnskey && !s.rrsig);
    assert_eq!(s.validated, None);

    // Garbage anchors are a configuration error, not a silent default.
    let mut options = lab.scanner_options();
    options.resolver = options
        .resolver
        .clone()
        .dnssec_trust_anchors("not a DNSKEY");
    assert!(matches!(
        DomainScanner::new(options),
        Err(Error::Config { .. })
    ));
}

/// The addresses checked once are the ones connected to: a target whose
/// name now resolves to a blocked address (as a rebinding DNS server would
/// answer the second time) is still scanned at the checked address, by
/// every group, because no group asks DNS for the name again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_group_connects_to_the_checked_addresses_only() {
    let lab = LabVendors::start().await.unwrap();
    let good = lab.vendor(VendorKind::Good).unwrap().ip;
    let scanner = DomainScanner::new(lab.scanner_options().groups([
        CheckGroup::Tls,
        CheckGroup::Http,
        CheckGroup::Ports,
    ]))
    .unwrap();
    // In the lab DNS this name resolves to 240.0.0.1, which is refused.
    let name = format!("blocked.{}", VendorKind::Good.domain());
    assert!(scanner.policy().resolve(&name).await.is_err());
    let pinned = nis2_scanner::ResolvedTarget {
        host: nis2_scanner::Host::Domain(name.clone()),
        addrs: vec![good],
    };
    let obs = scanner.scan_resolved(&pinned).await;
    let tls = obs.tls.as_ref().unwrap();
    assert!(tls.reachable, "{:#?}", obs.errors);
    assert_eq!(
        tls.address,
        std::net::SocketAddr::new(good, lab.https_port()).to_string()
    );
    let https = obs.http.as_ref().unwrap().https.as_ref().unwrap();
    assert_eq!(https.hops.len(), 1, "{https:#?}");
    assert_eq!(https.hops[0].status, 200);
    assert!(https.error.is_none(), "{https:#?}");
    assert_eq!(obs.ports.as_ref().unwrap().address, good.to_string());
    // The pin ends with the scan: a new request for the name is refused again.
    let again = scanner.scan(&name).await.unwrap_err();
    assert!(matches!(again, Error::TargetRefused { .. }), "{again:?}");
}

/// A host below the vendor's zone: CAA and the zone's name servers are
/// found by climbing to the parent (RFC 8659 §3), DNSSEC is judged on the
/// zone found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caa_and_the_zone_are_found_by_climbing_to_the_parent() {
    let lab = LabVendors::start().await.unwrap();
    let scanner = DomainScanner::new(lab.scanner_options().groups([CheckGroup::Dns])).unwrap();
    let good = VendorKind::Good.domain();
    let obs = scanner.scan(&format!("shop.{good}")).await.unwrap();
    assert!(obs.errors.is_empty(), "{:#?}", obs.errors);
    let dns = obs.dns.unwrap();
    assert_eq!(dns.caa.len(), 1);
    assert_eq!(dns.caa[0].name, good);
    assert_eq!(dns.caa[0].value, "0 issue \"ca.nis2-lab.test.\"");
    assert_eq!(dns.ns, [format!("ns.{good}"), format!("ns2.{good}")]);
    assert_eq!(dns.ns_answering, Some(2));
    assert_eq!(dns.dnssec.validated, Some(true));

    // The weak-mail vendor publishes no CAA anywhere up the tree.
    let weak = VendorKind::WeakMail.domain();
    let obs = scanner.scan(&format!("shop.{weak}")).await.unwrap();
    assert!(obs.dns.unwrap().caa.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposure_ports_are_configurable() {
    let lab = LabVendors::start().await.unwrap();
    let exposed = lab.vendor(VendorKind::Exposed).unwrap();
    // A port nothing listens on, one risky port that is open, a duplicate.
    let closed = {
        let l = std::net::TcpListener::bind((exposed.ip, 0)).unwrap();
        l.local_addr().unwrap().port()
    };
    let scanner = DomainScanner::new(
        lab.scanner_options()
            .groups([CheckGroup::Ports])
            .exposure_ports([6379, closed, 6379])
            .port_concurrency(1),
    )
    .unwrap();
    let obs = scanner.scan(&exposed.domain).await.unwrap();
    let ports = obs.ports.unwrap();
    let mut scanned = vec![6379, closed];
    scanned.sort_unstable();
    assert_eq!(ports.scanned, scanned);
    assert_eq!(ports.open, [6379]);
    assert_eq!(ports.address, exposed.ip.to_string());
    assert!(obs.tls.is_none() && obs.http.is_none());
}

/// `scan_many` keeps to its global concurrency: with two domains at a time,
/// each TLS group's first phase (two hello probes and a handshake) opens
/// at most 2 × 3 connections at once, however many domains are queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_many_keeps_to_its_concurrency() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let lab = LabVendors::start().await.unwrap();
    let ip = lab.vendor(VendorKind::Good).unwrap().ip;
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (open, peak, total) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let counters = (open.clone(), peak.clone(), total.clone());
    let server = tokio::spawn(async move {
        let (open, peak, total) = counters;
        while let Ok((mut s, _)) = listener.accept().await {
            let now = open.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            total.fetch_add(1, Ordering::SeqCst);
            let open = open.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    let scanner = DomainScanner::new(
        lab.scanner_options()
            .groups([CheckGroup::Tls])
            .https_port(port)
            .concurrency(2)
            .tls(
                nis2_scanner::ScanOptions::new()
                    .timeouts(Duration::from_millis(500), Duration::from_millis(300))
                    .per_host_connections(64),
            ),
    )
    .unwrap();
    let domains = vec![VendorKind::Good.domain(); 8];
    let mut rx = scanner.scan_many(domains);
    let mut done = 0;
    while let Some(r) = rx.recv().await {
        assert!(!r.result.unwrap().tls.unwrap().reachable);
        done += 1;
    }
    server.abort();
    assert_eq!(done, 8);
    assert_eq!(total.load(Ordering::SeqCst), 24);
    let peak = peak.load(Ordering::SeqCst);
    assert!((3..=6).contains(&peak), "{peak} connections at once");
}
