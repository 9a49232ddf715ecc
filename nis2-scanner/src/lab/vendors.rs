//! Lab vendors: whole fake vendors (DNS zone, HTTPS and HTTP sites, TLS,
//! open ports) for full scans by [`crate::DomainScanner`].
//!
//! [`LabVendors::start`] makes a PKI, gives each [`VendorKind`] its own
//! loopback address (`127.x.y.10+i`, `x.y` chosen per lab so several labs
//! can run at once) with an HTTPS and an HTTP listener on ports shared by
//! all vendors, starts one lab DNS server with a zone per vendor, and returns
//! the [`ScannerOptions`] that scan them ([`LabVendors::scanner_options`]).
//!
//! Every vendor but the one named for it has the good vendor's site or
//! mail set-up, so each weak vendor shows its own weaknesses only.
//!
//! DNSSEC: every zone but the weak-mail vendor's is signed by the lab DNS
//! server (ECDSA P-256, DS at the apex as the lab has no parent zone), and
//! [`LabVendors::scanner_options`] trusts those keys, so the scanner's
//! validating lookup succeeds for them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use hickory_proto::rr::rdata::{CAA, NS};
use hickory_proto::rr::{Name, RData};
use rustls::pki_types::CertificateDer;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use tokio::net::TcpListener;

use super::certs::{LeafSpec, Pki};
use super::dns::{LabDns, LabDnsBuilder};
use super::servers::Running;
use super::web::{self, Reply, Site};
use crate::error::Error;
use crate::{ResolverOptions, ScannerOptions};

/// Ports the exposed vendor listens on (all above 1024, so no privileges
/// are needed): MySQL, VNC, Redis.
pub const EXPOSED_PORTS: &[u16] = &[3306, 5900, 6379];

/// The lab's vendors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum VendorKind {
    /// Everything right: TLS 1.2 + 1.3 with a trusted chain and stapled OCSP,
    /// HTTPS redirect, every header, security.txt, SPF `-all`, DMARC reject,
    /// DKIM, MTA-STS enforce, TLS-RPT, CAA, DNSSEC records, two name servers
    /// and two MX, no risky port open.
    Good,
    /// SPF `+all`, DMARC `p=none; pct=50`, one MX, no MTA-STS, no TLS-RPT;
    /// and weak DNS: one name server, no CAA, no DNSSEC records.
    WeakMail,
    /// An SPF record needing 11 DNS lookups; no DMARC record.
    SpfLookups,
    /// Two SPF records; an MTA-STS record whose policy file is broken.
    SpfDouble,
    /// An MTA-STS record whose policy host resolves to a blocked address.
    MtaStsBlocked,
    /// No security header, plain HTTP served without redirect, Server and
    /// X-Powered-By versions, a cookie without Secure/HttpOnly, no security.txt.
    BareSite,
    /// `/.git/HEAD` and `/.env` served; MySQL, VNC and Redis ports open.
    Exposed,
    /// Every path answers 200 with the same page (a soft 404).
    Soft404,
    /// HTTPS redirects twice and ends on a blocked address; plain HTTP
    /// redirects to the IP literal `0.0.0.0`.
    RedirectBlocked,
    /// Half-way hygiene: HSTS `max-age=300`, X-Frame-Options but no CSP,
    /// `X-Content-Type-Options: sniff`, a Secure cookie without HttpOnly,
    /// `Server: nginx/1.25.3`, an expired security.txt; an SPF record whose
    /// three includes do not exist (three void lookups), DMARC quarantine,
    /// MTA-STS in testing mode.
    Partial,
}

impl VendorKind {
    /// Every vendor, in start order.
    pub const ALL: [VendorKind; 10] = [
        Self::Good,
        Self::WeakMail,
        Self::SpfLookups,
        Self::SpfDouble,
        Self::MtaStsBlocked,
        Self::BareSite,
        Self::Exposed,
        Self::Soft404,
        Self::RedirectBlocked,
        Self::Partial,
    ];

    /// The first label of the vendor's domain.
    pub fn label(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::WeakMail => "weakmail",
            Self::SpfLookups => "spflookups",
            Self::SpfDouble => "spfdouble",
            Self::MtaStsBlocked => "mtastsblocked",
            Self::BareSite => "baresite",
            Self::Exposed => "exposed",
            Self::Soft404 => "soft404",
            Self::RedirectBlocked => "redirectblocked",
            Self::Partial => "partial",
        }
    }

    /// The vendor's domain, e.g. `good-vendor.test` (two labels, so the
    /// DMARC organisational domain is the domain itself).
    pub fn domain(self) -> String {
        format!("{}-vendor.test", self.label())
    }

    fn index(self) -> u8 {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }
}

/// One running lab vendor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabVendor {
    /// What it is.
    pub kind: VendorKind,
    /// Its domain.
    pub domain: String,
    /// The loopback address its services listen on.
    pub ip: IpAddr,
    /// Risky ports it has open.
    pub open_ports: Vec<u16>,
}

/// Running lab vendors; everything stops when dropped.
#[derive(Debug)]
pub struct LabVendors {
    vendors: Vec<LabVendor>,
    dns: LabDns,
    https_port: u16,
    http_port: u16,
    root_der: CertificateDer<'static>,
    root_pem: String,
    _running: Vec<Running>,
    _pki: Pki,
}

fn lab(reason: impl Into<String>) -> Error {
    Error::Lab {
        reason: reason.into(),
    }
}

/// Picks `127.x.y.0` for this lab: differs between processes and between
/// labs of one process, so concurrent test binaries do not collide.
fn base_octets(attempt: u32) -> (u8, u8) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) + attempt;
    let pid = std::process::id();
    (
        100 + (pid % 100) as u8,
        ((pid / 100).wrapping_add(n * 37) % 250) as u8,
    )
}

fn vendor_ip(base: (u8, u8), kind: VendorKind) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, base.0, base.1, 10 + kind.index()))
}

struct Listeners {
    https: Vec<TcpListener>,
    http: Vec<TcpListener>,
    risky: Vec<TcpListener>,
    https_port: u16,
    http_port: u16,
}

/// Binds HTTPS and HTTP listeners on one port each across every vendor address.
async fn bind_all(ips: &[IpAddr], risky: &[(IpAddr, u16)]) -> Result<Listeners, String> {
    let bind_same = |port: u16| async move {
        let mut out = Vec::new();
        let mut port = port;
        for ip in ips {
            let l = TcpListener::bind((*ip, port))
                .await
                .map_err(|e| format!("cannot bind {ip}:{port}: {e}"))?;
            port = l.local_addr().map_err(|e| e.to_string())?.port();
            out.push(l);
        }
        Ok::<_, String>((out, port))
    };
    let (https, https_port) = bind_same(0).await?;
    let (http, http_port) = bind_same(0).await?;
    let mut risky_l = Vec::new();
    for (ip, port) in risky {
        risky_l.push(
            TcpListener::bind((*ip, *port))
                .await
                .map_err(|e| format!("cannot bind {ip}:{port}: {e}"))?,
        );
    }
    Ok(Listeners {
        https,
        http,
        risky: risky_l,
        https_port,
        http_port,
    })
}

struct Urls {
    https: String,
    http_port: u16,
    https_port: u16,
}

impl Urls {
    fn https(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.https_port)
    }
    fn http(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.http_port)
    }
}

fn not_found() -> Reply {
    Reply::new(
        404,
        "text/html",
        "<html><body><h1>Not Found</h1></body></html>\n",
    )
}

fn security_txt(domain: &str) -> Result<String, Error> {
    security_txt_expiring(domain, Duration::days(300))
}

fn security_txt_expiring(domain: &str, from_now: Duration) -> Result<String, Error> {
    let expires = (OffsetDateTime::now_utc() + from_now)
        .replace_nanosecond(0)
        .map_err(|e| lab(e.to_string()))?
        .format(&Rfc3339)
        .map_err(|e| lab(e.to_string()))?;
    Ok(format!(
        "Contact: mailto:security@{domain}\nExpires: {expires}\nPreferred-Languages: en\n"
    ))
}

fn good_site(domain: &str, urls: &Urls) -> Result<(Site, Site), Error> {
    let common = vec![
        ("Server".to_owned(), "nginx".to_owned()),
        (
            "Strict-Transport-Security".to_owned(),
            "max-age=63072000; includeSubDomains; preload".to_owned(),
        ),
        (
            "Content-Security-Policy".to_owned(),
            "default-src 'self'; frame-ancestors 'none'".to_owned(),
        ),
        ("X-Frame-Options".to_owned(), "DENY".to_owned()),
        ("X-Content-Type-Options".to_owned(), "nosniff".to_owned()),
        (
            "Referrer-Policy".to_owned(),
            "strict-origin-when-cross-origin".to_owned(),
        ),
    ];
    let https = Site {
        routes: Vec::new(),
        fallback: not_found(),
        common,
        mta_sts: None,
    }
    .route(
        "/",
        Reply::new(200, "text/html", "<html><body>Welcome</body></html>\n").header(
            "Set-Cookie",
            "session=abc123; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
    )
    .route(
        "/.well-known/security.txt",
        Reply::new(200, "text/plain; charset=utf-8", security_txt(domain)?),
    );
    let plain = Site {
        routes: Vec::new(),
        fallback: Reply::redirect(301, urls.https.clone()).header("Server", "nginx"),
        common: Vec::new(),
        mta_sts: None,
    };
    Ok((https, plain))
}

fn enforce_policy(domain: &str) -> Reply {
    Reply::new(
        200,
        "text/plain",
        format!(
            "version: STSv1\nmode: enforce\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 604800\n"
        ),
    )
}

fn name(s: &str) -> Result<Name, Error> {
    Name::from_ascii(format!("{s}.")).map_err(|e| lab(format!("bad name {s}: {e}")))
}

/// The good vendor's mail and DNS records (SPF, DMARC, DKIM, MTA-STS,
/// TLS-RPT, CAA, two MX).
fn good_mail(d: LabDnsBuilder, domain: &str) -> LabDnsBuilder {
    d.mx(domain, 10, &format!("mx1.{domain}"))
        .mx(domain, 20, &format!("mx2.{domain}"))
        .txt(domain, "v=spf1 mx -all")
        .txt(
            &format!("_dmarc.{domain}"),
            &format!("v=DMARC1; p=reject; rua=mailto:dmarc@{domain}"),
        )
        .txt(
            &format!("selector1._domainkey.{domain}"),
            "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnis2labkey",
        )
        .txt(&format!("_mta-sts.{domain}"), "v=STSv1; id=20260101T000000")
        .txt(
            &format!("_smtp._tls.{domain}"),
            &format!("v=TLSRPTv1; rua=mailto:tlsrpt@{domain}"),
        )
}

fn caa(d: LabDnsBuilder, domain: &str) -> Result<LabDnsBuilder, Error> {
    Ok(d.rdata(
        domain,
        RData::CAA(CAA::new_issue(
            false,
            Some(name("ca.nis2-lab.test")?),
            Vec::new(),
        )),
    ))
}

impl LabVendors {
    /// Starts every vendor and the DNS server. Must be called inside a
    /// multi-threaded tokio runtime.
    pub async fn start() -> Result<LabVendors, Error> {
        let pki = tokio::task::spawn_blocking(Pki::new)
            .await
            .map_err(|e| lab(format!("PKI task failed: {e}")))??;
        let mut last = String::new();
        for attempt in 0..8 {
            let base = base_octets(attempt);
            let ips: Vec<IpAddr> = VendorKind::ALL
                .iter()
                .map(|k| vendor_ip(base, *k))
                .collect();
            let risky: Vec<(IpAddr, u16)> = EXPOSED_PORTS
                .iter()
                .map(|p| (vendor_ip(base, VendorKind::Exposed), *p))
                .collect();
            match bind_all(&ips, &risky).await {
                Ok(l) => return Self::start_on(pki, base, l).await,
                Err(e) => last = e,
            }
        }
        Err(lab(format!(
            "no free loopback addresses for the lab vendors: {last}"
        )))
    }

    async fn start_on(pki: Pki, base: (u8, u8), listeners: Listeners) -> Result<LabVendors, Error> {
        let now = OffsetDateTime::now_utc();
        let (from, to) = (now - Duration::days(1), now + Duration::days(90));
        let Listeners {
            https,
            http,
            risky,
            https_port,
            http_port,
        } = listeners;
        let mut running = Vec::new();
        let mut dns = LabDnsBuilder::new();
        let mut vendors = Vec::new();
        for ((kind, https_l), http_l) in VendorKind::ALL.into_iter().zip(https).zip(http) {
            let domain = kind.domain();
            let ip = vendor_ip(base, kind);
            let urls = Urls {
                https: format!("https://{domain}:{https_port}/"),
                http_port,
                https_port,
            };
            let sans = vec![
                domain.clone(),
                format!("mta-sts.{domain}"),
                format!("hop.{domain}"),
            ];
            let file = format!("vendor-{}", kind.label());
            let spec = LeafSpec {
                file: &file,
                cn: &domain,
                sans,
                not_before: from,
                not_after: to,
                ocsp_url: None,
            };
            let leaf = pki.leaf_via_intermediate(&spec)?;
            let ocsp = if kind == VendorKind::Good {
                pki.ocsp_response(&leaf, true, false)?
            } else {
                Vec::new()
            };
            let tls = super::rustls_config_stapled(&leaf, ocsp)?;

            // Zone: addresses, name servers, then the vendor's records.
            let mut z = dns
                .zone(&domain)
                .ip(&domain, ip)
                .ip(&format!("hop.{domain}"), ip)
                .ip(&format!("mx1.{domain}"), ip)
                .ip(&format!("mx2.{domain}"), ip)
                .ip(&format!("shop.{domain}"), ip)
                .ip(
                    &format!("blocked.{domain}"),
                    IpAddr::V4(Ipv4Addr::new(240, 0, 0, 1)),
                );
            let mta_ip = if kind == VendorKind::MtaStsBlocked {
                IpAddr::V4(Ipv4Addr::new(240, 0, 0, 1))
            } else {
                ip
            };
            z = z.ip(&format!("mta-sts.{domain}"), mta_ip);
            let (mut site, mut plain) = good_site(&domain, &urls)?;
            site.mta_sts = Some(enforce_policy(&domain));
            // Every vendor but the weak-mail one has the good vendor's DNS:
            // CAA, DNSSEC records, a second name server.
            if kind != VendorKind::WeakMail {
                z = caa(z, &domain)?;
                z = z.sign(&domain);
                z = z
                    .rdata(&domain, RData::NS(NS(name(&format!("ns2.{domain}"))?)))
                    .ip(&format!("ns2.{domain}"), IpAddr::V4(Ipv4Addr::LOCALHOST));
            }
            match kind {
                VendorKind::Good => {
                    z = good_mail(z, &domain);
                }
                VendorKind::WeakMail => {
                    z = z
                        .mx(&domain, 10, &format!("mx1.{domain}"))
                        .txt(&domain, "v=spf1 +all")
                        .txt(&format!("_dmarc.{domain}"), "v=DMARC1; p=none; pct=50");
                }
                VendorKind::SpfLookups => {
                    let mut spf = String::from("v=spf1");
                    for i in 0..11 {
                        let inc = format!("_spf{i}.{domain}");
                        spf.push_str(&format!(" include:{inc}"));
                        z = z.txt(&inc, &format!("v=spf1 ip4:192.0.2.{} -all", i + 1));
                    }
                    spf.push_str(" -all");
                    z = z
                        .mx(&domain, 10, &format!("mx1.{domain}"))
                        .mx(&domain, 20, &format!("mx2.{domain}"))
                        .txt(&domain, &spf)
                        .txt(&format!("_mta-sts.{domain}"), "v=STSv1; id=1")
                        .txt(
                            &format!("_smtp._tls.{domain}"),
                            &format!("v=TLSRPTv1; rua=mailto:tlsrpt@{domain}"),
                        );
                }
                VendorKind::SpfDouble => {
                    z = z
                        .mx(&domain, 10, &format!("mx1.{domain}"))
                        .mx(&domain, 20, &format!("mx2.{domain}"))
                        .txt(&domain, "v=spf1 mx -all")
                        .txt(&domain, "v=spf1 ip4:192.0.2.0/24 -all")
                        .txt(&format!("_dmarc.{domain}"), "v=DMARC1; p=quarantine")
                        .txt(&format!("_mta-sts.{domain}"), "v=STSv1; id=2")
                        .txt(
                            &format!("_smtp._tls.{domain}"),
                            &format!("v=TLSRPTv1; rua=mailto:tlsrpt@{domain}"),
                        );
                    site.mta_sts = Some(Reply::new(
                        200,
                        "text/plain",
                        "version: STSv1\nmode: enforce\n",
                    ));
                }
                VendorKind::MtaStsBlocked => {
                    z = good_mail(z, &domain);
                }
                VendorKind::BareSite => {
                    z = good_mail(z, &domain);
                    site = Site {
                        routes: Vec::new(),
                        fallback: Reply::new(404, "text/plain", "no such page\n"),
                        common: vec![
                            ("Server".into(), "Apache/2.4.41 (Ubuntu)".into()),
                            ("X-Powered-By".into(), "PHP/7.4.3".into()),
                        ],
                        mta_sts: site.mta_sts.take(),
                    }
                    .route(
                        "/",
                        Reply::new(200, "text/html", "<html><body>Hello</body></html>\n")
                            .header("Set-Cookie", "PHPSESSID=deadbeef; path=/"),
                    );
                    plain = Site {
                        fallback: Reply::new(200, "text/html", "<html><body>Hello</body></html>\n"),
                        common: vec![("Server".into(), "Apache/2.4.41 (Ubuntu)".into())],
                        ..Site::default()
                    };
                }
                VendorKind::Exposed => {
                    z = good_mail(z, &domain);
                    site = site
                        .route(
                            "/.git/HEAD",
                            Reply::new(200, "text/plain", "ref: refs/heads/main\n"),
                        )
                        .route(
                            "/.env",
                            Reply::new(
                                200,
                                "text/plain",
                                "APP_ENV=production\nDB_PASSWORD=hunter2\nexport API_KEY=abc\n",
                            ),
                        );
                }
                VendorKind::Soft404 => {
                    z = good_mail(z, &domain);
                    let page = Reply::new(
                        200,
                        "text/html",
                        "<html><body>Sorry, nothing here. Try the home page.</body></html>\n",
                    );
                    site.fallback = page.clone();
                    site.routes.retain(|(p, _)| p == "/");
                }
                VendorKind::Partial => {
                    let mut spf = String::from("v=spf1");
                    for i in 1..=3 {
                        spf.push_str(&format!(" include:_gone{i}.{domain}"));
                    }
                    spf.push_str(" -all");
                    z = z
                        .mx(&domain, 10, &format!("mx1.{domain}"))
                        .mx(&domain, 20, &format!("mx2.{domain}"))
                        .txt(&domain, &spf)
                        .txt(&format!("_dmarc.{domain}"), "v=DMARC1; p=quarantine")
                        .txt(&format!("_mta-sts.{domain}"), "v=STSv1; id=3")
                        .txt(
                            &format!("_smtp._tls.{domain}"),
                            &format!("v=TLSRPTv1; rua=mailto:tlsrpt@{domain}"),
                        );
                    site = Site {
                        routes: Vec::new(),
                        fallback: not_found(),
                        common: vec![
                            ("Server".into(), "nginx/1.25.3".into()),
                            ("Strict-Transport-Security".into(), "max-age=300".into()),
                            ("X-Frame-Options".into(), "SAMEORIGIN".into()),
                            ("X-Content-Type-Options".into(), "sniff".into()),
                            ("Referrer-Policy".into(), "no-referrer".into()),
                        ],
                        mta_sts: Some(Reply::new(
                            200,
                            "text/plain",
                            format!(
                                "version: STSv1\nmode: testing\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 86400\n"
                            ),
                        )),
                    }
                    .route(
                        "/",
                        Reply::new(200, "text/html", "<html><body>Half way</body></html>\n")
                            .header("Set-Cookie", "sid=42; Path=/; Secure; SameSite=Strict"),
                    )
                    .route(
                        "/.well-known/security.txt",
                        Reply::new(
                            200,
                            "text/plain",
                            security_txt_expiring(&domain, Duration::days(-30))?,
                        ),
                    );
                }
                VendorKind::RedirectBlocked => {
                    z = good_mail(z, &domain);
                    site = site
                        .route(
                            "/",
                            Reply::redirect(302, urls.https(&format!("hop.{domain}"), "/step2")),
                        )
                        .route(
                            "/step2",
                            Reply::redirect(302, urls.http(&format!("blocked.{domain}"), "/")),
                        );
                    // Routes match first-come: put the redirect before the good "/".
                    site.routes.reverse();
                    plain.fallback = Reply::redirect(302, "http://0.0.0.0/");
                }
            }
            dns = z;
            running.push(web::start(https_l, Arc::new(site), Some(tls)));
            running.push(web::start(http_l, Arc::new(plain), None));
            vendors.push(LabVendor {
                kind,
                domain,
                ip,
                open_ports: if kind == VendorKind::Exposed {
                    EXPOSED_PORTS.to_vec()
                } else {
                    Vec::new()
                },
            });
        }
        for l in risky {
            // Accept and close: an open port is all the exposure group looks at.
            let task = tokio::spawn(async move {
                loop {
                    if let Ok((s, _)) = l.accept().await {
                        drop(s);
                    } else {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                }
            });
            running.push(Running::Task(task.abort_handle()));
        }
        let dns = dns.start().await?;
        Ok(LabVendors {
            vendors,
            dns,
            https_port,
            http_port,
            root_der: pki.root_der.clone(),
            root_pem: pki.root_pem.clone(),
            _running: running,
            _pki: pki,
        })
    }

    /// The running vendors.
    pub fn vendors(&self) -> &[LabVendor] {
        &self.vendors
    }

    /// The vendor of a kind.
    pub fn vendor(&self, kind: VendorKind) -> Option<&LabVendor> {
        self.vendors.iter().find(|v| v.kind == kind)
    }

    /// The lab DNS server (UDP and TCP).
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns.addr()
    }

    /// The HTTPS (and TLS) port every vendor listens on.
    pub fn https_port(&self) -> u16 {
        self.https_port
    }

    /// The plain HTTP port every vendor listens on.
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The lab root CA, DER.
    pub fn root_ca(&self) -> CertificateDer<'static> {
        self.root_der.clone()
    }

    /// The lab root CA, PEM.
    pub fn root_ca_pem(&self) -> &str {
        &self.root_pem
    }

    /// Options that scan the lab vendors: the lab DNS (no cache) for
    /// resolution and name-server checks, the vendors' ports, the lab root
    /// trusted, private addresses allowed, short timeouts (connect 2 s,
    /// request 5 s, TLS handshake 3 s, each group 15 s).
    pub fn scanner_options(&self) -> ScannerOptions {
        let t = std::time::Duration::from_secs;
        ScannerOptions::new()
            .resolver(
                ResolverOptions::default()
                    .nameservers([self.dns_addr()])
                    .cache_size(0)
                    .dnssec_trust_anchors(self.dns.trust_anchors()),
            )
            .allow_private(true)
            .extra_root(self.root_ca())
            .https_port(self.https_port)
            .http_port(self.http_port)
            .dns_port(self.dns_addr().port())
            .connect_timeout(t(2))
            .request_timeout(t(5))
            .tls(crate::ScanOptions::new().timeouts(t(2), t(3)))
            .group_timeout(nis2_core::observations::CheckGroup::Tls, t(15))
            .group_timeout(nis2_core::observations::CheckGroup::Http, t(15))
            .group_timeout(nis2_core::observations::CheckGroup::Dns, t(15))
            .group_timeout(nis2_core::observations::CheckGroup::Email, t(15))
            .group_timeout(nis2_core::observations::CheckGroup::Ports, t(15))
    }
}
