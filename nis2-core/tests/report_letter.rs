//! Remediation letters in every language, for the good and the weak vendor.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod report_support;

use nis2_core::i18n::{Direction, Lang};
use nis2_core::report::{self, CONFIRMATION_DAYS};
use report_support::*;

/// Every letter format (plain text, Markdown, HTML), for the good and the
/// weak vendor, in every language: 3 × 2 × 9 snapshots.
#[test]
fn letter_snapshots_in_every_format_and_language() {
    let (g, w) = (good(), weak());
    for (name, a, v) in [("good", &g, good_vendor()), ("weak", &w, weak_vendor())] {
        for lang in Lang::ALL {
            let l = report::letter(&letter_input(a, v), lang);
            insta::assert_snapshot!(format!("{name}_{lang}_text"), l.text);
            insta::assert_snapshot!(format!("{name}_{lang}_markdown"), l.markdown);
            insta::assert_snapshot!(format!("{name}_{lang}_html"), l.html);
        }
    }
}

#[test]
fn weak_letter_lists_every_failing_check_with_action_and_due_date() {
    let w = weak();
    assert!(!w.remediation_steps.is_empty());
    for lang in Lang::ALL {
        let t = lang.texts();
        let l = report::letter(&letter_input(&w, weak_vendor()), lang);
        assert_eq!(l.findings, w.remediation_steps.len());
        assert_eq!(l.lang, lang);
        for step in &w.remediation_steps {
            let c = t.check(step.check_id);
            assert!(
                l.text.contains(c.failure),
                "{lang}: failure wording of {}",
                step.check_id
            );
            assert!(
                l.text.contains(c.remediation),
                "{lang}: action of {}",
                step.check_id
            );
            assert!(
                l.text.contains(&lang.date(step.due)),
                "{lang}: due date of {}",
                step.check_id
            );
            assert!(l.markdown.contains(c.remediation), "{lang}: markdown");
        }
        // The customer's duty and the nature of the rating are cited.
        assert!(
            l.text
                .contains(&t.letter.duty.replace("{org}", "Beispiel Energie AG")),
            "{lang}: duty"
        );
        // A written confirmation by a date is asked for.
        let reply_by = lang.date(now().plus_days(1 + CONFIRMATION_DAYS));
        assert!(
            l.text.contains(&reply_by),
            "{lang}: reply-by date {reply_by}"
        );
        // Signed by the configured sender.
        assert!(
            l.text.contains("Dr. Erika Muster, CISO")
                && l.text.contains("security@beispiel-energie.example")
        );
        assert!(l.text.contains(WEAK) && l.subject.contains(WEAK));
    }
}

#[test]
fn letters_cite_art_21_2_d_and_21_3_and_the_4_principle() {
    let w = weak();
    let l = report::letter(&letter_input(&w, weak_vendor()), Lang::En);
    for cite in [
        "Art. 21(2)(d)",
        "Art. 21(3)",
        "Art. 21(4)",
        "without undue delay",
        "not a certificate",
    ] {
        assert!(l.text.contains(cite), "{cite}");
    }
    let de = report::letter(&letter_input(&w, weak_vendor()), Lang::De);
    for cite in [
        "Art. 21 Abs. 2 Buchst. d",
        "Art. 21 Abs. 3",
        "Art. 21 Abs. 4",
        "unverzüglich",
        "Sehr geehrte Damen und Herren",
    ] {
        assert!(de.text.contains(cite), "{cite}");
    }
}

#[test]
fn good_letter_asks_for_nothing() {
    let g = good();
    let l = report::letter(&letter_input(&g, good_vendor()), Lang::Fr);
    assert_eq!(l.findings, 0);
    assert!(l.text.contains(Lang::Fr.texts().letter.no_findings));
    assert!(
        !l.text
            .contains(&Lang::Fr.date(now().plus_days(1 + CONFIRMATION_DAYS)))
    );
}

#[test]
fn arabic_letter_is_rtl_with_arabic_digits() {
    let w = weak();
    let l = report::letter(&letter_input(&w, weak_vendor()), Lang::Ar);
    assert_eq!(l.direction, Direction::Rtl);
    assert!(l.html.contains("dir=\"rtl\""));
    assert!(
        l.html
            .contains("[dir=rtl] ol{list-style-type:arabic-indic}")
    );
    for line in l.text.lines().filter(|l| !l.is_empty()) {
        assert!(line.starts_with('\u{200F}'), "line not marked RTL: {line}");
    }
    // Dates and the numbered list use Arabic-Indic digits.
    assert!(l.text.contains("\u{200F}١. "));
    let due = Lang::Ar.date(w.remediation_steps[0].due);
    assert!(due.chars().any(|c| ('٠'..='٩').contains(&c)));
    assert!(l.text.contains(&due));
    assert!(l.text.contains("المادة ٢١(٢)(د)"));
}

#[test]
fn letter_html_escapes_the_sender_and_vendor() {
    let w = weak();
    let mut input = letter_input(
        &w,
        nis2_core::report::VendorRef::named("x.example", "<img src=x>"),
    );
    input.sender.organisation = "A & B <script>";
    let l = report::letter(&input, Lang::En);
    assert!(!l.html.contains("<script>") && !l.html.contains("<img"));
    assert!(l.html.contains("A &amp; B &lt;script&gt;"));
}

#[test]
fn unsupported_language_is_an_error_naming_the_supported_ones() {
    let err = Lang::parse("sv").unwrap_err();
    let msg = err.to_string();
    for l in Lang::ALL {
        assert!(msg.contains(l.code()), "{msg}");
    }
    let as_report: nis2_core::report::ReportError = err.into();
    assert!(as_report.to_string().contains("unsupported language `sv`"));
}
