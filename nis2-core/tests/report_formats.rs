//! Every report format for the sample good and weak vendors, as snapshots,
//! plus assertions on what each must contain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod report_support;

use nis2_core::i18n::Lang;
use nis2_core::report::{self, Format, PortfolioInput, PortfolioVendor};
use report_support::*;

#[test]
fn samples_are_what_the_snapshots_assume() {
    let (g, w) = (good(), weak());
    assert!(g.deductions.is_empty(), "{:?}", g.deductions);
    assert_eq!(g.grade, nis2_core::Grade::A);
    assert!(w.deductions.len() >= 8, "{:?}", w.deductions);
    assert!(w.grade >= nis2_core::Grade::D);
}

/// Every text format, for the good and the weak vendor, in every language:
/// 6 formats × 2 vendors × 9 languages snapshots. (The PDF has the same
/// content as the HTML, from the same model; it is checked by extracting
/// its text in `report_pdf.rs`, as a byte snapshot of it would say nothing.)
#[test]
fn snapshots_of_every_format_vendor_and_language() {
    let (g, w) = (good(), weak());
    for (name, a, v) in [("good", &g, good_vendor()), ("weak", &w, weak_vendor())] {
        let i = input(a, v);
        for lang in Lang::ALL {
            for format in Format::ALL.into_iter().filter(|f| *f != Format::Pdf) {
                let bytes = report::render(&i, lang, format).unwrap().bytes;
                insta::assert_snapshot!(
                    format!("{name}_{lang}_{}", format.as_str()),
                    String::from_utf8(bytes).unwrap()
                );
            }
        }
    }
}

/// The portfolio report of the good, the weak and a not yet scanned vendor,
/// with overdue remediation, in every language.
#[test]
fn portfolio_html_snapshots_in_every_language() {
    let (g, w) = (good(), weak());
    let since = [(w.remediation_steps[0].check_id, now().plus_days(-40))];
    let vendors = [
        PortfolioVendor {
            vendor: good_vendor(),
            assessment: Some(&g),
            failing_since: &[],
        },
        PortfolioVendor {
            vendor: weak_vendor(),
            assessment: Some(&w),
            failing_since: &since,
        },
        PortfolioVendor {
            vendor: report::VendorRef::new("new.example"),
            assessment: None,
            failing_since: &[],
        },
    ];
    let input = PortfolioInput {
        account: "Beispiel Energie AG",
        generated_at: now().plus_days(1),
        vendors: &vendors,
    };
    for lang in Lang::ALL {
        insta::assert_snapshot!(
            format!("portfolio_{lang}_html"),
            report::portfolio_html(&input, lang)
        );
    }
}

#[test]
fn every_failing_title_and_action_appears_in_the_language() {
    let w = weak();
    let i = input(&w, weak_vendor());
    for lang in Lang::ALL {
        let t = lang.texts();
        let html = report::html(&i, lang);
        let md = report::markdown(&i, lang);
        let csv = report::csv(&i, lang);
        assert!(html.contains(&format!("lang=\"{}\"", lang.code())));
        for step in &w.remediation_steps {
            let c = t.check(step.check_id);
            let esc = c
                .remediation
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert!(html.contains(&esc), "{lang}: html lacks {}", step.check_id);
            assert!(
                md.contains(&c.title.replace('|', "\\|")),
                "{lang}: md lacks {}",
                step.check_id
            );
            assert!(
                csv.contains(step.check_id.as_str()),
                "{lang}: csv lacks {}",
                step.check_id
            );
        }
        // The NIS2 table has all ten points.
        for art in nis2_core::Article::ALL {
            assert!(
                html.contains(&format!("<tr><td>{}</td>", lang.point(art))),
                "{lang}: point {art:?}"
            );
        }
    }
}

#[test]
fn arabic_html_is_right_to_left_with_arabic_digits_and_mirrored_chart() {
    let w = weak();
    let html = report::html(&input(&w, weak_vendor()), Lang::Ar);
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    let score = Lang::Ar.number(w.score);
    assert!(
        html.contains(&format!("{score}/١٠٠")),
        "score in Arabic-Indic digits"
    );
    assert!(
        html.contains("direction=\"rtl\""),
        "chart labels right to left"
    );
    assert!(html.contains("(د)"), "Art. 21(2) points in abjad letters");
    let date = Lang::Ar.date(w.assessed_at);
    assert!(date.chars().all(|c| !c.is_ascii_digit()));
    assert!(html.contains(&date));
}

#[test]
fn csv_is_rfc4180_one_row_per_finding() {
    let w = weak();
    let csv = report::csv(&input(&w, weak_vendor()), Lang::Fr);
    assert!(csv.ends_with("\r\n"));
    let records = parse_csv(&csv);
    assert_eq!(records[0], report::CSV_HEADER.map(str::to_owned).to_vec());
    assert_eq!(records.len() - 1, w.findings.len(), "one row per finding");
    for r in &records[1..] {
        assert_eq!(r.len(), report::CSV_HEADER.len(), "{r:?}");
    }
    let failing = records[1..].iter().filter(|r| r[2] == "fail").count();
    assert_eq!(failing, w.findings.iter().filter(|f| f.failed()).count());
    // French wording in the localized columns.
    assert!(records.iter().any(|r| r[9] == "TLS 1.0 encore accepté"));
}

/// A strict RFC 4180 reader (quoted fields, doubled quotes, CRLF records).
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            '"' => panic!("bare quote inside an unquoted field: {field}"),
            ',' => {
                record.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_start = true;
            }
            '\n' => panic!("LF without CR"),
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "trailing data"
    );
    records
}

#[test]
fn json_report_holds_the_assessment_unchanged() {
    let w = weak();
    let doc: serde_json::Value =
        serde_json::from_str(&report::json(&input(&w, weak_vendor()), Lang::Es).unwrap()).unwrap();
    let back: nis2_core::Assessment = serde_json::from_value(doc["assessment"].clone()).unwrap();
    assert_eq!(back, w);
    assert_eq!(doc["language"], "es");
    assert_eq!(doc["vendor"]["domain"], WEAK);
    assert!(
        doc["summaries"]["executive"]
            .as_str()
            .unwrap()
            .contains("Weak Vendor Ltd")
    );
}

#[test]
fn render_dispatches_and_reports_pdf_availability() {
    let w = weak();
    let i = input(&w, weak_vendor());
    for f in Format::ALL {
        let r = report::render(&i, Lang::En, f);
        if f == Format::Pdf && !cfg!(feature = "pdf") {
            assert_eq!(r.unwrap_err(), report::ReportError::PdfUnavailable);
            continue;
        }
        let r = r.unwrap();
        assert_eq!(r.content_type, f.content_type());
        assert!(!r.bytes.is_empty());
    }
}

#[test]
fn hostile_vendor_names_and_evidence_are_escaped() {
    let mut w = weak();
    w.findings[0].evidence = "<script>alert(1)</script> & \"quotes\" | pipes\nnewline".into();
    let v = nis2_core::report::VendorRef::named("evil.example", "<b>Evil</b> & Co");
    let i = input(&w, v);
    let html = report::html(&i, Lang::En);
    assert!(!html.contains("<script>") && !html.contains("<b>Evil"));
    assert!(html.contains("&lt;script&gt;"));
    let junit = report::junit(&i, Lang::En);
    assert!(!junit.contains("<script>"));
    let md = report::markdown(&i, Lang::En);
    assert!(md.contains("\\| pipes newline"));
}

#[test]
fn html_pages_are_self_contained_and_printable() {
    let (g, w) = (good(), weak());
    let vendors = [PortfolioVendor {
        vendor: weak_vendor(),
        assessment: Some(&w),
        failing_since: &[],
    }];
    let portfolio = PortfolioInput {
        account: "Beispiel Energie AG",
        generated_at: now(),
        vendors: &vendors,
    };
    for lang in Lang::ALL {
        let pages = [
            ("report good", report::html(&input(&g, good_vendor()), lang)),
            ("report weak", report::html(&input(&w, weak_vendor()), lang)),
            ("portfolio", report::portfolio_html(&portfolio, lang)),
            (
                "letter",
                report::letter(&letter_input(&w, weak_vendor()), lang).html,
            ),
        ];
        for (what, html) in pages {
            let lower = html.to_ascii_lowercase();
            // Nothing is fetched: no scripts, images, links, fonts or imports.
            for needle in [
                "<script", "<link", "<img", "<iframe", " src=", " href=", "url(", "@import",
            ] {
                assert!(!lower.contains(needle), "{lang} {what}: {needle}");
            }
            assert!(lower.starts_with("<!doctype html>"), "{lang} {what}");
            assert!(lower.contains("<meta charset=\"utf-8\">"), "{lang} {what}");
            assert!(
                lower.contains("@media print"),
                "{lang} {what}: print styles"
            );
            assert!(
                html.contains(&format!("dir=\"{}\"", lang.direction().as_str())),
                "{lang} {what}"
            );
        }
    }
}
