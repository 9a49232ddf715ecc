//! Invariants of evaluate and assess, checked with proptest.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::borrow::Cow;

use nis2_core::observations::*;
use nis2_core::samples::flawless_vendor;
use nis2_core::{
    Assessment, CheckId, Finding, Grade, History, Status, Timestamp, assess, evaluate,
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
        evidence: Cow::Borrowed("prop"),
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
