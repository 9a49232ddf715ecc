//! Sample observation sets: a flawless vendor and a weak one.
//!
//! They are the facts a real scan would record for two typical vendors, for
//! documentation, tests, benchmarks and demos (`nis2 score`, the Python
//! notebook). Dates are relative to the `now` given, so they stay valid.

use crate::Timestamp;
use crate::evaluate::{DOTENV_PATH, GIT_HEAD_PATH, RISKY_PORTS, SECURITY_TXT_PATH};
use crate::observations::*;

fn h(name: &str, value: &str) -> Header {
    Header(name.to_owned(), value.to_owned())
}

fn cert(
    domain: &str,
    now: Timestamp,
    days_left: i64,
    alg: &str,
    key: PublicKeyInfo,
) -> CertificateInfo {
    CertificateInfo {
        subject: format!("CN={domain}"),
        issuer: "CN=Sample Issuing CA R1,O=Sample Trust,C=EU".to_owned(),
        sans: vec![domain.to_owned(), format!("www.{domain}")],
        not_before: now.plus_days(-60),
        not_after: now.plus_days(days_left),
        key,
        signature_algorithm: alg.to_owned(),
        self_signed: false,
        ocsp_urls: vec!["http://ocsp.sample-trust.example".to_owned()],
        sct_count: 2,
        serial: "04d2a1b3c4".to_owned(),
        sha256: "9f".repeat(32),
    }
}

fn intermediate(now: Timestamp) -> CertificateInfo {
    CertificateInfo {
        subject: "CN=Sample Issuing CA R1,O=Sample Trust,C=EU".to_owned(),
        issuer: "CN=Sample Root CA,O=Sample Trust,C=EU".to_owned(),
        sans: vec![],
        not_before: now.plus_days(-700),
        not_after: now.plus_days(1100),
        key: PublicKeyInfo {
            algorithm: KeyAlgorithm::Rsa,
            bits: 4096,
            curve: None,
        },
        signature_algorithm: "sha256WithRSAEncryption".to_owned(),
        self_signed: false,
        ocsp_urls: vec![],
        sct_count: 0,
        serial: "01".to_owned(),
        sha256: "1e".repeat(32),
    }
}

fn suite(version: TlsVersion, id: u16, name: &str) -> AcceptedSuite {
    AcceptedSuite {
        version,
        id,
        name: name.to_owned(),
    }
}

fn probe(path: &str, status: u16, ctype: &str, body: &str) -> PathProbe {
    PathProbe {
        path: path.to_owned(),
        status,
        content_type: Some(ctype.to_owned()),
        body: body.to_owned(),
    }
}

/// A vendor that does everything right: TLS 1.2/1.3 only with ECDHE AEAD
/// suites and a hybrid post-quantum group, a trusted ECDSA certificate, HTTPS
/// redirect and every header, a valid security.txt, strict SPF, DMARC reject,
/// DKIM, MTA-STS enforce, TLS-RPT, CAA, DNSSEC, redundant NS and MX, and no
/// risky port open. It scores 100, grade A, Low risk.
pub fn flawless_vendor(domain: &str, now: Timestamp) -> Observations {
    let https = format!("https://{domain}/");
    Observations {
        domain: domain.to_owned(),
        scanned_at: Some(now),
        tls: Some(TlsObservations {
            address: "192.0.2.10:443".to_owned(),
            reachable: true,
            protocols: ProtocolSupport {
                ssl2: Probe::Refused,
                ssl3: Probe::Refused,
                tls1_0: Probe::Refused,
                tls1_1: Probe::Refused,
                tls1_2: Probe::Accepted,
                tls1_3: Probe::Accepted,
            },
            accepted_suites: vec![
                suite(TlsVersion::Tls13, 0x1301, "TLS_AES_128_GCM_SHA256"),
                suite(
                    TlsVersion::Tls12,
                    0xc02b,
                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                ),
                suite(
                    TlsVersion::Tls12,
                    0xcca9,
                    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                ),
            ],
            negotiated_group: Some("X25519MLKEM768".to_owned()),
            hybrid_pq_kex: Some(true),
            certificate: Some(CertificateObservations {
                chain: vec![
                    cert(
                        domain,
                        now,
                        60,
                        "ecdsa-with-SHA256",
                        PublicKeyInfo {
                            algorithm: KeyAlgorithm::Ec,
                            bits: 256,
                            curve: Some("P-256".to_owned()),
                        },
                    ),
                    intermediate(now),
                ],
                trusted: true,
                verify_error: None,
                ocsp_stapled: true,
                revocation: Some(Revocation {
                    status: RevocationStatus::Good,
                    source: RevocationSource::Stapled,
                }),
            }),
        }),
        http: Some(HttpObservations {
            plain: Some(HttpExchange {
                hops: vec![
                    HttpHop {
                        url: format!("http://{domain}/"),
                        status: 301,
                        headers: vec![h("Location", &https), h("Server", "nginx")],
                    },
                    HttpHop {
                        url: https.clone(),
                        status: 200,
                        headers: vec![h("Server", "nginx")],
                    },
                ],
                error: None,
            }),
            https: Some(HttpExchange {
                hops: vec![HttpHop {
                    url: https,
                    status: 200,
                    headers: vec![
                        h("Server", "nginx"),
                        h(
                            "Strict-Transport-Security",
                            "max-age=63072000; includeSubDomains; preload",
                        ),
                        h(
                            "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'",
                        ),
                        h("X-Frame-Options", "DENY"),
                        h("X-Content-Type-Options", "nosniff"),
                        h("Referrer-Policy", "strict-origin-when-cross-origin"),
                        h(
                            "Set-Cookie",
                            "session=abc123; Path=/; Secure; HttpOnly; SameSite=Lax",
                        ),
                    ],
                }],
                error: None,
            }),
            paths: vec![
                probe(
                    GIT_HEAD_PATH,
                    404,
                    "text/html",
                    "<html><body>Not Found</body></html>",
                ),
                probe(
                    DOTENV_PATH,
                    404,
                    "text/html",
                    "<html><body>Not Found</body></html>",
                ),
                probe(
                    SECURITY_TXT_PATH,
                    200,
                    "text/plain; charset=utf-8",
                    &format!(
                        "Contact: mailto:security@{domain}\nExpires: {}\nPreferred-Languages: en, de\n",
                        now.plus_days(300).trunc_seconds()
                    ),
                ),
            ],
            not_found_baseline: Some(probe(
                "/nis2-probe-404",
                404,
                "text/html",
                "<html><body>Not Found</body></html>",
            )),
        }),
        dns: Some(DnsObservations {
            ns: vec![format!("ns1.{domain}"), format!("ns2.{domain}")],
            ns_answering: Some(2),
            caa: vec![CaaRecord {
                name: domain.to_owned(),
                value: "0 issue \"sample-trust.example\"".to_owned(),
            }],
            dnssec: DnssecObservations {
                ds: true,
                dnskey: true,
                rrsig: true,
                validated: Some(true),
            },
        }),
        email: Some(EmailObservations {
            mx: vec![
                MxRecord {
                    preference: 10,
                    exchange: format!("mx1.{domain}"),
                },
                MxRecord {
                    preference: 20,
                    exchange: format!("mx2.{domain}"),
                },
            ],
            spf: SpfObservations {
                records: vec!["v=spf1 mx ip4:192.0.2.0/24 -all".to_owned()],
                dns_lookups: Some(1),
                void_lookups: Some(0),
                errors: vec![],
            },
            dmarc: DmarcObservations {
                name: format!("_dmarc.{domain}"),
                records: vec![format!(
                    "v=DMARC1; p=reject; sp=reject; pct=100; rua=mailto:dmarc@{domain}"
                )],
            },
            dkim: vec![DkimKey {
                selector: "selector1".to_owned(),
                record: "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".to_owned(),
            }],
            mta_sts: MtaStsObservations {
                records: vec!["v=STSv1; id=20260101".to_owned()],
                policy: Some(MtaStsPolicyFetch {
                    url: format!("https://mta-sts.{domain}/.well-known/mta-sts.txt"),
                    status: 200,
                    body: format!(
                        "version: STSv1\nmode: enforce\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 604800\n"
                    ),
                    error: None,
                }),
            },
            tls_rpt: vec![format!("v=TLSRPTv1; rua=mailto:tlsrpt@{domain}")],
        }),
        ports: Some(PortObservations {
            address: "192.0.2.10".to_owned(),
            scanned: RISKY_PORTS.to_vec(),
            open: vec![],
        }),
        errors: vec![],
    }
}

/// A weak vendor: TLS 1.0 and 1.1 still on with 3DES and static RSA, no TLS
/// 1.3, a certificate expiring in 20 days, missing security headers, an
/// insecure cookie, a disclosed server version, `?all` SPF, DMARC `p=none`
/// at pct=50, no MTA-STS or TLS-RPT, no DNSSEC or CAA, and FTP open.
pub fn weak_vendor(domain: &str, now: Timestamp) -> Observations {
    let mut o = flawless_vendor(domain, now);
    if let Some(tls) = o.tls.as_mut() {
        tls.protocols = ProtocolSupport {
            ssl2: Probe::Refused,
            ssl3: Probe::Refused,
            tls1_0: Probe::Accepted,
            tls1_1: Probe::Accepted,
            tls1_2: Probe::Accepted,
            tls1_3: Probe::Refused,
        };
        tls.accepted_suites = vec![
            suite(TlsVersion::Tls10, 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            suite(TlsVersion::Tls11, 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
            suite(
                TlsVersion::Tls12,
                0xc02f,
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            ),
        ];
        tls.negotiated_group = None;
        tls.hybrid_pq_kex = Some(false);
        if let Some(c) = tls.certificate.as_mut() {
            c.chain[0] = cert(
                domain,
                now,
                20,
                "sha256WithRSAEncryption",
                PublicKeyInfo {
                    algorithm: KeyAlgorithm::Rsa,
                    bits: 2048,
                    curve: None,
                },
            );
            c.ocsp_stapled = false;
            c.revocation = None;
        }
    }
    if let Some(http) = o.http.as_mut() {
        http.plain = Some(HttpExchange {
            hops: vec![HttpHop {
                url: format!("http://{domain}/"),
                status: 200,
                headers: vec![
                    h("Server", "Apache/2.4.41 (Ubuntu)"),
                    h("X-Powered-By", "PHP/7.4.3"),
                ],
            }],
            error: None,
        });
        http.https = Some(HttpExchange {
            hops: vec![HttpHop {
                url: format!("https://{domain}/"),
                status: 200,
                headers: vec![
                    h("Server", "Apache/2.4.41 (Ubuntu)"),
                    h("X-Powered-By", "PHP/7.4.3"),
                    h("Strict-Transport-Security", "max-age=86400"),
                    h("Set-Cookie", "PHPSESSID=9f8e7d; path=/"),
                ],
            }],
            error: None,
        });
        http.paths.retain(|p| p.path != SECURITY_TXT_PATH);
        http.paths.push(probe(
            SECURITY_TXT_PATH,
            404,
            "text/html",
            "<html><body>Not Found</body></html>",
        ));
    }
    if let Some(dns) = o.dns.as_mut() {
        dns.caa.clear();
        dns.dnssec = DnssecObservations {
            ds: false,
            dnskey: false,
            rrsig: false,
            validated: None,
        };
    }
    if let Some(e) = o.email.as_mut() {
        e.spf.records = vec!["v=spf1 a mx include:_spf.mailhost.example ?all".to_owned()];
        e.spf.dns_lookups = Some(4);
        e.dmarc.records = vec!["v=DMARC1; p=none; pct=50".to_owned()];
        e.dkim.clear();
        e.mta_sts = MtaStsObservations::default();
        e.tls_rpt.clear();
    }
    if let Some(p) = o.ports.as_mut() {
        p.open = vec![21];
    }
    o
}
