//! PDF reports checked for real: text extracted with `pdftotext` and pages
//! rendered with `pdftoppm` (Debian package poppler-utils).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test
#![cfg(feature = "pdf")]

mod report_support;

use std::path::PathBuf;
use std::process::Command;

use nis2_core::i18n::Lang;
use nis2_core::report::{self, PortfolioInput, PortfolioVendor};
use report_support::*;

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nis2-pdf-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("{cmd} not runnable ({e}): install Debian package poppler-utils")
    });
    assert!(
        out.status.success(),
        "{cmd} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text of a PDF: `reading` is pdftotext's reading order (bidi
/// resolved, columns side by side), `raw` the content-stream order, in
/// which each table cell's lines stay together.
struct Extracted {
    reading: String,
    raw: String,
}

/// Writes the PDF, extracts its text and renders every page to PNG.
fn check_pdf(bytes: &[u8], name: &str) -> Extracted {
    assert!(bytes.starts_with(b"%PDF-"), "{name}: not a PDF");
    let dir = workdir(name);
    let pdf = dir.join("report.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let text_file = dir.join("report.txt");
    run("pdftotext", &[pdf.as_os_str(), text_file.as_os_str()]);
    let reading = std::fs::read_to_string(&text_file).unwrap();
    let raw_file = dir.join("raw.txt");
    run(
        "pdftotext",
        &["-raw".as_ref(), pdf.as_os_str(), raw_file.as_os_str()],
    );
    let raw = std::fs::read_to_string(&raw_file).unwrap();
    let prefix = dir.join("page");
    run(
        "pdftoppm",
        &[
            "-png".as_ref(),
            "-r".as_ref(),
            "50".as_ref(),
            pdf.as_os_str(),
            prefix.as_os_str(),
        ],
    );
    let pngs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert!(!pngs.is_empty(), "{name}: no page rendered");
    for p in &pngs {
        let data = std::fs::read(p).unwrap();
        assert!(
            data.starts_with(b"\x89PNG") && data.len() > 1000,
            "{name}: bad page {}",
            p.display()
        );
    }
    if std::env::var_os("NIS2_KEEP_PDF").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Extracted { reading, raw }
}

/// Text with every run of white space removed: table cells wrap, and the
/// words of one title may land on several lines. The bidi embedding
/// controls pdftotext puts around runs are dropped too.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '\u{00AD}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'
                )
        })
        .collect()
}

/// For Arabic, poppler's text extraction has two known quirks that are not
/// in the PDF: it writes the letters of a lam-alef (or lam-yeh) ligature in reverse
/// (الإ comes out as اإل) and repeats a letter that carries a shadda. This
/// key keeps the order of every other letter: it drops lam, alef forms, alef maksura
/// and the diacritics (and punctuation), then collapses doubled letters, on
/// both sides alike.
fn arabic_key(s: &str) -> String {
    let mut out = String::new();
    for c in squash(s).chars() {
        // Punctuation goes too: a neutral mark between runs of two
        // directions may land on either side.
        if matches!(
            c,
            'ل' | 'ا' | 'أ' | 'إ' | 'آ' | 'ى' | '\u{064B}'..='\u{0652}' | '\u{0670}'
        ) || !c.is_alphanumeric()
        {
            continue;
        }
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

fn assert_contains(text: &str, needle: &str, what: &str) {
    assert!(
        squash(text).contains(&squash(needle)),
        "{what}: `{needle}` not in the extracted text:\n{text}"
    );
}

/// Whether the words of `needle` occur in `text` in order, each within
/// `GAP` characters of the previous one. A long cell of a table wraps, and
/// pdftotext may put a neighbouring cell's line between its lines; the
/// words still come in order and close together.
fn words_in_order(text: &str, needle: &str, key: fn(&str) -> String) -> bool {
    const GAP: usize = 160;
    let hay = key(text);
    let words: Vec<String> = needle
        .split_whitespace()
        .map(key)
        .filter(|w| !w.is_empty())
        .collect();
    let Some(first) = words.first() else {
        return true;
    };
    let mut from = 0;
    while let Some(found) = hay[from..].find(first.as_str()) {
        let start = from + found;
        let mut pos = start + first.len();
        let mut ok = true;
        for w in &words[1..] {
            let window_end = hay.len().min(pos + GAP + w.len());
            let window_end = (window_end..=hay.len())
                .find(|i| hay.is_char_boundary(*i))
                .unwrap_or(hay.len());
            match hay[pos..window_end].find(w.as_str()) {
                Some(i) => pos += i + w.len(),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return true;
        }
        from = start + first.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// `squash` without hyphens: typst hyphenates at a word's own hyphen, and
/// Spanish and Portuguese repeat it at the start of the next line.
fn latin_key(s: &str) -> String {
    squash(s)
        .chars()
        .filter(|c| !matches!(c, '-' | '\u{2010}'))
        .collect()
}

/// Asserts that `needle` is in the extracted text. Latin scripts: its words
/// in order, close together, in the content-stream text. Arabic: every word
/// (each run of letters and digits, by `arabic_key`) in the reading-order text; pdftotext may put the lines
/// of a wrapped right-to-left table cell out of order, so word order is
/// checked separately, on whole phrases, in `arabic_pdf_text_is_shaped…`.
fn assert_has(lang: Lang, text: &Extracted, needle: &str, what: &str) {
    let ok = if lang == Lang::Ar {
        let hay = arabic_key(&text.reading);
        needle
            .split(|c: char| !c.is_alphanumeric())
            .map(arabic_key)
            .all(|w| hay.contains(&w))
    } else {
        words_in_order(&text.raw, needle, latin_key)
    };
    let hay = if lang == Lang::Ar {
        &text.reading
    } else {
        &text.raw
    };
    assert!(ok, "{what}: `{needle}` not in the extracted text:\n{hay}");
}

#[test]
fn pdf_in_every_language_holds_vendor_grade_and_every_finding_title() {
    let (g, w) = (good(), weak());
    for lang in Lang::ALL {
        let t = lang.texts();
        for (name, a, v) in [("good", &g, good_vendor()), ("weak", &w, weak_vendor())] {
            let bytes = report::pdf(&input(a, v), lang).unwrap();
            let text = check_pdf(&bytes, &format!("{name}-{lang}"));
            let what = format!("{name} {lang}");
            assert_contains(&text.reading, v.name.unwrap(), &what);
            assert_contains(&text.reading, v.domain, &what);
            assert_has(lang, &text, t.labels.grade, &what);
            let score = format!("{}/{}", lang.number(a.score), lang.number(100));
            assert_contains(&text.reading, &score, &what);
            assert!(
                text.reading.lines().any(|l| squash(l) == a.grade.as_str()),
                "{what}: grade letter"
            );
            for f in &a.findings {
                if f.check_id.is_bonus() {
                    continue;
                }
                let c = t.check(f.check_id);
                assert_has(lang, &text, c.title, &format!("{what} {}", f.check_id));
            }
            for step in &a.remediation_steps {
                let c = t.check(step.check_id);
                let id = step.check_id;
                assert_has(lang, &text, c.failure, &format!("{what} failure {id}"));
                assert_has(lang, &text, c.remediation, &format!("{what} action {id}"));
                assert_has(
                    lang,
                    &text,
                    &lang.date(step.due),
                    &format!("{what} due {id}"),
                );
            }
            // The evidence of every finding, as the scanner recorded it
            // (English, laid out left to right in every language).
            for f in a.findings.iter().filter(|f| !f.evidence.is_empty()) {
                assert!(
                    words_in_order(&text.raw, &f.evidence, latin_key),
                    "{what}: evidence of {}: `{}` not in:\n{}",
                    f.check_id,
                    f.evidence,
                    text.raw
                );
            }
            // Every section of the report.
            let l = &t.labels;
            for heading in [
                l.executive_summary,
                l.technical_summary,
                l.deductions_chart,
                l.nis2_table,
                l.findings,
                l.remediation_plan,
            ] {
                assert_has(lang, &text, heading, &format!("{what} section"));
            }
            if a.remediation_steps.is_empty() {
                assert_has(lang, &text, l.no_failures, &format!("{what} no failures"));
            }
        }
    }
}

#[test]
fn arabic_pdf_text_is_shaped_and_right_to_left() {
    let w = weak();
    let bytes = report::pdf(&input(&w, weak_vendor()), Lang::Ar).unwrap();
    let extracted = check_pdf(&bytes, "ar-shaping");
    let text = extracted.reading;
    // Latin tokens inside the Arabic text, and the English evidence, keep
    // their own left-to-right order on the page. The content stream holds
    // the glyphs of a line in visual order, so a neutral character the bidi
    // algorithm moved to the wrong side (`+all` shown as `all+`, `/.git`
    // as `git/.`) would show here.
    for token in [
        "-all",
        "~all",
        "(EC)DHE",
        "/.git/HEAD and /.env not exposed",
        "_smtp._tls",
        "/.well-known/security.txt",
    ] {
        assert_contains(&extracted.raw, token, "ar visual order");
    }
    // The glyphs map back to the base Arabic letters (no presentation forms,
    // which a PDF without shaping or ToUnicode would show).
    assert!(
        !text
            .chars()
            .any(|c| ('\u{FB50}'..='\u{FDFF}').contains(&c)
                || ('\u{FE70}'..='\u{FEFF}').contains(&c))
    );
    // Words come out in logical (reading) order, i.e. laid out right to left.
    for phrase in [
        "الملخص التنفيذي",
        "خطة المعالجة",
        "أمن سلسلة التوريد",
        "مستوى المخاطر",
        "الفحوص الفاشلة",
    ] {
        assert_contains(&text, phrase, "ar");
    }
    // Arabic-Indic digits for the score and the dates.
    assert_contains(&text, &Lang::Ar.date(w.assessed_at), "ar date");
}

#[test]
fn portfolio_pdf_and_html() {
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
            vendor: nis2_core::report::VendorRef::new("new.example"),
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
        let t = lang.texts();
        let text = check_pdf(
            &report::portfolio_pdf(&input, lang).unwrap(),
            &format!("portfolio-{lang}"),
        );
        for needle in [
            t.labels.grade_distribution,
            t.labels.worst_vendors,
            t.labels.overdue,
            t.labels.not_scanned,
            "Weak Vendor Ltd",
            "Good Vendor GmbH",
        ] {
            assert_has(lang, &text, needle, &format!("portfolio {lang}"));
        }
        let overdue_title = t.check(w.remediation_steps[0].check_id).title;
        assert_has(lang, &text, overdue_title, "overdue row");
        let html = report::portfolio_html(&input, lang);
        assert!(html.contains(&format!("dir=\"{}\"", lang.direction().as_str())));
        assert!(html.contains("<svg") && html.contains("Weak Vendor Ltd"));
        assert!(html.contains(t.labels.not_scanned), "{lang}: unscanned bar");
        assert!(html.contains(overdue_title));
    }
}

#[test]
fn pdf_is_deterministic() {
    let w = weak();
    let a = report::pdf(&input(&w, weak_vendor()), Lang::De).unwrap();
    let b = report::pdf(&input(&w, weak_vendor()), Lang::De).unwrap();
    assert_eq!(a, b);
}

#[test]
fn text_matchers_reject_what_is_not_there() {
    let text = Extracted {
        reading: "\u{202B}الملخص التنفيذي\u{202C}\nما زال TLS 1.0 مدعومًا".to_owned(),
        raw: "Disable TLS 1.0; offer only\nTLS 1.2 and TLS 1.3.".to_owned(),
    };
    assert!(words_in_order(
        &text.raw,
        "Disable TLS 1.0; offer only TLS 1.2 and TLS 1.3.",
        latin_key
    ));
    assert!(!words_in_order(&text.raw, "offer only TLS 1.0", latin_key));
    assert!(!words_in_order(&text.raw, "Disable TLS 1.1", latin_key));
    assert!(arabic_key(&text.reading).contains(&arabic_key("الملخص التنفيذي")));
    assert!(!arabic_key(&text.reading).contains(&arabic_key("التنفيذي الملخص")));
    assert!(!arabic_key(&text.reading).contains(&arabic_key("خطة المعالجة")));
}
