//! Scoring, grade caps, risk levels, bonus cap, remediation deadlines, the
//! NIS2 roll-up rules, events, and the golden cases.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use nis2_core::events::{Previous, Subject, events};
use nis2_core::observations::*;
use nis2_core::samples::{flawless_vendor, weak_vendor};
use nis2_core::{
    Assessment, CheckId, Event, Evidence, Finding, Grade, History, MappingStatus, PastScan,
    RiskLevel, ScanId, Severity, Status, Timestamp, VendorId, assess, evaluate,
};

fn now() -> Timestamp {
    Timestamp::parse("2026-06-27T10:00:00Z").unwrap()
}

fn fail(id: CheckId) -> Finding {
    fail_tier(id, 0)
}

fn fail_tier(id: CheckId, tier: usize) -> Finding {
    let t = id.check().tiers[tier];
    Finding {
        check_id: id,
        status: Status::Fail,
        severity: t.severity,
        penalty: t.penalty,
        bonus: 0,
        cap: t.cap,
        evidence: Evidence::from_static("test"),
    }
}

fn pass(id: CheckId) -> Finding {
    let row = id.check();
    Finding {
        check_id: id,
        status: Status::Pass,
        severity: row.tiers[0].severity,
        penalty: 0,
        bonus: row.bonus,
        cap: None,
        evidence: Evidence::from_static("test"),
    }
}

fn first(fs: &[Finding]) -> Assessment {
    assess(fs, &History::first_scan(now()))
}

fn scan(obs: &Observations) -> Assessment {
    first(&evaluate(obs, now()).unwrap())
}

// ---------------------------------------------------------------- golden cases

#[test]
fn golden_flawless_vendor_is_100_a_low() {
    let a = scan(&flawless_vendor("vendor.example", now()));
    assert_eq!(
        (a.score, a.grade, a.risk_level),
        (100, Grade::A, RiskLevel::Low)
    );
    assert!(
        a.deductions.is_empty() && a.remediation_steps.is_empty() && a.critical_risks.is_empty()
    );
    assert_eq!(
        a.bonuses.iter().map(|b| u32::from(b.bonus)).sum::<u32>(),
        13,
        "all bonuses listed"
    );
    for (art, status) in a.nis2_mapping.iter() {
        let expect = if art == nis2_core::Article::F {
            MappingStatus::NotAssessed
        } else {
            MappingStatus::Compliant
        };
        assert_eq!(status, expect, "{}", art.key());
    }
    assert!(
        a.positive_findings
            .iter()
            .any(|p| p.contains("DMARC policy p=reject"))
    );
    assert!(
        a.positive_findings
            .iter()
            .any(|p| p.contains("No remote administration"))
    );
    assert_eq!(a.method, "nis2-score/1");
}

#[test]
fn golden_expired_certificate_is_f_critical_whatever_else() {
    let mut o = flawless_vendor("vendor.example", now());
    o.tls.as_mut().unwrap().certificate.as_mut().unwrap().chain[0].not_after = now().plus_days(-3);
    let a = scan(&o);
    assert_eq!(a.score, 70, "100 - 40 + 10 bonus cap");
    assert_eq!((a.grade, a.risk_level), (Grade::F, RiskLevel::Critical));
    assert_eq!(a.critical_risks, ["Expired TLS certificate"]);
    assert_eq!(a.remediation_steps[0].priority, "Critical");
    assert_eq!(a.remediation_steps[0].deadline_days, 7);
    assert!(
        a.technical_summary.contains("capped at F"),
        "{}",
        a.technical_summary
    );
}

#[test]
fn golden_tls10_and_dmarc_none_is_c_or_below() {
    let mut o = flawless_vendor("vendor.example", now());
    let tls = o.tls.as_mut().unwrap();
    tls.protocols.tls1_0 = Probe::Accepted;
    tls.accepted_suites.push(AcceptedSuite {
        version: TlsVersion::Tls10,
        id: 0xc013,
        name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA".into(),
    });
    o.email.as_mut().unwrap().dmarc.records = vec!["v=DMARC1; p=none".into()];
    let a = scan(&o);
    assert!(a.grade >= Grade::C, "got {:?} {}", a.grade, a.score);
    assert_eq!(a.risk_level, RiskLevel::Medium);
    let ids: Vec<CheckId> = a.deductions.iter().map(|d| d.check_id).collect();
    assert_eq!(ids, [CheckId::TlsTls10Enabled, CheckId::EmailDmarcWeak]);
}

#[test]
fn golden_weak_vendor() {
    let a = scan(&weak_vendor("weak.example", now()));
    // 15+10+15+6+3 TLS, 8 expiring, 8+3+5+3+3+2+4+3+3 HTTP, 12+6+2+1 mail, 4+2 DNS, 8 FTP.
    assert_eq!(a.score, 0);
    assert_eq!((a.grade, a.risk_level), (Grade::F, RiskLevel::Critical));
    assert_eq!(a.nis2_mapping.article_21_2d, MappingStatus::NonCompliant);
    assert_eq!(a.nis2_mapping.article_21_2h, MappingStatus::NonCompliant);
    assert_eq!(
        a.nis2_mapping.article_21_2a,
        MappingStatus::Partial,
        "no critical finding"
    );
    assert!(a.bonuses.is_empty());
}

// ---------------------------------------------------------------- score, caps, risk

#[test]
fn score_is_100_minus_penalties_plus_capped_bonuses() {
    let fs = [
        fail(CheckId::HttpCspMissing),
        fail(CheckId::DnsCaaMissing),
        pass(CheckId::BonusDmarcReject),
    ];
    assert_eq!(first(&fs).score, 100 - 5 - 2 + 2);
    let all_bonuses: Vec<Finding> = CheckId::ALL
        .iter()
        .filter(|id| id.is_bonus())
        .map(|id| pass(*id))
        .collect();
    let mut fs = all_bonuses.clone();
    fs.push(fail(CheckId::TlsTls10Enabled));
    let a = first(&fs);
    assert_eq!(a.score, 95, "bonuses are capped at 10");
    assert_eq!(first(&all_bonuses).score, 100, "never above 100");
}

#[test]
fn score_never_below_zero() {
    let fs: Vec<Finding> = CheckId::ALL
        .iter()
        .filter(|id| !id.is_bonus())
        .map(|id| fail(*id))
        .collect();
    let a = first(&fs);
    assert_eq!(
        (a.score, a.grade, a.risk_level),
        (0, Grade::F, RiskLevel::Critical)
    );
}

#[test]
fn a_check_counts_once() {
    let fs = [
        fail(CheckId::HttpCspMissing),
        fail(CheckId::HttpCspMissing),
        pass(CheckId::HttpCspMissing),
    ];
    let a = first(&fs);
    assert_eq!(a.score, 95);
    assert_eq!(a.deductions.len(), 1);
    // The worse tier wins.
    let fs = [
        fail_tier(CheckId::CertExpiresSoon, 1),
        fail_tier(CheckId::CertExpiresSoon, 0),
    ];
    assert_eq!(first(&fs).score, 80);
}

#[test]
fn grade_caps_apply_the_lowest() {
    // cert.untrusted: score 70 alone → C, but capped at D.
    let a = first(&[fail(CheckId::CertUntrusted)]);
    assert_eq!((a.score, a.grade), (70, Grade::D));
    // tls.tls11_enabled: score 90 → A, capped at C.
    let a = first(&[fail(CheckId::TlsTls11Enabled)]);
    assert_eq!((a.score, a.grade), (90, Grade::C));
    // Two caps: the lowest (worst) holds.
    let a = first(&[
        fail(CheckId::TlsTls11Enabled),
        fail(CheckId::ExposureDatabase),
    ]);
    assert_eq!(a.grade, Grade::D);
    // Medium tier of file sharing has no cap.
    let a = first(&[fail_tier(CheckId::ExposureFileShare, 1)]);
    assert_eq!((a.score, a.grade), (92, Grade::A));
    // A cap never improves a grade.
    let mut fs: Vec<Finding> = [
        CheckId::HttpHstsMissing,
        CheckId::EmailSpfMissing,
        CheckId::EmailDmarcMissing,
    ]
    .into_iter()
    .map(fail)
    .collect();
    fs.push(fail(CheckId::TlsTls10Enabled));
    let a = first(&fs);
    assert_eq!((a.score, a.grade), (53, Grade::F));
}

#[test]
fn risk_levels() {
    assert_eq!(first(&[]).risk_level, RiskLevel::Low);
    assert_eq!(
        first(&[
            fail(CheckId::HttpHstsMissing),
            fail(CheckId::HttpCspMissing)
        ])
        .risk_level,
        RiskLevel::Low
    ); // 87 B
    let c = first(&[
        fail(CheckId::EmailDmarcMissing),
        fail(CheckId::EmailSpfMissing),
    ]); // 76 C
    assert_eq!((c.grade, c.risk_level), (Grade::C, RiskLevel::Medium));
    let d = first(&[
        fail(CheckId::EmailDmarcMissing),
        fail(CheckId::EmailSpfMissing),
        fail(CheckId::HttpHstsMissing),
    ]);
    assert_eq!((d.grade, d.risk_level), (Grade::D, RiskLevel::High));
    // A critical finding raises the risk to at least High, whatever the grade.
    let a = first(&[fail_tier(CheckId::ExposureFileShare, 0)]); // 75 → C, capped D
    assert_eq!(a.risk_level, RiskLevel::High);
    let fs: Vec<Finding> = CheckId::ALL
        .iter()
        .filter(|id| id.is_bonus())
        .map(|id| pass(*id))
        .chain([fail(CheckId::ExposureRemoteAdmin)])
        .collect();
    let a = first(&fs);
    assert_eq!(
        (a.score, a.grade, a.risk_level),
        (85, Grade::D, RiskLevel::High)
    );
}

#[test]
fn remediation_deadlines_by_severity() {
    let fs = [
        fail(CheckId::DnsCaaMissing),
        fail(CheckId::EmailDmarcWeak),
        fail(CheckId::TlsTls10Enabled),
        fail(CheckId::ExposureDatabase),
        pass(CheckId::HttpCspMissing),
        fail(CheckId::IndicatorContinuity),
    ];
    let a = first(&fs);
    let steps: Vec<(&str, u16, Severity)> = a
        .remediation_steps
        .iter()
        .map(|s| (s.priority.as_str(), s.deadline_days, s.severity))
        .collect();
    assert_eq!(
        steps,
        [
            ("Critical", 7, Severity::Critical),
            ("High", 14, Severity::High),
            ("Medium", 30, Severity::Medium),
            ("Medium", 90, Severity::Low),
        ]
    );
    assert_eq!(a.remediation_steps[0].due, now().plus_days(7));
    assert!(a.remediation_steps.iter().all(|s| !s.action.is_empty()));
}

// ---------------------------------------------------------------- NIS2 roll-up

#[test]
fn mapping_worst_status_over_checks() {
    // h: a low check failing → partial; a high one → non-compliant.
    let a = first(&[fail(CheckId::TlsNoTls13), pass(CheckId::CertExpired)]);
    assert_eq!(a.nis2_mapping.article_21_2h, MappingStatus::Partial);
    let a = first(&[fail(CheckId::TlsTls10Enabled), fail(CheckId::TlsNoTls13)]);
    assert_eq!(a.nis2_mapping.article_21_2h, MappingStatus::NonCompliant);
    let a = first(&[pass(CheckId::TlsTls10Enabled)]);
    assert_eq!(a.nis2_mapping.article_21_2h, MappingStatus::Compliant);
    // j only from the e-mail checks; i from cookies and exposure.
    assert_eq!(a.nis2_mapping.article_21_2j, MappingStatus::NotAssessed);
    assert_eq!(a.nis2_mapping.article_21_2i, MappingStatus::NotAssessed);
    let a = first(&[fail(CheckId::HttpCookieInsecure)]);
    assert_eq!(a.nis2_mapping.article_21_2i, MappingStatus::Partial);
    // Bonuses do not make a point assessed.
    let a = first(&[pass(CheckId::BonusDmarcReject)]);
    assert_eq!(a.nis2_mapping.article_21_2j, MappingStatus::NotAssessed);
    assert_eq!(a.nis2_mapping.article_21_2a, MappingStatus::NotAssessed);
    assert_eq!(a.nis2_mapping.article_21_2d, MappingStatus::NotAssessed);
}

#[test]
fn mapping_policy_point_indicators() {
    // (a): non-compliant with any critical finding, partial with others.
    assert_eq!(
        first(&[fail(CheckId::ExposureDatabase)])
            .nis2_mapping
            .article_21_2a,
        MappingStatus::NonCompliant
    );
    assert_eq!(
        first(&[fail(CheckId::TlsTls10Enabled)])
            .nis2_mapping
            .article_21_2a,
        MappingStatus::Partial
    );
    assert_eq!(
        first(&[pass(CheckId::TlsTls10Enabled)])
            .nis2_mapping
            .article_21_2a,
        MappingStatus::Compliant
    );
    // (b): security.txt.
    assert_eq!(
        first(&[fail(CheckId::VulnSecurityTxtMissing)])
            .nis2_mapping
            .article_21_2b,
        MappingStatus::Partial
    );
    assert_eq!(
        first(&[pass(CheckId::VulnSecurityTxtMissing)])
            .nis2_mapping
            .article_21_2b,
        MappingStatus::Compliant
    );
    // (c): redundancy indicator.
    assert_eq!(
        first(&[pass(CheckId::IndicatorContinuity)])
            .nis2_mapping
            .article_21_2c,
        MappingStatus::Compliant
    );
    let a = first(&[fail(CheckId::IndicatorContinuity)]);
    assert_eq!(a.nis2_mapping.article_21_2c, MappingStatus::Partial);
    assert_eq!(a.score, 100, "an indicator never moves the score");
    // (d): the overall grade.
    assert_eq!(
        first(&[pass(CheckId::DnsCaaMissing)])
            .nis2_mapping
            .article_21_2d,
        MappingStatus::Compliant
    );
    assert_eq!(
        first(&[fail(CheckId::TlsTls11Enabled)])
            .nis2_mapping
            .article_21_2d,
        MappingStatus::Partial
    ); // C
    assert_eq!(
        first(&[fail(CheckId::CertExpired)])
            .nis2_mapping
            .article_21_2d,
        MappingStatus::NonCompliant
    ); // F
    // (g): only HTTP hygiene checks.
    assert_eq!(
        first(&[fail(CheckId::TlsTls10Enabled)])
            .nis2_mapping
            .article_21_2g,
        MappingStatus::NotAssessed
    );
    assert_eq!(
        first(&[fail(CheckId::HttpXctoMissing)])
            .nis2_mapping
            .article_21_2g,
        MappingStatus::Partial
    );
    assert_eq!(
        first(&[fail(CheckId::HttpSensitivePathExposed)])
            .nis2_mapping
            .article_21_2g,
        MappingStatus::NonCompliant
    );
}

#[test]
fn mapping_effectiveness_needs_history() {
    let fs = [fail(CheckId::TlsTls10Enabled)]; // high: 14 days
    assert_eq!(
        first(&fs).nis2_mapping.article_21_2f,
        MappingStatus::NotAssessed
    );
    let past = |days_ago: i64, failing: Vec<CheckId>| PastScan {
        scan_id: ScanId(uuid::Uuid::nil()),
        scanned_at: now().plus_days(-days_ago),
        score: 85,
        grade: Grade::C,
        failing,
    };
    let recent = [past(10, vec![CheckId::TlsTls10Enabled])];
    assert_eq!(
        assess(&fs, &History::new(now(), &recent))
            .nis2_mapping
            .article_21_2f,
        MappingStatus::Compliant
    );
    let overdue = [past(15, vec![CheckId::TlsTls10Enabled])];
    assert_eq!(
        assess(&fs, &History::new(now(), &overdue))
            .nis2_mapping
            .article_21_2f,
        MappingStatus::NonCompliant
    );
    let fixed_since = [past(40, vec![CheckId::HttpCspMissing])];
    assert_eq!(
        assess(&fs, &History::new(now(), &fixed_since))
            .nis2_mapping
            .article_21_2f,
        MappingStatus::Compliant
    );
}

#[test]
fn mapping_serializes_all_ten_keys_with_seed_spelling() {
    let a = scan(&weak_vendor("weak.example", now()));
    let v = serde_json::to_value(&a).unwrap();
    let m = v["nis2_mapping"].as_object().unwrap();
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 10);
    for k in [
        "article_21_2a",
        "article_21_2d",
        "article_21_2e",
        "article_21_2f",
        "article_21_2g",
        "article_21_2j",
    ] {
        assert!(m.contains_key(k), "{k}");
    }
    assert_eq!(m["article_21_2d"], "non-compliant");
    assert_eq!(m["article_21_2f"], "not_assessed");
    // The seed's SCORE DATA OBJECT fields, in its order, then the additions.
    assert_key_order(
        &serde_json::to_string(&a).unwrap(),
        &[
            "score",
            "grade",
            "risk_level",
            "deductions",
            "bonuses",
            "nis2_mapping",
            "critical_risks",
            "positive_findings",
            "remediation_steps",
            "technical_summary",
            "executive_summary",
            "method",
        ],
    );
    assert_eq!(
        v["deductions"][0]["reason"].as_str().map(str::is_empty),
        Some(false)
    );
    assert!(v["deductions"][0]["penalty"].is_u64());
    assert!(v["remediation_steps"][0]["deadline_days"].is_u64());
    assert_eq!(v["risk_level"], "Critical");
    assert_eq!(v["grade"], "F");
}

/// Asserts that the top-level keys appear in this order in the JSON text.
fn assert_key_order(json: &str, keys: &[&str]) {
    let pos: Vec<usize> = keys
        .iter()
        .map(|k| {
            json.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing in {json}"))
        })
        .collect();
    assert!(
        pos.windows(2).all(|w| w[0] < w[1]),
        "order {keys:?} not kept in {json}"
    );
}

// ---------------------------------------------------------------- events

fn subject() -> Subject<'static> {
    Subject {
        vendor_id: VendorId(uuid::Uuid::nil()),
        domain: "vendor.example",
        pdf_url: Some("https://h/r.pdf"),
    }
}

#[test]
fn events_first_scan_good_and_bad() {
    let good = scan(&flawless_vendor("vendor.example", now()));
    let ev = events(None, &good, subject());
    assert_eq!(ev.len(), 1);
    let v = serde_json::to_value(&ev[0]).unwrap();
    assert_key_order(
        &ev[0].to_json(),
        &[
            "event",
            "vendor_id",
            "domain",
            "score",
            "grade",
            "risk_level",
            "pdf_url",
            "timestamp",
        ],
    );
    assert_eq!(v.as_object().unwrap().len(), 8);
    assert_eq!(v["event"], "scan_completed");
    assert_eq!(v["timestamp"], "2026-06-27T10:00:00Z");

    let bad = scan(&weak_vendor("vendor.example", now()));
    let ev = events(None, &bad, subject());
    assert_eq!(
        ev.iter().map(Event::name).collect::<Vec<_>>(),
        ["scan_completed", "critical_alert"]
    );
}

#[test]
fn events_grade_change_and_critical_alert_on_drop_only() {
    let mut o = flawless_vendor("vendor.example", now());
    o.tls.as_mut().unwrap().certificate.as_mut().unwrap().chain[0].not_after = now().plus_days(-1);
    o.tls.as_mut().unwrap().protocols.tls1_0 = Probe::Accepted;
    let f = scan(&o);
    let ev = events(
        Some(Previous {
            score: 88,
            grade: Grade::B,
        }),
        &f,
        subject(),
    );
    assert_eq!(
        ev.iter().map(Event::name).collect::<Vec<_>>(),
        ["scan_completed", "grade_changed", "critical_alert"]
    );
    match &ev[1] {
        Event::GradeChanged {
            previous_grade,
            new_grade,
            score_change,
            ..
        } => {
            assert_eq!((*previous_grade, *new_grade), (Grade::B, Grade::F));
            assert_eq!(*score_change, i16::from(f.score) - 88);
        }
        e => panic!("{e:?}"),
    }
    match &ev[2] {
        Event::CriticalAlert {
            critical_findings,
            grade,
            ..
        } => {
            assert_eq!(*grade, Grade::F);
            assert_eq!(
                critical_findings,
                &["Expired TLS certificate", "TLS 1.0 still supported"]
            );
        }
        e => panic!("{e:?}"),
    }
    // Staying at F does not alert again; D → F does.
    let ev = events(
        Some(Previous {
            score: 20,
            grade: Grade::F,
        }),
        &f,
        subject(),
    );
    assert_eq!(
        ev.iter().map(Event::name).collect::<Vec<_>>(),
        ["scan_completed"]
    );
    let ev = events(
        Some(Previous {
            score: 65,
            grade: Grade::D,
        }),
        &f,
        subject(),
    );
    assert!(ev.iter().any(|e| e.name() == "critical_alert"));
    // Improving from F to D: grade change, no alert.
    let d = first(&[fail(CheckId::CertUntrusted)]);
    let ev = events(
        Some(Previous {
            score: 10,
            grade: Grade::F,
        }),
        &d,
        subject(),
    );
    assert_eq!(
        ev.iter().map(Event::name).collect::<Vec<_>>(),
        ["scan_completed", "grade_changed"]
    );
}

#[test]
fn summaries_say_what_the_scan_is_and_is_not() {
    let a = scan(&weak_vendor("weak.example", now()));
    assert!(a.executive_summary.contains("Art. 21(2)(d) and 21(3)"));
    assert!(a.executive_summary.contains("not as a certification"));
    assert!(a.technical_summary.contains("nis2-score/1"));
    assert!(a.technical_summary.contains("tls.tls10_enabled"));
    let good = scan(&flawless_vendor("vendor.example", now()));
    assert!(good.executive_summary.contains("No weaknesses were found"));
}

// ---------------------------------------------------------------- the seed's shapes

/// Keys of a JSON object, in the order they are written in `text` (its
/// serialization; a `Value` would sort them).
fn keys_in_order(text: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<(usize, String)> = obj
        .keys()
        .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

#[test]
fn score_data_object_has_the_seed_fields_and_values() {
    let a = scan(&weak_vendor("weak.example", now()));
    let text = serde_json::to_string(&a).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let d = &v["deductions"][0];
    assert_eq!(
        keys_in_order(&serde_json::to_string(&a.deductions[0]).unwrap()),
        ["reason", "penalty", "check_id", "severity"]
    );
    assert!(d["reason"].is_string() && d["penalty"].is_u64());
    let good = scan(&flawless_vendor("vendor.example", now()));
    assert_eq!(
        keys_in_order(&serde_json::to_string(&good.bonuses[0]).unwrap()),
        ["reason", "bonus", "check_id"]
    );
    assert_eq!(
        keys_in_order(&serde_json::to_string(&a.remediation_steps[0]).unwrap()),
        [
            "priority",
            "action",
            "deadline_days",
            "check_id",
            "severity",
            "due"
        ]
    );
    for step in v["remediation_steps"].as_array().unwrap() {
        assert!(
            ["Critical", "High", "Medium"].contains(&step["priority"].as_str().unwrap()),
            "{step}"
        );
        assert!(step["deadline_days"].is_u64());
    }
    for (k, status) in v["nis2_mapping"].as_object().unwrap() {
        assert!(k.starts_with("article_21_2"));
        assert!(
            ["compliant", "partial", "non-compliant", "not_assessed"]
                .contains(&status.as_str().unwrap()),
            "{k}: {status}"
        );
    }
    assert!(v["score"].is_u64() && v["score"].as_u64().unwrap() <= 100);
    assert!(["A", "B", "C", "D", "F"].contains(&v["grade"].as_str().unwrap()));
    assert!(["Low", "Medium", "High", "Critical"].contains(&v["risk_level"].as_str().unwrap()));
    assert!(
        v["critical_risks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.is_string())
    );
    assert!(
        v["positive_findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.is_string())
    );
    assert!(v["technical_summary"].is_string() && v["executive_summary"].is_string());
    assert_eq!(v["method"], "nis2-score/1");
    // The documented additions follow the seed's fields.
    assert_eq!(
        keys_in_order(&text),
        [
            "score",
            "grade",
            "risk_level",
            "deductions",
            "bonuses",
            "nis2_mapping",
            "critical_risks",
            "positive_findings",
            "remediation_steps",
            "technical_summary",
            "executive_summary",
            "method",
            "assessed_at",
            "findings",
        ]
    );
}

#[test]
fn event_payloads_have_exactly_the_seed_fields() {
    let mut o = flawless_vendor("vendor.example", now());
    o.tls.as_mut().unwrap().certificate.as_mut().unwrap().chain[0].not_after = now().plus_days(-1);
    let f = scan(&o);
    let ev = events(
        Some(Previous {
            score: 88,
            grade: Grade::B,
        }),
        &f,
        subject(),
    );
    let shapes: Vec<Vec<String>> = ev.iter().map(|e| keys_in_order(&e.to_json())).collect();
    assert_eq!(
        shapes,
        [
            vec![
                "event",
                "vendor_id",
                "domain",
                "score",
                "grade",
                "risk_level",
                "pdf_url",
                "timestamp"
            ],
            vec![
                "event",
                "vendor_id",
                "domain",
                "previous_grade",
                "new_grade",
                "score_change",
                "timestamp"
            ],
            vec![
                "event",
                "vendor_id",
                "domain",
                "grade",
                "score",
                "critical_findings",
                "timestamp"
            ],
        ]
    );
    let v: serde_json::Value = serde_json::from_str(&ev[1].to_json()).unwrap();
    assert_eq!(v["event"], "grade_changed");
    assert_eq!(
        (v["previous_grade"].as_str(), v["new_grade"].as_str()),
        (Some("B"), Some("F"))
    );
    assert_eq!(v["score_change"], i64::from(f.score) - 88);
    let v: serde_json::Value = serde_json::from_str(&ev[2].to_json()).unwrap();
    assert_eq!(v["event"], "critical_alert");
    assert_eq!(
        v["critical_findings"],
        serde_json::json!(["Expired TLS certificate"])
    );
    assert_eq!(v["timestamp"], "2026-06-27T10:00:00Z");
    assert_eq!(v["vendor_id"], "00000000-0000-0000-0000-000000000000");
    // The events read back as what was sent.
    for e in &ev {
        assert_eq!(&serde_json::from_str::<Event>(&e.to_json()).unwrap(), e);
    }
}

#[test]
fn effectiveness_uses_the_deadline_of_the_current_severity() {
    // FTP alone is the medium tier of exposure.file_share: 30 days, not 7.
    let ftp = [fail_tier(CheckId::ExposureFileShare, 1)];
    let past = |days_ago: i64| {
        [PastScan {
            scan_id: ScanId(uuid::Uuid::nil()),
            scanned_at: now().plus_days(-days_ago),
            score: 92,
            grade: Grade::A,
            failing: vec![CheckId::ExposureFileShare],
        }]
    };
    let f_at = |days_ago: i64| {
        assess(&ftp, &History::new(now(), &past(days_ago)))
            .nis2_mapping
            .article_21_2f
    };
    assert_eq!(f_at(10), MappingStatus::Compliant);
    assert_eq!(f_at(29), MappingStatus::Compliant);
    assert_eq!(f_at(30), MappingStatus::NonCompliant);
    // SMB (critical tier): 7 days.
    let smb = [fail_tier(CheckId::ExposureFileShare, 0)];
    assert_eq!(
        assess(&smb, &History::new(now(), &past(10)))
            .nis2_mapping
            .article_21_2f,
        MappingStatus::NonCompliant
    );
}
