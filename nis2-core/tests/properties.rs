//! Invariants of evaluate and assess, checked with proptest.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use nis2_core::observations::*;
use nis2_core::samples::flawless_vendor;
use nis2_core::{
    Assessment, CheckId, Evidence, Finding, Grade, History, Status, Timestamp, assess, evaluate,
};
use proptest::prelude::*;

fn now() -> Timestamp {
    Timestamp::parse("2026-06-27T10:00:00Z").unwrap()
}

fn deduction_ids() -> Vec<CheckId> {
    CheckId::ALL
        .iter()
        .copied()
        .filter(|id| !id.is_bonus())
        .collect()
}

fn finding(id: CheckId, failed: bool, tier: usize) -> Finding {
    let row = id.check();
    let t = row.tiers[tier % row.tiers.len()];
    Finding {
        check_id: id,
        status: if failed { Status::Fail } else { Status::Pass },
        severity: t.severity,
        penalty: if failed { t.penalty } else { 0 },
        bonus: if failed { 0 } else { row.bonus },
        cap: if failed { t.cap } else { None },
        evidence: Evidence::from_static("prop"),
    }
}

/// Any set of findings a correct evaluate could produce: each check at most
/// once; deduction checks pass or fail at some tier; bonuses only earned.
fn findings() -> impl Strategy<Value = Vec<Finding>> {
    let n = CheckId::ALL.len();
    proptest::collection::vec((0u8..4, 0usize..2), n).prop_map(|choices| {
        CheckId::ALL
            .iter()
            .zip(choices)
            .filter_map(|(id, (c, tier))| match c {
                0 => None,
                1 if id.is_bonus() => None,
                1 => Some(finding(*id, true, tier)),
                _ => Some(finding(*id, false, tier)),
            })
            .collect()
    })
}

/// Observations damaged in random ways from a flawless vendor.
fn observations() -> impl Strategy<Value = Observations> {
    (
        proptest::collection::vec(any::<bool>(), 16),
        512u32..5000,
        -400i64..400,
        0u32..15,
    )
        .prop_map(|(flip, bits, days, lookups)| {
            let mut o = flawless_vendor("prop.example", now());
            let tls = o.tls.as_mut().unwrap();
            if flip[0] {
                tls.protocols.tls1_0 = Probe::Accepted;
            }
            if flip[1] {
                tls.protocols.tls1_3 = Probe::Refused;
            }
            if flip[2] {
                tls.accepted_suites.push(AcceptedSuite {
                    version: TlsVersion::Tls12,
                    id: 10,
                    name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA".into(),
                });
            }
            let cert = tls.certificate.as_mut().unwrap();
            cert.chain[0].key = PublicKeyInfo {
                algorithm: KeyAlgorithm::Rsa,
                bits,
                curve: None,
            };
            cert.chain[0].not_after = now().plus_days(days);
            cert.chain[0].not_before = now().plus_days(days.min(0) - 90);
            if flip[3] {
                cert.trusted = false;
            }
            if flip[4] {
                o.tls = Some(TlsObservations {
                    reachable: false,
                    ..Default::default()
                });
            }
            let http = o.http.as_mut().unwrap();
            if flip[5] {
                http.https.as_mut().unwrap().hops[0].headers.clear();
            }
            if flip[6] {
                http.plain = None;
            }
            if flip[7] {
                o.http = None;
            }
            let e = o.email.as_mut().unwrap();
            e.spf.dns_lookups = Some(lookups);
            if flip[8] {
                e.dmarc.records = vec!["v=DMARC1; p=none".into()];
            }
            if flip[9] {
                e.spf.records.push("v=spf1 +all".into());
            }
            if flip[10] {
                o.email = None;
            }
            if flip[11] {
                o.dns.as_mut().unwrap().dnssec = DnssecObservations::default();
            }
            if flip[12] {
                o.ports.as_mut().unwrap().open = vec![21, 3389];
            }
            if flip[13] {
                o.ports = None;
            }
            if flip[14] {
                o.dns = None;
            }
            if flip[15] {
                o.errors.push(ObservationError {
                    group: CheckGroup::Dns,
                    target: "x".into(),
                    message: "timeout".into(),
                });
            }
            o
        })
}

fn a(fs: &[Finding]) -> Assessment {
    assess(fs, &History::first_scan(now()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn score_in_range_and_grade_consistent(fs in findings()) {
        let x = a(&fs);
        prop_assert!(x.score <= 100);
        prop_assert!(x.grade >= Grade::from_score(x.score), "caps only lower the grade");
        prop_assert_eq!(x.deductions.len(), fs.iter().filter(|f| f.failed() && f.penalty > 0).count());
        prop_assert_eq!(x.remediation_steps.len(), x.deductions.len());
    }

    #[test]
    fn lowest_cap_always_holds(fs in findings()) {
        let x = a(&fs);
        for f in fs.iter().filter(|f| f.failed()) {
            if let Some(cap) = f.cap {
                prop_assert!(x.grade >= cap, "{} caps at {:?}, got {:?}", f.check_id, cap, x.grade);
            }
        }
    }

    #[test]
    fn adding_a_failing_check_never_raises_score_or_grade(fs in findings(), pick in 0usize..64, tier in 0usize..2) {
        let ids = deduction_ids();
        let id = ids[pick % ids.len()];
        let before = a(&fs);
        let mut more: Vec<Finding> = fs.iter().filter(|f| f.check_id != id).cloned().collect();
        // Only when it is not already failing at a worse tier.
        if let Some(old) = fs.iter().find(|f| f.check_id == id && f.failed()) {
            let new = finding(id, true, tier);
            prop_assume!(new.penalty >= old.penalty);
        }
        more.push(finding(id, true, tier));
        let after = a(&more);
        prop_assert!(after.score <= before.score, "{} {} -> {}", id, before.score, after.score);
        prop_assert!(after.grade >= before.grade, "{} {:?} -> {:?}", id, before.grade, after.grade);
        prop_assert!(after.risk_level >= before.risk_level);
    }

    #[test]
    fn same_input_same_output(fs in findings()) {
        prop_assert_eq!(a(&fs), a(&fs));
    }

    #[test]
    fn order_of_findings_does_not_matter(fs in findings()) {
        let mut rev = fs.clone();
        rev.reverse();
        let (x, y) = (a(&fs), a(&rev));
        prop_assert_eq!((x.score, x.grade, x.risk_level, x.nis2_mapping), (y.score, y.grade, y.risk_level, y.nis2_mapping));
        prop_assert_eq!(x.deductions, y.deductions);
    }

    #[test]
    fn a_repeated_check_counts_once_at_its_worst(
        fs in findings(),
        picks in proptest::collection::vec(any::<proptest::sample::Index>(), 1..6),
    ) {
        prop_assume!(!fs.is_empty());
        // Repeats that are no worse than the original (passing copies, or
        // failing ones at a penalty no larger) change nothing at all.
        let mut with_twins = fs.clone();
        for p in &picks {
            let f = p.get(&fs);
            let mut twin = finding(f.check_id, false, 0);
            twin.evidence = Evidence::from_static("twin");
            with_twins.push(twin);
            if f.failed() {
                with_twins.push(f.clone());
            }
        }
        prop_assert_eq!(a(&with_twins), a(&fs));
        // A failing twin worse than the original replaces it where it stood.
        let f = picks[0].get(&fs);
        let row = f.check_id.check();
        if let Some(worst) = (0..row.tiers.len()).max_by_key(|t| row.tiers[*t].penalty)
            && row.tiers[worst].penalty > f.penalty
        {
            let mut worse = finding(f.check_id, true, worst);
            worse.evidence = Evidence::from_static("worse");
            let mut expected = fs.clone();
            let at = fs.iter().position(|g| g.check_id == f.check_id).unwrap();
            expected[at] = worse.clone();
            let mut twins = fs.clone();
            twins.push(worse);
            prop_assert_eq!(a(&twins), a(&expected));
        }
    }

    #[test]
    fn assessment_json_round_trip(fs in findings()) {
        let x = a(&fs);
        let json = serde_json::to_string(&x).unwrap();
        let back: Assessment = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, x);
    }

    #[test]
    fn observations_json_round_trip_and_deterministic_evaluation(o in observations()) {
        let json = serde_json::to_string(&o).unwrap();
        let back: Observations = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &o);
        let f1 = evaluate(&o, now()).unwrap();
        let f2 = evaluate(&back, now()).unwrap();
        prop_assert_eq!(&f1, &f2);
        let x = a(&f1);
        prop_assert!(x.score <= 100);
        // No check appears twice.
        let mut ids: Vec<CheckId> = f1.iter().map(|f| f.check_id).collect();
        ids.sort();
        ids.dedup();
        prop_assert_eq!(ids.len(), f1.len());
    }

    #[test]
    fn arbitrary_json_never_panics(s in "\\PC{0,200}") {
        let _ = serde_json::from_str::<Observations>(&s);
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,120}") {
        let _ = nis2_core::parse::spf::parse(&format!("v=spf1 {s}"));
        let _ = nis2_core::parse::dmarc::parse(&format!("v=DMARC1; {s}"));
        let _ = nis2_core::parse::headers::parse_hsts(&s);
        let _ = nis2_core::parse::headers::parse_set_cookie(&s);
        let _ = nis2_core::parse::headers::disclosed_version(&s);
        let _ = nis2_core::parse::headers::csp_has_frame_ancestors(&s);
        let _ = nis2_core::parse::security_txt::parse(&s);
        let _ = nis2_core::parse::mta_sts::parse_policy(&s);
        let _ = nis2_core::suites::classify(&s);
    }
}

// ------------------------------------------------ arbitrary observations
//
// Not damage done to a good vendor but any value of every field: the JSON
// form must round-trip, and evaluation must give findings or a clear error,
// never a panic, whatever a scanner (or a hand-written JSON file) holds.

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        Just(String::new()),
        proptest::sample::select(vec![
            "vendor.example",
            "*.vendor.example",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "v=spf1 mx -all",
            "v=spf1 +all",
            "v=DMARC1; p=none; pct=50",
            "v=STSv1; id=1",
            "version: STSv1\nmode: enforce\nmx: a\nmax_age: 1\n",
            "Contact: mailto:a@b\nExpires: 2030-01-01T00:00:00Z\n",
            "ref: refs/heads/main",
            "A=B",
            "max-age=31536000; includeSubDomains; preload",
            "nginx/1.2.3",
            "sha1WithRSAEncryption",
            "v=DKIM1; p=abc",
            "v=TLSRPTv1; rua=mailto:x@y",
        ])
        .prop_map(str::to_owned),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // Years 0 to 9999 (what RFC 3339 can write), with or without a fraction.
    (
        -62_167_219_200i64..253_402_300_800,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
    )
        .prop_map(|(secs, nanos)| {
            let t = time::OffsetDateTime::from_unix_timestamp(secs)
                .unwrap()
                .replace_nanosecond(nanos)
                .unwrap();
            Timestamp::from(t)
        })
}

fn probe() -> impl Strategy<Value = Probe> {
    prop_oneof![
        Just(Probe::Unknown),
        Just(Probe::Accepted),
        Just(Probe::Refused)
    ]
}

fn version() -> impl Strategy<Value = TlsVersion> {
    proptest::sample::select(TlsVersion::ALL.to_vec())
}

fn cert_info() -> impl Strategy<Value = CertificateInfo> {
    (
        (text(), text(), proptest::collection::vec(text(), 0..3)),
        prop_oneof![
            8 => (timestamp(), -400i64..3000).prop_map(|(t, d)| (t.plus_days(-90), t.plus_days(d))),
            1 => (timestamp(), timestamp()),
        ],
        (
            proptest::sample::select(vec![
                KeyAlgorithm::Rsa,
                KeyAlgorithm::Ec,
                KeyAlgorithm::Ed25519,
                KeyAlgorithm::Ed448,
                KeyAlgorithm::Dsa,
                KeyAlgorithm::Other,
            ]),
            prop_oneof![8 => proptest::sample::select(vec![256u32, 384, 1024, 2048, 4096]), 1 => any::<u32>()],
            proptest::option::of(text()),
        ),
        (text(), any::<bool>(), proptest::collection::vec(text(), 0..2)),
        (any::<u32>(), text(), text()),
    )
        .prop_map(
            |(
                (subject, issuer, sans),
                (not_before, not_after),
                (algorithm, bits, curve),
                (signature_algorithm, self_signed, ocsp_urls),
                (sct_count, serial, sha256),
            )| CertificateInfo {
                subject,
                issuer,
                sans,
                not_before,
                not_after,
                key: PublicKeyInfo {
                    algorithm,
                    bits,
                    curve,
                },
                signature_algorithm,
                self_signed,
                ocsp_urls,
                sct_count,
                serial,
                sha256,
            },
        )
}

fn tls_obs() -> impl Strategy<Value = TlsObservations> {
    (
        (text(), any::<bool>()),
        (probe(), probe(), probe(), probe(), probe(), probe()),
        proptest::collection::vec((version(), any::<u16>(), text()), 0..4),
        (
            proptest::option::of(text()),
            proptest::option::of(any::<bool>()),
        ),
        proptest::option::of((
            prop_oneof![8 => proptest::collection::vec(cert_info(), 1..3), 1 => Just(vec![])],
            (any::<bool>(), proptest::option::of(text()), any::<bool>()),
            proptest::option::of((
                proptest::sample::select(vec![
                    RevocationStatus::Good,
                    RevocationStatus::Revoked,
                    RevocationStatus::Unknown,
                ]),
                proptest::sample::select(vec![
                    RevocationSource::Stapled,
                    RevocationSource::Responder,
                ]),
            )),
        )),
    )
        .prop_map(
            |((address, reachable), p, suites, (negotiated_group, hybrid_pq_kex), cert)| {
                TlsObservations {
                    address,
                    reachable,
                    protocols: ProtocolSupport {
                        ssl2: p.0,
                        ssl3: p.1,
                        tls1_0: p.2,
                        tls1_1: p.3,
                        tls1_2: p.4,
                        tls1_3: p.5,
                    },
                    accepted_suites: suites
                        .into_iter()
                        .map(|(version, id, name)| AcceptedSuite { version, id, name })
                        .collect(),
                    negotiated_group,
                    hybrid_pq_kex,
                    certificate: cert.map(|(chain, (trusted, verify_error, ocsp_stapled), rev)| {
                        CertificateObservations {
                            chain,
                            trusted,
                            verify_error,
                            ocsp_stapled,
                            revocation: rev.map(|(status, source)| Revocation { status, source }),
                        }
                    }),
                }
            },
        )
}

fn header() -> impl Strategy<Value = Header> {
    (
        prop_oneof![
            proptest::sample::select(vec![
                "Strict-Transport-Security",
                "content-security-policy",
                "X-Frame-Options",
                "X-Content-Type-Options",
                "Referrer-Policy",
                "Set-Cookie",
                "Server",
                "X-Powered-By",
                "X-AspNet-Version",
                "Location",
            ])
            .prop_map(str::to_owned),
            text(),
        ],
        text(),
    )
        .prop_map(|(n, v)| Header(n, v))
}

/// HTTP status codes, now and then one no server sends.
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        12 => proptest::sample::select(vec![200u16, 204, 301, 302, 308, 403, 404, 500]),
        6 => 100u16..600,
        1 => any::<u16>(),
    ]
}

fn exchange() -> impl Strategy<Value = HttpExchange> {
    (
        proptest::collection::vec(
            (text(), status(), proptest::collection::vec(header(), 0..5)),
            0..3,
        ),
        proptest::option::of(text()),
    )
        .prop_map(|(hops, error)| HttpExchange {
            hops: hops
                .into_iter()
                .map(|(url, status, headers)| HttpHop {
                    url,
                    status,
                    headers,
                })
                .collect(),
            error,
        })
}

fn path_probe() -> impl Strategy<Value = PathProbe> {
    (
        prop_oneof![
            proptest::sample::select(vec![
                "/.git/HEAD",
                "/.env",
                "/.well-known/security.txt",
                "/security.txt",
            ])
            .prop_map(str::to_owned),
            text(),
        ],
        prop_oneof![4 => Just(0u16), 4 => Just(200u16), 4 => Just(404u16), 4 => status(), 1 => any::<u16>()],
        proptest::option::of(text()),
        text(),
    )
        .prop_map(|(path, status, content_type, body)| PathProbe {
            path,
            status,
            content_type,
            body,
        })
}

fn http_obs() -> impl Strategy<Value = HttpObservations> {
    (
        proptest::option::of(exchange()),
        proptest::option::of(exchange()),
        proptest::collection::vec(path_probe(), 0..4),
        proptest::option::of(path_probe()),
    )
        .prop_map(
            |(plain, https, paths, not_found_baseline)| HttpObservations {
                plain,
                https,
                paths,
                not_found_baseline,
            },
        )
}

fn dns_obs() -> impl Strategy<Value = DnsObservations> {
    (
        proptest::collection::vec(text(), 1..3),
        proptest::option::of(0u32..2),
        proptest::collection::vec((text(), text()), 0..2),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |(ns, ns_answering, caa, (ds, dnskey, rrsig, validated))| DnsObservations {
                ns,
                ns_answering,
                caa: caa
                    .into_iter()
                    .map(|(name, value)| CaaRecord { name, value })
                    .collect(),
                dnssec: DnssecObservations {
                    ds,
                    dnskey,
                    rrsig,
                    validated,
                },
            },
        )
}

fn email_obs() -> impl Strategy<Value = EmailObservations> {
    (
        proptest::collection::vec((any::<u16>(), text()), 0..3),
        (
            proptest::collection::vec(text(), 0..3),
            proptest::option::of(0u32..20),
            proptest::option::of(0u32..5),
            proptest::collection::vec(text(), 0..2),
        ),
        (text(), proptest::collection::vec(text(), 0..3)),
        proptest::collection::vec((text(), text()), 0..2),
        (
            proptest::collection::vec(text(), 0..2),
            proptest::option::of((text(), any::<u16>(), text(), proptest::option::of(text()))),
        ),
        proptest::collection::vec(text(), 0..2),
    )
        .prop_map(
            |(
                mx,
                (records, dns_lookups, void_lookups, errors),
                (name, dmarc),
                dkim,
                (sts, policy),
                tls_rpt,
            )| {
                EmailObservations {
                    mx: mx
                        .into_iter()
                        .map(|(preference, exchange)| MxRecord {
                            preference,
                            exchange,
                        })
                        .collect(),
                    spf: SpfObservations {
                        records,
                        dns_lookups,
                        void_lookups,
                        errors,
                    },
                    dmarc: DmarcObservations {
                        name,
                        records: dmarc,
                    },
                    dkim: dkim
                        .into_iter()
                        .map(|(selector, record)| DkimKey { selector, record })
                        .collect(),
                    mta_sts: MtaStsObservations {
                        records: sts,
                        policy: policy.map(|(url, status, body, error)| MtaStsPolicyFetch {
                            url,
                            status,
                            body,
                            error,
                        }),
                    },
                    tls_rpt,
                }
            },
        )
}

fn port_obs() -> impl Strategy<Value = PortObservations> {
    let port = prop_oneof![
        proptest::sample::select(nis2_core::RISKY_PORTS.to_vec()),
        any::<u16>()
    ];
    (
        text(),
        proptest::collection::vec(port.clone(), 0..16),
        proptest::collection::vec(port, 0..4),
    )
        .prop_map(|(address, scanned, open)| {
            // Mostly an open port is one that was scanned.
            let keep_invalid = open.first() == Some(&1);
            let open = if keep_invalid {
                open
            } else {
                open.into_iter().filter(|p| scanned.contains(p)).collect()
            };
            PortObservations {
                address,
                scanned,
                open,
            }
        })
}

fn any_observations() -> impl Strategy<Value = Observations> {
    (
        prop_oneof![
            6 => "[a-z]{1,12}\\.example",
            1 => text(),
        ],
        proptest::option::of(timestamp()),
        proptest::option::of(tls_obs()),
        proptest::option::of(http_obs()),
        proptest::option::of(dns_obs()),
        proptest::option::of(email_obs()),
        proptest::option::of(port_obs()),
        proptest::collection::vec((text(), text()), 0..2),
    )
        .prop_map(
            |(domain, scanned_at, tls, http, dns, email, ports, errors)| Observations {
                domain,
                scanned_at,
                tls,
                http,
                dns,
                email,
                ports,
                errors: errors
                    .into_iter()
                    .map(|(target, message)| ObservationError {
                        group: CheckGroup::Http,
                        target,
                        message,
                    })
                    .collect(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_observations_round_trip_and_never_panic(o in any_observations(), now in timestamp()) {
        let json = serde_json::to_string(&o).unwrap();
        let back: Observations = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &o);
        match evaluate(&o, now) {
            Ok(fs) => {
                prop_assert_eq!(&evaluate(&back, now).unwrap(), &fs);
                let x = assess(&fs, &History::first_scan(now));
                prop_assert!(x.score <= 100);
                let text = serde_json::to_string(&x).unwrap();
                prop_assert_eq!(serde_json::from_str::<Assessment>(&text).unwrap(), x);
            }
            Err(e) => {
                // A clear error naming what is wrong.
                let msg = e.to_string();
                prop_assert!(msg.starts_with("invalid observations: `"), "{}", msg);
                prop_assert!(evaluate(&back, now).is_err());
            }
        }
    }

    #[test]
    fn an_expired_certificate_is_f_and_critical_whatever_else(o in observations(), days in 1i64..4000) {
        let mut o = o;
        let tls = o.tls.get_or_insert_with(|| flawless_vendor("prop.example", now()).tls.unwrap());
        if !tls.reachable {
            *tls = flawless_vendor("prop.example", now()).tls.unwrap();
        }
        let cert = tls.certificate.as_mut().unwrap();
        cert.chain[0].not_after = now().plus_days(-days);
        cert.chain[0].not_before = now().plus_days(-days - 90);
        let x = a(&evaluate(&o, now()).unwrap());
        prop_assert_eq!((x.grade, x.risk_level), (Grade::F, nis2_core::RiskLevel::Critical));
        prop_assert!(x.critical_risks.iter().any(|r| r == "Expired TLS certificate"));
    }

    #[test]
    fn tls10_with_dmarc_none_is_c_or_below_whatever_else(o in observations()) {
        let mut o = o;
        let tls = o.tls.get_or_insert_with(|| flawless_vendor("prop.example", now()).tls.unwrap());
        if !tls.reachable {
            *tls = flawless_vendor("prop.example", now()).tls.unwrap();
        }
        tls.protocols.tls1_0 = Probe::Accepted;
        let email = o.email.get_or_insert_with(|| flawless_vendor("prop.example", now()).email.unwrap());
        email.dmarc.records = vec!["v=DMARC1; p=none".into()];
        let x = a(&evaluate(&o, now()).unwrap());
        prop_assert!(x.grade >= Grade::C, "{:?} {}", x.grade, x.score);
    }

    /// The score, grade and risk follow the method's formulas, worked out
    /// here independently of `assess`.
    #[test]
    fn score_grade_and_risk_follow_the_formulas(fs in findings()) {
        let x = a(&fs);
        let penalties: i64 = fs.iter().filter(|f| f.failed()).map(|f| i64::from(f.penalty)).sum();
        let bonuses: i64 = fs.iter().filter(|f| !f.failed()).map(|f| i64::from(f.bonus)).sum();
        let expected = (100 - penalties + bonuses.min(10)).clamp(0, 100);
        prop_assert_eq!(i64::from(x.score), expected);
        let by_score = match expected {
            90.. => Grade::A,
            80..=89 => Grade::B,
            70..=79 => Grade::C,
            60..=69 => Grade::D,
            _ => Grade::F,
        };
        let worst_cap = fs.iter().filter(|f| f.failed()).filter_map(|f| f.cap).max();
        let grade = worst_cap.map_or(by_score, |c| c.max(by_score));
        prop_assert_eq!(x.grade, grade);
        let mut risk = match grade {
            Grade::A | Grade::B => nis2_core::RiskLevel::Low,
            Grade::C => nis2_core::RiskLevel::Medium,
            Grade::D => nis2_core::RiskLevel::High,
            Grade::F => nis2_core::RiskLevel::Critical,
        };
        if fs.iter().any(|f| f.failed() && f.severity == nis2_core::Severity::Critical) {
            risk = risk.max(nis2_core::RiskLevel::High);
        }
        prop_assert_eq!(x.risk_level, risk);
        // One deduction and one remediation step per failing check, most
        // severe first; one bonus line per earned bonus.
        prop_assert_eq!(x.deductions.len(), fs.iter().filter(|f| f.failed() && f.penalty > 0).count());
        prop_assert!(x.remediation_steps.windows(2).all(|w| w[0].severity <= w[1].severity));
        prop_assert!(x.deductions.windows(2).all(|w| w[0].penalty >= w[1].penalty));
        prop_assert_eq!(x.bonuses.len(), fs.iter().filter(|f| !f.failed() && f.bonus > 0).count());
    }
}

/// The arbitrary observations above exercise evaluation, not only
/// validation: most of them are valid, some are not.
#[test]
fn arbitrary_observations_are_mostly_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = any_observations();
    let (mut ok, mut err) = (0, 0);
    for _ in 0..400 {
        let o = strategy.new_tree(&mut runner).unwrap().current();
        match evaluate(&o, now()) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert!(ok >= 120 && err >= 20, "{ok} valid, {err} invalid");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The hand-written RFC 3339 text (Display and JSON) is the `time`
    /// crate's for every instant of the years 0000-9999, fraction or not,
    /// and parses back to the same instant.
    #[test]
    fn timestamp_text_is_rfc3339(
        secs in -62_167_219_200i64..=253_402_300_799,
        nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (1u32..1000).prop_map(|n| n * 1_000_000)],
    ) {
        let t = Timestamp::from(
            time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
                + time::Duration::nanoseconds(i64::from(nanos)),
        );
        let text = t.to_string();
        prop_assert_eq!(
            &text,
            &t.into_inner().format(&time::format_description::well_known::Rfc3339).unwrap()
        );
        prop_assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{text}\""));
        prop_assert_eq!(Timestamp::parse(&text).unwrap(), t);
    }
}
