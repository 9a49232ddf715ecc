//! The remediation letter a customer sends to a vendor.

use std::fmt::Write as _;

use crate::Timestamp;
use crate::assessment::Assessment;
use crate::i18n::{Direction, Lang, fill};

use super::{VendorRef, escape_xml, finding_of, ltr_run};

/// Days the vendor is given to confirm the letter in writing.
pub const CONFIRMATION_DAYS: i64 = 14;

/// Who signs the letter: the customer's configured sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sender<'a> {
    /// The person signing, e.g. "Dr. Erika Muster, CISO".
    pub name: &'a str,
    /// The customer organisation (the NIS2 entity).
    pub organisation: &'a str,
    /// How to reach the sender (e-mail, phone), if given.
    pub contact: Option<&'a str>,
}

/// What a letter is made from.
#[derive(Clone, Copy, Debug)]
pub struct LetterInput<'a> {
    /// The vendor's latest assessment.
    pub assessment: &'a Assessment,
    /// The vendor.
    pub vendor: VendorRef<'a>,
    /// The signer.
    pub sender: Sender<'a>,
    /// The letter's date (the reply-by date counts from it).
    pub date: Timestamp,
}

/// A rendered letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    /// Its language.
    pub lang: Lang,
    /// Writing direction (Arabic: right to left).
    pub direction: Direction,
    /// The subject line.
    pub subject: String,
    /// Plain text (the seed API's `letter`). Arabic lines start with a
    /// right-to-left mark so plain-text viewers lay them out right to left.
    pub text: String,
    /// Markdown.
    pub markdown: String,
    /// A self-contained HTML page.
    pub html: String,
    /// How many findings it asks to remedy.
    pub findings: usize,
}

struct Item {
    priority: &'static str,
    failure: &'static str,
    evidence: String,
    action: &'static str,
    deadline: String,
}

struct Parts {
    header: Vec<String>,
    recipient: Vec<String>,
    date: String,
    subject: String,
    salutation: &'static str,
    intro: String,
    duty: String,
    findings_intro: &'static str,
    items: Vec<Item>,
    request: Option<String>,
    closing: &'static str,
    regards: &'static str,
    signature: Vec<String>,
    method_note: String,
}

fn parts(input: &LetterInput<'_>, lang: Lang) -> Parts {
    let t = lang.texts();
    let l = &t.letter;
    let a = input.assessment;
    let org = input.sender.organisation;
    let domain = input.vendor.domain;

    let items: Vec<Item> = a
        .remediation_steps
        .iter()
        .map(|s| {
            let c = t.check(s.check_id);
            Item {
                priority: t.priority(s.severity),
                failure: c.failure,
                evidence: finding_of(a, s.check_id)
                    .map(|f| f.evidence.to_string())
                    .unwrap_or_default(),
                action: c.remediation,
                deadline: fill(
                    l.deadline,
                    &[
                        ("date", &lang.date(s.due)),
                        ("days", &lang.days(s.deadline_days)),
                    ],
                ),
            }
        })
        .collect();

    let mut signature = vec![input.sender.name.to_owned(), org.to_owned()];
    if let Some(c) = input.sender.contact.filter(|c| !c.trim().is_empty()) {
        signature.push(c.to_owned());
    }
    let mut recipient = Vec::new();
    if let Some(name) = input.vendor.name.filter(|n| !n.trim().is_empty()) {
        recipient.push(name.to_owned());
    }
    recipient.push(domain.to_owned());

    Parts {
        header: signature.clone(),
        recipient,
        date: lang.date(input.date),
        subject: fill(l.subject, &[("domain", domain)]),
        salutation: l.salutation,
        intro: fill(
            l.intro,
            &[
                ("org", org),
                ("date", &lang.date(a.assessed_at)),
                ("domain", domain),
                ("score", &lang.number(a.score)),
                ("grade", a.grade.as_str()),
                ("risk", t.risk(a.risk_level)),
            ],
        ),
        duty: fill(l.duty, &[("org", org)]),
        findings_intro: if items.is_empty() {
            l.no_findings
        } else {
            l.findings_intro
        },
        request: (!items.is_empty()).then(|| {
            fill(
                l.request,
                &[("date", &lang.date(input.date.plus_days(CONFIRMATION_DAYS)))],
            )
        }),
        items,
        closing: l.closing,
        regards: l.regards,
        signature,
        method_note: fill(
            l.method_note,
            &[("method", &a.method), ("date", &lang.date(a.assessed_at))],
        ),
    }
}

/// Writes the remediation letter to a vendor: it cites the customer's duty
/// under NIS2 Art. 21(2)(d) and 21(3) (the rating is evidence for the
/// customer's supplier assessment, not a certificate), lists each failing
/// check with its remediation action and due date (Art. 21(4): without
/// undue delay), asks for a written confirmation with completion dates
/// within [`CONFIRMATION_DAYS`] days, and is signed by the sender.
pub fn letter(input: &LetterInput<'_>, lang: Lang) -> Letter {
    let p = parts(input, lang);
    let t = lang.texts();
    let l = &t.letter;
    let label_priority = t.labels.priority;

    // Plain text.
    let mut text = String::with_capacity(4096);
    for line in &p.header {
        let _ = writeln!(text, "{line}");
    }
    text.push('\n');
    for line in &p.recipient {
        let _ = writeln!(text, "{line}");
    }
    let _ = writeln!(
        text,
        "\n{}\n\n{}\n\n{}\n\n{}\n\n{}\n\n{}\n",
        p.date, p.subject, p.salutation, p.intro, p.duty, p.findings_intro
    );
    for (i, it) in p.items.iter().enumerate() {
        let _ = writeln!(
            text,
            "{}. {} ({label_priority}: {})",
            lang.number(i64::try_from(i + 1).unwrap_or(0)),
            it.failure,
            it.priority
        );
        if !it.evidence.is_empty() {
            let _ = writeln!(text, "   {}: {}", l.evidence, ltr_run(lang, &it.evidence));
        }
        let _ = writeln!(text, "   {}: {}", l.action, it.action);
        let _ = writeln!(text, "   {}\n", it.deadline);
    }
    if let Some(r) = &p.request {
        let _ = writeln!(text, "{r}\n");
    }
    let _ = writeln!(text, "{}\n\n{}", p.closing, p.regards);
    for line in &p.signature {
        let _ = writeln!(text, "{line}");
    }
    let _ = writeln!(text, "\n{}", p.method_note);
    if lang.direction() == Direction::Rtl {
        text = text
            .lines()
            .map(|l| {
                if l.trim().is_empty() {
                    String::new()
                } else {
                    format!("\u{200F}{l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        text.push('\n');
    }

    // Markdown.
    let mut md = String::with_capacity(4096);
    let _ = writeln!(
        md,
        "{}  \n{}\n",
        p.header.join("  \n"),
        p.recipient.join("  \n")
    );
    let _ = writeln!(
        md,
        "{}\n\n## {}\n\n{}\n\n{}\n\n{}\n\n{}\n",
        p.date, p.subject, p.salutation, p.intro, p.duty, p.findings_intro
    );
    for (i, it) in p.items.iter().enumerate() {
        let _ = writeln!(
            md,
            "{}. **{}** ({label_priority}: {})",
            i + 1,
            it.failure,
            it.priority
        );
        if !it.evidence.is_empty() {
            let _ = writeln!(
                md,
                "   - {}: {}",
                l.evidence,
                ltr_run(lang, &format!("`{}`", it.evidence.replace('`', "'")))
            );
        }
        let _ = writeln!(md, "   - {}: {}", l.action, it.action);
        let _ = writeln!(md, "   - {}", it.deadline);
    }
    if !p.items.is_empty() {
        md.push('\n');
    }
    if let Some(r) = &p.request {
        let _ = writeln!(md, "{r}\n");
    }
    let _ = writeln!(
        md,
        "{}\n\n{}  \n{}\n\n---\n\n*{}*",
        p.closing,
        p.regards,
        p.signature.join("  \n"),
        p.method_note
    );

    // HTML.
    let e = escape_xml;
    let mut h = String::with_capacity(8192);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{LETTER_CSS}</style>\n</head>\n<body>\n<article class=\"letter\">\n",
        lang.code(),
        lang.direction().as_str(),
        e(&p.subject)
    );
    let lines = |v: &[String]| v.iter().map(|s| e(s)).collect::<Vec<_>>().join("<br>");
    let _ = writeln!(h, "<p class=\"from\">{}</p>", lines(&p.header));
    let _ = writeln!(h, "<p class=\"to\">{}</p>", lines(&p.recipient));
    let _ = writeln!(h, "<p class=\"date\">{}</p>", e(&p.date));
    let _ = writeln!(h, "<h1>{}</h1>", e(&p.subject));
    for para in [p.salutation, &p.intro, &p.duty, p.findings_intro] {
        let _ = writeln!(h, "<p>{}</p>", e(para));
    }
    if !p.items.is_empty() {
        h.push_str("<ol class=\"findings\">\n");
        for it in &p.items {
            let _ = write!(
                h,
                "<li><strong>{}</strong> ({}: {})<dl>",
                e(it.failure),
                e(label_priority),
                e(it.priority)
            );
            if !it.evidence.is_empty() {
                let _ = write!(
                    h,
                    "<dt>{}</dt><dd><code>{}</code></dd>",
                    e(l.evidence),
                    e(&it.evidence)
                );
            }
            let _ = writeln!(
                h,
                "<dt>{}</dt><dd>{}</dd></dl><p class=\"due\">{}</p></li>",
                e(l.action),
                e(it.action),
                e(&it.deadline)
            );
        }
        h.push_str("</ol>\n");
    }
    if let Some(r) = &p.request {
        let _ = writeln!(h, "<p>{}</p>", e(r));
    }
    let _ = writeln!(
        h,
        "<p>{}</p>\n<p class=\"sign\">{}<br>{}</p>",
        e(p.closing),
        e(p.regards),
        lines(&p.signature)
    );
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>\n</article>\n</body>\n</html>",
        e(&p.method_note)
    );

    Letter {
        lang,
        direction: lang.direction(),
        subject: p.subject,
        text,
        markdown: md,
        html: h,
        findings: p.items.len(),
    }
}

const LETTER_CSS: &str = "body{font-family:'Noto Sans','Noto Sans Arabic','DejaVu Sans',Arial,sans-serif;color:#111;margin:0;background:#fff}\
.letter{max-width:46rem;margin:2rem auto;padding:0 1.5rem;line-height:1.5}\
h1{font-size:1.15rem;margin:1.5rem 0}\
.from,.to,.date{margin:0 0 1rem}.date{color:#444}\
ol.findings li{margin:0 0 1rem}dl{margin:.3rem 0;display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem}\
dt{font-weight:600}dd{margin:0}code{font-size:.85em;word-break:break-all;unicode-bidi:plaintext}\
.due{margin:.2rem 0;font-weight:600}.note{color:#555;font-size:.85rem;border-top:1px solid #ccc;padding-top:.5rem}\
[dir=rtl] ol{list-style-type:arabic-indic}\
@media print{.letter{margin:0;max-width:none}}";
